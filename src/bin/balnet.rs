//! The balnet command line: thin wrappers around the library, JSON on stdout.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::{Value, json};

use balnet::presets;
use balnet::sim::output::{self, RunDir};
use balnet::theory::{Limit, dynamics, latent, predictions, stationary};
use balnet::transfer::{LifParams, siegert};
use balnet::{Error, Model};

/// Help text of every MODEL argument.
const MODEL_HELP: &str = "Model file (.toml or .json, any case) or preset name (default, default-d0, \
latent-bistable, brunel-a, ring-memory, \
latent-oscillation, context-integration); none: the embedded default";

/// Largest number of grid points of `rate-distribution` (the JSON holds 3 numbers per point).
const MAX_RATE_POINTS: usize = 1_000_000;
/// Largest number of output samples of `dynamics` (`t_end / dt_out`).
const MAX_DYNAMICS_SAMPLES: f64 = balnet::theory::dynamics::MAX_OUTPUT_TIMES;
/// Largest `--points` and `--curves` of `tuning`, and largest number of tuning values
/// (points x curves x populations) it prints.
const MAX_TUNING_POINTS: usize = 10_000;
const MAX_TUNING_CURVES: usize = 10_000;
const MAX_TUNING_VALUES: usize = 2_000_000;

#[derive(Parser)]
#[command(
    name = "balnet",
    version,
    about = "Balanced low-rank spiking networks: mean-field theory and simulation",
    after_help = "Model arguments take a file (.toml or .json) or a preset name: default, \
default-d0, latent-bistable, brunel-a, ring-memory, latent-oscillation, context-integration. Results are JSON on stdout. Output folders (--out) \
are checked before any work; files are written atomically and the folder's marker \
(summary.json, report.json) is written last, listing every file of the run."
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// LIF Siegert rate and its derivative (docs/theory.md 2.2).
    Siegert {
        /// Mean input (mV).
        #[arg(long, allow_hyphen_values = true)]
        mu: f64,
        /// Noise (mV).
        #[arg(long, allow_hyphen_values = true)]
        sigma: f64,
        /// Membrane time constant (s).
        #[arg(long, default_value_t = 0.02)]
        tau_m: f64,
        /// Refractory period (s).
        #[arg(long, default_value_t = 0.002)]
        tau_ref: f64,
        /// Threshold (mV).
        #[arg(long, default_value_t = 20.0, allow_hyphen_values = true)]
        theta: f64,
        /// Reset (mV).
        #[arg(long, default_value_t = 10.0, allow_hyphen_values = true)]
        v_reset: f64,
    },
    /// Print a preset Model as TOML.
    Model {
        #[command(subcommand)]
        which: ModelCmd,
    },
    /// Stationary states (docs/theory.md 2.4) of a Model (default: the embedded default model).
    Solve {
        #[arg(help = MODEL_HELP)]
        model: Option<PathBuf>,
        /// Latent input s (D_in comma-separated values); default s(0), the Model's signal at
        /// t = 0 (a step at t0 = 0 is already on there).
        #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
        s: Option<Vec<f64>>,
        #[command(flatten)]
        theory: TheoryArgs,
    },
    /// Latent dynamics along the Model's signal (docs/theory.md 2.5): time series as JSON.
    Dynamics {
        #[arg(help = MODEL_HELP)]
        model: Option<PathBuf>,
        /// End time (s); default: warm-up plus duration of the Model's simulation. At most
        /// 1e5 output samples (t_end / dt_out).
        #[arg(long, allow_negative_numbers = true)]
        t_end: Option<f64>,
        /// Output interval (s).
        #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
        dt_out: f64,
        /// Initial kappa (Hz, comma-separated); default: the stable fixed point at s(0) nearest 0.
        #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
        kappa0: Option<Vec<f64>>,
        #[command(flatten)]
        theory: TheoryArgs,
    },
    /// Rate distribution P(nu) of a population (docs/theory.md 2.6.2) at a latent state.
    RateDistribution {
        #[arg(help = MODEL_HELP)]
        model: Option<PathBuf>,
        /// Population name.
        #[arg(long)]
        pop: String,
        /// Latent state kappa (Hz, comma-separated); default 0.
        #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
        kappa: Option<Vec<f64>>,
        /// Latent input s (comma-separated); default s(0) of the Model.
        #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
        s: Option<Vec<f64>>,
        /// Number of grid points (3 to 1000000).
        #[arg(long, default_value_t = 400)]
        points: usize,
        #[command(flatten)]
        theory: TheoryArgs,
    },
    /// Two-state theory (docs/theory.md 2.6.4): rate correlation across neurons between two latent
    /// states, and sampled tuning curves along the segment between them, balanced vs unbalanced.
    Tuning {
        #[arg(help = MODEL_HELP)]
        model: Option<PathBuf>,
        /// Latent state a (Hz, D comma-separated values) [required]
        #[arg(
            long,
            required = true,
            value_delimiter = ',',
            allow_hyphen_values = true
        )]
        kappa_a: Vec<f64>,
        /// Latent state b (Hz, D comma-separated values) [required]
        #[arg(
            long,
            required = true,
            value_delimiter = ',',
            allow_hyphen_values = true
        )]
        kappa_b: Vec<f64>,
        /// Number of sampled tuning curves per population (1 to 10000).
        #[arg(long, default_value_t = 5)]
        curves: usize,
        /// Points along the path from a to b (2 to 10000).
        #[arg(long, default_value_t = 21)]
        points: usize,
        /// Seed of the sampled neurons.
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Latent input s (D_in comma-separated values); default s(0) of the Model.
        #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
        s: Option<Vec<f64>>,
        #[command(flatten)]
        theory: TheoryArgs,
    },
    /// Run the embedded spiking simulator (docs/theory.md section 1; docs/simulator.md); JSON summary on stdout.
    Simulate {
        #[arg(help = MODEL_HELP)]
        model: Option<PathBuf>,
        /// Simulated time after the warm-up (s).
        #[arg(long, allow_negative_numbers = true)]
        duration: Option<f64>,
        /// Warm-up (s).
        #[arg(long, allow_negative_numbers = true)]
        warmup: Option<f64>,
        /// Random seed (the network, and the noise unless --noise-seed is given).
        #[arg(long)]
        seed: Option<u64>,
        /// Seed of the noise alone (initial potentials, external drive): keep --seed and
        /// change this to repeat trials of one network (docs/theory.md 3).
        #[arg(long)]
        noise_seed: Option<u64>,
        /// Worker threads (0: all cores; more than the cores available: capped, with a
        /// warning). Results do not depend on it.
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// `grid` or `precise` integration (any case); default: the Model's `[sim] mode`.
        #[arg(long)]
        mode: Option<String>,
        /// Time step (s).
        #[arg(long, allow_negative_numbers = true)]
        dt: Option<f64>,
        /// Folder for summary.json and NPY arrays (created; checked before the run). Files of
        /// an earlier balnet run there that this run does not write are removed.
        #[arg(long)]
        out: Option<PathBuf>,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
    },
    /// Theory vs simulation on a Model (default: the embedded default model): table on
    /// stdout, report.json and figures in --out.
    Compare {
        #[arg(help = MODEL_HELP)]
        model: Option<PathBuf>,
        /// Output folder (created; checked before the run): report.json, figures, and the
        /// simulation in `sim/`. Files of an earlier balnet run there that this run does not
        /// write are removed.
        #[arg(long, default_value = "out")]
        out: PathBuf,
        /// Simulated time after the warm-up (s).
        #[arg(long, allow_negative_numbers = true)]
        duration: Option<f64>,
        /// Random seed.
        #[arg(long)]
        seed: Option<u64>,
        /// `grid` or `precise` integration (any case); default: the Model's `[sim] mode`
        /// (the theory describes continuous time: precise).
        #[arg(long)]
        mode: Option<String>,
        /// Worker threads (0: all cores; capped at the cores available).
        #[arg(long, default_value_t = 0)]
        threads: usize,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
        /// Compare every transfer function with every noise closure (slower).
        #[arg(long)]
        all_closures: bool,
        /// Compare only shot noise with this noise closure (`poisson`, `renewal`,
        /// `spectral`, `correlated` or `correlated-full`), fixed points only.
        #[arg(long, conflicts_with = "all_closures")]
        noise: Option<String>,
    },
    /// Linear stability of the stationary state (docs/theory.md 6.3): every root of
    /// det(I - W(lambda)) = 0 in a box of the complex plane, as JSON (growth rate 1/s,
    /// frequency Hz).
    Stability {
        /// Model file (.toml or .json) or preset name (`default`, `default-d0`,
        /// `latent-bistable`, `brunel-a`); none: the embedded default.
        model: Option<String>,
        /// Search box `re_min,re_max,f_max`: Re lambda from re_min to re_max (1/s),
        /// frequencies up to f_max (Hz). Default -20,400,600.
        #[arg(long = "box", value_delimiter = ',', allow_hyphen_values = true)]
        search_box: Option<Vec<f64>>,
        /// Latent state kappa (Hz, comma-separated); default: the stable fixed point nearest 0.
        #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
        kappa: Option<Vec<f64>>,
        /// Gauss-Hermite nodes of the average over each population's input distribution.
        #[arg(long, default_value_t = 48)]
        hermite_nodes: usize,
        /// Single-neuron response: `closed-form` (parabolic cylinder functions,
        /// docs/theory.md 6.1) or `threshold` (threshold integration, 6.2).
        #[arg(long, default_value = "closed-form")]
        response: String,
        #[command(flatten)]
        theory: TheoryArgs,
    },
    /// Population spike spectra and susceptibilities of the stationary state
    /// (docs/theory.md 6.3) as JSON.
    Spectrum {
        /// Model file (.toml or .json) or preset name; none: the embedded default.
        model: Option<String>,
        /// Largest frequency (Hz).
        #[arg(long, default_value_t = 500.0)]
        f_max: f64,
        /// Number of frequencies (from f_max/points to f_max).
        #[arg(long, default_value_t = 100)]
        points: usize,
        /// Latent state kappa (Hz, comma-separated); default: the stable fixed point nearest 0.
        #[arg(long, value_delimiter = ',', allow_hyphen_values = true)]
        kappa: Option<Vec<f64>>,
        /// Gauss-Hermite nodes of the average over each population's input distribution.
        #[arg(long, default_value_t = 48)]
        hermite_nodes: usize,
        /// Single-neuron response: `closed-form` (parabolic cylinder functions,
        /// docs/theory.md 6.1), `threshold` (threshold integration, 6.2) or, for the
        /// spectra, `shot-noise` (master equation, 6.4: populations without quenched input
        /// variance and without latent variables; the printed susceptibilities stay the
        /// closed-form ones).
        #[arg(long, default_value = "closed-form")]
        response: String,
        #[command(flatten)]
        theory: TheoryArgs,
    },
    /// Export the Model to NEST (docs/nest.md): `nest` writes a PyNEST script, `nest-summary`
    /// measures the spikes such a script wrote.
    Export {
        #[command(subcommand)]
        what: ExportCmd,
    },
}

