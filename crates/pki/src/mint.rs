//! What the harness mints under a user's CA (`--issuer-cert`) must be safe to leave behind: a
//! [`Mint`] holds the rules every certificate below that CA is signed with.
//!
//! - Keys come from a secret drawn from the OS for the run ([`Mint::secret`]), never from the
//!   fixture seed: `--seed` fixes the harness's own hierarchy only, so nobody who knows a seed
//!   can derive a key that a server trusting the user's CA accepts.
//! - Serials are 16 octets from the same secret (126 random bits; CA/Browser Forum Baseline
//!   Requirements 7.1 ask for at least 64), so no two runs mint the same serial and a CRL entry
//!   in the user's CA's name cannot revoke one of the user's real certificates.
//! - Every notAfter is at most [`Mint::not_after`]: the run's start plus the issued lifetime
//!   (default [`DEFAULT_ISSUED_LIFETIME`]), never beyond the user's CA's own notAfter.
//!
//! `pki target-crl` and the run it prepares must mint the same serials and sub-CA keys (the
//! server loads the CRLs before the run): the secret is written to a file (mode 0600) that the
//! run reads back ([`Mint::read_secret`]).

use std::fmt;
use std::path::Path;

use rcgen::{CertificateParams, SerialNumber};
use sha2::{Digest, Sha256};
use time::{Duration, OffsetDateTime};

use super::keys::{hex, KeySeed};

/// How long what is minted under a user's CA stays valid by default.
pub const DEFAULT_ISSUED_LIFETIME: Duration = Duration::hours(4);

/// The shortest issued lifetime: a run must finish while its credentials are valid (the
/// `not-yet-valid` credential becomes valid in the last quarter of the lifetime).
pub const MIN_ISSUED_LIFETIME: Duration = Duration::minutes(10);

/// Octets of a minted serial.
const SERIAL_OCTETS: usize = 16;

/// The minting rules of one run under one user's CA.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Mint {
    secret: [u8; 32],
    now: OffsetDateTime,
    not_after: OffsetDateTime,
}

impl fmt::Debug for Mint {
    // Never the secret.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Mint")
            .field("not_after", &self.not_after)
            .finish_non_exhaustive()
    }
}

impl Mint {
    /// Rules with a fresh secret, minting from now for `lifetime`, capped at `ca_not_after`.
    pub fn new(lifetime: Duration, ca_not_after: OffsetDateTime) -> Self {
        Self::with_secret(random_secret(), lifetime, ca_not_after)
    }

    /// The same with a given `secret` (one `pki target-crl` wrote).
    pub fn with_secret(secret: [u8; 32], lifetime: Duration, ca_not_after: OffsetDateTime) -> Self {
        let now = OffsetDateTime::now_utc();
        let lifetime = lifetime.max(MIN_ISSUED_LIFETIME);
        Self {
            secret,
            now,
            not_after: (now + lifetime).min(ca_not_after),
        }
    }

    /// The same secret, minting for `lifetime` from now, capped at `ca_not_after`.
    pub fn relifed(&self, lifetime: Duration, ca_not_after: OffsetDateTime) -> Self {
        Self::with_secret(self.secret, lifetime, ca_not_after)
    }

    /// Where keys come from.
    pub fn key_seed(&self) -> KeySeed {
        KeySeed::Secret(self.secret)
    }

    /// The latest notAfter of anything minted.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// The serial minted for the fixture serial `logical` (the number the variant table and
    /// the CRLs name): 16 octets, positive, the first octet never zero.
    pub fn serial(&self, logical: &[u8]) -> SerialNumber {
        let start = logical
            .iter()
            .position(|&b| b != 0)
            .unwrap_or(logical.len());
        let mut hasher = Sha256::new();
        hasher.update(b"mtls-harness minted serial v1\0");
        hasher.update(self.secret);
        hasher.update(&logical[start..]);
        let digest = hasher.finalize();
        let mut bytes = digest[..SERIAL_OCTETS].to_vec();
        bytes[0] = (bytes[0] & 0x7f) | 0x40;
        SerialNumber::from(bytes)
    }

    /// The serial minted for the fixture serial `logical`.
    pub fn serial_of(&self, logical: u64) -> SerialNumber {
        self.serial(&logical.to_be_bytes())
    }

