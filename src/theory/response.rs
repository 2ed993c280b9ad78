//! Network linear response around a stationary state (docs/theory.md 6.3): the effective
//! connectivity `W(lambda)`, the roots of `det(I - W(lambda)) = 0` (stability of the
//! asynchronous state, Brunel & Hakim 1999, Brunel 2000) and the population spike spectra.
//!
//! The perturbed variables are, per population `A`, the rate `delta nu_A` and
//! `delta Q_A = E_A[nu_i delta nu_i]` (half the change of `q_A`, which moves the quenched
//! variance `beta_A`), and the latent variables `delta kappa_d`: `n = 2P + D`. A neuron `i`
//! of `A` with mean input `x_i ~ N(M_A, Delta_A)` sees
//!
//! ```text
//!   delta x_i = delta mu_A + tau_m m_i . delta kappa + delta xi_i,   delta sigma^2_A,
//! ```
//!
//! (`delta xi_i` the neuron's share of the quenched field, `Cov(delta xi, x) = delta beta_A/2`)
//! and answers with `chi_mu(x_i) delta x_i + chi_sigma2(x_i) delta sigma^2_A`. The averages
//! over the jointly Gaussian `(x_i, m_i, n_i)` are Stein identities written with Hermite
//! moments of the susceptibility on the standard-normal `z`, so only susceptibility values
//! at Gauss-Hermite nodes are needed.

use std::collections::HashMap;
use std::f64::consts::PI;
use std::sync::Mutex;

use nalgebra::DMatrix;
use num_complex::Complex64;
use serde::{Deserialize, Serialize};

use super::stationary::{Limit, State};
use crate::error::{Error, Result};
use crate::gauss;
use crate::model::{Connectivity, Delay, Model};
use crate::transfer::LifParams;
use crate::transfer::response::{diffusion, threshold};

/// Complex zero.
const C0: Complex64 = Complex64::new(0.0, 0.0);
/// Complex one.
const C1: Complex64 = Complex64::new(1.0, 0.0);

/// A single-neuron linear response: the stationary rate (Hz) and the susceptibilities
/// `chi_mu` (Hz/mV), `chi_sigma2` (Hz/mV^2) at complex `lambda` (1/s) of a LIF neuron with
/// mean input `mu` (mV) and white noise `sigma` (mV), docs/theory.md 6.
pub trait NeuronResponse: Send + Sync {
    /// `(nu, chi_mu, chi_sigma2)`.
    fn response(
        &self,
        lif: &LifParams,
        mu: f64,
        sigma: f64,
        lambda: Complex64,
    ) -> Result<(f64, Complex64, Complex64)>;
    /// Short name for reports.
    fn name(&self) -> &'static str;
}

/// Diffusion (white-noise LIF) response by threshold integration (docs/theory.md 6.2).
#[derive(Clone, Copy, Debug, Default)]
pub struct ThresholdIntegration;

impl NeuronResponse for ThresholdIntegration {
    fn response(
        &self,
        lif: &LifParams,
        mu: f64,
        sigma: f64,
        lambda: Complex64,
    ) -> Result<(f64, Complex64, Complex64)> {
        let r = threshold::integrate(lif, mu, sigma, lambda)?;
        Ok((r.rate_hz, r.chi.chi_mu, r.chi.chi_sigma2))
    }
    fn name(&self) -> &'static str {
        "diffusion (threshold integration)"
    }
}

/// Diffusion (white-noise LIF) response in closed form with parabolic cylinder functions
/// (docs/theory.md 6.1; Brunel & Hakim 1999, Lindner & Schimansky-Geier 2001).
#[derive(Clone, Copy, Debug, Default)]
pub struct ClosedForm;

impl NeuronResponse for ClosedForm {
    fn response(
        &self,
        lif: &LifParams,
        mu: f64,
        sigma: f64,
        lambda: Complex64,
    ) -> Result<(f64, Complex64, Complex64)> {
        let c = diffusion::susceptibility(lif, mu, sigma, lambda)?;
        Ok((
            crate::transfer::siegert::rate(lif, mu, sigma),
            c.chi_mu,
            c.chi_sigma2,
        ))
    }
    fn name(&self) -> &'static str {
        "diffusion (closed form, parabolic cylinder functions)"
    }
}

/// Laplace transform of the delay distribution at `lambda` (docs/theory.md 6.3): `exp(-lambda d)`
/// for a fixed delay, `(exp(-lambda d_min) - exp(-lambda d_max)) / (lambda (d_max - d_min))`
/// for delays uniform in `[d_min, d_max]`.
pub fn delay_transform(delay: &Delay, lambda: Complex64) -> Complex64 {
    match *delay {
        Delay::Fixed { d } => (-lambda * d).exp(),
        Delay::Uniform { min, max } => {
            let w = max - min;
            let z = lambda * w;
            if w <= 0.0 {
                return (-lambda * min).exp();
            }
            // (1 - e^{-z})/z, exact near 0
            let f = if z.norm() < 1e-4 {
                C1 - z / 2.0 + z * z / 6.0
            } else {
                (C1 - (-z).exp()) / z
            };
            (-lambda * min).exp() * f
        }
    }
}

/// Options of the network response.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ResponseOptions {
    /// Gauss-Hermite nodes for the average over a population's quenched input
    /// distribution (docs/theory.md 6.3); a population with `Delta_A = 0` uses one node.
    pub hermite_nodes: usize,
    /// Evaluate the fast (population) part at `lambda = 0` and drop the delays of the
    /// slow channel: the adiabatic reduction of docs/theory.md 2.5 (for checks).
    pub adiabatic: bool,
}

impl Default for ResponseOptions {
    fn default() -> Self {
        ResponseOptions {
            hermite_nodes: 48,
            adiabatic: false,
        }
    }
}

