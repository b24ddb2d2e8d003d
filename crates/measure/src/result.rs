//! What one load measured, as the load engine hands it to the runner and the reports: the merged
//! recorder, CPU over the measured window, and how the load ended. It lives here, not in `load/`,
//! so that reports read results without knowing the engine that produced them.

use std::time::Duration;

use super::{CpuUsage, Recorder};

/// What a load produced.
#[derive(Debug)]
pub struct LoadResult {
    /// Everything measured (warm-up excluded).
    pub recorder: Recorder,
    /// CPU over the measured window.
    pub cpu: CpuUsage,
    /// Length of the measured window (the divisor of rates).
    pub window: Duration,
    /// True when a cancellation cut the load short.
    pub interrupted: bool,
    /// Worker tasks that panicked (their samples are lost; the case is an error).
    pub worker_failures: usize,
}
