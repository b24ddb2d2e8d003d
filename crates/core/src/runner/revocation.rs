//! A case's revocation setup: the CRL it needs (a file, or published at the distribution
//! points, each shard at its own), the responder's settings and faults, and the figures the
//! service measures while the case runs (responder queries and CPU, CRL downloads).

use crate::peers::servers::status::StatusEvent;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::fixtures::{CrlLayout, Fixtures};
use super::RunError;
use crate::revocation::ocsp::{ResponderSettings, RevocationService};
use crate::scenario::{Case, OcspSigner, ResponderFault, Revocation, RevocationMode};

/// The name the leaves' CRL is published under (`/crl/leaf.crl`, the distribution point).
pub(super) const CRL_NAME: &str = "leaf.crl";

/// What the server is started with.
#[derive(Default)]
pub(super) struct ServerRevocation {
    /// CRL file (mode `crl`).
    pub crl_file: Option<PathBuf>,
    /// Base URL of the revocation service (modes that use it).
    pub base_url: Option<String>,
    /// The CRL files' sizes (modes `crl` and `crl-http`).
    pub crl_files: Option<crate::report::CrlFileFigures>,
}

/// Sets the revocation service up for `case` and says what the server needs.
///
/// # Errors
/// When the CRL cannot be issued or written.
pub(super) fn prepare(
    case: &Case,
    fixtures: &mut Fixtures,
    service: Option<&RevocationService>,
) -> Result<ServerRevocation, RunError> {
    let rev = &case.revocation;
    if let Some(service) = service {
        // The case's CRL downloads are counted from here (the server is not started yet),
        // and only its own CRLs are published.
        service.take_crl_fetches();
        service.clear_crls();
        service.responder.reset_revocations();
        // Modes without the service leave the responder honest.
        let settings = rev.service().unwrap_or_default();
        service.responder.configure(ResponderSettings {
            signed_by: rev.signer().unwrap_or(OcspSigner::Ca),
            fault: settings.fault,
            delay: settings.responder_delay,
            validity: Duration::from_secs(3600),
        });
    }
    let revoked_server = match rev {
        Revocation::Stapling(s) if s.server_revoked => Some(s.must_staple),
        _ => None,
    };
    if let (Some(service), Some(must_staple)) = (service, revoked_server) {
        let (pki, _) = fixtures.get(case.key, case.intermediates, CrlLayout::of(case))?;
        let server = if must_staple {
            &pki.server_must_staple
        } else {
            &pki.server
        };
        service
            .responder
            .revoke(&server.chain[0])
            .map_err(|e| RunError::Fixtures(crate::pki::IssueError::Spec(e.to_string())))?;
    }
    let mut out = ServerRevocation {
        base_url: service
            .filter(|_| rev.needs_service())
            .map(|s| s.base_url()),
        ..ServerRevocation::default()
    };
    match rev {
        Revocation::Crl(crl) => {
            let layout = CrlLayout::of(case);
            let (path, figures) = fixtures.crl(
                case.key,
                case.intermediates,
                crl.list.entries,
                crl.list.kind,
                layout,
            )?;
            if let (Some(service), true) = (service, layout.shards > 1 || layout.delta) {
                publish_crls(service, &path, layout)?;
            }
            out.crl_file = Some(path);
            out.crl_files = Some(figures);
        }
        Revocation::CrlHttp(crl) => {
            let layout = CrlLayout::of(case);
            let (path, figures) = fixtures.crl(
                case.key,
                case.intermediates,
                crl.list.entries,
                crl.list.kind,
                layout,
            )?;
            // Each CRL (each shard) at the URL the certificates name for it.
            if let Some(service) = service {
                publish_crls(service, &path, layout)?;
            }
            out.crl_files = Some(figures);
        }
        _ => {}
    }
    Ok(out)
}

