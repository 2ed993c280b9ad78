//! Mean-field theory of the low-rank rate network (docs/theory.md 10.2-10.4;
//! Mastrogiuseppe & Ostojic 2018, Methods): stationary solutions `kappa`, `mu`, `Delta_0`,
//! their stability (the bulk radius and the outliers of the linearised dynamics), all
//! stationary solutions in a box, and the latent dynamics for slow inputs.
//!
//! **Regime.** Only stationary (fixed-point) solutions are computed. A solution whose
//! random bulk reaches the unit circle (`g sqrt(<phi'^2>) >= 1`) is reported with
//! `stable = false` and `chaotic = true`: the network is then chaotic and its
//! description needs the dynamic mean-field theory with the autocorrelation function,
//! which is not implemented (docs/theory.md 10.4).

use argmin::core::{CostFunction, Executor, State as _};
use argmin::solver::brent::BrentRoot;
use nalgebra::{DMatrix, DVector};
use serde::{Deserialize, Serialize};

use super::RateNetwork;
use crate::error::{Error, Result};
use crate::quad::{QuadConfig, integrate_normal, normal_pdf};
use crate::theory::newton::{self, NewtonOptions};

/// Statistics of the input `x = m.kappa + w.s + z` of a unit, `z` the random recurrent
/// input (docs/theory.md 10.2).
#[derive(Clone, Debug)]
struct Inputs {
    /// Population mean `mu` of `x`.
    mu: f64,
    /// Variance of the structured part `m.kappa + w.s` across units.
    latent_var: f64,
    /// `Cov(m_r, x)`.
    c_m: Vec<f64>,
    /// `Cov(n_r, x)`.
    c_n: Vec<f64>,
}

fn inputs(net: &RateNetwork, kappa: &[f64], s: &[f64]) -> Inputs {
    let r = net.rank();
    let din = net.inputs();
    // the structured input is a linear form in the loading vector: coefficient a_j
    let mut a = vec![0.0; 2 * r + din];
    for (q, &k) in kappa.iter().enumerate() {
        a[net.im(q)] = k;
    }
    for (k, &v) in s.iter().enumerate() {
        a[net.iw(k)] = v;
    }
    let cov_with = |i: usize| (0..a.len()).map(|j| net.cov(i, j) * a[j]).sum::<f64>();
    let mu = (0..a.len()).map(|j| net.mean(j) * a[j]).sum();
    let latent_var = (0..a.len())
        .map(|i| a[i] * cov_with(i))
        .sum::<f64>()
        .max(0.0);
    Inputs {
        mu,
        latent_var,
        c_m: (0..r).map(|q| cov_with(net.im(q))).collect(),
        c_n: (0..r).map(|q| cov_with(net.in_(q))).collect(),
    }
}

/// Gaussian moments over `x = mu + sqrt(Delta_0) z`, `z ~ N(0, 1)`:
/// `m0[f] = E f`, `m1[f] = E[z f]`, `m2[f] = E[(z^2 - 1) f]` (docs/theory.md 10.2).
#[derive(Clone, Copy, Debug, Default)]
struct Moments {
    phi: f64,
    z_phi: f64,
    phi2: f64,
    dphi: f64,
    z_dphi: f64,
    z2_dphi: f64,
    phi_dphi: f64,
    z_phi_dphi: f64,
    dphi2: f64,
}

fn cfg() -> QuadConfig {
    QuadConfig::default()
}

/// `<phi^2>` only (the variance equation).
fn mean_phi2(net: &RateNetwork, mu: f64, delta0: f64) -> f64 {
    let t = net.transfer();
    if !(delta0 > 0.0) {
        return t.phi(mu).powi(2);
    }
    let sd = delta0.sqrt();
    let [v] = integrate_normal(
        |z| [normal_pdf(z) * t.phi(mu + sd * z).powi(2)],
        mu,
        sd,
        t.breakpoints(),
        &cfg(),
        [1e-300],
    );
    v
}

