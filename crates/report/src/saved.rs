//! A run as saved on disk, read back: the parts of `summary.json` the renderers and `compare`
//! need, plus each case's interval log. Everything that renders a run (plots, `report.md`,
//! `report.html`, baselines) starts from this, so `mtls-harness report RUN_DIR` re-renders
//! exactly what the run itself rendered.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::Value;

use super::hdrlog::{self, IntervalLog};

/// Percentiles as saved (microseconds).
#[derive(Clone, Copy, Debug, Deserialize)]
pub struct SavedPercentiles {
    /// Number of values.
    pub count: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest.
    pub max: u64,
}

/// One case as saved.
#[derive(Clone, Debug, Deserialize)]
pub struct SavedCase {
    /// Case name.
    pub name: String,
    /// `accept`, `reject`, `reject:<class>`.
    #[serde(default)]
    pub expect: Value,
    /// Why it was skipped, when it was.
    #[serde(default)]
    pub skipped: Option<String>,
    /// Whether it met its expectation.
    #[serde(default)]
    pub met: bool,
    /// In words.
    #[serde(default)]
    pub verdict: String,
    /// Set when the case could not run.
    #[serde(default)]
    pub error: Option<String>,
    /// Measured attempts.
    #[serde(default)]
    pub attempts: u64,
    /// Attempts per outcome class.
    #[serde(default)]
    pub outcomes: BTreeMap<String, u64>,
    /// Headline latency of accepted handshakes.
    #[serde(default)]
    pub latency_us: Option<SavedPercentiles>,
    /// Time to the server's rejection.
    #[serde(default)]
    pub rejection_latency_us: Option<SavedPercentiles>,
    /// Throughput.
    #[serde(default)]
    pub handshakes_per_sec: f64,
    /// Measured window.
    #[serde(default)]
    pub window_ms: f64,
    /// Server CPU per handshake.
    #[serde(default)]
    pub server_cpu_us_per_handshake: Option<f64>,
    /// Client CPU per handshake.
    #[serde(default)]
    pub client_cpu_us_per_handshake: Option<f64>,
    /// Server CPU in percent of one core.
    #[serde(default)]
    pub server_cpu_util_pct: Option<f64>,
    /// Client CPU in percent of one core.
    #[serde(default)]
    pub client_cpu_util_pct: Option<f64>,
    /// Load settings (`schedule.mode` tells closed from open loop).
    #[serde(default)]
    pub load: Value,
    /// The interval log, relative to the run directory.
    #[serde(default)]
    pub hlog_file: Option<String>,
    /// Matrix axis values that made this case.
    #[serde(default)]
    pub axes: BTreeMap<String, String>,
    /// Harness memory growth per handshake in flight.
    #[serde(default)]
    pub client_memory_per_connection_bytes: Option<f64>,
    /// The case's threshold checks.
    #[serde(default)]
    pub thresholds: Vec<super::threshold_check::ThresholdCheck>,
}

impl SavedCase {
    /// The expectation as text.
    pub fn expect_text(&self) -> String {
        match &self.expect {
            Value::String(s) => s.clone(),
            Value::Null => String::new(),
            other => other.to_string(),
        }
    }

    /// True for a closed-loop case expected to accept: its throughput is a capacity figure.
    pub fn is_throughput_case(&self) -> bool {
        self.expect_text() == "accept"
            && self.load["schedule"]["mode"].as_str() == Some("closed")
            && self.error.is_none()
    }
}

/// CPU pinning as saved.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct SavedPinning {
    /// Server CPUs.
    #[serde(default)]
    pub server_cpus: Option<Vec<usize>>,
    /// Client CPUs.
    #[serde(default)]
    pub client_cpus: Option<Vec<usize>>,
}

#[derive(Clone, Debug, Default, Deserialize)]
struct SavedScenario {
    #[serde(default)]
    name: String,
}

/// A run as saved.
#[derive(Clone, Debug, Deserialize)]
pub struct SavedSummary {
    #[serde(default)]
    scenario: SavedScenario,
    /// RFC 3339 start.
    #[serde(default)]
    pub started_at: String,
    /// CPUs the harness could use.
    #[serde(default)]
    pub usable_cpus: usize,
    /// Pinning.
    #[serde(default)]
    pub pinning: SavedPinning,
    /// True when interrupted, or (written as in-progress) never completed.
    #[serde(default)]
    pub interrupted: bool,
    /// Every case the scenario had, by name (empty in summaries older than this field).
    #[serde(default)]
    pub planned_cases: Vec<String>,
    /// The cases.
    pub cases: Vec<SavedCase>,
    /// The revocation comparison (empty when no case checks revocation).
    #[serde(default)]
    pub revocation_comparison: Vec<super::summary::RevocationRow>,
}

