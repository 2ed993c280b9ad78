//! Latent fixed points and their stability (docs/theory.md 2.4, 2.5).
//!
//! The fast variables follow `kappa` adiabatically, so everything here works on the
//! reduced map `G(kappa) = F(kappa, s; nu(kappa), q(kappa), mu(kappa))` with the fast
//! variables re-solved at every `kappa` ([`reduced_map`]). Its finite-difference
//! Jacobian therefore contains the implicit dependence of `mu_A` and `q_A` on `kappa`.

use std::cell::RefCell;

use argmin::core::{CostFunction, Executor, State as _};
use argmin::solver::brent::BrentRoot;
use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::closure::Closure;
use super::newton::{self, NewtonOptions};
use super::stationary::{self, Limit, State};
use crate::error::{Error, Result};
use crate::model::Model;

/// Where and how finely to look for latent fixed points.
#[derive(Clone, Copy, Debug, Serialize, Deserialize)]
pub struct SearchBox {
    /// Half-width of the box `|kappa_d| <= kappa_max` (Hz).
    pub kappa_max: f64,
    /// Grid points for `D = 1` bracketing.
    pub grid: usize,
    /// Starting points of multi-start Newton for `D >= 2`.
    pub starts: usize,
}

impl Default for SearchBox {
    fn default() -> Self {
        SearchBox {
            kappa_max: 80.0,
            grid: 161,
            starts: 40,
        }
    }
}

/// Largest `SearchBox::grid` and `SearchBox::starts` accepted by [`fixed_points`]: each
/// point costs one stationary solve (1-100 ms), so `10^5` points are minutes to hours.
pub const MAX_SEARCH_POINTS: usize = 100_000;

/// An isolated latent fixed point with its stability (docs/theory.md 2.4-2.5).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FixedPoint {
    /// `kappa*` (Hz).
    pub kappa: Vec<f64>,
    /// All eigenvalues of `(-I + dF/dkappa)/tau_s` have negative real part.
    pub stable: bool,
    /// Eigenvalues `[re, im]` of `(-I + dF/dkappa)/tau_s` (1/s).
    pub eigenvalues: Vec<[f64; 2]>,
    /// The fast variables at the fixed point.
    pub state: State,
}

/// A continuous ring of fixed points (rotation-symmetric structure), reported as one object.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Ring {
    /// Radius `|kappa|` (Hz) about `center`.
    pub radius: f64,
    /// Centre of the ring (Hz).
    pub center: Vec<f64>,
    /// A point on the ring where the directions below were measured (Hz).
    pub representative: Vec<f64>,
    /// Unit neutral directions (eigenvalue 0 to tolerance) at `representative`.
    pub neutral_directions: Vec<Vec<f64>>,
    /// Eigenvalues of the transverse directions `[re, im]` (1/s).
    pub transverse_eigenvalues: Vec<[f64; 2]>,
    /// All transverse eigenvalues have negative real part.
    pub transverse_stable: bool,
    /// Number of distinct solver hits on the ring.
    pub hits: usize,
    /// The fast variables at `representative`.
    pub state: State,
}

/// All latent fixed points found in a box, at one input `s`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct LatentSolution {
    /// Mode of the fast variables (finite K or balanced limit).
    pub limit: Limit,
    /// Latent input `s` (dimensionless).
    pub s: Vec<f64>,
    /// Isolated fixed points, each with its stability.
    pub fixed_points: Vec<FixedPoint>,
    /// Continuous rings of fixed points (rotation-symmetric structure, `D >= 2`).
    pub rings: Vec<Ring>,
}

