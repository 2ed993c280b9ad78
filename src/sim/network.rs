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
pub use super::targets::{Targets, TargetsMut};
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
    /// Targets of all sources, grouped per source by (post population, delay), each
    /// group in ascending order (3 bytes per target below 2^24 neurons).
    pub targets: Targets,
    /// Offset of each source's run in `targets` (length `n + 1`).
    pub src_off: Vec<u64>,
    /// Group offsets relative to the source's run, `G + 1` per source (`G = P * n_delays`):
    /// group `g = a * n_delays + k` of source `j` spans
    /// `src_off[j] + group_off[j * (G + 1) + g] .. src_off[j] + group_off[j * (G + 1) + g + 1]`;
    /// see [`Network::group`].
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
    pub clipped: Vec<u64>,
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
    /// Positions in `targets` of group `gi` of source `j`.
    #[inline]
    pub fn group(&self, j: usize, gi: usize) -> std::ops::Range<usize> {
        let base = self.src_off[j];
        let o = &self.group_off[j * (self.groups() + 1) + gi..];
        (base + o[0] as u64) as usize..(base + o[1] as u64) as usize
    }
    /// Positions in `targets` of all connections of source `j`.
    #[inline]
    pub fn source_range(&self, j: usize) -> std::ops::Range<usize> {
        self.src_off[j] as usize..self.src_off[j + 1] as usize
    }
    /// Bytes of connectivity storage (targets, offsets, clip list).
    pub fn connectivity_bytes(&self) -> usize {
        self.targets.storage_bytes()
            + self.src_off.len() * 8
            + self.group_off.len() * 4
            + self.clipped.len() * 8
    }
    /// Bytes of connectivity storage per synapse (targets, offsets, clip list).
    pub fn bytes_per_synapse(&self) -> f64 {
        self.connectivity_bytes() as f64 / self.targets.len().max(1) as f64
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

/// Smallest and largest delay in whole steps of `dt`: `max(round(d / dt), 1)` for each end
/// (a uniform delay draws every integer step count between them with equal probability).
pub fn delay_step_bounds(delay: &Delay, dt: f64) -> (usize, usize) {
    (steps(delay.min(), dt), steps(delay.max(), dt))
}

/// Environment variable overriding the memory limit of the simulator (bytes, e.g. `8e9`).
pub const ENV_MAX_MEMORY: &str = "BALNET_MAX_MEMORY_BYTES";

/// What the network of a Model will occupy, computed from the Model alone (in `f64`, so
/// absurd sizes give large finite or infinite numbers, never an overflow).
#[derive(Clone, Debug, PartialEq)]
pub struct NetworkMemory {
    /// Neurons.
    pub neurons: f64,
    /// Expected number of synapses (exact for fixed in-degree).
    pub synapses: f64,
    /// Bytes per synapse at the peak of the construction.
    pub bytes_per_synapse: f64,
    /// Bytes per neuron at the peak of the construction (offsets, loadings, bias,
    /// bucket starts).
    pub bytes_per_neuron: f64,
}

impl NetworkMemory {
    /// Peak bytes of the construction.
    pub fn total_bytes(&self) -> f64 {
        self.synapses * self.bytes_per_synapse + self.neurons * self.bytes_per_neuron
    }
}

/// Expected in-degree of a neuron of population `a` from population `b`.
pub fn expected_indegree(model: &Model, a: usize, b: usize) -> f64 {
    let nb = model.populations[b].n as f64;
    let cand = if a == b { nb - 1.0 } else { nb };
    let kb = model.k_in(b);
    match model.connectivity {
        Connectivity::Bernoulli => model.p_conn(b).min(1.0) * cand,
        Connectivity::FixedIndegree => kb.round().min(cand),
        Connectivity::FixedIndegreeReplacement => {
            if cand > 0.0 {
                kb.round()
            } else {
                0.0
            }
        }
    }
}

/// The memory the network of `model` will take (see [`NetworkMemory`]).
pub fn memory_estimate(model: &Model) -> NetworkMemory {
    let p = model.p();
    let neurons: f64 = model.populations.iter().map(|q| q.n as f64).sum();
    let synapses: f64 = (0..p)
        .map(|a| {
            let na = model.populations[a].n as f64;
            na * (0..p).map(|b| expected_indegree(model, a, b)).sum::<f64>()
        })
        .sum();
    let dt = model.sim.dt;
    let n_delays =
        ((model.delay.max() / dt).round() - (model.delay.min() / dt).round()).max(0.0) + 1.0;
    let groups = p as f64 * n_delays;
    let (d, d_in) = (model.d() as f64, model.d_in() as f64);
    let threads = rayon::current_num_threads() as f64;
    NetworkMemory {
        neurons,
        synapses,
        // packed target (3 bytes below 2^24 neurons, else 4), plus one construction
        // block of connections (8 bytes each, 1/64 of the network) and, per thread, the
        // chunk it is drawing (1/64 of a block)
        bytes_per_synapse: Targets::width_for(neurons.min(usize::MAX as f64) as usize) as f64
            + 8.0 / BLOCKS as f64
            + threads * 8.0 / (BLOCKS * CHUNKS) as f64,
        // u64 source offset, u32 group offsets, population, bias, loadings, and the
        // block's bucket starts (8 bytes per chunk and range of 1024 sources)
        bytes_per_neuron: 8.0
            + 4.0 * (groups + 1.0)
            + 1.0
            + 8.0
            + 8.0 * (2.0 * d + d_in)
            + 8.0 * CHUNKS as f64 / SOURCE_RANGE as f64,
    }
}

/// The memory the simulator may use (bytes): `BALNET_MAX_MEMORY_BYTES` if set, else the
/// memory available now (`MemAvailable` of `/proc/meminfo`, Linux); `None` if neither
/// can be read (then only allocation failures are caught).
pub fn memory_limit() -> Option<f64> {
    if let Some(v) = std::env::var(ENV_MAX_MEMORY)
        .ok()
        .and_then(|v| v.trim().parse::<f64>().ok())
        .filter(|v| *v > 0.0)
    {
        return Some(v);
    }
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let kb = text
        .lines()
        .find(|l| l.starts_with("MemAvailable:"))?
        .split_whitespace()
        .nth(1)?
        .parse::<f64>()
        .ok()?;
    Some(kb * 1024.0)
}

/// Refuse a network whose construction would need more memory than [`memory_limit`].
fn check_memory(model: &Model) -> Result<()> {
    let m = memory_estimate(model);
    let total = m.total_bytes();
    let limit = memory_limit();
    if !total.is_finite() || limit.is_some_and(|l| total > l) {
        let gib = |b: f64| b / (1u64 << 30) as f64;
        return Err(Error::invalid(
            "populations[].n, k, populations[].c",
            format!("{:.4e} neurons, {:.4e} synapses", m.neurons, m.synapses),
            format!(
                "building the network needs about {:.4e} bytes ({:.3} GiB: {} bytes per synapse, \
                 {:.0} per neuron), more than the limit {} (memory available now, from \
                 /proc/meminfo, or {ENV_MAX_MEMORY}); reduce the populations or the in-degree",
                total,
                gib(total),
                m.bytes_per_synapse,
                m.bytes_per_neuron,
                limit.map_or("(unknown)".to_string(), |l| format!(
                    "{l:.4e} bytes ({:.3} GiB)",
                    gib(l)
                )),
            ),
        ));
    }
    Ok(())
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
    for (a, pop) in model.populations.iter().enumerate() {
        let next = pop_start[a].checked_add(pop.n).ok_or_else(|| {
            Error::invalid(
                format!("populations[{a}].n"),
                pop.n,
                "the total number of neurons overflows a machine word",
            )
        })?;
        pop_start.push(next);
    }
    let n = pop_start[p];
    if n >= u32::MAX as usize {
        return Err(Error::invalid(
            "populations.n",
            n,
            "the simulator numbers neurons with u32: the total must be below 4294967295",
        ));
    }
    // Refuse before allocating anything (docs/simulator.md, "Memory").
    check_memory(model)?;
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
        .into_par_iter()
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

    // 3. Connectivity in CSR by source, grouped by (post population, delay), built in
    // two passes over the targets' incoming connections, each drawn from the target's
    // own stream (docs/simulator.md, "Construction"): count per (source, group), then
    // fill each group at its exact offset. Targets are drawn in blocks of about N/64 in
    // parallel; a block's connections are bucketed by range of sources, and each range
    // is counted or filled by one thread, in target order: every group lists its
    // targets in ascending order whatever the thread count, the writes of one range
    // stay in cache, and nothing but the final arrays and one block of connections is
    // ever allocated.
    let g = p * n_delays;
    let gs = g + 1;
    let mut group_off: Vec<u32> = alloc_zeroed(n * gs, "group offsets")?;
    let layout = BlockLayout::new(n, n_delays);
    let ranges = n.div_ceil(SOURCE_RANGE);
    {
        let mut parts: Vec<&mut [u32]> = group_off.chunks_mut(SOURCE_RANGE * gs).collect();
        layout.for_each_block(model, &pop_start, dmin, &mut parts, |go, j0, conns| {
            for (j, i, k) in conns {
                let a = pop_of[i] as usize;
                // counts of group `gi` in slot gi + 1: an inclusive prefix sum below
                // turns them into group starts
                let c = &mut go[(j - j0) * gs + a * n_delays + k + 1];
                *c = c.saturating_add(1);
            }
        });
    }
    let mut src_off: Vec<u64> = alloc_zeroed(n + 1, "source offsets")?;
    let mut total = 0u64;
    for j in 0..n {
        let offs = &mut group_off[j * gs..(j + 1) * gs];
        let mut acc = 0u64;
        for o in offs.iter_mut() {
            acc += *o as u64;
            *o = u32::try_from(acc).map_err(|_| {
                Error::invalid(
                    "k",
                    model.k,
                    format!("neuron {j} has more than 4294967295 outgoing connections"),
                )
            })?;
        }
        total += acc;
        src_off[j + 1] = total;
    }
    let mut targets = Targets::zeroed(
        usize::try_from(total).map_err(|_| {
            Error::invalid("k", model.k, "more synapses than the address space holds")
        })?,
        n,
    )?;
    // fill: the group start serves as the fill cursor, which ends at the group's end
    {
        let cuts: Vec<usize> = (0..=ranges)
            .map(|r| src_off[(r * SOURCE_RANGE).min(n)] as usize)
            .collect();
        let mut parts: Vec<(&mut [u32], TargetsMut<'_>)> = group_off
            .chunks_mut(SOURCE_RANGE * gs)
            .zip(targets.split_mut(&cuts))
            .collect();
        let src_off = &src_off;
        layout.for_each_block(
            model,
            &pop_start,
            dmin,
            &mut parts,
            |(go, tm), j0, conns| {
                for (j, i, k) in conns {
                    let a = pop_of[i] as usize;
                    let cur = &mut go[(j - j0) * gs + a * n_delays + k];
                    tm.set((src_off[j] + *cur as u64) as usize, i as u32);
                    *cur += 1;
                }
            },
        );
    }
    // each cursor now holds its group's end = the next group's start: shift back
    for offs in group_off.chunks_mut(gs) {
        offs.copy_within(0..g, 1);
        offs[0] = 0;
    }

    let jump: Vec<Vec<f64>> = (0..p)
        .map(|a| (0..p).map(|b| model.jump(a, b)).collect())
        .collect();

    // 4. Dale's law with the structured weights (in parallel by range of sources; the
    // clipped positions come out in ascending order).
    let mut dale_violations = 0u64;
    let mut clipped = Vec::new();
    if has_slow {
        let kk = model.k;
        let per_range: Vec<(u64, Vec<u64>)> = (0..ranges)
            .into_par_iter()
            .map(|r| {
                let (mut count, mut clip) = (0u64, Vec::new());
                for j in r * SOURCE_RANGE..((r + 1) * SOURCE_RANGE).min(n) {
                    let b = pop_of[j] as usize;
                    let nj = &nl[j * d..(j + 1) * d];
                    for a in 0..p {
                        let lo = (src_off[j] + group_off[j * gs + a * n_delays] as u64) as usize;
                        let hi =
                            (src_off[j] + group_off[j * gs + (a + 1) * n_delays] as u64) as usize;
                        for (pos, i) in (lo..hi).zip(targets.range(lo..hi)) {
                            let i = i as usize;
                            let mi = &m[i * d..(i + 1) * d];
                            let s: f64 = mi.iter().zip(nj).map(|(x, y)| x * y).sum::<f64>() / kk;
                            if dale_violates(jump[a][b], s) {
                                count += 1;
                                if model.sim.clip_dale {
                                    clip.push(pos as u64);
                                }
                            }
                        }
                    }
                }
                (count, clip)
            })
            .collect();
        for (count, clip) in per_range {
            dale_violations += count;
            clipped.extend(clip);
        }
    }

    Ok(Network {
        n,
        pop_start,
        pop_of,
        delay_min_steps: dmin,
        n_delays,
        targets,
        src_off,
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

/// A zeroed vector of `len` elements, or an error naming `what` if it cannot be allocated.
fn alloc_zeroed<T: Clone + Default>(len: usize, what: &str) -> Result<Vec<T>> {
    let mut v = Vec::new();
    v.try_reserve_exact(len).map_err(|e| {
        Error::invalid(
            "populations[].n, k",
            format!("{len} {what}"),
            format!("cannot allocate the network's {what}: {e}"),
        )
    })?;
    v.resize(len, T::default());
    Ok(v)
}

/// Sources per range of the construction: one range's group cursors and source offsets
/// (16-24 bytes per source) and the cache lines of its rows that one block writes stay
/// in the L2 cache.
const SOURCE_RANGE: usize = 1024;

/// Blocks of targets per network: one block of connections (8 bytes each) is 1/64 of
/// the network's connections, about 4% of the finished table (3 bytes per synapse).
const BLOCKS: usize = 64;

/// Chunks of targets per block, drawn in parallel (each chunk one task).
const CHUNKS: usize = 64;

/// How the targets are cut into blocks and chunks, and how a connection is packed in
/// a block: `(source, (target - block start) << k_bits | delay index)`.
struct BlockLayout {
    n: usize,
    block: usize,
    chunk: usize,
    k_bits: u32,
}

/// A chunk's connections, ordered by source range (stable, so in target order within
/// a range): range `r` is `conns[starts[r] .. starts[r + 1]]`.
struct Chunk {
    conns: Vec<(u32, u32)>,
    starts: Vec<usize>,
}

impl BlockLayout {
    fn new(n: usize, n_delays: usize) -> Self {
        let k_bits = usize::BITS - (n_delays.max(1) - 1).leading_zeros();
        // the packed target offset must fit the bits left by the delay index
        let max_block = (1usize << (32 - k_bits)).min(u32::MAX as usize);
        let block = n.div_ceil(BLOCKS).clamp(16, max_block.max(16));
        let chunk = block.div_ceil(CHUNKS).max(16);
        BlockLayout {
            n,
            block,
            chunk,
            k_bits,
        }
    }

    /// For every block of targets (in ascending order): draw the block's incoming
    /// connections in parallel, bucket them by range of [`SOURCE_RANGE`] sources, and call
    /// `f(part, first source of the range, connections)` for every range in parallel
    /// (once per chunk, chunks in order), with `parts[r]` the range's own state and the
    /// connections `(source, target, delay index)` in target order.
    fn for_each_block<T: Send>(
        &self,
        model: &Model,
        pop_start: &[usize],
        dmin: usize,
        parts: &mut [T],
        f: impl Fn(&mut T, usize, BlockConns<'_>) + Sync,
    ) {
        let ranges = parts.len();
        let k_mask = (1u32 << self.k_bits) - 1;
        let k_bits = self.k_bits;
        let mut start = 0;
        while start < self.n {
            let end = (start + self.block).min(self.n);
            let chunk = self.chunk;
            let chunks: Vec<Chunk> = (start..end)
                .step_by(chunk)
                .collect::<Vec<_>>()
                .into_par_iter()
                .map_init(
                    || (Picked::default(), Vec::new(), Vec::new()),
                    |(picked, inc, flat), c0| {
                        flat.clear();
                        for i in c0..(c0 + chunk).min(end) {
                            inc.clear();
                            incoming_of(model, pop_start, i, dmin, picked, inc);
                            let code = ((i - start) as u32) << k_bits;
                            flat.extend(inc.iter().map(|&(j, k)| (j, code | k as u32)));
                        }
                        // stable counting sort by source range
                        let mut starts = vec![0usize; ranges + 1];
                        for &(j, _) in flat.iter() {
                            starts[j as usize / SOURCE_RANGE + 1] += 1;
                        }
                        for r in 0..ranges {
                            starts[r + 1] += starts[r];
                        }
                        let mut at = starts.clone();
                        let mut conns = vec![(0u32, 0u32); flat.len()];
                        for &e in flat.iter() {
                            let r = e.0 as usize / SOURCE_RANGE;
                            conns[at[r]] = e;
                            at[r] += 1;
                        }
                        Chunk { conns, starts }
                    },
                )
                .collect();
            parts.par_iter_mut().enumerate().for_each(|(r, part)| {
                for ch in &chunks {
                    let conns = BlockConns {
                        packed: ch.conns[ch.starts[r]..ch.starts[r + 1]].iter(),
                        start,
                        k_bits,
                        k_mask,
                    };
                    f(part, r * SOURCE_RANGE, conns);
                }
            });
            start = end;
        }
    }
}

/// Connections of one chunk and source range, unpacked to `(source, target, delay index)`.
struct BlockConns<'a> {
    packed: std::slice::Iter<'a, (u32, u32)>,
    start: usize,
    k_bits: u32,
    k_mask: u32,
}

impl Iterator for BlockConns<'_> {
    type Item = (usize, usize, usize);
    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        self.packed.next().map(|&(j, code)| {
            (
                j as usize,
                self.start + (code >> self.k_bits) as usize,
                (code & self.k_mask) as usize,
            )
        })
    }
}

/// The candidates Floyd's algorithm has picked so far (a set of `u32`): open addressing
/// in a table of at least twice the picks, small enough to stay in the L1 cache where
/// a flag per candidate would not (one flag per neuron is megabytes at millions of
/// neurons). Only membership matters, so the draws equal those of any other set.
#[derive(Default)]
struct Picked {
    slots: Vec<u32>,
    shift: u32,
}

impl Picked {
    const EMPTY: u32 = u32::MAX;

    /// Empty the set, sized for `k` picks.
    fn reset(&mut self, k: usize) {
        let size = (2 * k).next_power_of_two().max(16);
        self.shift = 32 - size.trailing_zeros();
        self.slots.clear();
        self.slots.resize(size, Self::EMPTY);
    }

    /// Insert `x` (below `u32::MAX`); whether it was absent.
    #[inline]
    fn insert(&mut self, x: u32) -> bool {
        let mask = self.slots.len() - 1;
        let mut h = (x.wrapping_mul(0x9E37_79B9) >> self.shift) as usize;
        loop {
            let s = self.slots[h];
            if s == Self::EMPTY {
                self.slots[h] = x;
                return true;
            }
            if s == x {
                return false;
            }
            h = (h + 1) & mask;
        }
    }
}

/// Incoming connections of neuron `i`: (source, delay index), from the neuron's stream.
fn incoming_of(
    model: &Model,
    pop_start: &[usize],
    i: usize,
    dmin: usize,
    picked: &mut Picked,
    out: &mut Vec<(u32, u16)>,
) {
    let mut rng = stream(model.sim.seed, Stream::Connections, i as u64);
    let dt = model.sim.dt;
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
                    // ln_1p: for pb below ~1e-16, ln(1 - pb) rounds to 0 and the gap
                    // would be infinite with the wrong sign (an endless loop).
                    let ln_q = (-pb).ln_1p();
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
                    // Floyd's algorithm: k distinct of `cand` (t is never picked before
                    // its turn, so it is new when r is not).
                    picked.reset(k);
                    for t in (cand - k)..cand {
                        let r = below(&mut rng, t as u64 + 1) as usize;
                        let pick = if picked.insert(r as u32) {
                            r
                        } else {
                            picked.insert(t as u32);
                            t
                        };
                        out.push((local(pick) as u32, 0));
                    }
                }
            }
        }
        // Delays, in the same stream, after the partners of this population.
        for x in &mut out[before..] {
            x.1 = (delay_steps(&model.delay, dt, &mut rng) - dmin) as u16;
        }
    }
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
    let (dirs, sd) = principal_directions(ld);
    let r = sd.len();
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
        for c in 0..r {
            let a = sd[c] * z[i * r + c];
            for (q, x) in row.iter_mut().enumerate() {
                *x += dirs[(q, c)] * a;
            }
        }
    }
    Ok(out)
}

