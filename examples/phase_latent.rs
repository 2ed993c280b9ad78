//! Phase diagram of the latent fixed points of the default model family (docs/theory.md 2.4-2.6.1,
//! section 5): rank-one Gaussian loadings on E and I (`sigma_m = 20` mV, `sigma_n = 1.5`,
//! `w = 0.09 m`, so `Sigma^{nw} = 0.09 Sigma^{nm}`), Bernoulli connectivity, `s = 0`, finite K,
//! over the overlap `Sigma^{nm}` (0..30 mV; 30 = `sigma_n sigma_m` is the realizability bound)
//! and one balance parameter:
//!
//! - `g`   (default): all inhibitory couplings `J_AI` scaled by `g` (1 = the default model).
//!   The balanced rates are then `nu_E = 1.2` Hz for every `g` and `nu_I = 9.6/g` Hz, so the
//!   balanced state exists on the whole axis; use `ge` to see its boundary;
//! - `ge`: only the inhibition onto E, `J_EI`, scaled (the E-I balance condition moves);
//! - `nu0`: the external rate `nu_0` (Hz).
//!
//! Per grid point: the number of stable latent fixed points (`|kappa| <= 60` Hz searched on a
//! 3 Hz grid, pairs closer to 0 or up to 180 Hz recovered by a bracketed root), `|kappa*|`
//! of the largest stable one, and the coherent shift of the E mean potential `d<V>_E/dkappa`
//! (secant from `kappa = 0` to `kappa*`; without a non-zero stable fixed point, the slope
//! from `kappa = 0` to `kappa = 1` Hz, which is ~0 by the `kappa -> -kappa` symmetry of
//! zero-mean loadings). Marked: points without a balanced state (`balanced_rates` fails: a
//! statement about the balanced limit, not about the finite-K numbers shown) and points where
//! the finite-K stationary solve fails (grey in the heat maps, `null` in the JSON).
//!
//! `cargo run --release --example phase_latent -- [N] [OUT_DIR] [g|ge|nu0]` (default 40 x 40, ./out, g).

use std::time::Instant;

use balnet::model::{Loadings, Model};
use balnet::presets;
use balnet::theory::latent::{
    FixedPoint, SearchBox, fixed_points, reduced_jacobian, stability_eigenvalues,
};
use balnet::theory::predictions::{
    FastMode, bifurcation_scale, coherent_shift_states, latent_root_1d,
};
use balnet::theory::{Limit, State, stationary};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;

/// Upper end of the `Sigma^{nm}` axis (mV): `sigma_n sigma_m` of the default loadings.
const SIGMA_NM_MAX: f64 = 30.0;
/// Coarser than the default `SearchBox` (80 Hz, 161 points) so that 1600 points fit in ~2 min
/// on 2 cores: brackets of 3 Hz. Pairs `+-kappa*` it misses (closer to 0 than one bracket,
/// or outside the box) are looked for by [`rescue`].
const SEARCH: SearchBox = SearchBox {
    kappa_max: 60.0,
    grid: 41,
    starts: 0,
};
/// `kappa` (Hz) of the small-step slope where there is no non-zero stable fixed point.
const SMALL_KAPPA: f64 = 1.0;

#[derive(Clone, Copy)]
enum Axis {
    G,
    GE,
    Nu0,
}

impl Axis {
    fn parse(s: &str) -> Result<Self, String> {
        match s {
            "g" => Ok(Axis::G),
            "ge" => Ok(Axis::GE),
            "nu0" => Ok(Axis::Nu0),
            other => Err(format!("unknown axis `{other}` (have: g, ge, nu0)")),
        }
    }
    fn name(self) -> &'static str {
        match self {
            Axis::G => "g",
            Axis::GE => "g_e",
            Axis::Nu0 => "nu0_hz",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Axis::G => "g (scale of J_EI and J_II; 1 = default)",
            Axis::GE => "g_E (scale of J_EI only; 1 = default)",
            Axis::Nu0 => "nu_0 (external rate, Hz)",
        }
    }
    fn range(self) -> (f64, f64) {
        match self {
            Axis::G => (0.6, 1.6),
            // the balanced state exists for 0.909 < g_E < 1.0101 (van Vreeswijk-Sompolinsky conditions)
            Axis::GE => (0.85, 1.15),
            Axis::Nu0 => (0.0, 30.0),
        }
    }
    /// The default model with `Sigma^{nm}` (mV) and this balance parameter set.
    fn model(self, sigma_nm: f64, y: f64) -> Model {
        let mut m = presets::default_model();
        let lat = m
            .latent
            .as_mut()
            .expect("the default model has latent structure");
        // rank_one with w = 0.09 m sets Sigma^{nw} = 0.09 Sigma^{nm}, as in docs/theory.md section 5
        let l = Loadings::rank_one(20.0, 1.5, sigma_nm, Some(0.09));
        lat.loadings = vec![l.clone(), l];
        match self {
            Axis::G => {
                for row in &mut m.j {
                    row[1] *= y;
                }
            }
            Axis::GE => m.j[0][1] *= y,
            Axis::Nu0 => m.external.nu0 = y,
        }
        m
    }
}

