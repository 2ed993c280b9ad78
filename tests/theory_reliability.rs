//! Reliability of the theory on hostile inputs: every case feeds a Model or arguments that
//! once panicked, hung or returned non-finite numbers, and expects a clear error naming the
//! argument or a correct finite result (docs/theory.md section 7, "Theory input rules").

use std::path::PathBuf;

use balnet::theory::dynamics;
use balnet::theory::stationary::{self, Limit};
use balnet::theory::{State, latent};
use balnet::transfer::shot_noise::{self, ShotInput};
use balnet::transfer::{LifParams, siegert};
use balnet::{Model, presets};

fn repro(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/repro")
        .join(name)
}

/// A Model read without validation (as a library user may build one by hand).
fn raw(name: &str) -> Model {
    let text = std::fs::read_to_string(repro(name)).unwrap();
    if name.ends_with(".json") {
        serde_json::from_str(&text).unwrap()
    } else {
        toml::from_str(&text).unwrap()
    }
}

fn assert_finite(st: &State) {
    for p in &st.populations {
        for v in [
            p.rate_hz,
            p.q_hz2,
            p.mu_mv,
            p.sigma_mv,
            p.mean_input_mv,
            p.delta_mv2,
            p.gain_hz_per_mv,
            p.mean_v_mv,
        ] {
            assert!(v.is_finite(), "{p:?}");
        }
    }
}

/// A latent block with `d = 0`, `d_in = 0` is valid (docs/theory.md section 1): it
/// validates and solves to the same state as the Model without a latent block.
#[test]
fn empty_latent_block_is_valid_and_solves_like_no_latent_block() {
    let m = Model::from_file(&repro("latent_d0_empty_panic.toml")).unwrap();
    let st = stationary::solve(&m, Limit::Finite, &[], &[], None).unwrap();
    let mut none = m.clone();
    none.latent = None;
    let reference = stationary::solve(&none, Limit::Finite, &[], &[], None).unwrap();
    for (a, b) in st.populations.iter().zip(&reference.populations) {
        assert_eq!(a.rate_hz, b.rate_hz);
    }
    assert_finite(&st);
}

/// Parameters beyond the magnitude rule (1e300 couplings, time constants, drive) are
/// rejected by name, both when read and at the solver boundary for hand-built Models.
#[test]
fn astronomical_parameters_are_rejected_by_name() {
    for (file, field) in [
        ("api_model_81.json", "j[0][0]"),
        ("api_model_147.json", "tau_m"),
        ("api_model_165.json", "j_ext"),
        ("api_model_218.json", "external.nu0"),
        ("signal_amplitude_1e300_nan.toml", "latent.signal"),
        ("loadings_nbar_-1e300.toml", "nbar"),
    ] {
        let e = Model::from_file(&repro(file)).unwrap_err().to_string();
        assert!(e.contains(field), "{file}: {e}");
        let m = raw(file);
        let d = m.d();
        let s = vec![0.0; m.d_in()];
        let e = stationary::solve(&m, Limit::Finite, &vec![0.0; d], &s, None)
            .unwrap_err()
            .to_string();
        assert!(e.contains(field), "{file}: {e}");
    }
}

/// The largest allowed signal amplitude (1e12) gives a finite state, and the right one:
/// with `wbar = 0` and `Var(w) = 3.24` the input loading spreads the neurons' mean inputs
/// with a standard deviation `sd = 1.8e12` mV, so (closed form) half of them fire at the
/// refractory limit `1/tau_ref` and the other half sit at their free potential: the
/// population rate is `1/(2 tau_ref)` = 250 Hz (the finite-rate region near threshold
/// lowers it by `O(ln(sd)/sd)`, 1e-9 relative) and the mean potential `-sd/sqrt(2 pi)`
/// (corrections `O(mu/sd)`, 1e-10 relative).
#[test]
fn largest_signal_amplitude_gives_finite_state_or_error() {
    let mut m = raw("signal_amplitude_1e300_nan.toml");
    m.latent.as_mut().unwrap().signal.components[0] = vec![balnet::model::SignalTerm::Step {
        t0: 0.0,
        amplitude: 1e12,
    }];
    m.validate().unwrap();
    let s = m.signal(0.0);
    let st = stationary::solve(&m, Limit::Finite, &vec![0.0; m.d()], &s, None).unwrap();
    assert_finite(&st);
    let sd = 3.24f64.sqrt() * 1e12;
    for p in &st.populations {
        let half_max = 0.5 / 0.002;
        let free = -sd / (2.0 * std::f64::consts::PI).sqrt();
        eprintln!(
            "{}: rate {} Hz (closed form {half_max}), mean V {:e} mV ({free:e})",
            p.name, p.rate_hz, p.mean_v_mv
        );
        assert!((p.rate_hz / half_max - 1.0).abs() < 1e-8);
        assert!((p.mean_v_mv / free - 1.0).abs() < 1e-8);
    }
}

