//! The low-rank rate network baseline (docs/theory.md section 10) against the stationary
//! solutions of Mastrogiuseppe & Ostojic (2018, Neuron 99:609) recomputed with mpmath
//! (`tests/data/ratenet_mo2018.json`, written by `tools/reference/ratenet_mo2018.py`), the
//! published instability point `g_C = 1.796` of their Fig. 1C, and the network's own
//! simulation at large N.

use balnet::ratenet::sim::{RateSimOptions, simulate};
use balnet::ratenet::theory::{
    RateSearch, RateState, fixed_points, latent_dynamics, state_at_kappa, stationary,
};
use balnet::ratenet::{RateNetSpec, RateNetwork, RateTransfer};
use serde_json::Value;

fn load(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).expect("valid JSON")
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs().max(1e-12)
}

/// Case A: M&O 2018 Fig. 1C, overlap along the unitary direction.
fn case_a(g: f64) -> RateNetwork {
    RateNetwork::rank_one(g, 0.01, RateTransfer::Tanh, (1.1, 1.0), (2.0, 1.0), 0.0).unwrap()
}

fn max_re(st: &RateState) -> f64 {
    st.outliers
        .iter()
        .fold(f64::NEG_INFINITY, |m, e| m.max(e[0]))
}

#[test]
fn fig1c_stationary_solutions_match_mpmath() {
    let doc = load("ratenet_mo2018.json");
    for p in doc["case_a"]["points"].as_array().unwrap() {
        let g = p["g"].as_f64().unwrap();
        let net = case_a(g);
        let fps = fixed_points(&net, &[], &RateSearch::default()).unwrap();
        let kappa = p["kappa"].as_f64().unwrap();
        let st = fps
            .states
            .iter()
            .find(|s| (s.kappa[0] - kappa).abs() < 1e-3)
            .unwrap_or_else(|| panic!("g = {g}: no solution near kappa = {kappa}: {fps:?}"));
        let delta0 = p["delta0"].as_f64().unwrap();
        println!(
            "g = {g} {}: kappa {} (ref {kappa}), Delta0 {} (ref {delta0}), radius {}, outliers {:?}",
            p["branch"], st.kappa[0], st.delta0, st.radius, st.outliers
        );
        if p["branch"] == "positive" {
            // the solution and its mirror image (tanh is odd): three solutions for g < g_C
            assert_eq!(fps.states.len(), 3, "g = {g}: {fps:?}");
            assert!(rel(st.kappa[0], kappa) < 1e-9);
            assert!(rel(st.mu, p["mu"].as_f64().unwrap()) < 1e-9);
            assert!(rel(st.delta0, delta0) < 1e-9);
            assert!(rel(st.radius, p["radius"].as_f64().unwrap()) < 1e-9);
            // the largest eigenvalue of the paper's 3x3 stability matrix
            assert!((max_re(st) - p["outlier"].as_f64().unwrap()).abs() < 1e-8);
            // and every non-zero eigenvalue of it (the paper's matrix has an extra 0)
            for e in p["stability_eigenvalues"].as_array().unwrap() {
                let (re, im) = (e[0].as_f64().unwrap(), e[1].as_f64().unwrap());
                if re.abs() + im.abs() < 1e-12 {
                    continue;
                }
                assert!(
                    st.outliers
                        .iter()
                        .any(|o| (o[0] - re).abs() < 1e-8 && (o[1] - im).abs() < 1e-8),
                    "g = {g}: eigenvalue {re} + {im}i missing from {:?}",
                    st.outliers
                );
            }
            assert!(st.stable && !st.chaotic);
            let mirror = fps.states.iter().find(|s| s.kappa[0] < -0.1).unwrap();
            assert!(rel(mirror.kappa[0], -kappa) < 1e-9 && mirror.stable);
        } else {
            assert!(st.kappa[0].abs() < 1e-9);
            assert!((st.delta0 - delta0).abs() < 1e-9 * (1.0 + delta0));
            assert!(rel(st.radius, p["radius"].as_f64().unwrap()) < 1e-8);
            assert!(!st.stable);
            let outlier = p["outlier_trivial"].as_f64().unwrap();
            assert!((max_re(st) - outlier).abs() < 1e-8, "{:?}", st.outliers);
            assert_eq!(st.chaotic, g > 1.0);
        }
    }
}

