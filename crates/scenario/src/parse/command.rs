//! `server = { command = [...], ready = "...", env = { K = "v" } }`: a command peer's program,
//! its readiness line and its environment. Placeholders are checked by name here (a typo such
//! as `{adr}` is a problem with the nearest placeholder), filled in when the case starts.

use toml_edit::{Item, TableLike};

use super::reader::{join, Reader};
use crate::scenario::model::{CommandPeer, Placeholder};

/// The keys of a command peer's table.
const COMMAND_KEYS: &[&str] = &["command", "ready", "env"];

/// Longest argument or environment value.
const MAX_ARG: usize = 4096;

/// Reads the `server` table `t` (at key path `path`).
pub(super) fn read(r: &mut Reader<'_>, t: &dyn TableLike, path: &str) -> Option<CommandPeer> {
    r.check_keys(t, path, COMMAND_KEYS);
    let cp = join(path, "command");
    let Some(item) = t.get("command") else {
        r.problem(
            None,
            path,
            "a command peer needs `command = [\"program\", \"arg\", ...]` (with placeholders such as \"{addr}\", \"{cert}\", \"{key}\", \"{client_ca}\")",
        );
        return None;
    };
    let command = r.array(item, &cp, |r, v, p| {
        let text = r.string_value(v, p)?;
        checked(r, &text, v.span(), p)
    })?;
    if command[0].is_empty() {
        r.problem(item.span(), &cp, "the program (the first element) is empty");
        return None;
    }
    let uses_addr = command
        .iter()
        .any(|a| a.contains("{addr}") || a.contains("{port}"));
    if !uses_addr {
        r.problem(
            item.span(),
            &cp,
            "the command has neither \"{addr}\" nor \"{port}\": the harness picks the port and must tell the program",
        );
        return None;
    }
    let ready = match t.get("ready") {
        Some(i) => {
            let text = r.string(i, &join(path, "ready"))?;
            if text.is_empty() {
                r.problem(
                    i.span(),
                    &join(path, "ready"),
                    "expected a non-empty substring of the line the program prints when ready (or leave `ready` out to wait for a TCP accept)",
                );
                return None;
            }
            Some(text)
        }
        None => None,
    };
    let env = match t.get("env") {
        Some(i) => env(r, i, &join(path, "env"))?,
        None => Vec::new(),
    };
    Some(CommandPeer {
        command,
        ready,
        env,
        listen: None,
    })
}

/// `env = { K = "v" }`.
fn env(r: &mut Reader<'_>, item: &Item, path: &str) -> Option<Vec<(String, String)>> {
    let t = r.table(item, path)?;
    let mut out = Vec::new();
    let mut ok = true;
    for (k, v) in t.iter() {
        let kp = join(path, k);
        let name_ok = !k.is_empty()
            && !k.starts_with(|c: char| c.is_ascii_digit())
            && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        if !name_ok {
            r.problem(
                t.key(k).and_then(|k| k.span()),
                &kp,
                "expected an environment variable name of letters, digits and '_'",
            );
            ok = false;
            continue;
        }
        match r.string(v, &kp).and_then(|s| checked(r, &s, v.span(), &kp)) {
            Some(s) => out.push((k.to_string(), s)),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// `text` when it is short, has no NUL byte and names only known placeholders.
fn checked(
    r: &mut Reader<'_>,
    text: &str,
    span: Option<std::ops::Range<usize>>,
    path: &str,
) -> Option<String> {
    if text.len() > MAX_ARG || text.contains('\0') {
        r.problem(
            span,
            path,
            format!("expected at most {MAX_ARG} bytes without NUL"),
        );
        return None;
    }
    let unknown = CommandPeer::unknown_placeholders(text);
    if let Some(name) = unknown.first() {
        let names: Vec<&str> = Placeholder::ALL.iter().map(|p| p.name()).collect();
        let hint = names
            .iter()
            .min_by_key(|n| strsim::levenshtein(name, n))
            .filter(|n| strsim::levenshtein(name, n) <= 3)
            .map(|n| format!(" (did you mean \"{{{n}}}\"?)"))
            .unwrap_or_default();
        let all: Vec<String> = names.iter().map(|n| format!("{{{n}}}")).collect();
        r.problem(
            span,
            path,
            format!(
                "unknown placeholder \"{{{name}}}\"{hint}; expected one of {}",
                all.join(", ")
            ),
        );
        return None;
    }
    Some(text.to_string())
}
