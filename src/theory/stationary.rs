//! Stationary states of the fast variables (docs/theory.md 2.1-2.4): population rates
//! `nu_A`, second moments `q_A` and mean drives `mu_A` at given latent state
//! `kappa` and input `s`, in the finite-K and balanced-limit modes.

// `!(x > 0.0)` is the intended NaN-rejecting test, and the quadrature and series
// constants keep the digits of their sources.
#![allow(
    clippy::neg_cmp_op_on_partial_ord,
    clippy::excessive_precision,
    clippy::type_complexity
)]

use std::cell::RefCell;

use nalgebra::{DMatrix, DVector};

use super::closure::{Closure, FanoIteration};
use super::correlated::InputFano;
use super::inputs::{latent_input, mean_drive, noise_sigma, quenched_var};
use super::newton::{self, NewtonOptions};
use crate::error::{Error, Result};
use crate::gauss;
use crate::model::Model;
use crate::transfer::{LifParams, Transfer, siegert::Siegert};

pub use super::state::{Limit, PopulationState, State};

/// How `mu_A` is closed in one evaluation.
#[derive(Clone, Debug)]
pub(crate) enum MuClosure<'a> {
    /// From the rates (finite K).
    Drive,
    /// Given values: the balanced limit's unknowns, or the "unbalanced mode" of 2.6.4.
    Given(&'a [f64]),
}

/// Options that change which equations are solved.
#[derive(Clone, Copy, Debug)]
pub struct Equations {
    /// Include the quenched variance `beta_A` from the random connectivity (2.1).
    pub quenched: bool,
}

impl Default for Equations {
    fn default() -> Self {
        Equations { quenched: true }
    }
}

/// The diffusion-approximation (Siegert) transfer function of population `a` at temporal
/// noise `sigma` (docs/theory.md 2.2), whatever the Model's `transfer`; for the Model's own
/// choice use [`super::closure::state_transfer`].
pub fn population_transfer(model: &Model, a: usize, sigma: f64) -> Box<dyn Transfer> {
    Box::new(Siegert {
        lif: LifParams::of(model, a),
        sigma,
    })
}

/// What stays fixed while one stationary state is solved for: the Model, the latent
/// variables `kappa` and inputs `s`, how `mu_A` is closed, the equation options and the
/// Fano factors of the noise closure (docs/theory.md 2.1, 2.4).
#[derive(Clone, Copy)]
pub(crate) struct Point<'a> {
    pub model: &'a Model,
    pub kappa: &'a [f64],
    pub s: &'a [f64],
    pub mu: &'a MuClosure<'a>,
    pub eq: &'a Equations,
    pub fano: &'a [f64],
    /// The correlated closure's input-dependent Fano factors (docs/theory.md 6.6.11), per
    /// receiving population.
    pub per_input: Option<&'a [InputFano]>,
}

/// Evaluate the right-hand sides of docs/theory.md 2.1-2.3 for all populations at given input
/// rates `nu` and second moments `q`, at the fixed quantities of `pt`.
pub(crate) fn evaluate(pt: &Point, nu: &[f64], q: &[f64]) -> Result<Vec<PopulationState>> {
    let Point {
        model,
        kappa,
        s,
        mu,
        eq,
        fano,
        per_input,
    } = *pt;
    let nu_fano: Vec<f64> = nu.iter().zip(fano).map(|(n, f)| n * f).collect();
    (0..model.p())
        .map(|a| {
            let pop = &model.populations[a];
            let mu_a = match mu {
                MuClosure::Drive => mean_drive(model, a, nu),
                MuClosure::Given(m) => m[a],
            };
            let sigma = noise_sigma(model, a, &nu_fano);
            let beta = if eq.quenched {
                quenched_var(model, a, nu, q)
            } else {
                pop.beta_ext
            };
            let (shift, lvar) = latent_input(model, a, kappa, s);
            let mean = mu_a + shift;
            // A variance below 1e-12 sigma^2 changes the averages by less than 1e-12
            // relative (second-order term): treat it as zero and skip the quadrature.
            let delta = if beta + lvar < 1e-12 * sigma * sigma {
                0.0
            } else {
                beta + lvar
            };
            let own = per_input.map(|v| &v[a]);
            let t =
                super::closure::transfer_for_input(model, a, nu, fano, sigma, mean, delta, own)?;
            let m = gauss::moments(&t, mean, delta);
            let ln_rate = if delta == 0.0 {
                t.ln_rate(mean)
            } else {
                m.nu.max(TINY).ln()
            };
            Ok(PopulationState {
                name: pop.name.clone(),
                rate_hz: m.nu,
                q_hz2: m.q,
                mu_mv: mu_a,
                sigma_mv: sigma,
                quenched_var_mv2: beta,
                mean_input_mv: mean,
                delta_mv2: delta,
                gain_hz_per_mv: m.gain,
                mean_v_mv: m.mean_v,
                fano: fano[a],
                input_fano: own.cloned(),
                ln_rate,
            })
        })
        .collect()
}

