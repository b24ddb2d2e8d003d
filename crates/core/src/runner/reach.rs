//! Whether a case's own TLS settings reach client authentication at the target. A case pinned
//! to TLS 1.3 against a server that speaks only TLS 1.2 (or pinned to a group or suite the
//! server does not take) is refused before any certificate is judged: it cannot isolate its
//! defect there. One handshake with the valid credential at the case's settings tells; if it
//! is refused before the client's Certificate, a second one at the stock settings (TLS 1.3
//! and 1.2, the default groups, the stack's suites) tells whether the case's settings are the
//! cause (the case is skipped with that reason) or the target takes no handshake at all (a
//! diagnosis of the run, exit 2). Asked once per distinct settings and remembered for the run.

use std::time::{Duration, Instant};

use crate::load::{attempt, Connector};
use crate::measure::{Outcome, Refusal, Sample};
use crate::peers::{OpensslClient, RustlsClient, Target};
use crate::pki::{ClientCert, Pki};
use crate::scenario::{Case, ClientImpl, ResumptionMode, TlsSettings, TlsVersion, STOCK_GROUPS};

use super::refused::{self, Untrusted};

/// How long one of these handshakes may take.
const TIMEOUT: Duration = Duration::from_secs(10);

/// The settings key under which a verdict is remembered: what the client offers.
pub(super) fn key(tls: &TlsSettings) -> String {
    format!("{:?}|{:?}|{:?}", tls.versions, tls.groups, tls.suites)
}

/// One full handshake against `target` with the valid credential of `pki` at `tls`.
///
/// # Errors
/// [`Untrusted::Skip`] when the client cannot be set up.
pub(super) fn valid_handshake(
    case: &Case,
    tls: &TlsSettings,
    pki: &Pki,
    target: &Target,
    runtime: &tokio::runtime::Runtime,
) -> Result<Sample, Untrusted> {
    let mut valid = case.clone();
    valid.client_cert = ClientCert::Valid;
    valid.own_credential = None;
    valid.tls = tls.clone();
    valid.tls.resumption = ResumptionMode::Off;
    let setup = |e: &dyn std::fmt::Display| {
        Untrusted::Skip(format!("the trust handshake could not be set up: {e}"))
    };
    // The case's own client when it is the OpenSSL one: a server that asks for the
    // certificate only after the handshake (per-location) asks that client, not rustls.
    Ok(if case.client == ClientImpl::Openssl {
        let client = OpensslClient::for_target(&valid, pki, target).map_err(|e| setup(&e))?;
        one(&client, target, runtime)
    } else {
        let client =
            RustlsClient::for_target_with(&valid, pki, target, None).map_err(|e| setup(&e))?;
        one(&client, target, runtime)
    })
}

/// One attempt of `client` against `target`.
fn one<C: Connector>(client: &C, target: &Target, runtime: &tokio::runtime::Runtime) -> Sample {
    runtime.block_on(attempt(
        client,
        target.addr,
        0,
        Instant::now(),
        TIMEOUT,
        false,
    ))
}

/// A refusal before the client's Certificate message: no certificate was judged.
pub(super) fn refused_early(sample: &Sample) -> bool {
    sample.outcome != Outcome::Accepted
        && sample.evidence.refusal == Some(Refusal::BeforeCertificate)
}

/// The stock settings: TLS 1.3 and 1.2, the default groups, the stack's suites.
fn stock(tls: &TlsSettings) -> TlsSettings {
    let mut wide = tls.clone();
    wide.versions = vec![TlsVersion::Tls13, TlsVersion::Tls12];
    wide.groups = STOCK_GROUPS.to_vec();
    wide.suites = Vec::new();
    wide
}

/// Whether `case`'s TLS settings reach client authentication at `target` (`Ok`), or why not:
/// [`Untrusted::Skip`] when the stock settings do (the case's own are the cause),
/// [`Untrusted::Refused`] when they do not either.
pub(super) fn check(
    case: &Case,
    pki: &Pki,
    target: &Target,
    runtime: &tokio::runtime::Runtime,
) -> Result<(), Untrusted> {
    let sample = valid_handshake(case, &case.tls, pki, target, runtime)?;
    if !refused_early(&sample) {
        return Ok(());
    }
    let wide = stock(&case.tls);
    let diagnosis = refused::diagnosis(
        case,
        target,
        sample.outcome,
        sample.evidence.request.is_some(),
    );
    if key(&wide) == key(&case.tls) {
        return Err(Untrusted::Refused(diagnosis));
    }
    let stock_sample = valid_handshake(case, &wide, pki, target, runtime)?;
    if refused_early(&stock_sample) {
        return Err(Untrusted::Refused(diagnosis));
    }
    Err(Untrusted::Skip(refused::settings_reason(
        case,
        target,
        sample.outcome,
        stock_sample
            .negotiated
            .as_ref()
            .map(|n| n.version.replace("TLSv1_", "TLS 1.")),
    )))
}
