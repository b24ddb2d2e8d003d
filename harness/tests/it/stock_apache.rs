//! A stock Apache httpd 2.4 (Debian's apache2, mod_ssl) as a vendor sets it up from its own
//! documentation, trusting a CA made with the openssl CLI, graded in target mode: the
//! directives of Debian's `default-ssl.conf` for client authentication (`SSLVerifyClient
//! require`, `SSLVerifyDepth 10`, `SSLCACertificateFile`), a document root served from a file,
//! CRLs from `pki target-crl` (`SSLCARevocationFile`, `SSLCARevocationCheck chain` or `leaf`)
//! and OCSP with nothing but `SSLOCSPEnable leaf`, the responder taken from each client
//! certificate's AIA (the harness's). A correct server gets no fail row and every revocation
//! case it can check is graded (not skipped) at TLS 1.3. Against a TLS 1.2-only Apache
//! (`SSLProtocol TLSv1.2`, an ECDSA server certificate) the suite's TLS 1.2 cases are graded
//! and every case pinned to TLS 1.3 is skipped with the cause: the run is not stopped, and no
//! case refused for its version is graded; with `--tls-version 1.2` the whole suite runs at
//! TLS 1.2 and every CRL and OCSP case is graded there too.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use mtls_harness::peers::ChildGuard;

use super::target_pki::{conformance_with, free_addr, mint_secret, target_crl, Run, UserCa, READY};

/// Debian's Apache binary and modules, which `scripts/install-peers.sh` installs.
const APACHE: &str = "/usr/sbin/apache2";
const MODULES: &str = "/usr/lib/apache2/modules";

/// Starts Apache in the foreground with the user's server certificate and `ssl` (the
/// virtual host's client-authentication and revocation directives), serving `index.html`
/// from a document root. Every file it writes is under `dir/apache`.
fn stock_apache(dir: &Path, ca: &UserCa, ssl: &str) -> (ChildGuard, SocketAddr) {
    assert!(
        Path::new(APACHE).exists(),
        "apache2 is not installed: run scripts/install-peers.sh"
    );
    let ap = dir.join("apache");
    let docs = ap.join("htdocs");
    std::fs::create_dir_all(&docs).unwrap();
    std::fs::write(docs.join("index.html"), "ok\n").unwrap();
    // Started as root, Apache's children serve as www-data: they must reach the document
    // root (and only that: the keys are read by the parent before it drops privileges).
    // The directory is ours: its owner is the user Apache starts as.
    let as_root = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&ap).unwrap()) == 0;
    if as_root {
        use std::os::unix::fs::PermissionsExt as _;
        for d in [dir, ap.as_path(), docs.as_path()] {
            std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o711)).unwrap();
        }
        std::fs::set_permissions(
            docs.join("index.html"),
            std::fs::Permissions::from_mode(0o644),
        )
        .unwrap();
    }
    let addr = free_addr();
    let d = ap.display();
    let user = if as_root {
        "User www-data\nGroup www-data\n"
    } else {
        ""
    };
    let conf = format!(
        "ServerRoot {d}
ServerName localhost
DefaultRuntimeDir {d}
PidFile {d}/httpd.pid
ErrorLog {d}/error.log
LogLevel warn ssl:info
{user}LoadModule mpm_event_module {MODULES}/mod_mpm_event.so
LoadModule authz_core_module {MODULES}/mod_authz_core.so
LoadModule dir_module {MODULES}/mod_dir.so
LoadModule mime_module {MODULES}/mod_mime.so
LoadModule socache_shmcb_module {MODULES}/mod_socache_shmcb.so
LoadModule ssl_module {MODULES}/mod_ssl.so
TypesConfig /dev/null
Listen {addr}
SSLSessionCache shmcb:{d}/ssl_scache(512000)
DocumentRoot {d}/htdocs
<Directory {d}/htdocs>
  Require all granted
</Directory>
<VirtualHost {addr}>
  SSLEngine on
  SSLCertificateFile {server}
  SSLCertificateKeyFile {key}
  SSLCACertificateFile {root}
  SSLVerifyClient require
  SSLVerifyDepth 10
{ssl}
</VirtualHost>
",
        server = ca.server.display(),
        key = ca.server_key.display(),
        root = ca.root.display(),
    );
    let conf_path = ap.join("httpd.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let mut cmd = Command::new(APACHE);
    cmd.arg("-DFOREGROUND").arg("-f").arg(&conf_path);
    let mut guard = ChildGuard::spawn(cmd, &dir.join("apache.log"), None).unwrap();
    guard.wait_for_connect(addr, READY).unwrap_or_else(|e| {
        panic!(
            "apache did not start: {e}\n{}",
            std::fs::read_to_string(ap.join("error.log")).unwrap_or_default()
        )
    });
    (guard, addr)
}

