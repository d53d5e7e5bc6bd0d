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
use lanyard_core::directory::accounts::AccountError;
use lanyard_core::mfa::webauthn::Assertion;
use lanyard_core::model::{Factor, OneTimeToken, PageRequest, User};
use lanyard_core::signin::attempts::{self, Counted};
use lanyard_core::signin::enrolment::{self, EnrolError};
use lanyard_core::signin::expired_password;
use lanyard_core::signin::mfa::{self, Answered, Attempt};
use lanyard_core::signin::passkeys::{self, Ceremony};
use lanyard_core::signin::policy::{self as signon, Decision};
use lanyard_core::signin::primary::{self, Ports, SignOn};
use lanyard_core::signin::sso;
use lanyard_core::signin::{self, Event, Secret, SigninError};
use lanyard_core::syslog::{LogEvent, Party};
use serde_json::Value;

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

pub use lanyard_core::signin::primary::Primary;

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

/// A session token for a signed-in user (and their `lastLogin`) ([`sso::session_token`]); refused when the user
/// may no longer sign in (an administrator's suspension during the password check wins over this sign-in).
pub async fn session_token(
    state: &AppState,
    user: &User,
    amr: &[&str],
) -> Result<(Secret, Timestamp), SigninError> {
    sso::session_token(
        state.store.as_ref(),
        state.random.as_ref(),
        state.clock.now(),
        state.signin_policy.session_token_ttl,
        user,
        amr,
    )
    .await?
    .ok_or(SigninError::NotAllowed)
}

/// Username and password ([`primary::primary`]).
pub async fn primary(
    state: &AppState,
    client: &Client,
    username: &str,
    password: &str,
) -> Result<Primary, SigninError> {
    let sign_on = SignOnOf(state);
    let ports = Ports {
        random: state.random.as_ref(),
        hashing: &state.passwords,
        sign_on: &sign_on,
    };
    let signed = primary::primary(
        state.store.as_ref(),
        ports,
        &attempt(state, client),
        client.device.as_ref(),
        username,
        password,
    )
    .await?;
    record(state, client, &signed.events);
    Ok(signed.outcome)
}

/// The sign-on decision port: this node's copy of the policies ([`sign_on_decision`]).
struct SignOnOf<'a>(&'a AppState);

#[async_trait::async_trait]
impl SignOn for SignOnOf<'_> {
    async fn decision(&self, user: &User) -> Result<Option<Decision>, SigninError> {
        let state = self.0;
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
}

/// The key the client's address is counted under, unless per-address limits are off (`--signin-rate-limit 0`:
/// behind a proxy every client shares an address).
fn source(state: &AppState, client: &Client) -> Option<[u8; 32]> {
    state.signin_rate_limiter.as_ref()?;
    client.source_key()
}

