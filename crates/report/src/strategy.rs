//! "Which strategy for N clients and an exposure of at most T": a function from measured
//! figures (the CA's CPU per issuance and the bytes of a renewal from the lifetimes rows, the
//! OCSP responder's queries per second and the latency a cold cache adds from the responder
//! rows, what soft-fail let through) to a recommendation per (N, T). No figure is written in
//! here: every cost is a measured one times the arithmetic of N and T, and a strategy whose
//! figure was not measured in the run says so instead of being recommended.
//!
//! The arithmetic: short-lived certificates meet T when the lifetime is at most T (a stolen key
//! works until its certificate expires); the CA then issues N / (r x T) per second. OCSP meets
//! T when answers are cached at most T (a revocation is accepted until the cache
//! expires, counted from the revocation); the responders then answer N / T per second.
//!
//! Two callers measure the inputs: a fleet run (`fleet/output.rs`, from its lifetimes and
//! responder experiments) and a run's revocation comparison (`revocation_strategy.rs`, from
//! its cost and exposure cases). A run's exposure cases add what the bound is measured to be:
//! how long a revocation took to reach full handshakes, and how long the revoked client still
//! got in by resuming a session (which a lifetime or a cache TTL does not bound).

use serde::{Deserialize, Serialize};

/// The question: fleets, exposure bounds, what may be spent.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Question {
    /// Fleet sizes.
    pub fleets: Vec<u64>,
    /// Largest acceptable exposure, seconds.
    pub max_exposure_s: Vec<u64>,
    /// CPU cores the CA may spend signing.
    pub ca_cores: f64,
    /// OCSP responders.
    pub responders: u32,
}

/// The measured figures the table is computed from (`None`: not measured in this run).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Measured {
    /// Key type of the measured issuance.
    pub key_type: Option<String>,
    /// CA CPU per issuance, microseconds.
    pub sign_cpu_us: Option<f64>,
    /// Certificate plus chain bytes of one renewal.
    pub renewal_bytes: Option<u64>,
    /// Renewal at this fraction of the lifetime.
    pub renew_at: f64,
    /// Highest queries per second one responder sustained.
    pub responder_queries_per_sec: Option<f64>,
    /// Latency a cold cache added to a handshake (p50), milliseconds.
    pub ocsp_added_p50_ms: Option<f64>,
    /// Handshakes soft-fail admitted without a fresh answer, of how many, with the responder
    /// down.
    pub soft_fail_admitted_down: Option<(u64, u64)>,
    /// Revocations measured taking effect, one per exposure case (empty: none measured).
    #[serde(default)]
    pub exposures: Vec<MeasuredExposure>,
}

/// A revocation measured taking effect (an exposure case): the bound its mode promises and what
/// the probe saw, full handshakes and resumed ones apart.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct MeasuredExposure {
    /// The strategy (`crl`, `crl-http`, `ocsp`, `ocsp-stapling`, `short-lived`).
    pub mode: String,
    /// The case that measured it.
    pub case: String,
    /// The longest the mode may take (reload interval, cache TTL, lifetime), ms.
    pub bound_ms: Option<f64>,
    /// From the revocation to the first refused full handshake, ms (`null`: never refused).
    pub full_handshake_ms: Option<f64>,
    /// Resumed handshakes after the revocation that got in, of how many (`null`: the probe
    /// resumed none).
    pub resumed_admitted: Option<(u64, u64)>,
    /// From the revocation to the last resumed handshake that got in, ms.
    pub resumption_exposure_ms: Option<f64>,
    /// The revoked client still got in by resuming when the probe stopped.
    pub resumption_open: bool,
}

/// One (N, T).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StrategyRow {
    /// Fleet size.
    pub fleet: u64,
    /// Exposure bound, seconds.
    pub max_exposure_s: u64,
    /// Longest lifetime meeting it (= T).
    pub short_lived_lifetime_s: u64,
    /// Issuances per second the CA must sustain.
    pub short_lived_issuance_per_sec: f64,
    /// CA cores that takes (measured CPU per issuance).
    pub short_lived_ca_cores: Option<f64>,
    /// Renewal traffic.
    pub short_lived_traffic_bytes_per_sec: Option<f64>,
    /// Time for the CA's cores to re-issue the whole fleet at once (a storm, or a mass
    /// revocation): N x CPU per issuance / cores.
    pub mass_reissue_s: Option<f64>,
    /// Longest OCSP cache meeting it (= T).
    pub ocsp_cache_ttl_s: u64,
    /// Queries per second the responders must answer.
    pub ocsp_queries_per_sec: f64,
    /// That over the measured capacity of all responders (1.0 = saturated).
    pub ocsp_responder_utilization: Option<f64>,
    /// What to use.
    pub recommendation: String,
}

