//! The PyNEST export (docs/nest.md, docs/theory.md section 9): the numbers of the embedded
//! plan against closed forms (unit conversions, in-degrees, connection counts, the fast
//! port's propagator, the loading factor), the errors for Models NEST cannot run as balnet
//! does, Python syntax when a `python3` is installed (skipped with a note otherwise), and
//! the spike-folder reader against hand-made folders with closed-form statistics.

use std::path::{Path, PathBuf};

use balnet::export::nest::{NestOptions, fast_port_propagator, nest_plan, nest_script};
use balnet::model::{Delay, Model, SimMode};
use balnet::presets;
use balnet::sim::output::{NpyData, read_npy, write_npy_f64, write_npy_u32};
use balnet::sim::spikes::{read_spikes, result_from_spikes};
use serde_json::{Value, json};

/// The JSON plan embedded in a script (between `r"""` and `"""`).
fn plan_of(script: &str) -> Value {
    let start = script.find("json.loads(r\"\"\"").expect("plan start") + 15;
    let end = start + script[start..].find("\"\"\"").expect("plan end");
    serde_json::from_str(&script[start..end]).expect("plan is JSON")
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * b.abs().max(1e-300)
}

fn export(model: &Model) -> (String, Value) {
    let script = nest_script(model, &NestOptions::default()).expect("export");
    let plan = plan_of(&script);
    (script, plan)
}

