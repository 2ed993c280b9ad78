//! Run the simulator on a preset and print the summary.
//!
//! `cargo run --release --example sim_run -- [preset] [duration_s] [threads] [grid|precise] [dt_s] [warmup_s]`

use balnet::model::SimMode;
use balnet::sim::{RunOptions, simulate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let preset = args.first().map_or("brunel-a", |s| s.as_str());
    let mut model = balnet::presets::by_name(preset)?;
    if let Some(x) = args.get(1) {
        model.sim.duration = x.parse()?;
    }
    let threads: usize = args.get(2).map_or(Ok(1), |s| s.parse())?;
    if let Some(m) = args.get(3) {
        model.sim.mode = if m == "precise" {
            SimMode::Precise
        } else {
            SimMode::Grid
        };
    }
    if let Some(x) = args.get(4) {
        model.sim.dt = x.parse()?;
    }
    if let Some(x) = args.get(5) {
        model.sim.warmup = x.parse()?;
    }
    let r = simulate(
        &model,
        &RunOptions {
            threads,
            quiet: false,
            out_dir: None,
        },
    )?;
    for p in &r.populations {
        println!(
            "{}: rate {:.3} Hz (sd {:.2}), CV {:.3}, corr {:.4}, <V> {:.3} mV, chi {:.3}, popCV {:.3}, Fano {:.2}, silent {:.3}",
            p.name,
            p.rate_hz,
            p.rate_sd_hz,
            p.cv_isi,
            p.pair_corr,
            p.mean_v_mv,
            p.chi,
            p.pop_rate_cv,
            p.fano_1ms,
            p.silent_fraction
        );
    }
    println!("kappa_mean {:?}", r.kappa_mean);
    println!(
        "cpu {:?} s for {} s simulated",
        r.cpu_s,
        r.duration + r.warmup
    );
    println!(
        "synapses {} events {} wall {:.3} s (build {:.2} s) -> {:.3e} events/s, {:.3} s wall per sim s; {:.3} B/syn (total state {:.2} B/syn); Dale {:.3e}",
        r.n_synapses,
        r.synaptic_events,
        r.wall_s,
        r.build_s,
        r.events_per_s,
        r.wall_s / (r.duration + r.warmup),
        r.memory_bytes_per_synapse,
        r.memory_total_bytes_per_synapse,
        r.dale_violation_fraction
    );
    Ok(())
}
