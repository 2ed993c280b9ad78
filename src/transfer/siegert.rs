//! The LIF Siegert transfer function (docs/theory.md 2.2): rate, derivative, inverse,
//! ISI CV, and the [`Transfer`] object at fixed noise.
//!
//! `Phi(mu, sigma) = 1 / (tau_ref + tau_m sqrt(pi) I)`, `I = Int_{y_r}^{y_th} erfcx(-u) du`,
//! `y_th = (theta - mu)/sigma`, `y_r = (Vr - mu)/sigma`.
//!
//! Numerics, split by regime so that nothing overflows or cancels:
//! - `u <= 0` (the suprathreshold part): `erfcx(-u) = erfcx(|u|)` is smooth and decays
//!   like `1/(sqrt(pi)|u|)`. `Int_a^b erfcx(t) dt` (`int_erfcx`) is Gauss-Legendre
//!   on `[a, min(b, 8)]` and, beyond 8, `ln(b/a)/sqrt(pi)` plus the asymptotic series of
//!   `Int (erfcx(t) - 1/(sqrt(pi) t)) dt`, so the deterministic limit
//!   `tau_ref + tau_m ln((mu - Vr)/(mu - theta))` emerges smoothly as `sigma -> 0`.
//! - `u > 0` (subthreshold): `erfcx(-u) = 2 exp(u^2) - erfcx(u)`, and
//!   `Int_p^y exp(u^2) du = exp(y^2) D(y) - exp(p^2) D(p)` with Dawson's function `D`.
//!   The factor `exp(y_th^2)` is pulled out: the code carries `K = exp(-y_th^2) I`
//!   and returns `Phi = exp(-y_th^2) / (tau_ref exp(-y_th^2) + tau_m sqrt(pi) K)`,
//!   which underflows to 0 gracefully. Short intervals use Gauss-Legendre on the
//!   scaled integrand instead (no cancellation between the two Dawson terms).
//! - The derivative uses the same scaling:
//!   `exp(-y_th^2) (erfcx(-y_th) - erfcx(-y_r))` is formed without overflow, with
//!   `expm1` where `erfcx(-y_th)` and `erfcx(-y_r)` nearly cancel.
//!
//! Accuracy against 30-digit mpmath values: see `tests/siegert.rs`.

// `!(x > 0.0)` is the intended NaN-rejecting test, and the quadrature and series
// constants keep the digits of their sources.
#![allow(clippy::neg_cmp_op_on_partial_ord, clippy::excessive_precision)]

use std::cell::Cell;
use std::f64::consts::PI;

use puruspe::erfcx;

use super::{LifParams, Transfer, invert_monotone};
use crate::quad::{GL8, GL10, GL14, GL20, gauss_legendre, integrate_adaptive};

/// `sqrt(pi)`.
const SQRT_PI: f64 = 1.772_453_850_905_516;
/// `1/sqrt(pi)`.
const FRAC_1_SQRT_PI: f64 = 0.564_189_583_547_756_3;
/// Beyond this argument `Int erfcx` uses its asymptotic form.
const T_ASYMPTOTIC: f64 = 8.0;

// ---------------------------------------------------------------------------------
// Public parameter-level functions
// ---------------------------------------------------------------------------------

/// Siegert rate (Hz) of a LIF neuron with white-noise input of mean `mu` (mV) and
/// standard deviation `sigma` (mV), docs/theory.md 2.2. Relative error below `1e-9`
/// wherever the rate exceeds `1e-12` Hz (mu in [-200, 200] mV, sigma in [0.01, 100]
/// mV); finite, non-negative, monotone in `mu`; 0 where it underflows.
/// `sigma <= 0` gives the deterministic limit ([`deterministic_rate`]).
pub fn rate(lif: &LifParams, mu: f64, sigma: f64) -> f64 {
    core(lif, mu, sigma).rate()
}

