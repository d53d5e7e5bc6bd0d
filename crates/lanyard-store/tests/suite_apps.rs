//! The storage suite for apps and what the authorization server issues, on every backend (see `support`).

use std::sync::Arc;

use lanyard_core::clock::{Timestamp, from_millis};
use lanyard_core::model::*;
use lanyard_core::store::{Store, StoreError};

#[macro_use]
mod support;

suite!(
    apps_round_trip_by_id_and_client_id,
    apps_list_by_label_prefix_in_pages,
    secrets_are_kept_by_hash_and_go_with_their_app,
    assignment_is_direct_through_a_group_or_through_everyone,
    a_user_s_apps_are_those_assigned_directly_through_a_group_or_everyone,
    assignments_go_with_their_user_group_or_app,
    codes_are_redeemed_once_and_replays_recognised,
    concurrent_redemptions_of_one_code_succeed_once,
    refresh_tokens_rotate_once_and_replays_are_recognised,
    revoked_or_ended_grants_refresh_nothing,
    access_tokens_are_revoked_by_jti_or_through_their_grant,
    expired_codes_and_tokens_are_forgotten,
    jtis_are_recorded_once_until_they_expire,
    consents_are_kept_per_user_app_server_and_scope,
);

fn at(n: i64) -> Timestamp {
    from_millis(1_700_000_000_000 + n * 1000)
}