impl LatentSolution {
    /// The stable isolated fixed point nearest (Euclidean) to `kappa` (Hz), e.g. the
    /// origin for the state a network starts in, or a simulated `kappa` to pick the
    /// branch a bistable network chose. `None` without a stable fixed point; a `kappa` of
    /// the wrong length is compared on the common components.
    pub fn stable_nearest(&self, kappa: &[f64]) -> Option<&FixedPoint> {
        let dist = |k: &[f64]| {
            k.iter()
                .zip(kappa)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
        };
        self.fixed_points
            .iter()
            .filter(|f| f.stable)
            .min_by(|a, b| dist(&a.kappa).total_cmp(&dist(&b.kappa)))
    }

    /// The stable isolated fixed point with the largest first component (the upper
    /// branch of a rank-one model); `None` without a stable fixed point or for `D = 0`.
    pub fn stable_upper(&self) -> Option<&FixedPoint> {
        self.fixed_points
            .iter()
            .filter(|f| f.stable && !f.kappa.is_empty())
            .max_by(|a, b| a.kappa[0].total_cmp(&b.kappa[0]))
    }
}

/// `G(kappa) = F(kappa, s)` with the fast variables solved at `kappa` (docs/theory.md 2.3-2.5),
/// warm-started from `guess`. Returns `G` and the fast state.
///
/// # Errors
///
/// As [`stationary::solve`]; [`Error::Domain`] if `F` is not finite.
pub fn reduced_map(
    model: &Model,
    limit: Limit,
    kappa: &[f64],
    s: &[f64],
    guess: Option<&State>,
) -> Result<(Vec<f64>, State)> {
    crate::theory::check_inputs(model, kappa, s)?;
    stationary::check_guess(model, guess)?;
    reduced_map_valid(model, limit, kappa, s, guess)
}

/// [`reduced_map`] for checked inputs.
pub(crate) fn reduced_map_valid(
    model: &Model,
    limit: Limit,
    kappa: &[f64],
    s: &[f64],
    guess: Option<&State>,
) -> Result<(Vec<f64>, State)> {
    let st = stationary::solve_valid(model, limit, kappa, s, guess)?;
    let g = st.latent_map(model);
    if g.iter().any(|v| !v.is_finite()) {
        return Err(Error::Domain(format!(
            "F(kappa) is not finite at kappa = {kappa:?}: {g:?}"
        )));
    }
    Ok((g, st))
}

/// `dG/dkappa` by central differences on the reduced map, which includes the implicit
/// dependence of `mu_A`, `nu_A`, `q_A` on `kappa` (docs/theory.md 2.5).
///
/// # Errors
///
/// As [`reduced_map`] (the `state` must belong to `model`: its `kappa`, `s` and
/// populations are checked).
pub fn reduced_jacobian(model: &Model, limit: Limit, state: &State) -> Result<DMatrix<f64>> {
    crate::theory::check_inputs(model, &state.kappa, &state.s)?;
    stationary::check_guess(model, Some(state))?;
    reduced_jacobian_valid(model, limit, state)
}

fn reduced_jacobian_valid(model: &Model, limit: Limit, state: &State) -> Result<DMatrix<f64>> {
    let d = state.kappa.len();
    let step = |e: usize| 1e-4 * (1.0 + state.kappa[e].abs());
    // the 2 D evaluations are independent solves (each warm-started at `state`)
    let g: Vec<Vec<f64>> = (0..2 * d)
        .into_par_iter()
        .map(|i| {
            let (e, sign) = (i / 2, if i % 2 == 0 { 1.0 } else { -1.0 });
            let mut k = state.kappa.clone();
            k[e] += sign * step(e);
            reduced_map_valid(model, limit, &k, &state.s, Some(state)).map(|(g, _)| g)
        })
        .collect::<Result<_>>()?;
    Ok(DMatrix::from_fn(d, d, |dd, e| {
        (g[2 * e][dd] - g[2 * e + 1][dd]) / (2.0 * step(e))
    }))
}

