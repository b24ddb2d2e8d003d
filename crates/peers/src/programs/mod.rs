//! External programs as peers and their process control: starting a case's server (the
//! built-in ones as `mtls-harness serve`, nginx, `openssl s_server`, HAProxy, `gnutls-serv`, a
//! node https server, Go crypto/tls and Java JSSE servers built on first use), the process clients'
//! command lines and output (`openssl s_client`, node, curl, `gnutls-cli`, and the Go and Java
//! client programs built on first use), the child-process
//! guard that makes sure none outlives the run, and each program's configuration.

mod build_cache;
mod builtin;
pub mod client_output;
mod command;
pub mod curl;
pub mod gnutls_cli;
mod gnutls_serv;
pub mod go_client;
mod go_server;
mod haproxy;
pub mod java_client;
mod java_server;
mod launch;
mod listen_shim;
mod nginx;
pub mod node_client;
mod node_server;
mod process;
pub mod s_client;
mod s_server;
mod s_server_staple;

pub use launch::{current_exe, find_program, start_server, RevocationArgs, RunningServer};
pub use nginx::{outcome_for_verify_error, verdict_from_log};
pub use node_server::refusals_from_log as node_refusals_from_log;
pub use process::{log_tail, ChildGuard, ProcessError};
