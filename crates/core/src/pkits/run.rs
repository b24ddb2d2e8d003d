//! Running the suite: per server peer and per group of tests that agree on their CRLs, one
//! server process started through `peers::programs::start_server` (its own certificate is the
//! harness's; the client CA is PKITS's trust anchor; the CRL file holds the group's CRLs, which
//! the peers that check the whole chain extend as they always do), then one handshake per test
//! with the test's chain and key from the harness's rustls client, over TCP on 127.0.0.1.
//!
//! What the server logged while a test ran (read up to the next test's start, so nothing is
//! waited for) is the row's `peer_verdict`: the stack's own reason.

use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use openssl::x509::X509Crl;

use super::catalog;
use super::data::{Suite, Test};
use super::grade;
use super::groups::{self, Group};
use super::loadable;
use super::report::{self, Outcome};
use super::PkitsError;
use crate::conformance::{Deviation, Row};
use crate::load::attempt;
use crate::peers::{self, ProcessError, RevocationArgs, RunningServer, RustlsClient, Target};
use crate::pki::{self, KeyType, OwnCredential, Pki, PkiFiles, PkiSpec};
use crate::scenario::{Case, ServerImpl};

/// The server peers run by default: every stack the harness starts itself (the stacks whose
/// entry in the stack table, `peers::programs::SERVERS`, says `by_default`).
pub const DEFAULT_SERVERS: &[ServerImpl] = peers::programs::DEFAULT_SERVERS;

/// How long one handshake may take.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest wait for a server's log after a refusal (peers that log nothing cost this).
const LOG_WAIT: Duration = Duration::from_millis(120);

/// How long a log must stay unchanged after it grew to count as written.
const LOG_QUIET: Duration = Duration::from_millis(8);

/// Log lines that are the previous connection's teardown, not a verdict (node logs the reset
/// of the connection the client closed after its verdict).
const TEARDOWN: [&str; 1] = ["ECONNRESET"];

/// The most a server's log may say about one test (bytes read).
const MAX_SAID: u64 = 16 * 1024;

/// What a run is asked to do.
#[derive(Debug, Clone)]
pub struct PkitsOptions {
    /// The output directory (created).
    pub out: PathBuf,
    /// The server peers.
    pub servers: Vec<ServerImpl>,
    /// Only the tests whose id (`4.4.3`), section (`4.4`) or name is listed; empty: all.
    pub only: Vec<String>,
    /// The `mtls-harness` binary (the built-in servers run as `mtls-harness serve`).
    pub harness_exe: PathBuf,
    /// The known deviations.
    pub deviations: Vec<Deviation>,
}

/// The tests of `suite` a run covers: sections 4.1-4.14, narrowed by `only`.
pub fn selected<'a>(suite: &'a Suite, only: &[String]) -> Vec<&'a Test> {
    suite
        .tests
        .iter()
        .filter(|t| catalog::section(t.place.section).is_some_and(|s| s.not_run.is_none()))
        .filter(|t| {
            only.is_empty()
                || only
                    .iter()
                    .any(|o| *o == t.place.id || *o == t.place.section || *o == t.name)
        })
        .collect()
}

