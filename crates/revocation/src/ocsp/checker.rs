//! Asking the responder about a certificate, with a cache: the piece a server uses to check
//! client certificates and to fetch its own staple. A cached answer is used until its TTL (a
//! scenario setting) or its nextUpdate, whichever comes first; TTL zero means every check asks
//! the responder (a cold cache).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use der::Decode;
use rustls::pki_types::CertificateDer;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::pkix::AuthorityInfoAccessSyntax;
use x509_cert::Certificate;
use x509_ocsp::builder::OcspRequestBuilder;
use x509_ocsp::ext::Nonce;
use x509_ocsp::Request;

use super::fetch::{fetch_ocsp, OcspMethod};
use super::verify::{verify_response, CertState, Expected, ResponseProblem, Verified};

/// How a checker asks.
#[derive(Clone, Debug)]
pub struct CheckerSettings {
    /// Ask here instead of the certificate's AIA URL.
    pub url_override: Option<String>,
    /// How long an answer is reused; zero: never.
    pub cache_ttl: Duration,
    /// Deadline of one query (connect to last byte).
    pub timeout: Duration,
    /// Send a nonce and require it back.
    pub nonce: bool,
    /// GET or POST.
    pub method: OcspMethod,
}

/// The outcome of a check, before a fail policy is applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// The responder says good.
    Good,
    /// The responder says revoked.
    Revoked,
    /// No usable status (unreachable, error status, garbage, status unknown): the fail policy
    /// decides.
    Undetermined(String),
    /// An answer that must not be trusted (bad signature, unauthorized signer, stale, from the
    /// future, wrong nonce): rejected whatever the policy.
    Invalid(String),
}

/// A fetched and verified response.
pub struct Fetched {
    /// The DER response, as a server staples it.
    pub der: Vec<u8>,
    /// What it says.
    pub verified: Verified,
}

/// Counters of a checker.
#[derive(Debug, Default)]
pub struct CheckerStats {
    /// Queries sent to the responder.
    pub queries: AtomicU64,
    /// Checks answered from the cache.
    pub cache_hits: AtomicU64,
    /// Queries that gave no usable answer.
    pub failures: AtomicU64,
}

/// A certificate's DER: it names issuer and serial, and hashes fast.
type CacheKey = Vec<u8>;

/// Checks certificates against OCSP, with a cache.
pub struct OcspChecker {
    settings: CheckerSettings,
    cache: Mutex<HashMap<CacheKey, (Instant, CertState)>>,
    /// What it did.
    pub stats: CheckerStats,
}

impl OcspChecker {
    /// A checker with an empty cache.
    pub fn new(settings: CheckerSettings) -> Self {
        Self {
            settings,
            cache: Mutex::new(HashMap::new()),
            stats: CheckerStats::default(),
        }
    }

    /// The cached status of `leaf`, if there is a fresh one: cheap (one hash lookup, no
    /// parsing), so a server can call it without leaving its event loop.
    pub fn cached(&self, leaf: &CertificateDer<'_>) -> Option<Decision> {
        if self.settings.cache_ttl.is_zero() {
            return None;
        }
        let cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        let (until, state) = cache.get(leaf.as_ref())?;
        if *until <= Instant::now() {
            return None;
        }
        self.stats.cache_hits.fetch_add(1, Ordering::Relaxed);
        Some(decision_of(*state))
    }

    /// The status of `leaf`, issued by `issuer`, from the cache or the responder (blocking).
    pub fn check(&self, leaf_der: &CertificateDer<'_>, issuer: &CertificateDer<'_>) -> Decision {
        if let Some(hit) = self.cached(leaf_der) {
            return hit;
        }
        let (Ok(leaf), Ok(issuer)) = (
            Certificate::from_der(leaf_der),
            Certificate::from_der(issuer),
        ) else {
            return Decision::Undetermined("certificate does not parse".into());
        };
        match self.query(&leaf, &issuer) {
            Ok(fetched) => {
                let state = fetched.verified.state;
                if !self.settings.cache_ttl.is_zero() {
                    let mut until = Instant::now() + self.settings.cache_ttl;
                    if let Some(next) = fetched.verified.next_update {
                        let left = next
                            .duration_since(SystemTime::now())
                            .unwrap_or(Duration::ZERO);
                        until = until.min(Instant::now() + left);
                    }
                    self.cache
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(leaf_der.as_ref().to_vec(), (until, state));
                }
                decision_of(state)
            }
            Err(problem) if problem.is_invalid_answer() => Decision::Invalid(problem.to_string()),
            Err(problem) => Decision::Undetermined(problem.to_string()),
        }
    }

