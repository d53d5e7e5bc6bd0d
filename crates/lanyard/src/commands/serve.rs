use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use lanyard_core::clock::SystemClock;
use lanyard_core::random::SystemRandom;
use lanyard_server::email::Mailer;
use lanyard_server::key_admin::KeyMaker;
use lanyard_server::key_stock::KeyStock;
use lanyard_server::{AppState, ServerConfig};
use lanyard_store::Database;
use tokio::net::TcpListener;

use crate::cli::{LogFormat, ServeArgs};
use crate::config::ServeConfig;

pub async fn run(args: ServeArgs) -> anyhow::Result<()> {
    let mut config = ServeConfig::resolve(&args)?;
    init_logging(config.log_format);
    // `--seed`: the file read and its secrets resolved first; the data in a temporary dir removed at exit.
    let seed = match &args.seed {
        Some(file) => {
            anyhow::ensure!(
                args.storage.data_dir.is_none() && args.storage.database_url.is_none(),
                "--seed starts a disposable instance on a temporary data dir; leave out --data-dir and --database-url"
            );
            let doc = super::config_as_code::read(file)?;
            doc.resolve_secrets(|n| std::env::var(n).ok())
                .with_context(|| format!("--seed {}", file.display()))?;
            Some(doc)
        }
        None => None,
    };
    // Everything that can be refused is checked before the data dir is touched: the addresses parsed and bound.
    let listener = bind(&config.listen, "--listen", "LANYARD_LISTEN").await?;
    let metrics_listener = match &config.metrics_listen {
        Some(addr) => Some(bind(addr, "--metrics-listen", "LANYARD_METRICS_LISTEN").await?),
        None => None,
    };
    let _disposable = match &seed {
        Some(_) => {
            let mut builder = tempfile::Builder::new();
            builder.prefix("lanyard-seed-");
            let dir = disposable_parent()
                .and_then(|parent| builder.tempdir_in(parent).ok())
                .map_or_else(|| builder.tempdir(), Ok)
                .context("cannot make a temporary data dir for --seed")?;
            config.storage = crate::config::Storage {
                data_dir: dir.path().to_owned(),
                database: Database::Sqlite(dir.path().join(crate::config::DB_FILE)),
            };
            Some(dir)
        }
        None => None,
    };
    config.storage.prepare_data_dir()?;

    // One server per SQLite data dir: a second would fight the first over the schedule and the database. CLI
    // commands do not take this lock and work alongside.
    let _instance_lock = match &config.storage.database {
        Database::Sqlite(_) => Some(lock_data_dir(&config.storage.data_dir)?),
        Database::Postgres(_) => None,
    };

    let store = lanyard_store::open(&config.storage.database, 16)
        .await
        .with_context(|| format!("cannot open {}", config.storage.database.describe()))?;
    let master = crate::master_key::load(&config.storage.data_dir)?;
    crate::master_key::verify(store.as_ref(), &master).await?;
    let master = Arc::new(master);

    let report = lanyard_core::bootstrap::bootstrap(
        store.as_ref(),
        &SystemClock,
        &SystemRandom,
        &config.org_name,
    )
    .await?;
    if report.created_org {
        tracing::info!(org = %config.org_name, "created the org");
    }
    // A disposable instance takes its RSA keys from the user's stock of keys generated ahead (`key_stock`).
    let key_stock = seed.as_ref().and_then(|_| KeyStock::for_user());
    let mut maker = KeyMaker {
        master: master.clone(),
        random: Arc::new(SystemRandom),
        clock: Arc::new(SystemClock),
        stock: key_stock.clone(),
    };
    // Signing keys first; the NEXT keys (RSA generation is slow) are made by the schedule's first run, just after
    // the server starts answering.
    // Every server's at once (a first start has two; RSA generation runs on blocking threads).
    let mut jobs = tokio::task::JoinSet::new();
    for server in lanyard_server::key_admin::all_servers(store.as_ref()).await? {
        let (maker, store) = (maker.clone(), store.clone());
        jobs.spawn(async move {
            maker
                .ensure_statuses(
                    store.as_ref(),
                    &server.id,
                    &[lanyard_core::model::KeyStatus::Active],
                )
                .await
        });
    }
    let mut created = 0;
    while let Some(done) = jobs.join_next().await {
        created += done??;
    }
    if created > 0 {
        tracing::info!(keys = created, "generated signing keys");
    }

    let bound = listener.local_addr()?;
    let base_url = config.effective_base_url(bound);
    let mut server_config = ServerConfig::new(base_url.clone());
    if let Some(org) = store.org().await? {
        server_config.org_name = org.name;
        server_config.org_id = org.id;
    }
    server_config.api_rate_limit_per_minute = config.api_rate_limit;
    server_config.signin_rate_limit_per_minute = config.signin_rate_limit;
    server_config.key_rotation_interval = config.key_rotation_interval;
    server_config.max_body_bytes = config.max_body_bytes;
    server_config.registration = config.registration;
    server_config.outbound = config.outbound.clone();
    if !config.outbound.is_default() {
        tracing::warn!(allowed = %config.outbound, "outbound requests may reach networks beyond the public internet");
    }
    server_config.metrics_on_main = metrics_listener.is_none();
    if seed.is_some() {
        // A disposable instance's passwords live in a temporary database deleted at exit: hashed at test strength.
        server_config.password_params = lanyard_core::password::hash::Params::DISPOSABLE;
        server_config.key_stock = key_stock;
    }
    if config.registration == lanyard_server::config::Registration::Open {
        tracing::warn!(
            "open dynamic client registration: anyone may register OAuth clients at /oauth2/v1/clients"
        );
    }
    server_config.key_maintenance_every = config
        .key_check_interval
        .to_std()
        .unwrap_or(Duration::from_secs(60));
    server_config.mailer = Mailer::from_settings(
        config.smtp.clone(),
        config.email_from.clone(),
        &base_url,
        &config.storage.data_dir,
    )
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let state = AppState::new(
        store.clone(),
        server_config.clone(),
        Arc::new(SystemClock),
        Arc::new(SystemRandom),
        master,
    );

    if let Some(doc) = &seed {
        let started = std::time::Instant::now();
        let applied =
            crate::config_as_code::apply_state(&state, doc, |n| std::env::var(n).ok(), false)
                .await
                .context("--seed")?;
        tracing::info!(
            changes = applied.plan.changes.len(),
            ms = started.elapsed().as_millis() as u64,
            "applied the seed file"
        );
    }

    // The schedule makes the NEXT keys just after start with fresh ones (nothing waits for them), then refills the
    // stock.
    let stock = maker.stock.take();
    tokio::spawn(key_schedule(state.clone(), maker, stock));
    if let Some(every) = config.sweep_interval.and_then(|d| d.to_std().ok()) {
        tokio::spawn(sweep_schedule(state.clone(), every));
    }
    let shutdown = shutdown_signal();
    let metrics_shutdown = metrics_listener.as_ref().map(|_| shutdown_signal());
    banner(&base_url, bound, &config, &server_config.mailer.describe());

    if let (Some(listener), Some(metrics_shutdown)) = (metrics_listener, metrics_shutdown) {
        let addr = listener.local_addr()?;
        println!("  metrics:          http://{addr}/metrics");
        let app = lanyard_server::ops::metrics_router(state.clone());
        let max_header = server_config.max_header_bytes;
        tokio::spawn(async move {
            if let Err(e) = lanyard_server::http::serve::serve(
                listener,
                app,
                max_header,
                metrics_shutdown,
                Duration::from_secs(1),
            )
            .await
            {
                tracing::error!(error = %e, "the metrics listener failed");
            }
        });
    }
    let app = lanyard_server::router(state.clone());
    lanyard_server::http::serve::serve(
        listener,
        app,
        server_config.max_header_bytes,
        shutdown,
        lanyard_server::SHUTDOWN_GRACE,
    )
    .await?;
    state.syslog.flush().await;
    if tokio::time::timeout(Duration::from_secs(10), state.config.mailer.flush())
        .await
        .is_err()
    {
        tracing::warn!("stopped while emails were still being sent");
    }
    tracing::info!("stopped");
    Ok(())
}

