//! Continuous memory on a ring (docs/theory.md 12.2): the `ring-memory` preset over many
//! seeds. A cue sets the angle; the network holds it; the angle diffuses. Theory (finite K)
//! against the trial average, the radius, the angle diffusion against the theory's
//! prediction, and the predictions of docs/theory.md 2.6 in sliding windows.
//!
//! `cargo run --release --example claim_ring -- [trials] [out_dir] [network_seed]` (defaults:
//! 16, `out/ring`, one network per trial); writes `claim.json`, `trajectory.png/svg`,
//! `windows.png/svg`, `diffusion.png/svg`. With `network_seed` every trial runs the same
//! network under its own noise seed (docs/theory.md 3), so the spread of the angle across
//! trials is that network's diffusion, without the quenched drift between networks.

use std::path::PathBuf;
use std::time::Instant;

use balnet::claims;
use balnet::{plot, presets};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let n: u64 = a.first().map_or(Ok(16), |s| s.parse())?;
    let out = PathBuf::from(a.get(1).map_or("out/ring", String::as_str));
    let network_seed: Option<u64> = a.get(2).map(|s| s.parse()).transpose()?;
    let start = Instant::now();
    let model = presets::ring_memory();
    let t_end = model.sim.warmup + model.sim.duration;
    let windows = claims::consecutive_windows(0.2, t_end, 0.2);
    let (theory, trials) = claims::run_claim(&model, n, network_seed, 0.01, &windows)?;
    let traj = claims::compare_trajectory(&theory, &trials, model.sim.warmup)?;
    let ring = claims::ring_report(&model, &trials, [1.2, t_end])?;
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
            4,
            "Ring memory, cue at angle 0",
            Some(([0.2, 0.6], "cue")),
        ),
    )?;
    plot::save(
        &out.join("windows"),
        &plot::claim_window_panels(&win, "Ring memory"),
    )?;
    if let Some(panel) = plot::claim_diffusion_panel(&ring) {
        plot::save(&out.join("diffusion"), &[panel])?;
    }
    let json = serde_json::json!({
        "model": model,
        "trials": n,
        "network_seed": network_seed,
        "kappa_rms_relative": traj.kappa_rms_relative,
        "ring": ring,
        "windows": win,
        "global_changes_hold_start_vs_end": global,
        "trajectory": traj,
        "sim_cpu_s": cpu,
        "wall_s": start.elapsed().as_secs_f64(),
    });
    std::fs::write(out.join("claim.json"), serde_json::to_string_pretty(&json)?)?;
    println!(
        "ring: kappa RMS {:.1}% of range; radius theory {:.2} Hz, sim {:.2} +- {:.2} Hz ({:+.1}%)",
        100.0 * traj.kappa_rms_relative,
        ring.theory_radius_hz,
        ring.sim_radius_hz.mean,
        ring.sim_radius_hz.sem,
        100.0 * ring.radius_rel_error
    );
    println!(
        "angle: start {:.3} +- {:.3} rad, end {:.3} +- {:.3} rad; variance slope sim {:.2e} +- {:.1e}, theory {:.2e} (Poisson) / {:.2e} (CV^2) rad^2/s",
        ring.sim_angle_start_rad.mean,
        ring.sim_angle_start_rad.sem,
        ring.sim_angle_end_rad.mean,
        ring.sim_angle_end_rad.sem,
        ring.diffusion
            .as_ref()
            .map_or(f64::NAN, |d| d.slope_rad2_per_s),
        ring.diffusion.as_ref().map_or(f64::NAN, |d| d.slope_se),
        ring.theory_variance_slope_rad2_per_s,
        ring.theory_variance_slope_cv2_rad2_per_s
    );
    if let Some(w) = &ring.within_trial {
        println!(
            "within-trial (one network, its own noise; Allan variance, lags {:.2}-{:.2} s): slope {:.2e} +- {:.1e} rad^2/s over {} networks, theory {:.2e} (Poisson) / {:.2e} (CV^2)",
            w.lag_s[0],
            w.lag_s[w.lag_s.len() - 1],
            w.slope_rad2_per_s,
            w.slope_se,
            w.slope_per_trial.len(),
            ring.theory_variance_slope_rad2_per_s,
            ring.theory_variance_slope_cv2_rad2_per_s
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
