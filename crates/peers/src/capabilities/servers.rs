//! One record per server peer: what each stack supports, with the reason for what it lacks
//! (the rules in `capabilities.rs` turn a case plus a record into a skip reason).

use super::{Library, ServerCapabilities, Stapling, Support, VerifyDepth};
use crate::scenario::RevocationMode;

/// Why rustls cannot take a delta CRL.
const WEBPKI_NO_DELTAS: &str =
    "rustls (webpki) refuses a CRL with a delta CRL indicator (Error::UnsupportedDeltaCrl)";

/// Why an OpenSSL-based peer without a setting for delta CRLs cannot take one.
const OPENSSL_NO_DELTA_SETTING: &str = "this OpenSSL-based server has no setting for OpenSSL's X509_V_FLAG_USE_DELTAS and X509_V_FLAG_EXTENDED_CRL_SUPPORT, and OpenSSL 3.0 without them takes a newer delta CRL for the complete CRL: a client revoked only in the base gets in (openssl verify -crl_check with base + delta: OK)";

/// Why gnutls-serv cannot use several CRLs of one issuer (measured with `certtool --verify
/// --load-crl`, GnuTLS 3.7: shard 8 alone refuses its revoked client, shard 8 followed by the
/// other 15 admits it; a base followed or preceded by a newer delta admits a client the base
/// lists).
const GNUTLS_ONE_CRL_PER_ISSUER: &str = "GnuTLS keeps one CRL per issuer (the newest; the last of equals): of N shards it uses one and admits clients revoked in the others, and a newer delta CRL replaces its base";

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

/// The modes of a server that reads CRLs from files, checks client certificates by OCSP and
/// staples: no CRL fetching, no certificate rotation.
const CRL_FILE_AND_OCSP: &[RevocationMode] = &[
    RevocationMode::None,
    RevocationMode::Crl,
    RevocationMode::Ocsp,
    RevocationMode::OcspStapling,
];

const FULL_STAPLING: Stapling = Stapling {
    refreshes: true,
    verifies: true,
    controllable: Support::Yes,
    starts_with_revoked: Support::Yes,
};

/// The built-in rustls server (`mtls-harness serve`).
pub const RUSTLS_SERVER: ServerCapabilities = ServerCapabilities {
    name: "rustls",
    library: Library::Rustls,
    revocation_modes: ALL_MODES,
    missing_mode_reasons: &[],
    crl_soft_fail: Support::Yes,
    crl_reload: Support::Yes,
    // Sharded and delta CRLs (issue 16): one field block.
    crl_shards: Support::Yes,
    crl_deltas: Support::No(WEBPKI_NO_DELTAS),
    ocsp_soft_fail: Support::Yes,
    ocsp_nonce: Support::Yes,
    ocsp_cache_ttl: Support::Yes,
    ocsp_query_timeout: true,
    stapling: FULL_STAPLING,
    allow_list: true,
    verify_depth: VerifyDepth::Fixed(WEBPKI_VERIFY_DEPTH),
    client_sigalgs: true,
    session_cache: Support::Yes,
    session_cache_tls13: Support::Yes,
};

/// The built-in OpenSSL server (`mtls-harness serve --impl openssl`).
pub const OPENSSL_SERVER: ServerCapabilities = ServerCapabilities {
    name: "openssl",
    library: Library::Openssl,
    revocation_modes: CRL_FILE_AND_OCSP,
    missing_mode_reasons: &[(
        RevocationMode::CrlHttp,
        "the openssl server reads CRLs from files only; it fetches none from a distribution point",
    )],
    crl_soft_fail: Support::Yes,
    crl_reload: Support::No("the openssl server loads its CRLs once"),
    // Sharded and delta CRLs (issue 16): one field block.
    crl_shards: Support::Yes,
    crl_deltas: Support::Yes,
    ocsp_soft_fail: Support::Yes,
    ocsp_nonce: Support::Yes,
    ocsp_cache_ttl: Support::Yes,
    ocsp_query_timeout: true,
    stapling: FULL_STAPLING,
    allow_list: true,
    verify_depth: VerifyDepth::Configurable,
    client_sigalgs: true,
    session_cache: Support::Yes,
    session_cache_tls13: Support::Yes,
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
    missing_mode_reasons: &[
        (
            RevocationMode::Ocsp,
            "openssl s_server has no OCSP checking of client certificates",
        ),
        (
            RevocationMode::CrlHttp,
            "openssl s_server reads CRLs from its -CRL file only; it fetches none over HTTP",
        ),
    ],
    crl_soft_fail: Support::No("openssl s_server has no soft-fail for undetermined CRL status"),
    crl_reload: Support::No("openssl s_server cannot reload a CRL"),
    // Sharded and delta CRLs (issue 16): one field block.
    crl_shards: Support::Yes,
    crl_deltas: Support::Yes,
    ocsp_soft_fail: Support::Yes,
    ocsp_nonce: Support::Yes,
    ocsp_cache_ttl: Support::Yes,
    ocsp_query_timeout: true,
    stapling: Stapling {
        refreshes: false,
        verifies: false,
        controllable: Support::Yes,
        starts_with_revoked: Support::Yes,
    },
    allow_list: false,
    verify_depth: VerifyDepth::Configurable,
    client_sigalgs: true,
    session_cache: Support::Yes,
    session_cache_tls13: Support::Yes,
};

