//! Measurement: outcome classes, per-attempt verdict evidence, per-phase samples, histograms, CPU and byte counters.
#![forbid(unsafe_code)]

// The rooms were once modules of one crate: these names keep paths written as
// `crate::<room>::...` resolving to the crates they now live in.
use mtls_sys as sys;

mod counting;
mod cpu;
mod evidence;
mod figures;
mod intervals;
mod live;
mod outcome;
mod recorder;
mod result;
mod sample;

pub use counting::{ByteCounts, CountingStream};
pub use cpu::{CpuSnapshot, CpuTargets, CpuUsage};
pub use evidence::{
    CertAnswer, CertRequest, Evidence, EvidenceCounts, LateRequest, Refusal, MAX_CA_NAMES,
    MAX_CA_NAME_BYTES, MAX_SIG_SCHEMES,
};
pub use figures::{Exposure, ShortLivedFigures};
pub use intervals::{Interval, Intervals, DEFAULT_INTERVAL};
pub use live::{LiveStats, ProgressSink};
pub use outcome::{Outcome, TlsFailure};
pub use recorder::{new_histogram, Recorder};
pub use result::LoadResult;
pub use sample::{Negotiated, Sample};
