//! Closed-form linear response of the white-noise LIF (docs/theory.md 6.1) against
//! independent references: 30-digit mpmath values of the published formulas
//! (`tools/reference/lif_response_mpmath.py`, itself checked there against a numerical
//! solution of the linearised Fokker-Planck equation), the closed-form derivatives of
//! the Siegert rate, the closed-form `L(1/tau_m)`, `S(0) = nu CV^2`, and the
//! high-frequency expansion of Brunel & Hakim (1999).

use balnet::transfer::LifParams;
use balnet::transfer::response::diffusion::{
    drate_dsigma2, isi_laplace, spike_spectrum, susceptibility,
};
use balnet::transfer::siegert;
use num_complex::Complex64;

fn data() -> serde_json::Value {
    serde_json::from_str(include_str!("data/lif_response_mpmath.json")).expect("table parses")
}

fn lif(v: &serde_json::Value) -> LifParams {
    LifParams {
        tau_m: v["tau_m"].as_f64().unwrap(),
        theta: v["theta"].as_f64().unwrap(),
        v_reset: v["v_reset"].as_f64().unwrap(),
        tau_ref: v["tau_ref"].as_f64().unwrap(),
    }
}

fn rows(v: &serde_json::Value, key: &str) -> Vec<Vec<f64>> {
    v[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            r.as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap())
                .collect()
        })
        .collect()
}

fn rel(a: Complex64, b: Complex64) -> f64 {
    (a - b).norm() / b.norm()
}

#[test]
fn closed_form_derivatives_match_mpmath() {
    let v = data();
    let lif = lif(&v);
    for r in rows(&v, "static") {
        let (mu, sigma) = (r[0], r[1]);
        let e_mu = (siegert::drate_dmu(&lif, mu, sigma) / r[3] - 1.0).abs();
        let e_s2 = (drate_dsigma2(&lif, mu, sigma) / r[4] - 1.0).abs();
        assert!(
            e_mu < 1e-13 && e_s2 < 1e-13,
            "mu {mu} sigma {sigma}: {e_mu:.2e} {e_s2:.2e}"
        );
    }
}

/// (a) `chi(lambda -> 0)` is the derivative of the stationary rate. At
/// `lambda = i eps` the real part differs from `chi(0)` by `O((eps T)^2)`: with
/// `eps = 1e-5 nu` that is `~1e-10`, below the bound.
#[test]
fn susceptibility_at_low_frequency_is_the_siegert_derivative() {
    let v = data();
    let lif = lif(&v);
    let mut worst: f64 = 0.0;
    for r in rows(&v, "static") {
        let (mu, sigma) = (r[0], r[1]);
        let nu = siegert::rate(&lif, mu, sigma);
        let chi = susceptibility(&lif, mu, sigma, Complex64::new(0.0, 1e-5 * nu)).unwrap();
        let d_mu = siegert::drate_dmu(&lif, mu, sigma);
        let d_s2 = drate_dsigma2(&lif, mu, sigma);
        let e = (chi.chi_mu.re / d_mu - 1.0)
            .abs()
            .max((chi.chi_sigma2.re / d_s2 - 1.0).abs());
        worst = worst.max(e);
        assert!(e < 1e-8, "mu {mu} sigma {sigma}: {chi:?} vs {d_mu} {d_s2}");
        // lambda = 0 exactly: the closed forms.
        let chi0 = susceptibility(&lif, mu, sigma, Complex64::new(0.0, 0.0)).unwrap();
        assert_eq!(chi0.chi_mu.re, d_mu);
        assert_eq!(chi0.chi_sigma2.re, d_s2);
    }
    eprintln!("low-frequency limit: max relative deviation {worst:.2e}");
}

