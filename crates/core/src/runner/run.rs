//! The run loop: the cases with the overrides applied, the checks and set-up every case shares
//! (open-file limit, CPU pinning, run directory, runtime, revocation service, fixtures), then
//! each case in turn with `summary.json` rewritten after it, so an interrupted run (Ctrl-C sets
//! the cancel flag) keeps what it measured. On the first signal the summary on disk also names
//! the case in flight as interrupted (with how long it had run), so a second signal, which ends
//! the process before that case's figures are collected, still leaves it recorded; when the
//! case does finish, its measured entry takes that place.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::case::{files_needed, run_case, RunEnv};
use super::dirs::{default_dir, prepare};
use super::fixtures::Fixtures;
use super::interrupt::Unsettled;
use super::manifest::{note_in_flight, note_run_files};
use super::options::{MAX_INTERVALS, MIN_LOG_INTERVAL};
use super::pair::run_pair;
use super::{Overrides, RunError, RunOptions, RunOutcome};
use crate::report::{
    self, CaseSummary, Pinning, RunSummary, ScenarioInfo, ToolInfo, SCHEMA_VERSION,
};
use crate::revocation::ocsp::{Responder, RevocationService};
use crate::scenario::{Case, RevocationMode, Scenario, Stop};
use crate::sys;

/// Now (UTC) as the summary writes times; empty if it cannot be formatted.
fn now_rfc3339() -> String {
    OffsetDateTime::now_utc()
        .format(&Rfc3339)
        .unwrap_or_default()
}

/// Runs `scenario`.
///
/// # Errors
/// [`RunError`] when the run cannot be carried out at all; a case that cannot run is recorded
/// in the summary instead.
pub fn run(scenario: &Scenario, opts: &RunOptions) -> Result<RunOutcome, RunError> {
    let cases = applied_cases(scenario, opts)?;
    check_file_limit(&cases)?;
    let server_cpus = pin_client(opts)?;
    let (dir, peers_dir) = make_run_dir(scenario, opts)?;

    // In progress (`interrupted: true`) until the last write below: a run that ends abruptly
    // reads as incomplete, with the cases it lacks named in `planned_cases`.
    let summary = new_summary(scenario, &cases, opts);
    write_summary(&dir, &summary)?;
    // From here an interruption must reach the summary on disk before a second signal may end
    // the process (see `interrupt`).
    let unsettled = Unsettled::new();
    let summary = Mutex::new(summary);

    // On one CPU (pinned), a single-threaded runtime: no cross-thread wake-ups, no stealing.
    let cpus = sys::usable_cpus();
    let runtime = sys::runtime(cpus, cpus == 1).map_err(RunError::Runtime)?;
    if let Some(target) = opts.target.as_deref() {
        super::late_auth::check(&cases, target, &runtime)?;
    }
    let service = start_service(&cases, opts)?;
    let mut fixtures = Fixtures::new(scenario.pki.clone(), dir.join("pki"));
    if let Some(service) = &service {
        serve_revocation(&mut fixtures, service, opts);
    }

    let env = RunEnv {
        runtime: &runtime,
        run_dir: &dir,
        peers_dir: &peers_dir,
        server_cpus,
        opts,
        service: service.as_ref(),
    };
    let done = AtomicBool::new(false);
    let in_flight = Mutex::new(None);
    let result = std::thread::scope(|scope| {
        // Without the watcher (no thread to be had) the summary is still rewritten after each
        // case; only a second signal in the middle of one loses the interruption mark.
        let _ = std::thread::Builder::new()
            .name("interrupt-watch".into())
            .spawn_scoped(scope, || {
                let run = Watched {
                    summary: &summary,
                    in_flight: &in_flight,
                    dir: &dir,
                };
                watch_interruption(&opts.cancel, &done, &run, &unsettled);
            });
        let run = Watched {
            summary: &summary,
            in_flight: &in_flight,
            dir: &dir,
        };
        let result = run_cases(&cases, &mut fixtures, &env, &run);
        done.store(true, Ordering::SeqCst);
        result
    });
    result?;
    let mut summary = summary.into_inner().unwrap_or_else(PoisonError::into_inner);
    // The last write: complete unless a signal cut the run short.
    summary.interrupted = opts.cancel.load(Ordering::SeqCst);
    summary.finished_at = now_rfc3339();
    write_summary(&dir, &summary)?;
    Ok(RunOutcome { dir, summary })
}

