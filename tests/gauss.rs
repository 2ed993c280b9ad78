//! Gaussian and bivariate-Gaussian averages (docs/theory.md 2.3, 2.6.4) against closed forms.

use std::f64::consts::PI;

use balnet::gauss::{self, QuadConfig};
use balnet::transfer::closed::{
    NormalCdf, ThresholdLinear, ThresholdPower, normal_cdf, normal_pdf,
};
use balnet::transfer::siegert::{self, Siegert};
use balnet::transfer::{LifParams, Moments, Transfer};

fn lif() -> LifParams {
    LifParams {
        tau_m: 0.02,
        theta: 20.0,
        v_reset: 10.0,
        tau_ref: 0.002,
    }
}

fn rel(a: f64, b: f64) -> f64 {
    if a == b {
        0.0
    } else {
        (a - b).abs() / b.abs().max(a.abs())
    }
}

/// Largest relative difference of `nu`, `q`, `gain`, and of `mean_v` relative to `scale`.
fn moments_diff(a: &Moments, b: &Moments, scale: f64) -> f64 {
    [
        rel(a.nu, b.nu),
        rel(a.q, b.q),
        rel(a.gain, b.gain),
        (a.mean_v - b.mean_v).abs() / scale,
    ]
    .into_iter()
    .fold(0.0, f64::max)
}

const CASES: [(f64, f64); 7] = [
    (0.0f64, 1.0f64),
    (12.0, 100.0),
    (-30.0, 25.0),
    (35.0, 4.0),
    (20.0, 0.01),
    (5.0, 400.0),
    (-3.0, 0.3),
];

#[test]
fn expect_polynomials_and_exponentials() {
    for (m, v) in CASES {
        let e2 = gauss::expect(|x| x * x, m, v);
        assert!(rel(e2, m * m + v) < 1e-12, "E[x^2] at ({m}, {v}): {e2}");
        for a in [-0.3, 0.05, 0.2] {
            let exact = (a * m + 0.5 * a * a * v).exp();
            let e = gauss::expect(|x| (a * x).exp(), m, v);
            assert!(
                rel(e, exact) < 1e-11,
                "E[exp({a} x)] at ({m}, {v}): {e} vs {exact}"
            );
        }
    }
    assert_eq!(gauss::expect(|x| x * x, 3.0, 0.0), 9.0);
}

#[test]
fn threshold_linear_closed_form_vs_numerical() {
    let t = ThresholdLinear {
        theta: 10.0,
        gain: 2.5,
    };
    let mut worst: f64 = 0.0;
    for (m, v) in CASES {
        let closed = t.gaussian_moments(m, v).unwrap();
        let numeric = gauss::moments_numeric(&t, m, v);
        let d = moments_diff(&closed, &numeric, m.abs() + v.sqrt() + 1.0);
        worst = worst.max(d);
        assert!(d < 1e-9, "({m}, {v}): {closed:?} vs {numeric:?}");
        // The textbook form where it does not cancel.
        let s = v.sqrt();
        let a = (m - t.theta) / s;
        if a > -5.0 {
            let nu = t.gain * s * (a * normal_cdf(a) + normal_pdf(a));
            assert!(rel(closed.nu, nu) < 1e-12);
            assert!(rel(closed.gain, t.gain * normal_cdf(a)) < 1e-14);
        }
    }
    println!("threshold-linear: closed form vs numerical, max rel diff {worst:.2e}");
    // No input variance: the function itself.
    let m = gauss::moments(&t, 14.0, 0.0);
    assert_eq!((m.nu, m.gain, m.mean_v), (10.0, 2.5, 14.0));
}

