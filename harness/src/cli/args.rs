//! The command line's arguments: the clap derive structs of every subcommand and the value
//! parsers of their options. Doc comments here are the `--help` text, so they are written for
//! the person typing the command.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Parser, Subcommand};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use super::cpus::{parse_cpus, CpuList};
use super::serve::ServeArgs;
use crate::peers;
use crate::pki::KeyType;
use crate::runner;

/// Benchmarks and conformance-tests mutual TLS: generates a PKI, starts real TLS servers,
/// drives concurrent mTLS handshakes over loopback, and reports latency, CPU and verdicts.
#[derive(Parser, Debug)]
#[command(name = "mtls-harness", version, about, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run scenario files (default: the built-in quick scenario, scenarios/quick.toml).
    Run(RunArgs),
    /// Check scenario files without running them; every problem is listed.
    Validate {
        /// Scenario files.
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// PKI fixtures.
    Pki {
        /// What to do with fixtures.
        #[command(subcommand)]
        command: PkiCommand,
    },
    /// Run a built-in TLS server (the runner starts these itself; useful by hand too).
    Serve(Box<ServeArgs>),
    /// Run the conformance suite (default: scenarios/conformance.toml) against every server
    /// peer, grade each case x peer, print the table and write junit.xml and conformance.json
    /// next to summary.json. Exit 1 when a row fails (a listed deviation does not).
    Conformance(ConformanceArgs),
    /// Compare two servers on one case in interleaved rounds (A B, B A, ...) on the same pinned
    /// CPUs: B/A per metric with a 95% interval (paired bootstrap); exit 1 when a gated
    /// metric of B is worse beyond --threshold.
    Ab(Box<super::ab::AbArgs>),
    /// Run NIST PKITS (sections 4.1-4.14) as client certificates against every server peer;
    /// exit 1 when a peer disagrees with NIST beyond the listed deviations.
    Pkits(super::pkits::PkitsArgs),
    /// Run the interop matrix (default: scenarios/interop.toml): every client x server x TLS
    /// version x full/resumed; print it as a matrix and write report.md next to summary.json.
    Interop(InteropArgs),
    /// Print the tables of server and client peers and what each can do, as Markdown (from the
    /// capability records; the README's peer tables are this output).
    Peers,
    /// Fleet experiments (lifetimes, renewal storms, OCSP responder capacity) and the strategy
    /// table computed from them; writes fleet.json and report.md.
    Fleet(super::fleet::FleetArgs),
    /// Merge HdrHistogram interval logs (e.g. one per worker) into one log and a .hgrm file;
    /// counts are added exactly.
    Merge {
        /// Interval logs (`.hlog`).
        #[arg(required = true)]
        logs: Vec<PathBuf>,
        /// The merged log to write (the `.hgrm` goes next to it).
        #[arg(long)]
        out: PathBuf,
    },
    /// Re-render a run's plots (plots/*.png, *.svg), report.md and report.html from its saved
    /// summary.json and interval logs.
    Report {
        /// The run directory.
        run_dir: PathBuf,
    },
    /// Compare a candidate run with a baseline, per case and metric; exit 1 on a regression
    /// beyond the noise threshold (and significant over the per-interval samples).
    Compare {
        /// Baseline: a name under reports/baselines, or a run directory.
        baseline: String,
        /// Candidate: a run directory, or a baseline name.
        candidate: String,
        /// Noise threshold and significance.
        #[command(flatten)]
        noise: NoiseArgs,
        /// Also write the markdown to this file (e.g. $GITHUB_STEP_SUMMARY).
        #[arg(long)]
        markdown: Option<PathBuf>,
    },
}

