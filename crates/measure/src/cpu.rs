//! CPU time of the harness itself (the client side) and of a server process with its
//! descendants (all threads, forked workers and helpers), read at the start and the end of a
//! measurement window.

use std::time::{Duration, Instant};

use crate::sys::{self, CpuTime};

/// Whose CPU is read besides the harness process's own.
#[derive(Clone, Copy, Debug, Default)]
pub struct CpuTargets {
    /// The server process.
    pub server_pid: Option<u32>,
    /// A thread of the harness that serves the server (the revocation service): its time is
    /// reported apart and taken out of the client's.
    pub side_thread: Option<u32>,
}

/// CPU readings at one instant.
#[derive(Clone, Copy, Debug)]
pub struct CpuSnapshot {
    /// When the readings were taken.
    pub at: Instant,
    /// The harness process's CPU time.
    pub own: CpuTime,
    /// The server process's CPU time, when there is a server process and it is readable.
    pub server: Option<CpuTime>,
    /// The server's on-CPU time from its process CPU clocks (nanosecond resolution, threads
    /// that ended included), when readable.
    pub server_runtime: Option<Duration>,
    /// The side thread's on-CPU time, when there is one.
    pub side: Option<Duration>,
}

impl CpuSnapshot {
    /// Reads every counter of `targets` now.
    pub fn take(targets: CpuTargets) -> Self {
        Self {
            at: Instant::now(),
            own: sys::own_cpu_time(),
            server: targets
                .server_pid
                .and_then(|pid| sys::tree_cpu_time(pid).ok()),
            server_runtime: targets
                .server_pid
                .and_then(|pid| sys::tree_runtime(pid).ok()),
            side: targets
                .side_thread
                .and_then(|tid| sys::thread_runtime(tid).ok()),
        }
    }
}

/// CPU used between two snapshots.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CpuUsage {
    /// Wall time between the snapshots.
    pub wall: Duration,
    /// Harness (client) CPU time, without the side thread's (taken from its user time).
    pub client: CpuTime,
    /// The side thread's CPU time (the revocation service), if measured.
    pub side: Option<Duration>,
    /// Server CPU time, if measured. Its total comes from the process CPU clocks when readable
    /// (precise), its user/system split from `/proc/<pid>/stat` (clock ticks).
    pub server: Option<CpuTime>,
}

impl CpuUsage {
    /// The usage from `start` to `end`.
    pub fn between(start: &CpuSnapshot, end: &CpuSnapshot) -> Self {
        let side = match (start.side, end.side) {
            (Some(a), Some(b)) => Some(b.saturating_sub(a)),
            _ => None,
        };
        let mut client = end.own.since(start.own);
        client.user = client.user.saturating_sub(side.unwrap_or_default());
        Self {
            wall: end.at.saturating_duration_since(start.at),
            client,
            side,
            server: match (start.server, end.server) {
                (Some(a), Some(b)) => {
                    let ticks = b.since(a);
                    Some(match (start.server_runtime, end.server_runtime) {
                        // Precise total; the tick-based kernel share, capped by it.
                        (Some(r0), Some(r1)) => {
                            let total = r1.saturating_sub(r0);
                            let system = ticks.system.min(total);
                            CpuTime {
                                user: total - system,
                                system,
                            }
                        }
                        _ => ticks,
                    })
                }
                _ => None,
            },
        }
    }
}
