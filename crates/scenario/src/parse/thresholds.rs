//! `thresholds = { p50_ms = 5, p99_ms = 20, ... }` of a case or `[defaults]`: each limit a
//! number of its own range, unknown keys reported with the nearest valid one.

use toml_edit::TableLike;

use super::reader::{join, Reader};
use crate::scenario::model::Thresholds;

/// Reads the `thresholds` table `t` (at key path `path`).
pub(super) fn read(r: &mut Reader<'_>, t: &dyn TableLike, path: &str) -> Thresholds {
    r.check_keys(t, path, Thresholds::KEYS);
    let mut out = Thresholds::default();
    for key in Thresholds::KEYS {
        let Some(item) = t.get(key) else { continue };
        let kp = join(path, key);
        let Some(v) = r.value(item, &kp, "a number") else {
            continue;
        };
        let n = v.as_float().or_else(|| v.as_integer().map(|i| i as f64));
        let share = *key == "max_error_rate";
        let valid = |n: f64| {
            n.is_finite()
                && if share {
                    (0.0..=1.0).contains(&n)
                } else {
                    n > 0.0 && n <= 1e12
                }
        };
        match n {
            Some(n) if valid(n) => {
                out.put(key, n);
            }
            _ => {
                let what = if share {
                    "a share from 0 to 1 (0.001 is 0.1%)"
                } else {
                    "a number above 0"
                };
                let found = match n {
                    Some(n) => n.to_string(),
                    None => v.type_name().to_string(),
                };
                r.problem(v.span(), &kp, format!("expected {what}, found {found}"));
            }
        }
    }
    out
}
