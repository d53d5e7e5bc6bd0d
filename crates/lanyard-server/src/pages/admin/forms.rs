//! What the console's forms share. Every change is a POSTed form checked for CSRF (`crate::pages::csrf::CsrfForm`,
//! the hosted pages' own check) by an administrator who may change things ([`Manager`]: a read-only administrator
//! gets a 403 page, whatever they post); a change done is answered with a redirect to the page that shows it and a
//! message naming what was done ([`done`], Post/Redirect/Get: the message is one of [`MESSAGES`], chosen by key,
//! never text from the request); a refused change with the form again, the causes next to its fields, or with a
//! page saying why. The system log's actor is the administrator ([`Manager::audit`]).

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use lanyard_core::directory::accounts::AccountError;

use super::Admin;
use crate::pages::PageError;
use crate::state::AppState;
use crate::syslog::{Audit, user_target};

/// What a console page's forms need besides the administrator.
pub struct Extras {
    /// The CSRF field of the page's forms.
    pub csrf: String,
    /// The `Set-Cookie` of the CSRF secret, when the browser has none yet.
    cookie: Option<HeaderValue>,
    /// The message of the change that led here (`?done=`).
    pub flash: Option<&'static str>,
}

impl Extras {
    pub fn of(state: &AppState, parts: &Parts) -> Self {
        let (csrf, cookie) = crate::pages::csrf::csrf_token(state, &parts.headers);
        let flash = parts.uri.query().and_then(|q| {
            url::form_urlencoded::parse(q.as_bytes())
                .find(|(k, _)| k == "done")
                .and_then(|(_, v)| message(&v))
        });
        Extras {
            csrf,
            cookie,
            flash,
        }
    }
}

impl Admin {
    /// A page with forms: the CSRF cookie set when the browser has none.
    pub fn respond(&self, mut r: Response) -> Response {
        if let Some(c) = &self.1.cookie {
            r.headers_mut().append(header::SET_COOKIE, c.clone());
        }
        r
    }

    /// [`super::page`], with [`Admin::respond`].
    pub fn page(&self, body: Result<String, askama::Error>) -> Response {
        self.respond(super::page(body))
    }
}

/// An administrator who may change things, posting a form: the console's [`Admin`], and who they are for the system
/// log.
pub struct Manager {
    pub admin: Admin,
    pub audit: Audit,
}

impl FromRequestParts<AppState> for Manager {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let admin = Admin::from_request_parts(parts, state).await?;
        if !admin.0.access.may_change() {
            return Err(read_only().into_response());
        }
        let ip = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip().to_string());
        let user_agent = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(512).collect());
        let audit = Audit {
            actor: user_target(&admin.0.user),
            ip,
            user_agent,
        };
        Ok(Manager { admin, audit })
    }
}

/// The page a read-only administrator gets for a change.
pub fn read_only() -> PageError {
    PageError::new(
        StatusCode::FORBIDDEN,
        "You have read-only access",
        "A Read-only Administrator can look at everything in the console but not change it. Ask a Super \
         Administrator or an Organization Administrator to make the change.",
    )
    .with_link("/admin", "Back to the console")
}

/// Every message a change can leave for the page it returns to, by key.
pub const MESSAGES: &[(&str, &str)] = &[
    ("user-created", "The user was created."),
    ("profile-saved", "The profile was saved."),
    ("activate", "The user was activated."),
    ("reactivate", "A new activation link was sent to the user."),
    ("deactivate", "The user was deactivated."),
    ("suspend", "The user was suspended."),
    ("unsuspend", "The user was unsuspended."),
    ("unlock", "The user was unlocked."),
    (
        "reset_password",
        "The password was reset: a reset link was emailed to the user.",
    ),
    ("reset_factors", "The user's factors were removed."),
    (
        "expire_password",
        "The user must choose a new password at the next sign-in.",
    ),
    ("user-deleted", "The user was deleted."),
    ("group-joined", "The user was added to the group."),
    ("group-left", "The user was removed from the group."),
    ("group-created", "The group was created."),
    ("group-saved", "The group was saved."),
    ("group-deleted", "The group was deleted."),
    ("member-added", "The member was added."),
    ("member-removed", "The member was removed."),
    ("app-activated", "The app was activated."),
    ("app-deactivated", "The app was deactivated."),
    ("app-deleted", "The app was deleted."),
    ("group-assigned", "The group was assigned to the app."),
    ("user-assigned", "The user was assigned to the app."),
    ("unassigned", "The assignment was removed."),
    ("secret-activated", "The client secret was activated."),
    ("secret-deactivated", "The client secret was deactivated."),
    ("secret-deleted", "The client secret was deleted."),
    ("factor-removed", "The factor was removed."),
    ("token-revoked", "The API token was revoked."),
    ("policy-created", "The sign-on policy was created."),
    ("policy-saved", "The sign-on policy was saved."),
    ("policy-activated", "The sign-on policy was activated."),
    ("policy-deactivated", "The sign-on policy was deactivated."),
    ("policy-deleted", "The sign-on policy was deleted."),
    ("rule-created", "The rule was added."),
    ("rule-saved", "The rule was saved."),
    ("rule-activated", "The rule was activated."),
    ("rule-deactivated", "The rule was deactivated."),
    ("rule-deleted", "The rule was deleted."),
    (
        "keys-rotated",
        "The signing keys were rotated: new tokens are signed with the new keys.",
    ),
    // Authorization servers' configuration.
    ("server-created", "The authorization server was added."),
    ("server-saved", "The authorization server was saved."),
    (
        "server-activated",
        "The authorization server was activated.",
    ),
    (
        "server-deactivated",
        "The authorization server was deactivated.",
    ),
    ("server-deleted", "The authorization server was deleted."),
    ("scope-created", "The scope was added."),
    ("scope-saved", "The scope was saved."),
    ("scope-deleted", "The scope was deleted."),
    ("claim-created", "The claim was added."),
    ("claim-saved", "The claim was saved."),
    ("claim-deleted", "The claim was deleted."),
    ("access-policy-created", "The access policy was added."),
    ("access-policy-saved", "The access policy was saved."),
    (
        "access-policy-activated",
        "The access policy was activated.",
    ),
    (
        "access-policy-deactivated",
        "The access policy was deactivated.",
    ),
    ("access-policy-deleted", "The access policy was deleted."),
];

