//! Correlated noise closure (docs/theory.md 2.1 and 6.6): the presynaptic Fano factor
//! that the receiving neuron's rate sees, weighted by its second-order response instead
//! of the membrane filter, with no fitted constant.
//!
//! The recurrent input of population `B`'s trains has the spectrum `S_B(omega)` (the
//! white-noise LIF renewal spectrum of each neuron, averaged over the population's
//! Gaussian of mean inputs with rate weights). White noise of level `nu_B F_B` gives the
//! same rate as the colored input to second order when (docs/theory.md 6.6.6)
//!
//! ```text
//!   F_B = 1 + Int d omega/(2 pi) chi_2(omega, -omega) (S_B(omega)/nu_B - 1)
//!             / ((1/tau_m) d nu / d sigma^2),
//! ```
//!
//! the `chi_2`-weighted counterpart of the spectral closure's `F_eff` (which weights by
//! `|H|^2 = 1/(1 + omega^2 tau_m^2)`, docs/theory.md 2.1) and, unlike that closure,
//! without the calibrated colored-noise shift: the second-order correction that the shift
//! approximated vanishes at this `F_B` by construction. `chi_2` and `d nu / d sigma^2` are
//! those of a neuron of population `B` at its own mean input and its closure noise
//! `sigma_B` (a single weighting per presynaptic population, as the Fano-factor
//! iteration of docs/theory.md 2.1 has one `F_B`).

use std::f64::consts::PI;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::model::Model;
use crate::transfer::response::diffusion;
use crate::transfer::response::second_order::{SecondOrder, mapped_legendre_nodes};
use crate::transfer::{LifParams, Transfer};

use super::state::State;

/// Upper end of the frequency integral (rad/s): 1 kHz. The relative spectrum of the LIF
/// trains has decayed there (the ISI density starts smoothly after `tau_ref`).
pub const OMEGA_MAX: f64 = 2.0 * PI * 1000.0;

/// Gauss-Legendre nodes of the frequency integral and the stretch of their map
/// ([`mapped_legendre_nodes`]): within 1e-8 of the 256-node panel rule in `F_B`
/// (`tests/correlated_closure.rs`), at a fifth of its cost.
pub const FREQUENCY_NODES: usize = 48;
const FREQUENCY_STRETCH: f64 = 3.0;

/// Gauss-Hermite nodes of the average over a population's mean inputs.
const X_NODES: usize = 24;

/// The population-averaged relative spike-train spectrum `S_B(omega)/nu_B - 1` of
/// population `b` at the frequencies `omegas` (rad/s): `E_B[nu (S_LIF/nu_LIF - 1)] /
/// E_B[nu]` with `nu` the population's transfer function and `S_LIF` the white-noise LIF
/// spectrum (docs/theory.md 6.1) at each mean input and the closure noise `sigma_B`;
/// `t` is population `b`'s transfer function at `state`.
pub fn relative_spectrum(
    model: &Model,
    state: &State,
    b: usize,
    t: &dyn Transfer,
    omegas: &[f64],
) -> Result<Vec<f64>> {
    let p = &state.populations[b];
    let lif = LifParams::of(model, b);
    let sd = p.delta_mv2.max(0.0).sqrt();
    let rule = crate::quad::hermite_rule(X_NODES);
    let pts: Vec<(f64, f64)> = rule
        .iter()
        .map(|&(z, w)| {
            let x = p.mean_input_mv + sd * z;
            (x, w * t.rate(x))
        })
        .filter(|&(x, wn)| wn > 0.0 && crate::transfer::siegert::rate(&lif, x, p.sigma_mv) > 1e-12)
        .collect();
    let norm: f64 = pts.iter().map(|q| q.1).sum();
    if !(norm > 0.0) {
        return Ok(vec![0.0; omegas.len()]);
    }
    let sigma = p.sigma_mv;
    omegas
        .par_iter()
        .map(|&w| {
            let mut acc = 0.0;
            for &(x, wn) in &pts {
                let nu = crate::transfer::siegert::rate(&lif, x, sigma);
                let s = diffusion::spike_spectrum(&lif, x, sigma, w)?;
                acc += wn * (s / nu - 1.0);
            }
            Ok(acc / norm)
        })
        .collect()
}

/// The correlated closure's Fano factors `F_B` (docs/theory.md 6.6.6), one per population;
/// `transfer(b)` is population `b`'s transfer function at `state` (the closure's
/// `state_transfer`, passed in so that this module does not import the closure).
///
/// # Errors
///
/// [`Error::Domain`] if a population's rate does not grow with the noise at its mean
/// input (`d nu / d sigma^2 <= 0`, mean-driven firing: the weighting is undefined there),
/// or the errors of the response computations.
pub fn chi2_weighted_fano<T: Transfer>(
    model: &Model,
    state: &State,
    transfer: impl Fn(usize) -> Result<T>,
) -> Result<Vec<f64>> {
    let nodes = mapped_legendre_nodes(OMEGA_MAX, FREQUENCY_NODES, FREQUENCY_STRETCH);
    chi2_weighted_fano_on(model, state, transfer, &nodes)
}

/// [`chi2_weighted_fano`] with the frequency integral on the given nodes and weights
/// `(omega, w)` (rad/s) over `[0, OMEGA_MAX]`, e.g. the finer panel rule
/// [`crate::transfer::response::second_order::frequency_nodes`] as a reference.
///
/// # Errors
///
/// As [`chi2_weighted_fano`].
pub fn chi2_weighted_fano_on<T: Transfer>(
    model: &Model,
    state: &State,
    transfer: impl Fn(usize) -> Result<T>,
    nodes: &[(f64, f64)],
) -> Result<Vec<f64>> {
    (0..state.populations.len())
        .map(|b| {
            let p = &state.populations[b];
            if !(p.rate_hz > 0.0) {
                return Ok(1.0);
            }
            let lif = LifParams::of(model, b);
            let omegas: Vec<f64> = nodes.iter().map(|n| n.0).collect();
            let t = transfer(b)?;
            let rel = relative_spectrum(model, state, b, &t, &omegas)?;
            let so = SecondOrder::new(&lif, p.mean_input_mv, p.sigma_mv)?;
            let chi: Vec<f64> = omegas
                .par_iter()
                .map(|&w| so.chi2(w))
                .collect::<Result<_>>()?;
            let num: f64 = nodes
                .iter()
                .zip(&chi)
                .zip(&rel)
                .map(|(((_, wt), c), r)| wt * c * r)
                .sum::<f64>()
                / PI;
            let den = diffusion::drate_dsigma2(&lif, p.mean_input_mv, p.sigma_mv) / lif.tau_m;
            let f = 1.0 + num / den;
            if !(den > 0.0) || !f.is_finite() || f <= 0.0 {
                return Err(Error::Domain(format!(
                    "correlated noise closure: population {} at mean input {} mV, sigma {} mV has d nu/d sigma^2 = {} Hz/mV^2 (Fano factor {f}); the chi_2 weighting needs noise-driven firing (docs/theory.md 6.6)",
                    p.name, p.mean_input_mv, p.sigma_mv, den * lif.tau_m
                )));
            }
            Ok(f)
        })
        .collect()
}
