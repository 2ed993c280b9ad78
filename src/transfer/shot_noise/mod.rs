//! Shot-noise transfer function (docs/theory.md 2.2, "Shot noise"): a LIF neuron driven by
//! Poisson inputs with finite jumps, without the diffusion approximation.
//!
//! The neuron (docs/theory.md section 1, NEST `iaf_psc_delta` convention):
//!
//! ```text
//! tau_m dV/dt = -(V - b) + tau_m sum_X a_X sum_k delta(t - t_k^X)
//! ```
//!
//! with input `X` a Poisson process of total rate `R_X` (Hz) and fixed jump `a_X` (mV,
//! signed), a constant bias `b` (mV), a spike when `V >= theta` (by a jump, or by the
//! drift when `b > theta`), reset to `Vr`, held there for `tau_ref` with input discarded.
//! Its mean input is `x = b + tau_m sum_X a_X R_X`.
//!
//! Two layers, as everywhere in [`crate::transfer`]:
//! - [`stationary`] (parameter level): rate, time-averaged potential and mean overshoot for
//!   given [`LifParams`], [`ShotInput`] and bias, by the first-passage master equation on a
//!   voltage grid (docs/theory.md 2.2; `master.rs`), first order in the cell width,
//!   Richardson-extrapolated over four grids;
//! - [`ShotNoise`] (a [`Transfer`] of `x` at fixed input rates): a table over `x` with a
//!   cubic spline in `log(rate)`, built from one banded factorisation per grid (in
//!   coordinates shifted by the bias, the matrix of a higher bias is a leading block of
//!   that of a lower one), with direct evaluation outside the table.
//!
//! Accuracy, default model inputs (`tests/shot_noise.rs`, `examples/shot_noise_accuracy.rs`):
//! rate about 5e-6 relative from 10 Hz down to 0.26 Hz, `<V>` about 1e-5 mV (see
//! [`Resolution`]); the diffusion limit (jumps `a/k`, rates `R k^2`) converges to Siegert
//! linearly in `1/k`, extrapolating to it within 1.3e-5; the deterministic limit within
//! 3e-8; an exact event-driven Monte Carlo within its standard errors (0.3% at 10.6 Hz
//! and 0.1% at 100 Hz with 1e5 spikes, 0.6% at 1.8 Hz with 2e4).
//! The table adds less than 1e-7 (rate) and 1e-6 (`drate_dx`) relative.
//!
//! With finite jumps the crossing jump overshoots the threshold (by about 0.06 mV in the
//! default model), and the mean-potential balance becomes
//! `<V> = (1 - nu tau_ref) x - tau_m nu (theta - Vr + overshoot) + nu tau_ref Vr`:
//! the formula of docs/theory.md 2.6.1 (no overshoot) is then too high by 0.014 mV at the
//! operating point (10.6 Hz), 0.05 mV at 35 Hz and 0.14 mV at 100 Hz (where the Monte
//! Carlo of the tests confirms it at 40 standard errors). [`Transfer::mean_v`] of
//! [`ShotNoise`] is the solver's time average, which includes it.
//!
//! # Non-Poisson recurrent input (the `renewal` / `spectral` closures of docs/theory.md 2.1)
//!
//! Shot noise describes each source as Poisson. Recommendation: represent a presynaptic
//! population whose spike counts have Fano factor `F` by the *equivalent Poisson source*
//! with jump `a F` at rate `R / F` ([`ShotInput::with_fano`]): it keeps the mean drive
//! `a R` and multiplies the variance by `F` (`a^2 R F`). It is exact in a useful case:
//! the long-window count cumulants of a gamma renewal train with `CV^2 = F` are
//! `kappa_n = R T F^(n-1)`, which are exactly those of this source, so the skewness
//! that drives the shot-noise correction scales correctly too. Membrane time scales are
//! shorter than inter-spike intervals, so use an *effective* `F` (the ratio of the
//! membrane-filtered input variance to its Poisson value, 0.40 in the bistable
//! scenario of docs/theory.md 2.1, as a spectral closure would give) rather than the
//! low-frequency `CV^2`, which cuts the variance too much. (Note: scaling the rates by
//! `F` and the jumps by `1/F` would scale the variance by `1/F`.) The alternative that
//! keeps the jump size, a Poisson part of rate `R F` plus a constant current for the
//! remaining mean, is simply `rates_hz[source] *= F` here: a [`ShotNoise`] is
//! parameterised by the total mean input `x`, so its bias absorbs the difference.

mod banded;
pub mod hawkes;
mod master;
pub mod response;
mod spline;

use serde::{Deserialize, Serialize};

use self::master::{Jump, Ladder, Passage};
use self::spline::UniformSpline;
use super::{LifParams, Transfer};
use crate::Model;
use crate::error::{Error, Result};

/// Poisson shot-noise input of one neuron: one entry per input source (e.g. the
/// excitatory and inhibitory populations and the external drive).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShotInput {
    /// Jump `a_X` of one input spike of source `X` (mV, signed: negative for inhibition).
    pub jumps_mv: Vec<f64>,
    /// Total Poisson rate `R_X` of source `X` (Hz), e.g. `K_B nu_B`.
    pub rates_hz: Vec<f64>,
}

