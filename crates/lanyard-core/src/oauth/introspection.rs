//! Token introspection (RFC 7662) for an authenticated client: access tokens are this server's own JWTs, checked
//! by signature, issuer, expiry and revocation (of the token or of its grant); refresh tokens are looked up by hash
//! and only their own client may introspect them. Anything else is `{"active": false}`.

use serde_json::{Map, Value, json};

use crate::clock::Timestamp;
use crate::crypto::Jwk;
use crate::crypto::verify::UnverifiedJws;
use crate::model::App;
use crate::oauth::grants::storage;
use crate::oauth::tokens::{grant_of_jti, hash_of};
use crate::oauth_error::OAuthError;
use crate::store::Store;

/// The server whose tokens are introspected.
pub struct OwnServer<'a> {
    pub id: &'a str,
    pub issuer: &'a str,
    /// Every published public key (ACTIVE, NEXT, recently EXPIRED).
    pub keys: &'a [Jwk],
}

pub fn inactive() -> Value {
    json!({ "active": false })
}

/// The claims of one of this server's access tokens, verified and unexpired at `now`; revocation not checked.
pub fn verified_access_token(
    server: &OwnServer<'_>,
    token: &str,
    now: Timestamp,
) -> Option<Map<String, Value>> {
    let jws = UnverifiedJws::parse(token).ok()?;
    if jws.typ() != Some("at+jwt") {
        return None;
    }
    jws.verify(server.keys).ok()?;
    let c = jws.claims;
    let exp = c.get("exp").and_then(Value::as_i64)?;
    if c.get("iss").and_then(Value::as_str) != Some(server.issuer) || exp <= now.timestamp() {
        return None;
    }
    Some(c)
}

pub async fn introspect(
    store: &dyn Store,
    server: &OwnServer<'_>,
    caller: &App,
    token: &str,
    now: Timestamp,
) -> Result<Value, OAuthError> {
    if let Some(c) = verified_access_token(server, token, now) {
        let jti = c.get("jti").and_then(Value::as_str).unwrap_or_default();
        if store
            .access_token_revoked(jti, grant_of_jti(jti))
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
