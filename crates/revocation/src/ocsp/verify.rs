//! Verifying an OCSP response (RFC 6960 §3.2) about one certificate: the response status, the
//! signer (the issuing CA itself, or a certificate it issued with id-kp-OCSPSigning), the
//! signature, the CertID, thisUpdate/nextUpdate against the clock, and the nonce.

use std::time::{Duration, SystemTime};

use der::{Decode, Encode};
use sha1::{Digest, Sha1};
use x509_cert::ext::pkix::ExtendedKeyUsage;
use x509_cert::serial_number::SerialNumber;
use x509_cert::Certificate;
use x509_ocsp::{
    BasicOcspResponse, CertStatus, OcspResponse, OcspResponseStatus, ResponderId, SingleResponse,
};

use super::sigalg;

/// Clock skew tolerated on thisUpdate.
pub const SKEW: Duration = Duration::from_secs(60);

/// What a verified response says about the certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertState {
    /// Not revoked.
    Good,
    /// Revoked.
    Revoked,
    /// The responder does not know the certificate.
    Unknown,
}

/// A verified answer.
#[derive(Clone, Copy, Debug)]
pub struct Verified {
    /// The status.
    pub state: CertState,
    /// Until when the answer may be used (nextUpdate), if it says.
    pub next_update: Option<SystemTime>,
}

/// Why a response is not usable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResponseProblem {
    /// The responder answered with an error status (tryLater, internalError, ...).
    #[error("responder status {0}")]
    Status(&'static str),
    /// Not a DER OCSP response.
    #[error("malformed response: {0}")]
    Malformed(String),
    /// Signed by a certificate that may not sign for this CA.
    #[error("unauthorized signer: {0}")]
    UnauthorizedSigner(String),
    /// The signature does not verify.
    #[error("signature: {0}")]
    Signature(String),
    /// No answer about this certificate in it.
    #[error("no answer for this certificate")]
    NoMatchingCertId,
    /// thisUpdate is in the future.
    #[error("thisUpdate is in the future")]
    NotYetValid,
    /// nextUpdate has passed.
    #[error("stale: nextUpdate has passed")]
    Stale,
    /// A nonce was sent and the answer has another one.
    #[error("nonce mismatch")]
    NonceMismatch,
    /// A nonce was sent, required back, and the answer has none.
    #[error("nonce missing")]
    NonceMissing,
}

impl ResponseProblem {
    /// True for answers that are present but wrong (forged, stale, replayed): a checker rejects
    /// on these whatever its fail policy. The others mean the status could not be learnt.
    pub fn is_invalid_answer(&self) -> bool {
        !matches!(
            self,
            ResponseProblem::Status(_) | ResponseProblem::Malformed(_)
        )
    }
}

/// What the answer must be about.
pub struct Expected<'a> {
    /// The certificate's issuer (the CA the responder speaks for).
    pub issuer: &'a Certificate,
    /// The certificate's serial number.
    pub serial: &'a SerialNumber,
    /// The nonce sent, if any.
    pub nonce: Option<&'a [u8]>,
    /// Reject an answer without the nonce (when one was sent).
    pub require_nonce: bool,
    /// The time to judge freshness at.
    pub now: SystemTime,
}

/// Verifies `der` against `expected`.
///
/// # Errors
/// See [`ResponseProblem`].
pub fn verify_response(der: &[u8], expected: &Expected<'_>) -> Result<Verified, ResponseProblem> {
    let basic = basic_response(der)?;
    verify_signature(&basic, expected.issuer)?;
    let single = single_response(&basic, expected)?;
    let this_update: SystemTime = single.this_update.0.to_system_time();
    if this_update > expected.now + SKEW {
        return Err(ResponseProblem::NotYetValid);
    }
    let next_update = single.next_update.map(|t| t.0.to_system_time());
    if matches!(next_update, Some(n) if n < expected.now) {
        return Err(ResponseProblem::Stale);
    }
    if let Some(sent) = expected.nonce {
        match basic.tbs_response_data.nonce() {
            Some(n) if n.0.as_bytes() == sent => {}
            Some(_) => return Err(ResponseProblem::NonceMismatch),
            None if expected.require_nonce => return Err(ResponseProblem::NonceMissing),
            None => {}
        }
    }
    let state = match single.cert_status {
        CertStatus::Good(_) => CertState::Good,
        CertStatus::Revoked(_) => CertState::Revoked,
        CertStatus::Unknown(_) => CertState::Unknown,
    };
    Ok(Verified { state, next_update })
}

fn malformed(e: der::Error) -> ResponseProblem {
    ResponseProblem::Malformed(e.to_string())
}

