//! Token revocation (RFC 7009): a refresh token revokes its whole grant (and so the access tokens of it); an
//! access token is revoked alone and introspects inactive until it would have expired. Unknown tokens are not an
//! error; another client's token is refused.

use serde_json::Value;

use crate::clock::Timestamp;
use crate::model::App;
use crate::oauth::grants::storage;
use crate::oauth::introspection::{OwnServer, verified_access_token};
use crate::oauth::tokens::hash_of;
use crate::oauth_error::{ErrorCode, OAuthError};
use crate::store::Store;

fn not_yours() -> OAuthError {
    OAuthError::new(
        ErrorCode::UnauthorizedClient,
        "The token was issued to another client.",
    )
}

pub async fn revoke(
    store: &dyn Store,
    server: &OwnServer<'_>,
    caller: &App,
    token: &str,
    now: Timestamp,
) -> Result<(), OAuthError> {
    if let Some(c) = verified_access_token(server, token, now) {
        if c.get("cid").and_then(Value::as_str) != Some(caller.client.client_id.as_str()) {
            return Err(not_yours());
        }
        let jti = c.get("jti").and_then(Value::as_str).unwrap_or_default();
        let exp = c.get("exp").and_then(Value::as_i64).unwrap_or_default();
        store
            .revoke_access_token(jti, crate::clock::from_millis(exp * 1000))
            .await
            .map_err(storage)?;
        return Ok(());
    }
    if let Some((_, grant)) = store
        .refresh_token_grant(&hash_of(token))
        .await
        .map_err(storage)?
    {
        if grant.client_id != caller.client.client_id || grant.auth_server_id != server.id {
            return Err(not_yours());
        }
        store.revoke_grant(&grant.id, now).await.map_err(storage)?;
    }
    Ok(())
}