/// nginx.
pub const NGINX: ServerCapabilities = ServerCapabilities {
    name: "nginx",
    library: Library::Openssl,
    revocation_modes: CRL_FILE_AND_OCSP,
    missing_mode_reasons: &[(
        RevocationMode::CrlHttp,
        "nginx reads CRLs from its ssl_crl file only; it fetches none over HTTP",
    )],
    crl_soft_fail: Support::No("nginx has no soft-fail for undetermined CRL status"),
    crl_reload: Support::No("nginx re-reads its CRL only on a configuration reload"),
    // Sharded and delta CRLs (issue 16): one field block.
    crl_shards: Support::Yes,
    crl_deltas: Support::No(OPENSSL_NO_DELTA_SETTING),
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
        starts_with_revoked: Support::Yes,
    },
    allow_list: true,
    verify_depth: VerifyDepth::Configurable,
    client_sigalgs: true,
    session_cache: Support::Yes,
    session_cache_tls13: Support::Yes,
};

/// A server that staples the response the runner fetched for it before it started, as it is
/// (unverified, never refreshed), and presents the Must-Staple certificate when a case asks.
const STAPLES_FETCHED_FILE: Stapling = Stapling {
    refreshes: false,
    verifies: false,
    controllable: Support::Yes,
    starts_with_revoked: Support::Yes,
};

/// HAProxy (2.6 on Debian 12): `bind ... ssl crt ... ca-file ... verify required`.
pub const HAPROXY: ServerCapabilities = ServerCapabilities {
    name: "haproxy",
    library: Library::Openssl,
    revocation_modes: &[
        RevocationMode::None,
        RevocationMode::Crl,
        RevocationMode::OcspStapling,
    ],
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
            RevocationMode::ShortLived,
            "HAProxy loads its certificate at start; rotating it needs its runtime API (set ssl cert), which the adapter does not drive",
        ),
    ],
    // crt-ignore-err / ca-ignore-err with the CRL-undetermined verify errors.
    crl_soft_fail: Support::Yes,
    crl_reload: Support::No(
        "HAProxy reads its crl-file at start; replacing it needs its runtime API (set ssl crl-file), which the adapter does not drive",
    ),
    // Sharded and delta CRLs (issue 16): one field block.
    crl_shards: Support::Yes,
    crl_deltas: Support::No(OPENSSL_NO_DELTA_SETTING),
    ocsp_soft_fail: Support::No("HAProxy has no OCSP checking of client certificates"),
    ocsp_nonce: Support::No("HAProxy has no OCSP checking of client certificates"),
    ocsp_cache_ttl: Support::No("HAProxy has no OCSP checking of client certificates"),
    ocsp_query_timeout: false,
    // The `server.pem.ocsp` the runner fetched before it started.
    stapling: Stapling {
        refreshes: false,
        verifies: false,
        controllable: Support::No(
            "HAProxy 2.6 staples the .ocsp file it loaded at start (its ocsp-update came in 2.8): Must-Staple without a staple, unverified staples and mid-run revocation are not staged for it",
        ),
        starts_with_revoked: Support::Yes,
    },
    // `http-request return status 403` unless the subject CN is listed.
    allow_list: true,
    verify_depth: VerifyDepth::Unconfigurable(
        "HAProxy has no verify-depth setting (OpenSSL's default of 100 applies)",
    ),
    client_sigalgs: false,
    session_cache: Support::Yes,
    session_cache_tls13: Support::Yes,
};

