//! Fuzzing with proptest (cargo-fuzz needs a nightly toolchain): every parser of untrusted
//! input gets hostile and mutated input and must not panic or hang, must classify bad input
//! as an error or a verdict, and, where it writes what it reads, must round-trip. The targets:
//! the scenario reader, the hlog reader and `merge`, OCSP responses (and requests, the
//! responder's input), CRLs (the built-in server's and nginx's loading), HTTP status lines and
//! the process clients' output, and nginx's error log.
//!
//! Each target first feeds its committed seed corpus (`tests/fuzz-corpus/<target>/`), then
//! mutations of the corpus and of real inputs (the shipped scenarios, logs and responses
//! written by the crate itself), then arbitrary input. Every call runs on its own thread with
//! a deadline ([`DEADLINE`]): a hang is a failure, not a stuck test. Cases per target:
//! [`DEFAULT_CASES`], or `MTLS_FUZZ_CASES` for a longer run (docs/fuzzing.md).

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime};

use der::{Decode, Encode};
use proptest::prelude::*;
use proptest::sample::{select, Index};
use proptest::test_runner::{Config, TestRunner};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer};
use rustls::server::WebPkiClientVerifier;

use mtls_harness::measure::{Intervals, Outcome};
use mtls_harness::peers::programs::{node_client, s_client};
use mtls_harness::peers::{outcome_for_verify_error, verdict_from_log};
use mtls_harness::pki::{self, CrlKind, KeyType, Pki, PkiSpec};
use mtls_harness::report::{
    auto_histogram, merge, parse_hlog, read_hlog, render_hlog, write_hlog, IntervalLog,
};
use mtls_harness::revocation::ocsp::{verify_response, CertState, Expected, Responder};

/// Cases per target and strategy unless `MTLS_FUZZ_CASES` says otherwise.
const DEFAULT_CASES: u32 = 256;

/// The longest one parser call may take (a debug build on a loaded machine).
const DEADLINE: Duration = Duration::from_secs(20);

fn cases() -> u32 {
    std::env::var("MTLS_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(DEFAULT_CASES)
}

/// Runs `strategy` through `check` for [`cases`] cases and prints how many ran and how long.
fn fuzz<S: Strategy>(
    name: &str,
    strategy: S,
    check: impl Fn(S::Value) -> Result<(), TestCaseError>,
) {
    let config = Config {
        cases: cases(),
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let t0 = Instant::now();
    if let Err(e) = runner.run(&strategy, check) {
        panic!("fuzz target {name}: {e}");
    }
    eprintln!(
        "fuzz {name}: {} cases in {:.1} s",
        cases(),
        t0.elapsed().as_secs_f64()
    );
}

/// `f(input)` on its own thread: its panic is resumed here, and it must finish within
/// [`DEADLINE`].
fn bounded<I: Send + 'static, T: Send + 'static>(
    what: &str,
    input: I,
    f: impl FnOnce(I) -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    let handle = std::thread::spawn(move || {
        let _ = tx.send(f(input));
    });
    match rx.recv_timeout(DEADLINE) {
        Ok(v) => {
            let _ = handle.join();
            v
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => match handle.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the thread sends before it ends"),
        },
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: no answer within {DEADLINE:?}"),
    }
}

/// The committed seed corpus of `target`, sorted by name.
fn corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no seed corpus in {}", dir.display());
    files
        .into_iter()
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect()
}

fn corpus_bytes(target: &str) -> Vec<Vec<u8>> {
    corpus(target).into_iter().map(|(_, b)| b).collect()
}

/// Tokens a mutation splices in: huge and odd numbers, TOML and PEM syntax, the markers the
/// log and output readers look for.
const TOKENS: &[&str] = &[
    "18446744073709551615",
    "18446744073709551616",
    "-9223372036854775809",
    "4294967296",
    "1e309",
    "-1",
    "nan",
    "inf",
    "0",
    "0s",
    "99999999999999h",
    "\"",
    "'''",
    "\"\"\"",
    "[",
    "]",
    "[[case]]\n",
    "[matrix]\n",
    "{",
    "}",
    "=",
    ",",
    "\n",
    "\r\n",
    "\0",
    "#",
    "\\u0000",
    "\u{202e}",
    "é",
    "-----BEGIN X509 CRL-----\n",
    "-----END X509 CRL-----\n",
    "HTTP/1.1 ",
    "SSL alert number ",
    "client SSL certificate verify error: (",
    "client sent no required SSL certificate",
    "#[StartTime: ",
    "#[BaseTime: ",
    "Tag=",
    ",",
];

/// One edit of a mutation.
#[derive(Clone, Debug)]
enum Edit {
    Insert(Index, Vec<u8>),
    Delete(Index, usize),
    Replace(Index, u8),
    FlipBit(Index, u8),
    Token(Index, &'static str),
    /// Copies a span (a line, a key) elsewhere: duplicate keys, repeated tables.
    Duplicate(Index, Index, usize),
    Truncate(Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<Index>(), prop::collection::vec(any::<u8>(), 1..8))
            .prop_map(|(i, b)| Edit::Insert(i, b)),
        (any::<Index>(), 1usize..64).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Replace(i, b)),
        (any::<Index>(), 0u8..8).prop_map(|(i, b)| Edit::FlipBit(i, b)),
        (any::<Index>(), select(TOKENS)).prop_map(|(i, t)| Edit::Token(i, t)),
        (any::<Index>(), any::<Index>(), 1usize..400)
            .prop_map(|(a, b, n)| Edit::Duplicate(a, b, n)),
        any::<Index>().prop_map(Edit::Truncate),
    ]
}

