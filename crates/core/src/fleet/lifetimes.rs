//! Certificate lifetimes for a fleet: per lifetime, what the CA must issue, what it costs
//! (from the measured CPU of one issuance per key type), the renewal traffic, and how long a
//! stolen key stays usable without revocation. Each lifetime is also run in compressed time:
//! `clients` holders renew at `renew_at` of a lifetime scaled down to `compressed_lifetime`
//! (the factor is reported) through the real CA queue while handshaking against the built-in
//! server, which rotates its own certificate at the same pace; the issuances counted must match
//! the arithmetic.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rustls::ClientConfig;

use super::ca::{measure_cost, round1, CaQueue, FleetIssuer, IssuanceCost, QueueFigures};
use super::error::FleetError;
use super::options::{progress, FleetOptions};
use super::rig::{Load, PhaseFigures, Rig, RigOptions};
use super::spec::LifetimesSpec;
use crate::peers::rotating::SwappableCert;
use crate::pki::{KeyMaterial, KeyType};

/// The rule for the exposure columns.
pub const EXPOSURE_RULE: &str = "without revocation a stolen key works with the certificate it was stolen with until that \
     certificate expires: at most the lifetime L (stolen right after issuance), at least (1 - r) x L \
     (stolen just before the holder renews at r x L), L x (1 - r/2) on average; a thief who can \
     also renew (holds the account or workload credential) is stopped by no lifetime";

/// The lifetimes experiment's figures.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct LifetimesResult {
    /// The fleet the arithmetic is for.
    pub fleet: u64,
    /// Renewal at this fraction of the lifetime.
    pub renew_at: f64,
    /// How the exposure columns are computed.
    pub exposure_rule: String,
    /// Measured cost of one issuance, per key type (the first prices the rows).
    pub costs: Vec<IssuanceCost>,
    /// One row per lifetime.
    pub rows: Vec<LifetimeRow>,
}

/// One lifetime.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct LifetimeRow {
    /// The lifetime, as written (`24h`, `47days`).
    pub lifetime: String,
    /// The lifetime in seconds.
    pub lifetime_s: u64,
    /// A holder renews this often (renew_at x lifetime).
    pub renew_every_s: f64,
    /// Issuances per second the CA must sustain for the fleet.
    pub issuance_per_sec: f64,
    /// The same per day.
    pub issuances_per_day: f64,
    /// CA cores busy signing them (from the first key type's measured cost).
    pub ca_cores: f64,
    /// Certificate plus chain bytes handed out per second.
    pub renewal_traffic_bytes_per_sec: f64,
    /// Exposure of a stolen key without revocation, worst case (= lifetime).
    pub exposure_max_s: f64,
    /// Best case ((1 - r) x lifetime).
    pub exposure_min_s: f64,
    /// Average (lifetime x (1 - r/2)).
    pub exposure_mean_s: f64,
    /// The compressed run.
    pub compressed: CompressedRun,
}

/// A lifetime run scaled down.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct CompressedRun {
    /// Real time / run time.
    pub factor: f64,
    /// The scaled lifetime.
    pub lifetime_ms: u64,
    /// The scaled renewal period.
    pub renew_every_ms: u64,
    /// Holders renewing.
    pub clients: usize,
    /// Measured time.
    pub window_ms: u64,
    /// Client renewals the arithmetic expects in the window.
    pub renewals_expected: u64,
    /// Client certificates the CA issued and the holders swapped in.
    pub renewals_issued: u64,
    /// Server certificates issued.
    pub server_renewals: u64,
    /// Rotations the server reported.
    pub server_rotations: u64,
    /// Issuances per second of the run.
    pub issuance_per_sec: f64,
    /// That rate in real time for the whole fleet (/ factor x fleet / clients).
    pub fleet_issuance_per_sec_equivalent: f64,
    /// The CA queue's figures.
    pub queue: QueueFigures,
    /// The handshakes meanwhile.
    pub handshakes: PhaseFigures,
}

/// Client renewals in `window` for `clients` holders renewing every `every`, holder `i`
/// first at `i / clients` of a period: holder `i` renews at `(i / n + k) x every` for every
/// `k >= 0` before the window ends.
pub fn expected_renewals(clients: usize, window: Duration, every: Duration) -> u64 {
    let periods = window.as_secs_f64() / every.as_secs_f64().max(1e-9);
    (0..clients)
        .map(|i| {
            let offset = i as f64 / clients.max(1) as f64;
            if periods > offset {
                // Counts k = 0 ..= ceil(periods - offset) - 1.
                (periods - offset).ceil() as u64
            } else {
                0
            }
        })
        .sum()
}

