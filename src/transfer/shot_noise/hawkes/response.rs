//! Second-order rate response of the Hawkes-driven neuron (docs/theory.md 6.4.2): the
//! time-averaged change of its rate and mean potential when the baseline event rate of
//! one self-inhibiting source is modulated, `lambda_B = R_B (1 + beta_B) - beta_B w_B +
//! eps(t)`.
//!
//! The modulation adds `eps(t) D_B` to the negated generator of the mode system
//! ([`super`]), `D_B = N_B S_B + (1 - S_B)` (an event of `B` moves `V` by `a_B` and `y_B`
//! by `c_B`), and `eps(t) (1 - S_B)` to the `y` dynamics `Y` of the refractory period.
//! For `eps = delta e^{i omega t} + c.c.` the first-order density solves
//!
//! ```text
//!   (A + i omega) P_1 = -D_B P_0 + s [ e^{-i omega tau_ref} (E phi_1 + K(omega) phi_0) ]
//! ```
//!
//! with `phi` the firing flux of every mode (`phi_1 = F P_1 + F_D P_0`, `F_D` the flux of
//! `N_B S_B`), `E = exp(-tau_ref Y)` and `K(omega) = -Int_0^tau_ref E(tau_ref - s) (1 - S_B)
//! E(s) e^{i omega s} ds` the refractory transport and its first-order change; mode 0 of
//! the reinjection is the delayed rate `r_1`, fixed by the balance of probability as in
//! docs/theory.md 6.4. The time-independent second-order density solves the stationary
//! system with the source `-2 D_B Re P_1` and the reinjection `E 2 F_D Re P_1 + 2 Re(K
//! conj(phi_1)) + K_2 phi_0` (`K_2` the second-order change of the refractory transport,
//! a double integral), and the balance of probability gives
//! `chi_2 = nu_0 1^T y_0` for `A y = D_B Re P_1 - s [E F_D Re P_1 + Re(K conj phi_1) +
//! K_2 phi_0 / 2]` (mode 0 of `y`, `A` the stationary operator with the unit source).
//!
//! The complex systems are solved by the GMRES of [`super`] in complex arithmetic,
//! preconditioned by the block lower triangle at `i omega` (complex band
//! factorisations of the mode-diagonal blocks).

use gauss_quad::legendre::GaussLegendre;
use nalgebra::{DMatrix, DVector};
use num_complex::Complex64;
use rayon::prelude::*;

use super::super::banded::{Band, dot};
use super::super::master::reset_source;
use super::super::response::{CBand, one_minus_exp_over, validate_omegas};
use super::super::richardson_weights;
use super::{
    Assembled, BlockSolve, HawkesResolution, HawkesSource, Layout, Solver, add_reinjection, bracket,
};
use crate::error::{Error, Result};
use crate::transfer::LifParams;
use crate::transfer::shot_noise::ShotInput;

type C = Complex64;

/// Gauss-Legendre nodes of the refractory period's integrals (`K`, and per dimension of
/// `K_2`): `omega tau_ref` is at most 13 on the closure's frequencies (1 kHz, 2 ms), two
/// periods of the integrand.
const REFRACTORY_NODES: usize = 16;

/// Second-order response of the Hawkes-driven neuron to the baseline of its sources
/// (docs/theory.md 6.4.2), on the frequencies of [`second_order_with`].
#[derive(Clone, Debug, PartialEq)]
pub struct HawkesSecondOrder {
    /// Stationary rate (Hz).
    pub rate_hz: f64,
    /// Stationary mean potential (mV).
    pub mean_v: f64,
    /// `chi2[k][j] = chi_2,B(omega_k, -omega_k)` (Hz/Hz^2) of `B = sources[j]`: the
    /// time-averaged rate change is `2 chi_2 |delta|^2` for `eps = delta e^{i omega t} +
    /// c.c.`, and `Int d omega/(2 pi) chi_2 S_eps(omega)` for a modulation of spectrum
    /// `S_eps` (Hz^2 s).
    pub chi2: Vec<Vec<f64>>,
    /// The same for the mean membrane potential (mV/Hz^2).
    pub chi2_v: Vec<Vec<f64>>,
}

