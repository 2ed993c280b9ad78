//! Network construction from a [`Model`] and a seed (docs/theory.md section 1).
//!
//! Neurons are numbered population by population. Connections are drawn per
//! postsynaptic neuron from its own random stream (so the network does not depend on
//! the number of threads), then transposed into a compressed sparse row (CSR) table
//! by *source*: each presynaptic neuron owns one contiguous run of `u32` targets,
//! grouped by (postsynaptic population, delay in steps). Within a group every
//! synapse has the same fast weight `J_AB / sqrt(K)` and the same delay, so neither
//! is stored per synapse: the delivery loop is a bare scatter `ring[row + target] += w`.
//!
//! Delays are whole multiples of `dt` (as in NEST): a fixed delay `d` becomes
//! `round(d / dt)` steps; uniform delays in `[min, max]` are drawn uniformly from the
//! integer step counts in `[round(min/dt), round(max/dt)]` (for the default
//! [0.5, 2.5] ms at dt = 0.1 ms: 21 equally likely values, mean 1.5 ms).

use rayon::prelude::*;

use super::rng::{SimRng, Stream, below, normal, stream, uniform};
use crate::error::{Error, Result};
use crate::model::{Connectivity, Delay, Loadings, Model};

/// The built network: connectivity, delays, per-neuron loadings and bias currents.
#[derive(Clone, Debug)]
pub struct Network {
    /// Total number of neurons.
    pub n: usize,
    /// First neuron of each population, plus `n` at the end (length P + 1).
    pub pop_start: Vec<usize>,
    /// Population of each neuron.
    pub pop_of: Vec<u8>,
    /// Smallest delay in steps (>= 1).
    pub delay_min_steps: usize,
    /// Number of distinct delay values (delay steps `delay_min_steps .. + n_delays`).
    pub n_delays: usize,
    /// Targets of all sources, grouped per source by (post population, delay).
    pub targets: Vec<u32>,
    /// Group offsets into `targets`: group `g = a * n_delays + k` of source `j`
    /// spans `group_off[j * G + g] .. group_off[j * G + g + 1]`, `G = P * n_delays`.
    pub group_off: Vec<u32>,
    /// Fast jump `J_AB / sqrt(K)` (mV), `[post a][pre b]`.
    pub jump: Vec<Vec<f64>>,
    /// Latent dimension `D`.
    pub d: usize,
    /// Input dimension `D_in`.
    pub d_in: usize,
    /// Loadings `m_i` (mV), `n * D` row-major.
    pub m: Vec<f64>,
    /// Loadings `n_i` (dimensionless), `n * D`.
    pub nl: Vec<f64>,
    /// Input loadings `w_i` (mV), `n * D_in`.
    pub w: Vec<f64>,
    /// Frozen bias current `sqrt(beta_ext,A) z_i` (mV).
    pub bias: Vec<f64>,
    /// Whether any population carries structure (`D > 0` and some `n_j != 0`).
    pub has_slow: bool,
    /// Positions in `targets` whose structured part is removed (`clip_dale`), sorted.
    pub clipped: Vec<u32>,
    /// Connections whose fast plus structured weight breaks Dale's law (see [`dale_violates`]).
    pub dale_violations: u64,
    /// Loading means and covariances actually drawn, per population.
    pub loading_moments: Vec<Loadings>,
}

impl Network {
    /// Number of populations.
    pub fn p(&self) -> usize {
        self.pop_start.len() - 1
    }
    /// Number of groups per source.
    pub fn groups(&self) -> usize {
        self.p() * self.n_delays
    }
    /// Number of synapses.
    pub fn n_synapses(&self) -> usize {
        self.targets.len()
    }
    /// Bytes of connectivity storage per synapse (targets, group offsets, clip list).
    pub fn bytes_per_synapse(&self) -> f64 {
        let bytes = self.targets.len() * 4 + self.group_off.len() * 4 + self.clipped.len() * 4;
        bytes as f64 / self.targets.len().max(1) as f64
    }
    /// Largest delay in steps.
    pub fn delay_max_steps(&self) -> usize {
        self.delay_min_steps + self.n_delays - 1
    }
}

