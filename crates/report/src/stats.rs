//! The statistical test behind `compare`: the two-sided Mann-Whitney U test (rank-sum) with
//! the normal approximation and a tie correction. It makes no assumption about the shape of the
//! distributions (latency per interval is skewed), and it asks "is one sample stochastically
//! larger than the other", which is what a regression is.

/// The two-sided p-value that `a` and `b` come from the same distribution. `None` with fewer
/// than 3 values on either side (too few to say anything).
pub fn mann_whitney_p(a: &[f64], b: &[f64]) -> Option<f64> {
    let (n1, n2) = (a.len(), b.len());
    if n1 < 3 || n2 < 3 {
        return None;
    }
    let mut all: Vec<(f64, bool)> = a
        .iter()
        .map(|&v| (v, true))
        .chain(b.iter().map(|&v| (v, false)))
        .collect();
    all.sort_by(|x, y| x.0.total_cmp(&y.0));
    let n = all.len();
    // Average ranks over ties; collect the tie correction term sum(t^3 - t).
    let mut rank_sum_a = 0.0;
    let mut tie_term = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i + 1;
        while j < n && all[j].0 == all[i].0 {
            j += 1;
        }
        let avg_rank = (i + 1 + j) as f64 / 2.0;
        let t = (j - i) as f64;
        tie_term += t * t * t - t;
        rank_sum_a += all[i..j].iter().filter(|(_, from_a)| *from_a).count() as f64 * avg_rank;
        i = j;
    }
    let (n1f, n2f, nf) = (n1 as f64, n2 as f64, n as f64);
    let u1 = rank_sum_a - n1f * (n1f + 1.0) / 2.0;
    let mean = n1f * n2f / 2.0;
    let var = n1f * n2f / 12.0 * ((nf + 1.0) - tie_term / (nf * (nf - 1.0)));
    if var <= 0.0 {
        // Every value equal: no evidence of a difference.
        return Some(1.0);
    }
    // Continuity correction of 0.5 towards the mean.
    let z = ((u1 - mean).abs() - 0.5).max(0.0) / var.sqrt();
    Some((2.0 * (1.0 - normal_cdf(z))).clamp(0.0, 1.0))
}

/// The standard normal CDF (Abramowitz-Stegun 7.1.26 erf, error below 1.5e-7).
fn normal_cdf(z: f64) -> f64 {
    let x = z / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    let erf = if x >= 0.0 { erf } else { -erf };
    0.5 * (1.0 + erf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_samples_are_not_significant() {
        let a = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        assert!(mann_whitney_p(&a, &a).unwrap() > 0.9);
        assert_eq!(mann_whitney_p(&[1.0; 5], &[1.0; 5]), Some(1.0));
        assert_eq!(mann_whitney_p(&[1.0, 2.0], &[3.0, 4.0, 5.0]), None);
    }

    #[test]
    fn separated_samples_are_significant() {
        let a: Vec<f64> = (0..10).map(|i| 100.0 + f64::from(i)).collect();
        let b: Vec<f64> = (0..10).map(|i| 120.0 + f64::from(i)).collect();
        let p = mann_whitney_p(&a, &b).unwrap();
        // Exact two-sided p for complete separation of 10 vs 10 is 1.1e-5; the normal
        // approximation gives about 1.8e-4.
        assert!(p < 0.001, "{p}");
    }

    #[test]
    fn normal_cdf_matches_known_values() {
        assert!((normal_cdf(0.0) - 0.5).abs() < 1e-7);
        assert!((normal_cdf(1.96) - 0.975).abs() < 1e-4);
        assert!((normal_cdf(-1.0) - 0.158_655).abs() < 1e-5);
    }
}
