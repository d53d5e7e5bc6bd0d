//! The storage suite for trusted origins and what the nodes' CORS cache reads, on every backend (see `support`).

use std::sync::Arc;

use lanyard_core::clock::{Timestamp, from_millis};
use lanyard_core::model::*;
use lanyard_core::store::{Store, StoreError};

#[macro_use]
mod support;

suite!(
    trusted_origins_round_trip_and_each_origin_is_trusted_once,
    browser_apps_redirect_uris_are_listed_while_active,
);

fn at(n: i64) -> Timestamp {
    from_millis(1_700_000_000_000 + n * 1000)
}

fn trusted(n: u32, origin: &str) -> TrustedOrigin {
    TrustedOrigin {
        id: format!("tos{n:017}"),
        name: format!("Origin {n}"),
        origin: origin.into(),
        cors: true,
        redirect: false,
        status: LifecycleStatus::Active,
        created: at(i64::from(n)),
        created_by: "00uadmin".into(),
        last_updated: at(i64::from(n)),
        last_updated_by: "00uadmin".into(),
    }
}

async fn trusted_origins_round_trip_and_each_origin_is_trusted_once(store: Arc<dyn Store>) {
    assert_eq!(store.trusted_origins().await.unwrap(), vec![]);
    let a = trusted(2, "https://a.example");
    let b = trusted(1, "https://b.example");
    store.insert_trusted_origin(&a).await.unwrap();
    store.insert_trusted_origin(&b).await.unwrap();
    assert!(matches!(
        store
            .insert_trusted_origin(&trusted(3, "https://a.example"))
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.trusted_origin(&a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(store.trusted_origin("tosnope").await.unwrap(), None);
    assert_eq!(
        store.trusted_origins().await.unwrap(),
        vec![b.clone(), a.clone()],
        "in id order"
    );

    let changed = TrustedOrigin {
        name: "Renamed".into(),
        origin: "https://c.example".into(),
        cors: false,
        redirect: true,
        status: LifecycleStatus::Inactive,
        last_updated: at(9),
        last_updated_by: "00uother".into(),
        ..a.clone()
    };
    assert!(store.update_trusted_origin(&changed).await.unwrap());
    assert_eq!(
        store.trusted_origin(&a.id).await.unwrap(),
        Some(changed.clone())
    );
    // Another's origin cannot be taken by an update either; an unknown id updates nothing.
    assert!(matches!(
        store
            .update_trusted_origin(&TrustedOrigin {
                origin: "https://b.example".into(),
                ..changed.clone()
            })
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(
        !store
            .update_trusted_origin(&trusted(7, "https://d.example"))
            .await
            .unwrap()
    );
    assert!(store.delete_trusted_origin(&a.id).await.unwrap());
    assert!(!store.delete_trusted_origin(&a.id).await.unwrap());
    assert_eq!(store.trusted_origins().await.unwrap(), vec![b]);
    // The freed origin may be trusted again.
    store
        .insert_trusted_origin(&trusted(4, "https://c.example"))
        .await
        .unwrap();
}

fn app(n: u32, kind: ApplicationType, status: LifecycleStatus, uris: &[&str]) -> App {
    App {
        id: format!("0oa{n:017}"),
        name: "oidc_client".into(),
        label: format!("App {n}"),
        status,
        sign_on_mode: "OPENID_CONNECT".into(),
        client: OAuthClient {
            client_id: format!("client{n}"),
            application_type: kind,
            token_endpoint_auth_method: ClientAuthMethod::None,
            pkce_required: true,
            grant_types: vec![GrantType::AuthorizationCode],
            response_types: vec!["code".into()],
            redirect_uris: uris.iter().map(|u| (*u).to_owned()).collect(),
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

async fn browser_apps_redirect_uris_are_listed_while_active(store: Arc<dyn Store>) {
    let spa = app(
        1,
        ApplicationType::Browser,
        LifecycleStatus::Active,
        &["https://spa.example/cb", "https://spa.example/silent"],
    );
    store.insert_app(&spa, None).await.unwrap();
    for (n, kind, status) in [
        (2, ApplicationType::Browser, LifecycleStatus::Inactive),
        (3, ApplicationType::Web, LifecycleStatus::Active),
        (4, ApplicationType::Native, LifecycleStatus::Active),
    ] {
        store
            .insert_app(&app(n, kind, status, &["https://other.example/cb"]), None)
            .await
            .unwrap();
    }
    let mut uris = store.browser_app_redirect_uris().await.unwrap();
    uris.sort();
    assert_eq!(
        uris,
        vec!["https://spa.example/cb", "https://spa.example/silent"]
    );
}
