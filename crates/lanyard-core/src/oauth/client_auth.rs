//! Client authentication at the token, introspection and revocation endpoints: `client_secret_basic` (credentials
//! URL-encoded before Base64, RFC 6749 §2.3.1), `client_secret_post`, `private_key_jwt` (RFC 7523, each assertion's
//! `jti` usable once, `exp` and `nbf` holding with 30 s of skew, a `client_id` sent along naming the same client) and
//! `none` for public clients. A client authenticates only by the method it registered (a `client_secret_basic` app
//! sending its secret in the body, or the reverse, fails). Every failure is the same `invalid_client` to the client;
//! the reason goes to the log.

use std::sync::Arc;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

use crate::apps::secret_matches;
use crate::clock::Timestamp;
use crate::crypto::Jwk;
use crate::crypto::verify::{LEEWAY_SECS, UnverifiedJws};
use crate::model::{App, ClientAuthMethod, ClientSecret, LifecycleStatus};
use crate::oauth::params::Params;
use crate::oauth_error::{ErrorCode, OAuthError};
use crate::store::{Store, StoreResult};

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// The parameters client authentication reads (every grant's whitelist includes them).
pub const PARAMS: &[&str] = &[
    "client_id",
    "client_secret",
    "client_assertion",
    "client_assertion_type",
];

/// The credentials a request carries.
#[derive(Clone, PartialEq, Eq)]
pub enum Presented {
    Secret {
        client_id: String,
        secret: String,
        basic: bool,
    },
    Assertion {
        assertion: String,
        /// The `client_id` parameter sent along, if any: it must name the assertion's client (RFC 7521 §4.2).
        client_id: Option<String>,
    },
    Public {
        client_id: String,
    },
    Missing,
}

impl std::fmt::Debug for Presented {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Presented::Secret {
                client_id, basic, ..
            } => {
                write!(f, "Secret({client_id}, basic: {basic})")
            }
            Presented::Assertion { .. } => f.write_str("Assertion"),
            Presented::Public { client_id } => write!(f, "Public({client_id})"),
            Presented::Missing => f.write_str("Missing"),
        }
    }
}

pub fn failed(detail: impl Into<String>) -> OAuthError {
    OAuthError::new(
        ErrorCode::InvalidClient,
        "Client authentication failed. Either the client or the client credentials are invalid.",
    )
    .with_detail(detail)
}

