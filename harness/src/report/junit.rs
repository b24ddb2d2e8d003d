//! `junit.xml` of a run: one test case per case for its expectation (failed when not met,
//! skipped with the reason), and one per threshold check (failed when breached or not
//! measured), so a CI system lists each breach by name.

use std::fmt::Write as _;

use super::saved::SavedRun;
use super::thresholds::ThresholdStatus;

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
    suite.finish()
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
/// document rendered at the end (`run`'s and `ab`'s `junit.xml`).
pub struct Suite {
    name: String,
    cases: String,
    tests: usize,
    failures: usize,
    errors: usize,
    skipped: usize,
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
        }
    }

    /// Adds test case `name` of class `<suite>.<class>` that ended as `outcome`, with `out` as
    /// its output.
    pub fn case(&mut self, class: &str, name: &str, outcome: Outcome<'_>, out: &str) {
        self.tests += 1;
        let _ = write!(
            self.cases,
            "    <testcase classname=\"{}.{}\" name=\"{}\">",
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
        } = self;
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{skipped}\" errors=\"{errors}\">\n  <testsuite name=\"{name}\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{skipped}\" errors=\"{errors}\">\n{cases}  </testsuite>\n</testsuites>\n"
        )
    }
}
