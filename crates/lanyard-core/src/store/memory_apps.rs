//! The in-memory store's apps, codes, grants and refresh tokens (see `memory.rs`).

use std::collections::BTreeMap;

use async_trait::async_trait;

use super::memory::{MemoryStore, page_of};
use super::*;

#[derive(Default)]
pub(super) struct AppsState {
    apps: BTreeMap<String, App>,
    secrets: Vec<ClientSecret>,
    /// By (app id, user id).
    app_users: BTreeMap<(String, String), AppUser>,
    /// By (app id, group id).
    app_groups: BTreeMap<(String, String), AppGroup>,
    codes: BTreeMap<[u8; 32], AuthorizationCode>,
    grants: BTreeMap<String, Grant>,
    refresh: BTreeMap<[u8; 32], RefreshToken>,
    /// Revoked access tokens' jti, until they would have expired.
    revoked: BTreeMap<String, Timestamp>,
    jtis: BTreeMap<String, Timestamp>,
    consents: Vec<crate::model::ScopeConsent>,
}

impl AppsState {
    /// The redirect URIs of every active `browser` app.
    pub(super) fn active_browser_redirect_uris(&self) -> Vec<String> {
        self.apps
            .values()
            .filter(|a| {
                a.status == crate::model::LifecycleStatus::Active
                    && a.client.application_type == crate::model::ApplicationType::Browser
            })
            .flat_map(|a| a.client.redirect_uris.iter().cloned())
            .collect()
    }
}

impl AppsState {
    /// [`SweepStore::sweep_expired`]'s share: codes, grants, refresh tokens, revocations, jtis.
    pub(super) fn sweep(&mut self, now: Timestamp, counts: &mut SweepCounts) {
        fn gone<K: Ord, V>(map: &mut BTreeMap<K, V>, keep: impl Fn(&V) -> bool) -> u64 {
            let n = map.len();
            map.retain(|_, v| keep(v));
            (n - map.len()) as u64
        }
        counts.authorization_codes = gone(&mut self.codes, |c| c.expires_at >= now);
        let grants_before = now - GRANT_AFTERLIFE;
        counts.grants = gone(&mut self.grants, |g| g.expires_at >= grants_before);
        let grants = &self.grants;
        // Tokens of the grants just deleted go with them (ON DELETE CASCADE), uncounted.
        self.refresh.retain(|_, r| grants.contains_key(&r.grant_id));
        counts.refresh_tokens = gone(&mut self.refresh, |r| {
            r.rotated_at.is_some() || r.expires_at >= now
        });
        counts.revoked_access_tokens = gone(&mut self.revoked, |exp| *exp >= now);
        counts.used_jtis = gone(&mut self.jtis, |exp| *exp >= now);
    }

    pub(super) fn forget_user(&mut self, user_id: &str) {
        self.consents.retain(|c| c.user_id != user_id);
        self.app_users.retain(|(_, u), _| u != user_id);
        let gone: Vec<String> = self
            .grants
            .values()
            .filter(|g| g.user_id.as_deref() == Some(user_id))
            .map(|g| g.id.clone())
            .collect();
        self.grants.retain(|id, _| !gone.contains(id));
        self.refresh.retain(|_, r| !gone.contains(&r.grant_id));
    }

    pub(super) fn forget_group(&mut self, group_id: &str) {
        self.app_groups.retain(|(_, g), _| g != group_id);
    }
}

fn live(g: &Grant, now: Timestamp) -> bool {
    g.revoked_at.is_none() && g.expires_at > now
}

