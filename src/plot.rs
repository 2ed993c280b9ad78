//! Figures (PNG and SVG) with plotters. Text is drawn with the DejaVu Sans font embedded
//! in the binary (the `dejavu` crate), so figures render on machines without system fonts.

use std::path::Path;
use std::sync::Once;

use plotters::coord::Shift;
use plotters::coord::ranged1d::ValueFormatter;
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
    /// A marker of an input event: a dashed vertical line at the `x` of each point, across
    /// the whole panel (the `y` values are ignored).
    VLine,
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
    /// Logarithmic x axis (points with `x <= 0` are not drawn).
    pub x_log: bool,
    /// Logarithmic y axis (points with `y <= 0` are not drawn; bars start at the axis).
    pub y_log: bool,
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

/// Whether a point can be drawn on the panel's axes (finite; positive on a log axis).
fn drawable(panel: &Panel, x: f64, y: f64) -> bool {
    x.is_finite() && y.is_finite() && (!panel.x_log || x > 0.0) && (!panel.y_log || y > 0.0)
}

fn bounds(panel: &Panel) -> ((f64, f64), (f64, f64)) {
    let mut xr = (f64::INFINITY, f64::NEG_INFINITY);
    let mut yr = (f64::INFINITY, f64::NEG_INFINITY);
    for s in &panel.series {
        for &(x, y) in &s.points {
            if s.style == Style::VLine {
                if x.is_finite() && (!panel.x_log || x > 0.0) {
                    xr = (xr.0.min(x), xr.1.max(x));
                }
                continue;
            }
            if drawable(panel, x, y) {
                let x1 = if let Style::Bars(w) = s.style {
                    x + w
                } else {
                    x
                };
                xr = (xr.0.min(x), xr.1.max(x1));
                yr = (yr.0.min(y), yr.1.max(y));
            }
        }
        if matches!(s.style, Style::Bars(_)) && !panel.y_log {
            yr.0 = yr.0.min(0.0);
        }
    }
    let unit = |log: bool| if log { (1.0, 10.0) } else { (0.0, 1.0) };
    if !xr.0.is_finite() {
        xr = unit(panel.x_log);
    }
    if !yr.0.is_finite() {
        yr = unit(panel.y_log);
    }
    if let Some(r) = panel.y_range {
        yr = r;
    }
    // pad by 4% of the range, in log space on a log axis
    let pad = |r: (f64, f64), log: bool| {
        if log {
            let (a, b) = (r.0.log10(), r.1.log10());
            let w = (b - a).abs().max(0.1);
            (10f64.powf(a - 0.04 * w), 10f64.powf(b + 0.04 * w))
        } else {
            let w = (r.1 - r.0).abs().max(1e-9 * (1.0 + r.0.abs()));
            (r.0 - 0.04 * w, r.1 + 0.04 * w)
        }
    };
    let x = if xr.1 > xr.0 {
        xr
    } else if panel.x_log {
        (xr.0 / 2.0, xr.1 * 2.0)
    } else {
        (xr.0 - 0.5, xr.1 + 0.5)
    };
    let y = if panel.y_range.is_some() {
        yr
    } else {
        pad(yr, panel.y_log)
    };
    (x, y)
}

/// A tick label: as few digits as the value needs (`20`, not `20.0`).
fn tick(v: f64) -> String {
    // rounding residues of tick positions (e.g. -2e-16 for the tick at 0)
    if v.abs() < 1e-13 {
        return "0".into();
    }
    let a = v.abs();
    if !(1e-3..1e5).contains(&a) {
        return format!("{v:.0e}");
    }
    let mut t = format!("{v:.3}");
    while t.ends_with('0') {
        t.pop();
    }
    if t.ends_with('.') {
        t.pop();
    }
    t
}

