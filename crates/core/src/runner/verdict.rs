//! The peer's verdict on a refused client, from its error log: nginx answers a bad client
//! certificate with HTTP 400 (and an allow-list's refusal with 403), so the handshake's outcome
//! is read back from what it logged. Kept apart from the case because it is nginx's wording.
//! The node server closes on a refused client after the handshake without an alert; its log's
//! reason is only named (the close stays `closed_without_verdict`: no alert reached the client).
//!
//! Only HTTP refusals are refined (the classes `http_no_certificate`,
//! `http_certificate_error`, `http_forbidden` and `http_error` the reply's status and text
//! gave); a refusal the client's evidence already names as no certificate verdict
//! (`refused_without_cert_request`) keeps its class.

use std::path::Path;

use crate::measure::{Outcome, Recorder};

/// The classes a 400 reply can have been given, in the order they are refined.
const BAD_REQUEST_CLASSES: [Outcome; 3] = [
    Outcome::HttpNoCertificate,
    Outcome::HttpCertificateError,
    Outcome::HttpError,
];

/// The classes a 403 reply can have been given (the process clients read no body, so theirs
/// are `http_error`).
const FORBIDDEN_CLASSES: [Outcome; 2] = [Outcome::HttpForbidden, Outcome::HttpError];

/// Turns HTTP 400 replies into the verdict the peer's error log names (nginx): the 400s are
/// counted as that class, and the log's wording is returned for the summary. HTTP 403 (an
/// allow-list's refusal after a valid chain) is counted as `access_denied`.
pub(super) fn peer_verdict(recorder: &mut Recorder, log: &Path) -> Option<String> {
    let replies = |recorder: &Recorder, code: u16| {
        recorder
            .http_errors
            .iter()
            .find(|(status, _)| *status == code)
            .map_or(0, |(_, n)| *n)
    };
    let mut said = Vec::new();
    let forbidden = replies(recorder, 403);
    if forbidden > 0 {
        let moved = move_up_to(
            recorder,
            &FORBIDDEN_CLASSES,
            Outcome::AccessDenied,
            forbidden,
        );
        said.push(format!(
            "HTTP 403 x{forbidden}: refused by the allow-list (counted as access_denied x{moved})"
        ));
    }
    let bad_request = replies(recorder, 400);
    if bad_request > 0 {
        said.push(match crate::peers::verdict_from_log(log) {
            None => format!("HTTP 400 x{bad_request}; the error log names no reason"),
            Some((outcome, reason)) => {
                move_up_to(recorder, &BAD_REQUEST_CLASSES, outcome, bad_request);
                format!("HTTP 400 x{bad_request}: {reason} (counted as {outcome})")
            }
        });
    }
    let closed = recorder.count(Outcome::ClosedWithoutVerdict);
    if closed > 0 {
        if let Some((code, class, n)) = crate::peers::programs::node_refusals_from_log(log) {
            let class = class.map_or(String::new(), |c| format!(" (OpenSSL's alert for it: {c})"));
            said.push(format!(
                "closed without an alert x{closed}: the server logged {code} x{n}{class}"
            ));
        }
    }
    (!said.is_empty()).then(|| said.join("; "))
}

/// Counts up to `n` attempts of the classes `from` (in order) as `to`; returns how many moved.
fn move_up_to(recorder: &mut Recorder, from: &[Outcome], to: Outcome, n: u64) -> u64 {
    let mut left = n;
    for &class in from {
        let k = left.min(recorder.count(class));
        recorder.reclassify(class, to, k);
        left -= k;
    }
    n - left
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_http_refusals_are_refined() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("error.log");
        std::fs::write(
            &log,
            "2026/11/23 22:00:00 [info] 7#7: *1 client sent no required SSL certificate while reading client request headers\n",
        )
        .unwrap();
        let mut r = Recorder::default();
        r.outcomes[Outcome::HttpNoCertificate.index()] = 3;
        r.outcomes[Outcome::RefusedWithoutCertRequest.index()] = 2;
        r.outcomes[Outcome::HttpForbidden.index()] = 1;
        r.outcomes[Outcome::HttpError.index()] = 1;
        r.http_errors = vec![(400, 5), (403, 2)];
        let said = peer_verdict(&mut r, &log).unwrap();
        assert!(said.contains("counted as cert_required"), "{said}");
        assert_eq!(r.count(Outcome::CertRequired), 3);
        assert_eq!(r.count(Outcome::AccessDenied), 2);
        assert_eq!(r.count(Outcome::RefusedWithoutCertRequest), 2);
        assert_eq!(r.attempts(), 7);
    }
}
