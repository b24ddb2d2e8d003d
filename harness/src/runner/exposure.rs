//! Setting up a mid-run revocation: the server gets its own copy of the case's CRL, the CRL
//! that also lists the victim is issued and staged beside it, and the probe's plan is made once
//! the server listens.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::RunError;
use crate::peers::RustlsClient;
use crate::pki::{self, Pki};
use crate::revocation::ExposurePlan;
use crate::scenario::{Case, Stop};

/// Time between the victim's probe handshakes.
const PROBE_INTERVAL: Duration = Duration::from_millis(20);

/// The CRL files of a case that revokes its victim mid-run.
pub(super) struct Staged {
    /// The file the server reads (a copy of the shared CRL, replaced mid-run).
    pub server_crl: PathBuf,
    /// The CRL that also lists the victim, renamed over `server_crl` to publish it.
    revoking_crl: PathBuf,
}

/// Writes the server's copy of `shared` and the revoking CRL under `peers_dir`.
///
/// # Errors
/// When the CRL cannot be issued or the files written.
pub(super) fn stage(
    case: &Case,
    stem: &str,
    pki: &Pki,
    shared: &Path,
    peers_dir: &Path,
) -> Result<Staged, RunError> {
    let server_crl = peers_dir.join(format!("{stem}-crl.pem"));
    let revoking_crl = peers_dir.join(format!("{stem}-crl-revoking.pem"));
    std::fs::copy(shared, &server_crl).map_err(|source| RunError::RunDir {
        path: server_crl.clone(),
        source,
    })?;
    let crl = pki::issue_crl(
        pki,
        case.revocation.crl_entries,
        2,
        &[pki::VICTIM_SERIAL],
        pki::CrlKind::Fresh,
    )
    .map_err(RunError::Fixtures)?;
    pki::write_crl(&crl, &revoking_crl).map_err(RunError::FixtureFiles)?;
    Ok(Staged {
        server_crl,
        revoking_crl,
    })
}

/// The probe's plan against the server at `addr`, for a window starting at `window_start`.
///
/// # Errors
/// When the victim's client cannot be configured.
pub(super) fn plan(
    case: &Case,
    pki: &Pki,
    staged: Staged,
    addr: SocketAddr,
    window_start: Instant,
    cancel: &Arc<AtomicBool>,
) -> Result<ExposurePlan, String> {
    let victim = RustlsClient::for_identity(case, pki, &pki.victim).map_err(|e| e.to_string())?;
    let revoke_after = case.revocation.revoke_after.unwrap_or_default();
    Ok(ExposurePlan {
        victim: Arc::new(victim),
        addr,
        timeout: case.load.timeout,
        window_start,
        revoke_after,
        until: match case.load.stop {
            Stop::Duration(d) => d,
            Stop::Handshakes(_) => revoke_after,
        },
        interval: PROBE_INTERVAL,
        staged_crl: staged.revoking_crl,
        crl: staged.server_crl,
        resume: case.tls.resumption != crate::scenario::ResumptionMode::Off,
        cancel: Arc::clone(cancel),
    })
}
