//! The verdicts the RFCs imply when a case names none: [`Expectation::derived`] for a client
//! credential under the case's client auth, version and revocation settings, and
//! [`Revocation::staple_expectation`] for OCSP stapling. Kept apart from the types so that
//! `expect.rs` and `revocation.rs` do not depend on each other.

use super::expect::Expectation;
use super::peers::ClientAuth;
use super::revocation::{
    FailPolicy, OcspSigner, OcspView, ResponderFault, Revocation, RevocationMode,
};
use super::tls::TlsVersion;
use crate::measure::Outcome;
use crate::pki::{ClientCert, CrlKind};

impl Revocation {
    /// What a client that checks the server's staple gets (client certificates are not
    /// checked in this mode): a good staple is accepted; a server that could not get one sends
    /// none (rejected only for Must-Staple); a bad answer is dropped by a verifying server and
    /// stapled, then refused by the client, by a careless one.
    pub fn staple_expectation(&self) -> Expectation {
        use ResponderFault as F;
        let no_staple = if self.must_staple {
            Expectation::Reject(Some(Outcome::StapleRejected))
        } else {
            Expectation::Accept
        };
        // Staples are fetched without a nonce: the nonce faults change nothing.
        let fault = match self.fault {
            F::NoNonce | F::WrongNonce => F::None,
            f => f,
        };
        let reaches_server =
            !matches!(fault, F::Down | F::Timeout) && self.responder_delay < self.query_timeout;
        let good =
            fault == F::None && self.signer != OcspSigner::Unauthorized && !self.server_revoked;
        // A revoked status is a valid answer: even a verifying server staples it.
        let revoked_valid =
            self.server_revoked && fault == F::None && self.signer != OcspSigner::Unauthorized;
        match (reaches_server, good, self.staple_verify) {
            (false, _, _) => no_staple,
            (true, false, _) if revoked_valid => Expectation::Reject(Some(Outcome::StapleRejected)),
            (true, true, _) => Expectation::Accept,
            (true, false, true) => no_staple,
            (true, false, false) => Expectation::Reject(Some(Outcome::StapleRejected)),
        }
    }
}

