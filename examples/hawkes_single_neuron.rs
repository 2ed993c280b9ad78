//! Rate of a neuron of population E of the default model whose recurrent input is one
//! self-inhibiting (Hawkes) source per population (docs/theory.md 2.2.1), each with the
//! per-train rate, low-frequency level `S(0)/nu` and membrane-filtered Fano factor
//! `F_eff` of a population of presynaptic trains (for a mixture of trains, their
//! rate-weighted means), and Poisson external input; with the time of each solve.
//!
//! `cargo run --release --example hawkes_single_neuron -- NU_E S0_E FEFF_E NU_I S0_I FEFF_I X1,X2,... [MODES] [TOL]`
//!
//! e.g. the trains drawn from a simulation of the default model in docs/closures.md
//! ("single neurons with the network's trains"):
//! `-- 12.244 0.363 0.529 16.017 0.309 0.488 3,5,7,9,11,13,16,20,25`.

use balnet::transfer::LifParams;
use balnet::transfer::shot_noise::hawkes::{self, HawkesResolution};
use balnet::transfer::shot_noise::population_input;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage =
        "usage: hawkes_single_neuron NU_E S0_E FEFF_E NU_I S0_I FEFF_I X1,X2,... [MODES] [TOL]";
    let num = |k: usize| -> Result<f64, Box<dyn std::error::Error>> {
        Ok(args.get(k).ok_or(usage)?.parse()?)
    };
    let per_pop = [(num(1)?, num(2)?, num(3)?), (num(4)?, num(5)?, num(6)?)];
    let xs: Vec<f64> = args
        .get(7)
        .ok_or(usage)?
        .split(',')
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let res = HawkesResolution {
        modes: args
            .get(8)
            .map_or(Ok(HawkesResolution::default().modes), |s| s.parse())?,
        tol: args
            .get(9)
            .map_or(Ok(HawkesResolution::default().tol), |s| s.parse())?,
        ..HawkesResolution::default()
    };
    let m = balnet::presets::default_model();
    let lif = LifParams::of(&m, 0);
    let tau = lif.tau_m;
    let input = population_input(&m, 0, &[per_pop[0].0, per_pop[1].0])?;
    let s0: Vec<f64> = per_pop.iter().map(|q| q.1).collect();
    let f_eff: Vec<f64> = per_pop.iter().map(|q| q.2).collect();
    let (sources, external) = hawkes::split_input(&input, &s0, &f_eff, tau)?;
    for (b, s) in sources.iter().enumerate() {
        println!(
            "source {b}: jump {:.4} mV, rate {:.1} Hz, S(0)/R {}, tau_c {:.3} ms",
            s.jump_mv,
            s.rate_hz,
            s.s0,
            s.tau_c * 1e3
        );
    }
    println!(
        "modes {}, cell width {} mV, {} grids",
        res.modes, res.grid.dv, res.grid.levels
    );
    println!(
        "{:>6} | {:>10} {:>9} | {:>8}",
        "x (mV)", "rate (Hz)", "<V> (mV)", "time (s)"
    );
    for x in xs {
        let t0 = std::time::Instant::now();
        let s =
            hawkes::stationary_with(&lif, &external, &sources, x - input.mean_drive(tau), &res)?;
        println!(
            "{x:>6.1} | {:>12.6e} {:>9.4} | {:>8.2}",
            s.rate,
            s.mean_v,
            t0.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
