//! OCSP (RFC 6960), both sides: a responder put on HTTP by the revocation service (which also
//! publishes CRLs), and a checker with a cache that verifies answers with a library
//! (x509-ocsp for the formats, aws-lc-rs through rustls for signatures).

mod checker;
mod fetch;
mod issued;
mod responder;
mod service;
mod sigalg;
mod signer;
mod verify;

pub use crate::scenario::ResponderFault as Fault;
pub use checker::{ocsp_url_of, CheckerSettings, CheckerStats, Decision, Fetched, OcspChecker};
pub use fetch::{fetch, fetch_ocsp, FetchError, MalformedAnswer, OcspMethod};
pub use responder::{serial_of, Responder, ResponderError, ResponderSettings, ResponderStats};
pub use service::{CrlFetches, RevocationService};
pub use signer::{algorithm_of, KeySigner, RawSignature};
pub use verify::{verify_response, CertState, Expected, ResponseProblem, Verified, SKEW};
