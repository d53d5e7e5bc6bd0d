//! The OAuth 2.0 / OpenID Connect protocol core: no HTTP, no SQL. Handlers parse a request into [`params::Params`],
//! call these functions with the store, the time and a source of randomness, and render what comes back.

pub mod acr;
pub mod authorization_response;
pub mod authorize;
pub mod claims;
pub mod client_auth;
pub mod consent;
pub mod device;
pub mod device_approval;
pub mod dpop;
pub mod grants;
pub mod id_token_hint;
pub mod introspection;
pub mod logout;
pub mod params;
pub mod pkce;
pub mod policy;
pub mod preview;
pub mod registration;
pub mod registration_ops;
pub mod request_object;
pub mod revocation;
pub mod subject;
pub mod tokens;
pub mod user_grants;
pub mod userinfo;
