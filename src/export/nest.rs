//! A Model as a self-contained PyNEST script for NEST 3.10 (docs/nest.md; docs/theory.md
//! section 9).
//!
//! The script builds the network of docs/theory.md section 1 with NEST's high-level API
//! and writes its spikes in a folder that [`crate::sim::spikes::read_spikes`] reads back.
//! Three constructions, chosen from the Model (docs/nest.md, "Constructions"):
//!
//! - `iaf_psc_delta` (grid mode, no slow structured current): exactly the neuron, synapse
//!   and delivery rules of the simulator's grid mode (docs/theory.md section 3);
//! - `iaf_psc_delta_ps` (precise mode, no slow current, constant latent input): NEST's
//!   precise-time counterpart of the precise mode;
//! - `iaf_psc_exp_multisynapse` (grid mode with the slow current of the low-rank part):
//!   a fast port whose exponential current lasts `dt / 100` (its whole charge arrives within
//!   one step, so the jump of `V` is exact) and a slow port with `tau_s`. An exponential
//!   port acts one step after arrival, so every delay is one step shorter; with that shift
//!   the membrane potential equals the `iaf_psc_delta` one at every step end to rounding
//!   (docs/nest.md, "The slow structured current").
//!
//! Units: balnet uses s, mV, Hz; NEST uses ms, mV, pA, pF. Every neuron has `E_L = 0`
//! (potentials from rest, as in balnet) and `C_m = tau_m` (pF, with `tau_m` in ms), so a
//! current of `x` pA drives `V` toward `x` mV, which is balnet's drive in mV.

use serde_json::{Value, json};

use crate::error::{Error, Result};
use crate::model::{Connectivity, Model, SignalTerm, SimMode};
use crate::sim::network::{delay_step_bounds, expected_indegree, loading_factor, memory_estimate};
use crate::sim::output::{check_population_names, sanitize};

/// The format tag of the plan embedded in the script and of the folder it writes.
pub const FORMAT: &str = "balnet-nest/1";

/// The fast port's time constant in units of the time step: `tau_f = dt / 100`, so that
/// `exp(-dt / tau_f) = exp(-100) = 3.7e-44` of the current outlives its step (docs/nest.md).
pub const FAST_TAU_STEPS: f64 = 100.0;

/// Largest table of loadings `(m, n, w)` every process holds (bytes): the slow structured
/// weights need `n_j` of every presynaptic neuron on every process (docs/nest.md, "Cost").
pub const MAX_REPLICATED_BYTES: f64 = 2.0 * (1u64 << 30) as f64;

/// Largest number of amplitude changes of the latent input's step currents (a ramp
/// changes the input at every step).
pub const MAX_SIGNAL_CHANGES: usize = 1_000_000;

/// Connections read back per `GetConnections` call when the slow weights are attached.
pub const CONNECTIONS_PER_CHUNK: f64 = 2e6;

/// Options of the exported script; every one except `n_scale` is also a command-line
/// option of the script itself.
#[derive(Clone, Debug, PartialEq)]
pub struct NestOptions {
    /// NEST threads per process (`local_num_threads`; the script's `--threads`).
    pub threads: usize,
    /// Folder the script writes its spikes into (the script's `--out`).
    pub out_dir: String,
    /// Seed of NEST's and numpy's generators (the script's `--seed`); `None`: the Model's
    /// `sim.seed`. NEST takes seeds 1 to 2^32 - 1; others are folded into that range.
    pub seed: Option<u64>,
    /// Multiply every population size by this factor (rounded, at least 1 neuron); the
    /// in-degrees `c_B K` stay as they are. `None`: the sizes of the Model.
    pub n_scale: Option<f64>,
}

impl Default for NestOptions {
    fn default() -> Self {
        NestOptions {
            threads: 1,
            out_dir: "nest_out".into(),
            seed: None,
            n_scale: None,
        }
    }
}

/// The Model with every population size multiplied by `scale` (docs/nest.md): sizes
/// `max(1, round(scale N_A))`, in-degrees unchanged; the result is validated.
pub fn scale_populations(model: &Model, scale: f64) -> Result<Model> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(Error::invalid(
            "n_scale",
            scale,
            "must be finite and > 0 (factor on every population size)",
        ));
    }
    let mut m = model.clone();
    for p in &mut m.populations {
        let n = (p.n as f64 * scale).round().max(1.0);
        if n > u32::MAX as f64 {
            return Err(Error::invalid(
                "n_scale",
                scale,
                format!("population {} would have {n:e} neurons", p.name),
            ));
        }
        p.n = n as usize;
    }
    m.validate()?;
    Ok(m)
}

