//! Measurement: outcome classes, per-phase samples, histograms, CPU and byte counters.

mod counting;
mod cpu;
mod intervals;
mod outcome;
mod recorder;
mod sample;

pub use counting::{ByteCounts, CountingStream};
pub use cpu::{CpuSnapshot, CpuTargets, CpuUsage};
pub use intervals::{Interval, Intervals, DEFAULT_INTERVAL};
pub use outcome::Outcome;
pub use recorder::{new_histogram, Recorder};
pub use sample::{Negotiated, Sample};
