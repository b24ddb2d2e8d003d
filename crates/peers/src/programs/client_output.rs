//! What the process clients share: the credential files they are given, and reading a
//! verdict from their output (the HTTP status line they print, the alert number OpenSSL
//! reports as `SSL alert number N`, also inside node's error message, and what was negotiated).

use std::path::{Path, PathBuf};

use crate::measure::{Negotiated, Outcome};
use crate::peers::tls::openssl as openssl_names;
use crate::pki::{ClientCert, Pki, PkiFiles};
use crate::scenario::{Case, CipherSuite, KxGroup, TlsVersion};

/// The credential files of a case's client.
pub struct Credential {
    /// The leaf alone.
    pub leaf: PathBuf,
    /// The intermediates after it, when there are any.
    pub extra: Option<PathBuf>,
    /// Leaf and intermediates.
    pub chain: PathBuf,
    /// The private key.
    pub key: PathBuf,
}

/// How a process client checks the server: the name it sends (SNI, and the HTTP `Host`) and
/// verifies the certificate against, and the CA file it trusts.
pub struct ServerCheck {
    /// The server name.
    pub name: String,
    /// The CA certificates (PEM).
    pub ca: PathBuf,
}

/// The server check for the run's own servers (`localhost`, the run's root), or for `target`
/// (its name, and its CA certificates written into `work`).
///
/// # Errors
/// When the target's CA file cannot be written.
pub fn server_check(
    files: &PkiFiles,
    target: Option<&crate::peers::Target>,
    work: &Path,
) -> std::io::Result<ServerCheck> {
    let Some(target) = target else {
        return Ok(ServerCheck {
            name: "localhost".into(),
            ca: files.root_cert.clone(),
        });
    };
    let ca = work.join("target-ca.pem");
    let pem: String = target.ca.iter().map(|c| cert_pem(c.as_ref())).collect();
    crate::fsutil::write_atomic(&ca, pem.as_bytes(), 0o644)?;
    Ok(ServerCheck {
        name: target.server_name.clone(),
        ca,
    })
}

fn cert_pem(der: &[u8]) -> String {
    pem::encode(&pem::Pem::new("CERTIFICATE", der.to_vec()))
}

/// Writes the leaf and intermediates of `case`'s credential into `work` as the process
/// clients take them: the user's own (the case's, or `target`'s for the valid credential)
/// when there is one, else the fixtures'; `None` when the fixtures lack it or a file cannot be
/// written.
pub fn credential(
    case: &Case,
    pki: &Pki,
    files: &PkiFiles,
    target: Option<&crate::peers::Target>,
    work: &Path,
) -> Option<Credential> {
    let own = match (&case.own_credential, case.client_cert) {
        (Some(own), _) => Some(own),
        (None, ClientCert::Valid) => target.and_then(|t| t.credential.as_ref()),
        _ => None,
    };
    if let Some(own) = own {
        return own_credential(own, work);
    }
    let id = pki.client(case.client_cert, 0)?;
    let (chain, key) = match case.client_cert {
        ClientCert::Valid => (
            files.dir.join("clients").join(format!("{}.crt", id.name)),
            files.dir.join("clients").join(format!("{}.key", id.name)),
        ),
        other => (
            files.dir.join("bad").join(format!("{other}.crt")),
            files.dir.join("bad").join(format!("{other}.key")),
        ),
    };
    let (leaf, extra) = write_leaf_and_extra(&id.chain, work)?;
    Some(Credential {
        leaf,
        extra,
        chain,
        key,
    })
}