    /// `params` as minted: its serial replaced by [`Mint::serial`], its notAfter capped at
    /// [`Mint::not_after`]. A certificate meant to be valid only in the future (the
    /// `not-yet-valid` credential) becomes valid in the last quarter of the lifetime instead.
    pub fn apply(&self, params: &mut CertificateParams) {
        if let Some(logical) = &params.serial_number {
            params.serial_number = Some(self.serial(logical.as_ref()));
        }
        if params.not_after > self.not_after {
            if params.not_before > self.now {
                params.not_before = self.not_after - (self.not_after - self.now) / 4;
            }
            params.not_after = self.not_after;
        }
    }

    /// Writes the secret to `path` (hex, mode 0600), for the run that must mint what
    /// `pki target-crl` minted.
    ///
    /// # Errors
    /// When the file cannot be written.
    pub fn write_secret(&self, path: &Path) -> std::io::Result<()> {
        let text = format!("{}\n", hex(&self.secret));
        crate::fsutil::write_atomic(path, text.as_bytes(), 0o600)
    }

    /// The secret in the file `path` (64 hex digits).
    ///
    /// # Errors
    /// When the file cannot be read or holds something else (the message says what).
    pub fn read_secret(path: &Path) -> Result<[u8; 32], String> {
        let bytes = crate::fsutil::read_bounded(path, 1024).map_err(|e| e.to_string())?;
        let text = String::from_utf8_lossy(&bytes);
        let text = text.trim();
        let bad = || {
            format!(
                "expected the 64 hex digits `pki target-crl` wrote; found {} characters",
                text.len()
            )
        };
        if text.len() != 64 || !text.is_ascii() {
            return Err(bad());
        }
        let mut secret = [0u8; 32];
        for (i, b) in secret.iter_mut().enumerate() {
            *b = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).map_err(|_| bad())?;
        }
        Ok(secret)
    }
}

/// 32 bytes from OpenSSL's generator (seeded from the OS), or the OS's own source.
fn random_secret() -> [u8; 32] {
    let mut bytes = [0u8; 32];
    if openssl::rand::rand_bytes(&mut bytes).is_err() {
        use std::io::Read;
        let _ = std::fs::File::open("/dev/urandom").and_then(|mut f| f.read_exact(&mut bytes));
    }
    bytes
}

#[cfg(test)]
mod tests {
    use super::*;

    fn far() -> OffsetDateTime {
        OffsetDateTime::now_utc() + Duration::days(3650)
    }

    #[test]
    fn serials_are_16_octets_positive_and_differ_per_secret() {
        let (a, b) = (
            Mint::new(Duration::hours(1), far()),
            Mint::new(Duration::hours(1), far()),
        );
        let s = a.serial_of(0x2710);
        assert_eq!(s.len(), SERIAL_OCTETS);
        assert!(s.as_ref()[0] >= 0x40 && s.as_ref()[0] < 0x80);
        assert_eq!(s, a.serial(&[0x27, 0x10]), "leading zeros do not matter");
        assert_ne!(s, b.serial_of(0x2710));
        assert_ne!(s, a.serial_of(0x2711));
    }

    #[test]
    fn validity_is_capped_at_the_lifetime_and_the_cas_not_after() {
        let ca_end = OffsetDateTime::now_utc() + Duration::hours(2);
        let m = Mint::new(Duration::hours(4), ca_end);
        assert_eq!(m.not_after(), ca_end);
        let mut p = CertificateParams::default();
        p.not_before = OffsetDateTime::now_utc() + Duration::days(365 * 31);
        p.not_after = p.not_before + Duration::days(365);
        m.apply(&mut p);
        assert_eq!(p.not_after, ca_end);
        assert!(p.not_before > OffsetDateTime::now_utc() + Duration::minutes(80));
        assert!(p.not_before < p.not_after);
    }

    #[test]
    fn the_secret_round_trips_through_its_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("s");
        let m = Mint::new(Duration::hours(1), far());
        m.write_secret(&path).unwrap();
        let back = Mint::read_secret(&path).unwrap();
        assert_eq!(
            Mint::with_secret(back, Duration::hours(1), far()).serial_of(5),
            m.serial_of(5)
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(&path, "zz").unwrap();
        assert!(Mint::read_secret(&path)
            .unwrap_err()
            .contains("64 hex digits"));
    }
}
