//! `mtls-harness ab SCENARIO --a SPEC --b SPEC`: one case of a scenario run against two
//! servers in short rounds on the same pinned CPUs, side by side (both servers up, both loads
//! over one window) or with `--alternate` one after the other; prints B/A per metric with its
//! confidence interval, writes `ab.json`, `ab.md` and `junit.xml` into the run directory, and exits 1 when a
//! gated metric of B is worse than A beyond the threshold (2 when a round could not run, when
//! more than a quarter of the rounds measured nothing, or when no regression was found but a
//! gated metric's interval is too wide to clear B: inconclusive).

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use clap::Args;

use super::console::{out, outln};
use super::exit::{cancel_on_signals, CommandResult, Reported, EXIT_ERROR, EXIT_OK};
use crate::ab::{compare, round_cases, AbReport, Judging, Metric, Plan, ServerSpec};
use crate::runner::{self, RunOptions};
use crate::scenario::{self, Case, Scenario};

/// Options of `ab`.
#[derive(Args, Debug)]
pub struct AbArgs {
    /// The scenario file; its first case (or `--case`) is compared.
    pub scenario: PathBuf,
    /// Server A, the baseline: `scenario` (the case's own server), a server peer with optional
    /// settings (`rustls`, `openssl:threads=1`, `rustls:handicap-us=30`), or
    /// `command:PROGRAM ARG ...` (placeholders {addr} {cert} {key} {client_ca} ...).
    #[arg(long, value_parser = parse_spec)]
    pub a: ServerSpec,
    /// Server B, the candidate (same forms as --a).
    #[arg(long, value_parser = parse_spec)]
    pub b: ServerSpec,
    /// The case to compare (default: the scenario's first).
    #[arg(long)]
    pub case: Option<String>,
    /// Rounds; each runs A and B once, alternating which goes first (2 to 1000). Many short
    /// rounds see more of the machine's quiet moments than a few long ones.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u64).range(2..=1000))]
    pub rounds: u64,
    /// Measured time of each side in a round.
    #[arg(long, default_value = "500ms", value_parser = parse_duration)]
    pub round: Duration,
    /// Warm-up of each side in a round (its server starts anew).
    #[arg(long, default_value = "300ms", value_parser = parse_duration)]
    pub warmup: Duration,
    /// Exit 1 when the whole 95% interval of B/A lies beyond this on the worse side (`1%`).
    #[arg(long, default_value = "1%", value_parser = parse_pct)]
    pub threshold: f64,
    /// With --alternate: each side's figure is the percentile of its rounds at this share of
    /// the best (default `10%`: the 10th percentile of CPU and latency, the 90th of hs/s).
    /// Contention only slows a round, so the best rounds are the steadiest; `50%` compares
    /// medians (1% to 50%). Side by side, the median of the rounds' own ratios is compared.
    #[arg(long, value_parser = parse_best, requires = "alternate")]
    pub best: Option<f64>,
    /// Metrics that decide the exit code, comma separated: cpu (server CPU per handshake),
    /// hs (handshakes per second), p50, p99. Every metric is reported either way.
    #[arg(long, value_delimiter = ',', default_value = "cpu", value_parser = parse_metric)]
    pub gate: Vec<Metric>,
    /// Run A and B one after the other in each round instead of side by side. Side by side
    /// (the default), both servers run at once on the server CPUs and both loads share each
    /// round's window, so a disturbance of the machine slows both alike; a case that revokes
    /// mid-run or rotates short-lived certificates runs only this way.
    #[arg(long)]
    pub alternate: bool,
    /// Seed of the bootstrap (the same figures always give the same interval).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// The run directory (default under reports/runs).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// CPUs for the servers (default on 2+ CPUs: the last one).
    #[arg(long, value_parser = super::cpus::parse_cpus)]
    pub pin_server: Option<super::cpus::CpuList>,
    /// CPUs for the harness (default on 2+ CPUs: all but the server's).
    #[arg(long, value_parser = super::cpus::parse_cpus)]
    pub pin_client: Option<super::cpus::CpuList>,
    /// Print ab.json on stdout instead of the table.
    #[arg(long)]
    pub json: bool,
    /// No progress lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

/// `--best` when `--alternate` is given without it: the best tenth of each side's rounds.
const DEFAULT_BEST: f64 = 0.1;

fn parse_spec(s: &str) -> Result<ServerSpec, String> {
    s.parse().map_err(|e: crate::ab::SpecError| e.reason)
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    let d =
        humantime::parse_duration(s).map_err(|e| format!("expected a duration like 2s: {e}"))?;
    if d.is_zero() || d > crate::scenario::MAX_DURATION {
        return Err("expected a duration above zero and at most 24h".into());
    }
    Ok(d)
}

fn parse_pct(s: &str) -> Result<f64, String> {
    let n: f64 = s
        .trim_end_matches('%')
        .parse()
        .map_err(|_| format!("expected a percentage like 5%, found \"{s}\""))?;
    if !(0.0..=1000.0).contains(&n) {
        return Err(format!("expected 0% to 1000%, found \"{s}\""));
    }
    Ok(n / 100.0)
}

fn parse_best(s: &str) -> Result<f64, String> {
    let q = parse_pct(s)?;
    if !(0.01..=0.5).contains(&q) {
        return Err(format!("expected 1% to 50%, found \"{s}\""));
    }
    Ok(q)
}

fn parse_metric(s: &str) -> Result<Metric, String> {
    s.parse()
        .map_err(|_| format!("expected cpu, hs, p50 or p99, found \"{s}\""))
}

/// Server and client CPUs: as given, else on 2+ usable CPUs the last for the servers and the
/// others for the harness.
fn pinning(args: &AbArgs) -> (Option<Vec<usize>>, Option<Vec<usize>>) {
    let given = (
        args.pin_server.clone().map(|c| c.0),
        args.pin_client.clone().map(|c| c.0),
    );
    if given.0.is_some() || given.1.is_some() {
        return given;
    }
    match crate::sys::current_affinity() {
        Ok(cpus) if cpus.len() >= 2 => {
            let (client, server) = cpus.split_at(cpus.len() - 1);
            (Some(server.to_vec()), Some(client.to_vec()))
        }
        _ => given,
    }
}

pub(super) fn ab(args: &AbArgs) -> CommandResult {
    let scenario = scenario::load(&args.scenario).map_err(|e| {
        eprintln!("{e}");
        Reported
    })?;
    let case = chosen_case(args, &scenario)?;
    let plan = Plan {
        rounds: args.rounds as usize,
        round: args.round,
        warmup: args.warmup,
    };
    if let Some(why) = runner::pair_refusal(case).filter(|_| !args.alternate) {
        eprintln!("{why}");
        return Err(Reported.into());
    }
    let mut rounds = scenario.clone();
    rounds.name = format!("{}-ab", scenario.name);
    rounds.cases = round_cases(case, &args.a, &args.b, &plan);
    let opts = run_options(args);
    runner::check(&rounds, &opts)?;
    let outcome = runner::run(&rounds, &opts)?;
    let report = compare(
        &outcome.summary,
        (&case.name, &args.a.text, &args.b.text),
        plan.rounds,
        &Judging {
            gate: args.gate.clone(),
            threshold: args.threshold,
            best: args.alternate.then_some(args.best.unwrap_or(DEFAULT_BEST)),
            seed: args.seed,
        },
    );
    let json = serde_json::to_string_pretty(&report)?;
    write_reports(&outcome.dir, &report, &json)?;
    crate::runner::note_run_files(&outcome.dir);
    let code = exit_code(outcome.summary.interrupted, &report);
    // The console last, and a closed stdout is no error: the verdict is decided above.
    if args.json {
        outln(&json);
    } else {
        out(&report.text());
        outln(&format!("results: {}", outcome.dir.display()));
    }
    Ok(code)
}

/// The case `--case` names, else the scenario's first.
fn chosen_case<'s>(args: &AbArgs, scenario: &'s Scenario) -> anyhow::Result<&'s Case> {
    Ok(match &args.case {
        Some(name) => scenario
            .cases
            .iter()
            .find(|c| &c.name == name)
            .with_context(|| {
                let names: Vec<&str> = scenario.cases.iter().map(|c| c.name.as_str()).collect();
                format!(
                    "no case \"{name}\" in {}; its cases: {}",
                    args.args_file(),
                    names.join(", ")
                )
            })?,
        None => scenario.cases.first().context("the scenario has no case")?,
    })
}