/// Runs the experiment.
///
/// # Errors
/// When a part cannot be set up.
pub fn run(spec: &LifetimesSpec, opts: &FleetOptions) -> Result<LifetimesResult, FleetError> {
    let mut costs = Vec::with_capacity(spec.key_types.len());
    for &k in &spec.key_types {
        progress(opts, &format!("measuring issuance cost of {}", k.name()));
        costs.push(measure_cost(k, spec.cost_samples)?);
    }
    let price = costs.first().cloned();
    let mut rows = Vec::with_capacity(spec.lifetimes.len());
    for (i, &lifetime) in spec.lifetimes.iter().enumerate() {
        let name = lifetime_name(lifetime);
        progress(opts, &format!("lifetime {name}: compressed run"));
        let compressed = compressed_run(spec, opts, i, lifetime)?;
        let l = lifetime.as_secs_f64();
        let every = l * spec.renew_at;
        let rate = spec.fleet as f64 / every;
        rows.push(LifetimeRow {
            lifetime: name,
            lifetime_s: lifetime.as_secs(),
            renew_every_s: round1(every),
            issuance_per_sec: round3(rate),
            issuances_per_day: round1(rate * 86_400.0),
            ca_cores: price
                .as_ref()
                .map_or(0.0, |c| round6(rate * c.sign_cpu_us / 1e6)),
            renewal_traffic_bytes_per_sec: price
                .as_ref()
                .map_or(0.0, |c| round1(rate * c.chain_bytes as f64)),
            exposure_max_s: round1(l),
            exposure_min_s: round1(l * (1.0 - spec.renew_at)),
            exposure_mean_s: round1(l * (1.0 - spec.renew_at / 2.0)),
            compressed,
        });
    }
    Ok(LifetimesResult {
        fleet: spec.fleet,
        renew_at: spec.renew_at,
        exposure_rule: EXPOSURE_RULE.to_string(),
        costs,
        rows,
    })
}

/// `200d`, `160h`, `90m`, or humantime's spelling.
pub(super) fn lifetime_name(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        s if s > 0 && s % 86_400 == 0 && s >= 2 * 86_400 => format!("{}d", s / 86_400),
        s if s > 0 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s > 0 && s % 60 == 0 && d.subsec_nanos() == 0 => format!("{}m", s / 60),
        _ => humantime::format_duration(d).to_string(),
    }
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// Runs `lifetime` (the `index`th of the spec) scaled down to the spec's compressed lifetime.
fn compressed_run(
    spec: &LifetimesSpec,
    opts: &FleetOptions,
    index: usize,
    lifetime: Duration,
) -> Result<CompressedRun, FleetError> {
    let key_type = spec
        .key_types
        .first()
        .copied()
        .unwrap_or(crate::pki::KeyType::EcdsaP256);
    let scaled = spec.compressed_lifetime;
    let every = scaled.mul_f64(spec.renew_at);
    let poll = (every / 10).clamp(Duration::from_millis(20), Duration::from_secs(1));
    let dir = opts.out_dir.join(format!("lifetimes-{:02}", index + 1));
    let rig = Rig::start(&RigOptions {
        dir: &dir,
        harness_exe: &opts.harness_exe,
        key_type,
        ocsp: None,
        rotate_server: Some((scaled, poll)),
    })?;
    let issuer = Arc::new(FleetIssuer::new(Arc::clone(&rig.pki), scaled, None));
    let holders = Holders::issue(&rig, &issuer, key_type, spec.clients)?;
    let queue = CaQueue::start(
        Arc::clone(&issuer),
        1,
        rig.deliver_to(Arc::new(holders.certs)),
    )?;
    let load = Load::start(rig.addr(), holders.configs, spec.workers, 1)?;
    let schedule = renewal_schedule(spec.clients, every, spec.window);
    let t0 = Instant::now();
    let server_renewals = renew_on_schedule(schedule, t0, &queue, &holders.keys, &rig);
    sleep_until(t0 + spec.window);
    let handshakes = load.finish().into_iter().next().unwrap_or_default();
    let queue = queue.finish();
    let rotations = rig.stop();
    let window = spec.window.as_secs_f64();
    let measured = queue.issued as f64 / window;
    let factor = lifetime.as_secs_f64() / scaled.as_secs_f64();
    Ok(CompressedRun {
        factor: round1(factor),
        lifetime_ms: scaled.as_millis() as u64,
        renew_every_ms: every.as_millis() as u64,
        clients: spec.clients,
        window_ms: spec.window.as_millis() as u64,
        renewals_expected: expected_renewals(spec.clients, spec.window, every),
        renewals_issued: queue.issued,
        server_renewals,
        server_rotations: rotations,
        issuance_per_sec: round1(measured),
        fleet_issuance_per_sec_equivalent: round3(
            measured / factor * spec.fleet as f64 / spec.clients as f64,
        ),
        queue,
        handshakes,
    })
}

