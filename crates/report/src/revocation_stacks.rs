//! The revocation comparison per server stack: for each stack, the server CPU per handshake
//! of a valid client against each CRL the run gave it (its size, and full, sharded or base +
//! delta), whether the stack verifies its CRL once when it loads it or again on every
//! handshake (judged from the measured CPU against the CRL's size, never assumed), what
//! sharding the largest CRL saved, and why a stack could not run a layout (its skip reason).
//! Built from the comparison rows (`revocation_table.rs`), so a saved run re-renders it;
//! kept in `summary.json` as `revocation_per_stack` (its row types are in `summary.rs`).

use std::collections::BTreeMap;

use super::summary::{RevocationRow, StackPoint, StackRow};
use super::text_table::Table;

/// A CRL size from which a per-handshake verification shows above the noise (a 100,000-entry
/// CRL is about 3 MB to hash and check).
const JUDGED_FROM_ENTRIES: usize = 100_000;

/// Growth of server CPU per handshake, from the smallest to the largest CRL, that counts as
/// verifying on every handshake: more than half the smallest CRL's figure and more than this.
const PER_HANDSHAKE_MIN_US: f64 = 200.0;

/// The per-stack view of `rows` (valid clients of CRL cases without faults); empty when
/// there are none.
pub fn stack_rows(rows: &[RevocationRow]) -> Vec<StackRow> {
    let mut by_stack: BTreeMap<&str, Vec<StackPoint>> = BTreeMap::new();
    for r in rows
        .iter()
        .filter(|r| r.mode == "crl" && r.client_cert == "valid" && r.fault == "none")
    {
        let Some(entries) = r.crl_entries else {
            continue;
        };
        by_stack.entry(&r.server).or_default().push(StackPoint {
            crl_entries: entries,
            crl_shards: r.crl_shards.unwrap_or(1),
            crl_delta: r.crl_delta,
            server_cpu_us: r.server_cpu_us,
            server_rss_mib: r.server_rss_mib,
            crl_shard_bytes: r.crl_shard_bytes,
            crl_files_bytes: r.crl_files_bytes,
            outcome: r.outcome.clone(),
            skipped: r.skipped.clone(),
        });
    }
    by_stack
        .into_iter()
        .map(|(server, mut points)| {
            points.sort_by_key(|p| (p.crl_entries, p.crl_delta, p.crl_shards));
            let (verifies, cpu_growth_us) = judge(&points);
            StackRow {
                server: server.to_string(),
                verifies,
                cpu_growth_us,
                sharded: sharding(&points),
                points,
            }
        })
        .collect()
}

/// CPU per handshake of a point whose valid client got in; a zero figure (a server whose
/// process CPU did not move, e.g. a JVM whose work ran outside the window) is not a
/// measurement.
fn cpu(p: &StackPoint) -> Option<f64> {
    (p.outcome == "accepted" && p.skipped.is_none())
        .then_some(p.server_cpu_us)
        .flatten()
        .filter(|&us| us > 0.0)
}

/// Whether the server's CPU per handshake grew with the full CRL's size.
fn judge(points: &[StackPoint]) -> (String, Option<f64>) {
    let full: Vec<(usize, f64)> = points
        .iter()
        .filter(|p| p.crl_shards == 1 && !p.crl_delta)
        .filter_map(|p| Some((p.crl_entries, cpu(p)?)))
        .collect();
    let (Some(small), Some(large)) = (full.first(), full.last()) else {
        return ("not measured".into(), None);
    };
    if large.0 < JUDGED_FROM_ENTRIES || small.0 >= large.0 {
        return ("not measured".into(), None);
    }
    let growth = large.1 - small.1;
    if growth < -PER_HANDSHAKE_MIN_US {
        // Less CPU per handshake with a far larger CRL: the figures measure something else
        // (a JVM compiling its code in a short window), not the CRL.
        return ("inconclusive".into(), Some((growth * 10.0).round() / 10.0));
    }
    let every = growth > PER_HANDSHAKE_MIN_US && growth > small.1 / 2.0;
    let verdict = if every {
        "every handshake"
    } else {
        "once at load"
    };
    (verdict.into(), Some((growth * 10.0).round() / 10.0))
}

