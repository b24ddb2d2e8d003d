//! The revocation comparison: one row per case of a run that checks revocation, with what the
//! strategy costs (latency, CPU on each side and at the responder, bytes, responder queries,
//! server memory, CRL load time, CRL downloads), how fast a revocation takes effect (the
//! exposure window of full handshakes, and the resumption exposure: how many resumed
//! handshakes of the revoked client still got in, until when), and what a fault does (fails
//! open or closed). The qualitative table architects decide from, measured. Printed on the console,
//! written to `report.md` and (through the page template) `report.html`, and kept in
//! `summary.json` as `revocation_comparison` (the row type is in `summary.rs`). Each row names
//! its server stack and its CRL's size and layout (full, sharded, base + delta); the view per
//! stack is `revocation_stacks.rs`, the "which strategy" section computed from the rows
//! `revocation_strategy.rs`.

use super::summary::{CaseSummary, RevocationRow};
use super::text_table::Table;
use crate::scenario::{ResponderFault, ResumptionMode, Revocation, RevocationMode};

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

fn p(c: &CaseSummary) -> (Option<f64>, Option<f64>) {
    let h = c.latency_us.as_ref().or(c.rejection_latency_us.as_ref());
    (
        h.map(|h| round(h.p50 as f64 / 1000.0, 2)),
        h.map(|h| round(h.p99 as f64 / 1000.0, 2)),
    )
}

/// The comparison rows of `cases`; empty when no case checks revocation.
pub fn rows(cases: &[CaseSummary]) -> Vec<RevocationRow> {
    if cases
        .iter()
        .all(|c| c.revocation.mode() == RevocationMode::None)
    {
        return Vec::new();
    }
    let baseline = |c: &CaseSummary| {
        cases.iter().find(|b| {
            b.revocation.mode() == RevocationMode::None
                && b.key == c.key
                && b.server == c.server
                && b.client_cert == "valid"
                && b.error.is_none()
        })
    };
    cases
        .iter()
        .map(|c| {
            let rev = &c.revocation;
            let service = rev.service().unwrap_or_default();
            let (p50, p99) = p(c);
            let base = baseline(c).filter(|b| b.name != c.name);
            let faulted = service.fault != ResponderFault::None
                || (rev.needs_service() && service.responder_delay >= service.query_timeout);
            let outcome = c
                .outcomes
                .iter()
                .max_by_key(|(_, n)| **n)
                .map_or_else(|| "-".to_string(), |(o, _)| o.clone());
            let fault = match (service.fault, service.responder_delay.is_zero()) {
                (ResponderFault::None, true) => "none".to_string(),
                (ResponderFault::None, false) => {
                    format!("delay {}ms", service.responder_delay.as_millis())
                }
                (f, true) => f.to_string(),
                (f, false) => format!("{f} + delay {}ms", service.responder_delay.as_millis()),
            };
            let files = c.crl_files.as_ref();
            RevocationRow {
                case: c.name.clone(),
                server: c.server.clone(),
                client_cert: c.client_cert.clone(),
                crl_entries: rev.crl_list().map(|l| l.entries),
                crl_shards: rev.crl_list().map(|l| l.shards),
                crl_delta: rev.crl_delta(),
                crl_shard_bytes: files.map(|f| f.largest_shard_bytes),
                crl_files_bytes: files.map(|f| f.total_bytes),
                crl_delta_bytes: files.and_then(|f| f.delta_bytes),
                skipped: c.skipped.clone(),
                mode: rev.mode().to_string(),
                fault,
                policy: rev.policy().map(|p| p.to_string()),
                fails: faulted.then(|| {
                    if outcome == "accepted" {
                        "open".to_string()
                    } else {
                        "closed".to_string()
                    }
                }),
                outcome,
                p50_ms: p50,
                p99_ms: p99,
                added_p50_ms: base.and_then(|b| Some(round(p50? - p(b).0?, 2))),
                server_cpu_us: c.server_cpu_us_per_handshake,
                added_server_cpu_pct: base.and_then(|b| {
                    let (x, y) = (
                        c.server_cpu_us_per_handshake?,
                        b.server_cpu_us_per_handshake?,
                    );
                    (y > 0.0).then(|| round((x - y) / y * 100.0, 1))
                }),
                client_cpu_us: c.client_cpu_us_per_handshake,
                responder_cpu_us: c.responder.as_ref().and_then(|r| r.cpu_us_per_handshake),
                responder_queries_per_handshake: c
                    .responder
                    .as_ref()
                    .map(|r| r.queries_per_handshake),
                bytes_per_handshake: round(
                    c.bytes_sent_per_handshake + c.bytes_received_per_handshake,
                    0,
                ),
                server_rss_mib: c.server_peak_rss_kib.map(|k| round(k as f64 / 1024.0, 1)),
                crl_bytes: c.crl.as_ref().map(|f| f.bytes),
                crl_load_ms: c.crl.as_ref().map(|f| f.server_load_ms),
                exposure_ms: c.exposure.as_ref().and_then(|e| e.first_rejected_after_ms),
                exposure_bound_ms: c
                    .exposure
                    .as_ref()
                    .and(rev.refresh_interval())
                    .map(|d| d.as_millis() as f64),
                resumed_after_revocation: c
                    .exposure
                    .as_ref()
                    .filter(|e| e.resumed_after > 0)
                    .map(|e| (e.resumed_accepted_after, e.resumed_after)),
                resumption_exposure_ms: c
                    .exposure
                    .as_ref()
                    .and_then(|e| e.last_resumed_accepted_after_ms),
                resumption_exposure_open: c
                    .exposure
                    .as_ref()
                    .filter(|e| e.resumed_accepted_after > 0)
                    .map(crate::measure::Exposure::resumption_open),
                resumption_expected: c
                    .exposure
                    .as_ref()
                    .filter(|_| c.tls.resumption != ResumptionMode::Off)
                    .map(|_| rev.resumption_exposure().to_string()),
                crl_fetch_requests: c.crl_fetches.as_ref().map(|f| f.requests),
                crl_fetch_bytes: c.crl_fetches.as_ref().map(|f| f.bytes),
                crl_fetched: c
                    .crl_fetches
                    .as_ref()
                    .map(|f| {
                        f.by_name
                            .iter()
                            .filter(|(_, n)| n.bytes > 0)
                            .map(|(name, _)| name.clone())
                            .collect()
                    })
                    .unwrap_or_default(),
                key: c.key.clone(),
                attempts: c.attempts,
                accepted: c.outcomes.get("accepted").copied().unwrap_or(0),
                ca_sign_cpu_us: c
                    .short_lived
                    .as_ref()
                    .filter(|s| s.issuance_per_sec > 0.0)
                    .map(|s| round(1e6 / s.issuance_per_sec, 1)),
                renew_at: match rev {
                    Revocation::ShortLived(s) => Some(s.renew_at),
                    _ => None,
                },
                met: c.met,
            }
        })
        .collect()
}

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.digits$}"))
}

