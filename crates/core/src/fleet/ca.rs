//! The fleet's CA: certificates of a given lifetime issued for a client's key by the PKI's
//! leaves' CA (with the OCSP and CRL URLs of the revocation service when there is one), the
//! queue in front of it (issuing threads; how long each request waited is the figure a renewal
//! storm moves), and the measured cost of one issuance per key type.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use rcgen::{
    CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, KeyIdMethod,
    KeyUsagePurpose, SerialNumber,
};
use time::OffsetDateTime;

use super::FleetError;
use crate::pki::{Identity, KeyMaterial, KeyType, Pki, PkiSpec};

/// First serial of fleet certificates (apart from the fixtures' and the short-lived mode's).
const FIRST_SERIAL: u64 = 2_000_000_000;

/// Issues leaves of one lifetime for the identities of a fleet.
pub struct FleetIssuer {
    pki: Arc<Pki>,
    lifetime: Duration,
    base_url: Option<String>,
    next_serial: AtomicU64,
}

impl FleetIssuer {
    /// An issuer of `lifetime` certificates; `base_url` puts the revocation service's OCSP
    /// (AIA) and CRL (distribution point) URLs into each.
    pub fn new(pki: Arc<Pki>, lifetime: Duration, base_url: Option<String>) -> Self {
        Self {
            pki,
            lifetime,
            base_url,
            next_serial: AtomicU64::new(FIRST_SERIAL),
        }
    }

    /// The PKI it issues under.
    pub fn pki(&self) -> &Arc<Pki> {
        &self.pki
    }

    /// A client certificate for `name` on `key`, valid from one second ago for the lifetime;
    /// the chain carries the PKI's intermediates.
    ///
    /// # Errors
    /// When signing fails.
    pub fn issue(&self, name: &str, key: &Arc<KeyMaterial>) -> Result<Identity, FleetError> {
        let now = OffsetDateTime::now_utc();
        let mut params = CertificateParams::default();
        let mut dn = DistinguishedName::new();
        dn.push(DnType::OrganizationName, "mtls-harness");
        dn.push(DnType::CommonName, name);
        params.distinguished_name = dn;
        params.serial_number = Some(SerialNumber::from(
            self.next_serial.fetch_add(1, Ordering::Relaxed),
        ));
        params.key_identifier_method = KeyIdMethod::PreSpecified(key.key_identifier());
        params.use_authority_key_identifier_extension = true;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.not_before = now - time::Duration::seconds(1);
        params.not_after = now + self.lifetime;
        if let Some(base) = &self.base_url {
            params.crl_distribution_points = vec![rcgen::CrlDistributionPoint {
                uris: vec![crate::pki::crl_url(base)],
            }];
            params
                .custom_extensions
                .push(aia(&crate::pki::ocsp_url(base))?);
        }
        let cert = self
            .pki
            .leaf_ca
            .sign(&params, key, &format!("fleet {name}"))?;
        let mut chain = vec![cert];
        chain.extend(
            self.pki
                .clients
                .first()
                .into_iter()
                .flat_map(|c| c.chain.iter().skip(1).cloned()),
        );
        Ok(Identity {
            name: name.to_string(),
            chain,
            key: Arc::clone(key),
        })
    }

    /// The server's certificate renewed for the lifetime (same key and names).
    ///
    /// # Errors
    /// When signing fails.
    pub fn renew_server(&self) -> Result<Identity, FleetError> {
        let issuer = crate::pki::ShortLivedIssuer::new(Arc::clone(&self.pki), self.lifetime);
        Ok(issuer.renew(&self.pki.server, true)?)
    }
}

/// The Authority Information Access extension naming the OCSP responder at `url` (what the
/// server asks; as `pki`'s leaves carry it).
fn aia(url: &str) -> Result<rcgen::CustomExtension, FleetError> {
    use der::Encode as _;
    use x509_cert::ext::pkix::name::GeneralName;
    use x509_cert::ext::pkix::{AccessDescription, AuthorityInfoAccessSyntax};
    let location = der::asn1::Ia5String::new(url)
        .map_err(|e| FleetError::Internal(format!("OCSP URL {url}: {e}")))?;
    let der = AuthorityInfoAccessSyntax(vec![AccessDescription {
        access_method: const_oid::db::rfc5280::ID_AD_OCSP,
        access_location: GeneralName::UniformResourceIdentifier(location),
    }])
    .to_der()
    .map_err(|e| FleetError::Internal(format!("AIA: {e}")))?;
    Ok(rcgen::CustomExtension::from_oid_content(
        &[1, 3, 6, 1, 5, 5, 7, 1, 1],
        der,
    ))
}

