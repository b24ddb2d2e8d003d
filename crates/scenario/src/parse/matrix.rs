//! `[matrix]`: axes whose values multiply into cases. Each axis sets one setting; every
//! combination of axis values, laid over each case (or over the defaults when there are no
//! cases), becomes a case named `base[axis=value,...]`.

use toml_edit::Item;

use super::raw::RawSettings;
use super::reader::{join, Reader};

/// The axes a matrix can vary.
pub(crate) const AXES: &[&str] = &[
    "server",
    "client",
    "key",
    "client_auth",
    "client_cert",
    "tls_version",
    "group",
    "suite",
    "resumption",
    "intermediates",
    "revocation",
    "concurrency",
];

/// Most cases a scenario may expand to ([[case]] tables times matrix combinations).
pub const MAX_CASES: usize = 10_000;

/// One axis: its name and, per value, the value's text and the setting it applies.
pub(crate) struct Axis {
    name: String,
    values: Vec<(String, RawSettings)>,
}

/// Reads `[matrix]`.
pub(crate) fn read_axes(r: &mut Reader<'_>, item: &Item) -> Vec<Axis> {
    let Some(t) = r.table(item, "matrix") else {
        return Vec::new();
    };
    r.check_keys(t, "matrix", AXES);
    let mut axes = Vec::new();
    for (name, values) in t.iter() {
        if !AXES.contains(&name) {
            continue;
        }
        let path = join("matrix", name);
        let parsed = r.array(values, &path, |r, v, p| {
            // Numeric axes take integers (or quoted integers); the others take strings.
            let text = match (name, v.as_integer()) {
                ("concurrency" | "intermediates", Some(n)) => n.to_string(),
                _ => r.string_value(v, p)?,
            };
            let mut s = RawSettings::default();
            match name {
                "server" => s.server = Some(r.named_value(v, p)?),
                "client" => s.client = Some(r.named_value(v, p)?),
                "key" => s.key = Some(r.named_value(v, p)?),
                "client_auth" => s.client_auth = Some(r.named_value(v, p)?),
                "client_cert" => s.client_cert = Some(r.named_value(v, p)?),
                "tls_version" => s.versions = Some(vec![r.named_value(v, p)?]),
                "group" => s.groups = Some(vec![r.named_value(v, p)?]),
                "suite" => s.suites = Some(vec![r.named_value(v, p)?]),
                "resumption" => s.resumption = Some(r.named_value(v, p)?),
                "revocation" => s.revocation.mode = Some(r.named_value(v, p)?),
                "intermediates" => s.intermediates = Some(bounded(r, v, p, &text, 4)? as u8),
                "concurrency" => s.concurrency = Some(bounded(r, v, p, &text, 1_000_000)?),
                _ => return None,
            }
            Some((text, s))
        });
        if let Some(values) = parsed {
            axes.push(Axis {
                name: name.to_string(),
                values,
            });
        }
    }
    axes
}

/// The integer in `text`, from 1 to `max`, or a problem at `v`.
fn bounded(
    r: &mut Reader<'_>,
    v: &toml_edit::Value,
    path: &str,
    text: &str,
    max: usize,
) -> Option<usize> {
    let n = text.parse::<usize>().ok().filter(|n| (1..=max).contains(n));
    if n.is_none() {
        r.problem(
            v.span(),
            path,
            format!("expected an integer from 1 to {max}, found \"{text}\""),
        );
    }
    n
}

/// How many cases `bases` case tables expand to over `axes`, saturating (so a hostile matrix
/// is measured before anything is allocated), and the axes' sizes for the message.
pub(crate) fn case_count(axes: &[Axis], bases: usize) -> (usize, String) {
    let count = axes
        .iter()
        .fold(bases, |n, a| n.saturating_mul(a.values.len()));
    let sizes: Vec<String> = axes
        .iter()
        .map(|a| format!("{} {}", a.values.len(), a.name))
        .collect();
    (count, sizes.join(" x "))
}

/// Every combination: ((axis, value) pairs, settings). One empty combination when there are
/// no axes.
pub(crate) fn combinations(axes: &[Axis]) -> Vec<(Vec<(String, String)>, RawSettings)> {
    let mut out = vec![(Vec::new(), RawSettings::default())];
    for axis in axes {
        let mut next = Vec::with_capacity(out.len() * axis.values.len());
        for (values, settings) in &out {
            for (text, value) in &axis.values {
                let mut values = values.clone();
                values.push((axis.name.clone(), text.clone()));
                next.push((values, settings.overlay(value)));
            }
        }
        out = next;
    }
    out
}
