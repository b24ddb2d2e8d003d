//! The settings of one table, `[defaults]` or a `[[case]]`: the top-level keys (peers, key,
//! credentials, limits, expectation) here, the nested `tls`, `load` and `revocation` tables
//! in their own files. Everything lands in [`RawSettings`], unset keys as `None`.

use std::fmt::Display;
use std::str::FromStr;

use toml_edit::{Item, TableLike, Value};

use super::raw::RawSettings;
use super::reader::{join, Reader};
use super::{load, revocation, tls};
use crate::scenario::model::{ServerImpl, PLANNED_PEERS};

/// The keys a `[defaults]` table admits (a `[[case]]` also `name` and `description`).
pub(super) const SETTING_KEYS: &[&str] = &[
    "server",
    "client",
    "key",
    "client_auth",
    "client_cert",
    "tls",
    "load",
    "server_threads",
    "verify_depth",
    "allowed_clients",
    "intermediates",
    "revocation",
    "expect",
    "reject_reason",
    "thresholds",
];

/// The nested tables whose keys [`read_settings`] checks with the table's own.
const NESTED_KEYS: &[(&str, &[&str])] = &[
    ("load", load::LOAD_KEYS),
    ("tls", tls::TLS_KEYS),
    ("thresholds", crate::scenario::model::Thresholds::KEYS),
];

/// Reads the settings keys of one table (`[defaults]` or a `[[case]]`).
pub(super) fn read_settings(
    r: &mut Reader<'_>,
    t: &dyn TableLike,
    path: &str,
    allowed: &[&str],
) -> RawSettings {
    r.check_keys_nested(t, path, allowed, NESTED_KEYS);
    let mut s = RawSettings::default();
    let p = |k: &str| join(path, k);
    if let Some(i) = t.get("server") {
        read_server(r, i, &p("server"), &mut s);
    }
    read_table(r, t, path, "thresholds", |r, table, tp| {
        s.thresholds = Some(super::thresholds::read(r, table, tp));
    });
    if let Some(i) = t.get("client") {
        s.client = peer(r, i, &p("client"));
    }
    if let Some(i) = t.get("key") {
        s.key = r.named(i, &p("key"));
    }
    if let Some(i) = t.get("client_auth") {
        s.client_auth = r.named(i, &p("client_auth"));
    }
    if let Some(i) = t.get("client_cert") {
        if i.is_table_like() {
            s.own_credential = own_credential(r, i, &p("client_cert"));
        } else {
            s.client_cert = r.named(i, &p("client_cert"));
        }
    }
    read_table(r, t, path, "revocation", |r, rev, rp| {
        revocation::read(r, rev, rp, &mut s.revocation);
    });
    if let Some(i) = t.get("intermediates") {
        s.intermediates = r.integer(i, &p("intermediates"), 1..=4).map(|n| n as u8);
    }
    if let Some(i) = t.get("server_threads") {
        s.server_threads = r
            .integer(i, &p("server_threads"), 1..=256)
            .map(|n| n as usize);
    }
    if let Some(i) = t.get("verify_depth") {
        s.verify_depth = r.integer(i, &p("verify_depth"), 1..=20).map(|n| n as u8);
    }
    if let Some(i) = t.get("allowed_clients") {
        s.allowed_clients = r.array(i, &p("allowed_clients"), allowed_client);
    }
    if let Some(i) = t.get("expect") {
        s.expect = r.named(i, &p("expect"));
    }
    if let Some(i) = t.get("reject_reason") {
        s.reject_reason = r.named(i, &p("reject_reason"));
        s.reject_reason_span = i.span();
    }
    read_table(r, t, path, "tls", |r, tls, tp| {
        tls::read(r, tls, tp, &mut s)
    });
    read_table(r, t, path, "load", |r, load, lp| {
        load::read(r, load, lp, &mut s)
    });
    s
}

/// Reads the nested table at `key` of `t` with `read` (given its key path), when it is there;
/// a problem when it is not a table.
fn read_table<'a>(
    r: &mut Reader<'a>,
    t: &dyn TableLike,
    path: &str,
    key: &str,
    read: impl FnOnce(&mut Reader<'a>, &dyn TableLike, &str),
) {
    if let Some(i) = t.get(key) {
        let kp = join(path, key);
        if let Some(table) = r.table(i, &kp) {
            read(r, table, &kp);
        }
    }
}

/// `server`: a peer name, or a table describing a command peer.
fn read_server(r: &mut Reader<'_>, item: &Item, path: &str, s: &mut RawSettings) {
    if let Some(table) = item.as_table_like() {
        s.command = super::command::read(r, table, path);
        s.server = s.command.is_some().then_some(ServerImpl::Command);
    } else {
        s.server = peer(r, item, path);
    }
}

/// One name of `allowed_clients`: a subject CN of plain characters, or a problem.
fn allowed_client(r: &mut Reader<'_>, v: &Value, path: &str) -> Option<String> {
    let name = r.string_value(v, path)?;
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !plain {
        r.problem(
            v.span(),
            path,
            format!("expected a subject CN of letters, digits, '-', '_' or '.', found \"{name}\""),
        );
        return None;
    }
    Some(name)
}

/// A peer name: known and available, or a precise problem.
fn peer<T: FromStr>(r: &mut Reader<'_>, item: &Item, path: &str) -> Option<T>
where
    T::Err: Display,
{
    let v = r.value(item, path, "a string")?;
    let name = r.string_value(v, path)?;
    match name.parse() {
        Ok(t) => Some(t),
        Err(expected) => {
            if PLANNED_PEERS.contains(&name.as_str()) {
                r.problem(
                    v.span(),
                    path,
                    format!(
                        "peer \"{name}\" is not available in this version yet; expected {expected}"
                    ),
                );
            } else {
                r.problem(
                    v.span(),
                    path,
                    format!("expected {expected}, found \"{name}\""),
                );
            }
            None
        }
    }
}

/// `client_cert = { cert, key, chain }`: the user's own credential, loaded and checked now.
fn own_credential(
    r: &mut Reader<'_>,
    item: &Item,
    path: &str,
) -> Option<crate::pki::OwnCredential> {
    super::files::load_pem_files(r, item, path, crate::pki::OwnCredential::load)
}
