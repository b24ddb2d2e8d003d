//! The grading data: what each conformance case must produce (`conformance/expectations.toml`)
//! and the known deviations per peer (`conformance/deviations.toml`, and PKITS's in
//! `conformance/pkits-deviations.toml`), parsed into values. They are read with the scenario
//! `Reader`: every problem of a file at once, each naming the file, the entry's key path, its
//! line, what was expected (and, for an unknown key, the nearest valid one).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use toml_edit::{ImDocument, Table};

use crate::measure::Outcome;
use crate::scenario::problems::{self, Problem};
use crate::scenario::reader::{join, Reader};

/// The expectations shipped with the binary (`conformance/expectations.toml`).
pub const EXPECTATIONS: &str = include_str!("../../../../conformance/expectations.toml");

/// The known deviations shipped with the binary (`conformance/deviations.toml`).
pub const DEVIATIONS: &str = include_str!("../../../../conformance/deviations.toml");

/// How binding the expected alert is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, strum::IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum Strength {
    /// An RFC says MUST: another alert is `fail_must`.
    Must,
    /// An RFC says SHOULD (or MAY with one named alert): another alert is a `deviation`.
    Should,
    /// The alert follows from the RFC's definition of the alerts: another is a `deviation`.
    Definition,
    /// Local policy: any rejection (or acceptance, as configured) is right.
    Policy,
}

/// One case's expectation.
#[derive(Clone, Debug, serde::Serialize)]
pub struct CaseSpec {
    /// The case name in the suite (without matrix suffix).
    pub name: String,
    /// CONFORMANCE.md group (`A`..`F`, or `sanity`).
    pub group: String,
    /// Whether the peer must accept.
    pub accept: bool,
    /// Local policy with no right answer: any single verdict passes and the row records it.
    pub record: bool,
    /// The class an RFC asks for, for rejections.
    pub alert: Option<Outcome>,
    /// Other classes the RFC text also allows.
    pub alt: Vec<Outcome>,
    /// How binding `alert` is.
    pub strength: Strength,
    /// Where the requirement comes from.
    pub rfc: Option<String>,
    /// The RFC's own words for the requirement, checked against the RFC text: what the
    /// strength follows (a MUST case quotes a MUST or SHALL, never a MAY).
    pub quote: Option<String>,
    /// Set for a `must` or `should` case whose RFC words could not be checked yet (no quote
    /// is given rather than one from memory).
    pub quote_unverified: bool,
    /// Set when the case cannot be produced yet: skipped on every peer with this reason.
    pub skip: Option<String>,
}

/// A known deviation of one peer.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Deviation {
    /// The case.
    pub case: String,
    /// The peer.
    pub peer: String,
    /// The outcome class the peer produces.
    pub observed: String,
    /// Why.
    pub reason: String,
}

/// The problems of a grading file: the first one's place and message (in file order), and
/// every one. It displays each as `file: entry: message (line N)`, one a line, and their count
/// when there are several.
#[derive(Debug, thiserror::Error)]
#[error("{}", self.render())]
pub struct SpecError {
    /// The file.
    pub file: PathBuf,
    /// The first problem's entry: `case[3].alert`, ...
    pub entry: String,
    /// The first problem: what was expected and found.
    pub message: String,
    /// The first problem's 1-based line, when it has a place in the file.
    pub line: Option<usize>,
    /// Every problem kept (the first included), in file order.
    pub problems: Vec<Problem>,
    /// Problems found beyond those, counted only.
    pub unkept: usize,
}

impl SpecError {
    fn render(&self) -> String {
        problems::list(&self.problems, self.unkept, |p| {
            let mut line = format!("{}: ", p.file.display());
            if !p.key.is_empty() {
                line.push_str(&format!("{}: ", p.key));
            }
            line.push_str(&p.message);
            if let Some(n) = p.line {
                line.push_str(&format!(" (line {n})"));
            }
            line
        })
    }
}

/// Reads `text` (from `file`) as TOML with `read`, which records every problem in the
/// reader; the value when there was none.
///
/// # Errors
/// Every problem, the syntax error of a file that is not TOML included.
pub(super) fn read_data<T>(
    text: &str,
    file: &Path,
    read: impl FnOnce(&mut Reader<'_>, &ImDocument<&str>) -> T,
) -> Result<T, SpecError> {
    let mut r = Reader::new(text, file);
    let value = r.document(text).map(|doc| read(&mut r, &doc));
    match (r.finish(), value) {
        (Ok(()), Some(value)) => Ok(value),
        (Err(problems), _) => {
            let first = problems.problems.first().cloned();
            Err(SpecError {
                file: file.to_path_buf(),
                entry: first.as_ref().map(|p| p.key.clone()).unwrap_or_default(),
                message: first
                    .as_ref()
                    .map(|p| p.message.clone())
                    .unwrap_or_default(),
                line: first.and_then(|p| p.line),
                problems: problems.problems,
                unkept: problems.unkept,
            })
        }
        // A document that did not parse has its syntax error recorded.
        (Ok(()), None) => Err(SpecError {
            file: file.to_path_buf(),
            entry: String::new(),
            message: "TOML syntax error".into(),
            line: None,
            problems: Vec::new(),
            unkept: 0,
        }),
    }
}

/// One `[[table]]` entry of a grading file, at its key path (`case[3]`).
pub(super) struct Entry<'t> {
    pub(super) table: &'t Table,
    pub(super) path: String,
}

