//! Threshold integration of the LIF Fokker-Planck equation (Richardson 2007, Phys. Rev. E
//! 76, 021919), docs/theory.md 6.2: the stationary rate and the first-order rate response
//! at complex `lambda` to modulations of the mean input `mu` and of the noise variance
//! `sigma^2`.
//!
//! Conventions of the crate (docs/theory.md 2.2): `tau_m dV/dt = -V + mu + sigma sqrt(tau_m)
//! xi(t)`, threshold `theta`, reset `Vr`, refractory period `tau_ref` (input discarded).
//! With `D = sigma^2 / (2 tau_m)` (mV^2/s) and `G(V) = 2 (mu - V) / sigma^2` (1/mV) the
//! probability flux is `J = ((mu - V)/tau_m) P - D dP/dV`, so
//!
//! ```text
//!   dP/dV = G P - J / D,        dJ/dV = -lambda P  (+ reset source),
//! ```
//!
//! integrated from `P(theta) = 0` downwards to a lower bound `V_lb` where `J(V_lb) = 0`.
//! Because the equations are linear, the first-order response `P_1 = r_1 p_r + mu_1 r_0
//! p_mu` is split into a solution `p_r` driven by a unit flux at threshold (reinjected
//! at `Vr` with the factor `exp(-lambda tau_ref)`) and one `p_mu` driven by the
//! modulation of the drift (source `P_0 / (tau_m D)`); the boundary condition at `V_lb`
//! fixes `r_1 / mu_1`. The variance modulation (`D_1 = sigma^2_1 / (2 tau_m)`) enters as
//! the source `-P_0' / (2 tau_m D)`.
//!
//! Numerics (written here: no crate integrates this boundary-value problem): classical
//! Runge-Kutta 4 on the whole system (stationary and the three response solutions at
//! once, so the stationary density at the half steps is exact to the same order) on a
//! uniform grid whose step divides `theta - Vr` (the reset is a grid node, where the
//! flux jumps). Step `min(0.02 sigma, 0.04 sigma^2/|mu - theta|, 0.25 sqrt(D/|lambda|))`,
//! lower bound `min(Vr, mu) - 8 sigma`; the sweep is repeated with half the step and the
//! fourth-order error extrapolated away (Richardson). Because `J(V_lb) = J(theta) + lambda Int P - exp(-lambda
//! tau_ref)` (the reset term), the ratio is formed from the integrals, which stays exact
//! as `lambda -> 0`. The growing mode is rescaled when it gets large (high frequency).

use num_complex::Complex64;

use crate::error::{Error, Result};
use crate::transfer::LifParams;

/// First-order rate response at complex `lambda` (1/s): `r_1 = chi_mu mu_1 + chi_sigma2
/// sigma^2_1` for input modulations `mu_1 e^{lambda t}`, `sigma^2_1 e^{lambda t}`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Susceptibility {
    /// Response to the mean input (Hz/mV).
    pub chi_mu: Complex64,
    /// Response to the noise variance (Hz/mV^2).
    pub chi_sigma2: Complex64,
}

/// Stationary rate and response from one threshold integration.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Response {
    /// Stationary rate `r_0` (Hz).
    pub rate_hz: f64,
    /// Susceptibilities at the requested `lambda`.
    pub chi: Susceptibility,
}

/// Grid of the threshold integration (docs/theory.md 6.2).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Grid {
    /// Lower bound of the grid: this many `sigma` below `min(Vr, mu)` (the stationary
    /// density falls like `exp(-(V - mu)^2 / sigma^2)`, 1e-28 at 8).
    pub lower_sigmas: f64,
    /// Step as a fraction of `sigma`.
    pub step_sigmas: f64,
    /// Step as a fraction of the response's boundary-layer width `sqrt(D / |lambda|)`.
    pub step_layer: f64,
    /// Integrate with steps `h` and `h/2` and extrapolate the fourth-order error away.
    pub extrapolate: bool,
}

impl Default for Grid {
    fn default() -> Self {
        Grid {
            lower_sigmas: 8.0,
            step_sigmas: 0.02,
            step_layer: 0.25,
            extrapolate: true,
        }
    }
}

fn check(lif: &LifParams, mu: f64, sigma: f64, lambda: Complex64) -> Result<()> {
    check_neuron(
        lif,
        mu,
        sigma,
        "threshold integration needs finite noise > 0 mV (docs/theory.md 6.2)",
    )?;
    if !(lambda.re.is_finite() && lambda.im.is_finite()) {
        return Err(Error::invalid("lambda", lambda, "must be finite (1/s)"));
    }
    Ok(())
}

