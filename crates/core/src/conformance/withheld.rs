//! When the evidence withholds the usual grade of a case x peer: a server that never asked
//! for a certificate and let no one in (`not_requested`, "client authentication not
//! requested"), attempts that ended without a verdict (a timeout, a close without an alert or
//! a reply before the client's Certificate: never a refusal), and a revocation case whose
//! server never consulted the source the harness counts (its OCSP responder, its CRL
//! service): no query, no revocation grade, and a revoked credential let in without one is the
//! finding "revocation not checked".

use std::collections::BTreeMap;

use super::row::Grade;
use super::spec::CaseSpec;
use crate::measure::Outcome;
use crate::report::CaseSummary;

/// The note on a row whose server never asked for a client certificate and let no one in.
pub const NOT_REQUESTED: &str = "client authentication not requested";

/// What a revocation case's row says when its server never asked the harness's responder.
pub const NEVER_ASKED_RESPONDER: &str = "the server never asked the responder";

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
        _ => format!("{NEVER_ASKED_RESPONDER} (0 OCSP requests during the case)"),
    })
}
