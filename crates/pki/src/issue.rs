//! Issuing the hierarchy: root -> intermediates -> server and client leaves, and the bad client
//! variants.
//!
//! Validity periods, relative to the spec's anchor time `A`:
//! - CAs: `A - 2 years - 1 day` to `A + 40 years`;
//! - valid leaves: `A - 1 year` to `A + 30 years`;
//! - `expired`: `A - 2 years` to `A - 1 day`;
//! - `not-yet-valid`: `A + 31 years` to `A + 32 years`.
//!
//! RSA pools reuse a small set of keys ([`RSA_POOL_KEYS`]): RSA key generation costs hundreds
//! of milliseconds per key, and a handshake's cost does not depend on which key a leaf holds.
//! Every leaf still has its own serial number and certificate.

use std::sync::Arc;
use std::thread;

use rcgen::{ExtendedKeyUsagePurpose, SanType, SerialNumber};
use rustls::pki_types::CertificateDer;
use time::Duration;

use super::ca::Ca;
use super::client_cert::ClientCert;
use super::extensions;
use super::keys::KeyMaterial;
use super::model::{Identity, Pki, PkiSpec};
use super::params::{ca_params, cert_err, client_params, leaf_params, sign_self, IssueError, YEAR};
use super::variants;

/// Serial number of the `revoked` client (the one every CRL lists).
pub const REVOKED_SERIAL: u64 = 904;

/// Serial number of the victim: valid until a case revokes it mid-run (exposure window).
pub const VICTIM_SERIAL: u64 = 905;

/// Number of distinct keys an RSA client pool cycles through.
pub const RSA_POOL_KEYS: usize = 4;

/// Most client identities a pool may have (`pki generate --identities`, `[pki] identities`):
/// every identity is a key and a certificate held in memory (about 2 KiB with ECDSA P-256, so
/// a million is about 2 GiB and minutes of signing); beyond that a run cannot hold its fixtures.
pub const MAX_IDENTITIES: usize = 1_000_000;

