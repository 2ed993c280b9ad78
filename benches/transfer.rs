//! Cost of the transfer functions (docs/theory.md 2.2) and of their Gaussian averages (2.3).
//!
//! The Siegert function caches its last evaluation (per thread), so the single-point
//! benchmarks alternate between two inputs 1e-12 mV apart: every call is a real
//! evaluation.

use std::hint::black_box;

use balnet::gauss;
use balnet::transfer::{LifParams, siegert};
use criterion::{Criterion, criterion_group, criterion_main};

fn lif() -> LifParams {
    LifParams {
        tau_m: 0.02,
        theta: 20.0,
        v_reset: 10.0,
        tau_ref: 0.002,
    }
}

fn bench_siegert(c: &mut Criterion) {
    let lif = lif();
    for (name, mu, sigma) in [
        ("siegert rate mu=12 sigma=8", 12.0, 8.0),
        ("siegert rate mu=-20 sigma=5 (subthreshold)", -20.0, 5.0),
        ("siegert rate mu=40 sigma=0.01 (suprathreshold)", 40.0, 0.01),
    ] {
        let mut flip = false;
        c.bench_function(name, |b| {
            b.iter(|| {
                flip = !flip;
                let x = if flip { mu } else { mu + 1e-12 };
                siegert::rate(black_box(&lif), black_box(x), black_box(sigma))
            })
        });
    }
    let mut flip = false;
    c.bench_function("siegert rate+derivative mu=12 sigma=8", |b| {
        b.iter(|| {
            flip = !flip;
            let x = if flip { 12.0 } else { 12.0 + 1e-12 };
            siegert::rate_and_drate(black_box(&lif), black_box(x), black_box(8.0))
        })
    });
    c.bench_function("siegert cv_isi mu=12 sigma=8", |b| {
        b.iter(|| siegert::cv_isi(black_box(&lif), black_box(12.0), black_box(8.0)))
    });
}

fn bench_gauss(c: &mut Criterion) {
    let t = siegert::Siegert {
        lif: lif(),
        sigma: 8.0,
    };
    c.bench_function("gauss::moments siegert mean=12 var=100 sigma=8", |b| {
        b.iter(|| gauss::moments(black_box(&t), black_box(12.0), black_box(100.0)))
    });
    let steep = siegert::Siegert {
        lif: lif(),
        sigma: 0.5,
    };
    c.bench_function("gauss::moments siegert mean=12 var=400 sigma=0.5", |b| {
        b.iter(|| gauss::moments(black_box(&steep), black_box(12.0), black_box(400.0)))
    });
}

criterion_group! {
    name = benches;
    // No plots: criterion's plotters backend finds no system font here.
    config = Criterion::default().without_plots();
    targets = bench_siegert, bench_gauss
}
criterion_main!(benches);
