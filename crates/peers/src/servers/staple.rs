//! OCSP stapling in the rustls server: [`StapledCert`] fetches an OCSP response about its own
//! certificate from the responder in the certificate's AIA, verifies it, staples it, and
//! refreshes it on an interval (keeping the last good one until its nextUpdate when the
//! responder fails). The client's check of a staple is `clients::staple_check`.

use std::fmt;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use crate::revocation::staple_source::{StapleError, StapleSource};

use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;

use crate::revocation::ocsp::{CertState, OcspChecker};

/// The server's certificate with its current staple.
pub struct StapledCert {
    current: RwLock<Arc<CertifiedKey>>,
    source: StapleSource,
}

impl fmt::Debug for StapledCert {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StapledCert")
            .field("has_staple", &self.has_staple())
            .finish_non_exhaustive()
    }
}

impl StapledCert {
    /// Starts without a staple. With `verify` off, whatever the responder answers is stapled
    /// unchecked (a careless server, for testing the client's checks).
    ///
    /// # Errors
    /// When the chain has no issuer or does not parse.
    pub fn new(key: CertifiedKey, verify: bool) -> Result<Self, StapleError> {
        let source = StapleSource::new(&key.cert, verify)?;
        Ok(Self {
            current: RwLock::new(Arc::new(key)),
            source,
        })
    }

    /// Fetches a fresh staple with `checker` and installs it (see [`StapleSource::refresh`]).
    ///
    /// # Errors
    /// Why no fresh staple could be had.
    pub fn refresh(&self, checker: &OcspChecker) -> Result<CertState, StapleError> {
        let result = self.source.refresh(checker);
        let staple = self.source.current().map(|d| d.to_vec());
        let base = Arc::clone(&self.current.read().unwrap_or_else(|p| p.into_inner()));
        if base.ocsp != staple {
            let mut next = (*base).clone();
            next.ocsp = staple;
            *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(next);
        }
        result
    }

    /// Whether a staple is installed.
    pub fn has_staple(&self) -> bool {
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .ocsp
            .is_some()
    }
}

impl ResolvesServerCert for StapledCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(Arc::clone(
            &self.current.read().unwrap_or_else(|p| p.into_inner()),
        ))
    }
}

/// Refreshes `cert`'s staple every `every` (on a blocking thread), logging failures.
pub async fn refresh_loop(cert: Arc<StapledCert>, checker: Arc<OcspChecker>, every: Duration) {
    crate::revocation::staple_source::refresh_every(every, move || cert.refresh(&checker)).await;
}