/// `dPhi/dmu` (Hz/mV) of the Siegert rate, docs/theory.md 2.2:
/// `Phi^2 tau_m sqrt(pi) (erfcx(-y_th) - erfcx(-y_r)) / sigma`, formed without overflow.
pub fn drate_dmu(lif: &LifParams, mu: f64, sigma: f64) -> f64 {
    core(lif, mu, sigma).drate()
}

/// Rate (Hz) and `dPhi/dmu` (Hz/mV) from one evaluation, docs/theory.md 2.2.
pub fn rate_and_drate(lif: &LifParams, mu: f64, sigma: f64) -> (f64, f64) {
    let c = core(lif, mu, sigma);
    (c.rate(), c.drate())
}

/// Natural logarithm of the Siegert rate (ln Hz), docs/theory.md 2.2: finite where the
/// rate itself underflows (`-inf` only for the deterministic limit below threshold).
pub fn ln_rate(lif: &LifParams, mu: f64, sigma: f64) -> f64 {
    core(lif, mu, sigma).ln_rate()
}

/// Natural logarithm of `dPhi/dmu` (ln(Hz/mV)), docs/theory.md 2.2; finite where the
/// derivative underflows.
pub fn ln_drate_dmu(lif: &LifParams, mu: f64, sigma: f64) -> f64 {
    core(lif, mu, sigma).ln_drate()
}

/// The noiseless limit of the Siegert rate (Hz), docs/theory.md 2.2:
/// `1 / (tau_ref + tau_m ln((mu - Vr)/(mu - theta)))` for `mu > theta`, else 0.
pub fn deterministic_rate(lif: &LifParams, mu: f64) -> f64 {
    if mu > lif.theta {
        1.0 / (lif.tau_ref + lif.tau_m * ((lif.theta - lif.v_reset) / (mu - lif.theta)).ln_1p())
    } else {
        0.0
    }
}

/// Time-averaged potential (mV) of a LIF neuron with mean input `x` (mV) firing at
/// `nu` (Hz), docs/theory.md 2.6.1: `(1 - nu tau_ref) x - tau_m nu (theta - Vr) + nu tau_ref Vr`.
pub fn lif_mean_v(lif: &LifParams, x: f64, nu: f64) -> f64 {
    (1.0 - nu * lif.tau_ref) * x - lif.tau_m * nu * (lif.theta - lif.v_reset)
        + nu * lif.tau_ref * lif.v_reset
}

/// The mean input `mu` (mV) at which the Siegert rate with noise `sigma` (mV) equals
/// `nu` (Hz), docs/theory.md 2.2; `None` unless `0 < nu < 1/tau_ref`. Safeguarded Newton
/// on `ln Phi` (concave and increasing in `mu`), to relative accuracy about `1e-13`
/// in the rate.
pub fn inverse_mu(lif: &LifParams, nu: f64, sigma: f64) -> Option<f64> {
    if !(nu > 0.0 && nu.is_finite() && nu * lif.tau_ref < 1.0) {
        return None;
    }
    if !(sigma > 0.0) {
        // Deterministic: 1/nu - tau_ref = tau_m ln((mu - Vr)/(mu - theta)).
        let e = ((1.0 / nu - lif.tau_ref) / lif.tau_m).exp_m1();
        return Some(lif.theta + (lif.theta - lif.v_reset) / e);
    }
    let target = nu.ln();
    let f = |mu: f64| {
        let c = core(lif, mu, sigma);
        (c.ln_rate() - target, c.dln_rate())
    };
    // Bracket [lo, hi] with f(lo) < 0 < f(hi).
    let scale = sigma.max(lif.theta - lif.v_reset);
    let (mut lo, mut hi) = (f64::NEG_INFINITY, f64::INFINITY);
    let mut mu = lif.theta;
    let (mut g, mut dg) = f(mu);
    for _ in 0..400 {
        if g == 0.0 {
            return Some(mu);
        }
        if g < 0.0 {
            lo = mu;
        } else {
            hi = mu;
        }
        let mut next = mu - g / dg;
        if !next.is_finite() || next <= lo || next >= hi {
            next = match (lo.is_finite(), hi.is_finite()) {
                (true, true) => 0.5 * (lo + hi),
                (true, false) => lo + 2.0 * (mu - lo).abs().max(scale),
                (false, true) => hi - 2.0 * (hi - mu).abs().max(scale),
                // Not reached: the first step sets one side.
                (false, false) => mu + scale,
            };
        }
        let step = next - mu;
        mu = next;
        (g, dg) = f(mu);
        if step.abs() <= 1e-14 * (1.0 + mu.abs()) || g.abs() <= 1e-14 {
            return Some(mu);
        }
    }
    // Should not happen: fall back to the generic bracketing inverse.
    invert_monotone(|x| rate(lif, x, sigma), nu)
}

