//! A credential of the user's own PKI, given as files (`client_cert = { cert, key, chain }` in
//! a case, `--client-cert/--client-key`): really revoked by their CA, from a retired
//! intermediate, a hardware token's key exported to PEM... The harness cannot make these; it
//! sends them as they are and grades them against the expectation the user wrote.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::external::{one_line, read_certs, reason, PemFilesError, PemPart};
use super::keys::hex;

/// The user's credential, loaded and checked.
#[derive(Clone)]
pub struct OwnCredential {
    /// The certificate file.
    pub cert_file: PathBuf,
    /// Leaf first, then the rest of the certificate file, then the chain file.
    pub chain: Vec<CertificateDer<'static>>,
    /// The private key, as the file holds it (PKCS#8, PKCS#1 or SEC1).
    pub key: Arc<PrivateKeyDer<'static>>,
    /// The leaf's subject, as OpenSSL prints it.
    pub subject: String,
    /// SHA-256 of the leaf, hex.
    pub sha256: String,
}

impl fmt::Debug for OwnCredential {
    // Never the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OwnCredential")
            .field("cert_file", &self.cert_file)
            .field("subject", &self.subject)
            .field("chain_len", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl Serialize for OwnCredential {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("OwnCredential", 3)?;
        st.serialize_field("cert_file", &self.cert_file)?;
        st.serialize_field("subject", &self.subject)?;
        st.serialize_field("sha256", &self.sha256)?;
        st.end()
    }
}

impl OwnCredential {
    /// Loads the certificate(s) in `cert` (leaf first), the private key in `key`, and the
    /// optional extra `chain`, and checks that every certificate parses and the key belongs to
    /// the leaf.
    ///
    /// # Errors
    /// [`PemFilesError`] naming the file and what was wrong with it.
    pub fn load(cert: &Path, key: &Path, chain: Option<&Path>) -> Result<Self, PemFilesError> {
        let mut certs = read_certs(cert, PemPart::Cert)?;
        if let Some(path) = chain {
            certs.extend(read_certs(path, PemPart::Chain)?);
        }
        let leaf = certs.remove(0);
        let cert_err = |message: String| PemFilesError {
            which: PemPart::Cert,
            path: cert.to_path_buf(),
            message,
        };
        let key_err = |message: String| PemFilesError {
            which: PemPart::Key,
            path: key.to_path_buf(),
            message,
        };
        let bytes = crate::fsutil::read_bounded(key, crate::fsutil::PEM_LIMIT)
            .map_err(|e| key_err(e.to_string()))?;
        let pkey = openssl::pkey::PKey::private_key_from_pem(&bytes).map_err(|e| {
            key_err(format!(
                "expected a PEM private key (PKCS#8, PKCS#1 or SEC1; unencrypted): {}",
                reason(&e)
            ))
        })?;
        let public = leaf.public_key().map_err(|e| cert_err(reason(&e)))?;
        if !public.public_eq(&pkey) {
            return Err(key_err(format!(
                "the key does not belong to the first certificate of {}",
                cert.display()
            )));
        }
        let der = PrivateKeyDer::from_pem_slice(&bytes).map_err(|e| key_err(e.to_string()))?;
        let mut out = Vec::with_capacity(certs.len() + 1);
        for c in std::iter::once(&leaf).chain(certs.iter()) {
            out.push(CertificateDer::from(
                c.to_der().map_err(|e| cert_err(reason(&e)))?,
            ));
        }
        Ok(Self {
            cert_file: cert.to_path_buf(),
            sha256: hex(&Sha256::digest(&out[0])),
            subject: one_line(leaf.subject_name()),
            chain: out,
            key: Arc::new(der),
        })
    }
}
