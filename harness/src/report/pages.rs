//! `report.md` (for a CI job summary) and `report.html` (from the template
//! `harness/templates/report.html`, plots inlined as SVG, readable offline) of a saved run.

use std::fmt::Write as _;

use super::plots::Plot;
use super::saved::{SavedCase, SavedRun};

/// The HTML template, built into the binary.
const TEMPLATE: &str = include_str!("../../templates/report.html");

fn ms(us: u64) -> String {
    format!("{:.2}", us as f64 / 1000.0)
}

fn opt(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.0}"))
}

fn outcomes(c: &SavedCase) -> String {
    c.outcomes
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The figures of one case as table cells: hs/s, p50, p99, p99.9, server and client CPU,
/// harness memory per connection.
fn cells(c: &SavedCase) -> [String; 7] {
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

const HEADERS: [&str; 11] = [
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
        notes.push("the run was interrupted; the figures cover what was measured".into());
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
        "## mtls-harness: {} ({met}/{} cases met)\n",
        md_escape(run.scenario()),
        run.summary.cases.len()
    );
    let _ = writeln!(
        out,
        "Started {}, {} usable CPUs.\n",
        run.summary.started_at, run.summary.usable_cpus
    );
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
    out
}

fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// `report.html`: the template with the table, notes and inline SVG plots filled in.
pub fn html(run: &SavedRun, plots: &[Plot]) -> String {
    let mut table = String::from("<table>\n<tr>");
    for h in HEADERS {
        let _ = write!(table, "<th>{h}</th>");
    }
    table.push_str("</tr>\n");
    for c in &run.summary.cases {
        let [hs, p50, p99, p999, srv, cli, mem] = cells(c);
        let _ = writeln!(
            table,
            "<tr><td>{}</td><td class=\"text\">{}</td><td>{hs}</td><td>{p50}</td><td>{p99}</td><td>{p999}</td><td>{srv}</td><td>{cli}</td><td>{mem}</td><td class=\"text\">{}</td><td class=\"{}\" title=\"{}\">{}</td></tr>",
            html_escape(&c.name),
            html_escape(&outcomes(c)),
            html_escape(&c.expect_text()),
            if c.met { "met" } else { "notmet" },
            html_escape(&c.verdict),
            if c.met { "yes" } else { "NO" }
        );
    }
    table.push_str("</table>");
    let notes = notes(run);
    let notes_html = if notes.is_empty() {
        String::new()
    } else {
        let items: String = notes
            .iter()
            .map(|n| format!("<li>{}</li>", html_escape(n)))
            .collect();
        format!("<h2>Notes</h2>\n<ul class=\"notes\">{items}</ul>")
    };
    let plots_html: String = plots
        .iter()
        .map(|p| {
            // The SVG document's XML declaration is not allowed inside HTML.
            let svg = p
                .svg
                .trim_start()
                .strip_prefix("<?xml")
                .and_then(|rest| rest.split_once("?>"))
                .map_or(p.svg.as_str(), |(_, body)| body);
            format!(
                "<figure>\n{svg}\n<figcaption>{} (<a href=\"plots/{}.png\">png</a>, <a href=\"plots/{}.svg\">svg</a>)</figcaption>\n</figure>\n",
                html_escape(&p.title),
                p.stem,
                p.stem
            )
        })
        .collect();
    let met = run.summary.cases.iter().filter(|c| c.met).count();
    let meta = format!(
        "Started {}; {met}/{} cases met; {} usable CPUs.",
        run.summary.started_at,
        run.summary.cases.len(),
        run.summary.usable_cpus
    );
    TEMPLATE
        .replace("{{title}}", &html_escape(run.scenario()))
        .replace("{{meta}}", &html_escape(&meta))
        .replace(
            "{{table}}",
            &(table + &super::revocation_table::html(&run.summary.revocation_comparison)),
        )
        .replace("{{notes}}", &notes_html)
        .replace("{{plots}}", &plots_html)
}
