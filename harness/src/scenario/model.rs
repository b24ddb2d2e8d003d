//! The validated scenario model: what a run executes. Built only by the parser, so every value
//! in it has been checked.

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use serde::Serialize;
use time::OffsetDateTime;

use crate::measure::Outcome;
use crate::pki::{ClientCert, CrlKind, KeyType, PkiSpec};

/// A validated scenario file, matrix already expanded.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// Where it was read from.
    pub file: PathBuf,
    /// `name`: used in the run directory's name.
    pub name: String,
    /// `description`.
    pub description: String,
    /// `[pki]`.
    pub pki: PkiSettings,
    /// Every case, in file order (matrix combinations in axis order).
    pub cases: Vec<Case>,
}

/// `[pki]`: what every case's fixtures share.
#[derive(Clone, Debug, Serialize)]
pub struct PkiSettings {
    /// Seed for key generation.
    pub seed: u64,
    /// Anchor time for validity periods.
    #[serde(with = "time::serde::rfc3339")]
    pub anchor: OffsetDateTime,
    /// Size of the client identity pool.
    pub identities: usize,
    /// Intermediate CAs between root and leaves.
    pub intermediates: u8,
}

impl Default for PkiSettings {
    fn default() -> Self {
        Self {
            seed: 1,
            anchor: PkiSpec::default_anchor(),
            identities: 100,
            intermediates: 1,
        }
    }
}

impl PkiSettings {
    /// The fixture spec for a case with key type `key` and `intermediates` CAs.
    pub fn spec(&self, key: KeyType, intermediates: u8) -> PkiSpec {
        PkiSpec {
            seed: self.seed,
            anchor: self.anchor,
            key_type: key,
            identities: self.identities,
            intermediates,
            revocation_url: None,
        }
    }
}

/// One case: a server, a client, credentials, TLS settings, a load and an expectation.
#[derive(Clone, Debug, Serialize)]
pub struct Case {
    /// Unique within the scenario.
    pub name: String,
    /// Free text.
    pub description: String,
    /// The server peer.
    pub server: ServerImpl,
    /// The client peer.
    pub client: ClientImpl,
    /// Key type of the whole hierarchy.
    pub key: KeyType,
    /// Intermediate CAs between root and leaves (chain depth), 1 to 4.
    pub intermediates: u8,
    /// Whether the server asks for a client certificate.
    pub client_auth: ClientAuth,
    /// What the client presents.
    pub client_cert: ClientCert,
    /// Protocol settings.
    pub tls: TlsSettings,
    /// Revocation checking of client certificates.
    pub revocation: Revocation,
    /// How the load is generated.
    pub load: LoadSpec,
    /// Worker threads of the server process; `None`: one per usable CPU.
    pub server_threads: Option<usize>,
    /// The most intermediates the server accepts in a client chain (OpenSSL's verify depth);
    /// `None`: the peer's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verify_depth: Option<u8>,
    /// Subject CNs the server admits (after a valid chain); others get `access_denied` (nginx:
    /// HTTP 403). Empty: no allow-list.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_clients: Vec<String>,
    /// What the case must produce.
    pub expect: Expectation,
    /// The matrix axis values that made this case (empty outside a matrix).
    pub axes: Vec<(String, String)>,
}

macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($(#[$vmeta])* $variant),+ }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The name used in scenario files and reports.
            pub fn name(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Self::ALL.iter().copied().find(|v| v.name() == s).ok_or_else(|| {
                    let names: Vec<_> = Self::ALL.iter().map(|v| format!("\"{}\"", v.name())).collect();
                    format!("one of {}", names.join(", "))
                })
            }
        }

        impl Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.name())
            }
        }
    };
}

named_enum!(
    /// Server implementations: the built-in rustls and OpenSSL servers, `openssl s_server` and
    /// nginx (the process peers are skipped, with the reason, when not installed).
    ServerImpl {
        /// The harness's own rustls server (`mtls-harness serve`).
        Rustls => "rustls",
        /// The harness's OpenSSL server through the `openssl` crate (`serve --impl openssl`).
        Openssl => "openssl",
        /// The installed `openssl s_server` (with `-verify_return_error` and `-www`).
        SServer => "s_server",
        /// A real nginx process with a generated configuration.
        Nginx => "nginx",
    }
);

