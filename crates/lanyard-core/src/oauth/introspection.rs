//! Token introspection (RFC 7662) for an authenticated client: access tokens are this server's own JWTs, checked
//! by signature, issuer, expiry and revocation (of the token or of its grant), and answered only to the client they
//! were issued to or to a resource server (an app with `resource_server: true`); refresh tokens are looked up by hash
//! and only their own client may introspect them. Anything else is `{"active": false}`.

use std::sync::Arc;

use async_trait::async_trait;

use serde_json::{Map, Value, json};

use crate::clock::Timestamp;
use crate::crypto::Jwk;
use crate::crypto::verify::UnverifiedJws;
use crate::model::App;
use crate::oauth::grants::storage;
use crate::oauth::tokens::{grant_of_jti, hash_of};
use crate::oauth_error::OAuthError;
use crate::store::{Store, StoreResult};

/// The server whose tokens are introspected.
pub struct OwnServer<'a> {
    pub id: &'a str,
    pub issuer: &'a str,
    /// Every published public key (ACTIVE, NEXT, recently EXPIRED).
    pub keys: &'a [Jwk],
    /// The tokens whose signature was verified with these keys already ([`NotRemembered`]: none).
    pub verified: &'a dyn VerifiedTokens,
}

/// Access tokens whose signature (and `typ`) was verified with one set of keys, and their claims. A node may remember
/// them while its keys do not change, and skip the signature check of a token seen again: a signature's validity
/// never changes for the same keys. Expiry, issuer and revocation are still checked each time.
pub trait VerifiedTokens: Send + Sync {
    fn get(&self, token: &str) -> Option<Arc<Map<String, Value>>>;
    fn put(&self, token: &str, claims: Arc<Map<String, Value>>);
}

/// Remembers nothing: every token's signature is checked.
pub struct NotRemembered;

impl VerifiedTokens for NotRemembered {
    fn get(&self, _token: &str) -> Option<Arc<Map<String, Value>>> {
        None
    }
    fn put(&self, _token: &str, _claims: Arc<Map<String, Value>>) {}
}

/// Answers whether access tokens are revoked: the store itself ([`StoreRevocations`]), or a node's batching of
/// concurrent questions into one read. Never a cache: a revocation made anywhere shows at the next question.
#[async_trait]
pub trait Revocations: Send + Sync {
    /// Whether the access token `jti` (of grant `grant_id`, if any) has been revoked, one way or the other.
    async fn revoked(&self, jti: &str, grant_id: Option<&str>) -> StoreResult<bool>;
}

/// One store read per question.
pub struct StoreRevocations<'a>(pub &'a dyn Store);

#[async_trait]
impl Revocations for StoreRevocations<'_> {
    async fn revoked(&self, jti: &str, grant_id: Option<&str>) -> StoreResult<bool> {
        self.0.access_token_revoked(jti, grant_id).await
    }
}

pub fn inactive() -> Value {
    json!({ "active": false })
}

/// The claims of one of this server's access tokens, verified and unexpired at `now`; revocation not checked.
pub fn verified_access_token(
    server: &OwnServer<'_>,
    token: &str,
    now: Timestamp,
) -> Option<Arc<Map<String, Value>>> {
    let c = match server.verified.get(token) {
        Some(c) => c,
        None => {
            let jws = UnverifiedJws::parse(token).ok()?;
            if jws.typ() != Some("at+jwt") {
                return None;
            }
            jws.verify(server.keys).ok()?;
            let c = Arc::new(jws.claims);
            server.verified.put(token, c.clone());
            c
        }
    };
    let exp = c.get("exp").and_then(Value::as_i64)?;
    if c.get("iss").and_then(Value::as_str) != Some(server.issuer) || exp <= now.timestamp() {
        return None;
    }
    Some(c)
}

