//! The tokio load engine: closed loop (fixed concurrency) and open loop (fixed arrival rate,
//! latency from the scheduled start), warm-up excluded, per-attempt timeout, one worker loop.
#![forbid(unsafe_code)]

// The rooms were once modules of one crate: these names keep paths written as
// `crate::<room>::...` resolving to the crates they now live in.
use mtls_measure as measure;
use mtls_scenario as scenario;
use mtls_sys as sys;

mod attempt;
mod attempter;
mod connector;
mod engine;
mod evidence;
mod live;
mod reply;
mod request;
mod ticket;

pub use attempt::attempt;
pub use attempter::{Attempter, TlsAttempts};
pub use connector::Connector;
pub use engine::{run_load, run_load_with, LoadExtras};
pub use evidence::{record_answer, record_late_request, record_request, record_session_lookup};
pub use reply::parse_status_line;
pub use request::{request_for, REQUEST};
pub use ticket::{Ticket, Ticketer};
