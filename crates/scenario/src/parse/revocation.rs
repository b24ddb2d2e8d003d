//! `revocation = { ... }` of a case or `[defaults]`: the mode and every revocation setting,
//! read into [`RawSettings`] with the checks one value allows on its own.

use toml_edit::TableLike;

use super::raw::RawSettings;
use super::reader::{join, Reader};
use crate::scenario::model::RevocationMode;

/// The keys of a `revocation` table.
pub(super) const REVOCATION_KEYS: &[&str] = &[
    "mode",
    "crl_entries",
    "crl_shards",
    "crl_delta",
    "crl",
    "policy",
    "reload",
    "revoke_after",
    "resumption_exposure",
    "cache_ttl",
    "responder_delay",
    "fault",
    "signer",
    "nonce",
    "query_timeout",
    "staple_refresh",
    "must_staple",
    "staple_verify",
    "server_revoked",
    "cert_lifetime",
    "renew_at",
    "fleet",
];

/// The most CRL shards a case may ask for (each is a file the server loads and a URL in the
/// certificates).
pub(crate) const MAX_CRL_SHARDS: u16 = 1024;

/// Reads the `revocation` table `rev` (at key path `rp`) into `s`.
pub(super) fn read(r: &mut Reader<'_>, rev: &dyn TableLike, rp: &str, s: &mut RawSettings) {
    r.check_keys(rev, rp, REVOCATION_KEYS);
    if let Some(v) = rev.get("mode") {
        s.revocation_mode = r.named(v, &join(rp, "mode"));
    }
    if let Some(v) = rev.get("crl") {
        s.crl_kind = r.named(v, &join(rp, "crl"));
    }
    if let Some(v) = rev.get("policy") {
        s.fail_policy = r.named(v, &join(rp, "policy"));
    }
    if let Some(v) = rev.get("reload") {
        s.crl_reload = r.duration(v, &join(rp, "reload"));
    }
    if let Some(v) = rev.get("revoke_after") {
        s.revoke_after = r.duration(v, &join(rp, "revoke_after"));
    }
    if let Some(v) = rev.get("resumption_exposure") {
        s.resumption_exposure = r.named(v, &join(rp, "resumption_exposure"));
    }
    if let Some(v) = rev.get("cache_ttl") {
        s.cache_ttl = r.duration(v, &join(rp, "cache_ttl"));
    }
    if let Some(v) = rev.get("responder_delay") {
        s.responder_delay = r.duration(v, &join(rp, "responder_delay"));
    }
    if let Some(v) = rev.get("query_timeout") {
        s.query_timeout = r.duration(v, &join(rp, "query_timeout"));
    }
    if let Some(v) = rev.get("staple_refresh") {
        s.staple_refresh = r.duration(v, &join(rp, "staple_refresh"));
    }
    if let Some(v) = rev.get("fault") {
        s.fault = r.named(v, &join(rp, "fault"));
    }
    if let Some(v) = rev.get("signer") {
        s.signer = r.named(v, &join(rp, "signer"));
    }
    if let Some(v) = rev.get("nonce") {
        s.nonce = r.boolean(v, &join(rp, "nonce"));
    }
    if let Some(v) = rev.get("must_staple") {
        s.must_staple = r.boolean(v, &join(rp, "must_staple"));
    }
    if let Some(v) = rev.get("staple_verify") {
        s.staple_verify = r.boolean(v, &join(rp, "staple_verify"));
    }
    if let Some(v) = rev.get("server_revoked") {
        s.server_revoked = r.boolean(v, &join(rp, "server_revoked"));
    }
    if let Some(v) = rev.get("cert_lifetime") {
        s.cert_lifetime = r.duration(v, &join(rp, "cert_lifetime"));
    }
    if let Some(v) = rev.get("renew_at") {
        let path = join(rp, "renew_at");
        s.renew_at = r.positive_number(v, &path);
        if s.renew_at.is_some_and(|f| !(0.1..=0.9).contains(&f)) {
            r.problem(
                v.span(),
                &path,
                "expected a share of the lifetime from 0.1 to 0.9",
            );
            s.renew_at = None;
        }
    }
    if let Some(v) = rev.get("fleet") {
        s.fleet = r
            .integer(v, &join(rp, "fleet"), 1..=1_000_000_000)
            .map(|n| n as u64);
    }
    if let Some(v) = rev.get("crl_entries") {
        let ep = join(rp, "crl_entries");
        s.crl_entries = r.integer(v, &ep, 0..=1_000_000).map(|n| n as usize);
        if s.revocation_mode
            .is_some_and(|m| !matches!(m, RevocationMode::Crl | RevocationMode::CrlHttp))
        {
            r.problem(
                v.span(),
                &ep,
                "has no effect unless revocation.mode = \"crl\" or \"crl-http\"",
            );
        }
    }
    if let Some(v) = rev.get("crl_shards") {
        s.crl_shards = r
            .integer(v, &join(rp, "crl_shards"), 1..=i64::from(MAX_CRL_SHARDS))
            .and_then(|n| u16::try_from(n).ok());
    }
    if let Some(v) = rev.get("crl_delta") {
        s.crl_delta = r.boolean(v, &join(rp, "crl_delta"));
    }
}
