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
use crate::transfer::shot_noise::ShotInput;
use crate::transfer::shot_noise::hawkes::{self, HawkesResolution, HawkesSource};
use crate::transfer::{LifParams, Transfer};

use super::state::State;

/// Upper end of the frequency integral (rad/s): 1 kHz. The relative spectrum of the LIF
/// trains has decayed there (the ISI density starts smoothly after `tau_ref`).
pub const OMEGA_MAX: f64 = 2.0 * PI * 1000.0;

/// Gauss-Legendre nodes of the frequency integral and the stretch of their map
/// ([`mapped_legendre_nodes`]): within 1e-8 of the 256-node panel rule in `F_B`
/// (`tests/correlated_closure.rs`), at a fifth of its cost.
pub const FREQUENCY_NODES: usize = 48;
/// The stretch of the map of [`FREQUENCY_NODES`] (see there).
pub const FREQUENCY_STRETCH: f64 = 3.0;

/// Gauss-Hermite nodes of the average over a population's mean inputs.
const X_NODES: usize = 24;

/// The population-averaged relative spike-train spectrum `S_B(omega)/nu_B - 1` of
/// population `b` at the frequencies `omegas` (rad/s): `E_B[nu (S_LIF/nu_LIF - 1)] /
/// E_B[nu]` with `nu` the population's transfer function and `S_LIF` the white-noise LIF
/// spectrum (docs/theory.md 6.1) at each mean input and the closure noise `sigma_B`;
/// `t` is population `b`'s transfer function at `state`. This is the spectrum without
/// the response to the input's colour; [`relative_spectra`] adds it.
pub fn relative_spectrum(
    model: &Model,
    state: &State,
    b: usize,
    t: &dyn Transfer,
    omegas: &[f64],
) -> Result<Vec<f64>> {
    Ok(spectrum_parts(model, state, b, t, omegas, false)?
        .into_iter()
        .map(|(r, _)| r)
        .collect())
}

/// Per frequency, the white-noise part of [`relative_spectrum`] and, if `response`, the
/// rate-weighted mean `E_B[nu |chi_mu|^2 / nu_LIF] / E_B[nu]` (Hz/mV^2) of the squared
/// rate susceptibility (docs/theory.md 6.1) over the population's mean inputs.
fn spectrum_parts(
    model: &Model,
    state: &State,
    b: usize,
    t: &dyn Transfer,
    omegas: &[f64],
    response: bool,
) -> Result<Vec<(f64, f64)>> {
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
        return Ok(vec![(0.0, 0.0); omegas.len()]);
    }
    let sigma = p.sigma_mv;
    omegas
        .par_iter()
        .map(|&w| {
            let (mut acc, mut resp) = (0.0, 0.0);
            for &(x, wn) in &pts {
                let nu = crate::transfer::siegert::rate(&lif, x, sigma);
                if response {
                    let (s, chi) = diffusion::spike_spectrum_and_chi_mu(&lif, x, sigma, w)?;
                    acc += wn * (s / nu - 1.0);
                    resp += wn * chi.norm_sqr() / nu;
                } else {
                    acc += wn * (diffusion::spike_spectrum(&lif, x, sigma, w)? / nu - 1.0);
                }
            }
            Ok((acc / norm, resp / norm))
        })
        .collect()
}

/// The relative spike-train spectra `S_B(omega)/nu_B - 1` of all populations at the
/// frequencies `omegas` (rad/s), with the response of each neuron to the colour of its
/// own input (docs/theory.md 6.6.10; Lindner, Doiron & Longtin 2005): the white-noise
/// LIF spectrum at the closure noise plus `|chi_mu|^2` times the input's deviation from
/// that white level, `S_Delta,B = tau_B^2 sum_C c_C J_BC^2 nu_C (S_C/nu_C - F_C)`,
/// solved jointly for all populations at each frequency (the deviation is made of the
/// spectra themselves). `transfer(b)` as in [`chi2_weighted_fano`].
///
/// # Errors
///
/// [`Error::Domain`] if the joint system is singular at a frequency, or the errors of the
/// response computations.
pub fn relative_spectra<T: Transfer>(
    model: &Model,
    state: &State,
    transfer: impl Fn(usize) -> Result<T>,
    omegas: &[f64],
) -> Result<Vec<Vec<f64>>> {
    let p = state.populations.len();
    let parts: Vec<Vec<(f64, f64)>> = (0..p)
        .map(|b| {
            if !(state.populations[b].rate_hz > 0.0) {
                return Ok(vec![(0.0, 0.0); omegas.len()]);
            }
            let t = transfer(b)?;
            spectrum_parts(model, state, b, &t, omegas, true)
        })
        .collect::<Result<_>>()?;
    // m[b][c] = tau_B^2 c_C J_BC^2 nu_C (mV^2 s per unit of relative spectrum)
    let m: Vec<Vec<f64>> = (0..p)
        .map(|b| {
            let tau = model.populations[b].tau_m;
            (0..p)
                .map(|c| {
                    tau * tau
                        * model.populations[c].c
                        * model.j[b][c].powi(2)
                        * state.populations[c].rate_hz.max(0.0)
                })
                .collect()
        })
        .collect();
    let fano: Vec<f64> = state.populations.iter().map(|q| q.fano).collect();
    let mut out = vec![vec![0.0; omegas.len()]; p];
    for (k, &w) in omegas.iter().enumerate() {
        // (I - diag(A) M) rel = rel0 + diag(A) M (1 - F)
        let a_mat = nalgebra::DMatrix::from_fn(p, p, |b, c| {
            f64::from(u8::from(b == c)) - parts[b][k].1 * m[b][c]
        });
        let rhs = nalgebra::DVector::from_fn(p, |b, _| {
            parts[b][k].0 + parts[b][k].1 * (0..p).map(|c| m[b][c] * (1.0 - fano[c])).sum::<f64>()
        });
        let rel = a_mat.lu().solve(&rhs).ok_or_else(|| {
            Error::Domain(format!(
                "correlated noise closure: the spectra's response to their own colour is singular at omega = {w} rad/s (docs/theory.md 6.6.10)"
            ))
        })?;
        for b in 0..p {
            out[b][k] = rel[b];
        }
    }
    Ok(out)
}

/// Membrane Fano factor (docs/theory.md 2.1) of the spike train of a LIF neuron at mean
/// input `x` (mV) and white noise `sigma` (mV) whose input deviates from that white
/// level by the two-sided spectrum `s_delta(omega)` (mV^2 s, even in `omega` rad/s):
/// the renewal value [`crate::theory::spectral::lif_fano_eff`] plus the linear response
/// of the train to the deviation (docs/theory.md 6.6.10),
///
/// ```text
///   F = F_LIF + (2 tau_m / nu) Int_0^Omega d omega/pi |chi_mu(i omega)|^2 S_Delta(omega) / (1 + omega^2 tau_m^2),
/// ```
///
/// `Omega` = [`OMEGA_MAX`] (the membrane filter leaves `O(Omega^-3)` beyond), 96 nodes
/// of the closure's mapped rule.
///
/// # Errors
///
/// The errors of [`diffusion::spike_spectrum_and_chi_mu`].
pub fn output_fano(
    lif: &LifParams,
    x: f64,
    sigma: f64,
    s_delta: impl Fn(f64) -> f64,
) -> Result<f64> {
    let nodes = output_nodes();
    output_fano_on(lif, x, sigma, &nodes, |k| s_delta(nodes[k].0))
}

/// The frequency nodes and weights `(omega, w)` (rad/s) of [`output_fano`]: 96 nodes of
/// the closure's mapped rule over `[0, OMEGA_MAX]`.
fn output_nodes() -> Vec<(f64, f64)> {
    mapped_legendre_nodes(OMEGA_MAX, 2 * FREQUENCY_NODES, FREQUENCY_STRETCH)
}

