//! Single LIF neurons driven by gamma-renewal trains: the rate change predicted by the
//! second-order response (docs/theory.md 6.6) against event-driven exact simulation
//! (`sim::single::simulate_renewal_neuron`), with no fitted constant.
//!
//! The default model's jump sizes and in-degrees: `K_E` excitatory and `K_I` inhibitory
//! gamma trains (rate `nu_pre`, ISI CV `cv`, 2 ms dead time) and the Poisson external
//! input; the mean input `x` is set with a constant bias so that output rates span
//! 0.05-50 Hz. Columns (Hz):
//!
//! - `poisson`: shot-noise transfer function with Poisson trains of the same rates;
//! - `white`: the same with each train's membrane Fano factor `F_eff` (Fano-scaled shot
//!   noise, the spectral closure's white reference);
//! - `A = poisson + Delta nu`, `Delta S = tau_m^2 sum K J^2 (S_B - nu_B)` around white
//!   noise of the Poisson level;
//! - `B = white + Delta nu`, `Delta S = tau_m^2 sum K J^2 (S_B - F_B nu_B)` around white
//!   noise of the membrane-filtered level;
//! - `C`: shot noise with each train's `chi_2`-weighted Fano factor `F_chi`
//!   (docs/theory.md 6.6.6, the `correlated` closure): the white level at which the
//!   second-order correction vanishes;
//! - `z`: `(sim - prediction) / se`.
//!
//! `cargo run --release --example correlated_single_neuron [-- neurons seconds]`
//! (default 200 neurons x 20 s per point).

use std::time::Instant;

use balnet::sim::single::{RenewalSource, simulate_renewal_neuron};
use balnet::theory::correlated::rule_c_common;
use balnet::transfer::renewal::GammaRenewal;
use balnet::transfer::response::second_order::SecondOrder;
use balnet::transfer::shot_noise::{Resolution, ShotNoise, TABLE_SPACING, population_input};
use balnet::transfer::{LifParams, Transfer};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let neurons: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(200);
    let seconds: f64 = args.get(2).map(|s| s.parse()).transpose()?.unwrap_or(20.0);
    let m = balnet::presets::default_model();
    let a = 0;
    let lif = LifParams::of(&m, a);
    let tau = lif.tau_m;
    println!(
        "default model population {} (jumps {:.3} / {:.3} mV, K {:.0} / {:.0}), {neurons} neurons x {seconds} s per point",
        m.populations[a].name,
        m.jump(a, 0),
        m.jump(a, 1),
        m.k_in(0),
        m.k_in(1)
    );
    let mut total_pred = 0.0;
    for &(nu_pre, cv) in &[(12.0, 0.7), (30.0, 0.5), (5.0, 0.85)] {
        let g = GammaRenewal::new(nu_pre, cv, 0.002).ok_or("bad gamma")?;
        let f_eff = g.fano_eff(tau);
        let nu = vec![nu_pre; m.p()];
        let input = population_input(&m, a, &nu)?;
        let mut input_f = input.clone();
        for b in 0..m.p() {
            input_f = input_f.with_fano(b, f_eff)?;
        }
        let drive = input.mean_drive(tau);
        // white-noise levels sum K J^2 nu (F), external included
        let kj2: f64 = (0..m.p()).map(|b| m.k_in(b) * m.jump(a, b).powi(2)).sum();
        let ext = m.k_ext() * m.external.nu0 * m.jump_ext(a).powi(2);
        let sigma_p = (tau * (kj2 * nu_pre + ext)).sqrt();
        let sigma_w = (tau * (kj2 * nu_pre * f_eff + ext)).sqrt();
        let range = (drive - 40.0, drive + 40.0);
        let t_p =
            ShotNoise::with_resolution(lif, input, range, TABLE_SPACING, Resolution::default())?;
        let t_w =
            ShotNoise::with_resolution(lif, input_f, range, TABLE_SPACING, Resolution::default())?;
        println!(
            "\npresynaptic nu {nu_pre} Hz, CV {cv}, F_eff {f_eff:.3}; sigma Poisson {sigma_p:.3} mV, white {sigma_w:.3} mV"
        );
        println!(
            "{:>7} | {:>9} {:>8} | {:>9} {:>9} {:>9} {:>9} | {:>6} {:>6} | {:>9} {:>6} {:>6} | {:>5} {:>5}",
            "x (mV)",
            "sim",
            "se",
            "poisson",
            "white",
            "A",
            "B",
            "z A",
            "z B",
            "C",
            "F_chi",
            "z C",
            "th s",
            "sim s"
        );
        let sources = RenewalSource::network_inputs(&m, a, nu_pre, cv, 0.002);
        for x in [8.0, 10.0, 12.0, 14.0, 17.0, 21.0, 26.0] {
            let t0 = Instant::now();
            let spec = |w: f64| tau * tau * kj2 * (g.spectrum(w) - nu_pre);
            let dn_a = SecondOrder::new(&lif, x, sigma_p)?.rate_change(spec, 0.0, 2e4)?;
            let s_inf = tau * tau * kj2 * nu_pre * (1.0 - f_eff);
            let spec_b = |w: f64| tau * tau * kj2 * (g.spectrum(w) - f_eff * nu_pre);
            let dn_b = SecondOrder::new(&lif, x, sigma_w)?.rate_change(spec_b, s_inf, 2e4)?;
            let (rp, rw) = (t_p.rate(x), t_w.rate(x));
            // C: white noise at the chi_2-weighted Fano factor, where Delta nu vanishes
            let (rc, f_chi) =
                rule_c_common(&m, a, &nu, |w| g.spectrum(w) / nu_pre - 1.0, f_eff, x)?;
            let th = t0.elapsed().as_secs_f64();
            total_pred += th;
            let t1 = Instant::now();
            let sim = simulate_renewal_neuron(&lif, &sources, x - drive, neurons, 1.0, seconds, 7)?;
            let se = sim.rate_se_hz;
            println!(
                "{x:>7.1} | {:>9.4} {:>8.4} | {:>9.4} {:>9.4} {:>9.4} {:>9.4} | {:>6.1} {:>6.1} | {rc:>9.4} {f_chi:>6.3} {:>6.1} | {th:>5.2} {:>5.0}",
                sim.rate_hz,
                se,
                rp,
                rw,
                rp + dn_a,
                rw + dn_b,
                (sim.rate_hz - rp - dn_a) / se,
                (sim.rate_hz - rw - dn_b) / se,
                (sim.rate_hz - rc) / se,
                t1.elapsed().as_secs_f64()
            );
        }
    }
    println!("\ntheory time total {total_pred:.1} s");
    Ok(())
}
