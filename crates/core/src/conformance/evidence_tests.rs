//! Tests of the rules that withhold a grade (`withheld.rs`), through `grade` as the suite
//! grades: not_requested, no verdict for timeouts and closes, no revocation grade without a
//! query of the source.

use super::grade::grade;
use super::grade::tests::{observed, spec};
use super::row::Grade;
use super::withheld::{NEVER_ASKED_RESPONDER, NOT_REQUESTED, REVOCATION_NOT_CHECKED};
use crate::conformance::spec::Strength;
use crate::measure::Outcome;
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
        post_handshake_cert_requested: 0,
        renegotiation_requested: 0,
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
        assert!(row.observed.contains(NEVER_ASKED_RESPONDER), "{row:?}");
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
