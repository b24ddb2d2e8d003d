//! Verdict evidence and HTTP-level refusals against small TLS servers written here (tokio-rustls
//! on 127.0.0.1:0, each stopped when its guard drops): a server that never asks for a client
//! certificate and answers 403 fails every reject case of the conformance suite; a server that
//! asks shows its request in the evidence; nginx's 400 pages, 403 and 421 get their own classes
//! and grades; and against the real nginx the evidence shows its CertificateRequest.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use mtls_harness::conformance::{self, Grade};
use mtls_harness::peers::Target;
use mtls_harness::report::RunSummary;
use mtls_harness::runner::{run, RunOptions};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::support::{case, harness_exe, repo_root, scenario};

/// nginx's page for its internal 496 (`ngx_http_error_496_page` in
/// `src/http/ngx_http_special_response.c`, then the common tail).
const NGINX_496: &str = "<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>No required SSL certificate was sent</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// nginx's page for its internal 495 (`ngx_http_error_495_page`).
const NGINX_495: &str = "<html>\r\n<head><title>400 The SSL certificate error</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>The SSL certificate error</center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

/// A reply with `status` and `body`, as nginx sends its error pages.
pub(super) fn reply(status: &str, body: &str) -> Vec<u8> {
    format!(
        "HTTP/1.1 {status}\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// A PKI made by `mtls-harness pki generate` (its server certificate names localhost).
pub(super) fn vendor_pki(dir: &Path) -> PathBuf {
    let pki = dir.join("vendor-pki");
    let ok = Command::new(harness_exe())
        .args(["pki", "generate", "--identities", "1", "--out"])
        .arg(&pki)
        .status()
        .unwrap();
    assert!(ok.success());
    pki
}

/// The subject of the PEM certificate at `path`, as RFC 4514 text.
fn subject_of(path: &Path) -> String {
    use der::Decode;
    let cert = CertificateDer::from_pem_file(path).unwrap();
    let cert = x509_cert::Certificate::from_der(cert.as_ref()).unwrap();
    cert.tbs_certificate.subject.to_string()
}

/// Accepts any client certificate (or none): the test servers judge nothing at the TLS layer,
/// they only ask, naming `hint` as the acceptable CA.
#[derive(Debug)]
struct AskOnly {
    hints: Vec<DistinguishedName>,
    schemes: Vec<SignatureScheme>,
}

impl ClientCertVerifier for AskOnly {
    fn client_auth_mandatory(&self) -> bool {
        false
    }

    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &self.hints
    }

    fn verify_client_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        Ok(ClientCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn verify_tls13_signature(
        &self,
        _message: &[u8],
        _cert: &CertificateDer<'_>,
        _dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        Ok(HandshakeSignatureValid::assertion())
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.schemes.clone()
    }
}

/// A TLS server on 127.0.0.1 answering every request with `reply`; it asks for a client
/// certificate (naming the vendor root) when `ask`, and speaks every TLS version rustls has
/// unless `tls12_only`. Stops when dropped.
pub(super) struct TestServer {
    addr: SocketAddr,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// The versions of a server that speaks TLS 1.2 only.
const TLS12_ONLY: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];

impl TestServer {
    pub(super) fn start(pki: &Path, ask: bool, reply: Vec<u8>) -> Self {
        Self::start_with(pki, ask, reply, false)
    }

    fn start_with(pki: &Path, ask: bool, reply: Vec<u8>, tls12_only: bool) -> Self {
        let chain: Vec<CertificateDer<'static>> =
            CertificateDer::pem_file_iter(pki.join("server/server.crt"))
                .unwrap()
                .map(Result::unwrap)
                .collect();
        let key = PrivateKeyDer::from_pem_file(pki.join("server/server.key")).unwrap();
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(Arc::clone(&provider))
            .with_protocol_versions(if tls12_only {
                TLS12_ONLY
            } else {
                rustls::ALL_VERSIONS
            })
            .unwrap();
        let builder = if ask {
            let root = CertificateDer::from_pem_file(pki.join("ca/root.crt")).unwrap();
            let subject = {
                use der::{Decode, Encode};
                let cert = x509_cert::Certificate::from_der(root.as_ref()).unwrap();
                cert.tbs_certificate.subject.to_der().unwrap()
            };
            builder.with_client_cert_verifier(Arc::new(AskOnly {
                hints: vec![DistinguishedName::from(subject)],
                schemes: provider
                    .signature_verification_algorithms
                    .supported_schemes(),
            }))
        } else {
            builder.with_no_client_auth()
        };
        let config = Arc::new(builder.with_single_cert(chain, key).unwrap());
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let addr = listener.local_addr().unwrap();
        let (stop, stopped) = tokio::sync::oneshot::channel();
        let reply: Arc<[u8]> = reply.into();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(serve(listener, config, reply, stopped));
        });
        Self {
            addr,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn serve(
    listener: std::net::TcpListener,
    config: Arc<rustls::ServerConfig>,
    reply: Arc<[u8]>,
    mut stopped: tokio::sync::oneshot::Receiver<()>,
) {
    let listener = tokio::net::TcpListener::from_std(listener).unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    loop {
        let tcp = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((tcp, _)) => tcp,
                Err(_) => continue,
            },
        };
        let (acceptor, reply) = (acceptor.clone(), Arc::clone(&reply));
        tokio::spawn(async move {
            let work = async {
                let mut tls = acceptor.accept(tcp).await.ok()?;
                let mut request = Vec::new();
                let mut buf = [0u8; 1024];
                while !request.windows(4).any(|w| w == b"\r\n\r\n") && request.len() < 8192 {
                    let n = tls.read(&mut buf).await.ok()?;
                    if n == 0 {
                        return None;
                    }
                    request.extend_from_slice(&buf[..n]);
                }
                // A valid client of the pool (`client-00000`, ...) is let in, as by a server
                // that trusts the hierarchy (the harness checks that before grading its bad
                // variants); every other client gets `reply`.
                let pooled = tls
                    .get_ref()
                    .1
                    .peer_certificates()
                    .and_then(|c| c.first())
                    .is_some_and(|leaf| pool_leaf(leaf.as_ref()));
                let answer: &[u8] = if pooled { OK_REPLY } else { &reply };
                tls.write_all(answer).await.ok()?;
                tls.shutdown().await.ok()
            };
            let _ = tokio::time::timeout(Duration::from_secs(5), work).await;
        });
    }
}

/// The answer to a client of the pool.
const OK_REPLY: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n";

/// Whether `der` is a leaf of the fixtures' valid pool (its subject CN is `client-NNNNN`).
fn pool_leaf(der: &[u8]) -> bool {
    use der::Decode;
    let Ok(cert) = x509_cert::Certificate::from_der(der) else {
        return false;
    };
    let subject = cert.tbs_certificate.subject.to_string();
    subject
        .split(',')
        .filter_map(|rdn| rdn.trim().strip_prefix("CN="))
        .any(|cn| {
            cn.strip_prefix("client-")
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
        })
}

/// Run options against `server` (trusting the vendor root for its certificate).
pub(super) fn target_opts(pki: &Path, server: &TestServer, out: PathBuf) -> RunOptions {
    let mut opts = RunOptions::new(harness_exe());
    opts.out_dir = Some(out);
    opts.quiet = true;
    opts.target = Some(Arc::new(
        Target::new(
            &server.addr.to_string(),
            &pki.join("ca/root.crt"),
            Some("localhost"),
            None,
            None,
        )
        .unwrap(),
    ));
    opts
}

fn summary_json(dir: &Path) -> Value {
    serde_json::from_slice(&std::fs::read(dir.join("summary.json")).unwrap()).unwrap()
}

#[test]
fn a_server_that_never_asks_for_a_certificate_passes_no_reject_case() {
    let dir = tempfile::tempdir().unwrap();
    let pki = vendor_pki(dir.path());
    let server = TestServer::start(&pki, false, reply("403 Forbidden", "forbidden\n"));
    let out = dir.path().join("run");
    let status = Command::new(harness_exe())
        .args(["conformance", "--quiet", "--target-name", "localhost"])
        .arg("--target")
        .arg(server.addr.to_string())
        .arg("--target-ca")
        .arg(pki.join("ca/root.crt"))
        .arg("--out")
        .arg(&out)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let json: Value =
        serde_json::from_slice(&std::fs::read(out.join("conformance.json")).unwrap()).unwrap();
    let specs = conformance::parse_expectations(
        &std::fs::read_to_string(repo_root().join("conformance/expectations.toml")).unwrap(),
        Path::new("expectations.toml"),
    )
    .unwrap();
    let mut graded_rejects = 0;
    for row in json["rows"].as_array().unwrap() {
        let name = row["case"].as_str().unwrap();
        let grade = row["grade"].as_str().unwrap();
        let spec = specs.iter().find(|s| s.name == name).unwrap();
        assert!(
            !matches!(grade, "pass" | "pass_alt") || spec.accept,
            "{name} passed against a server that asks for no certificate: {row}"
        );
        if spec.accept || spec.record || grade == "skipped" {
            continue;
        }
        graded_rejects += 1;
        // It let no one in: "client authentication not requested" (issue 26, finding 5).
        assert_eq!(grade, "not_requested", "{name}: {row}");
        let observed = row["observed"].as_str().unwrap();
        assert!(observed.contains("no CertificateRequest"), "{observed}");
        assert!(row["problem"]
            .as_str()
            .unwrap()
            .contains("no CertificateRequest"));
        let evidence = &row["evidence"];
        assert_eq!(evidence["cert_requested"], 0, "{name}: {evidence}");
        assert!(evidence["refused_without_request"].as_u64().unwrap() > 0);
    }
    assert!(
        graded_rejects >= 10,
        "only {graded_rejects} reject rows graded"
    );
    // The same facts in summary.json: every attempt observed, none asked for a certificate.
    let summary = summary_json(&out);
    for c in summary["cases"].as_array().unwrap() {
        if c["skipped"].is_null() {
            let e = &c["evidence"];
            assert_eq!(e["attempts_observed"], c["attempts"], "{}", c["name"]);
            assert_eq!(e["cert_requested"], 0);
            assert_eq!(c["outcomes"]["refused_without_cert_request"], c["attempts"]);
            assert_eq!(c["http_statuses"]["403"], c["attempts"]);
        }
    }
    super::schema::assert_valid(&super::schema::validator(), &summary);
}

#[test]
fn a_certificate_request_and_its_ca_names_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let pki = vendor_pki(dir.path());
    let server = TestServer::start(&pki, true, reply("200 OK", "ok\n"));
    let s = scenario(
        r#"
version = 1
[defaults]
load = { concurrency = 1, handshakes = 3, warmup = "0s", timeout = "5s" }
expect = "accept"
[[case]]
name = "valid"
[[case]]
name = "none"
client_cert = "none"
[[case]]
name = "tls12"
tls = { versions = ["1.2"] }
"#,
    );
    let out = dir.path().join("run");
    let done = run(&s, &target_opts(&pki, &server, out.clone())).unwrap();
    let root = subject_of(&pki.join("ca/root.crt"));
    for name in ["valid", "none", "tls12"] {
        let c = case(&done.summary, name);
        assert!(c.met, "{name}: {}", c.verdict);
        let e = c.evidence.as_ref().unwrap();
        assert_eq!((e.attempts_observed, e.cert_requested), (3, 3), "{name}");
        assert_eq!(e.ca_names, std::slice::from_ref(&root), "{name}");
        assert!(!e.signature_schemes.is_empty());
        assert_eq!(e.accepted_without_request, 0);
        let (sent, empty) = if name == "none" { (0, 3) } else { (3, 0) };
        assert_eq!(
            (e.cert_sent, e.empty_certificate_sent),
            (sent, empty),
            "{name}"
        );
    }
    let json = summary_json(&out);
    assert_eq!(json["cases"][0]["evidence"]["ca_names"][0], root.as_str());
    super::schema::assert_valid(&super::schema::validator(), &json);
}

