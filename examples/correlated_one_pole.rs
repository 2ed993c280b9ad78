//! The `correlated` closure's single-neuron rule (`C`, docs/theory.md 6.6.6: shot noise at
//! the `chi_2`-weighted Fano factor) for gamma-renewal input and for inputs with the same
//! low-frequency level `S(0) = CV^2 nu` and membrane-filtered Fano factor `F_eff` but a
//! one-pole or two-pole relative spectrum:
//!
//! - one pole: `S/nu - 1 = -(1 - CV^2) / (1 + (omega tau_c)^2)`,
//!   `tau_c = tau_m (F_eff - CV^2) / (1 - F_eff)`;
//! - two poles: half of the deficit at `tau_c / 4`, half at the time that keeps `F_eff`.
//!
//! The difference `C(gamma) - C(one pole)` ("C shape") is `C`'s second-order effect of
//! the spectrum's shape; docs/closures.md ("Renewal input beyond its spectrum") adds it
//! to Monte Carlo rates of one-pole embeddings (`tools/renewal_embeddings.py`).
//!
//! The last columns are the rate of the neuron driven by self-inhibiting (Hawkes) sources
//! with the one-pole spectrum of each population (docs/theory.md 2.2.1), the shape term
//! of the shot-noise neuron's second-order response (6.6.12b) and the rule
//! `H = Hawkes + shape` (docs/theory.md 6.6.12). With `--hawkes-point` the shape term is
//! expanded about the Hawkes-driven neuron itself (docs/theory.md 6.4.2; 0.5-2 min per
//! point) instead of the rate-matched Poisson-equivalent neuron, and `H3` adds the
//! third-cumulant term (docs/theory.md 6.6.12d; `theory::correlated::third_cumulant_term`
//! with the trains' and the sources' closed-form cumulants).
//!
//! `cargo run --release --example correlated_one_pole -- NU CV X1,X2,... [neurons seconds [seed]] [--hawkes-point]`
//! (presynaptic rate in Hz, ISI CV, mean inputs in mV; population E of the default model,
//! `K_E`, `K_I` gamma trains with 2 ms dead time, Poisson external input). With `neurons`
//! and `seconds`, the same neuron is also simulated (event-driven, exact:
//! `sim::single::simulate_renewal_neuron`, 1 s warm-up, seed 7 unless given) and the last columns
//! give the simulated rate, its standard error, and `z = (sim - prediction)/se` of the
//! Hawkes rate alone, of `H` and (with `--hawkes-point`) of `H3`.

