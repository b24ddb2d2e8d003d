//! Child processes that never outlive the run: each is spawned in its own process group with a
//! parent-death signal, its stderr captured to a log file in the run directory, and killed with
//! its whole group (SIGTERM, then SIGKILL) when its guard is dropped, also on error or Ctrl-C.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::sys;

/// `path` as text a configuration file `config` (`nginx.conf`, `haproxy.cfg`) can hold once
/// quoted: UTF-8, no control character (a newline would end the directive), and none of
/// `forbidden`'s characters (each with what to say about it).
///
/// # Errors
/// [`ProcessError::Unquotable`] naming the path, the configuration file and the character.
pub fn config_path_text<'p>(
    path: &'p Path,
    config: &str,
    forbidden: &[(char, &str)],
) -> Result<&'p str, ProcessError> {
    let refuse = |what: &str| {
        ProcessError::Unquotable {
        path: path.to_path_buf(),
        reason: format!(
            "{config} cannot hold this path: it contains {what}; choose an --out directory without it"
        ),
    }
    };
    let text = path
        .to_str()
        .ok_or_else(|| refuse("bytes that are not UTF-8"))?;
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(refuse(&format!("the control character {c:?}")));
    }
    if let Some((_, what)) = forbidden.iter().find(|(c, _)| text.contains(*c)) {
        return Err(refuse(what));
    }
    Ok(text)
}

/// Why a peer process could not be started.
#[derive(Debug, thiserror::Error)]
pub enum ProcessError {
    /// Spawning failed.
    #[error("starting {program}: {source}")]
    Spawn {
        /// The program.
        program: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The log file could not be created.
    #[error("creating log file {path}: {source}")]
    Log {
        /// The log file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file the peer needs (its configuration, a CRL bundle, a credential copy) could not be
    /// written.
    #[error("writing {path}: {source}")]
    Files {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A path cannot be written into the peer's configuration (nginx.conf) without changing
    /// its meaning.
    #[error("{path}: {reason}")]
    Unquotable {
        /// The path.
        path: PathBuf,
        /// Why, and what to do.
        reason: String,
    },
    /// The peer cannot run this case: its program is not installed, or it lacks a feature the
    /// case needs. The case is reported as skipped with this reason, never as passed.
    #[error("skipped: {reason}")]
    Skipped {
        /// Why.
        reason: String,
    },
    /// It exited or said nothing useful before it was ready.
    #[error(
        "{program} did not become ready within {waited:?}: {reason}; last log lines:\n{log_tail}"
    )]
    NotReady {
        /// The program.
        program: String,
        /// How long we waited.
        waited: Duration,
        /// What happened.
        reason: String,
        /// The end of its log.
        log_tail: String,
    },
}

/// The error for a peer's file at `path` that could not be read or written, for
/// `map_err(io_err(&path))`.
pub fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> ProcessError + use<> {
    let path = path.to_path_buf();
    move |source| ProcessError::Files { path, source }
}

/// A running child process, killed with its process group on drop.
pub struct ChildGuard {
    child: Child,
    stopped: bool,
    program: String,
    log: PathBuf,
}

impl ChildGuard {
    /// Spawns `command` with stdout piped, stderr into `log`, in a new process group, pinned to
    /// `cpus` when given. `log` is created anew ([`crate::fsutil::create_new_file`]).
    ///
    /// # Errors
    /// When the log cannot be created (a symlink at `log` is refused) or the program cannot be started.
    pub fn spawn(
        mut command: Command,
        log: &Path,
        cpus: Option<Vec<usize>>,
    ) -> Result<Self, ProcessError> {
        command.stdin(Stdio::null());
        Self::spawn_with_stdin(command, log, cpus)
    }

    fn spawn_with_stdin(
        mut command: Command,
        log: &Path,
        cpus: Option<Vec<usize>>,
    ) -> Result<Self, ProcessError> {
        let program = command.get_program().to_string_lossy().into_owned();
        // Created exclusively, never through a symlink planted at `log`.
        let log_file =
            crate::fsutil::create_new_file(log, 0o644).map_err(|source| ProcessError::Log {
                path: log.to_path_buf(),
                source,
            })?;
        command.stdout(Stdio::piped()).stderr(log_file);
        sys::prepare_child(&mut command, cpus);
        let child = command.spawn().map_err(|source| ProcessError::Spawn {
            program: program.clone(),
            source,
        })?;
        Ok(Self {
            child,
            stopped: false,
            program,
            log: log.to_path_buf(),
        })
    }

    /// Like [`ChildGuard::spawn`], but stdout goes into `log` too (for programs whose output
    /// is all worth keeping and that print no ready line the harness parses).
    ///
    /// # Errors
    /// As [`ChildGuard::spawn`].
    pub fn spawn_logged(
        mut command: Command,
        log: &Path,
        cpus: Option<Vec<usize>>,
    ) -> Result<Self, ProcessError> {
        let program = command.get_program().to_string_lossy().into_owned();
        let log_err = |source| ProcessError::Log {
            path: log.to_path_buf(),
            source,
        };
        let log_file = crate::fsutil::create_new_file(log, 0o644).map_err(log_err)?;
        let out = log_file.try_clone().map_err(log_err)?;
        command.stdin(Stdio::null()).stdout(out).stderr(log_file);
        sys::prepare_child(&mut command, cpus);
        let child = command.spawn().map_err(|source| ProcessError::Spawn {
            program: program.clone(),
            source,
        })?;
        Ok(Self {
            child,
            stopped: false,
            program,
            log: log.to_path_buf(),
        })
    }

