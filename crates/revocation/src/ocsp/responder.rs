//! The OCSP responder's knowledge and answers (RFC 6960), without I/O: which CAs it speaks for,
//! the status of every certificate they issued, who signs, and the faults a scenario injects.
//! [`super::service`] puts it on HTTP.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use der::asn1::OctetString;
use der::{Decode, Encode};
use rustls::pki_types::CertificateDer;
use sha1::{Digest, Sha1};
use sha2::Sha256;
use x509_cert::Certificate;
use x509_ocsp::builder::OcspResponseBuilder;
use x509_ocsp::ext::Nonce;
use x509_ocsp::{
    CertId, CertStatus, OcspGeneralizedTime, OcspRequest, OcspResponse, ResponderId, RevokedInfo,
    SingleResponse,
};

pub use super::issued::ResponderError;
use super::issued::{chain_up, issued_at, known_cas, leaves, parse, Level};
use super::signer::KeySigner;
use super::Fault;
use crate::pki::{ClientCert, KeyMaterial, Pki};
use crate::scenario::OcspSigner as SignedBy;

/// What the responder does, changeable between cases.
#[derive(Clone, Copy, Debug)]
pub struct ResponderSettings {
    /// Who signs.
    pub signed_by: SignedBy,
    /// An injected fault.
    pub fault: Fault,
    /// Added before every answer (also CRL downloads).
    pub delay: Duration,
    /// nextUpdate - thisUpdate of good answers.
    pub validity: Duration,
}

impl Default for ResponderSettings {
    fn default() -> Self {
        Self {
            signed_by: SignedBy::Ca,
            fault: Fault::None,
            delay: Duration::ZERO,
            validity: Duration::from_secs(3600),
        }
    }
}

/// One CA the responder answers for.
struct CaEntry {
    issuer: Certificate,
    key: Arc<KeyMaterial>,
    name_hashes: [Vec<u8>; 2],
    key_hashes: [Vec<u8>; 2],
    issued: RwLock<HashSet<Vec<u8>>>,
    revoked: RwLock<HashMap<Vec<u8>, SystemTime>>,
    initially_revoked: HashMap<Vec<u8>, SystemTime>,
    delegated: Option<(Arc<KeyMaterial>, Certificate)>,
    unauthorized: Option<(Arc<KeyMaterial>, Certificate)>,
    /// The CA's certificate and the CAs above it up to the anchor (self-signed ones left out):
    /// sent in every answer (RFC 6960 4.2.1 `certs`), after a delegated responder's certificate.
    chain: Vec<Certificate>,
}

/// Counters of what the responder answered.
#[derive(Debug, Default)]
pub struct ResponderStats {
    /// Requests received (OCSP only).
    pub requests: AtomicU64,
    /// Successful responses sent, by status.
    pub good: AtomicU64,
    /// See `good`.
    pub revoked: AtomicU64,
    /// See `good`.
    pub unknown: AtomicU64,
    /// Error statuses, garbage, or no answer.
    pub faulted: AtomicU64,
}

/// The responder's state, shared by the HTTP service and the runner.
#[derive(Default)]
pub struct Responder {
    cas: RwLock<Vec<Arc<CaEntry>>>,
    settings: RwLock<ResponderSettings>,
    /// Bumped by every `configure`; the service stores it in `applied` once its listener
    /// matches (closed while down, open otherwise).
    generation: AtomicU64,
    applied: AtomicU64,
    serving: std::sync::atomic::AtomicBool,
    /// What it answered so far.
    pub stats: ResponderStats,
}

/// The serial number of `cert` as its DER content bytes (how requests name it).
///
/// # Errors
/// When the certificate does not parse.
pub fn serial_of(cert: &CertificateDer<'_>) -> Result<Vec<u8>, ResponderError> {
    Ok(parse(cert)?
        .tbs_certificate
        .serial_number
        .as_bytes()
        .to_vec())
}

