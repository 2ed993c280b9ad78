//! Replay surrogate (b) of the attribution study (docs/attribution.md; the `kappa`
//! gap): single neurons driven by the network's own recorded spike trains, each
//! circularly shifted by a random offset. This keeps every train's rate and interval
//! statistics (the regularity the spectral closure models, and the real mix of rates)
//! and removes the cross-correlations between trains (the fast ripple).
//!
//! 1. Simulate the Model (precise mode, seed 1 unless given) with a raster of 2000 neurons per
//!    population; take their spike trains in the last epoch window (after the input
//!    step for the default model), `T` seconds long.
//! 2. For a neuron of population A with mean input `x`: each of its `K_B` recurrent
//!    synapses replays a random recorded train of B (drawn with replacement), shifted
//!    circularly by a uniform offset in `[0, T)` and repeated with period `T`; the
//!    external input is Poisson; the bias makes the mean input `x` (drive computed from
//!    the replayed trains' mean rates). Exact event-driven integration
//!    (`sim::single::lif_response`), 0.4 s warm-up, 6 s recorded, 100 neurons.
//! 3. At the 12 Gauss-Hermite nodes of the theory's input distribution of A (shot noise +
//!    spectral or correlated closure at the simulated epoch, drawn loadings), the surrogate rate and its
//!    slope (central difference, +-0.5 mV, same inputs) against the closure's `Phi_A(x)`
//!    and `Phi_A'(x)`; population rate `E[Phi]` and gain `E[Phi']` of both.
//! 4. Linearised effect on `kappa`: with loop gain `L` (`dG/dkappa` at the theory's fixed
//!    point) and `kappa ~ gain / (1 - L gain-ratio)`, a gain ratio `g` moves `kappa` by
//!    about `(g - 1) / (1 - L)`, gains weighted by population size (loadings are equal in
//!    E and I in the presets).
//!
//! `cargo run --release --example replay_shifted [-- MODEL [spectral|correlated] [SEED]]`
//! (a Model file or preset, default `default`; the closure of the theory compared, default
//! `spectral`; the simulation seed, default 1; about 4 minutes for the default model: the simulation, then the
//! surrogates on 2 cores).

use std::time::Instant;

use balnet::model::{NoiseClosure, TransferKind};
use balnet::sim::rng::{Stream, exp1, stream, uniform};
use balnet::sim::single::lif_response;
use balnet::theory::Limit;
use balnet::theory::closure::state_transfer;
use balnet::theory::latent::{SearchBox, fixed_points, reduced_jacobian};
use balnet::transfer::response::diffusion::drate_dsigma2;
use balnet::transfer::response::second_order::SecondOrder;
use balnet::transfer::{LifParams, Transfer};
use rayon::prelude::*;

