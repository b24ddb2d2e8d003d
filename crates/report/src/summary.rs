//! The run summary: the `summary.json` contract (`schema_version`, snake_case, units in field
//! names), as the types serialized into it. How a case's measurements become one entry is in
//! `case_entry.rs`; the revocation comparison's rows are computed in `revocation_table.rs`.
//! Data only, so every renderer can depend on it and it depends on no renderer.

use std::collections::BTreeMap;

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

use super::threshold_check::ThresholdCheck;
use crate::measure::Exposure;
use crate::scenario::{Expectation, LoadSpec, Revocation, TlsSettings};

/// Version of the `summary.json` layout; bumped on any incompatible change.
pub const SCHEMA_VERSION: u32 = 1;

/// The whole run.
#[derive(Clone, Debug, Serialize)]
pub struct RunSummary {
    /// Layout version.
    pub schema_version: u32,
    /// Tool name and version.
    pub tool: ToolInfo,
    /// Scenario name, file and description.
    pub scenario: ScenarioInfo,
    /// RFC 3339 UTC.
    pub started_at: String,
    /// RFC 3339 UTC; updated as cases finish.
    pub finished_at: String,
    /// True until the run's last write: a run cut short by a signal, or ended abruptly
    /// (`kill -9`, a crash) before its summary was completed, says true.
    pub interrupted: bool,
    /// Every case the run was to run, by name, in order: a case listed here but absent from
    /// `cases` was not run (the run ended first) and counts as failed.
    pub planned_cases: Vec<String>,
    /// CPUs the harness could use.
    pub usable_cpus: usize,
    /// CPU pinning in effect, if any.
    pub pinning: Pinning,
    /// One entry per case, in run order.
    pub cases: Vec<CaseSummary>,
    /// The revocation comparison of the cases (empty when no case checks revocation).
    pub revocation_comparison: Vec<RevocationRow>,
    /// The comparison per server stack: CRL cost against the CRL's size and layout, and
    /// whether the stack verifies its CRL once at load or on every handshake.
    pub revocation_per_stack: Vec<StackRow>,
    /// "Which strategy for N clients and an exposure of at most T", computed from the
    /// comparison rows (`null` when no case checks revocation).
    pub revocation_strategy: Option<super::strategy::StrategyTable>,
}

/// Tool identity.
#[derive(Clone, Debug, Serialize)]
pub struct ToolInfo {
    /// `mtls-harness`.
    pub name: &'static str,
    /// Crate version.
    pub version: &'static str,
}

/// The scenario a run came from.
#[derive(Clone, Debug, Serialize)]
pub struct ScenarioInfo {
    /// `name`.
    pub name: String,
    /// Path as given.
    pub file: String,
    /// `description`.
    pub description: String,
}

/// CPU pinning of each side.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Pinning {
    /// CPUs of the server process.
    pub server_cpus: Option<Vec<usize>>,
    /// CPUs of the harness (client side).
    pub client_cpus: Option<Vec<usize>>,
}

/// Percentiles of a latency histogram, in microseconds.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Percentiles {
    /// Number of values.
    pub count: u64,
    /// Smallest.
    pub min: u64,
    /// Median.
    pub p50: u64,
    /// 90th percentile.
    pub p90: u64,
    /// 99th percentile.
    pub p99: u64,
    /// 99.9th percentile.
    pub p999: u64,
    /// Largest.
    pub max: u64,
    /// Mean.
    pub mean: f64,
}

impl Percentiles {
    /// Percentiles of `h`, or `None` when it is empty.
    pub fn of(h: &Histogram<u64>) -> Option<Self> {
        if h.is_empty() {
            return None;
        }
        Some(Self {
            count: h.len(),
            min: h.min(),
            p50: h.value_at_quantile(0.50),
            p90: h.value_at_quantile(0.90),
            p99: h.value_at_quantile(0.99),
            p999: h.value_at_quantile(0.999),
            max: h.max(),
            mean: (h.mean() * 10.0).round() / 10.0,
        })
    }
}

