//! Recorders (docs/theory.md sections 2.7 and 3). Everything is measured after the warm-up.
//!
//! - population rates and population-mean V in bins of `record_bin`;
//! - per-neuron spike counts and ISI statistics (CV for neurons with >= 3 spikes);
//! - spike counts of sampled pairs in 50 ms bins (pairwise correlation);
//! - population spike counts in 1 ms bins (CV and Fano factor of the population rate);
//! - Golomb's chi: `chi^2 = Var_t(<V>_pop) / mean_i Var_t(V_i)`, the numerator from the
//!   population mean over all neurons, the denominator from a sample of neurons;
//!   potentials are sampled at the step ends (in both modes);
//! - `kappa(t) = sum_B c_B <n_j r_j(t)>_{j in B}`, `r_j` the spike train filtered with
//!   `(1/tau_s) exp(-t/tau_s)` without delay: one running D-vector per population, O(D)
//!   per spike, sampled at the step ends;
//! - spike trains of sampled neurons;
//! - population spike counts in bins of [`spectrum::spectrum_bin_steps`] steps (about
//!   0.2 ms), turned at the end into Welch spectra of the population rate per epoch
//!   window (docs/theory.md 6.5): one increment per spike, nothing per step.

use super::network::Network;
use super::rng::{Stream, below, stream};
use super::spectrum::{self, RateSpectrum};
use crate::model::Model;

/// Number of neurons per population used for the single-neuron V variances of chi.
pub const CHI_SAMPLE: usize = 500;
/// Bin width of the pairwise spike-count correlations (s).
pub const CORR_BIN: f64 = 0.05;

/// What the run loop tells the recorder about one step.
pub struct StepData<'a> {
    /// Step index (0 = first step of the warm-up).
    pub step: usize,
    /// Spiking neurons of this step, in neuron order, with their times (s).
    pub spikes: &'a [(u32, f64)],
    /// Per population: sum over neurons of V at the step end (grid mode) or of the
    /// exact time average of V over the step (precise mode), in mV.
    pub v_sum: &'a [f64],
    /// The potentials at the step end, by neuron (`None`: not known, recorded as NaN).
    pub v: Option<&'a [f64]>,
}

/// Accumulates the measurements of one run step by step (see the module
/// documentation); [`Recorder::finish`] turns them into a [`Recorded`].
pub struct Recorder {
    p: usize,
    d: usize,
    dt: f64,
    warm_steps: usize,
    steps_per_bin: usize,
    steps_per_ms: usize,
    steps_per_corr: usize,
    pop_start: Vec<usize>,
    c: Vec<f64>,
    tau_s: f64,
    decay_s: f64,
    // per neuron
    /// Spike count of every neuron after the warm-up.
    pub counts: Vec<u32>,
    last_spike: Vec<f64>,
    isi_sum: Vec<f64>,
    isi_sum2: Vec<f64>,
    isi_n: Vec<u32>,
    // per population, binned
    /// Population spike counts per bin of `record_bin` (P x bins).
    pub bin_counts: Vec<Vec<u32>>,
    /// Per population and bin: sum over the bin's steps of the population-mean V (mV).
    pub bin_vsum: Vec<Vec<f64>>,
    /// Sum over each bin's steps of `kappa` (Hz): one flat vector, bins x D.
    pub bin_kappa: Vec<Vec<f64>>,
    ms_counts: Vec<Vec<u32>>,
    // pop-mean V over steps (after warm-up)
    popv_sum: Vec<f64>,
    popv_sum2: Vec<f64>,
    nsteps_rec: usize,
    // chi sample: neuron ids per pop, sums
    chi_ids: Vec<Vec<u32>>,
    chi_sum: Vec<Vec<f64>>,
    chi_sum2: Vec<Vec<f64>>,
    // correlations
    corr_slot: Vec<u32>,
    corr_counts: Vec<Vec<u16>>,
    /// The sampled pairs of neurons (global ids) for spike-count correlations, per population.
    pub corr_pairs: Vec<Vec<(u32, u32)>>,
    // raster
    raster_of: Vec<u8>,
    /// Spikes `(neuron id, time in s)` of the raster neurons, per population.
    pub raster: Vec<Vec<(u32, f64)>>,
    // kappa
    kfilt: Vec<f64>, // P x D
    kappa_sum: Vec<f64>,
    // rate spectra: population spike counts in bins of `steps_per_spec` steps
    steps_per_spec: usize,
    spec_counts: Vec<Vec<u32>>,
    epoch_windows: Vec<[f64; 2]>,
    spectrum_segment: f64,
}

