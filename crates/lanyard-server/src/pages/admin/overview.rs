//! `/admin`: how many users, groups, apps and authorization servers there are, the latest failed sign-ins from the
//! system log, and the signing keys whose automatic rotation is due within a fortnight.

use askama::Template;
use axum::extract::State;
use axum::response::Response;
use lanyard_core::directory::filter::{self, LOG_FILTER};
use lanyard_core::directory::users::UserQuery;
use lanyard_core::model::{AuthServerKind, PageRequest};
use lanyard_core::store::StoreResult;
use lanyard_core::syslog::{LogQuery, SortOrder};

use super::{Admin, Chrome, when};
use crate::pages::PageError;
use crate::state::AppState;

/// Counts stop here: the overview reads at most this many rows of each kind ("1000+").
const COUNT_CAP: usize = 1000;
/// Keys whose rotation falls within this long are listed.
const ROTATION_SOON_DAYS: i64 = 14;
/// The failed sign-ins shown.
const FAILURES_SHOWN: u32 = 10;
/// The system log filter of failed sign-ins.
pub const FAILED_SIGNINS: &str =
    r#"eventType eq "user.session.start" and outcome.result eq "FAILURE""#;

struct Count {
    label: &'static str,
    href: &'static str,
    value: String,
}

struct Failure {
    when: String,
    login: String,
    reason: String,
    ip: String,
}

struct DueKey {
    server: String,
    server_id: String,
    kid: String,
    alg: &'static str,
    due: String,
}

#[derive(Template)]
#[template(path = "admin/overview.html")]
struct Overview {
    c: Chrome,
    counts: Vec<Count>,
    failures: Vec<Failure>,
    failures_href: String,
    keys: Vec<DueKey>,
    rotation: Option<i64>,
}

/// Reads pages of `limit` until `COUNT_CAP` rows or the end; "1000+" beyond.
async fn count<F, Fut, T>(mut next_page: F) -> StoreResult<String>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: std::future::Future<Output = StoreResult<lanyard_core::model::Page<T>>>,
{
    let mut n = 0;
    let mut after = None;
    loop {
        let p = next_page(PageRequest { limit: 200, after }).await?;
        n += p.items.len();
        match p.next {
            Some(a) if n < COUNT_CAP => after = Some(a),
            Some(_) => return Ok(format!("{COUNT_CAP}+")),
            None => return Ok(n.to_string()),
        }
    }
}

pub async fn page(admin: Admin, State(state): State<AppState>) -> Result<Response, PageError> {
    let store = state.store.as_ref();
    let users = count(|p| async move { store.list_users(&UserQuery::All, &p).await }).await?;
    let groups = count(|p| async move { store.list_groups(None, &p).await }).await?;
    let apps = count(|p| async move { store.list_apps(None, &p).await }).await?;
    let mut servers = Vec::new();
    for kind in [AuthServerKind::Org, AuthServerKind::Custom] {
        let mut after = None;
        loop {
            let p = store
                .list_auth_servers(kind, &PageRequest { limit: 200, after })
                .await?;
            servers.extend(p.items);
            match p.next {
                Some(a) => after = Some(a),
                None => break,
            }
        }
    }
    let counts = vec![
        Count {
            label: "Users",
            href: "/admin/users",
            value: users,
        },
        Count {
            label: "Groups",
            href: "/admin/groups",
            value: groups,
        },
        Count {
            label: "Apps",
            href: "/admin/apps",
            value: apps,
        },
        Count {
            label: "Authorization servers",
            href: "/admin/servers",
            value: servers.len().to_string(),
        },
    ];

    let query = LogQuery {
        since: None,
        until: None,
        filter: Some(
            filter::parse(FAILED_SIGNINS, &LOG_FILTER)
                .map_err(|e| PageError::internal(format!("failed sign-ins filter: {e}")))?,
        ),
        q: Vec::new(),
        order: SortOrder::Descending,
    };
    let events = store
        .list_log_events(&query, &PageRequest::first(FAILURES_SHOWN))
        .await?;
    let failures = events
        .items
        .into_iter()
        .map(|e| Failure {
            when: when(e.published),
            login: e.actor.alternate_id,
            reason: e.reason.unwrap_or_default(),
            ip: e.client_ip.unwrap_or_default(),
        })
        .collect();

    let now = state.clock.now();
    let interval = state.config.key_rotation_interval;
    let mut keys = Vec::new();
    if let Some(interval) = interval {
        let soon = chrono::Duration::days(ROTATION_SOON_DAYS);
        for s in &servers {
            let records = store.keys(&s.id).await?;
            for k in lanyard_core::keys::due_for_rotation(&records, interval - soon, now) {
                keys.push(DueKey {
                    server: s.name.clone(),
                    server_id: s.id.clone(),
                    kid: k.kid.clone(),
                    alg: k.alg.as_str(),
                    due: when(k.activated.unwrap_or(k.created) + interval),
                });
            }
        }
    }
    Ok(super::page(
        Overview {
            c: Chrome::new(&state, &admin, "overview"),
            counts,
            failures,
            failures_href: super::href(
                "/admin/logs",
                &[("filter", FAILED_SIGNINS), ("sortOrder", "DESCENDING")],
                None,
            ),
            keys,
            rotation: interval.map(|i| i.num_days()),
        }
        .render(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use lanyard_core::model::Page;

    /// `n` rows served `limit` at a time, as a store pages them.
    async fn rows(n: usize) -> String {
        count(|p: PageRequest| async move {
            let from: usize = p.after.map_or(0, |a| a.parse().unwrap());
            let to = (from + p.limit as usize).min(n);
            StoreResult::Ok(Page {
                items: (from..to).collect::<Vec<_>>(),
                next: (to < n).then(|| to.to_string()),
            })
        })
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn counts_read_every_page_up_to_the_cap() {
        assert_eq!(rows(0).await, "0");
        assert_eq!(rows(1).await, "1");
        assert_eq!(rows(200).await, "200");
        assert_eq!(rows(201).await, "201");
        assert_eq!(rows(999).await, "999");
        assert_eq!(rows(1000).await, "1000");
        assert_eq!(rows(1001).await, "1000+");
        assert_eq!(rows(50_000).await, "1000+");
    }
}