/// Per-population quantities of the stationary state that the response needs.
#[derive(Clone, Debug)]
struct Pop {
    lif: LifParams,
    mean: f64,
    sd: f64,
    sigma: f64,
    /// Gauss-Hermite nodes (z, weight); one node at z = 0 when `sd = 0`.
    nodes: Vec<(f64, f64)>,
    /// `rho_m[e] = Cov(m_e, x) / sd`, `rho_n[d] = Cov(n_d, x) / sd` (mV / dimensionless).
    rho_m: Vec<f64>,
    rho_n: Vec<f64>,
}

/// Hermite moments `H_k[g] = E[He_k(z) g(M + sd z)]`, `k = 0, 1, 2`, of `chi_mu`,
/// `chi_sigma2`, `nu chi_mu`, `nu chi_sigma2` of one population at one `lambda`.
#[derive(Clone, Copy, Debug, Default)]
struct Moments {
    g: [Complex64; 3],
    h: [Complex64; 3],
    ng: [Complex64; 3],
    nh: [Complex64; 3],
}

/// The linear response of a network around one stationary state (docs/theory.md 6.3).
pub struct NetworkResponse<'a> {
    model: &'a Model,
    state: &'a State,
    response: &'a dyn NeuronResponse,
    opts: ResponseOptions,
    pops: Vec<Pop>,
    cache: Mutex<HashMap<(u64, u64, usize), Moments>>,
}

/// The stationary spike spectrum used for the population spectra (docs/theory.md 6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpikeSpectrum {
    /// `S0 = nu`: Poisson trains (the white level of the spectrum).
    Poisson,
    /// `S0 = E_A[S_LIF(omega; x_i, sigma_A)]`: the renewal spectrum of the white-noise LIF
    /// (docs/theory.md 6.1) averaged over the population's input distribution.
    Renewal,
}

impl<'a> NetworkResponse<'a> {
    /// Set up the response around `state`, a stationary state of `model` at finite K
    /// (docs/theory.md 2.4). Errors when the state is in the balanced limit (the couplings
    /// are `O(sqrt K)` there and `W` is not defined) or a population has no noise.
    pub fn new(
        model: &'a Model,
        state: &'a State,
        response: &'a dyn NeuronResponse,
        opts: ResponseOptions,
    ) -> Result<Self> {
        if state.limit == Limit::Balanced {
            return Err(Error::invalid(
                "limit",
                "balanced",
                "the network linear response is defined at finite K only (docs/theory.md 6.3): W(lambda) grows like sqrt(K)",
            ));
        }
        if opts.hermite_nodes < 2 {
            return Err(Error::invalid(
                "hermite_nodes",
                opts.hermite_nodes,
                "must be >= 2",
            ));
        }
        let d = model.d();
        let rule = gauss::hermite_rule(opts.hermite_nodes);
        let mut pops = Vec::with_capacity(model.p());
        for (a, ps) in state.populations.iter().enumerate() {
            if ps.sigma_mv.is_nan() || ps.sigma_mv <= 0.0 {
                return Err(Error::invalid(
                    format!("populations[{a}] ({}).sigma", ps.name),
                    ps.sigma_mv,
                    "the diffusion response needs temporal noise > 0 mV (docs/theory.md 6.2)",
                ));
            }
            let sd = ps.delta_mv2.max(0.0).sqrt();
            let tau = model.populations[a].tau_m;
            let (mut rho_m, mut rho_n) = (vec![0.0; d], vec![0.0; d]);
            if let Some(lat) = &model.latent
                && sd > 0.0
            {
                let l = &lat.loadings[a];
                let s = |e: usize| state.s.get(e).copied().unwrap_or(0.0);
                for e in 0..d {
                    let cm: f64 = (0..d)
                        .map(|f| tau * l.sigma_mm[e][f] * state.kappa[f])
                        .sum::<f64>()
                        + (0..lat.d_in).map(|f| l.sigma_mw[e][f] * s(f)).sum::<f64>();
                    let cn: f64 = (0..d)
                        .map(|f| tau * l.sigma_nm[e][f] * state.kappa[f])
                        .sum::<f64>()
                        + (0..lat.d_in).map(|f| l.sigma_nw[e][f] * s(f)).sum::<f64>();
                    rho_m[e] = cm / sd;
                    rho_n[e] = cn / sd;
                }
            }
            pops.push(Pop {
                lif: LifParams::of(model, a),
                mean: ps.mean_input_mv,
                sd,
                sigma: ps.sigma_mv,
                nodes: if sd > 0.0 {
                    rule.to_vec()
                } else {
                    vec![(0.0, 1.0)]
                },
                rho_m,
                rho_n,
            });
        }
        Ok(NetworkResponse {
            model,
            state,
            response,
            opts,
            pops,
            cache: Mutex::new(HashMap::new()),
        })
    }

    /// Dimension `2P + D` of `W`: rates, `Q_A`, latent variables.
    pub fn dim(&self) -> usize {
        2 * self.model.p() + self.model.d()
    }

    /// The population's susceptibility moments at `lambda`, memoised (populations with the
    /// same neuron and input share them).
    fn moments(&self, a: usize, lambda: Complex64) -> Result<Moments> {
        let key_pop = (0..a)
            .find(|&b| {
                let (p, q) = (&self.pops[b], &self.pops[a]);
                p.lif == q.lif && p.mean == q.mean && p.sd == q.sd && p.sigma == q.sigma
            })
            .unwrap_or(a);
        let key = (lambda.re.to_bits(), lambda.im.to_bits(), key_pop);
        if let Some(m) = self.cache.lock().map_err(poisoned)?.get(&key) {
            return Ok(*m);
        }
        let p = &self.pops[a];
        let mut m = Moments::default();
        for &(z, w) in &p.nodes {
            let x = p.mean + p.sd * z;
            let (nu, cm, cs) = self.response.response(&p.lif, x, p.sigma, lambda)?;
            let he = [1.0, z, z * z - 1.0];
            for (k, hk) in he.iter().enumerate() {
                let wk = w * hk;
                m.g[k] += cm * wk;
                m.h[k] += cs * wk;
                m.ng[k] += cm * (nu * wk);
                m.nh[k] += cs * (nu * wk);
            }
        }
        let mut c = self.cache.lock().map_err(poisoned)?;
        if c.len() > 4096 {
            c.clear();
        }
        c.insert(key, m);
        Ok(m)
    }

