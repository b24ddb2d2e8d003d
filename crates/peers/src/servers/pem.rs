//! The PEM files a built-in server is given, read and parsed in full before it starts: every
//! certificate as X.509 DER and the key as a private key, so a file with garbage inside valid
//! PEM armour is an error naming the option and the file, not a failed handshake later.

use std::path::Path;

use der::Decode;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use super::settings::{ServeError, ServerSettings};

fn file_error(path: &Path, option: &str, reason: impl std::fmt::Display) -> ServeError {
    ServeError::File {
        path: path.to_path_buf(),
        reason: format!("{option}: {reason}"),
    }
}

/// The certificates in `path` (given as `option`), each checked to be an X.509 certificate.
///
/// # Errors
/// When the file cannot be read, holds no certificate, or one does not parse.
pub fn certificates(path: &Path, option: &str) -> Result<Vec<CertificateDer<'static>>, ServeError> {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| file_error(path, option, e))?
        .collect::<Result<_, _>>()
        .map_err(|e| file_error(path, option, e))?;
    if certs.is_empty() {
        return Err(file_error(path, option, "no PEM CERTIFICATE in the file"));
    }
    for (n, cert) in certs.iter().enumerate() {
        x509_cert::Certificate::from_der(cert.as_ref()).map_err(|e| {
            file_error(
                path,
                option,
                format!("certificate {} is not valid X.509 DER: {e}", n + 1),
            )
        })?;
    }
    Ok(certs)
}

/// The private key in `path` (given as `option`), checked to be one the TLS stacks can load.
///
/// # Errors
/// When the file cannot be read or holds no usable private key.
pub fn private_key(path: &Path, option: &str) -> Result<PrivateKeyDer<'static>, ServeError> {
    let key = PrivateKeyDer::from_pem_file(path).map_err(|e| file_error(path, option, e))?;
    rustls::crypto::aws_lc_rs::default_provider()
        .key_provider
        .load_private_key(key.clone_key())
        .map_err(|e| file_error(path, option, format!("not a usable private key: {e}")))?;
    Ok(key)
}

/// Reads every PEM file `settings` names, so the server refuses to start on a bad one.
///
/// # Errors
/// The first file that does not parse, naming its option.
pub fn check(settings: &ServerSettings) -> Result<(), ServeError> {
    certificates(&settings.identity.cert, "--cert")?;
    private_key(&settings.identity.key, "--key")?;
    if let Some(ca) = &settings.client_ca {
        certificates(ca, "--client-ca")?;
    }
    Ok(())
}
