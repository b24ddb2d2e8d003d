//! The grade words and the row of one graded case x peer: the types the grading, the suite
//! checks, the table, JUnit and PKITS share.

use serde::Serialize;

use crate::report::{EvidenceSummary, SourceQueries};

/// The grade of one case against one peer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Grade {
    /// Outcome and alert as expected.
    Pass,
    /// Rejected with another alert that the RFC text also allows.
    PassAlt,
    /// Rejected, but with an alert other than a SHOULD or a definition asks for.
    Deviation,
    /// Rejected with the wrong alert where an RFC says MUST.
    FailMust,
    /// Accepted what it must reject: a security finding.
    FailAcceptedInvalid,
    /// Rejected a valid credential.
    FailRejectedValid,
    /// Client authentication not requested: the server never sent a CertificateRequest and
    /// let no one in, so it judged no certificate (a finding, not a pass).
    NotRequested,
    /// The peer lacks what the case needs (the reason is in the row).
    Skipped,
    /// No verdict could be had: the case could not run against the peer (it did not start, no
    /// attempts...), its attempts got no answer (a timeout, a close without a verdict), the
    /// refusal came before the client's Certificate, or a revocation case's server never
    /// consulted the source.
    Error,
}

impl Grade {
    /// Every grade, in the order the conformance table counts them.
    pub const ALL: &'static [Grade] = &[
        Grade::Pass,
        Grade::PassAlt,
        Grade::Deviation,
        Grade::FailMust,
        Grade::FailAcceptedInvalid,
        Grade::FailRejectedValid,
        Grade::NotRequested,
        Grade::Error,
        Grade::Skipped,
    ];

    /// The snake_case name.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// Whether the grade is a pass.
    pub fn passed(self) -> bool {
        matches!(self, Grade::Pass | Grade::PassAlt)
    }
}

/// One graded case x peer.
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// The case (without matrix suffix).
    pub case: String,
    /// CONFORMANCE.md group.
    pub group: String,
    /// The peer (`nginx`, or `client->server` when the client is not rustls).
    pub peer: String,
    /// The grade.
    pub grade: Grade,
    /// What was expected, in words (`reject:cert_required (must)`).
    pub expected: String,
    /// What happened: outcome classes and counts, or the skip/error reason.
    pub observed: String,
    /// The single class every attempt ended in, when there was one.
    pub observed_class: Option<String>,
    /// The peer's own verdict, when it came from the peer rather than an alert (nginx).
    pub peer_verdict: Option<String>,
    /// The listed reason, when this is a known deviation.
    pub known_deviation: Option<String>,
    /// Why this row fails the suite, if it does.
    pub problem: Option<String>,
    /// Wall time of the case, in seconds (for JUnit).
    pub seconds: f64,
    /// What the client saw of client authentication (CertificateRequest, Certificate, when
    /// the refusal came), when the case ran.
    pub evidence: Option<EvidenceSummary>,
    /// What the case's revocation source (the harness's OCSP responder or CRL service) was
    /// asked during the case, for the modes where it counts.
    pub revocation_queries: Option<SourceQueries>,
    /// Where the expectation comes from (`RFC 8446 4.4.2.4`).
    pub rfc: Option<String>,
    /// The RFC's own words for it, when checked against the RFC text.
    pub quote: Option<String>,
}
