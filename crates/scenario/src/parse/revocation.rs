//! `revocation = { ... }` of a case or `[defaults]`: the mode and every revocation setting,
//! read into [`RawRevocation`] with the checks one value allows on its own. What the settings
//! make together, once the layers are laid over each other, is `revocation_case.rs`'s.

use std::time::Duration;

use toml_edit::{Item, TableLike};

use super::reader::{join, Reader};
use crate::pki::CrlKind;
use crate::scenario::model::{
    FailPolicy, OcspSigner, ResponderFault, ResumptionExposure, RevocationMode,
};

/// A `revocation` table as read, before defaults; `None` where the table does not set a key.
/// Named after the keys.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct RawRevocation {
    pub(crate) mode: Option<RevocationMode>,
    pub(crate) crl_entries: Option<usize>,
    pub(crate) crl_shards: Option<u16>,
    pub(crate) crl_delta: Option<bool>,
    pub(crate) reload: Option<Duration>,
    pub(crate) crl: Option<CrlKind>,
    pub(crate) policy: Option<FailPolicy>,
    pub(crate) revoke_after: Option<Duration>,
    pub(crate) resumption_exposure: Option<ResumptionExposure>,
    pub(crate) cache_ttl: Option<Duration>,
    pub(crate) responder_delay: Option<Duration>,
    pub(crate) fault: Option<ResponderFault>,
    pub(crate) signer: Option<OcspSigner>,
    pub(crate) nonce: Option<bool>,
    pub(crate) query_timeout: Option<Duration>,
    pub(crate) staple_refresh: Option<Duration>,
    pub(crate) must_staple: Option<bool>,
    pub(crate) staple_verify: Option<bool>,
    pub(crate) server_revoked: Option<bool>,
    pub(crate) cert_lifetime: Option<Duration>,
    pub(crate) renew_at: Option<f64>,
    pub(crate) fleet: Option<u64>,
}

impl RawRevocation {
    /// `self` with every key `over` sets laid on top.
    pub(crate) fn overlay(&self, over: &Self) -> Self {
        Self {
            mode: over.mode.or(self.mode),
            crl_entries: over.crl_entries.or(self.crl_entries),
            crl_shards: over.crl_shards.or(self.crl_shards),
            crl_delta: over.crl_delta.or(self.crl_delta),
            reload: over.reload.or(self.reload),
            crl: over.crl.or(self.crl),
            policy: over.policy.or(self.policy),
            revoke_after: over.revoke_after.or(self.revoke_after),
            resumption_exposure: over.resumption_exposure.or(self.resumption_exposure),
            cache_ttl: over.cache_ttl.or(self.cache_ttl),
            responder_delay: over.responder_delay.or(self.responder_delay),
            fault: over.fault.or(self.fault),
            signer: over.signer.or(self.signer),
            nonce: over.nonce.or(self.nonce),
            query_timeout: over.query_timeout.or(self.query_timeout),
            staple_refresh: over.staple_refresh.or(self.staple_refresh),
            must_staple: over.must_staple.or(self.must_staple),
            staple_verify: over.staple_verify.or(self.staple_verify),
            server_revoked: over.server_revoked.or(self.server_revoked),
            cert_lifetime: over.cert_lifetime.or(self.cert_lifetime),
            renew_at: over.renew_at.or(self.renew_at),
            fleet: over.fleet.or(self.fleet),
        }
    }
}

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
pub(super) fn read(r: &mut Reader<'_>, rev: &dyn TableLike, rp: &str, s: &mut RawRevocation) {
    r.check_keys(rev, rp, REVOCATION_KEYS);
    for (key, read_key) in KEY_READERS {
        if let Some(v) = rev.get(key) {
            read_key(r, v, &join(rp, key), s);
        }
    }
}

/// Reads one key's value (at its key path) into the raw settings.
type ReadKey = fn(&mut Reader<'_>, &Item, &str, &mut RawRevocation);

/// How each key is read, in the order its problems are reported (`crl_entries` after `mode`,
/// whose value it checks).
const KEY_READERS: &[(&str, ReadKey)] = &[
    ("mode", |r, v, p, s| s.mode = r.named(v, p)),
    ("crl", |r, v, p, s| s.crl = r.named(v, p)),
    ("policy", |r, v, p, s| s.policy = r.named(v, p)),
    ("reload", |r, v, p, s| s.reload = r.duration(v, p)),
    ("revoke_after", |r, v, p, s| {
        s.revoke_after = r.duration(v, p)
    }),
    ("resumption_exposure", |r, v, p, s| {
        s.resumption_exposure = r.named(v, p);
    }),
    ("cache_ttl", |r, v, p, s| s.cache_ttl = r.duration(v, p)),
    ("responder_delay", |r, v, p, s| {
        s.responder_delay = r.duration(v, p);
    }),
    ("query_timeout", |r, v, p, s| {
        s.query_timeout = r.duration(v, p)
    }),
    ("staple_refresh", |r, v, p, s| {
        s.staple_refresh = r.duration(v, p)
    }),
    ("fault", |r, v, p, s| s.fault = r.named(v, p)),
    ("signer", |r, v, p, s| s.signer = r.named(v, p)),
    ("nonce", |r, v, p, s| s.nonce = r.boolean(v, p)),
    ("must_staple", |r, v, p, s| s.must_staple = r.boolean(v, p)),
    ("staple_verify", |r, v, p, s| {
        s.staple_verify = r.boolean(v, p)
    }),
    ("server_revoked", |r, v, p, s| {
        s.server_revoked = r.boolean(v, p)
    }),
    ("cert_lifetime", |r, v, p, s| {
        s.cert_lifetime = r.duration(v, p)
    }),
    ("renew_at", read_renew_at),
    ("fleet", |r, v, p, s| {
        s.fleet = r.integer(v, p, 1..=1_000_000_000).map(|n| n as u64);
    }),
    ("crl_entries", read_crl_entries),
    ("crl_shards", |r, v, p, s| {
        s.crl_shards = r
            .integer(v, p, 1..=i64::from(MAX_CRL_SHARDS))
            .and_then(|n| u16::try_from(n).ok());
    }),
    ("crl_delta", |r, v, p, s| s.crl_delta = r.boolean(v, p)),
];

/// `renew_at`: a share of the lifetime from 0.1 to 0.9.
fn read_renew_at(r: &mut Reader<'_>, v: &Item, path: &str, s: &mut RawRevocation) {
    s.renew_at = r.positive_number(v, path);
    if s.renew_at.is_some_and(|f| !(0.1..=0.9).contains(&f)) {
        r.problem(
            v.span(),
            path,
            "expected a share of the lifetime from 0.1 to 0.9",
        );
        s.renew_at = None;
    }
}

/// `crl_entries`: the CRL's size, of no effect unless the same table's mode issues a CRL.
fn read_crl_entries(r: &mut Reader<'_>, v: &Item, path: &str, s: &mut RawRevocation) {
    s.crl_entries = r.integer(v, path, 0..=1_000_000).map(|n| n as usize);
    if s.mode
        .is_some_and(|m| !matches!(m, RevocationMode::Crl | RevocationMode::CrlHttp))
    {
        r.problem(
            v.span(),
            path,
            "has no effect unless revocation.mode = \"crl\" or \"crl-http\"",
        );
    }
}
