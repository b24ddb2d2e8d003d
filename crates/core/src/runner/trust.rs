//! Whether the target trusts the issuer of the run's credentials: one handshake with a valid
//! credential of the same hierarchy before any bad variant of it is graded. A bad credential
//! isolates its defect only when the rest of its chain is trusted; if the target refuses the
//! valid one, every variant of that hierarchy would be refused for the wrong cause, so those
//! cases are skipped with the reason instead of graded. A target that refuses the handshake
//! before client authentication (no shared version, group or cipher) has judged no
//! certificate at all: that is a diagnosis of the whole run ([`Untrusted::Refused`], exit 2),
//! never rows.

use std::time::{Duration, Instant};

use crate::load::attempt;
use crate::measure::{Outcome, Refusal};
use crate::peers::{OpensslClient, RustlsClient, Target};
use crate::pki::{ClientCert, Pki};
use crate::scenario::{Case, ClientImpl, ResumptionMode};

use super::fixtures::{CrlLayout, Fixtures};
use super::refused::{self, Untrusted};
use super::RunError;

/// How long the trust handshake may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// Whether `case`'s credential needs the trust check: a bad variant issued in the run's
/// hierarchy. The valid credential is itself the check (graded as any case), no certificate
/// needs no trust, and the user's own credential files carry their own expectation.
pub(super) fn needs_check(case: &Case) -> bool {
    case.own_credential.is_none()
        && !matches!(case.client_cert, ClientCert::Valid | ClientCert::None)
}

/// Does one handshake against `target` with the valid credential of `pki`, with `case`'s TLS
/// settings. `Ok(())` when it was accepted; otherwise why a variant of this hierarchy cannot
/// be graded, or why no case can.
pub(super) fn check(
    case: &Case,
    pki: &Pki,
    target: &Target,
    runtime: &tokio::runtime::Runtime,
) -> Result<(), Untrusted> {
    let mut valid = case.clone();
    valid.client_cert = ClientCert::Valid;
    valid.own_credential = None;
    valid.tls.resumption = ResumptionMode::Off;
    let setup = |e: &dyn std::fmt::Display| {
        Untrusted::Skip(format!("the trust handshake could not be set up: {e}"))
    };
    // The case's own client when it is the OpenSSL one: a server that asks for the
    // certificate only after the handshake (per-location) asks that client, not rustls.
    let sample = if case.client == ClientImpl::Openssl {
        let client = OpensslClient::for_target(&valid, pki, target).map_err(|e| setup(&e))?;
        runtime.block_on(attempt(
            &client,
            target.addr,
            0,
            Instant::now(),
            TIMEOUT,
            false,
        ))
    } else {
        let client =
            RustlsClient::for_target_with(&valid, pki, target, None).map_err(|e| setup(&e))?;
        runtime.block_on(attempt(
            &client,
            target.addr,
            0,
            Instant::now(),
            TIMEOUT,
            false,
        ))
    };
    if sample.outcome != Outcome::Accepted
        && sample.evidence.refusal == Some(Refusal::BeforeCertificate)
    {
        return Err(Untrusted::Refused(refused::diagnosis(
            case,
            target,
            sample.outcome,
            sample.evidence.request.is_some(),
        )));
    }
    // Only a certificate verdict against the valid credential says the hierarchy is not
    // trusted. A server that never asked for a certificate, or refused before it arrived, has
    // not judged it: its variants are graded, and grading reads that evidence (every case is
    // then `not_requested`, `fail_accepted_invalid` "no CertificateRequest" when it let a
    // client in, or `error`).
    let judged = sample.evidence.refusal == Some(Refusal::AfterCertificate)
        || (!sample.evidence.observed && sample.outcome.is_server_rejection());
    if sample.outcome == Outcome::Accepted || !judged {
        return Ok(());
    }
    let issuer = match &pki.spec.issuer {
        Some(i) => format!("your CA ({})", i.0.subject_text),
        None => "the run's own root (give --issuer-cert/--issuer-key with a CA the target trusts)"
            .to_string(),
    };
    Err(Untrusted::Skip(format!(
        "the target refused a valid credential issued under {issuer} ({}): it does not trust that hierarchy{}, so this credential cannot isolate its defect",
        sample.outcome,
        refused::depth_hint(pki),
    )))
}

/// Whether `case`'s variants can be graded against `target` (the check of [`check`], once per
/// hierarchy). A valid credential refused with a chain deeper than one intermediate is tried
/// again with the shortest chain the harness can make: accepted, the target's verify depth is
/// the cause, and that is a diagnosis of the run.
///
/// # Errors
/// [`Untrusted::Skip`] for this hierarchy's variants, [`Untrusted::Refused`] for the run.
pub(super) fn gate(
    case: &Case,
    pki: &Pki,
    fixtures: &mut Fixtures,
    target: &Target,
    runtime: &tokio::runtime::Runtime,
) -> Result<Result<(), Untrusted>, RunError> {
    let layout = CrlLayout::of(case);
    let verdict = fixtures.trusted(case.key, case.intermediates, layout, || {
        check(case, pki, target, runtime)
    });
    let depth = refused::chain_depth(pki);
    let shortest = u8::from(pki.spec.issuer.is_none());
    if !matches!(verdict, Err(Untrusted::Skip(_))) || depth < 2 || case.intermediates <= shortest {
        return Ok(verdict);
    }
    let (short_pki, _) = fixtures.get(case.key, shortest, layout)?;
    let shorter = refused::chain_depth(&short_pki);
    if shorter >= depth {
        return Ok(verdict);
    }
    let short_verdict = fixtures.trusted(case.key, shortest, layout, || {
        check(case, &short_pki, target, runtime)
    });
    Ok(match short_verdict {
        Ok(()) => Err(Untrusted::Refused(refused::depth_diagnosis(
            target, depth, shorter,
        ))),
        Err(_) => verdict,
    })
}
