use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Lanyard: an OAuth 2.0 authorization server and OpenID Connect provider that speaks Okta's API dialect.
///
/// Start a server on the embedded SQLite database with `lanyard serve`, then mint a management API token with
/// `lanyard api-token create --name admin` and call `/api/v1/…` with `Authorization: SSWS <token>`.
///
/// Every option can also be set by a `LANYARD_*` environment variable (shown with each option) or in a TOML file
/// given with `--config`; the command line wins over the environment, which wins over the file.
#[derive(Debug, Parser)]
#[command(
    name = "lanyard",
    version,
    propagate_version = true,
    max_term_width = 110
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server. On an empty data dir it creates the database, the org, the org authorization server, the
    /// `default` custom authorization server and their signing keys.
    Serve(Box<ServeArgs>),
    /// Manage management API tokens (`Authorization: SSWS <token>`).
    #[command(subcommand, name = "api-token")]
    ApiToken(ApiTokenCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(KeysCommand),
    /// Administrators of the admin console (`/admin`).
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Create the database or bring it up to date, then exit. `serve` does this by itself at start.
    Migrate(StorageArgs),
    /// Write the org as one YAML file (configuration as code).
    ///
    /// The file (`apiVersion: lanyard/v1`) holds groups, users (no password hashes, factors or
    /// recovery data; a password-holding user's password as `${env:PASSWORD_<LOGIN>}`), apps (catalog instances as
    /// their key and variables) and their assignments, authorization servers with their scopes, claims, access
    /// policies and rules, sign-on policies and rules, trusted origins. Objects are named by natural keys (login,
    /// group name, app label, server name, policy name, origin), so the file moves between instances.
    Export(ExportArgs),
    /// Print what `apply -f FILE` would change: per object, create, update (the fields that differ) or delete.
    Plan(ApplyArgs),
    /// Make the org match FILE; a second apply changes nothing.
    ///
    /// Every change goes through the management API's own operations (in this process). Secrets (user passwords, client secrets) come only from `${env:NAME}` references; a missing variable
    /// fails before anything changes.
    Apply(ApplyArgs),
    /// Work on integration catalog entries: check a manifest, or play an app's part against a running server.
    #[command(subcommand)]
    Catalog(CatalogCommand),
    /// Tools for operators and benchmarks, not for everyday use: bulk-seed users, measure the password hash rate.
    #[command(subcommand, hide = true)]
    Dev(DevCommand),
}

/// Where the data is. Shared by every command.
#[derive(Debug, Args, Clone)]
pub struct StorageArgs {
    /// A TOML file with any of the options below (snake_case keys, e.g. `data_dir = "/var/lib/lanyard"`).
    #[arg(long, env = "LANYARD_CONFIG", value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Directory for the SQLite database and the master key [default: ./lanyard-data].
    #[arg(long, env = "LANYARD_DATA_DIR", value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// A `postgres://` URL to keep the data in PostgreSQL instead of SQLite (for several nodes).
    #[arg(
        long,
        env = "LANYARD_DATABASE_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub database_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to FILE instead of stdout.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub storage: StorageArgs,
}

#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The org's YAML file (as `lanyard export` writes it).
    #[arg(short, long, value_name = "FILE")]
    pub file: PathBuf,
    /// Also delete what the file does not name (never the org authorization server or the built-in `Everyone`
    /// group, which cannot be deleted).
    #[arg(long)]
    pub prune: bool,
    #[command(flatten)]
    pub storage: StorageArgs,
}

#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

/// Who may register clients at `/oauth2/v1/clients`.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RegistrationMode {
    /// Callers with a management API token only.
    Token,
    /// Anyone, without a token.
    Open,
}

