//! Rule `H`'s third-cumulant term (docs/theory.md 6.6.12d) for gamma trains of rate `NU`
//! (Hz) and ISI CV `CV` (2 ms dead time) into a neuron of population E of the default
//! model at mean inputs `X1,X2,...` (mV), the setting of the single-neuron checks of rule
//! `H` (`examples/correlated_one_pole.rs --hawkes-point`, docs/closures.md).
//!
//! The trains and the Hawkes sources that stand for them give the free membrane the same
//! mean and variance and different third cumulants; the table lists both (closed forms,
//! per presynaptic population), the Hawkes neuron's rate, its sensitivity to a third
//! cumulant carried by the input's correlations at the trains' correlation time (`s3_c`,
//! weakly self-exciting Hawkes probes of the largest recurrent jump) and, for comparison,
//! to a coincident one (`s3_w`, Poisson probes), and the term
//! `s3_c (k3_trains - k3_Hawkes)` (`theory::correlated::third_cumulant_term`), all at rule `H`'s grid of
//! `theory::correlated::HAWKES_SHAPE_RESOLUTION`. About 1-2 s per point on 2 cores.
//!
//! `cargo run --release --example third_cumulant_term -- NU CV X1,X2,...`

use std::time::Instant;

use balnet::theory::correlated::{
    GammaTrainsPoint, HAWKES_SHAPE_RESOLUTION, third_cumulant_sensitivities,
};
use balnet::transfer::shot_noise::hawkes;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: third_cumulant_term NU_HZ CV X_MV[,X_MV...]";
    let arg = |k: usize| args.get(k).ok_or(usage);
    let (nu, cv): (f64, f64) = (arg(1)?.parse()?, arg(2)?.parse()?);
    let xs = arg(3)?
        .split(',')
        .map(|s| s.parse::<f64>())
        .collect::<Result<Vec<_>, _>>()?;
    let res = HAWKES_SHAPE_RESOLUTION;

    let m = balnet::presets::default_model();
    let pt = GammaTrainsPoint::new(&m, 0, nu, cv)?;
    println!("nu {nu} Hz, CV {cv}: free-membrane third cumulants (mV^3)");
    for ((name, s), (trains, hk)) in ["E", "I"]
        .iter()
        .zip(&pt.sources)
        .zip(pt.membrane_k3_parts())
    {
        println!(
            "  {name}: trains {trains:+.4}, Hawkes source {hk:+.4} (jump {:+.4} mV, s0 {:.4}, tau_c {:.2} ms), difference {:+.4}",
            s.jump_mv,
            s.s0,
            1e3 * s.tau_c,
            trains - hk
        );
    }
    let dk3 = pt.membrane_k3_difference();
    println!("  total difference {dk3:+.4} mV^3");
    println!(
        "{:>7} {:>10} {:>13} {:>13} {:>10} {:>8}",
        "x (mV)", "Hawkes", "s3_c (Hz/mV3)", "s3_w (Hz/mV3)", "term (Hz)", "term %"
    );
    for &x in &xs {
        let t0 = Instant::now();
        let b = pt.bias(x);
        let rate = hawkes::stationary_with(&pt.lif, &pt.external, &pt.sources, b, &res)?.rate;
        // the term of `third_cumulant_term`, s3_c times the difference
        let (coloured, white) =
            third_cumulant_sensitivities(&pt.lif, &pt.external, &pt.sources, b, &res)?;
        let term = coloured * dk3;
        println!(
            "{x:>7.1} {rate:>10.5} {coloured:>13.6} {white:>13.6} {term:>+10.5} {:>+8.2}   ({:.1} s)",
            100.0 * term / rate,
            t0.elapsed().as_secs_f64()
        );
    }
    Ok(())
}