impl ShotInput {
    /// An input with the given jumps (mV) and total rates (Hz), checked.
    pub fn new(jumps_mv: Vec<f64>, rates_hz: Vec<f64>) -> Result<Self> {
        let s = ShotInput { jumps_mv, rates_hz };
        s.validate()?;
        Ok(s)
    }

    /// Check lengths, finiteness and non-negative rates.
    pub fn validate(&self) -> Result<()> {
        if self.jumps_mv.len() != self.rates_hz.len() {
            return Err(Error::invalid(
                "ShotInput.rates_hz",
                format!("{:?}", self.rates_hz),
                format!("needs one rate per jump ({} jumps)", self.jumps_mv.len()),
            ));
        }
        for (x, &a) in self.jumps_mv.iter().enumerate() {
            if !a.is_finite() || a.abs() > crate::model::MAX_MAGNITUDE {
                return Err(Error::invalid(
                    format!("ShotInput.jumps_mv[{x}]"),
                    crate::model::num(a),
                    format!(
                        "must be finite with magnitude <= {:e} mV (docs/theory.md section 7)",
                        crate::model::MAX_MAGNITUDE
                    ),
                ));
            }
        }
        for (x, &r) in self.rates_hz.iter().enumerate() {
            if !r.is_finite() || r < 0.0 {
                return Err(Error::invalid(
                    format!("ShotInput.rates_hz[{x}]"),
                    r,
                    "must be finite and >= 0",
                ));
            }
        }
        Ok(())
    }

    /// Mean drive `tau_m sum_X a_X R_X` (mV) for membrane time constant `tau_m` (s):
    /// the mean input is `x = b + ` this.
    pub fn mean_drive(&self, tau_m: f64) -> f64 {
        tau_m
            * self
                .jumps_mv
                .iter()
                .zip(&self.rates_hz)
                .map(|(a, r)| a * r)
                .sum::<f64>()
    }

    /// Noise `sigma` (mV) of the diffusion approximation, `sigma^2 = tau_m sum_X a_X^2 R_X`
    /// (docs/theory.md 2.1; the free membrane's standard deviation is `sigma / sqrt 2`).
    pub fn sigma(&self, tau_m: f64) -> f64 {
        (tau_m
            * self
                .jumps_mv
                .iter()
                .zip(&self.rates_hz)
                .map(|(a, r)| a * a * r)
                .sum::<f64>())
        .sqrt()
    }

    /// The input with source `source` replaced by its equivalent Poisson source for
    /// presynaptic spike-count Fano factor `f`: jump `a f`, rate `R / f`, so that the mean
    /// drive is unchanged and the source's variance is multiplied by `f` (see the module
    /// documentation for why, and for the alternative).
    pub fn with_fano(&self, source: usize, f: f64) -> Result<Self> {
        if source >= self.jumps_mv.len() {
            return Err(Error::invalid(
                "source",
                source,
                format!("no such input source (have {})", self.jumps_mv.len()),
            ));
        }
        if !f.is_finite() || f <= 0.0 {
            return Err(Error::invalid(
                "f",
                f,
                "a Fano factor must be finite and > 0",
            ));
        }
        let mut s = self.clone();
        s.jumps_mv[source] *= f;
        s.rates_hz[source] /= f;
        Ok(s)
    }

    /// The input with its first `fano.len()` sources replaced by their equivalent
    /// Poisson sources for the Fano factors `fano` ([`ShotInput::with_fano`] on each).
    pub fn with_fanos(&self, fano: &[f64]) -> Result<Self> {
        let mut s = self.clone();
        for (source, &f) in fano.iter().enumerate() {
            s = s.with_fano(source, f)?;
        }
        Ok(s)
    }

    pub(crate) fn jumps(&self) -> Vec<Jump> {
        self.jumps_mv
            .iter()
            .zip(&self.rates_hz)
            .map(|(&a, &rate)| Jump { a, rate })
            .collect()
    }

    /// Whether some source can push the neuron up (positive jump at a positive rate).
    pub(crate) fn has_excitation(&self) -> bool {
        self.jumps_mv
            .iter()
            .zip(&self.rates_hz)
            .any(|(&a, &r)| a > 0.0 && r > 0.0)
    }
}

