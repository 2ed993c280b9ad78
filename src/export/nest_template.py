#!/usr/bin/env python3
"""@TITLE@

Written by `balnet export nest` (balnet @VERSION@): the network of the balnet Model in
PLAN["model"], built in NEST 3.10 with the high-level API only (Create, Connect,
GetLocalNodeCollection, Simulate), so that the same script runs on one process with threads
and on many MPI processes. The construction and the mapping of every Model field are described in
balnet's docs/nest.md; balnet's docs/theory.md section 1 defines the network.

Run (threads):  python @SCRIPT@ [--threads T] [--out DIR] [--seed S]
Run (MPI):      mpirun -np R python @SCRIPT@ [--threads T] [--out DIR] [--seed S]
                (a NEST built with MPI; every rank runs this same script)

Output in DIR: every rank r writes the spikes of its own neurons,
  spikes_<pop>_r<r>_ids.npy    neuron index as in balnet (u4, populations in Model order)
  spikes_<pop>_r<r>_times.npy  spike times (f8, s from the start of the warm-up)
and nest_rank<r>.json last; rank 0 also writes loadings_<pop>.npy (the drawn m, n, w per
neuron, f8, N x (2D + D_in)) and nest_run.json. `balnet export nest-summary DIR` merges the
ranks and writes balnet's summary.json and arrays (the layout of `balnet simulate --out`).
"""
import argparse
import json
import os
import resource
import time
import warnings

import numpy as np
import nest

PLAN = json.loads(r"""
@PLAN@
""")


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=PLAN["threads"],
                    help="NEST threads per process (default %(default)s)")
    ap.add_argument("--out", default=PLAN["out_dir"],
                    help="output folder (default %(default)s)")
    ap.add_argument("--seed", type=int, default=PLAN["seed"],
                    help="seed of NEST's and numpy's generators (default %(default)s)")
    return ap.parse_args()


def nest_seed(seed):
    """NEST takes seeds 1 .. 2^32 - 1; other seeds are folded into that range."""
    return seed if 1 <= seed <= 2**32 - 1 else 1 + seed % (2**32 - 1)


def draw_loadings(rng, n, loading):
    """Per-neuron (m, n, w): mean + L z with z standard normal (docs/theory.md section 1).

    L = Q sqrt(Lambda) of the joint covariance was computed by balnet. With
    exact_loadings, z is first centred and whitened, so the sample moments equal the
    Model's. Every rank draws the same table from the same seed.
    """
    mean = np.asarray(loading["mean"], dtype=float)
    factor = np.asarray(loading["factor"], dtype=float).reshape(len(mean), -1)
    r = factor.shape[1]
    z = rng.standard_normal((n, r))
    if PLAN["exact_loadings"] and r > 0:
        z -= z.mean(axis=0)
        lam, q = np.linalg.eigh(z.T @ z / n)
        z = z @ (q @ np.diag(1.0 / np.sqrt(np.maximum(lam, 1e-300))) @ q.T)
    return mean + z @ factor.T


def as_array(values, dtype):
    return np.atleast_1d(np.asarray(values, dtype=dtype))


def save_npy(path, array):
    """Write through a temporary name and a rename, so a file under its final name is complete."""
    tmp = path + ".tmp.npy"
    np.save(tmp, array)
    os.replace(tmp, path)


def save_json(path, value):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(value, f, indent=1)
    os.replace(tmp, path)


def local_nodes(nodes):
    """The neurons of `nodes` that live on this process (all of them without MPI)."""
    with warnings.catch_warnings():
        # NEST warns that rank-local node lists invite rank-dependent code; they are used
        # only to set or draw per-neuron values from tables and streams every rank shares
        warnings.simplefilter("ignore")
        return nest.GetLocalNodeCollection(nodes)


def incoming(rng, rule, cand, own):
    """Presynaptic partners of one neuron (indices in the presynaptic population) under
    balnet's rule (docs/theory.md section 1): Bernoulli (each of the candidates with
    probability p), fixed in-degree without or with replacement; never the neuron itself
    (own: its index when pre and post are the same population)."""
    if cand <= 0:
        return np.zeros(0, dtype=np.int64)
    if rule["rule"] == "pairwise_bernoulli":
        k = cand if rule["p"] >= 1.0 else int(rng.binomial(cand, rule["p"]))
        x = rng.choice(cand, k, replace=False) if k < cand else np.arange(cand)
    elif rule["allow_multapses"]:
        x = rng.integers(0, cand, rule["indegree"])
    else:
        x = rng.choice(cand, rule["indegree"], replace=False)
    x = np.asarray(x, dtype=np.int64)
    if own is not None:
        x += x >= own
    return x


