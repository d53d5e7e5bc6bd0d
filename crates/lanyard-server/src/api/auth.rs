//! `Authorization: SSWS <token>` (and `SSWS<token>`, as Okta's Python SDK sends it). The token is looked up by its
//! SHA-256; its last use is recorded off the request path, at most once a minute per token and node.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, OriginalUri, Request, State};
use axum::http::{Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use lanyard_core::api_token;
use lanyard_core::oauth::dpop;
use lanyard_core::oauth::introspection::OwnServer;
use lanyard_core::oauth_error::{ErrorCode, OAuthError};
use lanyard_core::okta_scopes;

use super::error::ApiError;
use crate::state::AppState;

/// Who is calling the management API.
#[derive(Debug, Clone)]
pub struct ApiPrincipal {
    /// The SSWS token's id; an app's client id.
    pub token_id: String,
    /// The SSWS token's name; an app's label.
    pub token_name: String,
    pub user_id: Option<String>,
    pub access: Access,
}

/// What the caller may reach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Access {
    /// An SSWS token: the whole API.
    Full,
    /// An app's access token from the org server: what its `okta.*` scopes allow; `scheme` is how it was sent
    /// (`Bearer` or `DPoP`), for the challenge of a refusal.
    App {
        scopes: Vec<String>,
        scheme: &'static str,
    },
}

impl ApiPrincipal {
    /// Whether this is an app's access token (client credentials): no user, the token's scopes only.
    pub fn is_app(&self) -> bool {
        matches!(self.access, Access::App { .. })
    }
}

/// The credential an `Authorization` header carries.
#[derive(Debug, PartialEq, Eq)]
pub enum Credential<'a> {
    Ssws(&'a str),
    Bearer(&'a str),
    Dpop(&'a str),
}

/// The value after a scheme, with or without the space (Okta's Python SDK sends `SSWS<token>` and `Bearer<token>`).
fn after_scheme<'a>(value: &'a str, scheme: &str) -> Option<&'a str> {
    let head = value.get(..scheme.len())?;
    if !head.eq_ignore_ascii_case(scheme) {
        return None;
    }
    let token = value[scheme.len()..].trim_start_matches(' ').trim_end();
    (!token.is_empty()).then_some(token)
}

/// The credential in an `Authorization` header value, if it is one the management API takes.
pub fn credential(value: &str) -> Option<Credential<'_>> {
    if let Some(t) = after_scheme(value, "SSWS") {
        return Some(Credential::Ssws(t));
    }
    if let Some(t) = after_scheme(value, "Bearer") {
        return Some(Credential::Bearer(t));
    }
    // `DPoP ` with its space: without one, `DPoPxyz` would be ambiguous with nothing, but DPoP clients send it.
    after_scheme(value, "DPoP").map(Credential::Dpop)
}

/// The SSWS token in an `Authorization` header value, if it is one.
pub fn ssws_token(value: &str) -> Option<&str> {
    match credential(value)? {
        Credential::Ssws(t) => Some(t),
        _ => None,
    }
}

/// Remembers when each token's last use was written, so it is written at most once a minute.
#[derive(Default)]
pub struct TouchThrottle(Mutex<HashMap<String, Instant>>);

impl TouchThrottle {
    fn due(&self, token_id: &str) -> bool {
        let mut seen = self.0.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        match seen.get(token_id) {
            Some(t) if now.duration_since(*t) < Duration::from_secs(60) => false,
            _ => {
                if seen.len() > 10_000 {
                    seen.clear();
                }
                seen.insert(token_id.to_owned(), now);
                true
            }
        }
    }
}

pub async fn require_token(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let authorization = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let principal = match authorization.as_deref().and_then(credential) {
        None => {
            return ApiError::invalid_token()
                .with_detail("no SSWS, Bearer or DPoP credential")
                .into_response();
        }
        Some(Credential::Ssws(token)) => match principal(&state, token).await {
            Ok(Some(p)) => p,
            Ok(None) => return ApiError::invalid_token().into_response(),
            Err(e) => return ApiError::from(e).into_response(),
        },
        Some(Credential::Bearer(token)) => {
            match app_principal(&state, &Presented::of(&req), token, false).await {
                Ok(p) => p,
                Err(e) => return e.into_response(),
            }
        }
        Some(Credential::Dpop(token)) => {
            match app_principal(&state, &Presented::of(&req), token, true).await {
                Ok(p) => p,
                Err(e) => return e.into_response(),
            }
        }
    };
    req.extensions_mut().insert(principal);
    next.run(req).await
}

