//! The hosted pages: server-rendered HTML (askama templates in `templates/`), accessible, branded with the org's
//! name, protected from CSRF by a signed, session-bound token (`csrf`), and served with a strict Content Security Policy. They work
//! without JavaScript; two same-origin scripts (no inline script anywhere) add what needs one: `/static/webauthn.js`
//! runs the WebAuthn ceremonies of the passkey forms, `/static/admin-logs.js` the admin console's live log tail. `signin.rs` holds the sign-in steps and `/app`'s pages; `device.rs` the
//! device activation page, `/activate`; `admin/` the admin console, `/admin`.

mod activation;
pub mod admin;
mod consent;
pub mod csp;
pub mod csrf;
pub mod dashboard;
mod device;
pub mod error;
pub mod extract;
mod signin;

use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::state::AppState;
pub use csp::Csp;
pub use csrf::{CsrfForm, csrf_ok, csrf_token};
pub use error::PageError;

pub fn router() -> Router<AppState> {
    signin::routes()
        .merge(consent::routes())
        .merge(activation::routes())
        .merge(device::routes())
        .merge(dashboard::routes())
        .merge(admin::routes())
        .route("/static/lanyard.css", get(css))
        .route("/static/webauthn.js", get(webauthn_js))
        // Browsers ask every origin for one; there is none, and a 404 would be logged as an error in each page.
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
}

async fn css() -> Response {
    let mut r = include_str!("lanyard.css").into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/css; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

async fn webauthn_js() -> Response {
    let mut r = include_str!("webauthn.js").into_response();
    let h = r.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/javascript; charset=utf-8"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

/// The outermost layer, for every response: a failed page ([`PageError`]) becomes the branded error page; every
/// HTML response — whichever router made it, the authorization endpoint's error page included — gets the default
/// Content Security Policy unless it set its own ([`Csp`]), `X-Frame-Options: DENY` and `no-store`; with an
/// https base URL, every response carries HSTS.
pub async fn security_headers(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let mut r = next.run(req).await;
    if let Some(f) = r.extensions_mut().remove::<error::Failure>() {
        let mut page = error::render(&state.config.org_name, r.status(), &f);
        // Headers the failure came with (rate limit counts, a cleared cookie) stay.
        for (name, value) in r.headers() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
                page.headers_mut().append(name.clone(), value.clone());
            }
        }
        r = page;
    }
    let h = r.headers_mut();
    let is_html = h
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"));
    if is_html {
        h.entry(header::CONTENT_SECURITY_POLICY)
            .or_insert(csp::DEFAULT.clone());
        h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        h.entry(header::CACHE_CONTROL)
            .or_insert(HeaderValue::from_static("no-store"));
    }
    if state.config.base_url.starts_with("https://") {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    r
}

/// The policy of a page whose form continues the authorization request behind `from_uri`, if it is one: its forms'
/// answers may redirect to where that request's answer goes (its registered redirect URI), and only there.
pub async fn flow_csp(state: &AppState, from_uri: &str) -> Result<Csp, PageError> {
    Ok(
        match crate::oauth::authorize::pending(state, from_uri).await? {
            Some(p) => Csp::page().forms_to(&p.to.redirect_uri),
            None => Csp::page(),
        },
    )
}

/// A rendered page.
pub fn html(status: StatusCode, body: Result<String, askama::Error>) -> Response {
    match body {
        Ok(text) => {
            let mut r = (status, text).into_response();
            r.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            r
        }
        Err(e) => PageError::internal(format!("template failed: {e}")).into_response(),
    }
}
