//! How a run is asked for and how it ends: the options (with the command line's overrides),
//! the errors that stop a run, and the outcome with its exit code. Kept apart from the run loop
//! so callers (the command line, conformance, interop, tests) see the run's interface in one
//! place.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use super::Worker;
use crate::measure::ProgressSink;
use crate::report::{self, RunSummary};
use crate::scenario::{Case, Schedule, Stop};

/// Command-line overrides applied to every case.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    /// Measure for this long (replaces `duration`/`handshakes`).
    pub duration: Option<Duration>,
    /// Measure this many handshakes (replaces `duration`/`handshakes`).
    pub handshakes: Option<u64>,
    /// Closed-loop concurrency, or the open loop's cap on handshakes in flight.
    pub concurrency: Option<usize>,
    /// Warm-up period.
    pub warmup: Option<Duration>,
}

impl Overrides {
    /// `case` with the overrides applied.
    pub fn apply(&self, case: &Case) -> Case {
        let mut case = case.clone();
        if let Some(d) = self.duration {
            case.load.stop = Stop::Duration(d);
        }
        if let Some(n) = self.handshakes {
            case.load.stop = Stop::Handshakes(n);
        }
        if let Some(w) = self.warmup {
            case.load.warmup = w;
        }
        if let Some(c) = self.concurrency {
            case.load.schedule = match case.load.schedule {
                Schedule::Closed { .. } => Schedule::Closed { concurrency: c },
                Schedule::Open { rate_per_sec, .. } => Schedule::Open {
                    rate_per_sec,
                    max_in_flight: c,
                },
            };
        }
        case
    }
}

/// Makes a case's live progress display from its label (`[2/9] name`).
#[derive(Clone)]
pub struct LiveProgress(pub Arc<dyn Fn(String) -> Arc<dyn ProgressSink> + Send + Sync>);

impl LiveProgress {
    /// The display for one case.
    pub fn start(&self, label: String) -> Arc<dyn ProgressSink> {
        (self.0)(label)
    }
}

impl std::fmt::Debug for LiveProgress {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LiveProgress")
    }
}

/// How to run.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// The run directory; default `<runs_root>/<scenario>-<UTC time>`.
    pub out_dir: Option<PathBuf>,
    /// Parent of default run directories.
    pub runs_root: PathBuf,
    /// The `mtls-harness` binary (built-in servers run as `mtls-harness serve`).
    pub harness_exe: PathBuf,
    /// Command-line overrides.
    pub overrides: Overrides,
    /// Pin server processes to these CPUs.
    pub server_cpus: Option<Vec<usize>>,
    /// Pin the harness (client side) to these CPUs.
    pub client_cpus: Option<Vec<usize>>,
    /// Set by SIGINT/SIGTERM: stop after the current measurements, keep results.
    pub cancel: Arc<AtomicBool>,
    /// No progress lines on stderr.
    pub quiet: bool,
    /// `PATH` searched for the process peers (`openssl`, `nginx`); default the process's own.
    pub search_path: Option<std::ffi::OsString>,
    /// Target mode: drive this external server instead of starting the cases' server peers.
    pub target: Option<Arc<crate::peers::Target>>,
    /// What the target checks for client certificates (`--target-revocation`): cases of that
    /// mode run against it, the other revocation cases are skipped.
    pub target_revocation: Option<crate::scenario::RevocationMode>,
    /// Where the revocation service listens (`--revocation-listen`); default 127.0.0.1 on a
    /// free port.
    pub revocation_listen: Option<std::net::SocketAddr>,
    /// Slice length of each case's HDR interval log.
    pub interval: Duration,
    /// A live progress display per case, made from the case's label (`[2/9] name`); the
    /// command line sets one that draws on stderr when stdout is a terminal and `--quiet` is
    /// off. The library draws nothing itself.
    pub live: Option<LiveProgress>,
    /// This process is worker K of N (1-based): it runs its share of every case's load.
    pub worker: Option<Worker>,
    /// Cases run two at a time, side by side (`ab`): both servers up, both loads over the
    /// same window from this process, so whatever slows the machine in that window slows
    /// both. The cases are taken in pairs, in order; neither may revoke mid-run or rotate
    /// short-lived certificates.
    pub side_by_side: bool,
}

impl RunOptions {
    /// Defaults: run directories under `reports/runs`, this process's binary as the server.
    pub fn new(harness_exe: PathBuf) -> Self {
        Self {
            out_dir: None,
            runs_root: PathBuf::from("reports/runs"),
            harness_exe,
            overrides: Overrides::default(),
            server_cpus: None,
            client_cpus: None,
            cancel: Arc::default(),
            quiet: false,
            search_path: None,
            target: None,
            target_revocation: None,
            revocation_listen: None,
            interval: crate::measure::DEFAULT_INTERVAL,
            live: None,
            worker: None,
            side_by_side: false,
        }
    }
}