#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub storage: StorageArgs,
    /// A disposable instance for tests and CI: a temporary data dir (removed at exit; `--data-dir` and
    /// `--database-url` are refused) where FILE (as `lanyard apply` takes it) is applied before the server starts
    /// listening. Client ids and secrets come from the file, so a test suite can hard-code them. Passwords are
    /// hashed at test strength and RSA keys come from a stock in ~/.cache/lanyard (docs/config-as-code.md).
    #[arg(long, env = "LANYARD_SEED", value_name = "FILE")]
    pub seed: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "LANYARD_LISTEN", value_name = "ADDR")]
    pub listen: Option<String>,
    /// The public URL clients reach the server at; issuers derive from it [default: http:// + the listen address].
    #[arg(long, env = "LANYARD_BASE_URL", value_name = "URL")]
    pub base_url: Option<String>,
    /// Log format on stderr [default: text].
    #[arg(long, env = "LANYARD_LOG_FORMAT", value_name = "FORMAT")]
    pub log_format: Option<LogFormat>,
    /// The organisation's name, set on first start [default: Lanyard].
    #[arg(long, env = "LANYARD_ORG_NAME", value_name = "NAME")]
    pub org_name: Option<String>,
    /// Management API requests per minute per token, per node [default: 6000].
    #[arg(long, env = "LANYARD_API_RATE_LIMIT", value_name = "N")]
    pub api_rate_limit: Option<u32>,
    /// Sign-in attempts (Authn API and sign-in page `POST`s) per minute per client IP, per node; 0 turns off this
    /// limit and the growing waits after repeated failures from one address (behind a proxy every client shares
    /// its address) [default: 60].
    #[arg(long, env = "LANYARD_SIGNIN_RATE_LIMIT", value_name = "N")]
    pub signin_rate_limit: Option<u32>,
    /// Rotate signing keys automatically this often, e.g. `90d`, `12h`, or `off` [default: 90d].
    #[arg(long, env = "LANYARD_KEY_ROTATION_INTERVAL", value_name = "DURATION")]
    pub key_rotation_interval: Option<String>,
    /// Delete expired codes, tokens, sessions and other short-lived records this often, e.g. `10m`, `1h`, or `off`
    /// [default: 10m].
    #[arg(long, env = "LANYARD_SWEEP_INTERVAL", value_name = "DURATION")]
    pub sweep_interval: Option<String>,
    /// How often the key schedule runs (for tests) [default: 60s].
    #[arg(
        long,
        env = "LANYARD_KEY_CHECK_INTERVAL",
        value_name = "DURATION",
        hide = true
    )]
    pub key_check_interval: Option<String>,
    /// Who may register OAuth clients at `/oauth2/v1/clients` (RFC 7591): `token` (a management API token, as
    /// `SSWS` or as a `Bearer` initial access token) or `open` (anyone) [default: token].
    #[arg(long, env = "LANYARD_REGISTRATION", value_name = "MODE")]
    pub registration: Option<RegistrationMode>,
    /// Largest request body in bytes [default: 1048576].
    #[arg(long, env = "LANYARD_MAX_BODY_BYTES", value_name = "BYTES")]
    pub max_body_bytes: Option<usize>,
    /// Networks that requests to URLs others named (a client's `jwks_uri`, `sector_identifier_uri`, `request_uri`,
    /// an app's `backchannel_logout_uri`) may reach beyond the public internet: comma-separated addresses or
    /// networks (`10.0.0.0/8,fd00::/8`), or `loopback`. For labs and tests [default: none: public addresses only].
    #[arg(long, env = "LANYARD_OUTBOUND_ALLOW", value_name = "LIST")]
    pub outbound_allow: Option<String>,
    /// Serve `/metrics` (Prometheus) on this address only, e.g. `127.0.0.1:9090`, instead of on `--listen` with
    /// everything else [default: on --listen].
    #[arg(long, env = "LANYARD_METRICS_LISTEN", value_name = "ADDR")]
    pub metrics_listen: Option<String>,
    /// Send email (activation, password reset, lockout) through this SMTP server: `smtp://user:pass@host:587`
    /// (STARTTLS), `smtps://user:pass@host:465` (TLS), or `smtp://localhost:1025?tls=none` (a local test server).
    /// Prefer the environment variable: a command line is visible to other users [default: none; messages are
    /// written to the data dir's `outbox/` folder].
    #[arg(
        long,
        env = "LANYARD_SMTP_URL",
        value_name = "URL",
        hide_env_values = true
    )]
    pub smtp_url: Option<String>,
    /// The From of email: `noreply@example.com` or `"Example <noreply@example.com>"` [default: noreply@ + the base
    /// URL's host].
    #[arg(long, env = "LANYARD_EMAIL_FROM", value_name = "ADDRESS")]
    pub email_from: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum ApiTokenCommand {
    /// Mint a token and print only the token on stdout. Works while a server runs on the same data.
    Create {
        /// A name to tell the token apart by.
        #[arg(long)]
        name: String,
        /// Make the token expire after this long, e.g. `30d` [default: never].
        #[arg(long, value_name = "DURATION")]
        expires_in: Option<String>,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// List tokens (id, name, created, last used); the tokens themselves are never stored.
    List {
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Revoke a token by id.
    Revoke {
        /// The token's id (`00T…`), as `list` shows it.
        id: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Make a user an administrator of the console, creating the user when no user has this login. Without
    /// `--password-stdin` a new user gets an activation link (printed on stdout, valid 7 days) to choose a password
    /// in the browser; an existing user keeps theirs. Running it again changes nothing. Works while a server runs on
    /// the same data.
    Create {
        /// The administrator's login, an email address (also the new user's email).
        #[arg(long)]
        login: String,
        /// A new user's first name.
        #[arg(long, value_name = "NAME")]
        first_name: Option<String>,
        /// A new user's last name.
        #[arg(long, value_name = "NAME")]
        last_name: Option<String>,
        /// The role: SUPER_ADMIN or ORG_ADMIN may change things, READ_ONLY_ADMIN only look.
        #[arg(long, default_value = "SUPER_ADMIN", value_parser = ["SUPER_ADMIN", "ORG_ADMIN", "READ_ONLY_ADMIN"])]
        role: String,
        /// Read a new user's password from the first line of stdin (checked against the password policy) instead
        /// of printing an activation link.
        #[arg(long)]
        password_stdin: bool,
        /// The URL browsers reach the server at, for the activation link [default: the config file's `base_url`,
        /// else http:// + the listen address].
        #[arg(long, env = "LANYARD_BASE_URL", value_name = "URL")]
        base_url: Option<String>,
        /// The server's listen address, for the default base URL [default: 127.0.0.1:8080].
        #[arg(long, env = "LANYARD_LISTEN", value_name = "ADDR")]
        listen: Option<String>,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Rotate signing keys now: each ACTIVE key retires (still published until every token it signed has expired),
    /// the published NEXT key becomes ACTIVE, and a new NEXT key is made.
    Rotate {
        /// The authorization server (`org`, `default`, or a custom server's id) [default: all].
        #[arg(long, value_name = "ID")]
        auth_server: Option<String>,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// List signing keys with their status.
    List {
        /// The authorization server [default: all].
        #[arg(long, value_name = "ID")]
        auth_server: Option<String>,
        #[command(flatten)]
        storage: StorageArgs,
    },
}

/// `lanyard catalog …`.
#[derive(Debug, Subcommand)]
pub enum CatalogCommand {
    /// Check manifests (`catalog/<name>.toml`) as the catalog does: the schema, every template rendered, URLs
    /// well-formed, scopes, claims and client authentication methods known, the client its examples make accepted.
    /// Problems are printed as `FILE:LINE: field: message`; the exit status is non-zero if any file has one.
    Validate {
        /// Manifest files.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<PathBuf>,
    },
    /// Play each app's part against a running Lanyard: make the app (a catalog entry by NAME, or a manifest FILE
    /// not yet in the catalog) with its example variables, a user and a group assigned to it, then sign in through
    /// its redirect URI with its scopes, PKCE and client authentication, exchange the code, check the ID token and
    /// the claims the app reads, call userinfo, refresh (rotation and reuse detection) and log out where the app
    /// uses them. Each step is reported pass or fail; what was made is removed afterwards. The exit status is
    /// non-zero if any step failed.
    Test(CatalogTestArgs),
}

#[derive(Debug, Args)]
pub struct CatalogTestArgs {
    /// Catalog entries (by key, as the server offers them) or manifest files (paths ending in `.toml`).
    #[arg(value_name = "NAME|FILE", required_unless_present = "all")]
    pub targets: Vec<String>,
    /// Every entry of the server's catalog.
    #[arg(long, conflicts_with = "targets")]
    pub all: bool,
    /// The server's public URL.
    #[arg(long, env = "LANYARD_BASE_URL", value_name = "URL")]
    pub base_url: String,
    /// A management API token (`lanyard api-token create`).
    #[arg(
        long,
        env = "LANYARD_API_TOKEN",
        value_name = "TOKEN",
        hide_env_values = true
    )]
    pub token: String,
    /// A variable's value instead of the entry's example, e.g. `--var baseUrl=https://grafana.test` (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// Leave the app, user and group in place afterwards (to look at them).
    #[arg(long)]
    pub keep: bool,
}

/// `lanyard dev …` (hidden from `--help`).
#[derive(Debug, Subcommand)]
pub enum DevCommand {
    /// Bulk-create ACTIVE users that share one password, hashed once.
    ///
    /// Creates `--count` users `<prefix>000001@<domain>` … (at least six digits, more when the count needs them),
    /// as the users API would create them with a password, except that the Argon2id hash (at the server's
    /// parameters) is computed once and shared, and nothing goes to the system log; in transactions of 100,000
    /// users. Prints `seeded=N seconds=S users_per_second=R first=LOGIN last=LOGIN`. On SQLite, run it while no
    /// server runs on the data dir.
    #[command(name = "seed-users")]
    SeedUsers {
        /// How many users.
        #[arg(long, value_name = "N")]
        count: u64,
        /// Their password; checked against the password policy as the users API would.
        #[arg(
            long,
            env = "LANYARD_SEED_PASSWORD",
            value_name = "PASSWORD",
            hide_env_values = true
        )]
        password: String,
        /// The start of each login.
        #[arg(long, default_value = "bench", value_name = "PREFIX")]
        prefix: String,
        /// The domain of each login.
        #[arg(long, default_value = "example.com", value_name = "DOMAIN")]
        domain: String,
        #[command(flatten)]
        storage: StorageArgs,
    },
    /// Measure Argon2id password verifications per second.
    ///
    /// Verifies through the server's own hasher, as many at once as it allows (one per CPU this process may use),
    /// and prints `hashes_per_second=… ms_per_hash=… hashes=… seconds=… concurrency=… params=…`, and on Linux
    /// `cpu_seconds=… cpu_share=… hashes_per_cpu_second=…`. Pin it (`taskset -c 0`) to measure one core.
    #[command(name = "hash-rate")]
    HashRate {
        /// How long to measure, after one warm-up verification per hashing thread.
        #[arg(long, default_value_t = 5.0, value_name = "SECONDS")]
        seconds: f64,
    },
    /// Measure JWT signatures (and verifications) per second, per algorithm, on one thread.
    ///
    /// For each of RS256, ES256 and EdDSA: a fresh key signs an access token shaped like the token endpoint's
    /// (`lanyard_core::crypto::jws::sign`: header and claims serialised, Base64url, signed) in a loop for
    /// `--seconds`, then verifies one such token (parse, signature) in a loop for `--seconds`. Prints one line per
    /// algorithm: `alg=… signs_per_second=… us_per_sign=… verifies_per_second=… cpu_share=…`, and on Linux
    /// `signs_per_cpu_second=… verifies_per_cpu_second=…` (per second of the measuring thread's own CPU time, steadier
    /// on a shared machine). Pin it (`taskset -c 0`) to measure one core.
    #[command(name = "sign-rate")]
    SignRate {
        /// How long to sign, and then to verify, per algorithm.
        #[arg(long, default_value_t = 3.0, value_name = "SECONDS")]
        seconds: f64,
    },
}
