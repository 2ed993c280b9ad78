//! The low-rank rate network of Mastrogiuseppe & Ostojic (2018, Neuron 99:609), the
//! baseline the balanced spiking network is compared with (docs/theory.md section 10):
//!
//! ```text
//! tau dx_i/dt = -x_i + sum_j J_ij phi(x_j) + I_i(t),   J_ij = g chi_ij + (1/N) sum_r m_i^(r) n_j^(r),
//! chi_ij ~ N(0, 1/N),   I_i(t) = sum_k w_i^(k) s_k(t),   phi = tanh or threshold-linear.
//! ```
//!
//! The loadings `(m^(1..R), n^(1..R), w^(1..D_in))` of each unit are jointly Gaussian and
//! i.i.d. across units, with given means and covariance ([`RateNetSpec`]); a
//! [`RateNetwork`] is a validated spec, the one object that [`theory`] (the stationary
//! mean-field solutions, their stability and the latent dynamics, docs/theory.md 10.2-10.4),
//! [`sim`] (the network itself, docs/theory.md 10.5) and [`tuning`] (units sampled across
//! conditions, docs/theory.md 10.7) all read.
//!
//! This module is dimensionless apart from time: `x`, `phi`, `kappa`, loadings and
//! inputs carry no unit; `tau`, time steps and durations are in seconds. It imports
//! only the numerics (`quad`, `theory::newton`) and `error`, never the balanced theory
//! or the spiking simulator (docs/architecture.md).

pub mod sim;
pub mod theory;
pub mod tuning;

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Largest rank `R` and input dimension `D_in` accepted (the theory's Newton solves and
/// the multi-start search grow with `R`; M&O 2018 use `R <= 2`).
pub const MAX_RANK: usize = 8;

/// Single-unit transfer function `phi` (docs/theory.md 10.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateTransfer {
    /// `phi(x) = tanh(x)` (the choice of Mastrogiuseppe & Ostojic 2018).
    Tanh,
    /// `phi(x) = max(x, 0)` (threshold-linear; unbounded, so large `g` or strong
    /// structure can make the activity run away: the theory then finds no solution).
    ThresholdLinear,
}

impl RateTransfer {
    /// `phi(x)`.
    #[inline]
    pub fn phi(self, x: f64) -> f64 {
        match self {
            RateTransfer::Tanh => x.tanh(),
            RateTransfer::ThresholdLinear => x.max(0.0),
        }
    }

    /// `phi'(x)` (for threshold-linear 1 for `x > 0`, else 0).
    #[inline]
    pub fn dphi(self, x: f64) -> f64 {
        match self {
            RateTransfer::Tanh => {
                let c = x.cosh();
                if c.is_finite() { 1.0 / (c * c) } else { 0.0 }
            }
            RateTransfer::ThresholdLinear => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }

    /// Inputs where `phi` has a kink (the quadratures split there).
    pub(crate) fn breakpoints(self) -> &'static [f64] {
        match self {
            RateTransfer::Tanh => &[],
            RateTransfer::ThresholdLinear => &[0.0],
        }
    }

    /// Bound on `|phi|` (for the search box of the theory), `None` if unbounded.
    pub(crate) fn bound(self) -> Option<f64> {
        match self {
            RateTransfer::Tanh => Some(1.0),
            RateTransfer::ThresholdLinear => None,
        }
    }
}

/// The description of a low-rank rate network (docs/theory.md 10.1), before validation.
///
/// The loading vector of a unit is `(m_1..m_R, n_1..n_R, w_1..w_Din)`: `mean` has length
/// `2R + D_in` and `cov` is its `(2R + D_in) x (2R + D_in)` covariance, symmetric and
/// positive semi-definite. `Cov(n_r, m_s)` is the overlap that drives the structured
/// feedback (`m^(s) . n^(r) / N -> M_m_s M_n_r + Cov(n_r, m_s)`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RateNetSpec {
    /// Rank `R >= 1` of the structured part.
    pub rank: usize,
    /// Number `D_in >= 0` of input vectors `w^(k)`.
    pub inputs: usize,
    /// Strength `g >= 0` of the random part `g chi`.
    pub g: f64,
    /// Time constant of a unit (s).
    pub tau: f64,
    /// Transfer function.
    pub transfer: RateTransfer,
    /// Means of `(m_1..m_R, n_1..n_R, w_1..w_Din)`.
    pub mean: Vec<f64>,
    /// Covariance of `(m_1..m_R, n_1..n_R, w_1..w_Din)` (rows of the matrix).
    pub cov: Vec<Vec<f64>>,
}

