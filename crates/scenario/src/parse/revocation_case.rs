//! A case's [`Revocation`] from its layered `revocation` settings: the checks of what the
//! keys make together (which key a mode takes, the CRL layouts that combine, the bounds, what a
//! mid-run revocation needs), then the mode's own settings, each at its default where the case
//! sets none. The problems are reported in the order the checks run.

use std::time::Duration;

use super::case_problems::CaseProblems;
use super::reader::MIN_INTERVAL;
use super::revocation::RawRevocation;
use crate::pki::CrlKind;
use crate::scenario::model::{
    ClientAuth, CrlHttpSettings, CrlList, CrlSettings, OcspSettings, ResumptionExposure,
    Revocation, RevocationMode, Revoke, ServiceSettings, ShortLivedSettings, StaplingSettings,
    Stop,
};

use RevocationMode as M;

/// What the revocation checks need from the rest of the case.
pub(super) struct CaseContext {
    /// Whether the case resumes sessions.
    pub(super) resuming: bool,
    /// When its load stops.
    pub(super) stop: Stop,
    /// Whether the server asks for client certificates.
    pub(super) client_auth: ClientAuth,
}

/// The modes that check a CRL.
const CRL_MODES: &[RevocationMode] = &[M::Crl, M::CrlHttp];

/// The modes that use the revocation service.
const SERVICE_MODES: &[RevocationMode] = &[M::CrlHttp, M::Ocsp, M::OcspStapling];

/// Whether a key is set in the raw settings.
type IsSet = fn(&RawRevocation) -> bool;

/// The keys only some modes take, with the modes that take them, in the order their "has no
/// effect" problems are reported (data).
const MODE_KEYS: &[(&str, IsSet, &[RevocationMode])] = &[
    ("cache_ttl", |s| s.cache_ttl.is_some(), &[M::Ocsp]),
    ("nonce", |s| s.nonce.is_some(), &[M::Ocsp]),
    (
        "signer",
        |s| s.signer.is_some(),
        &[M::Ocsp, M::OcspStapling],
    ),
    (
        "staple_refresh",
        |s| s.staple_refresh.is_some(),
        &[M::OcspStapling],
    ),
    (
        "must_staple",
        |s| s.must_staple.is_some(),
        &[M::OcspStapling],
    ),
    (
        "staple_verify",
        |s| s.staple_verify.is_some(),
        &[M::OcspStapling],
    ),
    (
        "server_revoked",
        |s| s.server_revoked.is_some(),
        &[M::OcspStapling],
    ),
    (
        "cert_lifetime",
        |s| s.cert_lifetime.is_some(),
        &[M::ShortLived],
    ),
    ("renew_at", |s| s.renew_at.is_some(), &[M::ShortLived]),
    ("fleet", |s| s.fleet.is_some(), &[M::ShortLived]),
    ("fault", |s| s.fault.is_some(), SERVICE_MODES),
    (
        "responder_delay",
        |s| s.responder_delay.is_some(),
        SERVICE_MODES,
    ),
    (
        "query_timeout",
        |s| s.query_timeout.is_some(),
        SERVICE_MODES,
    ),
];

/// Checks `raw` against the case and builds its revocation settings.
pub(super) fn finish(
    p: &mut CaseProblems<'_, '_>,
    raw: &RawRevocation,
    cx: &CaseContext,
) -> Revocation {
    let mode = raw.mode.unwrap_or(M::None);
    check_mode(p, raw, mode, cx.resuming);
    check_crl_layout(p, raw, mode);
    check_mode_keys(p, raw, mode);
    check_bounds(p, raw);
    check_revoke(p, raw, mode, cx.stop);
    if mode != M::None && cx.client_auth == ClientAuth::Off {
        p.bad("revocation checks client certificates, but client_auth = \"off\" asks for none");
    }
    build(raw, mode)
}

