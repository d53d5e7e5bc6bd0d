//! OAuth for the management API, as Okta does it: Okta's `okta.*` scopes, which the org authorization server issues
//! to service apps (client credentials, `private_key_jwt`) an administrator granted them to (the Grants API,
//! [`ScopeGrant`]), and which the management API demands per resource. The table of resources is the one place a
//! management route's scope is declared: [`required_scope`] answers for every route template, and a route it does
//! not know is refused to scoped tokens (fail closed). `manage` implies `read`, as in Okta.

use serde_json::Value;

use crate::authz::Invalid;
use crate::clock::Timestamp;
use crate::id::new_id;
use crate::model::{App, ClientAuthMethod, ScopeGrant};
use crate::oauth::client_auth::ClientDirectory;
use crate::oauth::introspection::{OwnServer, Revocations, verified_access_token};
use crate::oauth::tokens::grant_of_jti;
use crate::oauth_error::{ErrorCode, OAuthError};
use crate::random::Random;
use crate::store::{ScopeGrantStore, StoreError};

/// The resources of the management API that have Okta scopes, each with its `read` scope and, unless read-only, its
/// `manage` scope.
const RESOURCES: &[(&str, &str, Option<&str>)] = &[
    ("users", "okta.users.read", Some("okta.users.manage")),
    ("groups", "okta.groups.read", Some("okta.groups.manage")),
    ("apps", "okta.apps.read", Some("okta.apps.manage")),
    (
        "appGrants",
        "okta.appGrants.read",
        Some("okta.appGrants.manage"),
    ),
    (
        "authorizationServers",
        "okta.authorizationServers.read",
        Some("okta.authorizationServers.manage"),
    ),
    ("logs", "okta.logs.read", None),
    (
        "policies",
        "okta.policies.read",
        Some("okta.policies.manage"),
    ),
    (
        "trustedOrigins",
        "okta.trustedOrigins.read",
        Some("okta.trustedOrigins.manage"),
    ),
    (
        "apiTokens",
        "okta.apiTokens.read",
        Some("okta.apiTokens.manage"),
    ),
    ("roles", "okta.roles.read", Some("okta.roles.manage")),
    ("factors", "okta.factors.read", Some("okta.factors.manage")),
    (
        "sessions",
        "okta.sessions.read",
        Some("okta.sessions.manage"),
    ),
];

/// Every `okta.*` scope Lanyard knows: those of the resources it implements.
pub fn all_scopes() -> impl Iterator<Item = &'static str> {
    RESOURCES
        .iter()
        .flat_map(|(_, read, manage)| std::iter::once(*read).chain(*manage))
}

/// Whether `scope` is one of Okta's management scopes Lanyard implements.
pub fn is_known(scope: &str) -> bool {
    all_scopes().any(|s| s == scope)
}

/// Whether `scope` is meant for the management API (an `okta.` prefix), known or not.
pub fn is_management_scope(scope: &str) -> bool {
    scope.starts_with("okta.")
}

/// The resource a management route (its template below `/api/v1`, as the router declares it: `/users/{id}/factors`)
/// belongs to. The more specific sub-resources of users and apps first.
fn resource_of(template: &str) -> Option<&'static str> {
    let segments: Vec<&str> = template.trim_start_matches('/').split('/').collect();
    let resource = match segments.as_slice() {
        ["users", _, "factors", ..] => "factors",
        ["users", _, "roles", ..] => "roles",
        ["users", ..] => "users",
        ["groups", ..] => "groups",
        ["apps", _, "grants", ..] => "appGrants",
        ["apps", ..] | ["catalog", ..] => "apps",
        ["authorizationServers", ..] => "authorizationServers",
        ["logs", ..] => "logs",
        ["policies", ..] => "policies",
        ["trustedOrigins", ..] => "trustedOrigins",
        ["api-tokens", ..] => "apiTokens",
        ["sessions", ..] => "sessions",
        _ => return None,
    };
    Some(resource)
}

