//! OCSP stapling from a file fetched before the server starts (mode `ocsp-stapling`), for the
//! process servers that staple a file as it is (`openssl s_server`'s `-status_file`, haproxy,
//! gnutls-serv, go, node): [`staple`] fetches the response about the server certificate from
//! the harness's responder (through the same [`StapleSource`] the built-in servers use) before
//! the server starts, and writes it next to the server's log. A responder that cannot be
//! reached leaves the server without a staple.
//!
//! What such a server cannot do, the case is skipped for (its capability record): refresh its
//! staple during the run, and check the answer before stapling it (a case whose verdict
//! depends on that check).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use super::launch::Launch;
use super::process::{io_err, ProcessError};
use crate::revocation::ocsp::{CheckerSettings, OcspChecker, OcspMethod};
use crate::revocation::staple_source::StapleSource;
use crate::scenario::RevocationMode;

/// The staple of `launch`'s case: in mode `ocsp-stapling` with a revocation service, the
/// response about the leaf of `chain` fetched into `out` (`None` when the responder gave
/// nothing to staple); `None` in every other mode.
///
/// # Errors
/// When the chain cannot be read or the file cannot be written.
pub fn staple(
    launch: &Launch<'_>,
    chain: &Path,
    out: PathBuf,
) -> Result<Option<PathBuf>, ProcessError> {
    match (launch.case.revocation.mode(), launch.revocation.base_url) {
        (RevocationMode::OcspStapling, Some(_)) => {
            let service = launch.case.revocation.service().unwrap_or_default();
            fetch_to_file(chain, service.query_timeout, &out).map_err(io_err(&out))
        }
        _ => Ok(None),
    }
}

/// Fetches the OCSP response about the leaf of `chain_pem` (leaf, then its issuer) and writes
/// it to `out`; `None` when the responder gave nothing to staple (the server then runs without).
///
/// # Errors
/// When the chain cannot be read or the file cannot be written.
pub fn fetch_to_file(
    chain_pem: &Path,
    timeout: Duration,
    out: &Path,
) -> std::io::Result<Option<PathBuf>> {
    let chain: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(chain_pem)
        .and_then(|certs| certs.collect::<Result<_, _>>())
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e.to_string()))?;
    let source = StapleSource::new(&chain, false)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
    let checker = OcspChecker::new(CheckerSettings {
        url_override: None,
        cache_ttl: Duration::ZERO,
        timeout,
        nonce: false,
        method: OcspMethod::Post,
    });
    if let Err(e) = source.refresh(&checker) {
        tracing::warn!("no staple fetched into {}: {e}", out.display());
        return Ok(None);
    }
    match source.current() {
        Some(der) => {
            crate::fsutil::write_atomic(out, &der, 0o644)?;
            Ok(Some(out.to_path_buf()))
        }
        None => Ok(None),
    }
}
