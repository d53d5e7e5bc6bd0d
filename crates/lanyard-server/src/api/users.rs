//! `/api/v1/users`: create, read (by id or login), list with `q` / `filter` / `search`, partial and full update,
//! lifecycle operations, delete — in Okta's shapes. The rules are `lanyard_core::directory::accounts`'s: each
//! handler parses, calls the operation, tells the apps of the sessions it ended, emails or hands back the links it
//! issued, logs its events, and renders the result or maps its refusal to Okta's error.

use axum::Json;
use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use lanyard_core::clock::{Timestamp, okta_format};
use lanyard_core::directory::accounts::{
    self, AccountError, Changes, Deletion, Event, LifecycleOptions, NewUser,
};
use lanyard_core::directory::filter::{self, USER_FILTER, USER_SEARCH};
use lanyard_core::directory::lifecycle::{Operation, Refused};
use lanyard_core::directory::users::{UserQuery, validate};
use lanyard_core::model::User;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::error::{ApiError, OktaCode};
use super::extract::OktaJson;
use super::pagination::{PageQuery, list_response};
use crate::api::openapi::{Empty, Href, Routes, doc};
use crate::state::AppState;
use crate::syslog::{Audit, user_target};

pub fn routes() -> Routes {
    Routes::new()
        .get(
            "/users",
            list,
            doc().query::<ListQuery>().list::<UserBody>(),
        )
        .post(
            "/users",
            create,
            doc()
                .query::<CreateQuery>()
                .body::<UserIn>()
                .ok::<UserBody>(),
        )
        .get("/users/{id}", read, doc().ok::<UserBody>())
        .post(
            "/users/{id}",
            update_partial,
            doc().body::<UserIn>().ok::<UserBody>(),
        )
        .put(
            "/users/{id}",
            update_full,
            doc().body::<UserIn>().ok::<UserBody>(),
        )
        .delete("/users/{id}", delete, doc().no_content())
        .post(
            "/users/{id}/lifecycle/{operation}",
            lifecycle_op,
            doc().query::<LifecycleQuery>().ok::<LifecycleAnswer>(),
        )
}

/// A user in Okta's shape: what `user_json` sends, and its schema in the OpenAPI document.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "User")]
pub struct UserBody {
    id: String,
    #[schemars(extend("enum" = ["STAGED", "PROVISIONED", "ACTIVE", "RECOVERY", "PASSWORD_EXPIRED", "LOCKED_OUT", "SUSPENDED", "DEPROVISIONED"]))]
    status: &'static str,
    created: String,
    activated: Option<String>,
    status_changed: Option<String>,
    last_login: Option<String>,
    last_updated: String,
    password_changed: Option<String>,
    #[serde(rename = "type")]
    user_type: UserType,
    /// The profile's attributes: `login`, `email`, `firstName`, `lastName` and any others.
    profile: Map<String, Value>,
    credentials: UserCredentials,
    #[serde(rename = "_links")]
    links: UserLinks,
}

#[derive(Serialize, JsonSchema)]
pub struct UserType {
    id: &'static str,
}

#[derive(Serialize, JsonSchema)]
pub struct UserCredentials {
    provider: CredentialsProvider,
    /// Present (and empty) when the user has a password.
    #[serde(skip_serializing_if = "Option::is_none")]
    password: Option<Empty>,
}

#[derive(Serialize, JsonSchema)]
pub struct CredentialsProvider {
    #[serde(rename = "type")]
    provider_type: &'static str,
    name: &'static str,
}

#[derive(Serialize, JsonSchema)]
pub struct UserLinks {
    #[serde(rename = "self")]
    this: Href,
    groups: Href,
}

/// A user in Okta's shape.
pub fn user_json(u: &User, base: &str) -> Value {
    serde_json::to_value(user_body(u, base)).unwrap_or_default()
}

/// A user in Okta's shape, typed.
pub fn user_body(u: &User, base: &str) -> UserBody {
    let opt = |t: Option<Timestamp>| t.map(okta_format);
    let href = format!("{base}/api/v1/users/{}", u.id);
    UserBody {
        id: u.id.clone(),
        status: u.status.as_str(),
        created: okta_format(u.created),
        activated: opt(u.activated),
        status_changed: opt(u.status_changed),
        last_login: opt(u.last_login),
        last_updated: okta_format(u.last_updated),
        password_changed: opt(u.password_changed),
        user_type: UserType { id: "default" },
        profile: u.profile.clone(),
        credentials: UserCredentials {
            provider: CredentialsProvider {
                provider_type: "OKTA",
                name: "OKTA",
            },
            password: u.password_changed.map(|_| Empty {}),
        },
        links: UserLinks {
            groups: Href::new(format!("{href}/groups")),
            this: Href::new(href),
        },
    }
}

