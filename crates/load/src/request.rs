//! The HTTP/1.1 request an attempt sends after the handshake: `GET /` for `localhost`, or a
//! target's own name and path.

/// The request an attempt sends unless its client says otherwise ([`crate::Connector::request`]).
pub const REQUEST: &[u8] =
    b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: mtls-harness\r\nConnection: close\r\n\r\n";

/// The request for `path` on the server named `host` (the target's name and path), in the
/// form of [`REQUEST`] (an IPv6 address in brackets, RFC 9110 7.2). The caller checks both
/// (no whitespace or control characters).
pub fn request_for(host: &str, path: &str) -> Vec<u8> {
    let host = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    };
    format!(
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: mtls-harness\r\nConnection: close\r\n\r\n"
    )
    .into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_request_names_the_path_and_the_host() {
        assert_eq!(request_for("localhost", "/"), REQUEST);
        let r = request_for("shop.example", "/secure/a?b=1");
        assert!(r.starts_with(b"GET /secure/a?b=1 HTTP/1.1\r\nHost: shop.example\r\n"));
        assert!(request_for("::1", "/").starts_with(b"GET / HTTP/1.1\r\nHost: [::1]\r\n"));
    }
}
