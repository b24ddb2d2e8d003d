//! Interleaved A/B comparison (`mtls-harness ab`): one scenario case run against two server
//! specs in short rounds in one run, on the same pinned CPUs: side by side (both servers up,
//! both loads over one window, so whatever disturbs the machine hits both alike) or, with
//! `--alternate`, one after the other (A B, B A, A B, ...). Each round's figures are paired,
//! and per metric the ratio B/A gets a confidence interval from a paired bootstrap over the
//! rounds (fixed seed, so the same figures always give the same interval).
//!
//! The parts, depending one way: `spec` (what `--a`/`--b` say and the case each makes),
//! `stats` (the paired bootstrap), `plan` (the round cases), `verdict` (pairing the rounds,
//! the gate, the report), `junit` (the gate as JUnit test cases).

mod junit;
mod plan;
mod spec;
mod stats;
mod verdict;

pub use plan::{round_cases, Plan, RoundRole};
pub use spec::{ServerSpec, SpecError};
pub use stats::{paired_ratio, Comparison, RatioInterval, Statistic};
pub use verdict::{compare, AbReport, Judging, Metric, MetricResult};
