//! The grading data: what each conformance case must produce (`conformance/expectations.toml`)
//! and the known deviations per peer (`conformance/deviations.toml`), parsed into values. Every
//! problem names the file, the entry and what was expected.

use std::path::{Path, PathBuf};

use toml_edit::{DocumentMut, Item, Table};

use crate::measure::Outcome;

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

/// A problem in a grading file.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {entry}: {message}")]
pub struct SpecError {
    /// The file.
    pub file: PathBuf,
    /// `case[3].alert`, ...
    pub entry: String,
    /// What was expected and found.
    pub message: String,
}

pub(super) fn tables<'a>(
    doc: &'a DocumentMut,
    key: &str,
    file: &Path,
) -> Result<Vec<&'a Table>, SpecError> {
    match doc.get(key) {
        None => Ok(Vec::new()),
        Some(item) => item
            .as_array_of_tables()
            .map(|a| a.iter().collect())
            .ok_or_else(|| SpecError {
                file: file.to_path_buf(),
                entry: key.to_string(),
                message: format!("expected an array of tables ([[{key}]])"),
            }),
    }
}

pub(super) struct Entry<'a> {
    pub(super) table: &'a Table,
    pub(super) file: &'a Path,
    pub(super) path: String,
}

impl Entry<'_> {
    pub(super) fn err(&self, key: &str, message: String) -> SpecError {
        SpecError {
            file: self.file.to_path_buf(),
            entry: format!("{}.{key}", self.path),
            message,
        }
    }

    pub(super) fn string(&self, key: &str) -> Result<Option<String>, SpecError> {
        match self.table.get(key) {
            None => Ok(None),
            Some(Item::Value(v)) => v.as_str().map(|s| Some(s.to_string())).ok_or_else(|| {
                self.err(key, format!("expected a string, found {}", v.type_name()))
            }),
            Some(_) => Err(self.err(key, "expected a string".into())),
        }
    }

    pub(super) fn required(&self, key: &str) -> Result<String, SpecError> {
        self.string(key)?
            .ok_or_else(|| self.err(key, "missing; expected a string".into()))
    }

    fn outcome(&self, key: &str, text: &str) -> Result<Outcome, SpecError> {
        text.parse()
            .map_err(|expected| self.err(key, format!("expected {expected}, found \"{text}\"")))
    }

    pub(super) fn check_keys(&self, allowed: &[&str]) -> Result<(), SpecError> {
        for (key, _) in self.table.iter() {
            if !allowed.contains(&key) {
                return Err(self.err(
                    key,
                    format!("unknown key; expected one of {}", allowed.join(", ")),
                ));
            }
        }
        Ok(())
    }
}

pub(super) fn parse_doc(text: &str, file: &Path) -> Result<DocumentMut, SpecError> {
    text.parse::<DocumentMut>().map_err(|e| SpecError {
        file: file.to_path_buf(),
        entry: String::new(),
        message: format!("TOML syntax error: {e}"),
    })
}

/// Parses an expectations file.
///
/// # Errors
/// The first problem, with file, entry and what was expected.
pub fn parse_expectations(text: &str, file: &Path) -> Result<Vec<CaseSpec>, SpecError> {
    let doc = parse_doc(text, file)?;
    let mut out = Vec::new();
    for (i, table) in tables(&doc, "case", file)?.into_iter().enumerate() {
        let e = Entry {
            table,
            file,
            path: format!("case[{}]", i + 1),
        };
        e.check_keys(&[
            "name", "group", "expect", "alert", "alt", "strength", "rfc", "skip",
        ])?;
        let expect = e.required("expect")?;
        let record = expect == "record";
        let accept = match expect.as_str() {
            "accept" => true,
            "reject" | "record" => false,
            other => {
                return Err(e.err(
                    "expect",
                    format!("expected \"accept\", \"reject\" or \"record\", found \"{other}\""),
                ))
            }
        };
        let alert = match e.string("alert")? {
            Some(a) => Some(e.outcome("alert", &a)?),
            None => None,
        };
        let mut alt = Vec::new();
        if let Some(item) = table.get("alt") {
            let array = item
                .as_array()
                .ok_or_else(|| e.err("alt", "expected an array of outcome names".into()))?;
            for v in array.iter() {
                let s = v.as_str().ok_or_else(|| {
                    e.err("alt", format!("expected a string, found {}", v.type_name()))
                })?;
                alt.push(e.outcome("alt", s)?);
            }
        }
        if (accept || record) && (alert.is_some() || !alt.is_empty()) {
            return Err(e.err(
                if alert.is_some() { "alert" } else { "alt" },
                format!(
                    "expected no alert with expect = \"{expect}\" (alerts grade rejections only)"
                ),
            ));
        }
        let strength = match e.string("strength")?.as_deref() {
            None | Some("policy") => Strength::Policy,
            Some("must") => Strength::Must,
            Some("should") => Strength::Should,
            Some("definition") => Strength::Definition,
            Some(other) => {
                return Err(e.err(
                    "strength",
                    format!(
                        "expected \"must\", \"should\", \"definition\" or \"policy\", found \"{other}\""
                    ),
                ))
            }
        };
        out.push(CaseSpec {
            name: e.required("name")?,
            group: e.string("group")?.unwrap_or_default(),
            accept,
            record,
            alert,
            alt,
            strength,
            rfc: e.string("rfc")?,
            skip: e.string("skip")?,
        });
    }
    Ok(out)
}

/// Parses a deviations file.
///
/// # Errors
/// The first problem, with file, entry and what was expected.
pub fn parse_deviations(text: &str, file: &Path) -> Result<Vec<Deviation>, SpecError> {
    let doc = parse_doc(text, file)?;
    let mut out = Vec::new();
    for (i, table) in tables(&doc, "deviation", file)?.into_iter().enumerate() {
        let e = Entry {
            table,
            file,
            path: format!("deviation[{}]", i + 1),
        };
        e.check_keys(&["case", "peer", "observed", "reason"])?;
        let observed = e.required("observed")?;
        e.outcome("observed", &observed)?;
        let reason = e.required("reason")?;
        if reason.trim().is_empty() {
            return Err(e.err("reason", "expected a reason, found an empty string".into()));
        }
        out.push(Deviation {
            case: e.required("case")?,
            peer: e.required("peer")?,
            observed,
            reason,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_files_parse() {
        let specs = parse_expectations(EXPECTATIONS, Path::new("expectations.toml")).unwrap();
        assert!(specs.iter().any(|s| s.name == "a1-no-cert-tls13"
            && s.strength == Strength::Must
            && s.alert == Some(Outcome::CertRequired)));
        let devs = parse_deviations(DEVIATIONS, Path::new("deviations.toml")).unwrap();
        assert!(devs.iter().all(|d| !d.reason.is_empty()));
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