/// One grid point. Units in the names; `None` where the quantity does not exist.
#[derive(Clone, Debug, Serialize)]
struct Point {
    sigma_nm_mv: f64,
    y: f64,
    /// `balanced_rates` succeeded (balanced limit).
    balanced_exists: bool,
    balanced_error: Option<String>,
    /// The finite-K stationary state at `kappa = 0` was found.
    finite_ok: bool,
    finite_error: Option<String>,
    /// Finite-K rates at `kappa = 0` (Hz).
    rate_e_hz: Option<f64>,
    rate_i_hz: Option<f64>,
    /// Fixed points in the box, and how many of them are stable.
    n_fixed: Option<usize>,
    n_stable: Option<usize>,
    /// `|kappa*|` of the largest stable fixed point (Hz); 0 if only `kappa = 0` is stable.
    kappa_star_hz: Option<f64>,
    /// `d<V>_A/dkappa` (mV/Hz): secant 0 -> kappa* or the small-kappa slope (see `shift_from`).
    dv_dkappa_e: Option<f64>,
    dv_dkappa_i: Option<f64>,
    /// `<V>_E(kappa*) - <V>_E(0)` (mV), when a non-zero stable fixed point exists.
    delta_v_e_mv: Option<f64>,
    /// "fixed_point" or "small_kappa".
    shift_from: Option<&'static str>,
    /// How the non-zero pair was found: "search" (the `SearchBox` grid), "rescue_inner"
    /// (closer to 0 than one bracket) or "rescue_outer" (beyond `kappa_max`, up to 3x).
    found_by: &'static str,
}

/// A stable `kappa* > 0` that the coarse search missed: Brent's method on
/// `(1e-3 Hz, one bracket)` and on `(kappa_max, 3 kappa_max)`, stability from the reduced
/// Jacobian (docs/theory.md 2.5).
fn rescue(m: &Model) -> Option<(FixedPoint, &'static str)> {
    let step = 2.0 * SEARCH.kappa_max / (SEARCH.grid - 1) as f64;
    let mode = FastMode::network(Limit::Finite);
    for (lo, hi, label) in [
        (1e-3, step, "rescue_inner"),
        (SEARCH.kappa_max, 3.0 * SEARCH.kappa_max, "rescue_outer"),
    ] {
        let Ok(st) = latent_root_1d(m, &mode, &[0.0], lo, hi) else {
            continue;
        };
        let Ok(jac) = reduced_jacobian(m, Limit::Finite, &st) else {
            continue;
        };
        let eigenvalues = stability_eigenvalues(m, &jac);
        let stable = eigenvalues.iter().all(|e| e[0] < 0.0);
        return Some((
            FixedPoint {
                kappa: st.kappa.clone(),
                stable,
                eigenvalues,
                state: st,
            },
            label,
        ));
    }
    None
}

