//! Revocation at work: the OCSP responder and CRL publisher (one HTTP service), the OCSP
//! checker servers use, and measuring how long a revoked client still gets in. (The CRLs
//! themselves are issued in [`crate::pki`]; the server loads and reloads them.)

pub mod client_check;
pub mod crl_chain;
pub mod ocsp;
pub mod staple_source;

// The probe moved to the runner; the report still names its figures by this path.
pub use crate::runner::Exposure;
