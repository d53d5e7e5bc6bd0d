//! `/admin/settings`: the running configuration, read only, as far as it is safe to show — never the master key,
//! the database URL (it may hold a password) or SMTP credentials (`Mailer::describe` leaves the password out) —
//! each with where it is set: a command-line option, its `LANYARD_*` environment variable or the `--config` file's
//! key. Nothing here is changed in the console.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::{Admin, Chrome};
use crate::config::Registration;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct Settings {
    c: Chrome,
    rows: Vec<(&'static str, String, &'static str)>,
}

fn per_minute(n: u32) -> String {
    if n == 0 {
        "off".to_owned()
    } else {
        format!("{n} a minute")
    }
}

pub async fn page(admin: Admin, State(state): State<AppState>) -> Response {
    let cfg = &state.config;
    let rows = vec![
        (
            "Org name",
            cfg.org_name.clone(),
            "--org-name, LANYARD_ORG_NAME or org_name, at the first start (then kept in the database)",
        ),
        ("Org id", cfg.org_id.clone(), "made at the first start"),
        (
            "Base URL",
            cfg.base_url.clone(),
            "--base-url, LANYARD_BASE_URL or base_url (default: http:// and the listen address)",
        ),
        (
            "Storage",
            state.store.backend().to_owned(),
            "--database-url, LANYARD_DATABASE_URL or database_url for PostgreSQL; else SQLite in --data-dir",
        ),
        (
            "Dynamic client registration",
            match cfg.registration {
                Registration::Token => "with a management API token".to_owned(),
                Registration::Open => "open to anyone".to_owned(),
            },
            "--registration, LANYARD_REGISTRATION or registration",
        ),
        (
            "Management API rate limit (per token, per node)",
            per_minute(cfg.api_rate_limit_per_minute),
            "--api-rate-limit, LANYARD_API_RATE_LIMIT or api_rate_limit",
        ),
        (
            "Sign-in rate limit (per client address, per node)",
            per_minute(cfg.signin_rate_limit_per_minute),
            "--signin-rate-limit, LANYARD_SIGNIN_RATE_LIMIT or signin_rate_limit",
        ),
        (
            "Automatic key rotation",
            cfg.key_rotation_interval
                .map(|i| format!("every {} days", i.num_days()))
                .unwrap_or_else(|| "off".to_owned()),
            "--key-rotation-interval, LANYARD_KEY_ROTATION_INTERVAL or key_rotation_interval",
        ),
        (
            "Largest request body",
            format!("{} bytes", cfg.max_body_bytes),
            "--max-body-bytes, LANYARD_MAX_BODY_BYTES or max_body_bytes",
        ),
        (
            "Email",
            cfg.mailer.describe(),
            "--smtp-url and --email-from, LANYARD_SMTP_URL and LANYARD_EMAIL_FROM, or smtp_url and email_from",
        ),
        (
            "Passkeys (WebAuthn)",
            if state.webauthn.is_some() {
                "on".to_owned()
            } else {
                "off (the base URL's host is an IP address)".to_owned()
            },
            "the base URL (a passkey needs a host name)",
        ),
        (
            "Metrics",
            if cfg.metrics_on_main {
                "/metrics on the main address".to_owned()
            } else {
                "/metrics on its own address (--metrics-listen)".to_owned()
            },
            "--metrics-listen, LANYARD_METRICS_LISTEN or metrics_listen",
        ),
    ];
    super::page(
        Settings {
            c: Chrome::new(&state, &admin, "settings"),
            rows,
        }
        .render(),
    )
}
