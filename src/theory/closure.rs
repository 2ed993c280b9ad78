//! Which transfer function and which temporal-noise closure the theory uses
//! (docs/theory.md 2.1 and 2.2), in one place: every theory computation builds the transfer
//! function of a population through [`transfer_for`] or [`state_transfer`].
//!
//! - `siegert`: the diffusion approximation with noise `sigma_A` of docs/theory.md 2.1.
//! - `shot_noise`: Poisson shot noise with the Model's jump sizes and the presynaptic
//!   population rates (docs/theory.md 2.2), tabulated over the range of the population's inputs.
//!
//! Noise closures: `poisson` (`F = 1`) and `renewal` (`F_B = E_B[nu CV^2] / nu_B` from the
//! diffusion LIF's ISI CV, docs/theory.md 2.1). With shot noise a presynaptic Fano factor `F`
//! is represented by one Poisson source of jumps `F a` at rate `R / F`: same mean, variance
//! times `F` (see `ShotInput::with_fano`).

// `!(x > 0.0)` is the intended NaN-rejecting test, and the quadrature and series
// constants keep the digits of their sources.
#![allow(
    clippy::neg_cmp_op_on_partial_ord,
    clippy::excessive_precision,
    clippy::type_complexity
)]

use std::cell::RefCell;
use std::sync::Arc;

use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::model::{Model, NoiseClosure, TransferKind};
use crate::transfer::shot_noise::{Resolution, ShotNoise, TABLE_SPACING, population_input};
use crate::transfer::siegert::Siegert;
use crate::transfer::{LifParams, Transfer};

use super::state::State;

/// Margin of the table beyond that reach (mV).
const TABLE_MARGIN: f64 = 3.0;

thread_local! {
    // Shot-noise tables depend on the input rates only: the Newton solvers perturb other
    // unknowns (q, mu) at the same rates many times, so keep the last few tables.
    static CACHE: RefCell<Vec<(Vec<u64>, (f64, f64), Arc<ShotNoise>)>> = const { RefCell::new(Vec::new()) };
}

/// A shared transfer function (cheap to clone).
#[derive(Clone)]
pub struct SharedTransfer(Arc<dyn Transfer>);

impl SharedTransfer {
    /// Wrap a transfer function.
    pub fn new(t: impl Transfer + 'static) -> Self {
        SharedTransfer(Arc::new(t))
    }
}

impl Transfer for SharedTransfer {
    fn rate(&self, x: f64) -> f64 {
        self.0.rate(x)
    }
    fn drate_dx(&self, x: f64) -> f64 {
        self.0.drate_dx(x)
    }
    fn ln_rate(&self, x: f64) -> f64 {
        self.0.ln_rate(x)
    }
    fn mean_v(&self, x: f64) -> f64 {
        self.0.mean_v(x)
    }
    fn gaussian_moments(&self, mean: f64, var: f64) -> Option<crate::transfer::Moments> {
        self.0.gaussian_moments(mean, var)
    }
    fn breakpoints(&self) -> Vec<f64> {
        self.0.breakpoints()
    }
    fn inverse(&self, nu: f64) -> Option<f64> {
        self.0.inverse(nu)
    }
    fn input_range(&self) -> Option<(f64, f64)> {
        self.0.input_range()
    }
}

/// The key of a shot-noise table in the cache: everything its input depends on.
fn table_key(model: &Model, a: usize, nu: &[f64], fano: &[f64]) -> Vec<u64> {
    let lif = LifParams::of(model, a);
    let mut key: Vec<u64> = vec![
        a as u64,
        lif.tau_m.to_bits(),
        lif.theta.to_bits(),
        lif.v_reset.to_bits(),
        lif.tau_ref.to_bits(),
    ];
    key.extend(nu.iter().chain(fano).map(|v| v.to_bits()));
    key.extend((0..model.p()).map(|b| model.jump(a, b).to_bits()));
    key.extend([
        model.jump_ext(a).to_bits(),
        model.k.to_bits(),
        model.external.nu0.to_bits(),
    ]);
    key
}