/// Whether a connection of fast jump `jump` (mV) and structured weight `m_i . n_j / K`
/// (mV) breaks Dale's law.
///
/// Comparison used: the time integral of the potential change caused by one spike.
/// A fast spike adds `J/sqrt(K)` to V, which then decays with `tau_m`: integral
/// `tau_m J/sqrt(K)`. The structured part adds `tau_m m.n/(K tau_s)` to `I^s`, which
/// decays with `tau_s` and is filtered by the membrane: integral of V is
/// `tau_m m.n / K` as well (`int I^s dt = tau_m m.n/K`, and the membrane filter has unit
/// area). So the integrated effects compare exactly as `J/sqrt(K)` vs `m.n/K`, and the
/// natural definition is `sign(J/sqrt(K) + m.n/K) != sign(J)`. (The peak effects differ
/// by the factor `tau_m/(tau_s + tau_m)`-ish smoothing of the slow part; the total
/// charge is the quantity Dale's law constrains.)
pub fn dale_violates(jump: f64, structured: f64) -> bool {
    jump != 0.0 && (jump + structured) * jump.signum() < 0.0
}

/// Delay of a connection in steps, from the connection's stream.
fn delay_steps(delay: &Delay, dt: f64, rng: &mut SimRng) -> usize {
    match *delay {
        Delay::Fixed { d } => steps(d, dt),
        Delay::Uniform { min, max } => {
            let (lo, hi) = (steps(min, dt), steps(max, dt));
            lo + below(rng, (hi - lo + 1) as u64) as usize
        }
    }
}

fn steps(t: f64, dt: f64) -> usize {
    ((t / dt).round() as usize).max(1)
}

