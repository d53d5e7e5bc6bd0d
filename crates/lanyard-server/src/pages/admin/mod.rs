//! The admin console, `/admin`: server-rendered pages for administrators, signed in through the hosted sign-in page.
//! Who may open it is `lanyard_core::admin`'s rule, applied by the [`Admin`] extractor every page takes: no session
//! sends the browser to `/signin` and back; a signed-in user without an administrator role gets a 403 page. Pages
//! are plain reads for rendering; changes are POSTed forms ([`forms`]: CSRF-checked, refused with a 403 page for a
//! read-only administrator, answered by a redirect to the page with a message, or the form again with the causes
//! next to the fields) that call the same operations as the management API (`lanyard_core::directory`,
//! `lanyard_core::apps`, `lanyard_core::signin::policy_admin`, `lanyard_core::mfa::user_factors`,
//! `lanyard_core::api_token`) and log them with the administrator as actor. Nothing is ever changed by a GET. One file
//! per section, templates in `templates/admin/`, styles in `/static/admin.css`, and one same-origin script,
//! `/static/admin-logs.js`, for the system log's live tail.

mod app_new;
mod apps;
mod catalog;
pub(crate) mod forms;
mod groups;
mod logs;
mod overview;
mod policies;
mod policy_rules;
mod servers;
mod servers_claims;
mod servers_edit;
mod servers_policies;
mod servers_preview;
mod servers_scopes;
mod settings;
mod tokens;
mod users;

use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use lanyard_core::admin::{Administrator, ConsoleAccess};
use lanyard_core::clock::Timestamp;

use super::{PageError, html};
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin", get(overview::page))
        .route("/admin/users", get(users::list).post(users::create))
        .route("/admin/users/new", get(users::new_form))
        .route("/admin/users/{id}", get(users::detail).post(users::update))
        .route("/admin/users/{id}/lifecycle/{op}", post(users::lifecycle))
        .route("/admin/users/{id}/delete", post(users::delete))
        .route("/admin/users/{id}/groups", post(users::add_group))
        .route(
            "/admin/users/{id}/factors/{fid}/delete",
            post(users::remove_factor),
        )
        .route(
            "/admin/users/{id}/groups/{gid}/remove",
            post(users::remove_group),
        )
        .route("/admin/groups", get(groups::list).post(groups::create))
        .route(
            "/admin/groups/{id}",
            get(groups::detail).post(groups::update),
        )
        .route("/admin/groups/{id}/delete", post(groups::delete))
        .route("/admin/groups/{id}/members", post(groups::add_member))
        .route(
            "/admin/groups/{id}/members/{uid}/remove",
            post(groups::remove_member),
        )
        .route("/admin/apps", get(apps::list).post(app_new::create))
        .route("/admin/apps/new", get(app_new::new_form))
        .route("/admin/apps/{id}", get(apps::detail))
        .route("/admin/apps/{id}/lifecycle/{op}", post(apps::lifecycle))
        .route("/admin/apps/{id}/delete", post(apps::delete))
        .route("/admin/apps/{id}/groups", post(apps::assign_group))
        .route(
            "/admin/apps/{id}/groups/{gid}/remove",
            post(apps::unassign_group),
        )
        .route("/admin/apps/{id}/users", post(apps::assign_user))
        .route(
            "/admin/apps/{id}/users/{uid}/remove",
            post(apps::unassign_user),
        )
        .route("/admin/apps/{id}/secrets", post(apps::new_secret))
        .route("/admin/apps/{id}/secrets/{sid}/{op}", post(apps::secret_op))
        .route("/admin/catalog", get(apps::catalog))
        .route(
            "/admin/catalog/{name}",
            get(catalog::new_form).post(catalog::create),
        )
        .route("/admin/servers", get(servers::list))
        .route("/admin/servers/{id}", get(servers::detail))
        .route(
            "/admin/servers/{id}/keys/rotate",
            post(servers::rotate_keys),
        )
        // Custom authorization servers, their scopes, claims, access policies and rules, and the token preview.
        .route(
            "/admin/servers/new",
            get(servers_edit::new_form).post(servers_edit::create),
        )
        .route(
            "/admin/servers/{id}/settings",
            get(servers_edit::edit_form).post(servers_edit::update),
        )
        .route(
            "/admin/servers/{id}/lifecycle/{op}",
            post(servers_edit::lifecycle),
        )
        .route("/admin/servers/{id}/delete", post(servers_edit::delete))
        .route("/admin/servers/{id}/scopes", post(servers_scopes::create))
        .route(
            "/admin/servers/{id}/scopes/new",
            get(servers_scopes::new_form),
        )
        .route(
            "/admin/servers/{id}/scopes/{sid}",
            get(servers_scopes::edit_form).post(servers_scopes::update),
        )
        .route(
            "/admin/servers/{id}/scopes/{sid}/delete",
            post(servers_scopes::delete),
        )
        .route("/admin/servers/{id}/claims", post(servers_claims::create))
        .route(
            "/admin/servers/{id}/claims/new",
            get(servers_claims::new_form),
        )
        .route(
            "/admin/servers/{id}/claims/{cid}",
            get(servers_claims::edit_form).post(servers_claims::update),
        )
        .route(
            "/admin/servers/{id}/claims/{cid}/delete",
            post(servers_claims::delete),
        )
        .route(
            "/admin/servers/{id}/policies",
            post(servers_policies::create_policy),
        )
        .route(
            "/admin/servers/{id}/policies/new",
            get(servers_policies::new_policy),
        )
        .route(
            "/admin/servers/{id}/policies/{pid}",
            get(servers_policies::policy).post(servers_policies::update_policy),
        )
        .route(
            "/admin/servers/{id}/policies/{pid}/lifecycle/{op}",
            post(servers_policies::policy_lifecycle),
        )
        .route(
            "/admin/servers/{id}/policies/{pid}/delete",
            post(servers_policies::delete_policy),
        )
        .route(
            "/admin/servers/{id}/policies/{pid}/rules",
            post(servers_policies::create_rule),
        )
        .route(
            "/admin/servers/{id}/policies/{pid}/rules/new",
            get(servers_policies::new_rule),
        )
        .route(
            "/admin/servers/{id}/policies/{pid}/rules/{rid}",
            get(servers_policies::rule).post(servers_policies::update_rule),
        )
        .route(
            "/admin/servers/{id}/policies/{pid}/rules/{rid}/lifecycle/{op}",
            post(servers_policies::rule_lifecycle),
        )
        .route(
            "/admin/servers/{id}/policies/{pid}/rules/{rid}/delete",
            post(servers_policies::delete_rule),
        )
        .route("/admin/servers/{id}/preview", get(servers_preview::page))
        .route(
            "/admin/policies",
            get(policies::page).post(policies::create),
        )
        .route("/admin/policies/new", get(policies::new_form))
        .route(
            "/admin/policies/{pid}",
            get(policies::detail).post(policies::update),
        )
        .route(
            "/admin/policies/{pid}/lifecycle/{op}",
            post(policies::lifecycle),
        )
        .route("/admin/policies/{pid}/delete", post(policies::delete))
        .route("/admin/policies/{pid}/rules", post(policy_rules::create))
        .route(
            "/admin/policies/{pid}/rules/new",
            get(policy_rules::new_form),
        )
        .route(
            "/admin/policies/{pid}/rules/{rid}",
            get(policy_rules::detail).post(policy_rules::update),
        )
        .route(
            "/admin/policies/{pid}/rules/{rid}/lifecycle/{op}",
            post(policy_rules::lifecycle),
        )
        .route(
            "/admin/policies/{pid}/rules/{rid}/delete",
            post(policy_rules::delete),
        )
        .route("/admin/logs", get(logs::page))
        .route("/admin/tokens", get(tokens::list).post(tokens::create))
        .route("/admin/tokens/{id}/revoke", post(tokens::revoke))
        .route("/admin/settings", get(settings::page))
        .route("/static/admin.css", get(css))
        .route("/static/admin-logs.js", get(logs_js))
}

