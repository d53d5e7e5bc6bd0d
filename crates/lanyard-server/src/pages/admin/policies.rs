//! `/admin/policies`: the org's sign-on policies (`OKTA_SIGN_ON`) in the order a sign-in evaluates them, each with
//! its rules — the same records `/api/v1/policies?type=OKTA_SIGN_ON&expand=rules` answers.

use askama::Template;
use axum::extract::State;
use axum::response::Response;

use super::servers::{PolicyRow, RuleRow};
use super::{Admin, Chrome};
use crate::pages::PageError;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "admin/policies.html")]
struct Policies {
    c: Chrome,
    policies: Vec<PolicyRow>,
}

pub async fn page(admin: Admin, State(state): State<AppState>) -> Result<Response, PageError> {
    let store = state.store.as_ref();
    let mut listed = store.signon_policies().await?;
    listed.sort_by_key(|p| p.priority);
    let mut policies = Vec::with_capacity(listed.len());
    for p in listed {
        let mut rules = store.signon_rules(&p.id).await?;
        rules.sort_by_key(|r| r.priority);
        policies.push(PolicyRow {
            name: p.name,
            description: p.description,
            priority: p.priority,
            status: p.status.as_str(),
            conditions: p.conditions.to_string(),
            rules: rules.into_iter().map(RuleRow::of).collect(),
        });
    }
    Ok(super::page(
        Policies {
            c: Chrome::new(&state, &admin, "policies"),
            policies,
        }
        .render(),
    ))
}
