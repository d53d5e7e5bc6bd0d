//! The WebAuthn answer to the MFA step ([`super::mfa`]): a challenge to the user's passkeys — one factor's, or all
//! of them (`*`) — whose state waits in the store as a one-time token keyed by the sign-in's state token and the
//! scope ([`factors::assertion_key`]), so that any node can check the answer, once; and the check, under the MFA
//! step's limits (failures counted against the passkey asked for, or against all of the user's together).

use serde_json::{Value, json};

use super::factors::{self, passkey};
use super::mfa::{self, Answered, Attempt, Mfa, MfaOf, MfaStore};
use super::{Event, Secret, SigninError, state_token};
use crate::clock::Timestamp;
use crate::crypto::MasterKey;
use crate::mfa::webauthn::{
    Assertion, RelyingParty, StoredPasskey as Passkey, WebAuthnError, decode_b64,
};
use crate::model::{Factor, FactorStatus, FactorType, OneTimeToken, TokenKind, User};
use crate::random::Random;
use crate::store::{FactorStore, OneTimeTokenStore, StoreResult};

/// What a WebAuthn ceremony needs besides the store: the relying party (`None` when the base URL cannot have one),
/// the master key the passkeys are sealed with, randomness (a passkey sealed again), and how long a challenge waits.
#[derive(Clone, Copy)]
pub struct Ceremony<'a> {
    pub rp: Option<&'a RelyingParty>,
    pub master: &'a MasterKey,
    pub random: &'a dyn Random,
    pub ttl: chrono::Duration,
}

/// A WebAuthn step of the MFA: a challenge to answer, or the outcome of an answer.
#[derive(Debug)]
pub enum WebAuthnStep {
    Challenge {
        user: Box<User>,
        /// The factor challenged (`None` for all of the user's passkeys).
        factor: Option<Box<Factor>>,
        /// The `publicKey` request options for `navigator.credentials.get`.
        options: Value,
        expires_at: Timestamp,
    },
    Done(Answered),
}

impl From<Mfa> for WebAuthnStep {
    fn from(m: Mfa) -> Self {
        WebAuthnStep::Done(m.into())
    }
}

/// Whether a factor is a WebAuthn one that can sign in.
pub fn is_active_webauthn(f: &Factor) -> bool {
    f.factor_type == FactorType::WebAuthn && f.status == FactorStatus::Active
}

/// A user's ACTIVE WebAuthn factors and their passkeys.
pub async fn passkeys<S>(
    store: &S,
    master: &MasterKey,
    user_id: &str,
) -> StoreResult<Vec<(Factor, Passkey)>>
where
    S: FactorStore + ?Sized,
{
    Ok(store
        .factors(user_id)
        .await?
        .into_iter()
        .filter_map(|f| passkey(&f, master).map(|p| (f, p)))
        .collect())
}

/// Adds a registered passkey as a new ACTIVE WebAuthn factor of the user (from their security page).
pub async fn add<S>(
    store: &S,
    master: &MasterKey,
    random: &dyn Random,
    now: Timestamp,
    user_id: &str,
    passkey: &Passkey,
) -> Result<Factor, SigninError>
where
    S: FactorStore + ?Sized,
{
    let factor = factors::new_webauthn_factor(user_id, passkey, master, random, now)
        .map_err(|e| SigninError::Internal(e.to_string()))?;
    store.insert_factor(&factor).await?;
    Ok(factor)
}

/// Starts registering a passkey for `user`: the creation options (`publicKey`) for the browser. The ceremony's
/// state waits [`Ceremony::ttl`] under the SHA-256 of `handle` (a fresh one when `None`), which is returned for the
/// caller to hand back.
pub async fn begin_registration<S>(
    store: &S,
    c: &Ceremony<'_>,
    now: Timestamp,
    user: &User,
    handle: Option<Secret>,
) -> Result<(Value, Secret), SigninError>
where
    S: FactorStore + OneTimeTokenStore + ?Sized,
{
    let rp = c.rp.ok_or(SigninError::WebAuthnUnavailable)?;
    let existing: Vec<Passkey> = passkeys(store, c.master, &user.id)
        .await?
        .into_iter()
        .map(|(_, p)| p)
        .collect();
    let name = user.full_name();
    let (options, ceremony) = rp
        .start_registration(&user.id, &user.login, &name, &existing)
        .map_err(|e| SigninError::Internal(e.to_string()))?;
    let handle = handle.unwrap_or_else(|| super::mint(c.random));
    let token = OneTimeToken {
        token_hash: handle.hash,
        kind: TokenKind::WebAuthnRegistration,
        user_id: user.id.clone(),
        created: now,
        expires_at: now + c.ttl,
        data: json!({ "state": ceremony }),
    };
    store.replace_one_time_token(&token).await?;
    Ok((options, handle))
}

