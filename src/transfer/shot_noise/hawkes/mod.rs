//! Shot noise with self-inhibiting (Hawkes) sources (docs/theory.md 2.2.1): the rate and
//! mean potential of a LIF neuron driven by Poisson sources and by sources whose event
//! rate falls after their own events, the point-process model of a regular (renewal)
//! presynaptic population that keeps its low-frequency spectrum and its membrane Fano
//! factor.
//!
//! Source `p` has total rate `R_p` (Hz), jump `a_p` (mV) and the one-pole relative
//! spectrum `S_p(omega)/R_p = 1 - (1 - s0_p)/(1 + omega^2 tau_c,p^2)`. It is the linear
//! Hawkes process with event rate `lambda_p = R_p (1 + beta_p) - beta_p w_p`, `w_p` its own
//! events filtered by `exp(-t/theta_p)/theta_p`, with `beta_p = 1/sqrt(s0_p) - 1` and
//! `theta_p = tau_c,p / sqrt(s0_p)` (Hawkes 1971). In the scaled variable
//! `y_p = (w_p - R_p)/sigma_p`, `sigma_p^2 = R_p s0_p/(2 tau_c,p)` the stationary variance
//! of `w_p`, an event moves `V` by `a_p` and `y_p` by `c_p = 1/(theta_p sigma_p)`.
//!
//! The stationary density `P(V, y)` is expanded in the Hermite functions
//! `psi_m(y) = He_m(y) phi(y)/sqrt(m!)` of each `y_p` (total degree `<= modes`), the
//! eigenfunctions of the Ornstein-Uhlenbeck process that `y_p` is to second order in
//! `c_p`. In that basis multiplication by `y` is `R + R^T` and `-d/dy` is `R`
//! (`R psi_m = sqrt(m + 1) psi_{m+1}`), so the exact shift of `y_p` by an event is the
//! finite sum `S_p = exp(c_p R)`; the negated generator is
//!
//! ```text
//!   A = A_leak + sum_X R_X N_X + sum_p [ N_p (S_p L_p) + Y_p ],
//!   L_p = R_p - beta_p sigma_p (R + R^T),
//!   Y_p = (1 - S_p) L_p + R (R_p/(theta_p sigma_p) + (R + R^T)/theta_p),
//! ```
//!
//! with `N = 1 - T_a` the jump operator of unit rate on the voltage grid of the master
//! equation ([`super::stationary`], same cells, same split, same Richardson
//! extrapolation) and `Y_p` the `y_p`-only dynamics (diagonal `m/tau_c,p` to second order
//! in `c_p`). Mode 0 is the voltage density; its equation is the Poisson master equation
//! at rates `R_p` plus `-beta_p sigma_p N_p` times the first mode, the rate modulation
//! seen by the neuron. The firing flux of every mode is reinjected at the reset after the
//! refractory period, during which `y` evolves by `exp(-tau_ref Y)`; the modes >= 1 of
//! that source are part of the operator (the memory of `y` across one interval), so one
//! solve gives the density per interval. The linear system is solved by GMRES (Saad &
//! Schultz 1986) preconditioned by its block lower triangle in the modes: the banded
//! factorisations of the mode-diagonal blocks and the couplings from lower degrees, all
//! but the rate modulation's (see `Solver::coupled`).

use nalgebra::DMatrix;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::banded::{Band, BandLu, dot};
use super::master::{Jump, assemble, reset_source};
use super::{
    LifParams, Resolution, ShotInput, cubic_weights, grid_domain, lattice, richardson_weights,
    validate_lif,
};
use crate::error::{Error, Result};

mod response;
pub use response::{HawkesSecondOrder, second_order_weighted, second_order_with};

/// A self-inhibiting (or, with `s0 > 1`, self-exciting) source: see the module
/// documentation.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct HawkesSource {
    /// Jump of one event (mV, signed).
    pub jump_mv: f64,
    /// Total event rate `R` (Hz).
    pub rate_hz: f64,
    /// Low-frequency level of the relative spectrum, `S(0)/R` (`CV^2` of a renewal train).
    pub s0: f64,
    /// Correlation time `tau_c` (s) of the one-pole relative spectrum.
    pub tau_c: f64,
}

impl HawkesSource {
    /// A source, checked: finite jump, rate `>= 0`, `s0 > 0`, `tau_c > 0` (s).
    pub fn new(jump_mv: f64, rate_hz: f64, s0: f64, tau_c: f64) -> Result<Self> {
        let bad = |name: &str, v: f64, why: &str| {
            Err(Error::invalid(
                format!("HawkesSource.{name}"),
                v,
                why.to_string(),
            ))
        };
        if !jump_mv.is_finite() || jump_mv.abs() > crate::model::MAX_MAGNITUDE {
            return bad("jump_mv", jump_mv, "must be finite (mV)");
        }
        if !rate_hz.is_finite() || rate_hz < 0.0 {
            return bad("rate_hz", rate_hz, "must be finite and >= 0 (Hz)");
        }
        if !s0.is_finite() || s0 <= 0.0 {
            return bad(
                "s0",
                s0,
                "the low-frequency level S(0)/R must be finite and > 0",
            );
        }
        if !tau_c.is_finite() || tau_c <= 0.0 {
            return bad(
                "tau_c",
                tau_c,
                "the correlation time must be finite and > 0 (s)",
            );
        }
        Ok(HawkesSource {
            jump_mv,
            rate_hz,
            s0,
            tau_c,
        })
    }

    /// The source with low-frequency level `s0` whose membrane-filtered Fano factor
    /// (docs/theory.md 2.1) is `f_eff` for membrane time constant `tau_m` (s):
    /// `tau_c = tau_m (f_eff - s0)/(1 - f_eff)`. `f_eff` must lie strictly between `s0`
    /// and 1 (a one-pole spectrum moves monotonically from `s0` to 1).
    pub fn from_membrane_fano(
        jump_mv: f64,
        rate_hz: f64,
        s0: f64,
        f_eff: f64,
        tau_m: f64,
    ) -> Result<Self> {
        let between = (s0 < f_eff && f_eff < 1.0) || (1.0 < f_eff && f_eff < s0);
        if !f_eff.is_finite() || !between {
            return Err(Error::invalid(
                "f_eff",
                f_eff,
                format!(
                    "a one-pole spectrum from S(0)/R = {s0} to 1 has its membrane Fano factor strictly between the two"
                ),
            ));
        }
        Self::new(jump_mv, rate_hz, s0, tau_m * (f_eff - s0) / (1.0 - f_eff))
    }

