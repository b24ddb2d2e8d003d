//! PKI fixtures: the chain verifies, each bad variant fails in its intended way, generation is
//! deterministic, keys are 0600 and load in OpenSSL (Ed25519 included).

use std::os::unix::fs::PermissionsExt;
use std::process::Command;
use std::sync::Arc;

use mtls_harness::peers::tls::rustls as tls_config;
use mtls_harness::pki::{self, ClientCert, KeyType, Pki, PkiSpec};
use rustls::client::danger::ServerCertVerifier;
use rustls::pki_types::{ServerName, UnixTime};
use rustls::server::danger::ClientCertVerifier;
use rustls::server::WebPkiClientVerifier;
use rustls::{CertificateError, Error};

use super::support::openssl;

fn small(key: KeyType) -> Pki {
    pki::generate(&PkiSpec::new(key, 3)).unwrap()
}

fn client_verifier(p: &Pki) -> Arc<dyn ClientCertVerifier> {
    let roots = tls_config::root_store(std::slice::from_ref(&p.root)).unwrap();
    WebPkiClientVerifier::builder_with_provider(roots, tls_config::provider(&[]))
        .build()
        .unwrap()
}

fn verify_client(
    p: &Pki,
    v: &dyn ClientCertVerifier,
    variant: ClientCert,
    index: usize,
) -> Result<(), Error> {
    let id = p.client(variant, index).unwrap();
    v.verify_client_cert(&id.chain[0], &id.chain[1..], UnixTime::now())
        .map(|_| ())
}

#[test]
fn pool_and_server_chains_verify() {
    let p = small(KeyType::EcdsaP256);
    let v = client_verifier(&p);
    for i in 0..3 {
        verify_client(&p, &*v, ClientCert::Valid, i).unwrap();
    }
    let roots = tls_config::root_store(std::slice::from_ref(&p.root)).unwrap();
    let sv = rustls::client::WebPkiServerVerifier::builder_with_provider(
        roots,
        tls_config::provider(&[]),
    )
    .build()
    .unwrap();
    let server = &p.server.chain;
    for name in ["localhost", "127.0.0.1"] {
        sv.verify_server_cert(
            &server[0],
            &server[1..],
            &ServerName::try_from(name).unwrap(),
            &[],
            UnixTime::now(),
        )
        .unwrap_or_else(|e| panic!("server cert for {name}: {e}"));
    }
}

#[test]
fn bad_variants_fail_in_their_intended_way() {
    let p = small(KeyType::EcdsaP256);
    let v = client_verifier(&p);
    let err = |variant| verify_client(&p, &*v, variant, 0).unwrap_err();
    assert!(matches!(
        err(ClientCert::Expired),
        Error::InvalidCertificate(
            CertificateError::ExpiredContext { .. } | CertificateError::Expired
        )
    ));
    assert!(matches!(
        err(ClientCert::NotYetValid),
        Error::InvalidCertificate(
            CertificateError::NotValidYetContext { .. } | CertificateError::NotValidYet
        )
    ));
    assert!(matches!(
        err(ClientCert::ServerAuthOnly),
        Error::InvalidCertificate(
            CertificateError::InvalidPurposeContext { .. } | CertificateError::InvalidPurpose
        )
    ));
    assert_eq!(
        err(ClientCert::UnknownCa),
        Error::InvalidCertificate(CertificateError::UnknownIssuer)
    );
    assert_eq!(
        err(ClientCert::MissingIntermediate),
        Error::InvalidCertificate(CertificateError::UnknownIssuer)
    );
    assert_eq!(
        p.client(ClientCert::MissingIntermediate, 0)
            .unwrap()
            .chain
            .len(),
        1
    );
    // The mismatched-key identity has a valid chain; only its key is wrong.
    verify_client(&p, &*v, ClientCert::MismatchedKey, 0).unwrap();
    let id = p.client(ClientCert::MismatchedKey, 0).unwrap();
    let key = tls_config::provider(&[])
        .key_provider
        .load_private_key(id.key.private_key_der())
        .unwrap();
    let certified = rustls::sign::CertifiedKey::new(id.chain.clone(), key);
    assert!(matches!(
        certified.keys_match(),
        Err(Error::InconsistentKeys(_))
    ));
    assert!(p.client(ClientCert::None, 0).is_none());

    // The conformance credentials, as webpki sees them.
    assert!(matches!(
        err(ClientCert::Sha1Signed),
        Error::InvalidCertificate(CertificateError::UnsupportedSignatureAlgorithmContext { .. })
    ));
    assert_eq!(
        err(ClientCert::BadSignature),
        Error::InvalidCertificate(CertificateError::BadSignature)
    );
    let other = |variant| {
        let e = err(variant);
        assert!(
            matches!(e, Error::InvalidCertificate(CertificateError::Other(_))),
            "{variant}: {e:?}"
        );
        e.to_string()
    };
    assert!(other(ClientCert::DeepChain).contains("MaximumPathDepthExceeded"));
    assert!(other(ClientCert::NameConstraints).contains("NameConstraintViolation"));
    assert!(other(ClientCert::CaLeaf).contains("CaUsedAsEndEntity"));
    assert_eq!(
        p.client(ClientCert::DeepChain, 0).unwrap().chain.len(),
        1 + pki::DEEP_CHAIN_INTERMEDIATES
    );
    // Valid chains to webpki: the tolerated shapes, and the ones only OpenSSL refuses.
    for variant in [
        ClientCert::MisorderedChain,
        ClientCert::ExtraCert,
        ClientCert::NoEku,
        ClientCert::NoDigitalSignature,
        ClientCert::WeakRsa,
    ] {
        verify_client(&p, &*v, variant, 0).unwrap_or_else(|e| panic!("{variant}: {e:?}"));
    }
    let weak = p.client(ClientCert::WeakRsa, 0).unwrap();
    assert_eq!(
        weak.key
            .rsa_private()
            .map(rsa::traits::PublicKeyParts::size),
        Some(pki::WEAK_RSA_BITS / 8)
    );
}