/// A refused access token: 401 E0000011 (the reason to the log); a store failure as such.
fn refused(e: OAuthError, scheme: &str) -> ApiError {
    match e.code {
        ErrorCode::ServerError | ErrorCode::TemporarilyUnavailable => {
            ApiError::internal(e.detail.unwrap_or(e.description))
        }
        ErrorCode::InvalidDpopProof => {
            let mut r = ApiError::invalid_token()
                .with_detail(e.detail.unwrap_or_else(|| e.description.clone()));
            r.challenge = Some(
                format!(
                    "{scheme} realm=\"Lanyard management API\", error=\"invalid_dpop_proof\", \
                 error_description=\"{}\"",
                    e.description.replace('"', "'")
                )
                .into(),
            );
            r
        }
        _ => ApiError::invalid_token().with_detail(e.detail.unwrap_or(e.description)),
    }
}

/// What a DPoP proof is checked against: the request's method and path, and its `DPoP` headers.
struct Presented {
    method: Method,
    path: String,
    /// The one `DPoP` header's text; `None` when there is none, several, or it is not text.
    proof: Option<String>,
}

impl Presented {
    fn of(req: &Request) -> Self {
        let mut proofs = req.headers().get_all("dpop").iter();
        let proof = match (proofs.next(), proofs.next()) {
            (Some(one), None) => one.to_str().ok().map(str::to_owned),
            _ => None,
        };
        Presented {
            method: req.method().clone(),
            path: original_path(req),
            proof,
        }
    }
}

/// The request's path as the client sent it (a nested router sees it without `/api/v1`).
fn original_path(req: &Request) -> String {
    req.extensions()
        .get::<OriginalUri>()
        .map(|u| u.0.path().to_owned())
        .unwrap_or_else(|| req.uri().path().to_owned())
}

/// The app an access token of the org server stands for, its DPoP proof (for `DPoP`) checked against the request.
async fn app_principal(
    state: &AppState,
    req: &Presented,
    token: &str,
    dpop_scheme: bool,
) -> Result<ApiPrincipal, ApiError> {
    let scheme = if dpop_scheme { "DPoP" } else { "Bearer" };
    let now = state.clock.now();
    let proof_jkt = if dpop_scheme {
        let Some(proof) = req.proof.as_deref() else {
            return Err(refused(
                OAuthError::new(
                    ErrorCode::InvalidDpopProof,
                    "One DPoP proof (a DPoP header) is required.",
                ),
                scheme,
            ));
        };
        let url = format!("{}{}", state.config.base_url, req.path);
        let expected = dpop::Expected {
            method: req.method.as_str(),
            url: &url,
            access_token: Some(token),
            nonce_key: None,
        };
        let checked = dpop::check(state.store.as_ref(), proof, &expected, now)
            .await
            .map_err(|e| refused(e, scheme))?;
        Some(checked.jkt)
    } else {
        None
    };
    let entry = crate::oauth::org_server(state).await?;
    let own = OwnServer {
        id: &entry.server.id,
        issuer: &entry.issuer,
        keys: crate::oauth::client::public_keys(&entry),
        verified: &entry.verified,
    };
    let app = okta_scopes::app_caller(
        &own,
        &state.config.base_url,
        &state.revocations,
        &state.clients,
        token,
        proof_jkt.as_deref(),
        now,
    )
    .await
    .map_err(|e| refused(e, scheme))?;
    Ok(ApiPrincipal {
        token_id: app.client_id,
        token_name: app.label,
        user_id: None,
        access: Access::App {
            scopes: app.scopes,
            scheme,
        },
    })
}