/// Publishes each CRL in the PEM file `path` at the URL the certificates name for it (shard k
/// is the k-th CRL; a delta CRL follows its base), so a stack that fetches what a certificate
/// names finds it.
///
/// # Errors
/// When the file cannot be read or holds a CRL that is not PEM.
fn publish_crls(
    service: &RevocationService,
    path: &Path,
    layout: CrlLayout,
) -> Result<(), RunError> {
    let bytes = std::fs::read(path).map_err(|source| RunError::RunDir {
        path: path.to_path_buf(),
        source,
    })?;
    let blocks = pem::parse_many(&bytes).map_err(|e| RunError::RunDir {
        path: path.to_path_buf(),
        source: std::io::Error::other(e.to_string()),
    })?;
    let shards = layout.shards;
    let names = (0..shards).map(|index| match shards {
        1 => CRL_NAME.to_string(),
        _ => crate::pki::crl_shard_name(index, shards),
    });
    let names = names.chain(layout.delta.then(|| crate::pki::CRL_DELTA_NAME.to_string()));
    for (name, block) in names.zip(blocks) {
        service.publish_crl(&name, block.into_contents());
    }
    Ok(())
}

/// The CRL downloads the revocation service served since the case's [`prepare`] (`None`
/// when there were none).
pub(super) fn crl_fetches(service: &RevocationService) -> Option<crate::report::CrlFetchFigures> {
    let fetches = service.take_crl_fetches();
    (!fetches.is_empty()).then(|| crate::report::CrlFetchFigures {
        requests: fetches.values().map(|(n, _)| n).sum(),
        bytes: fetches.values().map(|(_, b)| b).sum(),
        by_name: fetches
            .into_iter()
            .map(|(name, (requests, bytes))| {
                (name, crate::report::CrlFetchCount { requests, bytes })
            })
            .collect(),
    })
}

/// The responder's query counter at `start` (the beginning of the measured window); the
/// runner subtracts it from the counter after the load.
pub(super) fn queries_at(
    service: &RevocationService,
    start: Instant,
) -> impl std::future::Future<Output = u64> + 'static {
    let responder = std::sync::Arc::clone(&service.responder);
    async move {
        tokio::time::sleep_until(start.into()).await;
        responder.stats.requests.load(Ordering::Relaxed)
    }
}

/// The responder's two counters of what it was asked: OCSP requests answered, and requests
/// faulted (a `timeout` or `malformed` fault counts only there, `try-later` and the other
/// status faults in both). Read at a case's load start and end for [`source_queries`].
pub(super) fn source_counters(service: &RevocationService) -> (u64, u64) {
    let stats = &service.responder.stats;
    (
        stats.requests.load(Ordering::Relaxed),
        stats.faulted.load(Ordering::Relaxed),
    )
}

/// What `case`'s revocation source was asked during its load: for OCSP the responder's
/// counters since `at_start` (each request counts once in one of them or in both, and a
/// case has one fault, so the larger difference is the requests), for CRLs by
/// distribution point the downloads since the case began (`crl_fetches`); `None` for modes
/// without such a source.
pub(super) fn source_queries(
    case: &Case,
    service: &RevocationService,
    at_start: (u64, u64),
    crl_fetches: Option<&crate::report::CrlFetchFigures>,
) -> Option<crate::report::SourceQueries> {
    let observable = case
        .revocation
        .service()
        .is_none_or(|s| s.fault != ResponderFault::Down);
    let (source, requests) = match case.revocation.mode() {
        RevocationMode::Ocsp => {
            let (requests, faulted) = source_counters(service);
            let asked = requests
                .saturating_sub(at_start.0)
                .max(faulted.saturating_sub(at_start.1));
            ("ocsp_responder", asked)
        }
        RevocationMode::CrlHttp => ("crl_service", crl_fetches.map_or(0, |f| f.requests)),
        _ => return None,
    };
    Some(crate::report::SourceQueries {
        source,
        requests,
        observable,
    })
}

/// The responder's query counter now.
pub(super) fn queries_now(service: &RevocationService) -> u64 {
    service.responder.stats.requests.load(Ordering::Relaxed)
}

/// The CRL the server loaded at start (size, and the time to load it and build its
/// configuration), from its status events.
pub(super) fn crl_figures(events: &[StatusEvent]) -> Option<crate::report::CrlFigures> {
    events.iter().find_map(|e| match *e {
        StatusEvent::CrlLoaded { bytes, ready_ms } => Some(crate::report::CrlFigures {
            bytes,
            // One decimal, as the figure always was.
            server_load_ms: (ready_ms * 10.0).round() / 10.0,
        }),
        _ => None,
    })
}
