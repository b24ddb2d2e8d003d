//! What each TLS stack can do, as data: one record per server peer and one per client peer.
//!
//! The runner reads a case's skip reason from here before it starts anything (so conformance
//! and interop, which run cases through the runner, report the same reasons), and the built-in
//! servers read their own limits from here too (rustls's fixed verify depth is written once).
//! Adding a stack is one adapter plus one record in this file (see ARCHITECTURE.md).
//!
//! A record says what a stack supports; the rules in [`ServerCapabilities::skip_reason`] and
//! [`ClientCapabilities::skip_reason`] turn a case's settings plus the record into the reason a
//! case cannot run, worded for the user.

use crate::pki::{ClientCert, Pki};
use crate::scenario::{Case, ClientImpl, FailPolicy, RevocationMode, ServerImpl, Stop};

/// Whether a stack has a feature; without it, the reason a case needing it is skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Support {
    /// It has it.
    Yes,
    /// It has not, for this reason (shown as the case's skip reason).
    No(&'static str),
}

/// Which TLS library a stack is built on: the key-exchange groups it can offer are that
/// library's.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Library {
    /// rustls with aws-lc-rs: every group the scenarios name, X25519MLKEM768 included.
    Rustls,
    /// The system's OpenSSL (the `openssl` crate, the `openssl` binary, nginx, HAProxy, node
    /// and curl link the same one): X25519MLKEM768 from OpenSSL 3.5.
    Openssl,
    /// The system's GnuTLS (`gnutls-serv`, `gnutls-cli`): no X25519MLKEM768 in Debian 12's 3.7.
    Gnutls,
}

/// How deep a client chain the server accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VerifyDepth {
    /// Fixed at this many intermediates; a case may only ask for exactly this.
    Fixed(u8),
    /// Any depth the case sets.
    Configurable,
    /// The library's default, which the program has no setting for; a case that sets a depth
    /// is skipped with this reason.
    Unconfigurable(&'static str),
}

/// How a server staples OCSP responses about its own certificate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stapling {
    /// It refreshes its staple while it runs (else it staples what it was given at start).
    pub refreshes: bool,
    /// It verifies a response before stapling it (else it staples whatever it got).
    pub verifies: bool,
    /// Its staple can be controlled for Must-Staple, unverified-staple and mid-run revocation
    /// cases; when not, the reason.
    pub controllable: Support,
}

/// What a server peer supports.
#[derive(Clone, Copy, Debug)]
pub struct ServerCapabilities {
    /// Its name in skip reasons.
    pub name: &'static str,
    /// Its TLS library.
    pub library: Library,
    /// Revocation modes it implements.
    pub revocation_modes: &'static [RevocationMode],
    /// Reasons for modes it lacks that say more than "not implemented".
    pub missing_mode_reasons: &'static [(RevocationMode, &'static str)],
    /// Soft-fail when a CRL cannot determine a status.
    pub crl_soft_fail: Support,
    /// Re-reading its CRL while it runs (`revocation.reload`).
    pub crl_reload: Support,
    /// Soft-fail when OCSP cannot determine a status.
    pub ocsp_soft_fail: Support,
    /// Sending a nonce in its OCSP requests.
    pub ocsp_nonce: Support,
    /// Caching OCSP answers for the case's `cache_ttl` (the exposure window needs it).
    pub ocsp_cache_ttl: Support,
    /// A setting for its OCSP query timeout.
    pub ocsp_query_timeout: bool,
    /// Stapling.
    pub stapling: Stapling,
    /// A client allow-list (`allowed_clients`).
    pub allow_list: bool,
    /// Verify depth.
    pub verify_depth: VerifyDepth,
    /// Narrowing the client's signature schemes (`tls.client_sigalgs`).
    pub client_sigalgs: bool,
}

/// webpki's fixed maximum of intermediates (`MAX_SUB_CA_COUNT`).
pub const WEBPKI_VERIFY_DEPTH: u8 = 6;