named_enum!(
    /// Client implementations.
    ClientImpl {
        /// The harness's own rustls client (in-process, the load engine's).
        Rustls => "rustls",
        /// The harness's OpenSSL client (in-process, `openssl` crate), resumption off only.
        Openssl => "openssl",
        /// The installed `openssl s_client`, one process per handshake.
        SClient => "s_client",
        /// A Node.js client (the https module with cert, key and ca), one process per
        /// handshake.
        Node => "node",
    }
);

named_enum!(
    /// Signature schemes a server accepts for the client's CertificateVerify (the
    /// signature_algorithms of its CertificateRequest), by their RFC 8446 names, which OpenSSL
    /// and nginx take as they are.
    SigScheme {
        /// ECDSA P-256 with SHA-256.
        EcdsaP256Sha256 => "ecdsa_secp256r1_sha256",
        /// ECDSA P-384 with SHA-384.
        EcdsaP384Sha384 => "ecdsa_secp384r1_sha384",
        /// Ed25519.
        Ed25519 => "ed25519",
        /// RSA-PSS (rsaEncryption key) with SHA-256.
        RsaPssRsaeSha256 => "rsa_pss_rsae_sha256",
        /// RSA-PSS (rsaEncryption key) with SHA-384.
        RsaPssRsaeSha384 => "rsa_pss_rsae_sha384",
        /// RSA PKCS#1 v1.5 with SHA-256 (TLS 1.2 only).
        RsaPkcs1Sha256 => "rsa_pkcs1_sha256",
    }
);

impl SigScheme {
    /// Whether a key of `key` type can sign with this scheme.
    pub fn fits(self, key: crate::pki::KeyType) -> bool {
        use crate::pki::KeyType as K;
        matches!(
            (self, key),
            (SigScheme::EcdsaP256Sha256, K::EcdsaP256)
                | (SigScheme::EcdsaP384Sha384, K::EcdsaP384)
                | (SigScheme::Ed25519, K::Ed25519)
                | (
                    SigScheme::RsaPssRsaeSha256
                        | SigScheme::RsaPssRsaeSha384
                        | SigScheme::RsaPkcs1Sha256,
                    K::Rsa2048 | K::Rsa3072 | K::Rsa4096
                )
        )
    }

    /// The rustls value.
    pub fn rustls(self) -> rustls::SignatureScheme {
        use rustls::SignatureScheme as S;
        match self {
            SigScheme::EcdsaP256Sha256 => S::ECDSA_NISTP256_SHA256,
            SigScheme::EcdsaP384Sha384 => S::ECDSA_NISTP384_SHA384,
            SigScheme::Ed25519 => S::ED25519,
            SigScheme::RsaPssRsaeSha256 => S::RSA_PSS_SHA256,
            SigScheme::RsaPssRsaeSha384 => S::RSA_PSS_SHA384,
            SigScheme::RsaPkcs1Sha256 => S::RSA_PKCS1_SHA256,
        }
    }
}

/// Peer names that later versions will support: named in "not available yet" errors.
pub const PLANNED_PEERS: &[&str] = &[];

named_enum!(
    /// Whether the server requests and requires a client certificate.
    ClientAuth {
        /// Requested and required (mutual TLS).
        Required => "required",
        /// Requested, but a client without one is let in.
        Optional => "optional",
        /// Not requested (one-way TLS).
        Off => "off",
    }
);

named_enum!(
    /// Protocol versions.
    TlsVersion {
        /// TLS 1.2.
        Tls12 => "1.2",
        /// TLS 1.3.
        Tls13 => "1.3",
    }
);

named_enum!(
    /// Key-exchange groups.
    KxGroup {
        /// X25519.
        X25519 => "x25519",
        /// NIST P-256.
        Secp256r1 => "secp256r1",
        /// NIST P-384.
        Secp384r1 => "secp384r1",
        /// The hybrid post-quantum X25519MLKEM768 (TLS 1.3 only).
        X25519MlKem768 => "x25519mlkem768",
    }
);

