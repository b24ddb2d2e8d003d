//! What the load engine asks of an in-process client: turn a connected TCP stream into a TLS
//! stream, say what was negotiated, classify its own failures, and keep per-identity sessions.
//! Each client adapter (`peers::clients`) implements it; the engine knows no TLS stack.

use std::future::Future;
use std::io;

use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;

use crate::measure::{CountingStream, Negotiated, Outcome};

/// The TLS side of a load client: turns a connected TCP stream into a TLS stream.
pub trait Connector: Send + Sync + 'static {
    /// The TLS stream type.
    type Stream: AsyncRead + AsyncWrite + Unpin + Send;

    /// Runs the TLS handshake over `tcp`, presenting identity number `identity` (modulo the
    /// pool), with `request` queued so that it leaves in the same flight as the client's
    /// Finished (as browsers do; it saves a packet and a system call per handshake). On failure
    /// the error carries the alert or local error for classification.
    ///
    /// With `resume`, the client offers the session it holds for `identity` (see
    /// [`Connector::can_resume`]).
    fn handshake(
        &self,
        tcp: CountingStream<TcpStream>,
        identity: usize,
        request: &[u8],
        resume: bool,
    ) -> impl Future<Output = io::Result<Self::Stream>> + Send;

    /// The request each attempt sends after the handshake (`GET /` for `localhost` unless the
    /// client was made for a target with its own name and path, [`crate::request_for`]).
    fn request(&self) -> &[u8] {
        super::REQUEST
    }

    /// What the finished handshake negotiated.
    fn negotiated(stream: &Self::Stream) -> Option<Negotiated>;

    /// The outcome class of an error of this client's handshake or stream. The default reads
    /// the stack-neutral [`crate::measure::TlsFailure`] an adapter put inside the error, then
    /// the I/O error kind; an adapter whose stack returns its own error type inside the
    /// `io::Error` (rustls does) maps it here.
    fn classify(err: &io::Error) -> Outcome {
        Outcome::from_io_error(err)
    }

    /// Whether this client records verdict evidence (`load::record_request` and
    /// `load::record_answer` from its stack's callbacks) in every handshake: then an attempt
    /// in which nothing was recorded saw no CertificateRequest. Clients that cannot see it
    /// keep the default, and their attempts stay "not observed".
    fn observes_client_auth(&self) -> bool {
        false
    }

    /// Whether `identity` holds a session to offer: resumption is on and an earlier handshake
    /// of this identity was accepted.
    fn can_resume(&self, identity: usize) -> bool;

    /// Records that a handshake of `identity` was accepted (so it holds a session now).
    fn accepted(&self, identity: usize);
}
