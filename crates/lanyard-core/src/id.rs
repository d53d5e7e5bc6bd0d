//! Okta-style object ids: a three-character type prefix, then a time part and a random part, 20 characters in
//! all (`00u1a2b3c4d5e6f7g8h9`). The time part makes ids sort roughly by creation, which keeps cursor
//! pagination in creation order.

use crate::clock::Timestamp;
use crate::random::Random;

const ALPHABET: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Prefixes as Okta uses them.
pub mod prefix {
    pub const USER: &str = "00u";
    pub const GROUP: &str = "00g";
    pub const APP: &str = "0oa";
    pub const AUTH_SERVER: &str = "aus";
    pub const POLICY: &str = "00p";
    pub const RULE: &str = "0pr";
    pub const API_TOKEN: &str = "00T";
    pub const ORG: &str = "00o";
    pub const SCOPE: &str = "scp";
    pub const CLAIM: &str = "ocl";
    pub const CLIENT_SECRET: &str = "ocs";
    pub const GRANT: &str = "oag";
    pub const TRUSTED_ORIGIN: &str = "tos";
}

/// A new id with the given three-character prefix.
pub fn new_id(prefix: &str, now: Timestamp, random: &dyn Random) -> String {
    let mut out = String::with_capacity(20);
    out.push_str(prefix);
    // 8 base62 digits of milliseconds cover ~6,900 years.
    let mut ms = now.timestamp_millis().max(0) as u64;
    let mut time = [b'0'; 8];
    for slot in time.iter_mut().rev() {
        *slot = ALPHABET[(ms % 62) as usize];
        ms /= 62;
    }
    out.extend(time.iter().map(|&b| b as char));
    let want = 20 - out.len();
    random_base62_into(&mut out, want, random);
    out
}

/// `len` uniformly random base62 characters appended to `out` (rejection sampling, no modulo bias).
pub fn random_base62_into(out: &mut String, len: usize, random: &dyn Random) {
    let mut buf = [0u8; 32];
    let mut pushed = 0;
    while pushed < len {
        random.fill(&mut buf);
        for &b in &buf {
            // 248 = 62 * 4: values at or above it would bias the result.
            if b < 248 && pushed < len {
                out.push(ALPHABET[(b % 62) as usize] as char);
                pushed += 1;
            }
        }
    }
}

/// A stable id derived from `seed`, for objects that every node of a cluster creates at first start and that must
/// come out identical (the default policy, its rule) so concurrent starts insert the same row.
pub fn derived_id(prefix: &str, seed: &str) -> String {
    let digest = crate::crypto::sha256(seed.as_bytes());
    let mut out = String::with_capacity(20);
    out.push_str(prefix);
    out.extend(
        digest
            .iter()
            .filter(|&&b| b < 248)
            .take(20 - prefix.len())
            .map(|&b| ALPHABET[(b % 62) as usize] as char),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SystemRandom;
    use chrono::{Duration, Utc};

    #[test]
    fn ids_are_twenty_chars_and_sort_by_time() {
        let t = Utc::now();
        let a = new_id(prefix::USER, t, &SystemRandom);
        let b = new_id(prefix::USER, t + Duration::milliseconds(1), &SystemRandom);
        assert_eq!(a.len(), 20);
        assert!(a.starts_with("00u"));
        assert!(a.bytes().all(|c| c.is_ascii_alphanumeric()));
        assert!(a < b, "{a} should sort before {b}");
    }

    #[test]
    fn derived_ids_are_stable_and_distinct() {
        assert_eq!(
            derived_id(prefix::POLICY, "x"),
            derived_id(prefix::POLICY, "x")
        );
        assert_ne!(
            derived_id(prefix::POLICY, "x"),
            derived_id(prefix::POLICY, "y")
        );
        assert_eq!(derived_id(prefix::POLICY, "x").len(), 20);
    }
}
