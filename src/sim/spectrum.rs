//! Power spectra of population rates by Welch's method (docs/theory.md 6.5).
//!
//! The recorder counts the spikes of every neuron of a population in bins of width
//! `Delta` ([`spectrum_bin_steps`]); `x_n = counts_n / (N Delta)` is the population-averaged
//! rate (Hz) binned at `Delta`. [`welch`] cuts a window of it into segments of `L` samples
//! (50% overlap), removes each segment's mean, multiplies by the periodic Hann window
//! `w_n = sin^2(pi n / L)` and averages the periodograms
//!
//! ```text
//!   S(f_j) = (1/M) sum_m  Delta |sum_n w_n y_{m,n} e^{-2 pi i j n / L}|^2 / sum_n w_n^2,
//!   f_j = j / (L Delta),
//! ```
//!
//! a two-sided density in Hz^2/Hz (= Hz), the convention of the theory's `P_aa(omega)`
//! (docs/theory.md 6.3): `M` Poisson neurons of rate `nu` give `nu / N` at every `f_j`.
//! [`RateSpectrum::expected`] turns a continuous-time spectrum into the expected value of
//! this estimate (binning, aliasing and the window's kernel), and
//! [`RateSpectrum::band`] gives band averages with their standard errors.

use std::f64::consts::PI;

use num_complex::Complex64;
use rustfft::FftPlanner;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Largest bin width of the spike counts behind the spectra (s): the bin is the largest
/// whole number of time steps not above it (one step if `dt` is larger), so that binning
/// by step is binning by time and the binning filter `sinc^2(f Delta)` stays above 0.98
/// below 200 Hz (docs/theory.md 6.5).
pub const SPECTRUM_BIN_MAX: f64 = 2.5e-4;

/// Frequency steps on each side over which [`RateSpectrum::expected`] convolves with the
/// Hann kernel (beyond 4 steps its sidelobes are below -50 dB).
const REACH: usize = 4;

/// Highest frequency kept in a recorded spectrum (Hz).
pub const SPECTRUM_F_MAX: f64 = 1000.0;

/// Steps per spike-count bin of the spectra for time step `dt` (s).
pub fn spectrum_bin_steps(dt: f64) -> usize {
    ((SPECTRUM_BIN_MAX / dt * (1.0 + 1e-9)).floor() as usize).max(1)
}

/// Welch estimate of the power spectrum of one population's rate in one window
/// (docs/theory.md 6.5).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RateSpectrum {
    /// Window analysed (s from the start of the run); the segments lie inside it.
    pub window_s: [f64; 2],
    /// Bin width `Delta` of the spike counts (s).
    pub bin_s: f64,
    /// Segment length `L Delta` (s); the frequency resolution is `1 / segment_s` (Hz).
    pub segment_s: f64,
    /// Number `M` of Hann-windowed segments averaged (50% overlap).
    pub segments: usize,
    /// Neurons whose spikes were counted (the whole population).
    pub neurons: usize,
    /// Mean population rate over the analysed samples (Hz).
    pub rate_hz: f64,
    /// `f_j = j / segment_s` for `j = 2, 3, ...` up to `min(SPECTRUM_F_MAX, Nyquist)` (Hz);
    /// `j = 0, 1` are left out (the mean removal touches them).
    pub frequencies_hz: Vec<f64>,
    /// Two-sided power spectral density of the population-averaged rate at
    /// `frequencies_hz` (Hz^2/Hz = Hz).
    pub power_hz: Vec<f64>,
    /// Relative standard error of each `power_hz` value for a Gaussian process whose
    /// spectrum is flat over the window's kernel: `sqrt(v / M)`, `v` the overlap factor
    /// of docs/theory.md 6.5 (1.054 for many segments).
    pub rel_se: f64,
}

/// The periodic Hann window of length `l`.
pub fn hann(l: usize) -> Vec<f64> {
    (0..l)
        .map(|n| (PI * n as f64 / l as f64).sin().powi(2))
        .collect()
}

