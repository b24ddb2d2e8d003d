//! The case x peer table printed by `mtls-harness conformance`, then every known deviation
//! with its reason and every problem that fails the suite: one FAIL line per failing row,
//! except that the rows a failed sanity handshake left untrusted are one line per peer; the
//! count line says how many rows fail, so it agrees with the FAIL lines.

use std::fmt::Write as _;

use super::row::{Grade, Row};
use super::settle::untrusted;

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

/// The line counting the rows by grade (every grade word, in [`Grade::ALL`] order), and how
/// many of them fail the suite (each is named by a FAIL line below).
fn write_counts(out: &mut String, rows: &[Row]) {
    let graded = rows.iter().filter(|r| r.grade != Grade::Skipped).count();
    let count = |g: Grade| rows.iter().filter(|r| r.grade == g).count();
    let by_grade: Vec<String> = Grade::ALL
        .iter()
        .filter(|g| **g != Grade::Skipped)
        .map(|g| format!("{} {}", count(*g), g.name()))
        .collect();
    let failing = rows.iter().filter(|r| r.problem.is_some()).count();
    let _ = writeln!(
        out,
        "{graded} case x peer graded ({}); {} skipped; {failing} fail the suite",
        by_grade.join(", "),
        count(Grade::Skipped),
    );
}

/// Every known deviation with its reason, then every problem that fails the suite (with the
/// RFC's words where the row has them); the rows left untrusted by a failed sanity handshake
/// are one line per peer, naming them.
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
    let mut untrusted_rows: Vec<(&str, Vec<&str>)> = Vec::new();
    for r in rows.iter().filter(|r| r.problem.is_some()) {
        let problem = r.problem.as_deref().unwrap_or_default();
        if problem == untrusted(&r.peer) {
            match untrusted_rows.iter_mut().find(|(p, _)| *p == r.peer) {
                Some((_, cases)) => cases.push(&r.case),
                None => untrusted_rows.push((&r.peer, vec![&r.case])),
            }
            continue;
        }
        let _ = write!(out, "FAIL ! {} on {}: {problem}", r.case, r.peer);
        if let (Some(quote), Some(rfc)) = (&r.quote, &r.rfc) {
            let _ = write!(out, " [{rfc}: \"{quote}\"]");
        }
        out.push('\n');
    }
    for (peer, cases) in untrusted_rows {
        let _ = writeln!(
            out,
            "FAIL ! {} more rows on {peer}: {} ({})",
            cases.len(),
            untrusted(peer),
            cases.join(", ")
        );
    }
    for p in suite_problems {
        let _ = writeln!(out, "FAIL suite: {p}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conformance::grade::skipped_row;
    use crate::conformance::grade::tests::spec;
    use crate::conformance::spec::Strength;

    fn row(case: &str, group: &str, grade: Grade) -> Row {
        let mut spec = spec(true, None, vec![], Strength::Policy);
        spec.name = case.into();
        spec.group = group.into();
        let mut r = skipped_row(&spec, "target 127.0.0.1:1", "x");
        r.grade = grade;
        r
    }

    /// The FAIL lines name exactly the rows the count line says fail: one failed sanity
    /// handshake is one FAIL line of its own and one line for the rows it leaves untrusted,
    /// none for a skipped row.
    #[test]
    fn fail_lines_agree_with_the_count_line() {
        let mut rows = vec![
            row("sanity-first", "sanity", Grade::Error),
            row("b1-unknown-ca", "B", Grade::Pass),
            row("b3-expired", "B", Grade::Pass),
            row("c1-valid-with-crl", "C", Grade::Skipped),
        ];
        crate::conformance::settle(&mut rows, &[]);
        let text = render(&rows, &[]);
        let fails: Vec<&str> = text.lines().filter(|l| l.starts_with("FAIL")).collect();
        assert_eq!(fails.len(), 2, "{text}");
        assert!(
            fails[1].starts_with("FAIL ! 2 more rows on target"),
            "{text}"
        );
        assert!(!text.contains("c1-valid-with-crl on"), "{text}");
        assert!(text.contains("; 1 skipped; 3 fail the suite"), "{text}");
        assert!(text.contains("0 not_requested"), "{text}");
    }
}