fn app(n: u32, label: &str) -> App {
    App {
        id: format!("0oa{n:017}"),
        name: "oidc_client".into(),
        label: label.into(),
        status: LifecycleStatus::Active,
        sign_on_mode: "OPENID_CONNECT".into(),
        client: OAuthClient {
            client_id: format!("client{n}"),
            application_type: ApplicationType::Web,
            token_endpoint_auth_method: ClientAuthMethod::ClientSecretBasic,
            pkce_required: true,
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            response_types: vec!["code".into()],
            redirect_uris: vec!["https://app.example/cb".into()],
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

fn secret(n: u8, app_id: &str) -> ClientSecret {
    ClientSecret {
        id: format!("ocs{n:017}"),
        app_id: app_id.into(),
        hash: [n; 32],
        prefix: format!("s{n}"),
        status: LifecycleStatus::Active,
        created: at(i64::from(n)),
        last_updated: at(i64::from(n)),
    }
}

fn user(n: u32) -> User {
    let created = at(i64::from(n));
    User {
        id: format!("00u{n:017}"),
        status: UserStatus::Active,
        login: format!("user{n}@example.com"),
        profile: serde_json::Map::new(),
        created,
        activated: Some(created),
        status_changed: None,
        last_login: None,
        last_updated: created,
        password_changed: None,
    }
}

fn group(n: u32) -> Group {
    Group {
        id: format!("00g{n:017}"),
        group_type: GroupType::Okta,
        name: format!("team {n}"),
        description: None,
        created: at(i64::from(n)),
        last_updated: at(i64::from(n)),
        last_membership_updated: at(i64::from(n)),
    }
}

async fn apps_round_trip_by_id_and_client_id(store: Arc<dyn Store>) {
    let mut a = app(1, "Grafana");
    a.client
        .extra
        .insert("wildcard_redirect".into(), serde_json::json!("DISABLED"));
    // A dynamically registered client keeps its registration access token's hash.
    a.client.registration = Some(lanyard_core::model::Registration {
        token_hash: "c2hhMjU2IG9mIHRoZSB0b2tlbg".into(),
    });
    store.insert_app(&a, Some(&secret(1, &a.id))).await.unwrap();
    assert_eq!(store.app(&a.id).await.unwrap(), Some(a.clone()));
    assert_eq!(
        store.app_by_client_id("client1").await.unwrap(),
        Some(a.clone())
    );
    assert_eq!(store.app_by_client_id("client2").await.unwrap(), None);

    // Client ids are unique.
    let mut twin = app(2, "Twin");
    twin.client.client_id = "client1".into();
    assert!(matches!(
        store.insert_app(&twin, None).await,
        Err(StoreError::Conflict(_))
    ));

    let mut changed = a.clone();
    changed.label = "Grafana prod".into();
    changed.status = LifecycleStatus::Inactive;
    changed.client.redirect_uris = vec!["https://grafana.example/login/generic_oauth".into()];
    changed.last_updated = at(50);
    assert!(store.update_app(&changed).await.unwrap());
    assert_eq!(store.app(&a.id).await.unwrap(), Some(changed));
    assert!(!store.update_app(&app(9, "nobody")).await.unwrap());

    assert!(store.delete_app(&a.id).await.unwrap());
    assert!(!store.delete_app(&a.id).await.unwrap());
    assert_eq!(store.app(&a.id).await.unwrap(), None);
}

async fn apps_list_by_label_prefix_in_pages(store: Arc<dyn Store>) {
    for (n, label) in [
        (1, "Grafana"),
        (2, "GitLab"),
        (3, "Nextcloud"),
        (4, "grafana 2"),
    ] {
        store.insert_app(&app(n, label), None).await.unwrap();
    }
    let first = store.list_apps(None, &PageRequest::first(3)).await.unwrap();
    assert_eq!(first.items.len(), 3);
    let next = store
        .list_apps(
            None,
            &PageRequest {
                limit: 3,
                after: first.next.clone(),
            },
        )
        .await
        .unwrap();
    assert_eq!(next.items.len(), 1);
    assert_eq!(next.next, None);
    let graf = store
        .list_apps(Some("GRAF"), &PageRequest::first(10))
        .await
        .unwrap();
    let labels: Vec<_> = graf.items.iter().map(|a| a.label.as_str()).collect();
    assert_eq!(labels, ["Grafana", "grafana 2"]);
}

async fn secrets_are_kept_by_hash_and_go_with_their_app(store: Arc<dyn Store>) {
    let a = app(1, "App");
    store.insert_app(&a, Some(&secret(1, &a.id))).await.unwrap();
    store.insert_client_secret(&secret(2, &a.id)).await.unwrap();
    let secrets = store.client_secrets(&a.id).await.unwrap();
    assert_eq!(secrets, vec![secret(1, &a.id), secret(2, &a.id)]);

    let mut off = secret(1, &a.id);
    off.status = LifecycleStatus::Inactive;
    off.last_updated = at(9);
    assert!(store.update_client_secret(&off).await.unwrap());
    assert_eq!(store.client_secrets(&a.id).await.unwrap()[0], off);
    assert!(store.delete_client_secret(&a.id, &off.id).await.unwrap());
    assert!(!store.delete_client_secret(&a.id, &off.id).await.unwrap());
    assert_eq!(store.client_secrets(&a.id).await.unwrap().len(), 1);

    store.delete_app(&a.id).await.unwrap();
    assert!(store.client_secrets(&a.id).await.unwrap().is_empty());
}

async fn a_user_s_apps_are_those_assigned_directly_through_a_group_or_everyone(
    store: Arc<dyn Store>,
) {
    for (n, label) in [(1, "zulip"), (2, "Argo"), (3, "Nobody's"), (4, "bookstack")] {
        store.insert_app(&app(n, label), None).await.unwrap();
    }
    for n in 1..=2 {
        store.insert_user(&user(n), None).await.unwrap();
    }
    store.insert_group(&group(1)).await.unwrap();
    store
        .add_group_member(&group(1).id, &user(1).id, at(5))
        .await
        .unwrap();
    let labels = |apps: Vec<App>| apps.into_iter().map(|a| a.label).collect::<Vec<_>>();
    assert!(store.apps_for_user(&user(1).id).await.unwrap().is_empty());
    let direct = AppUser {
        app_id: app(1, "").id,
        user_id: user(1).id,
        user_name: "u1".into(),
        created: at(6),
        last_updated: at(6),
    };
    assert!(store.put_app_user(&direct).await.unwrap());
    let by_group = AppGroup {
        app_id: app(2, "").id,
        group_id: group(1).id,
        priority: 0,
        last_updated: at(6),
    };
    assert!(store.put_app_group(&by_group).await.unwrap());
    // Assigned twice (directly and by group): listed once.
    assert!(
        store
            .put_app_group(&AppGroup {
                app_id: app(1, "").id,
                ..by_group.clone()
            })
            .await
            .unwrap()
    );
    assert_eq!(
        labels(store.apps_for_user(&user(1).id).await.unwrap()),
        ["Argo", "zulip"]
    );
    assert!(store.apps_for_user(&user(2).id).await.unwrap().is_empty());
    let everyone = Group::everyone(at(0));
    store.insert_group_if_absent(&everyone).await.unwrap();
    assert!(
        store
            .put_app_group(&AppGroup {
                app_id: app(4, "").id,
                group_id: everyone.id.clone(),
                ..by_group.clone()
            })
            .await
            .unwrap()
    );
    assert_eq!(
        labels(store.apps_for_user(&user(2).id).await.unwrap()),
        ["bookstack"]
    );
    assert_eq!(
        labels(store.apps_for_user(&user(1).id).await.unwrap()),
        ["Argo", "bookstack", "zulip"],
        "by label, case aside"
    );
    assert!(store.apps_for_user("00unobody").await.unwrap().is_empty());
}

async fn assignment_is_direct_through_a_group_or_through_everyone(store: Arc<dyn Store>) {
    let a = app(1, "App");
    store.insert_app(&a, None).await.unwrap();
    for n in 1..=3 {
        store.insert_user(&user(n), None).await.unwrap();
    }
    store.insert_group(&group(1)).await.unwrap();
    store
        .add_group_member(&group(1).id, &user(2).id, at(5))
        .await
        .unwrap();
    for n in 1..=3 {
        assert!(
            !store
                .user_assigned_to_app(&a.id, &user(n).id)
                .await
                .unwrap()
        );
    }

    let direct = AppUser {
        app_id: a.id.clone(),
        user_id: user(1).id,
        user_name: "user1@example.com".into(),
        created: at(6),
        last_updated: at(6),
    };
    assert!(store.put_app_user(&direct).await.unwrap());
    assert!(
        store
            .user_assigned_to_app(&a.id, &user(1).id)
            .await
            .unwrap()
    );
    // Updating keeps one assignment.
    let renamed = AppUser {
        user_name: "u1".into(),
        last_updated: at(7),
        ..direct.clone()
    };
    assert!(store.put_app_user(&renamed).await.unwrap());
    let listed = store
        .list_app_users(&a.id, &PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(listed.items.len(), 1);
    assert_eq!(listed.items[0].user_name, "u1");
    assert_eq!(listed.items[0].created, at(6));
    // Unknown users and apps are refused quietly.
    assert!(
        !store
            .put_app_user(&AppUser {
                user_id: "00unobody".into(),
                ..direct.clone()
            })
            .await
            .unwrap()
    );

    let by_group = AppGroup {
        app_id: a.id.clone(),
        group_id: group(1).id,
        priority: 0,
        last_updated: at(8),
    };
    assert!(store.put_app_group(&by_group).await.unwrap());
    assert!(
        store
            .user_assigned_to_app(&a.id, &user(2).id)
            .await
            .unwrap()
    );
    assert!(
        !store
            .user_assigned_to_app(&a.id, &user(3).id)
            .await
            .unwrap()
    );
    assert_eq!(
        store.app_group(&a.id, &group(1).id).await.unwrap(),
        Some(by_group.clone())
    );

    // Everyone holds everybody, without membership rows.
    let everyone = Group::everyone(at(0));
    store.insert_group_if_absent(&everyone).await.unwrap();
    assert!(
        store
            .put_app_group(&AppGroup {
                group_id: everyone.id.clone(),
                ..by_group.clone()
            })
            .await
            .unwrap()
    );
    assert!(
        store
            .user_assigned_to_app(&a.id, &user(3).id)
            .await
            .unwrap()
    );
    assert!(
        !store
            .user_assigned_to_app(&a.id, "00unobody")
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .list_app_groups(&a.id, &PageRequest::first(10))
            .await
            .unwrap()
            .items
            .len(),
        2
    );
    assert!(store.delete_app_group(&a.id, &everyone.id).await.unwrap());
    assert!(
        !store
            .user_assigned_to_app(&a.id, &user(3).id)
            .await
            .unwrap()
    );
    assert!(store.delete_app_user(&a.id, &user(1).id).await.unwrap());
    assert!(
        !store
            .user_assigned_to_app(&a.id, &user(1).id)
            .await
            .unwrap()
    );
}

async fn assignments_go_with_their_user_group_or_app(store: Arc<dyn Store>) {
    let a = app(1, "App");
    store.insert_app(&a, None).await.unwrap();
    store.insert_user(&user(1), None).await.unwrap();
    store.insert_group(&group(1)).await.unwrap();
    let direct = AppUser {
        app_id: a.id.clone(),
        user_id: user(1).id,
        user_name: "u".into(),
        created: at(1),
        last_updated: at(1),
    };
    store.put_app_user(&direct).await.unwrap();
    let by_group = AppGroup {
        app_id: a.id.clone(),
        group_id: group(1).id,
        priority: 0,
        last_updated: at(1),
    };
    store.put_app_group(&by_group).await.unwrap();

    store.delete_user(&user(1).id).await.unwrap();
    assert_eq!(store.app_user(&a.id, &user(1).id).await.unwrap(), None);
    store.delete_group(&group(1).id).await.unwrap();
    assert_eq!(store.app_group(&a.id, &group(1).id).await.unwrap(), None);

    store.insert_user(&user(2), None).await.unwrap();
    store
        .put_app_user(&AppUser {
            user_id: user(2).id,
            ..direct
        })
        .await
        .unwrap();
    store.delete_app(&a.id).await.unwrap();
    assert_eq!(store.app_user(&a.id, &user(2).id).await.unwrap(), None);
}

fn code(n: u8, expires: i64) -> AuthorizationCode {
    AuthorizationCode {
        hash: [n; 32],
        grant_id: format!("oag{n:017}"),
        auth_server_id: "default".into(),
        client_id: "client1".into(),
        user_id: user(1).id,
        redirect_uri: "https://app.example/cb".into(),
        scopes: vec!["openid".into(), "offline_access".into()],
        code_challenge: Some("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM".into()),
        nonce: Some("n-0S6_WzA2Mj".into()),
        session_id: Some("102session".into()),
        auth_time: at(0),
        amr: vec!["pwd".into()],
        claims: Some(claims_request()),
        acr: Some("urn:okta:loa:1fa:pwd".into()),
        created: at(0),
        expires_at: at(expires),
        used_at: None,
    }
}

/// A `claims` request with every shape a member can take, which codes and grants keep as they were given.
fn claims_request() -> ClaimsRequest {
    let mut r = ClaimsRequest::default();
    r.userinfo.insert(
        "name".into(),
        ClaimRequest {
            essential: true,
            ..Default::default()
        },
    );
    r.userinfo.insert("email".into(), ClaimRequest::default());
    r.id_token.insert(
        "acr".into(),
        ClaimRequest {
            essential: false,
            value: None,
            values: Some(vec![
                serde_json::json!("urn:okta:loa:2fa:any"),
                serde_json::json!(2),
            ]),
        },
    );
    r.id_token.insert(
        "sub".into(),
        ClaimRequest {
            value: Some(serde_json::json!("00u1")),
            ..Default::default()
        },
    );
    r
}

async fn codes_are_redeemed_once_and_replays_recognised(store: Arc<dyn Store>) {
    let c = code(1, 60);
    store.insert_code(&c).await.unwrap();
    let CodeRedemption::Redeemed(got) = store.redeem_code(&c.hash, at(10)).await.unwrap() else {
        panic!("the first redemption succeeds");
    };
    assert_eq!(
        got,
        AuthorizationCode {
            used_at: Some(at(10)),
            ..c.clone()
        }
    );
    assert!(matches!(
        store.redeem_code(&c.hash, at(11)).await.unwrap(),
        CodeRedemption::Replayed(r) if r.grant_id == c.grant_id
    ));
    assert_eq!(
        store.redeem_code(&[9; 32], at(11)).await.unwrap(),
        CodeRedemption::Invalid
    );
    // An expired code is not redeemed (and was never used: no replay either).
    let old = code(2, 60);
    store.insert_code(&old).await.unwrap();
    assert_eq!(
        store.redeem_code(&old.hash, at(60)).await.unwrap(),
        CodeRedemption::Invalid
    );
}

async fn concurrent_redemptions_of_one_code_succeed_once(store: Arc<dyn Store>) {
    let c = code(1, 600);
    store.insert_code(&c).await.unwrap();
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.redeem_code(&[1; 32], at(1)).await.unwrap()
        }));
    }
    let mut redeemed = 0;
    for t in tasks {
        if matches!(t.await.unwrap(), CodeRedemption::Redeemed(_)) {
            redeemed += 1;
        }
    }
    assert_eq!(redeemed, 1);
}

