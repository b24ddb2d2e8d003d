//! The interop matrix end to end: the shipped scenarios/interop.toml (clients x real server
//! processes x TLS 1.2/1.3 x full/resumed), every cell that can run works and negotiates what
//! it asked for or is a known finding seen exactly as listed, and report.md holds the matrix
//! and the findings.

use std::path::Path;

use mtls_harness::conformance::interop as grading;
use mtls_harness::report::interop::{self, CellGrade};

use super::support::{assert_no_process_mentions, repo_root, run_in};

/// Asserts what every cell of the shipped matrix must show: skipped only where a process client
/// cannot carry a session, a listed finding seen exactly as listed, or working at the version
/// it asks for with every offered session resumed.
pub(super) fn assert_cell(g: &interop::Graded<'_>) {
    let (cell, c) = (&g.cell, g.cell.case);
    if let Some(reason) = &c.skipped {
        // curl and gnutls-cli cannot carry a session from one process to the next.
        assert!(
            matches!(c.client.as_str(), "curl" | "gnutls-cli") && cell.column.contains("resumed"),
            "{} {}: {reason}",
            cell.pair,
            cell.column
        );
        return;
    }
    if let CellGrade::Known { .. } = g.grade {
        // The findings of conformance/interop-findings.toml, each seen exactly as listed
        // (node's server issues no ticket after a resumed TLS 1.3 handshake; JSSE drops
        // Go's TLS 1.2 tickets): every handshake accepted.
        assert_eq!(c.outcomes.len(), 1, "{}", c.verdict);
        assert!(c.outcomes.contains_key("accepted"), "{}", c.verdict);
        return;
    }
    assert_eq!(g.grade, CellGrade::Works, "{} {}", cell.pair, cell.column);
    assert!(c.met, "{} {}: {}", cell.pair, cell.column, c.verdict);
    let version = if cell.column.starts_with("1.2") {
        "TLSv1_2"
    } else {
        "TLSv1_3"
    };
    assert!(
        c.negotiated.iter().all(|n| n.version == version),
        "{} {}",
        cell.pair,
        cell.column
    );
    if cell.column.contains("resumed") {
        let r = c.resumption.as_ref().unwrap();
        // Every offered session resumed. A process client's first process has no session
        // yet (no warm-up for them); the in-process clients primed theirs in the warm-up.
        assert_eq!(r.missed, 0, "{} {}", cell.pair, cell.column);
        // (The go and java clients keep one process per case, but do no warm-up either.)
        let want = if matches!(c.client.as_str(), "rustls" | "openssl") {
            100.0
        } else {
            95.0
        };
        assert_eq!(r.resumed_pct, want, "{} {}", cell.pair, cell.column);
    }
}

#[test]
fn shipped_matrix_works_and_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let s = mtls_harness::scenario::load(&repo_root().join("scenarios/interop.toml")).unwrap();
    let out = run_in(&s, dir.path());
    let findings = grading::parse_findings(grading::FINDINGS, Path::new("f.toml")).unwrap();
    let graded = grading::grade_cells(interop::cells(&out.summary), &findings);
    assert_eq!(graded.len(), 320);
    for g in &graded {
        assert_cell(g);
    }
    let known = graded
        .iter()
        .filter(|g| matches!(g.grade, CellGrade::Known { .. }))
        .count();
    assert_eq!(known, findings.len(), "every listed finding seen");
    // interop.json is a contract: it matches the committed schema.
    super::schema::assert_matches(
        "interop.schema.json",
        &serde_json::from_str(&grading::to_json(&graded).unwrap()).unwrap(),
    );
    let md = interop::markdown(&out.summary, &graded);
    assert!(md.contains("| rustls -> nginx |"), "{md}");
    assert!(md.contains("| 1.2 full | 1.2 resumed (tickets) | 1.3 full | 1.3 resumed (tickets) |"));
    assert!(
        md.contains(&format!(
            "cells work, {known} known findings, 40 skipped, 0 fail"
        )),
        "{md}"
    );
    assert!(md.contains("## Known findings"), "{md}");
    assert_no_process_mentions(dir.path());
}

/// `interop --findings`: a listed finding whose cell works fails the matrix (exit 1, saying
/// to remove it), interop.json grades every cell, and a bad findings file is exit 2 naming the
/// file, the entry and what was expected, before anything runs.
#[test]
fn a_stale_finding_fails_the_matrix_and_a_bad_findings_file_is_exit_2() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &str| std::fs::write(dir.path().join(name), text).unwrap();
    write(
        "m.toml",
        r#"version = 1
name = "m"
[pki]
identities = 2
[defaults]
load = { concurrency = 1, handshakes = 6, warmup = "200ms", timeout = "5s" }
[matrix]
tls_version = ["1.3"]
resumption = ["off", "tickets"]
[[case]]
name = "m"
"#,
    );
    let finding = r#"[[finding]]
client = "rustls"
server = "rustls"
tls_version = "1.3"
resumption = "tickets"
observed = "no-resumption"
reason = "a finding the built-in pair does not have"
"#;
    write("stale.toml", finding);
    write(
        "bad.toml",
        &finding.replace("\"no-resumption\"", "\"never\""),
    );
    let interop = |findings: &str, out: &str| {
        Command::new(super::support::harness_exe())
            .args([
                "interop",
                "m.toml",
                "-q",
                "--out",
                out,
                "--findings",
                findings,
            ])
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let out = interop("bad.toml", "bad");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.toml: finding[1].observed: expected \"no-resumption\""),
        "{stderr}"
    );
    assert!(!dir.path().join("bad").exists());
    let out = interop("stale.toml", "stale");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("1 of 2 cells work, 0 known findings, 0 skipped, 1 fail"),
        "{stdout}"
    );
    assert!(stdout.contains("the cell works now; remove it"), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("stale/interop.json")).unwrap(),
    )
    .unwrap();
    let grades: Vec<&str> = json["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["grade"].as_str().unwrap())
        .collect();
    assert_eq!(grades, ["works", "fails"]);
    super::schema::assert_matches("interop.schema.json", &json);
    // Without the finding, the same matrix passes.
    write("none.toml", "");
    assert_eq!(interop("none.toml", "none").status.code(), Some(0));
}