/// [`evaluate`] at a converged solution: the Gaussian averages that make up the reported
/// state must have met their tolerance (docs/theory.md 2.3). During the iterations a
/// capped average is accepted as the best estimate; in the result it is an error.
fn evaluate_final(pt: &Point, nu: &[f64], q: &[f64]) -> Result<Vec<PopulationState>> {
    gauss::take_cap_hits();
    let pops = evaluate(pt, nu, q)?;
    let hits = gauss::take_cap_hits();
    if hits > 0 {
        return Err(Error::NoConvergence {
            what: format!(
                "Gaussian average of the transfer function at the solution (adaptive \
                 quadrature stopped at {} panels in {hits} integral(s) without reaching its \
                 tolerance; input statistics outside the range where the transfer function \
                 is accurate, docs/theory.md section 7)",
                gauss::MAX_PANELS
            ),
            iterations: gauss::MAX_PANELS,
            residual: f64::NAN,
        });
    }
    Ok(pops)
}

const TINY: f64 = 1e-300;

/// Largest population rate (Hz) the finite-K solvers consider (docs/theory.md section 7):
/// an inter-spike interval of 10 us, far beyond any LIF population with a refractory
/// period (whose rate stays below `1/tau_ref`). Without refractoriness (`tau_ref = 0`) the
/// Siegert rate grows without bound with the input, and a network with strong recurrent
/// excitation has a runaway branch on which the rates go to infinity; Newton iterations
/// that follow it are cut back here, and fail fast, instead of creeping along it.
pub const MAX_RATE_HZ: f64 = 1e5;

fn ln_ratio(out: &PopulationState) -> f64 {
    (out.q_hz2.max(TINY) / out.rate_hz.max(TINY).powi(2)).ln()
}

/// Balanced-limit rates from `sum_B c_B J_AB nu_B + c_0 J_A0 nu_0 = 0` (docs/theory.md 2.4),
/// with the condition number of the balance matrix `W_AB = c_B J_AB`.
///
/// # Errors
///
/// [`Error::Invalid`] for a Model that breaks [`Model::validate`];
/// [`Error::SingularBalance`] if `W` has condition number `>= 1e12`;
/// [`Error::NoBalancedState`] if a population would need a rate `<= 0` or `>= 1/tau_ref`.
pub fn balanced_rates(model: &Model) -> Result<(Vec<f64>, f64)> {
    model.validate()?;
    balanced_rates_valid(model)
}

fn balanced_rates_valid(model: &Model) -> Result<(Vec<f64>, f64)> {
    let p = model.p();
    let w = DMatrix::from_fn(p, p, |a, b| model.populations[b].c * model.j[a][b]);
    let rhs = DVector::from_fn(p, |a, _| {
        -model.external.c0 * model.populations[a].j_ext * model.external.nu0
    });
    let sv = w.clone().svd(false, false).singular_values;
    let (smax, smin) = (sv.max(), sv.min());
    let condition = if smin > 0.0 {
        smax / smin
    } else {
        f64::INFINITY
    };
    if !(condition < 1e12) {
        return Err(Error::SingularBalance { condition });
    }
    let nu = w
        .lu()
        .solve(&rhs)
        .ok_or(Error::SingularBalance { condition })?;
    for (a, &v) in nu.iter().enumerate() {
        let pop = &model.populations[a];
        if v <= 0.0 {
            return Err(Error::NoBalancedState(format!(
                "population {} would need rate {v:.4} Hz <= 0 to cancel the O(sqrt K) input \
                 (inhibition too strong or external drive too weak for it)",
                pop.name
            )));
        }
        if pop.tau_ref > 0.0 && v >= 1.0 / pop.tau_ref {
            return Err(Error::NoBalancedState(format!(
                "population {} would need rate {v:.4} Hz >= 1/tau_ref = {:.1} Hz",
                pop.name,
                1.0 / pop.tau_ref
            )));
        }
    }
    Ok((nu.iter().copied().collect(), condition))
}

/// Solve the fast variables at `(kappa, s)` in mode `limit`, starting from `guess`
/// (a nearby state, e.g. the previous point of a continuation). docs/theory.md 2.4.
///
/// # Errors
///
/// [`Error::Invalid`] for a Model that breaks [`Model::validate`], a `kappa` (Hz) whose
/// length is not `D`, an `s` whose length is not `D_in`, or non-finite entries
/// (docs/theory.md section 7); a `guess` with the wrong number of populations;
/// [`Error::NoConvergence`] if no start converges within the iteration caps (the error
/// carries the final residual); [`Error::Domain`] if the solution is not finite;
/// the balanced-limit errors of [`balanced_rates`].
pub fn solve(
    model: &Model,
    limit: Limit,
    kappa: &[f64],
    s: &[f64],
    guess: Option<&State>,
) -> Result<State> {
    solve_with(model, limit, kappa, s, guess, &Equations::default())
}

/// [`solve`] with explicit [`Equations`] options. With the `renewal` noise closure the
/// presynaptic Fano factors `F_B = E_B[nu CV^2] / nu_B` (docs/theory.md 2.1; CV of the diffusion
/// LIF) are iterated to self-consistency around the inner solve (Anderson-accelerated,
/// see `AndersonMixer`).
///
/// # Errors
///
/// As [`solve`].
pub fn solve_with(
    model: &Model,
    limit: Limit,
    kappa: &[f64],
    s: &[f64],
    guess: Option<&State>,
    eq: &Equations,
) -> Result<State> {
    super::check_inputs(model, kappa, s)?;
    check_guess(model, guess)?;
    solve_with_valid(model, limit, kappa, s, guess, eq)
}

