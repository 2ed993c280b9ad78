//! The network table of the correlated noise closure (docs/theory.md 6.6, docs/closures.md
//! "Correlated closure: network"): for each seed one precise simulation, then the
//! Poisson, spectral and correlated closures (shot-noise transfer, fixed points only) on
//! that network's drawn loadings, as `balnet compare --noise ...` does per closure.
//! Per seed and epoch: `kappa`, population rates, mean V, the rate-distribution KS
//! distance (counting noise) and the coherent shift `d<V>/d kappa`; over seeds the mean
//! and its standard error. The simulated variance of `kappa(t)` in each window (for the
//! slow term of docs/theory.md 6.6.8) is recorded too.
//!
//! `cargo run --release --example correlated_network -- SCENARIO SEEDS [OUT_JSON] [CLOSURES]`
//! with `SCENARIO` a preset name (`default`, `latent-bistable`) or a Model file
//! (`docs/models/bistable_fixed_indegree.toml`) and `SEEDS` e.g. `1-5`; one JSON line
//! per seed is appended to `OUT_JSON` (default `correlated_network_SCENARIO.jsonl`), so an
//! interrupted run keeps its finished seeds, and the table is printed from that file
//! (all seeds in it). `CLOSURES`, e.g. `correlated` or `poisson,spectral`, limits the
//! closures (default all three); a file holds runs of one closure list.

use std::io::Write;

use balnet::compare::{TheoryComparison, Variant, compare_theory};
use balnet::model::{NoiseClosure, SimMode, TransferKind};
use balnet::sim::{RunOptions, simulate};

const CLOSURES: [NoiseClosure; 3] = [
    NoiseClosure::Poisson,
    NoiseClosure::Spectral,
    NoiseClosure::Correlated,
];

fn mean_se(x: &[f64]) -> (f64, f64) {
    let x: Vec<f64> = x.iter().copied().filter(|v| v.is_finite()).collect();
    let n = x.len() as f64;
    if x.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    let m = x.iter().sum::<f64>() / n;
    let var = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (m, (var / n).sqrt())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let scenario = args.first().map_or("default", |s| s.as_str()).to_string();
    let seeds: Vec<u64> = match args.get(1) {
        Some(r) if r.contains('-') => {
            let (a, b) = r.split_once('-').ok_or("seed range a-b")?;
            (a.parse()?..=b.parse()?).collect()
        }
        Some(r) => r.split(',').map(|s| s.parse()).collect::<Result<_, _>>()?,
        None => (1..=5).collect(),
    };
    let out = args.get(2).cloned().unwrap_or_else(|| {
        let stem = std::path::Path::new(&scenario)
            .file_stem()
            .map_or_else(|| scenario.clone(), |s| s.to_string_lossy().into_owned());
        format!("correlated_network_{stem}.jsonl")
    });
    let closures: Vec<NoiseClosure> = match args.get(3) {
        Some(list) => list
            .split(',')
            .map(|n| serde_json::from_value(serde_json::Value::String(n.to_string())))
            .collect::<Result<_, _>>()?,
        None => CLOSURES.to_vec(),
    };
    let base = if scenario.ends_with(".toml") || scenario.ends_with(".json") {
        balnet::Model::from_file(std::path::Path::new(&scenario))?
    } else {
        balnet::presets::by_name(&scenario)?
    };
    for &seed in &seeds {
        let mut m = base.clone();
        m.sim.seed = seed;
        m.sim.mode = SimMode::Precise;
        let t0 = std::time::Instant::now();
        let sim = simulate(
            &m,
            &RunOptions {
                threads: 0,
                quiet: true,
                out_dir: None,
            },
        )?;
        let t_sim = t0.elapsed().as_secs_f64();
        let mut theories: Vec<serde_json::Value> = Vec::new();
        for &noise in &closures {
            let t1 = std::time::Instant::now();
            let tc: TheoryComparison = compare_theory(
                &m,
                &sim,
                Variant {
                    transfer: TransferKind::ShotNoise,
                    noise,
                    trajectory: false,
                },
            )?;
            eprintln!("seed {seed} {noise:?}: {:.1} s", t1.elapsed().as_secs_f64());
            theories.push(serde_json::to_value(&tc)?);
        }
        // variance and lag-1 correlation of the binned kappa(t) in each epoch window
        let kappa_stats: Vec<serde_json::Value> = sim
            .epoch_windows
            .iter()
            .map(|w| {
                let k: Vec<f64> = sim
                    .time_s
                    .iter()
                    .zip(&sim.kappa_t)
                    .filter(|(t, _)| **t >= w[0] && **t < w[1])
                    .map(|(_, k)| k.first().copied().unwrap_or(f64::NAN))
                    .collect();
                let n = k.len() as f64;
                let mu = k.iter().sum::<f64>() / n;
                let var = k.iter().map(|v| (v - mu).powi(2)).sum::<f64>() / (n - 1.0);
                let lag1 = k
                    .windows(2)
                    .map(|p| (p[0] - mu) * (p[1] - mu))
                    .sum::<f64>()
                    / ((n - 1.0) * var);
                serde_json::json!({"window_s": w, "mean_hz": mu, "var_hz2": var, "lag1": lag1, "bins": k.len()})
            })
            .collect();
        let line = serde_json::json!({
            "scenario": scenario,
            "seed": seed,
            "wall_sim_s": t_sim,
            "record_bin_s": m.sim.record_bin,
            "kappa_windows": kappa_stats,
            "chi": sim.populations.iter().map(|p| p.chi).collect::<Vec<_>>(),
            "theories": theories,
        });
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&out)?;
        writeln!(f, "{line}")?;
        eprintln!("seed {seed}: simulation {t_sim:.1} s, appended to {out}");
    }
    print_table(&out, &closures)?;
    Ok(())
}