const ALL_MODES: &[RevocationMode] = &[
    RevocationMode::None,
    RevocationMode::Crl,
    RevocationMode::CrlHttp,
    RevocationMode::Ocsp,
    RevocationMode::OcspStapling,
    RevocationMode::ShortLived,
];

const FULL_STAPLING: Stapling = Stapling {
    refreshes: true,
    verifies: true,
    controllable: Support::Yes,
};

/// The built-in rustls server (`mtls-harness serve`).
pub const RUSTLS_SERVER: ServerCapabilities = ServerCapabilities {
    name: "rustls",
    library: Library::Rustls,
    revocation_modes: ALL_MODES,
    missing_mode_reasons: &[],
    crl_soft_fail: Support::Yes,
    crl_reload: Support::Yes,
    ocsp_soft_fail: Support::Yes,
    ocsp_nonce: Support::Yes,
    ocsp_cache_ttl: Support::Yes,
    ocsp_query_timeout: true,
    stapling: FULL_STAPLING,
    allow_list: true,
    verify_depth: VerifyDepth::Fixed(WEBPKI_VERIFY_DEPTH),
    client_sigalgs: true,
};

/// The built-in OpenSSL server (`mtls-harness serve --impl openssl`).
pub const OPENSSL_SERVER: ServerCapabilities = ServerCapabilities {
    name: "openssl",
    library: Library::Openssl,
    revocation_modes: &[
        RevocationMode::None,
        RevocationMode::Crl,
        RevocationMode::Ocsp,
        RevocationMode::OcspStapling,
    ],
    missing_mode_reasons: &[],
    crl_soft_fail: Support::Yes,
    crl_reload: Support::No("the openssl server loads its CRLs once"),
    ocsp_soft_fail: Support::Yes,
    ocsp_nonce: Support::Yes,
    ocsp_cache_ttl: Support::Yes,
    ocsp_query_timeout: true,
    stapling: FULL_STAPLING,
    allow_list: true,
    verify_depth: VerifyDepth::Configurable,
    client_sigalgs: true,
};

/// The installed `openssl s_server`.
pub const S_SERVER: ServerCapabilities = ServerCapabilities {
    name: "openssl s_server",
    library: Library::Openssl,
    revocation_modes: &[
        RevocationMode::None,
        RevocationMode::Crl,
        RevocationMode::OcspStapling,
    ],
    missing_mode_reasons: &[(
        RevocationMode::Ocsp,
        "openssl s_server has no OCSP checking of client certificates",
    )],
    crl_soft_fail: Support::No("openssl s_server has no soft-fail for undetermined CRL status"),
    crl_reload: Support::No("openssl s_server cannot reload a CRL"),
    ocsp_soft_fail: Support::Yes,
    ocsp_nonce: Support::Yes,
    ocsp_cache_ttl: Support::Yes,
    ocsp_query_timeout: true,
    stapling: Stapling {
        refreshes: false,
        verifies: false,
        controllable: Support::Yes,
    },
    allow_list: false,
    verify_depth: VerifyDepth::Configurable,
    client_sigalgs: true,
};

/// nginx.
pub const NGINX: ServerCapabilities = ServerCapabilities {
    name: "nginx",
    library: Library::Openssl,
    revocation_modes: &[
        RevocationMode::None,
        RevocationMode::Crl,
        RevocationMode::Ocsp,
        RevocationMode::OcspStapling,
    ],
    missing_mode_reasons: &[],
    crl_soft_fail: Support::No("nginx has no soft-fail for undetermined CRL status"),
    crl_reload: Support::No("nginx re-reads its CRL only on a configuration reload"),
    ocsp_soft_fail: Support::No("nginx's ssl_ocsp has no soft-fail"),
    ocsp_nonce: Support::No("nginx's ssl_ocsp sends no nonce"),
    ocsp_cache_ttl: Support::No(
        "nginx caches OCSP answers until their nextUpdate, not for the case's cache_ttl",
    ),
    ocsp_query_timeout: false,
    stapling: Stapling {
        refreshes: true,
        verifies: true,
        controllable: Support::No(
            "nginx fetches its staple on the first handshakes and refreshes it by its own \
             schedule: Must-Staple, unverified staples and mid-run revocation are not \
             reproducible",
        ),
    },
    allow_list: true,
    verify_depth: VerifyDepth::Configurable,
    client_sigalgs: true,
};

