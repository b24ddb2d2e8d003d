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
        Some(f) => scenario::load_at(f, args.tls_version)?,
        None => {
            let (text, path) = grading_text(None, "scenarios/conformance.toml", conf::SUITE)?;
            scenario::parse_at(&text, &path, args.tls_version)?
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
    let (deviations, known) = target_deviations(args, target.as_deref(), deviations)?;
    if let (Some(t), None) = (&target, args.target_stack) {
        suggest_stack(t);
    }
    let mut opts = RunOptions::new(peers::current_exe());
    opts.out_dir = args.out.clone();
    opts.quiet = args.quiet;
    opts.cancel = cancel;
    opts.target = target;
    args.target.apply(&mut opts);
    let started = std::time::Instant::now();
    let outcome = conf::run_suite_known(&scenario, &opts, &specs, &deviations, &known)?;
    print!(
        "{}",
        conf::render_table(&outcome.rows, &outcome.suite_problems)
    );
    println!(
        "suite wall time {:.1}s; results: {} (junit.xml, conformance.json, summary.json)",
        started.elapsed().as_secs_f64(),
        outcome.run.dir.display()
    );
    if let Some(t) = &opts.target {
        let left = conf::stack::snippet(&outcome.rows, &format!("target {}", t.given));
        if !left.is_empty() {
            println!(
                "deviations of this target no list explains; if they are accepted, give them with --deviations (peer \"target\" fits it on any address):\n{left}"
            );
        }
    }
    Ok(outcome.exit_code())
}

/// The deviations a target is graded with: those of peer "target" in a `--deviations` file
/// (the shipped list describes the built-in peers, so none without one), as the target's
/// whatever its address; and those known for its `--target-stack` in the shipped list.
fn target_deviations(
    args: &ConformanceArgs,
    target: Option<&peers::Target>,
    listed: Vec<conf::Deviation>,
) -> anyhow::Result<(Vec<conf::Deviation>, Vec<conf::Deviation>)> {
    let Some(t) = target else {
        return Ok((listed, Vec::new()));
    };
    let peer = format!("target {}", t.given);
    let listed = match &args.deviations {
        None => Vec::new(),
        Some(_) => listed
            .into_iter()
            .map(|mut d| {
                if d.peer == "target" {
                    d.peer.clone_from(&peer);
                }
                d
            })
            .collect(),
    };
    let Some(stack) = args.target_stack else {
        return Ok((listed, Vec::new()));
    };
    let (text, path) = grading_text(None, "conformance/deviations.toml", conf::spec::DEVIATIONS)?;
    let shipped = conf::parse_deviations(&text, &path)?;
    Ok((
        listed,
        conf::stack::known_deviations(&shipped, stack, &peer),
    ))
}

/// Prints the stack the target's `Server:` header names, if any, and how to declare it.
fn suggest_stack(target: &peers::Target) {
    let Some(header) = target.server_header() else {
        return;
    };
    if let Some(stack) = conf::stack::guess(&header) {
        let stack = stack.name();
        println!(
            "the target answers with \"Server: {header}\": likely {stack}; give --target-stack {stack} to apply the deviations known for {stack}"
        );
    }
}
