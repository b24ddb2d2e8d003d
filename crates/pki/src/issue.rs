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

use std::collections::HashMap;
use std::sync::Arc;
use std::thread;

use rcgen::{ExtendedKeyUsagePurpose, SanType, SerialNumber};
use rustls::pki_types::CertificateDer;

use super::ca::Ca;
use super::extensions::{self, RevocationUrls};
use super::keys::KeyMaterial;
use super::model::{Identity, Pki, PkiSpec};
use super::params::{ca_params, cert_err, client_params, leaf_params, sign_self, IssueError};
use super::recipes::Inputs;
use super::variants::{
    self, OCSP_RESPONDER_SERIAL, OCSP_UNAUTHORIZED_SERIAL, POOL_SERIAL, ROOT_SERIAL,
    SERVER_MUST_STAPLE_SERIAL, SERVER_SERIAL, VICTIM_SERIAL,
};

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
    check(spec)?;
    let urls = spec.revocation_url.as_deref().map(|base| RevocationUrls {
        base,
        crl_shards: spec.crl_shards.unwrap_or(1),
        crl_delta: spec.crl_delta.unwrap_or(false),
    });
    let keys = Keys::generate(spec)?;
    let h = Hierarchy::issue(spec, &keys)?;
    let (server, server_must_staple) = servers(spec, &h, &keys, urls)?;
    let responder_key = keys.get("ocsp-responder")?;
    let responder = |cn: &str, serial, eku| h.responder(spec, &responder_key, cn, serial, eku);
    let ocsp_responder = responder(
        "ocsp-responder",
        OCSP_RESPONDER_SERIAL,
        ExtendedKeyUsagePurpose::OcspSigning,
    )?;
    let ocsp_unauthorized = responder(
        "ocsp-unauthorized",
        OCSP_UNAUTHORIZED_SERIAL,
        ExtendedKeyUsagePurpose::ClientAuth,
    )?;
    let clients = pool(spec, &h, &keys, urls)?;
    let bad_key = keys.get("bad-client")?;
    let victim_params = client_params("client-victim", VICTIM_SERIAL, &bad_key, spec.anchor, urls);
    let victim = Identity {
        name: "client-victim".into(),
        chain: h.chain_of(h.leaf_ca.sign(&victim_params, &bad_key, "victim")?),
        key: Arc::clone(&bad_key),
    };
    // Unknown CA: a foreign root, with the same key type, that signs a client leaf directly.
    let foreign_key = keys.get("foreign-root")?;
    let foreign_params = ca_params(
        "unknown CA (not trusted)",
        ROOT_SERIAL,
        None,
        &foreign_key,
        spec.anchor,
    );
    let foreign_root = sign_self(&foreign_params, &foreign_key, "foreign root")?;
    let foreign = Ca::local(foreign_params, foreign_key);
    let valid = clients
        .first()
        .ok_or_else(|| IssueError::Spec("empty client pool".into()))?;
    let bad = variants::issue(&Inputs {
        spec,
        urls,
        root: &h.root_ca,
        leaf_issuer: &h.leaf_ca,
        levels: h.levels,
        above_root: &h.above_root,
        intermediates: &h.sent,
        bad_key: &bad_key,
        valid,
        foreign: &foreign,
        unrelated: &foreign_root,
    })?;
    Ok(Pki {
        spec: spec.clone(),
        root_key: Arc::clone(&h.root_ca.key),
        root: h.root,
        intermediates: h.intermediates,
        intermediate_keys: h.intermediate_keys,
        server,
        clients,
        bad_clients: bad.clients,
        foreign_root,
        victim,
        leaf_ca: h.leaf_ca,
        cas: h.cas,
        variant_cas: bad.cas,
        server_must_staple,
        ocsp_responder,
        ocsp_unauthorized,
        no_crl_sign_ca: bad.no_crl_sign_ca,
        missing: bad.missing,
    })
}

/// Refuses a spec out of range.
fn check(spec: &PkiSpec) -> Result<(), IssueError> {
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
    Ok(())
}

