//! Unconnected neurons driven by Poisson sources and a bias current: the single-neuron
//! reference for transfer functions (Siegert, shot noise; docs/theory.md 2.2).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::neuron::{Neuron, PopConst, draw_external, grid_step, precise_step};
use super::rng::{Stream, stream};
use crate::error::{Error, Result};
use crate::model::{Population, SimMode};
use crate::transfer::LifParams;

/// Input and settings of a single-neuron run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SingleNeuronInput {
    /// Neuron parameters.
    pub lif: LifParams,
    /// Independent Poisson sources: (jump in mV, rate in Hz). Merge trains of equal jump.
    pub sources: Vec<(f64, f64)>,
    /// Constant input (mV): the neuron relaxes to it without spikes.
    pub bias: f64,
    /// Number of independent neurons.
    pub n_neurons: usize,
    /// Recorded time per neuron after the warm-up (s).
    pub duration: f64,
    /// Warm-up (s); neurons start at the reset potential.
    pub warmup: f64,
    /// Time step (s).
    pub dt: f64,
    /// Grid or precise.
    pub mode: SimMode,
    /// Seed.
    pub seed: u64,
}

/// What a single-neuron run measured.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SingleNeuronResult {
    /// Mean rate (Hz).
    pub rate_hz: f64,
    /// Standard error of the rate from the spread across neurons (Hz).
    pub rate_se_hz: f64,
    /// Time-averaged membrane potential (mV): exact time average in precise mode,
    /// step-end samples in grid mode.
    pub mean_v_mv: f64,
    /// CV of the pooled inter-spike intervals.
    pub cv_isi: f64,
    /// Mean of the pooled inter-spike intervals (s); NaN without two spikes.
    pub mean_isi_s: f64,
    /// Number of spikes counted.
    pub n_spikes: u64,
}

/// Simulate `n_neurons` unconnected LIF neurons (independent streams) with the given
/// Poisson inputs and bias, in grid or precise mode (docs/theory.md sections 1 and 3).
pub fn single_neuron(inp: &SingleNeuronInput) -> Result<SingleNeuronResult> {
    if !(inp.dt > 0.0) || !(inp.duration > 0.0) || !(inp.warmup >= 0.0) || inp.n_neurons == 0 {
        return Err(Error::invalid(
            "single_neuron",
            format!(
                "dt={} duration={} warmup={} n={}",
                inp.dt, inp.duration, inp.warmup, inp.n_neurons
            ),
            "dt and duration must be > 0, warmup >= 0, at least one neuron",
        ));
    }
    let pop = Population {
        name: "single".into(),
        n: 1,
        c: 0.0,
        tau_m: inp.lif.tau_m,
        theta: inp.lif.theta,
        v_reset: inp.lif.v_reset,
        tau_ref: inp.lif.tau_ref,
        j_ext: 0.0,
        beta_ext: 0.0,
    };
    let h = inp.dt;
    let pc = PopConst::new(&pop, h, 1.0, &inp.sources)?;
    let warm = (inp.warmup / h).round() as usize;
    let steps = (inp.duration / h).round() as usize;
    let per: Vec<(u64, f64, f64, f64, u64)> = (0..inp.n_neurons)
        .into_par_iter()
        .map(|i| {
            let mut nr = Neuron {
                v: pop.v_reset,
                refr: 0,
                ref_left: 0.0,
                rng: stream(inp.seed, Stream::Drive, i as u64),
            };
            let mut arr = Vec::new();
            let mut sp = Vec::new();
            let (mut count, mut vsum) = (0u64, 0.0);
            let (mut last, mut s1, mut s2, mut ni) = (f64::NAN, 0.0, 0.0, 0u64);
            for step in 0..warm + steps {
                let t = step as f64 * h;
                let rec = step >= warm;
                if inp.mode == SimMode::Grid {
                    let spiked = grid_step(&mut nr, &pc, inp.bias, 0.0, 0.0);
                    sp.clear();
                    if spiked {
                        sp.push(h);
                    }
                    if rec {
                        vsum += nr.v;
                    }
                } else {
                    arr.clear();
                    draw_external(&mut nr, &pc, h, &mut arr);
                    sp.clear();
                    let vint = precise_step(&mut nr, &pc, h, inp.bias, &mut arr, &mut sp);
                    if rec {
                        vsum += vint / h;
                    }
                }
                if rec {
                    for &o in &sp {
                        let ts = t + o;
                        count += 1;
                        if !last.is_nan() {
                            let isi = ts - last;
                            s1 += isi;
                            s2 += isi * isi;
                            ni += 1;
                        }
                        last = ts;
                    }
                }
            }
            (count, vsum / steps as f64, s1, s2, ni)
        })
        .collect();
    let nn = inp.n_neurons as f64;
    let t_rec = steps as f64 * h;
    let rates: Vec<f64> = per.iter().map(|x| x.0 as f64 / t_rec).collect();
    let rate = rates.iter().sum::<f64>() / nn;
    let var = if inp.n_neurons > 1 {
        rates.iter().map(|r| (r - rate).powi(2)).sum::<f64>() / (nn - 1.0)
    } else {
        0.0
    };
    let mean_v = per.iter().map(|x| x.1).sum::<f64>() / nn;
    let (s1, s2, ni) = per.iter().fold((0.0, 0.0, 0u64), |acc, x| {
        (acc.0 + x.2, acc.1 + x.3, acc.2 + x.4)
    });
    let mean_isi = if ni >= 1 { s1 / ni as f64 } else { f64::NAN };
    let cv = if ni >= 2 {
        ((s2 / ni as f64 - mean_isi * mean_isi).max(0.0)).sqrt() / mean_isi
    } else {
        f64::NAN
    };
    Ok(SingleNeuronResult {
        rate_hz: rate,
        rate_se_hz: (var / nn).sqrt(),
        mean_v_mv: mean_v,
        cv_isi: cv,
        mean_isi_s: mean_isi,
        n_spikes: per.iter().map(|x| x.0).sum(),
    })
}
