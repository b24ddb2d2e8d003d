//! `mtls-harness interop`: runs the interop matrix (a given scenario or the built-in one),
//! grades its cells against the known findings (a given file or the built-in
//! `conformance/interop-findings.toml`), prints it as a matrix and writes report.md and
//! interop.json next to summary.json.

use super::args::InteropArgs;
use super::exit::{cancel_on_signals, grading_text, CommandResult};
use crate::conformance::interop as grading;
use crate::peers;
use crate::report::interop;
use crate::runner::{self, RunOptions};
use crate::scenario;

/// The interop matrix scenario built into the binary.
pub const INTEROP_SCENARIO: &str = include_str!("../../../scenarios/interop.toml");

pub(super) fn interop(args: &InteropArgs) -> CommandResult {
    let mut scenario = match &args.file {
        Some(f) => scenario::load(f)?,
        None => {
            let (text, path) = grading_text(None, "scenarios/interop.toml", INTEROP_SCENARIO)?;
            scenario::parse(&text, &path)?
        }
    };
    let (text, path) = grading_text(
        args.findings.as_deref(),
        "conformance/interop-findings.toml",
        grading::FINDINGS,
    )?;
    let findings = grading::parse_findings(&text, &path)?;
    let target = args.target.target()?;
    if target.is_some() {
        // One server, the target: the server axis would only repeat each client's cells.
        let first = scenario.cases.first().map(|c| c.server);
        scenario.cases.retain(|c| Some(c.server) == first);
    }
    super::target_pki::prepare(&mut scenario, &args.target)?;
    let cancel = cancel_on_signals();
    let mut opts = RunOptions::new(peers::current_exe());
    opts.target = target;
    args.target.apply(&mut opts);
    opts.out_dir = args.out.clone();
    opts.quiet = args.quiet;
    opts.cancel = cancel;
    let outcome = runner::run(&scenario, &opts)?;
    let graded = grading::grade_cells(interop::cells(&outcome.summary), &findings);
    print!("{}", interop::text(&graded));
    let md = interop::markdown(&outcome.summary, &graded);
    let json = grading::to_json(&graded)?;
    for (name, body) in [("report.md", md), ("interop.json", json)] {
        let file = outcome.dir.join(name);
        if let Err(e) = crate::fsutil::write_atomic(&file, body.as_bytes(), 0o644) {
            anyhow::bail!("writing {}: {e}", file.display());
        }
    }
    runner::note_run_files(&outcome.dir);
    println!(
        "results: {} (report.md, interop.json, summary.json)",
        outcome.dir.display()
    );
    // 2: interrupted, or a case could not run; 1: a cell fails (a listed finding that no
    // longer happens as listed included); 0: every cell works, is skipped or a known finding.
    Ok(match outcome.exit_code() {
        2 => 2,
        _ if graded.iter().all(|g| g.grade.passes()) => 0,
        _ => 1,
    })
}
