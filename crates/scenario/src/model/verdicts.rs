//! The verdicts the RFCs imply when a case names none: [`Expectation::derived`] for a client
//! credential under the case's client auth, version and revocation settings, and
//! [`StaplingSettings::staple_expectation`] for OCSP stapling. Kept apart from the types so that
//! `expect.rs` and `revocation.rs` do not depend on each other.

use super::expect::Expectation;
use super::peers::ClientAuth;
use super::revocation::{
    CrlHttpSettings, CrlSettings, FailPolicy, OcspSettings, OcspSigner, OcspView, ResponderFault,
    Revocation, StaplingSettings,
};
use super::tls::TlsVersion;
use crate::measure::Outcome;
use crate::pki::{ClientCert, CrlKind};

impl StaplingSettings {
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
        let fault = match self.service.fault {
            F::NoNonce | F::WrongNonce => F::None,
            f => f,
        };
        let reaches_server = !matches!(fault, F::Down | F::Timeout)
            && self.service.responder_delay < self.service.query_timeout;
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

impl CrlSettings {
    /// What a server checking this CRL file does with a `revoked` (or valid) client.
    fn verdict(&self, revoked: bool) -> Expectation {
        let listed = listed(revoked);
        match (self.list.kind, self.policy) {
            (kind, _) if kind.usable() => listed,
            // Status undetermined: hard-fail rejects (with whatever alert), soft-fail
            // accepts (a stale CRL is still read: it lists the revoked client).
            (_, FailPolicy::Hard) => Expectation::Reject(None),
            (CrlKind::Stale, FailPolicy::Soft) => listed,
            (_, FailPolicy::Soft) => Expectation::Accept,
        }
    }
}

impl CrlHttpSettings {
    /// What a server downloading this CRL does with a `revoked` (or valid) client.
    fn verdict(&self, revoked: bool) -> Expectation {
        let listed = listed(revoked);
        let reachable = matches!(
            self.service.fault,
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
        ) && self.service.responder_delay < self.service.query_timeout;
        match (reachable, self.list.kind, self.policy) {
            (true, kind, _) if kind.usable() => listed,
            (_, _, FailPolicy::Hard) => Expectation::Reject(None),
            (true, CrlKind::Stale, FailPolicy::Soft) => listed,
            (_, _, FailPolicy::Soft) => Expectation::Accept,
        }
    }
}

impl OcspSettings {
    /// What the server learns about a certificate the CA says is `revoked` (or good), before
    /// its fail policy.
    pub fn view(&self, revoked: bool) -> OcspView {
        use ResponderFault as F;
        if self.signer == OcspSigner::Unauthorized {
            return OcspView::Refused;
        }
        if self.service.responder_delay >= self.service.query_timeout {
            return OcspView::Undetermined;
        }
        let listed = if revoked {
            OcspView::Revoked
        } else {
            OcspView::Good
        };
        match self.service.fault {
            F::None => listed,
            F::NoNonce if !self.nonce => listed,
            F::Down
            | F::Timeout
            | F::TryLater
            | F::InternalError
            | F::Unauthorized
            | F::Malformed
            | F::Unknown => OcspView::Undetermined,
            F::Stale | F::Future | F::BadSignature | F::NoNonce | F::WrongNonce => {
                OcspView::Refused
            }
        }
    }

    /// What an OCSP-checking server does with a `revoked` (or valid) client.
    fn verdict(&self, revoked: bool) -> Expectation {
        match (self.view(revoked), self.policy) {
            (OcspView::Revoked, _) => Expectation::Reject(Some(Outcome::CertRevoked)),
            (OcspView::Good, _) | (OcspView::Undetermined, FailPolicy::Soft) => Expectation::Accept,
            // No RFC names the alert for an unknown or untrustworthy status: the
            // rustls server and nginx answer unknown_ca, the OpenSSL server
            // certificate_unknown (X509_V_ERR_OCSP_VERIFY_FAILED).
            (OcspView::Undetermined, FailPolicy::Hard) | (OcspView::Refused, _) => {
                Expectation::Reject(None)
            }
        }
    }
}

/// A client the revocation source lists (`revoked`) is refused as revoked; one it does not is
/// accepted.
fn listed(revoked: bool) -> Expectation {
    if revoked {
        Expectation::Reject(Some(Outcome::CertRevoked))
    } else {
        Expectation::Accept
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
        if matches!(cert, ClientCert::Valid | ClientCert::Revoked) {
            if let Some(verdict) = revocation_verdict(&revocation, auth, cert) {
                return verdict;
            }
        }
        match (cert, auth) {
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
                match revocation.policy() {
                    Some(FailPolicy::Hard) => Expectation::Reject(None),
                    _ => Expectation::Accept,
                }
            }
        }
    }
}

/// What the case's revocation check decides for a valid or revoked client `cert`, where it
/// decides: the client's status where the server checks it (and asks for a certificate), the
/// staple in mode `ocsp-stapling`.
fn revocation_verdict(
    revocation: &Revocation,
    auth: ClientAuth,
    cert: ClientCert,
) -> Option<Expectation> {
    let asks = matches!(auth, ClientAuth::Required | ClientAuth::Optional);
    let revoked = cert == ClientCert::Revoked;
    match revocation {
        Revocation::Crl(s) if asks => Some(s.verdict(revoked)),
        Revocation::CrlHttp(s) if asks => Some(s.verdict(revoked)),
        Revocation::Ocsp(s) if asks => Some(s.verdict(revoked)),
        Revocation::Stapling(s) => Some(s.staple_expectation()),
        _ => None,
    }
}