/// Fails when a case needs more open files than the (raised) limit allows.
fn check_file_limit(cases: &[Case]) -> Result<(), RunError> {
    let limit = sys::raise_nofile_limit().unwrap_or(1024);
    if let Some(case) = cases.iter().find(|c| files_needed(c) > limit) {
        return Err(RunError::FileLimit {
            case: case.name.clone(),
            needed: files_needed(case),
            limit,
        });
    }
    Ok(())
}

/// Pins the harness to the client CPUs, if asked; returns the servers' CPUs.
fn pin_client(opts: &RunOptions) -> Result<Option<Vec<usize>>, RunError> {
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
    Ok(server_cpus)
}

/// The run directory (absolute; prepared by [`prepare`]: a link refused, a previous run's
/// listed outputs removed, nothing else) and its `peers/`.
fn make_run_dir(scenario: &Scenario, opts: &RunOptions) -> Result<(PathBuf, PathBuf), RunError> {
    let dir = opts
        .out_dir
        .clone()
        .unwrap_or_else(|| default_dir(&opts.runs_root, &scenario.name));
    // Absolute, so the paths written into peer configurations mean the same from the peer's
    // own working directory (nginx resolves relative ones against its prefix).
    let dir = std::path::absolute(&dir).unwrap_or(dir);
    prepare(&dir)?;
    let peers_dir = dir.join("peers");
    Ok((dir, peers_dir))
}

/// The run's revocation service, when a case needs it.
fn start_service(cases: &[Case], opts: &RunOptions) -> Result<Option<RevocationService>, RunError> {
    // One revocation service per run, when a case needs it: its URL goes into every
    // certificate of the run (AIA and CRL distribution point).
    if cases
        .iter()
        .any(|c| c.revocation.needs_service() || c.revocation.names_own_crl_urls())
    {
        RevocationService::start_on(
            opts.revocation_listen
                .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 0))),
            Arc::new(Responder::new()),
        )
        .map(Some)
        .map_err(RunError::RevocationService)
    } else {
        Ok(None)
    }
}

/// Points the fixtures' certificates at `service` (and tells a target's operator where the
/// OCSP responder is).
fn serve_revocation(fixtures: &mut Fixtures, service: &RevocationService, opts: &RunOptions) {
    fixtures.serve_revocation(service.base_url(), Arc::clone(&service.responder));
    if opts.target.is_some() && opts.target_revocation == Some(RevocationMode::Ocsp) {
        // Printed even with --quiet: the target's operator needs it to configure. A closed
        // stdout is no reason to stop the run.
        let _ = writeln!(
            std::io::stdout(),
            "{}",
            super::target_ocsp::guidance(&service.base_url())
        );
    }
}

/// What the run loop and the interruption watcher share. Lock order: `summary`, then
/// `in_flight`.
struct Watched<'a> {
    summary: &'a Mutex<RunSummary>,
    /// The case running now and when it started; `None` between cases.
    in_flight: &'a Mutex<Option<(Case, Instant)>>,
    dir: &'a Path,
}

/// Each case in turn, its entry added to the summary and the summary rewritten after it.
fn run_cases(
    cases: &[Case],
    fixtures: &mut Fixtures,
    env: &RunEnv<'_>,
    run: &Watched<'_>,
) -> Result<(), RunError> {
    let summary = run.summary;
    let opts = env.opts;
    let mut stems = std::collections::HashSet::new();
    let mut i = 0;
    while i < cases.len() {
        let case = &cases[i];
        if opts.cancel.load(Ordering::Relaxed) {
            let mut summary = lock(summary);
            summary.interrupted = true;
            summary.finished_at = now_rfc3339();
            write_summary(env.run_dir, &summary)?;
            break;
        }
        if opts.side_by_side && i + 1 < cases.len() {
            let pair = [case, &cases[i + 1]];
            if !opts.quiet {
                eprintln!(
                    "[{}-{}/{}] {} and {}, side by side ...",
                    i + 1,
                    i + 2,
                    cases.len(),
                    pair[0].name,
                    pair[1].name
                );
            }
            let stems = pair.map(|c| report::unique_file_stem(&c.name, &mut stems));
            note_in_flight(env.run_dir, &[&stems[0], &stems[1]]);
            *lock(run.in_flight) = Some((case.clone(), Instant::now()));
            let entries = match run_pair(pair, [&stems[0], &stems[1]], fixtures, env) {
                Ok(entries) => entries,
                Err(e) => {
                    *lock(run.in_flight) = None;
                    return Err(e);
                }
            };
            for (k, entry) in entries.into_iter().enumerate() {
                record(pair[k], entry, i + k, cases.len(), env, run)?;
            }
            i += 2;
            continue;
        }
        if !opts.quiet {
            eprintln!("[{}/{}] {} ...", i + 1, cases.len(), case.name);
        }
        let stem = report::unique_file_stem(&case.name, &mut stems);
        note_in_flight(env.run_dir, &[&stem]);
        *lock(run.in_flight) = Some((case.clone(), Instant::now()));
        let live = opts
            .live
            .as_ref()
            .map(|live| live.start(format!("[{}/{}] {}", i + 1, cases.len(), case.name)));
        let entry = run_case(case, &stem, fixtures, env, live.clone());
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                *lock(run.in_flight) = None;
                return Err(e);
            }
        };
        if let Some(bar) = live {
            bar.finish();
        }
        record(case, entry, i, cases.len(), env, run)?;
        i += 1;
    }
    Ok(())
}

