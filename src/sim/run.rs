//! The time loop: neuron update (parallel over fixed chunks), spike delivery (serial,
//! in neuron order), recording.

use std::io::IsTerminal;
use std::time::Instant;

use rayon::prelude::*;

use super::network::{self, Network};
use super::neuron::{
    Arrival, ExtDraw, Neuron, PopConst, draw_external, grid_step_with, precise_step,
};
use super::record::{Recorder, StepData};
use super::rng::{DriveRng, Stream, stream, uniform};
use super::{PopulationResult, RunOptions, SimResult, output};
use crate::error::{Error, Result};
use crate::model::{Model, SimMode};

/// Neurons per work unit of the parallel update. Fixed (not derived from the thread
/// count) so that partial sums, and hence results, do not depend on the thread count.
const CHUNK: usize = 1024;

/// Simulate `model` (docs/theory.md section 3) and return what was measured; with
/// `opts.out_dir`, also write `summary.json` and NPY arrays there.
pub fn simulate(model: &Model, opts: &RunOptions) -> Result<SimResult> {
    // refuse before any allocation or work (docs/theory.md 7)
    super::limits::check(model, opts.threads)?;
    let out = match &opts.out_dir {
        Some(dir) => Some(output::prepare_sim_dir(dir, model)?),
        None => None,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.threads)
        .build()
        .map_err(|e| {
            Error::invalid(
                "threads",
                opts.threads,
                format!("cannot start a thread pool: {e}"),
            )
        })?;
    let threads = pool.current_num_threads();
    let result = pool.install(|| run(model, opts, threads))?;
    if let Some(out) = out {
        output::write_result(out, &result)?;
    }
    Ok(result)
}

/// A recurrent arrival waiting in the precise-mode ring buffer.
#[derive(Clone, Copy)]
struct Event {
    target: u32,
    /// index `a * P + b` into the jump table
    wi: u32,
    t: f64,
}

struct ChunkOut {
    spikes: Vec<(u32, f64)>,
    v_sum: Vec<f64>,
}

/// The neurons' state as one array per variable (structure of arrays): the update
/// streams through each array once per step.
struct States {
    /// Membrane potential (mV, from rest).
    v: Vec<f64>,
    /// Refractory steps left (grid mode).
    refr: Vec<u32>,
    /// Refractory time left at the start of the step (s, precise mode).
    ref_left: Vec<f64>,
    /// External-drive stream of each neuron.
    rng: Vec<DriveRng>,
}

/// One chunk's part of [`States`].
struct ChunkStates<'a> {
    v: &'a mut [f64],
    refr: &'a mut [u32],
    ref_left: &'a mut [f64],
    rng: &'a mut [DriveRng],
}

impl ChunkStates<'_> {
    /// Neuron `k` of the chunk as a [`Neuron`] (copied out; see [`Self::put`]).
    #[inline(always)]
    fn get(&self, k: usize) -> Neuron {
        Neuron {
            v: self.v[k],
            refr: self.refr[k],
            ref_left: self.ref_left[k],
            rng: self.rng[k],
        }
    }

    #[inline(always)]
    fn put(&mut self, k: usize, nr: &Neuron) {
        self.v[k] = nr.v;
        self.refr[k] = nr.refr;
        self.ref_left[k] = nr.ref_left;
        self.rng[k] = nr.rng;
    }
}