#[test]
fn threshold_power_closed_form_vs_numerical() {
    for n in [1.0, 2.0, 3.0] {
        let t = ThresholdPower {
            theta: 10.0,
            gain: 0.7,
            n,
        };
        for (m, v) in CASES {
            let closed = t
                .gaussian_moments(m, v)
                .expect("integer n has a closed form");
            let numeric = gauss::moments_numeric(&t, m, v);
            let d = moments_diff(&closed, &numeric, m.abs() + v.sqrt() + 1.0);
            assert!(d < 1e-9, "n {n} ({m}, {v}): {closed:?} vs {numeric:?}");
        }
    }
    // n = 1 is the threshold-linear function.
    let p = ThresholdPower {
        theta: 1.0,
        gain: 3.0,
        n: 1.0,
    }
    .gaussian_moments(2.0, 9.0)
    .unwrap();
    let l = ThresholdLinear {
        theta: 1.0,
        gain: 3.0,
    }
    .gaussian_moments(2.0, 9.0)
    .unwrap();
    assert!(moments_diff(&p, &l, 1.0) < 1e-15);
}

/// Non-integer exponent: no closed form, `gauss::moments` integrates numerically;
/// compared with tanh-sinh quadrature (the `quadrature` crate) in `t = x - theta`.
#[test]
fn threshold_power_fractional_exponent() {
    let (theta, gain) = (10.0f64, 0.7f64);
    for n in [0.5, 1.5, 2.5] {
        let t = ThresholdPower { theta, gain, n };
        assert!(t.gaussian_moments(0.0, 1.0).is_none());
        for (m, v) in [(12.0f64, 100.0f64), (0.0, 30.0), (15.0, 4.0)] {
            let s: f64 = v.sqrt();
            let density = |x: f64| normal_pdf((x - m) / s) / s;
            // t = u^2 removes the endpoint singularity of t^{n-1}; u up to 14 sd.
            let u_max = (m - theta).max(0.0).sqrt() + (14.0 * s).sqrt();
            let ts = |k: f64| {
                quadrature::integrate(
                    |u: f64| 2.0 * u * u.powf(2.0 * k) * density(theta + u * u),
                    0.0,
                    u_max,
                    1e-16,
                )
                .integral
            };
            let (nu, q, g) = (
                gain * ts(n),
                gain * gain * ts(2.0 * n),
                gain * n * ts(n - 1.0),
            );
            let num = gauss::moments(&t, m, v);
            assert!(
                rel(num.nu, nu) < 1e-9,
                "n {n} ({m},{v}): nu {} vs {nu}",
                num.nu
            );
            assert!(rel(num.q, q) < 1e-9, "n {n} ({m},{v}): q {} vs {q}", num.q);
            // The gain of n < 1 has an integrable 1/sqrt singularity at theta.
            let tol = if n < 1.0 { 1e-6 } else { 1e-9 };
            assert!(
                rel(num.gain, g) < tol,
                "n {n} ({m},{v}): gain {} vs {g}",
                num.gain
            );
        }
    }
}

#[test]
fn normal_cdf_closed_form_vs_numerical() {
    let t = NormalCdf {
        theta: 15.0,
        width: 3.0,
        nu_max: 80.0,
    };
    for (m, v) in CASES {
        let closed = t.gaussian_moments(m, v).unwrap();
        // E[Phi_N((x - theta)/s)] = Phi_N((m - theta)/sqrt(s^2 + v)), written out here.
        let nu = t.nu_max * normal_cdf((m - t.theta) / (t.width * t.width + v).sqrt());
        assert!(rel(closed.nu, nu) < 1e-15);
        let numeric = gauss::moments_numeric(&t, m, v);
        let d = moments_diff(&closed, &numeric, m.abs() + v.sqrt() + 1.0);
        assert!(d < 1e-9, "({m}, {v}): {closed:?} vs {numeric:?}");
    }
}

/// A steep function that does not declare its breakpoint: the Gauss-Hermite path must
/// notice (64 vs 32 nodes disagree) and fall back to the adaptive rule.
#[test]
fn hermite_path_falls_back_when_the_function_is_steep() {
    struct Undeclared(NormalCdf);
    impl Transfer for Undeclared {
        fn rate(&self, x: f64) -> f64 {
            self.0.rate(x)
        }
        fn drate_dx(&self, x: f64) -> f64 {
            self.0.drate_dx(x)
        }
    }
    for width in [10.0, 0.05] {
        let t = NormalCdf {
            theta: 15.0,
            width,
            nu_max: 80.0,
        };
        let closed = t.gaussian_moments(12.0, 100.0).unwrap();
        let numeric = gauss::moments(&Undeclared(t), 12.0, 100.0);
        assert!(
            moments_diff(&closed, &numeric, 12.0) < 1e-9,
            "width {width}: {closed:?} vs {numeric:?}"
        );
    }
}