/// A Basic credential component, URL-decoded (RFC 6749 §2.3.1); `None` if malformed or holding a NUL character
/// (no client id or secret has one, and some stores cannot even compare it).
fn decode_component(s: &str) -> Option<String> {
    let plus_as_space = s.replace('+', " ");
    percent_decode(&plus_as_space).filter(|d| !d.contains('\0'))
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Reads the credentials of a request from its `Authorization` header and parameters. More than one method at
/// once is refused (RFC 6749 §2.3).
pub fn presented(authorization: Option<&str>, params: &Params) -> Result<Presented, OAuthError> {
    let basic = match authorization {
        Some(h) if h.len() > 6 && h[..6].eq_ignore_ascii_case("basic ") => {
            let raw = STANDARD
                .decode(h[6..].trim())
                .map_err(|_| failed("Basic credentials are not Base64"))?;
            let raw =
                String::from_utf8(raw).map_err(|_| failed("Basic credentials are not UTF-8"))?;
            // A public client may name itself with its client id alone, `id` or `id:` (okta-auth-js sends
            // `Basic base64(client_id)` to /introspect and /revoke for a client without a secret, as Okta accepts).
            let (id, secret) = raw.split_once(':').unwrap_or((&raw, ""));
            let id = decode_component(id).ok_or_else(|| failed("bad URL-encoding in client id"))?;
            let secret =
                decode_component(secret).ok_or_else(|| failed("bad URL-encoding in secret"))?;
            if id.is_empty() {
                return Err(failed("Basic credentials without a client id"));
            }
            Some((id, secret))
        }
        _ => None,
    };
    let body_secret = params.get("client_secret");
    let assertion = params.get("client_assertion");
    let methods = usize::from(basic.is_some())
        + usize::from(body_secret.is_some())
        + usize::from(assertion.is_some());
    if methods > 1 {
        return Err(OAuthError::new(
            ErrorCode::InvalidRequest,
            "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.",
        ));
    }
    if let Some((client_id, secret)) = basic {
        if params.get("client_id").is_some_and(|id| id != client_id) {
            return Err(failed(
                "client_id in the body differs from Basic credentials",
            ));
        }
        if secret.is_empty() {
            return Ok(Presented::Public { client_id });
        }
        return Ok(Presented::Secret {
            client_id,
            secret,
            basic: true,
        });
    }
    if let Some(assertion) = assertion {
        if params.get("client_assertion_type") != Some(JWT_BEARER) {
            return Err(OAuthError::new(
                ErrorCode::InvalidRequest,
                format!("client_assertion_type must be {JWT_BEARER}."),
            ));
        }
        return Ok(Presented::Assertion {
            assertion: assertion.to_owned(),
            client_id: params.get("client_id").map(str::to_owned),
        });
    }
    match (params.get("client_id"), body_secret) {
        (Some(id), Some(secret)) => Ok(Presented::Secret {
            client_id: id.to_owned(),
            secret: secret.to_owned(),
            basic: false,
        }),
        (Some(id), None) => Ok(Presented::Public {
            client_id: id.to_owned(),
        }),
        (None, Some(_)) => Err(failed("client_secret without client_id")),
        (None, None) => Ok(Presented::Missing),
    }
}

/// Where a client's public keys come from (its registered JWKS, or its `jwks_uri` fetched by the server).
#[async_trait]
pub trait ClientKeys: Send + Sync {
    /// The app's public keys; `kid` is the one an assertion names, if it names one (a cache may fetch again).
    async fn keys(&self, app: &App, kid: Option<&str>) -> Result<Vec<Jwk>, OAuthError>;
}

/// A client as client authentication reads it: the app and, when it authenticates with a secret, its secrets (their
/// hashes and statuses).
#[derive(Debug, Clone)]
pub struct KnownClient {
    pub app: App,
    pub secrets: Vec<ClientSecret>,
}

/// Where client authentication finds clients: the store itself ([`StoreClients`]), or a cache in front of it.
#[async_trait]
pub trait ClientDirectory: Send + Sync {
    /// The app whose client id is `client_id`, with its secrets if it uses one; `None` if there is no such app.
    async fn client(&self, client_id: &str) -> StoreResult<Option<Arc<KnownClient>>>;
}

/// Reads every client from the store: one read for the app, one for its secrets.
pub struct StoreClients<'a>(pub &'a dyn Store);

#[async_trait]
impl ClientDirectory for StoreClients<'_> {
    async fn client(&self, client_id: &str) -> StoreResult<Option<Arc<KnownClient>>> {
        load_client(self.0, client_id)
            .await
            .map(|c| c.map(Arc::new))
    }
}

/// The app with client id `client_id` and, if it authenticates with a secret, its secrets, from the store.
pub async fn load_client(store: &dyn Store, client_id: &str) -> StoreResult<Option<KnownClient>> {
    let Some(app) = store.app_by_client_id(client_id).await? else {
        return Ok(None);
    };
    let secrets = if app.client.token_endpoint_auth_method.uses_secret() {
        store.client_secrets(&app.id).await?
    } else {
        Vec::new()
    };
    Ok(Some(KnownClient { app, secrets }))
}

/// The registered keys only (no fetching).
pub struct RegisteredKeys;

#[async_trait]
impl ClientKeys for RegisteredKeys {
    async fn keys(&self, app: &App, _kid: Option<&str>) -> Result<Vec<Jwk>, OAuthError> {
        Ok(app
            .client
            .jwks
            .as_ref()
            .map(crate::crypto::verify::jwks_keys)
            .unwrap_or_default())
    }
}

/// The longest a client assertion may live: its `jti` is remembered that long.
const MAX_ASSERTION_LIFETIME: i64 = 3600;

