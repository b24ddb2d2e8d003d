//! From TOML text to a validated [`Scenario`]: read every table into optional raw settings,
//! layer them (defaults, then the case, then the matrix combination), then check the result for
//! impossible combinations. Every problem is collected; none stops the reading.
//!
//! This file reads the top level and drives the rest, which depends one way: `reader` (typed
//! getters that record problems) <- `raw` (the optional settings) <- the section readers
//! (`pki`, `settings` with `tls`, `load`, `revocation`, `thresholds` and `command`, `matrix`) <- the
//! combination checks (`revocation_case`, `case_rules`, `expect`, reporting through
//! `case_problems`) <- `case` (defaults, and the checks in order).

mod case;
mod case_problems;
mod case_rules;
mod command;
mod expect;
mod files;
mod load;
mod matrix;
mod pki;
mod raw;
pub mod reader;
mod revocation;
mod revocation_case;
mod settings;
mod thresholds;
mod tls;

use std::collections::HashSet;
use std::ops::Range;
use std::path::Path;

use toml_edit::{Item, Table};

use self::case::{finish, CaseFrame};
use self::matrix::Axis;
use self::raw::RawSettings;
use self::reader::{join, Reader};
use self::settings::{read_settings, SETTING_KEYS};
use crate::scenario::model::{Case, PkiSettings, Scenario, TlsVersion};
use crate::scenario::problems::ScenarioError;

pub use self::matrix::MAX_CASES;
pub use self::reader::{MAX_DURATION, MAX_KEPT_PROBLEMS, MAX_LIST, MIN_INTERVAL};

const TOP_KEYS: &[&str] = &[
    "version",
    "name",
    "description",
    "pki",
    "defaults",
    "case",
    "matrix",
];

/// Parses scenario text; `file` is only used in problems.
///
/// # Errors
/// [`ScenarioError::Invalid`] with the problems found (the first
/// [`reader::MAX_KEPT_PROBLEMS`], and the count of the rest).
pub fn parse(src: &str, file: &Path) -> Result<Scenario, ScenarioError> {
    parse_at(src, file, None)
}

/// Parses scenario text as [`parse`] does, with `version` (when given) in place of the
/// versions and groups of `[defaults]`: every case that does not set its own versions runs at
/// `version`, offering the stock groups (a server that speaks only TLS 1.2 grades the suite).
///
/// # Errors
/// As [`parse`].
pub fn parse_at(
    src: &str,
    file: &Path,
    version: Option<TlsVersion>,
) -> Result<Scenario, ScenarioError> {
    let mut r = Reader::new(src, file);
    let Some(doc) = r.document(src) else {
        return Err(invalid(r));
    };
    let top = doc.as_table();
    r.check_keys(top, "", TOP_KEYS);

    check_version(&mut r, top);
    let name = read_name(&mut r, top, file);
    let description = top
        .get("description")
        .and_then(|i| r.string(i, "description"))
        .unwrap_or_default();
    let pki = top
        .get("pki")
        .map(|i| pki::read_pki(&mut r, i))
        .unwrap_or_default();
    let mut defaults = read_defaults(&mut r, top);
    if let Some(v) = version {
        defaults.versions = Some(vec![v]);
        defaults.groups = None;
    }

    let mut bases = read_case_tables(&mut r, top);
    let axes: Vec<Axis> = match top.get("matrix") {
        Some(item) => matrix::read_axes(&mut r, item),
        None => Vec::new(),
    };
    if bases.is_empty() {
        bases.push(matrix_only_base(&mut r, top, &axes, &description));
    }
    check_case_count(&mut r, top, &axes, &mut bases);

    let expansion = Expansion {
        defaults: &defaults,
        axes: &axes,
        scenario_name: &name,
        pki: &pki,
    };
    let cases = expansion.cases(&mut r, &bases);

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
        Err(invalid(r))
    }
}

/// The problems `r` recorded, as the error of [`parse`].
fn invalid(r: Reader<'_>) -> ScenarioError {
    ScenarioError::Invalid {
        problems: r.problems,
        unkept: r.unkept,
    }
}

/// Checks the top-level `version = 1`.
fn check_version(r: &mut Reader<'_>, top: &Table) {
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
}

/// The scenario's `name` (by default the file's stem), with a problem when it is not made of
/// letters, digits, '-', '_' and '.' (not first).
fn read_name(r: &mut Reader<'_>, top: &Table, file: &Path) -> String {
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
    name
}

fn default_name(file: &Path) -> String {
    file.file_stem()
        .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned())
}

/// Reads `[defaults]`: the settings every case starts from.
fn read_defaults(r: &mut Reader<'_>, top: &Table) -> RawSettings {
    match top.get("defaults") {
        Some(item) => match r.table(item, "defaults") {
            Some(t) => read_settings(r, t, "defaults", SETTING_KEYS),
            None => RawSettings::default(),
        },
        None => RawSettings::default(),
    }
}

/// One `[[case]]` table read (or the `[matrix]` of a file without any): what the matrix
/// combinations expand into cases.
struct CaseTable {
    name: String,
    description: String,
    settings: RawSettings,
    /// The table's place in the source, where its cases' problems point.
    span: Option<Range<usize>>,
    /// The key path (`case[1]`, or `matrix`).
    path: String,
}

