//! The storage suite for scope consent grants (`/api/v1/apps/{appId}/grants`), on every backend (see `support`).

use std::sync::Arc;

use lanyard_core::clock::{Timestamp, from_millis};
use lanyard_core::model::*;
use lanyard_core::store::{Store, StoreError};

#[macro_use]
mod support;

suite!(scope_grants_are_per_app_once_per_scope_and_go_with_the_app,);

fn at(n: i64) -> Timestamp {
    from_millis(1_700_000_000_000 + n * 1000)
}

fn app(n: u32) -> App {
    App {
        id: format!("0oa{n:017}"),
        name: "oidc_client".into(),
        label: format!("Service {n}"),
        status: LifecycleStatus::Active,
        sign_on_mode: "OPENID_CONNECT".into(),
        client: OAuthClient {
            client_id: format!("client{n}"),
            application_type: ApplicationType::Service,
            token_endpoint_auth_method: ClientAuthMethod::PrivateKeyJwt,
            pkce_required: false,
            grant_types: vec![GrantType::ClientCredentials],
            response_types: vec![],
            redirect_uris: vec![],
            post_logout_redirect_uris: vec![],
            consent_method: "TRUSTED".into(),
            jwks: None,
            jwks_uri: None,
            initiate_login_uri: None,
            dpop_bound_access_tokens: false,
            logout: Default::default(),
            extra: serde_json::Map::new(),
            registration: None,
            catalog: None,
            claims: Vec::new(),
        },
        created: at(i64::from(n)),
        last_updated: at(i64::from(n)),
    }
}

fn grant(n: u32, app_id: &str, scope: &str) -> ScopeGrant {
    ScopeGrant {
        id: format!("oag{n:017}"),
        app_id: app_id.into(),
        scope_id: scope.into(),
        issuer: "http://127.0.0.1:8080".into(),
        created: at(i64::from(n)),
        created_by: "00uadmin".into(),
    }
}

async fn scope_grants_are_per_app_once_per_scope_and_go_with_the_app(store: Arc<dyn Store>) {
    let (a, b) = (app(1), app(2));
    store.insert_app(&a, None).await.unwrap();
    store.insert_app(&b, None).await.unwrap();
    assert_eq!(store.scope_grants(&a.id).await.unwrap(), vec![]);

    let read = grant(2, &a.id, "okta.users.read");
    let groups = grant(1, &a.id, "okta.groups.manage");
    store.insert_scope_grant(&read).await.unwrap();
    store.insert_scope_grant(&groups).await.unwrap();
    // The same scope again for the same app: a conflict; for another app: its own grant.
    assert!(matches!(
        store
            .insert_scope_grant(&grant(3, &a.id, "okta.users.read"))
            .await,
        Err(StoreError::Conflict(_))
    ));
    let other = grant(4, &b.id, "okta.users.read");
    store.insert_scope_grant(&other).await.unwrap();

    assert_eq!(
        store.scope_grants(&a.id).await.unwrap(),
        vec![groups.clone(), read.clone()],
        "in id order, the app's own only"
    );
    assert_eq!(
        store.scope_grant(&a.id, &read.id).await.unwrap(),
        Some(read.clone())
    );
    assert_eq!(
        store.scope_grant(&b.id, &read.id).await.unwrap(),
        None,
        "another app's grant is not found through this one"
    );
    assert!(!store.delete_scope_grant(&b.id, &read.id).await.unwrap());
    assert!(store.delete_scope_grant(&a.id, &read.id).await.unwrap());
    assert!(!store.delete_scope_grant(&a.id, &read.id).await.unwrap());
    assert_eq!(store.scope_grants(&a.id).await.unwrap(), vec![groups]);
    // Once deleted, the scope may be granted again.
    store
        .insert_scope_grant(&grant(5, &a.id, "okta.users.read"))
        .await
        .unwrap();

    // Deleting the app deletes its grants, not another's.
    assert!(store.delete_app(&a.id).await.unwrap());
    assert_eq!(store.scope_grants(&a.id).await.unwrap(), vec![]);
    assert_eq!(store.scope_grants(&b.id).await.unwrap(), vec![other]);
}
