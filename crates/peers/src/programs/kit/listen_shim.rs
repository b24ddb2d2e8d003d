//! The listen shim: `listen_shim.c` (kept in the repo, compiled into the harness as text), an
//! `LD_PRELOAD` library for a server that has no option for its listening address or its
//! accept queue (`gnutls-serv`). It turns the program's binds to the wildcard addresses
//! (0.0.0.0, `::`) into binds to 127.0.0.1 and `::1`, which holds the server on loopback, and
//! raises a backlog below 4096 to 4096 (gnutls-serv's 10 drops SYNs under load). Built with the
//! installed `cc` on first use and cached by `build_cache`
//! (`~/.cache/mtls-harness/listen-shim-<hash>`).
//!
//! A server must never run without it: no `cc` skips the case, a path the dynamic loader would
//! split is refused, and [`confirm`] checks that the loader really mapped it (it only warns and
//! carries on when it cannot, e.g. from a `noexec` mount).

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use super::build_cache;
use super::launch::find_program;
use super::process::{log_tail, ChildGuard, ProcessError};

/// The shim's C source.
pub const SOURCE: &str = include_str!("listen_shim.c");

/// The built library, as an absolute path without symlinks (as `/proc/PID/maps` names it):
/// the cached one, or built now with `cc` from `search_path` (into `fallback` when there is no
/// cache directory).
///
/// # Errors
/// [`ProcessError::Skipped`] when `cc` is missing; [`ProcessError::Files`] when the build
/// fails (with the compiler's output); [`ProcessError::Unquotable`] when its path cannot be
/// given in `LD_PRELOAD`.
pub fn built(search_path: Option<&OsStr>, fallback: &Path) -> Result<PathBuf, ProcessError> {
    let cc = find_program("cc", search_path).map_err(|_| ProcessError::Skipped {
        reason: "cc is not installed (gnutls-serv has no option for its listening address and is \
                 held on loopback by a shim built with cc on first use); \
                 scripts/install-peers.sh installs gcc and libc6-dev"
            .to_string(),
    })?;
    let command = |source: &Path, out: &Path| {
        let mut cmd = Command::new(&cc);
        cmd.args(["-shared", "-fPIC", "-O2", "-o"])
            .arg(out)
            .arg(source)
            .arg("-ldl");
        cmd
    };
    let lib = build_cache::built(
        &build_cache::Build {
            name: "listen-shim",
            file_name: "listen_shim.c",
            source: SOURCE,
            marker: "",
            command: &command,
        },
        fallback,
    )?;
    let lib = std::fs::canonicalize(&lib).map_err(|source| ProcessError::Files {
        path: lib.clone(),
        source,
    })?;
    preload_value(&lib)?;
    Ok(lib)
}

/// `lib` as the value of `LD_PRELOAD`, which separates its entries by spaces and colons and
/// has no quoting: a path holding either would be split and the shim silently left out.
///
/// # Errors
/// [`ProcessError::Unquotable`] for such a path or one that is not absolute.
fn preload_value(lib: &Path) -> Result<OsString, ProcessError> {
    use std::os::unix::ffi::OsStrExt;
    let refuse = |why: &str| ProcessError::Unquotable {
        path: lib.to_path_buf(),
        reason: format!(
            "LD_PRELOAD cannot hold this path of the listen shim: {why}; \
             set XDG_CACHE_HOME to a directory without it"
        ),
    };
    if !lib.is_absolute() {
        return Err(refuse("it is not absolute"));
    }
    if lib
        .as_os_str()
        .as_bytes()
        .iter()
        .any(|b| b.is_ascii_whitespace() || *b == b':')
    {
        return Err(refuse("it contains white space or a colon"));
    }
    Ok(lib.as_os_str().to_os_string())
}

/// Sets `LD_PRELOAD` on `cmd` to the shim `lib` (from [`built`]).
///
/// # Errors
/// As [`preload_value`].
pub fn preload(cmd: &mut Command, lib: &Path) -> Result<(), ProcessError> {
    cmd.env("LD_PRELOAD", preload_value(lib)?);
    Ok(())
}

/// Checks that the process of `guard` (running `program`) has the shim `lib` mapped, so its binds went through it.
///
/// # Errors
/// [`ProcessError::Spawn`] when it has not, with the end of its log (where the dynamic loader
/// says why); the caller drops the guard, which stops it.
pub fn confirm(guard: &ChildGuard, program: &Path, lib: &Path) -> Result<(), ProcessError> {
    let maps = std::fs::read_to_string(format!("/proc/{}/maps", guard.pid())).unwrap_or_default();
    let name = lib.to_string_lossy();
    if maps.lines().any(|l| l.contains(name.as_ref())) {
        return Ok(());
    }
    Err(ProcessError::Spawn {
        program: program.display().to_string(),
        source: std::io::Error::other(format!(
            "the listen shim {name} is not loaded in it, so it would listen on every address; \
             stopped it; last log lines:\n{}",
            log_tail(guard.log(), 10)
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preload_refuses_paths_the_loader_would_split() {
        assert!(preload_value(Path::new("/home/u/.cache/mtls-harness/listen-shim-0")).is_ok());
        assert!(preload_value(Path::new("/home/a b/lib")).is_err());
        assert!(preload_value(Path::new("/home/a:b/lib")).is_err());
        assert!(preload_value(Path::new("relative/lib")).is_err());
    }

    #[test]
    fn without_cc_the_case_is_skipped_saying_why() {
        let dir = std::env::temp_dir();
        match built(Some(OsStr::new("/nonexistent-mtls-harness-bin")), &dir) {
            Err(ProcessError::Skipped { reason }) => {
                assert!(reason.starts_with("cc is not installed"), "{reason}");
                assert!(reason.contains("libc6-dev"), "{reason}");
            }
            other => panic!("{other:?}"),
        }
    }
}
