//! Directories the harness creates, lists or clears, never through a link: a run directory
//! reused with `--out` may hold links planted by anyone who could write there, so every step
//! below the directory itself is `openat` with `O_NOFOLLOW | O_DIRECTORY` on the descriptor of
//! the step before, and every removal is an `unlinkat` on such a descriptor. A link is listed
//! and removed as a link, and nothing outside the directory is ever reached.

use std::ffi::OsStr;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Component, Path, PathBuf};

use rustix::fs::{AtFlags, FileType, Mode, OFlags, CWD};

/// What a directory entry is, read without following it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryKind {
    /// A regular file.
    File,
    /// A directory (not a link to one).
    Dir,
    /// A symbolic link (to anything).
    Link,
    /// A FIFO, socket or device.
    Other,
}

/// One entry of a listed tree: its path relative to the listed directory, and its kind.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Relative to the listed directory.
    pub path: PathBuf,
    /// What it is.
    pub kind: EntryKind,
}

fn refused(path: &Path, what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "{} is {what}: refusing to write through it (remove it, or choose another --out)",
            path.display()
        ),
    )
}

/// Opens the directory `path` without following a link in its last component.
///
/// # Errors
/// When `path` is a symbolic link or not a directory (an error that names it), or cannot be
/// opened.
pub fn open_dir(path: &Path) -> io::Result<OwnedFd> {
    open_dir_at(&CWD, path.as_os_str(), path)
}

fn open_dir_at(at: &impl std::os::fd::AsFd, name: &OsStr, shown: &Path) -> io::Result<OwnedFd> {
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    rustix::fs::openat(at, name, flags, Mode::empty()).map_err(|e| {
        // With O_DIRECTORY a link is reported as ENOTDIR (or ELOOP): say which it is.
        if e == rustix::io::Errno::LOOP || e == rustix::io::Errno::NOTDIR {
            let link = rustix::fs::statat(at, name, AtFlags::SYMLINK_NOFOLLOW)
                .is_ok_and(|st| FileType::from_raw_mode(st.st_mode) == FileType::Symlink);
            refused(
                shown,
                if link {
                    "a symbolic link"
                } else {
                    "not a directory"
                },
            )
        } else {
            io::Error::new(
                io::Error::from(e).kind(),
                format!("{}: {e}", shown.display()),
            )
        }
    })
}

/// Makes sure `path` is a real directory: creates it with `mode` when missing (its parents as
/// `create_dir_all` would); an existing directory is used as it is (its mode unchanged). Returns
/// whether it was created.
///
/// # Errors
/// When `path` is a symbolic link or not a directory, or cannot be created.
pub fn ensure_dir(path: &Path, mode: u32) -> io::Result<bool> {
    use std::os::unix::fs::DirBuilderExt;
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_dir() => return Ok(false),
        Ok(meta) if meta.file_type().is_symlink() => return Err(refused(path, "a symbolic link")),
        Ok(_) => return Err(refused(path, "not a directory")),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    match std::fs::DirBuilder::new().mode(mode).create(path) {
        Ok(()) => Ok(true),
        // Someone else made it in between: used if it is a real directory.
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => open_dir(path).map(|_| false),
        Err(e) => Err(e),
    }
}

/// Creates `path` as a new directory with `mode` (exactly: the umask does not narrow or widen
/// it). Anything already at `path`, a link included, is an error naming it.
///
/// # Errors
/// [`io::ErrorKind::AlreadyExists`] when something is at `path`, or the first other I/O error.
pub fn create_private_dir(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    std::fs::DirBuilder::new()
        .mode(mode)
        .create(path)
        .map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => refused(path, "already there"),
            _ => io::Error::new(e.kind(), format!("creating {}: {e}", path.display())),
        })?;
    // Through the descriptor of the directory just made, so a swap cannot redirect it.
    let fd = open_dir(path)?;
    rustix::fs::fchmod(&fd, Mode::from_raw_mode(mode)).map_err(io::Error::from)?;
    debug_assert!(
        std::fs::symlink_metadata(path).is_ok_and(|m| m.permissions().mode() & 0o7777 == mode)
    );
    Ok(())
}

