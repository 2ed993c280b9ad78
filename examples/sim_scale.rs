//! Simulator cost against network size: Brunel (2000) model A (g = 5, eta = 2,
//! J = 0.1 mV, C_E = 1000, so 1250 inputs per neuron, N_I = N_E / 4) at any size.
//! Prints one JSON line per size: construction wall and CPU time and its peak memory
//! against the memory the built network holds, then the time loop's CPU time per
//! simulated second, recurrent synaptic events per CPU-second and the peak memory of the
//! whole run. Results and commands: docs/simulator.md ("Scaling").
//!
//! `cargo run --release --example sim_scale -- N_E[,N_E..] [duration_s] [threads] [grid|precise] [warmup_s] [build|run]`
//!
//! Several sizes (comma-separated `N_E`, e.g. `10000,100000,800000`) run one after the
//! other; the peak memory is reset between them (`/proc/self/clear_refs`). With `build`
//! as the last argument only the construction is measured; with `run` the network is
//! built only once, inside the run (half the time at sizes where the construction is
//! long; the construction's own peak is then not measured, `build_wall_s` is the
//! run's).

use balnet::model::SimMode;
use balnet::sim::{RunOptions, network, simulate};

/// CPU time (user + system, all threads) of this process (s), Linux; 10 ms resolution.
fn cpu_s() -> f64 {
    let text = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let rest = text.rfind(')').map_or("", |i| &text[i + 2..]);
    let f: Vec<f64> = rest
        .split_whitespace()
        .map(|x| x.parse().unwrap_or(0.0))
        .collect();
    (f.get(11).unwrap_or(&0.0) + f.get(12).unwrap_or(&0.0)) / 100.0
}

/// A field of /proc/self/status in bytes (`VmRSS`, `VmHWM`), Linux.
fn status_bytes(field: &str) -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb * 1024.0)
}

/// Reset the peak resident memory (`VmHWM`) to the current one (Linux).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let sizes: Vec<usize> = args.first().map_or(Ok(vec![10_000]), |s| {
        s.split(',').map(|x| x.trim().parse()).collect()
    })?;
    for n_e in sizes {
        reset_peak();
        one_size(n_e, &args)?;
    }
    Ok(())
}

