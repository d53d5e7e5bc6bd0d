//! Storage as small capability traits. `lanyard-store` implements them on SQLite and PostgreSQL; [`memory`]
//! implements them in memory for unit tests of the core (never used by the product).
//!
//! Secrets are never stored: API tokens (and, later, refresh tokens, codes, …) are stored as SHA-256 hashes; private
//! keys are sealed with the master key before they reach a store.

mod attempts;
mod authz;
mod catalog;
#[cfg(any(test, feature = "memory"))]
pub mod memory;
#[cfg(any(test, feature = "memory"))]
mod memory_apps;
#[cfg(any(test, feature = "memory"))]
mod memory_attempts;
#[cfg(any(test, feature = "memory"))]
mod memory_catalog;
#[cfg(any(test, feature = "memory"))]
mod memory_device;
#[cfg(any(test, feature = "memory"))]
mod memory_pushed;
#[cfg(any(test, feature = "memory"))]
mod memory_scope_grants;
#[cfg(any(test, feature = "memory"))]
mod memory_signon;
#[cfg(any(test, feature = "memory"))]
mod memory_trusted;
mod scope_grants;
mod signon;
mod sweep;
mod trusted_origins;

pub use attempts::{AttemptStore, Failures};
pub use authz::{AuthServerAdminStore, ClaimStore, PolicyAdminStore, ScopeStore};
pub use catalog::{CatalogEntryRecord, CatalogStore};
pub use scope_grants::ScopeGrantStore;
pub use signon::SignOnPolicyStore;
pub use sweep::{GRANT_AFTERLIFE, SweepCounts, SweepStore};
pub use trusted_origins::TrustedOriginStore;

use async_trait::async_trait;

use crate::clock::Timestamp;
use crate::directory::users::UserQuery;
use crate::model::PushedRequest;
use crate::model::{
    ApiToken, AuthServerKind, AuthorizationServer, Group, KeyRecord, Org, Page, PageRequest,
    PasswordRecord, Policy, PolicyRule, RoleAssignment, User,
};
use crate::model::{
    App, AppGroup, AppUser, AuthorizationCode, ClientSecret, CodeRedemption, Grant,
    RefreshRotation, RefreshToken,
};
use crate::model::{DeviceApproval, DeviceCode, DevicePoll};
use crate::model::{
    EndedSession, Factor, FailureCount, OneTimeToken, Session, SessionApp, TokenKind,
};

