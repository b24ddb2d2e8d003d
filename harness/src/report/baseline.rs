//! Saved baselines: `run --save-baseline NAME` copies a run's `summary.json`, interval logs and
//! `report.md` into `reports/baselines/NAME/` (committed, so CI compares against it);
//! `compare` and `run --baseline NAME` accept a baseline name or any run directory.

use std::path::{Path, PathBuf};

/// Why a baseline could not be saved.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The name is not one a baseline may have.
    #[error(
        "baseline name \"{0}\": expected letters, digits, '-', '_' or '.' (not starting with '.')"
    )]
    Name(String),
    /// A file or directory could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// The run directory has no `summary.json`.
    #[error("{0}: no summary.json to save")]
    NoSummary(PathBuf),
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BaselineError + '_ {
    move |source| BaselineError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Where baselines live, relative to the working directory.
pub const BASELINES_DIR: &str = "reports/baselines";

/// Checks a baseline name: letters, digits, `-`, `_`, `.`, not starting with a dot.
///
/// # Errors
/// [`BaselineError::Name`].
pub fn check_name(name: &str) -> Result<(), BaselineError> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(BaselineError::Name(name.to_string()))
    }
}

/// Copies the run in `run_dir` to `root/name`, replacing an older baseline of that name.
///
/// # Errors
/// A bad name, or a file that cannot be read or written.
pub fn save(run_dir: &Path, name: &str, root: &Path) -> Result<PathBuf, BaselineError> {
    check_name(name)?;
    let dest = root.join(name);
    if dest.exists() {
        std::fs::remove_dir_all(&dest).map_err(io(&dest))?;
    }
    std::fs::create_dir_all(&dest).map_err(io(&dest))?;
    let entries = std::fs::read_dir(run_dir).map_err(io(run_dir))?;
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        let wanted =
            file_name == "summary.json" || file_name == "report.md" || file_name.ends_with(".hlog");
        // Regular files only: never follow a link out of the run directory.
        if !wanted || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let bytes = std::fs::read(entry.path()).map_err(io(&entry.path()))?;
        let to = dest.join(&*file_name);
        crate::fsutil::write_atomic(&to, &bytes, 0o644).map_err(io(&to))?;
    }
    if !dest.join("summary.json").exists() {
        return Err(BaselineError::NoSummary(run_dir.to_path_buf()));
    }
    Ok(dest)
}

/// A run directory for `arg`: itself when it holds a `summary.json`, else the baseline of
/// that name under `root`.
pub fn resolve(arg: &str, root: &Path) -> PathBuf {
    let direct = PathBuf::from(arg);
    if direct.join("summary.json").is_file() {
        direct
    } else {
        root.join(arg)
    }
}

/// [`check_name`] for a command-line value parser, which wants the message as a `String`.
///
/// # Errors
/// The message of [`BaselineError::Name`].
pub fn check_name_message(name: &str) -> Result<(), String> {
    check_name(name).map_err(|e| e.to_string())
}
