//! One handshake attempt: TCP connect, TLS handshake, `GET /` (or the client's own request:
//! a target's name and path), and the reply's status (with a
//! bounded part of a refusal's body, `reply.rs`), with a timestamp per phase, every failure
//! classified, and the client's verdict evidence (`evidence.rs`) refining the class.
//!
//! Acceptance needs the application round trip: in TLS 1.3 the client's handshake completes
//! before the server has judged the client certificate, and a rejection arrives as an alert on
//! the first read. So an attempt counts as accepted only when an HTTP 2xx status line arrived.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::net::TcpStream;
use tokio::time::Instant as Deadline;

use super::evidence::scoped;
use super::reply::read_reply;
use super::Connector;
use crate::measure::{CountingStream, Outcome, Sample};

/// Runs one attempt against `addr`, finishing within `timeout` of its actual start. With
/// `want_resume`, the client offers `identity`'s session if it holds one.
pub async fn attempt<C: Connector>(
    connector: &C,
    addr: SocketAddr,
    identity: usize,
    intended: Instant,
    timeout: Duration,
    want_resume: bool,
) -> Sample {
    let mut sample = Sample::begin(intended);
    sample.meant_to_resume = want_resume && connector.can_resume(identity);
    let deadline = Deadline::from_std(sample.start + timeout);
    let mut counts = None;
    let (result, mut evidence) = scoped(
        connector.observes_client_auth(),
        tokio::time::timeout_at(
            deadline,
            run(
                connector,
                addr,
                identity,
                &mut sample,
                &mut counts,
                deadline,
            ),
        ),
    )
    .await;
    sample.end = Instant::now();
    if !sample.meant_to_resume {
        // An identity's first handshake looks into its empty store: that says nothing.
        evidence.session_found = None;
    } else if evidence.session_found == Some(false) {
        // The identity had a session once, but its store held none now (the server sent no
        // ticket to replace the one used, or a concurrent attempt took it): this handshake
        // offered nothing, so it is a full one, not a resumption the server declined.
        sample.meant_to_resume = false;
    }
    let outcome = match result {
        Ok((outcome, stream)) => {
            // The verdict is in; read the rest of the reply and the close so the connection
            // ends cleanly, outside the latency and the timeout (bounded on its own).
            if let Some(mut stream) = stream {
                let _ = tokio::time::timeout(DRAIN_LIMIT, drain(&mut stream)).await;
            }
            outcome
        }
        Err(_elapsed) => Outcome::Timeout,
    };
    let resumed = sample.negotiated.is_some_and(|n| n.resumed);
    sample.outcome = evidence.settle(outcome, sample.tls_done.is_some(), resumed);
    sample.evidence = evidence;
    if sample.outcome == Outcome::Accepted {
        connector.accepted(identity);
    }
    if let Some(c) = counts {
        let c: std::sync::Arc<crate::measure::ByteCounts> = c;
        sample.bytes_sent = c.sent();
        sample.bytes_received = c.received();
    }
    sample
}

/// How long an attempt may spend reading the rest of a reply after its status line.
const DRAIN_LIMIT: Duration = Duration::from_millis(500);

/// The attempt up to its verdict; returns the stream too when there is a reply to drain.
async fn run<C: Connector>(
    connector: &C,
    addr: SocketAddr,
    identity: usize,
    sample: &mut Sample,
    counts: &mut Option<std::sync::Arc<crate::measure::ByteCounts>>,
    deadline: Deadline,
) -> (Outcome, Option<C::Stream>) {
    let tcp = match TcpStream::connect(addr).await {
        Ok(tcp) => tcp,
        Err(e) => return (C::classify(&e), None),
    };
    let _ = tcp.set_nodelay(true);
    sample.connected = Some(Instant::now());
    let (tcp, c) = CountingStream::new(tcp);
    *counts = Some(c);

    let mut tls = match connector
        .handshake(tcp, identity, connector.request(), sample.meant_to_resume)
        .await
    {
        Ok(tls) => tls,
        Err(e) => return (C::classify(&e), None),
    };
    sample.tls_done = Some(Instant::now());
    sample.negotiated = C::negotiated(&tls);
    // The request left with the handshake's last flight; a TLS 1.3 rejection of the client
    // certificate arrives as an alert on this first read.
    match read_reply(&mut tls, sample, deadline).await {
        Ok(Some((status, outcome))) => {
            sample.http_status = Some(status);
            (outcome, Some(tls))
        }
        Ok(None) => (Outcome::ClosedWithoutVerdict, None),
        Err(e) => (C::classify(&e), None),
    }
}

async fn drain<S: AsyncRead + Unpin>(stream: &mut S) {
    let mut sink = [0u8; 2048];
    while matches!(stream.read(&mut sink).await, Ok(n) if n > 0) {}
}
