#!/usr/bin/env python3
"""Collect the NEST / Brian2 peer runs of Brunel (2000) model A into
tests/data/peers_brunel.json.

The runs themselves use the scripts in tools/peers (copied to a
scratch folder, unmodified; they are not part of this repository), each under
`/usr/bin/time -v`; see COMMANDS below. This script only reads their JSON
outputs and the `time -v` reports:

    python tools/reference/peers_collect.py /tmp/peers/out

Units: seconds, mV, Hz; memory in MiB.
"""

import json
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import siegert_mpmath as S  # noqa: E402  (for S.clean only)

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(REPO, "tests", "data", "peers_brunel.json")
SCRIPT = "tools/reference/peers_collect.py"

RUNS = [
    ("nest", 5.0, 2.0, "nest_g5_eta2"),
    ("nest", 6.0, 1.0, "nest_g6_eta1"),
    ("brian2_cpp_standalone", 5.0, 2.0, "brian2_g5_eta2"),
    ("brian2_cpp_standalone", 6.0, 1.0, "brian2_g6_eta1"),
]

SETUP = ("cp tools/peers/*.py /tmp/peers/ && cd /tmp/peers && mkdir -p out; "
         "venv: python3 -m venv /work/refvenv && /work/refvenv/bin/pip install nnmt "
         "mpmath \"numpy<2.4\" scipy brian2 nest-simulator==3.10.0")
COMMANDS = {
    "nest_g5_eta2": "OMP_NUM_THREADS=1 /usr/bin/time -v -o out/nest_g5_eta2.time "
                    "/work/refvenv/bin/python run_nest.py 5 2 1 out/nest_g5_eta2.json",
    "nest_g6_eta1": "OMP_NUM_THREADS=1 /usr/bin/time -v -o out/nest_g6_eta1.time "
                    "/work/refvenv/bin/python run_nest.py 6 1 1 out/nest_g6_eta1.json",
    "brian2_g5_eta2": "/usr/bin/time -v -o out/brian2_g5_eta2.time /work/refvenv/bin/python "
                      "run_brian2.py standalone 5 2 1 out/brian2_g5_eta2.json "
                      "/tmp/peers/brian-work",
    "brian2_g6_eta1": "/usr/bin/time -v -o out/brian2_g6_eta1.time /work/refvenv/bin/python "
                      "run_brian2.py standalone 6 1 1 out/brian2_g6_eta1.json "
                      "/tmp/peers/brian-work",
}


def parse_time_v(path):
    out = {}
    pats = {
        "time_v_user_s": r"User time \(seconds\): ([\d.]+)",
        "time_v_sys_s": r"System time \(seconds\): ([\d.]+)",
        "time_v_cpu_percent": r"Percent of CPU this job got: (\d+)%",
        "time_v_max_rss_kib": r"Maximum resident set size \(kbytes\): (\d+)",
    }
    txt = open(path).read()
    for k, p in pats.items():
        m = re.search(p, txt)
        out[k] = float(m.group(1)) if m else None
    m = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): ([\d:.]+)", txt)
    if m:
        parts = [float(x) for x in m.group(1).split(":")]
        secs = 0.0
        for p in parts:
            secs = secs * 60 + p
        out["time_v_elapsed_s"] = secs
    out["peak_memory_mib"] = (out["time_v_max_rss_kib"] / 1024.0
                              if out["time_v_max_rss_kib"] else None)
    return out


def siegert_rates():
    path = os.path.join(REPO, "tests", "data", "nnmt_brunel.json")
    try:
        pts = json.load(open(path))["points"]
    except OSError:
        return {}
    return {(p["g"], p["eta"]): p["mpmath_rate_hz"] for p in pts}