/// The PyNEST script of `model` (docs/nest.md): a fixed Python program with the Model's
/// numbers in an embedded JSON plan ([`nest_plan`]).
///
/// # Errors
///
/// [`Error::Invalid`] for a Model NEST cannot run as balnet does: a precise-mode Model with
/// a slow structured current or a time-dependent latent input (NEST has no precise-time
/// neuron with a second, slow port), a slow current with a smallest delay below 2 steps
/// (the exponential port needs one step of the delay), a time step that is not a whole
/// number of NEST's 1 us tics, a latent input that changes in the first two steps, more
/// than [`MAX_SIGNAL_CHANGES`] changes, a loading table above [`MAX_REPLICATED_BYTES`],
/// or more than 2^32 - 1 neurons; and every rule of [`Model::validate`].
pub fn nest_script(model: &Model, opts: &NestOptions) -> Result<String> {
    let plan = nest_plan(model, opts)?;
    let text = serde_json::to_string_pretty(&plan)
        .map_err(|e| Error::Io(format!("cannot serialise the NEST plan: {e}")))?;
    if text.contains("\"\"\"") || text.ends_with('\\') {
        // cannot happen with serde_json's escaping; kept so the raw string stays valid Python
        return Err(Error::invalid(
            "model",
            &model.name,
            "the embedded plan would end the script's raw string",
        ));
    }
    let title = format!(
        "{}: a balnet Model as a PyNEST script ({} neurons, {}).",
        plan["model"]["name"].as_str().unwrap_or("model"),
        plan["cost"]["neurons"],
        plan["neuron_model"].as_str().unwrap_or("")
    )
    .replace("\"\"\"", "'''")
    .replace('\\', "/");
    Ok(include_str!("nest_template.py")
        .replace("@TITLE@", &title)
        .replace("@VERSION@", env!("CARGO_PKG_VERSION"))
        .replace("@SCRIPT@", "script.py")
        .replace("@PLAN@", &text))
}

