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

use std::path::Path;

use toml_edit::{ImDocument, Item};

use self::case::{finish, CaseFrame};
use self::matrix::Axis;
use self::raw::RawSettings;
use self::reader::{join, Reader};
use self::settings::{read_settings, SETTING_KEYS};
use crate::scenario::model::{Case, Scenario};
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
    let mut r = Reader::new(src, file);
    let doc = match ImDocument::parse(src) {
        Ok(doc) => doc,
        Err(e) => {
            let message = e.message().trim().to_string();
            r.problem(e.span(), "", format!("TOML syntax error: {message}"));
            return Err(ScenarioError::Invalid {
                problems: r.problems,
                unkept: r.unkept,
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
        .map(|i| pki::read_pki(&mut r, i))
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

    // Count before expanding: three axes of 200 values are 8 million cases.
    let (count, sizes) = matrix::case_count(&axes, bases.len());
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
            unkept: r.unkept,
        })
    }
}

fn default_name(file: &Path) -> String {
    file.file_stem()
        .map_or_else(|| "scenario".into(), |s| s.to_string_lossy().into_owned())
}