def connect_structured(seed, pops, first_id, loadings):
    """Fast and slow synapses of a Model with the slow structured current (docs/nest.md).

    Every connection j -> i carries two synapses with the same delay: the fast jump into
    port 1 and the structured weight C_m (m_i . n_j) / (K tau_s) into port 2 (tau_s). The
    partners and delays of neuron i are drawn here, from a stream keyed by (seed, post
    population, pre population, i), so the network does not depend on the number of
    processes or threads; each process draws only for its own neurons and connects them
    with NEST's array connect.
    """
    slow = PLAN["slow"]
    d = PLAN["d"]
    h = PLAN["resolution_ms"]
    fast = slow_count = dale = 0
    for b in PLAN["blocks"]:
        a, c = b["post"], b["pre"]
        n_pre = PLAN["populations"][c]["n"]
        cand = n_pre - 1 if a == c else n_pre
        lo, hi = b["delay_steps"]
        jump = b["jump_mv"]
        m_post = loadings[a][:, :d]
        n_pre_l = loadings[c][:, d:2 * d]
        local = np.asarray(local_nodes(pops[a]).tolist(), dtype=np.int64)
        per_chunk = max(1, int(slow["connections_per_chunk"] / max(1.0, b["expected_indegree"])))
        for start in range(0, len(local), per_chunk):
            src, tgt, dl = [], [], []
            for gid in local[start:start + per_chunk]:
                i = int(gid - first_id[a])
                rng = np.random.default_rng([seed, a, c, i])
                x = incoming(rng, b["conn_spec"], cand, i if a == c else None)
                src.append(x)
                tgt.append(np.full(len(x), i, dtype=np.int64))
                dl.append(rng.integers(lo, hi + 1, len(x)))
            src = np.concatenate(src)
            tgt = np.concatenate(tgt)
            delay = np.concatenate(dl) * h
            if len(src) == 0:
                continue
            fast += len(src)
            if b["weight"] != 0:
                nest.Connect(src + first_id[c], tgt + first_id[a], "one_to_one",
                             {"synapse_model": "balnet_fast",
                              "weight": np.full(len(src), b["weight"]),
                              "delay": delay, "receptor_type": 1})
            if not b["slow"]:
                continue
            mn = np.einsum("ij,ij->i", m_post[tgt], n_pre_l[src]) / slow["k"]
            keep = mn != 0
            if jump != 0:
                bad = (jump + mn) * np.sign(jump) < 0
                dale += int(bad.sum())
                if slow["clip_dale"]:
                    keep &= ~bad
            if keep.any():
                nest.Connect(src[keep] + first_id[c], tgt[keep] + first_id[a], "one_to_one",
                             {"synapse_model": "balnet_slow",
                              "weight": mn[keep] * slow["pa_per_mv"][a],
                              "delay": delay[keep], "receptor_type": 2})
                slow_count += int(keep.sum())
    return fast, slow_count, dale