/// Runs the selected tests of `suite` against every server of `opts` and writes the reports.
///
/// The built-in servers log why they refused a client at debug level only: run with
/// `RUST_LOG` set to [`super::SERVER_LOG`] (the `pkits` command does) to have their reasons in
/// the rows.
///
/// # Errors
/// When the output directory, the server's credentials or a report cannot be written. A peer
/// that cannot start is a row (`skipped` or `error`), not an error of the run.
pub fn run(suite: &Suite, opts: &PkitsOptions) -> Result<Outcome, PkitsError> {
    let started = Instant::now();
    let tests: Vec<Test> = selected(suite, &opts.only).into_iter().cloned().collect();
    let groups = groups::group(&tests);
    mkdir(&opts.out.join("peers"))?;
    let (pki, server_files) = server_pki(&opts.out.join("server-pki"))?;
    let mut group_files = Vec::new();
    for (i, g) in groups.iter().enumerate() {
        group_files.push(write_group(
            &opts.out.join("groups").join(format!("g{i}")),
            suite,
            g,
            &server_files,
        )?);
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| PkitsError::File {
            path: opts.out.clone(),
            reason: format!("starting the async runtime: {e}"),
        })?;
    let mut rows = Vec::new();
    let mut peer_seconds = Vec::new();
    for &server in &opts.servers {
        let peer_started = Instant::now();
        let case = case_for(server)?;
        let peer = PeerRun {
            suite,
            opts,
            tests: &tests,
            runtime: &runtime,
            case: &case,
            pki: &pki,
            server,
        };
        for (i, (g, (files, all_crls))) in groups.iter().zip(&group_files).enumerate() {
            peer.run_group(i, g, files, all_crls, &mut rows)?;
        }
        peer_seconds.push((
            server.name().to_string(),
            peer_started.elapsed().as_secs_f64(),
        ));
    }
    let mut rows = order_rows(rows, &tests);
    let deviations = checked_deviations(suite, opts, &tests);
    let suite_problems = crate::conformance::settle(&mut rows, &deviations);
    report::write(
        &opts.out,
        suite,
        &tests,
        groups.len(),
        rows,
        suite_problems,
        peer_seconds,
        started.elapsed(),
    )
}

/// What every group of one peer runs with.
struct PeerRun<'a> {
    suite: &'a Suite,
    opts: &'a PkitsOptions,
    tests: &'a [Test],
    runtime: &'a tokio::runtime::Runtime,
    case: &'a Case,
    pki: &'a Pki,
    server: ServerImpl,
}

impl PeerRun<'_> {
    /// Group `i` against this peer: its server started with the group's CA files and the
    /// CRLs it loads, each test a row (skipped when the server does not start or refuses a
    /// CRL the test needs).
    fn run_group(
        &self,
        i: usize,
        g: &Group,
        files: &PkiFiles,
        all_crls: &Path,
        rows: &mut Vec<Row>,
    ) -> Result<(), PkitsError> {
        let (opts, server, tests) = (self.opts, self.server, self.tests);
        let log = opts
            .out
            .join("peers")
            .join(format!("{}-g{i}-server.log", server.name()));
        let (crl, refused) = loadable_crls(server, self.suite, g, all_crls)?;
        let refused_for = |t: &Test| {
            refused
                .iter()
                .find(|(c, _)| t.crls.contains(c))
                .map(|(c, why)| {
                    format!("{why} (the CRL of {}, which this test needs)", crl_name(c))
                })
        };
        let revocation = RevocationArgs {
            crl_file: Some(&crl),
            crl_check_all: true,
            ..RevocationArgs::default()
        };
        let running = peers::start_server(
            &opts.harness_exe,
            self.case,
            files,
            &revocation,
            &log,
            None,
            None,
        );
        let group_tests = g.tests.iter().map(|&t| &tests[t]);
        match running {
            Err(ProcessError::Skipped { reason }) => {
                rows.extend(group_tests.map(|t| grade::skipped(t, server.name(), &reason)));
            }
            Err(e) => {
                let reason = format!("the server did not start: {e}");
                rows.extend(group_tests.map(|t| grade::error(t, server.name(), &reason)));
            }
            Ok(running) => {
                let mut tests: Vec<&Test> = Vec::new();
                for t in group_tests {
                    match refused_for(t) {
                        Some(why) => rows.push(grade::skipped(t, server.name(), &why)),
                        None => tests.push(t),
                    }
                }
                rows.extend(run_group(
                    self.runtime,
                    &running,
                    self.case,
                    self.pki,
                    &tests,
                    server,
                ));
                running.stop();
            }
        }
        Ok(())
    }
}

