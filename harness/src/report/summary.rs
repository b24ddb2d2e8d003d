//! The run summary: the `summary.json` contract (`schema_version`, snake_case, units in field
//! names) and how a case's measurements become one entry of it.

use std::collections::BTreeMap;
use std::time::Duration;

use hdrhistogram::Histogram;
use serde::Serialize;

use super::checks::{judge, negotiation_problem, resumption_problem};
use crate::measure::LoadResult;
use crate::measure::Outcome;
use crate::revocation::Exposure;
use crate::scenario::{Case, Expectation, LoadSpec, ResumptionMode, Revocation, TlsSettings};

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
    /// True when a signal cut the run short.
    pub interrupted: bool,
    /// CPUs the harness could use.
    pub usable_cpus: usize,
    /// CPU pinning in effect, if any.
    pub pinning: Pinning,
    /// One entry per case, in run order.
    pub cases: Vec<CaseSummary>,
    /// The revocation comparison of the cases (empty when no case checks revocation).
    pub revocation_comparison: Vec<super::revocation_table::RevocationRow>,
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
    /// Client credential variant.
    pub client_cert: String,
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
    pub short_lived: Option<crate::runner::ShortLivedFigures>,
    /// The CRL the server loaded at start, if any.
    pub crl: Option<CrlFigures>,
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
}

/// What loading a CRL cost the server.
#[derive(Clone, Debug, Serialize)]
pub struct CrlFigures {
    /// Size of the CRLs loaded.
    pub bytes: u64,
    /// Time to load them and build the server configuration.
    pub server_load_ms: f64,
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

fn round(x: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (x * f).round() / f
}

impl CaseSummary {
    /// The entry for `case` before (or without) measurements.
    pub fn planned(case: &Case) -> Self {
        Self {
            name: case.name.clone(),
            description: case.description.clone(),
            server: case.server.to_string(),
            client: case.client.to_string(),
            key: case.key.to_string(),
            client_auth: case.client_auth.to_string(),
            client_cert: case.client_cert.to_string(),
            intermediates: case.intermediates,
            axes: case.axes.iter().cloned().collect(),
            tls: case.tls.clone(),
            revocation: case.revocation,
            exposure: None,
            load: case.load,
            expect: case.expect,
            met: false,
            verdict: String::new(),
            error: None,
            attempts: 0,
            outcomes: BTreeMap::new(),
            http_statuses: BTreeMap::new(),
            latency_us: None,
            full_latency_us: None,
            resumed_latency_us: None,
            resumption: None,
            rejection_latency_us: None,
            phases_us: Phases {
                connect: None,
                handshake: None,
                response: None,
            },
            handshakes_per_sec: 0.0,
            window_ms: 0.0,
            server_cpu_us_per_handshake: None,
            client_cpu_us_per_handshake: None,
            server_cpu_sys_us_per_handshake: None,
            client_cpu_sys_us_per_handshake: None,
            server_cpu_util_pct: None,
            client_cpu_util_pct: None,
            bytes_sent_per_handshake: 0.0,
            bytes_received_per_handshake: 0.0,
            negotiated: Vec::new(),
            hgrm_file: None,
            responder: None,
            short_lived: None,
            crl: None,
            server_peak_rss_kib: None,
            skipped: None,
            peer_verdict: None,
            hlog_file: None,
            client_peak_rss_bytes: None,
            client_memory_per_connection_bytes: None,
        }
    }

    /// For a stapling case that revokes the server mid-run: every client is refused from then
    /// on, so the load is judged by whether each handshake was accepted or refused for its
    /// staple (nothing else), and the exposure probe carries the verdict.
    pub fn rejudge_server_revoked(&mut self, case: &Case) {
        let other: u64 = self
            .outcomes
            .iter()
            .filter(|(o, _)| !matches!(o.as_str(), "accepted" | "staple_rejected"))
            .map(|(_, n)| n)
            .sum();
        let interrupted = self.verdict.starts_with("interrupted");
        self.met = other == 0 && !interrupted && self.error.is_none();
        self.verdict = if other == 0 {
            format!(
                "accepted until the server's certificate was revoked, then staple_rejected ({})",
                case.revocation.mode
            )
        } else {
            format!("{other} handshakes neither accepted nor refused for their staple")
        };
    }

    /// Records the revocation service's queries over the case.
    pub fn record_responder(&mut self, queries: u64, attempts_in_case: u64) {
        let per = if attempts_in_case > 0 {
            round(queries as f64 / attempts_in_case as f64, 4)
        } else {
            0.0
        };
        if let Some(r) = &mut self.responder {
            r.queries = queries;
            r.queries_per_handshake = per;
        } else {
            self.responder = Some(ResponderFigures {
                queries,
                queries_per_handshake: per,
                cpu_us_per_handshake: None,
            });
        }
    }

    /// The entry for a case that could not run.
    pub fn failed(case: &Case, error: String) -> Self {
        let mut s = Self::planned(case);
        s.verdict = format!("not run: {error}");
        s.error = Some(error);
        s
    }

    /// The entry for a case skipped because the peer cannot run it.
    pub fn skipped(case: &Case, reason: String) -> Self {
        let mut s = Self::planned(case);
        s.verdict = format!("skipped: {reason}");
        s.skipped = Some(reason);
        s
    }

