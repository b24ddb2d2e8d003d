//! GnuTLS's spelling of the scenario's TLS parameters: one priority string (`NORMAL` narrowed
//! to the case's versions, ciphers, key exchanges and groups) as `gnutls-serv` and `gnutls-cli`
//! take it, and the names in their `- Description: (TLS1.3-X.509)-(ECDHE-X25519)-...` line.
//!
//! A priority string chooses ciphers and TLS 1.2 key exchanges separately, for every version at
//! once, so not every list of suites can be said in it: [`inexpressible_suites`] names the ones
//! that cannot, and the case is skipped with that reason instead of running with other suites.

use std::collections::BTreeSet;

use crate::scenario::{CipherSuite, KxGroup, TlsVersion};

/// GnuTLS's name of a suite's cipher (`AES-128-GCM`).
fn cipher(suite: CipherSuite) -> &'static str {
    match suite {
        CipherSuite::Tls13Aes128GcmSha256
        | CipherSuite::EcdheEcdsaAes128GcmSha256
        | CipherSuite::EcdheRsaAes128GcmSha256 => "AES-128-GCM",
        CipherSuite::Tls13Aes256GcmSha384
        | CipherSuite::EcdheEcdsaAes256GcmSha384
        | CipherSuite::EcdheRsaAes256GcmSha384 => "AES-256-GCM",
        CipherSuite::Tls13Chacha20Poly1305Sha256
        | CipherSuite::EcdheEcdsaChacha20Poly1305Sha256
        | CipherSuite::EcdheRsaChacha20Poly1305Sha256 => "CHACHA20-POLY1305",
    }
}

/// GnuTLS's name of a TLS 1.2 suite's key exchange (`ECDHE-ECDSA`), `None` for TLS 1.3 suites.
fn key_exchange(suite: CipherSuite) -> Option<&'static str> {
    match suite.version() {
        TlsVersion::Tls13 => None,
        TlsVersion::Tls12 if suite.name().contains("_RSA_") => Some("ECDHE-RSA"),
        TlsVersion::Tls12 => Some("ECDHE-ECDSA"),
    }
}

/// GnuTLS's name of a group (`GROUP-X25519`), `None` for one GnuTLS 3.7 lacks.
fn group(group: KxGroup) -> Option<&'static str> {
    match group {
        KxGroup::X25519 => Some("GROUP-X25519"),
        KxGroup::Secp256r1 => Some("GROUP-SECP256R1"),
        KxGroup::Secp384r1 => Some("GROUP-SECP384R1"),
        KxGroup::X25519MlKem768 => None,
    }
}

/// Why GnuTLS cannot offer `groups`, if it cannot.
pub fn unsupported_groups(groups: &[KxGroup]) -> Option<String> {
    groups
        .iter()
        .any(|&g| group(g).is_none())
        .then(|| "GnuTLS 3.7 (Debian 12) has no X25519MLKEM768".to_string())
}

/// Why `suites` cannot be said exactly in a priority string when `versions` are enabled, if
/// they cannot. An empty list keeps GnuTLS's defaults and is always expressible.
pub fn inexpressible_suites(suites: &[CipherSuite], versions: &[TlsVersion]) -> Option<String> {
    if suites.is_empty() {
        return None;
    }
    let of = |v: TlsVersion| -> Vec<CipherSuite> {
        suites
            .iter()
            .copied()
            .filter(|s| s.version() == v)
            .collect()
    };
    let (t13, t12) = (of(TlsVersion::Tls13), of(TlsVersion::Tls12));
    let ciphers =
        |list: &[CipherSuite]| -> BTreeSet<&str> { list.iter().map(|&s| cipher(s)).collect() };
    let (c13, c12) = (ciphers(&t13), ciphers(&t12));
    let kx12: BTreeSet<&str> = t12.iter().filter_map(|&s| key_exchange(s)).collect();
    let all = ciphers(CipherSuite::ALL);
    let listed =
        |list: &[CipherSuite]| list.iter().map(|s| s.name()).collect::<Vec<_>>().join(", ");
    let problem = if !t12.is_empty() && t12.len() != c12.len() * kx12.len() {
        Some(format!(
            "the TLS 1.2 suites {} are not every pairing of their ciphers and key exchanges",
            listed(&t12)
        ))
    } else if !t13.is_empty() && !t12.is_empty() && c13 != c12 {
        Some("the TLS 1.3 and TLS 1.2 suites use different ciphers".to_string())
    } else if t12.is_empty() && versions.contains(&TlsVersion::Tls12) && c13 != all {
        Some("narrowing the TLS 1.3 suites would narrow TLS 1.2's ciphers too".to_string())
    } else if t13.is_empty() && versions.contains(&TlsVersion::Tls13) && c12 != all {
        Some("narrowing the TLS 1.2 suites would narrow TLS 1.3's ciphers too".to_string())
    } else {
        None
    };
    problem.map(|p| {
        format!("a GnuTLS priority string chooses ciphers and key exchanges for every version at once: {p}")
    })
}

