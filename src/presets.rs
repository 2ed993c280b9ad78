//! The embedded models: the default of docs/theory.md section 5, its bistable variant and
//! Brunel (2000) model A (docs/theory.md section 4).

use crate::error::{Error, Result};
use crate::model::*;

/// `Sigma^{nm}` (mV) of the default model: below the rank-one bifurcation (docs/theory.md section 5).
pub const DEFAULT_SIGMA_NM: f64 = 11.65;
/// `Sigma^{nm}` (mV) of the bistable preset: 1.4 x the finite-K fixed-in-degree bifurcation 16.64 mV.
pub const BISTABLE_SIGMA_NM: f64 = 23.30;

fn lif(name: &str, n: usize, c: f64, j_ext: f64) -> Population {
    Population {
        name: name.into(),
        n,
        c,
        tau_m: 0.020,
        theta: 20.0,
        v_reset: 10.0,
        tau_ref: 0.002,
        j_ext,
        beta_ext: 0.0,
    }
}

/// The D = 0 network of docs/theory.md section 5 (Bernoulli connectivity, delays uniform in
/// [0.5, 2.5] ms), without latent structure.
pub fn default_d0() -> Model {
    Model {
        name: "default (D = 0)".into(),
        k: 1000.0,
        connectivity: Connectivity::Bernoulli,
        j: vec![vec![5.0, -27.5], vec![5.0, -25.0]],
        external: External { c0: 1.0, nu0: 12.0 },
        delay: Delay::Uniform {
            min: 0.0005,
            max: 0.0025,
        },
        populations: vec![lif("E", 10_000, 1.0, 5.0), lif("I", 2_500, 0.25, 4.5)],
        latent: None,
        transfer: TransferKind::Siegert,
        noise: NoiseClosure::Poisson,
        // precise: the theory describes continuous time, and `compare` honours the
        // Model's mode (docs/theory.md section 3)
        sim: SimSettings {
            mode: SimMode::Precise,
            ..SimSettings::default()
        },
    }
}

/// Rank-one structure on both populations with zero means, `sigma_m = 20` mV,
/// `sigma_n = 1.5`, `Cov(n, m) = sigma_nm`, `tau_s = 0.1` s, input loading `w = 0.09 m`
/// and a step of `s` from 0 to 1 at 1.5 s (docs/theory.md section 5).
pub fn rank_one_latent(sigma_nm: f64) -> Latent {
    let l = Loadings::rank_one(20.0, 1.5, sigma_nm, Some(0.09));
    Latent {
        d: 1,
        d_in: 1,
        tau_s: 0.1,
        loadings: vec![l.clone(), l],
        signal: Signal {
            components: vec![vec![SignalTerm::Step {
                t0: 1.5,
                amplitude: 1.0,
            }]],
        },
    }
}

/// The crate's default model: docs/theory.md section 5 with Bernoulli connectivity, the
/// rank-one structure below the bifurcation (`Sigma^{nm} = 11.65` mV) and the input step.
pub fn default_model() -> Model {
    Model {
        name: "default".into(),
        latent: Some(rank_one_latent(DEFAULT_SIGMA_NM)),
        ..default_d0()
    }
}

/// The bistable variant: the default model at `Sigma^{nm} = 23.30` mV.
pub fn latent_bistable() -> Model {
    Model {
        name: "latent-bistable".into(),
        latent: Some(rank_one_latent(BISTABLE_SIGMA_NM)),
        ..default_d0()
    }
}

/// Network size of the latent-computation presets (docs/theory.md 12): the default
/// couplings, `K = 1000` and Bernoulli connectivity with `N_E = 4000`, `N_I = 1000`
/// (connection probability 0.25), grid integration, and loadings re-centred to their
/// Model moments (`exact_loadings`), so that one trial costs about a CPU-second per
/// simulated second and the theory needs no drawn moments.
pub const CLAIM_N: (usize, usize) = (4_000, 1_000);

