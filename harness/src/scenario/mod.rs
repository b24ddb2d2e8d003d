//! Scenario files: TOML text -> validated [`Scenario`] with the matrix expanded into cases.
//!
//! Unknown keys, wrong types, bad durations and impossible combinations are problems that name
//! the file, the key path and the line; all problems of a file are reported together.
//!
//! `model` holds what a run executes, `parse` turns text into it, `problems` says what was
//! wrong; `parse` depends on the other two, they on nothing here.

mod model;
mod parse;
mod problems;

use std::path::Path;

pub use model::*;
pub use parse::{parse, MAX_CASES, MAX_DURATION, MAX_LIST, MIN_INTERVAL};
pub use problems::MAX_LISTED_PROBLEMS;
pub use problems::{Problem, ScenarioError};

/// Reads and validates a scenario file.
///
/// # Errors
/// [`ScenarioError::Read`] when the file cannot be read, [`ScenarioError::Invalid`] with every
/// problem otherwise.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let src = std::fs::read_to_string(path).map_err(|source| ScenarioError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    parse(&src, path)
}
