//! Theory versus simulation (docs/theory.md section 3): the same Model is simulated and solved,
//! the theory evaluated with the loading moments actually drawn in the simulated network
//! (docs/theory.md section 5), and the two put side by side per epoch of constant input `s`.

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::gauss;
use crate::model::{Model, NoiseClosure, TransferKind};
use crate::sim::SimResult;
use crate::theory::dynamics::{self, DynamicsOptions, Trajectory};
use crate::theory::latent::{self, SearchBox};
use crate::theory::predictions::TuningContrast;
use crate::theory::predictions::counting::count_cdf;
use crate::theory::{Limit, State, stationary};
use crate::transfer::Transfer;

/// `|kappa|` (Hz) below which no relative error of `kappa` is reported: there the
/// finite-N offset of the readout (about 0.7 Hz for the default model) dominates.
pub const KAPPA_REL_MIN_HZ: f64 = 1.0;

/// Golomb's chi above which a state is flagged as not asynchronous (docs/theory.md 2.7).
/// Asynchronous states of finite networks have chi of order 1/sqrt(N) to 0.3 (the
/// default model's fast ripple gives about 0.3); synchronous-irregular states approach 1.
pub const CHI_ASYNC_THRESHOLD: f64 = 0.5;

/// One population in one epoch: theory and simulation side by side.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PopulationComparison {
    /// Population name.
    pub name: String,
    /// Theory: population rate `nu_A` (Hz).
    pub rate_theory_hz: f64,
    /// Simulation: population rate averaged over the epoch window (Hz).
    pub rate_sim_hz: f64,
    /// `(sim - theory) / theory`.
    pub rate_rel_err: f64,
    /// Theory: population-mean membrane potential `<V>_A` (mV), docs/theory.md 2.6.1.
    pub mean_v_theory_mv: f64,
    /// Simulation: population-mean membrane potential averaged over the epoch window (mV).
    pub mean_v_sim_mv: f64,
    /// `sim - theory` (mV).
    pub mean_v_diff_mv: f64,
    /// Kolmogorov-Smirnov distance between the simulated single-neuron rates of the epoch
    /// and the theory's rate distribution convolved with the counting noise of the window.
    pub ks_counting: f64,
    /// Theory: probability that a neuron emits no spike in the window (counting-noise aware).
    pub silent_theory: f64,
    /// Simulation: fraction of neurons without a spike in the window.
    pub silent_sim: f64,
    /// Theory: standard deviation of rates across neurons (Hz), without counting noise.
    pub rate_sd_theory_hz: f64,
    /// Simulation: standard deviation of measured rates across neurons (Hz).
    pub rate_sd_sim_hz: f64,
    /// Theory: membrane Fano factor `F` of the population's spike trains as the closure
    /// models them: with `noise = "correlated"` its own spectra (docs/theory.md 6.6.10),
    /// otherwise the spectral closure's model at this state (docs/theory.md 2.1; that `F`
    /// enters the theory only with `noise = "spectral"`, Poisson uses 1, renewal its
    /// `CV^2` mean). Null if the model cannot be evaluated at the state.
    #[serde(with = "crate::sim::nan_null")]
    pub membrane_fano_theory: f64,
    /// Simulation: membrane Fano factor measured from the spike trains of the window
    /// ([`crate::sim::epochs::EpochCounter::membrane_fano`]); null if not recorded.
    #[serde(with = "crate::sim::nan_null")]
    pub membrane_fano_sim: f64,
    /// The membrane Fano factor by band of single-neuron rate, theory (the correlated
    /// closure's own model of the trains, docs/theory.md 6.6.10; for the other closures
    /// the spectral closure's model at this state, 2.1) and simulation: does a neuron of
    /// a given rate fire as regularly as the theory says, apart from how many neurons
    /// have that rate?
    pub fano_by_rate: Vec<FanoBand>,
}

/// Membrane Fano factor of the neurons whose rate lies in `[lo_hz, hi_hz)`, rate-weighted
/// (docs/theory.md 2.1). The simulated rates carry counting noise (`1 / window` Hz), which
/// mixes neighbouring bands at low rates.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FanoBand {
    pub lo_hz: f64,
    /// Upper edge (Hz); `null` in JSON for the last, unbounded band.
    #[serde(with = "crate::sim::inf_null")]
    pub hi_hz: f64,
    /// `E[nu F(x) ; nu(x) in band] / E[nu ; band]` over the population's Gaussian of
    /// mean inputs, `F(x)` a neuron's value as the closure models the trains (the
    /// correlated closure's spectra, else the spectral closure's `F_LIF(x + delta,
    /// sigma_eff)`); null if the band is empty in theory.
    #[serde(with = "crate::sim::nan_null")]
    pub fano_theory: f64,
    /// `sum nu_i F_i / sum nu_i` over the simulated neurons of the band (null if none).
    #[serde(with = "crate::sim::nan_null")]
    pub fano_sim: f64,
    /// Simulated neurons in the band.
    pub n_sim: usize,
}

/// How a theory variant models the presynaptic trains' membrane Fano factors
/// (docs/theory.md section 3, "Regularity of the trains").
enum TrainModel {
    /// The correlated closure's own spectra (docs/theory.md 6.6.10).
    Correlated(Vec<crate::theory::correlated::TrainFano>),
    /// The correlated closure's model could not be evaluated at the state: null.
    Unavailable,
    /// The other closures: the spectral closure's model (docs/theory.md 2.1).
    Spectral,
}

impl TrainModel {
    fn of(model: &Model, state: &State) -> Self {
        if !model.noise.is_correlated() {
            return Self::Spectral;
        }
        crate::theory::closure::correlated_train_fano(model, state)
            .map_or(Self::Unavailable, Self::Correlated)
    }

    /// The population values (NaN where unavailable).
    fn populations(&self, model: &Model, state: &State) -> Vec<f64> {
        let nan = vec![f64::NAN; state.populations.len()];
        match self {
            Self::Correlated(t) => t.iter().map(|f| f.population).collect(),
            Self::Unavailable => nan,
            Self::Spectral => crate::theory::closure::spectral_fano(model, state).unwrap_or(nan),
        }
    }

    /// The value of a neuron of population `a` by its mean input (mV).
    fn neuron(&self, model: &Model, state: &State, a: usize) -> Box<dyn Fn(f64) -> f64> {
        match self {
            Self::Correlated(t) => {
                let t = t[a].clone();
                Box::new(move |x| t.at(x))
            }
            Self::Unavailable => Box::new(|_| f64::NAN),
            Self::Spectral => Box::new(crate::theory::spectral::neuron_fano(model, state, a)),
        }
    }
}

/// Rate bands of [`FanoBand`] (Hz).
pub const FANO_BANDS_HZ: [f64; 7] = [1.0, 3.0, 6.0, 12.0, 24.0, 48.0, f64::INFINITY];

fn fano_by_rate(
    model: &Model,
    state: &State,
    a: usize,
    fano_of: &dyn Fn(f64) -> f64,
    rates_sim: &[f64],
    fano_sim: &[f64],
) -> Result<Vec<FanoBand>> {
    let p = &state.populations[a];
    let lif = crate::transfer::LifParams::of(model, a);
    let t = crate::theory::closure::state_transfer(model, state, a)?;
    Ok(FANO_BANDS_HZ
        .windows(2)
        .map(|w| {
            let (lo, hi) = (w[0], w[1]);
            let in_band = |x: f64| {
                let r = t.rate(x);
                (r >= lo && r < hi).then_some(r)
            };
            let mut bps: Vec<f64> = [lo, hi]
                .iter()
                .filter(|v| v.is_finite())
                .filter_map(|&v| t.inverse(v))
                .collect();
            bps.push(lif.theta);
            let num = gauss::expect_split(
                |x| in_band(x).map_or(0.0, |r| r * fano_of(x)),
                p.mean_input_mv,
                p.delta_mv2,
                &bps,
            );
            let den = gauss::expect_split(
                |x| in_band(x).unwrap_or(0.0),
                p.mean_input_mv,
                p.delta_mv2,
                &bps,
            );
            let (mut sn, mut sd, mut n) = (0.0, 0.0, 0);
            for (r, f) in rates_sim.iter().zip(fano_sim) {
                if *r >= lo && *r < hi && f.is_finite() {
                    sn += r * f;
                    sd += r;
                    n += 1;
                }
            }
            FanoBand {
                lo_hz: lo,
                hi_hz: hi,
                fano_theory: if den > 0.0 { num / den } else { f64::NAN },
                fano_sim: if sd > 0.0 { sn / sd } else { f64::NAN },
                n_sim: n,
            }
        })
        .collect())
}

/// One epoch of constant input.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EpochComparison {
    /// Measured window (s from the start of the simulation).
    pub window_s: [f64; 2],
    /// Latent input `s` in the epoch.
    pub s: Vec<f64>,
    /// Theory: the stable latent fixed point nearest to the simulated `kappa` (Hz).
    pub kappa_theory_hz: Vec<f64>,
    /// Simulation: `kappa(t)` averaged over the window (Hz).
    pub kappa_sim_hz: Vec<f64>,
    /// `(sim - theory) / |theory|` of the first component; null at `kappa = 0`.
    pub kappa_rel_err: Option<f64>,
    /// Per population, in Model order.
    pub populations: Vec<PopulationComparison>,
}

