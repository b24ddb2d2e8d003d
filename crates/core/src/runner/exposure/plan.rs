//! Setting up a mid-run revocation. For a CRL file, the server gets its own copy of the case's
//! CRL and the CRL that also lists the victim is staged beside it; for the distribution points,
//! the revoking CRL (every shard of a sharded one) is issued to be published by the revocation
//! service; for OCSP the
//! responder is told; for stapling the server's own certificate is the one revoked. The probe's
//! plan is made once the server listens.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::probe::{ExposurePlan, PublishError};
use crate::peers::RustlsClient;
use crate::pki::{self, Pki};
use crate::revocation::ocsp::RevocationService;
use crate::runner::RunError;
use crate::scenario::{Case, Revocation, RevocationMode, Stop};

/// Why a case's mid-run revocation cannot be set up (the case fails with this message).
#[derive(Debug, thiserror::Error)]
pub(in crate::runner) enum ExposureError {
    /// Mode `crl` without the staged CRL files.
    #[error("no staged CRL")]
    NoStagedCrl,
    /// The mode publishes through the revocation service, and the run has none.
    #[error("this mode needs the revocation service")]
    NoService,
    /// The CRL that lists the victim could not be issued.
    #[error("generating fixtures: {0}")]
    RevokingCrl(pki::IssueError),
    /// Mode `short_lived` without the case's short-lived certificates.
    #[error("no short-lived certificates")]
    NoShortLived,
    /// The victim's client could not be configured.
    #[error("{0}")]
    Client(#[from] crate::peers::ClientError),
    /// Mode `none` has nothing to revoke.
    #[error("revocation mode none cannot revoke mid-run")]
    NothingToRevoke,
}

/// Time between the victim's probe handshakes.
const PROBE_INTERVAL: Duration = Duration::from_millis(20);

/// The CRL files of a case that revokes its victim mid-run (CRL file mode).
pub(in crate::runner) struct Staged {
    /// The file the server reads (a copy of the shared CRL, replaced mid-run).
    pub server_crl: PathBuf,
    /// The CRL that also lists the victim, renamed over `server_crl` to publish it.
    revoking_crl: PathBuf,
}

/// Writes the server's copy of `shared` and the revoking CRL under `peers_dir`.
///
/// # Errors
/// When the CRL cannot be issued or the files written.
pub(in crate::runner) fn stage(
    case: &Case,
    stem: &str,
    pki: &Pki,
    shared: &Path,
    peers_dir: &Path,
) -> Result<Staged, RunError> {
    let server_crl = peers_dir.join(format!("{stem}-crl.pem"));
    let revoking_crl = peers_dir.join(format!("{stem}-crl-revoking.pem"));
    // A fresh file, never written through a link planted at its path.
    std::fs::read(shared)
        .and_then(|crl| crate::fsutil::write_atomic(&server_crl, &crl, 0o644))
        .map_err(|source| RunError::RunDir {
            path: server_crl.clone(),
            source,
        })?;
    let crls = revoking_crls(case, pki).map_err(RunError::Fixtures)?;
    pki::write_crls(&crls, &revoking_crl).map_err(RunError::FixtureFiles)?;
    Ok(Staged {
        server_crl,
        revoking_crl,
    })
}

/// The case's CRL file's contents with the victim listed too: every shard when the CRL is
/// sharded (the victim's in its shard).
fn revoking_crls(
    case: &Case,
    pki: &Pki,
) -> Result<Vec<rustls::pki_types::CertificateRevocationListDer<'static>>, pki::IssueError> {
    match (
        case.revocation.crl_list().unwrap_or_default().shards,
        pki.spec.revocation_url.as_deref(),
    ) {
        (n, Some(base_url)) if n > 1 => pki::issue_crl_shards(
            pki,
            case.revocation.crl_list().unwrap_or_default().entries,
            2,
            &[pki::VICTIM_SERIAL],
            n,
            base_url,
        ),
        _ => Ok(vec![revoking_crl_der(case, pki)?]),
    }
}

/// The case's CRL with the victim listed too.
fn revoking_crl_der(
    case: &Case,
    pki: &Pki,
) -> Result<rustls::pki_types::CertificateRevocationListDer<'static>, pki::IssueError> {
    pki::issue_crl(
        pki,
        case.revocation.crl_list().unwrap_or_default().entries,
        2,
        &[pki::VICTIM_SERIAL],
        pki::CrlKind::Fresh,
    )
}