/// A CRL a stack refuses to load, and why.
type Refused<'g> = (&'g Vec<u8>, String);

/// The CRL file `server` is given for group `g` (every CRL of the group, or a file without
/// the ones it refuses to load at all), and the refused CRLs with the reason.
fn loadable_crls<'g>(
    server: ServerImpl,
    suite: &Suite,
    g: &'g Group,
    all_crls: &Path,
) -> Result<(PathBuf, Vec<Refused<'g>>), PkitsError> {
    // CRLs this stack refuses to load at all: left out, and their tests skipped.
    let refused: Vec<Refused<'_>> = g
        .crls
        .iter()
        .filter_map(|c| loadable::refusal(server, &suite.anchor, c).map(|r| (c, r)))
        .collect();
    let crl = if refused.is_empty() {
        all_crls.to_path_buf()
    } else {
        let path = all_crls.with_file_name(format!("crls-{}.pem", server.name()));
        let kept: Vec<Vec<u8>> = g
            .crls
            .iter()
            .filter(|c| !refused.iter().any(|(r, _)| r == c))
            .cloned()
            .collect();
        write_crls(&path, &kept)?;
        path
    };
    Ok((crl, refused))
}

/// The deviations this run checks: a listed deviation of a peer or test this run left out
/// (--server, --only) is not checked; one naming a test PKITS does not have stays, and fails
/// the run.
fn checked_deviations(suite: &Suite, opts: &PkitsOptions, tests: &[Test]) -> Vec<Deviation> {
    opts.deviations
        .iter()
        .filter(|d| {
            let peer_run = opts.servers.iter().any(|s| s.name() == d.peer);
            let known = suite.tests.iter().any(|t| grade::case_name(t) == d.case);
            let test_run = tests.iter().any(|t| grade::case_name(t) == d.case);
            let peer_known = d.peer.parse::<ServerImpl>().is_ok();
            (peer_run && test_run) || !known || !peer_known
        })
        .cloned()
        .collect()
}

/// Rows by test (NIST's order), then by peer in run order.
fn order_rows(rows: Vec<Row>, tests: &[Test]) -> Vec<Row> {
    let mut peers: Vec<String> = Vec::new();
    for r in &rows {
        if !peers.contains(&r.peer) {
            peers.push(r.peer.clone());
        }
    }
    let mut keyed: Vec<(usize, usize, Row)> = rows
        .into_iter()
        .map(|r| {
            let t = tests
                .iter()
                .position(|t| grade::case_name(t) == r.case)
                .unwrap_or(usize::MAX);
            let p = peers.iter().position(|p| *p == r.peer).unwrap_or(0);
            (t, p, r)
        })
        .collect();
    keyed.sort_by_key(|(t, p, _)| (*t, *p));
    keyed.into_iter().map(|(_, _, r)| r).collect()
}