/// Parses `value` (`HOST:PORT`) and binds it; errors say what is expected and which option set it.
async fn bind(value: &str, option: &str, env: &str) -> anyhow::Result<TcpListener> {
    let addrs = crate::config::listen_addrs(value, option, env).await?;
    let mut last = None;
    for addr in &addrs {
        match TcpListener::bind(addr).await {
            Ok(l) => return Ok(l),
            Err(e) => last = Some((addr, e)),
        }
    }
    match last {
        Some((addr, e)) if e.kind() == std::io::ErrorKind::AddrInUse => bail!(
            "{option} {value}: {addr} is already in use by another process; stop it or choose another \
             address with {option} or {env}"
        ),
        Some((addr, e)) if e.kind() == std::io::ErrorKind::AddrNotAvailable => bail!(
            "{option} {value}: {addr} is not an address of this machine; use one of its addresses, 127.0.0.1 \
             or 0.0.0.0 ({option} or {env})"
        ),
        Some((addr, e)) => {
            Err(e).with_context(|| format!("{option} {value}: cannot listen on {addr}"))
        }
        None => bail!("{option} {value}: the name resolves to no address ({option} or {env})"),
    }
}

/// Keeps key sets complete, rotates on schedule, forgets long-retired keys. Several nodes may run it at once: the
/// store's conditional writes let exactly one of them rotate.
async fn key_schedule(state: AppState, maker: KeyMaker, stock: Option<KeyStock>) {
    let every = state.config.key_maintenance_every;
    let mut first = true;
    let mut first_run = true;
    loop {
        if !std::mem::take(&mut first) {
            tokio::time::sleep(every).await;
        }
        match maker
            .maintain(state.store.as_ref(), state.config.key_rotation_interval)
            .await
        {
            Ok(report) => {
                if report.created > 0 {
                    tracing::info!(keys = report.created, "generated signing keys");
                }
                for id in &report.rotated {
                    state.keyring.invalidate(id);
                }
            }
            Err(e) => tracing::warn!(error = %e, "key maintenance failed; will retry"),
        }
        if let (true, Some(stock)) = (first_run, stock.clone()) {
            refill_stock(&state, stock).await;
        }
        first_run = false;
    }
}