/// The signed-in administrator a console page is for, and what they may do. A browser without a session is sent to
/// the sign-in page and back to the page it asked for; a user who is not an administrator gets a 403 page. With it,
/// what the page's forms need ([`forms::Extras`]: the CSRF field, the message of the change just made).
pub struct Admin(pub Administrator, pub forms::Extras);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = crate::session::current(state, &parts.headers)
            .await
            .map_err(|e| PageError::from(e).into_response())?;
        let Some(session) = session else {
            let back = parts.uri.path_and_query().map_or("/admin", |p| p.as_str());
            return Err(super::dashboard::to_sign_in(back));
        };
        let store = state.store.as_ref();
        match lanyard_core::admin::administrator(store, store, &session.user_id).await {
            Ok(Some(a)) => Ok(Admin(a, forms::Extras::of(state, parts))),
            Ok(None) => Err(refused().into_response()),
            Err(e) => Err(PageError::from(e).into_response()),
        }
    }
}

/// The page a signed-in user without an administrator role gets.
fn refused() -> PageError {
    PageError::new(
        StatusCode::FORBIDDEN,
        "You need an administrator role",
        "The admin console is for users with the Super Administrator, Organization Administrator or \
         Read-only Administrator role. Ask an administrator if you need one.",
    )
    .with_link("/app/UserHome", "Go to your apps")
}

/// One entry of the console's navigation.
pub struct Section {
    pub key: &'static str,
    pub href: &'static str,
    pub label: &'static str,
}

