//! The bad client credentials as one table: per variant, what it breaks, the serial of its leaf
//! and the recipe that builds it (`recipes.rs`). [`issue`] walks the table in its order (the
//! order of `Pki::bad_clients` and of the fixture files' manifest); every serial number of a
//! leaf the harness issues outside the client pool is here or in [`FIXED_SERIALS`], and a test
//! checks that none is used twice.
//!
//! The serials are those the credentials have always had (900 to 915): CRLs, shard numbers and
//! tests name them (`REVOKED_SERIAL` is listed by every CRL), so a new variant takes the next
//! free number and none is ever renumbered.

use std::sync::Arc;

use rcgen::CertificateParams;
use rustls::pki_types::CertificateDer;

use super::ca::Ca;
use super::client_cert::ClientCert;
use super::keys::KeyMaterial;
use super::model::Identity;
use super::params::IssueError;
use super::recipes::{
    self, Build, Inputs, Issuing, Made, VariantCas, Wanted, CHAIN_CA_SERIAL, CONSTRAINED_CA_SERIAL,
    NO_CRL_SIGN_CA_SERIAL,
};

/// Serial number of the `revoked` client (the one every CRL lists).
pub const REVOKED_SERIAL: u64 = 904;

/// Serial number of the victim: valid until a case revokes it mid-run (exposure window).
pub const VICTIM_SERIAL: u64 = 905;

/// The first serial of the client pool (identity `i` has `POOL_SERIAL + i`).
pub const POOL_SERIAL: u64 = 10_000;

/// Serial of the root (intermediate `n` has `ROOT_SERIAL + n`); the foreign root, under its
/// own name, has it too.
pub const ROOT_SERIAL: u64 = 1;
/// Serial of the server's certificate.
pub const SERVER_SERIAL: u64 = 100;
/// Serial of the server's Must-Staple certificate.
pub const SERVER_MUST_STAPLE_SERIAL: u64 = 101;
/// Serial of the authorised delegated OCSP responder.
pub const OCSP_RESPONDER_SERIAL: u64 = 200;
/// Serial of the OCSP responder certificate without id-kp-OCSPSigning.
pub const OCSP_UNAUTHORIZED_SERIAL: u64 = 201;

/// The serials of everything else the harness issues, by what holds them: the root and the
/// intermediates, the server and its Must-Staple twin, the two OCSP responder certificates,
/// the victim, the chain CAs, the constrained CA and the CA without cRLSign.
pub const FIXED_SERIALS: &[(&str, u64)] = &[
    ("root", ROOT_SERIAL),
    ("intermediate-1", ROOT_SERIAL + 1),
    ("intermediate-2", ROOT_SERIAL + 2),
    ("intermediate-3", ROOT_SERIAL + 3),
    ("intermediate-4", ROOT_SERIAL + 4),
    ("server", SERVER_SERIAL),
    ("server-must-staple", SERVER_MUST_STAPLE_SERIAL),
    ("ocsp-responder", OCSP_RESPONDER_SERIAL),
    ("ocsp-unauthorized", OCSP_UNAUTHORIZED_SERIAL),
    ("victim", VICTIM_SERIAL),
    ("chain-ca-1", CHAIN_CA_SERIAL + 1),
    ("chain-ca-2", CHAIN_CA_SERIAL + 2),
    ("chain-ca-3", CHAIN_CA_SERIAL + 3),
    ("chain-ca-4", CHAIN_CA_SERIAL + 4),
    ("chain-ca-5", CHAIN_CA_SERIAL + 5),
    ("chain-ca-6", CHAIN_CA_SERIAL + 6),
    ("chain-ca-7", CHAIN_CA_SERIAL + 7),
    ("constrained-ca", CONSTRAINED_CA_SERIAL),
    ("no-crl-sign-ca", NO_CRL_SIGN_CA_SERIAL),
];

