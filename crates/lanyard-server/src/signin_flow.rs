//! The sign-in flow shared by the Authn API (JSON) and the hosted pages (HTML): primary authentication with
//! lockout, the sign-on policy's decision (`lanyard_core::signin::policy`), the MFA step, enrolment of a TOTP
//! factor when the policy requires one the user lacks, the expired-password step, and the one-time tokens that
//! carry a sign-in between steps (state tokens live in the database, so any node can continue a sign-in). Every
//! attempt is in the system log; unknown users, wrong passwords and sign-ins a policy denies look alike.
//!
//! Also the step-up of a session: the MFA step again, for a user already signed in whose session a client asks
//! more of (`acr_values`), with a state token of its own step ([`STEP_UP`]) that names the session — the Authn
//! API's MFA endpoints do not take it, and it upgrades only that session ([`crate::session::elevate`]).

use lanyard_core::clock::Timestamp;
use lanyard_core::mfa::webauthn::Assertion;
use lanyard_core::model::{
    Factor, FactorStatus, FactorType, OneTimeToken, PageRequest, TokenKind, User, UserStatus,
};
use lanyard_core::signin::after_password::{self, ENROLL_STEP, Next};
use lanyard_core::signin::attempts::{self, Counted};
use lanyard_core::signin::enrolment::{self, EnrolError};
use lanyard_core::signin::expired_password;
use lanyard_core::signin::policy::{self as signon, Decision, Step};
use lanyard_core::signin::{self, Gate, Secret, factors::check_passcode};
use lanyard_core::syslog::{LogEvent, Party};
use serde_json::{Value, json};

use crate::api::error::ApiError;
use crate::state::AppState;
use crate::syslog::user_target;

/// Where a sign-in comes from: its address and user agent (for the log and the per-source count), and the
/// SHA-256 of its device cookie, if it has one ([`attempts::DEVICE_COOKIE`]).
#[derive(Debug, Clone, Default)]
pub struct Client {
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub device: Option<[u8; 32]>,
}

impl Client {
    /// The client of a request: the peer's address, its user agent, its device cookie.
    pub fn of(peer: Option<std::net::SocketAddr>, headers: &axum::http::HeaderMap) -> Self {
        Client {
            ip: peer.map(|p| p.ip().to_string()),
            user_agent: headers
                .get(axum::http::header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(512).collect()),
            device: crate::http::cookie(headers, attempts::DEVICE_COOKIE)
                .map(|v| lanyard_core::crypto::sha256(v.as_bytes())),
        }
    }

    /// The key this client's address is counted under, if it has one.
    fn source_key(&self) -> Option<[u8; 32]> {
        let ip: std::net::IpAddr = self.ip.as_deref()?.parse().ok()?;
        Some(attempts::key(Counted::Source, &attempts::source_key(ip)))
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _: &S,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0);
        Ok(Client::of(peer, &parts.headers))
    }
}

/// The outcome of username and password.
#[derive(Debug)]
pub enum Primary {
    /// Signed in: hand out a session token or start a session.
    Success { user: User },
    /// A second factor is needed; the state token carries the sign-in.
    MfaRequired {
        user: User,
        factors: Vec<Factor>,
        state_token: Secret,
        expires_at: Timestamp,
    },
    /// The sign-on policy requires a factor and the user has none: the state token carries the sign-in to the
    /// enrolment of a TOTP factor ([`enroll_totp`], then [`activate_enrolment`]).
    MfaEnroll {
        user: User,
        state_token: Secret,
        expires_at: Timestamp,
    },
    /// The password must be changed first; the state token carries the sign-in.
    PasswordExpired {
        user: User,
        state_token: Secret,
        expires_at: Timestamp,
    },
    /// The account is locked (or, for a login without an account, answers as one would after as many failures).
    LockedOut,
    /// Too many failures from this client's address: it must wait this long before trying again.
    Throttled { wait: chrono::Duration },
    /// Wrong username or password, a user who cannot sign in, or a sign-in the sign-on policy denies: one answer
    /// for all.
    Failed,
}

fn as_actor(user: &User) -> Party {
    Party {
        kind: "User".into(),
        ..user_target(user)
    }
}

