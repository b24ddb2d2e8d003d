//! Where a case's combination checks report: every problem names the case (its table's path
//! and name) and points at its table, or at the key that is wrong when one is known.

use std::ops::Range;

use super::reader::Reader;

/// The problems of one case, recorded in the scenario's [`Reader`].
pub(super) struct CaseProblems<'r, 'a> {
    r: &'r mut Reader<'a>,
    /// `case[2] ("name")`.
    key: String,
    /// The case's table.
    span: Option<Range<usize>>,
    ok: bool,
}

impl<'r, 'a> CaseProblems<'r, 'a> {
    /// The problems of case `name` of the table at `path` (`span`).
    pub(super) fn new(
        r: &'r mut Reader<'a>,
        path: &str,
        name: &str,
        span: Option<Range<usize>>,
    ) -> Self {
        Self {
            r,
            key: format!("{path} (\"{name}\")"),
            span,
            ok: true,
        }
    }

    /// Records a problem at the case's table.
    pub(super) fn bad(&mut self, message: impl Into<String>) {
        let span = self.span.clone();
        self.bad_at(span, message);
    }

    /// Records a problem at `span`, or at the case's table without one.
    pub(super) fn bad_at(&mut self, span: Option<Range<usize>>, message: impl Into<String>) {
        let span = span.or_else(|| self.span.clone());
        self.r.problem(span, &self.key, message.into());
        self.ok = false;
    }

    /// Whether no problem was recorded.
    pub(super) fn ok(&self) -> bool {
        self.ok
    }
}
