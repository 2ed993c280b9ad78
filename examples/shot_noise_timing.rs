//! Cost of the shot-noise transfer function, and its difference to Siegert at the default
//! model's operating point (docs/theory.md 2.2, section 5).
//! `cargo run --release --example shot_noise_timing`
//!
//! Times are the minimum over repetitions (the least disturbed run on a shared machine).

use std::hint::black_box;
use std::time::Instant;

use balnet::presets;
use balnet::transfer::shot_noise::{Resolution, ShotNoise, stationary, stationary_with};
use balnet::transfer::{LifParams, Transfer, siegert};

fn best_ms(reps: usize, mut f: impl FnMut()) -> f64 {
    (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed().as_secs_f64() * 1e3
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let model = presets::default_d0();
    // finite-K Siegert theory of docs/theory.md section 5: nu = (11.594, 14.383) Hz, mu = (12.072, 13.963) mV
    let rates = [11.594, 14.383];
    let mu = [12.072, 13.963];
    for a in 0..2 {
        let lif = LifParams::of(&model, a);
        let sn =
            ShotNoise::for_population(&model, a, &rates, (mu[a] - 12.0, mu[a] + 12.0)).unwrap();
        let input = sn.input().clone();
        let b = sn.bias(mu[a]);
        let direct = best_ms(20, || {
            black_box(stationary(&lif, &input, b).unwrap());
        });
        let fast = best_ms(20, || {
            black_box(stationary_with(&lif, &input, b, &Resolution::fast()).unwrap());
        });
        let table = best_ms(10, || {
            black_box(
                ShotNoise::for_population(&model, a, &rates, (mu[a] - 12.0, mu[a] + 12.0)).unwrap(),
            );
        });
        let n = 1_000_000;
        let t = Instant::now();
        let mut acc = 0.0;
        for i in 0..n {
            acc += sn.rate(black_box(mu[a] - 5.0 + 10.0 * i as f64 / n as f64));
        }
        let lookup = t.elapsed().as_secs_f64() * 1e9 / n as f64;
        let sigma = sn.siegert_sigma();
        let s = sn.direct(mu[a]).unwrap();
        println!(
            "{}: jumps {:?} mV, rates {:?} Hz, sigma {sigma:.3} mV",
            model.populations[a].name, input.jumps_mv, input.rates_hz
        );
        println!(
            "  at mu = {} mV: shot noise {:.4} Hz (Siegert {:.4} Hz, {:+.2}%), <V> {:.4} mV (MODEL 2.6.1 formula {:.4}), overshoot {:.4} mV",
            mu[a],
            s.rate,
            siegert::rate(&lif, mu[a], sigma),
            100.0 * (s.rate / siegert::rate(&lif, mu[a], sigma) - 1.0),
            s.mean_v,
            siegert::lif_mean_v(&lif, mu[a], s.rate),
            s.overshoot
        );
        println!(
            "  direct evaluation {direct:.2} ms (fast {fast:.2} ms); table over mu +- 12 mV ({} nodes) {table:.2} ms; lookup {lookup:.0} ns ({acc:.0})",
            sn.table_nodes().len()
        );
    }
}