/// Why a registration was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegistrationFailure {
    /// No registration waits under that handle (never started, expired, or already attempted).
    Expired,
    /// A field is not base64.
    Malformed(&'static str),
    /// The attestation does not verify.
    Refused,
    /// The user has this credential already.
    Duplicate,
}

/// Finishes the registration waiting under `key` for `user` (spent whatever the outcome): the new passkey.
pub async fn finish_registration<S>(
    store: &S,
    c: &Ceremony<'_>,
    now: Timestamp,
    user: &User,
    key: &[u8; 32],
    (attestation, client_data): (&str, &str),
) -> Result<Result<Passkey, RegistrationFailure>, SigninError>
where
    S: FactorStore + OneTimeTokenStore + ?Sized,
{
    let rp = c.rp.ok_or(SigninError::WebAuthnUnavailable)?;
    let token = store
        .consume_one_time_token(key, TokenKind::WebAuthnRegistration, now)
        .await?;
    let Some(token) = token.filter(|t| t.user_id == user.id) else {
        return Ok(Err(RegistrationFailure::Expired));
    };
    let passkey = match rp.finish_registration(&token.data["state"], attestation, client_data) {
        Ok(p) => p,
        Err(WebAuthnError::Malformed(field)) => {
            return Ok(Err(RegistrationFailure::Malformed(field)));
        }
        Err(e) => {
            tracing::info!(user = %user.id, error = %e, "WebAuthn registration refused");
            return Ok(Err(RegistrationFailure::Refused));
        }
    };
    if passkeys(store, c.master, &user.id)
        .await?
        .iter()
        .any(|(_, p)| p.cred_id() == passkey.cred_id())
    {
        return Ok(Err(RegistrationFailure::Duplicate));
    }
    Ok(Ok(passkey))
}

/// The WebAuthn factors a challenge covers: `scope` is a factor id, or `*` for all of the user's.
fn in_scope(all: Vec<(Factor, Passkey)>, scope: &str) -> Vec<(Factor, Passkey)> {
    all.into_iter()
        .filter(|(f, _)| scope == "*" || f.id == scope)
        .collect()
}

/// Starts an authentication with the user's passkeys in `scope` for the sign-in `presented` carries (replacing
/// any earlier challenge of that sign-in and scope): the request options (`publicKey`), or `None` when the scope
/// holds no passkey.
async fn challenge<S>(
    store: &S,
    c: &Ceremony<'_>,
    now: Timestamp,
    user: &User,
    presented: &str,
    scope: &str,
) -> Result<Option<Value>, SigninError>
where
    S: MfaStore + ?Sized,
{
    let rp = c.rp.ok_or(SigninError::WebAuthnUnavailable)?;
    let chosen = in_scope(passkeys(store, c.master, &user.id).await?, scope);
    if chosen.is_empty() {
        return Ok(None);
    }
    let keys: Vec<Passkey> = chosen.into_iter().map(|(_, p)| p).collect();
    let (options, ceremony) = rp
        .start_authentication(&keys)
        .map_err(|e| SigninError::Internal(e.to_string()))?;
    // Asking again replaces the previous challenge of this sign-in (concurrent asks: the last one wins).
    let token = OneTimeToken {
        token_hash: factors::assertion_key(presented, scope),
        kind: TokenKind::WebAuthnAuthentication,
        user_id: user.id.clone(),
        created: now,
        expires_at: now + c.ttl,
        data: json!({ "state": ceremony }),
    };
    store.replace_one_time_token(&token).await?;
    Ok(Some(options))
}

/// Why an assertion was not accepted.
enum AssertionFailure {
    /// No challenge waits for this sign-in (never asked, expired, or already answered).
    NoChallenge,
    /// The assertion does not verify, or names a credential outside the challenge.
    Refused,
}

