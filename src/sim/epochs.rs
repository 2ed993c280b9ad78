//! Per-neuron spike counts in epochs of constant latent input (MODEL.md section 3): the
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

/// Counts spikes per neuron and epoch window.
#[derive(Clone, Debug)]
pub struct EpochCounter {
    /// The epoch windows of [`windows`] (s from the start of the run).
    pub windows: Vec<[f64; 2]>,
    /// `counts[e][i]`: spikes of neuron `i` in window `e`.
    pub counts: Vec<Vec<u32>>,
}

impl EpochCounter {
    /// A counter for `n` neurons over the epoch windows of `model`.
    pub fn new(model: &Model, n: usize) -> Self {
        let windows = windows(model);
        let counts = vec![vec![0; n]; windows.len()];
        EpochCounter { windows, counts }
    }

    /// Record a spike of neuron `i` at time `t` (s).
    #[inline]
    pub fn spike(&mut self, i: usize, t: f64) {
        for (w, c) in self.windows.iter().zip(&mut self.counts) {
            if t >= w[0] && t < w[1] {
                c[i] += 1;
            }
        }
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