/// Options of `interop`.
#[derive(clap::Args, Debug)]
pub struct InteropArgs {
    /// The matrix's scenario file (default: scenarios/interop.toml, built in).
    pub file: Option<PathBuf>,
    /// Run directory (default: reports/runs/interop-<UTC time>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Known findings per cell (default: conformance/interop-findings.toml, built in).
    #[arg(long)]
    pub findings: Option<PathBuf>,
    /// No progress lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Your server instead of the matrix's server axis: which client stacks work with it.
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Options of `conformance`.
#[derive(clap::Args, Debug)]
pub struct ConformanceArgs {
    /// The suite's scenario file (default: scenarios/conformance.toml, built in).
    pub file: Option<PathBuf>,
    /// Run directory (default: reports/runs/conformance-<UTC time>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// What each case must produce (default: conformance/expectations.toml, built in).
    #[arg(long)]
    pub expectations: Option<PathBuf>,
    /// Known deviations per peer (default: conformance/deviations.toml, built in; none in
    /// target mode).
    #[arg(long)]
    pub deviations: Option<PathBuf>,
    /// No progress lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Target mode: grade an external server instead of the built-in peers.
    #[command(flatten)]
    pub target: TargetArgs,
    /// The target's TLS stack: the deviations the shipped list names for the harness's peer
    /// of that stack apply to the target too, on any address.
    #[arg(long, value_name = "STACK", requires = "target", value_parser = parse_stack)]
    pub target_stack: Option<crate::conformance::stack::TargetStack>,
    /// Run every case of the suite that sets no TLS version of its own at this one ("1.2" or
    /// "1.3"), offering the stock groups: a server that speaks only TLS 1.2 grades the whole
    /// suite. Cases about one version (a1-no-cert-tls13, a4-cert-verify-invalid, the -tls12
    /// ones) keep theirs.
    #[arg(long, value_name = "VERSION", value_parser = parse_tls_version)]
    pub tls_version: Option<crate::scenario::TlsVersion>,
}

/// A `--tls-version` value.
fn parse_tls_version(s: &str) -> Result<crate::scenario::TlsVersion, String> {
    s.parse().map_err(|_| "expected 1.2 or 1.3".to_string())
}

/// A `--target-stack` value.
fn parse_stack(s: &str) -> Result<crate::conformance::stack::TargetStack, String> {
    s.parse().map_err(|_| {
        format!(
            "expected one of {}",
            crate::conformance::stack::TargetStack::names().join(", ")
        )
    })
}

/// How `compare` and `run --baseline` tell a change from noise.
#[derive(clap::Args, Debug, Clone, Copy)]
pub struct NoiseArgs {
    /// Changes below this many percent are noise.
    #[arg(long, default_value_t = 5.0, value_parser = parse_percent)]
    pub threshold: f64,
    /// Significance level of the Mann-Whitney U test over per-interval samples.
    #[arg(long, default_value_t = 0.05, value_parser = parse_alpha)]
    pub alpha: f64,
}

impl NoiseArgs {
    /// The options of `compare` these arguments stand for.
    pub(super) fn options(self) -> crate::report::CompareOptions {
        crate::report::CompareOptions {
            threshold_pct: self.threshold,
            alpha: self.alpha,
        }
    }
}

fn parse_percent(s: &str) -> Result<f64, String> {
    match s.trim_end_matches('%').parse::<f64>() {
        Ok(v) if (0.0..=1000.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "expected a percentage from 0 to 1000 like 5; found \"{s}\""
        )),
    }
}

fn parse_alpha(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v > 0.0 && v < 1.0 => Ok(v),
        _ => Err(format!(
            "expected a probability between 0 and 1 like 0.05; found \"{s}\""
        )),
    }
}

