//! The mTLS handshake harness's command line: [`cli`] turns arguments into calls of the
//! library (`mtls-core`, re-exported here room by room) and chooses the exit code. The binary
//! `mtls-harness` is a thin shell around [`cli::main`]; tests and benches call the library
//! directly.
#![forbid(unsafe_code)]

pub use mtls_core::*;

pub mod cli;
