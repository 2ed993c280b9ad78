//! The distribution of single-neuron rates (docs/theory.md 2.6.2), the silent fraction, and the
//! distribution of rates *measured* as spike counts over a finite window (docs/theory.md
//! section 3), which is what a simulated rate distribution is compared with.

use serde::{Deserialize, Serialize};

use super::ks::Cdf;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::theory::stationary::{Limit, State};
use crate::transfer::Transfer;

/// Default rate below which a neuron counts as silent (Hz). The Siegert rate is positive
/// for every input, so "silent" needs a threshold: 1e-3 Hz is one spike in 1000 s, far
/// below what any simulation window resolves.
pub const DEFAULT_SILENT_THRESHOLD_HZ: f64 = 1e-3;

/// Half-width of the automatic grid in standard deviations of the input (mass outside:
/// `2 Phi_N(-8) = 1.2e-15`).
const GRID_HALF_WIDTH_SD: f64 = 8.0;

pub use super::counting::{POISSON_BELOW_COUNTS, count_cdf};

/// Where the rate distribution is evaluated.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RateGrid {
    /// `points` rates `nu = Phi(x)` with `x` uniform over `M_A +- 8 sqrt(Delta_A)`: the grid
    /// follows the probability mass and becomes exponentially fine near `nu = 0`, where the
    /// density of a fluctuation-driven population is largest (it may diverge there as a
    /// power of `nu`). No inversion of `Phi` is needed.
    Auto {
        /// Number of grid points (at least 3).
        points: usize,
    },
    /// Given rates (Hz), non-negative and strictly increasing; each needs `Phi^{-1}`.
    Rates {
        /// The rates (Hz).
        nu_hz: Vec<f64>,
    },
}

/// The rate distribution `P_A(nu)` of one population (docs/theory.md 2.6.2). Units in the names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateDistribution {
    /// Population name.
    pub name: String,
    /// Mode of the state it was computed from.
    pub limit: Limit,
    /// Mean `M_A` of the input across neurons (mV).
    pub mean_input_mv: f64,
    /// Variance `Delta_A` of the input across neurons (mV^2).
    pub delta_mv2: f64,
    /// Temporal noise `sigma_A` of the transfer function (mV).
    pub sigma_mv: f64,
    /// Grid of rates (Hz).
    pub nu_hz: Vec<f64>,
    /// `P_A(nu) = N(x*; M_A, Delta_A) / Phi'_A(x*)`, `x* = Phi_A^{-1}(nu)` (1/Hz). Reported
    /// as 0 where `Phi'` is not representable (the deep subthreshold tail) or `nu` is outside
    /// the range of `Phi`.
    pub density_per_hz: Vec<f64>,
    /// `P(rate <= nu) = Phi_N((x*(nu) - M_A)/sqrt(Delta_A))`, exact at every grid point.
    pub cdf: Vec<f64>,
    /// Rate below which a neuron counts as silent (Hz).
    pub silent_threshold_hz: f64,
    /// The silent fraction `P(rate < silent_threshold_hz)`.
    pub mass_at_zero: f64,
    /// Probability below the first grid point.
    pub mass_below_grid: f64,
    /// Probability above the last grid point.
    pub mass_above_grid: f64,
    /// When `Delta_A = 0` every neuron has the same rate: the distribution is this atom (Hz)
    /// and the density is zero.
    pub atom_hz: Option<f64>,
    /// `int P(nu) dnu` over the grid plus the mass outside it: 1 up to quadrature error.
    pub normalization: f64,
    /// `int nu P(nu) dnu` (Hz) by Simpson's rule for uneven spacing over the grid, with the
    /// mass below the grid placed at half the first grid rate and the mass above it at the
    /// last: compare with `nu_A`.
    pub mean_hz: f64,
    /// `int nu^2 P(nu) dnu` (Hz^2), computed as `mean_hz`: compare with `q_A`.
    pub second_moment_hz2: f64,
}