/// Shot-noise tables of population `a` (docs/theory.md 2.2) at presynaptic rates `nu`,
/// one per request `(fano, range)`: the presynaptic Fano factors and the inputs (mV) it
/// must cover. Tables of this thread's cache are reused; the missing ones are
/// independent and built in parallel, then kept in this thread's cache.
fn shot_noise_tables(
    model: &Model,
    a: usize,
    nu: &[f64],
    requests: &[(&[f64], (f64, f64))],
) -> Result<Vec<Arc<ShotNoise>>> {
    let keys: Vec<Vec<u64>> = requests
        .iter()
        .map(|(fano, _)| table_key(model, a, nu, fano))
        .collect();
    let found: Vec<Option<Arc<ShotNoise>>> = keys
        .iter()
        .zip(requests)
        .map(|(key, (_, range))| {
            CACHE.with(|c| {
                c.borrow()
                    .iter()
                    .find(|(k, r, _)| k == key && r.0 <= range.0 && r.1 >= range.1)
                    .map(|(_, _, t)| t.clone())
            })
        })
        .collect();
    let build = |&(fano, range): &(&[f64], (f64, f64))| -> Result<Arc<ShotNoise>> {
        let mut input = population_input(model, a, nu)?;
        for (b, &f) in fano.iter().enumerate() {
            if (f - 1.0).abs() > 1e-15 && f > 0.0 {
                input = input.with_fano(b, f)?;
            }
        }
        // The coarser resolution (0.02 mV cells) is 4 times cheaper and accurate to 2e-5
        // relative at the operating point (3.6e-4 at 0.26 Hz): far below the
        // percent-level differences the theory is compared on.
        Ok(Arc::new(ShotNoise::with_resolution(
            LifParams::of(model, a),
            input,
            range,
            TABLE_SPACING,
            Resolution::fast(),
        )?))
    };
    let missing: Vec<usize> = (0..requests.len())
        .filter(|&k| found[k].is_none())
        .collect();
    // one missing table (the common case) is built on this thread, several in parallel
    let built: Vec<Result<Arc<ShotNoise>>> = if missing.len() > 1 {
        missing.par_iter().map(|&k| build(&requests[k])).collect()
    } else {
        missing.iter().map(|&k| build(&requests[k])).collect()
    };
    let mut built = built.into_iter();
    let mut tables = Vec::with_capacity(requests.len());
    for ((hit, key), (_, range)) in found.into_iter().zip(keys).zip(requests) {
        let t = match hit {
            Some(t) => t,
            None => {
                let t = built.next().expect("one built table per missing one")?;
                CACHE.with(|c| {
                    let mut c = c.borrow_mut();
                    if c.len() >= 64 {
                        c.remove(0);
                    }
                    c.push((key, *range, t.clone()));
                });
                t
            }
        };
        tables.push(t);
    }
    Ok(tables)
}

/// The inputs (mV) a population's plain shot-noise table covers (docs/theory.md 2.2):
/// what the Gaussian averages sample (`gauss::Z_MAX` sd around the mean, and 5 sd around
/// each kink of the transfer function: `b = theta`, i.e. `x = theta + drive`, and
/// `x = theta`), so that no direct evaluation is needed, rounded outwards to 1 mV so
/// that nearby requests share a table.
fn table_range(model: &Model, a: usize, nu: &[f64], mean: f64, delta: f64) -> Result<(f64, f64)> {
    let sd = delta.max(0.0).sqrt();
    let theta = model.populations[a].theta;
    let drive = population_input(model, a, nu)?.mean_drive(model.populations[a].tau_m);
    let reach = (crate::gauss::Z_MAX + 0.5) * sd;
    let mut lo = mean - reach;
    let mut hi = mean + reach;
    for k in [theta, theta + drive] {
        if sd > 0.0 && ((k - mean) / sd).abs() < 40.0 {
            lo = lo.min(k - 5.5 * sd);
            hi = hi.max(k + 5.5 * sd);
        }
    }
    let range = ((lo - TABLE_MARGIN).floor(), (hi + TABLE_MARGIN).ceil());
    if !(range.0.is_finite() && range.1.is_finite()) {
        return Err(Error::Domain(format!(
            "shot-noise table range not finite: mean {mean}, delta {delta}"
        )));
    }
    Ok(range)
}

/// The transfer function and noise closure of a Model, chosen once (docs/theory.md 2.1,
/// 2.2): the solvers ask this object how to proceed (which Fano-factor iteration, which
/// cheaper Model gives starting points) instead of branching on the Model's fields, and
/// [`transfer_for`] builds the transfer function it names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Closure {
    pub transfer: TransferKind,
    pub noise: NoiseClosure,
}

