//! Threshold integration of the LIF Fokker-Planck equation (docs/theory.md 6.2) against
//! the Siegert rate and its derivatives (docs/theory.md 2.2, themselves checked against
//! 30-digit mpmath in tests/siegert.rs) and the high-frequency limits of Richardson (2007).

use balnet::transfer::LifParams;
use balnet::transfer::response::threshold;
use balnet::transfer::siegert;
use num_complex::Complex64;

fn lif() -> LifParams {
    LifParams {
        tau_m: 0.02,
        theta: 20.0,
        v_reset: 10.0,
        tau_ref: 0.002,
    }
}

/// (mu, sigma) from strongly subthreshold to suprathreshold, small to large noise.
const CASES: [(f64, f64); 8] = [
    (10.0, 5.0),
    (15.0, 3.0),
    (19.0, 1.0),
    (22.0, 2.0),
    (30.0, 5.0),
    (5.0, 8.0),
    (-5.0, 15.0),
    (18.0, 0.5),
];

#[test]
fn stationary_rate_equals_siegert() {
    let l = lif();
    let mut worst: f64 = 0.0;
    for (mu, sigma) in CASES {
        let r = threshold::rate(&l, mu, sigma).unwrap();
        let s = siegert::rate(&l, mu, sigma);
        let rel = (r / s - 1.0).abs();
        eprintln!("mu {mu} sigma {sigma}: TI {r:.12e}  Siegert {s:.12e}  rel {rel:.2e}");
        worst = worst.max(rel);
    }
    assert!(worst < 1e-8, "worst relative error {worst:.2e}");
}

#[test]
fn zero_frequency_limit_is_the_siegert_derivative() {
    let l = lif();
    let mut worst_mu: f64 = 0.0;
    let mut worst_s: f64 = 0.0;
    for (mu, sigma) in CASES {
        let d = siegert::drate_dmu(&l, mu, sigma);
        // d nu / d sigma^2 = (d nu / d sigma) / (2 sigma), 4th-order central differences.
        let h = 1e-3 * sigma;
        let f = |s: f64| siegert::rate(&l, mu, s);
        let dsig = (f(sigma - 2.0 * h) - 8.0 * f(sigma - h) + 8.0 * f(sigma + h)
            - f(sigma + 2.0 * h))
            / (12.0 * h);
        let ds2 = dsig / (2.0 * sigma);
        for lam in [Complex64::new(0.0, 0.0), Complex64::new(0.0, 1e-7)] {
            let chi = threshold::susceptibility(&l, mu, sigma, lam).unwrap();
            let e_mu = (chi.chi_mu - d).norm() / d.abs();
            let e_s = (chi.chi_sigma2 - ds2).norm() / ds2.abs();
            eprintln!(
                "mu {mu} sigma {sigma} lambda {lam}: chi_mu {} vs {d:.10e} ({e_mu:.1e}); chi_s2 {} vs {ds2:.10e} ({e_s:.1e})",
                chi.chi_mu, chi.chi_sigma2
            );
            worst_mu = worst_mu.max(e_mu);
            worst_s = worst_s.max(e_s);
        }
    }
    assert!(worst_mu < 1e-7, "chi_mu(0) worst {worst_mu:.2e}");
    // the reference is a finite difference (error ~1e-9 relative)
    assert!(worst_s < 1e-6, "chi_sigma2(0) worst {worst_s:.2e}");
}

/// Richardson (2007): at high frequency `chi_mu ~ sqrt(2) nu / (sigma sqrt(lambda tau_m))`
/// (phase -45 degrees on the imaginary axis) and `chi_sigma2 -> nu / sigma^2` (in the
/// crate's convention `sigma^2 = 2 D tau_m`). The relative correction falls like
/// `(lambda tau_m)^(-1/2)`: checked by the scaled remainder approaching its closed-form
/// constant at two frequencies a factor 4 apart.
#[test]
fn high_frequency_limits() {
    let l = lif();
    for (mu, sigma) in [(15.0, 5.0), (22.0, 3.0)] {
        let nu = siegert::rate(&l, mu, sigma);
        let mut rem_mu = Vec::new();
        let mut rem_s = Vec::new();
        for f in [4000.0, 16000.0] {
            let lam = Complex64::new(0.0, 2.0 * std::f64::consts::PI * f);
            let chi = threshold::susceptibility(&l, mu, sigma, lam).unwrap();
            let z = (lam * l.tau_m).sqrt();
            let a_mu = std::f64::consts::SQRT_2 * nu / (sigma * z);
            let a_s = nu / (sigma * sigma);
            rem_mu.push((chi.chi_mu / a_mu - 1.0) * z);
            rem_s.push((chi.chi_sigma2 / a_s - 1.0) * z);
            eprintln!(
                "mu {mu} sigma {sigma} f {f}: chi_mu/asym {}  chi_s2/asym {}",
                chi.chi_mu / a_mu,
                chi.chi_sigma2 / a_s
            );
        }
        eprintln!("scaled remainders mu {rem_mu:?} s2 {rem_s:?}");
        // the scaled remainders tend to the closed-form WKB constants of docs/theory.md
        // 6.1, -x_T/2 (chi_mu) and -x_T (chi_sigma2), x_T = sqrt2 (mu - theta)/sigma, and
        // their distance from them falls like (lambda tau_m)^(-1/2): halves per 4-fold f
        let x_t = std::f64::consts::SQRT_2 * (mu - l.theta) / sigma;
        for (r, lim) in [(&rem_mu, -x_t / 2.0), (&rem_s, -x_t)] {
            let (d0, d1) = ((r[0] - lim).norm(), (r[1] - lim).norm());
            eprintln!("  limit {lim:.4}: distance {d0:.4} at 4 kHz, {d1:.4} at 16 kHz");
            assert!(d1 < 0.05 && (d1 / d0 - 0.5).abs() < 0.1, "{r:?} vs {lim}");
        }
    }
}