/// Second-order susceptibilities `chi_2,B(omega, -omega)` of a LIF neuron with Poisson
/// input `poisson`, Hawkes sources `hawkes` and bias `bias` (mV) to a modulation `eps(t)`
/// of the baseline event rate of the Hawkes sources `sources` (indices into `hawkes`),
/// at the angular frequencies `omegas` (rad/s, positive), with the stationary rate and
/// mean potential (docs/theory.md 6.4.2). The modulation changes the source's spectrum
/// by `|H_B(omega)|^2 S_eps(omega)`, `|H_B|^2` its relative spectrum
/// ([`HawkesSource::relative_spectrum`]). Same grids and Richardson extrapolation as
/// [`super::stationary_with`], at the two lattice biases of [`super::at_lattice_bracket`]
/// with linear interpolation in the bias (the rate: in its logarithm); a lattice bias of
/// zero weight is skipped. A source of zero rate or jump has `chi_2 = 0`.
///
/// # Errors
///
/// As [`super::stationary_with`]; [`Error::Invalid`] for a non-positive or non-finite
/// frequency or a source index out of range.
pub fn second_order_with(
    lif: &LifParams,
    poisson: &ShotInput,
    hawkes: &[HawkesSource],
    bias: f64,
    omegas: &[f64],
    sources: &[usize],
    res: &HawkesResolution,
) -> Result<HawkesSecondOrder> {
    let groups: Vec<Vec<(usize, usize, f64)>> = (0..omegas.len())
        .flat_map(|k| (0..sources.len()).map(move |j| vec![(k, j, 1.0)]))
        .collect();
    let Sums {
        rate: rate_hz,
        mean_v,
        sums,
    } = weighted(lif, poisson, hawkes, bias, omegas, sources, &groups, res)?;
    let ns = sources.len();
    let per_omega = |f: fn(&(f64, f64)) -> f64| -> Vec<Vec<f64>> {
        (0..omegas.len())
            .map(|k| sums[k * ns..(k + 1) * ns].iter().map(f).collect())
            .collect()
    };
    Ok(HawkesSecondOrder {
        rate_hz,
        mean_v,
        chi2: per_omega(|v| v.0),
        chi2_v: per_omega(|v| v.1),
    })
}

/// The weighted sums `sum_k sum_j w[k][j] chi_2,B_j(omega_k)` and the same of `chi_2v`
/// (Hz and mV per the weights' unit) of the susceptibilities of [`second_order_with`],
/// e.g. a quadrature of `Int d omega/(2 pi) chi_2 S_eps`, with the stationary rate (Hz)
/// and mean potential (mV): `(rate, mean_v, sum, sum_v)`. Cheaper than
/// [`second_order_with`] (one real solve per grid for all frequencies).
///
/// # Errors
///
/// As [`second_order_with`]; [`Error::Invalid`] if `w` has not one row per frequency of
/// one weight per source.
#[allow(clippy::too_many_arguments)]
pub fn second_order_weighted(
    lif: &LifParams,
    poisson: &ShotInput,
    hawkes: &[HawkesSource],
    bias: f64,
    omegas: &[f64],
    sources: &[usize],
    w: &[Vec<f64>],
    res: &HawkesResolution,
) -> Result<(f64, f64, f64, f64)> {
    if w.len() != omegas.len() || w.iter().any(|r| r.len() != sources.len()) {
        return Err(Error::invalid(
            "w",
            format!("{} rows", w.len()),
            format!(
                "needs one row per frequency ({}) of one weight per source ({})",
                omegas.len(),
                sources.len()
            ),
        ));
    }
    let group: Vec<(usize, usize, f64)> = w
        .iter()
        .enumerate()
        .flat_map(|(k, r)| r.iter().enumerate().map(move |(j, &v)| (k, j, v)))
        .collect();
    let o = weighted(lif, poisson, hawkes, bias, omegas, sources, &[group], res)?;
    Ok((o.rate, o.mean_v, o.sums[0].0, o.sums[0].1))
}

