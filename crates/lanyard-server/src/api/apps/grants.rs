//! `/api/v1/apps/{id}/grants`: Okta's scope consent grants — the `okta.*` scopes an administrator allows a service
//! app to ask the org authorization server for (grant, list, read, revoke), in Okta's `OAuth2ScopeConsentGrant`
//! shape (source `ADMIN`, status `ACTIVE`). The rules live in `lanyard_core::okta_scopes`; a revoked grant stops new
//! tokens, those already issued live out their hour.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::{Extension, Json};
use lanyard_core::clock::okta_format;
use lanyard_core::model::{App, ScopeGrant};
use lanyard_core::okta_scopes::{self, GrantRefused, grant_scope};
use lanyard_core::syslog::Party;
use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use super::{app_target, find};
use crate::api::auth::ApiPrincipal;
use crate::api::error::ApiError;
use crate::api::extract::OktaJson;
use crate::api::openapi::{HintedHref, Object, Routes, doc};
use crate::state::AppState;
use crate::syslog::Audit;

pub fn routes() -> Routes {
    Routes::new()
        .get("/apps/{id}/grants", list, doc().list::<GrantBody>())
        .post(
            "/apps/{id}/grants",
            create,
            doc().body::<Object>().created::<GrantBody>(),
        )
        .get(
            "/apps/{id}/grants/{grant_id}",
            read,
            doc().ok::<GrantBody>(),
        )
        .delete("/apps/{id}/grants/{grant_id}", revoke, doc().no_content())
}

/// A scope grant of an app in Okta's shape (`OAuth2ScopeConsentGrant`, source `ADMIN`): what `grant_json` sends.
#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(rename = "OAuth2ScopeConsentGrant")]
pub struct GrantBody {
    id: String,
    status: &'static str,
    created: String,
    created_by: CreatedBy,
    last_updated: String,
    issuer: String,
    client_id: String,
    scope_id: String,
    #[schemars(extend("enum" = ["ADMIN", "END_USER"]))]
    source: &'static str,
    #[serde(rename = "_links")]
    links: GrantLinks,
}

/// Who made a grant.
#[derive(Serialize, JsonSchema)]
pub struct CreatedBy {
    pub id: String,
    #[serde(rename = "type")]
    #[schemars(extend("enum" = ["User", "SystemPrincipal"]))]
    pub kind: &'static str,
}

#[derive(Serialize, JsonSchema)]
pub struct GrantLinks {
    #[serde(rename = "self")]
    this: HintedHref,
    app: TitledHref,
    client: TitledHref,
}

/// A link with its target's name.
#[derive(Serialize, JsonSchema)]
pub struct TitledHref {
    href: String,
    title: String,
}

fn grant_json(g: &ScopeGrant, app: &App, base: &str) -> GrantBody {
    let app_href = format!("{base}/api/v1/apps/{}", app.id);
    let actor_type = if g.created_by.starts_with("00u") {
        "User"
    } else {
        "SystemPrincipal"
    };
    GrantBody {
        id: g.id.clone(),
        status: "ACTIVE",
        created: okta_format(g.created),
        created_by: CreatedBy {
            id: g.created_by.clone(),
            kind: actor_type,
        },
        last_updated: okta_format(g.created),
        issuer: g.issuer.clone(),
        client_id: app.client.client_id.clone(),
        scope_id: g.scope_id.clone(),
        source: "ADMIN",
        links: GrantLinks {
            this: HintedHref::new(format!("{app_href}/grants/{}", g.id), &["GET", "DELETE"]),
            client: TitledHref {
                href: format!("{base}/oauth2/v1/clients/{}", app.client.client_id),
                title: app.label.clone(),
            },
            app: TitledHref {
                href: app_href,
                title: app.label.clone(),
            },
        },
    }
}

fn grant_target(g: &ScopeGrant) -> Party {
    Party::new(&g.id, "OAuth2ScopeConsentGrant", &g.scope_id, &g.scope_id)
}

async fn list(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Vec<GrantBody>>, ApiError> {
    let app = find(&state, &id).await?;
    let base = &state.config.base_url;
    let grants = state.store.scope_grants(&app.id).await?;
    Ok(Json(
        grants.iter().map(|g| grant_json(g, &app, base)).collect(),
    ))
}

async fn create(
    State(state): State<AppState>,
    audit: Audit,
    Extension(me): Extension<ApiPrincipal>,
    Path(id): Path<String>,
    OktaJson(body): OktaJson<Value>,
) -> Result<(StatusCode, Json<GrantBody>), ApiError> {
    let app = find(&state, &id).await?;
    let base = &state.config.base_url;
    let by = me.user_id.as_deref().unwrap_or(&me.token_id);
    let grant = grant_scope(
        state.store.as_ref(),
        state.random.as_ref(),
        &app.id,
        base,
        by,
        state.clock.now(),
        &body,
    )
    .await
    .map_err(|e| match e {
        GrantRefused::Invalid(invalid) => crate::api::invalid(invalid),
        GrantRefused::Taken(scope) => ApiError::validation(
            "scopeId",
            vec![format!("scopeId: {scope} is already granted to this app")],
        ),
        GrantRefused::Store(e) => e.into(),
    })?;
    state.syslog.record(
        audit
            .event(&state, "app.oauth2.as.consent.grant", "Grant scope to app")
            .target(app_target(&app))
            .target(grant_target(&grant)),
    );
    Ok((StatusCode::CREATED, Json(grant_json(&grant, &app, base))))
}

async fn read(
    State(state): State<AppState>,
    Path((id, grant_id)): Path<(String, String)>,
) -> Result<Json<GrantBody>, ApiError> {
    let app = find(&state, &id).await?;
    let grant = state
        .store
        .scope_grant(&app.id, &grant_id)
        .await?
        .ok_or_else(|| ApiError::not_found(&grant_id, "OAuth2ScopeConsentGrant"))?;
    Ok(Json(grant_json(&grant, &app, &state.config.base_url)))
}

async fn revoke(
    State(state): State<AppState>,
    audit: Audit,
    Path((id, grant_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let app = find(&state, &id).await?;
    let Some(grant) = okta_scopes::revoke_grant(state.store.as_ref(), &app.id, &grant_id).await?
    else {
        return Err(ApiError::not_found(&grant_id, "OAuth2ScopeConsentGrant"));
    };
    state.syslog.record(
        audit
            .event(
                &state,
                "app.oauth2.as.consent.revoke",
                "Revoke scope grant of app",
            )
            .target(app_target(&app))
            .target(grant_target(&grant)),
    );
    Ok(StatusCode::NO_CONTENT)
}