fn run(model: &Model, opts: &RunOptions, threads: usize) -> Result<SimResult> {
    let t_build = Instant::now();
    let net = network::build(model)?;
    let build_s = t_build.elapsed().as_secs_f64();

    let s = &model.sim;
    let h = s.dt;
    let n = net.n;
    let p = net.p();
    let d = net.d;
    let d_in = net.d_in;
    let warm_steps = (s.warmup / h).round() as usize;
    let rec_steps = ((s.duration / h).round() as usize).max(1);
    let total = warm_steps + rec_steps;
    let tau_s = model.latent.as_ref().map_or(1.0, |l| l.tau_s);
    let e_s = (-h / tau_s).exp();
    let has_slow = net.has_slow;
    let precise = s.mode == SimMode::Precise;

    let rate_ext = model.k_ext() * model.external.nu0;
    let pcs: Vec<PopConst> = (0..p)
        .map(|a| {
            PopConst::new(
                &model.populations[a],
                h,
                tau_s,
                &[(model.jump_ext(a), rate_ext)],
            )
        })
        .collect::<Result<_>>()?;
    let tau_m: Vec<f64> = model.populations.iter().map(|q| q.tau_m).collect();

    // Initial potentials uniform in [0, theta) (as the NEST/Brian2 Brunel scripts); they
    // and the drive follow the noise seed, the network the network seed.
    let noise_seed = s.noise_seed.unwrap_or(s.seed);
    let mut st = States {
        v: (0..n)
            .map(|i| {
                let mut r0 = stream(noise_seed, Stream::Initial, i as u64);
                uniform(&mut r0) * model.populations[net.pop_of[i] as usize].theta
            })
            .collect(),
        refr: vec![0; n],
        ref_left: vec![0.0; n],
        rng: (0..n)
            .map(|i| DriveRng::from_rng(&stream(noise_seed, Stream::Drive, i as u64)))
            .collect(),
    };

    let n_slots = net.delay_max_steps() + 1;
    let ds = if has_slow { d } else { 1 }; // dummy width 1 keeps chunking uniform
    let mut u = vec![0.0f64; n * ds];
    // One ring buffer, entry (slot, target) = [fast jump sum (mV), slow increments of u (D)]:
    // both parts of one arrival land in the same cache line. f32: the per-step sums of
    // a few jumps carry relative rounding ~1e-7 (1e-7 mV), far below any effect here.
    let stride = 1 + if has_slow { d } else { 0 };
    let mut ring = vec![0.0f32; n_slots * n * stride];
    // precise mode: per delivery shard (a contiguous range of targets, one per thread)
    // and ring slot, the timed arrivals waiting there
    let mut ev_slots: Vec<Vec<Vec<Event>>> = if precise {
        vec![vec![Vec::new(); n_slots]; threads]
    } else {
        Vec::new()
    };
    let mut ev_off = vec![0u32; if precise { n + 1 } else { 0 }];
    let mut ev_sorted: Vec<Arrival> = Vec::new();
    // n_j / (K tau_s): the jump of u_i per arrival
    let nl_scaled: Vec<f32> = net
        .nl
        .iter()
        .map(|x| (x / (model.k * tau_s)) as f32)
        .collect();

    let jump_flat: Vec<f64> = net.jump.iter().flatten().copied().collect();
    let mut rec = Recorder::new(model, &net, total, warm_steps);
    let mut events: u64 = 0;
    let show_bar = !opts.quiet && std::io::stderr().is_terminal();
    let mut bar: Option<indicatif::ProgressBar> = None;

    let shard_cuts = if threads > 1 {
        shard_cuts(&net, threads)
    } else {
        Vec::new()
    };
    let t_run = Instant::now();
    let mut epoch_counter = super::epochs::EpochCounter::new(model, n);
    let cpu0 = process_cpu_s();
    for step in 0..total {
        let t = step as f64 * h;
        let sig = model.signal(t);
        let slot = step % n_slots;

        if precise {
            bucket_events(
                &mut ev_slots,
                slot,
                n,
                &jump_flat,
                &mut ev_off,
                &mut ev_sorted,
            );
        }
        let row: &mut [f32] = &mut ring[slot * n * stride..(slot + 1) * n * stride];

        let ctx = StepCtx {
            net: &net,
            pcs: &pcs,
            tau_m: &tau_m,
            sig: &sig,
            has_slow,
            d,
            d_in,
            stride,
            e_s,
            h,
            t,
            p,
            ev_off: &ev_off,
            ev_sorted: &ev_sorted,
        };
        let outs: Vec<ChunkOut> =
            st.v.par_chunks_mut(CHUNK)
                .zip(st.refr.par_chunks_mut(CHUNK))
                .zip(st.ref_left.par_chunks_mut(CHUNK))
                .zip(st.rng.par_chunks_mut(CHUNK))
                .zip(row.par_chunks_mut(CHUNK * stride))
                .zip(u.par_chunks_mut(CHUNK * ds))
                .enumerate()
                .map_init(
                    || (Vec::<Arrival>::new(), Vec::<f64>::new()),
                    |(arr, sp), (ci, (((((v, refr), ref_left), rng), rc), uc))| {
                        let nc = ChunkStates {
                            v,
                            refr,
                            ref_left,
                            rng,
                        };
                        if precise {
                            ctx.precise_chunk(ci * CHUNK, nc, rc, uc, arr, sp)
                        } else {
                            ctx.grid_chunk(ci * CHUNK, nc, rc, uc)
                        }
                    },
                )
                .collect();

        let mut v_sum = vec![0.0; p];
        let mut spikes: Vec<(u32, f64)> = Vec::new();
        for o in &outs {
            for (s, x) in v_sum.iter_mut().zip(&o.v_sum) {
                *s += x;
            }
            spikes.extend_from_slice(&o.spikes);
        }

        // Delivery in neuron order. Each ring entry receives its additions in spike
        // order whatever the thread count: with several threads, every thread walks all
        // spikes but writes only to its own contiguous range of targets.
        if precise {
            events += deliver_precise(
                &net,
                &spikes,
                step,
                t,
                h,
                &mut ring,
                &mut ev_slots,
                &nl_scaled,
                has_slow,
                &shard_cuts,
            );
        } else {
            events += deliver_grid(
                &net,
                &spikes,
                step,
                &mut ring,
                &nl_scaled,
                has_slow,
                &shard_cuts,
                threads,
            );
        }

        for &(i, ts) in &spikes {
            epoch_counter.spike(i as usize, ts);
        }
        rec.step(
            &StepData {
                step,
                spikes: &spikes,
                v_sum: &v_sum,
                v: Some(&st.v),
            },
            &net,
        );

        if show_bar && step % 100 == 0 {
            if bar.is_none() && t_run.elapsed().as_secs_f64() > 1.0 {
                let b = indicatif::ProgressBar::new(total as u64);
                b.set_style(
                    indicatif::ProgressStyle::with_template(
                        "simulate {bar:40} {percent}% eta {eta}",
                    )
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
                );
                bar = Some(b);
            }
            if let Some(b) = &bar {
                b.set_position(step as u64);
            }
        }
    }
    let wall_s = t_run.elapsed().as_secs_f64();
    let cpu_s = process_cpu_s().zip(cpu0).map(|(a, b)| a - b);
    if let Some(b) = bar {
        b.finish_and_clear();
    }

    let recorded = rec.finish(rec_steps as f64 * h);
    let n_syn = net.n_synapses() as u64;
    let state_bytes = net.connectivity_bytes()
        + ring.len() * 4
        + u.len() * 8
        + n * (8 + 4 + 8 + std::mem::size_of::<DriveRng>())
        + (net.m.len() + net.nl.len() + net.w.len() + net.bias.len()) * 8;
    let populations = population_results(model, &net.pop_start, recorded.pops, &epoch_counter);
    Ok(SimResult {
        model: model.name.clone(),
        mode: s.mode,
        dt: h,
        duration: rec_steps as f64 * h,
        warmup: warm_steps as f64 * h,
        seed: s.seed,
        noise_seed: s.noise_seed,
        threads,
        populations,
        epoch_windows: epoch_counter.windows.clone(),
        kappa_mean: recorded.kappa_mean,
        time_s: recorded.time_s,
        kappa_t: recorded.kappa_t,
        loading_moments: net.loading_moments.clone(),
        dale_violations: net.dale_violations,
        dale_violation_fraction: net.dale_violations as f64 / n_syn.max(1) as f64,
        clip_dale: s.clip_dale,
        n_synapses: n_syn,
        synaptic_events: events,
        wall_s,
        build_s,
        events_per_s: events as f64 / wall_s.max(1e-12),
        cpu_s,
        memory_bytes_per_synapse: net.bytes_per_synapse(),
        memory_total_bytes_per_synapse: state_bytes as f64 / n_syn.max(1) as f64,
    })
}