/// The CRLs a chain-checking server needs: the harness's (from `pki target-crl` under the
/// user's sub-CA) and the user's root's for that sub-CA, in one file.
fn all_crls(dir: &Path, ca: &UserCa, crl: &Path) -> PathBuf {
    let mut all = std::fs::read(crl).unwrap();
    all.extend(std::fs::read(ca.root_crl()).unwrap());
    let path = dir.join("all.crl");
    std::fs::write(&path, all).unwrap();
    path
}

/// A correct stock server: exit 0, no fail or error row, the `sanity` handshakes passed, the
/// OpenSSL deviations Apache is known for (through `--target-stack apache`) and nothing else,
/// at least `graded` cases graded.
fn assert_correct(run: &Run, sanity: &[&str], graded: usize) {
    let report = run.report();
    assert!(run.failures().is_empty(), "{:?}\n{report}", run.failures());
    for case in sanity {
        assert_eq!(run.grade(case), "pass", "{report}");
    }
    for row in run.rows() {
        if row["grade"] == "deviation" {
            let why = row["known_deviation"].as_str().unwrap_or_default();
            assert!(why.starts_with("known for apache"), "{row}\n{report}");
        }
    }
    assert!(run.graded().len() >= graded, "{report}");
    assert_eq!(run.exit_code(), Some(0), "{report}");
}

/// The CRL cases graded as passes, with the revoked leaf refused as revoked.
fn assert_crl_graded(run: &Run) {
    let report = run.report();
    assert_eq!(run.grade("c1-valid-with-crl"), "pass", "{report}");
    assert!(run.grade("c2-revoked").starts_with("pass"), "{report}");
    assert_eq!(run.row("c2-revoked")["observed_class"], "cert_revoked");
}

/// `conformance` against a stock Apache checking CRLs with `check` at `protocol`, with
/// `extra` options.
fn crl_run(check: &str, protocol: &str, seed: &str, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    let crl = target_crl(dir.path(), &ca, seed);
    let file = if check == "chain" {
        all_crls(dir.path(), &ca, &crl)
    } else {
        crl.clone()
    };
    let ssl = format!(
        "  SSLProtocol {protocol}\n  SSLCARevocationFile {}\n  SSLCARevocationCheck {check}",
        file.display()
    );
    let (mut server, addr) = stock_apache(dir.path(), &ca, &ssl);
    let run = conformance_with(
        dir.path(),
        &ca,
        addr,
        &[
            "--target-stack",
            "apache",
            "--seed",
            seed,
            "--target-revocation",
            "crl",
            "--mint-secret",
            mint_secret(&crl).to_str().unwrap(),
        ]
        .iter()
        .chain(extra)
        .copied()
        .collect::<Vec<_>>(),
    );
    server.stop(Duration::from_secs(2));
    run
}

const SANITY: [&str; 3] = ["sanity-first", "sanity-tls12", "sanity-last"];

#[test]
fn stock_apache_checking_the_chain_against_crls_at_tls13_has_no_fail_row() {
    let run = crl_run("chain", "all", "5151", &[]);
    assert_correct(&run, &SANITY, 20);
    assert_crl_graded(&run);
    assert_eq!(run.grade("d1-ocsp-good"), "skipped");
}