/// Latency of each phase.
#[derive(Clone, Debug, Serialize)]
pub struct Phases {
    /// TCP connect.
    pub connect: Option<Percentiles>,
    /// TLS handshake at the client, from connected.
    pub handshake: Option<Percentiles>,
    /// Handshake done to the first reply byte.
    pub response: Option<Percentiles>,
}

/// One negotiated parameter set and how often it occurred.
#[derive(Clone, Debug, Serialize)]
pub struct NegotiatedCount {
    /// e.g. `TLSv1_3`.
    pub version: String,
    /// e.g. `TLS13_AES_256_GCM_SHA384`.
    pub cipher_suite: String,
    /// e.g. `X25519`; `null` when no key exchange happened.
    pub group: Option<String>,
    /// Whether these handshakes resumed a session.
    pub resumed: bool,
    /// Handshakes that negotiated this.
    pub count: u64,
}

/// What resumption did in a case.
#[derive(Clone, Debug, Serialize)]
pub struct ResumptionSummary {
    /// `off`, `session-id` or `tickets`.
    pub mode: String,
    /// Accepted handshakes in which the client offered a session.
    pub offered: u64,
    /// Accepted handshakes that resumed.
    pub resumed: u64,
    /// Offered a session but did a full handshake.
    pub missed: u64,
    /// Resumed without offering (should never happen).
    pub unplanned: u64,
    /// Were to resume, but the client found no session to offer (the server sent no ticket to
    /// replace the one used, or concurrent attempts of the identity took its single-use
    /// tickets), so made a full handshake; counted in neither `offered` nor `missed` (clients
    /// that can tell: the rustls client).
    pub no_session: u64,
    /// The real resumption rate: resumed / accepted, in percent.
    pub resumed_pct: f64,
}

