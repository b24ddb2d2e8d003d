//! `mtls-harness conformance`: loads the suite, the expectations and the deviations (given
//! files or the built-in ones), runs the suite against every server peer or an external
//! target, prints the graded table and says where junit.xml and conformance.json went.

use super::args::ConformanceArgs;
use super::exit::{cancel_on_signals, grading_text, CommandResult};
use crate::conformance as conf;
use crate::peers;
use crate::runner::RunOptions;
use crate::scenario;

pub(super) fn conformance(args: &ConformanceArgs) -> CommandResult {
    let mut scenario = match &args.file {
        Some(f) => scenario::load(f)?,
        None => {
            let (text, path) = grading_text(None, "scenarios/conformance.toml", conf::SUITE)?;
            scenario::parse(&text, &path)?
        }
    };
    let (text, path) = grading_text(
        args.expectations.as_deref(),
        "conformance/expectations.toml",
        conf::spec::EXPECTATIONS,
    )?;
    let specs = conf::parse_expectations(&text, &path)?;
    let (text, path) = grading_text(
        args.deviations.as_deref(),
        "conformance/deviations.toml",
        conf::spec::DEVIATIONS,
    )?;
    let deviations = conf::parse_deviations(&text, &path)?;
    let target = args.target.target()?;
    super::target_pki::prepare(&mut scenario, &args.target)?;
    let cancel = cancel_on_signals();
    // The shipped deviations describe the built-in peers; an external server starts with none
    // (give --deviations to list its own, as peer "target").
    let deviations = match &target {
        Some(_) if args.deviations.is_none() => Vec::new(),
        // A listed deviation of peer "target" is the external server's, whatever its address.
        Some(t) => deviations
            .into_iter()
            .map(|mut d| {
                if d.peer == "target" {
                    d.peer = format!("target {}", t.given);
                }
                d
            })
            .collect(),
        None => deviations,
    };
    let mut opts = RunOptions::new(peers::current_exe());
    opts.out_dir = args.out.clone();
    opts.quiet = args.quiet;
    opts.cancel = cancel;
    opts.target = target;
    args.target.apply(&mut opts);
    let started = std::time::Instant::now();
    let outcome = conf::run_suite(&scenario, &opts, &specs, &deviations)?;
    print!(
        "{}",
        conf::render_table(&outcome.rows, &outcome.suite_problems)
    );
    println!(
        "suite wall time {:.1}s; results: {} (junit.xml, conformance.json, summary.json)",
        started.elapsed().as_secs_f64(),
        outcome.run.dir.display()
    );
    Ok(outcome.exit_code())
}
