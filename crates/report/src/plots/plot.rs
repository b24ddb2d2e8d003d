//! What a plot is (a file stem, a title, its SVG and PNG) and how making one fails.

use std::path::PathBuf;

use plotters::drawing::DrawingAreaErrorKind;

/// One plot: its file stem, a title, and the SVG text (for inlining into HTML).
#[derive(Clone, Debug)]
pub struct Plot {
    /// File stem under `plots/` (`latency`, `throughput-over-time`, ...).
    pub stem: String,
    /// What it shows.
    pub title: String,
    /// The SVG document.
    pub svg: String,
    /// The PNG file's bytes.
    pub png: Vec<u8>,
}

/// A plotters drawing error, in words (its backend error type differs per backend).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct DrawingError(String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawingError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        Self(e.to_string())
    }
}

/// Why the plots of a run could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The font built into the binary was refused.
    #[error("the built-in plot font does not load")]
    Font,
    /// Drawing a plot failed.
    #[error("drawing plot {stem}: {source}")]
    Draw {
        /// The plot.
        stem: String,
        /// What plotters said.
        source: DrawingError,
    },
    /// Encoding a plot as PNG failed.
    #[error("encoding plot {stem} as PNG: {source}")]
    Png {
        /// The plot.
        stem: String,
        /// What the encoder said.
        source: png::EncodingError,
    },
    /// The plot directory could not be made.
    #[error("{path}: {source}")]
    Dir {
        /// `plots/` of the run.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
    /// A plot file could not be written.
    #[error("writing {path}: {source}")]
    Write {
        /// The file.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}