/// `rho_m = sum_n w_n w_{n + m D} / sum_n w_n^2` for segment offsets `m = 0, 1, ...` while
/// segments overlap (`D = l/2` the hop).
fn overlap_correlations(w: &[f64], hop: usize) -> Vec<f64> {
    let s2: f64 = w.iter().map(|x| x * x).sum();
    let mut rho = Vec::new();
    let mut m = 0;
    while m * hop < w.len() {
        let sh = m * hop;
        rho.push(
            w[..w.len() - sh]
                .iter()
                .zip(&w[sh..])
                .map(|(a, b)| a * b)
                .sum::<f64>()
                / s2,
        );
        m += 1;
    }
    rho
}

/// Variance of the Welch estimate relative to `S^2` for `segments` segments:
/// `(1/M) (1 + 2 sum_{m>=1} (1 - m/M) rho_m^2)` (Welch 1967; Percival & Walden 1993).
fn welch_variance(w: &[f64], hop: usize, segments: usize) -> f64 {
    let rho = overlap_correlations(w, hop);
    let m = segments as f64;
    let extra: f64 = rho
        .iter()
        .enumerate()
        .skip(1)
        .take(segments.saturating_sub(1))
        .map(|(k, r)| (1.0 - k as f64 / m) * r * r)
        .sum();
    (1.0 + 2.0 * extra) / m
}

/// Welch estimate of the two-sided power spectral density of the samples `x` (units
/// `U`, sampled every `bin` s): segments of `seg_len` samples (rounded down to an even
/// number) with 50% overlap, each with its mean removed and the periodic Hann window
/// applied; frequencies `j / (seg_len bin)` for `j = 2 ..` up to `f_max` and below
/// Nyquist (docs/theory.md 6.5). Returns `(frequencies (Hz), density (U^2/Hz), segments,
/// relative standard error)`.
///
/// # Errors
/// When `bin` is not finite and positive, `seg_len < 8`, or `x` is shorter than one segment.
pub fn welch(x: &[f64], bin: f64, seg_len: usize, f_max: f64) -> Result<Welch> {
    if !(bin > 0.0 && bin.is_finite()) {
        return Err(Error::invalid(
            "bin",
            bin,
            "the sampling interval must be finite and > 0 (s)",
        ));
    }
    let l = seg_len - seg_len % 2;
    if l < 8 {
        return Err(Error::invalid(
            "segment",
            seg_len,
            "a Welch segment needs at least 8 samples (docs/theory.md 6.5)",
        ));
    }
    if x.len() < l {
        return Err(Error::invalid(
            "samples",
            x.len(),
            format!("fewer samples than one segment of {l} (docs/theory.md 6.5)"),
        ));
    }
    let hop = l / 2;
    let segments = (x.len() - l) / hop + 1;
    let w = hann(l);
    let s2: f64 = w.iter().map(|v| v * v).sum();
    let j_max = ((f_max * l as f64 * bin).floor() as usize).min(l.div_ceil(2) - 1);
    let fft = FftPlanner::<f64>::new().plan_fft_forward(l);
    let mut buf = vec![Complex64::new(0.0, 0.0); l];
    let mut acc = vec![0.0; j_max + 1];
    for m in 0..segments {
        let seg = &x[m * hop..m * hop + l];
        let mean = seg.iter().sum::<f64>() / l as f64;
        for ((b, &v), &wn) in buf.iter_mut().zip(seg).zip(&w) {
            *b = Complex64::new((v - mean) * wn, 0.0);
        }
        fft.process(&mut buf);
        for (a, b) in acc.iter_mut().zip(&buf) {
            *a += b.norm_sqr();
        }
    }
    let scale = bin / (s2 * segments as f64);
    let j0 = 2usize.min(j_max + 1);
    Ok(Welch {
        frequencies_hz: (j0..=j_max).map(|j| j as f64 / (l as f64 * bin)).collect(),
        power: acc[j0..].iter().map(|a| a * scale).collect(),
        segments,
        segment_len: l,
        rel_se: welch_variance(&w, hop, segments).sqrt(),
    })
}

