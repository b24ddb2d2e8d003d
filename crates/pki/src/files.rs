//! Writing fixtures to disk as PEM: certificates world-readable, private keys created with mode
//! 0600 (never a moment with wider permissions), and a `manifest.json` that lists every file and
//! certificate fingerprint but no key material.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use rustls::pki_types::CertificateDer;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::keys::hex;
use super::model::{Identity, Pki, PkiSpec};

/// An error writing fixtures, naming the path.
#[derive(Debug, thiserror::Error)]
#[error("writing {path}: {source}")]
pub struct WriteError {
    /// The file or directory.
    pub path: PathBuf,
    /// The I/O error.
    pub source: io::Error,
}

/// The paths of the files peers load.
#[derive(Clone, Debug, Serialize)]
pub struct PkiFiles {
    /// The directory holding everything.
    pub dir: PathBuf,
    /// Root CA certificate (the trust anchor).
    pub root_cert: PathBuf,
    /// Server chain (leaf then intermediates).
    pub server_chain: PathBuf,
    /// Server private key (0600).
    pub server_key: PathBuf,
    /// The server chain with OCSP Must-Staple (same key).
    pub server_must_staple: PathBuf,
}

#[derive(Serialize)]
struct Manifest<'a> {
    spec: &'a PkiSpec,
    files: &'a PkiFiles,
    certificates: Vec<CertEntry>,
    note: &'static str,
}

#[derive(Serialize)]
struct CertEntry {
    name: String,
    file: String,
    sha256: String,
}

/// Writes `pki` under `dir`, creating it. Returns the paths peers load.
///
/// # Errors
/// The first file that could not be written, with its path.
pub fn write_pki(pki: &Pki, dir: &Path) -> Result<PkiFiles, WriteError> {
    let sub = |name: &str| -> Result<PathBuf, WriteError> {
        let path = dir.join(name);
        fs::create_dir_all(&path).map_err(|source| WriteError {
            path: path.clone(),
            source,
        })?;
        Ok(path)
    };
    let (ca, server, clients, bad, foreign) = (
        sub("ca")?,
        sub("server")?,
        sub("clients")?,
        sub("bad")?,
        sub("foreign")?,
    );
    let mut certs = CertWriter {
        dir,
        entries: Vec::new(),
    };
    let root_cert = write_cas(pki, &ca, &mut certs)?;
    let (server_chain, server_key, server_must_staple) = write_server(pki, &server, &mut certs)?;
    for id in [&pki.ocsp_responder, &pki.ocsp_unauthorized] {
        certs.cert(ca.join(format!("{}.crt", id.name)), &id.name, &id.chain)?;
        write_identity_key(id, &ca.join(format!("{}.key", id.name)))?;
    }
    write_clients(pki, &clients, &bad, &mut certs)?;
    certs.cert(
        foreign.join("root.crt"),
        "foreign-root",
        std::slice::from_ref(&pki.foreign_root),
    )?;

    let files = PkiFiles {
        dir: dir.to_path_buf(),
        root_cert,
        server_chain,
        server_key,
        server_must_staple,
    };
    let manifest = Manifest {
        spec: &pki.spec,
        files: &files,
        certificates: certs.entries,
        note: "private keys (*.key) are mode 0600 and never copied into reports",
    };
    let json = serde_json::to_vec_pretty(&manifest).unwrap_or_default();
    write_file(&dir.join("manifest.json"), &json, 0o644)?;
    Ok(files)
}

/// Writes certificates, listing each in the manifest with its path relative to `dir`.
struct CertWriter<'d> {
    dir: &'d Path,
    entries: Vec<CertEntry>,
}

impl CertWriter<'_> {
    /// Writes `chain` to `path` as PEM and lists its first certificate as `name`.
    fn cert(
        &mut self,
        path: PathBuf,
        name: &str,
        chain: &[CertificateDer<'_>],
    ) -> Result<(), WriteError> {
        self.entries.push(CertEntry {
            name: name.to_string(),
            file: path
                .strip_prefix(self.dir)
                .unwrap_or(&path)
                .display()
                .to_string(),
            sha256: hex(&Sha256::digest(&chain[0])),
        });
        write_file(&path, certs_pem(chain).as_bytes(), 0o644)
    }
}

