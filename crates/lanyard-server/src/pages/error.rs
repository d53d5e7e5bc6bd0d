//! What a browser gets when something fails on a page: a page, never the management API's JSON. Handlers of the
//! hosted pages, the authorization and end-session endpoints and the other browser endpoints return
//! [`PageError`]; an unknown path outside the APIs is one too ([`crate::http::not_found`]).
//!
//! A `PageError` becomes a response carrying a [`Failure`] extension; [`render`] — the outermost layer, which knows
//! the org's name — turns it into the branded page. A server error's page shows a reference (`errorId`) that is
//! also in the log with the detail; the detail itself never reaches the browser.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use lanyard_core::directory::accounts::AccountError;
use lanyard_core::directory::lifecycle::Refused;
use lanyard_core::signin::SigninError;
use lanyard_core::store::StoreError;

use crate::api::error::ApiError;

/// A failed page: its status, and what the user reads.
#[derive(Debug)]
pub struct PageError {
    status: StatusCode,
    title: String,
    message: String,
    /// For the log only.
    detail: Option<String>,
    /// Where to go from here (href, text), instead of the user's apps.
    link: Option<Box<(String, String)>>,
}

impl PageError {
    pub fn new(status: StatusCode, title: impl Into<String>, message: impl Into<String>) -> Self {
        PageError {
            status,
            title: title.into(),
            message: message.into(),
            detail: None,
            link: None,
        }
    }

    pub fn with_link(mut self, href: impl Into<String>, text: impl Into<String>) -> Self {
        self.link = Some(Box::new((href.into(), text.into())));
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// 404: no such page.
    pub fn not_found() -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "Page not found",
            "There is no page at this address. Check the link, or start again from the application.",
        )
    }

    /// 429: too many attempts from this address.
    pub fn too_many_attempts() -> Self {
        Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts",
            "There have been too many attempts from your network. Wait a minute, then try again.",
        )
    }

    /// A request the page cannot take (4xx), the detail logged.
    pub fn invalid(status: StatusCode, detail: impl Into<String>) -> Self {
        Self::new(
            status,
            "This request is not valid",
            "Go back to the application and try again.",
        )
        .with_detail(detail)
    }

    /// 500, the detail logged under the page's reference.
    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "Something went wrong",
            "Please try again. If it keeps happening, tell your administrator the reference below.",
        )
        .with_detail(detail)
    }
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        let detail = e.detail.unwrap_or_else(|| e.summary.clone());
        let page = match e.status {
            StatusCode::NOT_FOUND => PageError::not_found(),
            StatusCode::TOO_MANY_REQUESTS => PageError::too_many_attempts(),
            StatusCode::SERVICE_UNAVAILABLE => PageError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "Temporarily unavailable",
                "The service is temporarily unavailable. Please try again in a moment.",
            ),
            s if s.is_server_error() => PageError::internal(""),
            s => PageError::new(
                s,
                "This request is not valid",
                "Go back to the application and try again.",
            ),
        };
        page.with_detail(format!("{} {}: {detail}", e.status.as_u16(), e.code))
    }
}

impl From<StoreError> for PageError {
    fn from(e: StoreError) -> Self {
        ApiError::from(e).into()
    }
}

/// A sign-in step that could not be taken, as a page.
impl From<SigninError> for PageError {
    fn from(e: SigninError) -> Self {
        match e {
            SigninError::Store(e) => e.into(),
            SigninError::WebAuthnUnavailable => PageError::invalid(
                StatusCode::BAD_REQUEST,
                "webauthn is not available: the base URL has no domain name",
            ),
            SigninError::NotAllowed => {
                PageError::invalid(StatusCode::UNAUTHORIZED, "the user may no longer sign in")
            }
            SigninError::Internal(detail) => PageError::internal(detail),
        }
    }
}

