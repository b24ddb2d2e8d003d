//! `report.html` of a saved run: the template `templates/report.html` (built into the binary,
//! so it renders from any directory) filled by minijinja with autoescaping on, the plots
//! inlined as SVG so the page reads offline. The figures are the same cells as `report.md`'s.

use serde::Serialize;

use super::pages::{cells, notes, outcomes, HEADERS};
use super::plots::Plot;
use super::saved::SavedRun;

/// The page's template; `.html`, so minijinja escapes every value not marked `safe`.
const TEMPLATE: &str = include_str!("templates/report.html");
const TEMPLATE_NAME: &str = "report.html";

/// One row of the case table.
#[derive(Serialize)]
struct CaseRow {
    name: String,
    outcomes: String,
    /// hs/s, p50, p99, p99.9, server and client CPU, KiB per connection.
    figures: [String; 7],
    expect: String,
    met: bool,
    verdict: String,
}

/// The revocation comparison, when the run has one.
#[derive(Serialize)]
struct RevocationTable {
    header: &'static [&'static str],
    rows: Vec<Vec<String>>,
}

/// A plot as the page shows it.
#[derive(Serialize)]
struct Figure<'a> {
    /// The SVG document without its XML declaration (not allowed inside HTML); inlined as is.
    svg: &'a str,
    title: &'a str,
    stem: &'a str,
}

/// Everything the template reads.
#[derive(Serialize)]
struct Page<'a> {
    title: &'a str,
    meta: String,
    headers: &'a [&'a str],
    cases: Vec<CaseRow>,
    revocation: Option<RevocationTable>,
    /// The CRL cost per stack, when the run has CRL cases.
    revocation_stacks: Option<(Vec<String>, Vec<Vec<String>>)>,
    /// "Which strategy for N clients and an exposure of at most T", from the comparison.
    revocation_strategy: Option<super::revocation_strategy::StrategyCells>,
    notes: Vec<String>,
    plots: Vec<Figure<'a>>,
}

/// `svg` without a leading `<?xml ...?>` declaration.
fn svg_body(svg: &str) -> &str {
    svg.trim_start()
        .strip_prefix("<?xml")
        .and_then(|rest| rest.split_once("?>"))
        .map_or(svg, |(_, body)| body)
}

/// `report.html`: the template with the case table, the revocation comparison, the notes and
/// the inline SVG plots filled in.
///
/// # Errors
/// When the template does not render (a fault in the template, not in the run).
pub fn html(run: &SavedRun, plots: &[Plot]) -> Result<String, minijinja::Error> {
    let met = run.summary.cases.iter().filter(|c| c.met).count();
    let page = Page {
        title: run.scenario(),
        meta: format!(
            "Started {}; {met}/{} cases met{}; {} usable CPUs.",
            run.summary.started_at,
            run.summary.planned_count(),
            if run.summary.interrupted {
                "; INTERRUPTED"
            } else {
                ""
            },
            run.summary.usable_cpus
        ),
        headers: &HEADERS,
        cases: run
            .summary
            .cases
            .iter()
            .map(|c| CaseRow {
                name: c.name.clone(),
                outcomes: outcomes(c),
                figures: cells(c),
                expect: c.expect_text(),
                met: c.met,
                verdict: c.verdict.clone(),
            })
            .collect(),
        revocation: super::revocation_table::cells_table(&run.summary.revocation_comparison)
            .map(|(header, rows)| RevocationTable { header, rows }),
        revocation_stacks: super::revocation_stacks::cells_table(
            &run.summary.revocation_comparison,
        ),
        revocation_strategy: super::revocation_strategy::cells_table(
            &run.summary.revocation_comparison,
        ),
        notes: notes(run),
        plots: plots
            .iter()
            .map(|p| Figure {
                svg: svg_body(&p.svg),
                title: &p.title,
                stem: &p.stem,
            })
            .collect(),
    };
    let mut env = minijinja::Environment::new();
    // The page ends with a newline, like every file the harness writes.
    env.set_keep_trailing_newline(true);
    env.add_template(TEMPLATE_NAME, TEMPLATE)?;
    env.get_template(TEMPLATE_NAME)?.render(&page)
}
