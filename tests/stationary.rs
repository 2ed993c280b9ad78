//! Stationary states (docs/theory.md 2.1-2.4) against independent references:
//! docs/theory.md section 5 (an independent implementation), the van Vreeswijk-Sompolinsky
//! existence conditions (closed form), and the 1/sqrt(K) approach to the balanced limit.

use balnet::Error;
use balnet::model::{Connectivity, Model};
use balnet::presets;
use balnet::theory::{Limit, stationary};

fn d0_fixed_indegree() -> Model {
    let mut m = presets::default_d0();
    m.connectivity = Connectivity::FixedIndegree;
    m
}

fn rel(a: f64, b: f64) -> f64 {
    (a - b).abs() / b.abs()
}

/// The independent mpmath/scipy reference `tools/reference/default_model_siegert.py`
/// (`tests/data/default_d0_fixed_indegree.json`): the docs/theory.md section 5 network at
/// D = 0, Siegert transfer, Poisson closure, for fixed in-degree (homogeneous solution,
/// mpmath at 30 digits) and Bernoulli connectivity (scipy root of the quenched-variance
/// equations with 200-node Gauss-Hermite averages, 1e-15 from 300 nodes). Agreement to
/// 2e-11 relative, ten times the largest difference measured (2.1e-12, the fixed
/// in-degree rates: the crate's Newton stops there).
#[test]
fn default_d0_matches_the_independent_reference() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/default_d0_fixed_indegree.json"
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let get = |block: &str, key: &str, a: usize| r[block][key][a].as_f64().unwrap();
    let check = |what: &str, got: f64, want: f64| {
        let e = rel(got, want);
        println!("{what}: {got:.12} vs {want:.12} ({e:.1e})");
        assert!(e < 2e-11, "{what}: {got} vs reference {want}");
    };
    type Field = fn(&balnet::theory::state::PopulationState) -> f64;
    let fixed_indegree: [(&str, &str, Field); 5] = [
        ("nu", "nu_hz", |p| p.rate_hz),
        ("mu", "mu_mv", |p| p.mu_mv),
        ("sigma", "sigma_mv", |p| p.sigma_mv),
        ("mean V", "mean_v_mv", |p| p.mean_v_mv),
        ("gain", "gain_hz_per_mv", |p| p.gain_hz_per_mv),
    ];
    let bernoulli: [(&str, &str, Field); 6] = [
        ("nu", "nu_hz", |p| p.rate_hz),
        ("q", "q_hz2", |p| p.q_hz2),
        ("mu", "mu_mv", |p| p.mu_mv),
        ("sigma", "sigma_mv", |p| p.sigma_mv),
        ("beta", "beta_mv2", |p| p.quenched_var_mv2),
        ("mean V", "mean_v_mv", |p| p.mean_v_mv),
    ];
    let fi = stationary::solve(&d0_fixed_indegree(), Limit::Finite, &[], &[], None).unwrap();
    let be = stationary::solve(&presets::default_d0(), Limit::Finite, &[], &[], None).unwrap();
    for (block, st, fields) in [
        ("fixed_indegree", &fi, &fixed_indegree[..]),
        ("bernoulli", &be, &bernoulli[..]),
    ] {
        for (a, p) in st.populations.iter().enumerate() {
            for (label, key, field) in fields {
                check(
                    &format!("{block} {} {label}", p.name),
                    field(p),
                    get(block, key, a),
                );
            }
        }
    }
    // identical neurons with fixed in-degree: beta = 0 is self-consistent (docs/theory.md 2.1)
    for p in &fi.populations {
        assert!(p.quenched_var_mv2 < 1e-8, "beta = {}", p.quenched_var_mv2);
    }
}

/// docs/theory.md section 5: the balanced limit of the default model is nu = (1.2, 9.6) Hz.
#[test]
fn default_balanced_rates() {
    let m = presets::default_d0();
    let (nu, cond) = stationary::balanced_rates(&m).unwrap();
    assert!(rel(nu[0], 1.2) < 1e-12 && rel(nu[1], 9.6) < 1e-12, "{nu:?}");
    assert!(
        cond > 10.0,
        "the default balance matrix is ill-conditioned, got {cond}"
    );
    let st = stationary::solve(&m, Limit::Balanced, &[], &[], None).unwrap();
    for (p, want) in st.populations.iter().zip(&nu) {
        assert!(
            rel(p.rate_hz, *want) < 1e-9,
            "{} {} vs {}",
            p.name,
            p.rate_hz,
            want
        );
    }
}

