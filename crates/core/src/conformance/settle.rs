//! The checks across a whole graded suite: the known deviations (and their unexpected
//! passes), a problem for every row that fails the suite, and the sanity rule (a peer that
//! failed a sanity handshake has no trusted verdict; its skipped rows stay skipped).

use super::row::{Grade, Row};
use super::spec::Deviation;

/// Applies the known deviations and the sanity rule, setting `problem` on every row that fails
/// the suite: a failing grade not listed, a listed deviation that did not happen (an
/// unexpected pass, or another outcome), and every row of a peer whose sanity handshake failed.
/// Returns the listed deviations that matched no row at all (each is a problem too).
pub fn settle(rows: &mut [Row], deviations: &[Deviation]) -> Vec<String> {
    settle_with(rows, deviations, &[])
}

/// [`settle`], with `known` deviations besides the listed ones: those of the stack a target
/// declared (`--target-stack`). A known one applies to a row that deviates exactly so and is
/// not listed otherwise; one that does not happen is no problem (the target may be configured
/// otherwise than the harness's peer of that stack).
pub fn settle_with(rows: &mut [Row], deviations: &[Deviation], known: &[Deviation]) -> Vec<String> {
    let mut unused = Vec::new();
    for d in deviations {
        let Some(row) = rows
            .iter_mut()
            .find(|r| r.case == d.case && r.peer == d.peer)
        else {
            unused.push(format!(
                "deviations.toml lists {} on {}, which the suite did not run",
                d.case, d.peer
            ));
            continue;
        };
        if row.grade == Grade::Skipped {
            continue;
        }
        if row.grade.passed() {
            row.problem = Some(format!(
                "unexpected pass: listed as a known deviation ({}), but now {}; remove it from deviations.toml",
                d.observed,
                row.grade.name()
            ));
        } else if row.observed_class.as_deref() == Some(d.observed.as_str()) {
            row.known_deviation = Some(d.reason.clone());
        } else {
            row.problem = Some(format!(
                "listed as a known deviation with {}, but observed {}",
                d.observed, row.observed
            ));
        }
    }
    for d in known {
        if let Some(row) = rows.iter_mut().find(|r| {
            r.case == d.case
                && r.peer == d.peer
                && r.known_deviation.is_none()
                && r.problem.is_none()
                && !r.grade.passed()
                && r.grade != Grade::Skipped
                && r.observed_class.as_deref() == Some(d.observed.as_str())
        }) {
            row.known_deviation = Some(d.reason.clone());
        }
    }
    for row in rows.iter_mut() {
        let failing = !row.grade.passed() && row.grade != Grade::Skipped;
        if failing && row.known_deviation.is_none() && row.problem.is_none() {
            row.problem = Some(format!(
                "{}: expected {}, observed {}",
                row.grade.name(),
                row.expected,
                row.observed
            ));
        }
    }
    let dead: Vec<String> = rows
        .iter()
        .filter(|r| r.group == "sanity" && r.grade != Grade::Pass && r.grade != Grade::Skipped)
        .map(|r| r.peer.clone())
        .collect();
    // A skipped row has no verdict to distrust.
    for row in rows
        .iter_mut()
        .filter(|r| dead.contains(&r.peer) && r.grade != Grade::Skipped)
    {
        if row.problem.is_none() {
            row.problem = Some(untrusted(&row.peer));
        }
    }
    unused
}

/// The problem of a row that did not fail on its own, graded against `peer` after `peer`
/// failed a sanity handshake.
pub fn untrusted(peer: &str) -> String {
    format!("{peer} failed a sanity handshake: its verdicts cannot be trusted")
}