    /// The effective connectivity `W(lambda)` (`2P + D` square, docs/theory.md 6.3):
    /// `delta y = W(lambda) delta y` for `y = (nu_A, Q_A, kappa_d)`.
    pub fn matrix(&self, lambda: Complex64) -> Result<DMatrix<Complex64>> {
        let (w, _) = self.matrix_scaled(lambda)?;
        Ok(w)
    }

    /// `W(lambda)` and the latent rows' factor `1 + lambda tau_s`.
    fn matrix_scaled(&self, lambda: Complex64) -> Result<(DMatrix<Complex64>, Complex64)> {
        let model = self.model;
        let p = model.p();
        let d = model.d();
        let n = 2 * p + d;
        let lam_fast = if self.opts.adiabatic { C0 } else { lambda };
        let dl = delay_transform(&model.delay, lam_fast);
        let k_sqrt = model.k.sqrt();
        // Input coefficients per population A and source column (nu_B, Q_B):
        // delta mu_A, delta sigma^2_A, delta beta_A / 2.
        let mut dmu = vec![vec![C0; 2 * p]; p];
        let mut ds2 = vec![vec![C0; 2 * p]; p];
        let mut db = vec![vec![C0; 2 * p]; p];
        for a in 0..p {
            let tau = model.populations[a].tau_m;
            for b in 0..p {
                let c = model.populations[b].c;
                let j = model.j[a][b];
                let fano = self.state.populations[b].fano;
                dmu[a][b] = dl * (tau * k_sqrt * c * j);
                ds2[a][b] = dl * (tau * c * j * j * fano);
                let pb = model.p_conn(b);
                let t2 = tau * tau * c * j * j;
                match model.connectivity {
                    Connectivity::Bernoulli => db[a][p + b] = dl * (t2 * (1.0 - pb)),
                    Connectivity::FixedIndegree => {
                        db[a][p + b] = dl * (t2 * (1.0 - pb));
                        db[a][b] = -dl * (t2 * (1.0 - pb) * self.state.populations[b].rate_hz);
                    }
                    Connectivity::FixedIndegreeReplacement => {
                        db[a][p + b] = dl * t2;
                        db[a][b] = -dl * (t2 * self.state.populations[b].rate_hz);
                    }
                }
            }
        }
        let mom: Vec<Moments> = (0..p)
            .map(|a| self.moments(a, lam_fast))
            .collect::<Result<_>>()?;
        let mut w = DMatrix::<Complex64>::zeros(n, n);
        for a in 0..p {
            let pa = &self.pops[a];
            let m = &mom[a];
            let inv_sd = if pa.sd > 0.0 { 1.0 / pa.sd } else { 0.0 };
            let tau = model.populations[a].tau_m;
            for col in 0..2 * p {
                w[(a, col)] =
                    m.g[0] * dmu[a][col] + m.h[0] * ds2[a][col] + m.g[1] * inv_sd * db[a][col];
                w[(p + a, col)] =
                    m.ng[0] * dmu[a][col] + m.nh[0] * ds2[a][col] + m.ng[1] * inv_sd * db[a][col];
            }
            if let Some(lat) = &model.latent {
                let l = &lat.loadings[a];
                for e in 0..d {
                    w[(a, 2 * p + e)] = (m.g[0] * l.mbar[e] + m.g[1] * pa.rho_m[e]) * tau;
                    w[(p + a, 2 * p + e)] = (m.ng[0] * l.mbar[e] + m.ng[1] * pa.rho_m[e]) * tau;
                }
            }
        }
        let mut slow = C1;
        if let Some(lat) = &model.latent {
            slow = C1 + lambda * lat.tau_s;
            let dls = if self.opts.adiabatic {
                C1
            } else {
                delay_transform(&model.delay, lambda)
            };
            // delta F_d = sum_B c_B E_B[n_d delta nu_i]; delta kappa = delta F / (1 + lambda tau_s)
            // (the slow synapses carry the same delays).
            let f = dls / slow;
            for dd in 0..d {
                for b in 0..p {
                    let pb = &self.pops[b];
                    let m = &mom[b];
                    let l = &lat.loadings[b];
                    let c = model.populations[b].c;
                    let tau = model.populations[b].tau_m;
                    let inv_sd = if pb.sd > 0.0 { 1.0 / pb.sd } else { 0.0 };
                    let nb = l.nbar[dd];
                    let rn = pb.rho_n[dd];
                    let eng = m.g[0] * nb + m.g[1] * rn; // E[n g]
                    let enh = m.h[0] * nb + m.h[1] * rn; // E[n h]
                    let endg = (m.g[1] * nb + m.g[2] * rn) * inv_sd; // E[n g']
                    for col in 0..2 * p {
                        w[(2 * p + dd, col)] +=
                            f * c * (eng * dmu[b][col] + enh * ds2[b][col] + endg * db[b][col]);
                    }
                    for e in 0..d {
                        let mb = l.mbar[e];
                        let rm = pb.rho_m[e];
                        let enmg = m.g[0] * (nb * mb + l.sigma_nm[dd][e])
                            + m.g[1] * (nb * rm + mb * rn)
                            + m.g[2] * (rn * rm);
                        w[(2 * p + dd, 2 * p + e)] += f * (c * tau) * enmg;
                    }
                }
            }
        }
        Ok((w, slow))
    }

    /// The characteristic function `det(I - W(lambda)) (1 + lambda tau_s)^D`, free of the
    /// pole of the slow synapses (docs/theory.md 6.3).
    pub fn characteristic(&self, lambda: Complex64) -> Result<Complex64> {
        let (w, slow) = self.matrix_scaled(lambda)?;
        let n = w.nrows();
        let p2 = 2 * self.model.p();
        let mut m = DMatrix::<Complex64>::identity(n, n) - w;
        for r in p2..n {
            for c in 0..n {
                m[(r, c)] *= slow;
            }
        }
        Ok(m.determinant())
    }

