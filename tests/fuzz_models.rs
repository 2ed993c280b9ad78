//! Fuzzing Models across and just outside the valid region (docs/theory.md section 1 and
//! 7): every numeric field of small base models set to zero, negative, tiny, huge, NaN or
//! infinite values, and arrays shortened or lengthened (dimension mismatches). Each Model
//! goes through `Model::validate`, `stationary::solve`, `latent::fixed_points`,
//! `dynamics::integrate` and a tiny `sim::simulate`, each in its own thread under a time
//! budget, and must give a result or a typed error within the budget, without a panic,
//! with every output finite and physical.
//!
//! `fuzz_models_short` (fixed seed, ~1 minute) runs with `cargo test --release`;
//! `fuzz_models_long` (10,000 Models by default, `BALNET_FUZZ_CASES` to change; `--ignored`)
//! prints counts per outcome class and every failure with its mutation.

use std::collections::BTreeMap;
use std::sync::mpsc;
use std::time::Duration;

use balnet::sim::RunOptions;
use balnet::theory::{Limit, dynamics, latent, stationary};
use balnet::{Model, presets};
use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Values a numeric field is set to: the edges of and around the valid region.
const FLOATS: &[f64] = &[
    0.0,
    -0.0,
    -1.0,
    1e-300,
    -1e-300,
    1e-12,
    0.5,
    2.0,
    1e12,
    1e300,
    -1e300,
    f64::MAX,
    f64::NAN,
    f64::INFINITY,
    f64::NEG_INFINITY,
];
const INTS: &[i64] = &[0, 1, 2, 3, -1, 1000, 1 << 31, 1 << 40, i64::MAX];

/// Small base Models (a tiny simulation takes well under a second).
fn bases() -> Vec<Model> {
    let shrink = |mut m: Model| {
        m.k = 100.0;
        for p in &mut m.populations {
            p.n /= 25;
        }
        m.sim.warmup = 0.02;
        m.sim.duration = 0.05;
        m
    };
    vec![
        shrink(presets::default_d0()),
        shrink(presets::default_model()),
        shrink(presets::latent_bistable()),
    ]
}

/// A mutation of one leaf or array of the Model's TOML tree.
#[derive(Clone, Debug)]
enum Mutation {
    /// Set the `n`-th numeric leaf (modulo their count) to a value.
    Float(usize, f64),
    Int(usize, i64),
    /// Remove the last element of the `n`-th array (modulo their count).
    Pop(usize),
    /// Duplicate the last element of the `n`-th array.
    Push(usize),
}

#[derive(Clone, Debug)]
struct Case {
    base: usize,
    mutations: Vec<Mutation>,
}

fn case_strategy(n_bases: usize) -> impl Strategy<Value = Case> {
    let m = (
        0usize..4,
        0usize..10_000,
        0usize..FLOATS.len(),
        0usize..INTS.len(),
    )
        .prop_map(|(kind, idx, f, i)| match kind {
            0 | 1 => Mutation::Float(idx, FLOATS[f]),
            2 => Mutation::Int(idx, INTS[i]),
            _ => {
                if idx % 2 == 0 {
                    Mutation::Pop(idx / 2)
                } else {
                    Mutation::Push(idx / 2)
                }
            }
        });
    (0..n_bases, proptest::collection::vec(m, 1..3))
        .prop_map(|(base, mutations)| Case { base, mutations })
}

/// Visit every leaf (not table, not array) of a TOML tree with its path.
fn visit<'a>(v: &'a mut toml::Value, path: String, f: &mut dyn FnMut(String, &'a mut toml::Value)) {
    match v {
        toml::Value::Table(t) => {
            for (k, x) in t.iter_mut() {
                visit(x, format!("{path}.{k}"), f);
            }
        }
        toml::Value::Array(a) => {
            for (i, x) in a.iter_mut().enumerate() {
                visit(x, format!("{path}[{i}]"), f);
            }
        }
        other => f(path, other),
    }
}

