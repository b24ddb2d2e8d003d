//! Starting a case's server peer: the dispatcher. It asks the stack's capability record for a
//! skip reason, then hands the case to the stack's own `start` (both from the stack table,
//! [`super::server_stack`]); each adapter writes the configuration or command line, spawns its
//! program and waits until it accepts, with what the kit gives it (`programs::kit`).

use std::ffi::OsStr;
use std::path::Path;

use super::kit::{Launch, ProcessError, RevocationArgs, RunningServer};
use crate::pki::PkiFiles;
use crate::scenario::Case;

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
    let stack = super::server_stack(case.server);
    if let Some(reason) = stack.record.skip_reason(case) {
        return Err(ProcessError::Skipped { reason });
    }
    (stack.start)(Launch {
        case,
        files,
        revocation,
        log,
        cpus,
        harness_exe,
        search_path,
    })
}
