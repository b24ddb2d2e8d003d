//! Target mode against servers that trust the user's own PKI (issue 12): a root and a sub-CA
//! made with the openssl CLI in each test's temporary directory, real `openssl s_server` and
//! nginx processes on 127.0.0.1 trusting that root, and the `mtls-harness` binary grading them
//! through `--issuer-cert`. Correct servers must get no false verdict; servers misconfigured as
//! operators really get them wrong must have every let-through flagged and nothing else
//! failed; the user's own credential files are graded against the user's expectation; a target
//! that does not trust the run's hierarchy has its bad variants skipped, never graded; and
//! fixture roots come from a random seed unless one is given.

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use mtls_harness::peers::ChildGuard;
use serde_json::Value;

use super::support::{harness_exe, openssl};

/// How long a server may take to accept its first connection.
pub(super) const READY: Duration = Duration::from_secs(15);

/// A correctly configured `s_server`: verification required, refusals sent, depth 10.
pub(super) const STRICT: &[&str] = &[
    "-Verify",
    "3",
    "-verify_return_error",
    "-verify_depth",
    "10",
];

/// The OpenSSL extensions the test CA uses (`openssl x509 -extfile` and `openssl ca`).
const EXTENSIONS: &str = "\
[sub_ca]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[sub_ca_pathlen0]
basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,keyCertSign,cRLSign,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[server]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
[client]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
";

/// A user's PKI made with the openssl CLI: a root the servers trust, a sub-CA under it (the
/// issuer the harness is given) and a server certificate from the root.
pub(super) struct UserCa {
    dir: PathBuf,
    pub(super) root: PathBuf,
    sub: PathBuf,
    sub_key: PathBuf,
    pub(super) server: PathBuf,
    pub(super) server_key: PathBuf,
}

/// Runs the openssl CLI in `dir`, panicking with its stderr when it fails.
pub(super) fn openssl_in(dir: &Path, args: &[&str]) {
    let out = Command::new(openssl())
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A new P-256 key `name.key` and a CSR `name.csr` for `cn`.
pub(super) fn key_and_csr(dir: &Path, name: &str, cn: &str) {
    openssl_in(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.csr"),
            "-subj",
            &format!("/CN={cn}"),
        ],
    );
}

impl UserCa {
    /// Makes the PKI in `dir/ca`; the sub-CA carries `pathlen:0` when `pathlen0`.
    pub(super) fn new(dir: &Path, pathlen0: bool) -> Self {
        let dir = dir.join("ca");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("ext.cnf"), EXTENSIONS).unwrap();
        openssl_in(
            &dir,
            &[
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                "root.key",
                "-out",
                "root.pem",
                "-subj",
                "/O=Example Corp/CN=Example Corp Test Root",
                "-days",
                "3650",
                "-addext",
                "basicConstraints=critical,CA:TRUE",
                "-addext",
                "keyUsage=critical,keyCertSign,cRLSign",
            ],
        );
        let sign = |name: &str, ext: &str, days: &str| {
            openssl_in(
                &dir,
                &[
                    "x509",
                    "-req",
                    "-in",
                    &format!("{name}.csr"),
                    "-CA",
                    "root.pem",
                    "-CAkey",
                    "root.key",
                    "-CAcreateserial",
                    "-out",
                    &format!("{name}.pem"),
                    "-days",
                    days,
                    "-extfile",
                    "ext.cnf",
                    "-extensions",
                    ext,
                ],
            );
        };
        key_and_csr(&dir, "sub", "Example Corp mTLS Test Sub-CA");
        sign(
            "sub",
            if pathlen0 {
                "sub_ca_pathlen0"
            } else {
                "sub_ca"
            },
            "3650",
        );
        key_and_csr(&dir, "server", "localhost");
        sign("server", "server", "365");
        Self {
            root: dir.join("root.pem"),
            sub: dir.join("sub.pem"),
            sub_key: dir.join("sub.key"),
            server: dir.join("server.pem"),
            server_key: dir.join("server.key"),
            dir,
        }
    }

    /// `--issuer-cert SUB --issuer-key KEY --issuer-chain ROOT`.
    pub(super) fn issuer_args(&self) -> Vec<std::ffi::OsString> {
        vec![
            "--issuer-cert".into(),
            self.sub.clone().into(),
            "--issuer-key".into(),
            self.sub_key.clone().into(),
            "--issuer-chain".into(),
            self.root.clone().into(),
        ]
    }

    /// An empty CRL from the root (`root.crl`, through `openssl ca -gencrl`): what a server
    /// that checks the whole chain needs for the sub-CA besides the harness's CRLs.
    pub(super) fn root_crl(&self) -> PathBuf {
        root_crl_in(&self.dir)
    }

    /// A client leaf `name.pem`/`name.key` from the sub-CA through `openssl ca`, valid from
    /// `start` to `end` (`YYYYMMDDHHMMSSZ`): `openssl ca` takes any dates, also in the past.
    fn client(&self, name: &str, start: &str, end: &str) -> (PathBuf, PathBuf) {
        let db = self.dir.join("db");
        if !db.exists() {
            std::fs::create_dir(&db).unwrap();
            std::fs::write(db.join("index.txt"), "").unwrap();
            std::fs::write(db.join("serial"), "1000\n").unwrap();
            let conf = format!(
                "[ca]\ndefault_ca = sub\n[sub]\ndir = {dir}\ndatabase = {dir}/index.txt\n\
                 serial = {dir}/serial\nnew_certs_dir = {dir}\ncertificate = {cert}\n\
                 private_key = {key}\ndefault_md = sha256\npolicy = any\nunique_subject = no\n\
                 [any]\ncommonName = supplied\n{EXTENSIONS}",
                dir = db.display(),
                cert = self.sub.display(),
                key = self.sub_key.display(),
            );
            std::fs::write(db.join("ca.cnf"), conf).unwrap();
        }
        key_and_csr(&self.dir, name, &format!("{name}.clients.example"));
        openssl_in(
            &self.dir,
            &[
                "ca",
                "-batch",
                "-notext",
                "-config",
                "db/ca.cnf",
                "-extensions",
                "client",
                "-startdate",
                start,
                "-enddate",
                end,
                "-in",
                &format!("{name}.csr"),
                "-out",
                &format!("{name}.pem"),
            ],
        );
        (
            self.dir.join(format!("{name}.pem")),
            self.dir.join(format!("{name}.key")),
        )
    }
}

