//! The conformance suite: runs the graded cases (`scenarios/conformance.toml`) against every
//! server peer, grades each case x peer as CONFORMANCE.md defines (`pass`, `pass_alt`,
//! `deviation`, `fail_must`, `fail_accepted_invalid`, `fail_rejected_valid`, `not_requested`,
//! `skipped`, `error`), applies the known deviations, and writes `junit.xml` and
//! `conformance.json` next to `summary.json`.

#[cfg(test)]
mod evidence_tests;
mod grade;
pub mod interop;
mod junit;
mod row;
mod settle;
pub mod spec;
pub mod stack;
mod table;
mod withheld;

use std::path::{Path, PathBuf};

use serde::Serialize;

pub use grade::{base_name, grade, peer_name, BEFORE_CERTIFICATE, NO_CERT_REQUEST};
pub use junit::render as render_junit;
pub use row::{Grade, Row};
pub use settle::{settle, settle_with};
pub use spec::{parse_deviations, parse_expectations, CaseSpec, Deviation, SpecError, Strength};
pub use table::render as render_table;
pub use withheld::{NEVER_ASKED_RESPONDER, NOT_REQUESTED, REVOCATION_NOT_CHECKED};

use crate::report::{CaseSummary, ReportError};
use crate::runner::{self, RunError, RunOptions, RunOutcome};
use crate::scenario::Scenario;

/// The scenario `conformance` runs when given none: `scenarios/conformance.toml`, built in.
pub const SUITE: &str = include_str!("../../../../scenarios/conformance.toml");

/// Why a suite could not be run or written (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum ConformanceError {
    /// The run itself failed.
    #[error("{0}")]
    Run(#[from] RunError),
    /// A report file could not be written.
    #[error("{0}")]
    Report(#[from] ReportError),
}

/// A graded suite.
#[derive(Debug)]
pub struct SuiteOutcome {
    /// The underlying run (summary.json and friends).
    pub run: RunOutcome,
    /// One row per case x peer, in run order, then the cases that cannot be produced yet.
    pub rows: Vec<Row>,
    /// Problems not tied to one row (a listed deviation for a case the suite did not run).
    pub suite_problems: Vec<String>,
}

impl SuiteOutcome {
    /// 0: every row passed, was skipped or is a listed deviation; 1: a row failed; 2: the run
    /// was interrupted or a case could not run.
    pub fn exit_code(&self) -> u8 {
        if self.run.summary.interrupted || self.rows.iter().any(|r| r.grade == Grade::Error) {
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
}

#[derive(Serialize)]
struct ConformanceJson<'a> {
    schema_version: u32,
    scenario: &'a str,
    rows: &'a [Row],
    suite_problems: &'a [String],
    expectations: &'a [CaseSpec],
    deviations: &'a [Deviation],
}

/// Runs `scenario` and grades it.
///
/// # Errors
/// When the run cannot be carried out or its report files cannot be written.
pub fn run_suite(
    scenario: &Scenario,
    opts: &RunOptions,
    specs: &[CaseSpec],
    deviations: &[Deviation],
) -> Result<SuiteOutcome, ConformanceError> {
    run_suite_known(scenario, opts, specs, deviations, &[])
}

/// [`run_suite`] with the `known` deviations of the stack a target declared (see
/// [`settle_with`]).
///
/// # Errors
/// As [`run_suite`].
pub fn run_suite_known(
    scenario: &Scenario,
    opts: &RunOptions,
    specs: &[CaseSpec],
    deviations: &[Deviation],
    known: &[Deviation],
) -> Result<SuiteOutcome, ConformanceError> {
    let only_first = first_server_only(scenario, opts);
    let scenario = only_first.as_ref().unwrap_or(scenario);
    let run = runner::run(scenario, opts)?;
    let mut rows = grade_rows(&run, specs);
    let suite_problems = settle_with(&mut rows, deviations, known);
    let json = ConformanceJson {
        schema_version: 1,
        scenario: &scenario.name,
        rows: &rows,
        suite_problems: &suite_problems,
        expectations: specs,
        deviations,
    };
    write_reports(&run.dir, &json)?;
    Ok(SuiteOutcome {
        run,
        rows,
        suite_problems,
    })
}

/// In target mode every case goes to the one external server: the server axis would only
/// repeat each case, so the scenario with only the cases of the first server peer named
/// (`None`: run `scenario` as it is).
fn first_server_only(scenario: &Scenario, opts: &RunOptions) -> Option<Scenario> {
    match (&opts.target, scenario.cases.first()) {
        (Some(_), Some(first)) => {
            let server = first.server;
            let mut s = scenario.clone();
            s.cases.retain(|c| c.server == server);
            Some(s)
        }
        _ => None,
    }
}

/// One graded row per case of the run, in run order, then a skipped row per peer for every
/// case the suite cannot produce yet.
fn grade_rows(run: &RunOutcome, specs: &[CaseSpec]) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut peers: Vec<String> = Vec::new();
    for c in &run.summary.cases {
        let peer = peer_name(c);
        if !peers.contains(&peer) {
            peers.push(peer);
        }
        let name = base_name(&c.name);
        match specs.iter().find(|s| s.name == name) {
            Some(spec) => rows.push(grade(spec, c)),
            None => rows.push(unexpected_case(name, c)),
        }
    }
    for spec in specs {
        if let Some(reason) = &spec.skip {
            for peer in &peers {
                rows.push(grade::skipped_row(spec, peer, reason));
            }
        }
    }
    rows
}

/// The error row of a case `name` that the expectations file does not list.
fn unexpected_case(name: &str, c: &CaseSummary) -> Row {
    let mut row = grade(
        &CaseSpec {
            name: name.to_string(),
            group: String::new(),
            accept: true,
            record: false,
            alert: None,
            alt: Vec::new(),
            strength: Strength::Policy,
            rfc: None,
            quote: None,
            quote_unverified: false,
            skip: None,
        },
        c,
    );
    row.grade = Grade::Error;
    row.expected = "?".into();
    row.problem = Some(format!(
        "no expectation for case {name} in the expectations file"
    ));
    row
}

/// Writes `junit.xml`, then `conformance.json`, into the run directory `dir`.
fn write_reports(dir: &Path, json: &ConformanceJson<'_>) -> Result<(), ReportError> {
    write(
        &dir.join("junit.xml"),
        junit::render(json.scenario, json.rows, json.suite_problems).as_bytes(),
    )?;
    let text = serde_json::to_vec_pretty(json).map_err(|e| ReportError {
        path: dir.join("conformance.json"),
        source: std::io::Error::other(e),
    })?;
    write(&dir.join("conformance.json"), &text)?;
    crate::runner::note_run_files(dir);
    Ok(())
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    crate::fsutil::write_atomic(path, bytes, 0o644).map_err(|source| ReportError {
        path: PathBuf::from(path),
        source,
    })
}
