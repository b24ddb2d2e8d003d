//! The readable table on stdout: one row per case with outcome, rate, latency percentiles, CPU
//! per handshake on each side and whether the case met its expectation.

use super::summary::{CaseSummary, RunSummary};

/// Renders the run as a plain-text table (no colour: it is also what CI logs show).
pub fn render(summary: &RunSummary) -> String {
    let header = [
        "case",
        "outcomes",
        "hs/s",
        "p50 ms",
        "p99 ms",
        "p99.9 ms",
        "srv cpu us/hs",
        "cli cpu us/hs",
        "expect",
        "met",
    ];
    let rows: Vec<[String; 10]> = summary.cases.iter().map(row).collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for r in &rows {
        for (w, cell) in widths.iter_mut().zip(r.iter()) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let padded: Vec<String> = cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i == 0 || i == 1 || i == 8 {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect();
        padded.join("  ").trim_end().to_string()
    };
    let mut out = String::new();
    out.push_str(&format!(
        "scenario {} ({} cases)\n",
        summary.scenario.name,
        summary.cases.len()
    ));
    out.push_str(&line(header.to_vec()));
    out.push('\n');
    for r in &rows {
        out.push_str(&line(r.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    for c in summary.cases.iter().filter(|c| !c.met) {
        out.push_str(&format!("NOT MET {}: {}\n", c.name, c.verdict));
    }
    out
}

fn ms(us: Option<u64>) -> String {
    us.map_or_else(|| "-".into(), |v| format!("{:.2}", v as f64 / 1000.0))
}

fn row(c: &CaseSummary) -> [String; 10] {
    let outcomes = if let Some(err) = &c.error {
        format!("error: {}", err.lines().next().unwrap_or(""))
    } else {
        let parts: Vec<String> = c.outcomes.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if parts.is_empty() {
            "-".into()
        } else {
            parts.join(" ")
        }
    };
    // Latency of what the case is about: accepted handshakes, or rejections for reject cases.
    let lat = c.latency_us.or(c.rejection_latency_us);
    [
        c.name.clone(),
        outcomes,
        format!("{:.0}", c.handshakes_per_sec),
        ms(lat.map(|p| p.p50)),
        ms(lat.map(|p| p.p99)),
        ms(lat.map(|p| p.p999)),
        c.server_cpu_us_per_handshake
            .map_or_else(|| "-".into(), |v| format!("{v:.0}")),
        c.client_cpu_us_per_handshake
            .map_or_else(|| "-".into(), |v| format!("{v:.0}")),
        c.expect.to_string(),
        if c.met { "yes".into() } else { "NO".into() },
    ]
}