/// Build the network of `model` with `model.sim.seed`.
pub fn build(model: &Model) -> Result<Network> {
    model.validate()?;
    let p = model.p();
    if p > 255 {
        return Err(Error::invalid(
            "populations",
            p,
            "the simulator supports at most 255 populations",
        ));
    }
    let mut pop_start = vec![0usize];
    for pop in &model.populations {
        pop_start.push(pop_start.last().unwrap() + pop.n);
    }
    let n = pop_start[p];
    if n >= u32::MAX as usize {
        return Err(Error::invalid(
            "populations.n",
            n,
            "total size must fit in u32",
        ));
    }
    let mut pop_of = vec![0u8; n];
    for a in 0..p {
        pop_of[pop_start[a]..pop_start[a + 1]].fill(a as u8);
    }
    let dt = model.sim.dt;
    let seed = model.sim.seed;
    let dmin = steps(model.delay.min(), dt);
    let dmax = steps(model.delay.max(), dt);
    let n_delays = dmax - dmin + 1;
    if dmax > 60_000 {
        return Err(Error::invalid(
            "delay",
            model.delay.max(),
            "more than 60000 steps of delay",
        ));
    }

    // 1. Incoming connections per target: (source, delay index).
    let incoming: Vec<Vec<(u32, u16)>> = (0..n)
        .into_par_iter()
        .map_init(
            || vec![false; n],
            |scratch, i| incoming_of(model, &pop_start, i, dmin, scratch),
        )
        .collect();

    // 2. Loadings and bias.
    let (d, d_in) = (model.d(), model.d_in());
    let mut m = vec![0.0; n * d];
    let mut nl = vec![0.0; n * d];
    let mut w = vec![0.0; n * d_in];
    let mut loading_moments = Vec::with_capacity(p);
    for a in 0..p {
        let ld = model.loadings(a);
        let (s, e) = (pop_start[a], pop_start[a + 1]);
        let x = draw_loadings(&ld, e - s, seed, a, model.sim.exact_loadings)?;
        let dim = 2 * d + d_in;
        for (k, row) in x.chunks(dim.max(1)).enumerate().take(e - s) {
            if dim == 0 {
                break;
            }
            let i = s + k;
            m[i * d..(i + 1) * d].copy_from_slice(&row[..d]);
            nl[i * d..(i + 1) * d].copy_from_slice(&row[d..2 * d]);
            w[i * d_in..(i + 1) * d_in].copy_from_slice(&row[2 * d..]);
        }
        loading_moments.push(moments(
            &m[s * d..e * d],
            &nl[s * d..e * d],
            &w[s * d_in..e * d_in],
            d,
            d_in,
        ));
    }
    let has_slow = d > 0 && nl.iter().any(|&v| v != 0.0) && m.iter().any(|&v| v != 0.0);
    let bias: Vec<f64> = (0..n)
        .map(|i| {
            let beta = model.populations[pop_of[i] as usize].beta_ext;
            if beta > 0.0 {
                let mut rng = stream(seed, Stream::Initial, i as u64);
                let _v0 = uniform(&mut rng); // the first deviate is the initial potential
                beta.sqrt() * normal(&mut rng)
            } else {
                0.0
            }
        })
        .collect();

    // 3. Transpose to CSR by source, grouped by (post population, delay).
    let g = p * n_delays;
    let mut count = vec![0u32; n * g + 1];
    for (i, inc) in incoming.iter().enumerate() {
        let a = pop_of[i] as usize;
        for &(j, k) in inc {
            count[j as usize * g + a * n_delays + k as usize] += 1;
        }
    }
    let total: u64 = count.iter().map(|&c| c as u64).sum();
    if total >= u32::MAX as u64 {
        return Err(Error::invalid(
            "k",
            model.k,
            "more than 4e9 synapses: too large for u32 offsets",
        ));
    }
    let mut group_off = vec![0u32; n * g + 1];
    let mut acc = 0u32;
    for (o, &c) in group_off.iter_mut().zip(count.iter()) {
        *o = acc;
        acc += c;
    }
    group_off[n * g] = acc;
    let mut fill: Vec<u32> = group_off.clone();
    let mut targets = vec![0u32; acc as usize];
    for (i, inc) in incoming.iter().enumerate() {
        let a = pop_of[i] as usize;
        for &(j, k) in inc {
            let slot = &mut fill[j as usize * g + a * n_delays + k as usize];
            targets[*slot as usize] = i as u32;
            *slot += 1;
        }
    }
    drop(incoming);

    let jump: Vec<Vec<f64>> = (0..p)
        .map(|a| (0..p).map(|b| model.jump(a, b)).collect())
        .collect();

    // 4. Dale's law with the structured weights.
    let mut dale_violations = 0u64;
    let mut clipped = Vec::new();
    if has_slow {
        let kk = model.k;
        for j in 0..n {
            let b = pop_of[j] as usize;
            let nj = &nl[j * d..(j + 1) * d];
            for a in 0..p {
                let lo = group_off[j * g + a * n_delays] as usize;
                let hi = group_off[j * g + (a + 1) * n_delays] as usize;
                for pos in lo..hi {
                    let i = targets[pos] as usize;
                    let mi = &m[i * d..(i + 1) * d];
                    let s: f64 = mi.iter().zip(nj).map(|(x, y)| x * y).sum::<f64>() / kk;
                    if dale_violates(jump[a][b], s) {
                        dale_violations += 1;
                        if model.sim.clip_dale {
                            clipped.push(pos as u32);
                        }
                    }
                }
            }
        }
    }

    Ok(Network {
        n,
        pop_start,
        pop_of,
        delay_min_steps: dmin,
        n_delays,
        targets,
        group_off,
        jump,
        d,
        d_in,
        m,
        nl,
        w,
        bias,
        has_slow,
        clipped,
        dale_violations,
        loading_moments,
    })
}

