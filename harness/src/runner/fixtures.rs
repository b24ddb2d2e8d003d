//! Fixtures for a run: generated once per distinct spec (key type) and written under the run
//! directory, then shared by every case that needs them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::pki::{self, CrlKind, KeyType, Pki, PkiFiles, PkiSpec};
use crate::revocation::ocsp::Responder;
use crate::scenario::PkiSettings;

use super::RunError;

/// Generated fixtures, keyed by their spec (key type and chain depth).
pub struct Fixtures {
    settings: PkiSettings,
    dir: PathBuf,
    made: HashMap<PkiSpec, (Arc<Pki>, PkiFiles)>,
    crls: HashMap<(PkiSpec, usize, CrlKind), PathBuf>,
    revocation: Option<(String, Arc<Responder>)>,
    /// Per hierarchy, whether the target accepted its valid credential (target mode), or why
    /// not.
    trust: HashMap<PkiSpec, Result<(), String>>,
}

impl Fixtures {
    /// An empty cache writing under `dir`.
    pub fn new(settings: PkiSettings, dir: PathBuf) -> Self {
        Self {
            settings,
            dir,
            made: HashMap::new(),
            crls: HashMap::new(),
            revocation: None,
            trust: HashMap::new(),
        }
    }

    /// From now on, certificates name the revocation service at `base_url` (AIA, CRL
    /// distribution point), and `responder` answers for every CA generated.
    pub fn serve_revocation(&mut self, base_url: String, responder: Arc<Responder>) {
        self.revocation = Some((base_url, responder));
    }

    fn spec(&self, key: KeyType, intermediates: u8) -> PkiSpec {
        let mut spec = self.settings.spec(key, intermediates);
        spec.revocation_url = self.revocation.as_ref().map(|(url, _)| url.clone());
        spec
    }

    /// Whether the target trusts the hierarchy of `key`/`intermediates`, asked of `check` on
    /// first use and remembered for the run.
    pub fn trusted(
        &mut self,
        key: KeyType,
        intermediates: u8,
        check: impl FnOnce() -> Result<(), String>,
    ) -> Result<(), String> {
        let spec = self.spec(key, intermediates);
        self.trust.entry(spec).or_insert_with(check).clone()
    }

    /// A CRL of `kind` for the fixtures of `key`/`intermediates` with `entries` filler
    /// entries, issued and written on first use.
    ///
    /// # Errors
    /// When the fixtures, the CRL or its file cannot be made.
    pub fn crl(
        &mut self,
        key: KeyType,
        intermediates: u8,
        entries: usize,
        kind: CrlKind,
    ) -> Result<PathBuf, RunError> {
        let spec = self.spec(key, intermediates);
        if let Some(path) = self.crls.get(&(spec.clone(), entries, kind)) {
            return Ok(path.clone());
        }
        let (pki, files) = self.get(key, intermediates)?;
        let started = Instant::now();
        let crl = pki::issue_crl(&pki, entries, 1, &[], kind).map_err(RunError::Fixtures)?;
        let path = match kind {
            CrlKind::Fresh => files.dir.join(format!("crl-{entries}.pem")),
            other => files
                .dir
                .join(format!("crl-{entries}-{}.pem", other.name())),
        };
        pki::write_crl(&crl, &path).map_err(RunError::FixtureFiles)?;
        tracing::info!(
            entries,
            bytes = crl.as_ref().len(),
            issue_ms = started.elapsed().as_millis() as u64,
            path = %path.display(),
            "CRL ready"
        );
        self.crls.insert((spec, entries, kind), path.clone());
        Ok(path)
    }

    /// The fixtures for `key` with `intermediates` CAs, generating and writing them on first
    /// use.
    ///
    /// # Errors
    /// When generation or writing fails.
    pub fn get(
        &mut self,
        key: KeyType,
        intermediates: u8,
    ) -> Result<(Arc<Pki>, PkiFiles), RunError> {
        let spec = self.spec(key, intermediates);
        if let Some((pki, files)) = self.made.get(&spec) {
            return Ok((Arc::clone(pki), files.clone()));
        }
        let started = Instant::now();
        let pki = Arc::new(pki::generate(&spec).map_err(RunError::Fixtures)?);
        let generated = started.elapsed();
        let files =
            pki::write_pki(&pki, &self.dir.join(spec.label())).map_err(RunError::FixtureFiles)?;
        if let Some((_, responder)) = &self.revocation {
            responder
                .add_pki(&pki)
                .map_err(|e| RunError::Fixtures(pki::IssueError::Spec(e.to_string())))?;
        }
        tracing::info!(
            key = %key,
            identities = spec.identities,
            generate_ms = generated.as_millis() as u64,
            write_ms = (started.elapsed() - generated).as_millis() as u64,
            dir = %files.dir.display(),
            "fixtures ready"
        );
        self.made.insert(spec, (Arc::clone(&pki), files.clone()));
        Ok((pki, files))
    }
}
