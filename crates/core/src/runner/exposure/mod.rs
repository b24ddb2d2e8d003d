//! The exposure window of a case that revokes its victim mid-run: how long a revoked client
//! still gets in. [`plan`] stages the revocation and makes the probe's plan (the runner's side);
//! [`probe`] runs the probe beside the load and reports what it saw.

mod plan;
mod probe;

pub(super) use plan::{plan, publisher, stage, Publisher};
pub use probe::{measure_exposure, ExposurePlan, PublishError};