/// The grade of `case` in a one-case conformance run against `server`.
fn graded(dir: &Path, pki: &Path, server: &TestServer, case_toml: &str) -> (Grade, RunSummary) {
    let specs = conformance::parse_expectations(
        &std::fs::read_to_string(repo_root().join("conformance/expectations.toml")).unwrap(),
        Path::new("expectations.toml"),
    )
    .unwrap();
    let specs: Vec<_> = specs.into_iter().filter(|s| s.skip.is_none()).collect();
    let s = scenario(&format!(
        "version = 1\n[defaults]\nload = {{ concurrency = 1, handshakes = 2, warmup = \"0s\", timeout = \"5s\" }}\n{case_toml}"
    ));
    let out = dir.join(format!("run-{}", server.addr.port()));
    let suite = conformance::run_suite(&s, &target_opts(pki, server, out), &specs, &[]).unwrap();
    (suite.rows[0].grade, suite.run.summary)
}

#[test]
fn http_refusals_are_classified_from_status_and_body() {
    let dir = tempfile::tempdir().unwrap();
    let pki = vendor_pki(dir.path());
    let missing = "[[case]]\nname = \"a1-no-cert-tls13\"\nclient_cert = \"none\"\n";
    let expired = "[[case]]\nname = \"b3-expired\"\nclient_cert = \"expired\"\n";
    for (reply, case_toml, class, grade) in [
        (
            reply("400 Bad Request", NGINX_496),
            missing,
            "http_no_certificate",
            Grade::PassAlt,
        ),
        (
            reply("400 Bad Request", NGINX_495),
            expired,
            "http_certificate_error",
            Grade::PassAlt,
        ),
        (
            reply("400 Bad Request", NGINX_495),
            missing,
            "http_certificate_error",
            Grade::Deviation,
        ),
        (
            reply("403 Forbidden", "forbidden\n"),
            expired,
            "http_forbidden",
            Grade::Deviation,
        ),
        (
            reply("421 Misdirected Request", ""),
            expired,
            "http_misdirected",
            Grade::Deviation,
        ),
        (
            reply("400 Bad Request", "bad request\n"),
            expired,
            "http_error",
            Grade::Deviation,
        ),
    ] {
        let server = TestServer::start(&pki, true, reply);
        let (got, summary) = graded(dir.path(), &pki, &server, case_toml);
        let c = &summary.cases[0];
        assert_eq!(c.outcomes.get(class), Some(&2), "{class}: {:?}", c.outcomes);
        assert_eq!(got, grade, "{class} for {case_toml}");
        let e = c.evidence.as_ref().unwrap();
        assert_eq!(e.refused_after_certificate, 2, "{class}");
    }
}

