//! The interop matrix: one row per client -> server pair, one column per TLS version x
//! resumption mode; each cell says whether it worked, what was negotiated (version, suite,
//! group), whether sessions resumed, and the handshake latency. Printed by
//! `mtls-harness interop` and written as `report.md` next to `summary.json`.

use std::fmt::Write as _;

use super::summary::{CaseSummary, RunSummary};

/// One cell of the matrix.
pub struct Cell<'a> {
    /// `client -> server`.
    pub pair: String,
    /// `1.3 full`, `1.2 resumed (tickets)`, ...
    pub column: String,
    /// The case behind it.
    pub case: &'a CaseSummary,
}

fn axis<'a>(c: &'a CaseSummary, name: &str) -> Option<&'a str> {
    c.axes.get(name).map(String::as_str)
}

/// The cells of a run, in run order.
pub fn cells(summary: &RunSummary) -> Vec<Cell<'_>> {
    summary
        .cases
        .iter()
        .map(|c| {
            let version = axis(c, "tls_version")
                .map(str::to_string)
                .unwrap_or_else(|| c.tls.highest().to_string());
            let mode = match axis(c, "resumption").unwrap_or(c.tls.resumption.name()) {
                "off" => "full".to_string(),
                other => format!("resumed ({other})"),
            };
            Cell {
                pair: format!("{} -> {}", c.client, c.server),
                column: format!("{version} {mode}"),
                case: c,
            }
        })
        .collect()
}

/// What a cell shows: `ok TLSv1_3 TLS13_AES_256_GCM_SHA384 X25519 p50 1.23 ms` (plus the
/// resumption rate), `skipped: ...` or `FAIL: ...`.
pub fn cell_text(c: &CaseSummary) -> String {
    if let Some(reason) = &c.skipped {
        return format!("skipped: {reason}");
    }
    if let Some(error) = &c.error {
        return format!("FAIL: {error}");
    }
    let negotiated = c
        .negotiated
        .iter()
        .max_by_key(|n| n.count)
        .map(|n| {
            format!(
                "{} {} {}",
                n.version,
                n.cipher_suite,
                n.group.as_deref().unwrap_or("-")
            )
        })
        .unwrap_or_else(|| "-".into());
    let resumed = c
        .resumption
        .as_ref()
        .map(|r| format!(" resumed {:.0}%", r.resumed_pct))
        .unwrap_or_default();
    let p50 = c
        .latency_us
        .map(|p| format!(" p50 {:.2} ms", p.p50 as f64 / 1000.0))
        .unwrap_or_default();
    let status = if c.met { "ok" } else { "FAIL" };
    let mut text = format!("{status} {negotiated}{resumed}{p50}");
    if !c.met {
        let _ = write!(text, " ({})", c.verdict);
    }
    text
}

fn layout(cells: &[Cell<'_>]) -> (Vec<String>, Vec<String>) {
    let mut pairs: Vec<String> = Vec::new();
    let mut columns: Vec<String> = Vec::new();
    for c in cells {
        if !pairs.contains(&c.pair) {
            pairs.push(c.pair.clone());
        }
        if !columns.contains(&c.column) {
            columns.push(c.column.clone());
        }
    }
    (pairs, columns)
}

/// The matrix as Markdown (the body of `report.md`).
pub fn markdown(summary: &RunSummary) -> String {
    let cells = cells(summary);
    let (pairs, columns) = layout(&cells);
    let mut md = format!(
        "# Interop matrix: {}\n\n{}\n\nStarted {}, finished {}. Each cell: whether every handshake was accepted and negotiated what the case asked for, the most frequent negotiated version, suite and group (`-`: the client does not report it, or a resumed TLS 1.2 session had no key exchange), the resumption rate, and the median connect-to-first-byte latency.\n\n| client -> server |",
        summary.scenario.name, summary.scenario.description, summary.started_at, summary.finished_at
    );
    for col in &columns {
        let _ = write!(md, " {col} |");
    }
    md.push_str("\n|---|");
    for _ in &columns {
        md.push_str("---|");
    }
    md.push('\n');
    for pair in &pairs {
        let _ = write!(md, "| {pair} |");
        for col in &columns {
            let text = cells
                .iter()
                .find(|c| &c.pair == pair && &c.column == col)
                .map_or_else(|| "-".to_string(), |c| cell_text(c.case));
            let _ = write!(md, " {} |", text.replace('|', "/"));
        }
        md.push('\n');
    }
    let works = cells.iter().filter(|c| c.case.met).count();
    let skipped = cells.iter().filter(|c| c.case.skipped.is_some()).count();
    let _ = writeln!(
        md,
        "\n{works} of {} cells work, {skipped} skipped, {} fail.",
        cells.len(),
        cells.len() - works - skipped
    );
    md
}

/// The matrix for a terminal: one block per client -> server pair, one line per column.
pub fn text(summary: &RunSummary) -> String {
    let cells = cells(summary);
    let (pairs, columns) = layout(&cells);
    let width = columns.iter().map(String::len).max().unwrap_or(0);
    let mut out = String::new();
    for pair in &pairs {
        let _ = writeln!(out, "{pair}");
        for col in &columns {
            if let Some(c) = cells.iter().find(|c| &c.pair == pair && &c.column == col) {
                let _ = writeln!(out, "  {col:width$}  {}", cell_text(c.case));
            }
        }
    }
    let works = cells.iter().filter(|c| c.case.met).count();
    let skipped = cells.iter().filter(|c| c.case.skipped.is_some()).count();
    let _ = writeln!(
        out,
        "{works} of {} cells work, {skipped} skipped, {} fail",
        cells.len(),
        cells.len() - works - skipped
    );
    out
}
