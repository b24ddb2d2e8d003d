//! Saved baselines: `run --save-baseline NAME` copies a run's `summary.json`, the interval
//! logs that summary names (no other file of the directory, however named) and `report.md` into `reports/baselines/NAME/` (committed, so CI compares against it);
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
    // Read first: a run without a summary leaves an older baseline of that name in place.
    let summary_path = run_dir.join("summary.json");
    let summary = read_regular(&summary_path)?
        .ok_or_else(|| BaselineError::NoSummary(run_dir.to_path_buf()))?;
    if dest.exists() {
        std::fs::remove_dir_all(&dest).map_err(io(&dest))?;
    }
    std::fs::create_dir_all(&dest).map_err(io(&dest))?;
    let mut wanted = vec!["summary.json".to_string(), "report.md".to_string()];
    wanted.extend(named_logs(&summary));
    for file_name in wanted {
        let from = run_dir.join(&file_name);
        // Regular files only: never follow a link out of the run directory.
        let Some(bytes) = read_regular(&from)? else {
            continue;
        };
        let to = dest.join(&file_name);
        crate::fsutil::write_atomic(&to, &bytes, 0o644).map_err(io(&to))?;
    }
    Ok(dest)
}

/// The largest file a baseline copies (a summary or an interval log of a long run is far
/// smaller).
const MAX_FILE_BYTES: u64 = 256 << 20;

/// The bytes of `path` when it is a regular file (not a link, not too big); `None` when there
/// is no such file.
fn read_regular(path: &Path) -> Result<Option<Vec<u8>>, BaselineError> {
    use std::io::Read;
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return Ok(None);
    };
    if !meta.file_type().is_file() {
        return Ok(None);
    }
    let file = std::fs::File::open(path).map_err(io(path))?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(io(path))?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(BaselineError::Io {
            path: path.to_path_buf(),
            source: std::io::Error::other(format!(
                "larger than the {MAX_FILE_BYTES} bytes a baseline copies"
            )),
        });
    }
    Ok(Some(bytes))
}

/// The interval logs `summary` (a `summary.json`) names: plain `.hlog` file names in the run
/// directory, each once; anything else (a path, a link out) is not copied.
fn named_logs(summary: &[u8]) -> Vec<String> {
    let Ok(json) = serde_json::from_slice::<serde_json::Value>(summary) else {
        return Vec::new();
    };
    let mut names: Vec<String> = json
        .get("cases")
        .and_then(serde_json::Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("hlog_file").and_then(serde_json::Value::as_str))
        .filter(|n| {
            n.ends_with(".hlog")
                && !n.starts_with('.')
                && !n.contains('/')
                && !n.contains('\\')
                && n.len() <= 255
        })
        .map(str::to_string)
        .collect();
    names.sort();
    names.dedup();
    names
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_baseline_copies_only_the_logs_its_summary_names() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        std::fs::create_dir(&run).unwrap();
        let summary = r#"{"cases": [{"hlog_file": "kept.hlog"}, {"hlog_file": "../up.hlog"},
            {"hlog_file": "/etc/passwd"}, {"hlog_file": null}]}"#;
        std::fs::write(run.join("summary.json"), summary).unwrap();
        for f in ["kept.hlog", "stale.hlog", "report.md", "cases.csv"] {
            std::fs::write(run.join(f), f).unwrap();
        }
        std::fs::write(dir.path().join("up.hlog"), "outside").unwrap();
        let saved = save(&run, "b", &dir.path().join("baselines")).unwrap();
        let mut names: Vec<String> = std::fs::read_dir(&saved)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["kept.hlog", "report.md", "summary.json"]);
    }

    #[test]
    fn a_run_without_a_summary_leaves_the_older_baseline_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("baselines");
        std::fs::create_dir_all(root.join("b")).unwrap();
        std::fs::write(root.join("b/summary.json"), "{}").unwrap();
        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(matches!(
            save(&empty, "b", &root),
            Err(BaselineError::NoSummary(_))
        ));
        assert!(root.join("b/summary.json").is_file());
    }
}