/// A server that staples nothing the harness controls (the adapter gives it no staple).
const NO_STAPLING: Stapling = Stapling {
    refreshes: false,
    verifies: false,
    controllable: Support::No("the adapter gives this server no staple"),
};

/// HAProxy (2.6 on Debian 12): `bind ... ssl crt ... ca-file ... verify required`.
pub const HAPROXY: ServerCapabilities = ServerCapabilities {
    name: "haproxy",
    library: Library::Openssl,
    revocation_modes: &[RevocationMode::None, RevocationMode::Crl],
    missing_mode_reasons: &[
        (
            RevocationMode::Ocsp,
            "HAProxy has no OCSP checking of client certificates",
        ),
        (
            RevocationMode::CrlHttp,
            "HAProxy reads CRLs from its crl-file only; it fetches none over HTTP",
        ),
        (
            RevocationMode::OcspStapling,
            "HAProxy 2.6 staples a .ocsp file loaded at start and never refreshes it; the haproxy adapter does not stage one yet",
        ),
        (
            RevocationMode::ShortLived,
            "HAProxy loads its certificate at start; rotating it needs its runtime API (set ssl cert), which the adapter does not drive",
        ),
    ],
    // crt-ignore-err / ca-ignore-err with the CRL-undetermined verify errors.
    crl_soft_fail: Support::Yes,
    crl_reload: Support::No(
        "HAProxy reads its crl-file at start; replacing it needs its runtime API (set ssl crl-file), which the adapter does not drive",
    ),
    ocsp_soft_fail: Support::No("HAProxy has no OCSP checking of client certificates"),
    ocsp_nonce: Support::No("HAProxy has no OCSP checking of client certificates"),
    ocsp_cache_ttl: Support::No("HAProxy has no OCSP checking of client certificates"),
    ocsp_query_timeout: false,
    stapling: NO_STAPLING,
    // `http-request return status 403` unless the subject CN is listed.
    allow_list: true,
    verify_depth: VerifyDepth::Unconfigurable(
        "HAProxy has no verify-depth setting (OpenSSL's default of 100 applies)",
    ),
    client_sigalgs: false,
};

/// GnuTLS's `gnutls-serv` (3.7 on Debian 12).
pub const GNUTLS_SERV: ServerCapabilities = ServerCapabilities {
    name: "gnutls-serv",
    library: Library::Gnutls,
    revocation_modes: &[RevocationMode::None, RevocationMode::Crl],
    missing_mode_reasons: &[
        (
            RevocationMode::Ocsp,
            "gnutls-serv has no OCSP checking of client certificates",
        ),
        (
            RevocationMode::CrlHttp,
            "gnutls-serv reads CRLs from --x509crlfile only; it fetches none over HTTP",
        ),
        (
            RevocationMode::OcspStapling,
            "gnutls-serv staples a fixed --ocsp-response file; the gnutls-serv adapter does not stage one yet",
        ),
        (
            RevocationMode::ShortLived,
            "gnutls-serv loads its certificate once at start and cannot rotate it",
        ),
    ],
    crl_soft_fail: Support::No("gnutls-serv has no soft-fail setting for undetermined CRL status"),
    crl_reload: Support::No("gnutls-serv reads its CRL once at start"),
    ocsp_soft_fail: Support::No("gnutls-serv has no OCSP checking of client certificates"),
    ocsp_nonce: Support::No("gnutls-serv has no OCSP checking of client certificates"),
    ocsp_cache_ttl: Support::No("gnutls-serv has no OCSP checking of client certificates"),
    ocsp_query_timeout: false,
    stapling: NO_STAPLING,
    allow_list: false,
    verify_depth: VerifyDepth::Unconfigurable(
        "gnutls-serv has no verify-depth setting (GnuTLS's default of 16 applies)",
    ),
    client_sigalgs: false,
};

