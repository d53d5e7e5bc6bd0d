//! Minting what the token endpoint returns: access tokens as JWTs in Okta's shape (RFC 9068 `typ`; `ver`, `jti`,
//! `iss`, `aud`, `iat`, `exp`, `cid`, `uid`, `scp`, `sub`; never `nbf`), ID tokens (OIDC Core §2), and opaque
//! values (codes, refresh tokens: 256 random bits, stored by SHA-256 only).

use chrono::Duration;
use serde_json::{Map, Value, json};

use crate::clock::Timestamp;
use crate::crypto::{SigningAlg, SigningKey, jws, sha256};
use crate::model::{ClaimsRequest, User};
use crate::oauth_error::{ErrorCode, OAuthError};
use crate::random::{Random, b64url};

/// The authorization server issuing, as the core sees it.
pub struct Issuer<'a> {
    /// `iss`.
    pub issuer: &'a str,
    /// Access tokens' `aud`: the server's audiences (the org server: the base URL).
    pub audiences: &'a [String],
    /// The org's id, ID tokens' `idp`.
    pub org_id: &'a str,
    pub access_token_key: &'a SigningKey,
    pub id_token_key: &'a SigningKey,
    /// The client's pairwise mapping when it registered `subject_type: pairwise`: its ID tokens' `sub`.
    pub pairwise: Option<super::subject::Pairwise>,
}

impl Issuer<'_> {
    /// The `sub` of the client's ID tokens for `user_id` (OIDC Core §8).
    pub fn subject(&self, user_id: &str) -> String {
        super::subject::subject_for(self.pairwise.as_ref(), user_id)
    }
}

/// An opaque secret: the value handed out and the hash stored.
pub struct Opaque {
    pub value: String,
    pub hash: [u8; 32],
}

impl std::fmt::Debug for Opaque {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Opaque({}…)", &self.value[..4.min(self.value.len())])
    }
}

/// 256 random bits, base64url.
pub fn opaque(random: &dyn Random) -> Opaque {
    let mut bytes = [0u8; 32];
    random.fill(&mut bytes);
    let value = b64url(&bytes);
    Opaque {
        hash: sha256(value.as_bytes()),
        value,
    }
}

pub fn hash_of(value: &str) -> [u8; 32] {
    sha256(value.as_bytes())
}

fn signing_failed(e: impl std::fmt::Display) -> OAuthError {
    OAuthError::new(
        ErrorCode::ServerError,
        "The server could not sign the token.",
    )
    .with_detail(e.to_string())
}

/// What an access token is about.
pub struct AccessTokenInput<'a> {
    pub client_id: &'a str,
    /// None for client credentials (`sub` = the client id).
    pub user: Option<&'a User>,
    pub scopes: &'a [String],
    /// The grant whose revocation ends the token (user grants).
    pub grant_id: Option<&'a str>,
    pub lifetime: Duration,
    /// `cnf` for sender-constrained tokens, custom claims.
    pub extra: Map<String, Value>,
}

pub struct MintedAccessToken {
    pub token: String,
    pub jti: String,
    pub expires_at: Timestamp,
}

/// The `jti` of an access token carries its grant, so introspection finds the grant without storing each token:
/// `AT.<random>` or `AT.<random>.<grant id>`.
pub fn access_token_jti(random: &dyn Random, grant_id: Option<&str>) -> String {
    let mut bytes = [0u8; 16];
    random.fill(&mut bytes);
    match grant_id {
        Some(g) => format!("AT.{}.{g}", b64url(&bytes)),
        None => format!("AT.{}", b64url(&bytes)),
    }
}

/// The grant id an access token's `jti` names, if any.
pub fn grant_of_jti(jti: &str) -> Option<&str> {
    let rest = jti.strip_prefix("AT.")?;
    rest.split_once('.').map(|(_, g)| g)
}

pub fn mint_access_token(
    iss: &Issuer<'_>,
    now: Timestamp,
    random: &dyn Random,
    input: AccessTokenInput<'_>,
) -> Result<MintedAccessToken, OAuthError> {
    let jti = access_token_jti(random, input.grant_id);
    let expires_at = now + input.lifetime;
    let claims = access_token_claims(iss.issuer, iss.audiences, now, &jti, input);
    let token = jws::sign(iss.access_token_key, Some("at+jwt"), &claims).map_err(signing_failed)?;
    Ok(MintedAccessToken {
        token,
        jti,
        expires_at,
    })
}