/// Numerical resolution of the master equation.
///
/// The master equation is solved on `levels` grids of cell widths `h, 2h, 4h, ...` and the
/// results are Richardson-extrapolated to `h = 0` (cancelling the error terms
/// `h, ..., h^(levels-1)`). With three or more levels every jump spreads its mass with a
/// numerical variance of exactly `h^2/4` (see `master::split`), so that the error is a
/// smooth function of `h` that the extrapolation can remove; with one or two levels the
/// plain linear split is used, whose variance `fr (1 - fr) h^2` depends on the fractional
/// shift `fr` and limits the extrapolated error to `O(h^2)` with an erratic coefficient.
///
/// Measured relative rate error against references at `dv = 0.0025` (4 levels), default
/// model inputs (`examples/shot_noise_accuracy.rs`), and CPU time of one direct
/// evaluation (on a loaded shared machine; `benches/shot_noise.rs`):
///
/// | `dv` (mV), levels | 10.6 Hz | 1.77 Hz | 0.26 Hz | `<V>` (mV) | cost |
/// |---|---|---|---|---|---|
/// | 0.01, 2 (two grids) | 1.0e-4 | 9.6e-5 | 2.3e-4 | 2.4e-4 | 2.5 ms |
/// | 0.01, 4 (default) | 2.4e-6 | 5.4e-6 | 7.2e-6 | 1.0e-5 | 2.7 ms |
/// | 0.02, 4 ([`Resolution::fast`]) | 1.9e-5 | 1.8e-5 | 3.6e-4 | 1.1e-4 | 0.6 ms |
///
/// The error grows slowly into the tail (the relative error of an exponentially small
/// rate is the error of its exponent); the factorisation keeps full precision there
/// (rates down to 1e-300 Hz are finite and smooth).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    /// Target cell width (mV) of the finest grid. The width used is the largest one not
    /// above this that makes `theta - Vr` a whole number of the coarsest cells (so that
    /// reset and threshold are cell edges on every grid).
    pub dv: f64,
    /// Number of grids for the Richardson extrapolation (1 = none).
    pub levels: usize,
    /// Extent of the grid below the lower of reset and free-membrane mean, in
    /// free-membrane standard deviations (`sigma / sqrt 2`). A first study used 9; at the default
    /// model, 7 and 12 give the same rate to 1e-12 relative, 5 to 1e-7.
    pub lower_sd: f64,
}

impl Default for Resolution {
    fn default() -> Self {
        Resolution {
            dv: 0.01,
            levels: 4,
            lower_sd: 7.0,
        }
    }
}

impl Resolution {
    /// A faster, coarser resolution: `dv = 0.02` mV, 4 levels (about 4x cheaper, see the table).
    pub fn fast() -> Self {
        Resolution {
            dv: 0.02,
            ..Resolution::default()
        }
    }

    /// The default resolution refined for small jumps: `dv = min(0.01, a_min / 16)` mV,
    /// `a_min` the smallest `|a_X|` among the sources that carry at least 5% of the input
    /// variance, floored at 0.001 mV. The extrapolation needs the coarsest grid
    /// (`8 dv`) to resolve every important jump by two cells; with the default model's
    /// jumps (0.158 mV) this is the default. Used by [`stationary`] and [`ShotNoise::new`].
    pub fn for_input(input: &ShotInput) -> Self {
        let var: f64 = input
            .jumps_mv
            .iter()
            .zip(&input.rates_hz)
            .map(|(a, r)| a * a * r)
            .sum();
        let a_min = input
            .jumps_mv
            .iter()
            .zip(&input.rates_hz)
            .filter(|(a, r)| **a != 0.0 && a.powi(2) * **r >= 0.05 * var)
            .fold(f64::INFINITY, |m, (a, _)| m.min(a.abs()));
        Resolution {
            dv: (a_min / 16.0).clamp(0.001, 0.01),
            ..Resolution::default()
        }
    }

    /// The finest cell width (mV) used for `lif`: `(theta - Vr) / (c k)`, `c = 2^(levels-1)`,
    /// `k` the smallest integer giving a width `<= dv`.
    pub fn cell_width(&self, lif: &LifParams) -> f64 {
        let span = lif.theta - lif.v_reset;
        let c = self.coarsest() as f64;
        span / (c * (span / (c * self.dv)).ceil())
    }

    /// Ratio of the coarsest to the finest cell width.
    pub(crate) fn coarsest(&self) -> usize {
        1 << (self.levels - 1)
    }

    /// Whether jumps spread with a fixed numerical variance (see the type's documentation).
    pub(crate) fn spread(&self) -> bool {
        self.levels >= 3
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if !self.dv.is_finite() || self.dv <= 0.0 {
            return Err(Error::invalid(
                "Resolution.dv",
                self.dv,
                "must be finite and > 0",
            ));
        }
        if !(1..=6).contains(&self.levels) {
            return Err(Error::invalid(
                "Resolution.levels",
                self.levels,
                "must be 1 to 6",
            ));
        }
        if !self.lower_sd.is_finite() || self.lower_sd < 0.0 {
            return Err(Error::invalid(
                "Resolution.lower_sd",
                self.lower_sd,
                "must be finite and >= 0",
            ));
        }
        Ok(())
    }
}

/// Stationary statistics of a shot-noise driven LIF neuron.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Stationary {
    /// Firing rate (Hz).
    pub rate: f64,
    /// Time-averaged membrane potential (mV), including the refractory time at `Vr`.
    pub mean_v: f64,
    /// Mean overshoot of the potential above `theta` at the spike (mV): the jump that
    /// crosses lands above threshold. It enters the mean potential,
    /// `<V> = (1 - nu tau_ref) x - tau_m nu (theta - Vr + overshoot) + nu tau_ref Vr`,
    /// a term the diffusion formula of docs/theory.md 2.6.1 does not have.
    pub overshoot: f64,
}

