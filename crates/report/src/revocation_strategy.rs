//! The revocation comparison's "which strategy for N clients and an exposure of at most T"
//! section: `strategy::recommend` fed from the comparison rows of the run (no figure of its
//! own). The short-lived case gives the CA's CPU per issuance, the OCSP case without a cache
//! the responder's CPU per query (its capacity on one core) and the latency a query adds, the
//! OCSP case with the responder down and soft fail what soft fail lets through, and every
//! exposure case how long a revocation took to reach full handshakes and resumed ones. An
//! input no row measured is named in `missing` with the case that would measure it. Rendered
//! after the comparison on the console, in `report.md` and `report.html`, and kept in
//! `summary.json` as `revocation_strategy`.

use serde::Serialize;

use super::strategy::{self, Measured, MeasuredExposure, Question, StrategyTable};
use super::summary::RevocationRow;

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

/// The section for `rows` (`None` when there are none).
pub fn table(rows: &[RevocationRow]) -> Option<StrategyTable> {
    if rows.is_empty() {
        return None;
    }
    let (measured, missing) = measured(rows);
    let mut table = strategy::recommend(&Question::standard(), &measured);
    table.notes.extend(crl_notes(rows));
    table.notes.push(
        "N and T are the standard question (a run scenario has no [strategy] table; `mtls-harness fleet` asks its own)".into(),
    );
    table.missing = missing;
    Some(table)
}

/// Rows that ran under no injected fault.
fn clean(rows: &[RevocationRow]) -> impl Iterator<Item = &RevocationRow> {
    rows.iter()
        .filter(|r| r.skipped.is_none() && r.fault == "none" && r.attempts > 0)
}

/// The strategy's inputs from the rows, and what no row measured (with the case that would).
fn measured(rows: &[RevocationRow]) -> (Measured, Vec<String>) {
    let mut missing = Vec::new();
    let short = clean(rows).find(|r| r.mode == "short-lived" && r.ca_sign_cpu_us.is_some());
    if short.is_none() {
        missing.push(
            "CA CPU per issuance: no short-lived case (revocation.mode = \"short-lived\") measured it"
                .into(),
        );
    }
    missing.push(
        "renewal bytes: a run does not measure a renewal's size (the fleet lifetimes experiment does)"
            .into(),
    );
    // The OCSP case asking most often per handshake (no cache) prices a query.
    let cold = clean(rows)
        .filter(|r| r.mode == "ocsp" && r.client_cert == "valid")
        .filter(|r| r.responder_queries_per_handshake.is_some_and(|q| q > 0.0))
        .filter(|r| r.responder_cpu_us.is_some_and(|c| c > 0.0))
        .max_by(|a, b| {
            a.responder_queries_per_handshake
                .partial_cmp(&b.responder_queries_per_handshake)
                .unwrap_or(std::cmp::Ordering::Equal)
        });
    let queries_per_sec = cold.and_then(|r| {
        let per_query = r.responder_cpu_us? / r.responder_queries_per_handshake?;
        (per_query > 0.0).then(|| round(1e6 / per_query, 0))
    });
    match cold {
        None => missing.push(
            "OCSP responder capacity: no OCSP case without a fault measured the responder's CPU per query (an ocsp case with cache_ttl = \"0s\")".into(),
        ),
        Some(r) if r.added_p50_ms.is_none() => missing.push(format!(
            "latency an OCSP query adds: {} has no +p50 (no case without revocation checking with key {})",
            r.case, r.key
        )),
        Some(_) => {}
    }
    let soft_down = rows.iter().find(|r| {
        r.skipped.is_none()
            && r.mode == "ocsp"
            && r.fault == "down"
            && r.policy.as_deref() == Some("soft")
            && r.attempts > 0
    });
    if soft_down.is_none() {
        missing.push(
            "what soft fail admits: no OCSP case with fault = \"down\" and policy = \"soft\""
                .into(),
        );
    }
    let exposures = exposures(rows, &mut missing);
    let measured = Measured {
        key_type: short.map(|r| r.key.clone()),
        sign_cpu_us: short.and_then(|r| r.ca_sign_cpu_us),
        renewal_bytes: None,
        renew_at: short.and_then(|r| r.renew_at).unwrap_or(0.0),
        responder_queries_per_sec: queries_per_sec,
        ocsp_added_p50_ms: cold.and_then(|r| r.added_p50_ms),
        soft_fail_admitted_down: soft_down.map(|r| (r.accepted, r.attempts)),
        exposures,
    };
    (measured, missing)
}