/// The output of [`welch`].
#[derive(Clone, Debug, PartialEq)]
pub struct Welch {
    /// Frequencies `j / (L bin)`, `j >= 2` (Hz).
    pub frequencies_hz: Vec<f64>,
    /// Two-sided power spectral density (input units squared per Hz).
    pub power: Vec<f64>,
    /// Segments averaged.
    pub segments: usize,
    /// Samples per segment `L` (even).
    pub segment_len: usize,
    /// Relative standard error of each value (flat spectrum, Gaussian process).
    pub rel_se: f64,
}

/// A band average of a [`RateSpectrum`] (docs/theory.md 6.5).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct BandAverage {
    /// Mean of the spectrum over the frequencies `f_j` in the band (Hz).
    pub mean_hz: f64,
    /// Number of frequencies averaged.
    pub count: usize,
    /// Relative standard error of `mean_hz` (flat spectrum over the band, Gaussian
    /// process): overlap of the segments and correlation of neighbouring frequencies.
    pub rel_se: f64,
}

impl RateSpectrum {
    /// Samples per segment `L`.
    fn seg_len(&self) -> usize {
        (self.segment_s / self.bin_s).round() as usize
    }

    /// Mean of `values` (one per `frequencies_hz`) over `lo <= f <= hi` (Hz), with the
    /// relative standard error that the averaging leaves for this estimate's segments
    /// (docs/theory.md 6.5). `None` if no frequency lies in the band.
    pub fn band(&self, values: &[f64], lo: f64, hi: f64) -> Option<BandAverage> {
        let idx: Vec<usize> = self
            .frequencies_hz
            .iter()
            .enumerate()
            .filter(|(_, f)| **f >= lo && **f <= hi)
            .map(|(i, _)| i)
            .collect();
        if idx.is_empty() {
            return None;
        }
        let mean = idx.iter().map(|&i| values[i]).sum::<f64>() / idx.len() as f64;
        Some(BandAverage {
            mean_hz: mean,
            count: idx.len(),
            rel_se: band_rel_se(self.seg_len(), self.segments, idx.len()),
        })
    }

    /// The expected value of this estimate at `frequencies_hz` for a population whose
    /// population-averaged spike train has the continuous-time two-sided spectrum `s(f)`
    /// (Hz, `f` in Hz, even in `f`), with the white level `white` (Hz, `nu / N`) that
    /// `s` reaches at high frequency: see [`expected_estimate`].
    ///
    /// # Errors
    /// Those of `s`.
    pub fn expected<F>(&self, s: F, white: f64, oversample: usize) -> Result<Vec<f64>>
    where
        F: Fn(f64) -> Result<f64> + Sync,
    {
        Ok(expected_estimate(
            &self.frequencies_hz,
            self.segment_s,
            self.bin_s,
            |f| s(f).map(|v| vec![v]),
            &[white],
            oversample,
        )?
        .pop()
        .unwrap_or_default())
    }
}

