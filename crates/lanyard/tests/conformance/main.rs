//! Lanyard's own OpenID Connect OP conformance suite, modelled module by module on the OpenID Foundation's OP
//! certification plans (summarised in `docs/conformance.md`). The Foundation's suite (Java, MongoDB) cannot run
//! on these machines, so this one drives the real binary the way it would: an RP registers through the Apps API,
//! a browser without JavaScript walks the hosted pages, and every answer goes through the same checks
//! (`op::checks`).
//!
//! One Rust module per plan, one test per OIDF module, named after it without the `oidcc-` prefix and with `_` for
//! `-` (`basic::server` is `oidcc-server` of the Basic plan); where a plan runs a module once per response type, the
//! response type is appended (`hybrid::server_code_id_token`), and the Form Post plans are submodules of
//! `form_post` (`form_post::implicit::server_id_token`). `scripts/test` prints how many modules pass per plan.
//! Modules that do not apply to Lanyard are listed, with the reason, in `docs/conformance.md`.

#[path = "../common/mod.rs"]
mod common;

mod op;

mod flows;

mod backchannel_logout;
mod basic;
mod config;
mod dynamic;
mod form_post;
mod frontchannel_logout;
mod hybrid;
mod implicit;
mod rp_initiated_logout;