    /// The relative spectrum `S(omega)/R` at `omega` (rad/s).
    pub fn relative_spectrum(&self, omega: f64) -> f64 {
        1.0 - (1.0 - self.s0) / (1.0 + (omega * self.tau_c).powi(2))
    }

    /// The membrane-filtered Fano factor `1 - (1 - s0) tau_m/(tau_m + tau_c)` for
    /// membrane time constant `tau_m` (s).
    pub fn membrane_fano(&self, tau_m: f64) -> f64 {
        1.0 - (1.0 - self.s0) * tau_m / (tau_m + self.tau_c)
    }

    /// The self-inhibition `beta = 1/sqrt(s0) - 1` of the linear Hawkes process (module
    /// documentation).
    pub fn self_inhibition(&self) -> f64 {
        1.0 / self.s0.sqrt() - 1.0
    }

    /// The time `theta = tau_c/sqrt(s0)` (s) of the kernel `exp(-t/theta)/theta` through
    /// which the process's own events inhibit it (module documentation).
    pub fn kernel_time(&self) -> f64 {
        self.tau_c / self.s0.sqrt()
    }

    /// Second and third cumulants `(k2, k3)` (mV^2, mV^3) of this source's input to a free
    /// membrane of time constant `tau_m` (s), `V(t) = a sum_k exp(-(t - t_k)/tau_m)`, in
    /// closed form (docs/theory.md 6.6.12d). In the cluster representation of the linear
    /// Hawkes process (Hawkes & Oakes 1974; for `s0 < 1` its analytic continuation to a
    /// negative branching ratio `n = 1 - 1/sqrt(s0)`), the moments `M_j(T)` of one
    /// family's contribution at time `T` after its immigrant obey `M1 - phi * M1 = f`,
    /// `M2 - phi * M2 = M1^2`, `M3 - phi * M3 = 3 M1 M2 - 2 M1^3` (`f = a exp(-T/tau_m)`,
    /// `phi = n exp(-t/theta)/theta`); the cumulants `k_j = R (1 - n) int M_j dT` (the
    /// immigrants' rate times one family's moment) reduce to `k2 = R int M1^2` and
    /// `k3 = R (3 int M1 M2 - 2 int M1^3)`; `M1` is `f` plus `f` through the kernel's
    /// resolvent, and every integral is a divided difference of `1/(x + b)` over the
    /// rates `1/tau_m` and `1/tau_c`, regular where they coincide.
    /// `k2` equals `a^2 R tau_m F_eff / 2` ([`Self::membrane_fano`]).
    pub fn membrane_cumulants(&self, tau_m: f64) -> (f64, f64) {
        let n = 1.0 - 1.0 / self.s0.sqrt();
        let theta = self.kernel_time();
        let kappa = n / theta;
        let (r, lam) = (1.0 / tau_m, (1.0 - n) / theta);
        // M1 = a [e(T) + kappa g(T)], e = exp(-r T), g = e * exp(-lam T) (convolution)
        // = (exp(-r T) - exp(-lam T))/(lam - r); int e^b g^m dT = lg(m, b r) is a divided
        // difference of 1/(x + a), regular at lam = r (where the poles merge)
        let lg = |m: usize, a: f64| -> f64 {
            let fact = [1.0, 1.0, 2.0, 6.0][m];
            let mut den = 1.0;
            for j in 0..=m {
                den *= a + (m - j) as f64 * r + j as f64 * lam;
            }
            fact / den
        };
        let a = self.jump_mv;
        let i2 = lg(0, 2.0 * r) + 2.0 * kappa * lg(1, r) + kappa * kappa * lg(2, 0.0);
        let i3 = lg(0, 3.0 * r)
            + 3.0 * kappa * lg(1, 2.0 * r)
            + 3.0 * kappa * kappa * lg(2, r)
            + kappa.powi(3) * lg(3, 0.0);
        // int M1^2 (exp(-lam .) * ...) as int M1(u)^2 K(u) du, K(u) = int_u M1(T)
        // exp(-lam (T - u)) dT = a [alpha e(u) + beta g(u)]
        let alpha = (1.0 + kappa / (2.0 * lam)) / (r + lam);
        let beta = kappa / (2.0 * lam);
        let i12 = alpha * lg(0, 3.0 * r)
            + (beta + 2.0 * kappa * alpha) * lg(1, 2.0 * r)
            + (2.0 * kappa * beta + kappa * kappa * alpha) * lg(2, r)
            + kappa * kappa * beta * lg(3, 0.0);
        let rate = self.rate_hz;
        (
            rate * a * a * i2,
            rate * a.powi(3) * (i3 + 3.0 * kappa * i12),
        )
    }

    /// The baseline event rate `mu = R (1 + beta)` (Hz): the rate is `mu - beta w`, `w`
    /// the own events through the kernel (module documentation).
    pub fn baseline_hz(&self) -> f64 {
        self.rate_hz * (1.0 + self.self_inhibition())
    }
}

/// `input` (recurrent sources first, as [`super::population_input`] orders them) split
/// into Hawkes and Poisson sources: its first `s0.len()` sources as Hawkes sources of
/// low-frequency levels `s0` and membrane Fano factors `f_eff` for membrane time
/// constant `tau_m` (s) ([`HawkesSource::from_membrane_fano`]), the others Poisson.
/// Returns `(hawkes, poisson)`.
///
/// # Errors
///
/// [`Error::Invalid`] if `s0` and `f_eff` differ in length or exceed the
/// sources, or as [`HawkesSource::from_membrane_fano`].
pub fn split_input(
    input: &ShotInput,
    s0: &[f64],
    f_eff: &[f64],
    tau_m: f64,
) -> Result<(Vec<HawkesSource>, ShotInput)> {
    let p = s0.len();
    if f_eff.len() != p || p > input.jumps_mv.len() {
        return Err(Error::invalid(
            "f_eff",
            format!("{f_eff:?}"),
            format!(
                "needs one value per entry of s0 ({p}), at most one per input source ({})",
                input.jumps_mv.len()
            ),
        ));
    }
    let hawkes = (0..p)
        .map(|b| {
            HawkesSource::from_membrane_fano(
                input.jumps_mv[b],
                input.rates_hz[b],
                s0[b],
                f_eff[b],
                tau_m,
            )
        })
        .collect::<Result<Vec<_>>>()?;
    let poisson = ShotInput::new(input.jumps_mv[p..].to_vec(), input.rates_hz[p..].to_vec())?;
    Ok((hawkes, poisson))
}