fn apply(seed: &[u8], edits: &[Edit]) -> Vec<u8> {
    let mut b = seed.to_vec();
    for e in edits {
        // Positions: within the buffer (or 0 when it is empty); insertions may append.
        let at = |i: &Index, len: usize| if len == 0 { 0 } else { i.index(len) };
        match e {
            Edit::Insert(i, bytes) => {
                let p = i.index(b.len() + 1);
                b.splice(p..p, bytes.iter().copied());
            }
            Edit::Delete(i, n) => {
                let p = at(i, b.len());
                let end = (p + n).min(b.len());
                b.drain(p..end);
            }
            Edit::Replace(i, byte) if !b.is_empty() => {
                let p = at(i, b.len());
                b[p] = *byte;
            }
            Edit::FlipBit(i, bit) if !b.is_empty() => {
                let p = at(i, b.len());
                b[p] ^= 1 << bit;
            }
            Edit::Token(i, t) => {
                let p = i.index(b.len() + 1);
                b.splice(p..p, t.bytes());
            }
            Edit::Duplicate(from, to, n) if !b.is_empty() => {
                let p = at(from, b.len());
                let span: Vec<u8> = b[p..(p + n).min(b.len())].to_vec();
                let q = to.index(b.len() + 1);
                b.splice(q..q, span);
            }
            Edit::Truncate(i) => {
                let p = i.index(b.len() + 1);
                b.truncate(p);
            }
            _ => {}
        }
    }
    b
}

/// Mutations (one to eight edits) of one of `seeds`.
fn mutated(seeds: Vec<Vec<u8>>) -> impl Strategy<Value = Vec<u8>> {
    (select(seeds), prop::collection::vec(edit(), 1..8)).prop_map(|(s, e)| apply(&s, &e))
}

/// Strings made of [`TOKENS`] and short words: closer to the grammar than random text.
fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![select(TOKENS).prop_map(str::to_string), "[a-z_.]{1,12}"],
        0..80,
    )
    .prop_map(|v| v.concat())
}

// --- 1. The scenario reader -------------------------------------------------------------