/// A warm start must describe the same populations.
pub(crate) fn check_guess(model: &Model, guess: Option<&State>) -> Result<()> {
    if let Some(g) = guess
        && g.populations.len() != model.p()
    {
        return Err(Error::invalid(
            "guess",
            format!("a state of {} populations", g.populations.len()),
            format!("must have one entry per population ({})", model.p()),
        ));
    }
    Ok(())
}

/// [`solve`] for inputs already checked by [`super::check_inputs`] (internal callers that
/// re-solve many times at nearby `kappa`).
pub(crate) fn solve_valid(
    model: &Model,
    limit: Limit,
    kappa: &[f64],
    s: &[f64],
    guess: Option<&State>,
) -> Result<State> {
    solve_with_valid(model, limit, kappa, s, guess, &Equations::default())
}

/// Every reported number of a state must be finite (docs/theory.md section 7): a
/// non-finite one means the equations left the range where the numerics hold.
fn check_finite(st: State) -> Result<State> {
    for p in &st.populations {
        for (field, v) in [
            ("rate_hz", p.rate_hz),
            ("q_hz2", p.q_hz2),
            ("mu_mv", p.mu_mv),
            ("sigma_mv", p.sigma_mv),
            ("quenched_var_mv2", p.quenched_var_mv2),
            ("mean_input_mv", p.mean_input_mv),
            ("delta_mv2", p.delta_mv2),
            ("gain_hz_per_mv", p.gain_hz_per_mv),
            ("mean_v_mv", p.mean_v_mv),
            ("fano", p.fano),
        ] {
            if !v.is_finite() {
                return Err(Error::Domain(format!(
                    "the stationary state of population {} has {field} = {v}: the input \
                     statistics are outside the range the transfer function can evaluate \
                     (docs/theory.md section 7)",
                    p.name
                )));
            }
        }
    }
    Ok(st)
}

pub(crate) fn solve_with_valid(
    model: &Model,
    limit: Limit,
    kappa: &[f64],
    s: &[f64],
    guess: Option<&State>,
    eq: &Equations,
) -> Result<State> {
    solve_with_unchecked_result(model, limit, kappa, s, guess, eq).and_then(check_finite)
}

fn solve_with_unchecked_result(
    model: &Model,
    limit: Limit,
    kappa: &[f64],
    s: &[f64],
    guess: Option<&State>,
    eq: &Equations,
) -> Result<State> {
    let p = model.p();
    let closure = Closure::of(model);
    if guess.is_none()
        && let Some(cheaper) = closure.diffusion_model(model)
    {
        // start from the cheaper Model's solution (the multi-start search is left to
        // its cheap Siegert function)
        let start = solve_with_valid(&cheaper, limit, kappa, s, None, eq)?;
        return solve_with_valid(model, limit, kappa, s, Some(&start), eq);
    }
    match closure.fano_iteration() {
        None => solve_inner(model, limit, kappa, s, guess, eq, &vec![1.0; p], None, None),
        Some(it) => fano_loop(model, limit, kappa, s, guess, eq, &it, None),
    }
}

/// A latent fixed point of a 1-D Model solved jointly with its Fano-factor loop
/// (docs/theory.md 2.4): each round moves `kappa` by the chord step
/// `-(G(kappa) - kappa) / slope` with `slope` an estimate of `G'(kappa) - 1` (from a
/// cheaper Model), while the Fano factors take their step; converged when both changes
/// are below tolerance. `None` for a closure without a Fano-factor loop, when the chord
/// steps stop contracting, or when a solve on the way fails: the caller then brackets
/// the root instead.
pub(crate) fn solve_latent_root_1d(
    model: &Model,
    limit: Limit,
    k0: f64,
    s: &[f64],
    warm: &State,
    slope: f64,
) -> Option<State> {
    let it = Closure::of(model).fano_iteration()?;
    if model.d() != 1 || !(slope.abs() >= CHORD_MIN_SLOPE) || !slope.is_finite() {
        return None;
    }
    fano_loop(
        model,
        limit,
        &[k0],
        s,
        Some(warm),
        &Equations::default(),
        &it,
        Some(slope),
    )
    .and_then(check_finite)
    .ok()
}

/// Below this `|G' - 1|` of the cheaper Model (near a bifurcation) the chord steps of
/// [`solve_latent_root_1d`] are not tried: the root is bracketed instead.
const CHORD_MIN_SLOPE: f64 = 0.05;

/// Rounds of [`solve_latent_root_1d`] after which the chord steps must contract.
const CHORD_ROUNDS: usize = 40;

/// The change of a round of the correlated closure's loop (Fano factors; `kappa` in Hz
/// with the chord steps) below which rule `H`'s corrections are refreshed
/// (docs/theory.md 6.6.12a): each refresh costs one Hawkes solve per grid point.
const CORRECTION_REFRESH: f64 = 1e-3;

/// [`CORRECTION_REFRESH`] for the first refresh of a solve that starts without rule
/// `H`'s corrections (docs/theory.md 6.6.12a): those corrections are computed to a
/// shorter reach and never kept, so they need not wait for the loop to settle (two
/// rounds fewer; the default model's stationary rates move by 2e-6 relative, `kappa*`
/// by less than 1e-8).
const FIRST_CORRECTION_REFRESH: f64 = 1e-2;