/// The corner of the plot where the legend hides the fewest data points: the legend box
/// (its size estimated from the entries) is placed in each corner in turn and the points
/// of every series (lines sampled along their segments) inside it are counted.
fn legend_corner(panel: &Panel, xr: (f64, f64), yr: (f64, f64)) -> SeriesLabelPosition {
    let named: Vec<&Series> = panel.series.iter().filter(|s| !s.name.is_empty()).collect();
    let longest = named
        .iter()
        .map(|s| s.name.chars().count())
        .max()
        .unwrap_or(0);
    // plot area about 820 x 330 px per panel; entries 22 px high, text 8 px per character
    let w = ((longest as f64 * 8.5 + 50.0) / 820.0).min(0.9);
    let h = ((named.len() as f64 * 22.0 + 14.0) / 330.0).min(0.9);
    let norm = |v: f64, r: (f64, f64), log: bool| {
        if log {
            (v.log10() - r.0.log10()) / (r.1.log10() - r.0.log10())
        } else {
            (v - r.0) / (r.1 - r.0)
        }
    };
    let mut pts: Vec<(f64, f64)> = Vec::new();
    for s in &panel.series {
        let p: Vec<(f64, f64)> = s
            .points
            .iter()
            .filter(|&&(x, y)| drawable(panel, x, y) || s.style == Style::VLine)
            .map(|&(x, y)| (norm(x, xr, panel.x_log), norm(y, yr, panel.y_log)))
            .collect();
        match s.style {
            Style::Line | Style::ThinLine => {
                pts.extend(p.windows(2).flat_map(|ab| {
                    (0..8).map(move |i| {
                        let f = i as f64 / 8.0;
                        (
                            ab[0].0 + f * (ab[1].0 - ab[0].0),
                            ab[0].1 + f * (ab[1].1 - ab[0].1),
                        )
                    })
                }));
                pts.extend(p.last());
            }
            Style::VLine => {
                pts.extend(
                    p.iter()
                        .flat_map(|&(x, _)| (0..=20).map(move |i| (x, i as f64 / 20.0))),
                );
            }
            _ => pts.extend(p),
        }
    }
    let corners = [
        (
            SeriesLabelPosition::UpperRight,
            (1.0 - w, 1.0),
            (1.0 - h, 1.0),
        ),
        (SeriesLabelPosition::UpperLeft, (0.0, w), (1.0 - h, 1.0)),
        (SeriesLabelPosition::LowerRight, (1.0 - w, 1.0), (0.0, h)),
        (SeriesLabelPosition::LowerLeft, (0.0, w), (0.0, h)),
    ];
    let hidden = |xs: (f64, f64), ys: (f64, f64)| {
        pts.iter()
            .filter(|(x, y)| *x >= xs.0 && *x <= xs.1 && *y >= ys.0 && *y <= ys.1)
            .count()
    };
    let mut best = (usize::MAX, SeriesLabelPosition::UpperRight);
    for (pos, xs, ys) in corners {
        let n = hidden(xs, ys);
        if n < best.0 {
            best = (n, pos);
        }
    }
    best.1
}

fn draw_panel<DB: DrawingBackend>(area: &DrawingArea<DB, Shift>, panel: &Panel) -> Result<()>
where
    DB::ErrorType: 'static,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| Error::Io(format!("plot: {e}"));
    let (xr, yr) = bounds(panel);
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(&panel.title, ("sans-serif", 22))
        .margin(12)
        .x_label_area_size(45)
        .y_label_area_size(65);
    let (x, y) = (xr.0..xr.1, yr.0..yr.1);
    match (panel.x_log, panel.y_log) {
        (false, false) => draw_series(
            builder.build_cartesian_2d(x, y).map_err(err)?,
            panel,
            xr,
            yr,
        ),
        (true, false) => draw_series(
            builder.build_cartesian_2d(x.log_scale(), y).map_err(err)?,
            panel,
            xr,
            yr,
        ),
        (false, true) => draw_series(
            builder.build_cartesian_2d(x, y.log_scale()).map_err(err)?,
            panel,
            xr,
            yr,
        ),
        (true, true) => draw_series(
            builder
                .build_cartesian_2d(x.log_scale(), y.log_scale())
                .map_err(err)?,
            panel,
            xr,
            yr,
        ),
    }
}