/// Everything compared for one theory variant.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TheoryComparison {
    /// `siegert` or `shot_noise`.
    pub transfer: TransferKind,
    /// `poisson`, `renewal` or `spectral` (docs/theory.md 2.1).
    pub noise: NoiseClosure,
    /// Always `finite` here: a simulated network has finite K.
    pub limit: Limit,
    /// One entry per epoch of constant input (see [`epochs()`]).
    pub epochs: Vec<EpochComparison>,
    /// Coherent shift of the population mean V per unit change of `kappa` between the
    /// first and last epoch (mV/Hz), per population: `[theory, sim]`.
    pub dv_dkappa_mv_per_hz: Vec<[f64; 2]>,
    /// The theory's latent trajectory along the Model's signal, recorded at the
    /// integrator's steps (dense in transients, sparse at fixed points); empty for a
    /// variant without trajectory.
    pub trajectory: Trajectory,
    /// Wall-clock time of this variant (s).
    #[serde(default)]
    pub wall_s: f64,
}

/// The single-neuron rate distribution of one population in one epoch, simulation against
/// theory with counting noise (docs/theory.md section 3), on logarithmic rate bins; the
/// silent neurons (no spike in the window) are counted apart.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RateHistogram {
    /// Population name.
    pub population: String,
    /// Index of the epoch in [`TheoryComparison::epochs`].
    pub epoch: usize,
    /// The epoch's window (s from the start of the simulation).
    pub window_s: [f64; 2],
    /// Latent input `s` in the epoch.
    pub s: Vec<f64>,
    /// Transfer function of the theory drawn.
    pub transfer: TransferKind,
    /// Noise closure of the theory drawn.
    pub noise: NoiseClosure,
    /// Bin edges (Hz): half-integer spike counts over the window, spaced logarithmically,
    /// so that every bin holds whole counts (no aliasing of the count lattice `k / window`).
    pub edges_hz: Vec<f64>,
    /// Simulation: fraction of the population's neurons in each bin.
    pub sim_fraction: Vec<f64>,
    /// Theory: probability of a neuron's count falling in each bin (counting noise with
    /// the measured ISI CV, [`crate::theory::predictions::counting::count_cdf`]).
    pub theory_fraction: Vec<f64>,
    /// Simulation: fraction of neurons without a spike in the window.
    pub silent_sim: f64,
    /// Theory: probability of no spike in the window.
    pub silent_theory: f64,
}

/// The full comparison report (written as `report.json`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Report {
    /// Model name.
    pub model: String,
    /// Integration scheme of the simulation (grid or precise).
    pub sim_mode: crate::model::SimMode,
    /// Time step of the simulation (s).
    pub dt_s: f64,
    /// Simulated time after the warm-up (s).
    pub duration_s: f64,
    /// Warm-up (s), excluded from every measurement.
    pub warmup_s: f64,
    /// Random seed of the simulation.
    pub seed: u64,
    /// Total number of neurons.
    pub n_neurons: usize,
    /// Measured statistics without a theory counterpart here, per population.
    pub sim_statistics: Vec<SimStatistics>,
    /// Whether every population passed the asynchrony check (chi below [`CHI_ASYNC_THRESHOLD`]).
    pub asynchronous: bool,
    /// Expected finite-N offset of a `kappa` measured at `kappa = 0` (Hz), docs/theory.md section 3:
    /// `sqrt(sum_B c_B^2 Var(n) q_B / N_B) / |1 - L|` with `L` the latent loop gain.
    pub kappa_finite_n_offset_hz: f64,
    /// One comparison per transfer function requested.
    pub theories: Vec<TheoryComparison>,
    /// Population-rate spectra, theory (the first variant's states) vs simulation, per
    /// epoch (docs/theory.md 6.5).
    #[serde(default)]
    pub spectra: Option<SpectrumComparison>,
    /// Index in `theories` of the variant the figures draw as the main theory: the most
    /// complete closure compared (shot noise with the spectral closure when present).
    #[serde(default)]
    pub main_theory: usize,
    /// Rate distributions of the main theory against the simulation, per population in
    /// the first and the last epoch (before and after the input changes).
    #[serde(default)]
    pub rate_histograms: Vec<RateHistogram>,
    /// Theory only (no simulated counterpart): tuning curves of sampled neurons along
    /// `kappa` at the last epoch's input, balanced against unbalanced (docs/theory.md
    /// 2.6.4), with Siegert and the Poisson closure; `null` unless `D = 1`.
    #[serde(default)]
    pub tuning: Option<TuningContrast>,
    /// Wall-clock time of the simulation, network construction included (s).
    pub wall_sim_s: f64,
    /// Wall-clock time of the theory side of the comparison (s).
    pub wall_theory_s: f64,
}

/// Measured statistics of one population that have no theory counterpart here.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SimStatistics {
    /// Population name.
    pub name: String,
    /// Mean ISI CV over neurons with at least 3 spikes (`null` if none).
    #[serde(with = "crate::sim::nan_null")]
    pub cv_isi: f64,
    /// Mean Pearson correlation of spike counts in 50 ms bins over sampled pairs.
    #[serde(with = "crate::sim::nan_null")]
    pub pair_corr: f64,
    /// Golomb's synchrony measure chi (0 asynchronous, 1 fully synchronous), docs/theory.md 2.7.
    #[serde(with = "crate::sim::nan_null")]
    pub chi: f64,
    /// CV of the population spike count in 1 ms bins.
    #[serde(with = "crate::sim::nan_null")]
    pub pop_rate_cv: f64,
    /// Fano factor of the population spike count in 1 ms bins.
    #[serde(with = "crate::sim::nan_null")]
    pub fano_1ms: f64,
    /// `chi > CHI_ASYNC_THRESHOLD`: the state is flagged as not asynchronous (docs/theory.md 2.7).
    pub synchronous_flag: bool,
}

/// Epoch windows: see [`crate::sim::epochs::windows`].
pub fn epochs(model: &Model) -> Vec<[f64; 2]> {
    crate::sim::epochs::windows(model)
}

/// Mean over the time-series bins whose centres fall in `[a, b)`.
/// The simulated `kappa` (each of its `d` components) averaged over the window `w` (s).
fn kappa_window_mean(sim: &SimResult, d: usize, w: [f64; 2]) -> Vec<f64> {
    (0..d)
        .map(|e| {
            window_mean(
                &sim.time_s,
                &sim.kappa_t.iter().map(|k| k[e]).collect::<Vec<_>>(),
                w[0],
                w[1],
            )
        })
        .collect()
}

fn window_mean(t: &[f64], y: &[f64], a: f64, b: f64) -> f64 {
    let (s, n) = t
        .iter()
        .zip(y)
        .filter(|(t, _)| **t >= a && **t < b)
        .fold((0.0, 0usize), |(s, n), (_, y)| (s + y, n + 1));
    if n == 0 { f64::NAN } else { s / n as f64 }
}

/// Kolmogorov-Smirnov distance between measured rates `counts / window` and the theory's
/// rate distribution of population `a` in `state`, convolved with counting noise
/// (docs/theory.md section 3). Both CDFs are step functions on the lattice `k / window`, so the
/// supremum is taken over that lattice.
pub fn ks_counting(
    state: &State,
    model: &Model,
    a: usize,
    rates_sim: &[f64],
    window: f64,
    cv: f64,
) -> Result<f64> {
    if rates_sim.is_empty() {
        return Ok(f64::NAN);
    }
    let p = &state.populations[a];
    let t = crate::theory::closure::state_transfer(model, state, a)?;
    let mut counts: Vec<f64> = rates_sim.iter().map(|r| (r * window).round()).collect();
    counts.sort_by(f64::total_cmp);
    let kmax = *counts.last().unwrap_or(&0.0) as usize;
    let n = counts.len() as f64;
    let mut d: f64 = 0.0;
    let mut idx = 0usize;
    for k in 0..=kmax + 1 {
        let kf = k as f64;
        while idx < counts.len() && counts[idx] <= kf {
            idx += 1;
        }
        let emp = idx as f64 / n;
        let th = gauss::expect(
            |x| count_cdf(t.rate(x), window, cv, k as i64),
            p.mean_input_mv,
            p.delta_mv2,
        );
        d = d.max((emp - th).abs());
    }
    Ok(d)
}

pub(crate) fn theory_silent(state: &State, model: &Model, a: usize, window: f64) -> Result<f64> {
    let p = &state.populations[a];
    let t = crate::theory::closure::state_transfer(model, state, a)?;
    Ok(gauss::expect(
        |x| (-t.rate(x) * window).exp(),
        p.mean_input_mv,
        p.delta_mv2,
    ))
}

/// The Model with its loadings replaced by the moments drawn in the simulated network.
pub fn with_drawn_loadings(model: &Model, sim: &SimResult) -> Model {
    let mut m = model.clone();
    if let Some(l) = m.latent.as_mut()
        && sim.loading_moments.len() == l.loadings.len()
    {
        l.loadings = sim.loading_moments.clone();
    }
    m
}

/// One theory variant of a comparison: transfer function, noise closure, and whether its
/// latent trajectory is integrated too (costly with the slower closures).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    pub transfer: TransferKind,
    pub noise: NoiseClosure,
    pub trajectory: bool,
}

