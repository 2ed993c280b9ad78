//! Single LIF neurons whose input trains share a component of known spectrum: the rate
//! change predicted by the second-order response (docs/theory.md 6.6.1) against
//! event-driven exact simulation (`sim::single::simulate_modulated_neuron`), with no
//! fitted constant.
//!
//! Population E of the default model: `K_E`, `K_I` Poisson trains at `nu_pre` and the
//! external drive (`K_0` Poisson trains at `nu_0`), whose rate is modulated in common by
//! `1 + depth zeta(t)`, `zeta` a unit-variance Ornstein-Uhlenbeck process of correlation
//! time `tau_c`, independent between neurons. The shared part of the input is the
//! modulation of the mean input, `eta(t) = tau_m K_0 nu_0 J_0 depth zeta(t)` (mV), of
//! spectrum `S_eta = (tau_m K_0 nu_0 J_0)^2 2 depth^2 tau_c / (1 + omega^2 tau_c^2)`.
//! The mean input `x` is set with a constant bias so that output rates span 0.05-50 Hz.
//! Columns (Hz):
//!
//! - `shot`: shot-noise transfer with the unmodulated Poisson trains (docs/theory.md 2.2);
//! - `pred = shot + Delta nu`, (6.6.1) with `chi_2` of the diffusion approximation at
//!   the Poisson `sigma`;
//! - `z`: `(sim - pred) / se`, and `z0 = (sim - shot) / se` (the effect tested);
//! - `cross`: the quasi-static size of the one second-order term (6.6.1) leaves out, the
//!   co-modulation of the input variance (`sigma^2` moves by `J_0` times the mean's
//!   move): `J_0 d^2 nu / d mu d sigma^2 Var(eta)` of the Siegert rate, an upper bound
//!   for `tau_c` long against `tau_m` and smaller for fast modulation.
//!
//! `cargo run --release --example correlated_shared_input [-- neurons seconds]`
//! (default 300 neurons x 20 s per point).

use std::time::Instant;

use balnet::sim::single::{OuModulation, RenewalSource, simulate_modulated_neuron};
use balnet::transfer::response::second_order::SecondOrder;
use balnet::transfer::shot_noise::{Resolution, ShotNoise, TABLE_SPACING, population_input};
use balnet::transfer::siegert;
use balnet::transfer::{LifParams, Transfer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let neurons: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(300);
    let seconds: f64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(20.0);
    let m = balnet::presets::default_model();
    let a = 0;
    let lif = LifParams::of(&m, a);
    let tau = lif.tau_m;
    let nu_pre = 12.0;
    let nu = vec![nu_pre; m.p()];
    let input = population_input(&m, a, &nu)?;
    let drive = input.mean_drive(tau);
    let kj2: f64 = (0..m.p()).map(|b| m.k_in(b) * m.jump(a, b).powi(2)).sum();
    let (k0, nu0, j0) = (m.k_ext(), m.external.nu0, m.jump_ext(a));
    let sigma = (tau * (kj2 * nu_pre + k0 * nu0 * j0 * j0)).sqrt();
    let shot = ShotNoise::with_resolution(
        lif,
        input,
        (drive - 40.0, drive + 40.0),
        TABLE_SPACING,
        Resolution::default(),
    )?;
    let amp = tau * k0 * nu0 * j0; // mV per unit relative modulation
    println!(
        "default model population {}: K {:.0} / {:.0} Poisson trains at {nu_pre} Hz, external {k0:.0} x {nu0} Hz, J_0 {j0:.4} mV; sigma {sigma:.3} mV; {neurons} neurons x {seconds} s per point",
        m.populations[a].name,
        m.k_in(0),
        m.k_in(1)
    );
    let sources = RenewalSource::network_inputs(&m, a, nu_pre, 1.0, 0.0);
    let ext = sources.len() - 1;
    let mut rows = Vec::new();
    for &(tau_c, depth) in &[(0.005, 0.06), (0.05, 0.03)] {
        let modulation = OuModulation {
            tau_c,
            depth,
            sources: vec![ext],
        };
        let var_eta = (amp * depth).powi(2);
        println!(
            "\ntau_c {:.0} ms, depth {depth}: shared input sd {:.3} mV (before the membrane filter), {:.3} mV after it",
            tau_c * 1e3,
            var_eta.sqrt(),
            (var_eta * tau_c / (tau_c + tau)).sqrt()
        );
        println!(
            "{:>6} | {:>9} {:>8} | {:>9} {:>9} {:>9} | {:>6} {:>6} | {:>7} | {:>5} {:>5}",
            "x (mV)", "sim", "se", "shot", "dnu", "pred", "z0", "z", "cross", "th s", "sim s"
        );
        for x in [-1.0, 2.0, 5.0, 8.0, 11.0, 14.0, 18.0, 23.0, 28.0] {
            let t0 = Instant::now();
            let spec = |w: f64| amp * amp * modulation.spectrum(w);
            let dnu = SecondOrder::new(&lif, x, sigma)?.rate_change(spec, 0.0, 2e4)?;
            let r0 = shot.rate(x);
            let pred = r0 + dnu;
            // quasi-static co-modulation of the variance: sigma^2 moves by J_0 d mu
            let (hm, hs) = (0.05, 0.05 * sigma * sigma);
            let s2 = sigma * sigma;
            let f = |mu: f64, s2: f64| siegert::rate(&lif, mu, s2.sqrt());
            let d2 = (f(x + hm, s2 + hs) - f(x + hm, s2 - hs) - f(x - hm, s2 + hs)
                + f(x - hm, s2 - hs))
                / (4.0 * hm * hs);
            let cross = j0 * d2 * var_eta;
            let th = t0.elapsed().as_secs_f64();
            let t1 = Instant::now();
            let sim = simulate_modulated_neuron(
                &lif,
                &sources,
                &modulation,
                x - drive,
                neurons,
                1.0,
                seconds,
                11,
            )?;
            let se = sim.rate_se_hz;
            let (z0, z) = ((sim.rate_hz - r0) / se, (sim.rate_hz - pred) / se);
            println!(
                "{x:>6.1} | {:>9.4} {:>8.4} | {r0:>9.4} {dnu:>9.4} {pred:>9.4} | {z0:>6.1} {z:>6.1} | {cross:>7.4} | {th:>5.2} {:>5.0}",
                sim.rate_hz,
                se,
                t1.elapsed().as_secs_f64()
            );
            rows.push(serde_json::json!({
                "tau_c_s": tau_c, "depth": depth, "x_mv": x, "sim_hz": sim.rate_hz, "se_hz": se,
                "shot_hz": r0, "delta_nu_hz": dnu, "pred_hz": pred, "z0": z0, "z": z,
                "cross_quasistatic_hz": cross,
            }));
        }
    }
    let within = rows
        .iter()
        .filter(|r| r["z"].as_f64().is_some_and(|z| z.abs() <= 3.0))
        .count();
    println!("\nwithin 3 standard errors: {within} of {}", rows.len());
    println!("{}", serde_json::to_string(&rows)?);
    Ok(())
}
