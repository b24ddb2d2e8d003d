//! Saved baselines: `run --save-baseline NAME` copies a run's `summary.json`, interval logs and
//! `report.md` into `reports/baselines/NAME/` (committed, so CI compares against it);
//! `compare` and `run --baseline NAME` accept a baseline name or any run directory.

use std::path::{Path, PathBuf};

/// Where baselines live, relative to the working directory.
pub const BASELINES_DIR: &str = "reports/baselines";

/// Checks a baseline name: letters, digits, `-`, `_`, `.`, not starting with a dot.
///
/// # Errors
/// A message naming what is wrong.
pub fn check_name(name: &str) -> Result<(), String> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name.len() <= 100
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!(
            "baseline name \"{name}\": expected letters, digits, '-', '_' or '.' (not starting with '.')"
        ))
    }
}

/// Copies the run in `run_dir` to `root/name`, replacing an older baseline of that name.
///
/// # Errors
/// A bad name, or a file that cannot be read or written.
pub fn save(run_dir: &Path, name: &str, root: &Path) -> Result<PathBuf, String> {
    check_name(name)?;
    let dest = root.join(name);
    if dest.exists() {
        std::fs::remove_dir_all(&dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    }
    std::fs::create_dir_all(&dest).map_err(|e| format!("{}: {e}", dest.display()))?;
    let entries = std::fs::read_dir(run_dir).map_err(|e| format!("{}: {e}", run_dir.display()))?;
    for entry in entries.flatten() {
        let file_name = entry.file_name();
        let file_name = file_name.to_string_lossy();
        let wanted =
            file_name == "summary.json" || file_name == "report.md" || file_name.ends_with(".hlog");
        // Regular files only: never follow a link out of the run directory.
        if !wanted || !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        let bytes =
            std::fs::read(entry.path()).map_err(|e| format!("{}: {e}", entry.path().display()))?;
        let to = dest.join(&*file_name);
        crate::fsutil::write_atomic(&to, &bytes, 0o644)
            .map_err(|e| format!("{}: {e}", to.display()))?;
    }
    if !dest.join("summary.json").exists() {
        return Err(format!("{}: no summary.json to save", run_dir.display()));
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