/// [`output_fano`] on the given frequency nodes, with the deviation `s_delta(k)` at node `k`.
fn output_fano_on(
    lif: &LifParams,
    x: f64,
    sigma: f64,
    nodes: &[(f64, f64)],
    s_delta: impl Fn(usize) -> f64,
) -> Result<f64> {
    let nu = crate::transfer::siegert::rate(lif, x, sigma);
    let base = crate::theory::spectral::lif_fano_eff(lif, x, sigma);
    if !(nu > 0.0) {
        return Ok(base);
    }
    let tau = lif.tau_m;
    let mut acc = 0.0;
    for (k, &(w, wt)) in nodes.iter().enumerate() {
        let (_, chi) = diffusion::spike_spectrum_and_chi_mu(lif, x, sigma, w)?;
        acc += wt * chi.norm_sqr() * s_delta(k) / (1.0 + w * w * tau * tau);
    }
    Ok(base + 2.0 * tau * acc / (PI * nu))
}

/// The membrane Fano factor (docs/theory.md 2.1) of one population's spike trains as
/// the correlated closure models them (docs/theory.md 6.6.10): see [`train_fano`].
#[derive(Clone, Debug)]
pub struct TrainFano {
    /// The population's value, the rate-weighted mean over its neurons.
    pub population: f64,
    /// Mean inputs (mV) of the per-neuron values, increasing.
    pub x_mv: Vec<f64>,
    /// The value of a neuron at each of those inputs.
    pub neuron: Vec<f64>,
}

impl TrainFano {
    /// The value of a neuron at mean input `x` (mV): linear interpolation, constant
    /// beyond the grid's ends.
    pub fn at(&self, x: f64) -> f64 {
        if self.neuron.is_empty() {
            return self.population;
        }
        let (k, w) = super::state::grid_segment(&self.x_mv, x);
        if w == 0.0 {
            return self.neuron[k];
        }
        self.neuron[k] + w * (self.neuron[k + 1] - self.neuron[k])
    }
}

/// The membrane Fano factor (docs/theory.md 2.1) of a relative spectrum `rel` given on
/// the frequency nodes `(omega, w)` over `[0, OMEGA_MAX]`, for membrane time constant
/// `tau` (s): `1 + (2 tau/pi) sum_k w_k rel_k / (1 + omega_k^2 tau^2)`.
fn membrane_fano(tau: f64, nodes: &[(f64, f64)], rel: &[f64]) -> f64 {
    1.0 + 2.0 * tau / PI
        * nodes
            .iter()
            .zip(rel)
            .map(|(&(w, wt), r)| wt * r / (1.0 + w * w * tau * tau))
            .sum::<f64>()
}

/// `n >= 2` equally spaced mean inputs (mV) over `mean +- reach`.
fn input_grid(mean: f64, reach: f64, n: usize) -> Vec<f64> {
    (0..n)
        .map(|k| mean + reach * (2.0 * k as f64 / (n - 1) as f64 - 1.0))
        .collect()
}

/// Grid points of [`train_fano`]'s per-neuron values over `mean +- TRAIN_REACH sd` of a
/// population's mean inputs.
pub const TRAIN_GRID: usize = 49;
/// Reach of that grid in standard deviations of the population's mean inputs.
pub const TRAIN_REACH: f64 = 6.0;

