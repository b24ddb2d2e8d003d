//! A fleet scenario file: which of the three fleet experiments run (`[lifetimes]`, `[storm]`,
//! `[responder]`) and the `[strategy]` question asked of their rows. Every size read from the
//! file is bounded; it is read with the scenario `Reader`, so every problem names its file,
//! line and key (an unknown key its nearest valid one), all at once.

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::time::Duration;

use toml_edit::{Item, TableLike, Value};

use crate::pki::KeyType;
use crate::scenario::reader::{join, Reader};
use crate::scenario::Problems;

/// Longest certificate lifetime the arithmetic accepts (CA/B Forum's longest is 398 days).
const MAX_LIFETIME: Duration = Duration::from_secs(400 * 86_400);
/// Longest duration of anything that runs (a compressed lifetime, a window).
const MAX_RUN: Duration = Duration::from_secs(300);
/// Most clients a run holds certificates for.
pub const MAX_CLIENTS: i64 = 20_000;
/// Most entries of a list.
const MAX_LIST: usize = 16;
/// Shortest duration of anything that runs.
const MIN_RUN: Duration = Duration::from_millis(10);
/// Shortest compressed certificate lifetime (validity has one-second resolution).
const MIN_COMPRESSED_LIFETIME: Duration = Duration::from_secs(2);
/// Shortest real certificate lifetime the arithmetic tabulates.
const MIN_LIFETIME: Duration = Duration::from_secs(60);

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
    /// What is wrong in it: every problem with file, line and key.
    #[error("{0}")]
    Invalid(Problems),
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
    let mut r = Reader::new(text, file);
    let Some(doc) = r.document(text) else {
        return Err(SpecError::Invalid(r.finish().err().unwrap_or_default()));
    };
    let root = doc.as_table();
    r.check_keys(
        root,
        "",
        &["name", "lifetimes", "storm", "responder", "strategy"],
    );
    let name = match root.get("name") {
        Some(i) => fleet_name(&mut r, i),
        None => file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "fleet".into()),
    };
    let lifetimes = section(&mut r, root, "lifetimes").map(|t| lifetimes(&mut r, t));
    let storm = section(&mut r, root, "storm").map(|t| storm(&mut r, t));
    let responder = section(&mut r, root, "responder").map(|t| responder(&mut r, t));
    let strategy = section(&mut r, root, "strategy").map(|t| strategy(&mut r, t));
    if lifetimes.is_none() && storm.is_none() && responder.is_none() {
        r.problem(
            None,
            "",
            "expected at least one of [lifetimes], [storm], [responder]",
        );
    }
    r.finish().map_err(SpecError::Invalid)?;
    Ok(FleetSpec {
        file: file.to_path_buf(),
        name,
        lifetimes,
        storm,
        responder,
        strategy,
    })
}

