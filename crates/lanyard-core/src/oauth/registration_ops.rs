//! Dynamic client registration's operations (RFC 7591 register, RFC 7592 read, update, delete), over the apps'
//! store: a registered client is an app of the Apps API assigned to `Everyone`; each read and update answers a new
//! registration access token (only its hash is kept). What the metadata means is [`super::registration`]'s; fetching
//! a `sector_identifier_uri` is the server's, behind [`SectorCheck`].

use async_trait::async_trait;
use serde_json::Value;

use super::registration::{RegistrationError, client, new_registration, token_matches};
use crate::apps::{MintedSecret, new_secret, secret_matches};
use crate::change::Event;
use crate::clock::Clock;
use crate::id::{new_id, prefix};
use crate::model::group::everyone_id;
use crate::model::{App, AppGroup, LifecycleStatus, OAuthClient};
use crate::random::Random;
use crate::store::{AppStore, StoreError};

pub const CREATED: Event = ("application.lifecycle.create", "Add application");
pub const UPDATED: Event = ("application.lifecycle.update", "Update application");
pub const DELETED: Event = ("application.lifecycle.delete", "Delete application");

/// Checks a client's `sector_identifier_uri` (fetched over the network, by the server).
#[async_trait]
pub trait SectorCheck: Send + Sync {
    async fn check(&self, client: &OAuthClient) -> Result<(), RegistrationError>;
}

/// What the operations need besides the store.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    pub clock: &'a dyn Clock,
    pub random: &'a dyn Random,
    pub sector: &'a dyn SectorCheck,
}

/// Why a registration operation did not happen.
#[derive(Debug)]
pub enum Refused {
    /// The metadata is not acceptable: the RFC 7591 error to answer.
    Metadata(RegistrationError),
    /// The app (by id) was deleted meanwhile.
    Gone(String),
    Store(StoreError),
}

impl From<StoreError> for Refused {
    fn from(e: StoreError) -> Self {
        Refused::Store(e)
    }
}

impl From<RegistrationError> for Refused {
    fn from(e: RegistrationError) -> Self {
        Refused::Metadata(e)
    }
}

/// A client registered, read or updated: the app, its new secret when one was minted (shown once), and its new
/// registration access token.
#[derive(Debug)]
pub struct Registered {
    pub app: App,
    pub secret: Option<MintedSecret>,
    pub token: String,
}

/// Registers a client: an ACTIVE app assigned to `Everyone` (a client nobody may use would be of no use to the
/// party that registered it), with a secret when its authentication method uses one.
pub async fn register<S: AppStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    metadata: &Value,
) -> Result<Registered, Refused> {
    let now = env.clock.now();
    let id = new_id(prefix::APP, now, env.random);
    let (label, mut client) = client(metadata, &id, None)?;
    env.sector.check(&client).await?;
    let (token, registration) = new_registration(env.random);
    client.registration = Some(registration);
    let app = App {
        id,
        name: "oidc_client".into(),
        label,
        status: LifecycleStatus::Active,
        sign_on_mode: "OPENID_CONNECT".into(),
        client,
        created: now,
        last_updated: now,
    };
    let (minted, stored) = app
        .client
        .token_endpoint_auth_method
        .uses_secret()
        .then(|| new_secret(&app.id, now, env.random))
        .unzip();
    store.insert_app(&app, stored.as_ref()).await?;
    let everyone = AppGroup {
        app_id: app.id.clone(),
        group_id: everyone_id(),
        priority: 0,
        last_updated: now,
    };
    if let Err(e) = store.put_app_group(&everyone).await {
        // No half-made client: one nobody may use would only confuse the registrant.
        let _ = store.delete_app(&app.id).await;
        return Err(e.into());
    }
    Ok(Registered {
        app,
        secret: minted,
        token: token.value,
    })
}

/// The app of `client_id` if `token` is its registration access token (`None` alike for an unknown client and a
/// wrong token, RFC 7592 §2.1).
pub async fn registered<S: AppStore + ?Sized>(
    store: &S,
    client_id: &str,
    token: &str,
) -> Result<Option<App>, StoreError> {
    Ok(store
        .app_by_client_id(client_id)
        .await?
        .filter(|app| token_matches(&app.client, token)))
}

/// Stores `app` with a new registration access token; the token.
async fn save_with_new_token<S: AppStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    app: &mut App,
) -> Result<String, Refused> {
    let (token, registration) = new_registration(env.random);
    app.client.registration = Some(registration);
    app.last_updated = env.clock.now();
    if !store.update_app(app).await? {
        return Err(Refused::Gone(app.id.clone()));
    }
    Ok(token.value)
}

