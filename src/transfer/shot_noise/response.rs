//! Linear response of the shot-noise LIF neuron to a modulation of its input rates
//! (docs/theory.md 6.4): the master equation of docs/theory.md 2.2 at complex `lambda`.
//!
//! The master equation is linear, `dP/dt = -A P + r(t - tau_ref) s` (`A` the negated
//! generator on the voltage cells, `s` the reset source, `r = 1^T A P` the firing flux),
//! and `A = A_leak + sum_X R_X B_X` depends linearly on the input rates (`B_X` the jump
//! operator of source `X` per unit rate). For `R_X(t) = R_X + delta R_X e^{lambda t}` the
//! first-order density solves `(A + lambda) P_1 = -delta R_X B_X P_0 + r_1 e^{-lambda tau_ref} s`,
//! and conservation of probability (the column sums of `A` are the firing fluxes) gives
//!
//! ```text
//!   chi_X(lambda) = r_1 / delta R_X = 1^T (A + lambda)^{-1} B_X P_0
//!                   / [ (1 - e^{-lambda tau_ref}) / lambda + e^{-lambda tau_ref} 1^T (A + lambda)^{-1} s ]
//! ```
//!
//! (Hz per Hz of the source's total rate), with no `0/0` at `lambda = 0`, where it is the
//! derivative of the stationary rate in `R_X`. The same four grids and Richardson
//! extrapolation as the stationary solver are used, at the four lattice biases around the
//! requested one (cubic interpolation in the bias, docs/theory.md 2.2).

use super::master::{Jump, assemble, split};
use super::{LifParams, Resolution, ShotInput, grid_domain, lattice, richardson_weights};
use crate::error::{Error, Result};
use num_complex::Complex64;

const C0: Complex64 = Complex64::new(0.0, 0.0);

/// Rate response of a shot-noise driven LIF neuron to its input rates (docs/theory.md 6.4).
#[derive(Clone, Debug, PartialEq)]
pub struct ShotSusceptibility {
    /// Stationary rate (Hz) at the working point.
    pub rate_hz: f64,
    /// `chi_X(lambda)`: the rate modulation per unit modulation of the total rate of
    /// input source `X` (Hz/Hz), one per source of the [`ShotInput`].
    pub chi: Vec<Complex64>,
}

impl ShotSusceptibility {
    /// The susceptibilities to the mean `mu = b + tau_m sum_X a_X R_X` (Hz/mV) and to the
    /// variance `sigma^2 = tau_m sum_X a_X^2 R_X` (Hz/mV^2) implied by two sources with
    /// different jumps `a_1 != a_2` (docs/theory.md 6.4): the solution of
    /// `chi_X = tau_m (a_X chi_mu + a_X^2 chi_sigma2)`, `X = 1, 2`. In the diffusion limit
    /// they tend to the white-noise `chi_mu`, `chi_sigma2` of docs/theory.md 6.1.
    ///
    /// # Errors
    /// [`Error::Invalid`] if the indices are out of range or the jumps are equal or zero.
    pub fn mean_and_variance(
        &self,
        input: &ShotInput,
        tau_m: f64,
        sources: (usize, usize),
    ) -> Result<(Complex64, Complex64)> {
        let (x, y) = sources;
        let n = input.jumps_mv.len();
        if x >= n || y >= n || x == y {
            return Err(Error::invalid(
                "sources",
                format!("({x}, {y})"),
                format!("need two different sources of the {n}"),
            ));
        }
        let (a, b) = (input.jumps_mv[x], input.jumps_mv[y]);
        let det = tau_m * a * b * (b - a);
        if a == 0.0 || b == 0.0 || det == 0.0 {
            return Err(Error::invalid(
                "sources",
                format!("jumps {a}, {b} mV"),
                "need two different non-zero jumps",
            ));
        }
        // [a a^2; b b^2] [mu; s2] tau = [chi_x; chi_y]
        let (cx, cy) = (self.chi[x], self.chi[y]);
        let chi_mu = (cx * (b * b) - cy * (a * a)) / det;
        let chi_s2 = (cy * a - cx * b) / det;
        Ok((chi_mu, chi_s2))
    }
}