impl Variant {
    /// The variants `balnet compare` runs: shot noise with the spectral closure (the most
    /// complete closure, drawn as the main theory; its fixed points per epoch: its latent
    /// trajectory re-solves the closure at every step and would take longer than the
    /// simulation), Siegert with the Poisson closure (the diffusion reference; with its
    /// trajectory) and shot noise with the Poisson closure (fixed points).
    pub fn standard() -> Vec<Variant> {
        vec![
            Variant {
                transfer: TransferKind::ShotNoise,
                noise: NoiseClosure::Spectral,
                trajectory: false,
            },
            Variant {
                transfer: TransferKind::Siegert,
                noise: NoiseClosure::Poisson,
                trajectory: true,
            },
            Variant {
                transfer: TransferKind::ShotNoise,
                noise: NoiseClosure::Poisson,
                trajectory: false,
            },
        ]
    }

    /// `transfer/noise` as in `report.json` (e.g. `shot_noise/spectral`).
    pub fn name(&self) -> String {
        format!("{}/{}", label(&self.transfer), label(&self.noise))
    }

    /// Every transfer function with every noise closure (docs/theory.md 2.1-2.2, 6.6); trajectories
    /// for the Poisson closure and for shot noise with the spectral closure.
    pub fn all() -> Vec<Variant> {
        let mut v = Vec::new();
        for transfer in [TransferKind::Siegert, TransferKind::ShotNoise] {
            for noise in [
                NoiseClosure::Poisson,
                NoiseClosure::Renewal,
                NoiseClosure::Spectral,
                NoiseClosure::Correlated,
            ] {
                v.push(Variant {
                    transfer,
                    noise,
                    trajectory: noise == NoiseClosure::Poisson
                        || (transfer == TransferKind::ShotNoise && noise == NoiseClosure::Spectral),
                });
            }
        }
        v
    }
}

/// Compare one theory variant with a finished simulation.
pub fn compare_theory(
    model: &Model,
    sim: &SimResult,
    variant: Variant,
) -> Result<TheoryComparison> {
    compare_theory_observed(model, sim, variant, &|_| {})
}

/// Share of a variant's work taken by the fixed points when it integrates a trajectory too
/// (for the progress bar only).
const FIXED_POINT_SHARE: f64 = 0.3;

/// Largest step of the theory's latent trajectory in a comparison (in units of `tau_s`), and
/// its tolerances (docs/theory.md 2.5, "Recording the steps"):
/// the trajectory is drawn against a simulated `kappa(t)` whose finite-N noise is of order
/// 1 Hz, so `1e-3` Hz is far below what a figure or a distance can resolve.
const TRAJECTORY_MAX_STEP_TAU_S: f64 = 1.0;
const TRAJECTORY_OPTIONS: DynamicsOptions = DynamicsOptions {
    rtol: 1e-4,
    atol: 1e-3,
    record_steps: true,
};

