//! Single-unit responses of the rate network across conditions (docs/theory.md 10.7):
//! the random recurrent input's covariance between two conditions from the two-condition
//! mean-field theory (the rate-network counterpart of docs/theory.md 2.6.4), and units
//! sampled from the resulting joint Gaussian of their inputs.

use nalgebra::{DMatrix, DVector};
use rand::{RngExt, SeedableRng};
use rand_distr::StandardNormal;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

use super::RateNetwork;
use super::theory::solve_delta0;
use crate::error::{Error, Result};
use crate::quad::{Bivariate, expect2_split};

/// Units sampled across conditions (docs/theory.md 10.7).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RateTuning {
    /// Latent coordinates `k_l` of the conditions.
    pub latent: Vec<Vec<f64>>,
    /// Inputs `s_l` of the conditions.
    pub s: Vec<Vec<f64>>,
    /// Population mean `mu_l` of `x` per condition.
    pub mu: Vec<f64>,
    /// Population variance `Delta_0` of `x` per condition.
    pub delta0: Vec<f64>,
    /// Covariance `C^{ll'}` of the random recurrent input between conditions (its
    /// diagonal is `g^2 <phi^2>` of each condition).
    pub random_cov: Vec<Vec<f64>>,
    /// `x` of the sampled units, `[unit][condition]`.
    pub inputs: Vec<Vec<f64>>,
    /// `phi(x)` of the sampled units, `[unit][condition]`.
    pub responses: Vec<Vec<f64>>,
}

fn coefficients(net: &RateNetwork, k: &[f64], s: &[f64]) -> Vec<f64> {
    let mut a = vec![0.0; 2 * net.rank() + net.inputs()];
    for (q, &v) in k.iter().enumerate() {
        a[net.im(q)] = v;
    }
    for (q, &v) in s.iter().enumerate() {
        a[net.iw(q)] = v;
    }
    a
}

fn quad_form(net: &RateNetwork, a: &[f64], b: &[f64]) -> f64 {
    (0..a.len())
        .map(|i| {
            (0..b.len())
                .map(|j| a[i] * net.cov(i, j) * b[j])
                .sum::<f64>()
        })
        .sum()
}

/// Per condition: the coefficient vector `a_l` of the structured input, its mean `mu_l`
/// and `Delta_0`.
struct Conditions {
    coef: Vec<Vec<f64>>,
    mu: Vec<f64>,
    delta0: Vec<f64>,
}

/// Check the conditions and solve `Delta_0` in each.
fn conditions(net: &RateNetwork, latent: &[Vec<f64>], s: &[Vec<f64>]) -> Result<Conditions> {
    if latent.is_empty() || latent.len() != s.len() {
        return Err(Error::invalid(
            "latent",
            latent.len(),
            format!(
                "needs at least one condition and one input per condition ({})",
                s.len()
            ),
        ));
    }
    let mut coef = Vec::with_capacity(latent.len());
    let mut mu = Vec::with_capacity(latent.len());
    let mut delta0 = Vec::with_capacity(latent.len());
    for (k, sl) in latent.iter().zip(s) {
        net.check_kappa(k)?;
        net.check_s(sl)?;
        let a = coefficients(net, k, sl);
        let m: f64 = a.iter().enumerate().map(|(j, v)| v * net.mean(j)).sum();
        let l = quad_form(net, &a, &a).max(0.0);
        delta0.push(solve_delta0(net, m, l)?);
        mu.push(m);
        coef.push(a);
    }
    Ok(Conditions { coef, mu, delta0 })
}

/// The covariance `C^{ll'}` of the random recurrent input `z = g chi phi(x)` between
/// conditions `l` (latent coordinates `latent[l]`, input `s[l]`), docs/theory.md 10.7:
///
/// ```text
/// C^{ll} = g^2 <phi^2>_l,   C^{ll'} = g^2 E[phi(x^l) phi(x^l')],
/// Cov(x^l, x^l') = a_l' Sigma a_l' + C^{ll'}
/// ```
///
/// solved for each pair by fixed-point iteration (a contraction with factor
/// `g^2 E[phi'(x^l) phi'(x^l')] <= g^2` for tanh), tolerance `1e-12 (1 + C^{ll})`.
///
/// # Errors
///
/// [`Error::Invalid`] for mismatched or bad conditions; [`Error::NoConvergence`] if the
/// iteration does not converge in 1000 steps (typically `g >= 1`).
pub fn random_input_covariance(
    net: &RateNetwork,
    latent: &[Vec<f64>],
    s: &[Vec<f64>],
) -> Result<Vec<Vec<f64>>> {
    covariance(net, &conditions(net, latent, s)?)
}

