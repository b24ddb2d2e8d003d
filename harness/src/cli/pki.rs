//! `mtls-harness pki`: PKI fixtures on disk (`pki generate`: a root, intermediates, a server,
//! a client pool and the bad client variants, reproducible from a seed and an anchor time).

use super::args::PkiCommand;
use super::exit::{CommandResult, EXIT_OK};
use crate::pki::{self, PkiSpec};

pub(super) fn pki(command: PkiCommand) -> CommandResult {
    match command {
        PkiCommand::TargetCrl {
            out,
            seed,
            key,
            intermediates,
            issuer_cert,
            issuer_key,
            issuer_chain,
            mint_secret,
        } => super::target_crl::target_crl(&super::target_crl::Request {
            out: &out,
            seed,
            key,
            intermediates,
            issuer: issuer_cert
                .as_deref()
                .zip(issuer_key.as_deref())
                .map(|(c, k)| (c, k, issuer_chain.as_deref())),
            mint_secret: mint_secret.as_deref(),
        }),
        PkiCommand::Generate {
            out,
            key,
            identities,
            intermediates,
            seed,
            anchor,
        } => {
            let (seed, drawn) = match seed {
                Some(s) => (s, false),
                None => (crate::pki::random_seed(), true),
            };
            let spec = PkiSpec {
                seed,
                anchor: anchor.unwrap_or_else(PkiSpec::default_anchor),
                key_type: key,
                identities,
                intermediates,
                revocation_url: None,
                crl_shards: None,
                crl_delta: None,
                issuer: None,
            };
            let started = std::time::Instant::now();
            let generated = pki::generate(&spec)?;
            let elapsed = started.elapsed();
            pki::write_pki(&generated, &out)?;
            println!(
                "generated {identities} {key} client identities (+ root, {intermediates} intermediate(s), server, bad variants) in {:.2}s into {}",
                elapsed.as_secs_f64(),
                out.display()
            );
            if drawn {
                println!("seed {seed} (random; kept in manifest.json; --seed {seed} makes the same fixtures again)");
            }
            Ok(EXIT_OK)
        }
    }
}
