//! The userinfo endpoint's protocol (OIDC Core §5.3): an access token of this server, unexpired, not revoked, with
//! `openid` in its scopes, for a user who may still sign in; a DPoP-bound token only with a proof of its key (RFC
//! 9449 §7), never as a Bearer token. The claims: `sub` (the user id, or the client's pairwise value, OIDC Core §8)
//! and the standard claims its scopes release, those its grant's `claims` request names for userinfo (OIDC Core
//! §5.5), plus the server's IDENTITY claims. A client that registered `userinfo_signed_response_alg` gets them as a
//! JWS (`application/jwt`, OIDC Core §5.3.2) with `iss` and `aud` added.

use serde_json::{Map, Value, json};

use crate::authz::{ClaimSubject, ClaimTarget, custom_claims};
use crate::clock::Timestamp;
use crate::crypto::{SigningAlg, SigningKey, jws};
use crate::model::{OAuthClient, PageRequest, UserStatus};
use crate::oauth::grants::storage;
use crate::oauth::introspection::{OwnServer, verified_access_token};
use crate::oauth::policy::ServerRules;
use crate::oauth::tokens::grant_of_jti;
use crate::oauth_error::{ErrorCode, OAuthError};
use crate::store::Store;

/// How the token was presented.
pub enum Presentation<'a> {
    Bearer,
    /// `Authorization: DPoP …` with a proof (already checked against the request) whose key has this thumbprint.
    Dpop {
        jkt: &'a str,
    },
}

fn invalid(detail: &str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidToken, "The access token is invalid.")
        .with_detail(detail.to_owned())
}

/// What userinfo found for a token: the client it was issued to and the claims, `sub` the user id.
#[derive(Debug, Clone, PartialEq)]
pub struct UserinfoClaims {
    pub client_id: String,
    pub claims: Map<String, Value>,
}

/// The userinfo answer for the token's client.
#[derive(Debug, Clone, PartialEq)]
pub enum UserinfoAnswer {
    /// `application/json`.
    Json(Map<String, Value>),
    /// `application/jwt`: a JWS of the claims with `iss` and `aud`.
    Jwt(String),
}

/// The claims as the token's `client` sees them: its pairwise `sub` if it registered one, signed when it
/// registered `userinfo_signed_response_alg` (`key` then gives the server's active key of that algorithm). Never
/// a `nonce`: that belongs to ID tokens.
pub fn answer<'k>(
    found: UserinfoClaims,
    client: &OAuthClient,
    pairwise: Option<&crate::oauth::subject::Pairwise>,
    issuer: &str,
    key: impl FnOnce(SigningAlg) -> Option<&'k SigningKey>,
) -> Result<UserinfoAnswer, OAuthError> {
    let mut claims = found.claims;
    if let Some(p) = pairwise
        && let Some(user_id) = claims.get("sub").and_then(Value::as_str)
    {
        let sub = p.subject(user_id);
        claims.insert("sub".into(), json!(sub));
    }
    let Some(alg) = client.userinfo_signed_response_alg() else {
        return Ok(UserinfoAnswer::Json(claims));
    };
    let key = key(alg).ok_or_else(|| {
        OAuthError::new(
            ErrorCode::TemporarilyUnavailable,
            "No signing key is ready.",
        )
        .with_detail(format!("no active {alg} key for signed userinfo"))
    })?;
    claims.insert("iss".into(), json!(issuer));
    claims.insert("aud".into(), json!(client.client_id));
    claims.remove("nonce");
    jws::sign(key, None, &claims)
        .map(UserinfoAnswer::Jwt)
        .map_err(|e| {
            OAuthError::new(
                ErrorCode::ServerError,
                "The server could not sign the answer.",
            )
            .with_detail(e.to_string())
        })
}

pub async fn userinfo(
    store: &dyn Store,
    clients: &dyn crate::oauth::client_auth::ClientDirectory,
    server: &OwnServer<'_>,
    rules: &ServerRules,
    token: &str,
    how: Presentation<'_>,
    now: Timestamp,
) -> Result<
    (
        UserinfoClaims,
        std::sync::Arc<crate::oauth::client_auth::KnownClient>,
    ),
    OAuthError,
