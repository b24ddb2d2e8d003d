//! The OCSP check of a client certificate that both built-in servers make: the rustls server's
//! verifier ([`super::revocation_verifier`]) and the OpenSSL server's verify callback
//! ([`super::openssl_ocsp`]) ask the same [`OcspChecker`] and apply the fail policy here; each
//! then turns the [`Verdict`] into its own stack's error, and so its alert.

use rustls::pki_types::CertificateDer;

use crate::revocation::ocsp::{Decision, OcspChecker};
use crate::scenario::FailPolicy;

/// What the server does with a client certificate after the check.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Let it in: the responder says good, or the status is undetermined under soft fail.
    Accept,
    /// The responder says revoked.
    Revoked,
    /// The status is undetermined under hard fail, or the answer must not be trusted (forged,
    /// stale, from the future, wrong nonce: refused under either policy).
    Unknown,
}

/// Asks `checker` about `leaf` and applies `policy`. A cached answer is used on the spot, and
/// the issuer (which costs certificate parsing to find) is only looked up for a query, which
/// blocks (see [`blocking`]).
pub fn check<'a>(
    checker: &OcspChecker,
    leaf: &CertificateDer<'_>,
    issuer: impl FnOnce() -> Option<CertificateDer<'a>>,
    policy: FailPolicy,
) -> Verdict {
    if let Some(hit) = checker.cached(leaf) {
        return verdict(hit, policy);
    }
    let Some(issuer) = issuer() else {
        return verdict(
            Decision::Undetermined("no issuer certificate to ask about".into()),
            policy,
        );
    };
    verdict(blocking(|| checker.check(leaf, &issuer)), policy)
}

/// The verdict for `decision` under `policy`.
pub fn verdict(decision: Decision, policy: FailPolicy) -> Verdict {
    match (decision, policy) {
        (Decision::Good, _) => Verdict::Accept,
        (Decision::Revoked, _) => Verdict::Revoked,
        (Decision::Undetermined(why), FailPolicy::Soft) => {
            tracing::debug!("revocation status undetermined ({why}): accepted (soft fail)");
            Verdict::Accept
        }
        (Decision::Undetermined(why), FailPolicy::Hard) => {
            tracing::debug!("revocation status undetermined ({why}): rejected (hard fail)");
            Verdict::Unknown
        }
        (Decision::Invalid(why), _) => {
            tracing::debug!("OCSP answer refused ({why}): rejected");
            Verdict::Unknown
        }
    }
}

/// Runs a blocking query: on a multi-threaded runtime (a server always uses one when it checks
/// OCSP) the worker hands its other tasks to another thread first, so handshakes that need no
/// query go on; elsewhere the thread simply waits.
pub fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}