/// The expected Welch estimate (segments of `segment_s`, counts in bins of `bin_s`, Hann
/// window) at `frequencies` (Hz, multiples of `1 / segment_s`) of several spike trains
/// at once, from their continuous-time two-sided spectra `s(f)` (one value per train,
/// Hz) and white levels `white` (Hz) reached at high frequency (docs/theory.md 6.5):
/// the binned, sampled spectrum `white + (s(f) - white) sinc^2(f Delta)` (aliases beyond
/// Nyquist taken as white) convolved with the Hann kernel over +-4 frequency steps.
/// `s` is evaluated (in parallel) every `1/q` of a step, starting at `q = oversample`
/// and doubling (reusing the values) until two successive results agree to
/// [`KERNEL_TOL`] relative, at most `q = 64` (narrow peaks need fine sampling). One
/// vector per train.
///
/// # Errors
/// Those of `s`, and a length of `s`'s output other than `white.len()`.
pub fn expected_estimate<F>(
    frequencies: &[f64],
    segment_s: f64,
    bin_s: f64,
    s: F,
    white: &[f64],
    oversample: usize,
) -> Result<Vec<Vec<f64>>>
where
    F: Fn(f64) -> Result<Vec<f64>> + Sync,
{
    use rayon::prelude::*;
    let np = white.len();
    let (Some(&f_lo), Some(&f_hi)) = (frequencies.first(), frequencies.last()) else {
        return Ok(vec![Vec::new(); np]);
    };
    let l = (segment_s / bin_s).round() as usize;
    let df = 1.0 / segment_s;
    let j_of = |f: f64| (f * segment_s).round() as i64;
    let (j_lo, j_hi) = (j_of(f_lo), j_of(f_hi));
    let eval = |i: i64, q: usize| -> Result<Vec<f64>> {
        let f = (i as f64 * df / q as f64).abs().max(1e-3 * df);
        let x = PI * f * bin_s;
        let sinc2 = (x.sin() / x).powi(2);
        let v = s(f)?;
        if v.len() != np {
            return Err(Error::Domain(format!(
                "spectrum function returned {} values for {np} trains",
                v.len()
            )));
        }
        Ok(v.iter()
            .zip(white)
            .map(|(v, w)| w + (v - w) * sinc2)
            .collect())
    };
    let mut q = oversample.max(1);
    // sampled[i - i_lo] at the grid i df / q, i_lo = (j_lo - REACH) q
    let mut sampled: Vec<Vec<f64>> = ((j_lo - REACH as i64) * q as i64
        ..=(j_hi + REACH as i64) * q as i64)
        .collect::<Vec<_>>()
        .par_iter()
        .map(|&i| eval(i, q))
        .collect::<Result<_>>()?;
    let convolve = |sampled: &[Vec<f64>], q: usize| -> Vec<Vec<f64>> {
        let kernel = hann_kernel(l, q, REACH);
        let half = (REACH * q) as i64;
        let i_lo = (j_lo - REACH as i64) * q as i64;
        (0..np)
            .map(|a| {
                frequencies
                    .iter()
                    .map(|&f| {
                        let c = j_of(f) * q as i64 - i_lo;
                        (-half..=half)
                            .map(|k| kernel[(k + half) as usize] * sampled[(c + k) as usize][a])
                            .sum()
                    })
                    .collect()
            })
            .collect()
    };
    let mut est = convolve(&sampled, q);
    while q < 64 {
        // double the sampling, reusing the even points
        let q2 = 2 * q;
        let i_lo2 = (j_lo - REACH as i64) * q2 as i64;
        let odd: Vec<Vec<f64>> = (0..sampled.len() - 1)
            .collect::<Vec<_>>()
            .par_iter()
            .map(|&k| eval(i_lo2 + 2 * k as i64 + 1, q2))
            .collect::<Result<_>>()?;
        let mut finer = Vec::with_capacity(2 * sampled.len() - 1);
        for (k, v) in sampled.into_iter().enumerate() {
            finer.push(v);
            if let Some(o) = odd.get(k) {
                finer.push(o.clone());
            }
        }
        sampled = finer;
        q = q2;
        let next = convolve(&sampled, q);
        let change = next
            .iter()
            .flatten()
            .zip(est.iter().flatten())
            .map(|(a, b)| ((a - b) / a).abs())
            .fold(0.0, f64::max);
        est = next;
        if change < KERNEL_TOL {
            break;
        }
    }
    Ok(est)
}

/// Relative agreement of two successive samplings at which [`expected_estimate`] stops.
pub const KERNEL_TOL: f64 = 1e-3;