/// Eigenvalues `[re, im]` (1/s) of `(-I + dF/dkappa)/tau_s` (docs/theory.md 2.5), sorted by real part.
pub fn stability_eigenvalues(model: &Model, jac: &DMatrix<f64>) -> Vec<[f64; 2]> {
    let tau_s = model.latent.as_ref().map_or(1.0, |l| l.tau_s);
    let d = jac.nrows();
    let a = (jac - DMatrix::identity(d, d)) / tau_s;
    let mut ev: Vec<[f64; 2]> = a
        .complex_eigenvalues()
        .iter()
        .map(|c| [c.re, c.im])
        .collect();
    ev.sort_by(|x, y| y[0].total_cmp(&x[0]));
    ev
}

fn fixed_point_at(model: &Model, limit: Limit, state: State) -> Result<FixedPoint> {
    let jac = reduced_jacobian_valid(model, limit, &state)?;
    let eigenvalues = stability_eigenvalues(model, &jac);
    let stable = eigenvalues.iter().all(|e| e[0] < 0.0);
    Ok(FixedPoint {
        kappa: state.kappa.clone(),
        stable,
        eigenvalues,
        state,
    })
}

struct Residual1D<'a> {
    model: &'a Model,
    limit: Limit,
    s: &'a [f64],
    /// The state of the last evaluation (warm start of the next, and of the final solve).
    guess: &'a RefCell<State>,
}

impl CostFunction for Residual1D<'_> {
    type Param = f64;
    type Output = f64;
    fn cost(&self, k: &f64) -> std::result::Result<f64, argmin::core::Error> {
        let g = self.guess.borrow().clone();
        let (f, st) = reduced_map_valid(self.model, self.limit, &[*k], self.s, Some(&g))?;
        *self.guess.borrow_mut() = st;
        Ok(f[0] - k)
    }
}

/// Every latent fixed point in the box at input `s` (docs/theory.md 2.4): for `D = 1` by
/// bracketing sign changes of `F(kappa) - kappa` on a grid (with continuation of the fast
/// variables from `kappa = 0` outwards) refined by argmin's Brent root finder; for
/// `D >= 2` by multi-start Newton with de-duplication and detection of rings.
///
/// # Errors
///
/// [`Error::Invalid`] for a Model that breaks [`Model::validate`], an `s` whose length is
/// not `D_in` or with non-finite entries, a `search` box with `kappa_max` not finite and
/// positive, or a search larger than [`MAX_SEARCH_POINTS`] grid points or starts
/// (docs/theory.md section 7); the errors of [`stationary::solve`] at `kappa = 0` and at
/// the roots found.
pub fn fixed_points(
    model: &Model,
    limit: Limit,
    s: &[f64],
    search: &SearchBox,
) -> Result<LatentSolution> {
    let d = model.d();
    crate::theory::check_inputs(model, &vec![0.0; d], s)?;
    for (field, n) in [
        ("search.grid", search.grid),
        ("search.starts", search.starts),
    ] {
        if n > MAX_SEARCH_POINTS {
            return Err(Error::invalid(
                field,
                n,
                format!(
                    "at most {MAX_SEARCH_POINTS} (each point is a full stationary solve, \
                     about 1-100 ms; docs/theory.md section 7)"
                ),
            ));
        }
    }
    if d == 0 {
        let st = stationary::solve_valid(model, limit, &[], s, None)?;
        let fp = FixedPoint {
            kappa: vec![],
            stable: true,
            eigenvalues: vec![],
            state: st,
        };
        return Ok(LatentSolution {
            limit,
            s: s.to_vec(),
            fixed_points: vec![fp],
            rings: vec![],
        });
    }
    if !(search.kappa_max > 0.0 && search.kappa_max.is_finite()) {
        return Err(Error::invalid(
            "kappa_max",
            search.kappa_max,
            "must be finite and > 0",
        ));
    }
    if d == 1 {
        fixed_points_1d(model, limit, s, search)
    } else {
        fixed_points_nd(model, limit, s, search)
    }
}