/// A CRL's size and layout: `1000000 / 128 shards`, `10000 + delta`, `0`.
pub(super) fn crl_layout(r: &RevocationRow) -> String {
    match (r.crl_entries, r.crl_shards, r.crl_delta) {
        (None, _, _) => "-".into(),
        (Some(n), _, true) => format!("{n} + delta"),
        (Some(n), Some(s), false) if s > 1 => format!("{n} / {s} shards"),
        (Some(n), _, false) => n.to_string(),
    }
}

/// What a relying party fetches for one certificate's status / what a server holding every
/// CRL file loads, in KB.
fn fetch_cell(r: &RevocationRow) -> String {
    match (r.crl_shard_bytes, r.crl_files_bytes) {
        (Some(one), Some(all)) if one != all => {
            format!("{:.1} / {:.1}", one as f64 / 1e3, all as f64 / 1e3)
        }
        (_, Some(all)) => format!("{:.1}", all as f64 / 1e3),
        _ => "-".into(),
    }
}

fn cells(r: &RevocationRow) -> Vec<String> {
    vec![
        r.case.clone(),
        r.server.clone(),
        r.mode.clone(),
        crl_layout(r),
        fetch_cell(r),
        match &r.policy {
            Some(p) => format!("{} ({p})", r.fault),
            None => r.fault.clone(),
        },
        match &r.fails {
            Some(f) => format!("{} -> fails {f}", r.outcome),
            None => r.outcome.clone(),
        },
        opt(r.p50_ms, 2),
        opt(r.p99_ms, 2),
        opt(r.added_p50_ms, 2),
        opt(r.server_cpu_us, 0),
        opt(r.added_server_cpu_pct, 1),
        opt(r.client_cpu_us, 0),
        opt(r.responder_cpu_us, 0),
        opt(r.responder_queries_per_handshake, 3),
        format!("{:.0}", r.bytes_per_handshake),
        opt(r.server_rss_mib, 1),
        match (r.crl_bytes, r.crl_load_ms) {
            (Some(b), Some(ms)) => format!("{:.1} MB / {ms:.0} ms", b as f64 / 1e6),
            _ => "-".into(),
        },
        match (r.exposure_ms, r.exposure_bound_ms) {
            (Some(e), Some(b)) => format!("{e:.0} (<= {b:.0})"),
            (e, _) => opt(e, 0),
        },
        resumption_cell(r),
        match (r.crl_fetch_requests, r.crl_fetch_bytes) {
            (Some(n), Some(b)) => format!("{n} / {:.1}", b as f64 / 1e3),
            _ => "-".into(),
        },
        if r.met { "yes" } else { "NO" }.into(),
    ]
}

