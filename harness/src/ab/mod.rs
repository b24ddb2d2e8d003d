//! Interleaved A/B comparison (`mtls-harness ab`): one scenario case run against two server
//! specs in short alternating rounds (A B, B A, A B, ...) in one run, on the same pinned CPUs,
//! so slow drifts of a noisy machine hit both sides alike. Each round's figures are paired, and
//! per metric the ratio B/A gets a confidence interval from a paired bootstrap over the rounds
//! (fixed seed, so the same figures always give the same interval).
//!
//! The parts, depending one way: `spec` (what `--a`/`--b` say and the case each makes),
//! `stats` (the paired bootstrap), `plan` (the round cases), `verdict` (the figures paired into
//! ratios and intervals, the gate, and their rendering).

mod plan;
mod spec;
mod stats;
mod verdict;

pub use plan::{round_cases, Plan, RoundRole};
pub use spec::{ServerSpec, SpecError};
pub use stats::{paired_ratio, Comparison, RatioInterval, Statistic};
pub use verdict::{compare, AbReport, Judging, Metric, MetricResult};
