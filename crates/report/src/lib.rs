//! Reports of a run: the `summary.json` contract, `cases.csv`, `.hgrm` percentile files, HDR
//! interval logs and their merge, the console table, plots, `report.md`/`report.html`, and
//! baselines with a statistical compare, and the thresholds (performance gates) of each case.
#![forbid(unsafe_code)]

// The rooms were once modules of one crate: these names keep paths written as
// `crate::<room>::...` resolving to the crates they now live in.
use crate as report;
use mtls_measure as measure;
use mtls_pki as pki;
use mtls_scenario as scenario;
use mtls_sys::fsutil;

mod baseline;
mod case_entry;
mod checks;
mod compare;
mod console;
mod files;
mod hdrlog;
mod hgrm;
mod html;
pub mod interop;
pub mod junit;
mod merge;
mod pages;
mod plots;
mod render;
mod revocation_stacks;
mod revocation_strategy;
mod revocation_table;
mod saved;
mod stats;
pub mod strategy;
mod summary;
mod text_table;
mod threshold_check;
mod thresholds;

pub use baseline::{
    check_name_message as check_baseline_name, resolve as resolve_baseline, save as save_baseline,
    BaselineError, BASELINES_DIR,
};
pub use case_entry::OWN_CREDENTIAL;
pub use checks::{judge, negotiation_problem, resumption_problem};
pub use compare::{compare, CompareOptions, Comparison, MetricChange, Verdict};
pub use console::{render as console_table, verdicts as console_verdicts};
pub use files::{file_safe, unique_file_stem, write_hgrm, write_hlog, write_summary, ReportError};
pub use hdrlog::{
    auto_histogram, parse as parse_hlog, read as read_hlog, render_entries as render_hlog,
    HdrLogError, IntervalLog, LoggedInterval, READ_DIGITS,
};
pub use hgrm::render as render_hgrm;
pub use html::html as html_page;
pub use junit::{render as run_junit, xml_escape};
pub use merge::{check_overlap, merge, FarApart, Merged};
pub use pages::{markdown as markdown_page, notes as run_notes};
pub use plots::{plots, write_plots, DrawingError, Plot, PlotError};
pub use render::{render_run, RenderError};
pub use revocation_stacks::stack_rows as revocation_stack_rows;
pub use revocation_strategy::table as revocation_strategy;
pub use revocation_table::{markdown as revocation_markdown, rows as revocation_rows};
pub use saved::{load as load_run, SavedCase, SavedPercentiles, SavedRun, SavedRunError};
pub use stats::mann_whitney_p;
pub use summary::{
    CaseSummary, CrlFetchCount, CrlFetchFigures, CrlFigures, CrlFileFigures, EvidenceSummary,
    NegotiatedCount, Percentiles, Phases, Pinning, ResumptionSummary, RevocationRow, RunSummary,
    ScenarioInfo, SourceQueries, StackPoint, StackRow, ToolInfo, SCHEMA_VERSION,
};
pub use threshold_check::{ThresholdCheck, ThresholdStatus};
pub use thresholds::check as check_thresholds;
