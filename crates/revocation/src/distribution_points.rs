//! CRLs by distribution point: a relying party's cache of the CRLs its clients' certificates
//! name (RFC 5280 §4.2.1.13), each downloaded the first time a certificate names it, kept, and
//! downloaded again on [`DistributionPoints::refresh`] (the server's reload interval). With a
//! sharded CRL, a server so fetches only the shards its clients name, not every shard.
//!
//! Stack-neutral: what is kept per URL is whatever the caller builds from the download (a
//! verifier for rustls). Only URLs under the origin of the URL the server was configured with
//! are fetched (the revocation service it was pointed at), so a client certificate cannot make
//! the server fetch from anywhere else; at most [`MAX_POINTS`] URLs are kept.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::ocsp::fetch;

/// Most distribution points kept (four times the most CRL shards a scenario may ask for).
pub const MAX_POINTS: usize = 4096;

/// One download, handed to the builder.
#[derive(Debug)]
pub struct Download<'a> {
    /// The URL.
    pub url: &'a str,
    /// The body, or why there is none (the fail policy then decides).
    pub body: Result<&'a [u8], String>,
    /// Time the download took.
    pub fetch_ms: f64,
    /// Whether this is the URL's first download (not a refresh).
    pub first: bool,
}

/// What the builder made of a download, shared by the handshakes that use it.
pub type Built<T> = Arc<Result<T, String>>;

type Builder<T> = Box<dyn Fn(&Download<'_>) -> Result<T, String> + Send + Sync>;

/// The last body downloaded from a URL (`None`: none could be), to see whether a refresh
/// changed it, and what was built from it.
type Held<T> = (Option<Vec<u8>>, Built<T>);

/// What one URL holds, once first asked for.
struct Slot<T> {
    state: Mutex<Option<Held<T>>>,
}

/// The cache (see the module docs).
pub struct DistributionPoints<T> {
    origin: String,
    timeout: Duration,
    build: Builder<T>,
    slots: Mutex<HashMap<String, Arc<Slot<T>>>>,
}

impl<T> std::fmt::Debug for DistributionPoints<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DistributionPoints")
            .field("origin", &self.origin)
            .finish_non_exhaustive()
    }
}

/// `http://host:port/` of `url` (`None` when it is not an `http://` URL).
fn origin_of(url: &str) -> Option<String> {
    let rest = url.strip_prefix("http://")?;
    let authority = rest.split('/').next().filter(|a| !a.is_empty())?;
    Some(format!("http://{authority}/"))
}

