//! Interrupting `balnet simulate --out` while it writes (SIGINT, SIGTERM) never leaves a
//! truncated file under a final name, a folder without `summary.json` is recognisably
//! unfinished, and a rerun into the same folder succeeds and leaves exactly the files its
//! `summary.json` lists (docs/theory.md 7, "Output folders").

#![cfg(unix)]

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_balnet");
const HANG_GUARD: Duration = Duration::from_secs(300);

/// A model of `p` uncoupled populations of `n` neurons driven by Poisson input (about
/// 20 Hz each): `4 p + 4` NPY files and a `summary.json` of a few MB, written in a burst
/// at the end of a short run.
fn many_files_model(p: usize, n: usize) -> String {
    let mut s = String::from(
        "name = \"many files\"\nk = 100.0\nconnectivity = \"bernoulli\"\n\
         transfer = \"siegert\"\nnoise = \"poisson\"\n",
    );
    let row = vec!["0.0"; p].join(", ");
    s += &format!("j = [{}]\n", vec![format!("[{row}]"); p].join(", "));
    s += "\n[external]\nc0 = 1.0\nnu0 = 25.0\n\n[delay]\nkind = \"fixed\"\nd = 0.0015\n";
    for a in 0..p {
        s += &format!(
            "\n[[populations]]\nname = \"P{a}\"\nn = {n}\nc = 0.0\ntau_m = 0.02\n\
             theta = 20.0\nv_reset = 10.0\ntau_ref = 0.002\nj_ext = 5.0\nbeta_ext = 0.0\n"
        );
    }
    s += "\n[sim]\ndt = 0.0001\nduration = 0.06\nwarmup = 0.0\nseed = 1\nmode = \"grid\"\n\
          record_bin = 0.0001\nraster_neurons = 1000000\ncorr_pairs = 10\n";
    s
}

fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("balnet-int-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Check an NPY file: magic, version 1.0, header, and a size that matches the shape.
fn check_npy(path: &Path) -> Result<(), String> {
    let b = std::fs::read(path).map_err(|e| e.to_string())?;
    if b.len() < 10 || &b[..8] != b"\x93NUMPY\x01\x00" {
        return Err("bad magic".into());
    }
    let hl = u16::from_le_bytes([b[8], b[9]]) as usize;
    let header = std::str::from_utf8(b.get(10..10 + hl).ok_or("short header")?)
        .map_err(|e| e.to_string())?;
    let width = if header.contains("'<f8'") {
        8
    } else if header.contains("'<u4'") {
        4
    } else {
        return Err(format!("descr: {header}"));
    };
    let shape = header
        .split("'shape': (")
        .nth(1)
        .and_then(|r| r.split(')').next())
        .ok_or("no shape")?;
    let count: usize = shape
        .split(',')
        .map(str::trim)
        .filter(|x| !x.is_empty())
        .map(|x| x.parse::<usize>().map_err(|e| e.to_string()))
        .product::<Result<usize, String>>()?;
    let want = 10 + hl + count * width;
    if b.len() != want {
        return Err(format!("{} bytes, header says {want}", b.len()));
    }
    Ok(())
}

fn manifest(dir: &Path) -> Option<Vec<(String, u64)>> {
    let text = std::fs::read_to_string(dir.join("summary.json")).ok()?;
    let v: serde_json::Value = serde_json::from_str(&text).expect("summary.json parses");
    Some(
        v["files"]
            .as_array()
            .expect("files")
            .iter()
            .map(|f| {
                (
                    f["name"].as_str().unwrap().to_string(),
                    f["bytes"].as_u64().unwrap(),
                )
            })
            .collect(),
    )
}

/// Every file under a final name is complete; a marked folder holds exactly what its
/// marker lists.
fn check_folder(dir: &Path, finished: bool) {
    let mut names = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            assert!(
                !finished,
                "temporary file {name} left by a finished run in {}",
                dir.display()
            );
            continue;
        }
        let path = dir.join(&name);
        if name.ends_with(".npy") {
            check_npy(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        } else if name.ends_with(".json") {
            let text = std::fs::read_to_string(&path).unwrap();
            serde_json::from_str::<serde_json::Value>(&text)
                .unwrap_or_else(|e| panic!("{name} is not valid JSON: {e}"));
        }
        names.push(name);
    }
    match manifest(dir) {
        Some(files) => {
            for (name, bytes) in &files {
                let len = std::fs::metadata(dir.join(name))
                    .unwrap_or_else(|_| panic!("{name} listed but missing"))
                    .len();
                assert_eq!(len, *bytes, "{name}");
            }
            if finished {
                let mut listed: Vec<String> = files.into_iter().map(|f| f.0).collect();
                listed.push("summary.json".into());
                listed.sort();
                names.sort();
                assert_eq!(names, listed, "folder holds exactly the files of the run");
            }
        }
        None => assert!(!finished, "a finished run wrote no summary.json"),
    }
}

