//! Spectral noise closure (docs/theory.md 2.1, "Why more is needed"; section 5 "Open
//! discrepancy"): the recurrent input seen as colored noise whose spectrum is the
//! presynaptic spike-train power spectrum.
//!
//! - Renewal spike-train spectrum `S(omega) = nu Re[(1 + L)/(1 - L)]`, `L = L(i omega)` the
//!   Laplace transform of the ISI density: `S(0) = nu CV^2`, `S -> nu` as
//!   `omega -> infinity`.
//! - Effective Fano factor seen by a free membrane of time constant `tau_m`:
//!   `F_eff = Int S |H|^2 / (nu Int |H|^2)`, `H = 1/(1 + i omega tau_m)`. For a renewal
//!   process this has the time-domain closed form (renewal density `m`, its Laplace
//!   transform `L/(1-L)`): `F_eff = 1 + 2 [L(s)/(1 - L(s)) - nu/s]` at `s = 1/tau_m`.
//! - The closure's presynaptic trains are those of the white-noise LIF behind each
//!   neuron's rate, whose `L(1/tau_m)` is a ratio of `erfcx` ([`lif_laplace_at_inv_tau`],
//!   [`lif_fano_eff`]); population average `F_B = E_B[nu F_eff] / nu_B`
//!   ([`spectral_fano`]).
//! - [`GammaRenewal`] (ISI = `tau_ref + Gamma(k, theta)`, `L(s) = exp(-s tau_ref) (1 + s
//!   theta)^(-k)`) has the spectrum in closed form and a frequency-integral `F_eff`
//!   ([`GammaRenewal::fano_eff_spectral`]), the independent check of the time-domain
//!   identity; it also generates the input trains of the single-neuron reference.
//!
//! A gamma-renewal single-neuron simulator ([`simulate_renewal_neuron`]) is the reference
//! for the colored-noise rate correction: superposed independent gamma trains per source,
//! exact exponential decay between arrivals, threshold checked at arrivals (and at the
//! deterministic crossing when the bias is suprathreshold), reset and refractoriness
//! with input discarded (docs/theory.md section 1).

use std::f64::consts::PI;

use crate::error::Result;
use crate::model::Model;
use crate::sim::rng::{SimRng, Stream, normal, stream, uniform};
use crate::transfer::{LifParams, Transfer};

use super::stationary::State;

/// A gamma renewal process with dead time: ISI = `tau_ref + Gamma(k, theta)`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GammaRenewal {
    /// Rate (Hz).
    pub nu: f64,
    /// Dead time (s).
    pub tau_ref: f64,
    /// Gamma shape.
    pub k: f64,
    /// Gamma scale (s).
    pub theta: f64,
}

impl GammaRenewal {
    /// The process with rate `nu` (Hz), ISI CV `cv` and dead time `tau_ref` (s). The
    /// gamma part has mean `1/nu - tau_ref` and variance `cv^2/nu^2`; `None` unless
    /// `0 < nu < 1/tau_ref` and `cv > 0`.
    pub fn new(nu: f64, cv: f64, tau_ref: f64) -> Option<Self> {
        let m = 1.0 / nu - tau_ref;
        if !(nu > 0.0 && m > 0.0 && cv > 0.0 && cv.is_finite()) {
            return None;
        }
        let var = (cv / nu).powi(2);
        let theta = var / m;
        Some(GammaRenewal {
            nu,
            tau_ref,
            k: m / theta,
            theta,
        })
    }

    /// ISI coefficient of variation.
    pub fn cv(&self) -> f64 {
        self.k.sqrt() * self.theta * self.nu
    }

    /// `ln L(s)` for real `s >= 0`.
    fn ln_laplace(&self, s: f64) -> f64 {
        -s * self.tau_ref - self.k * (s * self.theta).ln_1p()
    }