/// `pki` subcommands.
#[derive(Subcommand, Debug)]
pub enum PkiCommand {
    /// Write the CRLs an external server must load for `--target-revocation crl` (the leaves'
    /// CRL listing the `revoked` client, and an empty CRL from each CA above), for the
    /// fixtures of `--seed` (and `--issuer-cert`), and print the server settings to add. Run
    /// `conformance --target ... --seed N --target-revocation crl` with the same options.
    TargetCrl {
        /// The CRL file to write (PEM, every CRL of the chain).
        #[arg(long)]
        out: PathBuf,
        /// The fixture seed the target run will use (`--seed` of `run`/`conformance`).
        #[arg(long)]
        seed: u64,
        /// Key type of the hierarchy (the suite's cases use ecdsa-p256).
        #[arg(long, default_value = "ecdsa-p256")]
        key: KeyType,
        /// Intermediate CAs (1 to 4; under --issuer-cert, as many as its path length allows).
        #[arg(long, default_value_t = 1)]
        intermediates: u8,
        /// Your CA (PEM) the credentials are issued under, as given to the run.
        #[arg(long, value_name = "PEM", requires = "issuer_key")]
        issuer_cert: Option<PathBuf>,
        /// Its private key (PEM).
        #[arg(long, value_name = "PEM", requires = "issuer_cert")]
        issuer_key: Option<PathBuf>,
        /// The certificates above it (PEM).
        #[arg(long, value_name = "PEM", requires = "issuer_cert")]
        issuer_chain: Option<PathBuf>,
        /// Under --issuer-cert: the file of the secret the run's serials and sub-CA keys come
        /// from (read when it exists, else drawn and written, mode 0600; default: OUT with
        /// `.mint-secret` appended). Give it to the run as --mint-secret.
        #[arg(long, value_name = "FILE", requires = "issuer_cert")]
        mint_secret: Option<PathBuf>,
    },
    /// Generate a root, intermediates, a server, a client pool and the bad client variants.
    Generate {
        /// Output directory (created).
        #[arg(long)]
        out: PathBuf,
        /// Key type of every certificate.
        #[arg(long, default_value = "ecdsa-p256")]
        key: KeyType,
        /// Client identities in the pool (1 to 1000000: each is a key and a certificate held
        /// in memory, about 2 KiB with ECDSA P-256).
        #[arg(long, default_value_t = 100, value_parser = parse_identities)]
        identities: usize,
        /// Intermediate CAs (1 to 4).
        #[arg(long, default_value_t = 1)]
        intermediates: u8,
        /// Seed: the same seed and anchor give byte-identical fixtures. Without it a random
        /// seed is drawn (printed, and kept in manifest.json), so a root a server is told to
        /// trust cannot be regenerated by anyone else; give one for reproducible benchmarks.
        #[arg(long)]
        seed: Option<u64>,
        /// Anchor time of validity periods (RFC 3339).
        #[arg(long, value_parser = parse_rfc3339)]
        anchor: Option<OffsetDateTime>,
    },
}

/// Options of `run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Scenario files, run one after another.
    pub files: Vec<PathBuf>,
    /// Run directory (default: reports/runs/<scenario>-<UTC time>). With several files, each
    /// gets a subdirectory named after its scenario.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Measure every case for this long (e.g. 10s; at most 24h), instead of its own duration
    /// or count.
    #[arg(long, value_parser = parse_positive_duration, conflicts_with = "handshakes")]
    pub duration: Option<Duration>,
    /// Measure this many handshakes per case (1 to 9223372036854775807, what a scenario's
    /// `load.handshakes` accepts).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=MAX_HANDSHAKES))]
    pub handshakes: Option<u64>,
    /// Handshakes in flight (closed loop), or the open loop's cap (1 to 1000000).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub concurrency: Option<u64>,
    /// Warm-up period excluded from results (at most 24h).
    #[arg(long, value_parser = parse_bounded_duration)]
    pub warmup: Option<Duration>,
    /// Pin server processes to these CPUs (e.g. 0 or 0-1 or 0,2).
    #[arg(long, value_parser = parse_cpus)]
    pub pin_server: Option<CpuList>,
    /// Pin the harness (the client side) to these CPUs.
    #[arg(long, value_parser = parse_cpus)]
    pub pin_client: Option<CpuList>,
    /// No progress lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
    /// Save the run as a baseline under reports/baselines/NAME (summary, interval logs,
    /// report.md).
    #[arg(long, value_name = "NAME", value_parser = parse_baseline_name)]
    pub save_baseline: Option<String>,
    /// Compare the run with this baseline (a name under reports/baselines, or a run
    /// directory); exit 1 on a regression. Writes compare.md into the run directory.
    #[arg(long, value_name = "NAME")]
    pub baseline: Option<String>,
    /// Noise threshold and significance of `--baseline`.
    #[command(flatten)]
    pub noise: NoiseArgs,
    /// Slice length of the per-case HDR interval logs (e.g. 1s, 250ms; 10ms to 1h, and at
    /// most 100000 intervals per case, so every log stays readable by `report` and `compare`).
    #[arg(long, value_parser = parse_interval)]
    pub interval: Option<Duration>,
    /// Run as worker K of N (e.g. 2/4): this process drives its share of every case's load
    /// (concurrency, rate and handshake count divided by N); `mtls-harness merge` combines the
    /// workers' interval logs.
    #[arg(long, value_name = "K/N", value_parser = parse_worker)]
    pub worker: Option<runner::Worker>,
    /// Print summary.json on stdout instead of the tables (for scripts; the rest goes to
    /// stderr).
    #[arg(long)]
    pub json: bool,
    /// Target mode: an external server instead of the cases' server peers.
    #[command(flatten)]
    pub target: TargetArgs,
}

