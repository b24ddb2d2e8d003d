//! Certificates no honest issuer makes, for conformance cases: a certificate re-signed with
//! SHA-1 (rcgen signs with SHA-256 or better only), and one whose signature is corrupted.
//!
//! Both start from a certificate rcgen issued and change it with x509-cert, so everything
//! except the signature (and, for SHA-1, the algorithm identifiers) stays as issued.

use der::asn1::BitString;
use der::{Decode, Encode};
use rustls::pki_types::CertificateDer;
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

use super::keys::{KeyMaterial, KeyType};

/// ecdsa-with-SHA1 (RFC 3279 2.2.3).
const ECDSA_WITH_SHA1: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.840.10045.4.1");
/// sha1WithRSAEncryption (RFC 3279 2.2.1).
const SHA1_WITH_RSA: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.5");

/// Why a certificate could not be changed.
#[derive(Debug, thiserror::Error)]
pub enum ResignError {
    /// The certificate did not parse or re-encode.
    #[error("re-encoding a certificate: {0}")]
    Der(#[from] der::Error),
    /// The issuer's key type has no SHA-1 signature (Ed25519).
    #[error("a {0} key cannot sign with SHA-1")]
    NoSha1(KeyType),
}

/// `cert` signed again by `issuer_key` with SHA-1: the signature algorithm in the
/// to-be-signed part and outside it both say SHA-1.
///
/// # Errors
/// When the certificate does not parse, or the issuer's key is Ed25519.
pub fn resign_sha1(
    cert: &CertificateDer<'_>,
    issuer_key: &KeyMaterial,
) -> Result<CertificateDer<'static>, ResignError> {
    let mut parsed = Certificate::from_der(cert)?;
    let algorithm = match issuer_key.key_type() {
        KeyType::EcdsaP256 | KeyType::EcdsaP384 => AlgorithmIdentifierOwned {
            oid: ECDSA_WITH_SHA1,
            parameters: None,
        },
        KeyType::Rsa2048 | KeyType::Rsa3072 | KeyType::Rsa4096 => AlgorithmIdentifierOwned {
            oid: SHA1_WITH_RSA,
            parameters: Some(der::Any::null()),
        },
        other => return Err(ResignError::NoSha1(other)),
    };
    parsed.tbs_certificate.signature = algorithm.clone();
    parsed.signature_algorithm = algorithm;
    let tbs = parsed.tbs_certificate.to_der()?;
    let signature = issuer_key
        .sign_sha1(&tbs)
        .ok_or(ResignError::NoSha1(issuer_key.key_type()))?;
    parsed.signature = BitString::from_bytes(&signature)?;
    Ok(CertificateDer::from(parsed.to_der()?))
}

/// `cert` with one bit of its signature flipped: well-formed, but the signature does not
/// verify.
///
/// # Errors
/// When the certificate does not parse.
pub fn corrupt_signature(
    cert: &CertificateDer<'_>,
) -> Result<CertificateDer<'static>, ResignError> {
    let mut parsed = Certificate::from_der(cert)?;
    let mut bytes = parsed.signature.raw_bytes().to_vec();
    // The last byte: inside the signature value itself for every algorithm (the end of `s`
    // for ECDSA), so the encoding stays valid.
    if let Some(last) = bytes.last_mut() {
        *last ^= 0x01;
    }
    parsed.signature = BitString::from_bytes(&bytes)?;
    Ok(CertificateDer::from(parsed.to_der()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn self_signed(key: &KeyMaterial) -> CertificateDer<'static> {
        let mut params = rcgen::CertificateParams::new(vec!["t.test".into()]).unwrap();
        params.serial_number = Some(rcgen::SerialNumber::from(7u64));
        params.self_signed(key).unwrap().der().clone()
    }

    #[test]
    fn sha1_certificate_verifies_with_sha1_and_names_it() {
        for key_type in [KeyType::EcdsaP256, KeyType::EcdsaP384, KeyType::Rsa2048] {
            let key = KeyMaterial::generate(key_type, 1, "resign").unwrap();
            let cert = resign_sha1(&self_signed(&key), &key).unwrap();
            let x509 = openssl::x509::X509::from_der(&cert).unwrap();
            assert_eq!(
                x509.signature_algorithm().object().nid(),
                match key_type {
                    KeyType::EcdsaP256 | KeyType::EcdsaP384 => openssl::nid::Nid::ECDSA_WITH_SHA1,
                    _ => openssl::nid::Nid::SHA1WITHRSAENCRYPTION,
                },
                "{key_type}"
            );
            let public = x509.public_key().unwrap();
            assert!(x509.verify(&public).unwrap(), "{key_type}: signature");
        }
        let ed = KeyMaterial::generate(KeyType::Ed25519, 1, "resign").unwrap();
        assert!(matches!(
            resign_sha1(&self_signed(&ed), &ed),
            Err(ResignError::NoSha1(KeyType::Ed25519))
        ));
    }

    #[test]
    fn corrupted_signature_parses_but_does_not_verify() {
        let key = KeyMaterial::generate(KeyType::EcdsaP256, 1, "corrupt").unwrap();
        let good = self_signed(&key);
        let bad = corrupt_signature(&good).unwrap();
        assert_eq!(good.len(), bad.len());
        let x509 = |der: &[u8]| openssl::x509::X509::from_der(der).unwrap();
        let public = x509(&good).public_key().unwrap();
        assert!(x509(&good).verify(&public).unwrap());
        assert!(!x509(&bad).verify(&public).unwrap());
    }
}