    /// `L(s)/(1 - L(s)) - nu/s` for real `s > 0` (the Laplace transform of the renewal
    /// density minus its constant part), without cancellation in `1 - L`.
    fn renewal_excess(&self, s: f64) -> f64 {
        let ln_l = self.ln_laplace(s);
        let one_minus = -ln_l.exp_m1();
        ln_l.exp() / one_minus - self.nu / s
    }

    /// Power spectrum `S(omega)` (Hz) of the spike train at angular frequency `omega`
    /// (rad/s): `nu Re[(1 + L)/(1 - L)] = nu (-2 Re E / |E|^2 - 1)` with
    /// `E = L(i omega) - 1 = expm1(z)`, `z = -i omega tau_ref - k Ln(1 + i omega theta)`,
    /// `Re E = expm1(Re z) cos(Im z) - 2 sin^2(Im z / 2)`: both terms `O(omega^2)` of one
    /// sign at small `omega`, so the ratio keeps full precision down to `omega -> 0`
    /// (where it returns the limit `nu CV^2`).
    pub fn spectrum(&self, omega: f64) -> f64 {
        let w = omega.abs();
        if w == 0.0 || w * (self.theta + self.tau_ref) < 1e-150 {
            return self.nu * self.cv().powi(2);
        }
        let wt = w * self.theta;
        let re_z = -0.5 * self.k * (wt * wt).ln_1p();
        let im_z = -w * self.tau_ref - self.k * wt.atan();
        let em = re_z.exp_m1();
        let re_e = em * im_z.cos() - 2.0 * (0.5 * im_z).sin().powi(2);
        let im_e = re_z.exp() * im_z.sin();
        let abs2 = re_e * re_e + im_e * im_e;
        self.nu * (-2.0 * re_e / abs2 - 1.0)
    }

    /// Effective Fano factor seen by a free membrane of time constant `tau_m` (s):
    /// `F_eff = 1 + 2 [L(s)/(1 - L(s)) - nu/s]`, `s = 1/tau_m` (closed form; equals
    /// [`Self::fano_eff_spectral`]).
    pub fn fano_eff(&self, tau_m: f64) -> f64 {
        1.0 + 2.0 * self.renewal_excess(1.0 / tau_m)
    }

    /// `F_eff` by the frequency integral `Int S |H|^2 d omega / (nu Int |H|^2 d omega)`,
    /// mapped to a finite range by `omega = tan(phi)/tau_m`:
    /// `F_eff = 1 + (2/pi) Int_0^{pi/2} (S/nu - 1) d phi` (double-exponential quadrature on
    /// 64 panels, absolute accuracy about 1e-9).
    pub fn fano_eff_spectral(&self, tau_m: f64) -> f64 {
        let panels = 64;
        let h = 0.5 * PI / panels as f64;
        let f = |phi: f64| {
            let omega = phi.tan() / tau_m;
            if !omega.is_finite() {
                0.0
            } else {
                self.spectrum(omega) / self.nu - 1.0
            }
        };
        let mut sum = 0.0;
        for i in 0..panels {
            let a = i as f64 * h;
            sum += quadrature::double_exponential::integrate(f, a, a + h, 1e-11).integral;
        }
        1.0 + 2.0 / PI * sum
    }

    /// Draw one ISI (s).
    pub fn sample_isi(&self, rng: &mut SimRng) -> f64 {
        self.tau_ref + self.theta * sample_gamma(self.k, rng)
    }

    /// Forward recurrence time (time to the next event from a random moment in the
    /// stationary process), by length-biased sampling: an interval drawn with
    /// probability proportional to its length, then a uniform point in it.
    pub fn sample_forward(&self, rng: &mut SimRng) -> f64 {
        // length-biased ISI: tau_ref + Gamma w.p. proportional to (tau_ref + G); mixture
        // of Gamma(k) (weight tau_ref) and Gamma(k+1) (weight k theta)
        let m = self.k * self.theta;
        let g = if uniform(rng) * (self.tau_ref + m) < self.tau_ref {
            sample_gamma(self.k, rng)
        } else {
            sample_gamma(self.k + 1.0, rng)
        };
        uniform(rng) * (self.tau_ref + self.theta * g)
    }
}