/// A validated [`RateNetSpec`] with the factor used to draw loadings.
#[derive(Clone, Debug, PartialEq)]
pub struct RateNetwork {
    spec: RateNetSpec,
    /// `L` with `L L^T = cov` (symmetric square root of the clipped eigen-decomposition,
    /// so singular covariances, e.g. an unused `n` variance, are allowed).
    factor: DMatrix<f64>,
}

/// Entries larger than this in magnitude are rejected (they overflow `phi` arguments).
const MAX_ENTRY: f64 = 1e6;

impl RateNetwork {
    /// Validate a spec (docs/theory.md 10.1).
    ///
    /// # Errors
    ///
    /// [`Error::Invalid`] naming the field if `rank` is 0 or above [`MAX_RANK`], `inputs`
    /// above [`MAX_RANK`], `g` negative or not finite, `tau` not positive, `mean` or
    /// `cov` of the wrong shape, any entry not finite or above `1e6` in magnitude, `cov`
    /// not symmetric (relative `1e-12`) or not positive semi-definite (an eigenvalue below
    /// `-1e-10` times the largest).
    pub fn new(spec: RateNetSpec) -> Result<Self> {
        if spec.rank == 0 || spec.rank > MAX_RANK {
            return Err(Error::invalid(
                "rank",
                spec.rank,
                format!("must be in 1..={MAX_RANK}"),
            ));
        }
        if spec.inputs > MAX_RANK {
            return Err(Error::invalid(
                "inputs",
                spec.inputs,
                format!("must be <= {MAX_RANK}"),
            ));
        }
        if !(spec.g.is_finite() && spec.g >= 0.0 && spec.g <= MAX_ENTRY) {
            return Err(Error::invalid(
                "g",
                spec.g,
                "must be finite, >= 0 and <= 1e6",
            ));
        }
        if !(spec.tau.is_finite() && spec.tau > 0.0 && spec.tau <= MAX_ENTRY) {
            return Err(Error::invalid(
                "tau",
                spec.tau,
                "time constant must be finite and > 0 (s)",
            ));
        }
        let k = 2 * spec.rank + spec.inputs;
        if spec.mean.len() != k {
            return Err(Error::invalid(
                "mean",
                spec.mean.len(),
                format!("needs 2 rank + inputs = {k} entries (m, n, w)"),
            ));
        }
        for (i, &v) in spec.mean.iter().enumerate() {
            if !(v.is_finite() && v.abs() <= MAX_ENTRY) {
                return Err(Error::invalid(
                    format!("mean[{i}]"),
                    v,
                    "must be finite with magnitude <= 1e6",
                ));
            }
        }
        if spec.cov.len() != k || spec.cov.iter().any(|r| r.len() != k) {
            return Err(Error::invalid(
                "cov",
                format!("{} rows", spec.cov.len()),
                format!("must be a {k} x {k} matrix (m, n, w)"),
            ));
        }
        let mut c = DMatrix::zeros(k, k);
        for i in 0..k {
            for j in 0..k {
                let v = spec.cov[i][j];
                if !(v.is_finite() && v.abs() <= MAX_ENTRY) {
                    return Err(Error::invalid(
                        format!("cov[{i}][{j}]"),
                        v,
                        "must be finite with magnitude <= 1e6",
                    ));
                }
                c[(i, j)] = v;
            }
        }
        let scale = c.iter().fold(0.0f64, |a, v| a.max(v.abs()));
        for i in 0..k {
            for j in 0..i {
                if (c[(i, j)] - c[(j, i)]).abs() > 1e-12 * scale.max(1e-300) {
                    return Err(Error::invalid(
                        format!("cov[{i}][{j}]"),
                        c[(i, j)],
                        format!(
                            "covariance must be symmetric (cov[{j}][{i}] = {})",
                            c[(j, i)]
                        ),
                    ));
                }
            }
        }
        let eig = c.clone().symmetric_eigen();
        let top = eig.eigenvalues.iter().fold(0.0f64, |a, &v| a.max(v));
        let low = eig.eigenvalues.iter().fold(f64::INFINITY, |a, &v| a.min(v));
        if low < -1e-10 * top.max(1e-300) {
            return Err(Error::invalid(
                "cov",
                format!("smallest eigenvalue {low:.3e}"),
                "covariance must be positive semi-definite (Gaussian loadings)",
            ));
        }
        let sqrt_eig =
            DVector::from_iterator(k, eig.eigenvalues.iter().map(|&v| v.max(0.0).sqrt()));
        let factor = &eig.eigenvectors * DMatrix::from_diagonal(&sqrt_eig);
        Ok(RateNetwork { spec, factor })
    }