/// The scope a request needs: the route's resource's `read` scope for a reading method (GET, HEAD), its `manage`
/// scope otherwise. `None` for a route no scope covers (a write to a read-only resource, an unknown resource): such a
/// route is closed to scoped tokens.
pub fn required_scope(reading: bool, template: &str) -> Option<&'static str> {
    let resource = resource_of(template)?;
    let (_, read, manage) = RESOURCES.iter().find(|(r, _, _)| *r == resource)?;
    if reading { Some(read) } else { *manage }
}

/// Whether the token's `scopes` allow what `needed` allows: the scope itself, or the `manage` scope of a `read`.
pub fn allows(scopes: &[String], needed: &str) -> bool {
    let manage = needed
        .strip_suffix(".read")
        .map(|resource| format!("{resource}.manage"));
    scopes
        .iter()
        .any(|s| s == needed || manage.as_deref() == Some(s.as_str()))
}

/// Whether a request path (below `/api/v1`) acts on the caller as a user: `/users/me…`, `/sessions/me…`.
pub fn acts_on_me(path: &str) -> bool {
    let segments: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    matches!(segments.as_slice(), ["users" | "sessions", "me", ..])
}

/// Whether a token request is one for the management API: client credentials at the org server asking for an
/// `okta.*` scope. Its DPoP proof counts only when the app requires DPoP-bound tokens (`dpop_bound_access_tokens`):
/// Okta's Node SDK sends a proof with every such request, and an app that did not ask for DPoP gets Bearer tokens,
/// as from Okta.
pub fn is_management_request(
    server: crate::model::AuthServerKind,
    params: &crate::oauth::params::Params,
) -> bool {
    server == crate::model::AuthServerKind::Org
        && params.get("grant_type") == Some("client_credentials")
        && params.list("scope").iter().any(|s| is_management_scope(s))
}

/// What the org authorization server grants a client-credentials request for `okta.*` scopes: the app must
/// authenticate with `private_key_jwt` (as Okta requires), ask for management scopes only, each one Lanyard knows
/// and the administrator granted to it (`grants`). Returns the scopes, in the order asked.
pub fn grant_management_scopes(
    app: &App,
    requested: &[String],
    grants: &[ScopeGrant],
) -> Result<Vec<String>, OAuthError> {
    if app.client.token_endpoint_auth_method != ClientAuthMethod::PrivateKeyJwt {
        return Err(OAuthError::new(
            ErrorCode::InvalidClient,
            "Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method.",
        )
        .with_detail(format!(
            "client {} uses {}",
            app.client.client_id,
            app.client.token_endpoint_auth_method.as_str()
        )));
    }
    let mut out: Vec<String> = Vec::with_capacity(requested.len());
    for scope in requested {
        if !is_known(scope) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                format!("The requested scope '{scope}' is invalid, unknown, or malformed."),
            ));
        }
        if !grants.iter().any(|g| g.scope_id == *scope) {
            return Err(OAuthError::new(
                ErrorCode::InvalidScope,
                format!(
                    "The scope '{scope}' has not been granted to the client: grant it with POST /api/v1/apps/{{appId}}/grants."
                ),
            ));
        }
        if !out.contains(scope) {
            out.push(scope.clone());
        }
    }
    Ok(out)
}

/// An app calling the management API with one of the org server's access tokens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppCaller {
    pub client_id: String,
    /// The app's label, for the system log.
    pub label: String,
    /// The token's scopes (`scp`).
    pub scopes: Vec<String>,
}

fn invalid_token(detail: &str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidToken, "The access token is invalid.")
        .with_detail(detail.to_owned())
}