/// A root of `h(kappa) = G(kappa) - kappa` near `k0` (1-D): bracket by stepping outwards
/// from `k0` in both directions, then argmin's Brent root finder.
fn refine_root_1d(
    model: &Model,
    limit: Limit,
    s: &[f64],
    k0: f64,
    warm: &State,
) -> Result<Option<State>> {
    let h = |k: f64, g: &State| -> Result<(f64, State)> {
        let (f, st) = reduced_map_valid(model, limit, &[k], s, Some(g))?;
        Ok((f[0] - k, st))
    };
    let (h0, st0) = h(k0, warm)?;
    if h0 == 0.0 {
        return Ok(Some(st0));
    }
    let mut step = (0.02 * k0.abs()).max(0.25);
    for _ in 0..8 {
        for dir in [1.0, -1.0] {
            let k1 = k0 + dir * step;
            let (h1, st1) = h(k1, &st0)?;
            if h1 == 0.0 {
                return Ok(Some(st1));
            }
            if h1.signum() != h0.signum() {
                let (lo, hi) = if k1 < k0 { (k1, k0) } else { (k0, k1) };
                let last = RefCell::new(st0.clone());
                let problem = Residual1D {
                    model,
                    limit,
                    s,
                    guess: &last,
                };
                let res = Executor::new(problem, BrentRoot::new(lo, hi, 1e-10))
                    .configure(|st| st.max_iters(100))
                    .run()
                    .map_err(|e| Error::NoConvergence {
                        what: format!("latent root near {k0}: {e}"),
                        iterations: 100,
                        residual: f64::NAN,
                    })?;
                let k = *res.state().get_best_param().unwrap_or(&k0);
                let warm = last.borrow().clone();
                return Ok(Some(stationary::solve_valid(
                    model,
                    limit,
                    &[k],
                    s,
                    Some(&warm),
                )?));
            }
        }
        step *= 2.0;
    }
    Ok(None)
}

