//! Grading one case x peer, as CONFORMANCE.md defines the grades, from its outcome classes
//! and the evidence of its attempts (`withheld.rs` has the rules that withhold the usual grade;
//! `settle.rs` the checks across a whole suite).

use std::collections::BTreeMap;

use super::row::{Grade, Row};
use super::spec::{CaseSpec, Strength};
use super::withheld::withheld;
use crate::measure::Outcome;
use crate::report::{CaseSummary, EvidenceSummary};

/// The note on a row whose server sent no CertificateRequest.
pub const NO_CERT_REQUEST: &str = "no CertificateRequest";

/// The note on a row refused before the client's Certificate message.
pub const BEFORE_CERTIFICATE: &str =
    "refused before the client's Certificate: no certificate verdict";

/// The case name without its matrix suffix: `b3-expired[server=nginx]` -> `b3-expired`.
pub fn base_name(name: &str) -> &str {
    name.split('[').next().unwrap_or(name)
}

/// The peer a case ran against.
pub fn peer_name(c: &CaseSummary) -> String {
    if c.client == "rustls" {
        c.server.clone()
    } else {
        format!("{}->{}", c.client, c.server)
    }
}

fn expected_text(spec: &CaseSpec) -> String {
    if spec.record {
        return "record (policy)".into();
    }
    if spec.accept {
        return "accept".into();
    }
    let strength: &str = spec.strength.into();
    match spec.alert {
        Some(a) if spec.alt.is_empty() => format!("reject:{a} ({strength})"),
        Some(a) => {
            let alt: Vec<&str> = spec.alt.iter().map(|o| o.name()).collect();
            format!("reject:{a} or {} ({strength})", alt.join("/"))
        }
        None => format!("reject ({strength})"),
    }
}

/// Grades one case summary against its expectation.
pub fn grade(spec: &CaseSpec, c: &CaseSummary) -> Row {
    let mut row = Row {
        case: spec.name.clone(),
        group: spec.group.clone(),
        peer: peer_name(c),
        grade: Grade::Error,
        expected: expected_text(spec),
        observed: String::new(),
        observed_class: None,
        peer_verdict: c.peer_verdict.clone(),
        known_deviation: None,
        problem: None,
        seconds: c.window_ms / 1000.0,
        evidence: c.evidence.clone(),
        revocation_queries: c.revocation_queries.clone(),
        rfc: spec.rfc.clone(),
        quote: spec.quote.clone(),
    };
    if let Some(reason) = &c.skipped {
        row.grade = Grade::Skipped;
        row.observed = reason.clone();
        return row;
    }
    if let Some(error) = &c.error {
        row.observed = error.clone();
        return row;
    }
    if c.attempts == 0 {
        row.observed = "no attempts".into();
        return row;
    }
    let counts: BTreeMap<Outcome, u64> = c
        .outcomes
        .iter()
        .filter_map(|(name, n)| Some((name.parse::<Outcome>().ok()?, *n)))
        .collect();
    row.observed = counts
        .iter()
        .map(|(o, n)| format!("{o}={n}"))
        .collect::<Vec<_>>()
        .join(" ");
    if counts.len() == 1 {
        row.observed_class = counts.keys().next().map(|o| o.to_string());
    }
    if let Some(note) = late_request_note(c.evidence.as_ref()) {
        row.observed = format!("{} ({note})", row.observed);
    }
    let refusals = Refusals::of(c, &counts);
    if refusals.without_request || (refusals.let_in_without_request && !spec.accept) {
        row.observed = format!("{} ({NO_CERT_REQUEST})", row.observed);
    } else if refusals.before_certificate {
        row.observed = format!("{} ({BEFORE_CERTIFICATE})", row.observed);
    }
    if let Some(w) = withheld(spec, c, &counts, refusals.without_request) {
        row.grade = w.grade;
        row.observed = format!("{} ({})", row.observed, w.note);
        return row;
    }
    row.grade = refusals.grade(spec, c, &counts);
    row
}

/// How the server asked for the certificate when it asked only after its handshake (a server
/// that authenticates clients for some paths only): the note on the row, so a verdict that
/// came from a post-handshake CertificateRequest or a renegotiation says so.
fn late_request_note(e: Option<&EvidenceSummary>) -> Option<String> {
    let e = e?;
    let mut ways = Vec::new();
    if e.post_handshake_cert_requested > 0 {
        ways.push(format!(
            "post-handshake CertificateRequest x{}",
            e.post_handshake_cert_requested
        ));
    }
    if e.renegotiation_requested > 0 {
        ways.push(format!(
            "renegotiation (HelloRequest) x{}",
            e.renegotiation_requested
        ));
    }
    (!ways.is_empty()).then(|| format!("asked after the handshake: {}", ways.join(", ")))
}

