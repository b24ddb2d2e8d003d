//! From TOML text to a validated [`Scenario`]: read every table into optional raw settings,
//! layer them (defaults, then the case, then the matrix combination), then check the result for
//! impossible combinations. Every problem is collected; none stops the reading.

use std::ops::Range;
use std::path::Path;
use std::time::Duration;

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use toml_edit::{ImDocument, Item, TableLike};

use super::matrix::{self, Axis};
use super::model::*;
use super::problems::{join, Reader, ScenarioError};
use crate::measure::Outcome;
use crate::pki::{ClientCert, CrlKind, KeyType};

const TOP_KEYS: &[&str] = &[
    "version",
    "name",
    "description",
    "pki",
    "defaults",
    "case",
    "matrix",
];
const PKI_KEYS: &[&str] = &["seed", "anchor", "identities", "intermediates"];
const SETTING_KEYS: &[&str] = &[
    "server",
    "client",
    "key",
    "client_auth",
    "client_cert",
    "tls",
    "load",
    "server_threads",
    "verify_depth",
    "allowed_clients",
    "intermediates",
    "revocation",
    "expect",
    "reject_reason",
];
const REVOCATION_KEYS: &[&str] = &[
    "mode",
    "crl_entries",
    "crl",
    "policy",
    "reload",
    "revoke_after",
    "cache_ttl",
    "responder_delay",
    "fault",
    "signer",
    "nonce",
    "query_timeout",
    "staple_refresh",
    "must_staple",
    "staple_verify",
    "server_revoked",
    "cert_lifetime",
    "renew_at",
    "fleet",
];
const TLS_KEYS: &[&str] = &[
    "versions",
    "groups",
    "suites",
    "server_groups",
    "server_suites",
    "client_sigalgs",
    "resumption",
    "tickets",
    "resume_fraction",
];
const LOAD_KEYS: &[&str] = &[
    "concurrency",
    "rate",
    "duration",
    "handshakes",
    "warmup",
    "timeout",
];

/// When a case sets neither `duration` nor `handshakes`.
const DEFAULT_STOP: Stop = Stop::Duration(Duration::from_secs(5));

/// Lowest open-loop rate (handshakes per second).
const MIN_RATE: f64 = 0.001;
/// Highest open-loop rate: far beyond one machine, low enough to keep slot times exact.
const MAX_RATE: f64 = 1_000_000.0;
/// Longest duration, warm-up or timeout a scenario may ask for.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);

/// Settings as read from one table; `None` where the table does not set them.
#[derive(Clone, Debug, Default)]
pub(crate) struct RawSettings {
    pub(crate) server: Option<ServerImpl>,
    pub(crate) client: Option<ClientImpl>,
    pub(crate) key: Option<KeyType>,
    pub(crate) client_auth: Option<ClientAuth>,
    pub(crate) client_cert: Option<ClientCert>,
    pub(crate) versions: Option<Vec<TlsVersion>>,
    pub(crate) groups: Option<Vec<KxGroup>>,
    pub(crate) suites: Option<Vec<CipherSuite>>,
    pub(crate) server_groups: Option<Vec<KxGroup>>,
    pub(crate) server_suites: Option<Vec<CipherSuite>>,
    pub(crate) client_sigalgs: Option<Vec<super::model::SigScheme>>,
    pub(crate) resumption: Option<ResumptionMode>,
    pub(crate) tickets: Option<u32>,
    pub(crate) resume_fraction: Option<f64>,
    pub(crate) intermediates: Option<u8>,
    pub(crate) revocation_mode: Option<RevocationMode>,
    pub(crate) crl_entries: Option<usize>,
    pub(crate) crl_reload: Option<Duration>,
    pub(crate) crl_kind: Option<CrlKind>,
    pub(crate) fail_policy: Option<FailPolicy>,
    pub(crate) revoke_after: Option<Duration>,
    pub(crate) cache_ttl: Option<Duration>,
    pub(crate) responder_delay: Option<Duration>,
    pub(crate) fault: Option<ResponderFault>,
    pub(crate) signer: Option<OcspSigner>,
    pub(crate) nonce: Option<bool>,
    pub(crate) query_timeout: Option<Duration>,
    pub(crate) staple_refresh: Option<Duration>,
    pub(crate) must_staple: Option<bool>,
    pub(crate) staple_verify: Option<bool>,
    pub(crate) server_revoked: Option<bool>,
    pub(crate) cert_lifetime: Option<Duration>,
    pub(crate) renew_at: Option<f64>,
    pub(crate) fleet: Option<u64>,
    pub(crate) concurrency: Option<usize>,
    pub(crate) rate: Option<f64>,
    /// Duration or handshake count: whichever a table sets replaces the other.
    pub(crate) stop: Option<Stop>,
    pub(crate) warmup: Option<Duration>,
    pub(crate) timeout: Option<Duration>,
    pub(crate) server_threads: Option<usize>,
    pub(crate) verify_depth: Option<u8>,
    pub(crate) allowed_clients: Option<Vec<String>>,
    pub(crate) expect: Option<ExpectKind>,
    pub(crate) reject_reason: Option<Outcome>,
    /// Where `reject_reason` was set, for the accept-with-reason problem.
    pub(crate) reject_reason_span: Option<Range<usize>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ExpectKind {
    Accept,
    Reject,
    Record,
}

impl std::str::FromStr for ExpectKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "accept" => Ok(ExpectKind::Accept),
            "reject" => Ok(ExpectKind::Reject),
            "record" => Ok(ExpectKind::Record),
            _ => Err("one of \"accept\", \"reject\", \"record\"".into()),
        }
    }
}

