//! Single-neuron transfer functions `Phi` (docs/theory.md 2.2).
//!
//! Two layers, as in NNMT: parameter-level functions with explicit arguments
//! (e.g. [`siegert::rate`]) and objects implementing [`Transfer`], which fix the
//! temporal input statistics of one population (noise `sigma`, or the jump sizes and
//! input rates for shot noise) and map the neuron's mean input `x` (mV) to its rate (Hz).

pub mod closed;
pub mod renewal;
pub mod response;
pub mod shot_noise;
pub mod siegert;

use serde::{Deserialize, Serialize};

/// LIF neuron parameters of one population (docs/theory.md section 1). Units: s, mV.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct LifParams {
    /// Membrane time constant (s).
    pub tau_m: f64,
    /// Threshold (mV).
    pub theta: f64,
    /// Reset (mV).
    pub v_reset: f64,
    /// Refractory period (s).
    pub tau_ref: f64,
}

impl LifParams {
    /// The parameters of population `a` of a Model.
    ///
    /// # Panics
    ///
    /// If `a >= model.p()`, like slice indexing; [`LifParams::try_of`] returns an error instead.
    pub fn of(model: &crate::Model, a: usize) -> Self {
        let p = &model.populations[a];
        LifParams {
            tau_m: p.tau_m,
            theta: p.theta,
            v_reset: p.v_reset,
            tau_ref: p.tau_ref,
        }
    }

    /// The parameters of population `a` of a Model, checked.
    ///
    /// # Errors
    ///
    /// [`crate::Error::Invalid`] naming `a` if the Model has no population `a`.
    pub fn try_of(model: &crate::Model, a: usize) -> crate::Result<Self> {
        if a >= model.p() {
            return Err(crate::Error::invalid(
                "a",
                a,
                format!("no such population index (the Model has {})", model.p()),
            ));
        }
        Ok(Self::of(model, a))
    }
}

/// Population averages of a transfer function over a Gaussian input (docs/theory.md 2.3).
#[derive(Clone, Copy, Debug, PartialEq, Default, Serialize, Deserialize)]
pub struct Moments {
    /// `E_z[Phi]` (Hz).
    pub nu: f64,
    /// `E_z[Phi^2]` (Hz^2).
    pub q: f64,
    /// `E_z[dPhi/dx]` (Hz/mV).
    pub gain: f64,
    /// `E_z[<V>(x)]`: population mean of the per-neuron time-averaged potential (mV), docs/theory.md 2.6.1.
    pub mean_v: f64,
}

/// A transfer function at fixed temporal input statistics: mean input `x` (mV) to rate (Hz).
///
/// Implementations must be finite, non-negative and non-decreasing in `x`.
pub trait Transfer: Send + Sync {
    /// Rate `Phi(x)` (Hz) for mean input `x` (mV).
    fn rate(&self, x: f64) -> f64;

    /// `dPhi/dx` (Hz/mV).
    fn drate_dx(&self, x: f64) -> f64;

    /// `ln Phi(x)`, finite where `Phi` underflows (strongly subthreshold input) if the
    /// implementation knows it; the default is `ln(rate(x))`.
    fn ln_rate(&self, x: f64) -> f64 {
        self.rate(x).ln()
    }

    /// Time-averaged membrane potential of a neuron with mean input `x` (mV), docs/theory.md 2.6.1.
    /// The default is the LIF formula with refractoriness; non-LIF transfer functions return `x`.
    fn mean_v(&self, x: f64) -> f64 {
        x
    }

    /// Closed-form Gaussian averages over `x ~ N(mean, var)` when available (docs/theory.md 2.3).
    fn gaussian_moments(&self, _mean: f64, _var: f64) -> Option<Moments> {
        None
    }

    /// Input positions (mV) where `Phi` is not smooth (kinks), or where it changes
    /// from exponentially small to order one on a scale much shorter than elsewhere;
    /// Gaussian averages split their quadrature there.
    fn breakpoints(&self) -> Vec<f64> {
        Vec::new()
    }

    /// The range of mean inputs (mV) served from a precomputed table, if the function is
    /// tabulated (beyond it each evaluation is computed directly, at a higher cost).
    fn input_range(&self) -> Option<(f64, f64)> {
        None
    }