use crate::gauss::{normal_cdf, normal_pdf};

fn check_pop(model: &Model, state: &State, pop: usize) -> Result<()> {
    if state.populations.len() != model.p() {
        return Err(Error::invalid(
            "state",
            state.populations.len(),
            format!("a state of this Model has {} populations", model.p()),
        ));
    }
    if pop >= model.p() {
        return Err(Error::invalid(
            "pop",
            pop,
            format!("must be < P = {}", model.p()),
        ));
    }
    Ok(())
}

fn check_threshold(threshold_hz: f64) -> Result<()> {
    if !(threshold_hz.is_finite() && threshold_hz > 0.0) {
        return Err(Error::invalid(
            "silent_threshold_hz",
            threshold_hz,
            "must be finite and > 0",
        ));
    }
    Ok(())
}

/// A population's input distribution and transfer function: enough for `P(nu)` and its CDF.
struct PushForward {
    mean: f64,
    sd: f64,
    t: Box<dyn Transfer>,
}

impl PushForward {
    fn new(model: &Model, state: &State, pop: usize) -> Result<Self> {
        let p = &state.populations[pop];
        let sd = p.delta_mv2.max(0.0).sqrt();
        Ok(PushForward {
            mean: p.mean_input_mv,
            sd,
            t: Box::new(crate::theory::closure::state_transfer(model, state, pop)?),
        })
    }

    fn is_atom(&self) -> bool {
        self.sd <= 1e-12 * (1.0 + self.mean.abs())
    }

    /// `P(rate <= nu)`.
    fn cdf(&self, nu: f64) -> f64 {
        if self.is_atom() {
            return if self.t.rate(self.mean) <= nu {
                1.0
            } else {
                0.0
            };
        }
        if nu <= 0.0 {
            return 0.0;
        }
        match self.t.inverse(nu) {
            Some(x) => normal_cdf((x - self.mean) / self.sd),
            None => 1.0, // above the largest rate (1/tau_ref)
        }
    }

    /// `P(rate < threshold)`: the silent fraction.
    fn silent(&self, threshold: f64) -> f64 {
        if self.is_atom() {
            return if self.t.rate(self.mean) < threshold {
                1.0
            } else {
                0.0
            };
        }
        self.cdf(threshold)
    }

    /// `(density, cdf)` at input `x`.
    fn at_input(&self, x: f64) -> (f64, f64) {
        let z = (x - self.mean) / self.sd;
        let d = self.t.drate_dx(x);
        let dens = if d.is_finite() && d > 0.0 {
            normal_pdf(z) / (self.sd * d)
        } else {
            0.0
        };
        (if dens.is_finite() { dens } else { 0.0 }, normal_cdf(z))
    }
}