fn fixed_points_1d(
    model: &Model,
    limit: Limit,
    s: &[f64],
    search: &SearchBox,
) -> Result<LatentSolution> {
    if let Some(diffusion) = Closure::of(model).diffusion_model(model) {
        // Shot-noise evaluations cost ~0.1 s: bracket with the diffusion approximation,
        // whose fixed points lie within a few percent, then refine each one.
        let base = fixed_points_1d(&diffusion, limit, s, search)?;
        let tau_s = model.latent.as_ref().map_or(1.0, |l| l.tau_s);
        let mut roots: Vec<State> = Vec::new();
        for fp in &base.fixed_points {
            // the root solved jointly with the Fano-factor loop, by chord steps with the
            // cheaper Model's slope G' - 1 = tau_s lambda; if they do not contract (or
            // the closure has no such loop), bracketed and refined by Brent
            let slope = fp.eigenvalues.first().map_or(f64::NAN, |e| e[0] * tau_s);
            let found = match stationary::solve_latent_root_1d(
                model,
                limit,
                fp.kappa[0],
                s,
                &fp.state,
                slope,
            ) {
                Some(st) => Some(st),
                None => {
                    let warm =
                        stationary::solve_valid(model, limit, &fp.kappa, s, Some(&fp.state))?;
                    refine_root_1d(model, limit, s, fp.kappa[0], &warm)?
                }
            };
            if let Some(st) = found
                && !roots
                    .iter()
                    .any(|r| (r.kappa[0] - st.kappa[0]).abs() < 1e-6 * (1.0 + st.kappa[0].abs()))
            {
                roots.push(st);
            }
        }
        let fixed_points = roots
            .into_iter()
            .map(|st| fixed_point_at(model, limit, st))
            .collect::<Result<Vec<_>>>()?;
        return Ok(LatentSolution {
            limit,
            s: s.to_vec(),
            fixed_points,
            rings: vec![],
        });
    }
    let half = (search.grid.max(3) / 2).max(1);
    let step = search.kappa_max / half as f64;
    // continuation from kappa = 0 outwards in both directions
    let origin = stationary::solve_valid(model, limit, &[0.0], s, None)?;
    let mut pts: Vec<(f64, f64, State)> = vec![(0.0, origin.latent_map(model)[0], origin.clone())];
    for dir in [1.0, -1.0] {
        let mut prev = origin.clone();
        for i in 1..=half {
            let k = dir * step * i as f64;
            match reduced_map_valid(model, limit, &[k], s, Some(&prev)) {
                Ok((g, st)) => {
                    pts.push((k, g[0] - k, st.clone()));
                    prev = st;
                }
                Err(_) => break,
            }
        }
    }
    pts.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut roots: Vec<State> = Vec::new();
    let tol_h = 1e-10;
    // An exact root on a grid point (kappa = 0 for zero-mean loadings at s = 0) hides the
    // sign of h next to it: probe just beside it so that a root within one grid step of it
    // (near a bifurcation) is still bracketed.
    let mut cells: Vec<(f64, f64, State)> = Vec::with_capacity(pts.len() + 2);
    for (i, p) in pts.iter().enumerate() {
        if p.1.abs() < tol_h {
            roots.push(p.2.clone());
            let eps = 1e-3 * step;
            for (side, k) in [(-1.0, p.0 - eps), (1.0, p.0 + eps)] {
                let exists = if side < 0.0 { i > 0 } else { i + 1 < pts.len() };
                if exists && let Ok((g, st)) = reduced_map_valid(model, limit, &[k], s, Some(&p.2))
                {
                    cells.push((k, g[0] - k, st));
                }
            }
        } else {
            cells.push(p.clone());
        }
    }
    cells.sort_by(|a, b| a.0.total_cmp(&b.0));
    for (i, p) in cells.iter().enumerate() {
        if let Some(nx) = cells.get(i + 1)
            && p.1.abs() >= tol_h
            && nx.1.abs() >= tol_h
            && p.1.signum() != nx.1.signum()
        {
            let last = RefCell::new(p.2.clone());
            let problem = Residual1D {
                model,
                limit,
                s,
                guess: &last,
            };
            let solver = BrentRoot::new(p.0, nx.0, 1e-11);
            let res = Executor::new(problem, solver)
                .configure(|st| st.max_iters(100))
                .run()
                .map_err(|e| Error::NoConvergence {
                    what: format!("latent root in [{}, {}]: {e}", p.0, nx.0),
                    iterations: 100,
                    residual: f64::NAN,
                })?;
            let k = *res.state().get_best_param().unwrap_or(&p.0);
            // the two probes beside an exact root bracket that root again: keep it once
            if roots
                .iter()
                .any(|r| (r.kappa[0] - k).abs() < 1e-6 * (1.0 + k.abs()))
            {
                continue;
            }
            let warm = last.borrow().clone();
            let st = stationary::solve_valid(model, limit, &[k], s, Some(&warm))?;
            roots.push(st);
        }
    }
    roots.sort_by(|a, b| a.kappa[0].total_cmp(&b.kappa[0]));
    let fixed_points = roots
        .into_iter()
        .map(|st| fixed_point_at(model, limit, st))
        .collect::<Result<Vec<_>>>()?;
    Ok(LatentSolution {
        limit,
        s: s.to_vec(),
        fixed_points,
        rings: vec![],
    })
}

/// Deterministic quasi-random points in `[-1, 1]^d` (Halton sequence).
fn halton(i: usize, d: usize) -> Vec<f64> {
    const PRIMES: [usize; 8] = [2, 3, 5, 7, 11, 13, 17, 19];
    (0..d)
        .map(|k| {
            let b = PRIMES[k % PRIMES.len()];
            let (mut f, mut r, mut n) = (1.0, 0.0, i + 1);
            while n > 0 {
                f /= b as f64;
                r += f * (n % b) as f64;
                n /= b;
            }
            2.0 * r - 1.0
        })
        .collect()
}

