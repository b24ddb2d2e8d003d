//! The figures of an A/B run paired into ratios B/A with their intervals, the gate (B worse
//! than A beyond the threshold, with confidence), and the report in text, markdown and JSON.

use std::fmt::Write as _;

use serde::Serialize;

use super::plan::{round_name, RoundRole};
use super::stats::{paired_ratio, Comparison, RatioInterval, Statistic};
use crate::report::{CaseSummary, RunSummary};

/// A figure compared between A and B.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
pub enum Metric {
    /// Server CPU per handshake (µs): the steadiest figure on a noisy machine.
    #[strum(serialize = "cpu")]
    ServerCpu,
    /// Handshakes per second.
    #[strum(serialize = "hs")]
    HandshakesPerSec,
    /// Median latency (ms).
    #[strum(serialize = "p50")]
    P50,
    /// 99th-percentile latency (ms).
    #[strum(serialize = "p99")]
    P99,
}

impl Metric {
    /// Every metric, in report order.
    pub const ALL: [Metric; 4] = [
        Metric::ServerCpu,
        Metric::HandshakesPerSec,
        Metric::P50,
        Metric::P99,
    ];

    /// Its name in reports (the `summary.json` field it comes from, in spirit).
    pub fn field(self) -> &'static str {
        match self {
            Metric::ServerCpu => "server_cpu_us_per_handshake",
            Metric::HandshakesPerSec => "handshakes_per_sec",
            Metric::P50 => "p50_ms",
            Metric::P99 => "p99_ms",
        }
    }

    /// Whether a higher figure is worse.
    pub fn higher_is_worse(self) -> bool {
        self != Metric::HandshakesPerSec
    }

    /// What summarises one side's rounds of this metric for a `quantile` of the best rounds
    /// (0.1: the best tenth): that quantile where lower is better, its mirror (0.9) for
    /// handshakes per second.
    pub fn statistic(self, quantile: f64) -> Statistic {
        if self.higher_is_worse() {
            Statistic::Quantile(quantile)
        } else {
            Statistic::Quantile(1.0 - quantile)
        }
    }

    /// How B/A of this metric is taken: side by side (`best` is `None`), the median of the
    /// rounds' own ratios; one side after the other, each side's best rounds
    /// ([`Metric::statistic`]).
    pub fn comparison(self, best: Option<f64>) -> Comparison {
        match best {
            Some(q) => Comparison::Sides(self.statistic(q)),
            None => Comparison::RoundRatios,
        }
    }

    fn of(self, c: &CaseSummary) -> Option<f64> {
        if c.error.is_some() || c.skipped.is_some() || c.attempts == 0 {
            return None;
        }
        match self {
            Metric::ServerCpu => c.server_cpu_us_per_handshake,
            Metric::HandshakesPerSec => Some(c.handshakes_per_sec),
            Metric::P50 => c.latency_us.map(|p| p.p50 as f64 / 1000.0),
            Metric::P99 => c.latency_us.map(|p| p.p99 as f64 / 1000.0),
        }
    }
}

/// One metric's comparison.
#[derive(Clone, Debug, Serialize)]
pub struct MetricResult {
    /// `server_cpu_us_per_handshake`, `handshakes_per_sec`, `p50_ms`, `p99_ms`.
    pub metric: &'static str,
    /// Mean of A over the rounds.
    pub a_mean: Option<f64>,
    /// Mean of B over the rounds.
    pub b_mean: Option<f64>,
    /// A's figure: side by side, the median of its rounds; one after the other, the quantile
    /// of its rounds the ratio compares (its best rounds).
    pub a_figure: Option<f64>,
    /// B's figure, as `a_figure`.
    pub b_figure: Option<f64>,
    /// B/A with its interval: side by side, the median of the rounds' own ratios; one after
    /// the other, `b_figure / a_figure`. `None` with fewer than two rounds measured on both
    /// sides.
    pub ratio: Option<RatioInterval>,
    /// Whether this metric gates (`--gate`).
    pub gated: bool,
    /// The whole interval lies beyond the threshold on the worse side.
    pub regression: bool,
    /// The whole interval lies beyond the threshold on the better side.
    pub improvement: bool,
    /// No regression, and the interval is wider than [`INCONCLUSIVE_WIDTH`] (or missing): the
    /// machine was too noisy for this run to say that B is not worse.
    pub inconclusive: bool,
}

