//! Timing and results of the correlated noise closure (docs/theory.md 6.6) against the
//! spectral and Poisson closures on the default model (shot-noise transfer): the
//! stationary solve at `kappa = 0, s = 0` and the latent fixed-point search after the
//! input step (`s = 1`; search box of examples/closures.rs), and the latent-bistable preset's search at `s = 0`. Wall-clock
//! seconds (the machine's load changes them; compare within one run).
//!
//! `cargo run --release --example correlated_timing`

use std::time::Instant;

use balnet::model::{NoiseClosure, TransferKind};
use balnet::theory::Limit;
use balnet::theory::latent::{SearchBox, fixed_points};
use balnet::theory::stationary;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    for (name, base, s) in [
        ("default", balnet::presets::default_model(), 1.0),
        ("latent-bistable", balnet::presets::latent_bistable(), 0.0),
    ] {
        println!("\n{name}:");
        for noise in [
            NoiseClosure::Correlated,
            NoiseClosure::Spectral,
            NoiseClosure::Poisson,
        ] {
            let mut m = base.clone();
            m.transfer = TransferKind::ShotNoise;
            m.noise = noise;
            balnet::theory::closure::clear_cache();
            let t0 = Instant::now();
            let st = stationary::solve(
                &m,
                Limit::Finite,
                &vec![0.0; m.d()],
                &vec![0.0; m.d_in()],
                None,
            )?;
            let t_st = t0.elapsed().as_secs_f64();
            let t1 = Instant::now();
            let sol = fixed_points(
                &m,
                Limit::Finite,
                &[s],
                &SearchBox {
                    kappa_max: 60.0,
                    grid: 61,
                    starts: 10,
                },
            )?;
            let t_fp = t1.elapsed().as_secs_f64();
            let fp = sol.stable_upper().map(|f| f.state.clone());
            let (kappa, rates, fano, mv) = match &fp {
                Some(f) => (
                    f.kappa[0],
                    f.rates(),
                    f.fano(),
                    f.populations
                        .iter()
                        .map(|p| p.mean_v_mv)
                        .collect::<Vec<_>>(),
                ),
                None => (f64::NAN, vec![], vec![], vec![]),
            };
            println!(
                "  {:<10} stationary {t_st:>6.2} s (rates {:.3?} Hz, F {:.3?}) | fixed points {t_fp:>6.2} s: kappa* {kappa:.3} Hz, rates {rates:.3?} Hz, F {fano:.3?}, <V> {mv:.3?} mV",
                format!("{noise:?}"),
                st.rates(),
                st.fano(),
            );
        }
    }
    Ok(())
}
