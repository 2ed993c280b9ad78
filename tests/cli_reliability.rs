//! The `balnet` command line on bad and extreme input: every case ends in bounded time with
//! a clear error or a correct, finite result (docs/theory.md 7, "Simulator run limits";
//! docs/theory.md 7, "Output folders").

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_balnet");
/// Hang guard: a case that has not finished by then is a failure (not a timing assertion:
/// every case here finishes in seconds).
const HANG_GUARD: Duration = Duration::from_secs(300);

fn input(name: &str) -> String {
    format!("{}/tests/data/repro/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("balnet-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    d
}

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn wait(mut child: Child) -> Out {
    let so = child.stdout.take();
    let se = child.stderr.take();
    let drain = |r: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut s = Vec::new();
            if let Some(mut r) = r {
                let _ = r.read_to_end(&mut s);
            }
            s
        })
    };
    let t_out = drain(so.map(|r| Box::new(r) as Box<dyn Read + Send>));
    let t_err = drain(se.map(|r| Box::new(r) as Box<dyn Read + Send>));
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().expect("wait") {
            break st;
        }
        if start.elapsed() > HANG_GUARD {
            let _ = child.kill();
            panic!("balnet did not finish within {HANG_GUARD:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    Out {
        code: status.code(),
        stdout: String::from_utf8_lossy(&t_out.join().unwrap()).into_owned(),
        stderr: String::from_utf8_lossy(&t_err.join().unwrap()).into_owned(),
    }
}

fn balnet(args: &[&str]) -> Out {
    let child = Command::new(BIN)
        .args(args)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn balnet");
    wait(child)
}

/// A clear error: status 1, one `balnet: error:` message containing every `needle`, no panic.
fn assert_error(o: &Out, needles: &[&str]) {
    assert_eq!(o.code, Some(1), "stderr: {}", o.stderr);
    assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
    assert!(o.stderr.contains("balnet: error:"), "{}", o.stderr);
    for n in needles {
        assert!(o.stderr.contains(n), "`{n}` not in: {}", o.stderr);
    }
}

fn assert_ok(o: &Out) -> serde_json::Value {
    assert_eq!(o.code, Some(0), "stderr: {}", o.stderr);
    assert!(!o.stderr.contains("panicked"), "{}", o.stderr);
    serde_json::from_str(&o.stdout).expect("JSON on stdout")
}

/// Case 4: a reader that goes away (`| head -1`) ends the program quietly with status 0.
#[test]
fn broken_pipe_is_quiet() {
    // about 800 kB of JSON: far more than a pipe buffer, so balnet writes after the close
    let mut child = Command::new(BIN)
        .args([
            "rate-distribution",
            &input("tiny_brunel.toml"),
            "--pop",
            "E",
            "--points",
            "20000",
        ])
        .env_remove("RUST_BACKTRACE")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut so = child.stdout.take().unwrap();
    let mut first = [0u8; 16];
    so.read_exact(&mut first).unwrap();
    drop(so);
    let o = wait(child);
    assert_eq!(o.code, Some(0), "stderr: {}", o.stderr);
    assert!(o.stderr.is_empty(), "stderr: {}", o.stderr);
}

