//! The network description of docs/theory.md section 1, read by both the theory and
//! the simulator.
//!
//! One serde-serialisable [`Model`] is the single source of parameters: the
//! mean-field solvers and the spiking simulator never keep copies of their own.
//! Units everywhere: seconds, mV, Hz.

// `!(x > 0.0)` is the intended NaN-rejecting test, and the quadrature and series
// constants keep the digits of their sources.
#![allow(
    clippy::neg_cmp_op_on_partial_ord,
    clippy::excessive_precision,
    clippy::needless_range_loop
)]

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// One population of current-based LIF neurons (docs/theory.md section 1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Population {
    /// Name used in reports, e.g. "E".
    pub name: String,
    /// Number of neurons `N_A`.
    pub n: usize,
    /// In-degree scale `c_A`: a neuron receives on average `c_A * K` inputs from this population.
    pub c: f64,
    /// Membrane time constant `tau_m,A` (s).
    pub tau_m: f64,
    /// Spike threshold `theta_A` (mV, from rest).
    pub theta: f64,
    /// Reset potential `Vr_A` (mV).
    pub v_reset: f64,
    /// Absolute refractory period `tau_ref,A` (s).
    pub tau_ref: f64,
    /// External coupling `J_A0` (mV); the jump of one external spike is `J_A0 / sqrt(K)`.
    pub j_ext: f64,
    /// Extra frozen heterogeneity `beta_ext,A` (mV^2): variance of a per-neuron bias current.
    #[serde(default)]
    pub beta_ext: f64,
}

/// Connectivity rule of the random part (docs/theory.md section 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Connectivity {
    /// Erdos-Renyi: each connection exists independently with probability `p_B`.
    Bernoulli,
    /// Exactly `round(c_B K)` inputs from each `B`, drawn without replacement.
    FixedIndegree,
    /// Exactly `round(c_B K)` inputs from each `B`, drawn with replacement (NEST's default).
    FixedIndegreeReplacement,
}

/// Synaptic delay of the fast (and slow) synapses (docs/theory.md section 1).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Delay {
    /// One delay `d` (s) for every connection.
    Fixed {
        /// The delay (s).
        d: f64,
    },
    /// Per-connection delays uniform in `[min, max]` (s).
    Uniform {
        /// Smallest delay (s).
        min: f64,
        /// Largest delay (s).
        max: f64,
    },
}

impl Delay {
    /// Smallest delay (s).
    pub fn min(&self) -> f64 {
        match *self {
            Delay::Fixed { d } => d,
            Delay::Uniform { min, .. } => min,
        }
    }
    /// Largest delay (s).
    pub fn max(&self) -> f64 {
        match *self {
            Delay::Fixed { d } => d,
            Delay::Uniform { max, .. } => max,
        }
    }
    /// Mean delay (s).
    pub fn mean(&self) -> f64 {
        0.5 * (self.min() + self.max())
    }
}

/// External Poisson drive (docs/theory.md section 1): `K_0 = round(c_0 K)` trains of rate `nu_0`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct External {
    /// In-degree scale `c_0` of the external drive.
    pub c0: f64,
    /// Rate `nu_0` of each external train (Hz).
    pub nu0: f64,
}

/// Low-rank loadings of one population (docs/theory.md section 1, index convention there).
///
/// Means `mbar` (mV, length D), `nbar` (dimensionless, D), `wbar` (mV, D_in) and the
/// covariance blocks of the joint Gaussian of `(m, n, w)`. Matrices are row-major
/// `Vec<Vec<f64>>`; `sigma_nm[d][e] = Cov(n_d, m_e)`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Loadings {
    #[serde(default)]
    /// Mean of `m` (mV), length `D`.
    pub mbar: Vec<f64>,
    #[serde(default)]
    /// Mean of `n` (dimensionless), length `D`.
    pub nbar: Vec<f64>,
    #[serde(default)]
    /// Mean of `w` (mV), length `D_in`.
    pub wbar: Vec<f64>,
    #[serde(default)]
    /// `Sigma^{mm} = Cov(m, m)` (mV^2), `D x D`, symmetric.
    pub sigma_mm: Vec<Vec<f64>>,
    #[serde(default)]
    /// `(Sigma^{nm})_{de} = Cov(n_d, m_e)` (mV), `D x D`.
    pub sigma_nm: Vec<Vec<f64>>,
    #[serde(default)]
    /// `Sigma^{nn} = Cov(n, n)` (dimensionless), `D x D`, symmetric.
    pub sigma_nn: Vec<Vec<f64>>,
    #[serde(default)]
    /// `(Sigma^{mw})_{de} = Cov(m_d, w_e)` (mV^2), `D x D_in`.
    pub sigma_mw: Vec<Vec<f64>>,
    #[serde(default)]
    /// `(Sigma^{nw})_{de} = Cov(n_d, w_e)` (mV), `D x D_in`.
    pub sigma_nw: Vec<Vec<f64>>,
    #[serde(default)]
    /// `Sigma^{ww} = Cov(w, w)` (mV^2), `D_in x D_in`, symmetric.
    pub sigma_ww: Vec<Vec<f64>>,
}

