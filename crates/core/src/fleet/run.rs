//! One fleet scenario: every experiment it names, in order, then the strategy table over
//! their rows, gathered into the [`FleetReport`].

use super::error::FleetError;
use super::options::FleetOptions;
use super::output::{self, FleetReport, SCHEMA_VERSION};
use super::spec::FleetSpec;
use super::{ca, lifetimes, responder_load, storm};

/// Runs every experiment `spec` names, in order, and the strategy table over their rows.
///
/// # Errors
/// When an experiment's parts cannot be set up; measured outcomes are never errors.
pub fn run(spec: &FleetSpec, opts: &FleetOptions) -> Result<FleetReport, FleetError> {
    std::fs::create_dir_all(&opts.out_dir).map_err(|e| FleetError::io(&opts.out_dir, e))?;
    let started = std::time::Instant::now();
    let load_before = output::load_average();
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
        load_average_after: output::load_average(),
        lifetimes,
        storm,
        responder,
        strategy,
    })
}