/// A Node.js https server (`https.createServer`, the script `node_server.js`).
pub const NODE_SERVER: ServerCapabilities = ServerCapabilities {
    name: "the node server",
    library: Library::Openssl,
    revocation_modes: &[RevocationMode::None, RevocationMode::Crl],
    missing_mode_reasons: &[
        (
            RevocationMode::Ocsp,
            "node's tls module has no OCSP checking of client certificates",
        ),
        (
            RevocationMode::CrlHttp,
            "the node server reads its CRL from a file (the crl option) only",
        ),
        (
            RevocationMode::OcspStapling,
            "the node server adapter answers no OCSPRequest events yet",
        ),
        (
            RevocationMode::ShortLived,
            "the node server adapter does not rotate its certificate (setSecureContext) yet",
        ),
    ],
    crl_soft_fail: Support::No("node's crl option has no soft-fail for undetermined CRL status"),
    crl_reload: Support::No("the node server adapter reads its CRL once at start"),
    ocsp_soft_fail: Support::No("node's tls module has no OCSP checking of client certificates"),
    ocsp_nonce: Support::No("node's tls module has no OCSP checking of client certificates"),
    ocsp_cache_ttl: Support::No("node's tls module has no OCSP checking of client certificates"),
    ocsp_query_timeout: false,
    stapling: NO_STAPLING,
    allow_list: false,
    verify_depth: VerifyDepth::Unconfigurable(
        "node's tls module has no verify-depth option (OpenSSL's default of 100 applies)",
    ),
    // node's `sigalgs` sets the server's own signature schemes too (no client-only list).
    client_sigalgs: false,
};

/// Why a command peer cannot be given a setting: it receives only its command line.
const COMMAND_GETS_NO: &str = "a command peer receives only its command line (placeholders {addr}, {port}, {cert}, {key}, {chain}, {client_ca}, {crl}, {ocsp_url}): the harness cannot set or know this setting of the program";

/// A command peer (`server = { command = [...] }`): any program. The harness knows nothing of
/// it beyond its command line, so every case needing a server-side setting it cannot pass is
/// skipped; revocation modes also need their placeholder (`{crl}`, `{ocsp_url}`), checked by
/// the adapter (`peers/programs/command.rs`).
pub const COMMAND: ServerCapabilities = ServerCapabilities {
    name: "the command peer",
    // Unknown; OpenSSL's limits are the common case and only narrow the groups it is asked for.
    library: Library::Openssl,
    revocation_modes: &[
        RevocationMode::None,
        RevocationMode::Crl,
        RevocationMode::Ocsp,
        RevocationMode::OcspStapling,
    ],
    missing_mode_reasons: &[
        (
            RevocationMode::CrlHttp,
            "a command peer has no placeholder for a CRL URL; use revocation mode crl with {crl}",
        ),
        (
            RevocationMode::ShortLived,
            "a command peer loads the certificate it was started with; the harness cannot make it rotate",
        ),
    ],
    crl_soft_fail: Support::No(COMMAND_GETS_NO),
    crl_reload: Support::No(COMMAND_GETS_NO),
    ocsp_soft_fail: Support::No(COMMAND_GETS_NO),
    ocsp_nonce: Support::No(COMMAND_GETS_NO),
    ocsp_cache_ttl: Support::No(COMMAND_GETS_NO),
    ocsp_query_timeout: false,
    stapling: Stapling {
        refreshes: false,
        verifies: false,
        controllable: Support::No(COMMAND_GETS_NO),
    },
    allow_list: false,
    verify_depth: VerifyDepth::Unconfigurable(COMMAND_GETS_NO),
    client_sigalgs: false,
};

