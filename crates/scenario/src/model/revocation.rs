//! Revocation settings of a case: the mode ([`RevocationMode`]), the faults the revocation
//! service injects, who signs OCSP answers, the fail policy, and [`Revocation`] with its
//! defaults and what an OCSP-checking server learns ([`OcspView`]). What a case then expects is
//! in `verdicts.rs`.

use std::time::Duration;

use serde::Serialize;
use strum::VariantArray;

use super::millis::{ser_ms, ser_opt_ms};
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

/// Revocation settings of a case.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Revocation {
    /// The mechanism.
    pub mode: RevocationMode,
    /// Filler entries in the CRL besides the revoked client (its size), mode `crl` only.
    pub crl_entries: usize,
    /// The CRL the server is given: fresh, or one it cannot use.
    pub crl: CrlKind,
    /// The leaves' CRL split into this many shards by serial (serial mod N), each naming its
    /// URL in an Issuing Distribution Point, each certificate naming its shard's (1: one
    /// full CRL, no IDP).
    pub crl_shards: u16,
    /// The leaves' CRL as a base CRL (the filler entries) plus a delta CRL (RFC 5280 §5.2.4)
    /// listing the recent revocations (the `revoked` client); mode `crl` only.
    pub crl_delta: bool,
    /// Hard or soft fail when the status is undetermined.
    pub policy: FailPolicy,
    /// How often the server re-reads its CRL (mode `crl`); `None`: loaded once.
    #[serde(rename = "reload_ms", serialize_with = "ser_opt_ms")]
    pub reload: Option<Duration>,
    /// When (after the warm-up) the harness revokes the victim client and re-publishes the
    /// CRL, to measure the exposure window; `None`: nobody is revoked mid-run.
    #[serde(rename = "revoke_after_ms", serialize_with = "ser_opt_ms")]
    pub revoke_after: Option<Duration>,
    /// What the exposure case expects of the revoked client's resumed sessions.
    pub resumption_exposure: ResumptionExposure,
    /// How long the server reuses an OCSP answer (mode `ocsp`); zero: a cold cache.
    #[serde(rename = "cache_ttl_ms", serialize_with = "ser_ms")]
    pub cache_ttl: Duration,
    /// Added by the revocation service before every answer.
    #[serde(rename = "responder_delay_ms", serialize_with = "ser_ms")]
    pub responder_delay: Duration,
    /// A fault the revocation service injects.
    pub fault: ResponderFault,
    /// Who signs OCSP answers.
    pub signer: OcspSigner,
    /// The server sends a nonce and requires it back (mode `ocsp`).
    pub nonce: bool,
    /// Deadline of one OCSP query or CRL download by the server.
    #[serde(rename = "query_timeout_ms", serialize_with = "ser_ms")]
    pub query_timeout: Duration,
    /// How often the server refreshes its staple (mode `ocsp-stapling`).
    #[serde(rename = "staple_refresh_ms", serialize_with = "ser_ms")]
    pub staple_refresh: Duration,
    /// The server presents its OCSP Must-Staple certificate (mode `ocsp-stapling`).
    pub must_staple: bool,
    /// The server verifies a response before stapling it (mode `ocsp-stapling`); off, it
    /// staples whatever the responder sent, and the client's checks are what is tested.
    pub staple_verify: bool,
    /// The server's own certificate is revoked from the start (mode `ocsp-stapling`): its
    /// staple says revoked.
    pub server_revoked: bool,
    /// Lifetime of short-lived certificates (mode `short-lived`).
    #[serde(rename = "cert_lifetime_ms", serialize_with = "ser_ms")]
    pub cert_lifetime: Duration,
    /// Share of the lifetime after which a holder renews (mode `short-lived`).
    pub renew_at: f64,
    /// Fleet size the renewal load is reported for (mode `short-lived`).
    pub fleet: u64,
}

/// What an OCSP-checking server learns (see [`Revocation::ocsp_view`]).
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
        Self {
            mode: RevocationMode::None,
            crl_entries: 0,
            crl: CrlKind::Fresh,
            crl_shards: 1,
            crl_delta: false,
            policy: FailPolicy::Hard,
            reload: None,
            revoke_after: None,
            resumption_exposure: ResumptionExposure::Refuse,
            cache_ttl: Duration::from_secs(300),
            responder_delay: Duration::ZERO,
            fault: ResponderFault::None,
            signer: OcspSigner::Ca,
            nonce: false,
            query_timeout: Duration::from_secs(2),
            staple_refresh: Duration::from_secs(60),
            must_staple: false,
            staple_verify: true,
            server_revoked: false,
            cert_lifetime: Duration::from_secs(60),
            renew_at: 0.5,
            fleet: 100_000,
        }
    }

    /// How long this mode may take to notice a revocation: the CRL reload interval, the OCSP
    /// cache TTL, the staple refresh interval, or the certificate lifetime plus one second
    /// (X.509 times have one-second precision and a certificate is valid through its notAfter
    /// second: a measured 3,461 ms against a 3 s lifetime showed it).
    pub fn refresh_interval(&self) -> Option<Duration> {
        match self.mode {
            RevocationMode::None => None,
            RevocationMode::Crl | RevocationMode::CrlHttp => self.reload,
            RevocationMode::Ocsp => Some(self.cache_ttl),
            RevocationMode::OcspStapling => Some(self.staple_refresh),
            RevocationMode::ShortLived => Some(self.cert_lifetime + Duration::from_secs(1)),
        }
    }

    /// Whether the case needs the revocation service (OCSP responder, CRL endpoint).
    pub fn needs_service(&self) -> bool {
        matches!(
            self.mode,
            RevocationMode::CrlHttp | RevocationMode::Ocsp | RevocationMode::OcspStapling
        )
    }

    /// Whether the certificates must name CRL URLs of their own (sharded CRLs: each names its
    /// shard; a delta CRL: its Freshest CRL), so the revocation service's URL goes into them.
    pub fn names_own_crl_urls(&self) -> bool {
        self.crl_shards > 1 || self.crl_delta
    }

    /// What an OCSP-checking server learns about a certificate the CA says is `revoked` (or
    /// good), before its fail policy.
    pub fn ocsp_view(&self, revoked: bool) -> OcspView {
        use ResponderFault as F;
        if self.signer == OcspSigner::Unauthorized {
            return OcspView::Refused;
        }
        if self.responder_delay >= self.query_timeout {
            return OcspView::Undetermined;
        }
        let listed = if revoked {
            OcspView::Revoked
        } else {
            OcspView::Good
        };
        match self.fault {
            F::None => listed,
            F::NoNonce if !self.nonce => listed,
            F::Down
            | F::Timeout
            | F::TryLater
            | F::InternalError
            | F::Unauthorized
            | F::Malformed
            | F::Unknown => OcspView::Undetermined,
            F::Stale | F::Future | F::BadSignature | F::NoNonce | F::WrongNonce => {
                OcspView::Refused
            }
        }
    }
}
