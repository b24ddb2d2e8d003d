//! The paired bootstrap: rounds are resampled with replacement as (A, B) pairs, and each
//! resample's ratio of means B/A is one draw; the interval is the central share of the draws.
//! Pairing keeps what a round shared (the machine's state at that moment) out of the spread.
//! The generator is seeded, so the same figures always give the same interval.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use serde::Serialize;

/// The ratio B/A of a metric with its confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RatioInterval {
    /// Mean of B over mean of A, over every round.
    pub ratio: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
    /// Rounds with a figure on both sides.
    pub pairs: usize,
}

/// The ratio of means of `b` over `a` (paired by index; pairs with a missing or non-positive
/// figure left out) and its `confidence` interval (e.g. 0.95) from `resamples` paired bootstrap
/// resamples drawn with `seed`. `None` with fewer than two pairs.
pub fn paired_ratio(
    a: &[Option<f64>],
    b: &[Option<f64>],
    confidence: f64,
    resamples: usize,
    seed: u64,
) -> Option<RatioInterval> {
    let pairs: Vec<(f64, f64)> = a
        .iter()
        .zip(b)
        .filter_map(|(a, b)| Some(((*a)?, (*b)?)))
        .filter(|(a, b)| a.is_finite() && b.is_finite() && *a > 0.0 && *b > 0.0)
        .collect();
    let n = pairs.len();
    if n < 2 {
        return None;
    }
    let ratio_of = |idx: &mut dyn Iterator<Item = usize>| {
        let (sa, sb) = idx.fold((0.0, 0.0), |(sa, sb), i| (sa + pairs[i].0, sb + pairs[i].1));
        sb / sa
    };
    let ratio = ratio_of(&mut (0..n));
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut draws: Vec<f64> = (0..resamples.max(1))
        .map(|_| {
            // n is small (rounds): the modulo bias of a 64-bit draw is negligible.
            ratio_of(&mut (0..n).map(|_| (rng.next_u64() % n as u64) as usize))
        })
        .collect();
    draws.sort_by(f64::total_cmp);
    let tail = (1.0 - confidence.clamp(0.0, 1.0)) / 2.0;
    let at = |q: f64| {
        let i = ((draws.len() - 1) as f64 * q).round() as usize;
        draws[i.min(draws.len() - 1)]
    };
    Some(RatioInterval {
        ratio,
        low: at(tail),
        high: at(1.0 - tail),
        pairs: n,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clear_shift_gives_an_interval_around_it_and_is_reproducible() {
        let a: Vec<Option<f64>> = [100.0, 103.0, 98.0, 101.0, 99.0, 102.0]
            .into_iter()
            .map(Some)
            .collect();
        let b: Vec<Option<f64>> = a.iter().map(|v| v.map(|v| v * 1.10 + 0.5)).collect();
        let r = paired_ratio(&a, &b, 0.95, 2000, 7).unwrap();
        assert!(
            r.low > 1.09 && r.high < 1.12 && r.low <= r.ratio && r.ratio <= r.high,
            "{r:?}"
        );
        assert_eq!(r, paired_ratio(&a, &b, 0.95, 2000, 7).unwrap());
        assert_eq!(r.pairs, 6);
        // Identical sides: the interval is exactly 1.
        let same = paired_ratio(&a, &a, 0.95, 500, 7).unwrap();
        assert_eq!((same.low, same.ratio, same.high), (1.0, 1.0, 1.0));
        // Missing figures drop their pair; fewer than two pairs give nothing.
        assert!(paired_ratio(&[Some(1.0), None], &[Some(1.0), Some(2.0)], 0.95, 10, 1).is_none());
    }
}
