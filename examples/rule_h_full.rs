//! Rule `H` in full as the closure `correlated_full` evaluates it (docs/theory.md
//! 6.6.12e), for gamma trains of rate `NU` (Hz) and ISI CV `CV` (2 ms dead time) into a
//! neuron of population E of the default model at mean inputs `X1,X2,...` (mV): the
//! setting of the single-neuron checks of rule `H` (docs/closures.md; simulated rates
//! there). The closure's rate at input `x` is rule `C`'s shot-noise rate times
//! `exp(ln nu_H/nu_C)` of `theory::correlated::full_correction`, with `nu_H` the Hawkes
//! neuron's rate plus the shape term about it (on `FULL_SHAPE_NODES` frequencies) plus the
//! third-cumulant term, and `nu_C` rule `C`'s rate on the same grid; this prints its
//! parts and the result. About 1-11 s per point on 2 cores.
//!
//! `cargo run --release --example rule_h_full -- NU CV X1,X2,...`

use std::time::Instant;

use balnet::theory::correlated::{
    FREQUENCY_STRETCH, FULL_RESOLUTION, FULL_SHAPE_NODES, GammaTrainsPoint,
    HAWKES_SHAPE_RESOLUTION, OMEGA_MAX, full_correction, rule_c_common,
};
use balnet::transfer::response::second_order::mapped_legendre_nodes;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: rule_h_full NU_HZ CV X_MV[,X_MV...]";
    let arg = |k: usize| args.get(k).ok_or(usage);
    let (nu, cv): (f64, f64) = (arg(1)?.parse()?, arg(2)?.parse()?);
    let xs = arg(3)?
        .split(',')
        .map(|s| s.parse::<f64>())
        .collect::<Result<Vec<_>, _>>()?;

    let m = balnet::presets::default_model();
    let p = m.p();
    let pt = GammaTrainsPoint::new(&m, 0, nu, cv)?;
    let nodes = mapped_legendre_nodes(OMEGA_MAX, FULL_SHAPE_NODES, FREQUENCY_STRETCH);
    let omegas: Vec<f64> = nodes.iter().map(|n| n.0).collect();
    let diff = pt.shape_difference(&omegas);
    let dk3 = pt.membrane_k3_difference();
    let f_eff = pt.trains.fano_eff(pt.lif.tau_m);
    let g = pt.trains;
    println!("nu {nu} Hz, CV {cv}: F_eff {f_eff:.4}, third-cumulant difference {dk3:+.4} mV^3");
    println!(
        "{:>7} {:>10} {:>6} | {:>10} {:>10} {:>10} {:>10} | {:>10}",
        "x (mV)", "C", "F_chi", "C (grid)", "Hawkes", "shape", "k3 term", "H (closure)"
    );
    for &x in &xs {
        let t0 = Instant::now();
        let (c, f_chi) = rule_c_common(
            &m,
            0,
            &vec![nu; p],
            |w| g.spectrum(w) / g.nu - 1.0,
            f_eff,
            x,
        )?;
        let fc = full_correction(
            &pt.lif,
            &pt.input,
            &pt.external,
            &pt.sources,
            &vec![f_chi; p],
            pt.bias(x),
            &nodes,
            &diff,
            dk3,
            &FULL_RESOLUTION,
            &HAWKES_SHAPE_RESOLUTION,
        )?;
        println!(
            "{x:>7.1} {c:>10.5} {f_chi:>6.4} | {:>10.5} {:>10.5} {:>+10.5} {:>+10.5} | {:>10.5}   ({:.1} s)",
            fc.rule_c_hz,
            fc.hawkes_hz,
            fc.shape_hz,
            fc.third_cumulant_hz,
            c * fc.ln_rate.exp(),
            t0.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
