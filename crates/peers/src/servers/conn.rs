//! What the built-in servers (rustls and OpenSSL) share: their runtime, and per connection
//! reading the request head, closing a rejected connection gracefully, the tally printed
//! at shutdown, and the calibration handicap (`--handicap-us`: CPU burned per handshake).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The reply to every request.
pub const RESPONSE: &[u8] =
    b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";

/// The runtime a built-in server runs on, with `--threads` workers (default: one per usable
/// CPU). One thread: a single-threaded runtime, so accepting and serving share the thread
/// instead of handing every connection to a worker. Not with OCSP checking: a query blocks
/// inside the (synchronous) certificate verifier or verify callback, and only a
/// multi-threaded runtime can hand the other connections to another thread meanwhile
/// (`block_in_place`); otherwise one slow responder answer would stall every handshake behind
/// it.
///
/// # Errors
/// When the runtime cannot be built.
pub(super) fn runtime(args: &super::ServerSettings) -> std::io::Result<tokio::runtime::Runtime> {
    let threads = args.threads.unwrap_or_else(crate::sys::usable_cpus).max(1);
    let ocsp = matches!(args.revocation, super::ServerRevocation::Ocsp(..));
    crate::sys::runtime(threads, threads == 1 && !ocsp)
}

/// Binds the server's listening socket (address and backlog from `args`) and announces it:
/// `listening on ADDR` as the first line on stdout, and on the status channel.
///
/// # Errors
/// When the socket cannot be created, bound or put to listening.
pub(super) fn listen(
    args: &super::ServerSettings,
    server: &str,
) -> std::io::Result<tokio::net::TcpListener> {
    let socket = if args.listen.is_ipv4() {
        tokio::net::TcpSocket::new_v4()?
    } else {
        tokio::net::TcpSocket::new_v6()?
    };
    set_handicap(args.handicap_us);
    socket.set_reuseaddr(true)?;
    socket.bind(args.listen)?;
    let listener = socket.listen(args.backlog)?;
    let local = listener.local_addr()?;
    // The runner waits for this line; it must be the first thing on stdout.
    println!("listening on {local}");
    super::status::emit(&super::status::StatusEvent::Listening { addr: local });
    tracing::info!(%local, backlog = args.backlog, "{server} server ready");
    Ok(listener)
}

/// Largest request head a server reads.
const MAX_REQUEST: usize = 16 * 1024;

/// Connections a server accepted, rejected, or lost after the handshake.
#[derive(Default)]
pub(super) struct Tally {
    pub accepted: AtomicU64,
    pub rejected: AtomicU64,
    pub failed: AtomicU64,
}

impl Tally {
    /// The one-line tally on stderr when `server` stops, and the same figures on the status
    /// channel.
    pub fn print_stopping(&self, server: &str) {
        let (accepted, rejected, failed) = (
            self.accepted.load(Ordering::Relaxed),
            self.rejected.load(Ordering::Relaxed),
            self.failed.load(Ordering::Relaxed),
        );
        eprintln!("{server}: stopping; accepted {accepted} rejected {rejected} failed {failed}");
        super::status::emit(&super::status::StatusEvent::Stopped {
            accepted,
            rejected,
            failed,
        });
    }
}

/// CPU each completed handshake burns (`--handicap-us`), set once when the server listens.
static HANDICAP_US: AtomicU64 = AtomicU64::new(0);

/// Spin batches one millisecond of this thread's CPU holds, measured when the server listens
/// with a handicap (0: not measured; the burn then watches the wall clock).
static BATCHES_PER_MS: AtomicU64 = AtomicU64::new(0);

/// One batch of dependent multiply-adds the optimiser cannot remove.
fn spin_batch(x: &mut u64) {
    for _ in 0..64 {
        *x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
    }
}

/// Sets the handicap, measuring first how many spin batches a millisecond of CPU holds: the
/// median of five 2 ms trials on the thread's own CPU clock, read only every 2048 batches (a
/// read is a system call of about a microsecond here), so the burn itself needs no clock.
fn set_handicap(us: u64) {
    HANDICAP_US.store(us, Ordering::Relaxed);
    if us == 0 {
        return;
    }
    let mut x = 0u64;
    let mut rates = Vec::with_capacity(5);
    for _ in 0..5 {
        let Some(start) = crate::sys::thread_cpu_now() else {
            return;
        };
        let mut batches = 0u64;
        loop {
            for _ in 0..2048 {
                spin_batch(&mut x);
            }
            batches += 2048;
            let Some(now) = crate::sys::thread_cpu_now() else {
                return;
            };
            let spent = now.saturating_sub(start);
            if spent >= Duration::from_millis(2) {
                let per_ms = u128::from(batches) * 1_000_000 / spent.as_nanos().max(1);
                rates.push(u64::try_from(per_ms).unwrap_or(u64::MAX));
                break;
            }
        }
    }
    rates.sort_unstable();
    BATCHES_PER_MS.store(rates[rates.len() / 2].max(1), Ordering::Relaxed);
}

/// Burns the handicap on this thread right after the handshake completed: as many spin
/// batches as the handicap's CPU time holds (measured when the server listened), so a
/// preemption mid-burn does not shorten it and no clock is read during it (a clock read
/// per check cost far more than itself on this VM); wall time where no CPU clock was to be had.
fn burn_handicap() {
    let us = HANDICAP_US.load(Ordering::Relaxed);
    if us == 0 {
        return;
    }
    let mut x = 0u64;
    match BATCHES_PER_MS.load(Ordering::Relaxed) {
        0 => {
            let until = Instant::now() + Duration::from_micros(us);
            while Instant::now() < until {
                spin_batch(&mut x);
            }
        }
        per_ms => {
            for _ in 0..(u128::from(us) * u128::from(per_ms) / 1000) {
                spin_batch(&mut x);
            }
        }
    }
}

/// Reads until the end of the request head (parsed with httparse; at most 32 headers). Called
/// once per completed handshake, so the calibration handicap is burned here first.
pub(super) async fn read_request_head<S: AsyncRead + Unpin>(stream: &mut S) -> std::io::Result<()> {
    burn_handicap();
    let mut buf = Vec::with_capacity(512);
    let mut chunk = [0u8; 1024];
    loop {
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        buf.extend_from_slice(&chunk[..n]);
        let mut headers = [httparse::EMPTY_HEADER; 32];
        match httparse::Request::new(&mut headers).parse(&buf) {
            Ok(httparse::Status::Complete(_)) => return Ok(()),
            Ok(httparse::Status::Partial) => {}
            Err(e) => {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("not an HTTP/1.x request head: {e}"),
                ))
            }
        }
        if buf.len() > MAX_REQUEST {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "request head too large",
            ));
        }
    }
}

/// Half-closes and drains for a moment, so unread client data does not turn the close into a
/// reset that could overtake the alert already sent.
pub(super) async fn graceful_close(tcp: &mut TcpStream) {
    let _ = tcp.shutdown().await;
    let mut sink = [0u8; 4096];
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        while matches!(tcp.read(&mut sink).await, Ok(n) if n > 0) {}
    })
    .await;
}