/// How a noise closure's presynaptic Fano factors are iterated to self-consistency around
/// the inner stationary solve (docs/theory.md 2.1): the map from a state to the target
/// Fano factors, the damping of the plain step, whether the steps are Anderson-accelerated,
/// and the name used in errors.
pub(crate) struct FanoIteration {
    pub map: fn(&Model, &State) -> Result<Vec<f64>>,
    pub damping: f64,
    pub accelerate: bool,
    pub what: &'static str,
}

impl Closure {
    /// The closure a Model asks for.
    pub fn of(model: &Model) -> Self {
        Closure {
            transfer: model.transfer,
            noise: model.noise,
        }
    }

    /// The Fano-factor iteration of the noise closure; `None` for Poisson (`F = 1`).
    pub(crate) fn fano_iteration(&self) -> Option<FanoIteration> {
        match self.noise {
            NoiseClosure::Poisson => None,
            NoiseClosure::Renewal => Some(FanoIteration {
                map: renewal_fano,
                damping: 0.7,
                accelerate: true,
                what: "renewal noise closure (Fano factors)",
            }),
            NoiseClosure::Spectral => Some(FanoIteration {
                map: spectral_fano,
                damping: 0.8,
                accelerate: true,
                what: "spectral noise closure (Fano factors)",
            }),
            NoiseClosure::Correlated | NoiseClosure::CorrelatedFull => Some(FanoIteration {
                map: correlated_fano,
                // The unknowns that set the rates are the input-dependent Fano factors
                // (docs/theory.md 6.6.11), updated from each round's state; the
                // population-level ones only set the closure noise of the spectra. The
                // plain step contracts by about 10 per round here; accelerating the
                // population-level factors alone disturbed it (13 against 15-25 rounds
                // per solve on the default model).
                damping: 1.0,
                accelerate: false,
                what: "correlated noise closure (Fano factors)",
            }),
        }
    }

    /// The cheaper Model that brackets the Model's latent fixed points and whose
    /// solutions start the Model's stationary solves and multi-start searches
    /// (docs/theory.md 2.4): the diffusion-approximation (Siegert)
    /// transfer function if the Model's is the shot-noise one (shot-noise evaluations
    /// cost milliseconds), and for the correlated closure the spectral closure's Fano
    /// factors (docs/theory.md 2.1), whose fixed points lie within a few percent of the
    /// correlated ones at a small fraction of the cost of the input-dependent weighting
    /// (docs/theory.md 6.6.11). `None` if the Model is its own cheapest start.
    pub(crate) fn diffusion_model(&self, model: &Model) -> Option<Model> {
        let correlated = self.noise.is_correlated();
        (self.transfer == TransferKind::ShotNoise || correlated).then(|| {
            let mut m = model.clone();
            m.transfer = TransferKind::Siegert;
            if correlated {
                m.noise = NoiseClosure::Spectral;
            }
            m
        })
    }

    /// The same Model with Siegert + Poisson, if the Model's closure costs more (shot
    /// noise, renewal or spectral: 10-100 times a Siegert solve per evaluation): the
    /// latent fixed-point search of docs/theory.md 2.4 runs on it and starts Newton with
    /// the full Model from each point it finds.
    pub(crate) fn search_model(&self, model: &Model) -> Option<Model> {
        (self.transfer != TransferKind::Siegert || self.noise != NoiseClosure::Poisson).then(|| {
            let mut m = model.clone();
            m.transfer = TransferKind::Siegert;
            m.noise = NoiseClosure::Poisson;
            m
        })
    }
}

/// The transfer function of population `a` (docs/theory.md 2.2) for the Model's `transfer`
/// choice, at presynaptic rates `nu` (Hz), effective presynaptic Fano factors `fano`
/// (1 for Poisson), white-noise `sigma` (mV, used by Siegert), for inputs around
/// `N(mean, delta)` (mV, mV^2; sets the range of a shot-noise table).
pub fn transfer_for(
    model: &Model,
    a: usize,
    nu: &[f64],
    fano: &[f64],
    sigma: f64,
    mean: f64,
    delta: f64,
) -> Result<SharedTransfer> {
    transfer_for_input(model, a, nu, fano, sigma, mean, delta, None)
}

