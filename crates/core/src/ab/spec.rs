//! A server spec of `ab --a`/`--b`: short to type. `scenario` is the case's own server;
//! `rustls`, `openssl`, `s_server`, `nginx`, ... a server peer, with settings after a colon
//! (`rustls:handicap-us=30,threads=1`); `command:PROGRAM ARG ...` a command peer (arguments
//! split on spaces, placeholders as in scenario files, ready when its port accepts). Read with
//! the scenario `Reader`: every problem of a spec at once, an unknown setting with the nearest
//! valid one.

use std::ops::Range;
use std::path::Path;
use std::str::FromStr;

use crate::scenario::reader::suggestion;
use crate::scenario::{Case, CommandPeer, Reader, ServerImpl};

/// What a spec could not be read as.
#[derive(Debug, thiserror::Error)]
#[error("server spec \"{spec}\": {reason}")]
pub struct SpecError {
    /// The spec as given.
    pub spec: String,
    /// What is wrong and what is expected.
    pub reason: String,
}

/// One side of an A/B comparison.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerSpec {
    /// As given, for reports.
    pub text: String,
    /// The server; `None`: the case's own.
    pub server: Option<ServerImpl>,
    /// The command peer's program (`command:...`).
    pub command: Option<CommandPeer>,
    /// `handicap-us=N` (built-in servers).
    pub handicap_us: Option<u64>,
    /// `threads=N` (built-in servers).
    pub threads: Option<usize>,
}

/// The settings a server spec may carry after its colon.
const SETTINGS: &[&str] = &["handicap-us", "threads"];

impl FromStr for ServerSpec {
    type Err = SpecError;

    /// Reads a spec with the scenario `Reader`: every problem at once (joined with "; "), an
    /// unknown setting with the nearest valid one.
    fn from_str(text: &str) -> Result<Self, SpecError> {
        let mut r = Reader::new(text, Path::new("server spec"));
        let spec = read(&mut r, text);
        match r.finish() {
            Ok(()) => Ok(spec),
            Err(problems) => {
                let reasons: Vec<String> = problems
                    .problems
                    .iter()
                    .map(|p| match p.key.as_str() {
                        "" => p.message.clone(),
                        key => format!("{key}: {}", p.message),
                    })
                    .collect();
                Err(SpecError {
                    spec: text.to_string(),
                    reason: reasons.join("; "),
                })
            }
        }
    }
}

/// The spec `text`, its problems recorded in `r` (spans are byte ranges of `text`).
fn read(r: &mut Reader<'_>, text: &str) -> ServerSpec {
    let mut spec = ServerSpec {
        text: text.to_string(),
        server: None,
        command: None,
        handicap_us: None,
        threads: None,
    };
    let (name, settings) = text.split_once(':').unwrap_or((text, ""));
    let settings_at = name.len() + 1;
    if name == "command" {
        spec.server = Some(ServerImpl::Command);
        spec.command = command(r, settings, settings_at..text.len());
        return spec;
    }
    if name != "scenario" {
        match name.parse::<ServerImpl>() {
            Ok(ServerImpl::Command) => {
                r.problem(Some(0..name.len()), "", "expected command:PROGRAM ARG ...");
            }
            Ok(server) => spec.server = Some(server),
            Err(e) => r.problem(
                Some(0..name.len()),
                "",
                format!("{e}; or \"scenario\" (the case's own server), or command:PROGRAM ARG ..."),
            ),
        }
    }
    let mut at = settings_at;
    for setting in settings.split(',') {
        let span = at..at + setting.len();
        at = span.end + 1;
        if !setting.is_empty() {
            read_setting(r, &mut spec, setting, span);
        }
    }
    let builtin = matches!(spec.server, Some(ServerImpl::Rustls | ServerImpl::Openssl));
    if spec.handicap_us.is_some() && !builtin {
        r.problem(
            None,
            "",
            "handicap-us is a setting of the built-in servers (rustls, openssl)",
        );
    }
    spec
}

/// `command:PROGRAM ARG ...` (the part after the colon is `args`, at `span` of the spec).
fn command(r: &mut Reader<'_>, args: &str, span: Range<usize>) -> Option<CommandPeer> {
    let command: Vec<String> = args.split_whitespace().map(String::from).collect();
    if command.is_empty() {
        r.problem(
            Some(span),
            "",
            "expected command:PROGRAM ARG ... (e.g. \"command:./my-server --listen {addr} --cert {cert} --key {key} --client-ca {client_ca}\")",
        );
        return None;
    }
    let unknown: Vec<String> = command
        .iter()
        .flat_map(|a| CommandPeer::unknown_placeholders(a))
        .collect();
    for bad in &unknown {
        r.problem(
            Some(span.clone()),
            "",
            format!("unknown placeholder {{{bad}}}"),
        );
    }
    if !command
        .iter()
        .any(|a| a.contains("{addr}") || a.contains("{port}"))
    {
        r.problem(
            Some(span),
            "",
            "the command has neither {addr} nor {port}: the harness picks the port and must tell the program",
        );
        return None;
    }
    unknown.is_empty().then_some(CommandPeer {
        command,
        ready: None,
        env: Vec::new(),
        listen: None,
    })
}

/// One `key=value` setting at `span` of the spec.
fn read_setting(r: &mut Reader<'_>, spec: &mut ServerSpec, setting: &str, span: Range<usize>) {
    let Some((key, value)) = setting.split_once('=') else {
        r.problem(
            Some(span),
            "",
            format!("expected key=value, found \"{setting}\""),
        );
        return;
    };
    let mut number = |max: u64| {
        let n = value.parse::<u64>().ok().filter(|n| *n <= max);
        if n.is_none() {
            r.problem(
                Some(span.clone()),
                key,
                format!("expected an integer from 0 to {max}, found \"{value}\""),
            );
        }
        n
    };
    match key {
        "handicap-us" => spec.handicap_us = number(1_000_000),
        "threads" => spec.threads = number(1024).map(|n| n.max(1) as usize),
        _ => {
            let hint = suggestion(key, SETTINGS)
                .map(|s| format!(" (did you mean {s}?)"))
                .unwrap_or_default();
            r.problem(
                Some(span),
                "",
                format!("unknown setting \"{key}\"{hint}; expected handicap-us or threads"),
            );
        }
    }
}

impl ServerSpec {
    /// `case` with this side's server.
    pub fn apply(&self, case: &Case) -> Case {
        let mut c = case.clone();
        if let Some(server) = self.server {
            c.server = server;
            c.command = self.command.clone();
        }
        if self.handicap_us.is_some() {
            c.server_handicap_us = self.handicap_us;
        }
        if self.threads.is_some() {
            c.server_threads = self.threads;
        }
        c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specs_read_and_refuse_with_reasons() {
        let s: ServerSpec = "rustls:handicap-us=30,threads=1".parse().unwrap();
        assert_eq!(s.server, Some(ServerImpl::Rustls));
        assert_eq!((s.handicap_us, s.threads), (Some(30), Some(1)));
        let s: ServerSpec = "scenario".parse().unwrap();
        assert_eq!(s.server, None);
        let s: ServerSpec = "command:./srv --listen {addr} --cert {cert}"
            .parse()
            .unwrap();
        assert_eq!(s.command.unwrap().command.len(), 5);
        for bad in [
            "rustl",
            "rustls:handicap=3",
            "rustls:handicap-us=x",
            "nginx:handicap-us=3",
            "command:",
            "command:./srv {cert}",
            "command:./srv {adr}",
        ] {
            assert!(bad.parse::<ServerSpec>().is_err(), "{bad}");
        }
    }
}
