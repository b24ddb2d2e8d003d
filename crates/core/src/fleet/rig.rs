//! The real parts a fleet experiment runs on: a PKI, the revocation service when the server
//! checks OCSP, the built-in rustls server as its own process (started like a run's, through
//! `peers::start_server`), and the clients: one swappable certificate per holder and a loop of
//! full handshakes (TCP, TLS 1.3 without resumption, `GET /` and its status line) whose
//! latency and outcome go to the phase the experiment is in.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use rustls::client::Resumption;
use rustls::pki_types::ServerName;
use rustls::sign::CertifiedKey;
use rustls::{AlertDescription, ClientConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::ca::{fleet_pki, FleetIssuer};
use super::FleetError;
use crate::peers::rotating::SwappableCert;
use crate::peers::{start_server, RevocationArgs, RunningServer};
use crate::pki::{Identity, KeyType, Pki};
use crate::revocation::ocsp::{Responder, RevocationService};
use crate::scenario::Scenario;

/// How the server checks client certificates with OCSP.
#[derive(Clone, Copy, Debug)]
pub struct OcspCheck {
    /// `true`: an undetermined status is refused.
    pub hard_fail: bool,
    /// How long the server reuses an answer.
    pub cache_ttl: Duration,
    /// Deadline of one query.
    pub timeout: Duration,
}

/// What to start.
pub struct RigOptions<'a> {
    /// Where the PKI files and the server's log go.
    pub dir: &'a Path,
    /// The `mtls-harness` binary (the server runs as `mtls-harness serve`).
    pub harness_exe: &'a Path,
    /// Key type of the whole PKI.
    pub key_type: KeyType,
    /// OCSP checking by the server (starts the revocation service).
    pub ocsp: Option<OcspCheck>,
    /// The server's own certificate is renewed with this lifetime and re-read this often.
    pub rotate_server: Option<(Duration, Duration)>,
}

/// A running server and what it trusts.
pub struct Rig {
    /// The PKI.
    pub pki: Arc<Pki>,
    /// The revocation service (when the server checks OCSP).
    pub service: Option<RevocationService>,
    server: Option<RunningServer>,
    addr: SocketAddr,
    roots: Arc<rustls::RootCertStore>,
    provider: Arc<rustls::crypto::CryptoProvider>,
    server_files: Option<(PathBuf, FleetIssuer)>,
}

impl Rig {
    /// Generates the PKI, starts the revocation service if needed and the server.
    ///
    /// # Errors
    /// When any part cannot be made or started.
    pub fn start(opts: &RigOptions<'_>) -> Result<Self, FleetError> {
        std::fs::create_dir_all(opts.dir).map_err(|e| FleetError::io(opts.dir, e))?;
        let service = match opts.ocsp {
            Some(_) => Some(
                RevocationService::start(Arc::new(Responder::new()))
                    .map_err(|e| FleetError::Internal(format!("revocation service: {e}")))?,
            ),
            None => None,
        };
        let base = service.as_ref().map(RevocationService::base_url);
        let pki = fleet_pki(opts.key_type, 1, base.clone())?;
        if let Some(s) = &service {
            s.responder
                .add_pki(&pki)
                .map_err(|e| FleetError::Internal(e.to_string()))?;
        }
        let files = crate::pki::write_pki(&pki, &opts.dir.join("pki"))
            .map_err(|e| FleetError::Internal(e.to_string()))?;
        let scenario = server_scenario(opts)?;
        let case = scenario
            .cases
            .first()
            .ok_or_else(|| FleetError::Internal("generated scenario has no case".into()))?;
        let server_files = rotating_files(opts, &pki)?;
        let log = opts.dir.join("server.log");
        let server = start_server(
            opts.harness_exe,
            case,
            &files,
            &RevocationArgs {
                crl_file: None,
                base_url: base.as_deref(),
                rotating_cert: match (&server_files, opts.rotate_server) {
                    (Some((c, k, _)), Some((_, poll))) => Some((c.as_path(), k.as_path(), poll)),
                    _ => None,
                },
                crl_check_all: false,
            },
            &log,
            None,
            None,
        )
        .map_err(|e| FleetError::Internal(format!("server: {e}")))?;
        let roots = crate::peers::tls::rustls::root_store(std::slice::from_ref(&pki.root))
            .map_err(|e| FleetError::Internal(e.to_string()))?;
        Ok(Self {
            addr: server.addr,
            server: Some(server),
            pki,
            service,
            roots,
            provider: crate::peers::tls::rustls::provider(&[]),
            server_files: server_files.map(|(c, _, i)| (c, i)),
        })
    }

