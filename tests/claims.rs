//! The measures of the latent-computation claims (docs/theory.md 12.4) on synthetic data
//! with known answers, the ring's diffusion formula in closed form, and short
//! theory-vs-simulation checks of the ring and the oscillation (docs/theory.md 12.2-12.3).

use balnet::analysis::trajectory::{
    angle_diffusion, angular_frequency, logistic_fit, rms_relative, unwrap, within_trial_diffusion,
};
use balnet::claims::{self, TrialOptions};
use balnet::presets;
use balnet::theory::{Limit, latent};
use rand::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use std::f64::consts::PI;

#[test]
fn rms_relative_of_a_constant_offset() {
    // reference: a circle of radius 10 (range 20 per component); other: shifted by
    // (0.3, 0.4), so |difference| = 0.5 at every time and the RMS is 0.5 / 20 = 0.025.
    let r: Vec<Vec<f64>> = (0..400)
        .map(|i| {
            let t = i as f64 * 2.0 * PI / 400.0;
            vec![10.0 * t.cos(), 10.0 * t.sin()]
        })
        .collect();
    let o: Vec<Vec<f64>> = r.iter().map(|p| vec![p[0] + 0.3, p[1] + 0.4]).collect();
    let d = rms_relative(&r, &o).unwrap();
    assert!((d - 0.025).abs() < 1e-4, "{d}");
    assert_eq!(rms_relative(&r, &r).unwrap(), 0.0);
    assert!(rms_relative(&r, &o[..10]).is_err());
    assert!(rms_relative(&vec![vec![1.0]; 5], &vec![vec![2.0]; 5]).is_err());
}

#[test]
fn unwrap_and_angular_frequency_of_a_wrapped_rotation() {
    // theta = -3 t + 0.5, wrapped into (-pi, pi]: the slope is -3 rad/s exactly
    let t: Vec<f64> = (0..300).map(|i| i as f64 * 0.01).collect();
    let wrapped: Vec<f64> = t
        .iter()
        .map(|x| {
            let a = -3.0 * x + 0.5;
            a.sin().atan2(a.cos())
        })
        .collect();
    let u = unwrap(&wrapped);
    for (x, a) in t.iter().zip(&u) {
        assert!((a - (-3.0 * x + 0.5)).abs() < 1e-9);
    }
    let w = angular_frequency(&t, &wrapped).unwrap();
    assert!((w + 3.0).abs() < 1e-9, "{w}");
}

#[test]
fn logistic_fit_matches_statsmodels() {
    // tests/data/logistic_statsmodels.json from tools/reference/logistic_statsmodels.py
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/logistic_statsmodels.json"
    ))
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    for case in v["cases"].as_array().unwrap() {
        let x: Vec<f64> = case["x"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_f64().unwrap())
            .collect();
        let y: Vec<bool> = case["y"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_i64().unwrap() == 1)
            .collect();
        let f = logistic_fit(&x, &y).unwrap();
        for (got, key) in [
            (f.bias, "bias"),
            (f.slope, "slope"),
            (f.bias_se, "bias_se"),
            (f.slope_se, "slope_se"),
        ] {
            let want = case[key].as_f64().unwrap();
            assert!(
                (got - want).abs() < 1e-8 * (1.0 + want.abs()),
                "{key}: {got} vs statsmodels {want}"
            );
        }
    }
    // separable choices have no maximum-likelihood slope
    assert!(logistic_fit(&[-1.0, -0.5, 0.5, 1.0], &[false, false, true, true]).is_err());
}

#[test]
fn angle_diffusion_of_ballistic_trials_is_exact() {
    // theta_k(t) = v_k t: the displacement variance is Var(v) t^2, and the fit through the
    // origin gives Var(v) sum t^3 / sum t^2
    let t: Vec<f64> = (0..50).map(|i| i as f64 * 0.1).collect();
    let v = [-0.2, -0.1, 0.05, 0.1, 0.3];
    let angles: Vec<Vec<f64>> = v
        .iter()
        .map(|vk| t.iter().map(|x| vk * x).collect())
        .collect();
    let mv = v.iter().sum::<f64>() / 5.0;
    let var_v = v.iter().map(|x| (x - mv).powi(2)).sum::<f64>() / 4.0;
    let want =
        var_v * t.iter().map(|x| x.powi(3)).sum::<f64>() / t.iter().map(|x| x * x).sum::<f64>();
    let d = angle_diffusion(&t, &angles).unwrap();
    assert!(
        (d.slope_rad2_per_s - want).abs() < 1e-12 * want,
        "{} vs {want}",
        d.slope_rad2_per_s
    );
}

