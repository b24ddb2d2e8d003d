//! Starting a case's server peer (the built-in rustls and OpenSSL servers, `openssl s_server`,
//! nginx): the command line for it, the wait until it accepts, and the handle the runner keeps
//! (address, pid for CPU readings, the guard that stops it).

use std::ffi::OsStr;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::process::{ChildGuard, ProcessError};
use super::{nginx, s_server, s_server_staple};
use crate::peers::capabilities;
use crate::peers::servers::ServerSettings;
use crate::pki::PkiFiles;
use crate::revocation::crl_chain;
use crate::scenario::{Case, RevocationMode, ServerImpl};

/// How long a server may take to print its address and accept a connection.
const READY_TIMEOUT: Duration = Duration::from_secs(15);

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

    /// Stops it (SIGTERM, then SIGKILL after a grace period).
    pub fn stop(mut self) -> bool {
        self.guard.stop(Duration::from_secs(2))
    }
}

/// Starts the server peer of `case` on a free loopback port, with the revocation sources in
/// `revocation`.
///
/// `harness_exe` is the `mtls-harness` binary (the built-in servers run as `mtls-harness serve`).
/// `search_path` is the `PATH` searched for `openssl` and `nginx` (default: this process's).
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
    let crl = revocation.crl_file;
    match case.server {
        ServerImpl::Rustls | ServerImpl::Openssl => {
            let status = side_path(log, "status.jsonl");
            // The server appends to it: created here anew, so a stale one or a symlink
            // planted there is never appended to.
            drop(
                crate::fsutil::create_new_file(&status, 0o644).map_err(|source| {
                    ProcessError::Files {
                        path: status.clone(),
                        source,
                    }
                })?,
            );
            let settings = builtin_settings(case, files, revocation, &status);
            let file = side_path(log, "settings.json");
            let command = builtin_command(harness_exe, &settings, &file)
                .map_err(|source| ProcessError::Files { path: file, source })?;
            let mut guard = ChildGuard::spawn(command, log, cpus)?;
            let addr = guard.wait_for_line(READY_TIMEOUT, |line| {
                line.strip_prefix("listening on ")?
                    .trim()
                    .parse::<SocketAddr>()
                    .ok()
            })?;
            let mut server = ready(harness_exe, addr, log, guard, true)?;
            server.status = Some(status);
            Ok(server)
        }
        ServerImpl::SServer => {
            let openssl = find_program("openssl", search_path)?;
            let extra = side_path(log, "chain-extra.pem");
            s_server::write_chain_extra(files, &extra).map_err(|source| ProcessError::Files {
                path: extra.clone(),
                source,
            })?;
            let staple = match (case.revocation.mode, revocation.base_url) {
                (RevocationMode::OcspStapling, Some(_)) => {
                    let out = side_path(log, "staple.der");
                    s_server_staple::fetch_to_file(
                        s_server::server_chain(case, files),
                        case.revocation.query_timeout,
                        &out,
                    )
                    .map_err(|source| ProcessError::Files { path: out, source })?
                }
                _ => None,
            };
            let command = s_server::command(&openssl, case, files, &extra, crl, staple.as_deref());
            let mut guard = ChildGuard::spawn(command, log, cpus)?;
            let addr = guard.wait_for_line(READY_TIMEOUT, s_server::ready_line)?;
            ready(&openssl, addr, log, guard, true)
        }
        ServerImpl::Nginx => {
            let program = find_program("nginx", search_path)?;
            let dir = nginx::NginxDir::new(side_path(log, "nginx"));
            let io_err = |path: &Path| {
                let path = path.to_path_buf();
                move |source| ProcessError::Files { path, source }
            };
            // A new directory (0700) for everything nginx writes (pid, error log, temp
            // paths): nothing planted there is followed.
            crate::fsutil::create_new_dir(&dir.dir).map_err(io_err(&dir.dir))?;
            drop(
                crate::fsutil::create_new_file(&dir.error_log, 0o644)
                    .map_err(io_err(&dir.error_log))?,
            );
            let addr = free_port().map_err(io_err(&dir.dir))?;
            // ssl_crl means CRL_CHECK_ALL: give nginx a CRL for every CA of the chain.
            let chain_crl = match crl {
                Some(crl) => {
                    let out = dir.dir.join("crl-chain.pem");
                    Some(crl_chain::write(files, crl, &out).map_err(io_err(&out))?)
                }
                None => None,
            };
            let conf = nginx::config(
                case,
                files,
                chain_crl.as_deref(),
                revocation.base_url,
                addr,
                &dir,
            )?;
            crate::fsutil::write_atomic(&dir.conf, conf.as_bytes(), 0o644)
                .map_err(io_err(&dir.conf))?;
            let mut guard = ChildGuard::spawn(nginx::command(&program, &dir), log, cpus)?;
            guard.wait_for_connect(addr, READY_TIMEOUT)?;
            let cpu = !nginx::multi_process(case);
            let mut server = ready(&program, addr, log, guard, cpu)?;
            server.error_log = Some(dir.error_log);
            Ok(server)
        }
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
fn free_port() -> std::io::Result<SocketAddr> {
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

fn ready(
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
}

/// The typed settings of `case`'s built-in server, with the revocation sources in `sources`.
fn builtin_settings(
    case: &Case,
    files: &PkiFiles,
    sources: &RevocationArgs<'_>,
    status: &Path,
) -> ServerSettings {
    let rev = &case.revocation;
    let must_staple = rev.mode == RevocationMode::OcspStapling && rev.must_staple;
    let (cert, key) = match sources.rotating_cert {
        Some((cert, key, _)) => (cert.to_path_buf(), key.to_path_buf()),
        None if must_staple => (files.server_must_staple.clone(), files.server_key.clone()),
        None => (files.server_chain.clone(), files.server_key.clone()),
    };
    let mut s = ServerSettings {
        implementation: case.server.name().into(),
        cert,
        key,
        client_ca: Some(files.root_cert.clone()),
        client_auth: case.client_auth,
        versions: case.tls.versions.clone(),
        groups: case.tls.server_groups.clone(),
        suites: case.tls.server_suites.clone(),
        resumption: case.tls.resumption,
        tickets: case.tls.tickets,
        threads: case.server_threads,
        // The client's timeout decides; the server only drops what is long past it.
        conn_timeout: case.load.timeout + Duration::from_secs(5),
        verify_depth: case
            .verify_depth
            .filter(|_| case.server == ServerImpl::Openssl),
        allow_cn: case.allowed_clients.clone(),
        client_sigalgs: case.tls.client_sigalgs.clone(),
        status: Some(status.to_path_buf()),
        ..ServerSettings::default()
    };
    match rev.mode {
        RevocationMode::Crl | RevocationMode::CrlHttp => {
            match (rev.mode, sources.crl_file, sources.base_url) {
                (RevocationMode::Crl, Some(file), _) => s.crl = vec![file.to_path_buf()],
                (_, _, Some(base)) => s.crl_url = Some(crate::pki::crl_url(base)),
                _ => {}
            }
            s.crl_policy = rev.policy;
            s.crl_reload = rev.reload;
        }
        RevocationMode::Ocsp => {
            s.ocsp = true;
            s.ocsp_cache_ttl = rev.cache_ttl;
            s.ocsp_timeout = rev.query_timeout;
            s.ocsp_policy = rev.policy;
            s.ocsp_nonce = rev.nonce;
        }
        RevocationMode::OcspStapling => {
            s.staple = true;
            s.staple_refresh = rev.staple_refresh;
            s.ocsp_timeout = rev.query_timeout;
            s.staple_unverified = !rev.staple_verify;
        }
        RevocationMode::ShortLived => {
            s.cert_reload = sources.rotating_cert.map(|(_, _, every)| every)
        }
        RevocationMode::None => {}
    }
    s
}

/// The `mtls-harness serve` command for `settings`, written next to the log.
fn builtin_command(exe: &Path, settings: &ServerSettings, file: &Path) -> std::io::Result<Command> {
    settings.write(file)?;
    let mut cmd = Command::new(exe);
    cmd.arg("serve").arg("--settings").arg(file);
    // Quiet unless the user asked for more: per-connection logs would distort CPU figures.
    if std::env::var_os("RUST_LOG").is_none() {
        cmd.env("RUST_LOG", "info");
    }
    Ok(cmd)
}

/// The path of the running `mtls-harness` binary, for spawning built-in servers.
pub fn current_exe() -> PathBuf {
    std::env::current_exe().unwrap_or_else(|_| PathBuf::from("mtls-harness"))
}
