//! A server spec of `ab --a`/`--b`: short to type. `scenario` is the case's own server;
//! `rustls`, `openssl`, `s_server`, `nginx`, ... a server peer, with settings after a colon
//! (`rustls:handicap-us=30,threads=1`); `command:PROGRAM ARG ...` a command peer (arguments
//! split on spaces, placeholders as in scenario files, ready when its port accepts).

use std::str::FromStr;

use crate::scenario::{Case, CommandPeer, ServerImpl};

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

impl FromStr for ServerSpec {
    type Err = SpecError;

    fn from_str(text: &str) -> Result<Self, SpecError> {
        let err = |reason: String| SpecError {
            spec: text.to_string(),
            reason,
        };
        let mut spec = ServerSpec {
            text: text.to_string(),
            server: None,
            command: None,
            handicap_us: None,
            threads: None,
        };
        let (name, settings) = text.split_once(':').unwrap_or((text, ""));
        if name == "command" {
            let command: Vec<String> = settings.split_whitespace().map(String::from).collect();
            if command.is_empty() {
                return Err(err(
                    "expected command:PROGRAM ARG ... (e.g. \"command:./my-server --listen {addr} --cert {cert} --key {key} --client-ca {client_ca}\")".into(),
                ));
            }
            if let Some(bad) = command
                .iter()
                .flat_map(|a| CommandPeer::unknown_placeholders(a))
                .next()
            {
                return Err(err(format!("unknown placeholder {{{bad}}}")));
            }
            if !command
                .iter()
                .any(|a| a.contains("{addr}") || a.contains("{port}"))
            {
                return Err(err(
                    "the command has neither {addr} nor {port}: the harness picks the port and must tell the program".into(),
                ));
            }
            spec.server = Some(ServerImpl::Command);
            spec.command = Some(CommandPeer {
                command,
                ready: None,
                env: Vec::new(),
                listen: None,
            });
            return Ok(spec);
        }
        if name != "scenario" {
            let server: ServerImpl = name.parse().map_err(|e| {
                err(format!(
                    "{e}; or \"scenario\" (the case's own server), or command:PROGRAM ARG ..."
                ))
            })?;
            if server == ServerImpl::Command {
                return Err(err("expected command:PROGRAM ARG ...".into()));
            }
            spec.server = Some(server);
        }
        for setting in settings.split(',').filter(|s| !s.is_empty()) {
            let (key, value) = setting
                .split_once('=')
                .ok_or_else(|| err(format!("expected key=value, found \"{setting}\"")))?;
            let number = |max: u64| {
                value
                    .parse::<u64>()
                    .ok()
                    .filter(|n| *n <= max)
                    .ok_or_else(|| {
                        err(format!(
                            "{key}: expected an integer from 0 to {max}, found \"{value}\""
                        ))
                    })
            };
            match key {
                "handicap-us" => spec.handicap_us = Some(number(1_000_000)?),
                "threads" => spec.threads = Some(number(1024)?.max(1) as usize),
                _ => {
                    return Err(err(format!(
                        "unknown setting \"{key}\"; expected handicap-us or threads"
                    )))
                }
            }
        }
        let builtin = matches!(spec.server, Some(ServerImpl::Rustls | ServerImpl::Openssl));
        if spec.handicap_us.is_some() && !builtin {
            return Err(err(
                "handicap-us is a setting of the built-in servers (rustls, openssl)".into(),
            ));
        }
        Ok(spec)
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
