//! Helpers for the criterion micro-benchmarks: rustls mutual-TLS configurations built from a
//! generated PKI, and complete handshakes driven in memory (no sockets, no threads) so that a
//! benchmark measures the TLS work alone.
//!
//! [`MtlsConfigs::new`] builds a server that requires a client certificate chaining to the PKI's
//! root and a client that presents the first pool identity, both TLS 1.3 only, the client
//! offering X25519 alone. [`handshake`] runs one connection between them to completion, including
//! the session tickets a TLS 1.3 server sends after the handshake, and says whether it was
//! resumed; [`handshake_split`] does the same while timing each side's share of the work.

use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mtls_core::peers::tls::rustls::{provider, root_store, versions};
use mtls_core::pki::{generate, IssueError, KeyType, Pki, PkiSpec};
use mtls_core::scenario::{KxGroup, TlsVersion};
use rustls::client::Resumption;
use rustls::crypto::aws_lc_rs::Ticketer;
use rustls::pki_types::ServerName;
use rustls::server::{NoServerSessionStorage, ServerSessionMemoryCache, WebPkiClientVerifier};
use rustls::{ClientConfig, ClientConnection, HandshakeKind, ServerConfig, ServerConnection};

/// The name the client connects to; the PKI's server leaf carries it as a SAN.
pub const SERVER_NAME: &str = "localhost";

/// Upper bound on flights in one handshake; a correct TLS 1.3 exchange needs four or five.
const MAX_ROUNDS: usize = 32;

/// Whether the peers may resume sessions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SessionResumption {
    /// Every handshake is a full one: the server keeps no sessions and sends no TLS 1.3 tickets,
    /// the client stores none (as the harness's own peers are configured).
    Off,
    /// The server issues stateless TLS 1.3 tickets from the aws-lc-rs [`Ticketer`] (it also
    /// has a 1024-entry session cache, which rustls only uses when no ticketer is enabled);
    /// the client keeps them in rustls's default in-memory cache.
    On,
}