/// After routing: an app's token reaches a management route only with the scope the route's resource declares
/// (`okta_scopes::required_scope`, one table for every route; a route it does not cover is closed to apps), and
/// never a route that acts on "me". SSWS tokens pass.
pub async fn require_scope(req: Request, next: Next) -> Response {
    let Some(ApiPrincipal {
        access: Access::App { scopes, scheme },
        ..
    }) = req.extensions().get::<ApiPrincipal>()
    else {
        return next.run(req).await;
    };
    let path = original_path(&req);
    let below = path.strip_prefix("/api/v1").unwrap_or(&path);
    if okta_scopes::acts_on_me(below) {
        return me_refused().into_response();
    }
    let template = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_default();
    let template = template.strip_prefix("/api/v1").unwrap_or(&template);
    let reading = matches!(*req.method(), Method::GET | Method::HEAD);
    match okta_scopes::required_scope(reading, template) {
        Some(needed) if okta_scopes::allows(scopes, needed) => next.run(req).await,
        Some(needed) => ApiError::missing_scope(needed, scheme).into_response(),
        None => ApiError::forbidden(
            "No okta.* scope covers this endpoint: call it with an SSWS API token.",
        )
        .with_detail(format!("no scope declared for {template}"))
        .into_response(),
    }
}

/// 403 E0000006 for an endpoint that acts on the signed-in user when the caller is an app.
pub fn me_refused() -> ApiError {
    ApiError::forbidden(
        "This endpoint acts on the signed-in user ('me'); an app's access token (client credentials) has no user. \
         Name the user by id, or call it from the user's browser session.",
    )
}

/// Before the public "me" endpoints (`/users/me/appLinks`, `/sessions/me`), which go by the browser's session:
/// an access token sent to them is refused clearly rather than ignored.
pub async fn refuse_access_tokens_on_me(req: Request, next: Next) -> Response {
    let path = original_path(&req);
    let below = path.strip_prefix("/api/v1").unwrap_or(&path);
    let token = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(credential);
    if okta_scopes::acts_on_me(below)
        && matches!(token, Some(Credential::Bearer(_) | Credential::Dpop(_)))
    {
        return me_refused().into_response();
    }
    next.run(req).await
}

/// The caller a management API token stands for, if it is a valid one (its use recorded).
pub async fn principal(
    state: &AppState,
    presented: &str,
) -> Result<Option<ApiPrincipal>, lanyard_core::store::StoreError> {
    let now = state.clock.now();
    let record = match state
        .store
        .api_token_by_hash(&api_token::hash(presented))
        .await?
    {
        Some(t) if api_token::is_valid(&t, now) => t,
        _ => return Ok(None),
    };
    if state.token_touch.due(&record.id) {
        let store = state.store.clone();
        let id = record.id.clone();
        tokio::spawn(async move {
            if let Err(e) = store.touch_api_token(&id, now).await {
                tracing::debug!(error = %e, "could not record API token use");
            }
        });
    }
    Ok(Some(ApiPrincipal {
        token_id: record.id,
        token_name: record.name,
        user_id: record.user_id,
        access: Access::Full,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_ssws_spellings_are_accepted() {
        assert_eq!(ssws_token("SSWS 00abc"), Some("00abc"));
        assert_eq!(ssws_token("SSWS00abc"), Some("00abc"));
        assert_eq!(ssws_token("SSWS "), None);
        assert_eq!(ssws_token("Bearer 00abc"), None);
    }

    // That every route an API token opens declares its okta.* scope is checked on the routes themselves, as the
    // OpenAPI document records them: `openapi::tests::every_route_is_documented_once_with_its_scope`.

    #[test]
    fn bearer_and_dpop_are_told_apart_from_ssws() {
        assert_eq!(credential("Bearer eyJ"), Some(Credential::Bearer("eyJ")));
        assert_eq!(credential("bearer eyJ"), Some(Credential::Bearer("eyJ")));
        assert_eq!(credential("Bearereyj"), Some(Credential::Bearer("eyj")));
        assert_eq!(credential("DPoP eyJ"), Some(Credential::Dpop("eyJ")));
        assert_eq!(credential("SSWS 00a"), Some(Credential::Ssws("00a")));
        assert_eq!(credential("Basic abc"), None);
        assert_eq!(credential("Bearer "), None);
    }
}
