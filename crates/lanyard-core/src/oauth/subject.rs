//! Subject identifiers (OIDC Core §8). A `public` client sees the user's id, as Okta's `sub`. A `pairwise` client
//! sees a value of its own sector: HMAC-SHA256 of the sector identifier and the user id, under a key derived from
//! the master key ([`PAIRWISE_KEY_LABEL`]), base64url — stable for the user and the sector, unrelated between
//! sectors, and not reversible without the key. The sector identifier is the host of the client's
//! `sector_identifier_uri`, else the host its redirect URIs share (checked when the client is saved).
//!
//! The pairwise `sub` is what ID tokens and userinfo carry. Access tokens keep Okta's shape (`sub` = the login,
//! `uid` = the user id) for resource servers, and introspection answers from the access token.

use aws_lc_rs::hmac;

use crate::apps::single_redirect_host;
use crate::model::{OAuthClient, SubjectType};
use crate::random::b64url;

/// The label [`crate::crypto::MasterKey::derive`] takes for the pairwise key.
pub const PAIRWISE_KEY_LABEL: &str = "lanyard pairwise subject v1";

/// What maps a user id to a pairwise client's `sub`: the client's sector and the key. `Debug` shows the sector.
#[derive(Clone, PartialEq, Eq)]
pub struct Pairwise {
    sector: String,
    key: [u8; 32],
}

impl std::fmt::Debug for Pairwise {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Pairwise({})", self.sector)
    }
}

impl Pairwise {
    pub fn new(sector: impl Into<String>, key: [u8; 32]) -> Self {
        Pairwise {
            sector: sector.into(),
            key,
        }
    }

    /// The client's `sub` for `user_id`.
    pub fn subject(&self, user_id: &str) -> String {
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.key);
        let mut ctx = hmac::Context::with_key(&key);
        ctx.update(self.sector.as_bytes());
        ctx.update(&[0]);
        ctx.update(user_id.as_bytes());
        b64url(ctx.sign().as_ref())
    }

    pub fn sector(&self) -> &str {
        &self.sector
    }
}

/// The sector identifier of a client (OIDC Core §8.1): the host of its `sector_identifier_uri`, else the host its
/// redirect URIs share, else (a client without redirect URIs) its client id.
pub fn sector_identifier(client: &OAuthClient) -> String {
    client
        .sector_identifier_uri()
        .and_then(|u| url::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(str::to_owned))
        .or_else(|| single_redirect_host(&client.redirect_uris))
        .unwrap_or_else(|| client.client_id.clone())
}

/// The pairwise mapping of `client`, if it registered `subject_type: pairwise`; `key` gives the derived key only
/// then (a public client costs nothing).
pub fn pairwise_for(client: &OAuthClient, key: impl FnOnce() -> [u8; 32]) -> Option<Pairwise> {
    (client.subject_type() == SubjectType::Pairwise)
        .then(|| Pairwise::new(sector_identifier(client), key()))
}

/// The `sub` a client sees for `user_id`.
pub fn subject_for(pairwise: Option<&Pairwise>, user_id: &str) -> String {
    match pairwise {
        Some(p) => p.subject(user_id),
        None => user_id.to_owned(),
    }
}

/// A `sub` a client sent back (an `id_token_hint`'s, a `claims` request's value), in the form that client sees
/// users: it names a user when [`subject_for`] gives it for them. A pairwise value cannot be turned back into a
/// user without trying every user, so only a public one gives the user id ([`ExpectedSubject::user_id`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedSubject {
    pub sub: String,
    pub pairwise: Option<Pairwise>,
}

impl ExpectedSubject {
    /// Whether the client's `sub` is `user_id`'s.
    pub fn names(&self, user_id: &str) -> bool {
        crate::crypto::constant_time_eq(
            subject_for(self.pairwise.as_ref(), user_id).as_bytes(),
            self.sub.as_bytes(),
        )
    }

    /// The user id, when the client sees users by their id.
    pub fn user_id(&self) -> Option<&str> {
        self.pairwise.is_none().then_some(self.sub.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn client(redirects: &[&str], extra: serde_json::Value) -> OAuthClient {
        let body = json!({"oauthClient": {"redirect_uris": redirects}});
        let mut settings = body.as_object().unwrap().clone();
        for (k, v) in extra.as_object().unwrap() {
            settings["oauthClient"][k] = v.clone();
        }
        crate::apps::client_from_body(&serde_json::Map::new(), &settings, "0oa1", None).unwrap()
    }

    #[test]
    fn pairwise_subjects_are_per_sector_and_stable() {
        let key = [7u8; 32];
        let a = client(
            &["https://a.example/cb", "https://a.example/other"],
            json!({"subject_type": "pairwise"}),
        );
        let p = pairwise_for(&a, || key).unwrap();
        assert_eq!(p.sector(), "a.example");
        assert_eq!(format!("{p:?}"), "Pairwise(a.example)");
        let sub = p.subject("00u1");
        assert_eq!(sub.len(), 43);
        assert_ne!(sub, "00u1");
        assert_eq!(sub, Pairwise::new("a.example", key).subject("00u1"));
        assert_ne!(sub, p.subject("00u2"), "per user");
        assert_ne!(
            sub,
            Pairwise::new("b.example", key).subject("00u1"),
            "per sector"
        );
        assert_ne!(
            sub,
            Pairwise::new("a.example", [8u8; 32]).subject("00u1"),
            "per key"
        );
        // A sector_identifier_uri decides the sector.
        let s = client(
            &["https://x.example/cb", "https://y.example/cb"],
            json!({"subject_type": "pairwise", "sector_identifier_uri": "https://s.example/ids.json"}),
        );
        assert_eq!(sector_identifier(&s), "s.example");
        // Public clients see the id; nothing is derived for them.
        let public = client(&["https://a.example/cb"], json!({}));
        assert!(pairwise_for(&public, || panic!("no key for public clients")).is_none());
        assert_eq!(subject_for(None, "00u1"), "00u1");
    }

    #[test]
    fn an_expected_subject_names_its_user_in_the_client_s_form() {
        let p = Pairwise::new("a.example", [1u8; 32]);
        let e = ExpectedSubject {
            sub: p.subject("00u1"),
            pairwise: Some(p),
        };
        assert!(e.names("00u1"));
        assert!(!e.names("00u2"));
        assert_eq!(e.user_id(), None);
        let public = ExpectedSubject {
            sub: "00u1".into(),
            pairwise: None,
        };
        assert!(public.names("00u1") && !public.names("00u2"));
        assert_eq!(public.user_id(), Some("00u1"));
    }
}
