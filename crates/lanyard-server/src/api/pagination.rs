//! Cursor pagination in Okta's form: `limit` and `after` in, `Link` headers out — `rel="self"` first and an
//! absolute `rel="next"` last (Okta's Python SDK keeps only the last `Link` header it sees).

use axum::Json;
use axum::http::{HeaderMap, HeaderValue, Uri, header};
use axum::response::{IntoResponse, Response};
use lanyard_core::model::PageRequest;
use serde::Deserialize;

use super::error::ApiError;

/// The paging part of a list request's query.
#[derive(Debug, schemars::JsonSchema, Deserialize, Default)]
pub struct PageQuery {
    pub limit: Option<String>,
    pub after: Option<String>,
}

impl PageQuery {
    /// Validates `limit` (an integer ≥ 1; above `max` it is clamped, as Okta does) and defaults it.
    pub fn to_request(&self, default: u32, max: u32) -> Result<PageRequest, ApiError> {
        let limit = match self.limit.as_deref() {
            None | Some("") => default,
            Some(text) => match text.parse::<i64>() {
                Ok(n) if n >= 1 => n.min(i64::from(max)) as u32,
                _ => {
                    return Err(ApiError::validation(
                        "limit",
                        vec![format!("limit: must be a positive integer, got {text:?}")],
                    ));
                }
            },
        };
        Ok(PageRequest {
            limit,
            after: self.after.clone().filter(|a| !a.is_empty()),
        })
    }
}

/// The `Link` headers for a page served at `path` (below the base URL) with the request's `query`.
pub fn link_headers(
    base_url: &str,
    path: &str,
    query: Option<&str>,
    next: Option<&str>,
) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let self_url = match query {
        Some(q) if !q.is_empty() => format!("{base_url}{path}?{q}"),
        _ => format!("{base_url}{path}"),
    };
    if let Ok(v) = HeaderValue::from_str(&format!("<{self_url}>; rel=\"self\"")) {
        headers.append(header::LINK, v);
    }
    if let Some(cursor) = next {
        let mut params: Vec<(String, String)> =
            url::form_urlencoded::parse(query.unwrap_or("").as_bytes())
                .filter(|(k, _)| k != "after")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
        params.push(("after".into(), cursor.to_owned()));
        let q = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish();
        if let Ok(v) = HeaderValue::from_str(&format!("<{base_url}{path}?{q}>; rel=\"next\"")) {
            headers.append(header::LINK, v);
        }
    }
    headers
}

/// A list response: the rendered items as a JSON array, with the `Link` headers for the page at `uri`.
pub fn list_response<T: serde::Serialize>(
    base_url: &str,
    uri: &Uri,
    next: Option<&str>,
    items: Vec<T>,
) -> Response {
    (
        link_headers(base_url, uri.path(), uri.query(), next),
        Json(items),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::error::OktaCode;

    #[test]
    fn self_comes_first_and_next_last_with_other_parameters_kept() {
        let h = link_headers(
            "http://x",
            "/api/v1/users",
            Some("limit=2&after=a&q=bo%20b"),
            Some("00u2"),
        );
        let links: Vec<_> = h
            .get_all(header::LINK)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            links[0],
            "<http://x/api/v1/users?limit=2&after=a&q=bo%20b>; rel=\"self\""
        );
        assert_eq!(
            links[1],
            "<http://x/api/v1/users?limit=2&q=bo+b&after=00u2>; rel=\"next\""
        );
        assert_eq!(
            link_headers("http://x", "/p", None, None)
                .get_all(header::LINK)
                .iter()
                .count(),
            1
        );
    }

    #[test]
    fn limits_are_validated_and_clamped() {
        let q = |l: &str| PageQuery {
            limit: Some(l.into()),
            after: None,
        };
        assert_eq!(q("5").to_request(20, 200).unwrap().limit, 5);
        assert_eq!(q("5000").to_request(20, 200).unwrap().limit, 200);
        assert_eq!(
            q("0").to_request(20, 200).unwrap_err().code,
            OktaCode::ApiValidationFailed
        );
        assert_eq!(
            q("x").to_request(20, 200).unwrap_err().code,
            OktaCode::ApiValidationFailed
        );
        assert_eq!(PageQuery::default().to_request(20, 200).unwrap().limit, 20);
    }
}