fn event(state: &AppState, client: &Client, kind: &str, message: &str, actor: Party) -> LogEvent {
    LogEvent::new(
        kind,
        message,
        actor,
        state.clock.now(),
        state.random.as_ref(),
    )
    .client(client.ip.clone(), client.user_agent.clone())
}

fn log_failure(
    state: &AppState,
    client: &Client,
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
    state.syslog.record(
        event(
            state,
            client,
            "user.session.start",
            "User login to Okta",
            actor,
        )
        .failure(reason)
        .target(target),
    );
}

/// Logs a successful sign-in.
pub fn log_success(state: &AppState, client: &Client, user: &User, via_mfa: bool) {
    let (kind, message) = if via_mfa {
        (
            "user.authentication.auth_via_mfa",
            "Authentication of user via MFA",
        )
    } else {
        ("user.session.start", "User login to Okta")
    };
    state
        .syslog
        .record(event(state, client, kind, message, as_actor(user)).target(user_target(user)));
}

/// Stores a one-time token of `kind` for `user` and returns its secret ([`signin::issue`]).
pub async fn issue(
    state: &AppState,
    user: &User,
    kind: TokenKind,
    ttl: chrono::Duration,
    data: Value,
) -> Result<(Secret, Timestamp), ApiError> {
    Ok(signin::issue(
        state.store.as_ref(),
        state.random.as_ref(),
        state.clock.now(),
        &user.id,
        kind,
        ttl,
        data,
    )
    .await?)
}

/// A session token for a signed-in user (and their `lastLogin`).
pub async fn session_token(
    state: &AppState,
    user: &User,
    amr: &[&str],
) -> Result<(Secret, Timestamp), ApiError> {
    // Only `last_login` is written, and only while the user may still sign in: an administrator's suspension
    // during the password check wins over this sign-in.
    if !state
        .store
        .record_login(&user.id, state.clock.now())
        .await?
    {
        return Err(crate::api::authn::authentication_failed());
    }
    issue(
        state,
        user,
        TokenKind::SessionToken,
        state.signin_policy.session_token_ttl,
        json!({ "amr": amr }),
    )
    .await
}

