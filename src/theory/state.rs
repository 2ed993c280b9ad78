//! The plain result types every layer of the theory passes up (docs/theory.md 2.4): the
//! mode of the fast variables and a stationary state with its per-population quantities.

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::Model;

/// Which mean-field equations close `mu_A` (docs/theory.md 2.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    /// Finite K: `mu_A` from its definition in 2.1.
    #[default]
    Finite,
    /// `K -> infinity` at fixed `c_B`, `p_B`: rates from the linear balance, `mu_A` unknown.
    Balanced,
}

impl std::fmt::Display for Limit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Limit::Finite => "finite",
            Limit::Balanced => "balanced",
        })
    }
}

impl std::str::FromStr for Limit {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "finite" => Ok(Limit::Finite),
            "balanced" => Ok(Limit::Balanced),
            _ => Err(Error::invalid("limit", s, "must be `finite` or `balanced`")),
        }
    }
}

/// Mean-field quantities of one population in a stationary state. Units in the names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PopulationState {
    /// Population name.
    pub name: String,
    /// Population rate `nu_A` (Hz).
    pub rate_hz: f64,
    /// Mean squared rate `q_A` (Hz^2).
    pub q_hz2: f64,
    /// Mean drive `mu_A` (mV).
    pub mu_mv: f64,
    /// Temporal noise `sigma_A` (mV).
    pub sigma_mv: f64,
    /// Quenched variance from the random connectivity `beta_A` (mV^2).
    pub quenched_var_mv2: f64,
    /// Population mean input `M_A` (mV).
    pub mean_input_mv: f64,
    /// Total variance of the input across neurons `Delta_A` (mV^2).
    pub delta_mv2: f64,
    /// Mean gain `E[dPhi/dmu]` (Hz/mV).
    pub gain_hz_per_mv: f64,
    /// Population mean of the time-averaged membrane potential (mV), docs/theory.md 2.6.1.
    pub mean_v_mv: f64,
    /// Effective presynaptic Fano factor of this population's spike trains used by the
    /// noise closure (1 for Poisson; `E[nu CV^2]/nu` for renewal), docs/theory.md 2.1.
    #[serde(default = "one")]
    pub fano: f64,
    /// The correlated closure's presynaptic Fano factors as a function of this
    /// population's neurons' own mean input (docs/theory.md 6.6.11); `None` for the other
    /// closures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub input_fano: Option<InputFano>,
    /// `ln nu_A`, finite even where the rate underflows (used by the solvers).
    #[serde(skip, default)]
    pub(crate) ln_rate: f64,
}

fn one() -> f64 {
    1.0
}

/// A stationary state of the fast variables at given `kappa` and `s`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Finite K or balanced limit.
    pub limit: Limit,
    /// Latent state `kappa` (Hz).
    pub kappa: Vec<f64>,
    /// Latent input `s` (dimensionless).
    pub s: Vec<f64>,
    /// Per population, in Model order.
    pub populations: Vec<PopulationState>,
    /// Largest residual of the self-consistency equations at convergence.
    pub residual: f64,
}

impl State {
    /// Population rates `nu_A` (Hz).
    pub fn rates(&self) -> Vec<f64> {
        self.populations.iter().map(|p| p.rate_hz).collect()
    }
    /// Effective Fano factors of the noise closure, one per population.
    pub fn fano(&self) -> Vec<f64> {
        self.populations.iter().map(|p| p.fano).collect()
    }
    /// Mean gains (Hz/mV).
    pub fn gains(&self) -> Vec<f64> {
        self.populations.iter().map(|p| p.gain_hz_per_mv).collect()
    }
    /// `F(kappa, s)` at this state (docs/theory.md 2.3).
    pub fn latent_map(&self, model: &Model) -> Vec<f64> {
        super::inputs::latent_map(model, &self.kappa, &self.s, &self.rates(), &self.gains())
    }
}

/// The Fano factors that a neuron of one receiving population sees, as a function of its
/// own mean input (docs/theory.md 6.6.11, computed by `theory::correlated::input_fano`): on a grid of mean inputs `x_mv`, the
/// Fano factor of each presynaptic population, (6.6.6) with `chi_2` and
/// `d nu/d sigma^2` of the receiving neuron at `x` and at its own noise.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InputFano {
    /// Mean inputs of the grid (mV), increasing.
    pub x_mv: Vec<f64>,
    /// Per grid point, the Fano factor of each presynaptic population.
    pub fano: Vec<Vec<f64>>,
    /// Per grid point, `ln(nu_H / nu_C)`: rule `H` (docs/theory.md 6.6.12) against the
    /// shot noise at `fano` (empty: no correction, e.g. with the Siegert transfer).
    #[serde(default)]
    pub ln_rate_correction: Vec<f64>,
    /// Per grid point, the mean potential of rule `H` minus that of the shot noise at
    /// `fano` (mV; empty: none).
    #[serde(default)]
    pub mean_v_correction: Vec<f64>,
    /// The Hawkes sources' rate (Hz), `S(0)/nu` and `tau_c` (s), per presynaptic
    /// population, at which the corrections were computed (empty: none).
    #[serde(default)]
    pub correction_basis: Vec<f64>,
    /// Grid points on either side of the middle at which the corrections were computed
    /// (beyond, the nearest computed ones; 0 without corrections).
    #[serde(default)]
    pub correction_reach: usize,
}

impl InputFano {
    /// The Fano factors at mean input `x` (mV): linear interpolation on the grid,
    /// constant beyond its ends.
    pub fn at(&self, x: f64) -> Vec<f64> {
        let (k, w) = self.segment(x);
        if w == 0.0 {
            return self.fano[k].clone();
        }
        self.fano[k]
            .iter()
            .zip(&self.fano[k + 1])
            .map(|(a, b)| a + w * (b - a))
            .collect()
    }

    /// The corrections of rule `H` at `x` (linear interpolation, constant beyond the
    /// ends): `(ln-rate correction, its slope d/dx in 1/mV, mean-potential correction in
    /// mV)`; zeros without corrections.
    pub fn correction_at(&self, x: f64) -> (f64, f64, f64) {
        let (c, d) = (&self.ln_rate_correction, &self.mean_v_correction);
        if c.len() != self.x_mv.len() || d.len() != self.x_mv.len() || c.is_empty() {
            return (0.0, 0.0, 0.0);
        }
        let (k, w) = self.segment(x);
        if w == 0.0 {
            return (c[k], 0.0, d[k]);
        }
        let dx = self.x_mv[k + 1] - self.x_mv[k];
        (
            c[k] + w * (c[k + 1] - c[k]),
            (c[k + 1] - c[k]) / dx,
            d[k] + w * (d[k + 1] - d[k]),
        )
    }

    /// The grid segment of `x`: [`grid_segment`] on `x_mv`.
    pub fn segment(&self, x: f64) -> (usize, f64) {
        grid_segment(&self.x_mv, x)
    }
}

/// The segment `k` and weight `w` of `x` on the increasing grid `xs`:
/// `x = (1 - w) x_k + w x_{k+1}`, clamped to `[0, 1]` beyond the ends (`k` is the last
/// index with `w = 0` above; `(0, 0)` for a grid of fewer than two points or NaN).
pub fn grid_segment(xs: &[f64], x: f64) -> (usize, f64) {
    let n = xs.len();
    if n < 2 || !(x > xs[0]) {
        return (0, 0.0);
    }
    if x >= xs[n - 1] {
        return (n - 1, 0.0);
    }
    let k = xs.partition_point(|&v| v <= x) - 1;
    (k, (x - xs[k]) / (xs[k + 1] - xs[k]))
}
