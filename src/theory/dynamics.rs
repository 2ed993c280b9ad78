//! Slow latent dynamics `tau_s dkappa/dt = -kappa + F(kappa, s(t))` with the fast
//! variables re-solved at every evaluation (docs/theory.md 2.5, a differential-algebraic system).

use serde::{Deserialize, Serialize};

use super::latent::reduced_map_valid;
use super::stationary::{Limit, State};
use crate::error::{Error, Result};
use crate::model::Model;

/// Time series of one population along a latent trajectory.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct PopulationTrace {
    /// Population name.
    pub name: String,
    /// `nu_A(t)` (Hz).
    pub rate_hz: Vec<f64>,
    /// `mu_A(t)` (mV).
    pub mu_mv: Vec<f64>,
    /// Population mean membrane potential `<V>_A(t)` (mV), docs/theory.md 2.6.1.
    pub mean_v_mv: Vec<f64>,
    /// Input variance across neurons `Delta_A(t)` (mV^2).
    pub delta_mv2: Vec<f64>,
}

/// A latent trajectory sampled at output times.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Trajectory {
    /// Mode of the fast variables (finite K or balanced limit).
    pub limit: Limit,
    /// Output times (s).
    #[serde(rename = "t_s", alias = "t")]
    pub t: Vec<f64>,
    /// `kappa(t)` (Hz), one vector per output time.
    #[serde(rename = "kappa_hz", alias = "kappa")]
    pub kappa: Vec<Vec<f64>>,
    /// `s(t)` at output times.
    pub s: Vec<Vec<f64>>,
    /// Per population, in Model order.
    pub populations: Vec<PopulationTrace>,
    /// Number of right-hand-side evaluations (fast solves).
    pub evaluations: usize,
}

impl Trajectory {
    fn push(&mut self, t: f64, st: &State) {
        self.t.push(t);
        self.kappa.push(st.kappa.clone());
        self.s.push(st.s.clone());
        if self.populations.is_empty() {
            self.populations = st
                .populations
                .iter()
                .map(|p| PopulationTrace {
                    name: p.name.clone(),
                    ..Default::default()
                })
                .collect();
        }
        for (tr, p) in self.populations.iter_mut().zip(&st.populations) {
            tr.rate_hz.push(p.rate_hz);
            tr.mu_mv.push(p.mu_mv);
            tr.mean_v_mv.push(p.mean_v_mv);
            tr.delta_mv2.push(p.delta_mv2);
        }
    }
}

/// Tolerances and output of [`integrate`].
#[derive(Clone, Copy, Debug)]
pub struct DynamicsOptions {
    /// Relative tolerance of the step controller.
    pub rtol: f64,
    /// Absolute tolerance (Hz).
    pub atol: f64,
    /// Record the state at every accepted step (and at `0`, every breakpoint of `s(t)` and
    /// `t_end`) instead of at the multiples of `dt_out`; `dt_out` is then the largest step.
    /// The steps follow the dynamics: long at a fixed point, short in a transient, so a
    /// figure needs far fewer fast solves than a fixed output grid.
    pub record_steps: bool,
}

impl Default for DynamicsOptions {
    fn default() -> Self {
        DynamicsOptions {
            rtol: 1e-6,
            atol: 1e-6,
            record_steps: false,
        }
    }
}

/// Largest number of output times `t_end / dt_out` that [`integrate`] accepts
/// (docs/theory.md section 7): each output time needs at least one step of three fast
/// solves (about 1-100 ms each).
pub const MAX_OUTPUT_TIMES: f64 = 1e5;

/// Largest ratio `t_end / tau_s` that [`integrate`] accepts (docs/theory.md section 7):
/// the explicit integrator takes steps of at most `tau_s`, each of four fast solves, so
/// the ratio bounds the work from below (1e5: at least 4e5 fast solves).
pub const MAX_TIME_CONSTANTS: f64 = 1e5;

/// Largest number of right-hand-side evaluations (fast solves) of one [`integrate`] call
/// (docs/theory.md section 7): beyond it the integration stops with an error.
pub const MAX_EVALUATIONS: usize = 2_000_000;