/// The options of the rounds' run: pinned as [`pinning`] says, side by side unless
/// `--alternate`.
fn run_options(args: &AbArgs) -> RunOptions {
    let mut opts = RunOptions::new(crate::peers::current_exe());
    opts.out_dir = args.out.clone();
    (opts.server_cpus, opts.client_cpus) = pinning(args);
    opts.cancel = Arc::clone(&cancel_on_signals());
    opts.quiet = args.quiet;
    opts.side_by_side = !args.alternate;
    opts
}

/// Writes `ab.json` (`json`), `ab.md` and `junit.xml` into the run directory `dir`.
fn write_reports(dir: &Path, report: &AbReport, json: &str) -> anyhow::Result<()> {
    crate::fsutil::write_atomic(&dir.join("ab.json"), json.as_bytes(), 0o644)?;
    crate::fsutil::write_atomic(&dir.join("ab.md"), report.markdown().as_bytes(), 0o644)?;
    crate::fsutil::write_atomic(&dir.join("junit.xml"), report.junit().as_bytes(), 0o644)?;
    Ok(())
}

/// 2 when the run was interrupted, a round failed or too few measured; 1 when B is worse; 2
/// when inconclusive; else 0.
fn exit_code(interrupted: bool, report: &AbReport) -> u8 {
    if interrupted || !report.failed_rounds.is_empty() || report.too_few_measured() {
        EXIT_ERROR
    } else if report.regression {
        1
    } else if report.inconclusive {
        EXIT_ERROR
    } else {
        EXIT_OK
    }
}

impl AbArgs {
    fn args_file(&self) -> String {
        self.scenario.display().to_string()
    }
}