/// [`transfer_for`] with, for the correlated closure, the Fano factors that depend on
/// the receiving neuron's own mean input (docs/theory.md 6.6.11): the transfer function
/// at `x` is that of the noise `F(x)`, blended between the grid points of `per_input`
/// (geometric in the rate, linear in the mean potential). Without `per_input`, or for
/// the other closures, as [`transfer_for`].
#[allow(clippy::too_many_arguments)]
pub fn transfer_for_input(
    model: &Model,
    a: usize,
    nu: &[f64],
    fano: &[f64],
    sigma: f64,
    mean: f64,
    delta: f64,
    per_input: Option<&super::correlated::InputFano>,
) -> Result<SharedTransfer> {
    if let Some(g) = per_input.filter(|g| {
        model.noise.is_correlated() && g.x_mv.len() >= 2 && g.fano.len() == g.x_mv.len()
    }) {
        let n = g.x_mv.len();
        let sigma_k = |k: usize| {
            let nu_f: Vec<f64> = nu.iter().zip(&g.fano[k]).map(|(v, fb)| v * fb).collect();
            super::inputs::noise_sigma(model, a, &nu_f)
        };
        let tables: Vec<SharedTransfer> = match model.transfer {
            TransferKind::Siegert => (0..n)
                .map(|k| {
                    SharedTransfer(Arc::new(Siegert {
                        lif: LifParams::of(model, a),
                        sigma: sigma_k(k),
                    }))
                })
                .collect(),
            TransferKind::ShotNoise => {
                // table k serves [x_{k-1}, x_{k+1}]; the end tables also the range
                // beyond the grid that the plain table covers
                let plain = table_range(model, a, nu, mean, delta)?;
                let requests: Vec<(&[f64], (f64, f64))> = (0..n)
                    .map(|k| {
                        let lo = if k == 0 {
                            plain.0.min(g.x_mv[0])
                        } else {
                            g.x_mv[k - 1]
                        };
                        let hi = if k + 1 == n {
                            plain.1.max(g.x_mv[n - 1])
                        } else {
                            g.x_mv[k + 1]
                        };
                        (
                            g.fano[k].as_slice(),
                            ((lo - 1.0).floor(), (hi + 1.0).ceil()),
                        )
                    })
                    .collect();
                shot_noise_tables(model, a, nu, &requests)?
                    .into_iter()
                    .map(|t| SharedTransfer(t))
                    .collect()
            }
        };
        let breakpoints = match model.transfer {
            TransferKind::Siegert => {
                crate::transfer::siegert::breakpoints(&LifParams::of(model, a), sigma)
            }
            TransferKind::ShotNoise => tables[0].breakpoints(),
        };
        return Ok(SharedTransfer::new(PerInput {
            grid: g.clone(),
            tables,
            breakpoints,
        }));
    }
    if model.noise == NoiseClosure::Spectral {
        return colored_transfer(model, a, nu, fano, sigma, mean, delta);
    }
    match model.transfer {
        TransferKind::Siegert => Ok(SharedTransfer(Arc::new(Siegert {
            lif: LifParams::of(model, a),
            sigma,
        }))),
        TransferKind::ShotNoise => {
            let range = table_range(model, a, nu, mean, delta)?;
            let mut tables = shot_noise_tables(model, a, nu, &[(fano, range)])?;
            Ok(SharedTransfer(tables.remove(0)))
        }
    }
}

/// The correlated closure's transfer function with input-dependent Fano factors
/// (docs/theory.md 6.6.11): at `x` between grid points `k` and `k + 1` (weight `w`),
/// `ln Phi = (1 - w) ln Phi_k + w ln Phi_{k+1}` with `Phi_k` the transfer function at
/// the Fano factors of grid point `k`; beyond the ends, the end's. Rule `H`'s corrections
/// of the grid (docs/theory.md 6.6.12), interpolated linearly, are added to `ln Phi` and
/// to the mean potential.
struct PerInput {
    grid: super::correlated::InputFano,
    tables: Vec<SharedTransfer>,
    breakpoints: Vec<f64>,
}