#[test]
fn a_refusal_before_the_certificate_is_never_graded() {
    let dir = tempfile::tempdir().unwrap();
    let pki = vendor_pki(dir.path());
    // TLS 1.2 only, against a case pinned to TLS 1.3: protocol_version before any
    // CertificateRequest. A stock ClientHello reaches client authentication, so the case's
    // version is the cause: the case is skipped with it, neither a pass nor a fail row.
    let server = TestServer::start_with(&pki, true, reply("200 OK", "ok\n"), true);
    let specs = conformance::parse_expectations(
        &std::fs::read_to_string(repo_root().join("conformance/expectations.toml")).unwrap(),
        Path::new("expectations.toml"),
    )
    .unwrap();
    let specs: Vec<_> = specs.into_iter().filter(|s| s.skip.is_none()).collect();
    let s = scenario(
        "version = 1\n[defaults]\nload = { concurrency = 1, handshakes = 2, warmup = \"0s\", timeout = \"5s\" }\n[[case]]\nname = \"b3-expired\"\nclient_cert = \"expired\"\ntls = { versions = [\"1.3\"] }\n",
    );
    let out = dir.path().join("run");
    let suite = conformance::run_suite(&s, &target_opts(&pki, &server, out), &specs, &[])
        .unwrap_or_else(|e| panic!("{e}"));
    let [row] = suite.rows.as_slice() else {
        panic!("one row expected: {:?}", suite.rows);
    };
    assert_eq!(row.grade, Grade::Skipped, "{row:?}");
    for words in [
        "TLS 1.3 with groups",
        "before client authentication with alert protocol_version (70)",
        "negotiated TLS 1.2",
        "the target does not speak this case's TLS version",
    ] {
        assert!(row.observed.contains(words), "{words}: {}", row.observed);
    }
}

