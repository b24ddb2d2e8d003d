//! Server and client peers: the built-in rustls and OpenSSL servers (their own processes),
//! `openssl s_server` and nginx as process peers, the rustls load client, process management,
//! and the deliberately misbehaving credentials in [`danger`].

pub mod allow_list;
pub mod client_credentials;
mod client_ocsp;
mod crl_chain;
pub mod danger;
mod launch;
mod nginx;
mod openssl_client;
pub mod openssl_names;
mod openssl_ocsp;
mod openssl_server;
pub mod post_check;
mod process;
pub mod process_client;
pub mod revocation_verifier;
pub mod rotating;
mod rustls_client;
mod rustls_server;
mod s_server;
mod s_server_staple;
pub mod scheme_filter;
mod server_conn;
mod server_revocation;
pub mod staple;
pub mod staple_source;
mod target;
pub mod tls_config;
mod weak_key;

pub use launch::{current_exe, find_program, start_server, RevocationArgs, RunningServer};
pub use nginx::{outcome_for_verify_error, verdict_from_log};
pub use openssl_client::{OpensslClient, OpensslClientError, OpensslStream};
pub use process::{log_tail, ChildGuard, ProcessError};
pub use rustls_client::{ClientError, Connector, RustlsClient};
pub use rustls_server::{serve, ServeArgs, ServeError, RESPONSE};
pub use target::{Target, TargetError};
