//! Zero-config start, restart, the data dir lock, the master key, configuration sources, help texts.

mod common;

use std::time::{Duration, Instant};

use common::*;

#[tokio::test]
async fn an_empty_data_dir_answers_discovery_within_two_seconds() {
    let dir = data_dir();
    let data = dir.path().join("fresh");
    let server = serve(&data, &[]);
    let url = server.url("/.well-known/openid-configuration");
    let deadline = server.started + Duration::from_secs(10);
    let answered = loop {
        if let Ok(r) = client().get(&url).send().await
            && r.status() == 200
        {
            break Instant::now();
        }
        assert!(Instant::now() < deadline, "no discovery answer within 10 s");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let took = answered - server.started;
    assert!(
        took < Duration::from_secs(2),
        "first discovery answer took {took:?}"
    );

    assert!(data.join("lanyard.db").exists());
    let key = data.join("master.key");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
}

#[tokio::test]
async fn restart_keeps_keys_api_tokens_and_the_org() {
    let dir = data_dir();
    let mut first = serve(dir.path(), &[]);
    let token = api_token(dir.path());
    let (_, _, jwks) = get_json(&first.url("/oauth2/default/v1/keys")).await;
    let (_, _, org_jwks) = get_json(&first.url("/oauth2/v1/keys")).await;
    assert!(
        first.terminate().success(),
        "SIGTERM should stop the server cleanly"
    );

    let second = serve(dir.path(), &[]);
    let (_, _, again) = get_json(&second.url("/oauth2/default/v1/keys")).await;
    let (_, _, org_again) = get_json(&second.url("/oauth2/v1/keys")).await;
    for kid in kids(&jwks) {
        assert!(kids(&again).contains(&kid), "key {kid} lost across restart");
    }
    assert_eq!(
        kids(&org_jwks)[..3],
        kids(&org_again)[..3],
        "the same ACTIVE keys sign after a restart"
    );
    let (status, _, _) = api_get(&second.url("/api/v1/users"), &token).await;
    assert_eq!(
        status, 200,
        "an API token minted before the restart still works"
    );
}

#[tokio::test]
async fn a_second_server_on_the_same_data_dir_is_refused_while_cli_commands_work() {
    let dir = data_dir();
    let server = serve(dir.path(), &[]);
    let err = lanyard()
        .serve(&["--data-dir", path_str(dir.path())])
        .err()
        .expect("a second serve must fail");
    assert!(err.contains("already running"), "unclear refusal: {err}");
    assert!(
        err.contains(&server.pid().to_string()),
        "the message names the running pid: {err}"
    );

    // The CLI writes alongside the running server, and the token works at once.
    let token = api_token(dir.path());
    let (status, _, body) = api_get(&server.url("/api/v1/api-tokens"), &token).await;
    assert_eq!(status, 200);
    assert_eq!(body.as_array().unwrap().len(), 1);
    let out = lanyard().run(&["api-token", "list", "--data-dir", path_str(dir.path())]);
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("test"));
}

#[tokio::test]
async fn api_token_create_prints_only_the_token() {
    let dir = data_dir();
    let out = lanyard().run(&[
        "api-token",
        "create",
        "--name",
        "ci",
        "--data-dir",
        path_str(dir.path()),
    ]);
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 1, "stdout: {stdout:?}");
    assert_eq!(lines[0].len(), 45);
    assert!(
        lines[0]
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    );
    // …and the token is not stored anywhere in the data dir.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap_or_default();
        assert!(
            !bytes
                .windows(lines[0].len())
                .any(|w| w == lines[0].as_bytes())
        );
    }
}

#[tokio::test]
async fn a_different_master_key_is_refused() {
    let dir = data_dir();
    drop(serve(dir.path(), &[]));
    let other = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let err = lanyard()
        .serve_with(&["--data-dir", path_str(dir.path())], |c| {
            c.env("LANYARD_MASTER_KEY", other);
        })
        .err()
        .expect("a node with another master key must not start");
    assert!(err.contains("different master key"), "{err}");
}

