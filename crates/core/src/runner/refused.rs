//! The words of a target's refusal of the trust handshake: why the target judged no
//! certificate (it refused before the client's Certificate: the likely cause from what the
//! client offered and the server's certificate key), and the verify depth the harness's chain
//! needs when the target's may be too small.

use crate::measure::Outcome;
use crate::peers::Target;
use crate::pki::Pki;
use crate::scenario::Case;

/// Why the trust handshake did not let a hierarchy's variants be graded.
#[derive(Clone, Debug)]
pub(super) enum Untrusted {
    /// The target refused the valid credential: this hierarchy's variants are skipped with the
    /// reason.
    Skip(String),
    /// No case can be graded: the run stops with this diagnosis (exit 2).
    Refused(String),
}

/// The alert `outcome` names, with its code, or what ended the connection.
fn alert_text(outcome: Outcome) -> String {
    let code = (0u8..=255).find(|&a| Outcome::from_alert(a) == outcome);
    match (outcome, code) {
        (Outcome::OtherAlert, _) => "an alert".into(),
        (_, Some(code)) => format!("alert {outcome} ({code})"),
        (Outcome::Reset, _) => "the connection was reset".into(),
        (Outcome::ClosedWithoutVerdict, _) => "the connection was closed".into(),
        _ => outcome.to_string(),
    }
}

/// What the client offers at `case`'s TLS settings: "TLS 1.3 with groups x25519 and suites ...".
fn offered(case: &Case) -> String {
    let tls = &case.tls;
    let versions: Vec<&str> = tls.versions.iter().map(|v| v.name()).collect();
    let groups: Vec<&str> = tls.groups.iter().map(|g| g.name()).collect();
    let mut text = format!(
        "TLS {} with groups {}",
        versions.join("/"),
        groups.join(", ")
    );
    if !tls.suites.is_empty() {
        let suites: Vec<&str> = tls.suites.iter().map(|s| s.name()).collect();
        text.push_str(&format!(" and suites {}", suites.join(", ")));
    }
    text
}

/// The diagnosis of a target that refused the valid credential's handshake (`case`'s TLS
/// settings) with `outcome` before the client's Certificate; `requested`: after its
/// CertificateRequest.
pub(super) fn diagnosis(case: &Case, target: &Target, outcome: Outcome, requested: bool) -> String {
    let when = if requested {
        "after its CertificateRequest, before the client's Certificate"
    } else {
        "before client authentication"
    };
    let mut offered = format!("the client offered {}", offered(case));
    let key = target.server_key();
    if let Some(key) = &key {
        offered.push_str(&format!("; the server's certificate key is {key}"));
    }
    let cause = match outcome {
        Outcome::ProtocolVersion => "no shared TLS version",
        Outcome::InsufficientSecurity => {
            "the server wants stronger parameters (version, cipher or group) than offered"
        }
        _ => "no shared version/group/cipher",
    };
    format!(
        "{}: the target refused the handshake {when}: {}; likely cause: {cause}: {offered}{}; it judged no client certificate, so no case can be graded (case {})",
        target.given,
        alert_text(outcome),
        curve_hint(case, key.as_deref()),
        case.name,
    )
}

/// Why a case whose own TLS settings were refused (`outcome`) before client authentication is
/// skipped when the stock settings reached it (negotiating `stock_version` when the handshake
/// completed).
pub(super) fn settings_reason(
    case: &Case,
    target: &Target,
    outcome: Outcome,
    stock_version: Option<String>,
) -> String {
    let settings = offered(case);
    let stock = match &stock_version {
        Some(v) => format!(
            "a stock ClientHello (TLS 1.3/1.2) reached client authentication and negotiated {v}"
        ),
        None => "a stock ClientHello (TLS 1.3/1.2) reached client authentication".into(),
    };
    let cause = match (outcome, &stock_version) {
        (Outcome::ProtocolVersion, Some(v)) => format!(
            "the target does not speak this case's TLS version (to grade the conformance suite at {v}: conformance --tls-version {})",
            v.trim_start_matches("TLS ")
        ),
        (Outcome::ProtocolVersion, None) => {
            "the target does not speak this case's TLS version".to_string()
        }
        _ => "the target takes none of this case's versions, groups or suites".to_string(),
    };
    format!(
        "the target refused this case's TLS settings ({settings}) before client authentication with {}, while {stock}: {cause}{}, so this case cannot isolate its defect there",
        alert_text(outcome),
        curve_hint(case, target.server_key().as_deref()),
    )
}

/// At TLS 1.2 an ECDSA certificate's curve must be among the client's groups (RFC 8422 5.1):
/// the advice when it is not.
fn curve_hint(case: &Case, key: Option<&str>) -> String {
    use crate::scenario::{KxGroup, TlsVersion};
    let curve = match key {
        Some("P-256") => KxGroup::Secp256r1,
        Some("P-384") => KxGroup::Secp384r1,
        _ => return String::new(),
    };
    let tls12_only = case.tls.versions.iter().all(|v| *v == TlsVersion::Tls12);
    if !tls12_only || case.tls.groups.contains(&curve) {
        return String::new();
    }
    format!(
        " (at TLS 1.2 the curve of an ECDSA server certificate must be among the client's groups, RFC 8422 5.1: add \"{}\" to the case's groups)",
        curve.name()
    )
}

/// Intermediates between the leaf and the trust anchor in the chain the valid credential of
/// `pki` sends (a self-signed root sent at the end is not counted).
pub(super) fn chain_depth(pki: &Pki) -> usize {
    let Some(valid) = pki.clients.first() else {
        return 0;
    };
    valid
        .chain
        .iter()
        .skip(1)
        .filter(|c| !self_signed(c.as_ref()))
        .count()
}

fn self_signed(der: &[u8]) -> bool {
    use der::Decode;
    x509_cert::Certificate::from_der(der)
        .is_ok_and(|c| c.tbs_certificate.subject == c.tbs_certificate.issuer)
}

/// The settings that let a server take a chain of `depth` intermediates, per stack.
pub(super) fn depth_settings(depth: usize) -> String {
    format!(
        "set ssl_verify_depth (nginx), -verify_depth (openssl s_server) or SSL_CTX_set_verify_depth >= {depth}, SSLVerifyDepth (Apache, which counts the anchor) >= {}",
        depth + 1
    )
}

/// The possible depth cause, for the reason of a refused valid credential of `pki`, when its
/// chain is deeper than one intermediate.
pub(super) fn depth_hint(pki: &Pki) -> String {
    let depth = chain_depth(pki);
    if depth < 2 {
        return String::new();
    }
    format!(
        " (or its verify depth is too small for the harness's chain of {depth} intermediates: {})",
        depth_settings(depth)
    )
}

/// The diagnosis of a target that refuses the valid credential of a chain of `depth`
/// intermediates and accepts that of a chain of `shorter`.
pub(super) fn depth_diagnosis(target: &Target, depth: usize, shorter: usize) -> String {
    format!(
        "{}: the server's verify depth is too small for the harness's chain ({depth} intermediates): it refused a valid credential with that chain and accepted one with {shorter}; {}",
        target.given,
        depth_settings(depth)
    )
}
