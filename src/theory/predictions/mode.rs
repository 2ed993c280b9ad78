//! How a prediction re-solves the fast variables (`nu_A`, `q_A`, `mu_A`) at a latent
//! state: the two modes of docs/theory.md 2.4, or `mu_A` held fixed (the "unbalanced mode" of a
//! standard low-rank network, docs/theory.md 2.6.4, and the Mastrogiuseppe-Ostojic setting of
//! docs/theory.md section 4).

use std::cell::RefCell;

use argmin::core::{CostFunction, Executor, State as _};
use argmin::solver::brent::BrentRoot;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::gauss;
use crate::model::Model;
use crate::theory::inputs::{latent_input, quenched_cross};
use crate::theory::stationary::{
    self, Equations, Limit, PopulationState, State, population_transfer,
};

/// The closure of the fast variables used when a prediction solves a state.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FastMode {
    /// docs/theory.md 2.4: `mu_A` from its definition (finite K) or from fixed balanced rates
    /// (balanced limit); quenched variance `beta_A` from the connectivity (2.1).
    Network {
        /// Finite K or balanced limit.
        limit: Limit,
    },
    /// `mu_A` held at `mu_mv` (mV); the rates, `q_A` and `sigma_A` are solved. With
    /// `quenched = false` the quenched variance is only `beta_ext,A` (docs/theory.md section 4:
    /// Mastrogiuseppe & Ostojic with `beta = 0` when `beta_ext = 0`).
    FixedMu {
        /// `mu_A` per population (mV).
        mu_mv: Vec<f64>,
        /// Solve `beta_A` from the connectivity (docs/theory.md 2.1); `false`: `beta_ext,A` only.
        quenched: bool,
    },
    /// The "unbalanced mode" of docs/theory.md 2.6.4: `mu_A` held at `mu_mv` (mV) and the
    /// quenched variance frozen at `beta_mv2` (mV^2, including `beta_ext`): every neuron keeps
    /// the same quenched field `sqrt(beta_A) z_i` in every latent state. `sigma_mv`: the
    /// temporal noise (mV) frozen too (a fixed transfer function, the standard low-rank rate
    /// network `Phi(const + tau_m m_i . kappa)`), or `None` to let it follow the population
    /// rates through docs/theory.md 2.1 (as `stationary::solve_fixed_mu` does).
    Unbalanced {
        /// Frozen `mu_A` per population (mV).
        mu_mv: Vec<f64>,
        /// Frozen quenched variance `beta_A` per population (mV^2, `beta_ext` included).
        beta_mv2: Vec<f64>,
        /// Frozen temporal noise `sigma_A` per population (mV), or `None` to follow the rates.
        sigma_mv: Option<Vec<f64>>,
    },
}

impl FastMode {
    /// The network's own closure in `limit` (docs/theory.md 2.4).
    pub fn network(limit: Limit) -> Self {
        FastMode::Network { limit }
    }

    /// The unbalanced mode of docs/theory.md 2.6.4 frozen at a reference state (normally the
    /// `kappa = 0` state of the network): `mu_A` and `beta_A` from `reference`, and
    /// `sigma_A` too if `freeze_noise`.
    pub fn unbalanced_at(reference: &State, freeze_noise: bool) -> Self {
        let pops = &reference.populations;
        FastMode::Unbalanced {
            mu_mv: pops.iter().map(|p| p.mu_mv).collect(),
            beta_mv2: pops.iter().map(|p| p.quenched_var_mv2).collect(),
            sigma_mv: freeze_noise.then(|| pops.iter().map(|p| p.sigma_mv).collect()),
        }
    }

    /// A short description for reports: every number names its mode.
    pub fn label(&self) -> String {
        match self {
            FastMode::Network {
                limit: Limit::Finite,
            } => "finite K".into(),
            FastMode::Network {
                limit: Limit::Balanced,
            } => "balanced limit".into(),
            FastMode::FixedMu { quenched: true, .. } => {
                "fixed mu (finite K, quenched variance solved)".into()
            }
            FastMode::FixedMu {
                quenched: false, ..
            } => "fixed mu (finite K, quenched variance beta_ext only)".into(),
            FastMode::Unbalanced { sigma_mv: None, .. } => {
                "unbalanced (mu and beta frozen, noise follows rates)".into()
            }
            FastMode::Unbalanced {
                sigma_mv: Some(_), ..
            } => "unbalanced (mu, beta and noise frozen)".into(),
        }
    }