/// An operation on a user that did not happen, as a page (a refused password is the form's, not this).
impl From<AccountError> for PageError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::NotFound => PageError::not_found(),
            AccountError::Store(e) => e.into(),
            AccountError::Hashing(e) => PageError::internal(e.to_string()),
            AccountError::Lifecycle(r @ (Refused::NotActive | Refused::NotSuspended)) => {
                PageError::invalid(StatusCode::BAD_REQUEST, r.message())
            }
            AccountError::Lifecycle(r) => PageError::invalid(StatusCode::FORBIDDEN, r.message()),
            AccountError::InvalidProfile(causes) | AccountError::PasswordRejected(causes) => {
                PageError::invalid(StatusCode::BAD_REQUEST, causes.join(" "))
            }
            AccountError::ProfileRequired | AccountError::LoginTaken => {
                PageError::invalid(StatusCode::BAD_REQUEST, format!("{e:?}"))
            }
        }
    }
}

/// What the outermost layer renders as the page.
#[derive(Debug, Clone)]
pub struct Failure {
    pub title: String,
    pub message: String,
    /// The reference shown with a server error (and logged with its detail).
    pub reference: Option<String>,
    pub link: Option<(String, String)>,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let reference = self.status.is_server_error().then(|| {
            let mut id = String::from("oae");
            lanyard_core::id::random_base62_into(&mut id, 22, &lanyard_core::random::SystemRandom);
            id
        });
        match &reference {
            Some(id) => {
                tracing::error!(error_id = %id, status = self.status.as_u16(), detail = ?self.detail, "page failed")
            }
            None => {
                tracing::info!(status = self.status.as_u16(), detail = ?self.detail, "page refused")
            }
        }
        let mut r = self.status.into_response();
        r.extensions_mut().insert(Failure {
            title: self.title,
            message: self.message,
            reference,
            link: self.link.map(|l| *l),
        });
        r
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    org: &'a str,
    title: &'a str,
    message: &'a str,
    reference: Option<&'a str>,
    link: (&'a str, &'a str),
}

/// The branded page of a [`Failure`], under the response's own status.
pub fn render(org: &str, status: StatusCode, f: &Failure) -> Response {
    let page = ErrorPage {
        org,
        title: &f.title,
        message: &f.message,
        reference: f.reference.as_deref(),
        link: f
            .link
            .as_ref()
            .map(|(h, t)| (h.as_str(), t.as_str()))
            .unwrap_or(("/app", "Go to your apps")),
    };
    match page.render() {
        Ok(text) => super::html(status, Ok(text)),
        Err(e) => {
            tracing::error!(error = %e, "error template failed");
            (status, f.title.clone()).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_errors_become_pages_that_keep_their_detail_out_of_sight() {
        let r = PageError::from(ApiError::internal("database on fire")).into_response();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let f = r
            .extensions()
            .get::<Failure>()
            .expect("a failure to render");
        assert_eq!(f.title, "Something went wrong");
        assert!(!f.message.contains("fire"));
        assert!(f.reference.as_deref().is_some_and(|r| r.starts_with("oae")));

        let r = PageError::from(ApiError::not_found("x", "User")).into_response();
        assert_eq!(r.status(), StatusCode::NOT_FOUND);
        let f = r.extensions().get::<Failure>().unwrap();
        assert_eq!(f.title, "Page not found");
        assert_eq!(f.reference, None, "a reference only for server errors");

        let r = PageError::from(SigninError::Internal("sealed secret".into())).into_response();
        assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let f = r.extensions().get::<Failure>().unwrap();
        assert!(!f.message.contains("sealed"), "the detail is only logged");
        let r = PageError::from(SigninError::NotAllowed).into_response();
        assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
        assert!(r.extensions().get::<Failure>().is_some(), "a page");
        let r = PageError::from(AccountError::PasswordRejected(vec![
            "password: short".into(),
        ]))
        .into_response();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let r = PageError::from(AccountError::Lifecycle(Refused::NotAllowed)).into_response();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);

        let r = PageError::from(ApiError::rate_limited()).into_response();
        assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
        let r = PageError::from(ApiError::validation("x", vec![])).into_response();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST);
        let page = render(
            "Acme",
            StatusCode::BAD_REQUEST,
            r.extensions().get().unwrap(),
        );
        assert_eq!(page.status(), StatusCode::BAD_REQUEST);
        assert!(
            page.headers()[axum::http::header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
    }
}
