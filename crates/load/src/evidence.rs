//! The evidence cell of the attempt in progress: [`super::attempt`] scopes a fresh
//! [`Evidence`] around each attempt (a tokio task-local, so no client type changes), and a
//! client adapter that sees client authentication records into it from inside its stack's
//! callbacks ([`record_request`], [`record_answer`], [`record_late_request`]), which run while the attempt's future is
//! polled. Outside an attempt (an exposure probe, a sanity handshake) recording does nothing.

use std::cell::RefCell;
use std::future::Future;

use crate::measure::{CertAnswer, CertRequest, Evidence, LateRequest};

tokio::task_local! {
    static EVIDENCE: RefCell<Evidence>;
}

/// Runs `attempt` with a fresh evidence cell (`observed` as given) and returns its output with
/// what was recorded.
pub(super) async fn scoped<F: Future>(observed: bool, attempt: F) -> (F::Output, Evidence) {
    let cell = RefCell::new(Evidence {
        observed,
        ..Evidence::default()
    });
    EVIDENCE
        .scope(cell, async {
            let output = attempt.await;
            let evidence = EVIDENCE.with(|e| e.take());
            (output, evidence)
        })
        .await
}

/// Records that the server sent a CertificateRequest. Called by the client's stack when the
/// request arrives (a no-op outside an attempt).
pub fn record_request(request: CertRequest) {
    let _ = EVIDENCE.try_with(|e| e.borrow_mut().request = Some(request));
}

/// Records what the client's Certificate message carried (a no-op outside an attempt).
pub fn record_answer(answer: CertAnswer) {
    let _ = EVIDENCE.try_with(|e| e.borrow_mut().answer = Some(answer));
}

/// Records that the server asked for the client's certificate after the handshake (a TLS 1.3
/// post-handshake CertificateRequest or a TLS 1.2 HelloRequest); a no-op outside an attempt.
pub fn record_late_request(request: LateRequest) {
    let _ = EVIDENCE.try_with(|e| e.borrow_mut().late_request = Some(request));
}

/// Records one look into the client's session store while it builds a resuming ClientHello:
/// whether it found a session. A stack may look more than once (a TLS 1.3 ticket, then a TLS
/// 1.2 session); any find counts (a no-op outside an attempt).
pub fn record_session_lookup(found: bool) {
    let _ = EVIDENCE.try_with(|e| {
        let mut e = e.borrow_mut();
        e.session_found = Some(e.session_found.unwrap_or(false) || found);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn records_land_in_the_scoped_cell_only() {
        record_answer(CertAnswer::Empty);
        let ((), e) = scoped(true, async {
            record_request(CertRequest::bounded(["CN=a".to_string()], []));
            record_answer(CertAnswer::Certificate);
            record_late_request(LateRequest::PostHandshake);
        })
        .await;
        assert!(e.observed);
        assert_eq!(e.answer, Some(CertAnswer::Certificate));
        assert_eq!(e.late_request, Some(LateRequest::PostHandshake));
        assert_eq!(&*e.request.unwrap().ca_names, ["CN=a".to_string()]);
        let ((), e) = scoped(false, async {}).await;
        assert_eq!(e, Evidence::default());
    }
}
