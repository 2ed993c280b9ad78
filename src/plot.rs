//! Figures (PNG and SVG) with plotters. Text is drawn with the DejaVu Sans font embedded
//! in the binary (the `dejavu` crate), so figures render on machines without system fonts.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::error::{Error, Result};

/// How a series is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Style {
    /// A polyline.
    Line,
    /// A dashed-looking thin line (drawn thinner and lighter).
    ThinLine,
    /// Dots.
    Points,
    /// Small dots (rasters).
    Dots,
    /// Histogram bars: each point is (left edge, height), bars of the given width.
    Bars(f64),
}

/// One named series of `(x, y)` points.
#[derive(Clone, Debug)]
pub struct Series {
    /// Legend entry.
    pub name: String,
    /// The `(x, y)` points, in data units.
    pub points: Vec<(f64, f64)>,
    /// How the series is drawn.
    pub style: Style,
    /// Index into the palette.
    pub color: usize,
}

impl Series {
    /// A series from its name, points, style and palette index.
    pub fn new(
        name: impl Into<String>,
        points: Vec<(f64, f64)>,
        style: Style,
        color: usize,
    ) -> Self {
        Series {
            name: name.into(),
            points,
            style,
            color,
        }
    }
}

/// One panel: title, axis labels (with units) and series.
#[derive(Clone, Debug, Default)]
pub struct Panel {
    /// Title of the panel.
    pub title: String,
    /// Label of the x axis, with units.
    pub x_label: String,
    /// Label of the y axis, with units.
    pub y_label: String,
    /// The series drawn in the panel.
    pub series: Vec<Series>,
    /// Fixed y range; `None`: from the data.
    pub y_range: Option<(f64, f64)>,
}

const PALETTE: [RGBColor; 8] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(127, 127, 127),
    RGBColor(23, 190, 207),
];

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // InvalidFont is not std::error::Error; the embedded font is known to be valid.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            dejavu::sans::regular(),
        );
        let _ =
            plotters::style::register_font("sans-serif", FontStyle::Bold, dejavu::sans::regular());
    });
}

fn bounds(panel: &Panel) -> ((f64, f64), (f64, f64)) {
    let mut xr = (f64::INFINITY, f64::NEG_INFINITY);
    let mut yr = (f64::INFINITY, f64::NEG_INFINITY);
    for s in &panel.series {
        for &(x, y) in &s.points {
            if x.is_finite() && y.is_finite() {
                let x1 = if let Style::Bars(w) = s.style {
                    x + w
                } else {
                    x
                };
                xr = (xr.0.min(x), xr.1.max(x1));
                yr = (yr.0.min(y), yr.1.max(y));
            }
        }
        if let Style::Bars(_) = s.style {
            yr.0 = yr.0.min(0.0);
        }
    }
    if !xr.0.is_finite() {
        xr = (0.0, 1.0);
    }
    if !yr.0.is_finite() {
        yr = (0.0, 1.0);
    }
    if let Some(r) = panel.y_range {
        yr = r;
    }
    let pad = |r: (f64, f64)| {
        let w = (r.1 - r.0).abs().max(1e-9 * (1.0 + r.0.abs()));
        (r.0 - 0.04 * w, r.1 + 0.04 * w)
    };
    let x = if xr.1 > xr.0 {
        xr
    } else {
        (xr.0 - 0.5, xr.1 + 0.5)
    };
    (x, pad(yr))
}

