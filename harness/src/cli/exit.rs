//! What every command shares: the exit codes and how two combine, the result a command ends
//! with, the signal handling of the long-running commands, and the grading files a command
//! may be given.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Exit code: every case met its expectation.
pub(crate) const EXIT_OK: u8 = 0;
/// Exit code: bad usage, a bad scenario, an internal error or an interrupted run.
pub(crate) const EXIT_ERROR: u8 = 2;
/// Exit code: the expectations were met, but a threshold was breached or not measured.
pub(crate) const EXIT_THRESHOLDS: u8 = 3;

/// The more severe of two exit codes: 2 (error), then 1 (not met), then 3 (thresholds), then 0.
pub(crate) fn worse(a: u8, b: u8) -> u8 {
    let rank = |c: u8| match c {
        EXIT_OK => 0,
        EXIT_THRESHOLDS => 1,
        1 => 2,
        EXIT_ERROR => 3,
        _ => 4,
    };
    if rank(b) > rank(a) {
        b
    } else {
        a
    }
}

/// [`EXIT_THRESHOLDS`] when a case of `summary` failed a threshold, else [`EXIT_OK`].
pub(crate) fn thresholds_code(summary: &crate::report::RunSummary) -> u8 {
    let failed = summary
        .cases
        .iter()
        .flat_map(|c| &c.thresholds)
        .any(crate::report::ThresholdCheck::fails);
    if failed {
        EXIT_THRESHOLDS
    } else {
        EXIT_OK
    }
}

/// What a command ends with: its exit code, or an error [`main`] prints (exit code 2).
pub(crate) type CommandResult = anyhow::Result<u8>;

/// An error a command has already written to stderr (several scenario files can each have
/// their own); [`main`] only turns it into exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("reported above")]
pub(crate) struct Reported;

/// How long a second signal waits for the summary on disk to say the run was interrupted (the
/// run's watcher writes it within milliseconds of the first), so the process still ends within
/// about 2 s of the second signal.
const SETTLE_LIMIT: std::time::Duration = std::time::Duration::from_millis(1500);

/// Exit code of a run ended by a second signal (128 + SIGINT, as a shell reports it).
const EXIT_FORCED: i32 = 130;

/// Signals that end a command; until a command handles them itself ([`cancel_on_signals`]),
/// [`exit_on_signals`] makes each end the process.
const ENDING_SIGNALS: [i32; 3] = [
    signal_hook::consts::SIGINT,
    signal_hook::consts::SIGTERM,
    signal_hook::consts::SIGHUP,
];

/// Whether the handlers of [`exit_on_signals`] still end the process.
static EXIT_ON_SIGNAL: std::sync::LazyLock<Arc<AtomicBool>> =
    std::sync::LazyLock::new(|| Arc::new(AtomicBool::new(true)));

/// Makes SIGINT, SIGTERM and SIGHUP end the process (128 + the signal) until a command takes
/// them over with [`cancel_on_signals`]. Needed because the contained harness is PID 1 of its
/// namespace, where a signal with no handler is ignored: without this, a command blocked
/// before its own handling starts (reading its input, say) would outlive SIGTERM.
pub(crate) fn exit_on_signals() {
    for signal in ENDING_SIGNALS {
        let _ = signal_hook::flag::register_conditional_shutdown(
            signal,
            128 + signal,
            Arc::clone(&EXIT_ON_SIGNAL),
        );
    }
}

/// How long a run may take to stop after the first signal before the process ends anyway
/// (once the summary on disk says it was interrupted): the grace period of SIGTERM.
const GRACE: std::time::Duration = std::time::Duration::from_secs(15);

/// A flag SIGINT and SIGTERM set, so a run stops and still writes what it measured. A second
/// signal ends the process promptly, but only once the run's `summary.json` says it was
/// interrupted and holds the cases measured so far (`runner::wait_until_settled`; the run's
/// watcher writes it on the first signal). Peers die with the process: the run is the init of
/// its own PID namespace (or, without one, each child has a parent-death signal).
pub(crate) fn cancel_on_signals() -> Arc<AtomicBool> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let cancel = Arc::new(AtomicBool::new(false));
    let counted = signal_hook::iterator::Signals::new(ENDING_SIGNALS).and_then(|mut signals| {
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                let mut seen = 0u32;
                for _ in signals.forever() {
                    seen = seen.saturating_add(1);
                    if seen == 1 {
                        end_after_grace();
                    }
                    if seen >= 2 {
                        if !crate::runner::wait_until_settled(SETTLE_LIMIT) {
                            eprintln!("error: second signal: the summary could not be marked interrupted in time");
                        }
                        eprintln!("second signal: stopping now; results measured so far are in summary.json");
                        std::process::exit(EXIT_FORCED);
                    }
                }
            })
            .map(drop)
    });
    for signal in [SIGINT, SIGTERM] {
        if counted.is_err() {
            // No thread to count with: a second signal exits at once (registered before the
            // flag, so the first one only sets it).
            let _ = signal_hook::flag::register_conditional_shutdown(
                signal,
                EXIT_FORCED,
                Arc::clone(&cancel),
            );
        }
        // Set in the handler itself, so the flag is up whatever the counting thread is doing.
        let _ = signal_hook::flag::register(signal, Arc::clone(&cancel));
    }
    let _ = signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&cancel));
    // From here a signal stops the run instead of ending the process at once.
    EXIT_ON_SIGNAL.store(false, std::sync::atomic::Ordering::SeqCst);
    cancel
}

/// Ends the process [`GRACE`] after the first signal if the run has not stopped by then
/// (blocked somewhere that does not look at the flag), once its summary says interrupted.
fn end_after_grace() {
    let _ = std::thread::Builder::new()
        .name("grace".into())
        .spawn(|| {
            std::thread::sleep(GRACE);
            if !crate::runner::wait_until_settled(SETTLE_LIMIT) {
                super::console::errln("error: the summary could not be marked interrupted in time");
            }
            super::console::errln(&format!(
                "stopping now: the run did not stop within {} of the signal; results measured so far are in summary.json",
                humantime::format_duration(GRACE)
            ));
            std::process::exit(EXIT_FORCED);
        });
}

/// A file named on the command line that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
pub(crate) struct ReadError {
    path: PathBuf,
    source: std::io::Error,
}

/// Reads a grading file given on the command line, or the built-in one: the repository's copy
/// when run from the repository root, else the text compiled in.
pub(crate) fn grading_text(
    given: Option<&Path>,
    repo_path: &str,
    built_in: &str,
) -> Result<(String, PathBuf), ReadError> {
    match given {
        // A regular file only: a FIFO would block the command.
        Some(path) => crate::fsutil::open_regular(path)
            .and_then(|mut f| {
                let mut text = String::new();
                std::io::Read::read_to_string(&mut f, &mut text).map(|_| text)
            })
            .map(|t| (t, path.to_path_buf()))
            .map_err(|source| ReadError {
                path: path.to_path_buf(),
                source,
            }),
        None => {
            let path = PathBuf::from(repo_path);
            match std::fs::read_to_string(&path) {
                Ok(t) => Ok((t, path)),
                Err(_) => Ok((
                    built_in.to_string(),
                    PathBuf::from(format!("<built-in {repo_path}>")),
                )),
            }
        }
    }
}
