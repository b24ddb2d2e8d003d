//! Baseline comparison: for each case in both runs and each metric (p50 and p99 latency,
//! handshakes per second, CPU per handshake of each side), the change in percent and a verdict.
//! A metric regressed (or improved) only when the change is beyond the noise threshold *and*,
//! where the interval logs give repeated samples (one per interval), a Mann-Whitney U test
//! finds the two runs' samples different (p below `alpha`). Metrics without samples (CPU, and
//! cases that accepted nothing) are judged by the threshold alone, and say so.

use std::fmt::Write as _;

use super::saved::{SavedCase, SavedRun};
use super::stats::mann_whitney_p;
use crate::report::IntervalLog;

/// How strict a comparison is.
#[derive(Clone, Copy, Debug)]
pub struct CompareOptions {
    /// Changes smaller than this, in percent, are noise.
    pub threshold_pct: f64,
    /// Significance level of the test over repeated samples.
    pub alpha: f64,
}

impl Default for CompareOptions {
    fn default() -> Self {
        Self {
            threshold_pct: 5.0,
            alpha: 0.05,
        }
    }
}

/// The verdict on one metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::Display)]
pub enum Verdict {
    /// Better beyond the threshold (and significant where tested).
    #[strum(serialize = "improved")]
    Improved,
    /// Worse beyond the threshold (and significant where tested).
    #[strum(serialize = "regressed")]
    Regressed,
    /// Within the threshold, or not significant.
    #[strum(serialize = "no change")]
    NoChange,
}

/// One case's metric in both runs.
#[derive(Clone, Debug)]
pub struct MetricChange {
    /// Case name.
    pub case: String,
    /// Metric name (`p99_latency_ms`, ...).
    pub metric: &'static str,
    /// Baseline value.
    pub baseline: f64,
    /// Candidate value.
    pub candidate: f64,
    /// (candidate - baseline) / baseline, in percent.
    pub change_pct: f64,
    /// The test's p-value, when both runs had at least 3 samples.
    pub p_value: Option<f64>,
    /// Samples (intervals) in the baseline and the candidate.
    pub samples: (usize, usize),
    /// The verdict.
    pub verdict: Verdict,
}

/// A whole comparison.
#[derive(Clone, Debug)]
pub struct Comparison {
    /// Names of the compared runs.
    pub baseline_name: String,
    /// The candidate's name.
    pub candidate_name: String,
    /// The options used.
    pub options: CompareOptions,
    /// Every metric of every case in both runs.
    pub changes: Vec<MetricChange>,
    /// Cases in only one of the runs.
    pub unmatched: Vec<String>,
    /// Why a run cannot be trusted as complete (interrupted, cases missing): a failure, like
    /// a regression.
    pub incomplete: Vec<String>,
}

impl Comparison {
    /// True when any metric regressed (exit code 1).
    pub fn regressed(&self) -> bool {
        self.changes.iter().any(|c| c.verdict == Verdict::Regressed)
    }

    /// The comparison as a markdown section.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let count = |v: Verdict| self.changes.iter().filter(|c| c.verdict == v).count();
        let _ = writeln!(
            out,
            "## Compare: {} (baseline) vs {}\n\n{} regressed, {} improved, {} no change; noise threshold {}%, Mann-Whitney U over per-interval samples at alpha {}.\n",
            self.baseline_name,
            self.candidate_name,
            count(Verdict::Regressed),
            count(Verdict::Improved),
            count(Verdict::NoChange),
            self.options.threshold_pct,
            self.options.alpha
        );
        let _ = writeln!(
            out,
            "| case | metric | baseline | candidate | change | p-value (samples) | verdict |\n|---|---|---:|---:|---:|---|---|"
        );
        for c in &self.changes {
            let p = match c.p_value {
                Some(p) => format!("{p:.4} ({}/{})", c.samples.0, c.samples.1),
                None => "no samples: threshold only".into(),
            };
            let verdict = match c.verdict {
                Verdict::Regressed => "**regressed**".to_string(),
                v => v.to_string(),
            };
            let _ = writeln!(
                out,
                "| {} | {} | {:.3} | {:.3} | {:+.1}% | {p} | {verdict} |",
                c.case.replace('|', "\\|"),
                c.metric,
                c.baseline,
                c.candidate,
                c.change_pct
            );
        }
        if !self.unmatched.is_empty() {
            let _ = writeln!(
                out,
                "\nIn one run only (not compared): {}",
                self.unmatched.join(", ")
            );
        }
        for why in &self.incomplete {
            let _ = writeln!(out, "\n**INCOMPLETE**: {why}");
        }
        out
    }
}

