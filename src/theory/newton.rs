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
///
/// Bounded: at most `opt.max_iter` iterations of at most `n + 31` evaluations of `f`, and
/// the solve stops early when `max |r|` falls by less than 10% over 20 iterations.
///
/// # Errors
///
/// [`Error::NoConvergence`] with the iterations spent and the final `max |r|` if `f` is
/// undefined at `x0`, the Jacobian is singular, no step reduces `|r|`, the solve stalls,
/// or `opt.max_iter` is reached.
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
    // |r| at the start of each window of STALL_WINDOW iterations: a solve that has not cut
    // it by STALL_FACTOR within a window is stalled (e.g. creeping along an asymptote
    // towards a state at infinity) and stops instead of spending the whole budget.
    let mut window_start = norm;
    let mut spent = 0;
    for it in 0..opt.max_iter {
        spent = it;
        if norm < opt.tol {
            return Ok(NewtonReport {
                x,
                residual: norm,
                iterations: it,
            });
        }
        if it > 0 && it % STALL_WINDOW == 0 {
            if norm > STALL_FACTOR * window_start {
                break;
            }
            window_start = norm;
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
        iterations: spent + 1,
        residual: norm,
    })
}

/// Iterations per stall check of [`solve`].
const STALL_WINDOW: usize = 20;
/// Least reduction of `max |r|` per [`STALL_WINDOW`] iterations.
const STALL_FACTOR: f64 = 0.9;