/// One case's results.
#[derive(Clone, Debug, Serialize)]
pub struct CaseSummary {
    /// Case name.
    pub name: String,
    /// Case description.
    pub description: String,
    /// Server peer.
    pub server: String,
    /// Client peer.
    pub client: String,
    /// Key type.
    pub key: String,
    /// Client-auth mode of the server.
    pub client_auth: String,
    /// Client credential variant (`own` for the user's own credential files: `own_credential`
    /// says which).
    pub client_cert: String,
    /// The user's own credential files the case sent (`client_cert = { cert, key }`): the
    /// certificate file, the leaf's subject and SHA-256; never the key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub own_credential: Option<crate::pki::OwnCredential>,
    /// Intermediate CAs in the chains.
    pub intermediates: u8,
    /// The matrix axis values that made this case.
    pub axes: BTreeMap<String, String>,
    /// TLS settings.
    pub tls: TlsSettings,
    /// Revocation checking.
    pub revocation: Revocation,
    /// The exposure window, when the case revoked the victim mid-run.
    pub exposure: Option<Exposure>,
    /// Load settings.
    pub load: LoadSpec,
    /// Expected result (`accept`, `reject`, `reject:<class>`).
    pub expect: Expectation,
    /// Whether the results met the expectation.
    pub met: bool,
    /// Why (or why not), in words.
    pub verdict: String,
    /// Set when the case could not run (the server did not start, ...).
    pub error: Option<String>,
    /// Measured attempts (warm-up excluded).
    pub attempts: u64,
    /// Attempts per outcome class (zero counts omitted).
    pub outcomes: BTreeMap<String, u64>,
    /// Non-2xx HTTP statuses received, per status.
    pub http_statuses: BTreeMap<String, u64>,
    /// Connect to first reply byte (from the scheduled start in open loop), accepted only.
    pub latency_us: Option<Percentiles>,
    /// Latency of accepted full handshakes.
    pub full_latency_us: Option<Percentiles>,
    /// Latency of accepted resumed handshakes.
    pub resumed_latency_us: Option<Percentiles>,
    /// What resumption did (resumption on, or any handshake resumed).
    pub resumption: Option<ResumptionSummary>,
    /// Time until the server's rejection, rejected attempts only.
    pub rejection_latency_us: Option<Percentiles>,
    /// Per-phase latency.
    pub phases_us: Phases,
    /// Attempts completed per second inside the measured window.
    pub handshakes_per_sec: f64,
    /// Length of the measured window.
    pub window_ms: f64,
    /// Server process CPU per completed attempt.
    pub server_cpu_us_per_handshake: Option<f64>,
    /// Harness (client) CPU per completed attempt.
    pub client_cpu_us_per_handshake: Option<f64>,
    /// The kernel part of `server_cpu_us_per_handshake` (system calls and, on loopback, much
    /// of the TCP stack).
    pub server_cpu_sys_us_per_handshake: Option<f64>,
    /// The kernel part of `client_cpu_us_per_handshake`.
    pub client_cpu_sys_us_per_handshake: Option<f64>,
    /// Server CPU time / wall time, in percent of one core.
    pub server_cpu_util_pct: Option<f64>,
    /// Harness CPU time / wall time, in percent of one core.
    pub client_cpu_util_pct: Option<f64>,
    /// Bytes the client sent per attempt (TCP payload: TLS records).
    pub bytes_sent_per_handshake: f64,
    /// Bytes the client received per attempt.
    pub bytes_received_per_handshake: f64,
    /// What the handshakes negotiated.
    pub negotiated: Vec<NegotiatedCount>,
    /// HDR percentile file of the headline latency, relative to the run directory.
    pub hgrm_file: Option<String>,
    /// What the revocation service did for this case (modes that use it).
    pub responder: Option<ResponderFigures>,
    /// Short-lived certificates: renewals, rotations, the CA's rate (mode `short-lived`).
    pub short_lived: Option<crate::measure::ShortLivedFigures>,
    /// The CRL the server loaded at start, if any.
    pub crl: Option<CrlFigures>,
    /// The CRL files the case's server was given (mode `crl`): shards and their sizes, the
    /// delta CRL's; `None` without CRL files.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crl_files: Option<CrlFileFigures>,
    /// What the server downloaded from the revocation service's CRL endpoint during the case
    /// (mode `crl-http`; a sharded CRL: only the shards its clients' certificates name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub crl_fetches: Option<CrlFetchFigures>,
    /// Whether the server consulted the case's revocation source (modes `ocsp` and
    /// `crl-http`: the harness's responder and CRL service count what they are asked), the
    /// evidence a revocation verdict needs; `None` in other modes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation_queries: Option<SourceQueries>,
    /// The server process's peak resident memory (VmHWM), read just before it stopped.
    pub server_peak_rss_kib: Option<u64>,
    /// Set when the case was skipped: the peer is not installed or lacks a feature the case
    /// needs. A skipped case is neither met nor a failure.
    pub skipped: Option<String>,
    /// The verdict the server peer gave in its own words, when the outcome classes come from
    /// it rather than from an alert (nginx's error log behind an HTTP 400).
    pub peer_verdict: Option<String>,
    /// HdrHistogram interval log of accepted-handshake latency (of the time to the rejection
    /// when nothing was accepted), relative to the run directory.
    pub hlog_file: Option<String>,
    /// Peak resident memory of the harness during the case.
    pub client_peak_rss_bytes: Option<u64>,
    /// Peak resident memory growth during the case divided by the handshakes in flight.
    pub client_memory_per_connection_bytes: Option<f64>,
    /// What the client saw of client authentication (measured cases; zero counts when its
    /// client cannot observe it).
    pub evidence: Option<EvidenceSummary>,
    /// The case's performance gates (`thresholds`) and what each found; empty without any.
    pub thresholds: Vec<ThresholdCheck>,
}

