//! Runs in-memory mTLS handshakes (TLS 1.3, X25519, ECDSA P-256, full, no resumption) for
//! `scripts/callgrind.sh`, which counts their instructions under `valgrind --tool=callgrind`:
//! a figure that does not move with the machine's load, unlike wall-clock time. Only
//! [`measured_handshakes`] is counted (callgrind's `--toggle-collect`), so the PKI and
//! configuration setup stay out of the figure.
//!
//! Usage: `handshake-instructions [N]` (default 20 handshakes, after 2 unmeasured warm-ups).
//! Prints the number of handshakes run. `MTLS_BENCH_PLANT_ROUNDS=R` adds R rounds of planted
//! work after each counted handshake ([`mtls_bench::PLANTED_ROUNDS`] is about 2%), so a test
//! can show the gate catching a slowdown without a second build.

use std::hint::black_box;
use std::process::ExitCode;

use mtls_bench::{handshake, planted_work, MtlsConfigs, SessionResumption};
use mtls_harness::pki::KeyType;

/// The counted region: `n` complete handshakes.
#[inline(never)]
fn measured_handshakes(configs: &MtlsConfigs, n: u32, plant: u64) -> Result<(), String> {
    for _ in 0..n {
        black_box(handshake(black_box(configs)).map_err(|e| e.to_string())?);
        if plant > 0 {
            planted_work(plant);
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let n: u32 = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 20,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: handshake-instructions [N]  (N: handshakes to count, above 0)");
            return ExitCode::from(2);
        }
    };
    let configs = match MtlsConfigs::new(KeyType::EcdsaP256, SessionResumption::Off) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    // Warm-up outside the counted region: lazy statics, first allocations.
    for _ in 0..2 {
        if let Err(e) = handshake(&configs) {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    }
    let plant = match std::env::var("MTLS_BENCH_PLANT_ROUNDS") {
        Err(_) => 0,
        Ok(v) => match v.parse() {
            Ok(r) => r,
            Err(_) => {
                eprintln!("MTLS_BENCH_PLANT_ROUNDS: expected a number of rounds, found \"{v}\"");
                return ExitCode::from(2);
            }
        },
    };
    match measured_handshakes(&configs, n, plant) {
        Ok(()) => {
            println!("{n}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}
