//! Phase diagram of Brunel (2000) model A from the linear stability of the asynchronous
//! state (docs/theory.md 6.3): the leading root of det(I - W(lambda)) = 0 over the
//! (g, eta = nu_ext / nu_thr) plane. Regions: asynchronous-irregular (every root has
//! Re < 0) and oscillatory (a root with Re > 0), the boundary between them, and the
//! frequency of the leading root as colour.
//!
//! One point inside each region of Brunel (2000) Fig. 8 (SR g = 3, eta = 2; AI g = 5,
//! eta = 2; SI fast g = 6, eta = 4; SI slow g = 4.5, eta = 0.9) is also simulated
//! (N_E = 10,000, precise mode): the points are marked on the figures with the peak
//! frequency of the simulated E population-rate spectrum (docs/theory.md 6.5) and
//! Golomb's synchrony measure chi (docs/theory.md 2.7), and theory (leading root) and
//! simulation are printed side by side (with the linear response's chi where the state is
//! stable, docs/theory.md 6.3).
//!
//! `cargo run --release --example phase_brunel_stability -- [N] [OUT_DIR] [--quick] [--sim-duration S] [--no-sim]`
//! (default 100 x 100, ./out, 1 s simulated per point after 0.2 s; `--quick`: 30 x 30 and
//! 0.3 s). Every point searches the box -30 <= Re lambda <= 500 1/s,
//! frequencies up to 700 Hz, by the argument principle; the stationary state is continued
//! along each row of eta.

use std::time::Instant;

use balnet::plot::Marker;
use balnet::presets;
use balnet::sim::{RunOptions, simulate};
use balnet::theory::response::{
    ClosedForm, NetworkResponse, ResponseOptions, RootBox, SpikeSpectrum, stability,
};
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

/// One point per region of Brunel (2000), Fig. 8: (region, g, eta).
const REGIONS: [(&str, f64, f64); 4] = [
    ("SR", 3.0, 2.0),
    ("AI", 5.0, 2.0),
    ("SI fast", 6.0, 4.0),
    ("SI slow", 4.5, 0.9),
];

/// What the simulation of one region's point measured.
struct SimPoint {
    region: &'static str,
    g: f64,
    eta: f64,
    rate_hz: f64,
    chi: f64,
    peak_hz: Option<f64>,
    theory: Option<Option<Point>>,
    rate_theory_hz: Option<f64>,
    /// The linear response's chi of the E population (docs/theory.md 6.3), where the
    /// asynchronous state is stable.
    chi_theory: Option<f64>,
}

