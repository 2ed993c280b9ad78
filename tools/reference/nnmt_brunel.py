#!/usr/bin/env python3
"""Brunel (2000) model A, finite-K stationary rates from NNMT
(nnmt.lif.delta.firing_rates), with an mpmath cross-check, and NNMT timings.

Not part of the crate and not needed at test time: writes
tests/data/nnmt_brunel.json, which the Rust tests read.

Run from the repository root in a throwaway venv with nnmt, mpmath, numpy,
scipy:

    python tools/reference/nnmt_brunel.py

Model (docs/theory.md section 4): N_E=10000, N_I=2500, C_E=1000, C_I=250,
J=0.1 mV, J_I=-g J, tau_m=20 ms, theta=20 mV, Vr=10 mV, tau_ref=2 ms,
external C_E Poisson inputs per neuron of rate nu_ext = eta theta/(J C_E tau_m)
with jump J to E and I. NNMT works in SI units (V, s, Hz); the JSON is in
s, mV, Hz.

E and I receive statistically identical input here, so nu_E = nu_I; the
mpmath cross-check solves the scalar fixed point
    nu = Phi(mu(nu), sigma(nu)),
    mu = tau_m J C_E (nu (1 - g C_I/C_E) + nu_ext),
    sigma^2 = tau_m J^2 C_E (nu (1 + g^2 C_I/C_E) + nu_ext),
with the mpmath Siegert function of siegert_mpmath.py (mp.dps=30).
"""

import json
import os
import platform
import statistics
import sys
import time

import numpy as np
import scipy
import mpmath as mp
import nnmt

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import siegert_mpmath as S  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(REPO, "tests", "data", "nnmt_brunel.json")
SCRIPT = "tools/reference/nnmt_brunel.py"

C_E, C_I = 1000, 250
J = 0.1          # mV
TAU_M = 0.02     # s
TAU_REF = 0.002  # s
THETA = 20.0     # mV
VR = 10.0        # mV

G_GRID = [4.0, 4.5, 5.0, 5.5, 6.0, 6.5, 7.0, 7.5, 8.0]
ETA_GRID = [1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0]

# Tightest settings NNMT exposes for the fixed point (nnmt._solvers.
# _firing_rate_integration): ODE method, eps_tol = max |nu(t_max-1) -
# nu(t_max)|. The Siegert quadrature order is chosen internally to
# epsrel=1e-12 (not exposed).
NNMT_KW = dict(fixpoint_method="ODE", eps_tol=1e-14, t_max_ODE=1000,
               maxiter_ODE=1000)


def nu_ext_hz(eta):
    return eta * THETA / (J * C_E * TAU_M)


def network_params(g, eta):
    mV = 1e-3
    return {
        "K": np.array([[C_E, C_I], [C_E, C_I]], dtype=float),
        "J": np.array([[J, -g * J], [J, -g * J]]) * mV,
        "tau_m": TAU_M,
        "tau_r": TAU_REF,
        "V_th_rel": THETA * mV,
        "V_0_rel": VR * mV,
        "K_ext": np.array([[C_E], [C_E]], dtype=float),
        "J_ext": np.array([[J], [J]]) * mV,
        "nu_ext": np.array([nu_ext_hz(eta)]),
    }


def nnmt_solve(g, eta, kw):
    net = nnmt.models.Plain(network_params(g, eta))
    rates = nnmt.lif.delta.firing_rates(net, **kw)
    rates = np.asarray(getattr(rates, "magnitude", rates), dtype=float)
    mu = nnmt.lif.delta.mean_input(net)
    sigma = nnmt.lif.delta.std_input(net)
    mu = np.asarray(getattr(mu, "magnitude", mu), dtype=float) * 1e3   # V -> mV
    sigma = np.asarray(getattr(sigma, "magnitude", sigma), dtype=float) * 1e3
    return rates, mu, sigma


def nnmt_phi(mu_mv, sigma_mv):
    return nnmt.lif.delta._firing_rates_for_given_input(
        mu=np.atleast_1d(mu_mv) * 1e-3, sigma=np.atleast_1d(sigma_mv) * 1e-3,
        V_0_rel=VR * 1e-3, V_th_rel=THETA * 1e-3, tau_m=TAU_M, tau_r=TAU_REF)


def mp_mu_sigma(nu, g, eta):
    nu = mp.mpf(nu)
    J_ = mp.mpf(J)  # the double 0.1, as NNMT and the Rust code use it
    ne = mp.mpf(nu_ext_hz(eta))
    tm = S.TAU_M
    mu = tm * J_ * C_E * (nu * (1 - mp.mpf(g) * C_I / C_E) + ne)
    var = tm * J_ ** 2 * C_E * (nu * (1 + mp.mpf(g) ** 2 * C_I / C_E) + ne)
    return mu, mp.sqrt(var)


def mp_fixed_point(g, eta, start):
    def f(nu):
        mu, sg = mp_mu_sigma(nu, g, eta)
        return S.phi(mu, sg) - nu
    nu = mp.findroot(f, (mp.mpf(start) * (1 - mp.mpf("1e-4")),
                         mp.mpf(start) * (1 + mp.mpf("1e-4"))),
                     solver="secant", tol=mp.mpf(10) ** (-2 * S.DPS + 10))
    mu, sg = mp_mu_sigma(nu, g, eta)
    return nu, mu, sg, abs(f(nu))


