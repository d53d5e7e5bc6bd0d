//! Settings resolved from the command line, `LANYARD_*` variables (clap reads both) and the TOML file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use lanyard_server::email::{Mailbox, SmtpSettings};
use lanyard_store::Database;
use serde::Deserialize;

use crate::cli::{LogFormat, RegistrationMode, ServeArgs, StorageArgs};

/// The TOML file: every option, snake_case.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileConfig {
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub listen: Option<String>,
    pub base_url: Option<String>,
    pub log_format: Option<LogFormat>,
    pub org_name: Option<String>,
    pub api_rate_limit: Option<u32>,
    pub signin_rate_limit: Option<u32>,
    pub key_rotation_interval: Option<String>,
    pub sweep_interval: Option<String>,
    pub max_body_bytes: Option<usize>,
    pub registration: Option<RegistrationMode>,
    pub outbound_allow: Option<String>,
    pub metrics_listen: Option<String>,
    pub smtp_url: Option<String>,
    pub email_from: Option<String>,
}

impl FileConfig {
    pub fn load(path: Option<&Path>) -> anyhow::Result<Self> {
        let Some(path) = path else {
            return Ok(FileConfig::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read config file {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("invalid config file {}", path.display()))
    }
}

/// Where the data lives, resolved.
#[derive(Debug, Clone)]
pub struct Storage {
    pub data_dir: PathBuf,
    pub database: Database,
}

pub const DEFAULT_DATA_DIR: &str = "./lanyard-data";
pub const DB_FILE: &str = "lanyard.db";

impl Storage {
    pub fn resolve(args: &StorageArgs, file: &FileConfig) -> anyhow::Result<Self> {
        let data_dir = args
            .data_dir
            .clone()
            .or_else(|| file.data_dir.clone())
            .unwrap_or_else(|| DEFAULT_DATA_DIR.into());
        let url = args
            .database_url
            .clone()
            .or_else(|| file.database_url.clone())
            .filter(|u| !u.trim().is_empty());
        let database = match url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Database::Postgres(url)
            }
            Some(other) => bail!(
                "--database-url must be a postgres:// URL (got {:?}); leave it out to use SQLite in the data dir",
                lanyard_store::redact_url(&other)
            ),
            None => Database::Sqlite(data_dir.join(DB_FILE)),
        };
        Ok(Storage { data_dir, database })
    }

    /// Creates the data dir (0700) if missing.
    pub fn prepare_data_dir(&self) -> anyhow::Result<()> {
        if !self.data_dir.exists() {
            std::fs::create_dir_all(&self.data_dir)
                .with_context(|| format!("cannot create data dir {}", self.data_dir.display()))?;
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let _ = std::fs::set_permissions(
                    &self.data_dir,
                    std::fs::Permissions::from_mode(0o700),
                );
            }
        }
        Ok(())
    }
}

/// `serve`'s settings, resolved.
#[derive(Debug, Clone)]
pub struct ServeConfig {
    pub storage: Storage,
    pub listen: String,
    pub base_url: Option<String>,
    pub log_format: LogFormat,
    pub org_name: String,
    pub api_rate_limit: u32,
    /// Sign-in attempts per minute per client IP; 0: no limit.
    pub signin_rate_limit: u32,
    pub key_rotation_interval: Option<chrono::Duration>,
    pub key_check_interval: chrono::Duration,
    /// How often expired records are deleted; `None`: never.
    pub sweep_interval: Option<chrono::Duration>,
    pub max_body_bytes: usize,
    /// Who may register clients dynamically.
    pub registration: lanyard_server::config::Registration,
    /// Where outbound requests may go beyond the public internet.
    pub outbound: lanyard_core::outbound::OutboundPolicy,
    /// Where `/metrics` is served instead of `listen`.
    pub metrics_listen: Option<String>,
    /// `None`: email goes to the data dir's outbox.
    pub smtp: Option<SmtpSettings>,
    /// `None`: `noreply@` the base URL's host.
    pub email_from: Option<Mailbox>,
}

