//! The default model's input step (docs/theory.md 12.5): the default preset (grid mode,
//! loadings re-centred to the Model's moments) over many seeds. Theory (finite K) against
//! the trial average of `kappa`, mean V and rates; rate-distribution moments and silent
//! fraction in sliding windows of 100 ms; global activity (rates, pair correlations,
//! synchrony) before against after the step, theory's change against the simulated change.
//!
//! `cargo run --release --example claim_step -- [trials] [out_dir]` (defaults: 6,
//! `out/step`); writes `claim.json`, `trajectory.png/svg`, `windows.png/svg`.

use std::path::PathBuf;
use std::time::Instant;

use balnet::claims;
use balnet::model::SimMode;
use balnet::{plot, presets};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let n: u64 = a.first().map_or(Ok(6), |s| s.parse())?;
    let out = PathBuf::from(a.get(1).map_or("out/step", String::as_str));
    let start = Instant::now();
    let mut model = presets::default_model();
    model.sim.mode = SimMode::Grid;
    model.sim.exact_loadings = true;
    let t_end = model.sim.warmup + model.sim.duration;
    let w0 = model.sim.warmup;
    let mut windows = claims::consecutive_windows(w0, t_end, 0.1);
    // long windows for the global comparison: before the step, and after kappa settled
    let before = windows.len();
    windows.push([w0, 1.5]);
    windows.push([2.0, t_end]);
    let (theory, trials) = claims::run_claim(&model, n, None, 0.01, &windows)?;
    let traj = claims::compare_trajectory(&theory, &trials, w0)?;
    let win = claims::compare_windows(&model, &theory, &trials, &windows)?;
    let global = claims::global_changes(&win, &trials, windows.len(), before, before + 1)?;
    let cpu: f64 = trials.iter().map(|t| t.cpu_s).sum();
    std::fs::create_dir_all(&out)?;
    plot::save(
        &out.join("trajectory"),
        &plot::claim_trajectory_panels(
            &traj,
            &trials,
            3,
            "Input step at 1.5 s (default model)",
            None,
        ),
    )?;
    let pops = model.p();
    plot::save(
        &out.join("windows"),
        &plot::claim_window_panels(&win[..before * pops], "Input step"),
    )?;
    let json = serde_json::json!({
        "model": model,
        "trials": n,
        "kappa_rms_relative": traj.kappa_rms_relative,
        "windows": win,
        "global_changes_before_vs_after": global,
        "trajectory": traj,
        "sim_cpu_s": cpu,
        "wall_s": start.elapsed().as_secs_f64(),
    });
    std::fs::write(out.join("claim.json"), serde_json::to_string_pretty(&json)?)?;
    println!(
        "step: kappa RMS {:.1}% of range",
        100.0 * traj.kappa_rms_relative
    );
    for w in &win[before * pops..] {
        println!(
            "{} {:?}: rate th {:.3} sim {:.3}+-{:.3}; V th {:.3} sim {:.3}+-{:.3}; sd th {:.2} sim {:.2}+-{:.2}; silent th {:.4} sim {:.4}+-{:.4}; corr {:.4}+-{:.4}; fano1ms {:.2}+-{:.2}",
            w.population,
            w.window_s,
            w.theory_rate_hz,
            w.sim_rate_hz.mean,
            w.sim_rate_hz.sem,
            w.theory_mean_v_mv,
            w.sim_mean_v_mv.mean,
            w.sim_mean_v_mv.sem,
            w.theory_rate_sd_hz,
            w.sim_rate_sd_hz.mean,
            w.sim_rate_sd_hz.sem,
            w.theory_silent_fraction,
            w.sim_silent_fraction.mean,
            w.sim_silent_fraction.sem,
            w.sim_pair_corr.mean,
            w.sim_pair_corr.sem,
            w.sim_fano_1ms.mean,
            w.sim_fano_1ms.sem
        );
    }
    for g in &global {
        println!("{g}");
    }
    println!(
        "{n} trials, simulation CPU {cpu:.0} s, total wall {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
