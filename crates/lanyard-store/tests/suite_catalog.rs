//! The storage suite for an org's own catalog entries, on every backend (see `support`).

use std::sync::Arc;

use lanyard_core::clock::from_millis;
use lanyard_core::store::{CatalogEntryRecord, Store, StoreError};

#[macro_use]
mod support;

suite!(private_entries_round_trip_in_key_order_and_each_key_once);

fn entry(name: &str) -> CatalogEntryRecord {
    CatalogEntryRecord {
        name: name.into(),
        manifest: format!("name = \"{name}\"\n# é ü\n"),
        revision: "0123456789ab".into(),
        created: from_millis(1_700_000_000_000),
        created_by: "00uvendor".into(),
    }
}

async fn private_entries_round_trip_in_key_order_and_each_key_once(store: Arc<dyn Store>) {
    assert_eq!(store.catalog_entries().await.unwrap(), vec![]);
    store
        .insert_catalog_entry(&entry("zeta_app"))
        .await
        .unwrap();
    store
        .insert_catalog_entry(&entry("acme_crm"))
        .await
        .unwrap();
    assert!(matches!(
        store.insert_catalog_entry(&entry("acme_crm")).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(
        store.catalog_entry("acme_crm").await.unwrap(),
        Some(entry("acme_crm"))
    );
    assert_eq!(store.catalog_entry("nope").await.unwrap(), None);
    let names: Vec<String> = store
        .catalog_entries()
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.name)
        .collect();
    assert_eq!(names, vec!["acme_crm", "zeta_app"]);
    assert!(store.delete_catalog_entry("acme_crm").await.unwrap());
    assert!(!store.delete_catalog_entry("acme_crm").await.unwrap());
    assert_eq!(store.catalog_entries().await.unwrap().len(), 1);
}
