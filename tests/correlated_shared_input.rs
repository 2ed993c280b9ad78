//! Inputs with a shared component (docs/theory.md 6.6, "Single neurons"): the external
//! trains of a LIF neuron of the default model share an Ornstein-Uhlenbeck rate
//! modulation (`sim::single::simulate_modulated_neuron`).
//!
//! 1. The simulator against closed forms: with the threshold out of reach the membrane
//!    potential of a neuron driven by modulated Poisson trains has mean
//!    `bias + tau_m sum count nu J` and variance
//!    `tau_m sum count nu J^2 / 2 + (tau_m Lambda_0 J depth)^2 tau_c / (tau_m + tau_c)`
//!    (shot noise plus the membrane-filtered modulation).
//! 2. The rate change of the second-order response (6.6.1) with the modulation's
//!    spectrum against the exact event-driven simulation: within 3 standard errors, and
//!    the effect itself resolved (the unmodulated shot-noise rate is more than 4 standard
//!    errors off). A short version of examples/correlated_shared_input.rs.

use balnet::sim::single::{OuModulation, RenewalSource, simulate_modulated_neuron};
use balnet::transfer::response::second_order::SecondOrder;
use balnet::transfer::shot_noise::{Resolution, ShotNoise, TABLE_SPACING, population_input};
use balnet::transfer::{LifParams, Transfer};

#[test]
fn free_membrane_moments_of_modulated_input_match_closed_form() {
    let m = balnet::presets::default_model();
    let mut lif = LifParams::of(&m, 0);
    lif.theta = 1e9;
    let tau = lif.tau_m;
    let ext = RenewalSource::external(&m, 0);
    let (tau_c, depth) = (0.02, 0.1);
    let modulation = OuModulation {
        tau_c,
        depth,
        sources: vec![0],
    };
    let bias = -20.0;
    let sim =
        simulate_modulated_neuron(&lif, &[ext], &modulation, bias, 200, 1.0, 10.0, 3).unwrap();
    let lambda0 = ext.count as f64 * ext.nu;
    let mean = bias + tau * lambda0 * ext.jump;
    let shot = tau * lambda0 * ext.jump.powi(2) / 2.0;
    let shared = (tau * lambda0 * ext.jump * depth).powi(2) * tau_c / (tau + tau_c);
    eprintln!(
        "mean V {:.4} vs {mean:.4} mV; var V {:.4} vs {:.4} mV^2 (shot {shot:.4}, shared {shared:.4})",
        sim.mean_v_mv,
        sim.var_v_mv2,
        shot + shared
    );
    // standard errors from the correlation time (~tau + tau_c): about 0.015 mV and
    // 0.5% of the variance; the shared part is 60% of the variance
    assert!(
        (sim.mean_v_mv - mean).abs() < 0.06,
        "mean V {}",
        sim.mean_v_mv
    );
    assert!(
        (sim.var_v_mv2 / (shot + shared) - 1.0).abs() < 0.02,
        "var V {} vs {}",
        sim.var_v_mv2,
        shot + shared
    );
}

#[test]
fn rate_change_from_a_shared_input_matches_the_second_order_response() {
    let m = balnet::presets::default_model();
    let a = 0;
    let lif = LifParams::of(&m, a);
    let tau = lif.tau_m;
    let nu_pre = 12.0;
    let input = population_input(&m, a, &vec![nu_pre; m.p()]).unwrap();
    let drive = input.mean_drive(tau);
    let kj2: f64 = (0..m.p()).map(|b| m.k_in(b) * m.jump(a, b).powi(2)).sum();
    let (k0, nu0, j0) = (m.k_ext(), m.external.nu0, m.jump_ext(a));
    let sigma = (tau * (kj2 * nu_pre + k0 * nu0 * j0 * j0)).sqrt();
    let sources = RenewalSource::network_inputs(&m, a, nu_pre, 1.0, 0.0);
    let modulation = OuModulation {
        tau_c: 0.005,
        depth: 0.08,
        sources: vec![sources.len() - 1],
    };
    let amp = tau * k0 * nu0 * j0;
    for x in [5.0, 8.0] {
        let shot = ShotNoise::with_resolution(
            lif,
            input.clone(),
            (x - 1.0, x + 1.0),
            TABLE_SPACING,
            Resolution::default(),
        )
        .unwrap()
        .rate(x);
        let dnu = SecondOrder::new(&lif, x, sigma)
            .unwrap()
            .rate_change(|w| amp * amp * modulation.spectrum(w), 0.0, 2e4)
            .unwrap();
        let sim =
            simulate_modulated_neuron(&lif, &sources, &modulation, x - drive, 200, 1.0, 10.0, 5)
                .unwrap();
        let se = sim.rate_se_hz;
        eprintln!(
            "x {x} mV: sim {:.4} +- {se:.4} Hz, shot {shot:.4}, shot + Delta nu {:.4}",
            sim.rate_hz,
            shot + dnu
        );
        assert!(
            (sim.rate_hz - shot - dnu).abs() < 3.0 * se,
            "prediction {} vs {} +- {se}",
            shot + dnu,
            sim.rate_hz
        );
        assert!((sim.rate_hz - shot).abs() > 4.0 * se, "effect not resolved");
    }
}