impl RawSettings {
    /// `self` with every setting of `over` laid on top.
    pub(crate) fn overlay(&self, over: &RawSettings) -> RawSettings {
        RawSettings {
            server: over.server.or(self.server),
            client: over.client.or(self.client),
            key: over.key.or(self.key),
            client_auth: over.client_auth.or(self.client_auth),
            client_cert: over.client_cert.or(self.client_cert),
            versions: over.versions.clone().or_else(|| self.versions.clone()),
            groups: over.groups.clone().or_else(|| self.groups.clone()),
            suites: over.suites.clone().or_else(|| self.suites.clone()),
            server_groups: over
                .server_groups
                .clone()
                .or_else(|| self.server_groups.clone()),
            client_sigalgs: over
                .client_sigalgs
                .clone()
                .or_else(|| self.client_sigalgs.clone()),
            server_suites: over
                .server_suites
                .clone()
                .or_else(|| self.server_suites.clone()),
            resumption: over.resumption.or(self.resumption),
            tickets: over.tickets.or(self.tickets),
            resume_fraction: over.resume_fraction.or(self.resume_fraction),
            intermediates: over.intermediates.or(self.intermediates),
            revocation_mode: over.revocation_mode.or(self.revocation_mode),
            crl_entries: over.crl_entries.or(self.crl_entries),
            crl_reload: over.crl_reload.or(self.crl_reload),
            crl_kind: over.crl_kind.or(self.crl_kind),
            fail_policy: over.fail_policy.or(self.fail_policy),
            revoke_after: over.revoke_after.or(self.revoke_after),
            cache_ttl: over.cache_ttl.or(self.cache_ttl),
            responder_delay: over.responder_delay.or(self.responder_delay),
            fault: over.fault.or(self.fault),
            signer: over.signer.or(self.signer),
            nonce: over.nonce.or(self.nonce),
            query_timeout: over.query_timeout.or(self.query_timeout),
            staple_refresh: over.staple_refresh.or(self.staple_refresh),
            must_staple: over.must_staple.or(self.must_staple),
            staple_verify: over.staple_verify.or(self.staple_verify),
            server_revoked: over.server_revoked.or(self.server_revoked),
            cert_lifetime: over.cert_lifetime.or(self.cert_lifetime),
            renew_at: over.renew_at.or(self.renew_at),
            fleet: over.fleet.or(self.fleet),
            concurrency: over.concurrency.or(self.concurrency),
            rate: over.rate.or(self.rate),
            stop: over.stop.or(self.stop),
            warmup: over.warmup.or(self.warmup),
            timeout: over.timeout.or(self.timeout),
            server_threads: over.server_threads.or(self.server_threads),
            verify_depth: over.verify_depth.or(self.verify_depth),
            allowed_clients: over
                .allowed_clients
                .clone()
                .or_else(|| self.allowed_clients.clone()),
            expect: over.expect.or(self.expect),
            reject_reason: over.reject_reason.or(self.reject_reason),
            reject_reason_span: over
                .reject_reason_span
                .clone()
                .or_else(|| self.reject_reason_span.clone()),
        }
    }
}

