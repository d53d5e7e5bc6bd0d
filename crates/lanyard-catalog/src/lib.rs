//! Lanyard's integration network: the catalog of pre-built integrations for real applications.
//!
//! Each integration is a typed manifest, `catalog/<name>.toml` at the repository's root (`docs/catalog.md`), embedded
//! in the binary at build time ([`builtin`]). This crate reads and checks manifests ([`manifest`]), renders their
//! templates ([`template`]), turns an entry and the variables an administrator gives into the client the
//! application needs — the most secure way it supports ([`instance`]) — and renders the settings to paste into the
//! application ([`setup`]). Nothing here touches HTTP or a store.

pub mod instance;
pub mod manifest;
pub mod setup;
pub mod template;

use std::sync::{Arc, LazyLock};

pub use manifest::{Manifest, Problem};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/manifests.rs"));
}

/// An entry of the catalog: its manifest, the text it was read from, and its revision (the first 12 hex digits of
/// the text's SHA-256), which an app made from it records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub manifest: Manifest,
    pub text: String,
    pub revision: String,
    /// Built in (from the repository), or added to this org (`POST /api/v1/catalog/apps`).
    pub builtin: bool,
}

impl Entry {
    /// Reads and checks a manifest; every problem, else the entry.
    pub fn from_text(
        text: &str,
        file_stem: Option<&str>,
        builtin: bool,
    ) -> Result<Entry, Vec<Problem>> {
        let manifest = manifest::parse(text).map_err(|p| vec![p])?;
        let problems = manifest::check(&manifest, file_stem);
        if !problems.is_empty() {
            return Err(problems);
        }
        let entry = Entry {
            manifest,
            text: text.to_owned(),
            revision: revision(text),
            builtin,
        };
        // The app its examples make passes the Apps API's own checks.
        let examples = instance::example_variables(&entry.manifest)
            .into_iter()
            .map(|(k, v)| (k, serde_json::Value::String(v)))
            .collect();
        instance::client(&entry, &examples, "0oaexample", None)?;
        Ok(entry)
    }

    pub fn name(&self) -> &str {
        &self.manifest.name
    }
}

/// The revision of a manifest's text.
pub fn revision(text: &str) -> String {
    lanyard_core::crypto::sha256(text.as_bytes())
        .iter()
        .take(6)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The built-in manifests as files: each one's stem and text.
pub fn builtin_files() -> &'static [(&'static str, &'static str)] {
    embedded::MANIFESTS
}

/// The built-in catalog, in name order. A manifest that does not pass its checks is left out (and the schema test
/// fails, so none is ever shipped).
pub fn builtin() -> &'static [Arc<Entry>] {
    static ENTRIES: LazyLock<Vec<Arc<Entry>>> = LazyLock::new(|| {
        builtin_files()
            .iter()
            .filter_map(|(stem, text)| Entry::from_text(text, Some(stem), true).ok())
            .map(Arc::new)
            .collect()
    });
    &ENTRIES
}

/// A built-in entry by key.
pub fn builtin_entry(name: &str) -> Option<&'static Arc<Entry>> {
    let all = builtin();
    all.binary_search_by(|e| e.name().cmp(name))
        .ok()
        .map(|i| &all[i])
}

/// What a catalog list asks for.
#[derive(Debug, Clone, Default)]
pub struct Query {
    /// Matches the key, the display name or the description, in any case.
    pub q: Option<String>,
    pub category: Option<String>,
    pub sign_on_mode: Option<String>,
}

impl Query {
    pub fn matches(&self, e: &Entry) -> bool {
        self.matches_lowercased(e, self.q.as_deref().map(str::to_lowercase).as_deref())
    }

    /// [`Query::matches`] with the search text already lowercased, so that a page lowercases it once, not once per
    /// entry.
    fn matches_lowercased(&self, e: &Entry, q: Option<&str>) -> bool {
        let m = &e.manifest;
        if let Some(c) = &self.category
            && &m.category != c
        {
            return false;
        }
        if let Some(mode) = &self.sign_on_mode
            && !m.sign_on_modes.contains(mode)
        {
            return false;
        }
        match q {
            None => true,
            Some(q) => {
                m.name.contains(q)
                    || contains_lowercased(&m.display_name, q)
                    || contains_lowercased(&m.description, q)
            }
        }
    }
}

/// Whether `haystack`, lowercased, contains `needle` (lowercased already). An ASCII haystack — nearly every name
/// and description — is compared in place, ignoring ASCII case, which is what `to_lowercase` does to ASCII text;
/// any other is lowercased into a copy first.
fn contains_lowercased(haystack: &str, needle: &str) -> bool {
    if !haystack.is_ascii() {
        return haystack.to_lowercase().contains(needle);
    }
    let Some((&first, rest)) = needle.as_bytes().split_first() else {
        return true;
    };
    // A lowercased needle has no ASCII capitals, and a non-ASCII byte of it matches nothing in an ASCII haystack.
    haystack
        .as_bytes()
        .windows(needle.len())
        .any(|w| w[0].to_ascii_lowercase() == first && w[1..].eq_ignore_ascii_case(rest))
}

