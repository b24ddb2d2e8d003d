//! Server and client peers: the built-in rustls server (its own process), the rustls load
//! client, process management, and the deliberately misbehaving credentials in [`danger`].

pub mod danger;
mod launch;
mod process;
pub mod revocation_verifier;
pub mod rotating;
mod rustls_client;
mod rustls_server;
mod server_revocation;
pub mod staple;
pub mod tls_config;

pub use launch::{current_exe, start_server, RevocationArgs, RunningServer};
pub use process::{log_tail, ChildGuard, ProcessError};
pub use rustls_client::{ClientError, Connector, RustlsClient};
pub use rustls_server::{serve, ServeArgs, ServeError, RESPONSE};