/// The keys of a spec: the fixed ones (CAs, server, bad variants, an RSA pool's shared keys)
/// made up front on all CPUs (RSA-4096 generation takes seconds per key), any other on demand.
struct Keys<'a> {
    spec: &'a PkiSpec,
    fixed: HashMap<String, Arc<KeyMaterial>>,
}

impl<'a> Keys<'a> {
    fn generate(spec: &'a PkiSpec) -> Result<Self, IssueError> {
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
            labels
                .extend((0..RSA_POOL_KEYS.min(spec.identities)).map(|i| format!("client-rsa-{i}")));
        }
        let fixed = generate_keys(spec, &labels)?;
        Ok(Self { spec, fixed })
    }

    /// The key named `label`.
    fn get(&self, label: &str) -> Result<Arc<KeyMaterial>, IssueError> {
        if let Some(k) = self.fixed.get(label) {
            return Ok(Arc::clone(k));
        }
        Ok(Arc::new(KeyMaterial::generate_from(
            self.spec.key_type,
            self.spec.key_seed(),
            label,
        )?))
    }
}

/// The root (the harness's own, or the user's CA in its place) and the intermediates.
struct Hierarchy {
    /// The trust anchor's certificate.
    root: CertificateDer<'static>,
    /// The root as a signer.
    root_ca: Ca,
    /// With the user's CA: that CA and the chain above it, sent after the intermediates.
    above_root: Vec<CertificateDer<'static>>,
    /// Intermediates made (fewer than asked when the user's CA's path length is short).
    levels: u8,
    /// Their certificates, the one closest to the root first.
    intermediates: Vec<CertificateDer<'static>>,
    /// Their keys.
    intermediate_keys: Vec<Arc<KeyMaterial>>,
    /// The CA that issues the leaves.
    leaf_ca: Ca,
    /// Every CA, the root first.
    cas: Vec<Ca>,
    /// What a leaf's chain sends after the leaf: the intermediates from the lowest up, then
    /// `above_root`.
    sent: Vec<CertificateDer<'static>>,
}

impl Hierarchy {
    fn issue(spec: &PkiSpec, keys: &Keys<'_>) -> Result<Self, IssueError> {
        let a = spec.anchor;
        let (root, root_ca, above_root, levels) = match &spec.issuer {
            None => {
                let root_key = keys.get("root")?;
                let root_params =
                    ca_params("mtls-harness root CA", ROOT_SERIAL, None, &root_key, a);
                let root = sign_self(&root_params, &root_key, "root CA")?;
                let root_ca = Ca::local(root_params, root_key);
                (root, root_ca, Vec::new(), spec.intermediates)
            }
            Some(issuer) => {
                // The user's CA signs throwaway sub-CAs where its path length allows them;
                // with pathLenConstraint 0 it signs the leaves itself.
                let ext = &issuer.0;
                let mut levels = spec.intermediates;
                while levels > 0 && !ext.allows_sub_cas(u32::from(levels)) {
                    levels -= 1;
                }
                let mut above = vec![ext.cert.clone()];
                above.extend(ext.chain.iter().cloned());
                (ext.cert.clone(), Ca::external(ext), above, levels)
            }
        };
        let mut h = Self {
            root,
            root_ca: root_ca.clone(),
            above_root,
            levels,
            intermediates: Vec::new(),
            intermediate_keys: Vec::new(),
            leaf_ca: root_ca.clone(),
            cas: vec![root_ca],
            sent: Vec::new(),
        };
        for level in 1..=levels {
            let ikey = keys.get(&format!("intermediate-{level}"))?;
            // Path length: the lowest intermediate issues leaves only.
            let params = ca_params(
                &format!("mtls-harness intermediate CA {level}"),
                ROOT_SERIAL + u64::from(level),
                Some(levels - level),
                &ikey,
                a,
            );
            let what = format!("intermediate {level}");
            h.intermediates.push(h.leaf_ca.sign(&params, &ikey, &what)?);
            h.intermediate_keys.push(Arc::clone(&ikey));
            h.leaf_ca = h.leaf_ca.below(params, ikey);
            h.cas.push(h.leaf_ca.clone());
        }
        h.sent = h.intermediates.iter().rev().cloned().collect();
        h.sent.extend(h.above_root.iter().cloned());
        Ok(h)
    }

