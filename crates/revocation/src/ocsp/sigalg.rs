//! Signature verification for OCSP responses and responder certificates, with the same
//! aws-lc-rs algorithms rustls verifies certificates with (never hand-rolled crypto).

use der::Encode;
use rustls::pki_types::SignatureVerificationAlgorithm;
use spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

/// Why a signature did not verify.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SignatureProblem {
    /// No supported algorithm for this key and signature algorithm.
    #[error("unsupported signature algorithm {0}")]
    Unsupported(String),
    /// The signature is wrong.
    #[error("signature does not verify")]
    Invalid,
}

/// Verifies `signature` over `message` by the key in `signer`'s certificate.
///
/// # Errors
/// When the algorithm pair is not supported or the signature is wrong.
pub fn verify_by_cert(
    signer: &Certificate,
    algorithm: &AlgorithmIdentifierOwned,
    message: &[u8],
    signature: &[u8],
) -> Result<(), SignatureProblem> {
    let spki = &signer.tbs_certificate.subject_public_key_info;
    let key_alg = contents(&spki.algorithm)?;
    let sig_alg = contents(algorithm)?;
    let candidates = rustls::crypto::aws_lc_rs::default_provider()
        .signature_verification_algorithms
        .all;
    let alg: &dyn SignatureVerificationAlgorithm = *candidates
        .iter()
        .find(|a| *a.public_key_alg_id() == *key_alg && *a.signature_alg_id() == *sig_alg)
        .ok_or_else(|| SignatureProblem::Unsupported(algorithm.oid.to_string()))?;
    alg.verify_signature(spki.subject_public_key.raw_bytes(), message, signature)
        .map_err(|_| SignatureProblem::Invalid)
}

/// Checks that `issuer` signed `cert`.
///
/// # Errors
/// As [`verify_by_cert`].
pub fn verify_issued_by(cert: &Certificate, issuer: &Certificate) -> Result<(), SignatureProblem> {
    let tbs = cert
        .tbs_certificate
        .to_der()
        .map_err(|e| SignatureProblem::Unsupported(e.to_string()))?;
    verify_by_cert(
        issuer,
        &cert.signature_algorithm,
        &tbs,
        cert.signature.raw_bytes(),
    )
}

/// The DER of an AlgorithmIdentifier without its SEQUENCE header: the form rustls compares.
fn contents(alg: &AlgorithmIdentifierOwned) -> Result<Vec<u8>, SignatureProblem> {
    let der = alg
        .to_der()
        .map_err(|e| SignatureProblem::Unsupported(e.to_string()))?;
    let header = match der.get(1) {
        Some(&len) if len < 0x80 => 2,
        Some(&len) => 2 + usize::from(len & 0x7f),
        None => return Err(SignatureProblem::Unsupported("empty algorithm".into())),
    };
    Ok(der.get(header..).unwrap_or_default().to_vec())
}
