//! Revocation settings of a case: the names (the mode [`RevocationMode`], the faults the
//! revocation service injects, who signs OCSP answers, the fail policy), and [`Revocation`], the
//! mode with the settings it takes (one struct per mode, the pieces several share: the CRL
//! issued, the service's behaviour, a mid-run revocation), with their defaults and what an
//! OCSP-checking server learns ([`OcspView`]). What a case then expects is in `verdicts.rs`;
//! the flat JSON form in `revocation_json.rs`.

use std::time::Duration;

use serde::Serialize;
use strum::VariantArray;

use crate::pki::{CrlKind, UnknownName};

/// How the server checks the revocation of client certificates.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantNames,
    strum::VariantArray,
)]
#[serde(into = "&'static str")]
#[strum(parse_err_ty = UnknownName, parse_err_fn = UnknownName::quoted::<Self>)]
pub enum RevocationMode {
    /// Not at all.
    #[strum(serialize = "none")]
    None,
    /// Against a CRL file issued by the leaves' CA, loaded at start.
    #[strum(serialize = "crl")]
    Crl,
    /// Against the CRL the server downloads from the distribution point in the
    /// certificates (the harness's revocation service), again on every reload.
    #[strum(serialize = "crl-http")]
    CrlHttp,
    /// The server asks the OCSP responder named in each client certificate's AIA.
    #[strum(serialize = "ocsp")]
    Ocsp,
    /// The server staples an OCSP response about its own certificate, which the harness's
    /// client verifies (client certificates are not checked for revocation).
    #[strum(serialize = "ocsp-stapling")]
    OcspStapling,
    /// No revocation checking: client certificates live for `cert_lifetime` and are
    /// renewed before they expire.
    #[strum(serialize = "short-lived")]
    ShortLived,
}

impl RevocationMode {
    /// Every value.
    pub const ALL: &'static [RevocationMode] = <Self as VariantArray>::VARIANTS;

    /// The name used in scenario files and reports.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// A fault the revocation service (OCSP responder and CRL endpoint) injects.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantNames,
    strum::VariantArray,
)]
#[serde(into = "&'static str")]
#[strum(parse_err_ty = UnknownName, parse_err_fn = UnknownName::quoted::<Self>)]
pub enum ResponderFault {
    /// Answers correctly.
    #[strum(serialize = "none")]
    None,
    /// Connection refused: the listener is closed.
    #[strum(serialize = "down")]
    Down,
    /// Accepts and never answers.
    #[strum(serialize = "timeout")]
    Timeout,
    /// OCSP status tryLater (3).
    #[strum(serialize = "try-later")]
    TryLater,
    /// OCSP status internalError (2).
    #[strum(serialize = "internal-error")]
    InternalError,
    /// OCSP status unauthorized (6).
    #[strum(serialize = "unauthorized")]
    Unauthorized,
    /// HTTP 200 with a body that is not DER.
    #[strum(serialize = "malformed")]
    Malformed,
    /// A signed answer whose nextUpdate has passed.
    #[strum(serialize = "stale")]
    Stale,
    /// A signed answer whose thisUpdate is in the future.
    #[strum(serialize = "future")]
    Future,
    /// A signature that does not verify.
    #[strum(serialize = "bad-signature")]
    BadSignature,
    /// Status unknown for every certificate.
    #[strum(serialize = "unknown")]
    Unknown,
    /// The request's nonce is not echoed.
    #[strum(serialize = "no-nonce")]
    NoNonce,
    /// Another nonce is echoed.
    #[strum(serialize = "wrong-nonce")]
    WrongNonce,
}

impl ResponderFault {
    /// Every value.
    pub const ALL: &'static [ResponderFault] = <Self as VariantArray>::VARIANTS;

    /// The name used in scenario files and reports.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// Who signs OCSP responses.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantNames,
    strum::VariantArray,
)]
#[serde(into = "&'static str")]
#[strum(parse_err_ty = UnknownName, parse_err_fn = UnknownName::quoted::<Self>)]
pub enum OcspSigner {
    /// The CA that issued the certificate.
    #[strum(serialize = "ca")]
    Ca,
    /// The CA's delegated responder certificate (id-kp-OCSPSigning).
    #[strum(serialize = "delegated")]
    Delegated,
    /// A certificate of the CA without id-kp-OCSPSigning (a forgery the checker must refuse).
    #[strum(serialize = "unauthorized")]
    Unauthorized,
}

