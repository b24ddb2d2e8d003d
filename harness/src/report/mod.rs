//! Reports of a run: the `summary.json` contract, `cases.csv`, `.hgrm` percentile files and the
//! console table.

mod console;
mod files;
mod hgrm;
mod summary;

pub use console::render as console_table;
pub use files::{file_safe, write_hgrm, write_summary, ReportError};
pub use hgrm::render as render_hgrm;
pub use summary::{
    judge, CaseSummary, NegotiatedCount, Percentiles, Phases, Pinning, RunSummary, ScenarioInfo,
    ToolInfo, SCHEMA_VERSION,
};
