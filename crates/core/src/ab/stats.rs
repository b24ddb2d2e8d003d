//! The paired bootstrap: rounds are resampled with replacement as (A, B) pairs, and each
//! resample's ratio B/A is one draw: either a statistic of each side's rounds (their mean, or a
//! quantile), B's over A's, or the median of the rounds' own ratios (when a round's two figures
//! share a window, side by side). The interval is the central share of the draws. Pairing
//! keeps what a round shared (the machine's state at that moment) out of the spread. The
//! generator is seeded, so the same figures always give the same interval.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use serde::Serialize;

/// What summarises one side's rounds.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Statistic {
    /// The mean of the rounds.
    Mean,
    /// The quantile (0 to 1) of the rounds, interpolated between neighbours: e.g. 0.1, the
    /// figure of the best tenth of the rounds when lower is better. Contention on a shared
    /// machine only ever makes a round slower, so the best rounds are the steadiest measure of
    /// what a server itself costs.
    Quantile(f64),
}

impl Statistic {
    /// The statistic of `values` (sorted in place); `values` is not empty.
    pub fn of(self, values: &mut [f64]) -> f64 {
        match self {
            Statistic::Mean => values.iter().sum::<f64>() / values.len() as f64,
            Statistic::Quantile(q) => {
                values.sort_by(f64::total_cmp);
                let at = (values.len() - 1) as f64 * q.clamp(0.0, 1.0);
                let (i, frac) = (at.floor() as usize, at.fract());
                let next = values[(i + 1).min(values.len() - 1)];
                values[i] * (1.0 - frac) + next * frac
            }
        }
    }
}

/// How one sample of rounds gives a ratio B/A.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Comparison {
    /// `statistic` of B's rounds over that of A's.
    Sides(Statistic),
    /// The median of the rounds' own ratios B/A: for rounds whose A and B ran side by side,
    /// where whatever slowed one slowed the other, so each round's ratio is steady even when
    /// its figures are not.
    RoundRatios,
}

/// The ratio B/A of a metric with its confidence interval.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct RatioInterval {
    /// The statistic of B over that of A, over every round.
    pub ratio: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
    /// Rounds with a figure on both sides.
    pub pairs: usize,
}

/// The ratio B/A of `b` and `a` as `comparison` takes it (paired by index; pairs with a
/// missing or non-positive figure left out) and its `confidence` interval (e.g. 0.95) from
/// `resamples` paired bootstrap resamples drawn with `seed`. `None` with fewer than two pairs.
pub fn paired_ratio(
    a: &[Option<f64>],
    b: &[Option<f64>],
    comparison: Comparison,
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
    let (mut sa, mut sb) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let mut ratio_of = |idx: &mut dyn Iterator<Item = usize>| {
        sa.clear();
        sb.clear();
        for i in idx {
            sa.push(pairs[i].0);
            sb.push(pairs[i].1);
        }
        match comparison {
            Comparison::Sides(statistic) => statistic.of(&mut sb) / statistic.of(&mut sa),
            Comparison::RoundRatios => {
                for (b, a) in sb.iter_mut().zip(&sa) {
                    *b /= a;
                }
                Statistic::Quantile(0.5).of(&mut sb)
            }
        }
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
        let r = paired_ratio(&a, &b, Comparison::Sides(Statistic::Mean), 0.95, 2000, 7).unwrap();
        assert!(
            r.low > 1.09 && r.high < 1.12 && r.low <= r.ratio && r.ratio <= r.high,
            "{r:?}"
        );
        assert_eq!(
            r,
            paired_ratio(&a, &b, Comparison::Sides(Statistic::Mean), 0.95, 2000, 7).unwrap()
        );
        assert_eq!(r.pairs, 6);
        // Identical sides: the interval is exactly 1.
        let same = paired_ratio(&a, &a, Comparison::Sides(Statistic::Mean), 0.95, 500, 7).unwrap();
        assert_eq!((same.low, same.ratio, same.high), (1.0, 1.0, 1.0));
        // Missing figures drop their pair; fewer than two pairs give nothing.
        assert!(paired_ratio(
            &[Some(1.0), None],
            &[Some(1.0), Some(2.0)],
            Comparison::Sides(Statistic::Mean),
            0.95,
            10,
            1
        )
        .is_none());
    }

    #[test]
    fn a_low_quantile_sees_a_small_shift_through_rounds_slowed_by_contention() {
        // A steady floor with every third round slowed by up to 60%, as another process's
        // work on the same CPU does; B costs 3% more on every round.
        let floor = |i: usize| 400.0 + (i % 5) as f64;
        let slowed = |i: usize| {
            if i % 3 == 0 {
                1.0 + (i % 7) as f64 * 0.1
            } else {
                1.0
            }
        };
        let a: Vec<Option<f64>> = (0..48).map(|i| Some(floor(i) * slowed(i))).collect();
        let b: Vec<Option<f64>> = (0..48)
            .map(|i| Some(floor(i) * 1.03 * slowed((i * 5 + 1) % 48)))
            .collect();
        let low = paired_ratio(
            &a,
            &b,
            Comparison::Sides(Statistic::Quantile(0.1)),
            0.95,
            2000,
            3,
        )
        .unwrap();
        assert!(low.low > 1.01 && low.high < 1.05, "{low:?}");
        // The mean is pulled around by the slowed rounds and cannot tell.
        let mean = paired_ratio(&a, &b, Comparison::Sides(Statistic::Mean), 0.95, 2000, 3).unwrap();
        assert!(
            mean.high - mean.low > low.high - low.low,
            "{mean:?} vs {low:?}"
        );
        // Quantiles interpolate between neighbours.
        assert_eq!(Statistic::Quantile(0.5).of(&mut [4.0, 1.0, 2.0, 3.0]), 2.5);
        assert_eq!(Statistic::Quantile(0.0).of(&mut [4.0, 1.0]), 1.0);
        assert_eq!(Statistic::Quantile(1.0).of(&mut [4.0, 1.0]), 4.0);
    }

    #[test]
    fn round_ratios_see_a_small_shift_through_a_disturbance_both_sides_share() {
        // Every round's two figures share its window: the machine's state moves both by up to
        // 40% from round to round, B costs 3% more with 0.5% of its own noise.
        let machine = |i: usize| 1.0 + ((i * 7) % 11) as f64 * 0.04;
        let own = |i: usize| 1.0 + ((i * 5) % 3) as f64 * 0.0025;
        let a: Vec<Option<f64>> = (0..48).map(|i| Some(400.0 * machine(i))).collect();
        let b: Vec<Option<f64>> = (0..48)
            .map(|i| Some(400.0 * 1.03 * machine(i) * own(i)))
            .collect();
        let r = paired_ratio(&a, &b, Comparison::RoundRatios, 0.95, 2000, 5).unwrap();
        assert!(r.low > 1.025 && r.high < 1.04, "{r:?}");
        // Each side's best rounds see the machine's spread as well and are far less sure.
        let sides = paired_ratio(
            &a,
            &b,
            Comparison::Sides(Statistic::Quantile(0.1)),
            0.95,
            2000,
            5,
        )
        .unwrap();
        assert!(
            sides.high - sides.low > r.high - r.low,
            "{sides:?} vs {r:?}"
        );
    }
}