    /// A rank-one network without inputs: `m ~ N(m_mean, m_sd^2)`, `n ~ N(n_mean, n_sd^2)`,
    /// `Cov(m, n) = cov_mn` (docs/theory.md 10.1; Mastrogiuseppe & Ostojic 2018, Fig. 1).
    ///
    /// # Errors
    ///
    /// As [`RateNetwork::new`] (for instance `|cov_mn| > m_sd n_sd`).
    pub fn rank_one(
        g: f64,
        tau: f64,
        transfer: RateTransfer,
        (m_mean, m_sd): (f64, f64),
        (n_mean, n_sd): (f64, f64),
        cov_mn: f64,
    ) -> Result<Self> {
        RateNetwork::new(RateNetSpec {
            rank: 1,
            inputs: 0,
            g,
            tau,
            transfer,
            mean: vec![m_mean, n_mean],
            cov: vec![vec![m_sd * m_sd, cov_mn], vec![cov_mn, n_sd * n_sd]],
        })
    }

    /// The spec this network was built from.
    pub fn spec(&self) -> &RateNetSpec {
        &self.spec
    }

    /// Rank `R`.
    pub fn rank(&self) -> usize {
        self.spec.rank
    }

    /// Input dimension `D_in`.
    pub fn inputs(&self) -> usize {
        self.spec.inputs
    }

    /// Random strength `g`.
    pub fn g(&self) -> f64 {
        self.spec.g
    }

    /// Time constant (s).
    pub fn tau(&self) -> f64 {
        self.spec.tau
    }

    /// Transfer function.
    pub fn transfer(&self) -> RateTransfer {
        self.spec.transfer
    }

    /// Index of `m_r` in the loading vector.
    pub(crate) fn im(&self, r: usize) -> usize {
        r
    }

    /// Index of `n_r` in the loading vector.
    pub(crate) fn in_(&self, r: usize) -> usize {
        self.spec.rank + r
    }

    /// Index of `w_k` in the loading vector.
    pub(crate) fn iw(&self, k: usize) -> usize {
        2 * self.spec.rank + k
    }

    /// Mean of loading `i`.
    pub(crate) fn mean(&self, i: usize) -> f64 {
        self.spec.mean[i]
    }

    /// Covariance of loadings `i`, `j`.
    pub(crate) fn cov(&self, i: usize, j: usize) -> f64 {
        self.spec.cov[i][j]
    }

    /// The factor `L` (`L L^T = cov`) used to draw loadings.
    pub(crate) fn factor(&self) -> &DMatrix<f64> {
        &self.factor
    }

    /// The same network with other loading moments (for instance the moments actually
    /// drawn in a simulation, [`sim::RateSimResult::loading_mean`]).
    ///
    /// # Errors
    ///
    /// As [`RateNetwork::new`].
    pub fn with_moments(&self, mean: Vec<f64>, cov: Vec<Vec<f64>>) -> Result<Self> {
        RateNetwork::new(RateNetSpec {
            mean,
            cov,
            ..self.spec.clone()
        })
    }

    /// Check an input vector `s` (length `D_in`, finite).
    pub(crate) fn check_s(&self, s: &[f64]) -> Result<()> {
        if s.len() != self.spec.inputs {
            return Err(Error::invalid(
                "s",
                s.len(),
                format!(
                    "input needs {} entries (one per input vector w)",
                    self.spec.inputs
                ),
            ));
        }
        if let Some(v) = s.iter().find(|v| !(v.is_finite() && v.abs() <= MAX_ENTRY)) {
            return Err(Error::invalid(
                "s",
                v,
                "inputs must be finite with magnitude <= 1e6",
            ));
        }
        Ok(())
    }

    /// Check a latent vector `kappa` (length `R`, finite).
    pub(crate) fn check_kappa(&self, kappa: &[f64]) -> Result<()> {
        if kappa.len() != self.spec.rank {
            return Err(Error::invalid(
                "kappa",
                kappa.len(),
                format!("latent state needs {} entries (the rank)", self.spec.rank),
            ));
        }
        if let Some(v) = kappa
            .iter()
            .find(|v| !(v.is_finite() && v.abs() <= MAX_ENTRY))
        {
            return Err(Error::invalid(
                "kappa",
                v,
                "latent entries must be finite with magnitude <= 1e6",
            ));
        }
        Ok(())
    }
}
