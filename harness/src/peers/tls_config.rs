//! Building rustls configurations from a case's settings: the aws-lc-rs provider restricted to
//! the case's groups, the case's protocol versions, and the PKI's roots.

use std::sync::Arc;

use rustls::crypto::aws_lc_rs::{self, kx_group};
use rustls::crypto::{CryptoProvider, SupportedKxGroup};
use rustls::pki_types::CertificateDer;
use rustls::{RootCertStore, SupportedProtocolVersion};

use crate::scenario::{KxGroup, TlsVersion};

/// The rustls group for a scenario group.
pub fn kx(group: KxGroup) -> &'static dyn SupportedKxGroup {
    match group {
        KxGroup::X25519 => kx_group::X25519,
        KxGroup::Secp256r1 => kx_group::SECP256R1,
        KxGroup::Secp384r1 => kx_group::SECP384R1,
        KxGroup::X25519MlKem768 => kx_group::X25519MLKEM768,
    }
}

/// The aws-lc-rs provider offering exactly `groups`, in that order; every group when empty.
pub fn provider(groups: &[KxGroup]) -> Arc<CryptoProvider> {
    let mut provider = aws_lc_rs::default_provider();
    provider.kx_groups = if groups.is_empty() {
        aws_lc_rs::ALL_KX_GROUPS.to_vec()
    } else {
        groups.iter().map(|&g| kx(g)).collect()
    };
    Arc::new(provider)
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