/// [`susceptibility_with`] at [`Resolution::for_input`].
///
/// # Errors
/// As [`susceptibility_with`].
pub fn susceptibility(
    lif: &LifParams,
    input: &ShotInput,
    bias: f64,
    lambda: Complex64,
) -> Result<ShotSusceptibility> {
    susceptibility_with(lif, input, bias, lambda, &Resolution::for_input(input))
}

/// Rate susceptibilities `chi_X(lambda)` (Hz/Hz) of a LIF neuron `lif` driven by the
/// Poisson shot noise `input` and the bias `bias` (mV) to a modulation
/// `R_X + delta R_X e^{lambda t}` of each source's rate, at complex `lambda` (1/s), with
/// the stationary rate (docs/theory.md 6.4). Cost: two complex banded factorisations per
/// grid; about 20 ms for the default model's inputs at the default resolution.
///
/// # Errors
/// [`Error::Invalid`] for invalid parameters, a non-finite `lambda`, or an input without
/// an excitatory source (the neuron then fires only by drift, which this solver does not
/// cover); [`Error::Domain`] if the grid is too large or `A + lambda` is singular
/// (`-lambda` an eigenvalue of the master-equation operator).
pub fn susceptibility_with(
    lif: &LifParams,
    input: &ShotInput,
    bias: f64,
    lambda: Complex64,
    res: &Resolution,
) -> Result<ShotSusceptibility> {
    let g = Grids::new(lif, input, bias, res)?;
    if !(lambda.re.is_finite() && lambda.im.is_finite()) {
        return Err(Error::invalid("lambda", lambda, "must be finite (1/s)"));
    }
    let (t, u_min, n_coarse) = (g.t, g.u_min, g.n_coarse);
    let b = |k: usize| g.bias(k);
    let jumps = input.jumps();
    let weights = richardson_weights(res.levels);
    let ns = jumps.len();
    // per lattice bias: Richardson sums of the passage time and of chi_X
    let mut time = [0.0f64; 4];
    let mut chi = vec![vec![C0; ns]; 4];
    for (level, w) in weights.iter().enumerate() {
        let Level {
            per_coarse,
            h: hl,
            band,
            lu0,
        } = g.level(level, lif, &jumps, res)?;
        let lul = CBand::factor(&band, lambda)?;
        let z = lul.ut_solve_ones();
        for k in 0..4 {
            let m = (n_coarse - k) * per_coarse;
            let one = block_response(
                &lu0,
                &lul,
                &z,
                m,
                (lif.v_reset - b(k) - u_min) / hl,
                &jumps,
                hl,
                res.spread(),
                lif.tau_ref,
                lambda,
            );
            time[k] += w * one.0;
            for x in 0..ns {
                chi[k][x] += one.1[x] * *w;
            }
        }
    }
    let lw = lagrange4(t);
    let rate = interpolated_rate(&time, &lw, lif.tau_ref);
    let chi_out = (0..ns)
        .map(|x| {
            let v: Complex64 = (0..4).map(|k| chi[k][x] * lw[k]).sum();
            if v.re.is_finite() && v.im.is_finite() {
                v
            } else {
                C0
            }
        })
        .collect();
    Ok(ShotSusceptibility {
        rate_hz: rate,
        chi: chi_out,
    })
}

/// Second-order rate response of a shot-noise driven LIF neuron to a modulation of its
/// input rates (docs/theory.md 6.4.1), on the frequencies of [`second_order_with`].
#[derive(Clone, Debug, PartialEq)]
pub struct ShotSecondOrder {
    /// Stationary rate (Hz) at the working point.
    pub rate_hz: f64,
    /// `chi2[k][X] = chi_2,X(omega_k, -omega_k)` (Hz/Hz^2): the time-averaged rate change
    /// is `2 chi_2 |delta R_X|^2` for `R_X(t) = R_X + delta R_X e^{i omega t} + c.c.`, and
    /// `Int d omega/(2 pi) chi_2,X S_X(omega)` for a rate modulation of spectrum `S_X`
    /// (Hz^2 s).
    pub chi2: Vec<Vec<f64>>,
    /// The same for the mean membrane potential (mV/Hz^2): the time-averaged change of
    /// `<V>` (refractory time at `Vr` included) is `2 chi2_v |delta R_X|^2`.
    pub chi2_v: Vec<Vec<f64>>,
}

