//! Renewal storms: every holder of a fleet asks the CA for its next certificate at the same
//! moment, versus each at its own moment spread over an ARI-style window (RFC 9773's
//! `suggestedWindow`, here fractions of the lifetime), while the holders keep handshaking with
//! the built-in server. Measured: the CA queue's wait (request to certificate in hand), the
//! handshakes that failed (a certificate that expired before its successor arrived), the
//! server's latency before, during and after the renewals. Then a mass revocation: every
//! certificate revoked at once at the OCSP responder the server asks (hard fail, no cache)
//! and every holder re-issued at once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::ca::{round1, CaQueue, FleetIssuer, QueueFigures};
use super::error::FleetError;
use super::lifetimes::sleep_until;
use super::options::{progress, FleetOptions};
use super::rig::{Load, OcspCheck, PhaseFigures, Rig, RigOptions};
use super::spec::StormSpec;
use crate::peers::rotating::SwappableCert;
use crate::pki::KeyMaterial;

/// The storm experiment's figures.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct StormResult {
    /// Holders.
    pub clients: usize,
    /// Key type of the CA and the holders.
    pub key_type: String,
    /// Certificate lifetime (compressed time).
    pub lifetime_ms: u64,
    /// Issuing threads of the CA.
    pub ca_workers: usize,
    /// The storm and the spread renewal.
    pub rows: Vec<StormRow>,
    /// Everyone revoked, then re-issued.
    pub mass_revocation: Option<MassRevocation>,
}

/// One way of renewing.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct StormRow {
    /// `storm` (all at once) or `spread` (over the window).
    pub kind: String,
    /// From the first request to the last, as planned.
    pub request_window_ms: u64,
    /// The CA queue.
    pub queue: QueueFigures,
    /// From the first request to the last certificate in hand (`None`: not all arrived
    /// before the old certificates' end plus a quarter of the lifetime).
    pub all_renewed_ms: Option<f64>,
    /// Handshakes before the first request.
    pub before: PhaseFigures,
    /// Handshakes while certificates were being renewed.
    pub during: PhaseFigures,
    /// Handshakes after the last certificate arrived.
    pub after: PhaseFigures,
}

/// Everyone revoked at once, then re-issued at once.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct MassRevocation {
    /// Time to mark every certificate revoked at the responder.
    pub revoke_ms: f64,
    /// The re-issuance's CA queue.
    pub queue: QueueFigures,
    /// From the revocation to the last new certificate in hand (`None`: not all arrived
    /// within two lifetimes).
    pub all_reissued_ms: Option<f64>,
    /// Handshakes before the revocation.
    pub before: PhaseFigures,
    /// Handshakes while holders waited for their new certificate.
    pub during: PhaseFigures,
    /// Handshakes after every holder had its new certificate.
    pub after: PhaseFigures,
}

/// Runs the storm, the spread renewal and (when asked) the mass revocation.
///
/// # Errors
/// When a part cannot be set up.
pub fn run(spec: &StormSpec, opts: &FleetOptions) -> Result<StormResult, FleetError> {
    let mut rows = Vec::with_capacity(2);
    for spread in [false, true] {
        let kind = if spread { "spread" } else { "storm" };
        progress(opts, &format!("renewal {kind} of {} clients", spec.clients));
        rows.push(renewal(spec, opts, spread)?);
    }
    let mass_revocation = if spec.mass_revocation {
        progress(
            opts,
            &format!("mass revocation of {} clients", spec.clients),
        );
        Some(mass_revocation(spec, opts)?)
    } else {
        None
    };
    Ok(StormResult {
        clients: spec.clients,
        key_type: spec.key.name().to_string(),
        lifetime_ms: spec.lifetime.as_millis() as u64,
        ca_workers: spec.ca_workers,
        rows,
        mass_revocation,
    })
}

/// The fleet's holders: names, keys, swappable certificates and client configurations.
struct Fleet {
    keys: Vec<(String, Arc<KeyMaterial>)>,
    certs: Arc<Vec<Arc<SwappableCert>>>,
    configs: Vec<Arc<rustls::ClientConfig>>,
}

fn fleet(
    spec: &StormSpec,
    rig: &Rig,
    issuer: &FleetIssuer,
    on_issue: impl Fn(&crate::pki::Identity),
) -> Result<Fleet, FleetError> {
    let seed = crate::pki::random_seed();
    let mut keys = Vec::with_capacity(spec.clients);
    let mut certs = Vec::with_capacity(spec.clients);
    let mut configs = Vec::with_capacity(spec.clients);
    for i in 0..spec.clients {
        let name = format!("client-{i:05}");
        let key = Arc::new(KeyMaterial::generate(spec.key, seed, &name)?);
        let id = issuer.issue(&name, &key)?;
        on_issue(&id);
        let cert = rig.holder(&id)?;
        configs.push(rig.client(&cert)?);
        certs.push(cert);
        keys.push((name, key));
    }
    Ok(Fleet {
        keys,
        certs: Arc::new(certs),
        configs,
    })
}

/// Waits until `queue` has issued `n` certificates or `deadline` passes; returns when the
/// last one arrived.
fn drained(queue: &CaQueue, n: u64, deadline: Instant) -> Option<Instant> {
    while queue.issued() < n && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(2));
    }
    (queue.issued() >= n).then(|| queue.last_done()).flatten()
}