/// The user's own credential as files in `work`: its chain, and its key as PKCS#8 (0600:
/// every process client reads PKCS#8; the user's file may hold PKCS#1 or SEC1).
fn own_credential(own: &crate::pki::OwnCredential, work: &Path) -> Option<Credential> {
    let (leaf, extra) = write_leaf_and_extra(&own.chain, work)?;
    let chain = work.join("client-chain.pem");
    let all: String = own.chain.iter().map(|c| cert_pem(c.as_ref())).collect();
    crate::fsutil::write_atomic(&chain, all.as_bytes(), 0o644).ok()?;
    let pkey = match own.key.as_ref() {
        rustls::pki_types::PrivateKeyDer::Pkcs1(k) => {
            openssl::rsa::Rsa::private_key_from_der(k.secret_pkcs1_der())
                .and_then(openssl::pkey::PKey::from_rsa)
        }
        rustls::pki_types::PrivateKeyDer::Sec1(k) => {
            openssl::ec::EcKey::private_key_from_der(k.secret_sec1_der())
                .and_then(openssl::pkey::PKey::from_ec_key)
        }
        other => openssl::pkey::PKey::private_key_from_der(other.secret_der()),
    }
    .ok()?;
    let key = work.join("client-key.pem");
    let pem = pkey.private_key_to_pem_pkcs8().ok()?;
    crate::fsutil::write_atomic(&key, &pem, 0o600).ok()?;
    Some(Credential {
        leaf,
        extra,
        chain,
        key,
    })
}

/// The leaf alone and the intermediates after it (none when the chain is the leaf alone:
/// s_client refuses an empty `-cert_chain` file), written into `work`.
fn write_leaf_and_extra(
    chain: &[rustls::pki_types::CertificateDer<'_>],
    work: &Path,
) -> Option<(PathBuf, Option<PathBuf>)> {
    let leaf = work.join("client-leaf.pem");
    let extra = work.join("client-chain-extra.pem");
    let leaf_pem = chain
        .first()
        .map(|c| cert_pem(c.as_ref()))
        .unwrap_or_default();
    let extra_pem: String = chain.iter().skip(1).map(|c| cert_pem(c.as_ref())).collect();
    crate::fsutil::write_atomic(&leaf, leaf_pem.as_bytes(), 0o644).ok()?;
    let extra = if extra_pem.is_empty() {
        None
    } else {
        crate::fsutil::write_atomic(&extra, extra_pem.as_bytes(), 0o644).ok()?;
        Some(extra)
    };
    Some((leaf, extra))
}

/// What a process client's output says.
#[derive(Debug, PartialEq)]
pub struct Verdict {
    /// The outcome class.
    pub outcome: Outcome,
    /// The HTTP status, if a reply arrived.
    pub status: Option<u16>,
    /// What was negotiated, if reported.
    pub negotiated: Option<Negotiated>,
}

/// The alert in an OpenSSL error text (`SSL alert number 48`).
pub fn alert_number(text: &str) -> Option<Outcome> {
    let rest = text.split("alert number ").nth(1)?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    let n: u8 = digits.parse().ok()?;
    Some(Outcome::from_alert(n))
}

/// The first HTTP status line in the output. s_client's reply text can land in the middle of
/// a line of its own session-ticket dump (two writers on one stdout), so it is searched for
/// anywhere, not only at line starts.
pub fn status_of(stdout: &str) -> Option<u16> {
    let start = stdout.find("HTTP/1.")?;
    let line = stdout[start..].lines().next()?;
    crate::load::parse_status_line(line.trim_end().as_bytes())
}

/// The verdict an HTTP status gives (2xx accepted, others `http_error`), if there was one.
pub fn from_status(status: Option<u16>, negotiated: Option<Negotiated>) -> Option<Verdict> {
    let status = status?;
    Some(Verdict {
        outcome: if (200..300).contains(&status) {
            Outcome::Accepted
        } else {
            Outcome::HttpError
        },
        status: Some(status),
        negotiated,
    })
}

/// What was negotiated, from OpenSSL's or node's names for version, suite and group.
pub fn negotiated(
    version: Option<&str>,
    suite: Option<&str>,
    group: Option<&str>,
    reused: bool,
) -> Option<Negotiated> {
    let version = match version? {
        "TLSv1.3" => TlsVersion::Tls13.negotiated_name(),
        "TLSv1.2" => TlsVersion::Tls12.negotiated_name(),
        _ => return None,
    };
    let suite = suite?;
    let suite = CipherSuite::ALL
        .iter()
        .find(|&&s| openssl_names::suite(s) == suite || s.name() == suite)
        .map(|&s| s.name())?;
    let group = group.and_then(|g| {
        KxGroup::ALL
            .iter()
            .find(|&&k| openssl_names::group(k).eq_ignore_ascii_case(g) || k.name() == g)
            .map(|&k| k.negotiated_name())
    });
    Some(Negotiated {
        version,
        suite,
        group,
        resumed: reused,
    })
}

/// The JSON line the programs driven through their stdin (the Go and Java clients) answer
/// each request with: the HTTP status and what was negotiated, or the stack's error text.
#[derive(Debug, Default, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct DrivenReply {
    /// The reply's HTTP status (0: the reply was not HTTP).
    pub status: Option<u16>,
    /// `TLSv1.3` or `TLSv1.2`.
    pub version: Option<String>,
    /// The suite's IANA name.
    pub suite: Option<String>,
    /// The handshake resumed a session.
    pub resumed: bool,
    /// A session was offered.
    pub offered: bool,
    /// The stack's error, as it writes it.
    pub error: Option<String>,
    /// The error's root cause, where the stack nests them (Java).
    pub cause: Option<String>,
    /// Where it failed: `connect`, `handshake`, `request`, `reply`.
    pub stage: Option<String>,
    /// The error was the program's own timeout.
    pub timed_out: bool,
}