/// At the largest CRL size with both: the full CRL's CPU per handshake and the most shards'.
fn sharding(points: &[StackPoint]) -> Option<(f64, f64, u16)> {
    let largest = points
        .iter()
        .filter(|p| p.crl_shards > 1)
        .map(|p| p.crl_entries)
        .max()?;
    let at = |p: &&StackPoint| p.crl_entries == largest && !p.crl_delta;
    let full = points.iter().filter(at).find(|p| p.crl_shards == 1)?;
    let most = points.iter().filter(at).max_by_key(|p| p.crl_shards)?;
    Some((cpu(full)?, cpu(most)?, most.crl_shards))
}

/// The column a point belongs to: `1000000 / 128 sh`.
fn column(p: &StackPoint) -> String {
    match (p.crl_delta, p.crl_shards) {
        (true, _) => format!("{} +delta", p.crl_entries),
        (false, 1) => p.crl_entries.to_string(),
        (false, n) => format!("{} /{n}sh", p.crl_entries),
    }
}

fn point_cell(p: &StackPoint) -> String {
    match (&p.skipped, cpu(p)) {
        (Some(_), _) => "skipped".into(),
        (None, Some(us)) => format!("{us:.0}"),
        (None, None) => p.outcome.clone(),
    }
}

/// The header and cells: one row per stack, one column per CRL (srv µs/hs of a valid client).
fn table(stacks: &[StackRow]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut columns: Vec<(usize, bool, u16, String)> = Vec::new();
    for p in stacks.iter().flat_map(|s| &s.points) {
        let key = (p.crl_entries, p.crl_delta, p.crl_shards, column(p));
        if !columns.contains(&key) {
            columns.push(key);
        }
    }
    columns.sort();
    let mut header = vec![
        "server".to_string(),
        "verifies its CRL".to_string(),
        "+srv us/hs (smallest -> largest)".to_string(),
        "largest: full -> sharded us/hs".to_string(),
    ];
    header.extend(columns.iter().map(|c| c.3.clone()));
    let rows = stacks
        .iter()
        .map(|s| {
            let mut row = vec![
                s.server.clone(),
                s.verifies.clone(),
                s.cpu_growth_us
                    .map_or_else(|| "-".into(), |g| format!("{g:.0}")),
                s.sharded.map_or_else(
                    || "-".into(),
                    |(full, sh, n)| format!("{full:.0} -> {sh:.0} ({n})"),
                ),
            ];
            row.extend(columns.iter().map(|c| {
                s.points
                    .iter()
                    .find(|p| column(p) == c.3)
                    .map_or_else(|| "-".into(), point_cell)
            }));
            row
        })
        .collect();
    (header, rows)
}

/// Why a stack could not run a layout, once per stack and reason.
fn cannot(stacks: &[StackRow]) -> Vec<String> {
    let mut out = Vec::new();
    for s in stacks {
        for p in &s.points {
            if let Some(reason) = &p.skipped {
                let line = format!("{}: {reason}", s.server);
                if !out.contains(&line) {
                    out.push(line);
                }
            }
        }
    }
    out
}

const NOTE: &str = "Server CPU per handshake (us) of a valid client against each CRL: its filler \
entries, `/Nsh` split into N shards by serial (every shard loaded, each certificate naming its \
own), `+delta` a base CRL plus a delta CRL listing the revoked client. `verifies its CRL`: \
`every handshake` when CPU per handshake grows with the full CRL's size (by more than 200 us \
and half the smallest CRL's figure), `inconclusive` when it fell, else `once at load`.";

/// The per-stack view as console text (empty without CRL cases).
pub fn console(rows: &[RevocationRow]) -> String {
    let stacks = stack_rows(rows);
    if stacks.is_empty() {
        return String::new();
    }
    let (header, cells) = table(&stacks);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    let mut t = Table::new(&header, &[0, 1]);
    for row in cells {
        t.push(row);
    }
    let mut out = format!("\nCRL cost per stack (server us/hs)\n{}", t.render());
    for line in cannot(&stacks) {
        out.push_str(&format!("cannot: {line}\n"));
    }
    out
}