fn one_size(n_e: usize, args: &[String]) -> Result<(), Box<dyn std::error::Error>> {
    let duration: f64 = args.get(1).map_or(Ok(0.2), |s| s.parse())?;
    let threads: usize = args.get(2).map_or(Ok(1), |s| s.parse())?;
    let mode = match args.get(3).map(|s| s.as_str()) {
        Some("precise") => SimMode::Precise,
        _ => SimMode::Grid,
    };
    let warmup: f64 = args.get(4).map_or(Ok(0.05), |s| s.parse())?;
    let mut m = balnet::presets::brunel_a(5.0, 2.0, 0.1, 1000, n_e, n_e / 4)?;
    m.sim.duration = duration;
    m.sim.warmup = warmup;
    m.sim.seed = 1;
    m.sim.mode = mode;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()?;

    let last = args.get(5).map(|s| s.as_str());
    if last == Some("run") {
        let r = simulate(
            &m,
            &RunOptions {
                threads,
                quiet: true,
                out_dir: None,
            },
        )?;
        let loop_cpu = r.cpu_s.unwrap_or(f64::NAN);
        let t_sim = r.duration + r.warmup;
        println!(
            "{{\"n\": {}, \"synapses\": {}, \"threads\": {threads}, \"mode\": \"{mode:?}\", \
             \"build_wall_s\": {:.3}, \"loop_wall_s\": {:.2}, \"loop_cpu_s\": {loop_cpu:.2}, \
             \"simulated_s\": {t_sim}, \"loop_cpu_per_simulated_s\": {:.3}, \"events\": {}, \
             \"events_per_cpu_s\": {:.4e}, \"connectivity_bytes_per_synapse\": {:.3}, \
             \"state_bytes_per_synapse\": {:.3}, \"run_peak_gib\": {:.3}, \"rate_e_hz\": {:.3}}}",
            r.populations.iter().map(|p| p.n).sum::<usize>(),
            r.n_synapses,
            r.build_s,
            r.wall_s,
            loop_cpu / t_sim,
            r.synaptic_events,
            r.synaptic_events as f64 / loop_cpu,
            r.memory_bytes_per_synapse,
            r.memory_total_bytes_per_synapse,
            status_bytes("VmHWM:") / 1073741824.0,
            r.populations[0].rate_hz,
        );
        return Ok(());
    }

    // construction alone: its peak against what the finished network holds
    let rss0 = status_bytes("VmRSS:");
    let (c0, t0) = (cpu_s(), std::time::Instant::now());
    let net = pool.install(|| network::build(&m))?;
    let (build_wall, build_cpu) = (t0.elapsed().as_secs_f64(), cpu_s() - c0);
    let rss_built = status_bytes("VmRSS:");
    let hwm_build = status_bytes("VmHWM:");
    let synapses = net.n_synapses();
    let net_bytes = net.connectivity_bytes();
    drop(net);
    if last == Some("build") {
        println!(
            "{{\"n\": {}, \"synapses\": {synapses}, \"threads\": {threads}, \
             \"build_wall_s\": {build_wall:.3}, \"build_cpu_s\": {build_cpu:.2}, \
             \"build_ns_per_synapse_cpu\": {:.1}, \"connectivity_bytes_per_synapse\": {:.3}, \
             \"build_rss_gib\": {:.3}, \"build_peak_gib\": {:.3}, \"build_peak_over_built\": {:.3}}}",
            m.populations.iter().map(|p| p.n).sum::<usize>(),
            build_cpu * 1e9 / synapses.max(1) as f64,
            net_bytes as f64 / synapses.max(1) as f64,
            (rss_built - rss0) / 1073741824.0,
            (hwm_build - rss0) / 1073741824.0,
            (hwm_build - rss0) / (rss_built - rss0),
        );
        return Ok(());
    }

    reset_peak();
    let r = simulate(
        &m,
        &RunOptions {
            threads,
            quiet: true,
            out_dir: None,
        },
    )?;
    let loop_cpu = r.cpu_s.unwrap_or(f64::NAN);
    let t_sim = r.duration + r.warmup;
    println!(
        "{{\"n\": {}, \"synapses\": {synapses}, \"threads\": {threads}, \"mode\": \"{mode:?}\", \
         \"build_wall_s\": {build_wall:.3}, \"build_cpu_s\": {build_cpu:.2}, \
         \"build_ns_per_synapse_cpu\": {:.1}, \"connectivity_bytes_per_synapse\": {:.3}, \
         \"build_rss_gib\": {:.3}, \"build_peak_gib\": {:.3}, \"build_peak_over_built\": {:.3}, \
         \"loop_wall_s\": {:.2}, \"loop_cpu_s\": {loop_cpu:.2}, \"simulated_s\": {t_sim}, \
         \"loop_cpu_per_simulated_s\": {:.3}, \"events\": {}, \"events_per_cpu_s\": {:.4e}, \
         \"state_bytes_per_synapse\": {:.3}, \"run_peak_gib\": {:.3}, \"rate_e_hz\": {:.3}}}",
        r.populations.iter().map(|p| p.n).sum::<usize>(),
        build_cpu * 1e9 / synapses.max(1) as f64,
        net_bytes as f64 / synapses.max(1) as f64,
        (rss_built - rss0) / 1073741824.0,
        (hwm_build - rss0) / 1073741824.0,
        (hwm_build - rss0) / (rss_built - rss0),
        r.wall_s,
        loop_cpu / t_sim,
        r.synaptic_events,
        r.synaptic_events as f64 / loop_cpu,
        r.memory_total_bytes_per_synapse,
        status_bytes("VmHWM:") / 1073741824.0,
        r.populations[0].rate_hz,
    );
    Ok(())
}