impl PerInput {
    /// `ln Phi(x)`, and the segment it was blended on with the two tables' `ln Phi`.
    fn ln_blend(&self, x: f64) -> (f64, usize, f64, f64, f64) {
        let (k, w) = self.grid.segment(x);
        let l0 = self.tables[k].ln_rate(x);
        if w == 0.0 {
            return (l0, k, w, l0, l0);
        }
        let l1 = self.tables[k + 1].ln_rate(x);
        ((1.0 - w) * l0 + w * l1, k, w, l0, l1)
    }

    /// `ln Phi_C(x)` of the blend and the derivative of `ln Phi_C` (1/mV).
    fn ln_c_and_slope(&self, x: f64) -> (f64, f64) {
        let (ln, k, w, l0, l1) = self.ln_blend(x);
        let t0 = &self.tables[k];
        if w == 0.0 {
            let r = l0.exp();
            return (ln, if r > 0.0 { t0.drate_dx(x) / r } else { 0.0 });
        }
        if !(l0.is_finite() && l1.is_finite()) {
            return (ln, 0.0);
        }
        let t1 = &self.tables[k + 1];
        let dx = self.grid.x_mv[k + 1] - self.grid.x_mv[k];
        (
            ln,
            (1.0 - w) * t0.drate_dx(x) / l0.exp() + w * t1.drate_dx(x) / l1.exp() + (l1 - l0) / dx,
        )
    }
}

// Each method evaluates only the tables' quantities it needs: the Gaussian averages
// (docs/theory.md 2.3) call all three at every node.
impl Transfer for PerInput {
    fn rate(&self, x: f64) -> f64 {
        self.ln_rate(x).exp()
    }
    fn drate_dx(&self, x: f64) -> f64 {
        let (ln, slope) = self.ln_c_and_slope(x);
        let (c, dc, _) = self.grid.correction_at(x);
        let r = (ln + c).exp();
        if !(r > 0.0) {
            return 0.0;
        }
        r * (slope + dc)
    }
    fn ln_rate(&self, x: f64) -> f64 {
        self.ln_blend(x).0 + self.grid.correction_at(x).0
    }
    fn mean_v(&self, x: f64) -> f64 {
        let (k, w) = self.grid.segment(x);
        let dv = self.grid.correction_at(x).2;
        let v0 = self.tables[k].mean_v(x);
        if w == 0.0 {
            return v0 + dv;
        }
        (1.0 - w) * v0 + w * self.tables[k + 1].mean_v(x) + dv
    }
    fn breakpoints(&self) -> Vec<f64> {
        self.breakpoints.clone()
    }
}

/// The transfer function of population `a` in a solved `state` (docs/theory.md 2.2).
pub fn state_transfer(model: &Model, state: &State, a: usize) -> Result<SharedTransfer> {
    let p = &state.populations[a];
    transfer_for_input(
        model,
        a,
        &state.rates(),
        &state.fano(),
        p.sigma_mv,
        p.mean_input_mv,
        p.delta_mv2,
        p.input_fano.as_ref(),
    )
}

/// Cache statistics are not exposed; this only empties the per-thread table cache.
pub fn clear_cache() {
    CACHE.with(|c| c.borrow_mut().clear());
}

/// Renewal closure (docs/theory.md 2.1): the effective Fano factor of each population's spike
/// trains, `F_B = E_B[nu CV^2] / nu_B`, with the ISI CV of the diffusion LIF (Brunel 2000,
/// appendix) at each neuron's mean input and the population's `sigma`, averaged over the
/// Gaussian of inputs. The same `F_B` is used with the shot-noise transfer function.
pub fn renewal_fano(model: &Model, state: &State) -> Result<Vec<f64>> {
    rate_weighted_fano(model, state, "renewal", |_, lif, x, sigma| {
        crate::transfer::siegert::cv_isi(lif, x, sigma).powi(2)
    })
}

