//! Argon2id password hashing, stored as PHC strings.
//!
//! A stored hash reads `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>`: the parameters travel with each hash, so
//! raising [`Params`] later leaves old hashes verifiable, and [`verify`] says when one was made with other
//! parameters ([`Verified::needs_rehash`]) so the caller can re-hash the password it just checked. Salts are 16
//! random bytes, outputs 32 bytes, both in the PHC "B64" encoding (standard alphabet, no padding).
//!
//! Each thread keeps its Argon2 working memory (≈ 19 MiB at [`Params::OWASP`]) and reuses it for the next hash
//! instead of allocating and zeroing that much every time, which saves ≈ 1–2.5 ms of an ≈ 18–25 ms hash on our
//! 2-core machines (the `timing` test measures it). The buffer grows to the largest parameters the thread has met,
//! up to 64 MiB; larger ones use a one-off allocation. It is wiped after single-pass hashes only (see
//! `wipe_blocks`). It lives as long as its thread, so run hashes on a bounded set of threads (the server's
//! `PasswordHasher` bounds how many run at once).
//!
//! Everything here is synchronous and CPU-bound (milliseconds per call): async callers run it off their
//! executor's worker threads.

use std::cell::RefCell;
use std::fmt;

use argon2::{Algorithm, Argon2, Block, Version};
use aws_lc_rs::constant_time::verify_slices_are_equal;
use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD;
use serde::{Deserialize, Serialize};

use crate::random::Random;

/// Bytes of random salt in each new hash.
pub const SALT_LEN: usize = 16;

/// Bytes of Argon2 output in each new hash.
pub const OUTPUT_LEN: usize = 32;

/// The longest salt or output accepted in a stored hash.
const MAX_FIELD_LEN: usize = 64;

/// The shortest accepted in a stored hash: salts below 8 bytes are refused by Argon2 itself, and an output below
/// 16 bytes would make collisions practical.
const MIN_SALT_LEN: usize = 8;
const MIN_OUTPUT_LEN: usize = 16;

/// Longer stored strings are refused before looking at them (ours are 97 characters).
const MAX_PHC_LEN: usize = 256;

/// Working memory kept per thread between hashes, in 1 KiB blocks (64 MiB).
const REUSE_MAX_BLOCKS: usize = 64 * 1024;

/// Argon2id cost parameters: memory in KiB, passes, lanes.
///
/// Bounded to m ≤ 256 MiB, t ≤ 16, p ≤ 16 (and m ≥ 8·p, Argon2's own minimum), both for configuration and for
/// stored hashes, so a corrupt or hostile stored hash cannot make a verification allocate gigabytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "RawParams")]
pub struct Params {
    m_kib: u32,
    t: u32,
    p: u32,
}

impl Params {
    /// OWASP's first recommendation for Argon2id (Password Storage Cheat Sheet): 19 MiB, 2 passes, 1 lane.
    pub const OWASP: Params = Params {
        m_kib: 19 * 1024,
        t: 2,
        p: 1,
    };

    /// For disposable instances only (`lanyard serve --seed`, whose data is deleted at exit): Argon2id at 1 MiB and
    /// one pass, about a millisecond, so that a test suite's seeded users and sign-ins cost no more than its other
    /// requests. Never for an instance that keeps real users' passwords.
    pub const DISPOSABLE: Params = Params {
        m_kib: 1024,
        t: 1,
        p: 1,
    };

    pub const MAX_M_KIB: u32 = 256 * 1024;
    pub const MAX_T: u32 = 16;
    pub const MAX_P: u32 = 16;

    /// Checked parameters.
    pub const fn new(m_kib: u32, t: u32, p: u32) -> Result<Params, HashError> {
        if p == 0 || p > Self::MAX_P {
            return Err(HashError::Params("p (lanes) must be between 1 and 16"));
        }
        if t == 0 || t > Self::MAX_T {
            return Err(HashError::Params("t (passes) must be between 1 and 16"));
        }
        if m_kib < 8 * p || m_kib > Self::MAX_M_KIB {
            return Err(HashError::Params(
                "m (KiB of memory) must be between 8·p and 262144",
            ));
        }
        Ok(Params { m_kib, t, p })
    }