/// [`compare_theory`], calling `progress(fraction)` (0 to 1) as it goes (from any of
/// the threads the epochs run on).
pub fn compare_theory_observed(
    model: &Model,
    sim: &SimResult,
    variant: Variant,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<TheoryComparison> {
    compare_theory_states(model, sim, variant, progress).map(|(c, _)| c)
}

/// [`compare_theory_observed`] with the theory's state in each epoch.
fn compare_theory_states(
    model: &Model,
    sim: &SimResult,
    variant: Variant,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<(TheoryComparison, Vec<State>)> {
    let t_start = std::time::Instant::now();
    let mut m = with_drawn_loadings(model, sim);
    m.transfer = variant.transfer;
    m.noise = variant.noise;
    let transfer = variant.transfer;
    let limit = Limit::Finite;
    let t_end = m.sim.warmup + m.sim.duration;
    let d = m.d();
    let wins = epochs(&m);
    let search = SearchBox::default();
    let fp_share = if d > 0 && variant.trajectory {
        FIXED_POINT_SHARE
    } else {
        1.0
    };
    // the epochs are independent: in parallel (rayon keeps their order)
    let done = std::sync::atomic::AtomicUsize::new(0);
    progress(0.0);
    let per_epoch = wins
        .par_iter()
        .enumerate()
        .map(|(ei, w)| -> Result<(EpochComparison, State)> {
            let s = m.signal(0.5 * (w[0] + w[1]));
            let kappa_sim = kappa_window_mean(sim, d, *w);
            // the stable fixed point nearest to the simulated kappa (bistable models pick the branch)
            let state: State = if d == 0 {
                stationary::solve(&m, limit, &[], &s, None)?
            } else {
                let sol = latent::fixed_points(&m, limit, &s, &search)?;
                sol.stable_nearest(&kappa_sim)
                    .map(|f| f.state.clone())
                    .or_else(|| sol.rings.first().map(|r| r.state.clone()))
                    .ok_or_else(|| {
                        Error::Domain(format!("no stable latent fixed point at s = {s:?}"))
                    })?
            };
            let window = w[1] - w[0];
            let trains = TrainModel::of(&m, &state);
            let fano_theory = trains.populations(&m, &state);
            let mut pops = Vec::new();
            for (a, pr) in sim.populations.iter().enumerate() {
                let th = &state.populations[a];
                let rate_sim = window_mean(&sim.time_s, &pr.rate_t, w[0], w[1]);
                let v_sim = window_mean(&sim.time_s, &pr.mean_v_t, w[0], w[1]);
                let rates = pr.epoch_rates_hz.get(ei).cloned().unwrap_or_default();
                let cv = if pr.cv_isi.is_finite() {
                    pr.cv_isi
                } else {
                    1.0
                };
                let ks = ks_counting(&state, &m, a, &rates, window, cv)?;
                let silent_sim =
                    rates.iter().filter(|&&r| r == 0.0).count() as f64 / rates.len().max(1) as f64;
                let mean_r = rates.iter().sum::<f64>() / rates.len().max(1) as f64;
                let sd_sim = (rates.iter().map(|r| (r - mean_r).powi(2)).sum::<f64>()
                    / rates.len().max(1) as f64)
                    .sqrt();
                pops.push(PopulationComparison {
                    name: th.name.clone(),
                    rate_theory_hz: th.rate_hz,
                    rate_sim_hz: rate_sim,
                    rate_rel_err: (rate_sim - th.rate_hz) / th.rate_hz,
                    mean_v_theory_mv: th.mean_v_mv,
                    mean_v_sim_mv: v_sim,
                    mean_v_diff_mv: v_sim - th.mean_v_mv,
                    ks_counting: ks,
                    silent_theory: theory_silent(&state, &m, a, window)?,
                    silent_sim,
                    rate_sd_theory_hz: (th.q_hz2 - th.rate_hz * th.rate_hz).max(0.0).sqrt(),
                    rate_sd_sim_hz: sd_sim,
                    membrane_fano_theory: fano_theory[a],
                    membrane_fano_sim: pr.epoch_membrane_fano.get(ei).copied().unwrap_or(f64::NAN),
                    fano_by_rate: fano_by_rate(
                        &m,
                        &state,
                        a,
                        &*trains.neuron(&m, &state, a),
                        &rates,
                        pr.epoch_membrane_fano_per_neuron
                            .get(ei)
                            .map_or(&[][..], |v| &v[..]),
                    )?,
                });
            }
            // a relative error of kappa near 0 says nothing (finite-N offset, docs/theory.md section 3)
            let kappa_rel_err = (d > 0 && state.kappa[0].abs() > KAPPA_REL_MIN_HZ)
                .then(|| (kappa_sim[0] - state.kappa[0]) / state.kappa[0].abs());
            let epoch = EpochComparison {
                window_s: *w,
                s,
                kappa_theory_hz: state.kappa.clone(),
                kappa_sim_hz: kappa_sim,
                kappa_rel_err,
                populations: pops,
            };
            let k = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(fp_share * k as f64 / wins.len() as f64);
            Ok((epoch, state))
        })
        .collect::<Result<Vec<_>>>()?;
    let (out_epochs, states): (Vec<EpochComparison>, Vec<State>) = per_epoch.into_iter().unzip();
    let dv_dkappa = match (out_epochs.first(), out_epochs.last()) {
        (Some(a), Some(b)) if out_epochs.len() > 1 && d > 0 => (0..sim.populations.len())
            .map(|p| {
                let th = (b.populations[p].mean_v_theory_mv - a.populations[p].mean_v_theory_mv)
                    / (b.kappa_theory_hz[0] - a.kappa_theory_hz[0]);
                let si = (b.populations[p].mean_v_sim_mv - a.populations[p].mean_v_sim_mv)
                    / (b.kappa_sim_hz[0] - a.kappa_sim_hz[0]);
                [th, si]
            })
            .collect(),
        _ => vec![],
    };
    progress(fp_share);
    let trajectory = if d > 0 && variant.trajectory {
        let k0 = out_epochs
            .first()
            .map_or(vec![0.0; d], |e| e.kappa_theory_hz.clone());
        dynamics::integrate_observed(
            &m,
            limit,
            &k0,
            t_end,
            TRAJECTORY_MAX_STEP_TAU_S * m.latent.as_ref().map_or(1.0, |l| l.tau_s),
            &TRAJECTORY_OPTIONS,
            &mut |t| progress(fp_share + (1.0 - fp_share) * t / t_end),
        )?
    } else {
        Trajectory::default()
    };
    progress(1.0);
    let tc = TheoryComparison {
        transfer,
        noise: variant.noise,
        limit,
        epochs: out_epochs,
        dv_dkappa_mv_per_hz: dv_dkappa,
        trajectory,
        wall_s: t_start.elapsed().as_secs_f64(),
    };
    Ok((tc, states))
}

/// Half-integer spike counts from `1/2` to `kmax + 1/2`, about 12 per decade: the edges of
/// [`RateHistogram`] bins in counts (each bin holds whole counts).
fn log_count_edges(kmax: f64) -> Vec<f64> {
    let hi = kmax.max(1.0).floor() + 0.5;
    let n = ((hi / 0.5).log10() * 12.0).ceil().max(1.0) as usize;
    let mut e = vec![0.5];
    for i in 1..=n {
        let c = (0.5 * (hi / 0.5).powf(i as f64 / n as f64)).floor() + 0.5;
        if c > e[e.len() - 1] && c <= hi {
            e.push(c);
        }
    }
    if e[e.len() - 1] < hi {
        e.push(hi);
    }
    e
}

/// The rate distributions of the variant `th` against the simulation in the first and the
/// last epoch, per population ([`RateHistogram`]).
fn rate_histograms(
    model: &Model,
    sim: &SimResult,
    th: &TheoryComparison,
) -> Result<Vec<RateHistogram>> {
    let mut m = with_drawn_loadings(model, sim);
    m.transfer = th.transfer;
    m.noise = th.noise;
    let n_ep = th.epochs.len();
    let chosen: Vec<usize> = match n_ep {
        0 => vec![],
        1 => vec![0],
        _ => vec![0, n_ep - 1],
    };
    let mut out = Vec::new();
    for ei in chosen {
        let e = &th.epochs[ei];
        let window = e.window_s[1] - e.window_s[0];
        let st = stationary::solve(&m, Limit::Finite, &e.kappa_theory_hz, &e.s, None)?;
        for (a, p) in sim.populations.iter().enumerate() {
            let counts: Vec<f64> = p
                .epoch_rates_hz
                .get(ei)
                .map_or(&[][..], |v| &v[..])
                .iter()
                .map(|r| (r * window).round())
                .collect();
            let n = counts.len().max(1) as f64;
            let kmax = counts.iter().copied().fold(1.0, f64::max);
            let edges = log_count_edges(kmax);
            let sim_fraction: Vec<f64> = edges
                .windows(2)
                .map(|w| counts.iter().filter(|&&c| c > w[0] && c < w[1]).count() as f64 / n)
                .collect();
            let t = crate::theory::closure::state_transfer(&m, &st, a)?;
            let ps = &st.populations[a];
            let cv = if p.cv_isi.is_finite() { p.cv_isi } else { 1.0 };
            // P(count <= k) over the population's Gaussian of mean inputs
            let cdf = |k: f64| {
                gauss::expect(
                    |x| count_cdf(t.rate(x), window, cv, k.floor() as i64),
                    ps.mean_input_mv,
                    ps.delta_mv2,
                )
            };
            let at_edges: Vec<f64> = edges.iter().map(|&c| cdf(c)).collect();
            out.push(RateHistogram {
                population: p.name.clone(),
                epoch: ei,
                window_s: e.window_s,
                s: e.s.clone(),
                transfer: th.transfer,
                noise: th.noise,
                edges_hz: edges.iter().map(|c| c / window).collect(),
                sim_fraction,
                theory_fraction: at_edges.windows(2).map(|w| w[1] - w[0]).collect(),
                silent_sim: counts.iter().filter(|&&c| c == 0.0).count() as f64 / n,
                silent_theory: at_edges[0],
            });
        }
    }
    Ok(out)
}

/// Tuning curves (docs/theory.md 2.6.4) of the network as drawn, at the last epoch's input,
/// along `kappa` in `+-max(15 Hz, 2 |kappa_sim|)`: balanced beside unbalanced, Siegert with
/// the Poisson closure. `None` unless `D = 1`.
fn tuning_figure_data(
    model: &Model,
    sim: &SimResult,
    th: Option<&TheoryComparison>,
) -> Result<Option<TuningContrast>> {
    let m = with_drawn_loadings(model, sim);
    if m.d() != 1 {
        return Ok(None);
    }
    let last = th.and_then(|t| t.epochs.last());
    let s_last = last.map_or_else(|| m.signal(0.0), |e| e.s.clone());
    let k_last = last.map_or(0.0, |e| e.kappa_sim_hz[0].abs());
    let mut mt = m.clone();
    mt.transfer = TransferKind::Siegert;
    mt.noise = NoiseClosure::Poisson;
    let path = crate::theory::predictions::symmetric_path_1d((2.0 * k_last).max(15.0), 31)?;
    let opts = crate::theory::predictions::TuningOptions {
        neurons: 100,
        seed: sim.seed,
        tol_hz: 0.1,
    };
    crate::theory::predictions::tuning_contrast(&mt, Limit::Finite, &path, &s_last, &opts).map(Some)
}

/// Expected finite-N offset of `kappa` measured at `kappa = 0` (docs/theory.md section 3).
fn finite_n_offset(model: &Model, state: &State) -> f64 {
    let Some(l) = &model.latent else { return 0.0 };
    let var: f64 = model
        .populations
        .iter()
        .enumerate()
        .map(|(b, p)| {
            p.c * p.c
                * l.loadings[b].sigma_nn.first().map_or(0.0, |r| r[0])
                * state.populations[b].q_hz2
                / p.n as f64
        })
        .sum();
    let loop_gain = match latent::reduced_jacobian(model, Limit::Finite, state) {
        Ok(j) if j.nrows() > 0 => j[(0, 0)],
        _ => 0.0,
    };
    var.sqrt() / (1.0 - loop_gain).abs().max(1e-3)
}

/// How [`compare_with`] runs.
#[derive(Clone, Copy, Debug, Default)]
pub struct CompareOptions {
    /// No progress bars (they are drawn on stderr, and only when it is a terminal).
    pub quiet: bool,
}

/// A progress bar on stderr for one phase of a comparison (none when quiet or when
/// stderr is not a terminal); position in thousandths of the phase. The bars of phases
/// that run at the same time share one [`indicatif::MultiProgress`], so they are drawn
/// on separate lines.
struct PhaseBar(Option<indicatif::ProgressBar>);

impl PhaseBar {
    fn new(opts: &CompareOptions, bars: &indicatif::MultiProgress, name: String) -> PhaseBar {
        use std::io::IsTerminal;
        if opts.quiet || !std::io::stderr().is_terminal() {
            return PhaseBar(None);
        }
        let b = bars.add(indicatif::ProgressBar::new(1000));
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{prefix:<34} {bar:30} {percent:>3}% {elapsed:>4} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.set_prefix(name);
        PhaseBar(Some(b))
    }
    fn set(&self, fraction: f64) {
        if let Some(b) = &self.0 {
            b.set_position((fraction.clamp(0.0, 1.0) * 1000.0) as u64);
        }
    }
    /// Leave the bar on screen at 100% with its elapsed time.
    fn finish(self) {
        if let Some(b) = self.0 {
            b.finish();
        }
    }
}

/// Compare a finished simulation with the theory, for each variant (no progress bars).
pub fn compare(model: &Model, sim: &SimResult, variants: &[Variant]) -> Result<Report> {
    compare_with(model, sim, variants, &CompareOptions { quiet: true })
}

/// Index of the variant the figures draw as the main theory: shot noise with the spectral
/// closure if compared, else the first.
fn main_variant(variants: &[Variant]) -> usize {
    variants
        .iter()
        .position(|v| v.transfer == TransferKind::ShotNoise && v.noise == NoiseClosure::Spectral)
        .unwrap_or(0)
}

/// [`compare`] with a progress bar per theory variant and one for the figure data.
pub fn compare_with(
    model: &Model,
    sim: &SimResult,
    variants: &[Variant],
    opts: &CompareOptions,
) -> Result<Report> {
    let t0 = std::time::Instant::now();
    let n = variants.len();
    let bars = indicatif::MultiProgress::new();
    // The variants are independent: they run in parallel (rayon keeps their order), each
    // with its epochs in parallel. The population spectra (first variant) reuse that
    // variant's states.
    let with_states = variants
        .par_iter()
        .enumerate()
        .map(|(i, &v)| {
            let bar = PhaseBar::new(opts, &bars, format!("theory {}/{n} {}", i + 1, v.name()));
            let r = compare_theory_states(model, sim, v, &|f| bar.set(f));
            bar.finish();
            r
        })
        .collect::<Result<Vec<_>>>()?;
    let spectra = variants.first().map(|&v| {
        let bar = PhaseBar::new(opts, &bars, "population spectra (theory)".into());
        let (tc, states) = &with_states[0];
        let known: Vec<([f64; 2], &State)> = tc
            .epochs
            .iter()
            .map(|e| e.window_s)
            .zip(states.iter())
            .collect();
        let r = spectrum_comparison_at(model, sim, v, &SpectrumOptions::default(), &known);
        bar.finish();
        r
    });
    let theories: Vec<TheoryComparison> = with_states.into_iter().map(|(tc, _)| tc).collect();
    let main_theory = main_variant(variants);
    let bar = PhaseBar::new(opts, &bars, "figure data (theory)".into());
    let (rate_histograms, tuning) = rayon::join(
        || match theories.get(main_theory) {
            Some(th) => rate_histograms(model, sim, th),
            None => Ok(Vec::new()),
        },
        || tuning_figure_data(model, sim, theories.first()),
    );
    let (rate_histograms, tuning) = (rate_histograms?, tuning?);
    bar.finish();
    let m = with_drawn_loadings(model, sim);
    let st0 = stationary::solve(&m, Limit::Finite, &vec![0.0; m.d()], &m.signal(0.0), None)?;
    let sim_statistics: Vec<SimStatistics> = sim
        .populations
        .iter()
        .map(|p| SimStatistics {
            name: p.name.clone(),
            cv_isi: p.cv_isi,
            pair_corr: p.pair_corr,
            chi: p.chi,
            pop_rate_cv: p.pop_rate_cv,
            fano_1ms: p.fano_1ms,
            synchronous_flag: p.chi > CHI_ASYNC_THRESHOLD,
        })
        .collect();
    Ok(Report {
        model: model.name.clone(),
        sim_mode: sim.mode,
        dt_s: sim.dt,
        duration_s: sim.duration,
        warmup_s: sim.warmup,
        seed: sim.seed,
        n_neurons: model.populations.iter().map(|p| p.n).sum(),
        asynchronous: sim_statistics.iter().all(|s| !s.synchronous_flag),
        sim_statistics,
        kappa_finite_n_offset_hz: finite_n_offset(&m, &st0),
        spectra,
        theories,
        main_theory,
        rate_histograms,
        tuning,
        wall_sim_s: sim.wall_s + sim.build_s,
        wall_theory_s: t0.elapsed().as_secs_f64(),
    })
}

/// The name of a unit-like enum value as in `report.json` (e.g. `shot_noise`), so that the
/// table, the figures and the files spell variants alike.
fn label<T: Serialize>(x: &T) -> String {
    use serde_json::Value;
    match serde_json::to_value(x) {
        Ok(Value::String(s)) => s,
        Ok(v) => v.to_string(),
        Err(_) => String::new(),
    }
}

/// The side-by-side table printed by `balnet compare`.
pub fn table(r: &Report) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "balnet compare: model `{}`, N = {}, simulation {} mode dt = {} ms, {:.3} s after {:.3} s warm-up, seed {}",
        r.model,
        r.n_neurons,
        label(&r.sim_mode),
        r.dt_s * 1e3,
        r.duration_s,
        r.warmup_s,
        r.seed
    );
    for st in &r.sim_statistics {
        let _ = writeln!(
            s,
            "  {}: CV_ISI {:.3}, pair corr {:.4}, chi {:.3}, pop-rate CV (1 ms) {:.3}{}",
            st.name,
            st.cv_isi,
            st.pair_corr,
            st.chi,
            st.pop_rate_cv,
            if st.synchronous_flag {
                "  ** NOT ASYNCHRONOUS (chi > 0.5): stationary theory not valid **"
            } else {
                ""
            }
        );
    }
    let _ = writeln!(
        s,
        "  finite-N kappa offset expected at kappa = 0: {:.3} Hz",
        r.kappa_finite_n_offset_hz
    );
    for th in &r.theories {
        let _ = writeln!(
            s,
            "\ntheory: finite K, transfer {}, noise {}, loadings as drawn in the network",
            label(&th.transfer),
            label(&th.noise)
        );
        for e in &th.epochs {
            let _ = writeln!(
                s,
                "  epoch [{:.2}, {:.2}] s, s = {:?}: kappa theory {:?} sim {:?}{}",
                e.window_s[0],
                e.window_s[1],
                e.s,
                e.kappa_theory_hz
                    .iter()
                    .map(|v| format!("{v:.3}"))
                    .collect::<Vec<_>>(),
                e.kappa_sim_hz
                    .iter()
                    .map(|v| format!("{v:.3}"))
                    .collect::<Vec<_>>(),
                e.kappa_rel_err
                    .map_or(String::new(), |x| format!(" ({:+.1}%)", 100.0 * x))
            );
            let _ = writeln!(
                s,
                "    {:<4} {:>9} {:>9} {:>7} {:>9} {:>9} {:>7} {:>6} {:>7} {:>7} {:>6} {:>6}",
                "pop",
                "nu th",
                "nu sim",
                "err",
                "V th",
                "V sim",
                "dV",
                "KS",
                "sil th",
                "sil sim",
                "F th",
                "F sim"
            );
            for p in &e.populations {
                let _ = writeln!(
                    s,
                    "    {:<4} {:>9.3} {:>9.3} {:>+6.1}% {:>9.3} {:>9.3} {:>+7.3} {:>6.3} {:>7.3} {:>7.3} {:>6.3} {:>6.3}",
                    p.name,
                    p.rate_theory_hz,
                    p.rate_sim_hz,
                    100.0 * p.rate_rel_err,
                    p.mean_v_theory_mv,
                    p.mean_v_sim_mv,
                    p.mean_v_diff_mv,
                    p.ks_counting,
                    p.silent_theory,
                    p.silent_sim,
                    p.membrane_fano_theory,
                    p.membrane_fano_sim
                );
                let bands: Vec<String> = p
                    .fano_by_rate
                    .iter()
                    .filter(|b| b.n_sim > 0)
                    .map(|b| {
                        format!(
                            "[{}, {}) {:.2}/{:.2}",
                            b.lo_hz, b.hi_hz, b.fano_theory, b.fano_sim
                        )
                    })
                    .collect();
                let _ = writeln!(
                    s,
                    "         F by rate band (Hz) th/sim: {}",
                    bands.join("  ")
                );
            }
        }
        for (p, dv) in th.dv_dkappa_mv_per_hz.iter().enumerate() {
            let name = th
                .epochs
                .first()
                .map_or(String::new(), |e| e.populations[p].name.clone());
            let _ = writeln!(
                s,
                "  coherent shift d<V>/dkappa, {name}: theory {:.4} mV/Hz, sim {:.4} mV/Hz",
                dv[0], dv[1]
            );
        }
    }
    if let Some(sc) = &r.spectra {
        s.push_str(&spectrum_table(sc));
    }
    s
}