/// Username and password.
pub async fn primary(
    state: &AppState,
    client: &Client,
    username: &str,
    password: &str,
) -> Result<Primary, ApiError> {
    if username.is_empty() || password.is_empty() {
        return Ok(Primary::Failed);
    }
    let now = state.clock.now();
    // A source over its failures waits, before any work is done for it.
    if let Some(wait) = source_wait(state, client, now).await? {
        tracing::info!(
            wait_seconds = wait.num_seconds(),
            "sign-in from a throttled source refused"
        );
        return Ok(Primary::Throttled { wait });
    }
    let user = state.store.user_by_login(username).await?;
    let record = match &user {
        Some(u) => state.store.password(&u.id).await?,
        None => None,
    };
    // The same work whether or not the user exists or has a password.
    let verified = match &record {
        Some(r) => state
            .passwords
            .verify(password.to_owned(), r.hash.clone())
            .await
            .ok(),
        None => {
            let _ = state.passwords.verify_dummy(password.to_owned()).await;
            None
        }
    };
    let Some(mut user) = user else {
        count_source_failure(state, client, now).await?;
        return unknown_login(state, client, username, now).await;
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
    // A lock holds for everyone but the user's own known devices.
    let locked = match signin::gate(user.status) {
        Gate::LockedOut if known_device(state, client, &user, now).await? => true,
        Gate::LockedOut => {
            count_source_failure(state, client, now).await?;
            log_failure(state, client, username, Some(&user), "LOCKED_OUT");
            return Ok(Primary::LockedOut);
        }
        Gate::Refuse => {
            count_source_failure(state, client, now).await?;
            log_failure(state, client, username, Some(&user), "INVALID_CREDENTIALS");
            return Ok(Primary::Failed);
        }
        Gate::Proceed | Gate::PasswordExpired => false,
    };
    if !verified.as_ref().is_some_and(|v| v.ok) {
        count_source_failure(state, client, now).await?;
        log_failure(state, client, username, Some(&user), "INVALID_CREDENTIALS");
        if !locked {
            count_user_failure(state, client, &user, now).await?;
        }
        return Ok(Primary::Failed);
    }
    // The failures are forgotten only when the whole sign-in succeeds (`after_password`, a right second factor):
    // the right password alone does not wipe out the wrong second-factor answers of someone who has it.
    if locked {
        // The right password from one of the user's own devices: the lock is over.
        state.store.reset_failures(&user.id).await?;
        user.status = UserStatus::Active;
        user.status_changed = Some(now);
        user.last_updated = now;
        state.store.update_user(&user).await?;
        tracing::info!(user = %user.id, "a locked account signed in from a known device, and is unlocked");
    }
    if verified.is_some_and(|v| v.needs_rehash) {
        // The parameters changed since this hash was made: store it again at the current ones.
        if let (Ok(hash), Some(mut r)) = (state.passwords.hash(password.to_owned()).await, record) {
            r.hash = hash;
            state.store.set_password(&user.id, &r).await?;
        }
    }
    // The policy decides before anything else is asked: a denied user is not asked for a new password.
    let decision = sign_on_decision(state, &user).await?;
    if signon::next_step(decision.as_ref(), false) == Step::Deny {
        log_denied(state, client, &user, decision.as_ref());
        return Ok(Primary::Failed);
    }
    if user.status == UserStatus::PasswordExpired {
        let (state_token, expires_at) = issue(
            state,
            &user,
            TokenKind::StateToken,
            state.signin_policy.state_token_ttl,
            json!({ "step": expired_password::STEP }),
        )
        .await?;
        return Ok(Primary::PasswordExpired {
            user,
            state_token,
            expires_at,
        });
    }
    after_password(state, client, user, decision).await
}

/// A login with no account: counted like an account under the login's key, and answered `LOCKED_OUT` once an
/// account would be — the same threshold, the same duration — so the answer never tells whether it exists.
async fn unknown_login(
    state: &AppState,
    client: &Client,
    username: &str,
    now: Timestamp,
) -> Result<Primary, ApiError> {
    let key = attempts::key(Counted::UnknownLogin, &attempts::login_key(username));
    let policy = &state.signin_policy;
    if let Some(f) = state.store.failures(&key).await?
        && attempts::login_locked(
            f.count,
            f.last,
            policy.lockout_threshold,
            policy.lockout_duration,
            now,
        )
    {
        log_failure(state, client, username, None, "LOCKED_OUT");
        return Ok(Primary::LockedOut);
    }
    state
        .store
        .count_failure(
            &key,
            now,
            now - attempts::FAILURE_MEMORY,
            now + attempts::FAILURE_MEMORY,
        )
        .await?;
    log_failure(state, client, username, None, "INVALID_CREDENTIALS");
    Ok(Primary::Failed)
}

/// Counts a failure toward the user's lockout (forgotten after [`attempts::FAILURE_MEMORY`] without one); when
/// it locks the account: the log and the notice.
async fn count_user_failure(
    state: &AppState,
    client: &Client,
    user: &User,
    now: Timestamp,
) -> Result<bool, ApiError> {
    let policy = &state.signin_policy;
    let count = state
        .store
        .record_failure(
            &user.id,
            policy.lockout_threshold,
            now,
            policy.lock_until(now),
            now - attempts::FAILURE_MEMORY,
        )
        .await?;
    if count.locked {
        on_lockout(state, client, user);
    }
    Ok(count.locked)
}

/// The key the client's address is counted under, unless per-address limits are off (`--signin-rate-limit 0`:
/// behind a proxy every client shares an address).
fn source(state: &AppState, client: &Client) -> Option<[u8; 32]> {
    state.signin_rate_limiter.as_ref()?;
    client.source_key()
}

/// How long this client's address must still wait, if it must.
async fn source_wait(
    state: &AppState,
    client: &Client,
    now: Timestamp,
) -> Result<Option<chrono::Duration>, ApiError> {
    let Some(key) = source(state, client) else {
        return Ok(None);
    };
    Ok(match state.store.failures(&key).await? {
        Some(f) => attempts::source_wait(f.count, f.last, now),
        None => None,
    })
}

/// Counts a failed attempt against this client's address.
async fn count_source_failure(
    state: &AppState,
    client: &Client,
    now: Timestamp,
) -> Result<(), ApiError> {
    if let Some(key) = source(state, client) {
        state
            .store
            .count_failure(
                &key,
                now,
                now - attempts::SOURCE_MEMORY,
                now + attempts::SOURCE_MEMORY,
            )
            .await?;
    }
    Ok(())
}

/// Whether the client's device cookie names one of the user's known devices.
async fn known_device(
    state: &AppState,
    client: &Client,
    user: &User,
    now: Timestamp,
) -> Result<bool, ApiError> {
    Ok(match &client.device {
        Some(d) => state.store.known_device(&user.id, d, now).await?,
        None => false,
    })
}

/// A sign-in completed in this client: its device is remembered as the user's. Returns the device cookie's value
/// when the client has none yet (to set).
pub async fn remember_device(
    state: &AppState,
    client: &Client,
    user: &User,
) -> Result<Option<String>, ApiError> {
    let now = state.clock.now();
    let (hash, fresh) = match client.device {
        Some(h) => (h, None),
        None => {
            let minted = signin::mint(state.random.as_ref());
            (minted.hash, Some(minted.value))
        }
    };
    state
        .store
        .remember_device(&user.id, &hash, now, now + attempts::DEVICE_MEMORY)
        .await?;
    Ok(fresh)
}

/// The `Set-Cookie` value of a new device cookie.
pub fn device_cookie(state: &AppState, value: &str) -> Option<axum::http::HeaderValue> {
    let secure = if state.config.base_url.starts_with("https://") {
        "; Secure"
    } else {
        ""
    };
    axum::http::HeaderValue::from_str(&format!(
        "{}={value}; Path=/; Max-Age={}; HttpOnly; SameSite=Lax{secure}",
        attempts::DEVICE_COOKIE,
        attempts::DEVICE_MEMORY.num_seconds()
    ))
    .ok()
}

/// The sign-on policy's decision for a user: the ACTIVE policies (this node's copy, [`crate::signon_cache`]; the
/// user's groups are read only when some policy names a group), then the rules of each covering policy until one
/// decides.
pub async fn sign_on_decision(state: &AppState, user: &User) -> Result<Option<Decision>, ApiError> {
    let set = state.signon.get().await?;
    let groups: Vec<String> = if signon::needs_groups(&set.policies) {
        state
            .store
            .user_groups(&user.id, &PageRequest::first(10_000))
            .await?
            .items
            .into_iter()
            .map(|g| g.id)
            .collect()
    } else {
        Vec::new()
    };
    for policy in signon::applicable(&set.policies, &groups) {
        if let Some(d) = signon::decide(policy, set.rules(&policy.id), &user.id) {
            return Ok(Some(d));
        }
    }
    Ok(None)
}

/// A sign-in the policy denied: the same failure as a wrong password for the caller; the log names the policy and
/// rule.
fn log_denied(state: &AppState, client: &Client, user: &User, decision: Option<&Decision>) {
    let mut e = event(
        state,
        client,
        "user.session.start",
        "User login to Okta",
        as_actor(user),
    )
    .failure("SIGN_ON_POLICY_DENY")
    .target(user_target(user));
    if let Some(d) = decision {
        e = e
            .target(Party::new(
                &d.policy_id,
                "PolicyEntity",
                &d.policy_name,
                &d.policy_name,
            ))
            .target(Party::new(
                &d.rule_id,
                "PolicyRule",
                &d.rule_name,
                &d.rule_name,
            ));
    }
    state.syslog.record(e);
}

/// Where a verified password (or a changed expired one) leads under the policy's `decision`
/// ([`after_password::next`]): denied, the MFA step, enrolment, or signed in — logged here.
pub async fn after_password(
    state: &AppState,
    client: &Client,
    user: User,
    decision: Option<Decision>,
) -> Result<Primary, ApiError> {
    let next = after_password::next(
        state.store.as_ref(),
        state.random.as_ref(),
        state.clock.now(),
        state.signin_policy.state_token_ttl,
        &user,
        decision.as_ref(),
    )
    .await?;
    Ok(match next {
        Next::Deny => {
            log_denied(state, client, &user, decision.as_ref());
            Primary::Failed
        }
        Next::Mfa {
            factors,
            state_token,
            expires_at,
        } => Primary::MfaRequired {
            user,
            factors,
            state_token,
            expires_at,
        },
        Next::Enroll {
            state_token,
            expires_at,
        } => Primary::MfaEnroll {
            user,
            state_token,
            expires_at,
        },
        Next::Success => {
            log_success(state, client, &user, false);
            Primary::Success { user }
        }
    })
}

pub use lanyard_core::signin::enrolment::{Enroll, Enrolment};

fn enrol_failed(e: EnrolError) -> ApiError {
    match e {
        EnrolError::Store(e) => e.into(),
        EnrolError::Crypto(e) => ApiError::internal(e.to_string()),
    }
}

/// Enrols a TOTP factor for the sign-in a state token carries ([`enrolment::enroll_totp`]), and logs it.
pub async fn enroll_totp(
    state: &AppState,
    client: &Client,
    presented: &str,
    provider: &str,
) -> Result<Enroll, ApiError> {
    let enroll = enrolment::enroll_totp(
        state.store.as_ref(),
        &state.master,
        state.random.as_ref(),
        state.clock.now(),
        state.signin_policy.state_token_ttl,
        presented,
        provider,
    )
    .await
    .map_err(enrol_failed)?;
    if let Enroll::Started(e) = &enroll {
        let (kind, message) = enrolment::ENROL_EVENT;
        state.syslog.record(
            event(state, client, kind, message, as_actor(&e.user)).target(user_target(&e.user)),
        );
    }
    Ok(enroll)
}

/// The enrolment a state token carries, once a factor is enrolled and until it is activated
/// ([`enrolment::pending`]).
pub async fn pending_enrolment(
    state: &AppState,
    presented: &str,
) -> Result<Option<Enrolment>, ApiError> {
    enrolment::pending(
        state.store.as_ref(),
        &state.master,
        state.clock.now(),
        presented,
    )
    .await
    .map_err(enrol_failed)
}

/// Activates the factor enrolled during a sign-in with a passcode from the authenticator, which completes the
/// sign-in (with MFA); spends the state token on success only, so a mistyped code may be retried.
pub async fn activate_enrolment(
    state: &AppState,
    client: &Client,
    presented: &str,
    factor_id: &str,
    passcode: &str,
) -> Result<Mfa, ApiError> {
    let now = state.clock.now();
    let Some((token, user)) = state_token(state, presented, ENROLL_STEP).await? else {
        return Ok(Mfa::InvalidState);
    };
    if token.data["factorId"].as_str() != Some(factor_id) {
        return Ok(Mfa::UnknownFactor);
    }
    let factor = state
        .store
        .factor(&user.id, factor_id)
        .await?
        .filter(|f| f.status == FactorStatus::PendingActivation);
    let Some(mut factor) = factor else {
        return Ok(Mfa::UnknownFactor);
    };
    if let Some(wait) = factor_wait(state, &factor.id, now).await? {
        return Ok(Mfa::TooManyAttempts { wait });
    }
    let accepted = match check_passcode(&factor, &state.master, passcode, now) {
        Some(step) => state.store.use_totp_step(&factor.id, step, now).await?,
        None => false,
    };
    if !accepted {
        return wrong_answer(state, client, &user, &token.token_hash, &factor.id, now).await;
    }
    if state
        .store
        .consume_one_time_token(&token.token_hash, TokenKind::StateToken, now)
        .await?
        .is_none()
    {
        return Ok(Mfa::InvalidState);
    }
    factor.status = FactorStatus::Active;
    factor.last_updated = now;
    state.store.update_factor(&factor).await?;
    right_answer(state, &user, &factor.id).await?;
    state.syslog.record(
        event(
            state,
            client,
            "user.mfa.factor.activate",
            "Activate factor",
            as_actor(&user),
        )
        .target(user_target(&user)),
    );
    log_success(state, client, &user, true);
    Ok(Mfa::Success(user))
}

/// What happens when a failure locks an account: the log, and a notice to the user.
fn on_lockout(state: &AppState, client: &Client, user: &User) {
    state.syslog.record(
        event(
            state,
            client,
            "user.account.lock",
            "Max sign in attempts exceeded",
            as_actor(user),
        )
        .target(user_target(user)),
    );
    if let Some(to) = user.attr("email") {
        let minutes = state
            .signin_policy
            .lockout_duration
            .map(|d| d.num_minutes().max(1) as u32);
        let name = user.full_name();
        state
            .config
            .mailer
            .send_in_background(crate::email::lockout(&state.org_name(), &name, to, minutes));
    }
}

/// A live state token of the given step, and its user ([`signin::state_token`]).
pub async fn state_token(
    state: &AppState,
    presented: &str,
    step: &str,
) -> Result<Option<(OneTimeToken, User)>, ApiError> {
    Ok(signin::state_token(state.store.as_ref(), presented, step, state.clock.now()).await?)
}

/// The state token step of a sign-in's MFA.
pub use lanyard_core::signin::after_password::MFA_STEP;
/// The state token step of a session's step-up; its data names the session (`sessionId`).
pub const STEP_UP: &str = "step_up";

/// Whose MFA step a state token carries.
pub enum MfaOf {
    /// A sign-in's: success starts a session.
    SignIn,
    /// A session's step-up: success upgrades that session.
    StepUp { session_id: String },
}

impl MfaOf {
    fn step(&self) -> &'static str {
        match self {
            MfaOf::SignIn => MFA_STEP,
            MfaOf::StepUp { .. } => STEP_UP,
        }
    }
}