/// Numerical resolution of [`stationary_with`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct HawkesResolution {
    /// The voltage grid and its extrapolation (as for Poisson shot noise).
    pub grid: Resolution,
    /// Highest total degree of the Hermite modes.
    pub modes: usize,
    /// Relative tolerance of the linear solves and of the reinjected flux.
    pub tol: f64,
}

impl Default for HawkesResolution {
    fn default() -> Self {
        HawkesResolution {
            grid: Resolution::fast(),
            modes: 6,
            tol: 1e-10,
        }
    }
}

/// Stationary rate and mean potential.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct HawkesStationary {
    /// Firing rate (Hz).
    pub rate: f64,
    /// Time-averaged membrane potential (mV), including the refractory time at `Vr`.
    pub mean_v: f64,
}

/// The mode matrices of one source (size `modes + 1`): `S L` (the jump's rate and shift)
/// and `Y` (the `y`-only dynamics), see the module documentation.
struct SourceModes {
    jump: f64,
    sl: DMatrix<f64>,
    y: DMatrix<f64>,
    /// `S = exp(c R)`, the shift of `y` by one event.
    shift: DMatrix<f64>,
}

fn source_modes(s: &HawkesSource, n: usize) -> SourceModes {
    let (beta, theta) = (s.self_inhibition(), s.kernel_time());
    let sigma = (s.rate_hz * s.s0 / (2.0 * s.tau_c)).sqrt();
    let shift = 1.0 / (theta * sigma);
    let dim = n + 1;
    let raise = DMatrix::from_fn(
        dim,
        dim,
        |i, j| if i == j + 1 { (i as f64).sqrt() } else { 0.0 },
    );
    let ymul = &raise + raise.transpose();
    let id = DMatrix::<f64>::identity(dim, dim);
    // exp(shift R), a finite sum: R is nilpotent
    let mut term = id.clone();
    let mut sh = id.clone();
    for k in 1..dim {
        term = &term * &raise * (shift / k as f64);
        sh += &term;
    }
    let l = &id * s.rate_hz - &ymul * (beta * sigma);
    let sl = &sh * &l;
    let y =
        (&id - &sh) * &l + &raise * (&id * (s.rate_hz / (theta * sigma)) + &ymul * (1.0 / theta));
    SourceModes {
        jump: s.jump_mv,
        sl,
        y,
        shift: sh,
    }
}

/// The modes: tuples of per-source degrees with total degree `<= n`, mode 0 first.
fn mode_set(sources: usize, n: usize) -> Vec<Vec<usize>> {
    let mut out = vec![vec![]];
    for _ in 0..sources {
        out = out
            .into_iter()
            .flat_map(|t: Vec<usize>| {
                let used: usize = t.iter().sum();
                (0..=n - used).map(move |m| {
                    let mut u = t.clone();
                    u.push(m);
                    u
                })
            })
            .collect();
    }
    out.sort_by_key(|t| (t.iter().sum::<usize>(), t.clone()));
    out
}

/// Stationary rate and mean potential of a LIF neuron (`lif`) with Poisson input
/// `poisson`, Hawkes sources `hawkes` and bias `bias` (mV), at the default
/// [`HawkesResolution`] (docs/theory.md 2.2.1).
pub fn stationary(
    lif: &LifParams,
    poisson: &ShotInput,
    hawkes: &[HawkesSource],
    bias: f64,
) -> Result<HawkesStationary> {
    stationary_with(lif, poisson, hawkes, bias, &HawkesResolution::default())
}

/// [`stationary`] at a given resolution. As [`super::stationary_with`], the master
/// equation is solved at the four lattice biases around `bias` (on every grid the point
/// `V = b` is then a cell edge) and the results interpolated by a cubic in `log(rate)`.
///
/// # Errors
///
/// [`Error::Invalid`] for invalid parameters; [`Error::Domain`] without
/// excitatory input, if a mode's event rate `R_p - beta_p m_p / theta_p` is not positive
/// (fewer events per correlation time than the expansion needs), or if a solve does not
/// converge.
pub fn stationary_with(
    lif: &LifParams,
    poisson: &ShotInput,
    hawkes: &[HawkesSource],
    bias: f64,
    res: &HawkesResolution,
) -> Result<HawkesStationary> {
    if !bias.is_finite() {
        return Err(Error::invalid("bias", bias, "must be finite (mV)"));
    }
    let cw = res.grid.coarsest() as f64 * res.grid.cell_width(lif);
    let (j0, t) = lattice(lif, bias, cw);
    let nodes = lattice_nodes(lif, poisson, hawkes, j0, 4, res)?;
    let w = cubic_weights(t);
    let mix = |f: &dyn Fn(&HawkesStationary) -> f64| -> f64 {
        nodes.iter().zip(&w).map(|(n, w)| w * f(&n.1)).sum()
    };
    let rate = if nodes.iter().all(|n| n.1.rate > 0.0 && n.1.rate.is_finite()) {
        mix(&|n| n.rate.ln()).exp()
    } else {
        mix(&|n| n.rate).max(0.0)
    };
    Ok(HawkesStationary {
        rate,
        mean_v: mix(&|n| n.mean_v),
    })
}