/// Simulate Brunel A at (g, eta) for `duration` s after 0.2 s (precise mode, seed 1) and
/// read the E population's rate, chi and spectral peak in 5-500 Hz (docs/theory.md 6.5).
fn simulate_point(
    region: &'static str,
    g: f64,
    eta: f64,
    duration: f64,
) -> Result<SimPoint, Box<dyn std::error::Error>> {
    let mut m = presets::brunel_a(g, eta, 0.1, 1000, 10_000, 2_500)?;
    m.sim.duration = duration;
    m.sim.warmup = 0.2;
    m.sim.mode = balnet::model::SimMode::Precise;
    // at least three segments, at most 0.25 s (4 Hz resolution)
    m.sim.spectrum_segment = (duration / 2.0).min(0.25);
    let sim = simulate(&m, &RunOptions::default())?;
    let e = &sim.populations[0];
    let peak_hz = e.epoch_rate_spectra.first().and_then(|s| {
        balnet::sim::spectrum::peak_frequency(&s.frequencies_hz, &s.power_hz, 5.0, 500.0)
    });
    let st = stationary::solve(&m, Limit::Finite, &[], &[], None).ok();
    let rate_theory_hz = st.as_ref().map(|s| s.populations[0].rate_hz);
    let theory = leading(g, eta, &mut None);
    let stable = matches!(theory, Some(None)) || matches!(theory, Some(Some(r)) if r.growth < 0.0);
    let chi_theory = st.as_ref().filter(|_| stable).and_then(|st| {
        let net = NetworkResponse::new(&m, st, &ClosedForm, ResponseOptions::default()).ok()?;
        let v = net
            .voltage_synchrony(SpikeSpectrum::Renewal, 2000.0, 2001)
            .ok()?;
        Some(v[0].chi)
    });
    Ok(SimPoint {
        region,
        g,
        eta,
        rate_hz: e.rate_hz,
        chi: e.chi,
        peak_hz,
        theory,
        rate_theory_hz,
        chi_theory,
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let all: Vec<String> = std::env::args().collect();
    let quick = all.iter().any(|a| a == "--quick");
    let no_sim = all.iter().any(|a| a == "--no-sim");
    let mut sim_duration = if quick { 0.3 } else { 1.0 };
    let mut args: Vec<String> = vec![all[0].clone()];
    let mut it = all.iter().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--quick" | "--no-sim" => {}
            "--sim-duration" => {
                sim_duration = it.next().ok_or("--sim-duration needs seconds")?.parse()?;
            }
            _ => args.push(a.clone()),
        }
    }
    let n: usize = args
        .get(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(if quick { 30 } else { 100 });
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
    // one simulated point per region
    let mut points = Vec::new();
    if !no_sim {
        for &(region, g, eta) in &REGIONS {
            let t = Instant::now();
            let p = simulate_point(region, g, eta, sim_duration)?;
            println!(
                "  simulated {region} (g = {g}, eta = {eta}, {sim_duration} s) in {:.1} s",
                t.elapsed().as_secs_f64()
            );
            points.push(p);
        }
        println!(
            "\n{:<8} {:>4} {:>4} | {:>22} {:>10} {:>9} | {:>9} {:>10} {:>6}",
            "region", "g", "eta", "theory: leading root", "nu_E", "chi", "sim: nu_E", "peak", "chi"
        );
        for p in &points {
            let root = match p.theory {
                Some(Some(r)) => format!("{:+.1} 1/s at {:.1} Hz", r.growth, r.freq),
                Some(None) => "none with Re > -30 1/s".into(),
                None => "not computed".into(),
            };
            println!(
                "{:<8} {:>4} {:>4} | {:>22} {:>7.1} Hz {:>9} | {:>6.1} Hz {:>7} Hz {:>6.3}",
                p.region,
                p.g,
                p.eta,
                root,
                p.rate_theory_hz.unwrap_or(f64::NAN),
                p.chi_theory
                    .map_or("unstable".into(), |c| format!("{c:.3}")),
                p.rate_hz,
                p.peak_hz.map_or("-".into(), |f| format!("{f:.1}")),
                p.chi
            );
        }
    }
    let markers: Vec<Marker> = points
        .iter()
        .map(|p| Marker {
            x: p.g,
            y: p.eta,
            label: format!(
                "{} sim: peak {}, chi {:.2}",
                p.region,
                p.peak_hz.map_or("none".into(), |f| format!("{f:.0} Hz")),
                p.chi
            ),
        })
        .collect();
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
    balnet::plot::heatmap_marked(
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
        &markers,
    )?;
    balnet::plot::heatmap_marked(
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
        &markers,
    )?;
    let json = serde_json::json!({
        "g": gs, "eta": etas,
        "growth_rate_hz_or_box_edge": growth, "frequency_hz": rows.iter().map(|r| r.iter().map(|p| p.flatten().map(|p| p.freq)).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "wall_s": wall, "threads": rayon::current_num_threads(),
        "mode": "finite K, Siegert state, diffusion response in closed form (parabolic cylinder functions)",
        "simulated_points": points.iter().map(|p| serde_json::json!({
            "region": p.region, "g": p.g, "eta": p.eta, "duration_s": sim_duration,
            "sim_rate_e_hz": p.rate_hz, "sim_chi_e": p.chi, "sim_peak_e_hz": p.peak_hz,
            "theory_chi_e": p.chi_theory,
            "theory_rate_e_hz": p.rate_theory_hz,
            "theory_leading_root": p.theory.flatten().map(|r| serde_json::json!({"growth_rate_hz": r.growth, "frequency_hz": r.freq})),
        })).collect::<Vec<_>>(),
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
