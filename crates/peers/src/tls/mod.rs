//! Each TLS stack's spelling of the scenario's parameters (versions, suites, groups,
//! signature schemes), once: [`rustls`] builds rustls providers and names what rustls
//! negotiated; [`openssl`] spells them as the `openssl` crate, `openssl s_server`/`s_client`
//! and nginx take them; [`gnutls`] as a GnuTLS priority string (`gnutls-serv`, `gnutls-cli`);
//! [`go`] as the Go crypto/tls server program takes them; [`java`] as the Java JSSE programs
//! take them.

pub mod gnutls;
pub mod go;
pub mod java;
pub mod openssl;
pub mod rustls;
