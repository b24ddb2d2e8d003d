//! The PKITS test catalog: which section of NIST's suite a test belongs to, its number there,
//! and what NIST expects with the suite's default inputs.
//!
//! A test's name (`InvalidRevokedCATest2`, from its S/MIME file `SignedInvalidRevokedCATest2.eml`)
//! ends with its number inside its section; the section follows from the name's topic, which
//! [`SECTIONS`] lists once (the committed table). NIST's expected result follows from the end
//! entity's file name: `Invalid...EE` must be refused, every other end entity accepted. The
//! tests without `Valid`/`Invalid` in their name (the certificate-policy tests of 4.8 and
//! 4.12.3) are valid with the default inputs PKITS names (initial-policy-set any-policy,
//! initial-explicit-policy, initial-policy-mapping-inhibit and initial-any-policy-inhibit all
//! off), which are the only inputs a TLS server offers.

use serde::Serialize;

/// One section of PKITS (4.1 to 4.16): its number, title, how many tests NIST numbers in it,
/// and the name fragments that place a test there (first match in table order wins).
pub struct Section {
    /// `4.4`.
    pub number: &'static str,
    /// NIST's title.
    pub title: &'static str,
    /// Tests NIST numbers in the section.
    pub tests: u32,
    /// Name fragments (case-sensitive) of its tests.
    pub topics: &'static [&'static str],
    /// Why no test of the section is run, when none is.
    pub not_run: Option<&'static str>,
}

/// The sections, in the order names are matched (more specific topics first).
pub const SECTIONS: &[Section] = &[
    Section {
        number: "4.15",
        title: "Delta-CRLs",
        tests: 10,
        topics: &["deltaCRL"],
        not_run: Some("delta CRLs (4.15) are outside the issue's sections 4.1-4.14"),
    },
    Section {
        number: "4.16",
        title: "Private Certificate Extensions",
        tests: 2,
        topics: &["CertificateExtension"],
        not_run: Some("private certificate extensions (4.16) are outside sections 4.1-4.14"),
    },
    Section {
        number: "4.14",
        title: "Distribution Points",
        tests: 35,
        topics: &[
            "distributionPoint",
            "DistributionPoint",
            "onlyContains",
            "onlySomeReasons",
            "IDPwithindirectCRL",
            "cRLIssuer",
        ],
        not_run: None,
    },
    Section {
        number: "4.13",
        title: "Name Constraints",
        tests: 38,
        topics: &["nameConstraints"],
        not_run: None,
    },
    Section {
        number: "4.12",
        title: "Inhibit Any Policy",
        tests: 10,
        topics: &["inhibitAnyPolicy"],
        not_run: None,
    },
    Section {
        number: "4.11",
        title: "Inhibit Policy Mapping",
        tests: 11,
        topics: &["inhibitPolicyMapping"],
        not_run: None,
    },
    Section {
        number: "4.10",
        title: "Policy Mappings",
        tests: 14,
        topics: &[
            "PolicyMapping",
            "MappingFromanyPolicy",
            "MappingToanyPolicy",
        ],
        not_run: None,
    },
    Section {
        number: "4.9",
        title: "Require Explicit Policy",
        tests: 8,
        topics: &["requireExplicitPolicy", "RequireExplicitPolicy"],
        not_run: None,
    },
    Section {
        number: "4.8",
        title: "Certificate Policies",
        tests: 20,
        topics: &["Polic", "UserNoticeQualifier", "CPSPointerQualifier"],
        not_run: None,
    },
    Section {
        number: "4.7",
        title: "Key Usage",
        tests: 5,
        topics: &["keyUsage"],
        not_run: None,
    },
    Section {
        number: "4.6",
        title: "Verifying Basic Constraints",
        tests: 17,
        topics: &["basicConstraints", "cAFalse", "pathLenConstraint"],
        not_run: None,
    },
    Section {
        number: "4.5",
        title: "Verifying Paths with Self-Issued Certificates",
        tests: 8,
        topics: &["BasicSelfIssued"],
        not_run: None,
    },
    Section {
        number: "4.4",
        title: "Basic Certificate Revocation",
        tests: 21,
        topics: &["CRL", "RevokedCA", "RevokedEE", "SerialNumber"],
        not_run: None,
    },
    Section {
        number: "4.2",
        title: "Validity Periods",
        tests: 8,
        topics: &["notBefore", "notAfter"],
        not_run: None,
    },
    Section {
        number: "4.3",
        title: "Verifying Name Chaining",
        tests: 11,
        topics: &["NameChaining", "RFC3280", "UTF8String"],
        not_run: None,
    },
    Section {
        number: "4.1",
        title: "Signature Verification",
        tests: 6,
        topics: &["Signature", "DSAParameterInheritance"],
        not_run: None,
    },
];

