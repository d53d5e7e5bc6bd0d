//! How SSO sessions end, whichever door ends them (RP-initiated logout, `/login/signout`, `DELETE
//! /api/v1/sessions/me`, an administrator, a user suspended, deactivated or reset): the session goes with the record
//! of the apps signed into it, handed back so that the caller tells them — back-channel notices to every app, and
//! front-channel frames ([`frontchannel_targets`]) where a browser is there to load them. Each ending is handed back
//! once, whichever node asks.

use crate::clock::Timestamp;
use crate::model::{EndedSession, SessionApp};
use crate::store::{AppStore, SessionAppStore, StoreResult};

/// The system log event of a user's sign-out (the user is actor and target).
pub const END_EVENT: (&str, &str) = ("user.session.end", "User logout from Okta");

/// Records that `client_id` got a code or tokens from server `auth_server_id` in session `session_id`, so that it
/// is told when the session ends. False when the session is gone.
pub async fn app_signed_in(
    store: &(impl SessionAppStore + ?Sized),
    now: Timestamp,
    session_id: &str,
    client_id: &str,
    auth_server_id: &str,
) -> StoreResult<bool> {
    store
        .record_session_app(&SessionApp {
            session_id: session_id.to_owned(),
            client_id: client_id.to_owned(),
            auth_server_id: auth_server_id.to_owned(),
            created: now,
        })
        .await
}

/// Ends a session; the ended session with its apps, or `None` if it had already ended.
pub async fn end(
    store: &(impl SessionAppStore + ?Sized),
    session_id: &str,
) -> StoreResult<Option<EndedSession>> {
    store.end_session(session_id).await
}

/// Ends every session of a user; the sessions it ended, with their apps.
pub async fn end_all(
    store: &(impl SessionAppStore + ?Sized),
    user_id: &str,
) -> StoreResult<Vec<EndedSession>> {
    store.end_user_sessions(user_id).await
}

/// An app of an ended session to sign out in the browser: its front-channel logout URI, and the server that signed
/// it in (whose issuer goes into the URI).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrontChannel {
    pub uri: String,
    pub auth_server_id: String,
}

/// The apps of an ended session that registered a front-channel logout URI, in the order they signed in. Apps
/// deleted since are skipped.
pub async fn frontchannel_targets(
    store: &(impl AppStore + ?Sized),
    ended: &EndedSession,
) -> StoreResult<Vec<FrontChannel>> {
    let mut out = Vec::new();
    for a in &ended.apps {
        let Some(app) = store.app_by_client_id(&a.client_id).await? else {
            continue;
        };
        if let Some(uri) = &app.client.logout.frontchannel_logout_uri {
            out.push(FrontChannel {
                uri: uri.clone(),
                auth_server_id: a.auth_server_id.clone(),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::client_from_body;
    use crate::clock::Clock;
    use crate::directory::accounts::tests::World;
    use crate::model::{App, LifecycleStatus};
    use serde_json::{Map, json};

    fn app(id: &str, settings: serde_json::Value) -> App {
        let set = json!({ "oauthClient": settings });
        let client = client_from_body(&Map::new(), set.as_object().unwrap(), id, None).unwrap();
        let now = chrono::Utc::now();
        App {
            id: id.into(),
            name: "oidc_client".into(),
            label: id.into(),
            status: LifecycleStatus::Active,
            sign_on_mode: "OPENID_CONNECT".into(),
            client,
            created: now,
            last_updated: now,
        }
    }

    #[tokio::test]
    async fn a_session_ends_once_with_the_apps_signed_into_it() {
        let w = World::new();
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let s = w.session(&user).await; // app1 at `default`
        let now = w.clock.now();
        assert!(
            app_signed_in(&w.store, now, &s.id, "app2", "aus2")
                .await
                .unwrap()
        );
        assert!(
            app_signed_in(&w.store, now, &s.id, "app1", "default")
                .await
                .unwrap(),
            "an app already recorded is kept as it was"
        );
        let ended = end(&w.store, &s.id).await.unwrap().expect("ended");
        let apps: Vec<_> = ended.apps.iter().map(|a| a.client_id.as_str()).collect();
        assert_eq!(apps, ["app1", "app2"]);
        assert_eq!(ended.user_id, user.id);
        assert!(end(&w.store, &s.id).await.unwrap().is_none(), "once");
        assert!(
            !app_signed_in(&w.store, now, &s.id, "app3", "default")
                .await
                .unwrap(),
            "the session is gone"
        );
    }

    #[tokio::test]
    async fn ending_all_of_a_users_sessions_hands_back_each() {
        let w = World::new();
        let user = w.user(Some("Correct-Horse-9"), true).await;
        w.session(&user).await;
        w.session(&user).await;
        assert_eq!(end_all(&w.store, &user.id).await.unwrap().len(), 2);
        assert!(end_all(&w.store, &user.id).await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn only_apps_with_a_frontchannel_uri_get_a_frame() {
        let w = World::new();
        let with = app(
            "0oa1",
            json!({"redirect_uris": ["https://a.example/cb"], "frontchannel_logout_uri": "https://a.example/fc"}),
        );
        let without = app("0oa2", json!({"redirect_uris": ["https://b.example/cb"]}));
        w.store.insert_app(&with, None).await.unwrap();
        w.store.insert_app(&without, None).await.unwrap();
        let app_of = |client_id: &str, server: &str| SessionApp {
            session_id: "102s".into(),
            client_id: client_id.into(),
            auth_server_id: server.into(),
            created: w.clock.now(),
        };
        let ended = EndedSession {
            id: "102s".into(),
            user_id: "00u1".into(),
            apps: vec![
                app_of(&without.client.client_id, "default"),
                app_of("deleted", "default"),
                app_of(&with.client.client_id, "aus9"),
            ],
        };
        assert_eq!(
            frontchannel_targets(&w.store, &ended).await.unwrap(),
            vec![FrontChannel {
                uri: "https://a.example/fc".into(),
                auth_server_id: "aus9".into(),
            }]
        );
    }
}