pub async fn introspect(
    store: &dyn Store,
    revocations: &dyn Revocations,
    server: &OwnServer<'_>,
    caller: &App,
    token: &str,
    now: Timestamp,
) -> Result<Value, OAuthError> {
    if let Some(c) = verified_access_token(server, token, now) {
        // Only the client the token was issued to, or an API the administrator marked a resource server, learns
        // about it (RFC 7662 §4): to any other client it is as good as unknown.
        let own = c.get("cid").and_then(Value::as_str) == Some(caller.client.client_id.as_str());
        if !own && !caller.client.resource_server() {
            return Ok(inactive());
        }
        let jti = c.get("jti").and_then(Value::as_str).unwrap_or_default();
        if revocations
            .revoked(jti, grant_of_jti(jti))
            .await
            .map_err(storage)?
        {
            return Ok(inactive());
        }
        let scope = c
            .get("scp")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        let mut out = json!({
            "active": true,
            "token_type": "Bearer",
            "scope": scope,
            "client_id": c.get("cid"),
            "exp": c.get("exp"),
            "iat": c.get("iat"),
            "sub": c.get("sub"),
            "aud": c.get("aud"),
            "iss": c.get("iss"),
            "jti": c.get("jti"),
        });
        if let Some(uid) = c.get("uid") {
            out["uid"] = uid.clone();
            out["username"] = c.get("sub").cloned().unwrap_or(Value::Null);
        }
        if let Some(cnf) = c.get("cnf") {
            out["cnf"] = cnf.clone();
            out["token_type"] = json!("DPoP");
        }
        return Ok(out);
    }
    let Some((refresh, grant)) = store
        .refresh_token_grant(&hash_of(token))
        .await
        .map_err(storage)?
    else {
        return Ok(inactive());
    };
    let live = refresh.rotated_at.is_none()
        && refresh.expires_at > now
        && grant.revoked_at.is_none()
        && grant.expires_at > now
        && grant.auth_server_id == server.id
        && grant.client_id == caller.client.client_id;
    if !live {
        return Ok(inactive());
    }
    let mut out = json!({
        "active": true,
        "scope": grant.scopes.join(" "),
        "client_id": grant.client_id,
        "exp": refresh.expires_at.timestamp(),
        "iat": refresh.created.timestamp(),
        "iss": server.issuer,
    });
    if let Some(uid) = &grant.user_id {
        out["uid"] = json!(uid);
        if let Some(u) = store.user(uid).await.map_err(storage)? {
            out["sub"] = json!(u.login);
            out["username"] = json!(u.login);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;
    use crate::crypto::{SigningAlg, SigningKey};
    use crate::oauth::tokens::{AccessTokenInput, Issuer, mint_access_token};
    use crate::random::TestRandom;

    #[derive(Default)]
    struct Remembering(Mutex<HashMap<String, Arc<Map<String, Value>>>>);

    impl VerifiedTokens for Remembering {
        fn get(&self, token: &str) -> Option<Arc<Map<String, Value>>> {
            self.0.lock().unwrap().get(token).cloned()
        }
        fn put(&self, token: &str, claims: Arc<Map<String, Value>>) {
            self.0.lock().unwrap().insert(token.to_owned(), claims);
        }
    }

    fn app(client_id: &str, resource_server: bool) -> App {
        let settings = json!({"oauthClient": {"application_type": "service",
            "grant_types": ["client_credentials"], "resource_server": resource_server}});
        let client = crate::apps::client_from_body(
            &Map::new(),
            settings.as_object().unwrap(),
            client_id,
            None,
        )
        .unwrap();
        let now = crate::clock::from_millis(0);
        App {
            id: format!("0oa{client_id}"),
            name: "oidc_client".into(),
            label: client_id.into(),
            status: crate::model::LifecycleStatus::Active,
            sign_on_mode: "OPENID_CONNECT".into(),
            client,
            created: now,
            last_updated: now,
        }
    }

    /// A five-minute access token of client `c1` from server `s1`, signed with `key`.
    fn client_c1_token(key: &SigningKey, now: crate::clock::Timestamp) -> String {
        let aud = vec!["api://x".to_owned()];
        let iss = Issuer {
            issuer: "http://x/oauth2/s1",
            audiences: &aud,
            org_id: "00o1",
            access_token_key: key,
            id_token_key: key,
            pairwise: None,
        };
        mint_access_token(
            &iss,
            now,
            &TestRandom::default(),
            AccessTokenInput {
                client_id: "c1",
                user: None,
                scopes: &["read".into()],
                grant_id: None,
                lifetime: chrono::Duration::minutes(5),
                extra: Map::new(),
            },
        )
        .unwrap()
        .token
    }

    #[tokio::test]
    async fn access_tokens_are_described_to_their_client_and_resource_servers_only() {
        let key = SigningKey::generate(SigningAlg::ES256).unwrap();
        let now = crate::clock::from_millis(1_700_000_000_000);
        let token = client_c1_token(&key, now);
        let keys = [key.public_jwk().clone()];
        let server = OwnServer {
            id: "s1",
            issuer: "http://x/oauth2/s1",
            keys: &keys,
            verified: &NotRemembered,
        };
        let store = crate::store::memory::MemoryStore::new();
        let ask = |caller: App| {
            let (store, server, token) = (&store, &server, &token);
            async move {
                introspect(store, &StoreRevocations(store), server, &caller, token, now)
                    .await
                    .unwrap()
            }
        };
        let own = ask(app("c1", false)).await;
        assert_eq!(own["active"], true);
        assert_eq!(own["client_id"], "c1");
        assert_eq!(ask(app("c2", false)).await, inactive());
        let api = ask(app("c2", true)).await;
        assert_eq!(api["active"], true);
        assert_eq!(api["client_id"], "c1");
    }

    #[test]
    fn remembered_tokens_still_expire_and_only_verified_ones_are_remembered() {
        let key = SigningKey::generate(SigningAlg::ES256).unwrap();
        let now = crate::clock::from_millis(1_700_000_000_000);
        let token = client_c1_token(&key, now);
        let keys = [key.public_jwk().clone()];
        let memory = Remembering::default();
        let server = OwnServer {
            id: "s1",
            issuer: "http://x/oauth2/s1",
            keys: &keys,
            verified: &memory,
        };
        assert!(verified_access_token(&server, &token, now).is_some());
        assert_eq!(memory.0.lock().unwrap().len(), 1);
        // Remembered, and still checked for expiry and issuer.
        let later = now + chrono::Duration::minutes(6);
        assert!(verified_access_token(&server, &token, later).is_none());
        let elsewhere = OwnServer {
            issuer: "http://x/oauth2/s2",
            ..server
        };
        assert!(verified_access_token(&elsewhere, &token, now).is_none());
        // A forged token (another key, same kid) is neither accepted nor remembered.
        let other = SigningKey::generate(SigningAlg::ES256).unwrap();
        let (input, _) = token.rsplit_once('.').unwrap();
        let forged = format!(
            "{input}.{}",
            crate::random::b64url(&other.sign(input.as_bytes()).unwrap())
        );
        let server = OwnServer {
            id: "s1",
            issuer: "http://x/oauth2/s1",
            keys: &keys,
            verified: &memory,
        };
        assert!(verified_access_token(&server, &forged, now).is_none());
        assert_eq!(memory.0.lock().unwrap().len(), 1);
    }
}