/// One bad credential.
#[derive(Clone, Copy)]
pub struct BadCredential {
    /// The variant (its name is the scenario's `client_cert` value).
    pub variant: ClientCert,
    /// What it breaks.
    pub breaks: &'static str,
    /// The serial of the leaf it issues; `None` when it reuses pool identity 0's leaf.
    pub serial: Option<u64>,
    /// How it is built.
    build: Build,
}

impl std::fmt::Debug for BadCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BadCredential")
            .field("variant", &self.variant)
            .field("breaks", &self.breaks)
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

const fn entry(
    variant: ClientCert,
    serial: Option<u64>,
    breaks: &'static str,
    build: Build,
) -> BadCredential {
    BadCredential {
        variant,
        breaks,
        serial,
        build,
    }
}

/// Every bad credential, in the order they are issued.
#[rustfmt::skip]
pub const BAD_CREDENTIALS: &[BadCredential] = {
    use ClientCert as C;
    &[
        entry(C::Expired, Some(900), "validity: notAfter a day before the anchor", recipes::expired),
        entry(C::NotYetValid, Some(901), "validity: notBefore 31 years after the anchor", recipes::not_yet_valid),
        entry(C::ServerAuthOnly, Some(902), "extended key usage: serverAuth only, no clientAuth", recipes::server_auth_only),
        entry(C::Revoked, Some(REVOKED_SERIAL), "revocation: valid, but listed in every CRL the harness issues", recipes::plain),
        entry(C::UnknownCa, Some(903), "trust: signed by a root the server does not trust", recipes::unknown_ca),
        entry(C::MissingIntermediate, None, "path: pool identity 0's leaf sent without its intermediates", recipes::missing_intermediate),
        entry(C::Sha1Signed, Some(912), "signature: re-signed by its issuer with SHA-1", recipes::sha1_signed),
        entry(C::BadSignature, Some(913), "signature: one bit of the leaf's signature flipped", recipes::bad_signature),
        entry(C::WeakRsa, Some(914), "key: a 1024-bit RSA key", recipes::weak_rsa),
        entry(C::NoDigitalSignature, Some(909), "key usage: nonRepudiation only, no digitalSignature", recipes::no_digital_signature),
        entry(C::NoEku, Some(910), "extended key usage: none at all (any use, RFC 5280 4.2.1.12)", recipes::no_eku),
        entry(C::CaLeaf, Some(911), "basic constraints: the leaf says CA:TRUE", recipes::ca_leaf),
        entry(C::DeepChain, Some(906), "path length: seven intermediates, one more than webpki allows", recipes::deep_chain),
        entry(C::MisorderedChain, Some(907), "path: two intermediates sent in the wrong order", recipes::misordered_chain),
        entry(C::ExtraCert, None, "path: a valid chain with an unrelated certificate appended", recipes::extra_cert),
        entry(C::NameConstraints, Some(908), "name constraints: a DNS name outside the CA's permitted subtree", recipes::name_constraints),
        entry(C::NoCrlSignIssuer, Some(915), "revocation: a valid leaf whose CA lacks cRLSign, so its CRLs are unusable", recipes::no_crl_sign_issuer),
        entry(C::MismatchedKey, None, "proof of possession: pool identity 0's chain with another key", recipes::mismatched_key),
    ]
};

/// The table entry of `variant`, if it is a bad credential (not `valid` or `none`).
pub fn bad_credential(variant: ClientCert) -> Option<&'static BadCredential> {
    BAD_CREDENTIALS.iter().find(|c| c.variant == variant)
}

