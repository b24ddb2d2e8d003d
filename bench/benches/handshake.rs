//! In-memory rustls mutual-TLS handshakes (TLS 1.3, X25519): a full handshake and a resumed one,
//! for ECDSA P-256 and RSA-2048 credentials.
//!
//! `mtls_handshake/{full,resumed}/{key}` times both peers together, connection setup included.
//! `mtls_handshake_side/{server,client}-{full,resumed}/{key}` runs the same handshakes but counts
//! only the time spent inside one peer's rustls calls.

use std::hint::black_box;
use std::time::Duration;

use criterion::{BenchmarkId, Criterion};
use mtls_bench::{handshake, handshake_split, MtlsConfigs, SessionResumption};
use mtls_core::pki::{generate, KeyType, PkiSpec};

const KEY_TYPES: [(KeyType, &str); 2] = [
    (KeyType::EcdsaP256, "ecdsa-p256"),
    (KeyType::Rsa2048, "rsa-2048"),
];

const MODES: [(SessionResumption, &str); 2] = [
    (SessionResumption::Off, "full"),
    (SessionResumption::On, "resumed"),
];

/// Builds configurations and checks that handshakes resume exactly when they should. For
/// resumption, the first handshake fills the client's ticket cache.
fn ready(key_type: KeyType, key_name: &str, mode: SessionResumption) -> MtlsConfigs {
    let pki = generate(&PkiSpec::new(key_type, 1)).expect("generating the benchmark PKI");
    let configs = MtlsConfigs::from_pki(&pki, mode).expect("building the rustls configurations");
    let first = handshake(&configs).expect("the first handshake must succeed");
    assert!(
        !first,
        "{key_name}: the very first handshake cannot be a resumption"
    );
    for _ in 0..10 {
        let resumed = handshake(&configs).expect("a handshake must succeed");
        match mode {
            SessionResumption::Off => assert!(
                !resumed,
                "{key_name}: resumption is off, yet a handshake was resumed"
            ),
            SessionResumption::On => assert!(
                resumed,
                "{key_name}: resumption is on, yet a handshake after the first was full \
                 (are TLS 1.3 tickets reaching the client?)"
            ),
        }
    }
    configs
}

fn expect_resumed(mode: SessionResumption) -> bool {
    mode == SessionResumption::On
}

fn full_and_resumed(c: &mut Criterion) {
    let mut group = c.benchmark_group("mtls_handshake");
    for (key_type, key_name) in KEY_TYPES {
        for (mode, mode_name) in MODES {
            let configs = ready(key_type, key_name, mode);
            let expected = expect_resumed(mode);
            group.bench_function(BenchmarkId::new(mode_name, key_name), |b| {
                b.iter(|| {
                    let resumed = handshake(black_box(&configs)).expect("handshake failed");
                    assert_eq!(resumed, expected, "resumption changed mid-benchmark");
                })
            });
        }
    }
    group.finish();
}

fn one_side(c: &mut Criterion) {
    let mut group = c.benchmark_group("mtls_handshake_side");
    for (key_type, key_name) in KEY_TYPES {
        for (mode, mode_name) in MODES {
            let configs = ready(key_type, key_name, mode);
            let expected = expect_resumed(mode);
            for side in ["server", "client"] {
                let id = BenchmarkId::new(format!("{side}-{mode_name}"), key_name);
                group.bench_function(id, |b| {
                    b.iter_custom(|iters| {
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            let (resumed, times) =
                                handshake_split(black_box(&configs)).expect("handshake failed");
                            assert_eq!(resumed, expected, "resumption changed mid-benchmark");
                            total += if side == "server" {
                                times.server
                            } else {
                                times.client
                            };
                        }
                        total
                    })
                });
            }
        }
    }
    group.finish();
}

// Written out rather than through `criterion_group!`, whose generated `pub fn` has no docs.
fn main() {
    let mut c = Criterion::default().configure_from_args();
    full_and_resumed(&mut c);
    one_side(&mut c);
    c.final_summary();
}
