//! Latent computations as claims (docs/theory.md section 12): a Model is simulated over many
//! seeds (trials), its latent dynamics are integrated by the theory, and the two are put
//! side by side: trial-averaged trajectories, single-trial variability, the ring's angle
//! diffusion, the oscillation's frequency, and the predictions of docs/theory.md 2.6 along
//! the trajectory in sliding windows. Like [`crate::compare`], this is where theory and
//! simulation meet; the measures themselves are in [`crate::analysis::trajectory`].

use serde::{Deserialize, Serialize};

use crate::analysis::trajectory::{
    AngleDiffusion, WithinTrialDiffusion, angle_diffusion, angular_frequency, mean_sem,
    rms_relative, within_trial_diffusion,
};
use crate::error::{Error, Result};
use crate::model::Model;
use crate::sim::{RunOptions, simulate};
use crate::theory::dynamics::{DynamicsOptions, Trajectory, integrate};
use crate::theory::latent::{SearchBox, fixed_points};
use crate::theory::{Limit, State, stationary};

/// Statistics of one population in one time window of one trial.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct WindowStats {
    /// Population rate (Hz).
    pub rate_hz: f64,
    /// Population-mean membrane potential (mV).
    pub mean_v_mv: f64,
    /// Standard deviation across neurons of the window's spike counts / window (Hz).
    pub rate_sd_hz: f64,
    /// Fraction of neurons without a spike in the window.
    pub silent_fraction: f64,
    /// Synchrony: Fano factor of the population spike count in 1 ms bins (1 for
    /// independent Poisson neurons; docs/theory.md 3).
    pub fano_1ms: f64,
    /// Mean Pearson correlation of spike counts in 20 ms bins over up to 2000 pairs
    /// (NaN = null for windows shorter than 5 bins).
    #[serde(with = "crate::sim::nan_null")]
    pub pair_corr: f64,
}

/// What one trial (one seed) recorded.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrialRecord {
    /// Seed of the network and its noise.
    pub seed: u64,
    /// Bin centres (s from the start of the warm-up).
    pub time_s: Vec<f64>,
    /// `kappa(t)` per bin (Hz), `[t][d]`.
    pub kappa_hz: Vec<Vec<f64>>,
    /// Population rate per bin (Hz), `[population][t]`.
    pub rate_hz: Vec<Vec<f64>>,
    /// Population-mean V per bin (mV), `[population][t]`.
    pub mean_v_mv: Vec<Vec<f64>>,
    /// Per requested window, per population.
    pub windows: Vec<Vec<WindowStats>>,
    /// Mean ISI CV per population over the whole recording (NaN = null if undefined).
    #[serde(with = "crate::sim::nan_null_vec")]
    pub cv_isi: Vec<f64>,
    /// CPU time of the time loop (s; wall clock where CPU time is not available).
    pub cpu_s: f64,
}

/// How [`run_trials`] runs and records.
#[derive(Clone, Debug)]
pub struct TrialOptions {
    /// Seeds, one trial each.
    pub seeds: Vec<u64>,
    /// One network for every trial: this network seed, and the trial's seed for the noise
    /// alone (`sim.noise_seed`, docs/theory.md 3). None: each trial's seed draws its own
    /// network.
    pub network_seed: Option<u64>,
    /// Bin of the recorded time series (s), a multiple of 1 ms.
    pub bin_s: f64,
    /// Windows `[t0, t1]` (s from the start) in which [`WindowStats`] are measured; every
    /// neuron's spikes are recorded when there are any.
    pub windows: Vec<[f64; 2]>,
    /// No progress bar.
    pub quiet: bool,
}

fn rebin(x: &[f64], k: usize) -> Vec<f64> {
    x.chunks(k)
        .filter(|c| c.len() == k)
        .map(|c| c.iter().sum::<f64>() / k as f64)
        .collect()
}

fn window_stats(
    sim: &crate::sim::SimResult,
    pop: usize,
    first_id: u32,
    w: [f64; 2],
    seed: u64,
) -> WindowStats {
    let p = &sim.populations[pop];
    let t = &sim.time_s;
    let bin = if t.len() > 1 { t[1] - t[0] } else { 1e-3 };
    let idx: Vec<usize> = (0..t.len())
        .filter(|&i| t[i] >= w[0] && t[i] < w[1])
        .collect();
    let avg = |v: &[f64]| idx.iter().map(|&i| v[i]).sum::<f64>() / idx.len().max(1) as f64;
    let rate = avg(&p.rate_t);
    let counts_1ms: Vec<f64> = idx
        .iter()
        .map(|&i| p.rate_t[i] * p.n as f64 * bin)
        .collect();
    let (m1, _) = mean_sem(&counts_1ms);
    let var1 = counts_1ms.iter().map(|c| (c - m1).powi(2)).sum::<f64>()
        / (counts_1ms.len().max(2) - 1) as f64;
    // per-neuron counts from the full raster
    let len = w[1] - w[0];
    let nb = (len / 0.020).floor() as usize;
    let mut counts = vec![0.0; p.n];
    let mut binned = vec![vec![0.0; nb]; if nb >= 5 { p.n } else { 0 }];
    for (&id, &ts) in p.raster_ids.iter().zip(&p.raster_times) {
        if ts >= w[0] && ts < w[1] {
            let i = (id - first_id) as usize;
            if i < p.n {
                counts[i] += 1.0;
                if nb >= 5 {
                    let b = ((ts - w[0]) / 0.020) as usize;
                    if b < nb {
                        binned[i][b] += 1.0;
                    }
                }
            }
        }
    }
    let rates: Vec<f64> = counts.iter().map(|c| c / len).collect();
    let (mr, _) = mean_sem(&rates);
    let sd = (rates.iter().map(|r| (r - mr).powi(2)).sum::<f64>() / rates.len() as f64).sqrt();
    let silent = counts.iter().filter(|&&c| c == 0.0).count() as f64 / p.n as f64;
    let pair_corr = if nb >= 5 {
        pair_correlation(&binned, seed.wrapping_add(pop as u64))
    } else {
        f64::NAN
    };
    WindowStats {
        rate_hz: rate,
        mean_v_mv: avg(&p.mean_v_t),
        rate_sd_hz: sd,
        silent_fraction: silent,
        fano_1ms: if m1 > 0.0 { var1 / m1 } else { f64::NAN },
        pair_corr,
    }
}

