//! The certificates and CRLs a PKITS S/MIME message carries: NIST signed one message per test
//! with the test's end entity, and its SignedData (RFC 5652 §5.1) holds exactly the
//! certificates of the test's path and the CRLs the test needs. OpenSSL reads the S/MIME
//! wrapping and re-encodes the PKCS#7 as DER; the `der` crate walks the SignedData's fields.

use der::asn1::ObjectIdentifier;
use der::{Any, Decode, Encode, Reader, SliceReader, Tag, TagNumber, Tagged};
use openssl::pkcs7::Pkcs7;

/// What one message carries, each item DER.
#[derive(Debug, Default)]
pub struct Carried {
    /// `certificates [0] IMPLICIT CertificateSet`.
    pub certs: Vec<Vec<u8>>,
    /// `crls [1] IMPLICIT RevocationInfoChoices`.
    pub crls: Vec<Vec<u8>>,
}

/// Reads the S/MIME message `text`.
///
/// # Errors
/// When it is no S/MIME PKCS#7 message or its SignedData does not decode.
pub fn read_smime(text: &[u8]) -> Result<Carried, String> {
    let (p7, _) = Pkcs7::from_smime(text).map_err(|e| format!("not an S/MIME message: {e}"))?;
    let der = p7
        .to_der()
        .map_err(|e| format!("re-encoding the PKCS#7: {e}"))?;
    signed_data(&der).map_err(|e| format!("the PKCS#7 SignedData does not decode: {e}"))
}

/// ContentInfo { contentType, [0] EXPLICIT SignedData }.
fn signed_data(der: &[u8]) -> der::Result<Carried> {
    let info = Any::from_der(der)?;
    let mut r = SliceReader::new(info.value())?;
    let _type = ObjectIdentifier::decode(&mut r)?;
    let explicit = Any::decode(&mut r)?;
    let mut r = SliceReader::new(explicit.value())?;
    let signed = Any::decode(&mut r)?;
    let mut r = SliceReader::new(signed.value())?;
    // version, digestAlgorithms, encapContentInfo
    for _ in 0..3 {
        Any::decode(&mut r)?;
    }
    let mut out = Carried::default();
    while !r.is_finished() {
        let field = Any::decode(&mut r)?;
        match field.tag() {
            Tag::ContextSpecific {
                constructed: true,
                number: TagNumber::N0,
            } => out.certs = elements(field.value())?,
            Tag::ContextSpecific {
                constructed: true,
                number: TagNumber::N1,
            } => out.crls = elements(field.value())?,
            // signerInfos
            _ => {}
        }
    }
    Ok(out)
}

/// The DER of each element of a SET OF's contents.
fn elements(value: &[u8]) -> der::Result<Vec<Vec<u8>>> {
    let mut r = SliceReader::new(value)?;
    let mut out = Vec::new();
    while !r.is_finished() {
        out.push(Any::decode(&mut r)?.to_der()?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_is_an_error() {
        assert!(read_smime(b"not a message").is_err());
        assert!(signed_data(&[0x30, 0x03, 0x02, 0x01, 0x01]).is_err());
    }
}