/// A disposable instance, once it answers and has its keys, puts back in the stock as many RSA keys as the next
/// one will need: an ACTIVE and a NEXT key for each of its servers (at least 4, at most 16).
async fn refill_stock(state: &AppState, stock: KeyStock) {
    let servers = lanyard_server::key_admin::all_servers(state.store.as_ref())
        .await
        .map_or(2, |s| s.len());
    let target = (2 * servers).clamp(4, lanyard_server::key_stock::MAX_STOCK);
    match tokio::task::spawn_blocking(move || stock.refill(target)).await {
        Ok(Ok(added)) if added > 0 => tracing::debug!(added, "refilled the key stock"),
        Ok(Ok(_)) => {}
        Ok(Err(e)) => tracing::warn!(error = %e, "the key stock was not refilled"),
        Err(e) => tracing::warn!(error = %e, "the key stock was not refilled"),
    }
}

/// Deletes expired short-lived records (codes, grants that can never be used again, one-time tokens, used `jti`s,
/// device codes, pushed requests, SSO sessions) at start and every `every` after. Deleting is idempotent, so every
/// node may sweep; a failure is logged and the next run tries again.
async fn sweep_schedule(state: AppState, every: Duration) {
    let mut first = true;
    loop {
        if !std::mem::take(&mut first) {
            tokio::time::sleep(every).await;
        }
        match state.store.sweep_expired(state.clock.now()).await {
            Ok(counts) if counts.total() > 0 => tracing::info!(
                deleted = counts.total(),
                authorization_codes = counts.authorization_codes,
                grants = counts.grants,
                refresh_tokens = counts.refresh_tokens,
                revoked_access_tokens = counts.revoked_access_tokens,
                used_jtis = counts.used_jtis,
                device_codes = counts.device_codes,
                one_time_tokens = counts.one_time_tokens,
                pushed_requests = counts.pushed_requests,
                sessions = counts.sessions,
                "swept expired records"
            ),
            Ok(_) => tracing::debug!("swept expired records: none"),
            Err(e) => tracing::warn!(error = %e, "sweeping expired records failed; will retry"),
        }
    }
}

