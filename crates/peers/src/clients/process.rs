//! Process clients: the installed `openssl s_client`, a Node.js client, `curl` and
//! `gnutls-cli`, one process per handshake (s_client and node carry sessions from one process
//! to the next in a file, so they can resume; curl and gnutls-cli cannot, and their capability
//! records skip resumption cases); the Go and Java client programs, one process per case
//! driven through its stdin (`driver`), which resume inside the process. They are interop
//! peers, not load generators: the load engine's one worker loop drives them through
//! [`ProcessAttempts`] like any client, one attempt at a time; the latency of a
//! one-per-handshake client includes starting the process, and the harness's CPU figures do
//! not include theirs. Their command lines and output are `programs::s_client`,
//! `programs::node_client`, `programs::curl`, `programs::gnutls_cli`, `programs::go_client`
//! and `programs::java_client`.

use std::future::Future;
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::driver::{Answer, Driver};
use crate::load::{Attempter, Ticket};
use crate::measure::{Outcome, Sample};
use crate::peers::programs::client_output::{
    self, credential, server_check, Credential, ServerCheck,
};
use crate::peers::programs::{
    curl, find_program, gnutls_cli, go_client, io_err, java_client, node_client, s_client,
    ProcessError,
};
use crate::pki::{ClientCert, Pki, PkiFiles};
use crate::scenario::{Case, LoadSpec, ResumptionMode, Schedule};

/// Extra time a process gets on top of the case's timeout, for starting up.
const STARTUP_GRACE: Duration = Duration::from_secs(3);

/// Which process client.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProcessClientKind {
    /// `openssl s_client`.
    SClient,
    /// `node` with the https module.
    Node,
    /// `curl`.
    Curl,
    /// GnuTLS's `gnutls-cli`.
    GnutlsCli,
    /// The Go crypto/tls client program, one process per case.
    Go,
    /// The Java JSSE client program, one JVM per case.
    Java,
}

/// Where a process client goes: the address, and the external server there in target mode.
#[derive(Clone, Copy)]
pub struct ServerAt<'a> {
    /// The server's address.
    pub addr: SocketAddr,
    /// The external server, in target mode.
    pub target: Option<&'a crate::peers::Target>,
}

/// A process client ready to make attempts: its program, files and credential.
pub struct ProcessAttempts {
    kind: ProcessClientKind,
    program: PathBuf,
    script: PathBuf,
    case: Case,
    server: ServerCheck,
    cred: Option<Credential>,
    addr: SocketAddr,
    /// The file sessions are carried in (resumption on).
    session: Option<PathBuf>,
    /// The program that stays up for the case (Go, Java).
    driver: Option<Arc<Driver>>,
}

impl ProcessAttempts {
    /// Prepares `kind` for `case` against the server `at` (an external server in target mode:
    /// its CA and name, and the user's own credential where the case presents it); `work` is
    /// a directory for its files.
    ///
    /// # Errors
    /// [`ProcessError::Skipped`] when the program is not installed or the fixtures lack the
    /// credential; [`ProcessError::Files`] when its files cannot be written.
    pub fn prepare(
        kind: ProcessClientKind,
        case: &Case,
        pki: &Pki,
        files: &PkiFiles,
        at: ServerAt<'_>,
        work: &Path,
        search_path: Option<&std::ffi::OsStr>,
    ) -> Result<Self, ProcessError> {
        let ServerAt { addr, target } = at;
        // A new directory for the credential copies and the session file: nothing planted
        // there is followed.
        crate::fsutil::create_new_dir(work).map_err(io_err(work))?;
        let (program, classes) = program_of(kind, work, search_path)?;
        let cred = match case.client_cert {
            ClientCert::None => None,
            _ => Some(credential(case, pki, files, target, work).ok_or_else(|| {
                ProcessError::Skipped {
                    reason: format!("no {} credential in the fixtures", case.client_cert),
                }
            })?),
        };
        let server = server_check(files, target, work).map_err(io_err(work))?;
        let (script, session) = write_files(kind, case, work)?;
        let driver = match (kind, &classes) {
            (ProcessClientKind::Go, _) => Some(go_client::command(
                &program,
                case,
                &server,
                cred.as_ref(),
                addr,
            )),
            (ProcessClientKind::Java, Some(classes)) => Some(java_client::command(
                &program,
                classes,
                case,
                &server,
                cred.as_ref(),
                addr,
            )),
            _ => None,
        }
        .map(|template| driver_for(kind, &template, work));
        if let Some(driver) = &driver {
            // Started now, so a program that cannot start fails the case with its log.
            driver.ensure_started()?;
        }
        Ok(Self {
            kind,
            program,
            script,
            case: case.clone(),
            server,
            cred,
            addr,
            session,
            driver,
        })
    }