/// The MFA step a live state token carries (a sign-in's or a step-up's), and its user.
pub async fn mfa_of(state: &AppState, presented: &str) -> Result<Option<(MfaOf, User)>, ApiError> {
    if let Some((_, user)) = state_token(state, presented, MFA_STEP).await? {
        return Ok(Some((MfaOf::SignIn, user)));
    }
    Ok(state_token(state, presented, STEP_UP)
        .await?
        .and_then(|(token, user)| {
            let session_id = token.data["sessionId"].as_str()?.to_owned();
            Some((MfaOf::StepUp { session_id }, user))
        }))
}

/// Whether a user has a second factor a step-up can verify: an active TOTP factor, or an active passkey when
/// WebAuthn is configured.
pub async fn can_step_up(state: &AppState, user_id: &str) -> Result<bool, ApiError> {
    let factors = state.store.factors(user_id).await?;
    Ok(factors.iter().any(|f| {
        f.status == FactorStatus::Active
            && (f.factor_type == FactorType::Totp
                || (state.webauthn.is_some() && crate::webauthn::is_active_webauthn(f)))
    }))
}

/// Starts the step-up of session `session_id` for its user: a state token for the MFA step.
pub async fn begin_step_up(
    state: &AppState,
    user: &User,
    session_id: &str,
) -> Result<Secret, ApiError> {
    let (secret, _) = issue(
        state,
        user,
        TokenKind::StateToken,
        state.signin_policy.state_token_ttl,
        json!({ "step": STEP_UP, "sessionId": session_id }),
    )
    .await?;
    Ok(secret)
}

