//! A vendor's own CA as vendors make it, with the openssl CLI (issue 26): a root from
//! `openssl req -x509` and an issuing CA signed with `openssl x509 -req -extfile`, whose Subject
//! Key Identifier is OpenSSL's default (SHA-1), an arbitrary short one, or absent. Checked with
//! OpenSSL's own verifier, with default flags and nothing but the root as trust:
//! - the CRLs of `pki target-crl` chain to the issuing CA whatever its SKI
//!   (`openssl verify -crl_check_all`), and its output says what only the vendor can sign;
//! - the responder's answers verify with `openssl ocsp -respin -CAfile root` alone (what
//!   `OCSP_basic_verify` does for a default Apache: the signer only from the response);
//! - what is minted under the vendor's CA has random keys and serials whatever the seed,
//!   expires within the issued lifetime and never after the CA, and is listed in minted.json.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use mtls_harness::pki::{self, ExternalCa, IssuerRef, KeyType, Mint, Pki};
use mtls_harness::revocation::ocsp::{Responder, ResponderSettings};
use mtls_harness::scenario::{OcspSigner, PkiSettings};
use time::{Duration, OffsetDateTime};

use super::support::{harness_exe, openssl};
use super::target_pki::{
    key_and_csr, openssl_in, root_crl_in, run_target_with, s_server, UserCa, STRICT,
};

/// How the issuing CA's Subject Key Identifier was made.
#[derive(Clone, Copy, Debug)]
enum Ski {
    /// `subjectKeyIdentifier=hash`: SHA-1 of the key (RFC 5280 method 1), OpenSSL's default.
    Hash,
    /// `subjectKeyIdentifier=0102030405060708`: 8 bytes of the CA's choosing.
    Explicit,
    /// `subjectKeyIdentifier=none`: no SKI at all.
    Absent,
}

/// The vendor's PKI in `dir/vendor`.
struct Vendor {
    dir: PathBuf,
    root: PathBuf,
    ica: PathBuf,
    ica_key: PathBuf,
}

impl Vendor {
    /// A root and an issuing CA (`pathlen:0` when `pathlen0`) valid for `days`.
    fn new(dir: &Path, ski: Ski, pathlen0: bool, days: &str) -> Self {
        let dir = dir.join("vendor");
        std::fs::create_dir(&dir).unwrap();
        // `openssl req -x509` with Debian's openssl.cnf: v3_ca, SKI by hash, CA:true.
        key_and_csr(&dir, "root", "Vendor Root CA");
        let root_args = "req -x509 -key root.key -out root.pem -days 3650 -subj";
        let mut args: Vec<&str> = root_args.split(' ').collect();
        args.push("/CN=Vendor Root CA");
        openssl_in(&dir, &args);
        let ski_line = match ski {
            Ski::Hash => "subjectKeyIdentifier=hash",
            Ski::Explicit => "subjectKeyIdentifier=0102030405060708",
            Ski::Absent => "subjectKeyIdentifier=none",
        };
        let ext = format!(
            "basicConstraints=critical,CA:TRUE{}\nkeyUsage=critical,keyCertSign,cRLSign\n{ski_line}\nauthorityKeyIdentifier=keyid:always\n",
            if pathlen0 { ",pathlen:0" } else { "" }
        );
        std::fs::write(dir.join("ica.cnf"), ext).unwrap();
        key_and_csr(&dir, "ica", "Vendor Issuing CA");
        openssl_in(
            &dir,
            &[
                "x509",
                "-req",
                "-in",
                "ica.csr",
                "-CA",
                "root.pem",
                "-CAkey",
                "root.key",
                "-CAcreateserial",
                "-days",
                days,
                "-extfile",
                "ica.cnf",
                "-out",
                "ica.pem",
            ],
        );
        Self {
            root: dir.join("root.pem"),
            ica: dir.join("ica.pem"),
            ica_key: dir.join("ica.key"),
            dir,
        }
    }

    /// The issuing CA as the harness loads it (`--issuer-cert ica --issuer-chain root`).
    fn external(&self) -> ExternalCa {
        ExternalCa::load(&self.ica, &self.ica_key, Some(&self.root)).unwrap()
    }

    /// `--issuer-cert ... --issuer-key ... --issuer-chain ...`.
    fn issuer_args(&self) -> [&Path; 3] {
        [&self.ica, &self.ica_key, &self.root]
    }

