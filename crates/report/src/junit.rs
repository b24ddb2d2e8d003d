//! `junit.xml` of a run: one test case per case for its expectation (failed when not met,
//! skipped with the reason), and one per threshold check (failed when breached or not
//! measured), so a CI system lists each breach by name.

use std::fmt::Write as _;

use super::saved::SavedRun;
use super::threshold_check::ThresholdStatus;

/// Escapes text for XML attributes and content: the crate's one markup escape (`report.html`
/// is escaped by its template engine, minijinja; markdown cells only need `|` and newlines
/// replaced, in `report/pages.rs`).
pub fn xml_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 has no way to carry other control characters.
            c if c.is_control() && !matches!(c, '\n' | '\t' | '\r') => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// The run's JUnit XML document.
pub fn render(run: &SavedRun) -> String {
    let mut suite = Suite::new(run.scenario());
    for c in &run.summary.cases {
        let outcome = match (&c.skipped, c.met) {
            (Some(reason), _) => Outcome::Skipped(reason),
            (None, true) => Outcome::Pass,
            (None, false) => Outcome::Failed("expectation", &c.verdict),
        };
        suite.case("expectation", &c.name, outcome, &c.verdict);
        for t in &c.thresholds {
            let text = t.describe();
            let outcome = match t.status {
                ThresholdStatus::Kept => Outcome::Pass,
                ThresholdStatus::Breached => Outcome::Failed("breached", &text),
                ThresholdStatus::NotMeasured => Outcome::Failed("not_measured", &text),
            };
            suite.case(
                "thresholds",
                &format!("{}: {}", c.name, t.threshold),
                outcome,
                &text,
            );
        }
    }
    not_run(&mut suite, run);
    suite.finish()
}

/// The cases an ended-early run lacks, each a failure, and the run's own failure when it was
/// interrupted (or its summary never completed).
fn not_run(suite: &mut Suite, run: &SavedRun) {
    const NOT_RUN: &str = "not run: the run ended before this case (interrupted)";
    for name in run.summary.missing_cases() {
        suite.case(
            "expectation",
            name,
            Outcome::Failed("not_run", NOT_RUN),
            NOT_RUN,
        );
    }
    if run.summary.interrupted {
        const WHY: &str = "the run was interrupted: its summary was never completed";
        suite.case("run", "completed", Outcome::Failed("interrupted", WHY), WHY);
    }
}

/// How one JUnit test case ended.
pub enum Outcome<'a> {
    /// It passed.
    Pass,
    /// A `<failure>`: its type and message.
    Failed(&'static str, &'a str),
    /// An `<error>` (it could not be decided): its type and message.
    Error(&'static str, &'a str),
    /// `<skipped>`: the reason.
    Skipped(&'a str),
}

/// One JUnit test suite being written: test cases added in order, the counts kept, the
/// document rendered at the end (`run`'s, `ab`'s and `conformance`'s `junit.xml`).
pub struct Suite {
    name: String,
    cases: String,
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
    /// The sum of the timed cases' seconds, once a case was timed.
    time: Option<f64>,
}

impl Suite {
    /// An empty suite named `name`.
    pub fn new(name: &str) -> Self {
        Self {
            name: xml_escape(name),
            cases: String::new(),
            tests: 0,
            failures: 0,
            errors: 0,
            skipped: 0,
            time: None,
        }
    }

    /// Adds test case `name` of class `<suite>.<class>` that ended as `outcome`, with `out` as
    /// its output.
    pub fn case(&mut self, class: &str, name: &str, outcome: Outcome<'_>, out: &str) {
        self.add(class, name, outcome, out, None);
    }

    /// Like [`Suite::case`], for a test case that took `seconds` (its `time` attribute; the
    /// suite's is their sum).
    pub fn timed_case(
        &mut self,
        class: &str,
        name: &str,
        outcome: Outcome<'_>,
        out: &str,
        seconds: f64,
    ) {
        self.add(class, name, outcome, out, Some(seconds));
    }

    fn add(
        &mut self,
        class: &str,
        name: &str,
        outcome: Outcome<'_>,
        out: &str,
        seconds: Option<f64>,
    ) {
        self.tests += 1;
        let time = match seconds {
            Some(s) => {
                *self.time.get_or_insert(0.0) += s;
                format!(" time=\"{s:.3}\"")
            }
            None => String::new(),
        };
        let _ = write!(
            self.cases,
            "    <testcase classname=\"{}.{}\" name=\"{}\"{time}>",
            self.name,
            xml_escape(class),
            xml_escape(name)
        );
        let (element, kind, message) = match outcome {
            Outcome::Pass => ("", "", ""),
            Outcome::Failed(kind, message) => {
                self.failures += 1;
                ("failure", kind, message)
            }
            Outcome::Error(kind, message) => {
                self.errors += 1;
                ("error", kind, message)
            }
            Outcome::Skipped(reason) => {
                self.skipped += 1;
                let _ = write!(self.cases, "<skipped message=\"{}\"/>", xml_escape(reason));
                ("", "", "")
            }
        };
        if !element.is_empty() {
            let _ = write!(
                self.cases,
                "<{element} message=\"{}\" type=\"{kind}\"/>",
                xml_escape(message)
            );
        }
        let _ = writeln!(
            self.cases,
            "<system-out>{}</system-out></testcase>",
            xml_escape(out)
        );
    }

    /// The JUnit XML document.
    pub fn finish(self) -> String {
        let Self {
            name,
            cases,
            tests,
            failures,
            errors,
            skipped,
            time,
        } = self;
        let time = time.map_or_else(String::new, |t| format!(" time=\"{t:.3}\""));
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{skipped}\" errors=\"{errors}\"{time}>\n  <testsuite name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{skipped}\" errors=\"{errors}\"{time}>\n{cases}  </testsuite>\n</testsuites>\n"
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            xml_escape("a<b & \"c\"\u{1}"),
            "a&lt;b &amp; &quot;c&quot;?"
        );
    }

    #[test]
    fn a_suite_counts_its_cases_and_sums_the_timed_ones() {
        let mut s = Suite::new("s<1>");
        s.timed_case("peer", "ok", Outcome::Pass, "fine", 1.25);
        s.timed_case(
            "peer",
            "bad",
            Outcome::Failed("fail_must", "wrong alert"),
            "x",
            0.5,
        );
        s.case("suite", "gone", Outcome::Skipped("not installed"), "y");
        s.case(
            "suite",
            "odd",
            Outcome::Error("inconclusive", "too wide"),
            "z",
        );
        let x = s.finish();
        assert!(x.contains("<testsuites name=\"s&lt;1&gt;\" tests=\"4\" failures=\"1\" skipped=\"1\" errors=\"1\" time=\"1.750\">"), "{x}");
        assert!(x.contains("<testcase classname=\"s&lt;1&gt;.peer\" name=\"ok\" time=\"1.250\"><system-out>fine</system-out></testcase>"), "{x}");
        assert!(
            x.contains("<failure message=\"wrong alert\" type=\"fail_must\"/>"),
            "{x}"
        );
        assert!(x.contains("<testcase classname=\"s&lt;1&gt;.suite\" name=\"gone\"><skipped message=\"not installed\"/>"), "{x}");
        assert!(
            x.contains("<error message=\"too wide\" type=\"inconclusive\"/>"),
            "{x}"
        );
        // Untimed suites carry no time attribute.
        let x = Suite::new("u").finish();
        assert!(!x.contains("time="), "{x}");
    }
}