/// Mean Pearson correlation over up to 2000 pairs of distinct neurons drawn with a
/// splitmix64 stream from `seed`; pairs with a constant count are skipped.
fn pair_correlation(binned: &[Vec<f64>], seed: u64) -> f64 {
    let n = binned.len();
    if n < 2 {
        return f64::NAN;
    }
    let mut state = seed ^ 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        (z ^ (z >> 31)) as usize
    };
    let (mut sum, mut k) = (0.0, 0usize);
    for _ in 0..2000 {
        let i = next() % n;
        let j = next() % n;
        if i == j {
            continue;
        }
        if let Some(c) = pearson(&binned[i], &binned[j]) {
            sum += c;
            k += 1;
        }
    }
    if k == 0 { f64::NAN } else { sum / k as f64 }
}

fn pearson(a: &[f64], b: &[f64]) -> Option<f64> {
    let n = a.len() as f64;
    let ma = a.iter().sum::<f64>() / n;
    let mb = b.iter().sum::<f64>() / n;
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma).powi(2);
        sbb += (y - mb).powi(2);
    }
    (saa > 0.0 && sbb > 0.0).then(|| sab / (saa * sbb).sqrt())
}

/// Simulate `model` once per seed (one thread each, one after the other) and keep the
/// binned `kappa(t)`, rates and mean V, and the [`WindowStats`] of every window.
///
/// # Errors
///
/// [`Error::Invalid`] for no seeds or a bin that is not a positive multiple of the
/// Model's `record_bin`; the errors of [`simulate`].
pub fn run_trials(model: &Model, opt: &TrialOptions) -> Result<Vec<TrialRecord>> {
    if opt.seeds.is_empty() {
        return Err(Error::invalid("seeds", 0, "needs at least one seed"));
    }
    let rb = model.sim.record_bin;
    let k = (opt.bin_s / rb).round() as usize;
    if k == 0 || ((k as f64) * rb - opt.bin_s).abs() > 1e-9 {
        return Err(Error::invalid(
            "bin_s",
            opt.bin_s,
            format!("must be a positive multiple of sim.record_bin = {rb} s"),
        ));
    }
    let mut m = model.clone();
    if !opt.windows.is_empty() {
        m.sim.raster_neurons = m.populations.iter().map(|p| p.n).max().unwrap_or(0);
    } else {
        m.sim.raster_neurons = 0;
    }
    m.sim.corr_pairs = 0;
    let bar = (!opt.quiet).then(|| {
        let b = indicatif::ProgressBar::new(opt.seeds.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template("trials {bar:40} {pos}/{len} eta {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let mut out = Vec::with_capacity(opt.seeds.len());
    for &seed in &opt.seeds {
        match opt.network_seed {
            Some(net) => {
                m.sim.seed = net;
                m.sim.noise_seed = Some(seed);
            }
            None => m.sim.seed = seed,
        }
        let r = simulate(
            &m,
            &RunOptions {
                threads: 1,
                quiet: true,
                out_dir: None,
            },
        )?;
        let d = m.d();
        let kappa_flat: Vec<Vec<f64>> = (0..d)
            .map(|c| rebin(&r.kappa_t.iter().map(|v| v[c]).collect::<Vec<_>>(), k))
            .collect();
        let time_s = rebin(&r.time_s, k);
        let kappa_hz = (0..time_s.len())
            .map(|t| (0..d).map(|c| kappa_flat[c][t]).collect())
            .collect();
        let mut first = 0u32;
        let mut firsts = Vec::new();
        for p in &m.populations {
            firsts.push(first);
            first += p.n as u32;
        }
        let windows = opt
            .windows
            .iter()
            .map(|&w| {
                (0..r.populations.len())
                    .map(|a| window_stats(&r, a, firsts[a], w, seed))
                    .collect()
            })
            .collect();
        out.push(TrialRecord {
            seed,
            time_s,
            kappa_hz,
            rate_hz: r.populations.iter().map(|p| rebin(&p.rate_t, k)).collect(),
            mean_v_mv: r
                .populations
                .iter()
                .map(|p| rebin(&p.mean_v_t, k))
                .collect(),
            windows,
            cv_isi: r.populations.iter().map(|p| p.cv_isi).collect(),
            cpu_s: r.cpu_s.unwrap_or(r.wall_s),
        });
        if let Some(b) = &bar {
            b.inc(1);
        }
    }
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    Ok(out)
}

/// Trial mean, its standard error and the single-trial standard deviation of a series.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct SeriesStats {
    /// Mean over trials.
    pub mean: Vec<f64>,
    /// Standard error of the mean.
    pub sem: Vec<f64>,
    /// Standard deviation across trials (single-trial variability).
    pub sd: Vec<f64>,
}

fn series_stats(rows: &[&[f64]]) -> SeriesStats {
    let len = rows.iter().map(|r| r.len()).min().unwrap_or(0);
    let mut s = SeriesStats::default();
    for t in 0..len {
        let v: Vec<f64> = rows.iter().map(|r| r[t]).collect();
        let (m, e) = mean_sem(&v);
        s.mean.push(m);
        s.sem.push(e);
        s.sd.push(e * (v.len() as f64).sqrt());
    }
    s
}

/// Consecutive windows `[t0 + k w, t0 + (k + 1) w]` (s) that fit before `t_end`: the
/// sliding windows of docs/theory.md 12.5.
pub fn consecutive_windows(t0: f64, t_end: f64, width: f64) -> Vec<[f64; 2]> {
    (0..((t_end - t0) / width).round().max(0.0) as usize)
        .map(|k| [t0 + width * k as f64, t0 + width * (k + 1) as f64])
        .collect()
}

/// A claim's run: the theory's latent trajectory from `kappa = 0` over the model's whole
/// time (output every `bin_s` s) and `trials` simulated trials (seeds 1 to `trials`)
/// recorded in bins of `bin_s` and in the `windows`. Each trial is its own network, or,
/// with `network_seed`, the same network under the trial's noise seed
/// ([`TrialOptions::network_seed`]).
///
/// # Errors
/// The errors of [`theory_trajectory`] and [`run_trials`].
pub fn run_claim(
    model: &Model,
    trials: u64,
    network_seed: Option<u64>,
    bin_s: f64,
    windows: &[[f64; 2]],
) -> Result<(Trajectory, Vec<TrialRecord>)> {
    let t_end = model.sim.warmup + model.sim.duration;
    let theory = theory_trajectory(model, t_end, bin_s)?;
    let records = run_trials(
        model,
        &TrialOptions {
            seeds: (1..=trials).collect(),
            network_seed,
            bin_s,
            windows: windows.to_vec(),
            quiet: false,
        },
    )?;
    Ok((theory, records))
}

/// The theory's latent trajectory (finite K) on the trials' bin centres, started at
/// `kappa = 0` at `t = 0` (docs/theory.md 2.5), linearly interpolated from an output grid
/// of `dt_out` (s).
///
/// # Errors
///
/// The errors of [`integrate`].
pub fn theory_trajectory(model: &Model, t_end: f64, dt_out: f64) -> Result<Trajectory> {
    integrate(
        model,
        Limit::Finite,
        &vec![0.0; model.d()],
        t_end,
        dt_out,
        &DynamicsOptions::default(),
    )
}

fn interp(t: &[f64], y: &[f64], x: f64) -> f64 {
    match t.iter().position(|&ti| ti >= x) {
        Some(0) => y[0],
        Some(i) => {
            let w = (x - t[i - 1]) / (t[i] - t[i - 1]);
            y[i - 1] * (1.0 - w) + y[i] * w
        }
        None => *y.last().unwrap_or(&f64::NAN),
    }
}

/// Theory against the trial average along the trajectory (docs/theory.md 12.4).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct TrajectoryComparison {
    /// Bin centres compared (s), those at or after `t_from`.
    pub time_s: Vec<f64>,
    /// Theory `kappa(t)` on those times (Hz), `[t][d]`.
    pub theory_kappa_hz: Vec<Vec<f64>>,
    /// Trial-averaged simulated `kappa`, per component (Hz).
    pub sim_kappa_hz: Vec<SeriesStats>,
    /// `rms_relative(theory, trial mean)` of `kappa`.
    pub kappa_rms_relative: f64,
    /// Theory population-mean V (mV), `[population][t]`.
    pub theory_mean_v_mv: Vec<Vec<f64>>,
    /// Trial-averaged simulated population-mean V (mV), per population.
    pub sim_mean_v_mv: Vec<SeriesStats>,
    /// Theory population rate (Hz), `[population][t]`.
    pub theory_rate_hz: Vec<Vec<f64>>,
    /// Trial-averaged simulated population rate (Hz), per population.
    pub sim_rate_hz: Vec<SeriesStats>,
    /// Number of trials.
    pub trials: usize,
}

/// Compare the theory's trajectory with the trial average of `trials` on the bins at or
/// after `t_from` (s).
///
/// # Errors
///
/// [`Error::Invalid`] for no trials or no bins after `t_from`; the errors of
/// [`rms_relative`].
pub fn compare_trajectory(
    theory: &Trajectory,
    trials: &[TrialRecord],
    t_from: f64,
) -> Result<TrajectoryComparison> {
    let first = trials
        .first()
        .ok_or_else(|| Error::invalid("trials", 0, "needs at least one trial"))?;
    let idx: Vec<usize> = (0..first.time_s.len())
        .filter(|&i| {
            first.time_s[i] >= t_from && first.time_s[i] <= *theory.t.last().unwrap_or(&0.0)
        })
        .collect();
    if idx.is_empty() {
        return Err(Error::invalid(
            "t_from",
            t_from,
            "leaves no bins to compare",
        ));
    }
    let time_s: Vec<f64> = idx.iter().map(|&i| first.time_s[i]).collect();
    let d = theory.kappa.first().map_or(0, Vec::len);
    let theory_kappa_hz: Vec<Vec<f64>> = time_s
        .iter()
        .map(|&x| {
            (0..d)
                .map(|c| {
                    let y: Vec<f64> = theory.kappa.iter().map(|k| k[c]).collect();
                    interp(&theory.t, &y, x)
                })
                .collect()
        })
        .collect();
    let pick = |v: &[f64]| idx.iter().map(|&i| v[i]).collect::<Vec<f64>>();
    let sim_kappa_hz: Vec<SeriesStats> = (0..d)
        .map(|c| {
            let rows: Vec<Vec<f64>> = trials
                .iter()
                .map(|tr| pick(&tr.kappa_hz.iter().map(|k| k[c]).collect::<Vec<_>>()))
                .collect();
            series_stats(&rows.iter().map(Vec::as_slice).collect::<Vec<_>>())
        })
        .collect();
    let sim_mean: Vec<Vec<f64>> = (0..time_s.len())
        .map(|t| (0..d).map(|c| sim_kappa_hz[c].mean[t]).collect())
        .collect();
    let kappa_rms_relative = rms_relative(&theory_kappa_hz, &sim_mean)?;
    let pops = theory.populations.len();
    let per_pop = |get_sim: &dyn Fn(&TrialRecord, usize) -> Vec<f64>| -> Vec<SeriesStats> {
        (0..pops)
            .map(|a| {
                let rows: Vec<Vec<f64>> = trials.iter().map(|tr| pick(&get_sim(tr, a))).collect();
                series_stats(&rows.iter().map(Vec::as_slice).collect::<Vec<_>>())
            })
            .collect()
    };
    let on_times = |y: &[f64]| time_s.iter().map(|&x| interp(&theory.t, y, x)).collect();
    Ok(TrajectoryComparison {
        theory_mean_v_mv: theory
            .populations
            .iter()
            .map(|p| on_times(&p.mean_v_mv))
            .collect(),
        theory_rate_hz: theory
            .populations
            .iter()
            .map(|p| on_times(&p.rate_hz))
            .collect(),
        sim_mean_v_mv: per_pop(&|tr, a| tr.mean_v_mv[a].clone()),
        sim_rate_hz: per_pop(&|tr, a| tr.rate_hz[a].clone()),
        time_s,
        theory_kappa_hz,
        sim_kappa_hz,
        kappa_rms_relative,
        trials: trials.len(),
    })
}

/// A mean with its standard error over trials.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct Estimate {
    /// Mean over trials.
    pub mean: f64,
    /// Standard error of the mean (NaN = null for one trial).
    #[serde(with = "crate::sim::nan_null")]
    pub sem: f64,
}

impl Estimate {
    fn of(v: &[f64]) -> Self {
        let (mean, sem) = mean_sem(v);
        Estimate { mean, sem }
    }
}

/// The ring attractor's memory (docs/theory.md 12.2).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RingReport {
    /// Radius of the theory's ring at `s = 0` (Hz).
    pub theory_radius_hz: f64,
    /// Transverse eigenvalue of the ring (1/s).
    pub theory_transverse_per_s: f64,
    /// Time-averaged `|kappa|` per trial over the hold window, over trials (Hz).
    pub sim_radius_hz: Estimate,
    /// `sim / theory - 1` of the radius.
    pub radius_rel_error: f64,
    /// Angle at the start of the hold window, over trials (rad; cue at 0).
    pub sim_angle_start_rad: Estimate,
    /// Angle at the end of the hold window, over trials (rad).
    pub sim_angle_end_rad: Estimate,
    /// Angle diffusion over the hold window (`None` with fewer than 3 trials).
    pub diffusion: Option<AngleDiffusion>,
    /// Angle diffusion within each trial (one network under its own noise, its quenched
    /// drift removed; Allan variance at lags 0.2-0.8 s, docs/theory.md 12.4).
    #[serde(default)]
    pub within_trial: Option<WithinTrialDiffusion>,
    /// Theory's slope of the angle variance (rad^2/s), independent Poisson trains:
    /// `sum_B c_B^2 Var(n_t)_B nu_B / (N_B tau_s^2 R^2)`.
    pub theory_variance_slope_rad2_per_s: f64,
    /// The same with each population's Fano factor taken as the square of its mean ISI
    /// CV measured in the trials (renewal trains: count Fano factor = CV^2).
    pub theory_variance_slope_cv2_rad2_per_s: f64,
    /// The hold window `[t0, t1]` (s).
    pub hold_window_s: [f64; 2],
}