/// Apache httpd (2.4 on Debian 12, `apache2-bin`): mod_ssl with `SSLVerifyClient`, the event
/// MPM. It refuses a bad client certificate inside the handshake with OpenSSL's alert for the
/// verification error, like HAProxy; the allow-list is an HTTP 403 (mod_rewrite `[F]`).
/// Apache's own `SSLVerifyDepth` default of 1 counts the trust anchor (leaf -> intermediate ->
/// root is refused: AH02040 "Certificate Chain too long", alert internal_error); the adapter
/// sets the case's depth plus one.
pub const APACHE: ServerCapabilities = ServerCapabilities {
    name: "apache",
    library: Library::Openssl,
    revocation_modes: CRL_FILE_AND_OCSP,
    missing_mode_reasons: &[
        (
            RevocationMode::CrlHttp,
            "Apache reads CRLs from SSLCARevocationFile/Path only; it fetches none over HTTP",
        ),
        (
            RevocationMode::ShortLived,
            "Apache loads its certificate at start; rotating it needs a graceful restart, which the adapter does not drive",
        ),
    ],
    crl_soft_fail: Support::No(
        "Apache's only CRL soft-fail (SSLCARevocationCheck ... no_crl_for_cert_ok) admits a certificate whose issuer has no CRL at all, not one whose CRL is stale or does not verify",
    ),
    crl_reload: Support::No("Apache re-reads SSLCARevocationFile only on a restart"),
    // Sharded and delta CRLs (issue 16): one field block.
    crl_shards: Support::Yes,
    crl_deltas: Support::No(OPENSSL_NO_DELTA_SETTING),
    ocsp_soft_fail: Support::No(
        "Apache's SSLOCSPEnable has no soft-fail: an undetermined status refuses the client (no_ocsp_for_cert_ok admits only certificates without a responder URL)",
    ),
    // SSLOCSPUseRequestNonce (on by default): an answer without the nonce is refused.
    ocsp_nonce: Support::Yes,
    ocsp_cache_ttl: Support::No(
        "Apache 2.4 keeps no cache of client-certificate OCSP answers: it asks the responder on every full handshake, so no cache_ttl can be set",
    ),
    // SSLOCSPResponderTimeout, in whole seconds (a shorter timeout is rounded up).
    ocsp_query_timeout: true,
    // SSLUseStapling: Apache fetches its staple on the first handshake that asks, caches it
    // in SSLStaplingCache and staples it after checking only its status and validity times
    // (no signature check, stapling_check_response).
    stapling: Stapling {
        refreshes: true,
        verifies: false,
        controllable: Support::No(
            "Apache fetches its staple itself and keeps it for SSLStaplingStandardCacheTimeout: Must-Staple, unverified staples and mid-run revocation are not staged for it",
        ),
        starts_with_revoked: Support::Yes,
    },
    // RewriteCond expr on SSL_CLIENT_S_DN_CN, RewriteRule [F]: HTTP 403.
    allow_list: true,
    verify_depth: VerifyDepth::Configurable,
    // SSLOpenSSLConfCmd ClientSignatureAlgorithms.
    client_sigalgs: true,
    session_cache: Support::Yes,
    session_cache_tls13: Support::Yes,
};