/// Case 9: `sim.corr_pairs` beyond the documented limit is refused before any allocation.
#[test]
fn corr_pairs_limit() {
    let o = balnet(&[
        "simulate",
        &input("sim_corr_pairs_1e9.toml"),
        "--quiet",
        "--threads",
        "1",
    ]);
    assert_error(&o, &["sim.corr_pairs", "1000000000", "10000000"]);
    // the largest representable value too (was: allocation abort)
    let dir = scratch("pairs");
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(input("sim_corr_pairs_1e9.toml"))
        .unwrap()
        .replace(
            "corr_pairs = 1000000000",
            "corr_pairs = 9223372036854775807",
        );
    let f = dir.join("m.toml");
    std::fs::write(&f, text).unwrap();
    let o = balnet(&["simulate", f.to_str().unwrap(), "--quiet"]);
    assert_error(&o, &["sim.corr_pairs"]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Case 10: `duration = 1e300` (file or flag) is refused by the magnitude rule of the
/// Model (docs/theory.md section 7); a duration within it but beyond the run limits
/// (1e9 s) is refused with what the run would take.
#[test]
fn duration_limit() {
    let o = balnet(&["simulate", &input("sim_duration_1e300.toml"), "--quiet"]);
    assert_error(&o, &["sim.duration", "1e12"]);
    let o = balnet(&[
        "simulate",
        &input("tiny_d0.toml"),
        "--quiet",
        "--duration",
        "1e300",
    ]);
    assert_error(&o, &["sim.duration", "1e12"]);
    let o = balnet(&[
        "simulate",
        &input("tiny_d0.toml"),
        "--quiet",
        "--duration",
        "1e9",
    ]);
    assert_error(&o, &["sim.duration", "neuron updates", "--duration"]);
}

/// Case 16: a warm-up too long to simulate is an error, not a run that reports rates 0.
#[test]
fn warmup_limit() {
    for w in ["1e300", "1e9"] {
        let o = balnet(&[
            "simulate",
            &input("tiny_d0.toml"),
            "--quiet",
            "--threads",
            "1",
            "--warmup",
            w,
        ]);
        // 1e300 breaks the Model's magnitude rule, 1e9 s the run limits
        let why = if w == "1e300" {
            "1e12"
        } else {
            "neuron updates"
        };
        assert_error(&o, &["sim.warmup", why]);
    }
}

/// `raster_neurons` near 2^62: the raster holds at most every neuron; the run succeeds
/// with finite, physical results.
#[test]
fn raster_neurons_huge() {
    let dir = scratch("raster");
    std::fs::create_dir_all(&dir).unwrap();
    let text = std::fs::read_to_string(input("tiny_d0.toml"))
        .unwrap()
        .replace(
            "raster_neurons = 100",
            "raster_neurons = 4611686018427387904",
        );
    let f = dir.join("m.toml");
    std::fs::write(&f, text).unwrap();
    let v = assert_ok(&balnet(&[
        "simulate",
        f.to_str().unwrap(),
        "--quiet",
        "--threads",
        "1",
    ]));
    for p in v["populations"].as_array().unwrap() {
        let r = p["rate_hz"].as_f64().unwrap();
        // at most one spike per refractory period
        assert!(r.is_finite() && (0.0..=500.0).contains(&r), "rate {r}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Case 12 and the other output-size guards of the theory commands.
#[test]
fn theory_output_limits() {
    let o = balnet(&[
        "rate-distribution",
        &input("tiny_default.toml"),
        "--pop",
        "E",
        "--points",
        "1000000000",
    ]);
    assert_error(&o, &["--points", "1000000"]);
    let o = balnet(&["dynamics", "--t-end", "1e300"]);
    assert_error(&o, &["--t-end", "samples"]);
    let o = balnet(&["dynamics", "--dt-out", "1e-9"]);
    assert_error(&o, &["--dt-out", "samples"]);
    let o = balnet(&["dynamics", "--dt-out", "-1"]);
    assert_error(&o, &["--dt-out", "> 0"]);
    let o = balnet(&[
        "tuning",
        "--kappa-a",
        "0",
        "--kappa-b",
        "1",
        "--points",
        "100000",
    ]);
    assert_error(&o, &["--points", "10000"]);
    let o = balnet(&[
        "tuning",
        "--kappa-a",
        "0",
        "--kappa-b",
        "1",
        "--curves",
        "100000000",
    ]);
    assert_error(&o, &["--curves", "10000"]);
}

/// Case 19: population names that give the same file names are refused before the run,
/// and the error names both.
#[test]
fn colliding_population_names() {
    let dir = scratch("names");
    let o = balnet(&[
        "simulate",
        &input("names_sanitize_collision.toml"),
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_error(&o, &["\"E+\"", "\"E*\"", "rates_E_.npy"]);
    assert!(!dir.join("rates_E_.npy").exists());
    let _ = std::fs::remove_dir_all(&dir);
}

/// A model that passes validation and the run limits but that the simulator refuses when
/// it builds the network (a delay of 65000 steps): an output folder error reported instead
/// proves that the folder is checked before the run starts.
fn model_failing_in_build(dir: &Path) -> PathBuf {
    let text = std::fs::read_to_string(input("tiny_d0.toml"))
        .unwrap()
        .replace("max = 0.0025", "max = 6.5");
    let f = dir.join("late_error.toml");
    std::fs::write(&f, text).unwrap();
    f
}

/// Case 23: an unusable `--out` is found before any work.
#[test]
fn bad_output_folder_before_run() {
    let dir = scratch("badout");
    std::fs::create_dir_all(&dir).unwrap();
    let m = model_failing_in_build(&dir);
    // the model does fail later without --out
    let o = balnet(&["simulate", m.to_str().unwrap(), "--quiet"]);
    assert_error(&o, &["delay"]);
    let a_file = dir.join("a_file");
    std::fs::write(&a_file, "x").unwrap();
    let nested = a_file.join("x");
    for out in [
        "/proc/nope",
        "/dev/null/x",
        a_file.to_str().unwrap(),
        nested.to_str().unwrap(),
    ] {
        for cmd in ["simulate", "compare"] {
            let o = balnet(&[cmd, m.to_str().unwrap(), "--quiet", "--out", out]);
            assert_error(&o, &["output folder", out]);
            // refused before the run: the model's own error (its delay) is never reached;
            // a unit-range warning about the delay may precede the refusal
            assert!(
                !o.stderr
                    .lines()
                    .any(|l| l.contains("error") && l.contains("delay")),
                "{}",
                o.stderr
            );
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// A finished run whose files cannot be written is not lost: the full result goes to
/// stdout, the error to stderr. (`rates_E.npy` is a folder here, so its rename fails.)
#[test]
fn write_error_after_run_keeps_result() {
    let dir = scratch("fallback");
    std::fs::create_dir_all(dir.join("rates_E.npy")).unwrap();
    let o = balnet(&[
        "simulate",
        &input("tiny_d0.toml"),
        "--quiet",
        "--threads",
        "1",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_error(&o, &["rates_E.npy", "printed on stdout"]);
    let v: serde_json::Value = serde_json::from_str(&o.stdout).expect("result on stdout");
    let rates = v["populations"][0]["rates_hz"].as_array().unwrap();
    assert_eq!(rates.len(), 2000);
    assert!(
        !dir.join("summary.json").exists(),
        "incomplete folder marked complete"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn manifest(dir: &Path) -> Vec<(String, u64)> {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["name"].as_str().unwrap().to_string(),
                f["bytes"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Case 24: a run into a folder that held another model's run leaves only its own files
/// (and files balnet never wrote); `summary.json` lists every file with its size.
#[test]
fn stale_files_removed() {
    let dir = scratch("stale");
    let d = dir.to_str().unwrap();
    let run = |model: &str| {
        assert_ok(&balnet(&[
            "simulate",
            &input(model),
            "--quiet",
            "--threads",
            "1",
            "--out",
            d,
        ]))
    };
    run("tiny_d0.toml");
    assert!(dir.join("rates_E.npy").exists());
    // files of the user's own: never deleted
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    std::fs::write(dir.join("rates_Z.npy"), "mine").unwrap();
    let v = run("stale_files_xy.toml");
    assert!(v.get("dt_s").is_some() && v.get("dt").is_none());
    let files = listing(&dir);
    for old in [
        "rates_E.npy",
        "rates_I.npy",
        "cv_isi_E.npy",
        "raster_I_times.npy",
    ] {
        assert!(
            !files.contains(&old.to_string()),
            "stale {old} left: {files:?}"
        );
    }
    let m = manifest(&dir);
    let mut expected: Vec<String> = m.iter().map(|(n, _)| n.clone()).collect();
    expected.extend(["notes.txt", "rates_Z.npy", "summary.json"].map(String::from));
    expected.sort();
    assert_eq!(files, expected);
    for (name, bytes) in &m {
        assert_eq!(
            std::fs::metadata(dir.join(name)).unwrap().len(),
            *bytes,
            "{name}"
        );
    }
    assert!(m.iter().any(|(n, _)| n == "rates_X.npy"));
    // summary.json uses the unit-suffixed names of report.json
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["dt_s"].as_f64(), Some(1e-4));
    assert!(s.get("dt").is_none());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `compare` honours the Model's `[sim] mode`, writes only the figures it draws, removes
/// the figures of an earlier comparison in the folder, reports only what it wrote, and
/// spells variants as `report.json` does.
#[test]
fn compare_folder_and_names() {
    let dir = scratch("compare");
    std::fs::create_dir_all(&dir).unwrap();
    // an earlier comparison (of a D = 1 model) left kappa_t and tuning figures
    for f in ["kappa_t.png", "kappa_t.svg", "tuning.png"] {
        std::fs::write(dir.join(f), "old figure").unwrap();
    }
    std::fs::write(
        dir.join("report.json"),
        r#"{"files": [{"name": "kappa_t.png", "bytes": 10}, {"name": "kappa_t.svg", "bytes": 10}, {"name": "tuning.png", "bytes": 10}]}"#,
    )
    .unwrap();
    let o = balnet(&[
        "compare",
        &input("tiny_d0.toml"),
        "--quiet",
        "--threads",
        "1",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(!dir.join("kappa_t.png").exists() && !dir.join("tuning.png").exists());
    assert!(!o.stdout.contains("kappa_t"), "{}", o.stdout);
    assert!(o.stdout.contains("grid mode"), "{}", o.stdout);
    assert!(!o.stdout.contains("ShotNoise") && !o.stdout.contains("Siegert"));
    let report: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["sim_mode"], "grid");
    let transfer = report["theories"][0]["transfer"].as_str().unwrap();
    assert!(o.stdout.contains(&format!("transfer {transfer}")));
    let files = report["files"].as_array().unwrap();
    assert!(files.iter().any(|f| f["name"] == "raster.png"));
    for f in files {
        let name = f["name"].as_str().unwrap();
        let len = std::fs::metadata(dir.join(name)).unwrap().len();
        assert_eq!(Some(len), f["bytes"].as_u64(), "{name}");
    }
    assert!(dir.join("sim/summary.json").exists());
    // `--mode Precise` (any case) overrides the file
    let o = balnet(&[
        "compare",
        &input("tiny_d0.toml"),
        "--quiet",
        "--mode",
        "Precise",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(o.stdout.contains("precise mode"), "{}", o.stdout);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Small CLI defects: negative numbers parse and are then validated; `.JSON` is JSON;
/// presets are accepted where a model file is; `--threads` beyond the cores is capped
/// with a warning; required flags are marked; every brunel-a flag has help.
#[test]
fn small_cli_defects() {
    let o = balnet(&["simulate", "--duration", "-1"]);
    assert_error(&o, &["--duration", "-1", "> 0 (s)"]);
    let o = balnet(&["simulate", "--warmup", "-0.5"]);
    assert_error(&o, &["--warmup", ">= 0 (s)"]);

    let dir = scratch("defects");
    std::fs::create_dir_all(&dir).unwrap();
    // TOML text in a .JSON file is read as JSON (and so fails to parse as JSON)
    let toml_text = std::fs::read_to_string(input("tiny_d0.toml")).unwrap();
    std::fs::write(dir.join("m.JSON"), &toml_text).unwrap();
    let o = balnet(&["solve", dir.join("m.JSON").to_str().unwrap()]);
    assert_error(&o, &["cannot parse model"]);
    let o = balnet(&["model", "default-d0"]);
    assert_eq!(o.code, Some(0));
    let m: serde_json::Value = {
        let t: toml::Value = toml::from_str(&o.stdout).unwrap();
        serde_json::to_value(t).unwrap()
    };
    std::fs::write(dir.join("m.Json"), m.to_string()).unwrap();
    let a = assert_ok(&balnet(&["solve", dir.join("m.Json").to_str().unwrap()]));
    // presets by name, in any case
    let b = assert_ok(&balnet(&["solve", "Default-D0"]));
    assert_eq!(a["populations"], b["populations"]);
    let o = balnet(&["solve", "no-such-model"]);
    assert_error(&o, &["no-such-model", "default-d0", "latent-bistable"]);

    let o = balnet(&[
        "simulate",
        &input("tiny_d0.toml"),
        "--quiet",
        "--threads",
        "1000",
        "--duration",
        "0.06",
        "--mode",
        "GRID",
    ]);
    assert_ok(&o);
    assert!(o.stderr.contains("warning: --threads 1000"), "{}", o.stderr);

    let o = balnet(&["tuning", "--help"]);
    assert!(
        o.stdout.contains("--kappa-a <KAPPA_A> --kappa-b <KAPPA_B>"),
        "{}",
        o.stdout
    );
    let o = balnet(&["model", "brunel-a", "--help"]);
    for flag in ["--g <G>", "--eta <ETA>"] {
        let line = o.stdout.lines().find(|l| l.contains(flag)).unwrap();
        assert!(line.trim().len() > flag.len() + 5, "no help text: {line}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Case 15: `balnet siegert` with a mean input beyond the magnitude rule (docs/theory.md
/// section 7) is an error naming `mu`, not a null rate with status 0; far below threshold
/// within the rule the rate is 0 and finite.
#[test]
fn siegert_extreme_mean_input() {
    for mu in ["1e300", "-1e300"] {
        let o = balnet(&["siegert", "--mu", mu, "--sigma", "8", "--tau-ref", "0"]);
        assert_error(&o, &["mu", "1e12"]);
    }
    let v = assert_ok(&balnet(&["siegert", "--mu", "-1e12", "--sigma", "8"]));
    assert_eq!(v["rate_hz"].as_f64(), Some(0.0));
}