pub(crate) fn validate_lif(lif: &LifParams) -> Result<()> {
    if !lif.tau_m.is_finite() || lif.tau_m <= 0.0 {
        return Err(Error::invalid("tau_m", lif.tau_m, "must be finite and > 0"));
    }
    if !lif.tau_ref.is_finite() || lif.tau_ref < 0.0 {
        return Err(Error::invalid(
            "tau_ref",
            lif.tau_ref,
            "must be finite and >= 0",
        ));
    }
    if !lif.theta.is_finite() || !lif.v_reset.is_finite() || lif.theta <= lif.v_reset {
        return Err(Error::invalid(
            "theta",
            lif.theta,
            format!("must be finite and exceed v_reset = {}", lif.v_reset),
        ));
    }
    Ok(())
}

/// Stationary rate (Hz), mean potential (mV) and overshoot of a LIF neuron (`lif`) with
/// shot-noise input `input` and bias `bias` (mV), at [`Resolution::for_input`]
/// (docs/theory.md 2.2). Cost: one banded factorisation per grid, 1.5-3 ms for the default model.
pub fn stationary(lif: &LifParams, input: &ShotInput, bias: f64) -> Result<Stationary> {
    stationary_with(lif, input, bias, &Resolution::for_input(input))
}

/// [`stationary`] at a given [`Resolution`].
///
/// The master equation is solved (with one factorisation) at the four biases
/// `theta + j c` nearest to `bias`, `c` the coarsest cell width, and interpolated by the
/// cubic through them (in `log(rate)`; error about 1e-10). On that lattice the point
/// `V = b`, where the upwind leak changes direction, is a cell edge on every grid; at an
/// arbitrary bias it falls inside a cell, which adds an error of order `h^2` that depends
/// on its position in the cell (about 1e-7 relative in the rate, 2e-5 mV in `<V>` at
/// 2 mHz) and would make the result wiggle with period `h` in the bias. The four biases
/// stay on one side of `b = theta`, where the rate is not smooth.
pub fn stationary_with(
    lif: &LifParams,
    input: &ShotInput,
    bias: f64,
    res: &Resolution,
) -> Result<Stationary> {
    Ok(stationary_and_slope(lif, input, bias, res)?.0)
}

/// [`stationary_with`] and the slope `d rate / d bias` (Hz/mV) of the cubic through the
/// four lattice biases (relative error about 1e-7; a centred finite difference for the
/// drift-only case, which has no lattice).
fn stationary_and_slope(
    lif: &LifParams,
    input: &ShotInput,
    bias: f64,
    res: &Resolution,
) -> Result<(Stationary, f64)> {
    validate_lif(lif)?;
    input.validate()?;
    res.validate()?;
    if !bias.is_finite() {
        return Err(Error::invalid("bias", bias, "must be finite"));
    }
    if !input.has_excitation() {
        // only drift crossings (b > theta); their rate is singular at b = theta
        let at = |b: f64| -> Result<Stationary> { Ok(ladder(lif, input, b, 1, 1, res)?.remove(0)) };
        let d = 1e-3 * (bias - lif.theta).abs().max(1e-6);
        let slope = (at(bias + d)?.rate - at(bias - d)?.rate) / (2.0 * d);
        return Ok((at(bias)?, slope));
    }
    let c = res.coarsest() as f64 * res.cell_width(lif);
    let (j0, t) = lattice(lif, bias, c);
    let nodes = ladder(lif, input, lif.theta + j0 as f64 * c, 1, 4, res)?;
    // Lagrange weights of the nodes 0..3 at t, and their derivatives
    let w = cubic_weights(t);
    let dw = [
        -((t - 2.0) * (t - 3.0) + (t - 1.0) * (t - 3.0) + (t - 1.0) * (t - 2.0)) / 6.0,
        ((t - 2.0) * (t - 3.0) + t * (t - 3.0) + t * (t - 2.0)) / 2.0,
        -((t - 1.0) * (t - 3.0) + t * (t - 3.0) + t * (t - 1.0)) / 2.0,
        ((t - 1.0) * (t - 2.0) + t * (t - 2.0) + t * (t - 1.0)) / 6.0,
    ];
    let mix = |w: &[f64; 4], f: &dyn Fn(&Stationary) -> f64| -> f64 {
        nodes.iter().zip(w).map(|(n, w)| w * f(n)).sum()
    };
    let (rate, slope) = if nodes.iter().all(|n| n.rate > 0.0) {
        let rate = mix(&w, &|n| n.rate.ln()).exp();
        (rate, rate * mix(&dw, &|n| n.rate.ln()) / c)
    } else {
        (mix(&w, &|n| n.rate).max(0.0), mix(&dw, &|n| n.rate) / c)
    };
    Ok((
        Stationary {
            rate,
            mean_v: mix(&w, &|n| n.mean_v),
            overshoot: mix(&w, &|n| n.overshoot),
        },
        slope,
    ))
}

/// Lagrange weights at `t` of the cubic through the nodes `0, 1, 2, 3`.
pub(crate) fn cubic_weights(t: f64) -> [f64; 4] {
    [
        -(t - 1.0) * (t - 2.0) * (t - 3.0) / 6.0,
        t * (t - 2.0) * (t - 3.0) / 2.0,
        -t * (t - 1.0) * (t - 3.0) / 2.0,
        t * (t - 1.0) * (t - 2.0) / 6.0,
    ]
}