/// When the servers refused (or let in) the client, from the outcome classes and the evidence.
struct Refusals {
    /// A refusal by a server that never asked: its class, or a reset after such a handshake.
    without_request: bool,
    /// Refusals before the client's Certificate keep their class; the evidence times them.
    before_certificate: bool,
    /// A server that never asked for a certificate let the client in.
    let_in_without_request: bool,
}

impl Refusals {
    /// What `counts` (the outcome classes of `c`) and `c`'s evidence show.
    fn of(c: &CaseSummary, counts: &BTreeMap<Outcome, u64>) -> Self {
        let timed =
            |count: fn(&EvidenceSummary) -> u64| c.evidence.as_ref().is_some_and(|e| count(e) > 0);
        Refusals {
            without_request: counts.contains_key(&Outcome::RefusedWithoutCertRequest)
                || timed(|e| e.refused_without_request),
            before_certificate: timed(|e| e.refused_before_certificate),
            let_in_without_request: timed(|e| e.accepted_without_request),
        }
    }

    /// The grade of a case that ran, from its outcome classes `counts`.
    fn grade(&self, spec: &CaseSpec, c: &CaseSummary, counts: &BTreeMap<Outcome, u64>) -> Grade {
        let accepted = counts.get(&Outcome::Accepted).copied().unwrap_or(0);
        if !spec.accept && !spec.record && (accepted > 0 || self.without_request) {
            // Let in; or, with refusals, some attempts let in by a server that never asked
            // (one that let no one in is `not_requested`, decided before).
            Grade::FailAcceptedInvalid
        } else if self.before_certificate {
            Grade::Error
        } else if spec.record {
            // Any one verdict is the peer's policy; a mix (or a client-side failure) is not.
            match counts.keys().next() {
                Some(o)
                    if counts.len() == 1
                        && (*o == Outcome::Accepted || o.is_server_rejection()) =>
                {
                    Grade::Pass
                }
                _ => Grade::Deviation,
            }
        } else if spec.accept {
            if accepted == c.attempts {
                Grade::Pass
            } else {
                Grade::FailRejectedValid
            }
        } else {
            reject_grade(spec, c, counts)
        }
    }
}

/// The grade of a reject case that let no client in, from its outcome classes `counts`.
fn reject_grade(spec: &CaseSpec, c: &CaseSummary, counts: &BTreeMap<Outcome, u64>) -> Grade {
    let classes: Vec<Outcome> = counts.keys().copied().collect();
    let verdicts = classes.iter().all(|o| o.is_server_rejection());
    let expected = |o: &Outcome| Some(*o) == spec.alert || spec.alt.contains(o);
    let http_class = http_class_of(spec, &c.client_cert);
    match spec.alert {
        // Policy: any refusal is right, an HTTP one too.
        None if verdicts => Grade::Pass,
        // HTTP-level refusals after a completed handshake: pass_alt when their class
        // matches the case, deviation when not (CONFORMANCE.md).
        _ if classes.iter().any(|o| o.is_http()) => {
            if verdicts
                && classes
                    .iter()
                    .all(|o| expected(o) || Some(*o) == http_class)
            {
                Grade::PassAlt
            } else {
                Grade::Deviation
            }
        }
        Some(a) if classes == [a] => Grade::Pass,
        Some(_) if verdicts && classes.iter().all(expected) => Grade::PassAlt,
        _ if spec.strength == Strength::Must => Grade::FailMust,
        _ => Grade::Deviation,
    }
}

/// The HTTP refusal class that matches a reject case: `http_no_certificate` for the
/// missing-certificate cases (the expected alert is certificate_required, or the client sends
/// no certificate), `http_forbidden` for the access_denied cases, and `http_certificate_error`
/// for every other reject case (a certificate validation failure).
fn http_class_of(spec: &CaseSpec, client_cert: &str) -> Option<Outcome> {
    if spec.accept || spec.record {
        None
    } else if spec.alert == Some(Outcome::CertRequired) || client_cert == "none" {
        Some(Outcome::HttpNoCertificate)
    } else if spec.alert == Some(Outcome::AccessDenied) {
        Some(Outcome::HttpForbidden)
    } else {
        Some(Outcome::HttpCertificateError)
    }
}

