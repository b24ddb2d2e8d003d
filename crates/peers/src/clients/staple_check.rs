//! The rustls client's check of the server's OCSP staple: [`StapleCheckingVerifier`] verifies
//! the server's chain with webpki and then the staple: signature, CertID, freshness, status. A
//! revoked, invalid or missing-but-required staple fails with `InvalidOcspResponse`, which
//! rustls sends as `bad_certificate_status_response` (RFC 6066 §8).

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use der::Decode;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};
use x509_cert::Certificate;

use crate::revocation::ocsp::{verify_response, CertState, Expected};

/// id-pe-tlsfeature.
const TLS_FEATURE: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.24");

/// Whether `cert` carries the TLS feature extension (OCSP Must-Staple, RFC 7633).
pub fn is_must_staple(cert: &Certificate) -> bool {
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .any(|e| e.extn_id == TLS_FEATURE)
}

/// A client's server-certificate verifier that also checks the OCSP staple.
pub struct StapleCheckingVerifier {
    inner: Arc<WebPkiServerVerifier>,
    require: bool,
}

impl fmt::Debug for StapleCheckingVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StapleCheckingVerifier")
            .field("require", &self.require)
            .finish_non_exhaustive()
    }
}

impl StapleCheckingVerifier {
    /// Wraps `inner`. With `require`, a server without a staple is rejected; without it only
    /// Must-Staple certificates need one.
    pub fn new(inner: Arc<WebPkiServerVerifier>, require: bool) -> Self {
        Self { inner, require }
    }
}

fn staple_error(why: &str) -> Error {
    tracing::debug!("staple rejected: {why}");
    CertificateError::InvalidOcspResponse.into()
}

impl ServerCertVerifier for StapleCheckingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let verified = self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        )?;
        let leaf = Certificate::from_der(end_entity)
            .map_err(|_| Error::InvalidCertificate(CertificateError::BadEncoding))?;
        if ocsp_response.is_empty() {
            if self.require || is_must_staple(&leaf) {
                return Err(staple_error("no staple"));
            }
            return Ok(verified);
        }
        let issuer = intermediates
            .first()
            .and_then(|i| Certificate::from_der(i).ok())
            .ok_or_else(|| staple_error("no issuer certificate to check the staple with"))?;
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(now.as_secs());
        let answer = verify_response(
            ocsp_response,
            &Expected {
                issuer: &issuer,
                serial: &leaf.tbs_certificate.serial_number,
                nonce: None,
                require_nonce: false,
                now,
            },
        )
        .map_err(|p| staple_error(&p.to_string()))?;
        match answer.state {
            CertState::Good => Ok(verified),
            CertState::Revoked => Err(staple_error("the staple says revoked")),
            CertState::Unknown => Err(staple_error("the staple says unknown")),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}
