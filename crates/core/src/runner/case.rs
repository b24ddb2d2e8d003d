//! One case end to end, in four phases run in this order: whether it can run and with which
//! client ([`prepare`]); its revocation sources and its server ([`serve`]); the load with its
//! side tasks ([`drive`]); the figures collected into its [`CaseSummary`] ([`collect`]). A case
//! that cannot run is recorded as skipped or failed; only what stops the whole run is a
//! [`RunError`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use super::client::{self, Drive, LoadClient, LoadFuture, NoClient};
use super::exposure::{self, measure_exposure, Publisher};
use super::fixtures::Fixtures;
use super::refused::Untrusted;
use super::revocation;
use super::short_lived::ShortLived;
use super::verdict::peer_verdict;
use super::{reach, trust};
use super::{RunError, RunOptions};
use crate::load::LoadExtras;
use crate::measure::Exposure;
use crate::measure::{CpuTargets, LoadResult};
use crate::peers::servers::status;
use crate::peers::{start_server, ProcessError, RevocationArgs, RunningServer};
use crate::pki::{Pki, PkiFiles};
use crate::report::{self, CaseSummary};
use crate::revocation::ocsp::RevocationService;
use crate::scenario::{Case, CommandPeer, ResumptionMode, RevocationMode, Schedule};
use crate::sys;

/// What every case of a run shares.
pub(super) struct RunEnv<'a> {
    /// The run's async runtime (the load and its side tasks run on it).
    pub runtime: &'a tokio::runtime::Runtime,
    /// The run directory (latency files go here).
    pub run_dir: &'a Path,
    /// Where the peers' files and logs go.
    pub peers_dir: &'a Path,
    /// CPUs for server processes.
    pub server_cpus: Option<Vec<usize>>,
    /// How to run.
    pub opts: &'a RunOptions,
    /// The run's revocation service, when a case needs it.
    pub service: Option<&'a RevocationService>,
}

/// Open files a case needs: one socket per connection in flight, plus slack.
pub(super) fn files_needed(case: &Case) -> u64 {
    let in_flight = match case.load.schedule {
        Schedule::Closed { concurrency } => concurrency,
        Schedule::Open { max_in_flight, .. } => max_in_flight,
    };
    in_flight as u64 + 64
}

/// How a case ends before its figures are collected.
pub(super) enum Ended {
    /// Skipped, with the reason.
    Skipped(String),
    /// Failed, with the message.
    Failed(String),
    /// The run cannot go on.
    Run(RunError),
}

impl From<RunError> for Ended {
    fn from(e: RunError) -> Self {
        Ended::Run(e)
    }
}

impl From<NoClient> for Ended {
    fn from(why: NoClient) -> Self {
        match why {
            NoClient::Skipped(reason) => Ended::Skipped(reason),
            NoClient::Failed(message) => Ended::Failed(message),
        }
    }
}

/// Runs `case` (files named after `stem`) and says what it found.
///
/// # Errors
/// [`RunError`] when the run cannot go on; a case that cannot run is an entry (skipped or
/// failed) instead.
pub(super) fn run_case(
    case: &Case,
    stem: &str,
    fixtures: &mut Fixtures,
    env: &RunEnv<'_>,
    live: Option<Arc<dyn crate::measure::ProgressSink>>,
) -> Result<CaseSummary, RunError> {
    settle(case, phases(case, stem, fixtures, env, live))
}

/// `case`'s entry from how its phases ended: measured, skipped or failed.
///
/// # Errors
/// [`RunError`] when the run cannot go on.
pub(super) fn settle(
    case: &Case,
    ended: Result<CaseSummary, Ended>,
) -> Result<CaseSummary, RunError> {
    match ended {
        Ok(entry) => Ok(entry),
        Err(Ended::Skipped(reason)) => Ok(CaseSummary::skipped(case, reason)),
        Err(Ended::Failed(message)) => Ok(CaseSummary::failed(case, message)),
        Err(Ended::Run(e)) => Err(e),
    }
}

/// The four phases in order; a phase that ends the case early returns [`Ended`].
fn phases(
    case: &Case,
    stem: &str,
    fixtures: &mut Fixtures,
    env: &RunEnv<'_>,
    live: Option<Arc<dyn crate::measure::ProgressSink>>,
) -> Result<CaseSummary, Ended> {
    let layout = super::fixtures::CrlLayout::of(case);
    let (pki, files) = fixtures.get(case.key, case.intermediates, layout)?;
    let parts = Parts {
        case,
        stem,
        pki: &pki,
        files: &files,
        env,
    };
    let (short, client) = prepare(&parts)?;
    // The target's own command (if the case has one) runs from here: the trust handshake
    // needs a server to answer.
    let (serving, crl_files) = serve(&parts, fixtures, short.as_ref())?;
    if let Some(target) = env.opts.target.as_deref() {
        let reached = fixtures.reached(reach::key(&case.tls), || {
            reach::check(case, &pki, target, env.runtime)
        });
        let trusted = match reached {
            Ok(()) if trust::needs_check(case) => {
                trust::gate(case, &pki, fixtures, target, env.runtime)?
            }
            other => other,
        };
        match trusted {
            Ok(()) => {}
            Err(Untrusted::Skip(reason)) => return Err(Ended::Skipped(reason)),
            Err(Untrusted::Refused(why)) => return Err(Ended::Run(RunError::TargetRefused(why))),
        }
    }
    let ran = drive(&parts, client, serving, short.as_ref(), live)?;
    let mut entry = collect(&parts, ran, short.as_ref())?;
    entry.crl_files = crl_files;
    Ok(entry)
}