/// A harness PKI of `key_type` with one intermediate and `identities` pool clients, its leaves
/// naming the revocation service at `base_url`.
///
/// # Errors
/// When generating fails.
pub fn fleet_pki(
    key_type: KeyType,
    identities: usize,
    base_url: Option<String>,
) -> Result<Arc<Pki>, FleetError> {
    let spec = PkiSpec {
        seed: crate::pki::random_seed(),
        anchor: PkiSpec::default_anchor(),
        key_type,
        identities,
        intermediates: 1,
        revocation_url: base_url,
        issuer: None,
        crl_shards: None,
        crl_delta: None,
    };
    Ok(Arc::new(crate::pki::generate(&spec)?))
}

/// What one issuance costs the CA (signing) and a client that rotates its key (generation),
/// measured on one thread, and what a renewal sends.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct IssuanceCost {
    /// The key type of the CA and the client.
    pub key_type: String,
    /// Issuances measured.
    pub samples: u32,
    /// CPU time of one key generation.
    pub keygen_cpu_us: f64,
    /// CPU time of one certificate signed by the CA.
    pub sign_cpu_us: f64,
    /// Issuances one CA core sustains (signing only).
    pub issuances_per_core_sec: f64,
    /// The leaf certificate's DER size.
    pub cert_bytes: u64,
    /// The leaf plus the intermediates a renewal hands out.
    pub chain_bytes: u64,
}

/// Measures key generation and signing for `key_type`, `samples` times each.
///
/// # Errors
/// When the PKI cannot be made or an issuance fails.
pub fn measure_cost(key_type: KeyType, samples: u32) -> Result<IssuanceCost, FleetError> {
    // Leaves carry OCSP and CRL URLs, as a public CA's do (they count in the renewal bytes).
    let base = "http://revocation.example.net".to_string();
    let pki = fleet_pki(key_type, 1, Some(base.clone()))?;
    let issuer = FleetIssuer::new(Arc::clone(&pki), Duration::from_secs(86_400), Some(base));
    let seed = crate::pki::random_seed();
    let cpu = thread_cpu();
    let mut keys = Vec::with_capacity(samples as usize);
    for i in 0..samples {
        keys.push(Arc::new(KeyMaterial::generate(
            key_type,
            seed,
            &format!("fleet-cost-{i}"),
        )?));
    }
    let keygen = thread_cpu().saturating_sub(cpu);
    let cpu = thread_cpu();
    let mut last = None;
    for (i, key) in keys.iter().enumerate() {
        last = Some(issuer.issue(&format!("client-{i:05}"), key)?);
    }
    let sign = thread_cpu().saturating_sub(cpu);
    let per = |d: Duration| d.as_secs_f64() * 1e6 / f64::from(samples.max(1));
    let (cert_bytes, chain_bytes) = last
        .map(|id| {
            let leaf = id.chain.first().map_or(0, |c| c.len());
            (leaf as u64, id.chain.iter().map(|c| c.len() as u64).sum())
        })
        .unwrap_or((0, 0));
    let sign_cpu_us = per(sign);
    Ok(IssuanceCost {
        key_type: key_type.name().to_string(),
        samples,
        keygen_cpu_us: round1(per(keygen)),
        sign_cpu_us: round1(sign_cpu_us),
        issuances_per_core_sec: if sign_cpu_us > 0.0 {
            round1(1e6 / sign_cpu_us)
        } else {
            0.0
        },
        cert_bytes,
        chain_bytes,
    })
}

/// CPU time of the calling thread so far (zero where it cannot be read).
pub fn thread_cpu() -> Duration {
    // The kernel brings a running thread's schedstat up to date when it schedules: yielding
    // makes the reading exact instead of a tick old.
    std::thread::yield_now();
    crate::sys::current_tid()
        .and_then(|t| crate::sys::thread_runtime(t).ok())
        .unwrap_or_default()
}

pub(super) fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// A renewal request: the holder, its key and name, and when it was made.
struct Request {
    holder: usize,
    name: String,
    key: Arc<KeyMaterial>,
    made: Instant,
}

/// What is done with each issued certificate (swap it into the holder's client).
pub type Deliver = Arc<dyn Fn(usize, Identity) + Send + Sync>;

/// The CA's queue: `workers` threads issue requests in arrival order; each request's time from
/// being made to its certificate being delivered goes into a histogram.
pub struct CaQueue {
    tx: Option<mpsc::Sender<Request>>,
    threads: Vec<JoinHandle<()>>,
    shared: Arc<QueueShared>,
}

struct QueueShared {
    waited: Mutex<Histogram<u64>>,
    issued: AtomicU64,
    failed: AtomicU64,
    cpu_ns: AtomicU64,
    last_done: Mutex<Option<Instant>>,
}

