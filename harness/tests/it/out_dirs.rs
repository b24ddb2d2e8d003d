//! Output directories (issue 32, items 1-3): a reused `--out` loses only what the previous
//! run's `run-files.json` lists, and the run is refused (exit 2, the entries named) when
//! anything unlisted is in the way; no write goes through a link (`--out` itself, or `peers`,
//! `plots`, `pki` inside it); an existing `--out` keeps its mode, private material goes into
//! 0700 directories the run creates.

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::{Command, Output};

use super::support::harness_exe;

const SCENARIO: &str = "version = 1\n[pki]\nidentities = 1\n[[case]]\nname = \"valid\"\nload = { concurrency = 1, handshakes = 4, warmup = \"0s\" }\n";

/// `run s.toml --out OUT -q` in `dir`.
fn run(dir: &Path, out: &str) -> Output {
    std::fs::write(dir.join("s.toml"), SCENARIO).unwrap();
    Command::new(harness_exe())
        .args(["run", "s.toml", "--out", out, "-q"])
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn mode(path: &Path) -> u32 {
    std::fs::symlink_metadata(path)
        .unwrap()
        .permissions()
        .mode()
        & 0o7777
}

#[test]
fn a_reused_out_keeps_foreign_files_and_refuses_when_they_are_in_the_way() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("r")).unwrap();
    std::fs::write(d.join("r/notes.txt"), "mine").unwrap();
    let out = run(d, "r");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    // Rerun: the previous run's files are replaced, the foreign one stays.
    let out = run(d, "r");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(d.join("r/notes.txt")).unwrap(),
        "mine"
    );

    // Foreign files where the run writes: refused, named, nothing removed.
    std::fs::write(d.join("r/pki/mine.pem"), "mine").unwrap();
    std::fs::write(d.join("r/report.pdf"), "mine").unwrap();
    std::fs::write(d.join("r/foreign.hgrm"), "mine").unwrap();
    let out = run(d, "r");
    let e = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{e}");
    for name in ["pki/mine.pem", "report.pdf", "foreign.hgrm"] {
        assert!(e.contains(name), "{name}: {e}");
        assert_eq!(
            std::fs::read_to_string(d.join("r").join(name)).unwrap(),
            "mine"
        );
    }
    assert!(
        d.join("r/summary.json").is_file(),
        "nothing of the run was removed"
    );
}

#[test]
fn no_write_goes_through_a_link_in_or_at_out() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let elsewhere = d.join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    std::fs::write(elsewhere.join("summary.json"), "not a run's").unwrap();

    // --out itself a link: refused, nothing written or removed in its target.
    symlink(&elsewhere, d.join("link")).unwrap();
    let out = run(d, "link");
    let e = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{e}");
    assert!(e.contains("symbolic link"), "{e}");
    let names: Vec<_> = std::fs::read_dir(&elsewhere).unwrap().collect();
    assert_eq!(names.len(), 1);

    // peers, plots or pki planted as links in a previous run's directory: refused.
    for part in ["peers", "plots", "pki"] {
        let r = format!("r-{part}");
        let out = run(d, &r);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        std::fs::remove_dir_all(d.join(&r).join(part)).unwrap();
        symlink(&elsewhere, d.join(&r).join(part)).unwrap();
        let out = run(d, &r);
        let e = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{part}: {e}");
        assert!(e.contains(part), "{part}: {e}");
        assert_eq!(
            std::fs::read_dir(&elsewhere).unwrap().count(),
            1,
            "{part}: written through"
        );
    }
    // A fresh directory with a planted link where a run writes: refused too.
    std::fs::create_dir(d.join("fresh")).unwrap();
    symlink(&elsewhere, d.join("fresh/plots")).unwrap();
    let out = run(d, "fresh");
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(std::fs::read_dir(&elsewhere).unwrap().count(), 1);
}

#[test]
fn an_existing_out_keeps_its_mode_and_keys_are_in_0700_directories() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let shared = d.join("shared");
    std::fs::create_dir(&shared).unwrap();
    std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).unwrap();
    let out = run(d, "shared");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        mode(&shared),
        0o1777,
        "the sticky shared directory stays as it was"
    );
    assert_eq!(mode(&shared.join("pki")), 0o700);
    assert_eq!(mode(&shared.join("peers")), 0o700);
    // A directory the run creates is its own: owner only.
    let out = run(d, "new/run");
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(mode(&d.join("new/run")), 0o700);
}