/// Rank-two loadings with rotational structure (docs/theory.md 12):
/// `Sigma^{mm} = sigma_m^2 I`, `Sigma^{nn} = sigma_n^2 I`,
/// `Sigma^{nm} = [[a, -b], [b, a]]` (mV; `b = 0` is rotation symmetric: a ring of fixed
/// points above the bifurcation; `b != 0` rotates `kappa`), zero means, and two inputs
/// with loadings `w_k = w_scale m_k` (`D_in = 2`).
pub fn rank_two_rotational(sigma_m: f64, sigma_n: f64, a: f64, b: f64, w_scale: f64) -> Loadings {
    let mut l = Loadings::zeros(2, 2);
    let snm = [[a, -b], [b, a]];
    for d in 0..2 {
        l.sigma_mm[d][d] = sigma_m * sigma_m;
        l.sigma_nn[d][d] = sigma_n * sigma_n;
        l.sigma_mw[d][d] = w_scale * sigma_m * sigma_m;
        l.sigma_ww[d][d] = w_scale * w_scale * sigma_m * sigma_m;
        for e in 0..2 {
            l.sigma_nm[d][e] = snm[d][e];
            // Cov(n_d, w_e) = w_scale Cov(n_d, m_e)
            l.sigma_nw[d][e] = w_scale * snm[d][e];
        }
    }
    l
}

/// A cue: `s = amplitude (cos angle, sin angle)` between `t0` and `t1` (s), 0 otherwise.
pub fn cue_signal(angle_rad: f64, amplitude: f64, t0: f64, t1: f64) -> Signal {
    let comp = |a: f64| {
        vec![
            SignalTerm::Step { t0, amplitude: a },
            SignalTerm::Step {
                t0: t1,
                amplitude: -a,
            },
        ]
    };
    Signal {
        components: vec![
            comp(amplitude * angle_rad.cos()),
            comp(amplitude * angle_rad.sin()),
        ],
    }
}

/// `Sigma^{nm}` diagonal (mV) of the ring and oscillation presets: 1.2 x the finite-K
/// bifurcation of the rank-one structure at `CLAIM_N` (docs/theory.md 12).
pub const RING_SIGMA_NM: f64 = 24.0;
/// Off-diagonal (rotational) part `b` (mV) of the oscillation preset.
pub const OSCILLATION_SIGMA_NM_ROT: f64 = 14.0;
/// Input loading scale `w = w_scale m` of the ring and oscillation presets.
pub const CUE_W_SCALE: f64 = 0.09;

fn claim_network(name: &str, loadings: Loadings, signal: Signal, duration: f64) -> Model {
    let (n_e, n_i) = CLAIM_N;
    let base = default_d0();
    let mut pops = base.populations.clone();
    pops[0].n = n_e;
    pops[1].n = n_i;
    Model {
        name: name.into(),
        populations: pops,
        latent: Some(Latent {
            d: loadings.mbar.len(),
            d_in: loadings.wbar.len(),
            tau_s: 0.1,
            loadings: vec![loadings.clone(), loadings],
            signal,
        }),
        sim: SimSettings {
            mode: SimMode::Grid,
            duration,
            warmup: 0.2,
            exact_loadings: true,
            ..SimSettings::default()
        },
        ..base
    }
}

/// Continuous memory on a ring (docs/theory.md 12): rank-two rotation-symmetric structure
/// (`Sigma^{nm} = 24 I` mV, `sigma_m = 20` mV, `sigma_n = 1.5`) whose fixed points above the
/// bifurcation form a ring; a cue `s = 2 (cos 0, sin 0)` from 0.2 s to 0.6 s sets the
/// angle, which the network then holds for 4 s. Change the angle with [`cue_signal`].
pub fn ring_memory() -> Model {
    claim_network(
        "ring-memory",
        rank_two_rotational(20.0, 1.5, RING_SIGMA_NM, 0.0, CUE_W_SCALE),
        cue_signal(0.0, 2.0, 0.2, 0.6),
        4.4,
    )
}

/// A latent oscillation (docs/theory.md 12): the ring structure plus a rotational part,
/// `Sigma^{nm} = [[24, -14], [14, 24]]` mV (realisable: `sqrt(24^2 + 14^2) = 27.8 <
/// sigma_m sigma_n = 30`); `kappa = 0` is an unstable focus and `kappa` circles on a limit
/// cycle. The cue of [`ring_memory`] sets the phase.
pub fn latent_oscillation() -> Model {
    claim_network(
        "latent-oscillation",
        rank_two_rotational(
            20.0,
            1.5,
            RING_SIGMA_NM,
            OSCILLATION_SIGMA_NM_ROT,
            CUE_W_SCALE,
        ),
        cue_signal(0.0, 2.0, 0.2, 0.6),
        3.4,
    )
}