def main():
    t_all = time.time()
    rows = []
    for g in G_GRID:
        for eta in ETA_GRID:
            rec = {"g": g, "eta": eta, "nu_ext_hz": nu_ext_hz(eta)}
            try:
                rates, mu, sigma = nnmt_solve(g, eta, NNMT_KW)
                rec["converged"] = True
                rec["nnmt_error"] = None
            except Exception as e:  # NNMT raises RuntimeError if not converged
                rec["converged"] = False
                rec["nnmt_error"] = f"{type(e).__name__}: {e}"
                rates, mu, sigma = np.full(2, np.nan), np.full(2, np.nan), np.full(2, np.nan)
            rec["rate_e_hz"] = float(rates[0])
            rec["rate_i_hz"] = float(rates[1])
            rec["mu_e_mv"] = float(mu[0])
            rec["mu_i_mv"] = float(mu[1])
            rec["sigma_e_mv"] = float(sigma[0])
            rec["sigma_i_mv"] = float(sigma[1])
            if rec["converged"]:
                res = np.abs(nnmt_phi(mu, sigma) - rates)
                rec["nnmt_residual_hz"] = float(np.max(res))
                start = rates[0]
            else:
                rec["nnmt_residual_hz"] = None
                start = 10.0
            nu, mmu, msg, fres = mp_fixed_point(g, eta, start)
            rec["mpmath_rate_hz"] = float(nu)
            rec["mpmath_rate_hz_str"] = S.s20(nu)
            rec["mpmath_mu_mv"] = float(mmu)
            rec["mpmath_sigma_mv"] = float(msg)
            rec["mpmath_residual_hz"] = float(fres)
            if rec["converged"]:
                rec["rel_diff_nnmt_vs_mpmath"] = float(
                    max(abs(mp.mpf(rates[0]) / nu - 1), abs(mp.mpf(rates[1]) / nu - 1)))
            else:
                rec["rel_diff_nnmt_vs_mpmath"] = None
            rows.append(rec)
            print(f"g={g} eta={eta} nnmt={rec['rate_e_hz']:.10g}/{rec['rate_i_hz']:.10g} "
                  f"mp={float(nu):.12g} rel={rec['rel_diff_nnmt_vs_mpmath']} "
                  f"({time.time() - t_all:.1f}s)", flush=True)

    # ---- timings ----
    timing = {"loadavg_1_5_15_before": list(os.getloadavg())}
    g, eta = 5.0, 2.0
    p = network_params(g, eta)
    for label, kw in [("tight", NNMT_KW), ("nnmt_default", {})]:
        ts = []
        for _ in range(7):
            t0 = time.perf_counter()
            nnmt.lif.delta._firing_rates(**p, **kw)
            ts.append(time.perf_counter() - t0)
        timing[f"fixed_point_solve_{label}_median_s"] = statistics.median(ts)
        timing[f"fixed_point_solve_{label}_all_s"] = ts
    # one Siegert evaluation, scalar (mu, sigma)
    mu0, s0 = 0.015, 0.005  # V
    args = dict(V_0_rel=VR * 1e-3, V_th_rel=THETA * 1e-3, tau_m=TAU_M, tau_r=TAU_REF)
    f = nnmt.lif.delta._firing_rates_for_given_input
    f(mu=mu0, sigma=s0, **args)
    per_call = []
    single = []
    for rep in range(5):
        t0 = time.perf_counter()
        for _ in range(1000):
            f(mu=mu0, sigma=s0, **args)
        per_call.append((time.perf_counter() - t0) / 1000)
    for _ in range(1000):
        t0 = time.perf_counter()
        f(mu=mu0, sigma=s0, **args)
        single.append(time.perf_counter() - t0)
    timing["siegert_scalar_per_call_median_of_5x1000_s"] = statistics.median(per_call)
    timing["siegert_scalar_single_call_median_s"] = statistics.median(single)
    # vectorised: 1000 (mu, sigma) in one call
    mus = np.linspace(0.0, 0.03, 1000)
    sgs = np.full(1000, 0.005)
    tv = []
    for _ in range(5):
        t0 = time.perf_counter()
        f(mu=mus, sigma=sgs, **args)
        tv.append((time.perf_counter() - t0) / 1000)
    timing["siegert_vectorised_1000_points_per_point_median_s"] = statistics.median(tv)
    timing["loadavg_1_5_15_after"] = list(os.getloadavg())
    timing["notes"] = (
        "fixed-point solve timed on nnmt.lif.delta._firing_rates (the uncached "
        "parameter function behind nnmt.lif.delta.firing_rates) at g=5, eta=2, "
        "7 repeats, 'tight' = " + json.dumps(NNMT_KW) + ", 'nnmt_default' = "
        "NNMT defaults (ODE, eps_tol=1e-7). Siegert timed on "
        "nnmt.lif.delta._firing_rates_for_given_input(mu=15 mV, sigma=5 mV) "
        "as a scalar call (each call also runs NNMT's scipy.quad-based choice "
        "of the Gauss-Legendre order), and once vectorised over 1000 points. "
        "Single-threaded Python, machine shared with other jobs (load "
        "averages recorded): the 5x1000 mean per call includes contention "
        "outliers; the single-call median is the cleaner figure.")
    # ---- NNMT's double-precision Siegert against the mpmath table ----
    sieg = {}
    try:
        with open(os.path.join(REPO, "tests", "data", "siegert_mpmath.json")) as fh:
            table = json.load(fh)["points"]
        worst = (0.0, None)
        n_ok = n_fail = 0
        for pt in table:
            if not pt["rate_above_1e-12"]:
                continue
            try:
                with np.errstate(all="ignore"):
                    v = float(nnmt_phi(pt["mu"], pt["sigma"]))
                ref = mp.mpf(pt["rate_hz_str"])
                rel = float(abs(mp.mpf(v) / ref - 1))
                if not np.isfinite(v) or not rel < float("inf"):
                    raise ValueError(f"non-finite {v}")
                n_ok += 1
                if rel > worst[0]:
                    worst = (rel, (pt["mu"], pt["sigma"]))
            except Exception:  # NNMT may fail at extreme (mu, sigma)
                n_fail += 1
        sieg = {"n_points_rate_above_1e-12": n_ok + n_fail, "n_nnmt_failed": n_fail,
                "max_rel_err_nnmt_vs_mpmath": worst[0],
                "at_mu_sigma": worst[1]}
    except OSError as e:
        sieg = {"error": str(e)}
    print("NNMT Siegert vs mpmath:", sieg)

    timing["machine"] = (f"{platform.machine()}, {os.cpu_count()} cores, "
                         f"{platform.processor() or platform.platform()}")
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    timing["cpu"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    print(json.dumps(timing, indent=1))

    meta = {
        "script": SCRIPT,
        "tool": f"nnmt {nnmt.__version__} (nnmt.lif.delta.firing_rates, "
                f"Plain model, SI units), numpy {np.__version__}, scipy "
                f"{scipy.__version__}; cross-check mpmath {mp.__version__}, "
                f"mp.dps={S.DPS}; python {sys.version.split()[0]}",
        "model": "Brunel (2000) model A, delta synapses: N_E=10000, N_I=2500, "
                 "C_E=1000, C_I=250, J=0.1 mV, J_I=-g J, tau_m=0.02 s, "
                 "theta=20 mV, Vr=10 mV, tau_ref=0.002 s; external: C_E inputs "
                 "of rate nu_ext = eta theta/(J C_E tau_m) with jump J to E and I. "
                 "Balnet notation (docs/theory.md 4): K=1000, c_E=1, c_I=0.25, c_0=1, "
                 "J_AE = J sqrt(K), J_AI = -g J sqrt(K), J_A0 = J sqrt(K), "
                 "nu_0 = nu_ext.",
        "nnmt_settings": NNMT_KW,
        "units": "seconds, mV, Hz",
        "fields": {
            "g": "relative inhibition strength",
            "eta": "external drive relative to threshold",
            "nu_ext_hz": "rate of each external input (Hz)",
            "converged": "NNMT fixed point returned without RuntimeError",
            "nnmt_error": "NNMT exception text if not converged, else null",
            "rate_e_hz": "NNMT stationary rate of E (Hz)",
            "rate_i_hz": "NNMT stationary rate of I (Hz)",
            "mu_e_mv": "NNMT mean input of E (nnmt.lif.delta.mean_input, mV)",
            "mu_i_mv": "NNMT mean input of I (mV)",
            "sigma_e_mv": "NNMT input std of E (nnmt.lif.delta.std_input, mV)",
            "sigma_i_mv": "NNMT input std of I (mV)",
            "nnmt_residual_hz": "max over E, I of |Phi_NNMT(mu, sigma) - rate|",
            "mpmath_rate_hz": "independent scalar fixed point with mpmath "
                              "Siegert (Hz, E = I)",
            "mpmath_rate_hz_str": "same with 20 significant digits",
            "mpmath_mu_mv": "mu at the mpmath fixed point (mV)",
            "mpmath_sigma_mv": "sigma at the mpmath fixed point (mV)",
            "mpmath_residual_hz": "|Phi(mu, sigma) - nu| at the mpmath fixed point",
            "rel_diff_nnmt_vs_mpmath": "max over E, I of |rate_NNMT/mpmath - 1|",
        },
        "wall_time_s": round(time.time() - t_all, 1),
    }
    meta["nnmt_siegert_vs_mpmath_table"] = sieg
    meta["fields_nnmt_siegert_vs_mpmath_table"] = (
        "NNMT's double-precision _firing_rates_for_given_input evaluated at "
        "every point of tests/data/siegert_mpmath.json with rate above 1e-12 "
        "Hz: worst relative error and where; failures counted")
    doc = {"meta": meta, "timing": timing, "points": rows}
    with open(OUT, "w") as fh:
        json.dump(S.clean(doc), fh, indent=1, allow_nan=False)
        fh.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