> {
    let claims = verified_access_token(server, token, now)
        .ok_or_else(|| invalid("not an access token of this server"))?;
    let bound = claims
        .get("cnf")
        .and_then(|c| c.get("jkt"))
        .and_then(Value::as_str);
    match (bound, how) {
        (None, Presentation::Bearer) => {}
        (Some(jkt), Presentation::Dpop { jkt: proof }) if jkt == proof => {}
        (Some(_), Presentation::Bearer) => {
            return Err(invalid("a DPoP-bound token presented as Bearer"));
        }
        (Some(_), Presentation::Dpop { .. }) => {
            return Err(invalid("the proof's key is not the token's"));
        }
        (None, Presentation::Dpop { .. }) => {
            return Err(invalid("a Bearer token presented as DPoP"));
        }
    }
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if store
        .access_token_revoked(jti, grant_of_jti(jti))
        .await
        .map_err(storage)?
    {
        return Err(invalid("revoked"));
    }
    let scopes: Vec<String> = claims
        .get("scp")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    if !scopes.iter().any(|s| s == "openid") {
        return Err(OAuthError::new(
            ErrorCode::InsufficientScope,
            "The access token must have the openid scope.",
        ));
    }
    let uid = claims
        .get("uid")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("no user"))?;
    let user = store
        .user(uid)
        .await
        .map_err(storage)?
        .filter(|u| matches!(u.status, UserStatus::Active | UserStatus::PasswordExpired))
        .ok_or_else(|| invalid("the user cannot sign in"))?;
    // The grant's `claims` request, if the authorization had one.
    let requested = match grant_of_jti(jti) {
        Some(g) => store
            .grant(g)
            .await
            .map_err(storage)?
            .and_then(|g| g.claims),
        None => None,
    };
    let mut out = Map::new();
    out.insert("sub".into(), json!(user.id));
    let named = requested.as_ref().map(|c| &c.userinfo);
    for (k, v) in crate::oauth::claims::released_claims(&user, &scopes, named) {
        out.insert(k, v);
    }
    let client_id = claims
        .get("cid")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("no client"))?
        .to_owned();
    // The client the token was issued to: its own claims, and its answer's form; a token of a client since deleted
    // is refused.
    let client = clients
        .client(&client_id)
        .await
        .map_err(storage)?
        .ok_or_else(|| invalid("the token's client no longer exists"))?;
    let app_claims = &client.app.client.claims;
    if !rules.claims.is_empty() || !app_claims.is_empty() {
        let names: Vec<String> = store
            .user_groups(&user.id, &PageRequest::first(10_000))
            .await
            .map_err(storage)?
            .items
            .into_iter()
            .map(|g| g.name)
            .collect();
        let profile = Value::Object(user.profile.clone());
        let subject = ClaimSubject {
            id: &user.id,
            login: &user.login,
            status: user.status.as_str(),
            profile: &profile,
            group_names: &names,
        };
        for (k, v) in custom_claims(
            &rules.claims,
            &scopes,
            ClaimTarget::Userinfo,
            Some(&subject),
        ) {
            out.entry(k).or_insert(v);
        }
        for (k, v) in
            crate::authz::app_claims(app_claims, &scopes, ClaimTarget::Userinfo, Some(&subject))
        {
            out.insert(k, v);
        }
    }
    Ok((
        UserinfoClaims {
            client_id,
            claims: out,
        },
        client,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::crypto::verify::UnverifiedJws;
    use crate::oauth::subject::Pairwise;

    fn client(settings: serde_json::Value) -> OAuthClient {
        let body = json!({"oauthClient": settings});
        crate::apps::client_from_body(&Map::new(), body.as_object().unwrap(), "c1", None).unwrap()
    }

    fn found() -> UserinfoClaims {
        UserinfoClaims {
            client_id: "c1".into(),
            claims: json!({"sub": "00u1", "email": "ada@example.com"})
                .as_object()
                .unwrap()
                .clone(),
        }
    }

    #[test]
    fn the_answer_takes_the_client_s_subject_and_signature() {
        let plain = client(json!({"redirect_uris": ["https://a.example/cb"]}));
        let none = |_| -> Option<&SigningKey> { panic!("no key for a JSON answer") };
        assert_eq!(
            answer(found(), &plain, None, "https://i", none).unwrap(),
            UserinfoAnswer::Json(found().claims)
        );
        let p = Pairwise::new("a.example", [3u8; 32]);
        let UserinfoAnswer::Json(c) = answer(found(), &plain, Some(&p), "https://i", none).unwrap()
        else {
            panic!("JSON expected");
        };
        assert_eq!(c["sub"], p.subject("00u1"));

        let signed = client(json!({"redirect_uris": ["https://a.example/cb"],
            "userinfo_signed_response_alg": "ES256"}));
        let key = SigningKey::generate(SigningAlg::ES256).unwrap();
        let UserinfoAnswer::Jwt(jwt) = answer(found(), &signed, None, "https://i", |alg| {
            assert_eq!(alg, SigningAlg::ES256);
            Some(&key)
        })
        .unwrap() else {
            panic!("a JWT expected");
        };
        let jws = UnverifiedJws::parse(&jwt).unwrap();
        jws.verify(std::slice::from_ref(key.public_jwk())).unwrap();
        assert_eq!(jws.claims["iss"], "https://i");
        assert_eq!(jws.claims["aud"], "c1");
        assert_eq!(jws.claims["sub"], "00u1");
        assert_eq!(jws.claims["email"], "ada@example.com");
        // No key of that algorithm: temporarily unavailable, not a bad token.
        let e = answer(found(), &signed, None, "https://i", |_| None).unwrap_err();
        assert_eq!(e.code, ErrorCode::TemporarilyUnavailable);
    }
}