/// The factor `L = Q sqrt(Lambda)` (`(2D + D_in) x r`) of the joint covariance of
/// `(m, n, w)`: a draw is `mean + L z` with `z` standard normal in `R^r`, as in
/// [`draw_loadings`] (which applies the two factors one after the other).
pub fn loading_factor(ld: &Loadings) -> nalgebra::DMatrix<f64> {
    let (dirs, sd) = principal_directions(ld);
    nalgebra::DMatrix::from_fn(dirs.nrows(), sd.len(), |q, c| dirs[(q, c)] * sd[c])
}

/// The eigenvectors `Q` (columns) and square roots of the eigenvalues of the joint
/// covariance of `(m, n, w)`, keeping the `r` directions whose eigenvalue exceeds `1e-12`
/// of the largest (the covariance may be singular, e.g. `w = 0.09 m` exactly).
fn principal_directions(ld: &Loadings) -> (nalgebra::DMatrix<f64>, Vec<f64>) {
    let cov = ld.joint_covariance();
    let dim = cov.nrows();
    if dim == 0 {
        return (nalgebra::DMatrix::zeros(0, 0), Vec::new());
    }
    let eig = cov.symmetric_eigen();
    let scale = eig.eigenvalues.iter().fold(0.0f64, |a, &v| a.max(v.abs()));
    let keep: Vec<usize> = (0..dim)
        .filter(|&k| eig.eigenvalues[k] > 1e-12 * scale && scale > 0.0)
        .collect();
    let dirs = nalgebra::DMatrix::from_fn(dim, keep.len(), |q, c| eig.eigenvectors[(q, keep[c])]);
    (
        dirs,
        keep.iter().map(|&k| eig.eigenvalues[k].sqrt()).collect(),
    )
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
    let count = m
        .len()
        .checked_div(d)
        .or_else(|| w.len().checked_div(d_in))
        .unwrap_or(0);
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The table a plain transposition gives: every target's incoming list (from the
    /// target's own stream, as in `build`), appended target by target to per-(source,
    /// group) lists, which are then concatenated source by source.
    fn transposed(model: &Model) -> (Vec<u32>, Vec<u64>, Vec<u32>) {
        let p = model.p();
        let mut pop_start = vec![0usize];
        for pop in &model.populations {
            pop_start.push(pop_start.last().unwrap() + pop.n);
        }
        let n = pop_start[p];
        let dt = model.sim.dt;
        let (dmin, dmax) = delay_step_bounds(&model.delay, dt);
        let nd = dmax - dmin + 1;
        let g = p * nd;
        let mut lists: Vec<Vec<Vec<u32>>> = vec![vec![Vec::new(); g]; n];
        let (mut picked, mut inc) = (Picked::default(), Vec::new());
        for i in 0..n {
            let a = (0..p).find(|&a| i < pop_start[a + 1]).unwrap();
            inc.clear();
            incoming_of(model, &pop_start, i, dmin, &mut picked, &mut inc);
            for &(j, k) in &inc {
                lists[j as usize][a * nd + k as usize].push(i as u32);
            }
        }
        let (mut targets, mut src_off, mut group_off) = (Vec::new(), vec![0u64], Vec::new());
        for groups in &lists {
            let mut at = 0u32;
            for list in groups {
                group_off.push(at);
                at += list.len() as u32;
                targets.extend(list);
            }
            group_off.push(at);
            src_off.push(targets.len() as u64);
        }
        (targets, src_off, group_off)
    }

    /// Three populations of sizes that are not multiples of the source ranges, several
    /// delay steps, a network of several blocks and source ranges.
    fn small_model(connectivity: Connectivity) -> Model {
        let mut m = crate::presets::default_model();
        m.connectivity = connectivity;
        m.k = 60.0;
        m.populations[0].n = 2100;
        m.populations[1].n = 650;
        let mut third = m.populations[1].clone();
        third.name = "I2".into();
        third.n = 333;
        third.c = 0.1;
        m.populations.push(third);
        for row in &mut m.j {
            let last = row[1];
            row.push(last);
        }
        m.j.push(m.j[1].clone());
        if let Some(l) = m.latent.as_mut() {
            let extra = l.loadings[1].clone();
            l.loadings.push(extra);
        }
        m.sim.seed = 11;
        m
    }

    fn build_with(model: &Model, threads: usize) -> Network {
        rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .unwrap()
            .install(|| build(model))
            .unwrap()
    }

    #[test]
    fn table_is_the_transposition_for_any_thread_count() {
        for conn in [
            Connectivity::Bernoulli,
            Connectivity::FixedIndegree,
            Connectivity::FixedIndegreeReplacement,
        ] {
            let model = small_model(conn);
            model.validate().unwrap();
            let (targets, src_off, group_off) = transposed(&model);
            let n = src_off.len() - 1;
            assert!(BlockLayout::new(n, 21).block < n / 8, "several blocks");
            let nets: Vec<Network> = [1, 2, 3, 5]
                .iter()
                .map(|&t| build_with(&model, t))
                .collect();
            for (net, t) in nets.iter().zip([1, 2, 3, 5]) {
                assert!(net.n > 2 * SOURCE_RANGE && net.n_delays > 1, "{conn:?}");
                assert_eq!(net.src_off, src_off, "{conn:?}, {t} threads");
                assert_eq!(net.group_off, group_off, "{conn:?}, {t} threads");
                let got: Vec<u32> = net.targets.range(0..net.n_synapses()).collect();
                assert!(got == targets, "{conn:?}, {t} threads: targets differ");
                assert_eq!(net.clipped, nets[0].clipped);
                assert_eq!(net.dale_violations, nets[0].dale_violations);
            }
        }
    }

    #[test]
    fn floyd_set_keeps_membership() {
        let mut s = Picked::default();
        s.reset(100);
        let xs: Vec<u32> = (0..200u32)
            .map(|x| x.wrapping_mul(2_654_435_761) % 1000)
            .collect();
        let mut seen = std::collections::HashSet::new();
        for &x in &xs {
            assert_eq!(s.insert(x), seen.insert(x), "{x}");
        }
        s.reset(3);
        assert!(s.insert(xs[0]));
    }
}
