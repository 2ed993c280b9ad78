//! Rule `H`'s shape term about the Hawkes neuron (docs/theory.md 6.6.12c) frequency by
//! frequency, for gamma trains of rate `NU` and ISI CV `CV` (2 ms dead time) into a neuron
//! of population E of the default model at mean input `X` (mV), as in
//! `examples/correlated_one_pole.rs --hawkes-point`.
//!
//! At each of the term's frequency nodes the table gives the trains' relative spectrum,
//! the one-pole spectrum of the Hawkes sources that stand for them (docs/theory.md 2.2.1),
//! the E source's `S_eps` (6.6.12c), `chi_2^H` of both sources (6.4.2) and the node's
//! contribution to the term; the last lines split the term by the sign of the spectra's
//! difference (the trains below their one-pole form, and above it).
//!
//! `cargo run --release --example shape_term_parts -- NU CV X [MODES] [fast]` (default: 4
//! modes on the grid of `theory::correlated::SHAPE_RESOLUTION`, as the term in rule `H`;
//! `fast`: `Resolution::fast`). About 1 min at the defaults on 2 cores, 10-20 min with 6
//! modes on the `fast` grid (one real solve per node and source).

use std::f64::consts::PI;
use std::time::Instant;

use balnet::theory::correlated::{
    FREQUENCY_NODES, FREQUENCY_STRETCH, GammaTrainsPoint, HAWKES_SHAPE_RESOLUTION, OMEGA_MAX,
    hawkes_shape_weights,
};
use balnet::transfer::response::second_order::mapped_legendre_nodes;
use balnet::transfer::shot_noise::Resolution;
use balnet::transfer::shot_noise::hawkes::{self, HawkesResolution};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: shape_term_parts NU CV X [MODES] [fast]";
    let arg = |k: usize| args.get(k).ok_or(usage);
    let (nu, cv, x): (f64, f64, f64) = (arg(1)?.parse()?, arg(2)?.parse()?, arg(3)?.parse()?);
    let mut res = HawkesResolution {
        modes: args
            .get(4)
            .map_or(Ok(HAWKES_SHAPE_RESOLUTION.modes), |s| s.parse())?,
        ..HAWKES_SHAPE_RESOLUTION
    };
    if args.get(5).is_some_and(|s| s == "fast") {
        res.grid = Resolution::fast();
    }

    let m = balnet::presets::default_model();
    let pt = GammaTrainsPoint::new(&m, 0, nu, cv)?;
    let bias = pt.bias(x);
    let nodes = mapped_legendre_nodes(OMEGA_MAX, FREQUENCY_NODES, FREQUENCY_STRETCH);
    let omegas: Vec<f64> = nodes.iter().map(|n| n.0).collect();
    // the trains' relative spectrum less the sources' one-pole one (6.6.12c)
    let diff = pt.shape_difference(&omegas);
    let GammaTrainsPoint {
        lif,
        trains: g,
        sources,
        external,
        ..
    } = pt;

    let t0 = Instant::now();
    let so = hawkes::second_order_with(&lif, &external, &sources, bias, &omegas, &[0, 1], &res)?;
    println!(
        "nu {nu} Hz, CV {cv}, x {x} mV: Hawkes rate {:.5} Hz ({} modes, cells {} mV, {} grids; {:.0} s)",
        so.rate_hz,
        res.modes,
        res.grid.dv,
        res.grid.levels,
        t0.elapsed().as_secs_f64()
    );
    println!(
        "{:>9} {:>8} {:>8} {:>8} {:>11} {:>11} {:>11} {:>9} {:>9}",
        "omega", "f (Hz)", "trains", "1-pole", "S_eps E", "chi2 E", "chi2 I", "part", "sum"
    );
    // the weights of the term's quadrature (6.6.12c)
    let w = hawkes_shape_weights(&sources, &nodes, &diff)?;
    let (mut below, mut above, mut sum) = (0.0, 0.0, 0.0);
    for (k, &om) in omegas.iter().enumerate() {
        let part: f64 = (0..sources.len()).map(|j| w[k][j] * so.chi2[k][j]).sum();
        sum += part;
        if diff[0][k] < 0.0 {
            below += part;
        } else {
            above += part;
        }
        // S_eps of the E source: the weight without the quadrature's
        let s_eps = w[k][0] * PI / nodes[k].1;
        println!(
            "{om:>9.2} {:>8.2} {:>8.4} {:>8.4} {s_eps:>+11.4e} {:>+11.4e} {:>+11.4e} {part:>+9.5} {sum:>+9.5}",
            om / (2.0 * PI),
            g.spectrum(om) / nu,
            sources[0].relative_spectrum(om),
            so.chi2[k][0],
            so.chi2[k][1]
        );
    }
    let pct = |v: f64| 100.0 * v / so.rate_hz;
    println!(
        "trains below the one-pole spectrum: {below:+.4} Hz ({:+.1}%), above: {above:+.4} Hz ({:+.1}%), term {sum:+.4} Hz ({:+.1}% of the Hawkes rate)",
        pct(below),
        pct(above),
        pct(sum)
    );
    Ok(())
}