impl Recorder {
    /// A recorder for `model` on the network `net`, for a run of `total_steps` steps of
    /// which the first `warm_steps` are warm-up.
    pub fn new(model: &Model, net: &Network, total_steps: usize, warm_steps: usize) -> Self {
        let s = &model.sim;
        let p = net.p();
        let d = net.d;
        let dt = s.dt;
        let rec_steps = total_steps - warm_steps;
        let steps_per_bin = ((s.record_bin / dt).round() as usize).max(1);
        let steps_per_ms = ((1e-3 / dt).round() as usize).max(1);
        let steps_per_corr = ((CORR_BIN / dt).round() as usize).max(1);
        let nbins = rec_steps.div_ceil(steps_per_bin);
        let n_ms = rec_steps / steps_per_ms;
        let n_corr = rec_steps / steps_per_corr;
        let steps_per_spec = spectrum::spectrum_bin_steps(dt);
        let n_spec = rec_steps / steps_per_spec;
        let n = net.n;
        let mut corr_slot = vec![u32::MAX; n];
        let mut corr_pairs = Vec::with_capacity(p);
        let mut corr_counts: Vec<Vec<u16>> = Vec::new();
        let mut raster_of = vec![0u8; n];
        let mut chi_ids = Vec::with_capacity(p);
        for a in 0..p {
            let (st, en) = (net.pop_start[a], net.pop_start[a + 1]);
            let na = en - st;
            let mut rng = stream(s.seed, Stream::Recording, a as u64);
            let mut pairs = Vec::new();
            if na >= 2 && n_corr >= 2 {
                for _ in 0..s.corr_pairs {
                    let i = st + below(&mut rng, na as u64) as usize;
                    let mut j = st + below(&mut rng, na as u64 - 1) as usize;
                    if j >= i {
                        j += 1;
                    }
                    for x in [i, j] {
                        if corr_slot[x] == u32::MAX {
                            corr_slot[x] = corr_counts.len() as u32;
                            corr_counts.push(vec![0; n_corr]);
                        }
                    }
                    pairs.push((i as u32, j as u32));
                }
            }
            corr_pairs.push(pairs);
            for i in sample_ids(&mut rng, st, na, s.raster_neurons) {
                raster_of[i] = 1;
            }
            chi_ids.push(
                sample_ids(&mut rng, st, na, CHI_SAMPLE)
                    .into_iter()
                    .map(|i| i as u32)
                    .collect::<Vec<_>>(),
            );
        }
        let c: Vec<f64> = model.populations.iter().map(|q| q.c).collect();
        let tau_s = model.latent.as_ref().map_or(1.0, |l| l.tau_s);
        Recorder {
            p,
            d,
            dt,
            warm_steps,
            steps_per_bin,
            steps_per_ms,
            steps_per_corr,
            pop_start: net.pop_start.clone(),
            c,
            tau_s,
            decay_s: (-dt / tau_s).exp(),
            counts: vec![0; n],
            last_spike: vec![f64::NAN; n],
            isi_sum: vec![0.0; n],
            isi_sum2: vec![0.0; n],
            isi_n: vec![0; n],
            bin_counts: vec![vec![0; nbins]; p],
            bin_vsum: vec![vec![0.0; nbins]; p],
            bin_kappa: vec![vec![0.0; nbins * d]],
            ms_counts: vec![vec![0; n_ms]; p],
            popv_sum: vec![0.0; p],
            popv_sum2: vec![0.0; p],
            nsteps_rec: 0,
            chi_sum: chi_ids.iter().map(|v| vec![0.0; v.len()]).collect(),
            chi_sum2: chi_ids.iter().map(|v| vec![0.0; v.len()]).collect(),
            chi_ids,
            corr_slot,
            corr_counts,
            corr_pairs,
            raster_of,
            raster: vec![Vec::new(); p],
            kfilt: vec![0.0; p * d],
            kappa_sum: vec![0.0; d],
            steps_per_spec,
            spec_counts: vec![vec![0; n_spec]; p],
            epoch_windows: super::epochs::windows(model),
            spectrum_segment: s.spectrum_segment,
        }
    }