#[test]
fn brunel_a_maps_units_in_degrees_and_drive() {
    // Brunel (2000) model A, g = 5, eta = 2: J = 0.1 mV, C_E = 1000, C_I = 250, d = 1.5 ms,
    // tau_m = 20 ms, theta = 20 mV, Vr = 10 mV, t_ref = 2 ms, nu_thr = theta / (J C_E tau_m)
    let m = presets::by_name("brunel-a").unwrap();
    let (_, p) = export(&m);
    assert_eq!(p["neuron_model"], "iaf_psc_delta");
    assert_eq!(p["poisson_model"], "poisson_generator");
    assert!(close(p["resolution_ms"].as_f64().unwrap(), 0.1, 1e-12));
    assert_eq!(p["warm_steps"], 1000); // 0.1 s / 0.1 ms
    assert_eq!(p["rec_steps"], 10_000); // 1 s
    for pop in p["populations"].as_array().unwrap() {
        let q = &pop["params"];
        assert_eq!(q["E_L"], 0.0);
        assert!(close(q["tau_m"].as_f64().unwrap(), 20.0, 1e-12));
        // C_m = tau_m: 1 pA of current drives V toward 1 mV
        assert!(close(q["C_m"].as_f64().unwrap(), 20.0, 1e-12));
        assert_eq!(q["V_th"], 20.0);
        assert_eq!(q["V_reset"], 10.0);
        assert!(close(q["t_ref"].as_f64().unwrap(), 2.0, 1e-12));
        assert_eq!(q["refractory_input"], false);
        assert_eq!(pop["v0_range"], json!([0.0, 20.0]));
        // K_0 nu_0 = C_E eta nu_thr = 1000 * 2 * 20 / (0.1 * 1000 * 0.02) Hz = 20 kHz
        let ext = &pop["external"];
        assert!(close(ext["rate_hz"].as_f64().unwrap(), 20_000.0, 1e-12));
        assert!(close(ext["weight"].as_f64().unwrap(), 0.1, 1e-12));
    }
    let blocks = p["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 4);
    for b in blocks {
        let pre = b["pre"].as_u64().unwrap();
        let (k, w) = if pre == 0 { (1000, 0.1) } else { (250, -0.5) };
        assert_eq!(b["conn_spec"]["rule"], "fixed_indegree");
        assert_eq!(b["conn_spec"]["indegree"], k);
        // the brunel-a preset samples its in-degrees with replacement, as Brunel (2000)
        assert_eq!(b["conn_spec"]["allow_multapses"], true);
        assert_eq!(b["conn_spec"]["allow_autapses"], false);
        assert!(close(b["weight"].as_f64().unwrap(), w, 1e-12));
        assert_eq!(b["delay_steps"], json!([15, 15]));
        assert_eq!(b["slow"], false);
    }
    // N (C_E + C_I) = 12500 * 1250 connections
    assert_eq!(p["cost"]["fast_connections_expected"], 15_625_000.0);
    assert_eq!(p["slow"], Value::Null);
    assert_eq!(p["loadings"], Value::Null);
}

#[test]
fn default_d0_is_precise_bernoulli_with_uniform_step_delays() {
    let m = presets::default_d0();
    let (_, p) = export(&m);
    assert_eq!(p["neuron_model"], "iaf_psc_delta_ps");
    assert_eq!(p["poisson_model"], "poisson_generator_ps");
    let pops = p["populations"].as_array().unwrap();
    // precise mode: the refractory period is continuous, not rounded to steps, and
    // iaf_psc_delta_ps has no settable refractory_input (it always discards)
    assert!(pops[0]["params"].get("refractory_input").is_none());
    assert!(close(
        pops[0]["params"]["t_ref"].as_f64().unwrap(),
        2.0,
        1e-12
    ));
    // K_0 nu_0 = 1000 * 12 Hz; jumps J_A0 / sqrt(K)
    for (a, j0) in [(0, 5.0), (1, 4.5)] {
        let ext = &pops[a]["external"];
        assert!(close(ext["rate_hz"].as_f64().unwrap(), 12_000.0, 1e-12));
        assert!(close(
            ext["weight"].as_f64().unwrap(),
            j0 / 1000f64.sqrt(),
            1e-12
        ));
    }
    for b in p["blocks"].as_array().unwrap() {
        assert_eq!(b["conn_spec"]["rule"], "pairwise_bernoulli");
        // p_B = K_B / N_B = 1000 / 10000 = 250 / 2500
        assert!(close(b["conn_spec"]["p"].as_f64().unwrap(), 0.1, 1e-12));
        // [0.5, 2.5] ms on a 0.1 ms grid
        assert_eq!(b["delay_steps"], json!([5, 25]));
        let (post, pre) = (b["post"].as_u64().unwrap(), b["pre"].as_u64().unwrap());
        let j = [[5.0, -27.5], [5.0, -25.0]][post as usize][pre as usize];
        assert!(close(
            b["weight"].as_f64().unwrap(),
            j / 1000f64.sqrt(),
            1e-12
        ));
    }
    // sum_A N_A sum_B p_B (N_B - [A = B]) = 12500 * 0.1 * 12499
    let expected = 12_500.0 * 0.1 * 12_499.0;
    assert!(close(
        p["cost"]["fast_connections_expected"].as_f64().unwrap(),
        expected,
        1e-12
    ));
}

#[test]
fn latent_model_uses_two_exponential_ports_and_shorter_delays() {
    let mut m = presets::default_model();
    m.sim.mode = SimMode::Grid;
    let (_, p) = export(&m);
    assert_eq!(p["neuron_model"], "iaf_psc_exp_multisynapse");
    let h = 0.1;
    let tau_m = 20.0;
    let pops = p["populations"].as_array().unwrap();
    // fast port dt / 100, slow port tau_s = 100 ms
    assert_eq!(pops[0]["params"]["tau_syn"], json!([0.001, 100.0]));
    // grid: the refractory period is round(tau_ref / dt) steps
    assert!(close(
        pops[0]["params"]["t_ref"].as_f64().unwrap(),
        2.0,
        1e-12
    ));
    // the fast exponential port: a current w decaying with tau_f moves V, after one step,
    // by w tau_f tau_m / (C_m (tau_m - tau_f)) (exp(-h/tau_m) - exp(-h/tau_f)) (the exact
    // propagator of Rotter & Diesmann 1999); the weight makes that the jump J / sqrt(K)
    let tau_f: f64 = 0.001;
    let c_m = tau_m;
    let p21 = tau_f * tau_m / (c_m * (tau_m - tau_f)) * ((-h / tau_m).exp() - (-h / tau_f).exp());
    assert!(close(fast_port_propagator(tau_m, h), p21, 1e-14));
    for b in p["blocks"].as_array().unwrap() {
        let jump = b["jump_mv"].as_f64().unwrap();
        assert!(close(b["weight"].as_f64().unwrap() * p21, jump, 1e-12));
        // the exponential port acts one step after arrival: [5, 25] - 1 steps
        assert_eq!(b["delay_steps"], json!([4, 24]));
        assert_eq!(b["slow"], true);
    }
    let ext = &pops[1]["external"];
    assert!(close(
        ext["weight"].as_f64().unwrap() * p21,
        4.5 / 1000f64.sqrt(),
        1e-12
    ));
    // slow weight (pA) per mV of m.n/K: C_m / tau_s = 20 pF / 100 ms
    assert_eq!(p["slow"]["pa_per_mv"], json!([0.2, 0.2]));
    assert_eq!(p["slow"]["k"], 1000.0);
    // the input step s: 0 -> 1 at 1.5 s is first used in step 15000; the step current's
    // change reaches the neuron one step after its time: (15000 - 1) * 0.1 ms
    let g = &p["signal"]["generators"][0];
    assert_eq!(g["values"], json!([1.0]));
    assert!(close(g["times_ms"][0].as_f64().unwrap(), 1499.9, 1e-12));
    assert_eq!(p["signal"]["s0"], json!([0.0]));
    // the loading factor L (rows m, n, w) reproduces the covariance of the default model:
    // Var m = 20^2, Var n = 1.5^2, Cov(n, m) = 11.65, w = 0.09 m
    let f = &p["loadings"][0]["factor"];
    let row = |i: usize| -> Vec<f64> {
        f[i].as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect()
    };
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let (rm, rn, rw) = (row(0), row(1), row(2));
    assert!(close(dot(&rm, &rm), 400.0, 1e-12));
    assert!(close(dot(&rn, &rn), 2.25, 1e-12));
    assert!(close(dot(&rn, &rm), 11.65, 1e-12));
    assert!(close(dot(&rw, &rw), 0.0081 * 400.0, 1e-12));
    assert!(close(dot(&rm, &rw), 0.09 * 400.0, 1e-12));
    // two synapses per connection at most, and the loadings table of every process:
    // 12500 neurons x (2 D + D_in) = 3 numbers x 8 bytes
    assert_eq!(
        p["cost"]["slow_connections_max"],
        p["cost"]["fast_connections_expected"]
    );
    assert_eq!(
        p["cost"]["replicated_loading_bytes_per_process"],
        12_500.0 * 24.0
    );
}

#[test]
fn scaling_keeps_in_degrees() {
    let m = presets::default_d0();
    let opts = NestOptions {
        n_scale: Some(0.4),
        ..Default::default()
    };
    let p = nest_plan(&m, &opts).unwrap();
    assert_eq!(p["populations"][0]["n"], 4000);
    assert_eq!(p["populations"][1]["n"], 1000);
    assert_eq!(p["populations"][1]["first"], 4000);
    // K_B / N_B = 1000 / 4000
    assert!(close(
        p["blocks"][0]["conn_spec"]["p"].as_f64().unwrap(),
        0.25,
        1e-12
    ));
}

fn err_text(m: &Model, opts: &NestOptions) -> String {
    nest_script(m, opts)
        .expect_err("the export must refuse")
        .to_string()
}

#[test]
fn unsupported_models_are_refused_with_the_reason() {
    let d = NestOptions::default();
    // precise mode with the slow current: no precise NEST neuron with a slow port
    let e = err_text(&presets::default_model(), &d);
    assert!(e.contains("sim.mode") && e.contains("grid"), "{e}");
    // the slow current needs delays of at least two steps
    let mut m = presets::default_model();
    m.sim.mode = SimMode::Grid;
    m.delay = Delay::Fixed { d: 1e-4 };
    let e = err_text(&m, &d);
    assert!(e.contains("delay") && e.contains("2 steps"), "{e}");
    // a time step that is not a whole number of 1 us tics
    let mut m = presets::default_d0();
    m.sim.dt = 1.5e-7;
    m.delay = Delay::Fixed { d: 1e-3 };
    let e = err_text(&m, &d);
    assert!(e.contains("sim.dt") && e.contains("tics"), "{e}");
    // a change of the input in the first two steps
    let mut m = presets::default_model();
    m.sim.mode = SimMode::Grid;
    if let Some(l) = m.latent.as_mut() {
        l.signal.components[0][0] = balnet::model::SignalTerm::Step {
            t0: 1e-4,
            amplitude: 1.0,
        };
    }
    let e = err_text(&m, &d);
    assert!(e.contains("latent.signal") && e.contains("2 sim.dt"), "{e}");
    // precise mode with a refractory period below one step
    let mut m = presets::default_d0();
    m.populations[1].tau_ref = 0.0;
    let e = err_text(&m, &d);
    assert!(e.contains("populations[1].tau_ref"), "{e}");
    // no threads; a non-positive scale; a scale below the fixed in-degree
    let e = err_text(
        &presets::default_d0(),
        &NestOptions {
            threads: 0,
            ..Default::default()
        },
    );
    assert!(e.contains("threads"), "{e}");
    let e = err_text(
        &presets::default_d0(),
        &NestOptions {
            n_scale: Some(0.0),
            ..Default::default()
        },
    );
    assert!(e.contains("n_scale"), "{e}");
    // without replacement a population smaller than the in-degree cannot be sampled
    let mut without = presets::by_name("brunel-a").unwrap();
    without.connectivity = balnet::model::Connectivity::FixedIndegree;
    let e = err_text(
        &without,
        &NestOptions {
            n_scale: Some(0.05),
            ..Default::default()
        },
    );
    assert!(e.contains("in-degree"), "{e}");
    // a loading table above the per-process limit: 2 GiB / 24 bytes = 89.5 million neurons
    let mut m = presets::default_model();
    m.sim.mode = SimMode::Grid;
    m.populations[0].n = 100_000_000;
    let e = err_text(&m, &d);
    assert!(e.contains("loadings of all neurons"), "{e}");
}

/// A `python3` on PATH, or `None` (then the syntax checks are skipped with a note, so
/// that `cargo test` needs only the Rust toolchain; with `BALNET_REQUIRE_PYTHON` set, as
/// in `.ci/run`, a missing `python3` fails instead).
fn python() -> Option<&'static str> {
    std::process::Command::new("python3")
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| "python3")
}