/// ISI coefficient of variation of the LIF neuron with white-noise input of mean `mu`
/// (mV) and standard deviation `sigma` (mV), refractoriness included (docs/theory.md 2.1,
/// renewal closure; Brunel 2000, appendix; Lindner, Schimansky-Geier & Longtin 2002):
/// `CV^2 = 2 pi (nu tau_m)^2 Int_{y_r}^{y_th} e^{x^2} dx Int_{-inf}^x e^{y^2} (1 + erf y)^2 dy`.
///
/// Computed with the order of integration swapped, the `x` integral in closed form
/// with Dawson's function, `e^{y^2}(1 + erf y)^2 = e^{-y^2} erfcx(-y)^2`, and the
/// factor `exp(2 max(y_th, 0)^2)` cancelled against `nu^2`, so it stays finite where
/// the rate underflows (the CV then tends to 1). Adaptive quadrature to `1e-10`
/// relative (3e-14 against mpmath on the reference tables).
/// `sigma <= 0`: the deterministic limit, 0 above threshold and 1 below.
pub fn cv_isi(lif: &LifParams, mu: f64, sigma: f64) -> f64 {
    let y_th = (lif.theta - mu) / sigma;
    let y_r = (lif.v_reset - mu) / sigma;
    if !(sigma > 0.0 && y_th.is_finite() && y_r.is_finite()) {
        return if mu > lif.theta { 0.0 } else { 1.0 };
    }
    let den = core(lif, mu, sigma).den;
    let big_y = y_th;
    let s = big_y.max(0.0).powi(2);
    let d_big = dawson(big_y);
    // The integrand of the swapped double integral, times exp(-2 max(y_th, 0)^2).
    let integrand = |y: f64| -> f64 {
        let m = y.max(y_r);
        // e^{-y^2} erfcx(-y)^2 = exp(e1) * m1
        let m1 = if y <= 0.0 {
            erfcx(-y).powi(2)
        } else {
            (2.0 - (-y * y).exp() * erfcx(y)).powi(2)
        };
        // Int_m^Y e^{x^2} dx = exp(c) * m2, and the total exponent e1 + c - 2 s.
        let (ex, m2) = if m >= 0.0 {
            let m2 = d_big - ((m - big_y) * (m + big_y)).exp() * dawson(m);
            let ex = if y > 0.0 {
                (y - big_y) * (y + big_y)
            } else {
                -y * y - s
            };
            (ex, m2)
        } else if big_y >= 0.0 {
            let am = -m;
            if am >= big_y {
                // c = m^2
                let m2 = ((big_y - am) * (big_y + am)).exp() * d_big + dawson(am);
                ((m - y) * (m + y) - 2.0 * s, m2)
            } else {
                // c = Y^2
                let m2 = d_big + ((am - big_y) * (am + big_y)).exp() * dawson(am);
                (-y * y - s, m2)
            }
        } else {
            // Y < 0: c = m^2, s = 0
            let (am, ay) = (-m, -big_y);
            let m2 = dawson(am) - ((ay - am) * (ay + am)).exp() * dawson(ay);
            ((m - y) * (m + y), m2)
        };
        ex.exp() * m1 * m2
    };
    // Cuts: the left tail (where the exponent falls below -50), y_r (a kink), 0 (the
    // formula switch) and the layer of width ~1/(2|y_th|) below y_th, where the
    // integrand goes to 0 (for y_th > 0 it is also where all of the integral is);
    // no quadrature node of a long panel would fall into it.
    let y_lo = -(y_r.min(0.0).powi(2) + 50.0).sqrt();
    let layer = if big_y > 0.0 {
        (big_y * big_y - 50.0).max(0.0).sqrt()
    } else {
        -(big_y * big_y + 50.0).sqrt()
    };
    let mut cuts = vec![y_lo, big_y];
    for c in [y_r, 0.0, layer] {
        if c > y_lo && c < big_y {
            cuts.push(c);
        }
    }
    cuts.sort_by(f64::total_cmp);
    let [w] = integrate_adaptive(|y| [integrand(y)], &cuts, 1e-10, [0.0]);
    let cv2 = 2.0 * PI * lif.tau_m * lif.tau_m * w / (den * den);
    cv2.max(0.0).sqrt()
}