fn scenario_text(bytes: &[u8]) -> Result<(), TestCaseError> {
    let text = String::from_utf8_lossy(bytes).into_owned();
    let result = bounded("scenario::parse", text, |t| {
        mtls_harness::scenario::parse(&t, Path::new("fuzz.toml")).map_err(|e| e.to_string())
    });
    if let Err(e) = result {
        prop_assert!(e.contains("fuzz.toml"), "an error without its file: {e}");
    }
    Ok(())
}

fn shipped_scenarios() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    out.extend(corpus_bytes("scenario"));
    out
}

#[test]
fn scenario_reader_corpus_and_shipped_scenarios() {
    for (name, bytes) in corpus("scenario") {
        scenario_text(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    // The shipped scenarios are the round trip: each reads without a problem (run scenarios
    // only: scenarios/fleet/ holds the other format, `fleet`'s).
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios");
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "toml") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        if let Err(e) = mtls_harness::scenario::parse(&text, &path) {
            panic!("{}: {e}", path.display());
        }
    }
}

#[test]
fn scenario_reader_mutations() {
    fuzz("scenario mutations", mutated(shipped_scenarios()), |b| {
        scenario_text(&b)
    });
}

#[test]
fn scenario_reader_arbitrary_text() {
    fuzz(
        "scenario arbitrary",
        prop_oneof![any::<String>(), token_soup()],
        |s| scenario_text(s.as_bytes()),
    );
}

#[test]
fn scenario_reader_deep_nesting_and_long_keys() {
    let shape = (
        1usize..20_000,
        select(&["[", "{a=", "[[", "a.", "[a."][..]),
        select(&["version = 1\nname = \"n\"\n", ""][..]),
    );
    fuzz("scenario nesting", shape, |(depth, open, head)| {
        let close = match open {
            "[" => "]",
            "{a=" => "}",
            "[[" => "]]",
            _ => "",
        };
        let body = match open {
            "a." => format!("{}b = 1\n", open.repeat(depth)),
            "[a." => format!("{}b]\n", open.repeat(depth)),
            _ => format!("x = {}1{}\n", open.repeat(depth), close.repeat(depth)),
        };
        scenario_text(format!("{head}{body}").as_bytes())
    });
}

// --- 2. The hlog reader and merge ----------------------------------------------------

/// A real log, as `write_hlog` writes it for a run.
fn written_hlog() -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let t0 = std::time::Instant::now();
    let mut iv = Intervals::starting(t0, Duration::from_millis(250));
    for i in 0..200u64 {
        iv.record_accepted(t0 + Duration::from_millis(i * 5), 100 + i * 37);
    }
    let name = write_hlog(dir.path(), "seed", "seed case", &iv).unwrap();
    std::fs::read(dir.path().join(name)).unwrap()
}

/// Parses `bytes`; when it reads, merges it (alone and with itself) and checks the merge:
/// counts add up, the grid is bounded, and the merged log reads back with the same total.
fn hlog_bytes(bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let checked = bounded("hlog parse + merge", bytes, |bytes| {
        let Ok(log) = parse_hlog(&bytes, Path::new("fuzz.hlog")) else {
            return Ok(());
        };
        let total = log.total().len();
        let merged = merge(std::slice::from_ref(&log));
        let twice = merge(&[log.clone(), log]);
        if merged.total.len() != total || twice.total.len() != 2 * total {
            return Err(format!(
                "merge lost counts: {total} -> {} / {}",
                merged.total.len(),
                twice.total.len()
            ));
        }
        // report::merge's MAX_SLOTS.
        if twice.slots.len() > 10_000 {
            return Err(format!("a grid of {} slots", twice.slots.len()));
        }
        let text = merged.log_text("fuzz").map_err(|e| e.to_string())?;
        let again = parse_hlog(&text, Path::new("merged.hlog")).map_err(|e| e.to_string())?;
        if again.total() != merged.total {
            return Err("the merged log does not read back to its total".into());
        }
        Ok(())
    });
    checked.map_err(TestCaseError::fail)
}