/// Reads every `[[case]]` table; each needs a `name`.
fn read_case_tables(r: &mut Reader<'_>, top: &Table) -> Vec<CaseTable> {
    let mut bases = Vec::new();
    for (table, path) in r.tables(top, "case") {
        let mut allowed = SETTING_KEYS.to_vec();
        allowed.extend(["name", "description"]);
        let settings = read_settings(r, table, &path, &allowed);
        let name = match table.get("name") {
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
        let description = table
            .get("description")
            .and_then(|it| r.string(it, &join(&path, "description")))
            .unwrap_or_default();
        bases.push(CaseTable {
            name,
            description,
            settings,
            span: table.span(),
            path,
        });
    }
    bases
}

/// The base of a file without `[[case]]` tables: the `[matrix]` alone (a problem when there is
/// none either).
fn matrix_only_base(
    r: &mut Reader<'_>,
    top: &Table,
    axes: &[Axis],
    description: &str,
) -> CaseTable {
    if axes.is_empty() {
        r.problem(None, "case", "no cases: add [[case]] tables or a [matrix]");
    }
    // Matrix-only files: problems of a combination point at the [matrix] table.
    CaseTable {
        name: String::new(),
        description: description.to_string(),
        settings: RawSettings::default(),
        span: top.get("matrix").and_then(Item::span),
        path: "matrix".into(),
    }
}

/// Counts the cases before expanding them (three axes of 200 values are 8 million cases); over
/// [`MAX_CASES`], a problem, and no bases left to expand.
fn check_case_count(r: &mut Reader<'_>, top: &Table, axes: &[Axis], bases: &mut Vec<CaseTable>) {
    let (count, sizes) = matrix::case_count(axes, bases.len());
    if count > MAX_CASES {
        let tables = if sizes.is_empty() {
            String::new()
        } else {
            format!(" ({} [[case]] table(s) x {sizes})", bases.len())
        };
        r.problem(
            top.get("matrix")
                .and_then(Item::span)
                .or_else(|| top.get("case").and_then(Item::span)),
            if axes.is_empty() { "case" } else { "matrix" },
            format!(
                "expands to {}{count} cases{tables}; at most {MAX_CASES} are allowed",
                if count == usize::MAX { "at least " } else { "" }
            ),
        );
        bases.clear();
    }
}

/// What every case table is expanded with: the defaults under it, the matrix axes over it, and
/// the scenario-wide names and PKI.
struct Expansion<'a> {
    defaults: &'a RawSettings,
    axes: &'a [Axis],
    scenario_name: &'a str,
    pki: &'a PkiSettings,
}

impl Expansion<'_> {
    /// Every case of `bases` times the matrix combinations, layered and checked; a duplicate
    /// name is a problem.
    fn cases(&self, r: &mut Reader<'_>, bases: &[CaseTable]) -> Vec<Case> {
        let mut cases: Vec<Case> = Vec::new();
        let mut seen: HashSet<String> = HashSet::new();
        for base in bases {
            let layered = self.defaults.overlay(&base.settings);
            for (values, combo) in matrix::combinations(self.axes) {
                let full_name = self.case_name(&base.name, &values);
                let raw = layered.overlay(&combo);
                if !seen.insert(full_name.clone()) {
                    r.problem(
                        base.span.clone(),
                        &base.path,
                        format!("duplicate case name \"{full_name}\""),
                    );
                    continue;
                }
                let frame = CaseFrame {
                    name: full_name,
                    description: base.description.clone(),
                    span: base.span.clone(),
                    path: &base.path,
                    axes: values,
                    pki_intermediates: self.pki.intermediates,
                    pki_identities: self.pki.identities,
                };
                if let Some(case) = finish(r, raw, frame) {
                    cases.push(case);
                }
            }
        }
        cases
    }

    /// The name of the case of table `case_name` with the matrix `values`: `name[axis=value,..]`,
    /// either part alone, or the scenario's name when both are empty.
    fn case_name(&self, case_name: &str, values: &[(String, String)]) -> String {
        let suffix: Vec<String> = values.iter().map(|(a, v)| format!("{a}={v}")).collect();
        let suffix = suffix.join(",");
        match (case_name.is_empty(), suffix.is_empty()) {
            (false, true) => case_name.to_string(),
            (true, false) => suffix,
            (true, true) => self.scenario_name.to_string(),
            (false, false) => format!("{case_name}[{suffix}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::model::KxGroup;

    #[test]
    fn a_version_given_replaces_the_defaults_and_not_a_cases_own() {
        let src = r#"version = 1
[defaults]
tls = { versions = ["1.3"], groups = ["x25519"] }
[[case]]
name = "inherits"
[[case]]
name = "pinned"
tls = { versions = ["1.3"] }
"#;
        let file = Path::new("s.toml");
        let plain = parse(src, file).unwrap();
        assert_eq!(plain.cases[0].tls.versions, [TlsVersion::Tls13]);
        let at12 = parse_at(src, file, Some(TlsVersion::Tls12)).unwrap();
        let [inherits, pinned] = at12.cases.as_slice() else {
            panic!("two cases")
        };
        assert_eq!(inherits.tls.versions, [TlsVersion::Tls12]);
        // TLS 1.2 against an ECDSA server needs its curve offered (RFC 8422 5.1).
        assert!(inherits.tls.groups.contains(&KxGroup::Secp256r1));
        assert_eq!(pinned.tls.versions, [TlsVersion::Tls13]);
    }
}
