//! `mtls-harness merge`: combines the interval logs of several harness workers (`run --worker
//! K/N`, or separate machines) into one. Counts are added bucket by bucket, so the merged total
//! is exactly the histogram one process recording every sample would have built. Intervals are
//! placed on one grid (the shortest input interval, from the earliest start), so the merged log
//! still shows the load over time. The grid has at most [`MAX_SLOTS`] steps: logs spanning
//! more get a step that is a multiple of the shortest interval (the total stays exact).
//!
//! Separate logs are merged only when they cover one stretch of time: the command refuses logs
//! with a gap of more than [`MAX_GAP_SECS`] between them ([`check_overlap`]), as merging a
//! Monday run with a Tuesday run would only widen the grid until it shows neither.

use hdrhistogram::Histogram;

use super::hdrlog::{auto_histogram, render_entries, HdrLogError, IntervalLog};

/// Most steps of the merged grid (each an empty histogram of about 16 KiB until filled).
pub const MAX_SLOTS: usize = 10_000;

/// The longest gap between the times separate logs cover (first start to last end) that
/// `merge` accepts: workers started by hand or on hosts with skewed clocks still merge.
pub const MAX_GAP_SECS: f64 = 60.0;

/// Logs that do not cover one stretch of time.
#[derive(Debug, thiserror::Error)]
#[error(
    "{earlier} (starts {earlier_start}, ends {earlier_end}) and {later} (starts {later_start}) are {gap_secs:.0} s apart; merge combines logs of one run, whose times overlap or lie at most {max:.0} s apart",
    max = MAX_GAP_SECS
)]
pub struct FarApart {
    /// The log that ends before the gap.
    pub earlier: String,
    /// Its first interval's start (RFC 3339, UTC).
    pub earlier_start: String,
    /// Its last interval's end (RFC 3339, UTC).
    pub earlier_end: String,
    /// The log that starts after the gap.
    pub later: String,
    /// Its first interval's start (RFC 3339, UTC).
    pub later_start: String,
    /// The gap, seconds.
    pub gap_secs: f64,
}

/// Whether `logs` (each with the name to show) cover one stretch of time: sorted by their
/// first start, none starts more than [`MAX_GAP_SECS`] after every earlier one has ended.
/// Logs without intervals are ignored.
///
/// # Errors
/// [`FarApart`] naming the two logs on either side of the first gap too wide.
pub fn check_overlap(logs: &[(String, &IntervalLog)]) -> Result<(), Box<FarApart>> {
    let mut spans: Vec<(f64, f64, &str)> = logs
        .iter()
        .filter(|(_, l)| !l.intervals.is_empty())
        .map(|(name, l)| {
            let start = l
                .intervals
                .iter()
                .map(|i| i.start_epoch_secs)
                .fold(f64::INFINITY, f64::min);
            let end = l
                .intervals
                .iter()
                .map(|i| i.start_epoch_secs + i.length_secs)
                .fold(f64::NEG_INFINITY, f64::max);
            (start, end, name.as_str())
        })
        .collect();
    spans.sort_by(|a, b| a.0.total_cmp(&b.0));
    let Some(&(first_start, first_end, first_name)) = spans.first() else {
        return Ok(());
    };
    let mut reach = (first_start, first_end, first_name);
    for &(start, end, name) in &spans[1..] {
        if start - reach.1 > MAX_GAP_SECS {
            return Err(Box::new(FarApart {
                earlier: reach.2.to_string(),
                earlier_start: rfc3339(reach.0),
                earlier_end: rfc3339(reach.1),
                later: name.to_string(),
                later_start: rfc3339(start),
                gap_secs: start - reach.1,
            }));
        }
        if end > reach.1 {
            reach = (start, end, name);
        }
    }
    Ok(())
}

/// Seconds since the epoch as an RFC 3339 UTC time (to the millisecond).
fn rfc3339(secs: f64) -> String {
    let nanos = (secs * 1e9).round() as i128;
    time::OffsetDateTime::from_unix_timestamp_nanos(nanos - nanos % 1_000_000)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| format!("{secs:.3} s since the epoch"))
}

/// The result of a merge.
#[derive(Clone, Debug)]
pub struct Merged {
    /// Every input interval added together.
    pub total: Histogram<u64>,
    /// Wall-clock start of the grid, seconds since the epoch.
    pub base_epoch_secs: f64,
    /// Grid step, seconds.
    pub width_secs: f64,
    /// One histogram per grid step.
    pub slots: Vec<Histogram<u64>>,
}

