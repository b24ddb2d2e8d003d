//! Fleets: what certificate lifetimes, renewals and OCSP cost when many clients hold
//! certificates (`mtls-harness fleet SCENARIO`). Three experiments, each on real parts (the
//! harness's CA issuing, the built-in server as its own process rotating its certificate or
//! checking OCSP, the OCSP responder over HTTP, full handshakes over 127.0.0.1):
//!
//! - `lifetimes`: per lifetime (1 h to 200 d) the issuance rate a fleet needs, the CA's CPU per
//!   issuance (measured per key type), the renewal traffic and the exposure of a stolen key,
//!   checked by a run in compressed time (the factor is reported);
//! - `storm`: renewals at one moment versus spread over an ARI-style window (the CA's queue,
//!   failed handshakes, the server's latency meanwhile), and a mass revocation with mass
//!   re-issuance;
//! - `responder_load`: the responder's queries per second and the latency cold caches add as a
//!   fleet grows, and what soft-fail admits when the responder is slow, overloaded (`flood`:
//!   other clients' real queries) or down.
//!
//! `report::strategy` turns the measured rows into the "which strategy" table; `output` writes
//! `fleet.json`, `report.md` and the console tables.

mod ca;
mod flood;
mod lifetimes;
mod output;
mod responder_load;
mod rig;
mod spec;
mod storm;

use std::path::{Path, PathBuf};

pub use ca::{measure_cost, CaQueue, FleetIssuer, IssuanceCost, QueueFigures};
pub use lifetimes::{LifetimeRow, LifetimesResult};
pub use output::{render_console, render_markdown, write_outputs, FleetReport, SCHEMA_VERSION};
pub use responder_load::{CapacityRow, ResponderResult, SaturationRow};
pub use rig::{Outcomes, PhaseFigures};
pub use spec::{load, parse, FleetSpec, SpecError};
pub use storm::{StormResult, StormRow};

/// Why a fleet experiment could not run.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// A certificate could not be issued.
    #[error("{0}")]
    Issue(#[from] crate::pki::IssueError),
    /// A key could not be generated.
    #[error("{0}")]
    Key(#[from] crate::pki::KeyError),
    /// A file could not be written or read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A part could not be started or set up.
    #[error("{0}")]
    Internal(String),
}

impl FleetError {
    fn io(path: &Path, source: std::io::Error) -> Self {
        Self::Io {
            path: path.to_path_buf(),
            source,
        }
    }
}

/// Where and with what a fleet scenario runs.
pub struct FleetOptions {
    /// The `mtls-harness` binary (servers run as `mtls-harness serve`).
    pub harness_exe: PathBuf,
    /// The run directory.
    pub out_dir: PathBuf,
    /// Progress lines on stderr.
    pub progress: bool,
}

/// Runs every experiment `spec` names, in order, and the strategy table over their rows.
///
/// # Errors
/// When an experiment's parts cannot be set up; measured outcomes are never errors.
pub fn run(spec: &FleetSpec, opts: &FleetOptions) -> Result<FleetReport, FleetError> {
    std::fs::create_dir_all(&opts.out_dir).map_err(|e| FleetError::io(&opts.out_dir, e))?;
    let started = std::time::Instant::now();
    let load_before = crate::fleet::output::load_average();
    let lifetimes = match &spec.lifetimes {
        Some(l) => Some(lifetimes::run(l, opts)?),
        None => None,
    };
    let storm = match &spec.storm {
        Some(s) => Some(storm::run(s, opts)?),
        None => None,
    };
    let responder = match &spec.responder {
        Some(r) => Some(responder_load::run(r, opts)?),
        None => None,
    };
    let strategy = spec.strategy.as_ref().map(|s| {
        crate::report::strategy::recommend(
            &crate::report::strategy::Question {
                fleets: s.fleets.clone(),
                max_exposure_s: s.max_exposure.iter().map(|d| d.as_secs()).collect(),
                ca_cores: s.ca_cores,
                responders: s.responders,
            },
            &output::measured_inputs(lifetimes.as_ref(), responder.as_ref()),
        )
    });
    Ok(FleetReport {
        schema_version: SCHEMA_VERSION,
        name: spec.name.clone(),
        wall_s: ca::round1(started.elapsed().as_secs_f64()),
        load_average_before: load_before,
        load_average_after: crate::fleet::output::load_average(),
        lifetimes,
        storm,
        responder,
        strategy,
    })
}

fn progress(opts: &FleetOptions, line: &str) {
    if opts.progress {
        eprintln!("fleet: {line}");
    }
}