impl Loadings {
    /// All-zero loadings of the given dimensions (a population that carries no structure).
    pub fn zeros(d: usize, d_in: usize) -> Self {
        Loadings {
            mbar: vec![0.0; d],
            nbar: vec![0.0; d],
            wbar: vec![0.0; d_in],
            sigma_mm: zeros(d, d),
            sigma_nm: zeros(d, d),
            sigma_nn: zeros(d, d),
            sigma_mw: zeros(d, d_in),
            sigma_nw: zeros(d, d_in),
            sigma_ww: zeros(d_in, d_in),
        }
    }

    /// Rank-one isotropic structure with zero means: `Var m = sigma_m^2`,
    /// `Var n = sigma_n^2`, `Cov(n, m) = sigma_nm`; with `D_in = 1` the input
    /// loading is `w = w_scale * m` (docs/theory.md section 5).
    pub fn rank_one(sigma_m: f64, sigma_n: f64, sigma_nm: f64, w_scale: Option<f64>) -> Self {
        let d_in = usize::from(w_scale.is_some());
        let mut l = Loadings::zeros(1, d_in);
        l.sigma_mm[0][0] = sigma_m * sigma_m;
        l.sigma_nn[0][0] = sigma_n * sigma_n;
        l.sigma_nm[0][0] = sigma_nm;
        if let Some(a) = w_scale {
            l.sigma_mw[0][0] = a * sigma_m * sigma_m;
            l.sigma_nw[0][0] = a * sigma_nm;
            l.sigma_ww[0][0] = a * a * sigma_m * sigma_m;
        }
        l
    }

    /// The joint covariance of `(m, n, w)` as one `(2D + D_in)` square matrix.
    pub fn joint_covariance(&self) -> nalgebra::DMatrix<f64> {
        let d = self.mbar.len();
        let di = self.wbar.len();
        let size = 2 * d + di;
        let mut c = nalgebra::DMatrix::zeros(size, size);
        let mut put = |r0: usize, c0: usize, b: &[Vec<f64>]| {
            for (i, row) in b.iter().enumerate() {
                for (j, &v) in row.iter().enumerate() {
                    c[(r0 + i, c0 + j)] = v;
                    c[(c0 + j, r0 + i)] = v;
                }
            }
        };
        // order: m (0..d), n (d..2d), w (2d..)
        put(0, 0, &self.sigma_mm);
        put(d, d, &self.sigma_nn);
        put(2 * d, 2 * d, &self.sigma_ww);
        put(d, 0, &self.sigma_nm); // rows n, columns m
        put(0, 2 * d, &self.sigma_mw); // rows m, columns w
        put(d, 2 * d, &self.sigma_nw); // rows n, columns w
        c
    }

    /// The joint mean of `(m, n, w)`.
    pub fn joint_mean(&self) -> Vec<f64> {
        let mut v = self.mbar.clone();
        v.extend_from_slice(&self.nbar);
        v.extend_from_slice(&self.wbar);
        v
    }
}

fn zeros(r: usize, c: usize) -> Vec<Vec<f64>> {
    vec![vec![0.0; c]; r]
}

/// One term of a latent input component `s_k(t)` (dimensionless).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SignalTerm {
    /// Adds `amplitude` for `t >= t0`.
    Step {
        /// Time of the step (s).
        t0: f64,
        /// Height of the step (dimensionless).
        amplitude: f64,
    },
    /// Rises linearly by `amplitude` between `t0` and `t1`, constant after.
    Ramp {
        /// Start of the ramp (s).
        t0: f64,
        /// End of the ramp (s), after `t0`.
        t1: f64,
        /// Total rise (dimensionless).
        amplitude: f64,
    },
}

impl SignalTerm {
    fn value(&self, t: f64) -> f64 {
        match *self {
            SignalTerm::Step { t0, amplitude } => {
                if t >= t0 {
                    amplitude
                } else {
                    0.0
                }
            }
            SignalTerm::Ramp { t0, t1, amplitude } => {
                if t <= t0 {
                    0.0
                } else if t >= t1 {
                    amplitude
                } else {
                    amplitude * (t - t0) / (t1 - t0)
                }
            }
        }
    }
}

