//! `mtls-harness pki target-crl`: the CRLs an external server loads for a target run with
//! `--target-revocation crl`, made from the same spec the run makes its fixtures from (seed,
//! key type, chain depth, the user's CA), and the exact settings to add to the server.
//!
//! Under a user's CA, what the run mints has random serials and keys (`pki::Mint`): the
//! secret they come from is written beside the CRLs (mode 0600) and the run is given it with
//! `--mint-secret`, so the CRLs name the serials the run will mint.

use super::exit::{CommandResult, EXIT_OK};
use crate::pki::{self, IssuerRef, KeyType, Mint};
use crate::scenario::PkiSettings;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What `pki target-crl` is given.
pub(super) struct Request<'a> {
    pub out: &'a Path,
    pub seed: u64,
    pub key: KeyType,
    pub intermediates: u8,
    pub issuer: Option<(&'a Path, &'a Path, Option<&'a Path>)>,
    pub mint_secret: Option<&'a Path>,
}

pub(super) fn target_crl(req: &Request<'_>) -> CommandResult {
    let issuer = req
        .issuer
        .map(|(cert, key, chain)| super::args::load_issuer(cert, key, chain))
        .transpose()?;
    let (issuer, secret_file) = match issuer {
        Some(issuer) => {
            let (issuer, file) = with_secret(req, issuer)?;
            (Some(issuer), Some(file))
        }
        None => (None, None),
    };
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
    print_settings(req, crls.len(), settings.issuer.as_ref());
    if let (Some(issuer), Some(file)) = (&settings.issuer, &secret_file) {
        print_user_ca(req.out, issuer, file);
    }
    let then = match &secret_file {
        Some(file) => format!(
            " --issuer-cert ... --issuer-key ... --mint-secret {}",
            file.display()
        ),
        None => String::new(),
    };
    println!(
        "then: mtls-harness conformance --target HOST:PORT --target-ca CA.pem --seed {} --target-revocation crl{then}",
        req.seed,
    );
    Ok(EXIT_OK)
}

/// `issuer` minting with the secret in `--mint-secret FILE` (default: the CRL file's name
/// with `.mint-secret` appended): read when the file exists, else drawn and written there.
fn with_secret(req: &Request<'_>, issuer: IssuerRef) -> anyhow::Result<(IssuerRef, PathBuf)> {
    let file = req.mint_secret.map_or_else(
        || {
            let mut name = req.out.as_os_str().to_os_string();
            name.push(".mint-secret");
            PathBuf::from(name)
        },
        Path::to_path_buf,
    );
    let secret = if file.exists() {
        Some(Mint::read_secret(&file).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?)
    } else {
        None
    };
    let ca = (*issuer.0).clone().minting(None, secret);
    if secret.is_none() {
        ca.mint
            .write_secret(&file)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", file.display()))?;
    }
    Ok((IssuerRef(Arc::new(ca)), file))
}

/// What each server adds to load the CRLs.
fn print_settings(req: &Request<'_>, count: usize, issuer: Option<&IssuerRef>) {
    let path = req.out.display();
    println!(
        "wrote {count} CRLs (the leaves' CA lists the `revoked` client; each CA above has an empty one) to {path}"
    );
    if let Some(issuer) = issuer {
        println!(
            "  the leaves' CRL is signed with your CA's key in its name ({}), its Authority Key Identifier copied from your CA's Subject Key Identifier{}",
            issuer.0.subject_text,
            if issuer.0.ski.is_some() {
                ""
            } else {
                " (your CA has none: the CRLs carry no AKI)"
            }
        );
    }
    println!("add to the server under test, then reload it:");
    println!("  Apache:     SSLCARevocationFile {path}  with  SSLCARevocationCheck chain  (or leaf: the leaves' CA only)");
    println!("  nginx:      ssl_crl {path};");
    println!("  s_server:   -CAfile <your CA file with {path} appended> -crl_check   (its -CRL option loads only the first CRL of a file)");
    println!(
        "  HAProxy:    crl-file {path}   (on the bind line, with ca-file and verify required)"
    );
}

/// Under the user's CA: the CRLs only the user can sign, and the secret the run needs.
fn print_user_ca(out: &Path, issuer: &IssuerRef, secret: &Path) {
    let above = issuer.0.crls_needed_above();
    if !above.is_empty() {
        println!(
            "your CAs: a server that checks the whole chain (Apache SSLCARevocationCheck chain, nginx ssl_crl, HAProxy crl-file, s_server -crl_check_all) also needs a current CRL for each of your CAs below your root, which the harness cannot sign (it has no key for them); without it the server refuses every valid client with \"unable to get certificate CRL\" (alert unknown_ca):"
        );
        for (covered, by) in &above {
            println!("  a CRL issued by {by} (covering {covered})");
        }
        println!(
            "  make it with your CA tooling (e.g. openssl ca -gencrl -keyfile ISSUER.key -cert ISSUER.pem -out issuer.crl) and append it: cat issuer.crl >> {}",
            out.display()
        );
        println!(
            "  or check the leaves only where the server can: Apache SSLCARevocationCheck leaf (nginx and HAProxy always check the whole chain)"
        );
    }
    println!(
        "the serials and sub-CA keys these CRLs name come from the secret in {} (mode 0600; keep it with the run, delete it after): give the run --mint-secret {}",
        secret.display(),
        secret.display()
    );
}