/// Options shared by the theory commands.
#[derive(clap::Args, Clone)]
struct TheoryArgs {
    /// `finite` (K as given) or `balanced` (K -> infinity).
    #[arg(long, default_value = "finite", value_parser = parse_limit)]
    limit: Limit,
    /// Transfer function: `siegert` or `shot-noise` (default: the Model's).
    #[arg(long)]
    transfer: Option<String>,
    /// Noise closure: `poisson`, `renewal`, `spectral`, `correlated` or `correlated-full`
    /// (rule H in full, docs/theory.md 6.6.12e; minutes per solve) (default: the Model's).
    #[arg(long)]
    noise: Option<String>,
}

impl TheoryArgs {
    /// Apply the overrides to a Model.
    fn apply(&self, m: &mut Model) -> balnet::Result<()> {
        use balnet::model::{NoiseClosure, TransferKind};
        if let Some(t) = &self.transfer {
            m.transfer = match t.to_ascii_lowercase().as_str() {
                "siegert" => TransferKind::Siegert,
                "shot-noise" | "shot_noise" | "shotnoise" => TransferKind::ShotNoise,
                other => {
                    return Err(Error::invalid(
                        "--transfer",
                        other,
                        "must be `siegert` or `shot-noise`",
                    ));
                }
            };
        }
        if let Some(n) = &self.noise {
            m.noise = match n.to_ascii_lowercase().as_str() {
                "poisson" => NoiseClosure::Poisson,
                "renewal" => NoiseClosure::Renewal,
                "spectral" => NoiseClosure::Spectral,
                "correlated" => NoiseClosure::Correlated,
                "correlated-full" | "correlated_full" => NoiseClosure::CorrelatedFull,
                other => {
                    return Err(Error::invalid(
                        "--noise",
                        other,
                        "must be `poisson`, `renewal`, `spectral`, `correlated` or `correlated-full`",
                    ));
                }
            };
        }
        m.validate()?;
        warn_ranges(m.range_warnings());
        Ok(())
    }
}