/// The keys that need a mode (or a mid-run revocation) to mean anything.
fn check_mode(
    p: &mut CaseProblems<'_, '_>,
    raw: &RawRevocation,
    mode: RevocationMode,
    resuming: bool,
) {
    let crl_mode = CRL_MODES.contains(&mode);
    if raw.reload.is_some() && !crl_mode {
        p.bad("revocation.reload needs revocation.mode = \"crl\" or \"crl-http\"");
    }
    if raw.resumption_exposure.is_some() && (raw.revoke_after.is_none() || !resuming) {
        p.bad("revocation.resumption_exposure needs revocation.revoke_after and tls.resumption (it says what the revoked client's resumed sessions are expected to get)");
    }
    if raw.revoke_after.is_some() && mode == M::None {
        p.bad(format!(
            "revocation.revoke_after needs a revocation mode that can revoke, not \"{mode}\""
        ));
    }
    if raw.crl.is_some() && !crl_mode {
        p.bad("revocation.crl needs revocation.mode = \"crl\" or \"crl-http\"");
    }
}

/// Sharded and delta CRLs: the modes and CRLs they work with, and what they do not combine
/// with yet.
fn check_crl_layout(p: &mut CaseProblems<'_, '_>, raw: &RawRevocation, mode: RevocationMode) {
    let delta = raw.crl_delta == Some(true);
    let shards = raw.crl_shards.unwrap_or(1);
    if shards <= 1 && !delta {
        return;
    }
    let key = if delta { "crl_delta" } else { "crl_shards" };
    let kind = raw.crl.unwrap_or(CrlKind::Fresh);
    let problem = if delta && mode != M::Crl {
        format!("revocation.{key} needs revocation.mode = \"crl\" (CRL files), not \"{mode}\"")
    } else if !CRL_MODES.contains(&mode) {
        format!(
            "revocation.{key} needs revocation.mode = \"crl\" (CRL files) or \"crl-http\" (each shard fetched from the distribution point a certificate names), not \"{mode}\""
        )
    } else if kind != CrlKind::Fresh {
        format!("revocation.{key} needs revocation.crl = \"fresh\", found \"{kind}\"")
    } else if delta && shards > 1 {
        "revocation.crl_delta and revocation.crl_shards cannot be combined yet".into()
    } else if delta && raw.revoke_after.is_some() {
        "revocation.crl_delta cannot be combined with revocation.revoke_after yet".into()
    } else {
        return;
    };
    p.bad(problem);
}

/// The fail policy and the keys of [`MODE_KEYS`], each where its mode is not the case's.
fn check_mode_keys(p: &mut CaseProblems<'_, '_>, raw: &RawRevocation, mode: RevocationMode) {
    if raw.policy.is_some() && !matches!(mode, M::Crl | M::CrlHttp | M::Ocsp) {
        p.bad("revocation.policy needs revocation.mode = \"crl\", \"crl-http\" or \"ocsp\"");
    }
    for (key, is_set, modes) in MODE_KEYS {
        if is_set(raw) && !modes.contains(&mode) {
            p.bad(format!(
                "revocation.{key} has no effect with revocation.mode = \"{mode}\""
            ));
        }
    }
}

/// The intervals and timeouts a server can work with.
fn check_bounds(p: &mut CaseProblems<'_, '_>, raw: &RawRevocation) {
    let show = |d: Duration| humantime::format_duration(d).to_string();
    if let Some(refresh) = raw.staple_refresh.filter(|d| *d < MIN_INTERVAL) {
        p.bad(format!(
            "revocation.staple_refresh must be at least {}, found {}",
            show(MIN_INTERVAL),
            show(refresh)
        ));
    }
    if raw
        .cert_lifetime
        .is_some_and(|d| d < Duration::from_secs(2))
    {
        p.bad("revocation.cert_lifetime must be at least 2s (validity times have one-second resolution)");
    }
    if raw.query_timeout.is_some_and(|d| d.is_zero()) {
        p.bad("revocation.query_timeout must be more than 0s");
    }
    if let Some(reload) = raw.reload.filter(|d| *d < MIN_INTERVAL) {
        p.bad(format!(
            "revocation.reload must be at least {}, found {}",
            show(MIN_INTERVAL),
            show(reload)
        ));
    }
}

