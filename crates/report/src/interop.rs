//! The interop matrix: one row per client -> server pair, one column per TLS version x
//! resumption mode; each cell says whether it worked (or is a listed finding, or fails), what
//! was negotiated (version, suite, group), the resumption rate, and the handshake latency.
//! Printed by `mtls-harness interop` and written as `report.md` next to `summary.json`. The
//! grade of each cell comes from `conformance::interop`; this file only renders.

use std::fmt::Write as _;

use serde::Serialize;

use super::summary::{CaseSummary, RunSummary};

/// One cell of the matrix.
pub struct Cell<'a> {
    /// `client -> server`.
    pub pair: String,
    /// `1.3 full`, `1.2 resumed (tickets)`, ...
    pub column: String,
    /// The TLS version the cell asks for (`1.2`, `1.3`).
    pub version: String,
    /// Its resumption mode (`off`, `session-id`, `tickets`).
    pub resumption: String,
    /// The case behind it.
    pub case: &'a CaseSummary,
}

/// What a cell came to.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "grade", rename_all = "snake_case")]
pub enum CellGrade {
    /// Every handshake accepted, negotiated as asked, and resumed where the cell resumes.
    Works,
    /// The cell could not run here.
    Skipped {
        /// Why.
        reason: String,
    },
    /// A listed finding, observed exactly as listed.
    Known {
        /// What the cell shows (`partial-resumption`, ...).
        observed: String,
        /// Why, from the findings file.
        reason: String,
    },
    /// It does not work, or a listed finding no longer happens as listed.
    Fails {
        /// Why.
        why: String,
    },
}

impl CellGrade {
    /// Whether the cell leaves the matrix passing.
    pub fn passes(&self) -> bool {
        !matches!(self, CellGrade::Fails { .. })
    }
}

/// A cell and its grade.
pub struct Graded<'a> {
    /// The cell.
    pub cell: Cell<'a>,
    /// Its grade.
    pub grade: CellGrade,
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
            let resumption = axis(c, "resumption")
                .unwrap_or(c.tls.resumption.name())
                .to_string();
            let mode = match resumption.as_str() {
                "off" => "full".to_string(),
                other => format!("resumed ({other})"),
            };
            Cell {
                pair: format!("{} -> {}", c.client, c.server),
                column: format!("{version} {mode}"),
                version,
                resumption,
                case: c,
            }
        })
        .collect()
}

/// What a cell shows: `ok TLSv1_3 TLS13_AES_256_GCM_SHA384 X25519 p50 1.23 ms` (plus the
/// resumption rate), `known (partial-resumption) ...`, `skipped: ...` or `FAIL ... (why)`.
pub fn cell_text(c: &CaseSummary, grade: &CellGrade) -> String {
    let status = match grade {
        CellGrade::Skipped { reason } => return format!("skipped: {reason}"),
        CellGrade::Fails { why } if c.error.is_some() => return format!("FAIL: {why}"),
        CellGrade::Works => "ok".to_string(),
        CellGrade::Known { observed, .. } => format!("known ({observed})"),
        CellGrade::Fails { .. } => "FAIL".to_string(),
    };
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
    let mut text = format!("{status} {negotiated}{resumed}{p50}");
    if let CellGrade::Fails { why } = grade {
        let _ = write!(text, " ({why})");
    }
    text
}

fn layout(graded: &[Graded<'_>]) -> (Vec<String>, Vec<String>) {
    let mut pairs: Vec<String> = Vec::new();
    let mut columns: Vec<String> = Vec::new();
    for g in graded {
        if !pairs.contains(&g.cell.pair) {
            pairs.push(g.cell.pair.clone());
        }
        if !columns.contains(&g.cell.column) {
            columns.push(g.cell.column.clone());
        }
    }
    (pairs, columns)
}

fn find<'g, 'a>(graded: &'g [Graded<'a>], pair: &str, column: &str) -> Option<&'g Graded<'a>> {
    graded
        .iter()
        .find(|g| g.cell.pair == pair && g.cell.column == column)
}

/// `221 of 256 cells work, 4 known findings, 31 skipped, 0 fail`.
pub fn count_line(graded: &[Graded<'_>]) -> String {
    let count = |f: &dyn Fn(&CellGrade) -> bool| graded.iter().filter(|g| f(&g.grade)).count();
    format!(
        "{} of {} cells work, {} known findings, {} skipped, {} fail",
        count(&|g| *g == CellGrade::Works),
        graded.len(),
        count(&|g| matches!(g, CellGrade::Known { .. })),
        count(&|g| matches!(g, CellGrade::Skipped { .. })),
        count(&|g| !g.passes()),
    )
}

/// The matrix as Markdown (the body of `report.md`), then the known findings with their
/// reasons.
pub fn markdown(summary: &RunSummary, graded: &[Graded<'_>]) -> String {
    let (pairs, columns) = layout(graded);
    let mut md = format!(
        "# Interop matrix: {}\n\n{}\n\nStarted {}, finished {}. Each cell: whether every handshake was accepted, negotiated what the case asked for and (in a resumed column) resumed, or is a known finding of the stacks (listed below with its reason); the most frequent negotiated version, suite and group (`-`: the client does not report it, or a resumed TLS 1.2 session had no key exchange), the resumption rate, and the median connect-to-first-byte latency.\n\n| client -> server |",
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
            let text = find(graded, pair, col)
                .map_or_else(|| "-".to_string(), |g| cell_text(g.cell.case, &g.grade));
            let _ = write!(md, " {} |", text.replace('|', "/"));
        }
        md.push('\n');
    }
    let _ = writeln!(md, "\n{}.", count_line(graded));
    let known: Vec<&Graded<'_>> = graded
        .iter()
        .filter(|g| matches!(g.grade, CellGrade::Known { .. }))
        .collect();
    if !known.is_empty() {
        md.push_str("\n## Known findings\n\n");
        for g in known {
            if let CellGrade::Known { observed, reason } = &g.grade {
                let _ = writeln!(
                    md,
                    "- **{} {}** ({observed}): {reason}",
                    g.cell.pair, g.cell.column
                );
            }
        }
    }
    md
}

/// The matrix for a terminal: one block per client -> server pair, one line per column.
pub fn text(graded: &[Graded<'_>]) -> String {
    let (pairs, columns) = layout(graded);
    let width = columns.iter().map(String::len).max().unwrap_or(0);
    let mut out = String::new();
    for pair in &pairs {
        let _ = writeln!(out, "{pair}");
        for col in &columns {
            if let Some(g) = find(graded, pair, col) {
                let _ = writeln!(out, "  {col:width$}  {}", cell_text(g.cell.case, &g.grade));
            }
        }
    }
    let _ = writeln!(out, "{}", count_line(graded));
    out
}
