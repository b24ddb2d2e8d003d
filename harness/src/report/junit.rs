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
    let suite = xml_escape(run.scenario());
    let mut cases = String::new();
    let (mut tests, mut failures, mut skipped) = (0usize, 0usize, 0usize);
    let mut case = |class: &str, name: &str, outcome: Outcome<'_>, out: &str| {
        tests += 1;
        let _ = write!(
            cases,
            "    <testcase classname=\"{suite}.{class}\" name=\"{}\">",
            xml_escape(name)
        );
        match outcome {
            Outcome::Pass => {}
            Outcome::Failed(kind, message) => {
                failures += 1;
                let _ = write!(
                    cases,
                    "<failure message=\"{}\" type=\"{kind}\"/>",
                    xml_escape(message)
                );
            }
            Outcome::Skipped(reason) => {
                skipped += 1;
                let _ = write!(cases, "<skipped message=\"{}\"/>", xml_escape(reason));
            }
        }
        let _ = writeln!(
            cases,
            "<system-out>{}</system-out></testcase>",
            xml_escape(out)
        );
    };
    for c in &run.summary.cases {
        let outcome = match (&c.skipped, c.met) {
            (Some(reason), _) => Outcome::Skipped(reason),
            (None, true) => Outcome::Pass,
            (None, false) => Outcome::Failed("expectation", &c.verdict),
        };
        case("expectation", &c.name, outcome, &c.verdict);
        for t in &c.thresholds {
            let text = t.describe();
            let outcome = match t.status {
                ThresholdStatus::Kept => Outcome::Pass,
                ThresholdStatus::Breached => Outcome::Failed("breached", &text),
                ThresholdStatus::NotMeasured => Outcome::Failed("not_measured", &text),
            };
            case(
                "thresholds",
                &format!("{}: {}", c.name, t.threshold),
                outcome,
                &text,
            );
        }
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{suite}\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{skipped}\">\n  <testsuite name=\"{suite}\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{skipped}\" errors=\"0\">\n{cases}  </testsuite>\n</testsuites>\n"
    )
}

/// How one JUnit test case ended.
enum Outcome<'a> {
    Pass,
    /// Its failure type and message.
    Failed(&'static str, &'a str),
    /// The reason.
    Skipped(&'a str),
}