    /// Population averages `(E_A[chi_mu], E_A[chi_sigma2])` (Hz/mV, Hz/mV^2) at
    /// `lambda = i omega` (`omega` in rad/s), one per population.
    pub fn mean_susceptibility(&self, omega: f64) -> Result<Vec<(Complex64, Complex64)>> {
        let lambda = Complex64::new(0.0, omega);
        (0..self.model.p())
            .map(|a| self.moments(a, lambda).map(|m| (m.g[0], m.h[0])))
            .collect()
    }

    /// Population-averaged pairwise spike-count covariance (spikes^2) for a counting
    /// window `t` (s), docs/theory.md 6.3: `c_ab(T) = Int dω/2π C_ab(ω) (2 sin(ωT/2)/ω)^2`,
    /// with the average pairwise cross-spectrum `C_ab = P_ab` for `a != b` and
    /// `C_aa = (P_aa - nu_a/N_a) / (1 - 1/N_a)`; trapezoidal rule on `points` frequencies
    /// up to `f_max` (Hz), the tail beyond it neglected (the kernel falls like `1/ω^2`).
    pub fn count_covariance(&self, t: f64, f_max: f64, points: usize) -> Result<DMatrix<f64>> {
        if !(t > 0.0 && t.is_finite() && f_max > 0.0 && points >= 2) {
            return Err(Error::invalid(
                "window",
                t,
                "needs a window > 0 s, f_max > 0 Hz and at least 2 points",
            ));
        }
        let p = self.model.p();
        let mut acc = DMatrix::<f64>::zeros(p, p);
        let df = f_max / (points - 1) as f64;
        for k in 0..points {
            let f = k as f64 * df;
            // omega = 0 is the limit omega -> 0 (kernel T^2); avoid the singular point
            let omega = 2.0 * PI * f.max(1e-6 * df);
            let s = self.population_spectrum(omega)?;
            let kern = (2.0 * (omega * t / 2.0).sin() / omega).powi(2);
            let wgt = if k == 0 || k + 1 == points { 0.5 } else { 1.0 } * df;
            for a in 0..p {
                let na = self.model.populations[a].n as f64;
                for b in 0..p {
                    let mut c = s[(a, b)].re;
                    if a == b {
                        c = (c - self.state.populations[a].rate_hz / na) / (1.0 - 1.0 / na);
                    }
                    // two-sided integral over omega = 2 pi f: 2 * Int_0^inf df
                    acc[(a, b)] += 2.0 * wgt * c * kern;
                }
            }
        }
        Ok(acc)
    }

    /// Population spike-train cross-spectra `P_ab(omega)` (Hz, per population pair, for the
    /// population-averaged spike train `(1/N_a) sum_i s_i(t)`) at angular frequency `omega`
    /// (rad/s), docs/theory.md 6.3:
    /// `P = (I - W)^{-1} diag(S0_a / N_a) (I - W)^{-H}` restricted to the rate block,
    /// with `S0_a = nu_a` (Poisson level).
    pub fn population_spectrum(&self, omega: f64) -> Result<DMatrix<Complex64>> {
        self.population_spectrum_with(omega, SpikeSpectrum::Poisson)
    }

    /// The intrinsic spike spectrum `S0_A(omega)` (Hz) of population `a`.
    pub fn spike_spectrum(&self, a: usize, omega: f64, s0: SpikeSpectrum) -> Result<f64> {
        match s0 {
            SpikeSpectrum::Poisson => Ok(self.state.populations[a].rate_hz),
            SpikeSpectrum::Renewal => {
                let p = &self.pops[a];
                let mut acc = 0.0;
                for &(z, w) in &p.nodes {
                    acc +=
                        w * diffusion::spike_spectrum(&p.lif, p.mean + p.sd * z, p.sigma, omega)?;
                }
                Ok(acc)
            }
        }
    }

    /// [`Self::population_spectrum`] with a chosen intrinsic spike spectrum.
    pub fn population_spectrum_with(
        &self,
        omega: f64,
        s0_kind: SpikeSpectrum,
    ) -> Result<DMatrix<Complex64>> {
        let p = self.model.p();
        let full = self.full_spectrum(omega, s0_kind)?;
        Ok(full.view((0, 0), (p, p)).into_owned())
    }

    /// The cross-spectra of all of `(nu, Q, kappa)` at angular frequency `omega` (rad/s):
    /// `(I - W)^{-1} diag(S0 / N) (I - W)^{-H}` (docs/theory.md 6.3).
    fn full_spectrum(&self, omega: f64, s0_kind: SpikeSpectrum) -> Result<DMatrix<Complex64>> {
        let w = self.matrix(Complex64::new(0.0, omega))?;
        // Intrinsic (finite-size) noise enters the rate rows only; that of the Q and
        // latent read-outs is neglected (docs/theory.md 6.3).
        let mut s0 = vec![0.0; w.nrows()];
        for (a, s) in s0.iter_mut().enumerate().take(self.model.p()) {
            let na = self.model.populations[a].n as f64;
            *s = self.spike_spectrum(a, omega, s0_kind)? / na;
        }
        spectrum_of(&w, &s0).map_err(|_| {
            Error::Domain(format!(
                "I - W(i omega) is singular at omega = {omega} rad/s: the state is marginally stable there"
            ))
        })
    }

    /// The sensitivity measure of Bos et al. (2016, Eq. 7) at angular frequency `omega`
    /// (rad/s) for the eigenmode of `W(i omega)` closest to 1 (docs/theory.md 6.3).
    pub fn sensitivity(&self, omega: f64) -> Result<Sensitivity> {
        sensitivity_of(&self.matrix(Complex64::new(0.0, omega))?)
    }

