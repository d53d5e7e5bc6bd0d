//! `seed_users`, the bulk loading behind `lanyard dev seed-users`, on SQLite and on PostgreSQL: the seeded users are
//! the rows the users API would write, each with the shared password, and a seeding that collides with existing
//! logins changes nothing.

use std::sync::Arc;

use lanyard_core::directory::users::UserQuery;
use lanyard_core::model::{PageRequest, UserStatus};
use lanyard_core::password::hash::{self, Params};
use lanyard_core::random::SystemRandom;
use lanyard_core::store::{Store, StoreError};
use lanyard_store::{Database, SeedError, SeedUsers, seed_login, seed_users};

const PASSWORD: &str = "Correct-Horse-9";
/// More than one INSERT statement's worth (5,000 users), so that batches meet.
const COUNT: u64 = 5_003;

fn phc() -> String {
    // Small parameters: the test is about storage, and the store keeps whatever PHC string it is given.
    hash::hash(PASSWORD, &Params::new(64, 1, 1).unwrap(), &SystemRandom).unwrap()
}

async fn count_users(store: &Arc<dyn Store>) -> usize {
    let mut req = PageRequest::first(200);
    let mut n = 0;
    loop {
        let page = store.list_users(&UserQuery::All, &req).await.unwrap();
        n += page.items.len();
        match page.next {
            Some(after) => req.after = Some(after),
            None => return n,
        }
    }
}

async fn seeds_users_that_sign_in(database: Database) {
    let phc = phc();
    let spec = SeedUsers {
        count: COUNT,
        prefix: "bench",
        domain: "example.com",
        password_phc: &phc,
    };
    let mut seen = Vec::new();
    let seeded = seed_users(&database, &spec, &mut |n| seen.push(n))
        .await
        .unwrap();
    assert_eq!(seeded, COUNT);
    assert_eq!(seen, [COUNT], "one transaction for this many");

    let store = lanyard_store::open(&database, 2).await.unwrap();
    assert_eq!(count_users(&store).await, COUNT as usize);
    let mut ids = std::collections::HashSet::new();
    for n in [1, 2, 4_999, 5_000, 5_001, COUNT] {
        let login = seed_login("bench", "example.com", n, COUNT);
        // Found whatever the case, as any login.
        let user = store
            .user_by_login(&login.to_uppercase())
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{login} was not seeded"));
        assert_eq!(user.login, login);
        assert_eq!(user.status, UserStatus::Active);
        assert_eq!(user.attr("login"), Some(login.as_str()));
        assert_eq!(user.attr("email"), Some(login.as_str()));
        assert_eq!(user.attr("firstName"), Some("Seeded"));
        assert_eq!(user.attr("lastName"), Some(format!("User {n}").as_str()));
        assert!(
            user.id.starts_with("00u") && user.id.len() == 20,
            "{}",
            user.id
        );
        assert!(user.activated.is_some() && user.status_changed.is_some());
        assert!(user.password_changed.is_some() && user.last_login.is_none());
        assert!(ids.insert(user.id.clone()));
        let record = store.password(&user.id).await.unwrap().unwrap();
        assert_eq!(record.hash, phc);
        assert!(record.history.is_empty());
        assert!(
            hash::verify(PASSWORD, &record.hash, &Params::OWASP)
                .unwrap()
                .ok
        );
        assert_eq!(store.user(&user.id).await.unwrap().unwrap(), user);
    }
    assert_eq!(
        store
            .user_by_login("bench005004@example.com")
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store
            .user_by_login("bench000000@example.com")
            .await
            .unwrap(),
        None
    );

    // Again with the same logins: the first transaction fails whole, nothing is added.
    let again = seed_users(&database, &SeedUsers { count: 10, ..spec }, &mut |_| {}).await;
    assert!(
        matches!(again, Err(SeedError::Store(StoreError::Conflict(_)))),
        "{again:?}"
    );
    assert_eq!(count_users(&store).await, COUNT as usize);

    // Another prefix seeds alongside.
    let other = SeedUsers {
        count: 3,
        prefix: "load.test",
        domain: "example.org",
        ..spec
    };
    let mut seen = Vec::new();
    assert_eq!(
        seed_users(&database, &other, &mut |n| seen.push(n))
            .await
            .unwrap(),
        3
    );
    assert_eq!(seen, [3]);
    assert_eq!(count_users(&store).await, COUNT as usize + 3);
    let user = store
        .user_by_login("load.test000003@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.password(&user.id).await.unwrap().unwrap().hash, phc);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_seeds_users_that_sign_in() {
    let dir = tempfile::tempdir().unwrap();
    seeds_users_that_sign_in(Database::Sqlite(dir.path().join("lanyard.db"))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_seeds_users_that_sign_in() {
    let Some(db) = lanyard_testkit::postgres::TempDatabase::create().await else {
        return;
    };
    seeds_users_that_sign_in(Database::Postgres(db.url.clone())).await;
}

#[tokio::test]
async fn a_refused_seeding_touches_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("lanyard.db");
    let phc = phc();
    for spec in [
        SeedUsers {
            count: 0,
            prefix: "bench",
            domain: "example.com",
            password_phc: &phc,
        },
        SeedUsers {
            count: 5,
            prefix: "bench'); DROP TABLE users; --",
            domain: "example.com",
            password_phc: &phc,
        },
        SeedUsers {
            count: 5,
            prefix: "bench",
            domain: "example.com",
            password_phc: PASSWORD,
        },
    ] {
        let result = seed_users(&Database::Sqlite(path.clone()), &spec, &mut |_| {}).await;
        assert!(matches!(result, Err(SeedError::Invalid(_))), "{result:?}");
    }
    assert!(!path.exists(), "no database was created");
}