/// Apply the mutations; returns the Model (or its parse error) and a description.
fn mutate(base: &Model, muts: &[Mutation]) -> (Result<Model, String>, String) {
    let mut tree = toml::Value::try_from(base).expect("a Model serialises");
    let mut desc = Vec::new();
    for m in muts {
        match m {
            Mutation::Float(i, x) => {
                let mut leaves: Vec<(String, &mut toml::Value)> = Vec::new();
                visit(&mut tree, String::new(), &mut |p, v| {
                    if v.is_float() || v.is_integer() {
                        leaves.push((p, v));
                    }
                });
                if leaves.is_empty() {
                    continue;
                }
                let k = i % leaves.len();
                let (p, v) = leaves.swap_remove(k);
                *v = toml::Value::Float(*x);
                desc.push(format!("{p} = {x:e}"));
            }
            Mutation::Int(i, x) => {
                let mut leaves: Vec<(String, &mut toml::Value)> = Vec::new();
                visit(&mut tree, String::new(), &mut |p, v| {
                    if v.is_integer() {
                        leaves.push((p, v));
                    }
                });
                if leaves.is_empty() {
                    continue;
                }
                let k = i % leaves.len();
                let (p, v) = leaves.swap_remove(k);
                *v = toml::Value::Integer(*x);
                desc.push(format!("{p} = {x}"));
            }
            Mutation::Pop(i) | Mutation::Push(i) => {
                let mut arrays: Vec<String> = Vec::new();
                collect_arrays(&tree, String::new(), &mut arrays);
                if arrays.is_empty() {
                    continue;
                }
                let p = arrays[i % arrays.len()].clone();
                if let Some(toml::Value::Array(a)) = lookup(&mut tree, &p) {
                    if matches!(m, Mutation::Pop(_)) {
                        a.pop();
                        desc.push(format!("{p}: last element removed"));
                    } else if let Some(last) = a.last().cloned() {
                        a.push(last);
                        desc.push(format!("{p}: last element duplicated"));
                    }
                }
            }
        }
    }
    let model = tree.try_into::<Model>().map_err(|e| e.to_string());
    (model, desc.join("; "))
}

fn collect_arrays(v: &toml::Value, path: String, out: &mut Vec<String>) {
    match v {
        toml::Value::Table(t) => {
            for (k, x) in t {
                collect_arrays(x, format!("{path}.{k}"), out);
            }
        }
        toml::Value::Array(a) => {
            out.push(path.clone());
            for (i, x) in a.iter().enumerate() {
                collect_arrays(x, format!("{path}[{i}]"), out);
            }
        }
        _ => {}
    }
}

/// The value at a path made by `collect_arrays`.
fn lookup<'a>(v: &'a mut toml::Value, path: &str) -> Option<&'a mut toml::Value> {
    let mut cur = v;
    for part in path.split('.').filter(|s| !s.is_empty()) {
        let mut it = part.split('[');
        let key = it.next()?;
        cur = cur.as_table_mut()?.get_mut(key)?;
        for idx in it {
            let i: usize = idx.trim_end_matches(']').parse().ok()?;
            cur = cur.as_array_mut()?.get_mut(i)?;
        }
    }
    Some(cur)
}

/// Outcome of one call.
#[derive(Debug, PartialEq)]
enum Outcome {
    Ok,
    Error,
    Panic,
    Timeout,
    NonFinite(String),
}

/// Run `f` in a thread; a result, a typed error, a panic or a timeout.
fn budgeted<T: Send + 'static>(
    budget: Duration,
    f: impl FnOnce() -> balnet::Result<T> + Send + 'static,
) -> (Outcome, Option<T>) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let r = f();
        let _ = tx.send(r);
    });
    match rx.recv_timeout(budget) {
        Ok(Ok(v)) => (Outcome::Ok, Some(v)),
        Ok(Err(_)) => (Outcome::Error, None),
        Err(mpsc::RecvTimeoutError::Disconnected) => (Outcome::Panic, None),
        Err(mpsc::RecvTimeoutError::Timeout) => (Outcome::Timeout, None),
    }
}

