//! Single-neuron tuning curves to the latent state (docs/theory.md 2.6.4): neurons sampled from
//! the theory's joint Gaussian of their inputs along a path of latent states, in the
//! balanced network and in the "unbalanced mode" of a standard low-rank network.

use nalgebra::DVector;
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use super::mode::{FastMode, solve_path};
use super::two_state::covariance_matrices;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::theory::check_dims;
use crate::theory::stationary::Limit;
use crate::transfer::Transfer;

/// Sampling and classification settings of [`tuning_curves`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct TuningOptions {
    /// Neurons sampled per population.
    pub neurons: usize,
    /// Seed of the random number generator (Xoshiro256++): same seed, same curves.
    pub seed: u64,
    /// A curve is non-monotone when both its largest rise and its largest fall along the
    /// path exceed this (Hz); also the range below which a curve counts as untuned.
    pub tol_hz: f64,
}

impl Default for TuningOptions {
    fn default() -> Self {
        TuningOptions {
            neurons: 200,
            seed: 1,
            tol_hz: 0.1,
        }
    }
}

/// Shape statistics of a set of tuning curves (each a rate per path point, Hz).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TuningStats {
    /// Number of curves.
    pub neurons: usize,
    /// Tolerance used (Hz).
    pub tol_hz: f64,
    /// Fraction of curves that are non-monotone: largest rise and largest fall both `> tol_hz`.
    pub nonmonotone_fraction: f64,
    /// Mean over all curves of `min(largest rise, largest fall)` (Hz): 0 for monotone curves.
    pub mean_nonmonotone_depth_hz: f64,
    /// Fraction whose maximum is inside the path and exceeds both ends by `> tol_hz` (bumps).
    pub interior_peak_fraction: f64,
    /// Fraction whose minimum is inside the path and lies below both ends by `> tol_hz` (troughs).
    pub interior_trough_fraction: f64,
    /// Mean over tuned curves (range `> tol_hz`) of the end-point asymmetry index
    /// `|nu(last) - nu(first)| / (max - min)`: exactly 1 for monotone ridges, near 0 for
    /// symmetric bumps or troughs.
    pub mean_endpoint_asymmetry: f64,
    /// Fraction of curves with range `<= tol_hz` (untuned or silent).
    pub untuned_fraction: f64,
}

/// Shape statistics of tuning curves (`curves[i][l]`: neuron `i` at path point `l`, Hz),
/// for theory samples and simulated per-neuron rates alike (docs/theory.md 2.6.4).
pub fn tuning_stats(curves: &[Vec<f64>], tol_hz: f64) -> Result<TuningStats> {
    if !(tol_hz.is_finite() && tol_hz >= 0.0) {
        return Err(Error::invalid("tol_hz", tol_hz, "must be finite and >= 0"));
    }
    let n = curves.len();
    let (mut nonmono, mut depth_sum, mut peaks, mut troughs, mut asym_sum, mut tuned, mut untuned) =
        (0usize, 0.0, 0usize, 0usize, 0.0, 0usize, 0usize);
    for c in curves {
        if c.len() < 2 || c.iter().any(|v| !v.is_finite()) {
            return Err(Error::invalid(
                "curves",
                c.len(),
                "each curve needs >= 2 finite rates",
            ));
        }
        let (mut run_min, mut run_max) = (c[0], c[0]);
        let (mut rise, mut fall) = (0.0f64, 0.0f64);
        for &v in &c[1..] {
            rise = rise.max(v - run_min);
            fall = fall.max(run_max - v);
            run_min = run_min.min(v);
            run_max = run_max.max(v);
        }
        let depth = rise.min(fall);
        depth_sum += depth;
        if depth > tol_hz {
            nonmono += 1;
        }
        let (first, last) = (c[0], c[c.len() - 1]);
        if run_max - first.max(last) > tol_hz {
            peaks += 1;
        }
        if first.min(last) - run_min > tol_hz {
            troughs += 1;
        }
        let range = run_max - run_min;
        if range > tol_hz {
            tuned += 1;
            asym_sum += (last - first).abs() / range;
        } else {
            untuned += 1;
        }
    }
    let frac = |k: usize| if n > 0 { k as f64 / n as f64 } else { f64::NAN };
    Ok(TuningStats {
        neurons: n,
        tol_hz,
        nonmonotone_fraction: frac(nonmono),
        mean_nonmonotone_depth_hz: if n > 0 {
            depth_sum / n as f64
        } else {
            f64::NAN
        },
        interior_peak_fraction: frac(peaks),
        interior_trough_fraction: frac(troughs),
        mean_endpoint_asymmetry: if tuned > 0 {
            asym_sum / tuned as f64
        } else {
            f64::NAN
        },
        untuned_fraction: frac(untuned),
    })
}

