//! Custom authorization servers: create (with the system scopes and signing keys at once), replace, delete, activate,
//! deactivate, and key rotation. `default` is an ordinary custom server here: it can be changed, deactivated and
//! deleted, as in Okta, and a deleted `default` is not recreated at the next start. A replace without
//! `credentials.signing.alg` keeps the server's algorithm.

use serde_json::Value;

use super::{Changed, Env, custom_server};
use crate::authz::servers::{system_scopes, validate_server};
use crate::change::{Event, Refused, Resource};
use crate::crypto::SigningAlg;
use crate::id::{new_id, prefix};
use crate::keys::{self, KeyGenerator};
use crate::model::{AuthServerKind, AuthorizationServer, KeyStatus, LifecycleStatus};
use crate::store::{AuthServerAdminStore, AuthServerStore, KeyStore};

/// The store capabilities the operations on servers use: the servers and their keys.
pub trait ServerAdminStore: AuthServerStore + AuthServerAdminStore + KeyStore {}

impl<T> ServerAdminStore for T where T: AuthServerStore + AuthServerAdminStore + KeyStore + ?Sized {}

pub const CREATED: Event = ("oauth2.as.created", "Create authorization server");
pub const UPDATED: Event = ("oauth2.as.updated", "Update authorization server");
pub const DELETED: Event = ("oauth2.as.deleted", "Delete authorization server");
pub const ACTIVATED: Event = ("oauth2.as.activated", "Activate authorization server");
pub const DEACTIVATED: Event = ("oauth2.as.deactivated", "Deactivate authorization server");
pub const KEYS_ROTATED: Event = (
    "oauth2.as.key.rotate",
    "Rotate authorization server signing keys",
);

/// Creates an ACTIVE custom server from a body, with its system scopes and an ACTIVE and a NEXT key per algorithm.
pub async fn create<S: ServerAdminStore + ?Sized>(
    store: &S,
    keys: &dyn KeyGenerator,
    env: Env<'_>,
    body: &Value,
) -> Result<Changed<AuthorizationServer>, Refused> {
    let f = validate_server(body)?;
    let now = env.clock.now();
    let server = AuthorizationServer {
        id: new_id(prefix::AUTH_SERVER, now, env.random),
        kind: AuthServerKind::Custom,
        name: f.name,
        description: f.description,
        audiences: f.audiences,
        status: LifecycleStatus::Active,
        signing_alg: f.signing_alg.unwrap_or(SigningAlg::RS256),
        created: now,
        last_updated: now,
    };
    store
        .insert_auth_server(&server, &system_scopes(&server.id, now))
        .await?;
    // Its keys at once; should this fail, the key schedule completes them.
    keys::ensure(
        store,
        keys,
        &server.id,
        &[KeyStatus::Active, KeyStatus::Next],
    )
    .await?;
    Ok(Changed::of(server.clone(), server, CREATED, None))
}

async fn save<S: ServerAdminStore + ?Sized>(
    store: &S,
    server: AuthorizationServer,
    event: Event,
) -> Result<Changed<AuthorizationServer>, Refused> {
    if !store.update_auth_server(&server).await? {
        return Err(Refused::not_found(
            Resource::AuthorizationServer,
            &server.id,
        ));
    }
    Ok(Changed::of(server.clone(), server, event, None))
}

/// Replaces `name`, `description` and `audiences` (and the algorithm when the body names one); the status changes
/// only through [`set_status`].
pub async fn replace<S: ServerAdminStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    id: &str,
    body: &Value,
) -> Result<Changed<AuthorizationServer>, Refused> {
    let mut server = custom_server(store, id).await?;
    let f = validate_server(body)?;
    server.name = f.name;
    server.description = f.description;
    server.audiences = f.audiences;
    if let Some(alg) = f.signing_alg {
        server.signing_alg = alg;
    }
    server.last_updated = env.clock.now();
    save(store, server, UPDATED).await
}

/// Deletes a server with everything it holds.
pub async fn delete<S: ServerAdminStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    id: &str,
) -> Result<Changed<AuthorizationServer>, Refused> {
    let server = custom_server(store, id).await?;
    if !store
        .delete_auth_server(&server.id, env.clock.now())
        .await?
    {
        return Err(Refused::not_found(Resource::AuthorizationServer, id));
    }
    Ok(Changed::of(server.clone(), server, DELETED, None))
}

