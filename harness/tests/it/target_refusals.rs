//! Targets set up from their own defaults under a CA made with the openssl CLI, that refuse
//! for a reason no case can grade (issue 26, findings 4, 7 and 12): a handshake refused before
//! client authentication at every version the client speaks and a verify depth too small for the harness's chain are one
//! diagnosis (exit 2), never rows; a stock HAProxy declared with `--target-stack` is graded
//! with the deviations known for HAProxy, and what is left comes as a deviations snippet.

use std::net::SocketAddr;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

use mtls_harness::peers::ChildGuard;
use serde_json::Value;

use super::support::harness_exe;
use super::target_pki::{free_addr, nginx_with, s_server, UserCa, READY, STRICT};

/// `mtls-harness CMD [FILE] --target addr` trusting the user's root for the server, with
/// `extra` options; output in `dir/out`.
fn harness(
    cmd: &str,
    file: Option<&Path>,
    dir: &Path,
    ca: &UserCa,
    addr: SocketAddr,
    extra: &[std::ffi::OsString],
) -> Output {
    let mut args: Vec<std::ffi::OsString> = vec![cmd.into()];
    args.extend(file.map(Into::into));
    let target = [
        ("--target", addr.to_string().into()),
        ("--target-ca", ca.root.clone().into_os_string()),
        ("--target-name", "localhost".into()),
        ("--out", dir.join("out").into_os_string()),
    ];
    for (option, value) in target {
        args.push(option.into());
        args.push(value);
    }
    args.push("--quiet".into());
    args.extend(extra.iter().cloned());
    Command::new(harness_exe()).args(args).output().unwrap()
}

/// A temporary directory, a user's CA in it (sub-CA without a path length) and a server
/// `start`ed under that CA.
fn with_server(
    start: fn(&Path, &UserCa) -> (ChildGuard, SocketAddr),
) -> (tempfile::TempDir, UserCa, ChildGuard, SocketAddr) {
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    let (server, addr) = start(dir.path(), &ca);
    (dir, ca, server, addr)
}

/// `mtls-harness conformance --target addr` issuing under the user's sub-CA, with `extra`.
fn conformance(dir: &Path, ca: &UserCa, addr: SocketAddr, extra: &[std::ffi::OsString]) -> Output {
    let mut args = ca.issuer_args();
    args.extend(extra.iter().cloned());
    harness("conformance", None, dir, ca, addr, &args)
}

/// A scenario of one bad-variant case (`expired`) with `tls`.
fn one_variant(dir: &Path, tls: &str) -> std::path::PathBuf {
    let path = dir.join("s.toml");
    std::fs::write(
        &path,
        format!(
            "version = 1\n[pki]\nidentities = 2\n[[case]]\nname = \"expired\"\nclient_cert = \"expired\"\ntls = {tls}\nload = {{ handshakes = 4, warmup = \"0s\", timeout = \"5s\" }}\n"
        ),
    )
    .unwrap();
    path
}

/// nginx with client authentication as its documentation writes it and no
/// `ssl_verify_depth`: the default 1 (one intermediate), where the harness's chain under the
/// user's sub-CA is leaf -> harness intermediate -> sub-CA -> root.
fn nginx_default_depth(dir: &Path, ca: &UserCa) -> (ChildGuard, SocketAddr) {
    let verify = format!(
        "ssl_verify_client on; ssl_client_certificate {};",
        ca.root.display()
    );
    nginx_with(dir, ca, &verify, "return 200 \"ok\\n\";")
}