#[async_trait]
impl AppStore for MemoryStore {
    async fn insert_app(&self, app: &App, secret: Option<&ClientSecret>) -> StoreResult<()> {
        let mut s = self.state();
        let a = &mut s.apps;
        if a.apps
            .values()
            .any(|x| x.client.client_id == app.client.client_id)
        {
            return Err(StoreError::Conflict("client_id".into()));
        }
        a.apps.insert(app.id.clone(), app.clone());
        a.secrets.extend(secret.cloned());
        Ok(())
    }
    async fn app(&self, id: &str) -> StoreResult<Option<App>> {
        Ok(self.state().apps.apps.get(id).cloned())
    }
    async fn app_by_client_id(&self, client_id: &str) -> StoreResult<Option<App>> {
        let s = self.state();
        Ok(s.apps
            .apps
            .values()
            .find(|a| a.client.client_id == client_id)
            .cloned())
    }
    async fn list_apps(
        &self,
        label_prefix: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Page<App>> {
        let prefix = label_prefix.map(str::to_lowercase);
        Ok(page_of(&self.state().apps.apps, page, |a| {
            prefix
                .as_ref()
                .is_none_or(|p| a.label.to_lowercase().starts_with(p.as_str()))
        }))
    }
    async fn update_app(&self, app: &App) -> StoreResult<bool> {
        let mut s = self.state();
        match s.apps.apps.get_mut(&app.id) {
            Some(a) => {
                a.label = app.label.clone();
                a.status = app.status;
                a.client = app.client.clone();
                a.last_updated = app.last_updated;
                Ok(true)
            }
            None => Ok(false),
        }
    }
    async fn delete_app(&self, id: &str) -> StoreResult<bool> {
        let mut s = self.state();
        let a = &mut s.apps;
        a.secrets.retain(|x| x.app_id != id);
        a.app_users.retain(|(app, _), _| app != id);
        a.app_groups.retain(|(app, _), _| app != id);
        let removed = a.apps.remove(id).is_some();
        s.scope_grants.retain(|_, g| g.app_id != id);
        Ok(removed)
    }
    async fn client_secrets(&self, app_id: &str) -> StoreResult<Vec<ClientSecret>> {
        let s = self.state();
        let mut v: Vec<ClientSecret> = s
            .apps
            .secrets
            .iter()
            .filter(|x| x.app_id == app_id)
            .cloned()
            .collect();
        v.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        Ok(v)
    }
    async fn insert_client_secret(&self, secret: &ClientSecret) -> StoreResult<()> {
        self.state().apps.secrets.push(secret.clone());
        Ok(())
    }
    async fn update_client_secret(&self, secret: &ClientSecret) -> StoreResult<bool> {
        let mut s = self.state();
        match s
            .apps
            .secrets
            .iter_mut()
            .find(|x| x.app_id == secret.app_id && x.id == secret.id)
        {
            Some(x) => {
                x.status = secret.status;
                x.last_updated = secret.last_updated;
                Ok(true)
            }
            None => Ok(false),
        }
    }
    async fn delete_client_secret(&self, app_id: &str, secret_id: &str) -> StoreResult<bool> {
        let mut s = self.state();
        let before = s.apps.secrets.len();
        s.apps
            .secrets
            .retain(|x| !(x.app_id == app_id && x.id == secret_id));
        Ok(s.apps.secrets.len() < before)
    }
    async fn put_app_user(&self, a: &AppUser) -> StoreResult<bool> {
        let mut s = self.state();
        if !s.apps.apps.contains_key(&a.app_id) || !s.users.contains_key(&a.user_id) {
            return Ok(false);
        }
        let key = (a.app_id.clone(), a.user_id.clone());
        match s.apps.app_users.get_mut(&key) {
            Some(x) => {
                x.user_name = a.user_name.clone();
                x.last_updated = a.last_updated;
            }
            None => {
                s.apps.app_users.insert(key, a.clone());
            }
        }
        Ok(true)
    }
    async fn app_user(&self, app_id: &str, user_id: &str) -> StoreResult<Option<AppUser>> {
        let s = self.state();
        Ok(s.apps
            .app_users
            .get(&(app_id.to_owned(), user_id.to_owned()))
            .cloned())
    }
    async fn list_app_users(&self, app_id: &str, page: &PageRequest) -> StoreResult<Page<AppUser>> {
        let s = self.state();
        let by_user: BTreeMap<String, AppUser> = s
            .apps
            .app_users
            .iter()
            .filter(|((a, _), _)| a == app_id)
            .map(|((_, u), x)| (u.clone(), x.clone()))
            .collect();
        Ok(page_of(&by_user, page, |_| true))
    }
    async fn delete_app_user(&self, app_id: &str, user_id: &str) -> StoreResult<bool> {
        let mut s = self.state();
        Ok(s.apps
            .app_users
            .remove(&(app_id.to_owned(), user_id.to_owned()))
            .is_some())
    }
    async fn put_app_group(&self, a: &AppGroup) -> StoreResult<bool> {
        let mut s = self.state();
        if !s.apps.apps.contains_key(&a.app_id) || !s.groups.contains_key(&a.group_id) {
            return Ok(false);
        }
        s.apps
            .app_groups
            .insert((a.app_id.clone(), a.group_id.clone()), a.clone());
        Ok(true)
    }
    async fn app_group(&self, app_id: &str, group_id: &str) -> StoreResult<Option<AppGroup>> {
        let s = self.state();
        Ok(s.apps
            .app_groups
            .get(&(app_id.to_owned(), group_id.to_owned()))
            .cloned())
    }
    async fn list_app_groups(
        &self,
        app_id: &str,
        page: &PageRequest,
    ) -> StoreResult<Page<AppGroup>> {
        let s = self.state();
        let by_group: BTreeMap<String, AppGroup> = s
            .apps
            .app_groups
            .iter()
            .filter(|((a, _), _)| a == app_id)
            .map(|((_, g), x)| (g.clone(), x.clone()))
            .collect();
        Ok(page_of(&by_group, page, |_| true))
    }
    async fn delete_app_group(&self, app_id: &str, group_id: &str) -> StoreResult<bool> {
        let mut s = self.state();
        Ok(s.apps
            .app_groups
            .remove(&(app_id.to_owned(), group_id.to_owned()))
            .is_some())
    }
    async fn user_assigned_to_app(&self, app_id: &str, user_id: &str) -> StoreResult<bool> {
        let s = self.state();
        if !s.users.contains_key(user_id) {
            return Ok(false);
        }
        if s.apps
            .app_users
            .contains_key(&(app_id.to_owned(), user_id.to_owned()))
        {
            return Ok(true);
        }
        Ok(s.apps
            .app_groups
            .keys()
            .filter(|(a, _)| a == app_id)
            .any(|(_, g)| {
                s.groups.get(g).is_some_and(|g| g.is_built_in())
                    || s.memberships.contains(&(g.clone(), user_id.to_owned()))
            }))
    }

    async fn apps_for_user(&self, user_id: &str) -> StoreResult<Vec<App>> {
        let ids: Vec<String> = self.state().apps.apps.keys().cloned().collect();
        let mut out = Vec::new();
        for id in ids {
            if self.user_assigned_to_app(&id, user_id).await?
                && let Some(app) = self.state().apps.apps.get(&id).cloned()
            {
                out.push(app);
            }
        }
        out.sort_by(|a, b| (a.label.to_lowercase(), &a.id).cmp(&(b.label.to_lowercase(), &b.id)));
        Ok(out)
    }
}

#[async_trait]
impl GrantStore for MemoryStore {
    async fn insert_code(&self, code: &AuthorizationCode) -> StoreResult<()> {
        self.state().apps.codes.insert(code.hash, code.clone());
        Ok(())
    }
    async fn redeem_code(&self, hash: &[u8; 32], now: Timestamp) -> StoreResult<CodeRedemption> {
        let mut s = self.state();
        Ok(match s.apps.codes.get_mut(hash) {
            Some(c) if c.used_at.is_some() => CodeRedemption::Replayed(c.clone()),
            Some(c) if c.expires_at > now => {
                c.used_at = Some(now);
                CodeRedemption::Redeemed(c.clone())
            }
            _ => CodeRedemption::Invalid,
        })
    }
    async fn insert_grant(&self, grant: &Grant, refresh: Option<&RefreshToken>) -> StoreResult<()> {
        let mut s = self.state();
        s.apps.grants.insert(grant.id.clone(), grant.clone());
        if let Some(r) = refresh {
            let mut r = r.clone();
            r.grant_id = grant.id.clone();
            s.apps.refresh.insert(r.hash, r);
        }
        Ok(())
    }
    async fn grant(&self, id: &str) -> StoreResult<Option<Grant>> {
        Ok(self.state().apps.grants.get(id).cloned())
    }
    async fn rotate_refresh_token(
        &self,
        hash: &[u8; 32],
        next: &RefreshToken,
        now: Timestamp,
    ) -> StoreResult<RefreshRotation> {
        let mut s = self.state();
        let a = &mut s.apps;
        let Some(token) = a.refresh.get(hash).cloned() else {
            return Ok(RefreshRotation::Invalid);
        };
        let Some(grant) = a.grants.get(&token.grant_id).cloned() else {
            return Ok(RefreshRotation::Invalid);
        };
        if token.rotated_at.is_some() {
            return Ok(RefreshRotation::Replayed(grant));
        }
        if token.expires_at <= now {
            return Ok(RefreshRotation::Invalid);
        }
        if let Some(t) = a.refresh.get_mut(hash) {
            t.rotated_at = Some(now);
        }
        if !live(&grant, now) {
            return Ok(RefreshRotation::Invalid);
        }
        let mut n = next.clone();
        n.grant_id = grant.id.clone();
        a.refresh.insert(n.hash, n);
        Ok(RefreshRotation::Rotated(grant))
    }
    async fn refresh_token_grant(
        &self,
        hash: &[u8; 32],
    ) -> StoreResult<Option<(RefreshToken, Grant)>> {
        let s = self.state();
        Ok(s.apps.refresh.get(hash).and_then(|t| {
            s.apps
                .grants
                .get(&t.grant_id)
                .map(|g| (t.clone(), g.clone()))
        }))
    }
    async fn revoke_grant(&self, id: &str, at: Timestamp) -> StoreResult<bool> {
        let mut s = self.state();
        match s.apps.grants.get_mut(id) {
            Some(g) if g.revoked_at.is_none() => {
                g.revoked_at = Some(at);
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn revoke_access_token(&self, jti: &str, expires_at: Timestamp) -> StoreResult<()> {
        self.state().apps.revoked.insert(jti.to_owned(), expires_at);
        Ok(())
    }
    async fn access_token_revoked(&self, jti: &str, grant_id: Option<&str>) -> StoreResult<bool> {
        let s = self.state();
        Ok(s.apps.revoked.contains_key(jti)
            || grant_id
                .and_then(|g| s.apps.grants.get(g))
                .is_some_and(|g| g.revoked_at.is_some()))
    }
    async fn record_jti(&self, key: &str, expires_at: Timestamp) -> StoreResult<bool> {
        let mut s = self.state();
        if s.apps.jtis.contains_key(key) {
            return Ok(false);
        }
        s.apps.jtis.insert(key.to_owned(), expires_at);
        Ok(true)
    }
    async fn delete_expired_grants(&self, before: Timestamp) -> StoreResult<u64> {
        let mut s = self.state();
        let a = &mut s.apps;
        let n = a.codes.len() + a.refresh.len() + a.grants.len();
        a.codes.retain(|_, c| c.expires_at >= before);
        a.refresh.retain(|_, r| r.expires_at >= before);
        a.grants.retain(|_, g| g.expires_at >= before);
        a.revoked.retain(|_, exp| *exp >= before);
        a.jtis.retain(|_, exp| *exp >= before);
        Ok((n - a.codes.len() - a.refresh.len() - a.grants.len()) as u64)
    }
}

#[async_trait]
impl ConsentStore for MemoryStore {
    async fn insert_consents(&self, consents: &[crate::model::ScopeConsent]) -> StoreResult<()> {
        let mut s = self.state();
        for c in consents {
            let exists = s.apps.consents.iter().any(|x| {
                x.user_id == c.user_id
                    && x.client_id == c.client_id
                    && x.auth_server_id == c.auth_server_id
                    && x.scope == c.scope
            });
            if !exists {
                s.apps.consents.push(c.clone());
            }
        }
        Ok(())
    }
    async fn consented_scopes(
        &self,
        user_id: &str,
        client_id: &str,
        auth_server_id: &str,
    ) -> StoreResult<Vec<String>> {
        let s = self.state();
        let mut v: Vec<String> = s
            .apps
            .consents
            .iter()
            .filter(|c| {
                c.user_id == user_id
                    && c.client_id == client_id
                    && c.auth_server_id == auth_server_id
            })
            .map(|c| c.scope.clone())
            .collect();
        v.sort();
        Ok(v)
    }
    async fn user_consents(&self, user_id: &str) -> StoreResult<Vec<crate::model::ScopeConsent>> {
        let s = self.state();
        let mut v: Vec<_> = s
            .apps
            .consents
            .iter()
            .filter(|c| c.user_id == user_id)
            .cloned()
            .collect();
        v.sort_by(|a, b| (a.created, &a.id).cmp(&(b.created, &b.id)));
        Ok(v)
    }
    async fn delete_consent(&self, user_id: &str, id: &str) -> StoreResult<bool> {
        let mut s = self.state();
        let before = s.apps.consents.len();
        s.apps
            .consents
            .retain(|c| !(c.user_id == user_id && c.id == id));
        Ok(s.apps.consents.len() < before)
    }
    async fn delete_user_consents(&self, user_id: &str) -> StoreResult<u64> {
        let mut s = self.state();
        let before = s.apps.consents.len();
        s.apps.consents.retain(|c| c.user_id != user_id);
        Ok((before - s.apps.consents.len()) as u64)
    }
}
