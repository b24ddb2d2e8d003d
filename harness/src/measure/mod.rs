//! Measurement: outcome classes, per-phase samples, histograms, CPU and byte counters.

mod outcome;

pub use outcome::Outcome;
