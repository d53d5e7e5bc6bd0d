//! The operations on apps every door shares (the Apps API, the admin console): create, replace, activate and
//! deactivate, delete (only once deactivated, as Okta), and client secrets (at most two, both usable while
//! rotating; the value is shown once, only its SHA-256 is kept).
//!
//! The client an app is made with is resolved by the caller — from Okta's body ([`super::client_from_body`]) or
//! from a catalog entry and its variables (`lanyard_catalog::instance::client`), which this crate cannot see — and
//! passed in, with the scopes a catalog entry needs its authorization server to have. Each operation returns what
//! changed with the system log events it caused, or an [`AppError`]: no HTTP here.

use super::{Causes, MintedSecret, new_secret, secret_record};
use crate::clock::Clock;
use crate::id::{new_id, prefix};
use crate::model::{App, ClientSecret, LifecycleStatus, OAuthClient, Scope};
use crate::random::Random;
use crate::store::{AppStore, ScopeStore, StoreError};
use crate::syslog::{Change, Party};

/// The name of an app configured by hand.
pub const OIDC_CLIENT: &str = "oidc_client";
/// Okta allows two secrets per app: the current one and the next while rotating.
pub const MAX_SECRETS: usize = 2;

/// What the operations on apps need from the world besides the store.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    pub clock: &'a dyn Clock,
    pub random: &'a dyn Random,
}

/// Why an operation on an app did not happen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppError {
    /// No app has this id.
    NotFound,
    /// The app has no such client secret.
    SecretNotFound,
    /// A field is not valid: the field, and a cause per problem (`field: message`).
    Invalid {
        field: String,
        causes: Causes,
    },
    /// Another app has this client id.
    ClientIdTaken,
    /// An active app must be deactivated before it is deleted.
    DeleteActive,
    Store(StoreError),
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        AppError::Store(e)
    }
}

impl AppError {
    /// A validation failure of `field` for one reason.
    pub fn invalid(field: &str, cause: impl Into<String>) -> Self {
        AppError::Invalid {
            field: field.to_owned(),
            causes: vec![cause.into()],
        }
    }

    /// A validation failure named after its first cause's field (`field: message`), or `default`.
    pub fn causes(default: &str, causes: Causes) -> Self {
        let field = causes
            .first()
            .and_then(|c| c.split(':').next())
            .unwrap_or(default)
            .to_owned();
        AppError::Invalid { field, causes }
    }
}

/// An app as an event target.
pub fn target(a: &App) -> Party {
    Party::new(&a.id, "AppInstance", &a.name, &a.label)
}

/// A new app's id.
pub fn new_app_id(env: Env<'_>) -> String {
    new_id(prefix::APP, env.clock.now(), env.random)
}

/// Checks the app-level fields (`label`, `signOnMode`); returns the label.
pub fn check_app(label: Option<&str>, sign_on_mode: Option<&str>) -> Result<String, AppError> {
    let mut causes = Vec::new();
    match sign_on_mode {
        Some("OPENID_CONNECT") | None => {}
        Some(other) => causes.push(format!(
            "signOnMode: only OPENID_CONNECT is supported, not {other:?}"
        )),
    }
    let label = label.unwrap_or_default().to_owned();
    if label.trim().is_empty() {
        causes.push("label: The field cannot be left blank".into());
    } else if label.chars().count() > 100 {
        causes.push("label: must be at most 100 characters".into());
    }
    if causes.is_empty() {
        Ok(label)
    } else {
        Err(AppError::causes("app", causes))
    }
}

/// A new app, its client resolved.
#[derive(Debug)]
pub struct NewApp {
    /// From [`new_app_id`]: the client was made for it (its default client id).
    pub id: String,
    /// [`OIDC_CLIENT`], or the catalog entry's key.
    pub name: String,
    pub label: String,
    pub client: OAuthClient,
    pub active: bool,
    /// A secret the caller chose (Okta's `credentials.oauthClient.client_secret`); else one is minted when the
    /// client authenticates with a secret.
    pub chosen_secret: Option<MintedSecret>,
    /// Scopes the app's integration needs that its authorization server lacks: added if absent.
    pub scopes: Vec<Scope>,
}

