//! NIST PKITS over the wire: the Public Key Interoperability Test Suite's path-validation
//! tests (sections 4.1-4.14), each sent as a client certificate chain in a real mTLS
//! handshake to every server peer, and graded against NIST's expected result.
//!
//! The data comes from `scripts/fetch-pkits.sh` (never committed). Each test's S/MIME message
//! gives its certificates and CRLs ([`cms`], [`data`]); the chain is sent leaf first in path
//! order ([`paths`]); the catalog places each test in its section and says what NIST expects
//! with the default inputs ([`catalog`]). Tests whose CRLs agree share a server process
//! ([`groups`]); [`run`] starts each peer through the usable server start path
//! (`peers::programs::start_server`, the peer's whole-chain CRL file where it checks the chain)
//! and drives one handshake per test; [`grade`] turns each into a conformance row, settled
//! against `conformance/pkits-deviations.toml` (beside the conformance suite's grading data)
//! with the conformance suite's `settle` (an unexpected pass of a listed deviation fails the
//! run); [`report`] writes the table, the per-section summary, `junit.xml` and `pkits.json`.

pub mod catalog;
mod cms;
pub mod data;
mod grade;
pub mod groups;
mod loadable;
pub mod paths;
pub mod report;
pub mod run;

use std::path::PathBuf;

pub use data::{load, Suite, Test};
pub use report::Outcome as PkitsOutcome;
pub use run::{run, PkitsOptions};

/// The known deviations of each peer from NIST's expected results, built in
/// (`conformance/pkits-deviations.toml`).
pub const DEVIATIONS: &str = include_str!("../../../../conformance/pkits-deviations.toml");

/// The `RUST_LOG` under which the built-in servers (which inherit it) log why they refused a
/// client: each refusal's reason in the rows comes from the peer's log.
/// Every crate of the workspace at `debug` (a test checks it equals
/// `crate::log_directives("info", "debug")`).
pub const SERVER_LOG: &str = "info,mtls_harness=debug,mtls_core=debug,mtls_peers=debug,mtls_report=debug,mtls_revocation=debug,mtls_load=debug,mtls_scenario=debug,mtls_measure=debug,mtls_pki=debug,mtls_sys=debug";

/// The PKITS inputs every server is run with (NIST's defaults; a TLS server offers no others),
/// written into `pkits.json`.
pub const SETTINGS: &[(&str, &str)] = &[
    ("user-initial-policy-set", "any-policy"),
    ("initial-explicit-policy", "false"),
    ("initial-policy-mapping-inhibit", "false"),
    ("initial-any-policy-inhibit", "false"),
    ("revocation", "CRLs from each test's message, loaded from a file by the server; whole chain where the peer checks the chain"),
    ("time", "the wall clock (PKITS certificates are valid 2010-2030)"),
];

/// Why PKITS could not be run (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum PkitsError {
    /// A data file or directory is missing or broken.
    #[error("{}: {reason}", path.display())]
    File {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        reason: String,
    },
    /// The deviations file is broken.
    #[error("{0}")]
    Deviations(#[from] crate::conformance::SpecError),
    /// The harness's own server credentials could not be made.
    #[error("the server's own credentials: {0}")]
    Fixtures(String),
    /// An output file could not be written.
    #[error("{0}")]
    Report(#[from] crate::report::ReportError),
}