/// One page of entries in name order after `after` (exclusive), at most `limit`; and whether more follow.
pub fn page<'a>(
    entries: impl IntoIterator<Item = &'a Arc<Entry>>,
    query: &Query,
    after: Option<&str>,
    limit: usize,
) -> (Vec<Arc<Entry>>, bool) {
    let q = query.q.as_deref().map(str::to_lowercase);
    let mut out: Vec<Arc<Entry>> = entries
        .into_iter()
        .filter(|e| after.is_none_or(|a| e.name() > a))
        .filter(|e| query.matches_lowercased(e, q.as_deref()))
        .take(limit + 1)
        .cloned()
        .collect();
    let more = out.len() > limit;
    out.truncate(limit);
    (out, more)
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// The schema test: every manifest in `catalog/` passes its checks, under its own name, once.
    #[test]
    fn every_manifest_passes_the_schema_and_its_templates_render() {
        let mut failures = Vec::new();
        let mut names = HashSet::new();
        for (stem, text) in builtin_files() {
            match Entry::from_text(text, Some(stem), true) {
                Ok(e) => {
                    assert!(names.insert(e.name().to_owned()), "{stem} twice");
                    // Every setup template renders with the example values and a made-up client.
                    let values = setup::Values::example(&e.manifest);
                    let vars = instance::example_variables(&e.manifest);
                    if let Err(p) = setup::render(&e.manifest, &vars, &values) {
                        failures.push(format!("catalog/{stem}.toml: {p}"));
                    }
                }
                Err(problems) => {
                    for p in problems {
                        let line = manifest::line_of(text, &p.path)
                            .map(|l| format!(":{l}"))
                            .unwrap_or_default();
                        failures.push(format!("catalog/{stem}.toml{line}: {p}"));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "\n{}", failures.join("\n"));
        assert!(
            builtin().len() >= 60,
            "at least 60 OpenID Connect integrations, not {}",
            builtin().len()
        );
        assert_eq!(builtin().len(), builtin_files().len());
    }

    /// An entry marked `proven` names the real-app test that proves it: some `tests/realapps/*.test.mjs` holds its
    /// key as a string.
    #[test]
    fn proven_entries_have_a_real_app_test() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/realapps");
        let tests: Vec<String> = std::fs::read_dir(&dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .filter(|e| e.file_name().to_string_lossy().ends_with(".test.mjs"))
                    .filter_map(|e| std::fs::read_to_string(e.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        let proven: Vec<&str> = builtin()
            .iter()
            .filter(|e| e.manifest.support == manifest::Support::Proven)
            .map(|e| e.name())
            .collect();
        for name in &proven {
            assert!(
                tests
                    .iter()
                    .any(|t| t.contains(&format!("'{name}'")) || t.contains(&format!("\"{name}\""))),
                "{name} is marked proven but no tests/realapps/*.test.mjs names it"
            );
        }
        assert!(
            proven.len() >= 4,
            "at least four entries proven against the real application: {proven:?}"
        );
    }

    #[test]
    fn a_search_ignores_case_as_to_lowercase_does() {
        let mut e = (**builtin_entry("grafana").expect("grafana")).clone();
        let hit = |e: &Entry, q: &str| {
            Query {
                q: Some(q.into()),
                ..Query::default()
            }
            .matches(e)
        };
        e.manifest.display_name = "Grafana OSS".into();
        e.manifest.description = "Dashboards for METRICS and Logs.".into();
        for (q, expected) in [
            ("graf", true),
            ("GRAFANA oss", true),
            ("metrics and", true),
            ("logs.", true),
            ("dashboards for metrics and logs.", true),
            ("dashboards for metrics and logs. ", false),
            ("loki", false),
            ("ä", false),
            ("", true),
        ] {
            assert_eq!(hit(&e, q), expected, "{q:?}");
        }
        // Text that is not ASCII is lowercased as a whole, as before: the Kelvin sign lowercases to an ASCII k.
        e.manifest.description = "Über \u{212A}eycloak".into();
        for (q, expected) in [
            ("über", true),
            ("ÜBER", true),
            ("keycloak", true),
            ("\u{212A}EYCLOAK", true),
            ("uber", false),
        ] {
            assert_eq!(hit(&e, q), expected, "{q:?}");
        }
        for (hay, needle) in [
            ("", "a"),
            ("a", "ab"),
            ("ab", "b"),
            ("ABC", "bc"),
            ("xAx", "a"),
        ] {
            assert_eq!(
                contains_lowercased(hay, needle),
                hay.to_lowercase().contains(needle),
                "{hay:?} {needle:?}"
            );
        }
    }

    #[test]
    fn entries_are_found_by_key_and_listed_by_page_and_query() {
        let grafana = builtin_entry("grafana").expect("grafana");
        assert_eq!(grafana.manifest.display_name, "Grafana");
        assert_eq!(grafana.revision.len(), 12);
        assert!(builtin_entry("nope").is_none());
        let (first, more) = page(builtin(), &Query::default(), None, 10);
        assert_eq!(first.len(), 10);
        assert!(more);
        let (next, _) = page(builtin(), &Query::default(), Some(first[9].name()), 10);
        assert!(next[0].name() > first[9].name());
        let q = Query {
            q: Some("GRAF".into()),
            ..Query::default()
        };
        let (found, more) = page(builtin(), &q, None, 10);
        assert!(!more);
        assert!(found.iter().any(|e| e.name() == "grafana"));
        let monitoring = Query {
            category: Some("monitoring".into()),
            ..Query::default()
        };
        let (found, _) = page(builtin(), &monitoring, None, 100);
        assert!(found.iter().all(|e| e.manifest.category == "monitoring"));
        assert!(!found.is_empty());
    }
}