/// The four lattice biases `theta + (j0 + k) c`, `k = 0..4`, around `bias` (mV) for
/// coarsest cell width `c` (mV), all on one side of `b = theta` (where the rate is not
/// smooth), and the position `t = (bias - theta)/c - j0` of `bias` among them.
pub(crate) fn lattice(lif: &LifParams, bias: f64, c: f64) -> (i64, f64) {
    let r = (bias - lif.theta) / c;
    let j = r.floor() as i64;
    let j0 = match j {
        0 => 0,
        -1 => -3,
        _ => j - 1,
    };
    (j0, r - j0 as f64)
}

/// The grid for biases from `b0` to `b_max` (mV): its lower edge `u_min` (mV, in
/// coordinates shifted by `b0`) and its number of coarsest cells below the threshold
/// `theta - b0`. The grid reaches `lower_sd` free-membrane standard deviations plus
/// `2 max|a| + 1` mV below the lower of reset and free mean (docs/theory.md 2.2). Errors
/// when the band matrix would exceed about 2e8 entries.
pub(crate) fn grid_domain(
    lif: &LifParams,
    input: &ShotInput,
    b0: f64,
    b_max: f64,
    res: &Resolution,
) -> Result<(f64, usize)> {
    let tau = lif.tau_m;
    let h = res.cell_width(lif);
    let c = res.coarsest();
    let coarse = c as f64 * h;
    let sd_free = input.sigma(tau) / 2f64.sqrt();
    let a_max = input.jumps_mv.iter().fold(0.0f64, |m, a| m.max(a.abs()));
    let u_low = (lif.v_reset - b_max).min(input.mean_drive(tau))
        - res.lower_sd * sd_free
        - 2.0 * a_max
        - 1.0;
    let u_top0 = lif.theta - b0;
    let n_coarse = ((u_top0 - u_low) / coarse).ceil() as usize;
    let u_min = u_top0 - n_coarse as f64 * coarse;
    // the fine band matrix holds about (a_E + |a_I|)/h + 3 entries per cell
    let per_cell = 3.0 + input.jumps_mv.iter().map(|a| a.abs()).sum::<f64>() / h;
    let cells = (n_coarse * c) as f64;
    if cells * per_cell > 2.0e8 {
        return Err(Error::Domain(format!(
            "shot-noise grid too large: {cells:.3e} cells of {h:.3e} mV over [{:.1}, {:.1}] mV relative to the bias              (bias range {b0} to {b_max} mV); narrow the bias / x range or coarsen the resolution",
            u_min, u_top0
        )));
    }
    Ok((u_min, n_coarse))
}

/// The never-firing state: no input can reach the threshold (no excitation, `b <= theta`).
fn silent(lif: &LifParams, input: &ShotInput, bias: f64) -> Stationary {
    Stationary {
        rate: 0.0,
        mean_v: bias + input.mean_drive(lif.tau_m),
        overshoot: 0.0,
    }
}

/// Solve for the biases `b0 + k * step * c h`, `k = 0..count` (`h` the fine cell width of
/// `res`, `c h` the coarsest) with one factorisation per grid. Returns the results.
fn ladder(
    lif: &LifParams,
    input: &ShotInput,
    b0: f64,
    step: usize,
    count: usize,
    res: &Resolution,
) -> Result<Vec<Stationary>> {
    let coarse = res.coarsest() as f64 * res.cell_width(lif);
    if !input.has_excitation() {
        // only the drift can fire the neuron: solve the firing biases one by one
        let mut out = Vec::with_capacity(count);
        for k in 0..count {
            let b = b0 + (k * step) as f64 * coarse;
            out.push(if b <= lif.theta {
                silent(lif, input, b)
            } else {
                ladder_factored(lif, input, b, 1, 1, res)?.remove(0)
            });
        }
        return Ok(out);
    }
    ladder_factored(lif, input, b0, step, count, res)
}

fn ladder_factored(
    lif: &LifParams,
    input: &ShotInput,
    b0: f64,
    step: usize,
    count: usize,
    res: &Resolution,
) -> Result<Vec<Stationary>> {
    let tau = lif.tau_m;
    let h = res.cell_width(lif);
    let c = res.coarsest();
    let coarse = c as f64 * h;
    let bias = |k: usize| b0 + (k * step) as f64 * coarse;
    let b_max = bias(count - 1);
    let (u_min, n_coarse) = grid_domain(lif, input, b0, b_max, res)?;
    let jumps = input.jumps();
    let levels = res.levels;
    let mut passages: Vec<Vec<Passage>> = Vec::with_capacity(levels);
    for level in 0..levels {
        let ratio = 1usize << level; // this grid's width in fine cells
        let per_coarse = c / ratio;
        let n = n_coarse * per_coarse;
        let lad = Ladder::new(h * ratio as f64, u_min, n, tau, &jumps, res.spread()).ok_or_else(|| {
            Error::Domain(format!(
                "shot-noise master equation is singular (bias {b0} mV, inputs {:?} mV at {:?} Hz)",
                input.jumps_mv, input.rates_hz
            ))
        })?;
        let mut work = Vec::new();
        passages.push(
            (0..count)
                .map(|k| {
                    lad.passage(
                        (n_coarse - k * step) * per_coarse,
                        lif.v_reset - bias(k),
                        &mut work,
                    )
                })
                .collect(),
        );
    }
    let weights = richardson_weights(levels);
    let out = (0..count)
        .map(|k| {
            let b = bias(k);
            let mut p = Passage::default();
            for (w, lev) in weights.iter().zip(&passages) {
                p.time += w * lev[k].time;
                p.u_time += w * lev[k].u_time;
                p.overshoot += w * lev[k].overshoot;
            }
            let rate = 1.0 / (p.time + lif.tau_ref);
            if !(rate > 0.0 && p.time.is_finite() && p.u_time.is_finite()) {
                // the passage time overflows (input far below threshold): the limit of
                // a neuron that never fires, whose time average is the free mean
                return silent(lif, input, b);
            }
            Stationary {
                rate,
                mean_v: rate * (p.u_time + b * p.time + lif.tau_ref * lif.v_reset),
                overshoot: p.overshoot,
            }
        })
        .collect();
    Ok(out)
}