    /// The root's own (empty) CRL for the issuing CA, by `openssl ca -gencrl`: what only the
    /// vendor can sign.
    fn root_crl(&self) -> PathBuf {
        root_crl_in(&self.dir)
    }

    /// A client leaf `name.pem` the vendor signs itself with `openssl x509 -req` (serial
    /// `serial` when given, hex).
    fn leaf(&self, name: &str, serial: Option<&str>) -> PathBuf {
        std::fs::write(
            self.dir.join("leaf.cnf"),
            "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n",
        )
        .unwrap();
        key_and_csr(&self.dir, name, &format!("{name}.vendor.example"));
        let (csr, out) = (format!("{name}.csr"), format!("{name}.pem"));
        let mut args = vec![
            "x509", "-req", "-in", &csr, "-CA", "ica.pem", "-CAkey", "ica.key", "-days", "30",
            "-extfile", "leaf.cnf", "-out", &out,
        ];
        let serial = serial.map(|s| format!("0x{s}"));
        match &serial {
            Some(s) => args.extend(["-set_serial", s]),
            None => args.push("-CAcreateserial"),
        }
        openssl_in(&self.dir, &args);
        self.dir.join(out)
    }
}

/// `openssl args...`: (success, stdout + stderr).
fn openssl_out(dir: &Path, args: &[&std::ffi::OsStr]) -> (bool, String) {
    let out = Command::new(openssl())
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// `openssl verify -crl_check_all` of `leaf` against the vendor's root alone, with `crls`
/// and `untrusted` (the chain above the leaf).
fn verify_crl(v: &Vendor, crls: &Path, untrusted: &Path, leaf: &Path) -> (bool, String) {
    let args: Vec<&std::ffi::OsStr> = vec![
        "verify".as_ref(),
        "-crl_check_all".as_ref(),
        "-CAfile".as_ref(),
        v.root.as_os_str(),
        "-untrusted".as_ref(),
        untrusted.as_os_str(),
        "-CRLfile".as_ref(),
        crls.as_os_str(),
        leaf.as_os_str(),
    ];
    openssl_out(&v.dir, &args)
}

/// The fixtures `pki target-crl --seed 1` made, minted with `secret` as the run would.
fn fixtures_with(
    v: &Vendor,
    secret: Option<[u8; 32]>,
    seed: u64,
    lifetime: Option<Duration>,
) -> Pki {
    let ca = v.external().minting(lifetime, secret);
    let settings = PkiSettings {
        seed,
        seed_given: true,
        issuer: Some(IssuerRef(Arc::new(ca))),
        ..PkiSettings::default()
    };
    pki::generate(&settings.spec(KeyType::EcdsaP256, 1)).unwrap()
}

/// The text of `openssl <what> -noout -text` of `file` (its first object).
fn text_of(dir: &Path, what: &str, file: &Path) -> String {
    let args: Vec<&std::ffi::OsStr> = vec![
        what.as_ref(),
        "-in".as_ref(),
        file.as_os_str(),
        "-noout".as_ref(),
        "-text".as_ref(),
    ];
    openssl_out(dir, &args).1
}

/// `keyid:01:02:...` lines of an OpenSSL text dump after `header`, upper-case hex.
fn key_id_after(text: &str, header: &str) -> Option<String> {
    let at = text.find(header)?;
    text[at..]
        .lines()
        .nth(1)
        .map(|l| l.trim().trim_start_matches("keyid:").to_string())
}

fn check_crls_chain(ski: Ski) {
    let dir = tempfile::tempdir().unwrap();
    let v = Vendor::new(dir.path(), ski, true, "1825");
    let crl = dir.path().join("target.crl");
    let [cert, key, chain] = v.issuer_args();
    let made = Command::new(harness_exe())
        .args(["pki", "target-crl", "--seed", "1", "--out"])
        .arg(&crl)
        .arg("--issuer-cert")
        .arg(cert)
        .arg("--issuer-key")
        .arg(key)
        .arg("--issuer-chain")
        .arg(chain)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&made.stdout).to_string();
    assert!(
        made.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&made.stderr)
    );
    // What only the vendor can sign, and what to do about it.
    for needle in [
        "unable to get certificate CRL",
        "a CRL issued by CN=Vendor Root CA (covering CN=Vendor Issuing CA)",
        "SSLCARevocationCheck leaf",
        "--mint-secret",
    ] {
        assert!(said.contains(needle), "{needle}: {said}");
    }
    // The AKI is the issuing CA's SKI, copied; none without one.
    let crl_text = text_of(dir.path(), "crl", &crl);
    let ica_text = text_of(dir.path(), "x509", &v.ica);
    match ski {
        Ski::Absent => assert!(!crl_text.contains("Authority Key Identifier"), "{crl_text}"),
        _ => assert_eq!(
            key_id_after(&crl_text, "Authority Key Identifier"),
            key_id_after(&ica_text, "Subject Key Identifier"),
            "{crl_text}\n{ica_text}"
        ),
    }
    let mut all = std::fs::read(&crl).unwrap();
    all.extend(std::fs::read(v.root_crl()).unwrap());
    let all_crls = dir.path().join("all.crl");
    std::fs::write(&all_crls, all).unwrap();
    // The vendor's own leaf, and the harness's leaves minted with the secret target-crl wrote.
    let (ok, text) = verify_crl(&v, &all_crls, &v.ica, &v.leaf("own", None));
    assert!(ok && text.contains(": OK"), "{ski:?}: {text}");
    let secret = Mint::read_secret(&dir.path().join("target.crl.mint-secret")).unwrap();
    let fixtures = fixtures_with(&v, Some(secret), 1, None);
    let files = pki::write_pki(&fixtures, &dir.path().join("pki")).unwrap();
    let (ok, text) = verify_crl(
        &v,
        &all_crls,
        &files.dir.join("clients/client-00000.crt"),
        &files.dir.join("clients/client-00000.crt"),
    );
    assert!(ok && text.contains(": OK"), "{ski:?}: {text}");
    let revoked = files.dir.join("bad/revoked.crt");
    let (ok, text) = verify_crl(&v, &all_crls, &revoked, &revoked);
    assert!(
        !ok && text.contains("certificate revoked"),
        "{ski:?}: {text}"
    );
    // The revoked entry is the minted serial, not a fixed one a real certificate may hold.
    let minted = Mint::with_secret(
        secret,
        Duration::hours(1),
        OffsetDateTime::now_utc() + Duration::days(1),
    )
    .serial_of(pki::REVOKED_SERIAL);
    let serial = pki::hex(minted.as_ref()).to_uppercase();
    let (ok, text) = verify_crl(&v, &all_crls, &v.ica, &v.leaf("same-serial", Some(&serial)));
    assert!(
        !ok && text.contains("certificate revoked"),
        "{ski:?}: {text}"
    );
    assert!(!crl_text.contains("Serial Number: 0388"), "{crl_text}");
}