/// The tolerance of the correlated closure's loop (change of the Fano factors per round;
/// relative `kappa` step with the chord steps), 1e-10 for the other closures: the
/// closure keeps rule `H`'s corrections while their sources move by less than
/// [`super::correlated::CORRECTION_REUSE`] (1e-2, docs/theory.md 6.6.12a), which moves
/// `kappa*` by about 2e-5 relative, so converging its loop further buys no accuracy
/// (1e-6 and 1e-8 give the same `kappa*` to 1e-8 and stationary rates to 1e-7 on the
/// default model).
const CORRELATED_LOOP_TOL: f64 = 1e-6;

/// The largest tolerance of an inner solve of the Fano-factor loop (Newton's `max |r|`,
/// docs/theory.md 2.4), in the first rounds.
const INNER_TOL_MAX: f64 = 1e-4;

/// What the inner solves of one Fano-factor loop share (docs/theory.md 2.4): they are
/// nearby systems, so Newton carries its Jacobian from one to the next (Broyden updates),
/// and each is solved only as accurately as the loop's progress needs.
struct InnerReuse {
    jacobian: RefCell<Option<DMatrix<f64>>>,
    tol: std::cell::Cell<f64>,
}

impl Default for InnerReuse {
    fn default() -> Self {
        InnerReuse {
            jacobian: RefCell::new(None),
            tol: std::cell::Cell::new(NewtonOptions::default().tol),
        }
    }
}

/// The Fano-factor loop of docs/theory.md 2.1 around the inner solve, optionally with the
/// chord steps of [`solve_latent_root_1d`] on `kappa` (`chord = Some(slope)`).
#[allow(clippy::too_many_arguments)]
fn fano_loop(
    model: &Model,
    limit: Limit,
    kappa: &[f64],
    s: &[f64],
    guess: Option<&State>,
    eq: &Equations,
    it: &FanoIteration,
    chord: Option<f64>,
) -> Result<State> {
    let p = model.p();
    let correlated = model.noise.is_correlated();
    // docs/theory.md 2.1: presynaptic Fano factors (renewal: CV^2; spectral: the
    // membrane-filtered renewal spectrum of theory::spectral) iterated to
    // self-consistency around the inner solve, each round warm-started
    let mut kappa = kappa.to_vec();
    let mut fano = guess.map_or_else(|| vec![1.0; p], |g| g.fano());
    // a guess of the correlated closure carries its input-dependent Fano factors
    let mut per_input: Option<Vec<InputFano>> = guess
        .filter(|_| correlated)
        .and_then(|g| g.populations.iter().map(|q| q.input_fano.clone()).collect());
    let reuse = InnerReuse::default();
    let inner =
        |kappa: &[f64], guess: Option<&State>, fano: &[f64], per_input: Option<&[InputFano]>| {
            solve_inner(
                model,
                limit,
                kappa,
                s,
                guess,
                eq,
                fano,
                per_input,
                Some(&reuse),
            )
        };
    let mut st = inner(&kappa, guess, &fano, per_input.as_deref())?;
    let mut change = f64::INFINITY;
    let mut mixer = AndersonMixer::new(it.damping);
    let mut last_step = f64::INFINITY;
    let mut slow_rounds = 0;
    let rounds = if chord.is_some() { CHORD_ROUNDS } else { 200 };
    let tol = if correlated {
        CORRELATED_LOOP_TOL
    } else {
        1e-10
    };
    for _ in 0..rounds {
        let target = (it.map)(model, &st)?;
        change = target
            .iter()
            .zip(&fano)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f64::max);
        let step = chord.map(|slope| -(st.latent_map(model)[0] - kappa[0]) / slope);
        let kappa_done = step.is_none_or(|dk| dk.abs() < tol * (1.0 + kappa[0].abs()));
        let mut refreshed = false;
        if correlated {
            // docs/theory.md 6.6.11: the receiving neuron's own weighting; rule H's
            // corrections (6.6.12a) are refreshed once the loop has nearly converged
            // with the current ones
            // a first refresh sooner and to a shorter reach: the state moves after it
            // anyway
            let computed = per_input
                .as_ref()
                .is_some_and(|v| v.iter().any(|g| !g.correction_basis.is_empty()));
            let (refresh_below, reach) = if computed {
                (CORRECTION_REFRESH, super::correlated::HAWKES_REACH)
            } else {
                (
                    FIRST_CORRECTION_REFRESH,
                    super::correlated::HAWKES_FIRST_REACH,
                )
            };
            let refresh = change.max(step.map_or(0.0, f64::abs)) < refresh_below;
            // where and to what reach the corrections were computed
            let basis = |v: &Option<Vec<InputFano>>| -> Vec<(Vec<f64>, usize)> {
                v.as_ref().map_or_else(
                    || vec![(Vec::new(), 0); p],
                    |v| {
                        v.iter()
                            .map(|g| (g.correction_basis.clone(), g.correction_reach))
                            .collect()
                    },
                )
            };
            let before = basis(&per_input);
            per_input = Some(super::correlated::input_fano(
                model,
                &st,
                |b| super::closure::state_transfer(model, &st, b),
                per_input.as_deref(),
                refresh.then_some(reach),
            )?);
            // a state solved with the corrections just replaced has not converged
            refreshed = basis(&per_input) != before;
        }
        if let Some(dk) = step.filter(|_| !kappa_done) {
            // the chord steps contract by |1 - (G' - 1)/slope| per round: stop when
            // they do not (the cheaper Model's slope is too far off); a step already
            // below tolerance, waiting for the Fano factors, is not counted
            slow_rounds = if dk.abs() > 0.7 * last_step {
                slow_rounds + 1
            } else {
                0
            };
            if slow_rounds >= 4 || !dk.is_finite() {
                break;
            }
            last_step = dk.abs();
        }
        // the next inner solve need not be more accurate than a hundredth of this
        // round's change (the state it returns is only the start of the next round),
        // and a converged state must come from an inner solve a hundredth of the loop's
        // tolerance (or Newton's own)
        let full = reuse.tol.get() <= NewtonOptions::default().tol.max(1e-2 * tol);
        let progress = change.max(step.map_or(0.0, f64::abs));
        reuse
            .tol
            .set((1e-2 * progress).clamp(NewtonOptions::default().tol, INNER_TOL_MAX));
        if change < tol && kappa_done && full && !refreshed {
            return Ok(st);
        }
        // the unknowns of the loop: the Fano factors, and `kappa` with the chord steps
        let mut x = fano.clone();
        let mut gx = target.clone();
        if let Some(dk) = step {
            x.push(kappa[0]);
            gx.push(kappa[0] + dk);
        }
        let mut damped: Vec<f64> = x
            .iter()
            .zip(&gx)
            .map(|(f, t)| f + it.damping * (t - f))
            .collect();
        if step.is_some() {
            damped[p] = gx[p];
        }
        let solve_at = |y: &[f64]| {
            let k = if step.is_some() {
                vec![y[p]]
            } else {
                kappa.clone()
            };
            inner(&k, Some(&st), &y[..p], per_input.as_deref()).map(|st| (y.to_vec(), st))
        };
        // the accelerated step is taken only where it stays in the domain and its
        // inner solve succeeds; otherwise the damped step, with the history cleared
        let accelerated = if it.accelerate {
            mixer
                .next(&x, &gx)
                .filter(|y| y.iter().all(|v| v.is_finite()) && y[..p].iter().all(|v| *v > 0.0))
                .and_then(|y| solve_at(&y).ok())
        } else {
            None
        };
        let (y, next) = match accelerated {
            Some(a) => a,
            None => {
                mixer.reset();
                solve_at(&damped)?
            }
        };
        fano = y[..p].to_vec();
        if step.is_some() {
            kappa[0] = y[p];
        }
        st = next;
    }
    Err(Error::NoConvergence {
        what: it.what.into(),
        iterations: rounds,
        residual: change,
    })
}

