//! A case's performance gates checked against what it measured: one [`ThresholdCheck`] per
//! limit (`kept`, `breached`, or `not_measured` when the case could not measure the figure,
//! e.g. server CPU in target mode), saved in `summary.json` and listed by every report. A limit
//! that could not be checked is never counted as kept.

use super::summary::CaseSummary;
use super::threshold_check::{ThresholdCheck, ThresholdStatus};
use crate::measure::Outcome;
use crate::scenario::{Expectation, Limit, Thresholds};

/// Checks every limit of `thresholds` against `case`'s figures.
pub fn check(thresholds: &Thresholds, case: &CaseSummary) -> Vec<ThresholdCheck> {
    thresholds
        .set()
        .map(|(key, limit, direction)| {
            let (measured, note) = match figure(key, case) {
                Ok(v) => (Some(v), None),
                Err(why) => (None, Some(why)),
            };
            let status = match measured {
                None => ThresholdStatus::NotMeasured,
                Some(v) => {
                    let kept = match direction {
                        Limit::AtMost => v <= limit,
                        Limit::AtLeast => v >= limit,
                    };
                    if kept {
                        ThresholdStatus::Kept
                    } else {
                        ThresholdStatus::Breached
                    }
                }
            };
            ThresholdCheck {
                threshold: key.to_string(),
                limit,
                measured,
                status,
                note,
            }
        })
        .collect()
}

/// The figure `key` limits, or why the case has none.
fn figure(key: &str, c: &CaseSummary) -> Result<f64, String> {
    if let Some(reason) = &c.skipped {
        return Err(format!("the case was skipped: {reason}"));
    }
    if c.error.is_some() {
        return Err("the case could not run".into());
    }
    if c.attempts == 0 {
        return Err("no attempt was measured".into());
    }
    // The latency of what the case is about, as in the tables: accepted handshakes, or the
    // time to the refusal when nothing was accepted.
    let latency = |pick: fn(&super::summary::Percentiles) -> u64| {
        c.latency_us
            .or(c.rejection_latency_us)
            .map(|p| pick(&p) as f64 / 1000.0)
            .ok_or_else(|| {
                "no handshake was accepted or refused, so there is no latency".to_string()
            })
    };
    match key {
        "p50_ms" => latency(|p| p.p50),
        "p99_ms" => latency(|p| p.p99),
        "min_handshakes_per_sec" => Ok(c.handshakes_per_sec),
        "max_server_cpu_us_per_handshake" => c.server_cpu_us_per_handshake.ok_or_else(|| {
            "server CPU is not measured for this case (target mode, or a server spread over several processes)".into()
        }),
        "max_error_rate" => Ok(error_rate(c)),
        _ => Err(format!("unknown threshold {key}")),
    }
}

/// Share of measured attempts that ended in an error: in a case expected to accept, every
/// attempt not accepted; otherwise every attempt that got neither in nor a server verdict
/// (timeouts, resets, I/O and protocol errors).
fn error_rate(c: &CaseSummary) -> f64 {
    let accept = c.expect == Expectation::Accept;
    let errors: u64 = c
        .outcomes
        .iter()
        .filter(|(name, _)| {
            let outcome = Outcome::ALL.iter().find(|o| o.name() == name.as_str());
            match outcome {
                Some(Outcome::Accepted) => false,
                Some(o) => accept || !o.is_server_rejection(),
                None => true,
            }
        })
        .map(|(_, n)| n)
        .sum();
    errors as f64 / c.attempts as f64
}
