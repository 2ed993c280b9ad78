//! Grid vs precise integration and convergence in dt for the default model
//! (docs/theory.md section 3): rates, mean V and kappa before and after the input step, at
//! dt = 0.1, 0.05, 0.025 ms, grid and precise, same network (same seed).
//!
//! `cargo run --release --example sim_dt_convergence -- [end_time_s] [threads]`
//! (default: the model's warm-up + duration; the input step is at 1.5 s).

use balnet::model::SimMode;
use balnet::sim::{RunOptions, SimResult, simulate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let base = balnet::presets::default_model();
    let end: f64 = args
        .first()
        .map_or(Ok(base.sim.warmup + base.sim.duration), |s| s.parse())?;
    let threads: usize = args.get(1).map_or(Ok(0), |s| s.parse())?;
    let t_step = base
        .latent
        .as_ref()
        .and_then(|l| l.signal.breakpoints().first().copied())
        .unwrap_or(f64::INFINITY);
    println!(
        "default model, warm-up {} s, run to {end} s, input step at {t_step} s",
        base.sim.warmup
    );
    println!(
        "{:>8} {:>8} | {:>8} {:>8} {:>8} {:>8} | {:>8} {:>8} | {:>8} {:>8} | {:>6} {:>7}",
        "mode",
        "dt_ms",
        "rE_pre",
        "rI_pre",
        "rE_post",
        "rI_post",
        "VE_pre",
        "VE_post",
        "kap_pre",
        "kap_post",
        "chiE",
        "wall_s"
    );
    for mode in [SimMode::Grid, SimMode::Precise] {
        for dt in [1e-4, 5e-5, 2.5e-5] {
            let mut m = base.clone();
            m.sim.dt = dt;
            m.sim.mode = mode;
            m.sim.duration = end - m.sim.warmup;
            m.sim.record_bin = 0.01;
            let r = simulate(
                &m,
                &RunOptions {
                    threads,
                    quiet: true,
                    out_dir: None,
                },
            )?;
            // windows: before the step, and from 0.5 s after it (kappa has relaxed) to the end
            let pre = |x: &[f64]| window(&r, x, m.sim.warmup, t_step);
            let post = |x: &[f64]| window(&r, x, t_step + 0.5, end);
            let kap: Vec<f64> = r
                .kappa_t
                .iter()
                .map(|k| k.first().copied().unwrap_or(0.0))
                .collect();
            let (e, i) = (&r.populations[0], &r.populations[1]);
            println!(
                "{:>8} {:>8.3} | {:>8.3} {:>8.3} {:>8.3} {:>8.3} | {:>8.3} {:>8.3} | {:>8.3} {:>8.3} | {:>6.3} {:>7.1}",
                format!("{mode:?}"),
                dt * 1e3,
                pre(&e.rate_t),
                pre(&i.rate_t),
                post(&e.rate_t),
                post(&i.rate_t),
                pre(&e.mean_v_t),
                post(&e.mean_v_t),
                pre(&kap),
                post(&kap),
                e.chi,
                r.wall_s
            );
        }
    }
    Ok(())
}

/// Mean of a binned series over bins whose centres lie in `[t0, t1)` (NaN if none).
fn window(r: &SimResult, x: &[f64], t0: f64, t1: f64) -> f64 {
    let v: Vec<f64> = r
        .time_s
        .iter()
        .zip(x)
        .filter(|(t, _)| **t >= t0 && **t < t1)
        .map(|(_, v)| *v)
        .collect();
    if v.is_empty() {
        f64::NAN
    } else {
        v.iter().sum::<f64>() / v.len() as f64
    }
}