/// Marsaglia-Tsang gamma deviate of shape `k` (scale 1).
fn sample_gamma(k: f64, rng: &mut SimRng) -> f64 {
    if k < 1.0 {
        let u = uniform(rng).max(1e-300);
        return sample_gamma(k + 1.0, rng) * u.powf(1.0 / k);
    }
    let d = k - 1.0 / 3.0;
    let c = 1.0 / (9.0 * d).sqrt();
    loop {
        let x = normal(rng);
        let v = 1.0 + c * x;
        if v <= 0.0 {
            continue;
        }
        let v = v * v * v;
        let u = uniform(rng);
        if u < 1.0 - 0.0331 * x.powi(4) || u.max(1e-300).ln() < 0.5 * x * x + d * (1.0 - v + v.ln())
        {
            return d * v;
        }
    }
}

/// Effective membrane Fano factor (docs/theory.md 2.1) of a gamma renewal train (the input
/// model of [`simulate_renewal_neuron`]; the closure itself uses [`lif_fano_eff`]) with
/// rate `nu` (Hz) and ISI CV `cv`, dead time `tau_ref`, seen by a membrane of
/// time constant `tau_m` (s). Rates at or above `1/tau_ref` or CV not positive: the
/// regular limit is approached, returned as the `CV -> 0` value of a train at 0.999 of
/// the maximal rate; `nu <= 0`: 1 (Poisson, irrelevant as it is weighted by `nu`).
pub fn fano_eff(nu: f64, cv: f64, tau_ref: f64, tau_m: f64) -> f64 {
    // Below 1e-9 Hz the ISI moments overflow, and F_eff is 1 to within nu tau_m anyway
    // (both L(1/tau_m) and nu tau_m vanish); a non-finite CV (far subthreshold) likewise.
    if !(nu > 1e-9) || !cv.is_finite() {
        return 1.0;
    }
    let nu_c = if tau_ref > 0.0 {
        nu.min(0.999 / tau_ref)
    } else {
        nu
    };
    match GammaRenewal::new(nu_c, cv.max(1e-3), tau_ref) {
        Some(g) => g.fano_eff(tau_m).clamp(0.0, f64::INFINITY),
        None => 1.0,
    }
}

/// `ln erfcx(x)` for every real `x`: below `-25`, `erfcx(x) = 2 exp(x^2) - erfcx(-x)`
/// and the second term is below `1e-270` of the first.
fn ln_erfcx(x: f64) -> f64 {
    if x < -25.0 {
        x * x + std::f64::consts::LN_2
    } else {
        puruspe::erfcx(x).ln()
    }
}

/// Laplace transform `L(s) = E[exp(-s ISI)]` of the inter-spike interval of the LIF
/// neuron driven by white noise (docs/theory.md 2.1, the Siegert model: `tau_m dV/dt = mu - V +
/// sigma sqrt(tau_m) xi`), at `s = 1/tau_m`, closed form:
///
/// ```text
/// L(1/tau_m) = exp(-tau_ref/tau_m) erfcx((mu - V_r)/sigma) / erfcx((mu - theta)/sigma).
/// ```
///
/// Derivation: the first-passage time from `V_r` to `theta` has `L_T(s) =
/// phi_s(V_r)/phi_s(theta)`, `phi_s` the increasing solution of the backward equation
/// `(mu - x) phi' + (sigma^2/2) phi'' = s tau_m phi`, i.e. `exp((x-mu)^2/(2 sigma^2))
/// D_{-s tau_m}(sqrt 2 (mu - x)/sigma)` with `D` the parabolic cylinder function
/// (Lindner, Schimansky-Geier & Longtin 2002). At `s tau_m = 1`, `D_{-1}(z) = sqrt(pi/2)
/// exp(z^2/4) erfc(z/sqrt 2)`, which gives the ratio of `erfcx` above (checked against
/// mpmath `pcfd` in `tests/spectral.rs`). `sigma <= 0`: the deterministic limit
/// `exp(-ISI/tau_m)` (0 below threshold).
pub fn lif_laplace_at_inv_tau(lif: &LifParams, mu: f64, sigma: f64) -> f64 {
    let dead = (-lif.tau_ref / lif.tau_m).exp();
    if sigma <= 0.0 {
        return if mu > lif.theta {
            dead * (mu - lif.theta) / (mu - lif.v_reset)
        } else {
            0.0
        };
    }
    dead * (ln_erfcx((mu - lif.v_reset) / sigma) - ln_erfcx((mu - lif.theta) / sigma)).exp()
}

