//! Writing files so that a reader never sees half of one and a planted symlink is never
//! followed: fixtures (keys included) and report files both go through [`write_atomic`].
//! Inputs are opened with [`open_regular`], so a FIFO or device given as a file never blocks
//! or streams forever. Directories are created, listed and cleared without following links in
//! `nofollow`.

mod nofollow;

pub use nofollow::{
    create_private_dir, ensure_dir, list, open_dir, remove_listed, Entry, EntryKind,
};

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// Writes `bytes` to `path` with `mode`: into a new temporary file (created exclusively, never
/// through a symlink, with the mode from the start) that is then renamed over `path`. A symlink
/// planted at `path` is replaced, not followed, so a key never lands somewhere else, and an
/// interrupted write leaves the old file whole.
///
/// # Errors
/// The first I/O error.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(format!(".tmp-{}", std::process::id()));
    let tmp = path.with_file_name(tmp_name);
    // A stale temporary (or a link in its place) goes first; removing a link removes the link.
    let _ = fs::remove_file(&tmp);
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&tmp)?;
    file.write_all(bytes)?;
    drop(file);
    fs::rename(&tmp, path)
}

/// Creates `path` as a new, empty file with `mode` for the harness or a peer to write: created
/// exclusively (`O_CREAT|O_EXCL`) and never through a symlink (`O_NOFOLLOW`), so what is
/// written lands in the run directory and nowhere else. A regular file left there by an
/// earlier run into the same directory is removed first; a symlink (or anything but a regular
/// file) at `path` is an error naming the path, never followed and never removed.
///
/// # Errors
/// [`io::ErrorKind::AlreadyExists`] for a symlink or non-file at `path` (also when one is
/// planted between the removal and the creation), or the first other I/O error.
pub fn create_new_file(path: &Path, mode: u32) -> io::Result<fs::File> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_file() => fs::remove_file(path)?,
        Ok(meta) => return Err(not_followed(path, &meta)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| match e.kind() {
            io::ErrorKind::AlreadyExists => io::Error::new(
                e.kind(),
                format!(
                    "{} appeared while it was being created: refusing to write through it",
                    path.display()
                ),
            ),
            _ => e,
        })
}

/// Creates `path` as a new, empty directory with mode 0700, for a peer's own files: a
/// directory left there by an earlier run into the same run directory is removed with what it
/// holds (links inside are removed, not followed); a symlink (or anything but a directory) at
/// `path` is an error naming the path.
///
/// # Errors
/// [`io::ErrorKind::AlreadyExists`] for a symlink or non-directory at `path`, or the first
/// other I/O error.
pub fn create_new_dir(path: &Path) -> io::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_dir() => fs::remove_dir_all(path)?,
        Ok(meta) => return Err(not_followed(path, &meta)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(e),
    }
    fs::DirBuilder::new().mode(0o700).create(path)
}

fn not_followed(path: &Path, meta: &fs::Metadata) -> io::Error {
    let what = if meta.file_type().is_symlink() {
        "a symbolic link"
    } else {
        "not a regular file or directory"
    };
    io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "{} is {what}: refusing to write through it (remove it, or choose another --out)",
            path.display()
        ),
    )
}

/// Opens `path` for reading if it is a regular file (following links, as a path given by the
/// user may be one). The open itself does not block (`O_NONBLOCK`): a FIFO without a writer,
/// a terminal or a device is refused at once with an error that says what it is, instead of
/// hanging the command.
///
/// # Errors
/// [`io::ErrorKind::InvalidInput`] when `path` is not a regular file, or the open's error.
pub fn open_regular(path: &Path) -> io::Result<fs::File> {
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)?;
    let kind = file.metadata()?.file_type();
    if kind.is_file() {
        return Ok(file);
    }
    use std::os::unix::fs::FileTypeExt;
    let what = if kind.is_fifo() {
        "a FIFO (named pipe)"
    } else if kind.is_dir() {
        "a directory"
    } else if kind.is_char_device() || kind.is_block_device() {
        "a device"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    };
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{what}, not a regular file: refusing to read it (give a file)"),
    ))
}

/// Most bytes a PEM input (a certificate, chain or key file given by the user) may have: a
/// chain of a few dozen certificates fits many times over.
pub const PEM_LIMIT: u64 = 1 << 20;

/// Reads at most `limit` bytes of the regular file `path` ([`open_regular`]); a longer file is
/// an error that says so, not an unbounded read.
///
/// # Errors
/// When the file cannot be read or is longer than `limit`.
pub fn read_bounded(path: &Path, limit: u64) -> io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    open_regular(path)?
        .take(limit.saturating_add(1))
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than the {limit} bytes expected of a PEM file"),
        ));
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fifo_is_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("scenario.toml");
        let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
        // SAFETY: a NUL-terminated path and a mode.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let started = std::time::Instant::now();
        let e = open_regular(&fifo).unwrap_err();
        assert!(e.to_string().contains("FIFO"), "{e}");
        assert!(read_bounded(&fifo, 10).is_err());
        assert!(open_regular(dir.path()).is_err());
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }

    #[test]
    fn planted_symlinks_are_refused_and_never_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside.txt");
        fs::write(&outside, "keep me").unwrap();
        let link = dir.path().join("peer.log");
        std::os::unix::fs::symlink(&outside, &link).unwrap();
        let e = create_new_file(&link, 0o644).unwrap_err();
        assert!(e.to_string().contains("peer.log"), "{e}");
        assert!(e.to_string().contains("symbolic link"), "{e}");
        let dlink = dir.path().join("peer-dir");
        std::os::unix::fs::symlink(dir.path(), &dlink).unwrap();
        let e = create_new_dir(&dlink).unwrap_err();
        assert!(e.to_string().contains("peer-dir"), "{e}");
        assert_eq!(fs::read_to_string(&outside).unwrap(), "keep me");
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());

        // A stale regular file is replaced by a new one with the asked-for mode.
        let stale = dir.path().join("session.pem");
        fs::write(&stale, "old").unwrap();
        drop(create_new_file(&stale, 0o600).unwrap());
        let meta = fs::metadata(&stale).unwrap();
        assert_eq!(meta.len(), 0);
        assert_eq!(
            std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o777,
            0o600
        );
        // A stale directory is emptied and recreated 0700.
        let d = dir.path().join("nginx");
        fs::create_dir(&d).unwrap();
        fs::write(d.join("error.log"), "old").unwrap();
        create_new_dir(&d).unwrap();
        assert!(fs::read_dir(&d).unwrap().next().is_none());
        let mode =
            std::os::unix::fs::PermissionsExt::mode(&fs::metadata(&d).unwrap().permissions());
        assert_eq!(mode & 0o777, 0o700);
    }
}
