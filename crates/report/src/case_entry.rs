//! How a case becomes its entry in `summary.json`: planned, failed or skipped before any
//! measurement, then measured from the load result and judged against its expectation (and
//! the exposure probe, the revocation service's figures). The types themselves are in
//! `summary.rs`.

use std::collections::BTreeMap;
use std::time::Duration;

use super::checks::{judge, negotiation_problem, resumption_problem};
use super::summary::{
    CaseSummary, NegotiatedCount, Percentiles, Phases, ResponderFigures, ResumptionSummary,
};
use crate::measure::Exposure;
use crate::measure::{LoadResult, Outcome, Recorder};
use crate::scenario::{Case, ResumptionExposure, ResumptionMode};

/// `client_cert` of a case that sent the user's own credential files (`own_credential` says
/// which).
pub const OWN_CREDENTIAL: &str = "own";

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
            // The user's own credential is what its files hold, whatever it is: never `valid`.
            client_cert: match case.own_credential {
                Some(_) => OWN_CREDENTIAL.to_string(),
                None => case.client_cert.to_string(),
            },
            own_credential: case.own_credential.clone(),
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
            crl_files: None,
            crl_fetches: None,
            revocation_queries: None,
            server_peak_rss_kib: None,
            skipped: None,
            peer_verdict: None,
            hlog_file: None,
            client_peak_rss_bytes: None,
            client_memory_per_connection_bytes: None,
            evidence: None,
            thresholds: Vec::new(),
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
                case.revocation.mode()
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

    /// Adds the exposure probe's findings and judges them over the whole probe window: the
    /// victim must have been accepted before the revocation, rejected after it within the CRL
    /// reload interval (plus two probe intervals and 500 ms for scheduling), and never admitted
    /// again by a full handshake after its first refusal (resumptions are reported apart).
    pub fn judge_exposure(&mut self, case: &Case, exposure: Exposure) {
        let refuse_resumed = case.revocation.resumption_exposure() == ResumptionExposure::Refuse;
        let reload = case.revocation.refresh_interval().unwrap_or_default();
        let limit_ms = (reload.as_secs_f64() * 1000.0) + 2.0 * exposure.probe_interval_ms + 500.0;
        let mut problems = Vec::new();
        if let Some(e) = &exposure.error {
            problems.push(e.clone());
        } else if exposure.accepted_before == 0 {
            problems.push("the victim was never accepted before its revocation".to_string());
        } else {
            match exposure.first_rejected_after_ms {
                None => problems.push("the revoked victim was never rejected".to_string()),
                Some(ms) => {
                    if ms > limit_ms {
                        problems.push(format!(
                            "the revoked victim was first rejected {ms:.0} ms after publication, beyond the {limit_ms:.0} ms the mode's refresh interval allows"
                        ));
                    }
                    if let Some(again) = exposure.last_accepted_after_ms.filter(|&a| a > ms) {
                        problems.push(format!(
                            "the revoked victim was admitted again {again:.0} ms after publication, after its first refusal at {ms:.0} ms"
                        ));
                    }
                    // A resumed session is an admission too: the stack did not re-check the
                    // revoked certificate (CONFORMANCE.md: resumed sessions skip client
                    // verification in most stacks). Unless the case records it as a finding.
                    if let Some(again) = exposure
                        .last_resumed_accepted_after_ms
                        .filter(|&a| a > ms && exposure.resumed_accepted_after > 0)
                        .filter(|_| refuse_resumed)
                    {
                        problems.push(format!(
                            "the revoked victim got in {} times by resuming after its first refusal at {ms:.0} ms (last {again:.0} ms after publication; revocation.resumption_exposure = \"record\" measures this as a finding instead)",
                            exposure.resumed_accepted_after
                        ));
                    }
                }
            }
        }
        let problem = (!problems.is_empty()).then(|| problems.join("; "));
        if let Some(problem) = problem {
            self.met = false;
            self.verdict = format!("{}; {problem}", self.verdict);
        } else if let Some(ms) = exposure.first_rejected_after_ms {
            self.verdict = format!(
                "{}; revoked victim rejected {ms:.0} ms after publication",
                self.verdict
            );
        }
        if let (Some(finding), true) = (resumption_finding(&exposure), self.met) {
            let label = if refuse_resumed {
                "yet"
            } else {
                "resumption exposure (recorded)"
            };
            self.verdict = format!("{}; {label}: {finding}", self.verdict);
        }
        self.exposure = Some(exposure);
    }

    /// The entry for a case that ran.
    pub fn measured(case: &Case, result: &LoadResult) -> Self {
        let r = &result.recorder;
        let mut s = Self::planned(case);
        s.judge_measured(case, result);
        s.attempts = r.attempts();
        s.evidence = Some((&r.evidence).into());
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
        s.record_latencies(case, r);
        s.record_rates(result);
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

    /// Whether the case met its expectation, and the verdict in words: lost workers, a
    /// negotiation or resumption problem, or an interruption fail it.
    fn judge_measured(&mut self, case: &Case, result: &LoadResult) {
        let (s, r) = (self, &result.recorder);
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
    }

    /// The latency percentiles (all, full, resumed, rejections, per phase) and the
    /// resumption figures.
    fn record_latencies(&mut self, case: &Case, r: &Recorder) {
        let s = self;
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
                no_session: r.no_session,
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
    }

    /// Rates over the measured window: handshakes per second, CPU utilization and per
    /// handshake (client, server, responder), bytes per handshake.
    fn record_rates(&mut self, result: &LoadResult) {
        let (s, r) = (self, &result.recorder);
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
    }
}

