//! A user's own issuing CA (`--issuer-cert/--issuer-key/--issuer-chain`, `[pki] issuer`): the
//! certificate, its key and the chain above it, checked up front, and how certificates and CRLs
//! the harness makes are put in its name.
//!
//! rcgen signs with an issuer built from parameters, so it would write the issuer's name as it
//! re-encodes it; a verifier that compares names byte for byte (webpki) would then not chain.
//! [`ExternalCa::adopt`] therefore replaces the issuer field with the CA certificate's own
//! subject bytes and signs again with the CA's key, so what the harness issues chains to the
//! user's CA exactly as the user's own certificates do.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use der::asn1::BitString;
use der::{Decode, Encode};
use rcgen::SigningKey;
use rustls::pki_types::CertificateDer;
use serde::Serialize;
use sha2::{Digest, Sha256};
use x509_cert::name::Name;

use super::keys::{hex, KeyMaterial};
use super::mint::{Mint, DEFAULT_ISSUED_LIFETIME};
use super::params::IssueError;

/// A problem with the issuer files: which one, and what was expected.
#[derive(Debug, thiserror::Error)]
#[error("{}: {message}", path.display())]
pub struct PemFilesError {
    /// Which input (`cert`, `key` or `chain`), for the caller to name its option or key.
    pub which: PemPart,
    /// The file.
    pub path: PathBuf,
    /// What was expected and found.
    pub message: String,
}

/// The three inputs of an issuer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PemPart {
    /// The CA certificate.
    Cert,
    /// Its private key.
    Key,
    /// The certificates above it.
    Chain,
}

/// The user's issuing CA, loaded and checked.
#[derive(Clone)]
pub struct ExternalCa {
    /// The CA certificate.
    pub cert: CertificateDer<'static>,
    /// The certificates above it, as given (its issuer first), sent after it in every chain.
    pub chain: Vec<CertificateDer<'static>>,
    /// Its key.
    pub key: Arc<KeyMaterial>,
    /// How many CAs may stand below it (`None`: no pathLenConstraint).
    pub path_len: Option<u32>,
    /// Whether it is self-signed (a root the server trusts directly).
    pub self_signed: bool,
    /// Its subject, as OpenSSL prints it (for reports and messages).
    pub subject_text: String,
    /// SHA-256 of its DER, hex (identifies it in manifests and specs).
    pub sha256: String,
    /// Its subject key identifier, when it has one.
    pub ski: Option<Vec<u8>>,
    /// Its notAfter: nothing minted under it outlives it.
    pub not_after: time::OffsetDateTime,
    /// How certificates are minted under it: random keys and serials, short lifetimes.
    pub mint: Mint,
    subject: Name,
}

impl fmt::Debug for ExternalCa {
    // Never the key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExternalCa")
            .field("subject", &self.subject_text)
            .field("sha256", &self.sha256)
            .field("path_len", &self.path_len)
            .finish_non_exhaustive()
    }
}

/// Most certificates an issuer chain file may hold.
const MAX_CHAIN: usize = 16;

pub(super) fn reason(e: &openssl::error::ErrorStack) -> String {
    e.errors()
        .first()
        .and_then(openssl::error::Error::reason)
        .map_or_else(|| "unparsable".to_string(), str::to_string)
}

/// Every certificate in the PEM file `path`, each parsed in full.
pub(super) fn read_certs(
    path: &Path,
    which: PemPart,
) -> Result<Vec<openssl::x509::X509>, PemFilesError> {
    let err = file_err(which, path);
    let bytes = crate::fsutil::read_bounded(path, crate::fsutil::PEM_LIMIT)
        .map_err(|e| err(e.to_string()))?;
    let certs = openssl::x509::X509::stack_from_pem(&bytes)
        .map_err(|e| err(format!("expected PEM certificates ({})", reason(&e))))?;
    if certs.is_empty() {
        return Err(err("expected PEM certificates, found none".into()));
    }
    if certs.len() > MAX_CHAIN {
        return Err(err(format!(
            "expected at most {MAX_CHAIN} certificates, found {}",
            certs.len()
        )));
    }
    Ok(certs)
}

