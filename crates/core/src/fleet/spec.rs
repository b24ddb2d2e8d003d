//! A fleet scenario file: which of the three fleet experiments run (`[lifetimes]`, `[storm]`,
//! `[responder]`) and the `[strategy]` question asked of their rows. Every size read from the
//! file is bounded; every problem names its key and line, all at once.

use std::path::{Path, PathBuf};
use std::time::Duration;

use toml_edit::{ImDocument, Item, TableLike};

use crate::pki::KeyType;

/// Longest certificate lifetime the arithmetic accepts (CA/B Forum's longest is 398 days).
const MAX_LIFETIME: Duration = Duration::from_secs(400 * 86_400);
/// Longest duration of anything that runs (a compressed lifetime, a window).
const MAX_RUN: Duration = Duration::from_secs(300);
/// Most clients a run holds certificates for.
pub const MAX_CLIENTS: i64 = 20_000;
/// Most entries of a list.
const MAX_LIST: usize = 16;

/// `[lifetimes]`: the lifetime arithmetic, the CA's measured cost, and the compressed runs.
#[derive(Clone, Debug)]
pub struct LifetimesSpec {
    /// Lifetimes to tabulate (real time).
    pub lifetimes: Vec<Duration>,
    /// The fleet the arithmetic is for.
    pub fleet: u64,
    /// Renew when this fraction of the lifetime has passed.
    pub renew_at: f64,
    /// Key types whose issuance cost is measured.
    pub key_types: Vec<KeyType>,
    /// Issuances per key type in the cost measurement.
    pub cost_samples: u32,
    /// Each lifetime is run scaled down to this (the factor is reported).
    pub compressed_lifetime: Duration,
    /// Clients renewing in each compressed run.
    pub clients: usize,
    /// Concurrent handshake loops in each compressed run.
    pub workers: usize,
    /// Measured time of each compressed run.
    pub window: Duration,
}

/// `[storm]`: renewals at one moment versus spread over a window, and a mass revocation.
#[derive(Clone, Debug)]
pub struct StormSpec {
    /// Clients holding certificates.
    pub clients: usize,
    /// Key type of their keys (a renewal generates a new key).
    pub key: KeyType,
    /// Certificate lifetime (compressed time).
    pub lifetime: Duration,
    /// Where a storm renews, as a fraction of the lifetime.
    pub renew_at: f64,
    /// The ARI-style window renewals are spread over, as fractions of the lifetime.
    pub spread: (f64, f64),
    /// Issuing threads of the CA.
    pub ca_workers: usize,
    /// Concurrent handshake loops.
    pub workers: usize,
    /// Also revoke every client at once and re-issue.
    pub mass_revocation: bool,
}

/// `[responder]`: OCSP responder capacity and what soft-fail lets through.
#[derive(Clone, Debug)]
pub struct ResponderSpec {
    /// Fleet sizes of cold caches (each client asks once).
    pub fleets: Vec<usize>,
    /// Concurrent queries / handshakes.
    pub concurrency: usize,
    /// The server's OCSP query timeout.
    pub query_timeout: Duration,
    /// The delay that makes the responder slower than that timeout.
    pub slow_delay: Duration,
    /// Clients in each saturation row.
    pub saturation_clients: usize,
    /// Connections flooding the responder in the `overloaded` rows.
    pub flood: usize,
}

/// `[strategy]`: the question asked of the measured rows.
#[derive(Clone, Debug)]
pub struct StrategySpec {
    /// Fleet sizes.
    pub fleets: Vec<u64>,
    /// Largest acceptable exposure of a stolen key.
    pub max_exposure: Vec<Duration>,
    /// CPU cores the CA may spend on issuance.
    pub ca_cores: f64,
    /// OCSP responders behind the fleet.
    pub responders: u32,
}

/// A validated fleet scenario.
#[derive(Clone, Debug)]
pub struct FleetSpec {
    /// Where it was read from.
    pub file: PathBuf,
    /// Its name (the run directory's).
    pub name: String,
    /// `[lifetimes]`.
    pub lifetimes: Option<LifetimesSpec>,
    /// `[storm]`.
    pub storm: Option<StormSpec>,
    /// `[responder]`.
    pub responder: Option<ResponderSpec>,
    /// `[strategy]`.
    pub strategy: Option<StrategySpec>,
}

/// Why a fleet scenario could not be read: every problem, one a line.
#[derive(Debug, thiserror::Error)]
pub enum SpecError {
    /// The file could not be read.
    #[error("{}: cannot read: {source}", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// What is wrong in it.
    #[error("{}", problems.join("\n"))]
    Invalid {
        /// `file:line: key: message`, each.
        problems: Vec<String>,
    },
}

