//! `load = { ... }` of a case or `[defaults]`: concurrency or rate, duration or handshake
//! count, warm-up and timeout, read into [`RawSettings`]; and the load defaults a case gets.

use std::time::Duration;

use toml_edit::TableLike;

use super::raw::RawSettings;
use super::reader::{join, Reader};
use crate::scenario::model::Stop;

/// The keys of a `load` table.
pub(super) const LOAD_KEYS: &[&str] = &[
    "concurrency",
    "rate",
    "duration",
    "handshakes",
    "warmup",
    "timeout",
];

/// When a case sets neither `duration` nor `handshakes`.
pub(super) const DEFAULT_STOP: Stop = Stop::Duration(Duration::from_secs(5));

/// Lowest open-loop rate (handshakes per second).
const MIN_RATE: f64 = 0.001;
/// Highest open-loop rate: far beyond one machine, low enough to keep slot times exact.
const MAX_RATE: f64 = 1_000_000.0;

/// Reads the `load` table `load` (at key path `lp`) into `s`.
pub(super) fn read(r: &mut Reader<'_>, load: &dyn TableLike, lp: &str, s: &mut RawSettings) {
    r.check_keys(load, lp, LOAD_KEYS);
    let lk = |k: &str| join(lp, k);
    if let Some(v) = load.get("concurrency") {
        s.concurrency = r
            .integer(v, &lk("concurrency"), 1..=1_000_000)
            .map(|n| n as usize);
    }
    if let Some(v) = load.get("rate") {
        s.rate = r.positive_number(v, &lk("rate"));
        if s.rate
            .is_some_and(|rate| !(MIN_RATE..=MAX_RATE).contains(&rate))
        {
            r.problem(
                v.span(),
                &lk("rate"),
                format!("expected a rate from {MIN_RATE} to {MAX_RATE} handshakes per second"),
            );
            s.rate = None;
        }
    }
    if let Some(v) = load.get("warmup") {
        s.warmup = r.duration(v, &lk("warmup"));
    }
    if let Some(v) = load.get("timeout") {
        s.timeout = r.duration(v, &lk("timeout"));
        if s.timeout == Some(Duration::ZERO) {
            r.problem(
                v.span(),
                &lk("timeout"),
                "expected a timeout above zero, found \"0s\"",
            );
        }
    }
    match (load.get("duration"), load.get("handshakes")) {
        (Some(d), Some(_)) => r.problem(
            d.span(),
            lp,
            "`duration` and `handshakes` both set; a case ends by one of them, keep one",
        ),
        (Some(d), None) => {
            s.stop = r.duration(d, &lk("duration")).map(Stop::Duration);
            if s.stop == Some(Stop::Duration(Duration::ZERO)) {
                r.problem(
                    d.span(),
                    &lk("duration"),
                    "expected a duration above zero, found \"0s\"",
                );
            }
        }
        (None, Some(h)) => {
            s.stop = r
                .integer(h, &lk("handshakes"), 1..=i64::MAX)
                .map(|n| Stop::Handshakes(n as u64));
        }
        (None, None) => {}
    }
}

/// Workers for an open loop without an explicit cap: enough for a second of backlog at the
/// rate, between 64 and 10,000.
pub(super) fn open_loop_workers(rate: f64) -> usize {
    (rate.ceil() as usize).clamp(64, 10_000)
}
