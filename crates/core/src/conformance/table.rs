//! The case x peer table printed by `mtls-harness conformance`, then every known deviation
//! with its reason and every problem that fails the suite.

use std::fmt::Write as _;

use super::grade::{Grade, Row};

/// Renders the rows as a table: one line per case, one column per peer (`*` marks a listed
/// deviation, `!` a row that fails the suite).
pub fn render(rows: &[Row], suite_problems: &[String]) -> String {
    let mut out = String::new();
    write_grid(&mut out, rows);
    write_counts(&mut out, rows);
    write_notes(&mut out, rows, suite_problems);
    out
}

/// The case x peer grid, cases and peers in the order the rows first name them.
fn write_grid(out: &mut String, rows: &[Row]) {
    let mut peers: Vec<&str> = Vec::new();
    let mut cases: Vec<&str> = Vec::new();
    for r in rows {
        if !peers.contains(&r.peer.as_str()) {
            peers.push(&r.peer);
        }
        if !cases.contains(&r.case.as_str()) {
            cases.push(&r.case);
        }
    }
    let case_w = cases.iter().map(|c| c.len()).max().unwrap_or(4).max(4);
    let col_w: Vec<usize> = peers
        .iter()
        .map(|p| {
            cases
                .iter()
                .map(|c| cell(rows, c, p).len())
                .chain([p.len()])
                .max()
                .unwrap_or(4)
        })
        .collect();
    let _ = write!(out, "{:case_w$}", "case");
    for (p, w) in peers.iter().zip(&col_w) {
        let _ = write!(out, "  {p:w$}");
    }
    out.push('\n');
    for c in &cases {
        let _ = write!(out, "{c:case_w$}");
        for (p, w) in peers.iter().zip(&col_w) {
            let _ = write!(out, "  {:w$}", cell(rows, c, p));
        }
        out.push('\n');
    }
}

/// The grid cell of `case` against `peer`: its grade and mark, or `-` when it has no row.
fn cell(rows: &[Row], case: &str, peer: &str) -> String {
    match rows.iter().find(|r| r.case == case && r.peer == peer) {
        None => "-".into(),
        Some(r) => {
            let mark = if r.problem.is_some() {
                "!"
            } else if r.known_deviation.is_some() {
                "*"
            } else {
                ""
            };
            format!("{}{mark}", r.grade.name())
        }
    }
}

/// The line counting the rows by grade.
fn write_counts(out: &mut String, rows: &[Row]) {
    let graded = rows.iter().filter(|r| r.grade != Grade::Skipped).count();
    let count = |g: Grade| rows.iter().filter(|r| r.grade == g).count();
    let _ = writeln!(
        out,
        "{graded} case x peer graded ({} pass, {} pass_alt, {} deviation, {} fail_must, {} fail_accepted_invalid, {} fail_rejected_valid, {} error); {} skipped",
        count(Grade::Pass),
        count(Grade::PassAlt),
        count(Grade::Deviation),
        count(Grade::FailMust),
        count(Grade::FailAcceptedInvalid),
        count(Grade::FailRejectedValid),
        count(Grade::Error),
        count(Grade::Skipped),
    );
}

/// Every known deviation with its reason, then every problem that fails the suite.
fn write_notes(out: &mut String, rows: &[Row], suite_problems: &[String]) {
    for r in rows.iter().filter(|r| r.known_deviation.is_some()) {
        let _ = writeln!(
            out,
            "known deviation * {} on {}: {} ({})",
            r.case,
            r.peer,
            r.observed,
            r.known_deviation.as_deref().unwrap_or_default()
        );
    }
    for r in rows.iter().filter(|r| r.problem.is_some()) {
        let _ = writeln!(
            out,
            "FAIL ! {} on {}: {}",
            r.case,
            r.peer,
            r.problem.as_deref().unwrap_or_default()
        );
    }
    for p in suite_problems {
        let _ = writeln!(out, "FAIL suite: {p}");
    }
}
