//! The README's "First app in five minutes" runs as written: its shell block, with only its first lines (the binary,
//! the data dir, the address) pointed at this test's server, goes from a new user to an app's tokens.

mod common;

use std::process::Command;

use common::*;

/// The shell block between the README's `first-app` markers.
fn first_app_block() -> String {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../README.md"))
        .expect("README.md");
    let start = readme
        .find("<!-- first-app:start -->")
        .expect("the README marks the first-app path");
    let end = readme[start..]
        .find("<!-- first-app:end -->")
        .expect("and its end")
        + start;
    let block = &readme[start..end];
    let open = block.find("```sh\n").expect("a sh block") + "```sh\n".len();
    let close = block[open..].find("```").expect("closed") + open;
    block[open..close].to_owned()
}

/// The block with `LANYARD=`, `DATA=` and `BASE=` set for this server; each must be there, once.
fn pointed_at(block: &str, bin: &str, data: &str, base: &str) -> String {
    let mut seen = [0; 3];
    let script: Vec<String> = block
        .lines()
        .map(|line| {
            for (i, (name, value)) in [("LANYARD=", bin), ("DATA=", data), ("BASE=", base)]
                .into_iter()
                .enumerate()
            {
                if line.starts_with(name) {
                    seen[i] += 1;
                    return format!("{name}{value}");
                }
            }
            line.to_owned()
        })
        .collect();
    assert_eq!(seen, [1, 1, 1], "LANYARD=, DATA= and BASE= each set once");
    script.join("\n")
}

#[tokio::test]
async fn the_first_app_path_reaches_a_signed_in_user_s_tokens() {
    for tool in ["bash", "curl", "jq", "openssl"] {
        let found = Command::new("sh")
            .args(["-c", &format!("command -v {tool}")])
            .status()
            .expect("sh")
            .success();
        assert!(found, "{tool} is needed (./scripts/test installs it)");
    }
    let dir = data_dir();
    let server = serve(dir.path(), &[]);
    let data = format!("'--data-dir {}'", path_str(dir.path()));
    let script = pointed_at(
        &first_app_block(),
        env!("CARGO_BIN_EXE_lanyard"),
        &data,
        &server.addr,
    );
    let out = Command::new("bash")
        .args(["-euo", "pipefail", "-c", &script])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .output()
        .expect("bash");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the README's steps failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    // Step 2 printed Grafana's settings with the secret in them, step 4 the callback with a code, step 5 the ID
    // token's claims and userinfo for Ada.
    assert!(
        stdout.contains("GF_AUTH_GENERIC_OAUTH_CLIENT_SECRET=")
            && !stdout.contains("shown once, when"),
        "{stdout}"
    );
    assert!(
        stdout.contains("http://127.0.0.1:3000/login/generic_oauth?code="),
        "{stdout}"
    );
    assert_eq!(
        stdout
            .matches("\"preferred_username\": \"ada@example.com\"")
            .count(),
        2,
        "the ID token and userinfo name Ada: {stdout}"
    );
}

/// The banner's `get an API token` line, from `lanyard serve` started as `program` with `PATH` set to `path`.
fn banner_token_line(program: &str, path: &str) -> String {
    use std::io::{BufRead, BufReader};
    let dir = data_dir();
    let mut child = Command::new(program)
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("PATH", path)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn lanyard");
    let stdout = child.stdout.take().expect("stdout");
    let line = BufReader::new(stdout)
        .lines()
        .map_while(Result::ok)
        .find(|l| l.contains("get an API token:"));
    let _ = child.kill();
    let _ = child.wait();
    line.expect("the banner has a `get an API token` line")
}

#[test]
fn the_banner_names_the_binary_as_it_can_be_run() {
    let bin = env!("CARGO_BIN_EXE_lanyard");
    let line = banner_token_line(bin, "/usr/bin:/bin");
    assert!(
        line.contains(&format!("{bin} api-token create --name admin --data-dir")),
        "not on the PATH: the path it was started by — {line}"
    );
    let bin_dir = std::path::Path::new(bin).parent().expect("bin dir");
    let line = banner_token_line("lanyard", &format!("{}:/usr/bin:/bin", bin_dir.display()));
    assert!(
        line.contains(": lanyard api-token create --name admin --data-dir"),
        "found on the PATH: `lanyard` — {line}"
    );
}