/// The queue's figures once drained.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct QueueFigures {
    /// Certificates issued.
    pub issued: u64,
    /// Issuances that failed.
    pub failed: u64,
    /// Request to delivered certificate, percentiles.
    pub latency_p50_ms: f64,
    /// See `latency_p50_ms`.
    pub latency_p99_ms: f64,
    /// See `latency_p50_ms`.
    pub latency_max_ms: f64,
    /// CPU the issuing threads used.
    pub ca_cpu_ms: f64,
}

impl CaQueue {
    /// Starts `workers` issuing threads on `issuer`, delivering to `deliver`.
    ///
    /// # Errors
    /// When a thread cannot be started.
    pub fn start(
        issuer: Arc<FleetIssuer>,
        workers: usize,
        deliver: Deliver,
    ) -> Result<Self, FleetError> {
        let (tx, rx) = mpsc::channel::<Request>();
        let rx = Arc::new(Mutex::new(rx));
        let shared = Arc::new(QueueShared {
            waited: Mutex::new(crate::measure::new_histogram()),
            issued: AtomicU64::new(0),
            failed: AtomicU64::new(0),
            cpu_ns: AtomicU64::new(0),
            last_done: Mutex::new(None),
        });
        let mut threads = Vec::with_capacity(workers);
        for i in 0..workers.max(1) {
            let (rx, shared, issuer, deliver) = (
                Arc::clone(&rx),
                Arc::clone(&shared),
                Arc::clone(&issuer),
                Arc::clone(&deliver),
            );
            let t = std::thread::Builder::new()
                .name(format!("fleet-ca-{i}"))
                .spawn(move || {
                    // The thread's CPU once, at its start and end: a reading per request would
                    // yield (see `thread_cpu`) and so add a scheduling delay to every wait.
                    let cpu = thread_cpu();
                    issue_until_closed(&rx, &shared, &issuer, &deliver);
                    shared.cpu_ns.fetch_add(
                        thread_cpu().saturating_sub(cpu).as_nanos() as u64,
                        Ordering::Relaxed,
                    );
                })
                .map_err(|e| FleetError::Internal(format!("CA thread: {e}")))?;
            threads.push(t);
        }
        Ok(Self {
            tx: Some(tx),
            threads,
            shared,
        })
    }

    /// Asks for a certificate for `holder` (named `name`, on `key`), made now.
    pub fn request(&self, holder: usize, name: &str, key: &Arc<KeyMaterial>) {
        if let Some(tx) = &self.tx {
            let _ = tx.send(Request {
                holder,
                name: name.to_string(),
                key: Arc::clone(key),
                made: Instant::now(),
            });
        }
    }

    /// Certificates issued so far.
    pub fn issued(&self) -> u64 {
        self.shared.issued.load(Ordering::Relaxed)
    }

    /// When the last certificate so far was delivered.
    pub fn last_done(&self) -> Option<Instant> {
        *self
            .shared
            .last_done
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    /// Waits for every request made so far, stops the threads and returns the figures.
    pub fn finish(mut self) -> QueueFigures {
        self.tx = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
        let h = self.shared.waited.lock().unwrap_or_else(|p| p.into_inner());
        let ms = |us: u64| (us as f64 / 10.0).round() / 100.0;
        let empty = h.is_empty();
        QueueFigures {
            issued: self.shared.issued.load(Ordering::Relaxed),
            failed: self.shared.failed.load(Ordering::Relaxed),
            latency_p50_ms: if empty {
                0.0
            } else {
                ms(h.value_at_quantile(0.5))
            },
            latency_p99_ms: if empty {
                0.0
            } else {
                ms(h.value_at_quantile(0.99))
            },
            latency_max_ms: if empty { 0.0 } else { ms(h.max()) },
            ca_cpu_ms: (self.shared.cpu_ns.load(Ordering::Relaxed) as f64 / 1e4).round() / 100.0,
        }
    }
}

/// One issuing thread: requests in arrival order until the queue is closed.
fn issue_until_closed(
    rx: &Mutex<mpsc::Receiver<Request>>,
    shared: &QueueShared,
    issuer: &FleetIssuer,
    deliver: &Deliver,
) {
    loop {
        let next = rx.lock().unwrap_or_else(|p| p.into_inner()).recv();
        let Ok(req) = next else { return };
        match issuer.issue(&req.name, &req.key) {
            Ok(id) => {
                deliver(req.holder, id);
                let done = Instant::now();
                let us = done.duration_since(req.made).as_micros() as u64;
                let _ = shared
                    .waited
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .record(us.clamp(1, 3_600_000_000));
                shared.issued.fetch_add(1, Ordering::Relaxed);
                *shared.last_done.lock().unwrap_or_else(|p| p.into_inner()) = Some(done);
            }
            Err(e) => {
                tracing::warn!("fleet issuance for {}: {e}", req.name);
                shared.failed.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

impl Drop for CaQueue {
    fn drop(&mut self) {
        self.tx = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}
