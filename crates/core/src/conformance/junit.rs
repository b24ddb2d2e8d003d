//! `junit.xml`: one test case per case x peer, so CI systems show each verdict. Failing rows
//! are `<failure>` (type: the grade, message: the problem), skipped ones `<skipped>` with the
//! reason; a known deviation passes with its reason in `<system-out>`, which also says the
//! grade, what was expected and what was observed. Written by `report::junit::Suite`.

use std::fmt::Write as _;

use super::row::{Grade, Row};
use crate::report::junit::{Outcome, Suite};

/// Renders the rows (and suite-level problems) as a JUnit XML document.
pub fn render(suite_name: &str, rows: &[Row], suite_problems: &[String]) -> String {
    let mut suite = Suite::new(suite_name);
    for r in rows {
        let outcome = match (&r.problem, r.grade) {
            (Some(problem), grade) => Outcome::Failed(grade.name(), problem),
            (None, Grade::Skipped) => Outcome::Skipped(&r.observed),
            (None, _) => Outcome::Pass,
        };
        let mut out = format!(
            "grade {}; expected {}; observed {}",
            r.grade.name(),
            r.expected,
            r.observed
        );
        if let Some(reason) = &r.known_deviation {
            let _ = write!(out, "; known deviation: {reason}");
        }
        if let Some(v) = &r.peer_verdict {
            let _ = write!(out, "; peer: {v}");
        }
        if let (Some(quote), Some(rfc)) = (&r.quote, &r.rfc) {
            let _ = write!(out, "; {rfc}: \"{quote}\"");
        }
        if let Some(q) = &r.revocation_queries {
            let _ = write!(out, "; {} requests: {}", q.source, q.requests);
        }
        suite.timed_case(&r.peer, &r.case, outcome, &out, r.seconds);
    }
    for (i, p) in suite_problems.iter().enumerate() {
        suite.case(
            "suite",
            &format!("suite-problem-{}", i + 1),
            Outcome::Failed("suite_problem", p),
            p,
        );
    }
    suite.finish()
}
