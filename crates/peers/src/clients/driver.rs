//! A client program that stays up for a case (the Go and Java client peers): it makes one
//! handshake and request per line on its stdin (`full` or `resume`) and answers each with one
//! line on its stdout. Sessions then live inside the program, the way its stack keeps them
//! (Go's `ClientSessionCache`, JSSE's session cache), and a JVM starts once per case instead
//! of once per handshake. Each attempt is timed by the harness from the request line to the
//! answer line, so the figures hold the handshake and the request, never the program's start.
//!
//! An answer that does not come within the attempt's time, or a program that died, ends the
//! process (with its group) and the attempt; the next attempt starts a new one. Its stderr goes
//! into a log next to its files, one per start.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{ChildStdin, Command};
use std::sync::mpsc;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::peers::programs::{ChildGuard, ProcessError};

/// How long a program may take to print its ready line (a JVM on a loaded machine).
const READY_TIMEOUT: Duration = Duration::from_secs(30);

/// The longest answer line read; a longer one is cut there.
const MAX_LINE: u64 = 64 * 1024;

/// What one request line got back.
#[derive(Debug, PartialEq, Eq)]
pub enum Answer {
    /// The program's answer line.
    Line(String),
    /// No answer within the time: the program was stopped.
    TimedOut,
    /// The program could not be started, or died without answering.
    Failed,
}

/// A running program with its pipes.
struct Running {
    _guard: ChildGuard,
    stdin: ChildStdin,
    lines: mpsc::Receiver<String>,
}

/// A client program driven through its stdin, started when first needed.
pub struct Driver {
    /// Builds the program's command line (a `Command` is used once).
    command: Box<dyn Fn() -> Command + Send + Sync>,
    /// The name in its log files (`go-client`).
    name: &'static str,
    /// Where its logs go.
    dir: PathBuf,
    state: Mutex<(Option<Running>, u32)>,
}

impl Driver {
    /// A driver for the program `command` builds; `name` names its logs in `dir`. It is not
    /// started yet.
    pub fn new(
        name: &'static str,
        dir: PathBuf,
        command: Box<dyn Fn() -> Command + Send + Sync>,
    ) -> Self {
        Self {
            command,
            name,
            dir,
            state: Mutex::new((None, 0)),
        }
    }

    /// Starts the program now unless it runs, and waits for its ready line.
    ///
    /// # Errors
    /// When it cannot be started or does not get ready in time (with its log's last lines).
    pub fn ensure_started(&self) -> Result<(), ProcessError> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if state.0.is_none() {
            state.1 += 1;
            let running = self.start(state.1)?;
            state.0 = Some(running);
        }
        Ok(())
    }

    fn start(&self, count: u32) -> Result<Running, ProcessError> {
        let log = self.dir.join(format!("{}-{count}.log", self.name));
        let (mut guard, stdin, stdout) = ChildGuard::spawn_driven((self.command)(), &log, None)?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            while let Some(line) = bounded_line(&mut reader) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let started = Instant::now();
        loop {
            match lines.recv_timeout(Duration::from_millis(50)) {
                Ok(line) if line.trim() == "ready" => break,
                Ok(_) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    return Err(
                        guard.not_ready_since(started, "it exited before it was ready".into())
                    )
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err(guard.not_ready_since(started, "timed out".into()));
            }
            if let Some(status) = guard.exited() {
                return Err(guard.not_ready_since(started, format!("it exited with {status}")));
            }
        }
        Ok(Running {
            _guard: guard,
            stdin,
            lines,
        })
    }

    /// Sends one request line (`resume` or `full`) and waits up to `timeout` for the answer;
    /// returns when the line was sent (the attempt's start, after any start of the program)
    /// and the answer. Blocking: call it off the async workers.
    pub fn request(&self, resume: bool, timeout: Duration) -> (Instant, Answer) {
        if self.ensure_started().is_err() {
            return (Instant::now(), Answer::Failed);
        }
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let Some(running) = state.0.as_mut() else {
            return (Instant::now(), Answer::Failed);
        };
        // An answer left over from an attempt that was given up on is not this one's.
        while running.lines.try_recv().is_ok() {}
        let start = Instant::now();
        let line: &[u8] = if resume { b"resume\n" } else { b"full\n" };
        if running
            .stdin
            .write_all(line)
            .and_then(|()| running.stdin.flush())
            .is_err()
        {
            state.0 = None;
            return (start, Answer::Failed);
        }
        let answer = match running.lines.recv_timeout(timeout) {
            Ok(line) => Answer::Line(line),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                // Dropping the guard stops the program with its group.
                state.0 = None;
                Answer::TimedOut
            }
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                state.0 = None;
                Answer::Failed
            }
        };
        (start, answer)
    }
}

/// The next line of `reader` without its newline, at most [`MAX_LINE`] bytes of it (the rest
/// is skipped); `None` at the end or on an error.
fn bounded_line(reader: &mut impl BufRead) -> Option<String> {
    let mut buf = Vec::new();
    let n = reader
        .by_ref()
        .take(MAX_LINE)
        .read_until(b'\n', &mut buf)
        .ok()?;
    if n == 0 {
        return None;
    }
    if buf.last() != Some(&b'\n') && n as u64 == MAX_LINE {
        // Skip the rest of an overlong line.
        let mut rest = Vec::new();
        loop {
            rest.clear();
            match reader.by_ref().take(MAX_LINE).read_until(b'\n', &mut rest) {
                Ok(0) | Err(_) => break,
                Ok(_) if rest.last() == Some(&b'\n') => break,
                Ok(_) => {}
            }
        }
    }
    while matches!(buf.last(), Some(b'\n' | b'\r')) {
        buf.pop();
    }
    Some(String::from_utf8_lossy(&buf).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_bounded() {
        let long = "x".repeat(200_000);
        let text = format!("ready\n{long}\nnext\n");
        let mut r = std::io::Cursor::new(text.into_bytes());
        assert_eq!(bounded_line(&mut r).as_deref(), Some("ready"));
        assert_eq!(bounded_line(&mut r).map(|l| l.len()), Some(65_536));
        assert_eq!(bounded_line(&mut r).as_deref(), Some("next"));
        assert_eq!(bounded_line(&mut r), None);
    }

    #[test]
    fn a_driven_program_answers_and_a_silent_one_times_out() {
        let dir = tempfile::tempdir().unwrap();
        let script = "echo ready; while read l; do if [ \"$l\" = resume ]; then sleep 5; else echo \"got $l\"; fi; done";
        let driver = Driver::new(
            "sh",
            dir.path().to_path_buf(),
            Box::new(move || {
                let mut c = Command::new("sh");
                c.args(["-c", script]);
                c
            }),
        );
        let t = Duration::from_secs(3);
        assert_eq!(driver.request(false, t).1, Answer::Line("got full".into()));
        let short = Duration::from_millis(200);
        assert_eq!(driver.request(true, short).1, Answer::TimedOut);
        // A new process answers the next request.
        assert_eq!(driver.request(false, t).1, Answer::Line("got full".into()));
        assert!(dir.path().join("sh-2.log").exists());
    }
}
