//! The settings of `mtls-harness serve`, shared by every built-in server: one typed value
//! ([`ServerSettings`]) that the runner hands over as a file and that, with the `cli` feature,
//! derives the command line's `serve` flags, and the errors a server reports when it cannot
//! start.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::limits::{Limits, Spelling};
use super::names::{named, named_list};
use super::revocation_settings::ServerRevocation;
use crate::scenario::{CipherSuite, ClientAuth, KxGroup, ResumptionMode, SigScheme, TlsVersion};

/// Most worker threads a built-in server may be asked for.
pub const MAX_SERVER_THREADS: usize = 1_024;

/// Most TLS 1.3 tickets a built-in server may send after one handshake.
pub const MAX_TICKETS: u32 = 16;

/// Which built-in server runs: the two stacks `serve` links.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum BuiltinServer {
    /// rustls with the aws-lc-rs provider.
    #[default]
    Rustls,
    /// The `openssl` crate, linked against the system's libssl.
    Openssl,
}

/// Everything a built-in server needs to know, as one typed value: the one definition from
/// which the runner's file hand-off (`serve --settings FILE`, JSON), the defaults
/// ([`ServerSettings::default`]) and, with the `cli` feature, the flags of `serve` come (the
/// doc comments below are the flags' help). The runner builds it from a case
/// ([`crate::peers::programs::start_server`]); revocation is [`ServerRevocation`], one mode with
/// its own settings, so no combination a case cannot have can be handed over.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Server implementation: `rustls`, or `openssl` (the `openssl` crate, linked against the
    /// system's libssl).
    #[cfg_attr(
        feature = "cli",
        arg(long = "impl", value_enum, default_value = "rustls")
    )]
    pub implementation: BuiltinServer,
    /// Address to listen on; port 0 picks a free port (printed on stdout).
    #[cfg_attr(feature = "cli", arg(long, default_value = "127.0.0.1:0"))]
    pub listen: SocketAddr,
    /// The server's certificate chain and key (on the command line, a group of its own that
    /// `--settings` stands in for).
    #[cfg_attr(feature = "cli", arg(skip))]
    pub identity: Identity,
    /// CA certificates trusted for client certificates (PEM).
    #[cfg_attr(feature = "cli", arg(long))]
    pub client_ca: Option<PathBuf>,
    /// Whether client certificates are required, optional or not requested.
    #[serde(deserialize_with = "named")]
    #[cfg_attr(feature = "cli", arg(long, default_value = "required"))]
    pub client_auth: ClientAuth,
    /// Protocol versions to enable, comma separated.
    #[serde(deserialize_with = "named_list")]
    #[cfg_attr(
        feature = "cli",
        arg(long, value_delimiter = ',', default_value = "1.3")
    )]
    pub versions: Vec<TlsVersion>,
    /// Key-exchange groups to accept, comma separated (default: all the stack supports).
    #[serde(deserialize_with = "named_list")]
    #[cfg_attr(feature = "cli", arg(long, value_delimiter = ','))]
    pub groups: Vec<KxGroup>,
    /// Cipher suites to accept, comma separated IANA names (default: all the stack supports).
    #[serde(deserialize_with = "named_list")]
    #[cfg_attr(feature = "cli", arg(long, value_delimiter = ','))]
    pub suites: Vec<CipherSuite>,
    /// Session resumption: off, session-id (stateful) or tickets (stateless).
    #[serde(deserialize_with = "named")]
    #[cfg_attr(feature = "cli", arg(long, default_value = "off"))]
    pub resumption: ResumptionMode,
    /// TLS 1.3 tickets sent after each handshake (with resumption on; at most 16).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 2))]
    pub tickets: u32,
    /// Worker threads (1 to 1024; default: one per usable CPU).
    #[cfg_attr(feature = "cli", arg(long))]
    pub threads: Option<usize>,
    /// The most intermediates accepted in a client chain (OpenSSL's verify depth). The openssl
    /// server honours any value; rustls (webpki) has a fixed limit of 6 and refuses another.
    #[cfg_attr(feature = "cli", arg(long))]
    pub verify_depth: Option<u8>,
    /// Admit only clients whose certificate's subject CN is one of these (repeat the option);
    /// others are refused with access_denied. Default: every client with a valid chain.
    #[cfg_attr(feature = "cli", arg(long = "allow-cn"))]
    pub allow_cn: Vec<String>,
    /// Signature schemes accepted for the client's CertificateVerify, comma-separated RFC 8446
    /// names (`rsa_pss_rsae_sha256,...`). Default: every scheme the stack supports.
    #[serde(deserialize_with = "named_list")]
    #[cfg_attr(feature = "cli", arg(long, value_delimiter = ','))]
    pub client_sigalgs: Vec<SigScheme>,
    /// Listen backlog (the kernel caps it at net.core.somaxconn).
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 65_535))]
    pub backlog: u32,
    /// Time a connection may take, handshake to close, before the server drops it.
    #[cfg_attr(
        feature = "cli",
        arg(long, default_value = "10s", value_parser = humantime::parse_duration)
    )]
    pub conn_timeout: Duration,
    /// How client certificates' revocation is checked, or the server's own certificate
    /// stapled: one mode with its settings (the flags give it through [`RevocationFlags`]).
    #[cfg_attr(feature = "cli", arg(skip))]
    pub revocation: ServerRevocation,
    /// Re-read `--cert` and `--key` this often and rotate to them when they changed (for
    /// short-lived server certificates); handshakes in flight keep the old one (10ms to 24h).
    #[cfg_attr(
        feature = "cli",
        arg(long, value_parser = humantime::parse_duration)
    )]
    pub cert_reload: Option<Duration>,
    /// Write status events (JSON lines: listening, CRL loaded, rotations, the tally at
    /// shutdown) to this file, for the runner.
    #[cfg_attr(feature = "cli", arg(long))]
    pub status: Option<PathBuf>,
    /// Burn this many microseconds of CPU per completed handshake (0 to 1000000; default 0,
    /// off): a calibration knob to check how small a regression a gate detects. Calibrated at
    /// start against the thread's CPU clock; no clock is read while burning.
    #[serde(default)]
    #[cfg_attr(feature = "cli", arg(long, default_value_t = 0))]
    pub handicap_us: u64,
}

