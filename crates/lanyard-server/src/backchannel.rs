//! Back-channel logout (OpenID Connect Back-Channel Logout 1.0): when a session ends, each app signed into it that
//! registered a `backchannel_logout_uri` is sent a logout token, `POST`ed as the form field `logout_token`. Off the
//! request path: a background task per ended session, the apps in parallel; each attempt has a short timeout and
//! follows no redirects; anything but a 2xx is tried again after 0.5, 1 and 2 s. The outcome — delivered, or not
//! after the last attempt — is recorded in the system log (`app.oauth2.backchannel_logout`). A notice still being
//! retried when the node stops is lost.

use std::time::Duration;

use lanyard_core::model::{App, EndedSession, SessionApp};
use lanyard_core::oauth::logout::mint_logout_token;
use lanyard_core::oauth::subject::subject_for;
use lanyard_core::syslog::{LogEvent, Party};

use crate::state::AppState;

/// Attempts per notice.
pub const ATTEMPTS: u32 = 4;
const FIRST_RETRY: Duration = Duration::from_millis(500);

/// Sends the session's apps their notices, in the background.
pub fn announce(state: &AppState, ended: &EndedSession) {
    if ended.apps.is_empty() {
        return;
    }
    let state = state.clone();
    let ended = ended.clone();
    tokio::spawn(async move {
        futures::future::join_all(ended.apps.iter().map(|a| notify(&state, &ended, a))).await;
    });
}

async fn notify(state: &AppState, ended: &EndedSession, signed_in: &SessionApp) {
    let app = match state.store.app_by_client_id(&signed_in.client_id).await {
        Ok(Some(app)) => app,
        Ok(None) => return,
        Err(e) => {
            tracing::warn!(error = %e, client_id = %signed_in.client_id, "back-channel logout: cannot read the app");
            return;
        }
    };
    let Some(uri) = app.client.logout.backchannel_logout_uri.clone() else {
        return;
    };
    let mut delay = FIRST_RETRY;
    let mut last = String::new();
    for attempt in 1..=ATTEMPTS {
        match attempt_once(state, ended, signed_in, &app.client, &uri).await {
            Ok(()) => {
                record(state, &app, ended, None, attempt);
                return;
            }
            Err(Fatal(reason)) => {
                record(state, &app, ended, Some(&reason), attempt);
                return;
            }
            Err(Retry(reason)) => {
                tracing::info!(client_id = %app.client.client_id, attempt, reason = %reason, "back-channel logout notice not delivered");
                last = reason;
            }
        }
        if attempt < ATTEMPTS {
            tokio::time::sleep(delay).await;
            delay *= 2;
        }
    }
    record(state, &app, ended, Some(&last), ATTEMPTS);
}

enum Failure {
    /// Worth another attempt.
    Retry(String),
    /// Not: there is nothing to sign with.
    Fatal(String),
}
use Failure::{Fatal, Retry};

/// One attempt: a fresh logout token (own `jti` and `iat`) from the server that signed the app in, signed as the
/// app's ID tokens are, POSTed.
async fn attempt_once(
    state: &AppState,
    ended: &EndedSession,
    signed_in: &SessionApp,
    client: &lanyard_core::model::OAuthClient,
    uri: &str,
) -> Result<(), Failure> {
    let entry = match state.keyring.entry(&signed_in.auth_server_id).await {
        Ok(Some(e)) => e,
        Ok(None) => return Err(Fatal("the authorization server is gone".into())),
        Err(e) => return Err(Retry(format!("storage: {e}"))),
    };
    let issuer = entry.issuer.clone();
    let audiences = entry.audiences.clone();
    // Signed like the app's ID tokens: with the algorithm it registered, else the server's.
    let iss = crate::oauth::client::issuer_for(state, &entry, &issuer, &audiences, client)
        .map_err(|e| Retry(e.description.clone()))?;
    let token = mint_logout_token(
        &iss,
        state.clock.now(),
        state.random.as_ref(),
        &signed_in.client_id,
        // `sub` as in the app's ID tokens: its pairwise value when it registered pairwise subjects.
        &subject_for(
            crate::oauth::client::pairwise(state, client).as_ref(),
            &ended.user_id,
        ),
        &ended.id,
    )
    .map_err(|e| Fatal(e.description.clone()))?;
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("logout_token", &token)
        .finish();
    state
        .outbound
        .post_form(uri, body)
        .await
        .map_err(|e| match e {
            // The outbound policy will not change before the next attempt.
            crate::outbound::Refused::NotAllowed(d) => Fatal(format!("not allowed: {d}")),
            e => Retry(e.detail()),
        })
}

fn record(state: &AppState, app: &App, ended: &EndedSession, failure: Option<&str>, attempts: u32) {
    let actor = Party::new("lanyard", "SystemPrincipal", "lanyard", "Lanyard");
    let tries = if attempts == 1 {
        "1 attempt".to_owned()
    } else {
        format!("{attempts} attempts")
    };
    let message = match failure {
        None => format!("Back-channel logout notice delivered ({tries})"),
        Some(_) => format!("Back-channel logout notice not delivered ({tries})"),
    };
    let mut event = LogEvent::new(
        "app.oauth2.backchannel_logout",
        message,
        actor,
        state.clock.now(),
        state.random.as_ref(),
    )
    .target(Party::new(
        &app.id,
        "AppInstance",
        &app.client.client_id,
        &app.label,
    ))
    .target(Party::new(&ended.user_id, "User", &ended.user_id, ""))
    .target(Party::new(&ended.id, "Session", &ended.id, ""));
    if let Some(reason) = failure {
        event = event.failure(reason);
    }
    state.syslog.record(event);
}