impl OcspSigner {
    /// Every value.
    pub const ALL: &'static [OcspSigner] = <Self as VariantArray>::VARIANTS;

    /// The name used in scenario files and reports.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// What a server does when a certificate's revocation status cannot be determined (no
/// usable CRL for its issuer, a stale one).
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Default,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantNames,
    strum::VariantArray,
)]
#[serde(into = "&'static str")]
#[strum(parse_err_ty = UnknownName, parse_err_fn = UnknownName::quoted::<Self>)]
pub enum FailPolicy {
    /// Reject.
    #[default]
    #[strum(serialize = "hard")]
    Hard,
    /// Accept.
    #[strum(serialize = "soft")]
    Soft,
}

impl FailPolicy {
    /// Every value.
    pub const ALL: &'static [FailPolicy] = <Self as VariantArray>::VARIANTS;

    /// The name used in scenario files and reports.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// What an exposure case (`revoke_after` with resumption on) expects of the revoked client's
/// resumed sessions. Most stacks do not re-check a certificate when a session resumes
/// (CONFORMANCE.md, "Traps"), so the revoked client can keep getting in by resuming.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantNames,
    strum::VariantArray,
)]
#[serde(into = "&'static str")]
#[strum(parse_err_ty = UnknownName, parse_err_fn = UnknownName::quoted::<Self>)]
pub enum ResumptionExposure {
    /// The server must refuse them too: a resumed admission after the revoked client's first
    /// refusal fails the case.
    #[strum(serialize = "refuse")]
    Refuse,
    /// They are measured and reported as the resumption exposure (how many got in, until
    /// when); the full-handshake exposure window alone is the verdict.
    #[strum(serialize = "record")]
    Record,
}

impl ResumptionExposure {
    /// Every value.
    pub const ALL: &'static [ResumptionExposure] = <Self as VariantArray>::VARIANTS;

    /// The name used in scenario files and reports.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// Revocation settings of a case: the mechanism with the settings it takes, so a setting of one
/// mode cannot be given to another (a CRL with OCSP, a staple with a CRL). Its JSON form
/// (`summary.json`) is flat, each setting a mode does not take at its default:
/// `revocation_json.rs`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Revocation {
    /// No revocation checking (`none`).
    None,
    /// A CRL file issued by the leaves' CA, loaded at start (`crl`).
    Crl(CrlSettings),
    /// The CRL the server downloads from the distribution point in the certificates, again on
    /// every reload (`crl-http`).
    CrlHttp(CrlHttpSettings),
    /// The server asks the OCSP responder about each client certificate (`ocsp`).
    Ocsp(OcspSettings),
    /// The server staples an OCSP response about its own certificate (`ocsp-stapling`).
    Stapling(StaplingSettings),
    /// Short-lived client certificates, renewed before they expire (`short-lived`).
    ShortLived(ShortLivedSettings),
}

/// The CRL a CRL mode issues for the leaves' CA.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CrlList {
    /// Filler entries besides the revoked client (its size).
    pub entries: usize,
    /// Fresh, or one the server cannot use.
    pub kind: CrlKind,
    /// Split into this many shards by serial (serial mod N), each naming its URL in an Issuing
    /// Distribution Point, each certificate naming its shard's (1: one full CRL, no IDP).
    pub shards: u16,
}

impl Default for CrlList {
    fn default() -> Self {
        Self {
            entries: 0,
            kind: CrlKind::Fresh,
            shards: 1,
        }
    }
}

/// What the revocation service (OCSP responder and CRL endpoint) does, and how long the server
/// waits for it: modes `crl-http`, `ocsp` and `ocsp-stapling`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceSettings {
    /// Added by the revocation service before every answer.
    pub responder_delay: Duration,
    /// A fault the revocation service injects.
    pub fault: ResponderFault,
    /// Deadline of one OCSP query or CRL download by the server.
    pub query_timeout: Duration,
}

impl Default for ServiceSettings {
    fn default() -> Self {
        Self {
            responder_delay: Duration::ZERO,
            fault: ResponderFault::None,
            query_timeout: Duration::from_secs(2),
        }
    }
}

/// A mid-run revocation (`revoke_after`): after the warm-up the harness revokes the victim
/// client and re-publishes, to measure the exposure window.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Revoke {
    /// When, after the warm-up.
    pub after: Duration,
    /// What the case expects of the revoked client's resumed sessions.
    pub resumed: ResumptionExposure,
}