fn grant(id: &str, expires: i64) -> Grant {
    Grant {
        id: id.into(),
        auth_server_id: "default".into(),
        client_id: "client1".into(),
        user_id: Some(user(1).id),
        scopes: vec!["openid".into(), "offline_access".into()],
        session_id: Some("102s".into()),
        auth_time: Some(at(0)),
        amr: vec!["pwd".into(), "otp".into()],
        created: at(0),
        expires_at: at(expires),
        revoked_at: None,
        dpop_jkt: Some("jkt-1".into()),
        origin: GrantType::DeviceCode,
        claims: Some(claims_request()),
        acr: Some("urn:okta:loa:2fa:any".into()),
    }
}

fn refresh(n: u8, expires: i64) -> RefreshToken {
    RefreshToken {
        hash: [n; 32],
        grant_id: String::new(),
        created: at(0),
        expires_at: at(expires),
        rotated_at: None,
    }
}

async fn refresh_tokens_rotate_once_and_replays_are_recognised(store: Arc<dyn Store>) {
    store.insert_user(&user(1), None).await.unwrap();
    let g = grant("oag1", 10_000);
    store
        .insert_grant(&g, Some(&refresh(1, 1000)))
        .await
        .unwrap();
    assert_eq!(store.grant("oag1").await.unwrap(), Some(g.clone()));

    assert_eq!(
        store
            .rotate_refresh_token(&[1; 32], &refresh(2, 2000), at(5))
            .await
            .unwrap(),
        RefreshRotation::Rotated(g.clone())
    );
    let (t2, g2) = store.refresh_token_grant(&[2; 32]).await.unwrap().unwrap();
    assert_eq!(t2.grant_id, "oag1");
    assert_eq!(g2, g);
    let (t1, _) = store.refresh_token_grant(&[1; 32]).await.unwrap().unwrap();
    assert_eq!(t1.rotated_at, Some(at(5)));

    // The rotated token again: a replay, whose grant the caller revokes.
    assert_eq!(
        store
            .rotate_refresh_token(&[1; 32], &refresh(3, 2000), at(6))
            .await
            .unwrap(),
        RefreshRotation::Replayed(g.clone())
    );
    assert!(store.refresh_token_grant(&[3; 32]).await.unwrap().is_none());
    assert_eq!(
        store
            .rotate_refresh_token(&[7; 32], &refresh(4, 2000), at(6))
            .await
            .unwrap(),
        RefreshRotation::Invalid
    );
    // Expired.
    assert_eq!(
        store
            .rotate_refresh_token(&[2; 32], &refresh(5, 3000), at(2000))
            .await
            .unwrap(),
        RefreshRotation::Invalid
    );
}

