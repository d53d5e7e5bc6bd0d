//! Trusted Origins (Okta's `/api/v1/trustedOrigins`): what a body means, and which web origins a browser may call
//! Lanyard from or be redirected to.
//!
//! - **CORS**: a single-page app runs on its own origin and calls the token, revocation, introspection, userinfo,
//!   device and PAR endpoints from JavaScript. Its origin may do so when an administrator trusts it for `CORS`, or
//!   when it is the origin of a redirect URI of an active `browser` app (the app's registration already names it:
//!   Okta asks for both, Lanyard takes the registration as enough for the OAuth endpoints). Credentials — the
//!   session cookie of `/api/v1/sessions/me` and the Authn API — are allowed only to trusted `CORS` origins.
//! - **REDIRECT**: `/login/sessionCookieRedirect?redirectUrl=` and `/login/signout?fromURI=` may send the browser to
//!   a trusted `REDIRECT` origin as well as to this server's own.

use std::collections::HashSet;

use serde_json::Value;

use crate::authz::fields::{Invalid, Reader};
use crate::clock::Timestamp;
use crate::id::{new_id, prefix};
use crate::model::{LifecycleStatus, TrustedOrigin};
use crate::random::Random;
use crate::store::{StoreError, TrustedOriginStore};

/// Why a change to the trusted origins did not happen.
#[derive(Debug)]
pub enum Refused {
    /// The body is not valid: a cause per problem.
    Invalid(Invalid),
    /// No trusted origin has this id.
    NotFound,
    /// Another trusted origin already holds this origin.
    Taken,
    Store(StoreError),
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(_) => Refused::Taken,
            e => Refused::Store(e),
        }
    }
}

/// Who changes the trusted origins, and when.
pub struct Change<'a> {
    pub by: &'a str,
    pub now: Timestamp,
}

/// Trusts a new origin (ACTIVE).
pub async fn create(
    store: &dyn TrustedOriginStore,
    random: &dyn Random,
    change: Change<'_>,
    body: &Value,
) -> Result<TrustedOrigin, Refused> {
    let b = read_body(body).map_err(Refused::Invalid)?;
    let origin = TrustedOrigin {
        id: new_id(prefix::TRUSTED_ORIGIN, change.now, random),
        name: b.name,
        origin: b.origin,
        cors: b.cors,
        redirect: b.redirect,
        status: LifecycleStatus::Active,
        created: change.now,
        created_by: change.by.to_owned(),
        last_updated: change.now,
        last_updated_by: change.by.to_owned(),
    };
    store.insert_trusted_origin(&origin).await?;
    Ok(origin)
}

/// Replaces a trusted origin's name, origin and scopes (its status stays).
pub async fn replace(
    store: &dyn TrustedOriginStore,
    change: Change<'_>,
    id: &str,
    body: &Value,
) -> Result<TrustedOrigin, Refused> {
    let current = store.trusted_origin(id).await?.ok_or(Refused::NotFound)?;
    let b = read_body(body).map_err(Refused::Invalid)?;
    let origin = TrustedOrigin {
        name: b.name,
        origin: b.origin,
        cors: b.cors,
        redirect: b.redirect,
        last_updated: change.now,
        last_updated_by: change.by.to_owned(),
        ..current
    };
    if !store.update_trusted_origin(&origin).await? {
        return Err(Refused::NotFound);
    }
    Ok(origin)
}

/// Activates or deactivates a trusted origin (an inactive one allows nothing).
pub async fn set_status(
    store: &dyn TrustedOriginStore,
    change: Change<'_>,
    id: &str,
    status: LifecycleStatus,
) -> Result<TrustedOrigin, Refused> {
    let current = store.trusted_origin(id).await?.ok_or(Refused::NotFound)?;
    let origin = TrustedOrigin {
        status,
        last_updated: change.now,
        last_updated_by: change.by.to_owned(),
        ..current
    };
    if !store.update_trusted_origin(&origin).await? {
        return Err(Refused::NotFound);
    }
    Ok(origin)
}

