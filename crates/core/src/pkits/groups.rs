//! Which tests can share one server process: a server loads one trust anchor and one set of
//! CRLs, and PKITS gives each test its own set. Loading every CRL at once is right for most
//! tests (PKITS CRLs are per CA), but not where two tests give the same CA different CRLs
//! (or one gives it a CRL and the other relies on there being none): a CRL meant for one test
//! would decide another. So tests are grouped greedily: a test joins a group only when, for
//! every name in its path and CRLs (issuers and subjects), its CRLs of that issuer are exactly
//! the group's, and the group's members agree on the names they share.

use std::collections::{BTreeSet, HashMap};

use openssl::x509::{X509Crl, X509};

use super::data::Test;

/// One server's worth of tests.
#[derive(Debug, Default)]
pub struct Group {
    /// Indices into the suite's tests.
    pub tests: Vec<usize>,
    /// The CRLs to load (DER), each once.
    pub crls: Vec<Vec<u8>>,
    /// Per name (DER) any member's path or CRLs mention: the CRLs of that issuer.
    required: HashMap<Vec<u8>, BTreeSet<Vec<u8>>>,
}

/// Per name a test mentions: its CRLs issued under that name.
fn needs(test: &Test) -> HashMap<Vec<u8>, BTreeSet<Vec<u8>>> {
    let mut out: HashMap<Vec<u8>, BTreeSet<Vec<u8>>> = HashMap::new();
    for cert in &test.chain {
        if let Ok(c) = X509::from_der(cert) {
            for name in [c.subject_name().to_der(), c.issuer_name().to_der()]
                .into_iter()
                .flatten()
            {
                out.entry(name).or_default();
            }
        }
    }
    for crl in &test.crls {
        let issuer = X509Crl::from_der(crl)
            .ok()
            .and_then(|c| c.issuer_name().to_der().ok())
            // A CRL that does not parse stands for itself.
            .unwrap_or_else(|| crl.clone());
        out.entry(issuer).or_default().insert(crl.clone());
    }
    out
}

/// Groups `tests` (in order) so that each group can run against one server.
pub fn group(tests: &[Test]) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    for (i, test) in tests.iter().enumerate() {
        let need = needs(test);
        let fits = |g: &Group| {
            need.iter()
                .all(|(name, crls)| g.required.get(name).is_none_or(|have| have == crls))
        };
        let index = match groups.iter().position(fits) {
            Some(index) => index,
            None => {
                groups.push(Group::default());
                groups.len() - 1
            }
        };
        let g = &mut groups[index];
        g.tests.push(i);
        for (name, crls) in need {
            for crl in &crls {
                if !g.crls.contains(crl) {
                    g.crls.push(crl.clone());
                }
            }
            g.required.insert(name, crls);
        }
    }
    groups
}
