//! Naming the run directory: `<runs_root>/<scenario>-<UTC time>`, with `-2`, `-3`, ... when
//! that name is taken; and clearing a reused one (`--out` given twice): a run starts without
//! the previous run's outputs, so nothing stale is read or copied as if this run wrote it.
//! Kept apart so these rules are found by their names.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::report;

/// The default run directory of `scenario` under `root`: a name not yet taken.
pub(super) fn default_dir(root: &Path, scenario: &str) -> PathBuf {
    let now = OffsetDateTime::now_utc();
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let base = root.join(format!("{}-{stamp}", report::file_safe(scenario)));
    let mut dir = base.clone();
    let mut n = 1;
    while dir.exists() {
        n += 1;
        dir = PathBuf::from(format!("{}-{n}", base.display()));
    }
    dir
}

/// Directories of a run's own outputs (peer logs and configurations, plots, fixtures).
const OUTPUT_DIRS: [&str; 3] = ["peers", "plots", "pki"];

/// Whether `name` is a file a run writes at the top of its directory.
fn is_output_file(name: &str) -> bool {
    const EXACT: [&str; 5] = [
        "cases.csv",
        "compare.md",
        "conformance.json",
        "junit.xml",
        "summary.json",
    ];
    EXACT.contains(&name)
        || name.starts_with("report.")
        || name.ends_with(".hlog")
        || name.ends_with(".hgrm")
}

/// When `dir` holds a previous run (a regular `summary.json`), removes that run's outputs:
/// the files a run writes at its top, and its `peers/`, `plots/` and `pki/`. Links are removed
/// as links, never followed; anything else in the directory is left alone. `summary.json` goes
/// last, so a clean-up cut short is still recognised as a previous run next time.
///
/// # Errors
/// The entry that could not be removed.
pub(super) fn clear_previous_run(dir: &Path) -> std::io::Result<()> {
    let summary = dir.join("summary.json");
    let previous = std::fs::symlink_metadata(&summary).is_ok_and(|m| m.file_type().is_file());
    if !previous {
        return Ok(());
    }
    let named = |path: &Path, e: std::io::Error| {
        std::io::Error::new(e.kind(), format!("removing {}: {e}", path.display()))
    };
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        let path = entry.path();
        // The entry's own type: `DirEntry::file_type` does not follow a link.
        let kind = entry.file_type().map_err(|e| named(&path, e))?;
        let result = if OUTPUT_DIRS.contains(&name) && kind.is_dir() {
            // Removes links inside as links: it does not follow them.
            std::fs::remove_dir_all(&path)
        } else if (OUTPUT_DIRS.contains(&name) || is_output_file(name)) && name != "summary.json" {
            std::fs::remove_file(&path)
        } else {
            continue;
        };
        result.map_err(|e| named(&path, e))?;
    }
    std::fs::remove_file(&summary).map_err(|e| named(&summary, e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_previous_run_is_cleared_without_following_links() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(run.join("peers")).unwrap();
        std::fs::create_dir_all(outside.join("kept")).unwrap();
        std::fs::write(outside.join("precious.hlog"), "x").unwrap();
        for f in [
            "summary.json",
            "old.hlog",
            "old.hgrm",
            "report.md",
            "cases.csv",
            "notes.txt",
        ] {
            std::fs::write(run.join(f), "x").unwrap();
        }
        std::fs::write(run.join("peers/a-server.log"), "x").unwrap();
        std::os::unix::fs::symlink(outside.join("precious.hlog"), run.join("link.hlog")).unwrap();
        std::os::unix::fs::symlink(&outside, run.join("plots")).unwrap();
        std::os::unix::fs::symlink(&outside, run.join("peers/link")).unwrap();
        clear_previous_run(&run).unwrap();
        let mut left: Vec<String> = std::fs::read_dir(&run)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, ["notes.txt"]);
        assert!(outside.join("precious.hlog").is_file());
        assert!(outside.join("kept").is_dir());
    }

    #[test]
    fn a_directory_that_is_not_a_run_is_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("mine.hlog"), "x").unwrap();
        clear_previous_run(dir.path()).unwrap();
        assert!(dir.path().join("mine.hlog").is_file());
    }
}
