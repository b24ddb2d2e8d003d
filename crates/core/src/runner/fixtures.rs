//! Fixtures for a run: generated once per distinct spec (key type) and written under the run
//! directory, then shared by every case that needs them.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use crate::pki::{self, CrlKind, KeyType, Pki, PkiFiles, PkiSpec, REVOKED_SERIAL};
use crate::report::CrlFileFigures;
use crate::revocation::ocsp::Responder;
use crate::scenario::PkiSettings;

use super::refused::Untrusted;
use super::RunError;

/// How a case's CRL is laid out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CrlLayout {
    /// Shards (serial mod N); 1: one CRL.
    pub shards: u16,
    /// A base CRL plus a delta CRL listing the `revoked` client.
    pub delta: bool,
}

impl CrlLayout {
    /// The layout `case` asks for.
    pub fn of(case: &crate::scenario::Case) -> Self {
        Self {
            shards: case.revocation.crl_list().map_or(1, |l| l.shards.max(1)),
            delta: case.revocation.crl_delta(),
        }
    }
}

/// Generated fixtures, keyed by their spec (key type and chain depth).
pub struct Fixtures {
    settings: PkiSettings,
    dir: PathBuf,
    made: HashMap<PkiSpec, (Arc<Pki>, PkiFiles)>,
    crls: HashMap<(PkiSpec, usize, CrlKind, CrlLayout), (PathBuf, CrlFileFigures)>,
    revocation: Option<(String, Arc<Responder>)>,
    /// Per hierarchy, whether the target accepted its valid credential (target mode), or why
    /// not.
    trust: HashMap<PkiSpec, Result<(), Untrusted>>,
    /// Per distinct client TLS settings, whether they reach client authentication at the
    /// target, or why not.
    reach: HashMap<String, Result<(), Untrusted>>,
    /// What was minted under the user's CA so far (written to the run's `minted.json`).
    minted: Option<pki::Minted>,
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
            reach: HashMap::new(),
            minted: None,
        }
    }

    /// From now on, certificates name the revocation service at `base_url` (AIA, CRL
    /// distribution point), and `responder` answers for every CA generated.
    pub fn serve_revocation(&mut self, base_url: String, responder: Arc<Responder>) {
        self.revocation = Some((base_url, responder));
    }

    /// The spec of `key`/`intermediates`; with `crl_shards` > 1 and the revocation service
    /// running, each leaf names its CRL shard.
    fn spec(&self, key: KeyType, intermediates: u8, layout: CrlLayout) -> PkiSpec {
        let mut spec = self.settings.spec(key, intermediates);
        spec.revocation_url = self.revocation.as_ref().map(|(url, _)| url.clone());
        if spec.revocation_url.is_some() {
            spec.crl_shards = (layout.shards > 1).then_some(layout.shards);
            spec.crl_delta = layout.delta.then_some(true);
        }
        spec
    }

    /// Whether the target trusts the hierarchy of `key`/`intermediates`, asked of `check` on
    /// first use and remembered for the run.
    pub(super) fn trusted(
        &mut self,
        key: KeyType,
        intermediates: u8,
        layout: CrlLayout,
        check: impl FnOnce() -> Result<(), Untrusted>,
    ) -> Result<(), Untrusted> {
        let spec = self.spec(key, intermediates, layout);
        self.trust.entry(spec).or_insert_with(check).clone()
    }

    /// Whether the client TLS settings named `key` reach client authentication at the target,
    /// asked of `check` on first use and remembered for the run.
    pub(super) fn reached(
        &mut self,
        key: String,
        check: impl FnOnce() -> Result<(), Untrusted>,
    ) -> Result<(), Untrusted> {
        self.reach.entry(key).or_insert_with(check).clone()
    }

    /// A CRL file of `kind` for the fixtures of `key`/`intermediates` with `entries` filler
    /// entries, laid out as `layout` says (one CRL, N shards, or a base and its delta, every
    /// CRL in one PEM file), issued and written on first use, with its sizes.
    ///
    /// # Errors
    /// When the fixtures, a CRL or its file cannot be made.
    pub fn crl(
        &mut self,
        key: KeyType,
        intermediates: u8,
        entries: usize,
        kind: CrlKind,
        layout: CrlLayout,
    ) -> Result<(PathBuf, CrlFileFigures), RunError> {
        let spec = self.spec(key, intermediates, layout);
        if let Some(made) = self.crls.get(&(spec.clone(), entries, kind, layout)) {
            return Ok(made.clone());
        }
        let (pki, files) = self.get(key, intermediates, layout)?;
        let started = Instant::now();
        let (crls, delta) = match (layout.shards, layout.delta, &spec.revocation_url) {
            (1, false, _) => (
                vec![pki::issue_crl(&pki, entries, 1, &[], kind).map_err(RunError::Fixtures)?],
                None,
            ),
            (1, true, _) => {
                let base = pki::CrlScope {
                    revoked_client: false,
                    shard: None,
                };
                let base = pki::issue_crl_scoped(&pki, entries, 1, &[], kind, base)
                    .map_err(RunError::Fixtures)?;
                let delta =
                    crate::revocation::delta_crl::issue(&files, &base, 1, 2, &[REVOKED_SERIAL])
                        .map_err(|e| RunError::Fixtures(pki::IssueError::Spec(e.to_string())))?;
                (vec![base], Some(delta))
            }
            (n, _, Some(base_url)) => (
                pki::issue_crl_shards(&pki, entries, 1, &[], n, base_url)
                    .map_err(RunError::Fixtures)?,
                None,
            ),
            (_, _, None) => {
                return Err(RunError::Fixtures(pki::IssueError::Spec(
                    "sharded CRLs need the revocation service's URL in the certificates".into(),
                )))
            }
        };
        let sizes: Vec<usize> = crls.iter().map(|c| c.as_ref().len()).collect();
        let figures = CrlFileFigures::of(&sizes, delta.as_ref().map(|d| d.as_ref().len()));
        let name = match (kind, layout.shards, layout.delta) {
            (CrlKind::Fresh, 1, false) => format!("crl-{entries}.pem"),
            (CrlKind::Fresh, 1, true) => format!("crl-{entries}-delta.pem"),
            (CrlKind::Fresh, n, _) => format!("crl-{entries}-s{n}.pem"),
            (other, _, _) => format!("crl-{entries}-{}.pem", other.name()),
        };
        let path = files.dir.join(name);
        let all: Vec<_> = crls.into_iter().chain(delta).collect();
        pki::write_crls(&all, &path).map_err(RunError::FixtureFiles)?;
        tracing::info!(
            entries,
            shards = layout.shards,
            delta = layout.delta,
            bytes = figures.total_bytes,
            issue_ms = started.elapsed().as_millis() as u64,
            path = %path.display(),
            "CRL ready"
        );
        self.crls.insert(
            (spec, entries, kind, layout),
            (path.clone(), figures.clone()),
        );
        Ok((path, figures))
    }

    /// Adds what `pki` minted under the user's CA to the run's `minted.json` (beside the
    /// `pki` directory), so the user can revoke it.
    fn note_minted(&mut self, pki: &Pki) -> Result<(), RunError> {
        let Some(mut more) = pki::minted(pki) else {
            return Ok(());
        };
        let all = match self.minted.take() {
            Some(mut all) => {
                all.certificates.append(&mut more.certificates);
                all.expires_by = all.expires_by.max(more.expires_by);
                all
            }
            None => more,
        };
        let path = self.dir.parent().unwrap_or(&self.dir).join("minted.json");
        pki::write_minted(&all, &path).map_err(RunError::FixtureFiles)?;
        tracing::info!(
            certificates = all.certificates.len(),
            expires_by = %all.expires_by,
            path = %path.display(),
            "minted under the user's CA"
        );
        self.minted = Some(all);
        Ok(())
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
        layout: CrlLayout,
    ) -> Result<(Arc<Pki>, PkiFiles), RunError> {
        let spec = self.spec(key, intermediates, layout);
        if let Some((pki, files)) = self.made.get(&spec) {
            return Ok((Arc::clone(pki), files.clone()));
        }
        let started = Instant::now();
        let pki = Arc::new(pki::generate(&spec).map_err(RunError::Fixtures)?);
        let generated = started.elapsed();
        let files =
            pki::write_pki(&pki, &self.dir.join(spec.label())).map_err(RunError::FixtureFiles)?;
        self.note_minted(&pki)?;
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