/// Weights `w_k` of the grids of widths `2^k h`, `k = 0..levels`, that cancel the error
/// terms `h, h^2, ..., h^(levels-1)`: `sum_k w_k 2^(k p) = [p == 0]`.
pub(crate) fn richardson_weights(levels: usize) -> Vec<f64> {
    // Lagrange extrapolation to h = 0 through the points h_k = 2^k
    (0..levels)
        .map(|k| {
            let hk = (1u64 << k) as f64;
            (0..levels)
                .filter(|&j| j != k)
                .map(|j| {
                    let hj = (1u64 << j) as f64;
                    hj / (hj - hk)
                })
                .product()
        })
        .collect()
}

/// The shot-noise transfer function of one population at fixed input rates: mean input
/// `x` (mV) to rate (Hz), a [`Transfer`].
///
/// `rate(x)` is the stationary rate at bias `b = x - tau_m sum_X a_X R_X`. Inside the table
/// range it is a cubic spline in `log(rate)` (C2, made monotone by the Fritsch-Carlson
/// limiter where needed, which the smooth data never need) on nodes `dx` apart (0.16 mV
/// for the default model), `drate_dx` its derivative times the rate, and `mean_v` a cubic
/// spline too; outside the range all three are direct evaluations ([`stationary_with`],
/// a few ms each). The nodes lie on a lattice through `b = theta`, where drift
/// crossings start and the rate is not smooth; the spline breaks there. All nodes come
/// from one banded factorisation per grid, so a table costs about two direct evaluations
/// (4-6 ms of CPU for 12-24 mV of range; each node adds about 10 us), a lookup 20-50 ns.
///
/// Interpolation error against direct evaluations (default model inputs, table over
/// 0..24 mV, `tests/shot_noise.rs`): rate 7e-8 relative, `drate_dx` 1e-6 relative
/// (against fourth-order differences of direct evaluations), `mean_v` 3e-7 mV.
#[derive(Clone, Debug)]
pub struct ShotNoise {
    lif: LifParams,
    input: ShotInput,
    res: Resolution,
    mean_drive: f64,
    table: Option<Table>,
}

/// Nodes `x0 + k dx` and the interpolants, split into two pieces at the node `b = theta`
/// when the table spans it (drift crossings start there, and the rate is not smooth).
#[derive(Clone, Debug)]
struct Table {
    x0: f64,
    dx: f64,
    nodes: Vec<Stationary>,
    pieces: Vec<Piece>,
}

#[derive(Clone, Debug)]
struct Piece {
    log_rate: UniformSpline,
    mean_v: UniformSpline,
}

impl Table {
    fn x_min(&self) -> f64 {
        self.pieces[0].log_rate.x_min()
    }

    fn x_max(&self) -> f64 {
        self.pieces[self.pieces.len() - 1].log_rate.x_max()
    }

    fn piece(&self, x: f64) -> Option<&Piece> {
        if x >= self.x_min() && x <= self.x_max() {
            self.pieces.iter().find(|p| x <= p.log_rate.x_max())
        } else {
            None
        }
    }
}

/// Default node spacing of the table (mV); the spacing used is the largest multiple of
/// the coarsest cell width not above it.
pub const TABLE_SPACING: f64 = 0.2;

impl ShotNoise {
    /// The transfer function of a neuron `lif` with input `input`, tabulated over the mean
    /// input range `x_range = (x_min, x_max)` (mV) at [`Resolution::for_input`] and the
    /// default spacing [`TABLE_SPACING`].
    pub fn new(lif: LifParams, input: ShotInput, x_range: (f64, f64)) -> Result<Self> {
        let res = Resolution::for_input(&input);
        Self::with_resolution(lif, input, x_range, TABLE_SPACING, res)
    }

    /// Tabulated over `mean +- width * sd` (mV, at least +-1 mV): e.g. the Gaussian of `x`
    /// across a population (docs/theory.md 2.3), `width` the reach of the quadrature in standard
    /// deviations (the Gaussian averages of `gauss` start from [`crate::quad::Z_MAX`] = 10
    /// and widen their range by themselves where needed).
    pub fn around(
        lif: LifParams,
        input: ShotInput,
        mean: f64,
        sd: f64,
        width: f64,
    ) -> Result<Self> {
        let half = (width * sd).max(1.0);
        Self::new(lif, input, (mean - half, mean + half))
    }

