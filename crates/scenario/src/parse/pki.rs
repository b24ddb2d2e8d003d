//! `[pki]`: seed, anchor, pool size and chain depth shared by every case's fixtures.

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use toml_edit::Item;

use super::files::load_pem_files;
use super::reader::Reader;
use crate::pki::MAX_IDENTITIES;
use crate::scenario::model::PkiSettings;

/// The keys of `[pki]`.
const PKI_KEYS: &[&str] = &["seed", "anchor", "identities", "intermediates", "issuer"];

/// Whether the wall clock falls inside the validity of valid leaves for `anchor` (with a day
/// of margin on each side), and so outside the `expired` and `not-yet-valid` periods.
fn anchor_covers_now(anchor: OffsetDateTime) -> bool {
    let now = OffsetDateTime::now_utc();
    let day = time::Duration::days(1);
    let year = time::Duration::days(365);
    now > anchor - year + day && now < anchor + 30 * year - day
}

/// Reads `[pki]`; unset or bad values keep their defaults.
pub(super) fn read_pki(r: &mut Reader<'_>, item: &Item) -> PkiSettings {
    let mut pki = PkiSettings::default();
    let Some(t) = r.table(item, "pki") else {
        return pki;
    };
    r.check_keys(t, "pki", PKI_KEYS);
    if let Some(i) = t.get("seed") {
        if let Some(n) = r.integer(i, "pki.seed", 0..=i64::MAX) {
            pki.seed = n as u64;
            pki.seed_given = true;
        }
    }
    if let Some(i) = t.get("issuer") {
        pki.issuer = read_issuer(r, i);
    }
    if let Some(i) = t.get("identities") {
        if let Some(n) = r.integer(i, "pki.identities", 1..=MAX_IDENTITIES as i64) {
            pki.identities = n as usize;
        }
    }
    if let Some(i) = t.get("intermediates") {
        if let Some(n) = r.integer(i, "pki.intermediates", 1..=4) {
            pki.intermediates = n as u8;
        }
    }
    if let Some(i) = t.get("anchor") {
        let text = i.as_value().and_then(|v| match v {
            toml_edit::Value::Datetime(d) => Some(d.value().to_string()),
            toml_edit::Value::String(s) => Some(s.value().clone()),
            _ => None,
        });
        match text.as_deref().map(|s| OffsetDateTime::parse(s, &Rfc3339)) {
            Some(Ok(t)) if !anchor_covers_now(t) => r.problem(
                i.span(),
                "pki.anchor",
                "expected an anchor with now inside the valid leaves' period (anchor - 1 year to anchor + 30 years): servers check certificates against the wall clock",
            ),
            Some(Ok(t)) => pki.anchor = t,
            _ => r.problem(
                i.span(),
                "pki.anchor",
                "expected an RFC 3339 date-time with offset, like 2026-01-01T00:00:00Z",
            ),
        }
    }
    pki
}

/// `[pki] issuer = { cert, key, chain }`: the user's CA, loaded and checked now.
fn read_issuer(r: &mut Reader<'_>, item: &Item) -> Option<crate::pki::IssuerRef> {
    use crate::pki::{ExternalCa, IssuerRef};
    load_pem_files(r, item, "pki.issuer", ExternalCa::load)
        .map(|ca| IssuerRef(std::sync::Arc::new(ca)))
}
