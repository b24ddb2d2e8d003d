//! `junit.xml` of an A/B run, so a CI system lists the gate by name: one test case per gated
//! metric (a failure when B is worse beyond the threshold, an error when the run could not
//! tell), and one error per round that could not run.

use std::fmt::Write as _;

use super::verdict::{AbReport, INCONCLUSIVE_WIDTH};
use crate::report::xml_escape;

impl AbReport {
    /// The run's JUnit XML document.
    pub fn junit(&self) -> String {
        let suite = xml_escape(&format!("ab.{}", self.case));
        let (mut tests, mut failures, mut errors) = (0usize, 0usize, 0usize);
        let mut cases = String::new();
        let mut case = |name: &str, outcome: Option<(&str, &str, String)>, out: &str| {
            tests += 1;
            let _ = write!(
                cases,
                "    <testcase classname=\"{suite}\" name=\"{}\">",
                xml_escape(name)
            );
            if let Some((element, kind, message)) = outcome {
                if element == "failure" {
                    failures += 1;
                } else {
                    errors += 1;
                }
                let _ = write!(
                    cases,
                    "<{element} message=\"{}\" type=\"{kind}\"/>",
                    xml_escape(&message)
                );
            }
            let _ = writeln!(
                cases,
                "<system-out>{}</system-out></testcase>",
                xml_escape(out)
            );
        };
        let header = format!(
            "A = {}, B = {}, {} rounds, threshold {}%",
            self.a, self.b, self.rounds, self.threshold_pct
        );
        for m in self.metrics.iter().filter(|m| m.gated) {
            let shown = match m.ratio {
                Some(r) => format!(
                    "B/A {:.4}, 95% interval [{:.4}, {:.4}] over {} rounds",
                    r.ratio, r.low, r.high, r.pairs
                ),
                None => "not measured on both sides in two rounds".to_string(),
            };
            let outcome = if m.regression {
                Some((
                    "failure",
                    "regression",
                    format!("B is worse than A beyond {}%: {shown}", self.threshold_pct),
                ))
            } else if m.inconclusive {
                Some((
                    "error",
                    "inconclusive",
                    format!(
                        "the interval is wider than {}% (too noisy to clear B): {shown}",
                        INCONCLUSIVE_WIDTH * 100.0
                    ),
                ))
            } else {
                None
            };
            case(m.metric, outcome, &format!("{header}; {shown}"));
        }
        for f in &self.failed_rounds {
            case(
                "rounds",
                Some(("error", "round_failed", f.clone())),
                &header,
            );
        }
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{suite}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\">\n  <testsuite name=\"{suite}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\">\n{cases}  </testsuite>\n</testsuites>\n"
        )
    }
}
