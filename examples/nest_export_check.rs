//! The NEST export against the simulator (docs/nest.md, "Measured agreement").
//!
//! For each case the Model is exported with `balnet::export::nest_script`, run in NEST
//! (a Python with `nest-simulator` 3.10) and read back with `sim::spikes`, so both runs
//! are measured by the same recorders; the same Model runs in balnet's simulator with the
//! same seeds (network realisations differ between the engines: the seed keys different
//! generators). Reported: population rates and ISI CVs, mean and seed-to-seed spread per
//! engine, and for the latent case `kappa(t)`.
//!
//! ```text
//! cargo run --release --example nest_export_check -- --python /path/to/venv/bin/python \
//!     [--cases brunel,d0,latent] [--seeds 3] [--threads 2] [--out nest_check]
//! ```
//!
//! NEST runs already present in `--out` (a finished `nest_rank0.json`) are reused.
//! Cases: `brunel` Brunel (2000) model A (`brunel-a`, grid, N = 12,500, 1 s);
//! `d0` the `default-d0` model (precise, `iaf_psc_delta_ps`) at 0.4 x N, 1 s;
//! `latent` the default model with its latent structure in grid mode at 0.2 x N
//! (`iaf_psc_exp_multisynapse`), the full 3.5 s with the input step at 1.5 s.

use std::path::{Path, PathBuf};
use std::process::Command;

use balnet::export::nest::{NestOptions, nest_script, scale_populations};
use balnet::model::{Model, SimMode};
use balnet::plot::{Panel, Series, Style};
use balnet::sim::{RunOptions, SimResult, simulate, spikes};
use serde_json::{Value, json};

struct Case {
    name: &'static str,
    model: Model,
}

fn cases(which: &[String]) -> balnet::Result<Vec<Case>> {
    let mut out = Vec::new();
    for w in which {
        let model = match w.as_str() {
            "brunel" => balnet::presets::by_name("brunel-a")?,
            "d0" => {
                let mut m = scale_populations(&balnet::presets::default_d0(), 0.4)?;
                m.sim.warmup = 0.3;
                m.sim.duration = 1.0;
                m
            }
            "latent" => {
                let mut m = scale_populations(&balnet::presets::default_model(), 0.2)?;
                m.sim.mode = SimMode::Grid;
                m
            }
            other => {
                return Err(balnet::Error::invalid(
                    "--cases",
                    other,
                    "each case must be brunel, d0 or latent",
                ));
            }
        };
        let name = match w.as_str() {
            "brunel" => "brunel",
            "d0" => "d0",
            _ => "latent",
        };
        out.push(Case { name, model });
    }
    Ok(out)
}

/// Run the exported script of `model` (unless a finished run is in `dir`) and read it back.
fn run_nest(
    python: &str,
    model: &Model,
    seed: u64,
    threads: usize,
    dir: &Path,
) -> Result<(SimResult, Value), Box<dyn std::error::Error>> {
    let done = dir.join("nest_rank0.json");
    if !done.exists() {
        std::fs::create_dir_all(dir)?;
        let opts = NestOptions {
            threads,
            out_dir: dir.display().to_string(),
            seed: Some(seed),
            n_scale: None,
        };
        let script = dir.join("script.py");
        std::fs::write(&script, nest_script(model, &opts)?)?;
        eprintln!("  NEST seed {seed}: python {}", script.display());
        let st = Command::new(python)
            .arg(&script)
            .env("OMP_NUM_THREADS", threads.to_string())
            .status()?;
        if !st.success() {
            return Err(format!("NEST run failed: {st}").into());
        }
    }
    let folder = spikes::read_spikes(dir)?;
    let cost = json!({
        "build_s": folder.build_s,
        "build_cpu_s": folder.build_cpu_s,
        "simulate_s": folder.simulate_s,
        "simulate_cpu_s": folder.simulate_cpu_s,
        "max_rss_bytes": folder.max_rss_bytes,
        "fast_connections": folder.fast_connections,
        "slow_connections": folder.slow_connections,
    });
    Ok((spikes::result_from_spikes(&folder)?, cost))
}