impl Entry<'_> {
    /// The key path of `key` in this entry.
    pub(super) fn key(&self, key: &str) -> String {
        join(&self.path, key)
    }

    /// Records a problem at `key`'s value (or the entry, when it has none).
    pub(super) fn problem(&self, r: &mut Reader<'_>, key: &str, message: String) {
        let span = self
            .table
            .get(key)
            .and_then(toml_edit::Item::span)
            .or_else(|| self.table.span());
        r.problem(span, &self.key(key), message);
    }

    /// An optional string.
    pub(super) fn string(&self, r: &mut Reader<'_>, key: &str) -> Option<String> {
        let item = self.table.get(key)?;
        r.string(item, &self.key(key))
    }

    /// A string that must be there.
    pub(super) fn required(&self, r: &mut Reader<'_>, key: &str) -> Option<String> {
        let item = r.required(self.table, &self.path, key, "a string")?;
        r.string(item, &self.key(key))
    }

    /// A required string that must name a `T` (whose `FromStr` error says what is expected);
    /// the string as given.
    pub(super) fn named<T: FromStr>(&self, r: &mut Reader<'_>, key: &str) -> Option<String>
    where
        T::Err: std::fmt::Display,
    {
        let item = r.required(self.table, &self.path, key, "a string")?;
        let text = r.string(item, &self.key(key))?;
        r.named::<T>(item, &self.key(key))?;
        Some(text)
    }

    /// A required reason: a string that is not blank.
    pub(super) fn reason(&self, r: &mut Reader<'_>) -> Option<String> {
        let reason = self.required(r, "reason")?;
        if reason.trim().is_empty() {
            self.problem(
                r,
                "reason",
                "expected a reason, found an empty string".into(),
            );
            return None;
        }
        Some(reason)
    }
}

/// The keys of an expectation.
const CASE_KEYS: &[&str] = &[
    "name",
    "group",
    "expect",
    "alert",
    "alt",
    "strength",
    "rfc",
    "quote",
    "quote_unverified",
    "skip",
];

/// Parses an expectations file.
///
/// # Errors
/// Every problem, each with file, entry, line and what was expected.
pub fn parse_expectations(text: &str, file: &Path) -> Result<Vec<CaseSpec>, SpecError> {
    read_data(text, file, |r, doc| {
        let tables = r.tables(doc.as_table(), "case");
        let specs: Vec<Option<CaseSpec>> = tables
            .into_iter()
            .map(|(table, path)| case_spec(r, &Entry { table, path }))
            .collect();
        specs.into_iter().flatten().collect()
    })
}

/// One `[[case]]`: `None` when it has a problem (recorded).
fn case_spec(r: &mut Reader<'_>, e: &Entry<'_>) -> Option<CaseSpec> {
    r.check_keys(e.table, &e.path, CASE_KEYS);
    let expect = e.required(r, "expect");
    let verdict = match expect.as_deref() {
        Some("accept") => Some((true, false)),
        Some("reject") => Some((false, false)),
        Some("record") => Some((false, true)),
        Some(other) => {
            e.problem(
                r,
                "expect",
                format!("expected \"accept\", \"reject\" or \"record\", found \"{other}\""),
            );
            None
        }
        None => None,
    };
    let alert = match e.table.get("alert") {
        Some(item) => r.named::<Outcome>(item, &e.key("alert")).map(Some),
        None => Some(None),
    };
    let alt = match e.table.get("alt") {
        None => Some(Vec::new()),
        Some(item) if item.as_array().is_some_and(|a| a.is_empty()) => Some(Vec::new()),
        Some(item) => r.array(item, &e.key("alt"), |r, v, path| r.named_value(v, path)),
    };
    let strength = strength(r, e);
    let name = e.required(r, "name");
    let (group, rfc, quote, skip) = (
        e.string(r, "group"),
        e.string(r, "rfc"),
        e.string(r, "quote"),
        e.string(r, "skip"),
    );
    let quote_unverified = match e.table.get("quote_unverified") {
        Some(item) => r.boolean(item, &e.key("quote_unverified")).unwrap_or(false),
        None => false,
    };
    let (accept, record) = verdict?;
    let (alert, alt) = (alert?, alt?);
    if (accept || record) && (alert.is_some() || !alt.is_empty()) {
        e.problem(
            r,
            if alert.is_some() { "alert" } else { "alt" },
            format!(
                "expected no alert with expect = \"{}\" (alerts grade rejections only)",
                expect.unwrap_or_default()
            ),
        );
        return None;
    }
    Some(CaseSpec {
        name: name?,
        group: group.unwrap_or_default(),
        accept,
        record,
        alert,
        alt,
        strength: strength?,
        rfc,
        quote,
        quote_unverified,
        skip,
    })
}

