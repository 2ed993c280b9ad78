//! Second-order rate response `chi_2(omega, -omega)` of the LIF with white noise and a
//! refractory period, and the rate change it predicts for an added colored input
//! (docs/theory.md 6.6; Voronenko & Lindner 2017 for the second-order response,
//! Richardson 2007/2008 for the Fokker-Planck linear response it extends).
//!
//! Conventions as [`super::threshold`]: `tau_m dV/dt = -V + mu + sigma sqrt(tau_m) xi(t)
//! + eta(t)`, `D = sigma^2 / (2 tau_m)`, drift `a(V) = (mu - V) / tau_m`, flux
//! `J = a P - D dP/dV`. A weak added input `eta` (mV) with two-sided power spectrum
//! `S_eta(omega)` (mV^2 s) changes the mean rate by
//!
//! ```text
//!   Delta nu = Int d omega / (2 pi) chi_2(omega, -omega) S_eta(omega)          (6.6.1)
//! ```
//!
//! to second order. For `eta = eps (e^{i omega t} + c.c.)` the time-independent part of
//! the second-order density obeys the stationary equation with the extra drift flux
//! `s(V) = 2 Re P_1(V) / tau_m`, where `P_1` is the first-order density per unit mean
//! modulation; its rate is `r_20 = Int K(V) s(V) dV` with the static kernel
//!
//! ```text
//!   K(V) = (r_0 / D) e^{y^2} Int_{-inf}^{V} e^{-y'^2} dV' = (r_0 sigma sqrt(pi) / (2 D)) erfcx(-y),
//!   y = (V - mu) / sigma                                                        (6.6.2)
//! ```
//!
//! (the rate response to a unit drift flux injected at `V`, fixed by normalisation
//! `Int P_20 + r_20 tau_ref = 0`), and `chi_2(omega, -omega) = r_20 / 2` is real:
//!
//! ```text
//!   chi_2(omega, -omega) = Int K(V) Re P_1(V; omega) dV / tau_m.               (6.6.3)
//! ```
//!
//! `P_1` solves `D P_1'' - (a P_1)' - i omega P_1 = P_0' / tau_m - r_1 e^{-i omega tau_ref}
//! delta(V - Vr)` with `P_1(theta) = 0`, `r_1 = -D P_1'(theta)` and decay below. The
//! threshold integration of [`super::threshold`] gives `r_1` from ratios of solutions that
//! grow like `exp(sqrt(omega / D) (theta - V))`, but `P_1` itself would cancel them
//! catastrophically at high frequency; here the boundary-value problem is solved as
//! such: second-order central differences on a uniform grid with the reset a node, the
//! tridiagonal system solved directly (stable at every frequency), once for the source
//! and once for a unit reinjection, combined so that the threshold flux is `r_1`. Two
//! grids `h` and `h/2` and Richardson extrapolation of the `h^2` error.
//!
//! Limits: `chi_2(0, 0) = (1/2) d^2 nu / d mu^2` (Siegert); at high frequency the
//! threshold boundary layer of `P_1` (width `sqrt(D/omega)`) gives
//! `chi_2 -> c omega^{-3/2}` with `c = K(theta) r_0 / (tau_m^2 sqrt(2 D))` (6.6.4), and
//! the frequency integral obeys the white-noise sum rule
//! `Int d omega / (2 pi) chi_2(omega, -omega) = (1/tau_m) d nu / d sigma^2` (6.6.5): white
//! `eta` of level `S` is a change `S / tau_m` of `sigma^2`.

use std::f64::consts::PI;

use num_complex::Complex64;
use puruspe::erfcx;

use crate::error::{Error, Result};
use crate::transfer::LifParams;

/// Grid of the second-order solve (docs/theory.md 6.6).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Chi2Grid {
    /// Lower bound: this many `sigma` below `min(Vr, mu)`.
    pub lower_sigmas: f64,
    /// Coarse step as a fraction of `sigma`.
    pub step_sigmas: f64,
    /// Coarse step as a fraction of the boundary-layer width `sqrt(D / omega)`.
    pub step_layer: f64,
    /// Solve on `h` and `h/2` and extrapolate the `h^2` error away.
    pub extrapolate: bool,
}

