//! Noise closures side by side (docs/theory.md 2.1; section 5, "The open `kappa` gap"): for the
//! default model (Bernoulli, after the input step s = 1) and its fixed-in-degree bistable
//! variant (one delay of 1.5 ms, stable fixed point kappa* > 0), transfer (siegert /
//! shot_noise) x noise (poisson / renewal / spectral / correlated): finite-K rates, kappa, mean V,
//! silent fraction (rate below 1e-3 Hz), effective Fano factors and solve time.
//! Theory only; the simulator is not run here.
//!
//! `cargo run --release --example closures`

use std::time::Instant;

use balnet::model::{Connectivity, Delay, NoiseClosure, TransferKind};
use balnet::theory::Limit;
use balnet::theory::latent::{SearchBox, fixed_points};
use balnet::theory::predictions::rate_distribution::{
    DEFAULT_SILENT_THRESHOLD_HZ, silent_fraction,
};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut bistable = balnet::presets::latent_bistable();
    bistable.connectivity = Connectivity::FixedIndegree;
    bistable.delay = Delay::Fixed { d: 0.0015 };
    let scenarios = [
        ("default (s=1)", balnet::presets::default_model(), 1.0),
        ("bistable fixed-indegree", bistable, 0.0),
    ];
    let search = SearchBox {
        kappa_max: 60.0,
        grid: 61,
        starts: 10,
    };
    for (name, base, s) in scenarios {
        println!("\n{name}:");
        println!(
            "{:<11} {:<9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>7} {:>7} {:>6} {:>6} {:>7}",
            "transfer",
            "noise",
            "nu_E",
            "nu_I",
            "kappa",
            "V_E",
            "V_I",
            "silentE",
            "silentI",
            "F_E",
            "F_I",
            "time_s"
        );
        for transfer in [TransferKind::Siegert, TransferKind::ShotNoise] {
            for noise in [
                NoiseClosure::Poisson,
                NoiseClosure::Renewal,
                NoiseClosure::Spectral,
                NoiseClosure::Correlated,
            ] {
                let mut m = base.clone();
                m.transfer = transfer;
                m.noise = noise;
                let t0 = Instant::now();
                let sol = fixed_points(&m, Limit::Finite, &[s], &search);
                let dt = t0.elapsed().as_secs_f64();
                let fp = sol
                    .ok()
                    .and_then(|sol| sol.stable_upper().filter(|f| f.kappa[0] >= 0.0).cloned());
                let tn = format!("{transfer:?}").to_lowercase();
                let nn = format!("{noise:?}").to_lowercase();
                match fp {
                    Some(f) => {
                        let st = &f.state;
                        let p = &st.populations;
                        let se = silent_fraction(&m, st, 0, DEFAULT_SILENT_THRESHOLD_HZ)?;
                        let si = silent_fraction(&m, st, 1, DEFAULT_SILENT_THRESHOLD_HZ)?;
                        println!(
                            "{tn:<11} {nn:<9} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>8.3} {:>7.3} {:>7.3} {:>6.3} {:>6.3} {:>7.1}",
                            p[0].rate_hz,
                            p[1].rate_hz,
                            f.kappa[0],
                            p[0].mean_v_mv,
                            p[1].mean_v_mv,
                            se,
                            si,
                            p[0].fano,
                            p[1].fano,
                            dt
                        );
                    }
                    None => println!(
                        "{tn:<11} {nn:<9} no stable fixed point with kappa >= 0 found ({dt:.1} s)"
                    ),
                }
            }
        }
    }
    Ok(())
}