fn draw_series<'a, DB, X, Y>(
    mut chart: ChartContext<'a, DB, Cartesian2d<X, Y>>,
    panel: &Panel,
    xr: (f64, f64),
    yr: (f64, f64),
) -> Result<()>
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    X: Ranged<ValueType = f64> + ValueFormatter<f64>,
    Y: Ranged<ValueType = f64> + ValueFormatter<f64>,
{
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| Error::Io(format!("plot: {e}"));
    chart
        .configure_mesh()
        .x_desc(&panel.x_label)
        .y_desc(&panel.y_label)
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
        .label_style(("sans-serif", 15))
        .axis_desc_style(("sans-serif", 17))
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(err)?;
    let bar_base = if panel.y_log { yr.0 } else { 0.0 };
    let mut any_named = false;
    for s in &panel.series {
        let c = PALETTE[s.color % PALETTE.len()];
        let pts: Vec<(f64, f64)> = s
            .points
            .iter()
            .copied()
            .filter(|&(x, y)| drawable(panel, x, y))
            .collect();
        let anno = match s.style {
            Style::Line => chart
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
            Style::Bars(w) => chart
                .draw_series(pts.iter().map(|&(x, y)| {
                    Rectangle::new([(x, bar_base), (x + w, y)], c.mix(0.35).filled())
                }))
                .map_err(err)?,
            Style::VLine => {
                // dashes: 24 segments across the y range (log-spaced on a log axis)
                let at = |f: f64| {
                    if panel.y_log {
                        10f64.powf(yr.0.log10() + f * (yr.1.log10() - yr.0.log10()))
                    } else {
                        yr.0 + f * (yr.1 - yr.0)
                    }
                };
                let xs: Vec<f64> = s
                    .points
                    .iter()
                    .map(|p| p.0)
                    .filter(|&x| x.is_finite() && x >= xr.0 && x <= xr.1)
                    .collect();
                chart
                    .draw_series(xs.iter().flat_map(|&x| {
                        (0..24).map(move |i| {
                            let f = i as f64 / 24.0;
                            PathElement::new(
                                vec![(x, at(f)), (x, at(f + 0.6 / 24.0))],
                                c.stroke_width(2),
                            )
                        })
                    }))
                    .map_err(err)?
            }
        };
        if !s.name.is_empty() {
            any_named = true;
            // the legend glyph looks like the series: a line, a thin line, a dot, a bar
            let anno = anno.label(s.name.clone());
            match s.style {
                Style::Line => {
                    anno.legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(3))
                    });
                }
                Style::ThinLine => {
                    anno.legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 18, y)], c.mix(0.6).stroke_width(1))
                    });
                }
                Style::VLine => {
                    anno.legend(move |(x, y)| {
                        PathElement::new(vec![(x + 8, y - 7), (x + 8, y + 7)], c.stroke_width(2))
                    });
                }
                Style::Points | Style::Dots => {
                    anno.legend(move |(x, y)| Circle::new((x + 8, y), 4, c.filled()));
                }
                Style::Bars(_) => {
                    anno.legend(move |(x, y)| {
                        Rectangle::new([(x, y - 5), (x + 16, y + 5)], c.mix(0.35).filled())
                    });
                }
            }
        }
    }
    if any_named {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .label_font(("sans-serif", 15))
            .position(legend_corner(panel, xr, yr))
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
/// exists), with a colour bar. The colour scale follows the data: logarithmic when every
/// value is positive and they span more than two decades; clipped to the 2nd-98th
/// percentile when a few cells (e.g. one corner near a bifurcation) would otherwise take
/// most of the scale, the colour bar's caption saying so; linear otherwise.
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
    let scale = ColourScale::of(&finite);
    let (vmin, vmax) = (scale.lo, scale.hi);
    let bar_caption = match scale.kind {
        ScaleKind::Linear => bar_label.to_string(),
        ScaleKind::Log => format!("{bar_label} (log)"),
        ScaleKind::Clipped => format!("{bar_label} (2-98%)"),
    };
    let dx = if xs.len() > 1 { xs[1] - xs[0] } else { 1.0 };
    let dy = if ys.len() > 1 { ys[1] - ys[0] } else { 1.0 };
    let colour = |v: f64| -> RGBColor {
        if !v.is_finite() {
            return RGBColor(200, 200, 200);
        }
        viridis(scale.fraction(v))
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
        .x_label_formatter(&|v| tick(*v))
        .y_label_formatter(&|v| tick(*v))
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
    let steps = 100;
    let mut cb = ChartBuilder::on(&bar);
    cb.margin_top(50)
        .margin_bottom(57)
        .margin_right(10)
        .y_label_area_size(55)
        .caption(&bar_caption, ("sans-serif", 14));
    if scale.kind == ScaleKind::Log {
        let mut c = cb
            .build_cartesian_2d(0.0..1.0, (vmin..vmax).log_scale())
            .map_err(err)?;
        c.configure_mesh()
            .disable_x_axis()
            .disable_mesh()
            .y_label_formatter(&|v| tick(*v))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        let (la, lb) = (vmin.log10(), vmax.log10());
        c.draw_series((0..steps).map(|i| {
            let a = 10f64.powf(la + (lb - la) * i as f64 / steps as f64);
            let b = 10f64.powf(la + (lb - la) * (i + 1) as f64 / steps as f64);
            Rectangle::new([(0.0, a), (1.0, b)], colour((a * b).sqrt()).filled())
        }))
        .map_err(err)?;
    } else {
        let mut c = cb.build_cartesian_2d(0.0..1.0, vmin..vmax).map_err(err)?;
        c.configure_mesh()
            .disable_x_axis()
            .disable_mesh()
            .y_label_formatter(&|v| tick(*v))
            .label_style(("sans-serif", 13))
            .draw()
            .map_err(err)?;
        c.draw_series((0..steps).map(|i| {
            let a = vmin + (vmax - vmin) * i as f64 / steps as f64;
            let b = vmin + (vmax - vmin) * (i + 1) as f64 / steps as f64;
            Rectangle::new([(0.0, a), (1.0, b)], colour(0.5 * (a + b)).filled())
        }))
        .map_err(err)?;
    }
    draw_markers(&mut chart, markers).map_err(err)?;
    root.present()
        .map_err(|e| Error::Io(format!("plot: {e}")))?;
    Ok(())
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum ScaleKind {
    Linear,
    Log,
    Clipped,
}

/// The colour scale of a heat map (see [`heatmap`]).
struct ColourScale {
    kind: ScaleKind,
    lo: f64,
    hi: f64,
}

impl ColourScale {
    fn of(finite: &[f64]) -> ColourScale {
        let mut v = finite.to_vec();
        v.sort_by(f64::total_cmp);
        let (Some(&min), Some(&max)) = (v.first(), v.last()) else {
            return ColourScale {
                kind: ScaleKind::Linear,
                lo: 0.0,
                hi: 1.0,
            };
        };
        if max <= min {
            return ColourScale {
                kind: ScaleKind::Linear,
                lo: min - 0.5,
                hi: max + 0.5,
            };
        }
        if min > 0.0 && max / min > 100.0 {
            return ColourScale {
                kind: ScaleKind::Log,
                lo: min,
                hi: max,
            };
        }
        let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
        let (p2, p98) = (q(0.02), q(0.98));
        // a few cells holding most of the range: clip them
        if p98 > p2 && max - min > 3.0 * (p98 - p2) {
            return ColourScale {
                kind: ScaleKind::Clipped,
                lo: p2,
                hi: p98,
            };
        }
        ColourScale {
            kind: ScaleKind::Linear,
            lo: min,
            hi: max,
        }
    }

    /// Position of `v` on the colour map, 0 to 1 (clipped at the ends).
    fn fraction(&self, v: f64) -> f64 {
        let t = if self.kind == ScaleKind::Log {
            (v.max(self.lo).log10() - self.lo.log10()) / (self.hi.log10() - self.lo.log10())
        } else {
            (v - self.lo) / (self.hi - self.lo)
        };
        t.clamp(0.0, 1.0)
    }
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

/// The tuning-curve figure of docs/theory.md 2.6.4 (theory only): `shown` sampled E neurons
/// (at most 7, each with its own colour and legend entry) along the latent path in the
/// balanced network (top) and the unbalanced mode with `mu`, `beta`, `sigma` frozen (bottom,
/// monotone ridges), on one y scale, with the population rate.
pub fn tuning_panels(c: &crate::theory::predictions::TuningContrast, shown: usize) -> Vec<Panel> {
    use crate::theory::predictions::TuningCurves;
    // one palette colour per curve, grey (6) kept for the population rate
    let shown = shown.min(PALETTE.len() - 1);
    // headroom above the curves for the legend (one line per curve and the rate)
    let headroom = 1.15 + 0.09 * (shown + 1) as f64;
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
                let pts = tc
                    .kappa
                    .iter()
                    .copied()
                    .zip(curve.iter().copied())
                    .collect();
                Series::new(
                    format!("E neuron {}", i + 1),
                    pts,
                    Style::Line,
                    if i >= 6 { i + 1 } else { i },
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
            y_range: Some((0.0, headroom * y_max.max(1e-3))),
            ..Default::default()
        }
    };
    let pct = |tc: &TuningCurves| 100.0 * tc.populations[0].stats.nonmonotone_fraction;
    vec![
        panel(
            &c.balanced,
            format!(
                "Theory: balanced network ({}), {:.0}% of E curves non-monotone",
                c.balanced.mode,
                pct(&c.balanced)
            ),
        ),
        panel(
            &c.unbalanced_frozen_noise,
            format!(
                "Theory: unbalanced (mu, beta, sigma frozen), {:.0}% non-monotone",
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
    let yr = (
        yr.0 / 10f64.powf(0.05 * decades),
        yr.1 * 10f64.powf(0.45 * decades),
    );
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
            // input markers are not drawn on spectra
            Style::VLine => continue,
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
    chart: &mut ChartContext<
        '_,
        DB,
        Cartesian2d<plotters::coord::types::RangedCoordf64, plotters::coord::types::RangedCoordf64>,
    >,
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
            [
                (bx - 3, by - 2),
                (bx + w + 3, by + lh * lines.len() as i32 + 2),
            ],
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

/// The figure of a latent computation (docs/theory.md 12): the theory's `kappa` components
/// (lines) against the trial mean (points) with `trials_shown` single trials (thin), then
/// the population-mean V and rates of E, theory against trial mean. `input_s`: times of
/// the input's onset and offset (s), drawn as dashed lines in every panel; each panel
/// keeps room above the data for its legend.
pub fn claim_trajectory_panels(
    c: &crate::claims::TrajectoryComparison,
    trials: &[crate::claims::TrialRecord],
    trials_shown: usize,
    title: &str,
    input_s: Option<([f64; 2], &str)>,
) -> Vec<Panel> {
    let t = &c.time_s;
    let on = |y: &[f64]| t.iter().copied().zip(y.iter().copied()).collect::<Vec<_>>();
    let mut k_series = Vec::new();
    let d = c.sim_kappa_hz.len();
    for comp in 0..d {
        let th: Vec<f64> = c.theory_kappa_hz.iter().map(|k| k[comp]).collect();
        k_series.push(Series::new(
            format!("theory kappa_{}", comp + 1),
            on(&th),
            Style::Line,
            2 * comp,
        ));
        k_series.push(Series::new(
            format!("sim kappa_{}, mean of {} trials", comp + 1, c.trials),
            on(&c.sim_kappa_hz[comp].mean),
            Style::Points,
            2 * comp + 1,
        ));
    }
    for (i, tr) in trials.iter().take(trials_shown).enumerate() {
        for comp in 0..d {
            let pts: Vec<(f64, f64)> = tr
                .time_s
                .iter()
                .zip(&tr.kappa_hz)
                .filter(|(x, _)| **x >= t[0] && **x <= t[t.len() - 1])
                .map(|(x, k)| (*x, k[comp]))
                .collect();
            let name = if i == 0 && comp == 0 {
                format!("single trials ({trials_shown} shown)")
            } else {
                String::new()
            };
            k_series.push(Series::new(name, pts, Style::ThinLine, 6));
        }
    }
    let pop_panel =
        |theory: &[Vec<f64>], sim: &[crate::claims::SeriesStats], what: &str, unit: &str| {
            let mut s = Vec::new();
            for (a, (th, sm)) in theory.iter().zip(sim).enumerate() {
                let name = if a == 0 { "E" } else { "I" };
                s.push(Series::new(
                    format!("theory {what} {name}"),
                    on(th),
                    Style::Line,
                    2 * a,
                ));
                s.push(Series::new(
                    format!("sim {what} {name}, trial mean"),
                    on(&sm.mean),
                    Style::Points,
                    2 * a + 1,
                ));
            }
            Panel {
                title: format!("{what} along the trajectory: theory (finite K) vs simulation"),
                x_label: "time (s)".into(),
                y_label: format!("{what} ({unit})"),
                series: s,
                ..Default::default()
            }
        };
    let mut panels = vec![
        Panel {
            title: format!(
                "{title}: kappa, RMS(theory - trial mean) = {:.1}% of range",
                100.0 * c.kappa_rms_relative
            ),
            x_label: "time (s)".into(),
            y_label: "kappa (Hz)".into(),
            series: k_series,
            ..Default::default()
        },
        pop_panel(&c.theory_mean_v_mv, &c.sim_mean_v_mv, "mean V", "mV"),
        pop_panel(&c.theory_rate_hz, &c.sim_rate_hz, "population rate", "Hz"),
    ];
    for p in &mut panels {
        if let Some((w, name)) = input_s {
            p.series.push(Series::new(
                format!("{name} ({} - {} s)", tick(w[0]), tick(w[1])),
                vec![(w[0], 0.0), (w[1], 0.0)],
                Style::VLine,
                6,
            ));
        }
        legend_headroom(p);
    }
    panels
}

/// Fix the panel's y range to the data's plus room above it for the legend (its height
/// estimated as in [`legend_corner`]), so that the legend covers no data.
fn legend_headroom(p: &mut Panel) {
    let ys = p
        .series
        .iter()
        .filter(|s| s.style != Style::VLine)
        .flat_map(|s| s.points.iter().map(|q| q.1))
        .filter(|y| y.is_finite());
    let (lo, hi) = ys.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), y| {
        (a.min(y), b.max(y))
    });
    if !(lo.is_finite() && hi > lo) {
        return;
    }
    let entries = p.series.iter().filter(|s| !s.name.is_empty()).count();
    let h = ((entries as f64 * 22.0 + 24.0) / 330.0).min(0.7);
    let range = hi - lo;
    p.y_range = Some((lo - 0.04 * range, hi + range * (0.04 + h / (1.0 - h))));
}

/// Predictions of docs/theory.md 2.6 in sliding windows (docs/theory.md 12.5): per
/// window centre, theory (line) against the trial mean (points) of the rate spread of
/// measured rates, the silent fraction, and the synchrony measure (population Fano
/// factor in 1 ms bins; the theory's asynchronous state has 1 up to order 1/N).
pub fn claim_window_panels(w: &[crate::claims::WindowComparison], title: &str) -> Vec<Panel> {
    let pops: Vec<String> = {
        let mut v: Vec<String> = Vec::new();
        for x in w {
            if !v.contains(&x.population) {
                v.push(x.population.clone());
            }
        }
        v
    };
    let panel = |what: &str,
                 unit: &str,
                 th: &dyn Fn(&crate::claims::WindowComparison) -> f64,
                 sm: &dyn Fn(&crate::claims::WindowComparison) -> f64| {
        let mut s = Vec::new();
        for (a, p) in pops.iter().enumerate() {
            let rows: Vec<&crate::claims::WindowComparison> =
                w.iter().filter(|x| &x.population == p).collect();
            let c = |x: &crate::claims::WindowComparison| 0.5 * (x.window_s[0] + x.window_s[1]);
            let tp: Vec<(f64, f64)> = rows
                .iter()
                .map(|x| (c(x), th(x)))
                .filter(|(_, y)| y.is_finite())
                .collect();
            if !tp.is_empty() {
                s.push(Series::new(format!("theory {p}"), tp, Style::Line, 2 * a));
            }
            s.push(Series::new(
                format!("sim {p}, trial mean"),
                rows.iter().map(|x| (c(x), sm(x))).collect(),
                Style::Points,
                2 * a + 1,
            ));
        }
        Panel {
            title: format!("{title}: {what}"),
            x_label: "window centre (s)".into(),
            y_label: format!("{what} ({unit})"),
            series: s,
            ..Default::default()
        }
    };
    vec![
        panel(
            "sd of measured rates",
            "Hz",
            &|x| x.theory_rate_sd_hz,
            &|x| x.sim_rate_sd_hz.mean,
        ),
        panel(
            "silent fraction",
            "fraction",
            &|x| x.theory_silent_fraction,
            &|x| x.sim_silent_fraction.mean,
        ),
        panel(
            "population Fano factor, 1 ms bins",
            "1",
            &|_| f64::NAN,
            &|x| x.sim_fano_1ms.mean,
        ),
    ]
}

/// The ring's angle diffusion (docs/theory.md 12.2): variance over trials of the angle's
/// displacement against the lag, its fitted slope, and the theory's slopes (Poisson
/// trains; Fano factor = measured CV^2).
pub fn claim_diffusion_panel(r: &crate::claims::RingReport) -> Option<Panel> {
    let d = r.diffusion.as_ref()?;
    let pts: Vec<(f64, f64)> = d
        .lag_s
        .iter()
        .copied()
        .zip(d.variance_rad2.iter().copied())
        .collect();
    let end = d.lag_s.last().copied().unwrap_or(1.0);
    let line = |slope: f64| vec![(0.0, 0.0), (end, slope * end)];
    Some(Panel {
        title: format!(
            "Angle variance over {} trials: slope {:.2e} +- {:.1e} rad^2/s",
            d.trials, d.slope_rad2_per_s, d.slope_se
        ),
        x_label: "lag after the start of the hold window (s)".into(),
        y_label: "variance of angle displacement (rad^2)".into(),
        series: vec![
            Series::new("simulation", pts, Style::Points, 0),
            Series::new("fit through 0", line(d.slope_rad2_per_s), Style::Line, 0),
            Series::new(
                "theory, Poisson trains",
                line(r.theory_variance_slope_rad2_per_s),
                Style::Line,
                1,
            ),
            Series::new(
                "theory, Fano = measured CV^2",
                line(r.theory_variance_slope_cv2_rad2_per_s),
                Style::Line,
                2,
            ),
        ],
        ..Default::default()
    })
}

/// The context task's figure (docs/theory.md 12.1): per context, the fraction of choices
/// `kappa > 0` against the relevant and the irrelevant coherence (simulation) with the
/// fitted logistic curves, then the readout `kappa` against the relevant coherence (theory
/// line, trial means per coherence as points), then the condition-averaged `kappa(t)` of
/// context A, one curve per coherence of A.
pub fn claim_context_panels(r: &crate::claims::ContextReport) -> Vec<Panel> {
    let cohs = &r.design.coherences;
    let lo = cohs.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = cohs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut psych = Vec::new();
    let mut readout = Vec::new();
    for (ci, ctx) in [true, false].into_iter().enumerate() {
        let name = if ctx { "A" } else { "B" };
        let ts: Vec<&crate::claims::ContextTrial> =
            r.trials.iter().filter(|t| t.context_a == ctx).collect();
        let rel = |t: &crate::claims::ContextTrial| if ctx { t.coh_a } else { t.coh_b };
        let irr = |t: &crate::claims::ContextTrial| if ctx { t.coh_b } else { t.coh_a };
        let frac = |f: &dyn Fn(&crate::claims::ContextTrial) -> f64| -> Vec<(f64, f64)> {
            cohs.iter()
                .map(|&c| {
                    let g: Vec<_> = ts.iter().filter(|t| f(t) == c).collect();
                    (
                        c,
                        g.iter().filter(|t| t.choice).count() as f64 / g.len().max(1) as f64,
                    )
                })
                .collect()
        };
        let curve = |fit: &Option<crate::analysis::trajectory::LogisticFit>| -> Vec<(f64, f64)> {
            fit.as_ref().map_or_else(Vec::new, |f| {
                (0..=100)
                    .map(|i| {
                        let x = lo + (hi - lo) * i as f64 / 100.0;
                        (x, 1.0 / (1.0 + (-(f.bias + f.slope * x)).exp()))
                    })
                    .collect()
            })
        };
        let cs = &r.contexts[ci];
        psych.push(Series::new(
            format!("context {name}: vs relevant coherence"),
            frac(&rel),
            Style::Points,
            2 * ci,
        ));
        psych.push(Series::new(
            "",
            curve(&cs.psychometric_relevant),
            Style::Line,
            2 * ci,
        ));
        psych.push(Series::new(
            format!("context {name}: vs irrelevant coherence"),
            frac(&irr),
            Style::Points,
            2 * ci + 1,
        ));
        psych.push(Series::new(
            "",
            curve(&cs.psychometric_irrelevant),
            Style::ThinLine,
            2 * ci + 1,
        ));
        let mean_at = |c: f64, f: &dyn Fn(&crate::claims::ContextTrial) -> f64| {
            let g: Vec<_> = ts.iter().filter(|t| rel(t) == c).collect();
            g.iter().map(|t| f(t)).sum::<f64>() / g.len().max(1) as f64
        };
        readout.push(Series::new(
            format!("context {name}: theory"),
            cohs.iter()
                .map(|&c| (c, mean_at(c, &|t| t.theory_kappa_hz)))
                .collect(),
            Style::Line,
            2 * ci,
        ));
        readout.push(Series::new(
            format!("context {name}: simulation, mean over trials"),
            cohs.iter()
                .map(|&c| (c, mean_at(c, &|t| t.sim_kappa_hz)))
                .collect(),
            Style::Points,
            2 * ci + 1,
        ));
    }
    let mut traj = Vec::new();
    for (i, &c) in cohs.iter().enumerate() {
        let g: Vec<_> = r
            .trials
            .iter()
            .filter(|t| t.context_a && t.coh_a == c)
            .collect();
        let avg = |f: &dyn Fn(&crate::claims::ContextTrial) -> &Vec<f64>| -> Vec<(f64, f64)> {
            r.time_s
                .iter()
                .enumerate()
                .map(|(j, &t)| {
                    (
                        t,
                        g.iter().map(|x| f(x)[j]).sum::<f64>() / g.len().max(1) as f64,
                    )
                })
                .collect()
        };
        let col = i % PALETTE.len();
        traj.push(Series::new(
            format!("coh A = {c}: theory"),
            avg(&|x| &x.theory_kappa_t_hz),
            Style::Line,
            col,
        ));
        traj.push(Series::new(
            "",
            avg(&|x| &x.sim_kappa_t_hz),
            Style::Points,
            col,
        ));
    }
    vec![
        Panel {
            title: "Context task: fraction of choices kappa > 0 (points) and logistic fits".into(),
            x_label: "coherence".into(),
            y_label: "P(choice kappa > 0)".into(),
            series: psych,
            y_range: Some((-0.05, 1.35)),
            ..Default::default()
        },
        Panel {
            title: "Readout kappa vs relevant coherence (averaged over the irrelevant one)".into(),
            x_label: "relevant coherence".into(),
            y_label: "kappa at readout (Hz)".into(),
            series: readout,
            ..Default::default()
        },
        Panel {
            title: "Context A: kappa(t) per coherence of A (lines theory, points simulation mean)"
                .into(),
            x_label: "time (s)".into(),
            y_label: "kappa (Hz)".into(),
            series: traj,
            ..Default::default()
        },
    ]
}
