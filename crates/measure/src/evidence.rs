//! Verdict evidence: what the client saw of client authentication in one attempt (did the
//! server send a CertificateRequest, with which CA names and signature schemes; did the client
//! answer with a Certificate message, and did it carry a certificate), and the counts of a case.
//!
//! A refusal is a certificate verdict only when the server asked for a certificate and refused
//! after the client's Certificate (CONFORMANCE.md, "Verdict evidence"); [`Evidence::settle`]
//! says when each refusal came, and gives a refusal by a server that never asked its own class. Evidence is tri-state: a client adapter that
//! cannot observe the handshake leaves it "not observed", and nothing is settled or guessed.

use std::sync::Arc;

use super::Outcome;

/// At most this many CA names are kept, per attempt and per case.
pub const MAX_CA_NAMES: usize = 16;

/// The longest CA name kept, in bytes (longer ones are cut at a character boundary).
pub const MAX_CA_NAME_BYTES: usize = 256;

/// At most this many signature schemes are kept, per attempt and per case.
pub const MAX_SIG_SCHEMES: usize = 32;

/// What the client observed of client authentication in one attempt.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Evidence {
    /// The client can observe this (an adapter that cannot leaves everything else empty and
    /// its attempts are never reclassified).
    pub observed: bool,
    /// The server's CertificateRequest, when it sent one.
    pub request: Option<CertRequest>,
    /// The client's Certificate message in answer to it.
    pub answer: Option<CertAnswer>,
    /// When the server's refusal came, if it refused ([`Evidence::settle`] sets it).
    pub refusal: Option<Refusal>,
    /// Whether the client's session store held a session when the client built a resuming
    /// ClientHello: `Some(false)` when the attempt was to resume but there was nothing to
    /// offer (the server sent no ticket to replace the one used, or concurrent attempts of one
    /// identity took its single-use tickets); `None` when
    /// the attempt did not look (a full handshake) or the client cannot tell.
    pub session_found: Option<bool>,
    /// When the server asked for the client's certificate after the handshake: a TLS 1.3
    /// post-handshake CertificateRequest (RFC 8446 4.6.2) or a TLS 1.2 HelloRequest starting
    /// a renegotiation (RFC 5246 7.4.1.1), as servers that authenticate clients only for some
    /// paths do. `None` when the client did not see one (or cannot tell).
    pub late_request: Option<LateRequest>,
}

/// How a server asked for the client's certificate after its handshake completed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LateRequest {
    /// A TLS 1.3 CertificateRequest after the server's Finished (post-handshake
    /// authentication).
    PostHandshake,
    /// A TLS 1.2 HelloRequest: a renegotiation, whose handshake carries the request.
    Renegotiation,
}

/// A CertificateRequest as the client received it, in stack-neutral terms.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertRequest {
    /// The CA distinguished names it named (RFC 4514 strings, bounded by [`MAX_CA_NAMES`] and
    /// [`MAX_CA_NAME_BYTES`]); empty when it named none or the stack does not show them.
    pub ca_names: Arc<[String]>,
    /// The signature schemes it allowed, by their registry names (bounded by
    /// [`MAX_SIG_SCHEMES`]); empty when the stack does not show them.
    pub sig_schemes: Arc<[String]>,
}

/// What the client's Certificate message carried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertAnswer {
    /// A certificate chain.
    Certificate,
    /// No certificate (an empty Certificate message).
    Empty,
}

impl CertRequest {
    /// A request with `ca_names` and `sig_schemes`, bounded as the constants say.
    pub fn bounded(
        ca_names: impl IntoIterator<Item = String>,
        sig_schemes: impl IntoIterator<Item = String>,
    ) -> Self {
        Self {
            ca_names: ca_names
                .into_iter()
                .take(MAX_CA_NAMES)
                .map(cut_name)
                .collect(),
            sig_schemes: sig_schemes.into_iter().take(MAX_SIG_SCHEMES).collect(),
        }
    }
}

/// `name` cut to at most [`MAX_CA_NAME_BYTES`] bytes, at a character boundary.
fn cut_name(mut name: String) -> String {
    if name.len() > MAX_CA_NAME_BYTES {
        let mut end = MAX_CA_NAME_BYTES;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
    name
}

impl Evidence {
    /// Settles when the attempt's refusal came ([`Evidence::refusal`]) and returns the class
    /// of an attempt that ended as `outcome`: the server's alert or HTTP refusal after a
    /// completed full handshake in which it sent no CertificateRequest becomes
    /// `refused_without_cert_request`. Every other refusal keeps its class (an alert before the
    /// Certificate message is what a scenario asking for `protocol_version` or
    /// `handshake_failure` wants; a reset stays a reset) and only its timing is recorded, which
    /// grading reads: a refusal before the Certificate is never a certificate verdict.
    /// Attempts not observed, or that resumed a session (no CertificateRequest is due then),
    /// keep their class and have no timing.
    pub fn settle(&mut self, outcome: Outcome, handshake_done: bool, resumed: bool) -> Outcome {
        self.refusal = None;
        if !self.observed || resumed || !is_refusal(outcome) {
            return outcome;
        }
        let (refusal, class) = if self.answer.is_some() {
            (Refusal::AfterCertificate, outcome)
        } else if self.request.is_none() && handshake_done {
            let class = if outcome.is_server_rejection() {
                Outcome::RefusedWithoutCertRequest
            } else {
                outcome
            };
            (Refusal::WithoutRequest, class)
        } else {
            (Refusal::BeforeCertificate, outcome)
        };
        self.refusal = Some(refusal);
        class
    }
}

/// When a refusal came, relative to client authentication.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// After the client's Certificate message: a certificate verdict.
    AfterCertificate,
    /// Before it (a version or group mismatch, a reset): no certificate verdict.
    BeforeCertificate,
    /// After a completed handshake in which the server sent no CertificateRequest.
    WithoutRequest,
}

