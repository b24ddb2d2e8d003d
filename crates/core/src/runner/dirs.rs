//! Naming the run directory: `<runs_root>/<scenario>-<UTC time>`, with `-2`, `-3`, ... when
//! that name is taken; and preparing it: a reused one (`--out` given twice) starts without
//! the previous run's outputs (so nothing stale is read or copied as if this run wrote it),
//! removing exactly what that run's manifest (`run-files.json`) lists, never following a
//! link, and never anything else. Kept apart so these rules are found by their names.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use super::manifest::{self, Manifest, MANIFEST};
use super::RunError;
use crate::fsutil::{self, Entry, EntryKind};
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

/// The directories that hold private material (keys, session files): created 0700 by the run
/// itself, whatever the mode of the run directory (`--out /tmp` keeps its 1777).
const PRIVATE_DIRS: [&str; 2] = ["peers", "pki"];

/// Whether `name` is a file or directory a run writes at the top of its directory.
fn is_output_name(name: &str) -> bool {
    const EXACT: [&str; 9] = [
        "ab.json",
        "ab.md",
        "cases.csv",
        "compare.md",
        "conformance.json",
        "interop.json",
        "junit.xml",
        "summary.json",
        MANIFEST,
    ];
    EXACT.contains(&name)
        || OUTPUT_DIRS.contains(&name)
        || name.starts_with("report.")
        || name.ends_with(".hlog")
        || name.ends_with(".hgrm")
}

/// Most entries named in a refusal; the rest are counted.
const LISTED_IN_REFUSAL: usize = 20;

/// Makes `dir` ready for a run: a link at `dir` is refused; a missing directory is created
/// (mode 0700); an existing one keeps its mode. What the previous run's manifest lists is
/// removed (never following a link) and nothing else: when anything unlisted is in the way
/// (an entry with a name the run writes, or anything unlisted inside a directory the previous
/// run created), nothing is removed and the run is refused with the list. Then the new
/// manifest is written and `peers/` and `pki/` are created, 0700.
///
/// # Errors
/// [`RunError::RunDir`] when `dir` cannot be used, [`RunError::RunDirInUse`] with what is in
/// the way.
pub(super) fn prepare(dir: &Path) -> Result<(), RunError> {
    let io_error = |source: std::io::Error| RunError::RunDir {
        path: dir.to_path_buf(),
        source,
    };
    fsutil::ensure_dir(dir, 0o700).map_err(io_error)?;
    let previous = manifest::read(dir).map_err(|what| RunError::RunDirInUse {
        dir: dir.to_path_buf(),
        entries: vec![what],
    })?;
    let entries = fsutil::list(dir, &|rel| {
        previous.as_ref().and_then(|m| m.owns(rel, true)) == Some(true)
    })
    .map_err(io_error)?;
    let in_the_way = in_the_way(&entries, previous.as_ref());
    if !in_the_way.is_empty() {
        let mut listed: Vec<String> = in_the_way
            .iter()
            .take(LISTED_IN_REFUSAL)
            .map(|p| p.display().to_string())
            .collect();
        if in_the_way.len() > LISTED_IN_REFUSAL {
            listed.push(format!("and {} more", in_the_way.len() - LISTED_IN_REFUSAL));
        }
        return Err(RunError::RunDirInUse {
            dir: dir.to_path_buf(),
            entries: listed,
        });
    }
    if let Some(previous) = &previous {
        // What is there and listed (nothing in the way, so that is every entry but the kept).
        let (mut files, mut dirs) = (Vec::new(), Vec::new());
        for e in &entries {
            let is_dir = e.kind == EntryKind::Dir;
            if previous.owns(&e.path, is_dir) == Some(true) {
                if is_dir { &mut dirs } else { &mut files }.push(e.path.clone());
            }
        }
        fsutil::remove_listed(dir, &files, &dirs).map_err(io_error)?;
    }
    // What is left at the top is someone else's, and stays.
    let kept: Vec<String> = fsutil::list(dir, &|_| false)
        .map_err(io_error)?
        .into_iter()
        .map(|e| e.path.to_string_lossy().into_owned())
        .filter(|name| name != MANIFEST)
        .collect();
    manifest::write(dir, &Manifest::new(kept)).map_err(io_error)?;
    for name in PRIVATE_DIRS {
        let path = dir.join(name);
        fsutil::create_private_dir(&path, 0o700)
            .map_err(|source| RunError::RunDir { path, source })?;
    }
    Ok(())
}

