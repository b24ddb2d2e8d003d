//! OCSP responder capacity. For each fleet size N, N distinct clients (cold caches) each ask
//! once: straight at the responder over HTTP (`concurrency` at a time: queries per second,
//! query latency, the responder's CPU per answer), then through the built-in server that checks
//! OCSP (a handshake each, cold, then again with the server's cache warm: the latency a cold
//! cache adds). Then what each fail policy does when the responder is slower than the server's
//! query timeout (an injected delay), overloaded (flooded by other clients' queries) or down:
//! soft-fail admits what hard-fail refuses, and the difference is the count of handshakes
//! admitted without a fresh answer.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::ca::{round1, FleetIssuer};
use super::error::FleetError;
use super::flood::{request_der, Flood};
use super::options::{progress, FleetOptions};
use super::rig::{once_each, OcspCheck, Outcomes, Rig, RigOptions};
use super::spec::ResponderSpec;
use crate::pki::{KeyMaterial, KeyType};
use crate::revocation::ocsp::{
    CheckerSettings, Decision, Fault, OcspChecker, OcspMethod, ResponderSettings,
};

/// The responder experiment's figures.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct ResponderResult {
    /// Queries or handshakes in flight at once.
    pub concurrency: usize,
    /// One row per fleet size.
    pub capacity: Vec<CapacityRow>,
    /// The server's OCSP query timeout in the saturation rows.
    pub query_timeout_ms: u64,
    /// The responder's added delay in the `slow` rows.
    pub slow_delay_ms: u64,
    /// Connections flooding the responder in the `overloaded` rows.
    pub flood_connections: usize,
    /// Responder state x fail policy.
    pub saturation: Vec<SaturationRow>,
}

/// N cold clients.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct CapacityRow {
    /// Distinct clients, each asking once.
    pub fleet: usize,
    /// Answers per second straight from the responder.
    pub queries_per_sec: f64,
    /// Query latency (request to verified answer).
    pub query_p50_ms: f64,
    /// See `query_p50_ms`.
    pub query_p99_ms: f64,
    /// Answers that were not `good`.
    pub query_failures: u64,
    /// The responder thread's CPU per answer.
    pub responder_cpu_us_per_query: f64,
    /// Handshakes through the OCSP-checking server, each client's first (cold cache).
    pub cold_handshake_p50_ms: f64,
    /// See `cold_handshake_p50_ms`.
    pub cold_handshake_p99_ms: f64,
    /// The same clients again (the server's cache answers).
    pub warm_handshake_p50_ms: f64,
    /// See `warm_handshake_p50_ms`.
    pub warm_handshake_p99_ms: f64,
    /// cold p50 - warm p50.
    pub added_p50_ms: f64,
    /// Handshakes that failed in the cold and warm passes.
    pub handshake_failures: u64,
}

/// One responder state under one fail policy.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct SaturationRow {
    /// `normal`, `slow` (answers after the server's timeout), `overloaded` (flooded) or `down`
    /// (refuses connections).
    pub responder: String,
    /// `soft` or `hard`.
    pub policy: String,
    /// Distinct clients, one handshake each.
    pub clients: usize,
    /// How they ended.
    pub outcomes: Outcomes,
    /// Accepted here minus accepted under hard fail in the same state: let in without a fresh
    /// answer (0 for hard-fail rows).
    pub admitted_without_fresh_answer: u64,
    /// Handshake latency.
    pub latency_p50_ms: f64,
    /// Answers the flood received meanwhile (`overloaded` rows; 0 otherwise).
    pub flood_answers: u64,
}

/// Runs the experiment.
///
/// # Errors
/// When a part cannot be set up.
pub fn run(spec: &ResponderSpec, opts: &FleetOptions) -> Result<ResponderResult, FleetError> {
    let rig = Rig::start(&RigOptions {
        dir: &opts.out_dir.join("responder-capacity"),
        harness_exe: &opts.harness_exe,
        key_type: KeyType::EcdsaP256,
        ocsp: Some(OcspCheck {
            hard_fail: true,
            cache_ttl: Duration::from_secs(300),
            timeout: Duration::from_secs(2),
        }),
        rotate_server: None,
    })?;
    let mut capacity = Vec::with_capacity(spec.fleets.len());
    for (i, &n) in spec.fleets.iter().enumerate() {
        progress(opts, &format!("responder capacity: {n} cold clients"));
        capacity.push(capacity_row(&rig, spec, n, &format!("f{i}"))?);
    }
    rig.stop();
    let mut saturation = Vec::with_capacity(8);
    for state in ["normal", "slow", "overloaded", "down"] {
        progress(opts, &format!("responder {state}: soft and hard fail"));
        let hard = saturation_row(spec, opts, state, true)?;
        let mut soft = saturation_row(spec, opts, state, false)?;
        soft.admitted_without_fresh_answer = soft
            .outcomes
            .accepted
            .saturating_sub(hard.outcomes.accepted);
        saturation.push(soft);
        saturation.push(hard);
    }
    Ok(ResponderResult {
        concurrency: spec.concurrency,
        capacity,
        query_timeout_ms: spec.query_timeout.as_millis() as u64,
        slow_delay_ms: spec.slow_delay.as_millis() as u64,
        flood_connections: spec.flood,
        saturation,
    })
}