    /// Golomb's zero-lag synchrony measure of the membrane potentials predicted by the
    /// linear response (docs/theory.md 6.3, "Membrane-potential synchrony"): per
    /// population, the variance of the population-mean potential from the cross-spectra
    /// of `(nu, Q, kappa)` with intrinsic spike spectrum `s0`, the population average of
    /// the single-neuron potential variance (Ito moments of the white-noise LIF with
    /// refractoriness), and `chi = sqrt(ratio)`. The frequency integral is the trapezoidal
    /// rule on `points` frequencies `f = f_max u^2` (`u` uniform in `[0, 1]`, so dense at
    /// low frequencies) plus the analytic tail beyond `f_max` (Hz), where `W -> 0`. Errors as [`Self::population_spectrum_with`] where the
    /// state is marginally stable, and for `f_max <= 0` or fewer than 2 points.
    pub fn voltage_synchrony(
        &self,
        s0_kind: SpikeSpectrum,
        f_max: f64,
        points: usize,
    ) -> Result<Vec<VoltageSynchrony>> {
        use rayon::prelude::*;
        if !(f_max > 0.0 && f_max.is_finite()) || points < 2 {
            return Err(Error::invalid(
                "f_max",
                f_max,
                "needs a finite upper frequency > 0 Hz and at least 2 points",
            ));
        }
        let model = self.model;
        let p = model.p();
        let n = self.dim();
        let k_sqrt = model.k.sqrt();
        // Per population: the refractory fraction, the rate-weighted mean input (mV) and the
        // mean single-neuron variance of V (mV^2).
        let stat: Vec<(f64, f64, f64)> = (0..p)
            .map(|a| {
                let pa = &self.pops[a];
                let (mut nu_w, mut xnu_w, mut var_w) = (0.0, 0.0, 0.0);
                for &(z, w) in &pa.nodes {
                    let x = pa.mean + pa.sd * z;
                    let nu = crate::transfer::siegert::rate(&pa.lif, x, pa.sigma);
                    nu_w += w * nu;
                    xnu_w += w * x * nu;
                    var_w += w * lif_voltage_variance(&pa.lif, x, pa.sigma, nu);
                }
                let x_ref = if nu_w > 0.0 { xnu_w / nu_w } else { pa.mean };
                (
                    self.state.populations[a].rate_hz * pa.lif.tau_ref,
                    x_ref,
                    var_w,
                )
            })
            .collect();
        // (1 - rho_A) tau_A sqrt(K) c_B J_AB: the mean input of A per Hz of B (mV s)
        let input_gain = |a: usize, b: usize| {
            (1.0 - stat[a].0)
                * self.pops[a].lif.tau_m
                * k_sqrt
                * model.populations[b].c
                * model.j[a][b]
        };
        // f = f_max u^2, u uniform: dense where the spectra have their structure
        let du = 1.0 / (points - 1) as f64;
        let per_freq = (0..points)
            .into_par_iter()
            .map(|k| -> Result<Vec<f64>> {
                let u = k as f64 * du;
                let f = f_max * u * u;
                // omega = 0 is the limit omega -> 0
                let omega = 2.0 * PI * f.max(1e-9 * f_max);
                let lambda = Complex64::new(0.0, omega);
                let sy = self.full_spectrum(omega, s0_kind)?;
                let dl = delay_transform(&model.delay, lambda);
                let refr = |tr: f64| {
                    let z = lambda * tr;
                    if z.norm() < 1e-6 {
                        Complex64::new(tr, 0.0)
                    } else {
                        (C1 - (-z).exp()) / lambda
                    }
                };
                (0..p)
                    .map(|a| {
                        let pa = &self.pops[a];
                        let tau = pa.lif.tau_m;
                        let (rho, x_ref, _) = stat[a];
                        let mut g = vec![C0; n];
                        for (b, gb) in g.iter_mut().enumerate().take(p) {
                            *gb = dl * input_gain(a, b);
                        }
                        g[a] -= (x_ref - pa.lif.v_reset) * refr(pa.lif.tau_ref)
                            + tau * (pa.lif.theta - pa.lif.v_reset);
                        if let Some(lat) = &model.latent {
                            for e in 0..model.d() {
                                g[2 * p + e] = Complex64::new(
                                    (1.0 - rho) * tau * lat.loadings[a].mbar[e],
                                    0.0,
                                );
                            }
                        }
                        let h = C1 / (C1 + lambda * tau);
                        let mut acc = C0;
                        for i in 0..n {
                            for j in 0..n {
                                acc += g[i] * sy[(i, j)] * g[j].conj();
                            }
                        }
                        Ok((acc * h.norm_sqr()).re)
                    })
                    .collect()
            })
            .collect::<Result<Vec<Vec<f64>>>>()?;
        Ok((0..p)
            .map(|a| {
                let pa = &self.pops[a];
                let mut var = 0.0;
                for (k, v) in per_freq.iter().enumerate() {
                    // df = 2 f_max u du
                    let u = k as f64 * du;
                    let wgt =
                        if k == 0 || k + 1 == points { 0.5 } else { 1.0 } * du * 2.0 * f_max * u;
                    // two-sided integral over omega = 2 pi f: 2 Int_0^inf df
                    var += 2.0 * wgt * v[a];
                }
                // tail beyond f_max: W -> 0 and S0 -> nu, so the spectrum tends to
                // sum_B |g_B|^2 nu_B / (N_B (omega tau)^2) with the input and reset
                // coefficients of g (the cross term oscillates with the delay)
                let tau = pa.lif.tau_m;
                let dl2 =
                    delay_transform(&model.delay, Complex64::new(0.0, 2.0 * PI * f_max)).norm_sqr();
                let mut level = 0.0;
                for b in 0..p {
                    let mut g2 = dl2 * input_gain(a, b).powi(2);
                    if b == a {
                        g2 += (tau * (pa.lif.theta - pa.lif.v_reset)).powi(2);
                    }
                    level += g2 * self.state.populations[b].rate_hz / model.populations[b].n as f64;
                }
                var += 2.0 * level / (4.0 * PI * PI * tau * tau * f_max);
                let mean_var = stat[a].2;
                VoltageSynchrony {
                    name: self.state.populations[a].name.clone(),
                    var_mean_v_mv2: var,
                    mean_var_v_mv2: mean_var,
                    chi: (var / mean_var).sqrt(),
                }
            })
            .collect())
    }
}