/// Target mode: the harness's clients against an external server.
#[derive(clap::Args, Debug, Default)]
pub struct TargetArgs {
    /// Drive this external server (HOST:PORT) instead of starting the cases' server peers.
    /// Give --issuer-cert/--issuer-key so every credential is issued under a CA it trusts;
    /// otherwise cases run only if it trusts the run's own (randomly seeded) root.
    #[arg(long, value_name = "HOST:PORT", requires = "target_ca")]
    pub target: Option<String>,
    /// CA certificates (PEM) the client trusts for the target's server certificate.
    #[arg(long, value_name = "PEM", requires = "target")]
    pub target_ca: Option<PathBuf>,
    /// Server name to send and verify (default: the target's host).
    #[arg(long, requires = "target")]
    pub target_name: Option<String>,
    /// The path every attempt requests (default /): for a server that asks for a client
    /// certificate only under some paths (Apache `<Location /secure>` with `SSLVerifyClient
    /// require`: TLS 1.3 post-handshake authentication or TLS 1.2 renegotiation), one of
    /// those; drive it with client = "openssl", which answers both.
    #[arg(long, value_name = "PATH", requires = "target")]
    pub target_path: Option<String>,
    /// Your own client certificate chain (PEM, leaf first), used as the valid credential.
    #[arg(long, value_name = "PEM", requires_all = ["target", "client_key"])]
    pub client_cert: Option<PathBuf>,
    /// The private key (PEM) of --client-cert.
    #[arg(long, value_name = "PEM", requires = "client_cert")]
    pub client_key: Option<PathBuf>,
    /// A CA of yours (PEM) that the target trusts, directly or through --issuer-chain: every
    /// credential and bad variant is issued under it (a throwaway sub-CA where its path length
    /// allows). Use a test sub-CA, never a production issuing CA.
    #[arg(long, value_name = "PEM", requires_all = ["target", "issuer_key"])]
    pub issuer_cert: Option<PathBuf>,
    /// The private key (PEM, unencrypted) of --issuer-cert; read, never copied.
    #[arg(long, value_name = "PEM", requires = "issuer_cert")]
    pub issuer_key: Option<PathBuf>,
    /// The certificates above --issuer-cert (PEM, its issuer first), sent after it.
    #[arg(long, value_name = "PEM", requires = "issuer_cert")]
    pub issuer_chain: Option<PathBuf>,
    /// How long what is minted under --issuer-cert (or `[pki] issuer`) stays valid: the
    /// throwaway sub-CA, the leaves and the bad credentials expire this long after the run
    /// starts (at least 10m, at most 30 days), never after your CA does. Their keys and serials
    /// are random whatever --seed says; the run lists them in `minted.json`.
    #[arg(long, value_name = "DURATION", value_parser = parse_issued_lifetime, requires = "target")]
    pub issued_lifetime: Option<Duration>,
    /// The secret file `pki target-crl` wrote beside its CRLs (mode 0600): the run then mints
    /// the serials and sub-CA keys those CRLs name (with --issuer-cert, when the target loads
    /// the CRLs of `pki target-crl`).
    #[arg(long, value_name = "FILE", requires = "target")]
    pub mint_secret: Option<PathBuf>,
    /// Fixture seed (overrides `[pki] seed`; default: a random one). Give the seed of
    /// `pki target-crl` when the target loads its CRLs.
    #[arg(long, requires = "target")]
    pub seed: Option<u64>,
    /// What the target checks for client certificates: the revocation cases of that mode run
    /// (`crl`: the target loads the CRLs of `pki target-crl`; `ocsp`: it asks the responder
    /// named in the certificates, which the harness runs); the others are skipped.
    #[arg(long, value_enum, requires = "target")]
    pub target_revocation: Option<TargetRevocation>,
    /// Where the harness's OCSP responder and CRL publisher listen (an IP address the target
    /// can reach, and a port); default 127.0.0.1 on a free port.
    #[arg(long, value_name = "IP:PORT", requires = "target")]
    pub revocation_listen: Option<std::net::SocketAddr>,
}

