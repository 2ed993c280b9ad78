//! Bivariate Gaussian averages for the two-state theory (docs/theory.md 2.6.4).
//!
//! The two-state theory uses the product form [`cross_moment`]: it needs `n` transfer
//! evaluations per state instead of `n^2` per pair of states, which is what makes the
//! `L x L` covariances of the tuning curves cheap. Its reference in the unit tests is the
//! nested adaptive quadrature `gauss::expect2`.
//!
//! The product form is Mehler's expansion: for `x^a = M^a + s_a z_1`, `x^b = M^b + s_b z_2`,
//! `corr(z_1, z_2) = rho`,
//!
//! `E[f(x^a) g(x^b)] = sum_k rho^k f_k g_k`,   `f_k = E[f(M^a + s_a z) h_k(z)]`,
//!
//! with `h_k = He_k / sqrt(k!)` the orthonormal Hermite polynomials. The coefficients are
//! taken with a 96-node Gauss-Hermite rule (nodes polished by Newton's method, accurate
//! tail weights); on that rule the `h_k`, `k < n`, are exactly orthonormal, so at `rho = 1`
//! and equal arguments the sum reproduces the rule's `E[f g]` to rounding. That is the
//! state's `q_A` only to the accuracy of the Gauss-Hermite rule: `gauss::moments` averages
//! the Siegert function with adaptive Gauss-Legendre split at its breakpoints, because
//! Gauss-Hermite degrades where the temporal noise is small against the spread of inputs
//! (see the `gauss` module documentation). Checked against the conditional quadrature
//! below in the unit tests.

use std::sync::OnceLock;

use crate::transfer::Transfer;

/// Nodes of the rule (96-point Gauss-Hermite, probabilists' scaling; `gauss.rs` uses 64
/// nodes, and only for transfer functions without breakpoints).
const N: usize = 96;

struct Rule {
    z: Vec<f64>,
    w: Vec<f64>,
    /// `u[k][i] = sqrt(w_i) h_k(z_i)`: an orthogonal `N x N` matrix.
    u: Vec<Vec<f64>>,
}

/// `h_k(z)` for `k = 0..=n` by the normalised three-term recurrence
/// `h_{k+1} = (z h_k - sqrt(k) h_{k-1}) / sqrt(k+1)`.
fn hermite_column(z: f64, n: usize) -> Vec<f64> {
    let mut h = vec![0.0; n + 1];
    h[0] = 1.0;
    if n >= 1 {
        h[1] = z;
    }
    for k in 1..n {
        h[k + 1] = (z * h[k] - (k as f64).sqrt() * h[k - 1]) / ((k + 1) as f64).sqrt();
    }
    h
}

fn rule() -> &'static Rule {
    static R: OnceLock<Rule> = OnceLock::new();
    R.get_or_init(|| {
        // Nodes from gauss-quad, polished by Newton's method on h_N (h_N' = sqrt(N) h_{N-1});
        // weights from w_i = 1 / (N h_{N-1}(z_i)^2). gauss-quad 0.3.1's own weights are only
        // accurate to about 1e-33 absolute, which is harmless in averages but destroys the
        // orthogonality of the high Hermite coefficients in the extreme nodes (w ~ 1e-75).
        let gh = gauss_quad::hermite::GaussHermite::new(N.try_into().expect("N > 0"));
        let s2 = std::f64::consts::SQRT_2;
        let mut z: Vec<f64> = gh
            .as_node_weight_pairs()
            .iter()
            .map(|&(x, _)| x * s2)
            .collect();
        z.sort_by(f64::total_cmp);
        let w: Vec<f64> = z
            .iter_mut()
            .map(|zi| {
                for _ in 0..3 {
                    let h = hermite_column(*zi, N);
                    *zi -= h[N] / ((N as f64).sqrt() * h[N - 1]);
                }
                let h = hermite_column(*zi, N);
                1.0 / (N as f64 * h[N - 1] * h[N - 1])
            })
            .collect();
        // u[k][i] = sqrt(w_i) h_k(z_i)
        let mut u = vec![vec![0.0; N]; N];
        for i in 0..N {
            let h = hermite_column(z[i], N);
            let sw = w[i].sqrt();
            for k in 0..N {
                u[k][i] = sw * h[k];
            }
        }
        Rule { z, w, u }
    })
}

