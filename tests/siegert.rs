//! The Siegert transfer function (docs/theory.md 2.2) against 30-digit mpmath references
//! (`tests/data/siegert_mpmath.json`, `tests/data/lif_cv_mpmath.json`, written by
//! `tools/reference/siegert_mpmath.py`), its noiseless limit, and its properties.

#![allow(clippy::neg_cmp_op_on_partial_ord)] // `!(x > 0.0)` rejects NaN on purpose

use balnet::transfer::{LifParams, Transfer, siegert};
use proptest::prelude::*;
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("valid JSON")
}

/// The LIF parameters the reference file was computed with (its "meta.params").
fn lif_of(doc: &Value) -> LifParams {
    let p = &doc["meta"]["params"];
    LifParams {
        tau_m: p["tau_m_s"].as_f64().unwrap(),
        theta: p["theta_mv"].as_f64().unwrap(),
        v_reset: p["vr_mv"].as_f64().unwrap(),
        tau_ref: p["tau_ref_s"].as_f64().unwrap(),
    }
}

fn default_lif() -> LifParams {
    LifParams {
        tau_m: 0.02,
        theta: 20.0,
        v_reset: 10.0,
        tau_ref: 0.002,
    }
}

fn f(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("field {key} in {v}"))
}

/// Largest relative error and where, with the count of compared points.
#[derive(Default)]
struct Worst {
    err: f64,
    at: (f64, f64),
    n: usize,
}

impl Worst {
    fn add(&mut self, err: f64, mu: f64, sigma: f64) {
        self.n += 1;
        if !(err <= self.err) {
            self.err = err;
            self.at = (mu, sigma);
        }
    }
}

#[test]
fn rate_and_derivative_match_mpmath() {
    let doc = load("siegert_mpmath.json");
    let lif = lif_of(&doc);
    let points = doc["points"].as_array().expect("points");
    assert!(
        points.len() >= 600,
        "reference table too short: {}",
        points.len()
    );
    let (mut rate_w, mut drate_w, mut ln_w, mut ln_d_w) = (
        Worst::default(),
        Worst::default(),
        Worst::default(),
        Worst::default(),
    );
    for p in points {
        let (mu, sigma) = (f(p, "mu"), f(p, "sigma"));
        let (r, d) = siegert::rate_and_drate(&lif, mu, sigma);
        assert!(
            r.is_finite() && r >= 0.0 && d.is_finite() && d >= 0.0,
            "mu {mu} sigma {sigma}: {r} {d}"
        );
        if p["rate_above_1e-12"].as_bool().unwrap() {
            // Compare with the 20-digit strings (the floats are their rounding).
            let r_ref: f64 = p["rate_hz_str"].as_str().unwrap().parse().unwrap();
            let d_ref: f64 = p["dphi_dmu_hz_per_mv_str"]
                .as_str()
                .unwrap()
                .parse()
                .unwrap();
            rate_w.add((r / r_ref - 1.0).abs(), mu, sigma);
            drate_w.add((d / d_ref - 1.0).abs(), mu, sigma);
        }
        // Everywhere, including far below 1e-12 Hz and where the rate underflows:
        // the logarithms.
        let (lr, ld) = (
            siegert::ln_rate(&lif, mu, sigma),
            siegert::ln_drate_dmu(&lif, mu, sigma),
        );
        let (lr_ref, ld_ref) = (f(p, "ln_rate"), f(p, "ln_dphi_dmu"));
        ln_w.add((lr - lr_ref).abs() / (1.0 + lr_ref.abs()), mu, sigma);
        ln_d_w.add((ld - ld_ref).abs() / (1.0 + ld_ref.abs()), mu, sigma);
    }
    println!(
        "rate:  max rel err {:.3e} at (mu, sigma) = {:?} over {} points with rate > 1e-12 Hz",
        rate_w.err, rate_w.at, rate_w.n
    );
    println!(
        "dPhi/dmu: max rel err {:.3e} at {:?} over {} points",
        drate_w.err, drate_w.at, drate_w.n
    );
    println!(
        "ln rate: max err/(1+|ln|) {:.3e} at {:?} over all {} points",
        ln_w.err, ln_w.at, ln_w.n
    );
    println!(
        "ln dPhi/dmu: max err/(1+|ln|) {:.3e} at {:?}",
        ln_d_w.err, ln_d_w.at
    );
    assert!(rate_w.n > 300);
    assert!(
        rate_w.err < 1e-13,
        "rate error {:.3e} at {:?}",
        rate_w.err,
        rate_w.at
    );
    assert!(
        drate_w.err < 1e-13,
        "derivative error {:.3e} at {:?}",
        drate_w.err,
        drate_w.at
    );
    assert!(
        ln_w.err < 1e-12,
        "ln rate error {:.3e} at {:?}",
        ln_w.err,
        ln_w.at
    );
    assert!(
        ln_d_w.err < 1e-12,
        "ln derivative error {:.3e} at {:?}",
        ln_d_w.err,
        ln_d_w.at
    );
}