/// The theory's slope of the angle variance on a ring of radius `radius_hz` with the fast
/// state `state` (docs/theory.md 12.2): `sum_B c_B^2 Var(n_tangent)_B nu_B F_B /
/// (N_B tau_s^2 R^2)` (rad^2/s), `fano[B]` the spike-count Fano factor of `B`'s trains
/// (1 for Poisson), `tangent` the unit tangent of the ring.
///
/// # Errors
///
/// [`Error::Invalid`] for a Model without latent structure, a tangent of the wrong
/// length, a non-positive radius or Fano factor.
pub fn ring_variance_slope(
    model: &Model,
    state: &State,
    tangent: &[f64],
    radius_hz: f64,
    fano: &[f64],
) -> Result<f64> {
    let lat = model
        .latent
        .as_ref()
        .ok_or_else(|| Error::invalid("latent", "none", "the ring needs latent structure"))?;
    if tangent.len() != lat.d || !(radius_hz > 0.0) || fano.len() != model.p() {
        return Err(Error::invalid(
            "tangent / radius_hz / fano",
            format!("{} / {radius_hz} / {}", tangent.len(), fano.len()),
            format!(
                "need length D = {}, radius > 0 Hz, one Fano factor per population",
                lat.d
            ),
        ));
    }
    let mut q = 0.0;
    for (b, p) in model.populations.iter().enumerate() {
        let snn = &lat.loadings[b].sigma_nn;
        let var_t: f64 = (0..lat.d)
            .map(|i| {
                (0..lat.d)
                    .map(|j| tangent[i] * snn[i][j] * tangent[j])
                    .sum::<f64>()
            })
            .sum();
        if !(fano[b] > 0.0) {
            return Err(Error::invalid(format!("fano[{b}]"), fano[b], "must be > 0"));
        }
        q += p.c * p.c * var_t * state.populations[b].rate_hz * fano[b] / p.n as f64;
    }
    Ok(q / (lat.tau_s * lat.tau_s * radius_hz * radius_hz))
}