impl Default for Chi2Grid {
    fn default() -> Self {
        Chi2Grid {
            lower_sigmas: 7.0,
            step_sigmas: 0.02,
            step_layer: 0.2,
            extrapolate: true,
        }
    }
}

/// The stationary LIF at `(mu, sigma)` prepared for second-order responses.
#[derive(Clone, Copy, Debug)]
pub struct SecondOrder {
    pub lif: LifParams,
    /// Mean input (mV).
    pub mu: f64,
    /// White noise (mV).
    pub sigma: f64,
    pub grid: Chi2Grid,
}

fn check(lif: &LifParams, mu: f64, sigma: f64) -> Result<()> {
    super::threshold::check_neuron(
        lif,
        mu,
        sigma,
        "the second-order response needs finite noise > 0 mV (docs/theory.md 6.6)",
    )
}

/// Solve the real tridiagonal system `l_j x_{j-1} + d_j x_j + u_j x_{j+1} = b_j` (Thomas).
fn thomas_real(l: &[f64], d: &[f64], u: &[f64], b: &mut [f64]) {
    let n = d.len();
    let mut c = vec![0.0; n];
    let mut inv = 1.0 / d[0];
    c[0] = u[0] * inv;
    b[0] *= inv;
    for j in 1..n {
        inv = 1.0 / (d[j] - l[j] * c[j - 1]);
        c[j] = u[j] * inv;
        b[j] = (b[j] - l[j] * b[j - 1]) * inv;
    }
    for j in (0..n - 1).rev() {
        let next = b[j + 1];
        b[j] -= c[j] * next;
    }
}

/// Solve `l_j x_{j-1} + (d_j - lambda) x_j + u_j x_{j+1} = b_j` (real `l`, `d`, `u`,
/// complex `lambda`) for two right-hand sides with one elimination (Thomas).
fn thomas_shifted2(
    l: &[f64],
    d: &[f64],
    u: &[f64],
    lambda: Complex64,
    b1: &mut [Complex64],
    b2: &mut [Complex64],
) {
    let n = d.len();
    let mut c = vec![Complex64::new(0.0, 0.0); n];
    let mut inv = 1.0 / (d[0] - lambda);
    c[0] = inv * u[0];
    b1[0] *= inv;
    b2[0] *= inv;
    for j in 1..n {
        inv = 1.0 / (d[j] - lambda - c[j - 1] * l[j]);
        c[j] = inv * u[j];
        b1[j] = (b1[j] - b1[j - 1] * l[j]) * inv;
        b2[j] = (b2[j] - b2[j - 1] * l[j]) * inv;
    }
    for j in (0..n - 1).rev() {
        let (n1, n2) = (b1[j + 1], b2[j + 1]);
        b1[j] -= c[j] * n1;
        b2[j] -= c[j] * n2;
    }
}

/// One grid: stationary rate, first-order `r_1` (per mV of mean modulation) and
/// `chi_2(omega, -omega)`.
struct OnGrid {
    rate: f64,
    r1: Complex64,
    chi2: f64,
}

impl SecondOrder {
    /// Prepare; errors name the bad parameter.
    pub fn new(lif: &LifParams, mu: f64, sigma: f64) -> Result<Self> {
        check(lif, mu, sigma)?;
        Ok(SecondOrder {
            lif: *lif,
            mu,
            sigma,
            grid: Chi2Grid::default(),
        })
    }

    /// Noise intensity `D = sigma^2 / (2 tau_m)` (mV^2/s).
    fn d(&self) -> f64 {
        self.sigma * self.sigma / (2.0 * self.lif.tau_m)
    }

    /// The kernel (6.6.2) at `v` (mV), in units of `r_0`: `K / r_0` (1/(mV^2/s) * mV).
    fn kernel_over_r0(&self, v: f64) -> f64 {
        let y = (v - self.mu) / self.sigma;
        self.sigma * PI.sqrt() / (2.0 * self.d()) * erfcx(-y)
    }

