//! Per-location client authentication (issue 26, finding 6): a stock Apache httpd (Debian's
//! apache2, mod_ssl) that asks for a client certificate only under `<Location "/secure">`
//! (`SSLVerifyClient require`, as its documentation writes it), trusting a CA made with the
//! openssl CLI. It asks after the handshake: at TLS 1.3 with a post-handshake
//! CertificateRequest (RFC 8446 4.6.2), at TLS 1.2 by renegotiating (a HelloRequest).
//! `conformance --target --target-path /secure` with the OpenSSL client grades it: the valid
//! credential accepted with the late request in the evidence, no certificate, an unknown CA
//! and an expired one refused with the alerts mod_ssl sends. The rustls client, which offers
//! neither, gets one diagnosis (exit 2) before any case, never rows or timeouts.

use std::net::SocketAddr;
use std::os::unix::fs::MetadataExt as _;
use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use mtls_harness::peers::ChildGuard;
use serde_json::Value;

use super::support::harness_exe;
use super::target_pki::{free_addr, UserCa, READY};

/// Apache with client authentication for `/secure` only, on 127.0.0.1, its files in
/// `dir/apache`.
fn apache_per_location(dir: &Path, ca: &UserCa) -> (ChildGuard, SocketAddr) {
    let root = dir.join("apache");
    std::fs::create_dir(&root).unwrap();
    let addr = free_addr();
    let q = |p: &Path| format!("\"{}\"", p.display());
    let modules = "/usr/lib/apache2/modules";
    // Started as root, the children drop to Debian's web server user (they read no file).
    let user = if std::fs::metadata(&root).unwrap().uid() == 0 {
        "User www-data\nGroup www-data\n"
    } else {
        ""
    };
    let conf = format!(
        "ServerRoot {r}\nServerName localhost\nDefaultRuntimeDir {r}\nPidFile {pid}\nErrorLog {log}\n\
         LogLevel warn ssl:info\n{user}\
         LoadModule mpm_event_module {modules}/mod_mpm_event.so\n\
         LoadModule authz_core_module {modules}/mod_authz_core.so\n\
         LoadModule rewrite_module {modules}/mod_rewrite.so\n\
         LoadModule ssl_module {modules}/mod_ssl.so\n\
         Listen {addr}\nDocumentRoot {r}\nErrorDocument 200 \"ok\"\nSSLSessionCache none\n\
         <VirtualHost {addr}>\n  SSLEngine on\n  SSLProtocol -all +TLSv1.2 +TLSv1.3\n\
           SSLCertificateFile {cert}\n  SSLCertificateKeyFile {key}\n\
           SSLCACertificateFile {ca}\n  SSLVerifyDepth 5\n\
           <Location \"/\">\n    Require all granted\n    RewriteEngine on\n    RewriteRule ^ - [R=200]\n  </Location>\n\
           <Location \"/secure\">\n    SSLVerifyClient require\n  </Location>\n</VirtualHost>\n",
        r = q(&root),
        pid = q(&root.join("httpd.pid")),
        log = q(&root.join("error.log")),
        cert = q(&ca.server),
        key = q(&ca.server_key),
        ca = q(&ca.root),
    );
    let conf_path = root.join("httpd.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let mut cmd = Command::new("/usr/sbin/apache2");
    cmd.arg("-DFOREGROUND").arg("-f").arg(&conf_path);
    let mut guard = ChildGuard::spawn(cmd, &dir.join("apache.log"), None).unwrap();
    guard.wait_for_connect(addr, READY).unwrap();
    (guard, addr)
}

/// The cases of one TLS version: the valid credential first and last, no certificate, an
/// unknown CA and an expired leaf, each driven by `client`.
fn scenario(dir: &Path, client: &str, tls12: bool) -> std::path::PathBuf {
    let (tls, cases): (&str, &[(&str, &str)]) = if tls12 {
        (
            r#"{ versions = ["1.2"], groups = ["x25519", "secp256r1"] }"#,
            &[
                ("sanity-tls12", "valid"),
                ("a2-no-cert-tls12", "none"),
                ("b1-unknown-ca", "unknown-ca"),
                ("b6-expired-tls12", "expired"),
            ],
        )
    } else {
        (
            r#"{ versions = ["1.3"], groups = ["x25519"] }"#,
            &[
                ("sanity-first", "valid"),
                ("a1-no-cert-tls13", "none"),
                ("b1-unknown-ca", "unknown-ca"),
                ("b3-expired", "expired"),
                ("sanity-last", "valid"),
            ],
        )
    };
    let mut text = format!(
        "version = 1\nname = \"per-location\"\n[pki]\nidentities = 2\n[defaults]\nclient = \"{client}\"\n\
         key = \"ecdsa-p256\"\ntls = {tls}\n\
         load = {{ concurrency = 2, handshakes = 4, warmup = \"0s\", timeout = \"5s\" }}\n"
    );
    for (name, cert) in cases {
        text.push_str(&format!(
            "[[case]]\nname = \"{name}\"\nclient_cert = \"{cert}\"\n"
        ));
    }
    let path = dir.join(format!("{client}-{}.toml", if tls12 { 12 } else { 13 }));
    std::fs::write(&path, text).unwrap();
    path
}

/// `mtls-harness conformance FILE --target addr --target-path /secure` issuing under the
/// user's sub-CA; output in `dir/out`.
fn conformance(dir: &Path, ca: &UserCa, addr: SocketAddr, file: &Path) -> Output {
    let mut cmd = Command::new(harness_exe());
    cmd.arg("conformance")
        .arg(file)
        .arg("--target")
        .arg(addr.to_string())
        .arg("--target-ca")
        .arg(&ca.root)
        .args(["--target-name", "localhost", "--target-path", "/secure"])
        .arg("--out")
        .arg(dir.join("out"))
        .arg("--quiet")
        .args(ca.issuer_args());
    cmd.output().unwrap()
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The graded rows of `dir/out`, by case.
fn rows(dir: &Path) -> Vec<Value> {
    let json: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("out/conformance.json")).unwrap())
            .unwrap();
    json["rows"].as_array().unwrap().clone()
}