/// The per-population results of a run from its recorder's summaries and epoch counts
/// (shared with [`super::spikes::result_from_spikes`]).
pub(super) fn population_results(
    model: &Model,
    pop_start: &[usize],
    pops: Vec<super::record::PopRecord>,
    epoch_counter: &super::epochs::EpochCounter,
) -> Vec<PopulationResult> {
    model
        .populations
        .iter()
        .zip(pops)
        .enumerate()
        .map(|(a, (pop, r))| {
            let range = pop_start[a]..pop_start[a + 1];
            let windows = 0..epoch_counter.windows.len();
            PopulationResult {
                epoch_rates_hz: windows
                    .clone()
                    .map(|e| epoch_counter.rates(e, range.clone()))
                    .collect(),
                epoch_membrane_fano: windows
                    .clone()
                    .map(|e| epoch_counter.membrane_fano(e, range.clone()))
                    .collect(),
                epoch_membrane_fano_per_neuron: windows
                    .map(|e| epoch_counter.membrane_fano_per_neuron(e, range.clone()))
                    .collect(),
                name: pop.name.clone(),
                n: pop.n,
                rate_hz: r.rate_hz,
                rate_sd_hz: r.rate_sd_hz,
                cv_isi: r.cv_isi,
                pair_corr: r.pair_corr,
                mean_v_mv: r.mean_v_mv,
                chi: r.chi,
                pop_rate_cv: r.pop_rate_cv,
                fano_1ms: r.fano_1ms,
                silent_fraction: r.silent_fraction,
                rates_hz: r.rates_hz,
                cv_isi_per_neuron: r.cv_isi_per_neuron,
                rate_t: r.rate_t,
                mean_v_t: r.mean_v_t,
                raster_ids: r.raster.iter().map(|x| x.0).collect(),
                raster_times: r.raster.iter().map(|x| x.1).collect(),
                epoch_rate_spectra: r.spectra,
            }
        })
        .collect()
}

