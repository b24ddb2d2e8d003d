//! Files a scenario names (`[pki] issuer`, a case's own `client_cert`): an inline table of
//! `cert`, `key` and optionally `chain` paths, relative to the scenario file, each read and
//! checked now so a missing or garbled file is a problem with its file, key and line.

use std::path::PathBuf;

use toml_edit::Item;

use super::reader::{join, Reader};

/// The keys of such a table.
pub(super) const PEM_KEYS: &[&str] = &["cert", "key", "chain"];

/// The paths of a `{ cert = ..., key = ..., chain = ... }` table, resolved against the
/// scenario's directory, and the span of each key (for problems found when loading them).
pub(super) struct PemPaths {
    pub cert: (PathBuf, Option<std::ops::Range<usize>>),
    pub key: (PathBuf, Option<std::ops::Range<usize>>),
    pub chain: Option<(PathBuf, Option<std::ops::Range<usize>>)>,
}

/// Reads the table at `item` (key path `path`); `cert` and `key` are required.
pub(super) fn pem_paths(r: &mut Reader<'_>, item: &Item, path: &str) -> Option<PemPaths> {
    let t = r.table(item, path)?;
    r.check_keys(t, path, PEM_KEYS);
    let dir = r.file().parent().map(PathBuf::from).unwrap_or_default();
    let mut one = |key: &str,
                   required: bool|
     -> Option<(PathBuf, Option<std::ops::Range<usize>>)> {
        let full = join(path, key);
        match t.get(key) {
            Some(i) => {
                let text = r.string(i, &full)?;
                if text.is_empty() {
                    r.problem(i.span(), &full, "expected a path to a PEM file, found \"\"");
                    return None;
                }
                Some((dir.join(text), i.span()))
            }
            None => {
                if required {
                    r.problem(
                        item.span(),
                        path,
                        format!("expected a \"{key}\" path (a PEM file, relative to the scenario)"),
                    );
                }
                None
            }
        }
    };
    let cert = one("cert", true);
    let key = one("key", true);
    let chain = one("chain", false);
    Some(PemPaths {
        cert: cert?,
        key: key?,
        chain,
    })
}
