//! Hostile servers: one that accepts and never answers, one that sends garbage, one that resets
//! mid-handshake, and nothing listening. Each is a classified outcome within the timeout.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener};
use std::time::{Duration, Instant};

use mtls_harness::load::attempt;
use mtls_harness::measure::Outcome;
use mtls_harness::peers::RustlsClient;
use mtls_harness::pki::{self, KeyType, PkiSpec};

use super::support::scenario;

/// Runs one attempt against `addr` with a 1 s timeout.
fn one_attempt(addr: SocketAddr) -> (Outcome, Duration) {
    let s = scenario("version = 1\n[[case]]\nname = \"h\"\n");
    let p = pki::generate(&PkiSpec::new(KeyType::EcdsaP256, 1)).unwrap();
    let client = RustlsClient::new(&s.cases[0], &p).unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let sample = rt.block_on(attempt(
        &client,
        addr,
        0,
        started,
        Duration::from_secs(1),
        false,
    ));
    (sample.outcome, started.elapsed())
}

/// A listener on 127.0.0.1 whose connections `behave` handles, on a thread that ends with the
/// first connection.
fn hostile(behave: impl FnOnce(std::net::TcpStream) + Send + 'static) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        if let Ok((stream, _)) = listener.accept() {
            behave(stream);
        }
    });
    addr
}

#[test]
fn stalled_server_is_a_timeout_within_the_limit() {
    let addr = hostile(|stream| {
        std::thread::sleep(Duration::from_secs(3));
        drop(stream);
    });
    let (outcome, took) = one_attempt(addr);
    assert_eq!(outcome, Outcome::Timeout);
    assert!(took < Duration::from_millis(1900), "{took:?}");
}

#[test]
fn garbage_is_a_protocol_error() {
    let addr = hostile(|mut stream| {
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        let _ = stream.write_all(b"SSH-2.0-OpenSSH_9.6\r\nthis is not TLS at all\r\n");
        std::thread::sleep(Duration::from_millis(300));
    });
    assert_eq!(one_attempt(addr).0, Outcome::ProtocolError);
}

#[test]
fn reset_mid_handshake_is_a_reset() {
    let addr = hostile(|stream| {
        let mut stream = stream;
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        // SO_LINGER 0: close sends RST instead of FIN.
        let sock = socket2_like_linger_zero(stream);
        drop(sock);
    });
    assert_eq!(one_attempt(addr).0, Outcome::Reset);
}

#[test]
fn nothing_listening_is_a_reset() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let addr: SocketAddr = format!("127.0.0.1:{port}").parse().unwrap();
    assert_eq!(one_attempt(addr).0, Outcome::Reset);
}

#[test]
fn close_without_reply_after_handshake_bytes_is_classified() {
    let addr = hostile(|mut stream| {
        let mut buf = [0u8; 4096];
        let _ = stream.read(&mut buf);
        let _ = stream.shutdown(std::net::Shutdown::Both);
    });
    let (outcome, _) = one_attempt(addr);
    assert!(
        matches!(outcome, Outcome::ClosedWithoutVerdict | Outcome::Reset),
        "{outcome}"
    );
}

/// Sets SO_LINGER {on, 0} with a tokio socket round trip (no extra crate needed).
fn socket2_like_linger_zero(stream: std::net::TcpStream) -> std::net::TcpStream {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = rt.enter();
    stream.set_nonblocking(true).unwrap();
    let tokio_stream = tokio::net::TcpStream::from_std(stream).unwrap();
    // Deprecated because a non-zero linger blocks on drop; zero linger never blocks.
    #[allow(deprecated)]
    tokio_stream.set_linger(Some(Duration::ZERO)).unwrap();
    tokio_stream.into_std().unwrap()
}
