//! A CA that signs fixtures: the harness's own (parameters and key, signed by rcgen) or the
//! user's (`ExternalCa`: rcgen signs with its key, then the issuer name is set to the CA's own
//! subject bytes). Everything that issues goes through [`Ca::sign`], so a hierarchy hangs off
//! either one the same way. Under a user's CA, [`Ca::sign`] mints by its [`Mint`] rules: random
//! serials, a short lifetime.

use std::sync::Arc;

use rcgen::{
    CertificateParams, CertificateRevocationListParams, Issuer, KeyIdMethod, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, CertificateRevocationListDer};

use super::external::ExternalCa;
use super::keys::KeyMaterial;
use super::mint::Mint;
use super::params::{sign, IssueError};

/// A CA that signs.
#[derive(Clone)]
pub struct Ca {
    /// The parameters rcgen reads as issuer (name, key identifier, key usages); for a user's CA
    /// a stand-in whose name [`ExternalCa::adopt`] replaces.
    pub params: CertificateParams,
    /// The signing key.
    pub key: Arc<KeyMaterial>,
    /// The user's CA, when this is it.
    pub external: Option<Arc<ExternalCa>>,
    /// The minting rules when this CA is, or stands below, a user's CA.
    pub mint: Option<Mint>,
}

impl Ca {
    /// One of the harness's own CAs.
    pub fn local(params: CertificateParams, key: Arc<KeyMaterial>) -> Self {
        Self {
            params,
            key,
            external: None,
            mint: None,
        }
    }

    /// A CA this one certified: one of the harness's own, minting as this one does (under a
    /// user's CA, every CA below it mints by its rules too).
    pub fn below(&self, params: CertificateParams, key: Arc<KeyMaterial>) -> Self {
        Self {
            mint: self.mint.clone(),
            ..Self::local(params, key)
        }
    }

    /// The user's CA.
    pub fn external(ca: &Arc<ExternalCa>) -> Self {
        let mut params = CertificateParams::default();
        params.key_identifier_method = match &ca.ski {
            Some(ski) => KeyIdMethod::PreSpecified(ski.clone()),
            None => KeyIdMethod::PreSpecified(ca.key.key_identifier()),
        };
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        Self {
            params,
            key: Arc::clone(&ca.key),
            external: Some(Arc::clone(ca)),
            mint: Some(ca.mint.clone()),
        }
    }

    /// `params` for `subject_key`, signed by this CA.
    ///
    /// # Errors
    /// When rcgen refuses the parameters or re-issuing under a user's CA fails.
    pub fn sign(
        &self,
        params: &CertificateParams,
        subject_key: &KeyMaterial,
        what: &str,
    ) -> Result<CertificateDer<'static>, IssueError> {
        let issuer = Issuer::from_params(&self.params, &*self.key);
        let cert = match &self.mint {
            None => sign(params, subject_key, &issuer, what)?,
            Some(mint) => {
                let mut minted = params.clone();
                mint.apply(&mut minted);
                sign(&minted, subject_key, &issuer, what)?
            }
        };
        match &self.external {
            None => Ok(cert),
            Some(ext) => ext.adopt(&cert),
        }
    }

    /// A CRL this CA issues. `other_name` and `signer` override the name and key for the CRLs
    /// that are wrong on purpose: a CRL in another issuer's name is never re-issued in the
    /// user's CA's name; a foreign signature keeps the CA's name and is signed by `signer`.
    ///
    /// # Errors
    /// When rcgen refuses or re-issuing fails.
    pub fn sign_crl(
        &self,
        params: &CertificateRevocationListParams,
        other_name: Option<&CertificateParams>,
        signer: Option<&KeyMaterial>,
    ) -> Result<CertificateRevocationListDer<'static>, IssueError> {
        let signer = signer.unwrap_or(&*self.key);
        let issuer = Issuer::from_params(other_name.unwrap_or(&self.params), signer);
        let crl = params
            .signed_by(&issuer)
            .map(|crl| crl.der().clone())
            .map_err(|source| IssueError::Certificate {
                what: "CRL".into(),
                source,
            })?;
        match &self.external {
            Some(ext) if other_name.is_none() => Ok(CertificateRevocationListDer::from(
                ext.adopt_crl(&crl, signer)?,
            )),
            _ => Ok(crl),
        }
    }
}
