//! Target mode: the harness's clients against an external server (a vendor's), instead of a
//! server peer the runner starts. The server is named by `host:port`; the client trusts the
//! given CA file for it and presents either the run's fixtures (the server must trust the
//! run's root: `mtls-harness pki generate` with the scenario's seed writes the same one) or
//! the vendor's own PEM files for the valid client credential. Verdicts are graded the same way.

use std::net::{SocketAddr, ToSocketAddrs};
use std::path::{Path, PathBuf};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

/// An external server and what the client needs for it.
pub struct Target {
    /// As given (`host:port`), for reports.
    pub given: String,
    /// Where it listens (the first address `host:port` resolves to).
    pub addr: SocketAddr,
    /// The name the client sends (SNI) and verifies the server certificate against.
    pub server_name: String,
    /// CA certificates (PEM) the client trusts for the server.
    pub ca: Vec<CertificateDer<'static>>,
    /// Bring-your-own client credential (`--client-cert/--client-key`), used for the `valid`
    /// client certificate instead of the fixtures' pool.
    pub credential: Option<crate::pki::OwnCredential>,
    /// The path every attempt requests (`--target-path`, `/` by default): a server that asks
    /// for a client certificate only for some paths is graded on one of them.
    pub path: String,
}

impl std::fmt::Debug for Target {
    // No key material in any output.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("given", &self.given)
            .field("addr", &self.addr)
            .field("server_name", &self.server_name)
            .field("ca_certs", &self.ca.len())
            .field("own_credential", &self.credential.is_some())
            .field("path", &self.path)
            .finish()
    }
}

/// A problem with the target options.
#[derive(Debug, thiserror::Error)]
#[error("{option}: {message}")]
pub struct TargetError {
    /// The option (`--target`, `--target-ca`, ...).
    pub option: &'static str,
    /// What was expected and found.
    pub message: String,
}

