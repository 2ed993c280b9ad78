//! Per-neuron spike counts in epochs of constant latent input (docs/theory.md section 3): the
//! rate distribution changes when `s` steps, so it is measured per epoch.

use crate::model::Model;

/// Time skipped after a change of the input before an epoch is measured, in units of `tau_s`.
pub const SETTLE_TAU_S: f64 = 4.0;

/// Epoch windows (s from the start of the run): between the end of the warm-up, the
/// breakpoints of `s(t)` and the end, each shortened at its start by [`SETTLE_TAU_S`]
/// `tau_s` when it starts at a change of `s`; windows shorter than 50 ms are dropped.
pub fn windows(model: &Model) -> Vec<[f64; 2]> {
    let t0 = model.sim.warmup;
    let t1 = model.sim.warmup + model.sim.duration;
    let tau_s = model.latent.as_ref().map_or(0.0, |l| l.tau_s);
    let mut cuts = vec![t0];
    if let Some(l) = &model.latent {
        cuts.extend(
            l.signal
                .breakpoints()
                .into_iter()
                .filter(|&b| b > t0 && b < t1),
        );
    }
    cuts.push(t1);
    cuts.windows(2)
        .enumerate()
        .filter_map(|(i, w)| {
            let settle = if i == 0 {
                0.0
            } else {
                (SETTLE_TAU_S * tau_s).min(0.5 * (w[1] - w[0]))
            };
            let a = w[0] + settle;
            (w[1] - a > 0.05).then_some([a, w[1]])
        })
        .collect()
}

/// `nu F` of one spike train from its pair sum `S = sum_{k,l} exp(-|t_k - t_l|/tau_m)`
/// over a window of `len` seconds and its rate `nu` (Hz): `S/len - 2 tau_m nu^2` (see
/// [`EpochCounter::membrane_fano`]). Shared with the single-neuron reference simulator.
pub fn rate_times_membrane_fano(pair_sum: f64, len: f64, tau_m: f64, nu: f64) -> f64 {
    pair_sum / len - 2.0 * tau_m * nu * nu
}

/// Counts spikes per neuron and epoch window, and the pair sums behind the membrane
/// Fano factor ([`EpochCounter::membrane_fano`]).
#[derive(Clone, Debug)]
pub struct EpochCounter {
    /// The epoch windows of [`windows`] (s from the start of the run).
    pub windows: Vec<[f64; 2]>,
    /// `counts[e][i]`: spikes of neuron `i` in window `e`.
    pub counts: Vec<Vec<u32>>,
    /// `pair_sums[e][i]`: `sum_{k,l} exp(-|t_k - t_l| / tau_m)` over the spikes of neuron
    /// `i` in window `e` (the diagonal included).
    pub pair_sums: Vec<Vec<f64>>,
    /// Membrane time constant of each neuron (s).
    tau_m: Vec<f64>,
    /// Per neuron: window of its last spike (`usize::MAX` before the first), its time,
    /// and `sum_k exp(-(t_last - t_k)/tau_m)` over its spikes in that window.
    last: Vec<(usize, f64, f64)>,
}

impl EpochCounter {
    /// A counter for `n` neurons over the epoch windows of `model`.
    pub fn new(model: &Model, n: usize) -> Self {
        let windows = windows(model);
        let counts = vec![vec![0; n]; windows.len()];
        let pair_sums = vec![vec![0.0; n]; windows.len()];
        let mut tau_m: Vec<f64> = model
            .populations
            .iter()
            .flat_map(|p| std::iter::repeat_n(p.tau_m, p.n))
            .collect();
        tau_m.resize(n, model.populations.last().map_or(0.02, |p| p.tau_m));
        EpochCounter {
            windows,
            counts,
            pair_sums,
            tau_m,
            last: vec![(usize::MAX, 0.0, 0.0); n],
        }
    }

    /// Record a spike of neuron `i` at time `t` (s).
    #[inline]
    pub fn spike(&mut self, i: usize, t: f64) {
        for (e, w) in self.windows.iter().enumerate() {
            if t >= w[0] && t < w[1] {
                self.counts[e][i] += 1;
                let (le, lt, trace) = self.last[i];
                let a = if le == e {
                    trace * (-(t - lt) / self.tau_m[i]).exp()
                } else {
                    0.0
                };
                self.pair_sums[e][i] += 1.0 + 2.0 * a;
                self.last[i] = (e, t, a + 1.0);
            }
        }
    }

