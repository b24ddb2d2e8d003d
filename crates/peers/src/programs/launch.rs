//! Starting a case's server peer (the built-in rustls and OpenSSL servers, `openssl s_server`,
//! nginx, HAProxy, `gnutls-serv`, the node, Go and Java servers): the command line for it, the wait until it accepts, and the handle the runner keeps
//! (address, pid for CPU readings, the guard that stops it).

use std::ffi::OsStr;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::process::{ChildGuard, ProcessError};
use super::{gnutls_serv, go_server, haproxy, java_server, nginx, node_server, s_server};
use crate::peers::capabilities;
use crate::pki::PkiFiles;
use crate::scenario::{Case, ServerImpl};

/// How long a server may take to print its address and accept a connection.
pub(super) const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// A server process that is accepting connections.
pub struct RunningServer {
    /// Where it listens.
    pub addr: SocketAddr,
    guard: ChildGuard,
    cpu_measurable: bool,
    error_log: Option<PathBuf>,
    status: Option<PathBuf>,
}

impl RunningServer {
    /// The server's pid, for CPU readings.
    pub fn pid(&self) -> u32 {
        self.guard.pid()
    }

    /// The pid whose CPU is the server's CPU: `None` when the server spreads its work over
    /// several processes (nginx with worker processes), so no partial figure is reported.
    pub fn cpu_pid(&self) -> Option<u32> {
        self.cpu_measurable.then(|| self.guard.pid())
    }

    /// The peer's own error log besides its stderr (nginx), where verdicts for HTTP 400
    /// replies come from.
    pub fn error_log(&self) -> Option<&Path> {
        self.error_log.as_deref()
    }

    /// The status channel of a built-in server (`None` for other peers); it outlives the
    /// process, so its events can be read after [`RunningServer::stop`] with
    /// [`crate::peers::servers::status::read`].
    pub fn status_file(&self) -> Option<&Path> {
        self.status.as_deref()
    }

    /// Its log file.
    pub fn log(&self) -> &Path {
        self.guard.log()
    }

    /// Records the peer's own error log (nginx).
    pub(super) fn with_error_log(mut self, error_log: PathBuf) -> Self {
        self.error_log = Some(error_log);
        self
    }

    /// Records the built-in server's status channel.
    pub(super) fn with_status(mut self, status: PathBuf) -> Self {
        self.status = Some(status);
        self
    }

    /// Stops it (SIGTERM, then SIGKILL after a grace period).
    pub fn stop(mut self) -> bool {
        self.guard.stop(Duration::from_secs(2))
    }
}

/// Starts the server peer of `case` on a free loopback port, with the revocation sources in
/// `revocation`.
///
/// `harness_exe` is the `mtls-harness` binary (the built-in servers run as `mtls-harness serve`).
/// `search_path` is the `PATH` searched for `openssl`, `nginx`, `haproxy`, `gnutls-serv` and
/// `node` (default: this process's).
/// The process peers keep their files next to `log` (`<log stem>-nginx/`, ...).
///
/// # Errors
/// [`ProcessError::Skipped`] when the peer is not installed or cannot run this case; otherwise
/// when the process cannot start or does not accept within the ready timeout.
pub fn start_server(
    harness_exe: &Path,
    case: &Case,
    files: &PkiFiles,
    revocation: &RevocationArgs<'_>,
    log: &Path,
    cpus: Option<Vec<usize>>,
    search_path: Option<&OsStr>,
) -> Result<RunningServer, ProcessError> {
    if let Some(reason) = capabilities::server(case.server).skip_reason(case) {
        return Err(ProcessError::Skipped { reason });
    }
    let launch = Launch {
        case,
        files,
        revocation,
        log,
        cpus,
    };
    match case.server {
        ServerImpl::Rustls | ServerImpl::Openssl => super::builtin::start(harness_exe, launch),
        ServerImpl::SServer => s_server::start(find_program("openssl", search_path)?, launch),
        ServerImpl::Nginx => nginx::start(find_program("nginx", search_path)?, launch),
        ServerImpl::Haproxy => haproxy::start(find_program("haproxy", search_path)?, launch),
        ServerImpl::GnutlsServ => gnutls_serv::start(
            find_program("gnutls-serv", search_path)?,
            search_path,
            launch,
        ),
        ServerImpl::Node => node_server::start(find_program("node", search_path)?, launch),
        ServerImpl::Go => go_server::start(go_server::toolchain(search_path)?, launch),
        ServerImpl::Java => java_server::start(java_server::toolchain(search_path)?, launch),
        ServerImpl::Command => super::command::start(launch),
    }
}

/// What starting one case's server takes, handed to the peer's own `start`.
pub(super) struct Launch<'a> {
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
}

impl Launch<'_> {
    /// A file or directory of the peer next to its log: `peers/<stem>-server.log` ->
    /// `peers/<stem>-<suffix>`.
    pub fn side_path(&self, suffix: &str) -> PathBuf {
        side_path(self.log, suffix)
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

/// A loopback port that was free a moment ago (for peers that cannot report the port they
/// bound; nginx then fails to start if it was taken meanwhile, and says so in its log).
pub(super) fn free_port() -> std::io::Result<SocketAddr> {
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

pub(super) fn ready(
    program: &Path,
    addr: SocketAddr,
    log: &Path,
    guard: ChildGuard,
    cpu_measurable: bool,
) -> Result<RunningServer, ProcessError> {
    if let Err(e) = TcpStream::connect_timeout(&addr, READY_TIMEOUT) {
        return Err(ProcessError::NotReady {
            program: program.display().to_string(),
            waited: READY_TIMEOUT,
            reason: format!("it listens on {addr} but a connect failed: {e}"),
            log_tail: super::process::log_tail(log, 10),
        });
    }
    Ok(RunningServer {
        addr,
        guard,
        cpu_measurable,
        error_log: None,
        status: None,
    })
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

/// The path of the running `mtls-harness` binary, for spawning built-in servers.
pub fn current_exe() -> PathBuf {
    std::env::current_exe().unwrap_or_else(|_| PathBuf::from("mtls-harness"))
}