/// What a user's lifecycle operation answers: the activation or reset link when no email was sent
/// (`sendEmail=false`), the user after `expire_password`, or `{}`.
#[derive(Serialize, JsonSchema)]
#[serde(untagged)]
#[schemars(rename = "UserLifecycleAnswer")]
pub enum LifecycleAnswer {
    #[serde(rename_all = "camelCase")]
    Activation {
        activation_url: String,
        activation_token: String,
    },
    #[serde(rename_all = "camelCase")]
    Reset {
        reset_password_url: String,
    },
    User(Box<UserBody>),
    Nothing(Empty),
}

#[derive(schemars::JsonSchema, Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    filter: Option<String>,
    search: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

fn invalid_search(message: String) -> ApiError {
    let mut e = ApiError::of(OktaCode::InvalidSearch);
    e.causes.push(message);
    e
}

fn user_query(q: &ListQuery) -> Result<UserQuery, ApiError> {
    let parsed = if let Some(text) = q.search.as_deref().filter(|s| !s.trim().is_empty()) {
        filter::parse(text, &USER_SEARCH)
    } else if let Some(text) = q.filter.as_deref().filter(|s| !s.trim().is_empty()) {
        filter::parse(text, &USER_FILTER)
    } else if let Some(text) = q.q.as_deref().filter(|s| !s.is_empty()) {
        return Ok(UserQuery::Prefix(text.to_owned()));
    } else {
        return Ok(UserQuery::All);
    };
    let expr = parsed.map_err(|e| invalid_search(e.to_string()))?;
    validate(&expr).map_err(invalid_search)?;
    Ok(UserQuery::Expr(expr))
}

async fn list(
    State(state): State<AppState>,
    OriginalUri(uri): OriginalUri,
    Query(q): Query<ListQuery>,
) -> Result<Response, ApiError> {
    let query = user_query(&q)?;
    let req = q.page.to_request(200, 200)?;
    let page = state.store.list_users(&query, &req).await?;
    let base = &state.config.base_url;
    let body = page.items.iter().map(|u| user_json(u, base)).collect();
    Ok(list_response(base, &uri, page.next.as_deref(), body))
}

/// A user by id, or by login (case-insensitive).
pub async fn find(state: &AppState, id_or_login: &str) -> Result<User, ApiError> {
    accounts::find(state.store.as_ref(), id_or_login)
        .await
        .map_err(|e| refused(e, id_or_login))
}

/// An operation on a user refused, in Okta's terms.
pub(crate) fn refused(e: AccountError, id: &str) -> ApiError {
    match e {
        AccountError::NotFound => ApiError::not_found(id, "User"),
        AccountError::InvalidProfile(causes) => {
            let first = causes
                .first()
                .and_then(|c| c.split(':').next())
                .unwrap_or("profile")
                .to_owned();
            ApiError::validation(first, causes)
        }
        AccountError::ProfileRequired => ApiError::validation(
            "profile",
            vec!["profile: The field cannot be left blank".into()],
        ),
        AccountError::LoginTaken => ApiError::validation(
            "login",
            vec![
                "login: An object with this field already exists in the current organization"
                    .into(),
            ],
        ),
        AccountError::PasswordRejected(causes) => ApiError::validation("password", causes),
        AccountError::Lifecycle(r) => lifecycle_refused(r),
        AccountError::Hashing(e) => ApiError::internal(e.to_string()),
        AccountError::Store(e) => e.into(),
    }
}

/// Okta's code for each refused lifecycle operation; the reason is the core's.
fn lifecycle_refused(r: Refused) -> ApiError {
    let code = match r {
        Refused::AlreadyActive => OktaCode::ActivationFailed,
        Refused::NotActive | Refused::NotSuspended => OktaCode::ApiValidationFailed,
        Refused::NotLockedOut => OktaCode::UnlockNotAllowed,
        Refused::NotProvisioned | Refused::NoPasswordToExpire | Refused::NotAllowed => {
            OktaCode::OperationNotAllowed
        }
    };
    ApiError::new(code.status(), code, r.message())
}

async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = find(&state, &id).await?;
    Ok(Json(user_json(&user, &state.config.base_url)))
}

