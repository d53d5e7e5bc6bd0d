//! How many guesses a sign-in gets, and from whom: the rules that stop brute force without handing an attacker a
//! way to lock anyone out or to learn who has an account. The counts live in the database (`AttemptStore`), so
//! every node applies the same ones; this module decides what they mean.
//!
//! - **Second factors.** A state token (one sign-in's MFA step, or a session's step-up) accepts
//!   [`STATE_ATTEMPTS`] wrong answers, then ends: the next try needs the password again. Each wrong answer also
//!   counts against the factor ([`factor_wait`]: after [`FACTOR_FREE_FAILURES`] in a row, each further try waits
//!   longer, up to an hour) and toward the user's lockout, like a wrong password.
//! - **Known devices.** A browser that completed a sign-in gets a device cookie, remembered for the user
//!   ([`DEVICE_MEMORY`]). An account locked by failures stays locked for everyone else, but not for its own known
//!   devices (as Okta's "unknown devices" lockout): whoever hammers an account from elsewhere cannot lock its owner
//!   out of their usual browser.
//! - **Sources.** Failed sign-ins are counted per client address (IPv6 by /64, [`source_key`]); after
//!   [`SOURCE_FREE_FAILURES`], each further attempt from there waits twice as long as the last, up to
//!   [`SOURCE_MAX_WAIT`] ([`source_wait`]), and the count is forgotten after [`SOURCE_MEMORY`] without a failure.
//! - **Unknown users.** Usernames without an account are counted like accounts (by the hash of the lower-cased
//!   login, [`login_key`]) and "locked" at the same threshold for the same time ([`login_locked`]), so the answer
//!   after N failures — `LOCKED_OUT` or not — tells nothing about whether the account exists. A user's failures,
//!   and an unknown login's, are forgotten after [`FAILURE_MEMORY`] without a failure, alike.

use std::net::IpAddr;

use chrono::Duration;

use crate::clock::Timestamp;
use crate::crypto::sha256;

/// Wrong answers one state token takes before it ends.
pub const STATE_ATTEMPTS: u32 = 5;
/// Consecutive wrong answers to a factor before further tries must wait: as many as one state token takes, so
/// the waits begin with the next sign-in's (the password asked again).
pub const FACTOR_FREE_FAILURES: u32 = STATE_ATTEMPTS;
/// The longest a factor makes its user wait.
pub const FACTOR_MAX_WAIT: Duration = Duration::hours(1);
/// Failed sign-ins from one source before further attempts from it must wait.
pub const SOURCE_FREE_FAILURES: u32 = 5;
/// The longest a source waits between attempts.
pub const SOURCE_MAX_WAIT: Duration = Duration::minutes(15);
/// A source's failures are forgotten after this long without one.
pub const SOURCE_MEMORY: Duration = Duration::minutes(15);
/// A user's (or an unknown login's) consecutive failures are forgotten after this long without one.
pub const FAILURE_MEMORY: Duration = Duration::hours(24);
/// How long a device stays known after its last sign-in.
pub const DEVICE_MEMORY: Duration = Duration::days(180);
/// The device cookie's name.
pub const DEVICE_COOKIE: &str = "lanyard_device";

/// Twice as long for each failure past `free`, from one second, at most `max`: how long after the last failure
/// the next attempt must wait. `None`: no wait.
fn doubling_wait(failures: u32, free: u32, max: Duration) -> Option<Duration> {
    let over = failures.checked_sub(free)?;
    if over == 0 {
        return None;
    }
    let seconds = 1i64
        .checked_shl(over - 1)
        .filter(|s| *s > 0)
        .unwrap_or(i64::MAX);
    Some(Duration::seconds(seconds.min(max.num_seconds())))
}

/// How long from `now` a factor that failed `failures` times in a row (the last at `last`) makes its user wait.
pub fn factor_wait(failures: u32, last: Timestamp, now: Timestamp) -> Option<Duration> {
    let wait = doubling_wait(failures, FACTOR_FREE_FAILURES, FACTOR_MAX_WAIT)? * 60;
    let wait = wait.min(FACTOR_MAX_WAIT);
    let left = last + wait - now;
    (left > Duration::zero()).then_some(left)
}

/// How long from `now` a source whose recent failures number `failures` (the last at `last`) must wait.
pub fn source_wait(failures: u32, last: Timestamp, now: Timestamp) -> Option<Duration> {
    if now - last >= SOURCE_MEMORY {
        return None;
    }
    let wait = doubling_wait(failures, SOURCE_FREE_FAILURES, SOURCE_MAX_WAIT)?;
    let left = last + wait - now;
    (left > Duration::zero()).then_some(left)
}

/// Whether an unknown login whose failures number `failures` (the last at `last`) answers as a locked account
/// would: the same threshold and the same duration as a user's lockout (`lock` `None`: until unlocked, which for a
/// login nobody can do — it ends when the failures are forgotten).
pub fn login_locked(
    failures: u32,
    last: Timestamp,
    threshold: u32,
    lock: Option<Duration>,
    now: Timestamp,
) -> bool {
    threshold > 0
        && failures >= threshold
        && now - last < lock.unwrap_or(FAILURE_MEMORY).min(FAILURE_MEMORY)
}