    /// Asks the responder about `leaf` and verifies the answer.
    ///
    /// # Errors
    /// When there is no URL, the responder cannot be reached, or the answer is not usable.
    pub fn query(
        &self,
        leaf: &Certificate,
        issuer: &Certificate,
    ) -> Result<Fetched, ResponseProblem> {
        self.stats.queries.fetch_add(1, Ordering::Relaxed);
        let result = self.query_inner(leaf, issuer, true);
        if result.is_err() {
            self.stats.failures.fetch_add(1, Ordering::Relaxed);
        }
        result
    }

    /// Asks the responder about `leaf` and returns whatever it answered, unverified (its
    /// `verified` field says nothing): for a server that staples without checking.
    ///
    /// # Errors
    /// When there is no URL or the responder cannot be reached.
    pub fn fetch_unverified(
        &self,
        leaf: &Certificate,
        issuer: &Certificate,
    ) -> Result<Fetched, ResponseProblem> {
        self.stats.queries.fetch_add(1, Ordering::Relaxed);
        self.query_inner(leaf, issuer, false)
    }

    fn query_inner(
        &self,
        leaf: &Certificate,
        issuer: &Certificate,
        verify: bool,
    ) -> Result<Fetched, ResponseProblem> {
        let url = match &self.settings.url_override {
            Some(u) => u.clone(),
            None => ocsp_url_of(leaf).ok_or_else(|| {
                ResponseProblem::Malformed("no OCSP URL in the certificate".into())
            })?,
        };
        let serial = leaf.tbs_certificate.serial_number.clone();
        let request = Request::from_issuer::<sha1::Sha1>(issuer, serial.clone())
            .map_err(|e| ResponseProblem::Malformed(e.to_string()))?;
        let mut builder = OcspRequestBuilder::default().with_request(request);
        let nonce = if self.settings.nonce {
            let mut bytes = [0u8; 16];
            rustls::crypto::aws_lc_rs::default_provider()
                .secure_random
                .fill(&mut bytes)
                .map_err(|_| ResponseProblem::Malformed("no randomness".into()))?;
            let n = Nonce::new(bytes.to_vec())
                .map_err(|e| ResponseProblem::Malformed(e.to_string()))?;
            builder = builder
                .with_extension(n)
                .map_err(|e| ResponseProblem::Malformed(e.to_string()))?;
            Some(bytes)
        } else {
            None
        };
        let der = der::Encode::to_der(&builder.build())
            .map_err(|e| ResponseProblem::Malformed(e.to_string()))?;
        let body = fetch_ocsp(&url, &der, self.settings.method, self.settings.timeout)
            .map_err(|e| ResponseProblem::Status(unreachable_name(&e)))?;
        if !verify {
            return Ok(Fetched {
                der: body,
                verified: Verified {
                    state: CertState::Unknown,
                    next_update: None,
                },
            });
        }
        let verified = verify_response(
            &body,
            &Expected {
                issuer,
                serial: &serial,
                nonce: nonce.as_ref().map(|n| n.as_slice()),
                require_nonce: self.settings.nonce,
                now: SystemTime::now(),
            },
        )?;
        Ok(Fetched {
            der: body,
            verified,
        })
    }
}

fn decision_of(state: CertState) -> Decision {
    match state {
        CertState::Good => Decision::Good,
        CertState::Revoked => Decision::Revoked,
        CertState::Unknown => Decision::Undetermined("responder: status unknown".into()),
    }
}

fn unreachable_name(e: &super::fetch::FetchError) -> &'static str {
    use super::fetch::FetchError;
    match e {
        FetchError::Url(_) => "unusable URL",
        FetchError::Refused => "unreachable (connection refused)",
        FetchError::Timeout => "unreachable (timed out)",
        FetchError::Status(_) => "HTTP error",
        FetchError::Malformed(_) => "malformed HTTP answer",
        FetchError::Io(_) => "unreachable (I/O error)",
    }
}

/// The OCSP URL in a certificate's Authority Information Access extension.
pub fn ocsp_url_of(cert: &Certificate) -> Option<String> {
    cert.tbs_certificate
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == const_oid::db::rfc5280::ID_PE_AUTHORITY_INFO_ACCESS)
        .filter_map(|e| AuthorityInfoAccessSyntax::from_der(e.extn_value.as_bytes()).ok())
        .flat_map(|aia| aia.0)
        .find(|d| d.access_method == const_oid::db::rfc5280::ID_AD_OCSP)
        .and_then(|d| match d.access_location {
            GeneralName::UniformResourceIdentifier(uri) => Some(uri.to_string()),
            _ => None,
        })
}