fn moments(net: &RateNetwork, mu: f64, delta0: f64) -> Moments {
    let t = net.transfer();
    if !(delta0 > 0.0) {
        let (p, d) = (t.phi(mu), t.dphi(mu));
        return Moments {
            phi: p,
            phi2: p * p,
            dphi: d,
            phi_dphi: p * d,
            dphi2: d * d,
            ..Moments::default()
        };
    }
    let sd = delta0.sqrt();
    let v = integrate_normal(
        |z| {
            let w = normal_pdf(z);
            let x = mu + sd * z;
            let (p, d) = (t.phi(x), t.dphi(x));
            let z2 = z * z - 1.0;
            [
                w * p,
                w * z * p,
                w * p * p,
                w * d,
                w * z * d,
                w * z2 * d,
                w * p * d,
                w * z * p * d,
                w * d * d,
            ]
        },
        mu,
        sd,
        t.breakpoints(),
        &cfg(),
        [1e-300; 9],
    );
    Moments {
        phi: v[0],
        z_phi: v[1],
        phi2: v[2],
        dphi: v[3],
        z_dphi: v[4],
        z2_dphi: v[5],
        phi_dphi: v[6],
        z_phi_dphi: v[7],
        dphi2: v[8],
    }
}

struct Brent1<F: Fn(f64) -> f64>(F);

impl<F: Fn(f64) -> f64> CostFunction for Brent1<F> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, p: &f64) -> std::result::Result<f64, argmin::core::Error> {
        Ok((self.0)(*p))
    }
}

/// Root of `f` in `[lo, hi]` (a sign change) by argmin's `BrentRoot`.
fn brent(what: &str, f: impl Fn(f64) -> f64, lo: f64, hi: f64, tol: f64) -> Result<f64> {
    let res = Executor::new(Brent1(f), BrentRoot::new(lo, hi, tol))
        .configure(|st| st.max_iters(200))
        .run()
        .map_err(|e| Error::NoConvergence {
            what: format!("{what}: {e}"),
            iterations: 200,
            residual: f64::NAN,
        })?;
    res.state()
        .get_best_param()
        .copied()
        .ok_or_else(|| Error::NoConvergence {
            what: what.into(),
            iterations: 200,
            residual: f64::NAN,
        })
}

/// `Delta_0` at given `mu` and structured variance `L`: the root of
/// `Delta_0 = g^2 <phi^2>(mu, Delta_0) + L` (docs/theory.md 10.2).
pub(super) fn solve_delta0(net: &RateNetwork, mu: f64, latent_var: f64) -> Result<f64> {
    let g2 = net.g() * net.g();
    if g2 == 0.0 {
        return Ok(latent_var);
    }
    let h = |d: f64| d - g2 * mean_phi2(net, mu, d) - latent_var;
    let mut lo = latent_var;
    let mut hi = match net.transfer().bound() {
        Some(b) => latent_var + g2 * b * b,
        None if g2 < 1.0 => (latent_var + g2 * mu * mu) / (1.0 - g2) * (1.0 + 1e-12) + 1e-300,
        None => 2.0 * latent_var.max(1.0),
    };
    let mut tries = 0;
    while h(hi) < 0.0 {
        tries += 1;
        if tries > 60 || !hi.is_finite() {
            return Err(Error::NoConvergence {
                what: format!(
                    "Delta_0 at mu = {mu:.6e}, g = {}: no finite variance (the {:?} network runs away; docs/theory.md 10.2)",
                    net.g(),
                    net.transfer()
                ),
                iterations: tries,
                residual: h(hi),
            });
        }
        hi *= 2.0;
    }
    if h(lo) >= 0.0 {
        // `lo` is a root (zero activity, no structured variance): for g > 1 the variance
        // equation also has a positive root, the one the stationary theory takes (the
        // zero-variance root is unstable, Mastrogiuseppe & Ostojic 2018). Look below `hi`
        // for a point where h < 0 to bracket the largest root.
        let mut d = hi;
        let mut found = false;
        for _ in 0..60 {
            d *= 0.5;
            if d <= lo {
                break;
            }
            if h(d) < 0.0 {
                found = true;
                break;
            }
        }
        if !found {
            return Ok(lo);
        }
        lo = d;
    }
    brent("Delta_0 of the rate network", h, lo, hi, 1e-13 * (1.0 + hi))
}