/// Why configurations could not be built.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The PKI could not be generated.
    #[error("generating the PKI: {0}")]
    Pki(#[from] IssueError),
    /// The PKI has no client identity to present.
    #[error("the PKI has no client identity")]
    NoClient,
    /// rustls rejected a setting, a certificate or a key.
    #[error("configuring rustls: {0}")]
    Rustls(#[from] rustls::Error),
    /// The client-certificate verifier could not be built.
    #[error("building the client verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}

/// Why an in-memory handshake failed.
#[derive(Debug, thiserror::Error)]
pub enum HandshakeError {
    /// A peer rejected the other's messages.
    #[error("TLS error on the {side} side: {error}")]
    Tls {
        /// `"client"` or `"server"`.
        side: &'static str,
        /// What rustls reported.
        error: rustls::Error,
    },
    /// Moving bytes between the in-memory buffers failed.
    #[error("buffer I/O: {0}")]
    Io(#[from] io::Error),
    /// No bytes flowed while a peer was still handshaking.
    #[error("handshake stalled (client handshaking: {client}, server handshaking: {server})")]
    Stalled {
        /// The client had not finished.
        client: bool,
        /// The server had not finished.
        server: bool,
    },
    /// The exchange did not settle within the round limit.
    #[error("handshake did not settle after {MAX_ROUNDS} rounds")]
    TooManyRounds,
}

/// A matching pair of rustls configurations for mutual TLS.
#[derive(Clone)]
pub struct MtlsConfigs {
    /// Requires a client certificate issued under the PKI's root.
    pub server: Arc<ServerConfig>,
    /// Presents `pki.clients[0]` and trusts the PKI's root.
    pub client: Arc<ClientConfig>,
    /// The name the client asks for ([`SERVER_NAME`]).
    pub server_name: ServerName<'static>,
    /// The resumption setting both configurations were built with.
    pub resumption: SessionResumption,
}

impl std::fmt::Debug for MtlsConfigs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MtlsConfigs")
            .field("server_name", &self.server_name)
            .field("resumption", &self.resumption)
            .finish_non_exhaustive()
    }
}

impl MtlsConfigs {
    /// Generates a PKI of `key_type` (one client identity, default seed and anchor) and builds
    /// configurations from it.
    ///
    /// # Errors
    /// When the PKI cannot be generated or rustls rejects the configuration.
    pub fn new(key_type: KeyType, resumption: SessionResumption) -> Result<Self, SetupError> {
        let pki = generate(&PkiSpec::new(key_type, 1))?;
        Self::from_pki(&pki, resumption)
    }

    /// Builds configurations from an existing PKI.
    ///
    /// Both sides speak TLS 1.3 only. The client offers X25519 alone; the server accepts every
    /// group (like the harness's rustls server), so the handshake never needs a retry.
    ///
    /// # Errors
    /// When the PKI has no client identity or rustls rejects the configuration.
    pub fn from_pki(pki: &Pki, resumption: SessionResumption) -> Result<Self, SetupError> {
        Self::from_pki_with(pki, resumption, |v| v)
    }

    /// As [`MtlsConfigs::from_pki`], with the server's client-certificate verifier passed
    /// through `wrap` (e.g. to add the harness's OCSP check).
    ///
    /// # Errors
    /// When the PKI has no client identity or rustls rejects the configuration.
    pub fn from_pki_with(
        pki: &Pki,
        resumption: SessionResumption,
        wrap: impl FnOnce(
            Arc<dyn rustls::server::danger::ClientCertVerifier>,
        ) -> Arc<dyn rustls::server::danger::ClientCertVerifier>,
    ) -> Result<Self, SetupError> {
        let tls13 = versions(&[TlsVersion::Tls13]);
        let roots = root_store(std::slice::from_ref(&pki.root))?;

        let server_provider = provider(&[]);
        let verifier = WebPkiClientVerifier::builder_with_provider(
            Arc::clone(&roots),
            server_provider.clone(),
        )
        .build()?;
        let mut server = ServerConfig::builder_with_provider(server_provider)
            .with_protocol_versions(&tls13)?
            .with_client_cert_verifier(wrap(verifier))
            .with_single_cert(pki.server.chain.clone(), pki.server.key.private_key_der())?;

        let identity = pki.clients.first().ok_or(SetupError::NoClient)?;
        let mut client = ClientConfig::builder_with_provider(provider(&[KxGroup::X25519]))
            .with_protocol_versions(&tls13)?
            .with_root_certificates(roots)
            .with_client_auth_cert(identity.chain.clone(), identity.key.private_key_der())?;

        match resumption {
            SessionResumption::Off => {
                server.session_storage = Arc::new(NoServerSessionStorage {});
                server.send_tls13_tickets = 0;
                client.resumption = Resumption::disabled();
            }
            SessionResumption::On => {
                server.session_storage = ServerSessionMemoryCache::new(1024);
                server.ticketer = Ticketer::new()?;
                // rustls's default is two tickets per handshake: each resumption spends one and
                // receives two, so the client's cache never runs dry.
                client.resumption = Resumption::default();
            }
        }

        Ok(Self {
            server: Arc::new(server),
            client: Arc::new(client),
            server_name: ServerName::try_from(SERVER_NAME)
                .map_err(|_| rustls::Error::General("invalid server name".into()))?,
            resumption,
        })
    }
}

/// Time each side spent in its own rustls calls during one handshake.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SideTimes {
    /// Creating the client connection and every client `read_tls`, `process_new_packets` and
    /// `write_tls`.
    pub client: Duration,
    /// The same for the server.
    pub server: Duration,
}

/// Attributes the time of rustls calls to a side, or not at all.
trait Meter {
    fn client<R>(&mut self, f: impl FnOnce() -> R) -> R;
    fn server<R>(&mut self, f: impl FnOnce() -> R) -> R;
}