fn lifetimes(r: &mut Reader<'_>, t: &dyn TableLike) -> LifetimesSpec {
    let p = "lifetimes";
    r.check_keys(
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
    let f = Fields { t, p };
    LifetimesSpec {
        lifetimes: f.list(r, "lifetimes", default_lifetimes, |r, v, k| {
            r.duration_value(v, k, MIN_LIFETIME..=MAX_LIFETIME)
        }),
        fleet: f.int(r, "fleet", 10_000, 1..=1_000_000_000) as u64,
        renew_at: f.fraction(r, "renew_at", 2.0 / 3.0),
        key_types: f.list(r, "key_types", vec![KeyType::EcdsaP256], |r, v, k| {
            r.named_value(v, k)
        }),
        cost_samples: f.int(r, "cost_samples", 50, 1..=10_000) as u32,
        compressed_lifetime: f.duration(
            r,
            "compressed_lifetime",
            Duration::from_secs(3),
            MIN_COMPRESSED_LIFETIME..=MAX_RUN,
        ),
        clients: f.int(r, "clients", 16, 1..=1000) as usize,
        workers: f.int(r, "workers", 4, 1..=256) as usize,
        window: f.duration(r, "window", Duration::from_secs(6), MIN_RUN..=MAX_RUN),
    }
}

fn storm(r: &mut Reader<'_>, t: &dyn TableLike) -> StormSpec {
    let p = "storm";
    r.check_keys(
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
    let f = Fields { t, p };
    let spread = match t.get("spread") {
        None => (0.5, 0.9),
        Some(item) => match r.array_within(item, &join(p, "spread"), MAX_LIST, fraction) {
            Some(v) => match v.as_slice() {
                [a, b] if a < b => (*a, *b),
                _ => {
                    r.problem(
                        item.span(),
                        &join(p, "spread"),
                        "expected [start, end] with start < end",
                    );
                    (0.5, 0.9)
                }
            },
            None => (0.5, 0.9),
        },
    };
    StormSpec {
        clients: f.int(r, "clients", 400, 1..=MAX_CLIENTS) as usize,
        key: f
            .get(r, "key", "a key type", |r, v, k| r.named_value(v, k))
            .unwrap_or(KeyType::EcdsaP256),
        lifetime: f.duration(
            r,
            "lifetime",
            Duration::from_secs(4),
            MIN_COMPRESSED_LIFETIME..=MAX_RUN,
        ),
        renew_at: f.fraction(r, "renew_at", 0.5),
        spread,
        ca_workers: f.int(r, "ca_workers", 1, 1..=64) as usize,
        workers: f.int(r, "workers", 4, 1..=256) as usize,
        mass_revocation: t
            .get("mass_revocation")
            .map_or(Some(true), |i| r.boolean(i, "storm.mass_revocation"))
            .unwrap_or(false),
    }
}

fn responder(r: &mut Reader<'_>, t: &dyn TableLike) -> ResponderSpec {
    let p = "responder";
    r.check_keys(
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
    let f = Fields { t, p };
    let run = MIN_RUN..=MAX_RUN;
    ResponderSpec {
        fleets: f.list(r, "fleets", vec![50, 200, 800], |r, v, k| {
            r.integer_value(v, k, 1..=MAX_CLIENTS).map(|n| n as usize)
        }),
        concurrency: f.int(r, "concurrency", 8, 1..=256) as usize,
        query_timeout: f.duration(r, "query_timeout", Duration::from_millis(200), run.clone()),
        slow_delay: f.duration(r, "slow_delay", Duration::from_millis(400), run),
        saturation_clients: f.int(r, "saturation_clients", 60, 1..=MAX_CLIENTS) as usize,
        flood: f.int(r, "flood", 400, 1..=2000) as usize,
    }
}

fn strategy(r: &mut Reader<'_>, t: &dyn TableLike) -> StrategySpec {
    let p = "strategy";
    r.check_keys(t, p, &["fleets", "max_exposure", "ca_cores", "responders"]);
    let f = Fields { t, p };
    StrategySpec {
        fleets: f.list(r, "fleets", vec![1_000, 100_000, 10_000_000], |r, v, k| {
            r.integer_value(v, k, 1..=1_000_000_000).map(|n| n as u64)
        }),
        max_exposure: f.list(
            r,
            "max_exposure",
            vec![Duration::from_secs(3600), Duration::from_secs(86_400)],
            |r, v, k| r.duration_value(v, k, MIN_LIFETIME..=MAX_LIFETIME),
        ),
        ca_cores: f
            .get(r, "ca_cores", "a number", |r, v, k| {
                r.number_value(v, k, 0.01..=1024.0)
            })
            .unwrap_or(1.0),
        responders: f.int(r, "responders", 1, 1..=1024) as u32,
    }
}

/// The table `[key]`, when present.
fn section<'t>(
    r: &mut Reader<'_>,
    root: &'t dyn TableLike,
    key: &str,
) -> Option<&'t dyn TableLike> {
    root.get(key).and_then(|item| r.table(item, key))
}

/// The name of the run directory: 1 to 64 of a-z, 0-9, - and _.
fn fleet_name(r: &mut Reader<'_>, item: &Item) -> String {
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
            r.problem(item.span(), "name", "expected 1 to 64 of a-z, 0-9, - and _");
            "fleet".into()
        }
    }
}

/// A fraction above 0 and below 1.
fn fraction(r: &mut Reader<'_>, v: &Value, key: &str) -> Option<f64> {
    match v.as_float() {
        Some(f) if f > 0.0 && f < 1.0 => Some(f),
        _ => {
            r.problem(
                v.span(),
                key,
                "expected a fraction above 0 and below 1, like 0.5",
            );
            None
        }
    }
}

/// The optional fields of one section `t` at key path `p`: each read with a default.
struct Fields<'t> {
    t: &'t dyn TableLike,
    p: &'t str,
}

impl Fields<'_> {
    /// Field `k` read by `one`; `None` when absent or wrong (the problem is recorded).
    /// Field `k` (a `what`) read by `one`; `None` when absent or wrong (the problem is
    /// recorded).
    fn get<T>(
        &self,
        r: &mut Reader<'_>,
        k: &str,
        what: &str,
        one: impl FnOnce(&mut Reader<'_>, &Value, &str) -> Option<T>,
    ) -> Option<T> {
        let item = self.t.get(k)?;
        let key = join(self.p, k);
        let v = r.value(item, &key, what)?;
        one(r, v, &key)
    }

    fn int(&self, r: &mut Reader<'_>, k: &str, default: i64, range: RangeInclusive<i64>) -> i64 {
        self.get(r, k, "an integer", |r, v, key| {
            r.integer_value(v, key, range)
        })
        .unwrap_or(default)
    }

    fn fraction(&self, r: &mut Reader<'_>, k: &str, default: f64) -> f64 {
        self.get(r, k, "a fraction", fraction).unwrap_or(default)
    }

    fn duration(
        &self,
        r: &mut Reader<'_>,
        k: &str,
        default: Duration,
        range: RangeInclusive<Duration>,
    ) -> Duration {
        self.get(r, k, "a duration string", |r, v, key| {
            r.duration_value(v, key, range)
        })
        .unwrap_or(default)
    }

    /// A list of 1 to [`MAX_LIST`] entries, each read by `one`; the default when absent or
    /// when any entry is wrong.
    fn list<T>(
        &self,
        r: &mut Reader<'_>,
        k: &str,
        default: Vec<T>,
        one: impl FnMut(&mut Reader<'_>, &Value, &str) -> Option<T>,
    ) -> Vec<T> {
        match self.t.get(k) {
            Some(item) => r
                .array_within(item, &join(self.p, k), MAX_LIST, one)
                .unwrap_or(default),
            None => default,
        }
    }
}