    /// Check the per-population vectors against the Model.
    pub fn validate(&self, model: &Model) -> Result<()> {
        let p = model.p();
        let check = |field: &str, v: &[f64], positive: bool| -> Result<()> {
            if v.len() != p {
                return Err(Error::invalid(
                    field,
                    format!("{v:?}"),
                    format!("needs one value per population ({p})"),
                ));
            }
            if let Some(x) = v.iter().find(|x| !x.is_finite() || (positive && **x < 0.0)) {
                let rule = if positive {
                    "must be finite and >= 0"
                } else {
                    "must be finite"
                };
                return Err(Error::invalid(field, x, rule));
            }
            Ok(())
        };
        match self {
            FastMode::Network { .. } => Ok(()),
            FastMode::FixedMu { mu_mv, .. } => check("mode.mu_mv", mu_mv, false),
            FastMode::Unbalanced {
                mu_mv,
                beta_mv2,
                sigma_mv,
            } => {
                check("mode.mu_mv", mu_mv, false)?;
                check("mode.beta_mv2", beta_mv2, true)?;
                if let Some(s) = sigma_mv {
                    check("mode.sigma_mv", s, true)?;
                    if let Some(x) = s.iter().find(|x| **x <= 0.0) {
                        return Err(Error::invalid("mode.sigma_mv", x, "must be > 0"));
                    }
                }
                Ok(())
            }
        }
    }

    /// Solve the fast variables at `(kappa, s)` in this mode (docs/theory.md 2.1-2.4 with the
    /// closure above), warm-started from `guess`.
    pub fn solve(
        &self,
        model: &Model,
        kappa: &[f64],
        s: &[f64],
        guess: Option<&State>,
    ) -> Result<State> {
        self.validate(model)?;
        crate::theory::check_inputs(model, kappa, s)?;
        stationary::check_guess(model, guess)?;
        match self {
            FastMode::Network { limit } => stationary::solve_valid(model, *limit, kappa, s, guess),
            FastMode::FixedMu { mu_mv, quenched } => stationary::solve_fixed_mu_valid(
                model,
                mu_mv,
                kappa,
                s,
                guess,
                &Equations {
                    quenched: *quenched,
                },
            ),
            FastMode::Unbalanced {
                mu_mv,
                beta_mv2,
                sigma_mv: None,
            } => {
                // beta frozen = beta_ext of a copy of the Model, with the connectivity term switched off
                let frozen = frozen_beta_model(model, beta_mv2);
                stationary::solve_fixed_mu_valid(
                    &frozen,
                    mu_mv,
                    kappa,
                    s,
                    guess,
                    &Equations { quenched: false },
                )
            }
            FastMode::Unbalanced {
                mu_mv,
                beta_mv2,
                sigma_mv: Some(sigma),
            } => Ok(frozen_state(model, mu_mv, beta_mv2, sigma, kappa, s)),
        }
    }

    /// The quenched part `beta_A^{ab}` (mV^2) of the cross-covariance of the inputs in two
    /// states (docs/theory.md 2.6.4) given `nu_prod[B] = nu_B^a nu_B^b` (Hz^2) and the cross
    /// moments `cross[B] = E[Phi_B(x^a) Phi_B(x^b)]` (Hz^2). In the unbalanced mode the
    /// quenched field is frozen, so it is the same `beta_A` in every state.
    pub fn quenched_cross(&self, model: &Model, a: usize, nu_prod: &[f64], cross: &[f64]) -> f64 {
        match self {
            FastMode::Network { .. } | FastMode::FixedMu { quenched: true, .. } => {
                quenched_cross(model, a, nu_prod, cross)
            }
            FastMode::FixedMu {
                quenched: false, ..
            } => model.populations[a].beta_ext,
            FastMode::Unbalanced { beta_mv2, .. } => beta_mv2[a],
        }
    }

    /// Whether the quenched variance depends on the rates (so that the two-state equations of
    /// docs/theory.md 2.6.4 have to be solved self-consistently).
    pub fn quenched_is_dynamic(&self) -> bool {
        matches!(
            self,
            FastMode::Network { .. } | FastMode::FixedMu { quenched: true, .. }
        )
    }
}

/// Solve the fast variables along the path by continuation outwards from the point
/// closest to `kappa = 0`.
pub(crate) fn solve_path(
    model: &Model,
    mode: &FastMode,
    path: &[Vec<f64>],
    s: &[f64],
) -> Result<Vec<State>> {
    let norm = |k: &[f64]| k.iter().map(|v| v * v).sum::<f64>();
    let start = (0..path.len())
        .min_by(|&i, &j| norm(&path[i]).total_cmp(&norm(&path[j])))
        .unwrap_or(0);
    let mut states: Vec<Option<State>> = vec![None; path.len()];
    let first = mode.solve(model, &path[start], s, None)?;
    states[start] = Some(first.clone());
    let mut prev = first.clone();
    for i in start + 1..path.len() {
        let st = mode.solve(model, &path[i], s, Some(&prev))?;
        states[i] = Some(st.clone());
        prev = st;
    }
    prev = first;
    for i in (0..start).rev() {
        let st = mode.solve(model, &path[i], s, Some(&prev))?;
        states[i] = Some(st.clone());
        prev = st;
    }
    Ok(states.into_iter().flatten().collect())
}