#[test]
fn crls_under_a_vendor_ca_chain_whatever_made_its_ski() {
    for ski in [Ski::Hash, Ski::Explicit, Ski::Absent] {
        check_crls_chain(ski);
    }
}

/// `openssl ocsp -respin` of the responder's answer about `leaf` (issued by `issuer`),
/// verified with only `root` as trust and no other certificate (the default verify path).
fn ocsp_verifies(
    dir: &Path,
    responder: &Responder,
    issuer: &Path,
    leaf: &Path,
    root: &Path,
) -> String {
    let req = dir.join("req.der");
    let args: Vec<&std::ffi::OsStr> = vec![
        "ocsp".as_ref(),
        "-issuer".as_ref(),
        issuer.as_os_str(),
        "-cert".as_ref(),
        leaf.as_os_str(),
        "-no_nonce".as_ref(),
        "-reqout".as_ref(),
        req.as_os_str(),
    ];
    let (ok, text) = openssl_out(dir, &args);
    assert!(ok, "{text}");
    let resp = dir.join("resp.der");
    std::fs::write(&resp, responder.respond(&std::fs::read(&req).unwrap())).unwrap();
    let args: Vec<&std::ffi::OsStr> = vec![
        "ocsp".as_ref(),
        "-respin".as_ref(),
        resp.as_os_str(),
        "-CAfile".as_ref(),
        root.as_os_str(),
    ];
    openssl_out(dir, &args).1
}