/// The ring's theory (radius, transverse eigenvalue, diffusion) against the trials over
/// the hold window `[t0, t1]` (s).
///
/// # Errors
///
/// [`Error::Invalid`] when the theory finds no ring at `s = 0` or the window holds fewer
/// than 2 bins; the errors of [`fixed_points`] and [`angle_diffusion`].
pub fn ring_report(model: &Model, trials: &[TrialRecord], hold: [f64; 2]) -> Result<RingReport> {
    let d = model.d();
    let sol = fixed_points(
        model,
        Limit::Finite,
        &vec![0.0; model.d_in()],
        &SearchBox::default(),
    )?;
    let ring = sol
        .rings
        .first()
        .ok_or_else(|| Error::invalid("model", &model.name, "the theory finds no ring at s = 0"))?;
    let r = &ring.representative;
    let tangent = if d == 2 {
        vec![-r[1] / ring.radius, r[0] / ring.radius]
    } else {
        ring.neutral_directions.first().cloned().unwrap_or_default()
    };
    let slope_theory = ring_variance_slope(
        model,
        &ring.state,
        &tangent,
        ring.radius,
        &vec![1.0; model.p()],
    )?;
    let first = &trials[0];
    let idx: Vec<usize> = (0..first.time_s.len())
        .filter(|&i| first.time_s[i] >= hold[0] && first.time_s[i] <= hold[1])
        .collect();
    if idx.len() < 2 {
        return Err(Error::invalid(
            "hold",
            format!("{hold:?}"),
            "holds fewer than 2 bins",
        ));
    }
    let times: Vec<f64> = idx.iter().map(|&i| first.time_s[i]).collect();
    let angles: Vec<Vec<f64>> = trials
        .iter()
        .map(|tr| {
            idx.iter()
                .map(|&i| tr.kappa_hz[i][1].atan2(tr.kappa_hz[i][0]))
                .collect()
        })
        .collect();
    let radii: Vec<f64> = trials
        .iter()
        .map(|tr| {
            idx.iter()
                .map(|&i| tr.kappa_hz[i].iter().map(|x| x * x).sum::<f64>().sqrt())
                .sum::<f64>()
                / idx.len() as f64
        })
        .collect();
    let unwrapped: Vec<Vec<f64>> = angles
        .iter()
        .map(|a| crate::analysis::trajectory::unwrap(a))
        .collect();
    let starts: Vec<f64> = unwrapped.iter().map(|a| a[0]).collect();
    let ends: Vec<f64> = unwrapped.iter().map(|a| a[a.len() - 1]).collect();
    let sim_radius = Estimate::of(&radii);
    let fano_cv2: Vec<f64> = (0..model.p())
        .map(|a| {
            let cv: Vec<f64> = trials
                .iter()
                .map(|t| t.cv_isi[a])
                .filter(|x| x.is_finite())
                .collect();
            mean_sem(&cv).0.powi(2)
        })
        .collect();
    let slope_cv2 = ring_variance_slope(model, &ring.state, &tangent, ring.radius, &fano_cv2)?;
    Ok(RingReport {
        theory_radius_hz: ring.radius,
        theory_transverse_per_s: ring
            .transverse_eigenvalues
            .first()
            .map_or(f64::NAN, |e| e[0]),
        radius_rel_error: sim_radius.mean / ring.radius - 1.0,
        sim_radius_hz: sim_radius,
        sim_angle_start_rad: Estimate::of(&starts),
        sim_angle_end_rad: Estimate::of(&ends),
        diffusion: if trials.len() >= 3 {
            Some(angle_diffusion(&times, &angles)?)
        } else {
            None
        },
        within_trial: within_trial_lags(&times)
            .map(|lags| within_trial_diffusion(&times, &angles, &lags))
            .transpose()?,
        theory_variance_slope_rad2_per_s: slope_theory,
        theory_variance_slope_cv2_rad2_per_s: slope_cv2,
        hold_window_s: hold,
    })
}

