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
mod console;
mod cpus;
mod exit;
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

use std::process::ExitCode;

use clap::Parser;

use crate::peers;

use exit::{Reported, EXIT_ERROR, EXIT_OK};

pub use args::{
    Cli, Command, ConformanceArgs, InteropArgs, NoiseArgs, PkiCommand, RunArgs, TargetArgs,
};
pub use cpus::{parse_cpus, CpuList};
pub use interop::INTEROP_SCENARIO;
pub use run::QUICK_SCENARIO;

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
    // In the harness proper of a contained command (PID 1, where a signal without a handler
    // is ignored): a signal ends it until the command handles signals itself. Not for
    // `serve`, which handles SIGTERM its own way.
    if starts_peers {
        exit::exit_on_signals();
    }
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
