//! Input statistics of one neuron and of a population (docs/theory.md 2.1 and 2.3), as plain
//! functions of the population rates, second moments, `kappa` and `s`.

// `!(x > 0.0)` is the intended NaN-rejecting test, and the quadrature and series
// constants keep the digits of their sources.
#![allow(
    clippy::neg_cmp_op_on_partial_ord,
    clippy::excessive_precision,
    clippy::needless_range_loop
)]

use crate::model::{Connectivity, Model};

/// `mu_A = tau_m,A sqrt(K) (sum_B c_B J_AB nu_B + c_0 J_A0 nu_0)` (mV), the finite-K
/// mean drive of docs/theory.md 2.1. `nu` in Hz.
pub fn mean_drive(model: &Model, a: usize, nu: &[f64]) -> f64 {
    let pop = &model.populations[a];
    pop.tau_m * model.k.sqrt() * (balance_current(model, a, nu))
}

/// `sum_B c_B J_AB nu_B + c_0 J_A0 nu_0` (mV Hz): the `O(sqrt K)` bracket that vanishes in
/// the balanced limit (docs/theory.md 2.4).
pub fn balance_current(model: &Model, a: usize, nu: &[f64]) -> f64 {
    let rec: f64 = (0..model.p())
        .map(|b| model.populations[b].c * model.j[a][b] * nu[b])
        .sum();
    rec + model.external.c0 * model.populations[a].j_ext * model.external.nu0
}

/// Temporal noise `sigma_A` (mV) of docs/theory.md 2.1:
/// `sigma_A^2 = tau_m,A (sum_B c_B J_AB^2 E_B[nu F] + c_0 J_A0^2 nu_0)`.
/// `nu_fano[b]` is `E_B[nu F(nu)]` (Hz): `nu_B` under the Poisson closure.
pub fn noise_sigma(model: &Model, a: usize, nu_fano: &[f64]) -> f64 {
    let pop = &model.populations[a];
    let rec: f64 = (0..model.p())
        .map(|b| model.populations[b].c * model.j[a][b].powi(2) * nu_fano[b].max(0.0))
        .sum();
    let ext = model.external.c0 * pop.j_ext.powi(2) * model.external.nu0;
    (pop.tau_m * (rec + ext)).sqrt()
}

/// Quenched variance `beta_A` (mV^2) of docs/theory.md 2.1 for the Model's connectivity rule,
/// from the population rates `nu` (Hz) and second moments `q` (Hz^2). For the two-state
/// cross-covariance of docs/theory.md 2.6.4, pass the cross moments as `q` and `nu_a nu_b`
/// products via [`quenched_cross`].
pub fn quenched_var(model: &Model, a: usize, nu: &[f64], q: &[f64]) -> f64 {
    let prod: Vec<f64> = nu.iter().map(|v| v * v).collect();
    quenched_cross(model, a, &prod, q)
}

/// `beta_A^{ab}` (mV^2) of docs/theory.md 2.6.4: `nu_prod[b] = nu_B^a nu_B^b`, `cross[b] = E[Phi_B(x^a) Phi_B(x^b)]`.
pub fn quenched_cross(model: &Model, a: usize, nu_prod: &[f64], cross: &[f64]) -> f64 {
    let pop = &model.populations[a];
    let sum: f64 = (0..model.p())
        .map(|b| {
            let cj2 = model.populations[b].c * model.j[a][b].powi(2);
            let p = model.p_conn(b);
            match model.connectivity {
                Connectivity::Bernoulli => cj2 * (1.0 - p) * cross[b],
                Connectivity::FixedIndegree => cj2 * (1.0 - p) * (cross[b] - nu_prod[b]),
                Connectivity::FixedIndegreeReplacement => cj2 * (cross[b] - nu_prod[b]),
            }
        })
        .sum();
    (pop.tau_m * pop.tau_m * sum).max(0.0) + pop.beta_ext
}

/// Latent contributions to the population input (docs/theory.md 2.3): the mean shift
/// `tau_m mbar . kappa + wbar . s` (mV) and the variance
/// `tau_m^2 kappa' Smm kappa + s' Sww s + 2 tau_m kappa' Smw s` (mV^2).
pub fn latent_input(model: &Model, a: usize, kappa: &[f64], s: &[f64]) -> (f64, f64) {
    let Some(lat) = &model.latent else {
        return (0.0, 0.0);
    };
    let l = &lat.loadings[a];
    let tau = model.populations[a].tau_m;
    let dot = |u: &[f64], v: &[f64]| u.iter().zip(v).map(|(x, y)| x * y).sum::<f64>();
    let quad = |m: &[Vec<f64>], u: &[f64], v: &[f64]| -> f64 {
        m.iter().zip(u).map(|(row, ui)| ui * dot(row, v)).sum()
    };
    let shift = tau * dot(&l.mbar, kappa) + dot(&l.wbar, s);
    let var = tau * tau * quad(&l.sigma_mm, kappa, kappa)
        + quad(&l.sigma_ww, s, s)
        + 2.0 * tau * quad(&l.sigma_mw, kappa, s);
    (shift, var.max(0.0))
}

/// Latent self-consistency map `F(kappa, s)` (Hz) of docs/theory.md 2.3 (Stein's lemma):
/// `sum_B c_B [ nbar_B nu_B + (tau_m,B Sigma_B^{nm} kappa + Sigma_B^{nw} s) gain_B ]`,
/// given each population's rate `nu` (Hz) and mean gain (Hz/mV).
pub fn latent_map(model: &Model, kappa: &[f64], s: &[f64], nu: &[f64], gain: &[f64]) -> Vec<f64> {
    let Some(lat) = &model.latent else {
        return Vec::new();
    };
    let mut f = vec![0.0; lat.d];
    for (b, pop) in model.populations.iter().enumerate() {
        let l = &lat.loadings[b];
        for d in 0..lat.d {
            let snm: f64 = (0..lat.d).map(|e| l.sigma_nm[d][e] * kappa[e]).sum();
            let snw: f64 = (0..lat.d_in)
                .map(|e| l.sigma_nw[d][e] * s.get(e).copied().unwrap_or(0.0))
                .sum();
            f[d] += pop.c * (l.nbar[d] * nu[b] + (pop.tau_m * snm + snw) * gain[b]);
        }
    }
    f
}