/// Second-order susceptibilities `chi_2,X(omega, -omega)` (Hz/Hz^2) of the neuron of
/// [`susceptibility_with`] to a modulation of the rate of the input sources `X` listed in
/// `sources` (indices into the input; `chi2[k][j]` is that of `sources[j]`), at the
/// angular frequencies `omegas` (rad/s, positive), with the stationary rate
/// (docs/theory.md 6.4.1). The time-independent second-order density solves
/// `A P_20 = -2 B_X Re P_1 + r_20 s` with the first-order density `P_1` of 6.4, and
/// probability balance gives `chi_2 = r_20 / 2 = nu_0 1^T A^{-1} B_X Re P_1`. A source of
/// the input may have rate 0: it then only names the jump whose rate is modulated.
/// Cost: one complex banded factorisation per grid and frequency.
///
/// # Errors
/// As [`susceptibility_with`]; [`Error::Invalid`] for a non-positive or non-finite
/// frequency.
pub fn second_order_with(
    lif: &LifParams,
    input: &ShotInput,
    bias: f64,
    omegas: &[f64],
    sources: &[usize],
    res: &Resolution,
) -> Result<ShotSecondOrder> {
    let g = Grids::new(lif, input, bias, res)?;
    validate_omegas(omegas)?;
    if let Some(x) = sources.iter().find(|x| **x >= input.jumps_mv.len()) {
        return Err(Error::invalid(
            "sources",
            *x,
            format!("the input has {} sources", input.jumps_mv.len()),
        ));
    }
    let (t, u_min, n_coarse) = (g.t, g.u_min, g.n_coarse);
    let b = |k: usize| g.bias(k);
    let all = input.jumps();
    let jumps: Vec<Jump> = sources.iter().map(|&x| all[x]).collect();
    let weights = richardson_weights(res.levels);
    let ns = jumps.len();
    // lattice biases with a zero interpolation weight (a bias on the lattice) are skipped
    let lw = lagrange4(t);
    let nw = omegas.len();
    let mut time = [0.0f64; 4];
    // [bias][omega][source]: rate and mean potential
    let mut chi2 = vec![vec![vec![0.0f64; ns]; nw]; 4];
    let mut chi2_v = vec![vec![vec![0.0f64; ns]; nw]; 4];
    for (level, w) in weights.iter().enumerate() {
        let Level {
            per_coarse,
            h: hl,
            band,
            lu0,
        } = g.level(level, lif, &all, res)?;
        // stationary densities and the B_X P_0 of every lattice bias
        let blocks: Vec<Block> = (0..4)
            .map(|k| {
                let m = (n_coarse - k) * per_coarse;
                Block::new(
                    &lu0,
                    m,
                    (lif.v_reset - b(k) - u_min) / hl,
                    lif,
                    b(k) + u_min,
                    hl,
                )
            })
            .collect();
        for (k, blk) in blocks.iter().enumerate() {
            time[k] += w * blk.t_free;
        }
        for (iw, &omega) in omegas.iter().enumerate() {
            let lambda = Complex64::new(0.0, omega);
            let lul = CBand::factor(&band, lambda)?;
            for (k, blk) in blocks.iter().enumerate() {
                if lw[k].abs() < 1e-9 {
                    continue;
                }
                let v = blk.second_order(&lu0, &lul, &jumps, res.spread(), lif, lambda);
                for (x, (c, cv)) in v.iter().enumerate() {
                    chi2[k][iw][x] += w * c;
                    chi2_v[k][iw][x] += w * cv;
                }
            }
        }
    }
    let rate = interpolated_rate(&time, &lw, lif.tau_ref);
    let on_lattice = |c: &[Vec<Vec<f64>>]| -> Vec<Vec<f64>> {
        (0..nw)
            .map(|iw| {
                (0..ns)
                    .map(|x| {
                        let v: f64 = (0..4).map(|k| c[k][iw][x] * lw[k]).sum();
                        if v.is_finite() { v } else { 0.0 }
                    })
                    .collect()
            })
            .collect()
    };
    Ok(ShotSecondOrder {
        rate_hz: rate,
        chi2: on_lattice(&chi2),
        chi2_v: on_lattice(&chi2_v),
    })
}

