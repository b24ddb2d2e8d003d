//! Client-certificate verifiers that add revocation checks rustls does not have: OCSP (rustls
//! has no OCSP client; this one asks the responder through [`OcspChecker`]), and a hard-fail
//! gate for when no CRL could be obtained at all. Both first run the wrapped webpki verifier,
//! so chain, validity and usage are checked exactly as without them.

use std::fmt;
use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{CertificateError, DigitallySignedStruct, DistinguishedName, Error, SignatureScheme};

use super::client_ocsp::{check, verdict, Verdict};
use crate::revocation::ocsp::{Decision, OcspChecker};
use crate::scenario::FailPolicy;

/// Where the revocation status comes from.
pub enum RevocationSource {
    /// Ask the OCSP responder.
    Ocsp(Arc<OcspChecker>),
    /// No status can be had (the CRL could not be downloaded): the policy alone decides.
    Unavailable,
}

/// A webpki verifier plus a revocation check.
pub struct RevocationCheckingVerifier {
    inner: Arc<dyn ClientCertVerifier>,
    source: RevocationSource,
    policy: FailPolicy,
}

impl fmt::Debug for RevocationCheckingVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationCheckingVerifier")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl RevocationCheckingVerifier {
    /// Wraps `inner`.
    pub fn new(
        inner: Arc<dyn ClientCertVerifier>,
        source: RevocationSource,
        policy: FailPolicy,
    ) -> Self {
        Self {
            inner,
            source,
            policy,
        }
    }
}

impl ClientCertVerifier for RevocationCheckingVerifier {
    fn offer_client_auth(&self) -> bool {
        self.inner.offer_client_auth()
    }

    fn client_auth_mandatory(&self) -> bool {
        self.inner.client_auth_mandatory()
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.inner.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let verified = self
            .inner
            .verify_client_cert(end_entity, intermediates, now)?;
        let outcome = match &self.source {
            RevocationSource::Unavailable => verdict(
                Decision::Undetermined("no CRL available".into()),
                self.policy,
            ),
            // The issuer is the first certificate the client sent after its leaf (the chain
            // was just verified, so it is the right one).
            RevocationSource::Ocsp(checker) => {
                check(checker, end_entity, intermediates.first(), self.policy)
            }
        };
        match outcome {
            Verdict::Accept => Ok(verified),
            Verdict::Revoked => Err(CertificateError::Revoked.into()),
            Verdict::Unknown => Err(CertificateError::UnknownRevocationStatus.into()),
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
