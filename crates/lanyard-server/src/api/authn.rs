//! The Authn API (`/api/v1/authn`), Okta's primary authentication: a username and password in, a one-time
//! `sessionToken` out (`SUCCESS`), or a `stateToken` and the next step (`MFA_REQUIRED`, `PASSWORD_EXPIRED`), or
//! `LOCKED_OUT`. Unknown users and wrong passwords get the same answer after the same work (one Argon2id
//! verification), and every attempt is in the system log. Not behind an API token: this is how people sign in.

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use lanyard_core::clock::okta_format;
use lanyard_core::model::{Factor, FactorStatus, OneTimeToken, TokenKind, User, UserStatus};
use lanyard_core::signin::{self, Gate, factors::check_passcode};
use lanyard_core::syslog::Party;
use serde::Deserialize;
use serde_json::{Value, json};

use super::error::ApiError;
use super::extract::OktaJson;
use crate::state::AppState;
use crate::syslog::{Audit, user_target};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/authn", post(authenticate))
        .route("/authn/factors/{factor_id}/verify", post(verify_factor))
        .route("/authn/credentials/change_password", post(change_password))
}

/// 401 E0000004: the one answer for every failed primary authentication.
pub fn authentication_failed() -> ApiError {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "E0000004",
        "Authentication failed",
    )
}

#[derive(Deserialize)]
struct Credentials {
    username: Option<String>,
    password: Option<String>,
}

fn embedded_user(u: &User) -> Value {
    json!({
        "id": u.id,
        "passwordChanged": u.password_changed.map(okta_format),
        "profile": {
            "login": u.login,
            "firstName": u.attr("firstName"),
            "lastName": u.attr("lastName"),
            "locale": u.attr("locale").unwrap_or("en_US"),
            "timeZone": u.attr("timezone").unwrap_or("America/Los_Angeles"),
        }
    })
}

fn factor_summary(f: &Factor, base: &str) -> Value {
    json!({
        "id": f.id,
        "factorType": f.factor_type.as_str(),
        "provider": f.provider,
        "vendorName": f.provider,
        "profile": f.profile,
        "_links": { "verify": { "href": format!("{base}/api/v1/authn/factors/{}/verify", f.id), "hints": { "allow": ["POST"] } } }
    })
}

/// A success: a one-time session token carrying the methods used.
async fn success(state: &AppState, user: &User, amr: &[&str]) -> Result<Json<Value>, ApiError> {
    let now = state.clock.now();
    let secret = signin::mint(state.random.as_ref());
    let expires = now + state.signin_policy.session_token_ttl;
    let token = OneTimeToken {
        token_hash: secret.hash,
        kind: TokenKind::SessionToken,
        user_id: user.id.clone(),
        created: now,
        expires_at: expires,
        data: json!({ "amr": amr }),
    };
    state.store.insert_one_time_token(&token).await?;
    let mut user = user.clone();
    user.last_login = Some(now);
    state.store.update_user(&user).await?;
    Ok(Json(json!({
        "expiresAt": okta_format(expires),
        "status": "SUCCESS",
        "sessionToken": secret.value,
        "_embedded": { "user": embedded_user(&user) }
    })))
}

/// A step that continues with a state token.
async fn step(
    state: &AppState,
    user: &User,
    status: &str,
    data: Value,
    embedded: Value,
) -> Result<Json<Value>, ApiError> {
    let now = state.clock.now();
    let secret = signin::mint(state.random.as_ref());
    let expires = now + state.signin_policy.state_token_ttl;
    let token = OneTimeToken {
        token_hash: secret.hash,
        kind: TokenKind::StateToken,
        user_id: user.id.clone(),
        created: now,
        expires_at: expires,
        data,
    };
    state.store.insert_one_time_token(&token).await?;
    let mut body =
        json!({ "stateToken": secret.value, "expiresAt": okta_format(expires), "status": status });
    body["_embedded"] = embedded;
    Ok(Json(body))
}

fn failure_event(
    state: &AppState,
    audit: &Audit,
    username: &str,
    user: Option<&User>,
    reason: &str,
) {
    let target = user
        .map(user_target)
        .unwrap_or_else(|| Party::new("unknown", "User", username, username));
    let actor = Party {
        kind: "User".into(),
        ..target.clone()
    };
    let event = lanyard_core::syslog::LogEvent::new(
        "user.session.start",
        "User login to Okta",
        actor,
        state.clock.now(),
        state.random.as_ref(),
    )
    .client(audit.ip.clone(), audit.user_agent.clone())
    .failure(reason)
    .target(target);
    state.syslog.record(event);
}

