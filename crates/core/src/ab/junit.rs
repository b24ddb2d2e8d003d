//! `junit.xml` of an A/B run, so a CI system lists the gate by name: one test case per gated
//! metric (a failure when B is worse beyond the threshold, an error when the run could not
//! tell), and one error per round that could not run. Written with `run`'s JUnit suite.

use super::verdict::{AbReport, INCONCLUSIVE_WIDTH};
use crate::report::junit::{Outcome, Suite};

impl AbReport {
    /// The run's JUnit XML document.
    pub fn junit(&self) -> String {
        let mut suite = Suite::new(&format!("ab.{}", self.case));
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
            let message = if m.regression {
                format!("B is worse than A beyond {}%: {shown}", self.threshold_pct)
            } else {
                format!(
                    "the interval is wider than {}% (too noisy to clear B): {shown}",
                    INCONCLUSIVE_WIDTH * 100.0
                )
            };
            let outcome = if m.regression {
                Outcome::Failed("regression", &message)
            } else if m.inconclusive {
                Outcome::Error("inconclusive", &message)
            } else {
                Outcome::Pass
            };
            suite.case("gate", m.metric, outcome, &format!("{header}; {shown}"));
        }
        for f in &self.failed_rounds {
            suite.case(
                "rounds",
                "rounds",
                Outcome::Error("round_failed", f),
                &header,
            );
        }
        suite.finish()
    }
}