/// GnuTLS's `gnutls-serv` (3.7 on Debian 12).
pub const GNUTLS_SERV: ServerCapabilities = ServerCapabilities {
    name: "gnutls-serv",
    library: Library::Gnutls,
    revocation_modes: &[
        RevocationMode::None,
        RevocationMode::Crl,
        RevocationMode::OcspStapling,
    ],
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
            RevocationMode::ShortLived,
            "gnutls-serv loads its certificate once at start and cannot rotate it",
        ),
    ],
    crl_soft_fail: Support::No("gnutls-serv has no soft-fail setting for undetermined CRL status"),
    crl_reload: Support::No("gnutls-serv reads its CRL once at start"),
    // Sharded and delta CRLs (issue 16): one field block.
    crl_shards: Support::No(GNUTLS_ONE_CRL_PER_ISSUER),
    crl_deltas: Support::No(GNUTLS_ONE_CRL_PER_ISSUER),
    ocsp_soft_fail: Support::No("gnutls-serv has no OCSP checking of client certificates"),
    ocsp_nonce: Support::No("gnutls-serv has no OCSP checking of client certificates"),
    ocsp_cache_ttl: Support::No("gnutls-serv has no OCSP checking of client certificates"),
    ocsp_query_timeout: false,
    // The --ocsp-response file the runner fetched before it started.
    stapling: Stapling {
        refreshes: false,
        verifies: false,
        controllable: Support::No(
            "gnutls-serv staples the --ocsp-response file it was started with: Must-Staple without a staple, unverified staples and mid-run revocation are not staged for it",
        ),
        starts_with_revoked: Support::No(
            "gnutls-serv 3.7 will not start with a response that says revoked (\"Cannot set OCSP status request file: ... The session or certificate has expired\")",
        ),
    },
    allow_list: false,
    verify_depth: VerifyDepth::Unconfigurable(
        "gnutls-serv has no verify-depth setting (GnuTLS's default of 16 applies)",
    ),
    client_sigalgs: false,
    session_cache: Support::Yes,
    session_cache_tls13: Support::No(
        "gnutls-serv resumes TLS 1.3 with tickets only: its session database (without --noticket) serves TLS 1.2",
    ),
};

/// A Node.js https server (`https.createServer`, the script `node_server.js`).
pub const NODE_SERVER: ServerCapabilities = ServerCapabilities {
    name: "the node server",
    library: Library::Openssl,
    revocation_modes: &[
        RevocationMode::None,
        RevocationMode::Crl,
        RevocationMode::OcspStapling,
    ],
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
            RevocationMode::ShortLived,
            "the node server adapter does not rotate its certificate (setSecureContext) yet",
        ),
    ],
    crl_soft_fail: Support::No("node's crl option has no soft-fail for undetermined CRL status"),
    crl_reload: Support::No("the node server adapter reads its CRL once at start"),
    // Sharded and delta CRLs (issue 16): one field block.
    crl_shards: Support::Yes,
    crl_deltas: Support::No(OPENSSL_NO_DELTA_SETTING),
    ocsp_soft_fail: Support::No("node's tls module has no OCSP checking of client certificates"),
    ocsp_nonce: Support::No("node's tls module has no OCSP checking of client certificates"),
    ocsp_cache_ttl: Support::No("node's tls module has no OCSP checking of client certificates"),
    ocsp_query_timeout: false,
    // Its OCSPRequest event answered with the file the runner fetched before it started.
    stapling: STAPLES_FETCHED_FILE,
    allow_list: false,
    verify_depth: VerifyDepth::Unconfigurable(
        "node's tls module has no verify-depth option (OpenSSL's default of 100 applies)",
    ),
    // node's `sigalgs` sets the server's own signature schemes too (no client-only list).
    client_sigalgs: false,
    session_cache: Support::Yes,
    session_cache_tls13: Support::No(
        "node's server resumes TLS 1.3 with tickets only: its newSession/resumeSession events serve TLS 1.2 session IDs",
    ),
};

/// The Go crypto/tls server (`go_server.go`, built with the Debian toolchain on first use).
pub const GO_SERVER: ServerCapabilities = ServerCapabilities {
    name: "the go server",
    library: Library::Go,
    revocation_modes: &[
        RevocationMode::None,
        RevocationMode::Crl,
        RevocationMode::OcspStapling,
    ],
    missing_mode_reasons: &[
        (
            RevocationMode::Ocsp,
            "the go server checks CRLs only (crypto/tls has no OCSP checking of client certificates)",
        ),
        (
            RevocationMode::CrlHttp,
            "the go server reads its CRL from a file only",
        ),
        (
            RevocationMode::ShortLived,
            "the go server adapter does not rotate its certificate (GetCertificate) yet",
        ),
    ],
    // The program's own CRL check in VerifyPeerCertificate has both policies.
    crl_soft_fail: Support::Yes,
    crl_reload: Support::No("the go server reads its CRL once at start"),
    // Sharded and delta CRLs (issue 16): one field block.
    crl_shards: Support::Yes,
    crl_deltas: Support::Yes,
    ocsp_soft_fail: Support::No("the go server has no OCSP checking of client certificates"),
    ocsp_nonce: Support::No("the go server has no OCSP checking of client certificates"),
    ocsp_cache_ttl: Support::No("the go server has no OCSP checking of client certificates"),
    ocsp_query_timeout: false,
    // tls.Certificate.OCSPStaple: the file the runner fetched before it started.
    stapling: STAPLES_FETCHED_FILE,
    // HTTP 403 unless the subject CN is listed.
    allow_list: true,
    verify_depth: VerifyDepth::Unconfigurable(
        "crypto/tls has no verify-depth setting (x509.Verify limits no chain length)",
    ),
    client_sigalgs: false,
    session_cache: Support::No(
        "crypto/tls servers keep no session cache: they resume with stateless tickets only",
    ),
    session_cache_tls13: Support::No(
        "crypto/tls servers keep no session cache: they resume with stateless tickets only",
    ),
};

