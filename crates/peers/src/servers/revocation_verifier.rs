//! Revocation checks rustls does not have, for its client-certificate verifier: OCSP (rustls
//! has no OCSP client; this one asks the responder through [`OcspChecker`]), and a hard-fail
//! gate for when no CRL could be obtained at all. Both run after the wrapped webpki verifier
//! (as a [`PostCheck`]), so chain, validity and usage are checked exactly as without them.

use std::fmt;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::{CertificateError, Error};

use super::post_check::PostCheck;
use crate::revocation::client_check::{check, verdict, Verdict};
use crate::revocation::ocsp::{Decision, OcspChecker};
use crate::scenario::FailPolicy;

/// Where the revocation status comes from.
pub enum RevocationSource {
    /// Ask the OCSP responder.
    Ocsp(Arc<OcspChecker>),
    /// No status can be had (the CRL could not be downloaded): the policy alone decides.
    Unavailable,
}

/// The revocation check run after the wrapped verifier accepted the chain (through
/// [`PostCheckVerifier`](super::post_check::PostCheckVerifier)).
pub struct RevocationCheck {
    source: RevocationSource,
    policy: FailPolicy,
}

impl fmt::Debug for RevocationCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RevocationCheck")
            .field("policy", &self.policy)
            .finish_non_exhaustive()
    }
}

impl RevocationCheck {
    /// A check of `source` under `policy`.
    pub fn new(source: RevocationSource, policy: FailPolicy) -> Self {
        Self { source, policy }
    }
}

impl PostCheck for RevocationCheck {
    fn check(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
    ) -> Result<(), Error> {
        let outcome = match &self.source {
            RevocationSource::Unavailable => verdict(
                Decision::Undetermined("no CRL available".into()),
                self.policy,
            ),
            // The issuer is the certificate the client sent whose subject is the leaf's issuer
            // (the chain was just verified, so one is; clients may send them in any order).
            RevocationSource::Ocsp(checker) => check(
                checker,
                end_entity,
                || issuer_of(end_entity, intermediates).map(|c| CertificateDer::from(c.as_ref())),
                self.policy,
            ),
        };
        match outcome {
            Verdict::Accept => Ok(()),
            Verdict::Revoked => Err(CertificateError::Revoked.into()),
            Verdict::Unknown => Err(CertificateError::UnknownRevocationStatus.into()),
        }
    }
}

/// The certificate among `intermediates` whose subject is `leaf`'s issuer.
fn issuer_of<'c>(
    leaf: &CertificateDer<'_>,
    intermediates: &'c [CertificateDer<'c>],
) -> Option<&'c CertificateDer<'c>> {
    use der::Decode;
    let parse = |der: &[u8]| x509_cert::Certificate::from_der(der).ok();
    let issuer = parse(leaf)?.tbs_certificate.issuer;
    intermediates
        .iter()
        .find(|c| parse(c).is_some_and(|c| c.tbs_certificate.subject == issuer))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_issuer_is_found_whatever_the_order() {
        let pki =
            crate::pki::generate(&crate::pki::PkiSpec::new(crate::pki::KeyType::EcdsaP256, 1))
                .unwrap();
        let id = pki
            .client(crate::pki::ClientCert::MisorderedChain, 0)
            .unwrap();
        // Sent as leaf, upper CA, lower CA: the lower one (last) issued the leaf.
        assert_eq!(issuer_of(&id.chain[0], &id.chain[1..]), Some(&id.chain[2]));
        assert_eq!(issuer_of(&id.chain[0], &[]), None);
    }
}