async fn authenticate(
    State(state): State<AppState>,
    audit: Audit,
    OktaJson(body): OktaJson<Credentials>,
) -> Result<Json<Value>, ApiError> {
    let username = body.username.unwrap_or_default();
    let password = body.password.unwrap_or_default();
    if username.is_empty() || password.is_empty() {
        return Err(authentication_failed());
    }
    let now = state.clock.now();
    let user = state.store.user_by_login(&username).await?;
    let record = match &user {
        Some(u) => state.store.password(&u.id).await?,
        None => None,
    };
    // The same work whether or not the user exists or has a password.
    let verified = match &record {
        Some(r) => state
            .passwords
            .verify(password.clone(), r.hash.clone())
            .await
            .ok(),
        None => {
            let _ = state.passwords.verify_dummy(password.clone()).await;
            None
        }
    };
    let Some(mut user) = user else {
        failure_event(&state, &audit, &username, None, "INVALID_CREDENTIALS");
        return Err(authentication_failed());
    };
    let lockout_until = if user.status == UserStatus::LockedOut {
        state.store.lockout_until(&user.id).await?
    } else {
        None
    };
    let status = signin::effective_status(user.status, lockout_until, now);
    if status != user.status {
        // The lockout has run out: the account unlocks itself.
        user.status = status;
        user.status_changed = Some(now);
        user.last_updated = now;
        state.store.update_user(&user).await?;
        state.store.reset_failures(&user.id).await?;
    }
    match signin::gate(user.status) {
        Gate::LockedOut => {
            failure_event(&state, &audit, &username, Some(&user), "LOCKED_OUT");
            return Ok(Json(json!({ "status": "LOCKED_OUT" })));
        }
        Gate::Refuse => {
            failure_event(
                &state,
                &audit,
                &username,
                Some(&user),
                "INVALID_CREDENTIALS",
            );
            return Err(authentication_failed());
        }
        Gate::Proceed | Gate::PasswordExpired => {}
    }
    let ok = verified.as_ref().is_some_and(|v| v.ok);
    if !ok {
        let policy = &state.signin_policy;
        let count = state
            .store
            .record_failure(
                &user.id,
                policy.lockout_threshold,
                now,
                policy.lock_until(now),
            )
            .await?;
        failure_event(
            &state,
            &audit,
            &username,
            Some(&user),
            "INVALID_CREDENTIALS",
        );
        if count.locked {
            let actor = Party {
                kind: "User".into(),
                ..user_target(&user)
            };
            let event = lanyard_core::syslog::LogEvent::new(
                "user.account.lock",
                "Max sign in attempts exceeded",
                actor,
                now,
                state.random.as_ref(),
            )
            .client(audit.ip.clone(), audit.user_agent.clone())
            .target(user_target(&user));
            state.syslog.record(event);
        }
        return Err(authentication_failed());
    }
    state.store.reset_failures(&user.id).await?;
    if verified.is_some_and(|v| v.needs_rehash) {
        // Parameters changed since this hash was made: store it again at the current ones.
        if let (Ok(hash), Some(mut r)) = (state.passwords.hash(password.clone()).await, record) {
            r.hash = hash;
            state.store.set_password(&user.id, &r).await?;
        }
    }
    if user.status == UserStatus::PasswordExpired {
        let embedded = json!({ "user": embedded_user(&user), "policy": { "complexity": state.password_policy.requirements() } });
        return step(
            &state,
            &user,
            "PASSWORD_EXPIRED",
            json!({ "amr": ["pwd"] }),
            embedded,
        )
        .await;
    }
    let factors: Vec<Factor> = state
        .store
        .factors(&user.id)
        .await?
        .into_iter()
        .filter(|f| f.status == FactorStatus::Active)
        .collect();
    if !factors.is_empty() {
        let base = &state.config.base_url;
        let embedded = json!({ "user": embedded_user(&user), "factors": factors.iter().map(|f| factor_summary(f, base)).collect::<Vec<_>>() });
        return step(
            &state,
            &user,
            "MFA_REQUIRED",
            json!({ "amr": ["pwd"], "mfa": true }),
            embedded,
        )
        .await;
    }
    let event = lanyard_core::syslog::LogEvent::new(
        "user.session.start",
        "User login to Okta",
        Party {
            kind: "User".into(),
            ..user_target(&user)
        },
        now,
        state.random.as_ref(),
    )
    .client(audit.ip.clone(), audit.user_agent.clone())
    .target(user_target(&user));
    state.syslog.record(event);
    success(&state, &user, &["pwd"]).await
}

#[derive(Deserialize)]
struct VerifyBody {
    #[serde(rename = "stateToken")]
    state_token: Option<String>,
    #[serde(rename = "passCode")]
    pass_code: Option<String>,
}