/// Population rate (Hz) below which a population counts as silent when the network is
/// evaluated at zero recurrent activity (see [`silent_state`]).
const SILENT_HZ: f64 = 1e-300;

/// The silent state, if the network is silent at finite K: when the inputs at zero
/// recurrent activity (external drive, bias, latent input) make no population fire
/// (every rate below `SILENT_HZ`), `nu = q = 0` solves the equations of docs/theory.md
/// 2.4, a solution the logarithmic unknowns of the Newton solve could only approach as
/// `ln nu -> -inf`. A self-sustained active state of such a network is not searched for.
fn silent_state(
    model: &Model,
    kappa: &[f64],
    s: &[f64],
    eq: &Equations,
    fano: &[f64],
    per_input: Option<&[InputFano]>,
) -> Option<State> {
    let zeros = vec![0.0; model.p()];
    let pt = Point {
        model,
        kappa,
        s,
        mu: &MuClosure::Drive,
        eq,
        fano,
        per_input,
    };
    let pops = evaluate(&pt, &zeros, &zeros).ok()?;
    let silent = pops
        .iter()
        .all(|p| p.rate_hz < SILENT_HZ && p.mu_mv.is_finite() && p.mean_v_mv.is_finite());
    silent.then(|| State {
        limit: Limit::Finite,
        kappa: kappa.to_vec(),
        s: s.to_vec(),
        populations: pops,
        residual: 0.0,
    })
}

#[allow(clippy::too_many_arguments)]
fn solve_inner(
    model: &Model,
    limit: Limit,
    kappa: &[f64],
    s: &[f64],
    guess: Option<&State>,
    eq: &Equations,
    fano: &[f64],
    per_input: Option<&[InputFano]>,
    reuse: Option<&InnerReuse>,
) -> Result<State> {
    match limit {
        Limit::Finite => {
            if let Some(st) = silent_state(model, kappa, s, eq, fano, per_input) {
                return Ok(st);
            }
            if let Some(g) = guess {
                let r0 = Some(g.populations.iter().map(ln_ratio).collect());
                return solve_rates(
                    &Point {
                        model,
                        kappa,
                        s,
                        mu: &MuClosure::Drive,
                        eq,
                        fano,
                        per_input,
                    },
                    &g.rates(),
                    r0,
                    Limit::Finite,
                    reuse,
                );
            }
            // no guess: a few uniform starting rates, the first that converges wins
            let mut last = None;
            for start in [10.0, 1.0, 1e-3, 50.0, 0.1, 150.0] {
                let nu0 = vec![start; model.p()];
                match solve_rates(
                    &Point {
                        model,
                        kappa,
                        s,
                        mu: &MuClosure::Drive,
                        eq,
                        fano,
                        per_input,
                    },
                    &nu0,
                    None,
                    Limit::Finite,
                    None,
                ) {
                    Ok(st) => return Ok(st),
                    Err(e) => last = Some(e),
                }
            }
            Err(last.expect("at least one start"))
        }
        Limit::Balanced => solve_balanced(model, kappa, s, guess, eq, fano, per_input),
    }
}