/// CPU time (user + system, all threads) of this process in seconds, from
/// `/proc/self/stat` (Linux; 10 ms resolution). On a shared machine this measures the
/// work better than the wall clock.
fn process_cpu_s() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/self/stat").ok()?;
    // fields after the parenthesised command name; utime and stime are fields 14 and 15
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

/// The targets `[n s / shards, n (s + 1) / shards)` of delivery shard `s`.
fn shard_range(n: usize, shards: usize, s: usize) -> std::ops::Range<usize> {
    n * s / shards..n * (s + 1) / shards
}

/// Sort the events of ring slot `slot` by target into `off`/`sorted` (a stable counting
/// sort, each shard's targets on its own thread) and empty the slot: afterwards the
/// arrivals of target `i` are `sorted[off[i]..off[i + 1]]`, in the order delivered.
fn bucket_events(
    slots: &mut [Vec<Vec<Event>>],
    slot: usize,
    n: usize,
    jumps: &[f64],
    off: &mut [u32],
    sorted: &mut Vec<Arrival>,
) {
    let shards = slots.len();
    let total: usize = slots.iter().map(|sl| sl[slot].len()).sum();
    sorted.clear();
    sorted.resize(total, Arrival { t: 0.0, w: 0.0 });
    off[n] = total as u32;
    // each shard's piece of `sorted` (its events) and of `off` (its targets)
    let mut pieces = Vec::with_capacity(shards);
    let (mut s_rest, mut o_rest) = (&mut sorted[..], &mut off[..n]);
    let mut base = 0u32;
    for (s, sl) in slots.iter_mut().enumerate() {
        let r = shard_range(n, shards, s);
        let len = sl[slot].len();
        let (sp, s_tail) = s_rest.split_at_mut(len);
        let (op, o_tail) = o_rest.split_at_mut(r.len());
        pieces.push((sp, op, base, r.start, &mut sl[slot]));
        base += len as u32;
        (s_rest, o_rest) = (s_tail, o_tail);
    }
    pieces
        .into_par_iter()
        .for_each(|(sp, op, base, lo, events)| {
            // counts, then their exclusive prefix sum (plus the shard's base) as the fill
            // cursors; after filling, op[k] is the end of target lo + k, i.e. the start
            // of the next, so one shift gives the starts
            op.fill(0);
            for e in events.iter() {
                op[e.target as usize - lo] += 1;
            }
            let mut acc = base;
            for o in op.iter_mut() {
                let c = *o;
                *o = acc;
                acc += c;
            }
            for e in events.iter() {
                let c = &mut op[e.target as usize - lo];
                sp[(*c - base) as usize] = Arrival {
                    t: e.t,
                    w: jumps[e.wi as usize],
                };
                *c += 1;
            }
            op.copy_within(..op.len().saturating_sub(1), 1);
            if let Some(o) = op.first_mut() {
                *o = base;
            }
            events.clear();
        });
}

