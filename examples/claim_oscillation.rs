//! A latent oscillation (docs/theory.md 12.3): the `latent-oscillation` preset over many
//! seeds. `kappa = 0` is an unstable focus; a cue sets the phase, then `kappa` circles on
//! the theory's limit cycle. Theory (finite K) against the trial average, frequency and
//! radius per trial, and the predictions of docs/theory.md 2.6 in sliding windows.
//!
//! `cargo run --release --example claim_oscillation -- [trials] [out_dir]` (defaults: 12,
//! `out/oscillation`); writes `claim.json`, `trajectory.png/svg`, `windows.png/svg`.

use std::path::PathBuf;
use std::time::Instant;

use balnet::claims;
use balnet::{plot, presets};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let n: u64 = a.first().map_or(Ok(12), |s| s.parse())?;
    let out = PathBuf::from(a.get(1).map_or("out/oscillation", String::as_str));
    let start = Instant::now();
    let model = presets::latent_oscillation();
    let t_end = model.sim.warmup + model.sim.duration;
    let windows = claims::consecutive_windows(0.2, t_end, 0.2);
    let (theory, trials) = claims::run_claim(&model, n, None, 0.01, &windows)?;
    let traj = claims::compare_trajectory(&theory, &trials, model.sim.warmup)?;
    // the first cycle after the cue, and the whole of it
    let first_cycle = claims::compare_trajectory(&theory, &trials, 0.6).and_then(|c| {
        let keep: Vec<usize> = (0..c.time_s.len())
            .filter(|&i| c.time_s[i] <= 1.7)
            .collect();
        let th: Vec<Vec<f64>> = keep.iter().map(|&i| c.theory_kappa_hz[i].clone()).collect();
        let sm: Vec<Vec<f64>> = keep
            .iter()
            .map(|&i| c.sim_kappa_hz.iter().map(|s| s.mean[i]).collect())
            .collect();
        balnet::analysis::trajectory::rms_relative(&th, &sm)
    })?;
    let osc = claims::oscillation_report(&model, &theory, &trials, [1.0, t_end])?;
    let win = claims::compare_windows(&model, &theory, &trials, &windows)?;
    let last = windows.len() - 1;
    let global = claims::global_changes(&win, &trials, windows.len(), 4, last)?;
    let cpu: f64 = trials.iter().map(|t| t.cpu_s).sum();
    std::fs::create_dir_all(&out)?;
    plot::save(
        &out.join("trajectory"),
        &plot::claim_trajectory_panels(
            &traj,
            &trials,
            3,
            "Latent oscillation, cue at phase 0",
            Some(([0.2, 0.6], "cue")),
        ),
    )?;
    plot::save(
        &out.join("windows"),
        &plot::claim_window_panels(&win, "Latent oscillation"),
    )?;
    let json = serde_json::json!({
        "model": model,
        "trials": n,
        "kappa_rms_relative": traj.kappa_rms_relative,
        "kappa_rms_relative_first_cycle_0p6_to_1p7_s": first_cycle,
        "oscillation": osc,
        "windows": win,
        "global_changes": global,
        "trajectory": traj,
        "sim_cpu_s": cpu,
        "wall_s": start.elapsed().as_secs_f64(),
    });
    std::fs::write(out.join("claim.json"), serde_json::to_string_pretty(&json)?)?;
    println!(
        "oscillation: kappa RMS {:.1}% of range (first cycle {:.1}%); omega theory {:.3} rad/s, sim {:.3} +- {:.3} ({:+.1}%); radius theory {:.2} Hz, sim {:.2} +- {:.2} ({:+.1}%); origin eigenvalue {:?} /s",
        100.0 * traj.kappa_rms_relative,
        100.0 * first_cycle,
        osc.theory_omega_rad_s,
        osc.sim_omega_rad_s.mean,
        osc.sim_omega_rad_s.sem,
        100.0 * osc.omega_rel_error,
        osc.theory_radius_hz,
        osc.sim_radius_hz.mean,
        osc.sim_radius_hz.sem,
        100.0 * osc.radius_rel_error,
        osc.origin_eigenvalue
    );
    for g in &global {
        println!("{g}");
    }
    println!(
        "{n} trials, simulation CPU {cpu:.0} s, total wall {:.0} s",
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
