//! Verdict evidence: what the client saw of client authentication in one attempt (did the
//! server send a CertificateRequest, with which CA names and signature schemes; did the client
//! answer with a Certificate message, and did it carry a certificate), and the counts of a case.
//!
//! A refusal is a certificate verdict only when the server asked for a certificate and refused
//! after the client's Certificate (CONFORMANCE.md, "Verdict evidence"); [`Evidence::refine`]
//! gives the other refusals their own classes. Evidence is tri-state: a client adapter that
//! cannot observe the handshake leaves it "not observed", and nothing is refined or guessed.

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
    /// its attempts are never refined).
    pub observed: bool,
    /// The server's CertificateRequest, when it sent one.
    pub request: Option<CertRequest>,
    /// The client's Certificate message in answer to it.
    pub answer: Option<CertAnswer>,
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
    /// The class of an attempt that ended as `outcome`, given this evidence: a refusal (an
    /// alert, an HTTP refusal, a reset or a close) of a full handshake in which the server sent
    /// no CertificateRequest is `refused_without_cert_request` when the handshake completed and
    /// `refused_before_certificate` when it did not; one that came before the client's
    /// Certificate message is `refused_before_certificate`. Everything else, and every attempt
    /// that was not observed or resumed a session (no CertificateRequest is due then), keeps
    /// its class.
    pub fn refine(&self, outcome: Outcome, handshake_done: bool, resumed: bool) -> Outcome {
        if !self.observed || resumed || self.answer.is_some() || !is_refusal(outcome) {
            return outcome;
        }
        if self.request.is_none() && handshake_done {
            Outcome::RefusedWithoutCertRequest
        } else {
            Outcome::RefusedBeforeCertificate
        }
    }
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
    /// Distinct CA names seen, in order of first sight (at most [`MAX_CA_NAMES`]).
    pub ca_names: Vec<String>,
    /// Distinct signature schemes seen, in order of first sight (at most [`MAX_SIG_SCHEMES`]).
    pub sig_schemes: Vec<String>,
    /// The last request whose names were merged (most attempts share it; skips the search).
    last: Option<CertRequest>,
}

impl EvidenceCounts {
    /// Counts one attempt that ended as `outcome` (already refined).
    pub fn record(&mut self, e: &Evidence, outcome: Outcome, resumed: bool) {
        if !e.observed {
            return;
        }
        self.observed += 1;
        match e.answer {
            Some(CertAnswer::Certificate) => self.cert_sent += 1,
            Some(CertAnswer::Empty) => self.empty_certificate_sent += 1,
            None => {}
        }
        match outcome {
            Outcome::RefusedBeforeCertificate => self.refused_before_certificate += 1,
            Outcome::RefusedWithoutCertRequest => self.refused_without_request += 1,
            Outcome::Accepted if e.request.is_none() && !resumed => {
                self.accepted_without_request += 1
            }
            o if e.answer.is_some() && is_refusal(o) => self.refused_after_certificate += 1,
            _ => {}
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
        }
    }

    #[test]
    fn refusals_are_refined_only_when_observed() {
        let none = Evidence {
            observed: true,
            ..Evidence::default()
        };
        let after = requested(Some(CertAnswer::Empty));
        // A completed handshake without a CertificateRequest, then a 403 or an alert.
        assert_eq!(
            none.refine(Outcome::HttpForbidden, true, false),
            Outcome::RefusedWithoutCertRequest
        );
        assert_eq!(
            none.refine(Outcome::UnknownCa, true, false),
            Outcome::RefusedWithoutCertRequest
        );
        // An alert or reset before the client's Certificate.
        assert_eq!(
            none.refine(Outcome::ProtocolVersion, false, false),
            Outcome::RefusedBeforeCertificate
        );
        assert_eq!(
            none.refine(Outcome::Reset, false, false),
            Outcome::RefusedBeforeCertificate
        );
        // After the Certificate: the verdict stands.
        assert_eq!(
            after.refine(Outcome::CertRequired, false, false),
            Outcome::CertRequired
        );
        // Acceptance, client-side failures, resumption and unobserved attempts keep their class.
        assert_eq!(
            none.refine(Outcome::Accepted, true, false),
            Outcome::Accepted
        );
        assert_eq!(
            none.refine(Outcome::StapleRejected, false, false),
            Outcome::StapleRejected
        );
        assert_eq!(
            none.refine(Outcome::Timeout, false, false),
            Outcome::Timeout
        );
        assert_eq!(
            none.refine(Outcome::HttpForbidden, true, true),
            Outcome::HttpForbidden
        );
        assert_eq!(
            Evidence::default().refine(Outcome::HttpForbidden, true, false),
            Outcome::HttpForbidden
        );
    }

    #[test]
    fn counts_and_names_are_bounded_and_distinct() {
        let mut c = EvidenceCounts::default();
        c.record(
            &requested(Some(CertAnswer::Certificate)),
            Outcome::UnknownCa,
            false,
        );
        c.record(
            &requested(Some(CertAnswer::Empty)),
            Outcome::CertRequired,
            false,
        );
        let none = Evidence {
            observed: true,
            ..Evidence::default()
        };
        c.record(&none, Outcome::Accepted, false);
        c.record(&none, Outcome::Accepted, true);
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
            },
            Outcome::Accepted,
            false,
        );
        c.merge(&d);
        assert_eq!(c.ca_names.len(), MAX_CA_NAMES);
        assert_eq!(c.cert_sent, 2);
    }
}