/// The table of docs/closures.md from the JSON lines: per closure and epoch, mean over
/// seeds and standard error of the simulation-minus-theory differences.
fn print_table(path: &str, closures: &[NoiseClosure]) -> Result<(), Box<dyn std::error::Error>> {
    let lines: Vec<serde_json::Value> = std::fs::read_to_string(path)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let n = lines.len();
    println!("{n} seeds from {path}");
    let f = |v: &serde_json::Value| v.as_f64().unwrap_or(f64::NAN);
    let pm = |x: &[f64], digits: usize| {
        let (m, se) = mean_se(x);
        format!("{m:+.digits$} ± {se:.digits$}")
    };
    let n_epochs = lines[0]["theories"][0]["epochs"]
        .as_array()
        .map_or(0, |a| a.len());
    for e in 0..n_epochs {
        let ep0 = &lines[0]["theories"][0]["epochs"][e];
        println!(
            "\nepoch {e}, window {} s, s = {}",
            ep0["window_s"], ep0["s"]
        );
        let ksim: Vec<f64> = lines
            .iter()
            .map(|l| f(&l["theories"][0]["epochs"][e]["kappa_sim_hz"][0]).abs())
            .collect();
        let (km, kse) = mean_se(&ksim);
        let var: Vec<f64> = lines
            .iter()
            .map(|l| f(&l["kappa_windows"][e]["var_hz2"]))
            .collect();
        let (vm, vse) = mean_se(&var);
        println!(
            "simulated |kappa| {km:.3} ± {kse:.3} Hz; Var(kappa_t) in {} s bins {vm:.3} ± {vse:.3} Hz^2",
            lines[0]["record_bin_s"]
        );
        for pop in 0..2 {
            let rs: Vec<f64> = lines
                .iter()
                .map(|l| f(&l["theories"][0]["epochs"][e]["populations"][pop]["rate_sim_hz"]))
                .collect();
            let vs: Vec<f64> = lines
                .iter()
                .map(|l| f(&l["theories"][0]["epochs"][e]["populations"][pop]["mean_v_sim_mv"]))
                .collect();
            let (rm, rse) = mean_se(&rs);
            let (vm, vse) = mean_se(&vs);
            println!(
                "simulated pop {pop}: rate {rm:.3} ± {rse:.3} Hz, mean V {vm:.3} ± {vse:.3} mV"
            );
        }
        println!(
            "| closure | kappa theory (Hz) | kappa (sim - th)/th (%) | rate E / I (sim - th)/th (%) | mean V E / I sim - th (mV) | KS E / I |"
        );
        println!("|---|---|---|---|---|---|");
        for (ci, noise) in closures.iter().enumerate() {
            let get = |key: &dyn Fn(&serde_json::Value) -> f64| -> Vec<f64> {
                lines
                    .iter()
                    .map(|l| key(&l["theories"][ci]["epochs"][e]))
                    .collect()
            };
            let kth = get(&|ep| f(&ep["kappa_theory_hz"][0]).abs());
            let krel = get(&|ep| {
                let (s, t) = (
                    f(&ep["kappa_sim_hz"][0]).abs(),
                    f(&ep["kappa_theory_hz"][0]).abs(),
                );
                100.0 * (s - t) / t
            });
            let rel = |p: usize| get(&|ep| 100.0 * f(&ep["populations"][p]["rate_rel_err"]));
            let dv = |p: usize| get(&|ep| f(&ep["populations"][p]["mean_v_diff_mv"]));
            let ks = |p: usize| get(&|ep| f(&ep["populations"][p]["ks_counting"]));
            println!(
                "| {noise:?} | {} | {} | {} / {} | {} / {} | {} / {} |",
                pm(&kth, 3),
                pm(&krel, 1),
                pm(&rel(0), 2),
                pm(&rel(1), 2),
                pm(&dv(0), 3),
                pm(&dv(1), 3),
                pm(&ks(0), 3),
                pm(&ks(1), 3)
            );
        }
    }
    println!("\ncoherent shift d<V>/d kappa (mV/Hz), E / I: theory, simulation, theory/sim - 1");
    for (ci, noise) in closures.iter().enumerate() {
        let mut cols = Vec::new();
        for pop in 0..2 {
            let th: Vec<f64> = lines
                .iter()
                .map(|l| f(&l["theories"][ci]["dv_dkappa_mv_per_hz"][pop][0]))
                .collect();
            let sm: Vec<f64> = lines
                .iter()
                .map(|l| f(&l["theories"][ci]["dv_dkappa_mv_per_hz"][pop][1]))
                .collect();
            let ratio: Vec<f64> = th
                .iter()
                .zip(&sm)
                .map(|(t, s)| 100.0 * (t / s - 1.0))
                .collect();
            cols.push(format!(
                "{} / {} / {} %",
                pm(&th, 4),
                pm(&sm, 4),
                pm(&ratio, 1)
            ));
        }
        println!("| {noise:?} | {} | {} |", cols[0], cols[1]);
    }
    Ok(())
}