/// Reads and validates a fleet scenario file.
///
/// # Errors
/// When it cannot be read or has problems (all listed).
pub fn load(path: &Path) -> Result<FleetSpec, SpecError> {
    let text = std::fs::read_to_string(path).map_err(|source| SpecError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    parse(&text, path)
}

/// Validates fleet scenario text.
///
/// # Errors
/// Every problem, with line and key.
pub fn parse(text: &str, file: &Path) -> Result<FleetSpec, SpecError> {
    let mut r = Reader {
        text,
        file,
        problems: Vec::new(),
    };
    let doc = match ImDocument::parse(text) {
        Ok(d) => d,
        Err(e) => {
            return Err(SpecError::Invalid {
                problems: vec![format!("{}: not TOML: {e}", file.display())],
            })
        }
    };
    let root = doc.as_table();
    r.keys(
        root,
        "",
        &["name", "lifetimes", "storm", "responder", "strategy"],
    );
    let name = match root.get("name") {
        Some(i) => r.name(i, "name"),
        None => file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "fleet".into()),
    };
    let lifetimes = r.section(root, "lifetimes").map(|t| lifetimes(&mut r, t));
    let storm = r.section(root, "storm").map(|t| storm(&mut r, t));
    let responder = r.section(root, "responder").map(|t| responder(&mut r, t));
    let strategy = r.section(root, "strategy").map(|t| strategy(&mut r, t));
    if lifetimes.is_none() && storm.is_none() && responder.is_none() {
        r.problems.push(format!(
            "{}: expected at least one of [lifetimes], [storm], [responder]",
            file.display()
        ));
    }
    if r.problems.is_empty() {
        Ok(FleetSpec {
            file: file.to_path_buf(),
            name,
            lifetimes,
            storm,
            responder,
            strategy,
        })
    } else {
        Err(SpecError::Invalid {
            problems: r.problems,
        })
    }
}

fn lifetimes(r: &mut Reader<'_>, t: &dyn TableLike) -> LifetimesSpec {
    let p = "lifetimes";
    r.keys(
        t,
        p,
        &[
            "lifetimes",
            "fleet",
            "renew_at",
            "key_types",
            "cost_samples",
            "compressed_lifetime",
            "clients",
            "workers",
            "window",
        ],
    );
    let default_lifetimes = [
        3600,
        86_400,
        576_000,
        47 * 86_400,
        100 * 86_400,
        200 * 86_400,
    ]
    .map(Duration::from_secs)
    .to_vec();
    LifetimesSpec {
        lifetimes: r.list(t, p, "lifetimes", default_lifetimes, |r, i, k| {
            r.duration(i, k, Duration::from_secs(60), MAX_LIFETIME)
        }),
        fleet: r.int(t, p, "fleet", 10_000, 1, 1_000_000_000) as u64,
        renew_at: r.fraction(t, p, "renew_at", 2.0 / 3.0),
        key_types: r.list(t, p, "key_types", vec![KeyType::EcdsaP256], |r, i, k| {
            r.key_type(i, k)
        }),
        cost_samples: r.int(t, p, "cost_samples", 50, 1, 10_000) as u32,
        compressed_lifetime: r.lifetime(t, p, "compressed_lifetime", Duration::from_secs(3)),
        clients: r.int(t, p, "clients", 16, 1, 1000) as usize,
        workers: r.int(t, p, "workers", 4, 1, 256) as usize,
        window: r.dur(t, p, "window", Duration::from_secs(6)),
    }
}

fn storm(r: &mut Reader<'_>, t: &dyn TableLike) -> StormSpec {
    let p = "storm";
    r.keys(
        t,
        p,
        &[
            "clients",
            "key",
            "lifetime",
            "renew_at",
            "spread",
            "ca_workers",
            "workers",
            "mass_revocation",
        ],
    );
    let spread = r.list(t, p, "spread", vec![0.5, 0.9], |r, i, k| {
        r.fraction_item(i, k)
    });
    let spread = match spread.as_slice() {
        [a, b] if a < b => (*a, *b),
        _ => {
            r.at(
                t.get("spread"),
                &format!("{p}.spread"),
                "expected [start, end] with start < end",
            );
            (0.5, 0.9)
        }
    };
    StormSpec {
        clients: r.int(t, p, "clients", 400, 1, MAX_CLIENTS) as usize,
        key: match t.get("key") {
            Some(i) => r.key_type(i, "storm.key").unwrap_or(KeyType::EcdsaP256),
            None => KeyType::EcdsaP256,
        },
        lifetime: r.lifetime(t, p, "lifetime", Duration::from_secs(4)),
        renew_at: r.fraction(t, p, "renew_at", 0.5),
        spread,
        ca_workers: r.int(t, p, "ca_workers", 1, 1, 64) as usize,
        workers: r.int(t, p, "workers", 4, 1, 256) as usize,
        mass_revocation: match t.get("mass_revocation") {
            Some(i) => r.bool(i, "storm.mass_revocation"),
            None => true,
        },
    }
}

