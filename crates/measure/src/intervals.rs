//! Per-interval histograms: the measured window cut into equal slices (1 s by default), each
//! with its own latency histogram and counts, so a run can be written as an HdrHistogram interval
//! log, plotted over time (handshakes per second, p99 per interval) and compared with another run
//! sample by sample. Histograms grow as values arrive (no fixed hour-long range per slice), and
//! memory stays bounded on long runs: past [`MAX_SLICES`] slices, neighbours are added together
//! and the slice length doubles (a one-hour run at 1 s keeps 225 slices of 16 s).

use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// The default slice length.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(1);

/// Most slices kept; one more and neighbours are merged (the slice length doubles).
pub const MAX_SLICES: usize = 256;

/// One slice of the measured window.
#[derive(Clone, Debug)]
pub struct Interval {
    /// Headline latency (microseconds) of the accepted handshakes that ended in this slice.
    pub latency: Histogram<u64>,
    /// Time to the verdict (microseconds) of the handshakes the server rejected that ended in
    /// this slice.
    pub rejection: Histogram<u64>,
    /// Attempts that ended in this slice and were not accepted.
    pub not_accepted: u64,
}

impl Interval {
    fn new() -> Self {
        // Three significant digits, auto-resizing: a constant configuration hdrhistogram accepts.
        let new = || {
            let mut h =
                Histogram::new(3).unwrap_or_else(|_| unreachable!("hdrhistogram accepts sigfig 3"));
            h.auto(true);
            h
        };
        Self {
            latency: new(),
            rejection: new(),
            not_accepted: 0,
        }
    }
}

/// The measured window in slices of `width`, counted from `origin` (the end of the warm-up).
#[derive(Clone, Debug)]
pub struct Intervals {
    /// Start of slice 0; `None` until the engine sets it (then nothing is recorded).
    pub origin: Option<Instant>,
    /// Slice length.
    pub width: Duration,
    /// The slices, index 0 first; trailing slices exist only once something ended in them.
    pub slices: Vec<Interval>,
}

impl Default for Intervals {
    fn default() -> Self {
        Self {
            origin: None,
            width: DEFAULT_INTERVAL,
            slices: Vec::new(),
        }
    }
}

impl Intervals {
    /// Slices of `width` from `origin`.
    pub fn starting(origin: Instant, width: Duration) -> Self {
        Self {
            origin: Some(origin),
            width: width.max(Duration::from_millis(1)),
            slices: Vec::new(),
        }
    }

    fn slice(&mut self, at: Instant) -> Option<&mut Interval> {
        let origin = self.origin?;
        let offset = at.checked_duration_since(origin)?;
        // Beyond a day past the window's start is a clock oddity, not data.
        if offset > Duration::from_secs(86_400) {
            return None;
        }
        let mut index = usize::try_from(offset.as_nanos() / self.width.as_nanos().max(1)).ok()?;
        while index >= MAX_SLICES {
            self.coarsen();
            index /= 2;
        }
        if self.slices.len() <= index {
            self.slices.resize_with(index + 1, Interval::new);
        }
        self.slices.get_mut(index)
    }

    /// Records an accepted handshake of `latency_us` that ended at `end`.
    pub fn record_accepted(&mut self, end: Instant, latency_us: u64) {
        if let Some(s) = self.slice(end) {
            // Auto-resizing: recording cannot fail for a u64 value.
            let _ = s.latency.record(latency_us);
        }
    }

    /// Records an attempt that ended at `end` without being accepted; `rejection_us` is its
    /// time to the verdict when the server rejected it.
    pub fn record_not_accepted(&mut self, end: Instant, rejection_us: Option<u64>) {
        if let Some(s) = self.slice(end) {
            s.not_accepted += 1;
            if let Some(us) = rejection_us {
                let _ = s.rejection.record(us);
            }
        }
    }

