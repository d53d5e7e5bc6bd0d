//! An in-memory store for unit tests of the core. Not part of the product: `lanyard serve` always runs on SQLite or
//! PostgreSQL. It follows the same contract, and the shared storage suite in `lanyard-store` runs against it too.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use async_trait::async_trait;

use super::*;
use crate::model::{Claim, GroupType, KeyStatus, Scope, UserStatus};

#[derive(Default)]
pub(super) struct State {
    org: Option<Org>,
    settings: BTreeMap<String, String>,
    servers: BTreeMap<String, AuthorizationServer>,
    policies: BTreeMap<String, Policy>,
    rules: BTreeMap<String, PolicyRule>,
    keys: Vec<KeyRecord>,
    api_tokens: BTreeMap<String, ApiToken>,
    pub(super) users: BTreeMap<String, User>,
    passwords: BTreeMap<String, PasswordRecord>,
    pub(super) groups: BTreeMap<String, Group>,
    /// (group id, user id); never for a built-in group.
    pub(super) memberships: BTreeSet<(String, String)>,
    roles: BTreeMap<String, RoleAssignment>,
    log: Vec<crate::syslog::LogEvent>,
    sessions: BTreeMap<String, Session>,
    /// The apps signed into sessions, in the order recorded; they go with their session.
    session_apps: Vec<SessionApp>,
    one_time_tokens: BTreeMap<[u8; 32], OneTimeToken>,
    factors: BTreeMap<String, Factor>,
    /// By user id; no entry: no failures.
    failures: BTreeMap<String, UserFailures>,
    /// Apps, codes, grants: see `memory_apps.rs`.
    pub(super) apps: super::memory_apps::AppsState,
    /// Device authorization requests: see `memory_device.rs`.
    pub(super) devices: super::memory_device::DeviceState,
    /// Pushed authorization requests: see `memory_pushed.rs`.
    pub(super) pushed: BTreeMap<[u8; 32], PushedRequest>,
    /// Wrong answers per one-time token, failure counts and known devices: see `memory_attempts.rs`.
    pub(super) attempts: super::memory_attempts::AttemptsState,
    /// Private catalog entries: see `memory_catalog.rs`.
    pub(super) catalog: BTreeMap<String, super::CatalogEntryRecord>,
    /// Trusted origins: see `memory_trusted.rs`.
    pub(super) trusted_origins: BTreeMap<String, crate::model::TrustedOrigin>,
    /// Scope consent grants by id: see `memory_scope_grants.rs`.
    pub(super) scope_grants: BTreeMap<String, crate::model::ScopeGrant>,
    /// Sign-on policies: see `memory_signon.rs`.
    pub(super) signon: super::memory_signon::SignOnState,
    scopes: BTreeMap<String, Scope>,
    claims: BTreeMap<String, Claim>,
    deleted_servers: BTreeSet<String>,
}

/// A user's consecutive failed sign-ins.
struct UserFailures {
    attempts: u32,
    last_failure: Timestamp,
    lockout_until: Option<Timestamp>,
}

#[derive(Default)]
pub struct MemoryStore(Mutex<State>);

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub(super) fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

