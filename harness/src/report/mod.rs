//! Reports of a run: the `summary.json` contract, `cases.csv`, `.hgrm` percentile files and the
//! console table.

mod checks;
mod commands;
mod console;
mod files;
mod hdrlog;
mod hgrm;
mod merge;
mod pages;
mod plots;
mod saved;
mod summary;

pub use checks::{judge, negotiation_problem, resumption_problem};
pub use commands::{merge_command, render_run, report_command};
pub use console::render as console_table;
pub use files::{file_safe, unique_file_stem, write_hgrm, write_hlog, write_summary, ReportError};
pub use hdrlog::{
    auto_histogram, parse as parse_hlog, read as read_hlog, render_entries as render_hlog,
    HdrLogError, IntervalLog, LoggedInterval,
};
pub use hgrm::render as render_hgrm;
pub use merge::{merge, Merged};
pub use pages::{html as html_page, markdown as markdown_page, notes as run_notes};
pub use plots::{plots, write_plots, Plot};
pub use saved::{load as load_run, SavedCase, SavedPercentiles, SavedRun, SavedRunError};
pub use summary::{
    CaseSummary, NegotiatedCount, Percentiles, Phases, Pinning, ResumptionSummary, RunSummary,
    ScenarioInfo, ToolInfo, SCHEMA_VERSION,
};