#[test]
fn nginx_evidence_shows_its_certificate_request() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[defaults]
server = "nginx"
load = { concurrency = 1, handshakes = 3, warmup = "0s", timeout = "5s" }
[[case]]
name = "valid"
expect = "accept"
[[case]]
name = "none"
client_cert = "none"
expect = "reject"
reject_reason = "cert_required"
[[case]]
name = "expired"
client_cert = "expired"
expect = "reject"
reject_reason = "cert_expired"
"#,
    );
    let done = super::support::run_in(&s, dir.path());
    for name in ["valid", "none", "expired"] {
        let c = case(&done.summary, name);
        assert!(c.met, "{name}: {}", c.verdict);
        let e = c.evidence.as_ref().unwrap();
        assert_eq!((e.attempts_observed, e.cert_requested), (3, 3), "{name}");
        assert_eq!(e.ca_names.len(), 1, "{name}: {:?}", e.ca_names);
        let refused = if name == "valid" { 0 } else { 3 };
        assert_eq!(e.refused_after_certificate, refused, "{name}");
    }
    // nginx's 400 page for the missing certificate, refined by its error log.
    let none = case(&done.summary, "none");
    assert_eq!(none.http_statuses.get("400"), Some(&3));
    assert!(none.peer_verdict.is_some());
}