fn check_len(field: &str, v: &[f64], n: usize) -> balnet::Result<()> {
    if v.len() != n {
        return Err(Error::invalid(
            field,
            format!("{v:?}"),
            format!("needs {n} comma-separated values"),
        ));
    }
    if let Some(x) = v.iter().find(|x| !x.is_finite()) {
        return Err(Error::invalid(field, x, "must be finite"));
    }
    Ok(())
}

/// The stable latent fixed point at input `s` nearest to `kappa = 0`.
fn default_kappa0(m: &Model, limit: Limit, s: &[f64]) -> balnet::Result<Vec<f64>> {
    if m.d() == 0 {
        return Ok(vec![]);
    }
    let sol = latent::fixed_points(m, limit, s, &latent::SearchBox::default())?;
    Ok(sol
        .stable_nearest(&vec![0.0; m.d()])
        .map(|f| f.kappa.clone())
        .or_else(|| sol.rings.first().map(|r| r.representative.clone()))
        .unwrap_or_else(|| vec![0.0; m.d()]))
}

#[derive(Subcommand)]
enum ModelCmd {
    /// The default model of docs/theory.md section 5 (Bernoulli, rank one below the bifurcation, input step).
    Default,
    /// The default model without latent structure.
    DefaultD0,
    /// The bistable variant (Sigma^nm = 23.30 mV).
    LatentBistable,
    /// Brunel (2000) model A (docs/theory.md section 4): fixed in-degree with multapses,
    /// as Brunel (2000), NEST and Brian2.
    BrunelA {
        /// Relative inhibitory strength g = -J_I / J (dimensionless; Brunel 2000 uses 3 to 8).
        /// [required]
        #[arg(long, value_name = "G")]
        g: f64,
        /// External drive eta = nu_ext / nu_thr (dimensionless; nu_thr = theta / (J C_E
        /// tau_m) is the external rate that brings the mean input to threshold) [required]
        #[arg(long, value_name = "ETA")]
        eta: f64,
        /// Coupling J (mV).
        #[arg(long = "j", default_value_t = 0.1)]
        j: f64,
        /// Excitatory in-degree C_E.
        #[arg(long, default_value_t = 1000)]
        c_e: usize,
        /// Number of excitatory neurons.
        #[arg(long, default_value_t = 10_000)]
        n_e: usize,
        /// Number of inhibitory neurons.
        #[arg(long, default_value_t = 2_500)]
        n_i: usize,
        /// Draw the C_E and C_I inputs without replacement (distinct sources,
        /// `connectivity = "fixed_indegree"`) instead of with replacement (multapses,
        /// `fixed_indegree_replacement`, as in Brunel 2000).
        #[arg(long)]
        without_replacement: bool,
    },
    /// Continuous memory: rank-two rotation-symmetric structure with a ring of fixed
    /// points and a cue (docs/theory.md 12.2).
    RingMemory,
    /// A limit cycle of kappa from a rotational rank-two structure (docs/theory.md 12.3).
    LatentOscillation,
    /// Context-dependent evidence integration: E split in two, four inputs
    /// (docs/theory.md 12.1).
    ContextIntegration,
}

/// `--limit` (any case).
fn parse_limit(s: &str) -> Result<Limit, String> {
    s.to_ascii_lowercase()
        .parse::<Limit>()
        .map_err(|e| e.to_string())
}

/// The Model of a MODEL argument: a model file (`.json` in any case is JSON, everything
/// else TOML), else a preset name (`presets::file_or_preset`), else the embedded default.
fn load(path: &Option<PathBuf>) -> balnet::Result<Model> {
    match path {
        None => Ok(presets::default_model()),
        Some(p) => match p.to_str() {
            Some(arg) => presets::file_or_preset(arg),
            None => Model::from_file(p),
        },
    }
}

/// `v` must be finite and > 0 (or >= 0 with `zero_ok`).
fn check_time(flag: &str, v: f64, zero_ok: bool) -> balnet::Result<()> {
    let ok = v.is_finite() && (v > 0.0 || (zero_ok && v == 0.0));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid(
            flag,
            v,
            if zero_ok {
                "must be finite and >= 0 (s)"
            } else {
                "must be finite and > 0 (s)"
            },
        ))
    }
}

/// `grid` or `precise`, in any case.
fn parse_mode(v: &str) -> balnet::Result<balnet::model::SimMode> {
    match v.to_ascii_lowercase().as_str() {
        "grid" => Ok(balnet::model::SimMode::Grid),
        "precise" => Ok(balnet::model::SimMode::Precise),
        _ => Err(Error::invalid(
            "--mode",
            v,
            "must be `grid` or `precise` (any case)",
        )),
    }
}

