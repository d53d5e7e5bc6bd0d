//! Where a browser may be sent back to on this server's own origin (`redirectUrl` at `/login/sessionCookieRedirect`,
//! `fromURI` at the sign-in pages and `/login/signout`): a decision made once, here, and the URL to send.
//!
//! The input comes from whoever wrote the link, so it is read the way the strictest reader would: a backslash (which
//! WHATWG parsers — browsers — read as `/`, so `http://host\@evil.example/` is `host` to one reader and
//! `evil.example` to another), a control character (a tab or newline that parsers silently drop) or surrounding
//! whitespace refuses it outright. What remains is either a path on this server (one leading `/`, resolved below the
//! base URL) or an absolute http(s) URL of exactly this origin, without user information. The answer is the parsed
//! URL's serialisation, never the raw input, so what is sent is what was checked.

/// Whether `input` may be read at all: not empty, no surrounding whitespace, no control character, no backslash.
fn readable(input: &str) -> bool {
    !input.is_empty()
        && input.trim() == input
        && !input.chars().any(|c| c.is_control() || c == '\\')
}

/// An absolute http(s) URL without user information, read as strictly as [`same_origin_target`] reads one: for
/// redirects to another origin an administrator trusts (Okta's trusted REDIRECT origins).
pub fn absolute_target(input: &str) -> Option<url::Url> {
    if !readable(input) {
        return None;
    }
    let u = url::Url::parse(input).ok()?;
    (matches!(u.scheme(), "http" | "https")
        && u.host().is_some()
        && u.username().is_empty()
        && u.password().is_none())
    .then_some(u)
}

/// The URL to redirect to for `input` if it stays on the origin of `base` (this server's base URL, without a
/// trailing slash), else `None`.
pub fn same_origin_target(base: &str, input: &str) -> Option<String> {
    let base_url = url::Url::parse(base).ok()?;
    if !readable(input) {
        return None;
    }
    let target = if input.starts_with('/') {
        if input.starts_with("//") {
            return None;
        }
        // A path is below the base URL (which may itself have a path, behind a reverse proxy).
        url::Url::parse(&format!("{}{input}", base.trim_end_matches('/'))).ok()?
    } else {
        url::Url::parse(input).ok()?
    };
    let same = matches!(target.scheme(), "http" | "https")
        && target.origin() == base_url.origin()
        && target.username().is_empty()
        && target.password().is_none();
    same.then(|| target.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "https://id.example.com";

    #[test]
    fn paths_and_urls_of_this_origin_go_as_their_serialisation() {
        let t = |s: &str| same_origin_target(BASE, s);
        assert_eq!(t("/app").as_deref(), Some("https://id.example.com/app"));
        assert_eq!(
            t("/oauth2/v1/authorize?client_id=a&state=%7B").as_deref(),
            Some("https://id.example.com/oauth2/v1/authorize?client_id=a&state=%7B")
        );
        assert_eq!(
            t("https://id.example.com/app?x=1").as_deref(),
            Some("https://id.example.com/app?x=1")
        );
        // Parsed and re-serialised: what is sent is what was checked.
        assert_eq!(
            t("HTTPS://ID.example.com:443/a/../app").as_deref(),
            Some("https://id.example.com/app")
        );
        assert_eq!(
            t("https://id.example.com/a b").as_deref(),
            Some("https://id.example.com/a%20b")
        );
        assert_eq!(
            t("/@evil.example").as_deref(),
            Some("https://id.example.com/@evil.example")
        );
        // Behind a reverse proxy, paths are below the base URL's path.
        assert_eq!(
            same_origin_target("http://127.0.0.1:8080/sso", "/app").as_deref(),
            Some("http://127.0.0.1:8080/sso/app")
        );
    }

    #[test]
    fn other_origins_and_ambiguous_spellings_are_refused() {
        for bad in [
            "",
            "\\\\evil.example",
            "\\evil.example",
            "/\\evil.example",
            "//evil.example",
            "///evil.example",
            "https://id.example.com\\@evil.example/",
            "https://id.example.com/\\evil.example",
            "https://evil.example/",
            "https://id.example.com.evil.example/",
            "https://id.example.com@evil.example/",
            "https://u:p@id.example.com/",
            "http://id.example.com/",
            "https://id.example.com:8443/",
            "/\t/evil.example",
            "/\n/evil.example",
            "/app\r\nSet-Cookie: a=b",
            "https://id.example.com/app\u{0}",
            "https://id.exa\tmple.com/",
            "https://id.example.com/\u{7f}",
            " /app",
            "/app ",
            "\t/app",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,x",
            "evil.example",
            "app",
            "?x=1",
            "#x",
        ] {
            assert_eq!(same_origin_target(BASE, bad), None, "{bad:?}");
        }
        assert_eq!(same_origin_target("not a url", "/app"), None);
    }
}
