//! Cumulants of the free membrane potential (no threshold) of a neuron of population E of
//! the default model driven by gamma trains, and by the Hawkes sources that rule `H`
//! puts in their place (docs/theory.md 2.2.1, 6.6.12: one self-inhibiting source per
//! population with the trains' low-frequency level `CV^2` and membrane Fano factor
//! `F_eff`), each with the same Poisson external input.
//!
//! The two inputs have the same mean and, by construction, the same membrane-filtered
//! variance; their spectra differ in shape (which rule `H`'s shape term 6.6.12b-c
//! accounts for) and their higher cumulants differ (which no spectral rule sees). The
//! example measures the third and fourth cumulants `k3`, `k4` of
//! `V(t) = sum_k J_k exp(-(t - t_k)/tau_m)` (mV; without the bias), sampled every 1 ms
//! after a 0.2 s warm-up; errors are standard errors over neurons. Event times are exact
//! (the trains: `sim::single::sample_forward` and `sample_isi`; the Hawkes sources:
//! thinning at the baseline intensity; the external input: exponential intervals) and
//! each event's contribution is decayed exactly to the end of its 50 us bin.
//!
//! `cargo run --release --example free_membrane_cumulants -- NU CV NEURONS SECONDS SEED`,
//! e.g. `-- 70 0.4 4000 10 2` (docs/closures.md, "The remaining miss examined").

use std::time::Instant;

use balnet::sim::rng::{SimRng, Stream, exp1, stream, uniform};
use balnet::sim::single::{sample_forward, sample_isi};
use balnet::theory::correlated::GammaTrainsPoint;
use balnet::transfer::renewal::GammaRenewal;
use balnet::transfer::shot_noise::hawkes::HawkesSource;
use rayon::prelude::*;

/// Bin width (s) of the event sums.
const BIN: f64 = 5e-5;
/// Bins between samples (1 ms).
const EVERY: usize = 20;
/// Warm-up (s).
const WARM: f64 = 0.2;

/// The recurrent input of one neuron.
enum Drive<'a> {
    /// `counts[b]` gamma trains `g` with jumps `jumps[b]` (mV).
    Trains {
        g: &'a GammaRenewal,
        counts: &'a [usize],
        jumps: &'a [f64],
    },
    /// Linear Hawkes sources.
    Hawkes(&'a [HawkesSource]),
}

