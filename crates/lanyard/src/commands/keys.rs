use std::sync::Arc;

use lanyard_core::clock::{SystemClock, okta_format};
use lanyard_core::random::SystemRandom;
use lanyard_core::store::Store;
use lanyard_server::key_admin::{self, KeyMaker};

use crate::cli::KeysCommand;

pub async fn run(cmd: KeysCommand) -> anyhow::Result<()> {
    super::init_cli_logging();
    match cmd {
        KeysCommand::Rotate {
            auth_server,
            storage,
        } => {
            let (storage, store) = super::open(&storage).await?;
            let maker = key_maker(&storage, store.as_ref()).await?;
            for server in servers(store.as_ref(), auth_server.as_deref()).await? {
                let activated = maker.rotate(store.as_ref(), &server).await?;
                println!("{}: now signing with {}", server.id, activated.join(", "));
            }
            eprintln!(
                "Running servers pick up the new keys within a few seconds; the old keys stay published until the tokens they signed expire."
            );
        }
        KeysCommand::List {
            auth_server,
            storage,
        } => {
            let (_, store) = super::open(&storage).await?;
            println!(
                "{:<10}  {:<6}  {:<8}  {:<24}  KID",
                "SERVER", "ALG", "STATUS", "CREATED"
            );
            for server in servers(store.as_ref(), auth_server.as_deref()).await? {
                for k in store.keys(&server.id).await? {
                    println!(
                        "{:<10}  {:<6}  {:<8}  {:<24}  {}",
                        server.id,
                        k.alg.as_str(),
                        k.status.as_str(),
                        okta_format(k.created),
                        k.kid
                    );
                }
            }
        }
    }
    Ok(())
}

async fn key_maker(
    storage: &crate::config::Storage,
    store: &dyn Store,
) -> anyhow::Result<KeyMaker> {
    let master = crate::master_key::load(&storage.data_dir)?;
    crate::master_key::verify(store, &master).await?;
    lanyard_core::bootstrap::bootstrap(store, &SystemClock, &SystemRandom, "Lanyard").await?;
    Ok(KeyMaker {
        master: Arc::new(master),
        random: Arc::new(SystemRandom),
        clock: Arc::new(SystemClock),
        stock: None,
    })
}

async fn servers(
    store: &dyn Store,
    only: Option<&str>,
) -> anyhow::Result<Vec<lanyard_core::model::AuthorizationServer>> {
    let all = key_admin::all_servers(store).await?;
    match only {
        None => Ok(all),
        Some(id) => {
            let found: Vec<_> = all.into_iter().filter(|s| s.id == id).collect();
            anyhow::ensure!(!found.is_empty(), "no authorization server with id {id:?}");
            Ok(found)
        }
    }
}