/// Precise-mode delivery of all `spikes` of step `step` (starting at time `t`, length
/// `h`): timed events into each shard's slot lists (`ev_slots[shard][slot]`), slow
/// increments into the ring. Shard `s` (one thread each) walks all spikes in order and
/// handles only its own targets (`cuts`, see [`shard_cuts`]; none with one shard), so
/// every target receives its arrivals in spike order whatever the thread count.
/// Returns the number of synaptic events.
#[allow(clippy::too_many_arguments)]
fn deliver_precise(
    net: &Network,
    spikes: &[(u32, f64)],
    step: usize,
    t: f64,
    h: f64,
    ring: &mut [f32],
    ev_slots: &mut [Vec<Vec<Event>>],
    nl_scaled: &[f32],
    has_slow: bool,
    cuts: &[u32],
) -> u64 {
    let (n, g, p, d) = (net.n, net.groups(), net.p(), net.d);
    let shards = ev_slots.len();
    let stride = 1 + if has_slow { d } else { 0 };
    let n_slots = ring.len() / (n * stride);
    // each shard's part of every ring row: its targets are contiguous in a row
    let mut rows: Vec<Vec<&mut [f32]>> = (0..shards).map(|_| Vec::new()).collect();
    for row in ring.chunks_mut(n * stride) {
        let mut rest = row;
        for (s, r) in rows.iter_mut().enumerate() {
            let (mine, tail) = rest.split_at_mut(shard_range(n, shards, s).len() * stride);
            r.push(mine);
            rest = tail;
        }
    }
    ev_slots
        .par_iter_mut()
        .zip(rows.par_iter_mut())
        .enumerate()
        .for_each(|(s, (lists, rows))| {
            let lo_s = shard_range(n, shards, s).start;
            for &(j, ts) in spikes {
                let j = j as usize;
                let off = (ts - t).clamp(0.0, h);
                let b = net.pop_of[j] as usize;
                let nj: &[f32] = if has_slow {
                    &nl_scaled[j * d..(j + 1) * d]
                } else {
                    &[]
                };
                let slow_here = has_slow && nj.iter().any(|&x| x != 0.0);
                for a in 0..p {
                    let wi = (a * p + b) as u32;
                    for k in 0..net.n_delays {
                        let gi = a * net.n_delays + k;
                        let r = net.group(j, gi);
                        let (lo, hi) = if shards > 1 {
                            let c0 = (j * g + gi) * (shards + 1) + s;
                            (r.start + cuts[c0] as usize, r.start + cuts[c0 + 1] as usize)
                        } else {
                            (r.start, r.end)
                        };
                        if lo == hi {
                            continue;
                        }
                        let slot = (step + net.delay_min_steps + k) % n_slots;
                        let tg = net.targets.range(lo..hi);
                        lists[slot].extend(tg.clone().map(|i| Event {
                            target: i,
                            wi,
                            t: off,
                        }));
                        if slow_here {
                            add_slow(
                                rows[slot],
                                tg.map(|i| i - lo_s as u32),
                                lo,
                                &net.clipped,
                                nj,
                                stride,
                            );
                        }
                    }
                }
            }
        });
    spikes
        .iter()
        .map(|&(j, _)| net.source_range(j as usize).len() as u64)
        .sum()
}

/// For every (source, group), the offsets within the group where each delivery shard's
/// targets start: `shards + 1` cuts per group, shard `s` owning targets
/// `[n s / shards, n (s+1) / shards)` (targets are sorted within a group).
fn shard_cuts(net: &Network, shards: usize) -> Vec<u32> {
    let n = net.n;
    let g = net.groups();
    let bounds: Vec<u32> = (0..=shards).map(|s| (n * s / shards) as u32).collect();
    let mut cuts = vec![0u32; n * g * (shards + 1)];
    cuts.par_chunks_mut(g * (shards + 1))
        .enumerate()
        .for_each(|(j, c)| {
            for gi in 0..g {
                let r = net.group(j, gi);
                for (s, &b) in bounds.iter().enumerate() {
                    c[gi * (shards + 1) + s] =
                        (net.targets.partition_point(r.clone(), b) - r.start) as u32;
                }
            }
        });
    cuts
}

/// Raw pointer to the ring buffer, shared by the delivery threads.
#[derive(Clone, Copy)]
struct RingPtr(*mut f32);
// SAFETY: the threads write disjoint target ranges (see `deliver_grid`).
unsafe impl Send for RingPtr {}
unsafe impl Sync for RingPtr {}

