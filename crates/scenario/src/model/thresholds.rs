//! Performance gates of a case (`thresholds = { p50_ms = 5, p99_ms = 20, ... }`): the limits a
//! measured case must keep, checked after the case ran (`report::thresholds`). A limit on a
//! figure the case could not measure is reported as not measured, never as kept.

use serde::Serialize;

/// The limits of one case; `None` where none is set. `[defaults]` and a case are merged key
/// by key (the case's key wins).
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Thresholds {
    /// Highest median latency of accepted handshakes (of the refusals in a case where none was
    /// accepted), in milliseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p50_ms: Option<f64>,
    /// Highest 99th-percentile latency, like `p50_ms`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p99_ms: Option<f64>,
    /// Lowest throughput, attempts completed per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_handshakes_per_sec: Option<f64>,
    /// Highest server CPU per handshake, in microseconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_server_cpu_us_per_handshake: Option<f64>,
    /// Highest share of measured attempts that ended in an error (0 to 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_error_rate: Option<f64>,
}

/// One threshold: its key and whether a measured value must stay below or above it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// The figure must be at most the limit.
    AtMost,
    /// The figure must be at least the limit.
    AtLeast,
}

impl Thresholds {
    /// The keys of a `thresholds` table, in the order they are reported.
    pub const KEYS: &'static [&'static str] = &[
        "p50_ms",
        "p99_ms",
        "min_handshakes_per_sec",
        "max_server_cpu_us_per_handshake",
        "max_error_rate",
    ];

    /// `self` with every limit of `over` laid on top.
    pub fn overlay(self, over: Thresholds) -> Thresholds {
        Thresholds {
            p50_ms: over.p50_ms.or(self.p50_ms),
            p99_ms: over.p99_ms.or(self.p99_ms),
            min_handshakes_per_sec: over.min_handshakes_per_sec.or(self.min_handshakes_per_sec),
            max_server_cpu_us_per_handshake: over
                .max_server_cpu_us_per_handshake
                .or(self.max_server_cpu_us_per_handshake),
            max_error_rate: over.max_error_rate.or(self.max_error_rate),
        }
    }

    /// Whether no limit is set.
    pub fn is_empty(&self) -> bool {
        self.set().next().is_none()
    }

    /// The limits that are set: (key, limit, direction), in [`Thresholds::KEYS`] order.
    pub fn set(&self) -> impl Iterator<Item = (&'static str, f64, Limit)> {
        [
            ("p50_ms", self.p50_ms, Limit::AtMost),
            ("p99_ms", self.p99_ms, Limit::AtMost),
            (
                "min_handshakes_per_sec",
                self.min_handshakes_per_sec,
                Limit::AtLeast,
            ),
            (
                "max_server_cpu_us_per_handshake",
                self.max_server_cpu_us_per_handshake,
                Limit::AtMost,
            ),
            ("max_error_rate", self.max_error_rate, Limit::AtMost),
        ]
        .into_iter()
        .filter_map(|(k, v, l)| v.map(|v| (k, v, l)))
    }

    /// Sets the limit named `key` (one of [`Thresholds::KEYS`]); false for another key.
    pub fn put(&mut self, key: &str, value: f64) -> bool {
        let slot = match key {
            "p50_ms" => &mut self.p50_ms,
            "p99_ms" => &mut self.p99_ms,
            "min_handshakes_per_sec" => &mut self.min_handshakes_per_sec,
            "max_server_cpu_us_per_handshake" => &mut self.max_server_cpu_us_per_handshake,
            "max_error_rate" => &mut self.max_error_rate,
            _ => return false,
        };
        *slot = Some(value);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn case_keys_win_over_defaults_key_by_key() {
        let mut defaults = Thresholds::default();
        assert!(defaults.put("p99_ms", 20.0));
        assert!(defaults.put("p50_ms", 5.0));
        let mut case = Thresholds::default();
        assert!(case.put("p99_ms", 50.0));
        assert!(!case.put("p98_ms", 1.0));
        let merged = defaults.overlay(case);
        assert_eq!(merged.p50_ms, Some(5.0));
        assert_eq!(merged.p99_ms, Some(50.0));
        let keys: Vec<_> = merged.set().map(|(k, _, _)| k).collect();
        assert_eq!(keys, ["p50_ms", "p99_ms"]);
        assert!(Thresholds::default().is_empty());
    }
}