/// The claims of an access token issued by `issuer` for `audiences` at `now` with id `jti`, unsigned: what
/// [`mint_access_token`] signs, and what the console's token preview shows.
pub fn access_token_claims(
    issuer: &str,
    audiences: &[String],
    now: Timestamp,
    jti: &str,
    input: AccessTokenInput<'_>,
) -> Map<String, Value> {
    let expires_at = now + input.lifetime;
    let aud = match audiences {
        [one] => json!(one),
        many => json!(many),
    };
    let mut claims = Map::with_capacity(12 + input.extra.len());
    claims.insert("ver".into(), json!(1));
    claims.insert("jti".into(), json!(jti));
    claims.insert("iss".into(), json!(issuer));
    claims.insert("aud".into(), aud);
    claims.insert("iat".into(), json!(now.timestamp()));
    claims.insert("exp".into(), json!(expires_at.timestamp()));
    claims.insert("cid".into(), json!(input.client_id));
    match input.user {
        Some(u) => {
            claims.insert("uid".into(), json!(u.id));
            claims.insert("scp".into(), json!(input.scopes));
            claims.insert("sub".into(), json!(u.login));
        }
        None => {
            claims.insert("scp".into(), json!(input.scopes));
            claims.insert("sub".into(), json!(input.client_id));
        }
    }
    for (k, v) in input.extra {
        claims.entry(k).or_insert(v);
    }
    claims
}

/// `at_hash` / `c_hash` (OIDC Core §3.3.2.11): the left half of the hash of the value, with the hash of the ID
/// token's algorithm (SHA-512 for Ed25519).
pub fn half_hash(alg: SigningAlg, value: &str) -> String {
    match alg {
        SigningAlg::EdDSA => {
            let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA512, value.as_bytes());
            b64url(&d.as_ref()[..32])
        }
        _ => b64url(&sha256(value.as_bytes())[..16]),
    }
}

/// What an ID token is about.
pub struct IdTokenInput<'a> {
    pub client_id: &'a str,
    pub user: &'a User,
    pub scopes: &'a [String],
    pub nonce: Option<&'a str>,
    pub auth_time: Option<Timestamp>,
    pub amr: &'a [String],
    pub session_id: Option<&'a str>,
    pub access_token: Option<&'a str>,
    pub code: Option<&'a str>,
    /// `acr`: the authentication context class of the sign-in.
    pub acr: Option<&'a str>,
    /// The `claims` request of the grant: its `id_token` member names claims to release beyond the scopes'.
    pub claims: Option<&'a ClaimsRequest>,
    pub lifetime: Duration,
    /// Custom claims (never replacing a standard one).
    pub extra: Map<String, Value>,
}

pub fn mint_id_token(
    iss: &Issuer<'_>,
    now: Timestamp,
    random: &dyn Random,
    input: IdTokenInput<'_>,
) -> Result<String, OAuthError> {
    let jti = id_token_jti(random);
    let claims = id_token_claims(
        &IdTokenIssuer {
            issuer: iss.issuer,
            org_id: iss.org_id,
            sub: iss.subject(&input.user.id),
            alg: iss.id_token_key.alg(),
        },
        now,
        &jti,
        input,
    );
    jws::sign(iss.id_token_key, None, &claims).map_err(signing_failed)
}

/// An ID token's `jti`: `ID.<random>`.
pub fn id_token_jti(random: &dyn Random) -> String {
    let mut bytes = [0u8; 16];
    random.fill(&mut bytes);
    format!("ID.{}", b64url(&bytes))
}

/// What an ID token's claims say of its issuer, without its key.
pub struct IdTokenIssuer<'a> {
    /// `iss`.
    pub issuer: &'a str,
    /// `idp`.
    pub org_id: &'a str,
    /// `sub`: the user as the client sees them ([`Issuer::subject`]).
    pub sub: String,
    /// The algorithm of the key that signs it (for `at_hash` / `c_hash`).
    pub alg: SigningAlg,
}

