//! Gaussian averages of a transfer function over the quenched input distribution
//! (docs/theory.md 2.3, 2.6.1); the quadrature rules behind them live in [`crate::quad`].
//!
//! Population averages `E_z[f(M + sqrt(Delta) z)]`, `z ~ N(0, 1)`, are computed on
//! the standard-normal variable `z`:
//!
//! - a transfer function that offers closed-form moments
//!   ([`Transfer::gaussian_moments`]) uses them;
//! - a transfer function with breakpoints (kinks, or the steep subthreshold onset of
//!   the Siegert function): the `z` range `[-z_max, z_max]` (widened to hold the
//!   breakpoints, and while the integrand at its ends is not negligible) is split at
//!   the breakpoints mapped to `z` and integrated by globally adaptive Gauss-Legendre
//!   (10-point panels, error estimated by bisection), which refines wherever the
//!   integrand needs it;
//! - a transfer function without breakpoints declares itself smooth: probabilists'
//!   Gauss-Hermite with [`QuadConfig::hermite_nodes`] nodes, safeguarded by the rule
//!   with half as many nodes; if the two disagree the adaptive rule takes over.
//!
//! Gauss-Hermite alone is not accurate enough for the Siegert function: with 64
//! nodes it is off by 1e-8 (gain) at the default operating point (mean 12 mV, variance
//! 100 mV^2, sigma 8 mV), by 3e-4 at mean -20 mV (where the average is carried by the
//! upper tail) and by 20% at sigma 0.5 mV, variance 400 mV^2. The Siegert transfer
//! therefore declares breakpoints (its threshold, and 6 sigma below it).
//!
//! `nu`, `q`, `gain` and `mean_v` come from one evaluation of the rate (and one of
//! its derivative) per node. Bivariate averages (docs/theory.md 2.6.4) are nested:
//! outer over `x_a`, inner over the conditional Gaussian of `x_b` given `x_a`.

// `!(x > 0.0)` is the intended NaN-rejecting test.
#![allow(clippy::neg_cmp_op_on_partial_ord)]

use crate::quad::integrate_normal;
use crate::transfer::{Moments, Transfer};

// The plain-function averages and rules, re-exported where they were first published.
pub use crate::quad::{
    Bivariate, MAX_PANELS, QuadConfig, Z_MAX, expect, expect_split, expect2, expect2_split,
    hermite_rule, normal_cdf, normal_pdf, take_cap_hits,
};

/// Rate, second moment, gain and mean potential of `t` averaged over
/// `x ~ N(mean, var)` (docs/theory.md 2.3 and 2.6.1): the transfer's closed form if it
/// offers one, else [`moments_numeric`].
pub fn moments(t: &dyn Transfer, mean: f64, var: f64) -> Moments {
    if let Some(m) = t.gaussian_moments(mean, var) {
        return m;
    }
    moments_numeric(t, mean, var)
}

/// The numerical path of [`moments`] (docs/theory.md 2.3), ignoring any closed form:
/// adaptive Gauss-Legendre split at the breakpoints of `t`, or, if it has none,
/// safeguarded Gauss-Hermite (see the module documentation). Relative accuracy about
/// `1e-10` (`mean_v`: absolute, relative to `|mean| + sqrt(var)`). `var <= 0`: the
/// transfer at `mean`.
pub fn moments_numeric(t: &dyn Transfer, mean: f64, var: f64) -> Moments {
    moments_numeric_with(t, mean, var, &QuadConfig::default())
}

/// [`moments_numeric`] with explicit quadrature options (docs/theory.md 2.3).
pub fn moments_numeric_with(t: &dyn Transfer, mean: f64, var: f64, cfg: &QuadConfig) -> Moments {
    // One rate, one derivative and one mean-V call per node; a transfer whose
    // `mean_v` needs the rate again (Siegert) answers it from its one-entry cache.
    let eval = |x: f64| -> [f64; 4] {
        let r = t.rate(x);
        let d = t.drate_dx(x);
        let v = t.mean_v(x);
        [r, r * r, d, v]
    };
    if !(var > 0.0) {
        let [nu, q, gain, mean_v] = eval(mean);
        return Moments {
            nu,
            q,
            gain,
            mean_v,
        };
    }
    let sd = var.sqrt();
    let breakpoints = t.breakpoints();
    // mean_v is a potential that may cross 0 mV: its tolerance is relative to the
    // scale of the input, not to its own value.
    let atol_v = cfg.rtol * (mean.abs() + sd + 1.0);
    if breakpoints.is_empty() {
        let hermite = |n: usize| {
            let mut acc = [0.0; 4];
            for &(z, w) in hermite_rule(n).iter() {
                let v = eval(mean + sd * z);
                for k in 0..4 {
                    acc[k] += w * v[k];
                }
            }
            acc
        };
        let (fine, coarse) = (hermite(cfg.hermite_nodes), hermite(cfg.hermite_nodes / 2));
        // The coarse rule's error bounds the fine one's by far for a smooth function.
        let atol = [0.0, 0.0, 0.0, atol_v];
        if (0..4)
            .all(|k| (fine[k] - coarse[k]).abs() <= (10.0 * cfg.rtol * fine[k].abs()).max(atol[k]))
        {
            let [nu, q, gain, mean_v] = fine;
            return Moments {
                nu,
                q,
                gain,
                mean_v,
            };
        }
    }
    let [nu, q, gain, mean_v] = {
        integrate_normal(
            |z| {
                let w = normal_pdf(z);
                let v = eval(mean + sd * z);
                [w * v[0], w * v[1], w * v[2], w * v[3]]
            },
            mean,
            sd,
            &breakpoints,
            cfg,
            [0.0, 0.0, 0.0, atol_v],
        )
    };
    Moments {
        nu,
        q,
        gain,
        mean_v,
    }
}