/// Two-population model with couplings `[[jee, -jei], [jie, -jii]]`, `c = (1, 1)` and
/// external couplings `(je0, ji0)`.
fn two_pop(jee: f64, jei: f64, jie: f64, jii: f64, je0: f64, ji0: f64) -> Model {
    let mut m = presets::default_d0();
    m.j = vec![vec![jee, -jei], vec![jie, -jii]];
    m.populations[1].c = 1.0;
    m.populations[1].n = 10_000;
    m.populations[0].j_ext = je0;
    m.populations[1].j_ext = ji0;
    for p in &mut m.populations {
        p.tau_ref = 0.0; // no rate ceiling: the VS conditions concern only the sign of the rates
    }
    m
}

/// van Vreeswijk & Sompolinsky (1998): with `E = J_E0/J_I0`, a balanced state with positive
/// rates exists iff `E > J_EI/J_II > J_EE/J_IE` or `E < J_EI/J_II < J_EE/J_IE`
/// (all couplings as magnitudes). Checked on a deterministic grid of parameters.
#[test]
fn van_vreeswijk_sompolinsky_existence() {
    let vals = [0.5, 1.0, 1.7, 2.9];
    let mut agree = 0;
    let mut both = [0, 0];
    for &jee in &vals {
        for &jei in &vals {
            for &jie in &vals {
                for &jii in &vals {
                    for &ratio in &[0.4, 1.1, 2.3] {
                        let (je0, ji0) = (ratio, 1.0);
                        let m = two_pop(jee, jei, jie, jii, je0, ji0);
                        let e = je0 / ji0;
                        let (x, y) = (jei / jii, jee / jie);
                        if (x - y).abs() < 1e-9 || (e - x).abs() < 1e-9 {
                            continue; // singular or on the boundary
                        }
                        let vs = (e > x && x > y) || (e < x && x < y);
                        let got = match stationary::balanced_rates(&m) {
                            Ok(_) => true,
                            Err(Error::NoBalancedState(_)) => false,
                            Err(other) => panic!("unexpected error {other}"),
                        };
                        assert_eq!(got, vs, "jee {jee} jei {jei} jie {jie} jii {jii} E {e}");
                        both[usize::from(vs)] += 1;
                        agree += 1;
                    }
                }
            }
        }
    }
    assert!(
        agree > 500 && both[0] > 50 && both[1] > 50,
        "grid covers both cases: {both:?}"
    );
}

#[test]
fn balanced_errors_name_the_population() {
    // external drive to I too strong for E to be needed: E rate negative
    let m = two_pop(1.0, 2.0, 1.0, 1.0, 0.4, 1.0);
    let err = stationary::balanced_rates(&m).unwrap_err().to_string();
    assert!(
        err.contains("population E") || err.contains("population I"),
        "{err}"
    );
    assert!(err.contains("<= 0"), "{err}");
    // singular balance matrix
    let m = two_pop(1.0, 1.0, 1.0, 1.0, 1.0, 1.0);
    assert!(matches!(
        stationary::balanced_rates(&m),
        Err(Error::SingularBalance { .. })
    ));
}

/// Model at scale `k` with fixed connection probabilities (N grows with K), docs/theory.md 2.4.
fn at_k(base: &Model, k: f64, p_conn: f64) -> Model {
    let mut m = base.clone();
    m.k = k;
    for pop in &mut m.populations {
        pop.n = ((pop.c * k) / p_conn).round() as usize;
    }
    m
}

/// Slopes of log|nu(K) - nu_bal| against log K between successive K.
fn convergence_slopes(base: &Model, ks: &[f64]) -> Vec<(f64, f64, f64)> {
    let (nu_bal, _) = stationary::balanced_rates(base).unwrap();
    let mut errs = Vec::new();
    let mut guess: Option<balnet::theory::State> = None;
    for &k in ks {
        let m = at_k(base, k, 0.1);
        let st = stationary::solve(&m, Limit::Finite, &[], &[], guess.as_ref()).unwrap();
        let e: f64 = st
            .populations
            .iter()
            .zip(&nu_bal)
            .map(|(p, b)| ((p.rate_hz - b) / b).abs())
            .fold(0.0, f64::max);
        errs.push(e);
        guess = Some(st);
    }
    ks.windows(2)
        .zip(errs.windows(2))
        .map(|(k, e)| (k[1], e[1], (e[1] / e[0]).ln() / (k[1] / k[0]).ln()))
        .collect()
}