def main(outdir):
    sieg = siegert_rates()
    runs = []
    for sim, g, eta, name in RUNS:
        jpath = os.path.join(outdir, name + ".json")
        tpath = os.path.join(outdir, name + ".time")
        if not os.path.exists(jpath):
            runs.append({"simulator": sim, "g": g, "eta": eta, "missing": True,
                         "command": COMMANDS[name]})
            continue
        r = json.load(open(jpath))
        seg = r["segments"][0]
        T = (seg["t1_ms"] - seg["t0_ms"]) * 1e-3
        rec = {
            "simulator": sim,
            "version": r.get("nest_version") or r.get("brian2_version"),
            "g": g, "eta": eta,
            "command": COMMANDS[name],
            "rate_e_hz": seg["rate_E_Hz"],
            "rate_i_hz": seg["rate_I_Hz"],
            "rate_all_hz": seg["rate_all_Hz"],
            "cv_isi_mean": seg["cv_isi_mean"],
            "cv_isi_mean_e": seg["cv_isi_mean_E"],
            "cv_isi_mean_i": seg["cv_isi_mean_I"],
            "n_neurons_cv": seg["n_neurons_cv"],
            "poprate_1ms_cv": seg["poprate_1ms_cv"],
            "window_ms": [seg["t0_ms"], seg["t1_ms"]],
            "wall_s_per_simulated_s": seg["simulate_wall_s"] / T,
            "cpu_s_per_simulated_s": seg["simulate_cpu_s"] / T,
            "syn_events_per_wall_s": seg["syn_events_per_wall_s"],
            "loadavg_at_end": r.get("loadavg_at_end"),
            "siegert_rate_hz": sieg.get((g, eta)),
        }
        if sim == "nest":
            rec.update(build_s=r["build_s"], warmup_sim_wall_s=r["warmup_sim_wall_s"],
                       num_connections=r["num_connections"], threads=r["threads"])
        else:
            rec.update(compile_make_s=r["compile_make_s"],
                       python_codegen_setup_s=r["python_codegen_setup_s"],
                       binary_build_s=r["binary_build_s"],
                       warmup_sim_wall_s=r["warmup_sim_wall_s"],
                       run_binary_s=r["run_binary_s"],
                       compile_args=r["compile_args"],
                       openmp_threads=r["openmp_threads"],
                       num_connections=r["n_syn_E"] + r["n_syn_I"])
        if os.path.exists(tpath):
            rec.update(parse_time_v(tpath))
        runs.append(rec)
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                   if l.startswith("model name"))
    except (OSError, StopIteration):
        cpu = "unknown"
    meta = {
        "script": SCRIPT,
        "tool": "NEST 3.10.0 (iaf_psc_delta, 1 thread, OMP_NUM_THREADS=1) and "
                "Brian2 2.9.0 cpp_standalone (openmp_threads=0), run with the "
                "unmodified tools/peers scripts; numpy<2.4",
        "model": "Brunel (2000) model A, delta synapses: N_E=10000, N_I=2500, "
                 "fixed in-degree 1000/250 with multapses, no autapses, J=0.1 mV, "
                 "delay 1.5 ms, tau_m=20 ms, theta=20 mV, Vr=10 mV, t_ref=2 ms, "
                 "dt=0.1 ms, input discarded while refractory, V0 uniform [0,20) mV; "
                 "0.1 s warm-up then one timed 1-s segment",
        "setup": SETUP,
        "machine": f"{os.cpu_count()} cores, {cpu}; shared with other engineers "
                   "compiling Rust: load average 8-21 during these runs, so each "
                   "process got only 33-40% of a core (see time_v_cpu_percent). "
                   "Wall times are inflated about 2-3x; CPU times are the usable "
                   "figures (still somewhat inflated by cache contention).",
        "units": "seconds, mV, Hz; memory MiB",
        "fields": {
            "simulator / version / g / eta": "what was run",
            "command": "exact command (run in /tmp/peers, a copy of tools/peers)",
            "rate_e_hz, rate_i_hz, rate_all_hz": "population rates in the timed 1-s window",
            "cv_isi_mean(_e,_i)": "mean ISI CV over neurons with >= 5 spikes in the window",
            "n_neurons_cv": "number of neurons that entered the CV mean",
            "poprate_1ms_cv": "std/mean of the 1-ms-binned population spike count",
            "window_ms": "analysed window [t0, t1) in ms",
            "wall_s_per_simulated_s": "wall time of the timed segment per simulated second",
            "cpu_s_per_simulated_s": "process CPU time of the timed segment per "
                                     "simulated second (NEST: Python process_time; "
                                     "Brian2: clock() inside the standalone binary)",
            "syn_events_per_wall_s": "spikes x 1250 synapses / segment wall time",
            "build_s / compile_make_s / ...": "set-up costs reported by the scripts",
            "time_v_*": "/usr/bin/time -v of the whole command (includes set-up, "
                        "compilation and the warm-up; for Brian2 also the compiler "
                        "and the binary as children)",
            "peak_memory_mib": "maximum resident set size from /usr/bin/time -v "
                               "(largest single process of the tree) in MiB",
            "siegert_rate_hz": "finite-K Siegert mean field (tests/data/nnmt_brunel.json, "
                               "mpmath_rate_hz) for comparison",
            "loadavg_at_end": "/proc/loadavg when the run ended",
        },
    }
    doc = {"meta": meta, "runs": runs}
    with open(OUT, "w") as fh:
        json.dump(S.clean(doc), fh, indent=1, allow_nan=False)
        fh.write("\n")
    print("wrote", OUT)
    for r in runs:
        print({k: r.get(k) for k in ["simulator", "g", "eta", "rate_e_hz", "rate_i_hz",
                                     "cv_isi_mean", "wall_s_per_simulated_s",
                                     "cpu_s_per_simulated_s", "peak_memory_mib",
                                     "siegert_rate_hz"]})


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/tmp/peers/out")
