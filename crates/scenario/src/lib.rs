//! Scenario files: TOML text -> validated [`Scenario`] with the matrix expanded into cases.
//!
//! Unknown keys, wrong types, bad durations and impossible combinations are problems that name
//! the file, the key path and the line; all problems of a file are reported together.
//!
//! `model` holds what a run executes, `parse` turns text into it, `problems` says what was
//! wrong; `parse` depends on the other two, they on nothing here.
#![forbid(unsafe_code)]

// The rooms were once modules of one crate: these names keep paths written as
// `crate::<room>::...` resolving to the crates they now live in.
use crate as scenario;
use mtls_measure as measure;
use mtls_pki as pki;

mod model;
mod parse;
pub mod problems;

use std::path::Path;

pub use model::*;
pub use parse::reader::{self, Reader};
pub use parse::{
    parse, parse_at, MAX_CASES, MAX_DURATION, MAX_KEPT_PROBLEMS, MAX_LIST, MIN_INTERVAL,
};
pub use problems::MAX_LISTED_PROBLEMS;
pub use problems::{Problem, Problems, ScenarioError};

/// Largest scenario file [`load`] reads (64 MiB; parsing is linear, a 10 MB file of problems
/// validates in seconds).
pub const MAX_SCENARIO_BYTES: u64 = 64 << 20;

/// Reads and validates a scenario file (a regular file of at most [`MAX_SCENARIO_BYTES`]).
///
/// # Errors
/// [`ScenarioError::Read`] when the file cannot be read or is too large,
/// [`ScenarioError::Invalid`] with every problem otherwise.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    load_at(path, None)
}

/// Reads and validates a scenario file as [`load`] does, every case that sets no versions of
/// its own at `version` when given ([`parse_at`]).
///
/// # Errors
/// As [`load`].
pub fn load_at(path: &Path, version: Option<TlsVersion>) -> Result<Scenario, ScenarioError> {
    use std::io::Read;
    let read_error = |source| ScenarioError::Read {
        file: path.to_path_buf(),
        source,
    };
    let mut src = String::new();
    // A FIFO, directory or device is refused at once: it would block or never end.
    mtls_sys::fsutil::open_regular(path)
        .and_then(|f| f.take(MAX_SCENARIO_BYTES + 1).read_to_string(&mut src))
        .map_err(read_error)?;
    if src.len() as u64 > MAX_SCENARIO_BYTES {
        return Err(read_error(std::io::Error::other(format!(
            "larger than the limit of {MAX_SCENARIO_BYTES} bytes"
        ))));
    }
    parse_at(&src, path, version)
}