/// The Java JSSE server (`JavaServer.java`, compiled with javac on first use).
pub const JAVA_SERVER: ServerCapabilities = ServerCapabilities {
    name: "the java server",
    library: Library::Java,
    revocation_modes: CRL_FILE_AND_OCSP,
    missing_mode_reasons: &[
        (
            RevocationMode::CrlHttp,
            "the java server reads its CRL from a file only (no CRL distribution point fetching)",
        ),
        (
            RevocationMode::ShortLived,
            "the java server loads its certificate once at start",
        ),
    ],
    // PKIXRevocationChecker.Option.SOFT_FAIL.
    crl_soft_fail: Support::Yes,
    crl_reload: Support::No("the java server reads its CRL once at start"),
    // Sharded and delta CRLs (issue 16): one field block.
    crl_shards: Support::Yes,
    crl_deltas: Support::No(
        "JSSE's PKIX revocation checker did not apply the delta CRL: the client only the delta lists got in (measured, OpenJDK 17)",
    ),
    // PKIXRevocationChecker (OCSP only, the leaf) with Option.SOFT_FAIL.
    ocsp_soft_fail: Support::Yes,
    ocsp_nonce: Support::No(
        "JSSE sends a nonce (jdk.security.certpath.ocspNonce=true) and refuses an answer with another, but accepts one without a nonce (measured: nonce = true with fault = no-nonce, 4 of 4 accepted), where the case needs the nonce required back",
    ),
    ocsp_cache_ttl: Support::No(
        "JSSE's PKIX revocation checker keeps no OCSP cache: it asks the responder on every handshake, so no cache_ttl can be set",
    ),
    // com.sun.security.ocsp.timeout and .readtimeout in milliseconds ("500ms"), which OpenJDK
    // 17.0.15 reads (conformance d15: a responder that never answers, refused in time).
    ocsp_query_timeout: true,
    // jdk.tls.server.enableStatusRequestExtension: JSSE fetches its staple itself from the
    // responder on the first handshake that asks (waiting up to the query timeout), staples it
    // unverified, and fetches again once it is older than staple_refresh (its cache lifetime).
    stapling: Stapling {
        refreshes: true,
        verifies: false,
        controllable: Support::Yes,
        starts_with_revoked: Support::Yes,
    },
    allow_list: false,
    verify_depth: VerifyDepth::Unconfigurable(
        "JSSE validates the chain the client sent with PKIXParameters, which have no path-length limit (PKIXBuilderParameters.setMaxPathLength bounds path building only; jdk.tls.maxCertificateChainLength, 10, is the only bound)",
    ),
    client_sigalgs: false,
    session_cache: Support::Yes,
    session_cache_tls13: Support::Yes,
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
    revocation_modes: CRL_FILE_AND_OCSP,
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
    // Sharded and delta CRLs (issue 16): one field block.
    crl_shards: Support::Yes,
    crl_deltas: Support::No("the harness cannot know whether the program uses a delta CRL"),
    ocsp_soft_fail: Support::No(COMMAND_GETS_NO),
    ocsp_nonce: Support::No(COMMAND_GETS_NO),
    ocsp_cache_ttl: Support::No(COMMAND_GETS_NO),
    ocsp_query_timeout: false,
    stapling: Stapling {
        refreshes: false,
        verifies: false,
        controllable: Support::No(COMMAND_GETS_NO),
        starts_with_revoked: Support::Yes,
    },
    allow_list: false,
    verify_depth: VerifyDepth::Unconfigurable(COMMAND_GETS_NO),
    client_sigalgs: false,
    // Whatever the program does with sessions is its own: resumption cases run and report
    // what happened.
    session_cache: Support::Yes,
    session_cache_tls13: Support::Yes,
};