/// The app a management API access token stands for: one of the org server's (`server`) access tokens, its
/// signature good, unexpired, for `audience` (the org URL), not revoked, of a client that still exists and is
/// active. A DPoP-bound token (`cnf.jkt`) only with a proof of its key (`proof_jkt`, the proof already checked
/// against the request), and a proof only with a bound token (RFC 9449 §7).
pub async fn app_caller(
    server: &OwnServer<'_>,
    audience: &str,
    revocations: &dyn Revocations,
    clients: &dyn ClientDirectory,
    token: &str,
    proof_jkt: Option<&str>,
    now: Timestamp,
) -> Result<AppCaller, OAuthError> {
    let claims = verified_access_token(server, token, now).ok_or_else(|| {
        invalid_token("not an unexpired access token of the org authorization server")
    })?;
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => a == audience,
        Some(Value::Array(all)) => all.iter().any(|a| a.as_str() == Some(audience)),
        _ => false,
    };
    if !aud_ok {
        return Err(invalid_token("the token's aud is not the org URL"));
    }
    let bound = claims
        .get("cnf")
        .and_then(|c| c.get("jkt"))
        .and_then(Value::as_str);
    match (bound, proof_jkt) {
        (None, None) => {}
        (Some(jkt), Some(proof)) if jkt == proof => {}
        (Some(_), None) => return Err(invalid_token("a DPoP-bound token presented as Bearer")),
        (Some(_), Some(_)) => return Err(invalid_token("the proof's key is not the token's")),
        (None, Some(_)) => return Err(invalid_token("a Bearer token presented as DPoP")),
    }
    let jti = claims
        .get("jti")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if revocations
        .revoked(jti, grant_of_jti(jti))
        .await
        .map_err(crate::oauth::grants::storage)?
    {
        return Err(invalid_token("revoked"));
    }
    let client_id = claims
        .get("cid")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid_token("no cid"))?;
    let client = clients
        .client(client_id)
        .await
        .map_err(crate::oauth::grants::storage)?
        .filter(|c| c.app.status == crate::model::LifecycleStatus::Active)
        .ok_or_else(|| invalid_token("the token's client no longer exists or is inactive"))?;
    let scopes = claims
        .get("scp")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default();
    Ok(AppCaller {
        client_id: client_id.to_owned(),
        label: client.app.label.clone(),
        scopes,
    })
}

/// Why a scope could not be granted.
#[derive(Debug)]
pub enum GrantRefused {
    /// The body: causes per field.
    Invalid(Invalid),
    /// The app already has this scope.
    Taken(String),
    Store(StoreError),
}

impl From<StoreError> for GrantRefused {
    fn from(e: StoreError) -> Self {
        GrantRefused::Store(e)
    }
}

/// Grants the scope a Grants API body names (`{"issuer": org issuer, "scopeId": "okta.users.read"}`) to the app
/// `app_id`, on behalf of `by` at `now`. The scope must be one Lanyard implements and the issuer the org
/// authorization server's (`org_issuer`), the only one that issues `okta.*` scopes.
pub async fn grant_scope(
    store: &dyn ScopeGrantStore,
    random: &dyn Random,
    app_id: &str,
    org_issuer: &str,
    by: &str,
    now: Timestamp,
    body: &Value,
) -> Result<ScopeGrant, GrantRefused> {
    let text = |field: &str| body.get(field).and_then(Value::as_str);
    let mut causes = Vec::new();
    match text("scopeId") {
        Some(s) if is_known(s) => {}
        Some(s) => causes.push((
            "scopeId",
            format!(
                "'{s}' is not an Okta scope Lanyard implements; one of: {}",
                all_scopes().collect::<Vec<_>>().join(", ")
            ),
        )),
        None => causes.push(("scopeId", "the field is required (a string)".to_owned())),
    }
    match text("issuer") {
        Some(i) if i.trim_end_matches('/') == org_issuer.trim_end_matches('/') => {}
        Some(_) => causes.push((
            "issuer",
            format!("must be the org authorization server's issuer, {org_issuer}"),
        )),
        None => causes.push((
            "issuer",
            format!("the field is required: the org authorization server's issuer, {org_issuer}"),
        )),
    }
    if !causes.is_empty() {
        return Err(GrantRefused::Invalid(Invalid(
            causes
                .into_iter()
                .map(|(field, message)| crate::authz::Cause {
                    field: field.to_owned(),
                    message,
                })
                .collect(),
        )));
    }
    let scope = text("scopeId").unwrap_or_default().to_owned();
    let grant = ScopeGrant {
        id: new_id("oag", now, random),
        app_id: app_id.to_owned(),
        scope_id: scope.clone(),
        issuer: org_issuer.to_owned(),
        created: now,
        created_by: by.to_owned(),
    };
    match store.insert_scope_grant(&grant).await {
        Ok(()) => Ok(grant),
        Err(StoreError::Conflict(_)) => Err(GrantRefused::Taken(scope)),
        Err(e) => Err(e.into()),
    }
}

