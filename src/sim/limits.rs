//! Run limits (docs/theory.md 7, "Simulator run limits"): the memory and the work of a
//! simulation, estimated from the Model before anything is allocated or simulated, and
//! refused beyond documented limits with an error that says what the run would take and
//! which setting to change.
//!
//! The estimate counts what the simulator allocates up front (neurons, connectivity,
//! ring buffers, loadings, recorders, epoch counters) exactly from the sizes in the
//! Model, and what grows with the spikes (the raster) at the largest rate a neuron can
//! fire, `1 / max(tau_ref, dt)`.

use crate::error::{Error, Result};
use crate::model::{Connectivity, Model};

/// Largest number of neuron updates `N * (warmup + duration) / dt` of one run.
pub const MAX_NEURON_STEPS: f64 = 1e13;
/// Largest number of recurrent synaptic events of one run at the refractory bound
/// `synapses * (warmup + duration) / max(tau_ref, dt)`.
pub const MAX_EVENTS: f64 = 1e15;
/// Largest number of sampled pairs per population for spike-count correlations.
pub const MAX_CORR_PAIRS: usize = 10_000_000;
/// Memory limit when the available memory cannot be read (bytes).
pub const FALLBACK_MEMORY_BYTES: f64 = 16.0 * (1u64 << 30) as f64;
/// Environment variable overriding the memory limit (bytes, e.g. `8e9`).
pub const ENV_MAX_MEMORY: &str = "BALNET_MAX_MEMORY_BYTES";

/// What a run would take, estimated from the Model alone.
#[derive(Clone, Debug, PartialEq)]
pub struct RunEstimate {
    /// Neurons.
    pub neurons: f64,
    /// Expected number of synapses.
    pub synapses: f64,
    /// Time steps, warm-up included.
    pub steps: f64,
    /// Recorded steps (after the warm-up).
    pub recorded_steps: f64,
    /// `neurons * steps`.
    pub neuron_steps: f64,
    /// Input events: recurrent synaptic events at the refractory bound `1 / max(tau_ref, dt)`,
    /// plus the external Poisson arrivals in precise mode.
    pub events_bound: f64,
    /// Memory (bytes) per part: `(what, bytes, setting to change)`.
    pub memory: Vec<(&'static str, f64, &'static str)>,
}

impl RunEstimate {
    /// Total memory (bytes).
    pub fn memory_bytes(&self) -> f64 {
        self.memory.iter().map(|m| m.1).sum()
    }
}

/// Estimate the memory and work of simulating `model` with `threads` worker threads.
/// Every quantity is computed in `f64`, so absurd sizes give large finite (or infinite)
/// numbers, never an overflow.
pub fn estimate(model: &Model, threads: usize) -> RunEstimate {
    let s = &model.sim;
    let p = model.p() as f64;
    let d = model.d() as f64;
    let d_in = model.d_in() as f64;
    let dt = s.dt;
    let sizes: Vec<f64> = model.populations.iter().map(|q| q.n as f64).collect();
    let n: f64 = sizes.iter().sum();
    // in-degree from population B: min(c_B K, N_B) (Bernoulli and without replacement),
    // round(c_B K) with replacement
    let in_degree: f64 = model
        .populations
        .iter()
        .map(|q| {
            let k = q.c * model.k;
            match model.connectivity {
                Connectivity::FixedIndegreeReplacement => k.round(),
                _ => k.min(q.n as f64),
            }
        })
        .sum();
    let synapses = n * in_degree;
    let warm_steps = (s.warmup / dt).round();
    let rec_steps = (s.duration / dt).round().max(1.0);
    let steps = warm_steps + rec_steps;
    let min_tau_ref = model
        .populations
        .iter()
        .map(|q| q.tau_ref)
        .fold(f64::INFINITY, f64::min);
    let r_max = 1.0 / min_tau_ref.max(dt);
    // precise mode places every external Poisson arrival in time (docs/theory.md 3): each
    // is an event of the step loop, K_0 nu_0 per neuron and second
    let external_events = if s.mode == crate::model::SimMode::Precise {
        n * (model.external.c0 * model.k).round() * model.external.nu0 * steps * dt
    } else {
        0.0
    };
    let events_bound = synapses * steps * dt * r_max + external_events;

    let dmax_steps = (model.delay.max() / dt).round() + 1.0;
    let n_delays = ((model.delay.max() - model.delay.min()) / dt).round() + 1.0;
    let stride = 1.0 + d;
    let threads = if threads == 0 {
        std::thread::available_parallelism().map_or(1, |t| t.get())
    } else {
        threads
    } as f64;

    let steps_per_bin = (s.record_bin / dt).round().max(1.0);
    let nbins = (rec_steps / steps_per_bin).ceil();
    let n_ms = (rec_steps / (1e-3 / dt).round().max(1.0)).floor();
    let n_spec = (rec_steps / super::spectrum::spectrum_bin_steps(dt) as f64).floor();
    let n_corr = (rec_steps / (super::record::CORR_BIN / dt).round().max(1.0)).floor();
    let corr_pairs = s.corr_pairs as f64;
    let corr_neurons: f64 = sizes.iter().map(|&na| na.min(2.0 * corr_pairs)).sum();
    let raster_neurons: f64 = sizes
        .iter()
        .map(|&na| na.min(s.raster_neurons as f64))
        .sum();
    let windows = super::epochs::windows(model).len() as f64;
    let rec_time = rec_steps * dt;

    let memory = vec![
        (
            "neuron state (potential, random stream, slow currents, loadings, bias)",
            n * (64.0 + 8.0 * (d.max(1.0) + 2.0 * d + d_in) + 8.0 + 1.0),
            "populations[].n",
        ),
        (
            "connectivity (targets, group offsets, construction buffers)",
            // the network's own model: packed targets, offsets and the one block of
            // incoming lists of the two-pass construction (docs/simulator.md, "Memory")
            // and, with two or more threads, the delivery's cut table (4 bytes per group,
            // neuron and thread boundary)
            super::network::memory_estimate(model).total_bytes()
                + if threads > 1.0 {
                    4.0 * p * n_delays * (threads + 1.0) * n
                } else {
                    0.0
                },
            "k, populations[].n or populations[].c",
        ),
        (
            "spike ring buffers (one slot per delay step)",
            4.0 * dmax_steps * n * stride,
            "delay.max or sim.dt",
        ),
        (
            "per-neuron recorders and epoch counters",
            n * (37.0 + windows * 12.0 + 24.0),
            "populations[].n",
        ),
        (
            "binned time series (rates, mean V, kappa, spike counts of the rate spectra)",
            nbins * (p * 28.0 + d * 16.0 + 40.0) + n_ms * p * 4.0 + n_spec * p * 4.0,
            "sim.duration or sim.record_bin",
        ),
        (
            "spike-count correlations (sampled pairs, 50 ms counts)",
            p * corr_pairs * 8.0 + corr_neurons * (2.0 * n_corr + 24.0),
            "sim.corr_pairs or sim.duration",
        ),
        (
            "spike raster (at the refractory bound 1/max(tau_ref, dt))",
            raster_neurons * rec_time * r_max * 16.0,
            "sim.raster_neurons or sim.duration",
        ),
    ];
    RunEstimate {
        neurons: n,
        synapses,
        steps,
        recorded_steps: rec_steps,
        neuron_steps: n * steps,
        events_bound,
        memory,
    }
}