impl Merged {
    /// The merged interval log's text.
    ///
    /// # Errors
    /// When a histogram cannot be encoded.
    pub fn log_text(&self, comment: &str) -> Result<Vec<u8>, HdrLogError> {
        let entries: Vec<(f64, f64, &Histogram<u64>)> = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, h)| (i as f64 * self.width_secs, self.width_secs, h))
            .collect();
        render_entries(&entries, self.base_epoch_secs, comment)
    }
}

/// Merges `logs` (at least one interval among them, or the result is empty) onto a grid of at
/// most [`MAX_SLOTS`] steps.
pub fn merge(logs: &[IntervalLog]) -> Merged {
    let all = logs.iter().flat_map(|l| &l.intervals);
    let base = all
        .clone()
        .map(|i| i.start_epoch_secs)
        .fold(f64::INFINITY, f64::min);
    let width = all
        .clone()
        .map(|i| i.length_secs)
        .filter(|w| *w > 0.0)
        .fold(f64::INFINITY, f64::min);
    let (base, mut width) = (
        if base.is_finite() { base } else { 0.0 },
        if width.is_finite() { width } else { 1.0 },
    );
    // The span rule: widen the step to a whole multiple of the shortest interval until the
    // grid has at most MAX_SLOTS steps (logs 100,000 s apart at 1 ms would be 10^8 steps).
    let last = all.clone().map(|i| i.start_epoch_secs).fold(base, f64::max);
    let steps = ((last - base) / width).ceil();
    if steps.is_finite() && steps >= MAX_SLOTS as f64 {
        width *= (steps / (MAX_SLOTS - 1) as f64).ceil();
    }
    if !width.is_finite() || width <= 0.0 {
        width = (last - base).max(1.0);
    }
    let mut total = auto_histogram();
    let mut slots: Vec<Histogram<u64>> = Vec::new();
    for i in all {
        let _ = total.add(&i.histogram);
        // A millionth of a step absorbs the rounding of the logs' 3-decimal timestamps.
        let slot = ((((i.start_epoch_secs - base) / width) + 1e-6)
            .floor()
            .max(0.0) as usize)
            .min(MAX_SLOTS - 1);
        if slots.len() <= slot {
            slots.resize_with(slot + 1, auto_histogram);
        }
        let _ = slots[slot].add(&i.histogram);
    }
    Merged {
        total,
        base_epoch_secs: base,
        width_secs: width,
        slots,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::hdrlog::LoggedInterval;

    fn log(start: f64, length: f64, value: u64) -> IntervalLog {
        let mut histogram = auto_histogram();
        histogram.record(value).unwrap();
        IntervalLog {
            rebucketed_from_digits: None,
            start_time: Some(start),
            intervals: vec![LoggedInterval {
                start_epoch_secs: start,
                length_secs: length,
                histogram,
            }],
        }
    }

    #[test]
    fn logs_more_than_a_minute_apart_are_refused_naming_both_and_their_times() {
        let a = log(1_800_000_000.0, 1.0, 1);
        let b = log(1_800_000_030.0, 1.0, 2);
        let c = log(1_800_100_000.0, 1.0, 3);
        fn named<'a>(l: &[(&str, &'a IntervalLog)]) -> Vec<(String, &'a IntervalLog)> {
            l.iter().map(|(n, l)| ((*n).to_string(), *l)).collect()
        }
        // Overlapping or within a minute: accepted, in any order.
        assert!(check_overlap(&named(&[("b", &b), ("a", &a)])).is_ok());
        let e = check_overlap(&named(&[("c.hlog", &c), ("a.hlog", &a), ("b.hlog", &b)]))
            .unwrap_err()
            .to_string();
        assert!(e.contains("b.hlog (starts 2027-01-15T08:00:30Z"), "{e}");
        assert!(e.contains("c.hlog (starts 2027-01-16T11:46:40Z)"), "{e}");
        assert!(e.contains("99969 s apart"), "{e}");
    }

    #[test]
    fn logs_far_apart_get_a_wider_step_not_a_huge_grid() {
        // 100,000 s apart at 1 ms: 10^8 steps of the shortest interval.
        let merged = merge(&[
            log(1_800_000_000.0, 0.001, 100),
            log(1_800_100_000.0, 0.001, 200),
        ]);
        assert!(merged.slots.len() <= MAX_SLOTS, "{}", merged.slots.len());
        assert!(merged.width_secs >= 10.0, "{}", merged.width_secs);
        assert_eq!(merged.total.len(), 2);
        assert_eq!(merged.slots.iter().map(Histogram::len).sum::<u64>(), 2);
        // Close logs keep the shortest interval as the step.
        let close = merge(&[log(1000.0, 1.0, 1), log(1003.0, 1.0, 2)]);
        assert_eq!((close.width_secs, close.slots.len()), (1.0, 4));
    }
}
