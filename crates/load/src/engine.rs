//! The load engine: one worker loop, fed by a [`Ticketer`], run by as many tasks as the
//! schedule allows in flight. Workers record into a few shared, sharded recorders (a lock each,
//! uncontended in practice), so memory does not grow with the number of workers. CPU is read by
//! a plain thread at the start and the end of the measured window, so a busy runtime cannot
//! delay the readings.

use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::live::LiveFeed;
use super::ticket::Ticketer;
use super::Attempter;
use crate::measure::{
    CpuSnapshot, CpuTargets, CpuUsage, Intervals, LoadResult, ProgressSink, Recorder,
    DEFAULT_INTERVAL,
};
use crate::scenario::{LoadSpec, Schedule, Stop};

/// Optional parts of a load beyond the case itself.
#[derive(Clone)]
pub struct LoadExtras {
    /// Slice length of the per-interval histograms (the HDR interval log).
    pub interval: Duration,
    /// Receives live snapshots while the load runs.
    pub progress: Option<Arc<dyn ProgressSink>>,
}

impl std::fmt::Debug for LoadExtras {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadExtras")
            .field("interval", &self.interval)
            .field("progress", &self.progress.is_some())
            .finish()
    }
}

impl Default for LoadExtras {
    fn default() -> Self {
        Self {
            interval: DEFAULT_INTERVAL,
            progress: None,
        }
    }
}

/// [`run_load_with`] with default [`LoadExtras`].
pub async fn run_load<A: Attempter>(
    spec: &LoadSpec,
    attempter: Arc<A>,
    targets: CpuTargets,
    resume_fraction: Option<f64>,
    cancel: Arc<AtomicBool>,
) -> LoadResult {
    run_load_with(
        spec,
        attempter,
        targets,
        resume_fraction,
        cancel,
        &LoadExtras::default(),
    )
    .await
}

/// Drives `spec` with `attempter` (an in-process client against a server, or a process client). `targets` says whose CPU to read besides
/// the harness's own (the server process, an in-process service thread).
/// `resume_fraction` (resumption on) is the share of handshakes that try to resume.
/// `cancel` stops the schedule; attempts in flight still finish (within their timeout).
///
/// The measured window runs from the end of the warm-up to the end of the duration (or, when
/// the case ends by a handshake count, to the last completion). Throughput and CPU per
/// handshake count every attempt that *ended* inside it, warm-up tickets included, because
/// their work is inside the CPU readings; latency and outcomes count the attempts that
/// *started* inside it. Per-interval histograms slice the window by `extras.interval`.
pub async fn run_load_with<A: Attempter>(
    spec: &LoadSpec,
    attempter: Arc<A>,
    targets: CpuTargets,
    resume_fraction: Option<f64>,
    cancel: Arc<AtomicBool>,
    extras: &LoadExtras,
) -> LoadResult {
    let t0 = Instant::now();
    let ticketer = Arc::new(Ticketer::new(spec, t0, resume_fraction, cancel));
    let workers = match spec.schedule {
        Schedule::Closed { concurrency } => concurrency,
        Schedule::Open { max_in_flight, .. } => max_in_flight,
    }
    .max(1);
    let shards = shards(&ticketer, workers, extras.interval);
    let sampler = CpuSampler::start(ticketer.warmup_end(), ticketer.window_end(), targets);
    let live = extras.progress.as_ref().map(|sink| {
        LiveFeed::start(
            Arc::clone(&shards),
            Arc::clone(sink),
            ticketer.warmup_end(),
            Duration::from_millis(200),
        )
    });

    let mut handles = Vec::with_capacity(workers);
    for w in 0..workers {
        let (ticketer, attempter, shards) = (
            Arc::clone(&ticketer),
            Arc::clone(&attempter),
            Arc::clone(&shards),
        );
        let ramp = ramp_start(spec, t0, w, workers);
        handles.push(tokio::spawn(worker(
            ticketer,
            attempter,
            shards,
            w,
            spec.timeout,
            ramp,
        )));
    }
    let mut worker_failures = 0;
    for handle in handles {
        if handle.await.is_err() {
            worker_failures += 1;
        }
    }
    let finished = CpuSnapshot::take(targets);
    if let Some(live) = live {
        live.finish();
    }
    let interrupted = ticketer.cancelled();
    let mut recorder = Recorder::default();
    for shard in shards.iter() {
        recorder.merge(&shard.lock().unwrap_or_else(|p| p.into_inner()));
    }
    let (start, end) = sampler.finish();
    let start = start.unwrap_or(finished);
    let (end, window) = window(spec, end, finished, &recorder, interrupted, &ticketer);
    let mut cpu = CpuUsage::between(&start, &end);
    cpu.wall = window;
    LoadResult {
        recorder,
        cpu,
        window,
        interrupted,
        worker_failures,
    }
}

/// The shared recorders the workers record into: a few per usable CPU, at most one per worker,
/// each slicing its intervals from the end of the warm-up.
fn shards(ticketer: &Ticketer, workers: usize, interval: Duration) -> Arc<Vec<Mutex<Recorder>>> {
    Arc::new(
        (0..(crate::sys::usable_cpus() * 2).clamp(1, workers))
            .map(|_| {
                Mutex::new(Recorder {
                    intervals: Intervals::starting(ticketer.warmup_end(), interval),
                    ..Recorder::default()
                })
            })
            .collect(),
    )
}