/// The rate's sensitivity (Hz/mV^3) to the third cumulant of the free membrane potential
/// carried by input of jump `jump_mv` (mV), at the working point of [`stationary_with`]
/// (docs/theory.md 6.6.12d): a Poisson probe of jump `+|a|` and one of jump `-|a|`, each
/// at rate `eps` with its mean removed through the bias, add the same mean (none),
/// spectrum and even cumulants and opposite odd ones, so
///
/// ```text
///   s3 = [nu(+|a|) - nu(-|a|)] / (2 eps |a|^3 tau_m / 3),
/// ```
///
/// `eps |a|^3 tau_m / 3` being a probe's free-membrane third cumulant. `eps` is set so that
/// a probe's free-membrane variance is 0.2 mV^2 (from 0.05 to 0.5 mV^2 `s3` changes by 0.4%
/// of itself at 70 Hz, CV 0.4, 0 mV of the single-neuron checks). The probe's jump must
/// span several cells of the grid: at 0.04 mV cells, jumps of 0.16 mV are not resolved
/// (docs/theory.md 6.6.12d).
///
/// # Errors
///
/// [`Error::Invalid`] for a zero or non-finite `jump_mv`; as [`stationary_with`].
pub fn third_cumulant_sensitivity(
    lif: &LifParams,
    poisson: &ShotInput,
    hawkes: &[HawkesSource],
    bias: f64,
    jump_mv: f64,
    res: &HawkesResolution,
) -> Result<f64> {
    let a = jump_mv.abs();
    if !(a > 0.0 && a.is_finite()) {
        return Err(Error::invalid(
            "jump_mv",
            jump_mv,
            "the probe's jump must be finite and non-zero (mV)",
        ));
    }
    let tau = lif.tau_m;
    let eps = 2.0 * PROBE_VARIANCE / (a * a * tau);
    let rate = |sign: f64| -> Result<f64> {
        let mut probe = poisson.clone();
        probe.jumps_mv.push(sign * a);
        probe.rates_hz.push(eps);
        Ok(stationary_with(lif, &probe, hawkes, bias - sign * a * eps * tau, res)?.rate)
    };
    let (up, down) = (rate(1.0)?, rate(-1.0)?);
    Ok((up - down) / (2.0 * eps * a.powi(3) * tau / 3.0))
}

/// The rate's sensitivity (Hz/mV^3) to a third cumulant of the free membrane that has no
/// coincident part beyond Poisson input's: one carried by pair correlations of the input
/// with correlation time `tau_c` (s) and jump `jump_mv` (docs/theory.md 6.6.12d). The
/// probes are weakly self-exciting Hawkes sources of jump `+|a|` and `-|a|` (mean removed
/// through the bias, same spectrum, opposite odd cumulants) with `S(0)/R = s0'` and the
/// correlation time `tau_c`; their third cumulant ([`HawkesSource::membrane_cumulants`])
/// is the coincident part `R |a|^3 tau_m / 3` plus a coloured part. The response to the
/// coincident part ([`third_cumulant_sensitivity`]) is removed,
///
/// ```text
///   s3_c(s0') = [ (nu(+|a|) - nu(-|a|))/2 - s3_w R |a|^3 tau_m/3 ] / (k3 - R |a|^3 tau_m/3),
/// ```
///
/// and `s3_c` is taken in the limit of weak clustering (`s0' -> 1`, where the coloured
/// part is the pairs' alone) by linear extrapolation from `s0' = 1.2` and `1.5`, each
/// probe with a free-membrane variance of about 0.2 mV^2 (from 0.05 to 0.5 mV^2 `s3_c`
/// moves by 2-5% at 1-2 Hz output, docs/theory.md 6.6.12d). Returns `(s3_c, s3_w)`, the
/// second being [`third_cumulant_sensitivity`] at the same jump, which the first needs.
/// Six solves, four of them with one more Hawkes source.
///
/// # Errors
///
/// [`Error::Invalid`] for a zero or non-finite `jump_mv` or a non-positive `tau_c`; as
/// [`stationary_with`].
pub fn coloured_third_cumulant_sensitivity(
    lif: &LifParams,
    poisson: &ShotInput,
    hawkes: &[HawkesSource],
    bias: f64,
    jump_mv: f64,
    tau_c: f64,
    res: &HawkesResolution,
) -> Result<(f64, f64)> {
    let white = third_cumulant_sensitivity(lif, poisson, hawkes, bias, jump_mv, res)?;
    let a = jump_mv.abs();
    let tau = lif.tau_m;
    let at = |s0: f64| -> Result<f64> {
        let rate = 2.0 * PROBE_VARIANCE / (a * a * tau * s0);
        let (_, k3) = HawkesSource::new(a, rate, s0, tau_c)?.membrane_cumulants(tau);
        let coincident = rate * a.powi(3) * tau / 3.0;
        let nu = |sign: f64| -> Result<f64> {
            let mut with = hawkes.to_vec();
            with.push(HawkesSource::new(sign * a, rate, s0, tau_c)?);
            Ok(stationary_with(lif, poisson, &with, bias - sign * a * rate * tau, res)?.rate)
        };
        let half = 0.5 * (nu(1.0)? - nu(-1.0)?);
        Ok((half - white * coincident) / (k3 - coincident))
    };
    let (s12, s15) = (at(1.2)?, at(1.5)?);
    Ok((s12 - (s15 - s12) * (0.2 / 0.3), white))
}

/// Free-membrane variance (mV^2) of each Poisson probe of [`third_cumulant_sensitivity`];
/// the Hawkes probes of [`coloured_third_cumulant_sensitivity`] have their rate divided by
/// their `S(0)/R`, which keeps it within 20%.
const PROBE_VARIANCE: f64 = 0.2;

/// As [`stationary_with`] at the two lattice biases that bracket `bias` only (half the
/// cost of the cubic interpolation; the lattice spacing is the coarsest cell width,
/// 0.16 mV at `Resolution::fast()`): returns the weight `t` in `[0, 1]` of the upper
/// point for linear interpolation in the bias, and the two `(bias, solution)` pairs,
/// lower first. The lattice point at the threshold itself is skipped (the rate is not
/// smooth there), so within one spacing of `theta` the bracket spans two spacings.
///
/// # Errors
///
/// As [`stationary_with`].
pub fn at_lattice_bracket(
    lif: &LifParams,
    poisson: &ShotInput,
    hawkes: &[HawkesSource],
    bias: f64,
    res: &HawkesResolution,
) -> Result<(f64, Vec<(f64, HawkesStationary)>)> {
    let cw = res.grid.coarsest() as f64 * res.grid.cell_width(lif);
    if !bias.is_finite() {
        return Err(Error::invalid("bias", bias, "must be finite (mV)"));
    }
    let (lo, hi, t) = bracket(lif, bias, cw);
    let nodes = if hi == lo + 1 {
        lattice_nodes(lif, poisson, hawkes, lo, 2, res)?
    } else {
        let mut n = lattice_nodes(lif, poisson, hawkes, lo, 1, res)?;
        n.extend(lattice_nodes(lif, poisson, hawkes, hi, 1, res)?);
        n
    };
    Ok((t, nodes))
}

