//! `/api/v1/users`: create, read (by id or login), list with `q` / `filter` / `search`, partial and full update,
//! lifecycle operations, delete — in Okta's shapes and with Okta's status rules.

use axum::extract::{OriginalUri, Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use lanyard_core::clock::{Timestamp, okta_format};
use lanyard_core::directory::filter::{self, USER_FILTER, USER_SEARCH};
use lanyard_core::directory::lifecycle::{self, Operation};
use lanyard_core::directory::profile;
use lanyard_core::directory::users::{UserQuery, validate};
use lanyard_core::id::{new_id, prefix};
use lanyard_core::model::{PasswordRecord, User, UserStatus};
use lanyard_core::password::policy::{PolicyContext, REUSED_CAUSE};
use lanyard_core::store::StoreError;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::error::ApiError;
use super::extract::OktaJson;
use super::pagination::{PageQuery, list_response};
use crate::state::AppState;
use crate::syslog::{Audit, user_target};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/users", get(list).post(create))
        .route(
            "/users/{id}",
            get(read)
                .post(update_partial)
                .put(update_full)
                .delete(delete),
        )
        .route("/users/{id}/lifecycle/{operation}", post(lifecycle_op))
}

/// A user in Okta's shape.
pub fn user_json(u: &User, base: &str) -> Value {
    let opt = |t: Option<Timestamp>| t.map(okta_format);
    let href = format!("{base}/api/v1/users/{}", u.id);
    let mut credentials = json!({ "provider": { "type": "OKTA", "name": "OKTA" } });
    if u.password_changed.is_some() {
        credentials["password"] = json!({});
    }
    json!({
        "id": u.id,
        "status": u.status.as_str(),
        "created": okta_format(u.created),
        "activated": opt(u.activated),
        "statusChanged": opt(u.status_changed),
        "lastLogin": opt(u.last_login),
        "lastUpdated": okta_format(u.last_updated),
        "passwordChanged": opt(u.password_changed),
        "type": { "id": "default" },
        "profile": u.profile,
        "credentials": credentials,
        "_links": {
            "self": { "href": href },
            "groups": { "href": format!("{href}/groups") },
        }
    })
}

#[derive(Deserialize, Default)]
struct ListQuery {
    q: Option<String>,
    filter: Option<String>,
    search: Option<String>,
    #[serde(flatten)]
    page: PageQuery,
}

fn invalid_search(message: String) -> ApiError {
    let mut e = ApiError::new(
        StatusCode::BAD_REQUEST,
        "E0000031",
        "Invalid search criteria.",
    );
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
    if let Some(u) = state.store.user(id_or_login).await? {
        return Ok(u);
    }
    state
        .store
        .user_by_login(id_or_login)
        .await?
        .ok_or_else(|| ApiError::not_found(id_or_login, "User"))
}

async fn read(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let user = find(&state, &id).await?;
    Ok(Json(user_json(&user, &state.config.base_url)))
}

#[derive(Deserialize)]
struct PasswordIn {
    value: Option<String>,
}

#[derive(Deserialize)]
struct CredentialsIn {
    password: Option<PasswordIn>,
}

#[derive(Deserialize)]
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

#[derive(Deserialize, Default)]
struct CreateQuery {
    activate: Option<String>,
    #[serde(rename = "nextLogin")]
    next_login: Option<String>,
    /// A PROVISIONED user gets the activation link by email unless `false`.
    #[serde(rename = "sendEmail")]
    send_email: Option<String>,
}

fn login_of(profile: &Map<String, Value>) -> String {
    profile
        .get("login")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .trim()
        .to_owned()
}

fn conflict_or(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(_) => ApiError::validation(
            "login",
            vec![
                "login: An object with this field already exists in the current organization"
                    .into(),
            ],
        ),
        other => other.into(),
    }
}

fn check_profile(profile: &Map<String, Value>) -> Result<(), ApiError> {
    let causes = profile::validate(profile);
    if causes.is_empty() {
        Ok(())
    } else {
        let first = causes[0].split(':').next().unwrap_or("profile").to_owned();
        Err(ApiError::validation(first, causes))
    }
}