/// The basic response inside a successful OCSP response.
fn basic_response(der: &[u8]) -> Result<BasicOcspResponse, ResponseProblem> {
    let response = OcspResponse::from_der(der).map_err(malformed)?;
    if response.response_status != OcspResponseStatus::Successful {
        return Err(ResponseProblem::Status(status_name(
            response.response_status,
        )));
    }
    let bytes = response
        .response_bytes
        .ok_or_else(|| ResponseProblem::Malformed("successful without responseBytes".into()))?;
    if bytes.response_type != const_oid::db::rfc6960::ID_PKIX_OCSP_BASIC {
        return Err(ResponseProblem::Malformed(format!(
            "response type {}",
            bytes.response_type
        )));
    }
    BasicOcspResponse::from_der(bytes.response.as_bytes()).map_err(malformed)
}

/// Checks the response's signature by the key that must have signed it ([`find_signer`]).
fn verify_signature(
    basic: &BasicOcspResponse,
    issuer: &Certificate,
) -> Result<(), ResponseProblem> {
    let signer = find_signer(basic, issuer)?;
    let tbs = basic.tbs_response_data.to_der().map_err(malformed)?;
    sigalg::verify_by_cert(
        &signer,
        &basic.signature_algorithm,
        &tbs,
        basic.signature.raw_bytes(),
    )
    .map_err(|e| ResponseProblem::Signature(e.to_string()))
}

/// The single response for the expected certificate (by SHA-1 CertID of its issuer and its
/// serial).
fn single_response<'a>(
    basic: &'a BasicOcspResponse,
    expected: &Expected<'_>,
) -> Result<&'a SingleResponse, ResponseProblem> {
    let name_hash = Sha1::digest(
        expected
            .issuer
            .tbs_certificate
            .subject
            .to_der()
            .map_err(malformed)?,
    );
    let key_hash = Sha1::digest(
        expected
            .issuer
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes(),
    );
    basic
        .tbs_response_data
        .responses
        .iter()
        .find(|r| {
            let id = &r.cert_id;
            let same_issuer = if id.hash_algorithm.oid == const_oid::db::rfc5912::ID_SHA_1 {
                id.issuer_name_hash.as_bytes() == &name_hash[..]
                    && id.issuer_key_hash.as_bytes() == &key_hash[..]
            } else {
                false
            };
            same_issuer && id.serial_number == *expected.serial
        })
        .ok_or(ResponseProblem::NoMatchingCertId)
}

/// The certificate whose key must have signed: the issuer itself when the responder ID names
/// it, else a certificate in the response that the issuer signed and that carries
/// id-kp-OCSPSigning (RFC 6960 §4.2.2.2).
fn find_signer(
    basic: &BasicOcspResponse,
    issuer: &Certificate,
) -> Result<Certificate, ResponseProblem> {
    if names(&basic.tbs_response_data.responder_id, issuer) {
        return Ok(issuer.clone());
    }
    let candidate = basic
        .certs
        .iter()
        .flatten()
        .find(|c| names(&basic.tbs_response_data.responder_id, c))
        .ok_or_else(|| {
            ResponseProblem::UnauthorizedSigner("responder is neither the CA nor in certs".into())
        })?;
    if candidate.tbs_certificate.issuer != issuer.tbs_certificate.subject {
        return Err(ResponseProblem::UnauthorizedSigner(
            "responder certificate not issued by the CA".into(),
        ));
    }
    sigalg::verify_issued_by(candidate, issuer).map_err(|e| {
        ResponseProblem::UnauthorizedSigner(format!("responder certificate signature: {e}"))
    })?;
    let ocsp_signing = candidate
        .tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_EXT_KEY_USAGE)
        .filter_map(|e| ExtendedKeyUsage::from_der(e.extn_value.as_bytes()).ok())
        .any(|eku| eku.0.contains(&const_oid::db::rfc5280::ID_KP_OCSP_SIGNING));
    if !ocsp_signing {
        return Err(ResponseProblem::UnauthorizedSigner(
            "responder certificate lacks id-kp-OCSPSigning".into(),
        ));
    }
    Ok(candidate.clone())
}

fn names(id: &ResponderId, cert: &Certificate) -> bool {
    match id {
        ResponderId::ByName(name) => *name == cert.tbs_certificate.subject,
        ResponderId::ByKey(hash) => {
            let digest = Sha1::digest(
                cert.tbs_certificate
                    .subject_public_key_info
                    .subject_public_key
                    .raw_bytes(),
            );
            hash.as_bytes() == &digest[..]
        }
    }
}

fn status_name(status: OcspResponseStatus) -> &'static str {
    match status {
        OcspResponseStatus::Successful => "successful",
        OcspResponseStatus::MalformedRequest => "malformedRequest",
        OcspResponseStatus::InternalError => "internalError",
        OcspResponseStatus::TryLater => "tryLater",
        OcspResponseStatus::SigRequired => "sigRequired",
        OcspResponseStatus::Unauthorized => "unauthorized",
    }
}