/// Grid-mode delivery of all `spikes` of one step into the ring buffer by `shards`
/// threads, each owning the targets `[n s / shards, n (s+1) / shards)` (its part of
/// every target group from `cuts`; none with one shard): every thread walks all spikes
/// in order and scatters only into its own targets. Per target, the additions happen in
/// spike order whatever the thread count, so the sums are bit-identical to a serial
/// loop. Returns the number of synaptic events.
#[allow(clippy::too_many_arguments)]
fn deliver_grid(
    net: &Network,
    spikes: &[(u32, f64)],
    step: usize,
    ring: &mut [f32],
    nl_scaled: &[f32],
    has_slow: bool,
    cuts: &[u32],
    shards: usize,
) -> u64 {
    if spikes.is_empty() {
        return 0;
    }
    let n = net.n;
    let g = net.groups();
    let d = net.d;
    let stride = 1 + if has_slow { d } else { 0 };
    let n_slots = ring.len() / (n * stride);
    assert_eq!(ring.len(), n_slots * n * stride);
    let ptr = RingPtr(ring.as_mut_ptr());
    (0..shards).into_par_iter().for_each(|s| {
        // capture the whole Send wrapper, not its raw-pointer field
        #[allow(clippy::redundant_locals)]
        let ptr = ptr;
        for &(j, _) in spikes {
            let j = j as usize;
            let b = net.pop_of[j] as usize;
            let nj: &[f32] = if has_slow {
                &nl_scaled[j * d..(j + 1) * d]
            } else {
                &[]
            };
            let slow_here = nj.iter().any(|&x| x != 0.0);
            for a in 0..net.p() {
                let w = net.jump[a][b] as f32;
                for k in 0..net.n_delays {
                    let gi = a * net.n_delays + k;
                    let r = net.group(j, gi);
                    let (lo, hi) = if shards > 1 {
                        let c0 = (j * g + gi) * (shards + 1) + s;
                        (r.start + cuts[c0] as usize, r.start + cuts[c0 + 1] as usize)
                    } else {
                        (r.start, r.end)
                    };
                    if lo == hi {
                        continue;
                    }
                    let row = (step + net.delay_min_steps + k) % n_slots * n * stride;
                    // SAFETY: every index written is `row + i * stride + q` with target i
                    // in this shard's range (from the cuts) and q < stride, inside `ring`
                    // (length n_slots * n * stride, checked above, and row = slot * n *
                    // stride with slot < n_slots), and no other thread writes entries of
                    // these targets.
                    unsafe {
                        if stride == 1 {
                            for i in net.targets.range(lo..hi) {
                                *ptr.0.add(row + i as usize) += w;
                            }
                        } else {
                            for i in net.targets.range(lo..hi) {
                                *ptr.0.add(row + i as usize * stride) += w;
                            }
                        }
                        if slow_here {
                            let mut c = net.clipped.partition_point(|&q| (q as usize) < lo);
                            for (pos, i) in (lo..).zip(net.targets.range(lo..hi)) {
                                if c < net.clipped.len() && net.clipped[c] as usize == pos {
                                    c += 1;
                                    continue;
                                }
                                let e = ptr.0.add(row + i as usize * stride + 1);
                                for (q, y) in nj.iter().enumerate() {
                                    *e.add(q) += y;
                                }
                            }
                        }
                    }
                }
            }
        }
    });
    spikes
        .iter()
        .map(|&(j, _)| net.source_range(j as usize).len() as u64)
        .sum()
}

/// Add the slow increments `n_j/(K tau_s)` of one group, skipping clipped connections
/// (`clipped` holds sorted positions in the target table; `lo` is the position of the
/// first of `tg`, the targets' indices in `row`).
#[inline]
fn add_slow(
    row: &mut [f32],
    tg: impl Iterator<Item = u32>,
    lo: usize,
    clipped: &[u64],
    nj: &[f32],
    stride: usize,
) {
    let mut c = clipped.partition_point(|&q| (q as usize) < lo);
    for (pos, i) in (lo..).zip(tg) {
        if c < clipped.len() && clipped[c] as usize == pos {
            c += 1;
            continue;
        }
        let e = &mut row[i as usize * stride + 1..(i as usize + 1) * stride];
        for (x, y) in e.iter_mut().zip(nj) {
            *x += y;
        }
    }
}

/// Read-only context of one step's neuron update.
struct StepCtx<'a> {
    net: &'a Network,
    pcs: &'a [PopConst],
    tau_m: &'a [f64],
    sig: &'a [f64],
    has_slow: bool,
    d: usize,
    d_in: usize,
    stride: usize,
    e_s: f64,
    h: f64,
    t: f64,
    p: usize,
    ev_off: &'a [u32],
    ev_sorted: &'a [Arrival],
}