def main():
    args = parse_args()
    t_start, cpu_start = time.time(), time.process_time()
    h = PLAN["resolution_ms"]
    nest.ResetKernel()
    try:
        nest.verbosity = nest.VerbosityLevel.WARNING
    except AttributeError:
        nest.set_verbosity("M_WARNING")
    nest.set(resolution=h, local_num_threads=args.threads, rng_seed=nest_seed(args.seed),
             print_time=False)
    rng = np.random.default_rng(args.seed)
    pops_plan = PLAN["populations"]
    slow = PLAN["slow"]
    fast_receptor = {"receptor_type": 1} if PLAN["neuron_model"] == "iaf_psc_exp_multisynapse" else {}

    # Populations: iaf neurons, potentials from rest (E_L = 0), C_m = tau_m so that a
    # current of 1 pA is a drive of 1 mV; initial V uniform in [0, theta).
    pops = []
    for p in pops_plan:
        nodes = nest.Create(PLAN["neuron_model"], p["n"], params=p["params"])
        lo, hi = p["v0_range"]
        nodes.V_m = nest.random.uniform(min=lo, max=hi) if hi > lo else lo
        pops.append(nodes)
    first_id = [nodes[:1].tolist()[0] for nodes in pops]

    # Loadings (m, n, w) of every neuron, and the constant drive: bias sqrt(beta_ext) z_i
    # plus w_i . s(0) (pA, equal to mV with C_m = tau_m).
    d, d_in = PLAN["d"], PLAN["d_in"]
    loadings = [draw_loadings(rng, p["n"], lo) if d + d_in > 0 else None
                for p, lo in zip(pops_plan, PLAN["loadings"] or [None] * len(pops_plan))]
    s0 = np.asarray(PLAN["signal"]["s0"], dtype=float)
    for a, p in enumerate(pops_plan):
        drive = np.zeros(p["n"])
        if p["bias_sd_pa"] > 0:
            drive += p["bias_sd_pa"] * rng.standard_normal(p["n"])
        if d_in > 0 and np.any(s0 != 0):
            drive += loadings[a][:, 2 * d:] @ s0
        if np.any(drive != 0):
            # per-neuron values are set on this process's own neurons (NEST expands a list
            # of values only when every node of the collection is local)
            local = local_nodes(pops[a])
            local.set(I_e=drive[np.asarray(local.tolist(), dtype=np.int64) - first_id[a]])

    # Fast synapses. Without the slow current: NEST's connection rules with balnet's
    # in-degrees, delays in whole steps uniform over the integer step counts [lo, hi]
    # (docs/nest.md). With it: see connect_structured below.
    nest.CopyModel("static_synapse", "balnet_fast")
    if slow is not None:
        nest.CopyModel("static_synapse", "balnet_slow")
    t_conn = time.time()
    before = nest.GetKernelStatus("num_connections")
    if slow is None:
        for b in PLAN["blocks"]:
            lo, hi = b["delay_steps"]
            delay = lo * h if lo == hi else lo * h + h * nest.random.uniform_int(hi - lo + 1)
            syn = {"synapse_model": "balnet_fast", "weight": b["weight"], "delay": delay}
            syn.update(fast_receptor)
            nest.Connect(pops[b["pre"]], pops[b["post"]], b["conn_spec"], syn)
        fast_local = nest.GetKernelStatus("num_connections") - before
        slow_connections = dale_violations = 0
    else:
        fast_local, slow_connections, dale_violations = connect_structured(
            args.seed, pops, first_id, loadings)

    # External Poisson drive: one generator per population; NEST draws an independent
    # train for each target, of rate K_0 nu_0 (the superposition of the K_0 trains).
    for a, p in enumerate(pops_plan):
        ext = p["external"]
        if ext is not None:
            gen = nest.Create(PLAN["poisson_model"], params={"rate": ext["rate_hz"]})
            syn = {"weight": ext["weight"], "delay": h}
            syn.update(fast_receptor)
            nest.Connect(gen, pops[a], "all_to_all", syn)

    # Latent input w_i . (s(t) - s(0)): one step current per component of s, whose
    # amplitude times lead balnet's steps by one step of delivery (docs/nest.md).
    for k, g in enumerate(PLAN["signal"]["generators"]):
        if len(g["times_ms"]) == 0:
            continue
        gen = nest.Create("step_current_generator",
                          params={"amplitude_times": g["times_ms"], "amplitude_values": g["values"]})
        for a in range(len(pops)):
            w = loadings[a][:, 2 * d + k]
            if np.any(w != 0):
                nest.Connect(gen, pops[a], "all_to_all", {"weight": w.reshape(-1, 1), "delay": h})

    recorders = []
    for nodes in pops:
        rec = nest.Create("spike_recorder")
        nest.Connect(nodes, rec)
        recorders.append(rec)
    build_s = time.time() - t_start
    build_cpu_s = time.process_time() - cpu_start
    connect_s = time.time() - t_conn

    t_sim, cpu_sim = time.time(), time.process_time()
    nest.Simulate((PLAN["warm_steps"] + PLAN["rec_steps"]) * h)
    simulate_s = time.time() - t_sim
    simulate_cpu_s = time.process_time() - cpu_sim

    rank, procs = nest.Rank(), nest.NumProcesses()
    os.makedirs(args.out, exist_ok=True)
    spikes = {}
    for a, p in enumerate(pops_plan):
        ev = recorders[a].get("events")
        ids = as_array(ev["senders"], np.int64) - first_id[a] + p["first"]
        times = as_array(ev["times"], float) / 1000.0
        order = np.lexsort((ids, times))
        stem = os.path.join(args.out, "spikes_%s_r%d" % (p["file_name"], rank))
        save_npy(stem + "_ids.npy", ids[order].astype("<u4"))
        save_npy(stem + "_times.npy", times[order].astype("<f8"))
        spikes[p["name"]] = int(len(ids))
    if rank == 0:
        for a, p in enumerate(pops_plan):
            if loadings[a] is not None:
                save_npy(os.path.join(args.out, "loadings_%s.npy" % p["file_name"]),
                         loadings[a].astype("<f8"))
        save_json(os.path.join(args.out, "nest_run.json"), {
            "format": PLAN["format"],
            "model": PLAN["model"],
            "neuron_model": PLAN["neuron_model"],
            "resolution_ms": h,
            "warm_steps": PLAN["warm_steps"],
            "rec_steps": PLAN["rec_steps"],
            "seed": args.seed,
            "nest_seed": nest_seed(args.seed),
            "threads": args.threads,
            "num_processes": procs,
            "nest_version": nest.__version__,
        })
    save_json(os.path.join(args.out, "nest_rank%d.json" % rank), {
        "rank": rank,
        "spikes": spikes,
        "fast_connections": fast_local,
        "slow_connections": slow_connections,
        "dale_violations": dale_violations,
        "build_s": build_s,
        "connect_s": connect_s,
        "simulate_s": simulate_s,
        "build_cpu_s": build_cpu_s,
        "simulate_cpu_s": simulate_cpu_s,
        # peak resident memory of this process (ru_maxrss is in KiB on Linux)
        "max_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
    })
    print("rank %d/%d: built in %.1f s, simulated %.3f s in %.1f s; spikes %s; files in %s"
          % (rank, procs, build_s, (PLAN["warm_steps"] + PLAN["rec_steps"]) * h / 1000.0,
             simulate_s, spikes, args.out))


if __name__ == "__main__":
    main()
