//! An in-memory store for unit tests of the core. Not part of the product: `lanyard serve` always runs on SQLite or
//! PostgreSQL. It follows the same contract, and the shared storage suite in `lanyard-store` runs against it too.

use std::collections::BTreeMap;
use std::sync::Mutex;

use async_trait::async_trait;

use super::*;
use crate::model::KeyStatus;

#[derive(Default)]
struct State {
    org: Option<Org>,
    settings: BTreeMap<String, String>,
    servers: BTreeMap<String, AuthorizationServer>,
    policies: BTreeMap<String, Policy>,
    rules: BTreeMap<String, PolicyRule>,
    keys: Vec<KeyRecord>,
    api_tokens: BTreeMap<String, ApiToken>,
    users: BTreeMap<String, User>,
    passwords: BTreeMap<String, PasswordRecord>,
}

#[derive(Default)]
pub struct MemoryStore(Mutex<State>);

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn page_of<T: Clone>(
    map: &BTreeMap<String, T>,
    page: &PageRequest,
    keep: impl Fn(&T) -> bool,
) -> Page<T> {
    let rows: Vec<(String, T)> = map
        .iter()
        .filter(|(k, v)| page.after.as_ref().is_none_or(|a| *k > a) && keep(v))
        .take(page.limit as usize + 1)
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let page = Page::from_overfetch(rows, page.limit, |(k, _)| k.clone());
    Page {
        items: page.items.into_iter().map(|(_, v)| v).collect(),
        next: page.next,
    }
}

#[async_trait]
impl OrgStore for MemoryStore {
    async fn org(&self) -> StoreResult<Option<Org>> {
        Ok(self.state().org.clone())
    }
    async fn insert_org_if_absent(&self, org: &Org) -> StoreResult<bool> {
        let mut s = self.state();
        if s.org.is_some() {
            return Ok(false);
        }
        s.org = Some(org.clone());
        Ok(true)
    }
    async fn setting_or_insert(&self, key: &str, value: &str) -> StoreResult<String> {
        Ok(self
            .state()
            .settings
            .entry(key.to_owned())
            .or_insert_with(|| value.to_owned())
            .clone())
    }
}

#[async_trait]
impl AuthServerStore for MemoryStore {
    async fn insert_auth_server_if_absent(
        &self,
        server: &AuthorizationServer,
    ) -> StoreResult<bool> {
        let mut s = self.state();
        if s.servers.contains_key(&server.id) {
            return Ok(false);
        }
        s.servers.insert(server.id.clone(), server.clone());
        Ok(true)
    }
    async fn auth_server(&self, id: &str) -> StoreResult<Option<AuthorizationServer>> {
        Ok(self.state().servers.get(id).cloned())
    }
    async fn list_auth_servers(
        &self,
        kind: AuthServerKind,
        page: &PageRequest,
    ) -> StoreResult<Page<AuthorizationServer>> {
        Ok(page_of(&self.state().servers, page, |s| s.kind == kind))
    }
}

#[async_trait]
impl PolicyStore for MemoryStore {
    async fn insert_policy_if_absent(
        &self,
        policy: &Policy,
        rules: &[PolicyRule],
    ) -> StoreResult<bool> {
        let mut s = self.state();
        if s.policies.contains_key(&policy.id) {
            return Ok(false);
        }
        s.policies.insert(policy.id.clone(), policy.clone());
        for r in rules {
            s.rules.insert(r.id.clone(), r.clone());
        }
        Ok(true)
    }
    async fn policies(&self, auth_server_id: &str) -> StoreResult<Vec<Policy>> {
        let mut v: Vec<Policy> = self
            .state()
            .policies
            .values()
            .filter(|p| p.auth_server_id == auth_server_id)
            .cloned()
            .collect();
        v.sort_by_key(|p| (p.priority, p.id.clone()));
        Ok(v)
    }
    async fn policy_rules(&self, policy_id: &str) -> StoreResult<Vec<PolicyRule>> {
        let mut v: Vec<PolicyRule> = self
            .state()
            .rules
            .values()
            .filter(|r| r.policy_id == policy_id)
            .cloned()
            .collect();
        v.sort_by_key(|r| (r.priority, r.id.clone()));
        Ok(v)
    }
}