/// A created app.
#[derive(Debug)]
pub struct Created {
    pub app: App,
    /// The client secret, to show this once.
    pub secret: Option<MintedSecret>,
    /// Whether scopes were added to an authorization server (the caller drops its copies of it).
    pub scopes_added: bool,
    pub changes: Vec<Change>,
}

/// Creates an app.
pub async fn create(
    store: &(impl AppStore + ScopeStore + ?Sized),
    env: Env<'_>,
    new: NewApp,
) -> Result<Created, AppError> {
    let method = new.client.token_endpoint_auth_method;
    if new.chosen_secret.is_some() && !method.uses_secret() {
        return Err(AppError::invalid(
            "client_secret",
            format!(
                "client_secret: an app using {} has no client secret",
                method.as_str()
            ),
        ));
    }
    let now = env.clock.now();
    let app = App {
        id: new.id,
        name: new.name,
        label: new.label,
        status: if new.active {
            LifecycleStatus::Active
        } else {
            LifecycleStatus::Inactive
        },
        sign_on_mode: "OPENID_CONNECT".into(),
        client: new.client,
        created: now,
        last_updated: now,
    };
    let (secret, stored) = match new.chosen_secret {
        Some(m) => {
            let record = secret_record(&app.id, &m, now, env.random);
            (Some(m), Some(record))
        }
        None => method
            .uses_secret()
            .then(|| new_secret(&app.id, now, env.random))
            .unzip(),
    };
    let scopes_added = !new.scopes.is_empty();
    if scopes_added {
        store.insert_scopes_if_absent(&new.scopes).await?;
    }
    store
        .insert_app(&app, stored.as_ref())
        .await
        .map_err(|e| match e {
            StoreError::Conflict(_) => AppError::ClientIdTaken,
            e => AppError::Store(e),
        })?;
    let changes =
        vec![Change::new("application.lifecycle.create", "Add application").target(target(&app))];
    Ok(Created {
        app,
        secret,
        scopes_added,
        changes,
    })
}

/// An app changed.
#[derive(Debug)]
pub struct Changed {
    pub app: App,
    pub scopes_added: bool,
    /// Empty when nothing changed (an app already in the status asked for).
    pub changes: Vec<Change>,
}

/// A replaced app: its label and client (the client id and secrets stay).
pub async fn replace(
    store: &(impl AppStore + ScopeStore + ?Sized),
    env: Env<'_>,
    mut app: App,
    label: String,
    client: OAuthClient,
    scopes: Vec<Scope>,
) -> Result<Changed, AppError> {
    if client.token_endpoint_auth_method.uses_secret()
        && !app.client.token_endpoint_auth_method.uses_secret()
        && store.client_secrets(&app.id).await?.is_empty()
    {
        return Err(AppError::invalid(
            "token_endpoint_auth_method",
            "token_endpoint_auth_method: the app has no client secret; create one at /credentials/secrets first",
        ));
    }
    let scopes_added = !scopes.is_empty();
    if scopes_added {
        store.insert_scopes_if_absent(&scopes).await?;
    }
    app.label = label;
    app.client = client;
    app.last_updated = env.clock.now();
    if !store.update_app(&app).await? {
        return Err(AppError::NotFound);
    }
    let changes = vec![
        Change::new("application.lifecycle.update", "Update application").target(target(&app)),
    ];
    Ok(Changed {
        app,
        scopes_added,
        changes,
    })
}

/// An app by id.
pub async fn find(store: &(impl AppStore + ?Sized), id: &str) -> Result<App, AppError> {
    store.app(id).await?.ok_or(AppError::NotFound)
}

/// Activates (`active`) or deactivates an app; an app already so is left alone.
pub async fn set_status(
    store: &(impl AppStore + ?Sized),
    env: Env<'_>,
    id: &str,
    active: bool,
) -> Result<Changed, AppError> {
    let mut app = find(store, id).await?;
    let (status, change) = if active {
        (
            LifecycleStatus::Active,
            Change::new("application.lifecycle.activate", "Activate application"),
        )
    } else {
        (
            LifecycleStatus::Inactive,
            Change::new("application.lifecycle.deactivate", "Deactivate application"),
        )
    };
    let mut changes = Vec::new();
    if app.status != status {
        app.status = status;
        app.last_updated = env.clock.now();
        store.update_app(&app).await?;
        changes.push(change.target(target(&app)));
    }
    Ok(Changed {
        app,
        scopes_added: false,
        changes,
    })
}