#[test]
fn cv_matches_mpmath() {
    let doc = load("lif_cv_mpmath.json");
    let lif = lif_of(&doc);
    let mut w = Worst::default();
    for p in doc["points"].as_array().expect("points") {
        let (mu, sigma) = (f(p, "mu"), f(p, "sigma"));
        let cv_ref: f64 = p["cv_str"].as_str().unwrap().parse().unwrap();
        let cv = siegert::cv_isi(&lif, mu, sigma);
        w.add((cv / cv_ref - 1.0).abs(), mu, sigma);
    }
    println!(
        "CV: max rel err {:.3e} at {:?} over {} points",
        w.err, w.at, w.n
    );
    assert!(w.n >= 10);
    assert!(w.err < 3e-14, "CV error {:.3e} at {:?}", w.err, w.at);
}

/// Strong noise (CV > 1), tiny noise above threshold, rare firing
/// (`tests/data/lif_cv_extreme_mpmath.json`).
#[test]
fn cv_matches_mpmath_at_extreme_inputs() {
    let doc = load("lif_cv_extreme_mpmath.json");
    let lif = lif_of(&doc);
    let mut w = Worst::default();
    for p in doc["points"].as_array().expect("points") {
        let (mu, sigma) = (f(p, "mu"), f(p, "sigma"));
        let cv_ref: f64 = p["cv_str"].as_str().unwrap().parse().unwrap();
        let e = (siegert::cv_isi(&lif, mu, sigma) / cv_ref - 1.0).abs();
        println!("  CV at ({mu}, {sigma}): rel err {e:.2e}");
        w.add(e, mu, sigma);
    }
    println!(
        "CV (extreme inputs): max rel err {:.3e} at {:?} over {} points",
        w.err, w.at, w.n
    );
    assert!(w.n >= 10);
    assert!(w.err < 3e-13, "CV error {:.3e} at {:?}", w.err, w.at);
}

/// Small noise above threshold: the crossing-time jitter is the voltage spread at the
/// noiseless crossing time `T` over the slope there,
/// `Var T = (sigma^2 tau_m^2 / 2) (1/(mu - theta)^2 - 1/(mu - Vr)^2)`, so
/// `CV^2 -> nu^2 Var T`.
#[test]
fn cv_small_noise_asymptotics() {
    let lif = default_lif();
    for mu in [22.0, 40.0, 200.0] {
        for sigma in [0.01, 0.003] {
            let nu = siegert::rate(&lif, mu, sigma);
            let var_t = 0.5
                * (sigma * lif.tau_m).powi(2)
                * ((mu - lif.theta).powi(-2) - (mu - lif.v_reset).powi(-2));
            let cv = siegert::cv_isi(&lif, mu, sigma);
            let ratio = cv * cv / (nu * nu * var_t);
            assert!(
                (ratio - 1.0).abs() < 100.0 * (sigma / (mu - lif.theta)).powi(2),
                "mu {mu} sigma {sigma}: {ratio}"
            );
        }
    }
}

/// `sigma -> 0` above threshold: `1/Phi -> tau_ref + tau_m ln((mu - Vr)/(mu - theta))`,
/// and the first correction, from the asymptotic series of `erfcx`, is
/// `-(tau_m sigma^2/4) (1/(mu - theta)^2 - 1/(mu - Vr)^2)`.
#[test]
fn small_noise_limit_is_the_deterministic_rate() {
    let lif = default_lif();
    for mu in [20.5, 21.0, 25.0, 50.0, 100.0, 200.0] {
        let t_det = lif.tau_ref + lif.tau_m * ((mu - lif.v_reset) / (mu - lif.theta)).ln();
        let det = siegert::deterministic_rate(&lif, mu);
        assert!((det * t_det - 1.0).abs() < 1e-14);
        assert_eq!(siegert::rate(&lif, mu, 0.0), det);
        let coeff = -0.25 * lif.tau_m * ((mu - lif.theta).powi(-2) - (mu - lif.v_reset).powi(-2));
        for sigma in [0.01, 0.003, 0.001] {
            let r = siegert::rate(&lif, mu, sigma);
            let rel = (r / det - 1.0).abs();
            // Close to the limit...
            assert!(
                rel < 2.0 * (sigma / (mu - lif.theta)).powi(2),
                "mu {mu} sigma {sigma}: rel {rel:.3e}"
            );
            // ...and approaching it with the right sigma^2 coefficient.
            let c = (1.0 / r - t_det) / (sigma * sigma);
            let tol = 1e-3 * coeff.abs() + 1e-16 / (sigma * sigma);
            assert!(
                (c - coeff).abs() < tol,
                "mu {mu} sigma {sigma}: coefficient {c:.6e} vs {coeff:.6e}"
            );
        }
        // The derivative approaches the deterministic one.
        let d_det = det * det * lif.tau_m * (lif.theta - lif.v_reset)
            / ((mu - lif.theta) * (mu - lif.v_reset));
        let d = siegert::drate_dmu(&lif, mu, 0.001);
        assert!((d / d_det - 1.0).abs() < 1e-4, "mu {mu}: {d} vs {d_det}");
    }
    // Below threshold the rate vanishes with the noise.
    assert_eq!(siegert::rate(&lif, 19.0, 0.0), 0.0);
    assert_eq!(siegert::rate(&lif, 19.0, 0.01), 0.0);
}

