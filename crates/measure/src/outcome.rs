//! Outcome classes: the stable verdict of one handshake attempt, mapped from the alert that was
//! received or sent, the peer's HTTP answer, or the I/O failure.
//!
//! A rejection is data, never an `Err` of the run.

use std::fmt;
use std::io;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The classified outcome of one handshake attempt.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::IntoStaticStr,
    strum::VariantArray,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Outcome {
    /// Handshake done and the server's HTTP 2xx reply received.
    Accepted,
    /// Server sent certificate_required (116).
    CertRequired,
    /// Server sent unknown_ca (48).
    UnknownCa,
    /// Server sent certificate_expired (45).
    CertExpired,
    /// Server sent certificate_revoked (44).
    CertRevoked,
    /// Server sent bad_certificate (42).
    BadCertificate,
    /// Server sent unsupported_certificate (43).
    UnsupportedCertificate,
    /// Server sent certificate_unknown (46).
    CertificateUnknown,
    /// Server sent decrypt_error (51).
    DecryptError,
    /// Server sent handshake_failure (40).
    HandshakeFailure,
    /// Server sent protocol_version (70).
    ProtocolVersion,
    /// Server sent access_denied (49).
    AccessDenied,
    /// Server sent illegal_parameter (47).
    IllegalParameter,
    /// Server sent decode_error (50).
    DecodeError,
    /// Server sent bad_certificate_status_response (113).
    BadCertificateStatusResponse,
    /// Server sent insufficient_security (71).
    InsufficientSecurity,
    /// Server sent internal_error (80).
    InternalError,
    /// Server sent another fatal alert.
    OtherAlert,
    /// The server answered with an HTTP status other than 2xx that no class below names
    /// (nginx's way to reject, before its error log refines it).
    HttpError,
    /// HTTP 400 with nginx's text for its internal 496: "No required SSL certificate was sent".
    HttpNoCertificate,
    /// HTTP 400 with nginx's text for its internal 495: "The SSL certificate error".
    HttpCertificateError,
    /// HTTP 403 Forbidden (access control refused a valid certificate).
    HttpForbidden,
    /// HTTP 421 Misdirected Request.
    HttpMisdirected,
    /// The server refused (an alert or an HTTP refusal) after a completed full handshake in
    /// which it sent no CertificateRequest: it never judged a certificate. (A refusal before
    /// the client's Certificate keeps its class; the attempt's evidence times it.)
    RefusedWithoutCertRequest,
    /// The client refused the server's certificate or parameters (a local TLS error).
    ClientRejectedServer,
    /// The client refused the server's OCSP staple (revoked, invalid, or missing with
    /// Must-Staple) and sent bad_certificate_status_response.
    StapleRejected,
    /// The peer sent bytes that are not valid TLS, or a message out of order.
    ProtocolError,
    /// The server closed the connection without an alert or a reply.
    ClosedWithoutVerdict,
    /// The attempt did not finish within the per-handshake timeout.
    Timeout,
    /// The connection was reset (or the connect refused).
    Reset,
    /// Another I/O error, or a reply that is not HTTP.
    IoError,
}

impl Outcome {
    /// Every class, in report order (declaration order).
    pub const ALL: &'static [Outcome] = <Self as strum::VariantArray>::VARIANTS;

    /// How many classes there are (the length of counter arrays).
    pub const COUNT: usize = Self::ALL.len();

    /// Dense index, for counter arrays.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The snake_case name used in reports and scenario files.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// True for a verdict of rejection: the server's alert or HTTP error, or the client's
    /// refusal of the server's OCSP staple; as opposed to acceptance, a transport failure or
    /// a refusal that is no certificate verdict (`refused_without_cert_request`).
    pub fn is_server_rejection(self) -> bool {
        !matches!(
            self,
            Outcome::Accepted
                | Outcome::RefusedWithoutCertRequest
                | Outcome::ClientRejectedServer
                | Outcome::ProtocolError
                | Outcome::ClosedWithoutVerdict
                | Outcome::Timeout
                | Outcome::Reset
                | Outcome::IoError
        )
    }

    /// The class for a fatal alert received from the server, by its TLS alert number (RFC 8446
    /// §6; each client adapter reads the number from its own stack).
    pub fn from_alert(alert: u8) -> Outcome {
        match alert {
            116 => Outcome::CertRequired,
            48 => Outcome::UnknownCa,
            45 => Outcome::CertExpired,
            44 => Outcome::CertRevoked,
            42 => Outcome::BadCertificate,
            43 => Outcome::UnsupportedCertificate,
            46 => Outcome::CertificateUnknown,
            51 => Outcome::DecryptError,
            40 => Outcome::HandshakeFailure,
            70 => Outcome::ProtocolVersion,
            49 => Outcome::AccessDenied,
            47 => Outcome::IllegalParameter,
            50 => Outcome::DecodeError,
            113 => Outcome::BadCertificateStatusResponse,
            71 => Outcome::InsufficientSecurity,
            80 => Outcome::InternalError,
            _ => Outcome::OtherAlert,
        }
    }

    /// True for the classes of an HTTP refusal (a non-2xx status after the handshake).
    pub fn is_http(self) -> bool {
        matches!(
            self,
            Outcome::HttpError
                | Outcome::HttpNoCertificate
                | Outcome::HttpCertificateError
                | Outcome::HttpForbidden
                | Outcome::HttpMisdirected
        )
    }

