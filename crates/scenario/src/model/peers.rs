//! Who takes part in a case: the server and client implementations ([`ServerImpl`],
//! [`ClientImpl`]) and whether the server asks for a client certificate ([`ClientAuth`]).
//! Names come from strum; each enum's `name()` is the text used in scenario files and reports.

use serde::Serialize;
use strum::VariantArray;

use crate::pki::UnknownName;

/// Server implementations: the built-in rustls and OpenSSL servers, `openssl s_server`, nginx,
/// HAProxy, Apache httpd, `gnutls-serv`, a Node.js https server, Go crypto/tls and Java JSSE servers (the
/// process peers are skipped, with the reason, when not installed).
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
pub enum ServerImpl {
    /// The harness's own rustls server (`mtls-harness serve`).
    #[strum(serialize = "rustls")]
    Rustls,
    /// The harness's OpenSSL server through the `openssl` crate (`serve --impl openssl`).
    #[strum(serialize = "openssl")]
    Openssl,
    /// The installed `openssl s_server` (with `-verify_return_error` and `-www`).
    #[strum(serialize = "s_server")]
    SServer,
    /// A real nginx process with a generated configuration.
    #[strum(serialize = "nginx")]
    Nginx,
    /// A real HAProxy process with a generated configuration (`-db`, one process).
    #[strum(serialize = "haproxy")]
    Haproxy,
    /// A real Apache httpd (Debian's `apache2`, mod_ssl, event MPM) with a generated
    /// `httpd.conf`.
    #[strum(serialize = "apache")]
    Apache,
    /// The installed GnuTLS `gnutls-serv` (with `--http`).
    #[strum(serialize = "gnutls-serv")]
    GnutlsServ,
    /// A Node.js https server (`https.createServer` with `requestCert`).
    #[strum(serialize = "node")]
    Node,
    /// A Go crypto/tls server (a small program in the repo, built on first use).
    #[strum(serialize = "go")]
    Go,
    /// A Java JSSE server (a small program in the repo, compiled on first use).
    #[strum(serialize = "java")]
    Java,
    /// Any server program, started from the case's command line
    /// (`server = { command = [...] }`).
    #[strum(serialize = "command")]
    Command,
}

impl ServerImpl {
    /// Every value.
    pub const ALL: &'static [ServerImpl] = <Self as VariantArray>::VARIANTS;

    /// The name used in scenario files and reports.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// Client implementations.
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
pub enum ClientImpl {
    /// The harness's own rustls client (in-process, the load engine's).
    #[strum(serialize = "rustls")]
    Rustls,
    /// The harness's OpenSSL client (in-process, `openssl` crate), resumption off only.
    #[strum(serialize = "openssl")]
    Openssl,
    /// The installed `openssl s_client`, one process per handshake.
    #[strum(serialize = "s_client")]
    SClient,
    /// A Node.js client (the https module with cert, key and ca), one process per
    /// handshake.
    #[strum(serialize = "node")]
    Node,
    /// The installed `curl`, one process per handshake.
    #[strum(serialize = "curl")]
    Curl,
    /// The installed GnuTLS `gnutls-cli`, one process per handshake.
    #[strum(serialize = "gnutls-cli")]
    GnutlsCli,
    /// A Go crypto/tls client (a small program in the repo, built on first use), one process
    /// per case.
    #[strum(serialize = "go")]
    Go,
    /// A Java JSSE client (a small program in the repo, compiled on first use), one JVM per
    /// case.
    #[strum(serialize = "java")]
    Java,
}

impl ClientImpl {
    /// Every value.
    pub const ALL: &'static [ClientImpl] = <Self as VariantArray>::VARIANTS;

    /// The name used in scenario files and reports.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// Peer names that later versions will support: named in "not available yet" errors.
pub const PLANNED_PEERS: &[&str] = &[];

/// Whether the server requests and requires a client certificate.
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
pub enum ClientAuth {
    /// Requested and required (mutual TLS).
    #[strum(serialize = "required")]
    Required,
    /// Requested, but a client without one is let in.
    #[strum(serialize = "optional")]
    Optional,
    /// Not requested (one-way TLS).
    #[strum(serialize = "off")]
    Off,
}

impl ClientAuth {
    /// Every value.
    pub const ALL: &'static [ClientAuth] = <Self as VariantArray>::VARIANTS;

    /// The name used in scenario files and reports.
    pub fn name(self) -> &'static str {
        self.into()
    }
}
