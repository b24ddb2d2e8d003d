//! Go crypto/tls's spelling of the scenario's TLS parameters, as the Go server program
//! (`peers/programs/go_server.go`) takes them: versions `1.2`/`1.3`, TLS 1.2 suites by their
//! IANA names (Go's `tls.CipherSuiteName`), curves `X25519`/`P256`/`P384`.
//!
//! crypto/tls has no setting for its TLS 1.3 suites, and Go 1.19 (Debian 12) no X25519MLKEM768:
//! [`unsupported`] names what a case asks for that it cannot do.

use crate::scenario::{CipherSuite, KxGroup, TlsVersion};

/// Go's name of a curve, `None` for one Go 1.19 lacks.
pub fn curve(group: KxGroup) -> Option<&'static str> {
    match group {
        KxGroup::X25519 => Some("X25519"),
        KxGroup::Secp256r1 => Some("P256"),
        KxGroup::Secp384r1 => Some("P384"),
        KxGroup::X25519MlKem768 => None,
    }
}

/// The program's name of a version.
pub fn version(v: TlsVersion) -> &'static str {
    match v {
        TlsVersion::Tls12 => "1.2",
        TlsVersion::Tls13 => "1.3",
    }
}

/// The TLS 1.2 suites of `suites` by Go's names (the IANA names the scenario uses).
pub fn tls12_suites(suites: &[CipherSuite]) -> Vec<&'static str> {
    suites
        .iter()
        .filter(|s| s.version() == TlsVersion::Tls12)
        .map(|s| s.name())
        .collect()
}

/// Why crypto/tls cannot run with `suites` and `groups`, if it cannot.
pub fn unsupported(suites: &[CipherSuite], groups: &[KxGroup]) -> Option<String> {
    if groups.iter().any(|&g| curve(g).is_none()) {
        return Some("Go 1.19's crypto/tls (Debian 12) has no X25519MLKEM768".to_string());
    }
    let t13: Vec<&str> = suites
        .iter()
        .filter(|s| s.version() == TlsVersion::Tls13)
        .map(|s| s.name())
        .collect();
    let all13 = CipherSuite::ALL
        .iter()
        .filter(|s| s.version() == TlsVersion::Tls13)
        .count();
    (!t13.is_empty() && t13.len() < all13).then(|| {
        format!(
            "crypto/tls has no setting for its TLS 1.3 suites (it always offers all three); {} cannot be narrowed to",
            t13.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_go_cannot_do_is_named() {
        assert!(unsupported(&[CipherSuite::Tls13Aes128GcmSha256], &[]).is_some());
        assert!(unsupported(
            &[CipherSuite::EcdheEcdsaAes128GcmSha256],
            &[KxGroup::X25519]
        )
        .is_none());
        assert!(unsupported(&[], &[KxGroup::X25519MlKem768]).is_some());
        assert_eq!(curve(KxGroup::Secp256r1), Some("P256"));
    }
}
