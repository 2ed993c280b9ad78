//! Unconnected neurons driven by Poisson sources and a bias current: the single-neuron
//! reference for transfer functions (Siegert, shot noise; docs/theory.md 2.2); and the
//! event-driven exact LIF driven by renewal trains or any recorded event stream, the
//! reference for the spectral closure (docs/theory.md 2.1).

use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::neuron::{Neuron, PopConst, draw_external, grid_step, precise_step};
use super::rng::{DriveRng, SimRng, Stream, exp1, stream, uniform};
use crate::error::{Error, Result};
use crate::model::{Model, Population, SimMode};
use crate::transfer::LifParams;
use crate::transfer::renewal::GammaRenewal;
use rand::RngExt;

/// Input and settings of a single-neuron run.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SingleNeuronInput {
    /// Neuron parameters.
    pub lif: LifParams,
    /// Independent Poisson sources: (jump in mV, rate in Hz). Merge trains of equal jump.
    pub sources: Vec<(f64, f64)>,
    /// Constant input (mV): the neuron relaxes to it without spikes.
    pub bias: f64,
    /// Number of independent neurons.
    pub n_neurons: usize,
    /// Recorded time per neuron after the warm-up (s).
    pub duration: f64,
    /// Warm-up (s); neurons start at the reset potential.
    pub warmup: f64,
    /// Time step (s).
    pub dt: f64,
    /// Grid or precise.
    pub mode: SimMode,
    /// Seed.
    pub seed: u64,
}

/// What a single-neuron run measured.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SingleNeuronResult {
    /// Mean rate (Hz).
    pub rate_hz: f64,
    /// Standard error of the rate from the spread across neurons (Hz).
    pub rate_se_hz: f64,
    /// Time-averaged membrane potential (mV): exact time average in precise mode,
    /// step-end samples in grid mode.
    pub mean_v_mv: f64,
    /// Standard error of `mean_v_mv` from the spread across neurons (mV).
    pub mean_v_se_mv: f64,
    /// CV of the pooled inter-spike intervals.
    pub cv_isi: f64,
    /// Mean of the pooled inter-spike intervals (s); NaN without two spikes.
    pub mean_isi_s: f64,
    /// Number of spikes counted.
    pub n_spikes: u64,
}

