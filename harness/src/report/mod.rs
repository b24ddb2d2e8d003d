//! Reports of a run: the `summary.json` contract, `cases.csv`, `.hgrm` percentile files and the
//! console table.

mod checks;
mod console;
mod files;
mod hgrm;
pub mod interop;
mod revocation_table;
mod summary;

pub use checks::{judge, negotiation_problem, resumption_problem};
pub use console::render as console_table;
pub use files::{file_safe, unique_file_stem, write_hgrm, write_summary, ReportError};
pub use hgrm::render as render_hgrm;
pub use revocation_table::{
    markdown as revocation_markdown, rows as revocation_rows, RevocationRow,
};
pub use summary::{
    CaseSummary, CrlFigures, NegotiatedCount, Percentiles, Phases, Pinning, ResumptionSummary,
    RunSummary, ScenarioInfo, ToolInfo, SCHEMA_VERSION,
};
