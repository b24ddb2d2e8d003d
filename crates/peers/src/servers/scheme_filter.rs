//! The rustls server's narrower list of signature schemes for client CertificateVerify
//! (`--client-sigalgs`): only these are advertised in the CertificateRequest, and a signature
//! with another scheme fails exactly as rustls's own verifier fails a scheme it does not
//! support (`SignedHandshakeWithUnadvertisedSigScheme`, sent as illegal_parameter).

use rustls::pki_types::CertificateDer;
use rustls::{Error, PeerMisbehaved, SignatureScheme};

use super::post_check::PostCheck;

/// Allows only the listed schemes.
#[derive(Debug)]
pub struct SchemeFilter(Vec<SignatureScheme>);

impl SchemeFilter {
    /// Allows `schemes` (those the inner verifier supports).
    pub fn new(schemes: Vec<SignatureScheme>) -> Self {
        Self(schemes)
    }
}

impl PostCheck for SchemeFilter {
    fn check(&self, _: &CertificateDer<'_>, _: &[CertificateDer<'_>]) -> Result<(), Error> {
        Ok(())
    }

    fn schemes(&self, inner: Vec<SignatureScheme>) -> Vec<SignatureScheme> {
        inner.into_iter().filter(|s| self.0.contains(s)).collect()
    }

    fn signature(&self, scheme: SignatureScheme) -> Result<(), Error> {
        if self.0.contains(&scheme) {
            Ok(())
        } else {
            Err(PeerMisbehaved::SignedHandshakeWithUnadvertisedSigScheme.into())
        }
    }
}