fn hlog_seeds() -> Vec<Vec<u8>> {
    let mut seeds = corpus_bytes("hlog");
    seeds.push(written_hlog());
    seeds
}

#[test]
fn hlog_corpus_reads_or_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in corpus("hlog") {
        // Through the file reader too (it bounds the size).
        let path = dir.path().join(&name);
        std::fs::write(&path, &bytes).unwrap();
        let _ = read_hlog(&path);
        hlog_bytes(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn hlog_mutations() {
    fuzz("hlog mutations", mutated(hlog_seeds()), hlog_bytes);
}

#[test]
fn hlog_arbitrary_lines() {
    // Lines shaped like intervals: numbers (some huge) and base64-ish text.
    let number = prop_oneof![
        any::<f64>().prop_map(|f| format!("{f}")),
        (0u64..100_000, 0u32..1000).prop_map(|(s, ms)| format!("{s}.{ms:03}")),
        select(TOKENS).prop_map(str::to_string),
    ];
    let line = prop_oneof![
        (
            number.clone(),
            number.clone(),
            number,
            "[A-Za-z0-9+/=]{0,80}"
        )
            .prop_map(|(a, b, c, d)| format!("{a},{b},{c},{d}\n")),
        "#\\[(StartTime|BaseTime): [0-9.e+-]{0,30}\\]\n",
        any::<String>(),
    ];
    fuzz(
        "hlog arbitrary",
        prop::collection::vec(line, 0..20),
        |lines| hlog_bytes(lines.concat().into_bytes()),
    );
}

/// An uncompressed V2 histogram (the decoder reads both encodings) with hostile header fields:
/// declared payload length, digits, lowest and highest value; then a few payload bytes.
fn v2_histogram() -> impl Strategy<Value = Vec<u8>> {
    let high = prop_oneof![
        Just(u64::MAX),
        Just(0),
        Just(1),
        2u64..1 << 40,
        any::<u64>()
    ];
    (
        prop_oneof![Just(u32::MAX), 0u32..64, any::<u32>()],
        0u32..8,
        prop_oneof![Just(0u64), Just(1), any::<u64>()],
        high,
        prop::collection::vec(any::<u8>(), 0..32),
    )
        .prop_map(|(len, digits, low, high, payload)| {
            let mut b = vec![0x1c, 0x84, 0x93, 0x13];
            b.extend(len.to_be_bytes());
            b.extend(0u32.to_be_bytes());
            b.extend(digits.to_be_bytes());
            b.extend(low.to_be_bytes());
            b.extend(high.to_be_bytes());
            b.extend(1.0f64.to_be_bytes());
            b.extend(payload);
            b
        })
}

#[test]
fn hlog_hostile_histogram_headers() {
    use base64::Engine as _;
    fuzz(
        "hlog histogram headers",
        prop::collection::vec(v2_histogram(), 1..4),
        |hists| {
            let mut text = String::from("#[BaseTime: 1800000000.000 (seconds since epoch)]\n");
            for (i, h) in hists.iter().enumerate() {
                let b64 = base64::engine::general_purpose::STANDARD.encode(h);
                text.push_str(&format!("{i}.000,1.000,1.0,{b64}\n"));
            }
            hlog_bytes(text.into_bytes())
        },
    );
}

#[test]
fn hlog_round_trips_what_it_renders() {
    // Offsets and lengths in ms; at least 250 ms long over at most 60 s keeps the merged
    // grid (rendered and read back in `hlog_bytes`) small.
    let entry = (
        0u32..60_000,
        250u32..5_000,
        prop::collection::vec(1u64..10_000_000, 0..20),
    );
    fuzz(
        "hlog round trip",
        (
            prop::collection::vec(entry, 1..12),
            1_000_000_000u64..4_000_000_000,
        ),
        |(entries, base)| {
            let hists: Vec<_> = entries
                .iter()
                .map(|(_, _, values)| {
                    let mut h = auto_histogram();
                    for v in values {
                        h.record(*v).unwrap();
                    }
                    h
                })
                .collect();
            let rendered: Vec<(f64, f64, &hdrhistogram::Histogram<u64>)> = entries
                .iter()
                .zip(&hists)
                .map(|((off, len, _), h)| (f64::from(*off) / 1000.0, f64::from(*len) / 1000.0, h))
                .collect();
            let text = render_hlog(&rendered, base as f64, "round trip").unwrap();
            let log: IntervalLog = parse_hlog(&text, Path::new("rt.hlog"))
                .map_err(|e| TestCaseError::fail(e.to_string()))?;
            prop_assert_eq!(log.intervals.len(), hists.len());
            for (read, written) in log.intervals.iter().zip(&hists) {
                prop_assert_eq!(&read.histogram, written);
            }
            hlog_bytes(text)
        },
    );
}

// --- 3. OCSP and CRLs ------------------------------------------------------------------

struct Fixture {
    pki: Pki,
    files: pki::PkiFiles,
    _dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let pki = pki::generate(&PkiSpec::new(KeyType::EcdsaP256, 2)).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let files = pki::write_pki(&pki, &dir.path().join("pki")).unwrap();
        Fixture {
            pki,
            files,
            _dir: dir,
        }
    })
}

