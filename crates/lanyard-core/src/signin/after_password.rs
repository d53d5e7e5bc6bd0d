//! Where a verified password (or a changed expired one) leads, under the sign-on policy's decision: denied, the MFA
//! step (the user has an active factor), enrolment of a factor (the policy requires one the user lacks), or signed
//! in. The MFA and enrolment steps get a state token of their own step; a sign-in that ends here forgets the user's
//! failed attempts.
//!
//! The second step of the sign-in state machine moved out of the server (see `docs/signin-flow.md`).

use chrono::Duration;
use serde_json::json;

use super::policy::{self as signon, Decision, Step};
use super::{Secret, issue};
use crate::clock::Timestamp;
use crate::model::{Factor, FactorStatus, TokenKind, User};
use crate::random::Random;
use crate::store::{FactorStore, LockoutStore, OneTimeTokenStore, StoreResult};

/// The state token step of a sign-in's MFA.
pub const MFA_STEP: &str = "mfa";
/// The state token step of an enrolment; its data names the factor once one is enrolled (`factorId`).
pub const ENROLL_STEP: &str = "mfa_enroll";

/// The next step of a sign-in whose password is right.
#[derive(Debug)]
pub enum Next {
    /// The policy denies: the sign-in fails as a wrong password does.
    Deny,
    /// A second factor is needed: one of `factors` (the user's active ones), with a state token of [`MFA_STEP`].
    Mfa {
        factors: Vec<Factor>,
        state_token: Secret,
        expires_at: Timestamp,
    },
    /// The policy requires a factor the user lacks: enrolment, with a state token of [`ENROLL_STEP`] that lives at
    /// least 10 minutes (time to set up an authenticator app).
    Enroll {
        state_token: Secret,
        expires_at: Timestamp,
    },
    /// Signed in with the password alone; the failed attempts are forgotten.
    Success,
}

/// The next step for `user` under `decision` (none: no policy covers them, denied).
pub async fn next<S>(
    store: &S,
    random: &dyn Random,
    now: Timestamp,
    state_token_ttl: Duration,
    user: &User,
    decision: Option<&Decision>,
) -> StoreResult<Next>
where
    S: FactorStore + OneTimeTokenStore + LockoutStore + ?Sized,
{
    let factors: Vec<Factor> = store
        .factors(&user.id)
        .await?
        .into_iter()
        .filter(|f| f.status == FactorStatus::Active)
        .collect();
    Ok(match signon::next_step(decision, !factors.is_empty()) {
        Step::Deny => Next::Deny,
        Step::Mfa => {
            let (state_token, expires_at) = issue(
                store,
                random,
                now,
                &user.id,
                TokenKind::StateToken,
                state_token_ttl,
                json!({ "step": MFA_STEP }),
            )
            .await?;
            Next::Mfa {
                factors,
                state_token,
                expires_at,
            }
        }
        Step::Enroll => {
            let (state_token, expires_at) = issue(
                store,
                random,
                now,
                &user.id,
                TokenKind::StateToken,
                signon::enrolment_ttl(state_token_ttl),
                json!({ "step": ENROLL_STEP }),
            )
            .await?;
            Next::Enroll {
                state_token,
                expires_at,
            }
        }
        Step::Success => {
            store.reset_failures(&user.id).await?;
            Next::Success
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::directory::accounts::tests::World;
    use crate::random::SystemRandom;
    use crate::signin::policy::Access;
    use crate::signin::state_token;
    use crate::store::UserStore;

    const TTL: Duration = Duration::minutes(5);

    fn decision(access: Access, require_factor: bool) -> Decision {
        Decision {
            policy_id: "00p1".into(),
            rule_id: "0pr1".into(),
            rule_name: "Rule".into(),
            policy_name: "Policy".into(),
            access,
            require_factor,
        }
    }

    fn factor(user: &User, status: FactorStatus, now: Timestamp) -> Factor {
        Factor {
            id: format!("uft{}", status.as_str()),
            user_id: user.id.clone(),
            factor_type: crate::model::FactorType::Totp,
            provider: "GOOGLE".into(),
            status,
            sealed_secret: Vec::new(),
            last_used_step: None,
            profile: json!({}),
            created: now,
            last_updated: now,
        }
    }

    #[tokio::test]
    async fn no_policy_or_a_deny_rule_denies_even_with_a_factor() {
        let w = World::new();
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let now = w.clock.now();
        w.store
            .insert_factor(&factor(&user, FactorStatus::Active, now))
            .await
            .unwrap();
        for d in [None, Some(decision(Access::Deny, false))] {
            let next = next(&w.store, &SystemRandom, now, TTL, &user, d.as_ref())
                .await
                .unwrap();
            assert!(matches!(next, Next::Deny), "{d:?}");
        }
    }

    #[tokio::test]
    async fn an_active_factor_means_mfa_with_a_state_token_of_that_step() {
        let w = World::new();
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let now = w.clock.now();
        w.store
            .insert_factor(&factor(&user, FactorStatus::Active, now))
            .await
            .unwrap();
        let allow = decision(Access::Allow, false);
        let Next::Mfa {
            factors,
            state_token: token,
            expires_at,
        } = next(&w.store, &SystemRandom, now, TTL, &user, Some(&allow))
            .await
            .unwrap()
        else {
            panic!("MFA expected")
        };
        assert_eq!(factors.len(), 1);
        assert_eq!(expires_at, now + TTL);
        let found = state_token(&w.store, &token.value, MFA_STEP, now)
            .await
            .unwrap();
        assert_eq!(found.map(|(_, u)| u.id), Some(user.id));
    }

    #[tokio::test]
    async fn a_required_factor_the_user_lacks_means_enrolment_for_at_least_ten_minutes() {
        let w = World::new();
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let now = w.clock.now();
        // A factor still pending activation is not one the user has.
        w.store
            .insert_factor(&factor(&user, FactorStatus::PendingActivation, now))
            .await
            .unwrap();
        let required = decision(Access::Allow, true);
        let Next::Enroll {
            state_token: token,
            expires_at,
        } = next(&w.store, &SystemRandom, now, TTL, &user, Some(&required))
            .await
            .unwrap()
        else {
            panic!("enrolment expected")
        };
        assert_eq!(expires_at, now + Duration::minutes(10));
        assert!(
            state_token(&w.store, &token.value, ENROLL_STEP, now)
                .await
                .unwrap()
                .is_some()
        );
    }

    #[tokio::test]
    async fn success_forgets_the_failed_attempts() {
        let w = World::new();
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let now = w.clock.now();
        let later = now + Duration::hours(1);
        w.store
            .record_failure(&user.id, 5, now, later, now)
            .await
            .unwrap();
        let allow = decision(Access::Allow, false);
        let next = next(&w.store, &SystemRandom, now, TTL, &user, Some(&allow))
            .await
            .unwrap();
        assert!(matches!(next, Next::Success));
        let count = w
            .store
            .record_failure(&user.id, 5, now, later, now)
            .await
            .unwrap();
        assert_eq!(count.attempts, 1);
        assert!(w.store.user(&user.id).await.unwrap().is_some());
    }
}
