//! Rule `H` in full as the closure `correlated_full` evaluates it (docs/theory.md 6.6.12e):
//! the presynaptic trains' third cumulant from the LIF's ISI Laplace transform, checked
//! against closed forms, and the rule against the event-driven simulation of regular fast
//! trains where the closure's cheaper form misses.

use balnet::model::{NoiseClosure, TransferKind};
use balnet::theory::correlated::{
    FREQUENCY_STRETCH, FULL_RESOLUTION, FULL_SHAPE_NODES, GammaTrainsPoint,
    HAWKES_SHAPE_RESOLUTION, OMEGA_MAX, full_correction, rule_c_common, trains_membrane_k3,
};
use balnet::theory::{Limit, stationary};
use balnet::transfer::LifParams;
use balnet::transfer::renewal::membrane_cumulants;
use balnet::transfer::response::diffusion::isi_laplace;
use balnet::transfer::response::second_order::mapped_legendre_nodes;
use num_complex::Complex64;

/// `L(1/tau_m)` and `L(2/tau_m)` of the white-noise LIF in closed form (Lindner,
/// Schimansky-Geier & Longtin 2002, with `D_-1(z) = e^{z^2/4} sqrt(pi/2) erfc(z/sqrt 2)` and
/// the recurrence `D_-2(z) = e^{-z^2/4} - z D_-1(z)`), `y = (V - mu)/sigma`:
///
/// ```text
///   L(1/tau) = e^{-tau_ref/tau} erfcx(-y_r) / erfcx(-y_t),
///   L(2/tau) = e^{-2 tau_ref/tau} [1 + sqrt(pi) y_r erfcx(-y_r)] / [1 + sqrt(pi) y_t erfcx(-y_t)].
/// ```
fn closed_laplace(lif: &LifParams, mu: f64, sigma: f64) -> (f64, f64) {
    let (yr, yt) = ((lif.v_reset - mu) / sigma, (lif.theta - mu) / sigma);
    let g2 = |y: f64| 1.0 + std::f64::consts::PI.sqrt() * y * puruspe::erfcx(-y);
    let dead = (-lif.tau_ref / lif.tau_m).exp();
    (
        dead * puruspe::erfcx(-yr) / puruspe::erfcx(-yt),
        dead * dead * g2(yr) / g2(yt),
    )
}

#[test]
fn isi_laplace_at_twice_the_inverse_tau_is_the_erfcx_closed_form() {
    let m = balnet::presets::default_model();
    let lif = LifParams::of(&m, 0);
    for (mu, sigma) in [
        (15.0, 5.0),
        (22.0, 3.0),
        (5.0, 4.0),
        (19.0, 1.0),
        (12.0, 2.5),
    ] {
        let (l1, l2) = closed_laplace(&lif, mu, sigma);
        let at = |s: f64| isi_laplace(&lif, mu, sigma, Complex64::new(s / lif.tau_m, 0.0)).unwrap();
        let (p1, p2) = (at(1.0), at(2.0));
        assert!(
            (p1.re / l1 - 1.0).abs() < 1e-11,
            "{mu} {sigma}: L(1/tau) {p1} vs {l1}"
        );
        assert!(
            (p2.re / l2 - 1.0).abs() < 1e-11,
            "{mu} {sigma}: L(2/tau) {p2} vs {l2}"
        );
    }
}