/// `n` distinct clients of `rig` (their certificates known to the responder), named `tag`.
fn clients(
    rig: &Rig,
    n: usize,
    tag: &str,
) -> Result<(Vec<crate::pki::Identity>, Vec<Arc<rustls::ClientConfig>>), FleetError> {
    let responder = rig
        .service
        .as_ref()
        .ok_or_else(|| FleetError::Internal("no revocation service".into()))?;
    let issuer = FleetIssuer::new(
        Arc::clone(&rig.pki),
        Duration::from_secs(86_400),
        Some(responder.base_url()),
    );
    let seed = crate::pki::random_seed();
    let mut ids = Vec::with_capacity(n);
    let mut configs = Vec::with_capacity(n);
    for i in 0..n {
        let name = format!("{tag}-client-{i:05}");
        let key = Arc::new(KeyMaterial::generate(KeyType::EcdsaP256, seed, &name)?);
        let id = issuer.issue(&name, &key)?;
        if let Some(c) = id.chain.first() {
            responder
                .responder
                .add_issued(c)
                .map_err(|e| FleetError::Internal(e.to_string()))?;
        }
        configs.push(rig.client(&rig.holder(&id)?)?);
        ids.push(id);
    }
    Ok((ids, configs))
}

fn capacity_row(
    rig: &Rig,
    spec: &ResponderSpec,
    n: usize,
    tag: &str,
) -> Result<CapacityRow, FleetError> {
    let service = rig
        .service
        .as_ref()
        .ok_or_else(|| FleetError::Internal("no revocation service".into()))?;
    let issuer_cert = rig
        .pki
        .intermediates
        .last()
        .unwrap_or(&rig.pki.root)
        .clone();
    // Straight at the responder: one set of clients.
    let (ids, _) = clients(rig, n, &format!("{tag}q"))?;
    let checker = OcspChecker::new(CheckerSettings {
        url_override: None,
        cache_ttl: Duration::ZERO,
        timeout: Duration::from_secs(5),
        nonce: false,
        method: OcspMethod::Post,
    });
    let hist = Mutex::new(crate::measure::new_histogram());
    let next = AtomicUsize::new(0);
    let failures = AtomicUsize::new(0);
    let cpu = service.cpu_time();
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..spec.concurrency {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(id) = ids.get(i) else { break };
                let Some(leaf) = id.chain.first() else {
                    continue;
                };
                let t = Instant::now();
                let decision = checker.check(leaf, &issuer_cert);
                let us = (t.elapsed().as_micros() as u64).clamp(1, 3_600_000_000);
                let _ = hist.lock().unwrap_or_else(|p| p.into_inner()).record(us);
                if decision != Decision::Good {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = service.cpu_time().saturating_sub(cpu);
    let h = hist.into_inner().unwrap_or_else(|p| p.into_inner());
    let q = |x: f64| (h.value_at_quantile(x) as f64 / 10.0).round() / 100.0;
    // Through the server: another set, so the server's cache is cold for each.
    let (_, configs) = clients(rig, n, &format!("{tag}h"))?;
    let cold = once_each(rig.addr(), &configs, spec.concurrency)?;
    let warm = once_each(rig.addr(), &configs, spec.concurrency)?;
    Ok(CapacityRow {
        fleet: n,
        queries_per_sec: round1(n as f64 / elapsed.max(1e-9)),
        query_p50_ms: q(0.5),
        query_p99_ms: q(0.99),
        query_failures: failures.into_inner() as u64,
        responder_cpu_us_per_query: round1(cpu.as_secs_f64() * 1e6 / n.max(1) as f64),
        cold_handshake_p50_ms: cold.latency_p50_ms,
        cold_handshake_p99_ms: cold.latency_p99_ms,
        warm_handshake_p50_ms: warm.latency_p50_ms,
        warm_handshake_p99_ms: warm.latency_p99_ms,
        added_p50_ms: ((cold.latency_p50_ms - warm.latency_p50_ms) * 100.0).round() / 100.0,
        handshake_failures: cold.outcomes.failed() + warm.outcomes.failed(),
    })
}

fn saturation_row(
    spec: &ResponderSpec,
    opts: &FleetOptions,
    state: &str,
    hard_fail: bool,
) -> Result<SaturationRow, FleetError> {
    let policy = if hard_fail { "hard" } else { "soft" };
    let rig = Rig::start(&RigOptions {
        dir: &opts.out_dir.join(format!("responder-{state}-{policy}")),
        harness_exe: &opts.harness_exe,
        key_type: KeyType::EcdsaP256,
        ocsp: Some(OcspCheck {
            hard_fail,
            cache_ttl: Duration::ZERO,
            timeout: spec.query_timeout,
        }),
        rotate_server: None,
    })?;
    let (ids, configs) = clients(&rig, spec.saturation_clients, "s")?;
    if let Some(service) = &rig.service {
        let mut settings = ResponderSettings::default();
        match state {
            "slow" => settings.delay = spec.slow_delay,
            "down" => settings.fault = Fault::Down,
            _ => {}
        }
        service.responder.configure(settings);
    }
    let flood = match (state, &rig.service) {
        ("overloaded", Some(service)) => {
            let _ = crate::sys::raise_nofile_limit();
            let (Some(leaf), Some(issuer)) = (
                ids.first().and_then(|id| id.chain.first()),
                rig.pki.intermediates.last(),
            ) else {
                return Err(FleetError::Internal("no certificate to flood with".into()));
            };
            let flood = Flood::start(service.addr(), request_der(leaf, issuer)?, spec.flood)?;
            // Let the flood build its queue first.
            std::thread::sleep(Duration::from_millis(500));
            Some(flood)
        }
        _ => None,
    };
    let figures = once_each(rig.addr(), &configs, spec.concurrency)?;
    let flood_answers = flood.map_or(0, Flood::finish);
    rig.stop();
    Ok(SaturationRow {
        responder: state.to_string(),
        policy: policy.to_string(),
        clients: spec.saturation_clients,
        outcomes: figures.outcomes,
        admitted_without_fresh_answer: 0,
        latency_p50_ms: figures.latency_p50_ms,
        flood_answers,
    })
}