    /// How the engine drives a process client: one attempt after another, no warm-up (every
    /// process is measured), the case's stop condition and timeout.
    pub fn schedule(spec: &LoadSpec) -> LoadSpec {
        LoadSpec {
            schedule: Schedule::Closed { concurrency: 1 },
            warmup: Duration::ZERO,
            ..*spec
        }
    }

    fn command(&self, offer: bool) -> Option<Command> {
        let sessions = self.session.as_deref().map(|file| (file, offer));
        let (case, files, cred) = (&self.case, &self.server, self.cred.as_ref());
        Some(match self.kind {
            ProcessClientKind::SClient => {
                s_client::command(&self.program, case, files, cred, self.addr, sessions)
            }
            ProcessClientKind::Node => node_client::command(
                &self.program,
                &self.script,
                case,
                files,
                cred,
                self.addr,
                sessions,
            ),
            ProcessClientKind::Curl => curl::command(&self.program, case, files, cred, self.addr),
            ProcessClientKind::GnutlsCli => {
                gnutls_cli::command(&self.program, case, files, cred, self.addr)
            }
            // Driven through their stdin: no command per attempt.
            ProcessClientKind::Go | ProcessClientKind::Java => return None,
        })
    }
}

/// The program `kind` runs, found on `search_path` (the Go client built, the Java client
/// compiled into `work` first), and for Java the directory of its classes.
fn program_of(
    kind: ProcessClientKind,
    work: &Path,
    search_path: Option<&std::ffi::OsStr>,
) -> Result<(PathBuf, Option<PathBuf>), ProcessError> {
    Ok(match kind {
        ProcessClientKind::SClient => (find_program("openssl", search_path)?, None),
        ProcessClientKind::Node => (find_program("node", search_path)?, None),
        ProcessClientKind::Curl => (find_program("curl", search_path)?, None),
        ProcessClientKind::GnutlsCli => (find_program("gnutls-cli", search_path)?, None),
        ProcessClientKind::Go => (go_client::built(search_path, work)?, None),
        ProcessClientKind::Java => {
            let (java, classes) = java_client::compiled(search_path, work)?;
            (java, Some(classes))
        }
    })
}

/// The files a one-per-handshake client of `kind` needs in `work`: node's script (written
/// for node only) and, with resumption on, the empty file sessions are carried in.
fn write_files(
    kind: ProcessClientKind,
    case: &Case,
    work: &Path,
) -> Result<(PathBuf, Option<PathBuf>), ProcessError> {
    let script = work.join("node-client.js");
    if kind == ProcessClientKind::Node {
        crate::fsutil::write_atomic(&script, node_client::SCRIPT.as_bytes(), 0o644)
            .map_err(io_err(&script))?;
    }
    let driven = matches!(kind, ProcessClientKind::Go | ProcessClientKind::Java);
    let session =
        (case.tls.resumption != ResumptionMode::Off && !driven).then(|| work.join("session.pem"));
    if let Some(session) = &session {
        // It holds a resumption secret: created 0600 by the harness, so the programs
        // (s_client's `-sess_out` and node's writeFileSync open it with "w") keep that mode
        // and never create it themselves.
        drop(crate::fsutil::create_new_file(session, 0o600).map_err(io_err(session))?);
    }
    Ok((script, session))
}

/// The driver of a program that stays up for the case (Go, Java), starting `template`'s
/// command line whenever it (re)starts the program.
fn driver_for(kind: ProcessClientKind, template: &Command, work: &Path) -> Arc<Driver> {
    let name = if kind == ProcessClientKind::Go {
        "go-client"
    } else {
        "java-client"
    };
    let program = template.get_program().to_owned();
    let args: Vec<std::ffi::OsString> = template.get_args().map(ToOwned::to_owned).collect();
    Arc::new(Driver::new(
        name,
        work.to_path_buf(),
        Box::new(move || {
            let mut cmd = Command::new(&program);
            cmd.args(&args);
            cmd
        }),
    ))
}

impl Attempter for ProcessAttempts {
    fn attempt(&self, ticket: Ticket, timeout: Duration) -> impl Future<Output = Sample> + Send {
        let driven = self.driver.clone().map(|driver| (driver, self.kind));
        let command = self.command_for(&ticket);
        let kind = self.kind;
        let host = self.server.name.clone();
        async move {
            let run = tokio::task::spawn_blocking(move || match (driven, command) {
                (Some((driver, kind)), _) => driven_attempt(&driver, kind, ticket.resume, timeout),
                (None, Some((command, offer))) => {
                    let mut sample = attempt(kind, &host, command, timeout + STARTUP_GRACE);
                    sample.meant_to_resume = offer;
                    sample
                }
                (None, None) => failed_sample(),
            });
            let mut sample = run.await.unwrap_or_else(|_| failed_sample());
            sample.intended = ticket.intended.min(sample.start);
            sample
        }
    }
}