/// Where a Gaussian average of a function of the Siegert rate at noise `sigma` (mV)
/// should split its quadrature (docs/theory.md 2.3): the threshold and, for `sigma > 0`,
/// `6 sigma` below it (see [`Siegert`]'s [`Transfer::breakpoints`]).
pub fn breakpoints(lif: &LifParams, sigma: f64) -> Vec<f64> {
    if sigma > 0.0 {
        vec![lif.theta - 6.0 * sigma, lif.theta]
    } else {
        vec![lif.theta]
    }
}

// ---------------------------------------------------------------------------------
// The Transfer object
// ---------------------------------------------------------------------------------

/// The Siegert transfer function at fixed noise `sigma` (mV): a [`Transfer`] of the
/// mean input (docs/theory.md 2.2).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Siegert {
    /// LIF parameters of the population.
    pub lif: LifParams,
    /// Temporal noise `sigma` (mV), docs/theory.md 2.1.
    pub sigma: f64,
}

impl Transfer for Siegert {
    fn ln_rate(&self, x: f64) -> f64 {
        ln_rate(&self.lif, x, self.sigma)
    }
    fn rate(&self, x: f64) -> f64 {
        rate(&self.lif, x, self.sigma)
    }
    fn drate_dx(&self, x: f64) -> f64 {
        drate_dmu(&self.lif, x, self.sigma)
    }
    fn mean_v(&self, x: f64) -> f64 {
        lif_mean_v(&self.lif, x, self.rate(x))
    }
    /// The threshold, and `6 sigma` below it: for `sigma` small against the spread of
    /// inputs the rate rises from exponentially small (`~ exp(-((theta - x)/sigma)^2)`)
    /// to order one within a few `sigma` below the threshold, and a quadrature whose
    /// nodes all fall where the rate is negligible would miss that layer entirely.
    /// Above the threshold the rate grows like the noiseless `1/ln(1/(x - theta))`,
    /// which an adaptive rule sees and resolves.
    fn breakpoints(&self) -> Vec<f64> {
        breakpoints(&self.lif, self.sigma)
    }
    fn inverse(&self, nu: f64) -> Option<f64> {
        inverse_mu(&self.lif, nu, self.sigma)
    }
}

// ---------------------------------------------------------------------------------
// Core evaluation
// ---------------------------------------------------------------------------------

/// The Siegert rate in scaled form: `Phi = exp(-s) / den`,
/// `dPhi/dmu = exp(-s) dnum / den^2`, with `s = max(y_th, 0)^2`,
/// `den = tau_ref exp(-s) + tau_m sqrt(pi) exp(-s) I` and
/// `dnum = tau_m sqrt(pi) exp(-s) (erfcx(-y_th) - erfcx(-y_r)) / sigma`.
#[derive(Clone, Copy, Debug)]
struct Core {
    s: f64,
    den: f64,
    dnum: f64,
}

