//! OCSP stapling, both ends. The server side ([`StapledCert`]) fetches an OCSP response about
//! its own certificate from the responder in the certificate's AIA, verifies it, staples it,
//! and refreshes it on an interval (keeping the last good one until its nextUpdate when the
//! responder fails). The client side ([`StapleCheckingVerifier`]) verifies the server's chain
//! with webpki and then the staple: signature, CertID, freshness, status. A revoked, invalid
//! or missing-but-required staple fails with `InvalidOcspResponse`, which rustls sends as
//! `bad_certificate_status_response` (RFC 6066 §8).

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use super::staple_source::StapleSource;

use der::Decode;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use rustls::{CertificateError, DigitallySignedStruct, Error, SignatureScheme};
use x509_cert::Certificate;

use crate::revocation::ocsp::{verify_response, CertState, Expected, OcspChecker};

/// id-pe-tlsfeature.
const TLS_FEATURE: der::oid::ObjectIdentifier =
    der::oid::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.1.24");

/// The server's certificate with its current staple.
pub struct StapledCert {
    current: RwLock<Arc<CertifiedKey>>,
    source: StapleSource,
}

impl fmt::Debug for StapledCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StapledCert")
            .field("has_staple", &self.has_staple())
            .finish_non_exhaustive()
    }
}

impl StapledCert {
    /// Starts without a staple. With `verify` off, whatever the responder answers is stapled
    /// unchecked (a careless server, for testing the client's checks).
    ///
    /// # Errors
    /// When the chain has no issuer or does not parse.
    pub fn new(key: CertifiedKey, verify: bool) -> Result<Self, String> {
        let source = StapleSource::new(&key.cert, verify)?;
        Ok(Self {
            current: RwLock::new(Arc::new(key)),
            source,
        })
    }

    /// Fetches a fresh staple with `checker` and installs it (see [`StapleSource::refresh`]).
    ///
    /// # Errors
    /// Why no fresh staple could be had.
    pub fn refresh(&self, checker: &OcspChecker) -> Result<CertState, String> {
        let result = self.source.refresh(checker);
        let staple = self.source.current().map(|d| d.to_vec());
        let base = Arc::clone(&self.current.read().unwrap_or_else(|p| p.into_inner()));
        if base.ocsp != staple {
            let mut next = (*base).clone();
            next.ocsp = staple;
            *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(next);
        }
        result
    }

    /// Whether a staple is installed.
    pub fn has_staple(&self) -> bool {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .ocsp
            .is_some()
    }
}

impl ResolvesServerCert for StapledCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(
            &self.current.read().unwrap_or_else(|p| p.into_inner()),
        ))
    }
}

/// Refreshes `cert`'s staple every `every` (on a blocking thread), logging failures.
pub async fn refresh_loop(cert: Arc<StapledCert>, checker: Arc<OcspChecker>, every: Duration) {
    super::staple_source::refresh_every(every, move || cert.refresh(&checker)).await;
}

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
