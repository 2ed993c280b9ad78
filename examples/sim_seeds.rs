//! Seed-to-seed spread of Brunel model A rates (network realisations).
//!
//! `cargo run --release --example sim_seeds -- g eta n_seeds [duration_s]`

use balnet::model::Connectivity;
use balnet::sim::{RunOptions, simulate};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let g: f64 = a.first().map_or(Ok(6.0), |s| s.parse())?;
    let eta: f64 = a.get(1).map_or(Ok(1.0), |s| s.parse())?;
    let n: u64 = a.get(2).map_or(Ok(4), |s| s.parse())?;
    let dur: f64 = a.get(3).map_or(Ok(1.0), |s| s.parse())?;
    let mut rs = Vec::new();
    for seed in 1..=n {
        let mut m = balnet::presets::brunel_a(g, eta, 0.1, 1000, 10_000, 2_500)?;
        m.connectivity = Connectivity::FixedIndegreeReplacement;
        m.sim.duration = dur;
        m.sim.seed = seed;
        let r = simulate(
            &m,
            &RunOptions {
                threads: 1,
                quiet: true,
                out_dir: None,
            },
        )?;
        let p = &r.populations;
        println!(
            "seed {seed}: E {:.3} I {:.3} Hz, CV {:.3}, popCV {:.3}",
            p[0].rate_hz, p[1].rate_hz, p[0].cv_isi, p[0].pop_rate_cv
        );
        rs.push(p[0].rate_hz);
    }
    let m = rs.iter().sum::<f64>() / rs.len() as f64;
    let sd =
        (rs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (rs.len() as f64 - 1.0).max(1.0)).sqrt();
    println!("E rate {m:.3} +- {sd:.3} (sd over seeds)");
    Ok(())
}
