//! The hosted pages' protection from cross-site request forgery (`lanyard_core::signin::csrf`): the CSRF cookie
//! (`__Host-lanyard_csrf` under https), the signed form field bound to the browser's session, the check of where a
//! post comes from, and [`CsrfForm`], the extractor every form handler takes instead of checking by hand.

use axum::Form;
use axum::extract::{FromRequest, Request};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use lanyard_core::signin::csrf;
use serde::de::DeserializeOwned;

use super::PageError;
use crate::state::AppState;

/// The cookie's name: `__Host-` prefixed under https (Secure, `Path=/`, no `Domain`: no other host can set it).
fn cookie_name(state: &AppState) -> &'static str {
    if state.config.base_url.starts_with("https://") {
        "__Host-lanyard_csrf"
    } else {
        "lanyard_csrf"
    }
}

/// The `Set-Cookie` of a new CSRF secret.
fn set_cookie(state: &AppState, secret: &str) -> Option<HeaderValue> {
    let secure = if state.config.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{}={secret}; Path=/; HttpOnly; SameSite=Strict{secure}",
        cookie_name(state)
    ))
    .ok()
}

fn session(headers: &HeaderMap) -> Option<String> {
    crate::session::cookie_value(headers)
}

/// The field for a page's forms, and the `Set-Cookie` to send when the browser has no CSRF cookie yet.
pub fn csrf_token(state: &AppState, headers: &HeaderMap) -> (String, Option<HeaderValue>) {
    let (secret, cookie) = match crate::http::cookie(headers, cookie_name(state)) {
        Some(s) => (s, None),
        None => {
            let s = lanyard_core::signin::mint(state.random.as_ref()).value;
            let c = set_cookie(state, &s);
            (s, c)
        }
    };
    let field = csrf::field(&state.csrf_key, &secret, session(headers).as_deref());
    (field, cookie)
}

/// A new CSRF secret, for a browser whose privileges just changed (signed in, stepped up): forms made before no
/// longer pass.
pub fn rotated(state: &AppState) -> Option<HeaderValue> {
    set_cookie(
        state,
        &lanyard_core::signin::mint(state.random.as_ref()).value,
    )
}

/// Whether a post of this server's own form may be taken: the field is the one for this browser's cookie and
/// session, and the browser does not say the post comes from another origin.
pub fn csrf_ok(state: &AppState, headers: &HeaderMap, field: &str) -> bool {
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let own = url::Url::parse(&state.config.base_url)
        .map(|u| u.origin().ascii_serialization())
        .unwrap_or_default();
    if !csrf::same_origin_post(header("sec-fetch-site"), header("origin"), &own) {
        tracing::info!("a form post from another origin refused");
        return false;
    }
    let Some(secret) = crate::http::cookie(headers, cookie_name(state)) else {
        return false;
    };
    csrf::verify(&state.csrf_key, &secret, session(headers).as_deref(), field)
}

/// A form with a `csrf` field.
pub trait CsrfField {
    fn csrf(&self) -> &str;
}

/// A form of this server's own pages, parsed and checked ([`csrf_ok`]); anything else gets the "form expired"
/// page.
pub struct CsrfForm<T>(pub T);

impl<T> FromRequest<AppState> for CsrfForm<T>
where
    T: DeserializeOwned + CsrfField + Send,
{
    type Rejection = PageError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let headers = req.headers().clone();
        let Form(form) = Form::<T>::from_request(req, state).await.map_err(|e| {
            PageError::new(
                StatusCode::BAD_REQUEST,
                "This form could not be read",
                "Go back and try again.",
            )
            .with_detail(e.body_text())
        })?;
        if !csrf_ok(state, &headers, form.csrf()) {
            return Err(expired());
        }
        Ok(CsrfForm(form))
    }
}

/// The answer to a form that did not pass.
pub fn expired() -> PageError {
    PageError::new(
        StatusCode::FORBIDDEN,
        "Please try again",
        "This form has expired. Please sign in again.",
    )
    .with_link("/signin", "Sign in")
}

/// Implements [`CsrfField`] for form structs with a `csrf: String` field.
#[macro_export]
macro_rules! csrf_field {
    ($($form:ty),+ $(,)?) => {
        $(impl $crate::pages::csrf::CsrfField for $form {
            fn csrf(&self) -> &str {
                &self.csrf
            }
        })+
    };
}