named_enum!(
    /// Cipher suites, by their IANA names (TLS 1.3 AEAD suites and the TLS 1.2 ECDHE AEAD ones).
    CipherSuite {
        /// TLS 1.3 AES-128-GCM.
        Tls13Aes128GcmSha256 => "TLS13_AES_128_GCM_SHA256",
        /// TLS 1.3 AES-256-GCM.
        Tls13Aes256GcmSha384 => "TLS13_AES_256_GCM_SHA384",
        /// TLS 1.3 ChaCha20-Poly1305.
        Tls13Chacha20Poly1305Sha256 => "TLS13_CHACHA20_POLY1305_SHA256",
        /// TLS 1.2 ECDHE-ECDSA AES-128-GCM.
        EcdheEcdsaAes128GcmSha256 => "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
        /// TLS 1.2 ECDHE-ECDSA AES-256-GCM.
        EcdheEcdsaAes256GcmSha384 => "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
        /// TLS 1.2 ECDHE-ECDSA ChaCha20-Poly1305.
        EcdheEcdsaChacha20Poly1305Sha256 => "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
        /// TLS 1.2 ECDHE-RSA AES-128-GCM.
        EcdheRsaAes128GcmSha256 => "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        /// TLS 1.2 ECDHE-RSA AES-256-GCM.
        EcdheRsaAes256GcmSha384 => "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        /// TLS 1.2 ECDHE-RSA ChaCha20-Poly1305.
        EcdheRsaChacha20Poly1305Sha256 => "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
    }
);

impl CipherSuite {
    /// The protocol version the suite belongs to.
    pub fn version(self) -> TlsVersion {
        if self.name().starts_with("TLS13_") {
            TlsVersion::Tls13
        } else {
            TlsVersion::Tls12
        }
    }

    /// For TLS 1.2 suites, whether the server's key type can use it (ECDSA suites take ECDSA
    /// and Ed25519 keys, RSA suites RSA keys). TLS 1.3 suites work with every key.
    pub fn fits_key(self, key: KeyType) -> bool {
        let rsa = key.rsa_bits().is_some();
        match self.version() {
            TlsVersion::Tls13 => true,
            TlsVersion::Tls12 => self.name().contains("_RSA_") == rsa,
        }
    }
}

named_enum!(
    /// Session resumption.
    ResumptionMode {
        /// Every handshake is full; the server keeps no sessions and issues no tickets.
        Off => "off",
        /// Stateful: TLS 1.2 session IDs, TLS 1.3 tickets backed by the server's session cache.
        SessionId => "session-id",
        /// Stateless tickets: TLS 1.2 session tickets (RFC 5077), TLS 1.3 PSK tickets.
        Tickets => "tickets",
    }
);

named_enum!(
    /// How the server checks the revocation of client certificates.
    RevocationMode {
        /// Not at all.
        None => "none",
        /// Against a CRL file issued by the leaves' CA, loaded at start.
        Crl => "crl",
        /// Against the CRL the server downloads from the distribution point in the
        /// certificates (the harness's revocation service), again on every reload.
        CrlHttp => "crl-http",
        /// The server asks the OCSP responder named in each client certificate's AIA.
        Ocsp => "ocsp",
        /// The server staples an OCSP response about its own certificate, which the harness's
        /// client verifies (client certificates are not checked for revocation).
        OcspStapling => "ocsp-stapling",
        /// No revocation checking: client certificates live for `cert_lifetime` and are
        /// renewed before they expire.
        ShortLived => "short-lived",
    }
);

named_enum!(
    /// A fault the revocation service (OCSP responder and CRL endpoint) injects.
    ResponderFault {
        /// Answers correctly.
        None => "none",
        /// Connection refused: the listener is closed.
        Down => "down",
        /// Accepts and never answers.
        Timeout => "timeout",
        /// OCSP status tryLater (3).
        TryLater => "try-later",
        /// OCSP status internalError (2).
        InternalError => "internal-error",
        /// OCSP status unauthorized (6).
        Unauthorized => "unauthorized",
        /// HTTP 200 with a body that is not DER.
        Malformed => "malformed",
        /// A signed answer whose nextUpdate has passed.
        Stale => "stale",
        /// A signed answer whose thisUpdate is in the future.
        Future => "future",
        /// A signature that does not verify.
        BadSignature => "bad-signature",
        /// Status unknown for every certificate.
        Unknown => "unknown",
        /// The request's nonce is not echoed.
        NoNonce => "no-nonce",
        /// Another nonce is echoed.
        WrongNonce => "wrong-nonce",
    }
);