/// (b) Against the published formulas evaluated by mpmath at 30 digits.
#[test]
fn susceptibility_and_laplace_match_mpmath() {
    let v = data();
    let lif = lif(&v);
    let (mut w_mu, mut w_s2, mut w_l): (f64, f64, f64) = (0.0, 0.0, 0.0);
    for r in rows(&v, "rows") {
        let (mu, sigma, lam) = (r[0], r[1], Complex64::new(r[2], r[3]));
        assert!((siegert::rate(&lif, mu, sigma) / r[4] - 1.0).abs() < 1e-13);
        let chi = susceptibility(&lif, mu, sigma, lam).unwrap();
        let l = isi_laplace(&lif, mu, sigma, lam).unwrap();
        let e_mu = rel(chi.chi_mu, Complex64::new(r[5], r[6]));
        let e_s2 = rel(chi.chi_sigma2, Complex64::new(r[7], r[8]));
        let e_l = rel(l, Complex64::new(r[9], r[10]));
        w_mu = w_mu.max(e_mu);
        w_s2 = w_s2.max(e_s2);
        w_l = w_l.max(e_l);
        assert!(
            e_mu < 1e-13 && e_s2 < 1e-13 && e_l < 2e-13,
            "mu {mu} sigma {sigma} lambda {lam}: {e_mu:.2e} {e_s2:.2e} {e_l:.2e}"
        );
    }
    eprintln!("max relative error: chi_mu {w_mu:.2e}, chi_sigma2 {w_s2:.2e}, L {w_l:.2e}");
}

/// `L(1/tau_m)` has a closed form in `erfcx` (docs/theory.md 2.1, spectral closure).
#[test]
fn isi_laplace_at_inverse_tau_is_the_erfcx_closed_form() {
    let v = data();
    let lif = lif(&v);
    for (mu, sigma) in [
        (15.0, 5.0),
        (22.0, 3.0),
        (5.0, 4.0),
        (40.0, 1.0),
        (19.0, 0.5),
    ] {
        let l = isi_laplace(&lif, mu, sigma, Complex64::new(1.0 / lif.tau_m, 0.0)).unwrap();
        let closed = balnet::theory::spectral::lif_laplace_at_inv_tau(&lif, mu, sigma);
        assert!(
            (l.re / closed - 1.0).abs() < 1e-12 && l.im.abs() < 1e-14,
            "{mu} {sigma}: {l} {closed}"
        );
    }
}

/// (c) The spike-train spectrum against mpmath, and its limits.
#[test]
fn spike_spectrum_matches_mpmath_and_its_limits() {
    let v = data();
    let lif = lif(&v);
    let mut worst: f64 = 0.0;
    for r in rows(&v, "spectrum") {
        let s = spike_spectrum(&lif, r[0], r[1], r[2]).unwrap();
        let e = (s / r[3] - 1.0).abs();
        worst = worst.max(e);
        assert!(
            e < 5e-15,
            "mu {} sigma {} omega {}: {s} vs {}",
            r[0],
            r[1],
            r[2],
            r[3]
        );
    }
    eprintln!("spectrum: max relative error {worst:.2e}");
    for (mu, sigma) in [(15.0, 5.0), (22.0, 3.0), (10.0, 6.0), (25.0, 2.0)] {
        let nu = siegert::rate(&lif, mu, sigma);
        let cv = siegert::cv_isi(&lif, mu, sigma);
        // omega -> inf: S -> nu; the deviation 2 nu Re L decays like exp(-sqrt(omega tau_m / 2) (x_R - x_T)).
        let s_inf = spike_spectrum(&lif, mu, sigma, 2.0 * std::f64::consts::PI * 5000.0).unwrap();
        assert!(
            (s_inf / nu - 1.0).abs() < 1e-10,
            "{mu} {sigma}: {s_inf} vs {nu}"
        );
        // omega -> 0: S -> nu CV^2. S is even and smooth in omega: Richardson
        // extrapolation from omega = h, 2h removes the O(h^2) term.
        let h = 1e-2 * nu;
        let s1 = spike_spectrum(&lif, mu, sigma, h).unwrap();
        let s2 = spike_spectrum(&lif, mu, sigma, 2.0 * h).unwrap();
        let s0 = (4.0 * s1 - s2) / 3.0;
        let e = (s0 / (nu * cv * cv) - 1.0).abs();
        assert!(
            e < 1e-7,
            "{mu} {sigma}: S(0) {s0} vs nu CV^2 {}",
            nu * cv * cv
        );
        assert_eq!(spike_spectrum(&lif, mu, sigma, 0.0).unwrap(), nu * cv * cv);
    }
}