/// Mode `crl`: a CRL file.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct CrlSettings {
    /// The CRL issued.
    pub list: CrlList,
    /// The CRL as a base CRL (the filler entries) plus a delta CRL (RFC 5280 §5.2.4) listing
    /// the recent revocations (the `revoked` client).
    pub delta: bool,
    /// Hard or soft fail when the status is undetermined.
    pub policy: FailPolicy,
    /// How often the server re-reads its CRL; `None`: loaded once.
    pub reload: Option<Duration>,
    /// A mid-run revocation.
    pub revoke: Option<Revoke>,
}

/// Mode `crl-http`: the CRL from the distribution point.
#[derive(Clone, Copy, Debug, PartialEq, Default)]
pub struct CrlHttpSettings {
    /// The CRL published.
    pub list: CrlList,
    /// Hard or soft fail when the status is undetermined.
    pub policy: FailPolicy,
    /// How often the server downloads its CRL again; `None`: once.
    pub reload: Option<Duration>,
    /// The CRL endpoint's behaviour.
    pub service: ServiceSettings,
    /// A mid-run revocation.
    pub revoke: Option<Revoke>,
}

/// Mode `ocsp`: the server asks about each client certificate.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OcspSettings {
    /// Hard or soft fail when the status is undetermined.
    pub policy: FailPolicy,
    /// How long the server reuses an OCSP answer; zero: a cold cache.
    pub cache_ttl: Duration,
    /// Who signs the answers.
    pub signer: OcspSigner,
    /// The server sends a nonce and requires it back.
    pub nonce: bool,
    /// The responder's behaviour.
    pub service: ServiceSettings,
    /// A mid-run revocation.
    pub revoke: Option<Revoke>,
}

impl Default for OcspSettings {
    fn default() -> Self {
        Self {
            policy: FailPolicy::Hard,
            cache_ttl: Duration::from_secs(300),
            signer: OcspSigner::Ca,
            nonce: false,
            service: ServiceSettings::default(),
            revoke: None,
        }
    }
}

/// Mode `ocsp-stapling`: the server staples an answer about itself, which the harness's client
/// verifies (client certificates are not checked for revocation).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StaplingSettings {
    /// How often the server refreshes its staple.
    pub staple_refresh: Duration,
    /// The server presents its OCSP Must-Staple certificate.
    pub must_staple: bool,
    /// The server verifies a response before stapling it; off, it staples whatever the
    /// responder sent, and the client's checks are what is tested.
    pub staple_verify: bool,
    /// The server's own certificate is revoked from the start: its staple says revoked.
    pub server_revoked: bool,
    /// Who signs the answers.
    pub signer: OcspSigner,
    /// The responder's behaviour.
    pub service: ServiceSettings,
    /// A mid-run revocation (of the server's certificate).
    pub revoke: Option<Revoke>,
}

impl Default for StaplingSettings {
    fn default() -> Self {
        Self {
            staple_refresh: Duration::from_secs(60),
            must_staple: false,
            staple_verify: true,
            server_revoked: false,
            signer: OcspSigner::Ca,
            service: ServiceSettings::default(),
            revoke: None,
        }
    }
}

/// Mode `short-lived`: no revocation checking; client certificates live for `cert_lifetime`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ShortLivedSettings {
    /// Lifetime of the certificates.
    pub cert_lifetime: Duration,
    /// Share of the lifetime after which a holder renews.
    pub renew_at: f64,
    /// Fleet size the renewal load is reported for.
    pub fleet: u64,
    /// A mid-run revocation (the victim stops renewing).
    pub revoke: Option<Revoke>,
}

impl Default for ShortLivedSettings {
    fn default() -> Self {
        Self {
            cert_lifetime: Duration::from_secs(60),
            renew_at: 0.5,
            fleet: 100_000,
            revoke: None,
        }
    }
}

/// What an OCSP-checking server learns (see `OcspSettings::view` in `verdicts.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OcspView {
    /// The answer says revoked.
    Revoked,
    /// The answer says good.
    Good,
    /// No usable answer: the fail policy decides.
    Undetermined,
    /// An answer that must be refused (forged, stale, replayed): rejected.
    Refused,
}

impl Revocation {
    /// No revocation checking.
    pub fn none() -> Self {
        Self::None
    }

