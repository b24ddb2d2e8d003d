//! [`ClientCert`]: the credentials a client can present, named as in scenario files and
//! reports. The names come from strum (kebab-case of the variant), the serde names from serde's
//! own kebab-case (they agree); both lists are in declaration order.

use serde::{Deserialize, Serialize};
use strum::{EnumCount, VariantArray};

use super::names::UnknownName;

/// What a client presents.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::EnumString,
    strum::IntoStaticStr,
    strum::Display,
    strum::VariantNames,
    strum::VariantArray,
    strum::EnumCount,
)]
#[serde(rename_all = "kebab-case")]
#[strum(
    serialize_all = "kebab-case",
    parse_err_ty = UnknownName,
    parse_err_fn = UnknownName::plain::<Self>
)]
pub enum ClientCert {
    /// A valid leaf from the pool, sent with its intermediates.
    Valid,
    /// No certificate at all.
    None,
    /// notAfter in the past.
    Expired,
    /// notBefore in the future.
    NotYetValid,
    /// Extended key usage serverAuth only (no clientAuth).
    ServerAuthOnly,
    /// Signed by a CA the server does not trust.
    UnknownCa,
    /// A valid leaf sent without its intermediate.
    MissingIntermediate,
    /// A valid certificate, but CertificateVerify signed with a different key.
    MismatchedKey,
    /// Valid, but listed as revoked in the CRLs the harness issues.
    Revoked,
    /// Leaf signed with SHA-1 by its (trusted) issuer.
    #[strum(serialize = "sha1-signed")]
    Sha1Signed,
    /// Leaf whose signature does not verify (one bit flipped).
    BadSignature,
    /// Leaf with a 1024-bit RSA key.
    WeakRsa,
    /// Leaf under seven intermediates ([`DEEP_CHAIN_INTERMEDIATES`]), all sent.
    DeepChain,
    /// Leaf under two intermediates, sent in the wrong order.
    MisorderedChain,
    /// A valid chain with an unrelated certificate appended.
    ExtraCert,
    /// Leaf whose DNS name lies outside its CA's permitted subtree.
    NameConstraints,
    /// Key usage present without digitalSignature.
    NoDigitalSignature,
    /// No extended key usage extension at all.
    NoEku,
    /// Leaf marked CA:TRUE (basicConstraints), with clientAuth.
    CaLeaf,
    /// A valid leaf whose CA (under the root) lacks cRLSign: any CRL of that CA is unusable.
    NoCrlSignIssuer,
}

impl ClientCert {
    /// Every variant, in declaration order.
    pub const ALL: [ClientCert; ClientCert::COUNT] =
        match <Self as VariantArray>::VARIANTS.first_chunk() {
            Some(all) => *all,
            // VARIANTS has exactly COUNT elements (both list every variant): never reached.
            None => panic!("strum's VARIANTS is shorter than COUNT"),
        };

    /// The name used in scenario files and reports.
    pub fn name(self) -> &'static str {
        self.into()
    }
}