/// Simulate `n_neurons` unconnected LIF neurons (independent streams) with the given
/// Poisson inputs and bias, in grid or precise mode (docs/theory.md sections 1 and 3).
pub fn single_neuron(inp: &SingleNeuronInput) -> Result<SingleNeuronResult> {
    if !(inp.dt > 0.0) || !(inp.duration > 0.0) || !(inp.warmup >= 0.0) || inp.n_neurons == 0 {
        return Err(Error::invalid(
            "single_neuron",
            format!(
                "dt={} duration={} warmup={} n={}",
                inp.dt, inp.duration, inp.warmup, inp.n_neurons
            ),
            "dt and duration must be > 0, warmup >= 0, at least one neuron",
        ));
    }
    let pop = Population {
        name: "single".into(),
        n: 1,
        c: 0.0,
        tau_m: inp.lif.tau_m,
        theta: inp.lif.theta,
        v_reset: inp.lif.v_reset,
        tau_ref: inp.lif.tau_ref,
        j_ext: 0.0,
        beta_ext: 0.0,
    };
    let h = inp.dt;
    let pc = PopConst::new(&pop, h, 1.0, &inp.sources)?;
    let warm = (inp.warmup / h).round() as usize;
    let steps = (inp.duration / h).round() as usize;
    let per: Vec<(u64, f64, f64, f64, u64)> = (0..inp.n_neurons)
        .into_par_iter()
        .map(|i| {
            let mut nr = Neuron {
                v: pop.v_reset,
                refr: 0,
                ref_left: 0.0,
                rng: DriveRng::from_rng(&stream(inp.seed, Stream::Drive, i as u64)),
            };
            let mut arr = Vec::new();
            let mut sp = Vec::new();
            let (mut count, mut vsum) = (0u64, 0.0);
            let (mut last, mut s1, mut s2, mut ni) = (f64::NAN, 0.0, 0.0, 0u64);
            for step in 0..warm + steps {
                let t = step as f64 * h;
                let rec = step >= warm;
                if inp.mode == SimMode::Grid {
                    let spiked = grid_step(&mut nr, &pc, inp.bias, 0.0, 0.0);
                    sp.clear();
                    if spiked {
                        sp.push(h);
                    }
                    if rec {
                        vsum += nr.v;
                    }
                } else {
                    arr.clear();
                    draw_external(&mut nr, &pc, h, &mut arr);
                    sp.clear();
                    let vint = precise_step(&mut nr, &pc, h, inp.bias, &mut arr, &mut sp);
                    if rec {
                        vsum += vint / h;
                    }
                }
                if rec {
                    for &o in &sp {
                        let ts = t + o;
                        count += 1;
                        if !last.is_nan() {
                            let isi = ts - last;
                            s1 += isi;
                            s2 += isi * isi;
                            ni += 1;
                        }
                        last = ts;
                    }
                }
            }
            (count, vsum / steps as f64, s1, s2, ni)
        })
        .collect();
    let nn = inp.n_neurons as f64;
    let t_rec = steps as f64 * h;
    let rates: Vec<f64> = per.iter().map(|x| x.0 as f64 / t_rec).collect();
    let rate = rates.iter().sum::<f64>() / nn;
    let var = if inp.n_neurons > 1 {
        rates.iter().map(|r| (r - rate).powi(2)).sum::<f64>() / (nn - 1.0)
    } else {
        0.0
    };
    let mean_v = per.iter().map(|x| x.1).sum::<f64>() / nn;
    let var_v = if inp.n_neurons > 1 {
        per.iter().map(|x| (x.1 - mean_v).powi(2)).sum::<f64>() / (nn - 1.0)
    } else {
        0.0
    };
    let (s1, s2, ni) = per.iter().fold((0.0, 0.0, 0u64), |acc, x| {
        (acc.0 + x.2, acc.1 + x.3, acc.2 + x.4)
    });
    let mean_isi = if ni >= 1 { s1 / ni as f64 } else { f64::NAN };
    let cv = if ni >= 2 {
        ((s2 / ni as f64 - mean_isi * mean_isi).max(0.0)).sqrt() / mean_isi
    } else {
        f64::NAN
    };
    Ok(SingleNeuronResult {
        rate_hz: rate,
        rate_se_hz: (var / nn).sqrt(),
        mean_v_mv: mean_v,
        mean_v_se_mv: (var_v / nn).sqrt(),
        cv_isi: cv,
        mean_isi_s: mean_isi,
        n_spikes: per.iter().map(|x| x.0).sum(),
    })
}

/// One presynaptic source of the renewal single-neuron simulator: `count` independent
/// trains of rate `nu` (Hz) and ISI CV `cv` (gamma with dead time `tau_ref`; `cv = 1`
/// and `tau_ref = 0` is Poisson), each spike a jump `jump` (mV).
#[derive(Clone, Copy, Debug)]
pub struct RenewalSource {
    pub jump: f64,
    pub count: usize,
    pub nu: f64,
    pub cv: f64,
    pub tau_ref: f64,
}

impl RenewalSource {
    /// The external drive of a neuron of population `a` of `model`: `K_0` Poisson trains
    /// of rate `nu_0`, jump `J_A0 / sqrt(K)` (docs/theory.md 1).
    pub fn external(model: &Model, a: usize) -> Self {
        RenewalSource {
            jump: model.jump_ext(a),
            count: model.k_ext() as usize,
            nu: model.external.nu0,
            cv: 1.0,
            tau_ref: 0.0,
        }
    }