const NEURONS: usize = 100;
const WARMUP: f64 = 0.4;
const RECORD: f64 = 6.0;
const H_MV: f64 = 0.5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let mut m = balnet::presets::file_or_preset(args.get(1).map_or("default", |s| s))?;
    let closure = match args.get(2).map(String::as_str) {
        None | Some("spectral") => NoiseClosure::Spectral,
        Some("correlated") => NoiseClosure::Correlated,
        Some(other) => {
            return Err(format!("closure {other:?}: expected spectral or correlated").into());
        }
    };
    m.sim.raster_neurons = 2000;
    m.sim.seed = args.get(3).map(|s| s.parse()).transpose()?.unwrap_or(1);
    m.sim.mode = balnet::model::SimMode::Precise;
    let t0 = Instant::now();
    let sim = balnet::sim::simulate(
        &m,
        &balnet::sim::RunOptions {
            threads: 0,
            quiet: true,
            out_dir: None,
        },
    )?;
    let w = *sim.epoch_windows.last().ok_or("no epoch window")?;
    let period = w[1] - w[0];
    println!(
        "simulation {:.0} s; window [{:.2}, {:.2}] s",
        t0.elapsed().as_secs_f64(),
        w[0],
        w[1]
    );
    // recorded trains per population, times relative to the window start
    let mut pools: Vec<Vec<Vec<f64>>> = Vec::new();
    let poisson_control = std::env::var("REPLAY_POISSON").is_ok();
    for (a, p) in sim.populations.iter().enumerate() {
        let mut by_id: std::collections::BTreeMap<u32, Vec<f64>> = Default::default();
        for (&id, &t) in p.raster_ids.iter().zip(&p.raster_times) {
            let e = by_id.entry(id).or_default();
            if t >= w[0] && t < w[1] {
                e.push(t - w[0]);
            }
        }
        let mut trains: Vec<Vec<f64>> = by_id.into_values().collect();
        // raster neurons that never spiked are not in the raster: add them back, empty
        let sampled = m.sim.raster_neurons.min(m.populations[a].n);
        let silent_all_run = sampled.saturating_sub(trains.len());
        trains.extend(std::iter::repeat_n(Vec::new(), silent_all_run));
        if poisson_control {
            // control: each train replaced by a Poisson train of the same count
            let mut rng = stream(77, Stream::Drive, a as u64);
            for tr in &mut trains {
                for t in tr.iter_mut() {
                    *t = uniform(&mut rng) * period;
                }
                tr.sort_by(f64::total_cmp);
            }
        }
        let rate =
            trains.iter().map(|t| t.len()).sum::<usize>() as f64 / (trains.len() as f64 * period);
        println!(
            "  {}: {} recorded trains ({silent_all_run} silent all run), mean rate {:.3} Hz (population {:.3} Hz){}",
            p.name,
            trains.len(),
            rate,
            p.epoch_rates_hz
                .last()
                .map_or(f64::NAN, |r| r.iter().sum::<f64>() / r.len() as f64),
            if poisson_control {
                " [Poisson control]"
            } else {
                ""
            }
        );
        pools.push(trains);
    }
    // theory at the epoch: shot noise + the closure, drawn loadings, nearest stable fixed point
    let mut th = balnet::compare::with_drawn_loadings(&m, &sim);
    th.transfer = TransferKind::ShotNoise;
    th.noise = closure;
    let s = th.signal(0.5 * (w[0] + w[1]));
    let kappa_sim = {
        let (mut sum, mut n) = (0.0, 0usize);
        for (t, k) in sim.time_s.iter().zip(&sim.kappa_t) {
            if *t >= w[0] && *t < w[1] && !k.is_empty() {
                sum += k[0];
                n += 1;
            }
        }
        if n > 0 { sum / n as f64 } else { 0.0 }
    };
    let state = if th.d() == 0 {
        balnet::theory::stationary::solve(&th, Limit::Finite, &[], &s, None)?
    } else {
        let sol = fixed_points(&th, Limit::Finite, &s, &SearchBox::default())?;
        sol.stable_nearest(&[kappa_sim])
            .ok_or("no stable fixed point")?
            .state
            .clone()
    };
    let loop_gain = if th.d() > 0 {
        reduced_jacobian(&th, Limit::Finite, &state)?[(0, 0)]
    } else {
        0.0
    };
    println!(
        "theory (shot noise + {closure:?} closure): kappa {:?}, loop gain {loop_gain:.3}",
        state.kappa
    );
    // the recorded trains' own chi_2-weighted Fano factor (docs/theory.md 6.6.6): the
    // replayed trains are periodic (period T), so their spectrum is the periodogram at
    // omega_k = 2 pi k / T and Int d omega/(2 pi) becomes (2/T) sum_{k >= 1}
    for (b, pool) in pools.iter().enumerate() {
        let pb = &state.populations[b];
        let lif = LifParams::of(&th, b);
        let k_max = (1000.0 * period).floor() as usize;
        let nu_pool =
            pool.iter().map(|t| t.len()).sum::<usize>() as f64 / (pool.len() as f64 * period);
        let rel: Vec<f64> = (1..=k_max)
            .into_par_iter()
            .map(|k| {
                let w = 2.0 * std::f64::consts::PI * k as f64 / period;
                let p: f64 = pool
                    .iter()
                    .map(|tr| {
                        let (mut c, mut s) = (0.0, 0.0);
                        for &t in tr {
                            let (si, co) = (w * t).sin_cos();
                            c += co;
                            s += si;
                        }
                        (c * c + s * s) / period
                    })
                    .sum::<f64>()
                    / pool.len() as f64;
                p / nu_pool - 1.0
            })
            .collect();
        let so = SecondOrder::new(&lif, pb.mean_input_mv, pb.sigma_mv)?;
        let num: f64 = (1..=k_max)
            .into_par_iter()
            .map(|k| {
                let w = 2.0 * std::f64::consts::PI * k as f64 / period;
                so.chi2(w).map(|c| 2.0 / period * c * rel[k - 1])
            })
            .sum::<balnet::Result<f64>>()?;
        let den = drate_dsigma2(&lif, pb.mean_input_mv, pb.sigma_mv) / lif.tau_m;
        let low = rel.iter().take(5).map(|r| r + 1.0).sum::<f64>() / 5.0;
        println!(
            "  {}: recorded trains' chi_2-weighted Fano factor {:.3} (closure {:.3}); S/nu at {:.1}-{:.1} rad/s {low:.3}",
            pb.name,
            1.0 + num / den,
            pb.fano,
            2.0 * std::f64::consts::PI / period,
            10.0 * std::f64::consts::PI / period
        );
    }
    if std::env::var("REPLAY_SPECTRA_ONLY").is_ok() {
        return Ok(());
    }
    if std::env::var("REPLAY_FREE").is_ok() {
        // free-membrane check: threshold out of reach, mean and variance of V
        for a in 0..th.p() {
            let mut free = LifParams::of(&th, a);
            free.theta = 1e9;
            for i in 0..3 {
                let (events, drive) = replay_events(&th, a, &pools, period, 999, i);
                let (_, mv, mv2, _) =
                    lif_response(&free, 10.0 - drive, WARMUP, RECORD, events.iter().copied())?;
                println!(
                    "free {a}: drive {drive:.3} mean V {mv:.3} (want 10) var {:.3} (closure sigma_eff^2/2 = {:.3}) events {}",
                    mv2 - mv * mv,
                    0.5 * state.populations[a].sigma_mv.powi(2),
                    events.len()
                );
            }
        }
        return Ok(());
    }
    // the closure's rule with the chi_2 weighting of the receiving neuron's own mean input
    // x (docs/theory.md 6.6.6 at x instead of at the population mean; three rounds), at
    // the closure's presynaptic spectra (6.6.10)
    let freq = balnet::transfer::response::second_order::mapped_legendre_nodes(
        balnet::theory::correlated::OMEGA_MAX,
        balnet::theory::correlated::FREQUENCY_NODES,
        3.0,
    );
    let omegas: Vec<f64> = freq.iter().map(|n| n.0).collect();
    let rels = balnet::theory::correlated::relative_spectra(
        &th,
        &state,
        |b| state_transfer(&th, &state, b),
        &omegas,
    )?;
    let rates = state.rates();
    let per_x_rate = |a: usize, x: f64| -> balnet::Result<f64> {
        let lif = LifParams::of(&th, a);
        let mut f = state.fano();
        let mut sigma = state.populations[a].sigma_mv;
        for _ in 0..3 {
            let so = SecondOrder::new(&lif, x, sigma)?;
            let chi: Vec<f64> = omegas
                .iter()
                .map(|&w| so.chi2(w))
                .collect::<balnet::Result<_>>()?;
            let den = drate_dsigma2(&lif, x, sigma) / lif.tau_m;
            f = rels
                .iter()
                .map(|rel| {
                    1.0 + freq
                        .iter()
                        .zip(&chi)
                        .zip(rel)
                        .map(|(((_, wt), c), r)| wt * c * r)
                        .sum::<f64>()
                        / std::f64::consts::PI
                        / den
                })
                .collect();
            let nu_f: Vec<f64> = rates.iter().zip(&f).map(|(n, fb)| n * fb).collect();
            sigma = balnet::theory::inputs::noise_sigma(&th, a, &nu_f);
        }
        let t = balnet::theory::closure::transfer_for(&th, a, &rates, &f, sigma, x, 1.0)?;
        Ok(t.rate(x))
    };
    let nodes = balnet::gauss::hermite_rule(12);
    let mut gains = Vec::new();
    println!(
        "\n{:<4} {:>8} {:>8} | {:>9} {:>9} {:>7} | {:>9} {:>9} | {:>9} {:>9}",
        "pop", "z", "x (mV)", "sur (Hz)", "th (Hz)", "ratio", "sur'", "th'", "th_x (Hz)", "th_x'"
    );
    for a in 0..th.p() {
        let pa = &state.populations[a];
        let lif = LifParams::of(&th, a);
        let t = state_transfer(&th, &state, a)?;
        // the Poisson closure (F = 1, shot noise) at the same state: the reference for (c)
        let mut pois_model = th.clone();
        pois_model.noise = NoiseClosure::Poisson;
        let mut ones = state.clone();
        for q in &mut ones.populations {
            q.fano = 1.0;
        }
        let t_pois = state_transfer(&pois_model, &ones, a)?;
        let sd = pa.delta_mv2.max(0.0).sqrt();
        let (mut r_s, mut r_t, mut g_s, mut g_t) = (0.0, 0.0, 0.0, 0.0);
        let (mut r_p, mut g_p, mut se_r, mut se_g) = (0.0, 0.0, 0.0, 0.0);
        let (mut r_x, mut g_x) = (0.0, 0.0);
        for (k, &(z, wgt)) in nodes.iter().enumerate() {
            let x = pa.mean_input_mv + sd * z;
            if t.rate(x) < 0.01 {
                continue; // too slow to measure; contributes < 0.01 Hz
            }
            let per: Vec<(f64, f64)> = (0..NEURONS)
                .into_par_iter()
                .map(|i| {
                    let (events, drive) =
                        replay_events(&th, a, &pools, period, (a * 1000 + k) as u64, i);
                    let lo = lif_response(
                        &lif,
                        x - H_MV - drive,
                        WARMUP,
                        RECORD,
                        events.iter().copied(),
                    )
                    .expect("replayed events are sorted and the window positive")
                    .0;
                    let hi = lif_response(
                        &lif,
                        x + H_MV - drive,
                        WARMUP,
                        RECORD,
                        events.iter().copied(),
                    )
                    .expect("replayed events are sorted and the window positive")
                    .0;
                    (0.5 * (lo + hi), (hi - lo) / (2.0 * H_MV))
                })
                .collect();
            let nn = NEURONS as f64;
            let rate = per.iter().map(|p| p.0).sum::<f64>() / nn;
            let slope = per.iter().map(|p| p.1).sum::<f64>() / nn;
            let var_r = per.iter().map(|p| (p.0 - rate).powi(2)).sum::<f64>() / (nn - 1.0);
            let var_g = per.iter().map(|p| (p.1 - slope).powi(2)).sum::<f64>() / (nn - 1.0);
            se_r += wgt * wgt * var_r / nn;
            se_g += wgt * wgt * var_g / nn;
            r_p += wgt * 0.5 * (t_pois.rate(x - H_MV) + t_pois.rate(x + H_MV));
            g_p += wgt * (t_pois.rate(x + H_MV) - t_pois.rate(x - H_MV)) / (2.0 * H_MV);
            let (lo_x, hi_x) = (per_x_rate(a, x - H_MV)?, per_x_rate(a, x + H_MV)?);
            let (rate_x, slope_x) = (0.5 * (lo_x + hi_x), (hi_x - lo_x) / (2.0 * H_MV));
            r_x += wgt * rate_x;
            g_x += wgt * slope_x;
            // the closure averaged over the same +-h (the surrogate's rate is that average)
            let th_rate = 0.5 * (t.rate(x - H_MV) + t.rate(x + H_MV));
            let th_slope = (t.rate(x + H_MV) - t.rate(x - H_MV)) / (2.0 * H_MV);
            println!(
                "{:<4} {:>8.3} {:>8.3} | {:>9.3} {:>9.3} {:>7.3} | {:>9.3} {:>9.3} | {:>9.3} {:>9.3}",
                pa.name,
                z,
                x,
                rate,
                th_rate,
                rate / th_rate,
                slope,
                th_slope,
                rate_x,
                slope_x
            );
            r_s += wgt * rate;
            r_t += wgt * th_rate;
            g_s += wgt * slope;
            g_t += wgt * th_slope;
        }
        println!(
            "{}: population rate surrogate {r_s:.3} +- {:.3} Hz vs closure {r_t:.3} Hz ({:+.1}%); gain {g_s:.4} +- {:.4} vs {g_t:.4} Hz/mV ({:+.1}%)",
            pa.name,
            se_r.sqrt(),
            100.0 * (r_s / r_t - 1.0),
            se_g.sqrt(),
            100.0 * (g_s / g_t - 1.0)
        );
        println!(
            "   Poisson closure (F = 1) at the same state: rate {r_p:.3} Hz ({:+.1}% surrogate vs it), gain {g_p:.4} ({:+.1}%)",
            100.0 * (r_s / r_p - 1.0),
            100.0 * (g_s / g_p - 1.0)
        );
        println!(
            "   chi_2 at each node's own x: rate {r_x:.3} Hz ({:+.1}% surrogate vs it), gain {g_x:.4} ({:+.1}%)",
            100.0 * (r_s / r_x - 1.0),
            100.0 * (g_s / g_x - 1.0)
        );
        gains.push((th.populations[a].n as f64, g_s, g_t));
    }
    let n_tot: f64 = gains.iter().map(|g| g.0).sum();
    let ratio =
        gains.iter().map(|g| g.0 * g.1).sum::<f64>() / gains.iter().map(|g| g.0 * g.2).sum::<f64>();
    println!(
        "\nsize-weighted gain ratio {}/closure {ratio:.4} ({} neurons); linearised kappa change {:+.1}% (loop gain {loop_gain:.3}); measured kappa sim/theory - 1 = {:+.1}%",
        if poisson_control { "(c)" } else { "(b)" },
        n_tot,
        100.0 * (ratio - 1.0) / (1.0 - loop_gain),
        100.0 * (kappa_sim / state.kappa.first().copied().unwrap_or(f64::NAN) - 1.0)
    );
    println!("total {:.0} s", t0.elapsed().as_secs_f64());
    Ok(())
}