fn check_ocsp(dir: &Path, fixtures: &Pki, root: &Path, issuer_of_leaves: &Path, what: &str) {
    let responder = Responder::new();
    responder.add_pki(fixtures).unwrap();
    let files = pki::write_pki(fixtures, &dir.join("pki")).unwrap();
    for signed_by in [OcspSigner::Ca, OcspSigner::Delegated] {
        responder.configure(ResponderSettings {
            signed_by,
            ..ResponderSettings::default()
        });
        for leaf in ["clients/client-00000.crt", "bad/revoked.crt"] {
            let text = ocsp_verifies(
                dir,
                &responder,
                issuer_of_leaves,
                &files.dir.join(leaf),
                root,
            );
            assert!(
                text.contains("Response verify OK"),
                "{what}, {signed_by:?}, {leaf}: {text}"
            );
        }
    }
}

#[test]
fn ocsp_answers_verify_with_nothing_but_the_root() {
    // Under the vendor's issuing CA (it signs the leaves), under a sub-CA the harness mints
    // below it, and in the harness's own hierarchy.
    let dir = tempfile::tempdir().unwrap();
    let v = Vendor::new(dir.path(), Ski::Hash, true, "1825");
    check_ocsp(
        dir.path(),
        &fixtures_with(&v, None, 1, None),
        &v.root,
        &v.ica,
        "pathlen:0",
    );
    let dir = tempfile::tempdir().unwrap();
    let v = Vendor::new(dir.path(), Ski::Hash, false, "1825");
    let fixtures = fixtures_with(&v, None, 1, None);
    let sub = dir.path().join("sub.pem");
    std::fs::write(&sub, pki::certs_pem(&fixtures.intermediates)).unwrap();
    check_ocsp(dir.path(), &fixtures, &v.root, &sub, "sub-CA");
    let dir = tempfile::tempdir().unwrap();
    let own = pki::generate(&pki::PkiSpec::new(KeyType::EcdsaP256, 2)).unwrap();
    let files = pki::write_pki(&own, &dir.path().join("own")).unwrap();
    check_ocsp(
        dir.path(),
        &own,
        &files.root_cert,
        &files.dir.join("ca/intermediate-1.crt"),
        "own hierarchy",
    );
}

/// Serial (hex) and notAfter of `der`.
fn serial_and_end(der: &[u8]) -> (String, OffsetDateTime) {
    let x = openssl::x509::X509::from_der(der).unwrap();
    let serial = x
        .serial_number()
        .to_bn()
        .unwrap()
        .to_hex_str()
        .unwrap()
        .to_string();
    let epoch = openssl::asn1::Asn1Time::from_unix(0).unwrap();
    let d = epoch.diff(x.not_after()).unwrap();
    let end = OffsetDateTime::UNIX_EPOCH
        + Duration::days(i64::from(d.days))
        + Duration::seconds(i64::from(d.secs));
    (serial, end)
}

#[test]
fn what_is_minted_under_a_vendor_ca_is_random_short_lived_and_listed() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vendor::new(dir.path(), Ski::Hash, false, "1825");
    let started = OffsetDateTime::now_utc();
    let (a, b) = (
        fixtures_with(&v, None, 7, None),
        fixtures_with(&v, None, 7, None),
    );
    // The same seed twice: other keys and serials for the sub-CA and every leaf.
    assert_ne!(
        a.intermediate_keys[0].pkcs8_der(),
        b.intermediate_keys[0].pkcs8_der()
    );
    for (x, y) in [
        (&a.intermediates[0], &b.intermediates[0]),
        (&a.clients[0].chain[0], &b.clients[0].chain[0]),
        (
            &a.client(pki::ClientCert::Revoked, 0).unwrap().chain[0],
            &b.client(pki::ClientCert::Revoked, 0).unwrap().chain[0],
        ),
    ] {
        let ((sx, ex), (sy, _)) = (serial_and_end(x), serial_and_end(y));
        assert_ne!(sx, sy);
        // At least 64 random bits: 16 octets here.
        assert!(sx.len() >= 17, "{sx}");
        // Default lifetime: a few hours from the run's start.
        assert!(
            ex <= started + Duration::hours(4) + Duration::minutes(1),
            "{ex}"
        );
        assert!(ex > started, "{ex}");
    }
    assert_ne!(a.clients[0].key.pkcs8_der(), b.clients[0].key.pkcs8_der());
    // The harness's own hierarchy is still the seed's, byte for byte.
    let own = || {
        pki::generate(&pki::PkiSpec {
            seed: 7,
            ..pki::PkiSpec::new(KeyType::EcdsaP256, 2)
        })
        .unwrap()
    };
    let (o1, o2) = (own(), own());
    assert_eq!(o1.root, o2.root);
    assert_eq!(o1.clients[1].chain[0], o2.clients[1].chain[0]);
    assert_eq!(o1.clients[1].key.pkcs8_der(), o2.clients[1].key.pkcs8_der());
    // A shorter lifetime, and never beyond the vendor's CA (valid for 1 day here).
    let short = fixtures_with(&v, None, 7, Some(Duration::hours(1)));
    let (_, end) = serial_and_end(&short.clients[0].chain[0]);
    assert!(
        end <= started + Duration::hours(1) + Duration::minutes(1),
        "{end}"
    );
    let dir2 = tempfile::tempdir().unwrap();
    let brief = Vendor::new(dir2.path(), Ski::Hash, false, "1");
    let capped = fixtures_with(&brief, None, 7, Some(Duration::days(30)));
    let ca_end = brief.external().not_after;
    for der in [&capped.intermediates[0], &capped.clients[0].chain[0]] {
        assert!(serial_and_end(der).1 <= ca_end);
    }
}