#[derive(schemars::JsonSchema, Deserialize)]
struct PasswordIn {
    value: Option<String>,
}

#[derive(schemars::JsonSchema, Deserialize)]
struct CredentialsIn {
    password: Option<PasswordIn>,
}

#[derive(schemars::JsonSchema, Deserialize)]
struct UserIn {
    profile: Option<Map<String, Value>>,
    credentials: Option<CredentialsIn>,
}

impl UserIn {
    fn password(&self) -> Option<&str> {
        self.credentials
            .as_ref()?
            .password
            .as_ref()?
            .value
            .as_deref()
    }
}

#[derive(schemars::JsonSchema, Deserialize, Default)]
struct CreateQuery {
    activate: Option<String>,
    #[serde(rename = "nextLogin")]
    next_login: Option<String>,
    /// A PROVISIONED user gets the activation link by email unless `false`.
    #[serde(rename = "sendEmail")]
    send_email: Option<String>,
}

/// Records an operation's events with the request's actor, the user as target.
fn record(state: &AppState, audit: &Audit, user: &User, events: &[Event]) {
    for (kind, message) in events {
        let e = audit.event(state, kind, message);
        state.syslog.record(e.target(user_target(user)));
    }
}

async fn create(
    State(state): State<AppState>,
    audit: Audit,
    Query(q): Query<CreateQuery>,
    OktaJson(body): OktaJson<UserIn>,
) -> Result<Json<Value>, ApiError> {
    let new = NewUser {
        profile: body.profile.clone().unwrap_or_default(),
        password: body.password(),
        activate: q.activate.as_deref() != Some("false"),
        change_password_next: q.next_login.as_deref() == Some("changePassword"),
        activation_link: flag(q.send_email.as_deref(), true),
    };
    let created = accounts::create(state.store.as_ref(), state.accounts(), new)
        .await
        .map_err(|e| refused(e, ""))?;
    let user = &created.user;
    tracing::info!(user = %user.id, status = user.status.as_str(), "user created");
    record(&state, &audit, user, &created.events());
    if let Some(token) = &created.activation {
        let url = crate::activation::activation_url(&state, &token.value);
        crate::activation::email_link(&state, user, &url);
    }
    Ok(Json(user_json(user, &state.config.base_url)))
}

async fn update(
    state: AppState,
    audit: Audit,
    id: String,
    body: UserIn,
    partial: bool,
) -> Result<Json<Value>, ApiError> {
    let changes = Changes {
        profile: body.profile.clone(),
        password: body.password(),
        partial,
    };
    let updated = accounts::update(state.store.as_ref(), state.accounts(), &id, changes)
        .await
        .map_err(|e| refused(e, &id))?;
    record(&state, &audit, &updated.user, &updated.events());
    Ok(Json(user_json(&updated.user, &state.config.base_url)))
}

async fn update_partial(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
    OktaJson(body): OktaJson<UserIn>,
) -> Result<Json<Value>, ApiError> {
    update(state, audit, id, body, true).await
}

async fn update_full(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
    OktaJson(body): OktaJson<UserIn>,
) -> Result<Json<Value>, ApiError> {
    update(state, audit, id, body, false).await
}

#[derive(schemars::JsonSchema, Deserialize, Default)]
struct LifecycleQuery {
    /// `reset_password`: email the link (the default) or hand it back.
    #[serde(rename = "sendEmail")]
    send_email: Option<String>,
    /// `reset_password`: also end the user's sessions now (by default they end when the new password is set).
    #[serde(rename = "revokeSessions")]
    revoke_sessions: Option<String>,
}

/// A boolean query parameter: `true`/`false` in any case, else `default`.
fn flag(value: Option<&str>, default: bool) -> bool {
    match value {
        Some(v) if v.eq_ignore_ascii_case("true") => true,
        Some(v) if v.eq_ignore_ascii_case("false") => false,
        _ => default,
    }
}