    /// The inputs of a neuron of population `a` of `model` with every presynaptic train
    /// renewal: from each population `B` `round(K_B)` trains of rate `nu` (Hz), ISI CV
    /// `cv` and dead time `tau_ref` (s), jump `J_AB / sqrt(K)`, then the external drive.
    pub fn network_inputs(model: &Model, a: usize, nu: f64, cv: f64, tau_ref: f64) -> Vec<Self> {
        (0..model.p())
            .map(|b| RenewalSource {
                jump: model.jump(a, b),
                count: model.k_in(b).round() as usize,
                nu,
                cv,
                tau_ref,
            })
            .chain([Self::external(model, a)])
            .collect()
    }
}

/// What [`simulate_renewal_neuron`] measured.
#[derive(Clone, Copy, Debug)]
pub struct RenewalNeuronResult {
    /// Rate (Hz).
    pub rate_hz: f64,
    /// Standard error of the rate across neurons (Hz).
    pub rate_se_hz: f64,
    /// Exact time-averaged membrane potential (mV).
    pub mean_v_mv: f64,
    /// Variance of the free membrane potential would need a separate run; this is the
    /// time-averaged V^2 minus mean^2 (mV^2) including resets.
    pub var_v_mv2: f64,
    /// Membrane Fano factor of the output spike trains (filtered by `exp(-t/tau_m)`,
    /// rate-weighted over neurons, as [`super::epochs::EpochCounter::membrane_fano`]);
    /// NaN without spikes.
    pub output_fano: f64,
}

/// Event-driven exact simulation of `n_neurons` independent LIF neurons (docs/theory.md
/// section 1) with constant input `bias` (mV) and renewal sources: trains start in
/// their stationary state (forward recurrence time), neurons at `Vr`, `warmup` (s)
/// discarded, `duration` (s) recorded per neuron. Neuron `i` uses stream `(seed, i)`.
///
/// # Errors
///
/// [`Error::Invalid`] naming the argument: no neurons; a source whose rate is not finite
/// and non-negative, whose `cv` is not finite and positive, or whose dead time leaves no
/// room for its rate (`nu tau_ref >= 1`), except the Poisson source (`cv = 1`,
/// `tau_ref = 0`); and the errors of [`lif_response`].
pub fn simulate_renewal_neuron(
    lif: &LifParams,
    sources: &[RenewalSource],
    bias: f64,
    n_neurons: usize,
    warmup: f64,
    duration: f64,
    seed: u64,
) -> Result<RenewalNeuronResult> {
    simulate_sources(lif, sources, None, bias, n_neurons, warmup, duration, seed)
}

/// A common rate modulation of Poisson sources (docs/theory.md 6.6, "Single neurons"):
/// every source listed in `sources` fires at `count nu (1 + depth zeta(t))_+` instead of
/// `count nu`, with `zeta` a unit-variance Ornstein-Uhlenbeck process of correlation
/// time `tau_c` (s), the same for all modulated sources of a neuron and independent
/// between neurons. The trains then share a component: the mean input is modulated by
/// `tau_m sum_B count_B nu_B J_B depth zeta(t)`.
#[derive(Clone, Debug)]
pub struct OuModulation {
    /// Correlation time of `zeta` (s).
    pub tau_c: f64,
    /// Standard deviation of the relative rate modulation `depth zeta`.
    pub depth: f64,
    /// Indices of the modulated sources (each Poisson: `cv = 1`, `tau_ref = 0`).
    pub sources: Vec<usize>,
}

impl OuModulation {
    /// Two-sided spectrum of the relative modulation `depth zeta(t)` at `omega` (rad/s):
    /// `2 depth^2 tau_c / (1 + omega^2 tau_c^2)` (s).
    pub fn spectrum(&self, omega: f64) -> f64 {
        2.0 * self.depth * self.depth * self.tau_c / (1.0 + (omega * self.tau_c).powi(2))
    }

    /// Steps per correlation time of the simulated `zeta`: it is updated exactly (the
    /// OU transition) every `tau_c / STEPS_PER_TAU` and held in between, which changes its
    /// spectrum by `O(1/STEPS_PER_TAU)` at frequencies near `1/tau_c`.
    pub const STEPS_PER_TAU: f64 = 200.0;
}

