//! `mtls-harness interop`: runs the interop matrix (a given scenario or the built-in one),
//! prints it as a matrix and writes report.md next to summary.json.

use super::{cancel_on_signals, grading_text, CommandResult, InteropArgs};
use crate::peers;
use crate::runner::{self, RunOptions};
use crate::scenario;

/// The interop matrix scenario built into the binary.
pub const INTEROP_SCENARIO: &str = include_str!("../../../scenarios/interop.toml");

pub(super) fn interop(args: &InteropArgs) -> CommandResult {
    let scenario = match &args.file {
        Some(f) => scenario::load(f)?,
        None => {
            let (text, path) = grading_text(None, "scenarios/interop.toml", INTEROP_SCENARIO)?;
            scenario::parse(&text, &path)?
        }
    };
    let cancel = cancel_on_signals();
    let mut opts = RunOptions::new(peers::current_exe());
    opts.out_dir = args.out.clone();
    opts.quiet = args.quiet;
    opts.cancel = cancel;
    let outcome = runner::run(&scenario, &opts)?;
    print!("{}", crate::report::interop::text(&outcome.summary));
    let report = outcome.dir.join("report.md");
    let md = crate::report::interop::markdown(&outcome.summary);
    if let Err(e) = crate::fsutil::write_atomic(&report, md.as_bytes(), 0o644) {
        anyhow::bail!("writing {}: {e}", report.display());
    }
    println!(
        "results: {} (report.md, summary.json)",
        outcome.dir.display()
    );
    Ok(outcome.exit_code())
}
