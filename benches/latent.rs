//! Latent fixed points and latent dynamics (docs/theory.md 2.4-2.5) with the provisional Siegert
//! transfer function: `cargo bench --bench latent`.

use std::time::Duration;

use balnet::model::{Signal, SignalTerm};
use balnet::presets;
use balnet::theory::Limit;
use balnet::theory::dynamics::{self, DynamicsOptions};
use balnet::theory::latent::{self, SearchBox};
use criterion::{Criterion, criterion_group, criterion_main};

/// All fixed points of the bistable preset (Bernoulli, `Sigma^{nm} = 23.30` mV) in the
/// default search box.
fn fixed_points_bistable(c: &mut Criterion) {
    let model = presets::latent_bistable();
    let mut g = c.benchmark_group("latent");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(30))
        .warm_up_time(Duration::from_millis(1));
    g.bench_function("fixed_points_bistable_finite_k", |b| {
        b.iter(|| {
            latent::fixed_points(&model, Limit::Finite, &[0.0], &SearchBox::default())
                .expect("fixed points")
        })
    });
    g.finish();
}

/// A 1 s latent trajectory of the default model with output every 10 ms.
fn trajectory_default(c: &mut Criterion) {
    let mut model = presets::default_model();
    // the default input step moved from 1.5 s to 0.2 s, so that the 1 s run contains the response
    if let Some(l) = model.latent.as_mut() {
        l.signal = Signal {
            components: vec![vec![SignalTerm::Step {
                t0: 0.2,
                amplitude: 1.0,
            }]],
        };
    }
    let mut g = c.benchmark_group("latent");
    g.sample_size(10)
        .measurement_time(Duration::from_secs(10))
        .warm_up_time(Duration::from_millis(1));
    g.bench_function("trajectory_1s_default_finite_k", |b| {
        b.iter(|| {
            dynamics::integrate(
                &model,
                Limit::Finite,
                &[0.0],
                1.0,
                0.01,
                &DynamicsOptions::default(),
            )
            .expect("trajectory")
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    // no plots: the plotters backend needs system fonts that a headless machine may lack
    config = Criterion::default().without_plots();
    targets = fixed_points_bistable, trajectory_default
}
criterion_main!(benches);
