//! An org's own catalog entries, as operations: one is added under a key nobody uses (the manifest was checked by
//! `lanyard-catalog` before), and removed unless it is built in. The built-in entries are not in the store; the
//! caller says whether the key names one.

use crate::clock::Timestamp;
use crate::store::{CatalogEntryRecord, CatalogStore, StoreError};

/// Why an entry was not added or removed.
#[derive(Debug)]
pub enum EntryRefused {
    /// The key is taken (by a built-in entry or one of the org's).
    Taken(String),
    /// Built-in entries stay.
    BuiltIn(String),
    /// No entry of the org has this key.
    NotFound(String),
    Store(StoreError),
}

impl From<StoreError> for EntryRefused {
    fn from(e: StoreError) -> Self {
        EntryRefused::Store(e)
    }
}

/// A checked manifest to add: its key, its text as submitted and its revision.
pub struct NewEntry<'a> {
    pub name: &'a str,
    pub text: &'a str,
    pub revision: &'a str,
}

/// Adds `entry`, submitted by `by` at `now`; `taken` says whether a built-in entry has the key already.
pub async fn add(
    store: &dyn CatalogStore,
    entry: NewEntry<'_>,
    taken: bool,
    by: &str,
    now: Timestamp,
) -> Result<CatalogEntryRecord, EntryRefused> {
    if taken {
        return Err(EntryRefused::Taken(entry.name.to_owned()));
    }
    let record = CatalogEntryRecord {
        name: entry.name.to_owned(),
        manifest: entry.text.to_owned(),
        revision: entry.revision.to_owned(),
        created: now,
        created_by: by.to_owned(),
    };
    match store.insert_catalog_entry(&record).await {
        Ok(()) => Ok(record),
        Err(StoreError::Conflict(_)) => Err(EntryRefused::Taken(record.name)),
        Err(e) => Err(e.into()),
    }
}

/// Removes the org's entry `name`; `builtin` says whether the key names a built-in entry, which stays.
pub async fn remove(
    store: &dyn CatalogStore,
    name: &str,
    builtin: bool,
) -> Result<(), EntryRefused> {
    if builtin {
        return Err(EntryRefused::BuiltIn(name.to_owned()));
    }
    if store.delete_catalog_entry(name).await? {
        Ok(())
    } else {
        Err(EntryRefused::NotFound(name.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::from_millis;
    use crate::store::memory::MemoryStore;

    fn new(name: &str) -> NewEntry<'_> {
        NewEntry {
            name,
            text: "name = \"acme\"",
            revision: "0123456789ab",
        }
    }

    #[tokio::test]
    async fn an_entry_is_added_once_and_removed_once_and_built_in_ones_stay() {
        let store = MemoryStore::new();
        let now = from_millis(1_700_000_000_000);
        let made = add(&store, new("acme"), false, "00u1", now).await.unwrap();
        assert_eq!(
            (made.name.as_str(), made.created_by.as_str()),
            ("acme", "00u1")
        );
        assert_eq!(store.catalog_entry("acme").await.unwrap(), Some(made));
        assert!(matches!(
            add(&store, new("acme"), false, "00u1", now).await,
            Err(EntryRefused::Taken(n)) if n == "acme"
        ));
        assert!(matches!(
            add(&store, new("grafana"), true, "00u1", now).await,
            Err(EntryRefused::Taken(_))
        ));
        assert!(store.catalog_entry("grafana").await.unwrap().is_none());

        assert!(matches!(
            remove(&store, "grafana", true).await,
            Err(EntryRefused::BuiltIn(_))
        ));
        remove(&store, "acme", false).await.unwrap();
        assert!(matches!(
            remove(&store, "acme", false).await,
            Err(EntryRefused::NotFound(_))
        ));
    }
}