    /// Renews the server's own certificate into the file it re-reads.
    ///
    /// # Errors
    /// When it is not rotating, or issuing or writing fails.
    pub fn rotate_server(&self) -> Result<(), FleetError> {
        let (path, issuer) = self
            .server_files
            .as_ref()
            .ok_or_else(|| FleetError::Internal("the server does not rotate".into()))?;
        write_server(path, &issuer.renew_server()?)
    }

    /// A client presenting `cert` (full handshakes only).
    ///
    /// # Errors
    /// When the configuration cannot be built.
    pub fn client(&self, cert: &Arc<SwappableCert>) -> Result<Arc<ClientConfig>, FleetError> {
        let mut config = ClientConfig::builder_with_provider(Arc::clone(&self.provider))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .map_err(|e| FleetError::Internal(e.to_string()))?
            .with_root_certificates(Arc::clone(&self.roots))
            .with_client_cert_resolver(Arc::clone(cert) as Arc<_>);
        config.resumption = Resumption::disabled();
        Ok(Arc::new(config))
    }

    /// A swappable client certificate holding `id`.
    ///
    /// # Errors
    /// When the key cannot be loaded for signing.
    pub fn holder(&self, id: &Identity) -> Result<Arc<SwappableCert>, FleetError> {
        Ok(Arc::new(SwappableCert::new(certified(&self.provider, id)?)))
    }

    /// What a CA queue calls with each issued certificate: swaps it into `certs[holder]`.
    pub fn deliver_to(&self, certs: Arc<Vec<Arc<SwappableCert>>>) -> super::ca::Deliver {
        let provider = Arc::clone(&self.provider);
        Arc::new(
            move |holder, id| match (certs.get(holder), certified(&provider, &id)) {
                (Some(cert), Ok(key)) => cert.swap(key),
                (_, Err(e)) => tracing::warn!("fleet delivery to {}: {e}", id.name),
                (None, _) => tracing::warn!("fleet delivery to unknown holder {holder}"),
            },
        )
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops the server; returns how many rotations it reported.
    pub fn stop(mut self) -> u64 {
        let Some(server) = self.server.take() else {
            return 0;
        };
        let status = server.status_file().map(Path::to_path_buf);
        server.stop();
        status
            .map(|p| crate::peers::servers::status::read(&p))
            .unwrap_or_default()
            .iter()
            .filter(|e| matches!(e, crate::peers::servers::status::StatusEvent::CertRotated))
            .count() as u64
    }
}

/// The one-case scenario the server is started with: its revocation mode as `opts` asks.
fn server_scenario(opts: &RigOptions<'_>) -> Result<Scenario, FleetError> {
    let revocation = match opts.ocsp {
        Some(o) => format!(
            "{{ mode = \"ocsp\", policy = \"{}\", cache_ttl = \"{}ms\", query_timeout = \"{}ms\" }}",
            if o.hard_fail { "hard" } else { "soft" },
            o.cache_ttl.as_millis(),
            o.timeout.as_millis().max(1)
        ),
        // The built-in server re-reads its certificate in this mode only.
        None => match opts.rotate_server {
            Some((lifetime, _)) => format!(
                "{{ mode = \"short-lived\", cert_lifetime = \"{}ms\" }}",
                lifetime.as_millis().max(2000)
            ),
            None => "{ mode = \"none\" }".into(),
        },
    };
    let text = format!("version = 1\n[[case]]\nname = \"fleet\"\nrevocation = {revocation}\n");
    crate::scenario::parse(&text, Path::new("fleet-server.toml"))
        .map_err(|e| FleetError::Internal(e.to_string()))
}

/// When the server rotates: its certificate and key files in `opts.dir`, written, and the
/// issuer that renews the certificate.
fn rotating_files(
    opts: &RigOptions<'_>,
    pki: &Arc<Pki>,
) -> Result<Option<(PathBuf, PathBuf, FleetIssuer)>, FleetError> {
    let Some((lifetime, _)) = opts.rotate_server else {
        return Ok(None);
    };
    let issuer = FleetIssuer::new(Arc::clone(pki), lifetime, None);
    let cert = opts.dir.join("server-rotating.crt");
    let key = opts.dir.join("server-rotating.key");
    let key_pem = pem::encode(&pem::Pem::new(
        "PRIVATE KEY",
        pki.server.key.pkcs8_der().to_vec(),
    ));
    crate::fsutil::write_atomic(&key, key_pem.as_bytes(), 0o600)
        .map_err(|e| FleetError::io(&key, e))?;
    write_server(&cert, &issuer.renew_server()?)?;
    Ok(Some((cert, key, issuer)))
}

fn certified(
    provider: &rustls::crypto::CryptoProvider,
    id: &Identity,
) -> Result<CertifiedKey, FleetError> {
    let signing = provider
        .key_provider
        .load_private_key(id.key.private_key_der())
        .map_err(|e| FleetError::Internal(e.to_string()))?;
    Ok(CertifiedKey::new(id.chain.clone(), signing))
}

fn write_server(path: &Path, id: &Identity) -> Result<(), FleetError> {
    let pem = crate::pki::certs_pem(&id.chain);
    crate::fsutil::write_atomic(path, pem.as_bytes(), 0o644).map_err(|e| FleetError::io(path, e))
}

/// How handshakes ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Outcomes {
    /// The server's reply was read.
    pub accepted: u64,
    /// Refused with `certificate_revoked`.
    pub cert_revoked: u64,
    /// Refused with `certificate_expired`.
    pub cert_expired: u64,
    /// Refused with another alert.
    pub other_refused: u64,
    /// No answer: connection errors, timeouts.
    pub io_error: u64,
}

