//! The storage suite for WebAuthn: ceremony state (webauthn-rs's, as JSON in a one-time token) and passkey factors,
//! on every backend — so that any node can finish a ceremony another started, once.

use std::sync::Arc;

use lanyard_core::crypto::MasterKey;
use lanyard_core::mfa::webauthn::RelyingParty;
use lanyard_core::model::*;
use lanyard_core::random::SystemRandom;
use lanyard_core::signin::factors::{self, new_webauthn_factor, passkey};
use lanyard_core::store::{Store, StoreError};
use lanyard_testkit::authenticator::SoftAuthenticator;

#[macro_use]
mod support;

suite!(
    ceremony_states_round_trip_and_are_spent_once,
    ceremony_states_expire_and_keep_their_kind,
    passkey_factors_round_trip_and_their_counter_updates,
);

fn at(n: i64) -> lanyard_core::clock::Timestamp {
    lanyard_core::clock::from_millis(1_700_000_000_000 + n * 1000)
}

async fn user(store: &Arc<dyn Store>) -> User {
    let u = User {
        id: "00u00000000000000001".into(),
        status: UserStatus::Active,
        login: "ada@example.com".into(),
        profile: serde_json::json!({"login": "ada@example.com"})
            .as_object()
            .unwrap()
            .clone(),
        created: at(0),
        activated: Some(at(0)),
        status_changed: None,
        last_login: None,
        last_updated: at(0),
        password_changed: None,
    };
    store.insert_user(&u, None).await.unwrap();
    u
}

fn rp() -> RelyingParty {
    RelyingParty::new("http://localhost:8080", "Lanyard").unwrap()
}

fn ceremony(
    key: [u8; 32],
    kind: TokenKind,
    user_id: &str,
    state: serde_json::Value,
    expires: i64,
) -> OneTimeToken {
    OneTimeToken {
        token_hash: key,
        kind,
        user_id: user_id.to_owned(),
        created: at(1),
        expires_at: at(expires),
        data: serde_json::json!({ "state": state }),
    }
}

async fn ceremony_states_round_trip_and_are_spent_once(store: Arc<dyn Store>) {
    let ada = user(&store).await;
    let rp = rp();
    let (options, state) = rp
        .start_registration(&ada.id, &ada.login, "Ada", &[])
        .unwrap();
    let handle = lanyard_core::signin::mint(&SystemRandom);
    let token = ceremony(
        handle.hash,
        TokenKind::WebAuthnRegistration,
        &ada.id,
        state,
        300,
    );
    store.insert_one_time_token(&token).await.unwrap();
    assert!(matches!(
        store.insert_one_time_token(&token).await,
        Err(StoreError::Conflict(_))
    ));

    // Read back (as another node would), the state still finishes the ceremony.
    let taken = store
        .consume_one_time_token(&handle.hash, TokenKind::WebAuthnRegistration, at(10))
        .await
        .unwrap()
        .expect("the state");
    assert_eq!(taken, token);
    let mut authenticator = SoftAuthenticator::new("localhost", "http://localhost:8080");
    let (att, cd) = authenticator.register(options["challenge"].as_str().unwrap());
    let pk = rp
        .finish_registration(&taken.data["state"], &att, &cd)
        .unwrap();
    assert!(
        store
            .consume_one_time_token(&handle.hash, TokenKind::WebAuthnRegistration, at(10))
            .await
            .unwrap()
            .is_none(),
        "spent once"
    );

    // An authentication's state, keyed from the sign-in's state token.
    let (options, state) = rp.start_authentication(&[pk]).unwrap();
    let key = factors::assertion_key("state-token", "*");
    store
        .insert_one_time_token(&ceremony(
            key,
            TokenKind::WebAuthnAuthentication,
            &ada.id,
            state,
            300,
        ))
        .await
        .unwrap();
    let taken = store
        .consume_one_time_token(&key, TokenKind::WebAuthnAuthentication, at(299))
        .await
        .unwrap()
        .expect("the state");
    let signed = authenticator.sign(options["challenge"].as_str().unwrap());
    let assertion = lanyard_core::mfa::webauthn::Assertion {
        client_data: &signed.client_data,
        authenticator_data: &signed.authenticator_data,
        signature: &signed.signature,
        user_handle: None,
    };
    rp.finish_authentication(
        &taken.data["state"],
        &authenticator.credential_id_bytes(),
        &assertion,
    )
    .unwrap();
}