/// Sorted input events `(t, jump)` over `WARMUP + RECORD` seconds for neuron `i` of a
/// node: shifted periodic replays of random recorded trains, plus Poisson external input.
fn replay_events(
    m: &balnet::model::Model,
    a: usize,
    pools: &[Vec<Vec<f64>>],
    period: f64,
    node: u64,
    i: usize,
) -> (Vec<(f64, f64)>, f64) {
    let end = WARMUP + RECORD;
    let tau = m.populations[a].tau_m;
    // the mean drive of this neuron's own draw: K_B random trains carry a random total
    // rate, whose spread is the quenched input variance the theory already has in the
    // distribution of x; the bias is set per neuron so that its mean input is exactly x
    let mut drive = tau * m.jump_ext(a) * m.k_ext() * m.external.nu0;
    let mut rng = stream(1000 + node, Stream::Drive, i as u64);
    let mut ev = Vec::new();
    for (b, pool) in pools.iter().enumerate() {
        let jump = m.jump(a, b);
        for _ in 0..m.k_in(b).round() as usize {
            let train = &pool[(uniform(&mut rng) * pool.len() as f64) as usize % pool.len()];
            let shift = uniform(&mut rng) * period;
            drive += tau * jump * train.len() as f64 / period;
            let mut rep = 0.0;
            while rep < end {
                for &t in train {
                    let tt = rep + (t + shift) % period;
                    if tt < end {
                        ev.push((tt, jump));
                    }
                }
                rep += period;
            }
        }
    }
    let r = m.k_ext() * m.external.nu0;
    let jump = m.jump_ext(a);
    let mut t = 0.0;
    loop {
        t += exp1(&mut rng) / r;
        if t >= end {
            break;
        }
        ev.push((t, jump));
    }
    ev.sort_by(|x, y| x.0.total_cmp(&y.0));
    (ev, drive)
}