/// The resumption exposure: `20/20, >= 1950 ms (open)`, `3/20, 480 ms`, `0/20`, `-`.
pub(super) fn resumption_cell(r: &RevocationRow) -> String {
    match (r.resumed_after_revocation, r.resumption_exposure_ms) {
        (None, _) => "-".into(),
        (Some((ok, n)), None) => format!("{ok}/{n}"),
        (Some((ok, n)), Some(ms)) if r.resumption_exposure_open == Some(true) => {
            format!("{ok}/{n}, >= {ms:.0} ms (open)")
        }
        (Some((ok, n)), Some(ms)) => format!("{ok}/{n}, {ms:.0} ms"),
    }
}

const HEADER: [&str; 22] = [
    "case",
    "server",
    "mode",
    "CRL entries",
    "CRL KB (shard / all)",
    "fault (policy)",
    "outcome",
    "p50 ms",
    "p99 ms",
    "+p50 ms",
    "srv us/hs",
    "+srv %",
    "cli us/hs",
    "resp us/hs",
    "queries/hs",
    "bytes/hs",
    "srv MiB",
    "CRL size / load",
    "exposure ms (bound)",
    "resumption exposure",
    "CRL fetches (req / KB)",
    "met",
];

/// The comparison as a text table (empty when there are no rows).
pub fn console(rows: &[RevocationRow]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut table = Table::new(&HEADER, &[0, 1, 2, 3, 5, 6]);
    for r in rows {
        table.push(cells(r));
    }
    format!(
        "\nrevocation comparison\n{}{}{}",
        table.render(),
        super::revocation_stacks::console(rows),
        super::revocation_strategy::console(rows)
    )
}

/// The comparison as a markdown table (empty when there are no rows).
pub fn markdown(rows: &[RevocationRow]) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let mut out = String::from("## Revocation comparison\n\n");
    out.push_str(&format!("| {} |\n", HEADER.join(" | ")));
    out.push_str(&format!("|{}\n", "---|".repeat(HEADER.len())));
    for r in rows {
        out.push_str(&format!("| {} |\n", cells(r).join(" | ")));
    }
    out.push_str(
        "\n`+p50`/`+srv %`: over the run's case without revocation checking (same server and key). \
         `resp us/hs`: CPU of the harness's OCSP responder / CRL endpoint. `exposure`: time from \
         the revocation to the revoked client's first rejection (full handshakes). `resumption exposure`: resumed \
         handshakes of the revoked client after its revocation that got in / were tried, and \
         how long after the revocation the last got in (`open`: it still got in when the probe \
         stopped). `CRL fetches`: downloads from the CRL endpoint during the case (a sharded \
         crl-http CRL: only the shards the clients name). `fails open/closed`: \
         what clients got while the revocation source was faulty. `CRL KB (shard / all)`: \
         the largest shard (what a relying party fetches for one certificate) / every CRL file \
         the server loads.\n",
    );
    out.push_str(&super::revocation_stacks::markdown(rows));
    out.push_str(&super::revocation_strategy::markdown(rows));
    out
}

/// The comparison as a header and rows of cell text, for the HTML page's template (which
/// escapes them); `None` when there are no rows.
pub(super) fn cells_table(
    rows: &[RevocationRow],
) -> Option<(&'static [&'static str], Vec<Vec<String>>)> {
    (!rows.is_empty()).then(|| (HEADER.as_slice(), rows.iter().map(cells).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_row_is_compared_with_the_same_servers_case_without_checking() {
        let text = r#"version = 1
[[case]]
name = "none"
[[case]]
name = "crl"
revocation = { mode = "crl", crl_entries = 10 }
[[case]]
name = "none-apache"
server = "apache"
[[case]]
name = "crl-apache"
server = "apache"
revocation = { mode = "crl", crl_entries = 10 }
[[case]]
name = "crl-nginx"
server = "nginx"
revocation = { mode = "crl", crl_entries = 10 }
"#;
        let scenario = crate::scenario::parse(text, std::path::Path::new("t.toml")).unwrap();
        let cpu = [100.0, 150.0, 400.0, 500.0, 900.0];
        let cases: Vec<CaseSummary> = scenario
            .cases
            .iter()
            .zip(cpu)
            .map(|(case, us)| {
                let mut entry = CaseSummary::planned(case);
                entry.server_cpu_us_per_handshake = Some(us);
                entry
            })
            .collect();
        let rows = rows(&cases);
        let added = |name: &str| {
            rows.iter()
                .find(|r| r.case == name)
                .unwrap()
                .added_server_cpu_pct
        };
        assert_eq!(added("crl"), Some(50.0));
        assert_eq!(added("crl-apache"), Some(25.0));
        // No nginx case without checking: nothing to compare with, not rustls's.
        assert_eq!(added("crl-nginx"), None);
    }
}
