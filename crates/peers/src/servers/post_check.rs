//! A client-certificate verifier with one more check after the chain verifies: the wrapper
//! that delegates everything else to the inner verifier lives here once, and each extra check
//! (an allow-list, a narrower list of signature schemes, OCSP) is a [`PostCheck`]. A check
//! that picks the chain's verifier itself (the CRL of a certificate's distribution point,
//! `crl_points`) overrides [`PostCheck::verify`] and keeps the inner verifier for the rest.

use std::sync::Arc;

use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::{CertificateDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, Error, SignatureScheme};

/// A check of a client chain that the inner verifier has accepted.
pub trait PostCheck: std::fmt::Debug + Send + Sync {
    /// `Ok` to accept, or the error the handshake fails with (its alert).
    ///
    /// # Errors
    /// When the client must be refused.
    fn check(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
    ) -> Result<(), Error>;

    /// Verifies the client chain: by default `inner`'s verdict, then [`PostCheck::check`].
    ///
    /// # Errors
    /// When the client must be refused.
    fn verify(
        &self,
        inner: &dyn ClientCertVerifier,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, Error> {
        let verified = inner.verify_client_cert(end_entity, intermediates, now)?;
        self.check(end_entity, intermediates).map(|()| verified)
    }

    /// The schemes to advertise, given the inner verifier's (default: all of them).
    fn schemes(&self, inner: Vec<SignatureScheme>) -> Vec<SignatureScheme> {
        inner
    }

    /// Whether a CertificateVerify signed with `scheme` may be checked at all (default: yes).
    ///
    /// # Errors
    /// When the scheme is refused.
    fn signature(&self, _scheme: SignatureScheme) -> Result<(), Error> {
        Ok(())
    }
}

/// `inner`, then `check`.
#[derive(Debug)]
pub struct PostCheckVerifier<C> {
    inner: Arc<dyn ClientCertVerifier>,
    check: C,
}

impl<C: PostCheck> PostCheckVerifier<C> {
    /// Wraps `inner` with `check`.
    pub fn new(inner: Arc<dyn ClientCertVerifier>, check: C) -> Self {
        Self { inner, check }
    }
}

impl<C: PostCheck> ClientCertVerifier for PostCheckVerifier<C> {
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
        self.check
            .verify(self.inner.as_ref(), end_entity, intermediates, now)
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.check.signature(dss.scheme)?;
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        self.check.signature(dss.scheme)?;
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.check.schemes(self.inner.supported_verify_schemes())
    }
}