    /// Record one step. `nl` are the loadings `n_j` (n x D), `pop_of` the populations.
    pub fn step(&mut self, sd: &StepData, net: &Network) {
        let d = self.d;
        // kappa filter: decay over the step, then add the spikes (exactly weighted by
        // the time from the spike to the step end).
        if d > 0 {
            self.kfilt.iter_mut().for_each(|x| *x *= self.decay_s);
            let t_end = (sd.step + 1) as f64 * self.dt;
            for &(j, t) in sd.spikes {
                let j = j as usize;
                let b = net.pop_of[j] as usize;
                let f = (-(t_end - t) / self.tau_s).exp() / self.tau_s;
                for k in 0..d {
                    self.kfilt[b * d + k] += f * net.nl[j * d + k];
                }
            }
        }
        if sd.step < self.warm_steps {
            return;
        }
        let r = sd.step - self.warm_steps;
        let bin = r / self.steps_per_bin;
        for &(j, t) in sd.spikes {
            let ju = j as usize;
            let a = net.pop_of[ju] as usize;
            self.counts[ju] += 1;
            let last = self.last_spike[ju];
            if !last.is_nan() {
                let isi = t - last;
                self.isi_sum[ju] += isi;
                self.isi_sum2[ju] += isi * isi;
                self.isi_n[ju] += 1;
            }
            self.last_spike[ju] = t;
            self.bin_counts[a][bin] += 1;
            if let Some(m) = self.ms_counts[a].get_mut(r / self.steps_per_ms) {
                *m += 1;
            }
            if let Some(m) = self.spec_counts[a].get_mut(r / self.steps_per_spec) {
                *m += 1;
            }
            let cs = self.corr_slot[ju];
            if cs != u32::MAX
                && let Some(x) = self.corr_counts[cs as usize].get_mut(r / self.steps_per_corr)
            {
                *x = x.saturating_add(1);
            }
            if self.raster_of[ju] != 0 {
                self.raster[a].push((j, t));
            }
        }
        for a in 0..self.p {
            let na = (self.pop_start[a + 1] - self.pop_start[a]) as f64;
            let mv = sd.v_sum[a] / na;
            self.bin_vsum[a][bin] += mv;
            self.popv_sum[a] += mv;
            self.popv_sum2[a] += mv * mv;
            for (k, &i) in self.chi_ids[a].iter().enumerate() {
                let v = sd.v.map_or(f64::NAN, |v| v[i as usize]);
                self.chi_sum[a][k] += v;
                self.chi_sum2[a][k] += v * v;
            }
        }
        if d > 0 {
            for k in 0..d {
                let kap: f64 = (0..self.p)
                    .map(|b| {
                        let nb = (self.pop_start[b + 1] - self.pop_start[b]) as f64;
                        self.c[b] * self.kfilt[b * d + k] / nb
                    })
                    .sum();
                self.bin_kappa[0][bin * d + k] += kap;
                self.kappa_sum[k] += kap;
            }
        }
        self.nsteps_rec += 1;
    }