#[test]
fn the_manifest_lists_the_sub_ca_and_the_leaves_with_their_serials() {
    let dir = tempfile::tempdir().unwrap();
    let v = Vendor::new(dir.path(), Ski::Hash, false, "1825");
    let a = fixtures_with(&v, None, 7, None);
    let m = pki::minted(&a).unwrap();
    let listed = |what: &str| {
        m.certificates
            .iter()
            .find(|c| c.what == what)
            .unwrap_or_else(|| panic!("{what} not in {m:?}"))
    };
    let sub = listed("sub-CA 1");
    assert!(sub.ca);
    assert_eq!(
        sub.serial,
        serial_and_end(&a.intermediates[0]).0.to_lowercase()
    );
    for what in [
        "client-00000",
        "client-revoked",
        "client-expired",
        "server",
        "ocsp-responder",
    ] {
        assert!(!listed(what).ca);
    }
    assert!(
        m.certificates
            .iter()
            .all(|c| !c.subject.contains("unknown CA")),
        "{m:?}"
    );
    let own = pki::generate(&pki::PkiSpec::new(KeyType::EcdsaP256, 2)).unwrap();
    assert!(pki::minted(&own).is_none());
}

#[test]
fn a_target_run_under_the_users_ca_writes_what_it_minted() {
    let dir = tempfile::tempdir().unwrap();
    let ca = UserCa::new(dir.path(), false);
    let (mut server, addr) = s_server(dir.path(), &ca, STRICT);
    let scenario = dir.path().join("valid.toml");
    std::fs::write(
        &scenario,
        "version = 1\n[pki]\nidentities = 2\nseed = 5\n[defaults]\nload = { concurrency = 1, handshakes = 2, warmup = \"0s\" }\n[[case]]\nname = \"valid\"\nclient_cert = \"valid\"\nexpect = \"accept\"\n",
    )
    .unwrap();
    let started = OffsetDateTime::now_utc();
    let mut extra = ca.issuer_args();
    extra.extend(["--issued-lifetime".into(), "2h".into()]);
    let out = run_target_with(dir.path(), &ca, addr, &scenario, "run", &extra);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        said.contains("minted.json") && said.contains("expires by"),
        "{said}"
    );
    let minted: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("run/minted.json")).unwrap())
            .unwrap();
    let certs = minted["certificates"].as_array().unwrap();
    let serials: Vec<&str> = certs
        .iter()
        .map(|c| c["serial"].as_str().unwrap())
        .collect();
    for c in certs {
        let end = OffsetDateTime::parse(
            c["not_after"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert!(
            end <= started + Duration::hours(2) + Duration::minutes(1),
            "{c}"
        );
    }
    // The leaves on disk are the ones listed; their keys are the owner's only.
    let pki_dir = std::fs::read_dir(dir.path().join("run/pki"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let leaf =
        pem::parse(std::fs::read(pki_dir.join("clients/client-00000.crt")).unwrap()).unwrap();
    let (serial, _) = serial_and_end(leaf.contents());
    assert!(
        serials.contains(&serial.to_lowercase().as_str()),
        "{serial}: {serials:?}"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(pki_dir.join("clients/client-00000.key"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    server.stop(std::time::Duration::from_secs(2));
}