fn draw_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, panel: &Panel) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| Error::Io(format!("plot: {e}"));
    let (xr, yr) = bounds(panel);
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(65)
        .build_cartesian_2d(xr.0..xr.1, yr.0..yr.1)
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(&panel.x_label)
        .y_desc(&panel.y_label)
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(err)?;
    let mut any_named = false;
    for s in &panel.series {
        let c = PALETTE[s.color % PALETTE.len()];
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect();
        let anno =
            match s.style {
                Style::Line => chart
                    .draw_series(LineSeries::new(pts, c.stroke_width(2)))
                    .map_err(err)?,
                Style::ThinLine => chart
                    .draw_series(LineSeries::new(pts, c.mix(0.6).stroke_width(1)))
                    .map_err(err)?,
                Style::Points => chart
                    .draw_series(pts.iter().map(|&(x, y)| Circle::new((x, y), 2, c.filled())))
                    .map_err(err)?,
                Style::Dots => chart
                    .draw_series(pts.iter().map(|&(x, y)| Circle::new((x, y), 1, c.filled())))
                    .map_err(err)?,
                Style::Bars(w) => chart
                    .draw_series(pts.iter().map(|&(x, y)| {
                        Rectangle::new([(x, 0.0), (x + w, y)], c.mix(0.35).filled())
                    }))
                    .map_err(err)?,
            };
        if !s.name.is_empty() {
            any_named = true;
            let lc = if matches!(s.style, Style::ThinLine | Style::Bars(_)) {
                c.mix(0.4)
            } else {
                c.mix(1.0)
            };
            let h = if matches!(s.style, Style::ThinLine) {
                1
            } else {
                5
            };
            anno.label(s.name.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - h), (x + 16, y + h)], lc.filled()));
        }
    }
    if any_named {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 15))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

fn render<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, panels: &[Panel]) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)
        .map_err(|e| Error::Io(format!("plot: {e}")))?;
    let areas = root.split_evenly((panels.len(), 1));
    for (a, p) in areas.iter().zip(panels) {
        draw_panel(a, p)?;
    }
    root.present()
        .map_err(|e| Error::Io(format!("plot: {e}")))?;
    Ok(())
}

/// Write `panels` stacked vertically to `<stem>.png` and `<stem>.svg`.
pub fn save(stem: &Path, panels: &[Panel]) -> Result<()> {
    register_font();
    if let Some(dir) = stem.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Io(format!("cannot create {}: {e}", dir.display())))?;
    }
    let h = 420 * panels.len() as u32;
    let png = stem.with_extension("png");
    render(
        BitMapBackend::new(&png, (900, h)).into_drawing_area(),
        panels,
    )?;
    let svg = stem.with_extension("svg");
    render(SVGBackend::new(&svg, (900, h)).into_drawing_area(), panels)?;
    Ok(())
}

/// A heat map: `values[iy][ix]` over the cell centres `xs` x `ys`.
pub struct Heatmap<'a> {
    pub title: &'a str,
    pub x_label: &'a str,
    pub y_label: &'a str,
    /// Label of the colour bar (name and unit of the value).
    pub bar_label: &'a str,
    pub xs: &'a [f64],
    pub ys: &'a [f64],
    pub values: &'a [Vec<f64>],
}

/// Draw `map` to `<stem>.png` (NaN cells are drawn grey, e.g. where no stationary solution
/// exists), with a colour bar.
pub fn heatmap(stem: &Path, map: &Heatmap) -> Result<()> {
    heatmap_impl(stem, map, &[])
}

