//! Durations in `summary.json` and other JSON output: whole milliseconds (`*_ms` fields).

use std::time::Duration;

/// `d` as whole milliseconds (saturating).
pub(super) fn ser_ms<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `d` as whole milliseconds, or null.
pub(super) fn ser_opt_ms<S: serde::Serializer>(
    d: &Option<Duration>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match d {
        Some(d) => ser_ms(d, s),
        None => s.serialize_none(),
    }
}