fn certs(path: &Path, option: &'static str) -> Result<Vec<CertificateDer<'static>>, TargetError> {
    let err = |e: &dyn std::fmt::Display| TargetError {
        option,
        message: format!("{}: {e}", path.display()),
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(path)
        .map_err(|e| err(&e))?
        .collect::<Result<_, _>>()
        .map_err(|e| err(&e))?;
    if certs.is_empty() {
        return Err(err(&"expected PEM certificates, found none"));
    }
    // The PEM armour says nothing about what is inside: parse every certificate now, so
    // garbage is an error naming the option, not a BadEncoding in every case of the run.
    for (i, cert) in certs.iter().enumerate() {
        openssl::x509::X509::from_der(cert.as_ref()).map_err(|e| {
            err(&format!(
                "certificate {} of {} is not a valid X.509 certificate ({})",
                i + 1,
                certs.len(),
                first_reason(&e)
            ))
        })?;
    }
    Ok(certs)
}

/// OpenSSL's first reason, without its file and line noise.
fn first_reason(e: &openssl::error::ErrorStack) -> String {
    e.errors()
        .first()
        .and_then(openssl::error::Error::reason)
        .map_or_else(|| "unparsable DER".to_string(), str::to_string)
}

impl Target {
    /// Parses the target options.
    ///
    /// # Errors
    /// When `host_port` does not resolve, a file cannot be read, holds no PEM certificate or
    /// key or one that does not parse in full, the key does not match the client certificate,
    /// or only one of the client certificate and key is given. The error names the option and
    /// the file.
    pub fn new(
        host_port: &str,
        ca: &Path,
        server_name: Option<&str>,
        client_cert: Option<&PathBuf>,
        client_key: Option<&PathBuf>,
    ) -> Result<Self, TargetError> {
        let addr = host_port
            .to_socket_addrs()
            .map_err(|e| TargetError {
                option: "--target",
                message: format!("expected HOST:PORT, found \"{host_port}\": {e}"),
            })?
            .next()
            .ok_or_else(|| TargetError {
                option: "--target",
                message: format!("\"{host_port}\" resolves to no address"),
            })?;
        let host = host_port
            .rsplit_once(':')
            .map_or(host_port, |(h, _)| h)
            .trim_matches(|c| c == '[' || c == ']');
        let ca = certs(ca, "--target-ca")?;
        let credential = match (client_cert, client_key) {
            (None, None) => None,
            (Some(cert), Some(key)) => Some(
                crate::pki::OwnCredential::load(cert, key, None).map_err(|e| TargetError {
                    option: match e.which {
                        crate::pki::PemPart::Key => "--client-key",
                        _ => "--client-cert",
                    },
                    message: e.to_string(),
                })?,
            ),
            _ => {
                return Err(TargetError {
                    option: "--client-cert",
                    message: "give both --client-cert and --client-key, or neither".into(),
                })
            }
        };
        Ok(Self {
            given: host_port.to_string(),
            addr,
            server_name: server_name.unwrap_or(host).to_string(),
            ca,
            credential,
            path: "/".into(),
        })
    }

    /// The target with `path` as the path every attempt requests.
    ///
    /// # Errors
    /// `--target-path` when `path` does not start with `/`, is longer than [`MAX_PATH`] bytes
    /// or holds a space, a control character or a byte outside ASCII (RFC 9112 3.2: the
    /// request target is visible ASCII; percent-encode the rest).
    pub fn with_path(mut self, path: &str) -> Result<Self, TargetError> {
        let fail = |why: &str| TargetError {
            option: "--target-path",
            message: format!("expected an absolute path such as /secure, found {path:?}: {why}"),
        };
        if !path.starts_with('/') {
            return Err(fail("it must start with /"));
        }
        if path.len() > MAX_PATH {
            return Err(fail(&format!("longer than {MAX_PATH} bytes")));
        }
        if !path.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(fail(
                "only visible ASCII is allowed (no spaces or control characters; percent-encode the rest)",
            ));
        }
        self.path = path.to_string();
        Ok(self)
    }

    /// The request each attempt sends: `GET` of [`Target::path`] with the server name as its
    /// `Host`.
    pub fn request(&self) -> Vec<u8> {
        crate::load::request_for(&self.server_name, &self.path)
    }
}

/// The longest `--target-path`, in bytes.
pub const MAX_PATH: usize = 1024;

/// How long the reachability probe waits for the connection and for the first TLS record.
pub(crate) const PROBE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

impl Target {
    /// Checks that a TLS server answers at the target before any case runs: a TCP connect,
    /// then a ClientHello (made by rustls) and the first record back, which must be a TLS
    /// handshake or alert record. Nothing listening, a silent peer or one that speaks another
    /// protocol is an error, not a run of "handshakes" that are all resets.
    ///
    /// A server that answers is then checked for the certificate every case will verify
    /// ([`Target::check_server_certificate`]).
    ///
    /// # Errors
    /// "no TLS server answered at HOST:PORT", with what happened; a server certificate that
    /// is not valid for the name, not from `--target-ca`, or expired.
    pub fn probe(&self) -> Result<(), TargetError> {
        use std::io::{Read, Write};
        let fail = |what: String| TargetError {
            option: "--target",
            message: format!("no TLS server answered at {}: {what}", self.given),
        };
        let mut tcp = std::net::TcpStream::connect_timeout(&self.addr, PROBE_TIMEOUT)
            .map_err(|e| fail(format!("connecting to {}: {e}", self.addr)))?;
        let _ = tcp.set_read_timeout(Some(PROBE_TIMEOUT));
        let _ = tcp.set_write_timeout(Some(PROBE_TIMEOUT));
        let hello = client_hello(&self.server_name).map_err(fail)?;
        tcp.write_all(&hello)
            .map_err(|e| fail(format!("sending a ClientHello: {e}")))?;
        let mut head = [0u8; 5];
        tcp.read_exact(&mut head).map_err(|e| {
            fail(match e.kind() {
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut => format!(
                    "no answer to a ClientHello within {} s",
                    PROBE_TIMEOUT.as_secs()
                ),
                std::io::ErrorKind::UnexpectedEof => {
                    "the connection closed without an answer to a ClientHello".into()
                }
                _ => format!("reading the answer to a ClientHello: {e}"),
            })
        })?;
        // A TLS record: content type alert (21) or handshake (22), major version 3.
        if matches!(head[0], 21 | 22) && head[1] == 3 {
            drop(tcp);
            self.check_server_certificate()
        } else {
            Err(fail(format!(
                "the answer to a ClientHello is not TLS (first bytes {:02x?}: {:?})",
                head,
                String::from_utf8_lossy(&head)
            )))
        }
    }
}

/// The bytes of a ClientHello for `server_name` (rustls, default provider, no verification:
/// only the first flight is used).
fn client_hello(server_name: &str) -> Result<Vec<u8>, String> {
    use rustls::pki_types::ServerName;
    let provider = crate::peers::tls::rustls::provider_with(&[], &[]);
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("making a ClientHello: {e}"))?
        .with_root_certificates(rustls::RootCertStore::empty())
        .with_no_client_auth();
    let name = ServerName::try_from(server_name.to_string())
        .map_err(|e| format!("server name {server_name}: {e}"))?;
    let mut conn = rustls::ClientConnection::new(std::sync::Arc::new(config), name)
        .map_err(|e| format!("making a ClientHello: {e}"))?;
    let mut out = Vec::new();
    while conn.wants_write() {
        conn.write_tls(&mut out)
            .map_err(|e| format!("making a ClientHello: {e}"))?;
    }
    Ok(out)
}
