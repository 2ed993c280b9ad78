//! Spikes written by another simulator (the PyNEST script of `balnet export nest`), read
//! back and measured with this simulator's own recorders (docs/nest.md, "Reading the
//! spikes back"), so that both runs are summarised by one implementation of every
//! statistic.
//!
//! The folder (format `balnet-nest/1`): `nest_run.json` (the Model, the time grid, the
//! number of processes), per process `r` a `nest_rank<r>.json` (written last by that
//! process) and per population `spikes_<pop>_r<r>_ids.npy` (`u32`, balnet's neuron index)
//! and `spikes_<pop>_r<r>_times.npy` (`f64`, s from the start of the warm-up); with latent
//! structure `loadings_<pop>.npy` (`N_A x (2D + D_in)`: `m`, `n`, `w` of every neuron).
//! Membrane potentials are not recorded: the mean V, its time course and Golomb's `chi`
//! come out as NaN (null in JSON).

use std::path::Path;

use serde_json::Value;

use super::epochs::EpochCounter;
use super::network::{Network, moments};
use super::output::{NpyData, read_npy, sanitize};
use super::record::{Recorder, StepData};
use super::targets::Targets;
use super::{SimResult, run};
use crate::error::{Error, Result};
use crate::model::Model;

/// The format tag this reader understands.
pub const FORMAT: &str = "balnet-nest/1";

/// A spike folder read back (see the module documentation).
#[derive(Clone, Debug)]
pub struct SpikeFolder {
    /// The Model the run simulated (population sizes as run).
    pub model: Model,
    /// Warm-up steps of `model.sim.dt`.
    pub warm_steps: usize,
    /// Recorded steps after the warm-up.
    pub rec_steps: usize,
    /// Every spike `(neuron index, time in s)`, warm-up included, sorted by time then index.
    pub spikes: Vec<(u32, f64)>,
    /// Per population, the drawn loadings `(m, n, w)` of its neurons, row-major
    /// `N_A x (2D + D_in)`; empty without latent structure.
    pub loadings: Vec<Vec<f64>>,
    /// `nest_run.json` as written.
    pub run: Value,
    /// Processes that wrote spikes (MPI ranks).
    pub processes: usize,
    /// Threads per process.
    pub threads: usize,
    /// Fast (recurrent) connections, summed over the processes.
    pub fast_connections: u64,
    /// Slow structured connections, summed over the processes.
    pub slow_connections: u64,
    /// Connections whose fast plus structured weight breaks Dale's law, summed.
    pub dale_violations: u64,
    /// Longest construction time of a process (s).
    pub build_s: f64,
    /// Longest simulation time of a process (s).
    pub simulate_s: f64,
    /// CPU time of the simulation, summed over the processes (s), if they recorded it.
    pub simulate_cpu_s: Option<f64>,
    /// CPU time of the construction, summed over the processes (s), if recorded.
    pub build_cpu_s: Option<f64>,
    /// Largest peak resident memory of a process (bytes), if recorded.
    pub max_rss_bytes: Option<u64>,
}

fn read_json(path: &Path) -> Result<Value> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Error::file(format!("cannot read {}", path.display()), e))?;
    serde_json::from_str(&text)
        .map_err(|e| Error::Io(format!("{}: not valid JSON: {e}", path.display())))
}

fn field<'a>(v: &'a Value, key: &str, path: &Path) -> Result<&'a Value> {
    v.get(key)
        .ok_or_else(|| Error::Io(format!("{}: no field `{key}`", path.display())))
}

fn as_u64(v: &Value, key: &str, path: &Path) -> Result<u64> {
    field(v, key, path)?.as_u64().ok_or_else(|| {
        Error::Io(format!(
            "{}: `{key}` is not a non-negative integer",
            path.display()
        ))
    })
}

fn as_f64(v: &Value, key: &str, path: &Path) -> Result<f64> {
    field(v, key, path)?
        .as_f64()
        .ok_or_else(|| Error::Io(format!("{}: `{key}` is not a number", path.display())))
}