    /// Summaries after the run. `duration` is the recorded time (s).
    pub fn finish(self, duration: f64) -> Recorded {
        let p = self.p;
        let d = self.d;
        let nbins = self.bin_counts.first().map_or(0, |v| v.len());
        let rec_steps = self.nsteps_rec;
        let mut pops = Vec::with_capacity(p);
        for a in 0..p {
            let (st, en) = (self.pop_start[a], self.pop_start[a + 1]);
            let na = en - st;
            let rates: Vec<f64> = self.counts[st..en]
                .iter()
                .map(|&c| c as f64 / duration)
                .collect();
            let rate = rates.iter().sum::<f64>() / na as f64;
            let rate_sd =
                (rates.iter().map(|r| (r - rate).powi(2)).sum::<f64>() / na as f64).sqrt();
            let silent = self.counts[st..en].iter().filter(|&&c| c == 0).count() as f64 / na as f64;
            let cvs: Vec<f64> = (st..en)
                .map(|i| {
                    let n = self.isi_n[i] as f64;
                    if self.isi_n[i] >= 2 {
                        let m = self.isi_sum[i] / n;
                        let v = (self.isi_sum2[i] / n - m * m).max(0.0);
                        v.sqrt() / m
                    } else {
                        f64::NAN
                    }
                })
                .collect();
            let valid: Vec<f64> = cvs.iter().copied().filter(|x| !x.is_nan()).collect();
            let cv = if valid.is_empty() {
                f64::NAN
            } else {
                valid.iter().sum::<f64>() / valid.len() as f64
            };
            // pair correlations
            let mut csum = 0.0;
            let mut cn = 0usize;
            for &(i, j) in &self.corr_pairs[a] {
                let x = &self.corr_counts[self.corr_slot[i as usize] as usize];
                let y = &self.corr_counts[self.corr_slot[j as usize] as usize];
                if let Some(r) = pearson(x, y) {
                    csum += r;
                    cn += 1;
                }
            }
            let pair_corr = if cn > 0 { csum / cn as f64 } else { f64::NAN };
            // population-rate synchrony in 1 ms bins
            let ms = &self.ms_counts[a];
            let (pop_rate_cv, fano) = if ms.len() >= 2 {
                let m = ms.iter().map(|&c| c as f64).sum::<f64>() / ms.len() as f64;
                let v = ms.iter().map(|&c| (c as f64 - m).powi(2)).sum::<f64>() / ms.len() as f64;
                if m > 0.0 {
                    (v.sqrt() / m, v / m)
                } else {
                    (f64::NAN, f64::NAN)
                }
            } else {
                (f64::NAN, f64::NAN)
            };
            // chi
            let ns = rec_steps.max(1) as f64;
            let pm = self.popv_sum[a] / ns;
            let var_pop = (self.popv_sum2[a] / ns - pm * pm).max(0.0);
            let ids = &self.chi_ids[a];
            let mean_var = (0..ids.len())
                .map(|k| {
                    let m = self.chi_sum[a][k] / ns;
                    (self.chi_sum2[a][k] / ns - m * m).max(0.0)
                })
                .sum::<f64>()
                / ids.len().max(1) as f64;
            let chi = if mean_var > 0.0 {
                (var_pop / mean_var).sqrt()
            } else {
                f64::NAN
            };
            let rate_t: Vec<f64> = (0..nbins)
                .map(|b| {
                    let steps = bin_steps(b, self.steps_per_bin, rec_steps);
                    self.bin_counts[a][b] as f64 / (na as f64 * steps as f64 * self.dt)
                })
                .collect();
            let mean_v_t: Vec<f64> = (0..nbins)
                .map(|b| self.bin_vsum[a][b] / bin_steps(b, self.steps_per_bin, rec_steps) as f64)
                .collect();
            let spectra = self
                .epoch_windows
                .iter()
                .map(|w| self.rate_spectrum(a, *w))
                .collect();
            pops.push(PopRecord {
                rate_hz: rate,
                rate_sd_hz: rate_sd,
                cv_isi: cv,
                pair_corr,
                mean_v_mv: pm,
                chi,
                pop_rate_cv,
                fano_1ms: fano,
                silent_fraction: silent,
                rates_hz: rates,
                cv_isi_per_neuron: cvs,
                rate_t,
                mean_v_t,
                raster: self.raster[a].clone(),
                spectra,
            });
        }
        let kappa_t: Vec<Vec<f64>> = (0..nbins)
            .map(|b| {
                let steps = bin_steps(b, self.steps_per_bin, rec_steps) as f64;
                (0..d)
                    .map(|k| self.bin_kappa[0][b * d + k] / steps)
                    .collect()
            })
            .collect();
        let kappa_mean: Vec<f64> = self
            .kappa_sum
            .iter()
            .map(|x| x / rec_steps.max(1) as f64)
            .collect();
        let t0 = self.warm_steps as f64 * self.dt;
        let time_s: Vec<f64> = (0..nbins)
            .map(|b| {
                let s0 = b * self.steps_per_bin;
                let steps = bin_steps(b, self.steps_per_bin, rec_steps);
                t0 + (s0 as f64 + 0.5 * steps as f64) * self.dt
            })
            .collect();
        Recorded {
            pops,
            kappa_mean,
            kappa_t,
            time_s,
        }
    }
}

impl Recorder {
    /// Welch spectrum of population `a`'s rate over the spike-count bins inside `window`
    /// (s from the start of the run), docs/theory.md 6.5. Segments of
    /// `sim.spectrum_segment` (shortened to the window if it is shorter); a window of
    /// fewer than 8 bins gives an empty spectrum.
    fn rate_spectrum(&self, a: usize, window: [f64; 2]) -> RateSpectrum {
        let bin = self.steps_per_spec as f64 * self.dt;
        let t0 = self.warm_steps as f64 * self.dt;
        let counts = &self.spec_counts[a];
        let k0 = (((window[0] - t0) / bin - 1e-9).ceil().max(0.0) as usize).min(counts.len());
        let k1 = (((window[1] - t0) / bin + 1e-9).floor().max(0.0) as usize).min(counts.len());
        let na = (self.pop_start[a + 1] - self.pop_start[a]) as f64;
        let x: Vec<f64> = counts[k0..k1.max(k0)]
            .iter()
            .map(|&c| c as f64 / (na * bin))
            .collect();
        let seg = ((self.spectrum_segment / bin).round() as usize).min(x.len());
        let est = spectrum::welch(&x, bin, seg, spectrum::SPECTRUM_F_MAX).ok();
        let used = est
            .as_ref()
            .map_or(0, |e| (e.segments + 1) * e.segment_len / 2);
        RateSpectrum {
            window_s: window,
            bin_s: bin,
            segment_s: est.as_ref().map_or(0.0, |e| e.segment_len as f64 * bin),
            segments: est.as_ref().map_or(0, |e| e.segments),
            neurons: na as usize,
            rate_hz: if used > 0 {
                x[..used].iter().sum::<f64>() / used as f64
            } else {
                f64::NAN
            },
            frequencies_hz: est
                .as_ref()
                .map_or_else(Vec::new, |e| e.frequencies_hz.clone()),
            power_hz: est.as_ref().map_or_else(Vec::new, |e| e.power.clone()),
            rel_se: est.as_ref().map_or(f64::NAN, |e| e.rel_se),
        }
    }
}

