//! Choosing a new password: the policy, the history, and the hash to store — the one rule every door that sets a
//! password follows (the Users API, activation links, resets, an expired password's change).
//!
//! Hashing is slow and CPU-bound, so it comes in through [`Hashing`]: the server runs it on blocking threads, a
//! bounded number at a time; the core's tests hash inline with small parameters ([`InlineHashing`]).

use async_trait::async_trait;
use serde_json::{Map, Value};

use super::hash::{self, Params};
use super::policy::{PasswordPolicy, PolicyContext, REUSED_CAUSE};
use crate::clock::Timestamp;
use crate::model::PasswordRecord;
use crate::random::Random;

/// Why a password could not be hashed or compared (never carries the password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashingFailed(pub String);

/// The hashing a new password needs.
#[async_trait]
pub trait Hashing: Send + Sync {
    /// A new PHC string for `password`.
    async fn hash(&self, password: &str) -> Result<String, HashingFailed>;
    /// Whether `password` matches the stored PHC string `phc` (a malformed one matches nothing).
    async fn verify(&self, password: &str, phc: &str) -> Result<bool, HashingFailed>;
    /// A sign-in's check of `password` against `phc`: whether it matches, and whether the hash should be made
    /// again at the current parameters ([`hash::Verified`]).
    async fn check(&self, password: &str, phc: &str) -> Result<hash::Verified, HashingFailed>;
    /// The work of a [`Hashing::check`] with nothing to check against (a sign-in naming no user), so that the
    /// answer's timing does not tell whether the user exists.
    async fn check_nothing(&self, password: &str);
    /// Whether `password` matches one of the `history_count` first of `previous_hashes` (most recent first).
    async fn reused(
        &self,
        password: &str,
        previous_hashes: &[String],
        history_count: usize,
    ) -> Result<bool, HashingFailed>;
}

/// Hashing on the calling thread: for tests and tools, never for a server's request path.
pub struct InlineHashing<'a> {
    pub params: Params,
    pub random: &'a dyn Random,
}

#[async_trait]
impl Hashing for InlineHashing<'_> {
    async fn hash(&self, password: &str) -> Result<String, HashingFailed> {
        hash::hash(password, &self.params, self.random).map_err(|e| HashingFailed(e.to_string()))
    }

    async fn verify(&self, password: &str, phc: &str) -> Result<bool, HashingFailed> {
        hash::verify(password, phc, &self.params)
            .map(|v| v.ok)
            .map_err(|e| HashingFailed(e.to_string()))
    }

    async fn check(&self, password: &str, phc: &str) -> Result<hash::Verified, HashingFailed> {
        hash::verify(password, phc, &self.params).map_err(|e| HashingFailed(e.to_string()))
    }

    async fn check_nothing(&self, password: &str) {
        hash::verify_dummy(password, &self.params);
    }

    async fn reused(
        &self,
        password: &str,
        previous_hashes: &[String],
        history_count: usize,
    ) -> Result<bool, HashingFailed> {
        let policy = PasswordPolicy {
            history_count,
            ..PasswordPolicy::default()
        };
        Ok(policy.reused(password, previous_hashes, &self.params))
    }
}

/// Why a new password is not taken.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejected {
    /// It breaks the policy or repeats a recent password: a cause per problem, `password: …`.
    Policy(Vec<String>),
    /// Hashing failed (a server fault, not the user's).
    Hashing(HashingFailed),
}

/// The login of a profile as the policy and the directory see it (trimmed).
pub fn login_of(profile: &Map<String, Value>) -> String {
    profile
        .get("login")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// Checks `password` for the user of `profile` against `policy` and, when they have one, against their
/// `previous` password and its history; then hashes it. The record keeps the `policy.history_count` most recent
/// earlier hashes.
pub async fn new_record(
    hashing: &dyn Hashing,
    policy: &PasswordPolicy,
    password: &str,
    profile: &Map<String, Value>,
    previous: Option<&PasswordRecord>,
    now: Timestamp,
) -> Result<PasswordRecord, Rejected> {
    let login = login_of(profile);
    let ctx = PolicyContext {
        login: &login,
        first_name: profile.get("firstName").and_then(Value::as_str),
        last_name: profile.get("lastName").and_then(Value::as_str),
    };
    let mut causes = policy.check(password, &ctx);
    let earlier: Vec<String> = previous
        .map(|p| {
            std::iter::once(p.hash.clone())
                .chain(p.history.iter().cloned())
                .collect()
        })
        .unwrap_or_default();
    if causes.is_empty()
        && !earlier.is_empty()
        && hashing
            .reused(password, &earlier, policy.history_count)
            .await
            .map_err(Rejected::Hashing)?
    {
        causes.push(REUSED_CAUSE.to_owned());
    }
    if !causes.is_empty() {
        return Err(Rejected::Policy(causes));
    }
    let hash = hashing.hash(password).await.map_err(Rejected::Hashing)?;
    let mut history = earlier;
    history.truncate(policy.history_count);
    Ok(PasswordRecord {
        hash,
        history,
        changed: now,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::random::SystemRandom;
    use chrono::Utc;
    use serde_json::json;

    /// Fast hashing for the core's tests.
    pub(crate) fn hashing() -> InlineHashing<'static> {
        InlineHashing {
            params: Params::new(64, 1, 1).unwrap(),
            random: &SystemRandom,
        }
    }

    fn profile() -> Map<String, Value> {
        json!({"login": "ada@example.com", "firstName": "Ada", "lastName": "Lovelace"})
            .as_object()
            .cloned()
            .unwrap()
    }

    #[tokio::test]
    async fn the_policy_and_the_history_decide_and_the_record_keeps_the_history() {
        let h = hashing();
        let policy = PasswordPolicy::default();
        let now = Utc::now();
        let short = new_record(&h, &policy, "Ab1", &profile(), None, now).await;
        assert!(matches!(short, Err(Rejected::Policy(c)) if c.len() == 1));
        let named = new_record(&h, &policy, "Lovelace-Rules-9", &profile(), None, now).await;
        assert!(matches!(named, Err(Rejected::Policy(_))), "the last name");

        let mut record = new_record(&h, &policy, "First-Pass-1", &profile(), None, now)
            .await
            .unwrap();
        assert!(record.history.is_empty());
        assert_eq!(record.changed, now);
        for (i, next) in [
            "Second-Pass-2",
            "Third-Pass-3",
            "Fourth-Pass-4",
            "Fifth-Pass-5",
        ]
        .iter()
        .enumerate()
        {
            let fresh = new_record(&h, &policy, next, &profile(), Some(&record), now)
                .await
                .unwrap();
            assert_eq!(fresh.history.len(), (i + 1).min(policy.history_count));
            assert_eq!(fresh.history[0], record.hash);
            record = fresh;
        }
        // The current password and the three before it are refused; the fifth-latest is allowed again.
        for again in ["Fifth-Pass-5", "Second-Pass-2"] {
            let refused = new_record(&h, &policy, again, &profile(), Some(&record), now).await;
            assert_eq!(
                refused.unwrap_err(),
                Rejected::Policy(vec![REUSED_CAUSE.to_owned()]),
                "{again}"
            );
        }
        new_record(&h, &policy, "First-Pass-1", &profile(), Some(&record), now)
            .await
            .unwrap();
    }
}
