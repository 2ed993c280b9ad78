"""balnet from Python in three steps (docs/python.md).

1. The README's comparison: simulate the default model (docs/theory.md section 5) and put
   the finite-K theory beside it.
2. A phase diagram of Brunel (2000) model A: population rate and linear stability of the
   asynchronous state (docs/theory.md 2.4, 6.3) over a grid of the relative inhibition g
   and the external drive eta.
3. The same sweep mapped over a concurrent.futures process pool: the pattern for spreading
   parameter sweeps over the cores of a machine or, with another Executor, a cluster.

    python python/examples/quickstart.py           # full size: about 4 minutes on 2 cores
    python python/examples/quickstart.py --quick   # N / 5, one theory variant, 6 x 6 grid
"""

import argparse
import concurrent.futures as cf
import multiprocessing
import time

import numpy as np

import balnet


def brunel_point(g_eta):
    """Rate (Hz) and stability of the asynchronous state of Brunel model A at (g, eta).

    Runs in a worker process: takes and returns plain picklable values.
    """
    g, eta = g_eta
    model = balnet.brunel_a(g, eta)
    try:
        rate = balnet.solve(model)["rates_hz"][0]
        st = balnet.stability(model, search_box=(-20.0, 400.0, 600.0))
        growth = st["growth_rate_hz"]
        leading = (growth[0], st["frequency_hz"][0]) if len(growth) else (np.nan, np.nan)
        return g, eta, rate, st["stable"], leading
    except balnet.BalnetError as e:  # e.g. no stationary state at this point
        return g, eta, np.nan, None, (str(e), np.nan)


def comparison(quick):
    """Step 1: `balnet compare` on the default model."""
    model = balnet.Model("default")
    if quick:
        # a fifth of the neurons (same K = 1000 inputs per neuron) and 2 s after the
        # warm-up, so that the epoch after the input step at 1.5 s is still measured
        d = model.to_dict()
        d["name"] = "default (N / 5)"
        for p in d["populations"]:
            p["n"] //= 5
        d["sim"]["duration"] = 2.0
        model = balnet.Model(d)
    # quick: only the Siegert + Poisson theory (the shot-noise variants cost minutes)
    variants = [("siegert", "poisson")] if quick else None
    report = balnet.compare(model, variants=variants, progress=True)
    print(report["table"])
    return report


def phase_diagram(gs, etas, workers):
    """Steps 2 and 3: the (g, eta) grid mapped over a process pool."""
    points = [(g, eta) for eta in etas for g in gs]
    # "spawn" starts clean interpreters: safe whatever threads the parent runs, and the
    # same model of work a cluster executor has (each task is one picklable call)
    ctx = multiprocessing.get_context("spawn")
    t0 = time.perf_counter()
    with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
        results = list(pool.map(brunel_point, points, chunksize=4))
    wall = time.perf_counter() - t0
    rate = np.array([r[2] for r in results]).reshape(len(etas), len(gs))
    stable = np.array([r[3] is True for r in results]).reshape(len(etas), len(gs))
    print(
        f"\nBrunel (2000) model A, finite-K theory: E rate (Hz) over g (columns) and eta "
        f"(rows); * marks an unstable asynchronous state (a root of det(I - W) with "
        f"Re lambda > 0 below 600 Hz). {len(points)} points in {wall:.1f} s on {workers} "
        f"processes."
    )
    print("eta \\ g " + "".join(f"{g:>8.2f}" for g in gs))
    for i, eta in enumerate(etas):
        cells = "".join(
            f"{rate[i, j]:>7.2f}{' ' if stable[i, j] else '*'}" for j in range(len(gs))
        )
        print(f"{eta:>7.2f} " + cells)
    # leading unstable modes: oscillatory ones (synchronous irregular states, Brunel 2000)
    # and real ones (the low-rate state of an excitation-dominated network is a saddle)
    for r in results:
        g, eta, _, stable_, (growth, freq) = r
        if stable_ is False:
            kind = f"oscillating at {freq:.0f} Hz" if freq > 0 else "non-oscillatory"
            print(f"  g = {g:.2f}, eta = {eta:.2f}: leading mode grows at {growth:.1f} 1/s, {kind}")
    return rate, stable


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="smaller network and grid")
    ap.add_argument("--workers", type=int, default=2, help="worker processes of the sweep")
    args = ap.parse_args()
    comparison(args.quick)
    n = 6 if args.quick else 16
    gs = np.linspace(3.0, 8.0, n)
    etas = np.linspace(0.8, 4.0, n)
    phase_diagram(gs, etas, args.workers)


if __name__ == "__main__":
    main()