/// The latent input `s(t) in R^{D_in}`: each component a sum of steps and ramps
/// (docs/theory.md section 1, "Latent input").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct Signal {
    /// `components[k]` is the list of terms of `s_k`.
    #[serde(default)]
    pub components: Vec<Vec<SignalTerm>>,
}

impl Signal {
    /// `s(t)`.
    pub fn value(&self, t: f64) -> Vec<f64> {
        self.components
            .iter()
            .map(|terms| terms.iter().map(|term| term.value(t)).sum())
            .collect()
    }

    /// Times at which some component changes slope or jumps (sorted, unique).
    pub fn breakpoints(&self) -> Vec<f64> {
        let mut v: Vec<f64> = self
            .components
            .iter()
            .flatten()
            .flat_map(|t| match *t {
                SignalTerm::Step { t0, .. } => vec![t0],
                SignalTerm::Ramp { t0, t1, .. } => vec![t0, t1],
            })
            .collect();
        v.sort_by(f64::total_cmp);
        v.dedup();
        v
    }
}

/// Low-rank latent structure (docs/theory.md section 1).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Latent {
    /// Latent dimension `D`.
    pub d: usize,
    /// Input dimension `D_in`.
    pub d_in: usize,
    /// Slow synaptic time constant `tau_s` (s).
    pub tau_s: f64,
    /// Loadings per population, in the order of `Model::populations`.
    pub loadings: Vec<Loadings>,
    /// The input signal `s(t)`.
    #[serde(default)]
    pub signal: Signal,
}

/// Transfer function used by the theory (docs/theory.md 2.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum TransferKind {
    /// LIF with delta synapses in the diffusion approximation.
    #[default]
    Siegert,
    /// LIF driven by Poisson shot noise with the model's jump sizes.
    ShotNoise,
}

/// Closure of the recurrent temporal noise (docs/theory.md 2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum NoiseClosure {
    /// Presynaptic Fano factor 1.
    #[default]
    Poisson,
    /// Fano factor `CV^2` of the diffusion LIF (low-frequency renewal closure).
    Renewal,
    /// Colored noise with the self-consistent spike-train spectrum.
    Spectral,
    /// Fano factor of the spike-train spectrum weighted by the second-order response
    /// (docs/theory.md 6.6.6): no calibrated constant.
    Correlated,
    /// The correlated closure with rule `H` in full (docs/theory.md 6.6.12e): the shape
    /// term about the Hawkes neuron and the third-cumulant term at every correction,
    /// minutes per solve. Rule `H` is a shot-noise rule: with the Siegert transfer this
    /// is [`NoiseClosure::Correlated`].
    CorrelatedFull,
}

impl NoiseClosure {
    /// Whether this is the correlated closure, in either form (docs/theory.md 6.6).
    pub fn is_correlated(self) -> bool {
        matches!(
            self,
            NoiseClosure::Correlated | NoiseClosure::CorrelatedFull
        )
    }
}

/// Time integration scheme of the simulator (docs/theory.md section 3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum SimMode {
    /// Inputs summed per step, threshold checked once per step (NEST `iaf_psc_delta`).
    #[default]
    Grid,
    /// Exact arrival and spike times within the step (NEST `iaf_psc_delta_ps`).
    Precise,
}

/// Simulation settings (docs/theory.md section 3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SimSettings {
    /// Time step (s).
    pub dt: f64,
    /// Simulated time after the warm-up (s).
    pub duration: f64,
    /// Warm-up discarded from all measurements (s).
    pub warmup: f64,
    /// Random seed: the same seed gives bit-identical results. It draws the network
    /// (connectivity, loadings, frozen biases) and, unless `noise_seed` is set, the noise
    /// (initial potentials and external drive).
    pub seed: u64,
    /// Seed of the noise alone (initial potentials and external Poisson drive); none: the
    /// noise follows `seed`. Keeping `seed` and changing `noise_seed` repeats trials of
    /// one network under fresh noise (docs/theory.md 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub noise_seed: Option<u64>,
    /// Grid or precise integration.
    #[serde(default)]
    pub mode: SimMode,
    /// Clip connections whose fast plus structured weight breaks Dale's law.
    #[serde(default)]
    pub clip_dale: bool,
    /// Re-centre and re-scale the drawn loadings so that their sample moments equal the Model's.
    #[serde(default)]
    pub exact_loadings: bool,
    /// Bin width of recorded population rates and mean V (s).
    #[serde(default = "default_record_bin")]
    pub record_bin: f64,
    /// Number of neurons per population whose spike trains are written out.
    #[serde(default = "default_raster_neurons")]
    pub raster_neurons: usize,
    /// Number of sampled pairs per population for spike-count correlations.
    #[serde(default = "default_corr_pairs")]
    pub corr_pairs: usize,
    /// Segment length of the Welch estimate of the population-rate spectra (s); the
    /// frequency resolution is its inverse (docs/theory.md 6.5).
    #[serde(default = "default_spectrum_segment")]
    pub spectrum_segment: f64,
}