/// The lattice indices `(lo, hi)` of the biases `theta + j c` that bracket `bias` (mV),
/// `c` the coarsest cell width (mV), the threshold's point `j = 0` skipped, and the
/// weight `t` of `hi` for linear interpolation.
fn bracket(lif: &LifParams, bias: f64, c: f64) -> (i64, i64, f64) {
    let r = (bias - lif.theta) / c;
    let j = r.floor() as i64;
    let (lo, hi) = match j {
        -1 | 0 => (-1, 1),
        _ => (j, j + 1),
    };
    (lo, hi, ((r - lo as f64) / (hi - lo) as f64).clamp(0.0, 1.0))
}

/// The solutions at the lattice biases `theta + (j0 + k) c`, `k < count`, `c` the
/// coarsest cell width, with one domain for all: `(bias, solution)`.
fn lattice_nodes(
    lif: &LifParams,
    poisson: &ShotInput,
    hawkes: &[HawkesSource],
    j0: i64,
    count: usize,
    res: &HawkesResolution,
) -> Result<Vec<(f64, HawkesStationary)>> {
    let lay = Layout::new(lif, poisson, hawkes, j0, count, res)?;
    let levels = res.grid.levels;
    let jobs: Vec<(usize, usize)> = (0..count)
        .flat_map(|k| (0..levels).map(move |l| (k, l)))
        .collect();
    let passages: Vec<(f64, f64)> = jobs
        .par_iter()
        .map(|&(k, level)| {
            lay.solver(lif, k, level, res)
                .passage(lif.v_reset - lay.bias(k))
        })
        .collect::<Result<_>>()?;
    let weights = richardson_weights(levels);
    Ok((0..count)
        .map(|k| {
            let (mut time, mut u_time) = (0.0, 0.0);
            for (l, w) in weights.iter().enumerate() {
                let (ti, ui) = passages[k * levels + l];
                time += w * ti;
                u_time += w * ui;
            }
            let b = lay.bias(k);
            let rate = 1.0 / (time + lif.tau_ref);
            (
                b,
                HawkesStationary {
                    rate,
                    mean_v: rate * (u_time + b * time + lif.tau_ref * lif.v_reset),
                },
            )
        })
        .collect())
}

/// The validated sources, modes and grids of `count` lattice biases from
/// `theta + j0 c` (one domain for all).
struct Layout {
    /// Mode matrices of the active sources (non-zero rate and jump).
    srcs: Vec<SourceModes>,
    /// Index in the caller's Hawkes sources of each active source.
    active: Vec<usize>,
    modes: Vec<Vec<usize>>,
    poisson: Vec<Jump>,
    /// Finest cell width (mV), cells per coarsest cell, lowest lattice bias (mV).
    h: f64,
    coarsest: usize,
    b0: f64,
    u_min: f64,
    n_coarse: usize,
}

impl Layout {
    fn new(
        lif: &LifParams,
        poisson: &ShotInput,
        hawkes: &[HawkesSource],
        j0: i64,
        count: usize,
        res: &HawkesResolution,
    ) -> Result<Self> {
        validate_lif(lif)?;
        poisson.validate()?;
        res.grid.validate()?;
        for h in hawkes {
            HawkesSource::new(h.jump_mv, h.rate_hz, h.s0, h.tau_c)?;
        }
        if !(res.tol > 0.0 && res.tol < 1e-3) {
            return Err(Error::invalid(
                "HawkesResolution.tol",
                res.tol,
                "must be in (0, 1e-3)",
            ));
        }
        // the combined input sets the grid's extent
        let mut all = poisson.clone();
        for h in hawkes {
            all.jumps_mv.push(h.jump_mv);
            all.rates_hz.push(h.rate_hz);
        }
        if !all.has_excitation() {
            return Err(Error::Domain(
                "Hawkes shot noise needs an excitatory input (a positive jump at a positive rate)"
                    .into(),
            ));
        }
        let active: Vec<usize> = (0..hawkes.len())
            .filter(|&i| hawkes[i].rate_hz > 0.0 && hawkes[i].jump_mv != 0.0)
            .collect();
        let srcs: Vec<SourceModes> = active
            .iter()
            .map(|&i| source_modes(&hawkes[i], res.modes))
            .collect();
        for (s, &i) in srcs.iter().zip(&active) {
            let h = &hawkes[i];
            let low = (0..=res.modes)
                .map(|m| s.sl[(m, m)])
                .fold(f64::INFINITY, f64::min);
            if !(low > 0.0) {
                return Err(Error::Domain(format!(
                    "Hawkes source (jump {} mV, rate {} Hz, S(0)/R {}, tau_c {} s): a mode's event rate {low} Hz is not positive; too few events per correlation time for {} modes",
                    h.jump_mv, h.rate_hz, h.s0, h.tau_c, res.modes
                )));
            }
        }
        let modes = mode_set(srcs.len(), res.modes);
        let grid = &res.grid;
        let h = grid.cell_width(lif);
        let coarsest = grid.coarsest();
        let cw = coarsest as f64 * h;
        let b0 = lif.theta + j0 as f64 * cw;
        let b_last = b0 + (count - 1) as f64 * cw;
        let (u_min, n_coarse) = grid_domain(lif, &all, b0, b_last, grid)?;
        Ok(Layout {
            srcs,
            active,
            modes,
            poisson: poisson.jumps(),
            h,
            coarsest,
            b0,
            u_min,
            n_coarse,
        })
    }

    /// The `k`-th lattice bias (mV).
    fn bias(&self, k: usize) -> f64 {
        self.b0 + k as f64 * self.coarsest as f64 * self.h
    }

    /// The master equation of lattice bias `k` on grid `level` (cells `2^level h`).
    fn solver<'a>(
        &'a self,
        lif: &'a LifParams,
        k: usize,
        level: usize,
        res: &HawkesResolution,
    ) -> Solver<'a> {
        let ratio = 1usize << level;
        Solver {
            lif,
            poisson: &self.poisson,
            srcs: &self.srcs,
            modes: &self.modes,
            h: self.h * ratio as f64,
            u_min: self.u_min,
            n: (self.n_coarse - k) * (self.coarsest / ratio),
            spread: res.grid.spread(),
            tol: res.tol,
        }
    }
}

/// The coupled master equation of one bias on one grid.
struct Solver<'a> {
    lif: &'a LifParams,
    poisson: &'a [Jump],
    srcs: &'a [SourceModes],
    modes: &'a [Vec<usize>],
    h: f64,
    u_min: f64,
    n: usize,
    spread: bool,
    tol: f64,
}

