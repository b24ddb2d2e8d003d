//! Reading the server's HTTP reply: the status line first (a 2xx verdict is known there, so
//! acceptance costs no more than before), and for a refusal a bounded part of the head and
//! body too ([`MAX_REPLY`] bytes, at most [`BODY_WAIT`] and never past the attempt's deadline),
//! from which [`Outcome::from_http_reply`] tells nginx's certificate pages, 403 and 421 apart;
//! and [`parse_status_line`], the status line's parser (the clients' output reader uses it too).

use std::io;
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt};
use tokio::time::Instant;

use crate::measure::{Outcome, Sample};

/// The most of a refusal's reply (head and body) read for its class.
pub const MAX_REPLY: usize = 4096;

/// The longest a refusal's body is waited for after its status line.
pub const BODY_WAIT: Duration = Duration::from_millis(500);

/// The buffer the status line is read into (it may hold the start of the head too).
const STATUS_BUFFER: usize = 512;

/// Headers parsed to find the body's length.
const MAX_HEADERS: usize = 32;

/// The longest status line [`parse_status_line`] reads.
const MAX_STATUS_LINE: usize = 510;

/// `HTTP/1.1 200 OK` -> 200 (with or without the line's CRLF; httparse reads it).
pub fn parse_status_line(line: &[u8]) -> Option<u16> {
    let line = line.strip_suffix(b"\r\n").unwrap_or(line);
    if line.len() > MAX_STATUS_LINE {
        return None;
    }
    // httparse reads a head, so the line gets its CRLF back (on the stack: this runs once per
    // attempt). With no room for headers it stops after the status line.
    let mut head = [0u8; MAX_STATUS_LINE + 2];
    head[..line.len()].copy_from_slice(line);
    head[line.len()..line.len() + 2].copy_from_slice(b"\r\n");
    let mut headers = [httparse::EMPTY_HEADER; 0];
    let mut response = httparse::Response::new(&mut headers);
    response.parse(&head[..line.len() + 2]).ok()?;
    // httparse takes any three digits; 000-099 is no HTTP status (RFC 9110 15: 100-599, the
    // first digit its class), so such a line is garbage, not a reply.
    response.code.filter(|c| *c >= 100)
}

/// Reads the reply's status and classifies it; `None` when the server closed before a byte.
/// Stops reading a refusal's body at `deadline`.
///
/// # Errors
/// The stream's error before the status line, or a reply that is not HTTP/1.x.
pub(super) async fn read_reply<S: AsyncRead + Unpin>(
    stream: &mut S,
    sample: &mut Sample,
    deadline: Instant,
) -> io::Result<Option<(u16, Outcome)>> {
    let mut buf = [0u8; STATUS_BUFFER];
    let mut filled = 0;
    let status = loop {
        let n = stream.read(&mut buf[filled..]).await?;
        if n == 0 {
            return if filled == 0 {
                Ok(None)
            } else {
                Err(io::ErrorKind::UnexpectedEof.into())
            };
        }
        if filled == 0 {
            sample.first_byte = Some(std::time::Instant::now());
        }
        filled += n;
        if let Some(pos) = buf[..filled].windows(2).position(|w| w == b"\r\n") {
            break parse_status_line(&buf[..pos]).ok_or_else(|| {
                io::Error::new(io::ErrorKind::InvalidData, "reply is not HTTP/1.x")
            })?;
        }
        if filled == buf.len() {
            return Err(io::Error::new(
                io::ErrorKind::InvalidData,
                "status line too long",
            ));
        }
    };
    if (200..300).contains(&status) {
        return Ok(Some((status, Outcome::Accepted)));
    }
    let mut reply = Vec::with_capacity(MAX_REPLY);
    reply.extend_from_slice(&buf[..filled]);
    let until = deadline.min(Instant::now() + BODY_WAIT);
    // Whatever arrived by then is classified; a late or broken body only loses the text.
    let _ = tokio::time::timeout_at(until, read_rest(stream, &mut reply)).await;
    Ok(Some((
        status,
        Outcome::from_http_reply(status, body(&reply)),
    )))
}