impl Core {
    fn rate(&self) -> f64 {
        if self.s < 600.0 {
            (-self.s).exp() / self.den
        } else {
            (-self.s - self.den.ln()).exp()
        }
    }
    fn drate(&self) -> f64 {
        if self.s < 600.0 {
            (-self.s).exp() * self.dnum / (self.den * self.den)
        } else {
            (-self.s + self.dnum.ln() - 2.0 * self.den.ln()).exp()
        }
    }
    fn ln_rate(&self) -> f64 {
        -self.s - self.den.ln()
    }
    fn ln_drate(&self) -> f64 {
        -self.s + self.dnum.ln() - 2.0 * self.den.ln()
    }
    /// `d ln Phi / dmu` (1/mV).
    fn dln_rate(&self) -> f64 {
        self.dnum / self.den
    }
}

thread_local! {
    /// The last evaluation on this thread. Gaussian averages ask a [`Transfer`] for
    /// the rate, the derivative and the mean potential at the same input, one call
    /// each; the cache makes that one Siegert evaluation.
    static LAST: Cell<Option<([u64; 6], Core)>> = const { Cell::new(None) };
}

fn core(lif: &LifParams, mu: f64, sigma: f64) -> Core {
    let key = [
        lif.tau_m.to_bits(),
        lif.theta.to_bits(),
        lif.v_reset.to_bits(),
        lif.tau_ref.to_bits(),
        mu.to_bits(),
        sigma.to_bits(),
    ];
    if let Some((k, c)) = LAST.get()
        && k == key
    {
        return c;
    }
    let c = compute_core(lif, mu, sigma);
    LAST.set(Some((key, c)));
    c
}

fn compute_core(lif: &LifParams, mu: f64, sigma: f64) -> Core {
    let (theta, vr) = (lif.theta, lif.v_reset);
    let y = (theta - mu) / sigma;
    let yr = (vr - mu) / sigma;
    if !(sigma > 0.0 && y.is_finite() && yr.is_finite()) {
        // The noiseless limit.
        return if mu > theta {
            Core {
                s: 0.0,
                den: lif.tau_ref + lif.tau_m * ((theta - vr) / (mu - theta)).ln_1p(),
                dnum: lif.tau_m * (theta - vr) / ((mu - theta) * (mu - vr)),
            }
        } else {
            Core {
                s: f64::INFINITY,
                den: 1.0,
                dnum: 0.0,
            }
        };
    }
    if yr > FAR_BELOW {
        // More than 1e6 sigma below threshold: k = 2 D(y_th) (1 + O(y^-2)) = 1/y_th,
        // g = 2 (1 + O(exp(-y_th^2))); the rate is exp(-y_th^2) y_th / (tau_m sqrt(pi)),
        // i.e. 0 in floating point, and ln_rate stays finite up to y_th = 1e154.
        let c = lif.tau_m * SQRT_PI;
        return Core {
            s: y * y,
            den: c / y,
            dnum: 2.0 * c / sigma,
        };
    }
    // The reset within a small fraction of sigma below the threshold: y_th - y_r taken
    // from (theta - Vr)/sigma, not from the difference of the rounded y_th and y_r.
    let gap = (theta - vr) / sigma;
    if gap < SHORT_GAP && gap * (y.abs() + yr.abs()) < 1.0 {
        return short_gap_core(lif, y, yr, gap, sigma);
    }
    // k = exp(-s) I, g = exp(-s) (erfcx(-y_th) - erfcx(-y_r)).
    let (s, k, g) = if y <= 0.0 {
        // Suprathreshold: the whole integrand on u <= 0.
        let (a, b) = (-y, -yr);
        (0.0, int_erfcx(a, b), erfcx(a) - erfcx(b))
    } else if yr < 0.0 {
        // Threshold inside the noise: split at u = 0.
        let b = -yr;
        let s = y * y;
        let e = (-s).exp();
        // Int_{y_r}^0 erfcx(|u|) + Int_0^y (2 e^{u^2} - erfcx(u)).
        let j = if b >= y {
            int_erfcx(y, b)
        } else {
            -int_erfcx(b, y)
        };
        (s, 2.0 * dawson(y) + e * j, 2.0 - e * (erfcx(y) + erfcx(b)))
    } else {
        subthreshold(y, yr)
    };
    let c = lif.tau_m * SQRT_PI;
    Core {
        s,
        den: lif.tau_ref * (-s).exp() + c * k,
        dnum: c * g / sigma,
    }
}

