//! The reader that collects problems while reading a parsed document: every typed getter
//! records a problem (file, key path, line, what was expected) instead of stopping, so all the
//! problems of a file are reported at once. Unknown keys get a "did you mean" from the nearest
//! valid key (Levenshtein distance, strsim). Past [`MAX_KEPT_PROBLEMS`] problems are only
//! counted, not kept (nor their hints computed): a 10 MB file of unknown keys would otherwise
//! keep half a million of them.
//!
//! It is public: every input file of the harness is read through it (scenarios, fleet
//! scenarios, the conformance and PKITS grading data, the interop findings; `ab`'s server
//! specs use its problem list and key hints), so every one reports its problems the same way.

use std::fmt::Display;
use std::ops::{Range, RangeInclusive};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use toml_edit::{ImDocument, Item, Table, TableLike, Value};

use crate::scenario::problems::{Problem, Problems};

/// Longest duration, warm-up or timeout a scenario may ask for.
pub const MAX_DURATION: Duration = Duration::from_secs(24 * 3600);

/// Shortest reload or refresh interval (CRL reload, staple refresh, certificate reload): a
/// zero interval would spin (and panics in a timer).
pub const MIN_INTERVAL: Duration = Duration::from_millis(10);

/// Most elements an array in a scenario may have.
pub const MAX_LIST: usize = 1_000;

/// Most problems a reader keeps (the first found); the rest are counted in
/// [`Reader::unkept`].
pub const MAX_KEPT_PROBLEMS: usize = 1_000;

/// Collects problems while reading a parsed document: each getter returns `None` (and records
/// a problem naming the file, line, key path and what was expected) where the input is wrong,
/// so a caller reads on and reports everything at once ([`Reader::finish`]).
pub struct Reader<'a> {
    file: &'a Path,
    /// Byte offset of the start of every line (the first is 0), computed once so each problem
    /// finds its line by binary search: reporting stays linear in the file size.
    line_starts: Vec<usize>,
    /// The problems found so far (at most [`MAX_KEPT_PROBLEMS`]), in the order found.
    pub problems: Vec<Problem>,
    /// Problems found beyond [`MAX_KEPT_PROBLEMS`], counted only.
    pub unkept: usize,
}

impl<'a> Reader<'a> {
    /// A reader of `src`, read from `file` (named in every problem); spans given to
    /// [`Reader::problem`] are byte offsets into `src`.
    pub fn new(src: &'a str, file: &'a Path) -> Self {
        let line_starts = std::iter::once(0)
            .chain(
                src.bytes()
                    .enumerate()
                    .filter(|&(_, b)| b == b'\n')
                    .map(|(i, _)| i + 1),
            )
            .collect();
        Self {
            file,
            line_starts,
            problems: Vec::new(),
            unkept: 0,
        }
    }

    /// The file being read (relative paths inside a scenario are relative to its directory).
    pub fn file(&self) -> &Path {
        self.file
    }

    /// The 1-based line of byte offset `span.start`.
    fn line(&self, span: Option<Range<usize>>) -> Option<usize> {
        let start = span?.start;
        // Lines starting at or before `start`; line_starts[0] = 0, so at least 1.
        Some(self.line_starts.partition_point(|&s| s <= start))
    }

    /// Records a problem at `span` (a byte range of the source; `None`: no place in the file)
    /// for key path `key` (empty: the file as a whole).
    pub fn problem(&mut self, span: Option<Range<usize>>, key: &str, message: impl Into<String>) {
        if self.is_full() {
            self.unkept = self.unkept.saturating_add(1);
            return;
        }
        let line = self.line(span);
        self.problems.push(Problem {
            file: self.file.to_path_buf(),
            line,
            key: key.to_string(),
            message: message.into(),
        });
    }

    /// Whether the next problem will only be counted.
    fn is_full(&self) -> bool {
        self.problems.len() >= MAX_KEPT_PROBLEMS
    }

