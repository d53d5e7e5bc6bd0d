//! Cryptography: signing keys and JWKs, compact JWS, the master key that encrypts private keys at rest, and the
//! SHA-256 hashing of opaque secrets. All of it is aws-lc-rs.

pub mod jwk;
pub mod jws;
pub mod master_key;
pub mod signing;
pub mod verify;

pub use jwk::{Jwk, Jwks};
pub use master_key::MasterKey;
pub use signing::{SigningAlg, SigningKey};

/// Failures of the cryptographic layer. Deliberately vague: the detail never helps an attacker or a user.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("key generation failed")]
    Generate,
    #[error("the key material is invalid: {0}")]
    InvalidKey(&'static str),
    #[error("signing failed")]
    Sign,
    #[error("decryption failed: wrong master key or corrupted data")]
    Decrypt,
    #[error("encryption failed")]
    Encrypt,
}

/// SHA-256 of `data`.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, data);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Constant-time equality for secrets of equal length.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && aws_lc_rs::constant_time::verify_slices_are_equal(a, b).is_ok()
}
