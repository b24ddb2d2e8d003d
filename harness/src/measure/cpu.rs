//! CPU time of the harness itself (the client side) and of a server process, read at the start
//! and the end of a measurement window.

use std::time::{Duration, Instant};

use crate::sys::{self, CpuTime};

/// CPU readings at one instant.
#[derive(Clone, Copy, Debug)]
pub struct CpuSnapshot {
    /// When the readings were taken.
    pub at: Instant,
    /// The harness process's CPU time.
    pub own: CpuTime,
    /// The server process's CPU time, when there is a server process and it is readable.
    pub server: Option<CpuTime>,
}

impl CpuSnapshot {
    /// Reads both counters now.
    pub fn take(server_pid: Option<u32>) -> Self {
        Self {
            at: Instant::now(),
            own: sys::own_cpu_time(),
            server: server_pid.and_then(|pid| sys::process_cpu_time(pid).ok()),
        }
    }
}

/// CPU used between two snapshots.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CpuUsage {
    /// Wall time between the snapshots.
    pub wall: Duration,
    /// Harness (client) CPU time.
    pub client: CpuTime,
    /// Server CPU time, if measured.
    pub server: Option<CpuTime>,
}

impl CpuUsage {
    /// The usage from `start` to `end`.
    pub fn between(start: &CpuSnapshot, end: &CpuSnapshot) -> Self {
        Self {
            wall: end.at.saturating_duration_since(start.at),
            client: end.own.since(start.own),
            server: match (start.server, end.server) {
                (Some(a), Some(b)) => Some(b.since(a)),
                _ => None,
            },
        }
    }
}