async fn revoked_or_ended_grants_refresh_nothing(store: Arc<dyn Store>) {
    store.insert_user(&user(1), None).await.unwrap();
    store
        .insert_grant(&grant("oag1", 10_000), Some(&refresh(1, 1000)))
        .await
        .unwrap();
    assert!(store.revoke_grant("oag1", at(3)).await.unwrap());
    assert!(!store.revoke_grant("oag1", at(4)).await.unwrap());
    assert!(!store.revoke_grant("nope", at(4)).await.unwrap());
    assert_eq!(
        store.grant("oag1").await.unwrap().unwrap().revoked_at,
        Some(at(3))
    );
    assert_eq!(
        store
            .rotate_refresh_token(&[1; 32], &refresh(2, 2000), at(5))
            .await
            .unwrap(),
        RefreshRotation::Invalid
    );
    assert!(store.refresh_token_grant(&[2; 32]).await.unwrap().is_none());

    // A grant past its absolute end.
    store
        .insert_grant(&grant("oag2", 100), Some(&refresh(3, 1000)))
        .await
        .unwrap();
    assert_eq!(
        store
            .rotate_refresh_token(&[3; 32], &refresh(4, 2000), at(100))
            .await
            .unwrap(),
        RefreshRotation::Invalid
    );
    // A client-credentials grant has no user.
    let mut machine = grant("oag3", 100);
    machine.user_id = None;
    store.insert_grant(&machine, None).await.unwrap();
    assert_eq!(store.grant("oag3").await.unwrap(), Some(machine));
}

