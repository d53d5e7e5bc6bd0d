use crate::clock::Timestamp;

/// A management API token as stored: the SHA-256 of the token, never the token.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: String,
    pub name: String,
    pub user_id: Option<String>,
    pub token_hash: [u8; 32],
    /// The first characters of the token, so an operator can tell tokens apart.
    pub token_prefix: String,
    pub created: Timestamp,
    pub last_updated: Timestamp,
    pub last_used: Option<Timestamp>,
    pub expires_at: Option<Timestamp>,
}

impl std::fmt::Debug for ApiToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ApiToken")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("token_prefix", &self.token_prefix)
            .finish_non_exhaustive()
    }
}
