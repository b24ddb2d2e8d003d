//! `run-files.json`: the list of what a run wrote into its directory, so that a later run into
//! the same `--out` removes exactly that and nothing else. Written when the run directory is
//! prepared (with the entries already there, which are someone else's), and rewritten with
//! every `summary.json` and once the reports are rendered: everything in the directory that
//! was not there before is the run's. A `kill -9` can leave the files of the case in flight
//! unlisted; the next run then refuses the directory and names them rather than delete them.

use std::path::{Component, Path};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::fsutil::{self, EntryKind};

/// The manifest's file name, at the top of the run directory.
pub(super) const MANIFEST: &str = "run-files.json";

/// Version of the manifest's layout.
const MANIFEST_VERSION: u32 = 1;

/// Largest manifest read back (a run of the most cases lists far fewer bytes).
const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// What a run wrote into its directory.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub(super) struct Manifest {
    /// Layout version.
    pub schema_version: u32,
    /// What the file is, for a person who finds it.
    #[serde(default)]
    pub about: String,
    /// Entries at the top of the directory that were there before the run: not its own.
    #[serde(default)]
    pub kept: Vec<String>,
    /// Files and links the run wrote, relative to the directory.
    #[serde(default)]
    pub files: Vec<String>,
    /// Directories the run created, relative to the directory.
    #[serde(default)]
    pub dirs: Vec<String>,
    /// File stems of the case(s) running when this was written: their files (`<stem>.hlog`,
    /// `<stem>.hgrm`, `peers/<stem>-*`) are the run's too, listed or not yet, so a run killed
    /// in the middle of a case leaves nothing a later run must refuse.
    #[serde(default)]
    pub in_flight: Vec<String>,
}

/// One writer at a time (the run loop and the interruption watcher both record).
static WRITING: Mutex<()> = Mutex::new(());

impl Manifest {
    /// A manifest of a directory whose present top-level entries `kept` are not the run's.
    pub(super) fn new(kept: Vec<String>) -> Self {
        Self {
            schema_version: MANIFEST_VERSION,
            about: "what mtls-harness wrote here: a later run into this directory removes these files and directories, and nothing else".into(),
            kept,
            files: Vec::new(),
            dirs: Vec::new(),
            in_flight: Vec::new(),
        }
    }

    /// Whether the entry at relative `path`, a directory or not (`is_dir`), is the run's:
    /// `Some(true)` when listed as what it is (or written by a case in flight), `Some(false)`
    /// when listed as the other kind (it was replaced), `None` when not listed.
    pub(super) fn owns(&self, path: &Path, is_dir: bool) -> Option<bool> {
        let text = path.to_string_lossy();
        let in_dirs = self.dirs.iter().any(|d| *d == text);
        let in_files = self.files.iter().any(|f| *f == text);
        if self.in_flight_wrote(&text) || (is_dir && in_dirs) || (!is_dir && in_files) {
            Some(true)
        } else if in_dirs || in_files {
            Some(false)
        } else {
            None
        }
    }

    fn in_flight_wrote(&self, path: &str) -> bool {
        self.in_flight.iter().any(|stem| {
            path.strip_prefix("peers/")
                .and_then(|p| p.strip_prefix(stem.as_str()))
                .is_some_and(|rest| rest.starts_with('-'))
                || path
                    .strip_prefix(stem.as_str())
                    .is_some_and(|ext| ext == ".hlog" || ext == ".hgrm")
        })
    }
}

/// The manifest of `dir`: `None` when there is none.
///
/// # Errors
/// A sentence when one is there but is a link, too large or not a manifest.
pub(super) fn read(dir: &Path) -> Result<Option<Manifest>, String> {
    let path = dir.join(MANIFEST);
    match std::fs::symlink_metadata(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("{}: {e}", path.display())),
        Ok(meta) if !meta.file_type().is_file() => {
            return Err(format!("{} is not a regular file", path.display()))
        }
        Ok(_) => {}
    }
    let bytes = fsutil::read_bounded(&path, MAX_MANIFEST_BYTES)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let manifest: Manifest = serde_json::from_slice(&bytes)
        .map_err(|e| format!("{}: not a manifest of mtls-harness: {e}", path.display()))?;
    let plain = |p: &String| {
        let p = Path::new(p);
        !p.as_os_str().is_empty() && p.components().all(|c| matches!(c, Component::Normal(_)))
    };
    if !manifest.files.iter().chain(&manifest.dirs).all(plain) {
        return Err(format!(
            "{}: lists a path that is absolute, empty or has '..'",
            path.display()
        ));
    }
    Ok(Some(manifest))
}

/// Writes `manifest` into `dir`.
///
/// # Errors
/// When it cannot be written.
pub(super) fn write(dir: &Path, manifest: &Manifest) -> std::io::Result<()> {
    let json = serde_json::to_vec_pretty(manifest).map_err(std::io::Error::other)?;
    fsutil::write_atomic(&dir.join(MANIFEST), &json, 0o644)
}

/// Rewrites the manifest of the run directory `dir` with everything in it that is not one
/// of the entries kept from before the run. Does nothing where no run prepared `dir` (no
/// manifest); a failure is logged, not fatal (the next run then refuses what is unlisted).
pub fn note_run_files(dir: &Path) {
    rewrite(dir, None);
}

/// [`note_run_files`], with `stems` as the case(s) about to run.
pub(super) fn note_in_flight(dir: &Path, stems: &[&str]) {
    rewrite(dir, Some(stems));
}

fn rewrite(dir: &Path, in_flight: Option<&[&str]>) {
    let _one = WRITING
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let Ok(Some(mut manifest)) = read(dir) else {
        return;
    };
    if let Some(stems) = in_flight {
        manifest.in_flight = stems.iter().map(|s| (*s).to_string()).collect();
    }
    let outcome = scan(dir, &manifest).and_then(|(files, dirs)| {
        manifest.files = files;
        manifest.dirs = dirs;
        write(dir, &manifest)
    });
    if let Err(e) = outcome {
        tracing::warn!(
            "listing the run's files in {}: {e}",
            dir.join(MANIFEST).display()
        );
    }
}

/// The files and directories in `dir` that are the run's: all but the kept entries (and
/// what is under a kept directory) and the manifest itself.
fn scan(dir: &Path, manifest: &Manifest) -> std::io::Result<(Vec<String>, Vec<String>)> {
    let kept = |rel: &Path| {
        let top = rel
            .components()
            .next()
            .map(|c| c.as_os_str().to_string_lossy());
        top.is_some_and(|t| manifest.kept.iter().any(|k| *k == t))
    };
    let entries = fsutil::list(dir, &|rel| !kept(rel))?;
    let (mut files, mut dirs) = (Vec::new(), Vec::new());
    for e in entries {
        if kept(&e.path) || e.path == Path::new(MANIFEST) {
            continue;
        }
        let text = e.path.to_string_lossy().into_owned();
        match e.kind {
            EntryKind::Dir => dirs.push(text),
            _ => files.push(text),
        }
    }
    Ok((files, dirs))
}