impl DrivenReply {
    /// Reads an answer line; `None` when it is not one.
    pub fn read(line: &str) -> Option<Self> {
        serde_json::from_str(line).ok()
    }

    /// An answer line's verdict (`classify` names the class of an error) and whether a session
    /// was offered; a line that is no answer is an `io_error` without one.
    pub fn parse_line(line: &str, classify: impl Fn(&Self) -> Outcome) -> (Verdict, bool) {
        match Self::read(line) {
            Some(reply) => (reply.verdict(classify), reply.offered),
            None => (
                Verdict {
                    outcome: Outcome::IoError,
                    status: None,
                    negotiated: None,
                },
                false,
            ),
        }
    }

    /// The verdict: from the HTTP status when a reply came (0, not HTTP, is `io_error`), else
    /// `classify`'s class for the error.
    pub fn verdict(&self, classify: impl Fn(&Self) -> Outcome) -> Verdict {
        let neg = negotiated(
            self.version.as_deref(),
            self.suite.as_deref(),
            None,
            self.resumed,
        );
        match self.status {
            Some(0) => Verdict {
                outcome: Outcome::IoError,
                status: None,
                negotiated: neg,
            },
            status => from_status(status, neg).unwrap_or_else(|| Verdict {
                outcome: if self.timed_out {
                    Outcome::Timeout
                } else {
                    classify(self)
                },
                status: None,
                negotiated: None,
            }),
        }
    }
}

/// The alert number of an RFC 8446 §6 alert name (`certificate_required`), as JSSE writes it.
pub fn alert_by_rfc_name(name: &str) -> Option<u8> {
    Some(match name {
        "close_notify" => 0,
        "unexpected_message" => 10,
        "bad_record_mac" => 20,
        "record_overflow" => 22,
        "handshake_failure" => 40,
        "bad_certificate" => 42,
        "unsupported_certificate" => 43,
        "certificate_revoked" => 44,
        "certificate_expired" => 45,
        "certificate_unknown" => 46,
        "illegal_parameter" => 47,
        "unknown_ca" => 48,
        "access_denied" => 49,
        "decode_error" => 50,
        "decrypt_error" => 51,
        "protocol_version" => 70,
        "insufficient_security" => 71,
        "internal_error" => 80,
        "inappropriate_fallback" => 86,
        "user_canceled" => 90,
        "missing_extension" => 109,
        "unsupported_extension" => 110,
        "unrecognized_name" => 112,
        "bad_certificate_status_response" => 113,
        "unknown_psk_identity" => 115,
        "certificate_required" => 116,
        "no_application_protocol" => 120,
        _ => return None,
    })
}
