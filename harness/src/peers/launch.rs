//! Starting a case's server peer: the command line for it, the wait until it accepts, and the
//! handle the runner keeps (address, pid for CPU readings, the guard that stops it).

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::process::{ChildGuard, ProcessError};
use crate::pki::PkiFiles;
use crate::scenario::{Case, RevocationMode, ServerImpl};

/// How long a server may take to print its address and accept a connection.
const READY_TIMEOUT: Duration = Duration::from_secs(15);

/// A server process that is accepting connections.
pub struct RunningServer {
    /// Where it listens.
    pub addr: SocketAddr,
    guard: ChildGuard,
}

impl RunningServer {
    /// The server's pid, for CPU readings.
    pub fn pid(&self) -> u32 {
        self.guard.pid()
    }

    /// Its log file.
    pub fn log(&self) -> &Path {
        self.guard.log()
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
///
/// # Errors
/// When the process cannot start or does not accept within the ready timeout.
pub fn start_server(
    harness_exe: &Path,
    case: &Case,
    files: &PkiFiles,
    revocation: &RevocationArgs<'_>,
    log: &Path,
    cpus: Option<Vec<usize>>,
) -> Result<RunningServer, ProcessError> {
    let mut command = match case.server {
        ServerImpl::Rustls => rustls_command(harness_exe, case, files, revocation),
    };
    command.args(revocation_args(case, revocation));
    let mut guard = ChildGuard::spawn(command, log, cpus)?;
    let addr = guard.wait_for_line(READY_TIMEOUT, |line| {
        line.strip_prefix("listening on ")?
            .trim()
            .parse::<SocketAddr>()
            .ok()
    })?;
    if let Err(e) = TcpStream::connect_timeout(&addr, READY_TIMEOUT) {
        return Err(ProcessError::NotReady {
            program: harness_exe.display().to_string(),
            waited: READY_TIMEOUT,
            reason: format!("it printed {addr} but a connect failed: {e}"),
            log_tail: super::process::log_tail(log, 10),
        });
    }
    Ok(RunningServer { addr, guard })
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
}

/// The built-in server's revocation options for `case`.
fn revocation_args(case: &Case, sources: &RevocationArgs<'_>) -> Vec<String> {
    let rev = &case.revocation;
    let ms = |d: Duration| format!("{}ms", d.as_millis());
    let mut args: Vec<String> = Vec::new();
    let mut push = |items: &[&str]| args.extend(items.iter().map(|s| s.to_string()));
    match rev.mode {
        RevocationMode::Crl | RevocationMode::CrlHttp => {
            match (rev.mode, sources.crl_file, sources.base_url) {
                (RevocationMode::Crl, Some(file), _) => {
                    push(&["--crl", &file.display().to_string()]);
                }
                (_, _, Some(base)) => push(&["--crl-url", &crate::pki::crl_url(base)]),
                _ => {}
            }
            push(&["--crl-policy", rev.policy.name()]);
            if let Some(every) = rev.reload {
                push(&["--crl-reload", &ms(every)]);
            }
        }
        RevocationMode::Ocsp => {
            push(&[
                "--ocsp",
                "--ocsp-cache-ttl",
                &ms(rev.cache_ttl),
                "--ocsp-timeout",
                &ms(rev.query_timeout),
                "--ocsp-policy",
                rev.policy.name(),
            ]);
            if rev.nonce {
                push(&["--ocsp-nonce"]);
            }
        }
        RevocationMode::OcspStapling => {
            push(&[
                "--staple",
                "--staple-refresh",
                &ms(rev.staple_refresh),
                "--ocsp-timeout",
                &ms(rev.query_timeout),
            ]);
            if !rev.staple_verify {
                push(&["--staple-unverified"]);
            }
        }
        RevocationMode::ShortLived => {
            if let Some((_, _, every)) = sources.rotating_cert {
                push(&["--cert-reload", &ms(every)]);
            }
        }
        RevocationMode::None => {}
    }
    args
}

fn rustls_command(
    exe: &Path,
    case: &Case,
    files: &PkiFiles,
    revocation: &RevocationArgs<'_>,
) -> Command {
    let mut cmd = Command::new(exe);
    let versions: Vec<&str> = case.tls.versions.iter().map(|v| v.name()).collect();
    let must_staple =
        case.revocation.mode == RevocationMode::OcspStapling && case.revocation.must_staple;
    cmd.arg("serve")
        .args(["--impl", "rustls", "--listen", "127.0.0.1:0"])
        .arg("--cert")
        .arg(match revocation.rotating_cert {
            Some((cert, _, _)) => cert,
            None if must_staple => &files.server_must_staple,
            None => &files.server_chain,
        })
        .arg("--key")
        .arg(match revocation.rotating_cert {
            Some((_, key, _)) => key,
            None => &files.server_key,
        })
        .arg("--client-ca")
        .arg(&files.root_cert)
        .args(["--client-auth", case.client_auth.name()])
        .args(["--versions", &versions.join(",")])
        .args(["--resumption", case.tls.resumption.name()])
        .args(["--tickets", &case.tls.tickets.to_string()])
        // The client's timeout decides; the server only drops what is long past it.
        .args([
            "--conn-timeout",
            &format!(
                "{}ms",
                (case.load.timeout + Duration::from_secs(5)).as_millis()
            ),
        ]);
    let join = |names: Vec<&str>| names.join(",");
    if !case.tls.server_groups.is_empty() {
        cmd.args([
            "--groups",
            &join(case.tls.server_groups.iter().map(|g| g.name()).collect()),
        ]);
    }
    if !case.tls.server_suites.is_empty() {
        cmd.args([
            "--suites",
            &join(case.tls.server_suites.iter().map(|s| s.name()).collect()),
        ]);
    }
    if let Some(threads) = case.server_threads {
        cmd.args(["--threads", &threads.to_string()]);
    }
    // Quiet unless the user asked for more: per-connection logs would distort CPU figures.
    if std::env::var_os("RUST_LOG").is_none() {
        cmd.env("RUST_LOG", "info");
    }
    cmd
}

/// The path of the running `mtls-harness` binary, for spawning built-in servers.
pub fn current_exe() -> PathBuf {
    std::env::current_exe().unwrap_or_else(|_| PathBuf::from("mtls-harness"))
}