/// A read (RFC 7592 §2.1): the client, with a new registration access token that retires the previous one.
pub async fn read<S: AppStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    mut app: App,
) -> Result<Registered, Refused> {
    let token = save_with_new_token(store, env, &mut app).await?;
    Ok(Registered {
        app,
        secret: None,
        token,
    })
}

/// An update (RFC 7592 §2.2): the metadata names the client, and a secret it sends must be the client's own; a
/// client that now authenticates with a secret and has none gets one.
pub async fn update<S: AppStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    mut app: App,
    metadata: &Value,
) -> Result<Registered, Refused> {
    if metadata.get("client_id").and_then(Value::as_str) != Some(app.client.client_id.as_str()) {
        return Err(RegistrationError::metadata("client_id: must be the client's own").into());
    }
    let secrets = store.client_secrets(&app.id).await?;
    if let Some(s) = metadata.get("client_secret").filter(|v| !v.is_null())
        && !s.as_str().is_some_and(|s| secret_matches(s, &secrets))
    {
        return Err(
            RegistrationError::metadata("client_secret: is not the client's secret").into(),
        );
    }
    let (label, client) = client(metadata, &app.client.client_id, Some(&app.client))?;
    env.sector.check(&client).await?;
    let now = env.clock.now();
    let minted = match (client.token_endpoint_auth_method.uses_secret() && secrets.is_empty())
        .then(|| new_secret(&app.id, now, env.random))
    {
        Some((minted, record)) => {
            store.insert_client_secret(&record).await?;
            Some(minted)
        }
        None => None,
    };
    app.label = label;
    app.client = client;
    let token = save_with_new_token(store, env, &mut app).await?;
    Ok(Registered {
        app,
        secret: minted,
        token,
    })
}

/// Deletes a registered client (RFC 7592 §2.3).
pub async fn delete<S: AppStore + ?Sized>(store: &S, app: &App) -> Result<(), StoreError> {
    store.delete_app(&app.id).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::random::SystemRandom;
    use crate::store::memory::MemoryStore;
    use serde_json::json;

    struct NoSector;

    #[async_trait]
    impl SectorCheck for NoSector {
        async fn check(&self, client: &OAuthClient) -> Result<(), RegistrationError> {
            match client.sector_identifier_uri() {
                Some(_) => Err(RegistrationError::metadata(
                    "sector_identifier_uri: unreachable",
                )),
                None => Ok(()),
            }
        }
    }

    #[tokio::test]
    async fn a_registered_client_is_assigned_to_everyone_and_each_read_rotates_its_token() {
        let store = MemoryStore::new();
        let clock = FixedClock::new(chrono::Utc::now());
        crate::bootstrap::bootstrap(&store, &clock, &SystemRandom, "Acme")
            .await
            .unwrap();
        let env = Env {
            clock: &clock,
            random: &SystemRandom,
            sector: &NoSector,
        };
        let made = register(
            &store,
            env,
            &json!({"redirect_uris": ["https://rp.example/cb"]}),
        )
        .await
        .unwrap();
        assert!(made.secret.is_some(), "client_secret_basic by default");
        let groups = store
            .list_app_groups(&made.app.id, &crate::model::PageRequest::first(10))
            .await
            .unwrap()
            .items;
        assert_eq!(groups.len(), 1);
        assert_eq!(groups[0].group_id, everyone_id());
        let client_id = made.app.client.client_id.clone();
        assert!(
            registered(&store, &client_id, "wrong")
                .await
                .unwrap()
                .is_none()
        );
        let app = registered(&store, &client_id, &made.token)
            .await
            .unwrap()
            .unwrap();
        let again = read(&store, env, app).await.unwrap();
        assert!(
            registered(&store, &client_id, &made.token)
                .await
                .unwrap()
                .is_none(),
            "a read retires the previous token"
        );
        let wrong_id = update(
            &store,
            env,
            again.app.clone(),
            &json!({"client_id": "x", "redirect_uris": ["https://rp.example/cb"]}),
        )
        .await;
        assert!(matches!(wrong_id, Err(Refused::Metadata(_))));
        let sector = register(&store, env, &json!({"redirect_uris": ["https://rp.example/cb"], "sector_identifier_uri": "https://rp.example/s.json"})).await;
        assert!(matches!(sector, Err(Refused::Metadata(_))));
        delete(&store, &again.app).await.unwrap();
        assert!(
            registered(&store, &client_id, &again.token)
                .await
                .unwrap()
                .is_none()
        );
    }
}
