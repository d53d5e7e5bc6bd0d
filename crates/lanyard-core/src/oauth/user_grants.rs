//! A user's grants (Okta's `/api/v1/users/{id}/grants`): the scopes they consented to, per app and server, which
//! spare them the consent page next time. An administrator revokes one, or all; the user is asked again.

use crate::directory::accounts::{self, AccountError};
use crate::model::{ScopeConsent, User};
use crate::store::{ConsentStore, StoreError, UserStore};

/// Why a grant was not revoked.
#[derive(Debug)]
pub enum GrantRefused {
    /// No user has this id or login.
    NoUser,
    /// The user has no grant with this id.
    NoGrant,
    Store(StoreError),
}

impl From<StoreError> for GrantRefused {
    fn from(e: StoreError) -> Self {
        GrantRefused::Store(e)
    }
}

impl From<AccountError> for GrantRefused {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Store(e) => GrantRefused::Store(e),
            _ => GrantRefused::NoUser,
        }
    }
}

/// A user's grant.
pub async fn find<S: UserStore + ConsentStore + ?Sized>(
    store: &S,
    id_or_login: &str,
    gid: &str,
) -> Result<(User, ScopeConsent), GrantRefused> {
    let user = accounts::find(store, id_or_login).await?;
    let grant = store
        .user_consents(&user.id)
        .await?
        .into_iter()
        .find(|c| c.id == gid)
        .ok_or(GrantRefused::NoGrant)?;
    Ok((user, grant))
}

/// Revokes one of the user's grants.
pub async fn revoke<S: UserStore + ConsentStore + ?Sized>(
    store: &S,
    id_or_login: &str,
    gid: &str,
) -> Result<User, GrantRefused> {
    let user = accounts::find(store, id_or_login).await?;
    if !store.delete_consent(&user.id, gid).await? {
        return Err(GrantRefused::NoGrant);
    }
    Ok(user)
}

/// Revokes every grant of the user; how many there were.
pub async fn revoke_all<S: UserStore + ConsentStore + ?Sized>(
    store: &S,
    id_or_login: &str,
) -> Result<(User, u64), GrantRefused> {
    let user = accounts::find(store, id_or_login).await?;
    let n = store.delete_user_consents(&user.id).await?;
    Ok((user, n))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::directory::accounts::tests::World;

    fn grant(id: &str, user: &User, scope: &str) -> ScopeConsent {
        ScopeConsent {
            id: id.into(),
            user_id: user.id.clone(),
            client_id: "app1".into(),
            auth_server_id: "default".into(),
            scope: scope.into(),
            created: chrono::Utc::now(),
        }
    }

    #[tokio::test]
    async fn grants_are_revoked_one_or_all_and_only_the_user_s() {
        let w = World::new();
        let ada = w.user(Some("Correct-Horse-9"), true).await;
        w.store
            .insert_consents(&[grant("oag1", &ada, "email"), grant("oag2", &ada, "phone")])
            .await
            .unwrap();
        assert_eq!(
            find(&w.store, "ada@example.com", "oag1")
                .await
                .unwrap()
                .1
                .scope,
            "email"
        );
        revoke(&w.store, &ada.id, "oag1").await.unwrap();
        assert!(matches!(
            revoke(&w.store, &ada.id, "oag1").await,
            Err(GrantRefused::NoGrant)
        ));
        assert!(matches!(
            revoke(&w.store, "nobody", "oag2").await,
            Err(GrantRefused::NoUser)
        ));
        assert_eq!(revoke_all(&w.store, &ada.id).await.unwrap().1, 1);
        assert!(w.store.user_consents(&ada.id).await.unwrap().is_empty());
    }
}
