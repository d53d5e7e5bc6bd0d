//! Sign-in: the rules the Authn API, the hosted pages and the session endpoints share — token minting, lifetimes,
//! lockout, what a user's status allows, and MFA factor enrolment and verification. No HTTP, no SQL.

pub mod after_password;
pub mod attempts;
pub mod csrf;
pub mod enrolment;
pub mod events;
pub mod expired_password;
pub mod factors;
pub mod mfa;
pub mod passkeys;
pub mod policy;
pub mod policy_admin;
pub mod primary;
pub mod sessions;
pub mod sso;

pub use events::Event;

use chrono::Duration;

use crate::clock::Timestamp;
use crate::crypto::sha256;
use crate::model::{OneTimeToken, TokenKind, User, UserStatus};
use crate::random::{Random, b64url, bytes};
use crate::store::{OneTimeTokenStore, StoreError, StoreResult, UserStore};

/// Why a sign-in step could not be taken: a server fault or a configuration's, never the user's (their mistakes
/// are outcomes).
#[derive(Debug, thiserror::Error)]
pub enum SigninError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// WebAuthn is not available: the server's base URL has no domain name.
    #[error("webauthn is not available")]
    WebAuthnUnavailable,
    /// The user may no longer sign in: an administrator suspended them during the sign-in.
    #[error("the user may no longer sign in")]
    NotAllowed,
    /// A sealed secret that does not open, a ceremony that cannot start, hashing that failed.
    #[error("{0}")]
    Internal(String),
}

/// Sign-in settings.
#[derive(Debug, Clone)]
pub struct SigninPolicy {
    /// Consecutive failures that lock an account.
    pub lockout_threshold: u32,
    /// How long a lockout lasts before the account unlocks by itself; `None`: until an administrator unlocks it.
    pub lockout_duration: Option<Duration>,
    /// Lifetime of the Authn API's one-time `sessionToken`.
    pub session_token_ttl: Duration,
    /// Lifetime of a `stateToken` (MFA, password change).
    pub state_token_ttl: Duration,
    /// Lifetime of a WebAuthn ceremony's server-side state (registration or authentication).
    pub webauthn_ceremony_ttl: Duration,
    /// A session ends after this long unused…
    pub session_idle: Duration,
    /// …and at the latest this long after it began.
    pub session_lifetime: Duration,
}

impl Default for SigninPolicy {
    fn default() -> Self {
        SigninPolicy {
            lockout_threshold: 10,
            lockout_duration: Some(Duration::minutes(60)),
            session_token_ttl: Duration::minutes(5),
            state_token_ttl: Duration::minutes(5),
            webauthn_ceremony_ttl: Duration::minutes(5),
            session_idle: Duration::hours(2),
            session_lifetime: Duration::hours(24),
        }
    }
}

impl SigninPolicy {
    /// When a lockout that starts at `now` ends (far in the future when it never ends by itself).
    pub fn lock_until(&self, now: Timestamp) -> Timestamp {
        now + self.lockout_duration.unwrap_or(Duration::days(365 * 100))
    }
}

/// A secret handed out once — session token, state token, session cookie, reset link — and the SHA-256 that is
/// stored instead. `Debug` shows a prefix only.
pub struct Secret {
    pub value: String,
    pub hash: [u8; 32],
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({}…)", self.value.get(..4).unwrap_or(""))
    }
}

/// 256 random bits, base64url, with their hash.
pub fn mint(random: &dyn Random) -> Secret {
    let value = b64url(&bytes::<32>(random));
    let hash = sha256(value.as_bytes());
    Secret { value, hash }
}

/// Stores a new one-time token of `kind` for `user_id`, living `ttl` from `now` and carrying `data`; returns its
/// secret (stored as its hash only) and when it expires.
pub async fn issue(
    store: &(impl OneTimeTokenStore + ?Sized),
    random: &dyn Random,
    now: Timestamp,
    user_id: &str,
    kind: TokenKind,
    ttl: Duration,
    data: serde_json::Value,
) -> StoreResult<(Secret, Timestamp)> {
    let secret = mint(random);
    let expires_at = now + ttl;
    let token = OneTimeToken {
        token_hash: secret.hash,
        kind,
        user_id: user_id.to_owned(),
        created: now,
        expires_at,
        data,
    };
    store.insert_one_time_token(&token).await?;
    Ok((secret, expires_at))
}

/// A link token of `kind` for `user_id` (activation, password reset): voids the user's earlier ones of that kind,
/// then issues a new one living `ttl` from `now`. Only the newest link works.
pub async fn replace_link(
    store: &(impl OneTimeTokenStore + ?Sized),
    random: &dyn Random,
    now: Timestamp,
    user_id: &str,
    kind: TokenKind,
    ttl: Duration,
) -> StoreResult<Secret> {
    store.delete_user_one_time_tokens(user_id, kind).await?;
    let (secret, _) = issue(
        store,
        random,
        now,
        user_id,
        kind,
        ttl,
        serde_json::json!({}),
    )
    .await?;
    Ok(secret)
}

/// A live state token of the given `step` (its data's `step`), and its user. Spends nothing.
pub async fn state_token<S>(
    store: &S,
    presented: &str,
    step: &str,
    now: Timestamp,
) -> StoreResult<Option<(OneTimeToken, User)>>
where
    S: OneTimeTokenStore + UserStore + ?Sized,
{
    let Some(token) = store
        .one_time_token(&hash(presented), TokenKind::StateToken, now)
        .await?
    else {
        return Ok(None);
    };
    if token.data["step"] != step {
        return Ok(None);
    }
    Ok(store.user(&token.user_id).await?.map(|u| (token, u)))
}