/// Case `i` of `of`'s entry completed (target named, thresholds checked), printed, added to
/// the summary, and the summary rewritten.
fn record(
    case: &Case,
    mut entry: CaseSummary,
    i: usize,
    of: usize,
    env: &RunEnv<'_>,
    run: &Watched<'_>,
) -> Result<(), RunError> {
    let opts = env.opts;
    if let Some(t) = &opts.target {
        entry.server = match &case.command {
            Some(_) => format!("target {} (started by the case's command)", t.given),
            None => format!("target {}", t.given),
        };
    }
    entry.thresholds = report::check_thresholds(&case.thresholds, &entry);
    if !opts.quiet {
        eprintln!("[{}/{}] {}: {}", i + 1, of, case.name, entry.verdict);
    }
    let mut summary = lock(run.summary);
    summary.cases.push(entry);
    *lock(run.in_flight) = None;
    summary.interrupted |= opts.cancel.load(Ordering::Relaxed);
    summary.finished_at = now_rfc3339();
    summary.revocation_comparison = report::revocation_rows(&summary.cases);
    summary.revocation_per_stack = report::revocation_stack_rows(&summary.revocation_comparison);
    summary.revocation_strategy = report::revocation_strategy(&summary.revocation_comparison);
    write_summary(env.run_dir, &summary)?;
    Ok(())
}

/// The shared value, also after a thread panicked holding it (it is plain data).
fn lock<T>(shared: &Mutex<T>) -> MutexGuard<'_, T> {
    shared.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Until the run is `done`: on the first signal, rewrites the summary on disk with
