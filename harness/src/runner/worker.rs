//! Sharing one load among several harness processes (`run --worker K/N`): worker K drives its
//! share of every case, so N workers together drive the case as written; `mtls-harness merge`
//! combines their interval logs.

use crate::scenario::{Case, Schedule, Stop};

/// One of several harness processes sharing a load (`run --worker K/N`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Worker {
    /// This worker, 1 to `of`.
    pub index: u32,
    /// How many workers share the load.
    pub of: u32,
}

impl Worker {
    /// Worker `k`'s part of `total` split as evenly as possible (at least 1).
    pub fn share(self, total: u64) -> u64 {
        let (k, n) = (u64::from(self.index), u64::from(self.of.max(1)));
        (total * k / n - total * (k - 1) / n).max(1)
    }

    /// `case` with this worker's share of its load: concurrency (or the open loop's cap), rate
    /// and handshake count divided among the workers; durations unchanged.
    pub fn apply(self, case: &Case) -> Case {
        let mut case = case.clone();
        let share = |n: usize| usize::try_from(self.share(n as u64)).unwrap_or(n);
        case.load.schedule = match case.load.schedule {
            Schedule::Closed { concurrency } => Schedule::Closed {
                concurrency: share(concurrency),
            },
            Schedule::Open {
                rate_per_sec,
                max_in_flight,
            } => Schedule::Open {
                rate_per_sec: rate_per_sec / f64::from(self.of.max(1)),
                max_in_flight: share(max_in_flight),
            },
        };
        if let Stop::Handshakes(n) = case.load.stop {
            case.load.stop = Stop::Handshakes(self.share(n));
        }
        case
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_add_up_to_the_total() {
        for (total, n) in [(8u64, 2u32), (10, 3), (1, 1), (10_000, 7)] {
            let sum: u64 = (1..=n)
                .map(|index| Worker { index, of: n }.share(total))
                .sum();
            assert_eq!(sum, total, "{total} over {n}");
        }
        // Never zero: each worker drives at least one.
        assert_eq!(Worker { index: 1, of: 4 }.share(2), 1);
    }
}