/// Measures nothing: the plain handshake pays no clock reads.
impl Meter for () {
    #[inline(always)]
    fn client<R>(&mut self, f: impl FnOnce() -> R) -> R {
        f()
    }

    #[inline(always)]
    fn server<R>(&mut self, f: impl FnOnce() -> R) -> R {
        f()
    }
}

impl Meter for SideTimes {
    #[inline(always)]
    fn client<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let start = Instant::now();
        let out = f();
        self.client += start.elapsed();
        out
    }

    #[inline(always)]
    fn server<R>(&mut self, f: impl FnOnce() -> R) -> R {
        let start = Instant::now();
        let out = f();
        self.server += start.elapsed();
        out
    }
}

/// Runs one complete handshake between a new client and a new server connection, in memory.
///
/// Bytes are moved through `Vec` buffers until neither side is handshaking and no more data
/// flows, so TLS 1.3 session tickets (sent by the server after it has the client's Finished)
/// reach the client's cache. Returns `true` when the handshake was resumed.
///
/// # Errors
/// When either side fails or the exchange stalls.
pub fn handshake(configs: &MtlsConfigs) -> Result<bool, HandshakeError> {
    drive(configs, &mut ())
}

/// Like [`handshake`], and also returns the time spent in each side's rustls calls (the time
/// spent copying between buffers is in neither).
///
/// # Errors
/// When either side fails or the exchange stalls.
pub fn handshake_split(configs: &MtlsConfigs) -> Result<(bool, SideTimes), HandshakeError> {
    let mut times = SideTimes::default();
    let resumed = drive(configs, &mut times)?;
    Ok((resumed, times))
}

fn drive(configs: &MtlsConfigs, meter: &mut impl Meter) -> Result<bool, HandshakeError> {
    #[cfg(feature = "planted-slowdown")]
    meter.server(planted::slowdown);
    let mut client = meter
        .client(|| ClientConnection::new(Arc::clone(&configs.client), configs.server_name.clone()))
        .map_err(|error| HandshakeError::Tls {
            side: "client",
            error,
        })?;
    let mut server = meter
        .server(|| ServerConnection::new(Arc::clone(&configs.server)))
        .map_err(|error| HandshakeError::Tls {
            side: "server",
            error,
        })?;
    let mut buf = Vec::with_capacity(8 * 1024);

    for _ in 0..MAX_ROUNDS {
        let to_server = meter.client(|| flush(&mut client, &mut buf))?;
        meter
            .server(|| deliver(&mut server, &buf))
            .map_err(|e| tagged(e, "server"))?;
        let to_client = meter.server(|| flush(&mut server, &mut buf))?;
        meter
            .client(|| deliver(&mut client, &buf))
            .map_err(|e| tagged(e, "client"))?;

        if to_server == 0 && to_client == 0 {
            return match (client.is_handshaking(), server.is_handshaking()) {
                (false, false) => Ok(client.handshake_kind() == Some(HandshakeKind::Resumed)),
                (client, server) => Err(HandshakeError::Stalled { client, server }),
            };
        }
    }
    Err(HandshakeError::TooManyRounds)
}

/// Mixing rounds that add about 2% to the instructions of an ECDSA P-256 full in-memory
/// handshake (about 6.9 million) in the dev profile: the planted slowdown.
pub const PLANTED_ROUNDS: u64 = 1_650;

/// Burns `rounds` mixing steps that the optimiser cannot remove: the deliberate slowdown that
/// shows the instruction-count gate catches one (the `planted-slowdown` feature runs it inside
/// every handshake; the `handshake-instructions` binary after each one when
/// `MTLS_BENCH_PLANT_ROUNDS` is set). Never part of a real measurement.
#[inline(never)]
pub fn planted_work(rounds: u64) {
    let mut acc = 0u64;
    for i in 0..rounds {
        acc = std::hint::black_box(acc.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(i));
    }
    std::hint::black_box(acc);
}

