#!/usr/bin/env python3
"""Reference values of the LIF Siegert transfer function (docs/theory.md 2.2), its
derivative with respect to mu, and the ISI CV of the diffusion LIF
(Brunel 2000 appendix; Lindner et al. 2002), computed with mpmath.

Not part of the crate and not needed at test time: the Rust tests only read
the JSON files this script writes:

    tests/data/siegert_mpmath.json
    tests/data/lif_cv_mpmath.json

Run (from the repository root, in a throwaway venv with mpmath + numpy):

    python tools/reference/siegert_mpmath.py

Units: seconds, mV, Hz.

Siegert:
    Phi(mu, sigma) = 1 / (tau_ref + tau_m sqrt(pi) I),
    I = Int_{y_r}^{y_th} erfcx(-u) du,  erfcx(-u) = exp(u^2) (1 + erf u),
    y_th = (theta - mu)/sigma, y_r = (Vr - mu)/sigma.

The integral is evaluated without cancellation or overflow issues (mpmath has
an unbounded exponent range):
  * on u <= 0: erfcx(-u) = erfcx(|u|) = exp(u^2) erfc(|u|), smooth and
    decaying like 1/(sqrt(pi)|u|): mpmath.quad with geometric breakpoints;
  * on u >= 0: exp(u^2)(1 + erf u) = 2 exp(u^2) - erfcx(u), whose integral is
    sqrt(pi) (erfi(b) - erfi(a)) - Int_a^b erfcx(u) du (closed form + the
    same smooth quadrature).
Cross-checks recorded in meta: (a) the same rate at mp.dps = 50,
(b) a direct mpmath.quad of the naive integrand exp(u^2)(1 + erf u) where
y_th is moderate, (c) the analytic dPhi/dmu against mpmath.diff.
"""

import json
import os
import sys
import time

import mpmath as mp
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT_SIEGERT = os.path.join(REPO, "tests", "data", "siegert_mpmath.json")
OUT_CV = os.path.join(REPO, "tests", "data", "lif_cv_mpmath.json")
SCRIPT = "tools/reference/siegert_mpmath.py"

DPS = 30
mp.mp.dps = DPS

TAU_M = mp.mpf("0.02")
TAU_REF = mp.mpf("0.002")
THETA = mp.mpf(20)
VR = mp.mpf(10)

MU_GRID = [-200, -100, -50, -20, -10, -5, 0, 5, 8, 10, 12, 14, 15, 16, 17, 18,
           19, 19.5, 20, 20.5, 21, 22, 25, 30, 40, 60, 100, 200]
SIGMA_GRID = [0.01, 0.1, 0.5, 1, 2, 3, 5, 7.457, 8.135, 10, 15, 20, 30, 50,
              100]
N_RANDOM = 200
SEED = 20240601


def mpf_of(x):
    """mpf of the binary64 value of x: the reference is computed at exactly
    the double that the Rust test passes in (7.457 means the nearest double)."""
    return mp.mpf(float(x))


def erfcx(t):
    return mp.exp(t * t) * mp.erfc(t)


def int_erfcx(a, b):
    """Int_a^b erfcx(t) dt for 0 <= a <= b."""
    if b <= a:
        return mp.mpf(0)
    pts = [a]
    p = mp.mpf(2) ** -3
    while p < b:
        if p > a:
            pts.append(p)
        p *= 2
    pts.append(b)
    return mp.quad(erfcx, pts)


def siegert_integral(y_th, y_r):
    """I = Int_{y_r}^{y_th} exp(u^2)(1 + erf u) du, y_r < y_th."""
    sp = mp.sqrt(mp.pi)
    if y_th <= 0:
        return int_erfcx(-y_th, -y_r)
    if y_r >= 0:
        return sp * (mp.erfi(y_th) - mp.erfi(y_r)) - int_erfcx(y_r, y_th)
    # y_r < 0 < y_th
    return int_erfcx(0, -y_r) + sp * mp.erfi(y_th) - int_erfcx(0, y_th)


