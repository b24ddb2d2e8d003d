//! What a second Ctrl-C waits for: a run whose `summary.json` on disk does not yet say it was
//! interrupted is *unsettled*. On the first signal a watcher thread of the run rewrites the
//! summary with `interrupted: true` and the cases measured so far, and settles the run; the
//! command line's second signal then ends the process at once ([`wait_until_settled`] first),
//! so what was measured is never lost to an impatient user. A count, not a flag: tests run
//! several runs in one process.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Runs whose summary on disk could still lose an interruption.
static UNSETTLED: AtomicUsize = AtomicUsize::new(0);

/// One run's share of [`UNSETTLED`], given back once (on [`Unsettled::settle`] or drop).
pub(super) struct Unsettled {
    settled: AtomicBool,
}

impl Unsettled {
    /// A run with a summary on disk that an interruption would make stale.
    pub(super) fn new() -> Self {
        UNSETTLED.fetch_add(1, Ordering::SeqCst);
        Self {
            settled: AtomicBool::new(false),
        }
    }

    /// The summary on disk now says what an interruption needs it to say.
    pub(super) fn settle(&self) {
        if !self.settled.swap(true, Ordering::SeqCst) {
            UNSETTLED.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

impl Drop for Unsettled {
    fn drop(&mut self) {
        self.settle();
    }
}

/// Waits until no run's summary on disk would lose an interruption, at most `limit`; whether
/// that was reached.
pub fn wait_until_settled(limit: Duration) -> bool {
    let start = Instant::now();
    while UNSETTLED.load(Ordering::SeqCst) > 0 {
        if start.elapsed() >= limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    // No other unit test starts a run, so the count is this test's alone.
    #[test]
    fn a_run_is_settled_once_and_at_the_latest_on_drop() {
        let run = Unsettled::new();
        assert!(!wait_until_settled(Duration::from_millis(20)));
        run.settle();
        run.settle();
        assert!(wait_until_settled(Duration::ZERO));
        drop(run);
        assert_eq!(UNSETTLED.load(Ordering::SeqCst), 0);
        drop(Unsettled::new());
        assert!(wait_until_settled(Duration::ZERO));
    }
}
