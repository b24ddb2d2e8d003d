//! The settings of `mtls-harness serve`, shared by every built-in server: one typed value
//! ([`ServerSettings`]) that the runner hands over as a file (and that the command line's
//! `serve` flags become), and the errors a server reports when it cannot start.

use std::fmt::Display;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

use crate::scenario::{
    CipherSuite, ClientAuth, FailPolicy, KxGroup, OcspSettings, ResumptionMode, SigScheme,
    StaplingSettings, TlsVersion, MAX_DURATION, MIN_INTERVAL,
};

/// Most worker threads a built-in server may be asked for.
pub const MAX_SERVER_THREADS: usize = 1_024;

/// Most TLS 1.3 tickets a built-in server may send after one handshake.
pub const MAX_TICKETS: u32 = 16;

/// Everything a built-in server needs to know, as one typed value. The runner builds it from
/// a case ([`crate::peers::programs::start_server`]) and hands it over as a JSON file
/// (`serve --settings FILE`); a person starting `serve` by hand gives flags (the command line's `ServeArgs`),
/// which become the same value. Defaults are [`ServerSettings::default`]'s, whose revocation
/// timings are the scenario model's (`Revocation::none()`): one place.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Server implementation: `rustls`, or `openssl` (the `openssl` crate, linked against the
    /// system's libssl).
    pub implementation: String,
    /// Address to listen on; port 0 picks a free port (printed on stdout).
    pub listen: SocketAddr,
    /// Server certificate chain (PEM, leaf first).
    pub cert: PathBuf,
    /// Server private key (PEM, PKCS#8).
    pub key: PathBuf,
    /// CA certificates trusted for client certificates (PEM).
    pub client_ca: Option<PathBuf>,
    /// Whether client certificates are required, optional or not requested.
    #[serde(deserialize_with = "named")]
    pub client_auth: ClientAuth,
    /// Protocol versions to enable, comma separated.
    #[serde(deserialize_with = "named_list")]
    pub versions: Vec<TlsVersion>,
    /// Key-exchange groups to accept, comma separated (default: all the stack supports).
    #[serde(deserialize_with = "named_list")]
    pub groups: Vec<KxGroup>,
    /// Cipher suites to accept, comma separated IANA names (default: all the stack supports).
    #[serde(deserialize_with = "named_list")]
    pub suites: Vec<CipherSuite>,
    /// CRL files (PEM or DER) to check client certificates against (end entity only; a
    /// client whose issuer has no CRL here is rejected).
    pub crl: Vec<PathBuf>,
    /// When a client's revocation status is undetermined (no CRL for its issuer, a stale CRL):
    /// hard rejects, soft accepts.
    #[serde(deserialize_with = "named")]
    pub crl_policy: FailPolicy,
    /// Re-read the CRL files this often, and use them for new connections when they changed.
    pub crl_reload: Option<Duration>,
    /// Session resumption: off, session-id (stateful) or tickets (stateless).
    #[serde(deserialize_with = "named")]
    pub resumption: ResumptionMode,
    /// TLS 1.3 tickets sent after each handshake (with resumption on).
    pub tickets: u32,
    /// Worker threads (default: one per usable CPU).
    pub threads: Option<usize>,
    /// The most intermediates accepted in a client chain (OpenSSL's verify depth). The openssl
    /// server honours any value; rustls (webpki) has a fixed limit of 6 and refuses another.
    pub verify_depth: Option<u8>,
    /// Admit only clients whose certificate's subject CN is one of these (repeat the option);
    /// others are refused with access_denied. Default: every client with a valid chain.
    pub allow_cn: Vec<String>,
    /// Signature schemes accepted for the client's CertificateVerify, comma-separated RFC 8446
    /// names (`rsa_pss_rsae_sha256,...`). Default: every scheme the stack supports.
    #[serde(deserialize_with = "named_list")]
    pub client_sigalgs: Vec<SigScheme>,
    /// Listen backlog (the kernel caps it at net.core.somaxconn).
    pub backlog: u32,
    /// Time a connection may take, handshake to close, before the server drops it.
    pub conn_timeout: Duration,
    /// Download the CRL from this URL (the distribution point in the certificates) at start
    /// and on every `--crl-reload`; when it cannot be had, `--crl-policy` decides.
    pub crl_url: Option<String>,
    /// Check client certificates with OCSP, asking the responder in their AIA extension.
    pub ocsp: bool,
    /// Ask this OCSP responder instead of the one in the certificates.
    pub ocsp_url: Option<String>,
    /// How long an OCSP answer is reused (0s: ask on every handshake).
    pub ocsp_cache_ttl: Duration,
    /// Deadline of one OCSP query.
    pub ocsp_timeout: Duration,
    /// Send a nonce in OCSP requests and require it in the answer.
    pub ocsp_nonce: bool,
    /// Send OCSP requests with GET instead of POST.
    pub ocsp_get: bool,
    /// When a client's OCSP status is undetermined (responder down, error status, unknown):
    /// hard rejects, soft accepts. Forged or stale answers are rejected either way.
    #[serde(deserialize_with = "named")]
    pub ocsp_policy: FailPolicy,
    /// Staple an OCSP response about the server's own certificate (fetched from its AIA).
    pub staple: bool,
    /// Staple whatever the responder answers, without verifying it first (a careless server;
    /// the client's staple checks are what such a case tests).
    pub staple_unverified: bool,
    /// Re-read `--cert` and `--key` this often and rotate to them when they changed (for
    /// short-lived server certificates); handshakes in flight keep the old one.
    pub cert_reload: Option<Duration>,
    /// How often the staple is refreshed.
    pub staple_refresh: Duration,
    /// Check the whole client chain against CRLs (OpenSSL's CRL_CHECK_ALL; webpki's chain
    /// revocation depth), not only the leaf.
    pub crl_check_all: bool,
    /// Use the delta CRLs among the CRLs (OpenSSL's X509_V_FLAG_USE_DELTAS); `--impl openssl`
    /// only (webpki refuses delta CRLs).
    #[serde(default)]
    pub crl_deltas: bool,
    /// Where the server writes its status events (JSON lines: listening, CRL loaded,
    /// rotations, the tally at shutdown) for the runner; `None`: nowhere.
    pub status: Option<PathBuf>,
    /// CPU burned per completed handshake, in microseconds (a calibration knob for gates;
    /// 0: off).
    #[serde(default)]
    pub handicap_us: u64,
}

