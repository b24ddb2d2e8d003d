//! Which client peers can present which credential. The bad credentials are built for the
//! harness's own rustls client, which sends them on purpose; OpenSSL-based clients refuse a key
//! that does not match its certificate, and some others at their default security level (CONFORMANCE.md: "`openssl s_client` refuses to send some
//! bad credentials"), and a hierarchy may lack a variant (Ed25519 has no SHA-1 signature).

use crate::pki::{ClientCert, Pki};
use crate::scenario::{Case, ClientImpl};

/// Why `case`'s client cannot present its credential from `pki`; `None` when it can.
pub fn unsupported(case: &Case, pki: &Pki) -> Option<String> {
    let cert = case.client_cert;
    if cert != ClientCert::None && pki.client(cert, 0).is_none() {
        return Some(format!(
            "the {} hierarchy has no {cert} credential (Ed25519 has no SHA-1 signature)",
            case.key
        ));
    }
    let openssl = match case.client {
        ClientImpl::Openssl => "the openssl client",
        ClientImpl::SClient => "openssl s_client",
        ClientImpl::Node => "the node client",
        _ => return None,
    };
    let refused = match (cert, case.client) {
        // SSL_CTX_check_private_key: the key does not match the certificate.
        (ClientCert::MismatchedKey, _) => "a key that does not match its certificate",
        // SSL_CTX_use_certificate: "ca md too weak" (SHA-1 needs security level 0).
        (ClientCert::Sha1Signed, _) => "a SHA-1-signed certificate (\"ca md too weak\")",
        // "ee key too small" at security level 2 (Debian's default); node runs at level 1.
        (ClientCert::WeakRsa, ClientImpl::Openssl | ClientImpl::SClient) => {
            "a 1024-bit RSA key (\"ee key too small\")"
        }
        _ => return None,
    };
    Some(format!(
        "{openssl} refuses to load {refused} at its default security level; the rustls client sends it"
    ))
}