/// The exposure windows the rows measured; a mode none measured is added to `missing`.
fn exposures(rows: &[RevocationRow], missing: &mut Vec<String>) -> Vec<MeasuredExposure> {
    let exposures: Vec<MeasuredExposure> = rows
        .iter()
        .filter(|r| r.skipped.is_none() && r.exposure_bound_ms.is_some())
        .map(|r| MeasuredExposure {
            mode: r.mode.clone(),
            case: r.case.clone(),
            bound_ms: r.exposure_bound_ms,
            full_handshake_ms: r.exposure_ms,
            resumed_admitted: r.resumed_after_revocation,
            resumption_exposure_ms: r.resumption_exposure_ms,
            resumption_open: r.resumption_exposure_open == Some(true),
        })
        .collect();
    for mode in ["ocsp", "short-lived"] {
        if !exposures.iter().any(|e| e.mode == mode) {
            missing.push(format!(
                "the exposure window of {mode}: no {mode} case revokes its victim mid-run (revocation.revoke_after)"
            ));
        }
    }
    exposures
}

/// What CRLs cost, from the CRL rows: per handshake and per server, not per client, so they
/// are notes beside the (N, T) table rather than a column of it.
fn crl_notes(rows: &[RevocationRow]) -> Vec<String> {
    let mut notes = Vec::new();
    let crl = |r: &&RevocationRow| {
        matches!(r.mode.as_str(), "crl" | "crl-http") && r.client_cert == "valid"
    };
    if let Some(big) = clean(rows)
        .filter(crl)
        .filter(|r| r.crl_shards == Some(1) && !r.crl_delta)
        .max_by_key(|r| r.crl_entries)
    {
        notes.push(format!(
            "CRL ({}, measured): {} entries, {} server us per handshake ({} over no checking), {} MiB server memory, {}; the exposure is the reload interval, and each server re-fetches the whole CRL that often",
            big.case,
            big.crl_entries.unwrap_or(0),
            big.server_cpu_us.map_or("-".into(), |c| format!("{c:.0}")),
            big.added_server_cpu_pct.map_or("-".into(), |p| format!("{p:+.1}%")),
            big.server_rss_mib.map_or("-".into(), |m| m.to_string()),
            match (big.crl_bytes, big.crl_load_ms) {
                (Some(b), Some(ms)) => format!("{:.1} MB loaded in {ms:.0} ms", b as f64 / 1e6),
                _ => "load not measured".into(),
            }
        ));
    }
    for r in clean(rows)
        .filter(crl)
        .filter(|r| r.mode == "crl-http" && r.crl_shards.is_some_and(|s| s > 1))
    {
        if let (Some(n), Some(bytes)) = (r.crl_fetch_requests, r.crl_fetch_bytes) {
            notes.push(format!(
                "sharded CRL over HTTP ({}, measured): its clients' certificates named {} of {} shards, which the server downloaded in {n} requests, {:.1} KB in all{}, against {:.1} KB for every shard",
                r.case,
                r.crl_fetched.len(),
                r.crl_shards.unwrap_or(1),
                bytes as f64 / 1e3,
                if r.exposure_bound_ms.is_some() {
                    " (again every reload interval)"
                } else {
                    ""
                },
                r.crl_files_bytes.unwrap_or(0) as f64 / 1e3
            ));
        }
    }
    notes
}

/// The section as a text block for the console (the markdown tables read well in a terminal).
pub fn console(rows: &[RevocationRow]) -> String {
    table(rows).map_or_else(String::new, |t| {
        format!("\n{}", strategy::render_markdown(&t))
    })
}

/// The section as markdown (empty when there are no rows).
pub fn markdown(rows: &[RevocationRow]) -> String {
    table(rows).map_or_else(String::new, |t| {
        format!("\n{}", strategy::render_markdown(&t))
    })
}

/// What the HTML page's template shows of the section (it escapes every string).
#[derive(Serialize)]
pub(super) struct StrategyCells {
    /// The measured inputs, in a sentence.
    pub inputs: String,
    /// The (N, T) table's header.
    pub header: &'static [&'static str],
    /// Its rows.
    pub rows: Vec<Vec<String>>,
    /// What the rows assume and what the exposure cases measured.
    pub notes: Vec<String>,
    /// Inputs not measured.
    pub missing: Vec<String>,
}

