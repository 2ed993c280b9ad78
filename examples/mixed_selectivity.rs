//! Mixed-selectivity measures (docs/theory.md section 11) applied to three networks held in
//! the same 2 x 4 grid of latent states `kappa = (kappa_1, kappa_2)`:
//!
//! 1. the balanced E-I network (finite K, docs/theory.md 2.6.4 tuning theory), default
//!    loadings on two latent directions (`sigma_m = 20` mV, `sigma_n = 1.5`,
//!    `Sigma^{nm} = 11.65` mV each, no input);
//! 2. the same neurons in the "standard low-rank" mode of 2.6.4 (`mu`, `beta`, `sigma`
//!    frozen at `kappa = 0`: `Phi(const + tau_m m . kappa)`);
//! 3. the low-rank rate network of Mastrogiuseppe & Ostojic 2018 (docs/theory.md 10,
//!    tanh, `g = 0.5`, rank two, unit-variance loadings with the balanced model's
//!    `corr(n, m) = 0.388`, a quenched input bias of unit variance), its latent grid scaled
//!    so that the ratio of latent to quenched input spread matches network 1 at `kappa = 0`;
//!    responses mapped to rates `nu_E(0) (1 + phi)` (docs/theory.md 10.7).
//!
//! Trials: Poisson counts in a 1 s window, 20 per condition. Conditions
//! `c = 4 a + b`: `kappa_1 = -K, +K` (variable A), `kappa_2 = -K, -K/3, K/3, K` (variable B),
//! `K = 15` Hz. Prints a side-by-side table and writes `OUT_DIR/mixed_selectivity.json`.
//!
//! `cargo run --release --example mixed_selectivity -- [OUT_DIR]`

use std::time::Instant;

use balnet::analysis::geometry::{
    DecodeOptions, ccgp, cover_dimension, participation_ratio_of_means, shattering_dimensionality,
};
use balnet::analysis::selectivity::{tuning_shape, two_way_anova};
use balnet::analysis::{Factorial, Responses};
use balnet::model::{Latent, Loadings, Model, Signal};
use balnet::presets;
use balnet::ratenet::theory::state_at_kappa;
use balnet::ratenet::tuning::tuning;
use balnet::ratenet::{RateNetSpec, RateNetwork, RateTransfer};
use balnet::theory::Limit;
use balnet::theory::predictions::{FastMode, TuningOptions, tuning_curves};
use rand::{RngExt, SeedableRng};
use rand_distr::Poisson;
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::Serialize;

const K_HZ: f64 = 15.0;
const NEURONS: usize = 300;
const TRIALS: usize = 20;
const WINDOW_S: f64 = 1.0;
const ALPHA: f64 = 0.05;

#[derive(Serialize)]
struct Row {
    network: String,
    mean_rate_hz: f64,
    interaction_fraction: f64,
    linear_mixed_fraction: f64,
    pure_fraction: f64,
    tuned_b_fraction: f64,
    nonmonotonic_b_of_tuned: f64,
    asymmetric_b_of_tuned: f64,
    participation_ratio: f64,
    shattering: f64,
    cover_dimension: usize,
    implementable: usize,
    ccgp_a: f64,
    ccgp_b_sign: f64,
    /// Balanced dichotomies with CCGP >= 0.9 (abstract variables, Bernardi et al. 2020);
    /// the mean CCGP over all balanced dichotomies is 1/2 identically (docs/theory.md 11.3).
    abstract_dichotomies: usize,
}

fn grid() -> Vec<Vec<f64>> {
    let b = [-K_HZ, -K_HZ / 3.0, K_HZ / 3.0, K_HZ];
    [-K_HZ, K_HZ]
        .iter()
        .flat_map(|&a| b.iter().map(move |&v| vec![a, v]))
        .collect()
}

/// Poisson trials `count / window` around the rates `means[neuron][condition]` (Hz).
fn trials(means: &[Vec<f64>], seed: u64) -> Result<Responses, Box<dyn std::error::Error>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let data = means
        .iter()
        .map(|m| {
            m.iter()
                .map(|&r| {
                    let lam = (r * WINDOW_S).max(1e-12);
                    let d = Poisson::new(lam).map_err(|e| format!("Poisson({lam}): {e}"))?;
                    Ok((0..TRIALS)
                        .map(|_| rng.sample::<f64, _>(d) / WINDOW_S)
                        .collect())
                })
                .collect::<Result<Vec<Vec<f64>>, String>>()
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Responses::new(data)?)
}

