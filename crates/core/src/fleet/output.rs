//! What a fleet run writes: `fleet.json` (schema_version, snake_case, units in field names),
//! `report.md`, and the console tables, all from one [`FleetReport`] (which `fleet.json`
//! holds entire, so the report can be rendered again from the file).

use std::fmt::Write as _;
use std::path::Path;

use super::lifetimes::LifetimesResult;
use super::responder_load::ResponderResult;
use super::storm::{StormResult, StormRow};
use super::FleetError;
use crate::report::strategy::{self, Measured, StrategyTable};

/// Version of `fleet.json`.
pub const SCHEMA_VERSION: u32 = 1;

/// Everything a fleet run measured.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct FleetReport {
    /// [`SCHEMA_VERSION`].
    pub schema_version: u32,
    /// The scenario's name.
    pub name: String,
    /// Wall time of the run.
    pub wall_s: f64,
    /// 1-minute load average before the run (other work on the machine).
    pub load_average_before: Option<f64>,
    /// And after.
    pub load_average_after: Option<f64>,
    /// `[lifetimes]`.
    pub lifetimes: Option<LifetimesResult>,
    /// `[storm]`.
    pub storm: Option<StormResult>,
    /// `[responder]`.
    pub responder: Option<ResponderResult>,
    /// `[strategy]`.
    pub strategy: Option<StrategyTable>,
}

/// The 1-minute load average (`/proc/loadavg`).
pub fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The strategy table's inputs from the measured rows.
pub fn measured_inputs(
    lifetimes: Option<&LifetimesResult>,
    responder: Option<&ResponderResult>,
) -> Measured {
    let cost = lifetimes.and_then(|l| l.costs.first());
    Measured {
        key_type: cost.map(|c| c.key_type.clone()),
        sign_cpu_us: cost.map(|c| c.sign_cpu_us).filter(|u| *u > 0.0),
        renewal_bytes: cost.map(|c| c.chain_bytes),
        renew_at: lifetimes.map_or(2.0 / 3.0, |l| l.renew_at),
        responder_queries_per_sec: responder.and_then(|r| {
            r.capacity
                .iter()
                .map(|c| c.queries_per_sec)
                .fold(None, |m: Option<f64>, q| Some(m.map_or(q, |m| m.max(q))))
        }),
        ocsp_added_p50_ms: responder.and_then(|r| r.capacity.last().map(|c| c.added_p50_ms)),
        soft_fail_admitted_down: responder.and_then(|r| {
            r.saturation
                .iter()
                .find(|s| s.responder == "down" && s.policy == "soft")
                .map(|s| (s.admitted_without_fresh_answer, s.clients as u64))
        }),
        // A fleet run revokes nobody mid-handshake-load: no exposure case.
        exposures: Vec::new(),
    }
}

/// Writes `fleet.json` and `report.md` into `dir`.
///
/// # Errors
/// When a file cannot be written.
pub fn write_outputs(report: &FleetReport, dir: &Path) -> Result<(), FleetError> {
    let json =
        serde_json::to_vec_pretty(report).map_err(|e| FleetError::Internal(e.to_string()))?;
    let path = dir.join("fleet.json");
    crate::fsutil::write_atomic(&path, &json, 0o644).map_err(|e| FleetError::io(&path, e))?;
    let path = dir.join("report.md");
    crate::fsutil::write_atomic(&path, render_markdown(report).as_bytes(), 0o644)
        .map_err(|e| FleetError::io(&path, e))
}

/// The report as markdown.
pub fn render_markdown(r: &FleetReport) -> String {
    let mut out = format!("# Fleet: {}\n\n", r.name);
    let _ = writeln!(
        out,
        "Wall time {} s; load average {} before, {} after.\n",
        r.wall_s,
        r.load_average_before.map_or("-".into(), |l| l.to_string()),
        r.load_average_after.map_or("-".into(), |l| l.to_string())
    );
    if let Some(l) = &r.lifetimes {
        out.push_str(&lifetimes_md(l));
    }
    if let Some(s) = &r.storm {
        out.push_str(&storm_md(s));
    }
    if let Some(p) = &r.responder {
        out.push_str(&responder_md(p));
    }
    if let Some(t) = &r.strategy {
        out.push_str(&strategy::render_markdown(t));
    }
    out
}

/// The report for a terminal: the same tables.
pub fn render_console(r: &FleetReport) -> String {
    render_markdown(r)
}