/// Parses scenario text; `file` is only used in problems.
///
/// # Errors
/// [`ScenarioError::Invalid`] with every problem found.
pub fn parse(src: &str, file: &Path) -> Result<Scenario, ScenarioError> {
    let mut r = Reader::new(src, file);
    let doc = match ImDocument::parse(src) {
        Ok(doc) => doc,
        Err(e) => {
            let message = e.message().trim().to_string();
            r.problem(e.span(), "", format!("TOML syntax error: {message}"));
            return Err(ScenarioError::Invalid {
                problems: r.problems,
            });
        }
    };
    let top = doc.as_table();
    r.check_keys(top, "", TOP_KEYS);

    match top.get("version") {
        None => r.problem(
            Some(0..0),
            "version",
            "missing; expected `version = 1` at the top",
        ),
        Some(item) => {
            r.integer(item, "version", 1..=1);
        }
    }
    let name = match top.get("name") {
        Some(item) => r.string(item, "name").unwrap_or_default(),
        None => default_name(file),
    };
    let bad_name = name.is_empty()
        || name.starts_with('.')
        || !name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
    // (A name that is not a string at all was reported by `r.string` already.)
    if bad_name && top.get("name").is_none_or(|i| i.as_str().is_some()) {
        r.problem(
            top.get("name").and_then(Item::span),
            "name",
            format!("expected letters, digits, '-', '_' or '.' (not first), found \"{name}\""),
        );
    }
    let description = top
        .get("description")
        .and_then(|i| r.string(i, "description"))
        .unwrap_or_default();
    let pki = top
        .get("pki")
        .map(|i| read_pki(&mut r, i))
        .unwrap_or_default();

    let defaults = match top.get("defaults") {
        Some(item) => match r.table(item, "defaults") {
            Some(t) => read_settings(&mut r, t, "defaults", SETTING_KEYS),
            None => RawSettings::default(),
        },
        None => RawSettings::default(),
    };

    // Cases: (name, description, settings, span of the table, key path).
    let mut bases = Vec::new();
    match top.get("case") {
        None => {}
        Some(Item::ArrayOfTables(cases)) => {
            for (i, table) in cases.iter().enumerate() {
                let path = format!("case[{}]", i + 1);
                let mut allowed = SETTING_KEYS.to_vec();
                allowed.extend(["name", "description"]);
                let settings = read_settings(&mut r, table, &path, &allowed);
                let case_name = match table.get("name") {
                    Some(item) => r.string(item, &join(&path, "name")).unwrap_or_default(),
                    None => {
                        r.problem(
                            table.span(),
                            &path,
                            "missing `name`; every [[case]] needs one",
                        );
                        String::new()
                    }
                };
                let desc = table
                    .get("description")
                    .and_then(|it| r.string(it, &join(&path, "description")))
                    .unwrap_or_default();
                bases.push((case_name, desc, settings, table.span(), path));
            }
        }
        Some(other) => {
            r.problem(
                other.span(),
                "case",
                format!("expected [[case]] tables, found {}", other.type_name()),
            );
        }
    }

    let axes: Vec<Axis> = match top.get("matrix") {
        Some(item) => matrix::read_axes(&mut r, item),
        None => Vec::new(),
    };
    if bases.is_empty() {
        if axes.is_empty() {
            r.problem(None, "case", "no cases: add [[case]] tables or a [matrix]");
        }
        // Matrix-only files: problems of a combination point at the [matrix] table.
        bases.push((
            String::new(),
            description.clone(),
            RawSettings::default(),
            top.get("matrix").and_then(Item::span),
            "matrix".into(),
        ));
    }

    let mut cases: Vec<Case> = Vec::new();
    let mut seen: std::collections::HashSet<String> = std::collections::HashSet::new();
    for (case_name, desc, settings, span, path) in &bases {
        let layered = defaults.overlay(settings);
        for (values, combo) in matrix::combinations(&axes) {
            let suffix: Vec<String> = values.iter().map(|(a, v)| format!("{a}={v}")).collect();
            let suffix = suffix.join(",");
            let full_name = match (case_name.is_empty(), suffix.is_empty()) {
                (false, true) => case_name.clone(),
                (true, false) => suffix.clone(),
                (true, true) => name.clone(),
                (false, false) => format!("{case_name}[{suffix}]"),
            };
            let raw = layered.overlay(&combo);
            if !seen.insert(full_name.clone()) {
                r.problem(
                    span.clone(),
                    path,
                    format!("duplicate case name \"{full_name}\""),
                );
                continue;
            }
            let frame = CaseFrame {
                name: full_name,
                description: desc.clone(),
                span: span.clone(),
                path,
                axes: values,
                pki_intermediates: pki.intermediates,
                pki_identities: pki.identities,
            };
            if let Some(case) = finish(&mut r, raw, frame) {
                cases.push(case);
            }
        }
    }

    if r.problems.is_empty() {
        Ok(Scenario {
            file: file.to_path_buf(),
            name,
            description,
            pki,
            cases,
        })
    } else {
        r.problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
        Err(ScenarioError::Invalid {
            problems: r.problems,
        })
    }
}

fn default_name(file: &Path) -> String {
    file.file_stem()
        .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned())
}

/// Whether the wall clock falls inside the validity of valid leaves for `anchor` (with a day
/// of margin on each side), and so outside the `expired` and `not-yet-valid` periods.
fn anchor_covers_now(anchor: OffsetDateTime) -> bool {
    let now = OffsetDateTime::now_utc();
    let day = time::Duration::days(1);
    let year = time::Duration::days(365);
    now > anchor - year + day && now < anchor + 30 * year - day
}

fn read_pki(r: &mut Reader<'_>, item: &Item) -> PkiSettings {
    let mut pki = PkiSettings::default();
    let Some(t) = r.table(item, "pki") else {
        return pki;
    };
    r.check_keys(t, "pki", PKI_KEYS);
    if let Some(i) = t.get("seed") {
        if let Some(n) = r.integer(i, "pki.seed", 0..=i64::MAX) {
            pki.seed = n as u64;
        }
    }
    if let Some(i) = t.get("identities") {
        if let Some(n) = r.integer(i, "pki.identities", 1..=1_000_000) {
            pki.identities = n as usize;
        }
    }
    if let Some(i) = t.get("intermediates") {
        if let Some(n) = r.integer(i, "pki.intermediates", 1..=4) {
            pki.intermediates = n as u8;
        }
    }
    if let Some(i) = t.get("anchor") {
        let text = i.as_value().and_then(|v| match v {
            toml_edit::Value::Datetime(d) => Some(d.value().to_string()),
            toml_edit::Value::String(s) => Some(s.value().clone()),
            _ => None,
        });
        match text.as_deref().map(|s| OffsetDateTime::parse(s, &Rfc3339)) {
            Some(Ok(t)) if !anchor_covers_now(t) => r.problem(
                i.span(),
                "pki.anchor",
                "expected an anchor with now inside the valid leaves' period (anchor - 1 year to anchor + 30 years): servers check certificates against the wall clock",
            ),
            Some(Ok(t)) => pki.anchor = t,
            _ => r.problem(
                i.span(),
                "pki.anchor",
                "expected an RFC 3339 date-time with offset, like 2026-01-01T00:00:00Z",
            ),
        }
    }
    pki
}