/// The record of a server peer.
pub fn server(server: ServerImpl) -> &'static ServerCapabilities {
    match server {
        ServerImpl::Rustls => &RUSTLS_SERVER,
        ServerImpl::Openssl => &OPENSSL_SERVER,
        ServerImpl::SServer => &S_SERVER,
        ServerImpl::Nginx => &NGINX,
        ServerImpl::Haproxy => &HAPROXY,
        ServerImpl::GnutlsServ => &GNUTLS_SERV,
        ServerImpl::Node => &NODE_SERVER,
        ServerImpl::Command => &COMMAND,
    }
}

/// Why `library` cannot offer `groups`, if it cannot.
fn unsupported_groups(library: Library, groups: &[crate::scenario::KxGroup]) -> Option<String> {
    match library {
        Library::Rustls => None,
        Library::Openssl => super::tls::openssl::unsupported_groups(groups),
        Library::Gnutls => super::tls::gnutls::unsupported_groups(groups),
    }
}

fn unless(support: Support, needed: bool) -> Option<String> {
    match support {
        Support::No(reason) if needed => Some(reason.to_string()),
        _ => None,
    }
}

impl ServerCapabilities {
    /// Why this server cannot run `case` (the case is then skipped with this reason), if it
    /// cannot.
    pub fn skip_reason(&self, case: &Case) -> Option<String> {
        if let Some(reason) = unsupported_groups(self.library, &case.tls.server_groups) {
            return Some(reason);
        }
        if self.library == Library::Gnutls {
            if let Some(reason) = super::tls::gnutls::inexpressible_suites(
                &case.tls.server_suites,
                &case.tls.versions,
            ) {
                return Some(format!("gnutls-serv: {reason}"));
            }
        }
        self.revocation_reason(case)
            .or_else(|| self.verify_depth_reason(case))
            .or_else(|| {
                (!self.allow_list && !case.allowed_clients.is_empty()).then(|| {
                    format!(
                        "the {} server has no client allow-list (allowed_clients)",
                        case.server
                    )
                })
            })
            .or_else(|| {
                (!self.client_sigalgs && !case.tls.client_sigalgs.is_empty()).then(|| {
                    format!(
                        "the {} server cannot narrow the client's signature schemes (tls.client_sigalgs)",
                        case.server
                    )
                })
            })
    }

    fn verify_depth_reason(&self, case: &Case) -> Option<String> {
        match (self.verify_depth, case.verify_depth) {
            (VerifyDepth::Fixed(fixed), Some(d)) if d != fixed => Some(format!(
                "rustls (webpki) has a fixed verify depth of {fixed} intermediates; verify_depth = {d} cannot be configured"
            )),
            (VerifyDepth::Unconfigurable(why), Some(d)) => {
                Some(format!("{why}; verify_depth = {d} cannot be configured"))
            }
            _ => None,
        }
    }

