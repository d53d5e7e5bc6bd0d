use chrono::Duration;
use lanyard_core::api_token;
use lanyard_core::clock::{Clock, SystemClock, okta_format};
use lanyard_core::model::PageRequest;
use lanyard_core::random::SystemRandom;

use crate::cli::ApiTokenCommand;

pub async fn run(cmd: ApiTokenCommand) -> anyhow::Result<()> {
    super::init_cli_logging();
    match cmd {
        ApiTokenCommand::Create {
            name,
            expires_in,
            storage,
        } => {
            let name = match api_token::check_name(&name) {
                Ok(n) => n,
                Err(_) => anyhow::bail!("--name must have 1 to 255 characters"),
            };
            let expires_in: Option<Duration> = match expires_in {
                Some(text) => crate::duration::parse(&text)
                    .map_err(|e| anyhow::anyhow!("--expires-in: {e}"))?,
                None => None,
            };
            let (_, store) = super::open(&storage).await?;
            let (secret, record) = match api_token::create(
                store.as_ref(),
                &name,
                None,
                expires_in,
                &SystemRandom,
                SystemClock.now(),
            )
            .await
            {
                Ok(made) => made,
                Err(api_token::CreateRefused::Store(e)) => return Err(e.into()),
                Err(api_token::CreateRefused::Name(why)) => anyhow::bail!("--name: {why}"),
            };
            eprintln!(
                "Created API token {} ({name}). It is shown once; keep it safe.",
                record.id
            );
            println!("{}", secret.expose());
        }
        ApiTokenCommand::List { storage } => {
            let (_, store) = super::open(&storage).await?;
            let mut req = PageRequest::first(200);
            println!(
                "{:<20}  {:<24}  {:<24}  {:<24}  NAME",
                "ID", "CREATED", "LAST USED", "EXPIRES"
            );
            loop {
                let page = store.list_api_tokens(&req).await?;
                for t in &page.items {
                    let opt = |v: Option<_>| v.map(okta_format).unwrap_or_else(|| "-".into());
                    println!(
                        "{:<20}  {:<24}  {:<24}  {:<24}  {}",
                        t.id,
                        okta_format(t.created),
                        opt(t.last_used),
                        opt(t.expires_at),
                        t.name
                    );
                }
                match page.next {
                    Some(after) => req.after = Some(after),
                    None => break,
                }
            }
        }
        ApiTokenCommand::Revoke { id, storage } => {
            let (_, store) = super::open(&storage).await?;
            anyhow::ensure!(
                store.delete_api_token(&id).await?,
                "no API token with id {id}"
            );
            eprintln!("Revoked API token {id}.");
        }
    }
    Ok(())
}