/// Verdict evidence over a case's measured attempts (CONFORMANCE.md: a refusal is a
/// certificate verdict only when the server asked for a certificate and refused after the
/// client's Certificate message).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct EvidenceSummary {
    /// Attempts whose client observed client authentication (0: not observed, e.g. process
    /// clients).
    pub attempts_observed: u64,
    /// Attempts in which the server sent a CertificateRequest.
    pub cert_requested: u64,
    /// Attempts whose Certificate message carried a certificate.
    pub cert_sent: u64,
    /// Attempts whose Certificate message was empty.
    pub empty_certificate_sent: u64,
    /// Refusals after the client's Certificate message (certificate verdicts).
    pub refused_after_certificate: u64,
    /// Refusals before it (`refused_before_certificate`).
    pub refused_before_certificate: u64,
    /// Refusals of completed handshakes without a CertificateRequest
    /// (`refused_without_cert_request`).
    pub refused_without_request: u64,
    /// Full handshakes accepted without a CertificateRequest.
    pub accepted_without_request: u64,
    /// Attempts in which the server sent a TLS 1.3 CertificateRequest after its handshake
    /// (post-handshake authentication, RFC 8446 4.6.2).
    pub post_handshake_cert_requested: u64,
    /// Attempts in which the server sent a TLS 1.2 HelloRequest (a renegotiation carrying the
    /// CertificateRequest).
    pub renegotiation_requested: u64,
    /// Distinct CA names the CertificateRequests named (RFC 4514; at most 16, each at most 256
    /// bytes).
    pub ca_names: Vec<String>,
    /// Distinct signature schemes they allowed (at most 32).
    pub signature_schemes: Vec<String>,
}

impl From<&crate::measure::EvidenceCounts> for EvidenceSummary {
    fn from(e: &crate::measure::EvidenceCounts) -> Self {
        Self {
            attempts_observed: e.observed,
            cert_requested: e.cert_requested,
            cert_sent: e.cert_sent,
            empty_certificate_sent: e.empty_certificate_sent,
            refused_after_certificate: e.refused_after_certificate,
            refused_before_certificate: e.refused_before_certificate,
            refused_without_request: e.refused_without_request,
            accepted_without_request: e.accepted_without_request,
            post_handshake_cert_requested: e.post_handshake_cert_requested,
            renegotiation_requested: e.renegotiation_requested,
            ca_names: e.ca_names.clone(),
            signature_schemes: e.sig_schemes.clone(),
        }
    }
}

/// What loading a CRL cost the server.
#[derive(Clone, Debug, Serialize)]
pub struct CrlFigures {
    /// Size of the CRLs loaded.
    pub bytes: u64,
    /// Time to load them and build the server configuration.
    pub server_load_ms: f64,
}

/// The CRL downloads the revocation service served during a case (its HTTP counters, warm-up
/// and reloads included).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CrlFetchFigures {
    /// `GET /crl/...` requests.
    pub requests: u64,
    /// Body bytes served.
    pub bytes: u64,
    /// Per CRL name (`leaf.crl`, or a shard's `leaf-<k>-of-<n>.crl`).
    pub by_name: BTreeMap<String, CrlFetchCount>,
}

/// Requests and body bytes of one CRL name.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrlFetchCount {
    /// Requests.
    pub requests: u64,
    /// Body bytes served.
    pub bytes: u64,
}

/// The CRLs a case's server was given, measured from their DER.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct CrlFileFigures {
    /// CRLs of the leaves' CA (1, or the shards).
    pub shards: u16,
    /// All of them together, the delta CRL included.
    pub total_bytes: u64,
    /// The largest shard (the whole CRL when not sharded): what a relying party fetches to
    /// learn one certificate's status.
    pub largest_shard_bytes: u64,
    /// The smallest shard.
    pub smallest_shard_bytes: u64,
    /// The delta CRL, when the case has one.
    pub delta_bytes: Option<u64>,
}

