//! The schedule as a value: hands out tickets (when to start, whether it is measured, which
//! identity to present) to the one worker loop, for closed and open loop alike.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::scenario::{LoadSpec, Schedule, Stop};

/// One handshake to make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ticket {
    /// When it should start. Latency counts from here (the coordinated-omission correction in
    /// open loop; in closed loop this is the moment the ticket was taken).
    pub intended: Instant,
    /// False during warm-up.
    pub measured: bool,
    /// Which client identity to present.
    pub identity: usize,
    /// Whether this handshake should try to resume (when the identity holds a session).
    pub resume: bool,
}

/// Hands out tickets until the case's stop condition or a cancellation.
#[derive(Debug)]
pub struct Ticketer {
    t0: Instant,
    warmup_end: Instant,
    /// End of the measured window in duration mode.
    end: Option<Instant>,
    /// Measured handshakes to start in count mode.
    limit: Option<u64>,
    /// Open loop: time between starts.
    interval: Option<Duration>,
    next_slot: AtomicU64,
    measured_issued: AtomicU64,
    next_identity: AtomicU64,
    /// Fraction of tickets that try to resume; `None` with resumption off.
    resume_fraction: Option<f64>,
    cancel: Arc<AtomicBool>,
}

impl Ticketer {
    /// A ticketer starting at `t0`; `cancel` stops it early. `resume_fraction` (with
    /// resumption on) spreads resuming tickets evenly: ticket `n` resumes when
    /// `floor((n + 1) f) > floor(n f)`.
    pub fn new(
        spec: &LoadSpec,
        t0: Instant,
        resume_fraction: Option<f64>,
        cancel: Arc<AtomicBool>,
    ) -> Self {
        let warmup_end = t0 + spec.warmup;
        let (end, limit) = match spec.stop {
            Stop::Duration(d) => (Some(warmup_end + d), None),
            Stop::Handshakes(n) => (None, Some(n)),
        };
        let interval = match spec.schedule {
            Schedule::Closed { .. } => None,
            Schedule::Open { rate_per_sec, .. } => {
                Some(Duration::from_secs_f64(1.0 / rate_per_sec))
            }
        };
        Self {
            t0,
            warmup_end,
            end,
            limit,
            interval,
            next_slot: AtomicU64::new(0),
            measured_issued: AtomicU64::new(0),
            next_identity: AtomicU64::new(0),
            resume_fraction,
            cancel,
        }
    }

    /// When measuring starts.
    pub fn warmup_end(&self) -> Instant {
        self.warmup_end
    }

    /// When the measured window ends, in duration mode.
    pub fn window_end(&self) -> Option<Instant> {
        self.end
    }

    /// Whether the run was cancelled.
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// The next ticket, or `None` when the schedule is over. `now` is the caller's clock.
    pub fn next(&self, now: Instant) -> Option<Ticket> {
        if self.cancelled() {
            return None;
        }
        let intended = match self.interval {
            None => now,
            Some(interval) => {
                let slot = self.next_slot.fetch_add(1, Ordering::Relaxed);
                self.t0 + interval.mul_f64(slot as f64)
            }
        };
        if self.end.is_some_and(|end| intended >= end) {
            return None;
        }
        let measured = intended >= self.warmup_end;
        if measured {
            if let Some(limit) = self.limit {
                if self.measured_issued.fetch_add(1, Ordering::Relaxed) >= limit {
                    return None;
                }
            }
        }
        let n = self.next_identity.fetch_add(1, Ordering::Relaxed);
        let resume = self
            .resume_fraction
            .is_some_and(|f| ((n + 1) as f64 * f).floor() > (n as f64 * f).floor());
        Some(Ticket {
            intended,
            measured,
            identity: n as usize,
            resume,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(schedule: Schedule, stop: Stop, warmup_ms: u64) -> LoadSpec {
        LoadSpec {
            schedule,
            stop,
            warmup: Duration::from_millis(warmup_ms),
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn open_loop_slots_are_evenly_spaced_and_end_with_the_window() {
        let t0 = Instant::now();
        let s = spec(
            Schedule::Open {
                rate_per_sec: 100.0,
                max_in_flight: 4,
            },
            Stop::Duration(Duration::from_millis(100)),
            50,
        );
        let t = Ticketer::new(&s, t0, None, Arc::default());
        let tickets: Vec<_> = std::iter::from_fn(|| t.next(t0)).collect();
        assert!(tickets.iter().all(|t| !t.resume));
        // 150 ms at 10 ms spacing: slots 0..15, of which 5 are warm-up.
        assert_eq!(tickets.len(), 15);
        assert_eq!(tickets.iter().filter(|t| t.measured).count(), 10);
        assert_eq!(tickets[3].intended - t0, Duration::from_millis(30));
    }

    #[test]
    fn count_mode_issues_exactly_the_limit_of_measured_tickets() {
        let t0 = Instant::now();
        let s = spec(Schedule::Closed { concurrency: 2 }, Stop::Handshakes(7), 0);
        let t = Ticketer::new(&s, t0, None, Arc::default());
        let n = std::iter::from_fn(|| t.next(Instant::now())).count();
        assert_eq!(n, 7);
    }

    #[test]
    fn cancel_stops_issuing() {
        let cancel = Arc::new(AtomicBool::new(false));
        let s = spec(
            Schedule::Closed { concurrency: 1 },
            Stop::Handshakes(100),
            0,
        );
        let t = Ticketer::new(&s, Instant::now(), None, Arc::clone(&cancel));
        assert!(t.next(Instant::now()).is_some());
        cancel.store(true, Ordering::Relaxed);
        assert!(t.next(Instant::now()).is_none());
    }

    #[test]
    fn resume_fraction_is_spread_evenly() {
        let s = spec(
            Schedule::Closed { concurrency: 1 },
            Stop::Handshakes(1000),
            0,
        );
        let t = Ticketer::new(&s, Instant::now(), Some(0.9), Arc::default());
        let tickets: Vec<_> = std::iter::from_fn(|| t.next(Instant::now())).collect();
        assert_eq!(tickets.iter().filter(|t| t.resume).count(), 900);
        // Never more than one full handshake in a row at 90%.
        assert!(tickets.windows(2).all(|w| w[0].resume || w[1].resume));
        let all = Ticketer::new(&s, Instant::now(), Some(1.0), Arc::default());
        assert!(std::iter::from_fn(|| all.next(Instant::now())).all(|t| t.resume));
    }
}
