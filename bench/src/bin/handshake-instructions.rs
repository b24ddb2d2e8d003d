//! Runs in-memory mTLS handshakes (TLS 1.3, X25519, ECDSA P-256, full, no resumption) for
//! `scripts/callgrind.sh`, which counts their instructions under `valgrind --tool=callgrind`:
//! a figure that does not move with the machine's load, unlike wall-clock time. Only
//! [`measured_handshakes`] is counted (callgrind's `--toggle-collect`), so the PKI and
//! configuration setup stay out of the figure.
//!
//! Usage: `handshake-instructions [N] [--ocsp-warm]` (default 20 handshakes, after 2 unmeasured
//! warm-ups). With `--ocsp-warm` the server checks the client certificate with the harness's
//! OCSP checker, its cache warmed by the warm-ups (a revocation service on 127.0.0.1 answers
//! the one query): the instructions a warm OCSP cache adds to a handshake.
//! Prints the number of handshakes run. `MTLS_BENCH_PLANT_ROUNDS=R` adds R rounds of planted
//! work after each counted handshake ([`mtls_bench::PLANTED_ROUNDS`] is about 2%), so a test
//! can show the gate catching a slowdown without a second build.

use std::hint::black_box;
use std::process::ExitCode;

use std::sync::Arc;
use std::time::Duration;

use mtls_bench::{handshake, planted_work, MtlsConfigs, SessionResumption};
use mtls_core::peers::servers::post_check::PostCheckVerifier;
use mtls_core::peers::servers::revocation_verifier::{RevocationCheck, RevocationSource};
use mtls_core::pki::{generate, KeyType, PkiSpec};
use mtls_core::revocation::ocsp::{
    CheckerSettings, OcspChecker, OcspMethod, Responder, RevocationService,
};
use mtls_core::scenario::FailPolicy;

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

/// Configurations whose server checks OCSP through the harness's checker (5-minute cache) and
/// the revocation service that answers it.
fn ocsp_configs() -> Result<(MtlsConfigs, RevocationService), String> {
    let service =
        RevocationService::start(Arc::new(Responder::new())).map_err(|e| e.to_string())?;
    let mut spec = PkiSpec::new(KeyType::EcdsaP256, 1);
    spec.revocation_url = Some(service.base_url());
    let pki = generate(&spec).map_err(|e| e.to_string())?;
    service.responder.add_pki(&pki).map_err(|e| e.to_string())?;
    let checker = Arc::new(OcspChecker::new(CheckerSettings {
        url_override: None,
        cache_ttl: Duration::from_secs(300),
        timeout: Duration::from_secs(2),
        nonce: false,
        method: OcspMethod::Post,
    }));
    let configs = MtlsConfigs::from_pki_with(&pki, SessionResumption::Off, |inner| {
        Arc::new(PostCheckVerifier::new(
            inner,
            RevocationCheck::new(RevocationSource::Ocsp(checker), FailPolicy::Hard),
        ))
    })
    .map_err(|e| e.to_string())?;
    Ok((configs, service))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let ocsp = args.iter().any(|a| a == "--ocsp-warm");
    let n: u32 = match args.iter().find(|a| *a != "--ocsp-warm").map(|a| a.parse()) {
        None => 20,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!(
                "usage: handshake-instructions [N] [--ocsp-warm]  (N: handshakes to count, above 0)"
            );
            return ExitCode::from(2);
        }
    };
    // Kept alive for the whole run: the OCSP checker's first query goes to it.
    let mut _service = None;
    let built = if ocsp {
        ocsp_configs().map(|(c, s)| {
            _service = Some(s);
            c
        })
    } else {
        MtlsConfigs::new(KeyType::EcdsaP256, SessionResumption::Off).map_err(|e| e.to_string())
    };
    let configs = match built {
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