/// A well-conditioned model approaches the balanced limit like 1/sqrt(K) over three decades.
#[test]
fn finite_k_converges_like_inverse_sqrt_k() {
    let mut base = presets::default_d0();
    base.connectivity = Connectivity::FixedIndegree;
    // W = c_B J_AB = [[5, -5], [10, -6.25]]: condition number 10, balanced rates (5.6, 17.6) Hz
    base.j = vec![vec![5.0, -20.0], vec![10.0, -25.0]];
    let (nu_bal, cond) = stationary::balanced_rates(&base).unwrap();
    println!("balanced rates {nu_bal:?}, condition {cond}");
    let ks = [1e3, 1e4, 1e5, 1e6, 1e7];
    let slopes = convergence_slopes(&base, &ks);
    for (k, e, s) in &slopes {
        println!("K = {k:e}: max rel error {e:.3e}, local slope {s:.4}");
    }
    for (_, _, s) in &slopes[2..] {
        assert!((s + 0.5).abs() < 0.05, "slope {s} is not -1/2");
    }
}

/// The default model (condition number of W about 30) reaches the 1/sqrt(K) regime only
/// at K of order 1e6 (docs/theory.md 2.4); at K = 1e3-1e4 the local slope is far from -1/2.
#[test]
fn default_model_enters_sqrt_k_regime_late() {
    let base = d0_fixed_indegree();
    let ks = [1e3, 1e4, 1e5, 1e6, 1e7, 1e8];
    let slopes = convergence_slopes(&base, &ks);
    for (k, e, s) in &slopes {
        println!("default model K = {k:e}: max rel error {e:.3e}, local slope {s:.4}");
    }
    let first = slopes
        .iter()
        .find(|(_, _, s)| (s + 0.5).abs() < 0.05)
        .map(|x| x.0);
    println!("first K with slope within 0.05 of -1/2: {first:?}");
    assert!(
        (slopes[0].2 + 0.5).abs() > 0.1,
        "already in the regime at K = 1e4: {}",
        slopes[0].2
    );
    let last = slopes.last().unwrap().2;
    assert!(
        (last + 0.5).abs() < 0.05,
        "not in the regime by K = 1e8: slope {last}"
    );
}

#[test]
fn invalid_models_are_rejected_with_the_field() {
    let mut m = presets::default_model();
    m.populations[0].theta = 5.0;
    let e = m.validate().unwrap_err().to_string();
    assert!(
        e.contains("populations[0].theta") && e.contains("v_reset"),
        "{e}"
    );
    let mut m = presets::default_model();
    m.populations[1].tau_m = -0.01;
    assert!(
        m.validate()
            .unwrap_err()
            .to_string()
            .contains("populations[1].tau_m")
    );
    let mut m = presets::default_model();
    m.latent.as_mut().unwrap().loadings[0].sigma_nm[0][0] = 100.0; // |Cov(n,m)| > sd_n sd_m
    let e = m.validate().unwrap_err().to_string();
    assert!(e.contains("positive semi-definite"), "{e}");
    let mut m = presets::default_model();
    m.populations[0].c = 20.0; // in-degree 20000 > N_E
    assert!(
        m.validate()
            .unwrap_err()
            .to_string()
            .contains("exceeds the population size")
    );
    let mut m = presets::default_model();
    m.k = f64::NAN;
    assert!(m.validate().unwrap_err().to_string().contains("k = NaN"));
    let mut m = presets::default_model();
    m.latent.as_mut().unwrap().loadings[1].mbar = vec![0.0, 1.0];
    assert!(m.validate().unwrap_err().to_string().contains("mbar"));
}

#[test]
fn presets_round_trip_through_toml_and_json() {
    for m in [
        presets::default_model(),
        presets::latent_bistable(),
        presets::brunel_a(5.0, 2.0, 0.1, 1000, 10_000, 2_500).unwrap(),
    ] {
        let back = Model::from_toml(&m.to_toml()).unwrap();
        assert_eq!(back, m);
        let back = Model::from_json(&serde_json::to_string(&m).unwrap()).unwrap();
        assert_eq!(back, m);
    }
}
