//! `mtls-harness pkits`: loads the NIST PKITS data (`scripts/fetch-pkits.sh` fetches it) and
//! the known deviations, runs every test of sections 4.1-4.14 as a client certificate against
//! each server peer, prints the test x peer table, the per-section summary and every
//! disagreement with NIST, and says where junit.xml and pkits.json went.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use super::exit::{grading_text, CommandResult};
use crate::pkits;
use crate::scenario::ServerImpl;

/// Arguments of `mtls-harness pkits`.
#[derive(Args, Debug)]
pub struct PkitsArgs {
    /// The PKITS_data directory (default: ${XDG_CACHE_HOME:-~/.cache}/mtls-harness/pkits/44.0.0,
    /// where scripts/fetch-pkits.sh unpacks it).
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Output directory (default: reports/runs/pkits-<UTC time>).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Server peers to test (repeat the option; default: rustls, openssl, s_server, nginx,
    /// haproxy, gnutls-serv, node, go, java).
    #[arg(long = "server", value_name = "PEER")]
    pub servers: Vec<ServerImpl>,
    /// Only these tests: an id (4.4.3), a section (4.4) or a name (InvalidRevokedEETest3);
    /// repeat the option.
    #[arg(long, value_name = "TEST")]
    pub only: Vec<String>,
    /// Known deviations (default: conformance/pkits-deviations.toml, built in).
    #[arg(long, value_name = "FILE")]
    pub deviations: Option<PathBuf>,
}

/// The cryptography_vectors version scripts/fetch-pkits.sh pins.
const DATA_VERSION: &str = "44.0.0";

fn default_data() -> PathBuf {
    let cache = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(|| PathBuf::from(".cache"));
    cache.join("mtls-harness/pkits").join(DATA_VERSION)
}

fn default_out() -> PathBuf {
    let now = time::OffsetDateTime::now_utc();
    let base = format!(
        "reports/runs/pkits-{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        now.year(),
        u8::from(now.month()),
        now.day(),
        now.hour(),
        now.minute(),
        now.second()
    );
    let mut dir = PathBuf::from(&base);
    let mut n = 1;
    while dir.exists() {
        n += 1;
        dir = PathBuf::from(format!("{base}-{n}"));
    }
    dir
}

pub(super) fn pkits(args: &PkitsArgs) -> CommandResult {
    // Before any thread exists: the built-in servers inherit it and log why they refused a
    // client (the rows' reasons). This process's own logging was set up already; the user's
    // RUST_LOG wins.
    if std::env::var_os("RUST_LOG").is_none() {
        std::env::set_var("RUST_LOG", pkits::SERVER_LOG);
    }
    let (text, path) = grading_text(
        args.deviations.as_deref(),
        "conformance/pkits-deviations.toml",
        pkits::DEVIATIONS,
    )?;
    let deviations = crate::conformance::parse_deviations(&text, &path)?;
    let data = args.data.clone().unwrap_or_else(default_data);
    let suite = pkits::load(&data)?;
    let servers = if args.servers.is_empty() {
        pkits::run::DEFAULT_SERVERS.to_vec()
    } else {
        args.servers.clone()
    };
    if servers.contains(&ServerImpl::Command) {
        anyhow::bail!("--server command: PKITS runs the peers the harness starts itself");
    }
    let opts = pkits::PkitsOptions {
        out: args.out.clone().unwrap_or_else(default_out),
        servers,
        only: args.only.clone(),
        harness_exe: crate::peers::current_exe(),
        deviations,
    };
    if pkits::run::selected(&suite, &opts.only).is_empty() {
        anyhow::bail!(
            "--only {:?} selects no PKITS test of sections 4.1-4.14",
            opts.only
        );
    }
    let outcome = pkits::run(&suite, &opts)
        .with_context(|| format!("running PKITS into {}", opts.out.display()))?;
    print!("{}", outcome.table());
    println!();
    print!("{}", outcome.summary());
    let disagreements = outcome.disagreements();
    if !disagreements.is_empty() {
        println!("\ndisagreements with NIST:");
        print!("{disagreements}");
    }
    let times: Vec<String> = outcome
        .peer_seconds
        .iter()
        .map(|(peer, s)| format!("{peer} {s:.1}s"))
        .collect();
    println!("\nwall time per peer: {}", times.join(", "));
    println!(
        "{} tests x {} peers, {} graded rows; {} server process(es) per peer; wall time {:.1}s; results: {} (junit.xml, pkits.json, table.txt, summary.txt)",
        outcome.tests,
        opts.servers.len(),
        outcome.graded(),
        outcome.groups,
        outcome.seconds,
        outcome.dir.display()
    );
    Ok(outcome.exit_code())
}