/// `(Vr - mu)/sigma` beyond which the asymptotic form of [`compute_core`] is used.
const FAR_BELOW: f64 = 1e6;

/// Below this `(theta - Vr)/sigma` the Siegert integrals are taken over the short
/// interval directly (see [`short_gap_core`]).
const SHORT_GAP: f64 = 0.01;

/// [`compute_core`] when the reset lies within `gap = (theta - Vr)/sigma < SHORT_GAP` of the
/// threshold (and `gap (|y_th| + |y_r|) < 1`). The general formulas take `y_th - y_r` as a
/// difference of rounded numbers, which loses `log10(y/gap)` digits (all of them at
/// `theta - Vr = 1e-12` mV), and `erfcx(-y_th) - erfcx(-y_r)` cancels the same way. Here
/// both integrals run over `t` in `[0, gap]`, `u = y_r + t`, by 10-point Gauss-Legendre
/// (exact to rounding on an interval this short): `k = Int exp(-s) erfcx(-u)` and
/// `g = Int exp(-s) (2 u erfcx(-u) + 2/sqrt(pi))`, since
/// `d erfcx(-u)/du = 2 u erfcx(-u) + 2/sqrt(pi) > 0` (one sign: no cancellation). For `u > 0`
/// the scaled `exp(-s) erfcx(-u) = 2 exp((t - gap)(u + y_th)) - exp(-s) erfcx(u)`.
fn short_gap_core(lif: &LifParams, y: f64, yr: f64, gap: f64, sigma: f64) -> Core {
    let s = y.max(0.0).powi(2);
    let e = (-s).exp();
    let scaled = |t: f64| -> f64 {
        let u = yr + t;
        if u <= 0.0 || y <= 0.0 {
            e * erfcx(-u)
        } else {
            2.0 * ((t - gap) * (u + y)).exp() - e * erfcx(u)
        }
    };
    let k = gauss_legendre(&GL10, 0.0, gap, scaled);
    let g = gauss_legendre(&GL10, 0.0, gap, |t| {
        2.0 * (yr + t) * scaled(t) + 2.0 * FRAC_1_SQRT_PI * e
    });
    let c = lif.tau_m * SQRT_PI;
    Core {
        s,
        den: lif.tau_ref * e + c * k,
        dnum: c * g / sigma,
    }
}

/// `(s, k, g)` of [`compute_core`] for `0 <= p = y_r < y = y_th`.
fn subthreshold(y: f64, p: f64) -> (f64, f64, f64) {
    let s = y * y;
    let e = (-s).exp();
    // y^2 - p^2: the range of the exponent of exp(u^2 - y^2) over [p, y].
    let d2 = (y - p) * (y + p);
    // exp(-y^2) erfcx(u) is below 1e-21 of the rest for y > 7: skipped.
    let small_erfcx = y > 7.0;
    let k = if d2 <= 4.0 {
        // Short interval (length <= 2): Gauss-Legendre on the scaled integrand
        // exp(-y^2) erfcx(-u) = 2 exp(u^2 - y^2) - exp(-y^2) erfcx(u).
        let rule: &[(f64, f64)] = if d2 <= 1.0 { &GL10 } else { &GL14 };
        if small_erfcx {
            gauss_legendre(rule, p, y, |u| 2.0 * ((u - y) * (u + y)).exp())
        } else {
            gauss_legendre(rule, p, y, |u| {
                2.0 * ((u - y) * (u + y)).exp() - e * erfcx(u)
            })
        }
    } else {
        // exp(-y^2) Int_p^y 2 e^{u^2} du = 2 (D(y) - exp(p^2 - y^2) D(p)); the second
        // term is at most e^{-4} of the first times D(p)/D(y) <= 3: no cancellation.
        let two_s = 2.0 * (dawson(y) - (-d2).exp() * dawson(p));
        if small_erfcx {
            two_s
        } else {
            two_s - e * int_erfcx(p, y)
        }
    };
    // exp(-y^2)(erfcx(-y) - erfcx(-p)) = 2 (1 - exp(p^2 - y^2)) + exp(-y^2)(erfcx(p) - erfcx(y)),
    // both terms positive.
    let g = -2.0 * (-d2).exp_m1()
        + if y < 27.0 {
            e * (erfcx(p) - erfcx(y))
        } else {
            0.0
        };
    (s, k, g)
}

