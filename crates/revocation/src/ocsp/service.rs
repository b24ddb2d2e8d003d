//! The revocation service: one HTTP/1.1 server on 127.0.0.1, run by the harness on its own
//! thread, that answers OCSP requests (RFC 6960 appendix A: `GET /ocsp/<base64>` and
//! `POST /ocsp`) and publishes CRLs (`GET /crl/<name>`), the URLs the fixtures' AIA and CRL
//! distribution point name. Faults from the responder settings apply to both: an added delay, a
//! refused connection (the listener is closed while `down`), a connection that never answers,
//! OCSP error statuses, garbage bodies.
//!
//! Its CPU time is read from its thread's schedstat, so the harness can report it apart from
//! the load client's; the CRL downloads it serves are counted per name (requests, bytes), so a
//! case can report what its server fetched.

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::thread::JoinHandle;
use std::time::Duration;

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::responder::Responder;
use super::Fault;

/// Largest request the service reads (head and body).
const MAX_REQUEST: usize = 64 * 1024;
/// Most CRL names counted apart (published ones always are).
const MAX_COUNTED_NAMES: usize = 4096;
/// How long a `timeout` fault holds a connection without answering.
const HOLD: Duration = Duration::from_secs(30);

/// A running revocation service. Dropping it stops the thread.
pub struct RevocationService {
    addr: SocketAddr,
    /// The OCSP answers and their settings.
    pub responder: Arc<Responder>,
    crls: Arc<RwLock<HashMap<String, Vec<u8>>>>,
    crl_fetches: Arc<Mutex<CrlFetches>>,
    stop: Arc<AtomicBool>,
    tid: Arc<AtomicU32>,
    thread: Option<JoinHandle<()>>,
}

