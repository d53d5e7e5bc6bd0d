//! Request objects (`request`, `request_uri`, RFC 9101 / OIDC Core §6) are not supported yet: the one place that
//! says so, both to the client (OIDC Core §3.1.2.6 `request_not_supported`, `request_uri_not_supported`, sent to the
//! redirect URI once it is trusted) and in discovery.

use crate::oauth::params::Params;
use crate::oauth_error::{ErrorCode, OAuthError};

/// Discovery's `request_parameter_supported`.
pub const REQUEST_PARAMETER_SUPPORTED: bool = false;
/// Discovery's `request_uri_parameter_supported`.
pub const REQUEST_URI_PARAMETER_SUPPORTED: bool = false;

/// Refuses an authorization request that carries a request object, by value or by reference.
pub fn refuse_request_objects(params: &Params) -> Result<(), OAuthError> {
    if params.get("request").is_some() {
        return Err(OAuthError::new(
            ErrorCode::RequestNotSupported,
            "Request objects are not supported.",
        ));
    }
    if params.get("request_uri").is_some() {
        return Err(OAuthError::new(
            ErrorCode::RequestUriNotSupported,
            "The request_uri parameter is not supported.",
        ));
    }
    Ok(())
}