/// The rate distribution of population `pop` in `state` (docs/theory.md 2.6.2): the push-forward
/// of `N(M_A, Delta_A)` through `Phi_A(., sigma_A)`,
/// `P_A(nu) = N(x*; M_A, Delta_A) / Phi'_A(x*)`, `x* = Phi_A^{-1}(nu)`, with its exact CDF
/// and the silent fraction `P(nu < silent_threshold_hz)` (see
/// [`DEFAULT_SILENT_THRESHOLD_HZ`]).
pub fn rate_distribution(
    model: &Model,
    state: &State,
    pop: usize,
    grid: &RateGrid,
    silent_threshold_hz: f64,
) -> Result<RateDistribution> {
    check_pop(model, state, pop)?;
    check_threshold(silent_threshold_hz)?;
    let pf = PushForward::new(model, state, pop)?;
    let p = &state.populations[pop];
    let (nu, density, cdf, atom) = match grid {
        RateGrid::Auto { points } => {
            if *points < 3 {
                return Err(Error::invalid(
                    "grid.points",
                    points,
                    "needs at least 3 points",
                ));
            }
            if pf.is_atom() {
                let r = pf.t.rate(pf.mean);
                let nu: Vec<f64> = (0..*points)
                    .map(|i| 2.0 * r * i as f64 / (*points - 1) as f64)
                    .collect();
                let cdf = nu.iter().map(|&v| if v >= r { 1.0 } else { 0.0 }).collect();
                (nu.clone(), vec![0.0; nu.len()], cdf, Some(r))
            } else {
                let (lo, hi) = (
                    pf.mean - GRID_HALF_WIDTH_SD * pf.sd,
                    pf.mean + GRID_HALF_WIDTH_SD * pf.sd,
                );
                let mut nu = Vec::with_capacity(*points);
                let mut dens = Vec::with_capacity(*points);
                let mut cdf = Vec::with_capacity(*points);
                for i in 0..*points {
                    let x = lo + (hi - lo) * i as f64 / (*points - 1) as f64;
                    let (d, c) = pf.at_input(x);
                    nu.push(pf.t.rate(x));
                    dens.push(d);
                    cdf.push(c);
                }
                (nu, dens, cdf, None)
            }
        }
        RateGrid::Rates { nu_hz } => {
            if nu_hz.len() < 2 {
                return Err(Error::invalid(
                    "grid.nu_hz",
                    format!("{nu_hz:?}"),
                    "needs at least 2 rates",
                ));
            }
            if let Some(v) = nu_hz.iter().find(|v| !v.is_finite() || **v < 0.0) {
                return Err(Error::invalid(
                    "grid.nu_hz",
                    v,
                    "rates must be finite and >= 0",
                ));
            }
            if nu_hz.windows(2).any(|w| w[1] <= w[0]) {
                return Err(Error::invalid(
                    "grid.nu_hz",
                    format!("{nu_hz:?}"),
                    "must be strictly increasing",
                ));
            }
            if pf.is_atom() {
                let r = pf.t.rate(pf.mean);
                let cdf = nu_hz
                    .iter()
                    .map(|&v| if v >= r { 1.0 } else { 0.0 })
                    .collect();
                (nu_hz.clone(), vec![0.0; nu_hz.len()], cdf, Some(r))
            } else {
                let mut dens = Vec::with_capacity(nu_hz.len());
                let mut cdf = Vec::with_capacity(nu_hz.len());
                for &v in nu_hz {
                    match (v > 0.0).then(|| pf.t.inverse(v)).flatten() {
                        Some(x) => {
                            let (d, c) = pf.at_input(x);
                            dens.push(d);
                            cdf.push(c);
                        }
                        None => {
                            dens.push(0.0);
                            cdf.push(if v > 0.0 { 1.0 } else { 0.0 });
                        }
                    }
                }
                (nu_hz.clone(), dens, cdf, None)
            }
        }
    };
    let n = nu.len();
    let mass_below = cdf[0];
    let mass_above = 1.0 - cdf[n - 1];
    let (normalization, mean, second) = match atom {
        Some(r) => (1.0, r, r * r),
        None => {
            let low = 0.5 * nu[0];
            let high = nu[n - 1];
            let m0 = integrate(&nu, &density) + mass_below + mass_above;
            let f1: Vec<f64> = nu.iter().zip(&density).map(|(v, d)| v * d).collect();
            let f2: Vec<f64> = nu.iter().zip(&density).map(|(v, d)| v * v * d).collect();
            let m1 = integrate(&nu, &f1) + mass_below * low + mass_above * high;
            let m2 = integrate(&nu, &f2) + mass_below * low * low + mass_above * high * high;
            (m0, m1, m2)
        }
    };
    Ok(RateDistribution {
        name: p.name.clone(),
        limit: state.limit,
        mean_input_mv: p.mean_input_mv,
        delta_mv2: p.delta_mv2,
        sigma_mv: p.sigma_mv,
        nu_hz: nu,
        density_per_hz: density,
        cdf,
        silent_threshold_hz,
        mass_at_zero: pf.silent(silent_threshold_hz),
        mass_below_grid: mass_below,
        mass_above_grid: mass_above,
        atom_hz: atom,
        normalization,
        mean_hz: mean,
        second_moment_hz2: second,
    })
}