fn fixed_points_nd(
    model: &Model,
    limit: Limit,
    s: &[f64],
    search: &SearchBox,
) -> Result<LatentSolution> {
    let d = model.d();
    let origin = stationary::solve_valid(model, limit, &vec![0.0; d], s, None)?;
    let mut found: Vec<State> = Vec::new();
    let mut starts: Vec<Vec<f64>> = vec![vec![0.0; d]];
    if let Some(cheap) = Closure::of(model).search_model(model) {
        // Shot noise and the renewal/spectral closures cost 10-100 times a Siegert solve
        // per evaluation, and the multi-start search makes thousands of them (a 3-population
        // D = 2 model ran for over 14 minutes). Search with Siegert + Poisson, whose fixed
        // points and rings lie within 10-20 % in kappa, and start Newton from each of them
        // (and from the origin) with the full model.
        let base = fixed_points_nd(&cheap, limit, s, search)?;
        starts.extend(base.fixed_points.iter().map(|f| f.kappa.clone()));
        starts.extend(base.rings.iter().map(|r| r.representative.clone()));
    } else {
        starts.extend(
            (0..search.starts).map(|i| halton(i, d).iter().map(|x| x * search.kappa_max).collect()),
        );
    }
    for k0 in starts {
        let warm = RefCell::new(origin.clone());
        let residual = |x: &DVector<f64>| -> Option<DVector<f64>> {
            let k: Vec<f64> = x.iter().copied().collect();
            if k.iter().any(|v| v.abs() > 3.0 * search.kappa_max) {
                return None;
            }
            let g = warm.borrow().clone();
            let (f, st) = reduced_map_valid(model, limit, &k, s, Some(&g)).ok()?;
            *warm.borrow_mut() = st;
            Some(DVector::from_iterator(
                d,
                f.iter().zip(&k).map(|(a, b)| a - b),
            ))
        };
        let opt = NewtonOptions {
            tol: 1e-9,
            max_iter: 60,
            max_step: 0.25 * search.kappa_max,
            fd_step: 1e-6,
        };
        let Ok(rep) = newton::solve("latent fixed point", residual, DVector::from_vec(k0), &opt)
        else {
            continue;
        };
        let k: Vec<f64> = rep.x.iter().copied().collect();
        if k.iter().any(|v| v.abs() > search.kappa_max) {
            continue;
        }
        let scale = 1e-5 * (1.0 + k.iter().map(|v| v * v).sum::<f64>().sqrt());
        if found.iter().any(|f| {
            f.kappa
                .iter()
                .zip(&k)
                .map(|(a, b)| (a - b).powi(2))
                .sum::<f64>()
                .sqrt()
                < scale
        }) {
            continue;
        }
        let g = warm.borrow().clone();
        if let Ok(st) = stationary::solve_valid(model, limit, &k, s, Some(&g)) {
            found.push(st);
        }
    }
    let fps = found
        .into_iter()
        .map(|st| fixed_point_at(model, limit, st))
        .collect::<Result<Vec<_>>>()?;
    let tau_s = model.latent.as_ref().map_or(1.0, |l| l.tau_s);
    let zero_tol = 1e-3 / tau_s;
    // group points with a neutral eigenvalue by their radius: a ring
    let mut rings: Vec<Ring> = Vec::new();
    let mut isolated: Vec<FixedPoint> = Vec::new();
    let radius = |k: &[f64]| k.iter().map(|v| v * v).sum::<f64>().sqrt();
    let mut neutral: Vec<FixedPoint> = Vec::new();
    for fp in fps {
        if radius(&fp.kappa) > 1e-6
            && fp
                .eigenvalues
                .iter()
                .any(|e| e[0].abs() < zero_tol && e[1].abs() < zero_tol)
        {
            neutral.push(fp);
        } else {
            isolated.push(fp);
        }
    }
    while let Some(first) = neutral.pop() {
        let r0 = radius(&first.kappa);
        let (same, rest): (Vec<_>, Vec<_>) = neutral
            .into_iter()
            .partition(|f| (radius(&f.kappa) - r0).abs() < 1e-4 * r0);
        neutral = rest;
        let hits = 1 + same.len();
        let jac = reduced_jacobian_valid(model, limit, &first.state)?;
        let a = (&jac - DMatrix::identity(d, d)) / tau_s;
        let eig = a.clone().symmetric_eigen(); // for directions; the matrix is symmetric for isotropic rings
        let mut neutral_dirs = Vec::new();
        let mut transverse = Vec::new();
        for (i, &lam) in eig.eigenvalues.iter().enumerate() {
            if lam.abs() < zero_tol {
                neutral_dirs.push(eig.eigenvectors.column(i).iter().copied().collect());
            } else {
                transverse.push([lam, 0.0]);
            }
        }
        if neutral_dirs.is_empty() {
            // non-symmetric Jacobian: use the tangent of the ring (perpendicular to kappa in the plane)
            let k = &first.kappa;
            let mut t = vec![0.0; d];
            t[0] = -k[1] / r0;
            t[1] = k[0] / r0;
            neutral_dirs.push(t);
            transverse = first
                .eigenvalues
                .iter()
                .filter(|e| e[0].abs() >= zero_tol)
                .copied()
                .collect();
        }
        let transverse_stable = transverse.iter().all(|e| e[0] < 0.0);
        rings.push(Ring {
            radius: r0,
            center: vec![0.0; d],
            representative: first.kappa.clone(),
            neutral_directions: neutral_dirs,
            transverse_eigenvalues: transverse,
            transverse_stable,
            hits,
            state: first.state,
        });
    }
    Ok(LatentSolution {
        limit,
        s: s.to_vec(),
        fixed_points: isolated,
        rings,
    })
}

