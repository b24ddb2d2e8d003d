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
//! `run` runs a scenario's experiments; `report::strategy` turns the measured rows into the
//! "which strategy" table; `output` writes `fleet.json`, `report.md` and the console tables.
//! This file only declares the modules and names the public interface.

mod ca;
mod error;
mod flood;
mod lifetimes;
mod options;
mod output;
mod responder_load;
mod rig;
mod run;
mod spec;
mod storm;

pub use ca::{measure_cost, CaQueue, FleetIssuer, IssuanceCost, QueueFigures};
pub use error::FleetError;
pub use lifetimes::{LifetimeRow, LifetimesResult};
pub use options::FleetOptions;
pub use output::{render_console, render_markdown, write_outputs, FleetReport, SCHEMA_VERSION};
pub use responder_load::{CapacityRow, ResponderResult, SaturationRow};
pub use rig::{Outcomes, PhaseFigures};
pub use run::run;
pub use spec::{load, parse, FleetSpec, SpecError};
pub use storm::{StormResult, StormRow};