    /// A chain as a peer sends it: `leaf`, then [`Hierarchy::sent`].
    fn chain_of(&self, leaf: CertificateDer<'static>) -> Vec<CertificateDer<'static>> {
        let mut chain = vec![leaf];
        chain.extend(self.sent.iter().cloned());
        chain
    }

    /// A delegated OCSP responder certificate of the leaves' CA (ocsp-nocheck) with `eku`.
    fn responder(
        &self,
        spec: &PkiSpec,
        key: &Arc<KeyMaterial>,
        cn: &str,
        serial: u64,
        eku: ExtendedKeyUsagePurpose,
    ) -> Result<Identity, IssueError> {
        let mut p = leaf_params(cn, serial, key, spec.anchor, None);
        p.extended_key_usages = vec![eku];
        extensions::add_ocsp_nocheck(&mut p);
        Ok(Identity {
            name: cn.into(),
            chain: self.chain_of(self.leaf_ca.sign(&p, key, cn)?),
            key: Arc::clone(key),
        })
    }
}

/// The server, and the same server with OCSP Must-Staple (RFC 7633) for stapling cases.
fn servers(
    spec: &PkiSpec,
    h: &Hierarchy,
    keys: &Keys<'_>,
    urls: Option<RevocationUrls<'_>>,
) -> Result<(Identity, Identity), IssueError> {
    let server_key = keys.get("server")?;
    let mut params = leaf_params(
        "mtls-harness server",
        SERVER_SERIAL,
        &server_key,
        spec.anchor,
        urls,
    );
    params.subject_alt_names = vec![
        SanType::DnsName("localhost".try_into().map_err(|e| cert_err("server", e))?),
        SanType::IpAddress([127, 0, 0, 1].into()),
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server = Identity {
        name: "server".into(),
        chain: h.chain_of(h.leaf_ca.sign(&params, &server_key, "server")?),
        key: Arc::clone(&server_key),
    };
    params.serial_number = Some(SerialNumber::from(SERVER_MUST_STAPLE_SERIAL));
    extensions::add_must_staple(&mut params);
    let must_staple = Identity {
        name: "server-must-staple".into(),
        chain: h.chain_of(h.leaf_ca.sign(&params, &server_key, "must-staple")?),
        key: server_key,
    };
    Ok((server, must_staple))
}

/// The client pool, issued in parallel.
fn pool(
    spec: &PkiSpec,
    h: &Hierarchy,
    keys: &Keys<'_>,
    urls: Option<RevocationUrls<'_>>,
) -> Result<Vec<Identity>, IssueError> {
    let rsa_keys: Vec<Arc<KeyMaterial>> = if spec.key_type.rsa_bits().is_some() {
        (0..RSA_POOL_KEYS.min(spec.identities))
            .map(|i| keys.get(&format!("client-rsa-{i}")))
            .collect::<Result<_, _>>()?
    } else {
        Vec::new()
    };
    let client_leaf = |i: usize| -> Result<Identity, IssueError> {
        let name = pool_name(i);
        let ckey = if rsa_keys.is_empty() {
            keys.get(&name)?
        } else {
            Arc::clone(&rsa_keys[i % rsa_keys.len()])
        };
        let params = client_params(&name, POOL_SERIAL + i as u64, &ckey, spec.anchor, urls);
        let cert = h.leaf_ca.sign(&params, &ckey, &name)?;
        Ok(Identity {
            name,
            chain: h.chain_of(cert),
            key: ckey,
        })
    };
    let workers = crate::sys::usable_cpus().clamp(1, 16);
    let per_worker = spec.identities.div_ceil(workers);
    thread::scope(|scope| {
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
) -> Result<HashMap<String, Arc<KeyMaterial>>, IssueError> {
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
                            KeyMaterial::generate_from(spec.key_type, spec.key_seed(), l)
                                .map(|k| (l.clone(), Arc::new(k)))
                        })
                        .collect::<Result<Vec<_>, _>>()
                })
            })
            .collect();
        let mut keys = HashMap::new();
        for handle in handles {
            let part = handle
                .join()
                .map_err(|_| IssueError::Spec("a key generation thread panicked".into()))??;
            keys.extend(part);
        }
        Ok(keys)
    })
}
