//! The `balnet` command line as a new user meets it: unit slips are warned about
//! (docs/theory.md 7, "Physiological ranges"), presets work wherever a model file does,
//! `solve` takes the input `s`, help marks what is required, the Brunel (2000) preset
//! draws its inputs as the paper does, and JSON keys carry their units.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

const BIN: &str = env!("CARGO_BIN_EXE_balnet");

fn input(name: &str) -> String {
    format!("{}/tests/data/repro/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("balnet-ux-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn balnet_in(dir: Option<&Path>, args: &[&str]) -> Out {
    let mut c = Command::new(BIN);
    c.args(args)
        .env_remove("RUST_BACKTRACE")
        .stdin(Stdio::null());
    if let Some(d) = dir {
        c.current_dir(d);
    }
    let o = c.output().expect("run balnet");
    Out {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn balnet(args: &[&str]) -> Out {
    balnet_in(None, args)
}

fn json_ok(o: &Out) -> serde_json::Value {
    assert_eq!(o.code, Some(0), "stderr: {}", o.stderr);
    serde_json::from_str(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", o.stdout))
}

/// `tau_m = 20` (seconds, meant as ms) gives plausible-looking rates: it is computed as
/// given but warned about on stderr and in the JSON, naming the parameter, the value, the
/// unit, the range and what was probably meant.
#[test]
fn unit_slips_are_warned_about() {
    let o = balnet(&["siegert", "--mu", "15", "--sigma", "5", "--tau-m", "20"]);
    let v = json_ok(&o);
    for needle in [
        "balnet: warning: tau_m = 20 s",
        "[0.0001, 1] s",
        "probably meant 20 ms = 0.02 s",
    ] {
        assert!(o.stderr.contains(needle), "{needle}: {}", o.stderr);
    }
    let w = v["warnings"].as_array().unwrap();
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0]["parameter"], "tau_m");
    assert_eq!(w[0]["value"], 20.0);
    assert_eq!(w[0]["unit"], "s");

    // a threshold given in volts
    let o = balnet(&[
        "siegert",
        "--mu",
        "0.015",
        "--sigma",
        "0.005",
        "--theta",
        "0.02",
        "--v-reset",
        "0.01",
    ]);
    json_ok(&o);
    assert!(
        o.stderr.contains("theta = 0.02 mV") && o.stderr.contains("0.02 V = 20 mV"),
        "{}",
        o.stderr
    );

    // the same slip in a model file, found by every command that reads one
    let dir = scratch("slip");
    let text = std::fs::read_to_string(input("tiny_d0.toml"))
        .unwrap()
        .replacen("tau_m = 0.02", "tau_m = 20.0", 1);
    let file = dir.join("slip.toml");
    std::fs::write(&file, text).unwrap();
    let o = balnet(&["solve", file.to_str().unwrap()]);
    let v = json_ok(&o);
    assert!(
        o.stderr.contains("populations[0].tau_m = 20 s"),
        "{}",
        o.stderr
    );
    assert_eq!(v["warnings"][0]["parameter"], "populations[0].tau_m");

    // a physiological model: no warning, an empty list
    let o = balnet(&["solve", "default-d0"]);
    let v = json_ok(&o);
    assert!(!o.stderr.contains("warning"), "{}", o.stderr);
    assert_eq!(v["warnings"], serde_json::json!([]));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A folder named like a preset (an output folder `--out latent-bistable`) does not hide
/// the preset; `solve --s` sets the input; required flags and every brunel-a flag have help.
#[test]
fn presets_inputs_and_help() {
    let dir = scratch("presets");
    std::fs::create_dir_all(dir.join("latent-bistable")).unwrap();
    let v = json_ok(&balnet_in(Some(&dir), &["solve", "latent-bistable"]));
    assert_eq!(v["model"], "latent-bistable");
    let o = balnet_in(Some(&dir), &["solve", "no-such-model"]);
    assert_eq!(o.code, Some(1));
    assert!(
        o.stderr.contains("no-such-model") && o.stderr.contains("brunel-a"),
        "{}",
        o.stderr
    );

    // zero-mean loadings: kappa = 0 is a fixed point at s = 0 and not at s = 1, where the
    // input loading w = 0.09 m drives kappa (docs/theory.md section 5)
    let at = |s: &str| {
        let v = json_ok(&balnet(&["solve", "default", "--s", s]));
        assert_eq!(v["s"][0].as_f64(), Some(s.parse::<f64>().unwrap()));
        v["fixed_points"][0]["kappa_hz"][0].as_f64().unwrap()
    };
    let (k0, k1) = (at("0"), at("1"));
    assert!(k0.abs() < 1e-6, "kappa* at s = 0: {k0}");
    assert!(k1 > 1.0, "kappa* at s = 1: {k1}");
    let o = balnet(&["solve", "default", "--s", "1,2"]);
    assert_eq!(o.code, Some(1));
    assert!(o.stderr.contains("--s"), "{}", o.stderr);

    let o = balnet(&["tuning", "--help"]);
    assert_eq!(o.stdout.matches("[required]").count(), 2, "{}", o.stdout);
    let o = balnet(&["model", "brunel-a", "--help"]);
    for flag in ["--g <G>", "--eta <ETA>"] {
        let line = o
            .stdout
            .lines()
            .find(|l| l.trim_start().starts_with(flag))
            .unwrap_or_else(|| panic!("{flag} missing: {}", o.stdout));
        assert!(line.contains("[required]") && line.len() > 40, "{line}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// Brunel (2000) draws the C_E and C_I inputs of a neuron independently (multapses
/// possible), as NEST's `fixed_indegree` and the Brian2 scripts do; distinct inputs are an
/// option.
#[test]
fn brunel_preset_samples_with_replacement() {
    let o = balnet(&["model", "brunel-a", "--g", "5", "--eta", "2"]);
    assert_eq!(o.code, Some(0), "{}", o.stderr);
    assert!(
        o.stdout
            .contains("connectivity = \"fixed_indegree_replacement\""),
        "{}",
        o.stdout
    );
    let o = balnet(&[
        "model",
        "brunel-a",
        "--g",
        "5",
        "--eta",
        "2",
        "--without-replacement",
    ]);
    assert!(
        o.stdout.contains("connectivity = \"fixed_indegree\""),
        "{}",
        o.stdout
    );
    let m = balnet::presets::by_name("Brunel_A").unwrap();
    assert_eq!(
        m.connectivity,
        balnet::model::Connectivity::FixedIndegreeReplacement
    );
}

/// Keys of `summary.json` and of `simulate`'s JSON carry their units, as `report.json` does.
#[test]
fn json_keys_carry_units() {
    let dir = scratch("keys");
    let out = dir.join("run");
    let o = balnet(&[
        "simulate",
        &input("tiny_d0.toml"),
        "--quiet",
        "--threads",
        "1",
        "--out",
        out.to_str().unwrap(),
    ]);
    let v = json_ok(&o);
    assert!(v.get("kappa_mean_hz").is_some() && v.get("kappa_mean").is_none());
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    for key in [
        "dt_s",
        "duration_s",
        "warmup_s",
        "epoch_windows_s",
        "kappa_mean_hz",
        "kappa_t_hz",
    ] {
        assert!(s.get(key).is_some(), "{key} missing");
    }
    for key in ["dt", "epoch_windows", "kappa_mean", "kappa_t"] {
        assert!(s.get(key).is_none(), "{key} without unit");
    }
    let p = &s["populations"][0];
    for key in ["rate_t_hz", "mean_v_t_mv", "raster_times_s"] {
        assert!(p.get(key).is_some(), "populations[0].{key} missing");
    }
    // and the summary reads back
    let back: balnet::sim::SimResult = serde_json::from_value(s).unwrap();
    assert_eq!(back.dt, 1e-4);
    let _ = std::fs::remove_dir_all(&dir);
}

/// `balnet spectrum --response shot-noise` uses the master-equation network response
/// (docs/theory.md 6.4) where it is defined, says so in the JSON, and refuses a model
/// with latent variables naming them.
#[test]
fn spectrum_with_the_shot_noise_response() {
    let args = |resp: &str| {
        json_ok(&balnet(&[
            "spectrum",
            "brunel-a",
            "--transfer",
            "shot-noise",
            "--response",
            resp,
            "--points",
            "1",
            "--f-max",
            "125",
        ]))
    };
    let (shot, diffusion) = (args("shot-noise"), args("closed-form"));
    assert!(
        shot["network_response"]
            .as_str()
            .unwrap()
            .contains("shot noise")
    );
    // same state and intrinsic spectra; the two responses differ at the resonance
    let p = |v: &serde_json::Value| v["population_spectra_hz"][0][0][0][0].as_f64().unwrap();
    assert_eq!(shot["rates_hz"], diffusion["rates_hz"]);
    assert!((p(&shot) / p(&diffusion) - 1.0).abs() > 0.05);
    let o = balnet(&[
        "spectrum",
        "default",
        "--response",
        "shot-noise",
        "--points",
        "1",
    ]);
    assert_ne!(o.code, Some(0));
    assert!(o.stderr.contains("latent"), "{}", o.stderr);
}