/// How the revocation is published, and who the probe is.
pub(in crate::runner) struct Publisher {
    victim: crate::pki::Identity,
    /// The victim's client when it is not simply `victim`'s (short-lived: it renews).
    client: Option<RustlsClient>,
    publish: Box<dyn FnOnce() -> Result<(), PublishError> + Send>,
}

/// The publication of `case`'s mode.
///
/// # Errors
/// When the revoking CRL cannot be issued, or the mode needs the service and there is none.
pub(in crate::runner) fn publisher(
    case: &Case,
    pki: &Pki,
    staged: Option<Staged>,
    service: Option<&RevocationService>,
    short: Option<&crate::runner::short_lived::ShortLived>,
) -> Result<Publisher, ExposureError> {
    Ok(match case.revocation.mode() {
        RevocationMode::Crl => {
            let staged = staged.ok_or(ExposureError::NoStagedCrl)?;
            Publisher {
                victim: pki.victim.clone(),
                client: None,
                publish: Box::new(move || {
                    std::fs::rename(&staged.revoking_crl, &staged.server_crl).map_err(|source| {
                        PublishError::Rename {
                            path: staged.server_crl.clone(),
                            source,
                        }
                    })
                }),
            }
        }
        RevocationMode::CrlHttp => {
            let service = service.ok_or(ExposureError::NoService)?;
            let ders = revoking_crls(case, pki).map_err(ExposureError::RevokingCrl)?;
            let shards = case.revocation.crl_list().unwrap_or_default().shards;
            // Each CRL at the name its certificates' distribution points give (every shard,
            // the victim's listing it).
            let named: Vec<(String, Vec<u8>)> = ders
                .into_iter()
                .enumerate()
                .map(|(index, der)| {
                    let name = match (shards, u16::try_from(index)) {
                        (n, Ok(index)) if n > 1 => pki::crl_shard_name(index, n),
                        _ => crate::runner::revocation::CRL_NAME.to_string(),
                    };
                    (name, der.to_vec())
                })
                .collect();
            let crls = service.crl_publisher();
            Publisher {
                victim: pki.victim.clone(),
                client: None,
                publish: Box::new(move || {
                    for (name, der) in named {
                        crls(&name, der);
                    }
                    Ok(())
                }),
            }
        }
        RevocationMode::Ocsp | RevocationMode::OcspStapling => {
            let service = service.ok_or(ExposureError::NoService)?;
            let responder = Arc::clone(&service.responder);
            // Stapling: the server's certificate is revoked and any client notices.
            let (victim, cert) = if case.revocation.mode() == RevocationMode::Ocsp {
                (pki.victim.clone(), pki.victim.chain[0].clone())
            } else {
                let server = if matches!(case.revocation, Revocation::Stapling(s) if s.must_staple)
                {
                    &pki.server_must_staple
                } else {
                    &pki.server
                };
                (pki.clients[0].clone(), server.chain[0].clone())
            };
            Publisher {
                victim,
                client: None,
                publish: Box::new(move || match responder.revoke(&cert) {
                    Ok(true) => Ok(()),
                    Ok(false) => Err(PublishError::UnknownCertificate),
                    Err(e) => Err(e.into()),
                }),
            }
        }
        RevocationMode::ShortLived => {
            let short = short.ok_or(ExposureError::NoShortLived)?;
            let client = RustlsClient::rotating(case, pki, &[short.victim_cert()])?;
            let stop = short.stopper();
            Publisher {
                victim: pki.victim.clone(),
                client: Some(client),
                publish: Box::new(move || {
                    stop.store(true, std::sync::atomic::Ordering::Relaxed);
                    Ok(())
                }),
            }
        }
        RevocationMode::None => return Err(ExposureError::NothingToRevoke),
    })
}

/// The probe's plan against the server at `addr`, for a window starting at `window_start`.
///
/// # Errors
/// When the victim's client cannot be configured.
pub(in crate::runner) fn plan(
    case: &Case,
    pki: &Pki,
    publisher: Publisher,
    addr: SocketAddr,
    window_start: Instant,
    cancel: &Arc<AtomicBool>,
) -> Result<ExposurePlan, ExposureError> {
    let victim = match publisher.client {
        Some(c) => c,
        None => RustlsClient::for_identity(case, pki, &publisher.victim)?,
    };
    let revoke_after = case.revocation.revoke_after().unwrap_or_default();
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
        publish: publisher.publish,
        resume: case.tls.resumption != crate::scenario::ResumptionMode::Off,
        cancel: Arc::clone(cancel),
    })
}
