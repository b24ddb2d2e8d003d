//! One case from its layered settings: built-in defaults applied, then every impossible
//! combination checked (TLS, revocation, resumption, credentials, allow-list), the expectation
//! derived when the case gives none, and the load built.

use std::ops::Range;
use std::time::Duration;

use super::load::{open_loop_workers, DEFAULT_STOP};
use super::raw::{ExpectKind, RawSettings};
use super::reader::{Reader, MIN_INTERVAL};
use crate::measure::Outcome;
use crate::pki::{ClientCert, CrlKind, KeyType};
use crate::scenario::model::{
    Case, ClientAuth, ClientImpl, Expectation, FailPolicy, KxGroup, LoadSpec, ResumptionMode,
    Revocation, RevocationMode, Schedule, ServerImpl, Stop, TlsSettings, TlsVersion,
};

/// What [`finish`] needs besides the layered settings.
pub(super) struct CaseFrame<'a> {
    pub(super) name: String,
    pub(super) description: String,
    pub(super) span: Option<Range<usize>>,
    pub(super) path: &'a str,
    pub(super) axes: Vec<(String, String)>,
    pub(super) pki_intermediates: u8,
    pub(super) pki_identities: usize,
}

/// Applies built-in defaults to `raw` and checks the combination; `None` when a problem was
/// recorded.
pub(super) fn finish(r: &mut Reader<'_>, raw: RawSettings, frame: CaseFrame<'_>) -> Option<Case> {
    let CaseFrame {
        name,
        description,
        span,
        path,
        axes,
        pki_intermediates,
        pki_identities,
    } = frame;
    let versions = raw.versions.unwrap_or_else(|| vec![TlsVersion::Tls13]);
    let groups = raw.groups.unwrap_or_else(|| vec![KxGroup::X25519]);
    let key = raw.key.unwrap_or(KeyType::EcdsaP256);
    let resumption = raw.resumption.unwrap_or(ResumptionMode::Off);
    let resuming = resumption != ResumptionMode::Off;
    let tls = TlsSettings {
        versions,
        groups,
        suites: raw.suites.unwrap_or_default(),
        server_groups: raw.server_groups.unwrap_or_default(),
        server_suites: raw.server_suites.unwrap_or_default(),
        client_sigalgs: raw.client_sigalgs.unwrap_or_default(),
        resumption,
        tickets: raw.tickets.unwrap_or(if resuming { 2 } else { 0 }),
        resume_fraction: raw.resume_fraction.unwrap_or(1.0),
    };
    let client_auth = raw.client_auth.unwrap_or(ClientAuth::Required);
    // The user's own credential stands in for the valid one.
    let client_cert = match raw.own_credential {
        Some(_) => ClientCert::Valid,
        None => raw.client_cert.unwrap_or(ClientCert::Valid),
    };
    let base = Revocation::none();
    let revocation = Revocation {
        mode: raw.revocation_mode.unwrap_or(RevocationMode::None),
        crl_entries: raw.crl_entries.unwrap_or(0),
        crl: raw.crl_kind.unwrap_or(CrlKind::Fresh),
        crl_shards: raw.crl_shards.unwrap_or(1),
        crl_delta: raw.crl_delta.unwrap_or(false),
        policy: raw.fail_policy.unwrap_or(FailPolicy::Hard),
        reload: raw.crl_reload,
        revoke_after: raw.revoke_after,
        resumption_exposure: raw.resumption_exposure.unwrap_or(base.resumption_exposure),
        cache_ttl: raw.cache_ttl.unwrap_or(base.cache_ttl),
        responder_delay: raw.responder_delay.unwrap_or(base.responder_delay),
        fault: raw.fault.unwrap_or(base.fault),
        signer: raw.signer.unwrap_or(base.signer),
        nonce: raw.nonce.unwrap_or(base.nonce),
        query_timeout: raw.query_timeout.unwrap_or(base.query_timeout),
        staple_refresh: raw.staple_refresh.unwrap_or(base.staple_refresh),
        must_staple: raw.must_staple.unwrap_or(base.must_staple),
        staple_verify: raw.staple_verify.unwrap_or(base.staple_verify),
        server_revoked: raw.server_revoked.unwrap_or(base.server_revoked),
        cert_lifetime: raw.cert_lifetime.unwrap_or(base.cert_lifetime),
        renew_at: raw.renew_at.unwrap_or(base.renew_at),
        fleet: raw.fleet.unwrap_or(base.fleet),
    };
    let mut ok = true;
    let mut bad = |r: &mut Reader<'_>, span: Option<Range<usize>>, msg: String| {
        r.problem(span, &format!("{path} (\"{name}\")"), msg);
        ok = false;
    };

    if !tls.versions.contains(&TlsVersion::Tls13) && tls.groups.contains(&KxGroup::X25519MlKem768) {
        bad(
            r,
            span.clone(),
            "group \"x25519mlkem768\" needs TLS 1.3, but tls.versions has only \"1.2\"".into(),
        );
    }
    for suite in &tls.suites {
        if !tls.versions.contains(&suite.version()) {
            bad(
                r,
                span.clone(),
                format!(
                    "suite \"{suite}\" is a TLS {} suite, but tls.versions does not enable {}",
                    suite.version(),
                    suite.version()
                ),
            );
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
                bad(
                    r,
                    span.clone(),
                    format!(
                        "tls.suites has no TLS {version} suite, but tls.versions enables {version}"
                    ),
                );
            } else if !usable.iter().any(|s| s.fits_key(key)) {
                bad(r, span.clone(), format!("no TLS {version} suite in tls.suites can be used with a {key} key (ECDHE_ECDSA suites need ECDSA or Ed25519 keys, ECDHE_RSA suites RSA keys)"));
            }
        }
    }
    if !tls.server_suites.is_empty()
        && !tls
            .server_suites
            .iter()
            .any(|s| tls.versions.contains(&s.version()))
    {
        bad(
            r,
            span.clone(),
            "tls.server_suites has no suite for the enabled versions: the server could not start"
                .into(),
        );
    }
    let mode = revocation.mode;
    let crl_mode = matches!(mode, RevocationMode::Crl | RevocationMode::CrlHttp);
    if revocation.reload.is_some() && !crl_mode {
        bad(
            r,
            span.clone(),
            "revocation.reload needs revocation.mode = \"crl\" or \"crl-http\"".into(),
        );
    }
    if raw.resumption_exposure.is_some() && (revocation.revoke_after.is_none() || !resuming) {
        bad(
            r,
            span.clone(),
            "revocation.resumption_exposure needs revocation.revoke_after and tls.resumption (it says what the revoked client's resumed sessions are expected to get)".into(),
        );
    }
    if revocation.revoke_after.is_some() && mode == RevocationMode::None {
        bad(
            r,
            span.clone(),
            format!(
                "revocation.revoke_after needs a revocation mode that can revoke, not \"{mode}\""
            ),
        );
    }
    if (raw.crl_kind.is_some()) && !crl_mode {
        bad(
            r,
            span.clone(),
            "revocation.crl needs revocation.mode = \"crl\" or \"crl-http\"".into(),
        );
    }
    if raw.crl_shards.is_some_and(|n| n > 1) || raw.crl_delta == Some(true) {
        let key = if raw.crl_delta == Some(true) {
            "crl_delta"
        } else {
            "crl_shards"
        };
        let problem = if key == "crl_delta" && mode != RevocationMode::Crl {
            Some(format!(
                "revocation.{key} needs revocation.mode = \"crl\" (CRL files), not \"{mode}\""
            ))
        } else if !crl_mode {
            Some(format!(
                "revocation.{key} needs revocation.mode = \"crl\" (CRL files) or \"crl-http\" (each shard fetched from the distribution point a certificate names), not \"{mode}\""
            ))
        } else if revocation.crl != CrlKind::Fresh {
            Some(format!(
                "revocation.{key} needs revocation.crl = \"fresh\", found \"{}\"",
                revocation.crl
            ))
        } else if revocation.crl_delta && revocation.crl_shards > 1 {
            Some("revocation.crl_delta and revocation.crl_shards cannot be combined yet".into())
        } else if revocation.crl_delta && revocation.revoke_after.is_some() {
            Some("revocation.crl_delta cannot be combined with revocation.revoke_after yet".into())
        } else {
            None
        };
        if let Some(problem) = problem {
            bad(r, span.clone(), problem);
        }
    }
    if raw.fail_policy.is_some()
        && !matches!(
            mode,
            RevocationMode::Crl | RevocationMode::CrlHttp | RevocationMode::Ocsp
        )
    {
        bad(
            r,
            span.clone(),
            "revocation.policy needs revocation.mode = \"crl\", \"crl-http\" or \"ocsp\"".into(),
        );
    }
    let ocsp_keys = [
        (
            "cache_ttl",
            raw.cache_ttl.is_some(),
            mode == RevocationMode::Ocsp,
        ),
        ("nonce", raw.nonce.is_some(), mode == RevocationMode::Ocsp),
        (
            "signer",
            raw.signer.is_some(),
            matches!(mode, RevocationMode::Ocsp | RevocationMode::OcspStapling),
        ),
        (
            "staple_refresh",
            raw.staple_refresh.is_some(),
            mode == RevocationMode::OcspStapling,
        ),
        (
            "must_staple",
            raw.must_staple.is_some(),
            mode == RevocationMode::OcspStapling,
        ),
        (
            "staple_verify",
            raw.staple_verify.is_some(),
            mode == RevocationMode::OcspStapling,
        ),
        (
            "server_revoked",
            raw.server_revoked.is_some(),
            mode == RevocationMode::OcspStapling,
        ),
        (
            "cert_lifetime",
            raw.cert_lifetime.is_some(),
            mode == RevocationMode::ShortLived,
        ),
        (
            "renew_at",
            raw.renew_at.is_some(),
            mode == RevocationMode::ShortLived,
        ),
        (
            "fleet",
            raw.fleet.is_some(),
            mode == RevocationMode::ShortLived,
        ),
        ("fault", raw.fault.is_some(), revocation.needs_service()),
        (
            "responder_delay",
            raw.responder_delay.is_some(),
            revocation.needs_service(),
        ),
        (
            "query_timeout",
            raw.query_timeout.is_some(),
            revocation.needs_service(),
        ),
    ];
    for (key, set, allowed) in ocsp_keys {
        if set && !allowed {
            bad(
                r,
                span.clone(),
                format!("revocation.{key} has no effect with revocation.mode = \"{mode}\""),
            );
        }
    }
    if revocation.staple_refresh < MIN_INTERVAL {
        bad(
            r,
            span.clone(),
            format!(
                "revocation.staple_refresh must be at least {}, found {}",
                humantime::format_duration(MIN_INTERVAL),
                humantime::format_duration(revocation.staple_refresh)
            ),
        );
    }
    if revocation.cert_lifetime < Duration::from_secs(2) {
        bad(
            r,
            span.clone(),
            "revocation.cert_lifetime must be at least 2s (validity times have one-second resolution)".into(),
        );
    }
    if revocation.query_timeout.is_zero() {
        bad(
            r,
            span.clone(),
            "revocation.query_timeout must be more than 0s".into(),
        );
    }
    if let Some(reload) = revocation.reload.filter(|d| *d < MIN_INTERVAL) {
        bad(
            r,
            span.clone(),
            format!(
                "revocation.reload must be at least {}, found {}",
                humantime::format_duration(MIN_INTERVAL),
                humantime::format_duration(reload)
            ),
        );
    }
    if revocation.revoke_after.is_some() && revocation.crl != CrlKind::Fresh {
        bad(r, span.clone(), "revocation.revoke_after needs revocation.crl = \"fresh\": the server must be able to use the CRL that revokes the victim".into());
    }
    if let Some(after) = revocation.revoke_after {
        if crl_mode && revocation.reload.is_none() {
            bad(r, span.clone(), "revocation.revoke_after needs revocation.reload: a server that never re-reads its CRL never sees the revocation".into());
        }
        match raw.stop.unwrap_or(DEFAULT_STOP) {
            Stop::Duration(d) if after < d => {}
            Stop::Duration(_) => bad(
                r,
                span.clone(),
                "revocation.revoke_after must fall inside load.duration".into(),
            ),
            Stop::Handshakes(_) => bad(
                r,
                span.clone(),
                "revocation.revoke_after needs a load.duration (not a handshake count)".into(),
            ),
        }
    }
    if revocation.mode != RevocationMode::None && client_auth == ClientAuth::Off {
        bad(
            r,
            span.clone(),
            "revocation checks client certificates, but client_auth = \"off\" asks for none".into(),
        );
    }
    if !resuming && raw.tickets.is_some_and(|t| t > 0) {
        bad(
            r,
            span.clone(),
            "tls.tickets has no effect when tls.resumption = \"off\"".into(),
        );
    }
    if !resuming && raw.resume_fraction.is_some() {
        bad(
            r,
            span.clone(),
            "tls.resume_fraction has no effect when tls.resumption = \"off\"".into(),
        );
    }
    if resuming && tls.tickets == 0 && tls.versions == [TlsVersion::Tls13] {
        bad(
            r,
            span.clone(),
            "TLS 1.3 resumes only with tickets: set tls.tickets to 1 or more".into(),
        );
    }
    if client_auth == ClientAuth::Off
        && !matches!(client_cert, ClientCert::Valid | ClientCert::None)
    {
        bad(
            r,
            span.clone(),
            format!("client_cert = \"{client_cert}\" has no effect when client_auth = \"off\" (the server never asks for it)"),
        );
    }
    let deep = crate::pki::DEEP_CHAIN_INTERMEDIATES;
    if client_cert == ClientCert::DeepChain
        && raw.expect.is_none()
        && raw.reject_reason.is_none()
        && raw.verify_depth.is_none()
    {
        bad(
            r,
            span.clone(),
            format!("client_cert = \"deep-chain\" sends {deep} intermediates: set verify_depth (the peers' defaults differ: webpki 6, OpenSSL 100, the harness's nginx and s_server 10) or say what to expect"),
        );
    }
    if client_auth == ClientAuth::Off
        && (raw.allowed_clients.is_some() || !tls.client_sigalgs.is_empty())
    {
        bad(
            r,
            span.clone(),
            "allowed_clients and tls.client_sigalgs have no effect when client_auth = \"off\" (the server never sees a client certificate)".into(),
        );
    }
    if raw.own_credential.is_some() && raw.expect.is_none() && raw.reject_reason.is_none() {
        bad(
            r,
            span.clone(),
            "client_cert = { cert = ..., key = ... } is your own credential: say what the server must do with it (expect = \"accept\", \"reject\" or \"record\", or reject_reason = ...)".into(),
        );
    }
    let expect = match (raw.expect, raw.reject_reason) {
        (Some(ExpectKind::Accept), Some(reason)) => {
            bad(
                r,
                raw.reject_reason_span.clone().or(span.clone()),
                format!("reject_reason = \"{reason}\" contradicts expect = \"accept\""),
            );
            Expectation::Accept
        }
        (Some(ExpectKind::Accept), None) => Expectation::Accept,
        (Some(ExpectKind::Record), Some(reason)) => {
            bad(
                r,
                raw.reject_reason_span.clone().or(span.clone()),
                format!("reject_reason = \"{reason}\" contradicts expect = \"record\""),
            );
            Expectation::Record
        }
        (Some(ExpectKind::Record), None) => Expectation::Record,
        (Some(ExpectKind::Reject), reason) => Expectation::Reject(reason),
        (None, Some(reason)) => Expectation::Reject(Some(reason)),
        (None, None) => {
            let intermediates = raw.intermediates.unwrap_or(pki_intermediates);
            let sent = sent_intermediates(client_cert, intermediates);
            let list = &tls.client_sigalgs;
            let key_fits =
                list.is_empty() || list.iter().any(|s| s.fits(client_key(client_cert, key)));
            let presents = client_cert != ClientCert::None && client_auth != ClientAuth::Off;
            match allowed_share(raw.allowed_clients.as_deref(), pki_identities) {
                // In the order servers check: the chain (within the verify depth), the
                // allow-list, then the CertificateVerify scheme.
                _ if presents && raw.verify_depth.is_some_and(|d| usize::from(d) < sent) => {
                    Expectation::Reject(Some(Outcome::UnknownCa))
                }
                // Nobody in the pool is on the allow-list: the server refuses every one.
                Some(0) if client_cert == ClientCert::Valid => {
                    Expectation::Reject(Some(Outcome::AccessDenied))
                }
                _ if presents && !key_fits => Expectation::Reject(None),
                _ => Expectation::derived(client_cert, client_auth, tls.highest(), revocation),
            }
        }
    };
    if let Some(listed) = allowed_share(raw.allowed_clients.as_deref(), pki_identities) {
        if client_cert != ClientCert::Valid {
            bad(
                r,
                span.clone(),
                format!("allowed_clients applies to the pool's valid identities; client_cert = \"{client_cert}\" is refused before any allow-list"),
            );
        } else if listed != 0 && listed != pki_identities {
            bad(
                r,
                span.clone(),
                format!("allowed_clients lists {listed} of the pool's {pki_identities} identities (client-00000 ...): the verdict would depend on which one connects; list all of them or none"),
            );
        }
    }
    if let Expectation::Reject(Some(Outcome::Accepted)) = expect {
        bad(
            r,
            raw.reject_reason_span.clone().or(span.clone()),
            "reject_reason cannot be \"accepted\"".into(),
        );
    }

    let concurrency = raw.concurrency.unwrap_or(50);
    let schedule = match raw.rate {
        Some(rate) => Schedule::Open {
            rate_per_sec: rate,
            max_in_flight: raw.concurrency.unwrap_or_else(|| open_loop_workers(rate)),
        },
        None => Schedule::Closed { concurrency },
    };
    let load = LoadSpec {
        schedule,
        stop: raw.stop.unwrap_or(DEFAULT_STOP),
        warmup: raw.warmup.unwrap_or(Duration::from_secs(1)),
        timeout: raw.timeout.unwrap_or(Duration::from_secs(5)),
    };

    let server = raw.server.unwrap_or(ServerImpl::Rustls);
    if server == ServerImpl::Command && raw.command.is_none() {
        bad(
            r,
            span.clone(),
            "server = \"command\" needs its program: server = { command = [\"./my-server\", \"--listen\", \"{addr}\", ...] }".into(),
        );
    }

    ok.then(|| Case {
        name,
        description,
        server,
        client: raw.client.unwrap_or(ClientImpl::Rustls),
        key,
        intermediates: raw.intermediates.unwrap_or(pki_intermediates),
        client_auth,
        client_cert,
        own_credential: raw.own_credential.clone(),
        tls,
        revocation,
        load,
        server_threads: raw.server_threads,
        verify_depth: raw.verify_depth,
        allowed_clients: raw.allowed_clients.unwrap_or_default(),
        expect,
        axes,
        command: raw.command.filter(|_| server == ServerImpl::Command),
        server_handicap_us: None,
        thresholds: raw.thresholds.unwrap_or_default(),
    })
}

/// The intermediates a client sends (and a server must walk) for a credential, in a hierarchy
/// of `intermediates`.
fn sent_intermediates(cert: ClientCert, intermediates: u8) -> usize {
    match cert {
        ClientCert::DeepChain => crate::pki::DEEP_CHAIN_INTERMEDIATES,
        ClientCert::MisorderedChain => 2,
        ClientCert::NameConstraints | ClientCert::NoCrlSignIssuer => 1,
        _ => usize::from(intermediates),
    }
}

/// The key type of a credential's leaf: the hierarchy's, except the weak RSA key.
fn client_key(cert: ClientCert, key: KeyType) -> KeyType {
    match cert {
        ClientCert::WeakRsa => KeyType::Rsa2048,
        _ => key,
    }
}

/// How many of the pool's identities an allow-list admits; `None` without one.
fn allowed_share(allowed: Option<&[String]>, identities: usize) -> Option<usize> {
    let allowed = allowed?;
    Some(
        (0..identities)
            .filter(|&i| allowed.contains(&crate::pki::pool_name(i)))
            .count(),
    )
}