/// Authenticates the client: the active app it is (with its secrets, shared with `clients`). `clients` finds the app and its secrets; `store` records client
/// assertions' `jti`. `audiences` are the values a client assertion's `aud` may hold (the endpoint URL, the token
/// endpoint URL, the issuer).
pub async fn authenticate(
    store: &dyn Store,
    clients: &dyn ClientDirectory,
    keys: &dyn ClientKeys,
    presented: &Presented,
    audiences: &[String],
    now: Timestamp,
) -> Result<Arc<KnownClient>, OAuthError> {
    // A client assertion is parsed once: its `sub` names the client, its `kid` the key.
    let assertion = match presented {
        Presented::Assertion { assertion, .. } => {
            Some(UnverifiedJws::parse(assertion).map_err(|e| failed(format!("assertion: {e}")))?)
        }
        _ => None,
    };
    let claimed_id = match (presented, &assertion) {
        (Presented::Secret { client_id, .. } | Presented::Public { client_id }, _) => {
            client_id.clone()
        }
        (_, Some(jws)) => jws
            .claims
            .get("sub")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .ok_or_else(|| failed("client assertion without sub"))?,
        _ => return Err(failed("no client credentials")),
    };
    // RFC 7521 §4.2, RFC 7523 §3: a `client_id` sent with an assertion names the same client (whose `iss` and `sub`
    // are then checked to be it).
    if let Presented::Assertion {
        client_id: Some(named),
        ..
    } = presented
        && *named != claimed_id
    {
        return Err(failed(format!(
            "client_id {named} differs from the assertion's sub {claimed_id}"
        )));
    }
    let known = clients
        .client(&claimed_id)
        .await
        .map_err(|e| {
            OAuthError::new(
                ErrorCode::ServerError,
                "The server could not check the client.",
            )
            .with_detail(e.to_string())
        })?
        .ok_or_else(|| failed(format!("unknown client {claimed_id}")))?;
    let app = &known.app;
    if app.status != LifecycleStatus::Active {
        return Err(failed(format!("client {claimed_id} is inactive")));
    }
    let method = app.client.token_endpoint_auth_method;
    match presented {
        Presented::Secret { secret, basic, .. } => {
            if !method.uses_secret() {
                return Err(failed(format!("client {claimed_id} does not use a secret")));
            }
            // As Okta: only the method the app registered, not the other way of sending the same secret.
            let sent = if *basic {
                ClientAuthMethod::ClientSecretBasic
            } else {
                ClientAuthMethod::ClientSecretPost
            };
            if sent != method {
                return Err(failed(format!(
                    "client {claimed_id} uses {}, not {}",
                    method.as_str(),
                    sent.as_str()
                )));
            }
            if !secret_matches(secret, &known.secrets) {
                return Err(failed(format!("wrong secret for client {claimed_id}")));
            }
        }
        Presented::Public { .. } => {
            if method != ClientAuthMethod::None {
                return Err(failed(format!(
                    "client {claimed_id} is confidential but sent no credentials"
                )));
            }
        }
        Presented::Assertion { .. } | Presented::Missing => {
            if method != ClientAuthMethod::PrivateKeyJwt {
                return Err(failed(format!(
                    "client {claimed_id} does not use private_key_jwt"
                )));
            }
            let Some(jws) = &assertion else {
                return Err(failed("no client credentials"));
            };
            check_assertion(store, keys, app, jws, audiences, now).await?;
        }
    }
    Ok(known)
}