/// Generates the whole PKI for `spec`. Pool leaves are issued on all usable CPUs.
///
/// # Errors
/// When the spec is out of range (no identities or more than [`MAX_IDENTITIES`], 0 or more
/// than 4 intermediates) or a key or certificate cannot be made.
pub fn generate(spec: &PkiSpec) -> Result<Pki, IssueError> {
    if spec.identities == 0 {
        return Err(IssueError::Spec(
            "the client pool needs at least one identity".into(),
        ));
    }
    if spec.identities > MAX_IDENTITIES {
        return Err(IssueError::Spec(format!(
            "identities must be at most {MAX_IDENTITIES}, got {}",
            spec.identities
        )));
    }
    if !(1..=4).contains(&spec.intermediates) && spec.issuer.is_none() {
        return Err(IssueError::Spec(format!(
            "intermediates must be 1 to 4, got {}",
            spec.intermediates
        )));
    }
    let a = spec.anchor;
    let urls = spec
        .revocation_url
        .as_deref()
        .map(|base| super::extensions::RevocationUrls {
            base,
            crl_shards: spec.crl_shards.unwrap_or(1),
            crl_delta: spec.crl_delta.unwrap_or(false),
        });
    // The fixed keys (CAs, server, bad variants, an RSA pool's shared keys) are made up front
    // on all CPUs: RSA-4096 generation takes seconds per key.
    let mut labels: Vec<String> = [
        "root",
        "server",
        "bad-client",
        "foreign-root",
        "ocsp-responder",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    labels.extend((1..=spec.intermediates).map(|l| format!("intermediate-{l}")));
    if spec.key_type.rsa_bits().is_some() {
        labels.extend((0..RSA_POOL_KEYS.min(spec.identities)).map(|i| format!("client-rsa-{i}")));
    }
    let fixed = generate_keys(spec, &labels)?;
    let key = |label: &str| -> Result<Arc<KeyMaterial>, IssueError> {
        if let Some(k) = fixed.get(label) {
            return Ok(Arc::clone(k));
        }
        Ok(Arc::new(KeyMaterial::generate(
            spec.key_type,
            spec.seed,
            label,
        )?))
    };

    // Root (the harness's own, or the user's CA in its place) and intermediates.
    let external = spec.issuer.as_ref().map(|i| Arc::clone(&i.0));
    let (root, root_ca, above_root, levels) = match &external {
        None => {
            let root_key = key("root")?;
            let root_params = ca_params("mtls-harness root CA", 1, None, &root_key, a);
            let root = sign_self(&root_params, &root_key, "root CA")?;
            (
                root,
                Ca::local(root_params, root_key),
                Vec::new(),
                spec.intermediates,
            )
        }
        Some(ext) => {
            // The user's CA signs throwaway sub-CAs where its path length allows them; with
            // pathLenConstraint 0 it signs the leaves itself.
            let mut levels = spec.intermediates;
            while levels > 0 && !ext.allows_sub_cas(u32::from(levels)) {
                levels -= 1;
            }
            let mut above = vec![ext.cert.clone()];
            above.extend(ext.chain.iter().cloned());
            (ext.cert.clone(), Ca::external(ext), above, levels)
        }
    };
    let root_key = Arc::clone(&root_ca.key);

    let mut intermediates = Vec::new();
    let mut intermediate_keys = Vec::new();
    let mut leaf_ca = root_ca.clone();
    let mut cas = vec![root_ca.clone()];
    for level in 1..=levels {
        let ikey = key(&format!("intermediate-{level}"))?;
        // Path length: the lowest intermediate issues leaves only.
        let remaining = levels - level;
        let params = ca_params(
            &format!("mtls-harness intermediate CA {level}"),
            1 + u64::from(level),
            Some(remaining),
            &ikey,
            a,
        );
        let cert = leaf_ca.sign(&params, &ikey, &format!("intermediate {level}"))?;
        intermediates.push(cert);
        intermediate_keys.push(Arc::clone(&ikey));
        leaf_ca = Ca::local(params, ikey);
        cas.push(leaf_ca.clone());
    }
    // Chains as sent by a peer: leaf, then intermediates from the lowest up, then (with the
    // user's CA) that CA and the chain above it.
    let mut sent_intermediates: Vec<_> = intermediates.iter().rev().cloned().collect();
    sent_intermediates.extend(above_root.iter().cloned());
    let chain_of = |leaf: CertificateDer<'static>| {
        let mut chain = vec![leaf];
        chain.extend(sent_intermediates.iter().cloned());
        chain
    };

    // Server.
    let server_key = key("server")?;
    let mut server_params = leaf_params("mtls-harness server", 100, &server_key, a, urls);
    server_params.subject_alt_names = vec![
        SanType::DnsName("localhost".try_into().map_err(|e| cert_err("server", e))?),
        SanType::IpAddress([127, 0, 0, 1].into()),
    ];
    server_params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server = Identity {
        name: "server".into(),
        chain: chain_of(leaf_ca.sign(&server_params, &server_key, "server")?),
        key: Arc::clone(&server_key),
    };
    // The same server with OCSP Must-Staple (RFC 7633), for stapling cases.
    let mut staple_params = server_params.clone();
    staple_params.serial_number = Some(SerialNumber::from(101u64));
    extensions::add_must_staple(&mut staple_params);
    let server_must_staple = Identity {
        name: "server-must-staple".into(),
        chain: chain_of(leaf_ca.sign(&staple_params, &server_key, "must-staple")?),
        key: server_key,
    };

    // Delegated OCSP responders: one authorised (id-kp-OCSPSigning, nocheck), one not.
    let responder_key = key("ocsp-responder")?;
    let responder = |cn: &str, serial: u64, eku: ExtendedKeyUsagePurpose| {
        let mut p = leaf_params(cn, serial, &responder_key, a, None);
        p.extended_key_usages = vec![eku];
        extensions::add_ocsp_nocheck(&mut p);
        leaf_ca.sign(&p, &responder_key, cn).map(|cert| Identity {
            name: cn.into(),
            chain: chain_of(cert),
            key: Arc::clone(&responder_key),
        })
    };
    let ocsp_responder = responder("ocsp-responder", 200, ExtendedKeyUsagePurpose::OcspSigning)?;
    let ocsp_unauthorized = responder(
        "ocsp-unauthorized",
        201,
        ExtendedKeyUsagePurpose::ClientAuth,
    )?;

    // Client pool, issued in parallel.
    let rsa_keys: Vec<Arc<KeyMaterial>> = if spec.key_type.rsa_bits().is_some() {
        (0..RSA_POOL_KEYS.min(spec.identities))
            .map(|i| key(&format!("client-rsa-{i}")))
            .collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    let client_leaf = |i: usize| -> Result<Identity, IssueError> {
        let name = pool_name(i);
        let ckey = if rsa_keys.is_empty() {
            key(&name)?
        } else {
            Arc::clone(&rsa_keys[i % rsa_keys.len()])
        };
        let params = client_params(&name, 10_000 + i as u64, &ckey, a, urls);
        let cert = leaf_ca.sign(&params, &ckey, &name)?;
        Ok(Identity {
            name,
            chain: chain_of(cert),
            key: ckey,
        })
    };
    let workers = crate::sys::usable_cpus().clamp(1, 16);
    let per_worker = spec.identities.div_ceil(workers);
    let clients: Vec<Identity> = thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let range = (w * per_worker)..((w + 1) * per_worker).min(spec.identities);
                let client_leaf = &client_leaf;
                scope.spawn(move || range.map(client_leaf).collect::<Result<Vec<_>, _>>())
            })
            .collect();
        let mut all = Vec::with_capacity(spec.identities);
        for handle in handles {
            match handle.join() {
                Ok(part) => all.extend(part?),
                Err(_) => return Err(IssueError::Spec("a fixture worker thread panicked".into())),
            }
        }
        Ok(all)
    })?;

    // Bad variants.
    let mut bad_clients = Vec::new();
    let bad_key = key("bad-client")?;
    let with_validity = |name: &str, serial, from, to| {
        let mut p = client_params(name, serial, &bad_key, a, urls);
        p.not_before = from;
        p.not_after = to;
        p
    };
    let expired = with_validity("client-expired", 900, a - 2 * YEAR, a - Duration::days(1));
    let not_yet = with_validity("client-not-yet-valid", 901, a + 31 * YEAR, a + 32 * YEAR);
    let mut server_only = client_params("client-server-auth-only", 902, &bad_key, a, urls);
    server_only.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    // Valid in every way; listed in the CRLs of `crl::issue`.
    let revoked = client_params("client-revoked", REVOKED_SERIAL, &bad_key, a, urls);
    for (variant, params) in [
        (ClientCert::Expired, expired),
        (ClientCert::NotYetValid, not_yet),
        (ClientCert::ServerAuthOnly, server_only),
        (ClientCert::Revoked, revoked),
    ] {
        let cert = leaf_ca.sign(&params, &bad_key, variant.name())?;
        bad_clients.push((
            variant,
            Identity {
                name: format!("client-{variant}"),
                chain: chain_of(cert),
                key: Arc::clone(&bad_key),
            },
        ));
    }

    let victim_params = client_params("client-victim", VICTIM_SERIAL, &bad_key, a, urls);
    let victim = Identity {
        name: "client-victim".into(),
        chain: chain_of(leaf_ca.sign(&victim_params, &bad_key, "victim")?),
        key: Arc::clone(&bad_key),
    };

    // Unknown CA: a foreign root, with the same key type, that signs a client leaf directly.
    let foreign_key = key("foreign-root")?;
    let foreign_params = ca_params("unknown CA (not trusted)", 1, None, &foreign_key, a);
    let foreign_root = sign_self(&foreign_params, &foreign_key, "foreign root")?;
    let foreign_issuer = Ca::local(foreign_params, Arc::clone(&foreign_key));
    let foreign_leaf = client_params("client-unknown-ca", 903, &bad_key, a, None);
    bad_clients.push((
        ClientCert::UnknownCa,
        Identity {
            name: "client-unknown-ca".into(),
            chain: vec![foreign_issuer.sign(&foreign_leaf, &bad_key, "unknown-ca client")?],
            key: Arc::clone(&bad_key),
        },
    ));

    // Missing intermediate: pool identity 0's leaf alone.
    let first = clients
        .first()
        .ok_or_else(|| IssueError::Spec("empty client pool".into()))?;
    let mut missing: Vec<(ClientCert, String)> = Vec::new();
    if levels > 0 {
        bad_clients.push((
            ClientCert::MissingIntermediate,
            Identity {
                name: "client-missing-intermediate".into(),
                chain: vec![first.chain[0].clone()],
                key: Arc::clone(&first.key),
            },
        ));
    } else {
        missing.push((
            ClientCert::MissingIntermediate,
            "the user's CA has pathLenConstraint 0, so it signs the leaves itself: a leaf sent alone lacks only certificates the server may already trust, which cannot isolate a missing intermediate".into(),
        ));
    }
    let more = variants::issue(&variants::Inputs {
        spec,
        urls,
        root: &root_ca,
        leaf_issuer: &leaf_ca,
        above_root: &above_root,
        intermediates: &sent_intermediates,
        bad_key: &bad_key,
        valid: first,
        unrelated: &foreign_root,
    })?;
    bad_clients.extend(more.clients);
    missing.extend(more.missing);
    // Mismatched key: pool identity 0's chain with the bad key (same type, so the signature
    // scheme is acceptable and only the signature itself is wrong).
    bad_clients.push((
        ClientCert::MismatchedKey,
        Identity {
            name: "client-mismatched-key".into(),
            chain: first.chain.clone(),
            key: bad_key,
        },
    ));

    Ok(Pki {
        spec: spec.clone(),
        root,
        root_key,
        intermediates,
        intermediate_keys,
        server,
        clients,
        bad_clients,
        foreign_root,
        victim,
        leaf_ca,
        cas,
        variant_cas: more.cas,
        server_must_staple,
        ocsp_responder,
        ocsp_unauthorized,
        no_crl_sign_ca: more.no_crl_sign_ca,
        missing,
    })
}

/// The name (and subject CN) of pool identity `index`: `client-00042`.
pub fn pool_name(index: usize) -> String {
    format!("client-{index:05}")
}

/// Generates the keys named `labels` on all usable CPUs.
fn generate_keys(
    spec: &PkiSpec,
    labels: &[String],
) -> Result<std::collections::HashMap<String, Arc<KeyMaterial>>, IssueError> {
    let workers = crate::sys::usable_cpus().clamp(1, labels.len().max(1));
    let chunks: Vec<&[String]> = labels
        .chunks(labels.len().div_ceil(workers).max(1))
        .collect();
    thread::scope(|scope| {
        let handles: Vec<_> = chunks
            .into_iter()
            .map(|chunk| {
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|l| {
                            KeyMaterial::generate(spec.key_type, spec.seed, l)
                                .map(|k| (l.clone(), Arc::new(k)))
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        let mut keys = std::collections::HashMap::new();
        for handle in handles {
            let part = handle
                .join()
                .map_err(|_| IssueError::Spec("a key generation thread panicked".into()))??;
            keys.extend(part);
        }
        Ok(keys)
    })
}
