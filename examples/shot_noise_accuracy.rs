//! Convergence of the shot-noise master equation in the cell width, and its cost.
//! `cargo run --release --example shot_noise_accuracy`

use std::time::Instant;

use balnet::transfer::shot_noise::{Resolution, ShotInput, stationary_with};
use balnet::transfer::{LifParams, siegert};

fn main() {
    let lif = LifParams {
        tau_m: 0.02,
        theta: 20.0,
        v_reset: 10.0,
        tau_ref: 0.002,
    };
    let je = 5.0 / 1000f64.sqrt();
    let ji = -27.5 / 1000f64.sqrt();
    let input = ShotInput::new(vec![je, ji, je], vec![11_600.0, 3_600.0, 12_000.0]).unwrap();
    let drive = input.mean_drive(lif.tau_m);
    let sigma = input.sigma(lif.tau_m);
    println!("mean drive {drive:.4} mV, sigma {sigma:.4} mV");
    for &x in &[12.0, 6.0, 2.0] {
        let b = x - drive;
        let reference = stationary_with(
            &lif,
            &input,
            b,
            &Resolution {
                dv: 0.0025,
                lower_sd: 9.0,
                ..Default::default()
            },
        )
        .unwrap();
        let sieg = siegert::rate(&lif, x, sigma);
        println!(
            "x = {x} mV: reference rate {:.10} Hz, <V> {:.8} mV, overshoot {:.6} mV; Siegert {sieg:.6} Hz, shot/Siegert - 1 = {:+.4}",
            reference.rate,
            reference.mean_v,
            reference.overshoot,
            reference.rate / sieg - 1.0
        );
        for &dv in &[0.04, 0.02, 0.01] {
            for levels in 1..=5 {
                let res = Resolution {
                    dv,
                    levels,
                    ..Default::default()
                };
                let t = Instant::now();
                let s = stationary_with(&lif, &input, b, &res).unwrap();
                let ms = t.elapsed().as_secs_f64() * 1e3;
                println!(
                    "  dv {dv:6} levels {levels}: rate rel err {:+.3e}, <V> err {:+.3e} mV, overshoot err {:+.3e}, {ms:.2} ms",
                    s.rate / reference.rate - 1.0,
                    s.mean_v - reference.mean_v,
                    s.overshoot - reference.overshoot,
                );
            }
        }
    }
}