/// Figures of a comparison in `dir` (PNG and SVG): `kappa_t`, `rates_mean_v`,
/// `rate_distribution`, `tuning` (theory, Siegert, D = 1), `raster`. Each file is written
/// under a temporary name and renamed into place. Returns the names (without extension)
/// of the figures written; which are drawn depends on the Model (`kappa_t` and `tuning`
/// need D >= 1).
pub fn write_figures(
    model: &Model,
    sim: &SimResult,
    report: &Report,
    dir: &std::path::Path,
) -> Result<Vec<String>> {
    std::fs::create_dir_all(dir)
        .map_err(|e| crate::Error::Io(format!("cannot create {}: {e}", dir.display())))?;
    let mut names = figures(model, sim, report, &mut |name, panels| {
        crate::sim::output::write_with_atomic(dir, name, FIGURE_EXTS, |stem| {
            crate::plot::save(stem, panels)
        })
        .map(|_| ())
    })?;
    names.extend(spectrum_figure(report, &mut |name, panels| {
        crate::sim::output::write_with_atomic(dir, name, FIGURE_EXTS, |stem| {
            crate::plot::save_loglog(stem, panels)
        })
        .map(|_| ())
    })?);
    Ok(names)
}

/// [`write_figures`] into the output folder of a run, which records every file written
/// for its completeness marker.
pub fn write_figures_to(
    model: &Model,
    sim: &SimResult,
    report: &Report,
    out: &mut crate::sim::output::RunDir,
) -> Result<Vec<String>> {
    out.announce(
        &FIGURE_NAMES
            .iter()
            .flat_map(|n| FIGURE_EXTS.iter().map(move |e| format!("{n}.{e}")))
            .collect::<Vec<_>>(),
    )?;
    let mut names = figures(model, sim, report, &mut |name, panels| {
        out.write_with(name, FIGURE_EXTS, |stem| crate::plot::save(stem, panels))
    })?;
    names.extend(spectrum_figure(report, &mut |name, panels| {
        out.write_with(name, FIGURE_EXTS, |stem| {
            crate::plot::save_loglog(stem, panels)
        })
    })?);
    Ok(names)
}

/// Names of every figure [`write_figures`] may draw.
pub const FIGURE_NAMES: &[&str] = &[
    "kappa_t",
    "rates_mean_v",
    "rate_distribution",
    "tuning",
    "raster",
    "spectrum",
];
/// File types of every figure.
const FIGURE_EXTS: &[&str] = &["png", "svg"];

type SaveFn<'a> = dyn FnMut(&str, &[crate::plot::Panel]) -> Result<()> + 'a;

