//! The built-in server's revocation sources, set up once and shared by every configuration it
//! builds (a CRL reload must not lose the OCSP cache or the staple): CRLs from files (those
//! from distribution points are `crl_points.rs`'s), the OCSP checker for client certificates,
//! and the stapled certificate with its own checker.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer, PrivateKeyDer};
use rustls::sign::CertifiedKey;

use super::revocation_settings::{OcspClients, OcspQuery, ServerRevocation};
use super::settings::{ServeError, ServerSettings};
use super::staple::StapledCert;
use crate::revocation::ocsp::{CheckerSettings, OcspChecker, OcspMethod};

/// Deadline of a CRL download.
pub const CRL_FETCH_TIMEOUT: Duration = Duration::from_secs(10);

/// The CRLs a configuration is built with.
#[derive(Clone, PartialEq, Eq)]
pub enum CrlState {
    /// No CRL checking.
    Off,
    /// These CRLs (from files or downloaded).
    Loaded(Vec<CertificateRevocationListDer<'static>>),
    /// A CRL was asked for and could not be had: the fail policy decides for everyone.
    Unavailable,
}

/// Reads the `--crl` files (a `--crl-url` is fetched by distribution point, per client:
/// `crl_points.rs`).
///
/// # Errors
/// When a CRL file cannot be read.
pub fn load_crls(args: &ServerSettings) -> Result<CrlState, ServeError> {
    let files = args.revocation.crl().map_or(&[][..], |c| &c.crl[..]);
    if files.is_empty() {
        return Ok(CrlState::Off);
    }
    let mut crls = Vec::new();
    for path in files {
        let bytes = std::fs::read(path).map_err(|e| file_err(path, &e))?;
        crls.extend(parse_crls(bytes).map_err(|e| file_err(path, &e))?);
    }
    Ok(CrlState::Loaded(crls))
}

/// The CRLs in `bytes`: PEM (one or more) or one DER CRL.
///
/// # Errors
/// When a PEM block does not decode.
pub fn parse_crls(bytes: Vec<u8>) -> Result<Vec<CertificateRevocationListDer<'static>>, String> {
    if bytes.starts_with(b"-----BEGIN") {
        CertificateRevocationListDer::pem_slice_iter(&bytes)
            .map(|c| c.map_err(|e| e.to_string()))
            .collect()
    } else {
        Ok(vec![CertificateRevocationListDer::from(bytes)])
    }
}

fn file_err(path: &Path, e: &dyn std::fmt::Display) -> ServeError {
    ServeError::File {
        path: path.to_path_buf(),
        reason: e.to_string(),
    }
}

/// OCSP pieces of a server.
pub struct OcspParts {
    /// Checks client certificates (`--ocsp`).
    pub client_checker: Option<Arc<OcspChecker>>,
    /// The stapled certificate and the checker that fetches its staple (`--staple`).
    pub staple: Option<(Arc<StapledCert>, Arc<OcspChecker>)>,
}

/// Sets up the OCSP checker and the stapled certificate. The first staple is fetched here,
/// before the server listens; when that fails the server starts without one (and says so).
///
/// # Errors
/// When the server key cannot be loaded for stapling.
pub fn ocsp_parts(
    args: &ServerSettings,
    chain: &[CertificateDer<'static>],
    key: &PrivateKeyDer<'static>,
    provider: &rustls::crypto::CryptoProvider,
) -> Result<OcspParts, ServeError> {
    let mut parts = OcspParts {
        client_checker: None,
        staple: None,
    };
    match &args.revocation {
        ServerRevocation::Ocsp(query, clients) => {
            parts.client_checker = Some(client_checker(query, clients));
        }
        ServerRevocation::Stapling(query, stapling) => {
            let signing = provider.key_provider.load_private_key(key.clone_key())?;
            let stapled = Arc::new(
                StapledCert::new(
                    CertifiedKey::new(chain.to_vec(), signing),
                    !stapling.staple_unverified,
                )
                .map_err(|e| ServeError::Unsupported(e.to_string()))?,
            );
            // The staple is always fetched fresh: its own refresh interval is the cache.
            let checker = Arc::new(OcspChecker::new(checker_settings(query, Duration::ZERO)));
            match stapled.refresh(&checker) {
                Ok(state) => tracing::info!(?state, "staple fetched"),
                Err(e) => tracing::warn!("no staple at start: {e}"),
            }
            parts.staple = Some((stapled, checker));
        }
        _ => {}
    }
    Ok(parts)
}

/// How the server's checkers ask (`--ocsp-url`, `--ocsp-timeout`, `--ocsp-nonce`,
/// `--ocsp-get`), caching answers for `cache_ttl`.
pub fn checker_settings(query: &OcspQuery, cache_ttl: Duration) -> CheckerSettings {
    CheckerSettings {
        url_override: query.ocsp_url.clone(),
        cache_ttl,
        timeout: query.ocsp_timeout,
        nonce: query.ocsp_nonce,
        method: if query.ocsp_get {
            OcspMethod::Get
        } else {
            OcspMethod::Post
        },
    }
}

/// The checker of client certificates, in OCSP mode: its cache lives as long as the server.
pub fn client_checker(query: &OcspQuery, clients: &OcspClients) -> Arc<OcspChecker> {
    Arc::new(OcspChecker::new(checker_settings(
        query,
        clients.ocsp_cache_ttl,
    )))
}
