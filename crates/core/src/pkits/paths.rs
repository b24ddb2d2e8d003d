//! The order a test's certificates are sent in: the end entity first, then the CA that issued
//! it and so on up to the trust anchor (matched by issuer name and authority/subject key
//! identifier, so a re-keyed CA of the same name is told apart), then whatever else the test's
//! message carries (a separate CRL-signing certificate, a CA a failing test leaves unused). TLS
//! lets a client send such extra certificates after its own (RFC 8446 §4.4.2), and a server
//! building the path from what the client sent may need them to check a CRL.

use openssl::x509::X509;

/// How the path was ordered: the certificates (DER) in sending order, and a note when a
/// step had more than one candidate (the first was taken; the rest follow as extras).
#[derive(Debug)]
pub struct Ordered {
    /// Leaf first.
    pub certs: Vec<Vec<u8>>,
    /// The CAs matched into the chain (the rest are extras).
    pub chained: usize,
    /// Which steps were ambiguous.
    pub ambiguous: Vec<String>,
}

fn issued(child: &X509, parent: &X509) -> bool {
    let names = match (child.issuer_name().to_der(), parent.subject_name().to_der()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    let keys = match (child.authority_key_id(), parent.subject_key_id()) {
        (Some(aki), Some(ski)) => aki.as_slice() == ski.as_slice(),
        _ => true,
    };
    names && keys
}

/// Orders `others` after `leaf`: the chain by issuer, then the rest in their given order.
/// Certificates that do not parse go last, as given (the server then judges them).
pub fn order(leaf: &[u8], others: &[Vec<u8>]) -> Ordered {
    let parsed: Vec<Option<X509>> = others.iter().map(|d| X509::from_der(d).ok()).collect();
    let mut used = vec![false; others.len()];
    let mut certs = vec![leaf.to_vec()];
    let mut ambiguous = Vec::new();
    let mut current = X509::from_der(leaf).ok();
    while let Some(child) = current.take() {
        // A self-issued certificate is the end of a chain only when it is self-signed.
        let candidates: Vec<usize> = (0..others.len())
            .filter(|&i| !used[i])
            .filter(|&i| parsed[i].as_ref().is_some_and(|p| issued(&child, p)))
            .collect();
        let Some(&next) = candidates.first() else {
            break;
        };
        if candidates.len() > 1 {
            let subject = child
                .subject_name()
                .entries()
                .last()
                .and_then(|e| e.data().to_string().ok())
                .unwrap_or_default();
            ambiguous.push(format!(
                "{} candidate issuers for {subject:?}; the first was chained",
                candidates.len()
            ));
        }
        used[next] = true;
        certs.push(others[next].clone());
        current = parsed[next].clone();
    }
    let chained = certs.len() - 1;
    for (i, der) in others.iter().enumerate() {
        if !used[i] {
            certs.push(der.clone());
        }
    }
    Ordered {
        certs,
        chained,
        ambiguous,
    }
}
