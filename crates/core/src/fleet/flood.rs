//! Other fleets' queries: `connections` clients asking the OCSP responder about one
//! certificate over and over (POST, a new connection each time, no cache), so the responder is
//! overloaded by real work (each answer is built and signed) while a server's handshakes need
//! it too.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use der::{Decode, Encode};
use rustls::pki_types::CertificateDer;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use x509_cert::Certificate;
use x509_ocsp::builder::OcspRequestBuilder;
use x509_ocsp::Request;

use super::FleetError;

/// A running flood; dropping it stops it.
pub struct Flood {
    stop: Arc<AtomicBool>,
    answered: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
}

/// The DER OCSP request about `leaf`, issued by `issuer`.
///
/// # Errors
/// When a certificate does not parse or the request cannot be encoded.
pub fn request_der(
    leaf: &CertificateDer<'_>,
    issuer: &CertificateDer<'_>,
) -> Result<Vec<u8>, FleetError> {
    let bad = |e: &dyn std::fmt::Display| FleetError::Internal(format!("OCSP request: {e}"));
    let leaf = Certificate::from_der(leaf).map_err(|e| bad(&e))?;
    let issuer = Certificate::from_der(issuer).map_err(|e| bad(&e))?;
    let request = Request::from_issuer::<sha1::Sha1>(&issuer, leaf.tbs_certificate.serial_number)
        .map_err(|e| bad(&e))?;
    OcspRequestBuilder::default()
        .with_request(request)
        .build()
        .to_der()
        .map_err(|e| bad(&e))
}

impl Flood {
    /// Starts `connections` clients POSTing `request` to the responder at `addr`.
    ///
    /// # Errors
    /// When the thread cannot be started.
    pub fn start(
        addr: SocketAddr,
        request: Vec<u8>,
        connections: usize,
    ) -> Result<Self, FleetError> {
        let stop = Arc::new(AtomicBool::new(false));
        let answered = Arc::new(AtomicU64::new(0));
        let mut message = format!(
            "POST /ocsp HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/ocsp-request\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            request.len()
        )
        .into_bytes();
        message.extend_from_slice(&request);
        let message = Arc::new(message);
        let (s, a) = (Arc::clone(&stop), Arc::clone(&answered));
        let thread = std::thread::Builder::new()
            .name("fleet-flood".into())
            .spawn(move || {
                let runtime = match crate::sys::runtime(1, true) {
                    Ok(r) => r,
                    Err(e) => return tracing::error!("flood runtime: {e}"),
                };
                runtime.block_on(async move {
                    let mut tasks = Vec::with_capacity(connections);
                    for _ in 0..connections {
                        let (s, a, m) = (Arc::clone(&s), Arc::clone(&a), Arc::clone(&message));
                        tasks.push(tokio::spawn(async move {
                            while !s.load(Ordering::Relaxed) {
                                if ask(addr, &m).await {
                                    a.fetch_add(1, Ordering::Relaxed);
                                } else {
                                    tokio::time::sleep(Duration::from_millis(5)).await;
                                }
                            }
                        }));
                    }
                    for t in tasks {
                        let _ = t.await;
                    }
                });
            })
            .map_err(|e| FleetError::Internal(format!("flood thread: {e}")))?;
        Ok(Self {
            stop,
            answered,
            thread: Some(thread),
        })
    }

    /// Stops it; returns how many answers it received.
    pub fn finish(mut self) -> u64 {
        self.halt();
        self.answered.load(Ordering::Relaxed)
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for Flood {
    fn drop(&mut self) {
        self.halt();
    }
}

/// One query; whether an answer came back (within 5 s).
async fn ask(addr: SocketAddr, message: &[u8]) -> bool {
    let attempt = async {
        let mut tcp = tokio::net::TcpStream::connect(addr).await?;
        tcp.write_all(message).await?;
        let mut answer = Vec::with_capacity(1024);
        // The service closes after one answer; it is small, so the bound is loose.
        (&mut tcp).take(64 * 1024).read_to_end(&mut answer).await?;
        Ok::<bool, std::io::Error>(answer.starts_with(b"HTTP/1.1 200"))
    };
    matches!(
        tokio::time::timeout(Duration::from_secs(5), attempt).await,
        Ok(Ok(true))
    )
}
