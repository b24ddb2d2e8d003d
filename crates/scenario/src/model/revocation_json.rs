//! The JSON form of [`Revocation`] (`summary.json`'s `revocation`): flat, every setting of
//! every mode, each one the mode does not take at its default, as it always was (the schema
//! and the reports read it so).

use std::time::Duration;

use serde::{Serialize, Serializer};

use super::millis::{ser_ms, ser_opt_ms};
use super::revocation::{
    FailPolicy, OcspSettings, OcspSigner, ResponderFault, ResumptionExposure, Revocation,
    RevocationMode, ShortLivedSettings, StaplingSettings,
};
use crate::pki::CrlKind;

/// Every revocation setting, in the order `summary.json` lists them.
#[derive(Serialize)]
struct Flat {
    mode: RevocationMode,
    crl_entries: usize,
    crl: CrlKind,
    crl_shards: u16,
    crl_delta: bool,
    policy: FailPolicy,
    #[serde(rename = "reload_ms", serialize_with = "ser_opt_ms")]
    reload: Option<Duration>,
    #[serde(rename = "revoke_after_ms", serialize_with = "ser_opt_ms")]
    revoke_after: Option<Duration>,
    resumption_exposure: ResumptionExposure,
    #[serde(rename = "cache_ttl_ms", serialize_with = "ser_ms")]
    cache_ttl: Duration,
    #[serde(rename = "responder_delay_ms", serialize_with = "ser_ms")]
    responder_delay: Duration,
    fault: ResponderFault,
    signer: OcspSigner,
    nonce: bool,
    #[serde(rename = "query_timeout_ms", serialize_with = "ser_ms")]
    query_timeout: Duration,
    #[serde(rename = "staple_refresh_ms", serialize_with = "ser_ms")]
    staple_refresh: Duration,
    must_staple: bool,
    staple_verify: bool,
    server_revoked: bool,
    #[serde(rename = "cert_lifetime_ms", serialize_with = "ser_ms")]
    cert_lifetime: Duration,
    renew_at: f64,
    fleet: u64,
}

impl Flat {
    /// `rev`'s settings over every default.
    fn of(rev: &Revocation) -> Self {
        let (ocsp, staple, short) = (
            OcspSettings::default(),
            StaplingSettings::default(),
            ShortLivedSettings::default(),
        );
        let list = rev.crl_list().unwrap_or_default();
        let service = rev.service().unwrap_or_default();
        let mut flat = Self {
            mode: rev.mode(),
            crl_entries: list.entries,
            crl: list.kind,
            crl_shards: list.shards,
            crl_delta: rev.crl_delta(),
            policy: rev.policy().unwrap_or_default(),
            reload: rev.crl_reload(),
            revoke_after: rev.revoke_after(),
            resumption_exposure: rev.resumption_exposure(),
            cache_ttl: ocsp.cache_ttl,
            responder_delay: service.responder_delay,
            fault: service.fault,
            signer: rev.signer().unwrap_or(ocsp.signer),
            nonce: ocsp.nonce,
            query_timeout: service.query_timeout,
            staple_refresh: staple.staple_refresh,
            must_staple: staple.must_staple,
            staple_verify: staple.staple_verify,
            server_revoked: staple.server_revoked,
            cert_lifetime: short.cert_lifetime,
            renew_at: short.renew_at,
            fleet: short.fleet,
        };
        flat.mode_settings(rev);
        flat
    }

    /// The settings only one mode takes.
    fn mode_settings(&mut self, rev: &Revocation) {
        match rev {
            Revocation::Ocsp(s) => {
                self.cache_ttl = s.cache_ttl;
                self.nonce = s.nonce;
            }
            Revocation::Stapling(s) => {
                self.staple_refresh = s.staple_refresh;
                self.must_staple = s.must_staple;
                self.staple_verify = s.staple_verify;
                self.server_revoked = s.server_revoked;
            }
            Revocation::ShortLived(s) => {
                self.cert_lifetime = s.cert_lifetime;
                self.renew_at = s.renew_at;
                self.fleet = s.fleet;
            }
            Revocation::None | Revocation::Crl(_) | Revocation::CrlHttp(_) => {}
        }
    }
}

impl Serialize for Revocation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Flat::of(self).serialize(s)
    }
}