impl<T> DistributionPoints<T> {
    /// A cache fetching under the origin of `configured` (the server's CRL URL), each download
    /// bounded by `timeout`, building what is kept with `build`. `None` when `configured` is
    /// not an `http://` URL.
    pub fn new(
        configured: &str,
        timeout: Duration,
        build: impl Fn(&Download<'_>) -> Result<T, String> + Send + Sync + 'static,
    ) -> Option<Self> {
        Some(Self {
            origin: origin_of(configured)?,
            timeout,
            build: Box::new(build),
            slots: Mutex::new(HashMap::new()),
        })
    }

    /// What was built from the CRL at `url`, downloading it the first time it is asked for
    /// (one download however many handshakes ask at once). `None` for a URL outside the
    /// origin, or when the cache is full.
    pub fn get(&self, url: &str) -> Option<Built<T>> {
        if !url.starts_with(&self.origin) {
            return None;
        }
        let slot = {
            let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            if !slots.contains_key(url) && slots.len() >= MAX_POINTS {
                return None;
            }
            Arc::clone(slots.entry(url.to_string()).or_insert_with(|| {
                Arc::new(Slot {
                    state: Mutex::new(None),
                })
            }))
        };
        let mut state = slot.state.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((_, built)) = state.as_ref() {
            return Some(Arc::clone(built));
        }
        let (body, built) = self.download(url);
        *state = Some((body, Arc::clone(&built)));
        Some(built)
    }

    /// Downloads every URL asked for so far again and rebuilds those whose CRL changed; a
    /// failed download keeps what the last good one built (the distribution point may be away
    /// for a while). Returns how many changed. Blocking.
    pub fn refresh(&self) -> usize {
        let slots: Vec<(String, Arc<Slot<T>>)> = self
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .map(|(u, s)| (u.clone(), Arc::clone(s)))
            .collect();
        let mut changed = 0;
        for (url, slot) in slots {
            let started = Instant::now();
            let body = fetch(&url, self.timeout);
            let fetch_ms = started.elapsed().as_secs_f64() * 1e3;
            let mut state = slot.state.lock().unwrap_or_else(|p| p.into_inner());
            let had_body = state.as_ref().is_some_and(|(b, _)| b.is_some());
            let same = had_body
                && state
                    .as_ref()
                    .is_some_and(|(b, _)| b.as_deref() == body.as_deref().ok());
            match body {
                Ok(bytes) if !same => {
                    let built = Arc::new((self.build)(&Download {
                        url: &url,
                        body: Ok(&bytes),
                        fetch_ms,
                        first: false,
                    }));
                    *state = Some((Some(bytes), built));
                    changed += 1;
                }
                Ok(_) => {}
                // Keep the last CRL while the distribution point is away.
                Err(e) if !had_body => {
                    tracing::debug!("CRL refresh from {url}: {e}");
                }
                Err(e) => tracing::warn!("CRL refresh from {url} failed, keeping the last: {e}"),
            }
        }
        changed
    }

    /// The URLs downloaded so far.
    pub fn urls(&self) -> Vec<String> {
        let mut urls: Vec<String> = self
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        urls.sort();
        urls
    }

    fn download(&self, url: &str) -> Held<T> {
        let started = Instant::now();
        let body = fetch(url, self.timeout);
        let fetch_ms = started.elapsed().as_secs_f64() * 1e3;
        let built = (self.build)(&Download {
            url,
            body: body.as_deref().map_err(ToString::to_string),
            fetch_ms,
            first: true,
        });
        (body.ok(), Arc::new(built))
    }
}

/// The first URI of `cert`'s CRL distribution points; `None` without one (or when the
/// certificate does not parse: the verifier refuses it anyway).
pub fn distribution_point_of(cert: &[u8]) -> Option<String> {
    use der::Decode;
    use x509_cert::ext::pkix::name::{DistributionPointName, GeneralName};
    use x509_cert::ext::pkix::CrlDistributionPoints;
    let cert = x509_cert::Certificate::from_der(cert).ok()?;
    let (_, points) = cert.tbs_certificate.get::<CrlDistributionPoints>().ok()??;
    points.0.iter().find_map(|p| match &p.distribution_point {
        Some(DistributionPointName::FullName(names)) => names.iter().find_map(|n| match n {
            GeneralName::UniformResourceIdentifier(uri) => Some(uri.to_string()),
            _ => None,
        }),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_origin_is_fetched() {
        assert_eq!(
            origin_of("http://127.0.0.1:4000/crl/leaf.crl").as_deref(),
            Some("http://127.0.0.1:4000/")
        );
        assert_eq!(origin_of("https://x/crl"), None);
        assert_eq!(origin_of("http:///crl"), None);
        let points = DistributionPoints::new(
            "http://127.0.0.1:9/crl/leaf.crl",
            Duration::from_millis(200),
            |d: &Download<'_>| Ok(d.url.len()),
        )
        .unwrap();
        assert!(points.get("http://127.0.0.2:9/crl/leaf.crl").is_none());
        assert!(points.get("http://127.0.0.1:99/crl/leaf.crl").is_none());
        assert!(points.urls().is_empty());
    }

    #[test]
    fn a_sharded_leaf_names_its_shard() {
        let mut spec = crate::pki::PkiSpec::new(crate::pki::KeyType::EcdsaP256, 1);
        spec.revocation_url = Some("http://127.0.0.1:9".into());
        spec.crl_shards = Some(16);
        let pki = crate::pki::generate(&spec).unwrap();
        let url = distribution_point_of(&pki.victim.chain[0]).unwrap();
        assert_eq!(url, "http://127.0.0.1:9/crl/leaf-s16-9.crl");
    }
}
