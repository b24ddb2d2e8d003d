//! Small bounds of the command line (issue 32, items 7 and 9): `--interval` is bounded (and
//! says so), also per case so its interval log stays readable; `-q` prints no table; an error
//! text does not widen the table; `compare`'s size-limit error says only what is wrong.

use std::path::Path;
use std::process::{Command, Output};

use super::support::harness_exe;

fn harness(dir: &Path, args: &[&str]) -> Output {
    Command::new(harness_exe())
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

const SCENARIO: &str = "version = 1\n[pki]\nidentities = 1\n[defaults]\nload = { concurrency = 1, handshakes = 4, warmup = \"0s\" }\n[[case]]\nname = \"valid\"\n[[case]]\nname = \"unmet\"\nclient_cert = \"expired\"\nexpect = \"accept\"\n";

#[test]
fn the_interval_is_bounded_and_the_error_says_the_bound() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("s.toml"), SCENARIO).unwrap();
    let out = harness(d, &["run", "s.toml", "--interval", "1us"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out).contains("from 10ms to 1h"), "{}", text(&out));
    // 24 h at 10 ms would be 8.64 million intervals in one case's log.
    let out = harness(
        d,
        &["run", "s.toml", "--interval", "10ms", "--duration", "24h"],
    );
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(
        t.contains("at most 100000 per case") && t.contains("864ms"),
        "{t}"
    );
    assert!(!d.join("reports/runs").exists(), "refused before running");
}

#[test]
fn quiet_prints_no_table_and_errors_do_not_widen_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("s.toml"), SCENARIO).unwrap();
    let out = harness(d, &["run", "s.toml", "--out", "q", "-q"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(
        !stdout
            .lines()
            .any(|l| l.starts_with("case ") || l.starts_with("scenario ")),
        "a table with -q: {stdout}"
    );
    assert!(stdout.contains("NOT MET unmet"), "{stdout}");

    // A case that cannot run (its server program does not exist): a long error.
    let long = "version = 1\n[pki]\nidentities = 1\n[[case]]\nname = \"bad\"\nload = { concurrency = 1, handshakes = 2, warmup = \"0s\" }\nserver = { command = [\"/nonexistent/a-server-program-with-a-rather-long-name-to-make-the-error-text-long\", \"{addr}\"] }\n";
    std::fs::write(d.join("long.toml"), long).unwrap();
    let out = harness(d, &["run", "long.toml", "--out", "l"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let table: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("case"))
        .take(2)
        .collect();
    assert_eq!(table.len(), 2, "{stdout}");
    assert!(table[1].contains("error"), "{stdout}");
    // The other columns take about 120; the whole error (about 130 characters) would make
    // it 240 wide.
    assert!(
        table.iter().all(|l| l.chars().count() <= 180),
        "the error widened the table:\n{stdout}"
    );
}

#[test]
fn compare_names_an_oversized_summary_without_doubting_the_directory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::create_dir(d.join("big")).unwrap();
    let f = std::fs::File::create(d.join("big/summary.json")).unwrap();
    f.set_len((64 << 20) + 1).unwrap();
    let out = harness(d, &["compare", "big", "big"]);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("larger than the limit"), "{t}");
    assert!(!t.contains("neither a run directory"), "{t}");
}