named_enum!(
    /// Who signs OCSP responses.
    OcspSigner {
        /// The CA that issued the certificate.
        Ca => "ca",
        /// The CA's delegated responder certificate (id-kp-OCSPSigning).
        Delegated => "delegated",
        /// A certificate of the CA without id-kp-OCSPSigning (a forgery the checker must refuse).
        Unauthorized => "unauthorized",
    }
);

named_enum!(
    /// What a server does when a certificate's revocation status cannot be determined (no
    /// usable CRL for its issuer, a stale one).
    FailPolicy {
        /// Reject.
        Hard => "hard",
        /// Accept.
        Soft => "soft",
    }
);

/// Revocation settings of a case.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Revocation {
    /// The mechanism.
    pub mode: RevocationMode,
    /// Filler entries in the CRL besides the revoked client (its size), mode `crl` only.
    pub crl_entries: usize,
    /// The CRL the server is given: fresh, or one it cannot use.
    pub crl: CrlKind,
    /// Hard or soft fail when the status is undetermined.
    pub policy: FailPolicy,
    /// How often the server re-reads its CRL (mode `crl`); `None`: loaded once.
    #[serde(rename = "reload_ms", serialize_with = "ser_opt_ms")]
    pub reload: Option<Duration>,
    /// When (after the warm-up) the harness revokes the victim client and re-publishes the
    /// CRL, to measure the exposure window; `None`: nobody is revoked mid-run.
    #[serde(rename = "revoke_after_ms", serialize_with = "ser_opt_ms")]
    pub revoke_after: Option<Duration>,
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
            policy: FailPolicy::Hard,
            reload: None,
            revoke_after: None,
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

    /// What a client that checks the server's staple gets (client certificates are not
    /// checked in this mode): a good staple is accepted; a server that could not get one sends
    /// none (rejected only for Must-Staple); a bad answer is dropped by a verifying server and
    /// stapled, then refused by the client, by a careless one.
    pub fn staple_expectation(&self) -> Expectation {
        use ResponderFault as F;
        let no_staple = if self.must_staple {
            Expectation::Reject(Some(Outcome::StapleRejected))
        } else {
            Expectation::Accept
        };
        // Staples are fetched without a nonce: the nonce faults change nothing.
        let fault = match self.fault {
            F::NoNonce | F::WrongNonce => F::None,
            f => f,
        };
        let reaches_server =
            !matches!(fault, F::Down | F::Timeout) && self.responder_delay < self.query_timeout;
        let good =
            fault == F::None && self.signer != OcspSigner::Unauthorized && !self.server_revoked;
        // A revoked status is a valid answer: even a verifying server staples it.
        let revoked_valid =
            self.server_revoked && fault == F::None && self.signer != OcspSigner::Unauthorized;
        match (reaches_server, good, self.staple_verify) {
            (false, _, _) => no_staple,
            (true, false, _) if revoked_valid => Expectation::Reject(Some(Outcome::StapleRejected)),
            (true, true, _) => Expectation::Accept,
            (true, false, true) => no_staple,
            (true, false, false) => Expectation::Reject(Some(Outcome::StapleRejected)),
        }
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

fn ser_opt_ms<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => ser_ms(d, s),
        None => s.serialize_none(),
    }
}

/// TLS settings of a case.
#[derive(Clone, Debug, Serialize)]
pub struct TlsSettings {
    /// Versions both sides enable.
    pub versions: Vec<TlsVersion>,
    /// Groups the client offers, in preference order.
    pub groups: Vec<KxGroup>,
    /// Suites the client offers, in preference order; empty: the stack's defaults.
    pub suites: Vec<CipherSuite>,
    /// Groups the server accepts; empty: all it supports.
    pub server_groups: Vec<KxGroup>,
    /// Suites the server accepts; empty: all it supports.
    pub server_suites: Vec<CipherSuite>,
    /// Signature schemes the server accepts from the client (CertificateRequest); empty: the
    /// stack's defaults. The harness's client then signs with its key's own scheme whatever
    /// the server lists, so a key type the server does not allow reaches the server.
    pub client_sigalgs: Vec<SigScheme>,
    /// Session resumption mode.
    pub resumption: ResumptionMode,
    /// TLS 1.3 tickets the server sends after each handshake (resumption on only).
    pub tickets: u32,
    /// Fraction of handshakes that try to resume (resumption on only), in (0, 1].
    pub resume_fraction: f64,
}

