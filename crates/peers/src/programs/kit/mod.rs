//! The server kit: what every server adapter needs and nothing that belongs to one of them.
//! Adapters import from here; nothing here imports an adapter (the dispatcher,
//! `programs::launch`, is the only file that knows them all, through the stack table in
//! `programs/mod.rs`).
//!
//! - [`Launch`]: what starting one case's server takes (the case, its fixtures, its revocation
//!   sources, the log its files go next to, the programs on the search path);
//! - [`ready`], [`RunningServer`], [`READY_TIMEOUT`]: the wait until a started server accepts,
//!   and the handle the runner keeps;
//! - [`free_port`], [`find_program`]: the host the server runs on;
//! - [`ChildGuard`] (the child process in its own process group, never outliving the run),
//!   [`ProcessError`] and [`io_err`];
//! - the files most servers are given: [`server_chain`], [`write_chain_extra`],
//!   [`chain_crl`] (a CRL for every CA of the chain) and [`staple`] (the OCSP response a
//!   server that cannot fetch its own staples as it is);
//! - [`quoted_allow_list`]: the allow-list's names as quoted words (HAProxy, Apache);
//! - [`outcome_for_verify_error`]: an OpenSSL verification error as an outcome (nginx, node);
//! - [`build_cache`]: programs built from source on first use, cached by source hash;
//! - [`listen_shim`]: an `LD_PRELOAD` library that holds a server without a listening-address
//!   option on loopback (gnutls-serv);
//! - [`ServerStack`]: the peer contract, one entry per server stack.

mod allow_list;
pub mod build_cache;
mod files;
mod launch;
pub mod listen_shim;
mod process;
mod running;
mod stack;
mod staple;
mod verify_error;

pub use allow_list::quoted_allow_list;
pub use files::{chain_crl, server_chain, write_chain_extra};
pub use launch::{current_exe, find_program, free_port, Launch, RevocationArgs};
pub use process::{config_path_text, io_err, log_tail, ChildGuard, ProcessError};
pub use running::{ready, RunningServer, READY_TIMEOUT};
pub use stack::{by_default, by_default_count, in_enum_order, ServerStack};
pub use staple::staple;
pub use verify_error::outcome_for_verify_error;
