//! Password recovery, shared by the Authn API (`api/recovery.rs`, JSON) and the hosted reset page
//! (`{base}/signin/reset-password/{token}`, HTML). No HTTP here: plain async functions over [`AppState`].
//!
//! A reset starts one of two ways, and both end in a **reset link** `{base}/signin/reset-password/{token}`: a
//! one-time [`TokenKind::PasswordReset`] token that lives [`RESET_TOKEN_MINUTES`], stored as its SHA-256 only. Each
//! new link voids the user's earlier ones.
//!
//! - An administrator: `POST /api/v1/users/{id}/lifecycle/reset_password` puts the user in RECOVERY (their password
//!   stops working) and calls [`new_reset_link`], then [`email_reset_link`] or hands the link back.
//! - The user: [`start`] (`POST /api/v1/authn/recovery/password`, or a "forgot password" form) emails a link to a
//!   user who may recover ([`lanyard_core::directory::lifecycle::can_recover`]). The caller learns nothing: the
//!   answer, and the work done before answering, are the same for everyone.
//!
//! Then the link is used, in two steps:
//!
//! 1. [`begin_reset`] spends the reset token and issues a short-lived state token (`{"step":"password_reset"}`)
//!    for step 2. A page that only shows the form first (a `GET`, which mail scanners also fetch) should call
//!    [`check_reset_token`] instead, which spends nothing.
//! 2. [`finish_reset`] checks the new password against the policy and the history (a violation is `Err`, 400
//!    E0000001 with the causes, and leaves the state token usable for another try), sets it, makes the user ACTIVE
//!    (from RECOVERY, PASSWORD_EXPIRED or LOCKED_OUT: a reset unlocks), ends their sessions and voids every
//!    outstanding token of theirs, and logs `user.account.reset_password`. The caller then signs the user in (the
//!    Authn API hands out a session token with [`signin_flow::session_token`]).
//!
//! A wrong, expired or spent token, or a user who may no longer recover, is `Ok(None)` at every step: the Authn
//! API answers 403 E0000011 for all of them.

use lanyard_core::clock::Timestamp;
use lanyard_core::directory::lifecycle::can_recover;
use lanyard_core::model::{TokenKind, User, UserStatus};
use lanyard_core::signin::{self, Secret};
use lanyard_core::syslog::{LogEvent, Party};
use serde_json::json;

use crate::api::error::ApiError;
use crate::signin_flow::{self, Client};
use crate::state::AppState;
use crate::syslog::user_target;

/// How long a reset link works.
pub const RESET_TOKEN_MINUTES: u32 = 60;

/// The state token data that marks step 2 of a reset.
const STEP: &str = "password_reset";

/// The hosted page a reset token opens: `{base}/signin/reset-password/{token}`.
pub fn reset_url(state: &AppState, token: &str) -> String {
    format!("{}/signin/reset-password/{token}", state.config.base_url)
}

/// Voids `user`'s earlier reset links and issues a new one; returns the link ([`reset_url`]).
pub async fn new_reset_link(state: &AppState, user: &User) -> Result<String, ApiError> {
    state
        .store
        .delete_user_one_time_tokens(&user.id, TokenKind::PasswordReset)
        .await?;
    let (secret, _) = signin_flow::issue(
        state,
        user,
        TokenKind::PasswordReset,
        chrono::Duration::minutes(i64::from(RESET_TOKEN_MINUTES)),
        json!({}),
    )
    .await?;
    Ok(reset_url(state, &secret.value))
}

/// Emails `link` to `user` (`email::password_reset`), in the background. False when the user has no email
/// address to send it to.
pub fn email_reset_link(state: &AppState, user: &User, link: &str) -> bool {
    let Some(to) = user.attr("email") else {
        tracing::warn!(user = %user.id, "no email address for a password reset link");
        return false;
    };
    let name = user.full_name();
    state
        .config
        .mailer
        .send_in_background(crate::email::password_reset(
            &state.org_name(),
            &name,
            to,
            link,
            RESET_TOKEN_MINUTES,
        ));
    true
}

/// "Forgot password" for `username` (a login): emails a reset link if that user exists and may recover, and
/// does nothing otherwise. Returns the same, after the same lookup, either way; the link is made and sent by a
/// task of its own, so not even the time taken tells a known user from an unknown one. The user's status does
/// not change: until the reset, the current password still works. `Err` only for a storage failure of the lookup.
pub async fn start(state: &AppState, client: &Client, username: &str) -> Result<(), ApiError> {
    let user = state.store.user_by_login(username.trim()).await?;
    let Some(user) = user.filter(|u| can_recover(u.status)) else {
        tracing::info!("password recovery asked for an unknown user or one who cannot recover");
        return Ok(());
    };
    tracing::info!(user = %user.id, ip = client.ip.as_deref().unwrap_or("-"), "password recovery asked");
    let state = state.clone();
    tokio::spawn(async move {
        match new_reset_link(&state, &user).await {
            Ok(link) => {
                email_reset_link(&state, &user, &link);
            }
            Err(e) => {
                tracing::error!(user = %user.id, error = %e.summary, detail = ?e.detail, "cannot issue a reset link");
            }
        }
    });
    Ok(())
}