    fn revocation_reason(&self, case: &Case) -> Option<String> {
        let rev = &case.revocation;
        let mode = rev.mode;
        if !self.revocation_modes.contains(&mode) {
            let special = self.missing_mode_reasons.iter().find(|(m, _)| *m == mode);
            return Some(match special {
                Some((_, reason)) => reason.to_string(),
                None => format!(
                    "revocation mode {mode} is not implemented for the {} server yet",
                    case.server
                ),
            });
        }
        if let Some(reason) = self.stapling_reason(case) {
            return Some(reason);
        }
        if let Some(reason) = unless(self.crl_reload, rev.reload.is_some()) {
            return Some(reason);
        }
        if let Some(reason) = unless(
            self.crl_soft_fail,
            mode == RevocationMode::Crl && rev.policy == FailPolicy::Soft,
        ) {
            return Some(reason);
        }
        if mode == RevocationMode::Ocsp {
            let timeout_needed = rev.fault == crate::scenario::ResponderFault::Timeout
                || rev.responder_delay >= rev.query_timeout;
            return unless(self.ocsp_soft_fail, rev.policy == FailPolicy::Soft)
                .or_else(|| unless(self.ocsp_nonce, rev.nonce))
                .or_else(|| unless(self.ocsp_cache_ttl, rev.revoke_after.is_some()))
                .or_else(|| {
                    (!self.ocsp_query_timeout && timeout_needed).then(|| format!(
                        "{} has no setting for its client-certificate OCSP query timeout (the case asks for {} ms; ssl_stapling_responder_timeout covers stapling only), so the harness's client would time out before {} decides",
                        self.name,
                        rev.query_timeout.as_millis(),
                        self.name
                    ))
                });
        }
        None
    }

    fn stapling_reason(&self, case: &Case) -> Option<String> {
        let rev = &case.revocation;
        if rev.mode != RevocationMode::OcspStapling {
            return None;
        }
        let stapling = self.stapling;
        if let Some(reason) = unless(
            stapling.controllable,
            rev.must_staple || !rev.staple_verify || rev.revoke_after.is_some(),
        ) {
            return Some(reason);
        }
        if !stapling.refreshes {
            if rev.revoke_after.is_some() {
                return Some(format!(
                    "{} staples the response fetched before it starts (-status_file) and cannot refresh it, which the exposure window measures",
                    self.name
                ));
            }
            if let Stop::Duration(d) = case.load.stop {
                if case.load.warmup + d > rev.staple_refresh {
                    return Some(format!(
                        "{} cannot refresh its staple (-status_file), and the run is longer than staple_refresh = {}ms",
                        self.name,
                        rev.staple_refresh.as_millis()
                    ));
                }
            }
        }
        if !stapling.verifies {
            // The verdict depends on the server checking its staple when a verifying server
            // and a careless one are expected to differ; this one staples whatever it has.
            let careless = crate::scenario::Revocation {
                staple_verify: false,
                ..*rev
            };
            if rev.staple_verify && careless.staple_expectation() != rev.staple_expectation() {
                return Some(format!(
                    "{} staples its -status_file without verifying it; staple_verify = true with fault = {} and signer = {} needs a server that checks the answer first",
                    self.name, rev.fault, rev.signer
                ));
            }
        }
        None
    }
}

/// What a client peer supports.
#[derive(Clone, Copy, Debug)]
pub struct ClientCapabilities {
    /// Its name in skip reasons.
    pub name: &'static str,
    /// Its TLS library.
    pub library: Library,
    /// It can drive an external server (target mode).
    pub target_mode: bool,
    /// Credentials it refuses to load at its default security level, and why.
    pub refuses: &'static [(ClientCert, &'static str)],
    /// Resuming a session from one attempt to the next (`tls.resumption`).
    pub resumption: Support,
}

// SSL_CTX_check_private_key: the key does not match the certificate.
const MISMATCHED_KEY: (ClientCert, &str) = (
    ClientCert::MismatchedKey,
    "a key that does not match its certificate",
);
// SSL_CTX_use_certificate: "ca md too weak" (SHA-1 needs security level 0).
const SHA1: (ClientCert, &str) = (
    ClientCert::Sha1Signed,
    "a SHA-1-signed certificate (\"ca md too weak\")",
);
// "ee key too small" at security level 2 (Debian's default); node runs at level 1.
const WEAK_RSA: (ClientCert, &str) = (
    ClientCert::WeakRsa,
    "a 1024-bit RSA key (\"ee key too small\")",
);

/// The harness's own rustls client: it sends every bad credential on purpose.
pub const RUSTLS_CLIENT: ClientCapabilities = ClientCapabilities {
    name: "the rustls client",
    library: Library::Rustls,
    target_mode: true,
    refuses: &[],
    resumption: Support::Yes,
};