fn bin_steps(b: usize, per: usize, total: usize) -> usize {
    (total - b * per).min(per).max(1)
}

/// Up to `k` distinct neurons of a population starting at `start` with `n` neurons, sorted.
fn sample_ids(rng: &mut super::rng::SimRng, start: usize, n: usize, k: usize) -> Vec<usize> {
    if k >= n {
        return (start..start + n).collect();
    }
    // partial Fisher-Yates on indices
    let mut idx: Vec<usize> = (0..n).collect();
    for i in 0..k {
        let j = i + below(rng, (n - i) as u64) as usize;
        idx.swap(i, j);
    }
    let mut out: Vec<usize> = idx[..k].iter().map(|&x| start + x).collect();
    out.sort_unstable();
    out
}

fn pearson(x: &[u16], y: &[u16]) -> Option<f64> {
    let n = x.len() as f64;
    if x.len() < 2 {
        return None;
    }
    let mx = x.iter().map(|&v| v as f64).sum::<f64>() / n;
    let my = y.iter().map(|&v| v as f64).sum::<f64>() / n;
    let (mut sxy, mut sxx, mut syy) = (0.0, 0.0, 0.0);
    for (&a, &b) in x.iter().zip(y) {
        let (da, db) = (a as f64 - mx, b as f64 - my);
        sxy += da * db;
        sxx += da * da;
        syy += db * db;
    }
    if sxx > 0.0 && syy > 0.0 {
        Some(sxy / (sxx * syy).sqrt())
    } else {
        None
    }
}

/// Recorded summaries of one population.
pub struct PopRecord {
    /// Mean rate over neurons (Hz).
    pub rate_hz: f64,
    /// Standard deviation of single-neuron rates across the population (Hz).
    pub rate_sd_hz: f64,
    /// Mean ISI CV over neurons with at least 3 spikes (NaN if none).
    pub cv_isi: f64,
    /// Mean Pearson correlation of spike counts in 50 ms bins over sampled pairs.
    pub pair_corr: f64,
    /// Time average of the population-mean membrane potential (mV).
    pub mean_v_mv: f64,
    /// Golomb's synchrony measure chi.
    pub chi: f64,
    /// CV of the population spike count in 1 ms bins.
    pub pop_rate_cv: f64,
    /// Fano factor of the population spike count in 1 ms bins.
    pub fano_1ms: f64,
    /// Fraction of neurons without any spike after the warm-up.
    pub silent_fraction: f64,
    /// Time-averaged rate of every neuron (Hz), in neuron order.
    pub rates_hz: Vec<f64>,
    /// ISI CV of every neuron (NaN where fewer than 3 spikes).
    pub cv_isi_per_neuron: Vec<f64>,
    /// Population rate per bin of `record_bin` (Hz).
    pub rate_t: Vec<f64>,
    /// Population-mean V per bin of `record_bin` (mV).
    pub mean_v_t: Vec<f64>,
    /// Spikes `(neuron id, time in s)` of the raster neurons.
    pub raster: Vec<(u32, f64)>,
    /// Welch spectrum of the population rate in each epoch window (docs/theory.md 6.5).
    pub spectra: Vec<RateSpectrum>,
}

/// Everything the recorder produced.
pub struct Recorded {
    /// Per population, in Model order.
    pub pops: Vec<PopRecord>,
    /// Time average of `kappa(t)` after the warm-up (Hz), length D.
    pub kappa_mean: Vec<f64>,
    /// `kappa(t)` averaged per bin of `record_bin` (bins x D, Hz).
    pub kappa_t: Vec<Vec<f64>>,
    /// Bin centres (s from the start of the run, warm-up included).
    pub time_s: Vec<f64>,
}