/// The changes of the input `s(t)` as dashed vertical markers, the first named in the
/// legend with the values before and after.
fn input_marks(model: &Model, y: f64) -> Vec<crate::plot::Series> {
    use crate::plot::{Series, Style};
    let fmt = |v: Vec<f64>| {
        let t: Vec<String> = v.iter().map(|x| format!("{x}")).collect();
        t.join(", ")
    };
    model
        .latent
        .as_ref()
        .map(|l| l.signal.breakpoints())
        .unwrap_or_default()
        .into_iter()
        .enumerate()
        .map(|(i, b)| {
            let name = if i == 0 {
                format!(
                    "input s: {} -> {} at {b} s",
                    fmt(model.signal(b - 1e-9 * b.abs().max(1.0))),
                    fmt(model.signal(b))
                )
            } else {
                String::new()
            };
            Series::new(name, vec![(b, y)], Style::VLine, 4)
        })
        .collect()
}

fn figures(
    model: &Model,
    sim: &SimResult,
    report: &Report,
    save: &mut SaveFn<'_>,
) -> Result<Vec<String>> {
    use crate::plot::{Panel, Series, Style};
    let mut written: Vec<String> = Vec::new();
    let mut save = |name: &str, panels: &[Panel]| -> Result<()> {
        save(name, panels)?;
        written.push(name.to_string());
        Ok(())
    };
    let name = |th: &TheoryComparison| format!("{}/{}", label(&th.transfer), label(&th.noise));
    let main = report.theories.get(report.main_theory);
    // kappa(t)
    if model.d() > 0 {
        let mut series = vec![Series::new(
            format!("simulation ({} ms bins)", sim_bin_ms(model)),
            sim.time_s
                .iter()
                .zip(&sim.kappa_t)
                .map(|(t, k)| (*t, k[0]))
                .collect(),
            Style::ThinLine,
            6,
        )];
        for (i, th) in report.theories.iter().enumerate() {
            if th.trajectory.t.is_empty() {
                // without a trajectory: the fixed points over each measured window
                for (k, e) in th.epochs.iter().enumerate() {
                    let y = e.kappa_theory_hz[0];
                    series.push(Series::new(
                        if k == 0 {
                            format!("theory {}, fixed points", name(th))
                        } else {
                            String::new()
                        },
                        vec![(e.window_s[0], y), (e.window_s[1], y)],
                        Style::Line,
                        i,
                    ));
                }
            } else {
                series.push(Series::new(
                    format!("theory {}", name(th)),
                    th.trajectory
                        .t
                        .iter()
                        .zip(&th.trajectory.kappa)
                        .map(|(t, k)| (*t, k[0]))
                        .collect(),
                    Style::Line,
                    i,
                ));
            }
        }
        series.extend(input_marks(model, 0.0));
        save(
            "kappa_t",
            &[Panel {
                title: "Latent variable kappa(t): simulation and theory (loadings as drawn)".into(),
                x_label: "time (s)".into(),
                y_label: "kappa (Hz)".into(),
                series,
                ..Default::default()
            }],
        )?;
    }
    // rates and mean V over time, smoothed to 50 ms; theory: the main variant's trajectory,
    // or its fixed points over the measured windows
    let smooth = |y: &[f64]| -> Vec<(f64, f64)> {
        let w = ((0.05 / model.sim.record_bin).round() as usize).max(1);
        sim.time_s
            .chunks(w)
            .zip(y.chunks(w))
            .map(|(t, y)| {
                (
                    t.iter().sum::<f64>() / t.len() as f64,
                    y.iter().sum::<f64>() / y.len() as f64,
                )
            })
            .collect()
    };
    let mut rate_series = Vec::new();
    let mut v_series = Vec::new();
    for (a, p) in sim.populations.iter().enumerate() {
        rate_series.push(Series::new(
            format!("{} simulation", p.name),
            smooth(&p.rate_t),
            Style::ThinLine,
            a,
        ));
        v_series.push(Series::new(
            format!("{} simulation", p.name),
            smooth(&p.mean_v_t),
            Style::ThinLine,
            a,
        ));
        let Some(th) = main else { continue };
        let label = format!("{} theory {}", p.name, name(th));
        if let Some(tr) = th.trajectory.populations.get(a) {
            let t = th.trajectory.t.iter().copied();
            rate_series.push(Series::new(
                label.clone(),
                t.clone().zip(tr.rate_hz.iter().copied()).collect(),
                Style::Line,
                a,
            ));
            v_series.push(Series::new(
                label,
                t.zip(tr.mean_v_mv.iter().copied()).collect(),
                Style::Line,
                a,
            ));
        } else {
            for (k, e) in th.epochs.iter().enumerate() {
                let pc = &e.populations[a];
                let l = if k == 0 { label.clone() } else { String::new() };
                let seg = |y: f64| vec![(e.window_s[0], y), (e.window_s[1], y)];
                rate_series.push(Series::new(
                    l.clone(),
                    seg(pc.rate_theory_hz),
                    Style::Line,
                    a,
                ));
                v_series.push(Series::new(l, seg(pc.mean_v_theory_mv), Style::Line, a));
            }
        }
    }
    rate_series.extend(input_marks(model, 0.0));
    v_series.extend(input_marks(model, 0.0));
    save(
        "rates_mean_v",
        &[
            Panel {
                title: "Population rates (50 ms bins)".into(),
                x_label: "time (s)".into(),
                y_label: "rate (Hz)".into(),
                series: rate_series,
                ..Default::default()
            },
            Panel {
                title: "Population-mean membrane potential (50 ms bins)".into(),
                x_label: "time (s)".into(),
                y_label: "mean V (mV)".into(),
                series: v_series,
                ..Default::default()
            },
        ],
    )?;
    // rate distributions before and after the input changes, on a log rate axis: density
    // per decade of rate; the silent neurons in the legend
    if !report.rate_histograms.is_empty() {
        let mut panels = Vec::new();
        for p in &sim.populations {
            let hs: Vec<&RateHistogram> = report
                .rate_histograms
                .iter()
                .filter(|h| h.population == p.name)
                .collect();
            let Some(first) = hs.first() else { continue };
            let mut series = Vec::new();
            for (k, h) in hs.iter().enumerate() {
                let per_decade = |f: &[f64]| -> Vec<(f64, f64)> {
                    h.edges_hz
                        .windows(2)
                        .zip(f)
                        .map(|(w, f)| ((w[0] * w[1]).sqrt(), f / (w[1] / w[0]).log10()))
                        .collect()
                };
                let when = format!(
                    "{:.1}-{:.1} s, s = {}",
                    h.window_s[0],
                    h.window_s[1],
                    h.s.iter()
                        .map(|x| format!("{x}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
                let c = if k == 0 { 0 } else { 1 };
                series.push(Series::new(
                    format!("simulation {when} (silent: {:.1}%)", 100.0 * h.silent_sim),
                    per_decade(&h.sim_fraction),
                    Style::Points,
                    c,
                ));
                series.push(Series::new(
                    format!("theory {when} (silent: {:.1}%)", 100.0 * h.silent_theory),
                    per_decade(&h.theory_fraction),
                    Style::Line,
                    c,
                ));
            }
            panels.push(Panel {
                title: format!(
                    "{}: single-neuron rates, theory {}/{} with counting noise",
                    p.name,
                    label(&first.transfer),
                    label(&first.noise)
                ),
                x_label: "rate over the window (Hz, log scale)".into(),
                y_label: "fraction of neurons per decade".into(),
                series,
                x_log: true,
                ..Default::default()
            });
        }
        save("rate_distribution", &panels)?;
    }
    // tuning curves: theory only
    if let Some(c) = &report.tuning {
        let mut panels = crate::plot::tuning_panels(c, 4);
        for p in &mut panels {
            p.title = p
                .title
                .replacen("Theory:", "Theory only (siegert/poisson):", 1);
        }
        save("tuning", &panels)?;
    }
    // raster: 40 neurons per population over one second around the first change of s
    let t_mid = model
        .latent
        .as_ref()
        .and_then(|l| l.signal.breakpoints().first().copied())
        .unwrap_or(model.sim.warmup + 0.5);
    let (t_lo, t_hi) = (
        (t_mid - 0.5).max(model.sim.warmup),
        (t_mid + 0.5).min(model.sim.warmup + model.sim.duration),
    );
    let mut series = Vec::new();
    let mut rows = Vec::new();
    let mut offset = 0usize;
    for (a, p) in sim.populations.iter().enumerate() {
        let mut ids: Vec<u32> = p.raster_ids.clone();
        ids.sort_unstable();
        ids.dedup();
        ids.truncate(40);
        let pts = p
            .raster_ids
            .iter()
            .zip(&p.raster_times)
            .filter(|(_, t)| **t >= t_lo && **t < t_hi)
            .filter_map(|(id, t)| {
                ids.binary_search(id)
                    .ok()
                    .map(|k| (*t, (offset + k) as f64))
            })
            .collect();
        if !ids.is_empty() {
            rows.push(format!("{} {}-{}", p.name, offset, offset + ids.len() - 1));
        }
        offset += ids.len() + 3;
        // unnamed: the rows are named in the axis label, so no legend hides spikes
        series.push(Series::new("", pts, Style::Dots, a));
    }
    let marks: Vec<Series> = input_marks(model, 0.0)
        .into_iter()
        .filter(|m| m.points[0].0 >= t_lo && m.points[0].0 < t_hi)
        .collect();
    let title = match marks.first() {
        Some(m) => format!("Spike raster of sampled neurons; dashed: {}", m.name),
        None => "Spike raster of sampled neurons".into(),
    };
    series.extend(marks.into_iter().map(|mut m| {
        m.name.clear();
        m
    }));
    save(
        "raster",
        &[Panel {
            title,
            x_label: "time (s)".into(),
            y_label: format!("neuron (rows: {})", rows.join(", ")),
            series,
            ..Default::default()
        }],
    )?;
    Ok(written)
}

// ---- Population-rate spectra: theory vs simulation (docs/theory.md 6.3, 6.5) ----

/// Band edges (Hz) of the spectrum comparison: relative errors per band, and over
/// the whole range from the first to the last edge.
pub const SPECTRUM_BANDS_HZ: [f64; 6] = [5.0, 10.0, 20.0, 50.0, 100.0, 200.0];

/// Highest frequency at which theory and simulated spectra are compared (Hz).
pub const SPECTRUM_COMPARE_F_MAX: f64 = 500.0;

/// How the theory spectra of a comparison are computed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpectrumOptions {
    /// Also give the linear-response spectrum of an unstable state (flagged in
    /// `theory_status`); the comparison in `balnet compare` leaves it out.
    pub allow_unstable: bool,
    /// The single-neuron response in `W(lambda)`.
    pub response: SpectrumResponse,
    /// Theory evaluations per frequency step for the window's kernel
    /// ([`crate::sim::spectrum::expected_estimate`]).
    pub oversample: usize,
    /// Highest frequency compared (Hz).
    pub f_max: f64,
}

/// The single-neuron response a theory spectrum uses.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpectrumResponse {
    /// The closed-form white-noise (diffusion) response, docs/theory.md 6.1, 6.3.
    #[default]
    Diffusion,
    /// The master-equation shot-noise response (docs/theory.md 6.4), for models whose
    /// populations have no quenched input variance and no latent variables.
    ShotNoise,
}

impl Default for SpectrumOptions {
    fn default() -> Self {
        SpectrumOptions {
            allow_unstable: false,
            response: SpectrumResponse::Diffusion,
            oversample: 2,
            f_max: SPECTRUM_COMPARE_F_MAX,
        }
    }
}

/// Theory vs simulation of the population-rate spectra, per epoch (docs/theory.md 6.5).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SpectrumComparison {
    /// Transfer function of the stationary state the response is taken around.
    pub transfer: TransferKind,
    /// Noise closure of that state.
    pub noise: NoiseClosure,
    /// Single-neuron response and intrinsic spike spectrum of the theory.
    pub response: String,
    /// One entry per epoch window of the simulation.
    pub epochs: Vec<EpochSpectrum>,
}