/// Golomb's synchrony measure of the membrane potentials of one population predicted by
/// the linear response (docs/theory.md 6.3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VoltageSynchrony {
    /// Population name.
    pub name: String,
    /// Variance of the population-mean potential over time (mV^2).
    pub var_mean_v_mv2: f64,
    /// Population average of the single-neuron variance of the potential over time (mV^2).
    pub mean_var_v_mv2: f64,
    /// `chi = sqrt(var_mean_v / mean_var_v)` (Golomb 2007).
    pub chi: f64,
}

/// Stationary variance of the potential (mV^2) of a white-noise LIF neuron with mean
/// input `x` (mV), noise `sigma` (mV) and rate `nu` (Hz), the potential held at the
/// reset during the refractory period (docs/theory.md 6.3): the Ito balance of `V` and
/// `V^2` over the free time, with the jumps `theta -> Vr` at the spikes.
pub fn lif_voltage_variance(lif: &LifParams, x: f64, sigma: f64, nu: f64) -> f64 {
    let free = 1.0 - nu * lif.tau_ref;
    let (th, vr) = (lif.theta, lif.v_reset);
    let m1 = x * free - lif.tau_m * nu * (th - vr);
    let m2 = x * m1 + 0.5 * sigma * sigma * free - 0.5 * lif.tau_m * nu * (th * th - vr * vr);
    let ev = m1 + nu * lif.tau_ref * vr;
    let ev2 = m2 + nu * lif.tau_ref * vr * vr;
    (ev2 - ev * ev).max(0.0)
}

/// Cross-spectra `(I - W)^{-1} diag(s0) (I - W)^{-H}` of the linear system
/// `y = W y + noise` with independent noise of spectra `s0` (docs/theory.md 6.3;
/// Bos et al. 2016, Eq. 18). Errors when `I - W` is singular.
pub fn spectrum_of(w: &DMatrix<Complex64>, s0: &[f64]) -> Result<DMatrix<Complex64>> {
    let n = w.nrows();
    if w.ncols() != n || s0.len() != n {
        return Err(Error::invalid(
            "s0",
            s0.len(),
            format!(
                "needs one noise spectrum per row of the {n} x {} matrix W",
                w.ncols()
            ),
        ));
    }
    let inv = (DMatrix::<Complex64>::identity(n, n) - w)
        .try_inverse()
        .ok_or_else(|| Error::Domain("I - W is singular".into()))?;
    let d = DMatrix::<Complex64>::from_diagonal(&nalgebra::DVector::from_iterator(
        n,
        s0.iter().map(|&x| Complex64::new(x, 0.0)),
    ));
    Ok(&inv * d * inv.adjoint())
}

/// The sensitivity measure of one eigenmode of the effective connectivity (Bos et al.
/// 2016, Eq. 7; docs/theory.md 6.3).
#[derive(Clone, Debug, PartialEq)]
pub struct Sensitivity {
    /// The eigenvalue `e` of `W` closest to 1.
    pub critical_eigenvalue: Complex64,
    /// `T_ab = u_a^* v_b W_ab / (u^H v)` with `u`, `v` the left and right eigenvectors of
    /// `e`: the first-order change of `e` per relative change of `W_ab` (`delta e =
    /// sum_ab T_ab delta W_ab / W_ab`).
    pub sensitivity: DMatrix<Complex64>,
    /// The projection of `T` on the direction from `e` to 1 (`k`): moving `e` along it
    /// changes the height of the spectral peak.
    pub amplitude: DMatrix<f64>,
    /// The projection of `T` on the direction perpendicular to `k`: moving `e` along it
    /// shifts the frequency of the peak.
    pub frequency: DMatrix<f64>,
}

/// [`Sensitivity`] of the eigenvalue of `w` closest to 1 (Bos et al. 2016, Eq. 7;
/// docs/theory.md 6.3). Eigenvalues from the complex Schur form, eigenvectors by inverse
/// iteration.
pub fn sensitivity_of(w: &DMatrix<Complex64>) -> Result<Sensitivity> {
    let n = w.nrows();
    if n == 0 || w.ncols() != n {
        return Err(Error::invalid(
            "W",
            format!("{} x {}", n, w.ncols()),
            "needs a non-empty square matrix",
        ));
    }
    let eig = w
        .clone()
        .try_schur(f64::EPSILON, 100_000)
        .and_then(|s| s.eigenvalues())
        .ok_or_else(|| Error::Domain("the Schur decomposition of W did not converge".into()))?;
    let e = eig
        .iter()
        .copied()
        .min_by(|a, b| (a - C1).norm().total_cmp(&(b - C1).norm()))
        .ok_or_else(|| Error::Domain("W has no eigenvalue".into()))?;
    let v = inverse_iteration(w, e)?;
    let u = inverse_iteration(&w.adjoint(), e.conj())?;
    let norm: Complex64 = u.iter().zip(v.iter()).map(|(a, b)| a.conj() * b).sum();
    let t = DMatrix::from_fn(n, n, |a, b| u[a].conj() * v[b] / norm * w[(a, b)]);
    let k = {
        let (x, y) = (1.0 - e.re, -e.im);
        let r = x.hypot(y);
        (x / r, y / r)
    };
    let kp = (-k.1, k.0);
    Ok(Sensitivity {
        critical_eigenvalue: e,
        amplitude: t.map(|z| z.re * k.0 + z.im * k.1),
        frequency: t.map(|z| z.re * kp.0 + z.im * kp.1),
        sensitivity: t,
    })
}