/// Solve with `mu_A` held fixed at `mu` (mV) instead of closing it with the rates: the
/// "unbalanced mode" of standard low-rank networks (docs/theory.md 2.6.4). Reported as finite K.
///
/// # Errors
///
/// As [`solve`]; also [`Error::Invalid`] if `mu` does not have one finite entry per
/// population.
pub fn solve_fixed_mu(
    model: &Model,
    mu: &[f64],
    kappa: &[f64],
    s: &[f64],
    guess: Option<&State>,
    eq: &Equations,
) -> Result<State> {
    super::check_inputs(model, kappa, s)?;
    check_guess(model, guess)?;
    if mu.len() != model.p() {
        return Err(Error::invalid(
            "mu",
            format!("{mu:?}"),
            format!("needs one value per population ({})", model.p()),
        ));
    }
    super::check_values("mu", mu)?;
    solve_fixed_mu_valid(model, mu, kappa, s, guess, eq)
}

pub(crate) fn solve_fixed_mu_valid(
    model: &Model,
    mu: &[f64],
    kappa: &[f64],
    s: &[f64],
    guess: Option<&State>,
    eq: &Equations,
) -> Result<State> {
    let nu0: Vec<f64> = guess.map_or_else(|| vec![10.0; model.p()], |g| g.rates());
    let r0 = guess.map(|g| g.populations.iter().map(ln_ratio).collect());
    let ones = vec![1.0; model.p()];
    let pt = Point {
        model,
        kappa,
        s,
        mu: &MuClosure::Given(mu),
        eq,
        fano: &ones,
        per_input: None,
    };
    solve_rates(&pt, &nu0, r0, Limit::Finite, None).and_then(check_finite)
}

/// The finite-K stationary state at the fixed quantities of `pt` from rates `nu0` (Hz)
/// and log ratios `ln(q/nu^2)` `lnr0`; with `reuse` (the inner solves of a Fano-factor
/// loop), Newton starts from (and leaves there) the Jacobian of the previous solve
/// ([`newton::solve_reusing`]) and stops at `reuse`'s tolerance.
fn solve_rates(
    pt: &Point,
    nu0: &[f64],
    lnr0: Option<Vec<f64>>,
    limit: Limit,
    reuse: Option<&InnerReuse>,
) -> Result<State> {
    let (model, kappa, s) = (pt.model, pt.kappa, pt.s);
    let p = model.p();
    // Without latent or frozen heterogeneity, fixed in-degree networks admit the
    // homogeneous solution q = nu^2 (docs/theory.md 2.1): start there (ln r = 0).
    let homogeneous = model.connectivity != crate::model::Connectivity::Bernoulli
        && (0..p).all(|a| {
            model.populations[a].beta_ext == 0.0 && latent_input(model, a, kappa, s).1 == 0.0
        });
    let mut x0 = DVector::zeros(2 * p);
    for a in 0..p {
        x0[a] = nu0[a].max(1e-12).ln();
        x0[p + a] = lnr0
            .as_ref()
            .map_or(if homogeneous { 0.0 } else { 0.3 }, |r| r[a]);
    }
    // In the homogeneous case the q equations are satisfied identically by q = nu^2:
    // solve for the rates alone (no Gaussian quadrature at all).
    let unknowns = if homogeneous { p } else { 2 * p };
    let x0 = x0.rows(0, unknowns).into_owned();
    let split = |x: &DVector<f64>| -> (Vec<f64>, Vec<f64>) {
        let nu: Vec<f64> = (0..p).map(|a| x[a].exp()).collect();
        let q: Vec<f64> = (0..p)
            .map(|a| nu[a] * nu[a] * if homogeneous { 1.0 } else { x[p + a].exp() })
            .collect();
        (nu, q)
    };
    let ln_max = MAX_RATE_HZ.ln();
    let residual = |x: &DVector<f64>| -> Option<DVector<f64>> {
        if (0..p).any(|a| x[a] > ln_max) {
            // outside the domain of the theory: the step is cut back
            return None;
        }
        let (nu, q) = split(x);
        let out = evaluate(pt, &nu, &q).ok()?;
        let mut r = DVector::zeros(unknowns);
        for a in 0..p {
            r[a] = x[a] - out[a].ln_rate;
            if !homogeneous {
                r[p + a] = x[p + a] - ln_ratio(&out[a]);
            }
        }
        r.iter().all(|v| v.is_finite()).then_some(r)
    };
    let what = "finite-K stationary state";
    let rep = match reuse {
        Some(reuse) => newton::solve_reusing(
            what,
            residual,
            x0,
            &NewtonOptions {
                tol: reuse.tol.get(),
                ..NewtonOptions::default()
            },
            &mut reuse.jacobian.borrow_mut(),
        )?,
        None => newton::solve(what, residual, x0, &NewtonOptions::default())?,
    };
    let (nu, q) = split(&rep.x);
    let pops = evaluate_final(pt, &nu, &q)?;
    Ok(State {
        limit,
        kappa: kappa.to_vec(),
        s: s.to_vec(),
        populations: pops,
        residual: rep.residual,
    })
}