/// The cases of the suite that pin TLS 1.2, which a TLS 1.2-only server grades.
const TLS12_CASES: [&str; 4] = [
    "sanity-tls12",
    "a2-no-cert-tls12",
    "a5-cert-verify-invalid-tls12",
    "b6-expired-tls12",
];

#[test]
fn stock_apache_tls12_only_grades_the_tls12_cases_and_skips_the_tls13_ones_with_the_cause() {
    let run = crl_run("leaf", "TLSv1.2", "5152", &[]);
    let report = run.report();
    assert_correct(&run, &["sanity-tls12"], TLS12_CASES.len());
    for case in TLS12_CASES {
        assert!(run.grade(case).starts_with("pass"), "{case}\n{report}");
    }
    // Every other case offers TLS 1.3 only: skipped, naming the version and the alert.
    for case in [
        "sanity-first",
        "a1-no-cert-tls13",
        "a4-cert-verify-invalid",
        "c2-revoked",
    ] {
        let row = run.row(case);
        assert_eq!(row["grade"], "skipped", "{row}\n{report}");
        let why = row["observed"].as_str().unwrap();
        assert!(
            why.contains("TLS 1.3")
                && why.contains("protocol_version")
                && why.contains("does not speak this case's TLS version"),
            "{why}"
        );
    }
    assert_eq!(run.graded().len(), TLS12_CASES.len(), "{report}");
}

#[test]
fn stock_apache_tls12_only_grades_the_revocation_cases_at_tls_version_1_2() {
    let run = crl_run("leaf", "TLSv1.2", "5153", &["--tls-version", "1.2"]);
    let report = run.report();
    // sanity-first passing on a TLS 1.2-only server shows the suite's defaults ran at 1.2.
    assert_correct(&run, &SANITY, 20);
    assert_crl_graded(&run);
    // The cases about TLS 1.3 keep it, and say why they cannot run here.
    for case in ["a1-no-cert-tls13", "a4-cert-verify-invalid"] {
        assert_eq!(run.grade(case), "skipped", "{report}");
    }
}

/// `conformance` against a stock Apache asking the responder its clients' AIA names, at
/// `protocol` with `extra` options.
fn ocsp_run(protocol: &str, extra: &[&str]) -> Run {
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    // Only `SSLOCSPEnable leaf`: no default responder, no responder certificate file. The
    // answers must carry what mod_ssl needs to verify them.
    let ssl = format!("  SSLProtocol {protocol}\n  SSLOCSPEnable leaf");
    let (mut server, addr) = stock_apache(dir.path(), &ca, &ssl);
    let args = ["--target-stack", "apache", "--target-revocation", "ocsp"];
    let args: Vec<&str> = args.iter().chain(extra).copied().collect();
    let run = conformance_with(dir.path(), &ca, addr, &args);
    server.stop(Duration::from_secs(2));
    run
}

/// The OCSP cases graded as passes, the revoked leaf refused.
fn assert_ocsp_graded(run: &Run) {
    let report = run.report();
    assert_eq!(run.grade("d1-ocsp-good"), "pass", "{report}");
    assert!(run.grade("d2-ocsp-revoked").starts_with("pass"), "{report}");
    assert_eq!(run.grade("d14-ocsp-delegated-good"), "pass", "{report}");
    assert_eq!(run.grade("c1-valid-with-crl"), "skipped");
}

#[test]
fn stock_apache_asking_the_responder_in_the_aia_grades_the_ocsp_cases() {
    let run = ocsp_run("all", &[]);
    assert_correct(&run, &SANITY, 20);
    assert_ocsp_graded(&run);
}

#[test]
fn stock_apache_tls12_only_asking_the_responder_grades_the_ocsp_cases_at_tls_version_1_2() {
    let run = ocsp_run("TLSv1.2", &["--tls-version", "1.2"]);
    assert_correct(&run, &SANITY, 20);
    assert_ocsp_graded(&run);
}
