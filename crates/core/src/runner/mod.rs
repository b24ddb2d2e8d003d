//! One run of a scenario: fixtures, then for each case a server process, the load, the results;
//! `summary.json` rewritten after every case (so an interrupted run keeps what it measured);
//! servers stopped when their case ends, also on error or Ctrl-C.
//!
//! The parts, one per file: `options` (what a run is asked to do, how it fails and ends),
//! `run` (the loop over cases), `case` (one case in four phases), `pair` (two cases side by
//! side, for `ab`), `client` (the case's load client and the target-mode rules), `verdict`
//! (the peer's verdict from nginx's log), `trust` and `refused` (a target's trust handshake
//! and the words of its refusal), `dirs` (naming and preparing the run directory), `manifest`
//! (`run-files.json`: what a run wrote, the only things a later run into the same directory
//! removes), `fixtures`, `revocation` (a case's revocation sources), `exposure` (the mid-run
//! revocation and its probe), `short_lived`, `worker`, `interrupt` (what a second Ctrl-C
//! waits for).

mod case;
mod client;
mod dirs;
mod exposure;
mod fixtures;
mod interrupt;
mod late_auth;
mod manifest;
mod options;
mod pair;
mod reach;
mod refused;
mod revocation;
mod run;
mod short_lived;
mod target_ocsp;
mod trust;
mod verdict;
mod worker;

pub use crate::measure::{Exposure, ShortLivedFigures};
pub use exposure::{measure_exposure, ExposurePlan, PublishError};
pub use fixtures::Fixtures;
pub use interrupt::wait_until_settled;
pub use manifest::note_run_files;
pub use options::{
    LiveProgress, Overrides, RunError, RunOptions, RunOutcome, MAX_INTERVALS, MAX_LOG_INTERVAL,
    MIN_LOG_INTERVAL,
};
pub use pair::pair_refusal;
pub use run::{check, run};
pub use worker::Worker;
