//! Why a fleet experiment could not run ([`FleetError`]); measured outcomes are never errors.

use std::path::{Path, PathBuf};

/// Why a fleet experiment could not run.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// A certificate could not be issued.
    #[error("{0}")]
    Issue(#[from] crate::pki::IssueError),
    /// A key could not be generated.
    #[error("{0}")]
    Key(#[from] crate::pki::KeyError),
    /// A file could not be written or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A part could not be started or set up.
    #[error("{0}")]
    Internal(String),
}

impl FleetError {
    pub(super) fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}