/// The checks every Fokker-Planck solver of this module's siblings makes of its neuron and
/// input: `sigma` finite and > 0 (refused with `no_noise`), `mu` finite, `theta > v_reset`,
/// `tau_m > 0`, `tau_ref >= 0`.
pub(super) fn check_neuron(lif: &LifParams, mu: f64, sigma: f64, no_noise: &str) -> Result<()> {
    if !(sigma > 0.0 && sigma.is_finite()) {
        return Err(Error::invalid("sigma", sigma, no_noise));
    }
    if !mu.is_finite() {
        return Err(Error::invalid("mu", mu, "must be finite (mV)"));
    }
    if lif.theta.is_nan() || lif.v_reset.is_nan() || lif.theta <= lif.v_reset {
        return Err(Error::invalid(
            "theta",
            lif.theta,
            format!("must exceed the reset {} mV", lif.v_reset),
        ));
    }
    if !(lif.tau_m > 0.0 && lif.tau_ref >= 0.0) {
        return Err(Error::invalid(
            "tau_m",
            lif.tau_m,
            "tau_m must be > 0 s and tau_ref >= 0 s",
        ));
    }
    Ok(())
}

/// Stationary rate (Hz) by threshold integration (equals the Siegert rate, docs/theory.md 2.2).
pub fn rate(lif: &LifParams, mu: f64, sigma: f64) -> Result<f64> {
    Ok(integrate(lif, mu, sigma, Complex64::new(0.0, 0.0))?.rate_hz)
}

/// Susceptibilities `chi_mu` (Hz/mV) and `chi_sigma2` (Hz/mV^2) at complex `lambda` (1/s).
pub fn susceptibility(
    lif: &LifParams,
    mu: f64,
    sigma: f64,
    lambda: Complex64,
) -> Result<Susceptibility> {
    Ok(integrate(lif, mu, sigma, lambda)?.chi)
}

/// `(1 - exp(-z)) / z`, exact near `z = 0`.
fn one_minus_exp_over(z: Complex64) -> Complex64 {
    if z.norm() < 1e-3 {
        // 1 - z/2 + z^2/6 - z^3/24
        Complex64::new(1.0, 0.0) - z / 2.0 + z * z / 6.0 - z * z * z / 24.0
    } else {
        (Complex64::new(1.0, 0.0) - (-z).exp()) / z
    }
}

/// Stationary rate and response at `lambda` on the default [`Grid`].
pub fn integrate(lif: &LifParams, mu: f64, sigma: f64, lambda: Complex64) -> Result<Response> {
    integrate_on(lif, mu, sigma, lambda, &Grid::default())
}

/// Stationary rate and response at `lambda` on a given grid.
pub fn integrate_on(
    lif: &LifParams,
    mu: f64,
    sigma: f64,
    lambda: Complex64,
    grid: &Grid,
) -> Result<Response> {
    check(lif, mu, sigma, lambda)?;
    let d = sigma * sigma / (2.0 * lif.tau_m);
    let layer = if lambda.norm() > 0.0 {
        grid.step_layer * (d / lambda.norm()).sqrt()
    } else {
        f64::INFINITY
    };
    // the density varies on the scale 1/|G(theta)| = sigma^2 / (2 |mu - theta|) at threshold
    let drift = 2.0 * grid.step_sigmas * sigma * sigma / (mu - lif.theta).abs().max(1e-300);
    let target = (grid.step_sigmas * sigma).min(layer).min(drift);
    let span_r = lif.theta - lif.v_reset;
    let n_reset = (span_r / target).ceil().max(4.0) as usize;
    let v_lb = lif.v_reset.min(mu) - grid.lower_sigmas * sigma;
    let coarse = sweep(lif, mu, sigma, lambda, n_reset, v_lb)?;
    if !grid.extrapolate {
        return Ok(coarse);
    }
    // Richardson extrapolation of the O(h^4) error of RK4.
    let fine = sweep(lif, mu, sigma, lambda, 2 * n_reset, v_lb)?;
    let ex = |f: f64, c: f64| (16.0 * f - c) / 15.0;
    let exc = |f: Complex64, c: Complex64| (f * 16.0 - c) / 15.0;
    Ok(Response {
        rate_hz: ex(fine.rate_hz, coarse.rate_hz),
        chi: Susceptibility {
            chi_mu: exc(fine.chi.chi_mu, coarse.chi.chi_mu),
            chi_sigma2: exc(fine.chi.chi_sigma2, coarse.chi.chi_sigma2),
        },
    })
}