#[test]
fn fig1c_instability_to_chaos_at_published_g_c() {
    // Mastrogiuseppe & Ostojic 2018, Fig. 1C (supplementary code): the non-trivial
    // stationary branch becomes chaotic where its bulk radius g sqrt(<phi'^2>) reaches 1,
    // g_C = 1.796 for M_m = 1.1, M_n = 2, Sigma_m = 1.
    let doc = load("ratenet_mo2018.json");
    let g_ref = doc["case_a"]["g_c"].as_f64().unwrap();
    let published = doc["meta"]["published_g_c"].as_f64().unwrap();
    let radius = |g: f64| stationary(&case_a(g), &[], &[1.0]).unwrap().radius - 1.0;
    let (mut lo, mut hi) = (1.7, 1.9);
    assert!(radius(lo) < 0.0 && radius(hi) > 0.0);
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        if radius(mid) < 0.0 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let g_c = 0.5 * (lo + hi);
    println!("g_C = {g_c} (mpmath {g_ref}, published {published})");
    assert!((g_c - g_ref).abs() < 1e-8);
    assert!((g_c - published).abs() < 5e-4); // the published value has 4 digits
}

#[test]
fn fig2d_input_driven_bistability_matches_mpmath() {
    // M&O 2018 Fig. 2D: M_m = 3.5, M_n = 1, unit variances, g = 0.8, input with
    // Cov(n, I) = S_nI and an orthogonal part of variance 1.
    let doc = load("ratenet_mo2018.json");
    let pts = doc["case_b"]["points"].as_array().unwrap();
    for s_ni in [0.2, 1.5] {
        let var_i = s_ni * s_ni + 1.0;
        let net = RateNetwork::new(RateNetSpec {
            rank: 1,
            inputs: 1,
            g: 0.8,
            tau: 0.01,
            transfer: RateTransfer::Tanh,
            mean: vec![3.5, 1.0, 0.0],
            cov: vec![
                vec![1.0, 0.0, 0.0],
                vec![0.0, 1.0, s_ni],
                vec![0.0, s_ni, var_i],
            ],
        })
        .unwrap();
        let fps = fixed_points(&net, &[1.0], &RateSearch::default()).unwrap();
        let refs: Vec<&Value> = pts
            .iter()
            .filter(|p| p["s_ni"].as_f64().unwrap() == s_ni)
            .collect();
        assert_eq!(fps.states.len(), refs.len(), "S_nI = {s_ni}: {fps:?}");
        for (st, p) in fps.states.iter().zip(&refs) {
            println!(
                "S_nI = {s_ni}: kappa {} (ref {}), Delta0 {}, stable {}",
                st.kappa[0], p["kappa"], st.delta0, st.stable
            );
            assert!(rel(st.kappa[0], p["kappa"].as_f64().unwrap()) < 1e-9);
            assert!(rel(st.delta0, p["delta0"].as_f64().unwrap()) < 1e-9);
        }
        // outer solutions stable, the central one a saddle (dashed in the paper's figure)
        let stable: Vec<bool> = fps.states.iter().map(|s| s.stable).collect();
        if refs.len() == 3 {
            assert_eq!(stable, vec![true, false, true]);
        } else {
            assert_eq!(stable, vec![true]);
        }
    }
}

