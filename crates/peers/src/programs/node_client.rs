//! A Node.js client peer (the `https` module with cert, key and ca; the script is
//! `node_client.js`): its command line for one handshake and reading the JSON line it prints.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;

use super::client_output::{
    alert_number, from_status, negotiated, Credential, ServerCheck, Verdict,
};
use crate::measure::Outcome;
use crate::peers::tls::openssl as openssl_names;
use crate::scenario::Case;

/// The Node.js client script.
pub const SCRIPT: &str = include_str!("node_client.js");

/// The node command for one handshake of `case` against `addr`; with `sessions`, the
/// session file and whether to offer the session in it.
pub fn command(
    node: &Path,
    script: &Path,
    case: &Case,
    server: &ServerCheck,
    cred: Option<&Credential>,
    addr: SocketAddr,
    sessions: Option<(&Path, bool)>,
) -> Command {
    let (lo, hi) = openssl_names::version_range(&case.tls.versions);
    let mut o = serde_json::json!({
        "host": addr.ip().to_string(),
        "port": addr.port(),
        "servername": server.name,
        "ca": server.ca,
        "minVersion": lo,
        "maxVersion": hi,
        "timeoutMs": case.load.timeout.as_millis() as u64,
    });
    if let Some(c) = cred {
        o["cert"] = serde_json::json!(c.chain);
        o["key"] = serde_json::json!(c.key);
    }
    if let Some(list) = openssl_names::groups(&case.tls.groups) {
        o["ecdhCurve"] = serde_json::json!(list);
    }
    if let Some((file, offer)) = sessions {
        o["sessionOut"] = serde_json::json!(file);
        if offer {
            o["sessionIn"] = serde_json::json!(file);
        }
    }
    let suites: Vec<&str> = case
        .tls
        .suites
        .iter()
        .map(|&s| openssl_names::suite(s))
        .collect();
    if !suites.is_empty() {
        o["ciphers"] = serde_json::json!(suites.join(":"));
    }
    let mut cmd = Command::new(node);
    cmd.arg(script).arg(o.to_string());
    cmd
}

/// Reads the node client's JSON line (the first line holding a JSON object: a line that is
/// some other JSON value, such as a bare number, is not it).
pub fn parse(stdout: &str) -> Verdict {
    let v: serde_json::Value = stdout
        .lines()
        .find_map(|l| {
            serde_json::from_str(l)
                .ok()
                .filter(serde_json::Value::is_object)
        })
        .unwrap_or(serde_json::Value::Null);
    let status = v["status"].as_u64().and_then(|s| u16::try_from(s).ok());
    let neg = negotiated(
        v["protocol"].as_str(),
        v["cipher"].as_str(),
        v["group"].as_str(),
        v["reused"].as_bool().unwrap_or(false),
    );
    if let Some(verdict) = from_status(status, neg) {
        return verdict;
    }
    let message = v["error"].as_str().unwrap_or_default();
    let code = v["code"].as_str().unwrap_or_default();
    let outcome = alert_number(message).unwrap_or(match code {
        "TIMEOUT" => Outcome::Timeout,
        "ECONNRESET" | "EPIPE" | "ECONNREFUSED" => Outcome::Reset,
        c if c.contains("CERT") || c.contains("SELF_SIGNED") || c.contains("VERIFY") => {
            Outcome::ClientRejectedServer
        }
        _ if message.contains("socket hang up") => Outcome::ClosedWithoutVerdict,
        _ => Outcome::IoError,
    });
    Verdict {
        outcome,
        status: None,
        negotiated: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_output_is_read() {
        let v = parse(
            r#"{"status":400,"protocol":"TLSv1.3","cipher":"TLS_AES_256_GCM_SHA384","group":"X25519","reused":false}"#,
        );
        assert_eq!((v.outcome, v.status), (Outcome::HttpError, Some(400)));
        let v = parse(
            r#"{"error":"...:SSL alert number 48\n","code":"ERR_SSL_TLSV1_ALERT_UNKNOWN_CA"}"#,
        );
        assert_eq!(v.outcome, Outcome::UnknownCa);
        assert_eq!(parse("garbage").outcome, Outcome::IoError);
    }
}