/// `interrupted: true`, the cases measured so far and the case in flight as interrupted
/// ([`interrupted_entry`]), then settles the run, so a second signal may end the process
/// without losing them. The shared summary keeps no such entry: the case's own, measured one
/// replaces it on disk if the case finishes.
fn watch_interruption(
    cancel: &AtomicBool,
    done: &AtomicBool,
    run: &Watched<'_>,
    unsettled: &Unsettled,
) {
    while !done.load(Ordering::SeqCst) {
        if cancel.load(Ordering::SeqCst) {
            let mut summary = lock(run.summary);
            summary.interrupted = true;
            summary.finished_at = now_rfc3339();
            let mut on_disk = summary.clone();
            if let Some((case, started)) = lock(run.in_flight).as_ref() {
                on_disk
                    .cases
                    .push(interrupted_entry(case, started.elapsed()));
            }
            if let Err(e) = write_summary(run.dir, &on_disk) {
                tracing::warn!("marking the run interrupted: {e}");
            }
            // Settled either way: waiting longer would not make a failed write succeed.
            unsettled.settle();
            return;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// The entry of a case that was in flight `ran` when the run was interrupted, as the summary
/// on disk holds it until the case's own figures replace it: not met, its state in `verdict`
/// and `error`.
fn interrupted_entry(case: &Case, ran: Duration) -> CaseSummary {
    let state = format!(
        "interrupted: in flight for {:.1} s when the run was interrupted; the run ended before its figures were collected",
        ran.as_secs_f64()
    );
    let mut entry = CaseSummary::planned(case);
    entry.verdict.clone_from(&state);
    entry.error = Some(state);
    entry
}

/// Writes `summary.json` (and `cases.csv`) into `dir`, and lists them in its manifest.
fn write_summary(dir: &Path, summary: &RunSummary) -> Result<(), RunError> {
    report::write_summary(dir, summary)?;
    note_run_files(dir);
    Ok(())
}

/// The summary of `scenario` before its first case: no cases yet, started and finished now,
/// in progress (`interrupted` until the run's last write), every case of `cases` planned.
fn new_summary(scenario: &Scenario, cases: &[Case], opts: &RunOptions) -> RunSummary {
    RunSummary {
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
        interrupted: true,
        planned_cases: cases.iter().map(|c| c.name.clone()).collect(),
        usable_cpus: sys::usable_cpus(),
        pinning: Pinning {
            server_cpus: opts.server_cpus.clone(),
            client_cpus: opts.client_cpus.clone(),
        },
        cases: Vec::new(),
        revocation_comparison: Vec::new(),
        revocation_per_stack: Vec::new(),
        revocation_strategy: None,
    }
}

/// Checks what [`run`] would refuse before its first case (the cases with the overrides
/// applied), without running anything: callers with several scenarios refuse them all up front.
///
/// # Errors
/// As [`run`] for its cases ([`RunError::TooShort`]).
pub fn check(scenario: &Scenario, opts: &RunOptions) -> Result<(), RunError> {
    applied_cases(scenario, opts).map(drop)
}

/// The cases of `scenario` with the command line's overrides applied, and this worker's share
/// of each load.
///
/// # Errors
/// [`RunError::TooShort`] when a case revokes its victim mid-run and the load (as given or as
/// overridden) ends before the revocation can be seen, or is a handshake count: the case
/// could only report that the victim was never rejected.
fn applied_cases(scenario: &Scenario, opts: &RunOptions) -> Result<Vec<Case>, RunError> {
    let cases: Vec<Case> = scenario
        .cases
        .iter()
        .map(|c| opts.overrides.apply(c))
        .map(|c| match opts.worker {
            Some(w) => w.apply(&c),
            None => c,
        })
        .map(|c| match opts.target {
            Some(_) => super::client::named_for_target(&c),
            None => c,
        })
        .collect();
    for case in &cases {
        check_exposure_window(case, &opts.overrides)?;
        check_interval(case, opts.interval)?;
    }
    Ok(cases)
}

/// A case measured for a duration writes one interval per `interval`: at most
/// [`MAX_INTERVALS`] of them, so its log stays inside what the readers accept. (A case that
/// counts handshakes has no duration to check; the slice itself is at least
/// [`MIN_LOG_INTERVAL`], as the command line checks.)
fn check_interval(case: &Case, interval: Duration) -> Result<(), RunError> {
    let Stop::Duration(measured) = case.load.stop else {
        return Ok(());
    };
    let window = measured.saturating_add(case.load.warmup);
    let interval = interval.max(MIN_LOG_INTERVAL);
    let intervals = window.as_nanos().div_ceil(interval.as_nanos());
    if intervals <= u128::from(MAX_INTERVALS) {
        return Ok(());
    }
    let intervals = u64::try_from(intervals).unwrap_or(u64::MAX);
    let shortest_ms = window.as_millis().div_ceil(u128::from(MAX_INTERVALS));
    let shortest = Duration::from_millis(u64::try_from(shortest_ms).unwrap_or(u64::MAX));
    Err(RunError::IntervalTooShort {
        case: case.name.clone(),
        interval,
        window,
        intervals,
        shortest,
    })
}

/// A case that revokes its victim `revoke_after` into the window must measure at least that
/// long plus the time its mode may take to notice (the CRL reload, OCSP cache TTL, staple
/// refresh or certificate lifetime).
fn check_exposure_window(case: &Case, overrides: &Overrides) -> Result<(), RunError> {
    let Some(revoke_after) = case.revocation.revoke_after() else {
        return Ok(());
    };
    let detection = case.revocation.refresh_interval().unwrap_or_default();
    let needed = revoke_after.saturating_add(detection);
    let given = match case.load.stop {
        Stop::Duration(d) => d,
        Stop::Handshakes(_) => Duration::ZERO,
    };
    if needed <= given && matches!(case.load.stop, Stop::Duration(_)) {
        return Ok(());
    }
    let source = match (overrides.duration, overrides.handshakes) {
        (_, Some(n)) => format!("--handshakes {n} (a count, no duration)"),
        (Some(d), None) => format!("--duration {}", humantime::format_duration(d)),
        (None, None) => format!("load.duration {}", humantime::format_duration(given)),
    };
    Err(RunError::TooShort {
        case: case.name.clone(),
        revoke_after,
        detection,
        needed,
        given: source,
    })
}
