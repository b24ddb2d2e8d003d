//! The second step of a target's pre-flight: the server's certificate checked the way every
//! case's client will check it (the `--target-ca` roots, the `--target-name`), before any case
//! runs. A wrong name, a certificate from another CA or an expired one would otherwise fail
//! every case and be graded as the server's refusals; here it is one error naming the cause
//! and what the server presented.

use std::sync::{Arc, Mutex};

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::WebPkiServerVerifier;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};
use x509_cert::der::Decode;

use super::target::{Target, TargetError, PROBE_TIMEOUT};

/// A server certificate and the verifier's verdict on it.
type Presented = (CertificateDer<'static>, Result<(), rustls::Error>);

/// A connection whose handshake completed.
type Live = (rustls::ClientConnection, std::net::TcpStream);

/// The webpki verifier of every case, remembering what it was shown and what it said.
#[derive(Debug)]
struct Recording {
    inner: Arc<WebPkiServerVerifier>,
    seen: Mutex<Option<Presented>>,
}

impl ServerCertVerifier for Recording {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict =
            self.inner
                .verify_server_cert(end_entity, intermediates, server_name, ocsp, now);
        let kept = verdict.as_ref().map(|_| ()).map_err(Clone::clone);
        *self.seen.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((end_entity.clone().into_owned(), kept));
        verdict
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

impl Target {
    /// Checks the server's certificate against `--target-ca` and the server name, with a
    /// handshake that presents no client certificate (the server's refusal of that, after its
    /// certificate was checked, is expected and ignored). A handshake that fails before the
    /// certificate arrives (no shared version or group) is left to the cases.
    ///
    /// # Errors
    /// `--target-name` when the certificate is not valid for the name, `--target-ca` when it
    /// does not chain to those roots, is expired or not yet valid; each with what the server
    /// presented.
    pub fn check_server_certificate(&self) -> Result<(), TargetError> {
        match self.presented_certificate()? {
            Some((cert, Err(rustls::Error::InvalidCertificate(e)))) => {
                Err(self.diagnose(&e, &cert))
            }
            _ => Ok(()),
        }
    }

    /// The key of the certificate the server presents to a client offering every version and
    /// group rustls supports (`P-256`, `RSA 2048`, `Ed25519`), or `None` when no handshake
    /// got that far.
    pub fn server_key(&self) -> Option<String> {
        let (cert, _) = self.presented_certificate().ok()??;
        key_text(&cert)
    }

    /// The certificate the server presents in one handshake with every case's verifier, and
    /// that verifier's verdict on it; `None` when the handshake did not get that far.
    fn presented_certificate(&self) -> Result<Option<Presented>, TargetError> {
        let (recording, _) = self.session()?;
        let seen = recording
            .seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        Ok(seen)
    }

    /// The HTTP `Server:` header of the server's answer to a request without a client
    /// certificate (its refusal page: `nginx/1.22.1`, `Apache/2.4.71 (Debian)`), when it
    /// completes the handshake and answers one.
    pub fn server_header(&self) -> Option<String> {
        use std::io::{Read, Write};
        let (_, live) = self.session().ok()?;
        let (mut conn, mut tcp) = live?;
        let mut stream = rustls::Stream::new(&mut conn, &mut tcp);
        let request = format!(
            "GET / HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
            self.server_name
        );
        stream.write_all(request.as_bytes()).ok()?;
        let mut head = vec![0u8; 4096];
        let mut len = 0;
        while len < head.len() {
            match stream.read(&mut head[len..]) {
                Ok(0) | Err(_) => break,
                Ok(n) => len += n,
            }
            if head[..len].windows(4).any(|w| w == b"\r\n\r\n") {
                break;
            }
        }
        let text = String::from_utf8_lossy(&head[..len]);
        text.lines().take_while(|l| !l.is_empty()).find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("server")
                .then(|| value.trim().to_string())
        })
    }

    /// One handshake with every case's verifier (recording what it was shown), and the
    /// connection when the handshake completed.
    fn session(&self) -> Result<(Arc<Recording>, Option<Live>), TargetError> {
        let provider = crate::peers::tls::rustls::provider_with(&[], &[]);
        let roots = crate::peers::tls::rustls::root_store(&self.ca).map_err(|e| TargetError {
            option: "--target-ca",
            message: format!("not usable as trust anchors: {e}"),
        })?;
        let inner = WebPkiServerVerifier::builder_with_provider(roots, Arc::clone(&provider))
            .build()
            .map_err(|e| TargetError {
                option: "--target-ca",
                message: format!("not usable as trust anchors: {e}"),
            })?;
        let recording = Arc::new(Recording {
            inner,
            seen: Mutex::new(None),
        });
        let live = self.handshake(provider, Arc::clone(&recording) as Arc<_>);
        Ok((recording, live))
    }

    /// One handshake with `verifier`, as far as it goes within the probe's timeout; the
    /// connection when it completed.
    fn handshake(
        &self,
        provider: Arc<rustls::crypto::CryptoProvider>,
        verifier: Arc<dyn ServerCertVerifier>,
    ) -> Option<Live> {
        let builder = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .ok()?;
        let config = builder
            .dangerous()
            .with_custom_certificate_verifier(verifier)
            .with_no_client_auth();
        let name = ServerName::try_from(self.server_name.clone()).ok()?;
        let mut conn = rustls::ClientConnection::new(Arc::new(config), name).ok()?;
        let mut tcp = std::net::TcpStream::connect_timeout(&self.addr, PROBE_TIMEOUT).ok()?;
        let _ = tcp.set_read_timeout(Some(PROBE_TIMEOUT));
        let _ = tcp.set_write_timeout(Some(PROBE_TIMEOUT));
        while conn.is_handshaking() {
            conn.complete_io(&mut tcp).ok()?;
        }
        Some((conn, tcp))
    }

    /// The error for `e` about the presented `cert`.
    fn diagnose(&self, e: &CertificateError, cert: &CertificateDer<'_>) -> TargetError {
        let presented = presented(cert);
        let name = &self.server_name;
        let (option, message) = match e {
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. } => (
                "--target-name",
                format!("the server's certificate is not valid for {name} ({presented}); give the name it is issued for with --target-name"),
            ),
            CertificateError::UnknownIssuer => (
                "--target-ca",
                format!("the server's certificate is not issued by a CA in --target-ca ({presented})"),
            ),
            // webpki found a CA of the issuer's name among the roots, whose key did not sign.
            CertificateError::BadSignature => (
                "--target-ca",
                format!("the server's certificate is not issued by a CA in --target-ca: one there has its issuer's name but another key ({presented})"),
            ),
            CertificateError::Expired | CertificateError::ExpiredContext { .. } => (
                "--target",
                format!("the server's certificate has expired ({presented})"),
            ),
            CertificateError::NotValidYet | CertificateError::NotValidYetContext { .. } => (
                "--target",
                format!("the server's certificate is not valid yet ({presented})"),
            ),
            other => (
                "--target-ca",
                format!("the server's certificate does not verify against --target-ca: {other:?} ({presented})"),
            ),
        };
        TargetError { option, message }
    }
}