    /// Membrane Fano factor of each neuron in `range` in window `e` (see
    /// [`Self::membrane_fano`]); NaN for neurons without spikes in the window.
    pub fn membrane_fano_per_neuron(&self, e: usize, range: std::ops::Range<usize>) -> Vec<f64> {
        let len = self.windows[e][1] - self.windows[e][0];
        range
            .map(|i| {
                let nu = self.counts[e][i] as f64 / len;
                if nu > 0.0 {
                    rate_times_membrane_fano(self.pair_sums[e][i], len, self.tau_m[i], nu) / nu
                } else {
                    f64::NAN
                }
            })
            .collect()
    }

    /// Membrane Fano factor of the neurons `range` in window `e` (docs/theory.md 2.1): the
    /// variance of each spike train filtered by `exp(-t/tau_m)` over the window, divided
    /// by its Poisson value `nu tau_m / 2`, averaged with weights `nu` (the quantity
    /// `F_B = E[nu F_eff] / nu_B` of the spectral closure). With `y(t) = sum_k
    /// exp(-(t - t_k)/tau_m)`, `Int y^2 = (tau_m/2) sum_{k,l} exp(-|t_k - t_l|/tau_m)` and
    /// `Int y = tau_m n`, so `nu F = S/T - 2 tau_m nu^2` (`S` the pair sum, `T` the window);
    /// edge effects are of order `tau_m / T`. NaN if the neurons did not spike.
    pub fn membrane_fano(&self, e: usize, range: std::ops::Range<usize>) -> f64 {
        let len = self.windows[e][1] - self.windows[e][0];
        let (mut num, mut den) = (0.0, 0.0);
        for i in range {
            let nu = self.counts[e][i] as f64 / len;
            num += rate_times_membrane_fano(self.pair_sums[e][i], len, self.tau_m[i], nu);
            den += nu;
        }
        if den > 0.0 { num / den } else { f64::NAN }
    }

    /// Rates (Hz) of the neurons `range` in window `e`.
    pub fn rates(&self, e: usize, range: std::ops::Range<usize>) -> Vec<f64> {
        let len = self.windows[e][1] - self.windows[e][0];
        self.counts[e][range]
            .iter()
            .map(|&c| c as f64 / len)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A perfectly regular train of period `T` has `F_eff = 1 + 2 [L/(1 - L) - tau_m/T]`,
    /// `L = exp(-T/tau_m)` (renewal identity of docs/theory.md 2.1 with a delta ISI density);
    /// a Poisson train has 1. Neuron 0 regular at 50 Hz, neuron 1 Poisson at 20 Hz.
    #[test]
    fn membrane_fano_of_regular_and_poisson_trains() {
        let m = crate::presets::default_d0();
        let mut c = EpochCounter::new(&m, 2);
        let w = c.windows[0];
        let tau = m.populations[0].tau_m;
        let period = 0.02;
        let mut t = w[0] + 1e-9;
        while t < w[1] {
            c.spike(0, t);
            t += period;
        }
        let mut rng = crate::sim::rng::stream(3, crate::sim::rng::Stream::Drive, 0);
        let mut t = w[0];
        loop {
            t += crate::sim::rng::exp1(&mut rng) / 20.0;
            if t >= w[1] {
                break;
            }
            c.spike(1, t);
        }
        let l = (-period / tau).exp();
        let want = 1.0 + 2.0 * (l / (1.0 - l) - tau / period);
        let len = w[1] - w[0];
        let got = c.membrane_fano(0, 0..1);
        // edge effects O(tau / window)
        assert!(
            (got - want).abs() < 4.0 * tau / len,
            "regular: {got} vs {want}"
        );
        // Poisson: F = 1 within its sampling error (about sqrt(4 tau / window))
        let f1 = c.membrane_fano(0, 1..2);
        assert!(
            (f1 - 1.0).abs() < 4.0 * (4.0 * tau / len).sqrt(),
            "Poisson: {f1}"
        );
        let per = c.membrane_fano_per_neuron(0, 0..2);
        assert!((per[0] - got).abs() < 1e-12 && (per[1] - f1).abs() < 1e-12);
    }
}