fn default_record_bin() -> f64 {
    0.001
}
fn default_raster_neurons() -> usize {
    100
}
fn default_corr_pairs() -> usize {
    1000
}
fn default_spectrum_segment() -> f64 {
    0.5
}

impl Default for SimSettings {
    fn default() -> Self {
        SimSettings {
            dt: 1e-4,
            duration: 3.0,
            warmup: 0.5,
            seed: 1,
            noise_seed: None,
            mode: SimMode::Grid,
            clip_dale: false,
            exact_loadings: false,
            record_bin: default_record_bin(),
            raster_neurons: default_raster_neurons(),
            corr_pairs: default_corr_pairs(),
            spectrum_segment: default_spectrum_segment(),
        }
    }
}

/// The whole network: populations, connectivity, drive, latent structure, and the
/// choices the theory and simulator make (docs/theory.md sections 1-3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Model {
    /// Name of the model (e.g. "default", "brunel-a g=5 eta=2").
    pub name: String,
    /// Connectivity scale `K`.
    pub k: f64,
    /// Connectivity rule.
    pub connectivity: Connectivity,
    /// Couplings `J_AB` (mV), row = postsynaptic `A`, column = presynaptic `B`; jumps are `J_AB/sqrt(K)`.
    pub j: Vec<Vec<f64>>,
    /// External Poisson drive.
    pub external: External,
    /// Synaptic delays.
    pub delay: Delay,
    /// Populations `A = 1..P`.
    pub populations: Vec<Population>,
    /// Low-rank latent structure; `None` means `D = D_in = 0`.
    #[serde(default)]
    pub latent: Option<Latent>,
    /// Transfer function of the theory.
    #[serde(default)]
    pub transfer: TransferKind,
    /// Temporal-noise closure of the theory.
    #[serde(default)]
    pub noise: NoiseClosure,
    /// Simulator settings.
    #[serde(default)]
    pub sim: SimSettings,
}

