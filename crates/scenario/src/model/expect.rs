//! What a case must produce ([`Expectation`]): acceptance, a rejection (with a given alert or
//! any), or a recorded verdict; its text form (`accept`, `reject`, `reject:<outcome>`,
//! `record`) is what reports and `summary.json` show. How one is derived for a case without
//! one is in `verdicts.rs`.

use std::fmt;

use serde::Serialize;

use crate::measure::Outcome;

/// What a case must produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// Every measured handshake accepted.
    Accept,
    /// Every measured handshake rejected by the server: with this class when given, else with
    /// any server verdict.
    Reject(Option<Outcome>),
    /// Local policy: every measured handshake ends in the same verdict, acceptance or a server
    /// rejection, and the report records which.
    Record,
}

impl Serialize for Expectation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expectation::Accept => f.write_str("accept"),
            Expectation::Reject(None) => f.write_str("reject"),
            Expectation::Record => f.write_str("record"),
            Expectation::Reject(Some(o)) => write!(f, "reject:{o}"),
        }
    }
}