    fn on_grid(&self, omega: f64, n_reset: usize) -> Result<OnGrid> {
        let lif = &self.lif;
        let (mu, tau) = (self.mu, lif.tau_m);
        let d = self.d();
        let h = (lif.theta - lif.v_reset) / n_reset as f64;
        let v_lb = lif.v_reset.min(mu) - self.grid.lower_sigmas * self.sigma;
        let m = ((lif.v_reset - v_lb) / h).ceil() as usize;
        let n = m + n_reset;
        if n > 20_000_000 {
            return Err(Error::Domain(format!(
                "second-order response at sigma = {} mV, omega = {omega} rad/s needs {n} grid nodes (> 2e7)",
                self.sigma
            )));
        }
        let v = |j: usize| lif.v_reset + (j as f64 - m as f64) * h;
        // Unknowns j = 1..n-1 (P = 0 at both ends), stored at index j - 1.
        let k = n - 1;
        let lambda = Complex64::new(0.0, omega);
        let d_h2 = d / (h * h);
        // The operator D P'' - (a P)' by central differences (real); the first-order
        // problem subtracts lambda = i omega on the diagonal.
        let mut l = vec![0.0; k];
        let dd = vec![-2.0 * d_h2; k];
        let mut u = vec![0.0; k];
        for i in 0..k {
            let j = i + 1;
            l[i] = d_h2 + (mu - v(j - 1)) / (tau * 2.0 * h);
            u[i] = d_h2 - (mu - v(j + 1)) / (tau * 2.0 * h);
        }
        let integral = |x: &[Complex64]| -> Complex64 { x.iter().sum::<Complex64>() * h };
        // stationary: unit reinjection at Vr (node m, index m - 1)
        let mut p0 = vec![0.0; k];
        p0[m - 1] = -1.0 / h;
        thomas_real(&l, &dd, &u, &mut p0);
        // -D P'(theta), one-sided second order, P(theta) = 0
        let out = (p0[k - 1] * 4.0 - p0[k - 2]) * (d / (2.0 * h));
        let i0 = p0.iter().sum::<f64>() * h / out;
        let r0 = 1.0 / (i0 + lif.tau_ref);
        let scale = r0 / out;
        p0.iter_mut().for_each(|x| *x *= scale);
        // first order: source P0'/tau and unit reinjection delayed by tau_ref
        let at = |j: usize| if j == 0 || j == n { 0.0 } else { p0[j - 1] };
        let mut xs: Vec<Complex64> = (1..n)
            .map(|j| Complex64::new((at(j + 1) - at(j - 1)) / (2.0 * h * tau), 0.0))
            .collect();
        let mut xr = vec![Complex64::new(0.0, 0.0); k];
        xr[m - 1] = -(-lambda * lif.tau_ref).exp() / h;
        thomas_shifted2(&l, &dd, &u, lambda, &mut xs, &mut xr);
        // r_1 from the balance of probability: J(theta) = r_1 and the flux below vanishes,
        // so lambda Int P_1 = -r_1 (1 - e^{-lambda tau_ref}) (the source integrates to 0),
        // i.e. Int P_1 + r_1 tau_ref (1 - e^{-z})/z = 0, z = lambda tau_ref: exact as
        // lambda -> 0, where the threshold flux of each solution carries no information.
        let z = lambda * lif.tau_ref;
        let delayed = if z.norm() < 1e-3 {
            Complex64::new(1.0, 0.0) - z / 2.0 + z * z / 6.0
        } else {
            (Complex64::new(1.0, 0.0) - (-z).exp()) / z
        };
        let r1 = -integral(&xs) / (integral(&xr) + delayed * lif.tau_ref);
        // (6.6.3) by the trapezoid rule (P_1 vanishes at both ends)
        let mut acc = 0.0;
        for i in 0..k {
            let p1 = xs[i] + r1 * xr[i];
            acc += self.kernel_over_r0(v(i + 1)) * p1.re;
        }
        let chi2 = r0 * acc * h / tau;
        if !(chi2.is_finite() && r0.is_finite()) {
            return Err(Error::Domain(format!(
                "second-order response not finite at mu = {mu} mV, sigma = {} mV, omega = {omega} rad/s",
                self.sigma
            )));
        }
        Ok(OnGrid { rate: r0, r1, chi2 })
    }

    fn n_reset(&self, omega: f64) -> usize {
        let g = &self.grid;
        let d = self.d();
        let layer = if omega > 0.0 {
            g.step_layer * (d / omega).sqrt()
        } else {
            f64::INFINITY
        };
        let drift = 2.0 * g.step_sigmas * self.sigma * self.sigma
            / (self.mu - self.lif.theta).abs().max(1e-300);
        let target = (g.step_sigmas * self.sigma).min(layer).min(drift);
        ((self.lif.theta - self.lif.v_reset) / target)
            .ceil()
            .max(8.0) as usize
    }

