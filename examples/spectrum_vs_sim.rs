//! Population-rate spectra, theory vs simulation (docs/theory.md 6.3, 6.5): Brunel (2000)
//! model A at g = 5, eta = 2 (preset `brunel-a`) and the crate's default model, several
//! seeds. The theory is the network's linear response `P_aa` around the stationary state
//! (closed-form diffusion response, renewal spike spectrum, Siegert state, Poisson
//! closure) turned into the expected Welch estimate of the simulation's recorder.
//!
//! Prints per band the relative error of the seed-averaged simulated spectrum against
//! the theory, with the spread over seeds and the estimator's standard error, and the
//! peak frequencies; writes `spectrum_vs_sim_<model>.png` (log-log, per population, with
//! the band of +-2 standard errors of the seed mean around the theory) and a JSON file.
//! For models without latent variables it also compares Golomb's synchrony measure `chi`
//! of the membrane potentials with the linear response's prediction (docs/theory.md 6.3).
//!
//! `cargo run --release --example spectrum_vs_sim -- [--quick] [--model brunel-a|default|both|FILE]
//!  [--seeds N | --seed-list S1,S2,..] [--duration S] [--mode model|grid|precise] [--out DIR]
//!  [--response diffusion|shot-noise]`
//! (default: both models, 10 s after the warm-up, 4 seeds, each model's own integration
//! scheme, ./out; `--quick`: 2 s and 2 seeds). An unstable state (the default model)
//! gets the formal linear-response spectrum, flagged. A run that left the asynchronous
//! state (Golomb's chi above `compare::CHI_ASYNC_THRESHOLD` in a population) is reported
//! and left out of the averages.

use std::path::PathBuf;

use balnet::compare::{
    CHI_ASYNC_THRESHOLD, PopulationSpectrum, SPECTRUM_BANDS_HZ, SpectrumOptions, SpectrumResponse,
    Variant, spectrum_comparison,
};
use balnet::model::{NoiseClosure, SimMode, TransferKind};
use balnet::plot::{Panel, Series, Style};
use balnet::presets;
use balnet::sim::{RunOptions, simulate};
use serde_json::json;

struct Args {
    models: Vec<String>,
    seeds: u64,
    duration: f64,
    mode: Option<SimMode>,
    out: PathBuf,
    response: SpectrumResponse,
    seed_list: Option<Vec<u64>>,
}

fn parse() -> Result<Args, Box<dyn std::error::Error>> {
    let mut a = Args {
        models: vec!["brunel-a".into(), "default".into()],
        seeds: 4,
        duration: 10.0,
        mode: None,
        out: "out".into(),
        response: SpectrumResponse::Diffusion,
        seed_list: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let mut val = || it.next().ok_or(format!("{k} needs a value"));
        match k.as_str() {
            "--quick" => {
                a.seeds = 2;
                a.duration = 2.0;
            }
            "--model" => {
                let v = val()?;
                a.models = if v == "both" { a.models } else { vec![v] };
            }
            "--seeds" => a.seeds = val()?.parse()?,
            "--seed-list" => {
                a.seed_list = Some(
                    val()?
                        .split(',')
                        .map(|x| x.trim().parse())
                        .collect::<Result<_, _>>()?,
                )
            }
            "--duration" => a.duration = val()?.parse()?,
            "--mode" => {
                a.mode = match val()?.as_str() {
                    "model" => None,
                    "grid" => Some(SimMode::Grid),
                    "precise" => Some(SimMode::Precise),
                    other => {
                        return Err(format!("--mode {other}: use model, grid or precise").into());
                    }
                }
            }
            "--out" => a.out = val()?.into(),
            "--response" => {
                a.response = match val()?.as_str() {
                    "diffusion" => SpectrumResponse::Diffusion,
                    "shot-noise" => SpectrumResponse::ShotNoise,
                    other => {
                        return Err(
                            format!("--response {other}: use diffusion or shot-noise").into()
                        );
                    }
                }
            }
            other => return Err(format!("unknown argument {other}").into()),
        }
    }
    Ok(a)
}