/// Command-line overrides of `Model::sim`, validated with the rest of the Model.
fn apply_sim_overrides(
    m: &mut Model,
    duration: Option<f64>,
    warmup: Option<f64>,
    (seed, noise_seed): (Option<u64>, Option<u64>),
    mode: Option<&str>,
    dt: Option<f64>,
) -> balnet::Result<()> {
    if let Some(v) = duration {
        check_time("--duration", v, false)?;
        m.sim.duration = v;
    }
    if let Some(v) = warmup {
        check_time("--warmup", v, true)?;
        m.sim.warmup = v;
    }
    if let Some(v) = seed {
        m.sim.seed = v;
    }
    if noise_seed.is_some() {
        m.sim.noise_seed = noise_seed;
    }
    if let Some(v) = dt {
        check_time("--dt", v, false)?;
        m.sim.dt = v;
    }
    if let Some(v) = mode {
        m.sim.mode = parse_mode(v)?;
    }
    m.validate()?;
    warn_ranges(m.range_warnings());
    Ok(())
}

/// Warnings of this run (docs/theory.md section 7, "Physiological ranges"), added as
/// `warnings` to every JSON object the run prints or writes as its marker.
static WARNINGS: std::sync::Mutex<Vec<Value>> = std::sync::Mutex::new(Vec::new());

/// Report parameters outside their physiological range: on stderr now, and in the JSON
/// output (`warnings`).
fn warn_ranges(ws: Vec<balnet::model::RangeWarning>) {
    let mut list = WARNINGS.lock().unwrap_or_else(|e| e.into_inner());
    for w in ws {
        eprintln!("balnet: warning: {w}");
        list.push(serde_json::to_value(&w).unwrap_or(Value::Null));
    }
}

/// `v` with the run's `warnings` list (always present in an object, empty if none).
fn with_warnings(mut v: Value) -> Value {
    if let Some(o) = v.as_object_mut() {
        let list = WARNINGS.lock().unwrap_or_else(|e| e.into_inner()).clone();
        o.insert("warnings".into(), Value::Array(list));
    }
    v
}

/// Worker threads: 0 stays 0 (all cores); more than the cores available is capped with a
/// warning (oversubscription only slows the run: results do not depend on the count).
fn cap_threads(threads: usize) -> usize {
    let avail = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads > avail {
        eprintln!(
            "balnet: warning: --threads {threads} exceeds the {avail} cores available; using {avail}"
        );
        avail
    } else {
        threads
    }
}

/// Write `text` to stdout. A reader that went away (`balnet ... | head`) ends the program
/// quietly with status 0: there is no one left to tell.
fn emit(text: &str) {
    let mut out = std::io::stdout().lock();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("balnet: error: cannot write to stdout: {e}");
        std::process::exit(1);
    }
}

fn print(v: &Value) {
    let v = with_warnings(v.clone());
    let mut text = serde_json::to_string_pretty(&v).unwrap_or_else(|e| format!("\"{e}\""));
    text.push('\n');
    emit(&text);
}

/// After a finished run whose files could not be written: say so on stderr and print the
/// result on stdout instead, so that nothing computed is lost.
fn fallback(what: &str, dir: &Path, e: &Error, v: &Value) {
    eprintln!(
        "balnet: error: {e}\nbalnet: the {what} finished but could not be saved in {}; \
         its full result is printed on stdout instead",
        dir.display()
    );
    print(v);
}

fn population_json(p: &stationary::PopulationState) -> Value {
    serde_json::to_value(p).expect("plain struct")
}

