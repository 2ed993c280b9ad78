//! The reference spiking simulator (docs/theory.md section 3).
//!
//! It runs exactly the network of docs/theory.md section 1: current-based LIF neurons with
//! exact subthreshold integration, delta synapses with per-connection delays through
//! a ring buffer, Poisson external drive, the slow structured currents of the
//! low-rank part, a frozen bias current of variance `beta_ext`, and the latent input
//! `w_i . s(t)`. Two integration schemes ([`SimMode`]):
//!
//! - `grid`: inputs summed per step and the threshold checked once per step (NEST
//!   `iaf_psc_delta`, Brian2); fast.
//! - `precise`: every recurrent and external arrival has an exact time, spikes have
//!   exact times (NEST `iaf_psc_delta_ps`); the continuous-time model of the theory.
//!
//! Layout: [`network`] builds the connectivity and loadings, [`neuron`] holds the
//! one-step dynamics, `run` the time loop and spike delivery, [`record`] the
//! measurements, [`output`] the files, `single` the single-neuron driver, [`spikes`] the
//! measurement of spikes another simulator wrote (docs/nest.md).
//!
//! Results are the same bit for bit for a given seed whatever the number of threads:
//! all randomness comes from streams keyed by (seed, purpose, neuron), the neuron
//! update is split into fixed-size chunks whose partial sums are combined in chunk
//! order, and spikes are delivered in neuron order.
//!
//! **The slow structured current.** Each neuron keeps `u_i in R^D` (Hz); the arrival of
//! a spike of `j` adds `n_j / (K tau_s)` (docs/theory.md section 1 puts the `1/tau_s` into the
//! jump of `I^s`), `u_i` decays with `tau_s`, and `I^s_i = tau_m m_i . u_i`, so that in
//! the stationary state `I^s_i = tau_m m_i . kappa`. `u` keeps integrating during
//! refractoriness.

pub mod epochs;
pub mod limits;
pub mod network;
pub mod neuron;
pub mod output;
pub mod record;
pub mod rng;
mod run;
pub mod single;
pub mod spectrum;
pub mod spikes;
pub mod targets;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::model::Loadings;
pub use crate::model::SimMode;
pub use network::{Network, build};
pub use run::simulate;
pub use single::{SingleNeuronInput, SingleNeuronResult, single_neuron};
pub use spectrum::RateSpectrum;

/// How to run a simulation (everything else is in `Model::sim`).
#[derive(Clone, Debug, Default)]
pub struct RunOptions {
    /// Worker threads; 0 = rayon's default (the number of cores). Results do not depend on it.
    pub threads: usize,
    /// No progress bar.
    pub quiet: bool,
    /// If set, `summary.json` and NPY arrays are written there.
    pub out_dir: Option<PathBuf>,
}

/// Measured statistics of one population (after the warm-up).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PopulationResult {
    /// Population name.
    pub name: String,
    /// Number of neurons.
    pub n: usize,
    /// Mean rate over neurons (Hz).
    pub rate_hz: f64,
    /// Standard deviation of single-neuron rates across the population (Hz).
    pub rate_sd_hz: f64,
    /// Mean CV of inter-spike intervals over neurons with at least 3 spikes (NaN = null if none).
    #[serde(with = "nan_null")]
    pub cv_isi: f64,
    /// Mean Pearson correlation of spike counts in 50 ms bins over sampled pairs.
    #[serde(with = "nan_null")]
    pub pair_corr: f64,
    /// Time average of the population-mean membrane potential (mV; step-end samples in
    /// grid mode, exact time averages in precise mode; refractory neurons count at reset).
    pub mean_v_mv: f64,
    /// Golomb's synchrony measure chi (0 asynchronous, 1 fully synchronous).
    #[serde(with = "nan_null")]
    pub chi: f64,
    /// CV of the population spike count in 1 ms bins.
    #[serde(with = "nan_null")]
    pub pop_rate_cv: f64,
    /// Fano factor of the population spike count in 1 ms bins (1 for independent Poisson neurons).
    #[serde(with = "nan_null")]
    pub fano_1ms: f64,
    /// Fraction of neurons without any spike after the warm-up.
    pub silent_fraction: f64,
    /// Time-averaged rate of every neuron (Hz), in neuron order.
    pub rates_hz: Vec<f64>,
    /// ISI CV of every neuron (null where fewer than 3 spikes).
    #[serde(with = "nan_null_vec")]
    pub cv_isi_per_neuron: Vec<f64>,
    /// Rates of every neuron (Hz) in each epoch window of `SimResult::epoch_windows`.
    pub epoch_rates_hz: Vec<Vec<f64>>,
    /// Membrane Fano factor of the population's spike trains in each epoch window
    /// ([`epochs::EpochCounter::membrane_fano`]; the measured counterpart of the noise
    /// closures' `F`, docs/theory.md 2.1). Null where no neuron spiked.
    #[serde(default, with = "nan_null_vec")]
    pub epoch_membrane_fano: Vec<f64>,
    /// Membrane Fano factor of every neuron's own train in each epoch window (the
    /// per-neuron terms of `epoch_membrane_fano`); null where the neuron did not spike.
    #[serde(default, with = "nan_null_vec2")]
    pub epoch_membrane_fano_per_neuron: Vec<Vec<f64>>,
    /// Population rate in bins of `record_bin` (Hz), on `SimResult::time_s`.
    #[serde(rename = "rate_t_hz", alias = "rate_t")]
    pub rate_t: Vec<f64>,
    /// Population-mean V in bins of `record_bin` (mV), on `SimResult::time_s`.
    #[serde(rename = "mean_v_t_mv", alias = "mean_v_t")]
    pub mean_v_t: Vec<f64>,
    /// Spike trains of the sampled raster neurons: global neuron ids ...
    pub raster_ids: Vec<u32>,
    /// ... and spike times (s, from the start of the warm-up).
    #[serde(rename = "raster_times_s", alias = "raster_times")]
    pub raster_times: Vec<f64>,
    /// Power spectrum of the population-averaged rate `(1/N) sum_i s_i(t)` of all the
    /// population's neurons in each epoch window of `SimResult::epoch_windows`: Welch's
    /// method, Hann window, 50% overlap, two-sided, Hz^2/Hz (docs/theory.md 6.5).
    #[serde(default)]
    pub epoch_rate_spectra: Vec<RateSpectrum>,
}