    fn extrapolated(&self, omega: f64) -> Result<OnGrid> {
        let n = self.n_reset(omega);
        let coarse = self.on_grid(omega, n)?;
        if !self.grid.extrapolate {
            return Ok(coarse);
        }
        let fine = self.on_grid(omega, 2 * n)?;
        Ok(OnGrid {
            rate: (4.0 * fine.rate - coarse.rate) / 3.0,
            r1: (fine.r1 * 4.0 - coarse.r1) / 3.0,
            chi2: (4.0 * fine.chi2 - coarse.chi2) / 3.0,
        })
    }

    /// `chi_2(omega, -omega)` (Hz/mV^2) at angular frequency `omega` (rad/s), (6.6.3).
    pub fn chi2(&self, omega: f64) -> Result<f64> {
        if !omega.is_finite() {
            return Err(Error::invalid("omega", omega, "must be finite (rad/s)"));
        }
        Ok(self.extrapolated(omega.abs())?.chi2)
    }

    /// Stationary rate (Hz) and first-order response `chi_mu(i omega)` (Hz/mV) of the same
    /// discretisation, for checks against docs/theory.md 6.1-6.2.
    pub fn rate_and_chi_mu(&self, omega: f64) -> Result<(f64, Complex64)> {
        let g = self.extrapolated(omega.abs())?;
        Ok((g.rate, g.r1))
    }

    /// The coefficient `c` of the high-frequency tail `chi_2 -> c omega^{-3/2}`
    /// (Hz/mV^2 (rad/s)^{3/2}), (6.6.4).
    pub fn tail_coefficient(&self) -> f64 {
        let r0 = crate::transfer::siegert::rate(&self.lif, self.mu, self.sigma);
        let k_theta = r0 * self.kernel_over_r0(self.lif.theta);
        k_theta * r0 / (self.lif.tau_m * self.lif.tau_m * (2.0 * self.d()).sqrt())
    }

    /// The rate change (Hz) of (6.6.1) for an added input of two-sided spectrum
    /// `s_eta(omega)` (mV^2 s, even in `omega`) that tends to `s_inf` at high frequency:
    /// the white part by the sum rule (6.6.5) in closed form
    /// (`s_inf (1/tau_m) d nu / d sigma^2`), the rest by the frequency integral on
    /// [`frequency_nodes`] (the remainder `s_eta - s_inf` must decay faster than
    /// `1/omega` beyond `omega_max`).
    pub fn rate_change(
        &self,
        s_eta: impl Fn(f64) -> f64,
        s_inf: f64,
        omega_max: f64,
    ) -> Result<f64> {
        let white = s_inf / self.lif.tau_m
            * super::diffusion::drate_dsigma2(&self.lif, self.mu, self.sigma);
        let mut colored = 0.0;
        for (w, wt) in frequency_nodes(self.lif.tau_m, omega_max) {
            let ds = s_eta(w) - s_inf;
            if ds != 0.0 {
                colored += wt * self.chi2(w)? * ds;
            }
        }
        Ok(white + colored / PI)
    }

    /// `Int_0^{omega_max} chi_2 d omega / pi + (2 c / pi) omega_max^{-1/2}` (Hz/(mV^2 s)):
    /// the left side of the sum rule (6.6.5) with the tail (6.6.4) added analytically.
    pub fn white_sum(&self, omega_max: f64) -> Result<f64> {
        let mut acc = 0.0;
        for (w, wt) in frequency_nodes(self.lif.tau_m, omega_max) {
            acc += wt * self.chi2(w)?;
        }
        Ok((acc + 2.0 * self.tail_coefficient() / omega_max.sqrt()) / PI)
    }
}

