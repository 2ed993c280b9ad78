//! Stationary solves (docs/theory.md 2.4): one finite-K Brunel model-A fixed point and one
//! balanced-limit solve of the default model. Compare with NNMT's
//! `nnmt.lif.delta.firing_rates` on the same Brunel network (tests/data/nnmt_brunel.json).

use balnet::presets;
use balnet::theory::{Limit, stationary};
use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;

fn stationary_solves(c: &mut Criterion) {
    let brunel = presets::brunel_a(5.0, 2.0, 0.1, 1000, 10_000, 2_500).unwrap();
    c.bench_function("brunel_a_g5_eta2_finite_k_solve", |b| {
        b.iter(|| stationary::solve(black_box(&brunel), Limit::Finite, &[], &[], None).unwrap())
    });
    let default = presets::default_d0();
    c.bench_function("default_d0_balanced_limit_solve", |b| {
        b.iter(|| stationary::solve(black_box(&default), Limit::Balanced, &[], &[], None).unwrap())
    });
    c.bench_function("default_d0_finite_k_solve_bernoulli", |b| {
        b.iter(|| stationary::solve(black_box(&default), Limit::Finite, &[], &[], None).unwrap())
    });
}

// Criterion's plots need system fonts, which this crate does not assume.
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = stationary_solves
}
criterion_main!(benches);