async fn ceremony_states_expire_and_keep_their_kind(store: Arc<dyn Store>) {
    let ada = user(&store).await;
    let (_, state) = rp()
        .start_registration(&ada.id, &ada.login, "", &[])
        .unwrap();
    let key = [7u8; 32];
    store
        .insert_one_time_token(&ceremony(
            key,
            TokenKind::WebAuthnRegistration,
            &ada.id,
            state,
            300,
        ))
        .await
        .unwrap();
    assert!(
        store
            .consume_one_time_token(&key, TokenKind::WebAuthnAuthentication, at(10))
            .await
            .unwrap()
            .is_none(),
        "a registration is not an authentication"
    );
    assert!(
        store
            .one_time_token(&key, TokenKind::StateToken, at(10))
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .consume_one_time_token(&key, TokenKind::WebAuthnRegistration, at(300))
            .await
            .unwrap()
            .is_none(),
        "expired after five minutes"
    );
    // Ceremonies go with their user.
    let key2 = [8u8; 32];
    store
        .insert_one_time_token(&ceremony(
            key2,
            TokenKind::WebAuthnAuthentication,
            &ada.id,
            serde_json::json!({}),
            300,
        ))
        .await
        .unwrap();
    assert_eq!(
        store
            .delete_user_one_time_tokens(&ada.id, TokenKind::WebAuthnAuthentication)
            .await
            .unwrap(),
        1
    );
}

async fn passkey_factors_round_trip_and_their_counter_updates(store: Arc<dyn Store>) {
    let ada = user(&store).await;
    let master = MasterKey::generate(&SystemRandom);
    let rp = rp();
    let mut authenticator = SoftAuthenticator::new("localhost", "http://localhost:8080");
    let (options, state) = rp.start_registration(&ada.id, &ada.login, "", &[]).unwrap();
    let (att, cd) = authenticator.register(options["challenge"].as_str().unwrap());
    let pk = rp.finish_registration(&state, &att, &cd).unwrap();
    let factor = new_webauthn_factor(&ada.id, &pk, &master, &SystemRandom, at(5)).unwrap();
    store.insert_factor(&factor).await.unwrap();

    let read = store.factor(&ada.id, &factor.id).await.unwrap().unwrap();
    assert_eq!(read, factor);
    assert_eq!(read.factor_type, FactorType::WebAuthn);
    assert_eq!(read.provider, "FIDO");
    assert_eq!(read.profile["credentialId"], authenticator.credential_id());
    let mut stored = passkey(&read, &master).expect("the passkey opens");

    // An assertion moves the counter; the factor keeps it.
    let (options, state) = rp.start_authentication(&[stored.clone()]).unwrap();
    let signed = authenticator.sign(options["challenge"].as_str().unwrap());
    let assertion = lanyard_core::mfa::webauthn::Assertion {
        client_data: &signed.client_data,
        authenticator_data: &signed.authenticator_data,
        signature: &signed.signature,
        user_handle: None,
    };
    let result = rp
        .finish_authentication(&state, &authenticator.credential_id_bytes(), &assertion)
        .unwrap();
    assert_eq!(stored.update_credential(&result), Some(true));
    let mut updated = read.clone();
    factors::set_passkey(&mut updated, &stored, &master, &SystemRandom, at(9)).unwrap();
    assert!(store.update_factor(&updated).await.unwrap());
    let read = store.factor(&ada.id, &factor.id).await.unwrap().unwrap();
    assert_eq!(read.last_updated, at(9));
    let reopened = passkey(&read, &master).unwrap();
    // The old assertion (counter 1) against a new challenge with the stored counter fails; a fresh one passes.
    let (options, state) = rp.start_authentication(&[reopened]).unwrap();
    let signed = authenticator.sign(options["challenge"].as_str().unwrap());
    let fresh = lanyard_core::mfa::webauthn::Assertion {
        client_data: &signed.client_data,
        authenticator_data: &signed.authenticator_data,
        signature: &signed.signature,
        user_handle: None,
    };
    assert_eq!(
        rp.finish_authentication(&state, &authenticator.credential_id_bytes(), &fresh)
            .unwrap()
            .counter(),
        2
    );

    // Several passkeys per user, listed oldest first; deleted like any factor.
    let second = new_webauthn_factor(&ada.id, &pk, &master, &SystemRandom, at(6)).unwrap();
    store.insert_factor(&second).await.unwrap();
    let ids: Vec<String> = store
        .factors(&ada.id)
        .await
        .unwrap()
        .into_iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(ids, vec![factor.id.clone(), second.id.clone()]);
    assert!(store.delete_factor(&ada.id, &factor.id).await.unwrap());
    assert_eq!(store.factors(&ada.id).await.unwrap().len(), 1);
}