/// One RK4 sweep from threshold to `v_lb` with `n_reset` steps between reset and threshold.
fn sweep(
    lif: &LifParams,
    mu: f64,
    sigma: f64,
    lambda: Complex64,
    n_reset: usize,
    v_lb: f64,
) -> Result<Response> {
    let tau = lif.tau_m;
    let d = sigma * sigma / (2.0 * tau);
    let span_r = lif.theta - lif.v_reset;
    let h = span_r / n_reset as f64;
    let n = ((lif.theta - v_lb) / h).ceil() as usize;
    if n > 50_000_000 {
        return Err(Error::Domain(format!(
            "threshold integration at sigma = {sigma} mV, lambda = {lambda} 1/s needs {n} steps (> 5e7): noise too small for this frequency"
        )));
    }
    let g = |v: f64| 2.0 * (mu - v) / (sigma * sigma);
    let inv_d = 1.0 / d;
    let src_mu = 1.0 / (tau * d);
    let src_s = -1.0 / (2.0 * tau * d);

    // State: stationary (p0, i0) real with j0 piecewise constant; three complex systems
    // (p, j, i) for the unit threshold flux (r), the mu source (m) and the sigma^2 source (s).
    #[derive(Clone, Copy)]
    struct St {
        p0: f64,
        i0: f64,
        c: [[Complex64; 3]; 3],
    }
    let zero = Complex64::new(0.0, 0.0);
    let one = Complex64::new(1.0, 0.0);
    // Derivative d/dV at potential v with stationary flux j0 and source scale sc.
    let deriv = |v: f64, y: &St, j0: f64, sc: Complex64| -> St {
        let gv = g(v);
        let dp0 = gv * y.p0 - j0 * inv_d;
        let mut out = St {
            p0: dp0,
            i0: -y.p0,
            c: [[zero; 3]; 3],
        };
        for k in 0..3 {
            let [p, j, _] = y.c[k];
            let source = match k {
                0 => zero,
                1 => sc * (src_mu * y.p0),
                _ => sc * (src_s * dp0),
            };
            out.c[k] = [gv * p - j * inv_d + source, -lambda * p, -p];
        }
        out
    };
    let axpy = |y: &St, a: f64, k: &St| -> St {
        let mut o = *y;
        o.p0 += a * k.p0;
        o.i0 += a * k.i0;
        for s in 0..3 {
            for q in 0..3 {
                o.c[s][q] += k.c[s][q] * a;
            }
        }
        o
    };

    let mut y = St {
        p0: 0.0,
        i0: 0.0,
        c: [[zero, one, zero], [zero; 3], [zero; 3]],
    };
    let mut j0 = 1.0;
    let mut scale = one; // product of rescalings applied to the response systems
    let mut top = one; // the unit threshold flux of system r, rescaled
    let mut reinject = zero; // the reset term of system r, rescaled
    let back = (-lambda * lif.tau_ref).exp();
    let step = -h;
    for k in 0..n {
        let v = lif.theta - k as f64 * h;
        let k1 = deriv(v, &y, j0, scale);
        let k2 = deriv(v + 0.5 * step, &axpy(&y, 0.5 * step, &k1), j0, scale);
        let k3 = deriv(v + 0.5 * step, &axpy(&y, 0.5 * step, &k2), j0, scale);
        let k4 = deriv(v + step, &axpy(&y, step, &k3), j0, scale);
        y = axpy(&y, step / 6.0, &k1);
        y = axpy(&y, step / 3.0, &k2);
        y = axpy(&y, step / 3.0, &k3);
        y = axpy(&y, step / 6.0, &k4);
        if k + 1 == n_reset {
            // Reinjection at Vr: the flux drops by the delayed outflow.
            j0 -= 1.0;
            y.c[0][1] -= back * scale;
            reinject += back * scale;
        }
        let big = y.c.iter().flatten().map(|z| z.norm()).fold(0.0, f64::max);
        if big > 1e150 {
            let f = 1e-150;
            for s in 0..3 {
                for q in 0..3 {
                    y.c[s][q] *= f;
                }
            }
            scale *= f;
            top *= f;
            reinject *= f;
        }
        if !(y.p0.is_finite() && big.is_finite()) {
            return Err(Error::Domain(format!(
                "threshold integration overflowed at V = {v} mV (mu = {mu} mV, sigma = {sigma} mV, lambda = {lambda} 1/s)"
            )));
        }
    }
    // Stationary normalisation: Int P + r0 tau_ref = 1 with P = r0 p0.
    let r0 = 1.0 / (y.i0 + lif.tau_ref);
    // J(V_lb) of each system: top flux + lambda Int p - reinjection; divided by lambda.
    let [_, jr, ir] = y.c[0];
    let [_, jm, im] = y.c[1];
    let [_, js, is] = y.c[2];
    let (chi_mu, chi_s) = if scale == one {
        // J_r/lambda = (1 - e^{-lambda tau_ref})/lambda + I_r, J_m/lambda = I_m.
        let den = one_minus_exp_over(lambda * lif.tau_ref) * lif.tau_ref + ir;
        (-r0 * im / den, -r0 * is / den)
    } else {
        let _ = (top, reinject);
        (-r0 * jm / jr, -r0 * js / jr)
    };
    Ok(Response {
        rate_hz: r0,
        chi: Susceptibility {
            chi_mu,
            chi_sigma2: chi_s,
        },
    })
}
