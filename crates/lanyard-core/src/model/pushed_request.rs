//! Authorization requests held server-side and referred to by a `request_uri` of the form
//! `urn:ietf:params:oauth:request_uri:…`: pushed by a client (RFC 9126), or kept by the authorization endpoint while
//! the browser signs in or consents to a request that came as a request object. Found by the SHA-256 of the
//! reference, bound to one client and one authorization server, short-lived, and usable once.

use std::fmt;

use crate::clock::Timestamp;

#[derive(Clone, PartialEq, Eq)]
pub struct PushedRequest {
    /// SHA-256 of the whole `request_uri`.
    pub hash: [u8; 32],
    pub client_id: String,
    pub auth_server_id: String,
    /// The authorization request's parameters, already validated (a request object's signature checked).
    pub params: Vec<(String, String)>,
    pub created: Timestamp,
    pub expires_at: Timestamp,
}

impl fmt::Debug for PushedRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PushedRequest")
            .field("client_id", &self.client_id)
            .field("auth_server_id", &self.auth_server_id)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}