/// The numerics switch method at several places; the rate must not jump there.
#[test]
fn continuous_across_the_regime_boundaries() {
    let lif = default_lif();
    let sigma = 2.0;
    let mut boundaries = vec![
        lif.theta,                 // y_th = 0
        lif.v_reset,               // y_r = 0
        lif.theta - 7.0 * sigma,   // y_th = 7: the erfcx part of the integral is dropped
        lif.theta + 8.0 * sigma,   // |y_th| = 8: asymptotic Int erfcx
        lif.v_reset + 8.0 * sigma, // |y_r| = 8
    ];
    // y_th^2 - y_r^2 = 4: Gauss-Legendre on the scaled integrand vs Dawson's function.
    // With y_th - y_r = 5, y_th + y_r = 0.8: y_th = 2.9.
    boundaries.push(lif.theta - 2.9 * sigma);
    for x in boundaries {
        let h = 1e-9 * (1.0 + x.abs());
        let (lo, hi) = (
            siegert::rate(&lif, x - h, sigma),
            siegert::rate(&lif, x + h, sigma),
        );
        let d = siegert::drate_dmu(&lif, x, sigma);
        // The jump over 2h must be what the derivative predicts, to 1e-12 relative.
        let jump = hi - lo - 2.0 * h * d;
        assert!(
            jump.abs() <= 1e-12 * hi.max(lo),
            "x = {x}: {lo:e} .. {hi:e}, derivative {d:e}"
        );
    }
}

#[test]
fn inverse_mu_round_trip() {
    let lif = default_lif();
    for &sigma in &[0.01, 0.5, 3.0, 8.0, 30.0, 100.0] {
        for &mu in &[-150.0, -40.0, 0.0, 12.0, 19.9, 20.0, 25.0, 80.0, 200.0] {
            let nu = siegert::rate(&lif, mu, sigma);
            if !(nu > 1e-250) {
                continue;
            }
            let back = siegert::inverse_mu(&lif, nu, sigma).expect("rate in range");
            let nu_back = siegert::rate(&lif, back, sigma);
            assert!(
                (nu_back / nu - 1.0).abs() < 1e-11,
                "sigma {sigma} mu {mu}: {back} gives {nu_back} vs {nu}"
            );
        }
    }
    // Far tails of the range: rates that only the log form resolves, and saturation.
    for sigma in [0.05, 5.0, 80.0] {
        for nu in [1e-300, 1e-100, 1e-12, 499.0, 499.99] {
            let x = siegert::inverse_mu(&lif, nu, sigma).expect("rate in range");
            let back = siegert::ln_rate(&lif, x, sigma);
            assert!(
                (back - nu.ln()).abs() < 1e-11 * (1.0 + nu.ln().abs()),
                "sigma {sigma} nu {nu}: {x} gives {back}"
            );
        }
    }
    assert_eq!(siegert::inverse_mu(&lif, 0.0, 5.0), None);
    assert_eq!(siegert::inverse_mu(&lif, 1.0 / lif.tau_ref, 5.0), None);
    assert_eq!(siegert::inverse_mu(&lif, -1.0, 5.0), None);
    // The Transfer object inverts the same way.
    let t = siegert::Siegert { lif, sigma: 8.0 };
    let x = t.inverse(11.59).unwrap();
    assert!((t.rate(x) / 11.59 - 1.0).abs() < 1e-12);
    // Deterministic inverse.
    let x0 = siegert::inverse_mu(&lif, 50.0, 0.0).unwrap();
    assert!((siegert::deterministic_rate(&lif, x0) / 50.0 - 1.0).abs() < 1e-12);
}