/// An eigenvector of `w` for the eigenvalue `e` by inverse iteration with a shift just off `e`.
fn inverse_iteration(w: &DMatrix<Complex64>, e: Complex64) -> Result<nalgebra::DVector<Complex64>> {
    let n = w.nrows();
    let shift = e + Complex64::new(1e-10 * (1.0 + e.norm()), 1e-10 * (1.0 + e.norm()));
    let lu = (w - DMatrix::<Complex64>::identity(n, n) * shift).lu();
    let mut v = nalgebra::DVector::from_fn(n, |i, _| Complex64::new(1.0 + 0.1 * i as f64, 0.05));
    for _ in 0..3 {
        v = lu
            .solve(&v)
            .ok_or_else(|| Error::Domain("inverse iteration: singular shifted matrix".into()))?;
        let s = v.norm();
        v /= Complex64::new(s, 0.0);
    }
    Ok(v)
}

fn poisoned<T>(_: T) -> Error {
    Error::Domain("response cache poisoned by a panic in another thread".into())
}

/// One root of the characteristic equation (docs/theory.md 6.3).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Eigenvalue {
    /// `Re lambda` (1/s): growth rate; > 0 is unstable.
    pub growth_rate_hz: f64,
    /// `Im lambda / (2 pi)` (Hz), >= 0 (the conjugate root is implied).
    pub frequency_hz: f64,
    /// `|det(I - W) (1 + lambda tau_s)^D|` at the refined root (should be ~0).
    pub residual: f64,
}

/// The search box in the complex `lambda` plane.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct RootBox {
    /// Smallest `Re lambda` (1/s).
    pub re_min: f64,
    /// Largest `Re lambda` (1/s).
    pub re_max: f64,
    /// Largest frequency `Im lambda / (2 pi)` (Hz); the box is symmetric about the real axis.
    pub f_max: f64,
}

impl Default for RootBox {
    fn default() -> Self {
        RootBox {
            re_min: -20.0,
            re_max: 400.0,
            f_max: 600.0,
        }
    }
}

/// Result of a stability analysis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Stability {
    /// The box searched.
    pub search_box: RootBox,
    /// Roots with `frequency >= 0`, sorted by decreasing growth rate.
    pub eigenvalues: Vec<Eigenvalue>,
    /// Winding number of the characteristic function around the box boundary: the
    /// number of roots (counted with both conjugates) minus the number of poles inside
    /// (poles come from the single-neuron susceptibility, at the eigenvalues of the
    /// Fokker-Planck operator, all with negative real part).
    pub winding_number: i64,
    /// Roots found inside the box, both conjugates counted.
    pub roots_found: usize,
    /// No root with a positive real part.
    pub stable: bool,
    /// Single-neuron response used.
    pub response: String,
    /// Characteristic-function evaluations spent.
    pub evaluations: usize,
}

struct Counter<'a, 'b> {
    net: &'a NetworkResponse<'b>,
    /// Largest delay (s), sets the sampling of the contour.
    d_max: f64,
    evals: usize,
    memo: HashMap<(u64, u64), Complex64>,
}

impl Counter<'_, '_> {
    fn f(&mut self, lambda: Complex64) -> Result<Complex64> {
        // real system: f(conj lambda) = conj f(lambda)
        let conj = lambda.im < 0.0;
        let l = if conj { lambda.conj() } else { lambda };
        let key = (l.re.to_bits(), l.im.to_bits());
        let v = match self.memo.get(&key) {
            Some(v) => *v,
            None => {
                self.evals += 1;
                let v = self.net.characteristic(l)?;
                self.memo.insert(key, v);
                v
            }
        };
        Ok(if conj { v.conj() } else { v })
    }

    /// Change of `ln f` along the segment `a -> b`, by adaptive bisection so that the
    /// phase changes by less than 0.6 rad per piece. Returns the total change and the
    /// pieces' contributions to the first two moments `Int lambda^k d ln f`.
    fn segment(&mut self, a: Complex64, b: Complex64, depth: usize) -> Result<[Complex64; 3]> {
        let fa = self.f(a)?;
        let fb = self.f(b)?;
        let dl = (fb / fa).ln();
        if (dl.im.abs() < 0.6 && dl.re.abs() < 0.7) || depth > 22 {
            let mid = 0.5 * (a + b);
            return Ok([dl, mid * dl, mid * mid * dl]);
        }
        let m = 0.5 * (a + b);
        let x = self.segment(a, m, depth + 1)?;
        let y = self.segment(m, b, depth + 1)?;
        Ok([x[0] + y[0], x[1] + y[1], x[2] + y[2]])
    }

    /// Winding number and moment estimates around a rectangle (counter-clockwise).
    fn contour(&mut self, re: (f64, f64), im: (f64, f64)) -> Result<(i64, [Complex64; 3])> {
        let c = [
            Complex64::new(re.0, im.0),
            Complex64::new(re.1, im.0),
            Complex64::new(re.1, im.1),
            Complex64::new(re.0, im.1),
        ];
        let mut tot = [C0; 3];
        for k in 0..4 {
            // start each side with a few pieces so that no phase jump of 2 pi hides
            let (a, b) = (c[k], c[(k + 1) % 4]);
            // enough pieces that the delay factor exp(-lambda d) turns by < 0.4 rad in
            // each, so that no whole turn of the phase can hide between two samples
            let len = (b - a).norm();
            let pieces = ((len * self.d_max / 0.4).ceil() as usize).clamp(16, 100_000);
            for s in 0..pieces {
                let u = a + (b - a) * (s as f64 / pieces as f64);
                let v = a + (b - a) * ((s + 1) as f64 / pieces as f64);
                let r = self.segment(u, v, 0)?;
                for i in 0..3 {
                    tot[i] += r[i];
                }
            }
        }
        let wind = (tot[0].im / (2.0 * PI)).round() as i64;
        let scale = Complex64::new(0.0, 2.0 * PI);
        Ok((wind, [tot[0] / scale, tot[1] / scale, tot[2] / scale]))
    }