fn heatmap_impl(stem: &Path, map: &Heatmap, markers: &[Marker]) -> Result<()> {
    let Heatmap {
        title,
        x_label,
        y_label,
        bar_label,
        xs,
        ys,
        values,
    } = *map;
    register_font();
    let err = |e: DrawingAreaErrorKind<_>| Error::Io(format!("plot: {e:?}"));
    let png = stem.with_extension("png");
    if let Some(dir) = stem.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Io(format!("cannot create {}: {e}", dir.display())))?;
    }
    let root = BitMapBackend::new(&png, (900, 720)).into_drawing_area();
    root.fill(&WHITE)
        .map_err(|e| Error::Io(format!("plot: {e}")))?;
    let (main, bar) = root.split_horizontally(780);
    let finite: Vec<f64> = values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .collect();
    let vmin = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let vmax = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let (vmin, vmax) = if vmin.is_finite() && vmax > vmin {
        (vmin, vmax)
    } else {
        (0.0, 1.0)
    };
    let dx = if xs.len() > 1 { xs[1] - xs[0] } else { 1.0 };
    let dy = if ys.len() > 1 { ys[1] - ys[0] } else { 1.0 };
    let colour = |v: f64| -> RGBColor {
        if !v.is_finite() {
            return RGBColor(200, 200, 200);
        }
        let t = ((v - vmin) / (vmax - vmin)).clamp(0.0, 1.0);
        viridis(t)
    };
    let mut chart = ChartBuilder::on(&main)
        .caption(title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(65)
        .build_cartesian_2d(
            (xs[0] - dx / 2.0)..(xs[xs.len() - 1] + dx / 2.0),
            (ys[0] - dy / 2.0)..(ys[ys.len() - 1] + dy / 2.0),
        )
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(x_label)
        .y_desc(y_label)
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .disable_mesh()
        .draw()
        .map_err(err)?;
    chart
        .draw_series(ys.iter().enumerate().flat_map(|(iy, &y)| {
            xs.iter().enumerate().map(move |(ix, &x)| {
                Rectangle::new(
                    [(x - dx / 2.0, y - dy / 2.0), (x + dx / 2.0, y + dy / 2.0)],
                    colour(values[iy][ix]).filled(),
                )
            })
        }))
        .map_err(err)?;
    let mut cb = ChartBuilder::on(&bar)
        .margin_top(50)
        .margin_bottom(57)
        .margin_right(10)
        .y_label_area_size(55)
        .caption(bar_label, ("sans-serif", 14))
        .build_cartesian_2d(0.0..1.0, vmin..vmax)
        .map_err(err)?;
    cb.configure_mesh()
        .disable_x_axis()
        .disable_mesh()
        .label_style(("sans-serif", 13))
        .draw()
        .map_err(err)?;
    let steps = 100;
    cb.draw_series((0..steps).map(|i| {
        let a = vmin + (vmax - vmin) * i as f64 / steps as f64;
        let b = vmin + (vmax - vmin) * (i + 1) as f64 / steps as f64;
        Rectangle::new([(0.0, a), (1.0, b)], colour(0.5 * (a + b)).filled())
    }))
    .map_err(err)?;
    draw_markers(&mut chart, markers).map_err(err)?;
    root.present()
        .map_err(|e| Error::Io(format!("plot: {e}")))?;
    Ok(())
}

/// A five-anchor piecewise-linear approximation of the viridis colour map (perceptually
/// ordered, readable in grey scale).
fn viridis(t: f64) -> RGBColor {
    const A: [(f64, f64, f64); 5] = [
        (68.0, 1.0, 84.0),
        (59.0, 82.0, 139.0),
        (33.0, 145.0, 140.0),
        (94.0, 201.0, 98.0),
        (253.0, 231.0, 37.0),
    ];
    let x = t.clamp(0.0, 1.0) * 4.0;
    let i = (x.floor() as usize).min(3);
    let f = x - i as f64;
    let (a, b) = (A[i], A[i + 1]);
    let m = |u: f64, v: f64| (u + (v - u) * f).round() as u8;
    RGBColor(m(a.0, b.0), m(a.1, b.1), m(a.2, b.2))
}