/// (d) High frequencies: `chi_mu -> sqrt2 nu / (sigma sqrt(i omega tau_m))` (Brunel &
/// Hakim 1999). With the WKB corrections derived in docs/theory.md 6.1,
/// `chi_mu sigma sqrt(l) / (sqrt2 nu) = 1 - x_T/(2 sqrt l) + (x_T^2/8 - 5/4)/l + O(l^{-3/2})`
/// and `chi_sigma2 sigma^2 / nu = 1 - x_T/sqrt(l) + O(1/l)`, `l = i omega tau_m`: the
/// remainders must fall by 4^{3/2} = 8 and 4 when `omega` grows 4-fold.
#[test]
fn susceptibility_high_frequency_expansion() {
    let v = data();
    let lif = lif(&v);
    for (mu, sigma) in [(15.0, 5.0), (22.0, 3.0), (10.0, 6.0)] {
        let nu = siegert::rate(&lif, mu, sigma);
        let x_t = std::f64::consts::SQRT_2 * (mu - lif.theta) / sigma;
        let rem = |wt: f64| {
            let l = Complex64::new(0.0, wt);
            let chi = susceptibility(&lif, mu, sigma, l / lif.tau_m).unwrap();
            let sl = l.sqrt();
            let r_mu = chi.chi_mu * sigma * sl / (std::f64::consts::SQRT_2 * nu)
                - (1.0 - x_t / (2.0 * sl) + (x_t * x_t / 8.0 - 1.25) / l);
            let r_s2 = chi.chi_sigma2 * sigma * sigma / nu - (1.0 - x_t / sl);
            (r_mu.norm(), r_s2.norm())
        };
        let (a_mu, a_s2) = rem(1000.0);
        let (b_mu, b_s2) = rem(4000.0);
        let (q_mu, q_s2) = (a_mu / b_mu, a_s2 / b_s2);
        assert!(
            (6.0..10.0).contains(&q_mu),
            "{mu} {sigma}: chi_mu remainder ratio {q_mu}"
        );
        assert!(
            (3.0..5.0).contains(&q_s2),
            "{mu} {sigma}: chi_sigma2 remainder ratio {q_s2}"
        );
        assert!(b_mu < 1e-4 && b_s2 < 1e-2);
    }
}

#[test]
fn invalid_inputs_are_errors() {
    let lif = LifParams {
        tau_m: 0.02,
        theta: 20.0,
        v_reset: 10.0,
        tau_ref: 0.002,
    };
    let l = Complex64::new(0.0, 10.0);
    assert!(susceptibility(&lif, 15.0, 0.0, l).is_err());
    assert!(susceptibility(&lif, f64::NAN, 5.0, l).is_err());
    assert!(susceptibility(&lif, 15.0, 5.0, Complex64::new(f64::INFINITY, 0.0)).is_err());
    assert!(spike_spectrum(&lif, 25.0, 1e-4, 10.0).is_err());
}

/// NNMT 1.3.0's transfer function (`tools/reference/nnmt_transfer_timing.py`, white-noise
/// limit) at Brunel's model A working point. NNMT's dynamic part omits the refractory
/// term of the denominator while its rate keeps `tau_ref`: it is balnet's `chi_mu` of
/// the neuron with `tau_ref = 0` scaled by `nu(tau_ref)/nu(0)` (docs/theory.md 6.1).
#[test]
fn nnmt_transfer_function_is_the_closed_form_without_refractory_dynamics() {
    let v: serde_json::Value =
        serde_json::from_str(include_str!("data/nnmt_transfer_brunel_a.json")).unwrap();
    let (mu, sigma) = (v["mu"].as_f64().unwrap(), v["sigma"].as_f64().unwrap());
    let lif = LifParams {
        tau_m: v["tau_m"].as_f64().unwrap(),
        theta: v["theta"].as_f64().unwrap(),
        v_reset: v["v_reset"].as_f64().unwrap(),
        tau_ref: v["tau_ref"].as_f64().unwrap(),
    };
    let lif0 = LifParams {
        tau_ref: 0.0,
        ..lif
    };
    let scale = siegert::rate(&lif, mu, sigma) / siegert::rate(&lif0, mu, sigma);
    let mut worst: f64 = 0.0;
    for r in rows(&v, "rows") {
        let lam = Complex64::new(0.0, 2.0 * std::f64::consts::PI * r[0]);
        let ours = susceptibility(&lif0, mu, sigma, lam).unwrap().chi_mu * scale;
        let e = rel(ours, Complex64::new(r[1], r[2]));
        worst = worst.max(e);
        assert!(
            e < 1e-6,
            "f = {} Hz: {ours} vs NNMT {} {}",
            r[0],
            r[1],
            r[2]
        );
    }
    eprintln!("NNMT (refractory-free dynamics): max relative difference {worst:.2e}");
}