def phi(mu, sigma):
    mu = mp.mpf(mu)
    sigma = mp.mpf(sigma)
    y_th = (THETA - mu) / sigma
    y_r = (VR - mu) / sigma
    I = siegert_integral(y_th, y_r)
    return 1 / (TAU_REF + TAU_M * mp.sqrt(mp.pi) * I)


def erfcx_neg(y):
    """erfcx(-y) = exp(y^2)(1 + erf y), computed without cancellation."""
    return mp.exp(y * y) * mp.erfc(-y)


def dphi_dmu(mu, sigma, rate=None):
    mu = mp.mpf(mu)
    sigma = mp.mpf(sigma)
    if rate is None:
        rate = phi(mu, sigma)
    y_th = (THETA - mu) / sigma
    y_r = (VR - mu) / sigma
    return rate ** 2 * TAU_M * mp.sqrt(mp.pi) * (erfcx_neg(y_th) - erfcx_neg(y_r)) / sigma


def naive_phi(mu, sigma):
    """Direct quadrature of the naive integrand (only for moderate y_th)."""
    mu = mp.mpf(mu)
    sigma = mp.mpf(sigma)
    y_th = (THETA - mu) / sigma
    y_r = (VR - mu) / sigma
    # 1 + erf(u) cancels for u << 0: raise the working precision enough to
    # resolve erfc(|u|) ~ exp(-u^2) with 30 digits left.
    extra = int(max(0, -y_r) ** 2 / 2.3) + 40
    f = lambda u: mp.exp(u * u) * (1 + mp.erf(u))
    pts = [y_r]
    if y_r < 0 < y_th:
        pts.append(mp.mpf(0))
    pts.append(y_th)
    # refine long intervals
    fine = []
    for a, b in zip(pts[:-1], pts[1:]):
        n = int(min(20, max(1, mp.ceil((b - a) / 2))))
        fine.extend([a + (b - a) * k / n for k in range(n)])
    fine.append(pts[-1])
    with mp.workdps(mp.mp.dps + extra):
        I = mp.quad(f, fine)
        r = 1 / (TAU_REF + TAU_M * mp.sqrt(mp.pi) * I)
    return +r