fn lock_data_dir(dir: &std::path::Path) -> anyhow::Result<std::fs::File> {
    let path = dir.join("serve.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .read(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    match file.try_lock() {
        Ok(()) => {
            use std::io::Write;
            let mut f = &file;
            let _ = f.set_len(0);
            let _ = writeln!(f, "{}", std::process::id());
            Ok(file)
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            let pid = std::fs::read_to_string(&path).unwrap_or_default();
            bail!(
                "another `lanyard serve` (pid {}) is already running on the data dir {}. Stop it, or give this one \
                 another --data-dir. To run several nodes on the same data, use PostgreSQL (--database-url).",
                pid.trim(),
                dir.display()
            )
        }
        Err(std::fs::TryLockError::Error(e)) => {
            Err(e).with_context(|| format!("cannot lock {}", path.display()))
        }
    }
}

fn init_logging(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| "info,sqlx=warn,tower_http=warn,hyper=warn".into());
    let builder = tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(filter);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

fn banner(base: &str, bound: std::net::SocketAddr, config: &ServeConfig, email: &str) {
    let data = match &config.storage.database {
        Database::Sqlite(_) => format!("--data-dir {}", config.storage.data_dir.display()),
        Database::Postgres(_) => "--database-url $LANYARD_DATABASE_URL".to_owned(),
    };
    println!(
        "lanyard {} listening on http://{bound}",
        env!("CARGO_PKG_VERSION")
    );
    println!("  storage:          {}", config.storage.database.describe());
    println!("  org discovery:    {base}/.well-known/openid-configuration");
    println!("  default server:   {base}/oauth2/default/.well-known/openid-configuration");
    println!("  management API:   {base}/api/v1/  (Authorization: SSWS <token>)");
    let who = match config.registration {
        lanyard_server::config::Registration::Open => "open to anyone",
        lanyard_server::config::Registration::Token => "with an API token",
    };
    println!("  registration:     {base}/oauth2/v1/clients  ({who})");
    println!("  email:            {email}");
    println!(
        "  get an API token: {} api-token create --name admin {data}",
        invoked_as()
    );
    println!("  admin console:    {base}/admin");
    println!(
        "  first admin:      {} admin create --login you@example.com --first-name You --last-name Admin {data}",
        invoked_as()
    );
    println!("  first app:        README.md, \"First app in five minutes\"");
}

/// This program as the user can run it again: `lanyard` when it was found on the PATH, else the path it was started
/// by (`target/release/lanyard` under `cargo run --release`).
fn invoked_as() -> String {
    let argv0 = std::env::args_os()
        .next()
        .map(|a| a.to_string_lossy().into_owned())
        .unwrap_or_default();
    if argv0.is_empty() || !argv0.contains(std::path::MAIN_SEPARATOR) {
        "lanyard".to_owned()
    } else {
        argv0
    }
}

/// Where a disposable instance would rather keep its data: `/dev/shm` where it exists and `$TMPDIR` is not set —
/// memory, where the database's and the master key's syncs cost nothing and nothing outlives the machine. `None`:
/// the temporary directory (also when a directory cannot be made there).
fn disposable_parent() -> Option<std::path::PathBuf> {
    if std::env::var_os("TMPDIR").is_some_and(|v| !v.is_empty()) {
        return None;
    }
    let shm = std::path::Path::new("/dev/shm");
    shm.is_dir().then(|| shm.to_owned())
}

fn shutdown_signal() -> impl std::future::Future<Output = ()> + Send + 'static {
    // Registered now, not when first polled: a signal sent as soon as the banner shows must stop the server
    // gracefully, not kill it with the default action.
    #[cfg(unix)]
    let (interrupt, terminate) = {
        use tokio::signal::unix::{SignalKind, signal};
        (
            signal(SignalKind::interrupt()).ok(),
            signal(SignalKind::terminate()).ok(),
        )
    };
    async move {
        #[cfg(unix)]
        {
            async fn recv(s: Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(mut s) => {
                        s.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            }
            tokio::select! {
                () = recv(interrupt) => {},
                () = recv(terminate) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
        tracing::info!("shutdown signal received");
    }
}