/// Activates or deactivates a server; nothing happens (and no event) when it is in that status already.
pub async fn set_status<S: ServerAdminStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    id: &str,
    status: LifecycleStatus,
) -> Result<Changed<AuthorizationServer>, Refused> {
    let mut server = custom_server(store, id).await?;
    if server.status == status {
        return Ok(Changed {
            item: server.clone(),
            server,
            event: None,
            target: None,
        });
    }
    server.status = status;
    server.last_updated = env.clock.now();
    let event = match status {
        LifecycleStatus::Active => ACTIVATED,
        LifecycleStatus::Inactive => DEACTIVATED,
    };
    save(store, server, event).await
}

/// Rotates every signing key of a server: each NEXT key becomes ACTIVE, each ACTIVE one retires (published for the
/// retention), and a fresh NEXT key is made. The item is the kids that became ACTIVE.
pub async fn rotate_keys<S: ServerAdminStore + ?Sized>(
    store: &S,
    keys: &dyn KeyGenerator,
    env: Env<'_>,
    id: &str,
) -> Result<Changed<Vec<String>>, Refused> {
    let server = custom_server(store, id).await?;
    let activated = keys::rotate_all(store, keys, &server, env.clock.now()).await?;
    Ok(Changed::of(activated, server, KEYS_ROTATED, None))
}

#[cfg(test)]
mod tests {
    use super::super::tests::World;
    use super::*;
    use crate::store::ScopeStore;
    use serde_json::json;

    #[tokio::test]
    async fn a_new_server_has_its_system_scopes_and_keys_and_every_change_is_an_event() {
        let w = World::new();
        let body = json!({"name": "orders", "description": "Orders", "audiences": ["api://orders"], "credentials": {"signing": {"alg": "ES256"}}});
        let made = create(&w.store, &w.keys, w.env(), &body).await.unwrap();
        let s = &made.item;
        assert_eq!(
            (s.kind, s.status),
            (AuthServerKind::Custom, LifecycleStatus::Active)
        );
        assert_eq!(s.signing_alg, SigningAlg::ES256);
        assert_eq!(made.event, Some(CREATED));
        assert_eq!(made.targets().len(), 1);
        assert_eq!(w.store.scopes(&s.id).await.unwrap().len(), 7);
        assert_eq!(
            w.store.keys(&s.id).await.unwrap().len(),
            6,
            "ACTIVE and NEXT per algorithm"
        );

        let invalid = create(&w.store, &w.keys, w.env(), &json!({"name": "x"})).await;
        assert!(matches!(invalid, Err(Refused::Invalid(i)) if i.names("audiences")));

        // A replace without an algorithm keeps it.
        let body = json!({"name": "orders2", "description": "Orders", "audiences": ["api://o"]});
        let replaced = replace(&w.store, w.env(), &s.id, &body).await.unwrap();
        assert_eq!(replaced.item.signing_alg, SigningAlg::ES256);
        assert_eq!(replaced.item.name, "orders2");
        assert_eq!(replaced.event, Some(UPDATED));

        let off = set_status(&w.store, w.env(), &s.id, LifecycleStatus::Inactive)
            .await
            .unwrap();
        assert_eq!(off.event, Some(DEACTIVATED));
        let again = set_status(&w.store, w.env(), &s.id, LifecycleStatus::Inactive)
            .await
            .unwrap();
        assert_eq!(again.event, None, "no change, no event");

        let rotated = rotate_keys(&w.store, &w.keys, w.env(), &s.id)
            .await
            .unwrap();
        assert_eq!(rotated.item.len(), 3, "one per algorithm");
        assert_eq!(rotated.event, Some(KEYS_ROTATED));

        let gone = delete(&w.store, w.env(), &s.id).await.unwrap();
        assert_eq!(gone.event, Some(DELETED));
        assert!(matches!(
            delete(&w.store, w.env(), &s.id).await,
            Err(Refused::NotFound(Resource::AuthorizationServer, _))
        ));
    }

    #[tokio::test]
    async fn the_org_server_is_not_managed_here() {
        let w = World::new();
        crate::bootstrap::bootstrap(&w.store, &w.clock, &crate::random::SystemRandom, "Acme")
            .await
            .unwrap();
        let org = crate::model::auth_server::ORG_SERVER_ID;
        let body = json!({"name": "x", "description": "d", "audiences": ["a"]});
        assert!(matches!(
            replace(&w.store, w.env(), org, &body).await,
            Err(Refused::NotFound(Resource::AuthorizationServer, _))
        ));
    }
}