/// Every section of the console, in the navigation's order.
pub const SECTIONS: &[Section] = &[
    Section {
        key: "overview",
        href: "/admin",
        label: "Overview",
    },
    Section {
        key: "users",
        href: "/admin/users",
        label: "Users",
    },
    Section {
        key: "groups",
        href: "/admin/groups",
        label: "Groups",
    },
    Section {
        key: "apps",
        href: "/admin/apps",
        label: "Apps",
    },
    Section {
        key: "catalog",
        href: "/admin/catalog",
        label: "Catalog",
    },
    Section {
        key: "servers",
        href: "/admin/servers",
        label: "Authorization servers",
    },
    Section {
        key: "policies",
        href: "/admin/policies",
        label: "Sign-on policies",
    },
    Section {
        key: "logs",
        href: "/admin/logs",
        label: "System log",
    },
    Section {
        key: "tokens",
        href: "/admin/tokens",
        label: "API tokens",
    },
    Section {
        key: "settings",
        href: "/admin/settings",
        label: "Settings",
    },
];

/// What the layout (`templates/admin/layout.html`) shows around every page: the org, the administrator, the
/// navigation with the current section marked.
pub struct Chrome {
    pub org: String,
    pub name: String,
    pub login: String,
    pub roles: String,
    pub read_only: bool,
    pub section: &'static str,
    pub sections: &'static [Section],
    /// The CSRF field of the page's forms.
    pub csrf: String,
    /// What the change that led here did (Post/Redirect/Get).
    pub flash: Option<&'static str>,
}

impl Chrome {
    pub fn new(state: &AppState, admin: &Admin, section: &'static str) -> Self {
        let a = &admin.0;
        Chrome {
            org: state.org_name(),
            name: a.user.full_name(),
            login: a.user.login.clone(),
            roles: a
                .roles
                .iter()
                .map(|r| r.label())
                .collect::<Vec<_>>()
                .join(", "),
            read_only: a.access == ConsoleAccess::ReadOnly,
            section,
            sections: SECTIONS,
            csrf: admin.1.csrf.clone(),
            flash: admin.1.flash,
        }
    }
}

/// A console page: rendered with the layout, never cached (the layout's `no-store` comes from the outer layer).
pub fn page(body: Result<String, askama::Error>) -> Response {
    html(StatusCode::OK, body)
}

/// A time as the console shows it.
pub fn when(t: Timestamp) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// [`when`], or a dash.
pub fn when_opt(t: Option<Timestamp>) -> String {
    t.map(when).unwrap_or_else(|| "—".to_owned())
}

/// The href of the next page of a list: `path` with `params` (empty ones left out) and `after`.
pub fn next_href(path: &str, params: &[(&str, &str)], next: Option<&str>) -> Option<String> {
    let after = next?;
    Some(href(path, params, Some(after)))
}

/// `path` with `params` (empty ones left out) and `after`.
pub fn href(path: &str, params: &[(&str, &str)], after: Option<&str>) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        if !v.is_empty() {
            q.append_pair(k, v);
        }
    }
    if let Some(a) = after {
        q.append_pair("after", a);
    }
    let q = q.finish();
    if q.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{q}")
    }
}

fn static_file(body: &'static str, content_type: &'static str) -> Response {
    let mut r = body.into_response();
    let h = r.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    r
}

async fn css() -> Response {
    static_file(include_str!("admin.css"), "text/css; charset=utf-8")
}

async fn logs_js() -> Response {
    static_file(
        include_str!("admin-logs.js"),
        "text/javascript; charset=utf-8",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_links_keep_the_filters_and_leave_out_empty_ones() {
        assert_eq!(href("/admin/users", &[], None), "/admin/users");
        assert_eq!(
            href(
                "/admin/users",
                &[("q", "ada l"), ("search", "")],
                Some("00u1")
            ),
            "/admin/users?q=ada+l&after=00u1"
        );
        assert_eq!(next_href("/admin/users", &[("q", "x")], None), None);
        assert_eq!(
            next_href(
                "/admin/logs",
                &[("filter", "eventType eq \"a\"")],
                Some("u")
            )
            .as_deref(),
            Some("/admin/logs?filter=eventType+eq+%22a%22&after=u")
        );
    }

    #[test]
    fn every_section_is_under_admin_once() {
        let mut keys: Vec<_> = SECTIONS.iter().map(|s| s.key).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), SECTIONS.len());
        assert!(SECTIONS.iter().all(|s| s.href.starts_with("/admin")));
    }
}

/// A list page's query: a name prefix (`q`, may be empty) and the cursor (`after`).
#[derive(serde::Deserialize, Default)]
pub struct PrefixQuery {
    #[serde(default)]
    pub q: String,
    pub after: Option<String>,
}

impl PrefixQuery {
    /// The prefix without surrounding spaces (empty: none).
    pub fn prefix(&self) -> String {
        self.q.trim().to_owned()
    }

    /// The page of `limit` after the cursor (an empty cursor: the first page).
    pub fn page(&self, limit: u32) -> lanyard_core::model::PageRequest {
        lanyard_core::model::PageRequest {
            limit,
            after: self.after.clone().filter(|a| !a.is_empty()),
        }
    }
}