/// The spectra of one epoch.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct EpochSpectrum {
    /// Measured window (s from the start of the simulation).
    pub window_s: [f64; 2],
    /// Latent state of the theory (Hz); empty for `D = 0`.
    pub kappa_theory_hz: Vec<f64>,
    /// `stable`, `unstable: ...` (with the leading root) or why no theory spectrum
    /// could be computed.
    pub theory_status: String,
    /// Per population, in Model order.
    pub populations: Vec<PopulationSpectrum>,
}

/// Theory and simulated spectrum of one population in one epoch.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PopulationSpectrum {
    /// Population name.
    pub name: String,
    /// Frequencies of the Welch estimate (Hz), up to [`SpectrumOptions::f_max`].
    pub frequencies_hz: Vec<f64>,
    /// Simulation: two-sided power spectral density of the population-averaged rate (Hz).
    pub sim_hz: Vec<f64>,
    /// Theory: the expected value of the same estimate (binning and window kernel
    /// applied, docs/theory.md 6.5) of the network's `P_aa` (6.3); null when
    /// `theory_status` says why not.
    pub theory_hz: Option<Vec<f64>>,
    /// Relative standard error of each simulated value.
    pub rel_se: f64,
    /// Simulation: white level `nu / N` of independent Poisson neurons at the measured rate (Hz).
    pub white_level_hz: f64,
    /// Frequency of the largest value in `[5, f_max]` Hz, parabolic interpolation (Hz);
    /// null when the largest value lies at an end of the range.
    pub peak_sim_hz: Option<f64>,
    /// The same for the theory.
    pub peak_theory_hz: Option<f64>,
    /// Band averages.
    pub bands: Vec<SpectrumBand>,
}

/// One frequency band of a [`PopulationSpectrum`].
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SpectrumBand {
    pub lo_hz: f64,
    pub hi_hz: f64,
    /// Mean of the simulated spectrum over the band's frequencies (Hz).
    pub sim_hz: f64,
    /// Mean of the theory over the same frequencies (Hz).
    pub theory_hz: Option<f64>,
    /// `sim / theory - 1`.
    pub rel_err: Option<f64>,
    /// Relative standard error of `sim_hz` (docs/theory.md 6.5).
    pub rel_se: f64,
}

/// The theory's state in an epoch window: the stationary state (`D = 0`) or the stable
/// latent fixed point nearest to the simulated `kappa` (as [`compare_theory`] picks it).
fn spectrum_epoch_state(m: &Model, sim: &SimResult, w: [f64; 2]) -> Result<State> {
    let s = m.signal(0.5 * (w[0] + w[1]));
    let d = m.d();
    if d == 0 {
        return stationary::solve(m, Limit::Finite, &[], &s, None);
    }
    let kappa_sim = kappa_window_mean(sim, d, w);
    let sol = latent::fixed_points(m, Limit::Finite, &s, &SearchBox::default())?;
    sol.stable_nearest(&kappa_sim)
        .map(|f| f.state.clone())
        .ok_or_else(|| Error::Domain(format!("no stable latent fixed point at s = {s:?}")))
}

/// Theory vs simulation of the population-rate spectra of every epoch (docs/theory.md
/// 6.5): the network's linear response `P_aa` (6.3, closed-form diffusion response,
/// renewal spike spectrum) around the epoch's state of `variant`, turned into the
/// expected Welch estimate and set beside the recorded one. Failures of the theory are
/// reported in `theory_status`, never as an error.
pub fn spectrum_comparison(
    model: &Model,
    sim: &SimResult,
    variant: Variant,
    opts: &SpectrumOptions,
) -> SpectrumComparison {
    spectrum_comparison_at(model, sim, variant, opts, &[])
}

/// [`spectrum_comparison`] reusing the theory's states of a comparison of the same variant
/// (`known`: epoch window and state); epochs without one solve their own.
fn spectrum_comparison_at(
    model: &Model,
    sim: &SimResult,
    variant: Variant,
    opts: &SpectrumOptions,
    known: &[([f64; 2], &State)],
) -> SpectrumComparison {
    let mut m = with_drawn_loadings(model, sim);
    m.transfer = variant.transfer;
    m.noise = variant.noise;
    let epochs = sim
        .epoch_windows
        .par_iter()
        .enumerate()
        .map(|(ei, &w)| {
            let state = known
                .iter()
                .find(|(kw, _)| (kw[0] - w[0]).abs() < 1e-9 && (kw[1] - w[1]).abs() < 1e-9)
                .map(|(_, st)| *st);
            epoch_spectrum(&m, sim, ei, w, opts, state)
        })
        .collect();
    SpectrumComparison {
        transfer: variant.transfer,
        noise: variant.noise,
        response: match opts.response {
            SpectrumResponse::Diffusion => {
                "diffusion (closed form, parabolic cylinder functions) with the renewal \
                 spike spectrum (docs/theory.md 6.1, 6.3)"
            }
            SpectrumResponse::ShotNoise => {
                "shot noise (master equation) with the renewal spike spectrum of the \
                 white-noise LIF (docs/theory.md 6.1, 6.4)"
            }
        }
        .into(),
        epochs,
    }
}

/// The theory's expected Welch estimates (one vector per population) at `freqs` for the
/// epoch window `w`, its latent state and its status (`stable`, or `unstable: ...` when
/// `allow_unstable`); `Err` with the reason when there is no theory spectrum.
type TheorySpectra = (Vec<Vec<f64>>, Vec<f64>, String);