/// Worker `w`: takes tickets until the schedule ends, attempts each at its intended time, and
/// records the measured ones into its shard.
async fn worker<A: Attempter>(
    ticketer: Arc<Ticketer>,
    attempter: Arc<A>,
    shards: Arc<Vec<Mutex<Recorder>>>,
    w: usize,
    timeout: Duration,
    ramp: Option<Instant>,
) {
    let shard = &shards[w % shards.len()];
    let (window_start, window_end) = (ticketer.warmup_end(), ticketer.window_end());
    // Closed loop: the workers start one after another across the warm-up (a ramp), so
    // thousands of connections do not hit the server's accept queue in one burst.
    if let Some(start) = ramp {
        if !sleep_until_or_cancel(start, &ticketer).await {
            return;
        }
    }
    while let Some(ticket) = ticketer.next(Instant::now()) {
        if !sleep_until_or_cancel(ticket.intended, &ticketer).await {
            break;
        }
        let sample = attempter.attempt(ticket, timeout).await;
        let in_window =
            sample.end >= window_start && window_end.is_none_or(|end| sample.end <= end);
        // A poisoned shard only means another worker panicked mid-record; the counts
        // in it are still the best we have.
        let mut r = shard.lock().unwrap_or_else(|p| p.into_inner());
        if ticket.measured {
            r.record(&sample);
        }
        if in_window {
            r.completed_in_window += 1;
        }
    }
}

/// The CPU reading that ends the measured window, and the window's length.
fn window(
    spec: &LoadSpec,
    end: Option<CpuSnapshot>,
    finished: CpuSnapshot,
    recorder: &Recorder,
    interrupted: bool,
    ticketer: &Ticketer,
) -> (CpuSnapshot, Duration) {
    // The divisor: the nominal window when it ran to its end; else up to the last completion
    // (count mode) or to now (cut short).
    let (end, window) = match (spec.stop, end) {
        (Stop::Duration(d), Some(end)) => (end, d),
        (Stop::Handshakes(_), _) if !interrupted => {
            let last = recorder.last_end.unwrap_or(finished.at);
            (
                finished,
                last.saturating_duration_since(ticketer.warmup_end()),
            )
        }
        _ => (
            finished,
            finished.at.saturating_duration_since(ticketer.warmup_end()),
        ),
    };
    (end, window)
}

/// When worker `w` of `workers` starts in a closed loop with a warm-up: spread evenly over the
/// warm-up. `None` (start at once) in open loop, where the schedule sets the starts.
fn ramp_start(spec: &LoadSpec, t0: Instant, w: usize, workers: usize) -> Option<Instant> {
    match spec.schedule {
        Schedule::Closed { .. } if workers > 1 && !spec.warmup.is_zero() => {
            Some(t0 + spec.warmup.mul_f64(w as f64 / workers as f64))
        }
        _ => None,
    }
}

/// Sleeps until `deadline` in short steps, returning false as soon as the run is cancelled.
async fn sleep_until_or_cancel(deadline: Instant, ticketer: &Ticketer) -> bool {
    const STEP: Duration = Duration::from_millis(50);
    loop {
        if ticketer.cancelled() {
            return false;
        }
        let now = Instant::now();
        if deadline <= now {
            return true;
        }
        tokio::time::sleep((deadline - now).min(STEP)).await;
    }
}

/// A thread that reads CPU counters at the window's start and end.
struct CpuSampler {
    start: Arc<Mutex<Option<CpuSnapshot>>>,
    end: Arc<Mutex<Option<CpuSnapshot>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl CpuSampler {
    fn start(window_start: Instant, window_end: Option<Instant>, targets: CpuTargets) -> Self {
        use std::sync::atomic::Ordering;
        let start: Arc<Mutex<Option<CpuSnapshot>>> = Arc::default();
        let end: Arc<Mutex<Option<CpuSnapshot>>> = Arc::default();
        let stop = Arc::new(AtomicBool::new(false));
        let (s, e, st) = (Arc::clone(&start), Arc::clone(&end), Arc::clone(&stop));
        let wait = move |until: Instant| -> bool {
            while Instant::now() < until {
                if st.load(Ordering::Relaxed) {
                    return false;
                }
                std::thread::sleep((until - Instant::now()).min(Duration::from_millis(20)));
            }
            true
        };
        let thread = std::thread::spawn(move || {
            if !wait(window_start) {
                return;
            }
            *s.lock().unwrap_or_else(|p| p.into_inner()) = Some(CpuSnapshot::take(targets));
            if let Some(until) = window_end {
                if wait(until) {
                    *e.lock().unwrap_or_else(|p| p.into_inner()) = Some(CpuSnapshot::take(targets));
                }
            }
        });
        Self {
            start,
            end,
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the thread and returns the readings it took.
    fn finish(mut self) -> (Option<CpuSnapshot>, Option<CpuSnapshot>) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        let take = |m: &Mutex<Option<CpuSnapshot>>| *m.lock().unwrap_or_else(|p| p.into_inner());
        (take(&self.start), take(&self.end))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(schedule: Schedule, warmup: Duration) -> LoadSpec {
        LoadSpec {
            schedule,
            stop: Stop::Handshakes(10),
            warmup,
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn closed_loop_workers_ramp_across_the_warmup() {
        let t0 = Instant::now();
        let closed = spec(Schedule::Closed { concurrency: 4 }, Duration::from_secs(2));
        let starts: Vec<Duration> = (0..4)
            .map(|w| ramp_start(&closed, t0, w, 4).unwrap() - t0)
            .collect();
        assert_eq!(
            starts,
            [0, 500, 1000, 1500].map(Duration::from_millis).to_vec()
        );
        let no_warmup = spec(Schedule::Closed { concurrency: 4 }, Duration::ZERO);
        assert_eq!(ramp_start(&no_warmup, t0, 3, 4), None);
        let open = spec(
            Schedule::Open {
                rate_per_sec: 10.0,
                max_in_flight: 4,
            },
            Duration::from_secs(2),
        );
        assert_eq!(ramp_start(&open, t0, 3, 4), None);
    }
}
