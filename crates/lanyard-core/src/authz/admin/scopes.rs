//! Scopes of custom servers: create, replace, delete. Names are unique per server; system scopes (`openid`,
//! `profile`, …) keep their name and cannot be deleted. Discovery's `scopes_supported` lists the ALL_CLIENTS
//! scopes, so every change makes the server's cached entry stale.

use serde_json::Value;

use super::{Changed, Env, custom_server};
use crate::authz::scopes::validate_scope;
use crate::authz::{Cause, Invalid};
use crate::change::{Event, Refused, Resource, name_taken_or};
use crate::id::{new_id, prefix};
use crate::model::{AuthorizationServer, Scope};
use crate::store::{AuthServerStore, ScopeStore};
use crate::syslog::Party;

/// The store capabilities the operations on scopes use.
pub trait ScopeAdminStore: AuthServerStore + ScopeStore {}

impl<T> ScopeAdminStore for T where T: AuthServerStore + ScopeStore + ?Sized {}

pub const CREATED: Event = ("oauth2.scope.created", "Create OAuth 2.0 scope");
pub const UPDATED: Event = ("oauth2.scope.updated", "Update OAuth 2.0 scope");
pub const DELETED: Event = ("oauth2.scope.deleted", "Delete OAuth 2.0 scope");

const TAKEN: &str = "A scope with this name already exists";

fn target(s: &Scope) -> Party {
    Party::new(&s.id, "OAuth2Scope", &s.name, &s.name)
}

/// A server's scope.
pub async fn find<S: ScopeAdminStore + ?Sized>(
    store: &S,
    id: &str,
    sid: &str,
) -> Result<(AuthorizationServer, Scope), Refused> {
    let server = custom_server(store, id).await?;
    let scope = store
        .scope(id, sid)
        .await?
        .ok_or_else(|| Refused::not_found(Resource::Scope, sid))?;
    Ok((server, scope))
}

pub async fn create<S: ScopeAdminStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    id: &str,
    body: &Value,
) -> Result<Changed<Scope>, Refused> {
    let server = custom_server(store, id).await?;
    let f = validate_scope(body)?;
    let now = env.clock.now();
    let scope = Scope {
        id: new_id(prefix::SCOPE, now, env.random),
        auth_server_id: id.to_owned(),
        name: f.name,
        display_name: f.display_name,
        description: f.description,
        consent: f.consent,
        default: f.default,
        metadata_publish: f.metadata_publish,
        system: false,
        created: now,
        last_updated: now,
    };
    store
        .insert_scope(&scope)
        .await
        .map_err(|e| name_taken_or(e, TAKEN))?;
    let t = target(&scope);
    Ok(Changed::of(scope, server, CREATED, Some(t)))
}

pub async fn replace<S: ScopeAdminStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    id: &str,
    sid: &str,
    body: &Value,
) -> Result<Changed<Scope>, Refused> {
    let (server, existing) = find(store, id, sid).await?;
    let f = validate_scope(body)?;
    if existing.system && f.name != existing.name {
        return Err(Refused::Invalid(Invalid(vec![Cause {
            field: "name".into(),
            message: format!(
                "{:?} is a system scope and cannot be renamed",
                existing.name
            ),
        }])));
    }
    let scope = Scope {
        name: f.name,
        display_name: f.display_name,
        description: f.description,
        consent: f.consent,
        default: f.default,
        metadata_publish: f.metadata_publish,
        last_updated: env.clock.now(),
        ..existing
    };
    if !store
        .update_scope(&scope)
        .await
        .map_err(|e| name_taken_or(e, TAKEN))?
    {
        return Err(Refused::not_found(Resource::Scope, sid));
    }
    let t = target(&scope);
    Ok(Changed::of(scope, server, UPDATED, Some(t)))
}

pub async fn delete<S: ScopeAdminStore + ?Sized>(
    store: &S,
    id: &str,
    sid: &str,
) -> Result<Changed<Scope>, Refused> {
    let (server, scope) = find(store, id, sid).await?;
    if scope.system {
        return Err(Refused::Forbidden("a system scope cannot be deleted"));
    }
    if !store.delete_scope(id, sid).await? {
        return Err(Refused::not_found(Resource::Scope, sid));
    }
    let t = target(&scope);
    Ok(Changed::of(scope, server, DELETED, Some(t)))
}

#[cfg(test)]
mod tests {
    use super::super::tests::World;
    use super::*;
    use serde_json::json;

    #[tokio::test]
    async fn names_are_unique_and_system_scopes_keep_their_name_and_stay() {
        let w = World::new();
        let s = w.server("orders").await;
        let made = create(&w.store, w.env(), &s.id, &json!({"name": "orders:read"}))
            .await
            .unwrap();
        assert_eq!(made.event, Some(CREATED));
        assert_eq!(made.targets()[1].kind, "OAuth2Scope");
        let twice = create(&w.store, w.env(), &s.id, &json!({"name": "orders:read"})).await;
        assert!(
            matches!(twice, Err(Refused::Invalid(i)) if i.causes() == vec![format!("name: {TAKEN}")])
        );

        let openid = w
            .store
            .scopes(&s.id)
            .await
            .unwrap()
            .into_iter()
            .find(|x| x.name == "openid")
            .unwrap();
        let renamed = replace(
            &w.store,
            w.env(),
            &s.id,
            &openid.id,
            &json!({"name": "oid"}),
        )
        .await;
        assert!(matches!(renamed, Err(Refused::Invalid(i)) if i.names("name")));
        let described = replace(
            &w.store,
            w.env(),
            &s.id,
            &openid.id,
            &json!({"name": "openid", "description": "Who you are"}),
        )
        .await
        .unwrap();
        assert_eq!(described.item.description.as_deref(), Some("Who you are"));
        assert!(described.item.system);
        assert!(matches!(
            delete(&w.store, &s.id, &openid.id).await,
            Err(Refused::Forbidden(_))
        ));

        let gone = delete(&w.store, &s.id, &made.item.id).await.unwrap();
        assert_eq!(gone.event, Some(DELETED));
        assert!(matches!(
            delete(&w.store, &s.id, &made.item.id).await,
            Err(Refused::NotFound(Resource::Scope, _))
        ));
        assert!(matches!(
            create(&w.store, w.env(), "nope", &json!({"name": "a"})).await,
            Err(Refused::NotFound(Resource::AuthorizationServer, _))
        ));
    }
}