impl ServeConfig {
    pub fn resolve(args: &ServeArgs) -> anyhow::Result<Self> {
        let file = FileConfig::load(args.storage.config.as_deref())?;
        let storage = Storage::resolve(&args.storage, &file)?;
        let rotation = args
            .key_rotation_interval
            .clone()
            .or(file.key_rotation_interval.clone())
            .unwrap_or_else(|| "90d".into());
        let key_rotation_interval = crate::duration::parse(&rotation)
            .map_err(|e| anyhow::anyhow!("--key-rotation-interval: {e}"))?;
        let sweep = args
            .sweep_interval
            .clone()
            .or(file.sweep_interval.clone())
            .unwrap_or_else(|| "10m".into());
        let sweep_interval = crate::duration::parse(&sweep)
            .map_err(|e| anyhow::anyhow!("--sweep-interval: {e}"))?
            .filter(|d| *d > chrono::Duration::zero());
        let check = args
            .key_check_interval
            .clone()
            .unwrap_or_else(|| "60s".into());
        let key_check_interval = crate::duration::parse(&check)
            .map_err(|e| anyhow::anyhow!("--key-check-interval: {e}"))?
            .unwrap_or(chrono::Duration::seconds(60));
        let base_url = args
            .base_url
            .clone()
            .or(file.base_url.clone())
            .map(|u| validate_base_url(&u))
            .transpose()?;
        let smtp = args
            .smtp_url
            .clone()
            .or(file.smtp_url.clone())
            .filter(|u| !u.trim().is_empty())
            .map(|u| SmtpSettings::parse(&u))
            .transpose()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let email_from = args
            .email_from
            .clone()
            .or(file.email_from.clone())
            .filter(|a| !a.trim().is_empty())
            .map(|a| lanyard_server::email::parse_from(&a))
            .transpose()
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let outbound = args
            .outbound_allow
            .clone()
            .or(file.outbound_allow.clone())
            .unwrap_or_default()
            .parse()
            .map_err(|e| anyhow::anyhow!("--outbound-allow: {e}"))?;
        Ok(ServeConfig {
            outbound,
            metrics_listen: args
                .metrics_listen
                .clone()
                .or(file.metrics_listen.clone())
                .filter(|a| !a.trim().is_empty()),
            storage,
            listen: args
                .listen
                .clone()
                .or(file.listen.clone())
                .unwrap_or_else(|| "127.0.0.1:8080".into()),
            base_url,
            log_format: args
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Text),
            org_name: args
                .org_name
                .clone()
                .or(file.org_name.clone())
                .unwrap_or_else(|| "Lanyard".into()),
            api_rate_limit: args.api_rate_limit.or(file.api_rate_limit).unwrap_or(6000),
            signin_rate_limit: args
                .signin_rate_limit
                .or(file.signin_rate_limit)
                .unwrap_or(lanyard_server::config::DEFAULT_SIGNIN_RATE_LIMIT),
            key_rotation_interval,
            key_check_interval,
            sweep_interval,
            max_body_bytes: args
                .max_body_bytes
                .or(file.max_body_bytes)
                .unwrap_or(1024 * 1024),
            registration: match args.registration.or(file.registration) {
                Some(RegistrationMode::Open) => lanyard_server::config::Registration::Open,
                Some(RegistrationMode::Token) | None => lanyard_server::config::Registration::Token,
            },
            smtp,
            email_from,
        })
    }

    /// The public URL: the configured one, or `http://` and the bound address.
    pub fn effective_base_url(&self, bound: SocketAddr) -> String {
        self.base_url
            .clone()
            .unwrap_or_else(|| format!("http://{bound}"))
    }
}

