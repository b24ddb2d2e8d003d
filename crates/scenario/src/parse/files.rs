//! Files a scenario names (`[pki] issuer`, a case's own `client_cert`): an inline table of
//! `cert`, `key` and optionally `chain` paths, relative to the scenario file, each read and
//! checked now so a missing or garbled file is a problem with its file, key and line.

use std::path::PathBuf;

use toml_edit::Item;

use super::reader::{join, Reader};

/// The keys of such a table.
const PEM_KEYS: &[&str] = &["cert", "key", "chain"];

/// The paths of a `{ cert = ..., key = ..., chain = ... }` table, resolved against the
/// scenario's directory, and the span of each key (for problems found when loading them).
struct PemPaths {
    pub cert: (PathBuf, Option<std::ops::Range<usize>>),
    pub key: (PathBuf, Option<std::ops::Range<usize>>),
    pub chain: Option<(PathBuf, Option<std::ops::Range<usize>>)>,
}

/// Reads the table at `item` (key path `path`); `cert` and `key` are required.
fn pem_paths(r: &mut Reader<'_>, item: &Item, path: &str) -> Option<PemPaths> {
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

/// Reads the table at `item` (key path `path`) and loads its files with `load`; a file `load`
/// refuses is a problem at the line of its own key (`path.cert`, `.key` or `.chain`).
pub(super) fn load_pem_files<T>(
    r: &mut Reader<'_>,
    item: &Item,
    path: &str,
    load: impl FnOnce(
        &std::path::Path,
        &std::path::Path,
        Option<&std::path::Path>,
    ) -> Result<T, crate::pki::PemFilesError>,
) -> Option<T> {
    use crate::pki::PemPart;
    let paths = pem_paths(r, item, path)?;
    let chain = paths.chain.as_ref().map(|(p, _)| p.as_path());
    match load(&paths.cert.0, &paths.key.0, chain) {
        Ok(loaded) => Some(loaded),
        Err(e) => {
            let (key, span) = match e.which {
                PemPart::Cert => ("cert", paths.cert.1.clone()),
                PemPart::Key => ("key", paths.key.1.clone()),
                PemPart::Chain => ("chain", paths.chain.as_ref().and_then(|(_, s)| s.clone())),
            };
            r.problem(span, &join(path, key), e.to_string());
            None
        }
    }
}