    /// Adds each pair of neighbouring slices together and doubles the slice length.
    pub fn coarsen(&mut self) {
        let old = std::mem::take(&mut self.slices);
        let mut pairs = old.into_iter();
        while let Some(mut first) = pairs.next() {
            if let Some(second) = pairs.next() {
                let _ = first.latency.add(&second.latency);
                let _ = first.rejection.add(&second.rejection);
                first.not_accepted += second.not_accepted;
            }
            self.slices.push(first);
        }
        self.width *= 2;
    }

    /// True when some slice holds an accepted handshake.
    pub fn any_accepted(&self) -> bool {
        self.slices.iter().any(|s| !s.latency.is_empty())
    }

    /// True when some slice holds a server rejection.
    pub fn any_rejected(&self) -> bool {
        self.slices.iter().any(|s| !s.rejection.is_empty())
    }

    /// Adds `other`'s slices into these (same origin: the engine's shards; their widths may
    /// differ by powers of two when one coarsened sooner).
    pub fn merge(&mut self, other: &Intervals) {
        if self.origin.is_none() {
            self.origin = other.origin;
            self.width = other.width;
        }
        let mut other = other.clone();
        while other.width < self.width {
            other.coarsen();
        }
        while self.width < other.width {
            self.coarsen();
        }
        if self.slices.len() < other.slices.len() {
            self.slices.resize_with(other.slices.len(), Interval::new);
        }
        for (mine, theirs) in self.slices.iter_mut().zip(&other.slices) {
            let _ = mine.latency.add(&theirs.latency);
            let _ = mine.rejection.add(&theirs.rejection);
            mine.not_accepted += theirs.not_accepted;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_land_in_their_slice_and_merge_adds() {
        let t0 = Instant::now();
        let mut a = Intervals::starting(t0, Duration::from_millis(100));
        a.record_accepted(t0 + Duration::from_millis(50), 1000);
        a.record_accepted(t0 + Duration::from_millis(250), 2000);
        a.record_not_accepted(t0 + Duration::from_millis(260), Some(700));
        a.record_not_accepted(t0 + Duration::from_millis(270), None);
        // Before the origin: not in any slice.
        a.record_accepted(t0.checked_sub(Duration::from_millis(1)).unwrap_or(t0), 5);
        assert_eq!(a.slices.len(), 3);
        assert_eq!(a.slices[0].latency.len(), 1);
        assert_eq!(a.slices[1].latency.len(), 0);
        assert_eq!(a.slices[2].latency.len(), 1);
        assert_eq!(a.slices[2].not_accepted, 2);
        assert_eq!(a.slices[2].rejection.len(), 1);
        let mut b = Intervals::starting(t0, Duration::from_millis(100));
        b.record_accepted(t0 + Duration::from_millis(450), 3000);
        b.merge(&a);
        assert_eq!(b.slices.len(), 5);
        assert_eq!(b.slices.iter().map(|s| s.latency.len()).sum::<u64>(), 3);
    }

    #[test]
    fn long_runs_coarsen_instead_of_growing() {
        let t0 = Instant::now();
        let mut a = Intervals::starting(t0, Duration::from_secs(1));
        // One sample per second for an hour.
        for s in 0..3600u64 {
            a.record_accepted(
                t0 + Duration::from_secs(s) + Duration::from_millis(500),
                100 + s,
            );
        }
        assert!(a.slices.len() <= MAX_SLICES, "{}", a.slices.len());
        assert_eq!(a.width, Duration::from_secs(16));
        assert_eq!(a.slices.len(), 225);
        assert!(a.slices.iter().all(|s| s.latency.len() == 16));
        // A shard that stayed at a finer width merges by coarsening its copy first.
        let mut b = Intervals::starting(t0, Duration::from_secs(1));
        b.record_accepted(t0 + Duration::from_millis(1500), 7);
        let mut merged = b.clone();
        merged.merge(&a);
        assert_eq!(merged.width, Duration::from_secs(16));
        assert_eq!(merged.slices[0].latency.len(), 17);
        a.merge(&b);
        assert_eq!(a.slices[0].latency.len(), 17);
    }
}
