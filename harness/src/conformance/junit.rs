//! `junit.xml`: one test case per case x peer, so CI systems show each verdict. Failing rows
//! are `<failure>`, skipped ones `<skipped>` with the reason; a known deviation passes with
//! its reason in `<system-out>`.

use std::fmt::Write as _;

use super::grade::{Grade, Row};
use crate::report::xml_escape as escape;

/// Renders the rows (and suite-level problems) as a JUnit XML document.
pub fn render(suite: &str, rows: &[Row], suite_problems: &[String]) -> String {
    let failures = rows.iter().filter(|r| r.problem.is_some()).count() + suite_problems.len();
    let skipped = rows.iter().filter(|r| r.grade == Grade::Skipped).count();
    let tests = rows.len() + suite_problems.len();
    let time: f64 = rows.iter().map(|r| r.seconds).sum();
    let mut x = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        x,
        "<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{skipped}\" time=\"{time:.3}\">",
        escape(suite)
    );
    let _ = writeln!(
        x,
        "  <testsuite name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" skipped=\"{skipped}\" errors=\"0\" time=\"{time:.3}\">",
        escape(suite)
    );
    for r in rows {
        let _ = write!(
            x,
            "    <testcase classname=\"{}.{}\" name=\"{}\" time=\"{:.3}\">",
            escape(suite),
            escape(&r.peer),
            escape(&r.case),
            r.seconds
        );
        if let Some(problem) = &r.problem {
            let _ = write!(
                x,
                "<failure message=\"{}\" type=\"{}\">expected {}; observed {}</failure>",
                escape(problem),
                r.grade.name(),
                escape(&r.expected),
                escape(&r.observed)
            );
        } else if r.grade == Grade::Skipped {
            let _ = write!(x, "<skipped message=\"{}\"/>", escape(&r.observed));
        }
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
        let _ = writeln!(x, "<system-out>{}</system-out></testcase>", escape(&out));
    }
    for (i, p) in suite_problems.iter().enumerate() {
        let _ = writeln!(
            x,
            "    <testcase classname=\"{}.suite\" name=\"suite-problem-{}\"><failure message=\"{}\"/></testcase>",
            escape(suite),
            i + 1,
            escape(p)
        );
    }
    x.push_str("  </testsuite>\n</testsuites>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b & \"c\"\u{1}"), "a&lt;b &amp; &quot;c&quot;?");
    }
}
