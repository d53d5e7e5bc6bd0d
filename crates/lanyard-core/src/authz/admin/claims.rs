//! Custom claims of custom servers: create, replace, delete. A claim's scope condition may name only the server's
//! scopes; names are unique per server and claim type. What a claim means in a token is [`crate::authz::claims`]'s.

use serde_json::Value;

use super::{Changed, Env, custom_server};
use crate::authz::claims::{ClaimFields, validate_claim};
use crate::change::{Event, Refused, Resource, name_taken_or};
use crate::id::{new_id, prefix};
use crate::model::{AuthorizationServer, Claim};
use crate::store::{AuthServerStore, ClaimStore, ScopeStore};
use crate::syslog::Party;

/// The store capabilities the operations on claims use: the server's scopes are read to validate a claim.
pub trait ClaimAdminStore: AuthServerStore + ScopeStore + ClaimStore {}

impl<T> ClaimAdminStore for T where T: AuthServerStore + ScopeStore + ClaimStore + ?Sized {}

pub const CREATED: Event = ("oauth2.claim.created", "Create OAuth 2.0 claim");
pub const UPDATED: Event = ("oauth2.claim.updated", "Update OAuth 2.0 claim");
pub const DELETED: Event = ("oauth2.claim.deleted", "Delete OAuth 2.0 claim");

const TAKEN: &str = "A claim of this type with this name already exists";

fn target(c: &Claim) -> Party {
    Party::new(&c.id, "OAuth2Claim", &c.name, &c.name)
}

/// The body, validated against the server's scope names.
async fn fields<S: ClaimAdminStore + ?Sized>(
    store: &S,
    id: &str,
    body: &Value,
) -> Result<ClaimFields, Refused> {
    let scopes: Vec<String> = store
        .scopes(id)
        .await?
        .into_iter()
        .map(|s| s.name)
        .collect();
    Ok(validate_claim(body, &scopes)?)
}

/// A server's claim.
pub async fn find<S: ClaimAdminStore + ?Sized>(
    store: &S,
    id: &str,
    cid: &str,
) -> Result<(AuthorizationServer, Claim), Refused> {
    let server = custom_server(store, id).await?;
    let claim = store
        .claim(id, cid)
        .await?
        .ok_or_else(|| Refused::not_found(Resource::Claim, cid))?;
    Ok((server, claim))
}

pub async fn create<S: ClaimAdminStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    id: &str,
    body: &Value,
) -> Result<Changed<Claim>, Refused> {
    let server = custom_server(store, id).await?;
    let f = fields(store, id, body).await?;
    let now = env.clock.now();
    let claim = Claim {
        id: new_id(prefix::CLAIM, now, env.random),
        auth_server_id: id.to_owned(),
        name: f.name,
        status: f.status,
        claim_type: f.claim_type,
        value_type: f.value_type,
        value: f.value,
        always_include_in_token: f.always_include_in_token,
        scopes: f.scopes,
        group_filter_type: f.group_filter_type,
        system: false,
        created: now,
        last_updated: now,
    };
    store
        .insert_claim(&claim)
        .await
        .map_err(|e| name_taken_or(e, TAKEN))?;
    let t = target(&claim);
    Ok(Changed::of(claim, server, CREATED, Some(t)))
}

pub async fn replace<S: ClaimAdminStore + ?Sized>(
    store: &S,
    env: Env<'_>,
    id: &str,
    cid: &str,
    body: &Value,
) -> Result<Changed<Claim>, Refused> {
    let (server, existing) = find(store, id, cid).await?;
    let f = fields(store, id, body).await?;
    let claim = Claim {
        name: f.name,
        status: f.status,
        claim_type: f.claim_type,
        value_type: f.value_type,
        value: f.value,
        always_include_in_token: f.always_include_in_token,
        scopes: f.scopes,
        group_filter_type: f.group_filter_type,
        last_updated: env.clock.now(),
        ..existing
    };
    if !store
        .update_claim(&claim)
        .await
        .map_err(|e| name_taken_or(e, TAKEN))?
    {
        return Err(Refused::not_found(Resource::Claim, cid));
    }
    let t = target(&claim);
    Ok(Changed::of(claim, server, UPDATED, Some(t)))
}

pub async fn delete<S: ClaimAdminStore + ?Sized>(
    store: &S,
    id: &str,
    cid: &str,
) -> Result<Changed<Claim>, Refused> {
    let (server, claim) = find(store, id, cid).await?;
    if !store.delete_claim(id, cid).await? {
        return Err(Refused::not_found(Resource::Claim, cid));
    }
    let t = target(&claim);
    Ok(Changed::of(claim, server, DELETED, Some(t)))
}

#[cfg(test)]
mod tests {
    use super::super::tests::World;
    use super::*;
    use serde_json::json;

    fn body(name: &str, scopes: Value) -> Value {
        json!({"name": name, "claimType": "RESOURCE", "valueType": "EXPRESSION", "value": "user.profile.lastName", "conditions": {"scopes": scopes}})
    }

    #[tokio::test]
    async fn a_claim_names_only_the_server_s_scopes_and_its_name_once_per_type() {
        let w = World::new();
        let s = w.server("orders").await;
        let unknown = create(&w.store, w.env(), &s.id, &body("dept", json!(["nope"]))).await;
        assert!(matches!(unknown, Err(Refused::Invalid(_))));
        let made = create(&w.store, w.env(), &s.id, &body("dept", json!(["profile"])))
            .await
            .unwrap();
        assert_eq!(made.event, Some(CREATED));
        assert_eq!(made.item.scopes, vec!["profile"]);
        let twice = create(&w.store, w.env(), &s.id, &body("dept", json!([]))).await;
        assert!(matches!(twice, Err(Refused::Invalid(i)) if i.names("name")));
        let replaced = replace(
            &w.store,
            w.env(),
            &s.id,
            &made.item.id,
            &body("team", json!([])),
        )
        .await
        .unwrap();
        assert_eq!(
            (replaced.item.name.as_str(), replaced.event),
            ("team", Some(UPDATED))
        );
        delete(&w.store, &s.id, &made.item.id).await.unwrap();
        assert!(matches!(
            find(&w.store, &s.id, &made.item.id).await,
            Err(Refused::NotFound(Resource::Claim, _))
        ));
    }
}
