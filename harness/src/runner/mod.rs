//! One run of a scenario: fixtures, then for each case a server process, the load, the results;
//! `summary.json` rewritten after every case (so an interrupted run keeps what it measured);
//! servers stopped when their case ends, also on error or Ctrl-C.

mod exposure;
mod fixtures;
mod revocation;
mod short_lived;
mod worker;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::load::{run_load_with, LoadExtras, TlsAttempts};
use crate::measure::CpuTargets;
use crate::peers::capabilities;
use crate::peers::clients::process::{ProcessAttempts, ProcessClientKind};
use crate::peers::servers::status;
use crate::peers::{
    start_server, OpensslClient, OpensslClientError, ProcessError, RevocationArgs, RustlsClient,
};
use crate::report::{
    self, CaseSummary, Pinning, RunSummary, ScenarioInfo, ToolInfo, SCHEMA_VERSION,
};
use crate::revocation::ocsp::{Responder, RevocationService};
use crate::scenario::{Case, ClientImpl, ResumptionMode, RevocationMode, Scenario, Schedule, Stop};
use crate::sys;

pub use exposure::{measure_exposure, Exposure, ExposurePlan};
pub use fixtures::Fixtures;
pub use short_lived::ShortLivedFigures;
pub use worker::Worker;

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
    /// Slice length of each case's HDR interval log.
    pub interval: Duration,
    /// Show a live progress line per case on stderr (the command line sets this when stdout
    /// is a terminal and `--quiet` is off).
    pub live: bool,
    /// This process is worker K of N (1-based): it runs its share of every case's load.
    pub worker: Option<Worker>,
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
            interval: crate::measure::DEFAULT_INTERVAL,
            live: false,
            worker: None,
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
    /// CPU pinning failed.
    #[error("pinning the harness to CPUs {cpus:?}: {source}")]
    Pin {
        /// Requested CPUs.
        cpus: Vec<usize>,
        /// The OS error.
        source: std::io::Error,
    },
}

/// A finished (or interrupted) run.
#[derive(Debug)]
pub struct RunOutcome {
    /// Where its files are.
    pub dir: PathBuf,
    /// What it found.
    pub summary: RunSummary,
}

