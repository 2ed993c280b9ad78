//! Cost of the shot-noise transfer function (docs/theory.md 2.2): one direct evaluation of the
//! master equation, one table construction, one table lookup.
//! `cargo bench --bench shot_noise`

use std::hint::black_box;

use balnet::transfer::shot_noise::{Resolution, ShotInput, ShotNoise, stationary, stationary_with};
use balnet::transfer::{LifParams, Transfer};
use criterion::{Criterion, criterion_group, criterion_main};

fn setup() -> (LifParams, ShotInput) {
    let lif = LifParams {
        tau_m: 0.02,
        theta: 20.0,
        v_reset: 10.0,
        tau_ref: 0.002,
    };
    let je = 5.0 / 1000f64.sqrt();
    let ji = -27.5 / 1000f64.sqrt();
    // the default model's E neuron at its operating point (docs/theory.md section 5)
    let input = ShotInput::new(vec![je, ji, je], vec![11_600.0, 3_600.0, 12_000.0]).unwrap();
    (lif, input)
}

fn bench(c: &mut Criterion) {
    let (lif, input) = setup();
    let b = 12.0 - input.mean_drive(lif.tau_m);
    let mut g = c.benchmark_group("shot_noise");
    g.sample_size(20);
    g.bench_function("direct evaluation (default resolution)", |bn| {
        bn.iter(|| stationary(black_box(&lif), black_box(&input), black_box(b)).unwrap())
    });
    g.bench_function("direct evaluation (Resolution::fast)", |bn| {
        bn.iter(|| {
            stationary_with(
                black_box(&lif),
                black_box(&input),
                black_box(b),
                &Resolution::fast(),
            )
            .unwrap()
        })
    });
    g.bench_function("table over x in [6, 18] mV", |bn| {
        bn.iter(|| ShotNoise::new(lif, input.clone(), black_box((6.0, 18.0))).unwrap())
    });
    g.bench_function("table over x in [0, 24] mV", |bn| {
        bn.iter(|| ShotNoise::new(lif, input.clone(), black_box((0.0, 24.0))).unwrap())
    });
    let sn = ShotNoise::new(lif, input.clone(), (0.0, 24.0)).unwrap();
    g.bench_function("table lookup: rate", |bn| {
        bn.iter(|| sn.rate(black_box(11.37)))
    });
    g.bench_function("table lookup: drate_dx", |bn| {
        bn.iter(|| sn.drate_dx(black_box(11.37)))
    });
    g.bench_function("table lookup: mean_v", |bn| {
        bn.iter(|| sn.mean_v(black_box(11.37)))
    });
    g.finish();
}

// plots off: the crate's plotters build has no system fonts (CRATES.md), and the report
// needs only the numbers
criterion_group! {
    name = benches;
    config = Criterion::default().without_plots();
    targets = bench
}
criterion_main!(benches);
