//! Timing and results of the correlated noise closure (docs/theory.md 6.6) against the
//! spectral and Poisson closures on the default model (shot-noise transfer): the
//! stationary solve at `kappa = 0, s = 0` and the latent fixed-point search after the
//! input step (`s = 1`; search box of examples/closures.rs), and the latent-bistable
//! preset's search at `s = 0`. Wall-clock seconds (the machine's load changes them; compare within one run).
//!
//! `cargo run --release --example correlated_timing [-- SUMMARY_JSON [NOISE]]`: with the
//! `summary.json` of a simulation of the default model (`balnet simulate --out`), its drawn
//! loading moments replace the Model's (as `balnet compare` does), only the default model
//! is solved, and only the named closure (`correlated`, `spectral` or `poisson`).

use std::time::Instant;

use balnet::model::{NoiseClosure, TransferKind};
use balnet::theory::Limit;
use balnet::theory::latent::{SearchBox, fixed_points};
use balnet::theory::stationary;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let mut scenarios = vec![
        ("default", balnet::presets::default_model(), 1.0),
        ("latent-bistable", balnet::presets::latent_bistable(), 0.0),
    ];
    let mut closures = vec![
        NoiseClosure::Correlated,
        NoiseClosure::Spectral,
        NoiseClosure::Poisson,
    ];
    if let Some(path) = args.get(1) {
        let summary: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
        let mut m = balnet::presets::default_model();
        if let Some(l) = m.latent.as_mut() {
            l.loadings = serde_json::from_value(summary["loading_moments"].clone())?;
        }
        scenarios = vec![("default, drawn loadings", m, 1.0)];
        if let Some(n) = args.get(2) {
            closures = vec![serde_json::from_value(serde_json::Value::String(
                n.clone(),
            ))?];
        }
    }
    for (name, base, s) in scenarios {
        println!("\n{name}:");
        for &noise in &closures {
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