    /// [`ShotNoise::new`] with a given node spacing (mV) and [`Resolution`].
    pub fn with_resolution(
        lif: LifParams,
        input: ShotInput,
        x_range: (f64, f64),
        spacing: f64,
        res: Resolution,
    ) -> Result<Self> {
        validate_lif(&lif)?;
        input.validate()?;
        res.validate()?;
        let (x_min, x_max) = x_range;
        if !x_min.is_finite() || !x_max.is_finite() || x_max < x_min {
            return Err(Error::invalid(
                "x_range",
                format!("({x_min}, {x_max})"),
                "must be finite with x_min <= x_max",
            ));
        }
        if !spacing.is_finite() || spacing <= 0.0 {
            return Err(Error::invalid("spacing", spacing, "must be finite and > 0"));
        }
        let mean_drive = input.mean_drive(lif.tau_m);
        let mut me = ShotNoise {
            lif,
            input,
            res,
            mean_drive,
            table: None,
        };
        if me.input.has_excitation() {
            me.table = me.build_table(x_min, x_max, spacing)?;
        }
        Ok(me)
    }

    /// The transfer function of population `a` of `model` at presynaptic population rates
    /// `rates_hz` (Hz, one per population): sources `B` with jump `J_AB / sqrt K` and rate
    /// `K_B nu_B`, and the external drive with jump `J_A0 / sqrt K` and rate `K_0 nu_0`
    /// (docs/theory.md section 1), tabulated over `x_range` (mV).
    pub fn for_population(
        model: &Model,
        a: usize,
        rates_hz: &[f64],
        x_range: (f64, f64),
    ) -> Result<Self> {
        let input = population_input(model, a, rates_hz)?;
        Self::new(LifParams::of(model, a), input, x_range)
    }

    fn build_table(&self, x_min: f64, x_max: f64, spacing: f64) -> Result<Option<Table>> {
        let coarse = self.res.coarsest() as f64 * self.res.cell_width(&self.lif);
        let step = ((spacing / coarse).floor() as usize).max(1);
        let dx = step as f64 * coarse;
        // Nodes on a lattice through x = theta + drive (b = theta): then V = b is a cell edge
        // on every grid at every node (no error from the upwind switch inside a cell), and
        // the spline can break at b = theta, where the rate is not smooth.
        let kink = self.lif.theta + self.mean_drive;
        let mut k_kink = ((kink - x_min) / dx).ceil() as i64;
        let mut count = ((((x_max - kink) / dx).ceil() as i64 + k_kink).max(0) as usize + 1).max(4);
        if k_kink > 0 && (k_kink as usize) < count - 1 {
            // at least four nodes on each side of the break
            k_kink = k_kink.max(3);
            count = count.max(k_kink as usize + 4);
        }
        let x0 = kink - k_kink as f64 * dx;
        let nodes = ladder(
            &self.lif,
            &self.input,
            x0 - self.mean_drive,
            step,
            count,
            &self.res,
        )?;
        // drop the low end where the rate underflows (direct evaluation serves it)
        let first = nodes
            .iter()
            .position(|s| s.rate > 1e-300 && s.rate.is_finite())
            .unwrap_or(count);
        if count - first < 4
            || nodes[first..]
                .iter()
                .any(|s| !s.rate.is_finite() || !s.mean_v.is_finite())
        {
            return Ok(None);
        }
        let x_first = x0 + first as f64 * dx;
        let nodes = nodes[first..].to_vec();
        let k_kink = k_kink - first as i64;
        let piece = |from: usize, to: usize| Piece {
            log_rate: UniformSpline::new(
                x_first + from as f64 * dx,
                dx,
                nodes[from..=to].iter().map(|s| s.rate.ln()).collect(),
                true,
            ),
            mean_v: UniformSpline::new(
                x_first + from as f64 * dx,
                dx,
                nodes[from..=to].iter().map(|s| s.mean_v).collect(),
                false,
            ),
        };
        let last = nodes.len() - 1;
        let pieces = if k_kink >= 3 && (k_kink as usize) + 3 <= last {
            vec![piece(0, k_kink as usize), piece(k_kink as usize, last)]
        } else {
            vec![piece(0, last)]
        };
        Ok(Some(Table {
            x0: x_first,
            dx,
            nodes,
            pieces,
        }))
    }

    /// The LIF parameters.
    pub fn lif(&self) -> &LifParams {
        &self.lif
    }

    /// The resolution of the master equation.
    pub fn resolution(&self) -> &Resolution {
        &self.res
    }

    /// The shot-noise input.
    pub fn input(&self) -> &ShotInput {
        &self.input
    }

    /// Bias `b = x - tau_m sum_X a_X R_X` (mV) for mean input `x` (mV).
    pub fn bias(&self, x: f64) -> f64 {
        x - self.mean_drive
    }

    /// The `(x_min, x_max)` (mV) covered by the table, if there is one.
    pub fn table_range(&self) -> Option<(f64, f64)> {
        self.table.as_ref().map(|t| (t.x_min(), t.x_max()))
    }