/// The claims of an ID token at `now` with id `jti`, unsigned: what [`mint_id_token`] signs, and what the console's
/// token preview shows.
pub fn id_token_claims(
    iss: &IdTokenIssuer<'_>,
    now: Timestamp,
    jti: &str,
    input: IdTokenInput<'_>,
) -> Map<String, Value> {
    let alg = iss.alg;
    let mut claims = Map::new();
    claims.insert("sub".into(), json!(iss.sub));
    claims.insert("ver".into(), json!(1));
    claims.insert("iss".into(), json!(iss.issuer));
    claims.insert("aud".into(), json!(input.client_id));
    claims.insert("iat".into(), json!(now.timestamp()));
    claims.insert("exp".into(), json!((now + input.lifetime).timestamp()));
    claims.insert("jti".into(), json!(jti));
    claims.insert("amr".into(), json!(input.amr));
    claims.insert("idp".into(), json!(iss.org_id));
    claims.insert("azp".into(), json!(input.client_id));
    if let Some(sid) = input.session_id {
        claims.insert("sid".into(), json!(sid));
    }
    if let Some(nonce) = input.nonce {
        claims.insert("nonce".into(), json!(nonce));
    }
    if let Some(t) = input.auth_time {
        claims.insert("auth_time".into(), json!(t.timestamp()));
    }
    if let Some(acr) = input.acr {
        claims.insert("acr".into(), json!(acr));
    }
    if let Some(at) = input.access_token {
        claims.insert("at_hash".into(), json!(half_hash(alg, at)));
    }
    if let Some(code) = input.code {
        claims.insert("c_hash".into(), json!(half_hash(alg, code)));
    }
    let requested = input.claims.map(|c| &c.id_token);
    for (k, v) in super::claims::released_claims(input.user, input.scopes, requested) {
        claims.entry(k).or_insert(v);
    }
    for (k, v) in input.extra {
        claims.entry(k).or_insert(v);
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::verify::UnverifiedJws;
    use crate::random::TestRandom;

    #[test]
    fn jtis_carry_their_grant() {
        let r = TestRandom::default();
        let j = access_token_jti(&r, Some("oag123"));
        assert_eq!(grant_of_jti(&j), Some("oag123"));
        assert_eq!(grant_of_jti(&access_token_jti(&r, None)), None);
        assert_eq!(grant_of_jti("ID.x"), None);
    }

    #[test]
    fn access_tokens_have_okta_s_claims_and_no_nbf() {
        let key = SigningKey::generate(SigningAlg::ES256).unwrap();
        let aud = vec!["api://default".to_owned()];
        let iss = Issuer {
            issuer: "http://x/oauth2/default",
            audiences: &aud,
            org_id: "00o1",
            access_token_key: &key,
            id_token_key: &key,
            pairwise: None,
        };
        let now = crate::clock::from_millis(1_700_000_000_000);
        let t = mint_access_token(
            &iss,
            now,
            &TestRandom::default(),
            AccessTokenInput {
                client_id: "c1",
                user: None,
                scopes: &["read".into()],
                grant_id: None,
                lifetime: Duration::hours(1),
                extra: Map::new(),
            },
        )
        .unwrap();
        let parsed = UnverifiedJws::parse(&t.token).unwrap();
        parsed
            .verify(std::slice::from_ref(key.public_jwk()))
            .unwrap();
        assert_eq!(parsed.typ(), Some("at+jwt"));
        let c = &parsed.claims;
        assert_eq!(c["sub"], "c1");
        assert_eq!(c["aud"], "api://default");
        assert_eq!(c["scp"], json!(["read"]));
        assert_eq!(
            c["exp"].as_i64().unwrap() - c["iat"].as_i64().unwrap(),
            3600
        );
        assert!(c.get("nbf").is_none());
    }

    #[test]
    fn id_tokens_carry_acr_and_the_claims_requested_for_them() {
        let key = SigningKey::generate(SigningAlg::ES256).unwrap();
        let aud = vec!["api://default".to_owned()];
        let iss = Issuer {
            issuer: "http://x",
            audiences: &aud,
            org_id: "00o1",
            access_token_key: &key,
            id_token_key: &key,
            pairwise: None,
        };
        let now = crate::clock::from_millis(1_700_000_000_000);
        let user = User {
            id: "00u1".into(),
            status: crate::model::UserStatus::Active,
            login: "ada@example.com".into(),
            profile:
                json!({"firstName": "Ada", "lastName": "Lovelace", "email": "ada@example.com"})
                    .as_object()
                    .unwrap()
                    .clone(),
            created: now,
            activated: None,
            status_changed: None,
            last_login: None,
            last_updated: now,
            password_changed: None,
        };
        let claims = crate::oauth::claims::parse_claims_request(
            r#"{"id_token": {"email": {"essential": true}}, "userinfo": {"name": null}}"#,
        )
        .unwrap();
        let t = mint_id_token(
            &iss,
            now,
            &TestRandom::default(),
            IdTokenInput {
                client_id: "c1",
                user: &user,
                scopes: &["openid".into()],
                nonce: None,
                auth_time: Some(now),
                amr: &["pwd".into()],
                session_id: Some("102s"),
                access_token: None,
                code: None,
                acr: Some("urn:okta:loa:1fa:pwd"),
                claims: Some(&claims),
                lifetime: Duration::hours(1),
                extra: Map::new(),
            },
        )
        .unwrap();
        let c = UnverifiedJws::parse(&t).unwrap().claims;
        assert_eq!(c["acr"], "urn:okta:loa:1fa:pwd");
        assert_eq!(c["email"], "ada@example.com");
        assert_eq!(c["sid"], "102s");
        assert_eq!(c["azp"], "c1");
        assert!(c.get("name").is_none(), "asked for userinfo only");
        assert!(c.get("nonce").is_none());
    }

    #[test]
    fn half_hashes_match_the_oidc_example() {
        // OIDC Core A.3: at_hash of "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y" is "77QmUPtjPfzWtF2AnpK9RQ".
        assert_eq!(
            half_hash(
                SigningAlg::RS256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