    /// Like [`ChildGuard::spawn`], but with stdin piped as well, for a program driven through
    /// its stdin: the child's stdin and stdout are handed back (the guard keeps neither).
    ///
    /// # Errors
    /// As [`ChildGuard::spawn`].
    pub fn spawn_driven(
        mut command: Command,
        log: &Path,
        cpus: Option<Vec<usize>>,
    ) -> Result<(Self, std::process::ChildStdin, std::process::ChildStdout), ProcessError> {
        command.stdin(Stdio::piped());
        let mut guard = Self::spawn_with_stdin(command, log, cpus)?;
        let pipes = (guard.child.stdin.take(), guard.child.stdout.take());
        match pipes {
            (Some(stdin), Some(stdout)) => Ok((guard, stdin, stdout)),
            _ => Err(ProcessError::Spawn {
                program: guard.program.clone(),
                source: std::io::Error::other("no pipe to the child"),
            }),
        }
    }

    /// Whether the child has exited (its status, if so).
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.try_wait().ok().flatten()
    }

    /// [`ProcessError::NotReady`] for a wait that began at `started`.
    pub fn not_ready_since(&self, started: Instant, reason: String) -> ProcessError {
        self.not_ready(started, reason)
    }

    /// The child's pid (also its process-group id).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The log file.
    pub fn log(&self) -> &Path {
        &self.log
    }

    /// Waits until a stdout line satisfies `parse`, returning its value. Keeps draining stdout
    /// afterwards so the child never blocks on a full pipe.
    ///
    /// # Errors
    /// [`ProcessError::NotReady`] when the child exits, closes stdout or `timeout` passes first.
    pub fn wait_for_line<T: Send + 'static>(
        &mut self,
        timeout: Duration,
        parse: impl Fn(&str) -> Option<T> + Send + 'static,
    ) -> Result<T, ProcessError> {
        let stdout = self.child.stdout.take();
        let (tx, rx) = mpsc::channel();
        if let Some(stdout) = stdout {
            std::thread::spawn(move || {
                let mut sent = false;
                for line in BufReader::new(stdout).lines() {
                    let Ok(line) = line else { break };
                    if !sent {
                        if let Some(value) = parse(&line) {
                            sent = tx.send(value).is_ok();
                        }
                    }
                }
            });
        }
        let started = Instant::now();
        loop {
            match rx.recv_timeout(Duration::from_millis(50)) {
                Ok(value) => return Ok(value),
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(
                        self.not_ready(started, "it closed stdout without the ready line".into())
                    )
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(self.not_ready(started, format!("it exited with {status}")));
            }
            if started.elapsed() > timeout {
                return Err(self.not_ready(started, "timed out".into()));
            }
        }
    }

    /// Waits until `addr` accepts a TCP connection (for peers that print no ready line).
    ///
    /// # Errors
    /// [`ProcessError::NotReady`] when the child exits or `timeout` passes first.
    pub fn wait_for_connect(
        &mut self,
        addr: std::net::SocketAddr,
        timeout: Duration,
    ) -> Result<(), ProcessError> {
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(self.not_ready(started, format!("it exited with {status}")));
            }
            if std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return Ok(());
            }
            if started.elapsed() > timeout {
                return Err(self.not_ready(started, format!("{addr} never accepted")));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn not_ready(&self, started: Instant, reason: String) -> ProcessError {
        ProcessError::NotReady {
            program: self.program.clone(),
            waited: started.elapsed(),
            reason,
            log_tail: log_tail(&self.log, 10),
        }
    }

    /// Stops the process group: SIGTERM, up to `grace` to exit, then SIGKILL to the whole
    /// group. The leader is reaped only after the group was killed, so the group id cannot have
    /// been reused. Returns whether it exited on SIGTERM. A second call does nothing.
    pub fn stop(&mut self, grace: Duration) -> bool {
        if self.stopped {
            return true;
        }
        self.stopped = true;
        let pid = self.pid();
        let mut graceful = sys::child_exited(pid);
        if !graceful {
            let _ = sys::kill_group(pid, libc::SIGTERM);
            let deadline = Instant::now() + grace;
            while Instant::now() < deadline && !graceful {
                std::thread::sleep(Duration::from_millis(10));
                graceful = sys::child_exited(pid);
            }
        }
        // Whatever is left of the group (the leader if it ignored SIGTERM, or its children).
        let _ = sys::kill_group(pid, libc::SIGKILL);
        let _ = self.child.wait();
        graceful
    }
}

impl Drop for ChildGuard {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(2));
    }
}

/// The last `n` lines of a log file (empty if unreadable), read from at most its last 64 KiB.
pub fn log_tail(path: &Path, n: usize) -> String {
    use std::io::{Read, Seek, SeekFrom};
    const TAIL: u64 = 64 * 1024;
    let mut bytes = Vec::new();
    if let Ok(mut file) = std::fs::File::open(path) {
        let len = file.metadata().map(|m| m.len()).unwrap_or(0);
        let _ = file.seek(SeekFrom::Start(len.saturating_sub(TAIL)));
        let _ = file.take(TAIL).read_to_end(&mut bytes);
    }
    let text = String::from_utf8_lossy(&bytes);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}
