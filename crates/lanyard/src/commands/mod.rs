mod admin;
mod api_token;
mod catalog;
mod config_as_code;
mod dev;
mod keys;
mod serve;

use std::sync::Arc;

use anyhow::Context;
use lanyard_core::store::Store;

use crate::cli::{Cli, Command, StorageArgs};
use crate::config::{FileConfig, Storage};

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve(args) => serve::run(*args).await,
        Command::ApiToken(cmd) => api_token::run(cmd).await,
        Command::Keys(cmd) => keys::run(cmd).await,
        Command::Admin(cmd) => admin::run(cmd).await,
        Command::Catalog(cmd) => catalog::run(cmd).await,
        Command::Dev(cmd) => dev::run(cmd).await,
        Command::Export(args) => config_as_code::export(args).await,
        Command::Plan(args) => config_as_code::plan(args).await,
        Command::Apply(args) => config_as_code::apply(args).await,
        Command::Migrate(storage) => {
            init_cli_logging();
            let (storage, store) = open(&storage).await?;
            println!("{} is up to date", storage.database.describe());
            drop(store);
            Ok(())
        }
    }
}

/// Warnings and errors only, on stderr: a CLI command's stdout is for its answer.
fn init_cli_logging() {
    let _ = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .try_init();
}

/// Resolves the storage options, creates the data dir, opens and migrates the database.
async fn open(args: &StorageArgs) -> anyhow::Result<(Storage, Arc<dyn Store>)> {
    let file = FileConfig::load(args.config.as_deref())?;
    let storage = Storage::resolve(args, &file)?;
    storage.prepare_data_dir()?;
    let store = lanyard_store::open(&storage.database, 4)
        .await
        .with_context(|| format!("cannot open {}", storage.database.describe()))?;
    Ok((storage, store))
}