/// Sampled tuning curves of one population.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TuningPopulation {
    /// Population name.
    pub name: String,
    /// `curves[i][l]`: rate of sampled neuron `i` at path point `l` (Hz).
    pub curves: Vec<Vec<f64>>,
    /// Shape statistics of `curves`.
    pub stats: TuningStats,
    /// Population rate `nu_A` along the path (Hz).
    pub rate_hz: Vec<f64>,
    /// `mu_A` along the path (mV).
    pub mu_mv: Vec<f64>,
    /// Most negative eigenvalue of the `L x L` input covariance that was clipped to 0 to
    /// make it positive semi-definite (mV^2; 0 if none): a measure of solver and quadrature
    /// error in the pairwise cross-covariances.
    pub clipped_eigenvalue_mv2: f64,
}

/// Tuning curves along a latent path (docs/theory.md 2.6.4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TuningCurves {
    /// How the fast variables were solved along the path.
    pub mode: String,
    /// Path coordinate (Hz): `kappa` for `D = 1`, the arc length otherwise.
    pub kappa: Vec<f64>,
    /// The latent states of the path (Hz).
    pub path: Vec<Vec<f64>>,
    /// The input `s`, the same along the path.
    pub s: Vec<f64>,
    /// Per population, in Model order.
    pub populations: Vec<TuningPopulation>,
}

/// Sample `opts.neurons` neurons per population and their rates along a path of latent
/// states `path[l]` at fixed input `s` (docs/theory.md 2.6.4). The fast variables are solved at
/// every path point in `mode`; a neuron's inputs `x_i(kappa_l)` are jointly Gaussian
/// across `l` with means `M_A(kappa_l)` and covariance `C_A^{ll'}` from the two-state
/// theory (pairwise; `Delta_A` on the diagonal), made positive semi-definite by clipping
/// negative eigenvalues, and mapped through `Phi_A(., sigma_A(kappa_l))`.
pub fn tuning_curves(
    model: &Model,
    mode: &FastMode,
    path: &[Vec<f64>],
    s: &[f64],
    opts: &TuningOptions,
) -> Result<TuningCurves> {
    if path.len() < 2 {
        return Err(Error::invalid(
            "path",
            path.len(),
            "needs at least 2 latent states",
        ));
    }
    for k in path {
        check_dims(model, k, s)?;
    }
    if opts.neurons == 0 {
        return Err(Error::invalid("neurons", 0, "must be >= 1"));
    }
    let states = solve_path(model, mode, path, s)?;
    let populations = sample_populations(model, mode, &states, opts)?;
    Ok(TuningCurves {
        mode: mode.label(),
        kappa: super::mean_v::path_coordinate(path),
        path: path.to_vec(),
        s: s.to_vec(),
        populations,
    })
}

/// Rates of `opts.neurons` sampled neurons per population in conditions `l` given by a
/// latent state `kappa[l]` *and* an input `inputs[l]` each (docs/theory.md 2.6.4: the
/// multi-state theory, as [`tuning_curves`] but with the input changing between
/// conditions, e.g. the contexts and coherences of docs/theory.md 12.1). The fast
/// variables are solved in `mode` at every condition, warm-started from the previous
/// one; `curves[i][l]` is neuron `i` in condition `l`.
///
/// # Errors
///
/// [`Error::Invalid`] if fewer than 2 conditions are given, `kappa` and `inputs` differ
/// in length or do not match the Model's dimensions, or `opts.neurons` is 0; solver
/// errors of the fast variables.
pub fn condition_responses(
    model: &Model,
    mode: &FastMode,
    kappa: &[Vec<f64>],
    inputs: &[Vec<f64>],
    opts: &TuningOptions,
) -> Result<Vec<TuningPopulation>> {
    if kappa.len() < 2 || kappa.len() != inputs.len() {
        return Err(Error::invalid(
            "conditions",
            format!("{} latent states, {} inputs", kappa.len(), inputs.len()),
            "needs at least 2 conditions and one input per latent state",
        ));
    }
    for (k, s) in kappa.iter().zip(inputs) {
        check_dims(model, k, s)?;
    }
    if opts.neurons == 0 {
        return Err(Error::invalid("neurons", 0, "must be >= 1"));
    }
    let mut states = Vec::with_capacity(kappa.len());
    for (k, s) in kappa.iter().zip(inputs) {
        let st = mode.solve(model, k, s, states.last())?;
        states.push(st);
    }
    sample_populations(model, mode, &states, opts)
}