fn frozen_beta_model(model: &Model, beta: &[f64]) -> Model {
    let mut m = model.clone();
    for (pop, &b) in m.populations.iter_mut().zip(beta) {
        pop.beta_ext = b;
    }
    m
}

/// A state with every input statistic given: no self-consistency is left (docs/theory.md 2.3
/// evaluated once).
fn frozen_state(
    model: &Model,
    mu: &[f64],
    beta: &[f64],
    sigma: &[f64],
    kappa: &[f64],
    s: &[f64],
) -> State {
    let populations = (0..model.p())
        .map(|a| {
            let (shift, lvar) = latent_input(model, a, kappa, s);
            let mean = mu[a] + shift;
            let delta = beta[a] + lvar;
            let t = population_transfer(model, a, sigma[a]);
            let m = gauss::moments(t.as_ref(), mean, delta);
            PopulationState {
                name: model.populations[a].name.clone(),
                rate_hz: m.nu,
                q_hz2: m.q,
                mu_mv: mu[a],
                sigma_mv: sigma[a],
                quenched_var_mv2: beta[a],
                mean_input_mv: mean,
                delta_mv2: delta,
                gain_hz_per_mv: m.gain,
                mean_v_mv: m.mean_v,
                fano: 1.0,
                input_fano: None,
                ln_rate: m.nu.max(1e-300).ln(),
            }
        })
        .collect();
    State {
        limit: Limit::Finite,
        kappa: kappa.to_vec(),
        s: s.to_vec(),
        populations,
        residual: 0.0,
    }
}

/// `G(kappa) = F(kappa, s)` (Hz) of docs/theory.md 2.3 with the fast variables solved in `mode`
/// (the reduced map of docs/theory.md 2.5 for any closure), and the fast state.
pub fn reduced_map_mode(
    model: &Model,
    mode: &FastMode,
    kappa: &[f64],
    s: &[f64],
    guess: Option<&State>,
) -> Result<(Vec<f64>, State)> {
    let st = mode.solve(model, kappa, s, guess)?;
    let g = st.latent_map(model);
    if g.iter().any(|v| !v.is_finite()) {
        return Err(Error::Domain(format!(
            "F(kappa) is not finite at kappa = {kappa:?} ({}): {g:?}",
            mode.label()
        )));
    }
    Ok((g, st))
}

struct Residual1D<'a> {
    model: &'a Model,
    mode: &'a FastMode,
    s: &'a [f64],
    guess: RefCell<Option<State>>,
}

impl CostFunction for Residual1D<'_> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, k: &f64) -> std::result::Result<f64, argmin::core::Error> {
        let g = self.guess.borrow().clone();
        let (f, st) = reduced_map_mode(self.model, self.mode, &[*k], self.s, g.as_ref())?;
        *self.guess.borrow_mut() = Some(st);
        Ok(f[0] - k)
    }
}

/// A latent fixed point `kappa = F(kappa, s)` of a `D = 1` model inside the bracket
/// `[lo, hi]` (Hz), fast variables solved in `mode` (docs/theory.md 2.4), by argmin's Brent root
/// finder to `1e-11` Hz. `F(kappa) - kappa` must change sign over the bracket.
pub fn latent_root_1d(
    model: &Model,
    mode: &FastMode,
    s: &[f64],
    lo: f64,
    hi: f64,
) -> Result<State> {
    if model.d() != 1 {
        return Err(Error::invalid(
            "latent.d",
            model.d(),
            "a 1-D latent root needs D = 1",
        ));
    }
    if !(lo.is_finite() && hi.is_finite() && lo < hi) {
        return Err(Error::invalid(
            "bracket",
            format!("[{lo}, {hi}]"),
            "must be finite with lo < hi",
        ));
    }
    let (flo, slo) = reduced_map_mode(model, mode, &[lo], s, None)?;
    let (fhi, _) = reduced_map_mode(model, mode, &[hi], s, Some(&slo))?;
    let (rlo, rhi) = (flo[0] - lo, fhi[0] - hi);
    if rlo == 0.0 {
        return Ok(slo);
    }
    if rlo.signum() == rhi.signum() {
        return Err(Error::invalid(
            "bracket",
            format!("[{lo}, {hi}]"),
            format!(
                "F(kappa) - kappa has the same sign at both ends ({rlo:.4e}, {rhi:.4e}; {})",
                mode.label()
            ),
        ));
    }
    let problem = Residual1D {
        model,
        mode,
        s,
        guess: RefCell::new(Some(slo.clone())),
    };
    let res = Executor::new(problem, BrentRoot::new(lo, hi, 1e-11))
        .configure(|st| st.max_iters(200))
        .run()
        .map_err(|e| Error::NoConvergence {
            what: format!("latent root in [{lo}, {hi}] ({}): {e}", mode.label()),
            iterations: 200,
            residual: f64::NAN,
        })?;
    let k = *res.state().get_best_param().unwrap_or(&lo);
    mode.solve(model, &[k], s, Some(&slo))
}
