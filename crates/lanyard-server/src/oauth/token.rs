//! The token endpoint (`/oauth2/v1/token`, `/oauth2/{id}/v1/token`): form body, client authentication, the grant
//! (`lanyard_core::oauth::grants`), a JSON answer that is never cached. Errors in RFC 6749 §5.2 form.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use lanyard_core::oauth::dpop::{self, Proof};
use lanyard_core::oauth::grants::{self, GrantContext};
use lanyard_core::oauth_error::OAuthError;
use lanyard_core::okta_scopes;

use super::client::{authenticate, form, issuer_for, public_keys};
use super::error::{OAuthErrorResponse, answer};
use crate::api::error::ApiError;
use crate::keyring::Entry;
use crate::state::AppState;

pub async fn org(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let entry = super::org_server(&state).await?;
    Ok(token(&state, &entry, &headers, &body).await)
}

pub async fn custom(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, ApiError> {
    let entry = super::custom_server(&state, &id).await?;
    Ok(token(&state, &entry, &headers, &body).await)
}

/// The request's DPoP proof, checked against this endpoint, if it sent one. A proof without the server's current
/// nonce is refused with `use_dpop_nonce` and the nonce in a `DPoP-Nonce` header (RFC 9449 §8).
pub async fn dpop_proof(
    state: &AppState,
    headers: &HeaderMap,
    url: &str,
) -> Result<Option<Proof>, (OAuthError, HeaderValue)> {
    let mut values = headers.get_all("dpop").iter();
    let Some(value) = values.next() else {
        return Ok(None);
    };
    let nonce_key = &state.dpop_nonce_key;
    let now = state.clock.now();
    let current =
        HeaderValue::from_str(&dpop::nonce(nonce_key, now)).unwrap_or(HeaderValue::from_static(""));
    let fail = |e: OAuthError| (e, current.clone());
    if values.next().is_some() {
        return Err(fail(OAuthError::new(
            lanyard_core::oauth_error::ErrorCode::InvalidDpopProof,
            "Only one DPoP header is allowed.",
        )));
    }
    let proof = value.to_str().map_err(|_| {
        fail(OAuthError::new(
            lanyard_core::oauth_error::ErrorCode::InvalidDpopProof,
            "The DPoP header is not valid text.",
        ))
    })?;
    let expected = dpop::Expected {
        method: "POST",
        url,
        access_token: None,
        nonce_key: Some(nonce_key),
    };
    dpop::check(state.store.as_ref(), proof, &expected, now)
        .await
        .map(Some)
        .map_err(fail)
}

/// A refused DPoP proof, with the server's current nonce.
fn proof_refused(e: OAuthError, nonce: HeaderValue) -> Response {
    let mut r = OAuthErrorResponse(e).into_response();
    r.headers_mut().insert("dpop-nonce", nonce);
    r
}

async fn token(state: &AppState, entry: &Entry, headers: &HeaderMap, body: &[u8]) -> Response {
    // A management API token request's proof is looked at only once the app is known (`okta_scopes`).
    let management = form(headers, body)
        .is_ok_and(|p| okta_scopes::is_management_request(entry.server.kind, &p));
    let proof = if !headers.contains_key("dpop") || management {
        Ok(None)
    } else {
        dpop_proof(state, headers, &format!("{}/token", entry.endpoint_base)).await
    };
    let proof = match proof {
        Ok(p) => p,
        Err((e, nonce)) => return proof_refused(e, nonce),
    };
    answer(issue(state, entry, headers, body, proof, management).await)
}

async fn issue(
    state: &AppState,
    entry: &Entry,
    headers: &HeaderMap,
    body: &[u8],
    proof: Option<Proof>,
    management: bool,
) -> Result<Response, OAuthError> {
    let params = form(headers, body)?;
    let grant = grants::grant_type(&params)?;
    let app = authenticate(state, entry, "token", headers, &params).await?;
    let proof =
        if management && app.app.client.dpop_bound_access_tokens && headers.contains_key("dpop") {
            match dpop_proof(state, headers, &format!("{}/token", entry.endpoint_base)).await {
                Ok(p) => p,
                Err((e, nonce)) => return Ok(proof_refused(e, nonce)),
            }
        } else {
            proof
        };
    let proof = proof.as_ref();
    let keys = public_keys(entry);
    let ctx = GrantContext {
        store: state.store.as_ref(),
        now: state.clock.now(),
        random: state.random.as_ref(),
        server: &entry.server,
        rules: &entry.rules,
        issuer: issuer_for(
            state,
            entry,
            &entry.issuer,
            &entry.audiences,
            &app.app.client,
        )?,
        public_keys: keys,
        dpop: proof,
    };
    let response = grants::exchange(&ctx, &app.app, grant, &params).await?;
    state.metrics.token_issued(grant.as_str());
    let mut r = Json(response).into_response();
    let h = r.headers_mut();
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    Ok(r)
}
