//! `lanyard export`, `plan`, `apply` on a data dir or database: the org's own API, in this process.

use std::sync::Arc;

use anyhow::Context;
use lanyard_core::clock::SystemClock;
use lanyard_core::random::SystemRandom;
use lanyard_server::{AppState, ServerConfig};

use crate::cli::{ApplyArgs, ExportArgs, StorageArgs};
use crate::config_as_code::{self as cac, Document};

/// The org's state over `storage`, as `serve` would build it (the org created if the database is new).
async fn open_state(storage: &StorageArgs) -> anyhow::Result<AppState> {
    let (storage, store) = super::open(storage).await?;
    let master = crate::master_key::load(&storage.data_dir)?;
    crate::master_key::verify(store.as_ref(), &master).await?;
    lanyard_core::bootstrap::bootstrap(store.as_ref(), &SystemClock, &SystemRandom, "Lanyard")
        .await?;
    let mut config = ServerConfig::new("http://127.0.0.1:8080");
    if let Some(org) = store.org().await? {
        config.org_name = org.name;
        config.org_id = org.id;
    }
    Ok(AppState::new(
        store,
        config,
        Arc::new(SystemClock),
        Arc::new(SystemRandom),
        Arc::new(master),
    ))
}

pub fn read(file: &std::path::Path) -> anyhow::Result<Document> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?;
    Document::parse(&text).with_context(|| format!("{}", file.display()))
}

pub async fn export(args: ExportArgs) -> anyhow::Result<()> {
    super::init_cli_logging();
    let state = open_state(&args.storage).await?;
    let yaml = cac::export_state(&state).await?.to_yaml()?;
    state.syslog.flush().await;
    match &args.output {
        Some(path) => std::fs::write(path, yaml)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => print!("{yaml}"),
    }
    Ok(())
}

pub async fn plan(args: ApplyArgs) -> anyhow::Result<()> {
    super::init_cli_logging();
    let want = read(&args.file)?;
    let state = open_state(&args.storage).await?;
    let plan = cac::plan_state(&state, &want, args.prune).await?;
    state.syslog.flush().await;
    print!("{plan}");
    Ok(())
}

pub async fn apply(args: ApplyArgs) -> anyhow::Result<()> {
    super::init_cli_logging();
    let want = read(&args.file)?;
    // Every reference resolved before the database is even opened.
    want.resolve_secrets(|n| std::env::var(n).ok())?;
    let state = open_state(&args.storage).await?;
    let applied = cac::apply_state(&state, &want, |n| std::env::var(n).ok(), args.prune).await;
    state.syslog.flush().await;
    let applied = applied?;
    print!("{}", applied.plan);
    if !applied.plan.is_empty() {
        println!("Applied.");
    }
    Ok(())
}