fn evaluate(axis: Axis, sigma_nm: f64, y: f64, guess: &mut Option<State>) -> Point {
    let m = axis.model(sigma_nm, y);
    let (balanced_exists, balanced_error) = match stationary::balanced_rates(&m) {
        Ok(_) => (true, None),
        Err(e) => (false, Some(e.to_string())),
    };
    let mut p = Point {
        sigma_nm_mv: sigma_nm,
        y,
        balanced_exists,
        balanced_error,
        finite_ok: false,
        finite_error: None,
        rate_e_hz: None,
        rate_i_hz: None,
        n_fixed: None,
        n_stable: None,
        kappa_star_hz: None,
        dv_dkappa_e: None,
        dv_dkappa_i: None,
        delta_v_e_mv: None,
        shift_from: None,
        found_by: "",
    };
    // kappa = 0 first, warm-started along the row; a cold start if that fails
    let origin = stationary::solve(&m, Limit::Finite, &[0.0], &[0.0], guess.as_ref())
        .or_else(|_| stationary::solve(&m, Limit::Finite, &[0.0], &[0.0], None));
    let origin = match origin {
        Ok(st) => st,
        Err(e) => {
            p.finite_error = Some(e.to_string());
            *guess = None;
            return p;
        }
    };
    *guess = Some(origin.clone());
    p.finite_ok = true;
    p.rate_e_hz = Some(origin.populations[0].rate_hz);
    p.rate_i_hz = Some(origin.populations[1].rate_hz);
    match fixed_points(&m, Limit::Finite, &[0.0], &SEARCH) {
        Ok(sol) => {
            let mut fps = sol.fixed_points;
            p.found_by = "search";
            if !fps.iter().any(|f| f.stable) {
                // kappa = 0 is unstable and the grid saw no sign change: kappa* is either
                // inside the first bracket or outside the box
                if let Some((fp, where_)) = rescue(&m) {
                    let mut minus = fp.clone();
                    // kappa -> -kappa symmetry (nbar = mbar = 0, s = 0): same stability and fast state
                    minus.kappa[0] = -minus.kappa[0];
                    minus.state.kappa[0] = -minus.state.kappa[0];
                    fps.push(fp);
                    fps.push(minus);
                    p.found_by = where_;
                }
            }
            p.n_fixed = Some(fps.len());
            p.n_stable = Some(fps.iter().filter(|f| f.stable).count());
            let best = fps
                .iter()
                .filter(|f| f.stable)
                .max_by(|a, b| a.kappa[0].abs().total_cmp(&b.kappa[0].abs()));
            p.kappa_star_hz = best.map(|f| f.kappa[0].abs());
            let target = match best {
                Some(f) if f.kappa[0].abs() > 1e-6 => {
                    p.shift_from = Some("fixed_point");
                    Some(f.state.clone())
                }
                _ => {
                    p.shift_from = Some("small_kappa");
                    stationary::solve(&m, Limit::Finite, &[SMALL_KAPPA], &[0.0], Some(&origin)).ok()
                }
            };
            if let Some(b) = target
                && let Ok(sh) = coherent_shift_states(&origin, &b)
            {
                p.dv_dkappa_e = sh.populations[0].dv_dkappa_mv_per_hz;
                p.dv_dkappa_i = sh.populations[1].dv_dkappa_mv_per_hz;
                if p.shift_from == Some("fixed_point") {
                    p.delta_v_e_mv = Some(sh.populations[0].delta_mean_v_mv);
                }
            }
        }
        Err(e) => p.finite_error = Some(format!("latent fixed points: {e}")),
    }
    p
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(40);
    if n < 2 {
        return Err("N must be at least 2".into());
    }
    let out = std::path::PathBuf::from(args.get(2).cloned().unwrap_or_else(|| "out".into()));
    let axis = Axis::parse(args.get(3).map_or("g", String::as_str))?;
    std::fs::create_dir_all(&out)?;
    let lin = |lo: f64, hi: f64| -> Vec<f64> {
        (0..n)
            .map(|i| lo + (hi - lo) * i as f64 / (n - 1) as f64)
            .collect()
    };
    let sigmas = lin(0.0, SIGMA_NM_MAX);
    let (y0, y1) = axis.range();
    let ys = lin(y0, y1);

    let pb = ProgressBar::new((n * n) as u64);
    pb.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} grid points, {elapsed} ({eta} left)",
    )?);
    if !console_is_tty() {
        pb.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let t0 = Instant::now();
    // one row per value of the balance parameter, continued along Sigma^{nm} (warm start)
    let rows: Vec<Vec<Point>> = ys
        .par_iter()
        .map(|&y| {
            let mut guess = None;
            sigmas
                .iter()
                .map(|&snm| {
                    let p = evaluate(axis, snm, y, &mut guess);
                    pb.inc(1);
                    p
                })
                .collect()
        })
        .collect();
    // the bifurcation line Sigma^{nm}_* (mV) per row, both modes (exact at kappa = 0, docs/theory.md 2.4)
    let bif: Vec<(Option<f64>, Option<f64>)> = ys
        .par_iter()
        .map(|&y| {
            let m = axis.model(1.0, y);
            (
                bifurcation_scale(&m, Limit::Finite).ok(),
                bifurcation_scale(&m, Limit::Balanced).ok(),
            )
        })
        .collect();
    pb.finish_and_clear();
    let wall = t0.elapsed().as_secs_f64();

    let all: Vec<&Point> = rows.iter().flatten().collect();
    let count = |f: &dyn Fn(&Point) -> bool| all.iter().filter(|p| f(p)).count();
    println!(
        "phase_latent: {n} x {n} = {} grid points (axis {}) in {wall:.2} s on {} threads ({:.1} ms per point)",
        n * n,
        axis.name(),
        rayon::current_num_threads(),
        1e3 * wall / (n * n) as f64
    );
    println!(
        "  finite-K solve failed at {} points; no balanced state at {} points; bistable (2 stable, kappa* != 0) at {}; no stable fixed point found (|kappa| <= {} Hz) at {}",
        count(&|p| p.n_stable.is_none()),
        count(&|p| !p.balanced_exists),
        count(&|p| p.n_stable == Some(2) && p.kappa_star_hz.is_some_and(|k| k > 0.0)),
        3.0 * SEARCH.kappa_max,
        count(&|p| p.n_stable == Some(0)),
    );
    println!(
        "  pairs missed by the coarse search and found by the rescue: {} closer to 0 than {} Hz, {} beyond {} Hz",
        count(&|p| p.found_by == "rescue_inner"),
        2.0 * SEARCH.kappa_max / (SEARCH.grid - 1) as f64,
        count(&|p| p.found_by == "rescue_outer"),
        SEARCH.kappa_max
    );

    let opt = |v: Option<f64>| v.map_or(String::new(), |x| format!("{x}"));
    let mut csv = format!(
        "sigma_nm_mv,{},balanced_exists,finite_ok,rate_e_hz,rate_i_hz,n_fixed,n_stable,kappa_star_hz,dv_dkappa_e_mv_per_hz,dv_dkappa_i_mv_per_hz,delta_v_e_mv,shift_from,found_by\n",
        axis.name()
    );
    for p in &all {
        csv.push_str(&format!(
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
            p.sigma_nm_mv,
            p.y,
            p.balanced_exists,
            p.finite_ok,
            opt(p.rate_e_hz),
            opt(p.rate_i_hz),
            p.n_fixed.map_or(String::new(), |v| v.to_string()),
            p.n_stable.map_or(String::new(), |v| v.to_string()),
            opt(p.kappa_star_hz),
            opt(p.dv_dkappa_e),
            opt(p.dv_dkappa_i),
            opt(p.delta_v_e_mv),
            p.shift_from.unwrap_or(""),
            p.found_by,
        ));
    }
    std::fs::write(out.join("phase_latent.csv"), csv)?;
    let json = serde_json::json!({
        "mode": "finite K (K = 1000), Siegert, Poisson closure; balanced_exists refers to the balanced limit",
        "model": "default (Bernoulli, rank one, sigma_m = 20 mV, sigma_n = 1.5, Sigma^nw = 0.09 Sigma^nm), s = 0",
        "axis": axis.name(), "axis_label": axis.label(),
        "sigma_nm_mv": sigmas, "y": ys,
        "search_box": SEARCH,
        "bifurcation_sigma_nm_finite_mv": bif.iter().map(|b| b.0).collect::<Vec<_>>(),
        "bifurcation_sigma_nm_balanced_mv": bif.iter().map(|b| b.1).collect::<Vec<_>>(),
        "points": rows,
        "wall_s": wall, "threads": rayon::current_num_threads(),
    });
    std::fs::write(out.join("phase_latent.json"), serde_json::to_string(&json)?)?;

    let map = |f: &dyn Fn(&Point) -> Option<f64>| -> Vec<Vec<f64>> {
        rows.iter()
            .map(|r| r.iter().map(|p| f(p).unwrap_or(f64::NAN)).collect())
            .collect()
    };
    let x_label = "Sigma^nm (mV)";
    let heat = |stem: &str, title: &str, bar: &str, v: Vec<Vec<f64>>| {
        balnet::plot::heatmap(
            &out.join(stem),
            &balnet::plot::Heatmap {
                title,
                x_label,
                y_label: axis.label(),
                bar_label: bar,
                xs: &sigmas,
                ys: &ys,
                values: &v,
            },
        )
    };
    heat(
        "phase_latent_n_stable",
        "Stable latent fixed points, finite K (grey: solve failed)",
        "count",
        map(&|p| p.n_stable.map(|v| v as f64)),
    )?;
    heat(
        "phase_latent_kappa_star",
        "|kappa*| of the largest stable fixed point, finite K",
        "Hz",
        map(&|p| p.kappa_star_hz),
    )?;
    heat(
        "phase_latent_dv_dkappa",
        "d<V>_E/dkappa, finite K: secant 0 -> kappa* (else 0 -> 1 Hz)",
        "mV/Hz",
        map(&|p| p.dv_dkappa_e),
    )?;
    // status: 0 ok, 1 no balanced state (balanced limit), 2 finite-K failure, 3 both
    heat(
        "phase_latent_status",
        "0 ok, 1 no balanced state (K -> inf), 2 finite-K fails, 3 both",
        "status",
        map(&|p| {
            Some(f64::from(
                u8::from(!p.balanced_exists) + 2 * u8::from(p.n_stable.is_none()),
            ))
        }),
    )?;
    println!(
        "wrote {}/phase_latent.{{csv,json}} and phase_latent_{{n_stable,kappa_star,dv_dkappa,status}}.png",
        out.display()
    );
    Ok(())
}

fn console_is_tty() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}