fn ms_between(a: Instant, b: Option<Instant>) -> Option<f64> {
    b.map(|b| round1(b.saturating_duration_since(a).as_secs_f64() * 1000.0))
}

fn renewal(spec: &StormSpec, opts: &FleetOptions, spread: bool) -> Result<StormRow, FleetError> {
    let kind = if spread { "spread" } else { "storm" };
    let rig = Rig::start(&RigOptions {
        dir: &opts.out_dir.join(format!("storm-{kind}")),
        harness_exe: &opts.harness_exe,
        key_type: spec.key,
        ocsp: None,
        rotate_server: None,
    })?;
    let issuer = Arc::new(FleetIssuer::new(Arc::clone(&rig.pki), spec.lifetime, None));
    let Fleet {
        keys,
        certs,
        configs,
    } = fleet(spec, &rig, &issuer, |_| ())?;
    let t0 = Instant::now();
    let queue = CaQueue::start(issuer, spec.ca_workers, rig.deliver_to(certs))?;
    let load = Load::start(rig.addr(), configs, spec.workers, 3)?;
    let lifetime = spec.lifetime;
    let (start, end) = if spread {
        (spec.spread.0, spec.spread.1)
    } else {
        (spec.renew_at, spec.renew_at)
    };
    let n = keys.len();
    let first = t0 + lifetime.mul_f64(start);
    sleep_until(first);
    load.set_phase(1);
    let requested = Instant::now();
    for (i, (name, key)) in keys.iter().enumerate() {
        let at = start + (end - start) * i as f64 / n.max(1) as f64;
        sleep_until(t0 + lifetime.mul_f64(at));
        queue.request(i, name, key);
    }
    // Past the old certificates' end, so a late renewal shows as expired handshakes.
    let deadline = t0 + lifetime.mul_f64(1.25);
    let done = drained(&queue, n as u64, deadline);
    load.set_phase(2);
    sleep_until(deadline.max(Instant::now() + lifetime / 8));
    let mut phases = load.finish().into_iter();
    let queue = queue.finish();
    rig.stop();
    Ok(StormRow {
        kind: kind.to_string(),
        request_window_ms: lifetime.mul_f64(end - start).as_millis() as u64,
        queue,
        all_renewed_ms: ms_between(requested, done),
        before: phases.next().unwrap_or_default(),
        during: phases.next().unwrap_or_default(),
        after: phases.next().unwrap_or_default(),
    })
}

fn mass_revocation(spec: &StormSpec, opts: &FleetOptions) -> Result<MassRevocation, FleetError> {
    let rig = Rig::start(&RigOptions {
        dir: &opts.out_dir.join("storm-mass-revocation"),
        harness_exe: &opts.harness_exe,
        key_type: spec.key,
        ocsp: Some(OcspCheck {
            hard_fail: true,
            cache_ttl: Duration::ZERO,
            timeout: Duration::from_secs(2),
        }),
        rotate_server: None,
    })?;
    let responder = rig
        .service
        .as_ref()
        .map(|s| Arc::clone(&s.responder))
        .ok_or_else(|| FleetError::Internal("no revocation service".into()))?;
    let base = rig.service.as_ref().map(|s| s.base_url());
    // Long-lived here: only the revocation ends a certificate.
    let issuer = Arc::new(FleetIssuer::new(
        Arc::clone(&rig.pki),
        Duration::from_secs(86_400),
        base,
    ));
    let issued: std::sync::Mutex<Vec<_>> = std::sync::Mutex::default();
    let Fleet {
        keys,
        certs,
        configs,
    } = fleet(spec, &rig, &issuer, |id| {
        if let Some(c) = id.chain.first() {
            let _ = responder.add_issued(c);
            issued
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push(c.clone());
        }
    })?;
    let swap = rig.deliver_to(certs);
    let known = Arc::clone(&responder);
    let deliver: super::ca::Deliver = Arc::new(move |holder, id| {
        if let Some(c) = id.chain.first() {
            let _ = known.add_issued(c);
        }
        swap(holder, id);
    });
    let queue = CaQueue::start(issuer, spec.ca_workers, deliver)?;
    let load = Load::start(rig.addr(), configs, spec.workers, 3)?;
    let settle = spec.lifetime / 4;
    std::thread::sleep(settle);
    let revoked_at = Instant::now();
    load.set_phase(1);
    for cert in issued.lock().unwrap_or_else(|p| p.into_inner()).iter() {
        let _ = responder.revoke(cert);
    }
    let revoke_ms = round1(revoked_at.elapsed().as_secs_f64() * 1000.0);
    for (i, (name, key)) in keys.iter().enumerate() {
        queue.request(i, name, key);
    }
    let done = drained(&queue, keys.len() as u64, revoked_at + spec.lifetime * 2);
    load.set_phase(2);
    std::thread::sleep(settle);
    let mut phases = load.finish().into_iter();
    let queue = queue.finish();
    rig.stop();
    Ok(MassRevocation {
        revoke_ms,
        queue,
        all_reissued_ms: ms_between(revoked_at, done),
        before: phases.next().unwrap_or_default(),
        during: phases.next().unwrap_or_default(),
        after: phases.next().unwrap_or_default(),
    })
}