#[test]
fn angle_diffusion_recovers_a_known_coefficient() {
    // Brownian angles with D = 0.05 rad^2/s (variance slope 2D = 0.1), 200 trials of 2 s,
    // wrapped into (-pi, pi]: the estimate is within 3 standard errors of 0.1, and the
    // standard error is a few percent (a test that can fail: a factor 2 error in D is 30 SE)
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
    let dt = 0.01;
    let t: Vec<f64> = (0..200).map(|i| i as f64 * dt).collect();
    let angles: Vec<Vec<f64>> = (0..200)
        .map(|_| {
            let mut a = 1.0;
            t.iter()
                .map(|_| {
                    let z: f64 = StandardNormal.sample(&mut rng);
                    a += (2.0 * 0.05 * dt).sqrt() * z;
                    a.sin().atan2(a.cos())
                })
                .collect()
        })
        .collect();
    let d = angle_diffusion(&t, &angles).unwrap();
    assert!(d.slope_se > 0.0 && d.slope_se < 0.02, "{}", d.slope_se);
    assert!(
        (d.slope_rad2_per_s - 0.1).abs() < 3.0 * d.slope_se,
        "{} +- {}",
        d.slope_rad2_per_s,
        d.slope_se
    );
}

#[test]
fn within_trial_diffusion_separates_noise_from_drift() {
    // 40 trials of 3.4 s in 10 ms bins (the ring's hold window): each a quenched drift
    // that differs between trials (velocity v_k up to 0.3 rad/s and a curvature, the
    // across-trial spread ballistic), Brownian noise of variance slope 0.004 rad^2/s
    // (the order of the ring's spike-noise prediction) and white measurement noise of
    // sd 0.01 rad. The Allan slope recovers 0.004 within 3 standard errors, and the
    // standard error is below 0.001 (a drift leaking in, or a factor 2, would fail);
    // without noise the drift alone gives a slope below 1e-4.
    let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
    let dt = 0.01;
    let t: Vec<f64> = (0..340).map(|i| i as f64 * dt).collect();
    let lags: Vec<f64> = (2..=8).map(|k| f64::from(k) * 0.1).collect();
    let slope = 0.004;
    let make = |rng: &mut rand_xoshiro::Xoshiro256PlusPlus, noise: bool| -> Vec<Vec<f64>> {
        (0..40)
            .map(|k| {
                let v = 0.3 * ((k as f64) / 20.0 - 1.0);
                let mut w = 0.0;
                t.iter()
                    .map(|&x| {
                        let (z1, z2): (f64, f64) =
                            (StandardNormal.sample(rng), StandardNormal.sample(rng));
                        if noise {
                            w += (slope * dt).sqrt() * z1;
                        }
                        let drift = v * x + 0.02 * v * x * x;
                        let a = drift + w + if noise { 0.01 * z2 } else { 0.0 };
                        a.sin().atan2(a.cos())
                    })
                    .collect()
            })
            .collect()
    };
    let d = within_trial_diffusion(&t, &make(&mut rng, true), &lags).unwrap();
    assert!(d.slope_se > 0.0 && d.slope_se < 0.001, "{}", d.slope_se);
    assert!(
        (d.slope_rad2_per_s - slope).abs() < 3.0 * d.slope_se,
        "{} +- {}",
        d.slope_rad2_per_s,
        d.slope_se
    );
    let quiet = within_trial_diffusion(&t, &make(&mut rng, false), &lags).unwrap();
    assert!(
        quiet.slope_rad2_per_s.abs() < 1e-4,
        "{}",
        quiet.slope_rad2_per_s
    );
    // the across-trial estimator sees the drift: far above the noise
    let across = angle_diffusion(&t, &make(&mut rng, true)).unwrap();
    assert!(across.slope_rad2_per_s > 10.0 * slope);
    assert!(within_trial_diffusion(&t, &make(&mut rng, true), &[0.2]).is_err());
    assert!(within_trial_diffusion(&t, &make(&mut rng, true), &[0.2, 0.205]).is_err());
}

#[test]
fn ring_variance_slope_closed_form() {
    // docs/theory.md 12.2 for the ring preset: sum_B c_B^2 sigma_n^2 nu_B / (N_B tau_s^2 R^2),
    // evaluated by hand from the ring's state
    let m = presets::ring_memory();
    let sol = latent::fixed_points(&m, Limit::Finite, &[0.0, 0.0], &Default::default()).unwrap();
    let ring = &sol.rings[0];
    let r = ring.radius;
    let tangent = [-ring.representative[1] / r, ring.representative[0] / r];
    let got = claims::ring_variance_slope(&m, &ring.state, &tangent, r, &[1.0, 1.0]).unwrap();
    let nu = ring.state.rates();
    let want = 2.25 * (1.0 * nu[0] / 4000.0 + 0.0625 * nu[1] / 1000.0) / (0.01 * r * r);
    assert!((got - want).abs() < 1e-12 * want, "{got} vs {want}");
    // the ring of the preset: 1.26 x the rank-one bifurcation of this network, a radius of
    // order 10 Hz, stable transversally
    assert!(ring.transverse_stable && r > 5.0 && r < 40.0, "{r}");
}