/// The table and the figures it came from.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StrategyTable {
    /// The question.
    pub question: Question,
    /// The measured inputs.
    pub measured: Measured,
    /// One row per fleet x exposure.
    pub rows: Vec<StrategyRow>,
    /// What the rows assume.
    pub notes: Vec<String>,
    /// Inputs the run did not measure, each naming the case that would have.
    #[serde(default)]
    pub missing: Vec<String>,
}

impl Question {
    /// The question asked when the run names none (a run scenario has no `[strategy]` table):
    /// fleets of a thousand to ten million, an exposure of an hour or a day, one CA core, one
    /// responder.
    pub fn standard() -> Self {
        Self {
            fleets: vec![1_000, 100_000, 10_000_000],
            max_exposure_s: vec![3600, 86_400],
            ca_cores: 1.0,
            responders: 1,
        }
    }
}

/// Responder utilization above which OCSP is not recommended (headroom for cold starts and
/// bursts: a fleet's caches expire together after a restart).
pub const OCSP_HEADROOM: f64 = 0.5;

/// The table for `question` from `measured`.
pub fn recommend(question: &Question, measured: &Measured) -> StrategyTable {
    let r = if measured.renew_at > 0.0 && measured.renew_at < 1.0 {
        measured.renew_at
    } else {
        2.0 / 3.0
    };
    let mut rows = Vec::new();
    for &n in &question.fleets {
        for &t in &question.max_exposure_s {
            rows.push(row(question, measured, r, n, t));
        }
    }
    StrategyTable {
        question: question.clone(),
        measured: measured.clone(),
        rows,
        notes: notes(question, measured),
        missing: Vec::new(),
    }
}

/// The row for a fleet of `n` and an exposure of at most `t` seconds, renewing at `r` of the
/// lifetime.
fn row(question: &Question, measured: &Measured, r: f64, n: u64, t: u64) -> StrategyRow {
    let t_f = t.max(1) as f64;
    let issuance = n as f64 / (r * t_f);
    let cores = measured.sign_cpu_us.map(|us| round6(issuance * us / 1e6));
    let traffic = measured.renewal_bytes.map(|b| round1(issuance * b as f64));
    let reissue = measured
        .sign_cpu_us
        .map(|us| round1(n as f64 * us / 1e6 / question.ca_cores.max(0.01)));
    let queries = n as f64 / t_f;
    let capacity = measured
        .responder_queries_per_sec
        .filter(|q| *q > 0.0)
        .map(|q| q * f64::from(question.responders.max(1)));
    let utilization = capacity.map(|c| round3(queries / c));
    let recommendation = advice(question, cores, utilization, r, t);
    let recommendation = match resumption_caveat(measured, &recommendation, t) {
        Some(caveat) => format!("{recommendation}; {caveat}"),
        None => recommendation,
    };
    StrategyRow {
        fleet: n,
        max_exposure_s: t,
        short_lived_lifetime_s: t,
        short_lived_issuance_per_sec: round6(issuance),
        short_lived_ca_cores: cores,
        short_lived_traffic_bytes_per_sec: traffic,
        mass_reissue_s: reissue,
        ocsp_cache_ttl_s: t,
        ocsp_queries_per_sec: round6(queries),
        ocsp_responder_utilization: utilization,
        recommendation,
    }
}

