#!/usr/bin/env python3
"""Finite-N scatter of the low-rank rate network's simulation around its stationary
mean-field theory (docs/theory.md 10.2 and 10.6), from an independent NumPy simulation.

Not part of the crate and not needed at test time: the Rust test
(tests/ratenet.rs, theory_matches_simulation_at_large_n) only reads the JSON file this
script writes, and takes its bounds from it (4 rms of the relative errors, plus the mean
when it differs from 0 by more than 3 standard errors):

    tests/data/ratenet_sim_numpy.json

Run (from the repository root, in a venv with numpy and scipy):

    python tools/reference/ratenet_sim_numpy.py            # 20 seeds, N = 2000
    python tools/reference/ratenet_sim_numpy.py --seeds 5  # quicker look (not committed)

Run time: about 35 s on one core (1.5-2 s per seed: 500 matrix-vector products of
size 2000 and the theory's quadratures); the script pins BLAS to one thread (unless
OPENBLAS_NUM_THREADS etc. are set) so the per-seed values are reproducible.

Written from the equations of docs/theory.md section 10, not from the crate's Rust code,
with its own random numbers (numpy's PCG64 seeded by the seed number):

Network (10.1; M&O 2018 Fig. 1C, "case A" of tools/reference/ratenet_mo2018.py), rank one,
no input, phi = tanh:

    tau dx_i/dt = -x_i + g sum_j chi_ij phi(x_j) + m_i kappa,   chi_ij ~ N(0, 1/N),
    kappa = (1/N) sum_j n_j phi(x_j),
    m_i ~ N(1.1, 1), n_i ~ N(2, 1) independent, g = 0.8, N = 2000.

Simulation (10.5): forward Euler with dt = tau/20 for 25 tau (500 steps), from
x_i(0) = m_i kappa0 + xi_i, xi_i ~ N(0, 1), with kappa0 = +1 for odd seeds and -1 for
even ones (one run per branch alternately; the Rust test uses seeds 7 (+1), 8 (-1),
9 (+1)). Measured at the end: kappa, mu = mean of x, Delta_0 = variance of x (divided by
N), the random-input variance Var(x - m kappa) (divided by N), and how far kappa moved
in the last 5 tau.

Theory with the drawn loading moments (10.2, what the Rust test compares with): the
stationary equations with the sample means M_m, M_n and the sample covariances (divided
by N) S_mm, S_nn, S_nm of the loadings the run drew,

    mu = M_m kappa,   Delta_0 = g^2 <phi^2> + S_mm kappa^2,
    kappa = M_n <phi> + S_nm kappa <phi'>,   random-input variance g^2 <phi^2>,

<f> = E f(mu + sqrt(Delta_0) z), z ~ N(0, 1), by scipy.integrate.quad. At given kappa,
Delta_0 is the root of its equation by brentq; kappa by brentq on the sign change of
M_n <phi> + S_nm kappa <phi'> - kappa on the side of the run's start (scanned on a grid
from 0.02 to sqrt(M_n^2 + S_nn); exactly one sign change is required). With the
population moments the same solver reproduces the mpmath values of
tests/data/ratenet_mo2018.json (recorded under "check_population").

Per seed: the signed relative errors sim/theory - 1 of kappa, mu, Delta_0 and the
random-input variance (and, for information, against the population theory, which
includes the loadings' sampling error). Summary per quantity: mean, rms, sample standard
deviation, standard error of the mean, largest magnitude.
"""

import argparse
import json
import os
import sys
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import scipy  # noqa: E402
from scipy import integrate, optimize  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(REPO, "tests", "data", "ratenet_sim_numpy.json")
MO2018 = os.path.join(REPO, "tests", "data", "ratenet_mo2018.json")
SCRIPT = "tools/reference/ratenet_sim_numpy.py"

# case A of docs/theory.md 10.6 at g = 0.8
G = 0.8
M_MEAN, M_SD = 1.1, 1.0
N_MEAN, N_SD = 2.0, 1.0
DT_OVER_TAU = 1.0 / 20.0
T_END_TAU = 25.0
SETTLE_TAU = 5.0
X0_SD = 1.0
QUANTITIES = ["kappa", "mu", "delta0", "var_random"]