impl RunOutcome {
    /// 0: every case met its expectation; 1: a case did not; 2: a case could not run or the
    /// run was interrupted.
    pub fn exit_code(&self) -> u8 {
        if self.summary.interrupted || self.summary.cases.iter().any(|c| c.error.is_some()) {
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

fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn default_dir(root: &Path, scenario: &str) -> PathBuf {
    let now = OffsetDateTime::now_utc();
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let base = root.join(format!("{}-{stamp}", report::file_safe(scenario)));
    let mut dir = base.clone();
    let mut n = 1;
    while dir.exists() {
        n += 1;
        dir = PathBuf::from(format!("{}-{n}", base.display()));
    }
    dir
}

/// Open files a case needs: one socket per connection in flight, plus slack.
fn files_needed(case: &Case) -> u64 {
    let in_flight = match case.load.schedule {
        Schedule::Closed { concurrency } => concurrency,
        Schedule::Open { max_in_flight, .. } => max_in_flight,
    };
    in_flight as u64 + 64
}

/// Runs `scenario`.
///
/// # Errors
/// [`RunError`] when the run cannot be carried out at all; a case that cannot run is recorded
/// in the summary instead.
pub fn run(scenario: &Scenario, opts: &RunOptions) -> Result<RunOutcome, RunError> {
    let cases: Vec<Case> = scenario
        .cases
        .iter()
        .map(|c| opts.overrides.apply(c))
        .map(|c| match opts.worker {
            Some(w) => w.apply(&c),
            None => c,
        })
        .collect();
    let limit = sys::raise_nofile_limit().unwrap_or(1024);
    if let Some(case) = cases.iter().find(|c| files_needed(c) > limit) {
        return Err(RunError::FileLimit {
            case: case.name.clone(),
            needed: files_needed(case),
            limit,
        });
    }
    // Servers get their own CPUs, or the ones the harness had before it pinned itself (a
    // child would otherwise inherit the client's pinning).
    let mut server_cpus = opts.server_cpus.clone();
    if let Some(cpus) = &opts.client_cpus {
        if server_cpus.is_none() {
            server_cpus = sys::current_affinity().ok();
        }
        sys::pin_current_thread(cpus).map_err(|source| RunError::Pin {
            cpus: cpus.clone(),
            source,
        })?;
    }

    let dir = opts
        .out_dir
        .clone()
        .unwrap_or_else(|| default_dir(&opts.runs_root, &scenario.name));
    let mk = |path: &Path| {
        std::fs::create_dir_all(path).map_err(|source| RunError::RunDir {
            path: path.to_path_buf(),
            source,
        })
    };
    mk(&dir)?;
    let peers_dir = dir.join("peers");
    mk(&peers_dir)?;

    let mut summary = RunSummary {
        schema_version: SCHEMA_VERSION,
        tool: ToolInfo {
            name: "mtls-harness",
            version: env!("CARGO_PKG_VERSION"),
        },
        scenario: ScenarioInfo {
            name: scenario.name.clone(),
            file: scenario.file.display().to_string(),
            description: scenario.description.clone(),
        },
        started_at: now_rfc3339(),
        finished_at: now_rfc3339(),
        interrupted: false,
        usable_cpus: sys::usable_cpus(),
        pinning: Pinning {
            server_cpus: opts.server_cpus.clone(),
            client_cpus: opts.client_cpus.clone(),
        },
        cases: Vec::new(),
        revocation_comparison: Vec::new(),
    };
    report::write_summary(&dir, &summary)?;

    // On one CPU (pinned), a single-threaded runtime: no cross-thread wake-ups, no stealing.
    let cpus = sys::usable_cpus();
    let runtime = sys::runtime(cpus, cpus == 1).map_err(RunError::Runtime)?;
    // One revocation service per run, when a case needs it: its URL goes into every
    // certificate of the run (AIA and CRL distribution point).
    let service = if cases.iter().any(|c| c.revocation.needs_service()) {
        Some(
            RevocationService::start(Arc::new(Responder::new()))
                .map_err(RunError::RevocationService)?,
        )
    } else {
        None
    };
    let mut fixtures = Fixtures::new(scenario.pki.clone(), dir.join("pki"));
    if let Some(service) = &service {
        fixtures.serve_revocation(service.base_url(), Arc::clone(&service.responder));
    }

    let env = RunEnv {
        runtime: &runtime,
        run_dir: &dir,
        peers_dir: &peers_dir,
        server_cpus,
        opts,
        service: service.as_ref(),
    };
    let mut stems = std::collections::HashSet::new();
    for (i, case) in cases.iter().enumerate() {
        if opts.cancel.load(Ordering::Relaxed) {
            summary.interrupted = true;
            break;
        }
        if !opts.quiet {
            eprintln!("[{}/{}] {} ...", i + 1, cases.len(), case.name);
        }
        let stem = report::unique_file_stem(&case.name, &mut stems);
        let live = opts.live.then(|| {
            Arc::new(report::LiveBar::new(format!(
                "[{}/{}] {}",
                i + 1,
                cases.len(),
                case.name
            )))
        });
        let mut entry = run_case(case, &stem, &mut fixtures, &env, live.clone())?;
        if let Some(bar) = live {
            bar.finish();
        }
        if let Some(t) = &opts.target {
            entry.server = format!("target {}", t.given);
        }
        if !opts.quiet {
            eprintln!(
                "[{}/{}] {}: {}",
                i + 1,
                cases.len(),
                case.name,
                entry.verdict
            );
        }
        summary.cases.push(entry);
        summary.interrupted |= opts.cancel.load(Ordering::Relaxed);
        summary.finished_at = now_rfc3339();
        summary.revocation_comparison = report::revocation_rows(&summary.cases);
        report::write_summary(&dir, &summary)?;
    }
    Ok(RunOutcome { dir, summary })
}

/// What every case of a run shares.
struct RunEnv<'a> {
    runtime: &'a tokio::runtime::Runtime,
    run_dir: &'a Path,
    peers_dir: &'a Path,
    server_cpus: Option<Vec<usize>>,
    opts: &'a RunOptions,
    service: Option<&'a RevocationService>,
}

fn run_case(
    case: &Case,
    stem: &str,
    fixtures: &mut Fixtures,
    env: &RunEnv<'_>,
    live: Option<Arc<report::LiveBar>>,
) -> Result<CaseSummary, RunError> {
    let RunEnv {
        runtime,
        run_dir,
        peers_dir,
        opts,
        ..
    } = *env;
    let server_cpus = env.server_cpus.clone();
    let (pki, files) = fixtures.get(case.key, case.intermediates)?;
    let client_caps = capabilities::client(case.client);
    if let Some(reason) = target_unsupported(case, opts)
        .or_else(|| client_caps.skip_reason(case, &pki))
        .or_else(|| client_caps.groups_reason(case))
    {
        return Ok(CaseSummary::skipped(case, reason));
    }
    let short = match case.revocation.mode {
        RevocationMode::ShortLived => {
            match short_lived::ShortLived::setup(case, &pki, peers_dir, stem) {
                Ok(s) => Some(s),
                Err(e) => return Ok(CaseSummary::failed(case, e)),
            }
        }
        _ => None,
    };
    let client = match case.client {
        ClientImpl::Rustls if opts.target.is_some() => {
            let target = opts.target.as_deref();
            match target.map(|t| RustlsClient::for_target(case, &pki, t)) {
                Some(Ok(c)) => LoadClient::Rustls(Arc::new(c)),
                Some(Err(e)) => return Ok(CaseSummary::failed(case, e.to_string())),
                None => return Ok(CaseSummary::failed(case, "no target".into())),
            }
        }
        ClientImpl::Rustls => match rustls_client(case, &pki, short.as_ref()) {
            Ok(c) => LoadClient::Rustls(Arc::new(c)),
            Err(e) => return Ok(CaseSummary::failed(case, e.to_string())),
        },
        ClientImpl::Openssl => match OpensslClient::new(case, &pki) {
            Ok(c) => LoadClient::Openssl(Arc::new(c)),
            Err(e @ OpensslClientError::Unsupported(_)) => {
                return Ok(CaseSummary::skipped(case, e.to_string()))
            }
            Err(e) => return Ok(CaseSummary::failed(case, e.to_string())),
        },
        ClientImpl::SClient | ClientImpl::Node => {
            let kind = match case.client {
                ClientImpl::SClient => ProcessClientKind::SClient,
                _ => ProcessClientKind::Node,
            };
            LoadClient::Process(kind)
        }
    };
    let sources = revocation::prepare(case, fixtures, env.service)?;
    // Revoking the victim mid-run from a CRL file: the server reads a per-case copy of it.
    let staged = match (case.revocation.revoke_after, &sources.crl_file) {
        (Some(_), Some(shared)) => Some(exposure::stage(case, stem, &pki, shared, peers_dir)?),
        _ => None,
    };
    let crl_file = staged
        .as_ref()
        .map(|s| s.server_crl.clone())
        .or(sources.crl_file.clone());
    let publisher = match case.revocation.revoke_after {
        Some(_) => match exposure::publisher(case, &pki, staged, env.service, short.as_ref()) {
            Ok(p) => Some(p),
            Err(e) => return Ok(CaseSummary::failed(case, e)),
        },
        None => None,
    };
    let log = peers_dir.join(format!("{stem}-server.log"));
    let server = match &opts.target {
        Some(_) => None,
        None => match start_server(
            &opts.harness_exe,
            case,
            &files,
            &RevocationArgs {
                crl_file: crl_file.as_deref(),
                base_url: sources.base_url.as_deref(),
                rotating_cert: short.as_ref().map(|s| {
                    (
                        s.server_cert.as_path(),
                        s.server_key.as_path(),
                        s.server_poll(),
                    )
                }),
            },
            &log,
            server_cpus,
            opts.search_path.as_deref(),
        ) {
            Ok(s) => Some(s),
            Err(ProcessError::Skipped { reason }) => return Ok(CaseSummary::skipped(case, reason)),
            Err(e) => return Ok(CaseSummary::failed(case, e.to_string())),
        },
    };
    sys::reset_peak_rss();
    let rss_before = sys::own_rss().map(|(rss, _)| rss);
    let t0 = Instant::now();
    let resume = (case.tls.resumption != ResumptionMode::Off).then_some(case.tls.resume_fraction);
    let (addr, pid) = match (&server, &opts.target) {
        (Some(s), _) => (s.addr, s.cpu_pid()),
        (None, Some(t)) => (t.addr, None),
        (None, None) => return Ok(CaseSummary::failed(case, "no server".into())),
    };
    let targets = CpuTargets {
        server_pid: pid,
        side_thread: env.service.and_then(|s| s.thread_id()),
    };
    let cancel = Arc::clone(&opts.cancel);
    let extras = LoadExtras {
        interval: opts.interval,
        progress: live.map(|bar| bar as Arc<dyn crate::measure::ProgressSink>),
    };
    let load: std::pin::Pin<Box<dyn std::future::Future<Output = crate::measure::LoadResult>>> =
        match client {
            LoadClient::Rustls(connector) => Box::pin(run_load_with(
                &case.load,
                Arc::new(TlsAttempts { connector, addr }),
                targets,
                resume,
                cancel,
                &extras,
            )),
            LoadClient::Openssl(connector) => Box::pin(run_load_with(
                &case.load,
                Arc::new(TlsAttempts { connector, addr }),
                targets,
                resume,
                cancel,
                &extras,
            )),
            LoadClient::Process(kind) => {
                let work = peers_dir.join(format!("{stem}-client"));
                let search = opts.search_path.as_deref();
                match ProcessAttempts::prepare(kind, case, &pki, &files, addr, &work, search) {
                    Ok(client) => {
                        let spec = ProcessAttempts::schedule(&case.load);
                        Box::pin(async move {
                            run_load_with(&spec, Arc::new(client), targets, resume, cancel, &extras)
                                .await
                        })
                    }
                    Err(ProcessError::Skipped { reason }) => {
                        return Ok(CaseSummary::skipped(case, reason))
                    }
                    Err(e) => return Ok(CaseSummary::failed(case, e.to_string())),
                }
            }
        };
    let plan = match publisher {
        Some(publisher) => match exposure::plan(
            case,
            &pki,
            publisher,
            addr,
            t0 + case.load.warmup,
            &opts.cancel,
        ) {
            Ok(plan) => Some(plan),
            Err(e) => return Ok(CaseSummary::failed(case, e)),
        },
        None => None,
    };
    let counted = env
        .service
        .filter(|_| case.revocation.needs_service())
        .map(|s| revocation::queries_at(s, t0 + case.load.warmup));
    let load_done = AtomicBool::new(false);
    let load = async {
        let r = load.await;
        load_done.store(true, Ordering::Relaxed);
        r
    };
    let (mut result, exposure, queries, ()) = runtime.block_on(async {
        let probe = async {
            match plan {
                Some(plan) => Some(measure_exposure(plan).await),
                None => None,
            }
        };
        let count = async {
            match counted {
                Some(c) => Some(c.await),
                None => None,
            }
        };
        let renew = async {
            if let Some(short) = &short {
                short.renew_until(&load_done).await;
            }
        };
        tokio::join!(load, probe, count, renew)
    });
    let server_rss = server.as_ref().and_then(|s| sys::peak_rss_kib(s.pid()));
    let error_log = server
        .as_ref()
        .and_then(|s| s.error_log().map(Path::to_path_buf));
    let status_file = server
        .as_ref()
        .and_then(|s| s.status_file().map(Path::to_path_buf));
    if let Some(server) = server {
        server.stop();
    }
    // What the server reported on its status channel (built-in servers only).
    let events = status_file.map(|f| status::read(&f)).unwrap_or_default();
    // nginx answers a bad client certificate with HTTP 400; its error log says why.
    let peer_verdict = error_log.and_then(|log| peer_verdict(&mut result.recorder, &log));
    let mut entry = CaseSummary::measured(case, &result);
    entry.peer_verdict = peer_verdict;
    if let (Some(before), Some((_, peak))) = (rss_before, sys::own_rss()) {
        entry.client_peak_rss_bytes = Some(peak);
        let in_flight = files_needed(case).saturating_sub(64).max(1);
        entry.client_memory_per_connection_bytes =
            Some((peak.saturating_sub(before) as f64 / in_flight as f64).round());
    }
    entry.server_peak_rss_kib = server_rss;
    entry.crl = revocation::crl_figures(&events);
    if let (Some(first), Some(service)) = (queries, env.service) {
        let queries = revocation::queries_now(service).saturating_sub(first);
        entry.record_responder(queries, result.recorder.attempts());
    } else {
        entry.responder = None;
    }
    if let Some(short) = &short {
        entry.short_lived = Some(short.figures(&events));
    }
    if let Some(exposure) = exposure {
        if case.revocation.mode == crate::scenario::RevocationMode::OcspStapling {
            entry.rejudge_server_revoked(case);
        }
        entry.judge_exposure(case, exposure);
    }
    let r = &result.recorder;
    let h = if r.latency.is_empty() {
        &r.rejection_latency
    } else {
        &r.latency
    };
    if !h.is_empty() {
        entry.hgrm_file = Some(report::write_hgrm(run_dir, stem, h)?);
    }
    if r.intervals.any_accepted() || r.intervals.any_rejected() {
        let label = match opts.worker {
            Some(w) => format!("{} (worker {}/{})", case.name, w.index, w.of),
            None => case.name.clone(),
        };
        entry.hlog_file = Some(report::write_hlog(run_dir, stem, &label, &r.intervals)?);
    }
    Ok(entry)
}

/// Turns HTTP 400 replies into the verdict the peer's error log names (nginx): the 400s are
/// counted as that class, and the log's wording is returned for the summary. HTTP 403 (an
/// allow-list's refusal after a valid chain) is counted as `access_denied`.
fn peer_verdict(recorder: &mut crate::measure::Recorder, log: &Path) -> Option<String> {
    use crate::measure::Outcome;
    let replies = |recorder: &crate::measure::Recorder, code: u16| {
        recorder
            .http_errors
            .iter()
            .find(|(status, _)| *status == code)
            .map_or(0, |(_, n)| *n)
    };
    let mut said = Vec::new();
    let forbidden = replies(recorder, 403);
    if forbidden > 0 {
        recorder.reclassify(Outcome::HttpError, Outcome::AccessDenied, forbidden);
        said.push(format!(
            "HTTP 403 x{forbidden}: refused by the allow-list (counted as access_denied)"
        ));
    }
    let bad_request = replies(recorder, 400);
    if bad_request > 0 {
        said.push(match crate::peers::verdict_from_log(log) {
            None => format!("HTTP 400 x{bad_request}; the error log names no reason"),
            Some((outcome, reason)) => {
                recorder.reclassify(Outcome::HttpError, outcome, bad_request);
                format!("HTTP 400 x{bad_request}: {reason} (counted as {outcome})")
            }
        });
    }
    (!said.is_empty()).then(|| said.join("; "))
}

/// The rustls load client of `case`: with short-lived certificates, one whose identities
/// renew.
fn rustls_client(
    case: &Case,
    pki: &crate::pki::Pki,
    short: Option<&short_lived::ShortLived>,
) -> Result<RustlsClient, crate::peers::ClientError> {
    match (short, case.client_cert) {
        (Some(short), crate::pki::ClientCert::Valid) => {
            RustlsClient::rotating(case, pki, &short.client_certs())
        }
        _ => RustlsClient::new(case, pki),
    }
}

/// The load client of a case, by implementation.
enum LoadClient {
    Rustls(Arc<RustlsClient>),
    Openssl(Arc<OpensslClient>),
    Process(ProcessClientKind),
}

/// Why a case cannot run in target mode (skipped with this reason), if it cannot.
fn target_unsupported(case: &Case, opts: &RunOptions) -> Option<String> {
    opts.target.as_ref()?;
    if !capabilities::client(case.client).target_mode {
        return Some("target mode drives the external server with the rustls client".into());
    }
    if case.client_auth != crate::scenario::ClientAuth::Required {
        return Some(format!(
            "target mode: the external server's client-auth setting is its own (the case needs \"{}\")",
            case.client_auth
        ));
    }
    if case.revocation.mode != RevocationMode::None {
        return Some(
            "target mode: the external server checks revocation itself; the harness cannot give it a CRL"
                .into(),
        );
    }
    let server_side = [
        (case.verify_depth.is_some(), "verify_depth"),
        (!case.allowed_clients.is_empty(), "allowed_clients"),
        (!case.tls.client_sigalgs.is_empty(), "tls.client_sigalgs"),
    ];
    if let Some((_, key)) = server_side.iter().find(|(set, _)| *set) {
        return Some(format!(
            "target mode: the case needs a server-side setting ({key}) the harness cannot give the external server"
        ));
    }
    None
}
