//! One record per client peer: what each stack supports, the credentials it refuses to load
//! with the reason (the rules in `capabilities.rs` turn a case plus a record into a skip
//! reason).

use super::{ClientCapabilities, Library, Support};
use crate::pki::ClientCert;
use crate::scenario::ClientImpl;

/// Every client stack's record, one per [`ClientImpl`] in its order (checked when compiled).
pub const CLIENTS: [(ClientImpl, &ClientCapabilities); ClientImpl::ALL.len()] = [
    (ClientImpl::Rustls, &RUSTLS_CLIENT),
    (ClientImpl::Openssl, &OPENSSL_CLIENT),
    (ClientImpl::SClient, &S_CLIENT),
    (ClientImpl::Node, &NODE_CLIENT),
    (ClientImpl::Curl, &CURL),
    (ClientImpl::GnutlsCli, &GNUTLS_CLI),
    (ClientImpl::Go, &GO_CLIENT),
    (ClientImpl::Java, &JAVA_CLIENT),
];

const _: () = {
    let mut i = 0;
    while i < CLIENTS.len() {
        assert!(
            CLIENTS[i].0 as usize == i,
            "CLIENTS lists every ClientImpl once, in the enum's order"
        );
        i += 1;
    }
};

/// The record of a client peer.
pub fn client(client: ClientImpl) -> &'static ClientCapabilities {
    // In bounds and `client`'s own: one entry per variant, in the enum's order (the assertion
    // above, at compile time).
    CLIENTS[client as usize].1
}

// SSL_CTX_check_private_key: the key does not match the certificate.
const MISMATCHED_KEY: (ClientCert, &str) = (
    ClientCert::MismatchedKey,
    "a key that does not match its certificate",
);
// SSL_CTX_use_certificate: "ca md too weak" (SHA-1 needs security level 0).
const SHA1: (ClientCert, &str) = (
    ClientCert::Sha1Signed,
    "a SHA-1-signed certificate (\"ca md too weak\")",
);
// "ee key too small" at security level 2 (Debian's default); node runs at level 1.
const WEAK_RSA: (ClientCert, &str) = (
    ClientCert::WeakRsa,
    "a 1024-bit RSA key (\"ee key too small\")",
);

/// The harness's own rustls client: it sends every bad credential on purpose.
pub const RUSTLS_CLIENT: ClientCapabilities = ClientCapabilities {
    name: "the rustls client",
    library: Library::Rustls,
    target_mode: true,
    refuses: &[],
    resumption: Support::Yes,
    session_ids: Support::Yes,
};

/// The harness's OpenSSL client (`openssl` crate).
pub const OPENSSL_CLIENT: ClientCapabilities = ClientCapabilities {
    name: "the openssl client",
    library: Library::Openssl,
    target_mode: true,
    refuses: &[MISMATCHED_KEY, SHA1, WEAK_RSA],
    resumption: Support::Yes,
    session_ids: Support::Yes,
};

/// The installed `openssl s_client`.
pub const S_CLIENT: ClientCapabilities = ClientCapabilities {
    name: "openssl s_client",
    library: Library::Openssl,
    target_mode: true,
    refuses: &[MISMATCHED_KEY, SHA1, WEAK_RSA],
    resumption: Support::Yes,
    session_ids: Support::Yes,
};

/// The Node.js client.
pub const NODE_CLIENT: ClientCapabilities = ClientCapabilities {
    name: "the node client",
    library: Library::Openssl,
    target_mode: true,
    refuses: &[MISMATCHED_KEY, SHA1],
    resumption: Support::Yes,
    session_ids: Support::Yes,
};

/// The installed `curl` (7.88 on Debian 12, OpenSSL underneath).
pub const CURL: ClientCapabilities = ClientCapabilities {
    name: "curl",
    library: Library::Openssl,
    target_mode: true,
    refuses: &[MISMATCHED_KEY, SHA1, WEAK_RSA],
    resumption: Support::No(
        "curl 7.88 keeps TLS sessions in memory only: one process per handshake cannot resume (a session file needs curl 8.12's --ssl-sessions)",
    ),
    session_ids: Support::Yes,
};

/// GnuTLS's `gnutls-cli`.
pub const GNUTLS_CLI: ClientCapabilities = ClientCapabilities {
    name: "gnutls-cli",
    library: Library::Gnutls,
    target_mode: true,
    // It loads and sends every bad credential of the fixtures (a mismatched key, SHA-1, RSA-1024).
    refuses: &[],
    resumption: Support::No(
        "gnutls-cli resumes only inside one process (--resume); it cannot carry a session to the next process",
    ),
    session_ids: Support::Yes,
};

/// The Go crypto/tls client program (Go 1.19), one process per case: it resumes through its
/// `ClientSessionCache` inside the process.
pub const GO_CLIENT: ClientCapabilities = ClientCapabilities {
    name: "the go client",
    library: Library::Go,
    target_mode: true,
    // Its chain and key are read as they are (not through tls.X509KeyPair, which refuses a
    // mismatched key) and sent whatever the server asks for: every bad credential goes out.
    refuses: &[],
    resumption: Support::Yes,
    session_ids: Support::No(
        "crypto/tls clients resume TLS 1.2 by session tickets only, never by session ID",
    ),
};

/// The Java JSSE client program (OpenJDK 17), one JVM per case: it resumes through its
/// SSLContext's session cache inside the process.
pub const JAVA_CLIENT: ClientCapabilities = ClientCapabilities {
    name: "the java client",
    library: Library::Java,
    target_mode: true,
    // Its key manager offers the case's credential whatever the server asks for, and JSSE
    // signs with whatever key it is given.
    refuses: &[],
    resumption: Support::Yes,
    session_ids: Support::Yes,
};