/// Incoming connections of neuron `i`: (source, delay index), from the neuron's stream.
fn incoming_of(
    model: &Model,
    pop_start: &[usize],
    i: usize,
    dmin: usize,
    scratch: &mut [bool],
) -> Vec<(u32, u16)> {
    let mut rng = stream(model.sim.seed, Stream::Connections, i as u64);
    let dt = model.sim.dt;
    let mut out: Vec<(u32, u16)> = Vec::with_capacity((model.k * 1.3) as usize + 8);
    let p = model.p();
    for b in 0..p {
        let (s, e) = (pop_start[b], pop_start[b + 1]);
        let nb = e - s;
        let own = i >= s && i < e;
        let before = out.len();
        match model.connectivity {
            Connectivity::Bernoulli => {
                let pb = model.p_conn(b).min(1.0);
                if pb >= 1.0 {
                    out.extend((s..e).filter(|&j| j != i).map(|j| (j as u32, 0)));
                } else if pb > 0.0 {
                    // Geometric skipping: the gap to the next existing connection is
                    // Geometric(p), drawn by inversion.
                    let ln_q = (1.0 - pb).ln();
                    let mut j = s as f64 - 1.0;
                    loop {
                        let u = 1.0 - uniform(&mut rng); // in (0, 1]
                        j += 1.0 + (u.ln() / ln_q).floor();
                        if j >= e as f64 {
                            break;
                        }
                        let ju = j as usize;
                        if ju != i {
                            out.push((ju as u32, 0));
                        }
                    }
                }
            }
            Connectivity::FixedIndegree | Connectivity::FixedIndegreeReplacement => {
                let k = model.k_in(b).round() as usize;
                // candidates exclude i itself (no autapses)
                let cand = if own { nb - 1 } else { nb };
                let local = |x: usize| if own && x >= i - s { s + x + 1 } else { s + x };
                if model.connectivity == Connectivity::FixedIndegreeReplacement {
                    if cand > 0 {
                        for _ in 0..k {
                            out.push((local(below(&mut rng, cand as u64) as usize) as u32, 0));
                        }
                    }
                } else {
                    let k = k.min(cand);
                    // Floyd's algorithm: k distinct of `cand`, with a scratch membership table.
                    for t in (cand - k)..cand {
                        let r = below(&mut rng, t as u64 + 1) as usize;
                        let pick = if scratch[r] { t } else { r };
                        scratch[pick] = true;
                        out.push((local(pick) as u32, 0));
                    }
                    for x in &out[before..] {
                        // undo the membership marks (map back to the candidate index)
                        let j = x.0 as usize;
                        let c = if own && j > i { j - s - 1 } else { j - s };
                        scratch[c] = false;
                    }
                }
            }
        }
        // Delays, in the same stream, after the partners of this population.
        for x in &mut out[before..] {
            x.1 = (delay_steps(&model.delay, dt, &mut rng) - dmin) as u16;
        }
    }
    out
}

/// Draw `count` loading vectors `(m, n, w)` of one population, row-major `count x (2D+D_in)`.
///
/// Sampling: `x = mean + L z`, `L = Q sqrt(max(lambda, 0))` from the symmetric
/// eigendecomposition of the joint covariance, keeping only directions with positive
/// eigenvalue (the covariance may be singular, e.g. `w = 0.09 m` exactly). With
/// `exact`, the `z` are first centred and whitened (sample covariance with divisor
/// `count`), so the sample mean and covariance of the result equal the Model's
/// exactly (to rounding).
pub fn draw_loadings(
    ld: &Loadings,
    count: usize,
    seed: u64,
    pop: usize,
    exact: bool,
) -> Result<Vec<f64>> {
    let mean = ld.joint_mean();
    let dim = mean.len();
    if dim == 0 {
        return Ok(Vec::new());
    }
    let cov = ld.joint_covariance();
    let eig = cov.symmetric_eigen();
    let scale = eig.eigenvalues.iter().fold(0.0f64, |a, &v| a.max(v.abs()));
    let keep: Vec<usize> = (0..dim)
        .filter(|&k| eig.eigenvalues[k] > 1e-12 * scale && scale > 0.0)
        .collect();
    let r = keep.len();
    let mut z = vec![0.0; count * r];
    let mut rng = stream(seed, Stream::Loadings, pop as u64);
    for v in z.iter_mut() {
        *v = normal(&mut rng);
    }
    if exact && r > 0 {
        if count <= r {
            return Err(Error::invalid(
                "sim.exact_loadings",
                true,
                format!(
                    "population {pop} has {count} neurons, too few to match a rank-{r} covariance"
                ),
            ));
        }
        whiten(&mut z, count, r);
    }
    let mut out = vec![0.0; count * dim];
    for i in 0..count {
        let row = &mut out[i * dim..(i + 1) * dim];
        row.copy_from_slice(&mean);
        for (c, &k) in keep.iter().enumerate() {
            let a = eig.eigenvalues[k].sqrt() * z[i * r + c];
            for (q, x) in row.iter_mut().enumerate() {
                *x += eig.eigenvectors[(q, k)] * a;
            }
        }
    }
    Ok(out)
}