/// The error about the file `path` (input `which`) for a message.
fn file_err(which: PemPart, path: &Path) -> impl Fn(String) -> PemFilesError + '_ {
    move |message| PemFilesError {
        which,
        path: path.to_path_buf(),
        message,
    }
}

/// The CA certificate of an issuer, checked: a CA that may sign certificates, valid now.
struct CaCert {
    x509: openssl::x509::X509,
    der: Vec<u8>,
    parsed: x509_cert::Certificate,
    path_len: Option<u32>,
}

impl CaCert {
    /// The first certificate in the PEM file `cert`, checked.
    fn load(cert: &Path) -> Result<Self, PemFilesError> {
        let cert_err = file_err(PemPart::Cert, cert);
        let x509 = read_certs(cert, PemPart::Cert)?.remove(0);
        let der = x509.to_der().map_err(|e| cert_err(reason(&e)))?;
        let parsed = x509_cert::Certificate::from_der(&der)
            .map_err(|e| cert_err(format!("not a DER X.509 certificate: {e}")))?;
        let (is_ca, path_len, cert_sign) = ca_facts(&parsed);
        if !is_ca {
            return Err(cert_err(
                "expected a CA certificate (basicConstraints CA:TRUE); this one cannot issue certificates".into(),
            ));
        }
        if !cert_sign {
            return Err(cert_err(
                "expected a CA whose keyUsage includes keyCertSign".into(),
            ));
        }
        let now = openssl::asn1::Asn1Time::days_from_now(0).map_err(|e| cert_err(reason(&e)))?;
        if x509.not_after() < now || x509.not_before() > now {
            return Err(cert_err(format!(
                "the CA certificate is not valid now (valid from {} to {})",
                x509.not_before(),
                x509.not_after()
            )));
        }
        Ok(Self {
            x509,
            der,
            parsed,
            path_len,
        })
    }
}

impl ExternalCa {
    /// Loads the CA certificate `cert` (its first PEM certificate), its private key `key` (PEM:
    /// PKCS#8, PKCS#1 or SEC1) and optionally the certificates above it (`chain`), and checks
    /// that the certificate is a CA that may sign certificates, is valid now, and belongs to the
    /// key, and that the chain's first certificate issued it.
    ///
    /// # Errors
    /// [`PemFilesError`] naming the file and what was wrong with it.
    pub fn load(cert: &Path, key: &Path, chain: Option<&Path>) -> Result<Self, PemFilesError> {
        let CaCert {
            x509,
            der,
            parsed,
            path_len,
        } = CaCert::load(cert)?;
        let material = Self::load_key(key, cert, &x509)?;
        let above = match chain {
            Some(path) => Self::load_chain(path, &x509)?,
            None => Vec::new(),
        };
        let self_signed = x509.issued(&x509) == openssl::x509::X509VerifyResult::OK
            && x509
                .public_key()
                .and_then(|k| x509.verify(&k))
                .unwrap_or(false);
        let not_after = time::OffsetDateTime::from_unix_timestamp(
            parsed
                .tbs_certificate
                .validity
                .not_after
                .to_unix_duration()
                .as_secs()
                .try_into()
                .unwrap_or(i64::MAX),
        )
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
        Ok(Self {
            not_after,
            mint: Mint::new(DEFAULT_ISSUED_LIFETIME, not_after),
            sha256: hex(&Sha256::digest(&der)),
            subject_text: one_line(x509.subject_name()),
            ski: x509.subject_key_id().map(|s| s.as_slice().to_vec()),
            subject: parsed.tbs_certificate.subject.clone(),
            cert: CertificateDer::from(der),
            chain: above,
            key: Arc::new(material),
            path_len,
            self_signed,
        })
    }