/// [`Error::Invalid`] unless every angular frequency is finite and positive (rad/s).
pub(crate) fn validate_omegas(omegas: &[f64]) -> Result<()> {
    match omegas.iter().find(|w| !(w.is_finite() && **w > 0.0)) {
        Some(w) => Err(Error::invalid(
            "omegas",
            *w,
            "every angular frequency must be finite and > 0 (rad/s)",
        )),
        None => Ok(()),
    }
}

/// `B_X v` on a leading block of `v.len()` cells: each cell's mass leaves and arrives at
/// the split targets of the jump `a` (above the threshold it fires, below the bottom it
/// stays in the bottom cell), per unit rate.
fn apply_jump(v: &[f64], a: f64, h: f64, spread: bool) -> Vec<Complex64> {
    let m = v.len();
    let mut out: Vec<Complex64> = v.iter().map(|&p| Complex64::new(p, 0.0)).collect();
    for (off, w) in split(a / h, spread) {
        if w == 0.0 {
            continue;
        }
        let off = off as i64;
        for (i, &p) in v.iter().enumerate() {
            let t = i as i64 + off;
            if t >= m as i64 {
                continue;
            }
            out[t.max(0) as usize] -= w * p;
        }
    }
    out
}

/// One lattice bias of [`second_order_with`] on one grid: the reset source, the
/// normalised stationary density, the mean free passage time, the grid's lower edge
/// (absolute mV) and cell width, and `<V>` integrated over one interspike interval
/// (mV s, the refractory time at the reset included).
struct Block {
    src: Vec<Complex64>,
    p0: Vec<f64>,
    t_free: f64,
    rate: f64,
    v_lo: f64,
    h: f64,
    v_free: f64,
}

impl Block {
    fn new(lu0: &CBand, m: usize, q_r: f64, lif: &LifParams, v_lo: f64, h: f64) -> Self {
        let src = reset_source(q_r, m);
        let mut p0 = src.clone();
        lu0.solve_in_place(&mut p0);
        let t_free: f64 = p0.iter().map(|v| v.re).sum();
        let v_free = p0
            .iter()
            .enumerate()
            .map(|(i, p)| p.re * (v_lo + (i as f64 + 0.5) * h))
            .sum::<f64>()
            + lif.tau_ref * lif.v_reset;
        let rate = 1.0 / (t_free + lif.tau_ref);
        let p0 = p0.iter().map(|v| v.re * rate).collect();
        Block {
            src,
            p0,
            t_free,
            rate,
            v_lo,
            h,
            v_free,
        }
    }

    /// The centre (absolute mV) of cell `i`.
    fn centre(&self, i: usize) -> f64 {
        self.v_lo + (i as f64 + 0.5) * self.h
    }