/// The operator's pieces for one bias and grid.
struct Assembled {
    /// Factorised mode-diagonal blocks.
    blocks: Vec<BandLu>,
    /// Firing flux out of each cell, per mode-diagonal block.
    firing: Vec<Vec<f64>>,
    /// Unit-rate jump operators `N_p` and their firing flux per cell.
    unit: Vec<(Band, Vec<f64>)>,
    /// Off-diagonal couplings: `(target mode, source mode, source p, via N_p?, coefficient)`.
    coupling: Vec<(usize, usize, usize, bool, f64)>,
    /// Per mode, the indices in `coupling` of its couplings from earlier modes.
    lower: Vec<Vec<usize>>,
}

impl Solver<'_> {
    /// The mode-diagonal block of mode `k`: the master-equation matrix at the mode's
    /// event rates, its firing flux per cell, and the mode's `y` relaxation rate (to be
    /// added to the diagonal).
    fn mode_block(&self, k: &[usize]) -> (Band, Vec<f64>, f64) {
        let mut jumps = self.poisson.to_vec();
        let mut shift = 0.0;
        for (p, s) in self.srcs.iter().enumerate() {
            jumps.push(Jump {
                a: s.jump,
                rate: s.sl[(k[p], k[p])],
            });
            shift += s.y[(k[p], k[p])];
        }
        let (band, loss) = assemble(
            self.h,
            self.u_min,
            self.n,
            self.lif.tau_m,
            &jumps,
            self.spread,
        );
        (band, loss, shift)
    }

    /// The `y` dynamics of all sources on the mode set (the refractory period's
    /// generator, negated).
    fn y_total(&self) -> DMatrix<f64> {
        let m = self.modes.len();
        DMatrix::from_fn(m, m, |i, j| {
            let (ki, kj) = (&self.modes[i], &self.modes[j]);
            (0..self.srcs.len())
                .filter(|&p| (0..self.srcs.len()).all(|q| q == p || ki[q] == kj[q]))
                .map(|p| self.srcs[p].y[(ki[p], kj[p])])
                .sum::<f64>()
        })
    }

    /// Solve `A x = rhs` for the stationary operator `A` of [`Self::coupled`]
    /// (reinjection of the modes >= 1 included).
    fn solve(
        &self,
        a: &Assembled,
        refr: &DMatrix<f64>,
        src: &[(usize, f64)],
        rhs: Vec<f64>,
    ) -> Result<Vec<f64>> {
        self.solve_with(a, &a.blocks, refr, src, rhs)
    }

    /// Solve `(P + O_L + O_U - B E' F) x = rhs` (see [`Self::coupled`]) with the
    /// factorised mode-diagonal blocks `blocks` (`P`, real or at complex `lambda`) and the
    /// refractory transport `refr`, by GMRES preconditioned by the block lower triangle.
    fn solve_with<T: Scalar, B: BlockSolve<T>>(
        &self,
        a: &Assembled,
        blocks: &[B],
        refr: &DMatrix<T>,
        src: &[(usize, f64)],
        mut rhs: Vec<T>,
    ) -> Result<Vec<T>> {
        self.sweep(a, blocks, &mut rhs);
        let mut x = vec![T::zero(); rhs.len()];
        let mut work = vec![T::zero(); self.n];
        gmres(
            |v, out, work| self.coupled(a, blocks, refr, src, v, out, work),
            &rhs,
            &mut x,
            self.tol,
            &mut work,
        )?;
        Ok(x)
    }

    fn assemble(&self) -> Result<Assembled> {
        let (h, u_min, n) = (self.h, self.u_min, self.n);
        let mut blocks = Vec::with_capacity(self.modes.len());
        let mut firing = Vec::with_capacity(self.modes.len());
        for k in self.modes {
            let (band, loss, shift) = self.mode_block(k);
            let gth: Vec<f64> = loss.iter().map(|l| l + shift).collect();
            let lu = band.factor(&gth).map_err(|i| {
                Error::Domain(format!(
                    "Hawkes shot noise: the master equation of mode {k:?} is singular at cell {i}"
                ))
            })?;
            blocks.push(lu);
            firing.push(loss);
        }
        let unit = self
            .srcs
            .iter()
            .map(|s| {
                assemble(
                    h,
                    u_min,
                    n,
                    f64::INFINITY,
                    &[Jump {
                        a: s.jump,
                        rate: 1.0,
                    }],
                    self.spread,
                )
            })
            .collect();
        let index = |t: &[usize]| self.modes.iter().position(|m| m == t);
        let mut coupling = Vec::new();
        for (i, k) in self.modes.iter().enumerate() {
            for (p, s) in self.srcs.iter().enumerate() {
                for m in 0..s.sl.nrows() {
                    if m == k[p] {
                        continue;
                    }
                    let mut t = k.clone();
                    t[p] = m;
                    let Some(j) = index(&t) else { continue };
                    let (g, y) = (s.sl[(k[p], m)], s.y[(k[p], m)]);
                    if g != 0.0 {
                        coupling.push((i, j, p, true, g));
                    }
                    if y != 0.0 {
                        coupling.push((i, j, p, false, y));
                    }
                }
            }
        }
        let lower = (0..self.modes.len())
            .map(|k| {
                (0..coupling.len())
                    .filter(|&l| coupling[l].0 == k && coupling[l].1 < k)
                    .collect()
            })
            .collect();
        Ok(Assembled {
            blocks,
            firing,
            unit,
            coupling,
            lower,
        })
    }

    /// `out = M^-1 (O_U x - B E' F x)`, the operator `M^-1 A - 1` of the system
    /// `A x = B e_0`, `A = P + O_L + O_U - B E' F`, preconditioned by its block lower
    /// triangle `M = P + O_L`: `P` the mode-diagonal blocks, `O_L` and `O_U` the
    /// couplings from earlier and from later modes (all couplings but the rate
    /// modulation's `-beta sigma sqrt(m + 1) N_p` from degree `m + 1` to `m` are from
    /// lower degrees, so `M` is nearly `A`), `F` the firing flux of every mode, `E'` the
    /// refractory transport `refr` without its mode-0 row (the mode-0 reinjection is the
    /// fixed unit source), `B` the reset source `src`.
    #[allow(clippy::too_many_arguments)]
    fn coupled<T: Scalar, B: BlockSolve<T>>(
        &self,
        a: &Assembled,
        blocks: &[B],
        refr: &DMatrix<T>,
        src: &[(usize, f64)],
        x: &[T],
        out: &mut [T],
        work: &mut [T],
    ) {
        let n = self.n;
        out.fill(T::zero());
        let f = self.flux(a, x);
        let inj: Vec<T> = (0..f.len())
            .map(|k| (0..f.len()).fold(T::zero(), |acc, j| acc + refr[(k, j)] * f[j]))
            .collect();
        add_reinjection(out, src, n, &inj, -1.0);
        for &(i, j, p, via, c) in a.coupling.iter().filter(|c| c.1 > c.0) {
            let (dst, src) = (&mut out[i * n..(i + 1) * n], &x[j * n..(j + 1) * n]);
            if via {
                T::matvec(&a.unit[p].0, src, work);
                for (d, s) in dst.iter_mut().zip(&work[..n]) {
                    *d += *s * c;
                }
            } else {
                for (d, s) in dst.iter_mut().zip(src) {
                    *d += *s * c;
                }
            }
        }
        self.sweep(a, blocks, out);
    }

    /// `y <- M^-1 y` (see [`Self::coupled`]) with the mode-diagonal blocks `blocks`:
    /// forward substitution over the modes, each `N_p z_j` formed once.
    fn sweep<T: Scalar, B: BlockSolve<T>>(&self, a: &Assembled, blocks: &[B], y: &mut [T]) {
        let (n, m) = (self.n, self.modes.len());
        let mut nz: Vec<Option<Vec<T>>> = vec![None; self.srcs.len() * m];
        for (k, lu) in blocks.iter().enumerate() {
            let (done, rest) = y.split_at_mut(k * n);
            let v = &mut rest[..n];
            for &(_, j, p, via, c) in a.lower[k].iter().map(|&l| &a.coupling[l]) {
                let src = &done[j * n..(j + 1) * n];
                let src: &[T] = if via {
                    nz[p * m + j].get_or_insert_with(|| {
                        let mut w = vec![T::zero(); n];
                        T::matvec(&a.unit[p].0, src, &mut w);
                        w
                    })
                } else {
                    src
                };
                for (d, s) in v.iter_mut().zip(src) {
                    *d -= *s * c;
                }
            }
            lu.solve_block(v);
        }
    }

    /// The firing flux of every mode.
    fn flux<T: Scalar>(&self, a: &Assembled, x: &[T]) -> Vec<T> {
        let n = self.n;
        let mut f: Vec<T> = (0..self.modes.len())
            .map(|k| T::weighted(&a.firing[k], &x[k * n..(k + 1) * n]))
            .collect();
        for &(i, j, p, via, c) in &a.coupling {
            if via {
                f[i] += T::weighted(&a.unit[p].1, &x[j * n..(j + 1) * n]) * c;
            }
        }
        f
    }

    /// Mean free passage time (s) and `E[int u dt]` (mV s) per interval, `u = V - b`,
    /// with the reset at `u_r` (mV).
    fn passage(&self, u_r: f64) -> Result<(f64, f64)> {
        let a = self.assemble()?;
        let (n, m) = (self.n, self.modes.len());
        // refractory transport of the flux's modes
        let refr = (self.y_total() * (-self.lif.tau_ref)).exp();
        let src = reset_source(u_r, self.u_min, self.h, n);
        // the unit source in mode 0; the modes >= 1 of the reinjected flux are part of
        // the operator, so that one solve gives the stationary density per interval
        let mut rhs = vec![0.0; n * m];
        for &(i, wt) in &src {
            rhs[i] += wt;
        }
        let x = self.solve(&a, &refr, &src, rhs)?;
        let f0 = self.flux(&a, &x)[0];
        if !(f0 > 0.0) {
            return Err(Error::Domain(format!(
                "Hawkes shot noise: firing flux {f0} is not positive"
            )));
        }
        let x0 = &x[..n];
        let time: f64 = x0.iter().sum();
        let u_time: f64 = x0
            .iter()
            .enumerate()
            .map(|(i, p)| p * (self.u_min + (i as f64 + 0.5) * self.h))
            .sum();
        // all mass injected fires: f0 = 1 up to the solver's tolerance
        Ok((time / f0, u_time / f0))
    }
}