    /// The private key in the PEM file `key`, checked to belong to the CA certificate `x509`
    /// (read from `cert`).
    fn load_key(
        key: &Path,
        cert: &Path,
        x509: &openssl::x509::X509,
    ) -> Result<KeyMaterial, PemFilesError> {
        let cert_err = file_err(PemPart::Cert, cert);
        let key_err = file_err(PemPart::Key, key);
        let key_pem = crate::fsutil::read_bounded(key, crate::fsutil::PEM_LIMIT)
            .map_err(|e| key_err(e.to_string()))?;
        let pkey = openssl::pkey::PKey::private_key_from_pem(&key_pem).map_err(|e| {
            key_err(format!(
                "expected a PEM private key (PKCS#8, PKCS#1 or SEC1; unencrypted): {}",
                reason(&e)
            ))
        })?;
        let public = x509.public_key().map_err(|e| cert_err(reason(&e)))?;
        if !public.public_eq(&pkey) {
            return Err(key_err(format!(
                "the key does not belong to the CA certificate {}",
                cert.display()
            )));
        }
        let pkcs8 = pkey
            .private_key_to_pkcs8()
            .map_err(|e| key_err(reason(&e)))?;
        KeyMaterial::from_pkcs8_der(&pkcs8).map_err(|e| key_err(e.to_string()))
    }

    /// The certificates in the PEM file `path` above the CA certificate `x509`, checked: the
    /// first one issued it.
    fn load_chain(
        path: &Path,
        x509: &openssl::x509::X509,
    ) -> Result<Vec<CertificateDer<'static>>, PemFilesError> {
        let chain_err = file_err(PemPart::Chain, path);
        let certs = read_certs(path, PemPart::Chain)?;
        let first = &certs[0];
        if first.issued(x509) != openssl::x509::X509VerifyResult::OK {
            return Err(chain_err(format!(
                "its first certificate ({}) did not issue the CA certificate (issuer {})",
                one_line(first.subject_name()),
                one_line(x509.issuer_name())
            )));
        }
        let mut above = Vec::new();
        for c in &certs {
            above.push(CertificateDer::from(
                c.to_der().map_err(|e| chain_err(reason(&e)))?,
            ));
        }
        Ok(above)
    }

    /// `cert` (issued by rcgen in this CA's stead) with the issuer field set to this CA's exact
    /// subject and signed again with its key.
    ///
    /// # Errors
    /// When the certificate does not parse or re-encode, or the key fails to sign.
    pub fn adopt(&self, cert: &CertificateDer<'_>) -> Result<CertificateDer<'static>, IssueError> {
        let spec =
            |e: &dyn fmt::Display| IssueError::Spec(format!("re-issuing under the user's CA: {e}"));
        let mut parsed = x509_cert::Certificate::from_der(cert).map_err(|e| spec(&e))?;
        parsed.tbs_certificate.issuer = self.subject.clone();
        if self.ski.is_none() {
            strip_aki(&mut parsed.tbs_certificate.extensions);
        }
        let tbs = parsed.tbs_certificate.to_der().map_err(|e| spec(&e))?;
        let signature = self.key.sign(&tbs).map_err(|e| spec(&e))?;
        parsed.signature = BitString::from_bytes(&signature).map_err(|e| spec(&e))?;
        Ok(CertificateDer::from(parsed.to_der().map_err(|e| spec(&e))?))
    }

    /// The same for a CRL in this CA's name, signed by `signer` (the CA's key, or another on
    /// purpose for a CRL whose signature must not verify).
    ///
    /// # Errors
    /// As [`ExternalCa::adopt`].
    pub fn adopt_crl(&self, crl: &[u8], signer: &KeyMaterial) -> Result<Vec<u8>, IssueError> {
        let spec =
            |e: &dyn fmt::Display| IssueError::Spec(format!("a CRL in the user's CA's name: {e}"));
        let mut parsed = x509_cert::crl::CertificateList::from_der(crl).map_err(|e| spec(&e))?;
        parsed.tbs_cert_list.issuer = self.subject.clone();
        if self.ski.is_none() {
            strip_aki(&mut parsed.tbs_cert_list.crl_extensions);
        }
        let tbs = parsed.tbs_cert_list.to_der().map_err(|e| spec(&e))?;
        let signature = signer.sign(&tbs).map_err(|e| spec(&e))?;
        parsed.signature = BitString::from_bytes(&signature).map_err(|e| spec(&e))?;
        parsed.to_der().map_err(|e| spec(&e))
    }

    /// This CA minting for `lifetime` (default [`DEFAULT_ISSUED_LIFETIME`]) from now, with
    /// `secret` (one `pki target-crl` wrote) or the fresh one drawn at load.
    pub fn minting(mut self, lifetime: Option<time::Duration>, secret: Option<[u8; 32]>) -> Self {
        let lifetime = lifetime.unwrap_or(DEFAULT_ISSUED_LIFETIME);
        self.mint = match secret {
            Some(secret) => Mint::with_secret(secret, lifetime, self.not_after),
            None => self.mint.relifed(lifetime, self.not_after),
        };
        self
    }

    /// The CRLs a server that checks the whole chain (OpenSSL's CRL_CHECK_ALL: Apache
    /// `SSLCARevocationCheck chain`, nginx `ssl_crl`, HAProxy `crl-file`) needs beyond what the
    /// harness can sign: for this CA and each certificate of its chain that is not self-signed,
    /// a CRL from its issuer, as (the CA covered, the issuer that must sign it), lowest first.
    pub fn crls_needed_above(&self) -> Vec<(String, String)> {
        std::iter::once(&self.cert)
            .chain(&self.chain)
            .filter_map(|der| openssl::x509::X509::from_der(der).ok())
            .filter(|c| c.issued(c) != openssl::x509::X509VerifyResult::OK)
            .map(|c| (one_line(c.subject_name()), one_line(c.issuer_name())))
            .collect()
    }

    /// Whether `n` CAs may stand in a row below this one.
    pub fn allows_sub_cas(&self, n: u32) -> bool {
        self.path_len.is_none_or(|p| p >= n)
    }
}