/// Why a run could not be carried out (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The run directory could not be created.
    #[error("creating run directory {path}: {source}")]
    RunDir {
        /// The directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The run directory holds entries the run would overwrite or remove that are not the
    /// previous run's own (not in its `run-files.json`): nothing was removed.
    #[error("{} is in use: {} (not listed in its run-files.json as written by an earlier run); nothing was removed: move them away, or choose another --out", dir.display(), entries.join(", "))]
    RunDirInUse {
        /// The directory.
        dir: PathBuf,
        /// What is in the way (or why the manifest cannot be read).
        entries: Vec<String>,
    },
    /// Fixture generation failed.
    #[error("generating fixtures: {0}")]
    Fixtures(crate::pki::IssueError),
    /// Fixture files could not be written.
    #[error("{0}")]
    FixtureFiles(crate::pki::WriteError),
    /// The tokio runtime could not start.
    #[error("starting the async runtime: {0}")]
    Runtime(std::io::Error),
    /// A report file could not be written.
    #[error("{0}")]
    Report(#[from] report::ReportError),
    /// The open-file limit is too low for the requested concurrency.
    #[error("case \"{case}\" needs about {needed} open files, but RLIMIT_NOFILE is {limit} (hard limit reached); raise it (ulimit -n) or lower the concurrency")]
    FileLimit {
        /// The case.
        case: String,
        /// Files needed.
        needed: u64,
        /// The limit.
        limit: u64,
    },
    /// The revocation service (OCSP responder, CRL endpoint) could not start.
    #[error("starting the revocation service: {0}")]
    RevocationService(std::io::Error),
    /// A case revokes its victim mid-run, but its load ends before the revocation can be seen.
    #[error("case \"{case}\" revokes its victim {} into the window and its revocation mode may take {} to notice it: it needs at least {} of load, but {given} was given; give a longer --duration (or leave the case's own)", humantime::format_duration(*revoke_after), humantime::format_duration(*detection), humantime::format_duration(*needed))]
    TooShort {
        /// The case.
        case: String,
        /// When the case revokes its victim, after the window starts.
        revoke_after: Duration,
        /// How long its mode may take to notice the revocation.
        detection: Duration,
        /// `revoke_after` plus `detection`.
        needed: Duration,
        /// The duration given, and where it came from.
        given: String,
    },
    /// The target refused the trust handshake in a way no case can be graded after (before
    /// client authentication, or for its verify depth): the diagnosis.
    #[error("{0}")]
    TargetRefused(String),
    /// The interval logs' slices are so short that a case's log would outgrow what
    /// `report` and `compare` read back.
    #[error("--interval {}: case {case} measures for {}, which is {intervals} intervals; at most {MAX_INTERVALS} per case are written (so its interval log stays readable): give --interval {} or longer", humantime::format_duration(*interval), humantime::format_duration(*window), humantime::format_duration(*shortest))]
    IntervalTooShort {
        /// The case.
        case: String,
        /// The interval asked for.
        interval: Duration,
        /// The case's measured window.
        window: Duration,
        /// How many intervals that is.
        intervals: u64,
        /// The shortest interval the case allows.
        shortest: Duration,
    },
    /// CPU pinning failed.
    #[error("pinning the harness to CPUs {cpus:?}: {source}")]
    Pin {
        /// Requested CPUs.
        cpus: Vec<usize>,
        /// The OS error.
        source: std::io::Error,
    },
}

/// Shortest slice of the per-case interval logs (`--interval`).
pub const MIN_LOG_INTERVAL: Duration = Duration::from_millis(10);
/// Longest slice of the per-case interval logs (`--interval`).
pub const MAX_LOG_INTERVAL: Duration = Duration::from_secs(3600);
/// Most intervals one case's log may hold: at a few hundred bytes each, well inside the
/// 256 MiB an interval log is read back with.
pub const MAX_INTERVALS: u64 = 100_000;

/// A finished (or interrupted) run.
#[derive(Debug)]
pub struct RunOutcome {
    /// Where its files are.
    pub dir: PathBuf,
    /// What it found.
    pub summary: RunSummary,
}

impl RunOutcome {
    /// Whether every case was skipped: the run measured nothing.
    pub fn measured_nothing(&self) -> bool {
        self.summary.cases.iter().all(|c| c.skipped.is_some())
    }

    /// 0: every case met its expectation; 1: a case did not; 2: a case could not run, the
    /// run was interrupted, or it measured nothing (every case skipped: never a pass).
    pub fn exit_code(&self) -> u8 {
        if self.summary.interrupted
            || self.measured_nothing()
            || self.summary.cases.iter().any(|c| c.error.is_some())
        {
            2
        } else if self
            .summary
            .cases
            .iter()
            .all(|c| c.met || c.skipped.is_some())
        {
            0
        } else {
            1
        }
    }
}