/// What an A/B run found (`ab.json`).
#[derive(Clone, Debug, Serialize)]
pub struct AbReport {
    /// The case compared.
    pub case: String,
    /// Spec of A.
    pub a: String,
    /// Spec of B.
    pub b: String,
    /// Rounds run.
    pub rounds: usize,
    /// The threshold, in percent.
    pub threshold_pct: f64,
    /// A and B ran side by side in each round (the default), rather than one after the other
    /// (`--alternate`).
    pub side_by_side: bool,
    /// One after the other: which rounds each side's figure comes from, in percent (10
    /// compares the 10th percentile of each side's rounds, the 90th for handshakes per
    /// second: its best tenth). `None` side by side.
    pub best_pct: Option<f64>,
    /// Confidence of the intervals (0.95).
    pub confidence: f64,
    /// Bootstrap resamples.
    pub resamples: usize,
    /// Bootstrap seed.
    pub seed: u64,
    /// Per metric.
    pub metrics: Vec<MetricResult>,
    /// Rounds whose case failed, was skipped or did not meet its expectation (`r03-b: ...`).
    pub failed_rounds: Vec<String>,
    /// Rounds in whose window no handshake started (a machine too busy for the round's
    /// length): left out of the pairing, not failures; see [`AbReport::too_few_measured`].
    pub unmeasured_rounds: Vec<String>,
    /// A gated metric regressed.
    pub regression: bool,
    /// No gated metric regressed, and one is [`MetricResult::inconclusive`].
    pub inconclusive: bool,
}

/// Bootstrap settings of [`compare`].
const RESAMPLES: usize = 4000;
const CONFIDENCE: f64 = 0.95;

/// An interval of B/A wider than this (high - low) cannot clear B: a run whose rounds were all
/// disturbed (measured: identical servers 0.92-1.20) rather than one that saw the server's
/// floor (identical servers within 1-6% wide on this VM).
pub const INCONCLUSIVE_WIDTH: f64 = 0.10;

/// How an A/B comparison judges: the gated metrics, the threshold, which rounds count.
#[derive(Clone, Debug)]
pub struct Judging {
    /// The metrics that decide the exit code.
    pub gate: Vec<Metric>,
    /// A fraction (0.05 for 5%).
    pub threshold: f64,
    /// One after the other: the quantile of each side's best rounds compared (0.1: the best
    /// tenth). `None`: the rounds ran side by side and their own ratios are compared.
    pub best: Option<f64>,
    /// The bootstrap's seed.
    pub seed: u64,
}

/// Pairs the rounds of `summary` (cases named by [`round_name`]) and judges each metric as
/// `judging` says.
pub fn compare(
    summary: &RunSummary,
    labels: (&str, &str, &str),
    rounds: usize,
    judging: &Judging,
) -> AbReport {
    let paired = Rounds { summary, rounds };
    let (failed_rounds, unmeasured_rounds) = paired.left_out();
    let metrics: Vec<MetricResult> = Metric::ALL
        .iter()
        .map(|&m| paired.judge(m, judging))
        .collect();
    let regression = metrics.iter().any(|m| m.gated && m.regression);
    let inconclusive = !regression && metrics.iter().any(|m| m.gated && m.inconclusive);
    let (case, a, b) = labels;
    AbReport {
        case: case.to_string(),
        a: a.to_string(),
        b: b.to_string(),
        rounds,
        threshold_pct: judging.threshold * 100.0,
        side_by_side: judging.best.is_none(),
        best_pct: judging.best.map(|q| q * 100.0),
        confidence: CONFIDENCE,
        resamples: RESAMPLES,
        seed: judging.seed,
        metrics,
        failed_rounds,
        unmeasured_rounds,
        regression,
        inconclusive,
    }
}

/// The rounds of an A/B run: `rounds` of each side, found in `summary` by [`round_name`].
struct Rounds<'a> {
    summary: &'a RunSummary,
    rounds: usize,
}

