//! A stock of RSA-2048 keys generated ahead of time, for disposable instances (`lanyard serve --seed`).
//!
//! Every authorization server signs with an RS256 key, and generating one takes ~50–150 ms of a core: a disposable
//! instance needs three or more before it can answer (the org server's, `default`'s, and one per server its seed
//! file adds), which alone would exceed its start-up budget. So a disposable instance takes its RSA keys from a
//! stock file in the user's cache directory and, once it answers, generates as many as it took to put back, for
//! the next one. A key leaves the file when it is taken, under an exclusive lock, so no two instances ever sign
//! with the same key; an empty stock (the first start on a machine) just means generating as before.
//!
//! The file holds unencrypted private keys (PKCS#8, base64, one per line; mode 0600): keys that only ever serve
//! disposable instances on this machine, whose master key sits in a temporary directory on the same disk. A
//! persistent instance never reads or writes the stock.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use lanyard_core::crypto::{CryptoError, SigningAlg, SigningKey};

/// How many keys the stock is refilled to at most.
pub const MAX_STOCK: usize = 16;

/// The stock file of RSA keys at `path`.
#[derive(Debug, Clone)]
pub struct KeyStock {
    path: PathBuf,
}

impl KeyStock {
    /// The stock at `path` (the file need not exist).
    pub fn at(path: impl Into<PathBuf>) -> Self {
        KeyStock { path: path.into() }
    }

    /// The user's stock: `$XDG_CACHE_HOME/lanyard/rsa-key-stock`, else `$HOME/.cache/lanyard/rsa-key-stock`;
    /// `None` when neither variable is set.
    pub fn for_user() -> Option<Self> {
        let cache = std::env::var_os("XDG_CACHE_HOME")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .or_else(|| {
                std::env::var_os("HOME")
                    .filter(|v| !v.is_empty())
                    .map(|h| Path::new(&h).join(".cache"))
            })?;
        Some(Self::at(cache.join("lanyard").join("rsa-key-stock")))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes one key out of the stock, if it holds one that reads as an RSA key. Lines that do not are dropped.
    pub fn take(&self) -> std::io::Result<Option<SigningKey>> {
        let mut file = match self.open_locked(false) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e),
        };
        let mut lines = read_lines(&mut file)?;
        let mut taken = None;
        while taken.is_none() {
            let Some(line) = lines.pop() else { break };
            taken = decode(&line).ok();
        }
        write_lines(&mut file, &lines)?;
        Ok(taken)
    }

    /// How many keys the stock holds.
    pub fn count(&self) -> std::io::Result<usize> {
        match self.open_locked(false) {
            Ok(mut f) => Ok(read_lines(&mut f)?.len()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
            Err(e) => Err(e),
        }
    }

    /// Adds `key` to the stock (creating its directory and file).
    pub fn put(&self, key: &SigningKey) -> Result<(), PutError> {
        let der = key.to_pkcs8().map_err(PutError::Key)?;
        let line = STANDARD.encode(der.as_bytes());
        let mut file = self.open_locked(true).map_err(PutError::Io)?;
        let mut lines = read_lines(&mut file).map_err(PutError::Io)?;
        if lines.len() >= MAX_STOCK {
            return Ok(());
        }
        lines.push(line);
        write_lines(&mut file, &lines).map_err(PutError::Io)
    }

    /// Generates keys until the stock holds `target` (at most [`MAX_STOCK`]); returns how many it added. Runs on
    /// the calling thread: call it from a blocking task.
    pub fn refill(&self, target: usize) -> Result<usize, PutError> {
        let target = target.min(MAX_STOCK);
        let mut added = 0;
        while self.count().map_err(PutError::Io)? < target {
            let key = SigningKey::generate(SigningAlg::RS256).map_err(PutError::Key)?;
            self.put(&key)?;
            added += 1;
        }
        Ok(added)
    }

    /// The stock file, opened read-write and exclusively locked (the lock ends when it is dropped).
    fn open_locked(&self, create: bool) -> std::io::Result<File> {
        if create && let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut options = OpenOptions::new();
        options
            .read(true)
            .write(true)
            .create(create)
            .truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let file = options.open(&self.path)?;
        file.lock()?;
        Ok(file)
    }
}

/// Why a key could not be put in the stock.
#[derive(Debug)]
pub enum PutError {
    Io(std::io::Error),
    Key(CryptoError),
}

impl std::fmt::Display for PutError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PutError::Io(e) => write!(f, "the key stock could not be written: {e}"),
            PutError::Key(e) => write!(f, "a key for the stock could not be made: {e}"),
        }
    }
}

impl std::error::Error for PutError {}

fn decode(line: &str) -> Result<SigningKey, CryptoError> {
    let der = STANDARD
        .decode(line.trim())
        .map_err(|_| CryptoError::InvalidKey("not base64"))?;
    SigningKey::from_pkcs8(SigningAlg::RS256, &der)
}

fn read_lines(file: &mut File) -> std::io::Result<Vec<String>> {
    let mut text = String::new();
    file.seek(SeekFrom::Start(0))?;
    file.read_to_string(&mut text)?;
    Ok(text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect())
}

fn write_lines(file: &mut File, lines: &[String]) -> std::io::Result<()> {
    let mut text = lines.join("\n");
    if !text.is_empty() {
        text.push('\n');
    }
    file.set_len(0)?;
    file.seek(SeekFrom::Start(0))?;
    file.write_all(text.as_bytes())?;
    file.sync_data()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_taken_once_and_refilled() {
        let dir = tempfile::tempdir().unwrap();
        let stock = KeyStock::at(dir.path().join("sub").join("stock"));
        assert!(stock.take().unwrap().is_none(), "no file: nothing to take");
        assert_eq!(stock.count().unwrap(), 0);

        assert_eq!(stock.refill(2).unwrap(), 2);
        assert_eq!(stock.refill(2).unwrap(), 0, "already full");
        let a = stock.take().unwrap().expect("a key");
        let b = stock.take().unwrap().expect("another key");
        assert_ne!(a.kid(), b.kid(), "each key is taken once");
        assert!(stock.take().unwrap().is_none(), "the stock is empty again");
        assert_eq!(a.alg(), SigningAlg::RS256);
    }

    #[test]
    fn unreadable_lines_are_dropped_not_used() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stock");
        std::fs::write(&path, "not base64!\nAAAA\n").unwrap();
        let stock = KeyStock::at(&path);
        assert!(stock.take().unwrap().is_none());
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
    }

    #[cfg(unix)]
    #[test]
    fn the_file_is_private() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let stock = KeyStock::at(dir.path().join("stock"));
        stock.refill(1).unwrap();
        let mode = std::fs::metadata(stock.path())
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
