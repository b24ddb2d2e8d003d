//! A started server until it accepts, and after: [`ready`] waits for a TCP accept on the
//! address the server reported (or was given), and hands back the [`RunningServer`] the runner
//! keeps (address, pid for CPU readings, the guard that stops it, where its verdicts and
//! status are read from).

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::process::{log_tail, ChildGuard, ProcessError};

/// How long a server may take to print its address and accept a connection.
pub const READY_TIMEOUT: Duration = Duration::from_secs(15);

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
    pub(in crate::programs) fn with_error_log(mut self, error_log: PathBuf) -> Self {
        self.error_log = Some(error_log);
        self
    }

    /// Records the built-in server's status channel.
    pub(in crate::programs) fn with_status(mut self, status: PathBuf) -> Self {
        self.status = Some(status);
        self
    }

    /// Stops it (SIGTERM, then SIGKILL after a grace period).
    pub fn stop(mut self) -> bool {
        self.guard.stop(Duration::from_secs(2))
    }
}

/// Waits until `program`, started under `guard`, accepts on `addr`: the running server.
///
/// # Errors
/// [`ProcessError::NotReady`] with the log's tail when a connect fails within
/// [`READY_TIMEOUT`].
pub fn ready(
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
            log_tail: log_tail(log, 10),
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