/// What the phases of one case share.
pub(super) struct Parts<'a> {
    pub case: &'a Case,
    /// Names the case's files.
    pub stem: &'a str,
    pub pki: &'a Arc<Pki>,
    pub files: &'a PkiFiles,
    pub env: &'a RunEnv<'a>,
}

/// Phase 1: whether the case can run here (target-mode rules, the client's capabilities; if
/// not it is skipped), its short-lived certificates (mode `short_lived`), and its load client.
pub(super) fn prepare(parts: &Parts<'_>) -> Result<(Option<ShortLived>, LoadClient), Ended> {
    let Parts {
        case,
        stem,
        pki,
        env,
        ..
    } = *parts;
    if let Some(reason) = client::skip_reason(case, pki, env.opts) {
        return Err(Ended::Skipped(reason));
    }
    let short = match case.revocation.mode() {
        RevocationMode::ShortLived => Some(
            ShortLived::setup(case, pki, env.peers_dir, stem)
                .map_err(|e| Ended::Failed(e.to_string()))?,
        ),
        _ => None,
    };
    let client = LoadClient::choose(case, pki, env.opts, short.as_ref())?;
    Ok((short, client))
}

/// The case's server (none in target mode) and how its mid-run revocation is published.
pub(super) struct Serving {
    pub server: Option<RunningServer>,
    pub publisher: Option<Publisher>,
}

/// Phase 2: the case's revocation sources (the service set up, the CRL file; for a mid-run
/// revocation from a CRL file the server's own copy staged, and the publisher), then the
/// server started on them, unless in target mode (where only a command peer is started, as
/// the target). The server may skip the case.
pub(super) fn serve(
    parts: &Parts<'_>,
    fixtures: &mut Fixtures,
    short: Option<&ShortLived>,
) -> Result<(Serving, Option<crate::report::CrlFileFigures>), Ended> {
    let Parts {
        case,
        stem,
        pki,
        files,
        env,
    } = *parts;
    let RunEnv {
        peers_dir, opts, ..
    } = *env;
    let sources = revocation::prepare(case, fixtures, env.service)?;
    // Revoking the victim mid-run from a CRL file: the server reads a per-case copy of it.
    let staged = match (case.revocation.revoke_after(), &sources.crl_file) {
        (Some(_), Some(shared)) => Some(exposure::stage(case, stem, pki, shared, peers_dir)?),
        _ => None,
    };
    let crl_file: Option<PathBuf> = staged
        .as_ref()
        .map(|s| s.server_crl.clone())
        .or(sources.crl_file.clone());
    let publisher = match case.revocation.revoke_after() {
        Some(_) => Some(
            exposure::publisher(case, pki, staged, env.service, short)
                .map_err(|e| Ended::Failed(e.to_string()))?,
        ),
        None => None,
    };
    let log = peers_dir.join(format!("{stem}-server.log"));
    // In target mode a case's command peer is the target itself, started on the target's
    // address with its own certificates and configuration; other servers are not started.
    let managed = match (&opts.target, &case.command) {
        (Some(t), Some(peer)) => {
            let mut case = case.clone();
            case.command = Some(CommandPeer {
                listen: Some(t.addr),
                ..peer.clone()
            });
            Some(case)
        }
        _ => None,
    };
    let server = match (&opts.target, managed.as_ref()) {
        (Some(_), None) => None,
        (_, managed) => match start_server(
            &opts.harness_exe,
            managed.unwrap_or(case),
            files,
            &RevocationArgs {
                crl_file: crl_file.as_deref(),
                base_url: sources.base_url.as_deref(),
                rotating_cert: short.map(|s| {
                    (
                        s.server_cert.as_path(),
                        s.server_key.as_path(),
                        s.server_poll(),
                    )
                }),
                crl_check_all: false,
            },
            &log,
            env.server_cpus.clone(),
            opts.search_path.as_deref(),
        ) {
            Ok(s) => Some(s),
            Err(ProcessError::Skipped { reason }) => return Err(Ended::Skipped(reason)),
            Err(e) => return Err(Ended::Failed(e.to_string())),
        },
    };
    Ok((Serving { server, publisher }, sources.crl_files))
}

