//! What a PKITS run writes and prints: the test x peer table (the conformance suite's), the
//! per-section summary per peer ("4.4 Basic Certificate Revocation: nginx 19/19, rustls
//! 17/19"), every disagreement with NIST and the peer's reason, `junit.xml` and `pkits.json`
//! (the settings used, the tests with their paths, every row).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;

use super::catalog::{self, SECTIONS};
use super::data::{Suite, Test};
use super::{PkitsError, SETTINGS};
use crate::conformance::{Grade, Row};
use crate::report::ReportError;

/// A graded run.
#[derive(Debug)]
pub struct Outcome {
    /// The output directory.
    pub dir: PathBuf,
    /// One row per test x peer.
    pub rows: Vec<Row>,
    /// Problems not tied to one row (a listed deviation the run did not meet).
    pub suite_problems: Vec<String>,
    /// Tests run.
    pub tests: usize,
    /// Server processes per peer (groups of tests agreeing on their CRLs).
    pub groups: usize,
    /// Wall time of the whole run.
    pub seconds: f64,
    /// Wall time per peer (its servers' start, the handshakes, the waits for its log).
    pub peer_seconds: Vec<(String, f64)>,
}

impl Outcome {
    /// 0: every row passed, was skipped or is a listed deviation; 1: a row or a listed
    /// deviation failed; 2: a row could not run (`error`).
    pub fn exit_code(&self) -> u8 {
        if self.rows.iter().any(|r| r.grade == Grade::Error) {
            2
        } else if self.rows.iter().any(|r| r.problem.is_some()) || !self.suite_problems.is_empty() {
            1
        } else {
            0
        }
    }

    /// Rows graded (skipped ones excluded).
    pub fn graded(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.grade != Grade::Skipped)
            .count()
    }

    /// The test x peer table, then the known deviations and problems.
    pub fn table(&self) -> String {
        crate::conformance::render_table(&self.rows, &self.suite_problems)
    }

    /// Per section, per peer: tests that agree with NIST / tests graded.
    pub fn summary(&self) -> String {
        summary(&self.rows)
    }

    /// Every row where a peer disagrees with NIST, with its reason.
    pub fn disagreements(&self) -> String {
        disagreements(&self.rows)
    }
}

fn peers(rows: &[Row]) -> Vec<&str> {
    let mut peers: Vec<&str> = Vec::new();
    for r in rows {
        if !peers.contains(&r.peer.as_str()) {
            peers.push(&r.peer);
        }
    }
    peers
}

/// "4.4 Basic Certificate Revocation (21 tests): rustls 17/19 (2 skipped), nginx 19/19".
pub fn summary<'a>(rows: &'a [Row]) -> String {
    let peers = peers(rows);
    let mut out = String::new();
    let mut sections: Vec<&catalog::Section> = SECTIONS.iter().collect();
    sections.sort_by_key(|s| catalog::order(s.number));
    for s in sections {
        let of = |p: &'a str| {
            rows.iter()
                .filter(move |r| r.group == s.number && r.peer == p)
        };
        let tests = rows
            .iter()
            .filter(|r| r.group == s.number)
            .map(|r| r.case.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        if tests == 0 {
            continue;
        }
        let cells: Vec<String> = peers
            .iter()
            .map(|p| {
                let graded = of(p).filter(|r| r.grade != Grade::Skipped).count();
                let passed = of(p).filter(|r| r.grade.passed()).count();
                let skipped = of(p).filter(|r| r.grade == Grade::Skipped).count();
                if skipped > 0 {
                    format!("{p} {passed}/{graded} ({skipped} skipped)")
                } else {
                    format!("{p} {passed}/{graded}")
                }
            })
            .collect();
        let _ = writeln!(
            out,
            "{} {} ({tests} tests): {}",
            s.number,
            s.title,
            cells.join(", ")
        );
    }
    let cells: Vec<String> = peers
        .iter()
        .map(|p| {
            let of = || rows.iter().filter(|r| r.peer == *p);
            format!(
                "{p} {}/{}",
                of().filter(|r| r.grade.passed()).count(),
                of().filter(|r| r.grade != Grade::Skipped).count()
            )
        })
        .collect();
    let _ = writeln!(out, "all sections: {}", cells.join(", "));
    out
}