/// What a mid-run revocation needs: a CRL the server can use, a server that re-reads it, and a
/// load that is still running when it happens.
fn check_revoke(
    p: &mut CaseProblems<'_, '_>,
    raw: &RawRevocation,
    mode: RevocationMode,
    stop: Stop,
) {
    let Some(after) = raw.revoke_after else {
        return;
    };
    if raw.crl.unwrap_or(CrlKind::Fresh) != CrlKind::Fresh {
        p.bad("revocation.revoke_after needs revocation.crl = \"fresh\": the server must be able to use the CRL that revokes the victim");
    }
    if CRL_MODES.contains(&mode) && raw.reload.is_none() {
        p.bad("revocation.revoke_after needs revocation.reload: a server that never re-reads its CRL never sees the revocation");
    }
    match stop {
        Stop::Duration(d) if after < d => {}
        Stop::Duration(_) => p.bad("revocation.revoke_after must fall inside load.duration"),
        Stop::Handshakes(_) => {
            p.bad("revocation.revoke_after needs a load.duration (not a handshake count)");
        }
    }
}

/// The settings of `mode` from `raw`, each at its default where `raw` sets none.
fn build(raw: &RawRevocation, mode: RevocationMode) -> Revocation {
    let revoke = raw.revoke_after.map(|after| Revoke {
        after,
        resumed: raw
            .resumption_exposure
            .unwrap_or(ResumptionExposure::Refuse),
    });
    match mode {
        M::None => Revocation::None,
        M::Crl => Revocation::Crl(CrlSettings {
            list: crl_list(raw),
            delta: raw.crl_delta.unwrap_or(false),
            policy: raw.policy.unwrap_or_default(),
            reload: raw.reload,
            revoke,
        }),
        M::CrlHttp => Revocation::CrlHttp(CrlHttpSettings {
            list: crl_list(raw),
            policy: raw.policy.unwrap_or_default(),
            reload: raw.reload,
            service: service(raw),
            revoke,
        }),
        M::Ocsp => Revocation::Ocsp(ocsp(raw, revoke)),
        M::OcspStapling => Revocation::Stapling(stapling(raw, revoke)),
        M::ShortLived => Revocation::ShortLived(short_lived(raw, revoke)),
    }
}

/// The CRL of the CRL modes.
fn crl_list(raw: &RawRevocation) -> CrlList {
    let d = CrlList::default();
    CrlList {
        entries: raw.crl_entries.unwrap_or(d.entries),
        kind: raw.crl.unwrap_or(d.kind),
        shards: raw.crl_shards.unwrap_or(d.shards),
    }
}

/// The revocation service's settings.
fn service(raw: &RawRevocation) -> ServiceSettings {
    let d = ServiceSettings::default();
    ServiceSettings {
        responder_delay: raw.responder_delay.unwrap_or(d.responder_delay),
        fault: raw.fault.unwrap_or(d.fault),
        query_timeout: raw.query_timeout.unwrap_or(d.query_timeout),
    }
}

/// Mode `ocsp`.
fn ocsp(raw: &RawRevocation, revoke: Option<Revoke>) -> OcspSettings {
    let d = OcspSettings::default();
    OcspSettings {
        policy: raw.policy.unwrap_or(d.policy),
        cache_ttl: raw.cache_ttl.unwrap_or(d.cache_ttl),
        signer: raw.signer.unwrap_or(d.signer),
        nonce: raw.nonce.unwrap_or(d.nonce),
        service: service(raw),
        revoke,
    }
}

/// Mode `ocsp-stapling`.
fn stapling(raw: &RawRevocation, revoke: Option<Revoke>) -> StaplingSettings {
    let d = StaplingSettings::default();
    StaplingSettings {
        staple_refresh: raw.staple_refresh.unwrap_or(d.staple_refresh),
        must_staple: raw.must_staple.unwrap_or(d.must_staple),
        staple_verify: raw.staple_verify.unwrap_or(d.staple_verify),
        server_revoked: raw.server_revoked.unwrap_or(d.server_revoked),
        signer: raw.signer.unwrap_or(d.signer),
        service: service(raw),
        revoke,
    }
}

/// Mode `short-lived`.
fn short_lived(raw: &RawRevocation, revoke: Option<Revoke>) -> ShortLivedSettings {
    let d = ShortLivedSettings::default();
    ShortLivedSettings {
        cert_lifetime: raw.cert_lifetime.unwrap_or(d.cert_lifetime),
        renew_at: raw.renew_at.unwrap_or(d.renew_at),
        fleet: raw.fleet.unwrap_or(d.fleet),
        revoke,
    }
}