/// An empty CRL `dir/root.crl` from the root `dir/root.pem` (key `dir/root.key`), through
/// `openssl ca -gencrl`.
pub(super) fn root_crl_in(dir: &Path) -> PathBuf {
    let db = dir.join("rootdb");
    std::fs::create_dir(&db).unwrap();
    std::fs::write(db.join("index.txt"), "").unwrap();
    std::fs::write(db.join("crlnumber"), "01\n").unwrap();
    let conf = format!(
        "[ca]\ndefault_ca = root\n[root]\ndatabase = {dir}/index.txt\n\
         crlnumber = {dir}/crlnumber\ndefault_md = sha256\ndefault_crl_days = 30\n",
        dir = db.display()
    );
    std::fs::write(db.join("ca.cnf"), conf).unwrap();
    openssl_in(
        dir,
        &[
            "ca",
            "-gencrl",
            "-config",
            "rootdb/ca.cnf",
            "-keyfile",
            "root.key",
            "-cert",
            "root.pem",
            "-out",
            "root.crl",
        ],
    );
    dir.join("root.crl")
}

/// A port on 127.0.0.1 that was free a moment ago.
pub(super) fn free_addr() -> SocketAddr {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
}

/// Starts `openssl s_server -www` with the user's server certificate, trusting the user's
/// root, plus `verify` (how it asks for client certificates). Killed when the guard drops.
pub(super) fn s_server(dir: &Path, ca: &UserCa, verify: &[&str]) -> (ChildGuard, SocketAddr) {
    s_server_trusting(dir, ca, &ca.root, verify)
}

/// `s_server` whose CA file is `ca_file` (OpenSSL also loads the CRLs such a file holds).
fn s_server_trusting(
    dir: &Path,
    ca: &UserCa,
    ca_file: &Path,
    verify: &[&str],
) -> (ChildGuard, SocketAddr) {
    let addr = free_addr();
    let mut cmd = Command::new(openssl());
    cmd.arg("s_server")
        .arg("-accept")
        .arg(addr.to_string())
        .arg("-cert")
        .arg(&ca.server)
        .arg("-key")
        .arg(&ca.server_key)
        .arg("-CAfile")
        .arg(ca_file)
        .args(verify)
        .arg("-www");
    let mut guard = ChildGuard::spawn(cmd, &dir.join("s_server.log"), None).unwrap();
    // "ACCEPT" once it listens; the guard keeps draining its stdout afterwards.
    guard
        .wait_for_line(READY, |l| (l.trim() == "ACCEPT").then_some(()))
        .unwrap();
    (guard, addr)
}

/// The nginx binary, which `scripts/install-peers.sh` installs.
fn nginx() -> PathBuf {
    let path = PathBuf::from("/usr/sbin/nginx");
    assert!(
        path.exists(),
        "nginx is not installed: run scripts/install-peers.sh"
    );
    path
}

/// Starts nginx (one process, `daemon off`, every file it writes under `dir/nginx`) with the
/// user's server certificate, `ssl_verify_client verify` against the user's root, and a
/// location that answers 200 without looking at `$ssl_client_verify`, as operators write it.
fn nginx_server(dir: &Path, ca: &UserCa, verify: &str) -> (ChildGuard, SocketAddr) {
    let verify = format!(
        "ssl_verify_client {verify};\n    ssl_client_certificate {};\n    ssl_verify_depth 10;",
        ca.root.display()
    );
    nginx_with(dir, ca, &verify, "return 200 \"ok\\n\";")
}

/// Starts nginx with `verify` (its client-certificate directives) and `location` (the body of
/// `location /`).
pub(super) fn nginx_with(
    dir: &Path,
    ca: &UserCa,
    verify: &str,
    location: &str,
) -> (ChildGuard, SocketAddr) {
    let ng = dir.join("nginx");
    std::fs::create_dir(&ng).unwrap();
    let addr = free_addr();
    let d = ng.display();
    let conf = format!(
        "daemon off;
master_process off;
pid {d}/nginx.pid;
error_log {d}/error.log info;
events {{ worker_connections 256; }}
http {{
  access_log off;
  default_type text/plain;
  client_body_temp_path {d}/body;
  proxy_temp_path {d}/proxy;
  fastcgi_temp_path {d}/fastcgi;
  uwsgi_temp_path {d}/uwsgi;
  scgi_temp_path {d}/scgi;
  server {{
    listen {addr} ssl;
    ssl_certificate {server};
    ssl_certificate_key {server_key};
    # nginx 1.22 enables TLSv1.3 only when asked.
    ssl_protocols TLSv1.2 TLSv1.3;
    {verify}
    location / {{ {location} }}
  }}
}}
",
        server = ca.server.display(),
        server_key = ca.server_key.display(),
    );
    let conf_path = ng.join("nginx.conf");
    std::fs::write(&conf_path, conf).unwrap();
    let mut cmd = Command::new(nginx());
    cmd.arg("-p")
        .arg(&ng)
        .arg("-c")
        .arg(&conf_path)
        .arg("-e")
        .arg(ng.join("error.log"));
    let mut guard = ChildGuard::spawn(cmd, &dir.join("nginx.log"), None).unwrap();
    guard.wait_for_connect(addr, READY).unwrap();
    (guard, addr)
}