impl Model {
    /// Number of populations `P`.
    pub fn p(&self) -> usize {
        self.populations.len()
    }
    /// Latent dimension `D` (0 without structure).
    pub fn d(&self) -> usize {
        self.latent.as_ref().map_or(0, |l| l.d)
    }
    /// Input dimension `D_in`.
    pub fn d_in(&self) -> usize {
        self.latent.as_ref().map_or(0, |l| l.d_in)
    }
    /// Mean in-degree `K_B = c_B K` from population `b`.
    pub fn k_in(&self, b: usize) -> f64 {
        self.populations[b].c * self.k
    }
    /// Connection probability `p_B = K_B / N_B`.
    pub fn p_conn(&self, b: usize) -> f64 {
        self.k_in(b) / self.populations[b].n as f64
    }
    /// Number of external inputs `K_0 = round(c_0 K)`.
    pub fn k_ext(&self) -> f64 {
        (self.external.c0 * self.k).round()
    }
    /// Fast jump `J_AB / sqrt(K)` (mV).
    pub fn jump(&self, a: usize, b: usize) -> f64 {
        self.j[a][b] / self.k.sqrt()
    }
    /// External jump `J_A0 / sqrt(K)` (mV).
    pub fn jump_ext(&self, a: usize) -> f64 {
        self.populations[a].j_ext / self.k.sqrt()
    }
    /// Index of the population called `name`.
    pub fn population_index(&self, name: &str) -> Result<usize> {
        self.populations
            .iter()
            .position(|p| p.name == name)
            .ok_or_else(|| {
                Error::invalid(
                    "population",
                    name,
                    format!(
                        "no such population (have: {})",
                        self.populations
                            .iter()
                            .map(|p| p.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                )
            })
    }
    /// The latent input `s(t)` (empty without latent structure).
    pub fn signal(&self, t: f64) -> Vec<f64> {
        match &self.latent {
            Some(l) => {
                let mut s = l.signal.value(t);
                s.resize(l.d_in, 0.0);
                s
            }
            None => Vec::new(),
        }
    }
    /// Loadings of population `a` (zeros when the model has no structure).
    pub fn loadings(&self, a: usize) -> Loadings {
        match &self.latent {
            Some(l) => l.loadings[a].clone(),
            None => Loadings::zeros(0, 0),
        }
    }

    /// Parse a Model from TOML text and validate it.
    pub fn from_toml(text: &str) -> Result<Model> {
        let m: Model = toml::from_str(text).map_err(|e| {
            // one line: message and position (line, column) instead of the multi-line snippet
            let at = e.span().map_or(String::new(), |sp| {
                let before = &text[..sp.start.min(text.len())];
                let line = before.matches('\n').count() + 1;
                let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
                format!(" at line {line}, column {col}")
            });
            Error::Parse(format!("{}{at}", e.message().trim()))
        })?;
        m.validate()?;
        Ok(m)
    }

    /// Parse a Model from JSON text and validate it.
    pub fn from_json(text: &str) -> Result<Model> {
        let m: Model = serde_json::from_str(text).map_err(|e| Error::Parse(e.to_string()))?;
        m.validate()?;
        Ok(m)
    }

    /// Read a Model from a `.toml` or `.json` file.
    pub fn from_file(path: &std::path::Path) -> Result<Model> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::file(format!("cannot read model file {}", path.display()), e))?;
        if path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("json"))
        {
            Model::from_json(&text)
        } else {
            Model::from_toml(&text)
        }
    }

    /// The Model as TOML text.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a Model always serialises")
    }

    /// Check every rule of docs/theory.md section 1 and the magnitude rules of section 7
    /// ("Theory input rules"); the error names the field, the value and the rule. Every
    /// theory entry point calls it.
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] for the first rule broken.
    pub fn validate(&self) -> Result<()> {
        let p = self.p();
        if p == 0 {
            return Err(Error::invalid(
                "populations",
                "[]",
                "at least one population is needed",
            ));
        }
        finite_pos("k", self.k)?;
        if self.j.len() != p || self.j.iter().any(|r| r.len() != p) {
            return Err(Error::invalid(
                "j",
                format!("{:?}", self.j),
                format!("must be a {p} x {p} matrix (one row per postsynaptic population)"),
            ));
        }
        for (a, row) in self.j.iter().enumerate() {
            for (b, &v) in row.iter().enumerate() {
                finite_bounded(&format!("j[{a}][{b}]"), v)?;
            }
        }
        finite_nonneg("external.c0", self.external.c0)?;
        finite_nonneg("external.nu0", self.external.nu0)?;
        match self.delay {
            Delay::Fixed { d } => finite_nonneg("delay.d", d)?,
            Delay::Uniform { min, max } => {
                finite_nonneg("delay.min", min)?;
                finite_nonneg("delay.max", max)?;
                if max < min {
                    return Err(Error::invalid(
                        "delay.max",
                        max,
                        format!("must be >= delay.min = {min}"),
                    ));
                }
            }
        }
        let mut names = std::collections::HashSet::new();
        for (a, pop) in self.populations.iter().enumerate() {
            let f = |s: &str| format!("populations[{a}].{s}");
            if !names.insert(pop.name.clone()) {
                return Err(Error::invalid(
                    f("name"),
                    &pop.name,
                    "population names must be unique",
                ));
            }
            if pop.n == 0 {
                return Err(Error::invalid(
                    f("n"),
                    pop.n,
                    "a population needs at least one neuron",
                ));
            }
            finite_nonneg(&f("c"), pop.c)?;
            finite_pos(&f("tau_m"), pop.tau_m)?;
            finite_nonneg(&f("tau_ref"), pop.tau_ref)?;
            finite_bounded(&f("theta"), pop.theta)?;
            finite_bounded(&f("v_reset"), pop.v_reset)?;
            if pop.theta <= pop.v_reset {
                return Err(Error::invalid(
                    f("theta"),
                    pop.theta,
                    format!("must exceed v_reset = {}", pop.v_reset),
                ));
            }
            finite_bounded(&f("j_ext"), pop.j_ext)?;
            finite_nonneg(&f("beta_ext"), pop.beta_ext)?;
            let kb = self.k_in(a);
            let allowed = match self.connectivity {
                Connectivity::FixedIndegreeReplacement => f64::INFINITY,
                // no autapses: at most N_B - 1 partners from the own population
                _ => pop.n as f64,
            };
            if kb > allowed {
                return Err(Error::invalid(
                    f("c"),
                    pop.c,
                    format!(
                        "in-degree c*K = {kb} exceeds the population size n = {}",
                        pop.n
                    ),
                ));
            }
        }
        for (a, row) in self.j.iter().enumerate() {
            for (b, &v) in row.iter().enumerate() {
                if self.populations[b].c > 0.0 && v != 0.0 && self.is_excitatory(b) != (v > 0.0) {
                    return Err(Error::invalid(
                        format!("j[{a}][{b}]"),
                        v,
                        "all couplings from one population must share a sign (Dale's law)",
                    ));
                }
            }
        }
        if let Some(l) = &self.latent {
            finite_pos("latent.tau_s", l.tau_s)?;
            if l.loadings.len() != p {
                return Err(Error::invalid(
                    "latent.loadings",
                    l.loadings.len(),
                    format!("need one entry per population ({p})"),
                ));
            }
            for (a, ld) in l.loadings.iter().enumerate() {
                validate_loadings(a, ld, l.d, l.d_in)?;
            }
            if l.signal.components.len() > l.d_in {
                return Err(Error::invalid(
                    "latent.signal.components",
                    l.signal.components.len(),
                    format!("more signal components than d_in = {}", l.d_in),
                ));
            }
            for (k, terms) in l.signal.components.iter().enumerate() {
                let ok_val = |v: f64| v.is_finite() && v.abs() <= MAX_MAGNITUDE;
                for term in terms {
                    let ok = match *term {
                        SignalTerm::Step { t0, amplitude } => ok_val(t0) && ok_val(amplitude),
                        SignalTerm::Ramp { t0, t1, amplitude } => {
                            ok_val(t0) && ok_val(t1) && ok_val(amplitude) && t1 > t0
                        }
                    };
                    if !ok {
                        return Err(Error::invalid(
                            format!("latent.signal.components[{k}]"),
                            format!("{term:?}"),
                            format!(
                                "times and amplitudes must be finite with magnitude <= \
                                 {MAX_MAGNITUDE:e} (docs/theory.md section 7), and a ramp needs t1 > t0"
                            ),
                        ));
                    }
                }
            }
        }
        let s = &self.sim;
        finite_pos("sim.dt", s.dt)?;
        finite_pos("sim.duration", s.duration)?;
        finite_nonneg("sim.warmup", s.warmup)?;
        finite_pos("sim.record_bin", s.record_bin)?;
        finite_pos("sim.spectrum_segment", s.spectrum_segment)?;
        if self.delay.min() < s.dt {
            return Err(Error::invalid(
                "delay",
                self.delay.min(),
                format!("the smallest delay must be at least sim.dt = {}", s.dt),
            ));
        }
        Ok(())
    }

    /// Whether population `b` is excitatory: decided by the sign of its couplings.
    pub fn is_excitatory(&self, b: usize) -> bool {
        self.j
            .iter()
            .map(|row| row[b])
            .find(|&v| v != 0.0)
            .is_none_or(|v| v > 0.0)
    }
}