/// Deletes a deactivated app.
pub async fn delete(store: &(impl AppStore + ?Sized), id: &str) -> Result<Changed, AppError> {
    let app = find(store, id).await?;
    if app.status == LifecycleStatus::Active {
        return Err(AppError::DeleteActive);
    }
    store.delete_app(&app.id).await?;
    let changes = vec![
        Change::new("application.lifecycle.delete", "Delete application").target(target(&app)),
    ];
    Ok(Changed {
        app,
        scopes_added: false,
        changes,
    })
}

/// A client secret made.
#[derive(Debug)]
pub struct NewSecret {
    pub app: App,
    /// The value, to show this once.
    pub minted: MintedSecret,
    pub secret: ClientSecret,
    pub changes: Vec<Change>,
}

/// Makes a new active client secret for an app that authenticates with one and holds fewer than two.
pub async fn create_secret(
    store: &(impl AppStore + ?Sized),
    env: Env<'_>,
    app_id: &str,
) -> Result<NewSecret, AppError> {
    let app = find(store, app_id).await?;
    let method = app.client.token_endpoint_auth_method;
    if !method.uses_secret() {
        return Err(AppError::invalid(
            "token_endpoint_auth_method",
            format!(
                "token_endpoint_auth_method: the app authenticates with {}, not a client secret",
                method.as_str()
            ),
        ));
    }
    if store.client_secrets(&app.id).await?.len() >= MAX_SECRETS {
        return Err(AppError::invalid(
            "client_secret",
            "client_secret: an app holds at most two secrets; delete an inactive one first",
        ));
    }
    let (minted, secret) = new_secret(&app.id, env.clock.now(), env.random);
    store.insert_client_secret(&secret).await?;
    let changes = vec![
        Change::new("app.oauth2.client.secret.create", "Create client secret").target(target(&app)),
    ];
    Ok(NewSecret {
        app,
        minted,
        secret,
        changes,
    })
}

async fn find_secret(
    store: &(impl AppStore + ?Sized),
    app: &App,
    sid: &str,
) -> Result<ClientSecret, AppError> {
    store
        .client_secrets(&app.id)
        .await?
        .into_iter()
        .find(|s| s.id == sid)
        .ok_or(AppError::SecretNotFound)
}

/// A client secret changed or deleted.
#[derive(Debug)]
pub struct SecretChanged {
    pub app: App,
    pub secret: ClientSecret,
    pub changes: Vec<Change>,
}

/// Activates or deactivates a client secret; the app's only active secret cannot be deactivated.
pub async fn set_secret_status(
    store: &(impl AppStore + ?Sized),
    env: Env<'_>,
    app_id: &str,
    sid: &str,
    active: bool,
) -> Result<SecretChanged, AppError> {
    let app = find(store, app_id).await?;
    let mut secret = find_secret(store, &app, sid).await?;
    let status = if active {
        LifecycleStatus::Active
    } else {
        LifecycleStatus::Inactive
    };
    if !active && secret.status == LifecycleStatus::Active {
        let active_count = store
            .client_secrets(&app.id)
            .await?
            .iter()
            .filter(|s| s.status == LifecycleStatus::Active)
            .count();
        if active_count <= 1 {
            return Err(AppError::invalid(
                "client_secret",
                "client_secret: the app's only active secret cannot be deactivated",
            ));
        }
    }
    let mut changes = Vec::new();
    if secret.status != status {
        changes.push(
            if active {
                Change::new(
                    "app.oauth2.client.secret.activate",
                    "Activate client secret",
                )
            } else {
                Change::new(
                    "app.oauth2.client.secret.deactivate",
                    "Deactivate client secret",
                )
            }
            .target(target(&app)),
        );
    }
    secret.status = status;
    secret.last_updated = env.clock.now();
    store.update_client_secret(&secret).await?;
    Ok(SecretChanged {
        app,
        secret,
        changes,
    })
}