#[cfg(feature = "planted-slowdown")]
mod planted {
    /// The planted slowdown inside the handshake path.
    pub(crate) fn slowdown() {
        super::planted_work(super::PLANTED_ROUNDS);
    }
}

/// Replaces `buf` with everything `conn` has to send; returns the byte count.
fn flush<C: std::ops::DerefMut<Target = rustls::ConnectionCommon<D>>, D>(
    conn: &mut C,
    buf: &mut Vec<u8>,
) -> io::Result<usize> {
    buf.clear();
    while conn.wants_write() {
        conn.write_tls(buf)?;
    }
    Ok(buf.len())
}

/// Feeds all of `data` to `conn`, processing after each read (rustls reads at most 4 KiB at a
/// time and refuses more until it has processed what it holds).
fn deliver<C: std::ops::DerefMut<Target = rustls::ConnectionCommon<D>>, D>(
    conn: &mut C,
    data: &[u8],
) -> Result<(), Delivery> {
    let mut rest = data;
    // An empty read would tell rustls the peer closed the connection: only read while there is
    // data.
    while !rest.is_empty() {
        conn.read_tls(&mut rest).map_err(Delivery::Io)?;
        conn.process_new_packets().map_err(Delivery::Tls)?;
    }
    Ok(())
}

enum Delivery {
    Io(io::Error),
    Tls(rustls::Error),
}

fn tagged(e: Delivery, side: &'static str) -> HandshakeError {
    match e {
        Delivery::Io(e) => HandshakeError::Io(e),
        Delivery::Tls(error) => HandshakeError::Tls { side, error },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_handshakes_never_resume() -> Result<(), Box<dyn std::error::Error>> {
        let configs = MtlsConfigs::new(KeyType::EcdsaP256, SessionResumption::Off)?;
        for _ in 0..3 {
            assert!(!handshake(&configs)?);
        }
        Ok(())
    }

    #[test]
    fn every_handshake_after_the_first_resumes() -> Result<(), Box<dyn std::error::Error>> {
        let configs = MtlsConfigs::new(KeyType::EcdsaP256, SessionResumption::On)?;
        assert!(
            !handshake(&configs)?,
            "the first handshake has nothing to resume"
        );
        for _ in 0..20 {
            assert!(handshake(&configs)?);
        }
        Ok(())
    }

    /// A ticketer that is switched off, like rustls's default one.
    #[derive(Debug)]
    struct NoTickets;

    impl rustls::server::ProducesTickets for NoTickets {
        fn enabled(&self) -> bool {
            false
        }
        fn lifetime(&self) -> u32 {
            0
        }
        fn encrypt(&self, _: &[u8]) -> Option<Vec<u8>> {
            None
        }
        fn decrypt(&self, _: &[u8]) -> Option<Vec<u8>> {
            None
        }
    }

    #[test]
    fn the_session_cache_alone_also_resumes() -> Result<(), Box<dyn std::error::Error>> {
        // Without a ticketer, rustls's TLS 1.3 tickets are ids into the server's session cache.
        let mut configs = MtlsConfigs::new(KeyType::EcdsaP256, SessionResumption::On)?;
        let mut server = (*configs.server).clone();
        server.ticketer = Arc::new(NoTickets);
        configs.server = Arc::new(server);
        assert!(!handshake(&configs)?);
        for _ in 0..20 {
            assert!(handshake(&configs)?);
        }
        Ok(())
    }

    #[test]
    fn split_times_cover_both_sides() -> Result<(), Box<dyn std::error::Error>> {
        let configs = MtlsConfigs::new(KeyType::EcdsaP256, SessionResumption::Off)?;
        let (resumed, times) = handshake_split(&configs)?;
        assert!(!resumed);
        assert!(times.client > Duration::ZERO && times.server > Duration::ZERO);
        Ok(())
    }
}