// ---------------------------------------------------------------------------------
// Special functions
// ---------------------------------------------------------------------------------

/// `Int_a^b erfcx(t) dt` for `0 <= a <= b` (0 if `b <= a`), relative error ~1e-15.
fn int_erfcx(a: f64, b: f64) -> f64 {
    if !(b > a) {
        return 0.0;
    }
    if b <= T_ASYMPTOTIC {
        return gl_erfcx(a, b);
    }
    if a >= T_ASYMPTOTIC {
        return FRAC_1_SQRT_PI * ((b - a) / a).ln_1p() + (erfcx_tail(a) - erfcx_tail(b));
    }
    gl_erfcx(a, T_ASYMPTOTIC)
        + FRAC_1_SQRT_PI * (b / T_ASYMPTOTIC).ln()
        + (erfcx_tail(T_ASYMPTOTIC) - erfcx_tail(b))
}

/// Gauss-Legendre `Int_a^b erfcx`, `0 <= a < b <= 8`, with the order chosen by the
/// length (each order verified to ~3e-15 relative against mpmath).
fn gl_erfcx(a: f64, b: f64) -> f64 {
    let len = b - a;
    let rule: &[(f64, f64)] = if len <= 1.0 {
        &GL8
    } else if len <= 2.0 {
        &GL10
    } else if len <= 4.0 {
        &GL14
    } else {
        &GL20
    };
    gauss_legendre(rule, a, b, erfcx)
}

/// Terms of the asymptotic series of [`erfcx_tail`].
const TAIL_TERMS: usize = 17;
/// `c_n = (-1)^n (2n-1)!! / (2^n 2n sqrt(pi))`, `n = 1..=TAIL_TERMS`.
const TAIL_COEFFS: [f64; TAIL_TERMS] = {
    let mut c = [0.0; TAIL_TERMS];
    let mut double_fact = 1.0;
    let mut pow2 = 1.0;
    let mut n = 1;
    while n <= TAIL_TERMS {
        double_fact *= (2 * n - 1) as f64;
        pow2 *= 2.0;
        let sign = if n % 2 == 1 { -1.0 } else { 1.0 };
        c[n - 1] = sign * double_fact / (pow2 * (2 * n) as f64) * FRAC_1_SQRT_PI;
        n += 1;
    }
    c
};

/// `R(t) = Int_t^inf (erfcx(s) - 1/(sqrt(pi) s)) ds = sum_n c_n t^{-2n}` for `t >= 8`
/// (asymptotic; the omitted terms are below 1e-16 of the leading one there).
fn erfcx_tail(t: f64) -> f64 {
    let w = 1.0 / (t * t);
    let mut acc = 0.0;
    for &c in TAIL_COEFFS.iter().rev() {
        acc = acc * w + c;
    }
    acc * w
}

/// Taylor coefficients of Dawson's function, `D(x) = x sum_n a_n x^{2n}`,
/// `a_n = (-2)^n / (2n+1)!!`.
const DAWSON_TAYLOR: [f64; 10] = {
    let mut c = [0.0; 10];
    let mut num = 1.0;
    let mut den = 1.0;
    let mut n = 0;
    while n < 10 {
        c[n] = num / den;
        num *= -2.0;
        den *= (2 * n + 3) as f64;
        n += 1;
    }
    c
};

