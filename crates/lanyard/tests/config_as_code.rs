//! `lanyard export`, `plan`, `apply` and `serve --seed` through the real binary.

mod common;

use std::path::Path;
use std::process::{Output, Stdio};

use common::*;
use serde_json::json;

const ORG: &str = r#"apiVersion: lanyard/v1
groups:
- name: Engineering
  description: Builders
- name: Support
users:
- login: ada@example.com
  profile: {firstName: Ada, lastName: Lovelace, email: ada@example.com}
  password: ${env:ADA_PASSWORD}
  groups: [Engineering]
  roles: [ORG_ADMIN]
- login: bob@example.com
  profile: {firstName: Bob, lastName: Builder, email: bob@example.com}
  password: ${env:BOB_PASSWORD}
  groups: [Support]
apps:
- label: CI robot
  clientId: ci-robot
  clientSecret: ${env:CI_SECRET}
  settings: {application_type: service, grant_types: [client_credentials], response_types: [token], redirect_uris: []}
- label: Portal
  clientId: portal-web
  clientSecret: ${env:CI_SECRET}
  settings: {application_type: web, grant_types: [authorization_code], response_types: [code], redirect_uris: ['http://localhost:3000/callback']}
  assignments: {groups: [Engineering], users: [bob@example.com]}
- label: Grafana
  clientId: grafana-ci
  catalog: {key: grafana, variables: {baseUrl: 'https://grafana.example.com'}}
  assignments: {groups: [Engineering]}
