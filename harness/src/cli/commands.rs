//! The report-side subcommands (`merge`, `report`, `compare`): each prints its result and
//! returns the exit code; what they compute is in the report crate.

use std::path::{Path, PathBuf};

use crate::report::{merge, read_hlog, render_run, IntervalLog, READ_DIGITS};
use crate::report::{resolve_baseline, CompareOptions, SavedRunError, BASELINES_DIR};

/// `mtls-harness merge LOGS... --out OUT`: writes the merged interval log to `out` and its
/// percentile distribution next to it (`.hgrm`), prints the merged figures. 0 on success, 2
/// when an input cannot be read or the output cannot be written.
pub fn merge_command(logs: &[PathBuf], out: &Path) -> u8 {
    let mut parsed = Vec::new();
    for path in logs {
        match read_hlog(path) {
            Ok(l) => parsed.push(l),
            Err(e) => {
                eprintln!("error: {e}");
                return 2;
            }
        }
    }
    for (path, log) in logs.iter().zip(&parsed) {
        if let Some(digits) = log.rebucketed_from_digits {
            eprintln!(
                "note: {}: histograms of {digits} significant digits were read as {} significant digits (counts stay exact)",
                path.display(),
                READ_DIGITS
            );
        }
    }
    let named: Vec<(String, &IntervalLog)> = logs
        .iter()
        .map(|p| p.display().to_string())
        .zip(&parsed)
        .collect();
    if let Err(e) = crate::report::check_overlap(&named) {
        eprintln!("error: {e}");
        return 2;
    }
    let merged = merge(&parsed);
    let names: Vec<String> = logs.iter().map(|p| p.display().to_string()).collect();
    let text = match merged.log_text(&format!("merged from {}", names.join(", "))) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: {e}");
            return 2;
        }
    };
    let hgrm = out.with_extension("hgrm");
    for (path, bytes) in [
        (out, text),
        (
            hgrm.as_path(),
            crate::report::render_hgrm(&merged.total).into_bytes(),
        ),
    ] {
        if let Err(e) = crate::fsutil::write_atomic(path, &bytes, 0o644) {
            eprintln!("error: writing {}: {e}", path.display());
            return 2;
        }
    }
    let h = &merged.total;
    println!(
        "merged {} logs: {} intervals of {:.3}s, {} values; p50 {:.3} ms, p99 {:.3} ms, max {:.3} ms",
        logs.len(),
        merged.slots.len(),
        merged.width_secs,
        h.len(),
        h.value_at_quantile(0.5) as f64 / 1000.0,
        h.value_at_quantile(0.99) as f64 / 1000.0,
        h.max() as f64 / 1000.0
    );
    println!("wrote {} and {}", out.display(), hgrm.display());
    0
}

/// `mtls-harness report RUN_DIR`: re-renders the run's plots and pages. 0, or 2 on error.
pub fn report_command(dir: &Path) -> u8 {
    match render_run(dir) {
        Ok(files) => {
            // Re-rendered files are the run's: a later run into `dir` may replace them.
            crate::runner::note_run_files(dir);
            incomplete_note(dir);
            println!("wrote {} files into {}:", files.len(), dir.display());
            for f in files {
                println!("  {f}");
            }
            0
        }
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    }
}

/// Says on stderr when the run in `dir` is incomplete (interrupted, or lacking cases), as its
/// pages now say.
fn incomplete_note(dir: &Path) {
    let Ok(run) = crate::report::load_run(dir) else {
        return;
    };
    let missing = run.summary.missing_cases().len();
    if run.summary.interrupted || missing > 0 {
        super::console::errln(&format!(
            "note: the run in {} is incomplete (interrupted; {missing} of {} cases not run): its reports say so and count them as not met",
            dir.display(),
            run.summary.planned_count()
        ));
    }
}

/// Compares two runs (each a run directory or a baseline name under `reports/baselines`),
/// prints the markdown, writes it to `markdown_out` when given. 0: no regression; 1: a metric
/// regressed beyond the threshold, or the candidate is incomplete (interrupted, or missing
/// cases its scenario had); 2: a run cannot be read.
pub fn compare_command(
    baseline: &str,
    candidate: &str,
    options: CompareOptions,
    markdown_out: Option<&Path>,
) -> u8 {
    let (code, text) = compare_quietly(baseline, candidate, options, markdown_out);
    if let Some(text) = text {
        super::console::out(&text);
    }
    code
}

/// [`compare_command`] without printing: its exit code and the markdown to print (none when
/// a run could not be read; the error is on stderr).
pub(super) fn compare_quietly(
    baseline: &str,
    candidate: &str,
    options: CompareOptions,
    markdown_out: Option<&Path>,
) -> (u8, Option<String>) {
    let root = Path::new(BASELINES_DIR);
    let load = |arg: &str| {
        let dir = resolve_baseline(arg, root);
        crate::report::load_run(&dir).map_err(|e| match e {
            // It is a run directory or a baseline: one of its files is refused.
            SavedRunError::Refused { .. } => e.to_string(),
            SavedRunError::Summary { .. } => format!(
                "{e} (\"{arg}\" is neither a run directory nor a baseline under {})",
                root.display()
            ),
        })
    };
    let (base, cand) = match (load(baseline), load(candidate)) {
        (Ok(b), Ok(c)) => (b, c),
        (Err(e), _) | (_, Err(e)) => {
            super::console::errln(&format!("error: {e}"));
            return (2, None);
        }
    };
    let comparison = crate::report::compare(&base, &cand, options);
    let md = comparison.markdown();
    if let Some(path) = markdown_out {
        if let Err(e) = crate::fsutil::write_atomic(path, md.as_bytes(), 0o644) {
            super::console::errln(&format!("error: writing {}: {e}", path.display()));
            return (2, Some(md));
        }
    }
    let failed = comparison.regressed() || !comparison.incomplete.is_empty();
    (u8::from(failed), Some(md))
}