/// Every entry under `dir`, without following links: the entries of `dir` itself, and those of
/// each subdirectory for which `descend` (given its relative path) says so.
///
/// # Errors
/// When `dir` or a descended directory cannot be read.
pub fn list(dir: &Path, descend: &dyn Fn(&Path) -> bool) -> io::Result<Vec<Entry>> {
    let mut out = Vec::new();
    let mut pending = vec![PathBuf::new()];
    while let Some(rel) = pending.pop() {
        let here = dir.join(&rel);
        let read = std::fs::read_dir(&here)
            .map_err(|e| io::Error::new(e.kind(), format!("{}: {e}", here.display())))?;
        for entry in read {
            let entry = entry?;
            // `DirEntry::file_type` is the entry's own type: a link is not followed.
            let t = entry.file_type()?;
            let kind = if t.is_symlink() {
                EntryKind::Link
            } else if t.is_dir() {
                EntryKind::Dir
            } else if t.is_file() {
                EntryKind::File
            } else {
                EntryKind::Other
            };
            let path = rel.join(entry.file_name());
            if kind == EntryKind::Dir && descend(&path) {
                pending.push(path.clone());
            }
            out.push(Entry { path, kind });
        }
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

/// The directory holding relative `path` under the open directory `root`, opened step by
/// step without following links, and `path`'s last component.
fn parent_of<'p>(root: &OwnedFd, dir: &Path, path: &'p Path) -> io::Result<(OwnedFd, &'p OsStr)> {
    let mut parts: Vec<&OsStr> = Vec::new();
    for c in path.components() {
        match c {
            Component::Normal(p) => parts.push(p),
            Component::CurDir => {}
            _ => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    format!("{}: not a plain relative path", path.display()),
                ))
            }
        }
    }
    let Some(last) = parts.pop() else {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "an empty path names no entry",
        ));
    };
    let mut fd = rustix::io::dup(root)?;
    let mut shown = dir.to_path_buf();
    for part in parts {
        shown.push(part);
        fd = open_dir_at(&fd, part, &shown)?;
    }
    Ok((fd, last))
}

/// Removes `files` (regular files or links, removed as links) and then `dirs` (which must be
/// empty by then; deepest first), all relative to `dir`, without following any link on the
/// way. An entry already gone is skipped; a listed file that is now a directory, or a listed
/// directory that is now a link or file, is an error naming it (it is not what was listed).
///
/// # Errors
/// The first entry that cannot be removed, named.
pub fn remove_listed(dir: &Path, files: &[PathBuf], dirs: &[PathBuf]) -> io::Result<()> {
    let root = open_dir(dir)?;
    let named = |rel: &Path, e: io::Error| {
        io::Error::new(
            e.kind(),
            format!("removing {}: {e}", dir.join(rel).display()),
        )
    };
    for rel in files {
        remove_one(&root, dir, rel, false).map_err(|e| named(rel, e))?;
    }
    let mut dirs: Vec<&PathBuf> = dirs.iter().collect();
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for rel in dirs {
        remove_one(&root, dir, rel, true).map_err(|e| named(rel, e))?;
    }
    Ok(())
}

fn remove_one(root: &OwnedFd, dir: &Path, rel: &Path, as_dir: bool) -> io::Result<()> {
    let (parent, name) = match parent_of(root, dir, rel) {
        Ok(found) => found,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    let stat = match rustix::fs::statat(&parent, name, AtFlags::SYMLINK_NOFOLLOW) {
        Ok(stat) => stat,
        Err(rustix::io::Errno::NOENT) => return Ok(()),
        Err(e) => return Err(e.into()),
    };
    let is_dir = FileType::from_raw_mode(stat.st_mode) == FileType::Directory;
    if is_dir != as_dir {
        let what = if as_dir {
            "listed as a directory but is not one"
        } else {
            "listed as a file but is a directory"
        };
        return Err(io::Error::new(io::ErrorKind::InvalidData, what));
    }
    let flags = if as_dir {
        AtFlags::REMOVEDIR
    } else {
        AtFlags::empty()
    };
    rustix::fs::unlinkat(&parent, name, flags).map_err(io::Error::from)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn removal_never_follows_a_link_on_the_way() {
        let tmp = tempfile::tempdir().unwrap();
        let run = tmp.path().join("run");
        let outside = tmp.path().join("outside");
        std::fs::create_dir_all(run.join("peers")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("a.log"), "precious").unwrap();
        std::fs::write(run.join("peers/b.log"), "x").unwrap();
        // `plots` is a link to a directory holding a file of the listed name.
        symlink(&outside, run.join("plots")).unwrap();
        let e = remove_listed(&run, &[PathBuf::from("plots/a.log")], &[]).unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert!(outside.join("a.log").is_file());
        // A listed link is removed as a link.
        symlink(outside.join("a.log"), run.join("peers/link")).unwrap();
        remove_listed(
            &run,
            &[PathBuf::from("peers/b.log"), PathBuf::from("peers/link")],
            &[PathBuf::from("peers")],
        )
        .unwrap();
        assert!(!run.join("peers").exists());
        assert_eq!(
            std::fs::read_to_string(outside.join("a.log")).unwrap(),
            "precious"
        );
        let listed = list(&run, &|_| true).unwrap();
        assert_eq!(
            listed,
            [Entry {
                path: PathBuf::from("plots"),
                kind: EntryKind::Link
            }]
        );
        assert!(open_dir(&run.join("plots")).is_err());
        assert!(ensure_dir(&run.join("plots"), 0o700).is_err());
        assert!(create_private_dir(&run.join("plots"), 0o700).is_err());
    }
}