/// The user a reset token belongs to, if it is live and they may still recover. Spends nothing: for a page that
/// shows the reset form before the new password is posted.
pub async fn check_reset_token(state: &AppState, token: &str) -> Result<Option<User>, ApiError> {
    let now = state.clock.now();
    let Some(found) = state
        .store
        .one_time_token(&signin::hash(token), TokenKind::PasswordReset, now)
        .await?
    else {
        return Ok(None);
    };
    Ok(state
        .store
        .user(&found.user_id)
        .await?
        .filter(|u| can_recover(u.status)))
}

/// Step 2 of a reset, as [`begin_reset`] hands it out.
#[derive(Debug)]
pub struct ResetStep {
    /// The state token [`finish_reset`] takes (give `state_token.value` to the client; it is stored hashed).
    pub state_token: Secret,
    /// When the state token stops working (the sign-in policy's state token lifetime).
    pub expires_at: Timestamp,
    pub user: User,
}

/// Spends a reset token (from the link) and issues the state token that lets [`finish_reset`] set the new
/// password. `Ok(None)`: the token is wrong, expired or spent, or its user may no longer recover. A reset token
/// works once: a second call with it is `Ok(None)`.
pub async fn begin_reset(
    state: &AppState,
    recovery_token: &str,
) -> Result<Option<ResetStep>, ApiError> {
    let now = state.clock.now();
    let Some(token) = state
        .store
        .consume_one_time_token(&signin::hash(recovery_token), TokenKind::PasswordReset, now)
        .await?
    else {
        return Ok(None);
    };
    let Some(user) = state
        .store
        .user(&token.user_id)
        .await?
        .filter(|u| can_recover(u.status))
    else {
        return Ok(None);
    };
    let (state_token, expires_at) = signin_flow::issue(
        state,
        &user,
        TokenKind::StateToken,
        state.signin_policy.state_token_ttl,
        json!({ "step": STEP }),
    )
    .await?;
    Ok(Some(ResetStep {
        state_token,
        expires_at,
        user,
    }))
}

/// Sets `new_password` for the reset a state token (from [`begin_reset`]) carries, and returns the user, now
/// ACTIVE. `Err` 400 E0000001 with Okta's causes when the password breaks the policy or repeats a recent one: the
/// state token then still works. `Ok(None)`: the state token is wrong, expired or spent, or the user may no longer
/// recover. On success the user's sessions end, their other one-time tokens (reset links, sign-ins in progress,
/// unused session tokens) are void, failed sign-ins are forgotten, and `user.account.reset_password` is logged.
pub async fn finish_reset(
    state: &AppState,
    client: &Client,
    state_token: &str,
    new_password: &str,
) -> Result<Option<User>, ApiError> {
    let now = state.clock.now();
    let Some((token, mut user)) = signin_flow::state_token(state, state_token, STEP).await? else {
        return Ok(None);
    };
    if !can_recover(user.status) {
        return Ok(None);
    }
    let previous = state.store.password(&user.id).await?;
    let fresh =
        crate::api::users::new_password(state, new_password, &user.profile, previous.as_ref())
            .await?;
    if state
        .store
        .consume_one_time_token(&token.token_hash, TokenKind::StateToken, now)
        .await?
        .is_none()
    {
        return Ok(None);
    }
    state.store.set_password(&user.id, &fresh).await?;
    state.store.reset_failures(&user.id).await?;
    if user.status != UserStatus::Active {
        user.status = UserStatus::Active;
        user.status_changed = Some(now);
    }
    user.activated.get_or_insert(now);
    user.password_changed = Some(now);
    user.last_updated = now;
    if !state.store.update_user(&user).await? {
        return Ok(None);
    }
    // Whatever the old password opened is closed.
    crate::logout::end_all(state, &user.id).await?;
    for kind in [
        TokenKind::PasswordReset,
        TokenKind::StateToken,
        TokenKind::SessionToken,
    ] {
        state
            .store
            .delete_user_one_time_tokens(&user.id, kind)
            .await?;
    }
    tracing::info!(user = %user.id, "password reset");
    let actor = Party {
        kind: "User".into(),
        ..user_target(&user)
    };
    let (kind, message) = lanyard_core::directory::lifecycle::Operation::ResetPassword.event();
    state.syslog.record(
        LogEvent::new(kind, message, actor, now, state.random.as_ref())
            .client(client.ip.clone(), client.user_agent.clone())
            .target(user_target(&user)),
    );
    Ok(Some(user))
}