/// What the load and its side tasks left.
pub(super) struct Ran {
    /// The server, still running.
    pub server: Option<RunningServer>,
    /// The load's figures.
    pub result: LoadResult,
    /// What the exposure probe saw (mid-run revocation).
    pub exposure: Option<Exposure>,
    /// The responder's query count when the measured window began.
    pub queries: Option<u64>,
    /// The responder's counters when the load began ([`revocation::source_counters`]).
    pub source_at_start: Option<(u64, u64)>,
    /// The harness's resident memory before the load.
    pub rss_before: Option<u64>,
}

/// Phase 3: the load against the server, and beside it on the same runtime: the exposure
/// probe (which publishes the revocation at its moment), the responder's query count at the
/// end of the warm-up, and the short-lived certificates' renewals until the load ends.
fn drive(
    parts: &Parts<'_>,
    client: LoadClient,
    serving: Serving,
    short: Option<&ShortLived>,
    live: Option<Arc<dyn crate::measure::ProgressSink>>,
) -> Result<Ran, Ended> {
    let Parts { case, pki, env, .. } = *parts;
    let RunEnv { runtime, opts, .. } = *env;
    let Serving { server, publisher } = serving;
    sys::reset_peak_rss();
    let rss_before = sys::own_rss().map(|(rss, _)| rss);
    let t0 = Instant::now();
    let source_at_start = env.service.map(revocation::source_counters);
    let (addr, pid) = match (&server, &opts.target) {
        (Some(s), _) => (s.addr, s.cpu_pid()),
        (None, Some(t)) => (t.addr, None),
        (None, None) => return Err(Ended::Failed("no server".into())),
    };
    let extras = LoadExtras {
        interval: opts.interval,
        progress: live,
    };
    let load = start_load(parts, client, addr, pid, &extras)?;
    let plan = match publisher {
        Some(publisher) => Some(
            exposure::plan(
                case,
                pki,
                publisher,
                addr,
                t0 + case.load.warmup,
                &opts.cancel,
            )
            .map_err(|e| Ended::Failed(e.to_string()))?,
        ),
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
    let (result, exposure, queries, ()) = runtime.block_on(async {
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
            if let Some(short) = short {
                short.renew_until(&load_done).await;
            }
        };
        tokio::join!(load, probe, count, renew)
    });
    Ok(Ran {
        server,
        result,
        exposure,
        queries,
        source_at_start,
        rss_before,
    })
}

/// The case's load by `client` against `addr`, the CPU of server process `pid` (and the
/// revocation service's thread) measured over its window; not yet awaited.
pub(super) fn start_load<'a>(
    parts: &Parts<'a>,
    client: LoadClient,
    addr: SocketAddr,
    pid: Option<u32>,
    extras: &'a LoadExtras,
) -> Result<LoadFuture<'a>, Ended> {
    let Parts {
        case,
        stem,
        pki,
        files,
        env,
    } = *parts;
    let drive = Drive {
        addr,
        targets: CpuTargets {
            server_pid: pid,
            side_thread: env.service.and_then(|s| s.thread_id()),
        },
        resume: (case.tls.resumption != ResumptionMode::Off).then_some(case.tls.resume_fraction),
        cancel: Arc::clone(&env.opts.cancel),
        target: env.opts.target.as_deref(),
        extras,
    };
    let work = env.peers_dir.join(format!("{stem}-client"));
    let search = env.opts.search_path.as_deref();
    Ok(client.load(case, pki, files, &work, search, drive)?)
}

/// Phase 4: the server's peak memory read and the server stopped, its status events and
/// error log read; then the case's entry: the load's outcomes (with the peer's verdict on its
/// HTTP errors), memory, CRL, responder, short-lived and exposure figures, and the latency
/// files (HDR histogram and interval log).
///
/// # Errors
/// When a latency file cannot be written.
pub(super) fn collect(
    parts: &Parts<'_>,
    ran: Ran,
    short: Option<&ShortLived>,
) -> Result<CaseSummary, RunError> {
    let Parts {
        case, stem, env, ..
    } = *parts;
    let RunEnv { run_dir, opts, .. } = *env;
    let Ran {
        server,
        mut result,
        exposure,
        queries,
        source_at_start,
        rss_before,
    } = ran;
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
    entry.crl_fetches = env.service.and_then(revocation::crl_fetches);
    if let (Some(at_start), Some(service)) = (source_at_start, env.service) {
        entry.revocation_queries =
            revocation::source_queries(case, service, at_start, entry.crl_fetches.as_ref());
    }
    if let (Some(first), Some(service)) = (queries, env.service) {
        let queries = revocation::queries_now(service).saturating_sub(first);
        entry.record_responder(queries, result.recorder.attempts());
    } else {
        entry.responder = None;
    }
    if let Some(short) = short {
        entry.short_lived = Some(short.figures(&events));
    }
    if let Some(exposure) = exposure {
        if case.revocation.mode() == RevocationMode::OcspStapling {
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