/// What a certificate says about itself: subject, names, issuer and validity.
fn presented(cert: &CertificateDer<'_>) -> String {
    let Ok(cert) = x509_cert::Certificate::from_der(cert.as_ref()) else {
        return "presented an unparsable certificate".into();
    };
    let tbs = &cert.tbs_certificate;
    let names: Vec<String> = tbs
        .extensions
        .iter()
        .flatten()
        .filter(|e| e.extn_id == const_oid::db::rfc5280::ID_CE_SUBJECT_ALT_NAME)
        .filter_map(|e| {
            x509_cert::ext::pkix::SubjectAltName::from_der(e.extn_value.as_bytes()).ok()
        })
        .flat_map(|san| san.0)
        .map(|n| match n {
            x509_cert::ext::pkix::name::GeneralName::DnsName(d) => format!("DNS:{}", d.as_str()),
            x509_cert::ext::pkix::name::GeneralName::IpAddress(ip) => {
                format!("IP:{}", ip_text(ip.as_bytes()))
            }
            other => format!("{other:?}"),
        })
        .collect();
    let names = if names.is_empty() {
        "no subjectAltName".to_string()
    } else {
        names.join(", ")
    };
    format!(
        "presented: subject {}, {names}, issuer {}, valid {} to {}",
        tbs.subject, tbs.issuer, tbs.validity.not_before, tbs.validity.not_after
    )
}

/// An IP address from its SAN octets.
fn ip_text(octets: &[u8]) -> String {
    match octets.len() {
        4 => std::net::Ipv4Addr::from(<[u8; 4]>::try_from(octets).unwrap_or_default()).to_string(),
        16 => {
            std::net::Ipv6Addr::from(<[u8; 16]>::try_from(octets).unwrap_or_default()).to_string()
        }
        _ => format!("{octets:02x?}"),
    }
}

/// A certificate's public key in words: its curve, RSA modulus size, or algorithm.
fn key_text(cert: &CertificateDer<'_>) -> Option<String> {
    let x509 = openssl::x509::X509::from_der(cert.as_ref()).ok()?;
    let key = x509.public_key().ok()?;
    if let Ok(ec) = key.ec_key() {
        let nid = ec.group().curve_name();
        let name = match nid {
            Some(openssl::nid::Nid::X9_62_PRIME256V1) => "P-256".to_string(),
            Some(openssl::nid::Nid::SECP384R1) => "P-384".to_string(),
            Some(openssl::nid::Nid::SECP521R1) => "P-521".to_string(),
            Some(n) => n.short_name().unwrap_or("EC").to_string(),
            None => "EC".to_string(),
        };
        return Some(name);
    }
    Some(match key.id() {
        openssl::pkey::Id::RSA => format!("RSA {}", key.bits()),
        openssl::pkey::Id::ED25519 => "Ed25519".into(),
        openssl::pkey::Id::ED448 => "Ed448".into(),
        other => format!("{other:?}"),
    })
}
