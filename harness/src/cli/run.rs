//! `mtls-harness run`: loads the scenario files (or the built-in quick scenario), runs them one
//! after another, prints each run's table (or with `--json` its summary) and renders its
//! report, then applies
//! `--save-baseline` and `--baseline`.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::args::RunArgs;
use super::exit::{
    cancel_on_signals, thresholds_code, worse, CommandResult, Reported, EXIT_ERROR, EXIT_OK,
};
use crate::peers;
use crate::runner::{self, Overrides, RunOptions, RunOutcome};
use crate::scenario::{self, Scenario};

/// The scenario `run` uses when given no file: `scenarios/quick.toml`, built into the binary.
pub const QUICK_SCENARIO: &str = include_str!("../../../scenarios/quick.toml");

pub(super) fn run(args: &RunArgs) -> CommandResult {
    let mut scenarios = load_scenarios(&args.files)?;
    let target = args.target.target()?;
    for scenario in &mut scenarios {
        super::target_pki::prepare(scenario, &args.target)?;
    }
    let cancel = cancel_on_signals();
    let mut worst = EXIT_OK;
    let options = CommonOptions {
        args,
        target,
        cancel,
        several: scenarios.len() > 1,
    };
    // Every scenario's cases with the overrides applied are checked before the first runs.
    for (i, scenario) in scenarios.iter().enumerate() {
        runner::check(scenario, &options.for_scenario(i, scenario))?;
    }
    for (i, scenario) in scenarios.iter().enumerate() {
        let opts = options.for_scenario(i, scenario);
        match runner::run(scenario, &opts) {
            Ok(outcome) => report_outcome(args, &outcome, &mut worst)?,
            Err(e) => {
                eprintln!("error: {e}");
                worst = EXIT_ERROR;
            }
        }
        if outcome_interrupted(&options.cancel) {
            break;
        }
    }
    Ok(worst)
}

/// What the options of every scenario's run are made from.
struct CommonOptions<'a> {
    args: &'a RunArgs,
    target: Option<Arc<peers::Target>>,
    /// Set by a signal: stops the run, and the runs after it.
    cancel: Arc<AtomicBool>,
    /// More than one scenario runs: each gets its own directory under `--out`.
    several: bool,
}

impl CommonOptions<'_> {
    /// The options of the run of `scenario`, the `i`th given.
    fn for_scenario(&self, i: usize, scenario: &Scenario) -> RunOptions {
        let args = self.args;
        let mut opts = RunOptions::new(peers::current_exe());
        opts.out_dir = args.out.as_ref().map(|o| {
            if self.several {
                o.join(format!("{:02}-{}", i + 1, scenario.name))
            } else {
                o.clone()
            }
        });
        opts.overrides = Overrides {
            duration: args.duration,
            handshakes: args.handshakes,
            concurrency: args.concurrency.map(|c| c as usize),
            warmup: args.warmup,
        };
        opts.server_cpus = args.pin_server.clone().map(|c| c.0);
        opts.client_cpus = args.pin_client.clone().map(|c| c.0);
        opts.cancel = Arc::clone(&self.cancel);
        opts.quiet = args.quiet;
        opts.target = self.target.clone();
        args.target.apply(&mut opts);
        if let Some(interval) = args.interval {
            opts.interval = interval;
        }
        if !args.quiet && std::io::IsTerminal::is_terminal(&std::io::stdout()) {
            opts.live = Some(super::live::LiveBar::progress());
        }
        opts.worker = args.worker;
        opts
    }
}

/// Prints one finished run (its table, or its summary with `--json`), renders its report,
/// applies `--save-baseline` and `--baseline`, and folds its exit codes into `worst`.
fn report_outcome(args: &RunArgs, outcome: &RunOutcome, worst: &mut u8) -> anyhow::Result<()> {
    if args.json {
        println!("{}", serde_json::to_string_pretty(&outcome.summary)?);
    } else {
        print!("{}", crate::report::console_table(&outcome.summary));
    }
    if let Err(e) = crate::report::render_run(&outcome.dir) {
        eprintln!("error: rendering the report: {e}");
        *worst = EXIT_ERROR;
    }
    if let Ok(saved) = crate::report::load_run(&outcome.dir) {
        for note in crate::report::run_notes(&saved) {
            say(args, &format!("note: {note}"));
        }
    }
    say(args, &format!("results: {}", outcome.dir.display()));
    *worst = worse(*worst, after_run(args, &outcome.dir));
    if outcome.summary.interrupted {
        eprintln!(
            "interrupted: partial results written to {}",
            outcome.dir.display()
        );
    }
    if outcome.measured_nothing() && !outcome.summary.interrupted {
        eprintln!(
            "error: nothing was measured: every case ({}) was skipped, for the reasons above",
            outcome.summary.cases.len()
        );
    }
    *worst = worse(*worst, outcome.exit_code());
    *worst = worse(*worst, thresholds_code(&outcome.summary));
    Ok(())
}

/// The scenarios of `files`, or the quick scenario when none is given (the repository's copy
/// when run from its root, else the built-in one). Every file's problems are printed before
/// it gives up.
fn load_scenarios(files: &[PathBuf]) -> anyhow::Result<Vec<Scenario>> {
    let report = |e: scenario::ScenarioError| {
        eprintln!("{e}");
        Reported
    };
    if files.is_empty() {
        let path = PathBuf::from("scenarios/quick.toml");
        let quick = if path.exists() {
            scenario::load(&path)
        } else {
            scenario::parse(QUICK_SCENARIO, Path::new("<built-in quick.toml>"))
        };
        return Ok(vec![quick.map_err(report)?]);
    }
    let mut out = Vec::new();
    let mut failed = false;
    for f in files {
        match scenario::load(f) {
            Ok(s) => out.push(s),
            Err(e) => {
                eprintln!("{e}");
                failed = true;
            }
        }
    }
    if failed {
        Err(Reported.into())
    } else {
        Ok(out)
    }
}

/// `--save-baseline` and `--baseline` after a run: the exit code they add.
fn after_run(args: &RunArgs, dir: &Path) -> u8 {
    let root = Path::new(crate::report::BASELINES_DIR);
    let mut code = EXIT_OK;
    if let Some(name) = &args.baseline {
        let md = dir.join("compare.md");
        code = super::commands::compare_command(
            name,
            &dir.display().to_string(),
            args.noise.options(),
            Some(&md),
        );
    }
    if let Some(name) = &args.save_baseline {
        match crate::report::save_baseline(dir, name, root) {
            Ok(saved) => println!("baseline saved: {}", saved.display()),
            Err(e) => {
                eprintln!("error: saving baseline: {e}");
                code = EXIT_ERROR;
            }
        }
    }
    code
}

/// A line for people: on stdout, or on stderr when stdout carries `--json`.
fn say(args: &RunArgs, line: &str) {
    if args.json {
        eprintln!("{line}");
    } else {
        println!("{line}");
    }
}

fn outcome_interrupted(cancel: &AtomicBool) -> bool {
    cancel.load(std::sync::atomic::Ordering::Relaxed)
}