fn run_to_end(model: &Path, dir: &Path) {
    let st = Command::new(BIN)
        .args([
            "simulate",
            model.to_str().unwrap(),
            "--quiet",
            "--threads",
            "1",
        ])
        .arg("--out")
        .arg(dir)
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(st.success());
}

/// Start a run, wait until the file `marker_file` appears in `dir` (written by this run:
/// the folder is emptied of it first), then send `signal`.
fn interrupted_run(model: &Path, dir: &Path, signal: &str, marker_file: &str) {
    let target = dir.join(marker_file);
    let _ = std::fs::remove_file(&target);
    let mut child = Command::new(BIN)
        .args([
            "simulate",
            model.to_str().unwrap(),
            "--quiet",
            "--threads",
            "1",
        ])
        .arg("--out")
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while !target.exists() && child.try_wait().unwrap().is_none() {
        assert!(
            start.elapsed() < HANG_GUARD,
            "run did not write {marker_file}"
        );
        std::thread::sleep(Duration::from_micros(100));
    }
    let _ = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status();
    let _ = child.wait();
}

#[test]
fn interrupted_writes_leave_complete_files() {
    let dir = scratch("writes");
    let big = dir.join("big.toml");
    std::fs::write(&big, many_files_model(24, 2000)).unwrap();
    let small = dir.join("small.toml");
    std::fs::write(&small, many_files_model(2, 500)).unwrap();
    let out = dir.join("out");
    // a finished run first, so that interrupted runs replace an existing one
    run_to_end(&small, &out);
    check_folder(&out, true);
    let mut interrupted_unfinished = 0;
    // interrupt at successive points of the burst of writes: after the first arrays, in the
    // middle of the per-population files, and while summary.json is serialised and written
    let points = [
        ".balnet-pending.json",
        "rate_t.npy",
        "rates_P3.npy",
        "cv_isi_P8.npy",
        "raster_P12_ids.npy",
        "rates_P17.npy",
        "raster_P21_times.npy",
        "raster_P23_times.npy",
        "summary.json",
        "raster_P5_ids.npy",
    ];
    for (k, point) in points.into_iter().enumerate() {
        let signal = if k % 2 == 0 { "-INT" } else { "-TERM" };
        interrupted_run(&big, &out, signal, point);
        check_folder(&out, false);
        if manifest(&out).is_none() {
            interrupted_unfinished += 1;
        }
        // a rerun of another model into the same folder finishes and leaves only its files
        if k % 3 == 2 {
            run_to_end(&small, &out);
            check_folder(&out, true);
            assert!(!out.join("rates_P10.npy").exists());
        }
    }
    // the interruptions hit the writes (a run killed before its end leaves no summary.json)
    assert!(interrupted_unfinished > 0, "no interruption hit the writes");
    run_to_end(&big, &out);
    check_folder(&out, true);
    run_to_end(&small, &out);
    check_folder(&out, true);
    assert!(!out.join("rates_P10.npy").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