fn covariance(net: &RateNetwork, cond: &Conditions) -> Result<Vec<Vec<f64>>> {
    let (coef, mu, delta0) = (&cond.coef, &cond.mu, &cond.delta0);
    let n = coef.len();
    let g2 = net.g() * net.g();
    let t = net.transfer();
    let bp = t.breakpoints();
    let lat: Vec<Vec<f64>> = (0..n)
        .map(|a| (0..n).map(|b| quad_form(net, &coef[a], &coef[b])).collect())
        .collect();
    let mut c = vec![vec![0.0; n]; n];
    for a in 0..n {
        c[a][a] = (delta0[a] - lat[a][a]).max(0.0);
    }
    if g2 > 0.0 {
        for a in 0..n {
            for b in 0..a {
                let tol = 1e-12 * (1.0 + c[a][a].max(c[b][b]));
                let mut cab = 0.5 * (c[a][a] * c[b][b]).sqrt();
                let mut converged = false;
                for _ in 0..1000 {
                    let biv = Bivariate {
                        mean_a: mu[a],
                        mean_b: mu[b],
                        var_a: delta0[a],
                        var_b: delta0[b],
                        cov: lat[a][b] + cab,
                    };
                    let next = g2 * expect2_split(|x, y| t.phi(x) * t.phi(y), &biv, bp, bp);
                    let done = (next - cab).abs() < tol;
                    cab = next;
                    if done {
                        converged = true;
                        break;
                    }
                }
                if !converged {
                    return Err(Error::NoConvergence {
                        what: format!(
                            "random-input covariance between conditions {b} and {a} (g = {}; docs/theory.md 10.7)",
                            net.g()
                        ),
                        iterations: 1000,
                        residual: f64::NAN,
                    });
                }
                c[a][b] = cab;
                c[b][a] = cab;
            }
        }
    }
    Ok(c)
}

/// Sample `units` units and their inputs and responses in every condition
/// (docs/theory.md 10.7): loadings from the network's Gaussian, the random input from
/// `N(0, C)` of [`random_input_covariance`] (independent of the loadings), `x_i^l =
/// a_l . loadings_i + z_i^l`, response `phi(x_i^l)`. Xoshiro256++ seeded by `seed`.
///
/// # Errors
///
/// As [`random_input_covariance`]; [`Error::Invalid`] if `units` is 0 or above 10^6.
pub fn tuning(
    net: &RateNetwork,
    latent: &[Vec<f64>],
    s: &[Vec<f64>],
    units: usize,
    seed: u64,
) -> Result<RateTuning> {
    if !(1..=1_000_000).contains(&units) {
        return Err(Error::invalid("units", units, "must be in 1..=1000000"));
    }
    let cond = conditions(net, latent, s)?;
    let c = covariance(net, &cond)?;
    let Conditions { coef, mu, delta0 } = cond;
    let n = coef.len();
    let cm = DMatrix::from_fn(n, n, |a, b| c[a][b]);
    let eig = cm.symmetric_eigen();
    let sq = DVector::from_iterator(n, eig.eigenvalues.iter().map(|v| v.max(0.0).sqrt()));
    let zf = &eig.eigenvectors * DMatrix::from_diagonal(&sq);
    let k = 2 * net.rank() + net.inputs();
    let mean = DVector::from_iterator(k, (0..k).map(|i| net.mean(i)));
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut inputs = Vec::with_capacity(units);
    let mut responses = Vec::with_capacity(units);
    let t = net.transfer();
    for _ in 0..units {
        let xi = DVector::from_iterator(k, (0..k).map(|_| rng.sample::<f64, _>(StandardNormal)));
        let l = &mean + net.factor() * xi;
        let zi = DVector::from_iterator(n, (0..n).map(|_| rng.sample::<f64, _>(StandardNormal)));
        let z = &zf * zi;
        let x: Vec<f64> = (0..n)
            .map(|a| {
                coef[a]
                    .iter()
                    .zip(l.iter())
                    .map(|(p, q)| p * q)
                    .sum::<f64>()
                    + z[a]
            })
            .collect();
        responses.push(x.iter().map(|&v| t.phi(v)).collect());
        inputs.push(x);
    }
    Ok(RateTuning {
        latent: latent.to_vec(),
        s: s.to_vec(),
        mu,
        delta0,
        random_cov: c,
        inputs,
        responses,
    })
}