#[test]
fn generation_is_deterministic_per_seed() {
    let spec = PkiSpec::new(KeyType::EcdsaP256, 4);
    let (a, b) = (pki::generate(&spec).unwrap(), pki::generate(&spec).unwrap());
    assert_eq!(a.root, b.root);
    assert_eq!(a.server.chain, b.server.chain);
    assert_eq!(a.clients[3].chain, b.clients[3].chain);
    assert_eq!(a.clients[3].key.pkcs8_der(), b.clients[3].key.pkcs8_der());
    let other = pki::generate(&PkiSpec { seed: 2, ..spec }).unwrap();
    assert_ne!(a.root, other.root);
    assert_ne!(
        a.clients[3].key.pkcs8_der(),
        other.clients[3].key.pkcs8_der()
    );
}

#[test]
fn pool_of_ten_thousand_identities() {
    let p = pki::generate(&PkiSpec::new(KeyType::EcdsaP256, 10_000)).unwrap();
    assert_eq!(p.clients.len(), 10_000);
    let mut leaves: Vec<_> = p
        .clients
        .iter()
        .map(|c| c.chain[0].as_ref().to_vec())
        .collect();
    leaves.sort();
    leaves.dedup();
    assert_eq!(
        leaves.len(),
        10_000,
        "every identity has its own certificate"
    );
    let v = client_verifier(&p);
    verify_client(&p, &*v, ClientCert::Valid, 9_999).unwrap();
}

#[test]
fn chain_depth_is_configurable() {
    let p = pki::generate(&PkiSpec {
        intermediates: 3,
        ..PkiSpec::new(KeyType::EcdsaP256, 1)
    })
    .unwrap();
    assert_eq!(p.intermediates.len(), 3);
    assert_eq!(p.clients[0].chain.len(), 4);
    verify_client(&p, &*client_verifier(&p), ClientCert::Valid, 0).unwrap();
    assert!(pki::generate(&PkiSpec {
        intermediates: 5,
        ..PkiSpec::new(KeyType::EcdsaP256, 1)
    })
    .is_err());
}

#[test]
fn files_have_safe_permissions_and_the_manifest_no_keys() {
    let dir = tempfile::tempdir().unwrap();
    let p = small(KeyType::Ed25519);
    let files = pki::write_pki(&p, dir.path()).unwrap();
    let mode =
        |path: &std::path::Path| std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&files.server_key), 0o600);
    assert_eq!(mode(&files.server_chain), 0o644);
    let mut keys = 0;
    for sub in ["ca", "server", "clients", "bad"] {
        for entry in std::fs::read_dir(dir.path().join(sub)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "key") {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
                keys += 1;
            }
        }
    }
    // root, intermediate, two OCSP responders, server, 3 pool identities, 17 bad variants
    // (Ed25519 has no SHA-1 one).
    assert_eq!(keys, 25);
    let manifest = std::fs::read_to_string(dir.path().join("manifest.json")).unwrap();
    assert!(!manifest.contains("PRIVATE KEY"));
    assert!(manifest.contains("\"sha256\""));
}