/// The user's CA from `--issuer-cert`, `--issuer-key` and `--issuer-chain`.
///
/// # Errors
/// When a file is missing or wrong: the error names the option and the file.
pub(crate) fn load_issuer(
    cert: &std::path::Path,
    key: &std::path::Path,
    chain: Option<&std::path::Path>,
) -> Result<crate::pki::IssuerRef, peers::TargetError> {
    use crate::pki::{ExternalCa, IssuerRef, PemPart};
    ExternalCa::load(cert, key, chain)
        .map(|ca| IssuerRef(Arc::new(ca)))
        .map_err(|e| peers::TargetError {
            option: match e.which {
                PemPart::Cert => "--issuer-cert",
                PemPart::Key => "--issuer-key",
                PemPart::Chain => "--issuer-chain",
            },
            message: e.to_string(),
        })
}

/// What an external server checks (`--target-revocation`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum TargetRevocation {
    /// CRLs loaded from files.
    Crl,
    /// OCSP, asking the responder in the certificates' AIA.
    Ocsp,
}

impl TargetArgs {
    /// The target, when target mode was asked for.
    ///
    /// # Errors
    /// When an option is invalid (the error names it).
    pub fn target(&self) -> Result<Option<Arc<peers::Target>>, peers::TargetError> {
        let (Some(target), Some(ca)) = (&self.target, &self.target_ca) else {
            return Ok(None);
        };
        peers::Target::new(
            target,
            ca,
            self.target_name.as_deref(),
            self.client_cert.as_ref(),
            self.client_key.as_ref(),
        )
        .and_then(|t| match &self.target_path {
            Some(path) => t.with_path(path),
            None => Ok(t),
        })
        .map(|t| Some(Arc::new(t)))
    }

    /// Puts the target's revocation options into `opts`.
    pub fn apply(&self, opts: &mut runner::RunOptions) {
        opts.target_revocation = self.target_revocation.map(|r| match r {
            TargetRevocation::Crl => crate::scenario::RevocationMode::Crl,
            TargetRevocation::Ocsp => crate::scenario::RevocationMode::Ocsp,
        });
        opts.revocation_listen = self.revocation_listen;
    }

    /// `issuer` minting by --issued-lifetime and --mint-secret (unchanged without them).
    ///
    /// # Errors
    /// When the secret file is missing or holds something else.
    pub fn minting(
        &self,
        issuer: crate::pki::IssuerRef,
    ) -> Result<crate::pki::IssuerRef, peers::TargetError> {
        if self.issued_lifetime.is_none() && self.mint_secret.is_none() {
            return Ok(issuer);
        }
        let secret = self
            .mint_secret
            .as_deref()
            .map(|path| {
                crate::pki::Mint::read_secret(path).map_err(|e| peers::TargetError {
                    option: "--mint-secret",
                    message: format!("{}: {e}", path.display()),
                })
            })
            .transpose()?;
        let lifetime = self
            .issued_lifetime
            .map(|d| time::Duration::seconds(i64::try_from(d.as_secs()).unwrap_or(i64::MAX)));
        let ca = (*issuer.0).clone().minting(lifetime, secret);
        Ok(crate::pki::IssuerRef(Arc::new(ca)))
    }