/// What [`issue`] makes.
pub(super) struct Issued {
    /// The credentials.
    pub clients: Vec<(ClientCert, Identity)>,
    /// The CA without cRLSign that issues the `no-crl-sign-issuer` leaf (it also signs the
    /// `issuer-no-crl-sign` CRL).
    pub no_crl_sign_ca: (CertificateParams, Arc<KeyMaterial>),
    /// The variants that could not be made with their defect alone, with the reason.
    pub missing: Vec<(ClientCert, String)>,
    /// The CAs made here that issue something sent (chain CAs, the constrained CA, the CA
    /// without cRLSign) with their certificates: a target that checks revocation in every
    /// case needs their CRLs and OCSP answers too.
    pub cas: Vec<(Ca, CertificateDer<'static>)>,
}

/// Issues every credential of [`BAD_CREDENTIALS`], in its order.
pub(super) fn issue(inputs: &Inputs<'_>) -> Result<Issued, IssueError> {
    let cas = VariantCas::make(inputs)?;
    let cx = Issuing { inputs, cas: &cas };
    let mut clients = Vec::new();
    let mut missing = Vec::new();
    for credential in BAD_CREDENTIALS {
        let wanted = Wanted {
            variant: credential.variant,
            serial: credential.serial,
        };
        match (credential.build)(&cx, wanted)? {
            Made::Sent(identity) => clients.push((credential.variant, identity)),
            Made::Missing(reason) => missing.push((credential.variant, reason)),
            Made::LeftOut => {}
        }
    }
    let (ncs, _) = &cas.no_crl_sign;
    Ok(Issued {
        clients,
        no_crl_sign_ca: (ncs.params.clone(), Arc::clone(&ncs.key)),
        missing,
        cas: cas.issuing(),
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::super::recipes::DEEP_CHAIN_INTERMEDIATES;
    use super::*;

    #[test]
    fn every_bad_variant_has_one_entry() {
        let listed: Vec<ClientCert> = BAD_CREDENTIALS.iter().map(|c| c.variant).collect();
        let unique: HashSet<_> = listed.iter().collect();
        assert_eq!(unique.len(), listed.len(), "a variant is listed twice");
        for variant in ClientCert::ALL {
            let good = matches!(variant, ClientCert::Valid | ClientCert::None);
            assert_eq!(
                bad_credential(variant).is_some(),
                !good,
                "{variant}: a bad variant needs an entry, valid and none none"
            );
        }
        let names: HashSet<_> = BAD_CREDENTIALS.iter().map(|c| c.variant.name()).collect();
        assert_eq!(names.len(), BAD_CREDENTIALS.len(), "names are unique");
        assert!(BAD_CREDENTIALS.iter().all(|c| !c.breaks.is_empty()));
    }

    #[test]
    fn serials_are_unique_and_outside_the_pool() {
        let mut seen = HashSet::new();
        let leaves = BAD_CREDENTIALS
            .iter()
            .filter_map(|c| c.serial.map(|s| (c.variant.name(), s)));
        for (what, serial) in leaves.chain(FIXED_SERIALS.iter().copied()) {
            assert!(seen.insert(serial), "{what}: serial {serial} is used twice");
            assert!(
                serial < POOL_SERIAL,
                "{what}: {serial} is in the pool's range"
            );
        }
    }

    #[test]
    fn every_chain_ca_has_a_fixed_serial() {
        for level in 1..=DEEP_CHAIN_INTERMEDIATES {
            let name = format!("chain-ca-{level}");
            assert!(FIXED_SERIALS.iter().any(|(n, _)| *n == name), "{name}");
        }
    }

    #[test]
    fn the_serials_are_the_ones_fixtures_have_always_had() {
        let serial = |v| bad_credential(v).and_then(|c| c.serial);
        assert_eq!(serial(ClientCert::Revoked), Some(REVOKED_SERIAL));
        assert_eq!(REVOKED_SERIAL, 904);
        assert_eq!(serial(ClientCert::Expired), Some(900));
        assert_eq!(serial(ClientCert::NoCrlSignIssuer), Some(915));
        let issued: Vec<u64> = BAD_CREDENTIALS.iter().filter_map(|c| c.serial).collect();
        let mut all: Vec<u64> = issued.into_iter().chain([VICTIM_SERIAL]).collect();
        all.sort_unstable();
        assert_eq!(all, (900..=915).collect::<Vec<_>>());
    }
}
