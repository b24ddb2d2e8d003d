//! Revocation that no one TLS stack owns: the OCSP responder and CRL publisher (one HTTP
//! service), the OCSP checker with its cache, the fail-policy verdict every built-in server
//! applies to a client's OCSP status, a server's own staple kept fresh, CRLs for a whole
//! chain, delta CRLs, and the CRLs a server fetches by the distribution points its clients'
//! certificates name. (The CRLs themselves are issued in [`crate::pki`]; the exposure probe, which measures
//! how long a revoked client still gets in, is the runner's.)
#![forbid(unsafe_code)]

// The rooms were once modules of one crate: these names keep paths written as
// `crate::<room>::...` resolving to the crates they now live in.
use crate as revocation;
use mtls_pki as pki;
use mtls_scenario as scenario;
use mtls_sys as sys;
use mtls_sys::fsutil;

pub mod client_check;
pub mod crl_chain;
pub mod delta_crl;
pub mod distribution_points;
pub mod ocsp;
pub mod staple_source;