/// Reads until the body is complete (by its Content-Length), [`MAX_REPLY`] bytes, or the end.
async fn read_rest<S: AsyncRead + Unpin>(stream: &mut S, reply: &mut Vec<u8>) {
    let mut chunk = [0u8; 1024];
    while reply.len() < MAX_REPLY && !complete(reply) {
        let room = (MAX_REPLY - reply.len()).min(chunk.len());
        match stream.read(&mut chunk[..room]).await {
            Ok(n) if n > 0 => reply.extend_from_slice(&chunk[..n]),
            _ => return,
        }
    }
}

/// Where the body starts and how long it says it is, once the head is complete.
fn head(reply: &[u8]) -> Option<(usize, Option<usize>)> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(reply) {
        Ok(httparse::Status::Complete(len)) => {
            let length = response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case("content-length"))
                .and_then(|h| std::str::from_utf8(h.value).ok()?.trim().parse().ok());
            Some((len, length))
        }
        // More headers than parsed, or a head httparse refuses: the body starts after the
        // first blank line, its length unknown.
        Err(_) => reply
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map(|p| (p + 4, None)),
        Ok(httparse::Status::Partial) => None,
    }
}

fn complete(reply: &[u8]) -> bool {
    matches!(head(reply), Some((start, Some(length))) if reply.len() >= start.saturating_add(length))
}

/// The body read so far (empty until the head is complete).
fn body(reply: &[u8]) -> &[u8] {
    match head(reply) {
        Some((start, _)) => &reply[start.min(reply.len())..],
        None => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_lines() {
        assert_eq!(parse_status_line(b"HTTP/1.1 200 OK"), Some(200));
        assert_eq!(parse_status_line(b"HTTP/1.0 400 Bad Request"), Some(400));
        assert_eq!(parse_status_line(b"HTTP/1.1 200"), Some(200));
        assert_eq!(parse_status_line(b"SSH-2.0-OpenSSH"), None);
        // Found by the fuzz target: three digits that are no status class.
        assert_eq!(parse_status_line(b"HTTP/1.1 000\r\n"), None);
        assert_eq!(parse_status_line(b"HTTP/1.1 099 Odd"), None);
        assert_eq!(parse_status_line(b"HTTP/1.1 20 OK"), None);
        assert_eq!(parse_status_line(b"\xff\xfe"), None);
    }

    #[test]
    fn body_starts_after_the_head_and_ends_at_its_length() {
        let reply = b"HTTP/1.1 400 Bad Request\r\nContent-Length: 5\r\n\r\nhello";
        assert_eq!(body(reply), b"hello");
        assert!(complete(reply));
        assert!(!complete(&reply[..reply.len() - 1]));
        assert_eq!(body(b"HTTP/1.1 400 Bad Request\r\nServer: x"), b"");
        assert!(!complete(b"HTTP/1.1 403 Forbidden\r\n\r\nno length"));
    }

    #[tokio::test]
    async fn refusals_read_their_body_and_acceptance_stops_at_the_status() {
        let run = |reply: &'static [u8]| async move {
            let (mut client, mut server) = tokio::io::duplex(8192);
            tokio::io::AsyncWriteExt::write_all(&mut server, reply)
                .await
                .unwrap();
            drop(server);
            let mut sample = Sample::begin(std::time::Instant::now());
            let deadline = Instant::now() + Duration::from_secs(5);
            read_reply(&mut client, &mut sample, deadline)
                .await
                .unwrap()
        };
        assert_eq!(
            run(b"HTTP/1.1 400 Bad Request\r\nContent-Type: text/html\r\n\r\n<center>No required SSL certificate was sent</center>").await,
            Some((400, Outcome::HttpNoCertificate))
        );
        assert_eq!(
            run(b"HTTP/1.1 200 OK\r\n\r\n").await,
            Some((200, Outcome::Accepted))
        );
        assert_eq!(run(b"").await, None);
    }
}
