//! Files and secrets (issue 13): nothing the harness writes in a run directory goes through a
//! planted symlink, session files are private, paths in nginx.conf cannot inject directives,
//! `report` reads only bounded files inside the run directory, and bad PEM contents are refused
//! up front with the option and the file named.

use std::os::unix::fs::{symlink, PermissionsExt};
use std::path::Path;
use std::process::Command;

use mtls_harness::report::CaseSummary;

use super::support::{case, harness_exe, run_in, scenario};

fn error_of(c: &CaseSummary) -> String {
    c.error
        .clone()
        .unwrap_or_else(|| panic!("{}: no error ({})", c.name, c.verdict))
}

#[test]
fn planted_symlinks_in_the_run_directory_are_refused_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("run");
    let peers = out.join("peers");
    std::fs::create_dir_all(&peers).unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    let victim_dir = dir.path().join("victim-dir");
    std::fs::create_dir(&victim_dir).unwrap();
    symlink(&victim, peers.join("log-link-server.log")).unwrap();
    symlink(&victim_dir, peers.join("dir-link-client")).unwrap();
    symlink(&victim_dir, peers.join("nginx-link-nginx")).unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 2
[defaults]
tls = { versions = ["1.3"], resumption = "tickets", tickets = 1 }
load = { concurrency = 1, handshakes = 2, warmup = "0s", timeout = "5s" }
expect = "accept"
[[case]]
name = "log-link"
[[case]]
name = "dir-link"
client = "s_client"
[[case]]
name = "nginx-link"
server = "nginx"
"#,
    );
    // A `peers/` no run listed as its own (issue 32): the run is refused, naming it, before
    // it writes anything there.
    let mut opts = mtls_harness::runner::RunOptions::new(harness_exe());
    opts.out_dir = Some(out.clone());
    opts.quiet = true;
    let e = mtls_harness::runner::run(&s, &opts)
        .unwrap_err()
        .to_string();
    assert!(e.contains(": peers ") && e.contains("in use"), "{e}");
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    assert_eq!(std::fs::read_dir(&victim_dir).unwrap().count(), 0);
}

#[test]
fn session_files_hold_their_secret_with_mode_0600() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 2
[defaults]
tls = { versions = ["1.3"], resumption = "tickets", tickets = 2, resume_fraction = 1.0 }
load = { concurrency = 1, handshakes = 4, warmup = "0s", timeout = "5s" }
expect = "accept"
[[case]]
name = "s-client"
client = "s_client"
[[case]]
name = "node"
client = "node"
"#,
    );
    let run = run_in(&s, dir.path());
    for name in ["s-client", "node"] {
        let c = case(&run.summary, name);
        assert!(c.met, "{name}: {}", c.verdict);
        let file = dir.path().join(format!("peers/{name}-client/session.pem"));
        let meta = std::fs::symlink_metadata(&file).unwrap();
        assert!(meta.file_type().is_file(), "{}", file.display());
        assert!(meta.len() > 0, "{name}: no session was saved");
        assert_eq!(meta.permissions().mode() & 0o777, 0o600, "{name}");
        let work = std::fs::metadata(file.parent().unwrap()).unwrap();
        assert_eq!(work.permissions().mode() & 0o777, 0o700, "{name}");
    }
}

const NGINX_ACCEPT: &str = r#"
version = 1
[pki]
identities = 2
[defaults]
load = { concurrency = 1, handshakes = 2, warmup = "0s", timeout = "5s" }
expect = "accept"
[[case]]
name = "nginx"
server = "nginx"
"#;

#[test]
fn nginx_runs_from_an_out_directory_with_spaces_semicolons_and_quotes() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out dir; error_log /tmp/x; \"q\\ {");
    let run = run_in(&scenario(NGINX_ACCEPT), &out);
    let c = case(&run.summary, "nginx");
    assert!(c.met, "{:?} {}", c.error, c.verdict);
    let conf = std::fs::read_to_string(out.join("peers/nginx-nginx/nginx.conf")).unwrap();
    // One error_log directive, its path quoted whole: nothing was injected.
    let error_logs: Vec<&str> = conf
        .lines()
        .filter(|l| l.trim_start().starts_with("error_log"))
        .collect();
    assert_eq!(error_logs.len(), 1, "{conf}");
    assert!(error_logs[0].starts_with("error_log \""), "{conf}");
    assert!(conf.contains("; error_log /tmp/x; \\\"q\\\\ {"), "{conf}");
}

#[test]
fn a_newline_in_the_out_directory_is_refused_for_nginx() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out\nerror_log /tmp/injected;");
    let run = run_in(&scenario(NGINX_ACCEPT), &out);
    let e = error_of(case(&run.summary, "nginx"));
    assert!(
        e.contains("nginx.conf cannot hold this path") && e.contains("control character"),
        "{e}"
    );
    assert!(e.contains(&out.display().to_string()), "{e}");
    assert!(!out.join("peers/nginx-nginx/nginx.conf").exists());
}

fn summary_naming(dir: &Path, hlog: &str) {
    let summary = serde_json::json!({
        "scenario": { "name": "hostile" },
        "cases": [{ "name": "a", "expect": "accept", "met": true, "hlog_file": hlog }],
    });
    std::fs::write(dir.join("summary.json"), summary.to_string()).unwrap();
}

