//! A target that asks for the client's certificate only after the handshake, for some paths
//! (Apache `<Location /secure>` with `SSLVerifyClient require`): a TLS 1.3 post-handshake
//! CertificateRequest (RFC 8446 4.6.2) or a TLS 1.2 HelloRequest starting a renegotiation.
//! The rustls client offers neither post-handshake authentication nor renegotiation, so such a
//! server never asks it and every case would look refused (a 403, or at TLS 1.2 a wait for the
//! timeout). Before any case, one handshake per TLS version of the run's rustls cases is made
//! by the OpenSSL client (which answers both), presenting no certificate; if the server asks
//! late, the run stops with the diagnosis (exit 2), never with rows.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::load::attempt;
use crate::measure::LateRequest;
use crate::peers::{OpensslClient, Target};
use crate::pki::ClientCert;
use crate::scenario::{Case, ClientImpl, ResumptionMode};

use super::RunError;

/// How long the probe handshake may take.
const TIMEOUT: Duration = Duration::from_secs(5);

/// Checks `target` for late client authentication with the TLS settings of each of `cases`
/// the rustls client drives (one probe per highest version).
///
/// # Errors
/// [`RunError::TargetRefused`] with the diagnosis when the server asks only after the
/// handshake.
pub(super) fn check(
    cases: &[Case],
    target: &Target,
    runtime: &tokio::runtime::Runtime,
) -> Result<(), RunError> {
    let mut probed = BTreeSet::new();
    // A target each case starts itself (a command peer) is not up yet.
    let rustls = cases
        .iter()
        .filter(|c| c.client == ClientImpl::Rustls && c.command.is_none());
    for case in rustls {
        if !probed.insert(case.tls.highest()) {
            continue;
        }
        if let Some(late) = probe(case, target, runtime) {
            return Err(RunError::TargetRefused(diagnosis(case, target, late)));
        }
    }
    Ok(())
}

/// How the server asked late in one handshake of `case`'s TLS settings without a certificate,
/// if it did (a probe that cannot be set up or gets no answer finds nothing: the cases say the
/// rest).
fn probe(case: &Case, target: &Target, runtime: &tokio::runtime::Runtime) -> Option<LateRequest> {
    let mut plain = case.clone();
    plain.client_cert = ClientCert::None;
    plain.own_credential = None;
    plain.tls.resumption = ResumptionMode::Off;
    let client = OpensslClient::without_certificate(&plain, target).ok()?;
    let sample = runtime.block_on(attempt(
        &client,
        target.addr,
        0,
        Instant::now(),
        TIMEOUT,
        false,
    ));
    sample.evidence.late_request
}

/// The words of the diagnosis for `case`'s client.
fn diagnosis(case: &Case, target: &Target, late: LateRequest) -> String {
    let how = match late {
        LateRequest::PostHandshake => {
            "a TLS 1.3 CertificateRequest after its handshake (post-handshake authentication, RFC 8446 4.6.2)"
        }
        LateRequest::Renegotiation => {
            "a TLS 1.2 HelloRequest: a renegotiation whose handshake carries the CertificateRequest (RFC 5246 7.4.1.1)"
        }
    };
    format!(
        "{}: the server asks for a client certificate only after the handshake for {}: it sent {how}, as Apache's <Location> with `SSLVerifyClient require` does; the rustls client offers neither post-handshake authentication nor renegotiation, so the server would never ask it and every case would look refused (case {}); run these cases with client = \"openssl\" (the harness's OpenSSL client answers both)",
        target.given, target.path, case.name,
    )
}