/// Lags 0.2, 0.3, ..., 0.8 s (multiples of the bin, below half the window) for
/// [`within_trial_diffusion`]: longer than the latent time constant `tau_s = 0.1` s of
/// the presets, short against the quenched drift; `None` if fewer than 2 fit.
fn within_trial_lags(times: &[f64]) -> Option<Vec<f64>> {
    let dt = times.get(1)? - times.first()?;
    let window = dt * times.len() as f64;
    let lags: Vec<f64> = (2..=8)
        .map(|k| ((0.1 * f64::from(k)) / dt).round() * dt)
        .filter(|&l| l >= dt && 2.0 * l < window - dt)
        .collect();
    (lags.len() >= 2).then_some(lags)
}

/// The latent oscillation (docs/theory.md 12.3).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct OscillationReport {
    /// Angular frequency of the theory's trajectory over the window (rad/s).
    pub theory_omega_rad_s: f64,
    /// Mean `|kappa|` of the theory's trajectory over the window (Hz).
    pub theory_radius_hz: f64,
    /// Angular frequency per trial (slope of the unwrapped angle), over trials (rad/s).
    pub sim_omega_rad_s: Estimate,
    /// Mean `|kappa|` per trial over the window, over trials (Hz).
    pub sim_radius_hz: Estimate,
    /// `sim / theory - 1` of the frequency.
    pub omega_rel_error: f64,
    /// `sim / theory - 1` of the radius.
    pub radius_rel_error: f64,
    /// Eigenvalue of `kappa = 0` (1/s), `[re, im]`: an unstable focus when `re > 0`, `im != 0`.
    pub origin_eigenvalue: [f64; 2],
    /// The window `[t0, t1]` (s).
    pub window_s: [f64; 2],
}

/// Frequency and radius of the cycle, theory against trials, over `window` (s).
///
/// # Errors
///
/// [`Error::Invalid`] for a window of fewer than 2 bins; the errors of [`fixed_points`]
/// and [`angular_frequency`].
pub fn oscillation_report(
    model: &Model,
    theory: &Trajectory,
    trials: &[TrialRecord],
    window: [f64; 2],
) -> Result<OscillationReport> {
    let origin = fixed_points(
        model,
        Limit::Finite,
        &vec![0.0; model.d_in()],
        &SearchBox {
            starts: 0,
            ..Default::default()
        },
    )?;
    let eig = origin
        .fixed_points
        .iter()
        .find(|f| f.kappa.iter().all(|k| k.abs() < 1e-6))
        .and_then(|f| f.eigenvalues.first().copied())
        .unwrap_or([f64::NAN, f64::NAN]);
    let ti: Vec<usize> = (0..theory.t.len())
        .filter(|&i| theory.t[i] >= window[0] && theory.t[i] <= window[1])
        .collect();
    let first = &trials[0];
    let si: Vec<usize> = (0..first.time_s.len())
        .filter(|&i| first.time_s[i] >= window[0] && first.time_s[i] <= window[1])
        .collect();
    if ti.len() < 2 || si.len() < 2 {
        return Err(Error::invalid(
            "window",
            format!("{window:?}"),
            "holds fewer than 2 points",
        ));
    }
    let angle = |k: &[f64]| k[1].atan2(k[0]);
    let radius = |k: &[f64]| k.iter().map(|x| x * x).sum::<f64>().sqrt();
    let th_t: Vec<f64> = ti.iter().map(|&i| theory.t[i]).collect();
    let th_a: Vec<f64> = ti.iter().map(|&i| angle(&theory.kappa[i])).collect();
    let theory_omega = angular_frequency(&th_t, &th_a)?;
    let theory_radius = ti.iter().map(|&i| radius(&theory.kappa[i])).sum::<f64>() / ti.len() as f64;
    let st: Vec<f64> = si.iter().map(|&i| first.time_s[i]).collect();
    let mut omegas = Vec::new();
    let mut radii = Vec::new();
    for tr in trials {
        let a: Vec<f64> = si.iter().map(|&i| angle(&tr.kappa_hz[i])).collect();
        omegas.push(angular_frequency(&st, &a)?);
        radii.push(si.iter().map(|&i| radius(&tr.kappa_hz[i])).sum::<f64>() / si.len() as f64);
    }
    let so = Estimate::of(&omegas);
    let sr = Estimate::of(&radii);
    Ok(OscillationReport {
        theory_omega_rad_s: theory_omega,
        theory_radius_hz: theory_radius,
        omega_rel_error: so.mean / theory_omega - 1.0,
        radius_rel_error: sr.mean / theory_radius - 1.0,
        sim_omega_rad_s: so,
        sim_radius_hz: sr,
        origin_eigenvalue: eig,
        window_s: window,
    })
}