impl Outcomes {
    /// Every handshake that did not end accepted.
    pub fn failed(&self) -> u64 {
        self.cert_revoked + self.cert_expired + self.other_refused + self.io_error
    }
}

/// Figures of one phase of an experiment.
pub struct Phase {
    hist: Mutex<Histogram<u64>>,
    counts: [AtomicU64; 5],
}

/// A phase's figures, read out.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct PhaseFigures {
    /// How handshakes ended.
    pub outcomes: Outcomes,
    /// Connect to the server's status line, accepted handshakes.
    pub latency_p50_ms: f64,
    /// See `latency_p50_ms`.
    pub latency_p99_ms: f64,
}

impl Phase {
    fn new() -> Self {
        Self {
            hist: Mutex::new(crate::measure::new_histogram()),
            counts: Default::default(),
        }
    }

    /// The figures so far.
    pub fn figures(&self) -> PhaseFigures {
        let c = |i: usize| self.counts[i].load(Ordering::Relaxed);
        let h = self.hist.lock().unwrap_or_else(|p| p.into_inner());
        let q = |x: f64| {
            if h.is_empty() {
                0.0
            } else {
                (h.value_at_quantile(x) as f64 / 10.0).round() / 100.0
            }
        };
        PhaseFigures {
            outcomes: Outcomes {
                accepted: c(0),
                cert_revoked: c(1),
                cert_expired: c(2),
                other_refused: c(3),
                io_error: c(4),
            },
            latency_p50_ms: q(0.5),
            latency_p99_ms: q(0.99),
        }
    }
}

/// Handshake loops running on their own thread until stopped; each handshake counts in the
/// phase current when it started.
pub struct Load {
    stop: Arc<AtomicBool>,
    phase: Arc<AtomicUsize>,
    phases: Arc<Vec<Phase>>,
    thread: Option<JoinHandle<()>>,
}

impl Load {
    /// Starts `workers` loops at `addr`; loop `w` uses clients `w`, `w + workers`, ... in turn.
    /// `phases` phases are counted apart.
    ///
    /// # Errors
    /// When the thread cannot be started.
    pub fn start(
        addr: SocketAddr,
        clients: Vec<Arc<ClientConfig>>,
        workers: usize,
        phases: usize,
    ) -> Result<Self, FleetError> {
        let stop = Arc::new(AtomicBool::new(false));
        let phase = Arc::new(AtomicUsize::new(0));
        let all: Arc<Vec<Phase>> = Arc::new((0..phases.max(1)).map(|_| Phase::new()).collect());
        let (s, p, a) = (Arc::clone(&stop), Arc::clone(&phase), Arc::clone(&all));
        let thread = std::thread::Builder::new()
            .name("fleet-load".into())
            .spawn(move || {
                let runtime = match crate::sys::runtime(1, true) {
                    Ok(r) => r,
                    Err(e) => return tracing::error!("fleet load runtime: {e}"),
                };
                let clients = Arc::new(clients);
                runtime.block_on(async move {
                    let mut tasks = Vec::new();
                    for w in 0..workers.max(1) {
                        let (s, p, a, clients) = (
                            Arc::clone(&s),
                            Arc::clone(&p),
                            Arc::clone(&a),
                            Arc::clone(&clients),
                        );
                        tasks.push(tokio::spawn(async move {
                            let mut i = w;
                            while !s.load(Ordering::Relaxed) && !clients.is_empty() {
                                let config = Arc::clone(&clients[i % clients.len()]);
                                i = i.wrapping_add(workers.max(1));
                                let phase = p.load(Ordering::Relaxed).min(a.len() - 1);
                                let started = Instant::now();
                                let end = handshake(config, addr).await;
                                record(&a[phase], end, started.elapsed());
                            }
                        }));
                    }
                    for t in tasks {
                        let _ = t.await;
                    }
                });
            })
            .map_err(|e| FleetError::Internal(format!("load thread: {e}")))?;
        Ok(Self {
            stop,
            phase,
            phases: all,
            thread: Some(thread),
        })
    }