fn check_state(m: &Model, st: &stationary::State) -> Result<(), String> {
    for (a, p) in st.populations.iter().enumerate() {
        let r_max = 1.0 / m.populations[a].tau_ref.max(1e-12);
        let fields = [
            ("rate_hz", p.rate_hz),
            ("mu_mv", p.mu_mv),
            ("sigma_mv", p.sigma_mv),
            ("mean_v_mv", p.mean_v_mv),
            ("delta_mv2", p.delta_mv2),
        ];
        for (name, x) in fields {
            if !x.is_finite() {
                return Err(format!("{}.{name} = {x}", p.name));
            }
        }
        if p.rate_hz < 0.0 || p.rate_hz > r_max * (1.0 + 1e-9) {
            return Err(format!("{}.rate_hz = {} (max {r_max})", p.name, p.rate_hz));
        }
        if p.sigma_mv < 0.0 || p.delta_mv2 < 0.0 {
            return Err(format!("{}: negative variance", p.name));
        }
    }
    Ok(())
}

fn finite_all<'a>(xs: impl IntoIterator<Item = &'a f64>) -> bool {
    xs.into_iter().all(|x| x.is_finite())
}

/// Run one Model through every stage; returns `(stage, outcome)` pairs.
fn run_case(m: Model, budget: Duration) -> Vec<(&'static str, Outcome)> {
    let mut out = Vec::new();
    let mv = m.clone();
    let (o, _) = budgeted(budget, move || mv.validate());
    let valid = o == Outcome::Ok;
    out.push(("validate", o));
    if !valid {
        return out;
    }
    let s0 = m.signal(0.0);
    let k0 = vec![0.0; m.d()];
    // stationary state
    let (mc, s, k) = (m.clone(), s0.clone(), k0.clone());
    let (o, st) = budgeted(budget, move || {
        stationary::solve(&mc, Limit::Finite, &k, &s, None)
    });
    let o = match (o, st) {
        (Outcome::Ok, Some(st)) => match check_state(&m, &st) {
            Ok(()) => Outcome::Ok,
            Err(e) => Outcome::NonFinite(e),
        },
        (o, _) => o,
    };
    out.push(("stationary::solve", o));
    // latent fixed points
    if m.d() > 0 {
        let (mc, s) = (m.clone(), s0.clone());
        let (o, sol) = budgeted(budget, move || {
            // a coarse search: the harness tests robustness, not completeness
            let search = latent::SearchBox {
                kappa_max: 40.0,
                grid: 41,
                starts: 8,
            };
            latent::fixed_points(&mc, Limit::Finite, &s, &search)
        });
        let o = match (o, sol) {
            (Outcome::Ok, Some(sol)) => sol
                .fixed_points
                .iter()
                .find_map(|fp| {
                    if !finite_all(&fp.kappa) {
                        Some(format!("kappa = {:?}", fp.kappa))
                    } else {
                        check_state(&m, &fp.state).err()
                    }
                })
                .map_or(Outcome::Ok, Outcome::NonFinite),
            (o, _) => o,
        };
        out.push(("latent::fixed_points", o));
    }
    // dynamics
    let (mc, k) = (m.clone(), k0.clone());
    let (o, tr) = budgeted(budget, move || {
        dynamics::integrate(
            &mc,
            Limit::Finite,
            &k,
            0.05,
            0.01,
            &dynamics::DynamicsOptions::default(),
        )
    });
    let o = match (o, tr) {
        (Outcome::Ok, Some(tr)) => {
            let bad = !finite_all(&tr.t)
                || !finite_all(tr.kappa.iter().flatten())
                || tr
                    .populations
                    .iter()
                    .any(|p| !finite_all(&p.rate_hz) || p.rate_hz.iter().any(|r| *r < 0.0));
            if bad {
                Outcome::NonFinite("trajectory".into())
            } else {
                Outcome::Ok
            }
        }
        (o, _) => o,
    };
    out.push(("dynamics::integrate", o));
    // tiny simulation
    let mc = m.clone();
    let (o, r) = budgeted(budget, move || {
        balnet::sim::simulate(
            &mc,
            &RunOptions {
                threads: 1,
                quiet: true,
                out_dir: None,
            },
        )
    });
    let o = match (o, r) {
        (Outcome::Ok, Some(r)) => r
            .populations
            .iter()
            .enumerate()
            .find_map(|(a, p)| {
                // at most one spike per refractory period, plus one, in the recorded window
                let t = m.sim.duration;
                let r_max = ((t / m.populations[a].tau_ref.max(m.sim.dt)).floor() + 1.0) / t;
                let bad = !p.rate_hz.is_finite()
                    || p.rate_hz < 0.0
                    || p.rate_hz > r_max * (1.0 + 1e-9)
                    || !p.mean_v_mv.is_finite()
                    || !finite_all(&p.rates_hz);
                bad.then(|| format!("{}: rate {} mean_v {}", p.name, p.rate_hz, p.mean_v_mv))
            })
            .map_or(Outcome::Ok, Outcome::NonFinite),
        (o, _) => o,
    };
    out.push(("sim::simulate", o));
    out
}

