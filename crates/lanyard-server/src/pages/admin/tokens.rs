//! `/admin/tokens`: the management API tokens — name, owner, when made, last used and expiring — never the tokens
//! nor any part of them (the store holds only their SHA-256).

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use lanyard_core::model::PageRequest;
use serde::Deserialize;

use super::{Admin, Chrome, next_href, when, when_opt};
use crate::pages::PageError;
use crate::state::AppState;

const PAGE_SIZE: u32 = 50;

#[derive(Deserialize, Default)]
pub struct Params {
    after: Option<String>,
}

struct TokenRow {
    id: String,
    name: String,
    owner: String,
    created: String,
    last_used: String,
    expires: String,
}

#[derive(Template)]
#[template(path = "admin/tokens.html")]
struct List {
    c: Chrome,
    rows: Vec<TokenRow>,
    next: Option<String>,
}

pub async fn list(
    admin: Admin,
    State(state): State<AppState>,
    Query(p): Query<Params>,
) -> Result<Response, PageError> {
    let page = state
        .store
        .list_api_tokens(&PageRequest {
            limit: PAGE_SIZE,
            after: p.after.filter(|a| !a.is_empty()),
        })
        .await?;
    let mut rows = Vec::with_capacity(page.items.len());
    for t in page.items {
        let owner = match &t.user_id {
            Some(uid) => match state.store.user(uid).await? {
                Some(u) => u.login,
                None => uid.clone(),
            },
            None => "the command line (lanyard api-token create)".to_owned(),
        };
        rows.push(TokenRow {
            id: t.id,
            name: t.name,
            owner,
            created: when(t.created),
            last_used: when_opt(t.last_used),
            expires: t.expires_at.map(when).unwrap_or_else(|| "never".to_owned()),
        });
    }
    Ok(super::page(
        List {
            c: Chrome::new(&state, &admin, "tokens"),
            next: next_href("/admin/tokens", &[], page.next.as_deref()),
            rows,
        }
        .render(),
    ))
}