    /// `(chi_2,X, chi_2v,X)` of every source at `lambda = i omega`.
    fn second_order(
        &self,
        lu0: &CBand,
        lul: &CBand,
        jumps: &[Jump],
        spread: bool,
        lif: &LifParams,
        lambda: Complex64,
    ) -> Vec<(f64, f64)> {
        let h = self.h;
        if !(self.rate > 0.0 && self.t_free.is_finite()) {
            return vec![(0.0, 0.0); jumps.len()];
        }
        let tau_ref = lif.tau_ref;
        let mut pr = self.src.clone();
        lul.solve_in_place(&mut pr);
        let s_r: Complex64 = pr.iter().sum();
        let delay = (-lambda * tau_ref).exp();
        let denom = one_minus_exp_over(lambda * tau_ref) * tau_ref + delay * s_r;
        jumps
            .iter()
            .map(|j| {
                if j.a == 0.0 {
                    return (0.0, 0.0);
                }
                // P_1 = -q_X + r_1 e^{-lambda tau_ref} p_r, q_X = (A + lambda)^{-1} B_X P_0
                let mut q = apply_jump(&self.p0, j.a, h, spread);
                lul.solve_in_place(&mut q);
                let r1 = q.iter().sum::<Complex64>() / denom;
                let re_p1: Vec<f64> = q
                    .iter()
                    .zip(&pr)
                    .map(|(qi, pi)| (-qi + r1 * delay * pi).re)
                    .collect();
                // y = A^{-1} B_X Re P_1; P_20 = -2 y + r_20 A^{-1} s, r_20 = 2 chi_2,
                // chi_2 = nu_0 1^T y by the balance of probability
                let mut y = apply_jump(&re_p1, j.a, h, spread);
                lu0.solve_in_place(&mut y);
                let chi2 = self.rate * y.iter().map(|v| v.re).sum::<f64>();
                let vy: f64 = y
                    .iter()
                    .enumerate()
                    .map(|(i, v)| v.re * self.centre(i))
                    .sum();
                (chi2, -vy + chi2 * self.v_free)
            })
            .collect()
    }
}

/// The validated grids of a response computation (docs/theory.md 2.2, 6.4): the finest
/// cell width `h`, the cells per coarsest cell `c`, the position `t` of the requested
/// bias between the four lattice biases around it, and the grid's lower edge and size in
/// coarsest cells. The input must have an excitatory source.
struct Grids {
    h: f64,
    c: usize,
    coarse: f64,
    j0: i64,
    t: f64,
    theta: f64,
    u_min: f64,
    n_coarse: usize,
}

impl Grids {
    fn new(lif: &LifParams, input: &ShotInput, bias: f64, res: &Resolution) -> Result<Self> {
        super::validate_lif(lif)?;
        input.validate()?;
        res.validate()?;
        if !bias.is_finite() {
            return Err(Error::invalid("bias", bias, "must be finite (mV)"));
        }
        if !input.has_excitation() {
            return Err(Error::invalid(
                "ShotInput",
                format!("jumps {:?} mV", input.jumps_mv),
                "the shot-noise response needs a source with a positive jump at a positive rate (docs/theory.md 6.4)",
            ));
        }
        let h = res.cell_width(lif);
        let c = res.coarsest();
        let coarse = c as f64 * h;
        let (j0, t) = lattice(lif, bias, coarse);
        let mut g = Grids {
            h,
            c,
            coarse,
            j0,
            t,
            theta: lif.theta,
            u_min: 0.0,
            n_coarse: 0,
        };
        (g.u_min, g.n_coarse) = grid_domain(lif, input, g.bias(0), g.bias(3), res)?;
        Ok(g)
    }

    /// The `k`-th lattice bias (mV), `k = 0..4`.
    fn bias(&self, k: usize) -> f64 {
        self.theta + (self.j0 + k as i64) as f64 * self.coarse
    }

    /// Grid `level` of the Richardson extrapolation (cells `2^level h`): its cells per
    /// coarsest cell, cell width, master-equation matrix (sources `jumps`) and the
    /// factors of that matrix.
    fn level(
        &self,
        level: usize,
        lif: &LifParams,
        jumps: &[Jump],
        res: &Resolution,
    ) -> Result<Level> {
        let ratio = 1usize << level;
        let per_coarse = self.c / ratio;
        let h = self.h * ratio as f64;
        let n = self.n_coarse * per_coarse;
        let (band, _) = assemble(h, self.u_min, n, lif.tau_m, jumps, res.spread());
        let lu0 = CBand::factor(&band, C0)?;
        Ok(Level {
            per_coarse,
            h,
            band,
            lu0,
        })
    }
}

/// One grid of [`Grids::level`].
struct Level {
    per_coarse: usize,
    h: f64,
    band: super::banded::Band,
    lu0: CBand,
}

