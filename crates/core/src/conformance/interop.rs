//! The interop matrix's grading: the known findings of the stacks
//! (`conformance/interop-findings.toml`, each naming its cell, what the cell shows and why) and
//! the grade of every cell (`report::interop::CellGrade`). A cell works when every handshake
//! was accepted and negotiated what it asked for and, in a resumed column, at most one
//! handshake was a full one (a client with no session yet at its start). A listed finding
//! passes only when its cell shows exactly what it lists; one whose cell works now, or fails
//! in another way, fails the matrix, so the list cannot go stale.

use std::path::Path;

use serde::Serialize;

use super::spec::{read_data, Entry, SpecError};
use crate::report::interop::{Cell, CellGrade, Graded};
use crate::report::CaseSummary;
use crate::scenario::{ClientImpl, Reader, ResumptionMode, ServerImpl, TlsVersion};

/// The known findings shipped with the binary (`conformance/interop-findings.toml`).
pub const FINDINGS: &str = include_str!("../../../../conformance/interop-findings.toml");

/// What a finding's cell shows, every handshake accepted at the cell's version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "kebab-case")]
#[strum(serialize_all = "kebab-case")]
pub enum Observed {
    /// No handshake resumed.
    NoResumption,
    /// Some resumed, and more than one handshake was a full one.
    PartialResumption,
}

/// One known finding.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// The client peer.
    pub client: String,
    /// The server peer.
    pub server: String,
    /// `1.2` or `1.3`.
    pub tls_version: String,
    /// `off`, `session-id` or `tickets`.
    pub resumption: String,
    /// What the cell shows.
    pub observed: Observed,
    /// Why.
    pub reason: String,
}

impl Finding {
    fn names(&self, cell: &Cell<'_>) -> bool {
        self.client == cell.case.client
            && self.server == cell.case.server
            && self.tls_version == cell.version
            && self.resumption == cell.resumption
    }
}

/// The keys of a finding.
const FINDING_KEYS: &[&str] = &[
    "client",
    "server",
    "tls_version",
    "resumption",
    "observed",
    "reason",
];

/// Parses a findings file.
///
/// # Errors
/// Every problem, each with file, entry, line and what was expected.
pub fn parse_findings(text: &str, file: &Path) -> Result<Vec<Finding>, SpecError> {
    read_data(text, file, |r, doc| {
        let mut out: Vec<Finding> = Vec::new();
        for (table, path) in r.tables(doc.as_table(), "finding") {
            let e = Entry { table, path };
            let Some(finding) = finding(r, &e) else {
                continue;
            };
            let cell = |f: &Finding| {
                (&f.client, &f.server, &f.tls_version, &f.resumption)
                    == (
                        &finding.client,
                        &finding.server,
                        &finding.tls_version,
                        &finding.resumption,
                    )
            };
            if out.iter().any(cell) {
                e.problem(
                    r,
                    "client",
                    "expected one finding per cell; an earlier entry names the same cell".into(),
                );
                continue;
            }
            out.push(finding);
        }
        out
    })
}

/// One `[[finding]]`: `None` when it has a problem (recorded).
fn finding(r: &mut Reader<'_>, e: &Entry<'_>) -> Option<Finding> {
    r.check_keys(e.table, &e.path, FINDING_KEYS);
    let client = e.named::<ClientImpl>(r, "client");
    let server = e.named::<ServerImpl>(r, "server");
    let tls_version = e.named::<TlsVersion>(r, "tls_version");
    let resumption = e.named::<ResumptionMode>(r, "resumption");
    let observed = match e.required(r, "observed").as_deref() {
        Some("no-resumption") => Some(Observed::NoResumption),
        Some("partial-resumption") => Some(Observed::PartialResumption),
        Some(other) => {
            e.problem(
                r,
                "observed",
                format!("expected \"no-resumption\" or \"partial-resumption\", found \"{other}\""),
            );
            None
        }
        None => None,
    };
    if let (Some("off"), Some(observed)) = (resumption.as_deref(), observed) {
        e.problem(
            r,
            "resumption",
            format!(
                "expected a resuming mode: \"{}\" needs resumption",
                <&str>::from(observed)
            ),
        );
        return None;
    }
    let reason = e.reason(r);
    Some(Finding {
        client: client?,
        server: server?,
        tls_version: tls_version?,
        resumption: resumption?,
        observed: observed?,
        reason: reason?,
    })
}

/// Every handshake accepted, at the cell's version: the ground a resumption finding stands on.
fn accepted_at_version(cell: &Cell<'_>) -> Result<u64, String> {
    let c = cell.case;
    let accepted = c.outcomes.get("accepted").copied().unwrap_or(0);
    if accepted == 0 || c.outcomes.len() != 1 {
        return Err(format!("not every handshake was accepted: {}", c.verdict));
    }
    let want = format!("TLSv{}", cell.version.replace('.', "_"));
    if let Some(n) = c.negotiated.iter().find(|n| n.version != want) {
        return Err(format!("{} handshakes negotiated {}", n.count, n.version));
    }
    Ok(accepted)
}