/// The server's certificate chain and private key.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "cli", derive(clap::Args))]
#[serde(deny_unknown_fields)]
pub struct Identity {
    /// Server certificate chain (PEM, leaf first).
    #[cfg_attr(feature = "cli", arg(long))]
    pub cert: PathBuf,
    /// Server private key (PEM, PKCS#8).
    #[cfg_attr(feature = "cli", arg(long))]
    pub key: PathBuf,
}

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            implementation: BuiltinServer::Rustls,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            identity: Identity::default(),
            client_ca: None,
            client_auth: ClientAuth::Required,
            versions: vec![TlsVersion::Tls13],
            groups: Vec::new(),
            suites: Vec::new(),
            resumption: ResumptionMode::Off,
            tickets: 2,
            threads: None,
            verify_depth: None,
            allow_cn: Vec::new(),
            client_sigalgs: Vec::new(),
            backlog: 65_535,
            conn_timeout: Duration::from_secs(10),
            revocation: ServerRevocation::None,
            cert_reload: None,
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
        let mut limits = Limits::new(spelling);
        self.check_into(&mut limits);
        self.revocation.check_into(&mut limits);
        limits.finish()
    }

    /// The bounds of the settings outside revocation.
    fn check_into(&self, limits: &mut Limits) {
        limits.check(self.handicap_us > 1_000_000, "handicap_us", || {
            format!(" must be at most 1000000, found {}", self.handicap_us)
        });
        limits.interval("cert_reload", self.cert_reload);
        limits.duration("conn_timeout", self.conn_timeout, false);
        let threads = self.threads.unwrap_or(1);
        limits.check(
            !(1..=MAX_SERVER_THREADS).contains(&threads),
            "threads",
            || format!(": expected 1 to {MAX_SERVER_THREADS} threads, found {threads}"),
        );
        limits.check(self.tickets > MAX_TICKETS, "tickets", || {
            format!(
                ": expected at most {MAX_TICKETS} tickets per handshake, found {}",
                self.tickets
            )
        });
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
    use super::super::revocation_settings::{CrlCheck, OcspQuery, Stapling};
    use super::*;

    #[test]
    fn defaults_are_valid_and_zero_intervals_are_refused_by_name() {
        assert_eq!(ServerSettings::default().validate(), Ok(()));
        let crl = CrlCheck {
            crl_reload: Some(Duration::ZERO),
            ..CrlCheck::default()
        };
        let zero = ServerSettings {
            revocation: ServerRevocation::Crl(crl),
            cert_reload: Some(Duration::from_millis(1)),
            threads: Some(0),
            ..ServerSettings::default()
        };
        let stapling = Stapling {
            staple_refresh: Duration::ZERO,
            ..Stapling::default()
        };
        let zero_refresh = ServerSettings {
            revocation: ServerRevocation::Stapling(OcspQuery::default(), stapling),
            ..ServerSettings::default()
        };
        let e = [zero, zero_refresh]
            .map(|s| s.validate().unwrap_err())
            .join("\n");
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
        let crl = CrlCheck {
            crl_reload: Some(Duration::ZERO),
            ..CrlCheck::default()
        };
        ServerSettings {
            revocation: ServerRevocation::Crl(crl),
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
