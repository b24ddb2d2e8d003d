//! `tls = { ... }` of a case or `[defaults]`: versions, groups, suites, signature schemes and
//! resumption, read into [`RawSettings`].

use toml_edit::TableLike;

use super::raw::RawSettings;
use super::reader::{join, Reader};

/// The keys of a `tls` table.
pub(super) const TLS_KEYS: &[&str] = &[
    "versions",
    "groups",
    "suites",
    "server_groups",
    "server_suites",
    "client_sigalgs",
    "resumption",
    "tickets",
    "resume_fraction",
];

/// Reads the `tls` table `tls` (at key path `tp`) into `s`.
pub(super) fn read(r: &mut Reader<'_>, tls: &dyn TableLike, tp: &str, s: &mut RawSettings) {
    r.check_keys(tls, tp, TLS_KEYS);
    if let Some(v) = tls.get("versions") {
        s.versions = r.array(v, &join(tp, "versions"), |r, v, p| r.named_value(v, p));
    }
    if let Some(g) = tls.get("groups") {
        s.groups = r.array(g, &join(tp, "groups"), |r, v, p| r.named_value(v, p));
    }
    if let Some(v) = tls.get("suites") {
        s.suites = r.array(v, &join(tp, "suites"), |r, v, p| r.named_value(v, p));
    }
    if let Some(v) = tls.get("server_groups") {
        s.server_groups = r.array(v, &join(tp, "server_groups"), |r, v, p| r.named_value(v, p));
    }
    if let Some(v) = tls.get("server_suites") {
        s.server_suites = r.array(v, &join(tp, "server_suites"), |r, v, p| r.named_value(v, p));
    }
    if let Some(v) = tls.get("client_sigalgs") {
        s.client_sigalgs = r.array(v, &join(tp, "client_sigalgs"), |r, v, p| {
            r.named_value(v, p)
        });
    }
    if let Some(v) = tls.get("resumption") {
        s.resumption = r.named(v, &join(tp, "resumption"));
    }
    if let Some(v) = tls.get("tickets") {
        s.tickets = r.integer(v, &join(tp, "tickets"), 0..=16).map(|n| n as u32);
    }
    if let Some(v) = tls.get("resume_fraction") {
        let fp = join(tp, "resume_fraction");
        s.resume_fraction = r.positive_number(v, &fp);
        if s.resume_fraction.is_some_and(|f| f > 1.0) {
            r.problem(v.span(), &fp, "expected a fraction in (0, 1], like 0.9");
            s.resume_fraction = None;
        }
    }
}