#[async_trait]
impl KeyStore for MemoryStore {
    async fn keys(&self, auth_server_id: &str) -> StoreResult<Vec<KeyRecord>> {
        let mut v: Vec<KeyRecord> = self
            .state()
            .keys
            .iter()
            .filter(|k| k.auth_server_id == auth_server_id)
            .cloned()
            .collect();
        v.sort_by(|a, b| b.created.cmp(&a.created).then_with(|| a.kid.cmp(&b.kid)));
        Ok(v)
    }
    async fn insert_key_if_absent(&self, key: &KeyRecord) -> StoreResult<bool> {
        let mut s = self.state();
        let clash = s.keys.iter().any(|k| {
            k.kid == key.kid
                || (k.auth_server_id == key.auth_server_id
                    && k.alg == key.alg
                    && k.status == key.status
                    && key.status != KeyStatus::Expired)
        });
        if clash {
            return Ok(false);
        }
        s.keys.push(key.clone());
        Ok(true)
    }
    async fn rotate_key(
        &self,
        active_kid: &str,
        fresh: &KeyRecord,
        now: Timestamp,
        retire_at: Timestamp,
    ) -> StoreResult<bool> {
        let mut s = self.state();
        let Some(active) = s
            .keys
            .iter()
            .position(|k| k.kid == active_kid && k.status == KeyStatus::Active)
        else {
            return Ok(false);
        };
        let (server, alg) = (s.keys[active].auth_server_id.clone(), s.keys[active].alg);
        let k = &mut s.keys[active];
        k.status = KeyStatus::Expired;
        k.rotated = Some(now);
        k.retire_at = Some(retire_at);
        let next = s.keys.iter().position(|k| {
            k.auth_server_id == server && k.alg == alg && k.status == KeyStatus::Next
        });
        let mut fresh = fresh.clone();
        match next {
            Some(i) => {
                s.keys[i].status = KeyStatus::Active;
                s.keys[i].activated = Some(now);
                fresh.status = KeyStatus::Next;
            }
            None => {
                fresh.status = KeyStatus::Active;
                fresh.activated = Some(now);
            }
        }
        s.keys.push(fresh);
        Ok(true)
    }
    async fn delete_retired_keys(&self, before: Timestamp) -> StoreResult<u64> {
        let mut s = self.state();
        let n = s.keys.len();
        s.keys.retain(|k| {
            !(k.status == KeyStatus::Expired && k.retire_at.is_some_and(|t| t < before))
        });
        Ok((n - s.keys.len()) as u64)
    }
}

#[async_trait]
impl ApiTokenStore for MemoryStore {
    async fn insert_api_token(&self, token: &ApiToken) -> StoreResult<()> {
        let mut s = self.state();
        if s.api_tokens
            .values()
            .any(|t| t.token_hash == token.token_hash)
            || s.api_tokens.contains_key(&token.id)
        {
            return Err(StoreError::Conflict("api token".into()));
        }
        s.api_tokens.insert(token.id.clone(), token.clone());
        Ok(())
    }
    async fn api_token_by_hash(&self, hash: &[u8; 32]) -> StoreResult<Option<ApiToken>> {
        Ok(self
            .state()
            .api_tokens
            .values()
            .find(|t| &t.token_hash == hash)
            .cloned())
    }
    async fn api_token(&self, id: &str) -> StoreResult<Option<ApiToken>> {
        Ok(self.state().api_tokens.get(id).cloned())
    }
    async fn list_api_tokens(&self, page: &PageRequest) -> StoreResult<Page<ApiToken>> {
        Ok(page_of(&self.state().api_tokens, page, |_| true))
    }
    async fn delete_api_token(&self, id: &str) -> StoreResult<bool> {
        Ok(self.state().api_tokens.remove(id).is_some())
    }
    async fn touch_api_token(&self, id: &str, at: Timestamp) -> StoreResult<()> {
        if let Some(t) = self.state().api_tokens.get_mut(id) {
            t.last_used = Some(at);
        }
        Ok(())
    }
}

fn login_taken(s: &State, login: &str, except: &str) -> bool {
    s.users
        .values()
        .any(|u| u.id != except && u.login.to_lowercase() == login.to_lowercase())
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn insert_user(&self, user: &User, password: Option<&PasswordRecord>) -> StoreResult<()> {
        let mut s = self.state();
        if s.users.contains_key(&user.id) || login_taken(&s, &user.login, &user.id) {
            return Err(StoreError::Conflict("login".into()));
        }
        s.users.insert(user.id.clone(), user.clone());
        if let Some(p) = password {
            s.passwords.insert(user.id.clone(), p.clone());
        }
        Ok(())
    }
    async fn user(&self, id: &str) -> StoreResult<Option<User>> {
        Ok(self.state().users.get(id).cloned())
    }
    async fn user_by_login(&self, login: &str) -> StoreResult<Option<User>> {
        let login = login.to_lowercase();
        Ok(self
            .state()
            .users
            .values()
            .find(|u| u.login.to_lowercase() == login)
            .cloned())
    }
    async fn update_user(&self, user: &User) -> StoreResult<bool> {
        let mut s = self.state();
        if !s.users.contains_key(&user.id) {
            return Ok(false);
        }
        if login_taken(&s, &user.login, &user.id) {
            return Err(StoreError::Conflict("login".into()));
        }
        s.users.insert(user.id.clone(), user.clone());
        Ok(true)
    }
    async fn delete_user(&self, id: &str) -> StoreResult<bool> {
        let mut s = self.state();
        s.passwords.remove(id);
        Ok(s.users.remove(id).is_some())
    }
    async fn list_users(&self, query: &UserQuery, page: &PageRequest) -> StoreResult<Page<User>> {
        Ok(page_of(&self.state().users, page, |u| {
            crate::directory::users::matches(query, u)
        }))
    }
    async fn password(&self, user_id: &str) -> StoreResult<Option<PasswordRecord>> {
        Ok(self.state().passwords.get(user_id).cloned())
    }
    async fn set_password(&self, user_id: &str, password: &PasswordRecord) -> StoreResult<()> {
        self.state()
            .passwords
            .insert(user_id.to_owned(), password.clone());
        Ok(())
    }
}

#[async_trait]
impl Store for MemoryStore {
    fn backend(&self) -> &'static str {
        "memory"
    }
    async fn ping(&self) -> StoreResult<()> {
        Ok(())
    }
}