fn responder(r: &mut Reader<'_>, t: &dyn TableLike) -> ResponderSpec {
    let p = "responder";
    r.keys(
        t,
        p,
        &[
            "fleets",
            "concurrency",
            "query_timeout",
            "slow_delay",
            "saturation_clients",
            "flood",
        ],
    );
    ResponderSpec {
        fleets: r.list(t, p, "fleets", vec![50, 200, 800], |r, i, k| {
            r.int_item(i, k, 1, MAX_CLIENTS).map(|n| n as usize)
        }),
        concurrency: r.int(t, p, "concurrency", 8, 1, 256) as usize,
        query_timeout: r.dur(t, p, "query_timeout", Duration::from_millis(200)),
        slow_delay: r.dur(t, p, "slow_delay", Duration::from_millis(400)),
        saturation_clients: r.int(t, p, "saturation_clients", 60, 1, MAX_CLIENTS) as usize,
        flood: r.int(t, p, "flood", 400, 1, 2000) as usize,
    }
}

fn strategy(r: &mut Reader<'_>, t: &dyn TableLike) -> StrategySpec {
    let p = "strategy";
    r.keys(t, p, &["fleets", "max_exposure", "ca_cores", "responders"]);
    StrategySpec {
        fleets: r.list(
            t,
            p,
            "fleets",
            vec![1_000, 100_000, 10_000_000],
            |r, i, k| r.int_item(i, k, 1, 1_000_000_000).map(|n| n as u64),
        ),
        max_exposure: r.list(
            t,
            p,
            "max_exposure",
            vec![Duration::from_secs(3600), Duration::from_secs(86_400)],
            |r, i, k| r.duration(i, k, Duration::from_secs(60), MAX_LIFETIME),
        ),
        ca_cores: match t.get("ca_cores") {
            Some(i) => r.number(i, "strategy.ca_cores", 0.01, 1024.0),
            None => 1.0,
        },
        responders: r.int(t, p, "responders", 1, 1, 1024) as u32,
    }
}

/// The 1-based line of byte `offset` of `text`.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

/// Collects problems with their line.
struct Reader<'a> {
    text: &'a str,
    file: &'a Path,
    problems: Vec<String>,
}

