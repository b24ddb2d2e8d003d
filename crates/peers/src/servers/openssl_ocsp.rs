//! OCSP checking of client certificates in the OpenSSL server (`serve --impl openssl --ocsp`):
//! the same [`OcspChecker`] and fail policy as the rustls server ([`crate::revocation::client_check`]),
//! asked from OpenSSL's verify callback at depth 0 once OpenSSL's checks of signatures,
//! validity, purpose and CRLs passed (name constraints and policies come after the callback).
//! The leaf and its issuer come from the chain OpenSSL built.
//!
//! Verdicts become verification errors, so OpenSSL sends the alert it maps them to:
//! revoked -> `X509_V_ERR_CERT_REVOKED` (`certificate_revoked`); undetermined under hard fail,
//! and an answer that must not be trusted, -> `X509_V_ERR_OCSP_VERIFY_FAILED` (OpenSSL's own
//! "OCSP verification failed"; OpenSSL 3.0 maps it to `certificate_unknown`, RFC 8446's alert
//! for "some other issue ... rendering it unacceptable"). The rustls server answers the same
//! verdicts with `unknown_ca` (rustls's alert for `UnknownRevocationStatus`), and nginx with
//! HTTP 400 ("certificate status request failed").
//!
//! A query blocks the verify callback; the server then runs on the multi-threaded runtime and
//! the query leaves its worker through `block_in_place`, so only the handshakes waiting on the
//! responder wait.

use std::sync::Arc;

use openssl::x509::X509StoreContextRef;
use rustls::pki_types::CertificateDer;

use crate::revocation::client_check::{check, verdict, Verdict};
use crate::revocation::ocsp::{Decision, OcspChecker};
use crate::scenario::FailPolicy;
use crate::sys::VerifyError;

/// The OpenSSL server's OCSP check.
pub struct OpensslOcsp {
    checker: Arc<OcspChecker>,
    policy: FailPolicy,
}

impl OpensslOcsp {
    /// A check through `checker` under `policy`.
    pub fn new(checker: Arc<OcspChecker>, policy: FailPolicy) -> Self {
        Self { checker, policy }
    }

    /// Checks the leaf of `ctx`'s chain; returns the verify callback's answer (`false`
    /// rejects, with the error set on `ctx`). Call it at depth 0 when verification so far
    /// succeeded.
    pub fn verify(&self, ctx: &mut X509StoreContextRef) -> bool {
        let der = |i: usize| {
            ctx.chain()
                .and_then(|chain| chain.get(i))
                .and_then(|cert| cert.to_der().ok())
                .map(CertificateDer::from)
        };
        let leaf = der(0);
        let outcome = match &leaf {
            Some(leaf) => check(&self.checker, leaf, || der(1), self.policy),
            None => verdict(
                Decision::Undetermined("no chain to check".into()),
                self.policy,
            ),
        };
        let error = match outcome {
            Verdict::Accept => return true,
            Verdict::Revoked => VerifyError::CertRevoked,
            Verdict::Unknown => VerifyError::OcspVerifyFailed,
        };
        tracing::debug!("client certificate rejected after OCSP: {outcome:?}");
        ctx.set_error(error.result());
        false
    }
}
