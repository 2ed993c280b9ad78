//! Two-state theory (docs/theory.md 2.6.4): the inputs `(x_i^a, x_i^b)` of one neuron in two
//! latent states are jointly Gaussian across neurons with cross-covariance
//!
//! `C_A^{ab} = beta_A^{ab} + tau_m^2 kappa_a' Smm kappa_b + s_a' Sww s_b
//!            + tau_m (kappa_a' Smw s_b + kappa_b' Smw s_a)`,
//!
//! where `beta_A^{ab}` is the quenched variance of 2.1 with `q_B` replaced by the cross
//! moment `E[Phi_B(x^a) Phi_B(x^b)]` (solved self-consistently). From it follow the
//! correlation across neurons of the inputs and of the rates (the signal correlation).

use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::bivariate::{cross_moment, rate_spectrum, spectral_variance};
use super::mode::FastMode;
use crate::error::{Error, Result};
use crate::model::Model;
use crate::theory::newton::{self, NewtonOptions};
use crate::theory::stationary::State;

/// Two-state statistics of one population (docs/theory.md 2.6.4). Units in the names.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TwoStatePopulation {
    /// Population name.
    pub name: String,
    /// Cross-covariance of the inputs `C_A^{ab}` (mV^2).
    pub input_cov_mv2: f64,
    /// Its quenched part `beta_A^{ab}` (mV^2).
    pub quenched_cov_mv2: f64,
    /// Its latent part (loadings and input) (mV^2).
    pub latent_cov_mv2: f64,
    /// `C^{ab} / sqrt(Delta^a Delta^b)`; `None` when an input variance vanishes.
    pub input_corr: Option<f64>,
    /// Correlation across neurons of the rates in the two states (signal correlation)
    /// `(E[Phi(x^a) Phi(x^b)] - nu^a nu^b) / sqrt((q^a - nu_a^2)(q^b - nu_b^2))`;
    /// `None` when the rates in a state are all equal.
    pub rate_corr: Option<f64>,
    /// Cross moment `E[Phi_A(x^a) Phi_A(x^b)]` (Hz^2).
    pub cross_moment_hz2: f64,
    /// `nu_A` in state a (Hz).
    pub rate_a_hz: f64,
    /// `nu_A` in state b (Hz).
    pub rate_b_hz: f64,
}

/// The two-state theory between states `a` and `b` (docs/theory.md 2.6.4).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TwoState {
    /// How the fast variables and the quenched field were closed.
    pub mode: String,
    /// Latent state a (Hz).
    pub kappa_a: Vec<f64>,
    /// Input in state a (dimensionless).
    pub s_a: Vec<f64>,
    /// Latent state b (Hz).
    pub kappa_b: Vec<f64>,
    /// Input in state b (dimensionless).
    pub s_b: Vec<f64>,
    /// Per population, in Model order.
    pub populations: Vec<TwoStatePopulation>,
    /// Largest residual of the self-consistent cross-covariance equations (mV^2).
    pub residual_mv2: f64,
}

/// Per-population data of one state needed by the two-state equations.
pub(crate) struct Prepared {
    /// Hermite coefficients of the rate over the state's input distribution.
    spectra: Vec<Vec<f64>>,
    /// `sqrt(Delta_A)` (mV).
    sd: Vec<f64>,
    kappa: Vec<f64>,
    s: Vec<f64>,
}