/// `int f dnu` over the grid `x` by Simpson's rule for uneven spacing on pairs of
/// intervals (a trapezoid for a last odd interval).
fn integrate(x: &[f64], f: &[f64]) -> f64 {
    let n = x.len();
    let mut s = 0.0;
    let mut i = 0;
    while i + 2 < n {
        let (h0, h1) = (x[i + 1] - x[i], x[i + 2] - x[i + 1]);
        if h0 > 0.0 && h1 > 0.0 {
            s += (h0 + h1) / 6.0
                * ((2.0 - h1 / h0) * f[i]
                    + (h0 + h1).powi(2) / (h0 * h1) * f[i + 1]
                    + (2.0 - h0 / h1) * f[i + 2]);
        } else {
            s += 0.5 * h0 * (f[i] + f[i + 1]) + 0.5 * h1 * (f[i + 1] + f[i + 2]);
        }
        i += 2;
    }
    if i + 1 < n {
        s += 0.5 * (x[i + 1] - x[i]) * (f[i] + f[i + 1]);
    }
    s
}

/// The fraction of silent neurons `P(nu_i < threshold_hz)` of population `pop` in `state`
/// (docs/theory.md 2.6.2): `Phi_N((Phi^{-1}(threshold) - M_A)/sqrt(Delta_A))`.
pub fn silent_fraction(model: &Model, state: &State, pop: usize, threshold_hz: f64) -> Result<f64> {
    check_pop(model, state, pop)?;
    check_threshold(threshold_hz)?;
    Ok(PushForward::new(model, state, pop)?.silent(threshold_hz))
}

/// The exact CDF `P(nu_i <= nu_hz)` of the rates of population `pop` in `state`
/// (docs/theory.md 2.6.2), for Kolmogorov-Smirnov distances against the bare distribution.
pub fn rate_cdf(model: &Model, state: &State, pop: usize, nu_hz: f64) -> Result<f64> {
    check_pop(model, state, pop)?;
    if nu_hz.is_nan() {
        return Err(Error::invalid("nu_hz", nu_hz, "must not be NaN"));
    }
    Ok(PushForward::new(model, state, pop)?.cdf(nu_hz))
}

/// Distribution of rates measured as `count / T` (docs/theory.md section 3), see
/// [`counting_noise_cdf`]. Implements [`Cdf`] with the atoms at `k / T`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CountingNoiseCdf {
    /// Counting window `T` (s).
    pub window_s: f64,
    /// Coefficient of variation of the inter-spike intervals used for large counts.
    pub cv: f64,
    /// Expected count below which the count is Poisson.
    pub poisson_below_counts: f64,
    /// `P(count <= k)`, `k = 0, 1, ...`; 1 beyond the end.
    pub cdf_by_count: Vec<f64>,
}

impl CountingNoiseCdf {
    /// `P(count <= k)`.
    pub fn count_cdf(&self, k: i64) -> f64 {
        if k < 0 {
            0.0
        } else {
            self.cdf_by_count.get(k as usize).copied().unwrap_or(1.0)
        }
    }

    /// The measured rates `k / T` (Hz) with their probabilities.
    pub fn pmf(&self) -> Vec<(f64, f64)> {
        (0..self.cdf_by_count.len() as i64)
            .map(|k| {
                (
                    k as f64 / self.window_s,
                    self.count_cdf(k) - self.count_cdf(k - 1),
                )
            })
            .collect()
    }

