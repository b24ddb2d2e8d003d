//! The load engine's live-progress hook: while a case runs, a plain thread reads the workers'
//! recorders a few times a second (a brief lock each) and hands a [`LiveStats`] snapshot to a
//! [`ProgressSink`]. The engine knows nothing about how progress is shown; the terminal bar lives
//! in `report::live`.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::measure::{LiveStats, Outcome, ProgressSink, Recorder};

/// Sums the shards into a snapshot.
pub(crate) fn snapshot(
    shards: &[Mutex<Recorder>],
    started: Instant,
    warmup_end: Instant,
) -> LiveStats {
    let now = Instant::now();
    let mut s = LiveStats {
        elapsed: now.saturating_duration_since(started),
        measuring: now >= warmup_end,
        ..LiveStats::default()
    };
    let mut latency: Option<hdrhistogram::Histogram<u64>> = None;
    for shard in shards {
        let r = shard.lock().unwrap_or_else(|p| p.into_inner());
        let attempts = r.attempts();
        let accepted = r.count(Outcome::Accepted);
        let rejected: u64 = Outcome::ALL
            .iter()
            .filter(|o| o.is_server_rejection())
            .map(|&o| r.count(o))
            .sum();
        s.attempts += attempts;
        s.accepted += accepted;
        s.rejected += rejected;
        s.errors += attempts.saturating_sub(accepted + rejected);
        match &mut latency {
            Some(h) => {
                let _ = h.add(&r.latency);
            }
            None => latency = Some(r.latency.clone()),
        }
    }
    s.p99_us = latency
        .filter(|h| !h.is_empty())
        .map(|h| h.value_at_quantile(0.99));
    s
}

/// The thread that feeds a sink until stopped.
pub(crate) struct LiveFeed {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LiveFeed {
    /// Every `every`, sends a snapshot of `shards` to `sink`.
    pub(crate) fn start(
        shards: Arc<Vec<Mutex<Recorder>>>,
        sink: Arc<dyn ProgressSink>,
        warmup_end: Instant,
        every: Duration,
    ) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let started = Instant::now();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Relaxed) {
                sink.update(&snapshot(&shards, started, warmup_end));
                let until = Instant::now() + every;
                while Instant::now() < until && !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(Duration::from_millis(20));
                }
            }
            // A last snapshot, so the display ends on the final figures.
            sink.update(&snapshot(&shards, started, warmup_end));
        });
        Self {
            stop,
            thread: Some(thread),
        }
    }

    /// Stops the thread (after its final snapshot).
    pub(crate) fn finish(mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measure::Sample;

    fn sample(outcome: Outcome, ms: u64) -> Sample {
        let mut s = Sample::begin(Instant::now());
        s.connected = Some(s.start + Duration::from_millis(1));
        s.tls_done = Some(s.start + Duration::from_millis(2));
        s.first_byte = Some(s.start + Duration::from_millis(ms));
        s.end = s.start + Duration::from_millis(ms);
        s.outcome = outcome;
        s
    }

    #[test]
    fn snapshot_sums_shards_and_classes() {
        let shards = vec![
            Mutex::new(Recorder::default()),
            Mutex::new(Recorder::default()),
        ];
        for i in 0..100 {
            shards[i % 2]
                .lock()
                .unwrap()
                .record(&sample(Outcome::Accepted, 1 + (i as u64 % 10)));
        }
        shards[0]
            .lock()
            .unwrap()
            .record(&sample(Outcome::UnknownCa, 3));
        shards[1]
            .lock()
            .unwrap()
            .record(&sample(Outcome::Timeout, 3));
        let t = Instant::now();
        let s = snapshot(&shards, t, t);
        assert_eq!(
            (s.attempts, s.accepted, s.rejected, s.errors),
            (102, 100, 1, 1)
        );
        assert!(s.measuring);
        let p99 = s.p99_us.unwrap();
        assert!((9_900..=10_100).contains(&p99), "{p99}");
    }
}
