//! The plumbing every plot shares: the font built into the binary (plotters' `ab_glyph`
//! backend, so no system font library is needed), drawing one figure on both the SVG and the
//! bitmap backend, PNG encoding, the size, palette and number format of the axes, and the
//! case names cut to fit a legend.

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;

use super::plot::{DrawingError, Plot, PlotError};

/// The font every plot uses (DejaVu Sans cut down to ASCII; see `crates/report/assets/README.md`).
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans-ascii.ttf");

const SIZE: (u32, u32) = (960, 540);
/// The font family every label is drawn in.
pub(super) const FAMILY: &str = "sans-serif";

/// What a drawing function returns.
pub(super) type DrawResult = Result<(), DrawingError>;

fn font_ready() -> Result<(), PlotError> {
    static READY: OnceLock<bool> = OnceLock::new();
    let ok = *READY
        .get_or_init(|| plotters::style::register_font(FAMILY, FontStyle::Normal, FONT).is_ok());
    if ok {
        Ok(())
    } else {
        Err(PlotError::Font)
    }
}

/// Draws with `draw` into an SVG string and a PNG.
pub(super) fn render(
    stem: String,
    title: String,
    draw: &dyn Fn(&DrawingArea<SVGBackend<'_>, Shift>) -> DrawResult,
    draw_png: &dyn Fn(&DrawingArea<BitMapBackend<'_>, Shift>) -> DrawResult,
) -> Result<Plot, PlotError> {
    font_ready()?;
    let drawing = |source: DrawingError| PlotError::Draw {
        stem: stem.clone(),
        source,
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(|e| drawing(e.into()))?;
        draw(&root).map_err(drawing)?;
        root.present().map_err(|e| drawing(e.into()))?;
    }
    let mut pixels = vec![255u8; (SIZE.0 * SIZE.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, SIZE).into_drawing_area();
        draw_png(&root).map_err(drawing)?;
        root.present().map_err(|e| drawing(e.into()))?;
    }
    let mut png = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png, SIZE.0, SIZE.1);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(png::Compression::Best);
        let png_error = |source| PlotError::Png {
            stem: stem.clone(),
            source,
        };
        let mut writer = encoder.write_header().map_err(png_error)?;
        writer.write_image_data(&pixels).map_err(png_error)?;
    }
    Ok(Plot {
        stem,
        title,
        svg,
        png,
    })
}

/// Renders the drawing expression `$f` (a closure over a drawing area) on both backends.
macro_rules! both_backends {
    ($stem:expr, $title:expr, $f:expr) => {
        $crate::report::plots::backend::render($stem.to_string(), $title, &|a| $f(a), &|a| $f(a))
    };
}
pub(super) use both_backends;

/// A number for a label: no decimals from 10 up, two below.
pub(super) fn axis_number(v: f64) -> String {
    if v.abs() >= 10.0 || v == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// The `i`th colour of the palette (one per case).
pub(super) fn color(i: usize) -> RGBColor {
    let c = Palette99::pick(i).to_rgba();
    RGBColor(c.0, c.1, c.2)
}

/// (case, points) of one line.
pub(super) type Curve = (String, Vec<(f64, f64)>);

/// A case name cut to fit a legend or an axis label.
pub(super) fn short(name: &str) -> String {
    if name.chars().count() > 34 {
        let cut: String = name.chars().take(33).collect();
        format!("{cut}~")
    } else {
        name.to_string()
    }
}
