//! Cost of the linear response (docs/theory.md 6.1, 6.3): `chi_mu` and `chi_sigma2` at 1000
//! frequencies (1 to 1000 Hz) at Brunel's model A working point (`g = 5`, `eta = 2`:
//! `mu = 21.03` mV, `sigma = 7.68` mV), and the roots of the characteristic function of
//! that state in the default box. NNMT's timing of the same transfer function is
//! `tools/reference/nnmt_transfer_timing.py`; `docs/linear_response.md` has the command
//! that runs both alternately.
//! `cargo run --release --example response_timing [REPS] [chi|roots|both]`
//!
//! Times are the minimum over repetitions (the least disturbed run on a shared machine);
//! on a loaded machine the process CPU time of `REPS` repetitions of one part
//! (`perf stat -e task-clock`, divided by `REPS`) is the steadier figure.

use std::hint::black_box;
use std::time::Instant;

use balnet::presets;
use balnet::theory::response::{ClosedForm, NetworkResponse, ResponseOptions, RootBox, stability};
use balnet::theory::{Limit, stationary};
use balnet::transfer::LifParams;
use balnet::transfer::response::diffusion::susceptibility;
use num_complex::Complex64;

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
    let reps: usize = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(30);
    let what = std::env::args().nth(2).unwrap_or_else(|| "both".into());
    let lif = LifParams {
        tau_m: 0.02,
        theta: 20.0,
        v_reset: 10.0,
        tau_ref: 0.002,
    };
    let (mu, sigma) = (21.025151457118316, 7.6829070523049365);
    let omegas: Vec<f64> = (0..1000)
        .map(|k| 2.0 * std::f64::consts::PI * (1.0 + k as f64))
        .collect();
    if what != "roots" {
        let chi = best_ms(reps, || {
            for &w in &omegas {
                black_box(susceptibility(&lif, mu, sigma, Complex64::new(0.0, w)).unwrap());
            }
        });
        println!("chi_mu and chi_sigma2 at 1000 frequencies: {chi:.2} ms");
    }
    if what == "chi" {
        return;
    }
    let m = presets::brunel_a(5.0, 2.0, 0.1, 1000, 10_000, 2_500).unwrap();
    let st = stationary::solve(&m, Limit::Finite, &[], &[], None).unwrap();
    let mut evals = 0;
    let roots = best_ms(reps, || {
        let net = NetworkResponse::new(&m, &st, &ClosedForm, ResponseOptions::default()).unwrap();
        evals = stability(&net, &RootBox::default()).unwrap().evaluations;
    });
    println!(
        "roots of Brunel A (g = 5, eta = 2) in the default box: {roots:.2} ms ({evals} evaluations)"
    );
}