/// Context-dependent evidence integration (docs/theory.md 12.1), in the spirit of Mante et
/// al. (2013) as Mastrogiuseppe & Ostojic (2018) build it from low-rank structure: the E
/// population split into `E_A` and `E_B` (identical couplings, `c = 0.5` each, so the
/// network is the `CLAIM_N` network), rank-one structure `Cov(n, m) = sigma_nm` (mV) in
/// every population (the integrator), and `D_in = 4` inputs: sensory `s_A`, `s_B`
/// (loadings of sd 10 mV in every population; `Cov(n, w_A) = 9` mV only in `E_A`,
/// `Cov(n, w_B) = 9` mV only in `E_B`) and contexts `s_ctxA`, `s_ctxB`, which shift the
/// mean input of the *other* E population by `-ctx_shift_mv` (mV). Because `E_A` and
/// `E_B` receive identical recurrent input, the difference of their mean inputs is not
/// balanced away: the context lowers the gain of the population that carries the
/// irrelevant input, and the network integrates only the relevant one.
///
/// `signal`: `s = (coh_A, coh_B)` from `t_on` to `t_off` (s), and context `A` (or `B`)
/// from 0 on, built by [`context_signal`].
pub fn context_integration(sigma_nm: f64, ctx_shift_mv: f64) -> Model {
    let (n_e, n_i) = CLAIM_N;
    let base = default_d0();
    let mut ea = base.populations[0].clone();
    ea.name = "E_A".into();
    ea.n = n_e / 2;
    ea.c = 0.5;
    let mut eb = ea.clone();
    eb.name = "E_B".into();
    let mut i = base.populations[1].clone();
    i.n = n_i;
    let (sm, sn, sw, rho) = (20.0, 1.5, 10.0, 9.0);
    let loadings = |sensory: Option<usize>, ctx: Option<usize>| {
        let mut l = Loadings::zeros(1, 4);
        l.sigma_mm[0][0] = sm * sm;
        l.sigma_nn[0][0] = sn * sn;
        l.sigma_nm[0][0] = sigma_nm;
        l.sigma_ww[0][0] = sw * sw;
        l.sigma_ww[1][1] = sw * sw;
        if let Some(k) = sensory {
            l.sigma_nw[0][k] = rho;
        }
        if let Some(k) = ctx {
            l.wbar[k] = -ctx_shift_mv;
        }
        l
    };
    Model {
        name: "context-integration".into(),
        j: vec![
            vec![5.0, 5.0, -27.5],
            vec![5.0, 5.0, -27.5],
            vec![5.0, 5.0, -25.0],
        ],
        populations: vec![ea, eb, i],
        latent: Some(Latent {
            d: 1,
            d_in: 4,
            tau_s: 0.1,
            // context A (input 2) lowers E_B, context B (input 3) lowers E_A
            loadings: vec![
                loadings(Some(0), Some(3)),
                loadings(Some(1), Some(2)),
                loadings(None, None),
            ],
            signal: context_signal(true, 0.1, 0.0, 0.3, 1.3),
        }),
        sim: SimSettings {
            mode: SimMode::Grid,
            duration: 1.1,
            warmup: 0.2,
            exact_loadings: true,
            ..SimSettings::default()
        },
        ..base
    }
}

/// `Cov(n, m)` (mV) of the context preset: below the bifurcation, a leaky integrator.
pub const CONTEXT_SIGMA_NM: f64 = 22.0;
/// Mean-input shift (mV) by which a context lowers the irrelevant E population.
pub const CONTEXT_SHIFT_MV: f64 = 10.0;

/// The input of [`context_integration`]: context A (`context_a = true`) or B on from
/// `t = 0`, sensory inputs `(coh_a, coh_b)` from `t_on` to `t_off` (s).
pub fn context_signal(context_a: bool, coh_a: f64, coh_b: f64, t_on: f64, t_off: f64) -> Signal {
    let pulse = |a: f64| {
        vec![
            SignalTerm::Step {
                t0: t_on,
                amplitude: a,
            },
            SignalTerm::Step {
                t0: t_off,
                amplitude: -a,
            },
        ]
    };
    let on = |yes: bool| {
        vec![SignalTerm::Step {
            t0: 0.0,
            amplitude: if yes { 1.0 } else { 0.0 },
        }]
    };
    Signal {
        components: vec![pulse(coh_a), pulse(coh_b), on(context_a), on(!context_a)],
    }
}