async fn lifecycle_op(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, operation)): Path<(String, String)>,
    Query(q): Query<LifecycleQuery>,
) -> Result<Json<LifecycleAnswer>, ApiError> {
    let op = Operation::parse(&operation).ok_or_else(|| {
        ApiError::not_found_path(&format!("/api/v1/users/{id}/lifecycle/{operation}"))
    })?;
    let options = LifecycleOptions {
        revoke_sessions: flag(q.revoke_sessions.as_deref(), false),
    };
    let changed = accounts::lifecycle(state.store.as_ref(), state.accounts(), &id, op, options)
        .await
        .map_err(|e| refused(e, &id))?;
    let user = &changed.user;
    crate::logout::announce(&state, &changed.ended_sessions);
    tracing::info!(user = %user.id, operation = %operation, status = user.status.as_str(), "user lifecycle");
    record(&state, &audit, user, &[changed.event()]);
    let send_email = flag(q.send_email.as_deref(), true);
    if let Some(token) = &changed.activation {
        let url = crate::activation::activation_url(&state, &token.value);
        if !send_email {
            return Ok(Json(LifecycleAnswer::Activation {
                activation_url: url,
                activation_token: token.value.clone(),
            }));
        }
        crate::activation::email_link(&state, user, &url);
    }
    if let Some(token) = &changed.reset {
        let link = crate::recovery::reset_url(&state, &token.value);
        if !send_email {
            return Ok(Json(LifecycleAnswer::Reset {
                reset_password_url: link,
            }));
        }
        crate::recovery::email_reset_link(&state, user, &link);
    }
    Ok(Json(match op {
        Operation::ExpirePassword => {
            LifecycleAnswer::User(Box::new(user_body(user, &state.config.base_url)))
        }
        _ => LifecycleAnswer::Nothing(Empty {}),
    }))
}

/// Okta deletes only deactivated users: the first DELETE of any other user deactivates it.
async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let deletion = accounts::delete(state.store.as_ref(), state.accounts(), &id)
        .await
        .map_err(|e| refused(e, &id))?;
    let user = match &deletion {
        Deletion::Deleted(user) => {
            tracing::info!(user = %user.id, "user deleted");
            user
        }
        Deletion::Deactivated(user) => {
            tracing::info!(user = %user.id, "user deactivated by DELETE");
            user
        }
    };
    record(&state, &audit, user, &[deletion.event()]);
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_get_oktas_codes_and_client_mistakes_are_4xx() {
        let cases = [
            (AccountError::NotFound, 404, OktaCode::NotFound),
            (AccountError::LoginTaken, 400, OktaCode::ApiValidationFailed),
            (
                AccountError::ProfileRequired,
                400,
                OktaCode::ApiValidationFailed,
            ),
            (
                AccountError::PasswordRejected(vec!["password: x".into()]),
                400,
                OktaCode::ApiValidationFailed,
            ),
            (
                AccountError::InvalidProfile(vec!["email: x".into()]),
                400,
                OktaCode::ApiValidationFailed,
            ),
            (
                AccountError::Lifecycle(Refused::AlreadyActive),
                403,
                OktaCode::ActivationFailed,
            ),
            (
                AccountError::Lifecycle(Refused::NotActive),
                400,
                OktaCode::ApiValidationFailed,
            ),
            (
                AccountError::Lifecycle(Refused::NotSuspended),
                400,
                OktaCode::ApiValidationFailed,
            ),
            (
                AccountError::Lifecycle(Refused::NotLockedOut),
                403,
                OktaCode::UnlockNotAllowed,
            ),
            (
                AccountError::Lifecycle(Refused::NotProvisioned),
                403,
                OktaCode::OperationNotAllowed,
            ),
            (
                AccountError::Lifecycle(Refused::NoPasswordToExpire),
                403,
                OktaCode::OperationNotAllowed,
            ),
            (
                AccountError::Lifecycle(Refused::NotAllowed),
                403,
                OktaCode::OperationNotAllowed,
            ),
        ];
        for (error, status, code) in cases {
            let e = refused(error.clone(), "00u1");
            assert_eq!((e.status.as_u16(), e.code), (status, code), "{error:?}");
        }
        let e = refused(AccountError::InvalidProfile(vec!["email: bad".into()]), "x");
        assert_eq!(e.summary, "Api validation failed: email");
        let e = refused(AccountError::Lifecycle(Refused::NotProvisioned), "x");
        assert_eq!(e.summary, Refused::NotProvisioned.message());
    }

    #[test]
    fn boolean_query_parameters_fall_back_to_their_default() {
        assert!(flag(Some("true"), false));
        assert!(flag(Some("TRUE"), false));
        assert!(!flag(Some("false"), true));
        assert!(!flag(Some("False"), true));
        assert!(flag(None, true));
        assert!(!flag(None, false));
        assert!(flag(Some("yes"), true), "anything else is the default");
        assert!(!flag(Some(""), false));
    }
}