/// The section for the HTML page; `None` when there are no rows.
pub(super) fn cells_table(rows: &[RevocationRow]) -> Option<StrategyCells> {
    table(rows).map(|t| StrategyCells {
        inputs: strategy::inputs_line(&t),
        header: strategy::HEADER.as_slice(),
        rows: t.rows.iter().map(strategy::row_cells).collect(),
        notes: t.notes,
        missing: t.missing,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A comparison row with only what the strategy reads.
    fn row(case: &str, mode: &str) -> RevocationRow {
        serde_json::from_value(serde_json::json!({
            "case": case,
            "mode": mode,
            "client_cert": "valid",
            "fault": "none",
            "policy": null,
            "outcome": "accepted",
            "fails": null,
            "p50_ms": 1.0,
            "p99_ms": 2.0,
            "added_p50_ms": null,
            "server_cpu_us": 100.0,
            "added_server_cpu_pct": null,
            "client_cpu_us": 100.0,
            "responder_cpu_us": null,
            "responder_queries_per_handshake": null,
            "bytes_per_handshake": 3000.0,
            "server_rss_mib": null,
            "crl_bytes": null,
            "crl_load_ms": null,
            "exposure_ms": null,
            "exposure_bound_ms": null,
            "resumed_after_revocation": null,
            "met": true,
            "key": "ecdsa-p256",
            "attempts": 100,
            "accepted": 100
        }))
        .expect("a row")
    }

    fn measured_rows() -> Vec<RevocationRow> {
        let mut short = row("short-lived", "short-lived");
        short.ca_sign_cpu_us = Some(200.0);
        short.renew_at = Some(0.5);
        let mut cold = row("ocsp-cold", "ocsp");
        cold.responder_cpu_us = Some(50.0);
        cold.responder_queries_per_handshake = Some(1.0);
        cold.added_p50_ms = Some(0.4);
        let mut down = row("ocsp-down-soft", "ocsp");
        down.fault = "down".into();
        down.policy = Some("soft".into());
        down.accepted = 90;
        let mut exposure = row("exposure-ocsp", "ocsp");
        exposure.exposure_ms = Some(1480.0);
        exposure.exposure_bound_ms = Some(2000.0);
        exposure.resumed_after_revocation = Some((40, 40));
        exposure.resumption_exposure_ms = Some(3400.0);
        exposure.resumption_exposure_open = Some(true);
        vec![row("none", "none"), short, cold, down, exposure]
    }

    #[test]
    fn the_inputs_come_from_the_rows() {
        let (m, missing) = measured(&measured_rows());
        assert_eq!(m.sign_cpu_us, Some(200.0));
        assert_eq!(m.renew_at, 0.5);
        // 50 us of responder CPU per query: 20,000 queries/s on one core.
        assert_eq!(m.responder_queries_per_sec, Some(20_000.0));
        assert_eq!(m.ocsp_added_p50_ms, Some(0.4));
        assert_eq!(m.soft_fail_admitted_down, Some((90, 100)));
        assert_eq!(m.exposures.len(), 1);
        assert!(m.exposures[0].resumption_open);
        // No short-lived exposure case: said, with what would measure it.
        assert!(
            missing
                .iter()
                .any(|s| s.contains("exposure window of short-lived")),
            "{missing:?}"
        );
        assert!(!missing.iter().any(|s| s.contains("CA CPU")), "{missing:?}");
    }

    #[test]
    fn the_recommendation_follows_the_measured_costs_and_resumption() {
        let t = table(&measured_rows()).unwrap();
        // 1000 clients, T = 1 h, renewal at half-life: 0.556 issuances/s x 200 us = 0.000111
        // cores: short-lived fits one core.
        let small = &t.rows[0];
        assert_eq!((small.fleet, small.max_exposure_s), (1000, 3600));
        assert_eq!(small.short_lived_ca_cores, Some(0.000111));
        assert!(small.recommendation.starts_with("short-lived"), "{small:?}");
        // 10 million clients, T = 1 h: 5,556 issuances/s x 200 us = 1.11 cores (over the
        // budget); OCSP 2,778 queries/s of 20,000 = 13.9%: OCSP, and the measured resumption
        // exposure of the OCSP case caps the tickets.
        let big = t
            .rows
            .iter()
            .find(|r| r.fleet == 10_000_000 && r.max_exposure_s == 3600)
            .unwrap();
        assert_eq!(big.ocsp_responder_utilization, Some(0.139));
        assert!(
            big.recommendation
                .starts_with("OCSP, hard fail, cache <= 1h")
                && big
                    .recommendation
                    .contains("session tickets <= 1h or resumption off")
                && big.recommendation.contains(">= 3400 ms")
                && big.recommendation.contains("exposure-ocsp"),
            "{}",
            big.recommendation
        );
        assert!(
            t.notes.iter().any(|n| n
                .contains("refused 1480 ms after the revocation (the mode's bound: 2000 ms)")
                && n.contains("40 of 40 resumed handshakes got in")),
            "{:?}",
            t.notes
        );
    }

    #[test]
    fn a_missing_row_is_named_and_nothing_is_invented() {
        let t = table(&[row("none", "none")]).unwrap();
        assert!(t
            .rows
            .iter()
            .all(|r| r.recommendation == "not measured in this run"));
        for needed in [
            "short-lived case",
            "cache_ttl = \"0s\"",
            "policy = \"soft\"",
        ] {
            assert!(
                t.missing.iter().any(|m| m.contains(needed)),
                "{needed}: {:?}",
                t.missing
            );
        }
        assert!(table(&[]).is_none());
    }
}
