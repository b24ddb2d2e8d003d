//! Process clients: the installed `openssl s_client`, a Node.js client, `curl` and
//! `gnutls-cli`, one process per handshake (s_client and node carry sessions from one process
//! to the next in a file, so they can resume; curl and gnutls-cli cannot, and their capability
//! records skip resumption cases). They are interop and conformance peers, not load generators: the load engine's one
//! worker loop drives them through [`ProcessAttempts`] like any client, one attempt at a time;
//! the latency includes starting the process, and the harness's CPU figures do not include
//! theirs. Their command lines and output are `programs::s_client`, `programs::node_client`,
//! `programs::curl` and `programs::gnutls_cli`.

use std::future::Future;
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::load::{Attempter, Ticket};
use crate::measure::{Outcome, Sample};
use crate::peers::programs::client_output::{credential, Credential};
use crate::peers::programs::{curl, find_program, gnutls_cli, node_client, s_client, ProcessError};
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
}

/// A process client ready to make attempts: its program, files and credential.
pub struct ProcessAttempts {
    kind: ProcessClientKind,
    program: PathBuf,
    script: PathBuf,
    case: Case,
    files: PkiFiles,
    cred: Option<Credential>,
    addr: SocketAddr,
    /// The file sessions are carried in (resumption on).
    session: Option<PathBuf>,
}

impl ProcessAttempts {
    /// Prepares `kind` for `case` against `addr`; `work` is a directory for its files.
    ///
    /// # Errors
    /// [`ProcessError::Skipped`] when the program is not installed or the fixtures lack the
    /// credential; [`ProcessError::Files`] when its files cannot be written.
    pub fn prepare(
        kind: ProcessClientKind,
        case: &Case,
        pki: &Pki,
        files: &PkiFiles,
        addr: SocketAddr,
        work: &Path,
        search_path: Option<&std::ffi::OsStr>,
    ) -> Result<Self, ProcessError> {
        let program = match kind {
            ProcessClientKind::SClient => find_program("openssl", search_path)?,
            ProcessClientKind::Node => find_program("node", search_path)?,
            ProcessClientKind::Curl => find_program("curl", search_path)?,
            ProcessClientKind::GnutlsCli => find_program("gnutls-cli", search_path)?,
        };
        let io_err = |path: &Path| {
            let path = path.to_path_buf();
            move |source| ProcessError::Files { path, source }
        };
        // A new directory for the credential copies and the session file: nothing planted
        // there is followed.
        crate::fsutil::create_new_dir(work).map_err(io_err(work))?;
        let cred = match case.client_cert {
            ClientCert::None => None,
            _ => Some(
                credential(case, pki, files, work).ok_or_else(|| ProcessError::Skipped {
                    reason: format!("no {} credential in the fixtures", case.client_cert),
                })?,
            ),
        };
        let script = work.join("node-client.js");
        if kind == ProcessClientKind::Node {
            crate::fsutil::write_atomic(&script, node_client::SCRIPT.as_bytes(), 0o644)
                .map_err(io_err(&script))?;
        }
        let session =
            (case.tls.resumption != ResumptionMode::Off).then(|| work.join("session.pem"));
        if let Some(session) = &session {
            // It holds a resumption secret: created 0600 by the harness, so the programs
            // (s_client's `-sess_out` and node's writeFileSync open it with "w") keep that mode
            // and never create it themselves.
            drop(crate::fsutil::create_new_file(session, 0o600).map_err(io_err(session))?);
        }
        Ok(Self {
            kind,
            program,
            script,
            case: case.clone(),
            files: files.clone(),
            cred,
            addr,
            session,
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

    fn command(&self, offer: bool) -> Command {
        let sessions = self.session.as_deref().map(|file| (file, offer));
        let (case, files, cred) = (&self.case, &self.files, self.cred.as_ref());
        match self.kind {
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
        }
    }
}

impl Attempter for ProcessAttempts {
    fn attempt(&self, ticket: Ticket, timeout: Duration) -> impl Future<Output = Sample> + Send {
        // The first handshake is full; later ones offer the saved session when the schedule
        // says so.
        // The session file exists from the start (empty until a program saved a session).
        let offer = ticket.resume
            && self
                .session
                .as_deref()
                .and_then(|file| std::fs::metadata(file).ok())
                .is_some_and(|meta| meta.len() > 0);
        let command = self.command(offer);
        let kind = self.kind;
        async move {
            let run = tokio::task::spawn_blocking(move || {
                attempt(kind, command, timeout + STARTUP_GRACE)
            });
            let mut sample = run.await.unwrap_or_else(|_| {
                let mut failed = Sample::begin(Instant::now());
                failed.outcome = Outcome::IoError;
                failed
            });
            sample.intended = ticket.intended.min(sample.start);
            sample.meant_to_resume = offer;
            sample
        }
    }
}

fn attempt(kind: ProcessClientKind, mut command: Command, timeout: Duration) -> Sample {
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
    if let Some(mut stdin) = child.stdin.take() {
        let request = match kind {
            ProcessClientKind::SClient => Some(s_client::REQUEST),
            ProcessClientKind::GnutlsCli => Some(gnutls_cli::REQUEST),
            ProcessClientKind::Node | ProcessClientKind::Curl => None,
        };
        if let Some(request) = request {
            let _ = std::io::Write::write_all(&mut stdin, request);
        }
    }
    // Drain both pipes on threads so a chatty child never blocks on a full pipe.
    let drain = |pipe: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = String::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_string(&mut text);
            }
            text
        })
    };
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
    let deadline = Instant::now() + timeout;
    let mut timed_out = false;
    loop {
        match child.try_wait() {
            Ok(Some(_)) => break,
            Ok(None) if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(2)),
            _ => {
                timed_out = true;
                let _ = crate::sys::kill_group(child.id(), libc::SIGKILL);
                let _ = child.wait();
                break;
            }
        }
    }
    sample.end = Instant::now();
    let stdout = out.join().unwrap_or_default();
    let stderr = err.join().unwrap_or_default();
    if timed_out {
        sample.outcome = Outcome::Timeout;
        return sample;
    }
    let verdict = match kind {
        ProcessClientKind::SClient => s_client::parse(&stdout, &stderr),
        ProcessClientKind::Node => node_client::parse(&stdout),
        ProcessClientKind::Curl => curl::parse(&stdout, &stderr),
        ProcessClientKind::GnutlsCli => gnutls_cli::parse(&stdout, &stderr),
    };
    sample.outcome = verdict.outcome;
    sample.http_status = verdict.status;
    sample.negotiated = verdict.negotiated;
    if sample.outcome == Outcome::Accepted || sample.http_status.is_some() {
        sample.first_byte = Some(sample.end);
    }
    sample
}
