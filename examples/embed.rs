//! balnet as a library: build your own Model in code, check it, and ask the theory for
//! everything docs/theory.md section 2 predicts. Here: the default E-I network (docs/theory.md section 5)
//! with a rank-TWO latent structure (D = 2) and one input channel (D_in = 1):
//! latent direction 1 is above its bifurcation (two stable states), direction 2 below.
//!
//! `cargo run --release --example embed`

use balnet::model::{Latent, Loadings, Model, Signal, SignalTerm};
use balnet::presets;
use balnet::theory::dynamics::{DynamicsOptions, integrate};
use balnet::theory::latent::{SearchBox, fixed_points};
use balnet::theory::predictions::rate_distribution::DEFAULT_SILENT_THRESHOLD_HZ;
use balnet::theory::predictions::{FastMode, RateGrid, rate_distribution, two_state};
use balnet::theory::{Limit, stationary};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // --- 1. The Model: start from the D = 0 network and add latent structure. -------------
    // Loadings per neuron: m in R^2 (mV), n in R^2, w in R^1 (mV), jointly Gaussian with
    // zero means. Index convention (docs/theory.md 1): sigma_nm[d][e] = Cov(n_d, m_e).
    let (var_m, var_n) = (20.0_f64.powi(2), 1.5_f64.powi(2)); // sigma_m = 20 mV, sigma_n = 1.5
    let (nm1, nm2) = (23.3, 8.0); // overlaps (mV): direction 1 bistable, direction 2 not
    let mut l = Loadings::zeros(2, 1);
    l.sigma_mm = vec![vec![var_m, 0.0], vec![0.0, var_m]];
    l.sigma_nn = vec![vec![var_n, 0.0], vec![0.0, var_n]];
    l.sigma_nm = vec![vec![nm1, 0.0], vec![0.0, nm2]];
    // the input loads onto direction 1 only: w = 0.09 m_1 (as in the default model)
    l.sigma_mw = vec![vec![0.09 * var_m], vec![0.0]];
    l.sigma_nw = vec![vec![0.09 * nm1], vec![0.0]];
    l.sigma_ww = vec![vec![0.0081 * var_m]];
    let mut model = Model {
        name: "embed: default E-I, rank two".into(),
        latent: Some(Latent {
            d: 2,
            d_in: 1,
            tau_s: 0.1,                   // slow synapse (s)
            loadings: vec![l.clone(), l], // the same statistics on E and I
            // s(t): a step from 0 to -1 at t = 0.3 s
            signal: Signal {
                components: vec![vec![SignalTerm::Step {
                    t0: 0.3,
                    amplitude: -1.0,
                }]],
            },
        }),
        ..presets::default_d0()
    };
    model.k = 1000.0; // every parameter is a plain field; change what you like, then validate
    // Errors are values naming the field at fault, e.g. "invalid model: j[0][1] = 5: ...".
    model.validate()?;

    // --- 2. Stationary state at kappa = 0, s = 0 (docs/theory.md 2.4), both modes. ---------------
    let (k0, s0) = ([0.0, 0.0], [0.0]);
    let finite = stationary::solve(&model, Limit::Finite, &k0, &s0, None)?;
    let balanced = stationary::solve(&model, Limit::Balanced, &k0, &s0, None)?;
    for st in [&finite, &balanced] {
        for p in &st.populations {
            println!(
                "{:>8} {}: nu = {:7.3} Hz, mu = {:7.3} mV, sigma = {:6.3} mV, <V> = {:7.3} mV",
                st.limit.to_string(),
                p.name,
                p.rate_hz,
                p.mu_mv,
                p.sigma_mv,
                p.mean_v_mv
            );
        }
    }

    // --- 3. Latent fixed points and their stability (docs/theory.md 2.4-2.5). -------------------
    // D >= 2: multi-start Newton from `starts` points in the box |kappa_d| <= kappa_max (Hz).
    let search = SearchBox {
        kappa_max: 60.0,
        grid: 0,
        starts: 12,
    };
    let sol = fixed_points(&model, Limit::Finite, &s0, &search)?;
    for fp in &sol.fixed_points {
        let ev: Vec<String> = fp
            .eigenvalues
            .iter()
            .map(|e| format!("{:.2}", e[0]))
            .collect();
        println!(
            "fixed point kappa = ({:7.3}, {:7.3}) Hz: {:8}  eigenvalues (1/s): {}",
            fp.kappa[0],
            fp.kappa[1],
            if fp.stable { "stable" } else { "unstable" },
            ev.join(", ")
        );
    }
    let up = sol.stable_upper().ok_or("no stable fixed point found")?;

    // --- 4. Latent dynamics: tau_s dkappa/dt = -kappa + F(kappa, s(t)) (docs/theory.md 2.5). ------
    // Start near the upper state; the input step at 0.3 s pushes kappa_1 down.
    let traj = integrate(
        &model,
        Limit::Finite,
        &[up.kappa[0], 2.0],
        1.0,
        0.1,
        &DynamicsOptions::default(),
    )?;
    println!("latent trajectory ({} fast solves):", traj.evaluations);
    for (i, t) in traj.t.iter().enumerate() {
        println!(
            "  t = {t:4.2} s  s = {:5.2}  kappa = ({:7.3}, {:6.3}) Hz  nu_E = {:6.3} Hz  <V>_E = {:6.3} mV",
            traj.s[i][0],
            traj.kappa[i][0],
            traj.kappa[i][1],
            traj.populations[0].rate_hz[i],
            traj.populations[0].mean_v_mv[i]
        );
    }

    // --- 5. Rate distribution of E (docs/theory.md 2.6.2) at kappa = 0 and at the upper state. -----
    for (label, st) in [("kappa = 0", &finite), ("upper state", &up.state)] {
        let dist = rate_distribution(
            &model,
            st,
            0,
            &RateGrid::Auto { points: 400 },
            DEFAULT_SILENT_THRESHOLD_HZ,
        )?;
        // the median from the exact CDF on the grid
        let median = dist
            .cdf
            .iter()
            .position(|&c| c >= 0.5)
            .map_or(f64::NAN, |i| dist.nu_hz[i]);
        println!(
            "E rates at {label}: mean {:.3} Hz, median {median:.3} Hz, silent (< {} Hz) {:.1}%",
            st.populations[0].rate_hz,
            dist.silent_threshold_hz,
            100.0 * dist.mass_at_zero
        );
    }

    // --- 6. Two states (docs/theory.md 2.6.4): how similar is each neuron's rate in both? -------
    let two = two_state(
        &model,
        &FastMode::network(Limit::Finite),
        &finite,
        &up.state,
    )?;
    for p in &two.populations {
        println!(
            "{}: signal correlation of rates (kappa = 0 vs upper state) = {}",
            p.name,
            p.rate_corr
                .map_or("undefined".into(), |r| format!("{r:.3}"))
        );
    }

    // --- 7. The Model is data: write it as TOML (read back with Model::from_toml). ---------
    let text = model.to_toml();
    assert_eq!(Model::from_toml(&text)?, model);
    println!("\n# the Model as TOML\n{text}");
    Ok(())
}