/// Largest magnitude any real-valued Model parameter may have, in the crate's units
/// (mV, s, Hz, mV^2, dimensionless): the "theory input rules" of docs/theory.md section 7.
/// With every factor at most `1e12`, the mean drive, the noise variance and the latent
/// terms (products of at most five parameters, or squares of such) stay far below the
/// largest `f64` (`1.8e308`), so no intermediate of the theory overflows.
pub const MAX_MAGNITUDE: f64 = 1e12;

/// Smallest value of a parameter that must be strictly positive (`k`, `tau_m`, `tau_s`,
/// `sim.dt`, ...), in its unit (docs/theory.md section 7): below it the scale ratios of
/// the theory (e.g. `1/sqrt(k)`, `tau_s / tau_m`) would exceed `MAX_MAGNITUDE`.
pub const MIN_POSITIVE: f64 = 1e-12;

/// A number for an error message: plain where that is short, scientific otherwise
/// (a value of 1e300 printed in full is 300 digits).
pub(crate) fn num(v: f64) -> String {
    if v == 0.0 || !v.is_finite() || (1e-4..1e6).contains(&v.abs()) {
        v.to_string()
    } else {
        format!("{v:e}")
    }
}

fn finite_pos(field: &str, v: f64) -> Result<()> {
    if !v.is_finite() || !(MIN_POSITIVE..=MAX_MAGNITUDE).contains(&v) {
        return Err(Error::invalid(
            field,
            num(v),
            format!(
                "must be finite, >= {MIN_POSITIVE:e} and <= {MAX_MAGNITUDE:e} \
                 (docs/theory.md section 7)"
            ),
        ));
    }
    Ok(())
}

fn finite_nonneg(field: &str, v: f64) -> Result<()> {
    if !v.is_finite() || !(0.0..=MAX_MAGNITUDE).contains(&v) {
        return Err(Error::invalid(
            field,
            num(v),
            format!("must be finite, >= 0 and <= {MAX_MAGNITUDE:e} (docs/theory.md section 7)"),
        ));
    }
    Ok(())
}

/// A signed parameter: finite, `|v| <= MAX_MAGNITUDE`.
fn finite_bounded(field: &str, v: f64) -> Result<()> {
    if !v.is_finite() || v.abs() > MAX_MAGNITUDE {
        return Err(Error::invalid(
            field,
            num(v),
            format!("must be finite with |value| <= {MAX_MAGNITUDE:e} (docs/theory.md section 7)"),
        ));
    }
    Ok(())
}