impl Responder {
    /// A responder that answers for nobody yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// The current settings.
    pub fn settings(&self) -> ResponderSettings {
        *self.settings.read().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the settings (a case's faults, signer, validity), and waits (up to a second)
    /// until a running service has opened or closed its listener accordingly, so a server
    /// started next sees the new state.
    pub fn configure(&self, settings: ResponderSettings) {
        *self.settings.write().unwrap_or_else(|p| p.into_inner()) = settings;
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        if !self.serving.load(Ordering::SeqCst) {
            return;
        }
        let deadline = std::time::Instant::now() + Duration::from_secs(1);
        while self.applied.load(Ordering::SeqCst) < generation
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The settings generation the service should apply, and their fault.
    pub(super) fn pending(&self) -> (u64, Fault) {
        let generation = self.generation.load(Ordering::SeqCst);
        (generation, self.settings().fault)
    }

    /// Called by the service once its listener matches `generation`.
    pub(super) fn applied(&self, generation: u64) {
        self.applied.fetch_max(generation, Ordering::SeqCst);
    }

    /// Called by the service when it starts and stops serving.
    pub(super) fn set_serving(&self, on: bool) {
        self.serving.store(on, Ordering::SeqCst);
    }

    /// Answers for every CA of `pki`: each intermediate (for the certificates it issued) and the
    /// root (for the first intermediate). The `revoked` client is revoked from the start.
    ///
    /// # Errors
    /// When a certificate does not parse.
    pub fn add_pki(&self, pki: &Pki) -> Result<(), ResponderError> {
        let mut levels: Vec<Level> = vec![(pki.root.clone(), Arc::clone(&pki.root_key))];
        levels.extend(
            pki.intermediates
                .iter()
                .cloned()
                .zip(pki.intermediate_keys.iter().cloned()),
        );
        let leaves = leaves(pki);
        let revoked_leaf = pki
            .client(ClientCert::Revoked, 0)
            .map(|id| serial_of(&id.chain[0]))
            .transpose()?;
        let anchor: SystemTime = pki.spec.anchor.into();
        let lowest = levels.len() - 1;
        // The bad variants' own CAs answer for what they issued (a target that checks OCSP
        // in every case asks about those leaves too), and the root for those CAs under it.
        let variant_certs: Vec<&CertificateDer<'static>> = pki
            .bad_clients
            .iter()
            .flat_map(|(_, id)| id.chain.iter())
            .chain(pki.variant_cas.iter().map(|(_, cert)| cert))
            .collect();
        levels.extend(
            pki.variant_cas
                .iter()
                .map(|(ca, cert)| (cert.clone(), Arc::clone(&ca.key))),
        );
        let known = known_cas(pki, &levels)?;
        let mut new_entries = Vec::new();
        for (i, (cert, key)) in levels.iter().enumerate() {
            let issuer = parse(cert)?;
            let chain = chain_up(&issuer, &known);
            let mut serials = HashSet::new();
            for c in issued_at(&levels, i, lowest, &leaves, &variant_certs)? {
                serials.insert(serial_of(c)?);
            }
            let mut revoked = HashMap::new();
            if let (true, Some(serial)) = (i == lowest, &revoked_leaf) {
                revoked.insert(serial.clone(), anchor);
            }
            let responder_of = |id: &crate::pki::Identity| -> Result<_, ResponderError> {
                Ok((Arc::clone(&id.key), parse(&id.chain[0])?))
            };
            let (delegated, unauthorized) = if i == lowest {
                (
                    Some(responder_of(&pki.ocsp_responder)?),
                    Some(responder_of(&pki.ocsp_unauthorized)?),
                )
            } else {
                (None, None)
            };
            new_entries.push(Arc::new(CaEntry {
                name_hashes: hashes(
                    &issuer
                        .tbs_certificate
                        .subject
                        .to_der()
                        .map_err(ResponderError::Der)?,
                ),
                key_hashes: hashes(
                    issuer
                        .tbs_certificate
                        .subject_public_key_info
                        .subject_public_key
                        .raw_bytes(),
                ),
                issuer,
                key: Arc::clone(key),
                issued: RwLock::new(serials),
                initially_revoked: revoked.clone(),
                revoked: RwLock::new(revoked),
                delegated,
                unauthorized,
                chain,
            }));
        }
        self.cas
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .extend(new_entries);
        Ok(())
    }

    /// Forgets revocations made since the CAs were added (a previous case's victim).
    pub fn reset_revocations(&self) {
        for ca in self.cas.read().unwrap_or_else(|p| p.into_inner()).iter() {
            *ca.revoked.write().unwrap_or_else(|p| p.into_inner()) = ca.initially_revoked.clone();
        }
    }

    /// Marks `cert` revoked from now on (for every CA that issued a certificate with its
    /// serial and issuer). Returns whether a CA knew it.
    ///
    /// # Errors
    /// When the certificate does not parse.
    pub fn revoke(&self, cert: &CertificateDer<'_>) -> Result<bool, ResponderError> {
        let parsed = parse(cert)?;
        let serial = parsed.tbs_certificate.serial_number.as_bytes().to_vec();
        let issuer_name = parsed
            .tbs_certificate
            .issuer
            .to_der()
            .map_err(ResponderError::Der)?;
        let mut known = false;
        for ca in self.cas.read().unwrap_or_else(|p| p.into_inner()).iter() {
            let subject = ca
                .issuer
                .tbs_certificate
                .subject
                .to_der()
                .map_err(ResponderError::Der)?;
            if subject == issuer_name && ca.knows(&serial) {
                ca.revoked
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(serial.clone(), SystemTime::now());
                known = true;
            }
        }
        Ok(known)
    }

    /// Records `cert` as issued (good until revoked) by the CA whose subject is its issuer: a
    /// certificate issued after the CAs were added (a fleet's renewal). Returns whether such a
    /// CA is known.
    ///
    /// # Errors
    /// When the certificate does not parse.
    pub fn add_issued(&self, cert: &CertificateDer<'_>) -> Result<bool, ResponderError> {
        let parsed = parse(cert)?;
        let serial = parsed.tbs_certificate.serial_number.as_bytes().to_vec();
        let issuer_name = parsed
            .tbs_certificate
            .issuer
            .to_der()
            .map_err(ResponderError::Der)?;
        for ca in self.cas.read().unwrap_or_else(|p| p.into_inner()).iter() {
            let subject = ca
                .issuer
                .tbs_certificate
                .subject
                .to_der()
                .map_err(ResponderError::Der)?;
            if subject == issuer_name {
                ca.issued
                    .write()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(serial);
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The DER `OCSPResponse` for a DER `OCSPRequest`. (Faults that send something other than
    /// a response are the service's.)
    pub fn respond(&self, request: &[u8]) -> Vec<u8> {
        self.stats.requests.fetch_add(1, Ordering::Relaxed);
        let settings = self.settings();
        let status_only = match settings.fault {
            Fault::TryLater => Some(OcspResponse::try_later()),
            Fault::InternalError => Some(OcspResponse::internal_error()),
            Fault::Unauthorized => Some(OcspResponse::unauthorized()),
            _ => None,
        };
        let response = match status_only {
            Some(r) => {
                self.stats.faulted.fetch_add(1, Ordering::Relaxed);
                r
            }
            None => match OcspRequest::from_der(request) {
                Ok(req) => self.answer(&req, &settings),
                Err(_) => OcspResponse::malformed_request(),
            },
        };
        response.to_der().unwrap_or_default()
    }

    fn answer(&self, req: &OcspRequest, settings: &ResponderSettings) -> OcspResponse {
        let cas = self.cas.read().unwrap_or_else(|p| p.into_inner()).clone();
        let Some(first) = req.tbs_request.request_list.first() else {
            return OcspResponse::malformed_request();
        };
        // Every request in one message must be for the same CA (they are, from every client
        // the harness knows); the first picks it.
        let Some(ca) = cas.iter().find(|ca| ca.matches(&first.req_cert)) else {
            return OcspResponse::unauthorized();
        };
        let Some((this_update, next_update, produced_at)) = times(settings) else {
            return OcspResponse::internal_error();
        };
        let (signer_key, signer_cert) = ca.signer(settings.signed_by);
        let signer_spki = match &signer_cert {
            Some(c) => c.tbs_certificate.subject_public_key_info.clone(),
            None => ca.issuer.tbs_certificate.subject_public_key_info.clone(),
        };
        let key_hash = Sha1::digest(signer_spki.subject_public_key.raw_bytes()).to_vec();
        let Ok(key_hash) = OctetString::new(key_hash) else {
            return OcspResponse::internal_error();
        };
        let mut builder = OcspResponseBuilder::new(ResponderId::ByKey(key_hash));
        let revoked = ca.revoked.read().unwrap_or_else(|p| p.into_inner()).clone();
        for single in &req.tbs_request.request_list {
            let Some(status) = status(ca, &revoked, &single.req_cert, settings) else {
                return OcspResponse::internal_error();
            };
            let counter = match &status {
                CertStatus::Good(_) => &self.stats.good,
                CertStatus::Revoked(_) => &self.stats.revoked,
                CertStatus::Unknown(_) => &self.stats.unknown,
            };
            counter.fetch_add(1, Ordering::Relaxed);
            builder = builder.with_single_response(
                SingleResponse::new(single.req_cert.clone(), status, this_update)
                    .with_next_update(next_update),
            );
        }
        if let Some(nonce) = req.nonce() {
            let echoed = match settings.fault {
                Fault::NoNonce => None,
                Fault::WrongNonce => Nonce::new(vec![0x5a; nonce.0.as_bytes().len().max(1)]).ok(),
                _ => Some(nonce),
            };
            if let Some(n) = echoed {
                builder = match builder.with_extension(n) {
                    Ok(b) => b,
                    Err(_) => return OcspResponse::internal_error(),
                };
            }
        }
        let mut signer = KeySigner::new(signer_key);
        signer.corrupt = settings.fault == Fault::BadSignature;
        // What OpenSSL's OCSP_basic_verify needs when the relying party passes no certificates
        // of its own (Apache's default): the signer, found only in the response's `certs`, and
        // the CAs that chain it to the anchor.
        let certs = signer_cert
            .into_iter()
            .chain(ca.chain.iter().cloned())
            .collect();
        builder
            .sign(&mut signer, Some(certs), produced_at)
            .unwrap_or_else(|_| OcspResponse::internal_error())
    }
}

/// This update, next update and produced-at of an answer given now (a stale or future
/// answer under those faults); `None` when a time does not encode.
fn times(
    settings: &ResponderSettings,
) -> Option<(
    OcspGeneralizedTime,
    OcspGeneralizedTime,
    OcspGeneralizedTime,
)> {
    let now = SystemTime::now();
    let (this_update, next_update) = match settings.fault {
        Fault::Stale => (now - 2 * settings.validity, now - settings.validity),
        Fault::Future => (now + settings.validity, now + 2 * settings.validity),
        _ => (now, now + settings.validity),
    };
    let (Ok(this_update), Ok(next_update), Ok(produced_at)) = (
        OcspGeneralizedTime::try_from(this_update),
        OcspGeneralizedTime::try_from(next_update),
        OcspGeneralizedTime::try_from(now),
    ) else {
        return None;
    };
    Some((this_update, next_update, produced_at))
}

/// The status `ca` gives the certificate `id` names (unknown under that fault or for another
/// CA's certificate); `None` when its revocation time does not encode.
fn status(
    ca: &CaEntry,
    revoked: &HashMap<Vec<u8>, SystemTime>,
    id: &CertId,
    settings: &ResponderSettings,
) -> Option<CertStatus> {
    let serial = id.serial_number.as_bytes();
    Some(if settings.fault == Fault::Unknown || !ca.matches(id) {
        CertStatus::unknown()
    } else if let Some(at) = revoked.get(serial) {
        let t = OcspGeneralizedTime::try_from(*at).ok()?;
        CertStatus::revoked(RevokedInfo {
            revocation_time: t,
            revocation_reason: None,
        })
    } else if ca.knows(serial) {
        CertStatus::good()
    } else {
        CertStatus::unknown()
    })
}

impl CaEntry {
    /// The key that signs this CA's answers, and the certificate sent with them (a delegated
    /// or unauthorized responder's; none when the CA signs or has no such responder).
    fn signer(&self, signed_by: SignedBy) -> (Arc<KeyMaterial>, Option<Certificate>) {
        match signed_by {
            SignedBy::Ca => (Arc::clone(&self.key), None),
            SignedBy::Delegated | SignedBy::Unauthorized => {
                let pair = if signed_by == SignedBy::Delegated {
                    &self.delegated
                } else {
                    &self.unauthorized
                };
                match pair {
                    Some((k, c)) => (Arc::clone(k), Some(c.clone())),
                    None => (Arc::clone(&self.key), None),
                }
            }
        }
    }

    fn knows(&self, serial: &[u8]) -> bool {
        self.issued
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(serial)
    }

    fn matches(&self, id: &CertId) -> bool {
        let alg = if id.hash_algorithm.oid == const_oid::db::rfc5912::ID_SHA_1 {
            0
        } else if id.hash_algorithm.oid == const_oid::db::rfc5912::ID_SHA_256 {
            1
        } else {
            return false;
        };
        id.issuer_name_hash.as_bytes() == self.name_hashes[alg]
            && id.issuer_key_hash.as_bytes() == self.key_hashes[alg]
    }
}

fn hashes(bytes: &[u8]) -> [Vec<u8>; 2] {
    [Sha1::digest(bytes).to_vec(), Sha256::digest(bytes).to_vec()]
}
