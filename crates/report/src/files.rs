//! Writing a run's files: `summary.json`, `cases.csv` and one `.hgrm` per case. Each write goes
//! to a temporary file renamed into place, so an interrupted run never leaves half a file.

use std::io;
use std::path::{Path, PathBuf};

use hdrhistogram::Histogram;
use serde::Serialize;

use super::summary::{CaseSummary, RunSummary};

/// An error writing a report file.
#[derive(Debug, thiserror::Error)]
#[error("writing {path}: {source}")]
pub struct ReportError {
    /// The file.
    pub path: PathBuf,
    /// What failed.
    pub source: io::Error,
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    crate::fsutil::write_atomic(path, bytes, 0o644).map_err(|source| ReportError {
        path: path.to_path_buf(),
        source,
    })
}

/// Writes `summary.json` and `cases.csv` into `dir`.
///
/// # Errors
/// The first file that could not be written.
pub fn write_summary(dir: &Path, summary: &RunSummary) -> Result<(), ReportError> {
    let json = serde_json::to_vec_pretty(summary).map_err(|e| ReportError {
        path: dir.join("summary.json"),
        source: io::Error::other(e),
    })?;
    write_atomic(&dir.join("summary.json"), &json)?;
    write_atomic(&dir.join("cases.csv"), &cases_csv(&summary.cases))
}

/// Writes `<stem>.hgrm` into `dir` and returns its file name.
///
/// # Errors
/// When the file cannot be written.
pub fn write_hgrm(dir: &Path, stem: &str, h: &Histogram<u64>) -> Result<String, ReportError> {
    let name = format!("{stem}.hgrm");
    write_atomic(&dir.join(&name), super::hgrm::render(h).as_bytes())?;
    Ok(name)
}

/// Writes `<stem>.hlog` (the HdrHistogram interval log of `intervals`) into `dir` and returns
/// its file name. The log's base time is the wall-clock time of the first slice's start.
///
/// # Errors
/// When the file cannot be written.
pub fn write_hlog(
    dir: &Path,
    stem: &str,
    case: &str,
    intervals: &crate::measure::Intervals,
) -> Result<String, ReportError> {
    let name = format!("{stem}.hlog");
    let path = dir.join(&name);
    let base = intervals
        .origin
        .map(|o| {
            let ago = std::time::Instant::now().saturating_duration_since(o);
            std::time::SystemTime::now()
                .checked_sub(ago)
                .unwrap_or(std::time::UNIX_EPOCH)
        })
        .unwrap_or_else(std::time::SystemTime::now);
    let text = super::hdrlog::render(intervals, base, &format!("case {case}")).map_err(|e| {
        ReportError {
            path: path.clone(),
            source: io::Error::other(e),
        }
    })?;
    write_atomic(&path, &text)?;
    Ok(name)
}

/// A file-name-safe version of `name` not yet in `used` (a `-2`, `-3`, ... suffix when two
/// names map to the same text); records it in `used`.
pub fn unique_file_stem(name: &str, used: &mut std::collections::HashSet<String>) -> String {
    let base = file_safe(name);
    let mut stem = base.clone();
    let mut n = 1;
    while !used.insert(stem.clone()) {
        n += 1;
        stem = format!("{base}-{n}");
    }
    stem
}

/// A file-name-safe version of a case name.
pub fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[derive(Serialize)]
struct CsvRow<'a> {
    name: &'a str,
    server: &'a str,
    client: &'a str,
    key: &'a str,
    client_cert: &'a str,
    expect: String,
    met: bool,
    attempts: u64,
    accepted: u64,
    outcomes: String,
    handshakes_per_sec: f64,
    latency_p50_us: Option<u64>,
    latency_p90_us: Option<u64>,
    latency_p99_us: Option<u64>,
    latency_p999_us: Option<u64>,
    latency_max_us: Option<u64>,
    rejection_p50_us: Option<u64>,
    server_cpu_us_per_handshake: Option<f64>,
    client_cpu_us_per_handshake: Option<f64>,
    server_cpu_util_pct: Option<f64>,
    bytes_sent_per_handshake: f64,
    bytes_received_per_handshake: f64,
    error: Option<&'a str>,
}

fn cases_csv(cases: &[CaseSummary]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    for c in cases {
        let outcomes: Vec<String> = c.outcomes.iter().map(|(k, v)| format!("{k}={v}")).collect();
        let _ = w.serialize(CsvRow {
            name: &c.name,
            server: &c.server,
            client: &c.client,
            key: &c.key,
            client_cert: &c.client_cert,
            expect: c.expect.to_string(),
            met: c.met,
            attempts: c.attempts,
            accepted: c.outcomes.get("accepted").copied().unwrap_or(0),
            outcomes: outcomes.join(" "),
            handshakes_per_sec: c.handshakes_per_sec,
            latency_p50_us: c.latency_us.map(|p| p.p50),
            latency_p90_us: c.latency_us.map(|p| p.p90),
            latency_p99_us: c.latency_us.map(|p| p.p99),
            latency_p999_us: c.latency_us.map(|p| p.p999),
            latency_max_us: c.latency_us.map(|p| p.max),
            rejection_p50_us: c.rejection_latency_us.map(|p| p.p50),
            server_cpu_us_per_handshake: c.server_cpu_us_per_handshake,
            client_cpu_us_per_handshake: c.client_cpu_us_per_handshake,
            server_cpu_util_pct: c.server_cpu_util_pct,
            bytes_sent_per_handshake: c.bytes_sent_per_handshake,
            bytes_received_per_handshake: c.bytes_received_per_handshake,
            error: c.error.as_deref(),
        });
    }
    w.into_inner().unwrap_or_default()
}