impl RevocationService {
    /// Binds 127.0.0.1 on a free port and starts serving on a thread of its own.
    ///
    /// # Errors
    /// When the socket cannot be bound or the thread not started.
    pub fn start(responder: Arc<Responder>) -> std::io::Result<Self> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), responder)
    }

    /// Binds `addr` (an address an external server can reach, `--revocation-listen`) and
    /// starts serving. The address goes into every certificate's URLs, so it must be a
    /// concrete IP address, not 0.0.0.0.
    ///
    /// # Errors
    /// When the address is unspecified, the socket cannot be bound or the thread not started.
    pub fn start_on(addr: SocketAddr, responder: Arc<Responder>) -> std::io::Result<Self> {
        if addr.ip().is_unspecified() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("{addr}: the revocation service needs the address the server will reach it at (its URLs go into the certificates), not an unspecified one"),
            ));
        }
        let std_listener = std::net::TcpListener::bind(addr)?;
        std_listener.set_nonblocking(true)?;
        let addr = std_listener.local_addr()?;
        let crls = Arc::new(RwLock::new(HashMap::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let tid = Arc::new(AtomicU32::new(0));
        let crl_fetches = Arc::new(Mutex::new(CrlFetches::new()));
        let shared = Shared {
            responder: Arc::clone(&responder),
            crls: Arc::clone(&crls),
            crl_fetches: Arc::clone(&crl_fetches),
        };
        // Serving from now on: `configure` waits for the loop to apply each setting.
        responder.set_serving(true);
        let (stop2, tid2) = (Arc::clone(&stop), Arc::clone(&tid));
        let thread = std::thread::Builder::new()
            .name("revocation-service".into())
            .spawn(move || {
                tid2.store(crate::sys::current_tid().unwrap_or(0), Ordering::Relaxed);
                let runtime = match crate::sys::runtime(1, true) {
                    Ok(r) => r,
                    Err(e) => {
                        tracing::error!("revocation service runtime: {e}");
                        shared.responder.set_serving(false);
                        return;
                    }
                };
                runtime.block_on(serve(std_listener, addr, shared, stop2));
            })?;
        Ok(Self {
            addr,
            responder,
            crls,
            crl_fetches,
            stop,
            tid,
            thread: Some(thread),
        })
    }

    /// `http://127.0.0.1:PORT`, the base of the URLs in the fixtures.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The listening address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Publishes (or replaces) the CRL served at `/crl/<name>`.
    pub fn publish_crl(&self, name: &str, der: Vec<u8>) {
        self.crls
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(name.to_string(), der);
    }

    /// Withdraws every published CRL (a case publishes its own: a CRL another case left
    /// would be served to this one's server).
    pub fn clear_crls(&self) {
        self.crls.write().unwrap_or_else(|p| p.into_inner()).clear();
    }

    /// A handle that publishes CRLs later (for a mid-run revocation).
    pub fn crl_publisher(&self) -> impl Fn(&str, Vec<u8>) + Send + 'static {
        let crls = Arc::clone(&self.crls);
        move |name, der| {
            crls.write()
                .unwrap_or_else(|p| p.into_inner())
                .insert(name.to_string(), der);
        }
    }

    /// The CRL downloads served since the last call (per name: requests, body bytes; a name
    /// the service does not publish counts its requests with no bytes), and counting anew.
    pub fn take_crl_fetches(&self) -> CrlFetches {
        std::mem::take(&mut *self.crl_fetches.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// The service thread's id (for CPU readings), once it runs.
    pub fn thread_id(&self) -> Option<u32> {
        Some(self.tid.load(Ordering::Relaxed)).filter(|&t| t != 0)
    }

    /// CPU time the service's thread has used so far.
    pub fn cpu_time(&self) -> Duration {
        match self.tid.load(Ordering::Relaxed) {
            0 => Duration::ZERO,
            tid => crate::sys::thread_runtime(tid).unwrap_or_default(),
        }
    }
}

impl Drop for RevocationService {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// CRL downloads per name: (requests, body bytes).
pub type CrlFetches = BTreeMap<String, (u64, u64)>;

#[derive(Clone)]
struct Shared {
    responder: Arc<Responder>,
    crls: Arc<RwLock<HashMap<String, Vec<u8>>>>,
    crl_fetches: Arc<Mutex<CrlFetches>>,
}

/// Accepts until `stop`. While the fault is `down` the listener is closed, so connections are
/// refused as with a dead host's closed port; afterwards it is bound again on the same address.
async fn serve(
    first: std::net::TcpListener,
    addr: SocketAddr,
    shared: Shared,
    stop: Arc<AtomicBool>,
) {
    let mut listener = TcpListener::from_std(first).ok();
    let tick = Duration::from_millis(5);
    while !stop.load(Ordering::Relaxed) {
        let (generation, fault) = shared.responder.pending();
        if fault == Fault::Down {
            listener = None;
            shared.responder.applied(generation);
            tokio::time::sleep(tick).await;
            continue;
        }
        let Some(l) = &listener else {
            listener = TcpListener::bind(addr).await.ok();
            if listener.is_none() {
                tokio::time::sleep(tick).await;
            }
            continue;
        };
        shared.responder.applied(generation);
        tokio::select! {
            accepted = l.accept() => {
                if let Ok((tcp, _)) = accepted {
                    let shared = shared.clone();
                    tokio::spawn(async move {
                        let _ = tokio::time::timeout(HOLD * 2, handle(tcp, shared)).await;
                    });
                }
            }
            _ = tokio::time::sleep(tick) => {}
        }
    }
    shared.responder.set_serving(false);
}

async fn handle(mut tcp: TcpStream, shared: Shared) -> std::io::Result<()> {
    let _ = tcp.set_nodelay(true);
    let Some((method, path, body)) = read_request(&mut tcp).await? else {
        return reply(&mut tcp, 400, "text/plain", b"bad request\n").await;
    };
    let settings = shared.responder.settings();
    if !settings.delay.is_zero() {
        tokio::time::sleep(settings.delay).await;
    }
    match settings.fault {
        Fault::Timeout => {
            shared
                .responder
                .stats
                .faulted
                .fetch_add(1, Ordering::Relaxed);
            tokio::time::sleep(HOLD).await;
            return Ok(());
        }
        Fault::Malformed => {
            shared
                .responder
                .stats
                .faulted
                .fetch_add(1, Ordering::Relaxed);
            return reply(
                &mut tcp,
                200,
                "application/ocsp-response",
                b"\x30\x03garbage, not DER",
            )
            .await;
        }
        _ => {}
    }
    if let Some(name) = path.strip_prefix("/crl/") {
        let crl = shared
            .crls
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(name)
            .cloned();
        {
            let mut fetches = shared.crl_fetches.lock().unwrap_or_else(|p| p.into_inner());
            // Bounded: a client could ask for any name, so unknown names share one entry.
            let key = if crl.is_some() || fetches.len() < MAX_COUNTED_NAMES {
                name.to_string()
            } else {
                "(other)".to_string()
            };
            let count = fetches.entry(key).or_default();
            count.0 += 1;
            count.1 += crl.as_ref().map_or(0, |der| der.len() as u64);
        }
        return match crl {
            Some(der) => reply(&mut tcp, 200, "application/pkix-crl", &der).await,
            None => reply(&mut tcp, 404, "text/plain", b"no such CRL\n").await,
        };
    }
    let request = match (method.as_str(), path.strip_prefix("/ocsp")) {
        ("POST", Some("" | "/")) => Some(body),
        ("GET", Some(rest)) => decode_get(rest.trim_start_matches('/')),
        _ => None,
    };
    match request {
        Some(der) => {
            let answer = shared.responder.respond(&der);
            reply(&mut tcp, 200, "application/ocsp-response", &answer).await
        }
        None => reply(&mut tcp, 404, "text/plain", b"not found\n").await,
    }
}

/// The request of `GET /ocsp/<url-encoded base64 DER>`.
fn decode_get(encoded: &str) -> Option<Vec<u8>> {
    let mut text = String::with_capacity(encoded.len());
    let mut bytes = encoded.bytes();
    while let Some(b) = bytes.next() {
        if b == b'%' {
            let hi = (bytes.next()? as char).to_digit(16)?;
            let lo = (bytes.next()? as char).to_digit(16)?;
            text.push(char::from_u32(hi * 16 + lo)?);
        } else {
            text.push(b as char);
        }
    }
    base64::engine::general_purpose::STANDARD.decode(text).ok()
}

/// Reads one request: method, path, body (by Content-Length). `None` when it is not HTTP, or
/// its head or body is larger than [`MAX_REQUEST`].
async fn read_request(tcp: &mut TcpStream) -> std::io::Result<Option<(String, String, Vec<u8>)>> {
    let mut buf = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let (head_end, method, path, length) = loop {
        match parse_head(&buf) {
            Head::Complete {
                len,
                method,
                path,
                content_length,
            } => break (len, method, path, content_length),
            Head::Invalid => return Ok(None),
            Head::Partial => {}
        }
        if buf.len() > MAX_REQUEST {
            return Ok(None);
        }
        let n = tcp.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    if length > MAX_REQUEST {
        return Ok(None);
    }
    let mut body = buf[head_end..].to_vec();
    while body.len() < length {
        let n = tcp.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        body.extend_from_slice(&chunk[..n]);
    }
    body.truncate(length);
    Ok(Some((method, path, body)))
}

/// Most header lines a request's head may have.
const MAX_HEADERS: usize = 64;

/// What the bytes read so far hold.
#[derive(Debug, PartialEq, Eq)]
enum Head {
    /// A whole request head of `len` bytes (an unreadable Content-Length counts as none).
    Complete {
        len: usize,
        method: String,
        path: String,
        content_length: usize,
    },
    /// The start of one: read more.
    Partial,
    /// Not an HTTP/1.x request head.
    Invalid,
}

fn parse_head(buf: &[u8]) -> Head {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut request = httparse::Request::new(&mut headers);
    let len = match request.parse(buf) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Head::Partial,
        Err(_) => return Head::Invalid,
    };
    // A complete request head always has its method and path.
    let (Some(method), Some(path)) = (request.method, request.path) else {
        return Head::Invalid;
    };
    let content_length = request
        .headers
        .iter()
        .find(|h| h.name.eq_ignore_ascii_case("content-length"))
        .and_then(|h| std::str::from_utf8(h.value).ok())
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    Head::Complete {
        len,
        method: method.to_string(),
        path: path.to_string(),
        content_length,
    }
}

async fn reply(tcp: &mut TcpStream, status: u16, kind: &str, body: &[u8]) -> std::io::Result<()> {
    let reason = match status {
        200 => "OK",
        400 => "Bad Request",
        _ => "Not Found",
    };
    let mut out = format!(
        "HTTP/1.1 {status} {reason}\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    tcp.write_all(&out).await?;
    tcp.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_heads_parse_or_are_refused() {
        assert_eq!(
            parse_head(b"POST /ocsp HTTP/1.1\r\nHost: x\r\ncontent-length: 5\r\n\r\nabcde"),
            Head::Complete {
                len: 51,
                method: "POST".into(),
                path: "/ocsp".into(),
                content_length: 5,
            }
        );
        assert!(matches!(
            parse_head(b"GET /crl/root HTTP/1.1\r\nContent-Length: x\r\n\r\n"),
            Head::Complete {
                content_length: 0,
                ..
            }
        ));
        assert_eq!(parse_head(b"GET /ocsp/AB HTTP/1.1\r\nHost"), Head::Partial);
        assert_eq!(parse_head(b""), Head::Partial);
        assert_eq!(
            parse_head(b"\x16\x03\x01\x02\x00\x01\r\n\r\n"),
            Head::Invalid
        );
    }

    #[test]
    fn get_requests_decode_url_encoded_base64() {
        assert_eq!(decode_get("MAM%3D"), Some(vec![0x30, 0x03]));
        assert_eq!(decode_get("!!!!"), None);
        assert_eq!(decode_get("AAEC%2F%2Bw%3D"), Some(vec![0, 1, 2, 255, 236]));
        assert_eq!(decode_get("AAEC/+w="), Some(vec![0, 1, 2, 255, 236]));
        assert_eq!(decode_get("%zz"), None);
    }
}
