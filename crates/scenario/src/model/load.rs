//! The load of a case: how handshakes are scheduled (closed or open loop), when measuring
//! stops, the warm-up and the per-handshake timeout.

use std::time::Duration;

use serde::Serialize;

use super::millis::ser_ms;

/// How the load engine schedules handshakes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Schedule {
    /// Fixed concurrency: each of `concurrency` workers starts a new handshake as soon as its
    /// previous one ends.
    Closed {
        /// Handshakes in flight.
        concurrency: usize,
    },
    /// Fixed arrival rate; latency counts from each handshake's scheduled start.
    Open {
        /// Handshakes started per second.
        rate_per_sec: f64,
        /// Upper bound on handshakes in flight (workers).
        max_in_flight: usize,
    },
}

/// When the measured part of a case ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// After this long (after warm-up).
    #[serde(rename = "duration_ms", serialize_with = "ser_ms")]
    Duration(Duration),
    /// After this many measured handshakes have been started.
    #[serde(rename = "handshakes")]
    Handshakes(u64),
}

/// The load of a case.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LoadSpec {
    /// Closed or open loop.
    pub schedule: Schedule,
    /// When measuring stops.
    pub stop: Stop,
    /// Handshakes started in this initial period are not measured.
    #[serde(rename = "warmup_ms", serialize_with = "ser_ms")]
    pub warmup: Duration,
    /// Per-handshake limit (connect + TLS + request + status line).
    #[serde(rename = "timeout_ms", serialize_with = "ser_ms")]
    pub timeout: Duration,
}