    /// Adds the exposure probe's findings and judges them: the victim must have been accepted
    /// before the revocation and rejected after it, within the CRL reload interval (plus two
    /// probe intervals and 500 ms for scheduling).
    pub fn judge_exposure(&mut self, case: &Case, exposure: Exposure) {
        let reload = case.revocation.refresh_interval().unwrap_or_default();
        let limit_ms = (reload.as_secs_f64() * 1000.0) + 2.0 * exposure.probe_interval_ms + 500.0;
        let problem = if let Some(e) = &exposure.error {
            Some(e.clone())
        } else if exposure.accepted_before == 0 {
            Some("the victim was never accepted before its revocation".to_string())
        } else {
            match exposure.first_rejected_after_ms {
                None => Some("the revoked victim was never rejected".to_string()),
                Some(ms) if ms > limit_ms => Some(format!(
                    "the revoked victim was first rejected {ms:.0} ms after publication, beyond the {limit_ms:.0} ms the mode's refresh interval allows"
                )),
                Some(_) => None,
            }
        };
        if let Some(problem) = problem {
            self.met = false;
            self.verdict = format!("{}; {problem}", self.verdict);
        } else if let Some(ms) = exposure.first_rejected_after_ms {
            self.verdict = format!(
                "{}; revoked victim rejected {ms:.0} ms after publication",
                self.verdict
            );
        }
        if exposure.resumed_accepted_after > 0 {
            self.verdict = format!(
                "{}; yet it got in {} times by resuming (last {:.0} ms after publication)",
                self.verdict,
                exposure.resumed_accepted_after,
                exposure.last_resumed_accepted_after_ms.unwrap_or(0.0)
            );
        }
        self.exposure = Some(exposure);
    }

    /// The entry for a case that ran.
    pub fn measured(case: &Case, result: &LoadResult) -> Self {
        let r = &result.recorder;
        let mut s = Self::planned(case);
        let (mut met, mut verdict) = judge(case.expect, r);
        if result.worker_failures > 0 {
            s.error = Some(format!(
                "{} load workers panicked; their samples are lost",
                result.worker_failures
            ));
            met = false;
        }
        for problem in [negotiation_problem(case, r), resumption_problem(case, r)]
            .into_iter()
            .flatten()
        {
            met = false;
            verdict = format!("{verdict}; {problem}");
        }
        s.met = met && !result.interrupted;
        s.verdict = if result.interrupted {
            format!("interrupted; {verdict}")
        } else {
            verdict
        };
        s.attempts = r.attempts();
        s.outcomes = Outcome::ALL
            .iter()
            .filter(|&&o| r.count(o) > 0)
            .map(|&o| (o.to_string(), r.count(o)))
            .collect();
        s.http_statuses = r
            .http_errors
            .iter()
            .map(|(st, n)| (st.to_string(), *n))
            .collect();
        s.latency_us = Percentiles::of(&r.latency);
        s.full_latency_us = Percentiles::of(&r.latency_full);
        s.resumed_latency_us = Percentiles::of(&r.latency_resumed);
        if case.tls.resumption != ResumptionMode::Off || r.resumed > 0 {
            let accepted = r.count(Outcome::Accepted);
            s.resumption = Some(ResumptionSummary {
                mode: case.tls.resumption.to_string(),
                offered: r.meant_to_resume,
                resumed: r.resumed,
                missed: r.missed_resumption,
                unplanned: r.unplanned_resumption,
                resumed_pct: if accepted > 0 {
                    round(r.resumed as f64 * 100.0 / accepted as f64, 2)
                } else {
                    0.0
                },
            });
        }
        s.rejection_latency_us = Percentiles::of(&r.rejection_latency);
        s.phases_us = Phases {
            connect: Percentiles::of(&r.connect),
            handshake: Percentiles::of(&r.handshake),
            response: Percentiles::of(&r.response),
        };
        let window = result.window.as_secs_f64();
        let done = r.completed_in_window as f64;
        s.window_ms = round(window * 1000.0, 1);
        let (client, server) = (result.cpu.client, result.cpu.server);
        let pct = |d: Duration| round(d.as_secs_f64() / window * 100.0, 1);
        let per_hs = |d: Duration| round(d.as_secs_f64() * 1e6 / done, 1);
        if window > 0.0 {
            s.handshakes_per_sec = round(done / window, 1);
            s.client_cpu_util_pct = Some(pct(client.total()));
            s.server_cpu_util_pct = server.map(|c| pct(c.total()));
        }
        if let (Some(side), true) = (result.cpu.side, done > 0.0) {
            s.responder = Some(ResponderFigures {
                queries: 0,
                queries_per_handshake: 0.0,
                cpu_us_per_handshake: Some(per_hs(side)),
            });
        }
        if done > 0.0 {
            s.client_cpu_us_per_handshake = Some(per_hs(client.total()));
            s.client_cpu_sys_us_per_handshake = Some(per_hs(client.system));
            s.server_cpu_us_per_handshake = server.map(|c| per_hs(c.total()));
            s.server_cpu_sys_us_per_handshake = server.map(|c| per_hs(c.system));
        }
        if s.attempts > 0 {
            s.bytes_sent_per_handshake = round(r.bytes_sent as f64 / s.attempts as f64, 1);
            s.bytes_received_per_handshake = round(r.bytes_received as f64 / s.attempts as f64, 1);
        }
        s.negotiated = r
            .negotiated
            .iter()
            .map(|(n, count)| NegotiatedCount {
                version: n.version.to_string(),
                cipher_suite: n.suite.to_string(),
                group: n.group.map(str::to_string),
                resumed: n.resumed,
                count: *count,
            })
            .collect();
        s
    }
}