/// Theory against simulation for one population in one window (docs/theory.md 12.5).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct WindowComparison {
    /// Population name.
    pub population: String,
    /// The window `[t0, t1]` (s).
    pub window_s: [f64; 2],
    /// Theory's `kappa` at the window centre (Hz).
    pub theory_kappa_hz: Vec<f64>,
    /// Theory: population rate (Hz), mean V (mV), spread of measured rates
    /// `sqrt(q - nu^2 + nu / T)` (Hz; Poisson counting noise in a window `T`), fraction
    /// without a spike in the window `E_x[exp(-Phi(x) T)]`.
    pub theory_rate_hz: f64,
    /// See `theory_rate_hz`.
    pub theory_mean_v_mv: f64,
    /// See `theory_rate_hz`.
    pub theory_rate_sd_hz: f64,
    /// See `theory_rate_hz`.
    pub theory_silent_fraction: f64,
    /// Simulation over trials.
    pub sim_rate_hz: Estimate,
    /// See `sim_rate_hz`.
    pub sim_mean_v_mv: Estimate,
    /// See `sim_rate_hz`.
    pub sim_rate_sd_hz: Estimate,
    /// See `sim_rate_hz`.
    pub sim_silent_fraction: Estimate,
    /// Synchrony: population Fano factor in 1 ms bins, over trials.
    pub sim_fano_1ms: Estimate,
    /// Pairwise spike-count correlation (20 ms bins), over trials (NaN = null for short
    /// windows).
    pub sim_pair_corr: Estimate,
}

/// The predictions of docs/theory.md 2.6 at the centre of every window of `trials` (the
/// windows given to [`run_trials`]), on the theory's trajectory, against the trials.
///
/// # Errors
///
/// [`Error::Invalid`] when the trials have no windows; the errors of
/// [`stationary::solve`].
pub fn compare_windows(
    model: &Model,
    theory: &Trajectory,
    trials: &[TrialRecord],
    windows: &[[f64; 2]],
) -> Result<Vec<WindowComparison>> {
    if trials.is_empty() || trials[0].windows.len() != windows.len() || windows.is_empty() {
        return Err(Error::invalid(
            "windows",
            windows.len(),
            "must be the (non-empty) windows the trials were run with",
        ));
    }
    let mut out = Vec::new();
    let mut guess: Option<State> = None;
    for (wi, w) in windows.iter().enumerate() {
        let tc = 0.5 * (w[0] + w[1]);
        let len = w[1] - w[0];
        let kappa: Vec<f64> = (0..model.d())
            .map(|c| {
                interp(
                    &theory.t,
                    &theory.kappa.iter().map(|k| k[c]).collect::<Vec<_>>(),
                    tc,
                )
            })
            .collect();
        let s = model.signal(tc);
        let st = stationary::solve(model, Limit::Finite, &kappa, &s, guess.as_ref())?;
        for (a, p) in st.populations.iter().enumerate() {
            let get = |f: &dyn Fn(&WindowStats) -> f64| {
                let v: Vec<f64> = trials
                    .iter()
                    .map(|tr| f(&tr.windows[wi][a]))
                    .filter(|x| x.is_finite())
                    .collect();
                Estimate::of(&v)
            };
            out.push(WindowComparison {
                population: p.name.clone(),
                window_s: *w,
                theory_kappa_hz: kappa.clone(),
                theory_rate_hz: p.rate_hz,
                theory_mean_v_mv: p.mean_v_mv,
                theory_rate_sd_hz: (p.q_hz2 - p.rate_hz * p.rate_hz + p.rate_hz / len)
                    .max(0.0)
                    .sqrt(),
                theory_silent_fraction: crate::compare::theory_silent(&st, model, a, len)?,
                sim_rate_hz: get(&|x| x.rate_hz),
                sim_mean_v_mv: get(&|x| x.mean_v_mv),
                sim_rate_sd_hz: get(&|x| x.rate_sd_hz),
                sim_silent_fraction: get(&|x| x.silent_fraction),
                sim_fano_1ms: get(&|x| x.fano_1ms),
                sim_pair_corr: get(&|x| x.pair_corr),
            });
        }
        guess = Some(st);
    }
    Ok(out)
}

/// Change of a global quantity between two windows: theory against simulation with its
/// finite-size error bar (docs/theory.md 12.5).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct GlobalChange {
    /// Population name.
    pub population: String,
    /// Quantity ("rate_hz", "pair_corr", "fano_1ms", "mean_v_mv").
    pub quantity: String,
    /// Theory's change (NaN = null where the theory predicts none: it describes the
    /// asynchronous state, with correlations and synchrony of order 1/N).
    #[serde(with = "crate::sim::nan_null")]
    pub theory_change: f64,
    /// Simulated change (second window minus first), over trials, paired per trial.
    pub sim_change: Estimate,
    /// Simulated value in the first window.
    pub sim_before: Estimate,
}

impl std::fmt::Display for GlobalChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: theory change {:.4}, sim change {:.4} +- {:.4} (before {:.4})",
            self.population,
            self.quantity,
            self.theory_change,
            self.sim_change.mean,
            self.sim_change.sem,
            self.sim_before.mean
        )
    }
}

/// A quantity of [`WindowStats`].
type Pick = &'static dyn Fn(&WindowStats) -> f64;

