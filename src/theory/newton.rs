//! A damped Newton solver for small square systems `r(x) = 0`.
//!
//! Written here because argmin 0.11 has no multi-dimensional root finder (its
//! Gauss-Newton inverts `J^T J`, squaring the condition number of the already
//! ill-conditioned balance problem, and stops on the change of `|r|`, not on `|r|`).
//! One-dimensional roots with a bracket use argmin's `BrentRoot` (see `latent.rs`).

use nalgebra::{DMatrix, DVector};

use crate::error::{Error, Result};

/// Settings of [`solve`].
#[derive(Clone, Copy, Debug)]
pub struct NewtonOptions {
    /// Converged when `max_i |r_i| < tol`.
    pub tol: f64,
    /// Iteration limit.
    pub max_iter: usize,
    /// Largest step in any one unknown (the unknowns are logarithms or mV).
    pub max_step: f64,
    /// Relative finite-difference step of the Jacobian.
    pub fd_step: f64,
}

impl Default for NewtonOptions {
    fn default() -> Self {
        NewtonOptions {
            tol: 1e-11,
            max_iter: 300,
            max_step: 4.0,
            fd_step: 1e-7,
        }
    }
}

/// Outcome of a converged solve.
#[derive(Clone, Debug)]
pub struct NewtonReport {
    /// The solution.
    pub x: DVector<f64>,
    /// `max_i abs(r_i)` at the solution.
    pub residual: f64,
    /// Newton iterations used.
    pub iterations: usize,
}

fn inf_norm(v: &DVector<f64>) -> f64 {
    v.iter().fold(0.0f64, |a, &b| {
        if b.is_nan() {
            f64::INFINITY
        } else {
            a.max(b.abs())
        }
    })
}

/// Forward-difference Jacobian of `f` at `x` with residual `r0`.
pub fn jacobian(
    f: &mut impl FnMut(&DVector<f64>) -> Option<DVector<f64>>,
    x: &DVector<f64>,
    r0: &DVector<f64>,
    rel_step: f64,
) -> Option<DMatrix<f64>> {
    let n = x.len();
    let mut j = DMatrix::zeros(r0.len(), n);
    for k in 0..n {
        let h = rel_step * (1.0 + x[k].abs());
        let mut xp = x.clone();
        xp[k] += h;
        let rp = f(&xp)?;
        j.set_column(k, &((rp - r0) / h));
    }
    Some(j)
}

/// Solve `f(x) = 0` from `x0` by Newton's method with a finite-difference Jacobian,
/// step limiting and backtracking on `|r|`. `f` returns `None` where it is undefined.
pub fn solve(
    what: &str,
    mut f: impl FnMut(&DVector<f64>) -> Option<DVector<f64>>,
    x0: DVector<f64>,
    opt: &NewtonOptions,
) -> Result<NewtonReport> {
    let mut x = x0;
    let mut r = f(&x).ok_or_else(|| Error::NoConvergence {
        what: what.into(),
        iterations: 0,
        residual: f64::NAN,
    })?;
    let mut norm = inf_norm(&r);
    for it in 0..opt.max_iter {
        if norm < opt.tol {
            return Ok(NewtonReport {
                x,
                residual: norm,
                iterations: it,
            });
        }
        let Some(j) = jacobian(&mut f, &x, &r, opt.fd_step) else {
            break;
        };
        let Some(mut dx) = j.lu().solve(&(-&r)) else {
            break;
        };
        let big = inf_norm(&dx);
        if !big.is_finite() {
            break;
        }
        if big > opt.max_step {
            dx *= opt.max_step / big;
        }
        let mut lambda = 1.0;
        let mut accepted = false;
        for _ in 0..30 {
            let xt = &x + &dx * lambda;
            if let Some(rt) = f(&xt) {
                let nt = inf_norm(&rt);
                if nt < norm || nt < opt.tol {
                    x = xt;
                    r = rt;
                    norm = nt;
                    accepted = true;
                    break;
                }
            }
            lambda *= 0.5;
        }
        if !accepted {
            break;
        }
    }
    if norm < opt.tol {
        let it = opt.max_iter;
        return Ok(NewtonReport {
            x,
            residual: norm,
            iterations: it,
        });
    }
    Err(Error::NoConvergence {
        what: what.into(),
        iterations: opt.max_iter,
        residual: norm,
    })
}