    /// Records a problem for every key of `table` not in `allowed`.
    pub fn check_keys(&mut self, table: &dyn TableLike, path: &str, allowed: &[&str]) {
        self.check_keys_nested(table, path, allowed, &[]);
    }

    /// Like [`Reader::check_keys`]; a key that belongs in one of the `nested` tables (or is a
    /// typo of such a key) is pointed there, e.g. `concurrency` -> `load.concurrency`.
    pub fn check_keys_nested(
        &mut self,
        table: &dyn TableLike,
        path: &str,
        allowed: &[&str],
        nested: &[(&str, &[&str])],
    ) {
        for (key, _) in table.iter() {
            if !allowed.contains(&key) {
                if self.is_full() {
                    self.unkept = self.unkept.saturating_add(1);
                    continue;
                }
                let span = table.key(key).and_then(|k| k.span());
                let expected: Vec<_> = allowed.iter().map(|k| format!("`{k}`")).collect();
                let inner = nested.iter().find_map(|(t, keys)| {
                    suggestion(key, keys).map(|k| format!("{t} = {{ {k} = ... }}"))
                });
                let hint = inner
                    .or_else(|| suggestion(key, allowed).map(str::to_string))
                    .map(|s| format!(" (did you mean `{s}`?)"))
                    .unwrap_or_default();
                self.problem(
                    span,
                    &join(path, key),
                    format!("unknown key{hint}; expected one of {}", expected.join(", ")),
                );
            }
        }
    }