#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum StoreError {
    /// The database cannot be reached or timed out.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
    /// A uniqueness constraint refused the write.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A row could not be turned back into a domain object.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// A value the backend cannot hold (PostgreSQL refuses text with a NUL character): the caller's input, which
    /// can match nothing stored, so a client mistake rather than a server fault.
    #[error("invalid input: {0}")]
    InvalidInput(String),
    /// Anything else the backend reported.
    #[error("storage error: {0}")]
    Backend(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// The organisation and deployment-wide settings.
#[async_trait]
pub trait OrgStore: Send + Sync {
    async fn org(&self) -> StoreResult<Option<Org>>;
    /// Inserts the org unless one exists; returns whether it inserted.
    async fn insert_org_if_absent(&self, org: &Org) -> StoreResult<bool>;
    /// The value stored under `key`, storing `value` first if there is none.
    async fn setting_or_insert(&self, key: &str, value: &str) -> StoreResult<String>;
}

/// Authorization servers.
#[async_trait]
pub trait AuthServerStore: Send + Sync {
    async fn insert_auth_server_if_absent(&self, server: &AuthorizationServer)
    -> StoreResult<bool>;
    async fn auth_server(&self, id: &str) -> StoreResult<Option<AuthorizationServer>>;
    /// Servers of one kind in id order.
    async fn list_auth_servers(
        &self,
        kind: AuthServerKind,
        page: &PageRequest,
    ) -> StoreResult<Page<AuthorizationServer>>;
}

/// Access policies of authorization servers and their rules.
#[async_trait]
pub trait PolicyStore: Send + Sync {
    /// Inserts the policy and its rules unless a policy with that id exists; returns whether it inserted.
    async fn insert_policy_if_absent(
        &self,
        policy: &Policy,
        rules: &[PolicyRule],
    ) -> StoreResult<bool>;
    /// The server's policies by priority.
    async fn policies(&self, auth_server_id: &str) -> StoreResult<Vec<Policy>>;
    /// The policy's rules by priority.
    async fn policy_rules(&self, policy_id: &str) -> StoreResult<Vec<PolicyRule>>;
}

/// Signing keys.
#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Every stored key of the server, newest first.
    async fn keys(&self, auth_server_id: &str) -> StoreResult<Vec<KeyRecord>>;
    /// Inserts unless the server already has a key of that algorithm in that status (for ACTIVE and NEXT, of
    /// which there is at most one each); returns whether it inserted. Safe when several nodes start at once.
    async fn insert_key_if_absent(&self, key: &KeyRecord) -> StoreResult<bool>;
    /// Atomically retires the ACTIVE key `active_kid` (EXPIRED, published until `retire_at`), promotes the NEXT key
    /// of its server and algorithm to ACTIVE, and stores `fresh` as the new NEXT (or as ACTIVE when there was no
    /// NEXT to promote). Returns false, changing nothing, if `active_kid` is no longer ACTIVE: another node
    /// rotated first.
    async fn rotate_key(
        &self,
        active_kid: &str,
        fresh: &KeyRecord,
        now: Timestamp,
        retire_at: Timestamp,
    ) -> StoreResult<bool>;
    /// Deletes EXPIRED keys whose `retire_at` is before `before`; returns how many.
    async fn delete_retired_keys(&self, before: Timestamp) -> StoreResult<u64>;
}

/// Management API tokens (SSWS).
#[async_trait]
pub trait ApiTokenStore: Send + Sync {
    async fn insert_api_token(&self, token: &ApiToken) -> StoreResult<()>;
    async fn api_token_by_hash(&self, hash: &[u8; 32]) -> StoreResult<Option<ApiToken>>;
    async fn api_token(&self, id: &str) -> StoreResult<Option<ApiToken>>;
    async fn list_api_tokens(&self, page: &PageRequest) -> StoreResult<Page<ApiToken>>;
    async fn delete_api_token(&self, id: &str) -> StoreResult<bool>;
    async fn touch_api_token(&self, id: &str, at: Timestamp) -> StoreResult<()>;
}

/// The user directory.
#[async_trait]
pub trait UserStore: Send + Sync {
    /// Inserts a user (and its password); `Conflict` when the login is taken, whatever its case.
    async fn insert_user(&self, user: &User, password: Option<&PasswordRecord>) -> StoreResult<()>;
    async fn user(&self, id: &str) -> StoreResult<Option<User>>;
    /// The user whose login equals `login` case-insensitively.
    async fn user_by_login(&self, login: &str) -> StoreResult<Option<User>>;
    /// Replaces the user's row; false when there is no such user; `Conflict` when the new login is taken.
    async fn update_user(&self, user: &User) -> StoreResult<bool>;
    async fn delete_user(&self, id: &str) -> StoreResult<bool>;
    /// Users matching `query`, in id order. The query has been validated by [`crate::directory::users::validate`].
    async fn list_users(&self, query: &UserQuery, page: &PageRequest) -> StoreResult<Page<User>>;
    async fn password(&self, user_id: &str) -> StoreResult<Option<PasswordRecord>>;
    async fn set_password(&self, user_id: &str, password: &PasswordRecord) -> StoreResult<()>;
    /// Records a sign-in: sets `last_login` only while the user may still sign in (ACTIVE or PASSWORD_EXPIRED).
    /// False when not — an administrator suspended or deactivated the user while their password was being
    /// checked — and then the sign-in must fail. Touches no other column, so it never undoes a concurrent change.
    async fn record_login(&self, user_id: &str, at: Timestamp) -> StoreResult<bool>;
}