# ---------------------------------------------------------------------------------
# Gaussian averages <f> = E f(mu + sqrt(delta) z)
def gauss(f, mu, delta):
    sd = np.sqrt(delta)
    w = lambda z: np.exp(-0.5 * z * z) / np.sqrt(2.0 * np.pi) * f(mu + sd * z)
    total = 0.0
    edges = [-12.0, -6.0, -3.0, 0.0, 3.0, 6.0, 12.0]
    for a, b in zip(edges[:-1], edges[1:]):
        total += integrate.quad(w, a, b, epsabs=1e-14, epsrel=1e-12, limit=200)[0]
    return total


def phi(x):
    return np.tanh(x)


def phi2(x):
    return np.tanh(x) ** 2


def dphi(x):
    return 1.0 / np.cosh(x) ** 2


# ---------------------------------------------------------------------------------
# Stationary theory (docs/theory.md 10.2), rank one, no input
def delta0_at(kappa, mom):
    """Delta_0 at given kappa: root of D - g^2 <phi^2>(mu, D) - S_mm kappa^2."""
    mu = mom["m_mean"] * kappa
    lo = mom["s_mm"] * kappa * kappa
    h = lambda d: d - G * G * gauss(phi2, mu, d) - lo
    if lo == 0.0 and G <= 1.0:
        return 0.0
    return optimize.brentq(h, max(lo, 1e-300), lo + G * G, xtol=1e-15, rtol=1e-14)


def reduced(kappa, mom):
    """kappa -> M_n <phi> + S_nm kappa <phi'> (the reduced map) and its state."""
    mu = mom["m_mean"] * kappa
    d = delta0_at(kappa, mom)
    p = gauss(phi, mu, d)
    dp = gauss(dphi, mu, d)
    return mom["n_mean"] * p + mom["s_nm"] * kappa * dp, mu, d


def solve_branch(mom, sign):
    """The non-trivial stationary solution with kappa of the given sign."""
    kmax = np.sqrt(mom["n_mean"] ** 2 + mom["s_nn"])
    grid = sign * np.linspace(0.02, kmax, 60)
    f = np.array([reduced(k, mom)[0] - k for k in grid])
    changes = np.nonzero(np.sign(f[:-1]) != np.sign(f[1:]))[0]
    if len(changes) != 1:
        raise RuntimeError(f"{len(changes)} sign changes on the {sign:+} side: {f}")
    i = changes[0]
    k = optimize.brentq(lambda k: reduced(k, mom)[0] - k, grid[i], grid[i + 1],
                        xtol=1e-15, rtol=1e-14)
    _, mu, d = reduced(k, mom)
    dr = G * G * gauss(phi2, mu, d)
    return {"kappa": k, "mu": mu, "delta0": d, "var_random": dr,
            "radius": G * np.sqrt(gauss(lambda x: dphi(x) ** 2, mu, d))}


POPULATION = {"m_mean": M_MEAN, "n_mean": N_MEAN, "s_mm": M_SD ** 2, "s_nn": N_SD ** 2,
              "s_nm": 0.0}


# ---------------------------------------------------------------------------------
# Simulation (docs/theory.md 10.1, 10.5)
def simulate(seed, n, kappa0):
    rng = np.random.default_rng(seed)
    m = M_MEAN + M_SD * rng.standard_normal(n)
    nn = N_MEAN + N_SD * rng.standard_normal(n)
    chi = rng.standard_normal((n, n)) / np.sqrt(n)
    x = m * kappa0 + X0_SD * rng.standard_normal(n)
    steps = int(round(T_END_TAU / DT_OVER_TAU))
    settle = int(round(SETTLE_TAU / DT_OVER_TAU))
    gchi = G * chi
    kappa_before = None
    for step in range(steps):
        r = np.tanh(x)
        kappa = nn @ r / n
        if step == steps - settle:
            kappa_before = kappa
        x = x + DT_OVER_TAU * (-x + gchi @ r + m * kappa)
    kappa = nn @ np.tanh(x) / n
    z = x - m * kappa
    loads = np.vstack([m, nn])
    mean = loads.mean(axis=1)
    cov = np.cov(loads, ddof=0)
    mom = {"m_mean": mean[0], "n_mean": mean[1], "s_mm": cov[0, 0], "s_nn": cov[1, 1],
           "s_nm": cov[0, 1]}
    sim = {"kappa": kappa, "mu": x.mean(), "delta0": x.var(), "var_random": z.var(),
           "kappa_moved_last_5_tau": abs(kappa - kappa_before)}
    return sim, mom