/// How resumption went in a resumed column: `None` when it worked (at most one full
/// handshake), else what the cell shows.
fn resumption_shortfall(case: &CaseSummary, accepted: u64) -> Option<(Observed, String)> {
    let r = case.resumption.as_ref()?;
    let full = accepted.saturating_sub(r.resumed);
    let mut what = format!(
        "{} of {accepted} handshakes resumed ({} offered a session, {} of those did not resume",
        r.resumed, r.offered, r.missed
    );
    if r.no_session > 0 {
        what.push_str(&format!("; {} had no session to offer", r.no_session));
    }
    what.push(')');
    match (r.resumed, full) {
        (_, 0 | 1) => None,
        (0, _) => Some((Observed::NoResumption, what)),
        _ => Some((Observed::PartialResumption, what)),
    }
}

/// The grade of one cell under `findings`.
pub fn grade_cell(cell: &Cell<'_>, findings: &[Finding]) -> CellGrade {
    let c = cell.case;
    if let Some(reason) = &c.skipped {
        return CellGrade::Skipped {
            reason: reason.clone(),
        };
    }
    if let Some(error) = &c.error {
        return CellGrade::Fails { why: error.clone() };
    }
    let listed = findings.iter().find(|f| f.names(cell));
    let ground = accepted_at_version(cell);
    let shortfall = match &ground {
        Ok(accepted) if cell.resumption != "off" => resumption_shortfall(c, *accepted),
        _ => None,
    };
    match (listed, shortfall) {
        (None, None) if c.met => CellGrade::Works,
        (None, None) => CellGrade::Fails {
            why: c.verdict.clone(),
        },
        (None, Some((observed, what))) => CellGrade::Fails {
            why: format!("{}: {what}", <&str>::from(observed)),
        },
        (Some(f), None) if c.met => CellGrade::Fails {
            why: format!(
                "listed as a known finding ({}), but the cell works now; remove it from the findings",
                <&str>::from(f.observed)
            ),
        },
        (Some(f), found) => match (ground, found) {
            (Err(why), _) => CellGrade::Fails {
                why: format!(
                    "listed as a known finding ({}), but {why}",
                    <&str>::from(f.observed)
                ),
            },
            (Ok(_), Some((observed, _))) if observed == f.observed => CellGrade::Known {
                observed: <&str>::from(observed).to_string(),
                reason: f.reason.clone(),
            },
            (Ok(_), other) => CellGrade::Fails {
                why: format!(
                    "listed as a known finding ({}), but the cell shows {}: {}",
                    <&str>::from(f.observed),
                    other.map_or("no resumption shortfall", |(o, _)| <&str>::from(o)),
                    c.verdict
                ),
            },
        },
    }
}

/// Every cell of `cells` graded under `findings`.
pub fn grade_cells<'a>(cells: Vec<Cell<'a>>, findings: &[Finding]) -> Vec<Graded<'a>> {
    cells
        .into_iter()
        .map(|cell| {
            let grade = grade_cell(&cell, findings);
            Graded { cell, grade }
        })
        .collect()
}

/// One cell of `interop.json`.
#[derive(Serialize)]
struct JsonCell<'a> {
    client: &'a str,
    server: &'a str,
    tls_version: &'a str,
    resumption: &'a str,
    #[serde(flatten)]
    grade: &'a CellGrade,
}

