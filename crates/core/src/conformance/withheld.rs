//! When the evidence withholds the usual grade of a case x peer: a server that never asked
//! for a certificate and let no one in (`not_requested`, "client authentication not
//! requested"), attempts that ended without a verdict (a timeout, a close without an alert or
//! a reply before the client's Certificate: never a refusal), and a revocation case whose
//! server never consulted the source the harness counts (its OCSP responder, its CRL
//! service): no query, no revocation grade, and a revoked credential let in without one is the
//! finding "revocation not checked".

use std::collections::BTreeMap;

use super::grade::Grade;
use super::spec::CaseSpec;
use crate::measure::Outcome;
use crate::report::CaseSummary;

/// The note on a row whose server never asked for a client certificate and let no one in.
pub const NOT_REQUESTED: &str = "client authentication not requested";

/// The note on a reject case let in by a server that never asked the revocation source.
pub const REVOCATION_NOT_CHECKED: &str = "revocation not checked";

/// A grade the evidence decides, and the note that says why (appended to `observed`).
pub(super) struct Withheld {
    pub grade: Grade,
    pub note: String,
}

/// What the evidence says before the outcome classes are graded, when it decides the row:
/// `accepted` attempts of `counts` let in, `without_request` when the server refused
/// without ever sending a CertificateRequest.
pub(super) fn withheld(
    spec: &CaseSpec,
    c: &CaseSummary,
    counts: &BTreeMap<Outcome, u64>,
    without_request: bool,
) -> Option<Withheld> {
    let accepted = counts.get(&Outcome::Accepted).copied().unwrap_or(0);
    let must_refuse = !spec.accept && !spec.record;
    let unasked = unasked_source(c);
    if must_refuse && accepted > 0 {
        // Let in: a finding whatever else happened; say when revocation went unchecked.
        return unasked.map(|source| Withheld {
            grade: Grade::FailAcceptedInvalid,
            note: format!("{REVOCATION_NOT_CHECKED}: {source}"),
        });
    }
    if without_request && accepted == 0 {
        return Some(Withheld {
            grade: Grade::NotRequested,
            note: format!(
                "{NOT_REQUESTED}: the server sent no CertificateRequest and let no one in"
            ),
        });
    }
    if let Some(note) = no_verdict(c, counts) {
        return Some(Withheld {
            grade: Grade::Error,
            note,
        });
    }
    unasked.map(|source| Withheld {
        grade: Grade::Error,
        note: format!("no revocation grade: {source}"),
    })
}

/// "no verdict: ..." when some attempts ended without the server's verdict: a timeout (never
/// a refusal), or a close without an alert or a reply that the evidence does not place after
/// the client's Certificate (a server that closes after reading a bad certificate refuses it,
/// and keeps its grade).
fn no_verdict(c: &CaseSummary, counts: &BTreeMap<Outcome, u64>) -> Option<String> {
    let timeouts = counts.get(&Outcome::Timeout).copied().unwrap_or(0);
    if timeouts > 0 {
        return Some(format!(
            "no verdict: no answer within {} s ({timeouts} of {} attempts timed out)",
            c.load.timeout.as_secs_f64(),
            c.attempts
        ));
    }
    let closed = counts
        .get(&Outcome::ClosedWithoutVerdict)
        .copied()
        .unwrap_or(0);
    let after_certificate = c
        .evidence
        .as_ref()
        .map_or(0, |e| e.refused_after_certificate);
    // Refusals after the Certificate of other classes count too, so all of the case's
    // refusals must have come after it.
    let refused: u64 = counts
        .iter()
        .filter(|(o, _)| **o != Outcome::Accepted)
        .map(|(_, n)| n)
        .sum();
    (closed > 0 && after_certificate < refused).then(|| {
        format!(
            "no verdict: the server closed the connection without an alert or a reply ({closed} of {} attempts)",
            c.attempts
        )
    })
}