fn cert(der: &CertificateDer<'_>) -> x509_cert::Certificate {
    x509_cert::Certificate::from_der(der.as_ref()).unwrap()
}

/// The responder's DER answer about `leaf` (revoked first when `revoke`), with the leaf and
/// its issuer.
fn real_response(revoke: bool) -> (Vec<u8>, x509_cert::Certificate, x509_cert::Certificate) {
    let f = fixture();
    let id = &f.pki.clients[if revoke { 1 } else { 0 }];
    let (leaf, issuer) = (cert(&id.chain[0]), cert(&id.chain[1]));
    let responder = Responder::new();
    responder.add_pki(&f.pki).unwrap();
    if revoke {
        assert!(responder.revoke(&id.chain[0]).unwrap());
    }
    let request = x509_ocsp::Request::from_issuer::<sha1::Sha1>(
        &issuer,
        leaf.tbs_certificate.serial_number.clone(),
    )
    .unwrap();
    let der = x509_ocsp::builder::OcspRequestBuilder::default()
        .with_request(request)
        .build()
        .to_der()
        .unwrap();
    (responder.respond(&der), leaf, issuer)
}

/// Verifies `der` as the answer about `leaf`: an `Err` or a verdict, and never a verdict
/// other than `signed` (what the responder signed), whatever was mutated.
fn ocsp_bytes(
    der: Vec<u8>,
    leaf: &x509_cert::Certificate,
    issuer: &x509_cert::Certificate,
    signed: CertState,
) -> Result<(), TestCaseError> {
    let (leaf, issuer) = (leaf.clone(), issuer.clone());
    let state = bounded("ocsp verify_response", der, move |der| {
        verify_response(
            &der,
            &Expected {
                issuer: &issuer,
                serial: &leaf.tbs_certificate.serial_number,
                nonce: None,
                require_nonce: false,
                now: SystemTime::now(),
            },
        )
        .map(|v| v.state)
        .ok()
    });
    if let Some(state) = state {
        prop_assert_eq!(state, signed, "a mutated answer changed its signed status");
    }
    Ok(())
}