/// The harness's OpenSSL client (`openssl` crate).
pub const OPENSSL_CLIENT: ClientCapabilities = ClientCapabilities {
    name: "the openssl client",
    library: Library::Openssl,
    target_mode: false,
    refuses: &[MISMATCHED_KEY, SHA1, WEAK_RSA],
    resumption: Support::Yes,
};

/// The installed `openssl s_client`.
pub const S_CLIENT: ClientCapabilities = ClientCapabilities {
    name: "openssl s_client",
    library: Library::Openssl,
    target_mode: false,
    refuses: &[MISMATCHED_KEY, SHA1, WEAK_RSA],
    resumption: Support::Yes,
};

/// The Node.js client.
pub const NODE_CLIENT: ClientCapabilities = ClientCapabilities {
    name: "the node client",
    library: Library::Openssl,
    target_mode: false,
    refuses: &[MISMATCHED_KEY, SHA1],
    resumption: Support::Yes,
};

/// The installed `curl` (7.88 on Debian 12, OpenSSL underneath).
pub const CURL: ClientCapabilities = ClientCapabilities {
    name: "curl",
    library: Library::Openssl,
    target_mode: false,
    refuses: &[MISMATCHED_KEY, SHA1, WEAK_RSA],
    resumption: Support::No(
        "curl 7.88 keeps TLS sessions in memory only: one process per handshake cannot resume (a session file needs curl 8.12's --ssl-sessions)",
    ),
};

/// GnuTLS's `gnutls-cli`.
pub const GNUTLS_CLI: ClientCapabilities = ClientCapabilities {
    name: "gnutls-cli",
    library: Library::Gnutls,
    target_mode: false,
    // It loads and sends every bad credential of the fixtures (a mismatched key, SHA-1, RSA-1024).
    refuses: &[],
    resumption: Support::No(
        "gnutls-cli resumes only inside one process (--resume); it cannot carry a session to the next process",
    ),
};

/// The record of a client peer.
pub fn client(client: ClientImpl) -> &'static ClientCapabilities {
    match client {
        ClientImpl::Rustls => &RUSTLS_CLIENT,
        ClientImpl::Openssl => &OPENSSL_CLIENT,
        ClientImpl::SClient => &S_CLIENT,
        ClientImpl::Node => &NODE_CLIENT,
        ClientImpl::Curl => &CURL,
        ClientImpl::GnutlsCli => &GNUTLS_CLI,
    }
}

impl ClientCapabilities {
    /// Why this client cannot present `case`'s credential from `pki`, or cannot offer its
    /// groups; `None` when it can.
    pub fn skip_reason(&self, case: &Case, pki: &Pki) -> Option<String> {
        let cert = case.client_cert;
        if cert != ClientCert::None && pki.client(cert, 0).is_none() {
            return Some(format!(
                "the {} hierarchy has no {cert} credential (Ed25519 has no SHA-1 signature)",
                case.key
            ));
        }
        if let Some((_, refused)) = self.refuses.iter().find(|(c, _)| *c == cert) {
            return Some(format!(
                "{} refuses to load {refused} at its default security level; the rustls client sends it",
                self.name
            ));
        }
        if case.tls.resumption != crate::scenario::ResumptionMode::Off {
            if let Support::No(reason) = self.resumption {
                return Some(reason.to_string());
            }
        }
        None
    }

    /// Why this client cannot offer `case`'s groups, if it cannot (checked where the client is
    /// started: process clients before their first process).
    pub fn groups_reason(&self, case: &Case) -> Option<String> {
        let suites = match self.library {
            Library::Gnutls => {
                super::tls::gnutls::inexpressible_suites(&case.tls.suites, &case.tls.versions)
            }
            _ => None,
        };
        unsupported_groups(self.library, &case.tls.groups)
            .or(suites)
            .map(|reason| format!("{}: {reason}", self.name))
    }
}