/// The outcome of a second factor.
pub enum Mfa {
    Success(User),
    WrongCode,
    InvalidState,
    UnknownFactor,
    /// A WebAuthn answer with no challenge waiting (never asked, expired, or already answered).
    NoChallenge,
    /// The factor failed too often lately: no answer is checked for this long.
    TooManyAttempts {
        wait: chrono::Duration,
    },
    /// That wrong answer was the state token's last ([`attempts::STATE_ATTEMPTS`]), or locked the account: the
    /// sign-in ended, and starts again with the password.
    Ended,
}

/// How long the factor makes its user wait before an answer is checked again, if it does.
async fn factor_wait(
    state: &AppState,
    factor_id: &str,
    now: Timestamp,
) -> Result<Option<chrono::Duration>, ApiError> {
    let key = attempts::key(Counted::Factor, factor_id.as_bytes());
    Ok(match state.store.failures(&key).await? {
        Some(f) => attempts::factor_wait(f.count, f.last, now),
        None => None,
    })
}

/// A wrong answer to `factor_id` in the sign-in (or step-up) of the state token hashing to `token_hash`: logged,
/// and counted against the state token, the factor, the user's lockout and the client's address. The sign-in ends
/// at the state token's limit or when the count locks the account.
async fn wrong_answer(
    state: &AppState,
    client: &Client,
    user: &User,
    token_hash: &[u8; 32],
    factor_id: &str,
    now: Timestamp,
) -> Result<Mfa, ApiError> {
    log_mfa_failure(state, client, user);
    state
        .store
        .count_failure(
            &attempts::key(Counted::Factor, factor_id.as_bytes()),
            now,
            now - attempts::FAILURE_MEMORY,
            now + attempts::FAILURE_MEMORY,
        )
        .await?;
    count_source_failure(state, client, now).await?;
    let locked = count_user_failure(state, client, user, now).await?;
    let counted = state
        .store
        .count_token_attempt(token_hash, attempts::STATE_ATTEMPTS, now)
        .await?;
    match counted {
        Some(n) if n < attempts::STATE_ATTEMPTS && !locked => Ok(Mfa::WrongCode),
        _ => {
            state
                .store
                .consume_one_time_token(token_hash, TokenKind::StateToken, now)
                .await?;
            tracing::info!(user = %user.id, locked, "a sign-in ended after wrong second-factor answers");
            Ok(Mfa::Ended)
        }
    }
}