/// Wrong lengths and non-finite entries of kappa and s are invalid arguments, by name.
#[test]
fn kappa_and_s_lengths_and_values_are_checked() {
    let m = balnet::presets::default_model();
    for (kappa, s, name) in [
        (vec![], vec![0.0], "kappa"),
        (vec![1.0, 1.0], vec![0.0], "kappa"),
        (vec![0.0], vec![], "s"),
        (vec![f64::NAN], vec![0.0], "kappa[0]"),
        (vec![0.0], vec![f64::INFINITY], "s[0]"),
    ] {
        let e = stationary::solve(&m, Limit::Finite, &kappa, &s, None).unwrap_err();
        assert!(matches!(e, balnet::Error::Invalid { .. }), "{e}");
        assert!(e.to_string().contains(name), "{e}");
    }
    let e = latent::fixed_points(&m, Limit::Finite, &[], &latent::SearchBox::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("s"), "{e}");
    let e = LifParams::try_of(&m, 7).unwrap_err().to_string();
    assert!(e.contains("no such population"), "{e}");
}

/// A hand-built Model that breaks a rule (here: a coupling matrix with a missing row,
/// which used to index out of bounds) is rejected at the solver boundary.
#[test]
fn hand_built_invalid_model_is_rejected_not_panicking() {
    let mut m = balnet::presets::default_d0();
    m.j.pop();
    let e = stationary::solve(&m, Limit::Finite, &[], &[], None).unwrap_err();
    assert!(e.to_string().contains("j"), "{e}");
    let e = stationary::balanced_rates(&m).unwrap_err();
    assert!(e.to_string().contains("j"), "{e}");
}

/// `tau_ref = 0` solves (the Siegert rate without refractoriness is unbounded, and the
/// runaway branch is cut at 1e5 Hz): the solution exists and is self-consistent.
#[test]
fn zero_refractory_period_solves() {
    let m = Model::from_file(&repro("default_tau_ref0_slow.toml")).unwrap();
    let st = stationary::solve(&m, Limit::Finite, &[0.0], &[0.0], None).unwrap();
    assert_finite(&st);
    assert!(st.residual < 1e-9);
}

/// `external.nu0 = 1e8` Hz: a mean input of about 3e8 mV, where the Siegert function's own
/// rounding noise (1e-11 relative) is above the adaptive quadrature's tolerance, which used
/// to refine to its panel cap in every average (minutes). The quadrature now stops at the
/// integrand's noise floor. Far above threshold the rate is the deterministic LIF's,
/// `1 / (tau_ref + tau_m ln((M - Vr)/(M - theta)))` (docs/theory.md 2.2), up to the noise
/// correction `O(sigma^2 / M^2) ~ 1e-9` and the spread of inputs `Delta / M^2 ~ 1e-13`.
#[test]
fn huge_external_drive_solves_to_the_deterministic_rate() {
    let m = Model::from_file(&repro("nu0_1e8.toml")).unwrap();
    let st = stationary::solve(&m, Limit::Finite, &[0.0], &[0.0], None).unwrap();
    assert_finite(&st);
    for (p, pop) in st.populations.iter().zip(&m.populations) {
        let x = p.mean_input_mv;
        let det = 1.0 / (pop.tau_ref + pop.tau_m * ((x - pop.v_reset) / (x - pop.theta)).ln());
        assert!(
            (p.rate_hz / det - 1.0).abs() < 1e-6,
            "{}: {} Hz vs deterministic {det} Hz",
            p.name,
            p.rate_hz
        );
    }
}

/// A reset 1e-12 mV below threshold: the neuron fires at almost `1/tau_ref`; the solve
/// finishes with a finite state.
#[test]
fn reset_just_below_threshold_solves() {
    let m = Model::from_file(&repro("theta_vreset_gap_1e-12_slow.toml")).unwrap();
    let st = stationary::solve(&m, Limit::Finite, &[0.0], &[0.0], None).unwrap();
    assert_finite(&st);
    assert!(st.populations[0].rate_hz < 1.0 / 0.002);
}

/// Siegert with the reset a tiny `gap = (theta - Vr)/sigma` below threshold against its
/// first-order closed form: `1/Phi = tau_ref + tau_m sqrt(pi) gap erfcx(-y)` and
/// `dPhi/dmu = Phi^2 tau_m sqrt(pi) gap (2 y erfcx(-y) + 2/sqrt(pi)) / sigma`,
/// `y = (theta - mu)/sigma` (relative corrections O(gap) = 1e-13).
#[test]
fn siegert_with_reset_just_below_threshold_matches_first_order_form() {
    let sqrt_pi = std::f64::consts::PI.sqrt();
    for (mu, sigma) in [(12.0, 5.0), (25.0, 2.0), (-30.0, 10.0), (19.0, 0.5)] {
        let lif = LifParams {
            tau_m: 0.02,
            theta: 20.0,
            v_reset: 20.0 - 1e-12,
            tau_ref: 0.0,
        };
        // the gap between the representable theta and v_reset (1e-12 to 0.4%)
        let gap = (lif.theta - lif.v_reset) / sigma;
        let y: f64 = (lif.theta - mu) / sigma;
        // erfcx(-y) = 2 exp(y^2) - erfcx(y), evaluated at the positive argument
        let ex = if y > 0.0 {
            2.0 * (y * y).exp() - puruspe::erfcx(y)
        } else {
            puruspe::erfcx(-y)
        };
        let phi = 1.0 / (lif.tau_ref + lif.tau_m * sqrt_pi * gap * ex);
        let dphi = phi * phi * lif.tau_m * sqrt_pi * gap * (2.0 * y * ex + 2.0 / sqrt_pi) / sigma;
        let (r, d) = siegert::rate_and_drate(&lif, mu, sigma);
        assert!((r / phi - 1.0).abs() < 1e-10, "mu {mu}: {r} vs {phi}");
        assert!((d / dphi - 1.0).abs() < 1e-8, "mu {mu}: {d} vs {dphi}");
    }
}

