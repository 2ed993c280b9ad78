//! Thread scaling of the simulator's time loop: Brunel (2000) model A (g = 5, eta = 2,
//! J = 0.1 mV, C_E = 1000, N_I = N_E / 4, seed 1) in grid and precise mode, for each
//! thread count given. Prints one JSON line per (mode, threads): the time loop's CPU
//! seconds (all threads) and wall seconds per simulated second, recurrent synaptic
//! events per CPU-second, the 1-minute load average before the run (the machine's
//! other work; timings are comparable only at a low load), and whether the run's
//! spikes equal those of the first thread count (results must not depend on it).
//! Results and commands: docs/simulator.md ("Threads").
//!
//! `cargo run --release --example sim_threads -- [N_E] [duration_s] [warmup_s] [threads,...] [modes,...]`
//!
//! Defaults: `10000 0.2 0.05 1,2 grid,precise`.

use balnet::model::SimMode;
use balnet::sim::{RunOptions, SimResult, simulate};

/// The 1-minute load average (`/proc/loadavg`), Linux.
fn load_avg() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|t| t.split_whitespace().next().and_then(|x| x.parse().ok()))
        .unwrap_or(f64::NAN)
}

/// What must not depend on the thread count: every neuron's spike count, the raster
/// and the number of synaptic events.
fn spikes_of(r: &SimResult) -> (u64, Vec<Vec<f64>>, Vec<Vec<f64>>) {
    (
        r.synaptic_events,
        r.populations.iter().map(|p| p.rates_hz.clone()).collect(),
        r.populations
            .iter()
            .map(|p| p.raster_times.clone())
            .collect(),
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let n_e: usize = args.first().map_or(Ok(10_000), |s| s.parse())?;
    let duration: f64 = args.get(1).map_or(Ok(0.2), |s| s.parse())?;
    let warmup: f64 = args.get(2).map_or(Ok(0.05), |s| s.parse())?;
    let threads: Vec<usize> = args
        .get(3)
        .map_or("1,2", |s| s.as_str())
        .split(',')
        .map(|x| x.parse())
        .collect::<Result<_, _>>()?;
    let modes: Vec<SimMode> = args
        .get(4)
        .map_or("grid,precise", |s| s.as_str())
        .split(',')
        .map(|m| match m {
            "grid" => Ok(SimMode::Grid),
            "precise" => Ok(SimMode::Precise),
            other => Err(format!("mode {other:?}: expected grid or precise")),
        })
        .collect::<Result<_, _>>()?;
    for mode in modes {
        let mut m = balnet::presets::brunel_a(5.0, 2.0, 0.1, 1000, n_e, n_e / 4)?;
        m.sim.duration = duration;
        m.sim.warmup = warmup;
        m.sim.seed = 1;
        m.sim.mode = mode;
        let mut first = None;
        for &t in &threads {
            let load = load_avg();
            let r = simulate(
                &m,
                &RunOptions {
                    threads: t,
                    quiet: true,
                    out_dir: None,
                },
            )?;
            let sp = spikes_of(&r);
            let same = first.get_or_insert_with(|| sp.clone()) == &sp;
            let t_sim = r.duration + r.warmup;
            let cpu = r.cpu_s.unwrap_or(f64::NAN);
            println!(
                "{{\"n\": {}, \"mode\": \"{mode:?}\", \"threads\": {}, \"simulated_s\": {t_sim}, \
                 \"loop_cpu_s\": {cpu:.2}, \"loop_wall_s\": {:.3}, \
                 \"loop_cpu_per_simulated_s\": {:.3}, \"loop_wall_per_simulated_s\": {:.3}, \
                 \"events_per_cpu_s\": {:.4e}, \"load_avg_before\": {load:.2}, \
                 \"spikes_equal_first\": {same}}}",
                r.populations.iter().map(|p| p.n).sum::<usize>(),
                r.threads,
                r.wall_s,
                cpu / t_sim,
                r.wall_s / t_sim,
                r.synaptic_events as f64 / cpu,
            );
        }
    }
    Ok(())
}
