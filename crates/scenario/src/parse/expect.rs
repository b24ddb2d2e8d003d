//! What a case expects: the expectation it states (`expect`, `reject_reason`, checked against
//! each other), or the one derived from its settings when it states none; and the allow-list's
//! checks, which depend on who it admits.

use super::case_problems::CaseProblems;
use super::raw::{ExpectKind, RawSettings};
use crate::measure::Outcome;
use crate::pki::{ClientCert, KeyType};
use crate::scenario::model::{ClientAuth, Expectation, Revocation, TlsSettings};

/// The settings an expectation is derived from.
pub(super) struct Judged<'t> {
    pub(super) tls: &'t TlsSettings,
    pub(super) key: KeyType,
    pub(super) client_auth: ClientAuth,
    pub(super) client_cert: ClientCert,
    pub(super) revocation: Revocation,
    /// The case's chain depth.
    pub(super) intermediates: u8,
    /// The size of the identity pool.
    pub(super) identities: usize,
}

/// The case's expectation: the one it states, or the derived one.
pub(super) fn expectation(
    p: &mut CaseProblems<'_, '_>,
    raw: &RawSettings,
    case: &Judged<'_>,
) -> Expectation {
    let at = raw.reject_reason_span.clone();
    match (raw.expect, raw.reject_reason) {
        (Some(ExpectKind::Accept), Some(reason)) => {
            p.bad_at(
                at,
                format!("reject_reason = \"{reason}\" contradicts expect = \"accept\""),
            );
            Expectation::Accept
        }
        (Some(ExpectKind::Accept), None) => Expectation::Accept,
        (Some(ExpectKind::Record), Some(reason)) => {
            p.bad_at(
                at,
                format!("reject_reason = \"{reason}\" contradicts expect = \"record\""),
            );
            Expectation::Record
        }
        (Some(ExpectKind::Record), None) => Expectation::Record,
        (Some(ExpectKind::Reject), reason) => Expectation::Reject(reason),
        (None, Some(reason)) => Expectation::Reject(Some(reason)),
        (None, None) => derived(raw, case),
    }
}

/// The expectation of a case that states none.
fn derived(raw: &RawSettings, case: &Judged<'_>) -> Expectation {
    let Judged {
        tls,
        key,
        client_auth,
        client_cert,
        revocation,
        intermediates,
        identities,
    } = *case;
    let sent = sent_intermediates(client_cert, intermediates);
    let list = &tls.client_sigalgs;
    let key_fits = list.is_empty() || list.iter().any(|s| s.fits(client_key(client_cert, key)));
    let presents = client_cert != ClientCert::None && client_auth != ClientAuth::Off;
    match allowed_share(raw.allowed_clients.as_deref(), identities) {
        // In the order servers check: the chain (within the verify depth), the
        // allow-list, then the CertificateVerify scheme.
        _ if presents && raw.verify_depth.is_some_and(|d| usize::from(d) < sent) => {
            Expectation::Reject(Some(Outcome::UnknownCa))
        }
        // Nobody in the pool is on the allow-list: the server refuses every one.
        Some(0) if client_cert == ClientCert::Valid => {
            Expectation::Reject(Some(Outcome::AccessDenied))
        }
        _ if presents && !key_fits => Expectation::Reject(None),
        _ => Expectation::derived(client_cert, client_auth, tls.highest(), revocation),
    }
}

/// An allow-list whose verdict would depend on the credential or on who connects; a
/// reject_reason of "accepted".
pub(super) fn check_allow_list(
    p: &mut CaseProblems<'_, '_>,
    raw: &RawSettings,
    client_cert: ClientCert,
    identities: usize,
    expect: Expectation,
) {
    if let Some(listed) = allowed_share(raw.allowed_clients.as_deref(), identities) {
        if client_cert != ClientCert::Valid {
            p.bad(format!("allowed_clients applies to the pool's valid identities; client_cert = \"{client_cert}\" is refused before any allow-list"));
        } else if listed != 0 && listed != identities {
            p.bad(format!("allowed_clients lists {listed} of the pool's {identities} identities (client-00000 ...): the verdict would depend on which one connects; list all of them or none"));
        }
    }
    if let Expectation::Reject(Some(Outcome::Accepted)) = expect {
        p.bad_at(
            raw.reject_reason_span.clone(),
            "reject_reason cannot be \"accepted\"",
        );
    }
}

/// The intermediates a client sends (and a server must walk) for a credential, in a hierarchy
/// of `intermediates`.
fn sent_intermediates(cert: ClientCert, intermediates: u8) -> usize {
    match cert {
        ClientCert::DeepChain => crate::pki::DEEP_CHAIN_INTERMEDIATES,
        ClientCert::MisorderedChain => 2,
        ClientCert::NameConstraints | ClientCert::NoCrlSignIssuer => 1,
        _ => usize::from(intermediates),
    }
}

/// The key type of a credential's leaf: the hierarchy's, except the weak RSA key.
fn client_key(cert: ClientCert, key: KeyType) -> KeyType {
    match cert {
        ClientCert::WeakRsa => KeyType::Rsa2048,
        _ => key,
    }
}

/// How many of the pool's identities an allow-list admits; `None` without one.
fn allowed_share(allowed: Option<&[String]>, identities: usize) -> Option<usize> {
    let allowed = allowed?;
    Some(
        (0..identities)
            .filter(|&i| allowed.contains(&crate::pki::pool_name(i)))
            .count(),
    )
}