/// Asymptotic coefficients of Dawson's function, `D(x) = (1/(2x)) sum_n b_n x^{-2n}`,
/// `b_n = (2n-1)!! / 2^n`.
const DAWSON_ASYMPTOTIC: [f64; 14] = {
    let mut c = [0.0; 14];
    let mut v = 1.0;
    let mut n = 0;
    while n < 14 {
        c[n] = v;
        v *= (2 * n + 1) as f64 / 2.0;
        n += 1;
    }
    c
};

/// Dawson's function `D(x) = exp(-x^2) Int_0^x exp(t^2) dt`, relative error ~1e-15:
/// Taylor series for `|x| < 0.2`, Rybicki's exponentially convergent series
/// (step `h = 1/4`, 13 term pairs) up to 10, the asymptotic series beyond.
pub(crate) fn dawson(x: f64) -> f64 {
    let ax = x.abs();
    let d = if ax < 0.2 {
        let w = ax * ax;
        let mut acc = 0.0;
        for &c in DAWSON_TAYLOR.iter().rev() {
            acc = acc * w + c;
        }
        ax * acc
    } else if ax < 10.0 {
        // D(x) ~ (1/sqrt(pi)) sum_{n odd} exp(-(x - n h)^2) / n, written around the
        // even n0 nearest to x/h.
        const H: f64 = 0.25;
        let n0 = 2.0 * (0.5 * ax / H).round();
        let xp = ax - n0 * H;
        let e1 = (2.0 * xp * H).exp();
        let e2 = e1 * e1;
        let (mut up, mut down) = (e1, 1.0 / e1);
        let inv_e2 = 1.0 / e2;
        let mut sum = 0.0;
        for (i, &c) in RYBICKI.iter().enumerate() {
            let m = (2 * i + 1) as f64;
            sum += c * (up / (n0 + m) + down / (n0 - m));
            up *= e2;
            down *= inv_e2;
        }
        FRAC_1_SQRT_PI * (-xp * xp).exp() * sum
    } else {
        let w = 1.0 / (ax * ax);
        let mut acc = 0.0;
        for &c in DAWSON_ASYMPTOTIC.iter().rev() {
            acc = acc * w + c;
        }
        0.5 * acc / ax
    };
    d.copysign(x)
}

const RYBICKI: [f64; 13] = [
    9.3941306281347578612e-1,
    5.6978282473092300977e-1,
    2.0961138715109782252e-1,
    4.6770622383958983653e-2,
    6.3297154274857465769e-3,
    5.1957468215483848176e-4,
    2.586810022265412127e-5,
    7.8114894083044907955e-7,
    1.4307241918567688335e-8,
    1.5893910094516366529e-10,
    1.0709232382508076456e-12,
    4.3766185028708498938e-15,
    1.0848552640429378025e-17,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_coefficients_match_the_series() {
        // c_1 = -1/(4 sqrt(pi)), c_2 = 3/(16 sqrt(pi)).
        assert!((TAIL_COEFFS[0] + 0.25 * FRAC_1_SQRT_PI).abs() < 1e-17);
        assert!((TAIL_COEFFS[1] - 3.0 / 16.0 * FRAC_1_SQRT_PI).abs() < 1e-17);
    }

    #[test]
    fn dawson_is_continuous_at_its_switch_points() {
        for x in [0.2f64, 10.0] {
            let (lo, hi) = (dawson(x * (1.0 - 1e-15)), dawson(x));
            assert!((lo / hi - 1.0).abs() < 1e-14, "x = {x}: {lo} vs {hi}");
        }
    }

    #[test]
    fn rybicki_coefficients() {
        for (i, &c) in RYBICKI.iter().enumerate() {
            let t = (2 * i + 1) as f64 * 0.25;
            assert!((c / (-t * t).exp() - 1.0).abs() < 1e-14);
        }
    }
}