/// Reads the settings keys of one table (`[defaults]` or a `[[case]]`).
fn read_settings(
    r: &mut Reader<'_>,
    t: &dyn TableLike,
    path: &str,
    allowed: &[&str],
) -> RawSettings {
    r.check_keys_nested(t, path, allowed, &[("load", LOAD_KEYS), ("tls", TLS_KEYS)]);
    let mut s = RawSettings::default();
    let p = |k: &str| join(path, k);
    if let Some(i) = t.get("server") {
        s.server = peer(r, i, &p("server"));
    }
    if let Some(i) = t.get("client") {
        s.client = peer(r, i, &p("client"));
    }
    if let Some(i) = t.get("key") {
        s.key = r.named(i, &p("key"));
    }
    if let Some(i) = t.get("client_auth") {
        s.client_auth = r.named(i, &p("client_auth"));
    }
    if let Some(i) = t.get("client_cert") {
        s.client_cert = r.named(i, &p("client_cert"));
    }
    if let Some(i) = t.get("revocation") {
        let rp = p("revocation");
        if let Some(rev) = r.table(i, &rp) {
            r.check_keys(rev, &rp, REVOCATION_KEYS);
            if let Some(v) = rev.get("mode") {
                s.revocation_mode = r.named(v, &join(&rp, "mode"));
            }
            if let Some(v) = rev.get("crl") {
                s.crl_kind = r.named(v, &join(&rp, "crl"));
            }
            if let Some(v) = rev.get("policy") {
                s.fail_policy = r.named(v, &join(&rp, "policy"));
            }
            if let Some(v) = rev.get("reload") {
                s.crl_reload = r.duration(v, &join(&rp, "reload"));
            }
            if let Some(v) = rev.get("revoke_after") {
                s.revoke_after = r.duration(v, &join(&rp, "revoke_after"));
            }
            if let Some(v) = rev.get("cache_ttl") {
                s.cache_ttl = r.duration(v, &join(&rp, "cache_ttl"));
            }
            if let Some(v) = rev.get("responder_delay") {
                s.responder_delay = r.duration(v, &join(&rp, "responder_delay"));
            }
            if let Some(v) = rev.get("query_timeout") {
                s.query_timeout = r.duration(v, &join(&rp, "query_timeout"));
            }
            if let Some(v) = rev.get("staple_refresh") {
                s.staple_refresh = r.duration(v, &join(&rp, "staple_refresh"));
            }
            if let Some(v) = rev.get("fault") {
                s.fault = r.named(v, &join(&rp, "fault"));
            }
            if let Some(v) = rev.get("signer") {
                s.signer = r.named(v, &join(&rp, "signer"));
            }
            if let Some(v) = rev.get("nonce") {
                s.nonce = r.boolean(v, &join(&rp, "nonce"));
            }
            if let Some(v) = rev.get("must_staple") {
                s.must_staple = r.boolean(v, &join(&rp, "must_staple"));
            }
            if let Some(v) = rev.get("staple_verify") {
                s.staple_verify = r.boolean(v, &join(&rp, "staple_verify"));
            }
            if let Some(v) = rev.get("server_revoked") {
                s.server_revoked = r.boolean(v, &join(&rp, "server_revoked"));
            }
            if let Some(v) = rev.get("cert_lifetime") {
                s.cert_lifetime = r.duration(v, &join(&rp, "cert_lifetime"));
            }
            if let Some(v) = rev.get("renew_at") {
                let path = join(&rp, "renew_at");
                s.renew_at = r.positive_number(v, &path);
                if s.renew_at.is_some_and(|f| !(0.1..=0.9).contains(&f)) {
                    r.problem(
                        v.span(),
                        &path,
                        "expected a share of the lifetime from 0.1 to 0.9",
                    );
                    s.renew_at = None;
                }
            }
            if let Some(v) = rev.get("fleet") {
                s.fleet = r
                    .integer(v, &join(&rp, "fleet"), 1..=1_000_000_000)
                    .map(|n| n as u64);
            }
            if let Some(v) = rev.get("crl_entries") {
                let ep = join(&rp, "crl_entries");
                s.crl_entries = r.integer(v, &ep, 0..=1_000_000).map(|n| n as usize);
                if s.revocation_mode
                    .is_some_and(|m| !matches!(m, RevocationMode::Crl | RevocationMode::CrlHttp))
                {
                    r.problem(
                        v.span(),
                        &ep,
                        "has no effect unless revocation.mode = \"crl\" or \"crl-http\"",
                    );
                }
            }
        }
    }
    if let Some(i) = t.get("intermediates") {
        s.intermediates = r.integer(i, &p("intermediates"), 1..=4).map(|n| n as u8);
    }
    if let Some(i) = t.get("server_threads") {
        s.server_threads = r
            .integer(i, &p("server_threads"), 1..=256)
            .map(|n| n as usize);
    }
    if let Some(i) = t.get("verify_depth") {
        s.verify_depth = r.integer(i, &p("verify_depth"), 1..=20).map(|n| n as u8);
    }
    if let Some(i) = t.get("allowed_clients") {
        s.allowed_clients = r.array(i, &p("allowed_clients"), |r, v, path| {
            let name = r.string_value(v, path)?;
            let plain = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
            if !plain {
                r.problem(
                    v.span(),
                    path,
                    format!("expected a subject CN of letters, digits, '-', '_' or '.', found \"{name}\""),
                );
                return None;
            }
            Some(name)
        });
    }
    if let Some(i) = t.get("expect") {
        s.expect = r.named(i, &p("expect"));
    }
    if let Some(i) = t.get("reject_reason") {
        s.reject_reason = r.named(i, &p("reject_reason"));
        s.reject_reason_span = i.span();
    }
    if let Some(i) = t.get("tls") {
        let tp = p("tls");
        if let Some(tls) = r.table(i, &tp) {
            r.check_keys(tls, &tp, TLS_KEYS);
            if let Some(v) = tls.get("versions") {
                s.versions = r.array(v, &join(&tp, "versions"), |r, v, p| r.named_value(v, p));
            }
            if let Some(g) = tls.get("groups") {
                s.groups = r.array(g, &join(&tp, "groups"), |r, v, p| r.named_value(v, p));
            }
            if let Some(v) = tls.get("suites") {
                s.suites = r.array(v, &join(&tp, "suites"), |r, v, p| r.named_value(v, p));
            }
            if let Some(v) = tls.get("server_groups") {
                s.server_groups = r.array(v, &join(&tp, "server_groups"), |r, v, p| {
                    r.named_value(v, p)
                });
            }
            if let Some(v) = tls.get("server_suites") {
                s.server_suites = r.array(v, &join(&tp, "server_suites"), |r, v, p| {
                    r.named_value(v, p)
                });
            }
            if let Some(v) = tls.get("client_sigalgs") {
                s.client_sigalgs = r.array(v, &join(&tp, "client_sigalgs"), |r, v, p| {
                    r.named_value(v, p)
                });
            }
            if let Some(v) = tls.get("resumption") {
                s.resumption = r.named(v, &join(&tp, "resumption"));
            }
            if let Some(v) = tls.get("tickets") {
                s.tickets = r
                    .integer(v, &join(&tp, "tickets"), 0..=16)
                    .map(|n| n as u32);
            }
            if let Some(v) = tls.get("resume_fraction") {
                let fp = join(&tp, "resume_fraction");
                s.resume_fraction = r.positive_number(v, &fp);
                if s.resume_fraction.is_some_and(|f| f > 1.0) {
                    r.problem(v.span(), &fp, "expected a fraction in (0, 1], like 0.9");
                    s.resume_fraction = None;
                }
            }
        }
    }
    if let Some(i) = t.get("load") {
        let lp = p("load");
        if let Some(load) = r.table(i, &lp) {
            r.check_keys(load, &lp, LOAD_KEYS);
            let lk = |k: &str| join(&lp, k);
            if let Some(v) = load.get("concurrency") {
                s.concurrency = r
                    .integer(v, &lk("concurrency"), 1..=1_000_000)
                    .map(|n| n as usize);
            }
            if let Some(v) = load.get("rate") {
                s.rate = r.positive_number(v, &lk("rate"));
                if s.rate
                    .is_some_and(|rate| !(MIN_RATE..=MAX_RATE).contains(&rate))
                {
                    r.problem(
                        v.span(),
                        &lk("rate"),
                        format!(
                            "expected a rate from {MIN_RATE} to {MAX_RATE} handshakes per second"
                        ),
                    );
                    s.rate = None;
                }
            }
            if let Some(v) = load.get("warmup") {
                s.warmup = r.duration(v, &lk("warmup"));
            }
            if let Some(v) = load.get("timeout") {
                s.timeout = r.duration(v, &lk("timeout"));
                if s.timeout == Some(Duration::ZERO) {
                    r.problem(
                        v.span(),
                        &lk("timeout"),
                        "expected a timeout above zero, found \"0s\"",
                    );
                }
            }
            match (load.get("duration"), load.get("handshakes")) {
                (Some(d), Some(_)) => r.problem(
                    d.span(),
                    &lp,
                    "`duration` and `handshakes` both set; a case ends by one of them, keep one",
                ),
                (Some(d), None) => {
                    s.stop = r.duration(d, &lk("duration")).map(Stop::Duration);
                    if s.stop == Some(Stop::Duration(Duration::ZERO)) {
                        r.problem(
                            d.span(),
                            &lk("duration"),
                            "expected a duration above zero, found \"0s\"",
                        );
                    }
                }
                (None, Some(h)) => {
                    s.stop = r
                        .integer(h, &lk("handshakes"), 1..=i64::MAX)
                        .map(|n| Stop::Handshakes(n as u64));
                }
                (None, None) => {}
            }
        }
    }
    s
}