def clean(obj):
    """Make obj strict-JSON safe: non-finite floats become None (serde_json
    rejects NaN/Infinity); numpy scalars become Python numbers."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if isinstance(obj, (bool, np.bool_)):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        v = float(obj)
        return v if np.isfinite(v) else None
    return obj


def s20(x):
    """20 significant digits (mpmath chooses fixed or exponent notation)."""
    return mp.nstr(x, 20)


def to_float(x):
    try:
        v = float(x)
    except OverflowError:
        v = float("inf")
    return v


def ln_float(x):
    if x == 0:
        return float("-inf")
    return float(mp.log(x))


def siegert_points():
    pts = []
    for mu in MU_GRID:
        for s in SIGMA_GRID:
            pts.append((float(mu), float(s), "grid"))
    rng = np.random.default_rng(SEED)
    mus = rng.uniform(-200.0, 200.0, N_RANDOM)
    sigs = 10.0 ** rng.uniform(-2.0, 2.0, N_RANDOM)
    for mu, s in zip(mus, sigs):
        pts.append((float(mu), float(s), "random"))
    return pts


def run_siegert():
    t0 = time.time()
    pts = siegert_points()
    out = []
    max_rel_dps50 = mp.mpf(0)
    max_rel_naive = mp.mpf(0)
    n_naive = 0
    max_rel_diff = mp.mpf(0)
    n_diff = 0
    for k, (mu, s, src) in enumerate(pts):
        m = mpf_of(mu)
        sg = mpf_of(s)
        r = phi(m, sg)
        d = dphi_dmu(m, sg, r)
        y_th = (THETA - m) / sg
        y_r = (VR - m) / sg
        above = bool(r > mp.mpf("1e-12"))
        rec = {
            "mu": mu,
            "sigma": s,
            "source": src,
            "y_th": float(y_th),
            "y_r": float(y_r),
            "rate_hz": to_float(r),
            "rate_hz_str": s20(r),
            "ln_rate": ln_float(r),
            "dphi_dmu_hz_per_mv": to_float(d),
            "dphi_dmu_hz_per_mv_str": s20(d),
            "ln_dphi_dmu": ln_float(d),
            "rate_above_1e-12": above,
        }
        out.append(rec)
        # cross-check (a): dps 50 on every 7th point and every point with
        # rate above 1e-12 in the grid's interesting region
        if k % 7 == 0 or (above and src == "grid" and -5 <= mu <= 40):
            with mp.workdps(50):
                r50 = phi(m, sg)
            rel = abs(r / r50 - 1)
            if above:
                max_rel_dps50 = max(max_rel_dps50, rel)
        # cross-check (b): naive integrand where y_th moderate
        if y_th < 6 and y_r > -12 and k % 3 == 0:
            rn = naive_phi(m, sg)
            max_rel_naive = max(max_rel_naive, abs(r / rn - 1))
            n_naive += 1
        if k % 40 == 0:
            print(f"{k}/{len(pts)} mu={mu:.4g} sigma={s:.4g} rate={mp.nstr(r, 8)}"
                  f" ({time.time() - t0:.1f}s)", flush=True)
    # cross-check (c): analytic derivative vs mpmath.diff
    diff_pts = [(12.072, 8.135), (13.963, 7.457), (0.0, 5.0), (19.0, 0.5),
                (25.0, 3.0), (-10.0, 10.0), (15.0, 1.0), (40.0, 20.0)]
    diff_rows = []
    for mu, s in diff_pts:
        m = mpf_of(mu)
        sg = mpf_of(s)
        dan = dphi_dmu(m, sg)
        dnum = mp.diff(lambda x: phi(x, sg), m)
        rel = abs(dan / dnum - 1)
        max_rel_diff = max(max_rel_diff, rel)
        n_diff += 1
        diff_rows.append({"mu": mu, "sigma": s, "analytic": s20(dan),
                          "mpmath_diff": s20(dnum), "rel_diff": float(rel)})
    meta = {
        "script": SCRIPT,
        "tool": f"mpmath {mp.__version__}, mp.dps={DPS}; numpy {np.__version__} "
                f"(only for the random points); python {sys.version.split()[0]}",
        "model": "LIF Siegert rate, docs/theory.md 2.2: Phi(mu,sigma) = 1/(tau_ref + "
                 "tau_m sqrt(pi) Int_{y_r}^{y_th} exp(u^2)(1+erf u) du)",
        "params": {"tau_m_s": 0.02, "tau_ref_s": 0.002, "theta_mv": 20.0,
                   "vr_mv": 10.0},
        "units": "seconds, mV, Hz",
        "random_points": f"{N_RANDOM} points, numpy.random.default_rng({SEED}): "
                         "mu = uniform(-200,200, n) first, then sigma = "
                         "10**uniform(-2,2, n)",
        "inputs_exact": "mu and sigma are the exact binary64 values stored in "
                        "the JSON (e.g. sigma 7.457 means the double nearest "
                        "7.457); the reference is computed at those doubles",
        "fields": {
            "mu": "mean input mu (mV), exact double the value was computed at",
            "sigma": "noise sigma (mV), exact double",
            "source": "'grid' (mu grid x sigma grid) or 'random'",
            "y_th": "(theta - mu)/sigma (float, informative)",
            "y_r": "(Vr - mu)/sigma (float, informative)",
            "rate_hz": "Phi(mu, sigma) in Hz as a float (0.0 if it underflows "
                       "binary64)",
            "rate_hz_str": "Phi(mu, sigma) in Hz, mpmath value with 20 "
                           "significant digits (e.g. '1.23e-210198524')",
            "ln_rate": "natural log of Phi in ln(Hz) as a float (finite even "
                       "when rate_hz underflows)",
            "dphi_dmu_hz_per_mv": "dPhi/dmu = Phi^2 tau_m sqrt(pi) (erfcx(-y_th) "
                                  "- erfcx(-y_r))/sigma in Hz/mV, float",
            "dphi_dmu_hz_per_mv_str": "same, 20 significant digits",
            "ln_dphi_dmu": "natural log of dPhi/dmu (Hz/mV) as a float",
            "rate_above_1e-12": "true if Phi > 1e-12 Hz (the region where "
                                "docs/theory.md section 4 requires relative error < 1e-9)",
        },
        "checks": {
            "max_rel_diff_dps30_vs_dps50_rate_above_1e-12": float(max_rel_dps50),
            "max_rel_diff_vs_naive_integrand_quad": float(max_rel_naive),
            "naive_check_note": "direct mpmath.quad of exp(u^2)(1+erf u) at raised "
                                "precision (dps 30 + y_r^2/2.3 + 40, so 1+erf u does "
                                "not cancel), on every 3rd point with y_th < 6 and "
                                "y_r > -12",
            "n_points_naive_check": n_naive,
            "max_rel_diff_dphi_dmu_analytic_vs_mpmath_diff": float(max_rel_diff),
            "n_points_diff_check": n_diff,
            "diff_check_points": diff_rows,
        },
        "wall_time_s": round(time.time() - t0, 1),
    }
    doc = {"meta": meta, "points": out}
    with open(OUT_SIEGERT, "w") as f:
        json.dump(clean(doc), f, indent=1, allow_nan=False)
        f.write("\n")
    print("wrote", OUT_SIEGERT, meta["checks"]["max_rel_diff_dps30_vs_dps50_rate_above_1e-12"],
          meta["checks"]["max_rel_diff_vs_naive_integrand_quad"], float(max_rel_diff))


# ---------------------------------------------------------------- ISI CV ----

CV_DPS = 25


def h_inner(y):
    """exp(y^2)(1 + erf y)^2 = erfcx(-y) * erfc(-y), stable for y -> -inf."""
    return mp.exp(y * y) * mp.erfc(-y) ** 2


def cv2_nested(mu, sigma, rate):
    """CV^2 = 2 pi (nu tau_m)^2 Int_{y_r}^{y_th} e^{x^2} dx Int_{-inf}^x h(y) dy
    by nested (double) mpmath quadrature."""
    y_th = (THETA - mu) / sigma
    y_r = (VR - mu) / sigma

    def inner(x):
        pts = [mp.ninf]
        if x > -4:
            pts.append(mp.mpf(-4))
        if x > 0:
            pts.append(mp.mpf(0))
        pts.append(x)
        return mp.quad(h_inner, pts)

    outer = lambda x: mp.exp(x * x) * inner(x)
    pts = [y_r]
    if y_r < 0 < y_th:
        pts.append(mp.mpf(0))
    pts.append(y_th)
    I = mp.quad(outer, pts)
    return 2 * mp.pi * (rate * TAU_M) ** 2 * I


def cv2_swapped(mu, sigma, rate):
    """Same double integral with the order swapped and the x integral done in
    closed form: Int_{-inf}^{y_th} h(y) (sqrt(pi)/2)(erfi(y_th) - erfi(max(y, y_r))) dy."""
    y_th = (THETA - mu) / sigma
    y_r = (VR - mu) / sigma
    c = mp.sqrt(mp.pi) / 2
    e_th = mp.erfi(y_th)
    e_r = mp.erfi(y_r)
    f1 = lambda y: h_inner(y) * c * (e_th - e_r)
    f2 = lambda y: h_inner(y) * c * (e_th - mp.erfi(y))
    pts1 = [mp.ninf]
    if y_r > -4:
        pts1.append(mp.mpf(-4))
    pts1.append(y_r)
    pts2 = [y_r]
    if y_r < 0 < y_th:
        pts2.append(mp.mpf(0))
    pts2.append(y_th)
    I = mp.quad(f1, pts1) + mp.quad(f2, pts2)
    return 2 * mp.pi * (rate * TAU_M) ** 2 * I


CV_POINTS = [(5.0, 5.0), (5.0, 10.0), (10.0, 3.0), (10.0, 7.0), (12.072, 8.135),
             (13.963, 7.457), (15.0, 5.0), (18.0, 4.0), (20.0, 6.0),
             (22.0, 3.0), (25.0, 3.0), (25.0, 10.0)]


def run_cv():
    t0 = time.time()
    rows = []
    max_rel = mp.mpf(0)
    with mp.workdps(CV_DPS):
        for mu, s in CV_POINTS:
            m = mpf_of(mu)
            sg = mpf_of(s)
            r = phi(m, sg)
            c2n = cv2_nested(m, sg, r)
            c2s = cv2_swapped(m, sg, r)
            rel = abs(c2n / c2s - 1)
            max_rel = max(max_rel, rel)
            cv = mp.sqrt(c2n)
            rows.append({
                "mu": mu, "sigma": s,
                "rate_hz": float(r), "rate_hz_str": s20(r),
                "cv2": float(c2n), "cv2_str": s20(c2n),
                "cv": float(cv), "cv_str": s20(cv),
                "cv2_swapped_order": float(c2s),
            })
            print(f"CV mu={mu} sigma={s} rate={mp.nstr(r, 8)} CV={mp.nstr(cv, 10)} "
                  f"rel(nested,swapped)={mp.nstr(rel, 3)} ({time.time() - t0:.1f}s)",
                  flush=True)
    meta = {
        "script": SCRIPT,
        "tool": f"mpmath {mp.__version__}, mp.dps={CV_DPS} (nested mpmath.quad, "
                "tanh-sinh)",
        "model": "ISI CV of the diffusion LIF with white noise (Brunel 2000, "
                 "appendix; Lindner et al. 2002): CV^2 = 2 pi (nu tau_m)^2 "
                 "Int_{y_r}^{y_th} e^{x^2} dx Int_{-inf}^{x} e^{y^2} (1+erf y)^2 dy, "
                 "nu = Siegert rate (including tau_ref)",
        "params": {"tau_m_s": 0.02, "tau_ref_s": 0.002, "theta_mv": 20.0,
                   "vr_mv": 10.0},
        "units": "seconds, mV, Hz",
        "fields": {
            "mu": "mean input (mV)",
            "sigma": "noise sigma (mV)",
            "rate_hz": "Siegert rate Phi(mu, sigma) (Hz), float",
            "rate_hz_str": "same, 20 significant digits",
            "cv2": "squared coefficient of variation of the ISI, nested double "
                   "quadrature (float)",
            "cv2_str": "same, 20 significant digits",
            "cv": "sqrt(cv2)",
            "cv_str": "same, 20 significant digits",
            "cv2_swapped_order": "cv2 from the swapped-order single quadrature "
                                 "with the x integral in closed form via erfi "
                                 "(independent check)",
        },
        "checks": {"max_rel_diff_nested_vs_swapped": float(max_rel)},
        "wall_time_s": round(time.time() - t0, 1),
    }
    with open(OUT_CV, "w") as f:
        json.dump(clean({"meta": meta, "points": rows}), f, indent=1, allow_nan=False)
        f.write("\n")
    print("wrote", OUT_CV)


if __name__ == "__main__":
    what = sys.argv[1:] or ["siegert", "cv"]
    if "siegert" in what:
        run_siegert()
    if "cv" in what:
        run_cv()