fn measure(name: &str, means: &[Vec<f64>], seed: u64) -> Result<Row, Box<dyn std::error::Error>> {
    let resp = trials(means, seed)?;
    let design = Factorial::new(2, 4)?;
    let anova = two_way_anova(&resp, &design, ALPHA)?;
    // tuning over kappa_2 at each kappa_1 level, pooled
    let (mut tuned, mut nonmono, mut asym, mut n_tuned) = (0.0, 0.0, 0.0, 0.0f64);
    for a in 0..2 {
        let order: Vec<usize> = (0..4).map(|b| design.condition(a, b)).collect();
        let sh = tuning_shape(&resp, &order, ALPHA)?;
        for nrn in &sh.neurons {
            if nrn.tuned {
                n_tuned += 1.0;
                nonmono += f64::from(u8::from(nrn.nonmonotonic));
                asym += f64::from(u8::from(nrn.asymmetric));
            }
        }
        tuned += sh.fraction_tuned / 2.0;
    }
    let opts = DecodeOptions::default();
    let shat = shattering_dimensionality(&resp, &opts)?;
    let cover = cover_dimension(&resp, &opts)?;
    let cc = ccgp(&resp, &opts)?;
    let find = |pos: &[usize]| {
        cc.dichotomies
            .iter()
            .find(|d| d.positive == pos)
            .map(|d| d.accuracy)
            .unwrap_or(f64::NAN)
    };
    let mean_rate = means.iter().flatten().sum::<f64>() / (means.len() * 8) as f64;
    Ok(Row {
        network: name.into(),
        mean_rate_hz: mean_rate,
        interaction_fraction: anova.fraction_interaction,
        linear_mixed_fraction: anova.fraction_linear_mixed,
        pure_fraction: anova.fraction_pure,
        tuned_b_fraction: tuned,
        nonmonotonic_b_of_tuned: nonmono / n_tuned.max(1.0),
        asymmetric_b_of_tuned: asym / n_tuned.max(1.0),
        participation_ratio: participation_ratio_of_means(means)?.ratio,
        shattering: shat.mean_accuracy,
        cover_dimension: cover.dimension,
        implementable: cover.implementable,
        // A: kappa_1 > 0 = conditions 4..8; sign of kappa_2: b in {2, 3}
        ccgp_a: find(&[4, 5, 6, 7]),
        ccgp_b_sign: find(&[2, 3, 6, 7]),
        abstract_dichotomies: cc.dichotomies.iter().filter(|d| d.accuracy >= 0.9).count(),
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::path::PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "out".into()));
    std::fs::create_dir_all(&out)?;
    let t0 = Instant::now();

    // --- the balanced model with two latent directions (docs/theory.md 1, 5) ---
    let (var_m, var_n, nm) = (20.0f64.powi(2), 1.5f64.powi(2), presets::DEFAULT_SIGMA_NM);
    let mut l = Loadings::zeros(2, 0);
    l.sigma_mm = vec![vec![var_m, 0.0], vec![0.0, var_m]];
    l.sigma_nn = vec![vec![var_n, 0.0], vec![0.0, var_n]];
    l.sigma_nm = vec![vec![nm, 0.0], vec![0.0, nm]];
    let model = Model {
        name: "default E-I, rank two, no input".into(),
        latent: Some(Latent {
            d: 2,
            d_in: 0,
            tau_s: 0.1,
            loadings: vec![l.clone(), l],
            signal: Signal { components: vec![] },
        }),
        ..presets::default_d0()
    };
    model.validate()?;
    let path = grid();
    let s: [f64; 0] = [];
    let opts = TuningOptions {
        neurons: NEURONS,
        seed: 1,
        tol_hz: 0.1,
    };
    let net = FastMode::network(Limit::Finite);
    let balanced = tuning_curves(&model, &net, &path, &s, &opts)?;
    let reference = net.solve(&model, &[0.0, 0.0], &s, None)?;
    let frozen = tuning_curves(
        &model,
        &FastMode::unbalanced_at(&reference, true),
        &path,
        &s,
        &opts,
    )?;
    let e = &reference.populations[0];

    // --- the matched rate network (docs/theory.md 10) ---
    let corr_nm = nm / (var_m.sqrt() * var_n.sqrt());
    let rate_net = RateNetwork::new(RateNetSpec {
        rank: 2,
        inputs: 1,
        g: 0.5,
        tau: 0.02,
        transfer: RateTransfer::Tanh,
        mean: vec![0.0; 5],
        cov: vec![
            vec![1.0, 0.0, corr_nm, 0.0, 0.0],
            vec![0.0, 1.0, 0.0, corr_nm, 0.0],
            vec![corr_nm, 0.0, 1.0, 0.0, 0.0],
            vec![0.0, corr_nm, 0.0, 1.0, 0.0],
            vec![0.0, 0.0, 0.0, 0.0, 1.0],
        ],
    })?;
    // latent spread / quenched spread at kappa = 0, balanced: tau_m sigma_m K / sqrt(beta_E)
    let tau_m = model.populations[0].tau_m;
    let ratio = tau_m * var_m.sqrt() * K_HZ / e.quenched_var_mv2.sqrt();
    let q0 = state_at_kappa(&rate_net, &[0.0, 0.0], &[1.0])?.delta0;
    let scale = ratio * q0.sqrt() / K_HZ;
    let rate_path: Vec<Vec<f64>> = path
        .iter()
        .map(|k| k.iter().map(|v| v * scale).collect())
        .collect();
    let rate = tuning(
        &rate_net,
        &rate_path,
        &vec![vec![1.0]; path.len()],
        NEURONS,
        1,
    )?;
    let rate_means: Vec<Vec<f64>> = rate
        .responses
        .iter()
        .map(|r| r.iter().map(|p| e.rate_hz * (1.0 + p)).collect())
        .collect();
    let wall_theory = t0.elapsed().as_secs_f64();

    let rows = vec![
        measure("balanced (finite K)", &balanced.populations[0].curves, 11)?,
        measure(
            "standard low-rank (frozen)",
            &frozen.populations[0].curves,
            11,
        )?,
        measure("M&O rate network (tanh)", &rate_means, 11)?,
    ];
    let wall = t0.elapsed().as_secs_f64();

    println!(
        "mixed selectivity: 2 x 4 latent grid, K = {K_HZ} Hz, {NEURONS} E neurons, {TRIALS} Poisson trials of {WINDOW_S} s, alpha = {ALPHA}"
    );
    println!(
        "balanced E at kappa = 0: nu = {:.2} Hz, beta = {:.1} mV^2; latent/quenched spread {ratio:.3}; rate network: Delta0(0) = {q0:.3}, kappa scale {scale:.4} per Hz ({wall_theory:.1} s theory, {wall:.1} s total)",
        e.rate_hz, e.quenched_var_mv2
    );
    let w = 28;
    print!("{:<w$}", "measure");
    for r in &rows {
        print!("{:>28}", r.network);
    }
    println!();
    let line = |name: &str, f: &dyn Fn(&Row) -> String| {
        print!("{name:<w$}");
        for r in &rows {
            print!("{:>28}", f(r));
        }
        println!();
    };
    line("mean rate (Hz)", &|r| format!("{:.2}", r.mean_rate_hz));
    line("ANOVA: interaction (NMS)", &|r| {
        format!("{:.3}", r.interaction_fraction)
    });
    line("ANOVA: linear mixed", &|r| {
        format!("{:.3}", r.linear_mixed_fraction)
    });
    line("ANOVA: pure", &|r| format!("{:.3}", r.pure_fraction));
    line("kappa_2 tuning: tuned", &|r| {
        format!("{:.3}", r.tuned_b_fraction)
    });
    line("  non-monotonic (of tuned)", &|r| {
        format!("{:.3}", r.nonmonotonic_b_of_tuned)
    });
    line("  asymmetric (of tuned)", &|r| {
        format!("{:.3}", r.asymmetric_b_of_tuned)
    });
    line("participation ratio", &|r| {
        format!("{:.3}", r.participation_ratio)
    });
    line("shattering (35 dichot.)", &|r| {
        format!("{:.3}", r.shattering)
    });
    line("Cover dimension", &|r| {
        format!("{} ({} of 127)", r.cover_dimension, r.implementable)
    });
    line("CCGP kappa_1", &|r| format!("{:.3}", r.ccgp_a));
    line("CCGP sign kappa_2", &|r| format!("{:.3}", r.ccgp_b_sign));
    line("CCGP >= 0.9 (of 35)", &|r| {
        format!("{}", r.abstract_dichotomies)
    });

    let path_json = out.join("mixed_selectivity.json");
    std::fs::write(
        &path_json,
        serde_json::to_string_pretty(&serde_json::json!({
            "grid_hz": path,
            "k_hz": K_HZ,
            "neurons": NEURONS,
            "trials": TRIALS,
            "window_s": WINDOW_S,
            "alpha": ALPHA,
            "rate_network_kappa_scale_per_hz": scale,
            "rows": rows,
        }))?,
    )?;
    println!("wrote {}", path_json.display());
    Ok(())
}