/// Sample neurons' rates in `states` from the joint Gaussian of their inputs
/// (docs/theory.md 2.6.4), per population.
fn sample_populations(
    model: &Model,
    mode: &FastMode,
    states: &[crate::theory::State],
    opts: &TuningOptions,
) -> Result<Vec<TuningPopulation>> {
    let cov = covariance_matrices(model, mode, states)?;
    let l = states.len();
    (0..model.p())
        .map(|a| {
            let eig = cov[a].clone().symmetric_eigen();
            let clipped = eig.eigenvalues.iter().copied().fold(0.0f64, f64::min);
            let sqrt_l =
                DVector::from_iterator(l, eig.eigenvalues.iter().map(|&e| e.max(0.0).sqrt()));
            let factor = &eig.eigenvectors * nalgebra::DMatrix::from_diagonal(&sqrt_l);
            let means: Vec<f64> = states
                .iter()
                .map(|st| st.populations[a].mean_input_mv)
                .collect();
            let transfers = states
                .iter()
                .map(|st| crate::theory::closure::state_transfer(model, st, a))
                .collect::<Result<Vec<_>>>()?;
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(
                opts.seed ^ (a as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15),
            );
            let curves: Vec<Vec<f64>> = (0..opts.neurons)
                .map(|_| {
                    let xi = DVector::from_iterator(
                        l,
                        (0..l).map(|_| rng.sample::<f64, _>(StandardNormal)),
                    );
                    let x = &factor * xi;
                    (0..l).map(|j| transfers[j].rate(means[j] + x[j])).collect()
                })
                .collect();
            let stats = tuning_stats(&curves, opts.tol_hz)?;
            Ok(TuningPopulation {
                name: model.populations[a].name.clone(),
                curves,
                stats,
                rate_hz: states.iter().map(|st| st.populations[a].rate_hz).collect(),
                mu_mv: states.iter().map(|st| st.populations[a].mu_mv).collect(),
                clipped_eigenvalue_mv2: clipped,
            })
        })
        .collect::<Result<Vec<_>>>()
}

/// `points` latent states evenly spaced on `[-kappa_max, kappa_max]` (Hz), for `D = 1`.
pub fn symmetric_path_1d(kappa_max: f64, points: usize) -> Result<Vec<Vec<f64>>> {
    if !(kappa_max.is_finite() && kappa_max > 0.0) {
        return Err(Error::invalid(
            "kappa_max",
            kappa_max,
            "must be finite and > 0",
        ));
    }
    if points < 2 {
        return Err(Error::invalid("points", points, "needs at least 2"));
    }
    Ok((0..points)
        .map(|i| vec![-kappa_max + 2.0 * kappa_max * i as f64 / (points - 1) as f64])
        .collect())
}

/// Balanced tuning against the unbalanced mode on the same path (docs/theory.md 2.6.4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TuningContrast {
    /// The network's own closure (finite K or balanced limit).
    pub balanced: TuningCurves,
    /// `mu_A` and `beta_A` frozen at the network's state at the path point closest to
    /// `kappa = 0`, the noise following the rates (`stationary::solve_fixed_mu`).
    pub unbalanced: TuningCurves,
    /// As `unbalanced` with the noise `sigma_A` frozen too: a fixed transfer function, the
    /// standard low-rank rate network `Phi(const + tau_m m_i . kappa)`.
    pub unbalanced_frozen_noise: TuningCurves,
}

/// Tuning curves of the network in `limit` and of the two unbalanced variants, with the same
/// seed (docs/theory.md 2.6.4).
pub fn tuning_contrast(
    model: &Model,
    limit: Limit,
    path: &[Vec<f64>],
    s: &[f64],
    opts: &TuningOptions,
) -> Result<TuningContrast> {
    let net = FastMode::network(limit);
    let balanced = tuning_curves(model, &net, path, s, opts)?;
    let norm = |k: &[f64]| k.iter().map(|v| v * v).sum::<f64>();
    let origin = path
        .iter()
        .min_by(|x, y| norm(x).total_cmp(&norm(y)))
        .cloned()
        .unwrap_or_default();
    let reference = net.solve(model, &origin, s, None)?;
    let unbalanced = tuning_curves(
        model,
        &FastMode::unbalanced_at(&reference, false),
        path,
        s,
        opts,
    )?;
    let unbalanced_frozen_noise = tuning_curves(
        model,
        &FastMode::unbalanced_at(&reference, true),
        path,
        s,
        opts,
    )?;
    Ok(TuningContrast {
        balanced,
        unbalanced,
        unbalanced_frozen_noise,
    })
}