/// A refusal by the server: its alert or HTTP refusal (not the client's refusal of a staple),
/// or the connection reset or closed without a verdict.
fn is_refusal(outcome: Outcome) -> bool {
    (outcome.is_server_rejection() && outcome != Outcome::StapleRejected)
        || matches!(outcome, Outcome::Reset | Outcome::ClosedWithoutVerdict)
}

/// The evidence of a case (or of one worker's share of it): counts over the observed attempts
/// and the distinct CA names and signature schemes seen.
#[derive(Clone, Debug, Default)]
pub struct EvidenceCounts {
    /// Attempts whose client observed client authentication.
    pub observed: u64,
    /// Of those, attempts in which the server sent a CertificateRequest.
    pub cert_requested: u64,
    /// Attempts whose Certificate message carried a certificate.
    pub cert_sent: u64,
    /// Attempts whose Certificate message was empty.
    pub empty_certificate_sent: u64,
    /// Refusals that came after the client's Certificate message (certificate verdicts).
    pub refused_after_certificate: u64,
    /// Refusals that came before it.
    pub refused_before_certificate: u64,
    /// Refusals of completed handshakes in which the server sent no CertificateRequest.
    pub refused_without_request: u64,
    /// Full handshakes accepted without a CertificateRequest.
    pub accepted_without_request: u64,
    /// Attempts in which the server sent a TLS 1.3 CertificateRequest after its handshake.
    pub post_handshake_cert_requested: u64,
    /// Attempts in which the server sent a TLS 1.2 HelloRequest (a renegotiation).
    pub renegotiation_requested: u64,
    /// Distinct CA names seen, in order of first sight (at most [`MAX_CA_NAMES`]).
    pub ca_names: Vec<String>,
    /// Distinct signature schemes seen, in order of first sight (at most [`MAX_SIG_SCHEMES`]).
    pub sig_schemes: Vec<String>,
    /// The last request whose names were merged (most attempts share it; skips the search).
    last: Option<CertRequest>,
}

impl EvidenceCounts {
    /// Counts one attempt that ended as `outcome` (already settled).
    pub fn record(&mut self, e: &Evidence, outcome: Outcome, resumed: bool) {
        if !e.observed {
            return;
        }
        self.observed += 1;
        match e.late_request {
            Some(LateRequest::PostHandshake) => self.post_handshake_cert_requested += 1,
            Some(LateRequest::Renegotiation) => self.renegotiation_requested += 1,
            None => {}
        }
        match e.answer {
            Some(CertAnswer::Certificate) => self.cert_sent += 1,
            Some(CertAnswer::Empty) => self.empty_certificate_sent += 1,
            None => {}
        }
        match e.refusal {
            Some(Refusal::AfterCertificate) => self.refused_after_certificate += 1,
            Some(Refusal::BeforeCertificate) => self.refused_before_certificate += 1,
            Some(Refusal::WithoutRequest) => self.refused_without_request += 1,
            None if outcome == Outcome::Accepted && e.request.is_none() && !resumed => {
                self.accepted_without_request += 1
            }
            None => {}
        }
        if let Some(request) = &e.request {
            self.cert_requested += 1;
            let seen = self.last.as_ref().is_some_and(|last| {
                Arc::ptr_eq(&last.ca_names, &request.ca_names)
                    && Arc::ptr_eq(&last.sig_schemes, &request.sig_schemes)
            });
            if !seen {
                add_distinct(&mut self.ca_names, &request.ca_names, MAX_CA_NAMES);
                add_distinct(&mut self.sig_schemes, &request.sig_schemes, MAX_SIG_SCHEMES);
                self.last = Some(request.clone());
            }
        }
    }

    /// Adds `other` into `self`.
    pub fn merge(&mut self, other: &EvidenceCounts) {
        self.observed += other.observed;
        self.cert_requested += other.cert_requested;
        self.cert_sent += other.cert_sent;
        self.empty_certificate_sent += other.empty_certificate_sent;
        self.refused_after_certificate += other.refused_after_certificate;
        self.refused_before_certificate += other.refused_before_certificate;
        self.refused_without_request += other.refused_without_request;
        self.accepted_without_request += other.accepted_without_request;
        self.post_handshake_cert_requested += other.post_handshake_cert_requested;
        self.renegotiation_requested += other.renegotiation_requested;
        add_distinct(&mut self.ca_names, &other.ca_names, MAX_CA_NAMES);
        add_distinct(&mut self.sig_schemes, &other.sig_schemes, MAX_SIG_SCHEMES);
    }
}