/// Cumulants `[mean, var, k3, k4]` of one neuron's free potential.
fn one_neuron(
    drive: &Drive,
    external: (f64, f64),
    tau: f64,
    seconds: f64,
    rng: &mut SimRng,
) -> [f64; 4] {
    let end = WARM + seconds;
    let nb = (end / BIN).ceil() as usize;
    let mut bins = vec![0.0; nb];
    let decay_to_bin_end = |t: f64| (-((t / BIN).floor() + 1.0 - t / BIN) * BIN / tau).exp();
    let add = |bins: &mut [f64], t: f64, j: f64| {
        if let Some(b) = bins.get_mut((t / BIN) as usize) {
            *b += j * decay_to_bin_end(t);
        }
    };
    match drive {
        Drive::Trains { g, counts, jumps } => {
            for (&count, &j) in counts.iter().zip(*jumps) {
                for _ in 0..count {
                    let mut t = sample_forward(g, rng);
                    while t < end {
                        add(&mut bins, t, j);
                        t += sample_isi(g, rng);
                    }
                }
            }
        }
        Drive::Hawkes(sources) => {
            for s in *sources {
                // intensity mu - beta w, w the own events through the unit-area kernel
                let (beta, kernel, mu) = (s.self_inhibition(), s.kernel_time(), s.baseline_hz());
                let (mut w, mut t) = (s.rate_hz, 0.0);
                loop {
                    let step = exp1(rng) / mu;
                    t += step;
                    if t >= end {
                        break;
                    }
                    w *= (-step / kernel).exp();
                    if uniform(rng) * mu < mu - beta * w {
                        w += 1.0 / kernel;
                        add(&mut bins, t, s.jump_mv);
                    }
                }
            }
        }
    }
    let (r0, j0) = external;
    let mut t = exp1(rng) / r0;
    while t < end {
        add(&mut bins, t, j0);
        t += exp1(rng) / r0;
    }
    let e = (-BIN / tau).exp();
    let (mut v, mut n) = (0.0, 0.0);
    let mut m = [0.0; 4];
    for (k, b) in bins.iter().enumerate() {
        v = v * e + b;
        if k as f64 * BIN >= WARM && k % EVERY == 0 {
            n += 1.0;
            let mut p = 1.0;
            for mq in m.iter_mut() {
                p *= v;
                *mq += p;
            }
        }
    }
    let [a1, a2, a3, a4] = m.map(|q| q / n);
    let var = a2 - a1 * a1;
    let k3 = a3 - 3.0 * a1 * a2 + 2.0 * a1.powi(3);
    let c4 = a4 - 4.0 * a1 * a3 + 6.0 * a1 * a1 * a2 - 3.0 * a1.powi(4);
    [a1, var, k3, c4 - 3.0 * var * var]
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: free_membrane_cumulants NU CV NEURONS SECONDS SEED";
    let arg = |k: usize| args.get(k).ok_or(usage);
    let (nu, cv): (f64, f64) = (arg(1)?.parse()?, arg(2)?.parse()?);
    let neurons: usize = arg(3)?.parse()?;
    let seconds: f64 = arg(4)?.parse()?;
    let seed: u64 = arg(5)?.parse()?;

    let m = balnet::presets::default_model();
    let GammaTrainsPoint {
        lif,
        trains: g,
        sources,
        external: ext,
        ..
    } = GammaTrainsPoint::new(&m, 0, nu, cv)?;
    let f_eff = g.fano_eff(lif.tau_m);
    let r0: f64 = ext.rates_hz.iter().sum();
    let j0 = ext.jumps_mv[0];
    if ext.jumps_mv.iter().any(|&j| j != j0) {
        return Err("the external sources must share one jump".into());
    }
    let counts: Vec<usize> = (0..2).map(|b| m.k_in(b).round() as usize).collect();
    let jumps: Vec<f64> = (0..2).map(|b| m.jump(0, b)).collect();
    println!(
        "nu {nu} Hz, CV {cv}: F_eff {f_eff:.4}; {} E and {} I trains of jumps {:.4} / {:.4} mV, or Hawkes sources; {neurons} neurons x {seconds} s",
        counts[0], counts[1], jumps[0], jumps[1]
    );
    let mut results = Vec::new();
    for (name, drive) in [
        (
            "gamma trains",
            Drive::Trains {
                g: &g,
                counts: &counts,
                jumps: &jumps,
            },
        ),
        ("Hawkes sources", Drive::Hawkes(&sources)),
    ] {
        let t0 = Instant::now();
        let per: Vec<[f64; 4]> = (0..neurons)
            .into_par_iter()
            .map(|i| {
                let mut rng = stream(seed, Stream::Modulation, i as u64);
                one_neuron(&drive, (r0, j0), lif.tau_m, seconds, &mut rng)
            })
            .collect();
        let n = per.len() as f64;
        let stats: Vec<(f64, f64)> = (0..4)
            .map(|q| {
                let mean = per.iter().map(|p| p[q]).sum::<f64>() / n;
                let var = per.iter().map(|p| (p[q] - mean).powi(2)).sum::<f64>() / (n - 1.0);
                (mean, (var / n).sqrt())
            })
            .collect();
        let sd = stats[1].0.sqrt();
        println!(
            "{name:>15}: mean {:.4} +- {:.4} mV, var {:.3} +- {:.3} mV^2, k3 {:+.3} +- {:.3} mV^3 (skewness {:+.4}), k4 {:+.2} +- {:.2} mV^4 (excess kurtosis {:+.4}); {:.0} s",
            stats[0].0,
            stats[0].1,
            stats[1].0,
            stats[1].1,
            stats[2].0,
            stats[2].1,
            stats[2].0 / sd.powi(3),
            stats[3].0,
            stats[3].1,
            stats[3].0 / sd.powi(4),
            t0.elapsed().as_secs_f64()
        );
        results.push(stats);
    }
    let d = |q: usize| {
        (
            results[0][q].0 - results[1][q].0,
            results[0][q].1.hypot(results[1][q].1),
        )
    };
    println!(
        "trains - Hawkes: var {:+.3} +- {:.3} mV^2, k3 {:+.3} +- {:.3} mV^3, k4 {:+.2} +- {:.2} mV^4",
        d(1).0,
        d(1).1,
        d(2).0,
        d(2).1,
        d(3).0,
        d(3).1
    );
    Ok(())
}