/// A trusted origin as a create or replace body gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub name: String,
    /// Normalised ([`normalise`]).
    pub origin: String,
    pub cors: bool,
    pub redirect: bool,
}

/// Reads `{"name", "origin", "scopes": [{"type": "CORS"|"REDIRECT"}]}` with a cause per problem.
pub fn read_body(body: &Value) -> Result<Body, Invalid> {
    let mut r = Reader::new(body);
    let name = r.string("name", true, 255);
    let origin = match r.string("origin", true, 2048) {
        Some(o) => match normalise(&o) {
            Ok(n) => Some(n),
            Err(why) => {
                r.fail("origin", why);
                None
            }
        },
        None => None,
    };
    let (mut cors, mut redirect) = (false, false);
    match r.raw("scopes") {
        None => r.fail("scopes", "is required: one or both of CORS and REDIRECT"),
        Some(Value::Array(items)) if !items.is_empty() => {
            for item in items {
                match item.get("type").and_then(Value::as_str) {
                    Some("CORS") => cors = true,
                    Some("REDIRECT") => redirect = true,
                    Some("IFRAME_EMBED") => r.fail(
                        "scopes",
                        "IFRAME_EMBED is not supported: Lanyard's pages are never shown in a frame",
                    ),
                    Some(other) => r.fail(
                        "scopes",
                        format!("type must be CORS or REDIRECT, not {other:?}"),
                    ),
                    None => r.fail(
                        "scopes",
                        "each scope must be an object with a type (CORS or REDIRECT)",
                    ),
                }
            }
        }
        Some(_) => r.fail(
            "scopes",
            "must be a non-empty array of {\"type\": \"CORS\"} and {\"type\": \"REDIRECT\"}",
        ),
    }
    match (name, origin) {
        (Some(name), Some(origin)) => r.finish(Body {
            name,
            origin,
            cors,
            redirect,
        }),
        _ => Err(r
            .finish(())
            .err()
            .unwrap_or_else(|| Invalid::one("body", "is not valid"))),
    }
}

/// An origin as browsers send it in `Origin`: `scheme://host[:port]`, lower case, the default port omitted. Only
/// http and https; no user, path (a lone `/` is dropped), query or fragment; no wildcard.
pub fn normalise(origin: &str) -> Result<String, &'static str> {
    if origin.contains('*') {
        return Err("wildcards are not supported: name each origin");
    }
    let u = url::Url::parse(origin.trim())
        .map_err(|_| "must be an origin such as https://app.example.com")?;
    if !matches!(u.scheme(), "http" | "https") {
        return Err("must use http or https");
    }
    if u.host().is_none() {
        return Err("must name a host");
    }
    if !u.username().is_empty() || u.password().is_some() {
        return Err("must not hold a user name or password");
    }
    if u.path() != "/" || u.query().is_some() || u.fragment().is_some() {
        return Err(
            "must be an origin only: scheme, host and port, without a path, query or fragment",
        );
    }
    Ok(u.origin().ascii_serialization())
}

/// Trusts an origin no more.
pub async fn delete(store: &dyn TrustedOriginStore, id: &str) -> Result<(), Refused> {
    if store.delete_trusted_origin(id).await? {
        Ok(())
    } else {
        Err(Refused::NotFound)
    }
}

/// The origins browsers may come from or go to, as every node keeps them ([`BrowserOrigins::build`]).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BrowserOrigins {
    /// May call the OAuth endpoints (no credentials): trusted CORS origins and browser apps' redirect origins.
    oauth: HashSet<String>,
    /// May call with the session cookie (`/api/v1/sessions/me`, the Authn API): trusted CORS origins only.
    credentialed: HashSet<String>,
    /// May be redirected to after sign-in or sign-out: trusted REDIRECT origins.
    redirect: HashSet<String>,
}