impl CrlFileFigures {
    /// The figures of CRLs of DER sizes `sizes` (the base CRL or the shards) and a delta CRL
    /// of `delta` bytes.
    pub fn of(sizes: &[usize], delta: Option<usize>) -> Self {
        let sizes: Vec<u64> = sizes.iter().map(|&n| n as u64).collect();
        let delta_bytes = delta.map(|n| n as u64);
        Self {
            shards: u16::try_from(sizes.len()).unwrap_or(u16::MAX),
            total_bytes: sizes.iter().sum::<u64>() + delta_bytes.unwrap_or(0),
            largest_shard_bytes: sizes.iter().copied().max().unwrap_or(0),
            smallest_shard_bytes: sizes.iter().copied().min().unwrap_or(0),
            delta_bytes,
        }
    }
}

/// What a case's revocation source was asked during its load (warm-up included): the
/// evidence that the server checked revocation at all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceQueries {
    /// `ocsp_responder` or `crl_service`.
    pub source: &'static str,
    /// Requests it received from the load's start to its end (OCSP requests, or CRL
    /// downloads).
    pub requests: u64,
    /// Whether the counter can see the server's requests: `false` while the source is down
    /// (its port is closed, so a server's attempt is refused before anything counts it).
    pub observable: bool,
}

/// The revocation service's work during a case.
#[derive(Clone, Debug, Serialize)]
pub struct ResponderFigures {
    /// OCSP requests it answered (whole case, warm-up included).
    pub queries: u64,
    /// Those per handshake attempt.
    pub queries_per_handshake: f64,
    /// Its thread's CPU per handshake in the measured window (not in the client's figure).
    pub cpu_us_per_handshake: Option<f64>,
}

/// One case of the revocation comparison (`revocation_comparison` in `summary.json`; built by
/// `revocation_table::rows`).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RevocationRow {
    /// The case.
    pub case: String,
    /// The server stack.
    #[serde(default)]
    pub server: String,
    /// The client certificate (`valid`, `revoked`, ...).
    #[serde(default)]
    pub client_cert: String,
    /// Filler entries of the CRL (modes `crl`, `crl-http`).
    #[serde(default)]
    pub crl_entries: Option<usize>,
    /// The CRL's layout: shards (1: one CRL) and whether a delta CRL comes with the base.
    #[serde(default)]
    pub crl_shards: Option<u16>,
    /// See `crl_shards`.
    #[serde(default)]
    pub crl_delta: bool,
    /// The CRL files the server was given: the largest shard (the whole CRL unsharded), the
    /// bytes a relying party fetches for one certificate's status.
    #[serde(default)]
    pub crl_shard_bytes: Option<u64>,
    /// Every CRL file together (all shards, the delta), what a server loading all holds.
    #[serde(default)]
    pub crl_files_bytes: Option<u64>,
    /// The delta CRL's size.
    #[serde(default)]
    pub crl_delta_bytes: Option<u64>,
    /// Why the case was skipped (the stack cannot do it).
    #[serde(default)]
    pub skipped: Option<String>,
    /// Revocation mode.
    pub mode: String,
    /// The injected fault (`none`, or e.g. `down`, `delay 50ms`).
    pub fault: String,
    /// Hard or soft fail, where the mode has a policy.
    pub policy: Option<String>,
    /// Most frequent outcome.
    pub outcome: String,
    /// Under a fault: `open` (clients got in) or `closed` (they were refused).
    pub fails: Option<String>,
    /// Handshake latency (accepted, else rejected), ms.
    pub p50_ms: Option<f64>,
    /// See `p50_ms`.
    pub p99_ms: Option<f64>,
    /// p50 over the run's `none` case with the same key, ms.
    pub added_p50_ms: Option<f64>,
    /// Server CPU per handshake, µs.
    pub server_cpu_us: Option<f64>,
    /// Server CPU per handshake over the `none` case, in percent.
    pub added_server_cpu_pct: Option<f64>,
    /// Client CPU per handshake, µs (the revocation service's thread excluded).
    pub client_cpu_us: Option<f64>,
    /// The revocation service's CPU per handshake, µs.
    pub responder_cpu_us: Option<f64>,
    /// OCSP queries per handshake.
    pub responder_queries_per_handshake: Option<f64>,
    /// TLS bytes both ways per handshake.
    pub bytes_per_handshake: f64,
    /// Server peak memory, MiB.
    pub server_rss_mib: Option<f64>,
    /// CRL size and the server's time to load it.
    pub crl_bytes: Option<u64>,
    /// See `crl_bytes`.
    pub crl_load_ms: Option<f64>,
    /// Time from the revocation to the revoked client's first rejection, ms.
    pub exposure_ms: Option<f64>,
    /// The longest the mode may take (its refresh interval), ms, for exposure cases.
    pub exposure_bound_ms: Option<f64>,
    /// Resumptions by the revoked client after its revocation that got in / were tried.
    pub resumed_after_revocation: Option<(u64, u64)>,
    /// The resumption exposure: how long after the revocation the revoked client still got
    /// in by resuming (its last admitted resumption), ms; `null` when none got in.
    #[serde(default)]
    pub resumption_exposure_ms: Option<f64>,
    /// Whether it still got in by resuming when the probe stopped (the resumption exposure is
    /// then at least `resumption_exposure_ms`, not bounded by the run).
    #[serde(default)]
    pub resumption_exposure_open: Option<bool>,
    /// What the case expected of those resumptions (`refuse`: an admission fails it;
    /// `record`: measured as a finding), for exposure cases with resumption on.
    #[serde(default)]
    pub resumption_expected: Option<String>,
    /// CRL downloads from the revocation service during the case: requests.
    #[serde(default)]
    pub crl_fetch_requests: Option<u64>,
    /// And their body bytes.
    #[serde(default)]
    pub crl_fetch_bytes: Option<u64>,
    /// The CRL names downloaded (a sharded CRL: the shards the clients' certificates name).
    #[serde(default)]
    pub crl_fetched: Vec<String>,
    /// Key type of the case.
    #[serde(default)]
    pub key: String,
    /// Handshake attempts in the case, and how many were accepted.
    #[serde(default)]
    pub attempts: u64,
    /// See `attempts`.
    #[serde(default)]
    pub accepted: u64,
    /// Short-lived certificates: the CA's CPU per issuance, µs (measured at the case's start).
    #[serde(default)]
    pub ca_sign_cpu_us: Option<f64>,
    /// Short-lived certificates: the share of the lifetime at which holders renew.
    #[serde(default)]
    pub renew_at: Option<f64>,
    /// Whether the case met its expectation.
    pub met: bool,
}