/// Checks a new password against the policy (and the history) and hashes it.
pub(crate) async fn new_password(
    state: &AppState,
    password: &str,
    profile: &Map<String, Value>,
    previous: Option<&PasswordRecord>,
) -> Result<PasswordRecord, ApiError> {
    let login = login_of(profile);
    let ctx = PolicyContext {
        login: &login,
        first_name: profile.get("firstName").and_then(Value::as_str),
        last_name: profile.get("lastName").and_then(Value::as_str),
    };
    let policy = &state.password_policy;
    let mut causes = policy.check(password, &ctx);
    if causes.is_empty()
        && let Some(prev) = previous
    {
        let mut history = vec![prev.hash.clone()];
        history.extend(prev.history.iter().cloned());
        let reused = state
            .passwords
            .reused(password, &history, policy.history_count)
            .await
            .map_err(|e| ApiError::internal(e.to_string()))?;
        if reused {
            causes.push(REUSED_CAUSE.to_owned());
        }
    }
    if !causes.is_empty() {
        return Err(ApiError::validation("password", causes));
    }
    let hash = state
        .passwords
        .hash(password)
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    let mut history = Vec::new();
    if let Some(prev) = previous {
        history.push(prev.hash.clone());
        history.extend(prev.history.iter().cloned());
        history.truncate(policy.history_count);
    }
    Ok(PasswordRecord {
        hash,
        history,
        changed: state.clock.now(),
    })
}

async fn create(
    State(state): State<AppState>,
    audit: Audit,
    Query(q): Query<CreateQuery>,
    OktaJson(body): OktaJson<UserIn>,
) -> Result<Json<Value>, ApiError> {
    let profile = body.profile.clone().unwrap_or_default();
    check_profile(&profile)?;
    let password = match body.password() {
        Some(p) => Some(new_password(&state, p, &profile, None).await?),
        None => None,
    };
    let activate = q.activate.as_deref() != Some("false");
    let change_next = q.next_login.as_deref() == Some("changePassword");
    let status = lifecycle::initial_status(activate, password.is_some(), change_next);
    let now = state.clock.now();
    let user = User {
        id: new_id(prefix::USER, now, state.random.as_ref()),
        status,
        login: login_of(&profile),
        profile,
        created: now,
        activated: matches!(status, UserStatus::Active | UserStatus::PasswordExpired)
            .then_some(now),
        status_changed: (status != UserStatus::Staged).then_some(now),
        last_login: None,
        last_updated: now,
        password_changed: password.as_ref().map(|_| now),
    };
    state
        .store
        .insert_user(&user, password.as_ref())
        .await
        .map_err(conflict_or)?;
    tracing::info!(user = %user.id, status = user.status.as_str(), "user created");
    let target = user_target(&user);
    state.syslog.record(
        audit
            .event(&state, "user.lifecycle.create", "Create okta user")
            .target(target.clone()),
    );
    if user.status == UserStatus::Active {
        let (kind, message) = Operation::Activate.event();
        state
            .syslog
            .record(audit.event(&state, kind, message).target(target));
    }
    // Activated without a password: the user chooses one through the activation link.
    if user.status == UserStatus::Provisioned && flag(q.send_email.as_deref(), true) {
        let (url, _) = crate::activation::new_link(&state, &user).await?;
        crate::activation::email_link(&state, &user, &url);
    }
    Ok(Json(user_json(&user, &state.config.base_url)))
}