/// Groups and their members. A built-in group (`Everyone`) holds every user implicitly: no membership row is ever
/// stored for it, its members are all users, and every user's groups include it. Deleting a user or a group deletes
/// its memberships.
#[async_trait]
pub trait GroupStore: Send + Sync {
    /// Inserts a group; `Conflict` when its name is taken, whatever its case.
    async fn insert_group(&self, group: &Group) -> StoreResult<()>;
    /// Inserts the group unless one with its id or name exists (bootstrap's `Everyone`); returns whether it
    /// inserted. Safe when several nodes start at once.
    async fn insert_group_if_absent(&self, group: &Group) -> StoreResult<bool>;
    async fn group(&self, id: &str) -> StoreResult<Option<Group>>;
    /// Replaces the name, description and `last_updated` of a group that is not built in; false when there is no
    /// such group; `Conflict` when the new name is taken, whatever its case.
    async fn update_group(&self, group: &Group) -> StoreResult<bool>;
    /// Deletes a group that is not built in, with its memberships; false when there is no such group.
    async fn delete_group(&self, id: &str) -> StoreResult<bool>;
    /// Groups in id order; with `name_prefix`, only those whose name starts with it, case-insensitively.
    async fn list_groups(
        &self,
        name_prefix: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Page<Group>>;
    /// Makes the user a member of a group that is not built in, and sets the group's `last_membership_updated`
    /// to `at` when it added. Returns whether it added: false when the user already was a member, the group is
    /// built in, or the group or the user does not exist.
    async fn add_group_member(
        &self,
        group_id: &str,
        user_id: &str,
        at: Timestamp,
    ) -> StoreResult<bool>;
    /// Ends a membership, and sets the group's `last_membership_updated` to `at` when it removed one. Returns
    /// whether it removed (never for a built-in group).
    async fn remove_group_member(
        &self,
        group_id: &str,
        user_id: &str,
        at: Timestamp,
    ) -> StoreResult<bool>;
    /// The group's members in user id order: every user for a built-in group, none for an unknown group.
    async fn list_group_members(
        &self,
        group_id: &str,
        page: &PageRequest,
    ) -> StoreResult<Page<User>>;
    /// The groups of a user (who exists) in group id order, built-in groups included.
    async fn user_groups(&self, user_id: &str, page: &PageRequest) -> StoreResult<Page<Group>>;
}

/// Administrator roles assigned to users.
#[async_trait]
pub trait RoleStore: Send + Sync {
    /// Assigns a role to a user (who exists); `Conflict` when the user already holds a role of that type.
    async fn insert_role(&self, role: &RoleAssignment) -> StoreResult<()>;
    /// Every role the user holds, in id order: one indexed lookup, cheap enough for every admin request.
    async fn user_roles(&self, user_id: &str) -> StoreResult<Vec<RoleAssignment>>;
    /// One of the user's roles.
    async fn user_role(&self, user_id: &str, role_id: &str) -> StoreResult<Option<RoleAssignment>>;
    /// Unassigns one of the user's roles; false when the user holds no role with that id.
    async fn delete_role(&self, user_id: &str, role_id: &str) -> StoreResult<bool>;
}

/// SSO sessions.
#[async_trait]
pub trait SessionStore: Send + Sync {
    async fn insert_session(&self, session: &Session) -> StoreResult<()>;
    /// The session whose cookie hashes to `token_hash`, if it exists (expiry is the caller's to check).
    async fn session_by_hash(&self, token_hash: &[u8; 32]) -> StoreResult<Option<Session>>;
    async fn session(&self, id: &str) -> StoreResult<Option<Session>>;
    /// Records use (the idle clock restarts).
    async fn touch_session(&self, id: &str, at: Timestamp) -> StoreResult<()>;
    /// A step-up (a second factor proved in session `id`): the session's `amr` becomes `amr` and its cookie's hash
    /// `new_hash`, only while its cookie hashes to `old_hash` — of two concurrent step-ups one wins. False,
    /// changing nothing, when the session is gone or its cookie changed.
    async fn elevate_session(
        &self,
        id: &str,
        old_hash: &[u8; 32],
        new_hash: &[u8; 32],
        amr: &[String],
    ) -> StoreResult<bool>;
    async fn delete_session(&self, id: &str) -> StoreResult<bool>;
    /// Ends every session of a user; returns how many.
    async fn delete_user_sessions(&self, user_id: &str) -> StoreResult<u64>;
    /// Forgets sessions that ended before `before`.
    async fn delete_expired_sessions(&self, before: Timestamp) -> StoreResult<u64>;
}

/// The apps signed into each SSO session, so that ending a session tells them (OIDC Back-Channel and Front-Channel
/// Logout). The records go with their session, however it ends (deleted, expired, its user deleted).
#[async_trait]
pub trait SessionAppStore: Send + Sync {
    /// Records that `app.client_id` (of `app.auth_server_id`) signed in with session `app.session_id`; an app
    /// already recorded for the session is kept as it was. False, recording nothing, when the session is gone.
    async fn record_session_app(&self, app: &SessionApp) -> StoreResult<bool>;
    /// The apps of a session, in the order they signed in.
    async fn session_apps(&self, session_id: &str) -> StoreResult<Vec<SessionApp>>;
    /// Ends a session: deletes it and returns it with its apps, in one transaction. Of two concurrent calls (on
    /// any nodes) one gets the session, the other `None`, so each ending is announced once.
    async fn end_session(&self, id: &str) -> StoreResult<Option<EndedSession>>;
    /// Ends every session of a user the same way; the sessions it ended.
    async fn end_user_sessions(&self, user_id: &str) -> StoreResult<Vec<EndedSession>>;
}

/// Short-lived single-use tokens.
#[async_trait]
pub trait OneTimeTokenStore: Send + Sync {
    async fn insert_one_time_token(&self, token: &OneTimeToken) -> StoreResult<()>;
    /// Stores the token, replacing one with the same hash (a WebAuthn challenge asked again replaces the last):
    /// of concurrent writers the last wins, none fails.
    async fn replace_one_time_token(&self, token: &OneTimeToken) -> StoreResult<()>;
    /// Atomically takes the token of `kind` hashing to `token_hash` if it has not expired at `now`: a second call,
    /// from this node or another, finds nothing.
    async fn consume_one_time_token(
        &self,
        token_hash: &[u8; 32],
        kind: TokenKind,
        now: Timestamp,
    ) -> StoreResult<Option<OneTimeToken>>;
    /// Reads without consuming (a state token is shown to several steps of one sign-in).
    async fn one_time_token(
        &self,
        token_hash: &[u8; 32],
        kind: TokenKind,
        now: Timestamp,
    ) -> StoreResult<Option<OneTimeToken>>;
    /// Drops a user's tokens of `kind` (a new reset link voids the old ones).
    async fn delete_user_one_time_tokens(&self, user_id: &str, kind: TokenKind)
    -> StoreResult<u64>;
}

/// MFA factors.
#[async_trait]
pub trait FactorStore: Send + Sync {
    async fn insert_factor(&self, factor: &Factor) -> StoreResult<()>;
    async fn factor(&self, user_id: &str, factor_id: &str) -> StoreResult<Option<Factor>>;
    /// A user's factors, oldest first.
    async fn factors(&self, user_id: &str) -> StoreResult<Vec<Factor>>;
    /// Sets status, profile and `last_updated`; false if there is no such factor.
    async fn update_factor(&self, factor: &Factor) -> StoreResult<bool>;
    /// Accepts TOTP step `step` for the factor only if it is later than the last accepted one (atomic: of two
    /// concurrent uses of one code, exactly one succeeds).
    async fn use_totp_step(&self, factor_id: &str, step: i64, at: Timestamp) -> StoreResult<bool>;
    async fn delete_factor(&self, user_id: &str, factor_id: &str) -> StoreResult<bool>;
    async fn delete_user_factors(&self, user_id: &str) -> StoreResult<u64>;
}

/// Consecutive failed sign-ins, and lockout.
#[async_trait]
pub trait LockoutStore: Send + Sync {
    /// Counts a failure (atomically); a count whose last failure is before `forget_before` starts again at one.
    /// When the count reaches `threshold`, the user becomes LOCKED_OUT until `lock_until` (status,
    /// `status_changed` and `last_updated` set to `now`).
    async fn record_failure(
        &self,
        user_id: &str,
        threshold: u32,
        now: Timestamp,
        lock_until: Timestamp,
        forget_before: Timestamp,
    ) -> StoreResult<FailureCount>;
    /// Clears the count (a successful sign-in, an unlock, a password reset).
    async fn reset_failures(&self, user_id: &str) -> StoreResult<()>;
    /// When a LOCKED_OUT user unlocks by itself, if it does.
    async fn lockout_until(&self, user_id: &str) -> StoreResult<Option<Timestamp>>;
}

/// Apps (OIDC clients), their secrets and assignments. Deleting an app deletes its secrets and assignments.
#[async_trait]
pub trait AppStore: Send + Sync {
    /// Inserts an app and its first secret; `Conflict` when the client id is taken.
    async fn insert_app(&self, app: &App, secret: Option<&ClientSecret>) -> StoreResult<()>;
    async fn app(&self, id: &str) -> StoreResult<Option<App>>;
    /// The app whose `client_id` this is: one indexed lookup, on every token request.
    async fn app_by_client_id(&self, client_id: &str) -> StoreResult<Option<App>>;
    /// Apps in id order; with `label_prefix`, only those whose label starts with it, case-insensitively.
    async fn list_apps(
        &self,
        label_prefix: Option<&str>,
        page: &PageRequest,
    ) -> StoreResult<Page<App>>;
    /// Replaces the app's row; false when there is no such app.
    async fn update_app(&self, app: &App) -> StoreResult<bool>;
    async fn delete_app(&self, id: &str) -> StoreResult<bool>;
    /// The app's secrets, oldest first.
    async fn client_secrets(&self, app_id: &str) -> StoreResult<Vec<ClientSecret>>;
    async fn insert_client_secret(&self, secret: &ClientSecret) -> StoreResult<()>;
    /// Sets a secret's status and `last_updated`; false when the app has no such secret.
    async fn update_client_secret(&self, secret: &ClientSecret) -> StoreResult<bool>;
    async fn delete_client_secret(&self, app_id: &str, secret_id: &str) -> StoreResult<bool>;
    /// Assigns a user (who exists) to an app, or updates the assignment; false when the app or user is missing.
    async fn put_app_user(&self, assignment: &AppUser) -> StoreResult<bool>;
    async fn app_user(&self, app_id: &str, user_id: &str) -> StoreResult<Option<AppUser>>;
    /// Direct assignments in user id order.
    async fn list_app_users(&self, app_id: &str, page: &PageRequest) -> StoreResult<Page<AppUser>>;
    async fn delete_app_user(&self, app_id: &str, user_id: &str) -> StoreResult<bool>;
    /// Assigns a group (which exists) to an app, or updates it; false when the app or group is missing.
    async fn put_app_group(&self, assignment: &AppGroup) -> StoreResult<bool>;
    async fn app_group(&self, app_id: &str, group_id: &str) -> StoreResult<Option<AppGroup>>;
    /// Group assignments in group id order.
    async fn list_app_groups(
        &self,
        app_id: &str,
        page: &PageRequest,
    ) -> StoreResult<Page<AppGroup>>;
    async fn delete_app_group(&self, app_id: &str, group_id: &str) -> StoreResult<bool>;
    /// Whether the user may use the app: assigned directly, or a member of an assigned group (an assigned
    /// built-in group holds everyone). One query.
    async fn user_assigned_to_app(&self, app_id: &str, user_id: &str) -> StoreResult<bool>;
    /// The apps the user may use, whatever their status, by label (case-insensitively) then id: the same rule as
    /// [`AppStore::user_assigned_to_app`], for the user's dashboard. One query.
    async fn apps_for_user(&self, user_id: &str) -> StoreResult<Vec<App>>;
}

/// Codes, grants, refresh tokens and revoked access tokens.
#[async_trait]
pub trait GrantStore: Send + Sync {
    async fn insert_code(&self, code: &AuthorizationCode) -> StoreResult<()>;
    /// Atomically marks the code hashing to `hash` used, if it is unused and not expired at `now`; of two
    /// concurrent redemptions exactly one gets `Redeemed`. A used code comes back as `Replayed`.
    async fn redeem_code(&self, hash: &[u8; 32], now: Timestamp) -> StoreResult<CodeRedemption>;
    /// Stores a grant with its first refresh token, if any, in one transaction.
    async fn insert_grant(&self, grant: &Grant, refresh: Option<&RefreshToken>) -> StoreResult<()>;
    async fn grant(&self, id: &str) -> StoreResult<Option<Grant>>;
    /// Atomically rotates the refresh token hashing to `hash`: if it is current, unexpired at `now`, and its grant
    /// is neither revoked nor ended, marks it rotated and stores `next` (whose `grant_id` is ignored: it joins the
    /// same grant). A token rotated before is `Replayed`.
    async fn rotate_refresh_token(
        &self,
        hash: &[u8; 32],
        next: &RefreshToken,
        now: Timestamp,
    ) -> StoreResult<RefreshRotation>;
    /// The grant of the refresh token hashing to `hash`, whatever the token's state.
    async fn refresh_token_grant(
        &self,
        hash: &[u8; 32],
    ) -> StoreResult<Option<(RefreshToken, Grant)>>;
    /// Revokes a grant (its refresh tokens stop working; its access tokens introspect inactive); false if it was
    /// already revoked or does not exist.
    async fn revoke_grant(&self, id: &str, at: Timestamp) -> StoreResult<bool>;
    /// Records a revoked access token until it would have expired.
    async fn revoke_access_token(&self, jti: &str, expires_at: Timestamp) -> StoreResult<()>;
    /// Whether the access token `jti` (of grant `grant_id`, if any) has been revoked, one way or the other.
    async fn access_token_revoked(&self, jti: &str, grant_id: Option<&str>) -> StoreResult<bool>;
    /// [`Store::access_token_revoked`] for several tokens `(jti, grant id)` at once: one answer per token, in
    /// order. The SQL stores answer with one query.
    async fn access_tokens_revoked(
        &self,
        tokens: &[(String, Option<String>)],
    ) -> StoreResult<Vec<bool>> {
        let mut out = Vec::with_capacity(tokens.len());
        for (jti, grant) in tokens {
            out.push(self.access_token_revoked(jti, grant.as_deref()).await?);
        }
        Ok(out)
    }
    /// Records a one-time identifier (a client assertion's or DPoP proof's `jti`, namespaced by the caller) until
    /// `expires_at`; false when it was seen before (a replay). Atomic across nodes.
    async fn record_jti(&self, key: &str, expires_at: Timestamp) -> StoreResult<bool>;
    /// Forgets codes, rotated or expired refresh tokens and revocation records that ended before `before`.
    async fn delete_expired_grants(&self, before: Timestamp) -> StoreResult<u64>;
}

/// Scopes users consented to (Okta's user grants).
#[async_trait]
pub trait ConsentStore: Send + Sync {
    /// Records consents; a scope already consented to is kept as it was.
    async fn insert_consents(&self, consents: &[crate::model::ScopeConsent]) -> StoreResult<()>;
    /// The scopes the user consented to for the app on the server.
    async fn consented_scopes(
        &self,
        user_id: &str,
        client_id: &str,
        auth_server_id: &str,
    ) -> StoreResult<Vec<String>>;
    /// A user's consents, oldest first.
    async fn user_consents(&self, user_id: &str) -> StoreResult<Vec<crate::model::ScopeConsent>>;
    /// Revokes one consent of the user; false when there is none with that id.
    async fn delete_consent(&self, user_id: &str, id: &str) -> StoreResult<bool>;
    /// Revokes every consent of the user; how many.
    async fn delete_user_consents(&self, user_id: &str) -> StoreResult<u64>;
}

/// Device authorization requests (RFC 8628), by the SHA-256 of their device code and of their user code.
#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// Stores a new code; `Conflict` when its user code is taken (the caller draws another).
    async fn insert_device_code(&self, code: &DeviceCode) -> StoreResult<()>;
    /// The PENDING, unexpired code whose user code hashes to `user_code_hash`.
    async fn pending_device_code(
        &self,
        user_code_hash: &[u8; 32],
        now: Timestamp,
    ) -> StoreResult<Option<DeviceCode>>;
    /// Atomically approves (with `approval`) or denies (`None`) the code whose user code hashes to
    /// `user_code_hash`, if it is still PENDING and unexpired at `now`; of two concurrent decisions one wins.
    async fn decide_device_code(
        &self,
        user_code_hash: &[u8; 32],
        approval: Option<&DeviceApproval>,
        now: Timestamp,
    ) -> StoreResult<bool>;
    /// Atomically applies [`DeviceCode::poll`] to the code hashing to `hash`: of concurrent polls of an approved
    /// code exactly one is `Approved`; concurrent polls of a pending one count one after the other.
    async fn poll_device_code(
        &self,
        hash: &[u8; 32],
        client_id: &str,
        auth_server_id: &str,
        now: Timestamp,
    ) -> StoreResult<DevicePoll>;
    /// Forgets codes that expired before `before`.
    async fn delete_expired_device_codes(&self, before: Timestamp) -> StoreResult<u64>;
}