/// Centre the `count x r` sample `z` and transform it so its covariance (divisor `count`) is the identity.
fn whiten(z: &mut [f64], count: usize, r: usize) {
    let mut mu = vec![0.0; r];
    for row in z.chunks(r) {
        for (m, &x) in mu.iter_mut().zip(row) {
            *m += x;
        }
    }
    mu.iter_mut().for_each(|m| *m /= count as f64);
    for row in z.chunks_mut(r) {
        for (x, m) in row.iter_mut().zip(&mu) {
            *x -= m;
        }
    }
    let mut s = nalgebra::DMatrix::<f64>::zeros(r, r);
    for row in z.chunks(r) {
        for a in 0..r {
            for b in 0..r {
                s[(a, b)] += row[a] * row[b];
            }
        }
    }
    s /= count as f64;
    let e = s.symmetric_eigen();
    // S^{-1/2} = Q diag(1/sqrt(lambda)) Q^T
    let mut w = nalgebra::DMatrix::<f64>::zeros(r, r);
    for k in 0..r {
        let f = 1.0 / e.eigenvalues[k].max(1e-300).sqrt();
        for a in 0..r {
            for b in 0..r {
                w[(a, b)] += e.eigenvectors[(a, k)] * f * e.eigenvectors[(b, k)];
            }
        }
    }
    let mut tmp = vec![0.0; r];
    for row in z.chunks_mut(r) {
        for (b, t) in tmp.iter_mut().enumerate() {
            *t = (0..r).map(|a| row[a] * w[(a, b)]).sum();
        }
        row.copy_from_slice(&tmp);
    }
}

/// Sample means and covariances (divisor = population size) of drawn loadings.
pub fn moments(m: &[f64], n: &[f64], w: &[f64], d: usize, d_in: usize) -> Loadings {
    let count = if d > 0 {
        m.len() / d
    } else if d_in > 0 {
        w.len() / d_in
    } else {
        0
    };
    let mut l = Loadings::zeros(d, d_in);
    if count == 0 {
        return l;
    }
    let cf = count as f64;
    let mean = |x: &[f64], k: usize, dd: usize| (0..count).map(|i| x[i * dd + k]).sum::<f64>() / cf;
    for k in 0..d {
        l.mbar[k] = mean(m, k, d);
        l.nbar[k] = mean(n, k, d);
    }
    for k in 0..d_in {
        l.wbar[k] = mean(w, k, d_in);
    }
    let cov =
        |x: &[f64], dx: usize, mx: &[f64], y: &[f64], dy: usize, my: &[f64]| -> Vec<Vec<f64>> {
            (0..mx.len())
                .map(|a| {
                    (0..my.len())
                        .map(|b| {
                            (0..count)
                                .map(|i| (x[i * dx + a] - mx[a]) * (y[i * dy + b] - my[b]))
                                .sum::<f64>()
                                / cf
                        })
                        .collect()
                })
                .collect()
        };
    l.sigma_mm = cov(m, d, &l.mbar, m, d, &l.mbar);
    l.sigma_nm = cov(n, d, &l.nbar, m, d, &l.mbar);
    l.sigma_nn = cov(n, d, &l.nbar, n, d, &l.nbar);
    l.sigma_mw = cov(m, d, &l.mbar, w, d_in, &l.wbar);
    l.sigma_nw = cov(n, d, &l.nbar, w, d_in, &l.wbar);
    l.sigma_ww = cov(w, d_in, &l.wbar, w, d_in, &l.wbar);
    l
}
