//! The Content Security Policy of every HTML page Lanyard serves, written in one place: a strict default (scripts
//! and styles from this origin only, never inline; images from this origin; forms to this origin; no framing; no
//! `<base>`), widened only where a page needs it and only by what it needs — the origin of an app's logo, the
//! origin a form's answer redirects to, the frames of front-channel logout, one inline script by its hash.
//!
//! `form-action` deserves care: Chromium applies it not only to a form's `action` but to every redirect that
//! follows the submission. A sign-in form posts to this origin, and its answer redirects to the authorization
//! endpoint, which redirects to the app: the app's origin must be allowed on every page whose form continues an
//! authorization request, or the browser stops on Lanyard ([`Csp::forms_to`]).

use std::sync::LazyLock;

use axum::http::{HeaderValue, header};
use axum::response::Response;

/// Where a page's forms, and the redirects that answer them, may go besides this origin.
#[derive(Debug, Clone, PartialEq, Eq)]
enum FormAction {
    /// This origin, and these sources.
    SelfAnd(Vec<String>),
    /// Anywhere: a destination no CSP source expression can name (an IPv6 literal host); the page still
    /// refuses scripts, frames and the rest.
    Unrestricted,
}

/// Which scripts a page may run.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Scripts {
    /// None at all.
    None,
    /// Same-origin files (`/static/webauthn.js`).
    SameOrigin,
    /// Exactly one inline script, by its SHA-256 (base64).
    Inline(String),
}

/// A page's Content Security Policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Csp {
    scripts: Scripts,
    images: Vec<String>,
    forms: FormAction,
    frames: Vec<String>,
    styles: bool,
    /// Whether the page's script may fetch from this origin (`connect-src 'self'`).
    connect: bool,
}

impl Csp {
    /// The hosted pages' policy: scripts and styles from this origin, images from this origin (and `data:`),
    /// forms to this origin.
    pub fn page() -> Self {
        Csp {
            scripts: Scripts::SameOrigin,
            images: Vec::new(),
            forms: FormAction::SelfAnd(Vec::new()),
            frames: Vec::new(),
            styles: true,
            connect: false,
        }
    }

    /// The page's same-origin script may read from this origin (the admin console's live log tail re-reads its own
    /// page); nowhere else.
    pub fn connects_to_self(mut self) -> Self {
        self.connect = true;
        self
    }

    /// A page with no script at all.
    pub fn without_scripts(mut self) -> Self {
        self.scripts = Scripts::None;
        self
    }

    /// A page with no stylesheet (the self-submitting form of `form_post`).
    pub fn without_styles(mut self) -> Self {
        self.styles = false;
        self
    }

    /// Exactly one inline script, the one whose text is `script` (and no script file).
    pub fn inline_script(mut self, script: &str) -> Self {
        use base64::Engine;
        self.scripts = Scripts::Inline(
            base64::engine::general_purpose::STANDARD
                .encode(lanyard_core::crypto::sha256(script.as_bytes())),
        );
        self
    }

    /// Images from the origin of `url` too (an app's logo); nothing when it has none (not http or https).
    pub fn images_from(mut self, url: &str) -> Self {
        if let Some(origin) = web_origin(url) {
            push_once(&mut self.images, origin);
        }
        self
    }

    /// Frames from the origin of `url` (a front-channel logout URI).
    pub fn frames_from(mut self, url: &str) -> Self {
        if let Some(origin) = web_origin(url) {
            push_once(&mut self.frames, origin);
        }
        self
    }

    /// Forms (and the redirects that answer them) may go to where `url` points too: an app's registered redirect
    /// URI, a post-logout redirect URI. A private-use scheme (`com.example.app:/cb`) is allowed as a scheme;
    /// a destination no source expression names lifts the restriction on forms for this page only.
    pub fn forms_to(mut self, url: &str) -> Self {
        let FormAction::SelfAnd(sources) = &mut self.forms else {
            return self;
        };
        match target(url) {
            Target::Source(s) => push_once(sources, s),
            Target::Unnameable => self.forms = FormAction::Unrestricted,
            Target::Nowhere => {}
        }
        self
    }

    /// The header's value.
    pub fn value(&self) -> String {
        let mut out = String::from("default-src 'none'");
        match &self.scripts {
            Scripts::None => {}
            Scripts::SameOrigin => out.push_str("; script-src 'self'"),
            Scripts::Inline(hash) => {
                out.push_str("; script-src 'sha256-");
                out.push_str(hash);
                out.push('\'');
            }
        }
        if self.styles {
            out.push_str("; style-src 'self'");
        }
        if self.connect {
            out.push_str("; connect-src 'self'");
        }
        out.push_str("; img-src 'self' data:");
        for i in &self.images {
            out.push(' ');
            out.push_str(i);
        }
        if !self.frames.is_empty() {
            out.push_str("; frame-src");
            for f in &self.frames {
                out.push(' ');
                out.push_str(f);
            }
        }
        if let FormAction::SelfAnd(sources) = &self.forms {
            out.push_str("; form-action 'self'");
            for s in sources {
                out.push(' ');
                out.push_str(s);
            }
        }
        out.push_str("; frame-ancestors 'none'; base-uri 'none'");
        out
    }

