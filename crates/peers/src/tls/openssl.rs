//! OpenSSL's spelling of the scenario's TLS parameters: cipher-suite and group names as the
//! `openssl` crate, `openssl s_server`/`s_client` and nginx take them.

use crate::scenario::{Case, CipherSuite, KxGroup, TlsVersion};

/// OpenSSL's name of a suite (`TLS_AES_128_GCM_SHA256`, `ECDHE-ECDSA-AES128-GCM-SHA256`).
pub fn suite(suite: CipherSuite) -> &'static str {
    match suite {
        CipherSuite::Tls13Aes128GcmSha256 => "TLS_AES_128_GCM_SHA256",
        CipherSuite::Tls13Aes256GcmSha384 => "TLS_AES_256_GCM_SHA384",
        CipherSuite::Tls13Chacha20Poly1305Sha256 => "TLS_CHACHA20_POLY1305_SHA256",
        CipherSuite::EcdheEcdsaAes128GcmSha256 => "ECDHE-ECDSA-AES128-GCM-SHA256",
        CipherSuite::EcdheEcdsaAes256GcmSha384 => "ECDHE-ECDSA-AES256-GCM-SHA384",
        CipherSuite::EcdheEcdsaChacha20Poly1305Sha256 => "ECDHE-ECDSA-CHACHA20-POLY1305",
        CipherSuite::EcdheRsaAes128GcmSha256 => "ECDHE-RSA-AES128-GCM-SHA256",
        CipherSuite::EcdheRsaAes256GcmSha384 => "ECDHE-RSA-AES256-GCM-SHA384",
        CipherSuite::EcdheRsaChacha20Poly1305Sha256 => "ECDHE-RSA-CHACHA20-POLY1305",
    }
}

/// OpenSSL's name of a group (`X25519`, `P-256`).
pub fn group(group: KxGroup) -> &'static str {
    match group {
        KxGroup::X25519 => "X25519",
        KxGroup::Secp256r1 => "P-256",
        KxGroup::Secp384r1 => "P-384",
        KxGroup::X25519MlKem768 => "X25519MLKEM768",
    }
}

/// The TLS 1.3 suites of `suites` as an OpenSSL ciphersuites string (`None` when there are
/// none: keep the library's default).
pub fn tls13_suites(suites: &[CipherSuite]) -> Option<String> {
    joined(suites, TlsVersion::Tls13, ":")
}

/// The TLS 1.2 suites of `suites` as an OpenSSL cipher list (`None` when there are none).
pub fn tls12_ciphers(suites: &[CipherSuite]) -> Option<String> {
    joined(suites, TlsVersion::Tls12, ":")
}

fn joined(suites: &[CipherSuite], version: TlsVersion, sep: &str) -> Option<String> {
    let names: Vec<&str> = suites
        .iter()
        .filter(|s| s.version() == version)
        .map(|&s| suite(s))
        .collect();
    (!names.is_empty()).then(|| names.join(sep))
}

/// The groups as an OpenSSL groups list (`X25519:P-256`), `None` when empty.
pub fn groups(groups: &[KxGroup]) -> Option<String> {
    let names: Vec<&str> = groups.iter().map(|&g| group(g)).collect();
    (!names.is_empty()).then(|| names.join(":"))
}

/// The lowest and highest enabled version, as OpenSSL names them (`TLSv1.2`, `TLSv1.3`).
pub fn version_range(versions: &[TlsVersion]) -> (&'static str, &'static str) {
    let name = |v: TlsVersion| match v {
        TlsVersion::Tls12 => "TLSv1.2",
        TlsVersion::Tls13 => "TLSv1.3",
    };
    let lo = versions.iter().copied().min().unwrap_or(TlsVersion::Tls13);
    let hi = versions.iter().copied().max().unwrap_or(TlsVersion::Tls13);
    (name(lo), name(hi))
}

/// Why the linked OpenSSL cannot offer `groups`, if it cannot: X25519MLKEM768 needs OpenSSL
/// 3.5 or later (the installed `openssl` binary and nginx use the same library).
pub fn unsupported_groups(groups: &[KxGroup]) -> Option<String> {
    const OPENSSL_3_5: i64 = 0x3050_0000;
    // `number()` is a C long: i64 here, i32 on 32-bit targets.
    #[allow(clippy::useless_conversion)]
    let version = i64::from(openssl::version::number());
    (groups.contains(&KxGroup::X25519MlKem768) && version < OPENSSL_3_5).then(|| {
        format!(
            "{} has no X25519MLKEM768 (OpenSSL 3.5 or later has)",
            openssl::version::version()
        )
    })
}

/// Verify errors (`X509_V_ERR_*`) that mean a certificate's revocation status could not be
/// determined from the CRLs at hand, rather than that it is revoked or otherwise invalid.
pub const CRL_UNDETERMINED: &[i32] = &[
    3,  // UNABLE_TO_GET_CRL
    6,  // UNABLE_TO_DECRYPT_CRL_SIGNATURE
    8,  // CRL_SIGNATURE_FAILURE
    11, // CRL_NOT_YET_VALID
    12, // CRL_HAS_EXPIRED
    15, // ERROR_IN_CRL_LAST_UPDATE_FIELD
    16, // ERROR_IN_CRL_NEXT_UPDATE_FIELD
    33, // UNABLE_TO_GET_CRL_ISSUER
    35, // KEYUSAGE_NO_CRL_SIGN
    44, // DIFFERENT_CRL_SCOPE
];

/// The verify depth the OpenSSL-based peers get when a case sets none: room for every chain
/// the fixtures make (at most 7 intermediates), where nginx's own default (1) would reject a
/// two-intermediate chain.
const DEFAULT_VERIFY_DEPTH: u8 = 10;

/// The case's client signature schemes, joined with `sep` (their RFC 8446 names, which
/// OpenSSL and nginx take as they are).
pub fn sigalgs_list(case: &Case, sep: &str) -> String {
    let names: Vec<&str> = case.tls.client_sigalgs.iter().map(|s| s.name()).collect();
    names.join(sep)
}

/// The verify depth of `case`'s server: the case's, or [`DEFAULT_VERIFY_DEPTH`].
pub fn verify_depth(case: &Case) -> u8 {
    case.verify_depth.unwrap_or(DEFAULT_VERIFY_DEPTH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_split_by_version() {
        let all = CipherSuite::ALL;
        let t13 = tls13_suites(all).unwrap_or_default();
        let t12 = tls12_ciphers(all).unwrap_or_default();
        assert_eq!(t13.split(':').count(), 3);
        assert_eq!(t12.split(':').count(), 6);
        assert!(!t13.contains("ECDHE"));
        assert_eq!(groups(&[]), None);
        assert_eq!(
            groups(&[KxGroup::X25519, KxGroup::Secp384r1]).as_deref(),
            Some("X25519:P-384")
        );
        assert_eq!(
            version_range(&[TlsVersion::Tls13, TlsVersion::Tls12]),
            ("TLSv1.2", "TLSv1.3")
        );
    }
}
