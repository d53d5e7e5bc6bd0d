//! The operations the Authorization Servers API (and `apply`, and next the console) performs on custom
//! authorization servers ([`servers`]), their scopes ([`scopes`]), custom claims ([`claims`]) and access policies
//! with their rules ([`policies`]): validation of the body, the rules of each change (a system scope keeps its name
//! and stays, priorities stay dense, a name is unique), id minting and the store writes.
//!
//! Each operation takes the narrow store capabilities it needs, the clock and randomness ([`Env`]), and returns what
//! changed ([`Changed`]: the object, the server it belongs to — whose cached entry the caller drops — and the system
//! log event with its target) or a [`Refused`]. No HTTP and no Okta error codes here.

pub mod claims;
pub mod policies;
pub mod scopes;
pub mod servers;

use crate::change::{Event, Refused, Resource};
use crate::clock::Clock;
use crate::model::{AuthServerKind, AuthorizationServer};
use crate::random::Random;
use crate::store::AuthServerStore;
use crate::syslog::Party;

/// What the operations need from the world besides the store.
#[derive(Clone, Copy)]
pub struct Env<'a> {
    pub clock: &'a dyn Clock,
    pub random: &'a dyn Random,
}

/// A change made to a server or to something it holds.
#[derive(Debug)]
pub struct Changed<T> {
    /// The object as stored.
    pub item: T,
    /// Its server (the server itself for a change to a server): every change makes the server's cached entry
    /// (discovery, keys, policies) stale.
    pub server: AuthorizationServer,
    /// What the system log records; `None` when nothing changed (a status set to what it was).
    pub event: Option<Event>,
    /// The object as a system log target, besides the server (`None` for a change to the server itself).
    pub target: Option<Party>,
}

impl<T> Changed<T> {
    fn of(item: T, server: AuthorizationServer, event: Event, target: Option<Party>) -> Self {
        Changed {
            item,
            server,
            event: Some(event),
            target,
        }
    }

    /// The targets of the event: the server, then the object.
    pub fn targets(&self) -> Vec<Party> {
        let mut out = vec![server_target(&self.server)];
        out.extend(self.target.clone());
        out
    }
}

/// A server as a system log target.
pub fn server_target(s: &AuthorizationServer) -> Party {
    Party::new(&s.id, "AuthorizationServer", &s.id, &s.name)
}

/// A custom authorization server (the org server is not managed through these operations, as in Okta).
pub async fn custom_server(
    store: &(impl AuthServerStore + ?Sized),
    id: &str,
) -> Result<AuthorizationServer, Refused> {
    match store.auth_server(id).await? {
        Some(s) if s.kind == AuthServerKind::Custom => Ok(s),
        _ => Err(Refused::not_found(Resource::AuthorizationServer, id)),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::clock::FixedClock;
    use crate::keys::InlineKeys;
    use crate::random::SystemRandom;
    use crate::store::memory::MemoryStore;
    use serde_json::json;

    pub(crate) struct World {
        pub store: MemoryStore,
        pub clock: FixedClock,
        pub keys: InlineKeys,
    }

    impl World {
        pub fn new() -> Self {
            let clock = FixedClock::new(chrono::Utc::now());
            World {
                store: MemoryStore::new(),
                keys: InlineKeys::new(clock.now()),
                clock,
            }
        }

        pub fn env(&self) -> Env<'_> {
            Env {
                clock: &self.clock,
                random: &SystemRandom,
            }
        }

        /// A new custom server named `name`.
        pub async fn server(&self, name: &str) -> AuthorizationServer {
            let body = json!({"name": name, "description": "d", "audiences": ["api://x"]});
            servers::create(&self.store, &self.keys, self.env(), &body)
                .await
                .unwrap()
                .item
        }
    }
}