#[test]
fn ocsp_real_responses_verify_and_corpus_is_classified() {
    for (revoke, state) in [(false, CertState::Good), (true, CertState::Revoked)] {
        let (der, leaf, issuer) = real_response(revoke);
        let v = verify_response(
            &der,
            &Expected {
                issuer: &issuer,
                serial: &leaf.tbs_certificate.serial_number,
                nonce: None,
                require_nonce: false,
                now: SystemTime::now(),
            },
        )
        .unwrap();
        assert_eq!(v.state, state);
    }
    let (_, leaf, issuer) = real_response(false);
    for (name, bytes) in corpus("ocsp") {
        // The corpus holds no valid answer about this leaf.
        let r = verify_response(
            &bytes,
            &Expected {
                issuer: &issuer,
                serial: &leaf.tbs_certificate.serial_number,
                nonce: None,
                require_nonce: false,
                now: SystemTime::now(),
            },
        );
        assert!(r.is_err(), "{name}: {r:?}");
    }
}

#[test]
fn ocsp_response_mutations() {
    for revoke in [false, true] {
        let (der, leaf, issuer) = real_response(revoke);
        let signed = if revoke {
            CertState::Revoked
        } else {
            CertState::Good
        };
        let mut seeds = corpus_bytes("ocsp");
        seeds.push(der);
        fuzz("ocsp mutations", mutated(seeds), |b| {
            ocsp_bytes(b, &leaf, &issuer, signed)
        });
    }
}

#[test]
fn ocsp_arbitrary_der() {
    let (_, leaf, issuer) = real_response(false);
    // Random bytes, and random bytes behind a SEQUENCE header (so the parser goes deeper).
    let bytes = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        prop::collection::vec(any::<u8>(), 0..300).prop_map(|b| {
            let mut v = vec![0x30, 0x82, (b.len() >> 8) as u8, b.len() as u8];
            v.extend(b);
            v
        }),
    ];
    fuzz("ocsp arbitrary", bytes, |b| {
        ocsp_bytes(b, &leaf, &issuer, CertState::Good)
    });
}

#[test]
fn ocsp_responder_reads_hostile_requests() {
    let responder = Arc::new(Responder::new());
    responder.add_pki(&fixture().pki).unwrap();
    let (_, leaf, issuer) = real_response(false);
    let request = x509_ocsp::builder::OcspRequestBuilder::default()
        .with_request(
            x509_ocsp::Request::from_issuer::<sha1::Sha1>(
                &issuer,
                leaf.tbs_certificate.serial_number.clone(),
            )
            .unwrap(),
        )
        .build()
        .to_der()
        .unwrap();
    let inputs = prop_oneof![
        mutated(vec![request]),
        prop::collection::vec(any::<u8>(), 0..256),
    ];
    fuzz("ocsp requests", inputs, |b| {
        let r = Arc::clone(&responder);
        let answer = bounded("Responder::respond", b, move |b| r.respond(&b));
        // Always an OCSPResponse (malformedRequest at worst).
        prop_assert!(x509_ocsp::OcspResponse::from_der(&answer).is_ok());
        Ok(())
    });
}

/// What the built-in server does with a `--crl` file (PEM blocks or one DER CRL, then the
/// rustls verifier built with them), and what nginx's CRL chain file does with it (OpenSSL
/// reads a DER CRL). Neither may panic.
fn crl_bytes(bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let f = fixture();
    let root = f.pki.root.clone();
    let files = f.files.clone();
    bounded("CRL loading", bytes, move |bytes| {
        let crls: Result<Vec<CertificateRevocationListDer<'static>>, String> =
            if bytes.starts_with(b"-----BEGIN") {
                CertificateRevocationListDer::pem_slice_iter(&bytes)
                    .map(|c| c.map_err(|e| e.to_string()))
                    .collect()
            } else {
                Ok(vec![CertificateRevocationListDer::from(bytes.clone())])
            };
        if let Ok(crls) = crls {
            let mut roots = rustls::RootCertStore::empty();
            roots.add(root).unwrap();
            let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
            let _ = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
                .with_crls(crls)
                .only_check_end_entity_revocation()
                .build();
        }
        let dir = tempfile::tempdir().unwrap();
        let leaf = dir.path().join("leaf.crl");
        std::fs::write(&leaf, &bytes).unwrap();
        let _ = mtls_harness::revocation::crl_chain::write(&files, &leaf, &dir.path().join("out"));
    });
    Ok(())
}

