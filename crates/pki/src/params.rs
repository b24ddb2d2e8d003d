//! Certificate parameters and signing shared by everything that issues: the distinguished
//! name, serial and key identifier every certificate gets, CA and leaf parameters with their
//! validity periods (see `issue.rs`), signing through rcgen, and [`IssueError`]. Both
//! `issue.rs` (the hierarchy) and `variants.rs` (the bad credentials) build on it.

use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyIdMethod, KeyUsagePurpose, SerialNumber,
};
use rustls::pki_types::CertificateDer;
use time::{Duration, OffsetDateTime};

use super::extensions::{self, RevocationUrls};
use super::keys::{KeyError, KeyMaterial};

/// A year, the unit of the validity periods.
pub(super) const YEAR: Duration = Duration::days(365);

/// Errors while issuing fixtures.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    /// Key generation failed.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// rcgen refused the parameters or the signature failed.
    #[error("issuing {what}: {source}")]
    Certificate {
        /// Which certificate.
        what: String,
        /// rcgen's error.
        source: rcgen::Error,
    },
    /// The spec is out of range.
    #[error("bad PKI spec: {0}")]
    Spec(String),
}

fn name(common_name: &str) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::OrganizationName, "mtls-harness");
    dn.push(DnType::CommonName, common_name);
    dn
}

fn base_params(cn: &str, serial: u64, key: &KeyMaterial) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(cn);
    params.serial_number = Some(SerialNumber::from(serial));
    params.key_identifier_method = KeyIdMethod::PreSpecified(key.key_identifier());
    params.use_authority_key_identifier_extension = true;
    params
}

pub(super) fn ca_params(
    cn: &str,
    serial: u64,
    path_len: Option<u8>,
    key: &KeyMaterial,
    anchor: OffsetDateTime,
) -> CertificateParams {
    let mut params = base_params(cn, serial, key);
    params.is_ca = IsCa::Ca(match path_len {
        Some(n) => BasicConstraints::Constrained(n),
        None => BasicConstraints::Unconstrained,
    });
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    params.not_before = anchor - 2 * YEAR - Duration::days(1);
    params.not_after = anchor + 40 * YEAR;
    params
}

pub(super) fn leaf_params(
    cn: &str,
    serial: u64,
    key: &KeyMaterial,
    anchor: OffsetDateTime,
    urls: Option<RevocationUrls<'_>>,
) -> CertificateParams {
    let mut params = base_params(cn, serial, key);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.not_before = anchor - YEAR;
    params.not_after = anchor + 30 * YEAR;
    if let Some(urls) = urls {
        extensions::add_revocation_urls(&mut params, urls, serial);
    }
    params
}

pub(super) fn client_params(
    cn: &str,
    serial: u64,
    key: &KeyMaterial,
    anchor: OffsetDateTime,
    urls: Option<RevocationUrls<'_>>,
) -> CertificateParams {
    let mut params = leaf_params(cn, serial, key, anchor, urls);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    params
}

pub(super) fn sign(
    params: &CertificateParams,
    subject_key: &KeyMaterial,
    issuer: &Issuer<'_, &KeyMaterial>,
    what: &str,
) -> Result<CertificateDer<'static>, IssueError> {
    params
        .signed_by(subject_key, issuer)
        .map(|c| c.der().clone())
        .map_err(|e| cert_err(what, e))
}

pub(super) fn sign_self(
    params: &CertificateParams,
    key: &KeyMaterial,
    what: &str,
) -> Result<CertificateDer<'static>, IssueError> {
    params
        .self_signed(key)
        .map(|c| c.der().clone())
        .map_err(|e| cert_err(what, e))
}

pub(super) fn cert_err(what: &str, source: rcgen::Error) -> IssueError {
    IssueError::Certificate {
        what: what.to_string(),
        source,
    }
}