/// Brunel (2000) model A as docs/theory.md section 4 maps it: `J_AE = J sqrt(K)`,
/// `J_AI = -g J sqrt(K)`, `c_E = 1`, `c_I = 0.25` (so `C_I = C_E/4` with `N_I = N_E/4`),
/// `K = C_E`, `c_0 = 1`, `J_A0 = J sqrt(K)`, `nu_0 = eta theta / (J C_E tau_m)`, one
/// delay of 1.5 ms. `j` in mV, `c_e` the number of excitatory inputs.
///
/// Connectivity: fixed in-degree drawn *with* replacement (a neuron may receive two
/// connections from the same source; no autapses), as in Brunel (2000), whose `C_E`
/// inputs are drawn independently, and as NEST's `fixed_indegree` (multapses allowed) and
/// the Brian2 reference scripts. Set `connectivity = Connectivity::FixedIndegree` on the
/// returned Model for distinct inputs (without replacement; docs/theory.md section 1).
pub fn brunel_a(g: f64, eta: f64, j: f64, c_e: usize, n_e: usize, n_i: usize) -> Result<Model> {
    for (field, v) in [("g", g), ("eta", eta), ("j", j)] {
        if !v.is_finite() || v <= 0.0 {
            return Err(Error::invalid(field, v, "must be finite and > 0"));
        }
    }
    if c_e == 0 || c_e > n_e {
        return Err(Error::invalid(
            "c_e",
            c_e,
            format!("must be in 1..={n_e} (N_E)"),
        ));
    }
    let k = c_e as f64;
    let js = j * k.sqrt();
    // C_I = C_E / 4, as in Brunel (2000) with N_I = N_E / 4 and equal connection probability.
    let e = lif("E", n_e, 1.0, js);
    let i = lif("I", n_i, 0.25, js);
    let nu0 = eta * e.theta / (j * k * e.tau_m);
    let m = Model {
        name: format!("brunel-a g={g} eta={eta}"),
        k,
        connectivity: Connectivity::FixedIndegreeReplacement,
        j: vec![vec![js, -g * js], vec![js, -g * js]],
        external: External { c0: 1.0, nu0 },
        delay: Delay::Fixed { d: 0.0015 },
        populations: vec![e, i],
        latent: None,
        transfer: TransferKind::Siegert,
        noise: NoiseClosure::Poisson,
        sim: SimSettings {
            duration: 1.0,
            warmup: 0.1,
            ..SimSettings::default()
        },
    };
    m.validate()?;
    Ok(m)
}

/// Names of the presets, as [`by_name`] takes them.
pub const NAMES: [&str; 7] = [
    "default",
    "default-d0",
    "latent-bistable",
    "brunel-a",
    "ring-memory",
    "latent-oscillation",
    "context-integration",
];

/// A preset by name: `default`, `default-d0`, `latent-bistable`, `brunel-a` (g = 5, eta = 2),
/// `ring-memory`, `latent-oscillation`, `context-integration`,
/// in any case and with `_` or `-`.
pub fn by_name(name: &str) -> Result<Model> {
    match name.to_ascii_lowercase().replace('_', "-").as_str() {
        "default" => Ok(default_model()),
        "default-d0" => Ok(default_d0()),
        "latent-bistable" => Ok(latent_bistable()),
        "brunel-a" => brunel_a(5.0, 2.0, 0.1, 1000, 10_000, 2_500),
        "ring-memory" => Ok(ring_memory()),
        "latent-oscillation" => Ok(latent_oscillation()),
        "context-integration" => Ok(context_integration(CONTEXT_SIGMA_NM, CONTEXT_SHIFT_MV)),
        other => Err(Error::invalid(
            "preset",
            other,
            format!("unknown preset (have: {})", NAMES.join(", ")),
        )),
    }
}

/// The Model named by a command-line MODEL argument: a model file if `arg` is one (TOML, or
/// JSON for a `.json` extension in any case), else a preset of that name ([`by_name`]).
/// A folder of the same name as a preset (e.g. an output folder `--out latent-bistable`)
/// does not hide the preset.
///
/// # Errors
///
/// [`Error::Invalid`] naming `MODEL` when `arg` is neither a file nor a preset; the
/// errors of [`Model::from_file`] for a file that cannot be read or parsed.
pub fn file_or_preset(arg: &str) -> Result<Model> {
    let path = std::path::Path::new(arg);
    if path.is_file() {
        return Model::from_file(path);
    }
    if let Ok(m) = by_name(arg) {
        return Ok(m);
    }
    let what = if path.exists() {
        "is a folder, not a model file, and not a preset"
    } else {
        "is neither a model file (.toml or .json) nor a preset"
    };
    Err(Error::invalid(
        "MODEL",
        arg,
        format!("{what} (presets: {})", NAMES.join(", ")),
    ))
}
