//! `mtls-harness merge`: combines the interval logs of several harness workers (`run --worker
//! K/N`, or separate machines) into one. Counts are added bucket by bucket, so the merged total
//! is exactly the histogram one process recording every sample would have built. Intervals are
//! placed on one grid (the shortest input interval, from the earliest start), so the merged log
//! still shows the load over time.

use hdrhistogram::Histogram;

use super::hdrlog::{auto_histogram, render_entries, HdrLogError, IntervalLog};

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

/// Merges `logs` (at least one interval among them, or the result is empty).
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
    let (base, width) = (
        if base.is_finite() { base } else { 0.0 },
        if width.is_finite() { width } else { 1.0 },
    );
    let mut total = auto_histogram();
    let mut slots: Vec<Histogram<u64>> = Vec::new();
    for i in all {
        let _ = total.add(&i.histogram);
        // A millionth of a step absorbs the rounding of the logs' 3-decimal timestamps.
        let slot = (((i.start_epoch_secs - base) / width) + 1e-6)
            .floor()
            .max(0.0) as usize;
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