/// The reduced latent map at one `kappa` (docs/theory.md 10.2).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MapPoint {
    /// `kappa`.
    pub kappa: Vec<f64>,
    /// `G(kappa) = <n phi(x)>` with `Delta_0` solved at `kappa`.
    pub map: Vec<f64>,
    /// Population mean `mu` of `x`.
    pub mu: f64,
    /// Population variance `Delta_0` of `x`.
    pub delta0: f64,
}

fn map_raw(net: &RateNetwork, kappa: &[f64], s: &[f64]) -> Result<(MapPoint, Inputs, Moments)> {
    let inp = inputs(net, kappa, s);
    let delta0 = solve_delta0(net, inp.mu, inp.latent_var)?;
    let mo = moments(net, inp.mu, delta0);
    let sd = delta0.sqrt();
    let map = (0..net.rank())
        .map(|q| {
            let c = if sd > 0.0 { inp.c_n[q] / sd } else { 0.0 };
            net.mean(net.in_(q)) * mo.phi + c * mo.z_phi
        })
        .collect();
    Ok((
        MapPoint {
            kappa: kappa.to_vec(),
            map,
            mu: inp.mu,
            delta0,
        },
        inp,
        mo,
    ))
}

/// The reduced map `G(kappa, s) = <n phi(x)>` with `Delta_0` solved at `kappa`
/// (docs/theory.md 10.2): its fixed points are the stationary solutions, and
/// `tau dkappa/dt = -kappa + G` is the latent dynamics of 10.3.
///
/// # Errors
///
/// [`Error::Invalid`] if `kappa` or `s` has the wrong length or a non-finite entry;
/// [`Error::NoConvergence`] if no finite `Delta_0` exists (threshold-linear runaway).
pub fn latent_map(net: &RateNetwork, kappa: &[f64], s: &[f64]) -> Result<MapPoint> {
    net.check_kappa(kappa)?;
    net.check_s(s)?;
    Ok(map_raw(net, kappa, s)?.0)
}

/// A stationary solution of the rate network with its stability (docs/theory.md 10.2, 10.4).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RateState {
    /// `kappa_r = <n^(r) phi(x)>`.
    pub kappa: Vec<f64>,
    /// The input amplitudes `s`.
    pub s: Vec<f64>,
    /// Population mean `mu` of `x`.
    pub mu: f64,
    /// Population variance `Delta_0` of `x` (structured plus random parts).
    pub delta0: f64,
    /// Variance of the random recurrent input, `g^2 <phi^2>`.
    pub delta_random: f64,
    /// `<phi>`, `<phi^2>` over units.
    pub mean_phi: f64,
    /// `<phi^2>`.
    pub mean_phi2: f64,
    /// Radius of the random bulk of the linearised dynamics, `g sqrt(<phi'^2>)`.
    pub radius: f64,
    /// Eigenvalues `[re, im]` of the reduced stability matrix (the outliers of
    /// `J phi'(x)`), docs/theory.md 10.4.
    pub outliers: Vec<[f64; 2]>,
    /// `radius < 1` and every outlier has real part `< 1`.
    pub stable: bool,
    /// `radius >= 1`: the stationary solution is unstable to chaos (the stationary theory
    /// does not describe the network there).
    pub chaotic: bool,
    /// `max |kappa - G(kappa)|` at the solution.
    pub residual: f64,
}

