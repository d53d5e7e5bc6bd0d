//! Activation of users created without a password (PROVISIONED): the link `{base}/welcome/{token}` (the rules —
//! [`ACTIVATION_DAYS`] days, once, a new link voiding the old — are `lanyard_core::directory::activation`'s),
//! emailed or handed to the administrator (`sendEmail=false`); opening it shows a form to choose a password, and
//! setting one makes the user ACTIVE. This module is the server's side of it: the URL, the email, the system log.

use lanyard_core::directory::accounts::AccountError;
use lanyard_core::directory::activation;
use lanyard_core::model::User;
use lanyard_core::syslog::{LogEvent, Party};

use crate::signin_flow::Client;
use crate::state::AppState;
use crate::syslog::user_target;
use lanyard_core::store::StoreError;

pub use lanyard_core::directory::activation::ACTIVATION_DAYS;

/// The page an activation token opens.
pub fn activation_url(state: &AppState, token: &str) -> String {
    format!("{}/welcome/{token}", state.config.base_url)
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
pub async fn check(state: &AppState, token: &str) -> Result<Option<User>, StoreError> {
    activation::check(state.store.as_ref(), token, state.clock.now()).await
}

/// Sets the first password and activates the user ([`activation::complete`]), and logs it. `Err(PasswordRejected)`
/// with the policy's causes (the link still works); `Ok(None)` when the link is wrong, expired or spent, or the user
/// is no longer PROVISIONED.
pub async fn complete(
    state: &AppState,
    client: &Client,
    token: &str,
    password: &str,
) -> Result<Option<User>, AccountError> {
    let Some(user) =
        activation::complete(state.store.as_ref(), state.accounts(), token, password).await?
    else {
        return Ok(None);
    };
    tracing::info!(user = %user.id, "user activated by link");
    let actor = Party {
        kind: "User".into(),
        ..user_target(&user)
    };
    let (kind, message) = activation::event();
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
