//! OCSP stapling from a file fetched before the server starts (mode `ocsp-stapling`), for
//! `openssl s_server` and the other process servers that staple a file as it is (haproxy,
//! gnutls-serv, go, node): s_server staples the DER OCSP response in its `-status_file`, as it
//! is, to every client that asks. The runner fetches
//! that response about the server certificate from the harness's responder (through the same
//! [`StapleSource`] the built-in servers use) before s_server starts, and writes it next to the
//! server's log. A responder that cannot be reached leaves s_server without a staple.
//!
//! What s_server cannot do, the case is skipped for: refresh its staple during the run, and
//! check the answer before stapling it (a case whose verdict depends on that check).

use std::path::{Path, PathBuf};
use std::time::Duration;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use crate::revocation::ocsp::{CheckerSettings, OcspChecker, OcspMethod};
use crate::revocation::staple_source::StapleSource;

/// Fetches the OCSP response about the leaf of `chain_pem` (leaf, then its issuer) and writes
/// it to `out`; `None` when the responder gave nothing to staple (s_server then runs without).
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