/// One handshake per test against `running`.
fn run_group(
    runtime: &tokio::runtime::Runtime,
    running: &RunningServer,
    case: &Case,
    pki: &Pki,
    tests: &[&Test],
    server: ServerImpl,
) -> Vec<Row> {
    let logs: Vec<PathBuf> = [Some(running.log()), running.error_log()]
        .into_iter()
        .flatten()
        .map(Path::to_path_buf)
        .collect();
    let target = Target {
        given: running.addr.to_string(),
        addr: running.addr,
        server_name: "localhost".into(),
        ca: vec![pki.root.clone()],
        credential: None,
        path: "/".into(),
    };
    // What the server logs about the readiness probe's connection is no test's.
    settle_logs(&logs, &log_sizes(&logs));
    let mut rows: Vec<Row> = Vec::new();
    // The row whose server output is still being read, and where its logs began.
    let mut pending: Option<(usize, Vec<u64>)> = None;
    for test in tests {
        let offsets = log_sizes(&logs);
        if let Some((row, from)) = pending.take() {
            rows[row].peer_verdict = said(&logs, &from);
        }
        let Some(key) = &test.key else {
            let reason = test.key_problem.as_deref().unwrap_or("no usable key");
            rows.push(grade::skipped(test, server.name(), reason));
            continue;
        };
        let own = OwnCredential {
            cert_file: PathBuf::from(&test.ee_file),
            chain: test.chain.clone(),
            key: std::sync::Arc::clone(key),
            subject: test.name.clone(),
            sha256: String::new(),
        };
        // A certificate rustls cannot parse for its key check (4.3.6's unique identifiers) is
        // sent unchecked: the server judges it.
        let client = RustlsClient::for_target_with(case, pki, &target, Some(&own))
            .or_else(|_| RustlsClient::for_target_unchecked(case, pki, &target, &own));
        let client = match client {
            Ok(client) => client,
            Err(e) => {
                rows.push(grade::skipped(
                    test,
                    server.name(),
                    &format!("the harness's client cannot present this credential: {e}"),
                ));
                continue;
            }
        };
        let sample = runtime.block_on(attempt(
            &client,
            running.addr,
            0,
            Instant::now(),
            ATTEMPT_TIMEOUT,
            false,
        ));
        rows.push(grade::graded(test, server.name(), &sample, None));
        if sample.outcome != crate::measure::Outcome::Accepted {
            // The client may see the refusal before the server has logged its reason.
            settle_logs(&logs, &offsets);
        }
        pending = Some((rows.len() - 1, offsets));
    }
    if let Some((row, from)) = pending {
        rows[row].peer_verdict = said(&logs, &from);
    }
    rows
}

/// Waits until the logs grew past `from` and then stayed unchanged for [`LOG_QUIET`], or
/// [`LOG_WAIT`] passed: so a test's reason is read with it, not with the next test.
fn settle_logs(logs: &[PathBuf], from: &[u64]) {
    let started = Instant::now();
    let mut last = log_sizes(logs);
    let mut since = Instant::now();
    while started.elapsed() < LOG_WAIT {
        std::thread::sleep(Duration::from_millis(2));
        let now = log_sizes(logs);
        if now != last {
            last = now;
            since = Instant::now();
        } else if last.iter().zip(from).any(|(n, f)| n > f) && since.elapsed() >= LOG_QUIET {
            return;
        }
    }
}

fn log_sizes(logs: &[PathBuf]) -> Vec<u64> {
    logs.iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .collect()
}

/// The lines of the server's logs since `from` that give a reason (errors, verify results).
fn said(logs: &[PathBuf], from: &[u64]) -> Option<String> {
    const WORDS: [&str; 13] = [
        "error",
        "verify",
        "reject",
        "refused",
        "fail",
        "revoked",
        "invalid",
        "exception",
        "denied",
        "alert",
        "unable",
        "not trusted",
        "cannot be verified",
    ];
    // Lines with a keyword that give no reason: s_server's chain walk of an accepted client.
    const NOT_A_REASON: [&str; 2] = ["verify return:1", "depth="];
    let mut lines = Vec::new();
    for (path, &start) in logs.iter().zip(from) {
        let Ok(mut f) = std::fs::File::open(path) else {
            continue;
        };
        if f.seek(SeekFrom::Start(start)).is_err() {
            continue;
        }
        let mut bytes = Vec::new();
        let _ = f.take(MAX_SAID).read_to_end(&mut bytes);
        for line in String::from_utf8_lossy(&bytes).lines() {
            let lower = line.to_ascii_lowercase();
            let noise = TEARDOWN.iter().any(|t| line.contains(t))
                || NOT_A_REASON
                    .iter()
                    .any(|n| line.trim_start().starts_with(n));
            if WORDS.iter().any(|w| lower.contains(w)) && !noise {
                let line: String = line.trim().chars().take(300).collect();
                if !lines.contains(&line) {
                    lines.push(line);
                }
            }
        }
    }
    let keep = lines.len().saturating_sub(4);
    (!lines.is_empty()).then(|| lines[keep..].join(" | "))
}