fn solve_balanced(
    model: &Model,
    kappa: &[f64],
    s: &[f64],
    guess: Option<&State>,
    eq: &Equations,
    fano: &[f64],
    per_input: Option<&[InputFano]>,
) -> Result<State> {
    let p = model.p();
    let (nu, _) = balanced_rates_valid(model)?;
    let mut x0 = DVector::zeros(2 * p);
    for a in 0..p {
        match guess {
            Some(g) if g.limit == Limit::Balanced => {
                x0[a] = g.populations[a].mu_mv;
                x0[p + a] = ln_ratio(&g.populations[a]);
            }
            _ => {
                let sigma = noise_sigma(model, a, &nu);
                let (shift, _) = latent_input(model, a, kappa, s);
                let t = population_transfer(model, a, sigma);
                x0[a] = t.inverse(nu[a]).unwrap_or(model.populations[a].theta) - shift;
                x0[p + a] = 0.3;
            }
        }
    }
    let residual = |x: &DVector<f64>| -> Option<DVector<f64>> {
        let mu: Vec<f64> = (0..p).map(|a| x[a]).collect();
        let q: Vec<f64> = (0..p).map(|a| nu[a] * nu[a] * x[p + a].exp()).collect();
        let given = MuClosure::Given(&mu);
        let pt = Point {
            model,
            kappa,
            s,
            mu: &given,
            eq,
            fano,
            per_input,
        };
        let out = evaluate(&pt, &nu, &q).ok()?;
        let mut r = DVector::zeros(2 * p);
        for a in 0..p {
            r[a] = nu[a].ln() - out[a].ln_rate;
            r[p + a] = x[p + a] - ln_ratio(&out[a]);
        }
        r.iter().all(|v| v.is_finite()).then_some(r)
    };
    let opt = NewtonOptions {
        max_step: 10.0,
        ..NewtonOptions::default()
    };
    let rep = newton::solve("balanced-limit stationary state", residual, x0, &opt)?;
    let mu: Vec<f64> = (0..p).map(|a| rep.x[a]).collect();
    let q: Vec<f64> = (0..p).map(|a| nu[a] * nu[a] * rep.x[p + a].exp()).collect();
    let given = MuClosure::Given(&mu);
    let pt = Point {
        model,
        kappa,
        s,
        mu: &given,
        eq,
        fano,
        per_input,
    };
    let pops = evaluate_final(&pt, &nu, &q)?;
    Ok(State {
        limit: Limit::Balanced,
        kappa: kappa.to_vec(),
        s: s.to_vec(),
        populations: pops,
        residual: rep.residual,
    })
}

/// All finite-K stationary states at `(kappa, s)` found by multi-start Newton from a
/// grid of initial rates (`{1e-3, 0.1, 3, 15, 60, 200}` Hz per population, capped at
/// `0.9 / tau_ref`), de-duplicated, sorted by the first population's rate, highest first
/// (docs/theory.md 2.4). The default models have a single stationary state: no nearly silent
/// second state exists there. In the balanced limit the rates are fixed by the linear
/// balance, so the one solution of [`solve`] is returned.
///
/// # Errors
///
/// As [`solve`]; [`Error::NoConvergence`] (or the last start's error) if no start converges.
pub fn solve_all(model: &Model, limit: Limit, kappa: &[f64], s: &[f64]) -> Result<Vec<State>> {
    super::check_inputs(model, kappa, s)?;
    solve_all_valid(model, limit, kappa, s)
}

fn solve_all_valid(model: &Model, limit: Limit, kappa: &[f64], s: &[f64]) -> Result<Vec<State>> {
    if limit == Limit::Balanced {
        return Ok(vec![solve_valid(model, limit, kappa, s, None)?]);
    }
    let p = model.p();
    let closure = Closure::of(model);
    if let Some(cheaper) = closure.diffusion_model(model) {
        // every shot-noise (or correlated) state continues a state of the cheaper closure
        let starts = solve_all_valid(&cheaper, limit, kappa, s)?;
        let mut out: Vec<State> = Vec::new();
        let mut last = None;
        for st in &starts {
            match solve_valid(model, limit, kappa, s, Some(st)) {
                Ok(x) => out.push(x),
                Err(e) => last = Some(e),
            }
        }
        return if out.is_empty() {
            Err(last.expect("at least one start"))
        } else {
            Ok(out)
        };
    }
    let eq = Equations::default();
    if let Some(st) = silent_state(model, kappa, s, &eq, &vec![1.0; p], None) {
        return Ok(vec![st]);
    }
    let levels: [f64; 6] = [1e-3, 0.1, 3.0, 15.0, 60.0, 200.0];
    let mut found: Vec<State> = Vec::new();
    let mut last_err = None;
    let total = levels.len().pow(p as u32);
    for idx in 0..total {
        let mut rem = idx;
        let nu0: Vec<f64> = (0..p)
            .map(|a| {
                let v = levels[rem % levels.len()];
                rem /= levels.len();
                v.min(0.9 / model.populations[a].tau_ref.max(1e-9))
            })
            .collect();
        let solved = solve_rates(
            &Point {
                model,
                kappa,
                s,
                mu: &MuClosure::Drive,
                eq: &eq,
                fano: &vec![1.0; p],
                per_input: None,
            },
            &nu0,
            None,
            Limit::Finite,
            None,
        )
        .and_then(|st| {
            if closure.fano_iteration().is_none() {
                check_finite(st)
            } else {
                solve_valid(model, limit, kappa, s, Some(&st))
            }
        });
        match solved {
            Ok(st) => {
                let dup = found.iter().any(|f| {
                    f.populations.iter().zip(&st.populations).all(|(x, y)| {
                        (x.rate_hz.max(TINY).ln() - y.rate_hz.max(TINY).ln()).abs() < 1e-5
                    })
                });
                if !dup {
                    found.push(st);
                }
            }
            Err(e) => last_err = Some(e),
        }
    }
    if found.is_empty() {
        return Err(last_err.unwrap_or(Error::NoConvergence {
            what: "finite-K stationary state".into(),
            iterations: 0,
            residual: f64::NAN,
        }));
    }
    found.sort_by(|a, b| {
        b.populations[0]
            .rate_hz
            .total_cmp(&a.populations[0].rate_hz)
    });
    Ok(found)
}

