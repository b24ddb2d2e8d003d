//! Building rustls configurations from a case's settings: the aws-lc-rs provider restricted to
//! the case's groups, the case's protocol versions, and the PKI's roots.

use std::sync::Arc;

use rustls::crypto::aws_lc_rs::{self, kx_group};
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::pki_types::CertificateDer;
use rustls::{RootCertStore, SupportedProtocolVersion};

use crate::measure::Negotiated;
use crate::scenario::{CipherSuite, KxGroup, TlsVersion};

/// The rustls group for a scenario group.
pub fn kx(group: KxGroup) -> &'static dyn SupportedKxGroup {
    match group {
        KxGroup::X25519 => kx_group::X25519,
        KxGroup::Secp256r1 => kx_group::SECP256R1,
        KxGroup::Secp384r1 => kx_group::SECP384R1,
        KxGroup::X25519MlKem768 => kx_group::X25519MLKEM768,
    }
}

/// The rustls suite for a scenario suite.
pub fn suite(suite: CipherSuite) -> rustls::SupportedCipherSuite {
    use aws_lc_rs::cipher_suite as cs;
    match suite {
        CipherSuite::Tls13Aes128GcmSha256 => cs::TLS13_AES_128_GCM_SHA256,
        CipherSuite::Tls13Aes256GcmSha384 => cs::TLS13_AES_256_GCM_SHA384,
        CipherSuite::Tls13Chacha20Poly1305Sha256 => cs::TLS13_CHACHA20_POLY1305_SHA256,
        CipherSuite::EcdheEcdsaAes128GcmSha256 => cs::TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::EcdheEcdsaAes256GcmSha384 => cs::TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
        CipherSuite::EcdheEcdsaChacha20Poly1305Sha256 => {
            cs::TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256
        }
        CipherSuite::EcdheRsaAes128GcmSha256 => cs::TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
        CipherSuite::EcdheRsaAes256GcmSha384 => cs::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        CipherSuite::EcdheRsaChacha20Poly1305Sha256 => {
            cs::TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256
        }
    }
}

/// The scenario suite a rustls suite is, if it is one the scenarios can name.
pub fn suite_name(suite: rustls::CipherSuite) -> Option<CipherSuite> {
    CipherSuite::ALL
        .iter()
        .copied()
        .find(|&s| self::suite(s).suite() == suite)
}

/// The scenario group a rustls group is, if it is one the scenarios can name.
pub fn group_name(group: rustls::NamedGroup) -> Option<KxGroup> {
    KxGroup::ALL
        .iter()
        .copied()
        .find(|&g| kx(g).name() == group)
}

/// Unnamed parameters (none the scenarios can name) are recorded as this.
pub const UNKNOWN: &str = "unknown";

/// What a handshake negotiated, in [`Negotiated`]'s names, from rustls's values; the OpenSSL
/// client passes the code points it reads through the same table.
pub fn negotiated(
    version: rustls::ProtocolVersion,
    suite: rustls::CipherSuite,
    group: Option<rustls::NamedGroup>,
    resumed: bool,
) -> Negotiated {
    let version = match version {
        rustls::ProtocolVersion::TLSv1_3 => TlsVersion::Tls13.negotiated_name(),
        rustls::ProtocolVersion::TLSv1_2 => TlsVersion::Tls12.negotiated_name(),
        _ => UNKNOWN,
    };
    Negotiated {
        version,
        suite: suite_name(suite).map_or(UNKNOWN, CipherSuite::name),
        group: group.map(|g| group_name(g).map_or(UNKNOWN, KxGroup::negotiated_name)),
        resumed,
    }
}

/// The aws-lc-rs provider offering exactly `groups` and `suites`, in that order; every group
/// when `groups` is empty, and all of the provider's suites when `suites` is empty.
pub fn provider_with(groups: &[KxGroup], suites: &[CipherSuite]) -> Arc<CryptoProvider> {
    let mut provider = aws_lc_rs::default_provider();
    provider.kx_groups = if groups.is_empty() {
        aws_lc_rs::ALL_KX_GROUPS.to_vec()
    } else {
        groups.iter().map(|&g| kx(g)).collect()
    };
    if !suites.is_empty() {
        provider.cipher_suites = suites.iter().map(|&s| suite(s)).collect();
    }
    Arc::new(provider)
}

/// The aws-lc-rs provider offering exactly `groups` (every group when empty), default suites.
pub fn provider(groups: &[KxGroup]) -> Arc<CryptoProvider> {
    provider_with(groups, &[])
}

/// The rustls protocol versions for scenario versions, highest first.
pub fn versions(versions: &[TlsVersion]) -> Vec<&'static SupportedProtocolVersion> {
    let mut out = Vec::new();
    if versions.contains(&TlsVersion::Tls13) {
        out.push(&rustls::version::TLS13);
    }
    if versions.contains(&TlsVersion::Tls12) {
        out.push(&rustls::version::TLS12);
    }
    out
}

/// A root store holding `roots`.
///
/// # Errors
/// When a certificate is not a usable trust anchor.
pub fn root_store(roots: &[CertificateDer<'static>]) -> Result<Arc<RootCertStore>, rustls::Error> {
    let mut store = RootCertStore::empty();
    for root in roots {
        store.add(root.clone())?;
    }
    Ok(Arc::new(store))
}