/// Read a spike folder written by an exported NEST script (see the module documentation):
/// every process's spikes merged and sorted, the loadings, the Model.
///
/// # Errors
///
/// [`Error::Io`] / [`Error::File`] for a missing or malformed file (a process whose
/// `nest_rank<r>.json` is missing has not finished), a neuron index outside its population
/// or a spike time outside the run; the Model's own validation errors.
pub fn read_spikes(dir: &Path) -> Result<SpikeFolder> {
    let run_path = dir.join("nest_run.json");
    let run = read_json(&run_path)?;
    let format = field(&run, "format", &run_path)?.as_str().unwrap_or("");
    if format != FORMAT {
        return Err(Error::Io(format!(
            "{}: format {format:?}, this balnet reads {FORMAT:?}",
            run_path.display()
        )));
    }
    let mut model: Model = serde_json::from_value(field(&run, "model", &run_path)?.clone())
        .map_err(|e| Error::Parse(format!("{}: model: {e}", run_path.display())))?;
    // the seed the script ran with (its --seed may differ from the exported one)
    model.sim.seed = as_u64(&run, "seed", &run_path)?;
    model.validate()?;
    let dt = model.sim.dt;
    let h_ms = as_f64(&run, "resolution_ms", &run_path)?;
    if (h_ms - dt * 1e3).abs() > 1e-9 * dt * 1e3 {
        return Err(Error::Io(format!(
            "{}: resolution {h_ms} ms differs from the Model's sim.dt = {dt} s",
            run_path.display()
        )));
    }
    let warm_steps = as_u64(&run, "warm_steps", &run_path)? as usize;
    let rec_steps = as_u64(&run, "rec_steps", &run_path)? as usize;
    let processes = as_u64(&run, "num_processes", &run_path)? as usize;
    let threads = as_u64(&run, "threads", &run_path)? as usize;
    if processes == 0 {
        return Err(Error::Io(format!(
            "{}: num_processes = 0",
            run_path.display()
        )));
    }
    let t_end = (warm_steps + rec_steps) as f64 * dt;
    let mut starts = vec![0usize];
    for pop in &model.populations {
        starts.push(starts[starts.len() - 1] + pop.n);
    }
    let mut spikes: Vec<(u32, f64)> = Vec::new();
    let (mut fast, mut slow, mut dale) = (0u64, 0u64, 0u64);
    let (mut build_s, mut simulate_s) = (0.0f64, 0.0f64);
    let (mut sim_cpu, mut build_cpu, mut rss) = (Some(0.0f64), Some(0.0f64), Some(0u64));
    for r in 0..processes {
        let rank_path = dir.join(format!("nest_rank{r}.json"));
        if !rank_path.exists() {
            return Err(Error::Io(format!(
                "{} is missing: process {r} of {processes} has not finished writing",
                rank_path.display()
            )));
        }
        let rank = read_json(&rank_path)?;
        fast += as_u64(&rank, "fast_connections", &rank_path)?;
        slow += as_u64(&rank, "slow_connections", &rank_path)?;
        dale += as_u64(&rank, "dale_violations", &rank_path)?;
        build_s = build_s.max(as_f64(&rank, "build_s", &rank_path)?);
        simulate_s = simulate_s.max(as_f64(&rank, "simulate_s", &rank_path)?);
        let opt = |key: &str| rank.get(key).and_then(Value::as_f64);
        sim_cpu = sim_cpu.zip(opt("simulate_cpu_s")).map(|(a, b)| a + b);
        build_cpu = build_cpu.zip(opt("build_cpu_s")).map(|(a, b)| a + b);
        rss = rss
            .zip(rank.get("max_rss_bytes").and_then(Value::as_u64))
            .map(|(a, b)| a.max(b));
        for (a, pop) in model.populations.iter().enumerate() {
            let stem = format!("spikes_{}_r{r}", sanitize(&pop.name));
            let ids_path = dir.join(format!("{stem}_ids.npy"));
            let times_path = dir.join(format!("{stem}_times.npy"));
            let ids = match read_npy(&ids_path)? {
                (_, NpyData::U32(v)) => v,
                _ => return Err(Error::Io(format!("{}: need <u4", ids_path.display()))),
            };
            let times = match read_npy(&times_path)? {
                (_, NpyData::F64(v)) => v,
                _ => return Err(Error::Io(format!("{}: need <f8", times_path.display()))),
            };
            if ids.len() != times.len() {
                return Err(Error::Io(format!(
                    "{}: {} ids but {} times",
                    ids_path.display(),
                    ids.len(),
                    times.len()
                )));
            }
            for (&i, &t) in ids.iter().zip(&times) {
                if !(starts[a]..starts[a + 1]).contains(&(i as usize)) {
                    return Err(Error::Io(format!(
                        "{}: neuron {i} is not in population {} ({}..{})",
                        ids_path.display(),
                        pop.name,
                        starts[a],
                        starts[a + 1]
                    )));
                }
                if !(t.is_finite() && t > 0.0 && t <= t_end * (1.0 + 1e-12)) {
                    return Err(Error::Io(format!(
                        "{}: spike time {t} s outside the run (0, {t_end}] s",
                        times_path.display()
                    )));
                }
                spikes.push((i, t));
            }
        }
    }
    spikes.sort_by(|x, y| x.1.total_cmp(&y.1).then(x.0.cmp(&y.0)));
    let dim = 2 * model.d() + model.d_in();
    let mut loadings = Vec::new();
    if dim > 0 {
        for pop in &model.populations {
            let path = dir.join(format!("loadings_{}.npy", sanitize(&pop.name)));
            match read_npy(&path)? {
                (shape, NpyData::F64(v)) if shape == [pop.n, dim] => loadings.push(v),
                (shape, _) => {
                    return Err(Error::Io(format!(
                        "{}: shape {shape:?} of <f8 expected [{}, {dim}]",
                        path.display(),
                        pop.n
                    )));
                }
            }
        }
    }
    Ok(SpikeFolder {
        model,
        warm_steps,
        rec_steps,
        spikes,
        loadings,
        run,
        processes,
        threads,
        fast_connections: fast,
        slow_connections: slow,
        dale_violations: dale,
        build_s,
        simulate_s,
        simulate_cpu_s: sim_cpu,
        build_cpu_s: build_cpu,
        max_rss_bytes: rss,
    })
}