/// A peer name: known and available, or a precise problem.
fn peer<T: std::str::FromStr<Err = String>>(
    r: &mut Reader<'_>,
    item: &Item,
    path: &str,
) -> Option<T> {
    let v = r.value(item, path, "a string")?;
    let name = r.string_value(v, path)?;
    match name.parse() {
        Ok(t) => Some(t),
        Err(expected) => {
            if PLANNED_PEERS.contains(&name.as_str()) {
                r.problem(
                    v.span(),
                    path,
                    format!(
                        "peer \"{name}\" is not available in this version yet; expected {expected}"
                    ),
                );
            } else {
                r.problem(
                    v.span(),
                    path,
                    format!("expected {expected}, found \"{name}\""),
                );
            }
            None
        }
    }
}

/// Applies built-in defaults and checks combinations.
/// What [`finish`] needs besides the layered settings.
struct CaseFrame<'a> {
    name: String,
    description: String,
    span: Option<Range<usize>>,
    path: &'a str,
    axes: Vec<(String, String)>,
    pki_intermediates: u8,
    pki_identities: usize,
}

fn finish(r: &mut Reader<'_>, raw: RawSettings, frame: CaseFrame<'_>) -> Option<Case> {
    let CaseFrame {
        name,
        description,
        span,
        path,
        axes,
        pki_intermediates,
        pki_identities,
    } = frame;
    let versions = raw.versions.unwrap_or_else(|| vec![TlsVersion::Tls13]);
    let groups = raw.groups.unwrap_or_else(|| vec![KxGroup::X25519]);
    let key = raw.key.unwrap_or(KeyType::EcdsaP256);
    let resumption = raw.resumption.unwrap_or(ResumptionMode::Off);
    let resuming = resumption != ResumptionMode::Off;
    let tls = TlsSettings {
        versions,
        groups,
        suites: raw.suites.unwrap_or_default(),
        server_groups: raw.server_groups.unwrap_or_default(),
        server_suites: raw.server_suites.unwrap_or_default(),
        client_sigalgs: raw.client_sigalgs.unwrap_or_default(),
        resumption,
        tickets: raw.tickets.unwrap_or(if resuming { 2 } else { 0 }),
        resume_fraction: raw.resume_fraction.unwrap_or(1.0),
    };
    let client_auth = raw.client_auth.unwrap_or(ClientAuth::Required);
    let client_cert = raw.client_cert.unwrap_or(ClientCert::Valid);
    let base = Revocation::none();
    let revocation = Revocation {
        mode: raw.revocation_mode.unwrap_or(RevocationMode::None),
        crl_entries: raw.crl_entries.unwrap_or(0),
        crl: raw.crl_kind.unwrap_or(CrlKind::Fresh),
        policy: raw.fail_policy.unwrap_or(FailPolicy::Hard),
        reload: raw.crl_reload,
        revoke_after: raw.revoke_after,
        cache_ttl: raw.cache_ttl.unwrap_or(base.cache_ttl),
        responder_delay: raw.responder_delay.unwrap_or(base.responder_delay),
        fault: raw.fault.unwrap_or(base.fault),
        signer: raw.signer.unwrap_or(base.signer),
        nonce: raw.nonce.unwrap_or(base.nonce),
        query_timeout: raw.query_timeout.unwrap_or(base.query_timeout),
        staple_refresh: raw.staple_refresh.unwrap_or(base.staple_refresh),
        must_staple: raw.must_staple.unwrap_or(base.must_staple),
        staple_verify: raw.staple_verify.unwrap_or(base.staple_verify),
        server_revoked: raw.server_revoked.unwrap_or(base.server_revoked),
        cert_lifetime: raw.cert_lifetime.unwrap_or(base.cert_lifetime),
        renew_at: raw.renew_at.unwrap_or(base.renew_at),
        fleet: raw.fleet.unwrap_or(base.fleet),
    };
    let mut ok = true;
    let mut bad = |r: &mut Reader<'_>, span: Option<Range<usize>>, msg: String| {
        r.problem(span, &format!("{path} (\"{name}\")"), msg);
        ok = false;
    };

    if !tls.versions.contains(&TlsVersion::Tls13) && tls.groups.contains(&KxGroup::X25519MlKem768) {
        bad(
            r,
            span.clone(),
            "group \"x25519mlkem768\" needs TLS 1.3, but tls.versions has only \"1.2\"".into(),
        );
    }
    for suite in &tls.suites {
        if !tls.versions.contains(&suite.version()) {
            bad(
                r,
                span.clone(),
                format!(
                    "suite \"{suite}\" is a TLS {} suite, but tls.versions does not enable {}",
                    suite.version(),
                    suite.version()
                ),
            );
        }
    }
    if !tls.suites.is_empty() {
        for version in &tls.versions {
            let usable: Vec<_> = tls
                .suites
                .iter()
                .filter(|s| s.version() == *version)
                .collect();
            if usable.is_empty() {
                bad(
                    r,
                    span.clone(),
                    format!(
                        "tls.suites has no TLS {version} suite, but tls.versions enables {version}"
                    ),
                );
            } else if !usable.iter().any(|s| s.fits_key(key)) {
                bad(r, span.clone(), format!("no TLS {version} suite in tls.suites can be used with a {key} key (ECDHE_ECDSA suites need ECDSA or Ed25519 keys, ECDHE_RSA suites RSA keys)"));
            }
        }
    }
    if !tls.server_suites.is_empty()
        && !tls
            .server_suites
            .iter()
            .any(|s| tls.versions.contains(&s.version()))
    {
        bad(
            r,
            span.clone(),
            "tls.server_suites has no suite for the enabled versions: the server could not start"
                .into(),
        );
    }
    let mode = revocation.mode;
    let crl_mode = matches!(mode, RevocationMode::Crl | RevocationMode::CrlHttp);
    if revocation.reload.is_some() && !crl_mode {
        bad(
            r,
            span.clone(),
            "revocation.reload needs revocation.mode = \"crl\" or \"crl-http\"".into(),
        );
    }
    if revocation.revoke_after.is_some() && mode == RevocationMode::None {
        bad(
            r,
            span.clone(),
            format!(
                "revocation.revoke_after needs a revocation mode that can revoke, not \"{mode}\""
            ),
        );
    }
    if (raw.crl_kind.is_some()) && !crl_mode {
        bad(
            r,
            span.clone(),
            "revocation.crl needs revocation.mode = \"crl\" or \"crl-http\"".into(),
        );
    }
    if raw.fail_policy.is_some()
        && !matches!(
            mode,
            RevocationMode::Crl | RevocationMode::CrlHttp | RevocationMode::Ocsp
        )
    {
        bad(
            r,
            span.clone(),
            "revocation.policy needs revocation.mode = \"crl\", \"crl-http\" or \"ocsp\"".into(),
        );
    }
    let ocsp_keys = [
        (
            "cache_ttl",
            raw.cache_ttl.is_some(),
            mode == RevocationMode::Ocsp,
        ),
        ("nonce", raw.nonce.is_some(), mode == RevocationMode::Ocsp),
        (
            "signer",
            raw.signer.is_some(),
            matches!(mode, RevocationMode::Ocsp | RevocationMode::OcspStapling),
        ),
        (
            "staple_refresh",
            raw.staple_refresh.is_some(),
            mode == RevocationMode::OcspStapling,
        ),
        (
            "must_staple",
            raw.must_staple.is_some(),
            mode == RevocationMode::OcspStapling,
        ),
        (
            "staple_verify",
            raw.staple_verify.is_some(),
            mode == RevocationMode::OcspStapling,
        ),
        (
            "server_revoked",
            raw.server_revoked.is_some(),
            mode == RevocationMode::OcspStapling,
        ),
        (
            "cert_lifetime",
            raw.cert_lifetime.is_some(),
            mode == RevocationMode::ShortLived,
        ),
        (
            "renew_at",
            raw.renew_at.is_some(),
            mode == RevocationMode::ShortLived,
        ),
        (
            "fleet",
            raw.fleet.is_some(),
            mode == RevocationMode::ShortLived,
        ),
        ("fault", raw.fault.is_some(), revocation.needs_service()),
        (
            "responder_delay",
            raw.responder_delay.is_some(),
            revocation.needs_service(),
        ),
        (
            "query_timeout",
            raw.query_timeout.is_some(),
            revocation.needs_service(),
        ),
    ];
    for (key, set, allowed) in ocsp_keys {
        if set && !allowed {
            bad(
                r,
                span.clone(),
                format!("revocation.{key} has no effect with revocation.mode = \"{mode}\""),
            );
        }
    }
    if revocation.staple_refresh < Duration::from_millis(10) {
        bad(
            r,
            span.clone(),
            "revocation.staple_refresh must be at least 10ms".into(),
        );
    }
    if revocation.cert_lifetime < Duration::from_secs(2) {
        bad(
            r,
            span.clone(),
            "revocation.cert_lifetime must be at least 2s (validity times have one-second resolution)".into(),
        );
    }
    if revocation.query_timeout.is_zero() {
        bad(
            r,
            span.clone(),
            "revocation.query_timeout must be more than 0s".into(),
        );
    }
    if revocation
        .reload
        .is_some_and(|d| d < Duration::from_millis(10))
    {
        bad(
            r,
            span.clone(),
            "revocation.reload must be at least 10ms".into(),
        );
    }
    if revocation.revoke_after.is_some() && revocation.crl != CrlKind::Fresh {
        bad(r, span.clone(), "revocation.revoke_after needs revocation.crl = \"fresh\": the server must be able to use the CRL that revokes the victim".into());
    }
    if let Some(after) = revocation.revoke_after {
        if crl_mode && revocation.reload.is_none() {
            bad(r, span.clone(), "revocation.revoke_after needs revocation.reload: a server that never re-reads its CRL never sees the revocation".into());
        }
        match raw.stop.unwrap_or(DEFAULT_STOP) {
            Stop::Duration(d) if after < d => {}
            Stop::Duration(_) => bad(
                r,
                span.clone(),
                "revocation.revoke_after must fall inside load.duration".into(),
            ),
            Stop::Handshakes(_) => bad(
                r,
                span.clone(),
                "revocation.revoke_after needs a load.duration (not a handshake count)".into(),
            ),
        }
    }
    if revocation.mode != RevocationMode::None && client_auth == ClientAuth::Off {
        bad(
            r,
            span.clone(),
            "revocation checks client certificates, but client_auth = \"off\" asks for none".into(),
        );
    }
    if !resuming && raw.tickets.is_some_and(|t| t > 0) {
        bad(
            r,
            span.clone(),
            "tls.tickets has no effect when tls.resumption = \"off\"".into(),
        );
    }
    if !resuming && raw.resume_fraction.is_some() {
        bad(
            r,
            span.clone(),
            "tls.resume_fraction has no effect when tls.resumption = \"off\"".into(),
        );
    }
    if resuming && tls.tickets == 0 && tls.versions == [TlsVersion::Tls13] {
        bad(
            r,
            span.clone(),
            "TLS 1.3 resumes only with tickets: set tls.tickets to 1 or more".into(),
        );
    }
    if client_auth == ClientAuth::Off
        && !matches!(client_cert, ClientCert::Valid | ClientCert::None)
    {
        bad(
            r,
            span.clone(),
            format!("client_cert = \"{client_cert}\" has no effect when client_auth = \"off\" (the server never asks for it)"),
        );
    }
    let deep = crate::pki::DEEP_CHAIN_INTERMEDIATES;
    if client_cert == ClientCert::DeepChain
        && raw.expect.is_none()
        && raw.reject_reason.is_none()
        && raw.verify_depth.is_none()
    {
        bad(
            r,
            span.clone(),
            format!("client_cert = \"deep-chain\" sends {deep} intermediates: set verify_depth (the peers' defaults differ: webpki 6, OpenSSL 100, the harness's nginx and s_server 10) or say what to expect"),
        );
    }
    if client_auth == ClientAuth::Off
        && (raw.allowed_clients.is_some() || !tls.client_sigalgs.is_empty())
    {
        bad(
            r,
            span.clone(),
            "allowed_clients and tls.client_sigalgs have no effect when client_auth = \"off\" (the server never sees a client certificate)".into(),
        );
    }
    let expect = match (raw.expect, raw.reject_reason) {
        (Some(ExpectKind::Accept), Some(reason)) => {
            bad(
                r,
                raw.reject_reason_span.clone().or(span.clone()),
                format!("reject_reason = \"{reason}\" contradicts expect = \"accept\""),
            );
            Expectation::Accept
        }
        (Some(ExpectKind::Accept), None) => Expectation::Accept,
        (Some(ExpectKind::Record), Some(reason)) => {
            bad(
                r,
                raw.reject_reason_span.clone().or(span.clone()),
                format!("reject_reason = \"{reason}\" contradicts expect = \"record\""),
            );
            Expectation::Record
        }
        (Some(ExpectKind::Record), None) => Expectation::Record,
        (Some(ExpectKind::Reject), reason) => Expectation::Reject(reason),
        (None, Some(reason)) => Expectation::Reject(Some(reason)),
        (None, None) => {
            let intermediates = raw.intermediates.unwrap_or(pki_intermediates);
            let sent = sent_intermediates(client_cert, intermediates);
            let list = &tls.client_sigalgs;
            let key_fits =
                list.is_empty() || list.iter().any(|s| s.fits(client_key(client_cert, key)));
            let presents = client_cert != ClientCert::None && client_auth != ClientAuth::Off;
            match allowed_share(raw.allowed_clients.as_deref(), pki_identities) {
                // In the order servers check: the chain (within the verify depth), the
                // allow-list, then the CertificateVerify scheme.
                _ if presents && raw.verify_depth.is_some_and(|d| usize::from(d) < sent) => {
                    Expectation::Reject(Some(Outcome::UnknownCa))
                }
                // Nobody in the pool is on the allow-list: the server refuses every one.
                Some(0) if client_cert == ClientCert::Valid => {
                    Expectation::Reject(Some(Outcome::AccessDenied))
                }
                _ if presents && !key_fits => Expectation::Reject(None),
                _ => Expectation::derived(client_cert, client_auth, tls.highest(), revocation),
            }
        }
    };
    if let Some(listed) = allowed_share(raw.allowed_clients.as_deref(), pki_identities) {
        if client_cert != ClientCert::Valid {
            bad(
                r,
                span.clone(),
                format!("allowed_clients applies to the pool's valid identities; client_cert = \"{client_cert}\" is refused before any allow-list"),
            );
        } else if listed != 0 && listed != pki_identities {
            bad(
                r,
                span.clone(),
                format!("allowed_clients lists {listed} of the pool's {pki_identities} identities (client-00000 ...): the verdict would depend on which one connects; list all of them or none"),
            );
        }
    }
    if let Expectation::Reject(Some(Outcome::Accepted)) = expect {
        bad(
            r,
            raw.reject_reason_span.clone().or(span.clone()),
            "reject_reason cannot be \"accepted\"".into(),
        );
    }

    let concurrency = raw.concurrency.unwrap_or(50);
    let schedule = match raw.rate {
        Some(rate) => Schedule::Open {
            rate_per_sec: rate,
            max_in_flight: raw.concurrency.unwrap_or_else(|| open_loop_workers(rate)),
        },
        None => Schedule::Closed { concurrency },
    };
    let load = LoadSpec {
        schedule,
        stop: raw.stop.unwrap_or(DEFAULT_STOP),
        warmup: raw.warmup.unwrap_or(Duration::from_secs(1)),
        timeout: raw.timeout.unwrap_or(Duration::from_secs(5)),
    };

    ok.then(|| Case {
        name,
        description,
        server: raw.server.unwrap_or(ServerImpl::Rustls),
        client: raw.client.unwrap_or(ClientImpl::Rustls),
        key,
        intermediates: raw.intermediates.unwrap_or(pki_intermediates),
        client_auth,
        client_cert,
        tls,
        revocation,
        load,
        server_threads: raw.server_threads,
        verify_depth: raw.verify_depth,
        allowed_clients: raw.allowed_clients.unwrap_or_default(),
        expect,
        axes,
    })
}