/// Integrate the latent dynamics of docs/theory.md 2.5 from `kappa0` at `t = 0` to `t_end` (s),
/// with output every `dt_out` (s), using the Bogacki-Shampine 3(2) pair with adaptive
/// steps that never cross an output time or a breakpoint of `s(t)`. The fast variables
/// are warm-started from the previous evaluation.
///
/// # Errors
///
/// [`Error::Invalid`] for a Model that breaks [`Model::validate`], a `kappa0` (Hz) whose
/// length is not `D` or with non-finite entries, `t_end` or `dt_out` not finite and
/// positive, more than [`MAX_OUTPUT_TIMES`] output times (raise `dt_out` or lower
/// `t_end`), `t_end / tau_s` above [`MAX_TIME_CONSTANTS`], or tolerances not finite and positive; [`Error::NoConvergence`] after
/// [`MAX_EVALUATIONS`] fast solves; the errors of [`super::stationary::solve`] along the way.
pub fn integrate(
    model: &Model,
    limit: Limit,
    kappa0: &[f64],
    t_end: f64,
    dt_out: f64,
    opt: &DynamicsOptions,
) -> Result<Trajectory> {
    integrate_observed(model, limit, kappa0, t_end, dt_out, opt, &mut |_| {})
}

/// [`integrate`], calling `observe(t)` (s) after every accepted step (for a progress bar).
///
/// # Errors
///
/// As [`integrate`].
pub fn integrate_observed(
    model: &Model,
    limit: Limit,
    kappa0: &[f64],
    t_end: f64,
    dt_out: f64,
    opt: &DynamicsOptions,
    observe: &mut dyn FnMut(f64),
) -> Result<Trajectory> {
    let d = model.d();
    model.validate()?;
    if kappa0.len() != d {
        return Err(Error::invalid(
            "kappa0",
            format!("{kappa0:?}"),
            format!("must have length D = {d}"),
        ));
    }
    super::check_values("kappa0", kappa0)?;
    for (f, v) in [("t_end", t_end), ("dt_out", dt_out)] {
        if !(v.is_finite() && v > 0.0) {
            return Err(Error::invalid(f, v, "must be finite and > 0"));
        }
    }
    for (f, v) in [("opt.rtol", opt.rtol), ("opt.atol", opt.atol)] {
        if !(v.is_finite() && v > 0.0) {
            return Err(Error::invalid(f, v, "must be finite and > 0"));
        }
    }
    let outputs = (t_end / dt_out).round();
    if outputs > MAX_OUTPUT_TIMES {
        return Err(Error::invalid(
            "dt_out",
            dt_out,
            format!(
                "t_end / dt_out = {outputs:.3e} output times exceeds the limit of \
                 {MAX_OUTPUT_TIMES:e} (each needs at least three fast solves); raise dt_out \
                 or lower t_end (docs/theory.md section 7)"
            ),
        ));
    }
    let tau_s = model.latent.as_ref().map_or(1.0, |l| l.tau_s);
    if t_end / tau_s > MAX_TIME_CONSTANTS {
        return Err(Error::invalid(
            "latent.tau_s",
            tau_s,
            format!(
                "t_end / tau_s = {:.3e} exceeds {MAX_TIME_CONSTANTS:e}: the integrator steps \
                 at most tau_s (s) at a time with four fast solves per step; with a latent \
                 time constant this short the latent variables follow their fixed point \
                 (use latent::fixed_points) or integrate a shorter t_end \
                 (docs/theory.md section 7)",
                t_end / tau_s
            ),
        ));
    }
    let breaks: Vec<f64> = model
        .latent
        .as_ref()
        .map_or(vec![], |l| l.signal.breakpoints());
    let mut traj = Trajectory {
        limit,
        ..Default::default()
    };
    let mut evals = 0usize;
    let mut warm: Option<State> = None;
    // right-hand side at (t, kappa); the signal is evaluated just inside the current
    // interval so that a step ending on a breakpoint sees the value before it.
    let mut rhs = |t: f64, k: &[f64], warm: &mut Option<State>| -> Result<(Vec<f64>, State)> {
        evals += 1;
        if evals > MAX_EVALUATIONS {
            return Err(Error::NoConvergence {
                what: format!(
                    "latent dynamics (stopped at t = {t:.6e} s of {t_end:.6e} s after \
                     {MAX_EVALUATIONS} fast solves; loosen opt.rtol / opt.atol)"
                ),
                iterations: MAX_EVALUATIONS,
                residual: f64::NAN,
            });
        }
        let s = model.signal(t);
        let (g, st) = reduced_map_valid(model, limit, k, &s, warm.as_ref())?;
        *warm = Some(st.clone());
        Ok((
            g.iter().zip(k).map(|(gi, ki)| (gi - ki) / tau_s).collect(),
            st,
        ))
    };
    let mut t = 0.0;
    let mut k = kappa0.to_vec();
    let (mut f0, st0) = rhs(t, &k, &mut warm)?;
    traj.push(t, &st0);
    // with record_steps, one output interval [0, t_end] whose steps are each recorded and
    // never longer than dt_out
    let (n_out, dt_out, h_max) = if opt.record_steps {
        (1, t_end, dt_out.min(t_end).min(tau_s))
    } else {
        ((t_end / dt_out).round() as usize, dt_out, tau_s)
    };
    let mut h = (tau_s * 0.05).min(h_max);
    let mut rejected = false;
    for i_out in 1..=n_out {
        let t_out = if i_out == n_out {
            t_end
        } else {
            i_out as f64 * dt_out
        };
        while t < t_out - 1e-14 {
            // stop exactly at the next breakpoint or output time
            let mut t_stop = t_out;
            for &b in &breaks {
                if b > t + 1e-14 && b < t_stop {
                    t_stop = b;
                }
            }
            // at rest (the state would move less than atol before the next stop), one step
            // to the stop, checked by the error estimate like any other; recording steps
            // then costs nothing where nothing happens
            let rest = opt.record_steps
                && !rejected
                && f0.iter().all(|f| f.abs() * (t_stop - t) <= opt.atol);
            let hh = if rest { t_stop - t } else { h.min(t_stop - t) };
            let tm = t + 0.5 * hh * (1.0 - 1e-12);
            let k2: Vec<f64> = k.iter().zip(&f0).map(|(a, b)| a + 0.5 * hh * b).collect();
            let (f2, _) = rhs(tm, &k2, &mut warm)?;
            let k3: Vec<f64> = k.iter().zip(&f2).map(|(a, b)| a + 0.75 * hh * b).collect();
            let (f3, _) = rhs(t + 0.75 * hh, &k3, &mut warm)?;
            let knew: Vec<f64> = (0..d)
                .map(|j| k[j] + hh * (2.0 * f0[j] + 3.0 * f2[j] + 4.0 * f3[j]) / 9.0)
                .collect();
            // evaluate the end point just before t + hh (left limit of s at a breakpoint)
            let t_end_eval = t + hh * (1.0 - 1e-12);
            let (f4, st4) = rhs(t_end_eval, &knew, &mut warm)?;
            let err = (0..d)
                .map(|j| {
                    let e = hh * (-5.0 * f0[j] / 72.0 + f2[j] / 12.0 + f3[j] / 9.0 - f4[j] / 8.0);
                    let sc = opt.atol + opt.rtol * k[j].abs().max(knew[j].abs());
                    (e / sc).powi(2)
                })
                .sum::<f64>()
                .sqrt()
                / (d.max(1) as f64).sqrt();
            rejected = !(err <= 1.0 || hh < 1e-9);
            if !rejected {
                t += hh;
                k = knew;
                f0 = f4;
                let at_stop = (t - t_stop).abs() < 1e-14;
                if at_stop {
                    t = t_stop;
                }
                let at_break = at_stop && breaks.iter().any(|b| (b - t).abs() < 1e-14);
                let at_out = at_stop && (t - t_out).abs() < 1e-14;
                if at_break {
                    // re-evaluate on the right side of a breakpoint (elsewhere the end
                    // point of the step is the next step's start: first same as last)
                    let (f, st) = rhs(t, &k, &mut warm)?;
                    f0 = f;
                    if at_out || opt.record_steps {
                        traj.push(t, &st);
                    }
                } else if at_out || opt.record_steps {
                    traj.push(t, &st4);
                }
                observe(t);
            }
            let fac = if err > 0.0 {
                0.9 * err.powf(-1.0 / 3.0)
            } else {
                5.0
            };
            h = (hh * fac.clamp(0.2, 5.0)).min(h_max);
        }
    }
    traj.evaluations = evals;
    Ok(traj)
}