/// Which direction is better.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Better {
    Lower,
    Higher,
}

fn latency_samples(log: Option<&IntervalLog>, q: f64) -> Vec<f64> {
    log.map(|l| {
        l.intervals
            .iter()
            .filter(|i| !i.histogram.is_empty())
            .map(|i| i.histogram.value_at_quantile(q) as f64 / 1000.0)
            .collect()
    })
    .unwrap_or_default()
}

fn throughput_samples(log: Option<&IntervalLog>, case: &SavedCase) -> Vec<f64> {
    let Some(log) = log else {
        return Vec::new();
    };
    let Some(first) = log.intervals.first().map(|i| i.start_epoch_secs) else {
        return Vec::new();
    };
    let window = case.window_ms / 1000.0;
    log.intervals
        .iter()
        .filter(|i| {
            i.length_secs > 0.0 && i.start_epoch_secs - first + i.length_secs <= window + 1e-3
        })
        .map(|i| i.histogram.len() as f64 / i.length_secs)
        .collect()
}

/// The verdict on a change. The threshold applies to the cost ratio (candidate over baseline
/// for lower-is-better metrics, baseline over candidate for throughput), so "20%" means 20%
/// worse in either kind of metric (a throughput drop from 1000 to 500 is a 100% slowdown).
fn judge(
    opts: CompareOptions,
    better: Better,
    baseline: f64,
    candidate: f64,
    p_value: Option<f64>,
) -> Verdict {
    let ratio = match better {
        Better::Lower => candidate / baseline,
        Better::Higher => baseline / candidate,
    };
    let limit = 1.0 + opts.threshold_pct / 100.0;
    let stopped = better == Better::Higher && candidate == 0.0;
    if !(ratio.is_finite() || stopped) {
        return Verdict::NoChange;
    }
    if p_value.is_some_and(|p| p >= opts.alpha) {
        return Verdict::NoChange;
    }
    if ratio > limit || stopped {
        Verdict::Regressed
    } else if ratio * limit < 1.0 {
        Verdict::Improved
    } else {
        Verdict::NoChange
    }
}