/// An absolute http(s) URL without query, fragment or credentials; the trailing slash removed.
pub fn validate_base_url(url: &str) -> anyhow::Result<String> {
    let parsed =
        url::Url::parse(url).with_context(|| format!("--base-url {url:?} is not a URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        bail!("--base-url must start with https:// (or http:// for local use), got {url:?}");
    }
    if parsed.query().is_some()
        || parsed.fragment().is_some()
        || !parsed.username().is_empty()
        || parsed.password().is_some()
    {
        bail!("--base-url must not have a query, a fragment or credentials: {url:?}");
    }
    if parsed.host_str().is_none() {
        bail!("--base-url needs a host: {url:?}");
    }
    Ok(url.trim_end_matches('/').to_owned())
}

/// The addresses a listen option (`HOST:PORT`: `127.0.0.1:8080`, `[::1]:8080`, `localhost:8080`) names; an error
/// that says what is expected and where the value came from (`option` or `env`).
pub async fn listen_addrs(value: &str, option: &str, env: &str) -> anyhow::Result<Vec<SocketAddr>> {
    let expected = || {
        anyhow::anyhow!(
            "{option} {value}: expected HOST:PORT such as 127.0.0.1:8080 ({option} or {env})"
        )
    };
    if let Ok(addr) = value.parse::<SocketAddr>() {
        return Ok(vec![addr]);
    }
    // A name and a port: the port must be a number, the name must resolve.
    let (host, port) = value.rsplit_once(':').ok_or_else(expected)?;
    if host.is_empty() || host.contains(['/', ' ', '[', ']']) || port.parse::<u16>().is_err() {
        return Err(expected());
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(value)
        .await
        .map_err(|_| {
            anyhow::anyhow!(
                "{option} {value}: the name {host:?} does not resolve; use an address such as 127.0.0.1:{port} \
                 ({option} or {env})"
            )
        })?
        .collect();
    if addrs.is_empty() {
        return Err(expected());
    }
    Ok(addrs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn listen_addresses_are_host_and_port_with_errors_that_say_so() {
        let one =
            |v: &'static str| async move { listen_addrs(v, "--listen", "LANYARD_LISTEN").await };
        assert_eq!(
            one("127.0.0.1:8080").await.unwrap(),
            vec!["127.0.0.1:8080".parse().unwrap()]
        );
        assert_eq!(one("[::1]:0").await.unwrap().len(), 1);
        assert!(!one("localhost:8080").await.unwrap().is_empty());
        for bad in [
            "nonsense",
            "127.0.0.1",
            "127.0.0.1:http",
            ":8080",
            "127.0.0.1:99999",
            "http://x:1",
        ] {
            let e = one(bad).await.unwrap_err().to_string();
            assert_eq!(
                e,
                format!(
                    "--listen {bad}: expected HOST:PORT such as 127.0.0.1:8080 (--listen or LANYARD_LISTEN)"
                ),
            );
        }
    }

    #[test]
    fn base_urls_are_checked_and_normalised() {
        assert_eq!(
            validate_base_url("https://id.example.com/").unwrap(),
            "https://id.example.com"
        );
        assert_eq!(
            validate_base_url("http://127.0.0.1:8080/sso").unwrap(),
            "http://127.0.0.1:8080/sso"
        );
        assert!(validate_base_url("ftp://x").is_err());
        assert!(validate_base_url("https://x/?a=b").is_err());
        assert!(validate_base_url("https://u:p@x").is_err());
        assert!(validate_base_url("nope").is_err());
    }

    #[test]
    fn email_settings_come_from_the_command_line_or_the_file() {
        use clap::Parser;
        let serve = |argv: &[&str]| match crate::cli::Cli::try_parse_from(argv).unwrap().command {
            crate::cli::Command::Serve(args) => ServeConfig::resolve(&args),
            _ => unreachable!(),
        };
        let c = serve(&[
            "lanyard",
            "serve",
            "--smtp-url",
            "smtps://mailer:hunter2@mail.example.com",
            "--email-from",
            "Example <id@example.com>",
        ])
        .unwrap();
        assert_eq!(
            c.smtp.unwrap().to_string(),
            "smtps://mailer@mail.example.com:465"
        );
        assert_eq!(
            c.email_from.unwrap().to_string(),
            "Example <id@example.com>"
        );
        let error = serve(&["lanyard", "serve", "--smtp-url", "http://u:hunter2@h"])
            .unwrap_err()
            .to_string();
        assert!(
            error.contains("--smtp-url") && !error.contains("hunter2"),
            "{error}"
        );
        assert!(serve(&["lanyard", "serve", "--email-from", "nope"]).is_err());
        let file: FileConfig =
            toml::from_str("smtp_url = \"smtp://h\"\nemail_from = \"a@example.com\"").unwrap();
        assert_eq!(file.smtp_url.as_deref(), Some("smtp://h"));
        assert_eq!(file.email_from.as_deref(), Some("a@example.com"));
    }

    #[test]
    fn the_sign_in_rate_limit_comes_from_the_command_line_or_the_file() {
        use clap::Parser;
        let serve = |argv: &[&str]| match crate::cli::Cli::try_parse_from(argv).unwrap().command {
            crate::cli::Command::Serve(args) => ServeConfig::resolve(&args).unwrap(),
            _ => unreachable!(),
        };
        assert_eq!(serve(&["lanyard", "serve"]).signin_rate_limit, 60);
        assert_eq!(
            serve(&["lanyard", "serve", "--signin-rate-limit", "3"]).signin_rate_limit,
            3
        );
        assert_eq!(
            serve(&["lanyard", "serve", "--signin-rate-limit", "0"]).signin_rate_limit,
            0
        );
        assert!(
            crate::cli::Cli::try_parse_from(["lanyard", "serve", "--signin-rate-limit", "-1"])
                .is_err()
        );
        let file: FileConfig = toml::from_str("signin_rate_limit = 20").unwrap();
        assert_eq!(file.signin_rate_limit, Some(20));
    }

    #[test]
    fn the_sweep_interval_comes_from_the_command_line_or_the_file() {
        use clap::Parser;
        let serve = |argv: &[&str]| match crate::cli::Cli::try_parse_from(argv).unwrap().command {
            crate::cli::Command::Serve(args) => ServeConfig::resolve(&args),
            _ => unreachable!(),
        };
        assert_eq!(
            serve(&["lanyard", "serve"]).unwrap().sweep_interval,
            Some(chrono::Duration::minutes(10))
        );
        assert_eq!(
            serve(&["lanyard", "serve", "--sweep-interval", "1h"])
                .unwrap()
                .sweep_interval,
            Some(chrono::Duration::hours(1))
        );
        assert_eq!(
            serve(&["lanyard", "serve", "--sweep-interval", "off"])
                .unwrap()
                .sweep_interval,
            None
        );
        let error = serve(&["lanyard", "serve", "--sweep-interval", "soon"])
            .unwrap_err()
            .to_string();
        assert!(error.contains("--sweep-interval"), "{error}");
        let file: FileConfig = toml::from_str("sweep_interval = \"30m\"").unwrap();
        assert_eq!(file.sweep_interval.as_deref(), Some("30m"));
    }

    #[test]
    fn registration_is_token_only_unless_opened() {
        use clap::Parser;
        use lanyard_server::config::Registration;
        let serve = |argv: &[&str]| match crate::cli::Cli::try_parse_from(argv).unwrap().command {
            crate::cli::Command::Serve(args) => ServeConfig::resolve(&args).unwrap(),
            _ => unreachable!(),
        };
        assert_eq!(
            serve(&["lanyard", "serve"]).registration,
            Registration::Token
        );
        assert_eq!(
            serve(&["lanyard", "serve", "--registration", "open"]).registration,
            Registration::Open
        );
        assert!(
            crate::cli::Cli::try_parse_from(["lanyard", "serve", "--registration", "maybe"])
                .is_err()
        );
        let file: FileConfig = toml::from_str("registration = \"open\"").unwrap();
        assert_eq!(file.registration, Some(RegistrationMode::Open));
        assert!(toml::from_str::<FileConfig>("registration = \"wide\"").is_err());
    }

    #[test]
    fn the_file_fills_what_the_command_line_leaves_open() {
        let file: FileConfig =
            toml::from_str("data_dir = \"/srv/l\"\ndatabase_url = \"postgres://h/db\"").unwrap();
        let args = StorageArgs {
            config: None,
            data_dir: None,
            database_url: None,
        };
        let s = Storage::resolve(&args, &file).unwrap();
        assert_eq!(s.database, Database::Postgres("postgres://h/db".into()));
        let args = StorageArgs {
            config: None,
            data_dir: Some("/tmp/x".into()),
            database_url: None,
        };
        let s = Storage::resolve(&args, &FileConfig::default()).unwrap();
        assert_eq!(s.database, Database::Sqlite("/tmp/x/lanyard.db".into()));
        assert!(toml::from_str::<FileConfig>("nonsense = 1").is_err());
        let args = StorageArgs {
            config: None,
            data_dir: None,
            database_url: Some("mysql://x".into()),
        };
        assert!(Storage::resolve(&args, &FileConfig::default()).is_err());
    }
}
