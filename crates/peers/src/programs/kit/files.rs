//! The certificate and CRL files most server adapters hand their program: the chain a server
//! presents ([`server_chain`]), its intermediates alone ([`write_chain_extra`], for programs
//! whose certificate option reads the leaf only), and a CRL for every CA of the client chain
//! ([`chain_crl`], for the stacks whose CRL checking covers the whole chain).

use std::path::{Path, PathBuf};

use super::launch::Launch;
use super::process::{io_err, ProcessError};
use crate::pki::PkiFiles;
use crate::revocation::crl_chain;
use crate::scenario::Case;

/// The server chain a process server presents for `case`: the Must-Staple one when the case
/// asks for it.
pub fn server_chain<'a>(case: &Case, files: &'a PkiFiles) -> &'a Path {
    let rev = &case.revocation;
    if matches!(rev, crate::scenario::Revocation::Stapling(s) if s.must_staple) {
        &files.server_must_staple
    } else {
        &files.server_chain
    }
}

/// Writes the intermediates of `files.server_chain` (every certificate after the first) to
/// `path`.
///
/// # Errors
/// When the chain cannot be read or the file written.
pub fn write_chain_extra(files: &PkiFiles, path: &Path) -> std::io::Result<PathBuf> {
    let text = std::fs::read_to_string(&files.server_chain)?;
    let marker = "-----BEGIN CERTIFICATE-----";
    let rest = text
        .match_indices(marker)
        .nth(1)
        .map(|(i, _)| &text[i..])
        .unwrap_or("");
    crate::fsutil::write_atomic(path, rest.as_bytes(), 0o644)?;
    Ok(path.to_path_buf())
}

/// The case's CRL file extended to a CRL for every CA of the chain, written as
/// `dir/crl-chain.pem` (the stacks whose CRL checking is OpenSSL's CRL_CHECK_ALL, or PKIX's
/// whole-path check, fail a chain whose intermediate has no CRL); `None` without a CRL file.
///
/// # Errors
/// When the CRLs cannot be read or the file written.
pub fn chain_crl(launch: &Launch<'_>, dir: &Path) -> Result<Option<PathBuf>, ProcessError> {
    match launch.revocation.crl_file {
        Some(crl) => {
            let out = dir.join("crl-chain.pem");
            Ok(Some(
                crl_chain::write(launch.files, crl, &out).map_err(io_err(&out))?,
            ))
        }
        None => Ok(None),
    }
}
