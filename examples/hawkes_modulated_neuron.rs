//! The second-order response of the Hawkes-driven neuron (docs/theory.md 6.4.2) against an
//! event-driven Monte Carlo of the same neuron with a sinusoidally modulated source.
//!
//! The neuron is population E of the default model; its recurrent input is one
//! self-inhibiting (Hawkes) source per population (docs/theory.md 2.2.1) with the
//! low-frequency level `CV^2` and membrane Fano factor `F_eff` of gamma trains of rate `NU`
//! and ISI CV `CV` (2 ms dead time), its external input Poisson, at mean input `X` (mV).
//! Each source is the linear Hawkes process of intensity `mu + eps(t) - beta w(t)`,
//! `beta = 1/sqrt(s0) - 1`, `mu = R (1 + beta)`, `w` the source's own events filtered
//! with the unit-area exponential kernel of time `tau_c / sqrt(s0)` (its relative spectrum
//! is the one-pole `1 - (1 - s0)/(1 + (omega tau_c)^2)`). A modulation
//! `eps(t) = 2 delta cos(omega t + phi)` (random phase per neuron) of one source's baseline
//! raises the time-averaged rate by `2 chi_2(omega, -omega) delta^2` at second order.
//!
//! The Monte Carlo is exact (event-driven, thinning of the intensity at its bound
//! `mu + 2 |delta|`, the membrane integrated in closed form between events, threshold
//! crossings by the drift found in closed form). For each modulation the table gives the
//! simulated rate change against the unmodulated run (same neuron count and duration per
//! run, independent seeds) and `2 chi_2 delta^2` from the solver at
//! `HawkesResolution::default()`, both as a rate change and as a log-rate change (the two
//! forms differ at fourth order in `delta`, which modulations of about 20% of the rate
//! resolve).
//!
//! `cargo run --release --example hawkes_modulated_neuron -- NU CV X SRC:F_HZ:DELTA_HZ[,...] NEURONS SECONDS SEED`
//! (`SRC` is `E` or `I`), e.g. `-- 70 0.4 0 E:70:3500,E:20:2000,I:70:700,I:20:370 1000 10 31`
//! (docs/closures.md, "The remaining miss examined").

use std::f64::consts::PI;
use std::time::Instant;

use balnet::sim::rng::{SimRng, Stream, exp1, stream, uniform};
use balnet::theory::correlated::GammaTrainsPoint;
use balnet::transfer::LifParams;
use balnet::transfer::shot_noise::hawkes::{self, HawkesResolution, HawkesSource};
use rayon::prelude::*;

/// One Hawkes source as the simulation needs it.
#[derive(Clone, Copy)]
struct Linear {
    /// Baseline intensity `mu` (Hz).
    mu: f64,
    /// Self-inhibition `beta`.
    beta: f64,
    /// Kernel time (s).
    kernel: f64,
    /// Jump (mV).
    jump: f64,
    /// Stationary rate (Hz), the mean of `w`.
    rate: f64,
}

impl Linear {
    fn of(s: &HawkesSource) -> Self {
        Linear {
            mu: s.baseline_hz(),
            beta: s.self_inhibition(),
            kernel: s.kernel_time(),
            jump: s.jump_mv,
            rate: s.rate_hz,
        }
    }
}

/// A sinusoidal modulation of one source's baseline.
#[derive(Clone, Copy)]
struct Modulation {
    source: usize,
    omega: f64,
    delta: f64,
}