fn crl_seeds() -> Vec<Vec<u8>> {
    let f = fixture();
    let mut seeds = corpus_bytes("crl");
    for kind in [CrlKind::Fresh, CrlKind::Stale, CrlKind::Hold] {
        let der = pki::issue_crl(&f.pki, 3, 7, &[], kind).unwrap();
        let pem = pem::encode(&pem::Pem::new("X509 CRL", der.as_ref().to_vec()));
        seeds.push(der.as_ref().to_vec());
        seeds.push(pem.into_bytes());
    }
    seeds
}

#[test]
fn crl_real_ones_load_and_corpus_is_classified() {
    let f = fixture();
    let der = pki::issue_crl(&f.pki, 3, 7, &[], CrlKind::Fresh).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    roots.add(f.pki.root.clone()).unwrap();
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider)
        .with_crls(vec![der])
        .build()
        .unwrap();
    for (name, bytes) in corpus("crl") {
        crl_bytes(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn crl_mutations() {
    fuzz("crl mutations", mutated(crl_seeds()), crl_bytes);
}

#[test]
fn crl_arbitrary_bytes() {
    fuzz(
        "crl arbitrary",
        prop_oneof![
            prop::collection::vec(any::<u8>(), 0..512),
            "-----BEGIN X509 CRL-----\n[A-Za-z0-9+/=\n]{0,200}(-----END X509 CRL-----\n)?"
                .prop_map(String::into_bytes),
        ],
        crl_bytes,
    );
}

// --- 4. HTTP heads and the process clients' output ------------------------------------

fn status_line(bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let code = bounded("parse_status_line", bytes, |b| {
        mtls_harness::load::parse_status_line(&b)
    });
    if let Some(c) = code {
        prop_assert!((100..=999).contains(&c), "status {c}");
    }
    Ok(())
}

fn client_output(stdout: String, stderr: String) -> Result<(), TestCaseError> {
    bounded("client output", (stdout, stderr), |(o, e)| {
        let _ = s_client::parse(&o, &e);
        let _ = s_client::parse(&e, &o);
        let _ = node_client::parse(&o);
        let _ = node_client::parse(&e);
    });
    Ok(())
}

#[test]
fn http_and_client_output_corpus() {
    for (name, bytes) in corpus("http-status") {
        status_line(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for (name, bytes) in corpus("client-output") {
        let text = String::from_utf8_lossy(&bytes).into_owned();
        client_output(text.clone(), text).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
}

#[test]
fn http_status_line_arbitrary_and_mutated() {
    let inputs = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..600),
        mutated(corpus_bytes("http-status")),
        "HTTP/[0-9.]{0,4} [0-9]{0,5} [ -~]{0,40}(\r\n)?".prop_map(String::into_bytes),
    ];
    fuzz("http status arbitrary", inputs, status_line);
}

#[test]
fn http_status_line_round_trips() {
    fuzz(
        "http status round trip",
        (100u16..=999, 0u8..2, "[ -~]{0,60}", any::<bool>()),
        |(code, minor, reason, crlf)| {
            let line = format!(
                "HTTP/1.{minor} {code} {reason}{}",
                if crlf { "\r\n" } else { "" }
            );
            prop_assert_eq!(
                mtls_harness::load::parse_status_line(line.as_bytes()),
                Some(code),
                "{:?}",
                line
            );
            Ok(())
        },
    );
}

#[test]
fn client_output_arbitrary_and_mutated() {
    let text = prop_oneof![
        any::<String>(),
        token_soup(),
        mutated(corpus_bytes("client-output"))
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
    ];
    fuzz("client output", (text.clone(), text), |(o, e)| {
        client_output(o, e)
    });
}

#[test]
fn client_output_status_round_trips() {
    // A reply anywhere in s_client's output (no other "HTTP/1." before it), and node's JSON
    // line among other lines, give their status.
    fuzz(
        "client output round trip",
        (100u16..=599, "[ -GI-~\n]{0,200}", "[ -~]{0,40}"),
        |(code, noise, reason)| {
            let out = format!("{noise}HTTP/1.1 {code} {reason}\r\n\r\n");
            let v = s_client::parse(&out, "");
            prop_assert_eq!(v.status, Some(code));
            let accepted = (200..300).contains(&code);
            prop_assert_eq!(v.outcome == Outcome::Accepted, accepted);
            let json = serde_json::json!({ "status": code, "protocol": "TLSv1.3" });
            let v = node_client::parse(&format!("{}\n{json}\n", noise.replace('{', "(")));
            prop_assert_eq!(v.status, Some(code));
            Ok(())
        },
    );
}

// --- 5. nginx's error log ---------------------------------------------------------------

fn nginx_log(bytes: Vec<u8>) -> Result<(), TestCaseError> {
    let found = bounded("verdict_from_log", bytes, |bytes| {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("error.log");
        std::fs::write(&log, &bytes).unwrap();
        verdict_from_log(&log)
    });
    if let Some((outcome, reason)) = found {
        // A numbered verify error is classified by its number.
        if let Some(rest) = reason.strip_prefix("verify error ") {
            let code: i32 = rest.split(':').next().unwrap().parse().unwrap();
            prop_assert_eq!(outcome, outcome_for_verify_error(code));
        }
    }
    Ok(())
}

#[test]
fn nginx_log_corpus() {
    for (name, bytes) in corpus("nginx-log") {
        nginx_log(bytes).unwrap_or_else(|e| panic!("{name}: {e}"));
    }
    for code in [i32::MIN, -1, 0, 1, 23, 94, 95, i32::MAX] {
        let _ = outcome_for_verify_error(code);
    }
}

#[test]
fn nginx_log_arbitrary_and_mutated() {
    let inputs = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..512),
        token_soup().prop_map(String::into_bytes),
        mutated(corpus_bytes("nginx-log")),
    ];
    fuzz("nginx log", inputs, nginx_log);
    fuzz("verify error codes", any::<i32>(), |c| {
        let _ = outcome_for_verify_error(c);
        Ok(())
    });
}

#[test]
fn nginx_log_majority_verdict_survives_noise() {
    // `n` rejections of one kind among fewer of another and lines of noise (any bytes, even
    // not UTF-8: nginx logs what clients send) give the majority's verdict.
    fuzz(
        "nginx log verdict",
        (
            2usize..20,
            0i32..100,
            prop::collection::vec(prop::collection::vec(any::<u8>(), 0..80), 0..6),
        ),
        |(n, code, noise)| {
            let line = |c: i32| {
                format!(
                    "2026/11/23 22:00:00 [info] 7#7: *1 client SSL certificate verify error: ({c}:reason {c}) while reading client request headers\n"
                )
            };
            let mut text = Vec::new();
            for _ in 0..n {
                text.extend(line(code).bytes());
            }
            text.extend(
                "2026/11/23 22:00:00 [info] 7#7: *2 client sent no required SSL certificate\n"
                    .bytes(),
            );
            for junk in &noise {
                let junk: Vec<u8> = junk.iter().copied().filter(|b| *b != b'\n').collect();
                text.extend(junk);
                text.push(b'\n');
            }
            let dir = tempfile::tempdir().unwrap();
            let log = dir.path().join("error.log");
            std::fs::write(&log, &text).unwrap();
            let found = verdict_from_log(&log);
            prop_assert_eq!(
                found,
                Some((
                    outcome_for_verify_error(code),
                    format!("verify error {code}: reason {code}")
                ))
            );
            Ok(())
        },
    );
}
