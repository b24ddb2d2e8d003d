//! A small blocking HTTP/1.1 client for OCSP and CRL downloads (`http://host:port/path` only,
//! one request per connection), with one deadline over connect, send and receive. Blocking on
//! purpose: rustls's certificate verifiers are synchronous.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

use base64::Engine as _;

/// Largest body accepted (a 1,000,000-entry CRL is about 40 MB).
const MAX_BODY: usize = 256 * 1024 * 1024;
/// Most header lines an answer's head may have.
const MAX_HEADERS: usize = 64;

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
    Malformed(MalformedAnswer),
    /// Another socket error.
    #[error("{0}")]
    Io(std::io::Error),
}

/// What is wrong with an answer that is not usable HTTP.
#[derive(Debug, thiserror::Error)]
pub enum MalformedAnswer {
    /// More than the largest body accepted arrived.
    #[error("answer too large")]
    TooLarge,
    /// The connection closed before the head ended.
    #[error("no end of head")]
    NoEndOfHead,
    /// The head does not parse as an HTTP/1.x response head.
    #[error("bad head: {0}")]
    Head(httparse::Error),
    /// The connection closed before the body Content-Length announced.
    #[error("body cut short: {got} of {announced} bytes")]
    CutShort {
        /// Bytes that arrived.
        got: usize,
        /// Bytes announced.
        announced: usize,
    },
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
            return Err(FetchError::Malformed(MalformedAnswer::TooLarge));
        }
    }
    parse_response(&buf)
}

/// The body of a complete answer `buf` (everything the server sent before closing), when its
/// status is 200: cut to its Content-Length when it has one.
fn parse_response(buf: &[u8]) -> Result<Vec<u8>, FetchError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    let head_len = match response.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => {
            return Err(FetchError::Malformed(MalformedAnswer::NoEndOfHead))
        }
        Err(e) => return Err(FetchError::Malformed(MalformedAnswer::Head(e))),
    };
    // A complete response head always has its status code.
    let status = response
        .code
        .ok_or(FetchError::Malformed(MalformedAnswer::Head(
            httparse::Error::Status,
        )))?;
    if status != 200 {
        return Err(FetchError::Status(status));
    }
    let body = &buf[head_len..];
    let length = response
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| std::str::from_utf8(h.value).ok())
        .and_then(|v| v.trim().parse::<usize>().ok());
    match length {
        Some(n) if n > body.len() => Err(FetchError::Malformed(MalformedAnswer::CutShort {
            got: body.len(),
            announced: n,
        })),
        Some(n) => Ok(body[..n].to_vec()),
        None => Ok(body.to_vec()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_complete_answer_gives_its_body_cut_to_content_length() {
        let body = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabcdef").unwrap();
        assert_eq!(body, b"abc");
        let body = parse_response(b"HTTP/1.0 200 OK\r\n\r\nabcdef").unwrap();
        assert_eq!(body, b"abcdef");
    }

    #[test]
    fn malformed_answers_are_classified() {
        let cases: [(&[u8], &str); 5] = [
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n",
                "no end of head",
            ),
            (b"", "no end of head"),
            (b"garbage\r\n\r\n", "bad head"),
            (b"HTTP/1.1 2x0 OK\r\n\r\n", "bad head"),
            (
                b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc",
                "body cut short: 3 of 9 bytes",
            ),
        ];
        for (answer, expected) in cases {
            match parse_response(answer) {
                Err(e @ FetchError::Malformed(_)) => {
                    assert!(e.to_string().contains(expected), "{e}");
                }
                other => panic!("{answer:?}: {other:?}"),
            }
        }
        assert!(matches!(
            parse_response(b"HTTP/1.1 404 Not Found\r\n\r\n"),
            Err(FetchError::Status(404))
        ));
    }
}