    /// Counts the next handshakes in phase `n`.
    pub fn set_phase(&self, n: usize) {
        self.phase.store(n, Ordering::Relaxed);
    }

    /// Stops the loops (handshakes in flight finish) and returns each phase's figures.
    pub fn finish(mut self) -> Vec<PhaseFigures> {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.phases.iter().map(Phase::figures).collect()
    }
}

impl Drop for Load {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// How one handshake ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// Accepted (the status line was read).
    Accepted,
    /// Refused with this alert.
    Alert(AlertDescription),
    /// No answer.
    Io,
}

/// Most time one handshake may take.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// One full handshake and request with `config` at `addr`.
pub async fn handshake(config: Arc<ClientConfig>, addr: SocketAddr) -> End {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, attempt(config, addr)).await {
        Ok(Ok(true)) => End::Accepted,
        Ok(Ok(false)) => End::Io,
        Ok(Err(e)) => match e.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()) {
            Some(rustls::Error::AlertReceived(a)) => End::Alert(*a),
            _ => End::Io,
        },
        Err(_) => End::Io,
    }
}

async fn attempt(config: Arc<ClientConfig>, addr: SocketAddr) -> std::io::Result<bool> {
    let tcp = tokio::net::TcpStream::connect(addr).await?;
    let _ = tcp.set_nodelay(true);
    let name = ServerName::try_from("localhost")
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidInput, e))?;
    let mut tls = tokio_rustls::TlsConnector::from(config)
        .connect(name, tcp)
        .await?;
    tls.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .await?;
    let mut buf = [0u8; 64];
    let mut got = 0;
    while got < 12 {
        let n = tls.read(&mut buf[got..]).await?;
        if n == 0 {
            break;
        }
        got += n;
    }
    Ok(buf[..got].starts_with(b"HTTP/1.1 200") || buf[..got].starts_with(b"HTTP/1.0 200"))
}

fn record(phase: &Phase, end: End, took: Duration) {
    let i = match end {
        End::Accepted => {
            let _ = phase
                .hist
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .record((took.as_micros() as u64).clamp(1, 3_600_000_000));
            0
        }
        End::Alert(AlertDescription::CertificateRevoked) => 1,
        End::Alert(AlertDescription::CertificateExpired) => 2,
        End::Alert(_) => 3,
        End::Io => 4,
    };
    phase.counts[i].fetch_add(1, Ordering::Relaxed);
}

/// Every client of `clients` handshakes once (`concurrency` at a time); their figures.
///
/// # Errors
/// When the runtime cannot be made.
pub fn once_each(
    addr: SocketAddr,
    clients: &[Arc<ClientConfig>],
    concurrency: usize,
) -> Result<PhaseFigures, FleetError> {
    let runtime =
        crate::sys::runtime(1, true).map_err(|e| FleetError::Internal(format!("runtime: {e}")))?;
    let phase = Arc::new(Phase::new());
    let next = Arc::new(AtomicUsize::new(0));
    let clients: Arc<Vec<Arc<ClientConfig>>> = Arc::new(clients.to_vec());
    runtime.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..concurrency.max(1) {
            let (phase, next, clients) =
                (Arc::clone(&phase), Arc::clone(&next), Arc::clone(&clients));
            tasks.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(config) = clients.get(i) else { break };
                    let started = Instant::now();
                    let end = handshake(Arc::clone(config), addr).await;
                    record(&phase, end, started.elapsed());
                }
            }));
        }
        for t in tasks {
            let _ = t.await;
        }
    });
    Ok(phase.figures())
}
