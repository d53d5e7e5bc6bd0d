//! Configuration as code: `lanyard export`, `plan` and `apply`, and `serve --seed`.
//!
//! The org is read and changed only through the management API's operations ([`ops`]): `export` lists and reads,
//! `apply` creates, replaces, assigns and deletes as an API client would, so the API's validations, defaults and
//! side effects (system log, caches, keys) are the same whichever door a change comes through.

pub mod apply;
pub mod document;
pub mod export;
pub mod ops;
pub mod plan;

use std::sync::Arc;

use anyhow::Context;
use lanyard_core::store::Store;
use lanyard_server::AppState;

pub use document::Document;
use ops::{InProcess, RunToken};

/// What `apply` did.
#[derive(Debug)]
pub struct Applied {
    pub plan: plan::Plan,
}

/// Reads the org's file (`export`) through a state's own API.
pub async fn export_state(state: &AppState) -> anyhow::Result<Document> {
    with_ops(
        state,
        |ops| async move { Ok(export::export(&ops).await?.0) },
    )
    .await
}

/// The plan that would make the org match `want`.
pub async fn plan_state(
    state: &AppState,
    want: &Document,
    prune: bool,
) -> anyhow::Result<plan::Plan> {
    let want = want.clone();
    with_ops(state, |ops| async move {
        let (have, _) = export::export(&ops).await?;
        Ok(plan::plan(&want, &have, prune))
    })
    .await
}

/// Makes the org match `want`. Every secret is resolved first (a missing variable changes nothing).
pub async fn apply_state(
    state: &AppState,
    want: &Document,
    env: impl Fn(&str) -> Option<String>,
    prune: bool,
) -> anyhow::Result<Applied> {
    let secrets = want.resolve_secrets(env)?;
    let want = want.clone();
    // Users are made several at once where each one's password hash is worth the wait (15–25 ms of a core). At a
    // disposable instance's strength (about 1 ms) they are made one after the other: writers of one SQLite file
    // that meet wait for its lock in SQLite's busy handler, which sleeps 1, 2, 5, 10… ms each time (strace).
    let users_at_once =
        if state.config.password_params == lanyard_core::password::hash::Params::DISPOSABLE {
            1
        } else {
            apply::USERS_AT_ONCE
        };
    with_ops(state, |ops| async move {
        let (have, mut ids) = export::export(&ops).await?;
        let plan = plan::plan(&want, &have, prune);
        apply::apply(
            &ops,
            &plan,
            &want,
            &have,
            &mut ids,
            &secrets,
            prune,
            users_at_once,
        )
        .await?;
        Ok(Applied { plan })
    })
    .await
}

/// Runs `f` with the state's management API, as a token minted for the run and revoked after it.
async fn with_ops<T, F, Fut>(state: &AppState, f: F) -> anyhow::Result<T>
where
    F: FnOnce(InProcess) -> Fut,
    Fut: Future<Output = anyhow::Result<T>>,
{
    let store: Arc<dyn Store> = state.store.clone();
    let token = RunToken::mint(store.as_ref(), "lanyard apply").await?;
    let ops = InProcess::new(lanyard_server::router(state.clone()), &token);
    let out = f(ops).await;
    token
        .revoke(store.as_ref())
        .await
        .context("cannot revoke the run's API token")?;
    out
}