fn validate_loadings(a: usize, l: &Loadings, d: usize, d_in: usize) -> Result<()> {
    let f = |s: &str| format!("latent.loadings[{a}].{s}");
    let check_vec = |name: &str, v: &[f64], n: usize| -> Result<()> {
        if v.len() != n {
            return Err(Error::invalid(
                f(name),
                format!("{v:?}"),
                format!("must have length {n}"),
            ));
        }
        for (i, &x) in v.iter().enumerate() {
            finite_bounded(&format!("{}[{i}]", f(name)), x)?;
        }
        Ok(())
    };
    check_vec("mbar", &l.mbar, d)?;
    check_vec("nbar", &l.nbar, d)?;
    check_vec("wbar", &l.wbar, d_in)?;
    let check_mat = |name: &str, m: &[Vec<f64>], r: usize, c: usize| -> Result<()> {
        if m.len() != r || m.iter().any(|row| row.len() != c) {
            return Err(Error::invalid(
                f(name),
                format!("{m:?}"),
                format!("must be a {r} x {c} matrix"),
            ));
        }
        for (i, row) in m.iter().enumerate() {
            for (j, &x) in row.iter().enumerate() {
                finite_bounded(&format!("{}[{i}][{j}]", f(name)), x)?;
            }
        }
        Ok(())
    };
    check_mat("sigma_mm", &l.sigma_mm, d, d)?;
    check_mat("sigma_nm", &l.sigma_nm, d, d)?;
    check_mat("sigma_nn", &l.sigma_nn, d, d)?;
    check_mat("sigma_mw", &l.sigma_mw, d, d_in)?;
    check_mat("sigma_nw", &l.sigma_nw, d, d_in)?;
    check_mat("sigma_ww", &l.sigma_ww, d_in, d_in)?;
    for (name, m) in [
        ("sigma_mm", &l.sigma_mm),
        ("sigma_nn", &l.sigma_nn),
        ("sigma_ww", &l.sigma_ww),
    ] {
        for i in 0..m.len() {
            for j in 0..i {
                let (x, y) = (m[i][j], m[j][i]);
                if (x - y).abs() > 1e-12 * (1.0 + x.abs().max(y.abs())) {
                    return Err(Error::invalid(
                        format!("{}[{i}][{j}]", f(name)),
                        x,
                        format!("must be symmetric (the transposed entry is {y})"),
                    ));
                }
            }
        }
    }
    let c = l.joint_covariance();
    if c.nrows() == 0 {
        // D = D_in = 0: nothing to decompose (nalgebra rejects an empty matrix)
        return Ok(());
    }
    let scale = c
        .diagonal()
        .iter()
        .fold(0.0f64, |acc, &v| acc.max(v.abs()))
        .max(1e-300);
    let eig = c.symmetric_eigen();
    let min = eig
        .eigenvalues
        .iter()
        .cloned()
        .fold(f64::INFINITY, f64::min);
    if min < -1e-9 * scale {
        return Err(Error::invalid(
            f("sigma_*"),
            min,
            "the joint covariance of (m, n, w) is not positive semi-definite (smallest eigenvalue shown)",
        ));
    }
    Ok(())
}

/// A parameter outside its physiological range by orders of magnitude (docs/theory.md
/// section 7, "Physiological ranges"): valid input, computed as given, but probably a unit
/// slip (a membrane time constant of 20 s meant as 20 ms gives plausible-looking rates).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RangeWarning {
    /// The parameter, as in the Model file or on the command line (e.g. `populations[0].tau_m`).
    pub parameter: String,
    /// Its value, in `unit`.
    pub value: f64,
    /// The unit the value is read in (`s`, `mV`, `Hz`).
    pub unit: String,
    /// The range `[lo, hi]` beyond which the warning is given, in `unit`.
    pub range: [f64; 2],
    /// What was probably meant.
    pub probably_meant: String,
}

impl std::fmt::Display for RangeWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} = {} {} is outside the physiological range [{}, {}] {} (docs/theory.md \
             section 7); {}",
            self.parameter,
            num(self.value),
            self.unit,
            num(self.range[0]),
            num(self.range[1]),
            self.unit,
            self.probably_meant
        )
    }
}

/// The kinds of quantity [`range_warning`] knows, with their range and the unit slips that
/// put a value beyond it (docs/theory.md section 7, "Physiological ranges").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantity {
    /// A time constant of a neuron (`tau_m`): `[1e-4, 1]` s.
    MembraneTime,
    /// A refractory period or synaptic delay: `[1e-5, 0.1]` s (0 is also accepted).
    ShortTime,
    /// The latent time constant `tau_s`: `[1e-4, 10]` s.
    LatentTime,
    /// The simulation step `dt`: `[1e-7, 1e-2]` s.
    Step,
    /// A threshold-to-reset or threshold voltage: magnitude `[0.1, 100]` mV.
    Threshold,
    /// A voltage that may be 0 or negative (reset, mean input): magnitude at most 1000 mV.
    Voltage,
    /// A firing rate: `[1e-3, 1e4]` Hz.
    Rate,
}