use balnet::sim::single::{RenewalSource, simulate_renewal_neuron};
use balnet::theory::correlated::{
    GammaTrainsPoint, HAWKES_SHAPE_RESOLUTION, ShapePoint, rule_c_common, rule_h_common,
    third_cumulant_term,
};
use balnet::transfer::LifParams;
use balnet::transfer::renewal::GammaRenewal;
use balnet::transfer::shot_noise::population_input;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args: Vec<String> = std::env::args().collect();
    let point = if let Some(i) = args.iter().position(|a| a == "--hawkes-point") {
        args.remove(i);
        ShapePoint::Hawkes
    } else {
        ShapePoint::RateMatched
    };
    let usage = "usage: correlated_one_pole NU_HZ CV X_MV[,X_MV...] [neurons seconds [seed]] [--hawkes-point]";
    let nu_pre: f64 = args.get(1).ok_or(usage)?.parse()?;
    let cv: f64 = args.get(2).ok_or(usage)?.parse()?;
    let xs = args
        .get(3)
        .ok_or(usage)?
        .split(',')
        .map(str::parse)
        .collect::<Result<Vec<f64>, _>>()?;
    let neurons: usize = args.get(4).map(|s| s.parse()).transpose()?.unwrap_or(0);
    let seconds: f64 = args.get(5).map(|s| s.parse()).transpose()?.unwrap_or(20.0);
    let seed: u64 = args.get(6).map(|s| s.parse()).transpose()?.unwrap_or(7);
    let m = balnet::presets::default_model();
    let a = 0;
    let lif = LifParams::of(&m, a);
    let tau = lif.tau_m;
    let g =
        GammaRenewal::new(nu_pre, cv, 0.002).ok_or("gamma train: need 0 < CV and 2 ms < 1/NU")?;
    let f_eff = g.fano_eff(tau);
    let deficit = 1.0 - cv * cv;
    let tau_c = tau * (f_eff - cv * cv) / (1.0 - f_eff);
    // membrane-filtered weight of a one-pole deficit: tau_c / (tau_c + tau_m); two poles
    // with equal halves keep F_eff when their weights average to the one pole's
    let weight = |t: f64| t / (t + tau);
    // (no such time when the one pole's weight is above the midpoint of tau_c/4's and 1)
    let (t1, w2) = (tau_c / 4.0, 2.0 * weight(tau_c) - weight(tau_c / 4.0));
    let t2 = if w2 < 1.0 {
        tau * w2 / (1.0 - w2)
    } else {
        f64::NAN
    };
    println!(
        "nu {nu_pre} Hz, CV {cv}: F_eff {f_eff:.4}, one pole tau_c {:.2} ms, two poles {:.2} / {:.2} ms",
        tau_c * 1e3,
        t1 * 1e3,
        t2 * 1e3
    );
    let nu = vec![nu_pre; m.p()];
    println!(
        "{:>6} | {:>9} {:>6} | {:>9} {:>6} | {:>9} {:>6} | {:>9} | {:>9} {:>9} {:>9} | {:>9} {:>8} {:>8} {:>6} | {:>9} {:>9} {:>6}",
        "x (mV)",
        "C gamma",
        "F_chi",
        "C 1-pole",
        "F_chi",
        "C 2-pole",
        "F_chi",
        "C shape",
        "Hawkes",
        "shape",
        "H",
        "sim",
        "se",
        "z Hawkes",
        "z H",
        "k3 term",
        "H3",
        "z H3"
    );
    let third = GammaTrainsPoint::new(&m, a, nu_pre, cv)?;
    let dk3 = third.membrane_k3_difference();
    let sources = RenewalSource::network_inputs(&m, a, nu_pre, cv, 0.002);
    let drive = population_input(&m, a, &nu)?.mean_drive(tau);

    for x in xs {
        let mut out = Vec::new();
        for shape in 0..3 {
            if shape == 2 && t2.is_nan() {
                out.push((f64::NAN, f64::NAN));
                continue;
            }
            let rel = |w: f64| match shape {
                0 => g.spectrum(w) / nu_pre - 1.0,
                1 => -deficit / (1.0 + (w * tau_c).powi(2)),
                _ => {
                    -0.5 * deficit / (1.0 + (w * t1).powi(2))
                        - 0.5 * deficit / (1.0 + (w * t2).powi(2))
                }
            };
            out.push(rule_c_common(&m, a, &nu, rel, f_eff, x)?);
        }
        let (h, hk, shape) = rule_h_common(
            &m,
            a,
            &nu,
            |w| g.spectrum(w) / nu_pre - 1.0,
            cv * cv,
            f_eff,
            x,
            point,
        )?;
        // the third-cumulant term (docs/theory.md 6.6.12d), with the Hawkes point only
        let k3 = if point == ShapePoint::Hawkes {
            third_cumulant_term(
                &third.lif,
                &third.external,
                &third.sources,
                third.bias(x),
                dk3,
                &HAWKES_SHAPE_RESOLUTION,
            )?
        } else {
            f64::NAN
        };
        let (sim, se) = if neurons > 0 {
            let r =
                simulate_renewal_neuron(&lif, &sources, x - drive, neurons, 1.0, seconds, seed)?;
            (r.rate_hz, r.rate_se_hz)
        } else {
            (f64::NAN, f64::NAN)
        };
        println!(
            "{x:>6.1} | {:>9.4} {:>6.4} | {:>9.4} {:>6.4} | {:>9.4} {:>6.4} | {:>+9.4} | {:>9.4} {shape:>+9.4} {:>9.4} | {sim:>9.4} {se:>8.4} {:>8.1} {:>6.1} | {k3:>+9.4} {:>9.4} {:>6.1}",
            out[0].0,
            out[0].1,
            out[1].0,
            out[1].1,
            out[2].0,
            out[2].1,
            out[0].0 - out[1].0,
            hk,
            h,
            (sim - hk) / se,
            (sim - h) / se,
            h + k3,
            (sim - h - k3) / se
        );
    }
    Ok(())
}