/// An assertion's claims are checked before its keys are sought: an assertion that could not pass anyway — another
/// client's, another audience's, expired, not valid yet, without a `jti` — never makes Lanyard fetch a `jwks_uri`.
/// Its `jti` is recorded only once the signature holds, so forged assertions cannot spend a client's `jti`s.
async fn check_assertion(
    store: &dyn Store,
    keys: &dyn ClientKeys,
    app: &App,
    jws: &UnverifiedJws<'_>,
    audiences: &[String],
    now: Timestamp,
) -> Result<(), OAuthError> {
    let c = &jws.claims;
    let s = |k: &str| c.get(k).and_then(Value::as_str);
    let id = app.client.client_id.as_str();
    if s("iss") != Some(id) || s("sub") != Some(id) {
        return Err(failed("assertion iss and sub must be the client id"));
    }
    let aud_ok = match c.get("aud") {
        Some(Value::String(a)) => audiences.contains(a),
        Some(Value::Array(list)) => list
            .iter()
            .filter_map(Value::as_str)
            .any(|a| audiences.iter().any(|x| x == a)),
        _ => false,
    };
    if !aud_ok {
        return Err(failed("assertion aud is not this endpoint"));
    }
    let exp = c
        .get("exp")
        .and_then(Value::as_i64)
        .ok_or_else(|| failed("assertion without exp"))?;
    let now_s = now.timestamp();
    if exp <= now_s - LEEWAY_SECS {
        return Err(failed("assertion expired"));
    }
    match c.get("nbf") {
        None => {}
        Some(v) => match v.as_i64() {
            Some(nbf) if nbf <= now_s.saturating_add(LEEWAY_SECS) => {}
            Some(_) => return Err(failed("assertion not valid yet (nbf)")),
            None => return Err(failed("assertion nbf is not a number")),
        },
    }
    if exp > now_s + MAX_ASSERTION_LIFETIME {
        return Err(failed("assertion lives too long"));
    }
    let jti = s("jti").ok_or_else(|| failed("assertion without jti"))?;
    let client_keys = keys.keys(app, jws.kid()).await?;
    jws.verify(&client_keys)
        .map_err(|e| failed(format!("assertion signature: {e}")))?;
    let key = format!("assertion:{id}:{jti}");
    let until = crate::clock::from_millis((exp + 60) * 1000);
    let first = store.record_jti(&key, until).await.map_err(|e| {
        OAuthError::new(
            ErrorCode::ServerError,
            "The server could not check the client.",
        )
        .with_detail(e.to_string())
    })?;
    if !first {
        return Err(failed("assertion jti replayed"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    #[test]
    fn basic_credentials_are_url_decoded() {
        let p = Params::default();
        let got = presented(Some(&basic("my%20client", "s%3Acret+x")), &p).unwrap();
        assert_eq!(
            got,
            Presented::Secret {
                client_id: "my client".into(),
                secret: "s:cret x".into(),
                basic: true
            }
        );
        assert!(presented(Some("Basic !!!"), &p).is_err());
        // A public client names itself alone: `id` or `id:` (okta-auth-js at /introspect and /revoke).
        for raw in ["spa%20id", "spa%20id:"] {
            let header = format!("Basic {}", STANDARD.encode(raw));
            assert_eq!(
                presented(Some(&header), &p).unwrap(),
                Presented::Public {
                    client_id: "spa id".into()
                }
            );
        }
        assert!(presented(Some(&format!("Basic {}", STANDARD.encode(":s"))), &p).is_err());
        assert_eq!(presented(Some("Bearer x"), &p).unwrap(), Presented::Missing);
    }

    #[test]
    fn one_method_at_a_time() {
        let p = Params::parse(b"client_id=a&client_secret=b").unwrap();
        assert_eq!(
            presented(Some(&basic("a", "b")), &p).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        assert!(matches!(
            presented(None, &p).unwrap(),
            Presented::Secret { basic: false, .. }
        ));
        let p = Params::parse(b"client_id=a").unwrap();
        assert_eq!(
            presented(None, &p).unwrap(),
            Presented::Public {
                client_id: "a".into()
            }
        );
        let p = Params::parse(b"client_assertion=x.y.z").unwrap();
        assert_eq!(
            presented(None, &p).unwrap_err().code,
            ErrorCode::InvalidRequest
        );
        let p = Params::parse(
            format!("client_assertion=x.y.z&client_assertion_type={JWT_BEARER}").as_bytes(),
        )
        .unwrap();
        assert!(matches!(
            presented(None, &p).unwrap(),
            Presented::Assertion { .. }
        ));
    }

    mod assertions {
        use super::super::*;
        use crate::crypto::{SigningAlg, SigningKey, jws};
        use crate::model::LifecycleStatus;
        use crate::random::b64url;
        use crate::store::memory::MemoryStore;
        use serde_json::json;

        const AUD: &str = "https://id.example/oauth2/default/v1/token";

        struct OneClient(Arc<KnownClient>);

        #[async_trait]
        impl ClientDirectory for OneClient {
            async fn client(&self, client_id: &str) -> StoreResult<Option<Arc<KnownClient>>> {
                Ok((self.0.app.client.client_id == client_id).then(|| self.0.clone()))
            }
        }

        fn client(key: &SigningKey) -> OneClient {
            let credentials =
                json!({"oauthClient": {"token_endpoint_auth_method": "private_key_jwt"}});
            let settings = json!({"oauthClient": {"application_type": "service",
                "grant_types": ["client_credentials"], "jwks": {"keys": [key.public_jwk()]}}});
            let client = crate::apps::client_from_body(
                credentials.as_object().unwrap(),
                settings.as_object().unwrap(),
                "svc",
                None,
            )
            .unwrap();
            let now = crate::clock::from_millis(0);
            OneClient(Arc::new(KnownClient {
                app: App {
                    id: "0oa1".into(),
                    name: "oidc_client".into(),
                    label: "Svc".into(),
                    status: LifecycleStatus::Active,
                    sign_on_mode: "OPENID_CONNECT".into(),
                    client,
                    created: now,
                    last_updated: now,
                },
                secrets: vec![],
            }))
        }

        fn now() -> Timestamp {
            crate::clock::from_millis(1_700_000_000_000)
        }

        fn claims(jti: &str) -> Value {
            let t = now().timestamp();
            json!({"iss": "svc", "sub": "svc", "aud": AUD, "jti": jti, "iat": t, "exp": t + 300})
        }

        async fn check(
            store: &MemoryStore,
            clients: &OneClient,
            form: &str,
        ) -> Result<Arc<KnownClient>, OAuthError> {
            let params = Params::parse(form.as_bytes()).unwrap();
            let presented = presented(None, &params)?;
            authenticate(
                store,
                clients,
                &RegisteredKeys,
                &presented,
                &[AUD.to_owned()],
                now(),
            )
            .await
        }

        fn form(assertion: &str) -> String {
            format!("client_assertion_type={JWT_BEARER}&client_assertion={assertion}")
        }

        /// Keys that count how often they are asked for.
        struct CountingKeys(std::sync::atomic::AtomicUsize);

        #[async_trait]
        impl ClientKeys for CountingKeys {
            async fn keys(&self, app: &App, kid: Option<&str>) -> Result<Vec<Jwk>, OAuthError> {
                self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                RegisteredKeys.keys(app, kid).await
            }
        }

        /// An assertion that could not pass anyway never makes Lanyard seek the client's keys (a `jwks_uri` fetch
        /// anyone could trigger), and a forged one spends no `jti`.
        #[tokio::test]
        async fn keys_are_sought_only_for_assertions_that_could_pass() {
            let key = SigningKey::generate(SigningAlg::ES256).unwrap();
            let other = SigningKey::generate(SigningAlg::ES256).unwrap();
            let clients = client(&key);
            let store = MemoryStore::new();
            let keys = CountingKeys(Default::default());
            let try_with = |signer: &SigningKey, c: Value| {
                let form = form(&jws::sign(signer, None, &c).unwrap());
                let params = Params::parse(form.as_bytes()).unwrap();
                let presented = presented(None, &params).unwrap();
                (presented, params)
            };
            let t = now().timestamp();
            let mut cannot_pass = Vec::new();
            for (k, v) in [
                ("aud", json!("https://elsewhere.example/token")),
                ("exp", json!(t - 600)),
                ("nbf", json!(t + 600)),
                ("iss", json!("someone-else")),
            ] {
                let mut c = claims("x");
                c[k] = v;
                cannot_pass.push(c);
            }
            let mut no_jti = claims("x");
            no_jti.as_object_mut().unwrap().remove("jti");
            cannot_pass.push(no_jti);
            for c in cannot_pass {
                let (presented, _) = try_with(&key, c.clone());
                let r = authenticate(
                    &store,
                    &clients,
                    &keys,
                    &presented,
                    &[AUD.to_owned()],
                    now(),
                )
                .await;
                assert!(r.is_err(), "{c}");
            }
            assert_eq!(
                keys.0.load(std::sync::atomic::Ordering::SeqCst),
                0,
                "no key sought"
            );
            // A well-formed forgery needs the keys to be found out, and spends nothing: the real one still works.
            let (forged, _) = try_with(&other, claims("j1"));
            assert!(
                authenticate(&store, &clients, &keys, &forged, &[AUD.to_owned()], now())
                    .await
                    .is_err()
            );
            let (real, _) = try_with(&key, claims("j1"));
            assert!(
                authenticate(&store, &clients, &keys, &real, &[AUD.to_owned()], now())
                    .await
                    .is_ok()
            );
            assert_eq!(keys.0.load(std::sync::atomic::Ordering::SeqCst), 2);
        }

        #[tokio::test]
        async fn assertions_not_yet_valid_or_with_critical_extensions_are_refused() {
            let key = SigningKey::generate(SigningAlg::ES256).unwrap();
            let clients = client(&key);
            let store = MemoryStore::new();
            let sign = |c: &Value| jws::sign(&key, None, c).unwrap();
            check(&store, &clients, &form(&sign(&claims("ok"))))
                .await
                .expect("a valid assertion");
            // `nbf` within the clock skew passes; beyond it, not yet.
            let mut soon = claims("soon");
            soon["nbf"] = json!(now().timestamp() + 10);
            check(&store, &clients, &form(&sign(&soon)))
                .await
                .expect("nbf within the skew");
            let mut later = claims("later");
            later["nbf"] = json!(now().timestamp() + 600);
            let e = check(&store, &clients, &form(&sign(&later)))
                .await
                .unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidClient);
            let mut odd = claims("odd");
            odd["nbf"] = json!("tomorrow");
            assert!(check(&store, &clients, &form(&sign(&odd))).await.is_err());
            // RFC 7515 §4.1.11: an extension marked critical that Lanyard does not understand (it understands none).
            let header = json!({"alg": "ES256", "kid": key.kid(), "crit": ["urn:x:policy"], "urn:x:policy": 1});
            let input = format!(
                "{}.{}",
                b64url(header.to_string().as_bytes()),
                b64url(claims("crit").to_string().as_bytes())
            );
            let jwt = format!("{input}.{}", b64url(&key.sign(input.as_bytes()).unwrap()));
            let e = check(&store, &clients, &form(&jwt)).await.unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidClient);
        }

        #[tokio::test]
        async fn a_client_id_parameter_must_name_the_assertion_s_client() {
            let key = SigningKey::generate(SigningAlg::ES256).unwrap();
            let clients = client(&key);
            let store = MemoryStore::new();
            let sign = |c: &Value| jws::sign(&key, None, c).unwrap();
            check(
                &store,
                &clients,
                &format!("client_id=svc&{}", form(&sign(&claims("same")))),
            )
            .await
            .expect("the same client");
            let e = check(
                &store,
                &clients,
                &format!("client_id=other&{}", form(&sign(&claims("other")))),
            )
            .await
            .unwrap_err();
            assert_eq!(e.code, ErrorCode::InvalidClient);
        }
    }

    /// Okta accepts only the method an app registered: a secret sent the other way is a failed authentication.
    #[tokio::test]
    async fn a_secret_is_accepted_only_the_way_the_app_registered() {
        use crate::model::LifecycleStatus;
        use crate::random::TestRandom;
        use crate::store::memory::MemoryStore;
        use serde_json::json;

        struct OneClient(Arc<KnownClient>);

        #[async_trait]
        impl ClientDirectory for OneClient {
            async fn client(&self, client_id: &str) -> StoreResult<Option<Arc<KnownClient>>> {
                Ok((self.0.app.client.client_id == client_id).then(|| self.0.clone()))
            }
        }

        let secret = crate::apps::mint_secret(&TestRandom::default());
        let now = crate::clock::from_millis(0);
        let known = |method: &str| {
            let credentials = json!({"oauthClient": {"token_endpoint_auth_method": method}});
            let settings = json!({"oauthClient": {"application_type": "service",
                "grant_types": ["client_credentials"]}});
            let client = crate::apps::client_from_body(
                credentials.as_object().unwrap(),
                settings.as_object().unwrap(),
                "svc",
                None,
            )
            .unwrap();
            OneClient(Arc::new(KnownClient {
                app: App {
                    id: "0oa1".into(),
                    name: "oidc_client".into(),
                    label: "Svc".into(),
                    status: LifecycleStatus::Active,
                    sign_on_mode: "OPENID_CONNECT".into(),
                    client,
                    created: now,
                    last_updated: now,
                },
                secrets: vec![ClientSecret {
                    id: "ocs1".into(),
                    app_id: "0oa1".into(),
                    hash: secret.hash,
                    prefix: secret.prefix.clone(),
                    status: LifecycleStatus::Active,
                    created: now,
                    last_updated: now,
                }],
            }))
        };
        let store = MemoryStore::new();
        let by_basic = presented(Some(&basic("svc", &secret.value)), &Params::default()).unwrap();
        let by_post = presented(
            None,
            &Params::parse(format!("client_id=svc&client_secret={}", secret.value).as_bytes())
                .unwrap(),
        )
        .unwrap();
        for (method, way, ok) in [
            ("client_secret_basic", &by_basic, true),
            ("client_secret_basic", &by_post, false),
            ("client_secret_post", &by_post, true),
            ("client_secret_post", &by_basic, false),
        ] {
            let r = authenticate(&store, &known(method), &RegisteredKeys, way, &[], now).await;
            match (ok, r) {
                (true, Ok(_)) => {}
                (false, Err(e)) => assert_eq!(e.code, ErrorCode::InvalidClient, "{method} {way:?}"),
                (ok, r) => panic!("{method} {way:?}: expected ok={ok}, got {r:?}"),
            }
        }
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let p = Presented::Secret {
            client_id: "c".into(),
            secret: "topsecret".into(),
            basic: true,
        };
        assert!(!format!("{p:?}").contains("topsecret"));
    }
}