async fn update(
    state: AppState,
    audit: Audit,
    id: String,
    body: UserIn,
    partial: bool,
) -> Result<Json<Value>, ApiError> {
    let mut user = find(&state, &id).await?;
    let now = state.clock.now();
    if let Some(changes) = body.profile.clone() {
        if partial {
            profile::merge(&mut user.profile, changes);
        } else {
            user.profile = changes;
        }
    } else if !partial {
        return Err(ApiError::validation(
            "profile",
            vec!["profile: The field cannot be left blank".into()],
        ));
    }
    check_profile(&user.profile)?;
    user.login = login_of(&user.profile);
    user.last_updated = now;
    if let Some(p) = body.password() {
        let previous = state.store.password(&user.id).await?;
        let record = new_password(&state, p, &user.profile, previous.as_ref()).await?;
        state.store.set_password(&user.id, &record).await?;
        user.password_changed = Some(now);
        // An administrator setting a password lets a provisioned or expired user sign in.
        if matches!(
            user.status,
            UserStatus::Provisioned | UserStatus::PasswordExpired
        ) {
            user.status = UserStatus::Active;
            user.status_changed = Some(now);
            user.activated.get_or_insert(now);
        }
    }
    if !state.store.update_user(&user).await.map_err(conflict_or)? {
        return Err(ApiError::not_found(&id, "User"));
    }
    if body.profile.is_some() {
        let e = audit.event(
            &state,
            "user.account.update_profile",
            "Update user profile for Okta",
        );
        state.syslog.record(e.target(user_target(&user)));
    }
    if body.password().is_some() {
        let e = audit.event(
            &state,
            "user.account.update_password",
            "Update password for user",
        );
        state.syslog.record(e.target(user_target(&user)));
    }
    Ok(Json(user_json(&user, &state.config.base_url)))
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

#[derive(Deserialize, Default)]
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
) -> Result<Response, ApiError> {
    let op = Operation::parse(&operation).ok_or_else(|| {
        ApiError::not_found_path(&format!("/api/v1/users/{id}/lifecycle/{operation}"))
    })?;
    let mut user = find(&state, &id).await?;
    let has_password = user.password_changed.is_some();
    lifecycle::apply(&mut user, op, has_password, state.clock.now()).map_err(|r| {
        let status = if r.code == "E0000001" {
            StatusCode::BAD_REQUEST
        } else {
            StatusCode::FORBIDDEN
        };
        ApiError::new(status, r.code, r.message)
    })?;
    state.store.update_user(&user).await?;
    match op {
        Operation::ResetFactors => {
            state.store.delete_user_factors(&user.id).await?;
        }
        Operation::Unlock => state.store.reset_failures(&user.id).await?,
        // A user who can no longer sign in loses the sessions they have.
        Operation::Deactivate | Operation::Suspend => {
            crate::logout::end_all(&state, &user.id).await?;
        }
        Operation::ResetPassword if flag(q.revoke_sessions.as_deref(), false) => {
            crate::logout::end_all(&state, &user.id).await?;
        }
        _ => {}
    }
    // A new reset link (voiding the earlier ones), made before the event is logged: nothing is logged if it fails.
    let reset_link = match op {
        Operation::ResetPassword => Some(crate::recovery::new_reset_link(&state, &user).await?),
        _ => None,
    };
    // Activating (or reactivating) a user without a password: a new activation link.
    let activation = match op {
        Operation::Activate | Operation::Reactivate if user.status == UserStatus::Provisioned => {
            Some(crate::activation::new_link(&state, &user).await?)
        }
        _ => None,
    };
    tracing::info!(user = %user.id, operation = %operation, status = user.status.as_str(), "user lifecycle");
    let (kind, message) = op.event();
    state.syslog.record(
        audit
            .event(&state, kind, message)
            .target(user_target(&user)),
    );
    if let Some((url, token)) = activation {
        if !flag(q.send_email.as_deref(), true) {
            return Ok(
                Json(json!({ "activationUrl": url, "activationToken": token })).into_response(),
            );
        }
        crate::activation::email_link(&state, &user, &url);
    }
    if let Some(link) = reset_link {
        if !flag(q.send_email.as_deref(), true) {
            return Ok(Json(json!({ "resetPasswordUrl": link })).into_response());
        }
        crate::recovery::email_reset_link(&state, &user, &link);
    }
    Ok(match op {
        Operation::ExpirePassword => Json(user_json(&user, &state.config.base_url)).into_response(),
        _ => Json(json!({})).into_response(),
    })
}

/// Okta deletes only deactivated users: the first DELETE of any other user deactivates it.
async fn delete(
    State(state): State<AppState>,
    audit: Audit,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut user = find(&state, &id).await?;
    if user.status == UserStatus::Deprovisioned {
        state.store.delete_user(&user.id).await?;
        tracing::info!(user = %user.id, "user deleted");
        let e = audit.event(
            &state,
            "user.lifecycle.delete.completed",
            "Delete Okta user",
        );
        state.syslog.record(e.target(user_target(&user)));
    } else {
        let has_password = user.password_changed.is_some();
        lifecycle::apply(
            &mut user,
            Operation::Deactivate,
            has_password,
            state.clock.now(),
        )
        .map_err(|r| ApiError::new(StatusCode::FORBIDDEN, r.code, r.message))?;
        state.store.update_user(&user).await?;
        tracing::info!(user = %user.id, "user deactivated by DELETE");
        let (kind, message) = Operation::Deactivate.event();
        state.syslog.record(
            audit
                .event(&state, kind, message)
                .target(user_target(&user)),
        );
    }
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::flag;

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