/// What to use, given the CA cores short-lived certificates need and the responders'
/// utilization under OCSP (`None`: not measured).
fn advice(
    question: &Question,
    cores: Option<f64>,
    utilization: Option<f64>,
    r: f64,
    t: u64,
) -> String {
    let short_fits = cores.map(|c| c <= question.ca_cores);
    let ocsp_fits = utilization.map(|u| u <= OCSP_HEADROOM);
    match (short_fits, ocsp_fits) {
        (Some(true), _) => format!(
            "short-lived, lifetime <= {}, renew at {:.0}%",
            human(t),
            r * 100.0
        ),
        (Some(false), Some(true)) => {
            format!("OCSP, hard fail, cache <= {}", human(t))
        }
        (None, Some(true)) => format!(
            "OCSP, hard fail, cache <= {} (short-lived not measured)",
            human(t)
        ),
        (Some(false), Some(false)) => format!(
            "neither fits: {} CA cores or {} responders",
            cores.map_or(0.0, f64::ceil),
            utilization.map_or(0.0, |u| (u / OCSP_HEADROOM
                * f64::from(question.responders.max(1)))
            .ceil())
        ),
        (None, None) => "not measured in this run".into(),
        (Some(false), None) => format!(
            "short-lived needs {} CA cores; OCSP not measured",
            cores.map_or(0.0, f64::ceil)
        ),
        (None, Some(false)) => format!(
            "OCSP needs {} responders; short-lived not measured",
            utilization.map_or(0.0, |u| (u / OCSP_HEADROOM
                * f64::from(question.responders.max(1)))
            .ceil())
        ),
    }
}

/// What the rows assume, and the measured figures that qualify them.
fn notes(question: &Question, measured: &Measured) -> Vec<String> {
    let mut notes = vec![
        format!(
            "short-lived is preferred when the CA fits in {} cores: nothing is asked per handshake and the bound holds with no responder; OCSP when the responders stay under {:.0}% of their measured capacity",
            question.ca_cores,
            OCSP_HEADROOM * 100.0
        ),
        "a short-lived certificate's exposure counts from the theft; OCSP's from the revocation, which someone must first decide".into(),
        "renewals must be spread (ARI): the storm rows show what one moment costs the CA's queue".into(),
        "sharded and delta CRLs are not in this table (their rows are the CRL comparison's)".into(),
    ];
    if let Some(added) = measured.ocsp_added_p50_ms {
        notes.push(format!(
            "OCSP adds {added} ms (p50, measured) to each handshake whose answer is not cached"
        ));
    }
    if let Some((admitted, of)) = measured.soft_fail_admitted_down {
        notes.push(format!(
            "with the responder down, soft fail admitted {admitted} of {of} handshakes without a fresh answer (measured): soft fail gives no bound"
        ));
    }
    notes.extend(measured.exposures.iter().map(exposure_note));
    notes
}

/// The strategy a recommendation names, as a revocation mode.
fn chosen_mode(recommendation: &str) -> Option<&'static str> {
    if recommendation.starts_with("short-lived") {
        Some("short-lived")
    } else if recommendation.starts_with("OCSP") {
        Some("ocsp")
    } else {
        None
    }
}

/// When the run measured the chosen strategy's revoked client getting in by resuming: the
/// bound holds for full handshakes only, so the tickets must not outlive T.
fn resumption_caveat(measured: &Measured, recommendation: &str, t: u64) -> Option<String> {
    let mode = chosen_mode(recommendation)?;
    let e = measured
        .exposures
        .iter()
        .find(|e| e.mode == mode && e.resumption_exposure_ms.is_some())?;
    let ms = e.resumption_exposure_ms?;
    Some(format!(
        "and session tickets <= {} or resumption off (a revoked client resumed for {}{ms:.0} ms after its revocation in {})",
        human(t),
        if e.resumption_open { ">= " } else { "" },
        e.case
    ))
}

/// One exposure case in words.
fn exposure_note(e: &MeasuredExposure) -> String {
    let full = match (e.full_handshake_ms, e.bound_ms) {
        (Some(ms), Some(bound)) => format!(
            "full handshakes refused {ms:.0} ms after the revocation (the mode's bound: {bound:.0} ms)"
        ),
        (Some(ms), None) => format!("full handshakes refused {ms:.0} ms after the revocation"),
        (None, _) => "full handshakes never refused after the revocation".into(),
    };
    let resumed = match (e.resumed_admitted, e.resumption_exposure_ms) {
        (None, _) => String::new(),
        (Some((_, n)), None) => format!("; none of {n} resumed handshakes got in"),
        (Some((ok, n)), Some(ms)) => format!(
            "; {ok} of {n} resumed handshakes got in, the last {ms:.0} ms after{}",
            if e.resumption_open {
                " (still getting in when the probe stopped)"
            } else {
                ""
            }
        ),
    };
    format!("{} ({}, measured): {full}{resumed}", e.mode, e.case)
}

