//! Randomness as an input.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A cryptographically secure source of random bytes.
pub trait Random: Send + Sync + 'static {
    fn fill(&self, dest: &mut [u8]);
}

/// The operating system's CSPRNG (`getrandom(2)` on Linux), read directly: every secret, id and salt Lanyard
/// makes comes from here. The crypto library keeps a generator of its own for what it does inside (RSA blinding,
/// ECDSA nonces, key generation), seeded from the same source (`.cargo/config.toml`).
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemRandom;

impl Random for SystemRandom {
    fn fill(&self, dest: &mut [u8]) {
        // A failing system RNG leaves nothing safe to do: every secret would be predictable.
        getrandom::fill(dest).expect("the system random number generator failed");
    }
}

/// `N` random bytes.
pub fn bytes<const N: usize>(random: &dyn Random) -> [u8; N] {
    let mut out = [0u8; N];
    random.fill(&mut out);
    out
}

/// Base64url without padding, the encoding of every token and JOSE field.
pub fn b64url(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A deterministic generator for tests: a counter run through SHA-256.
#[derive(Debug, Default)]
pub struct TestRandom(std::sync::atomic::AtomicU64);

impl Random for TestRandom {
    fn fill(&self, dest: &mut [u8]) {
        for chunk in dest.chunks_mut(32) {
            let n = self.0.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &n.to_be_bytes());
            chunk.copy_from_slice(&digest.as_ref()[..chunk.len()]);
        }
    }
}