/// The rustls client tells "no session left to offer" from "the server declined the session":
/// node 20's server sends no ticket after a resumed TLS 1.3 handshake, so after two
/// resumptions the client's store is empty. Those handshakes are counted as `no_session`
/// (full handshakes the client chose), not as offered sessions the server refused, and the
/// case still fails on resumption, saying which.
#[test]
fn a_client_without_a_ticket_left_is_told_apart_from_a_declined_resumption() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 1
[defaults]
server = "node"
tls = { versions = ["1.3"], groups = ["x25519"], resumption = "tickets" }
load = { concurrency = 1, handshakes = 12, warmup = "300ms", timeout = "5s" }

[[case]]
name = "node"
"#,
    );
    let out = super::support::run_in(&s, dir.path());
    let c = case(&out.summary, "node");
    let r = c.resumption.as_ref().unwrap();
    assert_eq!(c.outcomes.get("accepted"), Some(&12), "{}", c.verdict);
    assert_eq!(r.missed, 0, "{}", c.verdict);
    assert!(r.no_session >= 3 && r.resumed >= 6, "{r:?}");
    assert_eq!(r.offered, r.resumed, "{r:?}");
    assert_eq!(r.resumed + r.no_session, 12, "{r:?}");
    assert!(!c.met);
    assert!(
        c.verdict.contains(&format!(
            "{} handshakes that were to resume found no session to offer",
            r.no_session
        )),
        "{}",
        c.verdict
    );
}

/// An identity's first handshake keeps its session where the identity's resumptions look for
/// it: with no warm-up, each of two identities makes one full handshake and then resumes every
/// time (the rustls client once made the first one through a configuration that keeps no
/// sessions, so the second found nothing to offer and was a full handshake too).
#[test]
fn the_first_handshake_of_an_identity_primes_its_resumptions() {
    let dir = tempfile::tempdir().unwrap();
    let s = scenario(
        r#"
version = 1
[pki]
identities = 2
[defaults]
tls = { versions = ["1.2", "1.3"], resumption = "tickets" }
load = { concurrency = 1, handshakes = 10, warmup = "0s", timeout = "5s" }

[[case]]
name = "cold"
"#,
    );
    let out = super::support::run_in(&s, dir.path());
    let c = case(&out.summary, "cold");
    let r = c.resumption.as_ref().unwrap();
    assert_eq!(c.outcomes.get("accepted"), Some(&10), "{}", c.verdict);
    assert_eq!(
        (r.resumed, r.offered, r.missed, r.no_session),
        (8, 8, 0, 0),
        "{r:?}"
    );
    assert!(c.met, "{}", c.verdict);
}