    /// Sets the policy on a response (replacing any).
    pub fn apply(&self, r: &mut Response) {
        if let Ok(v) = HeaderValue::from_str(&self.value()) {
            r.headers_mut().insert(header::CONTENT_SECURITY_POLICY, v);
        }
    }

    /// [`Csp::apply`], by value.
    pub fn on(&self, mut r: Response) -> Response {
        self.apply(&mut r);
        r
    }
}

/// The default policy's header, for pages that set none.
pub static DEFAULT: LazyLock<HeaderValue> = LazyLock::new(|| {
    HeaderValue::from_str(&Csp::page().value()).unwrap_or(HeaderValue::from_static(
        "default-src 'none'; frame-ancestors 'none'",
    ))
});

fn push_once(list: &mut Vec<String>, item: String) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// The origin of an http(s) URL as a CSP host source (`https://app.example`, `http://127.0.0.1:5555`); `None` for
/// other schemes and for hosts a source expression cannot hold (IPv6 literals).
fn web_origin(url: &str) -> Option<String> {
    let u = url::Url::parse(url).ok()?;
    if !matches!(u.scheme(), "http" | "https") {
        return None;
    }
    match u.host()? {
        url::Host::Domain(_) | url::Host::Ipv4(_) => Some(u.origin().ascii_serialization()),
        url::Host::Ipv6(_) => None,
    }
}

/// What allows navigation to a URL.
enum Target {
    /// This source expression.
    Source(String),
    /// A place no source expression can name (an http URL on an IPv6 literal).
    Unnameable,
    /// Not a place a response goes to (not a URL, `javascript:`, …): nothing to allow.
    Nowhere,
}

/// The CSP source that allows navigation to `url`: its origin for http(s), its scheme (`com.example.app:`) for a
/// private-use scheme.
fn target(url: &str) -> Target {
    let Ok(u) = url::Url::parse(url) else {
        return Target::Nowhere;
    };
    match u.scheme() {
        "http" | "https" => match web_origin(url) {
            Some(origin) => Target::Source(origin),
            None if u.host().is_some() => Target::Unnameable,
            None => Target::Nowhere,
        },
        "javascript" | "data" | "blob" | "file" | "about" | "filesystem" => Target::Nowhere,
        // `Url` keeps only scheme characters (ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )), lowercased.
        scheme => Target::Source(format!("{scheme}:")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_is_strict() {
        assert_eq!(
            Csp::page().value(),
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        );
        assert_eq!(DEFAULT.to_str().unwrap(), Csp::page().value());
    }

    #[test]
    fn a_page_may_read_from_its_own_origin_and_only_when_it_asks() {
        assert!(!Csp::page().value().contains("connect-src"));
        assert_eq!(
            Csp::page().connects_to_self().value(),
            "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        );
    }

    #[test]
    fn forms_may_go_to_the_origin_a_flow_returns_to_and_nowhere_else() {
        let csp = Csp::page()
            .forms_to("https://app.example.test/callback?x=1")
            .forms_to("https://app.example.test/other")
            .forms_to("http://127.0.0.1:5555/cb");
        assert!(
            csp.value()
                .contains("; form-action 'self' https://app.example.test http://127.0.0.1:5555;"),
            "{}",
            csp.value()
        );
        // A native app's private-use scheme, as a scheme source.
        assert!(
            Csp::page()
                .forms_to("com.example.App:/callback")
                .value()
                .contains("form-action 'self' com.example.app:;")
        );
        // An IPv6 literal cannot be named: forms are not restricted on that page, everything else is.
        let v6 = Csp::page().forms_to("http://[::1]:5555/cb").value();
        assert!(!v6.contains("form-action"), "{v6}");
        assert!(v6.contains("frame-ancestors 'none'") && v6.contains("script-src 'self'"));
        // Nothing that is not a place to navigate to is ever added.
        for bad in ["javascript:alert(1)", "data:text/html,x", "not a url", ""] {
            assert_eq!(Csp::page().forms_to(bad), Csp::page(), "{bad}");
        }
    }

    #[test]
    fn images_frames_and_inline_scripts_are_added_by_origin_and_hash() {
        let csp = Csp::page()
            .images_from("https://cdn.example/logo.png")
            .images_from("javascript:x")
            .frames_from("https://rp.example/fcl?iss=x")
            .inline_script("go()")
            .without_styles();
        let v = csp.value();
        assert!(
            v.contains("img-src 'self' data: https://cdn.example;"),
            "{v}"
        );
        assert!(v.contains("frame-src https://rp.example;"), "{v}");
        assert!(v.contains("script-src 'sha256-"), "{v}");
        assert!(!v.contains("style-src"), "{v}");
        assert!(!v.contains("script-src 'self'"), "{v}");
    }
}
