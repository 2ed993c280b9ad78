//! Finite-size spread of the small comparison in `tests/compare.rs`: the same 5,000-neuron
//! version of the default model (grid mode, 0.3 s warm-up, 1.4 s, step of `s` at 0.8 s),
//! compared with the Siegert + Poisson finite-K theory (docs/theory.md section 3) for
//! several network seeds. Prints every seed and the mean and standard deviation of each
//! quantity the test bounds, so the test's bounds can be set from the spread.
//!
//! `cargo run --release --example compare_spread -- [SEEDS]` (default 8; about 20 s a seed).

use balnet::compare;
use balnet::model::{Model, NoiseClosure, SignalTerm, SimMode, TransferKind};
use balnet::presets;
use balnet::sim::{RunOptions, simulate};

/// The configuration of `tests/compare.rs`.
pub fn small_default(seed: u64) -> Model {
    let mut m = presets::default_model();
    m.populations[0].n = 4000;
    m.populations[1].n = 1000;
    m.sim.mode = SimMode::Grid;
    m.sim.warmup = 0.3;
    m.sim.duration = 1.4;
    m.sim.seed = seed;
    if let Some(l) = m.latent.as_mut() {
        l.signal.components[0] = vec![SignalTerm::Step {
            t0: 0.8,
            amplitude: 1.0,
        }];
    }
    m
}

fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let v = x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0).max(1.0);
    (m, v.sqrt())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let seeds: u64 = std::env::args()
        .nth(1)
        .map(|s| s.parse())
        .transpose()?
        .unwrap_or(8);
    let names = [
        "rate err E pre",
        "rate err I pre",
        "rate err E post",
        "rate err I post",
        "mean V diff E pre (mV)",
        "mean V diff I pre (mV)",
        "mean V diff E post (mV)",
        "mean V diff I post (mV)",
        "KS E pre",
        "KS I pre",
        "KS E post",
        "KS I post",
        "kappa rel err post",
        "d<V>/dkappa E sim (mV/Hz)",
        "d<V>/dkappa E theory (mV/Hz)",
    ];
    let mut cols: Vec<Vec<f64>> = vec![Vec::new(); names.len()];
    let t0 = std::time::Instant::now();
    for seed in 1..=seeds {
        let m = small_default(seed);
        let sim = simulate(
            &m,
            &RunOptions {
                threads: 0,
                quiet: true,
                out_dir: None,
            },
        )?;
        let variant = compare::Variant {
            transfer: TransferKind::Siegert,
            noise: NoiseClosure::Poisson,
            trajectory: false,
        };
        let r = compare::compare(&m, &sim, &[variant])?;
        let th = &r.theories[0];
        let mut row = Vec::new();
        for f in [
            |p: &compare::PopulationComparison| p.rate_rel_err,
            |p: &compare::PopulationComparison| p.mean_v_diff_mv,
            |p: &compare::PopulationComparison| p.ks_counting,
        ] {
            for e in &th.epochs {
                for p in &e.populations {
                    row.push(f(p));
                }
            }
        }
        row.push(th.epochs[1].kappa_rel_err.unwrap_or(f64::NAN));
        row.push(th.dv_dkappa_mv_per_hz[0][1]);
        row.push(th.dv_dkappa_mv_per_hz[0][0]);
        println!(
            "seed {seed}: {row:.4?} ({:.0} s so far)",
            t0.elapsed().as_secs_f64()
        );
        for (c, v) in cols.iter_mut().zip(row) {
            c.push(v);
        }
    }
    println!(
        "\n{:<30} {:>10} {:>10} {:>10}",
        "quantity", "mean", "sd", "max |x|"
    );
    for (n, c) in names.iter().zip(&cols) {
        let (m, s) = mean_sd(c);
        let mx = c.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        println!("{n:<30} {m:>10.4} {s:>10.4} {mx:>10.4}");
    }
    Ok(())
}
