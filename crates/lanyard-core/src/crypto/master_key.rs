//! The master key: 256 bits that encrypt private signing keys at rest with AES-256-GCM.

use std::fmt;

use aws_lc_rs::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};

use super::CryptoError;
use crate::random::{Random, b64url};

/// The master key. `Debug` prints nothing of it.
pub struct MasterKey([u8; 32]);

impl fmt::Debug for MasterKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("MasterKey(..)")
    }
}

impl Drop for MasterKey {
    fn drop(&mut self) {
        for b in self.0.iter_mut() {
            unsafe { std::ptr::write_volatile(b, 0) };
        }
    }
}

impl MasterKey {
    pub fn generate(random: &dyn Random) -> Self {
        let mut k = [0u8; 32];
        random.fill(&mut k);
        MasterKey(k)
    }

    /// Parses 32 bytes written as base64 or base64url (padding optional), as in `LANYARD_MASTER_KEY`.
    pub fn parse(text: &str) -> Result<Self, CryptoError> {
        let text = text.trim();
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .or_else(|_| STANDARD.decode(text))
            .map_err(|_| CryptoError::InvalidKey("the master key is not base64"))?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| CryptoError::InvalidKey("the master key must be 32 bytes (256 bits)"))?;
        Ok(MasterKey(key))
    }

    /// The base64url text form, as written to the master key file.
    pub fn encode(&self) -> String {
        b64url(&self.0)
    }

    fn aead(&self) -> LessSafeKey {
        LessSafeKey::new(
            UnboundKey::new(&AES_256_GCM, &self.0).expect("a 32-byte AES-256 key is always valid"),
        )
    }

    /// `nonce || ciphertext || tag`. `aad` binds the ciphertext to its context (the key id).
    pub fn encrypt(
        &self,
        aad: &[u8],
        plaintext: &[u8],
        random: &dyn Random,
    ) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        random.fill(&mut nonce);
        let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + 16);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(plaintext);
        let mut body = out.split_off(NONCE_LEN);
        self.aead()
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(aad),
                &mut body,
            )
            .map_err(|_| CryptoError::Encrypt)?;
        out.extend_from_slice(&body);
        Ok(out)
    }

    pub fn decrypt(&self, aad: &[u8], sealed: &[u8]) -> Result<Vec<u8>, CryptoError> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Decrypt)?;
        let mut body = body.to_vec();
        let plain = self
            .aead()
            .open_in_place(nonce, Aad::from(aad), &mut body)
            .map_err(|_| CryptoError::Decrypt)?;
        Ok(plain.to_vec())
    }

    /// A key derived for one purpose (HMAC-SHA256 of `label`), so that no other use ever sees the master key.
    pub fn derive(&self, label: &str) -> [u8; 32] {
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &self.0);
        let mut out = [0u8; 32];
        out.copy_from_slice(aws_lc_rs::hmac::sign(&key, label.as_bytes()).as_ref());
        out
    }

    /// A value stored in the database that tells whether a node holds the same master key as the one that
    /// wrote it, without revealing the key: HMAC-SHA256 of a fixed label.
    pub fn check_value(&self) -> String {
        let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, &self.0);
        b64url(aws_lc_rs::hmac::sign(&key, b"lanyard master key check v1").as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::SystemRandom;

    #[test]
    fn sealed_data_opens_only_with_the_same_key_and_context() {
        let key = MasterKey::generate(&SystemRandom);
        let sealed = key
            .encrypt(b"kid-1", b"secret bytes", &SystemRandom)
            .unwrap();
        assert_eq!(key.decrypt(b"kid-1", &sealed).unwrap(), b"secret bytes");
        assert_eq!(key.decrypt(b"kid-2", &sealed), Err(CryptoError::Decrypt));
        let other = MasterKey::generate(&SystemRandom);
        assert_eq!(other.decrypt(b"kid-1", &sealed), Err(CryptoError::Decrypt));
        assert!(!sealed.windows(12).any(|w| w == b"secret bytes"));
    }

    #[test]
    fn parses_its_own_encoding_and_standard_base64() {
        let key = MasterKey::generate(&SystemRandom);
        assert_eq!(
            MasterKey::parse(&key.encode()).unwrap().check_value(),
            key.check_value()
        );
        let std = STANDARD.encode(key.0);
        assert_eq!(
            MasterKey::parse(&std).unwrap().check_value(),
            key.check_value()
        );
        assert!(MasterKey::parse("c2hvcnQ").is_err());
        assert_eq!(format!("{key:?}"), "MasterKey(..)");
    }
}