/// A test's place in the suite.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Place {
    /// `4.4.2`.
    pub id: String,
    /// `4.4`.
    pub section: &'static str,
    /// The number inside the section.
    pub number: u32,
}

/// The section and number of the test `name` (`InvalidRevokedCATest2` -> 4.4.2), or `None`
/// when the name fits no section or does not end in `Test<N>`.
pub fn place(name: &str) -> Option<Place> {
    let (_, digits) = name.rsplit_once("Test")?;
    let number: u32 = digits.parse().ok()?;
    let section = SECTIONS
        .iter()
        .find(|s| s.topics.iter().any(|t| name.contains(t)))?;
    Some(Place {
        id: format!("{}.{number}", section.number),
        section: section.number,
        number,
    })
}

/// The section numbered `number`.
pub fn section(number: &str) -> Option<&'static Section> {
    SECTIONS.iter().find(|s| s.number == number)
}

/// NIST's expected result for the end entity in `ee_file` (`InvalidRevokedCATest2EE.crt`):
/// `false` (must be refused) for the `Invalid` ones, `true` otherwise.
pub fn expected_valid(ee_file: &str) -> bool {
    !ee_file.starts_with("Invalid")
}

/// The sort key of a test id: `4.10.2` after `4.9.8`.
pub fn order(id: &str) -> Vec<u32> {
    id.split('.').filter_map(|p| p.parse().ok()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_find_their_sections() {
        let id = |n: &str| place(n).map(|p| p.id);
        assert_eq!(id("ValidSignaturesTest1").as_deref(), Some("4.1.1"));
        assert_eq!(
            id("ValidDSAParameterInheritanceTest5").as_deref(),
            Some("4.1.5")
        );
        assert_eq!(id("InvalidCAnotAfterDateTest5").as_deref(), Some("4.2.5"));
        assert_eq!(id("ValidNameChainingUIDsTest6").as_deref(), Some("4.3.6"));
        assert_eq!(
            id("ValidRolloverfromPrintableStringtoUTF8StringTest10").as_deref(),
            Some("4.3.10")
        );
        assert_eq!(id("MissingCRLTest1").as_deref(), Some("4.4.1"));
        assert_eq!(
            id("ValidGeneralizedTimeCRLnextUpdateTest13").as_deref(),
            Some("4.4.13")
        );
        assert_eq!(
            id("InvalidBasicSelfIssuedCRLSigningKeyTest8").as_deref(),
            Some("4.5.8")
        );
        assert_eq!(
            id("InvalidSelfIssuedpathLenConstraintTest16").as_deref(),
            Some("4.6.16")
        );
        assert_eq!(
            id("InvalidkeyUsageCriticalcRLSignFalseTest4").as_deref(),
            Some("4.7.4")
        );
        assert_eq!(
            id("AllCertificatesAnyPolicyTest11").as_deref(),
            Some("4.8.11")
        );
        assert_eq!(
            id("InvalidSelfIssuedrequireExplicitPolicyTest8").as_deref(),
            Some("4.9.8")
        );
        assert_eq!(
            id("InvalidMappingToanyPolicyTest8").as_deref(),
            Some("4.10.8")
        );
        assert_eq!(
            id("InvalidSelfIssuedinhibitPolicyMappingTest11").as_deref(),
            Some("4.11.11")
        );
        assert_eq!(id("inhibitAnyPolicyTest3").as_deref(), Some("4.12.3"));
        assert_eq!(
            id("InvalidSelfIssuedDNnameConstraintsTest20").as_deref(),
            Some("4.13.20")
        );
        assert_eq!(
            id("ValidNoissuingDistributionPointTest10").as_deref(),
            Some("4.14.10")
        );
        assert_eq!(id("InvalidcRLIssuerTest35").as_deref(), Some("4.14.35"));
        assert_eq!(id("InvaliddeltaCRLTest10").as_deref(), Some("4.15.10"));
        assert_eq!(
            id("InvalidUnknownCriticalCertificateExtensionTest2").as_deref(),
            Some("4.16.2")
        );
        assert_eq!(place("Nothing"), None);
    }

    #[test]
    fn expected_results_follow_the_end_entity() {
        assert!(!expected_valid("InvalidMissingCRLTest1EE.crt"));
        assert!(expected_valid("ValidCertificatePathTest1EE.crt"));
        assert!(expected_valid("DifferentPoliciesTest4EE.crt"));
        assert!(order("4.10.2") > order("4.9.8"));
    }
}