#[test]
fn correlated_overlap_and_rank_two_match_mpmath() {
    let doc = load("ratenet_mo2018.json");
    // case C: rank one, zero means, Var m = Var n = 4, Cov(m, n) = 1.6, g = 0.5
    let net =
        RateNetwork::rank_one(0.5, 0.01, RateTransfer::Tanh, (0.0, 2.0), (0.0, 2.0), 1.6).unwrap();
    let fps = fixed_points(&net, &[], &RateSearch::default()).unwrap();
    let p = &doc["case_c"]["points"][0];
    let k = p["kappa"].as_f64().unwrap();
    assert_eq!(fps.states.len(), 3, "{fps:?}");
    assert!(rel(fps.states[2].kappa[0], k) < 1e-9);
    assert!(rel(fps.states[0].kappa[0], -k) < 1e-9);
    assert!(rel(fps.states[2].delta0, p["delta0"].as_f64().unwrap()) < 1e-9);
    assert!(fps.states[2].stable && !fps.states[1].stable);

    // case D: rank two, pair 1 overlapping through the means, pair 2 through the
    // covariance; coupled through mu and Delta0
    let mut cov = vec![vec![0.0; 4]; 4];
    cov[0][0] = 1.0; // m1
    cov[1][1] = 4.0; // m2
    cov[2][2] = 1.0; // n1
    cov[3][3] = 4.0; // n2
    cov[1][3] = 2.2;
    cov[3][1] = 2.2;
    let net = RateNetwork::new(RateNetSpec {
        rank: 2,
        inputs: 0,
        g: 0.6,
        tau: 0.01,
        transfer: RateTransfer::Tanh,
        mean: vec![1.0, 0.0, 1.5, 0.0],
        cov,
    })
    .unwrap();
    let fps = fixed_points(&net, &[], &RateSearch::default()).unwrap();
    let refs = doc["case_d"]["points"].as_array().unwrap();
    for st in &fps.states {
        println!(
            "rank two: kappa {:?}, Delta0 {}, stable {}, outliers {:?}",
            st.kappa, st.delta0, st.stable, st.outliers
        );
    }
    assert_eq!(fps.states.len(), refs.len(), "{fps:?}");
    for p in refs {
        let k: Vec<f64> = p["kappa"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let st = fps
            .states
            .iter()
            .find(|s| (s.kappa[0] - k[0]).abs() + (s.kappa[1] - k[1]).abs() < 1e-6)
            .unwrap_or_else(|| panic!("rank two: no solution at {k:?}"));
        assert!((st.kappa[0] - k[0]).abs() < 1e-9 && (st.kappa[1] - k[1]).abs() < 1e-9);
        let d = p["delta0"].as_f64().unwrap();
        assert!((st.delta0 - d).abs() < 1e-9 * (1.0 + d));
    }
}

/// Bound on the relative error of one simulated quantity (`kappa`, `mu`, `delta0`,
/// `var_random`) against the theory with the drawn loading moments: 4 rms of the
/// independent NumPy simulation of the same network (`tools/reference/ratenet_sim_numpy.py`,
/// `tests/data/ratenet_sim_numpy.json`; docs/theory.md 10.6), plus the mean error where it
/// differs from 0 by more than 3 standard errors (a bias). Returns the bound, the rms, the
/// mean bias (0 if not significant) and the number of seeds.
fn sim_bound(doc: &Value, q: &str) -> (f64, f64, f64, f64) {
    let e = &doc["rel_err"][q];
    let get = |k: &str| {
        e[k].as_f64()
            .unwrap_or_else(|| panic!("ratenet_sim_numpy.json: rel_err.{q}.{k}"))
    };
    let (rms, mean, se) = (get("rms"), get("mean"), get("standard_error"));
    let bias = if mean.abs() > 3.0 * se {
        mean.abs()
    } else {
        0.0
    };
    let seeds = doc["params"]["seeds"].as_array().unwrap().len() as f64;
    (4.0 * rms + bias, rms, bias, seeds)
}

#[test]
fn theory_matches_simulation_at_large_n() {
    // Fig. 1C parameters at g = 0.8 (stationary regime: radius 0.40), N = 2000, three
    // seeds: both stable branches are reached from +-m starts, and the simulated kappa,
    // mean and variance of x agree with the theory evaluated with the loading moments
    // drawn. What remains is the finite-N fluctuation of the random part (its sample
    // mean and covariances with m and n are O(g/sqrt N)). Its size is measured by an
    // independent NumPy simulation of the same network over many seeds
    // (tools/reference/ratenet_sim_numpy.py, docs/theory.md 10.6); the bounds are 4 rms of
    // its relative errors (sim_bound).
    let doc = load("ratenet_sim_numpy.json");
    let p = &doc["params"];
    let param = |k: &str| p[k].as_f64().unwrap();
    let net = case_a(0.8);
    let mut opts = RateSimOptions::for_network(&net, 2000);
    opts.t_end = 25.0 * net.tau();
    // the reference simulated this network, this way
    assert_eq!(p["n"].as_u64(), Some(opts.n as u64));
    assert_eq!(param("g"), net.g());
    let spec = net.spec();
    assert_eq!(
        [param("m_mean"), param("n_mean")],
        [spec.mean[0], spec.mean[1]]
    );
    assert_eq!(
        [
            param("m_sd").powi(2),
            param("n_sd").powi(2),
            param("cov_mn")
        ],
        [spec.cov[0][0], spec.cov[1][1], spec.cov[0][1]]
    );
    assert!((param("dt_over_tau") - opts.dt / net.tau()).abs() < 1e-12);
    assert!((param("t_end_over_tau") - opts.t_end / net.tau()).abs() < 1e-9);
    assert_eq!(param("x0_sd"), opts.x0_sd);
    let (b_kappa, rms_kappa, bias_kappa, seeds) = sim_bound(&doc, "kappa");
    let (b_mu, ..) = sim_bound(&doc, "mu");
    let (b_delta0, ..) = sim_bound(&doc, "delta0");
    let (b_random, ..) = sim_bound(&doc, "var_random");
    println!(
        "bounds from {seeds} NumPy seeds: kappa {b_kappa:.4}, mu {b_mu:.4}, Delta0 {b_delta0:.4}, random-input variance {b_random:.4}"
    );
    let mut errs = Vec::new();
    for (seed, start) in [(7, 1.0), (8, -1.0), (9, 1.0)] {
        opts.kappa0 = vec![start];
        opts.seed = seed;
        let res = simulate(&net, &opts, |_| vec![]).unwrap();
        let drawn = net
            .with_moments(res.loading_mean.clone(), res.loading_cov.clone())
            .unwrap();
        let th = stationary(&drawn, &[], &[start]).unwrap();
        let last = res.t.len() - 1;
        let (k, mx, vx) = (res.kappa[last][0], res.mean_x[last], res.var_x[last]);
        let before = res.kappa[last - 5][0];
        println!(
            "seed {seed}, start {start}: sim kappa {k:.5} mu {mx:.5} Delta0 {vx:.5} (moved {:.1e} in 5 tau); theory (drawn moments) {:.5} {:.5} {:.5}; rel. errors {:+.4} {:+.4} {:+.4}",
            (k - before).abs(),
            th.kappa[0],
            th.mu,
            th.delta0,
            k / th.kappa[0] - 1.0,
            mx / th.mu - 1.0,
            vx / th.delta0 - 1.0,
        );
        // settled, on the branch it started on
        assert!((k - before).abs() < 1e-5);
        assert!(k.signum() == start);
        assert!(rel(k, th.kappa[0]) < b_kappa);
        assert!(rel(mx, th.mu) < b_mu);
        assert!(rel(vx, th.delta0) < b_delta0);
        errs.push(k / th.kappa[0] - 1.0);
        // the random recurrent input z = x - m kappa (no input here) has the variance
        // g^2 <phi^2> of the dynamic mean-field theory (0.41 for the population moments,
        // a quarter of Delta0)
        let (mut sz, mut szz, mut sp2) = (0.0, 0.0, 0.0);
        for (i, l) in res.loadings.iter().enumerate() {
            let z = res.x_final[i] - l[0] * k;
            sz += z;
            szz += z * z;
            sp2 += res.x_final[i].tanh().powi(2);
        }
        let nn = res.n as f64;
        let var_z = szz / nn - (sz / nn).powi(2);
        println!(
            "  random input variance: sim {var_z:.5}, g^2 <phi^2> of the sim {:.5}, theory {:.5} (rel. error {:+.4})",
            0.64 * sp2 / nn,
            th.delta_random,
            var_z / th.delta_random - 1.0
        );
        assert!(rel(var_z, th.delta_random) < b_random);
    }
    // no bias: the mean of the three kappa errors is within 4 standard errors
    // (rms / sqrt 3 of the NumPy runs), plus the NumPy runs' bias if significant
    let mean = errs.iter().sum::<f64>() / errs.len() as f64;
    let b_mean = 4.0 * rms_kappa / (errs.len() as f64).sqrt() + bias_kappa;
    println!("relative kappa errors {errs:?}, mean {mean:.4} (bound {b_mean:.4})");
    assert!(mean.abs() < b_mean);
}

#[test]
fn latent_dynamics_match_simulation_without_random_part() {
    // g = 0: x stays in the span of m and w, and tau dkappa/dt = -kappa + G(kappa, v),
    // tau dv/dt = -v + s(t) is exact for N -> inf (docs/theory.md 10.3). Fig. 2D loadings,
    // input switched from -0.5 to 1.5 at 10 tau: the network jumps to the other branch.
    let tau = 0.01;
    let net = RateNetwork::new(RateNetSpec {
        rank: 1,
        inputs: 1,
        g: 0.0,
        tau,
        transfer: RateTransfer::Tanh,
        mean: vec![3.5, 1.0, 0.0],
        cov: vec![
            vec![1.0, 0.0, 0.0],
            vec![0.0, 1.0, 1.0],
            vec![0.0, 1.0, 2.0],
        ],
    })
    .unwrap();
    let s = |t: f64| vec![if t < 10.0 * tau { -0.5 } else { 1.5 }];
    let traj = latent_dynamics(&net, &[-0.8], s, 30.0 * tau, tau).unwrap();
    let mut opts = RateSimOptions::for_network(&net, 5000);
    opts.t_end = 30.0 * tau;
    opts.dt = tau / 100.0;
    opts.kappa0 = vec![-0.8];
    opts.x0_sd = 0.0;
    opts.seed = 3;
    let res = simulate(&net, &opts, s).unwrap();
    let drawn = net
        .with_moments(res.loading_mean.clone(), res.loading_cov.clone())
        .unwrap();
    let traj_drawn = latent_dynamics(&drawn, &[-0.8], s, 30.0 * tau, tau).unwrap();
    let mut worst: f64 = 0.0;
    for (i, t) in traj.t.iter().enumerate() {
        let j = res
            .t
            .iter()
            .position(|u| (u - t).abs() < 1e-9)
            .expect("common sample time");
        let d = (traj_drawn.kappa[i][0] - res.kappa[j][0]).abs();
        worst = worst.max(d);
        if i % 5 == 0 {
            println!(
                "t = {:.0} tau: theory {:.4} (drawn {:.4}), sim {:.4}",
                t / tau,
                traj.kappa[i][0],
                traj_drawn.kappa[i][0],
                res.kappa[j][0]
            );
        }
    }
    println!("largest |kappa_theory - kappa_sim| = {worst:.2e}");
    // the switch: negative branch before, positive after
    assert!(traj.kappa[10][0] < -0.5 && traj.kappa[30][0] > 0.5);
    assert!(worst < 0.03);
}

#[test]
fn bad_specs_are_rejected_with_the_field_named() {
    let base = RateNetSpec {
        rank: 1,
        inputs: 0,
        g: 0.5,
        tau: 0.01,
        transfer: RateTransfer::Tanh,
        mean: vec![0.0, 0.0],
        cov: vec![vec![1.0, 0.0], vec![0.0, 1.0]],
    };
    let err = |s: RateNetSpec| RateNetwork::new(s).unwrap_err().to_string();
    assert!(
        err(RateNetSpec {
            g: -1.0,
            ..base.clone()
        })
        .contains("g")
    );
    assert!(
        err(RateNetSpec {
            tau: 0.0,
            ..base.clone()
        })
        .contains("tau")
    );
    assert!(
        err(RateNetSpec {
            rank: 0,
            ..base.clone()
        })
        .contains("rank")
    );
    assert!(
        err(RateNetSpec {
            mean: vec![0.0],
            ..base.clone()
        })
        .contains("mean")
    );
    // |Cov(m, n)| > sd_m sd_n: not a covariance
    let bad = RateNetSpec {
        cov: vec![vec![1.0, 2.0], vec![2.0, 1.0]],
        ..base.clone()
    };
    assert!(err(bad).contains("positive semi-definite"));
    let asym = RateNetSpec {
        cov: vec![vec![1.0, 0.5], vec![0.4, 1.0]],
        ..base.clone()
    };
    assert!(err(asym).contains("symmetric"));
    let net = RateNetwork::new(base).unwrap();
    assert!(state_at_kappa(&net, &[0.0, 1.0], &[]).is_err());
    assert!(state_at_kappa(&net, &[0.0], &[1.0]).is_err());
    assert!(state_at_kappa(&net, &[f64::NAN], &[]).is_err());
    let mut opts = RateSimOptions::for_network(&net, 100);
    opts.dt = net.tau();
    assert!(
        simulate(&net, &opts, |_| vec![])
            .unwrap_err()
            .to_string()
            .contains("dt")
    );
}

#[test]
fn random_input_covariance_across_conditions_matches_simulation() {
    // docs/theory.md 10.7: one network (M&O Fig. 2D loadings with Cov(n, w) = 1, Var w = 2,
    // g = 0.8, N = 2000, one seed) held in three stationary states: s = 0 on the positive
    // branch, s = 1.5 on the positive branch, s = -0.5 on the negative branch. The random
    // input z = x - m kappa - w s of every unit is correlated across the three states as
    // the two-condition theory predicts (evaluated with the drawn loading moments).
    use balnet::ratenet::tuning::random_input_covariance;
    let net = RateNetwork::new(RateNetSpec {
        rank: 1,
        inputs: 1,
        g: 0.8,
        tau: 0.01,
        transfer: RateTransfer::Tanh,
        mean: vec![3.5, 1.0, 0.0],
        cov: vec![
            vec![1.0, 0.0, 0.0],
            vec![0.0, 1.0, 1.0],
            vec![0.0, 1.0, 2.0],
        ],
    })
    .unwrap();
    let conds = [(0.0, 1.0), (1.5, 1.0), (-0.5, -1.0)];
    let mut opts = RateSimOptions::for_network(&net, 2000);
    opts.t_end = 25.0 * net.tau();
    opts.seed = 5;
    let mut z = Vec::new();
    let mut kappa_sim = Vec::new();
    let mut drawn = None;
    for &(s, k0) in &conds {
        opts.kappa0 = vec![k0];
        let res = simulate(&net, &opts, move |_| vec![s]).unwrap();
        let k = res.kappa.last().unwrap()[0];
        assert!(k.signum() == k0, "s = {s}: kappa {k}");
        z.push(
            res.loadings
                .iter()
                .zip(&res.x_final)
                .map(|(l, x)| x - l[0] * k - l[2] * s)
                .collect::<Vec<f64>>(),
        );
        kappa_sim.push(k);
        drawn = Some(
            net.with_moments(res.loading_mean.clone(), res.loading_cov.clone())
                .unwrap(),
        );
    }
    let drawn = drawn.unwrap();
    let latent: Vec<Vec<f64>> = conds
        .iter()
        .map(|&(s, k0)| stationary(&drawn, &[s], &[k0]).unwrap().kappa)
        .collect();
    let s: Vec<Vec<f64>> = conds.iter().map(|c| vec![c.0]).collect();
    let c = random_input_covariance(&drawn, &latent, &s).unwrap();
    let cov = |a: &[f64], b: &[f64]| {
        let n = a.len() as f64;
        let (ma, mb) = (a.iter().sum::<f64>() / n, b.iter().sum::<f64>() / n);
        a.iter()
            .zip(b)
            .map(|(x, y)| (x - ma) * (y - mb))
            .sum::<f64>()
            / n
    };
    for a in 0..3 {
        for b in 0..=a {
            let sim = cov(&z[a], &z[b]);
            let corr_sim = sim / (cov(&z[a], &z[a]) * cov(&z[b], &z[b])).sqrt();
            let corr_th = c[a][b] / (c[a][a] * c[b][b]).sqrt();
            println!(
                "conditions {a},{b}: Cov(z) sim {sim:.4} theory {:.4}; corr sim {corr_sim:.4} theory {corr_th:.4}",
                c[a][b]
            );
            assert!((sim - c[a][b]).abs() < 0.06 * c[a][a].max(c[b][b]));
            assert!((corr_sim - corr_th).abs() < 0.015);
        }
    }
    // the correlations span a wide range (the test is not about values near 1)
    assert!(c[2][0] / (c[0][0] * c[2][2]).sqrt() < 0.0);
}