/// The stored form of a presented secret.
pub fn hash(presented: &str) -> [u8; 32] {
    sha256(presented.as_bytes())
}

/// A user's status once an expired lockout has been taken into account.
pub fn effective_status(
    status: UserStatus,
    lockout_until: Option<Timestamp>,
    now: Timestamp,
) -> UserStatus {
    match (status, lockout_until) {
        (UserStatus::LockedOut, Some(until)) if until <= now => UserStatus::Active,
        (s, _) => s,
    }
}

/// What a correct password leads to, by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Gate {
    /// Carry on (MFA if the user has a factor, else success).
    Proceed,
    /// The password must be changed first.
    PasswordExpired,
    /// Locked out: say so, whatever the password.
    LockedOut,
    /// Cannot sign in (staged, provisioned, suspended, deprovisioned, recovery): the generic failure.
    Refuse,
}

pub fn gate(status: UserStatus) -> Gate {
    match status {
        UserStatus::Active => Gate::Proceed,
        UserStatus::PasswordExpired => Gate::PasswordExpired,
        UserStatus::LockedOut => Gate::LockedOut,
        _ => Gate::Refuse,
    }
}

/// Whether a session is still alive at `now`.
pub fn session_alive(
    last_seen: Timestamp,
    expires_at: Timestamp,
    policy: &SigninPolicy,
    now: Timestamp,
) -> bool {
    now < expires_at && now < last_seen + policy.session_idle
}

/// How recent a sign-in must be for its session to add a factor: a stolen or forgotten session cookie alone must
/// not be enough to create a second factor for its holder.
pub const FACTOR_ENROLMENT_WINDOW: chrono::Duration = chrono::Duration::minutes(10);

/// Whether a session may add a factor (a passkey from the user's security page): it was signed in within
/// [`FACTOR_ENROLMENT_WINDOW`], and — when the user already has an active factor — with it (`mfa` in its `amr`, a
/// sign-in or a step-up that asked for it). Otherwise the user signs in again first.
pub fn may_enrol_factor(
    signed_in: Timestamp,
    amr: &[String],
    has_active_factor: bool,
    now: Timestamp,
) -> bool {
    let recent = now - signed_in <= FACTOR_ENROLMENT_WINDOW;
    let strong = !has_active_factor || amr.iter().any(|m| m == "mfa");
    recent && strong
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SystemRandom;
    use chrono::Utc;

    #[test]
    fn only_recent_sign_ins_add_factors_and_with_a_factor_once_there_is_one() {
        let t = Utc::now();
        let pwd = vec!["pwd".to_owned()];
        let mfa = vec!["pwd".to_owned(), "otp".to_owned(), "mfa".to_owned()];
        assert!(may_enrol_factor(
            t,
            &pwd,
            false,
            t + chrono::Duration::minutes(9)
        ));
        assert!(!may_enrol_factor(
            t,
            &pwd,
            false,
            t + chrono::Duration::minutes(11)
        ));
        assert!(!may_enrol_factor(
            t,
            &mfa,
            true,
            t + chrono::Duration::minutes(11)
        ));
        assert!(!may_enrol_factor(t, &pwd, true, t));
        assert!(may_enrol_factor(
            t,
            &mfa,
            true,
            t + chrono::Duration::minutes(1)
        ));
    }

    #[test]
    fn secrets_are_random_and_stored_as_hashes() {
        let a = mint(&SystemRandom);
        let b = mint(&SystemRandom);
        assert_ne!(a.value, b.value);
        assert_eq!(a.value.len(), 43);
        assert_eq!(hash(&a.value), a.hash);
        assert!(!format!("{a:?}").contains(&a.value[4..]));
    }

    #[test]
    fn lockouts_end_by_themselves_when_configured() {
        let now = Utc::now();
        assert_eq!(
            effective_status(UserStatus::LockedOut, Some(now), now),
            UserStatus::Active
        );
        assert_eq!(
            effective_status(UserStatus::LockedOut, Some(now + Duration::seconds(1)), now),
            UserStatus::LockedOut
        );
        assert_eq!(
            effective_status(UserStatus::LockedOut, None, now),
            UserStatus::LockedOut
        );
        assert_eq!(
            effective_status(UserStatus::Suspended, Some(now), now),
            UserStatus::Suspended
        );
        let forever = SigninPolicy {
            lockout_duration: None,
            ..SigninPolicy::default()
        };
        assert!(forever.lock_until(now) > now + Duration::days(365 * 50));
    }

    #[test]
    fn statuses_gate_sign_in() {
        assert_eq!(gate(UserStatus::Active), Gate::Proceed);
        assert_eq!(gate(UserStatus::PasswordExpired), Gate::PasswordExpired);
        assert_eq!(gate(UserStatus::LockedOut), Gate::LockedOut);
        for s in [
            UserStatus::Staged,
            UserStatus::Provisioned,
            UserStatus::Suspended,
            UserStatus::Deprovisioned,
            UserStatus::Recovery,
        ] {
            assert_eq!(gate(s), Gate::Refuse);
        }
    }

    #[test]
    fn sessions_end_when_idle_or_old() {
        let p = SigninPolicy::default();
        let t = Utc::now();
        assert!(session_alive(
            t,
            t + Duration::hours(24),
            &p,
            t + Duration::hours(1)
        ));
        assert!(!session_alive(
            t,
            t + Duration::hours(24),
            &p,
            t + Duration::hours(3)
        ));
        assert!(!session_alive(
            t + Duration::hours(23),
            t + Duration::hours(24),
            &p,
            t + Duration::hours(24)
        ));
    }
}