/// The holders of a compressed run, each with its first certificate.
struct Holders {
    /// Each holder's name and key, which its renewals reuse.
    keys: Vec<(String, Arc<KeyMaterial>)>,
    /// The certificate each holder presents, swapped at each renewal.
    certs: Vec<Arc<SwappableCert>>,
    /// A client presenting each certificate.
    configs: Vec<Arc<ClientConfig>>,
}

impl Holders {
    /// `clients` holders (`client-00000`, ...) of `key_type` keys, issued by `issuer`.
    fn issue(
        rig: &Rig,
        issuer: &FleetIssuer,
        key_type: KeyType,
        clients: usize,
    ) -> Result<Self, FleetError> {
        let seed = crate::pki::random_seed();
        let mut keys = Vec::with_capacity(clients);
        let mut certs = Vec::with_capacity(clients);
        let mut configs = Vec::with_capacity(clients);
        for i in 0..clients {
            let name = format!("client-{i:05}");
            let key = Arc::new(KeyMaterial::generate(key_type, seed, &name)?);
            let cert = rig.holder(&issuer.issue(&name, &key)?)?;
            configs.push(rig.client(&cert)?);
            certs.push(cert);
            keys.push((name, key));
        }
        Ok(Self {
            keys,
            certs,
            configs,
        })
    }
}

/// Every renewal of the window, in time order: holder `i` (`Some(i)`) at `(i / n + k) x every`,
/// the server (`None`) at `k x every` from `every` on.
fn renewal_schedule(
    clients: usize,
    every: Duration,
    window: Duration,
) -> Vec<(Duration, Option<usize>)> {
    let mut schedule: Vec<(Duration, Option<usize>)> = Vec::new();
    for i in 0..clients {
        let mut at = every.mul_f64(i as f64 / clients as f64);
        while at < window {
            schedule.push((at, Some(i)));
            at += every;
        }
    }
    let mut at = every;
    while at < window {
        schedule.push((at, None));
        at += every;
    }
    schedule.sort_by_key(|(at, _)| *at);
    schedule
}

/// Asks `queue` for each holder's renewal, and renews the server's certificate, each at its
/// time after `t0`; returns how many server renewals succeeded.
fn renew_on_schedule(
    schedule: Vec<(Duration, Option<usize>)>,
    t0: Instant,
    queue: &CaQueue,
    keys: &[(String, Arc<KeyMaterial>)],
    rig: &Rig,
) -> u64 {
    let mut server_renewals = 0;
    for (at, who) in schedule {
        sleep_until(t0 + at);
        match who {
            Some(i) => {
                let (name, key) = &keys[i];
                queue.request(i, name, key);
            }
            None => match rig.rotate_server() {
                Ok(()) => server_renewals += 1,
                Err(e) => tracing::warn!("server renewal: {e}"),
            },
        }
    }
    server_renewals
}

/// Sleeps until `at` (returns at once when it has passed).
pub(super) fn sleep_until(at: Instant) {
    let left = at.saturating_duration_since(Instant::now());
    if !left.is_zero() {
        std::thread::sleep(left);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expected_renewals_count_each_holders_periods() {
        // 4 holders, period 1 s, window 2 s: offsets 0, .25, .5, .75 -> 2 renewals each.
        assert_eq!(
            expected_renewals(4, Duration::from_secs(2), Duration::from_secs(1)),
            8
        );
        // Window 2.5 s: offsets 0 and .25 get a third.
        assert_eq!(
            expected_renewals(4, Duration::from_millis(2500), Duration::from_secs(1)),
            10
        );
        assert_eq!(
            expected_renewals(4, Duration::from_millis(100), Duration::from_secs(1)),
            1
        );
    }
}