/// The tuning-curve figure of docs/theory.md 2.6.4: `shown` sampled E neurons along the latent
/// path in the balanced network (top) and the unbalanced mode with `mu`, `beta`, `sigma`
/// frozen (bottom, monotone ridges), on one y scale, with the population rate.
pub fn tuning_panels(c: &crate::theory::predictions::TuningContrast, shown: usize) -> Vec<Panel> {
    use crate::theory::predictions::TuningCurves;
    let e_curves = |tc: &TuningCurves| {
        tc.populations[0]
            .curves
            .iter()
            .take(shown)
            .cloned()
            .collect::<Vec<_>>()
    };
    let y_max = [&c.balanced, &c.unbalanced_frozen_noise]
        .iter()
        .flat_map(|tc| e_curves(tc))
        .flatten()
        .fold(0.0f64, f64::max);
    let panel = |tc: &TuningCurves, title: String| -> Panel {
        let e = &tc.populations[0];
        let mut series: Vec<Series> = e_curves(tc)
            .iter()
            .enumerate()
            .map(|(i, curve)| {
                let name = if i == 0 {
                    format!("{shown} sampled E neurons")
                } else {
                    String::new()
                };
                let pts = tc
                    .kappa
                    .iter()
                    .copied()
                    .zip(curve.iter().copied())
                    .collect();
                // skip grey (palette 6): it is the population rate
                Series::new(
                    name,
                    pts,
                    Style::Line,
                    if i % 7 >= 6 { i % 7 + 1 } else { i % 7 },
                )
            })
            .collect();
        let rate = tc
            .kappa
            .iter()
            .copied()
            .zip(e.rate_hz.iter().copied())
            .collect();
        series.push(Series::new("population rate nu_E", rate, Style::Line, 6));
        Panel {
            title,
            x_label: "latent state kappa (Hz)".into(),
            y_label: "firing rate (Hz)".into(),
            series,
            // headroom above the curves for the legend (drawn in the upper right)
            y_range: Some((0.0, 1.3 * y_max.max(1e-3))),
        }
    };
    let pct = |tc: &TuningCurves| 100.0 * tc.populations[0].stats.nonmonotone_fraction;
    vec![
        panel(
            &c.balanced,
            format!(
                "Balanced network ({}): {:.0}% of E curves non-monotone",
                c.balanced.mode,
                pct(&c.balanced)
            ),
        ),
        panel(
            &c.unbalanced_frozen_noise,
            format!(
                "Unbalanced (mu, beta, sigma frozen): {:.0}% non-monotone",
                pct(&c.unbalanced_frozen_noise)
            ),
        ),
    ]
}

/// Write `panels` stacked vertically to `<stem>.png` and `<stem>.svg` with logarithmic x
/// and y axes (for spectra): points with a non-positive coordinate are left out, a
/// series without points appears in the legend only, `Bars` are drawn as lines.
pub fn save_loglog(stem: &Path, panels: &[Panel]) -> Result<()> {
    register_font();
    if let Some(dir) = stem.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::Io(format!("cannot create {}: {e}", dir.display())))?;
    }
    let h = 480 * panels.len() as u32;
    let png = stem.with_extension("png");
    render_loglog(
        BitMapBackend::new(&png, (900, h)).into_drawing_area(),
        panels,
    )?;
    let svg = stem.with_extension("svg");
    render_loglog(SVGBackend::new(&svg, (900, h)).into_drawing_area(), panels)?;
    Ok(())
}

fn render_loglog<DB: DrawingBackend>(root: DrawingArea<DB, Shift>, panels: &[Panel]) -> Result<()>
where
    DB::ErrorType: 'static,
{
    root.fill(&WHITE)
        .map_err(|e| Error::Io(format!("plot: {e}")))?;
    let areas = root.split_evenly((panels.len(), 1));
    for (a, p) in areas.iter().zip(panels) {
        draw_loglog_panel(a, p)?;
    }
    root.present()
        .map_err(|e| Error::Io(format!("plot: {e}")))?;
    Ok(())
}