    pub const fn m_kib(&self) -> u32 {
        self.m_kib
    }

    pub const fn t(&self) -> u32 {
        self.t
    }

    pub const fn p(&self) -> u32 {
        self.p
    }

    fn argon2(&self, output_len: usize) -> Result<Argon2<'static>, HashError> {
        let params = argon2::Params::new(self.m_kib, self.t, self.p, Some(output_len))
            .map_err(HashError::Argon2)?;
        Ok(Argon2::new(Algorithm::Argon2id, Version::V0x13, params))
    }
}

impl Default for Params {
    fn default() -> Self {
        Params::OWASP
    }
}

/// The PHC form, `m=19456,t=2,p=1`.
impl fmt::Display for Params {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m={},t={},p={}", self.m_kib, self.t, self.p)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParams {
    m_kib: u32,
    t: u32,
    p: u32,
}

impl TryFrom<RawParams> for Params {
    type Error = HashError;
    fn try_from(raw: RawParams) -> Result<Self, HashError> {
        Params::new(raw.m_kib, raw.t, raw.p)
    }
}

/// Why a hash could not be made or checked. Never carries the password nor the stored string.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    /// The stored string is not a well-formed Argon2 PHC string.
    #[error("malformed password hash: {0}")]
    Malformed(&'static str),
    /// Well-formed, but not something this server verifies (another algorithm, Argon2i/d, version 0x10).
    #[error("unsupported password hash: {0}")]
    Unsupported(&'static str),
    /// Parameters out of the accepted range.
    #[error("Argon2 parameters out of range: {0}")]
    Params(&'static str),
    /// Argon2 itself refused (does not happen with checked parameters).
    #[error("Argon2 failed: {0}")]
    Argon2(argon2::Error),
}

/// The outcome of [`verify`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verified {
    /// The password matches.
    pub ok: bool,
    /// The password matches (never set otherwise) and the stored hash was made with other parameters, salt or
    /// output length than a new one would be: store `hash(password, current, …)` in its place.
    pub needs_rehash: bool,
}

/// Hashes a new password with a fresh 16-byte salt. Returns the PHC string to store.
pub fn hash(password: &str, params: &Params, random: &dyn Random) -> Result<String, HashError> {
    let mut salt = [0u8; SALT_LEN];
    random.fill(&mut salt);
    let mut out = [0u8; OUTPUT_LEN];
    derive(password.as_bytes(), &salt, params, &mut out)?;
    Ok(format!(
        "$argon2id$v=19${params}${}${}",
        STANDARD_NO_PAD.encode(salt),
        STANDARD_NO_PAD.encode(out)
    ))
}

/// Checks `password` against the stored PHC string `phc`, with the parameters stored in it; `current` only decides
/// [`Verified::needs_rehash`]. The derived hash is compared in constant time. A malformed or unsupported stored
/// string is an error, not a mismatch: it is worth logging.
pub fn verify(password: &str, phc: &str, current: &Params) -> Result<Verified, HashError> {
    let stored = Stored::parse(phc)?;
    let mut out = [0u8; MAX_FIELD_LEN];
    let out = &mut out[..stored.hash.len()];
    derive(
        password.as_bytes(),
        stored.salt.bytes(),
        &stored.params,
        out,
    )?;
    let ok = verify_slices_are_equal(out, stored.hash.bytes()).is_ok();
    wipe_bytes(out);
    let outdated = stored.params != *current
        || stored.salt.len() != SALT_LEN
        || stored.hash.len() != OUTPUT_LEN;
    Ok(Verified {
        ok,
        needs_rehash: ok && outdated,
    })
}

/// The work of a [`verify`] at `current` parameters, for a sign-in naming no user (or one without a password), so
/// that the answer's timing does not tell whether the user exists. Users whose stored hash still has older
/// parameters take their parameters' time instead, until re-hashed at sign-in.
pub fn verify_dummy(password: &str, current: &Params) {
    // The parse, too, so that even the microseconds match.
    let Ok(stored) = Stored::parse(DUMMY_PHC) else {
        return;
    };
    let mut out = [0u8; OUTPUT_LEN];
    let derived = derive(password.as_bytes(), stored.salt.bytes(), current, &mut out).is_ok();
    let ok = verify_slices_are_equal(&out, stored.hash.bytes()).is_ok();
    wipe_bytes(&mut out);
    std::hint::black_box((derived, ok));
}

/// A hash of no password anyone knows (the salt and output are arbitrary), for [`verify_dummy`].
const DUMMY_PHC: &str = "$argon2id$v=19$m=19456,t=2,p=1$bGFueWFyZC1kdW1teS1zYQ$\
                         ZHVtbXkgaGFzaCBvZiBubyBwYXNzd29yZCBhdCBhbGw";

/// Argon2id of `password` and `salt` into `out`, in this thread's reused working memory when it fits.
fn derive(password: &[u8], salt: &[u8], params: &Params, out: &mut [u8]) -> Result<(), HashError> {
    let argon2 = params.argon2(out.len())?;
    let blocks = argon2.params().block_count();
    if blocks <= REUSE_MAX_BLOCKS {
        let reused = MEMORY.try_with(|memory| {
            // Not reentrant, so never borrowed here; but a fresh buffer beats a panic.
            let mut memory = memory.try_borrow_mut().ok()?;
            if memory.len() < blocks {
                // Replaced rather than extended: nothing in it is worth copying.
                *memory = vec![Block::new(); blocks];
            }
            Some(hash_into(
                &argon2,
                password,
                salt,
                out,
                &mut memory[..blocks],
            ))
        });
        if let Ok(Some(result)) = reused {
            return result;
        }
    }
    let mut memory = vec![Block::new(); blocks];
    hash_into(&argon2, password, salt, out, &mut memory)
}

fn hash_into(
    argon2: &Argon2<'_>,
    password: &[u8],
    salt: &[u8],
    out: &mut [u8],
    memory: &mut [Block],
) -> Result<(), HashError> {
    let result = argon2
        .hash_password_into_with_memory(password, salt, out, &mut *memory)
        .map_err(HashError::Argon2);
    if argon2.params().t_cost() == 1 {
        wipe_blocks(memory);
    }
    result
}

/// Zeros over Argon2 working memory.
///
/// Needed after a single pass only. Then the first blocks of each lane are a few Blake2b calls away from the
/// password: left in memory, they would let anyone who reads it test guesses without paying Argon2's cost. Every
/// later pass overwrites each block with a value that depends on the whole of the first pass (v1.3 XORs in a
/// compression of the previous block, and the first block's previous is the first pass's last), so after two
/// passes or more testing a guess against what is left costs a full pass in time and memory: no shortcut worth
/// the ≈ 1.5 ms the wipe takes at 19 MiB, about all that reusing the memory saves. (Argon2 writes each block before
/// reading it, so the next hash never needs the wipe either.)
fn wipe_blocks(memory: &mut [Block]) {
    memory.fill(Block::new());
    std::hint::black_box(memory);
}

fn wipe_bytes(bytes: &mut [u8]) {
    bytes.fill(0);
    std::hint::black_box(bytes);
}

thread_local! {
    /// This thread's Argon2 working memory, kept between hashes.
    static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
}

/// A parsed stored hash.
struct Stored {
    params: Params,
    salt: Field,
    hash: Field,
}

/// A decoded salt or output, at most 64 bytes.
struct Field {
    bytes: [u8; MAX_FIELD_LEN],
    len: usize,
}

impl Field {
    fn decode(b64: &str, min: usize, what: &'static str) -> Result<Field, HashError> {
        let mut bytes = [0u8; MAX_FIELD_LEN];
        // Bounded first: 86 characters decode to 64 bytes.
        if b64.len() > MAX_FIELD_LEN.div_ceil(3) * 4 {
            return Err(HashError::Malformed(what));
        }
        let len = STANDARD_NO_PAD
            .decode_slice(b64, &mut bytes)
            .map_err(|_| HashError::Malformed(what))?;
        if len < min {
            return Err(HashError::Malformed(what));
        }
        Ok(Field { bytes, len })
    }

    fn bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    fn len(&self) -> usize {
        self.len
    }
}

impl Stored {
    fn parse(phc: &str) -> Result<Stored, HashError> {
        if phc.len() > MAX_PHC_LEN {
            return Err(HashError::Malformed("too long"));
        }
        let mut fields = phc.split('$');
        if fields.next() != Some("") {
            return Err(HashError::Malformed("does not start with `$`"));
        }
        match fields.next() {
            Some("argon2id") => {}
            Some("argon2i" | "argon2d") => {
                return Err(HashError::Unsupported("Argon2i and Argon2d; only Argon2id"));
            }
            Some("") | None => return Err(HashError::Malformed("no algorithm")),
            Some(_) => return Err(HashError::Unsupported("not an Argon2 hash")),
        }
        match fields.next() {
            Some("v=19") => {}
            Some(v) if v.starts_with("v=") => {
                return Err(HashError::Unsupported("Argon2 versions but 19 (0x13)"));
            }
            _ => return Err(HashError::Malformed("no version")),
        }
        let params = parse_params(fields.next().unwrap_or(""))?;
        let salt = Field::decode(fields.next().unwrap_or(""), MIN_SALT_LEN, "salt")?;
        let hash = Field::decode(fields.next().unwrap_or(""), MIN_OUTPUT_LEN, "hash")?;
        if fields.next().is_some() {
            return Err(HashError::Malformed("fields after the hash"));
        }
        Ok(Stored { params, salt, hash })
    }
}

/// `m=…,t=…,p=…`, in that order (as every Argon2 encoder writes them); no `keyid` or `data`.
fn parse_params(text: &str) -> Result<Params, HashError> {
    const EXPECTED: HashError = HashError::Malformed("parameters are not m=…,t=…,p=…");
    let mut values = [0u32; 3];
    let mut parts = text.split(',');
    for (value, name) in values.iter_mut().zip(["m=", "t=", "p="]) {
        let part = parts.next().ok_or(EXPECTED)?;
        let digits = part.strip_prefix(name).ok_or(EXPECTED)?;
        *value = decimal(digits).ok_or(EXPECTED)?;
    }
    if parts.next().is_some() {
        return Err(EXPECTED);
    }
    let [m, t, p] = values;
    Params::new(m, t, p)
}

/// A PHC decimal: ASCII digits, no sign, no leading zero.
fn decimal(digits: &str) -> Option<u32> {
    let canonical = !digits.is_empty()
        && digits.len() <= 10
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'));
    if canonical { digits.parse().ok() } else { None }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::random::{SystemRandom, TestRandom};

    const SMALL: Params = Params {
        m_kib: 64,
        t: 1,
        p: 1,
    };

    #[test]
    fn round_trip() {
        let phc = hash("correct horse battery staple", &SMALL, &SystemRandom).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=64,t=1,p=1$"), "{phc}");
        let verified = verify("correct horse battery staple", &phc, &SMALL).unwrap();
        assert_eq!(
            verified,
            Verified {
                ok: true,
                needs_rehash: false
            }
        );
    }

    #[test]
    fn wrong_password_fails() {
        let phc = hash("Tr0ub4dor&3", &SMALL, &SystemRandom).unwrap();
        for wrong in [
            "Tr0ub4dor&4",
            "tr0ub4dor&3",
            "Tr0ub4dor&3 ",
            "",
            "Tr0ub4dor",
        ] {
            let verified = verify(wrong, &phc, &SMALL).unwrap();
            assert!(!verified.ok, "{wrong:?}");
            assert!(!verified.needs_rehash);
        }
    }

    #[test]
    fn layout_of_a_new_hash() {
        let phc = hash("pw", &SMALL, &TestRandom::default()).unwrap();
        let fields: Vec<&str> = phc.split('$').collect();
        assert_eq!(fields[..4], ["", "argon2id", "v=19", "m=64,t=1,p=1"]);
        assert_eq!(STANDARD_NO_PAD.decode(fields[4]).unwrap().len(), SALT_LEN);
        assert_eq!(STANDARD_NO_PAD.decode(fields[5]).unwrap().len(), OUTPUT_LEN);
        assert_eq!(fields.len(), 6);
    }

    #[test]
    fn known_answers() {
        // From the reference C implementation (libargon2 through Python's argon2-cffi, `low_level.hash_secret`
        // with salt `somesaltsomesalt`, 32-byte output, Argon2id).
        let vectors = [
            (
                "password",
                "$argon2id$v=19$m=64,t=1,p=1$c29tZXNhbHRzb21lc2FsdA$\
                 55PWTvddWPUD1GMbKxSff4ASfF85k9ibHJt4HlHQtBM",
            ),
            (
                "password",
                "$argon2id$v=19$m=256,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$\
                 OudWdfwYdYZlJsj5MMtA1v51HsC+pa0wUrr8pTaTc7M",
            ),
        ];
        for (password, phc) in vectors {
            assert!(verify(password, phc, &SMALL).unwrap().ok, "{phc}");
            assert!(!verify("Password", phc, &SMALL).unwrap().ok, "{phc}");
        }
    }

    #[test]
    fn same_password_twice_differs() {
        let a = hash("hunter2hunter2", &SMALL, &SystemRandom).unwrap();
        let b = hash("hunter2hunter2", &SMALL, &SystemRandom).unwrap();
        assert_ne!(a, b);
        assert!(verify("hunter2hunter2", &a, &SMALL).unwrap().ok);
        assert!(verify("hunter2hunter2", &b, &SMALL).unwrap().ok);
    }

    #[test]
    fn needs_rehash_when_parameters_differ() {
        let phc = hash("s3cret-Passw0rd", &SMALL, &SystemRandom).unwrap();
        for current in [
            Params::new(128, 1, 1).unwrap(),
            Params::new(64, 2, 1).unwrap(),
            Params::new(64, 1, 2).unwrap(),
            Params::OWASP,
        ] {
            let verified = verify("s3cret-Passw0rd", &phc, &current).unwrap();
            assert_eq!(
                verified,
                Verified {
                    ok: true,
                    needs_rehash: true
                },
                "{current}"
            );
            // Only ever for the right password: a caller acting on it alone must not store a wrong one.
            let wrong = verify("s3cret-Passw0rd!", &phc, &current).unwrap();
            assert_eq!(
                wrong,
                Verified {
                    ok: false,
                    needs_rehash: false
                }
            );
        }
    }

    #[test]
    fn needs_rehash_for_other_salt_or_output_lengths() {
        // An 8-byte salt and a 16-byte output, as another implementation might have stored.
        let mut salt = [0u8; 8];
        TestRandom::default().fill(&mut salt);
        let mut out = [0u8; 16];
        derive(b"imported", &salt, &SMALL, &mut out).unwrap();
        let phc = format!(
            "$argon2id$v=19$m=64,t=1,p=1${}${}",
            STANDARD_NO_PAD.encode(salt),
            STANDARD_NO_PAD.encode(out)
        );
        let verified = verify("imported", &phc, &SMALL).unwrap();
        assert!(verified.ok && verified.needs_rehash);
        assert!(!verify("imported!", &phc, &SMALL).unwrap().ok);
    }

    #[test]
    fn owasp_parameters() {
        assert_eq!(Params::default(), Params::OWASP);
        assert_eq!(Params::OWASP.to_string(), "m=19456,t=2,p=1");
        let phc = hash("An OWASP-strength passw0rd", &Params::OWASP, &SystemRandom).unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        let verified = verify("An OWASP-strength passw0rd", &phc, &Params::OWASP).unwrap();
        assert_eq!(
            verified,
            Verified {
                ok: true,
                needs_rehash: false
            }
        );
        // From the reference implementation, as in `known_answers`.
        let reference = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$\
                         YQxKxKKuYI2HR4doeVRqV1Pm6VzYqa3tKZvl1HTdtUU";
        assert!(verify("pässwörd ✓", reference, &Params::OWASP).unwrap().ok);
        // The thread's buffer, grown for OWASP, still serves smaller parameters.
        let small = hash("small", &SMALL, &SystemRandom).unwrap();
        assert!(verify("small", &small, &SMALL).unwrap().ok);
    }

    #[test]
    fn reused_memory_gives_the_same_result_as_fresh_memory() {
        // Two passes and two lanes: the thread's buffer is not wiped between hashes.
        let params = Params::new(64, 2, 2).unwrap();
        let salt = [7u8; SALT_LEN];
        let mut reused = [0u8; OUTPUT_LEN];
        // A first hash leaves its blocks in the thread's buffer; the second runs over them.
        derive(b"something else", &[9u8; SALT_LEN], &params, &mut reused).unwrap();
        derive(b"pw", &salt, &params, &mut reused).unwrap();
        let mut fresh = [0u8; OUTPUT_LEN];
        params
            .argon2(OUTPUT_LEN)
            .unwrap()
            .hash_password_into(b"pw", &salt, &mut fresh)
            .unwrap();
        assert_eq!(reused, fresh);
        // And one whose buffer is larger than the parameters need (grown by a bigger hash before).
        derive(b"pw", &salt, &Params::new(256, 1, 1).unwrap(), &mut reused).unwrap();
        derive(b"pw", &salt, &params, &mut reused).unwrap();
        assert_eq!(reused, fresh);
    }

    #[test]
    fn single_pass_memory_is_wiped() {
        let mut out = [0u8; OUTPUT_LEN];
        derive(b"pw", &[3u8; SALT_LEN], &SMALL, &mut out).unwrap();
        let wiped = MEMORY.with(|memory| {
            let memory = memory.borrow();
            !memory.is_empty()
                && memory
                    .iter()
                    .all(|block| block.as_ref().iter().all(|&word| word == 0))
        });
        assert!(wiped);
    }

    #[test]
    fn malformed_strings_are_errors() {
        let good = hash("pw", &SMALL, &TestRandom::default()).unwrap();
        assert!(verify("pw", &good, &SMALL).unwrap().ok);
        let salt_and_hash = good.splitn(5, '$').nth(4).unwrap();
        let malformed = [
            String::new(),
            "$".into(),
            "argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
            "$argon2id".into(),
            "$argon2id$v=19".into(),
            "$argon2id$v=19$m=64,t=1,p=1".into(),
            "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ".into(),
            "$argon2id$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
            format!("$argon2id$v=19$m=64,t=1$${salt_and_hash}"),
            format!("$argon2id$v=19$t=1,m=64,p=1${salt_and_hash}"),
            format!("$argon2id$v=19$m=64,t=1,p=1,keyid=AAAA${salt_and_hash}"),
            format!("$argon2id$v=19$m=064,t=1,p=1${salt_and_hash}"),
            format!("$argon2id$v=19$m=+64,t=1,p=1${salt_and_hash}"),
            format!("$argon2id$v=19$m=,t=1,p=1${salt_and_hash}"),
            format!("$argon2id$v=19$m=99999999999,t=1,p=1${salt_and_hash}"),
            format!("$argon2id$v=19$m=64,t=1,p=1${salt_and_hash}$"),
            format!("$argon2id$v=19$m=64,t=1,p=1${salt_and_hash}$extra"),
            format!("{good}="),
            format!("{good}!"),
            good.replace("$m=64,", "$m=64 ,"),
            // Salt and hash: not base64, padded, too short, too long.
            "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$aGFzaGhhc2hoYXNoaGFzaA".into(),
            "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ=$aGFzaGhhc2hoYXNoaGFzaA".into(),
            "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$aGFzaA".into(),
            "$argon2id$v=19$m=64,t=1,p=1$c2Fs*HNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
            format!("$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ${}", "A".repeat(88)),
            format!(
                "$argon2id$v=19$m=64,t=1,p=1${}$aGFzaGhhc2hoYXNoaGFzaA",
                "A".repeat(300)
            ),
            "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$ünïcödé".into(),
        ];
        for phc in &malformed {
            let result = verify("pw", phc, &SMALL);
            assert!(
                matches!(result, Err(HashError::Malformed(_))),
                "{phc:?}: {result:?}"
            );
        }
    }

    #[test]
    fn unsupported_and_out_of_range_are_errors() {
        let rest = "c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA";
        for phc in [
            format!("$argon2i$v=19$m=64,t=1,p=1${rest}"),
            format!("$argon2d$v=19$m=64,t=1,p=1${rest}"),
            format!("$argon2id$v=16$m=64,t=1,p=1${rest}"),
            "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW".into(),
            "$scrypt$ln=16,r=8,p=1$aM15713r3Xsvxbi31lqr1Q$nFNh2CVHVjNldFVKDHDlm4CbdRSCdEBsjjJxD+iCs5E".into(),
        ] {
            let result = verify("pw", &phc, &SMALL);
            assert!(
                matches!(result, Err(HashError::Unsupported(_))),
                "{phc:?}: {result:?}"
            );
        }
        for params in [
            "m=4,t=1,p=1",
            "m=64,t=0,p=1",
            "m=64,t=1,p=0",
            "m=64,t=17,p=1",
            "m=64,t=1,p=17",
            "m=64,t=1,p=9",
            "m=4194304,t=1,p=1",
        ] {
            let phc = format!("$argon2id$v=19${params}${rest}");
            let result = verify("pw", &phc, &SMALL);
            assert!(
                matches!(result, Err(HashError::Params(_))),
                "{phc:?}: {result:?}"
            );
        }
    }

    #[test]
    fn params_are_checked() {
        assert!(Params::new(19456, 2, 1).is_ok());
        assert!(Params::new(8, 1, 1).is_ok());
        assert!(Params::new(7, 1, 1).is_err());
        assert!(Params::new(64, 1, 9).is_err());
        assert!(Params::new(262_144, 16, 16).is_ok());
        assert!(Params::new(262_145, 1, 1).is_err());
        let parsed: Params = serde_json::from_str(r#"{"m_kib":47104,"t":1,"p":1}"#).unwrap();
        assert_eq!((parsed.m_kib(), parsed.t(), parsed.p()), (47104, 1, 1));
        assert!(serde_json::from_str::<Params>(r#"{"m_kib":4,"t":1,"p":1}"#).is_err());
        assert!(serde_json::from_str::<Params>(r#"{"m_kib":64,"t":1,"p":1,"x":1}"#).is_err());
        assert_eq!(
            serde_json::to_string(&Params::OWASP).unwrap(),
            r#"{"m_kib":19456,"t":2,"p":1}"#
        );
    }

    #[test]
    fn verify_dummy_runs() {
        verify_dummy("whatever", &SMALL);
        verify_dummy("", &SMALL);
        // And leaves the thread's buffer usable.
        let phc = hash("pw", &SMALL, &SystemRandom).unwrap();
        assert!(verify("pw", &phc, &SMALL).unwrap().ok);
    }

    #[test]
    fn dummy_hash_is_well_formed() {
        let stored = Stored::parse(DUMMY_PHC).unwrap();
        assert_eq!(stored.params, Params::OWASP);
        assert_eq!(
            (stored.salt.len(), stored.hash.len()),
            (SALT_LEN, OUTPUT_LEN)
        );
    }

    #[test]
    fn nothing_secret_in_debug_or_display() {
        let password = "Sup3r-S3cret-Passw0rd";
        let phc = hash(password, &SMALL, &SystemRandom).unwrap();
        let salt_and_hash = phc.splitn(5, '$').nth(4).unwrap().to_owned();
        let salt = salt_and_hash.split('$').next().unwrap().to_owned();
        let mut shown = vec![
            format!("{:?}", verify(password, &phc, &SMALL)),
            format!("{:?}", verify("wrong", &phc, &SMALL)),
            format!("{SMALL:?} {SMALL}"),
        ];
        for bad in [
            format!("$argon2id$v=19$m=64,t=1,p=1${salt}$!{password}"),
            format!("$argon2id$v=19$m=64,t=1,p=1,{password}${salt_and_hash}"),
            format!("${password}$v=19$m=64,t=1,p=1${salt_and_hash}"),
            format!("$argon2id$v=19$m=64,t=1,p=1${salt_and_hash}${password}"),
        ] {
            let error = verify(password, &bad, &SMALL).unwrap_err();
            shown.push(format!("{error:?} {error}"));
        }
        for text in &shown {
            assert!(!text.contains(password), "{text}");
            assert!(!text.contains(&salt), "{text}");
        }
    }

    /// `cargo test --release -p lanyard-core --lib password::hash::tests::timing -- --ignored --nocapture`
    ///
    /// The variants take turns, round after round, so that other load on the machine spreads over all of them;
    /// the minimum and median of each are printed.
    #[test]
    #[ignore = "a measurement, not a test; run in release mode"]
    fn timing() {
        use std::time::{Duration, Instant};

        const ROUNDS: usize = 60;
        let params = Params::OWASP;
        let salt = [1u8; SALT_LEN];
        let argon2 = params.argon2(OUTPUT_LEN).unwrap();
        let mut kept = vec![Block::new(); argon2.params().block_count()];
        let mut out = [0u8; OUTPUT_LEN];
        let mut run = |variant: usize| match variant {
            // What `Argon2::hash_password_into` does: a fresh zeroed allocation each time.
            0 => argon2
                .hash_password_into(b"password", &salt, &mut out)
                .unwrap(),
            // What `hash` and `verify` do: the thread's buffer (not wiped, at two passes).
            1 => derive(b"password", &salt, &params, &mut out).unwrap(),
            // The same, wiped after use, as single-pass parameters are: the price of the wipe.
            2 => {
                argon2
                    .hash_password_into_with_memory(b"password", &salt, &mut out, &mut kept)
                    .unwrap();
                wipe_blocks(&mut kept);
            }
            _ => verify_dummy("password", &params),
        };
        let names = [
            "fresh allocation",
            "reused (hash/verify)",
            "reused, then wiped",
            "verify_dummy",
        ];
        let mut samples = vec![Vec::<Duration>::new(); names.len()];
        for round in 0..=ROUNDS {
            for (variant, samples) in samples.iter_mut().enumerate() {
                let start = Instant::now();
                run(variant);
                // The first round warms up.
                if round > 0 {
                    samples.push(start.elapsed());
                }
            }
        }
        println!("Argon2id {params}, {ROUNDS} rounds:");
        for (name, samples) in names.iter().zip(&mut samples) {
            samples.sort();
            println!(
                "  {name:<30} min {:>8.2?}  median {:>8.2?}",
                samples[0],
                samples[ROUNDS / 2]
            );
        }
    }
}