/// The memory limit (bytes): `BALNET_MAX_MEMORY_BYTES` if set, else the memory available
/// now (`MemAvailable` of `/proc/meminfo` on Linux), else 16 GiB.
pub fn memory_limit() -> f64 {
    if let Some(v) = std::env::var(ENV_MAX_MEMORY)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| *v > 0.0)
    {
        return v;
    }
    std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemAvailable:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(FALLBACK_MEMORY_BYTES, |kb| kb * 1024.0)
}

/// `x <= limit`, false for NaN.
fn within(x: f64, limit: f64) -> bool {
    x <= limit
}

fn gib(b: f64) -> String {
    format!("{:.3e} bytes ({:.3} GiB)", b, b / (1u64 << 30) as f64)
}

/// Refuse a run beyond the limits (docs/theory.md 7, "Simulator run limits"); `threads`
/// as in `RunOptions`.
pub fn check(model: &Model, threads: usize) -> Result<RunEstimate> {
    model.validate()?;
    let s = &model.sim;
    if s.corr_pairs > MAX_CORR_PAIRS {
        return Err(Error::invalid(
            "sim.corr_pairs",
            s.corr_pairs,
            format!(
                "at most {MAX_CORR_PAIRS} sampled pairs per population (the mean pair \
                 correlation is then known to ~3e-4; more pairs cost memory, not accuracy)"
            ),
        ));
    }
    let e = estimate(model, threads);
    let t_total = s.warmup + s.duration;
    if !within(e.neuron_steps, MAX_NEURON_STEPS) {
        return Err(Error::invalid(
            "sim.duration + sim.warmup",
            format!("{t_total:e} s"),
            format!(
                "the run would take {:.3e} neuron updates ({:.3e} neurons x {:.3e} steps of \
                 dt = {:e} s); the limit is {MAX_NEURON_STEPS:e}: shorten sim.duration or \
                 sim.warmup (--duration, --warmup), increase sim.dt or reduce populations[].n",
                e.neuron_steps, e.neurons, e.steps, s.dt
            ),
        ));
    }
    if !within(e.events_bound, MAX_EVENTS) {
        return Err(Error::invalid(
            "sim.duration + sim.warmup",
            format!("{t_total:e} s"),
            format!(
                "up to {:.3e} input events ({:.3e} synapses firing at the refractory bound \
                 for {t_total:e} s, plus the external arrivals in precise mode); the limit is \
                 {MAX_EVENTS:e}: shorten the run, or reduce k, external.c0, external.nu0 or \
                 populations[].n",
                e.events_bound, e.synapses
            ),
        ));
    }
    let total = e.memory_bytes();
    let limit = memory_limit();
    if !within(total, limit) {
        let (what, bytes, field) = e
            .memory
            .iter()
            .copied()
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap_or(("memory", total, "the run size"));
        return Err(Error::invalid(
            field,
            format!("(model `{}`)", model.name),
            format!(
                "the run would need {} of memory, more than the limit {} (memory available now, \
                 or {ENV_MAX_MEMORY}); the largest part is {what}: {}; change {field}",
                gib(total),
                gib(limit),
                gib(bytes)
            ),
        ));
    }
    Ok(e)
}
