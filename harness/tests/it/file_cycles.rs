//! No file cycles: no two files of a crate that `use` each other, in any crate of the workspace
//! (`scripts/file-cycles.py` over `crates/*/src` and `harness/src`, each its own tree).

use std::path::Path;
use std::process::Command;

#[test]
fn no_crate_has_a_file_cycle() {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = Command::new("python3")
        .arg(repo.join("scripts/file-cycles.py"))
        .current_dir(&repo)
        .output()
        .expect("python3 runs scripts/file-cycles.py");
    assert!(
        out.status.success(),
        "file cycles (fix them as the script shows):\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