fn state_at(net: &RateNetwork, kappa: &[f64], s: &[f64]) -> Result<RateState> {
    let (mp, inp, mo) = map_raw(net, kappa, s)?;
    let r = net.rank();
    let g2 = net.g() * net.g();
    let v = mp.delta0;
    let sd = v.sqrt();
    let over_sd = |c: f64| if sd > 0.0 { c / sd } else { 0.0 };
    let over_v = |c: f64| if v > 0.0 { c / v } else { 0.0 };
    let delta_random = g2 * mo.phi2;
    let with_c = delta_random > 0.0 && mo.phi2 > 0.0;
    let dim = if with_c { r + 1 } else { r };
    let mut a = DMatrix::zeros(dim, dim);
    for q in 0..r {
        let (mn, cn) = (net.mean(net.in_(q)), inp.c_n[q]);
        for p in 0..r {
            let (mm, cm) = (net.mean(net.im(p)), inp.c_m[p]);
            let cov_nm = net.cov(net.in_(q), net.im(p));
            // E[n_q phi'(x) m_p] (docs/theory.md 10.4)
            a[(q, p)] = (mn * mm + cov_nm) * mo.dphi
                + over_sd(mn * cm + mm * cn) * mo.z_dphi
                + over_v(cn * cm) * mo.z2_dphi;
        }
        if with_c {
            // E[n_q phi'(x) z], z the random input (mean 0, Cov(z, x) = delta_random)
            a[(q, r)] =
                over_sd(mn * delta_random) * mo.z_dphi + over_v(cn * delta_random) * mo.z2_dphi;
        }
    }
    if with_c {
        for p in 0..r {
            let (mm, cm) = (net.mean(net.im(p)), inp.c_m[p]);
            a[(r, p)] = (mm * mo.phi_dphi + over_sd(cm) * mo.z_phi_dphi) / mo.phi2;
        }
        a[(r, r)] = over_sd(delta_random) * mo.z_phi_dphi / mo.phi2;
    }
    let eig = a.complex_eigenvalues();
    let outliers: Vec<[f64; 2]> = eig.iter().map(|c| [c.re, c.im]).collect();
    let radius = net.g() * mo.dphi2.max(0.0).sqrt();
    let max_re = outliers.iter().fold(f64::NEG_INFINITY, |m, e| m.max(e[0]));
    let residual = kappa
        .iter()
        .zip(&mp.map)
        .fold(0.0f64, |m, (k, g)| m.max((k - g).abs()));
    Ok(RateState {
        kappa: kappa.to_vec(),
        s: s.to_vec(),
        mu: mp.mu,
        delta0: mp.delta0,
        delta_random,
        mean_phi: mo.phi,
        mean_phi2: mo.phi2,
        radius,
        outliers,
        stable: radius < 1.0 && max_re < 1.0,
        chaotic: radius >= 1.0,
        residual,
    })
}

/// Newton tolerance on `max |kappa - G(kappa)|`.
const TOL: f64 = 1e-11;

/// The stationary solution reached by Newton's method from `kappa0` (docs/theory.md 10.2),
/// with its stability (10.4).
///
/// # Errors
///
/// [`Error::Invalid`] for inputs of the wrong length or non-finite; [`Error::NoConvergence`]
/// if Newton does not converge from `kappa0`.
pub fn stationary(net: &RateNetwork, s: &[f64], kappa0: &[f64]) -> Result<RateState> {
    net.check_kappa(kappa0)?;
    net.check_s(s)?;
    let scale = box_half_width(net, None);
    let opts = NewtonOptions {
        tol: TOL,
        max_iter: 100,
        max_step: scale.max(1.0),
        fd_step: 1e-7,
    };
    let rep = newton::solve(
        "stationary state of the rate network (docs/theory.md 10.2)",
        |k: &DVector<f64>| {
            let (mp, _, _) = map_raw(net, k.as_slice(), s).ok()?;
            Some(DVector::from_iterator(
                k.len(),
                k.iter().zip(&mp.map).map(|(a, b)| a - b),
            ))
        },
        DVector::from_column_slice(kappa0),
        &opts,
    )?;
    state_at(net, rep.x.as_slice(), s)
}

