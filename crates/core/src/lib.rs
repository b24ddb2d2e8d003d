//! The mTLS handshake harness as a library: one run end to end ([`runner`]), conformance and
//! interop grading ([`conformance`]), NIST PKITS over the wire ([`pkits`]), interleaved A/B
//! ([`ab`]) and fleet experiments ([`fleet`]). Every other room is re-exported under its own
//! name (`mtls_core::pki`, `mtls_core::report`, ...), so an embedder or a benchmark depends on
//! this crate only, without the command line's clap, indicatif or tracing-subscriber.
#![forbid(unsafe_code)]

/// The library names of the workspace's crates: the tracing targets of the harness's own
/// diagnostics (`RUST_LOG` directives name them; [`log_directives`] writes them).
pub const CRATES: [&str; 10] = [
    "mtls_harness",
    "mtls_core",
    "mtls_peers",
    "mtls_report",
    "mtls_revocation",
    "mtls_load",
    "mtls_scenario",
    "mtls_measure",
    "mtls_pki",
    "mtls_sys",
];

/// A `RUST_LOG` filter: `base` for every target, `ours` for the harness's own crates
/// (`log_directives("warn", "info")` = `warn,mtls_harness=info,mtls_core=info,...`).
pub fn log_directives(base: &str, ours: &str) -> String {
    let mut filter = base.to_string();
    for name in CRATES {
        filter.push_str(&format!(",{name}={ours}"));
    }
    filter
}

pub mod ab;
pub mod conformance;
pub mod fleet;
pub mod pkits;
pub mod runner;

pub use mtls_load as load;
pub use mtls_measure as measure;
pub use mtls_peers as peers;
pub use mtls_pki as pki;
pub use mtls_report as report;
pub use mtls_revocation as revocation;
pub use mtls_scenario as scenario;
pub use mtls_sys as sys;
pub use mtls_sys::fsutil;

#[cfg(test)]
mod tests {
    #[test]
    fn the_pkits_server_log_names_every_crate_of_the_workspace() {
        assert_eq!(
            crate::pkits::SERVER_LOG,
            crate::log_directives("info", "debug")
        );
    }

    use std::path::{Path, PathBuf};

    /// The workspace root.
    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// A manifest, parsed.
    fn manifest(path: &Path) -> toml_edit::DocumentMut {
        std::fs::read_to_string(path)
            .expect("manifest")
            .parse()
            .expect("TOML")
    }

    /// Every workspace member's directory and parsed manifest.
    fn members() -> Vec<(String, toml_edit::DocumentMut)> {
        let workspace = manifest(&root().join("Cargo.toml"));
        let members = workspace["workspace"]["members"]
            .as_array()
            .expect("members");
        members
            .iter()
            .filter_map(|m| m.as_str())
            .map(|m| (m.to_string(), manifest(&root().join(m).join("Cargo.toml"))))
            .collect()
    }

    #[test]
    fn every_workspace_crate_is_a_log_target() {
        let mut names: Vec<String> = members()
            .iter()
            .map(|(_, package)| {
                package["package"]["name"]
                    .as_str()
                    .expect("name")
                    .replace('-', "_")
            })
            // The benchmarks log nothing of their own.
            .filter(|name| name != "mtls_bench")
            .collect();
        names.sort();
        let mut listed: Vec<String> = crate::CRATES.iter().map(|s| s.to_string()).collect();
        listed.sort();
        assert_eq!(names, listed);
    }

    #[test]
    fn only_the_binary_depends_on_command_line_crates() {
        const CLI_CRATES: [&str; 4] = ["clap", "indicatif", "tracing-subscriber", "anyhow"];
        // A library may offer derives for the binary behind an optional dependency: the
        // features that turn one on, by package name.
        let mut enabling: Vec<(String, String)> = Vec::new();
        for (member, package) in members() {
            if member == "harness" {
                continue;
            }
            let name = package["package"]["name"].as_str().expect("name");
            let deps = package["dependencies"].as_table().expect("dependencies");
            for cli_crate in CLI_CRATES {
                let optional = deps
                    .get(cli_crate)
                    .and_then(|d| d.get("optional"))
                    .and_then(|o| o.as_bool())
                    == Some(true);
                assert!(
                    !deps.contains_key(cli_crate) || optional,
                    "{member} depends on {cli_crate}: only the binary (harness/) may, or an optional dependency the binary turns on"
                );
            }
            let features = package.get("features").and_then(|f| f.as_table());
            for (feature, turns_on) in features.into_iter().flat_map(|t| t.iter()) {
                let turns_on = turns_on.as_array().expect("feature list");
                if turns_on
                    .iter()
                    .filter_map(|v| v.as_str())
                    .any(|v| CLI_CRATES.iter().any(|c| v == format!("dep:{c}")))
                {
                    enabling.push((name.to_string(), feature.to_string()));
                }
            }
        }
        // No library turns such a feature on (so `bench/` and embedders never build clap).
        for (member, package) in members() {
            if member == "harness" {
                continue;
            }
            let deps = package["dependencies"].as_table().expect("dependencies");
            for (dep, spec) in deps.iter() {
                let asked = spec.get("features").and_then(|f| f.as_array());
                for feature in asked.into_iter().flatten().filter_map(|f| f.as_str()) {
                    assert!(
                        !enabling.contains(&(dep.to_string(), feature.to_string())),
                        "{member} turns on {dep}'s `{feature}`, which builds a command-line crate: only the binary may"
                    );
                }
            }
        }
    }
}