authorizationServers:
- name: default
  audiences: [api://default]
  scopes:
  - {name: ci:run, description: Run the pipeline}
- name: orders
  description: Orders API
  audiences: [api://orders]
  scopes:
  - {name: orders:read, description: Read orders}
  claims:
  - {name: dept, claimType: RESOURCE, valueType: EXPRESSION, value: user.profile.lastName, alwaysIncludeInToken: true, conditions: {scopes: []}}
  policies:
  - name: Portal users
    description: The portal's sign-ins
    clients: [portal-web]
    rules:
    - name: Engineers read
      conditions: {people: {groups: {include: [Engineering]}}, grantTypes: {include: [authorization_code]}, scopes: {include: ['orders:read', openid]}}
      actions: {token: {accessTokenLifetimeMinutes: 30}}
    - name: Bob too
      status: INACTIVE
      conditions: {people: {users: {include: [bob@example.com]}}, grantTypes: {include: [authorization_code]}, scopes: {include: ['*']}}
signOnPolicies:
- name: Engineers
  description: MFA for engineers
  groups: [Engineering]
  rules:
  - name: Require MFA
    conditions: {people: {users: {exclude: [ada@example.com]}}}
    actions: {signon: {access: ALLOW, requireFactor: true, factorPromptMode: ALWAYS}}
trustedOrigins:
- {origin: 'https://spa.example.com', name: SPA, scopes: [CORS, REDIRECT]}
"#;

const SECRET: &str = "ci-secret-0123456789";

/// `lanyard ARGS` with the seed's variables set (less those in `unset`).
fn run(args: &[&str], unset: &[&str]) -> Output {
    run_with(args, unset, &[])
}

/// [`run`] with more variables.
fn run_with(args: &[&str], unset: &[&str], extra: &[(&str, &str)]) -> Output {
    let mut cmd = lanyard().command();
    cmd.envs(extra.iter().copied());
    for (k, v) in [
        ("ADA_PASSWORD", PASSWORD),
        ("BOB_PASSWORD", PASSWORD),
        ("CI_SECRET", SECRET),
        ("PASSWORD_ADA_EXAMPLE_COM", PASSWORD),
        ("PASSWORD_BOB_EXAMPLE_COM", PASSWORD),
    ] {
        if !unset.contains(&k) {
            cmd.env(k, v);
        }
    }
    cmd.args(args).stdin(Stdio::null()).output().expect("run")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "failed: {}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

fn on(data: &Path, args: &[&str]) -> Vec<String> {
    let mut all: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    all.extend(["--data-dir".to_owned(), path_str(data).to_owned()]);
    all
}

fn run_on(data: &Path, args: &[&str], unset: &[&str]) -> Output {
    let all = on(data, args);
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    run(&refs, unset)
}

#[test]
fn plan_apply_twice_export_and_round_trip_to_an_empty_instance() {
    let dir = data_dir();
    let file = write(dir.path(), "org.yaml", ORG);
    let a = dir.path().join("a");

    let plan = ok(&run_on(&a, &["plan", "-f", &file], &[]));
    for line in [
        "+ create group \"Engineering\"",
        "+ create group \"Support\"",
        "+ create user \"ada@example.com\"",
        "+ create app \"Portal\"",
        "+ create authorization server \"orders\"",
        "~ update authorization server \"default\": scope +ci:run",
        "+ create app \"Grafana\"",
        "+ create sign-on policy \"Engineers\"",
        "+ create trusted origin \"https://spa.example.com\"",
        "Plan: 10 to create, 1 to update, 0 to delete.",
    ] {
        assert!(
            plan.lines().any(|l| l == line),
            "{line:?} missing from\n{plan}"
        );
    }
    let first = ok(&run_on(&a, &["apply", "-f", &file], &[]));
    assert!(first.contains("Applied."), "{first}");
    let second = ok(&run_on(&a, &["apply", "-f", &file], &[]));
    assert!(
        second.contains("No changes: the org matches the file."),
        "{second}"
    );
    assert!(!second.contains("Applied."), "{second}");

    // An edit shows up as an update naming its fields.
    let edited = ORG
        .replace("firstName: Ada,", "firstName: Augusta,")
        .replace(
            "groups: [Engineering]\n  roles",
            "groups: [Engineering, Support]\n  roles",
        );
    let edited_file = write(dir.path(), "edited.yaml", &edited);
    let plan = ok(&run_on(&a, &["plan", "-f", &edited_file], &[]));
    assert!(
        plan.contains("~ update user \"ada@example.com\": profile.firstName, groups"),
        "{plan}"
    );
    // Policies, rules and origins too: a rule's actions, a policy's status, an origin's scopes.
    let edited = ORG
        .replace(
            "accessTokenLifetimeMinutes: 30",
            "accessTokenLifetimeMinutes: 45",
        )
        .replace(
            "requireFactor: true, factorPromptMode: ALWAYS",
            "requireFactor: false",
        )
        .replace("scopes: [CORS, REDIRECT]", "scopes: [CORS]")
        .replace(
            "  description: MFA for engineers\n",
            "  description: MFA for engineers\n  status: INACTIVE\n",
        );
    let edited_file = write(dir.path(), "edited-policies.yaml", &edited);
    let plan = ok(&run_on(&a, &["plan", "-f", &edited_file], &[]));
    for line in [
        "~ update authorization server \"orders\": policy ~Portal users (rule ~Engineers read)",
        "~ update sign-on policy \"Engineers\": status ACTIVE → INACTIVE, rule ~Require MFA",
        "~ update trusted origin \"https://spa.example.com\": scopes",
    ] {
        assert!(
            plan.lines().any(|l| l == line),
            "{line:?} missing from\n{plan}"
        );
    }
    ok(&run_on(&a, &["apply", "-f", &edited_file], &[]));
    let again = ok(&run_on(&a, &["plan", "-f", &edited_file], &[]));
    assert!(again.contains("No changes"), "{again}");
    ok(&run_on(&a, &["apply", "-f", &file], &[]));

    // Export, apply on an empty instance, export again: the same file.
    let exported = ok(&run_on(&a, &["export"], &[]));
    assert!(
        exported.starts_with("apiVersion: lanyard/v1\n"),
        "{exported}"
    );
    assert!(exported.contains("clientId: ci-robot"));
    assert!(
        exported.contains("clientId: grafana-ci\n  catalog:\n    key: grafana\n    variables:\n")
            && exported.contains("      baseUrl: https://grafana.example.com\n"),
        "{exported}"
    );
    assert!(exported.contains("password: ${env:PASSWORD_ADA_EXAMPLE_COM}"));
    assert!(!exported.contains(SECRET) && !exported.contains(PASSWORD));
    assert!(!exported.contains("$argon2"), "no password hashes");
    // Policies and rules name groups and users by name and login, never by id.
    assert!(
        exported.contains("signOnPolicies:\n- name: Engineers\n"),
        "{exported}"
    );
    assert!(exported.contains("- name: Default Policy\n"), "{exported}");
    assert!(exported.contains("- bob@example.com\n"), "{exported}");
    assert!(
        !exported.contains("00u") && !exported.contains("00g"),
        "{exported}"
    );
    assert!(
        exported.contains("trustedOrigins:\n- origin: https://spa.example.com\n"),
        "{exported}"
    );
    let exported_file = write(dir.path(), "exported.yaml", &exported);
    let b = dir.path().join("b");
    ok(&run_on(&b, &["apply", "-f", &exported_file], &[]));
    let out = dir.path().join("again.yaml");
    ok(&run_on(&b, &["export", "-o", path_str(&out)], &[]));
    assert_eq!(std::fs::read_to_string(&out).unwrap(), exported);
}

/// The same file on PostgreSQL: applied, a second apply changes nothing, and the export is the one SQLite gives.
#[tokio::test]
async fn apply_and_export_on_postgresql_match_sqlite() {
    let Some(db) = lanyard_testkit::postgres::TempDatabase::create().await else {
        return;
    };
    let dir = data_dir();
    let file = write(dir.path(), "org.yaml", ORG);
    let pg_dir = dir.path().join("pg");
    let on_pg = |args: &[&str]| {
        let mut all = args.to_vec();
        all.extend(["--data-dir", path_str(&pg_dir), "--database-url", &db.url]);
        run_with(
            &all,
            &[],
            &[(
                "LANYARD_MASTER_KEY",
                "q83vEjRWeJq83vEjRWeJq83vEjRWeJq83vEjRWeJq80",
            )],
        )
    };
    let first = ok(&on_pg(&["apply", "-f", &file]));
    assert!(first.contains("Applied."), "{first}");
    let second = ok(&on_pg(&["apply", "-f", &file]));
    assert!(
        second.contains("No changes: the org matches the file."),
        "{second}"
    );
    let from_pg = ok(&on_pg(&["export"]));

    let sqlite = dir.path().join("sqlite");
    ok(&run_on(&sqlite, &["apply", "-f", &file], &[]));
    let from_sqlite = ok(&run_on(&sqlite, &["export"], &[]));
    assert_eq!(from_pg, from_sqlite);
}

#[test]
fn a_missing_variable_or_a_literal_secret_changes_nothing() {
    let dir = data_dir();
    let file = write(dir.path(), "org.yaml", ORG);
    let a = dir.path().join("a");
    let out = run_on(&a, &["apply", "-f", &file], &["CI_SECRET"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("nothing was changed: app \"CI robot\" (clientSecret) needs the environment variable CI_SECRET"),
        "{err}"
    );
    let exported = ok(&run_on(&a, &["export"], &[]));
    assert!(!exported.contains("Engineering"), "{exported}");

    let literal = ORG.replace("${env:CI_SECRET}", "hunter2-hunter2-hunter2");
    let file = write(dir.path(), "literal.yaml", &literal);
    let out = run_on(&a, &["apply", "-f", &file], &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("app \"CI robot\": clientSecret: a secret must be a reference"),
        "{err}"
    );
}

#[test]
fn prune_deletes_what_the_file_does_not_name_and_keeps_what_cannot_be_deleted() {
    let dir = data_dir();
    let file = write(dir.path(), "org.yaml", ORG);
    let a = dir.path().join("a");
    ok(&run_on(&a, &["apply", "-f", &file], &[]));
    let smaller = "apiVersion: lanyard/v1\ngroups:\n- name: Engineering\n  description: Builders\n";
    let small = write(dir.path(), "small.yaml", smaller);
    let plan = ok(&run_on(&a, &["plan", "-f", &small], &[]));
    assert!(
        plan.contains("No changes"),
        "without --prune nothing is deleted: {plan}"
    );
    assert!(plan.contains("--prune deletes them"), "{plan}");
    let out = ok(&run_on(&a, &["apply", "--prune", "-f", &small], &[]));
    for line in [
        "- delete authorization server \"orders\"",
        "- delete authorization server \"default\"",
        "- delete app \"Portal\"",
        "- delete app \"Grafana\"",
        "- delete user \"bob@example.com\"",
        "- delete group \"Support\"",
        "- delete sign-on policy \"Engineers\"",
        "- delete trusted origin \"https://spa.example.com\"",
        "  keep the org authorization server, the built-in Everyone group and the Default sign-on policy (they cannot be deleted)",
    ] {
        assert!(
            out.lines().any(|l| l == line),
            "{line:?} missing from\n{out}"
        );
    }
    let exported = ok(&run_on(&a, &["export"], &[]));
    // What is left: the file's group, and the Default sign-on policy every org has.
    let rest = exported
        .strip_prefix(smaller)
        .unwrap_or_else(|| panic!("{exported}"));
    assert!(
        rest.starts_with("signOnPolicies:\n- name: Default Policy\n"),
        "{exported}"
    );
    assert_eq!(rest.matches("\n- name: ").count(), 1, "{exported}");
    assert!(!rest.contains("trustedOrigins"), "{exported}");
    let again = ok(&run_on(&a, &["apply", "--prune", "-f", &small], &[]));
    assert!(again.contains("No changes"), "{again}");
}

#[tokio::test]
async fn serve_seed_is_a_disposable_instance_with_the_file_s_client_ids_and_secrets() {
    let dir = data_dir();
    let file = write(dir.path(), "org.yaml", ORG);
    let cache = data_dir();
    let seeded = |cmd: &mut std::process::Command| {
        cmd.env("ADA_PASSWORD", PASSWORD)
            .env("BOB_PASSWORD", PASSWORD)
            .env("CI_SECRET", SECRET)
            .env("XDG_CACHE_HOME", cache.path());
    };
    let before: Vec<_> = seed_dirs();
    let mut server = lanyard().serve_with(&["--seed", &file], seeded).unwrap();
    let (status, _, _) = get_json(&server.url("/readyz")).await;
    assert_eq!(status, 200);

    let r = client()
        .post(server.url("/oauth2/default/v1/token"))
        .basic_auth("ci-robot", Some(SECRET))
        .form(&[("grant_type", "client_credentials"), ("scope", "ci:run")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
    let token: serde_json::Value = r.json().await.unwrap();
    assert!(
        token["access_token"]
            .as_str()
            .is_some_and(|t| !t.is_empty())
    );

    let r = client()
        .post(server.url("/api/v1/authn"))
        .json(&json!({"username": "ada@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["status"], "SUCCESS", "{body}");

    let made: Vec<_> = seed_dirs()
        .into_iter()
        .filter(|d| !before.contains(d))
        .collect();
    assert_eq!(made.len(), 1, "one temporary data dir: {made:?}");

    // Passwords are hashed at test strength (the data is deleted at exit).
    let store = lanyard_store::open(
        &lanyard_store::Database::Sqlite(made[0].join("lanyard.db")),
        1,
    )
    .await
    .unwrap();
    let ada = store
        .user_by_login("ada@example.com")
        .await
        .unwrap()
        .unwrap();
    let hash = store.password(&ada.id).await.unwrap().unwrap().hash;
    assert!(hash.contains("m=1024,t=1,p=1"), "{hash}");
    drop(store);

    // Once it answers, the instance puts RSA keys in the user's stock for the next one, which takes them (the
    // last first) instead of generating its own.
    let stock = cache.path().join("lanyard").join("rsa-key-stock");
    let read_stock = || std::fs::read_to_string(&stock).unwrap_or_default();
    assert!(
        eventually(60, || async { read_stock().lines().count() >= 4 }).await,
        "the stock is refilled: {} keys",
        read_stock().lines().count()
    );
    assert!(server.terminate().success());
    let stocked = read_stock();
    let last = stocked.lines().last().unwrap().to_owned();
    let mut next = lanyard().serve_with(&["--seed", &file], seeded).unwrap();
    assert!(
        !read_stock().lines().any(|l| l == last),
        "the next instance took the stocked keys"
    );
    assert!(next.terminate().success());
    assert!(
        !made[0].exists(),
        "the temporary data dir is removed at exit"
    );

    // A missing variable: refused before anything starts.
    let out = lanyard().run(&["serve", "--seed", &file, "--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs the environment variable"));
}

/// The disposable instances' data dirs: in `/dev/shm` where it exists (and `TMPDIR` is not set), else in the
/// temporary directory.
fn seed_dirs() -> Vec<std::path::PathBuf> {
    [std::env::temp_dir(), "/dev/shm".into()]
        .into_iter()
        .filter_map(|d| std::fs::read_dir(d).ok())
        .flatten()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("lanyard-seed-"))
        })
        .collect()
}