impl Default for ServerSettings {
    fn default() -> Self {
        let (ocsp, stapling) = (OcspSettings::default(), StaplingSettings::default());
        Self {
            implementation: "rustls".into(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            cert: PathBuf::new(),
            key: PathBuf::new(),
            client_ca: None,
            client_auth: ClientAuth::Required,
            versions: vec![TlsVersion::Tls13],
            groups: Vec::new(),
            suites: Vec::new(),
            crl: Vec::new(),
            crl_policy: FailPolicy::Hard,
            crl_reload: None,
            resumption: ResumptionMode::Off,
            tickets: 2,
            threads: None,
            verify_depth: None,
            allow_cn: Vec::new(),
            client_sigalgs: Vec::new(),
            backlog: 65_535,
            conn_timeout: Duration::from_secs(10),
            crl_url: None,
            ocsp: false,
            ocsp_url: None,
            ocsp_cache_ttl: ocsp.cache_ttl,
            ocsp_timeout: ocsp.service.query_timeout,
            ocsp_nonce: false,
            ocsp_get: false,
            ocsp_policy: FailPolicy::Hard,
            staple: false,
            staple_unverified: false,
            cert_reload: None,
            staple_refresh: stapling.staple_refresh,
            crl_check_all: false,
            crl_deltas: false,
            status: None,
            handicap_us: 0,
        }
    }
}

/// The largest settings file `serve` reads.
const MAX_SETTINGS: u64 = 1024 * 1024;

impl ServerSettings {
    /// Writes the settings to `path` (JSON), for `serve --settings`.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let json = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        crate::fsutil::write_atomic(path, &json, 0o644)
    }

    /// Reads settings written by [`ServerSettings::write`].
    ///
    /// # Errors
    /// When the file cannot be read, is larger than 1 MiB, or is not valid settings.
    pub fn read(path: &Path) -> Result<Self, ServeError> {
        let settings = Self::read_unchecked(path)?;
        settings
            .check(Spelling::FileKey)
            .map_err(|reason| ServeError::File {
                path: path.to_path_buf(),
                reason,
            })?;
        Ok(settings)
    }

    /// The bounds every server relies on: reload and refresh intervals from
    /// [`MIN_INTERVAL`] to [`MAX_DURATION`] (a zero interval panics in the timer task and the
    /// server would silently never reload), timeouts above zero and at most
    /// [`MAX_DURATION`], threads from 1 to [`MAX_SERVER_THREADS`], tickets at most
    /// [`MAX_TICKETS`]. Every violation is listed, each naming the option, the limit and the
    /// value found.
    ///
    /// # Errors
    /// The violations, one per line, with options spelled as flags (`--crl-reload`).
    pub fn validate(&self) -> Result<(), String> {
        self.check(Spelling::Flag)
    }

