//! `mtls-harness pki target-crl`: the CRLs an external server loads for a target run with
//! `--target-revocation crl`, made from the same spec the run makes its fixtures from (seed,
//! key type, chain depth, the user's CA), and the exact settings to add to the server.

use super::exit::{CommandResult, EXIT_OK};
use crate::pki::{self, KeyType};
use crate::scenario::PkiSettings;
use std::path::Path;

/// What `pki target-crl` is given.
pub(super) struct Request<'a> {
    pub out: &'a Path,
    pub seed: u64,
    pub key: KeyType,
    pub intermediates: u8,
    pub issuer: Option<(&'a Path, &'a Path, Option<&'a Path>)>,
}

pub(super) fn target_crl(req: &Request<'_>) -> CommandResult {
    let issuer = req
        .issuer
        .map(|(cert, key, chain)| super::args::load_issuer(cert, key, chain))
        .transpose()?;
    let settings = PkiSettings {
        seed: req.seed,
        seed_given: true,
        issuer,
        ..PkiSettings::default()
    };
    let spec = settings.spec(req.key, req.intermediates);
    let fixtures = pki::generate(&spec)?;
    let crls = pki::crl_chain(&fixtures)?;
    let pem: String = crls
        .iter()
        .map(|c| ::pem::encode(&::pem::Pem::new("X509 CRL", c.to_vec())))
        .collect();
    crate::fsutil::write_atomic(req.out, pem.as_bytes(), 0o644)
        .map_err(|e| anyhow::anyhow!("writing {}: {e}", req.out.display()))?;
    let path = req.out.display();
    println!(
        "wrote {} CRLs (the leaves' CA lists the `revoked` client; each CA above has an empty one) to {path}",
        crls.len()
    );
    println!("add to the server under test, then reload it:");
    println!("  nginx:      ssl_crl {path};");
    println!("  s_server:   -CAfile <your CA file with {path} appended> -crl_check   (its -CRL option loads only the first CRL of a file)");
    println!(
        "  HAProxy:    crl-file {path}   (on the bind line, with ca-file and verify required)"
    );
    if settings.issuer.is_some() {
        println!("  your CA:    a server that checks the whole chain also needs your own root's CRL for your CA: append it to the file");
    }
    println!(
        "then: mtls-harness conformance --target HOST:PORT --target-ca CA.pem --seed {} --target-revocation crl{}",
        req.seed,
        if settings.issuer.is_some() {
            " --issuer-cert ... --issuer-key ..."
        } else {
            ""
        }
    );
    Ok(EXIT_OK)
}