impl StepCtx<'_> {
    /// Constant drive of neuron `i` in this step (mV): bias plus `w_i . s(t)`.
    #[inline(always)]
    fn drive(&self, i: usize) -> f64 {
        let mut c = self.net.bias[i];
        if self.d_in > 0 {
            let w = &self.net.w[i * self.d_in..(i + 1) * self.d_in];
            for (x, y) in w.iter().zip(self.sig) {
                c += x * y;
            }
        }
        c
    }

    /// Add this step's slow arrivals to `u_i` and return `I^s = tau_m m_i . u_i` (mV).
    #[inline(always)]
    fn slow_in(&self, i: usize, a: usize, ui: &mut [f64], si: &mut [f32]) -> f64 {
        let d = self.d;
        let m = &self.net.m[i * d..(i + 1) * d];
        let mut dot = 0.0;
        for q in 0..d {
            ui[q] += si[q] as f64;
            si[q] = 0.0;
            dot += m[q] * ui[q];
        }
        self.tau_m[a] * dot
    }

    #[inline(never)]
    fn grid_chunk(
        &self,
        start: usize,
        mut nc: ChunkStates,
        rc: &mut [f32],
        uc: &mut [f64],
    ) -> ChunkOut {
        let mut v_sum = vec![0.0; self.p];
        let mut spikes = Vec::new();
        // one population segment at a time: constants and the kind of external draw
        // hoisted, V summed in a register
        let mut fired = [0u32; CHUNK];
        for (a, (lo, hi)) in self.segments(start, nc.v.len()) {
            let seg = (lo - start)..(hi - start);
            let (sum, nf) = match (ExtDraw::of(&self.pcs[a]), self.has_slow) {
                (ExtDraw::One(j, inv), false) if self.d_in == 0 => self.grid_segment_plain(
                    start,
                    seg,
                    a,
                    &mut nc,
                    rc,
                    &mut fired,
                    |r: &mut DriveRng| 0.0 + j * inv.count(r.next_u64()) as f64,
                ),
                (ExtDraw::One(j, inv), false) => self.grid_segment::<false>(
                    start,
                    seg,
                    a,
                    &mut nc,
                    rc,
                    uc,
                    &mut fired,
                    |r: &mut DriveRng| 0.0 + j * inv.count(r.next_u64()) as f64,
                ),
                (ext, false) => self.grid_segment::<false>(
                    start,
                    seg,
                    a,
                    &mut nc,
                    rc,
                    uc,
                    &mut fired,
                    |r: &mut DriveRng| ext.draw(r),
                ),
                (ext, true) => self.grid_segment::<true>(
                    start,
                    seg,
                    a,
                    &mut nc,
                    rc,
                    uc,
                    &mut fired,
                    |r: &mut DriveRng| ext.draw(r),
                ),
            };
            v_sum[a] = sum;
            let t_spike = self.t + self.h;
            spikes.extend(fired[..nf].iter().map(|&i| (i, t_spike)));
        }
        ChunkOut { spikes, v_sum }
    }

    /// [`Self::grid_segment`] without slow current or latent input (the drive is the
    /// bias alone), with every array walked by an iterator: no index arithmetic or
    /// bounds checks, so the loop's state fits in registers.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn grid_segment_plain(
        &self,
        start: usize,
        seg: std::ops::Range<usize>,
        a: usize,
        nc: &mut ChunkStates,
        rc: &mut [f32],
        fired: &mut [u32; CHUNK],
        ext: impl Fn(&mut DriveRng) -> f64,
    ) -> (f64, usize) {
        let pc = &self.pcs[a];
        let mut acc = 0.0;
        let mut nf = 0;
        let bias = &self.net.bias[start + seg.start..start + seg.end];
        let states = nc.v[seg.clone()]
            .iter_mut()
            .zip(&mut nc.refr[seg.clone()])
            .zip(&mut nc.rng[seg.clone()])
            .zip(&mut rc[seg.clone()])
            .zip(bias);
        for (id, ((((v, refr), rng), fast), &c)) in (start + seg.start..).zip(states) {
            let mut nr = Neuron {
                v: *v,
                refr: *refr,
                ref_left: 0.0,
                rng: *rng,
            };
            let spiked = grid_step_with(&mut nr, pc, &ext, c, 0.0, *fast as f64);
            *fast = 0.0;
            *v = nr.v;
            *refr = nr.refr;
            *rng = nr.rng;
            fired[nf & (CHUNK - 1)] = id as u32;
            nf += spiked as usize;
            acc += nr.v;
        }
        (acc, nf)
    }

    /// Grid update of the chunk's neurons `seg` (chunk indices) of population `a`, with
    /// external jumps drawn by `ext` and the slow current when `SLOW`; returns the sum
    /// of V at the step end and the number of neurons that fired, whose ids are written
    /// to the start of `fired` (without a branch: every neuron writes its id at the
    /// cursor, which advances only past those that fired).
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn grid_segment<const SLOW: bool>(
        &self,
        start: usize,
        seg: std::ops::Range<usize>,
        a: usize,
        nc: &mut ChunkStates,
        rc: &mut [f32],
        uc: &mut [f64],
        fired: &mut [u32; CHUNK],
        ext: impl Fn(&mut DriveRng) -> f64,
    ) -> (f64, usize) {
        let pc = &self.pcs[a];
        let (e, d) = if SLOW { (self.stride, self.d) } else { (1, 0) };
        let mut acc = 0.0;
        let mut nf = 0;
        for k in seg {
            let i = start + k;
            let c = self.drive(i);
            let mut i_s = 0.0;
            if SLOW {
                i_s = self.slow_in(
                    i,
                    a,
                    &mut uc[k * d..(k + 1) * d],
                    &mut rc[k * e + 1..(k + 1) * e],
                );
            }
            let fast = rc[k * e] as f64;
            rc[k * e] = 0.0;
            let mut nr = Neuron {
                v: nc.v[k],
                refr: nc.refr[k],
                ref_left: 0.0,
                rng: nc.rng[k],
            };
            let spiked = grid_step_with(&mut nr, pc, &ext, c, i_s, fast);
            nc.v[k] = nr.v;
            nc.refr[k] = nr.refr;
            nc.rng[k] = nr.rng;
            fired[nf] = i as u32;
            nf += spiked as usize;
            if SLOW {
                uc[k * d..(k + 1) * d]
                    .iter_mut()
                    .for_each(|x| *x *= self.e_s);
            }
            acc += nr.v;
        }
        (acc, nf)
    }

    /// The (population, neuron range) pieces of the chunk `start .. start + len`.
    fn segments(
        &self,
        start: usize,
        len: usize,
    ) -> impl Iterator<Item = (usize, (usize, usize))> + '_ {
        let ps = &self.net.pop_start;
        (0..self.p)
            .map(move |a| (a, (ps[a].max(start), ps[a + 1].min(start + len))))
            .filter(|(_, (lo, hi))| lo < hi)
    }

    #[inline(never)]
    fn precise_chunk(
        &self,
        start: usize,
        mut nc: ChunkStates,
        rc: &mut [f32],
        uc: &mut [f64],
        arr: &mut Vec<Arrival>,
        sp: &mut Vec<f64>,
    ) -> ChunkOut {
        let mut v_sum = vec![0.0; self.p];
        let mut spikes = Vec::new();
        let d = self.d;
        for (a, (lo, hi)) in self.segments(start, nc.v.len()) {
            let pc = &self.pcs[a];
            let mut acc = 0.0;
            for i in lo..hi {
                let k = i - start;
                let mut nr = nc.get(k);
                let mut drive = self.drive(i);
                if self.has_slow {
                    let e = self.stride;
                    drive += self.slow_in(
                        i,
                        a,
                        &mut uc[k * d..(k + 1) * d],
                        &mut rc[k * e + 1..(k + 1) * e],
                    );
                }
                arr.clear();
                arr.extend_from_slice(
                    &self.ev_sorted[self.ev_off[i] as usize..self.ev_off[i + 1] as usize],
                );
                draw_external(&mut nr, pc, self.h, arr);
                sp.clear();
                let vint = precise_step(&mut nr, pc, self.h, drive, arr, sp);
                nc.put(k, &nr);
                for &o in sp.iter() {
                    spikes.push((i as u32, self.t + o));
                }
                if self.has_slow {
                    uc[k * d..(k + 1) * d]
                        .iter_mut()
                        .for_each(|x| *x *= self.e_s);
                }
                acc += vint / self.h;
            }
            v_sum[a] = acc;
        }
        ChunkOut { spikes, v_sum }
    }
}
