//! Cross-site request forgery on the hosted pages' forms: what a form's token is, and which requests may post one.
//!
//! - **The token is signed and bound.** The browser holds a random secret in an HttpOnly cookie (`__Host-` prefixed
//!   under https, so no subdomain can plant one); a form carries HMAC-SHA256, under a key derived from the master
//!   key, of that secret and of the browser's session (the SHA-256 of its session cookie, or nothing before
//!   sign-in). Nobody without the key can make a field for a cookie, so a planted cookie/field pair does not pass;
//!   and a form made before sign-in does not pass after it (the session changed, and the secret is replaced at
//!   sign-in too).
//! - **The browser says where a post comes from.** `Sec-Fetch-Site` other than `same-origin` (or `none`, typed by
//!   the user) refuses it; without that header, an `Origin` other than this server's does. A request with neither
//!   (an old browser, a test) relies on the token alone.

use aws_lc_rs::hmac;

use crate::crypto::{constant_time_eq, sha256};
use crate::random::b64url;

/// The label the CSRF key is derived from the master key with.
pub const KEY_LABEL: &str = "lanyard csrf v1";

/// The form field for a browser whose CSRF cookie holds `secret` and whose session cookie is `session` (if any).
pub fn field(key: &[u8; 32], secret: &str, session: Option<&str>) -> String {
    let k = hmac::Key::new(hmac::HMAC_SHA256, key);
    let mut ctx = hmac::Context::with_key(&k);
    ctx.update(b"csrf\0");
    ctx.update(&sha256(secret.as_bytes()));
    ctx.update(&session.map(|s| sha256(s.as_bytes())).unwrap_or([0; 32]));
    b64url(ctx.sign().as_ref())
}

/// Whether `presented` is the field for this cookie secret and session (constant time).
pub fn verify(key: &[u8; 32], secret: &str, session: Option<&str>, presented: &str) -> bool {
    !secret.is_empty()
        && constant_time_eq(field(key, secret, session).as_bytes(), presented.as_bytes())
}

/// Whether a state-changing post may come from where the browser says it comes from: `Sec-Fetch-Site` when sent
/// (`same-origin`, or `none` for a navigation the user made), else `Origin` when sent (this server's origin,
/// `own_origin` as `scheme://host[:port]`), else yes (the token decides).
pub fn same_origin_post(
    sec_fetch_site: Option<&str>,
    origin: Option<&str>,
    own_origin: &str,
) -> bool {
    match (sec_fetch_site, origin) {
        (Some(site), _) => matches!(site, "same-origin" | "none"),
        (None, Some(o)) => o == own_origin,
        (None, None) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn a_field_holds_for_its_cookie_and_session_only() {
        let f = field(&KEY, "secret", None);
        assert!(verify(&KEY, "secret", None, &f));
        // Another cookie, another session, another key, or the cookie's own value: refused.
        assert!(!verify(&KEY, "other", None, &f));
        assert!(
            !verify(&KEY, "secret", Some("sid"), &f),
            "a form from before sign-in"
        );
        assert!(!verify(&[8; 32], "secret", None, &f));
        assert!(
            !verify(&KEY, "secret", None, "secret"),
            "the double-submit of old"
        );
        assert!(
            !verify(&KEY, "", None, &field(&KEY, "", None)),
            "no cookie, no form"
        );
        let s = field(&KEY, "secret", Some("sid"));
        assert!(verify(&KEY, "secret", Some("sid"), &s));
        assert!(!verify(&KEY, "secret", Some("sid2"), &s));
    }

    #[test]
    fn posts_are_refused_when_the_browser_says_they_come_from_elsewhere() {
        let own = "https://id.example.com";
        assert!(same_origin_post(Some("same-origin"), Some(own), own));
        assert!(same_origin_post(Some("none"), None, own));
        for site in ["cross-site", "same-site"] {
            assert!(!same_origin_post(Some(site), Some(own), own), "{site}");
        }
        assert!(same_origin_post(None, Some(own), own));
        assert!(!same_origin_post(None, Some("https://evil.example"), own));
        assert!(!same_origin_post(None, Some("null"), own));
        assert!(same_origin_post(None, None, own), "the token decides");
    }
}