/// `openssl verify` of a leaf chain file against the fixtures' root and intermediate:
/// (success, everything it printed).
fn openssl_verify(dir: &std::path::Path, leaf: &str, purpose: Option<&str>) -> (bool, String) {
    let mut cmd = Command::new(openssl());
    cmd.arg("verify")
        .arg("-CAfile")
        .arg(dir.join("ca/root.crt"))
        .arg("-untrusted")
        .arg(dir.join("ca/intermediate-1.crt"));
    if let Some(purpose) = purpose {
        cmd.args(["-purpose", purpose]);
    }
    let out = cmd.arg(dir.join(leaf)).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    (out.status.success(), text.into_owned())
}

#[test]
fn openssl_verifies_chains_and_loads_every_key_type() {
    for key in KeyType::ALL.into_iter().filter(|k| *k != KeyType::Rsa4096) {
        let dir = tempfile::tempdir().unwrap();
        let p = pki::generate(&PkiSpec::new(key, 1)).unwrap();
        pki::write_pki(&p, dir.path()).unwrap();
        let d = dir.path();
        let (ok, text) = openssl_verify(d, "clients/client-00000.crt", Some("sslclient"));
        assert!(ok, "{key}: openssl verify: {text}");
        for k in [
            "server/server.key",
            "clients/client-00000.key",
            "ca/root.key",
        ] {
            let out = Command::new(openssl())
                .arg("pkey")
                .arg("-in")
                .arg(d.join(k))
                .arg("-noout")
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "{key} {k}: openssl pkey: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        // The expired client fails in OpenSSL for the same reason.
        let (ok, text) = openssl_verify(d, "bad/expired.crt", None);
        assert!(!ok);
        assert!(text.contains("certificate has expired"), "{text}");
    }
}

#[test]
fn a_planted_symlink_is_replaced_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "precious").unwrap();
    std::fs::create_dir_all(dir.path().join("pki/server")).unwrap();
    std::os::unix::fs::symlink(&victim, dir.path().join("pki/server/server.key")).unwrap();
    let files = pki::write_pki(&small(KeyType::EcdsaP256), &dir.path().join("pki")).unwrap();
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let meta = std::fs::symlink_metadata(&files.server_key).unwrap();
    assert!(meta.file_type().is_file());
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
}

#[test]
fn every_bad_credential_carries_its_table_serial_and_has_an_expectation() {
    use mtls_harness::conformance;
    use mtls_harness::scenario;
    use std::path::Path;

    let p = pki::generate(&PkiSpec::new(KeyType::EcdsaP256, 2)).unwrap();
    for credential in pki::BAD_CREDENTIALS {
        let id = p.client(credential.variant, 0).unwrap();
        if let Some(serial) = credential.serial {
            let leaf = openssl::x509::X509::from_der(&id.chain[0]).unwrap();
            let got = leaf.serial_number().to_bn().unwrap().to_dec_str().unwrap();
            assert_eq!(
                got.to_string(),
                serial.to_string(),
                "{}",
                credential.variant
            );
        }
        assert_eq!(id.name, format!("client-{}", credential.variant));
    }
    assert_eq!(
        p.bad_clients.iter().map(|(v, _)| *v).collect::<Vec<_>>(),
        pki::BAD_CREDENTIALS
            .iter()
            .map(|c| c.variant)
            .collect::<Vec<_>>(),
        "issued in the table's order"
    );

    // Every variant has a graded conformance case: a case of the shipped suite presents it,
    // and the expectations file names that case. (`Expectation::derived` matches every
    // variant exhaustively, so the verdict a case without expectations gets is defined too.)
    let suite = scenario::parse(conformance::SUITE, Path::new("conformance.toml")).unwrap();
    let specs =
        conformance::parse_expectations(conformance::spec::EXPECTATIONS, Path::new("e.toml"))
            .unwrap();
    for credential in pki::BAD_CREDENTIALS {
        let graded = suite.cases.iter().any(|case| {
            case.client_cert == credential.variant
                && specs
                    .iter()
                    .any(|s| s.name == conformance::base_name(&case.name))
        });
        assert!(graded, "{}: no graded conformance case", credential.variant);
    }
}