/// The state (moments, stability) at a given `kappa` without solving for it: the
/// residual `max |kappa - G(kappa)|` says how far from stationary it is.
///
/// # Errors
///
/// As [`latent_map`].
pub fn state_at_kappa(net: &RateNetwork, kappa: &[f64], s: &[f64]) -> Result<RateState> {
    net.check_kappa(kappa)?;
    net.check_s(s)?;
    state_at(net, kappa, s)
}

/// Where to look for stationary solutions.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct RateSearch {
    /// Half-width of the box `|kappa_r| <= kappa_max`. `None`: for `tanh`, the bound
    /// `|kappa_r| <= sqrt(M_n_r^2 + Var n_r)` that every solution obeys (`|phi| <= 1`),
    /// times 1.05; for threshold-linear, 10.
    pub kappa_max: Option<f64>,
    /// Grid points of the scan for `R = 1`.
    pub grid: usize,
    /// Newton starts (besides the origin and the axes) for `R >= 2`.
    pub starts: usize,
}

impl Default for RateSearch {
    fn default() -> Self {
        RateSearch {
            kappa_max: None,
            grid: 201,
            starts: 24,
        }
    }
}

fn box_half_width(net: &RateNetwork, given: Option<f64>) -> f64 {
    if let Some(k) = given {
        return k;
    }
    match net.transfer().bound() {
        Some(b) => {
            let m = (0..net.rank())
                .map(|q| {
                    let i = net.in_(q);
                    (net.mean(i).powi(2) + net.cov(i, i)).sqrt() * b
                })
                .fold(0.0f64, f64::max);
            1.05 * m.max(1e-3)
        }
        None => 10.0,
    }
}

/// All stationary solutions found in a box, each with its stability.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RateFixedPoints {
    /// The input amplitudes `s`.
    pub s: Vec<f64>,
    /// Half-width of the box searched.
    pub kappa_max: f64,
    /// The solutions, sorted by `kappa` (lexicographically).
    pub states: Vec<RateState>,
}