/// A wait in whole seconds, rounded up (`Retry-After`, and what a page says): never less than one.
pub fn wait_seconds(wait: Duration) -> i64 {
    ((wait.num_milliseconds() + 999) / 1000).max(1)
}

/// What a count of failures is kept for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counted {
    /// A client address ([`source_key`]).
    Source,
    /// A login that has no account ([`login_key`]).
    UnknownLogin,
    /// A factor (its id).
    Factor,
}

/// The key failures of `kind` for `what` are counted under in the `AttemptStore`.
pub fn key(kind: Counted, what: &[u8]) -> [u8; 32] {
    let tag: &[u8] = match kind {
        Counted::Source => b"source\0",
        Counted::UnknownLogin => b"login\0",
        Counted::Factor => b"factor\0",
    };
    sha256(&[tag, what].concat())
}

/// The key a device of a user is remembered under: neither the cookie nor its hash is stored alone.
pub fn device_key(user_id: &str, device: &[u8; 32]) -> [u8; 32] {
    sha256(&[user_id.as_bytes(), b"\0", device].concat())
}

/// The key a client address is counted under: an IPv4 address, or the /64 an IPv6 address is in (one host holds a
/// whole /64), hashed.
pub fn source_key(ip: IpAddr) -> [u8; 32] {
    match ip {
        IpAddr::V4(v4) => sha256(&v4.octets()),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => sha256(&v4.octets()),
            None => sha256(&v6.octets()[..8]),
        },
    }
}

/// The key a login is counted under: its SHA-256, lower-cased (logins are unique whatever their case).
pub fn login_key(login: &str) -> [u8; 32] {
    sha256(login.trim().to_lowercase().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::from_millis;

    fn t(seconds: i64) -> Timestamp {
        from_millis(1_700_000_000_000 + seconds * 1000)
    }

    #[test]
    fn a_factor_makes_its_user_wait_longer_after_each_failure_past_the_free_ones() {
        assert_eq!(factor_wait(0, t(0), t(0)), None);
        assert_eq!(factor_wait(FACTOR_FREE_FAILURES, t(0), t(0)), None);
        // One past: a minute; two: two minutes; then doubling, at most an hour.
        assert_eq!(
            factor_wait(FACTOR_FREE_FAILURES + 1, t(0), t(0)),
            Some(Duration::minutes(1))
        );
        assert_eq!(
            factor_wait(FACTOR_FREE_FAILURES + 2, t(0), t(30)),
            Some(Duration::seconds(90))
        );
        assert_eq!(factor_wait(FACTOR_FREE_FAILURES + 2, t(0), t(120)), None);
        assert_eq!(
            factor_wait(FACTOR_FREE_FAILURES + 40, t(0), t(0)),
            Some(FACTOR_MAX_WAIT)
        );
        assert_eq!(factor_wait(u32::MAX, t(0), t(0)), Some(FACTOR_MAX_WAIT));
    }

    #[test]
    fn a_source_waits_twice_as_long_each_time_and_is_forgotten_after_a_quiet_spell() {
        assert_eq!(source_wait(SOURCE_FREE_FAILURES, t(0), t(0)), None);
        assert_eq!(
            source_wait(SOURCE_FREE_FAILURES + 1, t(0), t(0)),
            Some(Duration::seconds(1))
        );
        assert_eq!(
            source_wait(SOURCE_FREE_FAILURES + 4, t(0), t(3)),
            Some(Duration::seconds(5))
        );
        assert_eq!(
            source_wait(SOURCE_FREE_FAILURES + 30, t(0), t(0)),
            Some(SOURCE_MAX_WAIT)
        );
        assert_eq!(source_wait(SOURCE_FREE_FAILURES + 30, t(0), t(900)), None);
    }

    #[test]
    fn unknown_logins_lock_like_accounts() {
        let hour = Some(Duration::hours(1));
        assert!(!login_locked(9, t(0), 10, hour, t(0)));
        assert!(login_locked(10, t(0), 10, hour, t(0)));
        assert!(login_locked(10, t(0), 10, hour, t(3599)));
        assert!(
            !login_locked(10, t(0), 10, hour, t(3600)),
            "unlocks with the same duration"
        );
        assert!(
            !login_locked(50, t(0), 0, hour, t(0)),
            "no lockout, no lock"
        );
        assert!(login_locked(10, t(0), 10, None, t(3600)));
        assert!(!login_locked(10, t(0), 10, None, t(86_400)));
    }

    #[test]
    fn sources_and_logins_are_keyed_as_they_should_be() {
        let a: IpAddr = "2001:db8:1:2:3:4:5:6".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:ffff::1".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(source_key(a), source_key(b), "one /64");
        assert_ne!(source_key(a), source_key(c));
        let v4: IpAddr = "192.0.2.1".parse().unwrap();
        let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
        assert_eq!(source_key(v4), source_key(mapped));
        assert_eq!(login_key(" Ada@Example.com"), login_key("ada@example.com"));
    }

    #[test]
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(wait_seconds(Duration::milliseconds(1999)), 2);
        assert_eq!(wait_seconds(Duration::milliseconds(2000)), 2);
        assert_eq!(wait_seconds(Duration::milliseconds(1)), 1);
        assert_eq!(wait_seconds(Duration::zero()), 1);
    }
}
