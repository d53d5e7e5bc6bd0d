//! The real `lanyard` binary, started on a free port for a test.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// Where the binary is: `CARGO_BIN_EXE_lanyard` is passed by the caller (only the binary's own tests have it).
pub struct Lanyard {
    pub bin: PathBuf,
}

impl Lanyard {
    pub fn new(bin: impl Into<PathBuf>) -> Self {
        Lanyard { bin: bin.into() }
    }

    /// A command with a clean `LANYARD_*` environment.
    pub fn command(&self) -> Command {
        let mut cmd = Command::new(&self.bin);
        for (k, _) in std::env::vars() {
            if k.starts_with("LANYARD_") {
                cmd.env_remove(k);
            }
        }
        cmd.env("RUST_LOG", "info,sqlx=warn");
        cmd
    }

    /// Runs a CLI command to completion.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command()
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("run lanyard")
    }

    /// Starts `lanyard serve --listen 127.0.0.1:0` with `args`; waits for its banner.
    pub fn serve(&self, args: &[&str]) -> Result<Server, String> {
        self.serve_with(args, |_| {})
    }

    /// Like [`Lanyard::serve`], with a chance to adjust the command (environment, …).
    pub fn serve_with(
        &self,
        args: &[&str],
        adjust: impl FnOnce(&mut Command),
    ) -> Result<Server, String> {
        let mut cmd = self.command();
        cmd.arg("serve")
            .arg("--listen")
            .arg("127.0.0.1:0")
            .args(args);
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        adjust(&mut cmd);
        let started = Instant::now();
        let mut child = cmd.spawn().map_err(|e| e.to_string())?;
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let (tx, rx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let (etx, erx) = mpsc::channel::<String>();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = etx.send(line);
            }
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    if let Some(addr) = line.split("listening on ").nth(1) {
                        return Ok(Server {
                            child,
                            addr: addr.trim().to_owned(),
                            started,
                            stderr: erx,
                            stderr_seen: Vec::new(),
                        });
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {}
            }
            if let Ok(Some(status)) = child.try_wait() {
                let err: Vec<String> = erx.try_iter().collect();
                return Err(format!(
                    "lanyard serve exited with {status}: {}",
                    err.join("\n")
                ));
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                return Err("lanyard serve did not print its banner within 60 s".into());
            }
        }
    }
}

/// A running server; killed when dropped.
pub struct Server {
    child: Child,
    /// `http://127.0.0.1:PORT`, as bound.
    pub addr: String,
    /// When the process was spawned.
    pub started: Instant,
    stderr: mpsc::Receiver<String>,
    stderr_seen: Vec<String>,
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the server wrote to stderr so far.
    pub fn stderr(&mut self) -> Vec<String> {
        self.stderr_seen.extend(self.stderr.try_iter());
        self.stderr_seen.clone()
    }

    /// Sends SIGTERM and waits for the exit status.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let deadline = Instant::now() + Duration::from_secs(40);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return self.child.wait().expect("wait");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// A temporary data dir.
pub fn data_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("lanyard-test-")
        .tempdir()
        .expect("tempdir")
}

pub fn path_str(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}
