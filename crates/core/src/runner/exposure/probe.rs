//! The exposure window: while the load runs, a probe makes a handshake as the victim client
//! every few milliseconds; at the planned moment the harness publishes the revocation (a CRL
//! that lists the victim renamed over the file the server re-reads, a new CRL at the
//! distribution point, the responder's status of the victim, or of the server's own
//! certificate for stapling), and the probe records when the victim was last accepted and first
//! rejected after that. The revocation took effect between the two. With resumption on, every
//! other probe offers the victim's session: what those got after the publication is the
//! resumption exposure (how many resumed handshakes of the revoked client got in, until when,
//! and whether they still did when the probe stopped), reported apart from the full-handshake
//! window.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::load::attempt;
use crate::measure::{Exposure, Outcome};
use crate::peers::RustlsClient;
use crate::revocation::ocsp::ResponderError;

/// Why the revocation could not be published (the probe records it in [`Exposure::error`]).
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// The revoking CRL could not be renamed over the server's file.
    #[error("{}: {source}", path.display())]
    Rename {
        /// The server's CRL file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The responder has no status for the certificate to revoke.
    #[error("the responder does not know the certificate")]
    UnknownCertificate,
    /// The responder could not revoke the certificate.
    #[error("{0}")]
    Responder(#[from] ResponderError),
}

/// What the probe needs.
pub struct ExposurePlan {
    /// The victim's client.
    pub victim: Arc<RustlsClient>,
    /// The server.
    pub addr: SocketAddr,
    /// Per-probe timeout.
    pub timeout: Duration,
    /// Start of the measured window (the end of the load's warm-up).
    pub window_start: Instant,
    /// When to publish the revocation, after `window_start`.
    pub revoke_after: Duration,
    /// When to stop probing, after `window_start`.
    pub until: Duration,
    /// Time between probe starts.
    pub interval: Duration,
    /// Publishes the revocation.
    pub publish: Box<dyn FnOnce() -> Result<(), PublishError> + Send>,
    /// With resumption on, every other probe offers the victim's session: the figures then
    /// show whether a revoked client still gets in by resuming.
    pub resume: bool,
    /// Set on Ctrl-C: the probe stops too.
    pub cancel: Arc<AtomicBool>,
}

fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

/// Runs the probe (see the module docs).
pub async fn measure_exposure(plan: ExposurePlan) -> Exposure {
    let mut seen = Exposure {
        probe_interval_ms: ms(plan.interval),
        ..Exposure::default()
    };
    let mut published: Option<Instant> = None;
    let (revoke_at, until) = (
        plan.window_start + plan.revoke_after,
        plan.window_start + plan.until,
    );
    let mut next = Instant::now();
    let mut publish = Some(plan.publish);
    while Instant::now() < until && !plan.cancel.load(Ordering::Relaxed) {
        if published.is_none() && Instant::now() >= revoke_at {
            if let Some(action) = publish.take() {
                if let Err(e) = action() {
                    seen.error = Some(format!("publishing the revocation: {e}"));
                    return seen;
                }
            }
            published = Some(Instant::now());
        }
        let want_resume = plan.resume && seen.probes % 2 == 1;
        let sample = attempt(
            &*plan.victim,
            plan.addr,
            0,
            Instant::now(),
            plan.timeout,
            want_resume,
        )
        .await;
        seen.probes += 1;
        let resumed = sample.negotiated.is_some_and(|n| n.resumed);
        if let Some(at) = published.filter(|&at| sample.start >= at) {
            let after = ms(sample.start - at);
            seen.probe_after_ms = Some(after);
            if sample.meant_to_resume {
                seen.resumption_offered_after += 1;
                let admitted = resumed && sample.outcome == Outcome::Accepted;
                if !admitted {
                    seen.last_resumption_refused_after_ms = Some(after);
                }
            }
        }
        match published {
            Some(at) if resumed && sample.start >= at => {
                seen.resumed_after += 1;
                if sample.outcome == Outcome::Accepted {
                    seen.resumed_accepted_after += 1;
                    seen.last_resumed_accepted_after_ms = Some(ms(sample.start - at));
                }
            }
            None if sample.outcome == Outcome::Accepted => seen.accepted_before += 1,
            None => {}
            Some(at) if sample.start >= at => {
                let after = ms(sample.start - at);
                if sample.outcome == Outcome::Accepted {
                    seen.last_accepted_after_ms = Some(after);
                } else if sample.outcome.is_server_rejection()
                    && seen.first_rejected_after_ms.is_none()
                {
                    seen.first_rejected_after_ms = Some(after);
                    seen.rejected_with = Some(sample.outcome);
                }
            }
            Some(_) => {}
        }
        next += plan.interval;
        let now = Instant::now();
        if next > now {
            tokio::time::sleep(next - now).await;
        } else {
            next = now;
        }
    }
    seen
}
