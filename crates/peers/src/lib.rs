//! Server and client peers, one adapter per TLS stack, by role (see ARCHITECTURE.md):
//!
//! - [`servers`]: what runs inside `mtls-harness serve` (the built-in rustls and OpenSSL
//!   servers, their connection handling, certificate rotation and extra client checks);
//! - [`clients`]: the in-process load clients (rustls, OpenSSL), the process clients
//!   (`openssl s_client`, node) and the deliberately misbehaving credentials in
//!   [`clients::danger`];
//! - [`programs`]: external programs and their process control (nginx, `openssl s_server`,
//!   the child-process guard, starting a case's server);
//! - [`tls`]: each stack's names for versions, suites, groups and schemes, once;
//! - [`capabilities`]: what each stack can do, as data; the runner, conformance and interop
//!   read their skip reasons from it.
#![forbid(unsafe_code)]

// The rooms were once modules of one crate: these names keep paths written as
// `crate::<room>::...` resolving to the crates they now live in.
use crate as peers;
use mtls_load as load;
use mtls_measure as measure;
use mtls_pki as pki;
use mtls_revocation as revocation;
use mtls_scenario as scenario;
use mtls_sys as sys;
use mtls_sys::fsutil;

pub mod capabilities;
pub mod clients;
pub mod programs;
pub mod rotating;
pub mod servers;
mod target;
mod target_check;
pub mod tls;

pub use clients::{ClientError, OpensslClient, OpensslClientError, OpensslStream, RustlsClient};
pub use programs::{
    current_exe, find_program, log_tail, outcome_for_verify_error, start_server, verdict_from_log,
    ChildGuard, ProcessError, RevocationArgs, RunningServer,
};
#[cfg(feature = "cli")]
pub use servers::RevocationFlags;
pub use servers::{
    serve, BuiltinServer, CrlCheck, Identity, OcspClients, OcspQuery, ServeError, ServerRevocation,
    ServerSettings, Stapling, RESPONSE,
};
pub use target::{Target, TargetError};