#[cfg(test)]
mod chord_tests {
    use super::*;
    use crate::model::NoiseClosure;

    /// The joint chord solve of a 1-D latent root (docs/theory.md 2.4) finds the fixed point
    /// that the grid-and-Brent search finds on the same map (an independent root finder),
    /// starting 5% away, from another closure's state, with a slope 10% off; and it
    /// declines when the cheaper Model's `|G' - 1|` is below its threshold.
    #[test]
    fn chord_root_agrees_with_brent() {
        let mut m = crate::presets::latent_bistable();
        m.noise = NoiseClosure::Spectral;
        let sol = fixed_points(&m, Limit::Finite, &[0.0], &SearchBox::default()).unwrap();
        let fp = sol.stable_upper().expect("an upper fixed point");
        let tau_s = m.latent.as_ref().unwrap().tau_s;
        let mut poisson = m.clone();
        poisson.noise = NoiseClosure::Poisson;
        let k0 = 0.95 * fp.kappa[0];
        let warm = stationary::solve_valid(&poisson, Limit::Finite, &[k0], &[0.0], None).unwrap();
        let slope = 1.1 * fp.eigenvalues[0][0] * tau_s;
        let st = stationary::solve_latent_root_1d(&m, Limit::Finite, k0, &[0.0], &warm, slope)
            .expect("the chord steps contract");
        let err = (st.kappa[0] - fp.kappa[0]).abs() / fp.kappa[0];
        assert!(
            err < 1e-8,
            "chord {} against Brent {}",
            st.kappa[0],
            fp.kappa[0]
        );
        assert!((st.latent_map(&m)[0] - st.kappa[0]).abs() < 1e-8 * fp.kappa[0]);
        assert!(
            stationary::solve_latent_root_1d(&m, Limit::Finite, k0, &[0.0], &warm, 0.01).is_none()
        );
    }
}
