//! Problems found in an input file ([`Problem`]: file, line, key path, message),
//! [`Problems`] (all of a file's, as one error) and [`ScenarioError`], which lists a
//! scenario's. The reader that collects them is `parse/reader.rs`.

use std::fmt;
use std::io;
use std::path::PathBuf;

/// One problem in a scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file.
    pub file: PathBuf,
    /// 1-based line, when the problem has a place in the file.
    pub line: Option<usize>,
    /// Key path, e.g. `case[2].load.concurrency` (cases counted from 1).
    pub key: String,
    /// What was expected and what was found.
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if self.key.is_empty() {
            write!(f, ": {}", self.message)
        } else {
            write!(f, ": {}: {}", self.key, self.message)
        }
    }
}

/// Why a scenario could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The file could not be read.
    #[error("{}: cannot read scenario file: {source}", file.display())]
    Read {
        /// The file.
        file: PathBuf,
        /// The I/O error.
        source: io::Error,
    },
    /// The file has problems (syntax or content); all of them are counted, the first
    /// [`MAX_LISTED_PROBLEMS`] listed.
    #[error("{}", render(problems, *unkept))]
    Invalid {
        /// The first problems found (at most 1,000), in file order.
        problems: Vec<Problem>,
        /// Problems found beyond those, counted only.
        unkept: usize,
    },
}

/// Every problem of a file (the error of the formats read with the `Reader` other than
/// scenarios): it lists the first [`MAX_LISTED_PROBLEMS`] as `file:line: key: message`, one a
/// line, and counts them when there are several (the caller prefixes its own `error: `).
#[derive(Clone, Debug, Default, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct Problems {
    /// The first problems found (at most 1,000), in file order.
    pub problems: Vec<Problem>,
    /// Problems found beyond those, counted only.
    pub unkept: usize,
}

impl Problems {
    /// How many problems there are, the unkept ones included.
    pub fn count(&self) -> usize {
        self.problems.len().saturating_add(self.unkept)
    }

    fn render(&self) -> String {
        list(&self.problems, self.unkept, Problem::to_string)
    }
}

/// The first [`MAX_LISTED_PROBLEMS`] of `problems`, each rendered by `each`, one a line, then
/// how many more there are and (when there are several) their count: the listing of every
/// error made of problems.
pub fn list(problems: &[Problem], unkept: usize, each: impl Fn(&Problem) -> String) -> String {
    let (mut out, n) = listed(problems, unkept, each);
    if n > 1 {
        out.push(format!("{n} problems found"));
    }
    out.join("\n")
}

/// The first [`MAX_LISTED_PROBLEMS`] lines and how many more there are, and the count of all.
fn listed(
    problems: &[Problem],
    unkept: usize,
    each: impl Fn(&Problem) -> String,
) -> (Vec<String>, usize) {
    let mut out: Vec<String> = problems
        .iter()
        .take(MAX_LISTED_PROBLEMS)
        .map(each)
        .collect();
    let n = problems.len().saturating_add(unkept);
    if n > MAX_LISTED_PROBLEMS {
        out.push(format!(
            "... and {} more (only the first {MAX_LISTED_PROBLEMS} are listed)",
            n - MAX_LISTED_PROBLEMS
        ));
    }
    (out, n)
}

/// Most problems listed one by one; the rest are counted (a file of a million unknown keys
/// stays a readable report).
pub const MAX_LISTED_PROBLEMS: usize = 100;

fn render(problems: &[Problem], unkept: usize) -> String {
    let (mut out, n) = listed(problems, unkept, |p| format!("error: {p}"));
    out.push(format!(
        "{n} problem{} found",
        if n == 1 { "" } else { "s" }
    ));
    out.join("\n")
}
