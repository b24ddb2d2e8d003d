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
    /// Worker `k`'s part of `total` split as evenly as possible (at least 1). Computed in 128
    /// bits, so no total wraps: the parts of any `u64` add up to it.
    pub fn share(self, total: u64) -> u64 {
        let n = u128::from(self.of.max(1));
        let k = u128::from(self.index.clamp(1, self.of.max(1)));
        let total = u128::from(total);
        // Both products fit in 128 bits (64 + 32 bits) and the quotients are at most `total`.
        let upto = |k: u128| total * k / n;
        let part = upto(k).saturating_sub(upto(k - 1));
        u64::try_from(part).unwrap_or(u64::MAX).max(1)
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
        // No wrap at the top of the range: the parts of u64::MAX add up to it.
        for n in [1u32, 2, 3, 7, 10_000] {
            let parts: Vec<u64> = (1..=n)
                .map(|index| Worker { index, of: n }.share(u64::MAX))
                .collect();
            let sum: u128 = parts.iter().map(|&p| u128::from(p)).sum();
            assert_eq!(sum, u128::from(u64::MAX), "u64::MAX over {n}");
            assert!(parts.iter().all(|&p| p >= u64::MAX / u64::from(n)), "{n}");
        }
        assert_eq!(
            Worker { index: 2, of: 2 }.share(u64::MAX),
            u64::MAX - u64::MAX / 2
        );
        // Never zero: each worker drives at least one.
        assert_eq!(Worker { index: 1, of: 4 }.share(2), 1);
    }
}