/// Checks an assertion against the challenge waiting for the sign-in and `scope` (spent whatever the outcome).
/// `credential_id` (base64url) says which passkey answered; with a single-factor scope it may be omitted, as in
/// Okta's API. On success the passkey's counter and flags are saved.
async fn check<S>(
    store: &S,
    c: &Ceremony<'_>,
    now: Timestamp,
    user: &User,
    presented: &str,
    scope: &str,
    (credential_id, assertion): (Option<&str>, &Assertion<'_>),
) -> Result<Result<(), AssertionFailure>, SigninError>
where
    S: MfaStore + ?Sized,
{
    let rp = c.rp.ok_or(SigninError::WebAuthnUnavailable)?;
    let key = factors::assertion_key(presented, scope);
    let token = store
        .consume_one_time_token(&key, TokenKind::WebAuthnAuthentication, now)
        .await?;
    let Some(token) = token.filter(|t| t.user_id == user.id) else {
        return Ok(Err(AssertionFailure::NoChallenge));
    };
    let chosen = in_scope(passkeys(store, c.master, &user.id).await?, scope);
    let named = match credential_id.filter(|c| !c.is_empty()) {
        Some(text) => match decode_b64(text, "credentialId") {
            Ok(bytes) => Some(bytes),
            Err(_) => return Ok(Err(AssertionFailure::Refused)),
        },
        None => None,
    };
    let found = chosen.into_iter().find(|(_, p)| match &named {
        Some(id) => p.cred_id().as_slice() == id.as_slice(),
        None => scope != "*",
    });
    let Some((mut factor, mut passkey)) = found else {
        return Ok(Err(AssertionFailure::Refused));
    };
    let cred_id = passkey.cred_id().as_slice().to_vec();
    let result = match rp.finish_authentication(&token.data["state"], &cred_id, assertion) {
        Ok(r) => r,
        Err(e) => {
            tracing::info!(user = %user.id, factor = %factor.id, error = %e, "WebAuthn assertion refused");
            return Ok(Err(AssertionFailure::Refused));
        }
    };
    if passkey.update_credential(&result) == Some(true) {
        factors::set_passkey(&mut factor, &passkey, c.master, c.random, now)
            .map_err(|e| SigninError::Internal(e.to_string()))?;
        store.update_factor(&factor).await?;
    }
    Ok(Ok(()))
}

/// The WebAuthn MFA step `of` a state token carries, for one factor (`scope` = its id) or all of the user's
/// passkeys (`*`): without `answer`, a (new) challenge; with it — the credential id, when known, and the
/// assertion — the verification, which spends the challenge and, on success, the state token.
pub async fn webauthn<S>(
    store: &S,
    c: &Ceremony<'_>,
    at: &Attempt<'_>,
    of: &MfaOf,
    presented: &str,
    scope: &str,
    answer: Option<(Option<&str>, Assertion<'_>)>,
) -> Result<WebAuthnStep, SigninError>
where
    S: MfaStore + ?Sized,
{
    let now = at.now;
    let Some((token, user)) = state_token(store, presented, of.step(), now).await? else {
        return Ok(Mfa::InvalidState.into());
    };
    let mut challenged = None;
    if scope != "*" {
        let factor = store
            .factor(&user.id, scope)
            .await?
            .filter(|f| f.status == FactorStatus::Active);
        match factor {
            None => return Ok(Mfa::UnknownFactor.into()),
            // A TOTP factor asked without a passcode: a wrong code, as before.
            Some(f) if !is_active_webauthn(&f) => return Ok(Mfa::WrongCode.into()),
            Some(f) => challenged = Some(f),
        }
    }
    let Some((credential_id, assertion)) = answer else {
        return Ok(
            match challenge(store, c, now, &user, presented, scope).await? {
                Some(options) => WebAuthnStep::Challenge {
                    user: Box::new(user),
                    factor: challenged.map(Box::new),
                    options,
                    expires_at: now + c.ttl,
                },
                None => Mfa::UnknownFactor.into(),
            },
        );
    };
    // Failures are counted against the passkey asked for, or against all of the user's passkeys together.
    let counted_as = match scope {
        "*" => format!("webauthn:{}", user.id),
        id => id.to_owned(),
    };
    if let Some(wait) = mfa::factor_wait(store, &counted_as, now).await? {
        return Ok(Mfa::TooManyAttempts { wait }.into());
    }
    match check(
        store,
        c,
        now,
        &user,
        presented,
        scope,
        (credential_id, &assertion),
    )
    .await?
    {
        Ok(()) => {}
        Err(AssertionFailure::NoChallenge) => {
            return Ok(WebAuthnStep::Done(Answered {
                events: vec![Event::MfaFailed(Box::new(user))],
                outcome: Mfa::NoChallenge,
            }));
        }
        Err(AssertionFailure::Refused) => {
            let answered =
                mfa::wrong_answer(store, at, &user, &token.token_hash, &counted_as).await?;
            return Ok(WebAuthnStep::Done(answered));
        }
    }
    if mfa::right_answer(store, now, &token.token_hash, &counted_as, &user)
        .await?
        .is_none()
    {
        return Ok(Mfa::InvalidState.into());
    }
    Ok(WebAuthnStep::Done(Answered {
        events: vec![Event::signed_in(&user, true)],
        outcome: Mfa::Success(user),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::directory::accounts::tests::World;
    use crate::random::SystemRandom;
    use crate::signin::SigninPolicy;
    use crate::signin::after_password::MFA_STEP;
    use crate::signin::attempts::{self, Counted};
    use crate::signin::mfa::tests::{mfa_token, totp_factor};
    use crate::store::AttemptStore;
    use chrono::Duration;

    const FAKE: Assertion<'static> = Assertion {
        client_data: "e30",
        authenticator_data: "AAAA",
        signature: "AAAA",
        user_handle: None,
    };

    #[tokio::test]
    async fn answers_need_a_challenge_and_a_relying_party() {
        let w = World::new();
        let master = MasterKey::generate(&SystemRandom);
        let rp = RelyingParty::new("https://login.example.com", "Example").unwrap();
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let (totp, _) = totp_factor(&w, &master, &user).await;
        let token = mfa_token(&w, &user, json!({ "step": MFA_STEP })).await;
        let policy = SigninPolicy::default();
        let c = Ceremony {
            rp: Some(&rp),
            master: &master,
            random: &SystemRandom,
            ttl: Duration::minutes(5),
        };
        let at = Attempt {
            now: w.clock.now(),
            policy: &policy,
            source: None,
        };
        let of = MfaOf::SignIn;
        let done = |s: WebAuthnStep| match s {
            WebAuthnStep::Done(a) => a,
            WebAuthnStep::Challenge { .. } => panic!("an outcome expected"),
        };
        // A TOTP factor asked for a passkey's answer; no passkey to challenge.
        let totp_asked = webauthn(&w.store, &c, &at, &of, &token, &totp.id, None)
            .await
            .unwrap();
        assert_eq!(done(totp_asked).outcome, Mfa::WrongCode);
        let none = webauthn(&w.store, &c, &at, &of, &token, "*", None)
            .await
            .unwrap();
        assert_eq!(done(none).outcome, Mfa::UnknownFactor);
        // An answer with no challenge waiting: logged, not counted.
        let unasked = webauthn(&w.store, &c, &at, &of, &token, "*", Some((None, FAKE)))
            .await
            .unwrap();
        let unasked = done(unasked);
        assert_eq!(unasked.outcome, Mfa::NoChallenge);
        assert!(matches!(unasked.events.as_slice(), [Event::MfaFailed(_)]));
        let all = attempts::key(Counted::Factor, format!("webauthn:{}", user.id).as_bytes());
        assert!(w.store.failures(&all).await.unwrap().is_none());
        // No relying party: the step cannot be taken.
        let off = Ceremony { rp: None, ..c };
        let err = webauthn(&w.store, &off, &at, &of, &token, "*", Some((None, FAKE))).await;
        assert!(matches!(err, Err(SigninError::WebAuthnUnavailable)));
        let bad = webauthn(&w.store, &c, &at, &of, "nope", "*", None)
            .await
            .unwrap();
        assert_eq!(done(bad).outcome, Mfa::InvalidState);
    }

    #[tokio::test]
    async fn a_passkey_registered_once_answers_its_challenge_once_and_a_refused_answer_counts() {
        use lanyard_testkit::authenticator::SoftAuthenticator;
        let w = World::new();
        let master = MasterKey::generate(&SystemRandom);
        let rp = RelyingParty::new("http://localhost:8080", "Lanyard").unwrap();
        let mut authenticator = SoftAuthenticator::new("localhost", "http://localhost:8080");
        let user = w.user(Some("Correct-Horse-9"), true).await;
        let reg = Ceremony {
            rp: Some(&rp),
            master: &master,
            random: &SystemRandom,
            ttl: Duration::minutes(5),
        };
        let now = w.clock.now();
        let (options, handle) = begin_registration(&w.store, &reg, now, &user, None)
            .await
            .unwrap();
        let (attestation, client_data) =
            authenticator.register(options["challenge"].as_str().unwrap());
        let answer = (attestation.as_str(), client_data.as_str());
        let passkey = finish_registration(&w.store, &reg, now, &user, &handle.hash, answer)
            .await
            .unwrap()
            .unwrap();
        let spent = finish_registration(&w.store, &reg, now, &user, &handle.hash, answer)
            .await
            .unwrap();
        assert_eq!(spent.err(), Some(RegistrationFailure::Expired), "once");
        let factor = add(
            &w.store,
            &master,
            &SystemRandom,
            w.clock.now(),
            &user.id,
            &passkey,
        )
        .await
        .unwrap();
        assert!(is_active_webauthn(&factor));
        assert_eq!(
            passkeys(&w.store, &master, &user.id).await.unwrap().len(),
            1
        );

        let token = mfa_token(&w, &user, json!({ "step": MFA_STEP })).await;
        let policy = SigninPolicy::default();
        let c = Ceremony {
            rp: Some(&rp),
            master: &master,
            random: &SystemRandom,
            ttl: Duration::minutes(5),
        };
        let at = Attempt {
            now: w.clock.now(),
            policy: &policy,
            source: None,
        };
        let of = MfaOf::SignIn;
        let challenge = |s: WebAuthnStep| match s {
            WebAuthnStep::Challenge { options, .. } => {
                options["challenge"].as_str().unwrap().to_owned()
            }
            WebAuthnStep::Done(a) => panic!("a challenge expected: {a:?}"),
        };
        let cred = authenticator.credential_id();
        // A tampered answer: refused, counted against all of the user's passkeys, the challenge spent.
        let asked = challenge(
            webauthn(&w.store, &c, &at, &of, &token, "*", None)
                .await
                .unwrap(),
        );
        let signed = authenticator.sign(&asked);
        let mut bad = signed.signature.clone();
        bad.replace_range(10..12, if &bad[10..12] == "AA" { "BB" } else { "AA" });
        let tampered = Assertion {
            client_data: &signed.client_data,
            authenticator_data: &signed.authenticator_data,
            signature: &bad,
            user_handle: None,
        };
        let WebAuthnStep::Done(refused) = webauthn(
            &w.store,
            &c,
            &at,
            &of,
            &token,
            "*",
            Some((Some(&cred), tampered)),
        )
        .await
        .unwrap() else {
            panic!("an outcome expected");
        };
        assert_eq!(refused.outcome, Mfa::WrongCode);
        assert!(matches!(refused.events.as_slice(), [Event::MfaFailed(_)]));
        let all = attempts::key(Counted::Factor, format!("webauthn:{}", user.id).as_bytes());
        assert_eq!(
            w.store.failures(&all).await.unwrap().map(|f| f.count),
            Some(1)
        );
        // A right answer to a new challenge: signed in, the failures forgotten, the token spent.
        let asked = challenge(
            webauthn(&w.store, &c, &at, &of, &token, "*", None)
                .await
                .unwrap(),
        );
        let signed = authenticator.sign(&asked);
        let right = Assertion {
            client_data: &signed.client_data,
            authenticator_data: &signed.authenticator_data,
            signature: &signed.signature,
            user_handle: None,
        };
        let WebAuthnStep::Done(ok) = webauthn(
            &w.store,
            &c,
            &at,
            &of,
            &token,
            "*",
            Some((Some(&cred), right)),
        )
        .await
        .unwrap() else {
            panic!("an outcome expected");
        };
        assert!(matches!(ok.outcome, Mfa::Success(ref u) if u.id == user.id));
        assert!(w.store.failures(&all).await.unwrap().is_none());
        let again = webauthn(&w.store, &c, &at, &of, &token, "*", None)
            .await
            .unwrap();
        assert!(matches!(
            again,
            WebAuthnStep::Done(Answered {
                outcome: Mfa::InvalidState,
                ..
            })
        ));
    }
}
