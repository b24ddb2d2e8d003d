//! Java JSSE's names for the scenario's groups and suites (Java 17): the JVM-wide
//! `jdk.tls.namedGroups` and the enabled-suites list the Java server and client programs take.

use super::openssl as openssl_names;
use crate::scenario::{CipherSuite, KxGroup, TlsVersion};

/// Java's name of a group, `None` for one Java 17 lacks.
pub fn group(group: KxGroup) -> Option<&'static str> {
    match group {
        KxGroup::X25519 => Some("x25519"),
        KxGroup::Secp256r1 => Some("secp256r1"),
        KxGroup::Secp384r1 => Some("secp384r1"),
        KxGroup::X25519MlKem768 => None,
    }
}

/// Java's name of a suite: the IANA name (`TLS_AES_128_GCM_SHA256` for the TLS 1.3 ones).
fn suite(s: CipherSuite) -> &'static str {
    match s.version() {
        TlsVersion::Tls13 => openssl_names::suite(s),
        TlsVersion::Tls12 => s.name(),
    }
}

/// The enabled suites for `listed` (a case's server or client suites): JSSE has one list for
/// every version, so a version whose suites the case does not narrow gets all of the scenario
/// vocabulary's.
pub fn suites(listed: &[CipherSuite]) -> Vec<&'static str> {
    if listed.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for v in [TlsVersion::Tls13, TlsVersion::Tls12] {
        let mine: Vec<CipherSuite> = listed
            .iter()
            .copied()
            .filter(|s| s.version() == v)
            .collect();
        let pick = if mine.is_empty() {
            CipherSuite::ALL
                .iter()
                .copied()
                .filter(|s| s.version() == v)
                .collect()
        } else {
            mine
        };
        out.extend(pick.into_iter().map(suite));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(group(KxGroup::Secp256r1), Some("secp256r1"));
        assert_eq!(group(KxGroup::X25519MlKem768), None);
        assert_eq!(
            suite(CipherSuite::Tls13Aes128GcmSha256),
            "TLS_AES_128_GCM_SHA256"
        );
    }
}