/// The peer name of a target in the suite's table.
fn peer(addr: SocketAddr) -> String {
    format!("target {addr}")
}

/// `mtls-harness conformance --target addr` trusting the user's root for the server, issuing
/// under the user's sub-CA when `issuer`, with `extra` arguments; output in `dir/out`.
fn conformance(dir: &Path, ca: &UserCa, addr: SocketAddr, issuer: bool, extra: &[&Path]) -> Run {
    let mut args: Vec<std::ffi::OsString> = Vec::new();
    for path in extra {
        args.push("--deviations".into());
        args.push(path.into());
    }
    conformance_run(dir, ca, addr, issuer, &args)
}

/// `conformance --target addr` (through the user's CA when `issuer`) with `args`, and what it
/// wrote.
fn conformance_run(
    dir: &Path,
    ca: &UserCa,
    addr: SocketAddr,
    issuer: bool,
    args: &[std::ffi::OsString],
) -> Run {
    let out_dir = dir.join("out");
    let mut cmd = Command::new(harness_exe());
    cmd.arg("conformance")
        .arg("--quiet")
        .arg("--target")
        .arg(addr.to_string())
        .arg("--target-ca")
        .arg(&ca.root)
        .arg("--target-name")
        .arg("localhost")
        .arg("--out")
        .arg(&out_dir);
    if issuer {
        cmd.args(ca.issuer_args());
    }
    cmd.args(args);
    let output = cmd.output().unwrap();
    let text = std::fs::read_to_string(out_dir.join("conformance.json")).unwrap_or_else(|e| {
        panic!(
            "no conformance.json ({e}); stderr:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )
    });
    Run {
        output,
        json: serde_json::from_str(&text).unwrap(),
    }
}

/// One `conformance` run: the process's output and its `conformance.json`.
pub(super) struct Run {
    output: Output,
    json: Value,
}

impl Run {
    pub(super) fn rows(&self) -> &[Value] {
        self.json["rows"].as_array().unwrap()
    }

    pub(super) fn row(&self, case: &str) -> &Value {
        self.rows()
            .iter()
            .find(|r| r["case"] == case)
            .unwrap_or_else(|| panic!("no row {case}"))
    }

    pub(super) fn grade(&self, case: &str) -> &str {
        self.row(case)["grade"].as_str().unwrap()
    }

    /// The cases graded `grade`.
    fn with_grade(&self, grade: &str) -> BTreeSet<String> {
        self.rows()
            .iter()
            .filter(|r| r["grade"] == grade)
            .map(|r| r["case"].as_str().unwrap().to_string())
            .collect()
    }

    /// The cases not skipped.
    pub(super) fn graded(&self) -> BTreeSet<String> {
        self.rows()
            .iter()
            .filter(|r| r["grade"] != "skipped")
            .map(|r| r["case"].as_str().unwrap().to_string())
            .collect()
    }

    pub(super) fn exit_code(&self) -> Option<i32> {
        self.output.status.code()
    }

    /// The table and problems, for assertion messages.
    pub(super) fn report(&self) -> String {
        let mut s = String::from_utf8_lossy(&self.output.stdout).into_owned();
        s.push_str(&String::from_utf8_lossy(&self.output.stderr));
        s
    }

    /// Every row whose grade is a failure or an error.
    pub(super) fn failures(&self) -> Vec<String> {
        self.rows()
            .iter()
            .filter(|r| {
                let g = r["grade"].as_str().unwrap();
                g.starts_with("fail_") || g == "error"
            })
            .map(|r| format!("{} {} ({})", r["case"], r["grade"], r["observed"]))
            .collect()
    }

    /// The cases whose expectation is a rejection to be graded (not a policy to record).
    fn reject_cases(&self) -> BTreeSet<String> {
        self.json["expectations"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["accept"] == false && e["record"] == false)
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect()
    }
}

fn set(cases: &[&str]) -> BTreeSet<String> {
    cases.iter().map(|c| (*c).to_string()).collect()
}

/// Writes a deviations file for `peer` listing `(case, observed, reason)`.
fn deviations_file(dir: &Path, peer: &str, list: &[(&str, &str, &str)]) -> PathBuf {
    let mut text = String::from("# Known deviations of the server under test.\n");
    for (case, observed, reason) in list {
        text.push_str(&format!(
            "\n[[deviation]]\ncase = \"{case}\"\npeer = \"{peer}\"\nobserved = \"{observed}\"\nreason = \"{reason}\"\n"
        ));
    }
    let path = dir.join("deviations.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// A correct server graded under the user's CA: no `fail_*` or `error` row, the deviations are
/// exactly the listed ones (each with its reason), at least 20 graded rows, exit 0.
fn assert_correct(run: &Run, addr: SocketAddr, listed: &[(&str, &str, &str)]) {
    let report = run.report();
    assert!(run.failures().is_empty(), "{:?}\n{report}", run.failures());
    let listed_cases: BTreeSet<String> = listed.iter().map(|(c, _, _)| (*c).to_string()).collect();
    assert_eq!(run.with_grade("deviation"), listed_cases, "{report}");
    for (case, observed, reason) in listed {
        let row = run.row(case);
        assert_eq!(row["observed_class"], *observed, "{case}");
        assert_eq!(row["known_deviation"], *reason, "{case}");
        assert_eq!(row["peer"], peer(addr));
    }
    let graded = run.graded();
    assert!(
        graded.len() >= 20,
        "only {} graded: {graded:?}",
        graded.len()
    );
    for sanity in ["sanity-first", "sanity-tls12", "sanity-last"] {
        assert_eq!(run.grade(sanity), "pass", "{report}");
    }
    assert_eq!(run.exit_code(), Some(0), "{report}");
}

const NOT_YET_VALID: &str = "OpenSSL maps X509_V_ERR_CERT_NOT_YET_VALID to bad_certificate";
const LEAF_SIGNATURE: &str =
    "OpenSSL maps X509_V_ERR_CERT_SIGNATURE_FAILURE to decrypt_error, not bad_certificate";

#[test]
fn correct_s_server_has_no_false_verdict_under_the_users_ca() {
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    let (mut server, addr) = s_server(dir.path(), &ca, STRICT);
    let listed = [
        ("b4-not-yet-valid", "bad_certificate", NOT_YET_VALID),
        ("b7-leaf-signature-invalid", "decrypt_error", LEAF_SIGNATURE),
    ];
    let devs = deviations_file(dir.path(), &peer(addr), &listed);
    let run = conformance(dir.path(), &ca, addr, true, &[&devs]);
    assert_correct(&run, addr, &listed);
    // Each defect refused for its own cause, which only a trusted hierarchy can show.
    for (case, class) in [
        ("a4-cert-verify-invalid", "decrypt_error"),
        ("b1-unknown-ca", "unknown_ca"),
        ("b2-missing-intermediate", "unknown_ca"),
        ("b3-expired", "cert_expired"),
        ("b5-eku-server-auth-only", "unsupported_certificate"),
        ("a9-misordered-intermediates", "accepted"),
        ("b12-eku-absent", "accepted"),
    ] {
        assert_eq!(run.row(case)["observed_class"], class, "{case}");
    }
    server.stop(Duration::from_secs(2));
}

#[test]
fn a_sub_ca_with_pathlen_0_issues_leaves_directly_and_skips_what_needs_own_cas() {
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), true);
    let (mut server, addr) = s_server(dir.path(), &ca, STRICT);
    let run = conformance(dir.path(), &ca, addr, true, &[]);
    let report = run.report();
    assert!(run.failures().is_empty(), "{:?}\n{report}", run.failures());
    for case in [
        "a9-misordered-intermediates",
        "b2-missing-intermediate",
        "b9-name-constraints",
    ] {
        let row = run.row(case);
        assert_eq!(row["grade"], "skipped", "{case}");
        assert!(
            row["observed"]
                .as_str()
                .unwrap()
                .contains("pathLenConstraint 0"),
            "{case}: {}",
            row["observed"]
        );
    }
    for (case, class) in [
        ("sanity-first", "accepted"),
        ("b1-unknown-ca", "unknown_ca"),
        ("b3-expired", "cert_expired"),
        ("a8-extra-certificate", "accepted"),
    ] {
        assert_eq!(run.row(case)["observed_class"], class, "{case}");
    }
    server.stop(Duration::from_secs(2));
}

#[test]
fn correct_nginx_has_no_false_verdict_under_the_users_ca() {
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    let (mut server, addr) = nginx_server(dir.path(), &ca, "on");
    // Every refusal of a correct nginx is an HTTP 400 after the handshake whose class matches
    // the case (pass_alt) or a TLS alert (a4, a5): nothing to list.
    let devs = deviations_file(dir.path(), &peer(addr), &[]);
    let run = conformance(dir.path(), &ca, addr, true, &[&devs]);
    assert_correct(&run, addr, &[]);
    server.stop(Duration::from_secs(2));
}

/// A misconfigured server: every graded reject case it let through is `fail_accepted_invalid`,
/// those are exactly `let_through`, nothing else fails, the sanity rows pass, exit 1.
fn assert_let_through(run: &Run, let_through: &[&str]) {
    let report = run.report();
    for sanity in ["sanity-first", "sanity-tls12", "sanity-last"] {
        assert_eq!(run.grade(sanity), "pass", "{report}");
    }
    let reject = run.reject_cases();
    let accepted: BTreeSet<String> = run
        .rows()
        .iter()
        .filter(|r| r["observed_class"] == "accepted" && r["grade"] != "skipped")
        .map(|r| r["case"].as_str().unwrap().to_string())
        .filter(|c| reject.contains(c))
        .collect();
    assert_eq!(accepted, set(let_through), "{report}");
    for case in &accepted {
        assert_eq!(run.grade(case), "fail_accepted_invalid", "{case}");
    }
    assert_eq!(
        run.with_grade("fail_accepted_invalid"),
        accepted,
        "{report}"
    );
    for grade in ["fail_rejected_valid", "fail_must", "error"] {
        assert!(run.with_grade(grade).is_empty(), "{grade}: {report}");
    }
    assert_eq!(run.exit_code(), Some(1), "{report}");
}

#[test]
fn s_server_that_only_logs_verification_lets_every_bad_client_through() {
    // `-verify` asks for a certificate but, without -verify_return_error, only logs a failed
    // verification and carries on.
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    let (mut server, addr) = s_server(dir.path(), &ca, &["-verify", "3"]);
    let run = conformance(dir.path(), &ca, addr, true, &[]);
    assert_let_through(
        &run,
        &[
            "a1-no-cert-tls13",
            "a2-no-cert-tls12",
            "a6-sha1-signed-chain",
            "b1-unknown-ca",
            "b2-missing-intermediate",
            "b3-expired",
            "b4-not-yet-valid",
            "b5-eku-server-auth-only",
            "b6-expired-tls12",
            "b7-leaf-signature-invalid",
            "b9-name-constraints",
            "b10-weak-rsa-key",
            "b11-key-usage-no-digital-signature",
        ],
    );
    // A CertificateVerify that does not verify is refused by the TLS layer all the same.
    assert_eq!(run.grade("a4-cert-verify-invalid"), "pass");
    server.stop(Duration::from_secs(2));
}

#[test]
fn nginx_optional_no_ca_whose_app_never_reads_the_result_lets_unknown_issuers_in() {
    // optional_no_ca forgives "issuer unknown" errors so an application can check the chain
    // itself; this location never reads $ssl_client_verify. Expired and other errors still
    // get nginx's 400.
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    let (mut server, addr) = nginx_server(dir.path(), &ca, "optional_no_ca");
    let run = conformance(dir.path(), &ca, addr, true, &[]);
    assert_let_through(
        &run,
        &[
            "a1-no-cert-tls13",
            "a2-no-cert-tls12",
            "b1-unknown-ca",
            "b2-missing-intermediate",
        ],
    );
    server.stop(Duration::from_secs(2));
}

#[test]
fn nginx_optional_answering_200_regardless_lets_clients_without_a_certificate_in() {
    // `optional`: nginx still answers 400 to a certificate that fails verification, but a
    // client that sends none gets the 200 of a location that never reads $ssl_client_verify.
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    let (mut server, addr) = nginx_server(dir.path(), &ca, "optional");
    let run = conformance(dir.path(), &ca, addr, true, &[]);
    assert_let_through(&run, &["a1-no-cert-tls13", "a2-no-cert-tls12"]);
    server.stop(Duration::from_secs(2));
}

/// A scenario of the user's own credentials (paths relative to it).
const OWN_SCENARIO: &str = r#"version = 1
[pki]
identities = 2
[defaults]
load = { concurrency = 1, handshakes = 4, warmup = "0s" }

[[case]]
name = "own-valid"
client_cert = { cert = "ca/good.pem", key = "ca/good.key", chain = "ca/sub.pem" }
expect = "accept"

[[case]]
name = "own-expired"
client_cert = { cert = "ca/expired.pem", key = "ca/expired.key", chain = "ca/sub.pem" }
reject_reason = "cert_expired"
"#;

/// `mtls-harness run scenario --target addr` trusting the user's root for the server.
fn run_target(dir: &Path, ca: &UserCa, addr: SocketAddr, scenario: &Path, out: &str) -> Output {
    run_target_with(dir, ca, addr, scenario, out, &[])
}

/// [`run_target`] with `extra` options (e.g. the issuer's).
pub(super) fn run_target_with(
    dir: &Path,
    ca: &UserCa,
    addr: SocketAddr,
    scenario: &Path,
    out: &str,
    extra: &[std::ffi::OsString],
) -> Output {
    Command::new(harness_exe())
        .arg("run")
        .arg(scenario)
        .arg("--quiet")
        .arg("--target")
        .arg(addr.to_string())
        .arg("--target-ca")
        .arg(&ca.root)
        .arg("--target-name")
        .arg("localhost")
        .args(extra)
        .arg("--out")
        .arg(dir.join(out))
        .output()
        .unwrap()
}

/// The `summary.json` of run directory `dir/out`.
fn run_summary(dir: &Path, out: &str) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join(out).join("summary.json")).unwrap())
        .unwrap()
}

