//! Plots of a run, each as PNG and SVG under `plots/`: latency percentile curves
//! (`latency.rs`), handshakes per second over time (`over_time.rs`), throughput, p99, CPU and
//! per-axis bars (`bars.rs`), all drawn through the shared backend plumbing (`backend.rs`).
//! Which plots a run gets, and writing them (atomically, like every report file), is in
//! `run.rs`; what a plot is and how making one fails, in `plot.rs`.

mod backend;
mod bars;
mod latency;
mod over_time;
mod plot;
mod run;

pub use plot::{DrawingError, Plot, PlotError};
pub use run::{plots, write_plots};