/// Spikes of `neurons` neurons over `seconds` after a 1 s warm-up.
#[allow(clippy::too_many_arguments)]
fn simulate(
    lif: &LifParams,
    bias: f64,
    sources: &[Linear],
    poisson: (f64, f64),
    modulation: Option<Modulation>,
    neurons: usize,
    seconds: f64,
    seed: u64,
) -> u64 {
    let warm = 1.0;
    let end = warm + seconds;
    let (r0, j0) = poisson;
    (0..neurons)
        .into_par_iter()
        .map(|i| {
            let mut rng: SimRng = stream(seed, Stream::Modulation, i as u64);
            let phase = 2.0 * PI * uniform(&mut rng);
            let bound: Vec<f64> = (0..sources.len())
                .map(|k| match modulation {
                    Some(m) if m.source == k => sources[k].mu + 2.0 * m.delta.abs(),
                    _ => sources[k].mu,
                })
                .collect();
            let total = r0 + bound.iter().sum::<f64>();
            let mut w: Vec<f64> = sources.iter().map(|s| s.rate).collect();
            let (mut t, mut t_w) = (0.0, 0.0);
            let (mut v, mut t_v) = (lif.v_reset, 0.0);
            let mut ref_end = f64::NEG_INFINITY;
            let mut spikes = 0;
            loop {
                t += exp1(&mut rng) / total;
                if t >= end {
                    break spikes;
                }
                // the membrane up to t: leak towards the bias, crossings by the drift
                while ref_end <= t {
                    if ref_end > t_v {
                        (v, t_v) = (lif.v_reset, ref_end);
                    }
                    if bias > lif.theta && v < lif.theta {
                        let cross = t_v + lif.tau_m * ((bias - v) / (bias - lif.theta)).ln();
                        if cross <= t {
                            spikes += u64::from(cross >= warm);
                            (ref_end, t_v) = (cross + lif.tau_ref, cross);
                            continue;
                        }
                    }
                    v = bias + (v - bias) * (-(t - t_v) / lif.tau_m).exp();
                    t_v = t;
                    break;
                }
                // which stream; a Hawkes candidate is kept with probability intensity/bound
                let mut u = uniform(&mut rng) * total;
                let jump = if u < r0 {
                    Some(j0)
                } else {
                    u -= r0;
                    let (mut k, mut below) = (0, 0.0);
                    while k + 1 < bound.len() && u >= below + bound[k] {
                        below += bound[k];
                        k += 1;
                    }
                    for (wq, s) in w.iter_mut().zip(sources) {
                        *wq *= (-(t - t_w) / s.kernel).exp();
                    }
                    t_w = t;
                    let s = &sources[k];
                    let eps = match modulation {
                        Some(m) if m.source == k => 2.0 * m.delta * (m.omega * t + phase).cos(),
                        _ => 0.0,
                    };
                    let intensity = (s.mu + eps - s.beta * w[k]).max(0.0);
                    if u - below < intensity {
                        w[k] += 1.0 / s.kernel;
                        Some(s.jump)
                    } else {
                        None
                    }
                };
                if let Some(j) = jump.filter(|_| ref_end <= t) {
                    v += j;
                    if v >= lif.theta {
                        spikes += u64::from(t >= warm);
                        (ref_end, t_v) = (t + lif.tau_ref, t);
                    }
                }
            }
        })
        .sum()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage =
        "usage: hawkes_modulated_neuron NU CV X SRC:F_HZ:DELTA_HZ[,...] NEURONS SECONDS SEED";
    let arg = |k: usize| args.get(k).ok_or(usage);
    let (nu, cv, x): (f64, f64, f64) = (arg(1)?.parse()?, arg(2)?.parse()?, arg(3)?.parse()?);
    let mods = arg(4)?
        .split(',')
        .map(
            |s| -> Result<(usize, f64, f64), Box<dyn std::error::Error>> {
                let f: Vec<&str> = s.split(':').collect();
                let source = match f.first() {
                    Some(&"E") => 0,
                    Some(&"I") => 1,
                    _ => return Err(format!("{s}: the source is E or I; {usage}").into()),
                };
                if f.len() != 3 {
                    return Err(format!("{s}: expected SRC:F_HZ:DELTA_HZ").into());
                }
                Ok((source, f[1].parse()?, f[2].parse()?))
            },
        )
        .collect::<Result<Vec<_>, _>>()?;
    let neurons: usize = arg(5)?.parse()?;
    let seconds: f64 = arg(6)?.parse()?;
    let seed: u64 = arg(7)?.parse()?;

    let m = balnet::presets::default_model();
    let pt = GammaTrainsPoint::new(&m, 0, nu, cv)?;
    let bias = pt.bias(x);
    let GammaTrainsPoint {
        lif,
        sources,
        external,
        ..
    } = pt;
    let r0: f64 = external.rates_hz.iter().sum();
    let j0 = external.jumps_mv[0];
    if external.jumps_mv.iter().any(|&j| j != j0) {
        return Err("the external sources must share one jump".into());
    }
    let linear: Vec<Linear> = sources.iter().map(Linear::of).collect();

    let t0 = Instant::now();
    // the distinct frequencies, each solved once
    let mut freqs: Vec<f64> = mods.iter().map(|q| q.1).collect();
    freqs.sort_by(f64::total_cmp);
    freqs.dedup();
    let omegas: Vec<f64> = freqs.iter().map(|f| 2.0 * PI * f).collect();
    let res = HawkesResolution::default();
    let chi = hawkes::second_order_with(&lif, &external, &sources, bias, &omegas, &[0, 1], &res)?;
    println!(
        "nu {nu} Hz, CV {cv}, x {x} mV: solver rate {:.5} Hz ({} modes, {:.0} s)",
        chi.rate_hz,
        res.modes,
        t0.elapsed().as_secs_f64()
    );
    let t1 = Instant::now();
    let n_sec = neurons as f64 * seconds;
    let base = simulate(&lif, bias, &linear, (r0, j0), None, neurons, seconds, seed) as f64;
    let (r_base, se_base) = (base / n_sec, base.sqrt() / n_sec);
    println!(
        "unmodulated: simulated {r_base:.5} +- {se_base:.5} Hz ({neurons} x {seconds} s, seed {seed}, {:.0} s)",
        t1.elapsed().as_secs_f64()
    );
    println!(
        "{:>3} {:>7} {:>9} | {:>9} {:>8} | {:>9} {:>8} {:>8} {:>6} | {:>8} {:>8} {:>6}",
        "src",
        "f (Hz)",
        "delta",
        "sim",
        "se",
        "sim-base",
        "se",
        "2chi2d2",
        "z",
        "ln ratio",
        "se",
        "z"
    );
    for (k, &(source, f, delta)) in mods.iter().enumerate() {
        let at = freqs.iter().position(|&q| q == f).unwrap_or(0);
        let modulation = Modulation {
            source,
            omega: omegas[at],
            delta,
        };
        let s = seed + 1 + k as u64;
        let count = simulate(
            &lif,
            bias,
            &linear,
            (r0, j0),
            Some(modulation),
            neurons,
            seconds,
            s,
        );
        let (r, se) = (count as f64 / n_sec, (count as f64).sqrt() / n_sec);
        let predicted = 2.0 * chi.chi2[at][source] * delta * delta;
        let (d, se_d) = (r - r_base, se.hypot(se_base));
        let (ln_sim, se_ln) = ((r / r_base).ln(), (se / r).hypot(se_base / r_base));
        let ln_pred = predicted / chi.rate_hz;
        println!(
            "{:>3} {f:>7} {delta:>9} | {r:>9.5} {se:>8.5} | {d:>+9.5} {se_d:>8.5} {predicted:>+8.5} {:>+6.1} | {ln_sim:>+8.5} {se_ln:>8.5} {:>+6.1}",
            ["E", "I"][source],
            (d - predicted) / se_d,
            (ln_sim - ln_pred) / se_ln
        );
    }
    println!("{:.0} s in all", t0.elapsed().as_secs_f64());
    Ok(())
}