#[test]
fn hermite_rule_moments() {
    let rule = gauss::hermite_rule(64);
    let mom = |k: i32| rule.iter().map(|&(z, w)| w * z.powi(k)).sum::<f64>();
    assert!((mom(0) - 1.0).abs() < 1e-14);
    assert!(mom(1).abs() < 1e-14);
    assert!((mom(2) - 1.0).abs() < 1e-13);
    assert!((mom(4) - 3.0).abs() < 1e-12);
    assert!((mom(10) / 945.0 - 1.0).abs() < 1e-12);
    let r7 = gauss::hermite_rule(7);
    assert_eq!(r7.len(), 7);
    assert!((r7.iter().map(|&(z, w)| w * z.powi(12)).sum::<f64>() / 10395.0 - 1.0).abs() < 1e-12);
}

/// Siegert moments with N and 2N initial panels, and with a much tighter tolerance,
/// agree; and they agree with an independent 160-node Gauss-Hermite rule where that
/// converges (the smooth default operating point).
#[test]
fn siegert_moments_converge() {
    for (mean, var, sigma) in [(12.0, 100.0, 8.0), (12.0, 400.0, 0.5), (-20.0, 100.0, 5.0)] {
        let t = Siegert { lif: lif(), sigma };
        let base = gauss::moments(&t, mean, var);
        let scale = mean.abs() + var.sqrt();
        let cfg = QuadConfig::default();
        for alt in [
            QuadConfig {
                panels: 2 * cfg.panels,
                ..cfg
            },
            QuadConfig {
                panels: 2 * cfg.panels,
                rtol: 1e-13,
                ..cfg
            },
            QuadConfig { z_max: 12.0, ..cfg },
        ] {
            let other = gauss::moments_numeric_with(&t, mean, var, &alt);
            let d = moments_diff(&base, &other, scale);
            println!("siegert ({mean}, {var}, {sigma}): {alt:?}: max rel diff {d:.2e}");
            assert!(
                d < 1e-9,
                "({mean}, {var}, {sigma}) {alt:?}: {base:?} vs {other:?}"
            );
        }
        // Each moment also equals its own one-dimensional average.
        let nu = gauss::expect_split(
            |x| siegert::rate(&t.lif, x, sigma),
            mean,
            var,
            &[t.lif.theta],
        );
        assert!(rel(base.nu, nu) < 1e-9);
    }
    let t = Siegert {
        lif: lif(),
        sigma: 8.0,
    };
    let base = gauss::moments(&t, 12.0, 100.0);
    let rule = gauss::hermite_rule(160);
    let (mut nu, mut gain) = (0.0, 0.0);
    for &(z, w) in rule.iter() {
        nu += w * t.rate(12.0 + 10.0 * z);
        gain += w * t.drate_dx(12.0 + 10.0 * z);
    }
    println!(
        "siegert default point: adaptive vs GH-160: nu {:.2e}, gain {:.2e}",
        rel(base.nu, nu),
        rel(base.gain, gain)
    );
    assert!(rel(base.nu, nu) < 1e-10 && rel(base.gain, gain) < 1e-10);
}

