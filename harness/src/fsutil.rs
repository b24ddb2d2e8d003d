//! Writing files so that a reader never sees half of one and a planted symlink is never
//! followed: fixtures (keys included) and report files both go through [`write_atomic`].

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
