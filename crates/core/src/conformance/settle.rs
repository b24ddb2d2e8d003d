//! The checks across a whole graded suite: the known deviations (and their unexpected
//! passes), a problem for every row that fails the suite, and the sanity rule (a peer that
//! failed a sanity handshake has no trusted verdict; its skipped rows stay skipped).

use super::grade::{Grade, Row};
use super::spec::Deviation;

/// Applies the known deviations and the sanity rule, setting `problem` on every row that fails
/// the suite: a failing grade not listed, a listed deviation that did not happen (an
/// unexpected pass, or another outcome), and every row of a peer whose sanity handshake failed.
/// Returns the listed deviations that matched no row at all (each is a problem too).
pub fn settle(rows: &mut [Row], deviations: &[Deviation]) -> Vec<String> {
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

#[cfg(test)]
mod tests {
    use super::super::grade::tests::{observed, spec};
    use super::super::grade::{grade, Grade};
    use super::*;
    use crate::conformance::spec::Strength;
    use crate::measure::Outcome;

    #[test]
    fn listed_deviations_pass_and_their_unexpected_pass_fails() {
        let s = spec(
            false,
            Some(Outcome::CertExpired),
            vec![],
            Strength::Definition,
        );
        let dev = |observed: &str| Deviation {
            case: "x".into(),
            peer: "rustls".into(),
            observed: observed.into(),
            reason: "because".into(),
        };
        let mut rows = vec![grade(&s, &observed(&[("bad_certificate", 4)]))];
        assert!(settle(&mut rows, &[dev("bad_certificate")]).is_empty());
        assert_eq!(rows[0].known_deviation.as_deref(), Some("because"));
        assert_eq!(rows[0].problem, None);

        let mut rows = vec![grade(&s, &observed(&[("cert_expired", 4)]))];
        settle(&mut rows, &[dev("bad_certificate")]);
        assert!(rows[0]
            .problem
            .as_deref()
            .unwrap()
            .starts_with("unexpected pass"));

        let mut rows = vec![grade(&s, &observed(&[("unknown_ca", 4)]))];
        settle(&mut rows, &[]);
        assert!(rows[0].problem.is_some());
        let unused = settle(
            &mut rows,
            &[Deviation {
                case: "y".into(),
                ..dev("x")
            }],
        );
        assert_eq!(unused.len(), 1);
    }

    #[test]
    fn a_failed_sanity_handshake_marks_graded_rows_only() {
        let mut accept = spec(true, None, vec![], Strength::Policy);
        accept.group = "sanity".into();
        let reject = spec(
            false,
            Some(Outcome::CertExpired),
            vec![],
            Strength::Definition,
        );
        let mut rows = vec![
            grade(&accept, &observed(&[("unknown_ca", 4)])),
            grade(&reject, &observed(&[("cert_expired", 4)])),
            super::super::grade::skipped_row(&reject, "rustls", "not built"),
        ];
        settle(&mut rows, &[]);
        assert!(rows[0]
            .problem
            .as_deref()
            .unwrap()
            .starts_with("fail_rejected_valid"));
        assert_eq!(
            rows[1].problem.as_deref(),
            Some(untrusted("rustls").as_str())
        );
        assert_eq!(rows[2].grade, Grade::Skipped);
        assert_eq!(rows[2].problem, None, "a skipped row is no FAIL");
    }
}