#[test]
fn transfer_object_uses_the_lif_formulas() {
    let lif = default_lif();
    let t = siegert::Siegert { lif, sigma: 8.135 };
    let x = 12.072;
    let nu = siegert::rate(&lif, x, 8.135);
    assert_eq!(t.rate(x), nu);
    assert_eq!(t.drate_dx(x), siegert::drate_dmu(&lif, x, 8.135));
    let v = (1.0 - nu * lif.tau_ref) * x - lif.tau_m * nu * (lif.theta - lif.v_reset)
        + nu * lif.tau_ref * lif.v_reset;
    assert!((t.mean_v(x) - v).abs() < 1e-12);
    assert_eq!(t.breakpoints(), vec![lif.theta - 6.0 * 8.135, lif.theta]);
}

/// The CV tends to 1 for rare escapes and to 0 for strong drive with little noise.
#[test]
fn cv_limits() {
    let lif = default_lif();
    let low = siegert::cv_isi(&lif, 0.0, 3.0); // rate ~ 1e-9 Hz
    assert!((low - 1.0).abs() < 1e-3, "{low}");
    let far = siegert::cv_isi(&lif, -200.0, 1.0); // rate underflows
    assert!((far - 1.0).abs() < 1e-3, "{far}");
    let regular = siegert::cv_isi(&lif, 40.0, 0.1);
    assert!(regular > 0.0 && regular < 0.02, "{regular}");
    // Small-noise scaling CV ~ sigma above threshold.
    let (a, b) = (
        siegert::cv_isi(&lif, 40.0, 0.02),
        siegert::cv_isi(&lif, 40.0, 0.01),
    );
    assert!((a / b - 2.0).abs() < 1e-3, "{a} {b}");
}

fn rate_domain() -> impl Strategy<Value = (f64, f64)> {
    (-200.0..200.0f64, -2.0..2.0f64).prop_map(|(mu, l)| (mu, 10f64.powf(l)))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn finite_bounded_and_monotone((mu1, sigma) in rate_domain(), dmu in 0.0..50.0f64) {
        let lif = default_lif();
        let mu2 = mu1 + dmu;
        let (r1, d1) = siegert::rate_and_drate(&lif, mu1, sigma);
        let r2 = siegert::rate(&lif, mu2, sigma);
        prop_assert!(r1.is_finite() && d1.is_finite());
        prop_assert!(r1 >= 0.0 && d1 >= 0.0);
        prop_assert!(r1 < 1.0 / lif.tau_ref && r2 < 1.0 / lif.tau_ref);
        // Positive wherever it does not underflow.
        let ln1 = siegert::ln_rate(&lif, mu1, sigma);
        prop_assert!(ln1.is_finite());
        if ln1 > -700.0 {
            prop_assert!(r1 > 0.0);
            prop_assert!((r1.ln() - ln1).abs() < 1e-12 * (1.0 + ln1.abs()));
        }
        prop_assert!(r2 >= r1, "not monotone: Phi({mu1}) = {r1:e} > Phi({mu2}) = {r2:e}, sigma {sigma}");
    }

    #[test]
    fn derivative_matches_finite_differences(l in -2.0..2.0f64, u in 0.0..1.0f64) {
        // mu from 4 sigma below threshold (rate > 1e-6 Hz) to 200 mV.
        let lif = default_lif();
        let sigma = 10f64.powf(l);
        let lo = lif.theta - 4.0 * sigma;
        let mu = lo + u * (200.0 - lo);
        let h = 1e-4 * sigma;
        let r = siegert::rate(&lif, mu, sigma);
        let fd = (siegert::rate(&lif, mu + h, sigma) - siegert::rate(&lif, mu - h, sigma)) / (2.0 * h);
        let d = siegert::drate_dmu(&lif, mu, sigma);
        prop_assert!((fd - d).abs() <= 1e-6 * d + 1e-9 * r / sigma, "mu {mu} sigma {sigma}: {d:e} vs {fd:e}");
    }

    #[test]
    fn finite_far_outside_the_domain(mu in -1e4..1e4f64, l in -6.0..4.0f64) {
        let lif = default_lif();
        let sigma = 10f64.powf(l);
        let (r, d) = siegert::rate_and_drate(&lif, mu, sigma);
        prop_assert!(r.is_finite() && r >= 0.0 && r < 1.0 / lif.tau_ref);
        prop_assert!(d.is_finite() && d >= 0.0);
        prop_assert!(!siegert::ln_rate(&lif, mu, sigma).is_nan());
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 200, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn cv_is_finite_and_positive((mu, sigma) in rate_domain()) {
        let cv = siegert::cv_isi(&default_lif(), mu, sigma);
        // (CV > 1 is real for strong noise: 2.70 at mu = -100, sigma = 100.)
        prop_assert!(cv.is_finite() && cv > 0.0 && cv < 5.0, "mu {mu} sigma {sigma}: {cv}");
    }
}