    /// The class of an HTTP reply with `status`, from its status and (the first part of) its
    /// `body`: 2xx is accepted; nginx's two 400 pages for a client certificate (its internal
    /// 495 and 496, `ngx_http_special_response.c`), 403 and 421 have their own classes; any
    /// other status is `http_error`.
    pub fn from_http_reply(status: u16, body: &[u8]) -> Outcome {
        /// nginx's text for 496 (no client certificate).
        const NO_CERTIFICATE: &[u8] = b"No required SSL certificate was sent";
        /// nginx's text for 495 (the client certificate did not verify).
        const CERTIFICATE_ERROR: &[u8] = b"The SSL certificate error";
        let has = |text: &[u8]| body.windows(text.len()).any(|w| w == text);
        match status {
            200..=299 => Outcome::Accepted,
            400 if has(NO_CERTIFICATE) => Outcome::HttpNoCertificate,
            400 if has(CERTIFICATE_ERROR) => Outcome::HttpCertificateError,
            403 => Outcome::HttpForbidden,
            421 => Outcome::HttpMisdirected,
            _ => Outcome::HttpError,
        }
    }

    /// Classifies an I/O error from a client connection: a [`TlsFailure`] inside it (which a
    /// client adapter put there from its own stack's error), a reset, or a plain I/O error.
    pub fn from_io_error(err: &io::Error) -> Outcome {
        if let Some(tls) = err.get_ref().and_then(|e| e.downcast_ref::<TlsFailure>()) {
            return tls.outcome();
        }
        match err.kind() {
            io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::BrokenPipe => Outcome::Reset,
            io::ErrorKind::UnexpectedEof => Outcome::ClosedWithoutVerdict,
            io::ErrorKind::TimedOut => Outcome::Timeout,
            _ => Outcome::IoError,
        }
    }
}

/// A client's TLS failure in stack-neutral terms. Each client adapter maps its own stack's
/// errors to one of these and carries it inside the `io::Error` it returns, so that
/// [`Outcome::from_io_error`] classifies every stack alike without knowing any of them.
#[derive(Debug, thiserror::Error)]
pub enum TlsFailure {
    /// The server sent this fatal alert (its TLS alert number).
    #[error("received fatal alert {0}")]
    AlertReceived(u8),
    /// The peer sent bytes that are not valid TLS, or a message out of order.
    #[error("peer misbehaved: {0}")]
    Protocol(String),
    /// The client refused the server's OCSP staple.
    #[error("OCSP staple refused: {0}")]
    StapleRejected(String),
    /// The client refused the server's certificate or parameters.
    #[error("{0}")]
    Local(String),
}

impl TlsFailure {
    /// The outcome class of this failure.
    pub fn outcome(&self) -> Outcome {
        match self {
            TlsFailure::AlertReceived(alert) => Outcome::from_alert(*alert),
            TlsFailure::Protocol(_) => Outcome::ProtocolError,
            TlsFailure::StapleRejected(_) => Outcome::StapleRejected,
            TlsFailure::Local(_) => Outcome::ClientRejectedServer,
        }
    }

    /// This failure inside an `io::Error`, as client adapters return it.
    pub fn into_io(self) -> io::Error {
        io::Error::new(io::ErrorKind::InvalidData, self)
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Outcome {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Outcome::ALL
            .iter()
            .copied()
            .find(|o| o.name() == s)
            .ok_or_else(|| {
                let names: Vec<_> = Outcome::ALL.iter().map(|o| o.name()).collect();
                format!("one of {}", names.join(", "))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_matches_position() {
        for (i, o) in Outcome::ALL.iter().enumerate() {
            assert_eq!(o.index(), i);
            assert_eq!(o.name().parse::<Outcome>(), Ok(*o));
        }
    }

    #[test]
    fn http_replies_are_classified_by_status_and_nginx_text() {
        // nginx's pages for its internal 496 and 495 (ngx_http_special_response.c).
        let no_cert = b"<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>No required SSL certificate was sent</center>\r\n";
        let cert_error = b"<html>\r\n<head><title>400 The SSL certificate error</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>The SSL certificate error</center>\r\n";
        let r = Outcome::from_http_reply;
        assert_eq!(r(400, no_cert), Outcome::HttpNoCertificate);
        assert_eq!(r(400, cert_error), Outcome::HttpCertificateError);
        assert_eq!(r(400, b"bad request"), Outcome::HttpError);
        assert_eq!(r(500, no_cert), Outcome::HttpError);
        assert_eq!(r(403, b""), Outcome::HttpForbidden);
        assert_eq!(r(421, b""), Outcome::HttpMisdirected);
        assert_eq!(r(204, b""), Outcome::Accepted);
        assert!(Outcome::ALL
            .iter()
            .filter(|o| o.is_http())
            .all(|o| o.is_server_rejection()));
        assert!(!Outcome::RefusedWithoutCertRequest.is_server_rejection());
    }

    #[test]
    fn failure_inside_io_error_is_classified() {
        let err = TlsFailure::AlertReceived(116).into_io();
        assert_eq!(Outcome::from_io_error(&err), Outcome::CertRequired);
        let reset = io::Error::from(io::ErrorKind::ConnectionReset);
        assert_eq!(Outcome::from_io_error(&reset), Outcome::Reset);
        let local = TlsFailure::Local("unknown issuer".into()).into_io();
        assert_eq!(
            Outcome::from_io_error(&local),
            Outcome::ClientRejectedServer
        );
    }
}
