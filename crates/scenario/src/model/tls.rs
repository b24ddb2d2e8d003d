//! Protocol settings of a case: versions, key-exchange groups, cipher suites, the signature
//! schemes a server accepts from clients, session resumption, and [`TlsSettings`] that holds
//! them. Names come from strum (IANA and RFC 8446 spellings, as scenario files write them).

use serde::Serialize;
use strum::VariantArray;

use crate::pki::{KeyType, UnknownName};

/// Signature schemes a server accepts for the client's CertificateVerify (the
/// signature_algorithms of its CertificateRequest), by their RFC 8446 names, which OpenSSL
/// and nginx take as they are.
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
pub enum SigScheme {
    /// ECDSA P-256 with SHA-256.
    #[strum(serialize = "ecdsa_secp256r1_sha256")]
    EcdsaP256Sha256,
    /// ECDSA P-384 with SHA-384.
    #[strum(serialize = "ecdsa_secp384r1_sha384")]
    EcdsaP384Sha384,
    /// Ed25519.
    #[strum(serialize = "ed25519")]
    Ed25519,
    /// RSA-PSS (rsaEncryption key) with SHA-256.
    #[strum(serialize = "rsa_pss_rsae_sha256")]
    RsaPssRsaeSha256,
    /// RSA-PSS (rsaEncryption key) with SHA-384.
    #[strum(serialize = "rsa_pss_rsae_sha384")]
    RsaPssRsaeSha384,
    /// RSA PKCS#1 v1.5 with SHA-256 (TLS 1.2 only).
    #[strum(serialize = "rsa_pkcs1_sha256")]
    RsaPkcs1Sha256,
}

impl SigScheme {
    /// Every value.
    pub const ALL: &'static [SigScheme] = <Self as VariantArray>::VARIANTS;

    /// The name used in scenario files and reports.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

impl SigScheme {
    /// Whether a key of `key` type can sign with this scheme.
    pub fn fits(self, key: KeyType) -> bool {
        use KeyType as K;
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

/// Protocol versions.
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
pub enum TlsVersion {
    /// TLS 1.2.
    #[strum(serialize = "1.2")]
    Tls12,
    /// TLS 1.3.
    #[strum(serialize = "1.3")]
    Tls13,
}

impl TlsVersion {
    /// Every value.
    pub const ALL: &'static [TlsVersion] = <Self as VariantArray>::VARIANTS;

    /// The name used in scenario files and reports.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The name a handshake that negotiated this version is recorded under (`TLSv1_3`, the
    /// registry spelling rustls uses; `measure::Negotiated` and `summary.json` carry it).
    pub fn negotiated_name(self) -> &'static str {
        match self {
            TlsVersion::Tls12 => "TLSv1_2",
            TlsVersion::Tls13 => "TLSv1_3",
        }
    }
}

/// Key-exchange groups.
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
pub enum KxGroup {
    /// X25519.
    #[strum(serialize = "x25519")]
    X25519,
    /// NIST P-256.
    #[strum(serialize = "secp256r1")]
    Secp256r1,
    /// NIST P-384.
    #[strum(serialize = "secp384r1")]
    Secp384r1,
    /// The hybrid post-quantum X25519MLKEM768 (TLS 1.3 only).
    #[strum(serialize = "x25519mlkem768")]
    X25519MlKem768,
}

impl KxGroup {
    /// Every value.
    pub const ALL: &'static [KxGroup] = <Self as VariantArray>::VARIANTS;

    /// The name used in scenario files and reports.
    pub fn name(self) -> &'static str {
        self.into()
    }

    /// The name a handshake that negotiated this group is recorded under (`X25519`,
    /// `secp256r1`, `X25519MLKEM768`: the registry spelling rustls uses).
    pub fn negotiated_name(self) -> &'static str {
        match self {
            KxGroup::X25519 => "X25519",
            KxGroup::Secp256r1 => "secp256r1",
            KxGroup::Secp384r1 => "secp384r1",
            KxGroup::X25519MlKem768 => "X25519MLKEM768",
        }
    }
}

/// Cipher suites, by their IANA names (TLS 1.3 AEAD suites and the TLS 1.2 ECDHE AEAD ones).
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
pub enum CipherSuite {
    /// TLS 1.3 AES-128-GCM.
    #[strum(serialize = "TLS13_AES_128_GCM_SHA256")]
    Tls13Aes128GcmSha256,
    /// TLS 1.3 AES-256-GCM.
    #[strum(serialize = "TLS13_AES_256_GCM_SHA384")]
    Tls13Aes256GcmSha384,
    /// TLS 1.3 ChaCha20-Poly1305.
    #[strum(serialize = "TLS13_CHACHA20_POLY1305_SHA256")]
    Tls13Chacha20Poly1305Sha256,
    /// TLS 1.2 ECDHE-ECDSA AES-128-GCM.
    #[strum(serialize = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256")]
    EcdheEcdsaAes128GcmSha256,
    /// TLS 1.2 ECDHE-ECDSA AES-256-GCM.
    #[strum(serialize = "TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")]
    EcdheEcdsaAes256GcmSha384,
    /// TLS 1.2 ECDHE-ECDSA ChaCha20-Poly1305.
    #[strum(serialize = "TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256")]
    EcdheEcdsaChacha20Poly1305Sha256,
    /// TLS 1.2 ECDHE-RSA AES-128-GCM.
    #[strum(serialize = "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")]
    EcdheRsaAes128GcmSha256,
    /// TLS 1.2 ECDHE-RSA AES-256-GCM.
    #[strum(serialize = "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384")]
    EcdheRsaAes256GcmSha384,
    /// TLS 1.2 ECDHE-RSA ChaCha20-Poly1305.
    #[strum(serialize = "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256")]
    EcdheRsaChacha20Poly1305Sha256,
}

impl CipherSuite {
    /// Every value.
    pub const ALL: &'static [CipherSuite] = <Self as VariantArray>::VARIANTS;

    /// The name used in scenario files and reports.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

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

/// Session resumption.
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
pub enum ResumptionMode {
    /// Every handshake is full; the server keeps no sessions and issues no tickets.
    #[strum(serialize = "off")]
    Off,
    /// Stateful: TLS 1.2 session IDs, TLS 1.3 tickets backed by the server's session cache.
    #[strum(serialize = "session-id")]
    SessionId,
    /// Stateless tickets: TLS 1.2 session tickets (RFC 5077), TLS 1.3 PSK tickets.
    #[strum(serialize = "tickets")]
    Tickets,
}

impl ResumptionMode {
    /// Every value.
    pub const ALL: &'static [ResumptionMode] = <Self as VariantArray>::VARIANTS;

    /// The name used in scenario files and reports.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// The groups a client offers when the case names none: what stock clients offer (OpenSSL
/// 3's and Go's defaults begin X25519, P-256, P-384), X25519 first so its key share is the one
/// sent. X25519 alone would leave a TLS 1.2 server with a P-256 certificate no shared curve
/// (RFC 8422 5.1: the client's curves bind the server's ECDSA certificate too): "no shared
/// cipher" before client authentication, for every case.
pub const STOCK_GROUPS: [KxGroup; 3] = [KxGroup::X25519, KxGroup::Secp256r1, KxGroup::Secp384r1];

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
