//! The outbox: with no SMTP server configured, each message becomes files in a folder (`<data-dir>/outbox/`).
//!
//! Each message is two files with the same name: `20261126T074512.123456Z-9f0c2a1b7d3e4f56.eml`, the message
//! exactly as it would have gone to an SMTP server (RFC 5322; open it in any mail client), and `….json`, its
//! recipient, subject and bodies as plain strings, which is what [`read_outbox`] returns. (The `.eml` may encode its
//! bodies as quoted-printable or base64, which a plain text search cannot see through; the `.json` never does.)
//!
//! Names sort in the order the messages were written: the time stamp has microseconds and never repeats within a
//! process, and the random part keeps two processes from colliding. Each file is written under a temporary name
//! starting with `.` and renamed into place, the `.json` last, so a reader sees whole messages only. The folder is
//! created 0700 and the files 0600: they hold activation and reset links.

use std::io::{self, Write as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};

use serde::{Deserialize, Serialize};

/// One message read back from an outbox folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutboxMessage {
    /// The `.eml` file.
    #[serde(skip)]
    pub path: PathBuf,
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub to_name: Option<String>,
    pub subject: String,
    pub text: String,
    #[serde(default)]
    pub html: Option<String>,
}

/// Every message in `dir`, oldest first. A folder that does not exist yet holds no messages.
pub fn read_outbox(dir: impl AsRef<Path>) -> io::Result<Vec<OutboxMessage>> {
    let dir = dir.as_ref();
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let mut names = Vec::new();
    for entry in entries {
        let name = entry?.file_name();
        let Some(name) = name.to_str() else { continue };
        if let Some(stem) = name.strip_suffix(".json")
            && !name.starts_with('.')
        {
            names.push(stem.to_owned());
        }
    }
    names.sort();
    names
        .into_iter()
        .map(|stem| {
            let json = std::fs::read(dir.join(format!("{stem}.json")))?;
            let mut message: OutboxMessage = serde_json::from_slice(&json).map_err(|e| {
                io::Error::new(io::ErrorKind::InvalidData, format!("{stem}.json: {e}"))
            })?;
            message.path = dir.join(format!("{stem}.eml"));
            Ok(message)
        })
        .collect()
}

/// Writes one message (its `.eml` bytes and its sidecar) and returns the path of the `.eml`. Blocking.
pub(super) fn write(dir: &Path, eml: &[u8], message: &OutboxMessage) -> io::Result<PathBuf> {
    prepare_dir(dir)?;
    let stem = format!(
        "{}-{}",
        stamp(),
        hex(&lanyard_core::random::bytes::<8>(
            &lanyard_core::random::SystemRandom
        ))
    );
    let json = serde_json::to_vec_pretty(message).map_err(io::Error::other)?;
    let eml_path = dir.join(format!("{stem}.eml"));
    write_atomically(dir, &format!("{stem}.eml"), eml)?;
    write_atomically(dir, &format!("{stem}.json"), &json)?;
    Ok(eml_path)
}

/// Creates the folder 0700, or makes sure the existing one is a folder of ours and private.
fn prepare_dir(dir: &Path) -> io::Result<()> {
    match std::fs::symlink_metadata(dir) {
        Ok(meta) if meta.is_dir() => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                if meta.permissions().mode() & 0o077 != 0 {
                    // Fails unless the folder is ours.
                    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
                }
            }
            Ok(())
        }
        Ok(_) => Err(io::Error::new(
            io::ErrorKind::AlreadyExists,
            format!("{} exists and is not a folder", dir.display()),
        )),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            let mut builder = std::fs::DirBuilder::new();
            builder.recursive(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::DirBuilderExt;
                builder.mode(0o700);
            }
            builder.create(dir)
        }
        Err(e) => Err(e),
    }
}

fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> io::Result<()> {
    let temp = dir.join(format!(".{name}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let result = options.open(&temp).and_then(|mut file| {
        file.write_all(bytes)?;
        file.sync_all()
    });
    let result = result.and_then(|()| std::fs::rename(&temp, dir.join(name)));
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

/// UTC to the microsecond, `20261126T074512.123456Z`, strictly increasing within the process.
fn stamp() -> String {
    static LAST: AtomicI64 = AtomicI64::new(0);
    let now = chrono::Utc::now().timestamp_micros();
    let previous = LAST
        .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |last| {
            Some(now.max(last + 1))
        })
        .unwrap_or_else(|last| last);
    let micros = now.max(previous + 1);
    chrono::DateTime::from_timestamp_micros(micros)
        .unwrap_or_default()
        .format("%Y%m%dT%H%M%S%.6fZ")
        .to_string()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamps_are_fixed_width_and_strictly_increasing() {
        let stamps: Vec<String> = (0..1000).map(|_| stamp()).collect();
        for pair in stamps.windows(2) {
            assert!(pair[0] < pair[1], "{} !< {}", pair[0], pair[1]);
        }
        assert_eq!(stamps[0].len(), "20261126T074512.123456Z".len());
        assert!(stamps[0].ends_with('Z'));
        assert_eq!(&stamps[0][8..9], "T");
    }

    #[test]
    fn a_missing_folder_holds_no_messages() {
        let dir = tempfile::tempdir().unwrap();
        assert!(read_outbox(dir.path().join("outbox")).unwrap().is_empty());
    }

    #[test]
    fn temporary_and_foreign_files_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".x.json.tmp"), "{").unwrap();
        std::fs::write(dir.path().join(".hidden.json"), "{").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "hi").unwrap();
        assert!(read_outbox(dir.path()).unwrap().is_empty());
    }

    #[cfg(unix)]
    #[test]
    fn the_folder_is_created_private_and_an_open_one_is_closed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("data").join("outbox");
        prepare_dir(&outbox).unwrap();
        assert_eq!(
            std::fs::metadata(&outbox).unwrap().permissions().mode() & 0o777,
            0o700
        );
        std::fs::set_permissions(&outbox, std::fs::Permissions::from_mode(0o755)).unwrap();
        prepare_dir(&outbox).unwrap();
        assert_eq!(
            std::fs::metadata(&outbox).unwrap().permissions().mode() & 0o777,
            0o700
        );
        let file = dir.path().join("file");
        std::fs::write(&file, "").unwrap();
        assert!(prepare_dir(&file).is_err());
    }
}