/// The entries of a directory about to be reused that are not the previous run's own but
/// would be overwritten or removed: with no manifest, every entry with a name the run writes;
/// with one, also any unlisted entry inside a directory it lists, and any listed entry whose
/// kind changed (a file now a directory, a directory now a link).
fn in_the_way(entries: &[Entry], previous: Option<&Manifest>) -> Vec<PathBuf> {
    entries
        .iter()
        .filter(|e| {
            let top = e.path.components().count() == 1;
            let name = e.path.to_string_lossy();
            let Some(m) = previous else {
                return top && is_output_name(&name);
            };
            if e.path == Path::new(MANIFEST) {
                return false;
            }
            match m.owns(&e.path, e.kind == EntryKind::Dir) {
                Some(same_kind) => !same_kind,
                // Unlisted: in the way at the top when it has a run's name, and always inside
                // a directory the previous run created.
                None => !top || is_output_name(&name),
            }
        })
        .map(|e| e.path.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::super::manifest::note_run_files;
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut left: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        left
    }

    /// A directory prepared and then written as a run writes: `summary.json`, a log, a key.
    fn previous_run(run: &Path) {
        prepare(run).unwrap();
        std::fs::write(run.join("summary.json"), "{}").unwrap();
        std::fs::write(run.join("valid.hlog"), "x").unwrap();
        std::fs::write(run.join("pki/key.pem"), "x").unwrap();
        std::fs::write(run.join("peers/valid-server.log"), "x").unwrap();
        note_run_files(run);
    }

    #[test]
    fn a_reused_directory_loses_only_what_its_manifest_lists() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        std::fs::create_dir(&run).unwrap();
        std::fs::write(run.join("notes.txt"), "mine").unwrap();
        previous_run(&run);
        prepare(&run).unwrap();
        assert_eq!(names(&run), ["notes.txt", "peers", "pki", MANIFEST]);
        assert_eq!(names(&run.join("pki")), Vec::<String>::new());
        assert_eq!(
            std::fs::read_to_string(run.join("notes.txt")).unwrap(),
            "mine"
        );
    }

    #[test]
    fn unlisted_files_in_the_way_refuse_the_run_and_nothing_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let run = dir.path().join("run");
        previous_run(&run);
        std::fs::write(run.join("pki/mine.pem"), "mine").unwrap();
        std::fs::write(run.join("report.pdf"), "mine").unwrap();
        let e = prepare(&run).unwrap_err().to_string();
        assert!(
            e.contains("pki/mine.pem") && e.contains("report.pdf"),
            "{e}"
        );
        assert!(!e.contains("valid.hlog"), "{e}");
        assert!(run.join("valid.hlog").is_file());
        assert!(run.join("pki/key.pem").is_file());

        // Without a manifest: a file with a run's name is not taken for the harness's.
        let other = dir.path().join("other");
        std::fs::create_dir(&other).unwrap();
        std::fs::write(other.join("foreign.hgrm"), "x").unwrap();
        let e = prepare(&other).unwrap_err().to_string();
        assert!(e.contains("foreign.hgrm"), "{e}");
        assert!(other.join("foreign.hgrm").is_file());
    }

    #[test]
    fn a_link_in_place_of_the_directory_or_its_parts_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("target");
        std::fs::create_dir(&target).unwrap();
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = prepare(&link).unwrap_err().to_string();
        assert!(e.contains("symbolic link"), "{e}");
        assert_eq!(names(&target), Vec::<String>::new());

        let run = dir.path().join("run");
        previous_run(&run);
        std::fs::remove_dir_all(run.join("pki")).unwrap();
        std::os::unix::fs::symlink(&target, run.join("pki")).unwrap();
        let e = prepare(&run).unwrap_err().to_string();
        assert!(e.contains("pki"), "{e}");
        assert_eq!(names(&target), Vec::<String>::new());
    }

    #[test]
    fn an_existing_directory_keeps_its_mode_and_private_parts_are_0700() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let shared = dir.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
        prepare(&shared).unwrap();
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o7777;
        assert_eq!(mode(&shared), 0o1777);
        assert_eq!(mode(&shared.join("pki")), 0o700);
        assert_eq!(mode(&shared.join("peers")), 0o700);
        let fresh = dir.path().join("fresh");
        prepare(&fresh).unwrap();
        assert_eq!(mode(&fresh), 0o700);
    }
}