/// Gauss-Legendre nodes and weights on `[0, omega_max]` (rad/s) for the frequency
/// integrals of docs/theory.md 6.6: panels whose width grows geometrically from
/// `0.05/tau_m` and is capped at `2 pi x 50 Hz`, so that the structure at the
/// presynaptic rates and the `e^{-i omega tau_ref}` oscillation are resolved.
pub fn frequency_nodes(tau_m: f64, omega_max: f64) -> Vec<(f64, f64)> {
    // 8-point Gauss-Legendre on [-1, 1]
    const X: [f64; 4] = [
        0.1834346424956498,
        0.5255324099163290,
        0.7966664774136267,
        0.9602898564975363,
    ];
    const W: [f64; 4] = [
        0.3626837833783620,
        0.3137066458778873,
        0.2223810344533745,
        0.1012285362903763,
    ];
    let mut out = Vec::new();
    let mut a = 0.0;
    let mut width = 0.05 / tau_m;
    let cap = 2.0 * PI * 50.0;
    while a < omega_max {
        let b = (a + width).min(omega_max);
        let (c, r) = (0.5 * (a + b), 0.5 * (b - a));
        for i in 0..4 {
            out.push((c - r * X[i], r * W[i]));
            out.push((c + r * X[i], r * W[i]));
        }
        a = b;
        width = (width * 1.4).min(cap);
    }
    out
}

/// Gauss-Legendre rule with `n` nodes on `[0, omega_max]` (rad/s) in the variable
/// `t = ln(1 + (e^a - 1) omega / omega_max) / a` (stretch `a > 0`), i.e.
/// `omega = omega_max (e^{a t} - 1) / (e^a - 1)`, `t` in `[0, 1]`: nodes dense at low
/// frequency, where the presynaptic spectra and `chi_2` vary on the scale of the rates,
/// and sparse towards `omega_max`, where both are smooth. For the correlated closure's
/// frequency integral (docs/theory.md 6.6.6) 48 nodes with `a = 3` agree with
/// [`frequency_nodes`] (256 nodes) to 1e-8 in the Fano factor (`tests/correlated_closure.rs`).
pub fn mapped_legendre_nodes(omega_max: f64, n: usize, a: f64) -> Vec<(f64, f64)> {
    let rule = gauss_quad::legendre::GaussLegendre::new(
        std::num::NonZeroUsize::new(n.max(1)).expect("n >= 1"),
    );
    let e = a.exp_m1();
    rule.nodes()
        .zip(rule.weights())
        .map(|(&x, &w)| {
            let t = 0.5 * (x + 1.0);
            let g = (a * t).exp();
            (omega_max * (g - 1.0) / e, omega_max * a * g / e * 0.5 * w)
        })
        .collect()
}

/// The white-noise level at which the second-order correction vanishes (docs/theory.md
/// 6.6.6): for input trains of relative spectrum `S(omega)/nu - 1` = `rel_spectrum(omega)`
/// (even, tending to 0 at high frequency), the Fano factor
///
/// ```text
///   F_chi = 1 + Int d omega/(2 pi) chi_2(omega, -omega) (S/nu - 1) / ((1/tau_m) d nu / d sigma^2),
/// ```
///
/// `chi_2` at mean input `mu` (mV) and the noise `sigma_of(F)` (mV) of trains of Fano
/// factor `F`, iterated `iterations` times from `f_start`. White noise of level
/// `nu F_chi` then has the same rate to second order as the colored input (6.6.1 with
/// `S - nu F_chi` gives `Delta nu = 0`): the `chi_2`-weighted counterpart of the
/// membrane-filtered `F_eff` of docs/theory.md 2.1. `omega_max` (rad/s) as
/// [`SecondOrder::rate_change`].
pub fn chi2_fano(
    lif: &LifParams,
    mu: f64,
    sigma_of: impl Fn(f64) -> f64,
    rel_spectrum: impl Fn(f64) -> f64,
    f_start: f64,
    iterations: usize,
    omega_max: f64,
) -> Result<f64> {
    let mut f = f_start;
    for _ in 0..iterations {
        let sigma = sigma_of(f);
        let so = SecondOrder::new(lif, mu, sigma)?;
        let den = super::diffusion::drate_dsigma2(lif, mu, sigma) / lif.tau_m;
        let num = so.rate_change(&rel_spectrum, 0.0, omega_max)?;
        let next = 1.0 + num / den;
        if !next.is_finite() {
            return Err(Error::Domain(format!(
                "chi_2-weighted Fano factor not finite at mu = {mu} mV, sigma = {sigma} mV (d nu/d sigma^2 = {den})"
            )));
        }
        f = next;
    }
    Ok(f)
}