/// The plan of the script: every number the Python program uses, as JSON (documented
/// field by field in docs/nest.md, "The plan").
///
/// # Errors
///
/// As [`nest_script`].
pub fn nest_plan(model: &Model, opts: &NestOptions) -> Result<Value> {
    model.validate()?;
    let model = match opts.n_scale {
        Some(s) => scale_populations(model, s)?,
        None => model.clone(),
    };
    let mut model = model;
    if let Some(seed) = opts.seed {
        model.sim.seed = seed;
    }
    check_population_names(&model)?;
    if opts.threads == 0 {
        return Err(Error::invalid(
            "threads",
            0,
            "NEST needs at least one thread per process",
        ));
    }
    let p = model.p();
    let dt = model.sim.dt;
    let h_ms = dt * 1e3;
    let tics = dt * 1e6;
    if (tics - tics.round()).abs() > 1e-9 * tics.max(1.0) || tics.round() < 1.0 {
        return Err(Error::invalid(
            "sim.dt",
            dt,
            "NEST's time grid is a whole number of 1 us tics (its default tics_per_ms = 1000)",
        ));
    }
    let neurons: usize = model.populations.iter().map(|q| q.n).sum();
    if neurons as u64 >= u32::MAX as u64 {
        return Err(Error::invalid(
            "populations[].n",
            neurons,
            "the spike files number neurons with u32: the total must be below 4294967295",
        ));
    }
    let warm_steps = (model.sim.warmup / dt).round() as u64;
    let rec_steps = ((model.sim.duration / dt).round() as u64).max(1);
    let total_steps = warm_steps + rec_steps;

    let (d, d_in) = (model.d(), model.d_in());
    let nonzero_n: Vec<bool> = (0..p)
        .map(|a| {
            let l = model.loadings(a);
            l.nbar.iter().any(|&x| x != 0.0) || (0..d).any(|k| l.sigma_nn[k][k] > 0.0)
        })
        .collect();
    let nonzero_m: Vec<bool> = (0..p)
        .map(|a| {
            let l = model.loadings(a);
            l.mbar.iter().any(|&x| x != 0.0) || (0..d).any(|k| l.sigma_mm[k][k] > 0.0)
        })
        .collect();
    let slow_block =
        |a: usize, b: usize| d > 0 && model.populations[b].c > 0.0 && nonzero_m[a] && nonzero_n[b];
    let has_slow = (0..p).any(|a| (0..p).any(|b| slow_block(a, b)));

    let signal = signal_changes(&model, total_steps)?;
    let varying = signal.iter().any(|(t, _)| !t.is_empty());
    let precise = model.sim.mode == SimMode::Precise;
    if precise && (has_slow || varying) {
        return Err(Error::invalid(
            "sim.mode",
            "precise",
            format!(
                "the Model has {}; NEST has no precise-time neuron with a second (slow) input \
                 port or exact step-current timing (docs/nest.md): export it in grid mode \
                 (`balnet export nest --mode grid`, or sim.mode = \"grid\")",
                if has_slow {
                    "a slow structured current (latent structure with nonzero loadings m and n)"
                } else {
                    "a time-dependent latent input s(t)"
                }
            ),
        ));
    }
    let (neuron_model, poisson_model) = if has_slow {
        ("iaf_psc_exp_multisynapse", "poisson_generator")
    } else if precise {
        ("iaf_psc_delta_ps", "poisson_generator_ps")
    } else {
        ("iaf_psc_delta", "poisson_generator")
    };
    let (dmin, dmax) = delay_step_bounds(&model.delay, dt);
    // an exponential port acts one step after the spike arrives: shorten every delay by one
    let shift = usize::from(has_slow);
    if dmin < 1 + shift {
        return Err(Error::invalid(
            "delay",
            model.delay.min(),
            format!(
                "the slow structured current needs a smallest delay of at least 2 steps \
                 (2 sim.dt = {} s): its exponential ports act one step after arrival, so \
                 NEST's delays are one step shorter than balnet's (docs/nest.md)",
                2.0 * dt
            ),
        ));
    }
    let replicated = 8.0 * neurons as f64 * (2 * d + d_in) as f64;
    if replicated > MAX_REPLICATED_BYTES {
        return Err(Error::invalid(
            "populations[].n",
            neurons,
            format!(
                "every NEST process would hold the loadings of all neurons ({replicated:.3e} \
                 bytes, {} per neuron), more than the limit {MAX_REPLICATED_BYTES:.3e} bytes \
                 (docs/nest.md, \"Cost\"); use fewer neurons (n_scale) or no latent structure",
                8 * (2 * d + d_in)
            ),
        ));
    }

    let tau_f_ms = h_ms / FAST_TAU_STEPS;
    let tau_s_ms = model.latent.as_ref().map_or(0.0, |l| l.tau_s * 1e3);
    let mut first = 0usize;
    let mut pops = Vec::with_capacity(p);
    for (a, pop) in model.populations.iter().enumerate() {
        let tau_m_ms = pop.tau_m * 1e3;
        let t_ref_ms = if precise {
            pop.tau_ref * 1e3
        } else {
            // the grid neuron is refractory for round(tau_ref / dt) whole steps
            (pop.tau_ref / dt).round() * h_ms
        };
        let mut params = json!({
            "E_L": 0.0,
            "C_m": tau_m_ms,
            "tau_m": tau_m_ms,
            "V_th": pop.theta,
            "V_reset": pop.v_reset,
            "t_ref": t_ref_ms,
            "I_e": 0.0,
        });
        if has_slow {
            params["tau_syn"] = json!([tau_f_ms, tau_s_ms]);
        } else if !precise {
            // iaf_psc_delta_ps always discards input while refractory (read-only flag)
            params["refractory_input"] = json!(false);
        }
        if precise && pop.tau_ref < dt {
            return Err(Error::invalid(
                format!("populations[{a}].tau_ref"),
                pop.tau_ref,
                format!(
                    "NEST's iaf_psc_delta_ps needs a refractory period of at least one step \
                     (sim.dt = {dt} s); export in grid mode (`--mode grid`) or lengthen it"
                ),
            ));
        }
        let rate = model.k_ext() * model.external.nu0;
        let jump = model.jump_ext(a);
        let external = (rate > 0.0 && jump != 0.0).then(|| {
            json!({
                "rate_hz": rate,
                "jump_mv": jump,
                "weight": fast_weight(jump, has_slow, tau_m_ms, h_ms),
            })
        });
        pops.push(json!({
            "name": pop.name,
            "file_name": sanitize(&pop.name),
            "n": pop.n,
            "first": first,
            "params": params,
            "v0_range": [pop.theta.min(0.0), pop.theta.max(0.0)],
            "bias_sd_pa": pop.beta_ext.sqrt(),
            "external": external,
        }));
        first += pop.n;
    }

    let mut blocks = Vec::new();
    let mut fast_expected = 0.0;
    let mut slow_max = 0.0;
    for a in 0..p {
        let na = model.populations[a].n as f64;
        for b in 0..p {
            let jump = model.jump(a, b);
            let slow = slow_block(a, b);
            let k_exp = expected_indegree(&model, a, b);
            // a connection without a fast weight matters only for its slow part
            if k_exp <= 0.0 || (jump == 0.0 && !slow) {
                continue;
            }
            let nb = model.populations[b].n;
            let cand = if a == b { nb - 1 } else { nb };
            let kb = model.k_in(b);
            let conn_spec = match model.connectivity {
                Connectivity::Bernoulli => json!({
                    "rule": "pairwise_bernoulli",
                    "p": model.p_conn(b).min(1.0),
                    "allow_autapses": false,
                }),
                Connectivity::FixedIndegree => json!({
                    "rule": "fixed_indegree",
                    "indegree": (kb.round() as usize).min(cand),
                    "allow_autapses": false,
                    "allow_multapses": false,
                }),
                Connectivity::FixedIndegreeReplacement => json!({
                    "rule": "fixed_indegree",
                    "indegree": kb.round() as usize,
                    "allow_autapses": false,
                    "allow_multapses": true,
                }),
            };
            fast_expected += na * k_exp;
            if slow {
                slow_max += na * k_exp;
            }
            blocks.push(json!({
                "post": a,
                "pre": b,
                "conn_spec": conn_spec,
                "jump_mv": jump,
                "weight": fast_weight(jump, has_slow, model.populations[a].tau_m * 1e3, h_ms),
                "delay_steps": [dmin - shift, dmax - shift],
                "expected_indegree": k_exp,
                "slow": slow,
            }));
        }
    }

    let loadings = (d + d_in > 0).then(|| {
        (0..p)
            .map(|a| {
                let l = model.loadings(a);
                let f = loading_factor(&l);
                json!({
                    "mean": l.joint_mean(),
                    "factor": (0..f.nrows())
                        .map(|r| (0..f.ncols()).map(|c| f[(r, c)]).collect::<Vec<_>>())
                        .collect::<Vec<_>>(),
                })
            })
            .collect::<Vec<_>>()
    });
    let slow = has_slow.then(|| {
        json!({
            "tau_s_ms": tau_s_ms,
            "k": model.k,
            "clip_dale": model.sim.clip_dale,
            // weight (pA) of a slow synapse per mV of m_i . n_j / K: C_m / tau_s
            "pa_per_mv": model.populations.iter().map(|q| q.tau_m * 1e3 / tau_s_ms).collect::<Vec<_>>(),
            "connections_per_chunk": CONNECTIONS_PER_CHUNK,
        })
    });
    let s0 = model.signal(0.0);
    let generators: Vec<Value> = signal
        .iter()
        .map(|(t, v)| json!({"times_ms": t, "values": v}))
        .collect();
    let model_json = serde_json::to_value(&model)
        .map_err(|e| Error::Io(format!("cannot serialise the Model: {e}")))?;
    let synapses = memory_estimate(&model).synapses;
    Ok(json!({
        "format": FORMAT,
        "balnet_version": env!("CARGO_PKG_VERSION"),
        "model": model_json,
        "neuron_model": neuron_model,
        "poisson_model": poisson_model,
        "resolution_ms": h_ms,
        "warm_steps": warm_steps,
        "rec_steps": rec_steps,
        "seed": model.sim.seed,
        "threads": opts.threads,
        "out_dir": opts.out_dir,
        "d": d,
        "d_in": d_in,
        "exact_loadings": model.sim.exact_loadings,
        "populations": pops,
        "blocks": blocks,
        "loadings": loadings,
        "slow": slow,
        "signal": {"s0": s0, "generators": generators},
        "cost": {
            "neurons": neurons,
            "synapses_model": synapses,
            "fast_connections_expected": fast_expected,
            "slow_connections_max": slow_max,
            "replicated_loading_bytes_per_process": replicated,
            "replicated_loading_bytes_limit": MAX_REPLICATED_BYTES,
        },
    }))
}