/// A right answer: the factor's failures, and the user's, are forgotten.
async fn right_answer(state: &AppState, user: &User, factor_id: &str) -> Result<(), ApiError> {
    state
        .store
        .clear_failures(&attempts::key(Counted::Factor, factor_id.as_bytes()))
        .await?;
    state.store.reset_failures(&user.id).await?;
    Ok(())
}

fn log_mfa_failure(state: &AppState, client: &Client, user: &User) {
    let e = event(
        state,
        client,
        "user.authentication.auth_via_mfa",
        "Authentication of user via MFA",
        as_actor(user),
    );
    state
        .syslog
        .record(e.failure("INVALID_CREDENTIALS").target(user_target(user)));
}

/// A WebAuthn step of the MFA: a challenge to answer, or the outcome of an answer.
pub enum WebAuthnStep {
    Challenge {
        user: Box<User>,
        /// The factor challenged (`None` for all of the user's passkeys).
        factor: Option<Box<Factor>>,
        /// The `publicKey` request options for `navigator.credentials.get`.
        options: Value,
        expires_at: Timestamp,
    },
    Done(Mfa),
}

/// The WebAuthn MFA step for the sign-in a state token carries, for one factor (`scope` = its id) or all of the
/// user's passkeys (`*`): without `answer`, a (new) challenge; with it — the credential id, when known, and the
/// assertion — the verification, which spends the challenge and, on success, the state token.
pub async fn webauthn_mfa(
    state: &AppState,
    client: &Client,
    presented: &str,
    scope: &str,
    answer: Option<(Option<&str>, Assertion<'_>)>,
) -> Result<WebAuthnStep, ApiError> {
    webauthn_mfa_of(state, client, &MfaOf::SignIn, presented, scope, answer).await
}

/// [`webauthn_mfa`] for the MFA step `of` (a sign-in's or a step-up's).
pub async fn webauthn_mfa_of(
    state: &AppState,
    client: &Client,
    of: &MfaOf,
    presented: &str,
    scope: &str,
    answer: Option<(Option<&str>, Assertion<'_>)>,
) -> Result<WebAuthnStep, ApiError> {
    let now = state.clock.now();
    let Some((token, user)) = state_token(state, presented, of.step()).await? else {
        return Ok(WebAuthnStep::Done(Mfa::InvalidState));
    };
    let mut challenged = None;
    if scope != "*" {
        let factor = state
            .store
            .factor(&user.id, scope)
            .await?
            .filter(|f| f.status == FactorStatus::Active);
        match factor {
            None => return Ok(WebAuthnStep::Done(Mfa::UnknownFactor)),
            // A TOTP factor asked without a passcode: a wrong code, as before.
            Some(f) if !crate::webauthn::is_active_webauthn(&f) => {
                return Ok(WebAuthnStep::Done(Mfa::WrongCode));
            }
            Some(f) => challenged = Some(f),
        }
    }
    let Some((credential_id, assertion)) = answer else {
        return Ok(
            match crate::webauthn::challenge(state, &user, presented, scope).await? {
                Some(options) => WebAuthnStep::Challenge {
                    user: Box::new(user),
                    factor: challenged.map(Box::new),
                    options,
                    expires_at: now + state.signin_policy.webauthn_ceremony_ttl,
                },
                None => WebAuthnStep::Done(Mfa::UnknownFactor),
            },
        );
    };
    // Failures are counted against the passkey asked for, or against all of the user's passkeys together.
    let counted_as = match scope {
        "*" => format!("webauthn:{}", user.id),
        id => id.to_owned(),
    };
    if let Some(wait) = factor_wait(state, &counted_as, now).await? {
        return Ok(WebAuthnStep::Done(Mfa::TooManyAttempts { wait }));
    }
    match crate::webauthn::verify(state, &user, presented, scope, credential_id, &assertion).await?
    {
        Ok(_) => {}
        Err(crate::webauthn::AssertionFailure::NoChallenge) => {
            log_mfa_failure(state, client, &user);
            return Ok(WebAuthnStep::Done(Mfa::NoChallenge));
        }
        Err(crate::webauthn::AssertionFailure::Refused) => {
            let outcome =
                wrong_answer(state, client, &user, &token.token_hash, &counted_as, now).await?;
            return Ok(WebAuthnStep::Done(outcome));
        }
    }
    if state
        .store
        .consume_one_time_token(&token.token_hash, TokenKind::StateToken, now)
        .await?
        .is_none()
    {
        return Ok(WebAuthnStep::Done(Mfa::InvalidState));
    }
    right_answer(state, &user, &counted_as).await?;
    log_success(state, client, &user, true);
    Ok(WebAuthnStep::Done(Mfa::Success(user)))
}

/// Verifies a TOTP passcode for the sign-in a state token carries; spends the token on success.
pub async fn verify_mfa(
    state: &AppState,
    client: &Client,
    presented: &str,
    factor_id: &str,
    passcode: &str,
) -> Result<Mfa, ApiError> {
    verify_mfa_of(
        state,
        client,
        &MfaOf::SignIn,
        presented,
        factor_id,
        passcode,
    )
    .await
}

/// [`verify_mfa`] for the MFA step `of` (a sign-in's or a step-up's).
pub async fn verify_mfa_of(
    state: &AppState,
    client: &Client,
    of: &MfaOf,
    presented: &str,
    factor_id: &str,
    passcode: &str,
) -> Result<Mfa, ApiError> {
    let now = state.clock.now();
    let Some((token, user)) = state_token(state, presented, of.step()).await? else {
        return Ok(Mfa::InvalidState);
    };
    let factor = state
        .store
        .factor(&user.id, factor_id)
        .await?
        .filter(|f| f.status == FactorStatus::Active);
    let Some(factor) = factor else {
        return Ok(Mfa::UnknownFactor);
    };
    if let Some(wait) = factor_wait(state, &factor.id, now).await? {
        return Ok(Mfa::TooManyAttempts { wait });
    }
    let accepted = match check_passcode(&factor, &state.master, passcode, now) {
        Some(step) => state.store.use_totp_step(&factor.id, step, now).await?,
        None => false,
    };
    if !accepted {
        return wrong_answer(state, client, &user, &token.token_hash, &factor.id, now).await;
    }
    // The state token is spent only now: a mistyped code may be retried while it lives.
    if state
        .store
        .consume_one_time_token(&token.token_hash, TokenKind::StateToken, now)
        .await?
        .is_none()
    {
        return Ok(Mfa::InvalidState);
    }
    right_answer(state, &user, &factor.id).await?;
    log_success(state, client, &user, true);
    Ok(Mfa::Success(user))
}

/// Where a changed expired password leads: the sign-on policy decides again, as after any password.
pub async fn after_password_change(
    state: &AppState,
    client: &Client,
    user: User,
) -> Result<Primary, ApiError> {
    let decision = sign_on_decision(state, &user).await?;
    after_password(state, client, user, decision).await
}

pub use lanyard_core::signin::expired_password::Change;

/// Changes an expired password for the sign-in a state token carries ([`expired_password::change`]). Policy
/// violations are `Err` (400 E0000001). `old` is checked when given (the Authn API asks for it, as Okta's); the
/// hosted page does not ask again, as the state token was issued only after the password was verified moments ago.
pub async fn change_expired_password(
    state: &AppState,
    presented: &str,
    old: Option<&str>,
    new: &str,
) -> Result<Change, ApiError> {
    expired_password::change(state.store.as_ref(), state.accounts(), presented, old, new)
        .await
        .map_err(|e| crate::api::users::refused(e, ""))
}