/// The rate (Hz) at the requested bias from the mean free passage times (s) at the four
/// lattice biases: the cubic through their `ln nu` (0 if one is not positive).
fn interpolated_rate(time: &[f64; 4], lw: &[f64; 4], tau_ref: f64) -> f64 {
    let rates: Vec<f64> = time.iter().map(|tm| 1.0 / (tm + tau_ref)).collect();
    if rates.iter().all(|r| *r > 0.0 && r.is_finite()) {
        lw.iter()
            .zip(&rates)
            .map(|(w, r)| w * r.ln())
            .sum::<f64>()
            .exp()
    } else {
        0.0
    }
}

/// The reset source of a leading block of `m` cells, split linearly between the two
/// centres nearest the fractional cell position `q_r` (as the stationary solver).
fn reset_source(q_r: f64, m: usize) -> Vec<Complex64> {
    let q = q_r - 0.5;
    let i0 = q.floor().max(0.0) as usize;
    let wr = (q - i0 as f64).clamp(0.0, 1.0);
    let mut src = vec![C0; m];
    if i0 + 1 >= m {
        src[m - 1] = Complex64::new(1.0, 0.0);
    } else {
        src[i0] = Complex64::new(1.0 - wr, 0.0);
        src[i0 + 1] = Complex64::new(wr, 0.0);
    }
    src
}

/// Lagrange weights of the nodes `0, 1, 2, 3` at `t`.
fn lagrange4(t: f64) -> [f64; 4] {
    [
        -(t - 1.0) * (t - 2.0) * (t - 3.0) / 6.0,
        t * (t - 2.0) * (t - 3.0) / 2.0,
        -t * (t - 1.0) * (t - 3.0) / 2.0,
        t * (t - 1.0) * (t - 2.0) / 6.0,
    ]
}

/// `(1 - e^{-z}) / z`, exact near 0.
pub(crate) fn one_minus_exp_over(z: Complex64) -> Complex64 {
    if z.norm() < 1e-4 {
        Complex64::new(1.0, 0.0) - z / 2.0 + z * z / 6.0
    } else {
        (Complex64::new(1.0, 0.0) - (-z).exp()) / z
    }
}

/// Mean free passage time (s) and `chi_X` of the leading block `m` (threshold at the top
/// of cell `m - 1`) with the reset at fractional cell position `q_r` (in cells from `u_min`).
#[allow(clippy::too_many_arguments)]
fn block_response(
    lu0: &CBand,
    lul: &CBand,
    z: &[Complex64],
    m: usize,
    q_r: f64,
    jumps: &[Jump],
    h: f64,
    spread: bool,
    tau_ref: f64,
    lambda: Complex64,
) -> (f64, Vec<Complex64>) {
    let src = reset_source(q_r, m);
    // stationary density per unit reset flux, then normalised
    let mut p0 = src.clone();
    lu0.solve_in_place(&mut p0);
    let t_free: f64 = p0.iter().map(|v| v.re).sum();
    let rate = 1.0 / (t_free + tau_ref);
    if !(rate > 0.0 && t_free.is_finite()) {
        return (t_free, vec![C0; jumps.len()]);
    }
    let p0: Vec<f64> = p0.iter().map(|v| v.re * rate).collect();
    // 1^T (A + lambda)^{-1} v = (U^{-T} 1) . (L^{-1} v) on the block
    let sum_solve = |v: &mut Vec<Complex64>| -> Complex64 {
        lul.l_solve_in_place(v);
        v.iter().zip(&z[..m]).map(|(a, b)| a * b).sum()
    };
    let mut pr = src;
    let s_r = sum_solve(&mut pr);
    let denom = one_minus_exp_over(lambda * tau_ref) * tau_ref + (-lambda * tau_ref).exp() * s_r;
    let chi = jumps
        .iter()
        .map(|j| {
            if j.a == 0.0 {
                return C0;
            }
            // B_X P_0 per unit rate: all mass leaves each cell, arrives at the split targets
            // (above the threshold: fired; below the bottom: the bottom cell)
            let mut v = apply_jump(&p0, j.a, h, spread);
            sum_solve(&mut v) / denom
        })
        .collect();
    (t_free, chi)
}

