//! The load engine: one worker loop, fed by a [`Ticketer`], run by as many tasks as the
//! schedule allows in flight. Each worker records into its own [`Recorder`]; the recorders are
//! merged at the end. CPU is read at the start and the end of the measured window.

use std::net::SocketAddr;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::attempt::attempt;
use super::ticket::Ticketer;
use crate::measure::{CpuSnapshot, CpuUsage, Recorder};
use crate::peers::Connector;
use crate::scenario::{LoadSpec, Schedule};

/// What a load produced.
#[derive(Debug)]
pub struct LoadResult {
    /// Everything measured (warm-up excluded).
    pub recorder: Recorder,
    /// CPU over the measured window.
    pub cpu: CpuUsage,
    /// Length of the measured window.
    pub window: Duration,
    /// True when a cancellation cut the load short.
    pub interrupted: bool,
}

/// Drives `spec` against `addr` with `connector`. `server_pid` is read for server CPU.
/// `resume_fraction` (resumption on) is the share of handshakes that try to resume.
/// `cancel` stops the schedule; attempts in flight still finish (within their timeout).
pub async fn run_load<C: Connector>(
    spec: &LoadSpec,
    addr: SocketAddr,
    connector: Arc<C>,
    server_pid: Option<u32>,
    resume_fraction: Option<f64>,
    cancel: Arc<AtomicBool>,
) -> LoadResult {
    let t0 = Instant::now();
    let ticketer = Arc::new(Ticketer::new(spec, t0, resume_fraction, cancel));
    let workers = match spec.schedule {
        Schedule::Closed { concurrency } => concurrency,
        Schedule::Open { max_in_flight, .. } => max_in_flight,
    };

    // CPU at the start of the window; the end reading is taken at the window's end (duration
    // mode) or when the last worker finishes (count mode).
    let start_cpu = Arc::new(Mutex::new(None));
    let end_cpu = Arc::new(Mutex::new(None));
    let sampler = {
        let (ticketer, start_cpu, end_cpu) = (
            Arc::clone(&ticketer),
            Arc::clone(&start_cpu),
            Arc::clone(&end_cpu),
        );
        tokio::spawn(async move {
            tokio::time::sleep_until(ticketer.warmup_end().into()).await;
            *start_cpu.lock().await = Some(CpuSnapshot::take(server_pid));
            if let Some(end) = ticketer.window_end() {
                tokio::time::sleep_until(end.into()).await;
                *end_cpu.lock().await = Some(CpuSnapshot::take(server_pid));
            }
        })
    };

    let mut handles = Vec::with_capacity(workers);
    for _ in 0..workers {
        let (ticketer, connector) = (Arc::clone(&ticketer), Arc::clone(&connector));
        let timeout = spec.timeout;
        handles.push(tokio::spawn(async move {
            let mut recorder = Recorder::default();
            let window_end = ticketer.window_end();
            while let Some(ticket) = ticketer.next(Instant::now()) {
                if ticket.intended > Instant::now() {
                    tokio::time::sleep_until(ticket.intended.into()).await;
                    if ticketer.cancelled() {
                        break;
                    }
                }
                let sample = attempt(
                    &*connector,
                    addr,
                    ticket.identity,
                    ticket.intended,
                    timeout,
                    ticket.resume,
                )
                .await;
                if ticket.measured {
                    recorder.record(&sample, window_end);
                }
            }
            recorder
        }));
    }
    let mut recorder = Recorder::default();
    for handle in handles {
        if let Ok(part) = handle.await {
            recorder.merge(&part);
        }
    }
    let finished = CpuSnapshot::take(server_pid);
    let interrupted = ticketer.cancelled();
    // Cancelled before the window ended: close the window now.
    sampler.abort();
    let start = start_cpu.lock().await.unwrap_or(finished);
    let end = end_cpu.lock().await.unwrap_or(match recorder.last_end {
        Some(last) if ticketer.window_end().is_none() => CpuSnapshot {
            at: last,
            ..finished
        },
        _ => finished,
    });
    let cpu = CpuUsage::between(&start, &end);
    LoadResult {
        recorder,
        window: cpu.wall,
        cpu,
        interrupted,
    }
}