    /// `count = rate * T`, tolerant of the rounding in `count / T * T`.
    fn counts(&self, rate_hz: f64) -> f64 {
        let c = rate_hz * self.window_s;
        c + 1e-9 * c.abs().max(1.0)
    }
}

impl Cdf for CountingNoiseCdf {
    /// `P(measured rate <= rate_hz)`.
    fn cdf(&self, rate_hz: f64) -> f64 {
        self.count_cdf(self.counts(rate_hz).floor() as i64)
    }
    /// `P(measured rate < rate_hz)`.
    fn cdf_left(&self, rate_hz: f64) -> f64 {
        let c = rate_hz * self.window_s;
        let k = (c - 1e-9 * c.abs().max(1.0)).ceil() as i64 - 1;
        self.count_cdf(k)
    }
}

/// `P(count <= k | rate nu)` for `k = 0..=kmax` ([`count_cdf`]), added with weight `w` into `acc`.
fn add_count_cdf(acc: &mut [f64], nu: f64, window: f64, cv: f64, w: f64) {
    if w == 0.0 {
        return;
    }
    for (k, a) in acc.iter_mut().enumerate() {
        *a += w * count_cdf(nu, window, cv, k as i64);
    }
}

/// The distribution of rates measured over a window `T = window_s` (docs/theory.md section 3):
/// the count of a neuron with rate `nu` is Poisson with mean `nu T` when `nu T <`
/// [`POISSON_BELOW_COUNTS`], and otherwise Gaussian with mean `nu T` and the renewal-process
/// variance `nu T CV^2` (with a continuity correction, mass below zero counted at zero),
/// mixed over `P_A(nu)` of `dist`. The mixture uses the exact CDF increments of `dist`
/// between grid points (trapezoidal in the count probabilities), with the mass below and
/// above the grid placed at its ends, so it needs no density near `nu = 0`.
pub fn counting_noise_cdf(
    dist: &RateDistribution,
    window_s: f64,
    cv: f64,
) -> Result<CountingNoiseCdf> {
    if !(window_s.is_finite() && window_s > 0.0) {
        return Err(Error::invalid(
            "window_s",
            window_s,
            "must be finite and > 0",
        ));
    }
    if !(cv.is_finite() && cv >= 0.0) {
        return Err(Error::invalid("cv", cv, "must be finite and >= 0"));
    }
    let top = dist
        .atom_hz
        .unwrap_or(0.0)
        .max(dist.nu_hz.last().copied().unwrap_or(0.0));
    let lmax = top * window_s;
    let kmax = (lmax + 12.0 * (lmax * cv.max(1.0).powi(2)).sqrt() + 12.0).ceil() as usize;
    let mut acc = vec![0.0; kmax + 1];
    if let Some(r) = dist.atom_hz {
        add_count_cdf(&mut acc, r, window_s, cv, 1.0);
    } else {
        let (nu, cdf) = (&dist.nu_hz, &dist.cdf);
        let n = nu.len();
        add_count_cdf(&mut acc, nu[0], window_s, cv, cdf[0]);
        for i in 0..n - 1 {
            let w = 0.5 * (cdf[i + 1] - cdf[i]).max(0.0);
            add_count_cdf(&mut acc, nu[i], window_s, cv, w);
            add_count_cdf(&mut acc, nu[i + 1], window_s, cv, w);
        }
        add_count_cdf(
            &mut acc,
            nu[n - 1],
            window_s,
            cv,
            (1.0 - cdf[n - 1]).max(0.0),
        );
    }
    // normalise the rounding of the mixture weights and enforce monotonicity
    let total = acc[kmax].max(f64::MIN_POSITIVE);
    let mut prev = 0.0f64;
    for a in acc.iter_mut() {
        *a = (*a / total).clamp(prev, 1.0);
        prev = *a;
    }
    Ok(CountingNoiseCdf {
        window_s,
        cv,
        poisson_below_counts: POISSON_BELOW_COUNTS,
        cdf_by_count: acc,
    })
}