    /// Parses `src` (the text this reader was made for) as TOML; a syntax error is recorded as
    /// a problem at its place, and `None` returned.
    pub fn document<'s>(&mut self, src: &'s str) -> Option<ImDocument<&'s str>> {
        match ImDocument::parse(src) {
            Ok(doc) => Some(doc),
            Err(e) => {
                let message = e.message().trim().to_string();
                self.problem(e.span(), "", format!("TOML syntax error: {message}"));
                None
            }
        }
    }

    /// Every problem, sorted by line (those without one last), or `Ok` when there is none.
    ///
    /// # Errors
    /// [`Problems`] with every problem kept and the count of the rest.
    pub fn finish(mut self) -> Result<(), Problems> {
        if self.problems.is_empty() && self.unkept == 0 {
            return Ok(());
        }
        self.problems.sort_by_key(|p| p.line.unwrap_or(usize::MAX));
        Err(Problems {
            problems: self.problems,
            unkept: self.unkept,
        })
    }

    /// The tables of `[[key]]` in `top`, each with its key path (`key[1]`, counted from 1);
    /// none when `key` is absent, and a problem when it is not an array of tables.
    pub fn tables<'t>(&mut self, top: &'t dyn TableLike, key: &str) -> Vec<(&'t Table, String)> {
        match top.get(key) {
            None => Vec::new(),
            Some(Item::ArrayOfTables(array)) => array
                .iter()
                .enumerate()
                .map(|(i, t)| (t, format!("{key}[{}]", i + 1)))
                .collect(),
            Some(other) => {
                self.problem(
                    other.span(),
                    key,
                    format!("expected [[{key}]] tables, found {}", other.type_name()),
                );
                Vec::new()
            }
        }
    }

    /// The item at `key` of `table` (at key path `path`), or a problem saying it is missing
    /// and that `what` was expected there.
    pub fn required<'t>(
        &mut self,
        table: &'t Table,
        path: &str,
        key: &str,
        what: &str,
    ) -> Option<&'t Item> {
        let item = table.get(key);
        if item.is_none() {
            self.problem(
                table.span(),
                &join(path, key),
                format!("missing; expected {what}"),
            );
        }
        item
    }

    /// The value of `item`, or a problem saying a `what` was expected.
    pub fn value<'i>(&mut self, item: &'i Item, path: &str, what: &str) -> Option<&'i Value> {
        match item.as_value() {
            Some(v) => Some(v),
            None => {
                self.problem(
                    item.span(),
                    path,
                    format!("expected {what}, found {}", item.type_name()),
                );
                None
            }
        }
    }

    /// A string value.
    pub fn string(&mut self, item: &Item, path: &str) -> Option<String> {
        let v = self.value(item, path, "a string")?;
        self.string_value(v, path)
    }

    /// A string value, for an array element or a value already taken out of its item.
    pub fn string_value(&mut self, v: &Value, path: &str) -> Option<String> {
        match v.as_str() {
            Some(s) => Some(s.to_string()),
            None => {
                self.problem(
                    v.span(),
                    path,
                    format!("expected a string, found {}", describe(v)),
                );
                None
            }
        }
    }

    /// A string naming a value of `T` (whose `FromStr` error says what is expected).
    pub fn named<T: FromStr>(&mut self, item: &Item, path: &str) -> Option<T>
    where
        T::Err: Display,
    {
        let v = self.value(item, path, "a string")?;
        self.named_value(v, path)
    }

    /// [`Reader::named`] of a value.
    pub fn named_value<T: FromStr>(&mut self, v: &Value, path: &str) -> Option<T>
    where
        T::Err: Display,
    {
        let s = self.string_value(v, path)?;
        match s.parse() {
            Ok(t) => Some(t),
            Err(expected) => {
                self.problem(
                    v.span(),
                    path,
                    format!("expected {expected}, found \"{s}\""),
                );
                None
            }
        }
    }

    /// An integer within `range`.
    pub fn integer(&mut self, item: &Item, path: &str, range: RangeInclusive<i64>) -> Option<i64> {
        let v = self.value(item, path, "an integer")?;
        self.integer_value(v, path, range)
    }

    /// [`Reader::integer`] of a value.
    pub fn integer_value(
        &mut self,
        v: &Value,
        path: &str,
        range: RangeInclusive<i64>,
    ) -> Option<i64> {
        let expected = format!("an integer from {} to {}", range.start(), range.end());
        match v.as_integer() {
            Some(n) if range.contains(&n) => Some(n),
            _ => {
                self.problem(
                    v.span(),
                    path,
                    format!("expected {expected}, found {}", describe(v)),
                );
                None
            }
        }
    }

    /// A boolean.
    pub fn boolean(&mut self, item: &Item, path: &str) -> Option<bool> {
        let v = self.value(item, path, "true or false")?;
        match v.as_bool() {
            Some(b) => Some(b),
            None => {
                self.problem(
                    v.span(),
                    path,
                    format!("expected true or false, found {}", describe(v)),
                );
                None
            }
        }
    }

    /// A positive number (integer or float).
    pub fn positive_number(&mut self, item: &Item, path: &str) -> Option<f64> {
        let v = self.value(item, path, "a positive number")?;
        let n = v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
        match n {
            Some(n) if n > 0.0 && n.is_finite() => Some(n),
            _ => {
                self.problem(
                    v.span(),
                    path,
                    format!("expected a positive number, found {}", describe(v)),
                );
                None
            }
        }
    }

    /// A humantime duration string ("10s", "250ms", "1m 30s").
    pub fn duration(&mut self, item: &Item, path: &str) -> Option<Duration> {
        let v = self.value(item, path, "a duration string")?;
        let Some(s) = v.as_str() else {
            self.problem(
                v.span(),
                path,
                format!(
                    "expected a duration string like \"10s\" or \"250ms\", found {}",
                    describe(v)
                ),
            );
            return None;
        };
        match humantime::parse_duration(s) {
            Ok(d) if d > MAX_DURATION => {
                self.problem(
                    v.span(),
                    path,
                    format!("expected at most 24h, found \"{s}\""),
                );
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                self.problem(
                    v.span(),
                    path,
                    format!("expected a duration like \"10s\" or \"250ms\", found \"{s}\" ({e})"),
                );
                None
            }
        }
    }

    /// A number (integer or float) within `range`.
    pub fn number_value(
        &mut self,
        v: &Value,
        path: &str,
        range: RangeInclusive<f64>,
    ) -> Option<f64> {
        let n = v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
        match n {
            Some(n) if range.contains(&n) => Some(n),
            _ => {
                self.problem(
                    v.span(),
                    path,
                    format!(
                        "expected a number from {} to {}, found {}",
                        range.start(),
                        range.end(),
                        describe(v)
                    ),
                );
                None
            }
        }
    }

    /// A humantime duration string within `range` (for inputs whose limits are not the
    /// scenario's [`MAX_DURATION`]).
    pub fn duration_value(
        &mut self,
        v: &Value,
        path: &str,
        range: RangeInclusive<Duration>,
    ) -> Option<Duration> {
        let parsed = v.as_str().map(humantime::parse_duration);
        match parsed {
            Some(Ok(d)) if range.contains(&d) => Some(d),
            _ => {
                let message = format!(
                    "expected a duration like \"24h\" or \"47days\" from {} to {}, found {}",
                    humantime::format_duration(*range.start()),
                    humantime::format_duration(*range.end()),
                    describe(v)
                );
                self.problem(v.span(), path, message);
                None
            }
        }
    }

    /// A non-empty array whose elements each parse with `element`.
    pub fn array<T>(
        &mut self,
        item: &Item,
        path: &str,
        element: impl FnMut(&mut Self, &Value, &str) -> Option<T>,
    ) -> Option<Vec<T>> {
        self.array_within(item, path, MAX_LIST, element)
    }

    /// A non-empty array of at most `max` elements, each parsed with `element`.
    pub fn array_within<T>(
        &mut self,
        item: &Item,
        path: &str,
        max: usize,
        mut element: impl FnMut(&mut Self, &Value, &str) -> Option<T>,
    ) -> Option<Vec<T>> {
        let v = self.value(item, path, "an array")?;
        let Some(array) = v.as_array() else {
            self.problem(
                v.span(),
                path,
                format!("expected an array, found {}", describe(v)),
            );
            return None;
        };
        if array.is_empty() {
            self.problem(v.span(), path, "expected a non-empty array, found []");
            return None;
        }
        if array.len() > max {
            self.problem(
                v.span(),
                path,
                format!("expected at most {max} elements, found {}", array.len()),
            );
            return None;
        }
        let mut out = Vec::new();
        let mut ok = true;
        for (i, e) in array.iter().enumerate() {
            match element(self, e, &format!("{path}[{}]", i + 1)) {
                Some(t) => out.push(t),
                None => ok = false,
            }
        }
        ok.then_some(out)
    }

    /// A table (standard or inline).
    pub fn table<'i>(&mut self, item: &'i Item, path: &str) -> Option<&'i dyn TableLike> {
        match item.as_table_like() {
            Some(t) => Some(t),
            None => {
                self.problem(
                    item.span(),
                    path,
                    format!("expected a table, found {}", item.type_name()),
                );
                None
            }
        }
    }
}

/// `path.key`, or `key` at the top.
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn describe(v: &Value) -> String {
    match v {
        Value::String(s) => format!("\"{}\"", s.value()),
        Value::Integer(i) => format!("{}", i.value()),
        Value::Float(f) => format!("{}", f.value()),
        Value::Boolean(b) => format!("{}", b.value()),
        other => other.type_name().to_string(),
    }
}

/// The allowed key closest to `key`, if it is a likely typo (at most two edits away): the
/// "did you mean" of unknown keys.
pub fn suggestion<'k>(key: &str, allowed: &[&'k str]) -> Option<&'k str> {
    allowed
        .iter()
        .map(|a| (strsim::levenshtein(key, a), *a))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, a)| a)
}