fn theory_epoch_spectra(
    m: &Model,
    sim: &SimResult,
    (w, known): ([f64; 2], Option<&State>),
    est: &crate::sim::RateSpectrum,
    freqs: &[f64],
    opts: &SpectrumOptions,
) -> std::result::Result<TheorySpectra, String> {
    use crate::theory::response::{
        ClosedForm, NetworkResponse, ResponseOptions, RootBox, SpikeSpectrum, stability,
    };
    if freqs.is_empty() {
        return Err("the epoch is shorter than 8 spike-count bins: no spectrum".into());
    }
    let p = m.p();
    let solved;
    let st = match known {
        Some(st) => st,
        None => {
            solved =
                spectrum_epoch_state(m, sim, w).map_err(|e| format!("no stationary state: {e}"))?;
            &solved
        }
    };
    let net = NetworkResponse::new(m, st, &ClosedForm, ResponseOptions::default())
        .map_err(|e| format!("no linear response: {e}"))?;
    // only roots with Re lambda > 0 matter here
    let search = RootBox {
        re_min: 0.0,
        re_max: 400.0,
        f_max: 600.0,
    };
    let stab = stability(&net, &search).map_err(|e| format!("stability not determined: {e}"))?;
    let status = match stab.eigenvalues.first() {
        Some(r) if !stab.stable => format!(
            "unstable: root with growth rate {:.3} 1/s at {:.2} Hz; the linear-response \
             spectrum (docs/theory.md 6.3) describes stable states only",
            r.growth_rate_hz, r.frequency_hz
        ),
        _ => "stable".to_string(),
    };
    if !stab.stable && !opts.allow_unstable {
        return Err(status);
    }
    let white: Vec<f64> = (0..p)
        .map(|a| st.populations[a].rate_hz / m.populations[a].n as f64)
        .collect();
    let shot = match opts.response {
        SpectrumResponse::Diffusion => None,
        SpectrumResponse::ShotNoise => Some(
            crate::theory::shot_response::ShotNetworkResponse::new(m, st)
                .map_err(|e| format!("no shot-noise response: {e}"))?,
        ),
    };
    let spec = crate::sim::spectrum::expected_estimate(
        freqs,
        est.segment_s,
        est.bin_s,
        |f| {
            let omega = 2.0 * std::f64::consts::PI * f;
            let s = match &shot {
                Some(r) => r.population_spectrum_with(omega, SpikeSpectrum::Renewal)?,
                None => net.population_spectrum_with(omega, SpikeSpectrum::Renewal)?,
            };
            Ok((0..p).map(|a| s[(a, a)].re).collect())
        },
        &white,
        opts.oversample,
    )
    .map_err(|e| format!("theory spectrum: {e}"))?;
    Ok((spec, st.kappa.clone(), status))
}

fn epoch_spectrum(
    m: &Model,
    sim: &SimResult,
    ei: usize,
    w: [f64; 2],
    opts: &SpectrumOptions,
    state: Option<&State>,
) -> EpochSpectrum {
    use crate::sim::spectrum::peak_frequency;
    let est: Vec<Option<&crate::sim::RateSpectrum>> = sim
        .populations
        .iter()
        .map(|pr| pr.epoch_rate_spectra.get(ei))
        .collect();
    let n_keep = |rs: &crate::sim::RateSpectrum| {
        rs.frequencies_hz
            .iter()
            .take_while(|&&f| f <= opts.f_max)
            .count()
    };
    let first = est.first().copied().flatten();
    let freqs: Vec<f64> = first
        .map(|rs| rs.frequencies_hz[..n_keep(rs)].to_vec())
        .unwrap_or_default();
    let theory = match first {
        Some(rs) => theory_epoch_spectra(m, sim, (w, state), rs, &freqs, opts),
        None => Err("no spectrum recorded".into()),
    };
    let (spec, kappa, status) = match theory {
        Ok((s, k, st)) => (Some(s), k, st),
        Err(e) => (None, Vec::new(), e),
    };
    let f_lo = SPECTRUM_BANDS_HZ[0];
    let populations = sim
        .populations
        .iter()
        .enumerate()
        .map(|(a, pr)| {
            let rs = est[a];
            let n = rs.map_or(0, n_keep).min(freqs.len());
            let sim_hz: Vec<f64> = rs.map_or_else(Vec::new, |r| r.power_hz[..n].to_vec());
            let th: Option<Vec<f64>> = spec.as_ref().map(|s| s[a][..n].to_vec());
            let band = |lo: f64, hi: f64| -> Option<SpectrumBand> {
                let r = rs?;
                let sb = r.band(&sim_hz, lo, hi)?;
                let tb = th
                    .as_ref()
                    .and_then(|t| r.band(t, lo, hi))
                    .map(|b| b.mean_hz);
                Some(SpectrumBand {
                    lo_hz: lo,
                    hi_hz: hi,
                    sim_hz: sb.mean_hz,
                    theory_hz: tb,
                    rel_err: tb.map(|t| sb.mean_hz / t - 1.0),
                    rel_se: sb.rel_se,
                })
            };
            let mut bands: Vec<SpectrumBand> = SPECTRUM_BANDS_HZ
                .windows(2)
                .filter_map(|b| band(b[0], b[1]))
                .collect();
            bands.extend(band(f_lo, SPECTRUM_BANDS_HZ[SPECTRUM_BANDS_HZ.len() - 1]));
            PopulationSpectrum {
                name: pr.name.clone(),
                frequencies_hz: freqs[..n].to_vec(),
                peak_sim_hz: peak_frequency(&freqs[..n], &sim_hz, f_lo, opts.f_max),
                peak_theory_hz: th
                    .as_ref()
                    .and_then(|t| peak_frequency(&freqs[..n], t, f_lo, opts.f_max)),
                sim_hz,
                theory_hz: th,
                rel_se: rs.map_or(f64::NAN, |r| r.rel_se),
                white_level_hz: rs.map_or(f64::NAN, |r| r.rate_hz / r.neurons.max(1) as f64),
                bands,
            }
        })
        .collect();
    EpochSpectrum {
        window_s: w,
        kappa_theory_hz: kappa,
        theory_status: status,
        populations,
    }
}

/// The spectrum section of [`table`].
fn spectrum_table(sc: &SpectrumComparison) -> String {
    use std::fmt::Write;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\npopulation-rate spectra (docs/theory.md 6.5): theory {}, {}; {}",
        label(&sc.transfer),
        label(&sc.noise),
        sc.response
    );
    for e in &sc.epochs {
        let _ = writeln!(
            s,
            "  epoch [{:.2}, {:.2}] s: theory {}",
            e.window_s[0], e.window_s[1], e.theory_status
        );
        for p in &e.populations {
            let bands: Vec<String> = p
                .bands
                .iter()
                .map(|b| {
                    format!(
                        "[{}, {}] {}",
                        b.lo_hz,
                        b.hi_hz,
                        b.rel_err.map_or("-".into(), |x| format!(
                            "{:+.1}% (se {:.1}%)",
                            100.0 * x,
                            100.0 * b.rel_se
                        ))
                    )
                })
                .collect();
            let peak = |x: Option<f64>| x.map_or("-".into(), |f| format!("{f:.1}"));
            let _ = writeln!(
                s,
                "    {}: peak sim {} Hz, theory {} Hz; sim/theory - 1 by band (Hz): {}",
                p.name,
                peak(p.peak_sim_hz),
                peak(p.peak_theory_hz),
                bands.join("  ")
            );
        }
    }
    s
}

/// The `spectrum` figure (log-log): per population, the simulated spectrum of each
/// epoch beside the theory's expected estimate, with the white level `nu / N`.
fn spectrum_figure(report: &Report, save: &mut SaveFn<'_>) -> Result<Vec<String>> {
    use crate::plot::{Panel, Series, Style};
    let Some(sc) = &report.spectra else {
        return Ok(Vec::new());
    };
    let Some(p) = sc.epochs.first().map(|e| e.populations.len()) else {
        return Ok(Vec::new());
    };
    let variant = format!(
        "{}, {}; diffusion response, renewal S0",
        label(&sc.transfer),
        label(&sc.noise)
    );
    let panels: Vec<Panel> = (0..p)
        .map(|a| {
            let mut series = Vec::new();
            let name = sc.epochs[0].populations[a].name.clone();
            let several = sc.epochs.len() > 1;
            for (k, e) in sc.epochs.iter().enumerate() {
                let ps = &e.populations[a];
                let tag = if several {
                    format!(" [{:.1}, {:.1}] s", e.window_s[0], e.window_s[1])
                } else {
                    String::new()
                };
                let pts = |v: &[f64]| -> Vec<(f64, f64)> {
                    ps.frequencies_hz
                        .iter()
                        .copied()
                        .zip(v.iter().copied())
                        .collect()
                };
                series.push(Series::new(
                    format!("simulation{tag}"),
                    pts(&ps.sim_hz),
                    Style::ThinLine,
                    2 * k,
                ));
                match &ps.theory_hz {
                    Some(t) => series.push(Series::new(
                        format!("theory ({variant}){tag}"),
                        pts(t),
                        Style::Line,
                        2 * k + 1,
                    )),
                    None => series.push(Series::new(
                        format!("no theory{tag}: {}", short_status(&e.theory_status)),
                        Vec::new(),
                        Style::Line,
                        2 * k + 1,
                    )),
                }
                if k == 0 {
                    let (f0, f1) = (
                        ps.frequencies_hz.first().copied().unwrap_or(1.0),
                        ps.frequencies_hz.last().copied().unwrap_or(1.0),
                    );
                    series.push(Series::new(
                        "nu/N (independent Poisson neurons)",
                        vec![(f0, ps.white_level_hz), (f1, ps.white_level_hz)],
                        Style::ThinLine,
                        6,
                    ));
                }
            }
            Panel {
                title: format!("{name}: spectrum of the population rate (two-sided)"),
                x_label: "frequency (Hz)".into(),
                y_label: "power (Hz^2/Hz)".into(),
                series,
                y_range: None,
                x_log: true,
                y_log: true,
            }
        })
        .collect();
    save("spectrum", &panels)?;
    Ok(vec!["spectrum".to_string()])
}

/// The first clause of a theory status, for a legend.
fn short_status(s: &str) -> String {
    s.split(';').next().unwrap_or(s).to_string()
}

/// The recording bin of the Model in ms.
fn sim_bin_ms(model: &Model) -> f64 {
    model.sim.record_bin * 1e3
}
