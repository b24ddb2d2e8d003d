//! The command line: the binary's entry point ([`main`]), tracing set-up, dispatch to one file
//! per subcommand, the exit codes and the signal handling the long-running commands share. The
//! arguments and their `--help` text are in `args.rs`.
//!
//! This is the binary's edge, so commands report errors as `anyhow::Error` (the library's
//! typed errors pass through `?` unchanged) and [`main`] turns them into `error: ...` and
//! exit code 2.
//!
//! Exit codes: 0 every case met its expectation; 1 a case did not (for `ab`: B is worse than A
//! beyond the threshold); 2 bad usage, a bad scenario, an internal error or an interrupted run;
//! 3 every case met its expectation but a threshold (`thresholds = { ... }`) was breached or
//! could not be measured; 130 a run ended by a second Ctrl-C (its summary says
//! `interrupted: true` and holds the cases measured before). Of several, the most severe wins:
//! 2, then 1, then 3.

mod ab;
mod args;
mod commands;
mod conformance;
mod fleet;
mod interop;
mod live;
mod pki;
mod pkits;
mod run;
mod serve;
mod target_crl;
mod target_pki;
mod validate;

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use clap::Parser;

use crate::peers;

pub use args::{
    parse_cpus, Cli, Command, ConformanceArgs, CpuList, InteropArgs, NoiseArgs, PkiCommand,
    RunArgs, TargetArgs,
};
pub use interop::INTEROP_SCENARIO;
pub use run::QUICK_SCENARIO;

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
type CommandResult = anyhow::Result<u8>;

/// An error a command has already written to stderr (several scenario files can each have
/// their own); [`main`] only turns it into exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("reported above")]
struct Reported;

/// Entry point of the binary.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let (quiet, starts_peers) = match &cli.command {
        Command::Run(args) => (args.quiet, true),
        Command::Conformance(args) => (args.quiet, true),
        Command::Interop(args) => (args.quiet, true),
        Command::Ab(args) => (args.quiet, true),
        Command::Pkits(_) => (false, true),
        Command::Fleet(args) => (args.quiet, true),
        _ => (false, false),
    };
    // Before any thread exists: the run continues in a PID namespace that dies with this
    // process, whatever ends it (kill -9 included), and takes every peer with it.
    let contained = starts_peers.then(crate::sys::contain_run);
    init_tracing(quiet);
    if let Some(Err(e)) = contained {
        tracing::warn!(
            "peers are not contained in a PID namespace ({e}): if the harness is killed with SIGKILL, grandchildren such as nginx workers can outlive it"
        );
    }
    ExitCode::from(dispatch(cli))
}

fn init_tracing(quiet: bool) {
    let default = if quiet {
        "warn".to_string()
    } else {
        crate::log_directives("warn", "info")
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(
            std::env::var_os("NO_COLOR").is_none()
                && std::io::IsTerminal::is_terminal(&std::io::stderr()),
        )
        .try_init();
}

fn dispatch(cli: Cli) -> u8 {
    let result = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Validate { files } => Ok(validate::validate(&files)),
        Command::Pki { command } => pki::pki(command),
        Command::Conformance(args) => conformance::conformance(&args),
        Command::Interop(args) => interop::interop(&args),
        Command::Ab(args) => ab::ab(&args),
        Command::Peers => {
            print!("{}", crate::peers::capabilities::markdown());
            Ok(EXIT_OK)
        }
        Command::Pkits(args) => pkits::pkits(&args),
        Command::Fleet(args) => fleet::fleet(&args),
        Command::Merge { logs, out } => Ok(commands::merge_command(&logs, &out)),
        Command::Report { run_dir } => Ok(commands::report_command(&run_dir)),
        Command::Compare {
            baseline,
            candidate,
            noise,
            markdown,
        } => Ok(commands::compare_command(
            &baseline,
            &candidate,
            noise.options(),
            markdown.as_deref(),
        )),
        Command::Serve(args) => match args.settings().and_then(|s| peers::serve(&s)) {
            Ok(()) => Ok(EXIT_OK),
            Err(e) => {
                eprintln!("error: {e}");
                Ok(EXIT_ERROR)
            }
        },
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            if !e.is::<Reported>() {
                eprintln!("error: {e}");
            }
            EXIT_ERROR
        }
    }
}

/// How long a second signal waits for the summary on disk to say the run was interrupted (the
/// run's watcher writes it within milliseconds of the first), so the process still ends within
/// about 2 s of the second signal.
const SETTLE_LIMIT: std::time::Duration = std::time::Duration::from_millis(1500);

/// Exit code of a run ended by a second signal (128 + SIGINT, as a shell reports it).
const EXIT_FORCED: i32 = 130;

/// A flag SIGINT and SIGTERM set, so a run stops and still writes what it measured. A second
/// signal ends the process promptly, but only once the run's `summary.json` says it was
/// interrupted and holds the cases measured so far (`runner::wait_until_settled`; the run's
/// watcher writes it on the first signal). Peers die with the process: the run is the init of
/// its own PID namespace (or, without one, each child has a parent-death signal).
fn cancel_on_signals() -> Arc<AtomicBool> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let cancel = Arc::new(AtomicBool::new(false));
    let counted = signal_hook::iterator::Signals::new([SIGINT, SIGTERM]).and_then(|mut signals| {
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                let mut seen = 0u32;
                for _ in signals.forever() {
                    seen = seen.saturating_add(1);
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
    cancel
}

/// A file named on the command line that could not be read.
#[derive(Debug, thiserror::Error)]
#[error("{}: {source}", path.display())]
struct ReadError {
    path: PathBuf,
    source: std::io::Error,
}

/// Reads a grading file given on the command line, or the built-in one: the repository's copy
/// when run from the repository root, else the text compiled in.
fn grading_text(
    given: Option<&Path>,
    repo_path: &str,
    built_in: &str,
) -> Result<(String, PathBuf), ReadError> {
    match given {
        Some(path) => std::fs::read_to_string(path)
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