/// Measure a spike folder with the simulator's recorders (docs/theory.md section 3): the
/// same [`SimResult`] as a balnet run of the same Model, except that membrane potentials
/// are not known (mean V, its time course and `chi` are NaN), `synaptic_events` and the
/// memory fields are not measured (0 and NaN), and the costs are NEST's (`wall_s` is the
/// longest simulation time of a process, `build_s` the longest construction, `cpu_s` the
/// simulation's CPU time summed over the processes).
///
/// Each spike is assigned to the step whose end is the first at or after it (a grid
/// spike at `(k + 1) dt` to step `k`), which is where this simulator records it.
///
/// # Errors
///
/// [`Error::Invalid`] for more than 255 populations.
pub fn result_from_spikes(f: &SpikeFolder) -> Result<SimResult> {
    let model = &f.model;
    let p = model.p();
    if p > 255 {
        return Err(Error::invalid(
            "populations",
            p,
            "the recorders support at most 255 populations",
        ));
    }
    let dt = model.sim.dt;
    let mut pop_start = vec![0usize];
    for pop in &model.populations {
        pop_start.push(pop_start[pop_start.len() - 1] + pop.n);
    }
    let n = pop_start[p];
    let mut pop_of = vec![0u8; n];
    for a in 0..p {
        pop_of[pop_start[a]..pop_start[a + 1]].fill(a as u8);
    }
    let (d, d_in) = (model.d(), model.d_in());
    let dim = 2 * d + d_in;
    let (mut m, mut nl, mut w) = (
        Vec::with_capacity(n * d),
        Vec::with_capacity(n * d),
        Vec::with_capacity(n * d_in),
    );
    let mut loading_moments = Vec::with_capacity(p);
    for a in 0..p {
        let (m0, n0, w0) = (m.len(), nl.len(), w.len());
        if dim > 0 {
            for row in f.loadings[a].chunks(dim) {
                m.extend_from_slice(&row[..d]);
                nl.extend_from_slice(&row[d..2 * d]);
                w.extend_from_slice(&row[2 * d..]);
            }
        }
        loading_moments.push(moments(&m[m0..], &nl[n0..], &w[w0..], d, d_in));
    }
    let has_slow = d > 0 && nl.iter().any(|&v| v != 0.0) && m.iter().any(|&v| v != 0.0);
    // the recorders read the populations and the loadings n_j of a network; the
    // connectivity of this one is empty (the spikes are given)
    let net = Network {
        n,
        pop_start: pop_start.clone(),
        pop_of,
        delay_min_steps: 1,
        n_delays: 1,
        targets: Targets::zeroed(0, n)?,
        src_off: vec![0; n + 1],
        group_off: Vec::new(),
        jump: (0..p)
            .map(|a| (0..p).map(|b| model.jump(a, b)).collect())
            .collect(),
        d,
        d_in,
        m,
        nl,
        w,
        bias: Vec::new(),
        has_slow,
        clipped: Vec::new(),
        dale_violations: f.dale_violations,
        loading_moments: loading_moments.clone(),
    };
    let total = f.warm_steps + f.rec_steps;
    let mut rec = Recorder::new(model, &net, total, f.warm_steps);
    let mut epochs = EpochCounter::new(model, n);
    let nan_v = vec![f64::NAN; p];
    let step_of = |t: f64| -> usize {
        let k = (t / dt - 1e-6).ceil() as i64 - 1;
        k.clamp(0, total as i64 - 1) as usize
    };
    let mut i = 0;
    let mut step_spikes: Vec<(u32, f64)> = Vec::new();
    for step in 0..total {
        step_spikes.clear();
        while i < f.spikes.len() && step_of(f.spikes[i].1) == step {
            step_spikes.push(f.spikes[i]);
            i += 1;
        }
        // neuron order within a step, as the simulator delivers and records
        step_spikes.sort_by_key(|s| s.0);
        for &(j, t) in &step_spikes {
            epochs.spike(j as usize, t);
        }
        rec.step(
            &StepData {
                step,
                spikes: &step_spikes,
                v_sum: &nan_v,
                v: None,
            },
            &net,
        );
    }
    let recorded = rec.finish(f.rec_steps as f64 * dt);
    let populations = run::population_results(model, &pop_start, recorded.pops, &epochs);
    let n_syn = f.fast_connections;
    Ok(SimResult {
        model: model.name.clone(),
        mode: model.sim.mode,
        dt,
        duration: f.rec_steps as f64 * dt,
        warmup: f.warm_steps as f64 * dt,
        seed: model.sim.seed,
        noise_seed: None,
        threads: f.threads * f.processes,
        populations,
        epoch_windows: epochs.windows.clone(),
        kappa_mean: recorded.kappa_mean,
        time_s: recorded.time_s,
        kappa_t: recorded.kappa_t,
        loading_moments,
        dale_violations: f.dale_violations,
        dale_violation_fraction: f.dale_violations as f64 / n_syn.max(1) as f64,
        clip_dale: model.sim.clip_dale,
        n_synapses: n_syn,
        synaptic_events: 0,
        wall_s: f.simulate_s,
        build_s: f.build_s,
        events_per_s: 0.0,
        cpu_s: f.simulate_cpu_s,
        memory_bytes_per_synapse: f64::NAN,
        memory_total_bytes_per_synapse: f64::NAN,
    })
}