/// Siegert far below threshold is 0 (not NaN), and without refractoriness far above
/// threshold it is finite and follows the noiseless limit.
#[test]
fn siegert_extreme_inputs_are_finite() {
    let lif = LifParams {
        tau_m: 0.02,
        theta: 20.0,
        v_reset: 10.0,
        tau_ref: 0.002,
    };
    assert_eq!(siegert::rate(&lif, -1e300, 8.0), 0.0);
    assert_eq!(siegert::drate_dmu(&lif, -1e300, 8.0), 0.0);
    let free = LifParams {
        tau_ref: 0.0,
        ..lif
    };
    for mu in [1e6, 1e12] {
        let r = siegert::rate(&free, mu, 8.0);
        let det = siegert::deterministic_rate(&free, mu);
        assert!(
            r.is_finite() && (r / det - 1.0).abs() < 1e-6,
            "{mu}: {r} vs {det}"
        );
    }
}

/// Shot noise with a strongly inhibited input (free mean drive -360 mV, excitatory jumps
/// of 0.2 mV): firing would need 1900 net excitatory jumps within a membrane time, so the
/// rate underflows to 0 and the mean potential is the free mean drive
/// `tau_m sum_X a_X R_X` (docs/theory.md section 7, "Shot noise"), not NaN.
#[test]
fn shot_noise_strong_inhibition_has_finite_mean_v() {
    let lif = LifParams {
        tau_m: 0.02,
        theta: 20.0,
        v_reset: 10.0,
        tau_ref: 0.002,
    };
    let input = ShotInput::new(vec![0.2, -1.0], vec![10000.0, 20000.0]).unwrap();
    let st = shot_noise::stationary(&lif, &input, 0.0).unwrap();
    let drive = 0.02 * (0.2 * 10000.0 - 1.0 * 20000.0);
    assert!(st.rate == 0.0, "{st:?}");
    assert!((st.mean_v / drive - 1.0).abs() < 1e-12, "{st:?} vs {drive}");
}

/// Shot noise with a finite but astronomically large jump: an error naming the jump or
/// the grid, no panic.
#[test]
fn shot_noise_astronomical_jump_is_an_error_not_a_panic() {
    let lif = LifParams {
        tau_m: 0.02,
        theta: 20.0,
        v_reset: 10.0,
        tau_ref: 0.002,
    };
    let e = ShotInput::new(vec![0.1, 4.56e300], vec![31711.0, 0.0]).unwrap_err();
    assert!(e.to_string().contains("jumps_mv[1]"), "{e}");
    let input = ShotInput {
        jumps_mv: vec![0.1, 4.56e300],
        rates_hz: vec![31711.0, 0.0],
    };
    let e = shot_noise::stationary(&lif, &input, 0.0).unwrap_err();
    assert!(e.to_string().contains("jumps_mv[1]"), "{e}");
}

/// Found by the long fuzz run (`tests/fuzz_models.rs`): a latent time constant of
/// `1e-12` s made `dynamics::integrate` step `1e-12` s at a time (5e10 steps for 50 ms).
/// The ratio `t_end / tau_s` is now bounded (docs/theory.md section 7) and the call
/// returns an error naming `latent.tau_s` at once.
#[test]
fn latent_time_constant_far_below_t_end_is_refused_at_once() {
    let mut m = presets::latent_bistable();
    m.latent.as_mut().unwrap().tau_s = 1e-12;
    let d = m.d();
    let r = dynamics::integrate(
        &m,
        Limit::Finite,
        &vec![0.0; d],
        0.05,
        0.01,
        &dynamics::DynamicsOptions::default(),
    );
    let msg = r
        .expect_err("tau_s = 1e-12 s over 50 ms must be refused")
        .to_string();
    assert!(msg.contains("latent.tau_s"), "{msg}");
    // a short but sensible time constant still integrates (500 time constants)
    m.latent.as_mut().unwrap().tau_s = 1e-4;
    assert!(
        dynamics::integrate(
            &m,
            Limit::Finite,
            &vec![0.0; d],
            0.05,
            0.01,
            &dynamics::DynamicsOptions::default(),
        )
        .is_ok()
    );
}
