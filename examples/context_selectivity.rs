//! Mixed selectivity over the conditions of the context task (docs/theory.md 12.1 and 11),
//! three networks side by side, theory against simulation:
//!
//! 1. **balanced**: the `context-integration` preset (`N = 5000`, `K = 1000`);
//! 2. **unbalanced**: the same preset with the balance removed (docs/theory.md 12.6): every
//!    recurrent coupling `J_AB` times `EPS`, the external rate `nu_0` re-solved so that the
//!    E rate at `kappa = 0` in context A equals the balanced one, the lost quenched variance
//!    restored by a frozen bias (`beta_ext`), and `Sigma^{nm}` re-solved so that the
//!    integrator has the balanced network's `dG/dkappa`;
//! 3. **rate**: the low-rank rate network of Mastrogiuseppe & Ostojic (2018) (docs/theory.md
//!    10, tanh, `g = 0.5`) in two halves like `E_A`, `E_B` (docs/theory.md 12.6), with the
//!    preset's loading correlations, the context shift set to give the balanced network's
//!    gain ratio and the same `dG/dkappa`; responses mapped to rates `nu_E (1 + phi)`.
//!
//! Conditions: context (A, B) x coherence of A x coherence of B, each in
//! `{-0.2, 0, 0.2}` (18 conditions). One network per model; every trial (0.2 s context,
//! 0.8 s stimulus, 0.4 s reset with both contexts on) in a random order per block, `TRIALS`
//! blocks; the response of a neuron is its spike count in the last 0.4 s of the stimulus
//! / 0.4 s (150 `E_A` and 150 `E_B` neurons). Theory: the finite-K latent dynamics
//! (docs/theory.md 2.5) give `kappa` in the count window of each condition, the
//! multi-state theory (2.6.4, `condition_responses`) the neurons' rates, and Poisson
//! counts the trials. Measures (docs/theory.md 11): three-way ANOVA (alpha 0.05), tuning
//! shape over each coherence, participation ratio of the 18 condition means; shattering,
//! Cover dimension and CCGP on the 8 corner conditions (context x sign A x sign B).
//!
//! `cargo run --release --example context_selectivity -- [out_dir] [trials]` (defaults
//! `out/context_selectivity`, 8); writes `context_selectivity.json` and `.png/.svg`. The
//! spiking simulations (about 6 CPU minutes each) are cached in `sim_cache.json` in the
//! output folder and reused when the number of trials matches; delete it to re-run them.

use std::path::PathBuf;
use std::time::Instant;

use balnet::analysis::Responses;
use balnet::analysis::geometry::{
    DecodeOptions, ccgp, cover_dimension, participation_ratio_of_means, shattering_dimensionality,
};
use balnet::analysis::selectivity::{three_way_anova, tuning_shape};
use balnet::analysis::trajectory::mean_sem;
use balnet::model::{Model, Signal, SignalTerm};
use balnet::plot::{self, Panel, Series, Style};
use balnet::presets;
use balnet::quad::expect;
use balnet::sim::{RunOptions, simulate};
use balnet::theory::latent::reduced_jacobian;
use balnet::theory::predictions::{FastMode, TuningOptions, condition_responses};
use balnet::theory::{Limit, stationary};
use nalgebra::{DMatrix, DVector};
use rand::{RngExt, SeedableRng};
use rand_distr::{Poisson, StandardNormal};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;
use serde::de::DeserializeOwned;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

const COH: [f64; 3] = [-0.2, 0.0, 0.2];
const CTX_LEAD: f64 = 0.2;
const STIM: f64 = 0.8;
const RESET: f64 = 0.4;
const COUNT: f64 = 0.4;
const NEURONS: usize = 150;
const ALPHA: f64 = 0.05;
/// Recurrent couplings of the unbalanced variant, relative to the preset's.
const EPS: f64 = 0.1;
const SEED: u64 = 1;

fn trial_len() -> f64 {
    CTX_LEAD + STIM + RESET
}

/// Condition `c = (ctx 3 + a) 3 + b`: context (0 = A), coherence levels of A and B.
fn condition(c: usize) -> (usize, f64, f64) {
    (c / 9, COH[(c / 3) % 3], COH[c % 3])
}

fn input(c: usize) -> Vec<f64> {
    let (ctx, a, b) = condition(c);
    vec![
        a,
        b,
        f64::from(u8::from(ctx == 0)),
        f64::from(u8::from(ctx == 1)),
    ]
}

/// Trial order: `blocks` random permutations of the 18 conditions.
fn schedule(blocks: usize) -> Vec<usize> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0xC0FFEE);
    let mut order = Vec::new();
    for _ in 0..blocks {
        let mut p: Vec<usize> = (0..18).collect();
        for i in (1..p.len()).rev() {
            let j = rng.random_range(0..=i);
            p.swap(i, j);
        }
        order.extend(p);
    }
    order
}

/// Piecewise-constant `s(t)` of the whole session as steps (both contexts on in the
/// warm-up and the resets).
fn session_signal(order: &[usize], warmup: f64) -> Signal {
    let mut knots: Vec<(f64, Vec<f64>)> = vec![(0.0, vec![0.0, 0.0, 1.0, 1.0])];
    for (k, &c) in order.iter().enumerate() {
        let t0 = warmup + k as f64 * trial_len();
        let s = input(c);
        knots.push((t0, vec![0.0, 0.0, s[2], s[3]]));
        knots.push((t0 + CTX_LEAD, s.clone()));
        knots.push((t0 + CTX_LEAD + STIM, vec![0.0, 0.0, 1.0, 1.0]));
    }
    let mut components = vec![Vec::new(); 4];
    let mut prev = vec![0.0; 4];
    for (t, v) in knots {
        for i in 0..4 {
            if v[i] != prev[i] {
                components[i].push(SignalTerm::Step {
                    t0: t,
                    amplitude: v[i] - prev[i],
                });
            }
        }
        prev = v;
    }
    Signal { components }
}

/// One trial's `s(t)` from `t = 0` (context from 0, stimulus from `CTX_LEAD`).
fn trial_signal(c: usize) -> Signal {
    let (ctx, a, b) = condition(c);
    presets::context_signal(ctx == 0, a, b, CTX_LEAD, CTX_LEAD + STIM)
}