#[test]
fn scripts_are_valid_python() {
    let Some(py) = python() else {
        assert!(
            std::env::var_os("BALNET_REQUIRE_PYTHON").is_none(),
            "BALNET_REQUIRE_PYTHON is set but there is no python3 on PATH"
        );
        println!("note: no python3 on PATH; the Python syntax check is skipped");
        return;
    };
    let mut latent = presets::default_model();
    latent.sim.mode = SimMode::Grid;
    let dir = tmp("syntax");
    for (name, m) in [
        ("brunel", presets::by_name("brunel-a").unwrap()),
        ("d0", presets::default_d0()),
        ("latent", latent),
    ] {
        let path = dir.join(format!("{name}.py"));
        std::fs::write(&path, nest_script(&m, &NestOptions::default()).unwrap()).unwrap();
        let out = std::process::Command::new(py)
            .args(["-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())"])
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("balnet-export-nest-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn npy_reader_reads_numpy_files() {
    // bytes of numpy 2.3 `np.save` of np.array([[1.5, -2.0, 3.25]]) and of
    // np.array([7, 4000000000], dtype='<u4') (NPY format 1.0, header padded to 64 bytes)
    let pad = |h: &str| format!("{h}{}\n", " ".repeat(117 - h.len()));
    let mut f8 = b"\x93NUMPY\x01\x00v\x00".to_vec();
    f8.extend(pad("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 3), }").as_bytes());
    for x in [1.5f64, -2.0, 3.25] {
        f8.extend(x.to_le_bytes());
    }
    let mut u4 = b"\x93NUMPY\x01\x00v\x00".to_vec();
    u4.extend(pad("{'descr': '<u4', 'fortran_order': False, 'shape': (2,), }").as_bytes());
    u4.extend([7, 0, 0, 0, 0, 0x28, 0x6b, 0xee]);
    let dir = tmp("npy");
    std::fs::write(dir.join("a.npy"), &f8).unwrap();
    std::fs::write(dir.join("b.npy"), &u4).unwrap();
    assert_eq!(
        read_npy(&dir.join("a.npy")).unwrap(),
        (vec![1, 3], NpyData::F64(vec![1.5, -2.0, 3.25]))
    );
    assert_eq!(
        read_npy(&dir.join("b.npy")).unwrap(),
        (vec![2], NpyData::U32(vec![7, 4_000_000_000]))
    );
}

/// A spike folder in the exported script's layout: every neuron fires regularly with
/// period `period` (s), on the grid (`(k + 1) dt`), split over `ranks` processes.
fn write_regular_folder(dir: &Path, m: &Model, period: f64, ranks: usize, loadings: f64) {
    let dt = m.sim.dt;
    let warm = (m.sim.warmup / dt).round() as u64;
    let rec = (m.sim.duration / dt).round() as u64;
    let every = (period / dt).round() as u64;
    let mut first = 0u32;
    for r in 0..ranks {
        std::fs::write(
            dir.join(format!("nest_rank{r}.json")),
            json!({"rank": r, "spikes": {}, "fast_connections": 10, "slow_connections": 0,
                   "dale_violations": 0, "build_s": 1.0, "simulate_s": 2.0})
            .to_string(),
        )
        .unwrap();
    }
    for pop in &m.populations {
        let name = balnet::sim::output::sanitize(&pop.name);
        for r in 0..ranks {
            // neurons i with i % ranks == r live on rank r (round robin, as NEST)
            let mut ids = Vec::new();
            let mut times = Vec::new();
            for step in 0..warm + rec {
                if (step + 1) % every == 0 {
                    for i in (0..pop.n as u32).filter(|i| *i as usize % ranks == r) {
                        ids.push(first + i);
                        times.push((step + 1) as f64 * dt);
                    }
                }
            }
            write_npy_u32(
                &dir.join(format!("spikes_{name}_r{r}_ids.npy")),
                &[ids.len()],
                &ids,
            )
            .unwrap();
            write_npy_f64(
                &dir.join(format!("spikes_{name}_r{r}_times.npy")),
                &[times.len()],
                &times,
            )
            .unwrap();
        }
        let dim = 2 * m.d() + m.d_in();
        if dim > 0 {
            write_npy_f64(
                &dir.join(format!("loadings_{name}.npy")),
                &[pop.n, dim],
                &vec![loadings; pop.n * dim],
            )
            .unwrap();
        }
        first += pop.n as u32;
    }
    std::fs::write(
        dir.join("nest_run.json"),
        json!({"format": "balnet-nest/1", "model": m, "resolution_ms": dt * 1e3,
               "warm_steps": warm, "rec_steps": rec, "seed": 7, "threads": 2,
               "num_processes": ranks, "neuron_model": "iaf_psc_delta"})
        .to_string(),
    )
    .unwrap();
}

#[test]
fn spike_folder_of_regular_trains_gives_closed_form_statistics() {
    let mut m = presets::default_model();
    for p in &mut m.populations {
        p.n = 40;
        p.c = 0.5;
    }
    m.k = 10.0;
    m.sim.mode = SimMode::Grid;
    m.sim.warmup = 0.2;
    m.sim.duration = 1.0;
    m.sim.corr_pairs = 10;
    let tau_s = 0.01;
    if let Some(l) = m.latent.as_mut() {
        l.tau_s = tau_s;
    }
    m.validate().unwrap();
    let dir = tmp("regular");
    let period = 0.1;
    write_regular_folder(&dir, &m, period, 3, 1.0);
    let f = read_spikes(&dir).unwrap();
    assert_eq!(f.processes, 3);
    assert_eq!(f.fast_connections, 30);
    assert_eq!(f.model.sim.seed, 7);
    let r = result_from_spikes(&f).unwrap();
    for p in &r.populations {
        // 10 spikes in 1 s, intervals all equal: rate 10 Hz, ISI CV 0 (to the sqrt(eps)
        // of the recorder's one-pass variance), no silent neuron
        assert!(close(p.rate_hz, 10.0, 1e-12), "{}", p.rate_hz);
        assert!(p.cv_isi.abs() < 1e-6, "{}", p.cv_isi);
        assert_eq!(p.silent_fraction, 0.0);
        assert!(p.mean_v_mv.is_nan() && p.chi.is_nan());
    }
    // kappa = sum_B c_B <n_j r_j>, n_j = 1, r_j a regular train filtered with
    // exp(-t/tau_s)/tau_s and sampled at the step ends where the spikes fall: over whole
    // periods its mean is nu (dt/tau_s) / (1 - exp(-dt/tau_s)) (a geometric sum)
    let dt = m.sim.dt;
    let nu = 1.0 / period;
    let expected = 2.0 * 0.5 * nu * (dt / tau_s) / (1.0 - (-dt / tau_s).exp());
    assert!(
        close(r.kappa_mean[0], expected, 1e-6),
        "{} vs {expected}",
        r.kappa_mean[0]
    );
    assert!(close(r.duration, 1.0, 1e-12) && close(r.warmup, 0.2, 1e-12));
    // and the folder is written in the layout of `balnet simulate --out`
    let out = dir.join("summary");
    balnet::sim::output::write_dir(&out, &r).unwrap();
    for f in [
        "summary.json",
        "rates_E.npy",
        "kappa_t.npy",
        "raster_I_ids.npy",
    ] {
        assert!(out.join(f).exists(), "{f}");
    }
}

#[test]
fn spike_folder_errors_name_the_file() {
    let m = {
        let mut m = presets::default_d0();
        for p in &mut m.populations {
            p.n = 20;
        }
        m.k = 10.0;
        m.sim.warmup = 0.1;
        m.sim.duration = 0.2;
        m
    };
    let dir = tmp("errors");
    write_regular_folder(&dir, &m, 0.05, 2, 0.0);
    // a process that has not finished
    std::fs::remove_file(dir.join("nest_rank1.json")).unwrap();
    let e = read_spikes(&dir).unwrap_err().to_string();
    assert!(
        e.contains("nest_rank1.json") && e.contains("not finished"),
        "{e}"
    );
    // a neuron of another population
    write_regular_folder(&dir, &m, 0.05, 2, 0.0);
    write_npy_u32(&dir.join("spikes_E_r0_ids.npy"), &[1], &[25]).unwrap();
    write_npy_f64(&dir.join("spikes_E_r0_times.npy"), &[1], &[0.01]).unwrap();
    let e = read_spikes(&dir).unwrap_err().to_string();
    assert!(
        e.contains("spikes_E_r0_ids.npy") && e.contains("not in population E"),
        "{e}"
    );
    // a missing folder
    let e = read_spikes(&dir.join("nope")).unwrap_err().to_string();
    assert!(e.contains("nest_run.json"), "{e}");
}

#[test]
fn cli_writes_the_script_and_summarises_a_spike_folder() {
    let bin = env!("CARGO_BIN_EXE_balnet");
    let dir = tmp("cli");
    let script = dir.join("brunel.py");
    let out = std::process::Command::new(bin)
        .args(["export", "nest", "brunel-a", "--n-scale", "0.2", "-o"])
        .arg(&script)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let info: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(info["neuron_model"], "iaf_psc_delta");
    // 2500 neurons x (1000 + 250) inputs
    assert_eq!(info["cost"]["fast_connections_expected"], 3_125_000.0);
    let plan = plan_of(&std::fs::read_to_string(&script).unwrap());
    assert_eq!(plan["populations"][0]["n"], 2000);
    // a refused export exits with status 1 and names the field
    let out = std::process::Command::new(bin)
        .args(["export", "nest", "default"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sim.mode"));
    // nest-summary on a folder of regular 20 Hz trains
    let mut m = presets::default_d0();
    for p in &mut m.populations {
        p.n = 20;
    }
    m.k = 10.0;
    m.sim.warmup = 0.1;
    m.sim.duration = 0.5;
    let spikes = dir.join("run");
    std::fs::create_dir_all(&spikes).unwrap();
    write_regular_folder(&spikes, &m, 0.05, 1, 0.0);
    let out = std::process::Command::new(bin)
        .args(["export", "nest-summary"])
        .arg(&spikes)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let s: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(close(
        s["populations"][0]["rate_hz"].as_f64().unwrap(),
        20.0,
        1e-12
    ));
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(spikes.join("summary.json")).unwrap())
            .unwrap();
    assert_eq!(summary["populations"][1]["name"], "I");
}