pub(crate) fn prepare(model: &Model, st: &State) -> Result<Prepared> {
    let spectra = st
        .populations
        .iter()
        .enumerate()
        .map(|(a, p)| {
            let t = crate::theory::closure::state_transfer(model, st, a)?;
            Ok(rate_spectrum(&t, p.mean_input_mv, p.delta_mv2))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Prepared {
        spectra,
        sd: st
            .populations
            .iter()
            .map(|p| p.delta_mv2.max(0.0).sqrt())
            .collect(),
        kappa: st.kappa.clone(),
        s: st.s.clone(),
    })
}

/// The latent part of `C_A^{ab}` (mV^2), docs/theory.md 2.6.4.
pub(crate) fn latent_cov(
    model: &Model,
    a: usize,
    ka: &[f64],
    sa: &[f64],
    kb: &[f64],
    sb: &[f64],
) -> f64 {
    let Some(lat) = &model.latent else { return 0.0 };
    let l = &lat.loadings[a];
    let tau = model.populations[a].tau_m;
    let bil = |m: &[Vec<f64>], u: &[f64], v: &[f64]| -> f64 {
        m.iter()
            .zip(u)
            .map(|(row, ui)| ui * row.iter().zip(v).map(|(x, y)| x * y).sum::<f64>())
            .sum()
    };
    tau * tau * bil(&l.sigma_mm, ka, kb)
        + bil(&l.sigma_ww, sa, sb)
        + tau * (bil(&l.sigma_mw, ka, sb) + bil(&l.sigma_mw, kb, sa))
}

fn rho_of(c: f64, sda: f64, sdb: f64) -> f64 {
    if sda > 0.0 && sdb > 0.0 {
        (c / (sda * sdb)).clamp(-1.0, 1.0)
    } else {
        0.0
    }
}

/// Solution of the cross-covariance equations between two prepared states.
pub(crate) struct CrossSolution {
    pub c: Vec<f64>,
    pub beta: Vec<f64>,
    pub latent: Vec<f64>,
    pub cross: Vec<f64>,
    pub residual: f64,
}

pub(crate) fn solve_cross(
    model: &Model,
    mode: &FastMode,
    pa: &Prepared,
    pb: &Prepared,
) -> Result<CrossSolution> {
    let p = model.p();
    let latent: Vec<f64> = (0..p)
        .map(|a| latent_cov(model, a, &pa.kappa, &pa.s, &pb.kappa, &pb.s))
        .collect();
    let nu_prod: Vec<f64> = (0..p)
        .map(|b| pa.spectra[b][0] * pb.spectra[b][0])
        .collect();
    let crosses = |c: &[f64]| -> Vec<f64> {
        (0..p)
            .map(|b| {
                cross_moment(
                    &pa.spectra[b],
                    &pb.spectra[b],
                    rho_of(c[b], pa.sd[b], pb.sd[b]),
                    0,
                )
            })
            .collect()
    };
    let betas = |cross: &[f64]| -> Vec<f64> {
        (0..p)
            .map(|a| mode.quenched_cross(model, a, &nu_prod, cross))
            .collect()
    };
    let c = if mode.quenched_is_dynamic() {
        let scale = 1.0 + pa.sd.iter().chain(&pb.sd).fold(0.0f64, |m, s| m.max(s * s));
        let x0 = DVector::from_fn(p, |a, _| {
            // start between zero correlation and full correlation of the quenched part
            let half = 0.5 * pa.sd[a] * pb.sd[a];
            latent[a] + half.min(0.5 * (pa.sd[a].powi(2) + pb.sd[a].powi(2)))
        });
        let residual = |x: &DVector<f64>| -> Option<DVector<f64>> {
            let c: Vec<f64> = x.iter().copied().collect();
            let b = betas(&crosses(&c));
            let r = DVector::from_fn(p, |a, _| c[a] - b[a] - latent[a]);
            r.iter().all(|v| v.is_finite()).then_some(r)
        };
        let opt = NewtonOptions {
            tol: 1e-12 * scale,
            max_iter: 100,
            max_step: scale,
            fd_step: 1e-7,
        };
        let rep = newton::solve(
            "two-state cross-covariance (docs/theory.md 2.6.4)",
            residual,
            x0,
            &opt,
        )?;
        rep.x.iter().copied().collect()
    } else {
        // the quenched field does not depend on the state: one evaluation
        let b = betas(&vec![0.0; p]);
        (0..p).map(|a| b[a] + latent[a]).collect::<Vec<f64>>()
    };
    let cross = crosses(&c);
    let beta = betas(&cross);
    let residual = (0..p)
        .map(|a| (c[a] - beta[a] - latent[a]).abs())
        .fold(0.0, f64::max);
    if c.iter().any(|v| !v.is_finite()) {
        return Err(Error::Domain(format!(
            "two-state cross-covariance is not finite: {c:?}"
        )));
    }
    Ok(CrossSolution {
        c,
        beta,
        latent,
        cross,
        residual,
    })
}

/// Rate correlation across neurons between two prepared states for population `b`.
fn rate_corr(pa: &Prepared, pb: &Prepared, b: usize, c: f64) -> Option<f64> {
    let (fa, fb) = (&pa.spectra[b], &pb.spectra[b]);
    let (va, vb) = (spectral_variance(fa), spectral_variance(fb));
    let tiny = |v: f64, m: f64| v <= 1e-14 * m * m + 1e-300;
    if tiny(va, fa[0]) || tiny(vb, fb[0]) {
        return None;
    }
    let rho = rho_of(c, pa.sd[b], pb.sd[b]);
    Some(cross_moment(fa, fb, rho, 1) / (va * vb).sqrt())
}

/// The two-state theory of docs/theory.md 2.6.4 between two solved states `a` and `b` (solved
/// in `mode`, which also fixes how the quenched field changes between them: through the
/// rates for the network's own closure, frozen in the unbalanced mode). The
/// cross-covariances are solved by Newton's method; bivariate averages by Mehler's
/// expansion on a 96-node Gauss-Hermite rule (see `bivariate.rs`).
pub fn two_state(model: &Model, mode: &FastMode, a: &State, b: &State) -> Result<TwoState> {
    for (field, st) in [("state_a", a), ("state_b", b)] {
        if st.populations.len() != model.p() {
            return Err(Error::invalid(
                field,
                st.populations.len(),
                format!("a state of this Model has {} populations", model.p()),
            ));
        }
    }
    mode.validate(model)?;
    let (pa, pb) = (prepare(model, a)?, prepare(model, b)?);
    let sol = solve_cross(model, mode, &pa, &pb)?;
    let populations = (0..model.p())
        .map(|i| {
            let denom = pa.sd[i] * pb.sd[i];
            TwoStatePopulation {
                name: model.populations[i].name.clone(),
                input_cov_mv2: sol.c[i],
                quenched_cov_mv2: sol.beta[i],
                latent_cov_mv2: sol.latent[i],
                input_corr: (denom > 0.0).then(|| sol.c[i] / denom),
                rate_corr: rate_corr(&pa, &pb, i, sol.c[i]),
                cross_moment_hz2: sol.cross[i],
                rate_a_hz: a.populations[i].rate_hz,
                rate_b_hz: b.populations[i].rate_hz,
            }
        })
        .collect();
    Ok(TwoState {
        mode: mode.label(),
        kappa_a: a.kappa.clone(),
        s_a: a.s.clone(),
        kappa_b: b.kappa.clone(),
        s_b: b.s.clone(),
        populations,
        residual_mv2: sol.residual,
    })
}

/// The `L x L` covariance across neurons of the inputs in `states` (docs/theory.md 2.6.4), one
/// matrix per population: `Delta_A` of each state on the diagonal, `C_A^{ll'}` off it.
pub(crate) fn covariance_matrices(
    model: &Model,
    mode: &FastMode,
    states: &[State],
) -> Result<Vec<DMatrix<f64>>> {
    let l = states.len();
    let prepared: Vec<Prepared> = states
        .iter()
        .map(|st| prepare(model, st))
        .collect::<Result<_>>()?;
    let mut cov = vec![DMatrix::zeros(l, l); model.p()];
    for i in 0..l {
        for (a, m) in cov.iter_mut().enumerate() {
            m[(i, i)] = states[i].populations[a].delta_mv2;
        }
        for j in i + 1..l {
            let sol = solve_cross(model, mode, &prepared[i], &prepared[j])?;
            for (a, m) in cov.iter_mut().enumerate() {
                m[(i, j)] = sol.c[a];
                m[(j, i)] = sol.c[a];
            }
        }
    }
    Ok(cov)
}