/// LU factors (no pivoting) of `A + lambda I` for a real band matrix `A`, in the row-major
/// band layout of `banded::Band`. `A` is a column diagonally dominant M-matrix, so
/// elimination without pivoting is stable for `Re lambda >= 0` (and for the small negative
/// growth rates of a stability search); the factors of a leading block are the leading
/// blocks of the factors.
pub(crate) struct CBand {
    n: usize,
    kl: usize,
    ku: usize,
    width: usize,
    data: Vec<Complex64>,
}

impl CBand {
    pub(crate) fn factor(a: &super::banded::Band, lambda: Complex64) -> Result<Self> {
        let (n, kl, ku) = (a.n, a.kl, a.ku);
        let width = kl + ku + 1;
        let mut data = vec![C0; n * width];
        for i in 0..n {
            for j in i.saturating_sub(kl)..=(i + ku).min(n - 1) {
                data[i * width + j + kl - i] = Complex64::new(a.get(i, j), 0.0);
            }
            data[i * width + kl] += lambda;
        }
        for k in 0..n {
            let piv = data[k * width + kl];
            if piv.norm() == 0.0 || !piv.re.is_finite() || !piv.im.is_finite() {
                return Err(Error::Domain(format!(
                    "shot-noise response: the master-equation operator plus lambda = {lambda} 1/s is singular (pivot {k})"
                )));
            }
            let inv = 1.0 / piv;
            let last = (k + ku).min(n - 1);
            let len = last - k;
            let (head, tail) = data.split_at_mut((k + 1) * width);
            let row_k = &head[k * width + kl + 1..k * width + kl + 1 + len];
            for i in k + 1..=(k + kl).min(n - 1) {
                let base = (i - k - 1) * width;
                let at = base + k + kl - i;
                let l = tail[at] * inv;
                tail[at] = l;
                if l != C0 {
                    for (x, &u) in tail[at + 1..at + 1 + len].iter_mut().zip(row_k) {
                        *x -= l * u;
                    }
                }
            }
        }
        Ok(CBand {
            n,
            kl,
            ku,
            width,
            data,
        })
    }

    /// `v <- L^{-1} v` on the leading block of size `v.len()`.
    fn l_solve_in_place(&self, v: &mut [Complex64]) {
        let (kl, w) = (self.kl, self.width);
        for i in 0..v.len() {
            let lo = i.saturating_sub(kl);
            let row = &self.data[i * w + kl - (i - lo)..i * w + kl];
            let acc: Complex64 = row.iter().zip(&v[lo..i]).map(|(a, b)| a * b).sum();
            v[i] -= acc;
        }
    }

    /// `v <- U^{-1} v` on the leading block of size `v.len()`.
    fn u_solve_in_place(&self, v: &mut [Complex64]) {
        let (kl, ku, w) = (self.kl, self.ku, self.width);
        let m = v.len();
        for i in (0..m).rev() {
            let hi = (i + ku).min(m - 1);
            let row = &self.data[i * w + kl..i * w + kl + 1 + (hi - i)];
            let acc: Complex64 = row[1..]
                .iter()
                .zip(&v[i + 1..=hi])
                .map(|(a, b)| a * b)
                .sum();
            v[i] = (v[i] - acc) / row[0];
        }
    }

    /// `v <- (L U)^{-1} v` on the leading block of size `v.len()`.
    pub(crate) fn solve_in_place(&self, v: &mut [Complex64]) {
        self.l_solve_in_place(v);
        self.u_solve_in_place(v);
    }

    /// `U^{-T} 1`: its leading `m` entries serve every leading block `m`.
    fn ut_solve_ones(&self) -> Vec<Complex64> {
        let (n, kl, ku, w) = (self.n, self.kl, self.ku, self.width);
        let mut z = vec![Complex64::new(1.0, 0.0); n];
        for i in 0..n {
            let row = &self.data[i * w + kl..i * w + kl + 1 + ku.min(n - 1 - i)];
            let zi = z[i] / row[0];
            z[i] = zi;
            for (x, &u) in z[i + 1..i + row.len()].iter_mut().zip(&row[1..]) {
                *x -= u * zi;
            }
        }
        z
    }
}