/// Changes between window `before` and window `after` (indices into `windows`).
///
/// # Errors
///
/// [`Error::Invalid`] for window indices out of range.
pub fn global_changes(
    comparisons: &[WindowComparison],
    trials: &[TrialRecord],
    windows: usize,
    before: usize,
    after: usize,
) -> Result<Vec<GlobalChange>> {
    if before >= windows || after >= windows || trials.is_empty() {
        return Err(Error::invalid(
            "before / after",
            format!("{before} / {after}"),
            format!("must index the {windows} windows"),
        ));
    }
    let pops = trials[0].windows[0].len();
    let mut out = Vec::new();
    for a in 0..pops {
        let cb = &comparisons[before * pops + a];
        let ca = &comparisons[after * pops + a];
        let quantities: [(&str, f64, Pick); 4] = [
            ("rate_hz", ca.theory_rate_hz - cb.theory_rate_hz, &|x| {
                x.rate_hz
            }),
            (
                "mean_v_mv",
                ca.theory_mean_v_mv - cb.theory_mean_v_mv,
                &|x| x.mean_v_mv,
            ),
            ("pair_corr", f64::NAN, &|x| x.pair_corr),
            ("fano_1ms", f64::NAN, &|x| x.fano_1ms),
        ];
        for (name, th, f) in quantities {
            let d: Vec<f64> = trials
                .iter()
                .map(|tr| f(&tr.windows[after][a]) - f(&tr.windows[before][a]))
                .filter(|x| x.is_finite())
                .collect();
            let b: Vec<f64> = trials
                .iter()
                .map(|tr| f(&tr.windows[before][a]))
                .filter(|x| x.is_finite())
                .collect();
            out.push(GlobalChange {
                population: cb.population.clone(),
                quantity: name.into(),
                theory_change: th,
                sim_change: Estimate::of(&d),
                sim_before: Estimate::of(&b),
            });
        }
    }
    Ok(out)
}

/// The design of the context task (docs/theory.md 12.1).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ContextDesign {
    /// `Cov(n, m)` (mV) of every population.
    pub sigma_nm: f64,
    /// Mean-input shift (mV) by which a context lowers the irrelevant E population.
    pub ctx_shift_mv: f64,
    /// Coherences of each sensory input; every `(context, coh_A, coh_B)` is one trial.
    pub coherences: Vec<f64>,
    /// Stimulus on and off (s).
    pub stimulus_s: [f64; 2],
    /// Readout: `kappa` averaged over the last `readout_s` (s) of the stimulus.
    pub readout_s: f64,
    /// First seed; trial `k` uses `first_seed + k` (a new network and noise per trial).
    pub first_seed: u64,
}

/// One trial of the context task.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ContextTrial {
    /// Context A (`true`) or B.
    pub context_a: bool,
    /// Coherence of input A.
    pub coh_a: f64,
    /// Coherence of input B.
    pub coh_b: f64,
    /// Seed.
    pub seed: u64,
    /// Simulated `kappa` at the readout (Hz) and the choice `kappa > 0`.
    pub sim_kappa_hz: f64,
    /// See `sim_kappa_hz`.
    pub choice: bool,
    /// Theory's `kappa` at the readout (Hz).
    pub theory_kappa_hz: f64,
    /// Simulated and theory `kappa(t)` on the bins from the stimulus onset (Hz).
    pub sim_kappa_t_hz: Vec<f64>,
    /// See `sim_kappa_t_hz`.
    pub theory_kappa_t_hz: Vec<f64>,
}

/// Linear regression `kappa = a + b_rel coh_rel + b_irr coh_irr` over the trials of one
/// context, with standard errors (docs/theory.md 12.1).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ContextSlopes {
    /// Context A or B.
    pub context: String,
    /// Slope on the relevant coherence (Hz per unit coherence), theory and simulation.
    pub theory_relevant: f64,
    /// See `theory_relevant`.
    pub sim_relevant: Estimate,
    /// Slope on the irrelevant coherence.
    pub theory_irrelevant: f64,
    /// See `theory_irrelevant`.
    pub sim_irrelevant: Estimate,
    /// Logistic psychometric fit of the choices against the relevant coherence
    /// (`None` when the choices are separable).
    pub psychometric_relevant: Option<crate::analysis::trajectory::LogisticFit>,
    /// The same against the irrelevant coherence.
    pub psychometric_irrelevant: Option<crate::analysis::trajectory::LogisticFit>,
    /// Fraction of choices equal to the sign of the relevant coherence (non-zero coherences).
    pub accuracy_relevant: f64,
    /// `rms_relative` of the condition-averaged `kappa(t)` (averaged over the irrelevant
    /// coherence, one curve per relevant coherence) against the theory's.
    pub kappa_rms_relative: f64,
}

/// The context task's result.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ContextReport {
    /// The design.
    pub design: ContextDesign,
    /// Every trial.
    pub trials: Vec<ContextTrial>,
    /// Per context.
    pub contexts: Vec<ContextSlopes>,
    /// Times of `sim_kappa_t_hz` (s).
    pub time_s: Vec<f64>,
    /// Gains (Hz/mV) of the populations at `kappa = 0` in context A (theory).
    pub theory_gains_context_a: Vec<f64>,
    /// Simulation CPU time over all trials (s).
    pub sim_cpu_s: f64,
}

fn ols2(y: &[f64], x1: &[f64], x2: &[f64]) -> ([f64; 3], [f64; 3]) {
    // normal equations for [1, x1, x2]
    let n = y.len();
    let mut a = nalgebra::DMatrix::<f64>::zeros(n, 3);
    for i in 0..n {
        a[(i, 0)] = 1.0;
        a[(i, 1)] = x1[i];
        a[(i, 2)] = x2[i];
    }
    let yv = nalgebra::DVector::from_column_slice(y);
    let ata = a.transpose() * &a;
    let Some(inv) = ata.clone().try_inverse() else {
        return ([f64::NAN; 3], [f64::NAN; 3]);
    };
    let b = &inv * a.transpose() * &yv;
    let r = &yv - &a * &b;
    let s2 = r.dot(&r) / (n as f64 - 3.0).max(1.0);
    (
        [b[0], b[1], b[2]],
        [
            (s2 * inv[(0, 0)]).sqrt(),
            (s2 * inv[(1, 1)]).sqrt(),
            (s2 * inv[(2, 2)]).sqrt(),
        ],
    )
}

