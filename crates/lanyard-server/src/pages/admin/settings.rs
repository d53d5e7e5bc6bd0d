//! `/admin/settings`: the running configuration, read only, as far as it is safe to show — never the master key,
//! the database URL (it may hold a password) or SMTP credentials (`Mailer::describe` leaves the password out).

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
    rows: Vec<(&'static str, String)>,
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
        ("Org name", cfg.org_name.clone()),
        ("Org id", cfg.org_id.clone()),
        ("Base URL", cfg.base_url.clone()),
        ("Storage", state.store.backend().to_owned()),
        (
            "Dynamic client registration",
            match cfg.registration {
                Registration::Token => "with a management API token".to_owned(),
                Registration::Open => "open to anyone".to_owned(),
            },
        ),
        (
            "Management API rate limit (per token, per node)",
            per_minute(cfg.api_rate_limit_per_minute),
        ),
        (
            "Sign-in rate limit (per client address, per node)",
            per_minute(cfg.signin_rate_limit_per_minute),
        ),
        (
            "Automatic key rotation",
            cfg.key_rotation_interval
                .map(|i| format!("every {} days", i.num_days()))
                .unwrap_or_else(|| "off".to_owned()),
        ),
        (
            "Largest request body",
            format!("{} bytes", cfg.max_body_bytes),
        ),
        ("Email", cfg.mailer.describe()),
        (
            "Passkeys (WebAuthn)",
            if state.webauthn.is_some() {
                "on".to_owned()
            } else {
                "off (the base URL's host is an IP address)".to_owned()
            },
        ),
        (
            "Metrics",
            if cfg.metrics_on_main {
                "/metrics on the main address".to_owned()
            } else {
                "/metrics on its own address (--metrics-listen)".to_owned()
            },
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