/// Scalars of [`gmres`]: real, or complex for the response at `i omega`
/// ([`response`]).
pub(crate) trait Scalar:
    nalgebra::Scalar
    + Copy
    + std::ops::Add<Output = Self>
    + std::ops::Sub<Output = Self>
    + std::ops::Mul<Output = Self>
    + std::ops::Div<Output = Self>
    + std::ops::Mul<f64, Output = Self>
    + std::ops::AddAssign
    + std::ops::SubAssign
{
    fn zero() -> Self;
    fn real(x: f64) -> Self;
    fn conj(self) -> Self;
    fn abs(self) -> f64;
    /// `sum conj(a_i) b_i`.
    fn inner(a: &[Self], b: &[Self]) -> Self;
    /// `sum w_i x_i` with real weights `w`.
    fn weighted(w: &[f64], x: &[Self]) -> Self;
    /// `out = band x` for a real band matrix.
    fn matvec(band: &Band, x: &[Self], out: &mut [Self]);
}

/// Solves with a factorised mode-diagonal block (on its leading block of `v.len()`
/// cells): real for the stationary system, complex at `lambda = i omega`
/// ([`response`]).
pub(crate) trait BlockSolve<T> {
    fn solve_block(&self, v: &mut [T]);
}

impl BlockSolve<f64> for BandLu {
    fn solve_block(&self, v: &mut [f64]) {
        self.solve_in_place(v);
    }
}

/// `rhs[k n + i] += sign w_i inj[k]` for the modes `k >= 1` (mode 0's reinjection is
/// the unit source, or the rate), `w_i` the reset source `src` on blocks of `n` cells.
fn add_reinjection<T: Scalar>(rhs: &mut [T], src: &[(usize, f64)], n: usize, inj: &[T], sign: f64) {
    for (k, &v) in inj.iter().enumerate().skip(1) {
        for &(i, w) in src {
            rhs[k * n + i] += v * (sign * w);
        }
    }
}

impl Scalar for f64 {
    fn zero() -> Self {
        0.0
    }
    fn real(x: f64) -> Self {
        x
    }
    fn conj(self) -> Self {
        self
    }
    fn abs(self) -> f64 {
        f64::abs(self)
    }
    fn inner(a: &[Self], b: &[Self]) -> Self {
        dot(a, b)
    }
    fn weighted(w: &[f64], x: &[Self]) -> Self {
        dot(w, x)
    }
    fn matvec(band: &Band, x: &[Self], out: &mut [Self]) {
        band.matvec(x, out);
    }
}