/// The membrane Fano factors of every population's trains under the correlated closure
/// at `state` (docs/theory.md 6.6.10), what the closure assumes for the presynaptic
/// trains: the population's value from its relative spectrum ([`relative_spectra`]),
///
/// ```text
///   F_A = 1 + (2 tau_m / pi) Int_0^Omega d omega (S_A(omega)/nu_A - 1) / (1 + omega^2 tau_m^2),
/// ```
///
/// and a neuron's value at mean input `x` ([`output_fano`] at the closure's noise
/// `sigma_A` with the deviation `S_Delta,A` of (6.6.10)) on [`TRAIN_GRID`] inputs over
/// `M_A +- TRAIN_REACH sqrt(Delta_A)`. `transfer(b)` as in [`chi2_weighted_fano`].
///
/// # Errors
///
/// The errors of [`relative_spectra`] and [`output_fano`].
pub fn train_fano<T: Transfer>(
    model: &Model,
    state: &State,
    transfer: impl Fn(usize) -> Result<T>,
) -> Result<Vec<TrainFano>> {
    let nodes = output_nodes();
    let omegas: Vec<f64> = nodes.iter().map(|n| n.0).collect();
    let rels = relative_spectra(model, state, &transfer, &omegas)?;
    let rates = state.rates();
    let fano = state.fano();
    (0..state.populations.len())
        .map(|a| {
            let p = &state.populations[a];
            let lif = LifParams::of(model, a);
            let tau = lif.tau_m;
            let population = membrane_fano(tau, &nodes, &rels[a]);
            // S_Delta,A at each node (mV^2 s), docs/theory.md 6.6.10
            let s_delta: Vec<f64> = (0..nodes.len())
                .map(|k| {
                    tau * tau
                        * (0..state.populations.len())
                            .map(|c| {
                                model.populations[c].c
                                    * model.j[a][c].powi(2)
                                    * rates[c].max(0.0)
                                    * (rels[c][k] + 1.0 - fano[c])
                            })
                            .sum::<f64>()
                })
                .collect();
            let sd = p.delta_mv2.max(0.0).sqrt();
            let x_mv: Vec<f64> = if sd > 0.0 {
                input_grid(p.mean_input_mv, TRAIN_REACH * sd, TRAIN_GRID)
            } else {
                vec![p.mean_input_mv]
            };
            let neuron = x_mv
                .par_iter()
                .map(|&x| output_fano_on(&lif, x, p.sigma_mv, &nodes, |k| s_delta[k]))
                .collect::<Result<Vec<f64>>>()?;
            Ok(TrainFano {
                population,
                x_mv,
                neuron,
            })
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
    let omegas: Vec<f64> = nodes.iter().map(|n| n.0).collect();
    let rels = relative_spectra(model, state, &transfer, &omegas)?;
    (0..state.populations.len())
        .map(|b| {
            let p = &state.populations[b];
            if !(p.rate_hz > 0.0) {
                return Ok(1.0);
            }
            let lif = LifParams::of(model, b);
            let rel = &rels[b];
            let so = SecondOrder::new(&lif, p.mean_input_mv, p.sigma_mv)?;
            let chi: Vec<f64> = omegas
                .par_iter()
                .map(|&w| so.chi2(w))
                .collect::<Result<_>>()?;
            let den = diffusion::drate_dsigma2(&lif, p.mean_input_mv, p.sigma_mv) / lif.tau_m;
            let f = weighted_fano(nodes, &chi, rel, den);
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

/// The `chi_2`-weighted Fano factor (docs/theory.md 6.6.6) from `chi_2(omega, -omega)`
/// and the relative spectrum `S_B/nu_B - 1` on the frequency nodes `(omega, w)` over
/// `[0, OMEGA_MAX]`, and `den = (1/tau_m) d nu / d sigma^2`:
/// `1 + (1/pi) sum_k w_k chi_2(omega_k) rel(omega_k) / den` (the two-sided integral over
/// `d omega/(2 pi)` of an even integrand).
fn weighted_fano(nodes: &[(f64, f64)], chi: &[f64], rel: &[f64], den: f64) -> f64 {
    let num: f64 = nodes
        .iter()
        .zip(chi)
        .zip(rel)
        .map(|(((_, wt), c), r)| wt * c * r)
        .sum::<f64>()
        / PI;
    1.0 + num / den
}

/// Grid points of [`input_fano`] over `mean +- INPUT_REACH sd` of a population's inputs.
pub const INPUT_GRID: usize = 13;
/// Gauss-Legendre nodes of the frequency integral of [`input_fano`] (the closure's map
/// with fewer nodes: it is evaluated at every grid point).
pub const INPUT_FREQUENCY_NODES: usize = 32;
/// Reach of that grid in standard deviations of the population's inputs.
pub const INPUT_REACH: f64 = 5.0;

pub use super::state::InputFano;

/// [`InputFano`] of every receiving population at `state` (docs/theory.md 6.6.11): the
/// presynaptic spectra of [`relative_spectra`] weighted by `chi_2` of a neuron at each
/// grid input `x`, with the noise `sigma(F(x))` of the Fano factors found so far: two
/// rounds from the state's Fano factors, or one from `previous` (the last iterate of the
/// closure's self-consistency loop, which converges along with the state). Where the weighting is undefined (`d nu/d sigma^2 <= 0`, mean-driven
/// firing; or a rate below 1e-9 Hz) the nearest defined grid point's values are used,
/// and the state's Fano factors if none is defined. `transfer(b)` as in
/// [`chi2_weighted_fano`].
///
/// With the shot-noise transfer, each grid point also carries rule `H`'s correction
/// (docs/theory.md 6.6.12): the rate with one Hawkes source per presynaptic population
/// (its spectrum's `S(0)/nu` and membrane Fano factor, 2.2.1) plus the shape term of
/// the spectra's difference from their one-pole form ([`shape_term`], 6.6.12b), against
/// `C`, as a log-rate ratio and a mean-potential difference
/// (zero where a population's spectrum has no one-pole form or a solve fails). They are
/// computed only with `refresh = Some(reach)`, at the grid points within `reach` of the
/// middle (beyond, the nearest computed ones serve), and then only if `previous`'s were
/// computed to a smaller reach or at sources that have moved by more than
/// [`CORRECTION_REUSE`] since; otherwise `previous`'s corrections are kept (interpolated
/// onto the new grid), or none if it has none. The closure's loop refreshes them once
/// its state has nearly converged with the current ones, so that the Hawkes solves are
/// made near the state they serve: the first time to [`HAWKES_FIRST_REACH`], then to
/// [`HAWKES_REACH`] (docs/theory.md 6.6.12a). With the closure `correlated_full`
/// ([`crate::model::NoiseClosure::CorrelatedFull`]) the corrections of every refresh after
/// the first are rule `H` in full ([`full_correction`], 6.6.12e), with the trains' third
/// cumulants of [`trains_membrane_k3`] and the spectra on [`FULL_SHAPE_NODES`] nodes.
///
/// # Errors
///
/// The errors of [`relative_spectra`].
pub fn input_fano<T: Transfer>(
    model: &Model,
    state: &State,
    transfer: impl Fn(usize) -> Result<T>,
    previous: Option<&[InputFano]>,
    refresh: Option<usize>,
) -> Result<Vec<InputFano>> {
    let nodes = mapped_legendre_nodes(OMEGA_MAX, INPUT_FREQUENCY_NODES, FREQUENCY_STRETCH);
    let omegas: Vec<f64> = nodes.iter().map(|n| n.0).collect();
    let rels = relative_spectra(model, state, &transfer, &omegas)?;
    // the low-frequency levels S(0)/nu of the spectra, for rule H's Hawkes sources
    let rels0 = relative_spectra(model, state, &transfer, &[LOW_OMEGA])?;
    let f0 = state.fano();
    let rates = state.rates();
    let hawkes_rule = model.transfer == crate::model::TransferKind::ShotNoise;
    // rule H in full (docs/theory.md 6.6.12e) at the refreshes after the first
    let full_nodes = (hawkes_rule
        && model.noise == crate::model::NoiseClosure::CorrelatedFull
        && refresh.is_some_and(|reach| reach > HAWKES_FIRST_REACH))
    .then(|| mapped_legendre_nodes(OMEGA_MAX, FULL_SHAPE_NODES, FREQUENCY_STRETCH));
    let full_rels = match &full_nodes {
        Some(n) => {
            let om: Vec<f64> = n.iter().map(|q| q.0).collect();
            Some(relative_spectra(model, state, &transfer, &om)?)
        }
        None => None,
    };
    Ok((0..state.populations.len())
        .map(|a| {
            let p = &state.populations[a];
            let lif = LifParams::of(model, a);
            let sd = p.delta_mv2.max(0.0).sqrt().max(0.5);
            let xs = input_grid(p.mean_input_mv, INPUT_REACH * sd, INPUT_GRID);
            let prev = previous.and_then(|v| v.get(a));
            // rule H's Hawkes sources and the one-pole spectra they stand for
            let one_pole = hawkes_rule
                .then(|| HawkesInputs::new(model, a, &rates, &rels, &rels0, &nodes))
                .flatten();
            let one_pole = match (one_pole, &full_nodes, &full_rels) {
                (Some(h), Some(n), Some(r)) => trains_membrane_k3(model, state, a)
                    .ok()
                    .map(|k3| h.with_full(r, n, &k3, lif.tau_m)),
                (h, _, _) => h,
            };
            let basis = one_pole.as_ref().map_or_else(Vec::new, HawkesInputs::basis);
            // the previous round's corrections serve until a refresh, and then if they
            // reach as far and their sources are within CORRECTION_REUSE of these (the
            // correction moves far less than they do)
            let reuse = prev.filter(|g| {
                !basis.is_empty()
                    && g.correction_basis.len() == basis.len()
                    && g.ln_rate_correction.len() == g.x_mv.len()
                    && refresh.is_none_or(|reach| {
                        g.correction_reach >= reach
                            && g.correction_basis
                                .iter()
                                .zip(&basis)
                                .all(|(a, b)| (a / b - 1.0).abs() < CORRECTION_REUSE)
                    })
            });
            let compute = refresh.filter(|_| reuse.is_none());
            let at = |x: f64, hawkes_here: bool| -> Option<GridPoint> {
                let mut f = prev.map_or_else(|| f0.clone(), |g| g.at(x));
                let mut last = None;
                for _ in 0..(if prev.is_some() { 1 } else { 2 }) {
                    let nu_f: Vec<f64> = rates.iter().zip(&f).map(|(n, fb)| n * fb).collect();
                    let sigma = super::inputs::noise_sigma(model, a, &nu_f);
                    if !(crate::transfer::siegert::rate(&lif, x, sigma) > 1e-9) {
                        return None;
                    }
                    let den = diffusion::drate_dsigma2(&lif, x, sigma) / lif.tau_m;
                    if !(den > 0.0) {
                        return None;
                    }
                    let so = SecondOrder::new(&lif, x, sigma).ok()?;
                    let chi: Vec<f64> = omegas
                        .iter()
                        .map(|&w| so.chi2(w).ok())
                        .collect::<Option<_>>()?;
                    f = rels
                        .iter()
                        .map(|rel| weighted_fano(&nodes, &chi, rel, den))
                        .collect();
                    if !f.iter().all(|v| v.is_finite() && *v > 0.0) {
                        return None;
                    }
                    last = Some((chi, den));
                }
                let correction = match (reuse, &one_pole, &last) {
                    (Some(g), _, _) => {
                        let (c, _, d) = g.correction_at(x);
                        Some((c, d))
                    }
                    (None, Some(h), Some(_)) if compute.is_some() && hawkes_here => {
                        Some(h.correction(&lif, x, &f, &nodes))
                    }
                    (None, Some(_), Some(_)) if compute.is_some() => None,
                    _ => Some((0.0, 0.0)),
                };
                Some((f, correction))
            };
            let found: Vec<Option<GridPoint>> = xs
                .par_iter()
                .enumerate()
                .map(|(k, &x)| at(x, compute.is_some_and(|r| k.abs_diff(INPUT_GRID / 2) <= r)))
                .collect();
            let fano = (0..xs.len())
                .map(|k| nearest_some(&found, k).map_or_else(|| f0.clone(), |(f, _)| f.clone()))
                .collect();
            let (ln_rate_correction, mean_v_correction) = if one_pole.is_some() {
                // the nearest grid point that has them (beyond HAWKES_REACH, or where
                // the weighting is undefined)
                let computed: Vec<Option<(f64, f64)>> =
                    found.iter().map(|g| g.as_ref().and_then(|g| g.1)).collect();
                (0..xs.len())
                    .map(|k| nearest_some(&computed, k).map_or((0.0, 0.0), |c| *c))
                    .unzip()
            } else {
                (Vec::new(), Vec::new())
            };
            let (correction_basis, correction_reach) = match (reuse, compute) {
                (Some(g), _) => (g.correction_basis.clone(), g.correction_reach),
                (None, Some(reach)) => (basis, reach),
                (None, None) => (Vec::new(), 0),
            };
            InputFano {
                x_mv: xs,
                fano,
                ln_rate_correction,
                mean_v_correction,
                correction_basis,
                correction_reach,
            }
        })
        .collect())
}

/// One grid point of [`input_fano`]: the Fano factors and rule `H`'s corrections
/// (log-rate ratio, mean-potential difference in mV; `None` where not computed).
type GridPoint = (Vec<f64>, Option<(f64, f64)>);

/// The entry of `v` nearest index `k` that is `Some` (the lower one on a tie).
fn nearest_some<T>(v: &[Option<T>], k: usize) -> Option<&T> {
    (0..v.len())
        .filter_map(|j| v[j].as_ref().map(|t| (k.abs_diff(j), t)))
        .min_by_key(|(d, _)| *d)
        .map(|(_, t)| t)
}

/// Grid points of [`input_fano`] on either side of the middle at which rule `H`'s
/// corrections are computed: 4 of 6, to 3.3 of the grid's 5 standard deviations of the
/// population's inputs. The points beyond take the nearest computed corrections, so that
/// they are constant beyond 3.3 standard deviations (4e-4 of the population on each
/// side; there the Hawkes solves are the slowest).
pub const HAWKES_REACH: usize = 4;

/// The reach of the closure's first refresh of rule `H`'s corrections (docs/theory.md
/// 6.6.12a): 2 grid points, to 1.7 standard deviations (90% of the population), 5 Hawkes
/// solves per population instead of 9. Corrections of a shorter reach are never kept at a
/// refresh, so the next one computes them to [`HAWKES_REACH`]: the converged state's
/// corrections are those. The first refresh only moves the state towards them (the
/// corrections move it, and with it the sources, by more than [`CORRECTION_REUSE`]
/// anyway).
pub const HAWKES_FIRST_REACH: usize = 2;

/// Hermite modes per Hawkes source in rule `H`'s corrections (docs/theory.md 6.6.12a).
pub const HAWKES_MODES: usize = 4;

/// Relative change of the Hawkes sources' parameters (rate, `S(0)/nu`, `tau_c`) below
/// which [`input_fano`] keeps the previous rule-`H` corrections at a refresh
/// (docs/theory.md 6.6.12a): the converged state's corrections are those of a state
/// within this of it. On the seed-1 loadings of the default model, 1e-2, 1e-3 and 1e-4
/// give the same `kappa*` (6.071 Hz; docs/theory.md 6.6.12a).
pub const CORRECTION_REUSE: f64 = 1e-2;

/// Voltage grid of rule `H`'s shape term in the closure (docs/theory.md 6.6.12b): cells
/// of 0.04 mV, 3 levels, i.e. the coarsest cell of [`Resolution::fast`] (so that the
/// Hawkes solver's lattice biases are lattice biases here too, and one bias is solved
/// instead of four). Against `fast` the shape term changes by 3% at 0.3 Hz and 0.1% at
/// 5-30 Hz, a few 1e-4 of the rate.
///
/// [`Resolution::fast`]: crate::transfer::shot_noise::Resolution::fast
pub const SHAPE_RESOLUTION: crate::transfer::shot_noise::Resolution =
    crate::transfer::shot_noise::Resolution {
        dv: 0.04,
        levels: 3,
        lower_sd: 7.0,
    };

/// Resolution of rule `H`'s corrections in the closure (the Hawkes neuron and rule `C`'s
/// neuron on one grid, so that part of the grid error cancels in their ratio;
/// docs/theory.md 6.6.12a) and of [`hawkes_shape_term`] (6.6.12c): the grid of
/// [`SHAPE_RESOLUTION`], [`HAWKES_MODES`] modes, linear solves to 1e-6.
pub const HAWKES_SHAPE_RESOLUTION: HawkesResolution = HawkesResolution {
    grid: SHAPE_RESOLUTION,
    modes: HAWKES_MODES,
    tol: 1e-6,
};

/// Frequency (rad/s) at which the closure's spectra give their low-frequency level
/// `S(0)/nu` (the LIF spectra are flat below about 1 rad/s).
const LOW_OMEGA: f64 = 1e-3;

/// The relative spectra `rels` (one per source, on the frequency `nodes`) less each
/// source's one-pole relative spectrum: what rule `H`'s shape term expands in
/// (docs/theory.md 6.6.12b-c).
fn one_pole_differences(
    sources: &[HawkesSource],
    rels: &[Vec<f64>],
    nodes: &[(f64, f64)],
) -> Vec<Vec<f64>> {
    sources
        .iter()
        .zip(rels)
        .map(|(s, rel)| {
            nodes
                .iter()
                .zip(rel)
                .map(|(&(w, _), r)| r + 1.0 - s.relative_spectrum(w))
                .collect()
        })
        .collect()
}

/// Rule `H` (docs/theory.md 6.6.12) for one receiving population: a Hawkes source per
/// presynaptic population with its spectrum's `S(0)/nu` and membrane Fano factor
/// (docs/theory.md 2.2.1), and the one-pole relative spectra of those two numbers on the
/// closure's frequency nodes.
struct HawkesInputs {
    /// The Poisson-rate shot-noise input of the receiving neuron (recurrent sources first).
    input: ShotInput,
    /// The recurrent sources as Hawkes processes.
    sources: Vec<HawkesSource>,
    /// The external (Poisson) sources.
    external: ShotInput,
    /// Difference between the closure's relative spectra and the one-pole ones, per
    /// presynaptic population on the nodes (rule `H`'s shape, 6.6.12b).
    shape: Vec<Vec<f64>>,
    /// Membrane Fano factors of the presynaptic populations' trains.
    f_eff: Vec<f64>,
    /// Rule `H` in full (docs/theory.md 6.6.12e), for the closure `correlated_full`.
    full: Option<FullRule>,
}

/// What rule `H` in full needs beyond the closure's form (docs/theory.md 6.6.12e): the
/// relative spectra's difference from the sources' one-pole spectra on
/// [`FULL_SHAPE_NODES`] nodes, and the free membrane's third cumulant under the trains
/// less that under the sources (mV^3).
struct FullRule {
    nodes: Vec<(f64, f64)>,
    shape: Vec<Vec<f64>>,
    delta_k3: f64,
}

impl HawkesInputs {
    /// `None` if a presynaptic population's spectrum has no one-pole representation
    /// (its membrane Fano factor not strictly between `S(0)/nu` and 1, or no rate).
    fn new(
        model: &Model,
        a: usize,
        rates: &[f64],
        rels: &[Vec<f64>],
        rels0: &[Vec<f64>],
        nodes: &[(f64, f64)],
    ) -> Option<Self> {
        let tau = model.populations[a].tau_m;
        let input = crate::transfer::shot_noise::population_input(model, a, rates).ok()?;
        let s0: Vec<f64> = rels0.iter().map(|r| 1.0 + r[0]).collect();
        // membrane-filtered Fano factors of the receiving membrane (docs/theory.md 2.1)
        let f_eff: Vec<f64> = rels.iter().map(|r| membrane_fano(tau, nodes, r)).collect();
        let (sources, external) = hawkes::split_input(&input, &s0, &f_eff, tau).ok()?;
        let shape = one_pole_differences(&sources, rels, nodes);
        Some(HawkesInputs {
            input,
            sources,
            external,
            shape,
            f_eff,
            full: None,
        })
    }

    /// With rule `H` in full (docs/theory.md 6.6.12e): `rels_full` the relative spectra on
    /// `nodes_full`, `trains_k3` the trains' third cumulant per presynaptic population
    /// ([`trains_membrane_k3`]).
    fn with_full(
        mut self,
        rels_full: &[Vec<f64>],
        nodes_full: &[(f64, f64)],
        trains_k3: &[f64],
        tau_m: f64,
    ) -> Self {
        let shape = one_pole_differences(&self.sources, rels_full, nodes_full);
        let delta_k3 = self
            .sources
            .iter()
            .zip(trains_k3)
            .map(|(s, t)| t - s.membrane_cumulants(tau_m).1)
            .sum();
        self.full = Some(FullRule {
            nodes: nodes_full.to_vec(),
            shape,
            delta_k3,
        });
        self
    }

    /// Rate (Hz), `S(0)/nu` and `tau_c` (s) of every source.
    fn basis(&self) -> Vec<f64> {
        self.sources
            .iter()
            .flat_map(|s| [s.rate_hz, s.s0, s.tau_c])
            .collect()
    }

    /// `(ln(nu_H / nu_C), <V>_H - <V>_C)` at mean input `x` (mV) for the Fano factors
    /// `f` of rule `C` on the frequency `nodes`: `nu_H` is the Hawkes rate plus the
    /// shape term ([`shape_term`]; none where it has no working point), evaluated at the
    /// two lattice points of the Hawkes solver around `x` and interpolated linearly
    /// between them; both neurons on the grid of [`HAWKES_SHAPE_RESOLUTION`]. Zeros where
    /// a solve fails or a rate is below 1e-12 Hz.
    fn correction(&self, lif: &LifParams, x: f64, f: &[f64], nodes: &[(f64, f64)]) -> (f64, f64) {
        if let Some(full) = &self.full {
            let bias = x - self.input.mean_drive(lif.tau_m);
            return full_correction(
                lif,
                &self.input,
                &self.external,
                &self.sources,
                f,
                bias,
                &full.nodes,
                &full.shape,
                full.delta_k3,
                &FULL_RESOLUTION,
                &HAWKES_SHAPE_RESOLUTION,
            )
            .map_or((0.0, 0.0), |c| (c.ln_rate, c.mean_v));
        }
        let drive = self.input.mean_drive(lif.tau_m);
        let res = HAWKES_SHAPE_RESOLUTION;
        // the correction at one lattice point `b` with the Hawkes solution `hk` there,
        // against rule C's input `c_input`
        let at =
            |c_input: &ShotInput, b: f64, hk: &hawkes::HawkesStationary| -> Result<(f64, f64)> {
                let c = crate::transfer::shot_noise::stationary_with(lif, c_input, b, &res.grid)?;
                if !(c.rate > 1e-12 && hk.rate > 1e-12) {
                    return Ok((0.0, 0.0));
                }
                // where no Poisson-equivalent neuron reaches the Hawkes rate (far tail), the
                // Hawkes rate alone
                let (dnu, dv, _) = shape_term(
                    lif,
                    &self.input,
                    &self.f_eff,
                    hk.rate,
                    b,
                    nodes,
                    &self.shape,
                    &SHAPE_RESOLUTION,
                )
                .unwrap_or((0.0, 0.0, 1.0));
                let h = hk.rate + dnu;
                if !(h > 0.0 && h.is_finite()) {
                    return Ok((0.0, 0.0));
                }
                Ok(((h / c.rate).ln(), hk.mean_v + dv - c.mean_v))
            };
        // linear in the bias between the two lattice points around `x`: the correction
        // is continuous in `x`, which the fixed-point iterations need
        let run = || -> Result<(f64, f64)> {
            let c_input = self.input.with_fanos(f)?;
            let (t, pts) =
                hawkes::at_lattice_bracket(lif, &self.external, &self.sources, x - drive, &res)?;
            let (c0, d0) = at(&c_input, pts[0].0, &pts[0].1)?;
            let (c1, d1) = at(&c_input, pts[1].0, &pts[1].1)?;
            Ok((c0 + t * (c1 - c0), d0 + t * (d1 - d0)))
        };
        run().unwrap_or((0.0, 0.0))
    }
}

/// Rule `H`'s shape term (docs/theory.md 6.6.12b): the rate and mean-potential change
/// (Hz, mV) that the difference between the trains' spectra and their one-pole spectra
/// causes in a shot-noise neuron, to second order in that difference,
///
/// ```text
///   Delta nu = sum_B Int_0^Omega d omega/pi chi_2,B(omega, -omega) R_B (S_B/nu_B - S_1,B/nu_B)
/// ```
///
/// (`R_B` the total rate of recurrent source `B`, `chi_2,B` the second-order response of
/// docs/theory.md 6.4.1 to a modulation of that rate by events of its own jump), with
/// `chi_2` of the Poisson-equivalent neuron at the Hawkes neuron's rate: every recurrent
/// source `B` at the Fano factor `t F_B` (docs/theory.md 2.2, "Non-Poisson presynaptic
/// trains"), `t` chosen so that this neuron fires at `target_hz`.
///
/// `input`: the Poisson-rate shot input (recurrent sources first, one per entry of
/// `fano` and `diff`); `fano`: the sources' membrane Fano factors; `bias` (mV);
/// `nodes`: frequency nodes and weights on `[0, Omega]` (rad/s); `diff[B][k]`: the
/// relative spectra's difference at node `k`. Returns `(Delta nu, Delta <V>, t)`.
///
/// # Errors
///
/// [`Error::Domain`] if no `t` in `[1/8, 8]` gives the target rate; the errors of the
/// shot-noise solvers.
#[allow(clippy::too_many_arguments)]
pub fn shape_term(
    lif: &LifParams,
    input: &ShotInput,
    fano: &[f64],
    target_hz: f64,
    bias: f64,
    nodes: &[(f64, f64)],
    diff: &[Vec<f64>],
    res: &crate::transfer::shot_noise::Resolution,
) -> Result<(f64, f64, f64)> {
    use crate::transfer::shot_noise::{response::second_order_with, stationary_with};
    let p = fano.len();
    if diff.len() != p || p > input.jumps_mv.len() {
        return Err(Error::invalid(
            "diff",
            format!("{} spectra", diff.len()),
            format!("needs one per Fano factor ({p}), at most one per input source"),
        ));
    }
    if !(target_hz > 0.0 && target_hz.is_finite()) {
        return Err(Error::invalid(
            "target_hz",
            target_hz,
            "must be finite and > 0 (Hz)",
        ));
    }
    let scaled = |t: f64| -> Result<ShotInput> {
        input.with_fanos(&fano.iter().map(|f| t * f).collect::<Vec<f64>>())
    };
    // ln rate is increasing in ln t (more input variance at the same mean): its root on
    // a bracket of ln t
    let g = |s: f64| -> Result<f64> {
        let r = stationary_with(lif, &scaled(s.exp())?, bias, res)?.rate;
        Ok(r.max(1e-300).ln() - target_hz.ln())
    };
    let (lo, hi) = (-(8f64.ln()), 8f64.ln());
    let (flo, fhi) = (g(lo)?, g(hi)?);
    if !(flo <= 0.0 && fhi >= 0.0) {
        return Err(Error::Domain(format!(
            "rule H shape term: no Fano scale in [1/8, 8] gives the rate {target_hz} Hz at bias {bias} mV"
        )));
    }
    let s = crate::transfer::illinois(g, (lo, flo), (hi, fhi), 60, |_, fs, lo, hi| {
        fs.abs() < 1e-9 || hi - lo < 1e-9
    })?
    .unwrap_or_else(|(_, _, last)| last);
    let t = s.exp();
    // the working point plus zero-rate sources carrying the trains' own jumps
    let mut eq = scaled(t)?;
    eq.jumps_mv.extend_from_slice(&input.jumps_mv[..p]);
    eq.rates_hz.extend(std::iter::repeat_n(0.0, p));
    let n = input.jumps_mv.len();
    let omegas: Vec<f64> = nodes.iter().map(|n| n.0).collect();
    let probes: Vec<usize> = (n..n + p).collect();
    let so = second_order_with(lif, &eq, bias, &omegas, &probes, res)?;
    let (mut dnu, mut dv) = (0.0, 0.0);
    for (k, &(_, w)) in nodes.iter().enumerate() {
        for b in 0..p {
            let s = input.rates_hz[b] * diff[b][k] * w / PI;
            dnu += so.chi2[k][b] * s;
            dv += so.chi2_v[k][b] * s;
        }
    }
    Ok((dnu, dv, t))
}

/// Rule `H`'s shape term about the Hawkes neuron itself (docs/theory.md 6.6.12b): the
/// rate and mean-potential change (Hz, mV) that the difference between the trains'
/// spectra and the one-pole spectra of the Hawkes sources causes, to second order in that
/// difference, with the second-order response of the Hawkes-driven neuron to a
/// modulation of each source's baseline (docs/theory.md 6.4.2):
///
/// ```text
///   Delta nu = sum_B Int_0^Omega d omega/pi chi_2,B^H(omega) R_B (S_B/nu_B - S_1,B/nu_B) / |H_B(omega)|^2
/// ```
///
/// (`|H_B|^2 = S_1,B/nu_B` the gain from the baseline to the source's events, so that
/// the source's spectrum changes by the trains' difference). `external`: the Poisson
/// sources; `sources`: the Hawkes sources; `bias` (mV); `nodes`: frequency nodes and
/// weights on `[0, Omega]` (rad/s); `diff[B][k]`: the relative spectra's difference at
/// node `k`. Returns `(nu_H, <V>_H, Delta nu, Delta <V>)`, the first two the Hawkes
/// neuron's stationary rate (Hz) and mean potential (mV).
///
/// # Errors
///
/// As [`hawkes_shape_weights`] and [`hawkes::second_order_weighted`].
pub fn hawkes_shape_term(
    lif: &LifParams,
    external: &ShotInput,
    sources: &[HawkesSource],
    bias: f64,
    nodes: &[(f64, f64)],
    diff: &[Vec<f64>],
    res: &HawkesResolution,
) -> Result<(f64, f64, f64, f64)> {
    let w = hawkes_shape_weights(sources, nodes, diff)?;
    let omegas: Vec<f64> = nodes.iter().map(|n| n.0).collect();
    let all: Vec<usize> = (0..sources.len()).collect();
    hawkes::second_order_weighted(lif, external, sources, bias, &omegas, &all, &w, res)
}

/// The weights of [`hawkes_shape_term`]'s quadrature: `w[k][B] = R_B diff[B][k] /
/// |H_B(omega_k)|^2 * wt_k / pi` (docs/theory.md 6.6.12c), so that the term is
/// `sum_k sum_B w[k][B] chi_2,B^H(omega_k)`. `nodes`: frequency nodes and weights
/// (rad/s); `diff[B][k]`: the relative spectra's difference at node `k`.
///
/// # Errors
///
/// [`Error::Invalid`] if `diff` has not one entry per source and node.
pub fn hawkes_shape_weights(
    sources: &[HawkesSource],
    nodes: &[(f64, f64)],
    diff: &[Vec<f64>],
) -> Result<Vec<Vec<f64>>> {
    if diff.len() != sources.len() || diff.iter().any(|d| d.len() != nodes.len()) {
        return Err(Error::invalid(
            "diff",
            format!("{} spectra", diff.len()),
            format!(
                "needs one per Hawkes source ({}), each on the {} frequency nodes",
                sources.len(),
                nodes.len()
            ),
        ));
    }
    // S_eps of every source on the nodes, times the quadrature weight of d omega/pi
    Ok(nodes
        .iter()
        .enumerate()
        .map(|(k, &(om, wt))| {
            sources
                .iter()
                .zip(diff)
                .map(|(src, d)| src.rate_hz * d[k] / src.relative_spectrum(om) * wt / PI)
                .collect()
        })
        .collect())
}

/// Gauss-Legendre nodes of the shape term about the Hawkes neuron in rule `H` in full
/// (docs/theory.md 6.6.12e), on the closure's map over `[0, OMEGA_MAX]`: against
/// [`FREQUENCY_NODES`] the term changes by 1.8% at 1.4 Hz and 0.03% at 41 Hz output
/// (gamma trains of 70 Hz, CV 0.4; docs/closures.md "Rule H in full in the closure"),
/// at a third of the cost.
pub const FULL_SHAPE_NODES: usize = 16;

/// Resolution of the Hawkes neuron's rate and mean potential, and of rule `C`'s
/// neuron, in rule `H` in full in the closure (docs/theory.md 6.6.12e): the grid of
/// [`HAWKES_SHAPE_RESOLUTION`] with 6 Hermite modes instead of 4 (the rule is tested
/// to 3 standard errors at single neurons, where 4 modes leave the Hawkes rate up to 3%
/// low with the most regular trains; the two terms stay at 4 modes).
pub const FULL_RESOLUTION: HawkesResolution = HawkesResolution {
    modes: 6,
    ..HAWKES_SHAPE_RESOLUTION
};

/// Rule `H` in full at one input (docs/theory.md 6.6.12e), against rule `C`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FullCorrection {
    /// `ln(nu_H / nu_C)`, `nu_H` the Hawkes rate plus both terms, `nu_C` rule `C`'s rate
    /// on the same grid.
    pub ln_rate: f64,
    /// `<V>_H + Delta <V>_shape - <V>_C` (mV).
    pub mean_v: f64,
    /// The Hawkes neuron's rate (Hz).
    pub hawkes_hz: f64,
    /// The shape term about the Hawkes neuron (Hz, 6.6.12c).
    pub shape_hz: f64,
    /// The third-cumulant term (Hz, 6.6.12d).
    pub third_cumulant_hz: f64,
    /// Rule `C`'s rate on the same grid (Hz).
    pub rule_c_hz: f64,
}

/// Rule `H` in full (docs/theory.md 6.6.12e) at bias `bias` (mV): the Hawkes neuron
/// (`external` Poisson sources and the Hawkes `sources`) at resolution `res` with the
/// shape term about itself ([`hawkes_shape_term`] of the differences `diff` on `nodes`)
/// and the third-cumulant term ([`third_cumulant_term`] of `delta_k3`, mV^3), both at
/// `terms`, against rule `C` (`input` with the recurrent sources at the Fano factors `f`)
/// on the grid of `res`, the grid of the Hawkes neuron, so that part of the grid error
/// cancels in the ratio (the closure's: [`FULL_RESOLUTION`] and
/// [`HAWKES_SHAPE_RESOLUTION`]). The third-cumulant term moves the rate only (its effect
/// on `<V>` is not computed).
///
/// # Errors
///
/// [`Error::Domain`] if the rate with both terms is not positive; the errors of
/// [`hawkes_shape_term`], [`third_cumulant_sensitivities`] and the shot-noise solver.
#[allow(clippy::too_many_arguments)]
pub fn full_correction(
    lif: &LifParams,
    input: &ShotInput,
    external: &ShotInput,
    sources: &[HawkesSource],
    f: &[f64],
    bias: f64,
    nodes: &[(f64, f64)],
    diff: &[Vec<f64>],
    delta_k3: f64,
    res: &HawkesResolution,
    terms: &HawkesResolution,
) -> Result<FullCorrection> {
    let c =
        crate::transfer::shot_noise::stationary_with(lif, &input.with_fanos(f)?, bias, &res.grid)?;
    let hk = hawkes::stationary_with(lif, external, sources, bias, res)?;
    let (hawkes_hz, v_h) = (hk.rate, hk.mean_v);
    let (_, _, shape_hz, shape_v) =
        hawkes_shape_term(lif, external, sources, bias, nodes, diff, terms)?;
    let third_cumulant_hz = third_cumulant_term(lif, external, sources, bias, delta_k3, terms)?;
    let h = hawkes_hz + shape_hz + third_cumulant_hz;
    if !(h > 0.0 && h.is_finite() && c.rate > 0.0) {
        return Err(Error::Domain(format!(
            "rule H in full at bias {bias} mV: rate {h} Hz (Hawkes {hawkes_hz}, shape {shape_hz}, third cumulant {third_cumulant_hz}) against rule C's {} Hz",
            c.rate
        )));
    }
    Ok(FullCorrection {
        ln_rate: (h / c.rate).ln(),
        mean_v: v_h + shape_v - c.mean_v,
        hawkes_hz,
        shape_hz,
        third_cumulant_hz,
        rule_c_hz: c.rate,
    })
}

/// The free membrane's third cumulant (mV^3) under the trains of each presynaptic
/// population of a neuron of population `a` at `state` (docs/theory.md 6.6.12e): each
/// train a white-noise LIF renewal train (docs/theory.md 6.1) at its neuron's mean input,
/// [`crate::transfer::renewal::membrane_cumulants`] from its ISI Laplace transform at
/// `1/tau_m` and `2/tau_m` (`tau_m` of population `a`), averaged over the population's
/// Gaussian of mean inputs (every neuron, not rate-weighted: each is one train) and
/// times the in-degree and the cube of the jump. The trains' response to the colour of
/// their own input (6.6.10) is not in it.
///
/// # Errors
///
/// [`Error::Invalid`] for a population index out of range.
pub fn trains_membrane_k3(model: &Model, state: &State, a: usize) -> Result<Vec<f64>> {
    if a >= model.p() || state.populations.len() != model.p() {
        return Err(Error::invalid(
            "a",
            a,
            format!(
                "needs a population of the model ({}) and its state",
                model.p()
            ),
        ));
    }
    let tau = model.populations[a].tau_m;
    let rule = crate::quad::hermite_rule(X_NODES);
    Ok((0..model.p())
        .map(|b| {
            let q = &state.populations[b];
            let lif = LifParams::of(model, b);
            let sd = q.delta_mv2.max(0.0).sqrt();
            let (mut acc, mut norm) = (0.0, 0.0);
            for &(z, w) in rule.iter() {
                norm += w;
                let x = q.mean_input_mv + sd * z;
                let nu = crate::transfer::siegert::rate(&lif, x, q.sigma_mv);
                if !(nu > 1e-12) {
                    continue;
                }
                // L(j/tau_m)/(1 - L) - nu tau_m/j; the Poisson value 0 where L fails
                let excess = |j: f64| -> f64 {
                    let lam = num_complex::Complex64::new(j / tau, 0.0);
                    match diffusion::isi_laplace(&lif, x, q.sigma_mv, lam) {
                        Ok(l) if l.re.is_finite() && l.re < 1.0 => {
                            l.re / (1.0 - l.re) - nu * tau / j
                        }
                        _ => 0.0,
                    }
                };
                let (_, k3) = crate::transfer::renewal::membrane_cumulants(
                    nu * tau,
                    excess(1.0),
                    excess(2.0),
                );
                acc += w * k3;
            }
            if norm > 0.0 {
                model.k_in(b) * model.jump(a, b).powi(3) * acc / norm
            } else {
                0.0
            }
        })
        .collect())
}

/// The single-neuron rule `C` (docs/theory.md 6.6.6) for a neuron of population `a`
/// whose recurrent inputs are trains at the rates `nu` (Hz, one per population) that all
/// have the relative spectrum `rel(omega) = S(omega)/nu - 1` (`omega` in rad/s), and
/// Poisson external input, at mean input `x` (mV): the `chi_2`-weighted Fano factor
/// `F_chi` (three rounds from `f_start`, e.g. the trains' membrane Fano factor) and the
/// shot-noise rate (Hz) with every recurrent source at `F_chi`. Returns `(rate, F_chi)`.
///
/// # Errors
///
/// The errors of [`crate::transfer::response::second_order::chi2_fano`] and of the
/// shot-noise transfer.
pub fn rule_c_common(
    model: &Model,
    a: usize,
    nu: &[f64],
    rel: impl Fn(f64) -> f64,
    f_start: f64,
    x: f64,
) -> Result<(f64, f64)> {
    use crate::transfer::shot_noise::{Resolution, ShotNoise, TABLE_SPACING, population_input};
    let lif = LifParams::of(model, a);
    let tau = lif.tau_m;
    let input = population_input(model, a, nu)?;
    let white: f64 = (0..model.p())
        .map(|b| input.jumps_mv[b].powi(2) * input.rates_hz[b])
        .sum();
    let ext: f64 = (model.p()..input.jumps_mv.len())
        .map(|k| input.jumps_mv[k].powi(2) * input.rates_hz[k])
        .sum();
    let sigma = |f: f64| (tau * (white * f + ext)).sqrt();
    let f_chi =
        crate::transfer::response::second_order::chi2_fano(&lif, x, sigma, rel, f_start, 3, 2e4)?;
    let t = ShotNoise::with_resolution(
        lif,
        input.with_fanos(&vec![f_chi; model.p()])?,
        (x - 1.0, x + 1.0),
        TABLE_SPACING,
        Resolution::default(),
    )?;
    Ok((t.rate(x), f_chi))
}

/// The expansion point of rule `H`'s shape term (docs/theory.md 6.6.12b).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ShapePoint {
    /// `chi_2` of the Poisson-equivalent neuron at the Hawkes neuron's rate
    /// ([`shape_term`]; the closure's, 30-70 ms per evaluation).
    RateMatched,
    /// `chi_2` of the Hawkes-driven neuron itself ([`hawkes_shape_term`], docs/theory.md
    /// 6.4.2; 0.5-2 min per evaluation on 2 cores).
    Hawkes,
}

/// The single-neuron rule `H` (docs/theory.md 6.6.12) in the setting of
/// [`rule_c_common`], for trains with low-frequency level `s0 = S(0)/nu` and membrane
/// Fano factor `f_eff`: the rate with each recurrent population a self-inhibiting
/// (Hawkes) source of that level and membrane Fano factor (docs/theory.md 2.2.1), plus
/// the effect of the spectrum's shape, the shape term of `rel` minus the one-pole
/// spectrum (48 frequency nodes to [`OMEGA_MAX`]) about the expansion point `point`
/// ([`shape_term`] at `Resolution::fast`, or [`hawkes_shape_term`] at
/// [`HAWKES_SHAPE_RESOLUTION`]). Returns `(H, Hawkes rate, shape
/// term)` (Hz).
///
/// # Errors
///
/// As [`shape_term`], [`hawkes_shape_term`] and
/// [`crate::transfer::shot_noise::hawkes::stationary`].
#[allow(clippy::too_many_arguments)]
pub fn rule_h_common(
    model: &Model,
    a: usize,
    nu: &[f64],
    rel: impl Fn(f64) -> f64,
    s0: f64,
    f_eff: f64,
    x: f64,
    point: ShapePoint,
) -> Result<(f64, f64, f64)> {
    let tau = model.populations[a].tau_m;
    let input = crate::transfer::shot_noise::population_input(model, a, nu)?;
    let p = model.p();
    let (sources, external) = hawkes::split_input(&input, &vec![s0; p], &vec![f_eff; p], tau)?;
    let lif = LifParams::of(model, a);
    let bias = x - input.mean_drive(tau);
    let rate = hawkes::stationary(&lif, &external, &sources, bias)?.rate;
    let nodes = mapped_legendre_nodes(OMEGA_MAX, FREQUENCY_NODES, FREQUENCY_STRETCH);
    let diff: Vec<Vec<f64>> = sources
        .iter()
        .map(|src| {
            nodes
                .iter()
                .map(|&(w, _)| rel(w) + 1.0 - src.relative_spectrum(w))
                .collect()
        })
        .collect();
    let shape = match point {
        ShapePoint::RateMatched => {
            let res = crate::transfer::shot_noise::Resolution::fast();
            let f = vec![f_eff; p];
            shape_term(&lif, &input, &f, rate, bias, &nodes, &diff, &res)?.0
        }
        ShapePoint::Hawkes => {
            let res = &HAWKES_SHAPE_RESOLUTION;
            hawkes_shape_term(&lif, &external, &sources, bias, &nodes, &diff, res)?.2
        }
    };
    Ok((rate + shape, rate, shape))
}

/// Dead time (s) of the gamma renewal trains of the single-neuron checks of rule `H`
/// ([`GammaTrainsPoint`]).
pub const GAMMA_DEAD_TIME: f64 = 0.002;

/// The setting of rule `H`'s single-neuron checks with gamma renewal trains
/// (docs/theory.md 6.6.12, docs/closures.md "Rule H about the Hawkes neuron"): a neuron
/// of population `a` of a Model whose recurrent inputs from every population are gamma
/// trains of one rate and ISI CV with a dead time of [`GAMMA_DEAD_TIME`], and the Hawkes
/// sources that stand for them in rule `H` (one per population, `s0 = CV^2` and the
/// trains' membrane Fano factor, docs/theory.md 2.2.1).
#[derive(Clone, Debug)]
pub struct GammaTrainsPoint {
    /// The receiving neuron.
    pub lif: LifParams,
    /// The presynaptic trains.
    pub trains: crate::transfer::renewal::GammaRenewal,
    /// The input with Poisson trains at the same rates (recurrent sources first).
    pub input: ShotInput,
    /// One Hawkes source per presynaptic population.
    pub sources: Vec<HawkesSource>,
    /// The external (Poisson) sources.
    pub external: ShotInput,
}

impl GammaTrainsPoint {
    /// Trains of rate `nu_hz` (Hz) and ISI CV `cv` into population `a` of `model`.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] if `cv <= 0` or the mean interval `1/nu_hz` is not longer than
    /// the dead time; the errors of the population's input and of
    /// [`hawkes::split_input`].
    pub fn new(model: &Model, a: usize, nu_hz: f64, cv: f64) -> Result<Self> {
        let p = model.p();
        let input = crate::transfer::shot_noise::population_input(model, a, &vec![nu_hz; p])?;
        let lif = LifParams::of(model, a);
        let trains = crate::transfer::renewal::GammaRenewal::new(nu_hz, cv, GAMMA_DEAD_TIME)
            .ok_or_else(|| {
                Error::invalid(
                    "gamma trains",
                    format!("rate {nu_hz} Hz, CV {cv}"),
                    "need CV > 0 and a mean interval 1/rate longer than the 2 ms dead time",
                )
            })?;
        let f_eff = trains.fano_eff(lif.tau_m);
        let (sources, external) =
            hawkes::split_input(&input, &vec![cv * cv; p], &vec![f_eff; p], lif.tau_m)?;
        Ok(GammaTrainsPoint {
            lif,
            trains,
            input,
            sources,
            external,
        })
    }

    /// The bias (mV) of the Hawkes and shot-noise solvers at mean input `x_mv` (mV).
    pub fn bias(&self, x_mv: f64) -> f64 {
        x_mv - self.input.mean_drive(self.lif.tau_m)
    }

    /// The trains' relative spectrum less each source's one-pole one at `omegas` (rad/s),
    /// `diff[p][k] = S(omega_k)/nu - S_1,p(omega_k)/R_p`: what rule `H`'s shape term
    /// expands in (docs/theory.md 6.6.12b-c).
    pub fn shape_difference(&self, omegas: &[f64]) -> Vec<Vec<f64>> {
        let trains: Vec<f64> = omegas
            .iter()
            .map(|&om| self.trains.spectrum(om) / self.trains.nu)
            .collect();
        self.sources
            .iter()
            .map(|s| {
                omegas
                    .iter()
                    .zip(&trains)
                    .map(|(&om, t)| t - s.relative_spectrum(om))
                    .collect()
            })
            .collect()
    }

    /// The free membrane's third cumulant (mV^3) per presynaptic population, under its
    /// trains and under its Hawkes source (docs/theory.md 6.6.12d): `(K_p a_p^3 k3_train,
    /// k3(source p))`, the first from
    /// [`GammaRenewal::membrane_cumulants`](crate::transfer::renewal::GammaRenewal::membrane_cumulants),
    /// the second from [`HawkesSource::membrane_cumulants`]. The variances are equal by
    /// construction.
    pub fn membrane_k3_parts(&self) -> Vec<(f64, f64)> {
        let tau = self.lif.tau_m;
        let (_, k3_train) = self.trains.membrane_cumulants(tau);
        self.sources
            .iter()
            .map(|s| {
                (
                    s.rate_hz / self.trains.nu * s.jump_mv.powi(3) * k3_train,
                    s.membrane_cumulants(tau).1,
                )
            })
            .collect()
    }

    /// The free membrane's third cumulant (mV^3) under the trains less that under the
    /// Hawkes sources, summed over the presynaptic populations ([`Self::membrane_k3_parts`]).
    pub fn membrane_k3_difference(&self) -> f64 {
        self.membrane_k3_parts().iter().map(|(t, h)| t - h).sum()
    }
}

/// Rule `H`'s third-cumulant term (docs/theory.md 6.6.12d): the rate change (Hz) of the
/// Hawkes neuron (`lif`, Poisson input `external`, `sources`, bias `bias` in mV) when the
/// free membrane's third cumulant changes by `delta_k3` (mV^3) from its value under the
/// sources by a change of the input's correlations, `s3_c delta_k3` with `s3_c` of
/// [`third_cumulant_sensitivities`]. Six Hawkes solves at `res`.
///
/// # Errors
///
/// As [`third_cumulant_sensitivities`].
pub fn third_cumulant_term(
    lif: &LifParams,
    external: &ShotInput,
    sources: &[HawkesSource],
    bias: f64,
    delta_k3: f64,
    res: &HawkesResolution,
) -> Result<f64> {
    Ok(third_cumulant_sensitivities(lif, external, sources, bias, res)?.0 * delta_k3)
}

/// The Hawkes neuron's sensitivities `(s3_c, s3_w)` (Hz/mV^3) to a coloured and to a
/// coincident third cumulant of the free membrane ([`hawkes::coloured_third_cumulant_sensitivity`]),
/// probed at the jump and correlation time of the source with the largest jump (the third
/// cumulant goes with `a^3`: at the single-neuron checks' inputs the inhibitory trains
/// carry 97-98% of the difference; docs/theory.md 6.6.12d).
///
/// # Errors
///
/// As [`hawkes::coloured_third_cumulant_sensitivity`]; [`Error::Invalid`] without
/// sources.
pub fn third_cumulant_sensitivities(
    lif: &LifParams,
    external: &ShotInput,
    sources: &[HawkesSource],
    bias: f64,
    res: &HawkesResolution,
) -> Result<(f64, f64)> {
    let big = sources
        .iter()
        .max_by(|a, b| a.jump_mv.abs().total_cmp(&b.jump_mv.abs()))
        .ok_or_else(|| {
            Error::invalid(
                "sources",
                "none",
                "the third-cumulant term needs at least one Hawkes source",
            )
        })?;
    hawkes::coloured_third_cumulant_sensitivity(
        lif,
        external,
        sources,
        bias,
        big.jump_mv,
        big.tau_c,
        res,
    )
}
