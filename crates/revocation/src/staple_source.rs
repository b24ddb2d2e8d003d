//! A server's own OCSP staple, fetched from the responder in its certificate's AIA and kept
//! fresh: shared by the rustls server (through its `StapledCert`), the OpenSSL server (through
//! its status callback) and `openssl s_server` (fetched once into its `-status_file`). A failed
//! refresh keeps the last staple until its nextUpdate, then drops it (a stale staple would be
//! refused anyway).

use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use der::Decode;
use rustls::pki_types::CertificateDer;
use x509_cert::Certificate;

use crate::revocation::ocsp::{CertState, OcspChecker, ResponseProblem};

/// Why a server has no (fresh) staple.
#[derive(Debug, thiserror::Error)]
pub enum StapleError {
    /// The chain lacks the issuer a staple's CertID needs.
    #[error("the server chain has no issuer certificate")]
    NoIssuer,
    /// The chain's certificates do not parse.
    #[error("the server chain does not parse")]
    BadChain,
    /// The responder gave nothing usable.
    #[error(transparent)]
    Fetch(#[from] ResponseProblem),
}

/// The staple of one certificate.
pub struct StapleSource {
    leaf: Certificate,
    issuer: Certificate,
    verify: bool,
    der: RwLock<Option<Arc<Vec<u8>>>>,
    expires: RwLock<Option<SystemTime>>,
}

impl StapleSource {
    /// The staple source for `chain` (leaf, then its issuer). With `verify` off, whatever the
    /// responder answers is stapled unchecked (a careless server, for testing clients).
    ///
    /// # Errors
    /// When the chain has no issuer or does not parse.
    pub fn new(chain: &[CertificateDer<'_>], verify: bool) -> Result<Self, StapleError> {
        let (Some(leaf), Some(issuer)) = (chain.first(), chain.get(1)) else {
            return Err(StapleError::NoIssuer);
        };
        let (leaf, issuer) = match (Certificate::from_der(leaf), Certificate::from_der(issuer)) {
            (Ok(l), Ok(i)) => (l, i),
            _ => return Err(StapleError::BadChain),
        };
        Ok(Self {
            leaf,
            issuer,
            verify,
            der: RwLock::new(None),
            expires: RwLock::new(None),
        })
    }

    /// The current staple, if any.
    pub fn current(&self) -> Option<Arc<Vec<u8>>> {
        self.der.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Fetches a fresh staple with `checker` and installs it.
    ///
    /// # Errors
    /// Why no fresh staple could be had.
    pub fn refresh(&self, checker: &OcspChecker) -> Result<CertState, StapleError> {
        let fetched = if self.verify {
            checker.query(&self.leaf, &self.issuer)
        } else {
            checker.fetch_unverified(&self.leaf, &self.issuer)
        };
        match fetched {
            Ok(fetched) => {
                *self.der.write().unwrap_or_else(|p| p.into_inner()) = Some(Arc::new(fetched.der));
                *self.expires.write().unwrap_or_else(|p| p.into_inner()) =
                    fetched.verified.next_update;
                Ok(fetched.verified.state)
            }
            Err(problem) => {
                let expired = self
                    .expires
                    .read()
                    .unwrap_or_else(|p| p.into_inner())
                    .is_some_and(|t| t < SystemTime::now());
                if expired {
                    *self.der.write().unwrap_or_else(|p| p.into_inner()) = None;
                }
                Err(problem.into())
            }
        }
    }
}

/// Runs `refresh` every `every` on a blocking thread, logging the outcome.
pub async fn refresh_every<F>(every: Duration, refresh: F)
where
    F: Fn() -> Result<CertState, StapleError> + Send + Sync + 'static,
{
    let refresh = Arc::new(refresh);
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    loop {
        ticker.tick().await;
        let r = Arc::clone(&refresh);
        match tokio::task::spawn_blocking(move || r()).await {
            Ok(Ok(state)) => tracing::debug!(?state, "staple refreshed"),
            Ok(Err(e)) => tracing::warn!("staple refresh failed: {e}"),
            Err(e) => tracing::warn!("staple refresh task: {e}"),
        }
    }
}