impl SavedSummary {
    /// The cases the scenario had that the run lacks (it ended before them): each counts as
    /// failed on every surface.
    pub fn missing_cases(&self) -> Vec<&str> {
        self.planned_cases
            .iter()
            .filter(|p| !self.cases.iter().any(|c| &c.name == *p))
            .map(String::as_str)
            .collect()
    }

    /// The cases of the whole run: those it has and those it lacks.
    pub fn planned_count(&self) -> usize {
        self.cases.len() + self.missing_cases().len()
    }
}

/// A run directory read back.
#[derive(Clone, Debug)]
pub struct SavedRun {
    /// The directory.
    pub dir: PathBuf,
    /// `summary.json`.
    pub summary: SavedSummary,
    /// Each case's interval log (`None` when it has none or it could not be read), in case
    /// order.
    pub logs: Vec<Option<IntervalLog>>,
}

impl SavedRun {
    /// The scenario name.
    pub fn scenario(&self) -> &str {
        &self.summary.scenario.name
    }

    /// CPUs the server could use.
    pub fn server_cpus(&self) -> usize {
        self.summary
            .pinning
            .server_cpus
            .as_ref()
            .map_or(self.summary.usable_cpus, Vec::len)
            .max(1)
    }

    /// For a closed-loop throughput case whose server was under 90% busy: a sentence saying
    /// the figure measures the client, not the server.
    pub fn client_bound_note(&self, case: &SavedCase) -> Option<String> {
        if !case.is_throughput_case() {
            return None;
        }
        let util = case.server_cpu_util_pct?;
        let cpus = self.server_cpus();
        let busy = util / cpus as f64;
        (busy < 90.0).then(|| {
            format!(
                "client-bound: the server was {busy:.0}% busy ({util:.0}% of one core over {cpus} CPU(s)), so {:.0} hs/s measures the client and the machine, not the server's capacity; pin the sides apart (--pin-server/--pin-client) or add client workers",
                case.handshakes_per_sec
            )
        })
    }
}

/// The largest `summary.json` read back.
pub const MAX_SUMMARY_BYTES: u64 = 64 << 20;
/// The largest interval log read back.
pub const MAX_HLOG_BYTES: u64 = 256 << 20;

/// A problem reading a run directory.
#[derive(Debug, thiserror::Error)]
pub enum SavedRunError {
    /// `summary.json` is missing or unreadable.
    #[error("{path}: {what}")]
    Summary {
        /// The file.
        path: PathBuf,
        /// What was wrong.
        what: String,
    },
    /// A file named in `summary.json` is outside the run directory, not a regular file, or
    /// larger than the limit.
    #[error("{path}: {what}")]
    Refused {
        /// The file as named.
        path: PathBuf,
        /// Why it is not read.
        what: String,
    },
}

/// Reads `dir/summary.json` and the interval logs it names. Only regular files inside `dir`
/// are read (a name that is absolute, has `..`, or leads out through a symlink is refused),
/// each bounded in size ([`MAX_SUMMARY_BYTES`], [`MAX_HLOG_BYTES`]).
///
/// # Errors
/// When `summary.json` cannot be read or is not a summary, or it names a file that is refused.
/// An interval log that is missing or does not parse is logged and left out.
pub fn load(dir: &Path) -> Result<SavedRun, SavedRunError> {
    let path = dir.join("summary.json");
    let bytes =
        read_inside(dir, Path::new("summary.json"), MAX_SUMMARY_BYTES).map_err(|e| match e {
            ReadError::NotFound(e) => SavedRunError::Summary {
                path: path.clone(),
                what: format!("cannot read it ({e}); expected a run directory"),
            },
            ReadError::Refused(what) => SavedRunError::Refused {
                path: path.clone(),
                what,
            },
        })?;
    let summary: SavedSummary =
        serde_json::from_slice(&bytes).map_err(|e| SavedRunError::Summary {
            path: path.clone(),
            what: format!("expected an mtls-harness summary: {e}"),
        })?;
    let mut logs = Vec::with_capacity(summary.cases.len());
    for case in &summary.cases {
        let Some(file) = case.hlog_file.as_ref() else {
            logs.push(None);
            continue;
        };
        let shown = dir.join(file);
        let log = match read_inside(dir, Path::new(file), MAX_HLOG_BYTES) {
            Ok(bytes) => match hdrlog::parse(&bytes, &shown) {
                Ok(l) => Some(l),
                Err(e) => {
                    tracing::warn!("{e}");
                    None
                }
            },
            Err(ReadError::NotFound(e)) => {
                tracing::warn!("{}: {e}", shown.display());
                None
            }
            Err(ReadError::Refused(what)) => {
                return Err(SavedRunError::Refused {
                    path: PathBuf::from(file),
                    what: format!("hlog_file of case {:?} in summary.json: {what}", case.name),
                })
            }
        };
        logs.push(log);
    }
    Ok(SavedRun {
        dir: dir.to_path_buf(),
        summary,
        logs,
    })
}

