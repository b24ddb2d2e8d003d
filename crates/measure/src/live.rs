//! Live progress while a load runs: the snapshot the engine takes a few times a second and the
//! hook that receives it. The engine fills it (`load::live`); the terminal bar that shows it lives
//! in `report::live`; neither knows the other.

use std::time::Duration;

/// What the load has done so far (measured attempts only; the warm-up is not counted).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct LiveStats {
    /// Since the load started.
    pub elapsed: Duration,
    /// True once the warm-up is over.
    pub measuring: bool,
    /// Measured attempts that ended.
    pub attempts: u64,
    /// Of which accepted.
    pub accepted: u64,
    /// Of which the server rejected (with an alert).
    pub rejected: u64,
    /// Of which failed without a verdict (timeout, reset, I/O error, ...).
    pub errors: u64,
    /// p99 of accepted latency so far, microseconds.
    pub p99_us: Option<u64>,
}

/// Receives snapshots while a load runs (from a thread of its own, not a runtime worker).
pub trait ProgressSink: Send + Sync {
    /// A new snapshot, a few times a second.
    fn update(&self, stats: &LiveStats);

    /// The case ended: the display, if any, clears its line (the case's result line follows).
    fn finish(&self) {}
}