/// [`simulate_renewal_neuron`] with the Poisson sources listed in `modulation` sharing a
/// common Ornstein-Uhlenbeck rate modulation (independent between neurons): the
/// single-neuron check of the second-order rate change (6.6.1) for an input with a
/// shared component of known spectrum. Neuron `i` draws its trains from stream
/// `(seed, i)` and its `zeta` from a separate stream.
///
/// # Errors
///
/// As [`simulate_renewal_neuron`], and [`Error::Invalid`] if `tau_c` is not finite and
/// positive, `depth` not finite and non-negative, or a listed source does not exist or is
/// not Poisson.
#[allow(clippy::too_many_arguments)] // the arguments of simulate_renewal_neuron plus one
pub fn simulate_modulated_neuron(
    lif: &LifParams,
    sources: &[RenewalSource],
    modulation: &OuModulation,
    bias: f64,
    n_neurons: usize,
    warmup: f64,
    duration: f64,
    seed: u64,
) -> Result<RenewalNeuronResult> {
    if !(modulation.tau_c.is_finite() && modulation.tau_c > 0.0) {
        return Err(Error::invalid(
            "modulation.tau_c",
            modulation.tau_c,
            "must be finite and > 0 (s)",
        ));
    }
    if !(modulation.depth.is_finite() && modulation.depth >= 0.0) {
        return Err(Error::invalid(
            "modulation.depth",
            modulation.depth,
            "must be finite and >= 0 (relative rate modulation)",
        ));
    }
    for &i in &modulation.sources {
        match sources.get(i) {
            None => {
                return Err(Error::invalid(
                    "modulation.sources",
                    i,
                    format!("no such source (have {})", sources.len()),
                ));
            }
            Some(s) if !(s.cv == 1.0 && s.tau_ref == 0.0) => {
                return Err(Error::invalid(
                    format!("modulation.sources ({i})"),
                    format!("cv = {}, tau_ref = {} s", s.cv, s.tau_ref),
                    "only Poisson sources (cv = 1, tau_ref = 0) can be rate-modulated",
                ));
            }
            Some(_) => {}
        }
    }
    simulate_sources(
        lif,
        sources,
        Some(modulation),
        bias,
        n_neurons,
        warmup,
        duration,
        seed,
    )
}