impl Reader<'_> {
    fn at(&mut self, item: Option<&Item>, key: &str, message: &str) {
        let line = item
            .and_then(|i| i.span())
            .map(|s| line_of(self.text, s.start));
        let place = line.map(|l| format!(":{l}")).unwrap_or_default();
        self.problems
            .push(format!("{}{place}: {key}: {message}", self.file.display()));
    }

    fn keys(&mut self, t: &dyn TableLike, path: &str, allowed: &[&str]) {
        for (k, item) in t.iter() {
            if !allowed.contains(&k) {
                let key = if path.is_empty() {
                    k.to_string()
                } else {
                    format!("{path}.{k}")
                };
                let msg = format!("unknown key; expected one of {}", allowed.join(", "));
                self.at(Some(item), &key, &msg);
            }
        }
    }

    fn section<'t>(&mut self, root: &'t dyn TableLike, key: &str) -> Option<&'t dyn TableLike> {
        let item = root.get(key)?;
        match item.as_table_like() {
            Some(t) => Some(t),
            None => {
                self.at(Some(item), key, "expected a table");
                None
            }
        }
    }

    fn name(&mut self, item: &Item, key: &str) -> String {
        match item.as_str() {
            Some(s)
                if !s.is_empty()
                    && s.len() <= 64
                    && s.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') =>
            {
                s.to_string()
            }
            _ => {
                self.at(Some(item), key, "expected 1 to 64 of a-z, 0-9, - and _");
                "fleet".into()
            }
        }
    }

    fn int(&mut self, t: &dyn TableLike, p: &str, k: &str, default: i64, lo: i64, hi: i64) -> i64 {
        match t.get(k) {
            Some(i) => self
                .int_item(i, &format!("{p}.{k}"), lo, hi)
                .unwrap_or(default),
            None => default,
        }
    }

    fn int_item(&mut self, item: &Item, key: &str, lo: i64, hi: i64) -> Option<i64> {
        match item.as_integer() {
            Some(n) if (lo..=hi).contains(&n) => Some(n),
            _ => {
                self.at(
                    Some(item),
                    key,
                    &format!("expected an integer from {lo} to {hi}"),
                );
                None
            }
        }
    }

    fn number(&mut self, item: &Item, key: &str, lo: f64, hi: f64) -> f64 {
        let n = item
            .as_float()
            .or_else(|| item.as_integer().map(|i| i as f64));
        match n {
            Some(n) if n >= lo && n <= hi => n,
            _ => {
                self.at(
                    Some(item),
                    key,
                    &format!("expected a number from {lo} to {hi}"),
                );
                lo
            }
        }
    }

    fn fraction(&mut self, t: &dyn TableLike, p: &str, k: &str, default: f64) -> f64 {
        match t.get(k) {
            Some(i) => self
                .fraction_item(i, &format!("{p}.{k}"))
                .unwrap_or(default),
            None => default,
        }
    }

    fn fraction_item(&mut self, item: &Item, key: &str) -> Option<f64> {
        match item.as_float() {
            Some(f) if f > 0.0 && f < 1.0 => Some(f),
            _ => {
                self.at(
                    Some(item),
                    key,
                    "expected a fraction above 0 and below 1, like 0.5",
                );
                None
            }
        }
    }

    fn bool(&mut self, item: &Item, key: &str) -> bool {
        match item.as_bool() {
            Some(b) => b,
            None => {
                self.at(Some(item), key, "expected true or false");
                false
            }
        }
    }

    fn dur(&mut self, t: &dyn TableLike, p: &str, k: &str, default: Duration) -> Duration {
        match t.get(k) {
            Some(i) => self
                .duration(i, &format!("{p}.{k}"), Duration::from_millis(10), MAX_RUN)
                .unwrap_or(default),
            None => default,
        }
    }

    /// A compressed certificate lifetime: at least 2 s (validity has one-second resolution).
    fn lifetime(&mut self, t: &dyn TableLike, p: &str, k: &str, default: Duration) -> Duration {
        match t.get(k) {
            Some(i) => self
                .duration(i, &format!("{p}.{k}"), Duration::from_secs(2), MAX_RUN)
                .unwrap_or(default),
            None => default,
        }
    }

    fn duration(&mut self, item: &Item, key: &str, lo: Duration, hi: Duration) -> Option<Duration> {
        let parsed = item
            .as_str()
            .and_then(|s| humantime::parse_duration(s).ok());
        match parsed {
            Some(d) if d >= lo && d <= hi => Some(d),
            _ => {
                let msg = format!(
                    "expected a duration like \"24h\" or \"47days\" from {} to {}",
                    humantime::format_duration(lo),
                    humantime::format_duration(hi)
                );
                self.at(Some(item), key, &msg);
                None
            }
        }
    }

    fn key_type(&mut self, item: &Item, key: &str) -> Option<KeyType> {
        match item.as_str().and_then(|s| s.parse::<KeyType>().ok()) {
            Some(k) => Some(k),
            None => {
                let names: Vec<_> = KeyType::ALL.iter().map(|k| k.name()).collect();
                self.at(
                    Some(item),
                    key,
                    &format!("expected one of {}", names.join(", ")),
                );
                None
            }
        }
    }

    /// A list at `p.k` of at most [`MAX_LIST`] items, each read by `one`.
    fn list<T>(
        &mut self,
        t: &dyn TableLike,
        p: &str,
        k: &str,
        default: Vec<T>,
        one: impl Fn(&mut Self, &Item, &str) -> Option<T>,
    ) -> Vec<T> {
        let key = format!("{p}.{k}");
        let Some(item) = t.get(k) else {
            return default;
        };
        let Some(array) = item.as_array() else {
            self.at(Some(item), &key, "expected a list");
            return default;
        };
        if array.is_empty() || array.len() > MAX_LIST {
            self.at(
                Some(item),
                &key,
                &format!("expected 1 to {MAX_LIST} entries"),
            );
            return default;
        }
        let mut out = Vec::with_capacity(array.len());
        for (n, v) in array.iter().enumerate() {
            let entry = Item::Value(v.clone());
            let entry_key = format!("{key}[{}]", n + 1);
            if let Some(x) = one(self, &entry, &entry_key) {
                out.push(x);
            } else if let Some(span) = v.span() {
                // The problem was recorded without a place: give it the entry's line.
                let line = line_of(self.text, span.start);
                if let Some(last) = self.problems.last_mut() {
                    let prefix = format!("{}: ", self.file.display());
                    if let Some(rest) = last.strip_prefix(&prefix) {
                        *last = format!("{}:{line}: {rest}", self.file.display());
                    }
                }
            }
        }
        if out.len() == array.len() {
            out
        } else {
            default
        }
    }
}