/// The per-stack view as markdown (empty without CRL cases).
pub fn markdown(rows: &[RevocationRow]) -> String {
    let stacks = stack_rows(rows);
    if stacks.is_empty() {
        return String::new();
    }
    let (header, cells) = table(&stacks);
    let mut out = String::from("\n### CRL cost per stack\n\n");
    out.push_str(&format!("| {} |\n", header.join(" | ")));
    out.push_str(&format!("|{}\n", "---|".repeat(header.len())));
    for row in cells {
        out.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    out.push_str(&format!("\n{NOTE}\n"));
    let cannot = cannot(&stacks);
    if !cannot.is_empty() {
        out.push_str("\nCannot:\n\n");
        for line in cannot {
            out.push_str(&format!("- {line}\n"));
        }
    }
    out
}

/// The per-stack view as a header and rows of cell text for the HTML page (which escapes
/// them), with the skip reasons; `None` without CRL cases.
pub(super) fn cells_table(rows: &[RevocationRow]) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let stacks = stack_rows(rows);
    (!stacks.is_empty()).then(|| {
        let (header, mut cells) = table(&stacks);
        for line in cannot(&stacks) {
            let mut row = vec![String::new(); header.len()];
            row[0] = format!("cannot: {line}");
            cells.push(row);
        }
        (header, cells)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(server: &str, entries: usize, shards: u16, cpu: f64) -> RevocationRow {
        RevocationRow {
            case: format!("{server}-{entries}-{shards}"),
            server: server.into(),
            client_cert: "valid".into(),
            crl_entries: Some(entries),
            crl_shards: Some(shards),
            crl_delta: false,
            crl_shard_bytes: None,
            crl_files_bytes: None,
            crl_delta_bytes: None,
            skipped: None,
            mode: "crl".into(),
            fault: "none".into(),
            policy: Some("hard".into()),
            outcome: "accepted".into(),
            fails: None,
            p50_ms: None,
            p99_ms: None,
            added_p50_ms: None,
            server_cpu_us: Some(cpu),
            added_server_cpu_pct: None,
            client_cpu_us: None,
            responder_cpu_us: None,
            responder_queries_per_handshake: None,
            bytes_per_handshake: 0.0,
            server_rss_mib: None,
            crl_bytes: None,
            crl_load_ms: None,
            exposure_ms: None,
            exposure_bound_ms: None,
            resumed_after_revocation: None,
            met: true,
            ..RevocationRow::default()
        }
    }

    #[test]
    fn cpu_growing_with_the_crl_is_a_per_handshake_verification() {
        let mut rows = vec![
            row("a", 0, 1, 500.0),
            row("a", 1_000_000, 1, 23_000.0),
            row("a", 1_000_000, 128, 700.0),
            row("b", 0, 1, 1_500.0),
            row("b", 1_000_000, 1, 1_600.0),
        ];
        let mut skipped = row("b", 10_000, 1, 0.0);
        skipped.crl_delta = true;
        skipped.skipped = Some("no deltas".into());
        rows.push(skipped);
        let stacks = stack_rows(&rows);
        assert_eq!(stacks[0].verifies, "every handshake");
        assert_eq!(stacks[0].cpu_growth_us, Some(22_500.0));
        assert_eq!(stacks[0].sharded, Some((23_000.0, 700.0, 128)));
        assert_eq!(stacks[1].verifies, "once at load");
        assert_eq!(cannot(&stacks), vec!["b: no deltas".to_string()]);
        assert!(console(&rows).contains("1000000 /128sh"));
    }

    #[test]
    fn small_crls_only_or_falling_cpu_say_so() {
        let small = [row("a", 0, 1, 500.0), row("a", 10_000, 1, 900.0)];
        assert_eq!(stack_rows(&small)[0].verifies, "not measured");
        let falling = [row("j", 0, 1, 6_000.0), row("j", 100_000, 1, 300.0)];
        assert_eq!(stack_rows(&falling)[0].verifies, "inconclusive");
        let zero = [row("j", 0, 1, 0.0), row("j", 100_000, 1, 300.0)];
        assert_eq!(stack_rows(&zero)[0].verifies, "not measured");
    }
}
