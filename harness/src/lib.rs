//! The mTLS handshake harness: generates its own PKI, drives concurrent mutual-TLS handshakes
//! against real TLS servers over loopback, records latency histograms, classifies every
//! handshake's outcome, and reports.
//!
//! The binary `mtls-harness` is a thin shell around [`cli::main`]; tests and benches call the
//! library directly.

pub mod ab;
pub mod cli;
pub mod conformance;
pub mod fleet;
pub mod fsutil;
pub mod load;
pub mod measure;
pub mod peers;
pub mod pki;
pub mod pkits;
pub mod report;
pub mod revocation;
pub mod runner;
pub mod scenario;
pub mod sys;