/// Drops the Authority Key Identifier from `extensions`: a CA without a Subject Key Identifier
/// has nothing an AKI could copy (RFC 5280 4.2.1.1), and one the harness made up would name a
/// key identifier no certificate carries.
fn strip_aki(extensions: &mut Option<Vec<x509_cert::ext::Extension>>) {
    use der::oid::AssociatedOid;
    use x509_cert::ext::pkix::AuthorityKeyIdentifier;
    if let Some(list) = extensions {
        list.retain(|e| e.extn_id != <AuthorityKeyIdentifier as AssociatedOid>::OID);
        if list.is_empty() {
            *extensions = None;
        }
    }
}

/// basicConstraints CA flag, its pathLenConstraint, and whether keyUsage (absent or present)
/// allows keyCertSign.
fn ca_facts(cert: &x509_cert::Certificate) -> (bool, Option<u32>, bool) {
    use der::oid::AssociatedOid;
    use x509_cert::ext::pkix::{BasicConstraints, KeyUsage, KeyUsages};
    let mut is_ca = false;
    let mut path_len = None;
    let mut cert_sign = true;
    for ext in cert.tbs_certificate.extensions.iter().flatten() {
        let value = ext.extn_value.as_bytes();
        if ext.extn_id == <BasicConstraints as AssociatedOid>::OID {
            if let Ok(bc) = BasicConstraints::from_der(value) {
                is_ca = bc.ca;
                path_len = bc.path_len_constraint.map(u32::from);
            }
        } else if ext.extn_id == <KeyUsage as AssociatedOid>::OID {
            cert_sign = KeyUsage::from_der(value)
                .map(|ku| ku.0.contains(KeyUsages::KeyCertSign))
                .unwrap_or(false);
        }
    }
    (is_ca, path_len, cert_sign)
}

pub(super) fn one_line(name: &openssl::x509::X509NameRef) -> String {
    name.entries()
        .map(|e| {
            let field = e.object().nid().short_name().unwrap_or("?");
            let value = e.data().to_string().unwrap_or_else(|_| "?".into());
            format!("{field}={value}")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A user's CA as part of a fixture spec: compared and hashed by its certificate's SHA-256,
/// serialized as its subject and fingerprint (never the key).
#[derive(Clone)]
pub struct IssuerRef(pub Arc<ExternalCa>);

impl fmt::Debug for IssuerRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl PartialEq for IssuerRef {
    fn eq(&self, other: &Self) -> bool {
        self.0.sha256 == other.0.sha256 && self.0.mint == other.0.mint
    }
}

impl Eq for IssuerRef {}

impl std::hash::Hash for IssuerRef {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.0.sha256.hash(state);
        self.0.mint.hash(state);
    }
}

impl Serialize for IssuerRef {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Issuer", 3)?;
        st.serialize_field("subject", &self.0.subject_text)?;
        st.serialize_field("sha256", &self.0.sha256)?;
        st.serialize_field("path_len", &self.0.path_len)?;
        st.end()
    }
}