/// One line per row where a peer disagrees with NIST: the test, the peer, what happened and
/// the peer's own reason (its log), and the listed reason when it is a known deviation.
pub fn disagreements(rows: &[Row]) -> String {
    let mut out = String::new();
    for r in rows
        .iter()
        .filter(|r| !r.grade.passed() && r.grade != Grade::Skipped)
    {
        let _ = write!(
            out,
            "{} on {}: {} (expected {}, observed {})",
            r.case,
            r.peer,
            r.grade.name(),
            r.expected,
            r.observed
        );
        if let Some(said) = &r.peer_verdict {
            let _ = write!(out, "; the peer said: {said}");
        }
        if let Some(known) = &r.known_deviation {
            let _ = write!(out, "; known: {known}");
        }
        out.push('\n');
    }
    out
}

#[derive(Serialize)]
struct PkitsJson<'a> {
    schema_version: u32,
    suite: &'static str,
    data_dir: &'a Path,
    settings: Vec<Setting>,
    groups: usize,
    wall_time_s: f64,
    peers: Vec<PeerTime<'a>>,
    tests: &'a [Test],
    rows: &'a [Row],
    suite_problems: &'a [String],
}

#[derive(Serialize)]
struct PeerTime<'a> {
    peer: &'a str,
    /// Its server processes' start, the handshakes and the waits for its log.
    wall_time_s: f64,
}

#[derive(Serialize)]
struct Setting {
    name: &'static str,
    value: &'static str,
}

/// Writes `junit.xml`, `pkits.json`, `table.txt` and `summary.txt` into `dir`.
///
/// # Errors
/// When a file cannot be written.
#[allow(clippy::too_many_arguments)]
pub(super) fn write(
    dir: &Path,
    suite: &Suite,
    tests: &[Test],
    groups: usize,
    rows: Vec<Row>,
    suite_problems: Vec<String>,
    peer_seconds: Vec<(String, f64)>,
    wall: Duration,
) -> Result<Outcome, PkitsError> {
    let json = PkitsJson {
        schema_version: 1,
        suite: "NIST PKITS (cryptography_vectors x509/PKITS_data), sections 4.1-4.14",
        data_dir: &suite.dir,
        settings: SETTINGS
            .iter()
            .map(|&(name, value)| Setting { name, value })
            .collect(),
        groups,
        wall_time_s: wall.as_secs_f64(),
        peers: peer_seconds
            .iter()
            .map(|(peer, wall_time_s)| PeerTime {
                peer,
                wall_time_s: *wall_time_s,
            })
            .collect(),
        tests,
        rows: &rows,
        suite_problems: &suite_problems,
    };
    let text = serde_json::to_vec_pretty(&json).map_err(|e| ReportError {
        path: dir.join("pkits.json"),
        source: std::io::Error::other(e),
    })?;
    save(&dir.join("pkits.json"), &text)?;
    save(
        &dir.join("junit.xml"),
        crate::conformance::render_junit("pkits", &rows, &suite_problems).as_bytes(),
    )?;
    let outcome = Outcome {
        dir: dir.to_path_buf(),
        rows,
        suite_problems,
        tests: tests.len(),
        groups,
        seconds: wall.as_secs_f64(),
        peer_seconds,
    };
    save(&dir.join("table.txt"), outcome.table().as_bytes())?;
    let text = format!("{}\n{}", outcome.summary(), outcome.disagreements());
    save(&dir.join("summary.txt"), text.as_bytes())?;
    Ok(outcome)
}

fn save(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    crate::fsutil::write_atomic(path, bytes, 0o644).map_err(|source| ReportError {
        path: path.to_path_buf(),
        source,
    })
}
