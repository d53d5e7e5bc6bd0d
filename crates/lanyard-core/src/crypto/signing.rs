//! Signing keys: RSA-2048 for RS256 (the default), P-256 for ES256, Ed25519 for EdDSA.

use std::fmt;
use std::str::FromStr;

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::signature::{
    ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _, RSA_PKCS1_SHA256,
};
use serde::{Deserialize, Serialize};

use super::CryptoError;
use super::jwk::Jwk;
use crate::random::b64url;

/// The JWS algorithms Lanyard signs with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum SigningAlg {
    RS256,
    ES256,
    EdDSA,
}

impl SigningAlg {
    pub const ALL: [SigningAlg; 3] = [SigningAlg::RS256, SigningAlg::ES256, SigningAlg::EdDSA];

    pub fn as_str(self) -> &'static str {
        match self {
            SigningAlg::RS256 => "RS256",
            SigningAlg::ES256 => "ES256",
            SigningAlg::EdDSA => "EdDSA",
        }
    }
}

impl fmt::Display for SigningAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for SigningAlg {
    type Err = CryptoError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "RS256" => Ok(SigningAlg::RS256),
            "ES256" => Ok(SigningAlg::ES256),
            "EdDSA" => Ok(SigningAlg::EdDSA),
            _ => Err(CryptoError::InvalidKey("unsupported algorithm")),
        }
    }
}

enum Pair {
    Rsa(aws_lc_rs::rsa::KeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A private signing key with its public JWK. `Debug` shows the `kid` and algorithm only.
pub struct SigningKey {
    alg: SigningAlg,
    pair: Pair,
    jwk: Jwk,
}

impl fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.jwk.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// PKCS#8 DER of a private key. Zeroed on drop; `Debug` prints nothing of it.
pub struct Pkcs8(Vec<u8>);

impl Pkcs8 {
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }
}

impl Drop for Pkcs8 {
    fn drop(&mut self) {
        for b in self.0.iter_mut() {
            // Volatile so the zeroing is not optimised away.
            unsafe { std::ptr::write_volatile(b, 0) };
        }
    }
}

impl fmt::Debug for Pkcs8 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pkcs8(..)")
    }
}

impl SigningKey {
    /// A fresh key. RSA generation takes ~150 ms: call it off the async executor.
    pub fn generate(alg: SigningAlg) -> Result<Self, CryptoError> {
        let pair = match alg {
            SigningAlg::RS256 => Pair::Rsa(
                aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)
                    .map_err(|_| CryptoError::Generate)?,
            ),
            SigningAlg::ES256 => Pair::Ec(
                EcdsaKeyPair::generate(&ECDSA_P256_SHA256_FIXED_SIGNING)
                    .map_err(|_| CryptoError::Generate)?,
            ),
            SigningAlg::EdDSA => {
                Pair::Ed(Ed25519KeyPair::generate().map_err(|_| CryptoError::Generate)?)
            }
        };
        Ok(Self::from_pair(alg, pair))
    }

    /// A key from its PKCS#8 DER encoding.
    pub fn from_pkcs8(alg: SigningAlg, der: &[u8]) -> Result<Self, CryptoError> {
        let pair = match alg {
            SigningAlg::RS256 => Pair::Rsa(
                aws_lc_rs::rsa::KeyPair::from_pkcs8(der)
                    .map_err(|_| CryptoError::InvalidKey("not an RSA key"))?,
            ),
            SigningAlg::ES256 => Pair::Ec(
                EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, der)
                    .map_err(|_| CryptoError::InvalidKey("not a P-256 key"))?,
            ),
            SigningAlg::EdDSA => Pair::Ed(
                Ed25519KeyPair::from_pkcs8(der)
                    .map_err(|_| CryptoError::InvalidKey("not an Ed25519 key"))?,
            ),
        };
        Ok(Self::from_pair(alg, pair))
    }

    fn from_pair(alg: SigningAlg, pair: Pair) -> Self {
        let mut jwk = match &pair {
            Pair::Rsa(k) => {
                let public = k.public_key();
                Jwk::rsa(
                    b64url(public.modulus().big_endian_without_leading_zero()),
                    b64url(public.exponent().big_endian_without_leading_zero()),
                )
            }
            Pair::Ec(k) => {
                // Uncompressed SEC1 point: 0x04 || x || y.
                let point = k.public_key().as_ref();
                Jwk::ec_p256(b64url(&point[1..33]), b64url(&point[33..65]))
            }
            Pair::Ed(k) => Jwk::ed25519(b64url(k.public_key().as_ref())),
        };
        jwk.alg = Some(alg.as_str().to_owned());
        jwk.use_ = Some("sig".to_owned());
        jwk.kid = Some(jwk.thumbprint());
        Self { alg, pair, jwk }
    }

    /// The private key as PKCS#8 DER, for encryption at rest.
    pub fn to_pkcs8(&self) -> Result<Pkcs8, CryptoError> {
        let der = match &self.pair {
            Pair::Rsa(k) => k
                .as_der()
                .map_err(|_| CryptoError::Encrypt)?
                .as_ref()
                .to_vec(),
            Pair::Ec(k) => k
                .to_pkcs8v1()
                .map_err(|_| CryptoError::Encrypt)?
                .as_ref()
                .to_vec(),
            Pair::Ed(k) => k
                .to_pkcs8v1()
                .map_err(|_| CryptoError::Encrypt)?
                .as_ref()
                .to_vec(),
        };
        Ok(Pkcs8(der))
    }

    pub fn alg(&self) -> SigningAlg {
        self.alg
    }

    /// The key id: the RFC 7638 thumbprint of the public key.
    pub fn kid(&self) -> &str {
        self.jwk.kid.as_deref().unwrap_or_default()
    }

    /// The public key as a JWK with `kid`, `alg` and `use`.
    pub fn public_jwk(&self) -> &Jwk {
        &self.jwk
    }

    /// A JWS signature over `message`.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, CryptoError> {
        match &self.pair {
            Pair::Rsa(k) => {
                let mut sig = vec![0u8; k.public_modulus_len()];
                k.sign(
                    &RSA_PKCS1_SHA256,
                    &aws_lc_rs::rand::SystemRandom::new(),
                    message,
                    &mut sig,
                )
                .map_err(|_| CryptoError::Sign)?;
                Ok(sig)
            }
            Pair::Ec(k) => Ok(k
                .sign(&aws_lc_rs::rand::SystemRandom::new(), message)
                .map_err(|_| CryptoError::Sign)?
                .as_ref()
                .to_vec()),
            Pair::Ed(k) => Ok(k.sign(message).as_ref().to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_pkcs8_and_keep_their_kid() {
        for alg in SigningAlg::ALL {
            let key = SigningKey::generate(alg).unwrap();
            let der = key.to_pkcs8().unwrap();
            let again = SigningKey::from_pkcs8(alg, der.as_bytes()).unwrap();
            assert_eq!(key.kid(), again.kid());
            assert_eq!(key.public_jwk(), again.public_jwk());
            assert!(!format!("{key:?}").contains(&b64url(der.as_bytes())[..16]));
        }
    }

    #[test]
    fn a_key_of_one_algorithm_is_refused_as_another() {
        let key = SigningKey::generate(SigningAlg::ES256).unwrap();
        let der = key.to_pkcs8().unwrap();
        assert!(SigningKey::from_pkcs8(SigningAlg::RS256, der.as_bytes()).is_err());
    }
}