/// The sums of `chi_2` and `chi_2v` over each group of `(omega index, source index,
/// weight)`, with the stationary rate and mean potential.
#[allow(clippy::too_many_arguments)]
fn weighted(
    lif: &LifParams,
    poisson: &ShotInput,
    hawkes: &[HawkesSource],
    bias: f64,
    omegas: &[f64],
    sources: &[usize],
    groups: &[Vec<(usize, usize, f64)>],
    res: &HawkesResolution,
) -> Result<Sums> {
    if !bias.is_finite() {
        return Err(Error::invalid("bias", bias, "must be finite (mV)"));
    }
    validate_omegas(omegas)?;
    if let Some(b) = sources.iter().find(|b| **b >= hawkes.len()) {
        return Err(Error::invalid(
            "sources",
            *b,
            format!("there are {} Hawkes sources", hawkes.len()),
        ));
    }
    let cw = res.grid.coarsest() as f64 * res.grid.cell_width(lif);
    let (lo, hi, t) = bracket(lif, bias, cw);
    let count = (hi - lo + 1) as usize;
    let lay = Layout::new(lif, poisson, hawkes, lo, count, res)?;
    let mut lw = vec![0.0; count];
    lw[0] = 1.0 - t;
    lw[count - 1] = t;
    let used: Vec<usize> = (0..count).filter(|&k| lw[k].abs() >= 1e-9).collect();
    let active: Vec<Option<usize>> = sources
        .iter()
        .map(|b| lay.active.iter().position(|a| a == b))
        .collect();
    let levels = res.grid.levels;
    let jobs: Vec<(usize, usize)> = used
        .iter()
        .flat_map(|&k| (0..levels).map(move |l| (k, l)))
        .collect();
    let out: Vec<Job> = jobs
        .par_iter()
        .map(|&(k, level)| {
            job(
                &lay.solver(lif, k, level, res),
                lay.bias(k),
                omegas,
                &active,
                groups,
            )
        })
        .collect::<Result<_>>()?;
    let weights = richardson_weights(levels);
    let (mut ln_rate, mut mean_v) = (0.0, 0.0);
    let mut sums = vec![(0.0, 0.0); groups.len()];
    for (u, &k) in used.iter().enumerate() {
        let (mut time, mut u_time) = (0.0, 0.0);
        for (l, w) in weights.iter().enumerate() {
            let o = &out[u * levels + l];
            time += w * o.time;
            u_time += w * o.u_time;
            for (s, v) in sums.iter_mut().zip(&o.sums) {
                s.0 += lw[k] * w * v.0;
                s.1 += lw[k] * w * v.1;
            }
        }
        let b = lay.bias(k);
        let rate = 1.0 / (time + lif.tau_ref);
        ln_rate += lw[k] * rate.ln();
        mean_v += lw[k] * rate * (u_time + b * time + lif.tau_ref * lif.v_reset);
    }
    Ok(Sums {
        rate: ln_rate.exp(),
        mean_v,
        sums,
    })
}

/// The output of [`weighted`]: stationary rate (Hz), mean potential (mV), and per group
/// the sums of `chi_2` and `chi_2v`.
struct Sums {
    rate: f64,
    mean_v: f64,
    sums: Vec<(f64, f64)>,
}

/// One lattice bias on one grid: the mean free passage time (s), `E[int u dt]` per
/// interval (mV s), and the sums of `chi_2`, `chi_2v` per group.
struct Job {
    time: f64,
    u_time: f64,
    sums: Vec<(f64, f64)>,
}

