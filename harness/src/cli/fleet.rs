//! `mtls-harness fleet SCENARIO`: the fleet experiments of a fleet scenario (certificate
//! lifetimes, renewal storms, OCSP responder capacity, and the strategy table computed from
//! their rows); prints the tables (or `fleet.json` with `--json`) and writes `fleet.json` and
//! `report.md` into the run directory.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;

use super::exit::{CommandResult, EXIT_OK};
use crate::fleet::{self, FleetOptions};

/// Options of `fleet`.
#[derive(Args, Debug)]
pub struct FleetArgs {
    /// The fleet scenario (scenarios/fleet/: lifetimes.toml, renewal-storm.toml,
    /// ocsp-capacity.toml).
    pub scenario: PathBuf,
    /// The run directory (default: reports/runs/fleet-<name>-<utc time>).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Print fleet.json on stdout instead of the tables.
    #[arg(long)]
    pub json: bool,
    /// No progress lines on stderr.
    #[arg(long, short)]
    pub quiet: bool,
}

pub(super) fn fleet(args: &FleetArgs) -> CommandResult {
    let spec = fleet::load(&args.scenario)?;
    let out_dir = match &args.out {
        Some(o) => o.clone(),
        None => {
            let stamp = time::OffsetDateTime::now_utc()
                .format(time::macros::format_description!(
                    "[year][month][day]T[hour][minute][second]Z"
                ))
                .context("formatting the run directory's time")?;
            PathBuf::from("reports/runs").join(format!("fleet-{}-{stamp}", spec.name))
        }
    };
    let opts = FleetOptions {
        harness_exe: crate::peers::current_exe(),
        out_dir: out_dir.clone(),
        progress: !args.quiet,
    };
    let report = fleet::run(&spec, &opts)?;
    fleet::write_outputs(&report, &out_dir)?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", fleet::render_console(&report));
        println!("Run directory: {}", out_dir.display());
    }
    Ok(EXIT_OK)
}