impl Rounds<'_> {
    /// The case of round `i` of side `role`, when it ran.
    fn find(&self, i: usize, role: RoundRole) -> Option<&CaseSummary> {
        let name = round_name(i, role);
        self.summary.cases.iter().find(|c| c.name == name)
    }

    /// The rounds that failed (`r03-b: ...`), and those that measured nothing.
    fn left_out(&self) -> (Vec<String>, Vec<String>) {
        let mut failed_rounds = Vec::new();
        let mut unmeasured_rounds = Vec::new();
        for i in 0..self.rounds {
            for role in [RoundRole::A, RoundRole::B] {
                match self.find(i, role) {
                    None => failed_rounds.push(format!("{}: not run", round_name(i, role))),
                    Some(c) if c.attempts == 0 && c.error.is_none() && c.skipped.is_none() => {
                        unmeasured_rounds.push(c.name.clone());
                    }
                    Some(c) if !c.met => {
                        failed_rounds.push(format!("{}: {}", c.name, c.verdict));
                    }
                    Some(_) => {}
                }
            }
        }
        (failed_rounds, unmeasured_rounds)
    }

    /// Metric `m` of each round of side `role` (`None`: not measured).
    fn side(&self, m: Metric, role: RoundRole) -> Vec<Option<f64>> {
        (0..self.rounds)
            .map(|i| self.find(i, role).and_then(|c| m.of(c)))
            .collect()
    }

    /// Metric `m` compared between the sides, and judged as `judging` says.
    fn judge(&self, m: Metric, judging: &Judging) -> MetricResult {
        let (va, vb) = (self.side(m, RoundRole::A), self.side(m, RoundRole::B));
        let comparison = m.comparison(judging.best);
        let figure = match comparison {
            Comparison::Sides(statistic) => statistic,
            Comparison::RoundRatios => Statistic::Quantile(0.5),
        };
        let ratio = paired_ratio(&va, &vb, comparison, CONFIDENCE, RESAMPLES, judging.seed);
        let threshold = judging.threshold;
        let (worse, better) = match ratio {
            Some(r) if m.higher_is_worse() => (r.low > 1.0 + threshold, r.high < 1.0 - threshold),
            Some(r) => (r.high < 1.0 / (1.0 + threshold), r.low > 1.0 + threshold),
            None => (false, false),
        };
        let gated = judging.gate.contains(&m);
        let inconclusive = !worse && ratio.is_none_or(|r| r.high - r.low > INCONCLUSIVE_WIDTH);
        MetricResult {
            metric: m.field(),
            a_mean: side_figure(Statistic::Mean, &va),
            b_mean: side_figure(Statistic::Mean, &vb),
            a_figure: side_figure(figure, &va),
            b_figure: side_figure(figure, &vb),
            ratio,
            gated,
            regression: worse,
            improvement: better,
            inconclusive,
        }
    }
}

/// A side's figure by `statistic` over its measured rounds `v`.
fn side_figure(statistic: Statistic, v: &[Option<f64>]) -> Option<f64> {
    let mut got: Vec<f64> = v.iter().flatten().copied().collect();
    (!got.is_empty()).then(|| statistic.of(&mut got))
}