/// Hermite coefficients `f_k = E[f(mean + sqrt(var) z) h_k(z)]`, `k = 0..N` (docs/theory.md 2.6.4).
/// `f_0` is the Gaussian average of `f`, `sum_{k>=1} f_k^2` its variance.
pub(crate) fn spectrum(f: impl Fn(f64) -> f64, mean: f64, var: f64) -> Vec<f64> {
    let r = rule();
    if var <= 0.0 {
        let mut c = vec![0.0; N];
        c[0] = f(mean);
        return c;
    }
    let sd = var.sqrt();
    let g: Vec<f64> =
        r.z.iter()
            .zip(&r.w)
            .map(|(z, w)| w.sqrt() * f(mean + sd * z))
            .collect();
    r.u.iter()
        .map(|row| row.iter().zip(&g).map(|(a, b)| a * b).sum())
        .collect()
}

/// Spectrum of a transfer function's rate (Hz), zero where the rate is not finite.
pub(crate) fn rate_spectrum(t: &dyn Transfer, mean: f64, var: f64) -> Vec<f64> {
    spectrum(
        |x| {
            let r = t.rate(x);
            if r.is_finite() { r } else { 0.0 }
        },
        mean,
        var,
    )
}

/// `sum_{k >= k0} rho^k f_k g_k`: with `k0 = 0` the cross moment `E[f(x^a) g(x^b)]`, with
/// `k0 = 1` the covariance of `f(x^a)` and `g(x^b)` (no cancellation).
pub(crate) fn cross_moment(fa: &[f64], fb: &[f64], rho: f64, k0: usize) -> f64 {
    let rho = rho.clamp(-1.0, 1.0);
    let mut pk = if k0 == 0 { 1.0 } else { rho.powi(k0 as i32) };
    let mut s = 0.0;
    for k in k0..fa.len().min(fb.len()) {
        s += pk * fa[k] * fb[k];
        pk *= rho;
    }
    s
}

/// `sum_{k >= 1} f_k^2`: the variance of `f` under the rule.
pub(crate) fn spectral_variance(f: &[f64]) -> f64 {
    f.iter().skip(1).map(|c| c * c).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hermite_matrix_is_orthogonal() {
        let u = &rule().u;
        let mut worst = 0.0f64;
        for j in 0..N {
            for k in 0..N {
                let d: f64 = (0..N).map(|i| u[j][i] * u[k][i]).sum();
                let want = if j == k { 1.0 } else { 0.0 };
                worst = worst.max((d - want).abs());
            }
        }
        assert!(worst < 1e-11, "orthogonality error {worst:e}");
    }

    #[test]
    fn mehler_matches_conditional_quadrature() {
        // a smooth sigmoid with LIF-like exponential tail; means/variances differ
        let f = |x: f64| 50.0 / (1.0 + (-(x - 15.0) / 3.0).exp());
        let g = |x: f64| 30.0 * libm::erfc(-(x - 12.0) / 5.0);
        let (ma, mb, va, vb) = (10.0, 13.0, 30.0, 45.0);
        let fa = spectrum(f, ma, va);
        let fb = spectrum(g, mb, vb);
        for rho in [-0.9, -0.3, 0.0, 0.4, 0.8, 0.95, 0.999, 1.0] {
            let cov = rho * (va * vb).sqrt();
            let direct = crate::gauss::expect2(
                |a, b| f(a) * g(b),
                &crate::gauss::Bivariate {
                    mean_a: ma,
                    mean_b: mb,
                    var_a: va,
                    var_b: vb,
                    cov,
                },
            );
            let mehler = cross_moment(&fa, &fb, rho, 0);
            assert!(
                (direct - mehler).abs() < 1e-9 * direct.abs().max(1.0),
                "rho = {rho}: direct {direct} vs Mehler {mehler}"
            );
        }
    }
}
