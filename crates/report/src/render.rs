//! Rendering a saved run: its plots and pages (`report.md`, `report.html`, `junit.xml`), all
//! from the files on disk, so a run can be re-rendered later.

use std::path::Path;

use super::files::ReportError;
use super::plots::PlotError;
use super::saved::SavedRunError;

/// Why a saved run could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// Its `summary.json` could not be read.
    #[error(transparent)]
    Load(#[from] SavedRunError),
    /// A plot could not be drawn or written.
    #[error(transparent)]
    Plot(#[from] PlotError),
    /// The HTML template did not render.
    #[error("rendering report.html: {0}")]
    Template(#[from] minijinja::Error),
    /// A page could not be written.
    #[error(transparent)]
    Write(#[from] ReportError),
}

/// Renders a saved run: `plots/*.png|svg`, `report.md`, `report.html`, `junit.xml`. Returns the files
/// written (relative to the run directory).
///
/// # Errors
/// When the run cannot be read, a plot cannot be drawn or a file cannot be written.
pub fn render_run(dir: &Path) -> Result<Vec<String>, RenderError> {
    let run = super::saved::load(dir)?;
    let plots = super::plots::write_plots(&run, dir)?;
    let mut files: Vec<String> = plots
        .iter()
        .flat_map(|p| {
            [
                format!("plots/{}.png", p.stem),
                format!("plots/{}.svg", p.stem),
            ]
        })
        .collect();
    let mut pages = vec![
        ("report.md", super::pages::markdown(&run, &plots)),
        ("report.html", super::html::html(&run, &plots)?),
    ];
    // A conformance run's junit.xml holds its graded case x peer rows: kept as it is.
    if !dir.join("conformance.json").exists() {
        pages.push(("junit.xml", super::junit::render(&run)));
    }
    for (name, text) in pages {
        let path = dir.join(name);
        crate::fsutil::write_atomic(&path, text.as_bytes(), 0o644)
            .map_err(|source| ReportError { path, source })?;
        files.push(name.to_string());
    }
    Ok(files)
}
