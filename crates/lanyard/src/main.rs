//! The `lanyard` binary: an OAuth 2.0 authorization server and OpenID Connect provider.

mod cli;
mod commands;
mod config;
mod config_as_code;
mod duration;
mod master_key;

use clap::Parser;

/// mimalloc instead of glibc's malloc: the token path allocates small, short-lived buffers (form fields, JSON,
/// HTTP headers) on every request, and glibc's allocator took about a tenth of its CPU (scripts/bench-tokens).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let cli = cli::Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("lanyard: cannot start the async runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("lanyard: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
