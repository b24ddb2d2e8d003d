//! What starting one case's server takes ([`Launch`], with its revocation sources in
//! [`RevocationArgs`]), and the host it runs on: the programs on the search path
//! ([`find_program`]), a free loopback port ([`free_port`]), the harness's own binary
//! ([`current_exe`]).

use std::ffi::OsStr;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::process::ProcessError;
use crate::pki::PkiFiles;
use crate::scenario::Case;

/// What starting one case's server takes, handed to the peer's own `start`.
pub struct Launch<'a> {
    /// The case.
    pub case: &'a Case,
    /// Its fixtures.
    pub files: &'a PkiFiles,
    /// Its revocation sources.
    pub revocation: &'a RevocationArgs<'a>,
    /// The server's log; its other files go next to it ([`Launch::side_path`]).
    pub log: &'a Path,
    /// CPUs to pin the server to.
    pub cpus: Option<Vec<usize>>,
    /// The `mtls-harness` binary (the built-in servers run as `mtls-harness serve`).
    pub harness_exe: &'a Path,
    /// The `PATH` the peer's programs are searched on (default: this process's).
    pub search_path: Option<&'a OsStr>,
}

impl Launch<'_> {
    /// A file or directory of the peer next to its log: `peers/<stem>-server.log` ->
    /// `peers/<stem>-<suffix>`.
    pub fn side_path(&self, suffix: &str) -> PathBuf {
        side_path(self.log, suffix)
    }

    /// `program` on the launch's search path, or [`ProcessError::Skipped`].
    ///
    /// # Errors
    /// When it is not found.
    pub fn program(&self, program: &str) -> Result<PathBuf, ProcessError> {
        find_program(program, self.search_path)
    }
}

/// A file or directory of a process peer next to its log: `peers/<stem>-server.log` ->
/// `peers/<stem>-<suffix>`.
fn side_path(log: &Path, suffix: &str) -> PathBuf {
    let name = log
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stem = name
        .strip_suffix("-server.log")
        .or_else(|| name.strip_suffix(".log"))
        .unwrap_or(&name);
    log.with_file_name(format!("{stem}-{suffix}"))
}

/// Where a server's revocation information comes from.
#[derive(Clone, Copy, Debug, Default)]
pub struct RevocationArgs<'a> {
    /// The CRL file (mode `crl`).
    pub crl_file: Option<&'a Path>,
    /// The revocation service's base URL (modes `crl-http`, `ocsp`, `ocsp-stapling`).
    pub base_url: Option<&'a str>,
    /// A short-lived server certificate and key to use instead of the fixtures', re-read
    /// this often (mode `short-lived`).
    pub rotating_cert: Option<(&'a Path, &'a Path, Duration)>,
    /// Check the CRLs of every CA of the client chain, not the leaf's only (the built-in
    /// servers, s_server, the Go and Java servers; nginx, HAProxy and node always check the
    /// whole chain).
    pub crl_check_all: bool,
}

/// A loopback port that was free a moment ago (for peers that cannot report the port they
/// bound; nginx then fails to start if it was taken meanwhile, and says so in its log).
pub fn free_port() -> std::io::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    listener.local_addr()
}

/// `program` on `search_path` (default `PATH`), or [`ProcessError::Skipped`].
///
/// # Errors
/// When it is not found.
pub fn find_program(program: &str, search_path: Option<&OsStr>) -> Result<PathBuf, ProcessError> {
    let path = search_path
        .map(OsStr::to_os_string)
        .or_else(|| std::env::var_os("PATH"))
        .unwrap_or_default();
    // nginx lives in /usr/sbin, which a non-root PATH may lack.
    let extra = if search_path.is_none() {
        vec![PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")]
    } else {
        Vec::new()
    };
    std::env::split_paths(&path)
        .chain(extra)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
        .ok_or_else(|| ProcessError::Skipped {
            reason: format!(
                "{program} is not installed (not found on PATH); scripts/install-peers.sh installs it"
            ),
        })
}

/// The path of the running `mtls-harness` binary, for spawning built-in servers.
pub fn current_exe() -> PathBuf {
    std::env::current_exe().unwrap_or_else(|_| PathBuf::from("mtls-harness"))
}
