//! The storage suite for the sweep of expired records, on every backend (see `support`): only what expired goes,
//! grants a day after their end, and sweeping again deletes nothing.

use std::sync::Arc;

use lanyard_core::clock::{Timestamp, from_millis};
use lanyard_core::model::*;
use lanyard_core::store::{Store, SweepCounts};

#[macro_use]
mod support;

suite!(
    only_expired_records_are_swept,
    grants_are_kept_a_day_after_their_end,
);

fn at(n: i64) -> Timestamp {
    from_millis(1_700_000_000_000 + n * 1000)
}

/// Two days before `at(0)`: long enough ago for a grant to go.
const LONG_AGO: i64 = -2 * 86_400;

fn user() -> User {
    User {
        id: "00u00000000000000001".into(),
        status: UserStatus::Active,
        login: "ada@example.com".into(),
        profile: serde_json::Map::new(),
        created: at(0),
        activated: Some(at(0)),
        status_changed: None,
        last_login: None,
        last_updated: at(0),
        password_changed: None,
    }
}

fn code(n: u8, expires: i64) -> AuthorizationCode {
    AuthorizationCode {
        hash: [n; 32],
        grant_id: format!("oagcode{n}"),
        auth_server_id: "default".into(),
        client_id: "client1".into(),
        user_id: user().id,
        redirect_uri: "https://app.example/cb".into(),
        scopes: vec!["openid".into()],
        code_challenge: None,
        nonce: None,
        session_id: None,
        auth_time: at(0),
        amr: vec!["pwd".into()],
        claims: None,
        acr: None,
        created: at(0),
        expires_at: at(expires),
        used_at: None,
    }
}

fn grant(id: &str, expires: i64) -> Grant {
    Grant {
        id: id.into(),
        auth_server_id: "default".into(),
        client_id: "client1".into(),
        user_id: Some(user().id),
        scopes: vec!["openid".into(), "offline_access".into()],
        session_id: None,
        auth_time: Some(at(0)),
        amr: vec!["pwd".into()],
        created: at(LONG_AGO - 10),
        expires_at: at(expires),
        revoked_at: None,
        dpop_jkt: None,
        origin: GrantType::AuthorizationCode,
        claims: None,
        acr: None,
    }
}

fn refresh(n: u8, expires: i64) -> RefreshToken {
    RefreshToken {
        hash: [n; 32],
        grant_id: String::new(),
        created: at(LONG_AGO - 10),
        expires_at: at(expires),
        rotated_at: None,
    }
}

fn device(n: u8, expires: i64) -> DeviceCode {
    DeviceCode {
        hash: [n; 32],
        user_code_hash: [n + 100; 32],
        grant_id: format!("oagdevice{n}"),
        auth_server_id: "default".into(),
        client_id: "tv".into(),
        scopes: vec!["openid".into()],
        status: DeviceCodeStatus::Pending,
        interval: 5,
        last_polled: None,
        approval: None,
        created: at(0),
        expires_at: at(expires),
    }
}

fn one_time(n: u8, kind: TokenKind, expires: i64) -> OneTimeToken {
    OneTimeToken {
        token_hash: [n; 32],
        kind,
        user_id: user().id,
        created: at(0),
        expires_at: at(expires),
        data: serde_json::json!({}),
    }
}

fn pushed(n: u8, expires: i64) -> PushedRequest {
    PushedRequest {
        hash: [n; 32],
        client_id: "client1".into(),
        auth_server_id: "default".into(),
        params: vec![("scope".into(), "openid".into())],
        created: at(0),
        expires_at: at(expires),
    }
}

fn session(n: u8, expires: i64) -> Session {
    Session {
        id: format!("102session{n:011}"),
        token_hash: [n; 32],
        user_id: user().id,
        created: at(0),
        last_seen: at(0),
        expires_at: at(expires),
        amr: vec!["pwd".into()],
        ip: None,
        user_agent: None,
    }
}

