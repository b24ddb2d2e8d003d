//! Naming the run directory: `<runs_root>/<scenario>-<UTC time>`, with `-2`, `-3`, ... when
//! that name is taken. Kept apart so the naming rule is found by its name.

use std::path::{Path, PathBuf};

use time::OffsetDateTime;

use crate::report;

/// The default run directory of `scenario` under `root`: a name not yet taken.
pub(super) fn default_dir(root: &Path, scenario: &str) -> PathBuf {
    let now = OffsetDateTime::now_utc();
    let stamp = format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let base = root.join(format!("{}-{stamp}", report::file_safe(scenario)));
    let mut dir = base.clone();
    let mut n = 1;
    while dir.exists() {
        n += 1;
        dir = PathBuf::from(format!("{}-{n}", base.display()));
    }
    dir
}