fn lifetimes_md(l: &LifetimesResult) -> String {
    let mut out = format!(
        "## Lifetimes for a fleet of {} (renewal at {:.0}% of the lifetime)\n\nIssuance cost measured per key type (one thread, {} issuances each; the harness's CA signs through rcgen with RustCrypto's pure-Rust keys; key generation is the client's cost when a renewal rotates its key; CA cores below are priced with the first key type):\n\n| key type | keygen CPU us | sign CPU us | issuances/core/s | cert bytes | cert + chain bytes |\n|---|---:|---:|---:|---:|---:|\n",
        l.fleet,
        l.renew_at * 100.0,
        l.costs.first().map_or(0, |c| c.samples)
    );
    for c in &l.costs {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            c.key_type,
            c.keygen_cpu_us,
            c.sign_cpu_us,
            c.issuances_per_core_sec,
            c.cert_bytes,
            c.chain_bytes
        );
    }
    out.push_str("\n| lifetime | renew every s | issuances/s | issuances/day | CA cores | renewal bytes/s | exposure max s | min s | mean s |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for row in &l.rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            row.lifetime,
            row.renew_every_s,
            row.issuance_per_sec,
            row.issuances_per_day,
            row.ca_cores,
            row.renewal_traffic_bytes_per_sec,
            row.exposure_max_s,
            row.exposure_min_s,
            row.exposure_mean_s
        );
    }
    let _ = writeln!(out, "\nExposure rule: {}.\n", l.exposure_rule);
    out.push_str("Compressed runs (real issuance, clients renewing and the server rotating while handshaking):\n\n| lifetime | factor | scaled lifetime ms | clients | window ms | renewals expected | issued | server renewals / rotations | issuances/s | = fleet issuances/s real | CA queue p99 ms | handshakes ok | failed | p50 ms | p99 ms |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n");
    for row in &l.rows {
        let c = &row.compressed;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} / {} | {} | {} | {} | {} | {} | {} | {} |",
            row.lifetime,
            c.factor,
            c.lifetime_ms,
            c.clients,
            c.window_ms,
            c.renewals_expected,
            c.renewals_issued,
            c.server_renewals,
            c.server_rotations,
            c.issuance_per_sec,
            c.fleet_issuance_per_sec_equivalent,
            c.queue.latency_p99_ms,
            c.handshakes.outcomes.accepted,
            c.handshakes.outcomes.failed(),
            c.handshakes.latency_p50_ms,
            c.handshakes.latency_p99_ms
        );
    }
    out.push('\n');
    out
}

fn opt_ms(ms: Option<f64>) -> String {
    ms.map_or_else(|| "not all in time".into(), |m| m.to_string())
}

fn storm_row(out: &mut String, r: &StormRow) {
    let _ = writeln!(
        out,
        "| {} | {} | {} | {} | {} | {} | {} | {} / {} | {} / {} | {} / {} | {} |",
        r.kind,
        r.request_window_ms,
        r.queue.latency_p50_ms,
        r.queue.latency_p99_ms,
        r.queue.latency_max_ms,
        opt_ms(r.all_renewed_ms),
        r.queue.ca_cpu_ms,
        r.before.latency_p50_ms,
        r.before.latency_p99_ms,
        r.during.latency_p50_ms,
        r.during.latency_p99_ms,
        r.after.latency_p50_ms,
        r.after.latency_p99_ms,
        r.before.outcomes.failed() + r.during.outcomes.failed() + r.after.outcomes.failed()
    );
}

fn storm_md(s: &StormResult) -> String {
    let mut out = format!(
        "## Renewal storm: {} clients, {} lifetime {} ms, {} CA thread(s)\n\n| renewal | request window ms | CA queue p50 ms | p99 ms | max ms | all renewed after ms | CA CPU ms | server p50/p99 ms before | during | after | failed handshakes |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        s.clients, s.key_type, s.lifetime_ms, s.ca_workers
    );
    for r in &s.rows {
        storm_row(&mut out, r);
    }
    if let Some(m) = &s.mass_revocation {
        let _ = writeln!(
            out,
            "\nMass revocation (server checks OCSP, hard fail, no cache): every certificate revoked in {} ms, re-issued: CA queue p50 {} ms, p99 {} ms, all re-issued after {} ms. Handshakes before: {} ok, {} failed; while re-issuing: {} ok, {} refused as revoked, {} other failures; after: {} ok, {} failed.\n",
            m.revoke_ms,
            m.queue.latency_p50_ms,
            m.queue.latency_p99_ms,
            opt_ms(m.all_reissued_ms),
            m.before.outcomes.accepted,
            m.before.outcomes.failed(),
            m.during.outcomes.accepted,
            m.during.outcomes.cert_revoked,
            m.during.outcomes.failed() - m.during.outcomes.cert_revoked,
            m.after.outcomes.accepted,
            m.after.outcomes.failed()
        );
    }
    out.push('\n');
    out
}

fn responder_md(p: &ResponderResult) -> String {
    let mut out = format!(
        "## OCSP responder capacity ({} at a time)\n\n| cold clients | queries/s | query p50 ms | p99 ms | failures | responder CPU us/query | handshake cold p50/p99 ms | warm p50/p99 ms | added p50 ms | failed handshakes |\n|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n",
        p.concurrency
    );
    for c in &p.capacity {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} / {} | {} / {} | {} | {} |",
            c.fleet,
            c.queries_per_sec,
            c.query_p50_ms,
            c.query_p99_ms,
            c.query_failures,
            c.responder_cpu_us_per_query,
            c.cold_handshake_p50_ms,
            c.cold_handshake_p99_ms,
            c.warm_handshake_p50_ms,
            c.warm_handshake_p99_ms,
            c.added_p50_ms,
            c.handshake_failures
        );
    }
    let _ = writeln!(
        out,
        "\nResponder slow (answers after {} ms, the server gives up after {} ms), overloaded ({} connections of other clients asking meanwhile) or down; each client handshakes once, no cache:\n\n| responder | policy | clients | accepted | refused | admitted without a fresh answer | p50 ms | flood answers |\n|---|---|---:|---:|---:|---:|---:|---:|",
        p.slow_delay_ms, p.query_timeout_ms, p.flood_connections
    );
    for s in &p.saturation {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            s.responder,
            s.policy,
            s.clients,
            s.outcomes.accepted,
            s.outcomes.failed(),
            s.admitted_without_fresh_answer,
            s.latency_p50_ms,
            s.flood_answers
        );
    }
    out.push('\n');
    out
}