    /// The inverse `x = Phi^{-1}(nu)` (mV), or `None` if `nu` is outside the range of `Phi`.
    /// Default: bracketing and bisection-safeguarded secant on the monotone `Phi`.
    fn inverse(&self, nu: f64) -> Option<f64> {
        invert_monotone(|x| self.rate(x), nu)
    }
}

/// Invert a non-decreasing function `f` at level `y` by bracketing and the Brent/Illinois
/// method (written here: a scalar root with a guaranteed bracket is all that is needed,
/// and calling argmin for it per grid point would cost more than the function).
///
/// Returns `None` if `y` is not finite, if no bracket is found within 60 (lower) and
/// 120 (upper) doublings of the search step, or if 200 rounds leave the bracket wider
/// than `1e-8` relative (no silent midpoint).
pub fn invert_monotone(f: impl Fn(f64) -> f64, y: f64) -> Option<f64> {
    if !y.is_finite() {
        return None;
    }
    let (mut lo, mut hi) = (-10.0, 30.0);
    let mut step = 20.0;
    let mut iters = 0;
    while f(lo) > y {
        lo -= step;
        step *= 2.0;
        iters += 1;
        if iters > 60 {
            return None;
        }
    }
    step = 20.0;
    while f(hi) < y {
        hi += step;
        step *= 2.0;
        iters += 1;
        if iters > 120 {
            return None;
        }
    }
    let (flo, fhi) = (f(lo) - y, f(hi) - y);
    if flo == 0.0 {
        return Some(lo);
    }
    if fhi == 0.0 {
        return Some(hi);
    }
    match illinois(
        |x| Ok::<f64, std::convert::Infallible>(f(x) - y),
        (lo, flo),
        (hi, fhi),
        200,
        |x, fx, lo, hi| fx == 0.0 || (hi - lo) <= 1e-13 * (1.0 + x.abs()),
    ) {
        Ok(Ok(x)) => Some(x),
        Ok(Err((lo, hi, _))) => {
            // 200 rounds without meeting the tolerance (a function that is not monotone,
            // or noisy at the level of the bracket): accept the bracket's midpoint only
            // if the bracket is still narrow, and report failure otherwise.
            ((hi - lo) <= 1e-8 * (1.0 + lo.abs().max(hi.abs()))).then_some(0.5 * (lo + hi))
        }
        Err(never) => match never {},
    }
}

/// The Illinois regula falsi (bisection when a step leaves the bracket) for a
/// non-decreasing `f` on a bracket `(lo, f(lo))`, `(hi, f(hi))` with `f(lo) <= 0 <=
/// f(hi)`: at most `rounds` evaluations, stopping at the first `x` with
/// `done(x, f(x), lo, hi)` (the bracket before that evaluation narrows it). Returns that
/// `x`, or `Err((lo, hi, last x))` when the rounds run out; an error of `f` is passed on.
/// Shared by [`invert_monotone`] and the root of rule `H`'s shape term
/// (`theory::correlated::shape_term`).
pub(crate) fn illinois<E>(
    mut f: impl FnMut(f64) -> std::result::Result<f64, E>,
    (mut lo, mut flo): (f64, f64),
    (mut hi, mut fhi): (f64, f64),
    rounds: usize,
    done: impl Fn(f64, f64, f64, f64) -> bool,
) -> std::result::Result<std::result::Result<f64, (f64, f64, f64)>, E> {
    let mut side = 0i32;
    let mut x = 0.5 * (lo + hi);
    for _ in 0..rounds {
        x = (lo * fhi - hi * flo) / (fhi - flo);
        if !x.is_finite() || x <= lo || x >= hi {
            x = 0.5 * (lo + hi);
        }
        let fx = f(x)?;
        if done(x, fx, lo, hi) {
            return Ok(Ok(x));
        }
        if fx < 0.0 {
            lo = x;
            flo = fx;
            if side == -1 {
                fhi *= 0.5;
            }
            side = -1;
        } else {
            hi = x;
            fhi = fx;
            if side == 1 {
                flo *= 0.5;
            }
            side = 1;
        }
    }
    Ok(Err((lo, hi, x)))
}
