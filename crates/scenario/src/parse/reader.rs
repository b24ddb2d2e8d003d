//! The reader that collects problems while reading a parsed document: every typed getter
//! records a problem (file, key path, line, what was expected) instead of stopping, so all the
//! problems of a file are reported at once. Unknown keys get a "did you mean" from the nearest
//! valid key (Levenshtein distance, strsim). Past [`MAX_KEPT_PROBLEMS`] problems are only
//! counted, not kept (nor their hints computed): a 10 MB file of unknown keys would otherwise
//! keep half a million of them.

use std::fmt::Display;
use std::ops::{Range, RangeInclusive};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use toml_edit::{Item, TableLike, Value};

use crate::scenario::problems::Problem;

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

/// Collects problems while reading a parsed document.
pub(crate) struct Reader<'a> {
    file: &'a Path,
    /// Byte offset of the start of every line (the first is 0), computed once so each problem
    /// finds its line by binary search: reporting stays linear in the file size.
    line_starts: Vec<usize>,
    pub(crate) problems: Vec<Problem>,
    /// Problems found beyond [`MAX_KEPT_PROBLEMS`], counted only.
    pub(crate) unkept: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(src: &'a str, file: &'a Path) -> Self {
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

    /// The scenario file being read (relative paths inside it are relative to its directory).
    pub(crate) fn file(&self) -> &Path {
        self.file
    }

    /// The 1-based line of byte offset `span.start`.
    fn line(&self, span: Option<Range<usize>>) -> Option<usize> {
        let start = span?.start;
        // Lines starting at or before `start`; line_starts[0] = 0, so at least 1.
        Some(self.line_starts.partition_point(|&s| s <= start))
    }

    /// Records a problem at `span`.
    pub(crate) fn problem(
        &mut self,
        span: Option<Range<usize>>,
        key: &str,
        message: impl Into<String>,
    ) {
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
    pub(crate) fn check_keys(&mut self, table: &dyn TableLike, path: &str, allowed: &[&str]) {
        self.check_keys_nested(table, path, allowed, &[]);
    }

    /// Like [`Reader::check_keys`]; a key that belongs in one of the `nested` tables (or is a
    /// typo of such a key) is pointed there, e.g. `concurrency` -> `load.concurrency`.
    pub(crate) fn check_keys_nested(
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

    /// The value of `item`, or a problem saying a `what` was expected.
    pub(crate) fn value<'i>(
        &mut self,
        item: &'i Item,
        path: &str,
        what: &str,
    ) -> Option<&'i Value> {
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
    pub(crate) fn string(&mut self, item: &Item, path: &str) -> Option<String> {
        let v = self.value(item, path, "a string")?;
        self.string_value(v, path)
    }

    pub(crate) fn string_value(&mut self, v: &Value, path: &str) -> Option<String> {
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
    pub(crate) fn named<T: FromStr>(&mut self, item: &Item, path: &str) -> Option<T>
    where
        T::Err: Display,
    {
        let v = self.value(item, path, "a string")?;
        self.named_value(v, path)
    }

    pub(crate) fn named_value<T: FromStr>(&mut self, v: &Value, path: &str) -> Option<T>
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
    pub(crate) fn integer(
        &mut self,
        item: &Item,
        path: &str,
        range: RangeInclusive<i64>,
    ) -> Option<i64> {
        let v = self.value(item, path, "an integer")?;
        self.integer_value(v, path, range)
    }

    pub(crate) fn integer_value(
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
    pub(crate) fn boolean(&mut self, item: &Item, path: &str) -> Option<bool> {
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
    pub(crate) fn positive_number(&mut self, item: &Item, path: &str) -> Option<f64> {
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
    pub(crate) fn duration(&mut self, item: &Item, path: &str) -> Option<Duration> {
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

    /// A non-empty array whose elements each parse with `element`.
    pub(crate) fn array<T>(
        &mut self,
        item: &Item,
        path: &str,
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
        if array.len() > MAX_LIST {
            self.problem(
                v.span(),
                path,
                format!(
                    "expected at most {MAX_LIST} elements, found {}",
                    array.len()
                ),
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
    pub(crate) fn table<'i>(&mut self, item: &'i Item, path: &str) -> Option<&'i dyn TableLike> {
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
pub(crate) fn join(path: &str, key: &str) -> String {
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

/// The allowed key closest to `key`, if it is a likely typo.
fn suggestion<'k>(key: &str, allowed: &[&'k str]) -> Option<&'k str> {
    allowed
        .iter()
        .map(|a| (strsim::levenshtein(key, a), *a))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, a)| a)
}