fn draw_loglog_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, panel: &Panel) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| Error::Io(format!("plot: {e}"));
    let positive = |s: &Series| -> Vec<(f64, f64)> {
        s.points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite() && *x > 0.0 && *y > 0.0)
            .collect()
    };
    let mut xr = (f64::INFINITY, f64::NEG_INFINITY);
    let mut yr = (f64::INFINITY, f64::NEG_INFINITY);
    for s in &panel.series {
        for (x, y) in positive(s) {
            xr = (xr.0.min(x), xr.1.max(x));
            yr = (yr.0.min(y), yr.1.max(y));
        }
    }
    if let Some(r) = panel.y_range.filter(|r| r.0 > 0.0 && r.1 > r.0) {
        yr = r;
    }
    if !(xr.0.is_finite() && xr.1 > xr.0) {
        xr = (1.0, 10.0);
    }
    if !(yr.0.is_finite() && yr.1 > yr.0) {
        yr = if yr.0.is_finite() {
            (yr.0 / 2.0, yr.0 * 2.0)
        } else {
            (1.0, 10.0)
        };
    }
    // room above the data for the legend: a third of the decades shown
    let decades = (yr.1 / yr.0).log10();
    let yr = (yr.0 / 10f64.powf(0.05 * decades), yr.1 * 10f64.powf(0.45 * decades));
    let mut chart = ChartBuilder::on(area)
        .caption(&panel.title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(75)
        .build_cartesian_2d((xr.0..xr.1).log_scale(), (yr.0..yr.1).log_scale())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(&panel.x_label)
        .y_desc(&panel.y_label)
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .y_label_formatter(&|y| format!("{y:.0e}"))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(err)?;
    let mut any_named = false;
    for s in &panel.series {
        let c = PALETTE[s.color % PALETTE.len()];
        let pts = positive(s);
        let anno = match s.style {
            Style::Line | Style::Bars(_) => chart
                .draw_series(LineSeries::new(pts, c.stroke_width(2)))
                .map_err(err)?,
            Style::ThinLine => chart
                .draw_series(LineSeries::new(pts, c.mix(0.6).stroke_width(1)))
                .map_err(err)?,
            Style::Points => chart
                .draw_series(pts.iter().map(|&(x, y)| Circle::new((x, y), 3, c.filled())))
                .map_err(err)?,
            Style::Dots => chart
                .draw_series(pts.iter().map(|&(x, y)| Circle::new((x, y), 1, c.filled())))
                .map_err(err)?,
        };
        if !s.name.is_empty() {
            any_named = true;
            let (lc, h) = if matches!(s.style, Style::ThinLine) {
                (c.mix(0.6), 1)
            } else {
                (c.mix(1.0), 3)
            };
            anno.label(s.name.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - h), (x + 16, y + h)], lc.filled()));
        }
    }
    if any_named {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 14))
            .position(SeriesLabelPosition::UpperRight)
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

/// A labelled point drawn over a heat map (e.g. a simulated parameter point).
#[derive(Clone, Debug)]
pub struct Marker {
    /// Position in data units.
    pub x: f64,
    pub y: f64,
    /// Text drawn beside the point (may hold several lines separated by `\n`).
    pub label: String,
}

/// [`heatmap`] with labelled markers: white discs with a black rim, the label on a white
/// box to the right (to the left in the right third of the map).
pub fn heatmap_marked(stem: &Path, map: &Heatmap, markers: &[Marker]) -> Result<()> {
    heatmap_impl(stem, map, markers)
}

fn draw_markers<DB: DrawingBackend>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>>,
    markers: &[Marker],
) -> std::result::Result<(), DrawingAreaErrorKind<DB::ErrorType>> {
    let (xr, _) = (chart.x_range(), chart.y_range());
    for m in markers {
        chart.draw_series(std::iter::once(Circle::new((m.x, m.y), 7, WHITE.filled())))?;
        chart.draw_series(std::iter::once(Circle::new(
            (m.x, m.y),
            7,
            BLACK.stroke_width(2),
        )))?;
        let right = m.x < xr.start + 0.66 * (xr.end - xr.start);
        let lines: Vec<&str> = m.label.lines().collect();
        let (w, lh) = (
            8 * lines.iter().map(|l| l.chars().count()).max().unwrap_or(0) as i32,
            16,
        );
        let (x0, y0) = chart.backend_coord(&(m.x, m.y));
        let bx = if right { x0 + 12 } else { x0 - 12 - w };
        let by = y0 - lh * lines.len() as i32 / 2;
        let area = chart.plotting_area();
        let root = area.strip_coord_spec();
        let (ox, oy) = root.get_base_pixel();
        let (bx, by) = (bx - ox, by - oy);
        root.draw(&Rectangle::new(
            [(bx - 3, by - 2), (bx + w + 3, by + lh * lines.len() as i32 + 2)],
            WHITE.mix(0.85).filled(),
        ))?;
        for (i, l) in lines.iter().enumerate() {
            root.draw(&Text::new(
                l.to_string(),
                (bx, by + lh * i as i32),
                ("sans-serif", 14).into_font().color(&BLACK),
            ))?;
        }
    }
    Ok(())
}