/// Everything a simulation measured, plus what it cost.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SimResult {
    /// Model name.
    pub model: String,
    /// Integration scheme.
    pub mode: SimMode,
    /// Time step (s).
    #[serde(rename = "dt_s", alias = "dt")]
    pub dt: f64,
    /// Recorded time after the warm-up (s).
    #[serde(rename = "duration_s", alias = "duration")]
    pub duration: f64,
    /// Warm-up (s).
    #[serde(rename = "warmup_s", alias = "warmup")]
    pub warmup: f64,
    /// Seed (the network, and the noise unless `noise_seed` is set).
    pub seed: u64,
    /// Seed of the noise when it differs from `seed` (docs/theory.md 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise_seed: Option<u64>,
    /// Threads used.
    pub threads: usize,
    /// Per-population statistics.
    pub populations: Vec<PopulationResult>,
    /// Windows of constant input `s` (s from the start), see [`epochs::windows`].
    #[serde(rename = "epoch_windows_s", alias = "epoch_windows")]
    pub epoch_windows: Vec<[f64; 2]>,
    /// Time average of `kappa(t)` after the warm-up (Hz), length D.
    #[serde(rename = "kappa_mean_hz", alias = "kappa_mean")]
    pub kappa_mean: Vec<f64>,
    /// Bin centres of the time series (s, from the start of the warm-up).
    pub time_s: Vec<f64>,
    /// `kappa(t)` averaged in bins of `record_bin` (bins x D, Hz).
    #[serde(rename = "kappa_t_hz", alias = "kappa_t")]
    pub kappa_t: Vec<Vec<f64>>,
    /// Sample means and covariances of the loadings actually drawn, per population
    /// (divisor N_A), for evaluating the theory on the simulated network.
    pub loading_moments: Vec<Loadings>,
    /// Connections whose fast plus structured weight breaks Dale's law
    /// (`sign(J_AB/sqrt K + m_i.n_j/K) != sign(J_AB)`; see [`network::dale_violates`]).
    pub dale_violations: u64,
    /// `dale_violations` / number of connections.
    pub dale_violation_fraction: f64,
    /// Whether the structured part of those connections was removed (`clip_dale`).
    pub clip_dale: bool,
    /// Number of connections.
    pub n_synapses: u64,
    /// Recurrent synaptic events delivered during the whole run (warm-up included).
    pub synaptic_events: u64,
    /// Wall-clock time of the time loop (s), warm-up included, construction excluded.
    pub wall_s: f64,
    /// Wall-clock time of the network construction (s).
    pub build_s: f64,
    /// `synaptic_events / wall_s`.
    pub events_per_s: f64,
    /// CPU time of the time loop, all threads (s; Linux only, 10 ms resolution). On a
    /// loaded machine `wall_s` overstates the cost; this does not.
    #[serde(default)]
    pub cpu_s: Option<f64>,
    /// Connectivity storage per synapse (bytes): the packed target (3 bytes below 2^24
    /// neurons, else 4) plus the per-source and per-group offsets.
    pub memory_bytes_per_synapse: f64,
    /// All simulator state (connectivity, ring buffers, neuron state) per synapse (bytes).
    pub memory_total_bytes_per_synapse: f64,
}

/// Serialise NaN as JSON null and read null back as NaN.
pub(crate) mod nan_null {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        if x.is_finite() {
            s.serialize_f64(*x)
        } else {
            s.serialize_none()
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

/// An upper bound that may be unbounded: `+inf` as JSON `null` and back (JSON has no
/// infinity).
pub(crate) mod inf_null {
    pub use super::nan_null::serialize;
    use serde::{Deserialize, Deserializer};
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::INFINITY))
    }
}

mod nan_null_vec2 {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(x: &[Vec<f64>], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(x.iter().map(|row| {
            row.iter()
                .map(|v| if v.is_finite() { Some(*v) } else { None })
                .collect::<Vec<_>>()
        }))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Vec<f64>>, D::Error> {
        Ok(Vec::<Vec<Option<f64>>>::deserialize(d)?
            .into_iter()
            .map(|row| row.into_iter().map(|v| v.unwrap_or(f64::NAN)).collect())
            .collect())
    }
}

pub(crate) mod nan_null_vec {
    use serde::{Deserialize, Deserializer, Serializer};
    pub fn serialize<S: Serializer>(x: &[f64], s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(
            x.iter()
                .map(|v| if v.is_finite() { Some(*v) } else { None }),
        )
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<f64>, D::Error> {
        Ok(Vec::<Option<f64>>::deserialize(d)?
            .into_iter()
            .map(|v| v.unwrap_or(f64::NAN))
            .collect())
    }
}