/// A percentage without a needless fraction: 10, 12.5.
fn fmt_pct(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn num(v: Option<f64>) -> String {
    match v {
        Some(v) if v >= 100.0 => format!("{v:.0}"),
        Some(v) => format!("{v:.3}"),
        None => "-".into(),
    }
}

impl AbReport {
    /// More than a quarter of the rounds measured nothing: too few pairs are left for the
    /// interval to mean what it says (the rounds are too short for how busy the machine is).
    pub fn too_few_measured(&self) -> bool {
        self.unmeasured_rounds.len() * 4 > self.rounds * 2
    }
    fn rows(&self) -> Vec<[String; 8]> {
        self.metrics
            .iter()
            .map(|m| {
                let (ratio, interval) = match m.ratio {
                    Some(r) => (
                        format!("{:.4}", r.ratio),
                        format!("[{:.4}, {:.4}]", r.low, r.high),
                    ),
                    None => ("-".into(), "-".into()),
                };
                let verdict = match (m.regression, m.improvement, m.inconclusive) {
                    (true, _, _) => "WORSE",
                    (_, true, _) => "better",
                    (_, _, true) => "TOO NOISY to tell",
                    _ => "within threshold",
                };
                let verdict = if m.gated {
                    format!("{verdict} (gate)")
                } else {
                    verdict.to_string()
                };
                [
                    m.metric.to_string(),
                    num(m.a_figure),
                    num(m.b_figure),
                    ratio,
                    interval,
                    num(m.a_mean),
                    num(m.b_mean),
                    verdict,
                ]
            })
            .collect()
    }

    const HEADERS: [&'static str; 8] = [
        "metric",
        "A",
        "B",
        "B/A",
        "95% interval",
        "A mean",
        "B mean",
        "verdict",
    ];

    /// How the rounds ran and what the A, B and B/A columns are.
    fn estimator(&self) -> String {
        match self.best_pct {
            None => "side by side (both servers at once, sharing each round's window); B/A = the median of the rounds' own ratios, A and B = each side's median round".to_string(),
            Some(best) => format!(
                "one side after the other; A and B = each side's {}th percentile over its rounds ({}th for hs/s): its best {}%; B/A = their ratio",
                fmt_pct(best),
                fmt_pct(100.0 - best),
                fmt_pct(best)
            ),
        }
    }

    /// The report as plain text.
    pub fn text(&self) -> String {
        let rows = self.rows();
        let mut widths = Self::HEADERS.map(str::len);
        for r in &rows {
            for (w, cell) in widths.iter_mut().zip(r) {
                *w = (*w).max(cell.len());
            }
        }
        let mut out = format!(
            "ab {}: A = {}, B = {}, {} rounds, threshold {}%; {}\n",
            self.case,
            self.a,
            self.b,
            self.rounds,
            self.threshold_pct,
            self.estimator()
        );
        let line = |cells: &[String]| {
            let parts: Vec<String> = cells
                .iter()
                .zip(&widths)
                .map(|(c, w)| format!("{c:<w$}"))
                .collect();
            format!("{}\n", parts.join("  ").trim_end())
        };
        out.push_str(&line(&Self::HEADERS.map(String::from)));
        for r in &rows {
            out.push_str(&line(r));
        }
        for f in &self.failed_rounds {
            let _ = writeln!(out, "ROUND FAILED {f}");
        }
        if !self.unmeasured_rounds.is_empty() {
            let _ = writeln!(
                out,
                "{} of {} rounds measured nothing (no handshake started in the window; left out): {}{}",
                self.unmeasured_rounds.len(),
                self.rounds * 2,
                self.unmeasured_rounds.join(" "),
                if self.too_few_measured() {
                    "; too many: use longer rounds (--round)"
                } else {
                    ""
                }
            );
        }
        let _ = writeln!(
            out,
            "{}",
            if self.regression {
                "B is worse than A beyond the threshold".to_string()
            } else if self.inconclusive {
                format!(
                    "INCONCLUSIVE: a gated metric's interval is wider than {}% (the machine was too busy for this run to clear B): rerun, or add rounds",
                    INCONCLUSIVE_WIDTH * 100.0
                )
            } else {
                "no gated metric of B is worse than A beyond the threshold".to_string()
            }
        );
        out
    }

    /// The report as markdown (for a CI job summary).
    pub fn markdown(&self) -> String {
        let mut out = format!(
            "## mtls-harness ab: {}\n\nA = `{}`, B = `{}`, {} rounds, threshold {}%, paired bootstrap ({} resamples, seed {}); {}.\n\n",
            self.case,
            self.a,
            self.b,
            self.rounds,
            self.threshold_pct,
            self.resamples,
            self.seed,
            self.estimator()
        );
        let _ = writeln!(out, "| {} |", Self::HEADERS.join(" | "));
        let _ = writeln!(out, "|---|---:|---:|---:|---|---:|---:|---|");
        for r in self.rows() {
            let _ = writeln!(out, "| {} |", r.join(" | "));
        }
        for f in &self.failed_rounds {
            let _ = writeln!(out, "\n- round failed: {}", f.replace('\n', " "));
        }
        if !self.unmeasured_rounds.is_empty() {
            let _ = writeln!(
                out,
                "\n- rounds that measured nothing (left out): {}",
                self.unmeasured_rounds.join(", ")
            );
        }
        if self.inconclusive {
            let _ = writeln!(
                out,
                "\n**Inconclusive**: a gated metric's interval is wider than {}%: the runner was too busy for this run to clear B.",
                INCONCLUSIVE_WIDTH * 100.0
            );
        }
        out
    }
}
