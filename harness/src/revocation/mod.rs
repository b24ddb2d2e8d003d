//! Revocation at work: measuring how long a revoked client still gets in. (The CRLs themselves
//! are issued in [`crate::pki`]; the server loads and reloads them.)

mod exposure;

pub use exposure::{measure_exposure, Exposure, ExposurePlan};