async fn access_tokens_are_revoked_by_jti_or_through_their_grant(store: Arc<dyn Store>) {
    store.insert_user(&user(1), None).await.unwrap();
    store
        .insert_grant(&grant("oag1", 10_000), None)
        .await
        .unwrap();
    assert!(
        !store
            .access_token_revoked("AT.1", Some("oag1"))
            .await
            .unwrap()
    );
    assert!(!store.access_token_revoked("AT.1", None).await.unwrap());
    store.revoke_access_token("AT.1", at(100)).await.unwrap();
    store.revoke_access_token("AT.1", at(100)).await.unwrap();
    assert!(store.access_token_revoked("AT.1", None).await.unwrap());
    assert!(
        !store
            .access_token_revoked("AT.2", Some("oag1"))
            .await
            .unwrap()
    );
    let batch = |items: &[(&str, Option<&str>)]| -> Vec<(String, Option<String>)> {
        items
            .iter()
            .map(|(j, g)| (j.to_string(), g.map(str::to_owned)))
            .collect()
    };
    let tokens = batch(&[
        ("AT.1", None),
        ("AT.2", Some("oag1")),
        ("AT.3", None),
        ("AT.1", Some("oag9")),
    ]);
    assert_eq!(
        store.access_tokens_revoked(&tokens).await.unwrap(),
        vec![true, false, false, true]
    );
    assert!(store.access_tokens_revoked(&[]).await.unwrap().is_empty());
    store.revoke_grant("oag1", at(1)).await.unwrap();
    assert!(
        store
            .access_token_revoked("AT.2", Some("oag1"))
            .await
            .unwrap()
    );
    // The grant's revocation in a batch, next to tokens without grants; a grant id is never taken for a jti.
    let tokens = batch(&[("AT.3", None), ("AT.2", Some("oag1")), ("oag1", None)]);
    assert_eq!(
        store.access_tokens_revoked(&tokens).await.unwrap(),
        vec![false, true, false]
    );
}