impl ProcessAttempts {
    /// The command of a one-per-handshake client for `ticket`, and whether it offers a session.
    fn command_for(&self, ticket: &Ticket) -> Option<(Command, bool)> {
        // The first handshake is full; later ones offer the saved session when the schedule
        // says so.
        // The session file exists from the start (empty until a program saved a session).
        let offer = ticket.resume
            && self
                .session
                .as_deref()
                .and_then(|file| std::fs::metadata(file).ok())
                .is_some_and(|meta| meta.len() > 0);
        self.command(offer).map(|command| (command, offer))
    }
}

fn failed_sample() -> Sample {
    let mut failed = Sample::begin(Instant::now());
    failed.outcome = Outcome::IoError;
    failed
}

/// Extra time a driven program gets for its answer beyond its own per-handshake deadline.
const ANSWER_GRACE: Duration = Duration::from_secs(1);

/// One attempt of a program that stays up for the case: a request line, its answer.
fn driven_attempt(
    driver: &Driver,
    kind: ProcessClientKind,
    resume: bool,
    timeout: Duration,
) -> Sample {
    let (start, answer) = driver.request(resume, timeout + ANSWER_GRACE);
    let mut sample = Sample::begin(start);
    sample.end = Instant::now();
    let (verdict, offered) = match answer {
        Answer::Line(line) if kind == ProcessClientKind::Java => java_client::parse(&line),
        Answer::Line(line) => go_client::parse(&line),
        Answer::TimedOut => {
            sample.outcome = Outcome::Timeout;
            return sample;
        }
        Answer::Failed => {
            sample.outcome = Outcome::IoError;
            return sample;
        }
    };
    sample.outcome = verdict.outcome;
    sample.http_status = verdict.status;
    sample.negotiated = verdict.negotiated;
    sample.meant_to_resume = offered;
    if sample.outcome == Outcome::Accepted || sample.http_status.is_some() {
        sample.first_byte = Some(sample.end);
    }
    sample
}

fn attempt(kind: ProcessClientKind, host: &str, mut command: Command, timeout: Duration) -> Sample {
    let mut sample = Sample::begin(Instant::now());
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    crate::sys::prepare_child(&mut command, None);
    let mut child = match command.spawn() {
        Ok(c) => c,
        Err(_) => {
            sample.end = Instant::now();
            sample.outcome = Outcome::IoError;
            return sample;
        }
    };
    send_request(kind, host, &mut child);
    // Drain both pipes on threads so a chatty child never blocks on a full pipe.
    let out = drain(
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let err = drain(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    );
    let timed_out = !exited_within(&mut child, timeout);
    sample.end = Instant::now();
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if timed_out {
        sample.outcome = Outcome::Timeout;
        return sample;
    }
    let verdict = verdict_of(kind, &stdout, &stderr);
    sample.outcome = verdict.outcome;
    sample.http_status = verdict.status;
    sample.negotiated = verdict.negotiated;
    if sample.outcome == Outcome::Accepted || sample.http_status.is_some() {
        sample.first_byte = Some(sample.end);
    }
    sample
}

/// Writes the request of a client that reads it from its stdin (s_client, gnutls-cli).
fn send_request(kind: ProcessClientKind, host: &str, child: &mut std::process::Child) {
    if let Some(mut stdin) = child.stdin.take() {
        let request = match kind {
            ProcessClientKind::SClient => Some(s_client::request(host)),
            ProcessClientKind::GnutlsCli => Some(gnutls_cli::request(host)),
            ProcessClientKind::Node
            | ProcessClientKind::Curl
            | ProcessClientKind::Go
            | ProcessClientKind::Java => None,
        };
        if let Some(request) = request {
            let _ = std::io::Write::write_all(&mut stdin, request.as_bytes());
        }
    }
}

/// Everything `pipe` says until it closes, read on a thread of its own.
fn drain(pipe: Option<Box<dyn Read + Send>>) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut text = String::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_string(&mut text);
        }
        text
    })
}

/// Whether `child` exited within `timeout`; when it did not (or cannot be waited for), its
/// process group is killed and it is reaped.
fn exited_within(child: &mut std::process::Child, timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => return true,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(2)),
            _ => {
                let _ = crate::sys::kill_group(child.id(), libc::SIGKILL);
                let _ = child.wait();
                return false;
            }
        }
    }
}

/// The verdict of a one-per-handshake client's output.
fn verdict_of(kind: ProcessClientKind, stdout: &str, stderr: &str) -> client_output::Verdict {
    match kind {
        ProcessClientKind::SClient => s_client::parse(stdout, stderr),
        ProcessClientKind::Node => node_client::parse(stdout),
        ProcessClientKind::Curl => curl::parse(stdout, stderr),
        ProcessClientKind::GnutlsCli => gnutls_cli::parse(stdout, stderr),
        // Driven through their stdin, never run per attempt.
        ProcessClientKind::Go | ProcessClientKind::Java => client_output::Verdict {
            outcome: Outcome::IoError,
            status: None,
            negotiated: None,
        },
    }
}
