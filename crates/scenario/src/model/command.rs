//! A command peer: any server program the harness starts, waits for, measures and stops
//! (`server = { command = [...], ready = "...", env = { ... } }`). The command line holds
//! placeholders the harness fills in per case ([`Placeholder`]); everything else about the
//! program (its own configuration, its trust store) is the user's.

use serde::Serialize;

/// `server = { command = [...] }`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CommandPeer {
    /// The program and its arguments, placeholders unfilled.
    pub command: Vec<String>,
    /// A substring of a line the program prints (stdout or stderr) once it accepts
    /// connections; `None`: it is ready when its port accepts a TCP connection.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready: Option<String>,
    /// Environment variables set for it (placeholders filled in too).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub env: Vec<(String, String)>,
    /// Where it must listen (its `{addr}`): set by the runner in target mode to the target's
    /// address, where the program serves with its own certificates and configuration; `None`
    /// (scenario files): a free loopback port.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub listen: Option<std::net::SocketAddr>,
}

/// A placeholder of a command line, `{name}`.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::VariantArray,
)]
#[strum(serialize_all = "snake_case")]
pub enum Placeholder {
    /// `127.0.0.1:PORT`, the address the program must listen on.
    Addr,
    /// The port alone.
    Port,
    /// The server certificate chain (PEM, leaf first).
    Cert,
    /// The server's private key (PEM, PKCS#8).
    Key,
    /// The intermediates of the server chain alone (PEM), for programs that take the leaf and
    /// the chain apart.
    Chain,
    /// The CA certificate that issues the client certificates (PEM).
    ClientCa,
    /// The CRL file (revocation mode `crl`).
    Crl,
    /// The OCSP responder's URL (revocation modes `ocsp` and `ocsp-stapling`).
    OcspUrl,
}

impl Placeholder {
    /// Every placeholder.
    pub const ALL: &'static [Placeholder] = <Self as strum::VariantArray>::VARIANTS;

    /// Its name between the braces.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

impl CommandPeer {
    /// The placeholders its command line and environment use.
    pub fn placeholders(&self) -> Vec<Placeholder> {
        let texts: Vec<&str> = self
            .command
            .iter()
            .map(String::as_str)
            .chain(self.env.iter().map(|(_, v)| v.as_str()))
            .collect();
        Placeholder::ALL
            .iter()
            .copied()
            .filter(|p| {
                let braced = format!("{{{}}}", p.name());
                texts.iter().any(|t| t.contains(&braced))
            })
            .collect()
    }

    /// Whether it uses `placeholder`.
    pub fn uses(&self, placeholder: Placeholder) -> bool {
        self.placeholders().contains(&placeholder)
    }

    /// The `{name}`s in `text` that are not placeholders (typos), for the scenario reader.
    pub fn unknown_placeholders(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut rest = text;
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let Some(close) = after.find('}') else { break };
            let name = &after[..close];
            let plain = !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit());
            if plain && name.parse::<Placeholder>().is_err() {
                out.push(name.to_string());
            }
            rest = &after[close + 1..];
        }
        out
    }

    /// `text` with every placeholder replaced by `value(placeholder)`.
    pub fn fill(text: &str, value: impl Fn(Placeholder) -> String) -> String {
        let mut out = text.to_string();
        for p in Placeholder::ALL {
            let braced = format!("{{{}}}", p.name());
            if out.contains(&braced) {
                out = out.replace(&braced, &value(*p));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_filled_and_typos_named() {
        let peer = CommandPeer {
            command: vec!["srv".into(), "--listen={addr}".into(), "{cert}".into()],
            ready: None,
            env: vec![("CA".into(), "{client_ca}".into())],
            listen: None,
        };
        assert_eq!(
            peer.placeholders(),
            [Placeholder::Addr, Placeholder::Cert, Placeholder::ClientCa]
        );
        assert!(!peer.uses(Placeholder::Crl));
        let filled = CommandPeer::fill("--listen={addr} {port}", |p| match p {
            Placeholder::Addr => "127.0.0.1:9".into(),
            Placeholder::Port => "9".into(),
            _ => String::new(),
        });
        assert_eq!(filled, "--listen=127.0.0.1:9 9");
        assert_eq!(
            CommandPeer::unknown_placeholders("{adr} {cert} {\"json\": 1} {client_cA}"),
            ["adr"]
        );
    }
}