/// A metric's name, direction, both values and both runs' samples.
type Metric = (&'static str, Better, f64, f64, Vec<f64>, Vec<f64>);

/// Compares `candidate` against `baseline`, case by case (matched by name).
pub fn compare(baseline: &SavedRun, candidate: &SavedRun, opts: CompareOptions) -> Comparison {
    let mut changes = Vec::new();
    let mut unmatched = Vec::new();
    for (bi, b) in baseline.summary.cases.iter().enumerate() {
        let Some((ci, c)) = candidate
            .summary
            .cases
            .iter()
            .enumerate()
            .find(|(_, c)| c.name == b.name)
        else {
            unmatched.push(b.name.clone());
            continue;
        };
        if b.error.is_some() || c.error.is_some() {
            unmatched.push(format!("{} (could not run)", b.name));
            continue;
        }
        let (blog, clog) = (
            baseline.logs.get(bi).and_then(Option::as_ref),
            candidate.logs.get(ci).and_then(Option::as_ref),
        );
        for (metric, better, bv, cv, bs, cs) in metrics(b, c, blog, clog) {
            if bv <= 0.0 {
                continue;
            }
            let change_pct = (cv - bv) / bv * 100.0;
            let p_value = mann_whitney_p(&bs, &cs);
            changes.push(MetricChange {
                case: b.name.clone(),
                metric,
                baseline: bv,
                candidate: cv,
                change_pct,
                p_value,
                samples: (bs.len(), cs.len()),
                verdict: judge(opts, better, bv, cv, p_value),
            });
        }
    }
    for c in &candidate.summary.cases {
        if !baseline.summary.cases.iter().any(|b| b.name == c.name) {
            unmatched.push(c.name.clone());
        }
    }
    Comparison {
        baseline_name: baseline.dir.display().to_string(),
        candidate_name: candidate.dir.display().to_string(),
        options: opts,
        changes,
        unmatched,
        incomplete: [("baseline", baseline), ("candidate", candidate)]
            .into_iter()
            .flat_map(|(role, run)| incomplete(role, run))
            .collect(),
    }
}

/// Why `run` (the `role` of the comparison) is not a complete run: interrupted (or never
/// completed), or lacking cases its scenario had.
fn incomplete(role: &str, run: &SavedRun) -> Vec<String> {
    let mut why = Vec::new();
    if run.summary.interrupted {
        why.push(format!(
            "the {role} run was interrupted: its summary was never completed"
        ));
    }
    let missing = run.summary.missing_cases();
    if !missing.is_empty() {
        why.push(format!(
            "the {role} run lacks {} of its scenario's {} cases (counted as failed): {}",
            missing.len(),
            run.summary.planned_count(),
            missing.join(", ")
        ));
    }
    why
}

/// The metrics both runs of a case measured: latency (p50, p99; a rejection's when nothing
/// was accepted), throughput, and server and client CPU per handshake.
fn metrics(
    b: &SavedCase,
    c: &SavedCase,
    blog: Option<&IntervalLog>,
    clog: Option<&IntervalLog>,
) -> Vec<Metric> {
    let (bl, cl) = (
        b.latency_us.or(b.rejection_latency_us),
        c.latency_us.or(c.rejection_latency_us),
    );
    let mut metrics: Vec<Metric> = Vec::new();
    if let (Some(bl), Some(cl)) = (bl, cl) {
        metrics.push((
            "p50_latency_ms",
            Better::Lower,
            bl.p50 as f64 / 1000.0,
            cl.p50 as f64 / 1000.0,
            latency_samples(blog, 0.5),
            latency_samples(clog, 0.5),
        ));
        metrics.push((
            "p99_latency_ms",
            Better::Lower,
            bl.p99 as f64 / 1000.0,
            cl.p99 as f64 / 1000.0,
            latency_samples(blog, 0.99),
            latency_samples(clog, 0.99),
        ));
    }
    metrics.push((
        "handshakes_per_sec",
        Better::Higher,
        b.handshakes_per_sec,
        c.handshakes_per_sec,
        throughput_samples(blog, b),
        throughput_samples(clog, c),
    ));
    for (name, bv, cv) in [
        (
            "server_cpu_us_per_handshake",
            b.server_cpu_us_per_handshake,
            c.server_cpu_us_per_handshake,
        ),
        (
            "client_cpu_us_per_handshake",
            b.client_cpu_us_per_handshake,
            c.client_cpu_us_per_handshake,
        ),
    ] {
        if let (Some(bv), Some(cv)) = (bv, cv) {
            metrics.push((name, Better::Lower, bv, cv, Vec::new(), Vec::new()));
        }
    }
    metrics
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_need_the_threshold_and_significance() {
        let o = CompareOptions::default();
        assert_eq!(
            judge(o, Better::Lower, 100.0, 103.0, Some(0.0001)),
            Verdict::NoChange
        );
        assert_eq!(
            judge(o, Better::Lower, 100.0, 130.0, Some(0.2)),
            Verdict::NoChange
        );
        assert_eq!(
            judge(o, Better::Lower, 100.0, 130.0, Some(0.01)),
            Verdict::Regressed
        );
        assert_eq!(
            judge(o, Better::Lower, 100.0, 70.0, Some(0.01)),
            Verdict::Improved
        );
        assert_eq!(
            judge(o, Better::Higher, 100.0, 70.0, None),
            Verdict::Regressed
        );
        assert_eq!(
            judge(o, Better::Higher, 100.0, 130.0, None),
            Verdict::Improved
        );
        // A throughput that halved is a 100% slowdown: beyond a 60% threshold.
        let wide = CompareOptions {
            threshold_pct: 60.0,
            alpha: 0.05,
        };
        assert_eq!(
            judge(wide, Better::Higher, 1000.0, 500.0, None),
            Verdict::Regressed
        );
        assert_eq!(
            judge(wide, Better::Higher, 1000.0, 0.0, None),
            Verdict::Regressed
        );
    }
}
