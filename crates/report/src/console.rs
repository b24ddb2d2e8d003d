//! The readable tables on stdout: one row per case (outcomes, rate, latency percentiles, CPU per
//! handshake on each side, bytes, what was negotiated, whether the case met its expectation),
//! and for matrix scenarios one table per axis with the figures averaged per axis value.

use std::collections::BTreeMap;

use super::summary::{CaseSummary, RunSummary};
use super::text_table::Table;

/// Renders the run as plain text (no colour: it is also what CI logs show).
pub fn render(summary: &RunSummary) -> String {
    let mut out = format!(
        "scenario {} ({} cases)\n",
        summary.scenario.name,
        summary.cases.len()
    );
    let mut table = Table::new(
        &[
            "case",
            "outcomes",
            "hs/s",
            "p50 ms",
            "p99 ms",
            "p99.9 ms",
            "srv cpu us/hs",
            "cli cpu us/hs",
            "bytes/hs",
            "negotiated",
            "resumed",
            "expect",
            "met",
        ],
        &[0, 1, 9, 11],
    );
    for c in &summary.cases {
        table.push(case_row(c));
    }
    out.push_str(&table.render());
    out.push_str(&axis_tables(&summary.cases));
    out.push_str(&super::revocation_table::console(
        &summary.revocation_comparison,
    ));
    out.push_str(&verdicts(summary));
    out
}

/// The lines of [`render`] that say what did not go as expected (cases not met or skipped,
/// thresholds failed), without the tables: what `run -q` prints.
pub fn verdicts(summary: &RunSummary) -> String {
    let mut out = String::new();
    for c in summary.cases.iter().filter(|c| !c.met) {
        match &c.skipped {
            Some(reason) => out.push_str(&format!("SKIPPED {}: {reason}\n", c.name)),
            None => out.push_str(&format!("NOT MET {}: {}\n", c.name, c.verdict)),
        }
    }
    out.push_str(&thresholds(&summary.cases));
    out
}

/// One line per threshold that failed (breached or not measured), then a count.
fn thresholds(cases: &[CaseSummary]) -> String {
    let checks: Vec<_> = cases
        .iter()
        .flat_map(|c| c.thresholds.iter().map(move |t| (c, t)))
        .collect();
    if checks.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    for (c, t) in checks.iter().filter(|(_, t)| t.fails()) {
        let label = match t.status {
            super::ThresholdStatus::NotMeasured => "THRESHOLD NOT MEASURED",
            _ => "THRESHOLD BREACHED",
        };
        out.push_str(&format!("{label} {}: {}\n", c.name, t.describe()));
    }
    let failed = checks.iter().filter(|(_, t)| t.fails()).count();
    out.push_str(&format!(
        "thresholds: {} checked, {} kept, {failed} failed\n",
        checks.len(),
        checks.len() - failed
    ));
    out
}

fn ms(us: Option<u64>) -> String {
    us.map_or_else(|| "-".into(), |v| format!("{:.2}", v as f64 / 1000.0))
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.0}"))
}

/// `1.3 AES_256_GCM_SHA384 X25519`, for the most frequent parameter set (`+` when several).
fn negotiated(c: &CaseSummary) -> String {
    let Some(top) = c.negotiated.iter().max_by_key(|n| n.count) else {
        return "-".into();
    };
    let version = top.version.replace("TLSv1_", "1.");
    let suite = ["TLS13_", "TLS_ECDHE_ECDSA_WITH_", "TLS_ECDHE_RSA_WITH_"]
        .iter()
        .fold(top.cipher_suite.clone(), |s, p| {
            s.trim_start_matches(p).to_string()
        });
    let group = top.group.clone().unwrap_or_else(|| "-".into());
    let distinct = c
        .negotiated
        .iter()
        .filter(|n| {
            (&n.version, &n.cipher_suite, &n.group) != (&top.version, &top.cipher_suite, &top.group)
        })
        .count();
    format!(
        "{version} {suite} {group}{}",
        if distinct > 0 { " +" } else { "" }
    )
}

/// Widest error text in the table's outcomes column (a long one would widen the whole table);
/// the whole text is in `summary.json` and `report.md`.
const ERROR_CELL_CHARS: usize = 48;

