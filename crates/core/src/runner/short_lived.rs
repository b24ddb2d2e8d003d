//! Short-lived certificates during a case: the CA issues every client (and the server) a
//! certificate of the scenario's lifetime, renews each after `renew_at` of it, and writes the
//! server's over the files the server re-reads (it rotates without dropping handshakes). For
//! the exposure window the victim's renewals stop at the planned moment; it is refused once
//! its last certificate expires. The CA's issuance rate is measured here too.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::crypto::CryptoProvider;
use rustls::sign::{CertifiedKey, SigningKey};

use crate::measure::ShortLivedFigures;
use crate::peers::rotating::SwappableCert;
use crate::peers::servers::status::StatusEvent;
use crate::peers::tls::rustls as tls_config;
use crate::pki::{Identity, IssueError, Pki, ShortLivedIssuer};
use crate::scenario::Case;

/// Why short-lived certificates could not be issued or written (at set-up the case fails with
/// this message; during the case a renewal is counted as failed).
#[derive(Debug, thiserror::Error)]
pub(super) enum ShortLivedError {
    /// The CA could not issue a certificate.
    #[error("{0}")]
    Issue(#[from] IssueError),
    /// A holder's key could not be loaded for signing.
    #[error("{0}")]
    Key(#[from] rustls::Error),
    /// The PKI has no clients to sample the CA's rate with.
    #[error("empty client pool")]
    NoClients,
    /// The server's certificate or key file could not be written.
    #[error("{}: {source}", path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Certificates issued to measure the CA's rate.
const RATE_SAMPLE: u32 = 200;

struct Holder {
    identity: Identity,
    signing: Arc<dyn SigningKey>,
    cert: Arc<SwappableCert>,
}

/// The short-lived certificates of one case.
pub(super) struct ShortLived {
    issuer: ShortLivedIssuer,
    clients: Vec<Holder>,
    victim: Holder,
    server: Identity,
    /// The server's certificate chain file (re-read by the server).
    pub server_cert: PathBuf,
    /// The server's key file (0600; the key never changes).
    pub server_key: PathBuf,
    renew_every: Duration,
    stop_victim: Arc<AtomicBool>,
    client_renewals: AtomicU64,
    server_renewals: AtomicU64,
    failures: AtomicU64,
    figures: ShortLivedFigures,
}

fn holder(
    issuer: &ShortLivedIssuer,
    provider: &CryptoProvider,
    identity: &Identity,
) -> Result<Holder, ShortLivedError> {
    let fresh = issuer.renew(identity, false)?;
    let signing = provider
        .key_provider
        .load_private_key(identity.key.private_key_der())?;
    Ok(Holder {
        cert: Arc::new(SwappableCert::new(CertifiedKey::new(
            fresh.chain.clone(),
            Arc::clone(&signing),
        ))),
        identity: fresh,
        signing,
    })
}

impl ShortLived {
    /// Issues the first certificates and writes the server's files under `dir`.
    ///
    /// # Errors
    /// When issuing or writing fails.
    pub fn setup(
        case: &Case,
        pki: &Arc<Pki>,
        dir: &Path,
        stem: &str,
    ) -> Result<Self, ShortLivedError> {
        // Only short-lived cases are set up here.
        let rev = match case.revocation {
            crate::scenario::Revocation::ShortLived(s) => s,
            _ => crate::scenario::ShortLivedSettings::default(),
        };
        let issuer = ShortLivedIssuer::new(Arc::clone(pki), rev.cert_lifetime);
        let provider = tls_config::provider_with(&case.tls.groups, &case.tls.suites);

        // The CA's rate: sign a batch on this thread.
        let sample = pki.clients.first().ok_or(ShortLivedError::NoClients)?;
        let started = Instant::now();
        for _ in 0..RATE_SAMPLE {
            issuer.renew(sample, false)?;
        }
        let issuance_per_sec = f64::from(RATE_SAMPLE) / started.elapsed().as_secs_f64();
        let renew_every = rev.cert_lifetime.mul_f64(rev.renew_at);
        let fleet_renewals_per_sec = rev.fleet as f64 / renew_every.as_secs_f64();

        let clients = pki
            .clients
            .iter()
            .map(|id| holder(&issuer, &provider, id))
            .collect::<Result<Vec<_>, _>>()?;
        let victim = holder(&issuer, &provider, &pki.victim)?;
        let server = issuer.renew(&pki.server, true)?;
        let server_cert = dir.join(format!("{stem}-server-short-lived.crt"));
        let server_key = dir.join(format!("{stem}-server-short-lived.key"));
        let key_pem = pem::encode(&pem::Pem::new(
            "PRIVATE KEY",
            server.key.pkcs8_der().to_vec(),
        ));
        crate::fsutil::write_atomic(&server_key, key_pem.as_bytes(), 0o600).map_err(|source| {
            ShortLivedError::Write {
                path: server_key.clone(),
                source,
            }
        })?;
        let this = Self {
            issuer,
            clients,
            victim,
            server,
            server_cert,
            server_key,
            renew_every,
            stop_victim: Arc::new(AtomicBool::new(false)),
            client_renewals: AtomicU64::new(0),
            server_renewals: AtomicU64::new(0),
            failures: AtomicU64::new(0),
            figures: ShortLivedFigures {
                lifetime_ms: rev.cert_lifetime.as_millis() as u64,
                renew_every_ms: renew_every.as_millis() as u64,
                issuance_per_sec: (issuance_per_sec * 10.0).round() / 10.0,
                fleet: rev.fleet,
                fleet_renewals_per_sec: (fleet_renewals_per_sec * 10.0).round() / 10.0,
                fleet_ca_cpu_pct: (fleet_renewals_per_sec / issuance_per_sec * 1000.0).round()
                    / 10.0,
                ..ShortLivedFigures::default()
            },
        };
        this.write_server(&this.server)?;
        Ok(this)
    }

    fn write_server(&self, server: &Identity) -> Result<(), ShortLivedError> {
        let pem = crate::pki::certs_pem(&server.chain);
        crate::fsutil::write_atomic(&self.server_cert, pem.as_bytes(), 0o644).map_err(|source| {
            ShortLivedError::Write {
                path: self.server_cert.clone(),
                source,
            }
        })
    }

    /// The clients' swappable certificates, for the load client.
    pub fn client_certs(&self) -> Vec<Arc<SwappableCert>> {
        self.clients.iter().map(|h| Arc::clone(&h.cert)).collect()
    }

    /// The victim's swappable certificate.
    pub fn victim_cert(&self) -> Arc<SwappableCert> {
        Arc::clone(&self.victim.cert)
    }

    /// Stops renewing the victim (its "revocation").
    pub fn stopper(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stop_victim)
    }

    /// How often the server should look for a new certificate.
    pub fn server_poll(&self) -> Duration {
        (self.renew_every / 10).clamp(Duration::from_millis(20), Duration::from_secs(1))
    }

    /// Renews everyone every `renew_every` until `stop` is set.
    pub async fn renew_until(&self, stop: &AtomicBool) {
        let mut next = Instant::now() + self.renew_every;
        loop {
            while Instant::now() < next {
                if stop.load(Ordering::Relaxed) {
                    return;
                }
                let left = next.saturating_duration_since(Instant::now());
                tokio::time::sleep(left.min(Duration::from_millis(50))).await;
            }
            next += self.renew_every;
            for h in &self.clients {
                self.renew(h);
            }
            if !self.stop_victim.load(Ordering::Relaxed) {
                self.renew(&self.victim);
            }
            match self
                .issuer
                .renew(&self.server, true)
                .map_err(ShortLivedError::from)
                .and_then(|s| self.write_server(&s))
            {
                Ok(()) => self.server_renewals.fetch_add(1, Ordering::Relaxed),
                Err(e) => {
                    tracing::warn!("server renewal: {e}");
                    self.failures.fetch_add(1, Ordering::Relaxed)
                }
            };
        }
    }

    fn renew(&self, h: &Holder) {
        match self.issuer.renew(&h.identity, false) {
            Ok(fresh) => {
                h.cert
                    .swap(CertifiedKey::new(fresh.chain, Arc::clone(&h.signing)));
                self.client_renewals.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                tracing::warn!("renewal of {}: {e}", h.identity.name);
                self.failures.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The figures, with the server's rotations counted from its status events.
    pub fn figures(&self, events: &[StatusEvent]) -> ShortLivedFigures {
        let rotations = events
            .iter()
            .filter(|e| matches!(e, StatusEvent::CertRotated))
            .count() as u64;
        ShortLivedFigures {
            client_renewals: self.client_renewals.load(Ordering::Relaxed),
            server_renewals: self.server_renewals.load(Ordering::Relaxed),
            server_rotations: rotations,
            renewal_failures: self.failures.load(Ordering::Relaxed),
            ..self.figures.clone()
        }
    }
}