    fn check(&self, spelling: Spelling) -> Result<(), String> {
        let name = |key: &str| match spelling {
            Spelling::Flag => format!("--{}", key.replace('_', "-")),
            Spelling::FileKey => format!("`{key}`"),
        };
        let show = |d: Duration| humantime::format_duration(d).to_string();
        let mut problems = Vec::new();
        if self.handicap_us > 1_000_000 {
            problems.push(format!(
                "{} must be at most 1000000, found {}",
                name("handicap_us"),
                self.handicap_us
            ));
        }
        let intervals = [
            ("crl_reload", self.crl_reload),
            ("cert_reload", self.cert_reload),
            ("staple_refresh", Some(self.staple_refresh)),
        ];
        for (key, value) in intervals {
            if let Some(d) = value.filter(|d| *d < MIN_INTERVAL || *d > MAX_DURATION) {
                problems.push(format!(
                    "{}: expected an interval from {} to {}, found {}",
                    name(key),
                    show(MIN_INTERVAL),
                    show(MAX_DURATION),
                    show(d)
                ));
            }
        }
        let timeouts = [
            ("conn_timeout", self.conn_timeout, false),
            ("ocsp_timeout", self.ocsp_timeout, false),
            ("ocsp_cache_ttl", self.ocsp_cache_ttl, true),
        ];
        for (key, d, zero_ok) in timeouts {
            if (d.is_zero() && !zero_ok) || d > MAX_DURATION {
                let low = if zero_ok { "0s" } else { "above 0s" };
                problems.push(format!(
                    "{}: expected a duration {low} and at most {}, found {}",
                    name(key),
                    show(MAX_DURATION),
                    show(d)
                ));
            }
        }
        if let Some(n) = self
            .threads
            .filter(|n| !(1..=MAX_SERVER_THREADS).contains(n))
        {
            problems.push(format!(
                "{}: expected 1 to {MAX_SERVER_THREADS} threads, found {n}",
                name("threads")
            ));
        }
        if self.tickets > MAX_TICKETS {
            problems.push(format!(
                "{}: expected at most {MAX_TICKETS} tickets per handshake, found {}",
                name("tickets"),
                self.tickets
            ));
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }

    fn read_unchecked(path: &Path) -> Result<Self, ServeError> {
        use std::io::Read;
        let file_error = |reason: String| ServeError::File {
            path: path.to_path_buf(),
            reason,
        };
        let mut text = String::new();
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_SETTINGS + 1).read_to_string(&mut text))
            .map_err(|e| file_error(e.to_string()))?;
        if text.len() as u64 > MAX_SETTINGS {
            return Err(file_error(format!("larger than {MAX_SETTINGS} bytes")));
        }
        serde_json::from_str(&text).map_err(|e| file_error(format!("not server settings: {e}")))
    }
}

/// How a setting is named in an error: as the flag a person typed or as the settings file's key.
#[derive(Clone, Copy)]
enum Spelling {
    Flag,
    FileKey,
}

/// A scenario enum from its name (they serialize as their names).
fn named<'de, D: Deserializer<'de>, T: FromStr>(d: D) -> Result<T, D::Error>
where
    T::Err: Display,
{
    String::deserialize(d)?
        .parse()
        .map_err(serde::de::Error::custom)
}

/// A list of scenario enums from their names.
fn named_list<'de, D: Deserializer<'de>, T: FromStr>(d: D) -> Result<Vec<T>, D::Error>
where
    T::Err: Display,
{
    Vec::<String>::deserialize(d)?
        .iter()
        .map(|s| s.parse().map_err(serde::de::Error::custom))
        .collect()
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
    /// A setting out of its bounds (each line names the option, the limit and the value).
    #[error("{0}")]
    Invalid(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_valid_and_zero_intervals_are_refused_by_name() {
        assert_eq!(ServerSettings::default().validate(), Ok(()));
        let zero = ServerSettings {
            crl_reload: Some(Duration::ZERO),
            cert_reload: Some(Duration::from_millis(1)),
            staple_refresh: Duration::ZERO,
            threads: Some(0),
            ..ServerSettings::default()
        };
        let e = zero.validate().unwrap_err();
        for expected in [
            "--crl-reload: expected an interval from 10ms to 1day, found 0s",
            "--cert-reload: expected an interval from 10ms to 1day, found 1ms",
            "--staple-refresh: expected an interval from 10ms to 1day, found 0s",
            "--threads: expected 1 to 1024 threads, found 0",
        ] {
            assert!(e.contains(expected), "{expected} in {e}");
        }
    }

    #[test]
    fn a_settings_file_with_a_zero_interval_names_the_file_and_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s.json");
        ServerSettings {
            crl_reload: Some(Duration::ZERO),
            ..ServerSettings::default()
        }
        .write(&path)
        .unwrap();
        let e = ServerSettings::read(&path).unwrap_err().to_string();
        assert!(e.contains("s.json"), "{e}");
        assert!(
            e.contains("`crl_reload`: expected an interval from 10ms"),
            "{e}"
        );
    }
}