#[allow(clippy::too_many_arguments)] // the two public entry points' arguments
fn simulate_sources(
    lif: &LifParams,
    sources: &[RenewalSource],
    modulation: Option<&OuModulation>,
    bias: f64,
    n_neurons: usize,
    warmup: f64,
    duration: f64,
    seed: u64,
) -> Result<RenewalNeuronResult> {
    use rayon::prelude::*;
    if n_neurons == 0 {
        return Err(Error::invalid("n_neurons", 0, "at least one neuron"));
    }
    for (i, s) in sources.iter().enumerate() {
        if !(s.nu.is_finite() && s.nu >= 0.0) {
            return Err(Error::invalid(
                format!("sources[{i}].nu"),
                s.nu,
                "must be finite and >= 0 (Hz)",
            ));
        }
        let poisson = s.cv == 1.0 && s.tau_ref == 0.0;
        if !poisson && s.nu > 0.0 && GammaRenewal::new(s.nu, s.cv, s.tau_ref).is_none() {
            return Err(Error::invalid(
                format!("sources[{i}]"),
                format!("nu = {} Hz, cv = {}, tau_ref = {} s", s.nu, s.cv, s.tau_ref),
                "a gamma renewal train needs cv > 0 (finite) and nu tau_ref < 1",
            ));
        }
    }
    let per: Vec<(f64, f64, f64, f64)> = (0..n_neurons)
        .into_par_iter()
        .map(|i| {
            one_neuron(
                lif, sources, modulation, bias, warmup, duration, seed, i as u64,
            )
        })
        .collect::<Result<_>>()?;
    let n = n_neurons as f64;
    let rates: Vec<f64> = per.iter().map(|p| p.0).collect();
    let mean = rates.iter().sum::<f64>() / n;
    let var = if n_neurons > 1 {
        rates.iter().map(|r| (r - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    let mv = per.iter().map(|p| p.1).sum::<f64>() / n;
    let mv2 = per.iter().map(|p| p.2).sum::<f64>() / n;
    let fano_num: f64 = per
        .iter()
        .map(|p| super::epochs::rate_times_membrane_fano(p.3, duration, lif.tau_m, p.0))
        .sum();
    let output_fano = if mean > 0.0 {
        fano_num / (mean * n)
    } else {
        f64::NAN
    };
    Ok(RenewalNeuronResult {
        rate_hz: mean,
        rate_se_hz: (var / n).sqrt(),
        mean_v_mv: mv,
        var_v_mv2: mv2 - mv * mv,
        output_fano,
    })
}

#[allow(clippy::too_many_arguments)] // simulate_sources' arguments and the neuron index
fn one_neuron(
    lif: &LifParams,
    sources: &[RenewalSource],
    modulation: Option<&OuModulation>,
    bias: f64,
    warmup: f64,
    duration: f64,
    seed: u64,
    index: u64,
) -> Result<(f64, f64, f64, f64)> {
    let modulated: &[usize] = modulation.map_or(&[], |m| &m.sources);
    let events = RenewalEvents::new(sources, modulated, stream(seed, Stream::Drive, index));
    match modulation {
        None => lif_response(lif, bias, warmup, duration, events),
        Some(m) => {
            let common = ModulatedEvents::new(sources, m, stream(seed, Stream::Modulation, index));
            lif_response(
                lif,
                bias,
                warmup,
                duration,
                MergeByTime::new(events, common),
            )
        }
    }
}

/// The events of the modulated Poisson sources of one neuron, in time order: an
/// inhomogeneous Poisson process of intensity `Lambda_0 (1 + depth zeta)_+`
/// (`Lambda_0 = sum count nu` over the modulated sources) by time rescaling, exact for
/// the held `zeta` (see [`OuModulation::STEPS_PER_TAU`]); each event's source is drawn
/// with probability `count nu / Lambda_0`.
struct ModulatedEvents {
    jumps: Vec<f64>,
    cum: Vec<f64>,
    lambda0: f64,
    depth: f64,
    step: f64,
    decay: f64,
    kick: f64,
    zeta: f64,
    t: f64,
    step_end: f64,
    need: f64,
    rng: SimRng,
}

impl ModulatedEvents {
    fn new(sources: &[RenewalSource], m: &OuModulation, mut rng: SimRng) -> Self {
        let weights: Vec<f64> = m
            .sources
            .iter()
            .map(|&i| sources[i].count as f64 * sources[i].nu)
            .collect();
        let lambda0: f64 = weights.iter().sum();
        let mut acc = 0.0;
        let cum = weights
            .iter()
            .map(|w| {
                acc += w / lambda0;
                acc
            })
            .collect();
        let step = m.tau_c / OuModulation::STEPS_PER_TAU;
        let decay = (-step / m.tau_c).exp();
        let zeta = super::rng::normal(&mut rng); // stationary start
        let need = exp1(&mut rng);
        ModulatedEvents {
            jumps: m.sources.iter().map(|&i| sources[i].jump).collect(),
            cum,
            lambda0,
            depth: m.depth,
            step,
            decay,
            kick: (1.0 - decay * decay).sqrt(),
            zeta,
            t: 0.0,
            step_end: step,
            need,
            rng,
        }
    }
}

impl Iterator for ModulatedEvents {
    type Item = (f64, f64);
    fn next(&mut self) -> Option<(f64, f64)> {
        if !(self.lambda0 > 0.0) {
            return None;
        }
        loop {
            let rate = self.lambda0 * (1.0 + self.depth * self.zeta).max(0.0);
            let mass = rate * (self.step_end - self.t);
            if self.need <= mass {
                self.t += self.need / rate;
                self.need = exp1(&mut self.rng);
                let u = uniform(&mut self.rng);
                let k = self
                    .cum
                    .iter()
                    .position(|&c| u < c)
                    .unwrap_or(self.cum.len() - 1);
                return Some((self.t, self.jumps[k]));
            }
            self.need -= mass;
            self.t = self.step_end;
            self.step_end += self.step;
            self.zeta = self.zeta * self.decay + self.kick * super::rng::normal(&mut self.rng);
        }
    }
}

/// Two time-ordered event streams merged in time order.
struct MergeByTime<A: Iterator<Item = (f64, f64)>, B: Iterator<Item = (f64, f64)>> {
    a: std::iter::Peekable<A>,
    b: std::iter::Peekable<B>,
}

impl<A: Iterator<Item = (f64, f64)>, B: Iterator<Item = (f64, f64)>> MergeByTime<A, B> {
    fn new(a: A, b: B) -> Self {
        MergeByTime {
            a: a.peekable(),
            b: b.peekable(),
        }
    }
}

impl<A: Iterator<Item = (f64, f64)>, B: Iterator<Item = (f64, f64)>> Iterator
    for MergeByTime<A, B>
{
    type Item = (f64, f64);
    fn next(&mut self) -> Option<(f64, f64)> {
        match (self.a.peek(), self.b.peek()) {
            (Some(x), Some(y)) => {
                if x.0 <= y.0 {
                    self.a.next()
                } else {
                    self.b.next()
                }
            }
            (Some(_), None) => self.a.next(),
            (None, _) => self.b.next(),
        }
    }
}

/// The merged input events `(time s, jump mV)` of independent renewal sources in time
/// order: gamma trains (stationary start) on a heap, Poisson sources as one merged train
/// each.
struct RenewalEvents<'a> {
    sources: &'a [RenewalSource],
    procs: Vec<Option<GammaRenewal>>,
    heap: std::collections::BinaryHeap<std::cmp::Reverse<(u64, u32)>>,
    poisson_next: Vec<f64>,
    rng: SimRng,
}

impl<'a> RenewalEvents<'a> {
    /// `skip`: sources generated elsewhere (the modulated ones).
    fn new(sources: &'a [RenewalSource], skip: &[usize], mut rng: SimRng) -> Self {
        use std::cmp::Reverse;
        let procs: Vec<Option<GammaRenewal>> = sources
            .iter()
            .map(|s| {
                if s.cv == 1.0 && s.tau_ref == 0.0 {
                    None
                } else {
                    GammaRenewal::new(s.nu, s.cv, s.tau_ref)
                }
            })
            .collect();
        // heap of (time as f64 bits, source): bits of positive f64 preserve order
        let mut heap = std::collections::BinaryHeap::new();
        let mut poisson_next: Vec<f64> = vec![f64::INFINITY; sources.len()];
        for (si, s) in sources.iter().enumerate() {
            if skip.contains(&si) {
                continue;
            }
            match &procs[si] {
                Some(g) => {
                    for _ in 0..s.count {
                        let t = sample_forward(g, &mut rng);
                        heap.push(Reverse((t.to_bits(), si as u32)));
                    }
                }
                None => {
                    // Poisson: one merged train of rate count * nu
                    let r = s.count as f64 * s.nu;
                    if r > 0.0 {
                        poisson_next[si] = exp1(&mut rng) / r;
                    }
                }
            }
        }
        RenewalEvents {
            sources,
            procs,
            heap,
            poisson_next,
            rng,
        }
    }
}

impl Iterator for RenewalEvents<'_> {
    type Item = (f64, f64);
    fn next(&mut self) -> Option<(f64, f64)> {
        use std::cmp::Reverse;
        let (mut tn, mut src, mut from_heap) = (f64::INFINITY, usize::MAX, false);
        if let Some(Reverse((bits, si))) = self.heap.peek() {
            tn = f64::from_bits(*bits);
            src = *si as usize;
            from_heap = true;
        }
        for (si, &tp) in self.poisson_next.iter().enumerate() {
            if tp < tn {
                tn = tp;
                src = si;
                from_heap = false;
            }
        }
        if !tn.is_finite() {
            return None;
        }
        let s = &self.sources[src];
        if from_heap {
            self.heap.pop();
            let g = self.procs[src].as_ref().expect("renewal source");
            let next = tn + sample_isi(g, &mut self.rng);
            self.heap.push(Reverse((next.to_bits(), src as u32)));
        } else {
            let r = s.count as f64 * s.nu;
            self.poisson_next[src] = tn + exp1(&mut self.rng) / r;
        }
        Some((tn, s.jump))
    }
}

/// Exact event-driven response of one LIF neuron (docs/theory.md section 1) with constant input
/// `bias` (mV) to input jumps `events` (`(time s, jump mV)`, non-decreasing times from
/// 0): exponential decay between events, threshold checked at events and at the
/// deterministic crossing when `bias > theta`, reset and refractoriness with input
/// discarded. Starts at `V_r`; `warmup` (s) is discarded, `duration` (s) recorded.
/// Returns (rate Hz, time-averaged V mV, time-averaged V^2 mV^2, output pair sum
/// `sum_{k,l} exp(-|t_k - t_l|/tau_m)` of the recorded spikes).
///
/// # Errors
///
/// [`Error::Invalid`] if `duration` is not finite and positive, `warmup` not finite and
/// non-negative, or an event time is negative, not finite, or earlier than the one before.
pub fn lif_response(
    lif: &LifParams,
    bias: f64,
    warmup: f64,
    duration: f64,
    events: impl Iterator<Item = (f64, f64)>,
) -> Result<(f64, f64, f64, f64)> {
    lif_response_with(lif, bias, warmup, duration, events, |_| {})
}

/// [`lif_response`], calling `on_spike(t)` with the time (s, from 0) of every recorded
/// spike (those after the warm-up), in order: the spike train for response and spectrum
/// estimates (docs/theory.md 6.4).
///
/// # Errors
///
/// As [`lif_response`].
pub fn lif_response_with(
    lif: &LifParams,
    bias: f64,
    warmup: f64,
    duration: f64,
    events: impl Iterator<Item = (f64, f64)>,
    mut on_spike: impl FnMut(f64),
) -> Result<(f64, f64, f64, f64)> {
    if !(duration.is_finite() && duration > 0.0) {
        return Err(Error::invalid(
            "duration",
            duration,
            "must be finite and > 0 (s)",
        ));
    }
    if !(warmup.is_finite() && warmup >= 0.0) {
        return Err(Error::invalid(
            "warmup",
            warmup,
            "must be finite and >= 0 (s)",
        ));
    }
    let mut events = events.peekable();
    let end = warmup + duration;
    let tau = lif.tau_m;
    let (mut t, mut v) = (0.0f64, lif.v_reset);
    let mut ref_until = lif.tau_ref.min(0.0);
    let (mut spikes, mut int_v, mut int_v2) = (0u64, 0.0, 0.0);
    // output pair sum sum_{k,l} exp(-|t_k - t_l|/tau_m) over recorded spikes, and the
    // trace sum_k exp(-(t_last - t_k)/tau_m) at the last one
    let (mut pair_sum, mut trace, mut t_last) = (0.0f64, 0.0f64, f64::NEG_INFINITY);
    let mut record = |t: f64, spikes: &mut u64| {
        if t >= warmup {
            *spikes += 1;
            on_spike(t);
            let a = trace * (-(t - t_last) / tau).exp();
            pair_sum += 1.0 + 2.0 * a;
            trace = a + 1.0;
            t_last = t;
        }
    };
    // integrate V and V^2 over [t0, t1] (clipped to the recording window) and advance
    let advance =
        |v: &mut f64, t0: f64, t1: f64, refr_end: f64, int_v: &mut f64, int_v2: &mut f64| {
            // refractory part
            let mut a = t0;
            if refr_end > a {
                let b = refr_end.min(t1);
                let (ca, cb) = (a.max(warmup), b.max(warmup));
                *int_v += lif.v_reset * (cb - ca);
                *int_v2 += lif.v_reset * lif.v_reset * (cb - ca);
                a = b;
                *v = lif.v_reset;
            }
            if t1 > a {
                let u0 = *v - bias;
                // part before warmup: only advance
                let ca = a.max(warmup);
                let u_a = u0 * (-(ca - a) / tau).exp();
                if t1 > ca {
                    let d = t1 - ca;
                    let e1 = (-d / tau).exp();
                    let e2 = (-2.0 * d / tau).exp();
                    let iu = u_a * tau * (1.0 - e1);
                    let iu2 = u_a * u_a * 0.5 * tau * (1.0 - e2);
                    *int_v += bias * d + iu;
                    *int_v2 += bias * bias * d + 2.0 * bias * iu + iu2;
                }
                *v = bias + u0 * (-(t1 - a) / tau).exp();
            }
        };
    loop {
        // next arrival
        let tn = events.peek().map_or(f64::INFINITY, |e| e.0);
        if !(tn >= t && tn >= 0.0) {
            return Err(Error::invalid(
                "events",
                tn,
                format!("times must be >= 0 and non-decreasing (previous {t} s)"),
            ));
        }
        // deterministic crossing before the arrival (suprathreshold bias)
        let t_free = t.max(ref_until);
        if bias > lif.theta {
            let v_free = if ref_until > t { lif.v_reset } else { v };
            if v_free < lif.theta {
                let tc = t_free + tau * ((bias - v_free) / (bias - lif.theta)).ln();
                if tc < tn && tc < end {
                    advance(&mut v, t, tc, ref_until, &mut int_v, &mut int_v2);
                    t = tc;
                    record(t, &mut spikes);
                    v = lif.v_reset;
                    ref_until = t + lif.tau_ref;
                    continue;
                }
            }
        }
        if tn >= end {
            advance(&mut v, t, end, ref_until, &mut int_v, &mut int_v2);
            break;
        }
        advance(&mut v, t, tn, ref_until, &mut int_v, &mut int_v2);
        t = tn;
        let Some((_, jump)) = events.next() else {
            break;
        };
        if t < ref_until {
            continue; // input discarded while refractory
        }
        v += jump;
        if v >= lif.theta {
            record(t, &mut spikes);
            v = lif.v_reset;
            ref_until = t + lif.tau_ref;
        }
    }
    Ok((
        spikes as f64 / duration,
        int_v / duration,
        int_v2 / duration,
        pair_sum,
    ))
}

/// Draw one ISI (s) of `g`: `tau_ref + Gamma(k, theta)`.
pub fn sample_isi(g: &GammaRenewal, rng: &mut SimRng) -> f64 {
    g.tau_ref + g.theta * sample_gamma(g.k, rng)
}

/// Forward recurrence time of `g` (time to the next event from a random moment in the
/// stationary process), by length-biased sampling: an interval drawn with probability
/// proportional to its length, then a uniform point in it.
pub fn sample_forward(g: &GammaRenewal, rng: &mut SimRng) -> f64 {
    // length-biased ISI: tau_ref + Gamma w.p. proportional to (tau_ref + G); mixture
    // of Gamma(k) (weight tau_ref) and Gamma(k+1) (weight k theta)
    let m = g.k * g.theta;
    let shape = if uniform(rng) * (g.tau_ref + m) < g.tau_ref {
        g.k
    } else {
        g.k + 1.0
    };
    uniform(rng) * (g.tau_ref + g.theta * sample_gamma(shape, rng))
}

/// A gamma deviate of shape `k` and scale 1 (rand_distr's Marsaglia-Tsang sampler).
fn sample_gamma(k: f64, rng: &mut SimRng) -> f64 {
    match rand_distr::Gamma::new(k, 1.0) {
        Ok(d) => rng.sample(d),
        Err(_) => 0.0, // k is positive and finite for every valid GammaRenewal
    }
}
