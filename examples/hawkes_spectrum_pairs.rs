//! How far the spectral expansion of rule `H`'s shape term (docs/theory.md 6.6.12c)
//! carries within the Hawkes family itself, where every rate is exact: gamma trains of
//! rate `NU` and ISI CV `CV` (2 ms dead time) into a neuron of population E of the default
//! model at mean input `X` (mV) give the Hawkes sources `A` of rule `H` (one per
//! population, the trains' `s0` and membrane Fano factor, docs/theory.md 2.2.1); each
//! variant `B` scales both sources' `s0` and `tau_c` by the factors of one `S0:TAU` pair.
//! For every `B` the table gives the exact rate change `nu_H(B) - nu_H(A)` (the Hawkes
//! solver, 2.2.1) against the term of 6.6.12c about `A` with the spectra's difference
//! `S_B/R - S_A/R` (one second-order solve about `A`, 6.4.2), and that term split by the
//! sign of the difference (below and above `A`'s spectrum), as `shape_term_parts` splits
//! the trains' term. Lowering `s0` and raising `tau_c` together gives a difference of
//! the trains' kind: a deficit at low frequency and an excess above it.
//!
//! `cargo run --release --example hawkes_spectrum_pairs -- NU CV X PAIRS [MODES]`, e.g.
//! `-- 70 0.4 0 0.8:1,1:1.2,0.8:1.2 8` (`MODES` default 4, the closure's; the grid of
//! `theory::correlated::SHAPE_RESOLUTION`). With 4 modes the rates of the more
//! self-inhibiting variants are truncated by several percent: compare 6 and 8. About 30 s
//! with 4 modes and 2-3 min with 6 or 8 on 2 cores (the second-order solve about `A`; each
//! variant is one stationary solve).

use std::time::Instant;

use balnet::theory::correlated::{
    FREQUENCY_NODES, FREQUENCY_STRETCH, GammaTrainsPoint, HAWKES_SHAPE_RESOLUTION, OMEGA_MAX,
    hawkes_shape_weights,
};
use balnet::transfer::response::second_order::mapped_legendre_nodes;
use balnet::transfer::shot_noise::hawkes::{self, HawkesResolution, HawkesSource};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let usage = "usage: hawkes_spectrum_pairs NU CV X S0:TAU[,S0:TAU...] [MODES]";
    let arg = |k: usize| args.get(k).ok_or(usage);
    let (nu, cv, x): (f64, f64, f64) = (arg(1)?.parse()?, arg(2)?.parse()?, arg(3)?.parse()?);
    let pairs: Vec<(f64, f64)> = arg(4)?
        .split(',')
        .map(|p| -> Result<(f64, f64), Box<dyn std::error::Error>> {
            let (a, b) = p.split_once(':').ok_or(usage)?;
            Ok((a.parse()?, b.parse()?))
        })
        .collect::<Result<_, _>>()?;
    let res = HawkesResolution {
        modes: args
            .get(5)
            .map_or(Ok(HAWKES_SHAPE_RESOLUTION.modes), |s| s.parse())?,
        ..HAWKES_SHAPE_RESOLUTION
    };

    let m = balnet::presets::default_model();
    let pt = GammaTrainsPoint::new(&m, 0, nu, cv)?;
    let bias = pt.bias(x);
    let nodes = mapped_legendre_nodes(OMEGA_MAX, FREQUENCY_NODES, FREQUENCY_STRETCH);
    let omegas: Vec<f64> = nodes.iter().map(|n| n.0).collect();
    // the trains' relative spectrum less A's one-pole one
    let trains_diff = pt.shape_difference(&omegas);
    let GammaTrainsPoint {
        lif,
        sources: a,
        external,
        ..
    } = pt;

    let t0 = Instant::now();
    let all: Vec<usize> = (0..a.len()).collect();
    let so = hawkes::second_order_with(&lif, &external, &a, bias, &omegas, &all, &res)?;
    let rate_a = so.rate_hz;
    println!(
        "nu {nu} Hz, CV {cv}, x {x} mV: A has s0 {:.4}, tau_c {:.3} ms; rate {rate_a:.5} Hz \
         ({} modes, cells {} mV; {:.0} s)",
        a[0].s0,
        a[0].tau_c * 1e3,
        res.modes,
        res.grid.dv,
        t0.elapsed().as_secs_f64()
    );
    // the term about A for a difference of relative spectra, and its parts by sign
    let term = |diff: &[Vec<f64>]| -> Result<(f64, f64), Box<dyn std::error::Error>> {
        let w = hawkes_shape_weights(&a, &nodes, diff)?;
        let (mut below, mut above) = (0.0, 0.0);
        for (k, wk) in w.iter().enumerate() {
            let part: f64 = wk.iter().zip(&so.chi2[k]).map(|(w, c)| w * c).sum();
            if diff[0][k] < 0.0 {
                below += part;
            } else {
                above += part;
            }
        }
        Ok((below, above))
    };
    let pct = |v: f64| 100.0 * v / rate_a;
    let (below, above) = term(&trains_diff)?;
    println!(
        "the trains against A: term {:+.5} Hz, parts {:+.1}% / {:+.1}% of A's rate",
        below + above,
        pct(below),
        pct(above)
    );
    println!(
        "\n{:>6} {:>6} {:>11} {:>11} {:>9} {:>9} {:>11} {:>9}",
        "s0 x", "tau x", "exact (Hz)", "term (Hz)", "below %", "above %", "exact-term", "% of A"
    );
    for (ls, lt) in pairs {
        let b: Vec<HawkesSource> = a
            .iter()
            .map(|s| HawkesSource::new(s.jump_mv, s.rate_hz, s.s0 * ls, s.tau_c * lt))
            .collect::<Result<_, _>>()?;
        let rate_b = hawkes::stationary_with(&lif, &external, &b, bias, &res)?.rate;
        let diff: Vec<Vec<f64>> = a
            .iter()
            .zip(&b)
            .map(|(sa, sb)| {
                omegas
                    .iter()
                    .map(|&om| sb.relative_spectrum(om) - sa.relative_spectrum(om))
                    .collect()
            })
            .collect();
        let (below, above) = term(&diff)?;
        let (exact, t) = (rate_b - rate_a, below + above);
        println!(
            "{ls:>6.2} {lt:>6.2} {exact:>+11.5} {t:>+11.5} {:>+9.1} {:>+9.1} {:>+11.5} {:>+9.2}",
            pct(below),
            pct(above),
            exact - t,
            pct(exact - t)
        );
    }
    Ok(())
}