/// The unbalanced variant (docs/theory.md 12.6) of the balanced preset `bal`.
fn unbalanced(bal: &Model) -> Res<Model> {
    let s_a = [0.0, 0.0, 1.0, 0.0];
    let st_bal = stationary::solve(bal, Limit::Finite, &[0.0], &s_a, None)?;
    let target_rate = st_bal.populations[0].rate_hz;
    let slope_bal = reduced_jacobian(bal, Limit::Finite, &st_bal)?[(0, 0)];
    let mut m = bal.clone();
    m.name = format!("context-integration, J x {EPS}");
    for row in &mut m.j {
        for v in row.iter_mut() {
            *v *= EPS;
        }
    }
    // nu_0 for the balanced E rate (relevant population E_A in context A), by bisection
    let fit_rate = |m: &mut Model| -> Res<()> {
        let (mut lo, mut hi) = (0.1f64, 200.0f64);
        for _ in 0..36 {
            let mid = (lo * hi).sqrt();
            m.external.nu0 = mid;
            let r = stationary::solve(m, Limit::Finite, &[0.0], &s_a, None)?.populations[0].rate_hz;
            if r < target_rate {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        m.external.nu0 = (lo * hi).sqrt();
        Ok(())
    };
    let j_ext: Vec<f64> = m.populations.iter().map(|p| p.j_ext).collect();
    // external jumps as large as the balanced network's largest recurrent jump (|J_EI|):
    // the temporal noise as large as weak coupling allows without leaving the diffusion
    // regime of the theory (docs/theory.md 2.7)
    let f = bal.j[0][2].abs() / bal.populations[0].j_ext;
    for (p, j) in m.populations.iter_mut().zip(&j_ext) {
        p.j_ext = j * f;
    }
    for _round in 0..3 {
        fit_rate(&mut m)?;
        // restore the quenched variance of the balanced state with a frozen bias
        let st = stationary::solve(&m, Limit::Finite, &[0.0], &s_a, None)?;
        for (a, pop) in m.populations.iter_mut().enumerate() {
            let missing =
                st_bal.populations[a].quenched_var_mv2 - st.populations[a].quenched_var_mv2;
            pop.beta_ext = (pop.beta_ext + missing).max(0.0);
        }
    }
    fit_rate(&mut m)?;
    // Sigma^{nm} for the balanced network's dG/dkappa: dG/dkappa is linear in it
    let st = stationary::solve(&m, Limit::Finite, &[0.0], &s_a, None)?;
    let slope = reduced_jacobian(&m, Limit::Finite, &st)?[(0, 0)];
    if let Some(l) = m.latent.as_mut() {
        for ld in &mut l.loadings {
            ld.sigma_nm[0][0] *= slope_bal / slope;
        }
    }
    m.validate()?;
    Ok(m)
}

/// Spike counts / `COUNT` of the recorded `E_A` and `E_B` neurons in every trial.
#[derive(Serialize, serde::Deserialize)]
struct SimOut {
    /// `[neuron][condition][trial]` (Hz).
    resp: Vec<Vec<Vec<f64>>>,
    /// Mean `kappa` in the count window per condition and trial (Hz).
    kappa: Vec<Vec<f64>>,
    cpu_s: f64,
}

fn simulate_session(model: &Model, order: &[usize]) -> Res<SimOut> {
    let mut m = model.clone();
    let warm = m.sim.warmup;
    if let Some(l) = m.latent.as_mut() {
        l.signal = session_signal(order, warm);
    }
    m.sim.duration = order.len() as f64 * trial_len();
    m.sim.raster_neurons = NEURONS;
    m.sim.seed = SEED;
    let r = simulate(
        &m,
        &RunOptions {
            threads: 1,
            quiet: true,
            out_dir: None,
        },
    )?;
    let windows: Vec<[f64; 2]> = (0..order.len())
        .map(|k| {
            let t1 = warm + k as f64 * trial_len() + CTX_LEAD + STIM;
            [t1 - COUNT, t1]
        })
        .collect();
    let mut resp = Vec::new();
    for pop in r.populations.iter().take(2) {
        let mut ids: Vec<u32> = pop.raster_ids.clone();
        ids.sort_unstable();
        ids.dedup();
        let mut counts = vec![vec![0.0f64; order.len()]; ids.len()];
        for (&id, &t) in pop.raster_ids.iter().zip(&pop.raster_times) {
            let k = ((t - warm) / trial_len()).floor();
            if k < 0.0 || k as usize >= order.len() {
                continue;
            }
            let k = k as usize;
            if t >= windows[k][0] && t < windows[k][1] {
                let i = ids.binary_search(&id).map_err(|_| "raster id")?;
                counts[i][k] += 1.0;
            }
        }
        // neurons that never spiked do not appear in the raster: pad with silent ones
        let silent = NEURONS.saturating_sub(ids.len());
        for row in counts
            .iter()
            .chain(std::iter::repeat_n(&vec![0.0; order.len()], silent))
        {
            let mut by_cond = vec![Vec::new(); 18];
            for (k, &c) in order.iter().enumerate() {
                by_cond[c].push(row[k] / COUNT);
            }
            resp.push(by_cond);
        }
    }
    let mut kappa = vec![Vec::new(); 18];
    for (k, &c) in order.iter().enumerate() {
        let v: Vec<f64> = r
            .time_s
            .iter()
            .zip(&r.kappa_t)
            .filter(|(t, _)| **t >= windows[k][0] && **t < windows[k][1])
            .map(|(_, x)| x[0])
            .collect();
        kappa[c].push(v.iter().sum::<f64>() / v.len().max(1) as f64);
    }
    Ok(SimOut {
        resp,
        kappa,
        cpu_s: r.cpu_s.unwrap_or(r.wall_s),
    })
}

/// Theory: `kappa` in the count window per condition (finite-K latent dynamics), then
/// per-neuron rates of `E_A`, `E_B` from the multi-state theory.
fn theory_means(model: &Model) -> Res<(Vec<Vec<f64>>, Vec<f64>)> {
    let mut kappas = Vec::new();
    for c in 0..18 {
        let mut m = model.clone();
        if let Some(l) = m.latent.as_mut() {
            l.signal = trial_signal(c);
        }
        let tr = balnet::claims::theory_trajectory(&m, CTX_LEAD + STIM, 0.005)?;
        let v: Vec<f64> =
            tr.t.iter()
                .zip(&tr.kappa)
                .filter(|(t, _)| **t >= CTX_LEAD + STIM - COUNT - 1e-9)
                .map(|(_, k)| k[0])
                .collect();
        kappas.push(v.iter().sum::<f64>() / v.len() as f64);
    }
    Ok((neuron_rates(model, &kappas)?, kappas))
}

/// The multi-state theory's rates of the sampled `E_A`, `E_B` neurons at the latent
/// states `kappas` (Hz) of the 18 conditions.
fn neuron_rates(model: &Model, kappas: &[f64]) -> Res<Vec<Vec<f64>>> {
    let k: Vec<Vec<f64>> = kappas.iter().map(|&x| vec![x]).collect();
    let s: Vec<Vec<f64>> = (0..18).map(input).collect();
    let pops = condition_responses(
        model,
        &FastMode::network(Limit::Finite),
        &k,
        &s,
        &TuningOptions {
            neurons: NEURONS,
            seed: 7,
            tol_hz: 0.1,
        },
    )?;
    let means = pops[0]
        .curves
        .iter()
        .chain(&pops[1].curves)
        .cloned()
        .collect();
    Ok(means)
}

/// Trials around `means[neuron][condition]` (Hz) in the count window: counts
/// `fano * Poisson(mean count / fano)`, mean the mean count and variance `fano` times it
/// (`fano = 1`: Poisson).
fn poisson_trials(
    means: &[Vec<f64>],
    trials: usize,
    seed: u64,
    fano: f64,
) -> Res<Vec<Vec<Vec<f64>>>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut out = Vec::new();
    for m in means {
        let mut row = Vec::new();
        for &r in m {
            let lam = (r * COUNT / fano).max(1e-12);
            let d = Poisson::new(lam).map_err(|e| format!("Poisson({lam}): {e}"))?;
            row.push(
                (0..trials)
                    .map(|_| fano * rng.sample::<f64, _>(d) / COUNT)
                    .collect(),
            );
        }
        out.push(row);
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// The rate network in two halves (docs/theory.md 12.6)

#[derive(Clone, Debug, Serialize)]
struct RateParams {
    g: f64,
    tau: f64,
    sigma_m: f64,
    sigma_n: f64,
    sigma_w: f64,
    sigma_nm: f64,
    sigma_nw: f64,
    /// Mean input shift of the irrelevant half (units of x).
    ctx_shift: f64,
    /// Input per unit coherence.
    coh_scale: f64,
    /// `nu_E` (Hz) of the map `rate = nu_E (1 + phi)`.
    nu_hz: f64,
}

impl RateParams {
    /// Covariance of `(m, n, w_A, w_B)` in half `h` (0 = A, 1 = B).
    fn cov(&self, h: usize) -> DMatrix<f64> {
        let (sm, sn, sw) = (self.sigma_m, self.sigma_n, self.sigma_w);
        let mut c = DMatrix::zeros(4, 4);
        c[(0, 0)] = sm * sm;
        c[(1, 1)] = sn * sn;
        c[(2, 2)] = sw * sw;
        c[(3, 3)] = sw * sw;
        c[(0, 1)] = self.sigma_nm;
        c[(1, 0)] = self.sigma_nm;
        c[(1, 2 + h)] = self.sigma_nw;
        c[(2 + h, 1)] = self.sigma_nw;
        c
    }
    /// Mean input of half `h` for inputs `v = (s_A, s_B, ctx_A, ctx_B)`: context A lowers
    /// half B, context B half A.
    fn shift(&self, h: usize, v: &[f64]) -> f64 {
        -self.ctx_shift * if h == 0 { v[3] } else { v[2] }
    }
    fn sens(&self, v: &[f64]) -> [f64; 2] {
        [self.coh_scale * v[0], self.coh_scale * v[1]]
    }
}

/// Mean-field of the two-half network at latent coordinate `k`, filtered inputs `v`:
/// returns `G(k, v)`, the random input variance `Delta_r` and `<phi'>` per half.
fn rate_map(p: &RateParams, k: f64, v: &[f64]) -> (f64, f64, [f64; 2]) {
    let phi = f64::tanh;
    let [sa, sb] = p.sens(v);
    let lat = p.sigma_m * p.sigma_m * k * k + p.sigma_w * p.sigma_w * (sa * sa + sb * sb);
    let mu = [p.shift(0, v), p.shift(1, v)];
    let mut dr = p.g * p.g * 0.5;
    for _ in 0..200 {
        let new = p.g
            * p.g
            * 0.5
            * (0..2)
                .map(|h| expect(|x| phi(x).powi(2), mu[h], lat + dr))
                .sum::<f64>();
        if (new - dr).abs() < 1e-13 {
            dr = new;
            break;
        }
        dr = new;
    }
    let gain = [0, 1].map(|h| expect(|x| 1.0 - phi(x).powi(2), mu[h], lat + dr));
    let g = 0.5
        * (0..2)
            .map(|h| (p.sigma_nm * k + p.sigma_nw * [sa, sb][h]) * gain[h])
            .sum::<f64>();
    (g, dr, gain)
}

/// Latent dynamics `tau dk/dt = -k + G(k, v)`, `tau dv/dt = -v + s(t)` (docs/theory.md
/// 10.3, adiabatic `Delta_r`) of one trial; mean `k` and `v` over the count window.
fn rate_trial_theory(p: &RateParams, c: usize) -> (f64, Vec<f64>) {
    let sig = trial_signal(c);
    let dt = p.tau / 50.0;
    let steps = ((CTX_LEAD + STIM) / dt).round() as usize;
    let (mut k, mut v) = (0.0, vec![0.0, 0.0, 1.0, 1.0]);
    let (mut ks, mut vs, mut n) = (0.0, vec![0.0; 4], 0.0);
    for i in 0..steps {
        let t = i as f64 * dt;
        let s = sig.value(t + 0.5 * dt);
        // RK2 (midpoint) on k; v exactly
        let (g1, _, _) = rate_map(p, k, &v);
        let km = k + 0.5 * dt / p.tau * (g1 - k);
        let e = (-0.5 * dt / p.tau).exp();
        let vm: Vec<f64> = v.iter().zip(&s).map(|(x, y)| y + (x - y) * e).collect();
        let (g2, _, _) = rate_map(p, km, &vm);
        k += dt / p.tau * (g2 - km);
        v = v.iter().zip(&s).map(|(x, y)| y + (x - y) * e * e).collect();
        if t + dt > CTX_LEAD + STIM - COUNT {
            ks += k;
            for (a, b) in vs.iter_mut().zip(&v) {
                *a += b;
            }
            n += 1.0;
        }
    }
    (ks / n, vs.iter().map(|x| x / n).collect())
}

fn chol(c: &DMatrix<f64>) -> DMatrix<f64> {
    let eig = c.clone().symmetric_eigen();
    let sq = DVector::from_iterator(c.nrows(), eig.eigenvalues.iter().map(|e| e.max(0.0).sqrt()));
    &eig.eigenvectors * DMatrix::from_diagonal(&sq)
}

/// Theory responses `nu (1 + phi(x_i^l))` of `NEURONS` units per half: loadings from
/// their Gaussian, the random input `z_i^l` jointly Gaussian across conditions with
/// `C^{ll'} = g^2 <phi(x^l) phi(x^l')>` (docs/theory.md 10.7), solved by iterating on a
/// sample of 4000 units per half.
fn rate_theory_means(p: &RateParams, states: &[(f64, Vec<f64>)]) -> Vec<Vec<f64>> {
    let l = states.len();
    let sample = 4000;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    let loads: Vec<Vec<DVector<f64>>> = (0..2)
        .map(|h| {
            let f = chol(&p.cov(h));
            (0..sample)
                .map(|_| {
                    &f * DVector::from_iterator(
                        4,
                        (0..4).map(|_| rng.sample::<f64, _>(StandardNormal)),
                    )
                })
                .collect()
        })
        .collect();
    let xi: Vec<Vec<DVector<f64>>> = (0..2)
        .map(|_| {
            (0..sample)
                .map(|_| {
                    DVector::from_iterator(l, (0..l).map(|_| rng.sample::<f64, _>(StandardNormal)))
                })
                .collect()
        })
        .collect();
    let base = |h: usize, i: usize, j: usize| -> f64 {
        let (k, v) = &states[j];
        let [sa, sb] = p.sens(v);
        let ld = &loads[h][i];
        ld[0] * k + ld[2] * sa + ld[3] * sb + p.shift(h, v)
    };
    let mut c = DMatrix::from_element(l, l, p.g * p.g * 0.3);
    let mut phis = vec![vec![vec![0.0; l]; sample]; 2];
    for _ in 0..30 {
        let f = chol(&c);
        let mut new = DMatrix::zeros(l, l);
        for h in 0..2 {
            for i in 0..sample {
                let z = &f * &xi[h][i];
                for j in 0..l {
                    phis[h][i][j] = (base(h, i, j) + z[j]).tanh();
                }
                for a in 0..l {
                    for b in a..l {
                        new[(a, b)] += phis[h][i][a] * phis[h][i][b];
                    }
                }
            }
        }
        for a in 0..l {
            for b in a..l {
                let v = p.g * p.g * new[(a, b)] / (2 * sample) as f64;
                new[(a, b)] = v;
                new[(b, a)] = v;
            }
        }
        let diff = (&new - &c).abs().max();
        c = new;
        if diff < 1e-6 {
            break;
        }
    }
    let f = chol(&c);
    let mut out = Vec::new();
    for h in 0..2 {
        for i in 0..NEURONS {
            let z = &f * &xi[h][i];
            out.push(
                (0..l)
                    .map(|j| p.nu_hz * (1.0 + (base(h, i, j) + z[j]).tanh()))
                    .collect(),
            );
        }
    }
    out
}

/// Simulate the two-half rate network over the session (docs/theory.md 10.5, Euler,
/// `dt = tau/20`), `n` units; responses of the first `NEURONS` units of each half:
/// Poisson counts of `nu (1 + phi)` integrated over the count window.
fn rate_simulate(p: &RateParams, n: usize, order: &[usize]) -> Res<(SimOut, Vec<f64>)> {
    let t0 = Instant::now();
    let half = n / 2;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(SEED);
    // loadings re-centred and re-scaled to the exact moments of each half (as the
    // spiking presets' `sim.exact_loadings`): a sample mean of `n` in the saturated half
    // would otherwise offset `kappa`, and the integrator (gain 1/(1 - 0.81)) amplify it
    let mut loads: Vec<DVector<f64>> = Vec::with_capacity(n);
    for h in 0..2 {
        let size = if h == 0 { half } else { n - half };
        let mut x = DMatrix::from_fn(size, 4, |_, _| rng.sample::<f64, _>(StandardNormal));
        for j in 0..4 {
            let m = x.column(j).mean();
            x.column_mut(j).add_scalar_mut(-m);
        }
        let sample = x.transpose() * &x / size as f64;
        let eig = sample.symmetric_eigen();
        let inv_sqrt = &eig.eigenvectors
            * DMatrix::from_diagonal(&eig.eigenvalues.map(|e| 1.0 / e.max(1e-12).sqrt()))
            * eig.eigenvectors.transpose();
        let target = chol(&p.cov(h));
        let y = x * inv_sqrt * target.transpose();
        loads.extend((0..size).map(|i| y.row(i).transpose()));
    }
    let sd = 1.0 / (n as f64).sqrt();
    let chi: Vec<f64> = (0..n * n)
        .map(|_| sd * rng.sample::<f64, _>(StandardNormal))
        .collect();
    let dt = p.tau / 20.0;
    let warm = 0.2;
    let sig = session_signal(order, warm);
    let total = warm + order.len() as f64 * trial_len();
    let steps = (total / dt).round() as usize;
    let mut x: Vec<f64> = (0..n)
        .map(|_| rng.sample::<f64, _>(StandardNormal))
        .collect();
    let mut ph = vec![0.0; n];
    let mut acc = vec![vec![0.0f64; order.len()]; 2 * NEURONS];
    let mut kap = vec![0.0f64; order.len()];
    let mut kap_n = vec![0.0f64; order.len()];
    let units: Vec<usize> = (0..NEURONS).chain(half..half + NEURONS).collect();
    for step in 0..steps {
        let t = step as f64 * dt;
        let v = sig.value(t);
        for (y, xi) in ph.iter_mut().zip(&x) {
            *y = xi.tanh();
        }
        let kappa: f64 = loads.iter().zip(&ph).map(|(l, y)| l[1] * y).sum::<f64>() / n as f64;
        let [sa, sb] = p.sens(&v);
        let k = (t - warm) / trial_len();
        if k >= 0.0 && (k as usize) < order.len() {
            let kk = k as usize;
            let t_end = warm + kk as f64 * trial_len() + CTX_LEAD + STIM;
            if t >= t_end - COUNT && t < t_end {
                for (r, &u) in units.iter().enumerate() {
                    acc[r][kk] += p.nu_hz * (1.0 + ph[u]) * dt;
                }
                kap[kk] += kappa;
                kap_n[kk] += 1.0;
            }
        }
        let newx: Vec<f64> = (0..n)
            .map(|i| {
                let row = &chi[i * n..(i + 1) * n];
                let rec: f64 = row.iter().zip(&ph).map(|(a, b)| a * b).sum();
                let l = &loads[i];
                let inp =
                    l[0] * kappa + l[2] * sa + l[3] * sb + p.shift(usize::from(i >= half), &v);
                x[i] + dt / p.tau * (-x[i] + p.g * rec + inp)
            })
            .collect();
        x = newx;
    }
    let mut prng = Xoshiro256PlusPlus::seed_from_u64(SEED + 100);
    let mut resp = Vec::new();
    for row in &acc {
        let mut by_cond = vec![Vec::new(); 18];
        for (k, &c) in order.iter().enumerate() {
            let lam = row[k].max(1e-12);
            let d = Poisson::new(lam).map_err(|e| format!("Poisson({lam}): {e}"))?;
            by_cond[c].push(prng.sample::<f64, _>(d) / COUNT);
        }
        resp.push(by_cond);
    }
    let mut kappa = vec![Vec::new(); 18];
    for (k, &c) in order.iter().enumerate() {
        kappa[c].push(kap[k] / kap_n[k].max(1.0));
    }
    let means: Vec<f64> = (0..2)
        .map(|h| {
            let r = h * half..(h + 1) * half;
            loads[r].iter().map(|l| l[1] * l[0]).sum::<f64>() / half as f64
        })
        .collect();
    Ok((
        SimOut {
            resp,
            kappa,
            cpu_s: t0.elapsed().as_secs_f64(),
        },
        means,
    ))
}

/// Rate-network parameters matched to the balanced network (docs/theory.md 12.6).
fn match_rate(gain_ratio: f64, slope: f64, latent_ratio: f64, nu_hz: f64) -> RateParams {
    let corr_nm = presets::CONTEXT_SIGMA_NM / (20.0 * 1.5);
    let corr_nw = 9.0 / (1.5 * 10.0);
    let mut p = RateParams {
        g: 0.5,
        tau: 0.1,
        sigma_m: 1.0,
        sigma_n: 1.0,
        sigma_w: 0.5,
        sigma_nm: corr_nm,
        sigma_nw: corr_nw * 0.5,
        ctx_shift: 1.0,
        coh_scale: 1.0,
        nu_hz,
    };
    let ctx_a = [0.0, 0.0, 1.0, 0.0];
    // context shift: <phi'> of the irrelevant half / relevant half = the balanced gain ratio
    let (mut lo, mut hi) = (0.0, 10.0);
    for _ in 0..60 {
        p.ctx_shift = 0.5 * (lo + hi);
        let (_, _, gn) = rate_map(&p, 0.0, &ctx_a);
        if gn[1] / gn[0] > gain_ratio {
            lo = p.ctx_shift;
        } else {
            hi = p.ctx_shift;
        }
    }
    // dG/dk = sigma_nm mean <phi'> = slope; n scaled with corr(n, m) kept
    let (_, _, gn) = rate_map(&p, 0.0, &ctx_a);
    p.sigma_nm = slope / (0.5 * (gn[0] + gn[1]));
    p.sigma_n = p.sigma_nm / (corr_nm * p.sigma_m);
    p.sigma_nw = corr_nw * p.sigma_n * p.sigma_w;
    // coherence scale: latent input at the end of the strongest trial relative to the
    // random input, as in the balanced network
    // context A, coh_A = 0.2, coh_B = 0
    let c_top = 2 * 3 + 1;
    for _ in 0..6 {
        let (k, v) = rate_trial_theory(&p, c_top);
        let (_, dr, _) = rate_map(&p, k, &v);
        let r = p.sigma_m * k.abs() / dr.sqrt();
        p.coh_scale *= (latent_ratio / r).clamp(0.2, 5.0);
    }
    p
}

#[derive(Serialize)]
struct Measures {
    mean_rate_hz: f64,
    anova_interaction: f64,
    anova_ctx_x_coh_a: f64,
    anova_ctx_x_coh_b: f64,
    anova_coh_a_x_coh_b: f64,
    anova_triple: f64,
    anova_linear_mixed: f64,
    anova_pure: f64,
    anova_non_selective: f64,
    tuned_fraction: f64,
    nonmonotonic_of_tuned: f64,
    asymmetric_of_tuned: f64,
    participation_ratio: f64,
    shattering: f64,
    cover_dimension: usize,
    implementable: usize,
    ccgp_context: f64,
    ccgp_sign_a: f64,
    ccgp_sign_b: f64,
    abstract_dichotomies: usize,
}

fn measure(data: &[Vec<Vec<f64>>]) -> Res<Measures> {
    let resp = Responses::new(data.to_vec())?;
    let an = three_way_anova(&resp, [2, 3, 3], ALPHA)?;
    let (mut tuned, mut nonmono, mut asym, mut curves) = (0.0, 0.0, 0.0, 0.0);
    for ctx in 0..2 {
        for other in 0..3 {
            for var in 0..2 {
                let order: Vec<usize> = (0..3)
                    .map(|lv| {
                        if var == 0 {
                            (ctx * 3 + lv) * 3 + other
                        } else {
                            (ctx * 3 + other) * 3 + lv
                        }
                    })
                    .collect();
                let sh = tuning_shape(&resp, &order, ALPHA)?;
                for n in &sh.neurons {
                    curves += 1.0;
                    if n.tuned {
                        tuned += 1.0;
                        nonmono += f64::from(u8::from(n.nonmonotonic));
                        asym += f64::from(u8::from(n.asymmetric));
                    }
                }
            }
        }
    }
    let means = resp.condition_means();
    let pr = participation_ratio_of_means(&means)?;
    // corners: context x coh_A = +-0.2 x coh_B = +-0.2 -> 8 conditions, c8 = ctx 4 + a 2 + b
    let corners: Vec<usize> = (0..8)
        .map(|i| ((i / 4) * 3 + 2 * ((i / 2) % 2)) * 3 + 2 * (i % 2))
        .collect();
    let sub: Vec<Vec<Vec<f64>>> = data
        .iter()
        .map(|n| corners.iter().map(|&c| n[c].clone()).collect())
        .collect();
    let r8 = Responses::new(sub)?;
    let opts = DecodeOptions::default();
    let sh = shattering_dimensionality(&r8, &opts)?;
    let cov = cover_dimension(&r8, &opts)?;
    let cc = ccgp(&r8, &opts)?;
    let find = |pos: &[usize]| {
        cc.dichotomies
            .iter()
            .find(|d| d.positive == pos)
            .map_or(f64::NAN, |d| d.accuracy)
    };
    let all: Vec<f64> = data.iter().flatten().flatten().copied().collect();
    Ok(Measures {
        mean_rate_hz: all.iter().sum::<f64>() / all.len() as f64,
        anova_interaction: an.fraction_interaction,
        anova_ctx_x_coh_a: an.fraction_pairs[0],
        anova_ctx_x_coh_b: an.fraction_pairs[1],
        anova_coh_a_x_coh_b: an.fraction_pairs[2],
        anova_triple: an.fraction_triple,
        anova_linear_mixed: an.fraction_linear_mixed,
        anova_pure: an.fraction_pure,
        anova_non_selective: an.fraction_non_selective,
        tuned_fraction: tuned / curves,
        nonmonotonic_of_tuned: nonmono / tuned.max(1.0),
        asymmetric_of_tuned: asym / tuned.max(1.0),
        participation_ratio: pr.ratio,
        shattering: sh.mean_accuracy,
        cover_dimension: cov.dimension,
        implementable: cov.implementable,
        // positive sets are listed without condition 0 (complements): context B = 4..8,
        // coh_A > 0 = {2, 3, 6, 7}, coh_B > 0 = odd
        ccgp_context: find(&[4, 5, 6, 7]),
        ccgp_sign_a: find(&[2, 3, 6, 7]),
        ccgp_sign_b: find(&[1, 3, 5, 7]),
        abstract_dichotomies: cc.dichotomies.iter().filter(|d| d.accuracy >= 0.9).count(),
    })
}

#[derive(Serialize)]
struct ModelRow {
    model: String,
    theory: Measures,
    /// Theory with the simulated count Fano factor instead of Poisson counts.
    theory_fano_matched: Measures,
    /// Theory (simulated Fano factor) evaluated at the simulated trial-mean `kappa` of
    /// each condition instead of the theory's (spiking networks): how much of the
    /// difference to the simulation is the latent state's.
    #[serde(skip_serializing_if = "Option::is_none")]
    theory_at_sim_kappa: Option<Measures>,
    /// Median count Fano factor of the simulated responses (cells with mean count > 1).
    sim_fano_median: f64,
    simulation: Measures,
    theory_kappa: Vec<f64>,
    sim_kappa_mean: Vec<f64>,
    sim_kappa_sem: Vec<f64>,
    sim_cpu_s: f64,
}

fn row(
    name: &str,
    th_means: &[Vec<f64>],
    th_kappa: Vec<f64>,
    sim: &SimOut,
    trials: usize,
    at_sim_kappa: Option<&[Vec<f64>]>,
) -> Res<ModelRow> {
    let th = poisson_trials(th_means, trials, 5, 1.0)?;
    let fano = median_fano(&sim.resp);
    let th_f = poisson_trials(th_means, trials, 5, fano)?;
    let (km, ks): (Vec<f64>, Vec<f64>) = sim.kappa.iter().map(|v| mean_sem(v)).unzip();
    Ok(ModelRow {
        model: name.into(),
        theory: measure(&th)?,
        theory_fano_matched: measure(&th_f)?,
        theory_at_sim_kappa: match at_sim_kappa {
            Some(m) => Some(measure(&poisson_trials(m, trials, 5, fano)?)?),
            None => None,
        },
        sim_fano_median: fano,
        simulation: measure(&sim.resp)?,
        theory_kappa: th_kappa,
        sim_kappa_mean: km,
        sim_kappa_sem: ks,
        sim_cpu_s: sim.cpu_s,
    })
}

/// Median over neurons and conditions (mean count above 1) of the count Fano factor.
fn median_fano(resp: &[Vec<Vec<f64>>]) -> f64 {
    let mut f: Vec<f64> = resp
        .iter()
        .flatten()
        .filter_map(|trials| {
            let c: Vec<f64> = trials.iter().map(|r| r * COUNT).collect();
            let m = c.iter().sum::<f64>() / c.len() as f64;
            let v = c.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (c.len() - 1) as f64;
            (m > 1.0).then_some(v / m)
        })
        .collect();
    f.sort_by(f64::total_cmp);
    if f.is_empty() { 1.0 } else { f[f.len() / 2] }
}

fn main() -> Res<()> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let out = PathBuf::from(a.first().map_or("out/context_selectivity", String::as_str));
    let trials: usize = a.get(1).map_or(Ok(8), |s| s.parse())?;
    if trials < 5 {
        return Err("trials must be >= 5 (5-fold cross-validation)".into());
    }
    std::fs::create_dir_all(&out)?;
    let start = Instant::now();
    let bal = presets::context_integration(presets::CONTEXT_SIGMA_NM, presets::CONTEXT_SHIFT_MV);
    let unb = unbalanced(&bal)?;
    let s_a = [0.0, 0.0, 1.0, 0.0];
    let st_b = stationary::solve(&bal, Limit::Finite, &[0.0], &s_a, None)?;
    let st_u = stationary::solve(&unb, Limit::Finite, &[0.0], &s_a, None)?;
    let slope = reduced_jacobian(&bal, Limit::Finite, &st_b)?[(0, 0)];
    let slope_u = reduced_jacobian(&unb, Limit::Finite, &st_u)?[(0, 0)];
    let describe = |name: &str, m: &Model, st: &balnet::theory::State| {
        let p = &st.populations;
        println!(
            "{name}: J_EE {:.2} mV, J_E0 {:.2} mV, nu_0 {:.2} Hz, Sigma_nm {:.2} mV, beta_ext {:.1}/{:.1} mV^2; context A, kappa 0: rates {:.2}/{:.2}/{:.2} Hz, mu {:.2}/{:.2}/{:.2} mV, sigma {:.2}/{:.2} mV, beta {:.1}/{:.1} mV^2, gains {:.3}/{:.3} Hz/mV",
            m.j[0][0],
            m.populations[0].j_ext,
            m.external.nu0,
            m.latent
                .as_ref()
                .map_or(0.0, |l| l.loadings[0].sigma_nm[0][0]),
            m.populations[0].beta_ext,
            m.populations[2].beta_ext,
            p[0].rate_hz,
            p[1].rate_hz,
            p[2].rate_hz,
            p[0].mu_mv,
            p[1].mu_mv,
            p[2].mu_mv,
            p[0].sigma_mv,
            p[1].sigma_mv,
            p[0].quenched_var_mv2,
            p[1].quenched_var_mv2,
            p[0].gain_hz_per_mv,
            p[1].gain_hz_per_mv,
        );
    };
    describe("balanced", &bal, &st_b);
    describe("unbalanced", &unb, &st_u);
    println!("dG/dkappa at kappa = 0, context A: balanced {slope:.3}, unbalanced {slope_u:.3}");
    if std::env::var_os("CONTEXT_SELECTIVITY_PROBE").is_some() {
        return Ok(());
    }

    // theory of the spiking networks
    let (th_b, k_b) = theory_means(&bal)?;
    let (th_u, k_u) = theory_means(&unb)?;
    let e = &st_b.populations;
    let gain_ratio = e[1].gain_hz_per_mv / e[0].gain_hz_per_mv;
    let tau_m = bal.populations[0].tau_m;
    let c_top = 2 * 3 + 1;
    let latent_ratio = tau_m * 20.0 * k_b[c_top].abs() / e[0].quenched_var_mv2.sqrt();
    let rp = match_rate(gain_ratio, slope, latent_ratio, e[0].rate_hz);
    println!("rate network: {rp:?}");
    let rstates: Vec<(f64, Vec<f64>)> = (0..18).map(|c| rate_trial_theory(&rp, c)).collect();
    let th_r = rate_theory_means(&rp, &rstates);
    let k_r: Vec<f64> = rstates.iter().map(|s| s.0).collect();
    println!("theory done ({:.0} s)", start.elapsed().as_secs_f64());

    // simulations: the two spiking networks on one core each, then the rate network
    let order = schedule(trials);
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_message(format!(
        "simulating 2 spiking networks, {} trials of {} s each",
        order.len(),
        trial_len()
    ));
    bar.enable_steady_tick(std::time::Duration::from_millis(500));
    // the simulations are cached in out_dir (delete `sim_cache.json` to re-run them)
    let cache = out.join("sim_cache.json");
    let (sb, su): (SimOut, SimOut) = match read_cache(&cache, trials) {
        Some(c) => c,
        None => {
            let (sb, su) = std::thread::scope(|sc| {
                let hb = sc.spawn(|| simulate_session(&bal, &order).map_err(|e| e.to_string()));
                let hu = sc.spawn(|| simulate_session(&unb, &order).map_err(|e| e.to_string()));
                (hb.join(), hu.join())
            });
            bar.finish_and_clear();
            let sb = sb.map_err(|_| "balanced simulation panicked")??;
            let su = su.map_err(|_| "unbalanced simulation panicked")??;
            println!(
                "spiking simulations done ({:.0} s)",
                start.elapsed().as_secs_f64()
            );
            std::fs::write(
                &cache,
                serde_json::to_string(&serde_json::json!({
                    "trials": trials, "balanced": sb, "unbalanced": su
                }))?,
            )?;
            (sb, su)
        }
    };
    let (sr, overlap) = rate_simulate(&rp, 1000, &order)?;
    println!(
        "rate simulation done ({:.0} s); sample m.n per half {overlap:?}",
        start.elapsed().as_secs_f64()
    );
    bar.finish_and_clear();

    // the theory at the simulated latent states
    let sim_kappa = |o: &SimOut| -> Vec<f64> {
        o.kappa
            .iter()
            .map(|v| v.iter().sum::<f64>() / v.len() as f64)
            .collect()
    };
    let at_b = neuron_rates(&bal, &sim_kappa(&sb))?;
    let at_u = neuron_rates(&unb, &sim_kappa(&su))?;
    let rows = vec![
        row("balanced spiking", &th_b, k_b, &sb, trials, Some(&at_b))?,
        row("unbalanced spiking", &th_u, k_u, &su, trials, Some(&at_u))?,
        row("M&O rate network", &th_r, k_r, &sr, trials, None)?,
    ];
    print_table(&rows);
    std::fs::write(
        out.join("context_selectivity.json"),
        serde_json::to_string_pretty(&serde_json::json!({
            "coherences": COH,
            "conditions": "c = (context 3 + level of coh_A) 3 + level of coh_B; context 0 = A",
            "trials_per_condition": trials,
            "count_window_s": COUNT,
            "trial_s": {"context_lead": CTX_LEAD, "stimulus": STIM, "reset": RESET},
            "neurons_per_model": 2 * NEURONS,
            "alpha": ALPHA,
            "unbalanced_coupling_factor": EPS,
            "unbalanced_model": unb,
            "rate_network": rp,
            "dg_dkappa": {"balanced": slope, "unbalanced": slope_u},
            "rows": rows,
            "wall_s": start.elapsed().as_secs_f64(),
        }))?,
    )?;
    plot::save(&out.join("context_selectivity"), &panels(&rows))?;
    println!(
        "wrote {} ({:.0} s)",
        out.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

fn read_cache(path: &std::path::Path, trials: usize) -> Option<(SimOut, SimOut)> {
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    if v["trials"].as_u64()? as usize != trials {
        return None;
    }
    fn get<T: DeserializeOwned>(v: &serde_json::Value) -> Option<T> {
        serde_json::from_value(v.clone()).ok()
    }
    Some((get(&v["balanced"])?, get(&v["unbalanced"])?))
}

fn print_table(rows: &[ModelRow]) {
    print!("{:<28}", "measure");
    for r in rows {
        let short = &r.model[..r.model.len().min(10)];
        print!("{:>13}{:>8}{:>8}", format!("{short} th"), "th F", "sim");
    }
    println!();
    let line = |name: &str, f: &dyn Fn(&Measures) -> String| {
        print!("{name:<28}");
        for r in rows {
            print!(
                "{:>13}{:>8}{:>8}",
                f(&r.theory),
                f(&r.theory_fano_matched),
                f(&r.simulation)
            );
        }
        println!();
    };
    line("mean rate (Hz)", &|m| format!("{:.2}", m.mean_rate_hz));
    line("ANOVA any interaction", &|m| {
        format!("{:.3}", m.anova_interaction)
    });
    line("  context x coh A", &|m| {
        format!("{:.3}", m.anova_ctx_x_coh_a)
    });
    line("  context x coh B", &|m| {
        format!("{:.3}", m.anova_ctx_x_coh_b)
    });
    line("  coh A x coh B", &|m| {
        format!("{:.3}", m.anova_coh_a_x_coh_b)
    });
    line("  three-way", &|m| format!("{:.3}", m.anova_triple));
    line("ANOVA linear mixed", &|m| {
        format!("{:.3}", m.anova_linear_mixed)
    });
    line("ANOVA pure", &|m| format!("{:.3}", m.anova_pure));
    line("ANOVA non-selective", &|m| {
        format!("{:.3}", m.anova_non_selective)
    });
    line("tuned (of curves)", &|m| format!("{:.3}", m.tuned_fraction));
    line("non-monotonic (of tuned)", &|m| {
        format!("{:.3}", m.nonmonotonic_of_tuned)
    });
    line("asymmetric (of tuned)", &|m| {
        format!("{:.3}", m.asymmetric_of_tuned)
    });
    line("participation ratio (18)", &|m| {
        format!("{:.2}", m.participation_ratio)
    });
    line("shattering (8 corners)", &|m| {
        format!("{:.3}", m.shattering)
    });
    line("Cover dimension", &|m| {
        format!("{} ({})", m.cover_dimension, m.implementable)
    });
    line("CCGP context", &|m| format!("{:.3}", m.ccgp_context));
    line("CCGP sign coh A", &|m| format!("{:.3}", m.ccgp_sign_a));
    line("CCGP sign coh B", &|m| format!("{:.3}", m.ccgp_sign_b));
    line("CCGP >= 0.9 (of 35)", &|m| {
        format!("{}", m.abstract_dichotomies)
    });
    for r in rows {
        if let Some(m) = &r.theory_at_sim_kappa {
            println!(
                "{} theory (Fano) at the simulated kappa: interaction {:.3}, ctx x A {:.3}, ctx x B {:.3}, A x B {:.3}, three-way {:.3}, tuned {:.3}, non-monotonic {:.3}, asymmetric {:.3}, PR {:.2}, shattering {:.3}, CCGP A {:.3}, B {:.3}",
                r.model,
                m.anova_interaction,
                m.anova_ctx_x_coh_a,
                m.anova_ctx_x_coh_b,
                m.anova_coh_a_x_coh_b,
                m.anova_triple,
                m.tuned_fraction,
                m.nonmonotonic_of_tuned,
                m.asymmetric_of_tuned,
                m.participation_ratio,
                m.shattering,
                m.ccgp_sign_a,
                m.ccgp_sign_b
            );
        }
    }
    for r in rows {
        println!(
            "{}: simulated count Fano factor (median) {:.3}; sim CPU {:.0} s",
            r.model, r.sim_fano_median, r.sim_cpu_s
        );
    }
}

fn panels(rows: &[ModelRow]) -> Vec<Panel> {
    let frac = |m: &Measures| {
        vec![
            m.anova_interaction,
            m.anova_ctx_x_coh_a,
            m.anova_ctx_x_coh_b,
            m.nonmonotonic_of_tuned,
            m.asymmetric_of_tuned,
            m.shattering,
            m.ccgp_context,
            m.ccgp_sign_a,
        ]
    };
    let (mut s1, mut s2, mut s3) = (Vec::new(), Vec::new(), Vec::new());
    for (i, r) in rows.iter().enumerate() {
        let dx = -0.25 + 0.25 * i as f64;
        for (what, m, col, off) in [
            (
                "theory (simulated Fano factor)",
                &r.theory_fano_matched,
                2 * i,
                -0.04,
            ),
            ("simulation", &r.simulation, 2 * i + 1, 0.04),
        ] {
            let pts: Vec<(f64, f64)> = frac(m)
                .into_iter()
                .enumerate()
                .map(|(k, v)| (1.0 + k as f64 + dx + off, v))
                .collect();
            s1.push(Series::new(
                format!("{}, {what}", r.model),
                pts,
                Style::Points,
                col,
            ));
            s2.push(Series::new(
                format!("{}, {what}", r.model),
                vec![
                    (1.0 + dx + off, m.participation_ratio),
                    (2.0 + dx + off, m.cover_dimension as f64),
                ],
                Style::Points,
                col,
            ));
        }
        let scale = r
            .theory_kappa
            .iter()
            .fold(0.0f64, |a, &k| a.max(k.abs()))
            .max(1e-12);
        s3.push(Series::new(
            format!("{} (scale {:.2})", r.model, scale),
            r.theory_kappa
                .iter()
                .zip(&r.sim_kappa_mean)
                .map(|(t, s)| (t / scale, s / scale))
                .collect(),
            Style::Points,
            2 * i + 1,
        ));
    }
    s3.push(Series::new(
        "simulation = theory",
        vec![(-1.1, -1.1), (1.1, 1.1)],
        Style::ThinLine,
        6,
    ));
    vec![
        Panel {
            title: "Mixed selectivity in the context task, 300 E neurons per network".into(),
            x_label: "1 interaction, 2 ctx x coh A, 3 ctx x coh B, 4 non-monotonic, 5 asymmetric, 6 shattering, 7-8 CCGP ctx, sign A".into(),
            y_label: "fraction of neurons / accuracy".into(),
            series: s1,
            y_range: Some((0.0, 1.05)),
            ..Default::default()
        },
        Panel {
            title: "Dimensionality of the responses".into(),
            x_label: "1: participation ratio of the 18 condition means, 2: Cover dimension of the 8 corners".into(),
            y_label: "dimension".into(),
            series: s2,
            y_range: Some((0.0, 10.5)),
            ..Default::default()
        },
        Panel {
            title: "Readout kappa in the count window, 18 conditions (trial means)".into(),
            x_label: "theory kappa / its largest |value| (the scale in the legend: Hz; rate network: units of n)".into(),
            y_label: "simulated kappa / same scale".into(),
            series: s3,
            ..Default::default()
        },
    ]
}
