//! Activation of users created without a password (PROVISIONED): a one-time link, `{base}/welcome/{token}`, valid
//! [`ACTIVATION_DAYS`] days and stored as its SHA-256 only, emailed or handed to the administrator
//! (`sendEmail=false`); opening it shows a form to choose a password, and setting one makes the user ACTIVE. A new
//! link voids the earlier ones.

use lanyard_core::model::{TokenKind, User, UserStatus};
use lanyard_core::signin;
use lanyard_core::syslog::{LogEvent, Party};
use serde_json::json;

use crate::api::error::ApiError;
use crate::signin_flow::{self, Client};
use crate::state::AppState;
use crate::syslog::user_target;

/// How long an activation link works (Okta's default).
pub const ACTIVATION_DAYS: i64 = 7;

/// The page an activation token opens.
pub fn activation_url(state: &AppState, token: &str) -> String {
    format!("{}/welcome/{token}", state.config.base_url)
}

/// Voids the user's earlier activation links and issues a new one: the URL and the token.
pub async fn new_link(state: &AppState, user: &User) -> Result<(String, String), ApiError> {
    state
        .store
        .delete_user_one_time_tokens(&user.id, TokenKind::Activation)
        .await?;
    let (secret, _) = signin_flow::issue(
        state,
        user,
        TokenKind::Activation,
        chrono::Duration::days(ACTIVATION_DAYS),
        json!({}),
    )
    .await?;
    Ok((activation_url(state, &secret.value), secret.value))
}

/// Emails the link in the background; false when the user has no email address.
pub fn email_link(state: &AppState, user: &User, url: &str) -> bool {
    let Some(to) = user.attr("email") else {
        tracing::warn!(user = %user.id, "no email address for an activation link");
        return false;
    };
    let name = user.full_name();
    state
        .config
        .mailer
        .send_in_background(crate::email::activation(&state.org_name(), &name, to, url));
    true
}

/// The PROVISIONED user a live activation token belongs to (the token is not spent).
pub async fn check(state: &AppState, token: &str) -> Result<Option<User>, ApiError> {
    let now = state.clock.now();
    let Some(t) = state
        .store
        .one_time_token(&signin::hash(token), TokenKind::Activation, now)
        .await?
    else {
        return Ok(None);
    };
    Ok(state
        .store
        .user(&t.user_id)
        .await?
        .filter(|u| u.status == UserStatus::Provisioned))
}

/// Sets the first password and activates the user. `Err` 400 E0000001 with the policy's causes (the link still
/// works); `Ok(None)` when the link is wrong, expired or spent, or the user is no longer PROVISIONED.
pub async fn complete(
    state: &AppState,
    client: &Client,
    token: &str,
    password: &str,
) -> Result<Option<User>, ApiError> {
    let Some(mut user) = check(state, token).await? else {
        return Ok(None);
    };
    let fresh = crate::api::users::new_password(state, password, &user.profile, None).await?;
    let now = state.clock.now();
    if state
        .store
        .consume_one_time_token(&signin::hash(token), TokenKind::Activation, now)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    state.store.set_password(&user.id, &fresh).await?;
    user.status = UserStatus::Active;
    user.status_changed = Some(now);
    user.activated = Some(now);
    user.password_changed = Some(now);
    user.last_updated = now;
    if !state.store.update_user(&user).await? {
        return Ok(None);
    }
    tracing::info!(user = %user.id, "user activated by link");
    let actor = Party {
        kind: "User".into(),
        ..user_target(&user)
    };
    let (kind, message) = lanyard_core::directory::lifecycle::Operation::Activate.event();
    state.syslog.record(
        LogEvent::new(kind, message, actor, now, state.random.as_ref())
            .client(client.ip.clone(), client.user_agent.clone())
            .target(user_target(&user)),
    );
    Ok(Some(user))
}
