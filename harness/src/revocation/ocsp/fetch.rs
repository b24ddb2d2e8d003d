//! A small blocking HTTP/1.1 client for OCSP and CRL downloads (`http://host:port/path` only,
//! one request per connection), with one deadline over connect, send and receive. Blocking on
//! purpose: rustls's certificate verifiers are synchronous.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use base64::Engine as _;

/// Largest body accepted (a 1,000,000-entry CRL is about 40 MB).
const MAX_BODY: usize = 256 * 1024 * 1024;

/// Why a download failed.
#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    /// The URL is not `http://host:port/path`.
    #[error("unsupported URL {0}")]
    Url(String),
    /// Nothing listens there.
    #[error("connection refused")]
    Refused,
    /// The deadline passed.
    #[error("timed out")]
    Timeout,
    /// An HTTP status other than 200.
    #[error("HTTP status {0}")]
    Status(u16),
    /// The answer is not HTTP, or too large.
    #[error("malformed HTTP answer: {0}")]
    Malformed(String),
    /// Another socket error.
    #[error("{0}")]
    Io(std::io::Error),
}

impl From<std::io::Error> for FetchError {
    fn from(e: std::io::Error) -> Self {
        match e.kind() {
            std::io::ErrorKind::ConnectionRefused => FetchError::Refused,
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock => FetchError::Timeout,
            _ => FetchError::Io(e),
        }
    }
}

/// How OCSP requests go out (RFC 6960 appendix A.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OcspMethod {
    /// `GET {url}/{url-encoded base64}` (cacheable by HTTP caches).
    Get,
    /// `POST {url}` with `application/ocsp-request`.
    Post,
}

/// Sends a DER OCSP request to `url`; returns the DER response body.
///
/// # Errors
/// See [`FetchError`].
pub fn fetch_ocsp(
    url: &str,
    request: &[u8],
    method: OcspMethod,
    timeout: Duration,
) -> Result<Vec<u8>, FetchError> {
    match method {
        OcspMethod::Post => http(url, Some(("application/ocsp-request", request)), timeout),
        OcspMethod::Get => {
            let b64 = base64::engine::general_purpose::STANDARD.encode(request);
            let encoded = b64
                .replace('%', "%25")
                .replace('+', "%2B")
                .replace('/', "%2F")
                .replace('=', "%3D");
            http(
                &format!("{}/{encoded}", url.trim_end_matches('/')),
                None,
                timeout,
            )
        }
    }
}

/// Downloads `url` (a CRL).
///
/// # Errors
/// See [`FetchError`].
pub fn fetch(url: &str, timeout: Duration) -> Result<Vec<u8>, FetchError> {
    http(url, None, timeout)
}

fn http(url: &str, post: Option<(&str, &[u8])>, timeout: Duration) -> Result<Vec<u8>, FetchError> {
    let deadline = Instant::now() + timeout;
    let rest = url
        .strip_prefix("http://")
        .ok_or_else(|| FetchError::Url(url.to_string()))?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let addr: SocketAddr = authority
        .to_socket_addrs()
        .map_err(|_| FetchError::Url(url.to_string()))?
        .next()
        .ok_or_else(|| FetchError::Url(url.to_string()))?;
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or(FetchError::Timeout)
    };
    let mut tcp = TcpStream::connect_timeout(&addr, left()?)?;
    let _ = tcp.set_nodelay(true);
    let mut out = match post {
        Some((kind, body)) => format!(
            "POST {path} HTTP/1.1\r\nHost: {authority}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        )
        .into_bytes(),
        None => format!("GET {path} HTTP/1.1\r\nHost: {authority}\r\nConnection: close\r\n\r\n")
            .into_bytes(),
    };
    if let Some((_, body)) = post {
        out.extend_from_slice(body);
    }
    tcp.set_write_timeout(Some(left()?))?;
    tcp.write_all(&out)?;
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 16 * 1024];
    loop {
        tcp.set_read_timeout(Some(left()?))?;
        let n = tcp.read(&mut chunk)?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
        if buf.len() > MAX_BODY {
            return Err(FetchError::Malformed("answer too large".into()));
        }
    }
    parse_response(&buf)
}

fn parse_response(buf: &[u8]) -> Result<Vec<u8>, FetchError> {
    let head_end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(|| FetchError::Malformed("no end of head".into()))?;
    let head = String::from_utf8_lossy(&buf[..head_end]);
    let status: u16 = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| FetchError::Malformed("no status line".into()))?;
    if status != 200 {
        return Err(FetchError::Status(status));
    }
    let body = &buf[head_end + 4..];
    let length = head
        .split("\r\n")
        .filter_map(|l| l.split_once(':'))
        .find(|(k, _)| k.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.trim().parse::<usize>().ok());
    match length {
        Some(n) if n > body.len() => Err(FetchError::Malformed(format!(
            "body cut short: {} of {n} bytes",
            body.len()
        ))),
        Some(n) => Ok(body[..n].to_vec()),
        None => Ok(body.to_vec()),
    }
}
