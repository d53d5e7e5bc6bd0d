//! Request extractors that fail in Okta's words.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use super::error::ApiError;

/// A JSON body: syntax errors are 400 E0000003, shape errors 400 E0000001 naming the problem.
pub struct OktaJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for OktaJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state).await.map_err(|e| match e {
            BytesRejection::FailedToBufferBody(ref inner)
                if inner.body_text().contains("length limit") =>
            {
                ApiError::body_too_large()
            }
            other => ApiError::malformed_body(other.body_text()),
        })?;
        parse(&bytes).map(OktaJson)
    }
}

/// Parses a JSON body, or an empty one as JSON `null` (so `Option<T>` bodies may be omitted).
pub fn parse<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let text: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
        b"null"
    } else {
        bytes
    };
    serde_json::from_slice(text).map_err(|e| {
        use serde_json::error::Category;
        match e.classify() {
            Category::Data => ApiError::validation("request body", vec![e.to_string()]),
            _ => ApiError::malformed_body(e.to_string()),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::error::OktaCode;

    #[derive(serde::Deserialize, Debug)]
    #[allow(dead_code)]
    struct Body {
        name: String,
    }

    #[test]
    fn syntax_and_shape_errors_get_different_codes() {
        assert_eq!(
            parse::<Body>(b"{nope").unwrap_err().code,
            OktaCode::MalformedBody
        );
        assert_eq!(
            parse::<Body>(b"{\"name\": 5}").unwrap_err().code,
            OktaCode::ApiValidationFailed
        );
        assert!(parse::<Option<Body>>(b"  ").unwrap().is_none());
    }
}
