//! Loading the PKITS data directory (`scripts/fetch-pkits.sh` unpacks it): the trust anchor,
//! every certificate file by content, and per test (one S/MIME message each) the certificates
//! and CRLs NIST gives it and the end entity's private key from its PKCS#12 (password
//! `password`). Every problem names its file.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use openssl::pkcs12::Pkcs12;
use openssl::pkey::Id;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use serde::Serialize;

use super::catalog::{self, Place};
use super::cms;
use super::paths;
use super::PkitsError;

/// The trust anchor every PKITS path ends at.
pub const TRUST_ANCHOR: &str = "certs/TrustAnchorRootCertificate.crt";

/// The PKCS#12 password NIST set.
const P12_PASSWORD: &str = "password";

/// The largest file read (the largest PKITS file is a few kB; the bound keeps a wrong
/// directory from being read into memory).
const MAX_FILE: u64 = 1 << 20;

/// The most files a directory may list.
const MAX_FILES: usize = 10_000;

/// One PKITS test.
#[derive(Clone, Serialize)]
pub struct Test {
    /// Its name (`InvalidRevokedCATest2`).
    pub name: String,
    /// Section and number.
    pub place: Place,
    /// The end entity's certificate file (`InvalidRevokedCATest2EE.crt`).
    pub ee_file: String,
    /// NIST's expected result with the default inputs.
    pub expected_valid: bool,
    /// The certificate files in sending order (leaf first).
    pub cert_files: Vec<String>,
    /// How many of them after the leaf form the chain (the rest are extras).
    pub chained: usize,
    /// Notes on ambiguous chain steps.
    pub path_notes: Vec<String>,
    /// The certificates in sending order.
    #[serde(skip)]
    pub chain: Vec<CertificateDer<'static>>,
    /// The CRLs (DER) the test's message carries.
    #[serde(skip)]
    pub crls: Vec<Vec<u8>>,
    /// How many CRLs that is.
    pub crl_count: usize,
    /// The end entity's key, when a TLS client can sign with it.
    #[serde(skip)]
    pub key: Option<Arc<PrivateKeyDer<'static>>>,
    /// Why there is no usable key.
    pub key_problem: Option<String>,
}

impl std::fmt::Debug for Test {
    // Never the key.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Test")
            .field("name", &self.name)
            .field("place", &self.place)
            .field("expected_valid", &self.expected_valid)
            .field("cert_files", &self.cert_files)
            .finish()
    }
}

/// The loaded suite.
#[derive(Debug)]
pub struct Suite {
    /// The data directory.
    pub dir: PathBuf,
    /// The trust anchor (DER).
    pub anchor: Vec<u8>,
    /// Every test, in NIST's order.
    pub tests: Vec<Test>,
}

fn read(path: &Path) -> Result<Vec<u8>, PkitsError> {
    let bad = |reason: String| PkitsError::File {
        path: path.to_path_buf(),
        reason,
    };
    let meta = std::fs::metadata(path).map_err(|e| bad(e.to_string()))?;
    if meta.len() > MAX_FILE {
        return Err(bad(format!(
            "{} bytes; a PKITS file is at most {MAX_FILE}",
            meta.len()
        )));
    }
    std::fs::read(path).map_err(|e| bad(e.to_string()))
}