/// The root (its key unless it is the user's CA) and the intermediates with their keys, in
/// `ca`. Returns the root certificate's path.
fn write_cas(pki: &Pki, ca: &Path, certs: &mut CertWriter<'_>) -> Result<PathBuf, WriteError> {
    let root_cert = ca.join("root.crt");
    certs.cert(root_cert.clone(), "root", std::slice::from_ref(&pki.root))?;
    // A user's CA key stays where the user keeps it: never copied into a run directory.
    if pki.spec.issuer.is_none() {
        write_file(
            &ca.join("root.key"),
            key_pem(pki.root_key.pkcs8_der()).as_bytes(),
            0o600,
        )?;
    }
    for (i, (c, k)) in pki
        .intermediates
        .iter()
        .zip(&pki.intermediate_keys)
        .enumerate()
    {
        let n = i + 1;
        certs.cert(
            ca.join(format!("intermediate-{n}.crt")),
            &format!("intermediate-{n}"),
            std::slice::from_ref(c),
        )?;
        write_file(
            &ca.join(format!("intermediate-{n}.key")),
            key_pem(k.pkcs8_der()).as_bytes(),
            0o600,
        )?;
    }
    Ok(root_cert)
}

/// The server's chain, key and Must-Staple chain in `server`, returned in that order.
fn write_server(
    pki: &Pki,
    server: &Path,
    certs: &mut CertWriter<'_>,
) -> Result<(PathBuf, PathBuf, PathBuf), WriteError> {
    let server_chain = server.join("server.crt");
    certs.cert(server_chain.clone(), "server", &pki.server.chain)?;
    let server_key = server.join("server.key");
    write_identity_key(&pki.server, &server_key)?;
    let server_must_staple = server.join("must-staple.crt");
    certs.cert(
        server_must_staple.clone(),
        "server-must-staple",
        &pki.server_must_staple.chain,
    )?;
    Ok((server_chain, server_key, server_must_staple))
}

/// The valid clients in `clients` and the bad credentials in `bad`, with their keys.
fn write_clients(
    pki: &Pki,
    clients: &Path,
    bad: &Path,
    certs: &mut CertWriter<'_>,
) -> Result<(), WriteError> {
    for id in &pki.clients {
        certs.cert(
            clients.join(format!("{}.crt", id.name)),
            &id.name,
            &id.chain,
        )?;
        write_identity_key(id, &clients.join(format!("{}.key", id.name)))?;
    }
    for (variant, id) in &pki.bad_clients {
        certs.cert(bad.join(format!("{variant}.crt")), &id.name, &id.chain)?;
        write_identity_key(id, &bad.join(format!("{variant}.key")))?;
    }
    Ok(())
}

fn write_identity_key(id: &Identity, path: &Path) -> Result<(), WriteError> {
    write_file(path, key_pem(id.key.pkcs8_der()).as_bytes(), 0o600)
}

/// [`crate::fsutil::write_atomic`], with the path in the error.
pub(super) fn write_file(path: &Path, bytes: &[u8], mode: u32) -> Result<(), WriteError> {
    crate::fsutil::write_atomic(path, bytes, mode).map_err(|source| WriteError {
        path: path.to_path_buf(),
        source,
    })
}

/// PEM of a certificate chain.
pub fn certs_pem(chain: &[CertificateDer<'_>]) -> String {
    chain
        .iter()
        .map(|c| pem::encode(&pem::Pem::new("CERTIFICATE", c.to_vec())))
        .collect()
}

fn key_pem(pkcs8: &[u8]) -> String {
    pem::encode(&pem::Pem::new("PRIVATE KEY", pkcs8.to_vec()))
}