#[tokio::test]
async fn options_come_from_the_command_line_the_environment_and_the_config_file() {
    let dir = data_dir();
    let config = dir.path().join("lanyard.toml");
    std::fs::write(
        &config,
        "base_url = \"https://from-file.example\"\norg_name = \"Acme\"\n",
    )
    .unwrap();
    let data = dir.path().join("d");
    let cfg = path_str(&config).to_owned();

    let s = serve(&data, &["--config", &cfg]);
    let (_, _, doc) = get_json(&s.url("/.well-known/openid-configuration")).await;
    assert_eq!(doc["issuer"], "https://from-file.example");
    drop(s);

    let s = lanyard()
        .serve_with(&["--data-dir", path_str(&data), "--config", &cfg], |c| {
            c.env("LANYARD_BASE_URL", "https://from-env.example/");
        })
        .unwrap();
    let (_, _, doc) = get_json(&s.url("/oauth2/default/.well-known/openid-configuration")).await;
    assert_eq!(
        doc["issuer"], "https://from-env.example/oauth2/default",
        "the environment beats the file"
    );
    drop(s);

    let s = lanyard()
        .serve_with(
            &[
                "--data-dir",
                path_str(&data),
                "--config",
                &cfg,
                "--base-url",
                "https://from-cli.example",
            ],
            |c| {
                c.env("LANYARD_BASE_URL", "https://from-env.example");
            },
        )
        .unwrap();
    let (_, _, doc) = get_json(&s.url("/.well-known/openid-configuration")).await;
    assert_eq!(
        doc["issuer"], "https://from-cli.example",
        "the command line beats the environment"
    );
    drop(s);

    std::fs::write(&config, "bogus_option = 1\n").unwrap();
    let err = lanyard()
        .serve(&["--data-dir", path_str(&data), "--config", &cfg])
        .err()
        .expect("unknown keys are refused");
    assert!(err.contains("invalid config file"), "{err}");
    let err = lanyard()
        .serve(&["--data-dir", path_str(&data), "--base-url", "ftp://x"])
        .err()
        .expect("bad base URL");
    assert!(err.contains("--base-url"), "{err}");
}

#[test]
fn help_and_version_are_there_for_a_newcomer() {
    let out = lanyard().run(&["--help"]);
    let help = String::from_utf8(out.stdout).unwrap();
    for word in ["serve", "api-token", "keys", "migrate", "LANYARD_"] {
        assert!(help.contains(word), "--help lacks {word}:\n{help}");
    }
    let serve_help = String::from_utf8(lanyard().run(&["serve", "--help"]).stdout).unwrap();
    for opt in [
        "--data-dir",
        "--database-url",
        "--listen",
        "--base-url",
        "--log-format",
        "--config",
        "LANYARD_DATA_DIR",
    ] {
        assert!(serve_help.contains(opt), "serve --help lacks {opt}");
    }
    let version = String::from_utf8(lanyard().run(&["--version"]).stdout).unwrap();
    assert!(version.starts_with("lanyard "), "{version}");
}

#[test]
fn migrate_creates_the_database() {
    let dir = data_dir();
    let out = lanyard().run(&["migrate", "--data-dir", path_str(dir.path())]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("up to date"));
    assert!(dir.path().join("lanyard.db").exists());
}

#[test]
fn a_bad_or_busy_listen_address_is_refused_before_the_data_dir_is_made() {
    let dir = data_dir();
    let data = dir.path().join("never-made");
    let out = lanyard().run(&[
        "serve",
        "--data-dir",
        path_str(&data),
        "--listen",
        "nonsense",
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "--listen nonsense: expected HOST:PORT such as 127.0.0.1:8080 (--listen or LANYARD_LISTEN)"
        ),
        "{err}"
    );
    assert!(!data.exists(), "the data dir was created: {err}");

    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = busy.local_addr().unwrap().to_string();
    for args in [
        vec!["--listen", addr.as_str()],
        vec!["--listen", "127.0.0.1:0", "--metrics-listen", addr.as_str()],
    ] {
        let mut all = vec!["serve", "--data-dir", path_str(&data)];
        all.extend(args.iter().copied());
        let out = lanyard().run(&all);
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("{addr} is already in use")),
            "{args:?}: {err}"
        );
        assert!(
            err.contains(args[args.len() - 2]),
            "names the option: {err}"
        );
        assert!(!data.exists(), "the data dir was created: {err}");
    }
}