fn mean(v: &[f64]) -> f64 {
    v.iter().sum::<f64>() / v.len() as f64
}

fn sd(v: &[f64]) -> f64 {
    let m = mean(v);
    (v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (v.len() as f64 - 1.0).max(1.0)).sqrt()
}

/// The population and the smallest and largest of its rates in 0.5-s blocks of the run
/// when they differ by more than a factor 1.5 (the network changed state; an input step
/// of these models moves the rates by a few percent).
fn rate_jump(sim: &balnet::sim::SimResult) -> Option<(String, f64, f64)> {
    let bin = if sim.time_s.len() > 1 {
        sim.time_s[1] - sim.time_s[0]
    } else {
        return None;
    };
    let per_block = ((0.5 / bin).round() as usize).max(1);
    sim.populations.iter().find_map(|p| {
        let blocks: Vec<f64> = p
            .rate_t
            .chunks(per_block)
            .filter(|c| c.len() == per_block)
            .map(mean)
            .collect();
        let lo = blocks.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = blocks.iter().copied().fold(0.0, f64::max);
        (blocks.len() > 1 && hi > 1.5 * lo).then(|| (p.name.clone(), lo, hi))
    })
}

/// Golomb's chi of the simulation (mean +- standard error over seeds) against the linear
/// response's prediction at the stationary state (docs/theory.md 6.3; models without
/// latent variables, where the run is one stationary epoch).
fn synchrony_comparison(m: &balnet::model::Model, sim_chi: &[Vec<f64>]) -> serde_json::Value {
    use balnet::theory::response::{ClosedForm, NetworkResponse, ResponseOptions, SpikeSpectrum};
    use balnet::theory::{Limit, stationary};
    if m.d() > 0 {
        println!(
            "  chi: theory not computed (the run has latent epochs; the simulated chi mixes them)"
        );
        return serde_json::Value::Null;
    }
    let theory = stationary::solve(m, Limit::Finite, &[], &[], None)
        .map_err(|e| e.to_string())
        .and_then(|st| {
            let net = NetworkResponse::new(m, &st, &ClosedForm, ResponseOptions::default())
                .map_err(|e| e.to_string())?;
            net.voltage_synchrony(SpikeSpectrum::Renewal, 2000.0, 2001)
                .map_err(|e| e.to_string())
        });
    let mut out = Vec::new();
    for (a, chis) in sim_chi.iter().enumerate() {
        let (mu, se) = (mean(chis), sd(chis) / (chis.len() as f64).sqrt());
        let th = theory.as_ref().ok().map(|t| t[a].chi);
        println!(
            "  chi {}: sim {mu:.4} +- {se:.4} (se over seeds), theory {}",
            m.populations[a].name,
            match (&theory, th) {
                (_, Some(t)) => format!("{t:.4} ({:+.1}%)", 100.0 * (mu / t - 1.0)),
                (Err(e), _) => format!("none: {e}"),
                _ => "none".into(),
            }
        );
        out.push(
            json!({"population": m.populations[a].name, "sim_mean": mu, "sim_se": se,
            "sim_per_seed": chis, "theory": th}),
        );
    }
    json!(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse()?;
    std::fs::create_dir_all(&args.out)?;
    let variant = Variant {
        transfer: match args.response {
            SpectrumResponse::Diffusion => TransferKind::Siegert,
            SpectrumResponse::ShotNoise => TransferKind::ShotNoise,
        },
        noise: NoiseClosure::Poisson,
        trajectory: false,
    };
    let opts = SpectrumOptions {
        allow_unstable: true,
        response: args.response,
        ..SpectrumOptions::default()
    };
    let mut all_json = Vec::new();
    for name in &args.models {
        let mut m = presets::file_or_preset(name)?;
        m.sim.duration = args.duration;
        m.sim.warmup = m.sim.warmup.max(0.5);
        if let Some(mode) = args.mode {
            m.sim.mode = mode;
        }
        println!(
            "\n== {} ({} neurons, {:?} mode, dt {} ms, {} s after {} s warm-up, {} seeds, segment {} s)",
            m.name,
            m.populations.iter().map(|p| p.n).sum::<usize>(),
            m.sim.mode,
            m.sim.dt * 1e3,
            m.sim.duration,
            m.sim.warmup,
            args.seed_list
                .as_ref()
                .map_or(args.seeds as usize, Vec::len),
            m.sim.spectrum_segment
        );
        // per seed: the comparison (theory with that seed's drawn loadings)
        let mut runs = Vec::new();
        let mut sim_chi: Vec<Vec<f64>> = vec![Vec::new(); m.p()];
        let mut excluded = Vec::new();
        let seeds: Vec<u64> = args
            .seed_list
            .clone()
            .unwrap_or_else(|| (1..=args.seeds).collect());
        for (si, &seed) in seeds.iter().enumerate() {
            m.sim.seed = seed;
            let t0 = std::time::Instant::now();
            let sim = simulate(&m, &RunOptions::default())?;
            let t_sim = t0.elapsed().as_secs_f64();
            let sc = spectrum_comparison(&m, &sim, variant, &opts);
            if si == 0 {
                // the kernel quadrature: 2 theory values per frequency step against 4
                let fine = spectrum_comparison(
                    &m,
                    &sim,
                    variant,
                    &SpectrumOptions {
                        oversample: 4,
                        ..opts
                    },
                );
                let dev = sc
                    .epochs
                    .iter()
                    .zip(&fine.epochs)
                    .flat_map(|(a, b)| a.populations.iter().zip(&b.populations))
                    .filter_map(|(a, b)| Some((a.theory_hz.as_ref()?, b.theory_hz.as_ref()?)))
                    .flat_map(|(a, b)| a.iter().zip(b).map(|(x, y)| (x / y - 1.0).abs()))
                    .fold(0.0, f64::max);
                println!(
                    "  kernel quadrature: oversample 2 vs 4 differ by at most {dev:.2e} (relative)"
                );
            }
            println!(
                "  seed {seed}: simulated in {t_sim:.1} s (wall); rates {:?} Hz; chi {:?}",
                sim.populations
                    .iter()
                    .map(|p| format!("{:.2}", p.rate_hz))
                    .collect::<Vec<_>>(),
                sim.populations
                    .iter()
                    .map(|p| format!("{:.3}", p.chi))
                    .collect::<Vec<_>>()
            );
            // a run that left the asynchronous state is not a sample of its spectrum
            if let Some(p) = sim.populations.iter().find(|p| p.chi > CHI_ASYNC_THRESHOLD) {
                println!(
                    "  seed {seed}: EXCLUDED, not asynchronous ({}: chi {:.3} > {CHI_ASYNC_THRESHOLD}, rate {:.1} Hz)",
                    p.name, p.chi, p.rate_hz
                );
                excluded.push(seed);
                continue;
            }
            if let Some((name, lo, hi)) = rate_jump(&sim) {
                println!(
                    "  seed {seed}: EXCLUDED, the {name} rate moved from {lo:.1} to {hi:.1} Hz between 0.5-s blocks (a change of state)"
                );
                excluded.push(seed);
                continue;
            }
            for (a, p) in sim.populations.iter().enumerate() {
                sim_chi[a].push(p.chi);
            }
            runs.push(sc);
        }
        if runs.is_empty() {
            return Err(format!("{}: every seed left the asynchronous state", m.name).into());
        }
        let chi_json = synchrony_comparison(&m, &sim_chi);
        let n_ep = runs[0].epochs.len();
        let mut model_json = Vec::new();
        // the figure shows the longest epoch
        let fig_ep = (0..n_ep)
            .max_by(|&a, &b| {
                let len = |e: usize| runs[0].epochs[e].window_s[1] - runs[0].epochs[e].window_s[0];
                len(a).total_cmp(&len(b))
            })
            .unwrap_or(0);
        let mut panels = Vec::new();
        for e in 0..n_ep {
            let ep0 = &runs[0].epochs[e];
            println!(
                "  epoch [{:.2}, {:.2}] s, theory: {}",
                ep0.window_s[0], ep0.window_s[1], ep0.theory_status
            );
            for a in 0..ep0.populations.len() {
                let per: Vec<&PopulationSpectrum> =
                    runs.iter().map(|r| &r.epochs[e].populations[a]).collect();
                let k = per.iter().map(|p| p.sim_hz.len()).min().unwrap_or(0);
                let f = &per[0].frequencies_hz[..k];
                let sim_mean: Vec<f64> = (0..k)
                    .map(|i| mean(&per.iter().map(|p| p.sim_hz[i]).collect::<Vec<_>>()))
                    .collect();
                let th: Option<Vec<f64>> = per
                    .iter()
                    .map(|p| p.theory_hz.clone())
                    .collect::<Option<Vec<_>>>()
                    .map(|ts| {
                        (0..k)
                            .map(|i| mean(&ts.iter().map(|t| t[i]).collect::<Vec<_>>()))
                            .collect()
                    });
                let ns = per.len() as f64;
                let se_seed_mean = per[0].rel_se / ns.sqrt();
                println!("    {}:", per[0].name);
                let mut bands_json = Vec::new();
                let nb = SPECTRUM_BANDS_HZ.len();
                let mut edges: Vec<(f64, f64)> =
                    SPECTRUM_BANDS_HZ.windows(2).map(|w| (w[0], w[1])).collect();
                edges.push((SPECTRUM_BANDS_HZ[0], SPECTRUM_BANDS_HZ[nb - 1]));
                for (bi, &(lo, hi)) in edges.iter().enumerate() {
                    let in_band: Vec<usize> =
                        (0..k).filter(|&i| f[i] >= lo && f[i] <= hi).collect();
                    if in_band.is_empty() {
                        continue;
                    }
                    let avg = |v: &[f64]| {
                        in_band.iter().map(|&i| v[i]).sum::<f64>() / in_band.len() as f64
                    };
                    let s_b = avg(&sim_mean);
                    let per_seed: Vec<f64> = per
                        .iter()
                        .filter_map(|p| p.bands.get(bi).and_then(|b| b.rel_err))
                        .collect();
                    let se_band = per[0].bands.get(bi).map_or(f64::NAN, |b| b.rel_se) / ns.sqrt();
                    match &th {
                        Some(t) => {
                            let t_b = avg(t);
                            let err = s_b / t_b - 1.0;
                            println!(
                                "      [{lo:>5}, {hi:>5}] Hz: sim {s_b:.4e}, theory {t_b:.4e} Hz: {:+6.1}% (seed spread {:.1}%, estimator se {:.1}%)",
                                100.0 * err,
                                100.0 * sd(&per_seed),
                                100.0 * se_band
                            );
                            bands_json.push(json!({"lo_hz": lo, "hi_hz": hi, "sim_hz": s_b, "theory_hz": t_b,
                                "rel_err": err, "seed_spread": sd(&per_seed), "rel_se_seed_mean": se_band}));
                        }
                        None => {
                            println!("      [{lo:>5}, {hi:>5}] Hz: sim {s_b:.4e} Hz, no theory")
                        }
                    }
                }
                let pk = |v: &[f64]| {
                    balnet::sim::spectrum::peak_frequency(f, v, SPECTRUM_BANDS_HZ[0], opts.f_max)
                };
                let peaks_seed: Vec<f64> = per.iter().filter_map(|p| p.peak_sim_hz).collect();
                let (ps, pt) = (pk(&sim_mean), th.as_deref().and_then(pk));
                println!(
                    "      peak: sim {} Hz (seeds {}), theory {} Hz{}",
                    ps.map_or("-".into(), |x| format!("{x:.1}")),
                    peaks_seed
                        .iter()
                        .map(|x| format!("{x:.1}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    pt.map_or("-".into(), |x| format!("{x:.1}")),
                    match (ps, pt) {
                        (Some(a), Some(b)) => format!(" ({:+.1}%)", 100.0 * (a / b - 1.0)),
                        _ => String::new(),
                    }
                );
                model_json.push(json!({
                    "epoch": ep0.window_s, "population": per[0].name, "theory_status": ep0.theory_status,
                    "frequencies_hz": f, "sim_mean_hz": sim_mean, "theory_hz": th,
                    "rel_se_seed_mean": se_seed_mean, "bands": bands_json,
                    "peak_sim_hz": ps, "peak_theory_hz": pt, "peak_sim_per_seed_hz": peaks_seed,
                    "white_level_hz": per[0].white_level_hz,
                }));
                if e == fig_ep {
                    let pts =
                        |v: &[f64]| f.iter().copied().zip(v.iter().copied()).collect::<Vec<_>>();
                    let mut series = vec![Series::new(
                        format!(
                            "simulation, mean of {} seed{}",
                            per.len(),
                            if per.len() > 1 { "s" } else { "" }
                        ),
                        pts(&sim_mean),
                        Style::Line,
                        0,
                    )];
                    if let Some(t) = &th {
                        let unstable = ep0.theory_status.starts_with("unstable");
                        series.push(Series::new(
                            if unstable {
                                "linear theory around an UNSTABLE state (formal)".to_string()
                            } else {
                                match args.response {
                                    SpectrumResponse::Diffusion => {
                                        "theory (Siegert state, diffusion response, renewal S0)"
                                    }
                                    SpectrumResponse::ShotNoise => {
                                        "theory (shot-noise state and response, renewal S0)"
                                    }
                                }
                                .to_string()
                            },
                            pts(t),
                            Style::Line,
                            1,
                        ));
                        let z = 2.0 * se_seed_mean;
                        series.push(Series::new(
                            "theory x (1 +- 2 se of the seed mean)",
                            pts(&t.iter().map(|x| x * (1.0 + z)).collect::<Vec<_>>()),
                            Style::ThinLine,
                            1,
                        ));
                        series.push(Series::new(
                            "",
                            pts(&t.iter().map(|x| x * (1.0 - z)).collect::<Vec<_>>()),
                            Style::ThinLine,
                            1,
                        ));
                    }
                    series.push(Series::new(
                        "nu/N (independent Poisson neurons)",
                        vec![
                            (f[0], per[0].white_level_hz),
                            (f[k - 1], per[0].white_level_hz),
                        ],
                        Style::ThinLine,
                        6,
                    ));
                    panels.push(Panel {
                        title: format!(
                            "{} {}: rate spectrum, [{:.1}, {:.1}] s",
                            m.name, per[0].name, ep0.window_s[0], ep0.window_s[1]
                        ),
                        x_label: "frequency (Hz)".into(),
                        y_label: "power, two-sided (Hz^2/Hz)".into(),
                        series,
                        y_range: None,
                        x_log: true,
                        y_log: true,
                    });
                }
            }
        }
        let stem = args.out.join(format!(
            "spectrum_vs_sim_{}",
            balnet::sim::output::sanitize(name)
        ));
        balnet::plot::save_loglog(&stem, &panels)?;
        println!("  wrote {}.png", stem.display());
        all_json.push(
            json!({"model": m.name, "mode": m.sim.mode, "duration_s": m.sim.duration,
            "seeds": seeds, "excluded_seeds": excluded, "segment_s": m.sim.spectrum_segment, "spectra": model_json,
            "synchrony_chi": chi_json}),
        );
    }
    std::fs::write(
        args.out.join("spectrum_vs_sim.json"),
        serde_json::to_string(&all_json)?,
    )?;
    Ok(())
}