/// The case named `name` in a summary.
fn case_named(summary: &Value, name: &str) -> Value {
    summary["cases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no case {name}"))
        .clone()
}

/// The 1-based line of `text` holding `needle`.
fn line_of(text: &str, needle: &str) -> usize {
    text.lines().position(|l| l.contains(needle)).unwrap() + 1
}

#[test]
fn own_credentials_are_graded_against_their_expectations() {
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    ca.client("good", "20250101000000Z", "20450101000000Z");
    ca.client("expired", "20200101000000Z", "20200201000000Z");
    let (mut server, addr) = s_server(dir.path(), &ca, STRICT);
    let scenario = dir.path().join("own.toml");
    std::fs::write(&scenario, OWN_SCENARIO).unwrap();
    let out = run_target(dir.path(), &ca, addr, &scenario, "run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let summary = run_summary(dir.path(), "run");
    let case = |name: &str| case_named(&summary, name);
    // The run's own fixtures come from a random root the server does not trust: only the
    // user's credential can have been accepted.
    let valid = case("own-valid");
    assert_eq!(valid["met"], true, "{valid}");
    assert_eq!(valid["outcomes"], serde_json::json!({ "accepted": 4 }));
    assert_eq!(valid["expect"], "accept");
    // The summary names the files sent (never the key).
    let own = &valid["own_credential"];
    assert!(
        own["cert_file"].as_str().unwrap().ends_with("ca/good.pem"),
        "{own}"
    );
    assert!(
        own["subject"]
            .as_str()
            .unwrap()
            .contains("good.clients.example"),
        "{own}"
    );
    assert!(!valid.to_string().contains("PRIVATE KEY"));
    let expired = case("own-expired");
    assert_eq!(expired["met"], true, "{expired}");
    assert_eq!(
        expired["outcomes"],
        serde_json::json!({ "cert_expired": 4 })
    );
    assert_eq!(expired["expect"], "reject:cert_expired");

    // A missing key file and a garbled certificate: exit 2, naming the file, the key path and
    // the line, before anything runs.
    let missing = OWN_SCENARIO.replace("ca/good.key", "ca/missing.key");
    let bad_key = dir.path().join("bad-key.toml");
    std::fs::write(&bad_key, &missing).unwrap();
    let out = run_target(dir.path(), &ca, addr, &bad_key, "bad-key");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let line = line_of(&missing, "ca/missing.key");
    assert!(
        stderr.contains(&format!("bad-key.toml:{line}: case[1].client_cert.key: ")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&ca.dir.join("missing.key").display().to_string()),
        "{stderr}"
    );
    std::fs::write(
        ca.dir.join("garbled.pem"),
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGUgYXQgYWxs\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let garbled = OWN_SCENARIO.replace("ca/expired.pem", "ca/garbled.pem");
    let bad_cert = dir.path().join("bad-cert.toml");
    std::fs::write(&bad_cert, &garbled).unwrap();
    let out = run_target(dir.path(), &ca, addr, &bad_cert, "bad-cert");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    let line = line_of(&garbled, "ca/garbled.pem");
    assert!(
        stderr.contains(&format!("bad-cert.toml:{line}: case[2].client_cert.cert: ")),
        "{stderr}"
    );
    assert!(
        stderr.contains(&ca.dir.join("garbled.pem").display().to_string()),
        "{stderr}"
    );
    assert!(stderr.contains("expected PEM certificates"), "{stderr}");
    assert!(!dir.path().join("bad-key/summary.json").exists());
    server.stop(Duration::from_secs(2));
}

#[test]
fn server_that_never_asks_for_a_certificate_passes_no_reject_case() {
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    ca.client("expired", "20200101000000Z", "20200201000000Z");
    // TLS without client authentication; the application refuses everyone.
    let (mut server, addr) = nginx_with(dir.path(), &ca, "", "return 403;");
    let scenario = dir.path().join("reject.toml");
    std::fs::write(
        &scenario,
        r#"version = 1
[pki]
identities = 2
[defaults]
load = { concurrency = 1, handshakes = 4, warmup = "0s" }
[[case]]
name = "no-cert"
client_cert = "none"
expect = "reject"
[[case]]
name = "own-expired"
client_cert = { cert = "ca/expired.pem", key = "ca/expired.key", chain = "ca/sub.pem" }
expect = "reject"
"#,
    )
    .unwrap();
    let out = run_target(dir.path(), &ca, addr, &scenario, "run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let summary = run_summary(dir.path(), "run");
    for c in summary["cases"].as_array().unwrap() {
        assert_eq!(c["met"], false, "{}: {}", c["name"], c["verdict"]);
    }
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    server.stop(Duration::from_secs(2));
}

#[test]
fn unreachable_target_exits_2() {
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    let addr = free_addr(); // nothing listens there once the probe socket is closed
    let scenario = dir.path().join("s.toml");
    std::fs::write(
        &scenario,
        "version = 1\n[pki]\nidentities = 2\n[[case]]\nname = \"valid\"\nload = { handshakes = 4, warmup = \"0s\" }\n",
    )
    .unwrap();
    let out = run_target(dir.path(), &ca, addr, &scenario, "run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(&format!("no TLS server answered at {addr}")),
        "{stderr}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("hs/s"));
}

/// The bad-variant cases of groups A-C that the trust handshake guards.
const VARIANTS: &[&str] = &[
    "a4-cert-verify-invalid",
    "a5-cert-verify-invalid-tls12",
    "a6-sha1-signed-chain",
    "a8-extra-certificate",
    "a9-misordered-intermediates",
    "b1-unknown-ca",
    "b2-missing-intermediate",
    "b3-expired",
    "b4-not-yet-valid",
    "b5-eku-server-auth-only",
    "b6-expired-tls12",
    "b7-leaf-signature-invalid",
    "b9-name-constraints",
    "b10-weak-rsa-key",
    "b11-key-usage-no-digital-signature",
    "b12-eku-absent",
    "b13-ca-leaf",
    "c9-leaf-of-ca-without-crl-sign",
];

#[test]
fn without_a_trusted_issuer_bad_variants_are_skipped_not_graded() {
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    let (mut server, addr) = s_server(dir.path(), &ca, STRICT);
    let run = conformance(dir.path(), &ca, addr, false, &[]);
    let report = run.report();
    for case in VARIANTS {
        let row = run.row(case);
        assert_eq!(row["grade"], "skipped", "{case}: {report}");
        let why = row["observed"].as_str().unwrap();
        assert!(
            why.contains("the target refused a valid credential issued under the run's own root")
                && why.contains("does not trust that hierarchy")
                && why.contains("--issuer-cert"),
            "{case}: {why}"
        );
    }
    // Graded: the valid credential (rightly refused) and the cases without a certificate.
    assert_eq!(
        run.graded(),
        set(&[
            "sanity-first",
            "sanity-tls12",
            "sanity-last",
            "a1-no-cert-tls13",
            "a2-no-cert-tls12",
        ]),
        "{report}"
    );
    assert_eq!(run.row("sanity-first")["observed_class"], "unknown_ca");
    assert_eq!(run.grade("a1-no-cert-tls13"), "pass");
    assert_eq!(run.exit_code(), Some(1), "{report}");
    server.stop(Duration::from_secs(2));
}

#[test]
fn conformance_against_a_target_draws_a_random_root() {
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    let (mut server, addr) = s_server(dir.path(), &ca, STRICT);
    let run = conformance(dir.path(), &ca, addr, false, &[]);
    server.stop(Duration::from_secs(2));
    let seeded = dir.path().join("seed-1");
    let out = pki_generate(&seeded, Some("1"));
    assert!(out.status.success());
    let pki = std::fs::read_dir(dir.path().join("out/pki"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let root = std::fs::read_to_string(pki.join("ca/root.crt")).unwrap();
    let seed_1_root = std::fs::read_to_string(seeded.join("ca/root.crt")).unwrap();
    assert!(
        root != seed_1_root,
        "the target run's root is the seed-1 root ({} records seed {})\n{}",
        pki.join("manifest.json").display(),
        manifest_seed(&pki),
        run.report()
    );
}

/// `mtls-harness pki generate --out dir [--seed seed]`.
fn pki_generate(dir: &Path, seed: Option<&str>) -> Output {
    let mut cmd = Command::new(harness_exe());
    cmd.args(["pki", "generate", "--identities", "1", "--out"])
        .arg(dir);
    if let Some(seed) = seed {
        cmd.args(["--seed", seed]);
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The seed a manifest records.
fn manifest_seed(dir: &Path) -> u64 {
    let m: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("manifest.json")).unwrap()).unwrap();
    m["spec"]["seed"].as_u64().unwrap()
}

#[test]
fn pki_generate_draws_a_random_seed_unless_given_one() {
    let dir = tempfile::tempdir().unwrap();
    let root =
        |name: &str| std::fs::read_to_string(dir.path().join(name).join("ca/root.crt")).unwrap();
    let printed = |out: &Output| -> u64 {
        let stdout = String::from_utf8_lossy(&out.stdout);
        let line = stdout
            .lines()
            .find(|l| l.starts_with("seed ") && l.contains("random"))
            .unwrap_or_else(|| panic!("no seed printed: {stdout}"));
        line.split_whitespace().nth(1).unwrap().parse().unwrap()
    };
    let a = pki_generate(&dir.path().join("a"), None);
    let b = pki_generate(&dir.path().join("b"), None);
    assert_ne!(root("a"), root("b"));
    let (seed_a, seed_b) = (printed(&a), printed(&b));
    assert_ne!(seed_a, seed_b);
    assert_eq!(manifest_seed(&dir.path().join("a")), seed_a);
    assert_eq!(manifest_seed(&dir.path().join("b")), seed_b);
    // The printed seed makes the same fixtures again.
    pki_generate(&dir.path().join("a-again"), Some(&seed_a.to_string()));
    assert_eq!(root("a"), root("a-again"));
    // A given seed: identical, and recorded.
    pki_generate(&dir.path().join("s1"), Some("7"));
    pki_generate(&dir.path().join("s2"), Some("7"));
    assert_eq!(root("s1"), root("s2"));
    assert_eq!(manifest_seed(&dir.path().join("s1")), 7);
}

#[test]
fn crls_of_pki_target_crl_let_a_crl_checking_server_grade_the_revocation_cases() {
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    let crl = target_crl(dir.path(), &ca, "4242");
    // s_server's -CRL loads one CRL; its CA file loads every CRL it holds.
    let ca_file = dir.path().join("ca-and-crls.pem");
    let mut both = std::fs::read(&ca.root).unwrap();
    both.extend(std::fs::read(&crl).unwrap());
    std::fs::write(&ca_file, both).unwrap();
    let (mut server, addr) = s_server_trusting(
        dir.path(),
        &ca,
        &ca_file,
        &[STRICT, &["-crl_check"]].concat(),
    );
    let listed = [
        ("b4-not-yet-valid", "bad_certificate", NOT_YET_VALID),
        ("b7-leaf-signature-invalid", "decrypt_error", LEAF_SIGNATURE),
    ];
    let devs = deviations_file(dir.path(), &peer(addr), &listed);
    let args: Vec<std::ffi::OsString> = [
        "--seed",
        "4242",
        "--target-revocation",
        "crl",
        "--deviations",
    ]
    .iter()
    .map(Into::into)
    .chain([
        devs.into(),
        "--mint-secret".into(),
        mint_secret(&crl).into(),
    ])
    .collect();
    let run = conformance_run(dir.path(), &ca, addr, true, &args);
    // Every variant still refused for its own cause (its CA's CRL is there), the CRL cases
    // graded, the ones a once-configured server cannot grade skipped with the reason.
    assert_correct(&run, addr, &listed);
    assert_eq!(run.grade("c1-valid-with-crl"), "pass", "{}", run.report());
    assert_eq!(run.grade("c2-revoked"), "pass", "{}", run.report());
    assert_eq!(run.row("c2-revoked")["observed_class"], "cert_revoked");
    assert_eq!(run.grade("c3-crl-stale-hard"), "skipped");
    let why = run.row("c3-crl-stale-hard")["observed"].as_str().unwrap();
    assert!(why.contains("configured once"), "{why}");
    assert_eq!(run.grade("c9-leaf-of-ca-without-crl-sign"), "skipped");
    assert_eq!(run.grade("d1-ocsp-good"), "skipped");
    server.stop(Duration::from_secs(2));
}

/// `pki target-crl --seed SEED` through the user's CA into `dir/target.crl`; checks what it
/// prints.
pub(super) fn target_crl(dir: &Path, ca: &UserCa, seed: &str) -> PathBuf {
    let crl = dir.join("target.crl");
    let made = Command::new(harness_exe())
        .args(["pki", "target-crl", "--seed", seed, "--out"])
        .arg(&crl)
        .args(ca.issuer_args())
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&made.stdout);
    assert!(
        made.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&made.stderr)
    );
    assert!(
        said.contains(&format!("ssl_crl {};", crl.display())),
        "{said}"
    );
    crl
}

/// The secret `pki target-crl` wrote beside `crl`: the run mints the serials and sub-CA keys
/// its CRLs name only with it (under the user's CA they are random, not the seed's).
pub(super) fn mint_secret(crl: &Path) -> PathBuf {
    let mut name = crl.as_os_str().to_os_string();
    name.push(".mint-secret");
    PathBuf::from(name)
}

/// `conformance` against `addr` through the user's CA with `extra` arguments, graded with an
/// empty deviations file.
pub(super) fn conformance_with(dir: &Path, ca: &UserCa, addr: SocketAddr, extra: &[&str]) -> Run {
    let devs = deviations_file(dir, &peer(addr), &[]);
    let mut args: Vec<std::ffi::OsString> = vec!["--deviations".into(), devs.into()];
    args.extend(extra.iter().map(Into::into));
    conformance_run(dir, ca, addr, true, &args)
}

#[test]
fn nginx_checking_the_whole_chain_against_crls_grades_groups_a_to_c() {
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    let crl = target_crl(dir.path(), &ca, "4243");
    // nginx's ssl_crl checks every CA of the chain: the harness's CRLs and the root's for
    // the sub-CA, in one file.
    let mut all = std::fs::read(&crl).unwrap();
    all.extend(std::fs::read(ca.root_crl()).unwrap());
    let all_path = dir.path().join("all.crl");
    std::fs::write(&all_path, all).unwrap();
    let verify = format!(
        "ssl_verify_client on;\n    ssl_client_certificate {};\n    ssl_verify_depth 10;\n    ssl_crl {};",
        ca.root.display(),
        all_path.display()
    );
    let (mut server, addr) = nginx_with(dir.path(), &ca, &verify, "return 200 \"ok\\n\";");
    let run = conformance_with(
        dir.path(),
        &ca,
        addr,
        &[
            "--seed",
            "4243",
            "--target-revocation",
            "crl",
            "--mint-secret",
            mint_secret(&crl).to_str().unwrap(),
        ],
    );
    assert_correct(&run, addr, &[]);
    assert_eq!(run.grade("c1-valid-with-crl"), "pass", "{}", run.report());
    assert!(
        run.grade("c2-revoked").starts_with("pass"),
        "{}",
        run.report()
    );
    assert_eq!(run.grade("d1-ocsp-good"), "skipped");
    server.stop(Duration::from_secs(2));
}

#[test]
fn nginx_asking_the_harness_responder_grades_the_ocsp_cases() {
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    // `ssl_ocsp leaf`: the responder named in each client certificate's AIA (the harness's)
    // answers for the leaves of every CA the harness made.
    let verify = format!(
        "ssl_verify_client on;\n    ssl_client_certificate {};\n    ssl_verify_depth 10;\n    ssl_ocsp leaf;",
        ca.root.display()
    );
    let (mut server, addr) = nginx_with(dir.path(), &ca, &verify, "return 200 \"ok\\n\";");
    let run = conformance_with(dir.path(), &ca, addr, &["--target-revocation", "ocsp"]);
    assert_correct(&run, addr, &[]);
    assert_eq!(run.grade("d1-ocsp-good"), "pass", "{}", run.report());
    assert!(
        run.grade("d2-ocsp-revoked").starts_with("pass"),
        "{}",
        run.report()
    );
    assert_eq!(
        run.grade("d14-ocsp-delegated-good"),
        "pass",
        "{}",
        run.report()
    );
    assert_eq!(run.grade("c1-valid-with-crl"), "skipped");
    server.stop(Duration::from_secs(2));
}

#[test]
fn a_scenario_names_its_issuer_and_a_bad_file_is_a_problem_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    // The files the scenarios name (ca/sub.pem, ca/sub.key, ca/root.pem).
    let _ca = UserCa::new(dir.path(), false);
    let write = |name: &str, issuer: &str| {
        let path = dir.path().join(name);
        std::fs::write(
            &path,
            format!(
                "version = 1\n[pki]\nidentities = 2\nissuer = {issuer}\n[[case]]\nname = \"v\"\n"
            ),
        )
        .unwrap();
        path
    };
    // The sub-CA's key given as its certificate: the key is the problem, on line 4.
    let bad = write(
        "bad.toml",
        "{ cert = \"ca/sub.pem\", key = \"ca/sub.pem\", chain = \"ca/root.pem\" }",
    );
    let out = Command::new(harness_exe())
        .arg("validate")
        .arg(&bad)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("bad.toml:4: pki.issuer.key: "), "{stderr}");
    assert!(stderr.contains("sub.pem"), "{stderr}");
    // A good issuer needs a target to issue for.
    let good = write(
        "good.toml",
        "{ cert = \"ca/sub.pem\", key = \"ca/sub.key\", chain = \"ca/root.pem\" }",
    );
    let out = Command::new(harness_exe())
        .arg("run")
        .arg(&good)
        .args(["--out", "r", "-q"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("give --target"), "{stderr}");
}

#[test]
fn a_command_peer_with_its_own_certificates_is_started_as_the_target_and_measured() {
    // The user's service as it ships: its own certificate, key and trust store (the user's
    // root), started by the harness on the --target address for each case, its CPU measured,
    // and driven as a target with credentials from the user's sub-CA.
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    let addr = free_addr();
    let scenario = dir.path().join("own.toml");
    let quoted = |p: &Path| format!("{:?}", p.display().to_string());
    std::fs::write(
        &scenario,
        format!(
            r#"version = 1
[pki]
identities = 2
[defaults]
load = {{ concurrency = 2, handshakes = 40, warmup = "0s" }}
server = {{ command = [{openssl}, "s_server", "-accept", "{{addr}}", "-cert", {cert}, "-key", {key}, "-CAfile", {root}, "-Verify", "3", "-verify_return_error", "-www"], ready = "ACCEPT" }}
[[case]]
name = "valid"
[[case]]
name = "unknown-ca"
client_cert = "unknown-ca"
"#,
            openssl = quoted(&openssl()),
            cert = quoted(&ca.server),
            key = quoted(&ca.server_key),
            root = quoted(&ca.root),
        ),
    )
    .unwrap();
    let out = run_target_with(dir.path(), &ca, addr, &scenario, "run", &ca.issuer_args());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let summary = run_summary(dir.path(), "run");
    let case = |name: &str| case_named(&summary, name);
    let valid = case("valid");
    assert_eq!(valid["outcomes"]["accepted"], 40, "{valid}");
    assert!(
        valid["server"]
            .as_str()
            .unwrap()
            .contains("started by the case's command"),
        "{valid}"
    );
    // The service's own process was measured.
    assert!(
        valid["server_cpu_us_per_handshake"].as_f64().unwrap() > 0.0,
        "{valid}"
    );
    let unknown = case("unknown-ca");
    assert_eq!(unknown["met"], true, "{unknown}");
    // The log of each case's service is kept, and nothing of it runs on.
    assert!(dir.path().join("run/peers/valid-server.log").is_file());
    assert!(std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(300)).is_err());
}