/// The case every server of `server` runs: client certificate required, CRLs from a file
/// (hard fail), TLS 1.3.
fn case_for(server: ServerImpl) -> Result<Case, PkitsError> {
    let text = format!(
        r#"version = 1
name = "pkits"
[defaults]
client = "rustls"
key = "ecdsa-p256"
tls = {{ versions = ["1.3"], groups = ["x25519"] }}
load = {{ concurrency = 1, handshakes = 1, warmup = "0s", timeout = "5s" }}
revocation = {{ mode = "crl" }}
[[case]]
name = "pkits"
server = "{}"
"#,
        server.name()
    );
    let scenario = crate::scenario::parse(&text, Path::new("pkits.toml")).map_err(|e| {
        PkitsError::Fixtures(format!("the built-in PKITS case does not parse: {e}"))
    })?;
    scenario
        .cases
        .into_iter()
        .next()
        .ok_or_else(|| PkitsError::Fixtures("the built-in PKITS case is empty".into()))
}

fn mkdir(dir: &Path) -> Result<(), PkitsError> {
    std::fs::create_dir_all(dir).map_err(|e| PkitsError::File {
        path: dir.to_path_buf(),
        reason: e.to_string(),
    })
}

/// The harness's own server certificate and key (and the root the client trusts for it).
fn server_pki(dir: &Path) -> Result<(Pki, PkiFiles), PkitsError> {
    let spec = PkiSpec::new(KeyType::EcdsaP256, 1);
    let pki = pki::generate(&spec).map_err(|e| PkitsError::Fixtures(e.to_string()))?;
    let files = pki::write_pki(&pki, dir).map_err(|e| PkitsError::Fixtures(e.to_string()))?;
    Ok((pki, files))
}

/// Writes a group's files: `ca/root.crt` (the PKITS trust anchor: the client CA, and the only
/// CA the whole-chain CRL helper finds, so it adds nothing) and `crls.pem`.
fn write_group(
    dir: &Path,
    suite: &Suite,
    group: &Group,
    server: &PkiFiles,
) -> Result<(PkiFiles, PathBuf), PkitsError> {
    mkdir(&dir.join("ca"))?;
    let root_cert = dir.join("ca").join("root.crt");
    let anchor = rustls::pki_types::CertificateDer::from(suite.anchor.clone());
    write(&root_cert, pki::certs_pem(&[anchor]).as_bytes())?;
    let crl = dir.join("crls.pem");
    write_crls(&crl, &group.crls)?;
    let files = PkiFiles {
        dir: dir.to_path_buf(),
        root_cert,
        server_chain: server.server_chain.clone(),
        server_key: server.server_key.clone(),
        server_must_staple: server.server_must_staple.clone(),
    };
    Ok((files, crl))
}

/// Writes `crls` (DER) as one PEM file.
fn write_crls(path: &Path, crls: &[Vec<u8>]) -> Result<(), PkitsError> {
    let mut pem = Vec::new();
    for crl in crls {
        match X509Crl::from_der(crl).and_then(|c| c.to_pem()) {
            Ok(p) => pem.extend(p),
            // A CRL OpenSSL cannot read is no CRL to any OpenSSL-based peer either.
            Err(e) => tracing::warn!("a PKITS CRL does not parse and is left out: {e}"),
        }
    }
    write(path, &pem)
}

/// The issuer's common name of a CRL, for reasons.
fn crl_name(crl: &[u8]) -> String {
    X509Crl::from_der(crl)
        .ok()
        .and_then(|c| {
            c.issuer_name()
                .entries()
                .last()
                .and_then(|e| e.data().to_string().ok())
        })
        .map_or_else(|| "an unreadable CRL".into(), |n| format!("{n:?}"))
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), PkitsError> {
    crate::fsutil::write_atomic(path, bytes, 0o644).map_err(|e| PkitsError::File {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })
}