/// `text` cut to `max` characters, with `...` when cut.
fn clip(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let kept: String = text.chars().take(max.saturating_sub(3)).collect();
    format!("{}...", kept.trim_end())
}

fn case_row(c: &CaseSummary) -> Vec<String> {
    let outcomes = if let Some(err) = &c.error {
        let first = err.lines().next().unwrap_or("");
        format!("error: {}", clip(first, ERROR_CELL_CHARS))
    } else if c.outcomes.is_empty() {
        "-".into()
    } else {
        let parts: Vec<String> = c.outcomes.iter().map(|(k, v)| format!("{k}={v}")).collect();
        parts.join(" ")
    };
    // Latency of what the case is about: accepted handshakes, or rejections for reject cases.
    let lat = c.latency_us.or(c.rejection_latency_us);
    let bytes = c.bytes_sent_per_handshake + c.bytes_received_per_handshake;
    vec![
        c.name.clone(),
        outcomes,
        format!("{:.0}", c.handshakes_per_sec),
        ms(lat.map(|p| p.p50)),
        ms(lat.map(|p| p.p99)),
        ms(lat.map(|p| p.p999)),
        num(c.server_cpu_us_per_handshake),
        num(c.client_cpu_us_per_handshake),
        if c.attempts > 0 {
            format!("{bytes:.0}")
        } else {
            "-".into()
        },
        negotiated(c),
        c.resumption
            .as_ref()
            .map_or_else(|| "-".into(), |r| format!("{:.0}%", r.resumed_pct)),
        c.expect.to_string(),
        match (c.met, &c.skipped) {
            (_, Some(_)) => "skipped".into(),
            (true, None) => "yes".into(),
            (false, None) => "NO".into(),
        },
    ]
}

/// Per matrix axis: for each value, the mean over its cases of the main figures.
fn axis_tables(cases: &[CaseSummary]) -> String {
    let mut axes: Vec<&str> = Vec::new();
    for c in cases {
        for axis in c.axes.keys() {
            if !axes.contains(&axis.as_str()) {
                axes.push(axis);
            }
        }
    }
    let mut out = String::new();
    for axis in axes {
        let mut groups: BTreeMap<&str, Vec<&CaseSummary>> = BTreeMap::new();
        for c in cases.iter().filter(|c| c.error.is_none()) {
            if let Some(value) = c.axes.get(axis) {
                groups.entry(value).or_default().push(c);
            }
        }
        let mut table = Table::new(
            &[
                axis,
                "cases",
                "hs/s",
                "p50 ms",
                "p99 ms",
                "srv cpu us/hs",
                "cli cpu us/hs",
                "bytes/hs",
            ],
            &[0],
        );
        for (value, group) in groups {
            let mean = |f: &dyn Fn(&CaseSummary) -> Option<f64>| -> Option<f64> {
                let values: Vec<f64> = group.iter().filter_map(|c| f(c)).collect();
                (!values.is_empty()).then(|| values.iter().sum::<f64>() / values.len() as f64)
            };
            let lat = |c: &CaseSummary| c.latency_us.or(c.rejection_latency_us);
            table.push(vec![
                value.to_string(),
                group.len().to_string(),
                num(mean(&|c| Some(c.handshakes_per_sec))),
                ms(mean(&|c| lat(c).map(|p| p.p50 as f64)).map(|v| v as u64)),
                ms(mean(&|c| lat(c).map(|p| p.p99 as f64)).map(|v| v as u64)),
                num(mean(&|c| c.server_cpu_us_per_handshake)),
                num(mean(&|c| c.client_cpu_us_per_handshake)),
                num(mean(&|c| {
                    Some(c.bytes_sent_per_handshake + c.bytes_received_per_handshake)
                })),
            ]);
        }
        out.push_str(&format!("\nby {axis} (mean over its cases)\n"));
        out.push_str(&table.render());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::clip;

    #[test]
    fn long_error_text_is_clipped_to_the_cell() {
        assert_eq!(clip("short", 10), "short");
        let long = "x".repeat(200);
        let cut = clip(&long, 48);
        assert_eq!(cut.chars().count(), 48);
        assert!(cut.ends_with("..."));
        // Characters, not bytes: no panic inside a multi-byte character.
        assert_eq!(clip("ééééé", 4), "é...");
    }
}
