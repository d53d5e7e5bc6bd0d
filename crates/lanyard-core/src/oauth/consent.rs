//! A user's consent to an app's scopes (Okta's user grants, revocable through `/api/v1/users/{id}/grants`): what
//! the consent page's Allow records, once per scope, before the authorization request goes on.

use crate::clock::Timestamp;
use crate::id::{new_id, prefix};
use crate::model::ScopeConsent;
use crate::random::Random;
use crate::store::{ConsentStore, StoreResult};

/// Who consents, to which app, on which authorization server.
#[derive(Debug, Clone, Copy)]
pub struct ConsentOf<'a> {
    pub user_id: &'a str,
    pub client_id: &'a str,
    pub auth_server_id: &'a str,
}

/// Records the user's consent to `scopes` (a scope consented to before is kept as it was).
pub async fn grant<'s>(
    store: &(impl ConsentStore + ?Sized),
    random: &dyn Random,
    now: Timestamp,
    of: ConsentOf<'_>,
    scopes: impl IntoIterator<Item = &'s str>,
) -> StoreResult<()> {
    let consents: Vec<ScopeConsent> = scopes
        .into_iter()
        .map(|scope| ScopeConsent {
            id: new_id(prefix::GRANT, now, random),
            user_id: of.user_id.to_owned(),
            client_id: of.client_id.to_owned(),
            auth_server_id: of.auth_server_id.to_owned(),
            scope: scope.to_owned(),
            created: now,
        })
        .collect();
    store.insert_consents(&consents).await
}

/// Whether the user must be asked for consent to `scopes` (those of the request that need it) before the request
/// goes on: when the app requires consent, some scope needs it, and it was not given before to each of them — or
/// the client asks again (`prompt=consent`).
pub async fn needed(
    store: &(impl ConsentStore + ?Sized),
    of: ConsentOf<'_>,
    app_requires: bool,
    scopes: &[String],
    asked_again: bool,
) -> StoreResult<bool> {
    if !app_requires || scopes.is_empty() {
        return Ok(false);
    }
    if asked_again {
        return Ok(true);
    }
    let given = store
        .consented_scopes(of.user_id, of.client_id, of.auth_server_id)
        .await?;
    Ok(scopes.iter().any(|s| !given.contains(s)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SystemRandom;
    use crate::store::memory::MemoryStore;
    use chrono::Utc;

    #[tokio::test]
    async fn consents_are_recorded_per_scope_and_once() {
        let store = MemoryStore::new();
        let now = Utc::now();
        let of = ConsentOf {
            user_id: "00u1",
            client_id: "app1",
            auth_server_id: "default",
        };
        grant(&store, &SystemRandom, now, of, ["openid", "profile"])
            .await
            .unwrap();
        grant(&store, &SystemRandom, now, of, ["profile", "email"])
            .await
            .unwrap();
        let mut scopes = store
            .consented_scopes("00u1", "app1", "default")
            .await
            .unwrap();
        scopes.sort();
        assert_eq!(scopes, ["email", "openid", "profile"]);
        let all = store.user_consents("00u1").await.unwrap();
        assert_eq!(all.len(), 3);
        assert!(all.iter().all(|c| c.id.starts_with(prefix::GRANT)));
        assert!(
            store
                .consented_scopes("00u1", "app2", "default")
                .await
                .unwrap()
                .is_empty()
        );
    }
}