/// Every stationary solution in the box (docs/theory.md 10.2): for `R = 1` a scan of
/// `G(kappa) - kappa` on a grid with every sign change refined by Brent's method; for
/// `R >= 2` Newton from the origin, from `+-kappa_max/2` on every axis and from
/// `search.starts` Halton points of the box, duplicates merged. Tangential (double)
/// roots between grid points can be missed.
///
/// # Errors
///
/// [`Error::Invalid`] for a bad `s` or search box; [`Error::NoConvergence`] if the map
/// cannot be evaluated (threshold-linear runaway).
pub fn fixed_points(net: &RateNetwork, s: &[f64], search: &RateSearch) -> Result<RateFixedPoints> {
    net.check_s(s)?;
    if let Some(k) = search.kappa_max
        && !(k.is_finite() && k > 0.0 && k <= 1e6)
    {
        return Err(Error::invalid(
            "kappa_max",
            k,
            "must be finite, > 0 and <= 1e6",
        ));
    }
    if search.grid < 3 || search.grid > 100_000 {
        return Err(Error::invalid("grid", search.grid, "must be in 3..=100000"));
    }
    if search.starts > 100_000 {
        return Err(Error::invalid("starts", search.starts, "must be <= 100000"));
    }
    let b = box_half_width(net, search.kappa_max);
    let mut roots: Vec<Vec<f64>> = Vec::new();
    if net.rank() == 1 {
        let n = search.grid;
        let mut pts = Vec::with_capacity(n);
        for i in 0..n {
            let k = -b + 2.0 * b * i as f64 / (n - 1) as f64;
            let h = map_raw(net, &[k], s)?.0.map[0] - k;
            pts.push((k, h));
        }
        let tol = |k: f64| 1e-12 * (1.0 + k.abs());
        for (i, &(k, h)) in pts.iter().enumerate() {
            if h.abs() < tol(k) {
                roots.push(vec![k]);
                continue;
            }
            if let Some(&(k2, h2)) = pts.get(i + 1)
                && h2.abs() >= tol(k2)
                && h.signum() != h2.signum()
            {
                let f = |x: f64| {
                    map_raw(net, &[x], s)
                        .map(|m| m.0.map[0] - x)
                        .unwrap_or(f64::NAN)
                };
                let root = brent(
                    "stationary kappa of the rate network",
                    f,
                    k,
                    k2,
                    1e-13 * (1.0 + b),
                )?;
                roots.push(vec![root]);
            }
        }
    } else {
        let r = net.rank();
        let mut starts: Vec<Vec<f64>> = vec![vec![0.0; r]];
        for q in 0..r {
            for sign in [-0.5, 0.5] {
                let mut k = vec![0.0; r];
                k[q] = sign * b;
                starts.push(k);
            }
        }
        for i in 1..=search.starts {
            starts.push(
                (0..r)
                    .map(|q| b * (2.0 * halton(i, PRIMES[q % PRIMES.len()]) - 1.0))
                    .collect(),
            );
        }
        for k0 in starts {
            if let Ok(st) = stationary(net, s, &k0) {
                let inside = st.kappa.iter().all(|k| k.abs() <= b * (1.0 + 1e-9));
                let new = roots.iter().all(|q| {
                    q.iter()
                        .zip(&st.kappa)
                        .map(|(a, c)| (a - c).abs())
                        .fold(0.0f64, f64::max)
                        > 1e-6 * (1.0 + b)
                });
                if inside && new {
                    roots.push(st.kappa);
                }
            }
        }
    }
    roots.sort_by(|a, c| {
        a.iter()
            .zip(c)
            .map(|(x, y)| x.total_cmp(y))
            .find(|o| o.is_ne())
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let states = roots
        .iter()
        .map(|k| state_at(net, k, s))
        .collect::<Result<Vec<_>>>()?;
    Ok(RateFixedPoints {
        s: s.to_vec(),
        kappa_max: b,
        states,
    })
}

const PRIMES: [u64; 8] = [2, 3, 5, 7, 11, 13, 17, 19];

/// The `i`-th element of the van der Corput sequence in base `base` (Halton points).
fn halton(mut i: usize, base: u64) -> f64 {
    let (mut f, mut r) = (1.0, 0.0);
    while i > 0 {
        f /= base as f64;
        r += f * (i as u64 % base) as f64;
        i /= base as usize;
    }
    r
}

/// Latent trajectory of the rate network (docs/theory.md 10.3).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct RateTrajectory {
    /// Output times (s).
    pub t: Vec<f64>,
    /// The latent coordinates `k(t)` of the activity along the `m` vectors
    /// (`x_i = m_i . k + w_i . v + z_i`).
    pub latent: Vec<Vec<f64>>,
    /// The readout `kappa(t) = <n phi(x(t))> = G(k(t), v(t))` (equal to `k` at a fixed
    /// point; what the simulation records as `kappa`).
    pub kappa: Vec<Vec<f64>>,
    /// The filtered input `v(t)` (`tau dv/dt = -v + s(t)`).
    pub v: Vec<Vec<f64>>,
    /// `mu(t)`.
    pub mu: Vec<f64>,
    /// `Delta_0(t)`.
    pub delta0: Vec<f64>,
}

/// Integrate the latent dynamics (docs/theory.md 10.3)
///
/// ```text
/// tau dk/dt = -k + G(k, v),   tau dv/dt = -v + s(t),   kappa(t) = G(k(t), v(t))
/// ```
///
/// from `k(0) = kappa0`, `v(0) = s(0)` (the activity `x_i(0) = m_i . kappa0 + w_i . s(0)`
/// plus the random part), by the classical Runge-Kutta method with
/// step `min(dt_out, tau/50)` (rounded so that the output times are hit), output every
/// `dt_out` seconds up to `t_end`. Exact for `g = 0` and `N -> inf` when the activity
/// starts in the span of the `m` and `w` vectors (Beiran et al. 2021; Dubreuil et al.
/// 2022); for `g > 0` the random part's variance is taken to follow adiabatically.
///
/// # Errors
///
/// [`Error::Invalid`] for bad times, a wrong `kappa0` or an input closure returning the
/// wrong length or non-finite values; [`Error::NoConvergence`] if the map fails.
pub fn latent_dynamics(
    net: &RateNetwork,
    kappa0: &[f64],
    s: impl Fn(f64) -> Vec<f64>,
    t_end: f64,
    dt_out: f64,
) -> Result<RateTrajectory> {
    net.check_kappa(kappa0)?;
    if !(t_end.is_finite() && t_end > 0.0) {
        return Err(Error::invalid("t_end", t_end, "must be finite and > 0 (s)"));
    }
    if !(dt_out.is_finite() && dt_out > 0.0 && dt_out <= t_end) {
        return Err(Error::invalid(
            "dt_out",
            dt_out,
            "must be finite, > 0 (s) and <= t_end",
        ));
    }
    let n_out = (t_end / dt_out).round() as usize;
    let sub = ((dt_out / (net.tau() / 50.0)).ceil() as usize).max(1);
    if n_out.saturating_mul(sub) > 10_000_000 {
        return Err(Error::invalid(
            "t_end",
            t_end,
            "more than 1e7 integration steps of tau/50: shorten t_end or raise tau",
        ));
    }
    let h = dt_out / sub as f64;
    let r = net.rank();
    let din = net.inputs();
    let input = |t: f64| -> Result<Vec<f64>> {
        let v = s(t);
        net.check_s(&v)?;
        Ok(v)
    };
    let tau = net.tau();
    // state y = (kappa, v)
    let rhs = |t: f64, y: &[f64]| -> Result<Vec<f64>> {
        let st = input(t)?;
        let mp = map_raw(net, &y[..r], &y[r..])?.0;
        let mut d = Vec::with_capacity(r + din);
        d.extend((0..r).map(|q| (mp.map[q] - y[q]) / tau));
        d.extend((0..din).map(|k| (st[k] - y[r + k]) / tau));
        Ok(d)
    };
    let mut y: Vec<f64> = kappa0.to_vec();
    y.extend(input(0.0)?);
    let mut out = RateTrajectory {
        t: Vec::with_capacity(n_out + 1),
        latent: Vec::with_capacity(n_out + 1),
        kappa: Vec::with_capacity(n_out + 1),
        v: Vec::with_capacity(n_out + 1),
        mu: Vec::with_capacity(n_out + 1),
        delta0: Vec::with_capacity(n_out + 1),
    };
    let push = |t: f64, y: &[f64], out: &mut RateTrajectory| -> Result<()> {
        let mp = map_raw(net, &y[..r], &y[r..])?.0;
        out.t.push(t);
        out.latent.push(y[..r].to_vec());
        out.kappa.push(mp.map);
        out.v.push(y[r..].to_vec());
        out.mu.push(mp.mu);
        out.delta0.push(mp.delta0);
        Ok(())
    };
    push(0.0, &y, &mut out)?;
    let axpy = |y: &[f64], k: &[f64], c: f64| -> Vec<f64> {
        y.iter().zip(k).map(|(a, b)| a + c * b).collect()
    };
    for i in 0..n_out {
        for j in 0..sub {
            let t = (i * sub + j) as f64 * h;
            let k1 = rhs(t, &y)?;
            let k2 = rhs(t + h / 2.0, &axpy(&y, &k1, h / 2.0))?;
            let k3 = rhs(t + h / 2.0, &axpy(&y, &k2, h / 2.0))?;
            let k4 = rhs(t + h, &axpy(&y, &k3, h))?;
            for q in 0..y.len() {
                y[q] += h / 6.0 * (k1[q] + 2.0 * k2[q] + 2.0 * k3[q] + k4[q]);
            }
        }
        push((i + 1) as f64 * dt_out, &y, &mut out)?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn halton_base_two() {
        assert_eq!(halton(1, 2), 0.5);
        assert_eq!(halton(2, 2), 0.25);
        assert_eq!(halton(3, 2), 0.75);
    }
}
