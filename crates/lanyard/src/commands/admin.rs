//! `lanyard admin create`: the console's first administrator ([`administrators::make`]), on the data dir directly,
//! as `api-token create` works — the only door open before anyone can sign in to `/admin`.

use std::io::BufRead;

use anyhow::{Context, bail};
use lanyard_core::clock::{Clock, SystemClock};
use lanyard_core::directory::accounts::{AccountError, Env};
use lanyard_core::directory::administrators::{self, Refused, Wanted};
use lanyard_core::directory::roles::RoleRefused;
use lanyard_core::model::RoleType;
use lanyard_core::password::PasswordPolicy;
use lanyard_core::password::choose::InlineHashing;
use lanyard_core::password::hash::Params;
use lanyard_core::random::SystemRandom;
use lanyard_core::syslog::Party;

use crate::cli::AdminCommand;
use crate::config::FileConfig;

pub async fn run(cmd: AdminCommand) -> anyhow::Result<()> {
    super::init_cli_logging();
    let AdminCommand::Create {
        login,
        first_name,
        last_name,
        role,
        password_stdin,
        base_url,
        listen,
        storage,
    } = cmd;
    let role = RoleType::parse(&role).with_context(|| format!("--role {role}"))?;
    let file = FileConfig::load(storage.config.as_deref())?;
    let base = match base_url.or(file.base_url) {
        Some(url) => crate::config::validate_base_url(&url)?,
        None => format!(
            "http://{}",
            listen
                .or(file.listen)
                .as_deref()
                .unwrap_or("127.0.0.1:8080")
        ),
    };
    let password = if password_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from stdin")?;
        let line = line.trim_end_matches(['\r', '\n']).to_owned();
        if line.is_empty() {
            bail!("--password-stdin: stdin gave no password");
        }
        Some(line)
    } else {
        None
    };

    let (_, store) = super::open(&storage).await?;
    let hashing = InlineHashing {
        params: Params::OWASP,
        random: &SystemRandom,
    };
    let policy = PasswordPolicy::default();
    let env = Env {
        clock: &SystemClock,
        random: &SystemRandom,
        hashing: &hashing,
        password_policy: &policy,
    };
    let wanted = Wanted {
        login: login.trim(),
        first_name: first_name.as_deref(),
        last_name: last_name.as_deref(),
        password: password.as_deref(),
        role,
    };
    let made = administrators::make(store.as_ref(), env, wanted)
        .await
        .map_err(explain)?;

    let actor = Party::new(
        "lanyard-cli",
        "SystemPrincipal",
        "lanyard admin create",
        "Lanyard command line",
    );
    let now = SystemClock.now();
    let events: Vec<_> = made
        .changes
        .iter()
        .map(|c| c.event(actor.clone(), now, &SystemRandom))
        .collect();
    store
        .insert_log_events(&events)
        .await
        .context("cannot write the system log")?;

    let who = &made.user.login;
    match (made.created, made.role.is_some()) {
        (true, _) => eprintln!(
            "Created {who} ({}) with the role {}.",
            made.user.id,
            role.as_str()
        ),
        (false, true) => eprintln!("{who} now holds the role {}.", role.as_str()),
        (false, false) if made.activation.is_some() => eprintln!(
            "{who} already holds the role {} but has not chosen a password yet: a new activation link \
             follows (the earlier ones no longer work).",
            role.as_str()
        ),
        (false, false) => eprintln!(
            "{who} already holds the role {}; nothing changed.",
            role.as_str()
        ),
    }
    match &made.activation {
        Some(link) => {
            eprintln!(
                "Open this link (valid 7 days, once) to choose a password, then sign in at {base}/admin:"
            );
            println!("{base}/welcome/{}", link.value);
        }
        None => eprintln!("Sign in at {base}/admin."),
    }
    Ok(())
}

/// A refusal, said in the command's own terms.
fn explain(r: Refused) -> anyhow::Error {
    match r {
        Refused::PasswordForExistingUser => anyhow::anyhow!(
            "a user with this login exists and keeps their password; leave out --password-stdin"
        ),
        Refused::Account(AccountError::InvalidProfile(causes)) => anyhow::anyhow!(
            "a new user needs a valid profile (--first-name, --last-name, --login as an email address): {}",
            causes.join("; ")
        ),
        Refused::Account(AccountError::PasswordRejected(causes)) => {
            anyhow::anyhow!("the password was refused: {}", causes.join("; "))
        }
        Refused::Account(AccountError::LoginTaken) => {
            anyhow::anyhow!("another user has this login")
        }
        Refused::Account(e) => anyhow::anyhow!("cannot create the user: {e:?}"),
        Refused::Role(RoleRefused::Store(e)) => anyhow::anyhow!("cannot assign the role: {e}"),
        Refused::Role(e) => anyhow::anyhow!("cannot assign the role: {e:?}"),
    }
}