/// Membrane Fano factor of the spike train of a LIF neuron driven by white noise
/// (docs/theory.md 2.1, spectral closure), exact for this renewal process:
/// `F_eff = 1 + 2 [L/(1 - L) - nu tau_m]` with `L` = [`lif_laplace_at_inv_tau`] and `nu`
/// the Siegert rate at the same `(mu, sigma)` (the renewal-density form of
/// [`GammaRenewal::fano_eff`]; equals `Int S |H|^2 / (nu Int |H|^2)` with the LIF's own
/// spike-train spectrum `S`, Dummer, Wieland & Lindner 2014). Between 0 and 1 for
/// `tau_ref > 0`; 1 where the rate underflows.
pub fn lif_fano_eff(lif: &LifParams, mu: f64, sigma: f64) -> f64 {
    let nu = crate::transfer::siegert::rate(lif, mu, sigma);
    if !(nu > 0.0) {
        return 1.0;
    }
    let l = lif_laplace_at_inv_tau(lif, mu, sigma);
    1.0 + 2.0 * (l / (1.0 - l) - nu * lif.tau_m)
}

/// Spectral closure (docs/theory.md 2.1): `F_B = E_B[nu F_eff] / nu_B` for each population,
/// the rate from the population's (colored) transfer function and `F_eff` that of the
/// spike train of the white-noise LIF model behind that rate: [`lif_fano_eff`] at the
/// shifted input `x + delta` and `sigma_eff` (see [`colored_transfer`]), so that the
/// train's spectrum and the neuron's rate come from one renewal model (Dummer, Wieland &
/// Lindner 2014 close the same loop with the full spectrum). Averaged over the Gaussian
/// of inputs. The presynaptic `tau_m` filters the train: with equal `tau_m` (all
/// presets) this is the receiving membrane's.
///
/// Measured against the network (`balnet compare`, column `F`): this `F` is still about
/// 15% above the simulated trains' membrane Fano factor, because neurons driven by input
/// that lacks slow fluctuations fire more regularly than under white noise of the same
/// variance; see `docs/closures.md`.
pub fn spectral_fano(model: &Model, state: &State) -> Result<Vec<f64>> {
    let nu = state.rates();
    let fano = state.fano();
    let shifts: Vec<f64> = (0..state.populations.len())
        .map(|b| colored_shift(model, b, &nu, &fano).0)
        .collect();
    super::closure::rate_weighted_fano(model, state, "spectral", |b, lif, x, sigma| {
        lif_fano_eff(lif, x + shifts[b], sigma)
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
    /// rate-weighted over neurons, as [`crate::sim::epochs::EpochCounter::membrane_fano`]);
    /// NaN without spikes.
    pub output_fano: f64,
}

/// Event-driven exact simulation of `n_neurons` independent LIF neurons (docs/theory.md
/// section 1) with constant input `bias` (mV) and renewal sources: trains start in
/// their stationary state (forward recurrence time), neurons at `Vr`, `warmup` (s)
/// discarded, `duration` (s) recorded per neuron. Neuron `i` uses stream `(seed, i)`.
pub fn simulate_renewal_neuron(
    lif: &LifParams,
    sources: &[RenewalSource],
    bias: f64,
    n_neurons: usize,
    warmup: f64,
    duration: f64,
    seed: u64,
) -> RenewalNeuronResult {
    use rayon::prelude::*;
    let per: Vec<(f64, f64, f64, f64)> = (0..n_neurons)
        .into_par_iter()
        .map(|i| one_neuron(lif, sources, bias, warmup, duration, seed, i as u64))
        .collect();
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
        .map(|p| crate::sim::epochs::rate_times_membrane_fano(p.3, duration, lif.tau_m, p.0))
        .sum();
    let output_fano = if mean > 0.0 {
        fano_num / (mean * n)
    } else {
        f64::NAN
    };
    RenewalNeuronResult {
        rate_hz: mean,
        rate_se_hz: (var / n).sqrt(),
        mean_v_mv: mv,
        var_v_mv2: mv2 - mv * mv,
        output_fano,
    }
}

fn one_neuron(
    lif: &LifParams,
    sources: &[RenewalSource],
    bias: f64,
    warmup: f64,
    duration: f64,
    seed: u64,
    index: u64,
) -> (f64, f64, f64, f64) {
    let events = RenewalEvents::new(sources, stream(seed, Stream::Drive, index));
    lif_response(lif, bias, warmup, duration, events)
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
    fn new(sources: &'a [RenewalSource], mut rng: SimRng) -> Self {
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
            match &procs[si] {
                Some(g) => {
                    for _ in 0..s.count {
                        let t = g.sample_forward(&mut rng);
                        heap.push(Reverse((t.to_bits(), si as u32)));
                    }
                }
                None => {
                    // Poisson: one merged train of rate count * nu
                    let r = s.count as f64 * s.nu;
                    if r > 0.0 {
                        poisson_next[si] = -uniform(&mut rng).max(1e-300).ln() / r;
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
            let next = tn + g.sample_isi(&mut self.rng);
            self.heap.push(Reverse((next.to_bits(), src as u32)));
        } else {
            let r = s.count as f64 * s.nu;
            self.poisson_next[src] = tn - uniform(&mut self.rng).max(1e-300).ln() / r;
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
pub fn lif_response(
    lif: &LifParams,
    bias: f64,
    warmup: f64,
    duration: f64,
    events: impl Iterator<Item = (f64, f64)>,
) -> (f64, f64, f64, f64) {
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
        let (_, jump) = events.next().expect("peeked event");
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
    (
        spikes as f64 / duration,
        int_v / duration,
        int_v2 / duration,
        pair_sum,
    )
}

/// Calibration constant `gamma` of the colored-noise threshold shift (dimensionless),
/// see [`colored_shift`].
pub const SHIFT_GAMMA: f64 = 0.27;

/// Colored-noise correction of the firing rate (docs/theory.md 2.1, spectral closure).
///
/// The recurrent input of regular trains keeps the full Poisson power at high
/// frequencies (`S -> nu`) and lacks power below about the presynaptic rate. White noise
/// of the membrane-filtered variance `sigma_eff^2 = tau_m (sum c J^2 nu F_eff + ext)` gets
/// the free-membrane variance right, but the threshold, crossed by the fast part of the
/// input, sees more noise than that: single LIF neurons driven by gamma-renewal trains
/// fire above `Phi_Siegert(x, sigma_eff)` by an amount that is, to within the simulation
/// error, a constant shift of the input (as in Fourcaud & Brunel 2002, with the opposite
/// sign: a spectral deficit at low rather than an excess at high frequencies):
///
/// ```text
/// Phi_spectral(x) = Phi(x + delta, sigma_eff),
/// delta = gamma (sigma_inf^2 - sigma_eff^2) / sigma_eff,
/// ```
///
/// `sigma_inf` the Poisson (high-frequency) noise, `gamma` = [`SHIFT_GAMMA`]. This has the
/// Fourcaud-Brunel form `(alpha/2) sqrt(tau_c/tau_m) sigma_c^2/sigma` with the deficit
/// `sigma_c^2 = sigma_inf^2 - sigma_eff^2` and an effective `tau_c` of about 0.07 tau_m;
/// `gamma` is calibrated, not derived: fitted to event-driven simulations (exact
/// integration, 100 neurons x 10 s) of the default model's jump sizes at mean inputs
/// 8-20 mV, for presynaptic (rate, CV) = (12/15 Hz, 0.7), (30 Hz, 0.5), (5/8 Hz, 0.85):
/// the equivalent shift was 0.70, 2.4 and 0.15 mV, i.e. gamma = 0.28, 0.28, 0.23.
/// The mean potential uses the true `x` (docs/theory.md 2.6.1 at the corrected rate).
pub fn colored_shift(model: &Model, a: usize, nu: &[f64], fano: &[f64]) -> (f64, f64, f64) {
    let nu_fano: Vec<f64> = nu.iter().zip(fano).map(|(n, f)| n * f).collect();
    let s_inf = super::inputs::noise_sigma(model, a, nu);
    let s_eff = super::inputs::noise_sigma(model, a, &nu_fano);
    let delta = if s_eff > 0.0 {
        SHIFT_GAMMA * (s_inf * s_inf - s_eff * s_eff) / s_eff
    } else {
        0.0
    };
    (delta, s_inf, s_eff)
}

/// A transfer function evaluated at a shifted input, `Phi(x + shift)`, whose mean
/// potential is that of the unshifted input at the same rate:
/// `<V>(x) = <V>_base(x + shift) - (1 - nu tau_ref) shift` (docs/theory.md 2.6.1 is linear in
/// `x` at fixed `nu`).
pub struct Shifted<T: Transfer> {
    pub base: T,
    pub shift: f64,
    pub tau_ref: f64,
}

impl<T: Transfer> Transfer for Shifted<T> {
    fn rate(&self, x: f64) -> f64 {
        self.base.rate(x + self.shift)
    }
    fn drate_dx(&self, x: f64) -> f64 {
        self.base.drate_dx(x + self.shift)
    }
    fn ln_rate(&self, x: f64) -> f64 {
        self.base.ln_rate(x + self.shift)
    }
    fn mean_v(&self, x: f64) -> f64 {
        let nu = self.rate(x);
        self.base.mean_v(x + self.shift) - (1.0 - nu * self.tau_ref) * self.shift
    }
    fn breakpoints(&self) -> Vec<f64> {
        self.base
            .breakpoints()
            .into_iter()
            .map(|b| b - self.shift)
            .collect()
    }
    fn inverse(&self, nu: f64) -> Option<f64> {
        self.base.inverse(nu).map(|x| x - self.shift)
    }
}

/// The spectral closure's transfer function of population `a` (docs/theory.md 2.1-2.2): the
/// Model's transfer (Siegert at `sigma` = `sigma_eff`, or shot noise with the Fano-scaled
/// sources) shifted by [`colored_shift`]. Arguments as [`super::closure::transfer_for`].
pub fn colored_transfer(
    model: &Model,
    a: usize,
    nu: &[f64],
    fano: &[f64],
    sigma: f64,
    mean: f64,
    delta: f64,
) -> Result<super::closure::SharedTransfer> {
    let (shift, _, _) = colored_shift(model, a, nu, fano);
    let mut base_model = model.clone();
    base_model.noise = crate::model::NoiseClosure::Poisson;
    let base = super::closure::transfer_for(&base_model, a, nu, fano, sigma, mean + shift, delta)?;
    Ok(super::closure::SharedTransfer::new(Shifted {
        base,
        shift,
        tau_ref: model.populations[a].tau_ref,
    }))
}