/// One expired (at 50) and one live (at 500) record of every kind; a sweep at 100 takes exactly the expired ones.
async fn only_expired_records_are_swept(store: Arc<dyn Store>) {
    store.insert_user(&user(), None).await.unwrap();
    store.insert_code(&code(1, 50)).await.unwrap();
    store.insert_code(&code(2, 500)).await.unwrap();
    // A live grant whose first refresh token expired and a live one with a live token.
    store
        .insert_grant(&grant("oaglive1", 10_000), Some(&refresh(1, 50)))
        .await
        .unwrap();
    store
        .insert_grant(&grant("oaglive2", 10_000), Some(&refresh(2, 500)))
        .await
        .unwrap();
    // A rotated token is kept, expired or not, while its grant lives: presenting it again is a replay.
    store
        .insert_grant(&grant("oaglive3", 10_000), Some(&refresh(5, 50)))
        .await
        .unwrap();
    assert!(matches!(
        store
            .rotate_refresh_token(&[5; 32], &refresh(6, 500), at(0))
            .await
            .unwrap(),
        RefreshRotation::Rotated(_)
    ));
    // A grant that ended long ago goes with its refresh token.
    store
        .insert_grant(&grant("oagold", LONG_AGO), Some(&refresh(3, LONG_AGO)))
        .await
        .unwrap();
    store.revoke_access_token("AT.old", at(50)).await.unwrap();
    store.revoke_access_token("AT.new", at(500)).await.unwrap();
    assert!(store.record_jti("assertion:c:old", at(50)).await.unwrap());
    assert!(store.record_jti("assertion:c:new", at(500)).await.unwrap());
    store.insert_device_code(&device(1, 50)).await.unwrap();
    store.insert_device_code(&device(2, 500)).await.unwrap();
    let challenge = TokenKind::WebAuthnAuthentication;
    store
        .insert_one_time_token(&one_time(1, TokenKind::StateToken, 50))
        .await
        .unwrap();
    store
        .insert_one_time_token(&one_time(2, challenge, 50))
        .await
        .unwrap();
    store
        .insert_one_time_token(&one_time(3, TokenKind::PasswordReset, 500))
        .await
        .unwrap();
    store.insert_pushed_request(&pushed(1, 50)).await.unwrap();
    store.insert_pushed_request(&pushed(2, 500)).await.unwrap();
    let (old, live) = (session(1, 50), session(2, 500));
    store.insert_session(&old).await.unwrap();
    store.insert_session(&live).await.unwrap();
    for s in [&old, &live] {
        let app = SessionApp {
            session_id: s.id.clone(),
            client_id: "client1".into(),
            auth_server_id: "default".into(),
            created: at(0),
        };
        assert!(store.record_session_app(&app).await.unwrap());
    }

    // Failure counts and known devices go when they expire.
    for (n, expires) in [(1u8, 50), (2, 500)] {
        store
            .count_failure(&[n; 32], at(0), at(-1000), at(expires))
            .await
            .unwrap();
        store
            .remember_device(&user().id, &[n; 32], at(0), at(expires))
            .await
            .unwrap();
    }

    let counts = store.sweep_expired(at(100)).await.unwrap();
    assert_eq!(
        counts,
        SweepCounts {
            authorization_codes: 1,
            grants: 1,
            refresh_tokens: 1,
            revoked_access_tokens: 1,
            used_jtis: 1,
            device_codes: 1,
            one_time_tokens: 2,
            pushed_requests: 1,
            sessions: 1,
            attempt_counts: 1,
            known_devices: 1,
        }
    );
    assert_eq!(counts.total(), 12);
    assert_eq!(store.failures(&[1; 32]).await.unwrap(), None);
    assert!(store.failures(&[2; 32]).await.unwrap().is_some());
    assert!(
        !store
            .known_device(&user().id, &[1; 32], at(0))
            .await
            .unwrap()
    );
    assert!(
        store
            .known_device(&user().id, &[2; 32], at(0))
            .await
            .unwrap()
    );

    // What is left is what was live; read "as of" time 0, when everything was, so a record's absence means it went.
    assert_eq!(
        store.redeem_code(&[1; 32], at(0)).await.unwrap(),
        CodeRedemption::Invalid
    );
    assert!(matches!(
        store.redeem_code(&[2; 32], at(0)).await.unwrap(),
        CodeRedemption::Redeemed(_)
    ));
    assert!(store.grant("oagold").await.unwrap().is_none());
    assert!(store.grant("oaglive1").await.unwrap().is_some());
    assert!(store.refresh_token_grant(&[1; 32]).await.unwrap().is_none());
    assert!(store.refresh_token_grant(&[2; 32]).await.unwrap().is_some());
    assert!(store.refresh_token_grant(&[3; 32]).await.unwrap().is_none());
    assert!(matches!(
        store
            .rotate_refresh_token(&[5; 32], &refresh(7, 500), at(200))
            .await
            .unwrap(),
        RefreshRotation::Replayed(_)
    ));
    assert!(!store.access_token_revoked("AT.old", None).await.unwrap());
    assert!(store.access_token_revoked("AT.new", None).await.unwrap());
    assert!(store.record_jti("assertion:c:old", at(500)).await.unwrap());
    assert!(!store.record_jti("assertion:c:new", at(500)).await.unwrap());
    assert!(
        store
            .pending_device_code(&[101; 32], at(0))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .pending_device_code(&[102; 32], at(0))
            .await
            .unwrap()
            .is_some()
    );
    let ott = |n: u8, kind: TokenKind| {
        let store = store.clone();
        async move { store.one_time_token(&[n; 32], kind, at(0)).await.unwrap() }
    };
    assert!(ott(1, TokenKind::StateToken).await.is_none());
    assert!(ott(2, challenge).await.is_none());
    assert!(ott(3, TokenKind::PasswordReset).await.is_some());
    let par = |n: u8| {
        let store = store.clone();
        async move {
            store
                .pushed_request(&[n; 32], "client1", "default", at(0))
                .await
                .unwrap()
        }
    };
    assert!(par(1).await.is_none());
    assert!(par(2).await.is_some());
    assert!(store.session(&old.id).await.unwrap().is_none());
    assert!(store.session_apps(&old.id).await.unwrap().is_empty());
    assert!(store.session(&live.id).await.unwrap().is_some());
    assert_eq!(store.session_apps(&live.id).await.unwrap().len(), 1);

    // Sweeping again (another node, the next run) finds nothing.
    assert_eq!(
        store.sweep_expired(at(100)).await.unwrap(),
        SweepCounts::default()
    );
}

/// A grant that ended stays a day, the longest an access token it issued can live: revoked, it keeps revoking them.
async fn grants_are_kept_a_day_after_their_end(store: Arc<dyn Store>) {
    store.insert_user(&user(), None).await.unwrap();
    store
        .insert_grant(&grant("oagended", 0), Some(&refresh(1, 0)))
        .await
        .unwrap();
    assert!(store.revoke_grant("oagended", at(-10)).await.unwrap());
    let counts = store.sweep_expired(at(86_400 - 1)).await.unwrap();
    assert_eq!((counts.grants, counts.refresh_tokens), (0, 1));
    assert!(
        store
            .access_token_revoked("AT.1", Some("oagended"))
            .await
            .unwrap()
    );
    let counts = store.sweep_expired(at(86_400 + 1)).await.unwrap();
    assert_eq!(counts.grants, 1);
    assert!(store.grant("oagended").await.unwrap().is_none());
}