fn class(stage: &str, o: &Outcome) -> String {
    match o {
        Outcome::Ok => format!("{stage}: ok"),
        Outcome::Error => format!("{stage}: typed error"),
        Outcome::Panic => format!("{stage}: PANIC"),
        Outcome::Timeout => format!("{stage}: TIMEOUT"),
        Outcome::NonFinite(_) => format!("{stage}: NON-FINITE"),
    }
}

/// Run `cases` fuzz cases from `seed`; returns counts per class and the failures.
fn fuzz(cases: usize, seed: u8, budget: Duration) -> (BTreeMap<String, usize>, Vec<String>) {
    let bases = bases();
    let config = Config {
        failure_persistence: None,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &[seed; 32]),
    );
    let strategy = case_strategy(bases.len());
    let mut counts = BTreeMap::new();
    let mut failures = Vec::new();
    // generate every case first (deterministic), then run them on all cores
    let mut jobs = Vec::new();
    for _ in 0..cases {
        let case = strategy.new_tree(&mut runner).expect("strategy").current();
        let (model, desc) = mutate(&bases[case.base], &case.mutations);
        let desc = format!("base {} ({}): {desc}", case.base, bases[case.base].name);
        match model {
            Ok(m) => jobs.push((desc, m)),
            Err(_) => *counts.entry("parse: typed error".to_string()).or_insert(0) += 1,
        }
    }
    use rayon::prelude::*;
    // The cases run on a pool of their own: each of its threads blocks (outside rayon)
    // while a stage runs on a plain thread, and the library's own parallel loops inside
    // the stage go to the global pool, which must not be made of those blocked threads.
    let pool = rayon::ThreadPoolBuilder::new()
        .build()
        .expect("a thread pool for the cases");
    let results: Vec<(String, Vec<(&'static str, Outcome)>)> = pool.install(|| {
        jobs.into_par_iter()
            .map(|(desc, m)| (desc, run_case(m, budget)))
            .collect()
    });
    for (desc, stages) in results {
        for (stage, o) in stages {
            *counts.entry(class(stage, &o)).or_insert(0) += 1;
            if matches!(o, Outcome::Panic | Outcome::Timeout | Outcome::NonFinite(_)) {
                failures.push(format!("{desc} -> {}: {o:?}", class(stage, &o)));
            }
        }
    }
    (counts, failures)
}

/// Failures in code this test does not own, known and reported (docs/theory.md 7): the
/// short test skips a failure whose description contains one of these fragments.
const KNOWN: &[&str] = &[];

#[test]
fn fuzz_models_short() {
    // the budget is a hang guard, not a speed requirement: the stages of these Models
    // take well under a second each, so 120 s on a loaded 2-core machine means a hang
    let (counts, failures) = fuzz(40, 7, Duration::from_secs(120));
    for (k, v) in &counts {
        eprintln!("{v:6}  {k}");
    }
    let unknown: Vec<&String> = failures
        .iter()
        .filter(|f| !KNOWN.iter().any(|k| f.contains(k)))
        .collect();
    for f in &failures {
        eprintln!("{f}");
    }
    assert!(
        unknown.is_empty(),
        "{} failures: {unknown:#?}",
        unknown.len()
    );
}

#[test]
#[ignore = "long: >= 10,000 Models; run with --ignored and read the printed counts"]
fn fuzz_models_long() {
    // BALNET_FUZZ_CASES overrides the number of Models (e.g. for a shorter exploration)
    let cases = std::env::var("BALNET_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let (counts, failures) = fuzz(cases, 11, Duration::from_secs(60));
    for (k, v) in &counts {
        println!("{v:6}  {k}");
    }
    for f in &failures {
        println!("{f}");
    }
}