    /// The user's CA, when --issuer-cert was given.
    ///
    /// # Errors
    /// When a file is missing or wrong (the error names the option and the file).
    pub fn issuer(&self) -> Result<Option<crate::pki::IssuerRef>, peers::TargetError> {
        let (Some(cert), Some(key)) = (&self.issuer_cert, &self.issuer_key) else {
            return Ok(None);
        };
        load_issuer(cert, key, self.issuer_chain.as_deref()).map(Some)
    }
}

/// The largest `--handshakes`: the scenario's own bound on `load.handshakes` (`i64::MAX`).
const MAX_HANDSHAKES: u64 = i64::MAX.unsigned_abs();

fn parse_worker(s: &str) -> Result<runner::Worker, String> {
    let bad = || format!("expected K/N with 1 <= K <= N <= 10000 like 2/4; found \"{s}\"");
    let (k, n) = s.split_once('/').ok_or_else(bad)?;
    let (index, of): (u32, u32) = (
        k.trim().parse().map_err(|_| bad())?,
        n.trim().parse().map_err(|_| bad())?,
    );
    if index == 0 || index > of || of > 10_000 {
        return Err(bad());
    }
    Ok(runner::Worker { index, of })
}

fn parse_identities(s: &str) -> Result<usize, String> {
    let max = crate::pki::MAX_IDENTITIES;
    s.trim()
        .parse::<usize>()
        .ok()
        .filter(|n| (1..=max).contains(n))
        .ok_or_else(|| format!("expected a number of identities from 1 to {max}; found \"{s}\""))
}

fn parse_baseline_name(s: &str) -> Result<String, String> {
    crate::report::check_baseline_name(s).map(|()| s.to_string())
}

fn parse_bounded_duration(s: &str) -> Result<Duration, String> {
    let d =
        humantime::parse_duration(s).map_err(|e| format!("expected a duration like 10s: {e}"))?;
    if d > crate::scenario::MAX_DURATION {
        return Err("expected at most 24h".into());
    }
    Ok(d)
}

fn parse_positive_duration(s: &str) -> Result<Duration, String> {
    let d = parse_bounded_duration(s)?;
    if d.is_zero() {
        return Err("expected a duration above zero".into());
    }
    Ok(d)
}

/// Most `--issued-lifetime`: a month (what is minted under a user's CA must not linger).
const MAX_ISSUED_LIFETIME: Duration = Duration::from_secs(30 * 86_400);

fn parse_issued_lifetime(s: &str) -> Result<Duration, String> {
    let d =
        humantime::parse_duration(s).map_err(|e| format!("expected a duration like 4h: {e}"))?;
    let min = Duration::from_secs(
        crate::pki::MIN_ISSUED_LIFETIME
            .whole_seconds()
            .unsigned_abs(),
    );
    if d < min || d > MAX_ISSUED_LIFETIME {
        return Err(format!("expected 10m to 30days; found \"{s}\""));
    }
    Ok(d)
}

/// `--interval`: from [`runner::MIN_LOG_INTERVAL`] to [`runner::MAX_LOG_INTERVAL`] (the count
/// per case is checked against each case's duration when the run starts).
fn parse_interval(s: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(s)
        .map_err(|e| format!("expected a duration like 1s or 250ms: {e}"))?;
    if !(runner::MIN_LOG_INTERVAL..=runner::MAX_LOG_INTERVAL).contains(&d) {
        return Err(format!(
            "expected an interval from {} to {} (shorter slices make interval logs too large to read back)",
            humantime::format_duration(runner::MIN_LOG_INTERVAL),
            humantime::format_duration(runner::MAX_LOG_INTERVAL)
        ));
    }
    Ok(d)
}

fn parse_rfc3339(s: &str) -> Result<OffsetDateTime, String> {
    OffsetDateTime::parse(s, &Rfc3339)
        .map_err(|e| format!("expected RFC 3339 like 2026-01-01T00:00:00Z: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identities_are_bounded() {
        assert_eq!(parse_identities("100"), Ok(100));
        assert!(parse_identities("0").is_err());
        let e = parse_identities("18446744073709551615").unwrap_err();
        assert!(e.contains("1 to 1000000"), "{e}");
    }
}
