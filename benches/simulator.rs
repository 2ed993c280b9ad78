//! The spiking simulator (docs/theory.md section 1): Brunel model A (g = 5, eta = 2, J = 0.1 mV,
//! C_E = 1000, 12,500 neurons, 1.5 ms delay), 0.2 s after 0.05 s of warm-up, grid mode
//! (dt 0.1 ms) and precise mode, one thread and all threads; network construction
//! separately. NEST 3.10 and Brian2 2.9 on the same network: `tools/peers/` and
//! `docs/simulator.md`. Also the noise closures' cost: the default model's finite-K solve
//! with shot noise and the renewal / spectral closures (docs/theory.md 2.1).

use balnet::model::{NoiseClosure, SimMode, TransferKind};
use balnet::sim::{RunOptions, build, simulate};
use balnet::theory::{Limit, stationary};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn brunel() -> balnet::model::Model {
    let mut m = balnet::presets::brunel_a(5.0, 2.0, 0.1, 1000, 10_000, 2_500).unwrap();
    m.sim.duration = 0.2;
    m.sim.warmup = 0.05;
    m.sim.seed = 1;
    m
}

fn simulator(c: &mut Criterion) {
    let mut g = c.benchmark_group("simulator");
    g.sample_size(10);
    let m = brunel();
    g.bench_function("brunel_a_build_network", |b| {
        b.iter(|| build(black_box(&m)).unwrap())
    });
    for (mode, name) in [(SimMode::Grid, "grid"), (SimMode::Precise, "precise")] {
        for threads in [1usize, 0] {
            let mut mm = m.clone();
            mm.sim.mode = mode;
            let opts = RunOptions {
                threads,
                quiet: true,
                out_dir: None,
            };
            let label = format!(
                "brunel_a_0.25s_{name}_{}",
                if threads == 1 {
                    "1thread"
                } else {
                    "allthreads"
                }
            );
            g.bench_function(label, |b| {
                b.iter(|| simulate(black_box(&mm), &opts).unwrap())
            });
        }
    }
    g.finish();
}

fn closures(c: &mut Criterion) {
    let mut g = c.benchmark_group("noise_closures");
    g.sample_size(10);
    for noise in [
        NoiseClosure::Poisson,
        NoiseClosure::Renewal,
        NoiseClosure::Spectral,
    ] {
        let mut m = balnet::presets::default_d0();
        m.transfer = TransferKind::ShotNoise;
        m.noise = noise;
        g.bench_function(format!("default_d0_finite_k_shot_noise_{noise:?}"), |b| {
            b.iter(|| {
                balnet::theory::closure::clear_cache();
                stationary::solve(black_box(&m), Limit::Finite, &[], &[], None).unwrap()
            })
        });
    }
    g.finish();
}

// Criterion's plots need system fonts, which this crate does not assume.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = simulator, closures
}
criterion_main!(benches);
