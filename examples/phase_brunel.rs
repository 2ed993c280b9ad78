//! Phase diagram of Brunel (2000) model A from the finite-K theory (docs/theory.md 2.4, 4):
//! E rate over (g, eta), parallel over grid points, with the region where no stationary
//! solution is found marked (grey in the heat map, `null` in the JSON).
//!
//! `cargo run --release --example phase_brunel -- [N] [OUT_DIR]` (default 100 x 100, ./out).

use std::time::Instant;

use balnet::presets;
use balnet::theory::{Limit, stationary};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let n: usize = args.get(1).map(|s| s.parse()).transpose()?.unwrap_or(100);
    let out = std::path::PathBuf::from(args.get(2).cloned().unwrap_or_else(|| "out".into()));
    std::fs::create_dir_all(&out)?;
    let gs: Vec<f64> = (0..n)
        .map(|i| 3.0 + 5.0 * i as f64 / (n - 1).max(1) as f64)
        .collect();
    let etas: Vec<f64> = (0..n)
        .map(|i| 0.5 + 3.5 * i as f64 / (n - 1).max(1) as f64)
        .collect();
    let pb = ProgressBar::new((n * n) as u64);
    pb.set_style(ProgressStyle::with_template(
        "{bar:40} {pos}/{len} grid points, {elapsed} ({eta} left)",
    )?);
    if !console_is_tty() {
        pb.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    let t0 = Instant::now();
    // each row of eta is continued along g from the previous solution (warm start)
    let rows: Vec<Vec<Option<[f64; 2]>>> = etas
        .par_iter()
        .map(|&eta| {
            let mut guess: Option<balnet::theory::State> = None;
            gs.iter()
                .map(|&g| {
                    pb.inc(1);
                    let m = presets::brunel_a(g, eta, 0.1, 1000, 10_000, 2_500).ok()?;
                    let st = stationary::solve(&m, Limit::Finite, &[], &[], guess.as_ref())
                        .or_else(|_| stationary::solve(&m, Limit::Finite, &[], &[], None))
                        .ok();
                    guess = st.clone();
                    st.map(|s| [s.populations[0].rate_hz, s.populations[1].rate_hz])
                })
                .collect()
        })
        .collect();
    pb.finish_and_clear();
    let wall = t0.elapsed().as_secs_f64();
    let failed = rows.iter().flatten().filter(|r| r.is_none()).count();
    println!(
        "phase_brunel: {n} x {n} = {} finite-K fixed points in {wall:.3} s on {} threads ({:.1} us per point); {failed} without a solution",
        n * n,
        rayon::current_num_threads(),
        1e6 * wall / (n * n) as f64
    );
    let mut csv = String::from("g,eta,rate_e_hz,rate_i_hz\n");
    for (iy, row) in rows.iter().enumerate() {
        for (ix, r) in row.iter().enumerate() {
            match r {
                Some([e, i]) => csv.push_str(&format!("{},{},{e},{i}\n", gs[ix], etas[iy])),
                None => csv.push_str(&format!("{},{},,\n", gs[ix], etas[iy])),
            }
        }
    }
    std::fs::write(out.join("phase_brunel.csv"), csv)?;
    let json = serde_json::json!({
        "g": gs, "eta": etas,
        "rate_e_hz": rows.iter().map(|r| r.iter().map(|x| x.map(|v| v[0])).collect::<Vec<_>>()).collect::<Vec<_>>(),
        "wall_s": wall, "threads": rayon::current_num_threads(), "mode": "finite K, Siegert, Poisson closure",
    });
    std::fs::write(out.join("phase_brunel.json"), serde_json::to_string(&json)?)?;
    let log_rates: Vec<Vec<f64>> = rows
        .iter()
        .map(|r| {
            r.iter()
                .map(|x| x.map_or(f64::NAN, |v| v[0].max(1e-3).log10()))
                .collect()
        })
        .collect();
    balnet::plot::heatmap(
        &out.join("phase_brunel"),
        &balnet::plot::Heatmap {
            title: "Brunel model A, finite-K theory: E rate (grey: no solution)",
            x_label: "g (relative inhibition)",
            y_label: "eta (external drive / threshold drive)",
            bar_label: "log10 rate (Hz)",
            xs: &gs,
            ys: &etas,
            values: &log_rates,
        },
    )?;
    println!("wrote {}/phase_brunel.{{csv,json,png}}", out.display());
    Ok(())
}

fn console_is_tty() -> bool {
    use std::io::IsTerminal;
    std::io::stderr().is_terminal()
}