async fn expired_codes_and_tokens_are_forgotten(store: Arc<dyn Store>) {
    store.insert_user(&user(1), None).await.unwrap();
    store.insert_code(&code(1, 60)).await.unwrap();
    store.insert_code(&code(2, 600)).await.unwrap();
    store
        .insert_grant(&grant("oag1", 100), Some(&refresh(1, 100)))
        .await
        .unwrap();
    store
        .insert_grant(&grant("oag2", 10_000), Some(&refresh(2, 1000)))
        .await
        .unwrap();
    store.revoke_access_token("AT.old", at(50)).await.unwrap();
    let n = store.delete_expired_grants(at(200)).await.unwrap();
    assert!(n >= 3, "{n}");
    assert_eq!(
        store.redeem_code(&[1; 32], at(1)).await.unwrap(),
        CodeRedemption::Invalid
    );
    assert!(matches!(
        store.redeem_code(&[2; 32], at(1)).await.unwrap(),
        CodeRedemption::Redeemed(_)
    ));
    assert!(store.grant("oag1").await.unwrap().is_none());
    assert!(store.grant("oag2").await.unwrap().is_some());
    assert!(!store.access_token_revoked("AT.old", None).await.unwrap());
}

async fn jtis_are_recorded_once_until_they_expire(store: Arc<dyn Store>) {
    assert!(store.record_jti("assertion:c1:j1", at(100)).await.unwrap());
    assert!(!store.record_jti("assertion:c1:j1", at(100)).await.unwrap());
    assert!(store.record_jti("assertion:c2:j1", at(100)).await.unwrap());
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            store.record_jti("dpop:x", at(100)).await.unwrap()
        }));
    }
    let mut firsts = 0;
    for t in tasks {
        firsts += usize::from(t.await.unwrap());
    }
    assert_eq!(firsts, 1);
    store.delete_expired_grants(at(200)).await.unwrap();
    assert!(store.record_jti("assertion:c1:j1", at(300)).await.unwrap());
}

