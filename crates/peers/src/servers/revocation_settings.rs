//! How a built-in server checks revocation, as one typed value: [`ServerRevocation`] is one
//! mode with that mode's settings (CRLs, OCSP for client certificates, or a staple of its own
//! certificate), built by the runner straight from a case's mode, so no combination a case
//! cannot have reaches a server. With the `cli` feature, [`RevocationFlags`] are the `serve`
//! flags that choose a mode; each group of settings is defined once, here, for both.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::limits::Limits;
use super::names::named;
use crate::scenario::{FailPolicy, OcspSettings, StaplingSettings};

/// The revocation mode of a built-in server.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub enum ServerRevocation {
    /// No revocation check and no staple.
    #[default]
    None,
    /// Client certificates checked against CRLs.
    Crl(CrlCheck),
    /// Client certificates checked with OCSP.
    Ocsp(OcspQuery, OcspClients),
    /// The server's own certificate stapled with an OCSP response.
    Stapling(OcspQuery, Stapling),
}

impl ServerRevocation {
    /// The CRL settings, in CRL mode.
    pub fn crl(&self) -> Option<&CrlCheck> {
        match self {
            Self::Crl(c) => Some(c),
            _ => None,
        }
    }

    /// How the responder is asked, in either OCSP mode.
    pub fn query(&self) -> Option<&OcspQuery> {
        match self {
            Self::Ocsp(q, _) | Self::Stapling(q, _) => Some(q),
            _ => None,
        }
    }

    /// The client-certificate OCSP settings, in OCSP mode.
    pub fn ocsp(&self) -> Option<&OcspClients> {
        match self {
            Self::Ocsp(_, o) => Some(o),
            _ => None,
        }
    }

    /// The staple settings, in stapling mode.
    pub fn stapling(&self) -> Option<&Stapling> {
        match self {
            Self::Stapling(_, s) => Some(s),
            _ => None,
        }
    }

    /// The bounds of this mode's settings.
    pub(super) fn check_into(&self, limits: &mut Limits) {
        match self {
            Self::None => {}
            Self::Crl(c) => c.check_into(limits),
            Self::Ocsp(q, o) => {
                q.check_into(limits);
                o.check_into(limits);
            }
            Self::Stapling(q, s) => {
                q.check_into(limits);
                s.check_into(limits);
            }
        }
    }
}

/// CRL checking of client certificates.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct CrlCheck {
    /// CRL files (PEM or DER) to check client certificates against (end entity only; a
    /// client whose issuer has no CRL here is rejected).
    #[cfg_attr(feature = "cli", arg(long))]
    pub crl: Vec<PathBuf>,
    /// Download the CRL from this URL (the distribution point in the certificates) at start
    /// and on every `--crl-reload`; when it cannot be had, `--crl-policy` decides.
    #[cfg_attr(feature = "cli", arg(long))]
    pub crl_url: Option<String>,
    /// When a client's revocation status is undetermined (no CRL for its issuer, a stale CRL):
    /// hard rejects, soft accepts.
    #[serde(deserialize_with = "named")]
    #[cfg_attr(feature = "cli", arg(long, default_value = "hard"))]
    pub crl_policy: FailPolicy,
    /// Re-read the CRL files this often, and use them for new connections when they changed
    /// (10ms to 24h).
    #[cfg_attr(feature = "cli", arg(long, value_parser = humantime::parse_duration))]
    pub crl_reload: Option<Duration>,
    /// Check the whole client chain against CRLs (OpenSSL's CRL_CHECK_ALL; webpki's chain
    /// revocation depth), not only the leaf.
    #[cfg_attr(feature = "cli", arg(long))]
    pub crl_check_all: bool,
    /// Use the delta CRLs among the CRLs (OpenSSL's X509_V_FLAG_USE_DELTAS); `--impl openssl`
    /// only (webpki refuses delta CRLs).
    #[serde(default)]
    #[cfg_attr(feature = "cli", arg(long))]
    pub crl_deltas: bool,
}

impl CrlCheck {
    /// Whether any CRL source is given (files or a URL).
    pub fn has_source(&self) -> bool {
        !self.crl.is_empty() || self.crl_url.is_some()
    }

    fn check_into(&self, limits: &mut Limits) {
        limits.interval("crl_reload", self.crl_reload);
    }
}

/// How an OCSP responder is asked, for client certificates or for the staple.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct OcspQuery {
    /// Ask this OCSP responder instead of the one in the certificates.
    #[cfg_attr(feature = "cli", arg(long))]
    pub ocsp_url: Option<String>,
    /// Deadline of one OCSP query (default: the scenario default, 2s).
    #[cfg_attr(
        feature = "cli",
        arg(long, default_value = "2s", value_parser = humantime::parse_duration)
    )]
    pub ocsp_timeout: Duration,
    /// Send a nonce in OCSP requests and require it in the answer.
    #[cfg_attr(feature = "cli", arg(long))]
    pub ocsp_nonce: bool,
    /// Send OCSP requests with GET instead of POST.
    #[cfg_attr(feature = "cli", arg(long))]
    pub ocsp_get: bool,
}