/// Run the context task (docs/theory.md 12.1): every `(context, coh_A, coh_B)` once, each
/// on its own network (seed), the theory's trajectory for every condition, and the
/// slopes, psychometric fits and trajectory distances per context.
///
/// # Errors
///
/// [`Error::Invalid`] for fewer than 3 coherences or a readout longer than the stimulus;
/// the errors of [`simulate`] and [`integrate`].
pub fn context_task(design: &ContextDesign, quiet: bool) -> Result<ContextReport> {
    let [on, off] = design.stimulus_s;
    if design.coherences.len() < 3 || !(design.readout_s > 0.0 && design.readout_s < off - on) {
        return Err(Error::invalid(
            "design",
            format!(
                "{} coherences, readout {} s",
                design.coherences.len(),
                design.readout_s
            ),
            "needs at least 3 coherences and 0 < readout < stimulus duration (s)",
        ));
    }
    let base = crate::presets::context_integration(design.sigma_nm, design.ctx_shift_mv);
    let mut conds = Vec::new();
    for ctx in [true, false] {
        for &a in &design.coherences {
            for &b in &design.coherences {
                conds.push((ctx, a, b));
            }
        }
    }
    let bar = (!quiet).then(|| {
        let b = indicatif::ProgressBar::new(conds.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "context trials {bar:40} {pos}/{len} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let mut trials = Vec::new();
    let mut time_s = Vec::new();
    let mut cpu = 0.0;
    for (k, &(ctx, a, b)) in conds.iter().enumerate() {
        let mut m = base.clone();
        if let Some(l) = m.latent.as_mut() {
            l.signal = crate::presets::context_signal(ctx, a, b, on, off);
        }
        m.sim.duration = off - m.sim.warmup;
        let seed = design.first_seed + k as u64;
        let rec = run_trials(
            &m,
            &TrialOptions {
                seeds: vec![seed],
                network_seed: None,
                bin_s: 0.01,
                windows: vec![],
                quiet: true,
            },
        )?;
        let tr = &rec[0];
        cpu += tr.cpu_s;
        let theory = theory_trajectory(&m, off, 0.01)?;
        let idx: Vec<usize> = (0..tr.time_s.len())
            .filter(|&i| tr.time_s[i] >= on)
            .collect();
        let th_k: Vec<f64> = theory.kappa.iter().map(|v| v[0]).collect();
        let sim_t: Vec<f64> = idx.iter().map(|&i| tr.kappa_hz[i][0]).collect();
        let th_t: Vec<f64> = idx
            .iter()
            .map(|&i| interp(&theory.t, &th_k, tr.time_s[i]))
            .collect();
        let ro: Vec<usize> = (0..idx.len())
            .filter(|&j| tr.time_s[idx[j]] >= off - design.readout_s)
            .collect();
        let avg = |v: &[f64]| ro.iter().map(|&j| v[j]).sum::<f64>() / ro.len().max(1) as f64;
        let sk = avg(&sim_t);
        if time_s.is_empty() {
            time_s = idx.iter().map(|&i| tr.time_s[i]).collect();
        }
        trials.push(ContextTrial {
            context_a: ctx,
            coh_a: a,
            coh_b: b,
            seed,
            sim_kappa_hz: sk,
            choice: sk > 0.0,
            theory_kappa_hz: avg(&th_t),
            sim_kappa_t_hz: sim_t,
            theory_kappa_t_hz: th_t,
        });
        if let Some(bb) = &bar {
            bb.inc(1);
        }
    }
    if let Some(bb) = bar {
        bb.finish_and_clear();
    }
    let mut contexts = Vec::new();
    for ctx in [true, false] {
        let ts: Vec<&ContextTrial> = trials.iter().filter(|t| t.context_a == ctx).collect();
        let rel = |t: &ContextTrial| if ctx { t.coh_a } else { t.coh_b };
        let irr = |t: &ContextTrial| if ctx { t.coh_b } else { t.coh_a };
        let x1: Vec<f64> = ts.iter().map(|t| rel(t)).collect();
        let x2: Vec<f64> = ts.iter().map(|t| irr(t)).collect();
        let ys: Vec<f64> = ts.iter().map(|t| t.sim_kappa_hz).collect();
        let yt: Vec<f64> = ts.iter().map(|t| t.theory_kappa_hz).collect();
        let (bs, es) = ols2(&ys, &x1, &x2);
        let (bt, _) = ols2(&yt, &x1, &x2);
        let ch: Vec<bool> = ts.iter().map(|t| t.choice).collect();
        let nz: Vec<&&ContextTrial> = ts.iter().filter(|t| rel(t) != 0.0).collect();
        let acc = nz.iter().filter(|t| t.choice == (rel(t) > 0.0)).count() as f64
            / nz.len().max(1) as f64;
        // condition averages over the irrelevant coherence, one curve per relevant coherence
        let mut th_curves = Vec::new();
        let mut sim_curves = Vec::new();
        for &c in &design.coherences {
            let group: Vec<&&ContextTrial> = ts.iter().filter(|t| rel(t) == c).collect();
            let len = group[0].sim_kappa_t_hz.len();
            for j in 0..len {
                let g = group.len() as f64;
                th_curves.push(vec![
                    group.iter().map(|t| t.theory_kappa_t_hz[j]).sum::<f64>() / g,
                ]);
                sim_curves.push(vec![
                    group.iter().map(|t| t.sim_kappa_t_hz[j]).sum::<f64>() / g,
                ]);
            }
        }
        contexts.push(ContextSlopes {
            context: if ctx { "A".into() } else { "B".into() },
            theory_relevant: bt[1],
            sim_relevant: Estimate {
                mean: bs[1],
                sem: es[1],
            },
            theory_irrelevant: bt[2],
            sim_irrelevant: Estimate {
                mean: bs[2],
                sem: es[2],
            },
            psychometric_relevant: crate::analysis::trajectory::logistic_fit(&x1, &ch).ok(),
            psychometric_irrelevant: crate::analysis::trajectory::logistic_fit(&x2, &ch).ok(),
            accuracy_relevant: acc,
            kappa_rms_relative: rms_relative(&th_curves, &sim_curves)?,
        });
    }
    let st = stationary::solve(&base, Limit::Finite, &[0.0], &[0.0, 0.0, 1.0, 0.0], None)?;
    Ok(ContextReport {
        design: design.clone(),
        trials,
        contexts,
        time_s,
        theory_gains_context_a: st.gains(),
        sim_cpu_s: cpu,
    })
}