async fn consents_are_kept_per_user_app_server_and_scope(store: Arc<dyn Store>) {
    store.insert_user(&user(1), None).await.unwrap();
    store.insert_user(&user(2), None).await.unwrap();
    let c = |n: u32, uid: &str, scope: &str| ScopeConsent {
        id: format!("oag{n:017}"),
        user_id: uid.into(),
        client_id: "client1".into(),
        auth_server_id: "default".into(),
        scope: scope.into(),
        created: at(i64::from(n)),
    };
    let ada = user(1).id;
    store
        .insert_consents(&[c(1, &ada, "email"), c(2, &ada, "profile")])
        .await
        .unwrap();
    // Again, with a new id: kept as it was.
    store.insert_consents(&[c(3, &ada, "email")]).await.unwrap();
    store
        .insert_consents(&[c(4, &user(2).id, "email")])
        .await
        .unwrap();
    assert_eq!(
        store
            .consented_scopes(&ada, "client1", "default")
            .await
            .unwrap(),
        ["email", "profile"]
    );
    assert!(
        store
            .consented_scopes(&ada, "client2", "default")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .consented_scopes(&ada, "client1", "org")
            .await
            .unwrap()
            .is_empty()
    );
    let mine = store.user_consents(&ada).await.unwrap();
    assert_eq!(mine, vec![c(1, &ada, "email"), c(2, &ada, "profile")]);
    assert!(
        store
            .delete_consent(&ada, &c(1, &ada, "email").id)
            .await
            .unwrap()
    );
    assert!(
        !store
            .delete_consent(&ada, &c(4, &ada, "email").id)
            .await
            .unwrap(),
        "another user's"
    );
    assert_eq!(store.delete_user_consents(&ada).await.unwrap(), 1);
    assert_eq!(store.user_consents(&user(2).id).await.unwrap().len(), 1);
    store.delete_user(&user(2).id).await.unwrap();
    assert!(store.user_consents(&user(2).id).await.unwrap().is_empty());
}