    /// Newton with a finite-difference derivative (secant in the complex plane).
    fn refine(&mut self, z0: Complex64, scale: f64) -> Result<Option<Complex64>> {
        let mut z = z0;
        for _ in 0..40 {
            let h = Complex64::new(1e-6 * (scale + z.norm()), 0.0);
            let f0 = self.net.characteristic(z)?;
            let f1 = self.net.characteristic(z + h)?;
            self.evals += 2;
            let dfz = (f1 - f0) / h;
            if dfz.norm() == 0.0 || !dfz.re.is_finite() {
                return Ok(None);
            }
            let mut step = f0 / dfz;
            let cap = 0.25 * scale;
            if step.norm() > cap {
                step *= cap / step.norm();
            }
            z -= step;
            if step.norm() < 1e-10 * (1.0 + z.norm()) {
                return Ok(Some(z));
            }
        }
        Ok(None)
    }
}

/// Every root of `det(I - W(lambda)) = 0` in the box (docs/theory.md 6.3): the argument
/// principle on the box boundary counts them, boxes holding more than two are split, and
/// each root is located from the contour moments `Int lambda^k d ln f` and refined by
/// Newton's method.
pub fn stability(net: &NetworkResponse, search: &RootBox) -> Result<Stability> {
    if !(search.re_max > search.re_min && search.f_max > 0.0) {
        return Err(Error::invalid(
            "box",
            format!("{},{},{}", search.re_min, search.re_max, search.f_max),
            "needs re_min < re_max (1/s) and f_max > 0 (Hz)",
        ));
    }
    let mut c = Counter {
        net,
        d_max: net.model.delay.max().max(
            net.model
                .populations
                .iter()
                .map(|p| p.tau_ref)
                .fold(0.0, f64::max),
        ),
        evals: 0,
        memo: HashMap::new(),
    };
    let im_max = 2.0 * PI * search.f_max;
    let (wind, _) = c.contour((search.re_min, search.re_max), (-im_max, im_max))?;
    // Upper half (and real axis, offset so that real roots are not on a boundary).
    let off = 1e-3 * (search.re_max - search.re_min).min(im_max);
    let mut roots: Vec<Complex64> = Vec::new();
    let mut stack = vec![((search.re_min, search.re_max), (-off, im_max), 0usize)];
    while let Some((re, im, depth)) = stack.pop() {
        let (n, mom) = c.contour(re, im)?;
        if n <= 0 {
            continue;
        }
        let size = (re.1 - re.0).max(im.1 - im.0);
        let mut found = Vec::new();
        if n <= 2 {
            // roots of z^2 - s1 z + (s1^2 - s2)/2 (Newton's identities) or z = s1
            let guesses = if n == 1 {
                vec![mom[1]]
            } else {
                let s1 = mom[1];
                let e2 = (s1 * s1 - mom[2]) / 2.0;
                let disc = (s1 * s1 - 4.0 * e2).sqrt();
                vec![(s1 + disc) / 2.0, (s1 - disc) / 2.0]
            };
            for g in guesses {
                if let Some(z) = c.refine(g, size)? {
                    let inside = z.re >= re.0 && z.re <= re.1 && z.im >= im.0 && z.im <= im.1;
                    if inside
                        && !found
                            .iter()
                            .any(|q: &Complex64| (q - z).norm() < 1e-6 * (1.0 + z.norm()))
                    {
                        found.push(z);
                    }
                }
            }
        }
        if found.len() as i64 == n {
            roots.extend(found);
        } else if depth < 12 {
            // split the longer side, slightly off-centre
            if re.1 - re.0 >= im.1 - im.0 {
                let m = re.0 + 0.4937 * (re.1 - re.0);
                stack.push(((re.0, m), im, depth + 1));
                stack.push(((m, re.1), im, depth + 1));
            } else {
                let m = im.0 + 0.5063 * (im.1 - im.0);
                stack.push((re, (im.0, m), depth + 1));
                stack.push((re, (m, im.1), depth + 1));
            }
        } else {
            roots.extend(found);
        }
    }
    let mut eig: Vec<Eigenvalue> = Vec::new();
    let mut count = 0;
    for z in roots {
        let z = if z.im.abs() < 1e-9 * (1.0 + z.norm()) {
            Complex64::new(z.re, 0.0)
        } else {
            z
        };
        count += if z.im > 0.0 { 2 } else { 1 };
        let res = net.characteristic(z)?.norm();
        eig.push(Eigenvalue {
            growth_rate_hz: z.re,
            frequency_hz: z.im / (2.0 * PI),
            residual: res,
        });
    }
    eig.sort_by(|a, b| b.growth_rate_hz.total_cmp(&a.growth_rate_hz));
    let stable = eig.iter().all(|e| e.growth_rate_hz < 0.0);
    Ok(Stability {
        search_box: *search,
        eigenvalues: eig,
        winding_number: wind,
        roots_found: count,
        stable,
        response: net.response.name().to_string(),
        evaluations: c.evals,
    })
}

/// Refine one root from a starting guess `lambda0` (1/s) by Newton's method (for
/// continuation along a parameter path). `None` if it does not converge.
pub fn refine_root(net: &NetworkResponse, lambda0: Complex64) -> Result<Option<Eigenvalue>> {
    let mut c = Counter {
        net,
        d_max: net.model.delay.max().max(
            net.model
                .populations
                .iter()
                .map(|p| p.tau_ref)
                .fold(0.0, f64::max),
        ),
        evals: 0,
        memo: HashMap::new(),
    };
    let scale = 50.0 + lambda0.norm() * 0.2;
    Ok(c.refine(lambda0, scale)?.map(|z| Eigenvalue {
        growth_rate_hz: z.re,
        frequency_hz: z.im.abs() / (2.0 * PI),
        residual: 0.0,
    }))
}
