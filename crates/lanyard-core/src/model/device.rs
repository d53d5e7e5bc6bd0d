//! Device authorization (RFC 8628): a device code the client polls with and a user code the user types at
//! `/activate`, both stored by their SHA-256 only. A code is PENDING until the user approves or denies it, and an
//! approved code is REDEEMED by the one poll that gets its tokens. [`DeviceCode::poll`] is the one definition of
//! what a poll does to a code; every store applies it atomically.

use std::fmt;

use chrono::Duration;

use crate::clock::Timestamp;

/// How much a client polling too fast must add to its interval (RFC 8628 §3.5).
pub const SLOW_DOWN_STEP: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceCodeStatus {
    Pending,
    Approved,
    Denied,
    /// Approved, and its tokens issued.
    Redeemed,
}

impl DeviceCodeStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            DeviceCodeStatus::Pending => "PENDING",
            DeviceCodeStatus::Approved => "APPROVED",
            DeviceCodeStatus::Denied => "DENIED",
            DeviceCodeStatus::Redeemed => "REDEEMED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "PENDING" => DeviceCodeStatus::Pending,
            "APPROVED" => DeviceCodeStatus::Approved,
            "DENIED" => DeviceCodeStatus::Denied,
            "REDEEMED" => DeviceCodeStatus::Redeemed,
            _ => return None,
        })
    }
}

/// Who approved a device code, and how they had signed in (what the ID token reports).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceApproval {
    pub user_id: String,
    pub session_id: Option<String>,
    pub auth_time: Timestamp,
    pub amr: Vec<String>,
    pub decided_at: Timestamp,
}

/// A device authorization request.
#[derive(Clone, PartialEq, Eq)]
pub struct DeviceCode {
    /// SHA-256 of the device code.
    pub hash: [u8; 32],
    /// SHA-256 of the normalised user code (eight letters, upper case, no dash).
    pub user_code_hash: [u8; 32],
    /// The grant its tokens will belong to: a second redemption revokes it.
    pub grant_id: String,
    pub auth_server_id: String,
    pub client_id: String,
    pub scopes: Vec<String>,
    pub status: DeviceCodeStatus,
    /// Seconds the client must wait between polls; grows with every `slow_down`.
    pub interval: i64,
    pub last_polled: Option<Timestamp>,
    /// Set when approved.
    pub approval: Option<DeviceApproval>,
    pub created: Timestamp,
    pub expires_at: Timestamp,
}

impl fmt::Debug for DeviceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCode")
            .field("grant_id", &self.grant_id)
            .field("client_id", &self.client_id)
            .field("status", &self.status)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

/// What one poll of the token endpoint found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DevicePoll {
    /// No such code, or another client's or another server's (left untouched).
    Invalid,
    /// The code expired before its tokens were issued.
    Expired,
    /// The user has not decided yet.
    Pending,
    /// Polled sooner than the interval allows; the interval is now this many seconds.
    SlowDown { interval: i64 },
    /// The user denied the request.
    Denied,
    /// Approved: the code is now redeemed, and this poll issues its tokens.
    Approved(DeviceCode),
    /// Redeemed before: whatever it produced must be revoked.
    Replayed(DeviceCode),
}

impl DeviceCode {
    pub fn live(&self, now: Timestamp) -> bool {
        self.expires_at > now
    }

    /// What a poll by `client_id` at server `auth_server_id` at `now` answers, and the code as it must be stored
    /// afterwards (`None`: unchanged). A store applies this under a lock on the row, so that of two concurrent
    /// polls of an approved code exactly one is `Approved`.
    pub fn poll(
        &self,
        client_id: &str,
        auth_server_id: &str,
        now: Timestamp,
    ) -> (DevicePoll, Option<DeviceCode>) {
        if self.client_id != client_id || self.auth_server_id != auth_server_id {
            return (DevicePoll::Invalid, None);
        }
        if self.status == DeviceCodeStatus::Redeemed {
            return (DevicePoll::Replayed(self.clone()), None);
        }
        if !self.live(now) {
            return (DevicePoll::Expired, None);
        }
        match self.status {
            DeviceCodeStatus::Denied => (DevicePoll::Denied, None),
            DeviceCodeStatus::Approved => {
                let next = DeviceCode {
                    status: DeviceCodeStatus::Redeemed,
                    last_polled: Some(now),
                    ..self.clone()
                };
                (DevicePoll::Approved(next.clone()), Some(next))
            }
            _ => {
                let too_soon = self
                    .last_polled
                    .is_some_and(|t| now - t < Duration::seconds(self.interval));
                let interval = if too_soon {
                    self.interval + SLOW_DOWN_STEP
                } else {
                    self.interval
                };
                let next = DeviceCode {
                    interval,
                    last_polled: Some(now),
                    ..self.clone()
                };
                let answer = if too_soon {
                    DevicePoll::SlowDown { interval }
                } else {
                    DevicePoll::Pending
                };
                (answer, Some(next))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::from_millis;

    fn at(s: i64) -> Timestamp {
        from_millis(1_700_000_000_000 + s * 1000)
    }

    fn code() -> DeviceCode {
        DeviceCode {
            hash: [1; 32],
            user_code_hash: [2; 32],
            grant_id: "oag1".into(),
            auth_server_id: "default".into(),
            client_id: "c1".into(),
            scopes: vec!["openid".into()],
            status: DeviceCodeStatus::Pending,
            interval: 5,
            last_polled: None,
            approval: None,
            created: at(0),
            expires_at: at(600),
        }
    }

    #[test]
    fn polling_too_fast_slows_the_client_down_by_five_seconds() {
        let c = code();
        let (p, next) = c.poll("c1", "default", at(1));
        assert_eq!(p, DevicePoll::Pending);
        let c = next.unwrap();
        let (p, next) = c.poll("c1", "default", at(3));
        assert_eq!(p, DevicePoll::SlowDown { interval: 10 });
        let c = next.unwrap();
        // Ten seconds now, counted from the last poll.
        assert_eq!(
            c.poll("c1", "default", at(12)).0,
            DevicePoll::SlowDown { interval: 15 }
        );
        assert_eq!(c.poll("c1", "default", at(13)).0, DevicePoll::Pending);
    }

    #[test]
    fn approved_codes_redeem_once_and_others_are_refused_untouched() {
        let mut c = code();
        assert_eq!(c.poll("c2", "default", at(1)), (DevicePoll::Invalid, None));
        assert_eq!(c.poll("c1", "other", at(1)), (DevicePoll::Invalid, None));
        c.status = DeviceCodeStatus::Denied;
        assert_eq!(c.poll("c1", "default", at(1)), (DevicePoll::Denied, None));
        c.status = DeviceCodeStatus::Approved;
        let (p, next) = c.poll("c1", "default", at(1));
        let next = next.unwrap();
        assert_eq!(next.status, DeviceCodeStatus::Redeemed);
        assert_eq!(p, DevicePoll::Approved(next.clone()));
        assert!(matches!(
            next.poll("c1", "default", at(2)),
            (DevicePoll::Replayed(_), None)
        ));
        assert_eq!(
            code().poll("c1", "default", at(600)),
            (DevicePoll::Expired, None)
        );
    }
}