/// Frequency of the largest of `values` over `lo <= f <= hi` (Hz), refined by the vertex
/// of the parabola through it and its two neighbours; `None` when the largest value is
/// at an end of the range (no interior peak) or the range holds fewer than 3 values.
pub fn peak_frequency(freqs: &[f64], values: &[f64], lo: f64, hi: f64) -> Option<f64> {
    let idx: Vec<usize> = (0..freqs.len().min(values.len()))
        .filter(|&i| freqs[i] >= lo && freqs[i] <= hi && values[i].is_finite())
        .collect();
    if idx.len() < 3 {
        return None;
    }
    let k = (0..idx.len()).max_by(|&a, &b| values[idx[a]].total_cmp(&values[idx[b]]))?;
    if k == 0 || k + 1 == idx.len() {
        return None;
    }
    let (i0, i1, i2) = (idx[k - 1], idx[k], idx[k + 1]);
    let (y0, y1, y2) = (values[i0], values[i1], values[i2]);
    let den = y0 - 2.0 * y1 + y2;
    let shift = if den < 0.0 {
        0.5 * (y0 - y2) / den
    } else {
        0.0
    };
    Some(freqs[i1] + shift.clamp(-0.5, 0.5) * (freqs[i2] - freqs[i0]) / 2.0)
}

/// Weights of the Hann window's spectral kernel `|W(nu)|^2 / sum w^2` at offsets
/// `nu = k / (q L)` cycles per sample, `|k| <= reach q`, normalised to sum 1.
fn hann_kernel(l: usize, q: usize, reach: usize) -> Vec<f64> {
    let w = hann(l);
    let half = (reach * q) as i64;
    let mut k: Vec<f64> = (-half..=half)
        .map(|k| {
            let nu = k as f64 / (q as f64 * l as f64);
            let (mut re, mut im) = (0.0, 0.0);
            for (n, wn) in w.iter().enumerate() {
                let ph = -2.0 * PI * nu * n as f64;
                re += wn * ph.cos();
                im += wn * ph.sin();
            }
            re * re + im * im
        })
        .collect();
    let s: f64 = k.iter().sum();
    k.iter_mut().for_each(|x| *x /= s);
    k
}

/// Relative standard error of the mean of `count` neighbouring frequencies of a Welch
/// estimate (segments of `l` samples, Hann window, hop `l/2`, `segments` segments) for a
/// Gaussian process with a flat spectrum (docs/theory.md 6.5):
/// `Var/S^2 = (1/(J M)^2) sum_{|d|<M} (M - |d|) sum_{|k|<J} (J - |k|) c(d, k)`,
/// `c(d, k) = |sum_n w_n w_{n + d l/2} e^{2 pi i k n / l}|^2 / (sum_n w_n^2)^2`.
pub fn band_rel_se(l: usize, segments: usize, count: usize) -> f64 {
    let w = hann(l);
    let hop = l / 2;
    let s2: f64 = w.iter().map(|x| x * x).sum();
    let (mm, jj) = (segments as i64, count as i64);
    let mut var = 0.0;
    // segments further apart than one hop do not overlap (50% overlap)
    for d in -1i64..=1 {
        if d.abs() >= mm {
            continue;
        }
        let sh = d.unsigned_abs() as usize * hop;
        let prod: Vec<f64> = (0..l - sh).map(|n| w[n] * w[n + sh]).collect();
        // the Hann products have Fourier content only at |k| <= 2 (d = 0) and a few
        // more for the shifted product; beyond 8 the terms are below 1e-6
        for k in -(jj - 1).min(8)..=(jj - 1).min(8) {
            let (mut re, mut im) = (0.0, 0.0);
            for (n, p) in prod.iter().enumerate() {
                let ph = 2.0 * PI * k as f64 * n as f64 / l as f64;
                re += p * ph.cos();
                im += p * ph.sin();
            }
            let c = (re * re + im * im) / (s2 * s2);
            var += (mm - d.abs()) as f64 * (jj - k.abs()) as f64 * c;
        }
    }
    (var / ((jj * mm) as f64).powi(2)).sqrt()
}
