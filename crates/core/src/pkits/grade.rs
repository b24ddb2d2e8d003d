//! One PKITS test against one peer as a conformance row: NIST's `Valid` means the handshake
//! must be accepted (an HTTP 2xx after it), `Invalid` that the server must refuse the client's
//! certificate. A refusal counts only as a certificate verdict (CONFORMANCE.md): before the
//! client's Certificate it is `error`; a server that asked for no certificate let an invalid
//! one in. PKITS fixes no alert, so any certificate refusal of an invalid path passes: with an
//! alert `pass`; an HTTP-level refusal after the handshake (nginx's 400) or the connection
//! closed or reset after the client's Certificate without an alert (node destroys the socket
//! once OpenSSL's verification failed) `pass_alt`, the peer's logged reason beside it.

use crate::conformance::{Grade, Row};
use crate::measure::{Outcome, Refusal, Sample};
use crate::report::EvidenceSummary;

use super::data::Test;

/// The row's case name: `4.4.2 InvalidRevokedCATest2`.
pub fn case_name(test: &Test) -> String {
    format!("{} {}", test.place.id, test.name)
}

fn expected(test: &Test) -> String {
    if test.expected_valid {
        "accept (NIST: valid)".into()
    } else {
        "reject (NIST: invalid)".into()
    }
}

fn row(test: &Test, peer: &str) -> Row {
    Row {
        case: case_name(test),
        group: test.place.section.to_string(),
        peer: peer.to_string(),
        grade: Grade::Error,
        expected: expected(test),
        observed: String::new(),
        observed_class: None,
        peer_verdict: None,
        known_deviation: None,
        problem: None,
        seconds: 0.0,
        evidence: None,
        revocation_queries: None,
        rfc: None,
        quote: None,
    }
}

/// A test the peer cannot run, with the reason.
pub fn skipped(test: &Test, peer: &str, reason: &str) -> Row {
    let mut r = row(test, peer);
    r.grade = Grade::Skipped;
    r.observed = reason.to_string();
    r
}

/// A test that could not run against the peer (its server did not start).
pub fn error(test: &Test, peer: &str, reason: &str) -> Row {
    let mut r = row(test, peer);
    r.observed = reason.to_string();
    r
}

/// Grades one handshake; `said` is what the server logged meanwhile (its own reason).
pub fn graded(test: &Test, peer: &str, sample: &Sample, said: Option<String>) -> Row {
    let mut r = row(test, peer);
    let outcome = sample.outcome;
    r.seconds = sample.end.duration_since(sample.start).as_secs_f64();
    r.observed_class = Some(outcome.to_string());
    r.observed = match sample.http_status {
        Some(status) if outcome != Outcome::Accepted => format!("{outcome} (HTTP {status})"),
        _ => outcome.to_string(),
    };
    r.peer_verdict = said;
    let mut counts = crate::measure::EvidenceCounts::default();
    let resumed = sample.negotiated.is_some_and(|n| n.resumed);
    counts.record(&sample.evidence, outcome, resumed);
    r.evidence = Some(EvidenceSummary::from(&counts));
    let refusal = sample.evidence.refusal;
    let without_request =
        outcome == Outcome::RefusedWithoutCertRequest || refusal == Some(Refusal::WithoutRequest);
    r.grade = if outcome == Outcome::Accepted {
        if test.expected_valid {
            Grade::Pass
        } else {
            Grade::FailAcceptedInvalid
        }
    } else if without_request {
        r.observed = format!("{} ({})", r.observed, crate::conformance::NO_CERT_REQUEST);
        if test.expected_valid {
            Grade::FailRejectedValid
        } else {
            Grade::FailAcceptedInvalid
        }
    } else if refusal == Some(Refusal::BeforeCertificate) || outcome == Outcome::Timeout {
        r.observed = format!(
            "{} ({})",
            r.observed,
            crate::conformance::BEFORE_CERTIFICATE
        );
        Grade::Error
    } else if test.expected_valid {
        Grade::FailRejectedValid
    } else if outcome.is_http() || refused_without_alert(sample) {
        Grade::PassAlt
    } else if outcome.is_server_rejection() {
        Grade::Pass
    } else {
        // A protocol error or an I/O failure of the client: no verdict of the server.
        Grade::Error
    };
    r
}

/// Closed or reset by the server after the client's Certificate, with no alert: a refusal.
pub fn refused_without_alert(sample: &Sample) -> bool {
    matches!(
        sample.outcome,
        Outcome::ClosedWithoutVerdict | Outcome::Reset
    ) && sample.evidence.refusal == Some(Refusal::AfterCertificate)
}