    /// The mechanism's name ([`RevocationMode`]: scenario files, the matrix axis, reports).
    pub fn mode(&self) -> RevocationMode {
        match self {
            Self::None => RevocationMode::None,
            Self::Crl(_) => RevocationMode::Crl,
            Self::CrlHttp(_) => RevocationMode::CrlHttp,
            Self::Ocsp(_) => RevocationMode::Ocsp,
            Self::Stapling(_) => RevocationMode::OcspStapling,
            Self::ShortLived(_) => RevocationMode::ShortLived,
        }
    }

    /// The mid-run revocation, if the case revokes its victim.
    pub fn revoke(&self) -> Option<Revoke> {
        match self {
            Self::None => None,
            Self::Crl(s) => s.revoke,
            Self::CrlHttp(s) => s.revoke,
            Self::Ocsp(s) => s.revoke,
            Self::Stapling(s) => s.revoke,
            Self::ShortLived(s) => s.revoke,
        }
    }

    /// When the victim is revoked (after the warm-up), if it is.
    pub fn revoke_after(&self) -> Option<Duration> {
        self.revoke().map(|r| r.after)
    }

    /// What the case expects of the revoked client's resumed sessions (`refuse` when nobody is
    /// revoked).
    pub fn resumption_exposure(&self) -> ResumptionExposure {
        self.revoke()
            .map_or(ResumptionExposure::Refuse, |r| r.resumed)
    }

    /// The revocation service's settings, for the modes that use it.
    pub fn service(&self) -> Option<ServiceSettings> {
        match self {
            Self::CrlHttp(s) => Some(s.service),
            Self::Ocsp(s) => Some(s.service),
            Self::Stapling(s) => Some(s.service),
            Self::None | Self::Crl(_) | Self::ShortLived(_) => None,
        }
    }

    /// The CRL the CRL modes issue.
    pub fn crl_list(&self) -> Option<CrlList> {
        match self {
            Self::Crl(s) => Some(s.list),
            Self::CrlHttp(s) => Some(s.list),
            _ => None,
        }
    }

    /// Whether the CRL is a base CRL plus a delta CRL (mode `crl`).
    pub fn crl_delta(&self) -> bool {
        matches!(self, Self::Crl(s) if s.delta)
    }

    /// How often the server re-reads its CRL (the CRL modes).
    pub fn crl_reload(&self) -> Option<Duration> {
        match self {
            Self::Crl(s) => s.reload,
            Self::CrlHttp(s) => s.reload,
            _ => None,
        }
    }

    /// The fail policy of the modes that check a client's status (`crl`, `crl-http`, `ocsp`).
    pub fn policy(&self) -> Option<FailPolicy> {
        match self {
            Self::Crl(s) => Some(s.policy),
            Self::CrlHttp(s) => Some(s.policy),
            Self::Ocsp(s) => Some(s.policy),
            _ => None,
        }
    }

    /// Who signs OCSP answers (the OCSP modes).
    pub fn signer(&self) -> Option<OcspSigner> {
        match self {
            Self::Ocsp(s) => Some(s.signer),
            Self::Stapling(s) => Some(s.signer),
            _ => None,
        }
    }

    /// How long this mode may take to notice a revocation: the CRL reload interval, the OCSP
    /// cache TTL, the staple refresh interval, or the certificate lifetime plus one second
    /// (X.509 times have one-second precision and a certificate is valid through its notAfter
    /// second: a measured 3,461 ms against a 3 s lifetime showed it).
    pub fn refresh_interval(&self) -> Option<Duration> {
        match self {
            Self::None => None,
            Self::Crl(s) => s.reload,
            Self::CrlHttp(s) => s.reload,
            Self::Ocsp(s) => Some(s.cache_ttl),
            Self::Stapling(s) => Some(s.staple_refresh),
            Self::ShortLived(s) => Some(s.cert_lifetime + Duration::from_secs(1)),
        }
    }

    /// Whether the case needs the revocation service (OCSP responder, CRL endpoint).
    pub fn needs_service(&self) -> bool {
        self.service().is_some()
    }

    /// Whether the certificates must name CRL URLs of their own (sharded CRLs: each names its
    /// shard; a delta CRL: its Freshest CRL), so the revocation service's URL goes into them.
    pub fn names_own_crl_urls(&self) -> bool {
        self.crl_list().is_some_and(|l| l.shards > 1) || self.crl_delta()
    }
}