/// Authorization requests referred to by a `urn:ietf:params:oauth:request_uri:…` (pushed ones, RFC 9126, and those
/// the authorization endpoint keeps across sign-in), by the SHA-256 of the reference. Each is bound to a client and
/// an authorization server and taken once.
#[async_trait]
pub trait PushedRequestStore: Send + Sync {
    /// Stores a request; `Conflict` when its hash is taken.
    async fn insert_pushed_request(&self, request: &PushedRequest) -> StoreResult<()>;
    /// Atomically takes the request hashing to `hash` if it belongs to `client_id` at `auth_server_id` and has not
    /// expired at `now`: a second call, from this node or another, finds nothing. Another client's request is left
    /// untouched.
    async fn consume_pushed_request(
        &self,
        hash: &[u8; 32],
        client_id: &str,
        auth_server_id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<PushedRequest>>;
    /// Reads without taking (the consent page shows the request it then sends the browser back to).
    async fn pushed_request(
        &self,
        hash: &[u8; 32],
        client_id: &str,
        auth_server_id: &str,
        now: Timestamp,
    ) -> StoreResult<Option<PushedRequest>>;
    /// Forgets requests that expired before `before`.
    async fn delete_expired_pushed_requests(&self, before: Timestamp) -> StoreResult<u64>;
}

/// Everything a node needs, behind one object.
#[async_trait]
pub trait Store:
    OrgStore
    + AuthServerStore
    + AuthServerAdminStore
    + PolicyStore
    + PolicyAdminStore
    + SignOnPolicyStore
    + ScopeStore
    + ClaimStore
    + KeyStore
    + ApiTokenStore
    + UserStore
    + GroupStore
    + RoleStore
    + crate::syslog::LogStore
    + SessionStore
    + SessionAppStore
    + OneTimeTokenStore
    + FactorStore
    + LockoutStore
    + AppStore
    + GrantStore
    + ConsentStore
    + DeviceStore
    + PushedRequestStore
    + SweepStore
    + TrustedOriginStore
    + ScopeGrantStore
    + AttemptStore
    + CatalogStore
    + Send
    + Sync
    + 'static
{
    /// `sqlite`, `postgres` or `memory`.
    fn backend(&self) -> &'static str;
    /// Succeeds when the database answers.
    async fn ping(&self) -> StoreResult<()>;
}