impl TlsSettings {
    /// The version a handshake will negotiate: the highest enabled.
    pub fn highest(&self) -> TlsVersion {
        self.versions
            .iter()
            .copied()
            .max()
            .unwrap_or(TlsVersion::Tls13)
    }
}

/// How the load engine schedules handshakes.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Schedule {
    /// Fixed concurrency: each of `concurrency` workers starts a new handshake as soon as its
    /// previous one ends.
    Closed {
        /// Handshakes in flight.
        concurrency: usize,
    },
    /// Fixed arrival rate; latency counts from each handshake's scheduled start.
    Open {
        /// Handshakes started per second.
        rate_per_sec: f64,
        /// Upper bound on handshakes in flight (workers).
        max_in_flight: usize,
    },
}

/// When the measured part of a case ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stop {
    /// After this long (after warm-up).
    #[serde(rename = "duration_ms", serialize_with = "ser_ms")]
    Duration(Duration),
    /// After this many measured handshakes have been started.
    #[serde(rename = "handshakes")]
    Handshakes(u64),
}

/// The load of a case.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct LoadSpec {
    /// Closed or open loop.
    pub schedule: Schedule,
    /// When measuring stops.
    pub stop: Stop,
    /// Handshakes started in this initial period are not measured.
    #[serde(rename = "warmup_ms", serialize_with = "ser_ms")]
    pub warmup: Duration,
    /// Per-handshake limit (connect + TLS + request + status line).
    #[serde(rename = "timeout_ms", serialize_with = "ser_ms")]
    pub timeout: Duration,
}

fn ser_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// What a case must produce.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expectation {
    /// Every measured handshake accepted.
    Accept,
    /// Every measured handshake rejected by the server: with this class when given, else with
    /// any server verdict.
    Reject(Option<Outcome>),
    /// Local policy: every measured handshake ends in the same verdict, acceptance or a server
    /// rejection, and the report records which.
    Record,
}

impl Serialize for Expectation {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl fmt::Display for Expectation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expectation::Accept => f.write_str("accept"),
            Expectation::Reject(None) => f.write_str("reject"),
            Expectation::Record => f.write_str("record"),
            Expectation::Reject(Some(o)) => write!(f, "reject:{o}"),
        }
    }
}

