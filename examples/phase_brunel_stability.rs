//! Phase diagram of Brunel (2000) model A from the linear stability of the asynchronous
//! state (docs/theory.md 6.3): the leading root of det(I - W(lambda)) = 0 over the
//! (g, eta = nu_ext / nu_thr) plane. Regions: asynchronous-irregular (every root has
//! Re < 0) and oscillatory (a root with Re > 0), the boundary between them, and the
//! frequency of the leading root as colour.
//!
//! `cargo run --release --example phase_brunel_stability -- [N] [OUT_DIR]`
//! (default 100 x 100, ./out). Every point searches the box -30 <= Re lambda <= 500 1/s,
//! frequencies up to 700 Hz, by the argument principle; the stationary state is continued
//! along each row of eta.

use std::time::Instant;

use balnet::presets;
use balnet::theory::response::{ClosedForm, NetworkResponse, ResponseOptions, RootBox, stability};
use balnet::theory::{Limit, stationary};
use rayon::prelude::*;

#[derive(Clone, Copy)]
struct Point {
    growth: f64,
    freq: f64,
}

/// Leading root of the Brunel A network at (g, eta) in the search box, or `None` when
/// the stationary state or the response cannot be computed. `Some(None)`: no root in the box.
fn leading(g: f64, eta: f64, guess: &mut Option<balnet::theory::State>) -> Option<Option<Point>> {
    let m = presets::brunel_a(g, eta, 0.1, 1000, 10_000, 2_500).ok()?;
    let st = stationary::solve(&m, Limit::Finite, &[], &[], guess.as_ref())
        .or_else(|_| stationary::solve(&m, Limit::Finite, &[], &[], None))
        .ok()?;
    *guess = Some(st.clone());
    let net = NetworkResponse::new(&m, &st, &ClosedForm, ResponseOptions::default()).ok()?;
    let search = RootBox {
        re_min: -30.0,
        re_max: 500.0,
        f_max: 700.0,
    };
    let roots = stability(&net, &search).ok()?.eigenvalues;
    Some(roots.first().map(|lead| Point {
        growth: lead.growth_rate_hz,
        freq: lead.frequency_hz,
    }))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(100);
    let out = std::path::PathBuf::from(args.get(2).cloned().unwrap_or_else(|| "out".into()));
    std::fs::create_dir_all(&out)?;
    let gs: Vec<f64> = (0..n)
        .map(|i| 2.0 + 6.0 * i as f64 / (n - 1).max(1) as f64)
        .collect();
    let etas: Vec<f64> = (0..n)
        .map(|i| 0.8 + 3.2 * i as f64 / (n - 1).max(1) as f64)
        .collect();
    let t0 = Instant::now();
    let rows: Vec<Vec<Option<Option<Point>>>> = etas
        .par_iter()
        .map(|&eta| {
            let mut guess = None;
            gs.iter().map(|&g| leading(g, eta, &mut guess)).collect()
        })
        .collect();
    let wall = t0.elapsed().as_secs_f64();
    let unstable = rows
        .iter()
        .flatten()
        .flatten()
        .flatten()
        .filter(|p| p.growth > 0.0)
        .count();
    let failed = rows.iter().flatten().filter(|p| p.is_none()).count();
    println!(
        "phase_brunel_stability: {n} x {n} points in {wall:.2} s on {} threads ({:.2} ms per point); {unstable} oscillatory, {failed} without a result",
        rayon::current_num_threads(),
        1e3 * wall / (n * n) as f64
    );
    // colour: frequency of the leading root where it is unstable, NaN (grey) where stable
    let freq: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|p| match p {
                    Some(Some(p)) if p.growth > 0.0 => p.freq,
                    _ => f64::NAN,
                })
                .collect()
        })
        .collect();
    let growth: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|p| match p {
                    Some(Some(p)) => p.growth,
                    // no root with Re > -30 1/s: stable, drawn at the box edge
                    Some(None) => -30.0,
                    None => f64::NAN,
                })
                .collect()
        })
        .collect();
    balnet::plot::heatmap(
        &out.join("phase_brunel_stability_freq"),
        &balnet::plot::Heatmap {
            title: "Brunel A: frequency of the unstable root (grey: none below 700 Hz)",
            x_label: "g (relative inhibition)",
            y_label: "eta = nu_ext / nu_thr",
            bar_label: "frequency (Hz)",
            xs: &gs,
            ys: &etas,
            values: &freq,
        },
    )?;
    balnet::plot::heatmap(
        &out.join("phase_brunel_stability_growth"),
        &balnet::plot::Heatmap {
            title: "Brunel A: leading Re(lambda) (> 0 oscillatory; -30: no root in box)",
            x_label: "g (relative inhibition)",
            y_label: "eta = nu_ext / nu_thr",
            bar_label: "Re lambda (1/s)",
            xs: &gs,
            ys: &etas,
            values: &growth,
        },
    )?;
    let json = serde_json::json!({
        "g": gs, "eta": etas,
        "growth_rate_hz_or_box_edge": growth, "frequency_hz": rows.iter().map(|r| r.iter().map(|p| p.flatten().map(|p| p.freq)).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "wall_s": wall, "threads": rayon::current_num_threads(),
        "mode": "finite K, Siegert state, diffusion response in closed form (parabolic cylinder functions)",
    });
    std::fs::write(
        out.join("phase_brunel_stability.json"),
        serde_json::to_string(&json)?,
    )?;
    println!(
        "wrote {}/phase_brunel_stability_{{freq,growth}}.png and .json",
        out.display()
    );
    Ok(())
}