/// The priority string for `versions`, `suites` (empty: GnuTLS's defaults) and `groups`
/// (empty: defaults), in the order given (a client offers its groups in this order).
pub fn priority(versions: &[TlsVersion], suites: &[CipherSuite], groups: &[KxGroup]) -> String {
    let mut p = String::from("NORMAL:-VERS-ALL");
    let mut sorted = versions.to_vec();
    sorted.sort();
    for v in sorted.iter().rev() {
        p.push_str(match v {
            TlsVersion::Tls13 => ":+VERS-TLS1.3",
            TlsVersion::Tls12 => ":+VERS-TLS1.2",
        });
    }
    if !suites.is_empty() {
        p.push_str(":-CIPHER-ALL");
        let mut seen = BTreeSet::new();
        for &s in suites {
            if seen.insert(cipher(s)) {
                p.push_str(":+");
                p.push_str(cipher(s));
            }
        }
        let kx: Vec<&str> = suites.iter().filter_map(|&s| key_exchange(s)).collect();
        if !kx.is_empty() {
            p.push_str(":-KX-ALL");
            let mut seen = BTreeSet::new();
            for k in kx {
                if seen.insert(k) {
                    p.push_str(":+");
                    p.push_str(k);
                }
            }
        }
    }
    let names: Vec<&str> = groups.iter().filter_map(|&g| group(g)).collect();
    if !names.is_empty() {
        p.push_str(":-GROUP-ALL");
        for n in names {
            p.push_str(":+");
            p.push_str(n);
        }
    }
    p
}

/// What a GnuTLS description line names, in the scenario's vocabulary: version, suite, group.
/// `(TLS1.3-X.509)-(ECDHE-X25519)-(ECDSA-SECP256R1-SHA256)-(AES-256-GCM)`; in TLS 1.2 the
/// third part is the server's signature (`(ECDSA-SHA256)`, `(RSA-PSS-RSAE-SHA256)`).
pub fn described(line: &str) -> Option<(TlsVersion, CipherSuite, Option<KxGroup>)> {
    let parts: Vec<&str> = line
        .split(")-(")
        .map(|p| p.trim().trim_start_matches('(').trim_end_matches(')'))
        .collect();
    let [proto, kx, auth, cipher_name] = parts.as_slice() else {
        return None;
    };
    let version = match proto.split('-').next()? {
        "TLS1.3" => TlsVersion::Tls13,
        "TLS1.2" => TlsVersion::Tls12,
        _ => return None,
    };
    let kx_group = kx.strip_prefix("ECDHE-").and_then(|g| {
        KxGroup::ALL
            .iter()
            .copied()
            .find(|&k| group(k).is_some_and(|n| n == format!("GROUP-{g}")))
    });
    let rsa = auth.starts_with("RSA");
    let suite = CipherSuite::ALL.iter().copied().find(|&s| {
        s.version() == version
            && cipher(s) == *cipher_name
            && (version == TlsVersion::Tls13 || s.name().contains("_RSA_") == rsa)
    })?;
    Some((version, suite, kx_group))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_strings_and_descriptions() {
        use CipherSuite::*;
        assert_eq!(
            priority(
                &[TlsVersion::Tls12, TlsVersion::Tls13],
                &[],
                &[KxGroup::X25519]
            ),
            "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-GROUP-ALL:+GROUP-X25519"
        );
        assert_eq!(
            priority(
                &[TlsVersion::Tls12],
                &[EcdheEcdsaAes128GcmSha256],
                &[KxGroup::Secp256r1]
            ),
            "NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+AES-128-GCM:-KX-ALL:+ECDHE-ECDSA:-GROUP-ALL:+GROUP-SECP256R1"
        );
        let v13 = [TlsVersion::Tls13];
        assert!(inexpressible_suites(&[Tls13Aes128GcmSha256], &v13).is_none());
        assert!(inexpressible_suites(
            &[Tls13Aes128GcmSha256],
            &[TlsVersion::Tls13, TlsVersion::Tls12]
        )
        .is_some());
        assert!(inexpressible_suites(
            &[EcdheEcdsaAes128GcmSha256, EcdheRsaAes256GcmSha384],
            &[TlsVersion::Tls12]
        )
        .is_some());
        assert!(unsupported_groups(&[KxGroup::X25519MlKem768]).is_some());
        assert_eq!(
            described("(TLS1.3-X.509)-(ECDHE-X25519)-(ECDSA-SECP256R1-SHA256)-(AES-256-GCM)"),
            Some((
                TlsVersion::Tls13,
                Tls13Aes256GcmSha384,
                Some(KxGroup::X25519)
            ))
        );
        assert_eq!(
            described("(TLS1.2-X.509)-(ECDHE-SECP256R1)-(ECDSA-SHA256)-(AES-128-GCM)"),
            Some((
                TlsVersion::Tls12,
                EcdheEcdsaAes128GcmSha256,
                Some(KxGroup::Secp256r1)
            ))
        );
    }
}