/// Revokes `app_id`'s grant `grant_id`: the grant it was, or `None` when the app has no such grant (already
/// revoked, or another app's). Tokens issued under it keep their scopes until they expire, as in Okta.
pub async fn revoke_grant(
    store: &dyn ScopeGrantStore,
    app_id: &str,
    grant_id: &str,
) -> Result<Option<ScopeGrant>, StoreError> {
    let Some(grant) = store.scope_grant(app_id, grant_id).await? else {
        return Ok(None);
    };
    Ok(store
        .delete_scope_grant(app_id, &grant.id)
        .await?
        .then_some(grant))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::from_millis;
    use crate::model::*;

    fn scopes(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn each_route_needs_its_resource_s_read_or_manage_scope() {
        assert_eq!(required_scope(true, "/users"), Some("okta.users.read"));
        assert_eq!(
            required_scope(false, "/users/{id}/lifecycle/{operation}"),
            Some("okta.users.manage")
        );
        assert_eq!(
            required_scope(true, "/users/{id}/factors/{fid}"),
            Some("okta.factors.read")
        );
        assert_eq!(
            required_scope(false, "/users/{id}/roles"),
            Some("okta.roles.manage")
        );
        assert_eq!(
            required_scope(true, "/users/{id}/groups"),
            Some("okta.users.read")
        );
        assert_eq!(
            required_scope(false, "/apps/{id}/grants"),
            Some("okta.appGrants.manage")
        );
        assert_eq!(
            required_scope(true, "/apps/{id}/users"),
            Some("okta.apps.read")
        );
        assert_eq!(required_scope(true, "/logs"), Some("okta.logs.read"));
        assert_eq!(required_scope(false, "/logs"), None, "logs are read-only");
        assert_eq!(required_scope(true, "/features"), None, "unknown: closed");
        assert_eq!(
            required_scope(false, "/api-tokens/{id}"),
            Some("okta.apiTokens.manage")
        );
    }

    #[test]
    fn manage_implies_read_and_nothing_else() {
        let have = scopes(&["okta.users.manage", "okta.groups.read"]);
        assert!(allows(&have, "okta.users.read"));
        assert!(allows(&have, "okta.users.manage"));
        assert!(allows(&have, "okta.groups.read"));
        assert!(!allows(&have, "okta.groups.manage"));
        assert!(!allows(&have, "okta.apps.read"));
        assert!(!allows(&scopes(&["okta.users.read"]), "okta.users.manage"));
    }

    #[test]
    fn the_caller_s_own_endpoints_are_recognised() {
        assert!(acts_on_me("/users/me"));
        assert!(acts_on_me("/users/me/appLinks"));
        assert!(acts_on_me("/sessions/me"));
        assert!(!acts_on_me("/users/00u1"));
        assert!(!acts_on_me("/users/mercury/groups"));
    }

    #[test]
    fn every_scope_is_okta_s_and_known() {
        for s in all_scopes() {
            assert!(is_management_scope(s) && is_known(s), "{s}");
            assert!(s.ends_with(".read") || s.ends_with(".manage"), "{s}");
        }
        assert!(!is_known("okta.users.write"));
    }

    fn app(method: ClientAuthMethod) -> App {
        let now = from_millis(0);
        App {
            id: "0oa1".into(),
            name: "oidc_client".into(),
            label: "Service".into(),
            status: LifecycleStatus::Active,
            sign_on_mode: "OPENID_CONNECT".into(),
            client: OAuthClient {
                client_id: "c1".into(),
                application_type: ApplicationType::Service,
                token_endpoint_auth_method: method,
                pkce_required: false,
                grant_types: vec![GrantType::ClientCredentials],
                response_types: vec![],
                redirect_uris: vec![],
                post_logout_redirect_uris: vec![],
                consent_method: "TRUSTED".into(),
                jwks: None,
                jwks_uri: None,
                initiate_login_uri: None,
                dpop_bound_access_tokens: false,
                logout: Default::default(),
                extra: Default::default(),
                registration: None,
                catalog: None,
                claims: Vec::new(),
            },
            created: now,
            last_updated: now,
        }
    }

    fn grant(scope: &str) -> ScopeGrant {
        ScopeGrant {
            id: format!("oag{scope}"),
            app_id: "0oa1".into(),
            scope_id: scope.into(),
            issuer: "http://x".into(),
            created: from_millis(0),
            created_by: "00u1".into(),
        }
    }

    #[test]
    fn only_granted_scopes_for_private_key_jwt_clients() {
        let grants = [grant("okta.users.read")];
        let a = app(ClientAuthMethod::PrivateKeyJwt);
        assert_eq!(
            grant_management_scopes(&a, &scopes(&["okta.users.read"]), &grants).unwrap(),
            scopes(&["okta.users.read"])
        );
        let e = grant_management_scopes(&a, &scopes(&["okta.users.manage"]), &grants).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidScope);
        assert!(e.description.contains("okta.users.manage"));
        let e = grant_management_scopes(&a, &scopes(&["okta.nope.read"]), &grants).unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidScope);
        let e = grant_management_scopes(
            &app(ClientAuthMethod::ClientSecretBasic),
            &scopes(&["okta.users.read"]),
            &grants,
        )
        .unwrap_err();
        assert_eq!(e.code, ErrorCode::InvalidClient);
    }

    #[tokio::test]
    async fn grants_need_a_known_scope_and_the_org_issuer_and_come_once() {
        use crate::random::TestRandom;
        use crate::store::memory::MemoryStore;
        let store = MemoryStore::new();
        let random = TestRandom::default();
        let now = from_millis(1_700_000_000_000);
        let body = serde_json::json!({"issuer": "http://x/", "scopeId": "okta.users.read"});
        let g = grant_scope(&store, &random, "0oa1", "http://x", "00u1", now, &body)
            .await
            .unwrap();
        assert!(g.id.starts_with("oag"));
        assert_eq!(
            (g.scope_id.as_str(), g.issuer.as_str()),
            ("okta.users.read", "http://x")
        );
        assert_eq!(store.scope_grants("0oa1").await.unwrap(), vec![g.clone()]);
        assert!(matches!(
            grant_scope(&store, &random, "0oa1", "http://x", "00u1", now, &body).await,
            Err(GrantRefused::Taken(s)) if s == "okta.users.read"
        ));
        let bad = serde_json::json!({"issuer": "http://other", "scopeId": "okta.users.write"});
        let Err(GrantRefused::Invalid(e)) =
            grant_scope(&store, &random, "0oa1", "http://x", "00u1", now, &bad).await
        else {
            panic!("invalid body accepted");
        };
        assert!(e.names("issuer") && e.names("scopeId"), "{e}");
        let Err(GrantRefused::Invalid(e)) = grant_scope(
            &store,
            &random,
            "0oa1",
            "http://x",
            "00u1",
            now,
            &serde_json::json!({}),
        )
        .await
        else {
            panic!("empty body accepted");
        };
        assert!(e.names("issuer") && e.names("scopeId"), "{e}");

        // Revoked once, by its own app only.
        assert_eq!(revoke_grant(&store, "0oa2", &g.id).await.unwrap(), None);
        assert_eq!(
            revoke_grant(&store, "0oa1", &g.id).await.unwrap(),
            Some(g.clone())
        );
        assert_eq!(revoke_grant(&store, "0oa1", &g.id).await.unwrap(), None);
        assert!(store.scope_grants("0oa1").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn management_tokens_are_the_org_server_s_unexpired_unrevoked_bound_as_presented() {
        use crate::crypto::{SigningAlg, SigningKey};
        use crate::oauth::client_auth::StoreClients;
        use crate::oauth::introspection::{NotRemembered, StoreRevocations};
        use crate::oauth::tokens::{AccessTokenInput, Issuer, mint_access_token};
        use crate::random::TestRandom;
        use crate::store::memory::MemoryStore;
        use crate::store::{AppStore, GrantStore};
        let store = MemoryStore::new();
        let mut service = app(ClientAuthMethod::PrivateKeyJwt);
        store.insert_app(&service, None).await.unwrap();
        let key = SigningKey::generate(SigningAlg::RS256).unwrap();
        let org = vec!["http://org".to_owned()];
        let now = from_millis(1_700_000_000_000);
        let random = TestRandom::default();
        let mint = |issuer: &str, audiences: &[String], cnf: Option<&str>| {
            let mut extra = serde_json::Map::new();
            if let Some(jkt) = cnf {
                extra.insert("cnf".into(), serde_json::json!({ "jkt": jkt }));
            }
            mint_access_token(
                &Issuer {
                    issuer,
                    audiences,
                    org_id: "00o1",
                    access_token_key: &key,
                    id_token_key: &key,
                    pairwise: None,
                },
                now,
                &random,
                AccessTokenInput {
                    client_id: "c1",
                    user: None,
                    scopes: &scopes(&["okta.users.read"]),
                    grant_id: None,
                    lifetime: chrono::Duration::hours(1),
                    extra,
                },
            )
            .unwrap()
        };
        let keys = [key.public_jwk().clone()];
        let own = OwnServer {
            id: "org",
            issuer: "http://org",
            keys: &keys,
            verified: &NotRemembered,
        };
        let check = |token: String, jkt: Option<&'static str>, at: Timestamp| {
            let store = &store;
            let own = &own;
            async move {
                app_caller(
                    own,
                    "http://org",
                    &StoreRevocations(store),
                    &StoreClients(store),
                    &token,
                    jkt,
                    at,
                )
                .await
            }
        };
        let good = mint("http://org", &org, None);
        let caller = check(good.token.clone(), None, now).await.unwrap();
        assert_eq!(
            (
                caller.client_id.as_str(),
                caller.label.as_str(),
                caller.scopes
            ),
            ("c1", "Service", scopes(&["okta.users.read"]))
        );
        // Expired; another issuer; another audience; as DPoP without binding.
        let later = now + chrono::Duration::hours(1);
        assert!(check(good.token.clone(), None, later).await.is_err());
        assert!(
            check(
                mint("http://org/oauth2/default", &org, None).token,
                None,
                now
            )
            .await
            .is_err()
        );
        assert!(
            check(
                mint("http://org", &["api://default".to_owned()], None).token,
                None,
                now
            )
            .await
            .is_err()
        );
        assert!(check(good.token.clone(), Some("jkt"), now).await.is_err());
        // Bound: only with a proof of its key.
        let bound = mint("http://org", &org, Some("jkt"));
        assert!(check(bound.token.clone(), None, now).await.is_err());
        assert!(
            check(bound.token.clone(), Some("other"), now)
                .await
                .is_err()
        );
        assert!(check(bound.token.clone(), Some("jkt"), now).await.is_ok());
        // Revoked; its client deactivated.
        store
            .revoke_access_token(&good.jti, good.expires_at)
            .await
            .unwrap();
        assert!(check(good.token, None, now).await.is_err());
        service.status = LifecycleStatus::Inactive;
        store.update_app(&service).await.unwrap();
        assert!(check(bound.token, Some("jkt"), now).await.is_err());
    }
}