/// A case's `strength` (default: policy).
fn strength(r: &mut Reader<'_>, e: &Entry<'_>) -> Option<Strength> {
    match e.string(r, "strength").as_deref() {
        None | Some("policy") => Some(Strength::Policy),
        Some("must") => Some(Strength::Must),
        Some("should") => Some(Strength::Should),
        Some("definition") => Some(Strength::Definition),
        Some(other) => {
            e.problem(
                r,
                "strength",
                format!(
                    "expected \"must\", \"should\", \"definition\" or \"policy\", found \"{other}\""
                ),
            );
            None
        }
    }
}

/// Parses a deviations file (the conformance suite's or PKITS's).
///
/// # Errors
/// Every problem, each with file, entry, line and what was expected.
pub fn parse_deviations(text: &str, file: &Path) -> Result<Vec<Deviation>, SpecError> {
    read_data(text, file, |r, doc| {
        let tables = r.tables(doc.as_table(), "deviation");
        let mut out = Vec::new();
        for (table, path) in tables {
            let e = Entry { table, path };
            r.check_keys(table, &e.path, &["case", "peer", "observed", "reason"]);
            let observed = e.named::<Outcome>(r, "observed");
            let reason = e.reason(r);
            let (case, peer) = (e.required(r, "case"), e.required(r, "peer"));
            if let (Some(case), Some(peer), Some(observed), Some(reason)) =
                (case, peer, observed, reason)
            {
                out.push(Deviation {
                    case,
                    peer,
                    observed,
                    reason,
                });
            }
        }
        out
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_files_parse() {
        let specs = parse_expectations(EXPECTATIONS, Path::new("expectations.toml")).unwrap();
        // RFC 8446 4.4.2.4: the server MAY abort with certificate_required (issue 26,
        // finding 9): another alert is a deviation, not a MUST failure.
        assert!(specs.iter().any(|s| s.name == "a1-no-cert-tls13"
            && s.strength == Strength::Should
            && s.alert == Some(Outcome::CertRequired)));
        let devs = parse_deviations(DEVIATIONS, Path::new("deviations.toml")).unwrap();
        assert!(devs.iter().all(|d| !d.reason.is_empty()));
    }

    /// The strength of every shipped case follows the RFC words it quotes: a must or should
    /// case quotes its RFC (or says its words are unverified), a MUST case's words say MUST
    /// or SHALL, and words that only say MAY make no MUST case.
    #[test]
    fn strength_follows_the_quoted_rfc_words() {
        let specs = parse_expectations(EXPECTATIONS, Path::new("expectations.toml")).unwrap();
        for s in &specs {
            let binding = matches!(s.strength, Strength::Must | Strength::Should);
            if binding && s.quote.is_none() {
                assert!(
                    s.quote_unverified,
                    "{}: quote the RFC or mark it unverified",
                    s.name
                );
            }
            let Some(q) = &s.quote else { continue };
            assert!(s.rfc.is_some(), "{}: a quote names its RFC", s.name);
            let must = q.contains("MUST") || q.contains("SHALL");
            if s.strength == Strength::Must {
                assert!(must, "{}: a must case quoting no MUST: {q}", s.name);
            }
            if q.contains("MAY") && !must {
                assert_ne!(s.strength, Strength::Must, "{}: MAY is no MUST", s.name);
            }
            assert!(!s.quote_unverified, "{}: quoted and unverified", s.name);
        }
        let a1 = specs.iter().find(|s| s.name == "a1-no-cert-tls13").unwrap();
        assert!(a1.quote.as_deref().unwrap().contains("the server MAY"));
    }

    #[test]
    fn problems_name_the_entry() {
        let e = parse_expectations(
            "[[case]]\nname = \"x\"\nexpect = \"reject\"\nalert = \"cert_gone\"\n",
            Path::new("e.toml"),
        )
        .unwrap_err();
        assert_eq!(e.entry, "case[1].alert");
        assert!(e.message.contains("found \"cert_gone\""), "{e}");
        let e = parse_expectations(
            "[[case]]\nname = \"x\"\nexpect = \"record\"\nalert = \"unknown_ca\"\n",
            Path::new("e.toml"),
        )
        .unwrap_err();
        assert_eq!(e.entry, "case[1].alert");
        assert!(
            e.message.contains("no alert with expect = \"record\""),
            "{e}"
        );
        let e = parse_deviations(
            "[[deviation]]\ncase = \"x\"\npeer = \"nginx\"\nobserved = \"unknown_ca\"\n",
            Path::new("d.toml"),
        )
        .unwrap_err();
        assert_eq!(e.entry, "deviation[1].reason");
    }
}