fn add_distinct(into: &mut Vec<String>, from: &[String], max: usize) {
    for s in from {
        if into.len() >= max {
            return;
        }
        if !into.contains(s) {
            into.push(s.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn requested(answer: Option<CertAnswer>) -> Evidence {
        Evidence {
            observed: true,
            request: Some(CertRequest::bounded(
                ["CN=root".to_string()],
                ["ED25519".to_string()],
            )),
            answer,
            refusal: None,
            session_found: None,
            late_request: None,
        }
    }

    /// `e` settled for `outcome`: the class and the timing.
    fn settled(
        e: &Evidence,
        outcome: Outcome,
        done: bool,
        resumed: bool,
    ) -> (Outcome, Option<Refusal>) {
        let mut e = e.clone();
        let class = e.settle(outcome, done, resumed);
        (class, e.refusal)
    }

    #[test]
    fn refusals_are_settled_only_when_observed() {
        use Outcome::*;
        let none = Evidence {
            observed: true,
            ..Evidence::default()
        };
        let after = requested(Some(CertAnswer::Empty));
        // A completed handshake without a CertificateRequest, then a 403 or an alert.
        for o in [HttpForbidden, UnknownCa] {
            assert_eq!(
                settled(&none, o, true, false),
                (RefusedWithoutCertRequest, Some(Refusal::WithoutRequest))
            );
        }
        assert_eq!(
            settled(&none, Reset, true, false),
            (Reset, Some(Refusal::WithoutRequest))
        );
        // Before the client's Certificate: the class stays, the timing says so.
        for o in [ProtocolVersion, Reset, ClosedWithoutVerdict] {
            assert_eq!(
                settled(&none, o, false, false),
                (o, Some(Refusal::BeforeCertificate))
            );
        }
        // After the Certificate: the verdict stands.
        assert_eq!(
            settled(&after, CertRequired, false, false),
            (CertRequired, Some(Refusal::AfterCertificate))
        );
        // Acceptance, client-side failures, resumption and unobserved attempts keep their
        // class and have no timing.
        for (e, o, done, resumed) in [
            (&none, Accepted, true, false),
            (&none, StapleRejected, false, false),
            (&none, Timeout, false, false),
            (&none, HttpForbidden, true, true),
            (&Evidence::default(), HttpForbidden, true, false),
        ] {
            assert_eq!(settled(e, o, done, resumed), (o, None));
        }
    }

    #[test]
    fn counts_and_names_are_bounded_and_distinct() {
        let mut c = EvidenceCounts::default();
        for (answer, alert) in [
            (CertAnswer::Certificate, Outcome::UnknownCa),
            (CertAnswer::Empty, Outcome::CertRequired),
        ] {
            let mut e = requested(Some(answer));
            let class = e.settle(alert, false, false);
            c.record(&e, class, false);
        }
        let none = Evidence {
            observed: true,
            ..Evidence::default()
        };
        c.record(&none, Outcome::Accepted, false);
        c.record(&none, Outcome::Accepted, true);
        let mut late = c.clone();
        for request in [LateRequest::PostHandshake, LateRequest::Renegotiation] {
            let e = Evidence {
                late_request: Some(request),
                ..none.clone()
            };
            late.record(&e, Outcome::Accepted, false);
        }
        assert_eq!(
            (
                late.post_handshake_cert_requested,
                late.renegotiation_requested
            ),
            (1, 1)
        );
        c.merge(&EvidenceCounts::default());
        assert_eq!(c.post_handshake_cert_requested, 0);
        c.record(&Evidence::default(), Outcome::Accepted, false);
        assert_eq!(
            (
                c.observed,
                c.cert_requested,
                c.cert_sent,
                c.empty_certificate_sent
            ),
            (4, 2, 1, 1)
        );
        assert_eq!(c.refused_after_certificate, 2);
        assert_eq!(c.accepted_without_request, 1);
        assert_eq!(c.ca_names, ["CN=root"]);
        let many = CertRequest::bounded(
            (0..40).map(|i| format!("CN={i}{}", "x".repeat(300))),
            (0..40).map(|i| format!("S{i}")),
        );
        assert_eq!(many.ca_names.len(), MAX_CA_NAMES);
        assert!(many.ca_names.iter().all(|n| n.len() == MAX_CA_NAME_BYTES));
        assert_eq!(many.sig_schemes.len(), MAX_SIG_SCHEMES);
        let mut d = EvidenceCounts::default();
        d.record(
            &Evidence {
                observed: true,
                request: Some(many),
                answer: Some(CertAnswer::Certificate),
                refusal: None,
                session_found: None,
                late_request: None,
            },
            Outcome::Accepted,
            false,
        );
        c.merge(&d);
        assert_eq!(c.ca_names.len(), MAX_CA_NAMES);
        assert_eq!(c.cert_sent, 2);
    }
}