/// Grades Apache per-location at one version with the OpenSSL client and checks every row:
/// `late` is the evidence field the late request is counted in, `alerts` the refusals.
fn graded_with_the_openssl_client(tls12: bool, late: &str, alerts: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    let (mut server, addr) = apache_per_location(dir.path(), &ca);
    let file = scenario(dir.path(), "openssl", tls12);
    let out = conformance(dir.path(), &ca, addr, &file);
    let report = text(&out);
    assert_eq!(out.status.code(), Some(0), "{report}");
    // The cases of the suite this scenario does not run are skipped rows; the rest graded.
    let rows: Vec<Value> = rows(dir.path())
        .into_iter()
        .filter(|r| r["grade"] != "skipped")
        .collect();
    assert_eq!(rows.len(), alerts.len(), "{report}");
    for (case, class) in alerts {
        let row = rows.iter().find(|r| r["case"] == *case).unwrap();
        assert_eq!(row["grade"], "pass", "{case}: {row}");
        assert_eq!(row["observed_class"], *class, "{case}: {row}");
        // Every attempt was asked after the handshake, never during it.
        let e = &row["evidence"];
        assert_eq!(e[late], 4, "{case}: {e}");
        assert_eq!(e["cert_requested"], 4, "{case}: {e}");
        let observed = row["observed"].as_str().unwrap();
        assert!(observed.contains("asked after the handshake"), "{observed}");
        if *class != "accepted" {
            assert_eq!(e["refused_after_certificate"], 4, "{case}: {e}");
        }
    }
    server.stop(Duration::from_secs(2));
}

#[test]
fn tls13_post_handshake_authentication_is_graded_with_the_openssl_client() {
    graded_with_the_openssl_client(
        false,
        "post_handshake_cert_requested",
        &[
            ("sanity-first", "accepted"),
            // RFC 8446 4.4.2.4: certificate_required for an empty Certificate, also after
            // the handshake (4.6.2: the same rules as in the handshake).
            ("a1-no-cert-tls13", "cert_required"),
            ("b1-unknown-ca", "unknown_ca"),
            ("b3-expired", "cert_expired"),
            ("sanity-last", "accepted"),
        ],
    );
}

#[test]
fn tls12_renegotiation_is_graded_with_the_openssl_client() {
    graded_with_the_openssl_client(
        true,
        "renegotiation_requested",
        &[
            ("sanity-tls12", "accepted"),
            // RFC 5246 7.4.6: handshake_failure for a missing certificate.
            ("a2-no-cert-tls12", "handshake_failure"),
            ("b1-unknown-ca", "unknown_ca"),
            ("b6-expired-tls12", "cert_expired"),
        ],
    );
}

#[test]
fn the_rustls_client_gets_a_diagnosis_before_any_case_not_rows_or_timeouts() {
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    let (mut server, addr) = apache_per_location(dir.path(), &ca);
    for (tls12, how) in [
        (false, "a TLS 1.3 CertificateRequest after its handshake"),
        (true, "a TLS 1.2 HelloRequest"),
    ] {
        let file = scenario(dir.path(), "rustls", tls12);
        let started = Instant::now();
        let out = conformance(dir.path(), &ca, addr, &file);
        let report = text(&out);
        assert_eq!(out.status.code(), Some(2), "{report}");
        for words in [
            "the server asks for a client certificate only after the handshake for /secure",
            how,
            "the rustls client offers neither post-handshake authentication nor renegotiation",
            "client = \"openssl\"",
        ] {
            assert!(report.contains(words), "{words}: {report}");
        }
        assert!(!report.contains("FAIL"), "{report}");
        // One probe, not a timeout per attempt.
        assert!(started.elapsed() < Duration::from_secs(5), "{report}");
    }
    server.stop(Duration::from_secs(2));
}

#[test]
fn a_target_path_that_is_no_absolute_visible_ascii_path_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    for bad in ["secure", "/a b", "/caf\u{e9}"] {
        let out = Command::new(harness_exe())
            .args(["conformance", "--target", "127.0.0.1:1", "--target-ca"])
            .arg(&ca.root)
            .args(["--target-path", bad, "--quiet", "--out"])
            .arg(dir.path().join("out"))
            .output()
            .unwrap();
        let report = text(&out);
        assert_eq!(out.status.code(), Some(2), "{bad}: {report}");
        assert!(report.contains("--target-path"), "{bad}: {report}");
    }
}
