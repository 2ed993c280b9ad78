//! The tuning-curve figure of docs/theory.md 2.6.4: single-neuron rates along a symmetric path of
//! latent states `kappa in [-kappa*, kappa*]` (the two stable states of the bistable preset,
//! finite K), sampled from the theory's joint Gaussian of each neuron's inputs across states.
//!
//! - balanced network (finite K): `mu_A` and the quenched field follow `kappa` while `nu_A`
//!   stays nearly fixed, so tuning curves are non-monotone (mixed selectivity);
//! - unbalanced mode (`mu_A`, `beta_A` and `sigma_A` frozen at `kappa = 0`): the standard
//!   low-rank rate network, `Phi(const + tau_m m_i kappa)`, gives monotone ridges.
//!
//! Writes `out/tuning.png`, `out/tuning.svg` and `out/tuning.json` and prints the
//! non-monotone fractions. `cargo run --release --example tuning -- [OUT_DIR]`

use std::time::Instant;

use balnet::plot;
use balnet::presets;
use balnet::theory::Limit;
use balnet::theory::latent::{SearchBox, fixed_points};
use balnet::theory::predictions::{TuningOptions, symmetric_path_1d, tuning_contrast};

/// Curves drawn per panel (out of `TuningOptions::neurons` sampled).
const SHOWN: usize = 5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "out".into()));
    std::fs::create_dir_all(&out)?;
    let t0 = Instant::now();
    let model = presets::latent_bistable();
    let s = [0.0];
    // the path spans the two stable states +-kappa* of the bistable preset
    let sol = fixed_points(&model, Limit::Finite, &s, &SearchBox::default())?;
    let kappa_star = sol
        .fixed_points
        .iter()
        .filter(|f| f.stable)
        .map(|f| f.kappa[0].abs())
        .fold(0.0, f64::max);
    if kappa_star <= 0.0 {
        return Err("the bistable preset has no stable kappa* != 0 (finite K)".into());
    }
    let path = symmetric_path_1d(kappa_star, 41)?;
    let opts = TuningOptions {
        neurons: 200,
        seed: 1,
        tol_hz: 0.1,
    };
    let c = tuning_contrast(&model, Limit::Finite, &path, &s, &opts)?;
    let wall = t0.elapsed().as_secs_f64();

    println!(
        "tuning: bistable preset (Sigma^nm = {} mV), finite K, kappa* = {kappa_star:.2} Hz, {wall:.2} s",
        presets::BISTABLE_SIGMA_NM
    );
    println!(
        "{:<54} {:>3} {:>13} {:>11} {:>7} {:>8} {:>8}",
        "mode", "pop", "non-monotone", "depth (Hz)", "peaks", "troughs", "untuned"
    );
    for tc in [&c.balanced, &c.unbalanced, &c.unbalanced_frozen_noise] {
        for p in &tc.populations {
            let st = &p.stats;
            println!(
                "{:<54} {:>3} {:>12.1}% {:>11.3} {:>6.1}% {:>7.1}% {:>7.1}%",
                tc.mode,
                p.name,
                100.0 * st.nonmonotone_fraction,
                st.mean_nonmonotone_depth_hz,
                100.0 * st.interior_peak_fraction,
                100.0 * st.interior_trough_fraction,
                100.0 * st.untuned_fraction
            );
        }
    }

    let panels = plot::tuning_panels(&c, SHOWN);
    plot::save(&out.join("tuning"), &panels)?;
    std::fs::write(out.join("tuning.json"), serde_json::to_string(&c)?)?;
    println!("wrote {}/tuning.{{png,svg,json}}", out.display());
    Ok(())
}