fn list(dir: &Path, ext: &str) -> Result<Vec<String>, PkitsError> {
    let entries = std::fs::read_dir(dir).map_err(|e| PkitsError::File {
        path: dir.to_path_buf(),
        reason: format!("{e} (run scripts/fetch-pkits.sh, or give --data DIR)"),
    })?;
    let mut names = Vec::new();
    for entry in entries.flatten().take(MAX_FILES) {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(ext) {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// PEM or DER certificate file -> DER.
fn cert_der(path: &Path) -> Result<Vec<u8>, PkitsError> {
    let bytes = read(path)?;
    let cert = if bytes.starts_with(b"-----BEGIN") {
        openssl::x509::X509::from_pem(&bytes)
    } else {
        openssl::x509::X509::from_der(&bytes)
    };
    cert.and_then(|c| c.to_der()).map_err(|e| PkitsError::File {
        path: path.to_path_buf(),
        reason: format!("not an X.509 certificate: {e}"),
    })
}

/// Loads the suite from `dir` (the `PKITS_data` directory).
///
/// # Errors
/// When the directory or one of its files is missing or broken (the error names it).
pub fn load(dir: &Path) -> Result<Suite, PkitsError> {
    if !dir.is_dir() {
        return Err(PkitsError::File {
            path: dir.to_path_buf(),
            reason: "no such directory (run scripts/fetch-pkits.sh, or give --data DIR)".into(),
        });
    }
    let anchor = cert_der(&dir.join(TRUST_ANCHOR))?;
    let mut by_der: HashMap<Vec<u8>, String> = HashMap::new();
    for name in list(&dir.join("certs"), ".crt")? {
        by_der.insert(cert_der(&dir.join("certs").join(&name))?, name);
    }
    let mut tests = Vec::new();
    for file in list(&dir.join("smime"), ".eml")? {
        tests.push(load_test(dir, &file, &by_der)?);
    }
    if tests.is_empty() {
        return Err(PkitsError::File {
            path: dir.join("smime"),
            reason: "holds no Signed*.eml test messages".into(),
        });
    }
    tests.sort_by_key(|t| catalog::order(&t.place.id));
    Ok(Suite {
        dir: dir.to_path_buf(),
        anchor,
        tests,
    })
}

/// The test of the S/MIME message `file` of `dir/smime`: its certificates in sending order,
/// its CRLs and the end entity's key; `by_der` names every certificate file of `certs/`.
fn load_test(
    dir: &Path,
    file: &str,
    by_der: &HashMap<Vec<u8>, String>,
) -> Result<Test, PkitsError> {
    let path = dir.join("smime").join(file);
    let bad = |reason: String| PkitsError::File {
        path: path.clone(),
        reason,
    };
    let name = file
        .strip_prefix("Signed")
        .and_then(|n| n.strip_suffix(".eml"))
        .unwrap_or(file)
        .to_string();
    let place =
        catalog::place(&name).ok_or_else(|| bad(format!("test {name} fits no PKITS section")))?;
    let carried = cms::read_smime(&read(&path)?).map_err(bad)?;
    let ee = end_entity(&carried.certs, by_der).map_err(bad)?;
    let ee_file = by_der[&carried.certs[ee]].clone();
    let others: Vec<Vec<u8>> = carried
        .certs
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != ee)
        .map(|(_, c)| c.clone())
        .collect();
    let ordered = paths::order(&carried.certs[ee], &others);
    let cert_files = ordered
        .certs
        .iter()
        .map(|d| by_der.get(d).cloned().unwrap_or_else(|| "?".into()))
        .collect();
    let p12 = dir.join("pkcs12").join(ee_file.replace(".crt", ".p12"));
    let (key, key_problem) = match end_entity_key(&p12, &carried.certs[ee])? {
        Ok(key) => (Some(Arc::new(key)), None),
        Err(problem) => (None, Some(problem)),
    };
    Ok(Test {
        expected_valid: catalog::expected_valid(&ee_file),
        name,
        place,
        ee_file,
        cert_files,
        chained: ordered.chained,
        path_notes: ordered.ambiguous,
        chain: ordered
            .certs
            .into_iter()
            .map(CertificateDer::from)
            .collect(),
        crl_count: carried.crls.len(),
        crls: carried.crls,
        key,
        key_problem,
    })
}

/// The index in `certs` (a message's certificates) of the one end entity of `certs/`
/// (`by_der`), or why there is not exactly one.
fn end_entity(certs: &[Vec<u8>], by_der: &HashMap<Vec<u8>, String>) -> Result<usize, String> {
    let ees: Vec<usize> = (0..certs.len())
        .filter(|&i| by_der.get(&certs[i]).is_some_and(|f| f.ends_with("EE.crt")))
        .collect();
    match ees[..] {
        [ee] => Ok(ee),
        _ => Err(format!(
            "expected one end entity of certs/ among its certificates, found {}",
            ees.len()
        )),
    }
}

/// The end entity's key from its PKCS#12: `Ok(Err(reason))` when it is there but no TLS
/// client can sign with it (DSA).
fn end_entity_key(
    p12: &Path,
    leaf: &[u8],
) -> Result<Result<PrivateKeyDer<'static>, String>, PkitsError> {
    let bad = |reason: String| PkitsError::File {
        path: p12.to_path_buf(),
        reason,
    };
    let parsed = Pkcs12::from_der(&read(p12)?)
        .and_then(|p| p.parse2(P12_PASSWORD))
        .map_err(|e| bad(format!("PKCS#12 with password {P12_PASSWORD:?}: {e}")))?;
    // OpenSSL pairs the key with its certificate; a DSA key whose parameters the certificate
    // inherits from its issuer (4.1.5) is not paired, and no TLS client could use it anyway.
    let (Some(cert), Some(key)) = (parsed.cert.and_then(|c| c.to_der().ok()), parsed.pkey) else {
        return Ok(Err(format!(
            "{}: OpenSSL finds no certificate and key pair in it",
            p12.display()
        )));
    };
    if cert != leaf {
        return Err(bad("its certificate is not the test's end entity".into()));
    }
    match key.id() {
        Id::RSA | Id::EC => {}
        other => {
            let name = if other == Id::DSA {
                "DSA".to_string()
            } else {
                format!("{other:?}")
            };
            return Ok(Err(format!(
                "the end entity's key is {name}: TLS 1.3 has no DSA signature scheme and the harness's client signs with RSA or ECDSA only"
            )));
        }
    }
    let der = key
        .private_key_to_pkcs8()
        .map_err(|e| bad(format!("the key does not encode as PKCS#8: {e}")))?;
    Ok(Ok(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(der))))
}