/// A [`RangeWarning`] if `value` of `parameter` is outside the range of its quantity.
pub fn range_warning(parameter: &str, value: f64, q: Quantity) -> Option<RangeWarning> {
    use Quantity::*;
    let (unit, lo, hi, zero_ok) = match q {
        MembraneTime => ("s", 1e-4, 1.0, false),
        ShortTime => ("s", 1e-5, 0.1, true),
        LatentTime => ("s", 1e-4, 10.0, false),
        Step => ("s", 1e-7, 1e-2, false),
        Threshold => ("mV", 0.1, 100.0, false),
        Voltage => ("mV", 0.0, 1000.0, true),
        Rate => ("Hz", 1e-3, 1e4, false),
    };
    let a = value.abs();
    if !a.is_finite() || (zero_ok && a == 0.0) || (lo..=hi).contains(&a) {
        return None;
    }
    let v = num(value);
    let probably_meant = match (unit, a > hi) {
        ("s", true) => format!(
            "times are in seconds: probably meant {v} ms = {} s",
            num(value * 1e-3)
        ),
        ("s", false) => format!(
            "times are in seconds: {v} s = {} us is shorter than any neuron's; check the unit",
            num(value * 1e6)
        ),
        ("mV", true) => format!(
            "voltages are in mV: probably meant {v} uV = {} mV",
            num(value * 1e-3)
        ),
        ("mV", false) => format!(
            "voltages are in mV: probably meant {v} V = {} mV",
            num(value * 1e3)
        ),
        (_, true) => format!(
            "rates are in Hz per neuron (per external train for nu0): {v} Hz is beyond any \
             neuron's rate; a total over all inputs given as one train's rate?"
        ),
        (_, false) => format!(
            "rates are in Hz: probably meant {v} kHz = {} Hz",
            num(value * 1e3)
        ),
    };
    Some(RangeWarning {
        parameter: parameter.to_string(),
        value,
        unit: unit.to_string(),
        range: [lo, hi],
        probably_meant,
    })
}

/// Warnings for the parameters of one LIF neuron (`tau_m`, `tau_ref` in s, `theta`,
/// `v_reset` in mV), named `<prefix>tau_m` etc.
pub fn lif_range_warnings(
    prefix: &str,
    tau_m: f64,
    tau_ref: f64,
    theta: f64,
    v_reset: f64,
) -> Vec<RangeWarning> {
    use Quantity::*;
    [
        (format!("{prefix}tau_m"), tau_m, MembraneTime),
        (format!("{prefix}tau_ref"), tau_ref, ShortTime),
        (format!("{prefix}theta"), theta, Threshold),
        (format!("{prefix}v_reset"), v_reset, Voltage),
    ]
    .into_iter()
    .filter_map(|(p, v, q)| range_warning(&p, v, q))
    .collect()
}

impl Model {
    /// Every parameter outside its physiological range by orders of magnitude (docs/theory.md
    /// section 7, "Physiological ranges"): the neurons' `tau_m`, `tau_ref`, `theta`,
    /// `v_reset`, the external rate `nu0`, the delays, `tau_s` and `sim.dt`. The Model
    /// stays valid; the caller decides how to report them.
    pub fn range_warnings(&self) -> Vec<RangeWarning> {
        use Quantity::*;
        let mut w: Vec<RangeWarning> = self
            .populations
            .iter()
            .enumerate()
            .flat_map(|(a, p)| {
                lif_range_warnings(
                    &format!("populations[{a}]."),
                    p.tau_m,
                    p.tau_ref,
                    p.theta,
                    p.v_reset,
                )
            })
            .collect();
        let mut more = vec![
            ("external.nu0", self.external.nu0, Rate),
            ("sim.dt", self.sim.dt, Step),
        ];
        match self.delay {
            Delay::Fixed { d } => more.push(("delay.d", d, ShortTime)),
            Delay::Uniform { min, max } => {
                more.push(("delay.min", min, ShortTime));
                more.push(("delay.max", max, ShortTime));
            }
        }
        if let Some(l) = &self.latent
            && l.d > 0
        {
            more.push(("latent.tau_s", l.tau_s, LatentTime));
        }
        w.extend(
            more.into_iter()
                .filter_map(|(p, v, q)| range_warning(p, v, q)),
        );
        w
    }
}
