//! The master key: `LANYARD_MASTER_KEY` (base64 of 32 bytes), else `<data dir>/master.key` (created 0600 on first
//! use). The database keeps a check value, so a node holding a different key refuses to start instead of failing
//! to open its signing keys later.

use std::io::{ErrorKind, Write};
use std::path::Path;

use anyhow::{Context, bail};
use lanyard_core::crypto::MasterKey;
use lanyard_core::random::SystemRandom;
use lanyard_core::store::Store;

pub const FILE: &str = "master.key";
const CHECK_SETTING: &str = "master_key_check";

pub fn load(data_dir: &Path) -> anyhow::Result<MasterKey> {
    if let Ok(text) = std::env::var("LANYARD_MASTER_KEY") {
        return MasterKey::parse(&text).map_err(|e| anyhow::anyhow!("LANYARD_MASTER_KEY: {e}"));
    }
    let path = data_dir.join(FILE);
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(&path) {
        Ok(mut file) => {
            let key = MasterKey::generate(&SystemRandom);
            file.write_all(key.encode().as_bytes())
                .and_then(|()| file.sync_all())
                .with_context(|| format!("cannot write {}", path.display()))?;
            tracing::info!(path = %path.display(), "created a new master key");
            Ok(key)
        }
        Err(e) if e.kind() == ErrorKind::AlreadyExists => read(&path),
        Err(e) => Err(e).with_context(|| format!("cannot create {}", path.display())),
    }
}

fn read(path: &Path) -> anyhow::Result<MasterKey> {
    // Another process may have just created it: wait briefly for its content.
    for _ in 0..50 {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        if !text.trim().is_empty() {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                if let Ok(meta) = std::fs::metadata(path)
                    && meta.permissions().mode() & 0o077 != 0
                {
                    tracing::warn!(path = %path.display(), "the master key file is readable by others; chmod 600 it");
                }
            }
            return MasterKey::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()));
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    bail!("{} is empty", path.display())
}

/// Records the key's check value on first use and refuses a different key later.
pub async fn verify(store: &dyn Store, key: &MasterKey) -> anyhow::Result<()> {
    let ours = key.check_value();
    let stored = store.setting_or_insert(CHECK_SETTING, &ours).await?;
    if stored != ours {
        bail!(
            "this database was set up with a different master key. Give every node the same key through \
             LANYARD_MASTER_KEY, or restore the data dir's {FILE}"
        );
    }
    Ok(())
}
