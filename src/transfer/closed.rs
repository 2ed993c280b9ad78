//! Transfer functions with closed-form Gaussian averages (docs/theory.md 2.2, "optional
//! others"): threshold-linear, threshold-power-law and the binary-neuron normal CDF.
//! They serve as exact references for the numerical averages of `gauss` and as
//! simple alternatives to the Siegert function. Non-LIF: `mean_v(x) = x`.
//!
//! Gaussian averages over `x ~ N(m, v)` use the truncated-normal moments
//! `M_k(a) = Int_{-a}^inf (z + a)^k phi(z) dz`, `a = (m - theta)/sqrt(v)`, so that
//! `E[(x - theta)_+^k] = v^{k/2} M_k(a)`.

// `!(x > 0.0)` is the intended NaN-rejecting test, and the quadrature and series
// constants keep the digits of their sources.
#![allow(
    clippy::neg_cmp_op_on_partial_ord,
    clippy::excessive_precision,
    clippy::needless_range_loop
)]

use super::{Moments, Transfer};
use crate::quad::integrate_adaptive;

/// `gain * [x - theta]_+` (Hz), docs/theory.md 2.2.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ThresholdLinear {
    /// Threshold (mV).
    pub theta: f64,
    /// Slope (Hz/mV).
    pub gain: f64,
}

impl Transfer for ThresholdLinear {
    fn rate(&self, x: f64) -> f64 {
        self.gain * (x - self.theta).max(0.0)
    }
    fn drate_dx(&self, x: f64) -> f64 {
        if x > self.theta { self.gain } else { 0.0 }
    }
    /// Closed form (docs/theory.md 2.3): `nu = g s M_1`, `q = g^2 v M_2`, `gain = g M_0`.
    fn gaussian_moments(&self, mean: f64, var: f64) -> Option<Moments> {
        Some(power_moments(self.theta, self.gain, 1, mean, var))
    }
    fn breakpoints(&self) -> Vec<f64> {
        vec![self.theta]
    }
    /// `theta + nu/gain` for `nu > 0`; `theta` (the edge of the silent range) for `nu = 0`.
    fn inverse(&self, nu: f64) -> Option<f64> {
        (nu >= 0.0 && nu.is_finite() && self.gain > 0.0).then(|| self.theta + nu / self.gain)
    }
}

/// `gain * [x - theta]_+^n` (Hz), `n > 0` real, docs/theory.md 2.2.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ThresholdPower {
    /// Threshold (mV).
    pub theta: f64,
    /// Prefactor (Hz/mV^n).
    pub gain: f64,
    /// Exponent `n > 0`.
    pub n: f64,
}

impl ThresholdPower {
    /// Largest integer exponent with closed-form moments (`q` needs `M_{2n}`).
    pub const MAX_CLOSED_FORM_N: u32 = 8;

    /// The exponent as an integer if it is one (and small enough for the closed form).
    fn integer_n(&self) -> Option<u32> {
        (self.n.fract() == 0.0 && self.n >= 1.0 && self.n <= Self::MAX_CLOSED_FORM_N as f64)
            .then_some(self.n as u32)
    }
}

impl Transfer for ThresholdPower {
    fn rate(&self, x: f64) -> f64 {
        let t = x - self.theta;
        if t > 0.0 {
            self.gain * t.powf(self.n)
        } else {
            0.0
        }
    }
    fn drate_dx(&self, x: f64) -> f64 {
        let t = x - self.theta;
        if t > 0.0 {
            self.gain * self.n * t.powf(self.n - 1.0)
        } else {
            0.0
        }
    }
    /// Closed form for integer `n` up to [`Self::MAX_CLOSED_FORM_N`] (docs/theory.md 2.3):
    /// `nu = g v^{n/2} M_n`, `q = g^2 v^n M_{2n}`, `gain = g n v^{(n-1)/2} M_{n-1}`.
    /// Other `n`: `None`, and `gauss::moments` integrates numerically, split at `theta`.
    fn gaussian_moments(&self, mean: f64, var: f64) -> Option<Moments> {
        self.integer_n()
            .map(|n| power_moments(self.theta, self.gain, n, mean, var))
    }
    fn breakpoints(&self) -> Vec<f64> {
        vec![self.theta]
    }
    /// `theta + (nu/gain)^{1/n}` for `nu >= 0`.
    fn inverse(&self, nu: f64) -> Option<f64> {
        (nu >= 0.0 && nu.is_finite() && self.gain > 0.0 && self.n > 0.0)
            .then(|| self.theta + (nu / self.gain).powf(1.0 / self.n))
    }
}