impl Scalar for num_complex::Complex64 {
    fn zero() -> Self {
        Self::new(0.0, 0.0)
    }
    fn real(x: f64) -> Self {
        Self::new(x, 0.0)
    }
    fn conj(self) -> Self {
        num_complex::Complex64::conj(&self)
    }
    fn abs(self) -> f64 {
        self.norm()
    }
    fn inner(a: &[Self], b: &[Self]) -> Self {
        a.iter().zip(b).map(|(x, y)| x.conj() * y).sum()
    }
    fn weighted(w: &[f64], x: &[Self]) -> Self {
        x.iter().zip(w).map(|(x, w)| x * w).sum()
    }
    fn matvec(band: &Band, x: &[Self], out: &mut [Self]) {
        let (re, im): (Vec<f64>, Vec<f64>) = x.iter().map(|z| (z.re, z.im)).unzip();
        let (mut ore, mut oim) = (vec![0.0; band.n], vec![0.0; band.n]);
        band.matvec(&re, &mut ore);
        band.matvec(&im, &mut oim);
        for (o, (r, i)) in out.iter_mut().zip(ore.into_iter().zip(oim)) {
            *o = Self::new(r, i);
        }
    }
}

/// Solve `(I + K) x = b` by restarted GMRES (Saad & Schultz 1986) from the initial `x`;
/// `k(v, out, work)` writes `K v` to `out`. Complex Givens rotations for complex `T`.
/// Hand-written: the crate's linear-algebra dependencies (nalgebra) have no iterative
/// solvers for an operator given as a function.
fn gmres<T: Scalar, W: ?Sized>(
    k: impl Fn(&[T], &mut [T], &mut W),
    b: &[T],
    x: &mut [T],
    tol: f64,
    work: &mut W,
) -> Result<()> {
    const RESTART: usize = 40;
    let n = b.len();
    let norm = |v: &[T]| T::inner(v, v).abs().sqrt();
    let bnorm = norm(b);
    if bnorm == 0.0 {
        x.fill(T::zero());
        return Ok(());
    }
    let apply = |v: &[T], out: &mut [T], work: &mut W| {
        k(v, out, work);
        for (o, vi) in out.iter_mut().zip(v) {
            *o += *vi;
        }
    };
    let mut r = vec![T::zero(); n];
    for _cycle in 0..50 {
        apply(x, &mut r, work);
        for (ri, bi) in r.iter_mut().zip(b) {
            *ri = *bi - *ri;
        }
        let beta = norm(&r);
        if beta <= tol * bnorm {
            return Ok(());
        }
        let mut v: Vec<Vec<T>> = vec![r.iter().map(|x| *x * (1.0 / beta)).collect()];
        let mut hm = vec![vec![T::zero(); RESTART]; RESTART + 1];
        // rotation j: [c, s; -conj(s), c], c real
        let (mut cs, mut sn) = (vec![0.0; RESTART], vec![T::zero(); RESTART]);
        let mut g = [T::zero(); RESTART + 1];
        g[0] = T::real(beta);
        let mut used = 0;
        for j in 0..RESTART {
            let mut w = vec![T::zero(); n];
            apply(&v[j], &mut w, work);
            // modified Gram-Schmidt
            for (i, vi) in v.iter().enumerate() {
                let hij = T::inner(vi, &w);
                hm[i][j] = hij;
                for (wk, vk) in w.iter_mut().zip(vi) {
                    *wk -= hij * *vk;
                }
            }
            let hn = norm(&w);
            hm[j + 1][j] = T::real(hn);
            for i in 0..j {
                let t = hm[i][j] * cs[i] + sn[i] * hm[i + 1][j];
                hm[i + 1][j] = hm[i + 1][j] * cs[i] - sn[i].conj() * hm[i][j];
                hm[i][j] = t;
            }
            // the rotation that zeroes hn below a = h_jj (hn real)
            let (a, bb) = (hm[j][j], hn);
            let d = a.abs().hypot(bb);
            hm[j][j] = if a.abs() == 0.0 {
                cs[j] = 0.0;
                sn[j] = T::real(1.0);
                T::real(bb)
            } else {
                cs[j] = a.abs() / d;
                sn[j] = a * (bb / (a.abs() * d));
                a * (d / a.abs())
            };
            hm[j + 1][j] = T::zero();
            g[j + 1] = T::zero() - sn[j].conj() * g[j];
            g[j] = g[j] * cs[j];
            used = j + 1;
            if g[j + 1].abs() <= tol * bnorm || hn == 0.0 {
                break;
            }
            v.push(w.iter().map(|x| *x * (1.0 / hn)).collect());
        }
        // back substitution and update
        let mut yv = vec![T::zero(); used];
        for i in (0..used).rev() {
            let mut s = g[i];
            for l in i + 1..used {
                s -= hm[i][l] * yv[l];
            }
            yv[i] = s / hm[i][i];
        }
        for (i, yi) in yv.iter().enumerate() {
            for (xk, vk) in x.iter_mut().zip(&v[i]) {
                *xk += *yi * *vk;
            }
        }
        if g[used].abs() <= tol * bnorm {
            return Ok(());
        }
    }
    Err(Error::Domain(
        "Hawkes shot noise: GMRES did not converge".into(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mode_set_counts_total_degree() {
        assert_eq!(mode_set(2, 3).len(), 10);
        assert_eq!(mode_set(1, 4).len(), 5);
        assert_eq!(mode_set(0, 4), vec![Vec::<usize>::new()]);
        assert_eq!(mode_set(2, 3)[0], vec![0, 0]);
    }

    #[test]
    fn y_dynamics_conserve_mass_and_relax_at_one_over_tau_c() {
        let s = HawkesSource::new(0.5, 4000.0, 0.4, 0.007).unwrap();
        let m = source_modes(&s, 6);
        for j in 0..7 {
            assert!(
                m.y[(0, j)].abs() < 1e-9 * s.rate_hz,
                "row 0: {}",
                m.y[(0, j)]
            );
        }
        // first mode: relaxation 1/tau_c exactly (the diagonal is (1 + beta) m / theta)
        assert!((m.y[(1, 1)] * s.tau_c - 1.0).abs() < 1e-12);
    }
}