fn solve_cmd(model: &Model, limit: Limit, s: &[f64]) -> balnet::Result<Value> {
    let kappa = vec![0.0; model.d()];
    let states = stationary::solve_all(model, limit, &kappa, s)?;
    let primary = &states[0];
    let mut out = json!({
        "model": model.name,
        "limit": limit.to_string(),
        "kappa_hz": kappa,
        "s": s,
        "populations": primary.populations.iter().map(population_json).collect::<Vec<_>>(),
        "stationary_states": states.iter().map(|st| json!({
            "populations": st.populations.iter().map(population_json).collect::<Vec<_>>(),
            "residual": st.residual,
        })).collect::<Vec<_>>(),
    });
    if model.d() > 0 {
        let sol = latent::fixed_points(model, limit, s, &latent::SearchBox::default())?;
        out["fixed_points"] = json!(sol.fixed_points.iter().map(|fp| json!({
            "kappa_hz": fp.kappa,
            "stable": fp.stable,
            "eigenvalues": fp.eigenvalues,
            "populations": fp.state.populations.iter().map(population_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>());
        out["rings"] = json!(sol.rings);
    }
    if limit == Limit::Balanced {
        let (_, cond) = stationary::balanced_rates(model)?;
        out["balance_condition_number"] = json!(cond);
    }
    Ok(out)
}

fn run(cli: Cli) -> balnet::Result<()> {
    match cli.cmd {
        Cmd::Siegert {
            mu,
            sigma,
            tau_m,
            tau_ref,
            theta,
            v_reset,
        } => {
            let lif = LifParams {
                tau_m,
                theta,
                v_reset,
                tau_ref,
            };
            for (f, v) in [("tau_m", tau_m), ("sigma", sigma)] {
                if !(v.is_finite() && v > 0.0) {
                    return Err(Error::invalid(f, v, "must be finite and > 0"));
                }
            }
            if !(tau_ref.is_finite() && tau_ref >= 0.0) {
                return Err(Error::invalid(
                    "tau_ref",
                    tau_ref,
                    "must be finite and >= 0",
                ));
            }
            if theta.partial_cmp(&v_reset) != Some(std::cmp::Ordering::Greater) {
                return Err(Error::invalid(
                    "theta",
                    theta,
                    format!("must exceed v_reset = {v_reset}"),
                ));
            }
            // the magnitude rule of every Model parameter (docs/theory.md 7): beyond it the
            // rate (up to 1/tau_ref, unbounded without refractoriness) is not representable
            for (f, v) in [
                ("mu", mu),
                ("sigma", sigma),
                ("theta", theta),
                ("v_reset", v_reset),
            ] {
                if !(v.is_finite() && v.abs() <= balnet::model::MAX_MAGNITUDE) {
                    return Err(Error::invalid(
                        f,
                        format!("{v:e}"),
                        format!(
                            "must be finite with magnitude <= {:e} (mV; docs/theory.md section 7)",
                            balnet::model::MAX_MAGNITUDE
                        ),
                    ));
                }
            }
            let mut ws = balnet::model::lif_range_warnings("", tau_m, tau_ref, theta, v_reset);
            ws.extend(
                [("mu", mu), ("sigma", sigma)]
                    .into_iter()
                    .filter_map(|(f, v)| {
                        balnet::model::range_warning(f, v, balnet::model::Quantity::Voltage)
                    }),
            );
            warn_ranges(ws);
            print(&json!({
                "rate_hz": siegert::rate(&lif, mu, sigma),
                "dphi_dmu_hz_per_mv": siegert::drate_dmu(&lif, mu, sigma),
            }));
        }
        Cmd::Model { which } => {
            let m = match which {
                ModelCmd::Default => presets::default_model(),
                ModelCmd::DefaultD0 => presets::default_d0(),
                ModelCmd::LatentBistable => presets::latent_bistable(),
                ModelCmd::BrunelA {
                    g,
                    eta,
                    j,
                    c_e,
                    n_e,
                    n_i,
                    without_replacement,
                } => {
                    let mut m = presets::brunel_a(g, eta, j, c_e, n_e, n_i)?;
                    if without_replacement {
                        m.connectivity = balnet::model::Connectivity::FixedIndegree;
                        m.validate()?;
                    }
                    m
                }
                ModelCmd::RingMemory => presets::ring_memory(),
                ModelCmd::LatentOscillation => presets::latent_oscillation(),
                ModelCmd::ContextIntegration => presets::by_name("context-integration")?,
            };
            warn_ranges(m.range_warnings());
            emit(&m.to_toml());
        }
        Cmd::Simulate {
            model,
            duration,
            warmup,
            seed,
            noise_seed,
            threads,
            mode,
            dt,
            out,
            quiet,
        } => {
            let mut m = load(&model)?;
            apply_sim_overrides(
                &mut m,
                duration,
                warmup,
                (seed, noise_seed),
                mode.as_deref(),
                dt,
            )?;
            let threads = cap_threads(threads);
            // refuse too large runs and unusable output folders before any work
            balnet::sim::limits::check(&m, threads)?;
            let dir = match &out {
                Some(d) => Some(output::prepare_sim_dir(d, &m)?),
                None => None,
            };
            let opts = balnet::sim::RunOptions {
                threads,
                quiet,
                out_dir: None,
            };
            let r = balnet::sim::simulate(&m, &opts)?;
            if let Some(dir) = dir {
                let path = dir.path().to_path_buf();
                if let Err(e) = output::write_result(dir, &r) {
                    fallback("simulation", &path, &e, &output::summary_json(&r)?);
                    return Err(e);
                }
            }
            print(&json!({
                "model": r.model,
                "mode": r.mode,
                "dt_s": r.dt,
                "duration_s": r.duration,
                "warmup_s": r.warmup,
                "seed": r.seed,
                "noise_seed": r.noise_seed.unwrap_or(r.seed),
                "populations": r.populations.iter().map(|p| json!({
                    "name": p.name, "rate_hz": p.rate_hz, "rate_sd_hz": p.rate_sd_hz, "cv_isi": p.cv_isi,
                    "pair_corr": p.pair_corr, "mean_v_mv": p.mean_v_mv, "chi": p.chi,
                    "pop_rate_cv": p.pop_rate_cv, "silent_fraction": p.silent_fraction,
                })).collect::<Vec<_>>(),
                "kappa_mean_hz": r.kappa_mean,
                "loading_moments": r.loading_moments,
                "dale_violation_fraction": r.dale_violation_fraction,
                "synaptic_events": r.synaptic_events,
                "wall_s": r.wall_s,
                "events_per_s": r.events_per_s,
                "memory_bytes_per_synapse": r.memory_bytes_per_synapse,
            }));
        }
        Cmd::Compare {
            model,
            out,
            duration,
            seed,
            mode,
            threads,
            quiet,
            all_closures,
            noise,
        } => {
            let mut m = load(&model)?;
            apply_sim_overrides(&mut m, duration, None, (seed, None), mode.as_deref(), None)?;
            let threads = cap_threads(threads);
            balnet::sim::limits::check(&m, threads)?;
            let mut dir = RunDir::prepare(&out, "report.json")?;
            let sim_dir = output::prepare_sim_dir(&out.join("sim"), &m)?;
            let opts = balnet::sim::RunOptions {
                threads,
                quiet,
                out_dir: None,
            };
            let sim = balnet::sim::simulate(&m, &opts)?;
            let sim_path = sim_dir.path().to_path_buf();
            if let Err(e) = output::write_result(sim_dir, &sim) {
                fallback("simulation", &sim_path, &e, &output::summary_json(&sim)?);
                return Err(e);
            }
            let variants = if let Some(n) = &noise {
                let mut probe = m.clone();
                TheoryArgs {
                    limit: Limit::Finite,
                    transfer: None,
                    noise: Some(n.clone()),
                }
                .apply(&mut probe)?;
                vec![balnet::compare::Variant {
                    transfer: balnet::model::TransferKind::ShotNoise,
                    noise: probe.noise,
                    trajectory: false,
                }]
            } else if all_closures {
                balnet::compare::Variant::all()
            } else {
                balnet::compare::Variant::standard()
            };
            let report = balnet::compare::compare_with(
                &m,
                &sim,
                &variants,
                &balnet::compare::CompareOptions { quiet },
            )?;
            emit(&balnet::compare::table(&report));
            let report_json = with_warnings(
                serde_json::to_value(&report)
                    .map_err(|e| Error::Io(format!("cannot serialise the report: {e}")))?,
            );
            let saved = balnet::compare::write_figures_to(&m, &sim, &report, &mut dir)
                .and_then(|figs| dir.finish(report_json.clone()).map(|()| figs));
            match saved {
                Ok(figs) => emit(&format!(
                    "\nwrote {} (report), figures ({}) and the simulation (sim/) in {}\n",
                    out.join("report.json").display(),
                    if figs.is_empty() {
                        "none".to_string()
                    } else {
                        figs.join(", ")
                    },
                    out.display()
                )),
                Err(e) => {
                    fallback("comparison", &out, &e, &report_json);
                    return Err(e);
                }
            }
        }
        Cmd::Stability {
            model,
            search_box,
            kappa,
            hermite_nodes,
            response,
            theory,
        } => {
            let mut m = load_named(&model)?;
            theory.apply(&mut m)?;
            let r = neuron_response(&response)?;
            print(&stability_cmd(
                &m,
                theory.limit,
                kappa,
                search_box,
                hermite_nodes,
                r,
            )?);
        }
        Cmd::Spectrum {
            model,
            f_max,
            points,
            kappa,
            hermite_nodes,
            response,
            theory,
        } => {
            let mut m = load_named(&model)?;
            theory.apply(&mut m)?;
            let shot = response == "shot-noise" || response == "shot_noise";
            let r = neuron_response(if shot { "closed-form" } else { &response })?;
            print(&spectrum_cmd(
                &m,
                theory.limit,
                kappa,
                (f_max, points),
                balnet::theory::response::ResponseOptions {
                    hermite_nodes,
                    ..Default::default()
                },
                r,
                shot,
            )?);
        }
        Cmd::Export { what } => export_cmd(what)?,
        Cmd::Solve { model, s, theory } => {
            let mut m = load(&model)?;
            theory.apply(&mut m)?;
            let s = s.unwrap_or_else(|| m.signal(0.0));
            check_len("--s", &s, m.d_in())?;
            print(&solve_cmd(&m, theory.limit, &s)?);
        }
        Cmd::Dynamics {
            model,
            t_end,
            dt_out,
            kappa0,
            theory,
        } => {
            let mut m = load(&model)?;
            theory.apply(&mut m)?;
            let t_end = t_end.unwrap_or(m.sim.warmup + m.sim.duration);
            check_time("--t-end", t_end, true)?;
            check_time("--dt-out", dt_out, false)?;
            let samples = t_end / dt_out;
            if samples.is_nan() || samples > MAX_DYNAMICS_SAMPLES {
                return Err(Error::invalid(
                    "--t-end / --dt-out",
                    format!("{t_end:e} s / {dt_out:e} s = {samples:.3e} samples"),
                    format!(
                        "at most {MAX_DYNAMICS_SAMPLES:e} output samples: increase --dt-out or \
                         shorten --t-end"
                    ),
                ));
            }
            let k0 = match kappa0 {
                Some(k) => {
                    check_len("--kappa0", &k, m.d())?;
                    k
                }
                None => default_kappa0(&m, theory.limit, &m.signal(0.0))?,
            };
            let tr = dynamics::integrate(
                &m,
                theory.limit,
                &k0,
                t_end,
                dt_out,
                &dynamics::DynamicsOptions::default(),
            )?;
            print(&json!({
                "model": m.name,
                "limit": theory.limit.to_string(),
                "t_s": tr.t,
                "kappa_hz": tr.kappa,
                "s": tr.s,
                "populations": tr.populations,
                "evaluations": tr.evaluations,
            }));
        }
        Cmd::RateDistribution {
            model,
            pop,
            kappa,
            s,
            points,
            theory,
        } => {
            let mut m = load(&model)?;
            theory.apply(&mut m)?;
            let a = m.population_index(&pop)?;
            let kappa = kappa.unwrap_or_else(|| vec![0.0; m.d()]);
            check_len("--kappa", &kappa, m.d())?;
            let s = s.unwrap_or_else(|| m.signal(0.0));
            check_len("--s", &s, m.d_in())?;
            if !(3..=MAX_RATE_POINTS).contains(&points) {
                return Err(Error::invalid(
                    "--points",
                    points,
                    format!(
                        "must be 3 to {MAX_RATE_POINTS} (the JSON output holds 3 numbers per point)"
                    ),
                ));
            }
            let st = stationary::solve(&m, theory.limit, &kappa, &s, None)?;
            let rd = predictions::rate_distribution(
                &m,
                &st,
                a,
                &predictions::RateGrid::Auto { points },
                predictions::rate_distribution::DEFAULT_SILENT_THRESHOLD_HZ,
            )?;
            print(&json!({
                "model": m.name,
                "limit": theory.limit.to_string(),
                "population": pop,
                "kappa_hz": kappa,
                "s": s,
                "nu_hz": rd.nu_hz,
                "density_per_hz": rd.density_per_hz,
                "cdf": rd.cdf,
                "silent_fraction": rd.mass_at_zero,
                "silent_threshold_hz": rd.silent_threshold_hz,
                "rate_hz": st.populations[a].rate_hz,
                "mean_hz": rd.mean_hz,
            }));
        }
        Cmd::Tuning {
            model,
            kappa_a,
            kappa_b,
            curves,
            points,
            seed,
            s,
            theory,
        } => {
            let mut m = load(&model)?;
            theory.apply(&mut m)?;
            check_len("--kappa-a", &kappa_a, m.d())?;
            check_len("--kappa-b", &kappa_b, m.d())?;
            if !(2..=MAX_TUNING_POINTS).contains(&points) {
                return Err(Error::invalid(
                    "--points",
                    points,
                    format!("must be 2 to {MAX_TUNING_POINTS}"),
                ));
            }
            if !(1..=MAX_TUNING_CURVES).contains(&curves) {
                return Err(Error::invalid(
                    "--curves",
                    curves,
                    format!("must be 1 to {MAX_TUNING_CURVES}"),
                ));
            }
            let values = points * curves * m.p();
            if values > MAX_TUNING_VALUES {
                return Err(Error::invalid(
                    "--points x --curves",
                    format!("{points} x {curves} x {} populations = {values}", m.p()),
                    format!(
                        "at most {MAX_TUNING_VALUES} tuning values per curve family: lower \
                         --points or --curves"
                    ),
                ));
            }
            let s = s.unwrap_or_else(|| m.signal(0.0));
            check_len("--s", &s, m.d_in())?;
            let mode = predictions::FastMode::network(theory.limit);
            let sa = stationary::solve(&m, theory.limit, &kappa_a, &s, None)?;
            let sb = stationary::solve(&m, theory.limit, &kappa_b, &s, Some(&sa))?;
            let two = predictions::two_state(&m, &mode, &sa, &sb)?;
            let path: Vec<Vec<f64>> = (0..points)
                .map(|i| {
                    let f = i as f64 / (points - 1) as f64;
                    kappa_a
                        .iter()
                        .zip(&kappa_b)
                        .map(|(a, b)| a + f * (b - a))
                        .collect()
                })
                .collect();
            let opts = predictions::TuningOptions {
                neurons: curves.max(1),
                seed,
                ..Default::default()
            };
            let balanced = predictions::tuning_curves(&m, &mode, &path, &s, &opts)?;
            let k0 = stationary::solve(&m, theory.limit, &vec![0.0; m.d()], &s, None)?;
            let unbalanced = predictions::tuning_curves(
                &m,
                &predictions::FastMode::unbalanced_at(&k0, true),
                &path,
                &s,
                &opts,
            )?;
            print(&json!({
                "model": m.name,
                "limit": theory.limit.to_string(),
                "two_state": two,
                "rate_correlation": two.populations.iter().map(|p| json!({"name": p.name, "rate_corr": p.rate_corr})).collect::<Vec<_>>(),
                "tuning_balanced": balanced,
                "tuning_unbalanced": unbalanced,
            }));
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("balnet: error: {e}");
            ExitCode::FAILURE
        }
    }
}

/// A Model from a file, or a preset by name ([`load`]).
fn load_named(arg: &Option<String>) -> balnet::Result<Model> {
    load(&arg.as_ref().map(PathBuf::from))
}

/// The stationary state the linear response is taken around (docs/theory.md 6.3).
fn response_state(
    m: &Model,
    limit: Limit,
    kappa: Option<Vec<f64>>,
) -> balnet::Result<stationary::State> {
    if limit == Limit::Balanced {
        return Err(Error::invalid(
            "--limit",
            "balanced",
            "the network linear response is defined at finite K only (docs/theory.md 6.3)",
        ));
    }
    let s = m.signal(0.0);
    let k = match kappa {
        Some(k) => {
            check_len("--kappa", &k, m.d())?;
            k
        }
        None => default_kappa0(m, limit, &s)?,
    };
    stationary::solve(m, limit, &k, &s, None)
}

fn stability_cmd(
    m: &Model,
    limit: Limit,
    kappa: Option<Vec<f64>>,
    search_box: Option<Vec<f64>>,
    hermite_nodes: usize,
    response: &dyn balnet::theory::response::NeuronResponse,
) -> balnet::Result<Value> {
    use balnet::theory::response::{NetworkResponse, ResponseOptions, RootBox, stability};
    let search = match search_box {
        None => RootBox::default(),
        Some(v) => {
            check_len("--box", &v, 3)?;
            RootBox {
                re_min: v[0],
                re_max: v[1],
                f_max: v[2],
            }
        }
    };
    let state = response_state(m, limit, kappa)?;
    let t0 = std::time::Instant::now();
    let opts = ResponseOptions {
        hermite_nodes,
        ..Default::default()
    };
    let net = NetworkResponse::new(m, &state, response, opts)?;
    let st = stability(&net, &search)?;
    Ok(json!({
        "model": m.name,
        "limit": limit.to_string(),
        "kappa_hz": state.kappa,
        "rates_hz": state.rates(),
        "stability": st,
        "time_s": t0.elapsed().as_secs_f64(),
    }))
}

/// `balnet spectrum` (docs/theory.md 6.3, 6.4): `f_max` (Hz) and the number of points.
fn spectrum_cmd(
    m: &Model,
    limit: Limit,
    kappa: Option<Vec<f64>>,
    (f_max, points): (f64, usize),
    opts: balnet::theory::response::ResponseOptions,
    response: &dyn balnet::theory::response::NeuronResponse,
    shot_noise: bool,
) -> balnet::Result<Value> {
    use balnet::theory::response::{NetworkResponse, SpikeSpectrum};
    use balnet::theory::shot_response::ShotNetworkResponse;
    if !(f_max > 0.0 && f_max.is_finite()) {
        return Err(Error::invalid(
            "--f-max",
            f_max,
            "must be finite and > 0 (Hz)",
        ));
    }
    if points == 0 || points > 100_000 {
        return Err(Error::invalid("--points", points, "must be in 1..=100000"));
    }
    let state = response_state(m, limit, kappa)?;
    let net = NetworkResponse::new(m, &state, response, opts)?;
    let shot = if shot_noise {
        Some(ShotNetworkResponse::new(m, &state)?)
    } else {
        None
    };
    let p = m.p();
    let freqs: Vec<f64> = (1..=points)
        .map(|k| f_max * k as f64 / points as f64)
        .collect();
    let mut spectra = vec![vec![Vec::new(); p]; p];
    let mut chi = vec![Vec::new(); p];
    for &f in &freqs {
        let omega = 2.0 * std::f64::consts::PI * f;
        let s = match &shot {
            Some(r) => r.population_spectrum_with(omega, SpikeSpectrum::Renewal)?,
            None => net.population_spectrum_with(omega, SpikeSpectrum::Renewal)?,
        };
        for a in 0..p {
            for b in 0..p {
                spectra[a][b].push([s[(a, b)].re, s[(a, b)].im]);
            }
        }
        let c = net.mean_susceptibility(omega)?;
        for a in 0..p {
            chi[a].push(
                json!({"chi_mu": [c[a].0.re, c[a].0.im], "chi_sigma2": [c[a].1.re, c[a].1.im]}),
            );
        }
    }
    let names: Vec<&str> = m.populations.iter().map(|q| q.name.as_str()).collect();
    let synchrony = net.voltage_synchrony(SpikeSpectrum::Renewal, 2000.0, 2001)?;
    Ok(json!({
        "model": m.name,
        "limit": limit.to_string(),
        "kappa_hz": state.kappa,
        "voltage_synchrony": synchrony,
        "voltage_synchrony_note": "Golomb's chi of the membrane potentials from the linear response (docs/theory.md 6.3, single-neuron response as --response, shot-noise excepted): var_mean_v_mv2 of the population-mean potential, mean_var_v_mv2 of single neurons; meaningful for a stable asynchronous state (see `balnet stability`)",
        "rates_hz": state.rates(),
        "populations": names,
        "network_response": if shot_noise { "shot noise (master equation, docs/theory.md 6.4)" } else { response.name() },
        "spike_spectrum": "renewal spectrum of the white-noise LIF (docs/theory.md 6.1), averaged over each population's input distribution",
        "frequencies_hz": freqs,
        "population_spectra_hz": spectra,
        "population_spectra_note": "P_ab(f) of the population-averaged spike trains (1/N_a) sum_i s_i, [re, im], docs/theory.md 6.3",
        "susceptibility_hz_per_mv": chi,
        "susceptibility_note": "population averages E_A[chi_mu] (Hz/mV) and E_A[chi_sigma2] (Hz/mV^2) over the quenched input distribution, [re, im]",
    }))
}

/// The single-neuron response named on the command line (docs/theory.md 6.1, 6.2).
fn neuron_response(
    name: &str,
) -> balnet::Result<&'static dyn balnet::theory::response::NeuronResponse> {
    use balnet::theory::response::{ClosedForm, ThresholdIntegration};
    static CLOSED: ClosedForm = ClosedForm;
    static THRESHOLD: ThresholdIntegration = ThresholdIntegration;
    match name {
        "closed-form" | "closed_form" => Ok(&CLOSED),
        "threshold" => Ok(&THRESHOLD),
        other => Err(Error::invalid(
            "--response",
            other,
            "must be `closed-form` or `threshold` (and, for `spectrum`, `shot-noise`)",
        )),
    }
}

#[derive(Subcommand)]
enum ExportCmd {
    /// A self-contained PyNEST script for NEST 3.10 that builds the Model's network and writes
    /// its spikes (docs/nest.md); JSON summary on stdout, or the script itself without -o.
    Nest {
        #[arg(help = MODEL_HELP)]
        model: Option<PathBuf>,
        /// Script file to write (default: the script on stdout).
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
        /// NEST threads per process (the script's default; its --threads overrides it).
        #[arg(long, default_value_t = 1)]
        threads: usize,
        /// Folder the script writes its spikes into (its default; its --out overrides it).
        #[arg(long, default_value = "nest_out")]
        out_dir: String,
        /// Seed of NEST and numpy (default: the Model's sim.seed; the script's --seed overrides it).
        #[arg(long)]
        seed: Option<u64>,
        /// Factor on every population size; in-degrees stay as they are.
        #[arg(long, allow_negative_numbers = true)]
        n_scale: Option<f64>,
        /// `grid` or `precise` (any case); default: the Model's `[sim] mode`.
        #[arg(long)]
        mode: Option<String>,
        /// Simulated time after the warm-up (s).
        #[arg(long, allow_negative_numbers = true)]
        duration: Option<f64>,
        /// Warm-up (s).
        #[arg(long, allow_negative_numbers = true)]
        warmup: Option<f64>,
    },
    /// Measure the spikes an exported NEST script wrote into DIR with balnet's recorders and
    /// write summary.json and the arrays of `balnet simulate --out` (docs/nest.md).
    NestSummary {
        /// The script's output folder.
        dir: PathBuf,
        /// Folder for summary.json and the arrays (default: DIR).
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// `balnet export ...` (docs/nest.md).
fn export_cmd(what: ExportCmd) -> balnet::Result<()> {
    use balnet::export::nest;
    match what {
        ExportCmd::Nest {
            model,
            output,
            threads,
            out_dir,
            seed,
            n_scale,
            mode,
            duration,
            warmup,
        } => {
            let mut m = load(&model)?;
            apply_sim_overrides(
                &mut m,
                duration,
                warmup,
                (None, None),
                mode.as_deref(),
                None,
            )?;
            let opts = nest::NestOptions {
                threads,
                out_dir,
                seed,
                n_scale,
            };
            let script = nest::nest_script(&m, &opts)?;
            let Some(path) = output else {
                emit(&script);
                return Ok(());
            };
            output::write_atomic(&path, script.as_bytes())?;
            let plan = nest::nest_plan(&m, &opts)?;
            print(&json!({
                "script": path.display().to_string(),
                "model": plan["model"]["name"],
                "neuron_model": plan["neuron_model"],
                "populations": plan["populations"].as_array().map(|v| v.iter().map(|p| json!({"name": p["name"], "n": p["n"]})).collect::<Vec<_>>()),
                "cost": plan["cost"],
                "run": format!("python {} --threads {threads} --out DIR; then balnet export nest-summary DIR", path.display()),
            }));
        }
        ExportCmd::NestSummary { dir, out } => {
            let folder = balnet::sim::spikes::read_spikes(&dir)?;
            let r = balnet::sim::spikes::result_from_spikes(&folder)?;
            let out = out.unwrap_or(dir);
            output::write_dir(&out, &r)?;
            print(&json!({
                "model": r.model,
                "engine": folder.run["neuron_model"],
                "nest_version": folder.run["nest_version"],
                "processes": folder.processes,
                "threads": folder.threads,
                "populations": r.populations.iter().map(|p| json!({
                    "name": p.name, "rate_hz": p.rate_hz, "rate_sd_hz": p.rate_sd_hz,
                    "cv_isi": p.cv_isi, "pair_corr": p.pair_corr, "pop_rate_cv": p.pop_rate_cv,
                    "silent_fraction": p.silent_fraction,
                })).collect::<Vec<_>>(),
                "kappa_mean": r.kappa_mean,
                "n_synapses": r.n_synapses,
                "slow_connections": folder.slow_connections,
                "dale_violation_fraction": r.dale_violation_fraction,
                "build_s": r.build_s,
                "simulate_s": r.wall_s,
                "summary": out.join("summary.json").display().to_string(),
            }));
        }
    }
    Ok(())
}
