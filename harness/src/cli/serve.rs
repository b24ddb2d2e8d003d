//! `mtls-harness serve`'s flags, for people who start a built-in server by hand: they become
//! the same typed [`ServerSettings`] the runner hands over as a file (`--settings FILE`), so
//! clap stays at the binary's edge and the server crate knows only the typed value.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::peers::{ServeError, ServerSettings};
use crate::scenario::{CipherSuite, ClientAuth, FailPolicy, KxGroup, ResumptionMode, TlsVersion};

/// Options of `mtls-harness serve`, for people who start it by hand; the runner passes
/// `--settings FILE` instead. Unset options take [`ServerSettings::default`]'s values.
#[derive(clap::Args, Clone, Debug)]
pub struct ServeArgs {
    /// Read every setting from this JSON file (a [`ServerSettings`], as the runner writes it)
    /// instead of the options below.
    #[arg(long, exclusive = true)]
    pub settings: Option<PathBuf>,
    /// Server implementation: `rustls`, or `openssl` (the `openssl` crate, linked against the
    /// system's libssl).
    #[arg(long = "impl", default_value = "rustls")]
    pub implementation: String,
    /// Address to listen on; port 0 picks a free port (printed on stdout).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// Server certificate chain (PEM, leaf first).
    #[arg(long, required_unless_present = "settings")]
    pub cert: Option<PathBuf>,
    /// Server private key (PEM, PKCS#8).
    #[arg(long, required_unless_present = "settings")]
    pub key: Option<PathBuf>,
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
    /// Re-read the CRL files this often, and use them for new connections when they changed
    /// (10ms to 24h).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub crl_reload: Option<Duration>,
    /// Session resumption: off, session-id (stateful) or tickets (stateless).
    #[arg(long, default_value = "off")]
    pub resumption: ResumptionMode,
    /// TLS 1.3 tickets sent after each handshake (with resumption on; at most 16).
    #[arg(long, default_value_t = 2)]
    pub tickets: u32,
    /// Worker threads (1 to 1024; default: one per usable CPU).
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
    /// How long an OCSP answer is reused (0s: ask on every handshake; default: the scenario
    /// default, 300s).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub ocsp_cache_ttl: Option<Duration>,
    /// Deadline of one OCSP query (default: the scenario default, 2s).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub ocsp_timeout: Option<Duration>,
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
    /// short-lived server certificates); handshakes in flight keep the old one (10ms to 24h).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub cert_reload: Option<Duration>,
    /// How often the staple is refreshed (10ms to 24h; default: the scenario default, 60s).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub staple_refresh: Option<Duration>,
    /// Check the whole client chain against CRLs (OpenSSL's CRL_CHECK_ALL; webpki's chain
    /// revocation depth), not only the leaf.
    #[arg(long)]
    pub crl_check_all: bool,
    /// Use the delta CRLs among the CRLs (OpenSSL's X509_V_FLAG_USE_DELTAS); `--impl openssl`
    /// only.
    #[arg(long)]
    pub crl_deltas: bool,
    /// Write status events (JSON lines) to this file.
    #[arg(long)]
    pub status: Option<PathBuf>,
    /// Burn this many microseconds of CPU per completed handshake (0 to 1000000; default 0,
    /// off): a calibration knob to check how small a regression a gate detects. Calibrated at
    /// start against the thread's CPU clock; no clock is read while burning.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=1_000_000))]
    pub handicap_us: u64,
}

impl ServeArgs {
    /// The settings these options give: the file's with `--settings`, else the options over
    /// the defaults.
    ///
    /// # Errors
    /// When the settings file cannot be read, or a setting is out of its bounds
    /// ([`ServerSettings::validate`]; the error names the option or the file's key).
    pub fn settings(&self) -> Result<ServerSettings, ServeError> {
        if let Some(path) = &self.settings {
            return ServerSettings::read(path);
        }
        let settings = self.settings_from_flags();
        settings.validate().map_err(ServeError::Invalid)?;
        Ok(settings)
    }

    fn settings_from_flags(&self) -> ServerSettings {
        let d = ServerSettings::default();
        let a = self.clone();
        ServerSettings {
            implementation: a.implementation,
            listen: a.listen,
            cert: a.cert.unwrap_or_default(),
            key: a.key.unwrap_or_default(),
            client_ca: a.client_ca,
            client_auth: a.client_auth,
            versions: a.versions,
            groups: a.groups,
            suites: a.suites,
            crl: a.crl,
            crl_policy: a.crl_policy,
            crl_reload: a.crl_reload,
            resumption: a.resumption,
            tickets: a.tickets,
            threads: a.threads,
            verify_depth: a.verify_depth,
            allow_cn: a.allow_cn,
            client_sigalgs: a.client_sigalgs,
            backlog: a.backlog,
            conn_timeout: a.conn_timeout,
            crl_url: a.crl_url,
            ocsp: a.ocsp,
            ocsp_url: a.ocsp_url,
            ocsp_cache_ttl: a.ocsp_cache_ttl.unwrap_or(d.ocsp_cache_ttl),
            ocsp_timeout: a.ocsp_timeout.unwrap_or(d.ocsp_timeout),
            ocsp_nonce: a.ocsp_nonce,
            ocsp_get: a.ocsp_get,
            ocsp_policy: a.ocsp_policy,
            staple: a.staple,
            staple_unverified: a.staple_unverified,
            cert_reload: a.cert_reload,
            staple_refresh: a.staple_refresh.unwrap_or(d.staple_refresh),
            crl_check_all: a.crl_check_all,
            crl_deltas: a.crl_deltas,
            status: a.status,
            handicap_us: a.handicap_us,
        }
    }
}