def summary(errs):
    e = np.asarray(errs)
    sd = e.std(ddof=1) if len(e) > 1 else float("nan")
    return {"mean": float(e.mean()), "rms": float(np.sqrt(np.mean(e * e))),
            "sd": float(sd), "standard_error": float(sd / np.sqrt(len(e))),
            "max_abs": float(np.abs(e).max())}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=20, help="number of runs (default 20)")
    ap.add_argument("--first-seed", type=int, default=1, help="first seed (default 1)")
    ap.add_argument("--n", type=int, default=2000, help="units N (default 2000)")
    ap.add_argument("--out", default=OUT, help="JSON written (default %(default)s)")
    args = ap.parse_args()
    t0 = time.time()

    # the solver against the mpmath reference at the population moments
    with open(MO2018) as f:
        points = json.load(f)["case_a"]["points"]
    ref = next(p for p in points if p["g"] == G and p["branch"] == "positive")
    pop = solve_branch(POPULATION, 1.0)
    check = {q: {"numpy": pop[q], "mpmath": ref[q], "rel": abs(pop[q] / ref[q] - 1.0)}
             for q in ["kappa", "mu", "delta0", "radius"]}
    print("population theory vs mpmath:", json.dumps(check))
    assert all(c["rel"] < 1e-9 for c in check.values()), check
    pop_neg = solve_branch(POPULATION, -1.0)

    runs = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        start = 1.0 if seed % 2 == 1 else -1.0
        ts = time.time()
        sim, mom = simulate(seed, args.n, start)
        th = solve_branch(mom, np.sign(sim["kappa"]))
        th_pop = pop if sim["kappa"] > 0 else pop_neg
        run = {
            "seed": seed, "start": start,
            "drawn_moments": {k: float(v) for k, v in mom.items()},
            "sim": {k: float(v) for k, v in sim.items()},
            "theory_drawn": {k: float(v) for k, v in th.items()},
            "rel_err": {q: float(sim[q] / th[q] - 1.0) for q in QUANTITIES},
            "rel_err_population": {q: float(sim[q] / th_pop[q] - 1.0) for q in QUANTITIES},
            "seconds": round(time.time() - ts, 2),
        }
        runs.append(run)
        print(f"seed {seed:3d} start {start:+.0f}: sim kappa {sim['kappa']:+.5f} "
              f"(moved {sim['kappa_moved_last_5_tau']:.1e}), theory {th['kappa']:+.5f}; "
              "rel err " + " ".join(f"{q} {run['rel_err'][q]:+.4f}" for q in QUANTITIES)
              + f" ({run['seconds']} s)", flush=True)

    stats = {q: summary([r["rel_err"][q] for r in runs]) for q in QUANTITIES}
    stats_pop = {q: summary([r["rel_err_population"][q] for r in runs]) for q in QUANTITIES}
    doc = {
        "meta": {
            "script": SCRIPT,
            "command": " ".join(["python", SCRIPT] + sys.argv[1:]),
            "numpy": np.__version__,
            "scipy": scipy.__version__,
            "rng": "numpy.random.default_rng(seed) (PCG64): m, n, chi row-major, then x(0)",
            "description": "docs/theory.md 10.6: case A (M&O 2018 Fig. 1C) at g = 0.8; "
                           "signed relative errors sim/theory - 1 at t_end, theory with "
                           "the drawn loading moments",
        },
        "params": {
            "n": args.n, "g": G, "m_mean": M_MEAN, "m_sd": M_SD, "n_mean": N_MEAN,
            "n_sd": N_SD, "cov_mn": 0.0, "transfer": "tanh", "dt_over_tau": DT_OVER_TAU,
            "t_end_over_tau": T_END_TAU, "x0_sd": X0_SD,
            "kappa0": "+1 for odd seeds, -1 for even seeds",
            "seeds": [r["seed"] for r in runs],
        },
        "check_population": check,
        "quantities": QUANTITIES,
        "rel_err": stats,
        "rel_err_population": stats_pop,
        "runs": runs,
    }
    doc["meta"]["seconds"] = round(time.time() - t0, 1)
    with open(args.out, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")
    print(json.dumps({"rel_err": stats, "rel_err_population": stats_pop}, indent=1))
    print(f"wrote {args.out} in {doc['meta']['seconds']} s")


if __name__ == "__main__":
    main()
