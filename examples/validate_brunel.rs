//! Brunel (2000) model A at full size (N = 12,500, C_E = 1000, J = 0.1 mV, D = 1.5 ms),
//! g = 5, eta = 2 and g = 6, eta = 1: 1 s after a 0.1 s warm-up, dt = 0.1 ms, grid mode,
//! 1 and 2 threads. Prints rates, CV, synchrony, timing and memory, and compares with
//! the NEST/Brian2 reference numbers in `tests/data/peers_brunel.json` when present.
//!
//! Connectivity: fixed in-degree *with* replacement, no autapses, as the peers' scripts
//! (NEST `fixed_indegree` default). Initial V uniform in [0, theta), as theirs.
//!
//! `cargo run --release --example validate_brunel -- [peers.json] [duration_s]`

use balnet::model::Connectivity;
use balnet::sim::{RunOptions, SimResult, simulate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let peers_path = args.first().cloned().unwrap_or_else(|| {
        concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/peers_brunel.json").into()
    });
    let duration: f64 = args.get(1).map_or(Ok(1.0), |s| s.parse())?;
    let peers: Option<serde_json::Value> = std::fs::read_to_string(&peers_path)
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    match &peers {
        Some(_) => println!("reference numbers from {peers_path}"),
        None => println!(
            "{peers_path} not found: using NEST 38.13 Hz (g=5, eta=2; tools/reference/peers_collect.py)"
        ),
    }
    for (g, eta) in [(5.0, 2.0), (6.0, 1.0)] {
        let mut model = balnet::presets::brunel_a(g, eta, 0.1, 1000, 10_000, 2_500)?;
        model.connectivity = Connectivity::FixedIndegreeReplacement;
        model.sim.duration = duration;
        model.sim.warmup = 0.1;
        model.sim.dt = 1e-4;
        println!(
            "\n== Brunel A g={g} eta={eta}: nu_0 = {:.3} Hz x K_0 = {}",
            model.external.nu0,
            model.k_ext()
        );
        let mut first: Option<SimResult> = None;
        for threads in [1, 2] {
            let r = simulate(
                &model,
                &RunOptions {
                    threads,
                    quiet: true,
                    out_dir: None,
                },
            )?;
            let sim_t = r.duration + r.warmup;
            let cpu = r.cpu_s.unwrap_or(f64::NAN);
            println!(
                "threads {threads}: wall {:.3} s ({:.3} s per simulated s), CPU {:.2} s ({:.3} CPU-s per simulated s), \
                 {} events: {:.3e} events/s wall, {:.3e} events/CPU-s; build {:.2} s",
                r.wall_s,
                r.wall_s / sim_t,
                cpu,
                cpu / sim_t,
                r.synaptic_events,
                r.events_per_s,
                r.synaptic_events as f64 / cpu,
                r.build_s
            );
            if let Some(f) = &first {
                let same = f
                    .populations
                    .iter()
                    .zip(&r.populations)
                    .all(|(a, b)| a.rates_hz == b.rates_hz);
                println!("  identical to 1 thread: {same}");
            } else {
                for p in &r.populations {
                    println!(
                        "  {}: rate {:.3} Hz, CV {:.3}, <V> {:.2} mV, chi {:.3}, pop-rate CV (1 ms) {:.3}, Fano {:.1}, pair corr {:.4}",
                        p.name,
                        p.rate_hz,
                        p.cv_isi,
                        p.mean_v_mv,
                        p.chi,
                        p.pop_rate_cv,
                        p.fano_1ms,
                        p.pair_corr
                    );
                }
                println!(
                    "  memory: {:.3} bytes per synapse of connectivity, {:.3} bytes per synapse all state; {} synapses",
                    r.memory_bytes_per_synapse, r.memory_total_bytes_per_synapse, r.n_synapses
                );
                compare(&peers, g, eta, &r);
                first = Some(r);
            }
        }
    }
    Ok(())
}

/// Print the ratio of our E rate to every reference record for (g, eta).
fn compare(peers: &Option<serde_json::Value>, g: f64, eta: f64, r: &SimResult) {
    let ours = r.populations[0].rate_hz;
    match peers {
        None => {
            if g == 5.0 && eta == 2.0 {
                println!("  vs NEST 38.13 Hz: ratio {:.4}", ours / 38.13);
            }
        }
        Some(v) => {
            let mut found = Vec::new();
            collect(v, g, eta, "", &mut found);
            if found.is_empty() {
                println!("  no reference record for g={g} eta={eta}");
            }
            for (name, rate) in found {
                println!("  vs {name}: {rate:.3} Hz, ratio {:.4}", ours / rate);
            }
        }
    }
}

/// Find objects with numeric `g` and `eta` and collect the mean of the `rate_E_Hz` values below them.
fn collect(v: &serde_json::Value, g: f64, eta: f64, path: &str, out: &mut Vec<(String, f64)>) {
    match v {
        serde_json::Value::Object(map) => {
            let gg = map.get("g").and_then(|x| x.as_f64());
            let ee = map.get("eta").and_then(|x| x.as_f64());
            if let (Some(gg), Some(ee)) = (gg, ee) {
                if gg == g && ee == eta {
                    let mut rates = Vec::new();
                    find_rates(v, &mut rates);
                    if !rates.is_empty() {
                        let name = map
                            .get("simulator")
                            .and_then(|x| x.as_str())
                            .map(|s| s.to_string())
                            .unwrap_or_else(|| path.to_string());
                        out.push((name, rates.iter().sum::<f64>() / rates.len() as f64));
                    }
                }
                return;
            }
            for (k, x) in map {
                collect(x, g, eta, &format!("{path}/{k}"), out);
            }
        }
        serde_json::Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                collect(x, g, eta, &format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

fn find_rates(v: &serde_json::Value, out: &mut Vec<f64>) {
    match v {
        serde_json::Value::Object(map) => {
            for (k, x) in map {
                if k == "rate_E_Hz" || k == "rate_e_hz" {
                    if let Some(r) = x.as_f64() {
                        out.push(r);
                    }
                } else {
                    find_rates(x, out);
                }
            }
        }
        serde_json::Value::Array(a) => a.iter().for_each(|x| find_rates(x, out)),
        _ => {}
    }
}