/// NEST weight of a fast jump of `jump_mv` (mV): the jump itself for `iaf_psc_delta`; for
/// the fast exponential port of time constant `tau_f = dt / 100` (ms), the current (pA)
/// whose effect on `V` at the end of its first step is the jump:
/// `jump / P21`, `P21 = tau_f tau_m / (C_m (tau_m - tau_f)) (exp(-h/tau_m) - exp(-h/tau_f))`
/// (NEST's exact propagator of `iaf_psc_exp`; Rotter & Diesmann 1999), with `C_m = tau_m`.
pub fn fast_weight(jump_mv: f64, exponential_port: bool, tau_m_ms: f64, h_ms: f64) -> f64 {
    if !exponential_port {
        return jump_mv;
    }
    jump_mv / fast_port_propagator(tau_m_ms, h_ms)
}

/// `P21` of the fast port (mV per pA) with `C_m = tau_m`: see [`fast_weight`].
pub fn fast_port_propagator(tau_m_ms: f64, h_ms: f64) -> f64 {
    let tau_f = h_ms / FAST_TAU_STEPS;
    tau_f / (tau_m_ms - tau_f) * ((-h_ms / tau_m_ms).exp() - (-h_ms / tau_f).exp())
}

/// Per component of `s`: the times (ms) at which the step current changes and its values
/// `s_k(t) - s_k(0)`. balnet's step `k` (from `k dt`) uses `s(k dt)`; a step current whose
/// amplitude changes at `t` reaches the neuron in the step from `t + dt` (one step of
/// delivery), so a change first used in step `k` is scheduled at `(k - 1) dt`.
fn signal_changes(model: &Model, total_steps: u64) -> Result<Vec<(Vec<f64>, Vec<f64>)>> {
    let d_in = model.d_in();
    let Some(latent) = &model.latent else {
        return Ok(Vec::new());
    };
    let dt = model.sim.dt;
    let mut out = vec![(Vec::new(), Vec::new()); d_in];
    if latent.signal.breakpoints().is_empty() {
        return Ok(out);
    }
    // the input changes only at steps near a step's t0 or within a ramp: those steps are
    // the candidates, visited in order (the input is constant between them)
    let last = total_steps.saturating_sub(1) as f64;
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    for term in latent.signal.components.iter().flatten() {
        let (a, b) = match *term {
            SignalTerm::Step { t0, .. } => (t0, t0),
            SignalTerm::Ramp { t0, t1, .. } => (t0, t1),
        };
        let lo = ((a / dt).floor() - 1.0).clamp(1.0, last.max(1.0));
        let hi = ((b / dt).ceil() + 1.0).clamp(0.0, last);
        if hi >= lo {
            ranges.push((lo as u64, hi as u64));
        }
    }
    ranges.sort_unstable();
    let s0 = model.signal(0.0);
    let mut prev = s0.clone();
    let mut changes = 0usize;
    let mut next = 1u64;
    for (lo, hi) in ranges {
        for step in lo.max(next)..=hi {
            // the same time as the simulator's step loop
            let t = step as f64 * dt;
            let s = model.signal(t);
            for k in 0..d_in {
                if s[k] != prev[k] {
                    if step < 2 {
                        return Err(Error::invalid(
                            format!("latent.signal.components[{k}]"),
                            format!("a change at t = {t} s"),
                            format!(
                                "NEST's step current can change only at t > 0 and reaches the \
                                 neuron one step later, so the input cannot change before 2 \
                                 sim.dt = {} s (docs/nest.md)",
                                2.0 * dt
                            ),
                        ));
                    }
                    changes += 1;
                    if changes > MAX_SIGNAL_CHANGES {
                        return Err(Error::invalid(
                            "latent.signal",
                            format!("more than {MAX_SIGNAL_CHANGES} changes"),
                            "too many step-current amplitudes for the script (a ramp changes \
                             the input at every step): use fewer or shorter ramps",
                        ));
                    }
                    out[k].0.push((step - 1) as f64 * dt * 1e3);
                    out[k].1.push(s[k] - s0[k]);
                }
            }
            prev = s;
        }
        next = next.max(hi + 1);
    }
    Ok(out)
}