fn mean_sd(x: &[f64]) -> (f64, f64) {
    let n = x.len() as f64;
    let m = x.iter().sum::<f64>() / n;
    let sd = if x.len() > 1 {
        (x.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
    } else {
        f64::NAN
    };
    (m, sd)
}

/// Mean of `kappa_t[.][0]` over bins whose centre is in `[t0, t1)`.
fn kappa_window(r: &SimResult, t0: f64, t1: f64) -> f64 {
    let v: Vec<f64> = r
        .time_s
        .iter()
        .zip(&r.kappa_t)
        .filter(|(t, _)| **t >= t0 && **t < t1)
        .map(|(_, k)| k[0])
        .collect();
    v.iter().sum::<f64>() / v.len().max(1) as f64
}

fn summarise(case: &Case, bal: &[SimResult], nest: &[SimResult], costs: &[Value]) -> Value {
    let mut pops = Vec::new();
    for (a, pop) in case.model.populations.iter().enumerate() {
        let get = |rs: &[SimResult], f: &dyn Fn(&balnet::sim::PopulationResult) -> f64| {
            mean_sd(&rs.iter().map(|r| f(&r.populations[a])).collect::<Vec<_>>())
        };
        let (rb, rb_sd) = get(bal, &|p| p.rate_hz);
        let (rn, rn_sd) = get(nest, &|p| p.rate_hz);
        let (cb, cb_sd) = get(bal, &|p| p.cv_isi);
        let (cn, cn_sd) = get(nest, &|p| p.cv_isi);
        let (sb, sb_sd) = get(bal, &|p| p.rate_sd_hz);
        let (sn, sn_sd) = get(nest, &|p| p.rate_sd_hz);
        let (pb, pb_sd) = get(bal, &|p| p.pop_rate_cv);
        let (pn, pn_sd) = get(nest, &|p| p.pop_rate_cv);
        let (qb, qb_sd) = get(bal, &|p| p.pair_corr);
        let (qn, qn_sd) = get(nest, &|p| p.pair_corr);
        let (fb, fb_sd) = get(bal, &|p| p.silent_fraction);
        let (fn_, fn_sd) = get(nest, &|p| p.silent_fraction);
        pops.push(json!({
            "name": pop.name,
            "rate_hz": {"balnet": rb, "balnet_sd": rb_sd, "nest": rn, "nest_sd": rn_sd,
                        "rel_diff": rn / rb - 1.0},
            "cv_isi": {"balnet": cb, "balnet_sd": cb_sd, "nest": cn, "nest_sd": cn_sd,
                       "rel_diff": cn / cb - 1.0},
            "rate_sd_hz": {"balnet": sb, "balnet_sd": sb_sd, "nest": sn, "nest_sd": sn_sd},
            "pop_rate_cv_1ms": {"balnet": pb, "balnet_sd": pb_sd, "nest": pn, "nest_sd": pn_sd},
            "pair_corr_50ms": {"balnet": qb, "balnet_sd": qb_sd, "nest": qn, "nest_sd": qn_sd},
            "silent_fraction": {"balnet": fb, "balnet_sd": fb_sd, "nest": fn_, "nest_sd": fn_sd},
        }));
    }
    let mut out = json!({
        "case": case.name,
        "model": case.model.name,
        "mode": case.model.sim.mode,
        "neurons": case.model.populations.iter().map(|p| p.n).collect::<Vec<_>>(),
        "k": case.model.k,
        "warmup_s": case.model.sim.warmup,
        "duration_s": case.model.sim.duration,
        "seeds": bal.iter().map(|r| r.seed).collect::<Vec<_>>(),
        "engine": if case.model.d() > 0 { "iaf_psc_exp_multisynapse" } else if case.model.sim.mode == SimMode::Precise { "iaf_psc_delta_ps" } else { "iaf_psc_delta" },
        "populations": pops,
        "nest_costs": costs,
        "balnet_wall_s": bal.iter().map(|r| r.wall_s).collect::<Vec<_>>(),
        "balnet_cpu_s": bal.iter().map(|r| r.cpu_s).collect::<Vec<_>>(),
        "nest_synapses": nest.iter().map(|r| r.n_synapses).collect::<Vec<_>>(),
        "balnet_synapses": bal.iter().map(|r| r.n_synapses).collect::<Vec<_>>(),
    });
    if case.model.d() > 0 {
        let step = 1.5;
        let tau_s = case.model.latent.as_ref().map_or(0.1, |l| l.tau_s);
        let w0 = (case.model.sim.warmup, step);
        let w1 = (
            step + 4.0 * tau_s,
            case.model.sim.warmup + case.model.sim.duration,
        );
        let k = |rs: &[SimResult], w: (f64, f64)| {
            mean_sd(
                &rs.iter()
                    .map(|r| kappa_window(r, w.0, w.1))
                    .collect::<Vec<_>>(),
            )
        };
        let (b0, b0s) = k(bal, w0);
        let (n0, n0s) = k(nest, w0);
        let (b1, b1s) = k(bal, w1);
        let (n1, n1s) = k(nest, w1);
        out["kappa_hz"] = json!({
            "before_step": {"window_s": [w0.0, w0.1], "balnet": b0, "balnet_sd": b0s, "nest": n0, "nest_sd": n0s},
            "after_step": {"window_s": [w1.0, w1.1], "balnet": b1, "balnet_sd": b1s, "nest": n1, "nest_sd": n1s},
        });
    }
    out
}

/// `kappa(t)` of every run (thin, one legend entry per engine) and the mean over seeds
/// of each engine (thick), averaged in 20 ms windows, with the input step marked.
fn kappa_panel(bal: &[SimResult], nest: &[SimResult], step_s: Option<f64>) -> Panel {
    let smooth = |r: &SimResult| -> Vec<(f64, f64)> {
        let per = 20usize;
        r.time_s
            .chunks(per)
            .zip(r.kappa_t.chunks(per))
            .map(|(t, k)| {
                (
                    t.iter().sum::<f64>() / t.len() as f64,
                    k.iter().map(|x| x[0]).sum::<f64>() / k.len() as f64,
                )
            })
            .collect()
    };
    let mean = |runs: &[SimResult]| -> Vec<(f64, f64)> {
        let all: Vec<Vec<(f64, f64)>> = runs.iter().map(smooth).collect();
        let n = all.iter().map(Vec::len).min().unwrap_or(0);
        (0..n)
            .map(|i| {
                let y = all.iter().map(|r| r[i].1).sum::<f64>() / all.len() as f64;
                (all[0][i].0, y)
            })
            .collect()
    };
    let mut series = Vec::new();
    for (engine, runs, colour) in [("balnet simulator", bal, 0), ("NEST 3.10 export", nest, 1)] {
        for (i, r) in runs.iter().enumerate() {
            let name = if i == 0 {
                format!("{engine}, each of {} seeds", runs.len())
            } else {
                String::new()
            };
            series.push(Series::new(name, smooth(r), Style::ThinLine, colour));
        }
        series.push(Series::new(
            format!("{engine}, mean over seeds"),
            mean(runs),
            Style::Line,
            colour,
        ));
    }
    if let Some(t) = step_s {
        series.push(Series::new(
            format!("input s: 0 -> 1 at {t} s"),
            vec![(t, 0.0)],
            Style::VLine,
            4,
        ));
    }
    Panel {
        title: "kappa(t), default model at 0.2 N, grid mode".into(),
        x_label: "time from the start of the warm-up (s)".into(),
        y_label: "kappa (Hz), 20 ms means".into(),
        series,
        ..Default::default()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1).cloned())
    };
    let python = opt("--python").unwrap_or_else(|| "python3".into());
    let seeds: u64 = opt("--seeds").map_or(Ok(3), |s| s.parse())?;
    let threads: usize = opt("--threads").map_or(Ok(2), |s| s.parse())?;
    let out = PathBuf::from(opt("--out").unwrap_or_else(|| "nest_check".into()));
    let which: Vec<String> = opt("--cases")
        .unwrap_or_else(|| "brunel,d0,latent".into())
        .split(',')
        .map(str::to_string)
        .collect();
    let mut results = Vec::new();
    for case in cases(&which)? {
        eprintln!("case {}: {}", case.name, case.model.name);
        let mut bal = Vec::new();
        let mut nest = Vec::new();
        let mut costs = Vec::new();
        for seed in 1..=seeds {
            let mut m = case.model.clone();
            m.sim.seed = seed;
            let r = simulate(
                &m,
                &RunOptions {
                    threads,
                    quiet: true,
                    out_dir: None,
                },
            )?;
            eprintln!(
                "  balnet seed {seed}: rates {:?} Hz",
                r.populations.iter().map(|p| p.rate_hz).collect::<Vec<_>>()
            );
            bal.push(r);
            let dir = out.join(case.name).join(format!("nest_seed{seed}"));
            let (n, cost) = run_nest(&python, &m, seed, threads, &dir)?;
            costs.push(cost);
            eprintln!(
                "  NEST   seed {seed}: rates {:?} Hz",
                n.populations.iter().map(|p| p.rate_hz).collect::<Vec<_>>()
            );
            nest.push(n);
        }
        let s = summarise(&case, &bal, &nest, &costs);
        println!("{}", serde_json::to_string_pretty(&s)?);
        std::fs::write(
            out.join(format!("{}.json", case.name)),
            serde_json::to_string_pretty(&s)?,
        )?;
        if case.model.d() > 0 {
            balnet::plot::save(
                &out.join("nest_kappa"),
                &[kappa_panel(&bal, &nest, Some(1.5))],
            )?;
        }
        results.push(s);
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    std::fs::write(
        out.join("nest_export_check.json"),
        serde_json::to_string_pretty(&json!({"cases": results, "loadavg_at_end": load.trim()}))?,
    )?;
    Ok(())
}