/// A sign-in completed in this client: its device is remembered as the user's ([`sso::remember_device`]). Returns
/// the device cookie's value when the client has none yet (to set).
pub async fn remember_device(
    state: &AppState,
    client: &Client,
    user: &User,
) -> Result<Option<String>, SigninError> {
    Ok(sso::remember_device(
        state.store.as_ref(),
        state.random.as_ref(),
        state.clock.now(),
        user,
        client.device,
    )
    .await?)
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
pub async fn sign_on_decision(
    state: &AppState,
    user: &User,
) -> Result<Option<Decision>, SigninError> {
    SignOnOf(state).decision(user).await
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
/// ([`primary::after_password`]): denied, the MFA step, enrolment, or signed in — logged here.
pub async fn after_password(
    state: &AppState,
    client: &Client,
    user: User,
    decision: Option<Decision>,
) -> Result<Primary, SigninError> {
    let signed = primary::after_password(
        state.store.as_ref(),
        state.random.as_ref(),
        &attempt(state, client),
        user,
        decision,
    )
    .await?;
    record(state, client, &signed.events);
    Ok(signed.outcome)
}

pub use lanyard_core::signin::enrolment::{Enroll, Enrolment};

fn enrol_failed(e: EnrolError) -> SigninError {
    match e {
        EnrolError::Store(e) => e.into(),
        EnrolError::Crypto(e) => SigninError::Internal(e.to_string()),
    }
}

/// Enrols a TOTP factor for the sign-in a state token carries ([`enrolment::enroll_totp`]), and logs it.
pub async fn enroll_totp(
    state: &AppState,
    client: &Client,
    presented: &str,
    provider: &str,
) -> Result<Enroll, SigninError> {
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
) -> Result<Option<Enrolment>, SigninError> {
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
/// sign-in (with MFA); spends the state token on success only, so a mistyped code may be retried
/// ([`mfa::activate_enrolment`]).
pub async fn activate_enrolment(
    state: &AppState,
    client: &Client,
    presented: &str,
    factor_id: &str,
    passcode: &str,
) -> Result<Mfa, SigninError> {
    let answered = mfa::activate_enrolment(
        state.store.as_ref(),
        &state.master,
        &attempt(state, client),
        presented,
        factor_id,
        passcode,
    )
    .await?;
    Ok(answer(state, client, answered))
}

/// The limits an attempt from `client` is made under, now.
fn attempt<'a>(state: &'a AppState, client: &Client) -> Attempt<'a> {
    Attempt {
        now: state.clock.now(),
        policy: &state.signin_policy,
        source: source(state, client),
    }
}

/// Records what a step did ([`Event`]): the system log, and the lockout notice.
pub fn record(state: &AppState, client: &Client, events: &[Event]) {
    for e in events {
        match e {
            Event::LoginFailed {
                login,
                user,
                reason,
            } => log_failure(state, client, login, user.as_deref(), reason),
            Event::Denied { user, decision } => {
                log_denied(state, client, user, decision.as_deref())
            }
            Event::MfaFailed(user) => log_mfa_failure(state, client, user),
            Event::Locked(user) => on_lockout(state, client, user),
            Event::FactorActivated(user) => state.syslog.record(
                event(
                    state,
                    client,
                    "user.mfa.factor.activate",
                    "Activate factor",
                    as_actor(user),
                )
                .target(user_target(user)),
            ),
            Event::SignedIn { user, via_mfa } => log_success(state, client, user, *via_mfa),
        }
    }
}

/// An MFA outcome, its events recorded.
fn answer(state: &AppState, client: &Client, answered: Answered) -> Mfa {
    record(state, client, &answered.events);
    answered.outcome
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
) -> Result<Option<(OneTimeToken, User)>, SigninError> {
    Ok(signin::state_token(state.store.as_ref(), presented, step, state.clock.now()).await?)
}

/// The state token step of a sign-in's MFA.
pub use lanyard_core::signin::after_password::MFA_STEP;
/// The state token step of a session's step-up; its data names the session (`sessionId`).
pub use lanyard_core::signin::mfa::STEP_UP;
pub use lanyard_core::signin::mfa::{Mfa, MfaOf};

/// The MFA step a live state token carries (a sign-in's or a step-up's), and its user.
pub async fn mfa_of(
    state: &AppState,
    presented: &str,
) -> Result<Option<(MfaOf, User)>, SigninError> {
    Ok(mfa::mfa_of(state.store.as_ref(), state.clock.now(), presented).await?)
}

/// Whether a user has a second factor a step-up can verify: an active TOTP factor, or an active passkey when
/// WebAuthn is configured ([`mfa::can_step_up`]).
pub async fn can_step_up(state: &AppState, user_id: &str) -> Result<bool, SigninError> {
    Ok(mfa::can_step_up(state.store.as_ref(), state.webauthn.is_some(), user_id).await?)
}

/// Starts the step-up of session `session_id` for its user: a state token for the MFA step
/// ([`mfa::begin_step_up`]).
pub async fn begin_step_up(
    state: &AppState,
    user: &User,
    session_id: &str,
) -> Result<Secret, SigninError> {
    Ok(mfa::begin_step_up(
        state.store.as_ref(),
        state.random.as_ref(),
        state.clock.now(),
        state.signin_policy.state_token_ttl,
        &user.id,
        session_id,
    )
    .await?)
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
) -> Result<WebAuthnStep, SigninError> {
    webauthn_mfa_of(state, client, &MfaOf::SignIn, presented, scope, answer).await
}

/// [`webauthn_mfa`] for the MFA step `of` (a sign-in's or a step-up's) ([`passkeys::webauthn`]).
pub async fn webauthn_mfa_of(
    state: &AppState,
    client: &Client,
    of: &MfaOf,
    presented: &str,
    scope: &str,
    answer: Option<(Option<&str>, Assertion<'_>)>,
) -> Result<WebAuthnStep, SigninError> {
    let ceremony = Ceremony {
        rp: state.webauthn.as_deref(),
        master: &state.master,
        random: state.random.as_ref(),
        ttl: state.signin_policy.webauthn_ceremony_ttl,
    };
    let step = passkeys::webauthn(
        state.store.as_ref(),
        &ceremony,
        &attempt(state, client),
        of,
        presented,
        scope,
        answer,
    )
    .await?;
    Ok(match step {
        passkeys::WebAuthnStep::Challenge {
            user,
            factor,
            options,
            expires_at,
        } => WebAuthnStep::Challenge {
            user,
            factor,
            options,
            expires_at,
        },
        passkeys::WebAuthnStep::Done(answered) => {
            WebAuthnStep::Done(self::answer(state, client, answered))
        }
    })
}

/// Verifies a TOTP passcode for the sign-in a state token carries; spends the token on success.
pub async fn verify_mfa(
    state: &AppState,
    client: &Client,
    presented: &str,
    factor_id: &str,
    passcode: &str,
) -> Result<Mfa, SigninError> {
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

/// [`verify_mfa`] for the MFA step `of` (a sign-in's or a step-up's) ([`mfa::verify_totp`]).
pub async fn verify_mfa_of(
    state: &AppState,
    client: &Client,
    of: &MfaOf,
    presented: &str,
    factor_id: &str,
    passcode: &str,
) -> Result<Mfa, SigninError> {
    let answered = mfa::verify_totp(
        state.store.as_ref(),
        &state.master,
        &attempt(state, client),
        of,
        presented,
        factor_id,
        passcode,
    )
    .await?;
    Ok(answer(state, client, answered))
}

/// Where a changed expired password leads: the sign-on policy decides again, as after any password.
pub async fn after_password_change(
    state: &AppState,
    client: &Client,
    user: User,
) -> Result<Primary, SigninError> {
    let decision = sign_on_decision(state, &user).await?;
    after_password(state, client, user, decision).await
}

pub use lanyard_core::signin::expired_password::Change;

/// Changes an expired password for the sign-in a state token carries ([`expired_password::change`]). Policy
/// violations are `Err` ([`AccountError::PasswordRejected`]). `old` is checked when given (the Authn API asks for it, as Okta's); the
/// hosted page does not ask again, as the state token was issued only after the password was verified moments ago.
pub async fn change_expired_password(
    state: &AppState,
    presented: &str,
    old: Option<&str>,
    new: &str,
) -> Result<Change, AccountError> {
    expired_password::change(state.store.as_ref(), state.accounts(), presented, old, new).await
}
