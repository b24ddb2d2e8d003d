//! The stack behind a target (`--target-stack`): the deviations the shipped list names for the
//! harness's peer of that stack apply to the target too, whatever its address; and the
//! deviations left, as a deviations snippet (peer `"target"`) that fits the target on any port.

use super::row::{Grade, Row};
use super::spec::Deviation;

/// A TLS server stack a target can declare.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr, strum::VariantNames,
)]
#[strum(serialize_all = "snake_case")]
pub enum TargetStack {
    /// An OpenSSL-based server (the openssl crate, an application on libssl).
    Openssl,
    /// nginx.
    Nginx,
    /// HAProxy.
    Haproxy,
    /// Apache httpd with mod_ssl.
    Apache,
    /// `openssl s_server`.
    #[strum(serialize = "s_server")]
    SServer,
    /// A GnuTLS server.
    Gnutls,
    /// Go crypto/tls.
    Go,
    /// Java JSSE.
    Java,
    /// Node.js tls/https.
    Node,
    /// rustls.
    Rustls,
}

impl TargetStack {
    /// The peers of the shipped deviations whose entries hold for this stack, the closest
    /// first (Apache verifies with OpenSSL and sends OpenSSL's alerts).
    pub fn peers(self) -> &'static [&'static str] {
        match self {
            TargetStack::Openssl => &["openssl"],
            TargetStack::Nginx => &["nginx"],
            TargetStack::Haproxy => &["haproxy"],
            TargetStack::Apache => &["apache", "openssl"],
            TargetStack::SServer => &["s_server"],
            TargetStack::Gnutls => &["gnutls-serv"],
            TargetStack::Go => &["go"],
            TargetStack::Java => &["java"],
            TargetStack::Node => &["node"],
            TargetStack::Rustls => &["rustls"],
        }
    }

    /// Every name `--target-stack` takes.
    pub fn names() -> &'static [&'static str] {
        <Self as strum::VariantNames>::VARIANTS
    }

    /// The name given on the command line.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

/// The stack an HTTP `Server:` header names (`nginx/1.22.1`, `Apache/2.4.71 (Debian)`), if
/// it names one. Only a guess: a proxy in front or a rewritten header says otherwise.
pub fn guess(server_header: &str) -> Option<TargetStack> {
    let product = server_header
        .split(['/', ' '])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match product.as_str() {
        "nginx" | "openresty" => Some(TargetStack::Nginx),
        "apache" => Some(TargetStack::Apache),
        "haproxy" => Some(TargetStack::Haproxy),
        _ => None,
    }
}

/// The deviations of `all` that `stack` is known for, one per case (the closest peer's), as
/// deviations of `target` (the target's peer name in the table).
pub fn known_deviations(all: &[Deviation], stack: TargetStack, target: &str) -> Vec<Deviation> {
    let mut out: Vec<Deviation> = Vec::new();
    for peer in stack.peers() {
        for d in all.iter().filter(|d| d.peer == *peer) {
            if out.iter().any(|o| o.case == d.case) {
                continue;
            }
            let mut d = d.clone();
            d.reason = format!("known for {} ({}): {}", stack.name(), d.peer, d.reason);
            d.peer = target.to_string();
            out.push(d);
        }
    }
    out
}

/// The `[[deviation]]` entries, peer `"target"`, for the rows of `target` graded `deviation`
/// that no list explains; empty when there are none.
pub fn snippet(rows: &[Row], target: &str) -> String {
    let mut out = String::new();
    for row in rows
        .iter()
        .filter(|r| r.peer == target && r.grade == Grade::Deviation && r.known_deviation.is_none())
    {
        let Some(observed) = row.observed_class.as_deref() else {
            continue;
        };
        out.push_str(&format!(
            "\n[[deviation]]\ncase = \"{}\"\npeer = \"target\"\nobserved = \"{observed}\"\nreason = \"why the server answers {observed} (expected {})\"\n",
            row.case, row.expected
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(case: &str, peer: &str) -> Deviation {
        Deviation {
            case: case.into(),
            peer: peer.into(),
            observed: "bad_certificate".into(),
            reason: "why".into(),
        }
    }

    #[test]
    fn a_stack_takes_its_peers_deviations_the_closest_first() {
        let all = [
            dev("b4", "openssl"),
            dev("b7", "openssl"),
            dev("b4", "apache"),
            dev("b4", "nginx"),
        ];
        let known = known_deviations(&all, TargetStack::Apache, "target 127.0.0.1:1");
        let cases: Vec<(&str, &str)> = known
            .iter()
            .map(|d| (d.case.as_str(), d.reason.as_str()))
            .collect();
        assert_eq!(
            cases,
            [
                ("b4", "known for apache (apache): why"),
                ("b7", "known for apache (openssl): why")
            ]
        );
        assert!(known.iter().all(|d| d.peer == "target 127.0.0.1:1"));
        assert_eq!("s_server".parse::<TargetStack>(), Ok(TargetStack::SServer));
        assert!("iis".parse::<TargetStack>().is_err());
    }

    #[test]
    fn a_server_header_names_a_stack_or_none() {
        assert_eq!(guess("nginx/1.22.1"), Some(TargetStack::Nginx));
        assert_eq!(guess("Apache/2.4.71 (Debian)"), Some(TargetStack::Apache));
        assert_eq!(guess("Microsoft-IIS/10.0"), None);
        assert_eq!(guess(""), None);
    }
}