fn short(mut m: balnet::Model, duration: f64) -> Vec<claims::TrialRecord> {
    m.sim.duration = duration;
    claims::run_trials(
        &m,
        &TrialOptions {
            seeds: vec![3],
            network_seed: None,
            bin_s: 0.01,
            windows: vec![],
            quiet: true,
        },
    )
    .unwrap()
}

#[test]
fn ring_holds_the_cued_angle_at_the_theory_radius() {
    // docs/theory.md 12.2: one network, 1.6 s. The cue at angle 0 must set the angle
    // (|angle| < 0.35 rad at the end, where an uncued ring is uniform over +-pi), the radius
    // must be within 35% of the theory's (the known kappa gap of docs/theory.md 5 is 15-25%;
    // without the ring it would be 0), and the mean V of E over the hold window within
    // 0.4 mV of the theory's (holding the ring moves it by 3 mV from its kappa = 0 value).
    let m = presets::ring_memory();
    let trials = short(m.clone(), 1.6);
    let t_end = m.sim.warmup + 1.6;
    let theory = claims::theory_trajectory(&m, t_end, 0.01).unwrap();
    let rep = claims::ring_report(&m, &trials, [1.2, t_end]).unwrap();
    assert!(
        rep.sim_angle_end_rad.mean.abs() < 0.35,
        "{:?}",
        rep.sim_angle_end_rad
    );
    assert!(
        rep.radius_rel_error.abs() < 0.35,
        "{}",
        rep.radius_rel_error
    );
    let c = claims::compare_trajectory(&theory, &trials, 1.2).unwrap();
    let n = c.time_s.len() as f64;
    let th = c.theory_mean_v_mv[0].iter().sum::<f64>() / n;
    let sim = c.sim_mean_v_mv[0].mean.iter().sum::<f64>() / n;
    let v0 = theory.populations[0].mean_v_mv[0];
    assert!(v0 - th > 2.0, "theory: kappa = 0 {v0} mV, ring {th} mV");
    assert!(
        (th - sim).abs() < 0.4,
        "<V>_E theory {th} mV, simulation {sim} mV"
    );
}

#[test]
fn oscillation_frequency_matches_the_theory() {
    // docs/theory.md 12.3: one network, 2 s. The angular frequency of kappa must be within
    // 20% of the theory's limit cycle (a ring or a fixed point would give 0).
    let m = presets::latent_oscillation();
    let trials = short(m.clone(), 2.0);
    let t_end = m.sim.warmup + 2.0;
    let theory = claims::theory_trajectory(&m, t_end, 0.01).unwrap();
    let rep = claims::oscillation_report(&m, &theory, &trials, [1.0, t_end]).unwrap();
    assert!(rep.origin_eigenvalue[0] > 0.0 && rep.origin_eigenvalue[1].abs() > 1.0);
    assert!(rep.omega_rel_error.abs() < 0.2, "{rep:?}");
}

#[test]
fn context_gates_the_irrelevant_input() {
    // docs/theory.md 12.1. Theory: E_A and E_B receive the same recurrent input, so the
    // context's 10 mV shift of E_B survives the balance exactly (M_EA - M_EB = 10 mV).
    let m = presets::context_integration(presets::CONTEXT_SIGMA_NM, presets::CONTEXT_SHIFT_MV);
    let st =
        balnet::theory::stationary::solve(&m, Limit::Finite, &[0.0], &[0.0, 0.0, 1.0, 0.0], None)
            .unwrap();
    let d = st.populations[0].mean_input_mv - st.populations[1].mean_input_mv;
    assert!((d - presets::CONTEXT_SHIFT_MV).abs() < 1e-8, "{d}");
    // Simulation, context A, one network each: the relevant coherence 0.2 drives kappa to
    // about 8 Hz (theory 6.5), the irrelevant one must stay below 3 Hz in magnitude (the
    // trial-to-trial sd of the readout is about 1 Hz; ungated it would also reach 8 Hz).
    let readout = |coh_a: f64, coh_b: f64| {
        let mut mm = m.clone();
        mm.latent.as_mut().unwrap().signal = presets::context_signal(true, coh_a, coh_b, 0.3, 1.3);
        let tr = short(mm, 1.1);
        let k: Vec<f64> = tr[0]
            .time_s
            .iter()
            .zip(&tr[0].kappa_hz)
            .filter(|(t, _)| **t >= 1.2)
            .map(|(_, k)| k[0])
            .collect();
        k.iter().sum::<f64>() / k.len() as f64
    };
    let rel = readout(0.2, 0.0);
    let irr = readout(0.0, 0.2);
    assert!(rel > 4.0, "relevant: kappa = {rel} Hz");
    assert!(irr.abs() < 3.0, "irrelevant: kappa = {irr} Hz");
}

#[test]
fn claim_presets_are_valid_and_round_trip() {
    for name in ["ring-memory", "latent-oscillation", "context-integration"] {
        let m = presets::by_name(name).unwrap();
        m.validate().unwrap();
        assert_eq!(balnet::Model::from_toml(&m.to_toml()).unwrap(), m, "{name}");
        assert!(presets::NAMES.contains(&name));
    }
}
