//! The userinfo endpoint (OIDC Core §5.3), GET and POST: the access token in the `Authorization` header (`Bearer`,
//! or `DPoP` with a proof, RFC 9449 §7) or, for POST, in the form body. Failures answer 401 (or 403 for a token
//! without `openid`) with a `WWW-Authenticate` challenge (RFC 6750 §3). The answer is JSON, or a JWS
//! (`application/jwt`) for a client that registered `userinfo_signed_response_alg`; `sub` is the client's pairwise
//! value when it registered `subject_type: pairwise`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{OriginalUri, Path, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use lanyard_core::oauth::dpop;
use lanyard_core::oauth::introspection::OwnServer;
use lanyard_core::oauth::params::Params;
use lanyard_core::oauth::userinfo::{Presentation, UserinfoAnswer, answer, userinfo};
use lanyard_core::oauth_error::{ErrorCode, OAuthError};

use super::client::public_keys;
use crate::api::error::ApiError;
use crate::keyring::Entry;
use crate::state::AppState;

pub async fn org(
    State(state): State<AppState>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let entry = super::org_server(&state).await?;
    Ok(handle(&state, &entry, &method, uri.path(), &headers, &body).await)
}

pub async fn custom(
    State(state): State<AppState>,
    Path(id): Path<String>,
    method: Method,
    OriginalUri(uri): OriginalUri,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let entry = super::custom_server(&state, &id).await?;
    Ok(handle(&state, &entry, &method, uri.path(), &headers, &body).await)
}

/// A 401/403 with the challenge of the scheme the client used.
fn challenge(scheme: &str, e: &OAuthError) -> Response {
    if let Some(d) = &e.detail {
        tracing::info!(error = %e.code, detail = %lanyard_core::log_safe(d), "userinfo refused");
    }
    let status = match e.code {
        ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
        ErrorCode::InvalidRequest => StatusCode::BAD_REQUEST,
        ErrorCode::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::TemporarilyUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::UNAUTHORIZED,
    };
    let desc = e.description.replace('"', "'");
    let value = format!(
        "{scheme} realm=\"lanyard\", error=\"{}\", error_description=\"{desc}\"",
        e.code.as_str()
    );
    let mut r = (
        status,
        Json(serde_json::json!({"error": e.code.as_str(), "error_description": e.description})),
    )
        .into_response();
    if let Ok(v) = HeaderValue::from_str(&value) {
        r.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}

async fn handle(
    state: &AppState,
    entry: &Entry,
    method: &Method,
    path: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let (scheme, token) = match auth {
        Some(a) if a.len() > 7 && a[..7].eq_ignore_ascii_case("bearer ") => {
            ("Bearer", Some(a[7..].trim().to_owned()))
        }
        Some(a) if a.len() > 5 && a[..5].eq_ignore_ascii_case("dpop ") => {
            ("DPoP", Some(a[5..].trim().to_owned()))
        }
        _ if method == Method::POST => {
            let token = Params::parse(body)
                .ok()
                .and_then(|p| p.get("access_token").map(str::to_owned));
            ("Bearer", token)
        }
        _ => ("Bearer", None),
    };
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        let mut r = StatusCode::UNAUTHORIZED.into_response();
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Bearer realm=\"lanyard\""),
        );
        return r;
    };
    let now = state.clock.now();
    let jkt = if scheme == "DPoP" {
        let Some(proof) = headers.get("dpop").and_then(|v| v.to_str().ok()) else {
            return challenge(
                "DPoP",
                &OAuthError::new(ErrorCode::InvalidDpopProof, "A DPoP proof is required."),
            );
        };
        let url = format!("{}{path}", state.config.base_url);
        let expected = dpop::Expected {
            method: method.as_str(),
            url: &url,
            access_token: Some(&token),
            nonce_key: None,
        };
        match dpop::check(state.store.as_ref(), proof, &expected, now).await {
            Ok(p) => Some(p.jkt),
            Err(e) => return challenge("DPoP", &e),
        }
    } else {
        None
    };
    let issuer = entry.issuer.clone();
    let own = OwnServer {
        id: &entry.server.id,
        issuer: &issuer,
        keys: public_keys(entry),
        verified: &entry.verified,
    };
    let how = match &jkt {
        Some(j) => Presentation::Dpop { jkt: j },
        None => Presentation::Bearer,
    };
    // The client the token was issued to (its own claims, and the answer's form) comes from this node's cache.
    let (found, client) = match userinfo(
        state.store.as_ref(),
        &state.clients,
        &own,
        &entry.rules,
        &token,
        how,
        now,
    )
    .await
    {
        Ok(found) => found,
        Err(e) => return challenge(scheme, &e),
    };
    let client = &client.app.client;
    let pairwise = super::client::pairwise(state, client);
    let body = answer(found, client, pairwise.as_ref(), &issuer, |alg| {
        entry.signing_key(alg).map(|k| k.as_ref())
    });
    let mut r = match body {
        Ok(UserinfoAnswer::Json(claims)) => Json(claims).into_response(),
        Ok(UserinfoAnswer::Jwt(jwt)) => {
            let mut r = jwt.into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/jwt"),
            );
            r
        }
        Err(e) => return challenge(scheme, &e),
    };
    r.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    r
}
