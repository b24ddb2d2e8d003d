//! `mtls-harness run`: loads the scenario files (or the built-in quick scenario), runs them one
//! after another, prints each run's table (or with `--json` its summary) and renders its
//! report, then applies
//! `--save-baseline` and `--baseline`.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use super::args::RunArgs;
use super::console::{errln, out, outln};
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
                errln(&format!("error: {e}"));
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

/// One finished run: renders its report, applies `--save-baseline` and `--baseline`, folds its
/// exit codes into `worst`, and only then prints it (its table, or its summary with `--json`),
/// so a closed stdout cannot cost a file or change the exit code.
fn report_outcome(args: &RunArgs, outcome: &RunOutcome, worst: &mut u8) -> anyhow::Result<()> {
    if let Err(e) = crate::report::render_run(&outcome.dir) {
        errln(&format!("error: rendering the report: {e}"));
        *worst = EXIT_ERROR;
    }
    let (code, later) = after_run(args, &outcome.dir);
    *worst = worse(*worst, code);
    *worst = worse(*worst, outcome.exit_code());
    *worst = worse(*worst, thresholds_code(&outcome.summary));
    runner::note_run_files(&outcome.dir);
    // The console last: everything above is decided and on disk.
    if args.json {
        outln(&serde_json::to_string_pretty(&outcome.summary)?);
    } else if args.quiet {
        // Without the tables: only what did not go as expected.
        out(&crate::report::console_verdicts(&outcome.summary));
    } else {
        out(&crate::report::console_table(&outcome.summary));
    }
    for text in later {
        out(&text);
    }
    if let Ok(saved) = crate::report::load_run(&outcome.dir) {
        for note in crate::report::run_notes(&saved) {
            say(args, &format!("note: {note}"));
        }
    }
    say(args, &format!("results: {}", outcome.dir.display()));
    if outcome.summary.interrupted {
        errln(&format!(
            "interrupted: partial results written to {}",
            outcome.dir.display()
        ));
    }
    if outcome.measured_nothing() && !outcome.summary.interrupted {
        errln(&format!(
            "error: nothing was measured: every case ({}) was skipped, for the reasons above",
            outcome.summary.cases.len()
        ));
    }
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

/// `--save-baseline` and `--baseline` after a run: the exit code they add, and the text to
/// print once the run's own table is out.
fn after_run(args: &RunArgs, dir: &Path) -> (u8, Vec<String>) {
    let root = Path::new(crate::report::BASELINES_DIR);
    let mut code = EXIT_OK;
    let mut later = Vec::new();
    if let Some(name) = &args.baseline {
        let md = dir.join("compare.md");
        let (compared, text) = super::commands::compare_quietly(
            name,
            &dir.display().to_string(),
            args.noise.options(),
            Some(&md),
        );
        code = compared;
        later.extend(text);
    }
    if let Some(name) = &args.save_baseline {
        match crate::report::save_baseline(dir, name, root) {
            Ok(saved) => later.push(format!("baseline saved: {}\n", saved.display())),
            Err(e) => {
                errln(&format!("error: saving baseline: {e}"));
                code = EXIT_ERROR;
            }
        }
    }
    (code, later)
}

/// A line for people: on stdout, or on stderr when stdout carries `--json`.
fn say(args: &RunArgs, line: &str) {
    if args.json {
        errln(line);
    } else {
        outln(line);
    }
}

fn outcome_interrupted(cancel: &AtomicBool) -> bool {
    cancel.load(std::sync::atomic::Ordering::Relaxed)
}