/// `F_B = E_B[nu F] / nu_B` for each population (docs/theory.md 2.1): a per-neuron Fano factor
/// `fano(b, lif, x, sigma)` (population `b`, its LIF parameters, the neuron's mean input
/// `x` and the population's `sigma`, both mV) weighted by the neuron's rate and averaged
/// over the population's Gaussian of inputs. Shared by the renewal and spectral closures;
/// `label` names the closure in errors.
pub fn rate_weighted_fano(
    model: &Model,
    state: &State,
    label: &str,
    fano: impl Fn(usize, &LifParams, f64, f64) -> f64,
) -> Result<Vec<f64>> {
    state
        .populations
        .iter()
        .enumerate()
        .map(|(b, p)| {
            let lif = LifParams::of(model, b);
            let t = state_transfer(model, state, b)?;
            let bps = crate::transfer::siegert::breakpoints(&lif, p.sigma_mv);
            let f = |x: f64| {
                let nu = t.rate(x);
                if nu <= 0.0 {
                    0.0
                } else {
                    nu * fano(b, &lif, x, p.sigma_mv)
                }
            };
            let num = if p.delta_mv2 > 0.0 {
                crate::gauss::expect_split(f, p.mean_input_mv, p.delta_mv2, &bps)
            } else {
                f(p.mean_input_mv)
            };
            let value = if p.rate_hz > 0.0 {
                num / p.rate_hz
            } else {
                1.0
            };
            if !value.is_finite() || value <= 0.0 {
                return Err(Error::Domain(format!(
                    "{label} Fano factor of population {} is {value}",
                    p.name
                )));
            }
            Ok(value)
        })
        .collect()
}

/// Spectral closure (docs/theory.md 2.1): `F_B = E_B[nu F_eff] / nu_B` for each population,
/// the rate from the population's (colored) transfer function and `F_eff` that of the
/// spike train of the white-noise LIF model behind that rate: [`super::spectral::lif_fano_eff`] at the
/// shifted input `x + delta` and `sigma_eff` (see [`colored_transfer`]), so that the
/// train's spectrum and the neuron's rate come from one renewal model (Dummer, Wieland &
/// Lindner 2014 close the same loop with the full spectrum). Averaged over the Gaussian
/// of inputs. The presynaptic `tau_m` filters the train: with equal `tau_m` (all
/// presets) this is the receiving membrane's.
///
/// Measured against the network (`balnet compare`, column `F`): this `F` is still about
/// 15% above the simulated trains' membrane Fano factor, because neurons driven by input
/// that lacks slow fluctuations fire more regularly than under white noise of the same
/// variance; see `docs/closures.md`.
pub fn spectral_fano(model: &Model, state: &State) -> Result<Vec<f64>> {
    let nu = state.rates();
    let fano = state.fano();
    let shifts: Vec<f64> = (0..state.populations.len())
        .map(|b| super::spectral::colored_shift(model, b, &nu, &fano).0)
        .collect();
    rate_weighted_fano(model, state, "spectral", |b, lif, x, sigma| {
        super::spectral::lif_fano_eff(lif, x + shifts[b], sigma)
    })
}

/// Correlated closure (docs/theory.md 6.6.6): the presynaptic spike-train spectra weighted
/// by the second-order response, [`super::correlated::chi2_weighted_fano`].
pub fn correlated_fano(model: &Model, state: &State) -> Result<Vec<f64>> {
    super::correlated::chi2_weighted_fano(model, state, |b| state_transfer(model, state, b))
}

/// The membrane Fano factors of the trains as the correlated closure models them at
/// `state` (docs/theory.md 6.6.10), per population and per neuron:
/// [`super::correlated::train_fano`].
pub fn correlated_train_fano(
    model: &Model,
    state: &State,
) -> Result<Vec<super::correlated::TrainFano>> {
    super::correlated::train_fano(model, state, |b| state_transfer(model, state, b))
}

/// The spectral closure's transfer function of population `a` (docs/theory.md 2.1-2.2): the
/// Model's transfer (Siegert at `sigma` = `sigma_eff`, or shot noise with the Fano-scaled
/// sources) shifted by [`super::spectral::colored_shift`]. Arguments as [`transfer_for`].
pub fn colored_transfer(
    model: &Model,
    a: usize,
    nu: &[f64],
    fano: &[f64],
    sigma: f64,
    mean: f64,
    delta: f64,
) -> Result<SharedTransfer> {
    let (shift, _, _) = super::spectral::colored_shift(model, a, nu, fano);
    let mut base_model = model.clone();
    base_model.noise = NoiseClosure::Poisson;
    let base = transfer_for(&base_model, a, nu, fano, sigma, mean + shift, delta)?;
    Ok(SharedTransfer::new(super::spectral::Shifted {
        base,
        shift,
        tau_ref: model.populations[a].tau_ref,
    }))
}