impl Expectation {
    /// The expectation RFC 8446/5280 imply for a client credential, used when a case says none:
    /// a valid (or, without required auth, absent) certificate is accepted; each bad variant is
    /// rejected with the alert its definition names.
    /// A `revoked` certificate is rejected only where the server checks revocation.
    pub fn derived(
        cert: ClientCert,
        auth: ClientAuth,
        version: TlsVersion,
        revocation: Revocation,
    ) -> Expectation {
        let reject = |o| Expectation::Reject(Some(o));
        match (cert, auth) {
            (
                ClientCert::Valid | ClientCert::Revoked,
                ClientAuth::Required | ClientAuth::Optional,
            ) if revocation.mode == RevocationMode::Crl => {
                let revoked = cert == ClientCert::Revoked;
                let listed = if revoked {
                    reject(Outcome::CertRevoked)
                } else {
                    Expectation::Accept
                };
                match (revocation.crl, revocation.policy) {
                    (kind, _) if kind.usable() => listed,
                    // Status undetermined: hard-fail rejects (with whatever alert), soft-fail
                    // accepts (a stale CRL is still read: it lists the revoked client).
                    (_, FailPolicy::Hard) => Expectation::Reject(None),
                    (CrlKind::Stale, FailPolicy::Soft) => listed,
                    (_, FailPolicy::Soft) => Expectation::Accept,
                }
            }
            (
                ClientCert::Valid | ClientCert::Revoked,
                ClientAuth::Required | ClientAuth::Optional,
            ) if revocation.mode == RevocationMode::CrlHttp => {
                let listed = if cert == ClientCert::Revoked {
                    reject(Outcome::CertRevoked)
                } else {
                    Expectation::Accept
                };
                let reachable = matches!(
                    revocation.fault,
                    crate::scenario::ResponderFault::None
                        | crate::scenario::ResponderFault::Unknown
                        | crate::scenario::ResponderFault::NoNonce
                        | crate::scenario::ResponderFault::WrongNonce
                        | crate::scenario::ResponderFault::Stale
                        | crate::scenario::ResponderFault::Future
                        | crate::scenario::ResponderFault::BadSignature
                        | crate::scenario::ResponderFault::TryLater
                        | crate::scenario::ResponderFault::InternalError
                        | crate::scenario::ResponderFault::Unauthorized
                ) && revocation.responder_delay < revocation.query_timeout;
                match (reachable, revocation.crl, revocation.policy) {
                    (true, kind, _) if kind.usable() => listed,
                    (_, _, FailPolicy::Hard) => Expectation::Reject(None),
                    (true, CrlKind::Stale, FailPolicy::Soft) => listed,
                    (_, _, FailPolicy::Soft) => Expectation::Accept,
                }
            }
            (
                ClientCert::Valid | ClientCert::Revoked,
                ClientAuth::Required | ClientAuth::Optional,
            ) if revocation.mode == RevocationMode::Ocsp => {
                match (
                    revocation.ocsp_view(cert == ClientCert::Revoked),
                    revocation.policy,
                ) {
                    (OcspView::Revoked, _) => reject(Outcome::CertRevoked),
                    (OcspView::Good, _) | (OcspView::Undetermined, FailPolicy::Soft) => {
                        Expectation::Accept
                    }
                    // No RFC names the alert for an unknown or untrustworthy status: the
                    // rustls server and nginx answer unknown_ca, the OpenSSL server
                    // certificate_unknown (X509_V_ERR_OCSP_VERIFY_FAILED).
                    (OcspView::Undetermined, FailPolicy::Hard) | (OcspView::Refused, _) => {
                        Expectation::Reject(None)
                    }
                }
            }
            (ClientCert::Valid | ClientCert::Revoked, _)
                if revocation.mode == RevocationMode::OcspStapling =>
            {
                revocation.staple_expectation()
            }
            (ClientCert::Revoked, _) => Expectation::Accept,
            (ClientCert::Valid, _) | (_, ClientAuth::Off) => Expectation::Accept,
            (ClientCert::None, ClientAuth::Optional) => Expectation::Accept,
            (ClientCert::None, _) => match version {
                TlsVersion::Tls13 => reject(Outcome::CertRequired),
                TlsVersion::Tls12 => reject(Outcome::HandshakeFailure),
            },
            (ClientCert::Expired | ClientCert::NotYetValid, _) => reject(Outcome::CertExpired),
            (ClientCert::ServerAuthOnly, _) => reject(Outcome::UnsupportedCertificate),
            (ClientCert::UnknownCa | ClientCert::MissingIntermediate, _) => {
                reject(Outcome::UnknownCa)
            }
            (ClientCert::MismatchedKey, _) => reject(Outcome::DecryptError),
            // "bad_certificate (recommended)"; the definition of bad_certificate for a
            // signature that does not verify.
            (ClientCert::Sha1Signed | ClientCert::BadSignature, _) => {
                reject(Outcome::BadCertificate)
            }
            // bad_certificate or insufficient_security; rejected without a required key usage.
            (ClientCert::WeakRsa | ClientCert::NoDigitalSignature, _) => Expectation::Reject(None),
            (ClientCert::NameConstraints, _) => reject(Outcome::CertificateUnknown),
            // Tolerated (RFC 8446 4.4.2), and EKU absent means any use (RFC 5280 4.2.1.12). A
            // deep chain is valid; the parser turns it into unknown_ca where the case's
            // verify_depth is shorter.
            (ClientCert::ExtraCert | ClientCert::NoEku | ClientCert::DeepChain, _) => {
                Expectation::Accept
            }
            // Local policy: whatever the peer does is recorded.
            (ClientCert::CaLeaf, _) => Expectation::Record,
            // Valid leaves under CAs the revocation sources do not cover (the misordered
            // chain's CAs, the CA without cRLSign): where the server checks the client's
            // revocation status, none can be had.
            (ClientCert::MisorderedChain | ClientCert::NoCrlSignIssuer, _) => {
                match (revocation.mode, revocation.policy) {
                    (
                        RevocationMode::Crl | RevocationMode::CrlHttp | RevocationMode::Ocsp,
                        FailPolicy::Hard,
                    ) => Expectation::Reject(None),
                    _ => Expectation::Accept,
                }
            }
        }
    }
}