/// The binary-neuron transfer `nu_max * Phi_N((x - theta)/width)` (Hz), docs/theory.md 2.2,
/// with `Phi_N` the standard normal distribution function.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NormalCdf {
    /// Midpoint (mV).
    pub theta: f64,
    /// Width `s` of the sigmoid (mV), `> 0`.
    pub width: f64,
    /// Maximal rate (Hz).
    pub nu_max: f64,
}

impl Transfer for NormalCdf {
    fn rate(&self, x: f64) -> f64 {
        self.nu_max * normal_cdf((x - self.theta) / self.width)
    }
    fn drate_dx(&self, x: f64) -> f64 {
        self.nu_max * normal_pdf((x - self.theta) / self.width) / self.width
    }
    /// Closed form (docs/theory.md 2.3), with `S = sqrt(s^2 + v)`, `h = (m - theta)/S`:
    /// `nu = nu_max Phi_N(h)`, `gain = nu_max phi(h)/S`, and
    /// `q = nu_max^2 Phi_2(h, h; rho)`, `rho = v/S^2`, the bivariate normal orthant
    /// probability, written without cancellation via Owen's T function as
    /// `Phi_N(h)^2 + (1/pi) Int_c^1 exp(-h^2 (1 + t^2)/2)/(1 + t^2) dt`,
    /// `c = s/sqrt(s^2 + 2v)` (using `T(h, 1) = Phi_N(h)(1 - Phi_N(h))/2`).
    fn gaussian_moments(&self, mean: f64, var: f64) -> Option<Moments> {
        let v = var.max(0.0);
        let s2 = self.width * self.width;
        let big_s = (s2 + v).sqrt();
        let h = (mean - self.theta) / big_s;
        let p = normal_cdf(h);
        let c = (s2 / (s2 + 2.0 * v)).sqrt();
        let hh = h * h;
        // exp(-h^2 (1 + t^2)/2) = exp(-h^2 (1 + c^2)/2) exp(-h^2 (t^2 - c^2)/2)
        let [owen] = integrate_adaptive(
            |t| [(-0.5 * hh * (t - c) * (t + c)).exp() / (1.0 + t * t)],
            &[c, 0.5 * (c + 1.0), 1.0],
            1e-14,
            [0.0],
        );
        let q_unit = p * p + (-0.5 * hh * (1.0 + c * c)).exp() * owen / std::f64::consts::PI;
        Some(Moments {
            nu: self.nu_max * p,
            q: self.nu_max * self.nu_max * q_unit,
            gain: self.nu_max * normal_pdf(h) / big_s,
            mean_v: mean,
        })
    }
    /// The midpoint and `8 width` either side: the rate changes on the scale `width`,
    /// which may be short against the spread of inputs, and the layers where it
    /// approaches 0 and `nu_max` must each hold quadrature nodes.
    fn breakpoints(&self) -> Vec<f64> {
        vec![
            self.theta - 8.0 * self.width,
            self.theta,
            self.theta + 8.0 * self.width,
        ]
    }
}

/// The standard normal distribution function and density of docs/theory.md 2.2, defined
/// once in [`crate::quad`].
pub use crate::quad::{normal_cdf, normal_pdf};

/// Moments of `gain [x - theta]_+^n` over `x ~ N(mean, var)` (docs/theory.md 2.3).
fn power_moments(theta: f64, gain: f64, n: u32, mean: f64, var: f64) -> Moments {
    let n = n as usize;
    if !(var > 0.0) {
        let t = (mean - theta).max(0.0);
        let r = gain * t.powi(n as i32);
        let d = if mean > theta {
            gain * n as f64 * t.powi(n as i32 - 1)
        } else {
            0.0
        };
        return Moments {
            nu: r,
            q: r * r,
            gain: d,
            mean_v: mean,
        };
    }
    let sd = var.sqrt();
    let m = truncated_normal_moments((mean - theta) / sd, 2 * n);
    Moments {
        nu: gain * sd.powi(n as i32) * m[n],
        q: gain * gain * sd.powi(2 * n as i32) * m[2 * n],
        gain: gain * n as f64 * sd.powi(n as i32 - 1) * m[n - 1],
        mean_v: mean,
    }
}

