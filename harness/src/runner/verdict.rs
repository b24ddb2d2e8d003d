//! The peer's verdict on a refused client, from its error log: nginx answers a bad client
//! certificate with HTTP 400 (and an allow-list's refusal with 403), so the handshake's outcome
//! is read back from what it logged. Kept apart from the case because it is nginx's wording.

use std::path::Path;

/// Turns HTTP 400 replies into the verdict the peer's error log names (nginx): the 400s are
/// counted as that class, and the log's wording is returned for the summary. HTTP 403 (an
/// allow-list's refusal after a valid chain) is counted as `access_denied`.
pub(super) fn peer_verdict(recorder: &mut crate::measure::Recorder, log: &Path) -> Option<String> {
    use crate::measure::Outcome;
    let replies = |recorder: &crate::measure::Recorder, code: u16| {
        recorder
            .http_errors
            .iter()
            .find(|(status, _)| *status == code)
            .map_or(0, |(_, n)| *n)
    };
    let mut said = Vec::new();
    let forbidden = replies(recorder, 403);
    if forbidden > 0 {
        recorder.reclassify(Outcome::HttpError, Outcome::AccessDenied, forbidden);
        said.push(format!(
            "HTTP 403 x{forbidden}: refused by the allow-list (counted as access_denied)"
        ));
    }
    let bad_request = replies(recorder, 400);
    if bad_request > 0 {
        said.push(match crate::peers::verdict_from_log(log) {
            None => format!("HTTP 400 x{bad_request}; the error log names no reason"),
            Some((outcome, reason)) => {
                recorder.reclassify(Outcome::HttpError, outcome, bad_request);
                format!("HTTP 400 x{bad_request}: {reason} (counted as {outcome})")
            }
        });
    }
    (!said.is_empty()).then(|| said.join("; "))
}