/// [`weighted`] on one grid at lattice bias `b` (mV): the second-order sources of every
/// group are summed before the one real solve per group.
fn job(
    sv: &Solver,
    b: f64,
    omegas: &[f64],
    active: &[Option<usize>],
    groups: &[Vec<(usize, usize, f64)>],
) -> Result<Job> {
    let (n, m) = (sv.n, sv.modes.len());
    let tau = sv.lif.tau_ref;
    let a = sv.assemble()?;
    let ytot = sv.y_total();
    let refr = (&ytot * (-tau)).exp();
    let src = reset_source(sv.lif.v_reset - b, sv.u_min, sv.h, n);
    let mut unit = vec![0.0; n * m];
    for &(i, w) in &src {
        unit[i] += w;
    }
    // the stationary density per interval, then per unit time
    let p = sv.solve(&a, &refr, &src, unit.clone())?;
    let time: f64 = p[..n].iter().sum();
    let u = |i: usize| sv.u_min + (i as f64 + 0.5) * sv.h;
    let u_time: f64 = p[..n].iter().enumerate().map(|(i, v)| v * u(i)).sum();
    let v_free = u_time + b * time + tau * sv.lif.v_reset;
    let nu = 1.0 / (time + tau);
    if !(nu > 0.0 && time.is_finite()) {
        return Err(Error::Domain(format!(
            "Hawkes second-order response: mean free passage time {time} s"
        )));
    }
    let x0: Vec<f64> = p.iter().map(|v| v * nu).collect();
    let phi0 = DVector::from_vec(sv.flux(&a, &x0));
    let blocks: Vec<(Band, f64)> = sv
        .modes
        .iter()
        .map(|k| {
            let (band, _, shift) = sv.mode_block(k);
            (band, shift)
        })
        .collect();
    // the refractory period's nodes: s_i on [0, tau_ref]
    let gl = GaussLegendre::new(std::num::NonZeroUsize::new(REFRACTORY_NODES).expect("> 0"));
    let rule: Vec<(f64, f64)> = gl
        .nodes()
        .zip(gl.weights())
        .map(|(&x, &w)| (0.5 * tau * (x + 1.0), 0.5 * tau * w))
        .collect();
    let nodes = RefractoryNodes::new(&ytot, &rule, tau);
    let perturbations: Vec<Option<Perturbation>> = active
        .iter()
        .map(|a_b| a_b.map(|ib| Perturbation::new(sv, &a, ib, &nodes, &x0, &phi0)))
        .collect();
    let mut acc: Vec<Option<Vec<f64>>> = vec![None; groups.len()];
    for (iw, &omega) in omegas.iter().enumerate() {
        let lam = C::new(0.0, omega);
        let cb: Vec<CBand> = blocks
            .iter()
            .map(|(band, shift)| CBand::factor(band, lam + shift))
            .collect::<Result<_>>()?;
        let delay = (-lam * tau).exp();
        let refr_w = refr.map(|v| C::from(v) * delay);
        // (A + i omega)^{-1} with the modes >= 1 of the reinjection in the operator
        let solve_w = |rhs: Vec<C>| sv.solve_with(&a, &cb, &refr_w, &src, rhs);
        let p_w = solve_w(unit.iter().map(|&v| C::from(v)).collect())?;
        let s_r: C = p_w[..n].iter().sum();
        let denom = one_minus_exp_over(lam * tau) * tau + delay * s_r;
        for (j, pert) in perturbations.iter().enumerate() {
            let Some(pert) = pert else { continue };
            let k1 = pert.k1(omega);
            // first order: P_1 = q + e^{-i omega tau} r_1 p_w
            let inj =
                (refr.map(C::from) * pert.fd_x0.map(C::from) + &k1 * phi0.map(C::from)) * delay;
            let mut rhs: Vec<C> = pert.d_x0.iter().map(|&v| C::from(-v)).collect();
            add_reinjection(&mut rhs, &src, n, inj.as_slice(), 1.0);
            let q = solve_w(rhs)?;
            let r1 = -q[..n].iter().sum::<C>() / denom;
            let x1: Vec<C> = q
                .iter()
                .zip(&p_w)
                .map(|(qi, pi)| qi + delay * r1 * pi)
                .collect();
            let re_x1: Vec<f64> = x1.iter().map(|v| v.re).collect();
            let phi1 = DVector::from_vec(sv.flux(&a, &x1)) + pert.fd_x0.map(C::from);
            // second order: A y = D_B Re P_1 - s [E F_D Re P_1 + Re(K conj phi_1) + K_2 phi_0 / 2]
            let inj2 = &refr * DVector::from_vec(pert.flux(sv, &a, &re_x1))
                + (&k1 * phi1.map(|v| v.conj())).map(|v| v.re)
                + pert.k2_phi0(omega) * 0.5;
            let mut rhs2 = pert.apply(sv, &a, &re_x1);
            add_reinjection(&mut rhs2, &src, n, inj2.as_slice(), -1.0);
            for (g, sum) in groups.iter().zip(acc.iter_mut()) {
                for &(_, _, wt) in g.iter().filter(|t| t.0 == iw && t.1 == j) {
                    let sum = sum.get_or_insert_with(|| vec![0.0; n * m]);
                    for (s, r) in sum.iter_mut().zip(&rhs2) {
                        *s += wt * r;
                    }
                }
            }
        }
    }
    let sums = acc
        .into_iter()
        .map(|rhs| {
            let Some(rhs) = rhs else {
                return Ok((0.0, 0.0));
            };
            let y = sv.solve(&a, &refr, &src, rhs)?;
            let c2 = nu * y[..n].iter().sum::<f64>();
            let vy: f64 = y[..n].iter().enumerate().map(|(i, v)| v * (b + u(i))).sum();
            Ok((c2, -vy + c2 * v_free))
        })
        .collect::<Result<_>>()?;
    Ok(Job { time, u_time, sums })
}

