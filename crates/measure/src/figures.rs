//! Revocation figures a case measures beside its load: how long a revoked client still got in
//! (the exposure probe's view) and what short-lived certificates cost. The runner fills them;
//! the reports render them; neither needs the other's code.

use serde::Serialize;

use super::Outcome;

/// What the probe saw, times relative to the publication.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Exposure {
    /// Probes made.
    pub probes: u64,
    /// Probes before the publication that were accepted (the victim was valid then).
    pub accepted_before: u64,
    /// Start of the last accepted probe after the publication (the revocation had not taken
    /// effect yet), in ms after it; `null` when none was accepted after it.
    pub last_accepted_after_ms: Option<f64>,
    /// Start of the first rejected probe after the publication, in ms after it; `null` when
    /// the victim was never rejected.
    pub first_rejected_after_ms: Option<f64>,
    /// How that probe was rejected.
    pub rejected_with: Option<Outcome>,
    /// Probes after the publication that resumed a session (full-handshake figures above
    /// leave them out).
    pub resumed_after: u64,
    /// Of those, how many were accepted: the revoked client got in by resumption.
    pub resumed_accepted_after: u64,
    /// Start of the last accepted resumption after the publication, in ms after it.
    pub last_resumed_accepted_after_ms: Option<f64>,
    /// Probes after the publication that offered a session (resumed or not).
    pub resumption_offered_after: u64,
    /// Start of the last probe after the publication that offered a session and was not let
    /// in by it (refused, or a full handshake instead), in ms after it.
    pub last_resumption_refused_after_ms: Option<f64>,
    /// Start of the last probe after the publication, in ms after it (how long the probe
    /// watched; a resumption exposure still open then is at least this long).
    pub probe_after_ms: Option<f64>,
    /// Time between probe starts.
    pub probe_interval_ms: f64,
    /// Why the revocation could not be published, if it could not.
    pub error: Option<String>,
}

impl Exposure {
    /// Whether the revoked client still got in by resuming when the probe stopped: a resumed
    /// handshake was admitted after the publication and no session offered later was refused.
    /// The resumption exposure is then at least [`Exposure::probe_after_ms`], not bounded by
    /// what the run saw.
    pub fn resumption_open(&self) -> bool {
        self.last_resumed_accepted_after_ms.is_some_and(|admitted| {
            self.last_resumption_refused_after_ms
                .is_none_or(|refused| refused < admitted)
        })
    }
}

/// What short-lived certificates cost, for the report.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ShortLivedFigures {
    /// Certificate lifetime.
    pub lifetime_ms: u64,
    /// Time between a holder's renewals.
    pub renew_every_ms: u64,
    /// Client certificates renewed during the case.
    pub client_renewals: u64,
    /// Server certificates the harness issued and wrote during the case.
    pub server_renewals: u64,
    /// Of those, how many the server rotated to (from its log).
    pub server_rotations: u64,
    /// Renewals that failed.
    pub renewal_failures: u64,
    /// Certificates the CA signs per second on one CPU (measured at the case's start).
    pub issuance_per_sec: f64,
    /// Fleet size the next two figures are for.
    pub fleet: u64,
    /// Renewals per second such a fleet needs.
    pub fleet_renewals_per_sec: f64,
    /// The CA's CPU those renewals take, in percent of one CPU.
    pub fleet_ca_cpu_pct: f64,
}
