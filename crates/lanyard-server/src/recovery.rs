//! Password recovery, shared by the Authn API (`api/recovery.rs`, JSON) and the hosted reset page
//! (`{base}/signin/reset-password/{token}`, HTML). The rules are `lanyard_core::directory::recovery`'s; this module
//! is the server's side of them — the link's URL, the email, the back-channel notices of the sessions a reset ends,
//! the system log. No HTTP here: plain async functions over [`AppState`].
//!
//! A reset starts one of two ways, and both end in a **reset link** `{base}/signin/reset-password/{token}`: a
//! one-time `PasswordReset` token that lives [`RESET_TOKEN_MINUTES`], stored as its SHA-256 only. Each
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
//! 2. [`finish_reset`] checks the new password against the policy and the history (a violation is
//!    `Err(PasswordRejected)` with the causes — 400 E0000001 in the Authn API, the form again on the page — and leaves the state token usable for another try), sets it, makes the user ACTIVE
//!    (from RECOVERY, PASSWORD_EXPIRED or LOCKED_OUT: a reset unlocks), ends their sessions and voids every
//!    outstanding token of theirs, and logs `user.account.reset_password`. The caller then signs the user in (the
//!    Authn API hands out a session token with [`crate::signin_flow::session_token`]).
//!
//! A wrong, expired or spent token, or a user who may no longer recover, is `Ok(None)` at every step: the Authn
//! API answers 403 E0000011 for all of them.

use lanyard_core::directory::accounts::AccountError;
use lanyard_core::directory::recovery;
use lanyard_core::model::User;
use lanyard_core::syslog::{LogEvent, Party};

use crate::signin_flow::Client;
use crate::state::AppState;
use crate::syslog::user_target;
use lanyard_core::store::StoreError;

pub use lanyard_core::directory::recovery::{RESET_TOKEN_MINUTES, ResetStep};

/// The hosted page a reset token opens: `{base}/signin/reset-password/{token}`.
pub fn reset_url(state: &AppState, token: &str) -> String {
    format!("{}/signin/reset-password/{token}", state.config.base_url)
}

/// Voids `user`'s earlier reset links and issues a new one; returns the link ([`reset_url`]).
pub async fn new_reset_link(state: &AppState, user: &User) -> Result<String, StoreError> {
    let secret = recovery::new_reset_link(
        state.store.as_ref(),
        state.random.as_ref(),
        state.clock.now(),
        &user.id,
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

/// "Forgot password" for `username` (a login): emails a reset link if that user exists and may recover
/// ([`recovery::recoverable`]), and does nothing otherwise. Returns the same, after the same lookup, either way;
/// the link is made and sent by a task of its own, so not even the time taken tells a known user from an unknown
/// one. `Err` only for a storage failure of the lookup.
pub async fn start(state: &AppState, client: &Client, username: &str) -> Result<(), StoreError> {
    let Some(user) = recovery::recoverable(state.store.as_ref(), username).await? else {
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
                tracing::error!(user = %user.id, error = %e, "cannot issue a reset link");
            }
        }
    });
    Ok(())
}

/// The user a reset token belongs to, if it is live and they may still recover. Spends nothing.
pub async fn check_reset_token(state: &AppState, token: &str) -> Result<Option<User>, StoreError> {
    recovery::check_reset_token(state.store.as_ref(), token, state.clock.now()).await
}

/// Spends a reset token and issues the state token for [`finish_reset`] ([`recovery::begin_reset`]).
pub async fn begin_reset(
    state: &AppState,
    recovery_token: &str,
) -> Result<Option<ResetStep>, StoreError> {
    recovery::begin_reset(
        state.store.as_ref(),
        state.random.as_ref(),
        state.clock.now(),
        recovery_token,
        state.signin_policy.state_token_ttl,
    )
    .await
}

/// Sets the new password for the reset a state token carries ([`recovery::finish_reset`]), tells the apps of the
/// sessions it ended, logs `user.account.reset_password`, and returns the user, now ACTIVE.
/// `Err(PasswordRejected)` with Okta's causes when the password breaks the policy or repeats a recent one (the
/// state token still works); `Ok(None)` when the state token is wrong, expired or spent, or the user may no longer
/// recover.
pub async fn finish_reset(
    state: &AppState,
    client: &Client,
    state_token: &str,
    new_password: &str,
) -> Result<Option<User>, AccountError> {
    let Some(reset) = recovery::finish_reset(
        state.store.as_ref(),
        state.accounts(),
        state_token,
        new_password,
    )
    .await?
    else {
        return Ok(None);
    };
    crate::logout::announce(state, &reset.ended_sessions);
    let user = reset.user;
    tracing::info!(user = %user.id, "password reset");
    let actor = Party {
        kind: "User".into(),
        ..user_target(&user)
    };
    let (kind, message) = recovery::event();
    state.syslog.record(
        LogEvent::new(
            kind,
            message,
            actor,
            state.clock.now(),
            state.random.as_ref(),
        )
        .client(client.ip.clone(), client.user_agent.clone())
        .target(user_target(&user)),
    );
    Ok(Some(user))
}