#[test]
fn bivariate_products_and_exponentials() {
    for (ma, mb, va, vb, rho) in [
        (1.0, -2.0, 4.0, 9.0, 0.3),
        (0.0, 0.0, 1.0, 1.0, 0.999),
        (5.0, 3.0, 0.5, 2.0, -0.7),
        (2.0, 1.0, 1.0, 4.0, 1.0),
        (2.0, 1.0, 1.0, 4.0, -1.0),
        (2.0, 1.0, 0.0, 4.0, 0.0),
        (2.0, 1.0, 3.0, 0.0, 0.0),
    ] {
        let cov = rho * f64::sqrt(va * vb);
        let exy = gauss::expect2(
            |x, y| x * y,
            &gauss::Bivariate {
                mean_a: ma,
                mean_b: mb,
                var_a: va,
                var_b: vb,
                cov,
            },
        );
        assert!(
            (exy - (cov + ma * mb)).abs() < 1e-10 * (1.0 + (cov + ma * mb).abs()),
            "E[xy] {exy}"
        );
        let (a, b) = (0.3, -0.2);
        let exact = (a * ma + b * mb + 0.5 * (a * a * va + b * b * vb + 2.0 * a * b * cov)).exp();
        let e = gauss::expect2(
            |x, y| (a * x + b * y).exp(),
            &gauss::Bivariate {
                mean_a: ma,
                mean_b: mb,
                var_a: va,
                var_b: vb,
                cov,
            },
        );
        assert!(
            rel(e, exact) < 1e-9,
            "E[exp] ({ma},{mb},{va},{vb},{rho}): {e} vs {exact}"
        );
    }
}

/// `E[Phi_N(x) Phi_N(y)]` for `x, y ~ N(0, v)` with covariance `c`: with
/// `Z_1, Z_2 ~ N(0,1)` independent, it is `P(Z_1 - x <= 0, Z_2 - y <= 0)`, the orthant
/// probability of a centred pair with variances `1 + v` and covariance `c`:
/// `1/4 + asin(rho')/(2 pi)`, `rho' = c/(1 + v)`.
#[test]
fn bivariate_normal_cdf_product_orthant() {
    for (v, rho) in [
        (1.0, 0.5),
        (4.0, -0.8),
        (0.25, 0.99),
        (9.0, 1.0),
        (9.0, -1.0),
        (2.0, 0.0),
    ] {
        let c = rho * v;
        let e = gauss::expect2(
            |x, y| normal_cdf(x) * normal_cdf(y),
            &gauss::Bivariate {
                mean_a: 0.0,
                mean_b: 0.0,
                var_a: v,
                var_b: v,
                cov: c,
            },
        );
        let exact = 0.25 + (c / (1.0 + v)).asin() / (2.0 * PI);
        assert!((e - exact).abs() < 1e-10, "v {v} rho {rho}: {e} vs {exact}");
    }
    // Non-zero means, correlation 1: E[Phi_N(x)^2], the second moment of NormalCdf
    // (its closed form goes through Owen's T function).
    let t = NormalCdf {
        theta: 0.0,
        width: 1.0,
        nu_max: 1.0,
    };
    for (m, v) in [(0.7, 2.0), (-2.5, 0.5), (3.0, 6.0)] {
        let e = gauss::expect2(
            |x, y| normal_cdf(x) * normal_cdf(y),
            &gauss::Bivariate {
                mean_a: m,
                mean_b: m,
                var_a: v,
                var_b: v,
                cov: v,
            },
        );
        let q = t.gaussian_moments(m, v).unwrap().q;
        assert!(rel(e, q) < 1e-10, "({m}, {v}): {e} vs {q}");
    }
}

/// Siegert cross moments (docs/theory.md 2.6.4) with the threshold as breakpoint: at
/// correlation 1 and equal means they are `q`.
#[test]
fn bivariate_siegert_reduces_to_q() {
    let t = Siegert {
        lif: lif(),
        sigma: 2.0,
    };
    let (m, v) = (14.0, 64.0);
    let q = gauss::moments(&t, m, v).q;
    let th = [t.lif.theta];
    let e = gauss::expect2_split(
        |x, y| t.rate(x) * t.rate(y),
        &gauss::Bivariate {
            mean_a: m,
            mean_b: m,
            var_a: v,
            var_b: v,
            cov: v,
        },
        &th,
        &th,
    );
    assert!(rel(e, q) < 1e-9, "{e} vs {q}");
    let e_near = gauss::expect2_split(
        |x, y| t.rate(x) * t.rate(y),
        &gauss::Bivariate {
            mean_a: m,
            mean_b: m,
            var_a: v,
            var_b: v,
            cov: 0.999 * v,
        },
        &th,
        &th,
    );
    assert!(e_near < q && e_near > 0.95 * q, "{e_near} vs {q}");
}