impl BrowserOrigins {
    /// From every trusted origin (inactive ones count for nothing) and the redirect URIs of every active `browser`
    /// app.
    pub fn build<'a>(
        trusted: &[TrustedOrigin],
        browser_redirect_uris: impl IntoIterator<Item = &'a str>,
    ) -> Self {
        let mut out = BrowserOrigins::default();
        for t in trusted
            .iter()
            .filter(|t| t.status == LifecycleStatus::Active)
        {
            if t.cors {
                out.oauth.insert(t.origin.clone());
                out.credentialed.insert(t.origin.clone());
            }
            if t.redirect {
                out.redirect.insert(t.origin.clone());
            }
        }
        for uri in browser_redirect_uris {
            if let Ok(u) = url::Url::parse(uri)
                && matches!(u.scheme(), "http" | "https")
                && u.host().is_some()
            {
                out.oauth.insert(u.origin().ascii_serialization());
            }
        }
        out
    }

    /// Whether a browser page on `origin` (an `Origin` header) may read the OAuth endpoints' answers.
    pub fn may_call_oauth(&self, origin: &str) -> bool {
        normalise(origin).is_ok_and(|o| self.oauth.contains(&o))
    }

    /// Whether it may also send the session cookie (and read the answer).
    pub fn may_call_with_session(&self, origin: &str) -> bool {
        normalise(origin).is_ok_and(|o| self.credentialed.contains(&o))
    }

    /// Where a redirect after sign-in or sign-out goes for `input` when it names a trusted REDIRECT origin: the
    /// parsed URL's serialisation (read as strictly as own-origin targets, [`crate::redirect::absolute_target`]).
    pub fn redirect_target(&self, input: &str) -> Option<String> {
        let u = crate::redirect::absolute_target(input)?;
        self.redirect
            .contains(&u.origin().ascii_serialization())
            .then(|| u.to_string())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::clock::from_millis;
    use crate::random::TestRandom;
    use crate::store::memory::MemoryStore;

    #[tokio::test]
    async fn origins_are_created_replaced_switched_and_held_once() {
        let store = MemoryStore::new();
        let random = TestRandom::default();
        let by = |n| Change {
            by: "00uadmin",
            now: from_millis(n),
        };
        let body =
            json!({"name": "SPA", "origin": "https://spa.example", "scopes": [{"type": "CORS"}]});
        let t = create(&store, &random, by(1), &body).await.unwrap();
        assert!(t.id.starts_with("tos") && t.id.len() == 20, "{}", t.id);
        assert_eq!(
            (t.cors, t.redirect, t.status),
            (true, false, LifecycleStatus::Active)
        );
        assert!(matches!(
            create(&store, &random, by(2), &body).await,
            Err(Refused::Taken)
        ));
        assert!(matches!(
            create(&store, &random, by(2), &json!({"name": "x"})).await,
            Err(Refused::Invalid(_))
        ));
        let off = set_status(&store, by(3), &t.id, LifecycleStatus::Inactive)
            .await
            .unwrap();
        let replaced = replace(
            &store,
            by(4),
            &t.id,
            &json!({"name": "SPA 2", "origin": "https://SPA2.example", "scopes": [{"type": "REDIRECT"}]}),
        )
        .await
        .unwrap();
        assert_eq!(replaced.origin, "https://spa2.example");
        assert_eq!((replaced.cors, replaced.redirect), (false, true));
        assert_eq!(
            replaced.status, off.status,
            "a replacement keeps the status"
        );
        assert_eq!(replaced.created, t.created);
        assert_eq!(replaced.last_updated, from_millis(4));
        assert!(matches!(
            replace(&store, by(5), "tosnope", &body).await,
            Err(Refused::NotFound)
        ));
        assert!(matches!(
            set_status(&store, by(5), "tosnope", LifecycleStatus::Active).await,
            Err(Refused::NotFound)
        ));
    }

    #[test]
    fn origins_are_normalised_and_anything_else_refused() {
        assert_eq!(
            normalise("https://App.Example.com").unwrap(),
            "https://app.example.com"
        );
        assert_eq!(
            normalise("https://app.example.com:443/").unwrap(),
            "https://app.example.com"
        );
        assert_eq!(
            normalise("http://127.0.0.1:5173").unwrap(),
            "http://127.0.0.1:5173"
        );
        for bad in [
            "https://app.example.com/path",
            "https://app.example.com?x=1",
            "https://app.example.com#f",
            "https://*.example.com",
            "ftp://app.example.com",
            "javascript:alert(1)",
            "null",
            "app.example.com",
            "https://user:pw@app.example.com",
            "",
        ] {
            assert!(normalise(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn bodies_are_read_with_a_cause_per_problem() {
        let b = read_body(&json!({"name": "SPA", "origin": "https://SPA.example",
            "scopes": [{"type": "CORS"}, {"type": "REDIRECT"}]}))
        .unwrap();
        assert_eq!(
            b,
            Body {
                name: "SPA".into(),
                origin: "https://spa.example".into(),
                cors: true,
                redirect: true
            }
        );
        let e = read_body(&json!({"origin": "https://x.example/p", "scopes": []})).unwrap_err();
        assert!(
            e.names("name") && e.names("origin") && e.names("scopes"),
            "{e}"
        );
        let e = read_body(&json!({"name": "x", "origin": "https://x.example",
            "scopes": [{"type": "IFRAME_EMBED"}]}))
        .unwrap_err();
        assert!(e.to_string().contains("never shown in a frame"), "{e}");
        assert!(read_body(&json!({"name": "x", "origin": "https://x.example"})).is_err());
        assert!(read_body(&json!([1])).is_err());
    }

    fn trusted(origin: &str, cors: bool, redirect: bool, status: LifecycleStatus) -> TrustedOrigin {
        TrustedOrigin {
            id: "tos1".into(),
            name: "t".into(),
            origin: origin.into(),
            cors,
            redirect,
            status,
            created: from_millis(0),
            created_by: "u".into(),
            last_updated: from_millis(0),
            last_updated_by: "u".into(),
        }
    }

    #[test]
    fn what_each_origin_may_do() {
        let set = BrowserOrigins::build(
            &[
                trusted(
                    "https://portal.example",
                    true,
                    false,
                    LifecycleStatus::Active,
                ),
                trusted("https://back.example", false, true, LifecycleStatus::Active),
                trusted(
                    "https://gone.example",
                    true,
                    true,
                    LifecycleStatus::Inactive,
                ),
            ],
            ["https://spa.example/callback", "com.example.app:/cb"],
        );
        assert!(set.may_call_oauth("https://portal.example"));
        assert!(set.may_call_with_session("https://portal.example"));
        // A browser app's redirect origin: the OAuth endpoints, never the session.
        assert!(set.may_call_oauth("https://spa.example"));
        assert!(!set.may_call_with_session("https://spa.example"));
        // REDIRECT alone is not CORS; inactive origins count for nothing.
        assert!(!set.may_call_oauth("https://back.example"));
        assert_eq!(
            set.redirect_target("https://BACK.example:443/after?x=1")
                .as_deref(),
            Some("https://back.example/after?x=1")
        );
        for refused in [
            "https://portal.example/",
            "https://gone.example/",
            "https://back.example\\@evil.example/",
            "https://user@back.example/",
            " https://back.example/",
            "https://back.example/\n",
            "//back.example/",
        ] {
            assert_eq!(set.redirect_target(refused), None, "{refused:?}");
        }
        assert!(!set.may_call_oauth("https://gone.example"));
        for other in [
            "null",
            "https://evil.example",
            "https://spa.example.evil",
            "",
        ] {
            assert!(!set.may_call_oauth(other), "{other}");
        }
    }
}