/// The message of key `key`.
pub fn message(key: &str) -> Option<&'static str> {
    MESSAGES.iter().find(|(k, _)| *k == key).map(|(_, m)| *m)
}

/// The answer to a change done: back to `path`, which says what was done (`key`, one of [`MESSAGES`]).
pub fn done(path: &str, key: &'static str) -> Response {
    debug_assert!(message(key).is_some(), "{key}");
    Redirect::to(&format!("{path}?done={key}")).into_response()
}

/// A change refused for a reason the administrator can act on: a page saying why, with the way back.
pub fn refused(status: StatusCode, reason: impl Into<String>, back: &str) -> PageError {
    PageError::new(status, "The change was not made", reason).with_link(back, "Go back")
}

/// An operation on a user refused, as a page.
pub fn account_refused(e: AccountError, back: &str) -> PageError {
    match e {
        AccountError::NotFound => PageError::not_found().with_link("/admin/users", "Back to users"),
        AccountError::Lifecycle(r) => refused(StatusCode::CONFLICT, r.message(), back),
        AccountError::InvalidProfile(c) | AccountError::PasswordRejected(c) => {
            refused(StatusCode::BAD_REQUEST, c.join("; "), back)
        }
        AccountError::ProfileRequired => {
            refused(StatusCode::BAD_REQUEST, "The profile is required.", back)
        }
        AccountError::LoginTaken => refused(
            StatusCode::BAD_REQUEST,
            "Another user already has this username.",
            back,
        ),
        AccountError::Hashing(e) => crate::api::error::ApiError::internal(e.to_string()).into(),
        AccountError::Store(e) => e.into(),
    }
}

/// A form's error next to its field: the field's name and the message.
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// Causes in the core's `field: message` form, as field errors; a cause naming no field goes to `default`.
pub fn field_errors(causes: &[String], default: &str) -> Vec<FieldError> {
    causes
        .iter()
        .map(|c| match c.split_once(": ") {
            Some((f, m)) if !f.contains(' ') => FieldError {
                field: f.rsplit('.').next().unwrap_or(f).to_owned(),
                message: m.to_owned(),
            },
            _ => FieldError {
                field: default.to_owned(),
                message: c.clone(),
            },
        })
        .collect()
}

/// The message for field `name`, if any (for the templates).
pub fn error_for<'a>(errors: &'a [FieldError], name: &str) -> Option<&'a str> {
    errors
        .iter()
        .find(|e| e.field == name)
        .map(|e| e.message.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_go_next_to_their_fields() {
        let e = field_errors(
            &[
                "settings.app.baseUrl: is required: Grafana URL".into(),
                "email: Does not match required pattern".into(),
                "something without a field".into(),
            ],
            "label",
        );
        assert_eq!(error_for(&e, "baseUrl"), Some("is required: Grafana URL"));
        assert_eq!(
            error_for(&e, "email"),
            Some("Does not match required pattern")
        );
        assert_eq!(error_for(&e, "label"), Some("something without a field"));
        assert_eq!(error_for(&e, "other"), None);
    }

    #[test]
    fn messages_are_known_keys_only() {
        assert_eq!(message("user-created"), Some("The user was created."));
        assert_eq!(message("<script>"), None);
        let mut keys: Vec<_> = MESSAGES.iter().map(|(k, _)| k).collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), MESSAGES.len());
    }
}