/// One CRL a stack was measured with.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StackPoint {
    /// Filler entries.
    pub crl_entries: usize,
    /// Shards (1: one CRL).
    pub crl_shards: u16,
    /// A base CRL with a delta CRL.
    pub crl_delta: bool,
    /// Server CPU per handshake, µs.
    pub server_cpu_us: Option<f64>,
    /// Server peak memory, MiB.
    pub server_rss_mib: Option<f64>,
    /// The largest shard / every CRL file, bytes.
    pub crl_shard_bytes: Option<u64>,
    /// See `crl_shard_bytes`.
    pub crl_files_bytes: Option<u64>,
    /// Most frequent outcome of the valid client (`accepted` when the stack used the CRL).
    pub outcome: String,
    /// The case's skip reason, when the stack could not run it.
    pub skipped: Option<String>,
}

/// One server stack's CRL figures.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct StackRow {
    /// The server stack.
    pub server: String,
    /// `every handshake`, `once at load`, `inconclusive` (less CPU with the larger CRL), or
    /// `not measured` (no full CRL of at least 100,000 entries next to a smaller one).
    pub verifies: String,
    /// Server CPU per handshake at the largest full CRL minus at the smallest, µs.
    pub cpu_growth_us: Option<f64>,
    /// At the largest CRL size: server CPU per handshake with the full CRL and with the most
    /// shards, µs, and that shard count.
    pub sharded: Option<(f64, f64, u16)>,
    /// Every CRL it was given with a valid client, smallest first.
    pub points: Vec<StackPoint>,
}