/// `M_k(a) = Int_{-a}^inf (z + a)^k phi(z) dz = E[(z + a)_+^k]` for `k = 0..=kmax`:
/// the truncated-normal moments behind the closed forms of docs/theory.md 2.3.
///
/// `a >= 0`: the forward recurrence `M_k = a M_{k-1} + (k-1) M_{k-2}`
/// (`M_0 = Phi_N(a)`, `M_1 = a Phi_N(a) + phi(a)`), all terms positive.
/// `a < 0`, `b = -a`: `M_k = phi(b) F_k(b)` with `F_k(b) = Int_0^inf t^k e^{-bt - t^2/2} dt`,
/// `F_0 = sqrt(pi/2) erfcx(b/sqrt 2)`, which obey `F_{k+1} = k F_{k-1} - b F_k`. That
/// recurrence cancels forward for `b > 1` (`F_k` is its minimal solution), so there it
/// runs backward (Miller's algorithm) and is normalised by `F_0`.
pub fn truncated_normal_moments(a: f64, kmax: usize) -> Vec<f64> {
    let mut m = vec![0.0; kmax + 1];
    if a >= 0.0 {
        let (cdf, pdf) = (normal_cdf(a), normal_pdf(a));
        m[0] = cdf;
        if kmax >= 1 {
            m[1] = a * cdf + pdf;
        }
        for k in 2..=kmax {
            m[k] = a * m[k - 1] + (k - 1) as f64 * m[k - 2];
        }
        return m;
    }
    let b = -a;
    let f0 =
        (std::f64::consts::PI / 2.0).sqrt() * puruspe::erfcx(b * std::f64::consts::FRAC_1_SQRT_2);
    let mut f = vec![0.0; kmax + 1];
    f[0] = f0;
    if b <= 1.0 {
        if kmax >= 1 {
            f[1] = 1.0 - b * f0;
        }
        for k in 1..kmax {
            f[k + 1] = k as f64 * f[k - 1] - b * f[k];
        }
    } else {
        // Start far enough up that the dominant solution (~ e^{+2 b sqrt k} relative)
        // has died out: e^{-2 b (sqrt(N) - sqrt(kmax))} < 1e-17.
        let start = ((20.0 / b + (kmax as f64).sqrt()).powi(2)).ceil() as usize + kmax + 2;
        // F_k grows with k (like sqrt(k!)): going down the values shrink and are
        // rescaled before they underflow.
        let (mut next, mut cur) = (0.0f64, 1.0f64); // F_{k+1}, F_k at k = start
        for k in (1..=start).rev() {
            let prev = (b * cur + next) / k as f64; // F_{k-1}
            next = cur;
            cur = prev;
            if k - 1 <= kmax {
                f[k - 1] = cur;
            }
            if cur.abs() < 1e-250 {
                // Rescale everything kept so far.
                let r = 1e250;
                cur *= r;
                next *= r;
                for v in f.iter_mut().skip(k - 1) {
                    *v *= r;
                }
            }
        }
        let norm = f0 / f[0];
        for v in f.iter_mut() {
            *v *= norm;
        }
    }
    let pdf = normal_pdf(b);
    for k in 0..=kmax {
        m[k] = pdf * f[k];
    }
    m
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `M_k(a)` by brute-force adaptive quadrature in `t = z + a`.
    fn brute(a: f64, k: usize) -> f64 {
        let [v] = integrate_adaptive(
            |t: f64| [t.powi(k as i32) * normal_pdf(t - a)],
            &[0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 40.0],
            1e-14,
            [0.0],
        );
        v
    }

    #[test]
    fn truncated_moments_against_quadrature() {
        for a in [-30.0, -8.0, -3.0, -1.5, -1.0, -0.5, 0.0, 0.3, 2.0, 5.0] {
            let m = truncated_normal_moments(a, 6);
            for k in 0..=6 {
                let r = brute(a, k);
                assert!(
                    (m[k] / r - 1.0).abs() < 1e-11,
                    "a = {a}, k = {k}: {} vs {r}",
                    m[k]
                );
            }
        }
    }
}