/// The refractory transport `E(s) = exp(-s Y)` on the quadrature nodes of the refractory
/// period, shared by the perturbations of every source.
struct RefractoryNodes {
    /// `(s_i, w_i, E(tau_ref - s_i), E(s_i))`.
    outer: Vec<(f64, f64, DMatrix<f64>, DMatrix<f64>)>,
    /// For `K_2`, the pairs `s' <= s_i` (`s' = s_i x_j / tau_ref`).
    pairs: Vec<NodePair>,
}

/// A pair of refractory nodes `s' <= s_i` of `K_2`.
struct NodePair {
    /// Index `i` of the outer node.
    outer: usize,
    /// `s_i - s'` (s).
    lag: f64,
    weight: f64,
    /// `E(s_i - s')` and `E(s')`.
    e_lag: DMatrix<f64>,
    e_inner: DMatrix<f64>,
}

impl RefractoryNodes {
    /// `ytot`: the `y` dynamics `Y`; `rule`: nodes and weights on `[0, tau_ref]`.
    fn new(ytot: &DMatrix<f64>, rule: &[(f64, f64)], tau: f64) -> Self {
        let e_at = |s: f64| (ytot * (-s)).exp();
        let outer = rule
            .iter()
            .map(|&(si, wi)| (si, wi, e_at(tau - si), e_at(si)))
            .collect();
        let mut pairs = Vec::with_capacity(rule.len() * rule.len());
        for (i, &(si, wi)) in rule.iter().enumerate() {
            for &(x, wx) in rule {
                let sp = si * x / tau;
                pairs.push(NodePair {
                    outer: i,
                    lag: si - sp,
                    weight: wi * wx * si / tau,
                    e_lag: e_at(si - sp),
                    e_inner: e_at(sp),
                });
            }
        }
        RefractoryNodes { outer, pairs }
    }
}

/// The modulation of source `B`'s baseline on the mode set: `D_B = N_B S_B + (1 - S_B)`,
/// its firing flux `F_D`, and the refractory transport's changes.
struct Perturbation {
    /// Index of `B` among the solver's sources.
    ib: usize,
    /// `S_B` and `G = 1 - S_B` lifted to the mode set.
    s: DMatrix<f64>,
    g: DMatrix<f64>,
    /// `D_B P_0` and `F_D P_0`.
    d_x0: Vec<f64>,
    fd_x0: DVector<f64>,
    /// `(s_i, w_i, E(tau_ref - s_i) G E(s_i))` on the refractory nodes.
    k_terms: Vec<(f64, f64, DMatrix<f64>)>,
    /// `(s - s', weight, E(tau_ref - s) G E(s - s') G E(s') phi_0)` on the pairs of nodes.
    k2_terms: Vec<(f64, f64, DVector<f64>)>,
}