impl Default for OcspQuery {
    fn default() -> Self {
        Self {
            ocsp_url: None,
            ocsp_timeout: OcspSettings::default().service.query_timeout,
            ocsp_nonce: false,
            ocsp_get: false,
        }
    }
}

impl OcspQuery {
    fn check_into(&self, limits: &mut Limits) {
        limits.duration("ocsp_timeout", self.ocsp_timeout, false);
    }
}

/// OCSP checking of client certificates, asking the responder in their AIA extension.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct OcspClients {
    /// How long an OCSP answer is reused (0s: ask on every handshake; default: the scenario
    /// default, 300s).
    #[cfg_attr(
        feature = "cli",
        arg(long, default_value = "300s", value_parser = humantime::parse_duration)
    )]
    pub ocsp_cache_ttl: Duration,
    /// When a client's OCSP status is undetermined (responder down, error status, unknown):
    /// hard rejects, soft accepts. Forged or stale answers are rejected either way.
    #[serde(deserialize_with = "named")]
    #[cfg_attr(feature = "cli", arg(long, default_value = "hard"))]
    pub ocsp_policy: FailPolicy,
}

impl Default for OcspClients {
    fn default() -> Self {
        Self {
            ocsp_cache_ttl: OcspSettings::default().cache_ttl,
            ocsp_policy: FailPolicy::Hard,
        }
    }
}

impl OcspClients {
    fn check_into(&self, limits: &mut Limits) {
        limits.duration("ocsp_cache_ttl", self.ocsp_cache_ttl, true);
    }
}

/// A staple of the server's own certificate, fetched from the responder in its AIA.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct Stapling {
    /// Staple whatever the responder answers, without verifying it first (a careless server;
    /// the client's staple checks are what such a case tests).
    #[cfg_attr(feature = "cli", arg(long))]
    pub staple_unverified: bool,
    /// How often the staple is refreshed (10ms to 24h; default: the scenario default, 60s).
    #[cfg_attr(
        feature = "cli",
        arg(long, default_value = "60s", value_parser = humantime::parse_duration)
    )]
    pub staple_refresh: Duration,
}

impl Default for Stapling {
    fn default() -> Self {
        Self {
            staple_unverified: false,
            staple_refresh: StaplingSettings::default().staple_refresh,
        }
    }
}

impl Stapling {
    fn check_into(&self, limits: &mut Limits) {
        limits.interval("staple_refresh", Some(self.staple_refresh));
    }
}

/// The `serve` flags that choose a revocation mode: `--crl`/`--crl-url`, `--ocsp` or
/// `--staple`, at most one, each with its own group of settings.
#[cfg(feature = "cli")]
#[derive(Clone, Debug, clap::Args)]
pub struct RevocationFlags {
    /// CRL checking (`--crl FILE` or `--crl-url URL`).
    #[command(flatten)]
    pub crl: CrlCheck,
    /// Check client certificates with OCSP, asking the responder in their AIA extension.
    #[arg(long)]
    pub ocsp: bool,
    /// Staple an OCSP response about the server's own certificate (fetched from its AIA).
    #[arg(long)]
    pub staple: bool,
    /// How the responder is asked (`--ocsp` and `--staple`).
    #[command(flatten)]
    pub query: OcspQuery,
    /// Client-certificate OCSP settings (`--ocsp`).
    #[command(flatten)]
    pub clients: OcspClients,
    /// Staple settings (`--staple`).
    #[command(flatten)]
    pub stapling: Stapling,
}

#[cfg(feature = "cli")]
impl RevocationFlags {
    /// The mode these flags choose, once every group's bounds hold (a bound is checked even
    /// when its mode is not chosen: a typo'd interval is never silently ignored).
    ///
    /// # Errors
    /// The violations, one per line, or more than one mode chosen.
    pub fn revocation(self) -> Result<ServerRevocation, String> {
        let mut limits = Limits::new(super::limits::Spelling::Flag);
        self.crl.check_into(&mut limits);
        self.query.check_into(&mut limits);
        self.clients.check_into(&mut limits);
        self.stapling.check_into(&mut limits);
        limits.finish()?;
        let chosen = [self.crl.has_source(), self.ocsp, self.staple];
        if chosen.iter().filter(|c| **c).count() > 1 {
            return Err(
                "--crl/--crl-url, --ocsp and --staple are revocation modes: give at most one"
                    .into(),
            );
        }
        Ok(match chosen {
            [true, _, _] => ServerRevocation::Crl(self.crl),
            [_, true, _] => ServerRevocation::Ocsp(self.query, self.clients),
            [_, _, true] => ServerRevocation::Stapling(self.query, self.stapling),
            _ => ServerRevocation::None,
        })
    }
}