    /// Number of table intervals where the monotone limiter changed the spline of
    /// `log(rate)` (0 for smooth data: the spline is then the plain C2 spline).
    pub fn limited_intervals(&self) -> usize {
        self.table
            .as_ref()
            .map_or(0, |t| t.pieces.iter().map(|p| p.log_rate.limited).sum())
    }

    /// The table's nodes `(x, rate, mean_v)` (mV, Hz, mV).
    pub fn table_nodes(&self) -> Vec<(f64, f64, f64)> {
        match &self.table {
            None => Vec::new(),
            Some(t) => t
                .nodes
                .iter()
                .enumerate()
                .map(|(k, s)| (t.x0 + k as f64 * t.dx, s.rate, s.mean_v))
                .collect(),
        }
    }

    /// Direct (untabulated) evaluation at mean input `x` (mV).
    pub fn direct(&self, x: f64) -> Result<Stationary> {
        stationary_with(&self.lif, &self.input, self.bias(x), &self.res)
    }

    /// The Siegert noise `sigma` (mV) of the same input in the diffusion approximation.
    pub fn siegert_sigma(&self) -> f64 {
        self.input.sigma(self.lif.tau_m)
    }

    fn in_table(&self, x: f64) -> Option<&Piece> {
        self.table.as_ref().and_then(|t| t.piece(x))
    }

    /// Direct evaluation for the trait methods, which cannot return errors: the inputs
    /// were validated at construction, so only a non-finite `x` can fail here.
    fn direct_or_nan(&self, x: f64) -> Stationary {
        self.direct(x).unwrap_or(Stationary {
            rate: f64::NAN,
            mean_v: f64::NAN,
            overshoot: f64::NAN,
        })
    }
}

/// The [`ShotInput`] of population `a` of `model` at population rates `rates_hz` (Hz).
pub fn population_input(model: &Model, a: usize, rates_hz: &[f64]) -> Result<ShotInput> {
    if a >= model.p() {
        return Err(Error::invalid(
            "a",
            a,
            format!("no such population (have {})", model.p()),
        ));
    }
    if rates_hz.len() != model.p() {
        return Err(Error::invalid(
            "rates_hz",
            format!("{rates_hz:?}"),
            format!("needs one rate per population ({})", model.p()),
        ));
    }
    let mut jumps = Vec::with_capacity(model.p() + 1);
    let mut rates = Vec::with_capacity(model.p() + 1);
    for (b, &nu) in rates_hz.iter().enumerate() {
        if !nu.is_finite() || nu < 0.0 {
            return Err(Error::invalid(
                format!("rates_hz[{b}]"),
                nu,
                "must be finite and >= 0",
            ));
        }
        jumps.push(model.jump(a, b));
        rates.push(model.k_in(b) * nu);
    }
    jumps.push(model.jump_ext(a));
    rates.push(model.k_ext() * model.external.nu0);
    ShotInput::new(jumps, rates)
}

impl Transfer for ShotNoise {
    fn rate(&self, x: f64) -> f64 {
        match self.in_table(x) {
            Some(t) => t.log_rate.eval(x).0.exp(),
            None => self.direct_or_nan(x).rate,
        }
    }

    fn drate_dx(&self, x: f64) -> f64 {
        if let Some(t) = self.in_table(x) {
            let (lr, d) = t.log_rate.eval(x);
            return lr.exp() * d;
        }
        // outside the table: the slope of the direct evaluation's interpolant
        stationary_and_slope(&self.lif, &self.input, self.bias(x), &self.res)
            .map_or(f64::NAN, |(_, d)| d)
    }

    fn mean_v(&self, x: f64) -> f64 {
        match self.in_table(x) {
            Some(t) => t.mean_v.eval(x).0,
            None => self.direct_or_nan(x).mean_v,
        }
    }

    /// `x = theta + drive`, i.e. `b = theta`, where drift crossings start and the rate is
    /// not smooth (without excitation it is zero below); with excitation also `x = theta`,
    /// where the free mean crosses threshold and, as for Siegert, the rate turns from
    /// exponentially small to order one.
    fn breakpoints(&self) -> Vec<f64> {
        let kink = self.lif.theta + self.mean_drive;
        if self.input.has_excitation() {
            let mut v = vec![self.lif.theta, kink];
            v.sort_by(f64::total_cmp);
            v.dedup();
            v
        } else {
            vec![kink]
        }
    }

    fn input_range(&self) -> Option<(f64, f64)> {
        self.table.as_ref().map(|t| (t.x_min(), t.x_max()))
    }

    fn inverse(&self, nu: f64) -> Option<f64> {
        if let Some(t) = &self.table {
            let (lo, hi) = (t.x_min(), t.x_max());
            if nu > 0.0 && nu >= self.rate(lo) && nu <= self.rate(hi) {
                // bisection on the monotone interpolant, to round-off
                let (mut a, mut b) = (lo, hi);
                while b - a > 1e-13 * (1.0 + a.abs().max(b.abs())) {
                    let m = 0.5 * (a + b);
                    if self.rate(m) < nu {
                        a = m;
                    } else {
                        b = m;
                    }
                }
                return Some(0.5 * (a + b));
            }
        }
        super::invert_monotone(|x| self.rate(x), nu)
    }
}