impl Expectation {
    /// The expectation RFC 8446/5280 imply for a client credential, used when a case says none:
    /// a valid (or, without required auth, absent) certificate is accepted; each bad variant is
    /// rejected with the alert its definition names.
    /// A `revoked` certificate is rejected only where the server checks revocation.
    pub fn derived(
        cert: ClientCert,
        auth: ClientAuth,
        version: TlsVersion,
        revocation: Revocation,
    ) -> Expectation {
        let reject = |o| Expectation::Reject(Some(o));
        match (cert, auth) {
            (
                ClientCert::Valid | ClientCert::Revoked,
                ClientAuth::Required | ClientAuth::Optional,
            ) if revocation.mode == RevocationMode::Crl => {
                let revoked = cert == ClientCert::Revoked;
                let listed = if revoked {
                    reject(Outcome::CertRevoked)
                } else {
                    Expectation::Accept
                };
                match (revocation.crl, revocation.policy) {
                    (kind, _) if kind.usable() => listed,
                    // Status undetermined: hard-fail rejects (with whatever alert), soft-fail
                    // accepts (a stale CRL is still read: it lists the revoked client).
                    (_, FailPolicy::Hard) => Expectation::Reject(None),
                    (CrlKind::Stale, FailPolicy::Soft) => listed,
                    (_, FailPolicy::Soft) => Expectation::Accept,
                }
            }
            (
                ClientCert::Valid | ClientCert::Revoked,
                ClientAuth::Required | ClientAuth::Optional,
            ) if revocation.mode == RevocationMode::CrlHttp => {
                let listed = if cert == ClientCert::Revoked {
                    reject(Outcome::CertRevoked)
                } else {
                    Expectation::Accept
                };
                let reachable = matches!(
                    revocation.fault,
                    ResponderFault::None
                        | ResponderFault::Unknown
                        | ResponderFault::NoNonce
                        | ResponderFault::WrongNonce
                        | ResponderFault::Stale
                        | ResponderFault::Future
                        | ResponderFault::BadSignature
                        | ResponderFault::TryLater
                        | ResponderFault::InternalError
                        | ResponderFault::Unauthorized
                ) && revocation.responder_delay < revocation.query_timeout;
                match (reachable, revocation.crl, revocation.policy) {
                    (true, kind, _) if kind.usable() => listed,
                    (_, _, FailPolicy::Hard) => Expectation::Reject(None),
                    (true, CrlKind::Stale, FailPolicy::Soft) => listed,
                    (_, _, FailPolicy::Soft) => Expectation::Accept,
                }
            }
            (
                ClientCert::Valid | ClientCert::Revoked,
                ClientAuth::Required | ClientAuth::Optional,
            ) if revocation.mode == RevocationMode::Ocsp => {
                match (
                    revocation.ocsp_view(cert == ClientCert::Revoked),
                    revocation.policy,
                ) {
                    (OcspView::Revoked, _) => reject(Outcome::CertRevoked),
                    (OcspView::Good, _) | (OcspView::Undetermined, FailPolicy::Soft) => {
                        Expectation::Accept
                    }
                    // No RFC names the alert for an unknown or untrustworthy status: the
                    // rustls server and nginx answer unknown_ca, the OpenSSL server
                    // certificate_unknown (X509_V_ERR_OCSP_VERIFY_FAILED).
                    (OcspView::Undetermined, FailPolicy::Hard) | (OcspView::Refused, _) => {
                        Expectation::Reject(None)
                    }
                }
            }
            (ClientCert::Valid | ClientCert::Revoked, _)
                if revocation.mode == RevocationMode::OcspStapling =>
            {
                revocation.staple_expectation()
            }
            (ClientCert::Revoked, _) => Expectation::Accept,
            (ClientCert::Valid, _) | (_, ClientAuth::Off) => Expectation::Accept,
            (ClientCert::None, ClientAuth::Optional) => Expectation::Accept,
            (ClientCert::None, _) => match version {
                TlsVersion::Tls13 => reject(Outcome::CertRequired),
                TlsVersion::Tls12 => reject(Outcome::HandshakeFailure),
            },
            (ClientCert::Expired | ClientCert::NotYetValid, _) => reject(Outcome::CertExpired),
            (ClientCert::ServerAuthOnly, _) => reject(Outcome::UnsupportedCertificate),
            (ClientCert::UnknownCa | ClientCert::MissingIntermediate, _) => {
                reject(Outcome::UnknownCa)
            }
            (ClientCert::MismatchedKey, _) => reject(Outcome::DecryptError),
            // "bad_certificate (recommended)"; the definition of bad_certificate for a
            // signature that does not verify.
            (ClientCert::Sha1Signed | ClientCert::BadSignature, _) => {
                reject(Outcome::BadCertificate)
            }
            // bad_certificate or insufficient_security; rejected without a required key usage.
            (ClientCert::WeakRsa | ClientCert::NoDigitalSignature, _) => Expectation::Reject(None),
            (ClientCert::NameConstraints, _) => reject(Outcome::CertificateUnknown),
            // Tolerated (RFC 8446 4.4.2), and EKU absent means any use (RFC 5280 4.2.1.12). A
            // deep chain is valid; the parser turns it into unknown_ca where the case's
            // verify_depth is shorter.
            (ClientCert::ExtraCert | ClientCert::NoEku | ClientCert::DeepChain, _) => {
                Expectation::Accept
            }
            // Local policy: whatever the peer does is recorded.
            (ClientCert::CaLeaf, _) => Expectation::Record,
            // Valid leaves under CAs the revocation sources do not cover (the misordered
            // chain's CAs, the CA without cRLSign): where the server checks the client's
            // revocation status, none can be had.
            (ClientCert::MisorderedChain | ClientCert::NoCrlSignIssuer, _) => {
                match (revocation.mode, revocation.policy) {
                    (
                        RevocationMode::Crl | RevocationMode::CrlHttp | RevocationMode::Ocsp,
                        FailPolicy::Hard,
                    ) => Expectation::Reject(None),
                    _ => Expectation::Accept,
                }
            }
        }
    }
}
