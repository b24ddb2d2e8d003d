//! The validated scenario model: what a run executes. Built only by the parser, so every value
//! in it has been checked.
//!
//! One file per part of a case, depending one way: `peers`, `tls`, `revocation` (its JSON form in
//! `revocation_json`), `load` and `expect` hold the settings (`command` a command peer's, `thresholds` a case's gates) (named enums take their names from strum), `verdicts` derives
//! expectations from them, `case` gathers them into [`Case`] and [`Scenario`]; `millis` is the
//! JSON form of durations.

mod case;
mod command;
mod expect;
mod load;
mod millis;
mod peers;
mod revocation;
mod revocation_json;
mod thresholds;
mod tls;
mod verdicts;

pub use case::{Case, PkiSettings, Scenario};
pub use command::{CommandPeer, Placeholder};
pub use expect::Expectation;
pub use load::{LoadSpec, Schedule, Stop};
pub use peers::{ClientAuth, ClientImpl, ServerImpl, PLANNED_PEERS};
pub use revocation::{
    CrlHttpSettings, CrlList, CrlSettings, FailPolicy, OcspSettings, OcspSigner, OcspView,
    ResponderFault, ResumptionExposure, Revocation, RevocationMode, Revoke, ServiceSettings,
    ShortLivedSettings, StaplingSettings,
};
pub use thresholds::{Limit, Thresholds};
pub use tls::{
    CipherSuite, KxGroup, ResumptionMode, SigScheme, TlsSettings, TlsVersion, STOCK_GROUPS,
};