fn invalid_state_token() -> ApiError {
    ApiError::new(StatusCode::FORBIDDEN, "E0000011", "Invalid token provided")
}

/// 403 E0000068, Okta's answer to a wrong passcode.
pub fn invalid_passcode() -> ApiError {
    let mut e = ApiError::new(StatusCode::FORBIDDEN, "E0000068", "Invalid Passcode/Answer");
    e.causes
        .push("Your passcode doesn't match our records. Please try again.".into());
    e
}

async fn verify_factor(
    State(state): State<AppState>,
    audit: Audit,
    axum::extract::Path(factor_id): axum::extract::Path<String>,
    OktaJson(body): OktaJson<VerifyBody>,
) -> Result<Json<Value>, ApiError> {
    let now = state.clock.now();
    let presented = body.state_token.unwrap_or_default();
    let token = state
        .store
        .one_time_token(&signin::hash(&presented), TokenKind::StateToken, now)
        .await?
        .filter(|t| t.data["mfa"] == true)
        .ok_or_else(invalid_state_token)?;
    let user = state
        .store
        .user(&token.user_id)
        .await?
        .ok_or_else(invalid_state_token)?;
    let factor = state
        .store
        .factor(&user.id, &factor_id)
        .await?
        .filter(|f| f.status == FactorStatus::Active)
        .ok_or_else(|| ApiError::not_found(&factor_id, "UserFactor"))?;
    let passcode = body.pass_code.unwrap_or_default();
    let accepted = match check_passcode(&factor, &state.master, &passcode, now) {
        Some(step) => state.store.use_totp_step(&factor.id, step, now).await?,
        None => false,
    };
    let actor = Party {
        kind: "User".into(),
        ..user_target(&user)
    };
    let mut event = lanyard_core::syslog::LogEvent::new(
        "user.authentication.auth_via_mfa",
        "Authentication of user via MFA",
        actor,
        now,
        state.random.as_ref(),
    )
    .client(audit.ip.clone(), audit.user_agent.clone())
    .target(user_target(&user));
    if !accepted {
        state.syslog.record(event.failure("INVALID_CREDENTIALS"));
        return Err(invalid_passcode());
    }
    // The state token is spent only now: a wrong code may be retried within its lifetime.
    if state
        .store
        .consume_one_time_token(&token.token_hash, TokenKind::StateToken, now)
        .await?
        .is_none()
    {
        return Err(invalid_state_token());
    }
    event.display_message = "Authentication of user via MFA".into();
    state.syslog.record(event);
    success(&state, &user, &["pwd", "otp", "mfa"]).await
}

#[derive(Deserialize)]
struct ChangePassword {
    #[serde(rename = "stateToken")]
    state_token: Option<String>,
    #[serde(rename = "oldPassword")]
    old_password: Option<String>,
    #[serde(rename = "newPassword")]
    new_password: Option<String>,
}

async fn change_password(
    State(state): State<AppState>,
    OktaJson(body): OktaJson<ChangePassword>,
) -> Result<Json<Value>, ApiError> {
    let now = state.clock.now();
    let presented = body.state_token.unwrap_or_default();
    let token = state
        .store
        .one_time_token(&signin::hash(&presented), TokenKind::StateToken, now)
        .await?
        .filter(|t| t.data.get("mfa").is_none())
        .ok_or_else(invalid_state_token)?;
    let mut user = state
        .store
        .user(&token.user_id)
        .await?
        .ok_or_else(invalid_state_token)?;
    if user.status != UserStatus::PasswordExpired {
        return Err(invalid_state_token());
    }
    let record = state
        .store
        .password(&user.id)
        .await?
        .ok_or_else(invalid_state_token)?;
    let old_ok = state
        .passwords
        .verify(body.old_password.unwrap_or_default(), record.hash.clone())
        .await
        .is_ok_and(|v| v.ok);
    if !old_ok {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "E0000014",
            "Update of credentials failed",
        )
        .with_detail("the old password is wrong"));
    }
    let new = body.new_password.unwrap_or_default();
    let fresh = super::users::new_password(&state, &new, &user.profile, Some(&record)).await?;
    if state
        .store
        .consume_one_time_token(&token.token_hash, TokenKind::StateToken, now)
        .await?
        .is_none()
    {
        return Err(invalid_state_token());
    }
    state.store.set_password(&user.id, &fresh).await?;
    user.status = UserStatus::Active;
    user.status_changed = Some(now);
    user.password_changed = Some(now);
    user.last_updated = now;
    state.store.update_user(&user).await?;
    success(&state, &user, &["pwd"]).await
}
