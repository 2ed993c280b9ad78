//! Cost of the closed-form LIF linear response (docs/theory.md 6.1): `chi_mu` and
//! `chi_sigma2` at 1000 frequencies (1 to 1000 Hz) at Brunel's model A working point
//! (g = 5, eta = 2: mu = 21.03 mV, sigma = 7.68 mV, from `balnet solve`), and the
//! spike-train spectrum at the same frequencies. The NNMT timing of the same
//! frequencies is `tools/reference/nnmt_transfer_timing.py`.

use std::hint::black_box;

use balnet::presets;
use balnet::theory::response::{ClosedForm, NetworkResponse, ResponseOptions, RootBox, stability};
use balnet::theory::{Limit, stationary};
use balnet::transfer::LifParams;
use balnet::transfer::response::diffusion::{spike_spectrum, susceptibility};
use criterion::{Criterion, criterion_group, criterion_main};
use num_complex::Complex64;

const MU: f64 = 21.025151457118316;
const SIGMA: f64 = 7.6829070523049365;

fn lif() -> LifParams {
    LifParams {
        tau_m: 0.02,
        theta: 20.0,
        v_reset: 10.0,
        tau_ref: 0.002,
    }
}

fn bench_response(c: &mut Criterion) {
    let lif = lif();
    let omegas: Vec<f64> = (0..1000)
        .map(|k| 2.0 * std::f64::consts::PI * (1.0 + k as f64 * 999.0 / 999.0))
        .collect();
    c.bench_function(
        "chi_mu and chi_sigma2 at 1000 frequencies (Brunel A)",
        |b| {
            b.iter(|| {
                let mut acc = Complex64::new(0.0, 0.0);
                for &w in &omegas {
                    let s = susceptibility(&lif, MU, SIGMA, Complex64::new(0.0, w)).unwrap();
                    acc += s.chi_mu + s.chi_sigma2;
                }
                black_box(acc)
            })
        },
    );
    c.bench_function("spike spectrum at 1000 frequencies (Brunel A)", |b| {
        b.iter(|| {
            let mut acc = 0.0;
            for &w in &omegas {
                acc += spike_spectrum(&lif, MU, SIGMA, w).unwrap();
            }
            black_box(acc)
        })
    });
}

/// The roots of the characteristic function of Brunel's model A at `g = 5`, `eta = 2` in
/// the default box (docs/theory.md 6.3), the stationary state solved once outside.
fn bench_stability(c: &mut Criterion) {
    let m = presets::brunel_a(5.0, 2.0, 0.1, 1000, 10_000, 2_500).unwrap();
    let st = stationary::solve(&m, Limit::Finite, &[], &[], None).unwrap();
    c.bench_function("leading eigenvalues, Brunel A (g = 5, eta = 2)", |b| {
        b.iter(|| {
            let net =
                NetworkResponse::new(&m, &st, &ClosedForm, ResponseOptions::default()).unwrap();
            black_box(stability(&net, &RootBox::default()).unwrap())
        })
    });
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(20).without_plots();
    targets = bench_response, bench_stability
}
criterion_main!(benches);
