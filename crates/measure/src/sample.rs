//! One handshake attempt's timestamps, bytes, negotiated parameters and outcome.

use std::time::{Duration, Instant};

use super::{Evidence, Outcome};

/// What a handshake negotiated, as the client saw it, by the registry names of the parameters
/// (`TLSv1_3`, `TLS13_AES_256_GCM_SHA384`, `X25519`: the names rustls gives them, which each
/// client adapter produces from its own stack's values through `peers::tls`), so that measuring
/// and reporting know no TLS stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Negotiated {
    /// Protocol version.
    pub version: &'static str,
    /// Cipher suite.
    pub suite: &'static str,
    /// Key-exchange group (`None` for TLS 1.2 resumption without key exchange).
    pub group: Option<&'static str>,
    /// Whether the handshake resumed a session.
    pub resumed: bool,
}

/// One handshake attempt.
#[derive(Clone, Debug)]
pub struct Sample {
    /// When the schedule meant it to start (open loop) or when it started (closed loop).
    pub intended: Instant,
    /// When the TCP connect began.
    pub start: Instant,
    /// TCP connected.
    pub connected: Option<Instant>,
    /// TLS handshake complete at the client.
    pub tls_done: Option<Instant>,
    /// First byte of the HTTP reply.
    pub first_byte: Option<Instant>,
    /// When the verdict (or failure) was known.
    pub end: Instant,
    /// Classified outcome.
    pub outcome: Outcome,
    /// HTTP status of the reply, if one arrived.
    pub http_status: Option<u16>,
    /// Bytes written to the TCP socket.
    pub bytes_sent: u64,
    /// Bytes read from the TCP socket.
    pub bytes_received: u64,
    /// Parameters, when the handshake completed.
    pub negotiated: Option<Negotiated>,
    /// The client offered a session it held (the schedule asked to resume, the identity had
    /// a session from an earlier handshake, and, where the client can tell, its session store
    /// still held one when the ClientHello was built: [`Evidence::session_found`]).
    pub meant_to_resume: bool,
    /// What the client saw of client authentication ("not observed" for clients that cannot
    /// see it).
    pub evidence: Evidence,
}

impl Sample {
    /// A sample for an attempt starting now, outcome to be filled in.
    pub fn begin(intended: Instant) -> Self {
        let now = Instant::now();
        Self {
            intended,
            start: now,
            connected: None,
            tls_done: None,
            first_byte: None,
            end: now,
            outcome: Outcome::IoError,
            http_status: None,
            bytes_sent: 0,
            bytes_received: 0,
            negotiated: None,
            meant_to_resume: false,
            evidence: Evidence::default(),
        }
    }

    /// The headline latency: from the scheduled start to the first reply byte for accepted
    /// handshakes, to the verdict otherwise.
    pub fn latency(&self) -> Duration {
        let until = match self.outcome {
            Outcome::Accepted => self.first_byte.unwrap_or(self.end),
            _ => self.end,
        };
        until.saturating_duration_since(self.intended)
    }

    /// TCP connect time.
    pub fn connect_phase(&self) -> Option<Duration> {
        Some(self.connected?.saturating_duration_since(self.start))
    }

    /// TLS handshake time at the client (from TCP connected).
    pub fn handshake_phase(&self) -> Option<Duration> {
        Some(self.tls_done?.saturating_duration_since(self.connected?))
    }

    /// From handshake done to the first reply byte.
    pub fn response_phase(&self) -> Option<Duration> {
        Some(self.first_byte?.saturating_duration_since(self.tls_done?))
    }
}