impl Perturbation {
    /// `nodes`: the refractory transport on the quadrature nodes; `x0` and `phi0` the
    /// stationary density and flux.
    fn new(
        sv: &Solver,
        a: &Assembled,
        ib: usize,
        nodes: &RefractoryNodes,
        x0: &[f64],
        phi0: &DVector<f64>,
    ) -> Self {
        let m = sv.modes.len();
        let shift = &sv.srcs[ib].shift;
        let s = DMatrix::from_fn(m, m, |i, j| {
            let (ki, kj) = (&sv.modes[i], &sv.modes[j]);
            let others = (0..ki.len()).all(|q| q == ib || ki[q] == kj[q]);
            if others { shift[(ki[ib], kj[ib])] } else { 0.0 }
        });
        let g = DMatrix::identity(m, m) - &s;
        let mut pert = Perturbation {
            ib,
            s,
            g,
            d_x0: vec![],
            fd_x0: DVector::zeros(m),
            k_terms: vec![],
            k2_terms: vec![],
        };
        pert.d_x0 = pert.apply(sv, a, x0);
        pert.fd_x0 = DVector::from_vec(pert.flux(sv, a, x0));
        let outer: Vec<DMatrix<f64>> = nodes.outer.iter().map(|o| &o.2 * &pert.g).collect();
        pert.k_terms = nodes
            .outer
            .iter()
            .zip(&outer)
            .map(|(&(si, wi, _, ref e_s), og)| (si, wi, og * e_s))
            .collect();
        pert.k2_terms = nodes
            .pairs
            .iter()
            .map(|q| {
                let v = &outer[q.outer] * (&q.e_lag * (&pert.g * (&q.e_inner * phi0)));
                (q.lag, q.weight, v)
            })
            .collect();
        pert
    }

    /// `K(omega) = -sum_i w_i e^{i omega s_i} E(tau_ref - s_i) G E(s_i)`.
    fn k1(&self, omega: f64) -> DMatrix<C> {
        let m = self.g.nrows();
        let mut k = DMatrix::<C>::zeros(m, m);
        for (si, wi, t) in &self.k_terms {
            let ph = C::from_polar(-wi, omega * si);
            k += t.map(|v| ph * v);
        }
        k
    }

    /// `K_2(omega) phi_0`, the time average of the second-order refractory transport.
    fn k2_phi0(&self, omega: f64) -> DVector<f64> {
        let mut out = DVector::zeros(self.g.nrows());
        for (d, w, v) in &self.k2_terms {
            out += v * (2.0 * w * (omega * d).cos());
        }
        out
    }

    /// `D_B x` (per mode block of `n` cells).
    fn apply(&self, sv: &Solver, a: &Assembled, x: &[f64]) -> Vec<f64> {
        let (n, m) = (sv.n, sv.modes.len());
        let mut out = vec![0.0; n * m];
        let mut nx = vec![0.0; n];
        for j in 0..m {
            let xj = &x[j * n..(j + 1) * n];
            a.unit[self.ib].0.matvec(xj, &mut nx);
            for i in 0..m {
                let (s, g) = (self.s[(i, j)], self.g[(i, j)]);
                if s == 0.0 && g == 0.0 {
                    continue;
                }
                for ((o, nv), xv) in out[i * n..(i + 1) * n].iter_mut().zip(&nx).zip(xj) {
                    *o += s * nv + g * xv;
                }
            }
        }
        out
    }

    /// `F_D x`: the firing flux of `N_B S_B x` per mode.
    fn flux(&self, sv: &Solver, a: &Assembled, x: &[f64]) -> Vec<f64> {
        let (n, m) = (sv.n, sv.modes.len());
        let f: Vec<f64> = (0..m)
            .map(|j| dot(&a.unit[self.ib].1, &x[j * n..(j + 1) * n]))
            .collect();
        (0..m)
            .map(|i| (0..m).map(|j| self.s[(i, j)] * f[j]).sum())
            .collect()
    }
}

impl BlockSolve<C> for CBand {
    fn solve_block(&self, v: &mut [C]) {
        self.solve_in_place(v);
    }
}