/// Deletes an inactive client secret.
pub async fn delete_secret(
    store: &(impl AppStore + ?Sized),
    app_id: &str,
    sid: &str,
) -> Result<SecretChanged, AppError> {
    let app = find(store, app_id).await?;
    let secret = find_secret(store, &app, sid).await?;
    if secret.status == LifecycleStatus::Active {
        return Err(AppError::invalid(
            "client_secret",
            "client_secret: deactivate the secret before deleting it",
        ));
    }
    store.delete_client_secret(&app.id, &secret.id).await?;
    let changes = vec![
        Change::new("app.oauth2.client.secret.delete", "Delete client secret").target(target(&app)),
    ];
    Ok(SecretChanged {
        app,
        secret,
        changes,
    })
}

#[cfg(test)]
mod tests {
    use super::super::assignments::{self, AssignError};
    use super::*;
    use crate::directory::accounts::tests::World;
    use crate::directory::groups;
    use crate::model::PageRequest;
    use crate::random::SystemRandom;
    use serde_json::{Map, json};

    fn env(w: &World) -> Env<'_> {
        Env {
            clock: &w.clock,
            random: &SystemRandom,
        }
    }

    fn new_app(w: &World, label: &str) -> NewApp {
        let id = new_app_id(env(w));
        let settings = json!({"oauthClient": {"redirect_uris": ["https://a.example/cb"]}});
        let client =
            super::super::client_from_body(&Map::new(), settings.as_object().unwrap(), &id, None)
                .unwrap();
        NewApp {
            id,
            name: OIDC_CLIENT.into(),
            label: label.into(),
            client,
            active: true,
            chosen_secret: None,
            scopes: Vec::new(),
        }
    }

    #[tokio::test]
    async fn an_app_is_created_with_a_secret_shown_once_and_deleted_only_when_inactive() {
        let w = World::new();
        let made = create(&w.store, env(&w), new_app(&w, "Wiki"))
            .await
            .unwrap();
        let secret = made.secret.expect("a web app gets a secret");
        let stored = w.store.client_secrets(&made.app.id).await.unwrap();
        assert_eq!(stored.len(), 1);
        assert!(super::super::secret_matches(&secret.value, &stored));
        assert_eq!(made.changes[0].event_type, "application.lifecycle.create");
        assert_eq!(made.changes[0].targets[0].id, made.app.id);

        assert_eq!(
            delete(&w.store, &made.app.id).await.unwrap_err(),
            AppError::DeleteActive
        );
        let off = set_status(&w.store, env(&w), &made.app.id, false)
            .await
            .unwrap();
        assert_eq!(off.app.status, LifecycleStatus::Inactive);
        assert_eq!(off.changes.len(), 1);
        let again = set_status(&w.store, env(&w), &made.app.id, false)
            .await
            .unwrap();
        assert!(again.changes.is_empty(), "already inactive: nothing logged");
        let gone = delete(&w.store, &made.app.id).await.unwrap();
        assert_eq!(gone.changes[0].event_type, "application.lifecycle.delete");
        assert_eq!(
            find(&w.store, &made.app.id).await.unwrap_err(),
            AppError::NotFound
        );
    }

    #[tokio::test]
    async fn a_taken_client_id_and_a_bad_label_are_refused() {
        let w = World::new();
        let first = create(&w.store, env(&w), new_app(&w, "One")).await.unwrap();
        let mut second = new_app(&w, "Two");
        second.client.client_id = first.app.client.client_id.clone();
        assert_eq!(
            create(&w.store, env(&w), second).await.unwrap_err(),
            AppError::ClientIdTaken
        );
        let e = check_app(Some("  "), None).unwrap_err();
        assert!(matches!(e, AppError::Invalid { field, .. } if field == "label"));
        let e = check_app(Some("x"), Some("SAML_2_0")).unwrap_err();
        assert!(matches!(e, AppError::Invalid { field, .. } if field == "signOnMode"));
        assert_eq!(check_app(Some("Wiki"), None).unwrap(), "Wiki");
    }

    #[tokio::test]
    async fn secrets_rotate_two_at_most_and_the_last_active_one_stays() {
        let w = World::new();
        let app = create(&w.store, env(&w), new_app(&w, "Wiki"))
            .await
            .unwrap()
            .app;
        let first = w.store.client_secrets(&app.id).await.unwrap().remove(0);
        let next = create_secret(&w.store, env(&w), &app.id).await.unwrap();
        assert_eq!(
            next.changes[0].event_type,
            "app.oauth2.client.secret.create"
        );
        let e = create_secret(&w.store, env(&w), &app.id).await.unwrap_err();
        assert!(matches!(e, AppError::Invalid { field, .. } if field == "client_secret"));
        let e = delete_secret(&w.store, &app.id, &first.id)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Invalid { .. }), "active: not deleted");
        set_secret_status(&w.store, env(&w), &app.id, &first.id, false)
            .await
            .unwrap();
        let e = set_secret_status(&w.store, env(&w), &app.id, &next.secret.id, false)
            .await
            .unwrap_err();
        assert!(matches!(e, AppError::Invalid { .. }), "the only active one");
        delete_secret(&w.store, &app.id, &first.id).await.unwrap();
        let left = w.store.client_secrets(&app.id).await.unwrap();
        assert_eq!(left.len(), 1);
        assert!(super::super::secret_matches(&next.minted.value, &left));
        assert_eq!(
            delete_secret(&w.store, &app.id, "nope").await.unwrap_err(),
            AppError::SecretNotFound
        );
    }

    #[tokio::test]
    async fn users_and_groups_are_assigned_and_unassigned() {
        let w = World::new();
        let app = create(&w.store, env(&w), new_app(&w, "Wiki"))
            .await
            .unwrap()
            .app;
        let user = w.user(Some("correct-Horse-42"), true).await;
        let a = assignments::assign_user(&w.store, &w.clock, &app.id, &user.login, None)
            .await
            .unwrap();
        assert_eq!(a.assignment.user_name, user.login);
        assert_eq!(a.changes.len(), 1);
        let again =
            assignments::assign_user(&w.store, &w.clock, &app.id, &user.id, Some("ada".into()))
                .await
                .unwrap();
        assert!(
            again.changes.is_empty(),
            "an update is not a new membership"
        );
        assert_eq!(again.assignment.user_name, "ada");
        assert!(
            w.store
                .user_assigned_to_app(&app.id, &user.id)
                .await
                .unwrap()
        );
        assignments::unassign_user(&w.store, &app.id, &user.id)
            .await
            .unwrap();
        assert_eq!(
            assignments::unassign_user(&w.store, &app.id, &user.id)
                .await
                .unwrap_err(),
            AssignError::NotAssigned
        );
        assert_eq!(
            assignments::assign_user(&w.store, &w.clock, &app.id, "nobody", None)
                .await
                .unwrap_err(),
            AssignError::UserNotFound
        );

        let g = groups::create(
            &w.store,
            &w.clock,
            &SystemRandom,
            json!({"name": "Ops"}).as_object().unwrap(),
        )
        .await
        .unwrap()
        .group;
        let e = assignments::assign_group(&w.store, &w.clock, &app.id, &g.id, 101)
            .await
            .unwrap_err();
        assert!(matches!(e, AssignError::App(AppError::Invalid { .. })));
        let ga = assignments::assign_group(&w.store, &w.clock, &app.id, &g.id, 0)
            .await
            .unwrap();
        assert_eq!(ga.changes[0].targets.len(), 2);
        let page = w
            .store
            .list_app_groups(&app.id, &PageRequest::first(10))
            .await
            .unwrap();
        assert_eq!(page.items.len(), 1);
        assignments::unassign_group(&w.store, &app.id, &g.id)
            .await
            .unwrap();
        assert_eq!(
            assignments::assign_group(&w.store, &w.clock, &app.id, "00gnope", 0)
                .await
                .unwrap_err(),
            AssignError::GroupNotFound
        );
    }
}