/// What the revoked client's resumed sessions got after the publication, in words; `None`
/// when the probe offered none.
fn resumption_finding(e: &Exposure) -> Option<String> {
    if e.resumption_offered_after == 0 && e.resumed_after == 0 {
        return None;
    }
    let offered = e.resumption_offered_after.max(e.resumed_after);
    Some(match e.last_resumed_accepted_after_ms {
        None => format!("none of its {offered} resumptions after publication got in"),
        Some(last) => {
            let still = e.resumption_open();
            format!(
                "it got in {} of {offered} times by resuming after publication, the last {last:.0} ms after{}",
                e.resumed_accepted_after,
                if still {
                    format!(
                        " (still getting in when the probe stopped, {:.0} ms after publication)",
                        e.probe_after_ms.unwrap_or(last)
                    )
                } else {
                    String::new()
                }
            )
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exposure_case(extra: &str) -> Case {
        let text = format!(
            r#"
version = 1
[[case]]
name = "exposure"
revocation = {{ mode = "crl", crl_entries = 10, reload = "200ms", revoke_after = "500ms"{extra} }}
tls = {{ resumption = "tickets" }}
load = {{ concurrency = 1, duration = "2s" }}
"#
        );
        let scenario = crate::scenario::parse(&text, std::path::Path::new("exposure.toml"))
            .expect("the test scenario parses");
        scenario.cases[0].clone()
    }

    fn judged(exposure: Exposure) -> CaseSummary {
        judged_as("", exposure)
    }

    fn judged_as(extra: &str, exposure: Exposure) -> CaseSummary {
        let case = exposure_case(extra);
        let mut entry = CaseSummary::planned(&case);
        entry.met = true;
        entry.verdict = "accepted".to_string();
        entry.judge_exposure(&case, exposure);
        entry
    }

    fn probe(last_accepted: Option<f64>, first_rejected: Option<f64>) -> Exposure {
        Exposure {
            probes: 40,
            accepted_before: 10,
            last_accepted_after_ms: last_accepted,
            first_rejected_after_ms: first_rejected,
            rejected_with: first_rejected.map(|_| Outcome::CertRevoked),
            probe_interval_ms: 50.0,
            ..Exposure::default()
        }
    }

    #[test]
    fn an_admission_after_the_first_refusal_fails_the_case_with_its_time() {
        let entry = judged(probe(Some(800.0), Some(300.0)));
        assert!(!entry.met, "{}", entry.verdict);
        assert!(
            entry.verdict.contains("admitted again 800 ms"),
            "{}",
            entry.verdict
        );
        assert!(entry.verdict.contains("300 ms"), "{}", entry.verdict);
    }

    #[test]
    fn admissions_before_the_first_refusal_only_are_contained() {
        let entry = judged(probe(Some(120.0), Some(300.0)));
        assert!(entry.met, "{}", entry.verdict);
        assert!(
            entry.verdict.contains("rejected 300 ms"),
            "{}",
            entry.verdict
        );
        let entry = judged(probe(None, Some(300.0)));
        assert!(entry.met, "{}", entry.verdict);
    }

    fn resuming_victim() -> Exposure {
        Exposure {
            resumed_after: 20,
            resumed_accepted_after: 20,
            resumption_offered_after: 20,
            last_resumed_accepted_after_ms: Some(1900.0),
            probe_after_ms: Some(1950.0),
            ..probe(Some(120.0), Some(300.0))
        }
    }

    #[test]
    fn resumed_admissions_fail_a_case_that_expects_them_refused() {
        let entry = judged(resuming_victim());
        assert!(!entry.met, "{}", entry.verdict);
        assert!(
            entry.verdict.contains("got in 20 times by resuming"),
            "{}",
            entry.verdict
        );
    }

    #[test]
    fn resumed_admissions_are_a_recorded_finding_when_the_case_says_so() {
        let entry = judged_as(r#", resumption_exposure = "record""#, resuming_victim());
        assert!(entry.met, "{}", entry.verdict);
        assert!(
            entry.verdict.contains("rejected 300 ms")
                && entry
                    .verdict
                    .contains("resumption exposure (recorded): it got in 20 of 20 times")
                && entry
                    .verdict
                    .contains("still getting in when the probe stopped, 1950 ms"),
            "{}",
            entry.verdict
        );
        // The full-handshake window is still the verdict: a late full admission fails it.
        let late = Exposure {
            last_accepted_after_ms: Some(800.0),
            ..resuming_victim()
        };
        assert!(!judged_as(r#", resumption_exposure = "record""#, late).met);
    }
}