/// With no spread of mean inputs every presynaptic neuron is the same renewal train: the
/// sum over the in-degree of `a^3 k3`, `k3` from (6.6.12d) with the closed-form Laplace
/// transforms at the receiving membrane's `1/tau_m`, `2/tau_m`.
#[test]
fn trains_third_cumulant_without_spread_is_the_renewal_closed_form() {
    let mut m = balnet::presets::default_model();
    m.transfer = TransferKind::Siegert;
    m.noise = NoiseClosure::Poisson;
    let mut st = stationary::solve(
        &m,
        Limit::Finite,
        &vec![0.0; m.d()],
        &vec![0.0; m.d_in()],
        None,
    )
    .unwrap();
    for p in &mut st.populations {
        p.delta_mv2 = 0.0;
    }
    for a in 0..m.p() {
        let k3 = trains_membrane_k3(&m, &st, a).unwrap();
        let tau = m.populations[a].tau_m;
        for b in 0..m.p() {
            let q = &st.populations[b];
            let lif = LifParams::of(&m, b);
            assert!(
                (lif.tau_m - tau).abs() < 1e-15,
                "the closed form takes tau_m of both"
            );
            let nu = balnet::transfer::siegert::rate(&lif, q.mean_input_mv, q.sigma_mv);
            let (l1, l2) = closed_laplace(&lif, q.mean_input_mv, q.sigma_mv);
            let e1 = l1 / (1.0 - l1) - nu * tau;
            let e2 = l2 / (1.0 - l2) - nu * tau / 2.0;
            let want = m.k_in(b) * m.jump(a, b).powi(3) * membrane_cumulants(nu * tau, e1, e2).1;
            assert!(
                (k3[b] / want - 1.0).abs() < 1e-9,
                "a {a} b {b}: {} vs {want} mV^3",
                k3[b]
            );
            // and the renewal correction is resolved (23% below the Poisson value here)
            let poisson = m.k_in(b) * m.jump(a, b).powi(3) * nu * tau / 3.0;
            assert!(
                (k3[b] / poisson - 1.0).abs() > 0.1,
                "{} vs Poisson {poisson}",
                k3[b]
            );
        }
    }
}

/// Trains of 70 Hz, CV 0.4 (the network's most regular class) at 16 mV, 42 Hz output,
/// where the closure's cheaper form of rule `H` (the rate-matched shape term) is 9
/// standard errors low. Reference: the event-driven simulation of `cargo run --release
/// --example correlated_one_pole -- 70 0.4 0,8,16 300 20` (300 neurons x 20 s, seed 7;
/// docs/data/rule_h_shot_shape_out_of_sample.txt), 42.4652 +- 0.0619 Hz. The closure's rate
/// is rule `C`'s times `exp(ln nu_H/nu_C)`.
#[test]
fn rule_h_in_full_as_the_closure_evaluates_it_matches_regular_fast_trains() {
    let m = balnet::presets::default_model();
    let (nu_pre, cv, x) = (70.0, 0.4, 16.0);
    let (sim, se) = (42.4652, 0.0619);
    let pt = GammaTrainsPoint::new(&m, 0, nu_pre, cv).unwrap();
    let g = pt.trains;
    let f_eff = g.fano_eff(pt.lif.tau_m);
    let nu = vec![nu_pre; m.p()];
    let (c, f_chi) = rule_c_common(&m, 0, &nu, |w| g.spectrum(w) / g.nu - 1.0, f_eff, x).unwrap();
    let nodes = mapped_legendre_nodes(OMEGA_MAX, FULL_SHAPE_NODES, FREQUENCY_STRETCH);
    let omegas: Vec<f64> = nodes.iter().map(|n| n.0).collect();
    let fc = full_correction(
        &pt.lif,
        &pt.input,
        &pt.external,
        &pt.sources,
        &vec![f_chi; m.p()],
        pt.bias(x),
        &nodes,
        &pt.shape_difference(&omegas),
        pt.membrane_k3_difference(),
        &FULL_RESOLUTION,
        &HAWKES_SHAPE_RESOLUTION,
    )
    .unwrap();
    let h = c * fc.ln_rate.exp();
    eprintln!("sim {sim} +- {se} Hz; C {c:.4}; closure's H in full {h:.4} ({fc:?})");
    assert!((sim - h).abs() < 3.0 * se, "H {h} vs {sim} +- {se}");
    // without the shape term the rule misses by many standard errors: the term decides
    let without = c * (fc.hawkes_hz + fc.third_cumulant_hz) / fc.rule_c_hz;
    assert!(
        (sim - without).abs() > 10.0 * se,
        "without the shape term {without}"
    );
}
