//! `report.md` of a saved run (for a CI job summary), and what it shares with `report.html`
//! (`html.rs`): the case table's headers and cells, and the notes a reader needs.

use std::fmt::Write as _;

use super::plots::Plot;
use super::saved::{SavedCase, SavedRun};

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

fn opt(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.0}"))
}

pub(super) fn outcomes(c: &SavedCase) -> String {
    c.outcomes
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The figures of one case as table cells: hs/s, p50, p99, p99.9, server and client CPU,
/// harness memory per connection.
pub(super) fn cells(c: &SavedCase) -> [String; 7] {
    let lat = c.latency_us.or(c.rejection_latency_us);
    [
        format!("{:.0}", c.handshakes_per_sec),
        lat.map_or("-".into(), |p| ms(p.p50)),
        lat.map_or("-".into(), |p| ms(p.p99)),
        lat.map_or("-".into(), |p| ms(p.p999)),
        opt(c.server_cpu_us_per_handshake),
        opt(c.client_cpu_us_per_handshake),
        c.client_memory_per_connection_bytes
            .map_or("-".into(), |b| format!("{:.1}", b / 1024.0)),
    ]
}

pub(super) const HEADERS: [&str; 11] = [
    "case",
    "outcomes",
    "hs/s",
    "p50 ms",
    "p99 ms",
    "p99.9 ms",
    "srv cpu us/hs",
    "cli cpu us/hs",
    "KiB/conn",
    "expect",
    "met",
];

/// Notes a reader needs: client-bound throughput figures, cases that could not run.
pub fn notes(run: &SavedRun) -> Vec<String> {
    let mut notes = Vec::new();
    for c in &run.summary.cases {
        if let Some(n) = run.client_bound_note(c) {
            notes.push(format!("{}: {n}", c.name));
        }
        if let Some(e) = &c.error {
            notes.push(format!("{}: not run: {e}", c.name));
        }
    }
    if run.summary.interrupted {
        notes.push("INTERRUPTED: the run did not finish (stopped by a signal, or ended abruptly before its summary was completed); the figures cover what was measured".into());
    }
    let missing = run.summary.missing_cases();
    if !missing.is_empty() {
        notes.push(format!(
            "{} of {} cases not run (counted as not met): {}",
            missing.len(),
            run.summary.planned_count(),
            missing.join(", ")
        ));
    }
    notes
}

fn md_escape(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// `report.md`.
pub fn markdown(run: &SavedRun, plots: &[Plot]) -> String {
    let mut out = String::new();
    let met = run.summary.cases.iter().filter(|c| c.met).count();
    let _ = writeln!(
        out,
        "## mtls-harness: {} ({met}/{} cases met{})\n",
        md_escape(run.scenario()),
        run.summary.planned_count(),
        if run.summary.interrupted {
            "; INTERRUPTED"
        } else {
            ""
        }
    );
    let _ = writeln!(
        out,
        "Started {}, {} usable CPUs.\n",
        run.summary.started_at, run.summary.usable_cpus
    );
    case_table(&mut out, run);
    let revocation = super::revocation_table::markdown(&run.summary.revocation_comparison);
    if !revocation.is_empty() {
        let _ = writeln!(out, "\n{revocation}");
    }
    let notes = notes(run);
    if !notes.is_empty() {
        let _ = writeln!(out, "\n### Notes\n");
        for n in notes {
            let _ = writeln!(out, "- {}", md_escape(&n));
        }
    }
    thresholds(&mut out, run);
    not_met(&mut out, run);
    plot_links(&mut out, plots);
    out
}

/// The table of cases: one row per case, its figures and whether it met its expectation.
fn case_table(out: &mut String, run: &SavedRun) {
    let _ = writeln!(out, "| {} |", HEADERS.join(" | "));
    let _ = writeln!(
        out,
        "|{}",
        ["---|"; 2]
            .into_iter()
            .chain(["---:|"; 7])
            .chain(["---|"; 2])
            .collect::<String>()
    );
    for c in &run.summary.cases {
        let [hs, p50, p99, p999, srv, cli, mem] = cells(c);
        let _ = writeln!(
            out,
            "| {} | {} | {hs} | {p50} | {p99} | {p999} | {srv} | {cli} | {mem} | {} | {} |",
            md_escape(&c.name),
            md_escape(&outcomes(c)),
            md_escape(&c.expect_text()),
            if c.met { "yes" } else { "**NO**" }
        );
    }
}

/// The thresholds section: every gate of every case and what it found (none without gates).
fn thresholds(out: &mut String, run: &SavedRun) {
    let gates: Vec<_> = run
        .summary
        .cases
        .iter()
        .flat_map(|c| c.thresholds.iter().map(move |t| (c, t)))
        .collect();
    if !gates.is_empty() {
        let failed = gates.iter().filter(|(_, t)| t.fails()).count();
        let _ = writeln!(
            out,
            "\n### Thresholds ({failed} of {} failed)\n",
            gates.len()
        );
        let _ = writeln!(out, "| case | threshold | limit | measured | status |");
        let _ = writeln!(out, "|---|---|---:|---:|---|");
        for (c, t) in gates {
            let status = match t.status {
                super::ThresholdStatus::Kept => "kept".to_string(),
                super::ThresholdStatus::Breached => "**BREACHED**".to_string(),
                super::ThresholdStatus::NotMeasured => format!(
                    "**NOT MEASURED**: {}",
                    md_escape(t.note.as_deref().unwrap_or(""))
                ),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {status} |",
                md_escape(&c.name),
                t.threshold,
                t.limit,
                t.measured.map_or("-".into(), |m| format!("{m:.3}"))
            );
        }
    }
}

/// The cases that did not meet their expectation, each with its verdict.
fn not_met(out: &mut String, run: &SavedRun) {
    let not_met: Vec<&SavedCase> = run.summary.cases.iter().filter(|c| !c.met).collect();
    if !not_met.is_empty() {
        let _ = writeln!(out, "\n### Not met\n");
        for c in not_met {
            let _ = writeln!(
                out,
                "- **{}**: {}",
                md_escape(&c.name),
                md_escape(&c.verdict)
            );
        }
    }
}

/// Links to every plot's PNG and SVG.
fn plot_links(out: &mut String, plots: &[Plot]) {
    if !plots.is_empty() {
        let _ = writeln!(out, "\n### Plots\n");
        for p in plots {
            let _ = writeln!(
                out,
                "- [{}](plots/{}.png) ([svg](plots/{}.svg))",
                p.title, p.stem, p.stem
            );
        }
    }
}
