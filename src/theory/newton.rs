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
    f: impl FnMut(&DVector<f64>) -> Option<DVector<f64>>,
    x0: DVector<f64>,
    opt: &NewtonOptions,
) -> Result<NewtonReport> {
    solve_core(what, f, x0, opt, None)
}

/// [`solve`] for a sequence of nearby systems (an outer fixed-point iteration around the
/// solve): the Jacobian starts from `jacobian` (the last one of the previous solve, if
/// its size fits) and is updated by Broyden's rank-one formula after each step (Broyden
/// 1965), so that a warm-started solve needs about one evaluation of `f` per iteration
/// instead of `n + 1`. A finite-difference Jacobian replaces it when it is missing or
/// when its step does not reduce `|r|` within four halvings. On return `jacobian` holds
/// the last Jacobian. Converges to the same tolerance as [`solve`].
///
/// # Errors
///
/// As [`solve`].
pub fn solve_reusing(
    what: &str,
    f: impl FnMut(&DVector<f64>) -> Option<DVector<f64>>,
    x0: DVector<f64>,
    opt: &NewtonOptions,
    jacobian: &mut Option<DMatrix<f64>>,
) -> Result<NewtonReport> {
    solve_core(what, f, x0, opt, Some(jacobian))
}

fn solve_core(
    what: &str,
    mut f: impl FnMut(&DVector<f64>) -> Option<DVector<f64>>,
    x0: DVector<f64>,
    opt: &NewtonOptions,
    mut reuse: Option<&mut Option<DMatrix<f64>>>,
) -> Result<NewtonReport> {
    let mut x = x0;
    let mut r = f(&x).ok_or_else(|| Error::NoConvergence {
        what: what.into(),
        iterations: 0,
        residual: f64::NAN,
    })?;
    let n = x.len();
    // the Jacobian carried between iterations (reuse mode only: Broyden-updated)
    let mut carried: Option<DMatrix<f64>> = reuse
        .as_mut()
        .and_then(|j| j.take())
        .filter(|j| j.nrows() == r.len() && j.ncols() == n);
    let mut norm = inf_norm(&r);
    // |r| at the start of each window of STALL_WINDOW iterations: a solve that has not cut
    // it by STALL_FACTOR within a window is stalled (e.g. creeping along an asymptote
    // towards a state at infinity) and stops instead of spending the whole budget.
    let mut window_start = norm;
    let mut spent = 0;
    let mut it = 0;
    let converged = loop {
        if it >= opt.max_iter {
            break norm < opt.tol;
        }
        spent = it;
        if norm < opt.tol {
            break true;
        }
        if it > 0 && it % STALL_WINDOW == 0 {
            if norm > STALL_FACTOR * window_start {
                break false;
            }
            window_start = norm;
        }
        it += 1;
        let (j, fresh) = match carried.take() {
            Some(j) => (j, false),
            _ => match jacobian(&mut f, &x, &r, opt.fd_step) {
                Some(j) => (j, true),
                None => break false,
            },
        };
        let Some(mut dx) = j.clone().lu().solve(&(-&r)) else {
            if fresh {
                break false;
            }
            continue;
        };
        let big = inf_norm(&dx);
        if !big.is_finite() {
            if fresh {
                break false;
            }
            continue;
        }
        if big > opt.max_step {
            dx *= opt.max_step / big;
        }
        let mut lambda = 1.0;
        let mut accepted = None;
        // a carried (Broyden) Jacobian gets four halvings before a fresh one is computed
        for _ in 0..(if fresh { 30 } else { 4 }) {
            let xt = &x + &dx * lambda;
            if let Some(rt) = f(&xt) {
                let nt = inf_norm(&rt);
                if nt < norm || nt < opt.tol {
                    accepted = Some((xt, rt, nt));
                    break;
                }
            }
            lambda *= 0.5;
        }
        let Some((xt, rt, nt)) = accepted else {
            if fresh {
                break false;
            }
            continue;
        };
        if reuse.is_some() {
            // Broyden's update: J += (dr - J s) s^T / (s^T s)
            let step = &xt - &x;
            let ss = step.dot(&step);
            let mut j = j;
            if ss > 0.0 {
                let u = (&rt - &r) - &j * &step;
                j += u * step.transpose() / ss;
            }
            carried = Some(j);
        }
        x = xt;
        r = rt;
        norm = nt;
    };
    if let Some(cell) = reuse {
        *cell = carried;
    }
    if converged {
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

#[cfg(test)]
mod tests {
    use super::*;

    /// `r(x) = (x0^2 + x1^2 - c, x0 - x1)`: root `x0 = x1 = sqrt(c / 2)` (closed form).
    fn circle(
        c: f64,
        count: &std::cell::Cell<usize>,
    ) -> impl FnMut(&DVector<f64>) -> Option<DVector<f64>> + '_ {
        move |x: &DVector<f64>| {
            count.set(count.get() + 1);
            Some(DVector::from_vec(vec![
                x[0] * x[0] + x[1] * x[1] - c,
                x[0] - x[1],
            ]))
        }
    }

    /// A sequence of nearby systems solved with the carried (Broyden) Jacobian reaches
    /// the closed-form roots to the same tolerance as the plain solve, with fewer
    /// evaluations of `r` (each would be a stationary-state evaluation).
    #[test]
    fn reusing_the_jacobian_finds_the_same_roots_with_fewer_evaluations() {
        let opt = NewtonOptions::default();
        let (plain, carried) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
        let mut jac = None;
        let mut x_prev = DVector::from_vec(vec![1.0, 1.0]);
        for k in 0..6 {
            let c = 2.0 + 0.01 * f64::from(k);
            let exact = (c / 2.0).sqrt();
            let a = solve("plain", circle(c, &plain), x_prev.clone(), &opt).unwrap();
            let b = solve_reusing(
                "carried",
                circle(c, &carried),
                x_prev.clone(),
                &opt,
                &mut jac,
            )
            .unwrap();
            for x in [&a.x, &b.x] {
                assert!(
                    (x[0] - exact).abs() < 1e-10 && (x[1] - exact).abs() < 1e-10,
                    "{x}"
                );
            }
            x_prev = b.x;
        }
        assert!(
            carried.get() < plain.get(),
            "carried {} evaluations, plain {}",
            carried.get(),
            plain.get()
        );
    }
}
