//! The settings of `mtls-harness serve`, shared by every built-in server: the options a person
//! types, and the errors a server reports when it cannot start.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::scenario::{CipherSuite, ClientAuth, FailPolicy, KxGroup, ResumptionMode, TlsVersion};

/// Options of `mtls-harness serve`.
#[derive(clap::Args, Clone, Debug)]
pub struct ServeArgs {
    /// Server implementation: `rustls`, or `openssl` (the `openssl` crate, linked against the
    /// system's libssl).
    #[arg(long = "impl", default_value = "rustls")]
    pub implementation: String,
    /// Address to listen on; port 0 picks a free port (printed on stdout).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Server certificate chain (PEM, leaf first).
    #[arg(long)]
    pub cert: PathBuf,
    /// Server private key (PEM, PKCS#8).
    #[arg(long)]
    pub key: PathBuf,
    /// CA certificates trusted for client certificates (PEM).
    #[arg(long)]
    pub client_ca: Option<PathBuf>,
    /// Whether client certificates are required, optional or not requested.
    #[arg(long, default_value = "required")]
    pub client_auth: ClientAuth,
    /// Protocol versions to enable, comma separated.
    #[arg(long, value_delimiter = ',', default_value = "1.3")]
    pub versions: Vec<TlsVersion>,
    /// Key-exchange groups to accept, comma separated (default: all the stack supports).
    #[arg(long, value_delimiter = ',')]
    pub groups: Vec<KxGroup>,
    /// Cipher suites to accept, comma separated IANA names (default: all the stack supports).
    #[arg(long, value_delimiter = ',')]
    pub suites: Vec<CipherSuite>,
    /// CRL files (PEM or DER) to check client certificates against (end entity only; a
    /// client whose issuer has no CRL here is rejected).
    #[arg(long)]
    pub crl: Vec<PathBuf>,
    /// When a client's revocation status is undetermined (no CRL for its issuer, a stale CRL):
    /// hard rejects, soft accepts.
    #[arg(long, default_value = "hard")]
    pub crl_policy: FailPolicy,
    /// Re-read the CRL files this often, and use them for new connections when they changed.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub crl_reload: Option<Duration>,
    /// Session resumption: off, session-id (stateful) or tickets (stateless).
    #[arg(long, default_value = "off")]
    pub resumption: ResumptionMode,
    /// TLS 1.3 tickets sent after each handshake (with resumption on).
    #[arg(long, default_value_t = 2)]
    pub tickets: u32,
    /// Worker threads (default: one per usable CPU).
    #[arg(long)]
    pub threads: Option<usize>,
    /// The most intermediates accepted in a client chain (OpenSSL's verify depth). The openssl
    /// server honours any value; rustls (webpki) has a fixed limit of 6 and refuses another.
    #[arg(long)]
    pub verify_depth: Option<u8>,
    /// Admit only clients whose certificate's subject CN is one of these (repeat the option);
    /// others are refused with access_denied. Default: every client with a valid chain.
    #[arg(long = "allow-cn")]
    pub allow_cn: Vec<String>,
    /// Signature schemes accepted for the client's CertificateVerify, comma-separated RFC 8446
    /// names (`rsa_pss_rsae_sha256,...`). Default: every scheme the stack supports.
    #[arg(long, value_delimiter = ',')]
    pub client_sigalgs: Vec<crate::scenario::SigScheme>,
    /// Listen backlog (the kernel caps it at net.core.somaxconn).
    #[arg(long, default_value_t = 65_535)]
    pub backlog: u32,
    /// Time a connection may take, handshake to close, before the server drops it.
    #[arg(long, default_value = "10s", value_parser = humantime::parse_duration)]
    pub conn_timeout: Duration,
    /// Download the CRL from this URL (the distribution point in the certificates) at start
    /// and on every `--crl-reload`; when it cannot be had, `--crl-policy` decides.
    #[arg(long)]
    pub crl_url: Option<String>,
    /// Check client certificates with OCSP, asking the responder in their AIA extension.
    #[arg(long)]
    pub ocsp: bool,
    /// Ask this OCSP responder instead of the one in the certificates.
    #[arg(long)]
    pub ocsp_url: Option<String>,
    /// How long an OCSP answer is reused (0s: ask on every handshake).
    #[arg(long, default_value = "300s", value_parser = humantime::parse_duration)]
    pub ocsp_cache_ttl: Duration,
    /// Deadline of one OCSP query.
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration)]
    pub ocsp_timeout: Duration,
    /// Send a nonce in OCSP requests and require it in the answer.
    #[arg(long)]
    pub ocsp_nonce: bool,
    /// Send OCSP requests with GET instead of POST.
    #[arg(long)]
    pub ocsp_get: bool,
    /// When a client's OCSP status is undetermined (responder down, error status, unknown):
    /// hard rejects, soft accepts. Forged or stale answers are rejected either way.
    #[arg(long, default_value = "hard")]
    pub ocsp_policy: FailPolicy,
    /// Staple an OCSP response about the server's own certificate (fetched from its AIA).
    #[arg(long)]
    pub staple: bool,
    /// Staple whatever the responder answers, without verifying it first (a careless server;
    /// the client's staple checks are what such a case tests).
    #[arg(long)]
    pub staple_unverified: bool,
    /// Re-read `--cert` and `--key` this often and rotate to them when they changed (for
    /// short-lived server certificates); handshakes in flight keep the old one.
    #[arg(long, value_parser = humantime::parse_duration)]
    pub cert_reload: Option<Duration>,
    /// How often the staple is refreshed.
    #[arg(long, default_value = "60s", value_parser = humantime::parse_duration)]
    pub staple_refresh: Duration,
    /// Check the whole client chain against CRLs (OpenSSL's CRL_CHECK_ALL), not only the leaf
    /// (CRL_CHECK); `--impl openssl` only.
    #[arg(long)]
    pub crl_check_all: bool,
}

/// Why the server could not start or stopped with an error.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A file could not be read or parsed.
    #[error("{path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
    /// rustls rejected the configuration.
    #[error("server configuration: {0}")]
    Tls(#[from] rustls::Error),
    /// The client verifier could not be built.
    #[error("client verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
    /// Socket or runtime error.
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// Unsupported option.
    #[error("{0}")]
    Unsupported(String),
}
