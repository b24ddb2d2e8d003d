//! Two cases side by side, as `ab` runs its rounds: both servers started (on the same server
//! CPUs), both loads driven from this process over the same window, each server's CPU read from
//! its own process. Whatever slows the machine in that window (another tenant, the host's
//! steal, a cache-hungry neighbour) slows both sides alike, so their ratio is far steadier
//! than that of two windows one after the other. Mid-run revocation and short-lived
//! certificates have side tasks of their own and are not run this way; the client's CPU is
//! the harness's for both loads at once and is left out of both entries.

use super::case::{
    collect, prepare, serve, settle, start_load, Ended, Parts, Ran, RunEnv, Serving,
};
use super::client::LoadClient;
use super::fixtures::Fixtures;
use super::RunError;
use crate::load::LoadExtras;
use crate::report::CaseSummary;
use crate::scenario::{Case, RevocationMode};

/// Why `case` cannot run side by side, if it cannot.
pub fn pair_refusal(case: &Case) -> Option<String> {
    if case.revocation.revoke_after().is_some() {
        return Some(format!(
            "case \"{}\" revokes its victim mid-run: its exposure probe times one server, so it cannot run side by side (ab --alternate runs the sides one after the other)",
            case.name
        ));
    }
    if case.revocation.mode() == RevocationMode::ShortLived {
        return Some(format!(
            "case \"{}\" rotates short-lived certificates during its load: it cannot run side by side (ab --alternate runs the sides one after the other)",
            case.name
        ));
    }
    None
}

/// Runs `cases` side by side (files named after `stems`) and says what each found. A side that
/// cannot start leaves the other unrun (failed, naming why).
///
/// # Errors
/// [`RunError`] when the run cannot go on.
pub(super) fn run_pair(
    cases: [&Case; 2],
    stems: [&str; 2],
    fixtures: &mut Fixtures,
    env: &RunEnv<'_>,
) -> Result<[CaseSummary; 2], RunError> {
    let mut set = Vec::with_capacity(2);
    for case in cases {
        let layout = super::fixtures::CrlLayout::of(case);
        set.push(fixtures.get(case.key, case.intermediates, layout)?);
    }
    let parts: Vec<Parts<'_>> = (0..2)
        .map(|i| Parts {
            case: cases[i],
            stem: stems[i],
            pki: &set[i].0,
            files: &set[i].1,
            env,
        })
        .collect();
    let ended = both(&parts, fixtures);
    let entry = |i: usize, r: Result<CaseSummary, Ended>| settle(cases[i], r);
    match ended {
        Ok([a, b]) => Ok([entry(0, a)?, entry(1, b)?]),
        Err((side, why)) => {
            let other = 1 - side;
            let reason = match &why {
                Ended::Skipped(r) | Ended::Failed(r) => r.clone(),
                Ended::Run(e) => e.to_string(),
            };
            let mut out = [
                entry(side, Err(why))?,
                CaseSummary::failed(
                    cases[other],
                    format!(
                        "not run: it runs side by side with \"{}\", which could not: {reason}",
                        cases[side].name
                    ),
                ),
            ];
            if side == 1 {
                out.swap(0, 1);
            }
            Ok(out)
        }
    }
}

/// Both sides' phases; `Err((side, why))` when a side could not get as far as its load.
#[allow(clippy::type_complexity)]
fn both(
    parts: &[Parts<'_>],
    fixtures: &mut Fixtures,
) -> Result<[Result<CaseSummary, Ended>; 2], (usize, Ended)> {
    let mut clients = Vec::with_capacity(2);
    for (i, p) in parts.iter().enumerate() {
        if let Some(why) = pair_refusal(p.case) {
            return Err((i, Ended::Failed(why)));
        }
        let (_short, client) = prepare(p).map_err(|e| (i, e))?;
        clients.push(client);
    }
    let mut serving = Vec::with_capacity(2);
    for (i, p) in parts.iter().enumerate() {
        // A side that cannot start stops the other (its server is dropped with `serving`).
        let (s, _crl_files) = serve(p, fixtures, None).map_err(|e| (i, e))?;
        serving.push(s);
    }
    let ran = drive_both(parts, clients, serving)?;
    let mut out = ran.into_iter().enumerate().map(|(i, ran)| {
        collect(&parts[i], ran, None)
            .map_err(Ended::Run)
            .map(|mut e| {
                // The harness's CPU in the window served both loads: it is neither side's.
                e.client_cpu_us_per_handshake = None;
                e.client_cpu_sys_us_per_handshake = None;
                e.client_cpu_util_pct = None;
                e.client_peak_rss_bytes = None;
                e.client_memory_per_connection_bytes = None;
                e
            })
    });
    let (Some(a), Some(b)) = (out.next(), out.next()) else {
        unreachable!("two sides driven, two collected")
    };
    Ok([a, b])
}

/// Both loads at once on the run's runtime, each against its own server.
fn drive_both(
    parts: &[Parts<'_>],
    clients: Vec<LoadClient>,
    serving: Vec<Serving>,
) -> Result<Vec<Ran>, (usize, Ended)> {
    let env = parts[0].env;
    let extras = LoadExtras {
        interval: env.opts.interval,
        progress: None,
    };
    let mut servers = Vec::with_capacity(2);
    let mut loads = Vec::with_capacity(2);
    for (i, (client, serving)) in clients.into_iter().zip(serving).enumerate() {
        let p = &parts[i];
        let server = serving
            .server
            .ok_or_else(|| (i, Ended::Failed("no server".into())))?;
        let load =
            start_load(p, client, server.addr, server.cpu_pid(), &extras).map_err(|e| (i, e))?;
        servers.push(server);
        loads.push(load);
    }
    let (Some(b), Some(a)) = (loads.pop(), loads.pop()) else {
        unreachable!("two sides, two loads")
    };
    let (ra, rb) = env.runtime.block_on(async { tokio::join!(a, b) });
    Ok(servers
        .into_iter()
        .zip([ra, rb])
        .map(|(server, result)| Ran {
            server: Some(server),
            result,
            exposure: None,
            queries: None,
            source_at_start: None,
            rss_before: None,
        })
        .collect())
}
