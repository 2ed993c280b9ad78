//! Validation of the spectral closure's single-neuron approximations (docs/theory.md 2.1) against event-driven LIF neurons driven by renewal inputs of the
//! network's regularity.
//!
//! The default model (shot-noise transfer, spectral closure) is solved at the latent
//! fixed point after the input step (`s = 1`). Each presynaptic population is then
//! represented by 16 equal-probability classes of its Gaussian of mean inputs `x`: a
//! class contributes `K_B / 16` independent gamma-renewal trains (2 ms dead time) with the
//! rate of the population's transfer function at the class median and the ISI CV of the
//! white-noise LIF model behind the spectral closure (`x + delta`, `sigma_eff`); the
//! external input is Poisson. Neurons of population A at several mean inputs `x`
//! (quantiles of A's Gaussian) are simulated exactly (100 neurons x 10 s each), and their
//! rate and output membrane Fano factor are set against
//!
//! - the closure's rate `Phi_A(x)` (shot noise with Fano-scaled sources, shifted by the
//!   colored-noise correction of `theory::spectral::colored_shift`), the same without the
//!   shift (`white`: white noise of the membrane-filtered variance) and the Poisson
//!   closure's rate at the same state (shot noise, Fano 1), for scale;
//! - the closure's output Fano factor `F_LIF(x + delta, sigma_eff)`
//!   (`theory::spectral::lif_fano_eff`).
//!
//! `cargo run --release --example spectral_single_neuron`

use std::time::Instant;

use balnet::model::{NoiseClosure, TransferKind};
use balnet::sim::single::{RenewalSource, simulate_renewal_neuron};
use balnet::theory::Limit;
use balnet::theory::closure::state_transfer;
use balnet::theory::latent::{SearchBox, fixed_points};
use balnet::theory::spectral::{colored_shift, lif_fano_eff};
use balnet::transfer::{LifParams, Transfer, siegert};

/// Inverse standard normal CDF by bisection on `erfc` (only 16 values are needed).
fn probit(p: f64) -> f64 {
    let (mut lo, mut hi) = (-10.0f64, 10.0f64);
    for _ in 0..200 {
        let mid = 0.5 * (lo + hi);
        if 0.5 * puruspe::erfc(-mid / std::f64::consts::SQRT_2) < p {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut m = balnet::presets::default_model();
    m.transfer = TransferKind::ShotNoise;
    m.noise = NoiseClosure::Spectral;
    let s = 1.0;
    let t0 = Instant::now();
    let sol = fixed_points(&m, Limit::Finite, &[s], &SearchBox::default())?;
    let fp = sol.stable_upper().ok_or("no stable fixed point")?;
    let st = &fp.state;
    println!(
        "default model, shot noise + spectral, s = {s}: kappa* = {:.3} Hz ({:.1} s)",
        st.kappa[0],
        t0.elapsed().as_secs_f64()
    );
    let nu = st.rates();
    let fano = st.fano();
    let p = m.p();
    let classes = 16;
    // presynaptic classes (rate, CV) per population
    let mut pre: Vec<Vec<(f64, f64)>> = Vec::new();
    for b in 0..p {
        let pb = &st.populations[b];
        let lif = LifParams::of(&m, b);
        let t = state_transfer(&m, st, b)?;
        let (delta, _, s_eff) = colored_shift(&m, b, &nu, &fano);
        let sd = pb.delta_mv2.max(0.0).sqrt();
        let cl: Vec<(f64, f64)> = (0..classes)
            .map(|k| {
                let x = pb.mean_input_mv + sd * probit((k as f64 + 0.5) / classes as f64);
                (t.rate(x), siegert::cv_isi(&lif, x + delta, s_eff))
            })
            .collect();
        let mean_rate: f64 = cl.iter().map(|c| c.0).sum::<f64>() / classes as f64;
        println!(
            "  presynaptic {}: nu {:.3} Hz (class mean {:.3}), F {:.3}, delta {:.3} mV, sigma_eff {:.3} mV",
            pb.name, pb.rate_hz, mean_rate, pb.fano, delta, s_eff
        );
        pre.push(cl);
    }
    let mut poisson_model = m.clone();
    poisson_model.noise = NoiseClosure::Poisson;
    println!(
        "\n{:<4} {:>8} | {:>9} {:>7} {:>9} {:>9} {:>9} | {:>7} {:>7} {:>8}",
        "pop",
        "x (mV)",
        "sim (Hz)",
        "se",
        "spectral",
        "white",
        "poisson",
        "F sim",
        "F th",
        "time (s)"
    );
    for a in 0..p {
        let pa = &st.populations[a];
        let lif = LifParams::of(&m, a);
        let t = state_transfer(&m, st, a)?;
        let mut ones = st.clone();
        for q in &mut ones.populations {
            q.fano = 1.0;
        }
        let t_pois = state_transfer(&poisson_model, &ones, a)?;
        // the same Fano-scaled sources without the colored-noise shift
        let t_white = state_transfer(&poisson_model, st, a)?;
        let (delta, _, s_eff) = colored_shift(&m, a, &nu, &fano);
        let mut sources = Vec::new();
        for (b, cl) in pre.iter().enumerate() {
            let count = (m.k_in(b) / classes as f64).round() as usize;
            for &(r, cv) in cl {
                if r > 0.0 {
                    sources.push(RenewalSource {
                        jump: m.jump(a, b),
                        count,
                        nu: r,
                        cv: cv.max(1e-3),
                        tau_ref: m.populations[b].tau_ref,
                    });
                }
            }
        }
        sources.push(RenewalSource::external(&m, a));
        let drive: f64 = sources
            .iter()
            .map(|s| lif.tau_m * s.jump * s.count as f64 * s.nu)
            .sum();
        let sd = pa.delta_mv2.max(0.0).sqrt();
        for z in [-1.0, -0.5, 0.0, 0.5, 1.0, 1.5] {
            let x = pa.mean_input_mv + z * sd;
            let t1 = Instant::now();
            let sim = simulate_renewal_neuron(&lif, &sources, x - drive, 100, 0.5, 10.0, 11)?;
            println!(
                "{:<4} {:>8.3} | {:>9.3} {:>7.3} {:>9.3} {:>9.3} {:>9.3} | {:>7.3} {:>7.3} {:>8.1}",
                pa.name,
                x,
                sim.rate_hz,
                sim.rate_se_hz,
                t.rate(x),
                t_white.rate(x),
                t_pois.rate(x),
                sim.output_fano,
                lif_fano_eff(&lif, x + delta, s_eff),
                t1.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}