/// Anderson acceleration (type II, Walker & Ni 2011) of the outer fixed-point iteration
/// `F = G(F)` of the renewal and spectral closures (docs/theory.md 2.1): with the residuals
/// `r_k = G(F_k) - F_k` of the last `m <= P` iterates, `gamma` minimises
/// `|r_k - dR gamma|` and `F_{k+1} = F_k + beta r_k - (dF + beta dR) gamma`. With `m = P`
/// this is a secant (Broyden-like) method on the `P` Fano factors; the plain damped
/// iteration `F + beta r` needed 20-30 rounds per solve (each an inner solve), this about
/// 6-8. Written here: argmin's Anderson mixing is not exposed for a caller-driven loop
/// with a fallback, and the problem has two or three unknowns.
struct AndersonMixer {
    beta: f64,
    history: Vec<(Vec<f64>, Vec<f64>)>,
}

impl AndersonMixer {
    fn new(beta: f64) -> Self {
        AndersonMixer {
            beta,
            history: Vec::new(),
        }
    }

    fn reset(&mut self) {
        self.history.clear();
    }

    /// Record `(F_k, G(F_k))` and propose `F_{k+1}`; `None` when the least-squares problem
    /// is degenerate (the caller then takes the damped step).
    fn next(&mut self, f: &[f64], g: &[f64]) -> Option<Vec<f64>> {
        let p = f.len();
        let r: Vec<f64> = g.iter().zip(f).map(|(a, b)| a - b).collect();
        self.history.push((f.to_vec(), r.clone()));
        let keep = p.max(1) + 1;
        if self.history.len() > keep {
            self.history.remove(0);
        }
        let m = self.history.len() - 1;
        let step: Vec<f64> = f.iter().zip(&r).map(|(x, ri)| x + self.beta * ri).collect();
        if m == 0 {
            return Some(step);
        }
        let mut d_f = DMatrix::zeros(p, m);
        let mut d_r = DMatrix::zeros(p, m);
        for j in 0..m {
            let (f0, r0) = &self.history[j];
            let (f1, r1) = &self.history[j + 1];
            for i in 0..p {
                d_f[(i, j)] = f1[i] - f0[i];
                d_r[(i, j)] = r1[i] - r0[i];
            }
        }
        let gamma = d_r
            .clone()
            .svd(true, true)
            .solve(&DVector::from_column_slice(&r), 1e-14)
            .ok()?;
        if !gamma.iter().all(|v| v.is_finite()) {
            return None;
        }
        let corr = (&d_f + &d_r * self.beta) * gamma;
        Some((0..p).map(|i| step[i] - corr[i]).collect())
    }
}

#[cfg(test)]
mod anderson_tests {
    use super::AndersonMixer;

    /// On a linear contraction `G(F) = A F + b` in two dimensions, Anderson mixing with a
    /// history of `P` steps is a secant method and reaches the fixed point
    /// `(I - A)^{-1} b` (closed form) to rounding within `P + 2` rounds; the damped
    /// iteration with the same mixing is still 1e-3 away after 20.
    #[test]
    fn anderson_solves_a_linear_fixed_point_in_p_plus_two_rounds() {
        let a = [[0.9, 0.3], [-0.2, 0.85]];
        let b = [0.1, 0.4];
        let g = |f: &[f64]| {
            vec![
                a[0][0] * f[0] + a[0][1] * f[1] + b[0],
                a[1][0] * f[0] + a[1][1] * f[1] + b[1],
            ]
        };
        // (I - A) x = b by Cramer's rule
        let (m00, m01, m10, m11) = (1.0 - a[0][0], -a[0][1], -a[1][0], 1.0 - a[1][1]);
        let det = m00 * m11 - m01 * m10;
        let want = [
            (b[0] * m11 - m01 * b[1]) / det,
            (m00 * b[1] - m10 * b[0]) / det,
        ];
        let mut mixer = AndersonMixer::new(0.7);
        let mut f = vec![1.0, 1.0];
        for _ in 0..4 {
            let gf = g(&f);
            f = mixer.next(&f, &gf).unwrap();
        }
        assert!(
            (f[0] - want[0]).abs() < 1e-10 && (f[1] - want[1]).abs() < 1e-10,
            "{f:?} vs {want:?}"
        );
        let mut d = vec![1.0, 1.0];
        for _ in 0..20 {
            let gd = g(&d);
            d = d.iter().zip(&gd).map(|(x, y)| x + 0.7 * (y - x)).collect();
        }
        assert!((d[0] - want[0]).abs().max((d[1] - want[1]).abs()) > 1e-3);
    }
}