/// A row for a case the suite cannot produce yet.
pub fn skipped_row(spec: &CaseSpec, peer: &str, reason: &str) -> Row {
    Row {
        case: spec.name.clone(),
        group: spec.group.clone(),
        peer: peer.to_string(),
        grade: Grade::Skipped,
        expected: expected_text(spec),
        observed: reason.to_string(),
        observed_class: None,
        peer_verdict: None,
        known_deviation: None,
        problem: None,
        seconds: 0.0,
        evidence: None,
        revocation_queries: None,
        rfc: spec.rfc.clone(),
        quote: spec.quote.clone(),
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::conformance::settle::{settle, untrusted};
    use crate::conformance::spec::Deviation;

    pub(crate) fn spec(
        accept: bool,
        alert: Option<Outcome>,
        alt: Vec<Outcome>,
        strength: Strength,
    ) -> CaseSpec {
        CaseSpec {
            name: "x".into(),
            group: "A".into(),
            accept,
            record: false,
            alert,
            alt,
            strength,
            rfc: None,
            quote: None,
            quote_unverified: false,
            skip: None,
        }
    }

    pub(crate) fn observed(outcomes: &[(&str, u64)]) -> CaseSummary {
        let case = crate::scenario::parse(
            "version = 1\n[[case]]\nname = \"x\"\n",
            std::path::Path::new("t.toml"),
        )
        .unwrap()
        .cases
        .remove(0);
        let mut c = CaseSummary::planned(&case);
        c.outcomes = outcomes.iter().map(|(o, n)| (o.to_string(), *n)).collect();
        c.attempts = outcomes.iter().map(|(_, n)| n).sum();
        c
    }

    #[test]
    fn grades_follow_conformance_md() {
        use Outcome::*;
        let must = spec(false, Some(CertRequired), vec![], Strength::Must);
        let def = spec(
            false,
            Some(CertExpired),
            vec![BadCertificate],
            Strength::Definition,
        );
        let should = spec(false, Some(HandshakeFailure), vec![], Strength::Should);
        let accept = spec(true, None, vec![], Strength::Policy);
        let policy = spec(false, None, vec![], Strength::Policy);
        let g = |s: &CaseSpec, o: &[(&str, u64)]| grade(s, &observed(o)).grade;
        assert_eq!(g(&must, &[("cert_required", 4)]), Grade::Pass);
        assert_eq!(g(&must, &[("handshake_failure", 4)]), Grade::FailMust);
        assert_eq!(
            g(&must, &[("accepted", 1), ("cert_required", 3)]),
            Grade::FailAcceptedInvalid
        );
        assert_eq!(g(&def, &[("bad_certificate", 4)]), Grade::PassAlt);
        assert_eq!(g(&def, &[("unknown_ca", 4)]), Grade::Deviation);
        // A timeout is no refusal (issue 26, finding 5): no verdict, never a deviation.
        assert_eq!(g(&def, &[("timeout", 4)]), Grade::Error);
        assert_eq!(g(&should, &[("cert_required", 4)]), Grade::Deviation);
        assert_eq!(g(&accept, &[("accepted", 4)]), Grade::Pass);
        assert_eq!(g(&accept, &[("unknown_ca", 4)]), Grade::FailRejectedValid);
        assert_eq!(
            g(&policy, &[("unknown_ca", 2), ("cert_expired", 2)]),
            Grade::Pass
        );
        assert_eq!(g(&policy, &[("reset", 4)]), Grade::Deviation);
    }

    fn evidence(accepted_without_request: u64) -> EvidenceSummary {
        EvidenceSummary {
            attempts_observed: 4,
            cert_requested: 0,
            cert_sent: 0,
            empty_certificate_sent: 0,
            refused_after_certificate: 0,
            refused_before_certificate: 0,
            refused_without_request: 0,
            accepted_without_request,
            post_handshake_cert_requested: 0,
            renegotiation_requested: 0,
            ca_names: Vec::new(),
            signature_schemes: Vec::new(),
        }
    }

    #[test]
    fn a_late_request_is_noted() {
        assert_eq!(late_request_note(Some(&evidence(0))), None);
        let e = EvidenceSummary {
            post_handshake_cert_requested: 4,
            ..evidence(0)
        };
        let note = late_request_note(Some(&e)).unwrap();
        assert_eq!(
            note,
            "asked after the handshake: post-handshake CertificateRequest x4"
        );
        let e = EvidenceSummary {
            renegotiation_requested: 2,
            ..evidence(0)
        };
        assert!(late_request_note(Some(&e))
            .unwrap()
            .contains("renegotiation (HelloRequest) x2"));
    }

    #[test]
    fn reject_cases_without_a_certificate_request_never_pass() {
        use Outcome::*;
        let must = spec(false, Some(CertRequired), vec![], Strength::Must);
        let policy = spec(false, None, vec![], Strength::Policy);
        // A server that never asked and let no one in accepted no one: "client authentication
        // not requested", its own grade (issue 26, finding 5), not fail_accepted_invalid.
        for s in [&must, &policy] {
            let row = grade(s, &observed(&[("refused_without_cert_request", 4)]));
            assert_eq!(row.grade, Grade::NotRequested);
            assert!(row.observed.contains(NO_CERT_REQUEST), "{}", row.observed);
        }
        // A reset after a handshake without a request: the evidence says so.
        let mut c = observed(&[("reset", 4)]);
        c.evidence = Some(EvidenceSummary {
            refused_without_request: 4,
            ..evidence(0)
        });
        assert_eq!(grade(&must, &c).grade, Grade::NotRequested);
        let mut c = observed(&[("accepted", 4)]);
        c.evidence = Some(evidence(4));
        let row = grade(&must, &c);
        assert_eq!(row.grade, Grade::FailAcceptedInvalid);
        assert!(row.observed.contains(NO_CERT_REQUEST), "{}", row.observed);
        // The note reaches the problem that fails the suite.
        let mut rows = vec![row];
        settle(&mut rows, &[]);
        assert!(rows[0]
            .problem
            .as_deref()
            .unwrap()
            .contains(NO_CERT_REQUEST));
        // An accept case accepted without a request stays a pass, with the count on the row.
        let accept = spec(true, None, vec![], Strength::Policy);
        let row = grade(&accept, &c);
        assert_eq!(row.grade, Grade::Pass);
        assert_eq!(row.evidence.unwrap().accepted_without_request, 4);
    }

    #[test]
    fn refusals_before_the_certificate_are_errors_never_passes() {
        use Outcome::*;
        let policy = spec(false, None, vec![], Strength::Policy);
        let must = spec(false, Some(CertRequired), vec![], Strength::Must);
        let accept = spec(true, None, vec![], Strength::Policy);
        // An alert or a reset before the Certificate keeps its class; the evidence times it.
        for (s, class) in [
            (&policy, "protocol_version"),
            (&must, "cert_required"),
            (&accept, "reset"),
        ] {
            let mut c = observed(&[(class, 4)]);
            c.evidence = Some(EvidenceSummary {
                refused_before_certificate: 4,
                ..evidence(0)
            });
            let row = grade(s, &c);
            assert_eq!(row.grade, Grade::Error, "{class}");
            assert!(row.observed.contains("before the client's Certificate"));
        }
        // Without evidence (a client that cannot observe) the class is graded as before.
        assert_eq!(
            grade(&must, &observed(&[("cert_required", 4)])).grade,
            Grade::Pass
        );
    }

    #[test]
    fn http_refusals_pass_alt_when_their_class_matches_the_case() {
        use Outcome::*;
        let missing = spec(false, Some(CertRequired), vec![], Strength::Must);
        let expired = spec(false, Some(CertExpired), vec![], Strength::Definition);
        let denied = spec(false, Some(AccessDenied), vec![], Strength::Definition);
        let g = |s: &CaseSpec, o: &[(&str, u64)]| grade(s, &observed(o)).grade;
        assert_eq!(g(&missing, &[("http_no_certificate", 4)]), Grade::PassAlt);
        assert_eq!(
            g(&expired, &[("http_certificate_error", 4)]),
            Grade::PassAlt
        );
        assert_eq!(g(&denied, &[("http_forbidden", 4)]), Grade::PassAlt);
        // Another class, even on a MUST case, is a deviation.
        assert_eq!(
            g(&missing, &[("http_certificate_error", 4)]),
            Grade::Deviation
        );
        assert_eq!(g(&expired, &[("http_no_certificate", 4)]), Grade::Deviation);
        assert_eq!(g(&denied, &[("http_misdirected", 4)]), Grade::Deviation);
        assert_eq!(g(&expired, &[("http_error", 4)]), Grade::Deviation);
        // A client without a certificate makes a missing-certificate case whatever its alert.
        let tls12 = spec(false, Some(HandshakeFailure), vec![], Strength::Should);
        let mut c = observed(&[("http_no_certificate", 4)]);
        c.client_cert = "none".into();
        assert_eq!(grade(&tls12, &c).grade, Grade::PassAlt);
        // 2xx to a must-refuse credential stays a finding.
        assert_eq!(
            g(&expired, &[("accepted", 2), ("http_certificate_error", 2)]),
            Grade::FailAcceptedInvalid
        );
    }

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
            skipped_row(&reject, "rustls", "not built"),
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