/// The intermediates a client sends (and a server must walk) for a credential, in a hierarchy
/// of `intermediates`.
fn sent_intermediates(cert: ClientCert, intermediates: u8) -> usize {
    match cert {
        ClientCert::DeepChain => crate::pki::DEEP_CHAIN_INTERMEDIATES,
        ClientCert::MisorderedChain => 2,
        ClientCert::NameConstraints | ClientCert::NoCrlSignIssuer => 1,
        _ => usize::from(intermediates),
    }
}

/// The key type of a credential's leaf: the hierarchy's, except the weak RSA key.
fn client_key(cert: ClientCert, key: KeyType) -> KeyType {
    match cert {
        ClientCert::WeakRsa => KeyType::Rsa2048,
        _ => key,
    }
}

/// How many of the pool's identities an allow-list admits; `None` without one.
fn allowed_share(allowed: Option<&[String]>, identities: usize) -> Option<usize> {
    let allowed = allowed?;
    Some(
        (0..identities)
            .filter(|&i| allowed.contains(&crate::pki::pool_name(i)))
            .count(),
    )
}

/// Workers for an open loop without an explicit cap: enough for a second of backlog at the
/// rate, between 64 and 10,000.
fn open_loop_workers(rate: f64) -> usize {
    (rate.ceil() as usize).clamp(64, 10_000)
}
