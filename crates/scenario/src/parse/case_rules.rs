//! The combination checks of a case outside revocation: TLS versions against groups and
//! suites, resumption against tickets, and the client credential against client auth, verify
//! depth and an expectation. The problems are reported in the order the checks run.

use super::case_problems::CaseProblems;
use super::raw::RawSettings;
use crate::pki::{ClientCert, KeyType};
use crate::scenario::model::{ClientAuth, KxGroup, ResumptionMode, TlsSettings, TlsVersion};

/// Groups and suites the enabled versions cannot use, and suites the key cannot use.
pub(super) fn check_tls(p: &mut CaseProblems<'_, '_>, tls: &TlsSettings, key: KeyType) {
    if !tls.versions.contains(&TlsVersion::Tls13) && tls.groups.contains(&KxGroup::X25519MlKem768) {
        p.bad("group \"x25519mlkem768\" needs TLS 1.3, but tls.versions has only \"1.2\"");
    }
    for suite in &tls.suites {
        if !tls.versions.contains(&suite.version()) {
            p.bad(format!(
                "suite \"{suite}\" is a TLS {} suite, but tls.versions does not enable {}",
                suite.version(),
                suite.version()
            ));
        }
    }
    if !tls.suites.is_empty() {
        for version in &tls.versions {
            let usable: Vec<_> = tls
                .suites
                .iter()
                .filter(|s| s.version() == *version)
                .collect();
            if usable.is_empty() {
                p.bad(format!(
                    "tls.suites has no TLS {version} suite, but tls.versions enables {version}"
                ));
            } else if !usable.iter().any(|s| s.fits_key(key)) {
                p.bad(format!("no TLS {version} suite in tls.suites can be used with a {key} key (ECDHE_ECDSA suites need ECDSA or Ed25519 keys, ECDHE_RSA suites RSA keys)"));
            }
        }
    }
    if !tls.server_suites.is_empty()
        && !tls
            .server_suites
            .iter()
            .any(|s| tls.versions.contains(&s.version()))
    {
        p.bad(
            "tls.server_suites has no suite for the enabled versions: the server could not start",
        );
    }
}

/// Tickets and the resumed share without resumption, TLS 1.3 resumption without tickets.
pub(super) fn check_resumption(p: &mut CaseProblems<'_, '_>, raw: &RawSettings, tls: &TlsSettings) {
    let resuming = tls.resumption != ResumptionMode::Off;
    if !resuming && raw.tickets.is_some_and(|t| t > 0) {
        p.bad("tls.tickets has no effect when tls.resumption = \"off\"");
    }
    if !resuming && raw.resume_fraction.is_some() {
        p.bad("tls.resume_fraction has no effect when tls.resumption = \"off\"");
    }
    if resuming && tls.tickets == 0 && tls.versions == [TlsVersion::Tls13] {
        p.bad("TLS 1.3 resumes only with tickets: set tls.tickets to 1 or more");
    }
}

/// A credential, an allow-list or signature schemes the server never sees; a deep chain or the
/// user's own credential without an expectation.
pub(super) fn check_credentials(
    p: &mut CaseProblems<'_, '_>,
    raw: &RawSettings,
    tls: &TlsSettings,
    client_auth: ClientAuth,
    client_cert: ClientCert,
) {
    let off = client_auth == ClientAuth::Off;
    if off && !matches!(client_cert, ClientCert::Valid | ClientCert::None) {
        p.bad(format!("client_cert = \"{client_cert}\" has no effect when client_auth = \"off\" (the server never asks for it)"));
    }
    let deep = crate::pki::DEEP_CHAIN_INTERMEDIATES;
    if client_cert == ClientCert::DeepChain
        && raw.expect.is_none()
        && raw.reject_reason.is_none()
        && raw.verify_depth.is_none()
    {
        p.bad(format!("client_cert = \"deep-chain\" sends {deep} intermediates: set verify_depth (the peers' defaults differ: webpki 6, OpenSSL 100, the harness's nginx and s_server 10) or say what to expect"));
    }
    if off && (raw.allowed_clients.is_some() || !tls.client_sigalgs.is_empty()) {
        p.bad("allowed_clients and tls.client_sigalgs have no effect when client_auth = \"off\" (the server never sees a client certificate)");
    }
    if raw.own_credential.is_some() && raw.expect.is_none() && raw.reject_reason.is_none() {
        p.bad("client_cert = { cert = ..., key = ... } is your own credential: say what the server must do with it (expect = \"accept\", \"reject\" or \"record\", or reject_reason = ...)");
    }
}