/// The per-(N, T) table's header.
pub const HEADER: [&str; 9] = [
    "N",
    "T",
    "issuances/s",
    "CA cores",
    "renewal bytes/s",
    "re-issue all s",
    "OCSP queries/s",
    "responder use",
    "recommendation",
];

/// One row's cells under [`HEADER`].
pub fn row_cells(r: &StrategyRow) -> Vec<String> {
    vec![
        r.fleet.to_string(),
        human(r.max_exposure_s),
        r.short_lived_issuance_per_sec.to_string(),
        opt(r.short_lived_ca_cores),
        opt(r.short_lived_traffic_bytes_per_sec),
        opt(r.mass_reissue_s),
        r.ocsp_queries_per_sec.to_string(),
        r.ocsp_responder_utilization
            .map_or("-".into(), |u| format!("{:.1}%", u * 100.0)),
        r.recommendation.clone(),
    ]
}

/// The line above the table: the measured inputs.
pub fn inputs_line(table: &StrategyTable) -> String {
    let m = &table.measured;
    format!(
        "Computed from this run's measured rows: CA CPU per issuance {} ({}), renewal {} bytes, responder {} queries/s each ({} responders), CA budget {} cores.",
        m.sign_cpu_us.map_or("not measured".into(), |u| format!("{u} us")),
        m.key_type.as_deref().unwrap_or("-"),
        m.renewal_bytes.map_or("-".into(), |b| b.to_string()),
        m.responder_queries_per_sec.map_or("not measured".into(), |q| q.to_string()),
        table.question.responders,
        table.question.ca_cores,
    )
}

/// The table as a markdown section.
pub fn render_markdown(table: &StrategyTable) -> String {
    let mut out = String::from("## Which strategy for N clients and an exposure of at most T\n\n");
    out.push_str(&inputs_line(table));
    out.push_str("\n\n");
    out.push_str(&format!("| {} |\n", HEADER.join(" | ")));
    out.push_str("|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
    for r in &table.rows {
        out.push_str(&format!("| {} |\n", row_cells(r).join(" | ")));
    }
    out.push('\n');
    for n in &table.notes {
        out.push_str(&format!("- {n}\n"));
    }
    for m in &table.missing {
        out.push_str(&format!("- not measured: {m}\n"));
    }
    out
}

fn opt(x: Option<f64>) -> String {
    x.map_or("-".into(), |v| v.to_string())
}

/// `47d`, `160h`, `90m`, `45s`: the largest unit that divides it (days from two on).
fn human(s: u64) -> String {
    match s {
        s if s >= 2 * 86_400 && s % 86_400 == 0 => format!("{}d", s / 86_400),
        s if s >= 3600 && s % 3600 == 0 => format!("{}h", s / 3600),
        s if s >= 60 && s % 60 == 0 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn round6(x: f64) -> f64 {
    (x * 1e6).round() / 1e6
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn question() -> Question {
        Question {
            fleets: vec![1000, 1_000_000_000],
            max_exposure_s: vec![3600],
            ca_cores: 1.0,
            responders: 1,
        }
    }

    #[test]
    fn costs_follow_the_measured_figures_and_the_arithmetic() {
        let measured = Measured {
            key_type: Some("ecdsa-p256".into()),
            sign_cpu_us: Some(100.0),
            renewal_bytes: Some(1000),
            renew_at: 0.5,
            responder_queries_per_sec: Some(1000.0),
            ..Measured::default()
        };
        let t = recommend(&question(), &measured);
        // 1000 clients, renewal every 1800 s: 0.556/s, 55.6 us of CPU per second.
        let small = &t.rows[0];
        assert_eq!(small.short_lived_issuance_per_sec, 0.555556);
        assert!(small.recommendation.starts_with("short-lived"));
        // 1e9 clients: 555,556 issuances/s at 100 us = 55.6 cores; OCSP 277,778 q/s.
        let big = &t.rows[1];
        assert_eq!(big.short_lived_ca_cores, Some(55.555556));
        // Re-issuing 1e9 certificates at 100 us on one core: 100,000 s.
        assert_eq!(big.mass_reissue_s, Some(100_000.0));
        assert!(big.recommendation.starts_with("neither fits"), "{big:?}");
    }

    #[test]
    fn nothing_is_recommended_without_measurements() {
        let t = recommend(&question(), &Measured::default());
        assert!(t
            .rows
            .iter()
            .all(|r| r.recommendation == "not measured in this run"));
    }
}