/// Asserts that `out` is exit 2 and says each of `words`; returns what it printed.
fn assert_diagnosis(out: &Output, words: &[&str]) -> String {
    let report = text(out);
    assert_eq!(out.status.code(), Some(2), "{report}");
    for w in words {
        assert!(report.contains(w), "{w}: {report}");
    }
    report
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

#[test]
fn a_case_whose_tls_settings_are_refused_before_client_authentication_is_skipped_with_the_cause() {
    // A P-256 server certificate at TLS 1.2 and a client offering x25519 only: no shared
    // cipher (RFC 8422 5.1), refused before any CertificateRequest. A stock ClientHello
    // reaches client authentication: the case's own settings are the cause, it is skipped
    // with it, and a run that graded nothing else is exit 2.
    let (dir, ca, mut server, addr) = with_server(|d, ca| s_server(d, ca, STRICT));
    let scenario = one_variant(
        dir.path(),
        "{ versions = [\"1.2\"], groups = [\"x25519\"] }",
    );
    let out = harness("run", Some(&scenario), dir.path(), &ca, addr, &[]);
    let report = assert_diagnosis(
        &out,
        &[
            "SKIPPED expired: the target refused this case's TLS settings (TLS 1.2 with groups x25519) before client authentication with alert handshake_failure (40)",
            "a stock ClientHello (TLS 1.3/1.2) reached client authentication and negotiated TLS 1.3",
            "add \"secp256r1\" to the case's groups",
            "nothing was measured",
        ],
    );
    assert!(!report.contains("FAIL"), "{report}");
    server.stop(Duration::from_secs(2));
}

#[test]
fn a_target_no_stock_client_hello_reaches_is_a_diagnosis_not_rows() {
    // s_server speaking TLS 1.1 only: neither the case's ClientHello nor a stock one (TLS
    // 1.3/1.2) reaches client authentication. No case can be graded: one diagnosis, exit 2.
    let (dir, ca, mut server, addr) = with_server(|d, ca| {
        s_server(
            d,
            ca,
            &[STRICT, &["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"]].concat(),
        )
    });
    let scenario = one_variant(dir.path(), "{ versions = [\"1.3\"] }");
    let out = harness("run", Some(&scenario), dir.path(), &ca, addr, &[]);
    let report = assert_diagnosis(
        &out,
        &[
            "the target refused the handshake before client authentication",
            "the client offered TLS 1.3",
            "no case can be graded",
        ],
    );
    assert!(
        !report.contains("FAIL") && !report.contains("SKIPPED"),
        "{report}"
    );
    server.stop(Duration::from_secs(2));
}

#[test]
fn nginx_default_verify_depth_is_diagnosed_with_the_settings_that_fix_it() {
    let (dir, ca, mut server, addr) = with_server(nginx_default_depth);
    let scenario = one_variant(dir.path(), "{ versions = [\"1.3\"] }");
    let args = ca.issuer_args();
    let out = harness("run", Some(&scenario), dir.path(), &ca, addr, &args);
    assert_diagnosis(
        &out,
        &[
            "the server's verify depth is too small for the harness's chain (2 intermediates)",
            "accepted one with 1",
            "ssl_verify_depth (nginx)",
            ">= 2",
            "SSLVerifyDepth (Apache, which counts the anchor) >= 3",
        ],
    );
    server.stop(Duration::from_secs(2));
}

/// HAProxy as its documentation configures client authentication: `verify required` against
/// the user's root, nothing else.
fn stock_haproxy(dir: &Path, ca: &UserCa) -> (ChildGuard, SocketAddr) {
    let hp = dir.join("haproxy");
    std::fs::create_dir_all(&hp).unwrap();
    let mut crt = std::fs::read_to_string(&ca.server).unwrap();
    crt.push_str(&std::fs::read_to_string(&ca.server_key).unwrap());
    std::fs::write(hp.join("server.pem"), crt).unwrap();
    let addr = free_addr();
    let conf = format!(
        "global\n  log stderr format raw local0 info\ndefaults\n  mode http\n  timeout connect 5s\n  timeout client 30s\n  timeout server 30s\nfrontend mtls\n  bind {addr} ssl crt {} ca-file {} verify required\n  http-request return status 200 content-type text/plain string ok\n",
        hp.join("server.pem").display(),
        ca.root.display()
    );
    std::fs::write(hp.join("haproxy.cfg"), conf).unwrap();
    let mut cmd = Command::new("/usr/sbin/haproxy");
    cmd.arg("-db").arg("-f").arg(hp.join("haproxy.cfg"));
    let mut guard = ChildGuard::spawn(cmd, &dir.join("haproxy.log"), None).unwrap();
    guard.wait_for_connect(addr, READY).unwrap();
    (guard, addr)
}

fn conformance_json(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("out/conformance.json")).unwrap())
        .unwrap()
}

#[test]
fn a_stock_haproxy_declared_as_such_is_graded_with_haproxys_known_deviations() {
    let (dir, ca, mut server, addr) = with_server(stock_haproxy);
    let out = conformance(
        dir.path(),
        &ca,
        addr,
        &["--target-stack".into(), "haproxy".into()],
    );
    let report = text(&out);
    assert_eq!(out.status.code(), Some(0), "{report}");
    let json = conformance_json(dir.path());
    for (case, observed) in [
        ("b4-not-yet-valid", "bad_certificate"),
        ("b7-leaf-signature-invalid", "decrypt_error"),
    ] {
        let row = json["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["case"] == case)
            .unwrap();
        assert_eq!(row["grade"], "deviation", "{case}");
        assert_eq!(row["observed_class"], observed, "{case}");
        assert_eq!(row["peer"], format!("target {addr}"), "{case}");
        let why = row["known_deviation"].as_str().unwrap();
        assert!(
            why.starts_with("known for haproxy (haproxy): HAProxy verifies with OpenSSL"),
            "{why}"
        );
    }
    server.stop(Duration::from_secs(2));
}

#[test]
fn deviations_left_come_as_a_snippet_that_fits_the_target_on_any_port() {
    let (dir, ca, mut server, addr) = with_server(stock_haproxy);
    let first = conformance(dir.path(), &ca, addr, &[]);
    let report = text(&first);
    assert_eq!(first.status.code(), Some(1), "{report}");
    let stdout = String::from_utf8_lossy(&first.stdout);
    let snippet = &stdout[stdout.find("[[deviation]]").expect(&report)..];
    for case in ["b4-not-yet-valid", "b7-leaf-signature-invalid"] {
        assert!(
            snippet.contains(&format!("case = \"{case}\"\npeer = \"target\"")),
            "{snippet}"
        );
    }
    // Pasted as printed into a deviations file, on another port: a green run.
    server.stop(Duration::from_secs(2));
    let (mut server, addr) = stock_haproxy(&dir.path().join("again"), &ca);
    let devs = dir.path().join("deviations.toml");
    std::fs::write(&devs, snippet).unwrap();
    std::fs::remove_dir_all(dir.path().join("out")).unwrap();
    let second = conformance(dir.path(), &ca, addr, &["--deviations".into(), devs.into()]);
    assert_eq!(second.status.code(), Some(0), "{}", text(&second));
    server.stop(Duration::from_secs(2));
}

#[test]
fn conformance_names_the_stack_the_servers_header_says_and_stops_on_its_depth() {
    let (dir, ca, mut server, addr) = with_server(nginx_default_depth);
    let out = conformance(dir.path(), &ca, addr, &[]);
    let report = assert_diagnosis(
        &out,
        &["the server's verify depth is too small for the harness's chain (2 intermediates)"],
    );
    for words in [
        "the target answers with \"Server: nginx/",
        "likely nginx; give --target-stack nginx",
    ] {
        assert!(report.contains(words), "{words}: {report}");
    }
    server.stop(Duration::from_secs(2));
}
