//! Management API tokens: 256 random bits, shown once, stored as SHA-256.
//!
//! SHA-256 (not a password hash) is right here: the token is uniformly random, so there is nothing to brute-force,
//! and every management API call checks one.

use std::fmt;

use chrono::Duration;

use crate::clock::Timestamp;
use crate::crypto::sha256;
use crate::id::{new_id, prefix};
use crate::model::ApiToken;
use crate::random::{Random, b64url, bytes};

/// The token text. `Debug` prints its first characters only.
pub struct ApiTokenSecret(String);

impl ApiTokenSecret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiTokenSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ApiTokenSecret({}…)", display_prefix(&self.0))
    }
}

/// The characters of a token safe to show: six, out of 45.
pub fn display_prefix(token: &str) -> &str {
    token.get(..6).unwrap_or("")
}

/// The stored form of a presented token.
pub fn hash(token: &str) -> [u8; 32] {
    sha256(token.as_bytes())
}

/// Mints a token: `00` (as Okta's tokens begin) and 43 base64url characters of 256 random bits.
pub fn mint(
    name: &str,
    user_id: Option<String>,
    expires_in: Option<Duration>,
    random: &dyn Random,
    now: Timestamp,
) -> (ApiTokenSecret, ApiToken) {
    let secret = format!("00{}", b64url(&bytes::<32>(random)));
    let record = ApiToken {
        id: new_id(prefix::API_TOKEN, now, random),
        name: name.to_owned(),
        user_id,
        token_hash: hash(&secret),
        token_prefix: display_prefix(&secret).to_owned(),
        created: now,
        last_updated: now,
        last_used: None,
        expires_at: expires_in.map(|d| now + d),
    };
    (ApiTokenSecret(secret), record)
}

/// Whether a stored token is usable at `now`.
pub fn is_valid(token: &ApiToken, now: Timestamp) -> bool {
    token.expires_at.is_none_or(|t| t > now)
}

/// The longest token name.
pub const NAME_MAX: usize = 255;

/// What creating a token logs.
pub const CREATED: crate::change::Event = ("system.api_token.create", "Create API token");

/// Why a token was not created.
#[derive(Debug)]
pub enum CreateRefused {
    /// The name is blank or longer than [`NAME_MAX`] characters: why.
    Name(&'static str),
    Store(crate::store::StoreError),
}

impl From<crate::store::StoreError> for CreateRefused {
    fn from(e: crate::store::StoreError) -> Self {
        CreateRefused::Store(e)
    }
}

/// The name a token may have: `name` without surrounding spaces, 1 to [`NAME_MAX`] characters.
pub fn check_name(name: &str) -> Result<String, CreateRefused> {
    let name = name.trim();
    if name.is_empty() {
        Err(CreateRefused::Name("The name cannot be left blank."))
    } else if name.chars().count() > NAME_MAX {
        Err(CreateRefused::Name(
            "The name must have at most 255 characters.",
        ))
    } else {
        Ok(name.to_owned())
    }
}

/// Creates a token named `name` for `user_id` (none: made on the command line), expiring after `expires_in` (none:
/// never): [`mint`]ed and stored (its hash only). The secret is the caller's to show once.
pub async fn create(
    store: &(impl crate::store::ApiTokenStore + ?Sized),
    name: &str,
    user_id: Option<String>,
    expires_in: Option<Duration>,
    random: &dyn Random,
    now: Timestamp,
) -> Result<(ApiTokenSecret, ApiToken), CreateRefused> {
    let name = check_name(name)?;
    let (secret, record) = mint(&name, user_id, expires_in, random, now);
    store.insert_api_token(&record).await?;
    Ok((secret, record))
}

/// What revoking a token logs.
pub const REVOKED: crate::change::Event = ("system.api_token.revoke", "Revoke API token");

/// Revokes (deletes) a token; `current` names the caller's own (`me`). The id revoked, or `None` when there is no
/// such token.
pub async fn revoke(
    store: &(impl crate::store::ApiTokenStore + ?Sized),
    id: &str,
    me: &str,
) -> crate::store::StoreResult<Option<String>> {
    let id = if id == "current" { me } else { id };
    Ok(store.delete_api_token(id).await?.then(|| id.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SystemRandom;
    use chrono::Utc;

    #[test]
    fn minted_tokens_are_long_random_and_stored_only_as_hash() {
        let now = Utc::now();
        let (secret, record) = mint("ci", None, None, &SystemRandom, now);
        assert_eq!(secret.expose().len(), 45);
        assert_eq!(record.token_hash, hash(secret.expose()));
        assert!(!format!("{record:?}").contains(secret.expose()));
        assert!(!format!("{secret:?}").contains(&secret.expose()[6..]));
        let (other, _) = mint("ci", None, None, &SystemRandom, now);
        assert_ne!(secret.expose(), other.expose());
    }

    #[test]
    fn expiry_is_honoured() {
        let now = Utc::now();
        let (_, record) = mint("ci", None, Some(Duration::hours(1)), &SystemRandom, now);
        assert!(is_valid(&record, now));
        assert!(!is_valid(&record, now + Duration::hours(1)));
    }
}

#[cfg(test)]
mod revoke_tests {
    use super::*;
    use crate::random::SystemRandom;
    use crate::store::ApiTokenStore;
    use crate::store::memory::MemoryStore;

    #[tokio::test]
    async fn current_is_the_caller_s_own_token_and_a_revoked_token_is_gone() {
        let store = MemoryStore::new();
        let now = chrono::Utc::now();
        let (_, mine) = mint("ci", None, None, &SystemRandom, now);
        let (_, other) = mint("other", None, None, &SystemRandom, now);
        store.insert_api_token(&mine).await.unwrap();
        store.insert_api_token(&other).await.unwrap();
        assert_eq!(
            revoke(&store, "current", &mine.id).await.unwrap(),
            Some(mine.id.clone())
        );
        assert!(store.api_token(&mine.id).await.unwrap().is_none());
        assert_eq!(revoke(&store, &mine.id, &other.id).await.unwrap(), None);
        assert!(store.api_token(&other.id).await.unwrap().is_some());
    }

    #[tokio::test]
    async fn a_created_token_is_stored_as_its_hash_under_a_checked_name() {
        let store = MemoryStore::new();
        let now = chrono::Utc::now();
        for bad in ["", "   ", &"x".repeat(256)] {
            assert!(matches!(
                create(&store, bad, None, None, &SystemRandom, now).await,
                Err(CreateRefused::Name(_))
            ));
        }
        let (secret, record) = create(
            &store,
            "  deploy  ",
            Some("00uadmin".into()),
            None,
            &SystemRandom,
            now,
        )
        .await
        .unwrap();
        assert_eq!(record.name, "deploy");
        let stored = store
            .api_token_by_hash(&hash(secret.expose()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(stored.id, record.id);
        assert_eq!(stored.user_id.as_deref(), Some("00uadmin"));
    }
}