/// What the case's revocation source says when the server never consulted it during the
/// load: "the server never asked the responder (0 OCSP requests)". `None` when the case has
/// no counted source, the counter cannot see the server (the source was down) or the source
/// was asked.
fn unasked_source(c: &CaseSummary) -> Option<String> {
    let q = c.revocation_queries.as_ref()?;
    if !q.observable || q.requests > 0 {
        return None;
    }
    Some(match q.source {
        "crl_service" => {
            "the server never asked the CRL service (0 CRL downloads during the case)".into()
        }
        _ => "the server never asked the responder (0 OCSP requests during the case)".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::grade::tests::{observed, spec};
    use super::super::grade::{grade, Grade};
    use super::*;
    use crate::conformance::spec::Strength;
    use crate::report::{EvidenceSummary, SourceQueries};

    fn evidence(refused_after_certificate: u64) -> EvidenceSummary {
        EvidenceSummary {
            attempts_observed: 4,
            cert_requested: 4,
            cert_sent: 4,
            empty_certificate_sent: 0,
            refused_after_certificate,
            refused_before_certificate: 0,
            refused_without_request: 0,
            accepted_without_request: 0,
            ca_names: Vec::new(),
            signature_schemes: Vec::new(),
        }
    }

    #[test]
    fn a_server_that_never_asks_and_refuses_everyone_is_not_requested() {
        let accept = spec(true, None, vec![], Strength::Policy);
        let reject = spec(
            false,
            Some(Outcome::UnknownCa),
            vec![],
            Strength::Definition,
        );
        for s in [&accept, &reject] {
            let row = grade(s, &observed(&[("refused_without_cert_request", 4)]));
            assert_eq!(row.grade, Grade::NotRequested, "{}", row.expected);
            assert_eq!(row.grade.name(), "not_requested");
            assert!(row.observed.contains(NOT_REQUESTED), "{}", row.observed);
            assert!(!row.grade.passed());
        }
        // Some let in: that is the finding, whatever the rest was.
        let row = grade(
            &reject,
            &observed(&[("accepted", 1), ("refused_without_cert_request", 3)]),
        );
        assert_eq!(row.grade, Grade::FailAcceptedInvalid);
    }

    #[test]
    fn timeouts_and_closes_without_a_verdict_get_no_grade() {
        let def = spec(
            false,
            Some(Outcome::CertExpired),
            vec![],
            Strength::Definition,
        );
        let accept = spec(true, None, vec![], Strength::Policy);
        let policy = spec(false, None, vec![], Strength::Policy);
        for (s, outcomes) in [
            (&def, &[("timeout", 4)][..]),
            (&def, &[("cert_expired", 2), ("timeout", 2)][..]),
            (&accept, &[("accepted", 3), ("timeout", 1)][..]),
            (&policy, &[("timeout", 4)][..]),
        ] {
            let c = observed(outcomes);
            let row = grade(s, &c);
            assert_eq!(row.grade, Grade::Error, "{outcomes:?}");
            let within = format!(
                "no verdict: no answer within {} s",
                c.load.timeout.as_secs_f64()
            );
            assert!(row.observed.contains(&within), "{}", row.observed);
        }
        // A close without a verdict is no refusal either, unless the evidence puts it after
        // the client's Certificate (the server read the certificate and hung up).
        let row = grade(&def, &observed(&[("closed_without_verdict", 4)]));
        assert_eq!(row.grade, Grade::Error);
        assert!(row
            .observed
            .contains("closed the connection without an alert"));
        let mut c = observed(&[("closed_without_verdict", 4)]);
        c.evidence = Some(evidence(4));
        assert_eq!(grade(&def, &c).grade, Grade::Deviation);
        // A valid credential let in with a timeout on the side is still no pass.
        assert!(
            !grade(&accept, &observed(&[("accepted", 3), ("timeout", 1)]))
                .grade
                .passed()
        );
    }

    fn asked(source: &'static str, requests: u64, observable: bool) -> Option<SourceQueries> {
        Some(SourceQueries {
            source,
            requests,
            observable,
        })
    }

    #[test]
    fn a_revocation_grade_needs_the_source_to_have_been_asked() {
        let revoked = spec(
            false,
            Some(Outcome::CertRevoked),
            vec![],
            Strength::Definition,
        );
        let good = spec(true, None, vec![], Strength::Policy);
        let case = |outcomes: &[(&str, u64)], q| {
            let mut c = observed(outcomes);
            c.revocation_queries = q;
            c
        };
        // A revoked credential let in by a server that never asked: the finding.
        let row = grade(
            &revoked,
            &case(&[("accepted", 4)], asked("ocsp_responder", 0, true)),
        );
        assert_eq!(row.grade, Grade::FailAcceptedInvalid);
        assert!(
            row.observed.contains(REVOCATION_NOT_CHECKED),
            "{}",
            row.observed
        );
        assert_eq!(row.revocation_queries.unwrap().requests, 0);
        // Refused, or a valid one accepted, with no query: no revocation grade, never a pass.
        for (s, outcomes) in [(&revoked, ("cert_revoked", 4)), (&good, ("accepted", 4))] {
            let row = grade(s, &case(&[outcomes], asked("ocsp_responder", 0, true)));
            assert_eq!(row.grade, Grade::Error, "{outcomes:?}");
            assert!(
                row.observed
                    .contains("the server never asked the responder"),
                "{}",
                row.observed
            );
            let row = grade(s, &case(&[outcomes], asked("crl_service", 0, true)));
            assert!(row.observed.contains("never asked the CRL service"));
            // Asked: graded as ever.
            let row = grade(s, &case(&[outcomes], asked("ocsp_responder", 4, true)));
            assert_eq!(row.grade, Grade::Pass, "{outcomes:?}");
            // A source that was down counts nothing: the rule cannot apply.
            let row = grade(s, &case(&[outcomes], asked("ocsp_responder", 0, false)));
            assert_eq!(row.grade, Grade::Pass, "{outcomes:?}");
        }
    }
}
