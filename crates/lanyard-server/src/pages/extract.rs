//! axum's `Path` and `Query` for the pages: an address the page cannot read (a query parameter given twice, bytes
//! that are not UTF-8) is answered with the error page, 400, not with axum's plain-text rejection. Pages import these
//! in place of axum's; the handlers read the same (`Path(id)`, `Query(q)`).

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::error::PageError;

/// The path's parameters, as `axum::extract::Path`.
#[derive(Debug)]
pub struct Path<T>(pub T);

/// The query string, as `axum::extract::Query`.
#[derive(Debug)]
pub struct Query<T>(pub T);

fn refused(status: axum::http::StatusCode, text: String) -> PageError {
    if status.is_server_error() {
        // A route whose handler names parameters the route does not have: ours to fix, not the browser's.
        PageError::internal(text)
    } else {
        PageError::invalid(status, text)
    }
}

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for Path<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PageError> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(value)) => Ok(Path(value)),
            Err(e) => Err(refused(e.status(), e.body_text())),
        }
    }
}

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for Query<T> {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, PageError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Query(value)),
            Err(e) => Err(refused(e.status(), e.body_text())),
        }
    }
}