fn report(dir: &Path) -> (Option<i32>, String) {
    let out = Command::new(harness_exe())
        .arg("report")
        .arg(dir)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn report_reads_only_bounded_files_inside_the_run_directory() {
    let dir = tempfile::tempdir().unwrap();
    let run = dir.path().join("run");
    std::fs::create_dir(&run).unwrap();
    symlink("/dev/zero", run.join("zero.hlog")).unwrap();
    symlink("/etc/passwd", run.join("passwd.hlog")).unwrap();
    for (hlog, says) in [
        ("/etc/passwd", "no absolute path"),
        ("/dev/zero", "no absolute path"),
        ("../run/x.hlog", "no '..'"),
        ("zero.hlog", "leads out of the run directory"),
        ("passwd.hlog", "leads out of the run directory"),
    ] {
        summary_naming(&run, hlog);
        let e = mtls_harness::report::load_run(&run)
            .unwrap_err()
            .to_string();
        assert!(e.contains(hlog) && e.contains(says), "{hlog}: {e}");
        let (code, stderr) = report(&run);
        assert_eq!(code, Some(2), "{hlog}: {stderr}");
        assert!(stderr.contains(hlog), "{hlog}: {stderr}");
    }
    // Inside, but larger than the limit (a sparse file: nothing is written).
    let big = std::fs::File::create(run.join("big.hlog")).unwrap();
    // report::saved's limit for an interval log is 256 MiB.
    big.set_len((256 << 20) + 1).unwrap();
    summary_naming(&run, "big.hlog");
    let e = mtls_harness::report::load_run(&run)
        .unwrap_err()
        .to_string();
    assert!(e.contains("big.hlog") && e.contains("limit of"), "{e}");
    // summary.json itself is bounded, and must not lead out either.
    std::fs::remove_file(run.join("summary.json")).unwrap();
    symlink("/dev/zero", run.join("summary.json")).unwrap();
    let (code, stderr) = report(&run);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("summary.json"), "{stderr}");
}

#[test]
fn garbage_inside_pem_armour_is_refused_naming_option_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.pem");
    std::fs::write(
        &bad,
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGUgYXQgYWxs\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let bad_key = dir.path().join("bad.key");
    std::fs::write(
        &bad_key,
        "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5IGF0IGFsbA==\n-----END PRIVATE KEY-----\n",
    )
    .unwrap();
    let pki = dir.path().join("pki");
    let ok = Command::new(harness_exe())
        .args([
            "pki",
            "generate",
            "--identities",
            "1",
            "--seed",
            "3",
            "--out",
        ])
        .arg(&pki)
        .status()
        .unwrap();
    assert!(ok.success());
    // Nothing needs to listen: the options are refused before any case runs.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let conformance = |extra: &[&std::ffi::OsStr], out: &str| {
        let out_dir = dir.path().join(out);
        let o = Command::new(harness_exe())
            .args(["conformance", "--quiet", "--target", &addr])
            .args(extra)
            .arg("--out")
            .arg(&out_dir)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&o.stderr).into_owned();
        assert!(
            !out_dir.join("summary.json").exists(),
            "a case ran: {stderr}"
        );
        (o.status.code(), stderr)
    };
    let (code, stderr) = conformance(&["--target-ca".as_ref(), bad.as_os_str()], "a");
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--target-ca") && stderr.contains(&bad.display().to_string()),
        "{stderr}"
    );
    let root = pki.join("ca/root.crt");
    let cert = pki.join("clients/client-00000.crt");
    let (code, stderr) = conformance(
        &[
            "--target-ca".as_ref(),
            root.as_os_str(),
            "--client-cert".as_ref(),
            cert.as_os_str(),
            "--client-key".as_ref(),
            bad_key.as_os_str(),
        ],
        "b",
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--client-key") && stderr.contains(&bad_key.display().to_string()),
        "{stderr}"
    );
    // A key that parses but is not the certificate's.
    let other = pki.join("server/server.key");
    let (code, stderr) = conformance(
        &[
            "--target-ca".as_ref(),
            root.as_os_str(),
            "--client-cert".as_ref(),
            cert.as_os_str(),
            "--client-key".as_ref(),
            other.as_os_str(),
        ],
        "c",
    );
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("--client-key") && stderr.contains("does not belong"),
        "{stderr}"
    );
}

#[test]
fn serve_refuses_garbage_inside_pem_armour_naming_option_and_file() {
    let dir = tempfile::tempdir().unwrap();
    let pki = dir.path().join("pki");
    let generated = Command::new(harness_exe())
        .args(["pki", "generate", "--out"])
        .arg(&pki)
        .output()
        .unwrap();
    assert!(generated.status.success(), "{generated:?}");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\nZ2FyYmFnZSBpbnNpZGUgdmFsaWQgYXJtb3Vy\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let server_key = pki.join("server/server.key");
    let root = pki.join("ca/root.crt");
    assert!(
        server_key.exists() && root.exists(),
        "fixture layout changed"
    );
    for (option, args) in [
        (
            "--cert",
            vec![
                "--cert",
                garbage.to_str().unwrap(),
                "--key",
                server_key.to_str().unwrap(),
            ],
        ),
        (
            "--client-ca",
            vec![
                "--cert",
                pki.join("server/server.crt").to_str().unwrap(),
                "--key",
                server_key.to_str().unwrap(),
                "--client-ca",
                garbage.to_str().unwrap(),
            ],
        ),
    ] {
        let out = Command::new(harness_exe())
            .arg("serve")
            .args(&args)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{option}: started anyway");
        assert!(
            stderr.contains(option) && stderr.contains("garbage.pem"),
            "{option}: {stderr}"
        );
    }
}