enum ReadError {
    /// It cannot be opened (missing, unreadable).
    NotFound(std::io::Error),
    /// It is not read: outside the directory, not a regular file, too large.
    Refused(String),
}

/// The bytes of `name` inside `dir`, at most `limit` of them.
fn read_inside(dir: &Path, name: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    use std::io::Read;
    use std::os::unix::fs::OpenOptionsExt;
    let refuse = |what: &str| ReadError::Refused(what.to_string());
    let plain = name.components().all(|c| {
        matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    });
    if !plain {
        return Err(refuse(
            "only a relative path inside the run directory is read (no absolute path, no '..')",
        ));
    }
    let root = dir.canonicalize().map_err(ReadError::NotFound)?;
    let real = dir.join(name).canonicalize().map_err(ReadError::NotFound)?;
    if !real.starts_with(&root) {
        return Err(ReadError::Refused(format!(
            "it leads out of the run directory (to {}); only files inside it are read",
            real.display()
        )));
    }
    // O_NONBLOCK: a FIFO put there does not block the open; it is refused below.
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(&real)
        .map_err(ReadError::NotFound)?;
    let meta = file.metadata().map_err(ReadError::NotFound)?;
    if !meta.file_type().is_file() {
        return Err(refuse("not a regular file"));
    }
    let too_large = || {
        ReadError::Refused(format!(
            "larger than the limit of {limit} bytes ({} MiB) for this file",
            limit >> 20
        ))
    };
    if meta.len() > limit {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::NotFound)?;
    if bytes.len() as u64 > limit {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(cases: Value, cpus: usize, pinned: Option<Vec<usize>>) -> SavedRun {
        let summary = serde_json::json!({
            "scenario": { "name": "t" },
            "usable_cpus": cpus,
            "pinning": { "server_cpus": pinned, "client_cpus": null },
            "cases": cases,
        });
        SavedRun {
            dir: PathBuf::from("x"),
            summary: serde_json::from_value(summary).unwrap(),
            logs: Vec::new(),
        }
    }

    fn case(name: &str, mode: &str, expect: &str, util: f64) -> Value {
        serde_json::json!({
            "name": name, "expect": expect, "met": true,
            "load": { "schedule": { "mode": mode } },
            "server_cpu_util_pct": util, "handshakes_per_sec": 1000.0,
        })
    }

    #[test]
    fn client_bound_only_when_a_closed_loop_server_is_not_saturated() {
        let r = run(
            serde_json::json!([
                case("idle", "closed", "accept", 120.0),
                case("busy", "closed", "accept", 190.0),
                case("open", "open", "accept", 20.0),
                case("reject", "closed", "reject:unknown_ca", 20.0),
            ]),
            2,
            None,
        );
        let notes: Vec<Option<String>> = r
            .summary
            .cases
            .iter()
            .map(|c| r.client_bound_note(c))
            .collect();
        let idle = notes[0].as_deref().unwrap();
        assert!(idle.contains("60% busy"), "{idle}");
        assert!(idle.contains("measures the client"), "{idle}");
        assert_eq!(notes[1..], [None, None, None]);
        // Pinned to one CPU, 95% of one core is saturated.
        let pinned = run(
            serde_json::json!([case("one-cpu", "closed", "accept", 95.0)]),
            2,
            Some(vec![0]),
        );
        assert_eq!(pinned.client_bound_note(&pinned.summary.cases[0]), None);
    }
}