/// `interop.json`: every cell's keys and grade (its figures are in `summary.json`).
///
/// # Errors
/// Never for these types; serde_json's error otherwise.
pub fn to_json(graded: &[Graded<'_>]) -> serde_json::Result<String> {
    let cells: Vec<JsonCell<'_>> = graded
        .iter()
        .map(|g| JsonCell {
            client: &g.cell.case.client,
            server: &g.cell.case.server,
            tls_version: &g.cell.version,
            resumption: &g.cell.resumption,
            grade: &g.grade,
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "cells": cells }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::{NegotiatedCount, ResumptionSummary};

    const ONE: &str = r#"
[[finding]]
client = "rustls"
server = "node"
tls_version = "1.3"
resumption = "tickets"
observed = "partial-resumption"
reason = "node sends no ticket after a resumed handshake"
"#;

    fn findings(text: &str) -> Result<Vec<Finding>, SpecError> {
        parse_findings(text, Path::new("f.toml"))
    }

    /// A rustls -> node TLS 1.3 tickets case: `accepted` handshakes, `resumed` of them
    /// resumed, `offered` offered a session; met as the runner would judge it (no missed
    /// resumption).
    fn case(accepted: u64, refused: u64, offered: u64, resumed: u64) -> CaseSummary {
        let text = "version = 1\n[[case]]\nname = \"x\"\nclient = \"rustls\"\nserver = \"node\"\ntls = { versions = [\"1.3\"], resumption = \"tickets\" }\n";
        let case = crate::scenario::parse(text, Path::new("t.toml"))
            .unwrap()
            .cases
            .remove(0);
        let mut c = CaseSummary::planned(&case);
        c.outcomes.insert("accepted".into(), accepted);
        if refused > 0 {
            c.outcomes.insert("unknown_ca".into(), refused);
        }
        c.attempts = accepted + refused;
        let missed = offered - resumed;
        c.met = refused == 0 && missed == 0;
        c.verdict = format!("all {accepted} accepted; {missed} did not resume");
        c.negotiated = vec![NegotiatedCount {
            version: "TLSv1_3".into(),
            cipher_suite: "TLS13_AES_256_GCM_SHA384".into(),
            group: Some("X25519".into()),
            resumed: false,
            count: accepted,
        }];
        c.resumption = Some(ResumptionSummary {
            mode: "tickets".into(),
            offered,
            resumed,
            missed,
            unplanned: 0,
            no_session: 0,
            resumed_pct: 100.0 * resumed as f64 / accepted.max(1) as f64,
        });
        c
    }

    fn graded(c: CaseSummary, findings: &[Finding]) -> CellGrade {
        let cell = Cell {
            pair: "rustls -> node".into(),
            column: "1.3 resumed (tickets)".into(),
            version: "1.3".into(),
            resumption: "tickets".into(),
            case: &c,
        };
        grade_cell(&cell, findings)
    }

    #[test]
    fn a_bad_findings_file_names_the_entry_and_what_was_expected() {
        let bad = |from: &str, to: &str| findings(&ONE.replace(from, to)).unwrap_err().to_string();
        let e = bad("client = \"rustls\"", "client = \"rustsl\"");
        assert!(e.starts_with("f.toml: finding[1].client: expected"), "{e}");
        let e = bad("\"partial-resumption\"", "\"slow\"");
        assert!(
            e.contains("finding[1].observed: expected \"no-resumption\""),
            "{e}"
        );
        let e = bad("resumption = \"tickets\"", "resumption = \"off\"");
        assert!(
            e.contains("finding[1].resumption: expected a resuming mode"),
            "{e}"
        );
        let e = bad(
            "reason = \"node sends no ticket after a resumed handshake\"",
            "reason = \" \"",
        );
        assert!(e.contains("finding[1].reason"), "{e}");
        let e = bad("observed", "seen");
        assert!(e.contains("finding[1].seen: unknown key"), "{e}");
        let twice = format!("{ONE}{ONE}");
        let e = findings(&twice).unwrap_err().to_string();
        assert!(e.contains("finding[2]") && e.contains("same cell"), "{e}");
        assert_eq!(findings(ONE).unwrap().len(), 1);
    }

    #[test]
    fn the_shipped_findings_parse() {
        let f = parse_findings(FINDINGS, Path::new("interop-findings.toml")).unwrap();
        assert!(f.iter().any(|f| f.client == "java" && f.server == "go"));
    }

    #[test]
    fn a_listed_finding_passes_only_as_listed() {
        let listed = findings(ONE).unwrap();
        // 13 of 20 resumed, 7 offered sessions missed: as listed.
        let g = graded(case(20, 0, 20, 13), &listed);
        assert!(
            matches!(&g, CellGrade::Known { observed, .. } if observed == "partial-resumption"),
            "{g:?}"
        );
        // The same without the finding fails.
        let g = graded(case(20, 0, 20, 13), &[]);
        assert!(
            matches!(&g, CellGrade::Fails { why } if why.starts_with("partial-resumption")),
            "{g:?}"
        );
        // It works now: the finding is stale.
        let g = graded(case(20, 0, 20, 20), &listed);
        assert!(
            matches!(&g, CellGrade::Fails { why } if why.contains("works now")),
            "{g:?}"
        );
        // Listed as partial, but nothing resumed.
        let g = graded(case(20, 0, 20, 0), &listed);
        assert!(
            matches!(&g, CellGrade::Fails { why } if why.contains("shows no-resumption")),
            "{g:?}"
        );
        // Listed, but handshakes were refused too: not the finding's cause.
        let g = graded(case(16, 4, 16, 10), &listed);
        assert!(
            matches!(&g, CellGrade::Fails { why } if why.contains("not every handshake was accepted")),
            "{g:?}"
        );
    }

    #[test]
    fn a_met_cell_that_seldom_resumed_does_not_work() {
        // The client offered a session only 14 times in 20 (it had none to offer), and every
        // offer resumed: the runner's check is met, the matrix's is not.
        let g = graded(case(20, 0, 14, 14), &[]);
        assert!(
            matches!(&g, CellGrade::Fails { why } if why.contains("14 of 20 handshakes resumed")),
            "{g:?}"
        );
        // One full handshake (a client without a session at its start) works.
        assert_eq!(graded(case(20, 0, 19, 19), &[]), CellGrade::Works);
    }
}