pub(super) fn page_of<T: Clone>(
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
        s.memberships.retain(|(_, u)| u != id);
        s.roles.retain(|_, r| r.user_id != id);
        s.sessions.retain(|_, x| x.user_id != id);
        s.forget_orphan_session_apps();
        s.one_time_tokens.retain(|_, t| t.user_id != id);
        s.factors.retain(|_, f| f.user_id != id);
        s.failures.remove(id);
        s.apps.forget_user(id);
        s.devices.forget_user(id);
        s.attempts.forget_user(id);
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
    async fn record_login(&self, user_id: &str, at: Timestamp) -> StoreResult<bool> {
        let mut s = self.state();
        match s.users.get_mut(user_id) {
            Some(u)
                if matches!(
                    u.status,
                    crate::model::UserStatus::Active | crate::model::UserStatus::PasswordExpired
                ) =>
            {
                u.last_login = Some(at);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn set_password(&self, user_id: &str, password: &PasswordRecord) -> StoreResult<()> {
        self.state()
            .passwords
            .insert(user_id.to_owned(), password.clone());
        Ok(())
    }
}

#[async_trait]
impl crate::syslog::LogStore for MemoryStore {
    async fn insert_log_events(&self, events: &[crate::syslog::LogEvent]) -> StoreResult<()> {
        let mut s = self.state();
        for e in events {
            if !s.log.iter().any(|x| x.uuid == e.uuid) {
                s.log.push(e.clone());
            }
        }
        Ok(())
    }
    async fn list_log_events(
        &self,
        query: &crate::syslog::LogQuery,
        page: &PageRequest,
    ) -> StoreResult<Page<crate::syslog::LogEvent>> {
        use crate::syslog::SortOrder;
        let s = self.state();
        let mut rows: Vec<_> = s
            .log
            .iter()
            .filter(|e| crate::syslog::matches(query, e))
            .filter(|e| match (&page.after, query.order) {
                (None, _) => true,
                (Some(a), SortOrder::Ascending) => e.uuid > *a,
                (Some(a), SortOrder::Descending) => e.uuid < *a,
            })
            .cloned()
            .collect();
        rows.sort_by(|a, b| a.uuid.cmp(&b.uuid));
        if query.order == SortOrder::Descending {
            rows.reverse();
        }
        rows.truncate(page.limit as usize + 1);
        Ok(Page::from_overfetch(rows, page.limit, |e| e.uuid.clone()))
    }
}

fn group_name_taken(s: &State, name: &str, except: &str) -> bool {
    let name = name.to_lowercase();
    s.groups
        .values()
        .any(|g| g.id != except && g.name.to_lowercase() == name)
}

#[async_trait]
impl GroupStore for MemoryStore {
    async fn insert_group(&self, group: &Group) -> StoreResult<()> {
        let mut s = self.state();
        if s.groups.contains_key(&group.id) || group_name_taken(&s, &group.name, &group.id) {
            return Err(StoreError::Conflict("group name".into()));
        }
        s.groups.insert(group.id.clone(), group.clone());
        Ok(())
    }
    async fn insert_group_if_absent(&self, group: &Group) -> StoreResult<bool> {
        let mut s = self.state();
        if s.groups.contains_key(&group.id) || group_name_taken(&s, &group.name, &group.id) {
            return Ok(false);
        }
        s.groups.insert(group.id.clone(), group.clone());
        Ok(true)
    }
    async fn group(&self, id: &str) -> StoreResult<Option<Group>> {
        Ok(self.state().groups.get(id).cloned())
    }
    async fn update_group(&self, group: &Group) -> StoreResult<bool> {
        let mut s = self.state();
        let Some(stored) = s.groups.get(&group.id).filter(|g| !g.is_built_in()) else {
            return Ok(false);
        };
        let stored = stored.clone();
        if group_name_taken(&s, &group.name, &group.id) {
            return Err(StoreError::Conflict("group name".into()));
        }
        s.groups.insert(
            group.id.clone(),
            Group {
                name: group.name.clone(),
                description: group.description.clone(),
                last_updated: group.last_updated,
                ..stored
            },
        );
        Ok(true)
    }
    async fn delete_group(&self, id: &str) -> StoreResult<bool> {
        let mut s = self.state();
        if s.groups.get(id).is_none_or(|g| g.is_built_in()) {
            return Ok(false);
        }
        s.groups.remove(id);
        s.memberships.retain(|(g, _)| g != id);
        s.apps.forget_group(id);
        Ok(true)
    }
    async fn list_groups(
        &self,
        name_prefix: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Page<Group>> {
        let prefix = name_prefix.map(str::to_lowercase);
        Ok(page_of(&self.state().groups, page, |g| {
            prefix
                .as_deref()
                .is_none_or(|p| g.name.to_lowercase().starts_with(p))
        }))
    }
    async fn add_group_member(
        &self,
        group_id: &str,
        user_id: &str,
        at: Timestamp,
    ) -> StoreResult<bool> {
        let mut s = self.state();
        let key = (group_id.to_owned(), user_id.to_owned());
        if !s.users.contains_key(user_id) || s.memberships.contains(&key) {
            return Ok(false);
        }
        match s.groups.get_mut(group_id) {
            Some(g) if g.group_type == GroupType::Okta => g.last_membership_updated = at,
            _ => return Ok(false),
        }
        s.memberships.insert(key);
        Ok(true)
    }
    async fn remove_group_member(
        &self,
        group_id: &str,
        user_id: &str,
        at: Timestamp,
    ) -> StoreResult<bool> {
        let mut s = self.state();
        if !s
            .memberships
            .remove(&(group_id.to_owned(), user_id.to_owned()))
        {
            return Ok(false);
        }
        if let Some(g) = s.groups.get_mut(group_id) {
            g.last_membership_updated = at;
        }
        Ok(true)
    }
    async fn list_group_members(
        &self,
        group_id: &str,
        page: &PageRequest,
    ) -> StoreResult<Page<User>> {
        let s = self.state();
        Ok(match s.groups.get(group_id).map(|g| g.group_type) {
            None => Page {
                items: vec![],
                next: None,
            },
            Some(GroupType::BuiltIn) => page_of(&s.users, page, |_| true),
            Some(GroupType::Okta) => page_of(&s.users, page, |u| {
                s.memberships.contains(&(group_id.to_owned(), u.id.clone()))
            }),
        })
    }
    async fn user_groups(&self, user_id: &str, page: &PageRequest) -> StoreResult<Page<Group>> {
        let s = self.state();
        Ok(page_of(&s.groups, page, |g| {
            g.is_built_in() || s.memberships.contains(&(g.id.clone(), user_id.to_owned()))
        }))
    }
}

#[async_trait]
impl RoleStore for MemoryStore {
    async fn insert_role(&self, role: &RoleAssignment) -> StoreResult<()> {
        let mut s = self.state();
        let taken = s.roles.contains_key(&role.id)
            || s.roles
                .values()
                .any(|r| r.user_id == role.user_id && r.role_type == role.role_type);
        if taken {
            return Err(StoreError::Conflict("role".into()));
        }
        s.roles.insert(role.id.clone(), role.clone());
        Ok(())
    }
    async fn user_roles(&self, user_id: &str) -> StoreResult<Vec<RoleAssignment>> {
        Ok(self
            .state()
            .roles
            .values()
            .filter(|r| r.user_id == user_id)
            .cloned()
            .collect())
    }
    async fn user_role(&self, user_id: &str, role_id: &str) -> StoreResult<Option<RoleAssignment>> {
        Ok(self
            .state()
            .roles
            .get(role_id)
            .filter(|r| r.user_id == user_id)
            .cloned())
    }
    async fn delete_role(&self, user_id: &str, role_id: &str) -> StoreResult<bool> {
        let mut s = self.state();
        if s.roles.get(role_id).is_none_or(|r| r.user_id != user_id) {
            return Ok(false);
        }
        s.roles.remove(role_id);
        Ok(true)
    }
}

/// What the SQL stores' foreign keys refuse: a row for a user who does not exist.
fn require_user(s: &State, user_id: &str) -> StoreResult<()> {
    if s.users.contains_key(user_id) {
        Ok(())
    } else {
        Err(StoreError::Backend(format!(
            "foreign key: no user {user_id:?}"
        )))
    }
}

#[async_trait]
impl SessionStore for MemoryStore {
    async fn insert_session(&self, session: &Session) -> StoreResult<()> {
        let mut s = self.state();
        require_user(&s, &session.user_id)?;
        let taken = s.sessions.contains_key(&session.id)
            || s.sessions
                .values()
                .any(|x| x.token_hash == session.token_hash);
        if taken {
            return Err(StoreError::Conflict("session".into()));
        }
        s.sessions.insert(session.id.clone(), session.clone());
        Ok(())
    }
    async fn session_by_hash(&self, token_hash: &[u8; 32]) -> StoreResult<Option<Session>> {
        Ok(self
            .state()
            .sessions
            .values()
            .find(|x| &x.token_hash == token_hash)
            .cloned())
    }
    async fn session(&self, id: &str) -> StoreResult<Option<Session>> {
        Ok(self.state().sessions.get(id).cloned())
    }
    async fn touch_session(&self, id: &str, at: Timestamp) -> StoreResult<()> {
        if let Some(x) = self.state().sessions.get_mut(id) {
            x.last_seen = x.last_seen.max(at);
        }
        Ok(())
    }
    async fn elevate_session(
        &self,
        id: &str,
        old_hash: &[u8; 32],
        new_hash: &[u8; 32],
        amr: &[String],
    ) -> StoreResult<bool> {
        let mut s = self.state();
        if s.sessions.values().any(|x| &x.token_hash == new_hash) {
            return Err(StoreError::Conflict("session".into()));
        }
        match s.sessions.get_mut(id) {
            Some(x) if &x.token_hash == old_hash => {
                x.token_hash = *new_hash;
                x.amr = amr.to_vec();
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn delete_session(&self, id: &str) -> StoreResult<bool> {
        let mut s = self.state();
        let gone = s.sessions.remove(id).is_some();
        s.forget_orphan_session_apps();
        Ok(gone)
    }
    async fn delete_user_sessions(&self, user_id: &str) -> StoreResult<u64> {
        let mut s = self.state();
        let n = s.sessions.len();
        s.sessions.retain(|_, x| x.user_id != user_id);
        s.forget_orphan_session_apps();
        Ok((n - s.sessions.len()) as u64)
    }
    async fn delete_expired_sessions(&self, before: Timestamp) -> StoreResult<u64> {
        let mut s = self.state();
        let n = s.sessions.len();
        s.sessions.retain(|_, x| x.expires_at >= before);
        s.forget_orphan_session_apps();
        Ok((n - s.sessions.len()) as u64)
    }
}

#[async_trait]
impl SweepStore for MemoryStore {
    async fn sweep_expired(&self, now: Timestamp) -> StoreResult<SweepCounts> {
        let mut s = self.state();
        let mut counts = SweepCounts::default();
        s.apps.sweep(now, &mut counts);
        counts.device_codes = s.devices.sweep(now);
        let n = s.one_time_tokens.len();
        s.one_time_tokens.retain(|_, t| t.expires_at >= now);
        counts.one_time_tokens = (n - s.one_time_tokens.len()) as u64;
        let n = s.pushed.len();
        s.pushed.retain(|_, r| r.expires_at >= now);
        counts.pushed_requests = (n - s.pushed.len()) as u64;
        let n = s.sessions.len();
        s.sessions.retain(|_, x| x.expires_at >= now);
        s.forget_orphan_session_apps();
        counts.sessions = (n - s.sessions.len()) as u64;
        (counts.attempt_counts, counts.known_devices) = s.attempts.sweep(now);
        Ok(counts)
    }
}

impl State {
    /// Whether a one-time token hashing to `hash` lives at `now`.
    pub(super) fn one_time_token_live(&self, hash: &[u8; 32], now: Timestamp) -> bool {
        self.one_time_tokens
            .get(hash)
            .is_some_and(|t| t.expires_at > now)
    }

    pub(super) fn remove_one_time_token(&mut self, hash: &[u8; 32]) -> Option<OneTimeToken> {
        self.attempts.tokens.remove(hash);
        self.one_time_tokens.remove(hash)
    }

    /// What `ON DELETE CASCADE` does in SQL.
    fn forget_orphan_session_apps(&mut self) {
        let sessions = &self.sessions;
        self.session_apps
            .retain(|a| sessions.contains_key(&a.session_id));
    }

    fn end_session(&mut self, id: &str) -> Option<EndedSession> {
        let session = self.sessions.remove(id)?;
        let (apps, rest) = std::mem::take(&mut self.session_apps)
            .into_iter()
            .partition(|a| a.session_id == id);
        self.session_apps = rest;
        Some(EndedSession {
            id: session.id,
            user_id: session.user_id,
            apps,
        })
    }
}

#[async_trait]
impl SessionAppStore for MemoryStore {
    async fn record_session_app(&self, app: &SessionApp) -> StoreResult<bool> {
        let mut s = self.state();
        if !s.sessions.contains_key(&app.session_id) {
            return Ok(false);
        }
        let known = s.session_apps.iter().any(|a| {
            a.session_id == app.session_id
                && a.client_id == app.client_id
                && a.auth_server_id == app.auth_server_id
        });
        if !known {
            s.session_apps.push(app.clone());
        }
        Ok(true)
    }
    async fn session_apps(&self, session_id: &str) -> StoreResult<Vec<SessionApp>> {
        Ok(self
            .state()
            .session_apps
            .iter()
            .filter(|a| a.session_id == session_id)
            .cloned()
            .collect())
    }
    async fn end_session(&self, id: &str) -> StoreResult<Option<EndedSession>> {
        Ok(self.state().end_session(id))
    }
    async fn end_user_sessions(&self, user_id: &str) -> StoreResult<Vec<EndedSession>> {
        let mut s = self.state();
        let ids: Vec<String> = s
            .sessions
            .values()
            .filter(|x| x.user_id == user_id)
            .map(|x| x.id.clone())
            .collect();
        Ok(ids.iter().filter_map(|id| s.end_session(id)).collect())
    }
}

#[async_trait]
impl OneTimeTokenStore for MemoryStore {
    async fn replace_one_time_token(&self, token: &OneTimeToken) -> StoreResult<()> {
        let mut s = self.state();
        require_user(&s, &token.user_id)?;
        s.one_time_tokens.insert(token.token_hash, token.clone());
        Ok(())
    }
    async fn insert_one_time_token(&self, token: &OneTimeToken) -> StoreResult<()> {
        let mut s = self.state();
        require_user(&s, &token.user_id)?;
        if s.one_time_tokens.contains_key(&token.token_hash) {
            return Err(StoreError::Conflict("one-time token".into()));
        }
        s.one_time_tokens.insert(token.token_hash, token.clone());
        Ok(())
    }
    async fn consume_one_time_token(
        &self,
        token_hash: &[u8; 32],
        kind: TokenKind,
        now: Timestamp,
    ) -> StoreResult<Option<OneTimeToken>> {
        let mut s = self.state();
        let live = s
            .one_time_tokens
            .get(token_hash)
            .is_some_and(|t| t.kind == kind && t.expires_at > now);
        Ok(if live {
            s.remove_one_time_token(token_hash)
        } else {
            None
        })
    }
    async fn one_time_token(
        &self,
        token_hash: &[u8; 32],
        kind: TokenKind,
        now: Timestamp,
    ) -> StoreResult<Option<OneTimeToken>> {
        Ok(self
            .state()
            .one_time_tokens
            .get(token_hash)
            .filter(|t| t.kind == kind && t.expires_at > now)
            .cloned())
    }
    async fn delete_user_one_time_tokens(
        &self,
        user_id: &str,
        kind: TokenKind,
    ) -> StoreResult<u64> {
        let mut s = self.state();
        let n = s.one_time_tokens.len();
        s.one_time_tokens
            .retain(|_, t| !(t.user_id == user_id && t.kind == kind));
        Ok((n - s.one_time_tokens.len()) as u64)
    }
}

#[async_trait]
impl FactorStore for MemoryStore {
    async fn insert_factor(&self, factor: &Factor) -> StoreResult<()> {
        let mut s = self.state();
        require_user(&s, &factor.user_id)?;
        if s.factors.contains_key(&factor.id) {
            return Err(StoreError::Conflict("factor".into()));
        }
        s.factors.insert(factor.id.clone(), factor.clone());
        Ok(())
    }
    async fn factor(&self, user_id: &str, factor_id: &str) -> StoreResult<Option<Factor>> {
        Ok(self
            .state()
            .factors
            .get(factor_id)
            .filter(|f| f.user_id == user_id)
            .cloned())
    }
    async fn factors(&self, user_id: &str) -> StoreResult<Vec<Factor>> {
        let mut v: Vec<Factor> = self
            .state()
            .factors
            .values()
            .filter(|f| f.user_id == user_id)
            .cloned()
            .collect();
        v.sort_by(|a, b| a.created.cmp(&b.created).then_with(|| a.id.cmp(&b.id)));
        Ok(v)
    }
    async fn update_factor(&self, factor: &Factor) -> StoreResult<bool> {
        let mut s = self.state();
        let Some(f) = s
            .factors
            .get_mut(&factor.id)
            .filter(|f| f.user_id == factor.user_id)
        else {
            return Ok(false);
        };
        f.status = factor.status;
        f.profile = factor.profile.clone();
        f.sealed_secret = factor.sealed_secret.clone();
        f.last_updated = factor.last_updated;
        Ok(true)
    }
    async fn use_totp_step(&self, factor_id: &str, step: i64, at: Timestamp) -> StoreResult<bool> {
        let mut s = self.state();
        match s.factors.get_mut(factor_id) {
            Some(f) if f.last_used_step.is_none_or(|last| last < step) => {
                f.last_used_step = Some(step);
                f.last_updated = at;
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn delete_factor(&self, user_id: &str, factor_id: &str) -> StoreResult<bool> {
        let mut s = self.state();
        if s.factors
            .get(factor_id)
            .is_none_or(|f| f.user_id != user_id)
        {
            return Ok(false);
        }
        s.factors.remove(factor_id);
        Ok(true)
    }
    async fn delete_user_factors(&self, user_id: &str) -> StoreResult<u64> {
        let mut s = self.state();
        let n = s.factors.len();
        s.factors.retain(|_, f| f.user_id != user_id);
        Ok((n - s.factors.len()) as u64)
    }
}

#[async_trait]
impl LockoutStore for MemoryStore {
    async fn record_failure(
        &self,
        user_id: &str,
        threshold: u32,
        now: Timestamp,
        lock_until: Timestamp,
        forget_before: Timestamp,
    ) -> StoreResult<FailureCount> {
        let mut s = self.state();
        let s = &mut *s;
        // Counted only for a user who exists.
        let Some(user) = s.users.get_mut(user_id) else {
            return Ok(FailureCount {
                attempts: 0,
                locked: false,
            });
        };
        let failures = s
            .failures
            .entry(user_id.to_owned())
            .or_insert(UserFailures {
                attempts: 0,
                last_failure: now,
                lockout_until: None,
            });
        failures.attempts = if failures.last_failure < forget_before {
            1
        } else {
            failures.attempts.saturating_add(1)
        };
        failures.last_failure = now;
        let attempts = failures.attempts;
        // Locks once: a user already LOCKED_OUT stays as it is, its lock not extended.
        let locked = threshold > 0 && attempts >= threshold && user.status != UserStatus::LockedOut;
        if locked {
            user.status = UserStatus::LockedOut;
            user.status_changed = Some(now);
            user.last_updated = now;
            failures.lockout_until = Some(lock_until);
        }
        Ok(FailureCount { attempts, locked })
    }
    async fn reset_failures(&self, user_id: &str) -> StoreResult<()> {
        self.state().failures.remove(user_id);
        Ok(())
    }
    async fn lockout_until(&self, user_id: &str) -> StoreResult<Option<Timestamp>> {
        Ok(self
            .state()
            .failures
            .get(user_id)
            .and_then(|f| f.lockout_until))
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

/// Re-numbers items 1, 2, … in `order`.
fn renumber<T>(
    map: &mut BTreeMap<String, T>,
    order: &[String],
    priority: impl Fn(&mut T) -> &mut i64,
) {
    for (i, id) in order.iter().enumerate() {
        if let Some(item) = map.get_mut(id) {
            *priority(item) = i as i64 + 1;
        }
    }
}

impl State {
    fn policy_order(&self, auth_server_id: &str) -> Vec<String> {
        let mut v: Vec<&Policy> = self
            .policies
            .values()
            .filter(|p| p.auth_server_id == auth_server_id)
            .collect();
        v.sort_by_key(|p| (p.priority, p.id.clone()));
        v.into_iter().map(|p| p.id.clone()).collect()
    }

    fn rule_order(&self, policy_id: &str) -> Vec<String> {
        let mut v: Vec<&PolicyRule> = self
            .rules
            .values()
            .filter(|r| r.policy_id == policy_id)
            .collect();
        v.sort_by_key(|r| (r.priority, r.id.clone()));
        v.into_iter().map(|r| r.id.clone()).collect()
    }

    fn place_policy(&mut self, p: &Policy) -> Option<Policy> {
        let order = crate::authz::priority::place(
            &self.policy_order(&p.auth_server_id),
            &p.id,
            Some(p.priority),
        );
        self.policies.insert(p.id.clone(), p.clone());
        renumber(&mut self.policies, &order, |p| &mut p.priority);
        self.policies.get(&p.id).cloned()
    }

    fn place_rule(&mut self, r: &PolicyRule) -> Option<PolicyRule> {
        let order =
            crate::authz::priority::place(&self.rule_order(&r.policy_id), &r.id, Some(r.priority));
        self.rules.insert(r.id.clone(), r.clone());
        renumber(&mut self.rules, &order, |r| &mut r.priority);
        self.rules.get(&r.id).cloned()
    }

    fn name_taken<T>(map: &BTreeMap<String, T>, id: &str, same: impl Fn(&T) -> bool) -> bool {
        map.iter().any(|(k, v)| k != id && same(v))
    }
}

#[async_trait]
impl AuthServerAdminStore for MemoryStore {
    async fn insert_auth_server(
        &self,
        server: &AuthorizationServer,
        scopes: &[Scope],
    ) -> StoreResult<()> {
        let mut s = self.state();
        if s.servers.contains_key(&server.id) {
            return Err(StoreError::Conflict(format!("server {} exists", server.id)));
        }
        s.servers.insert(server.id.clone(), server.clone());
        for sc in scopes {
            s.scopes.insert(sc.id.clone(), sc.clone());
        }
        Ok(())
    }
    async fn update_auth_server(&self, server: &AuthorizationServer) -> StoreResult<bool> {
        let mut s = self.state();
        let Some(existing) = s.servers.get_mut(&server.id) else {
            return Ok(false);
        };
        existing.name = server.name.clone();
        existing.description = server.description.clone();
        existing.audiences = server.audiences.clone();
        existing.status = server.status;
        existing.signing_alg = server.signing_alg;
        existing.last_updated = server.last_updated;
        Ok(true)
    }
    async fn delete_auth_server(&self, id: &str, _at: Timestamp) -> StoreResult<bool> {
        let mut s = self.state();
        if s.servers.remove(id).is_none() {
            return Ok(false);
        }
        let policies: Vec<String> = s
            .policies
            .values()
            .filter(|p| p.auth_server_id == id)
            .map(|p| p.id.clone())
            .collect();
        s.policies.retain(|_, p| p.auth_server_id != id);
        s.rules.retain(|_, r| !policies.contains(&r.policy_id));
        s.scopes.retain(|_, x| x.auth_server_id != id);
        s.claims.retain(|_, c| c.auth_server_id != id);
        s.keys.retain(|k| k.auth_server_id != id);
        s.deleted_servers.insert(id.to_owned());
        Ok(true)
    }
    async fn auth_server_deleted(&self, id: &str) -> StoreResult<bool> {
        Ok(self.state().deleted_servers.contains(id))
    }
    async fn search_auth_servers(
        &self,
        kind: AuthServerKind,
        name_prefix: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Page<AuthorizationServer>> {
        let prefix = name_prefix.map(str::to_ascii_lowercase);
        Ok(page_of(&self.state().servers, page, |s| {
            s.kind == kind
                && prefix
                    .as_ref()
                    .is_none_or(|p| s.name.to_ascii_lowercase().starts_with(p.as_str()))
        }))
    }
}

#[async_trait]
impl ScopeStore for MemoryStore {
    async fn scopes(&self, auth_server_id: &str) -> StoreResult<Vec<Scope>> {
        let mut v: Vec<Scope> = self
            .state()
            .scopes
            .values()
            .filter(|x| x.auth_server_id == auth_server_id)
            .cloned()
            .collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(v)
    }
    async fn scope(&self, auth_server_id: &str, id: &str) -> StoreResult<Option<Scope>> {
        Ok(self
            .state()
            .scopes
            .get(id)
            .filter(|x| x.auth_server_id == auth_server_id)
            .cloned())
    }
    async fn insert_scope(&self, scope: &Scope) -> StoreResult<()> {
        let mut s = self.state();
        if !s.servers.contains_key(&scope.auth_server_id) {
            return Err(StoreError::Backend("no such server".into()));
        }
        if s.scopes.contains_key(&scope.id)
            || State::name_taken(&s.scopes, &scope.id, |x| {
                x.auth_server_id == scope.auth_server_id && x.name == scope.name
            })
        {
            return Err(StoreError::Conflict(format!("scope {} exists", scope.name)));
        }
        s.scopes.insert(scope.id.clone(), scope.clone());
        Ok(())
    }
    async fn insert_scopes_if_absent(&self, scopes: &[Scope]) -> StoreResult<u64> {
        let mut s = self.state();
        let mut n = 0;
        for scope in scopes {
            let taken = s.scopes.contains_key(&scope.id)
                || State::name_taken(&s.scopes, &scope.id, |x| {
                    x.auth_server_id == scope.auth_server_id && x.name == scope.name
                });
            if !taken && s.servers.contains_key(&scope.auth_server_id) {
                s.scopes.insert(scope.id.clone(), scope.clone());
                n += 1;
            }
        }
        Ok(n)
    }
    async fn update_scope(&self, scope: &Scope) -> StoreResult<bool> {
        let mut s = self.state();
        if State::name_taken(&s.scopes, &scope.id, |x| {
            x.auth_server_id == scope.auth_server_id && x.name == scope.name
        }) {
            return Err(StoreError::Conflict(format!("scope {} exists", scope.name)));
        }
        let Some(existing) = s
            .scopes
            .get_mut(&scope.id)
            .filter(|x| x.auth_server_id == scope.auth_server_id)
        else {
            return Ok(false);
        };
        *existing = Scope {
            system: existing.system,
            created: existing.created,
            ..scope.clone()
        };
        Ok(true)
    }
    async fn delete_scope(&self, auth_server_id: &str, id: &str) -> StoreResult<bool> {
        let mut s = self.state();
        if s.scopes
            .get(id)
            .is_some_and(|x| x.auth_server_id == auth_server_id)
        {
            s.scopes.remove(id);
            return Ok(true);
        }
        Ok(false)
    }
}

#[async_trait]
impl ClaimStore for MemoryStore {
    async fn claims(&self, auth_server_id: &str) -> StoreResult<Vec<Claim>> {
        let mut v: Vec<Claim> = self
            .state()
            .claims
            .values()
            .filter(|c| c.auth_server_id == auth_server_id)
            .cloned()
            .collect();
        v.sort_by(|a, b| (&a.name, a.claim_type.as_str()).cmp(&(&b.name, b.claim_type.as_str())));
        Ok(v)
    }
    async fn claim(&self, auth_server_id: &str, id: &str) -> StoreResult<Option<Claim>> {
        Ok(self
            .state()
            .claims
            .get(id)
            .filter(|c| c.auth_server_id == auth_server_id)
            .cloned())
    }
    async fn insert_claim(&self, claim: &Claim) -> StoreResult<()> {
        let mut s = self.state();
        if !s.servers.contains_key(&claim.auth_server_id) {
            return Err(StoreError::Backend("no such server".into()));
        }
        if s.claims.contains_key(&claim.id)
            || State::name_taken(&s.claims, &claim.id, |c| {
                c.auth_server_id == claim.auth_server_id
                    && c.name == claim.name
                    && c.claim_type == claim.claim_type
            })
        {
            return Err(StoreError::Conflict(format!("claim {} exists", claim.name)));
        }
        s.claims.insert(claim.id.clone(), claim.clone());
        Ok(())
    }
    async fn update_claim(&self, claim: &Claim) -> StoreResult<bool> {
        let mut s = self.state();
        if State::name_taken(&s.claims, &claim.id, |c| {
            c.auth_server_id == claim.auth_server_id
                && c.name == claim.name
                && c.claim_type == claim.claim_type
        }) {
            return Err(StoreError::Conflict(format!("claim {} exists", claim.name)));
        }
        let Some(existing) = s
            .claims
            .get_mut(&claim.id)
            .filter(|c| c.auth_server_id == claim.auth_server_id)
        else {
            return Ok(false);
        };
        *existing = Claim {
            system: existing.system,
            created: existing.created,
            ..claim.clone()
        };
        Ok(true)
    }
    async fn delete_claim(&self, auth_server_id: &str, id: &str) -> StoreResult<bool> {
        let mut s = self.state();
        if s.claims
            .get(id)
            .is_some_and(|c| c.auth_server_id == auth_server_id)
        {
            s.claims.remove(id);
            return Ok(true);
        }
        Ok(false)
    }
}

#[async_trait]
impl PolicyAdminStore for MemoryStore {
    async fn policy(&self, auth_server_id: &str, id: &str) -> StoreResult<Option<Policy>> {
        Ok(self
            .state()
            .policies
            .get(id)
            .filter(|p| p.auth_server_id == auth_server_id)
            .cloned())
    }
    async fn insert_policy(&self, policy: &Policy) -> StoreResult<Option<Policy>> {
        let mut s = self.state();
        if !s.servers.contains_key(&policy.auth_server_id) {
            return Ok(None);
        }
        if s.policies.contains_key(&policy.id) {
            return Err(StoreError::Conflict(format!("policy {} exists", policy.id)));
        }
        Ok(s.place_policy(policy))
    }
    async fn update_policy(&self, policy: &Policy) -> StoreResult<Option<Policy>> {
        let mut s = self.state();
        let Some(existing) = s
            .policies
            .get(&policy.id)
            .filter(|p| p.auth_server_id == policy.auth_server_id)
        else {
            return Ok(None);
        };
        let merged = Policy {
            system: existing.system,
            created: existing.created,
            ..policy.clone()
        };
        Ok(s.place_policy(&merged))
    }
    async fn delete_policy(&self, auth_server_id: &str, id: &str) -> StoreResult<bool> {
        let mut s = self.state();
        if s.policies
            .get(id)
            .is_none_or(|p| p.auth_server_id != auth_server_id)
        {
            return Ok(false);
        }
        s.policies.remove(id);
        s.rules.retain(|_, r| r.policy_id != id);
        let order = s.policy_order(auth_server_id);
        renumber(&mut s.policies, &order, |p| &mut p.priority);
        Ok(true)
    }
    async fn policy_rule(&self, policy_id: &str, id: &str) -> StoreResult<Option<PolicyRule>> {
        Ok(self
            .state()
            .rules
            .get(id)
            .filter(|r| r.policy_id == policy_id)
            .cloned())
    }
    async fn insert_rule(&self, rule: &PolicyRule) -> StoreResult<Option<PolicyRule>> {
        let mut s = self.state();
        if !s.policies.contains_key(&rule.policy_id) {
            return Ok(None);
        }
        if s.rules.contains_key(&rule.id) {
            return Err(StoreError::Conflict(format!("rule {} exists", rule.id)));
        }
        Ok(s.place_rule(rule))
    }
    async fn update_rule(&self, rule: &PolicyRule) -> StoreResult<Option<PolicyRule>> {
        let mut s = self.state();
        let Some(existing) = s
            .rules
            .get(&rule.id)
            .filter(|r| r.policy_id == rule.policy_id)
        else {
            return Ok(None);
        };
        let merged = PolicyRule {
            system: existing.system,
            created: existing.created,
            ..rule.clone()
        };
        Ok(s.place_rule(&merged))
    }
    async fn delete_rule(&self, policy_id: &str, id: &str) -> StoreResult<bool> {
        let mut s = self.state();
        if s.rules.get(id).is_none_or(|r| r.policy_id != policy_id) {
            return Ok(false);
        }
        s.rules.remove(id);
        let order = s.rule_order(policy_id);
        renumber(&mut s.rules, &order, |r| &mut r.priority);
        Ok(true)
    }
}
