#!/usr/bin/env python3
"""Independent reference for the docs/theory.md section-5 default network at D = 0:
finite-K Siegert mean field with the Poisson closure (docs/theory.md 2.1-2.4), for
fixed_indegree (without replacement) and bernoulli connectivity, plus the
balanced limit.

Not part of the crate and not needed at test time: writes
tests/data/default_d0_fixed_indegree.json, which the Rust tests read.

Run from the repository root in a throwaway venv with mpmath, numpy, scipy:

    python tools/reference/default_model_siegert.py

Units: seconds, mV, Hz. Jumps are J/sqrt(K).

Equations (P = 2 populations E, I; B runs over E, I):
    mu_A      = tau_m sqrt(K) (sum_B c_B J_AB nu_B + c_0 J_A0 nu_0)
    sigma_A^2 = tau_m (sum_B c_B J_AB^2 nu_B + c_0 J_A0^2 nu_0)
    fixed_indegree (w/o replacement):
        beta_A = tau_m^2 sum_B c_B J_AB^2 (1 - p_B) (q_B - nu_B^2)
    bernoulli:
        beta_A = tau_m^2 sum_B c_B J_AB^2 (1 - p_B) q_B
    p_B = c_B K / N_B
    nu_A = E_z[Phi(mu_A + sqrt(beta_A) z, sigma_A)], q_A = E_z[Phi^2]
    mean V of a neuron with mean input x and rate nu:
        (1 - nu tau_ref) x - tau_m nu (theta - Vr) + nu tau_ref Vr
    (population mean V = E_z of that with x = mu_A + sqrt(beta_A) z).

Two Siegert implementations are used: the mpmath one of siegert_mpmath.py
(mp.dps = 30) for the homogeneous solutions (solved entirely in mpmath with
mpmath.findroot) and for the final residual checks, and an independent
double-precision one here (scipy erfcx/dawsn + scipy.integrate.quad),
validated against tests/data/siegert_mpmath.json, for the Gauss-Hermite
averages inside scipy.optimize.root.
"""

import json
import os
import sys
import time

import mpmath as mp
import numpy as np
import scipy
from scipy import integrate, optimize, special

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import siegert_mpmath as S  # noqa: E402

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(REPO, "tests", "data", "default_d0_fixed_indegree.json")
SCRIPT = "tools/reference/default_model_siegert.py"

# ---------------------------------------------------------------- model ----
N = np.array([10000.0, 2500.0])
K = 1000.0
C = np.array([1.0, 0.25])
C0 = 1.0
NU0 = 12.0
JM = np.array([[5.0, -27.5], [5.0, -25.0]])   # J_AB, mV (jump J/sqrt(K))
J0 = np.array([5.0, 4.5])                      # J_A0, mV
TAU_M = 0.02
THETA = 20.0
VR = 10.0
TAU_REF = 0.002
P_CONN = C * K / N                             # p_B

MODEL_MD = {"nu": [11.594, 14.383], "mu": [12.072, 13.963],
            "sigma": [8.135, 7.457], "mean_v": [9.706, 10.972],
            "balanced_nu": [1.2, 9.6]}

GH_N = 200


# ------------------------------------------------- fast Siegert (double) ----
SQRT_PI = np.sqrt(np.pi)


def _int_erfcx(a, b):
    """Int_a^b erfcx(t) dt, 0 <= a <= b, adaptive quad at ~1e-14."""
    if b <= a:
        return 0.0
    pts = [a]
    p = 0.125
    while p < b:
        if p > a:
            pts.append(p)
        p *= 2.0
    pts.append(b)
    tot = 0.0
    for lo, hi in zip(pts[:-1], pts[1:]):
        v, _ = integrate.quad(special.erfcx, lo, hi, epsabs=0.0, epsrel=2e-14,
                              limit=200)
        tot += v
    return tot


def phi_fast(mu, sigma):
    """Siegert rate in double precision, stable over the whole plane."""
    y_th = (THETA - mu) / sigma
    y_r = (VR - mu) / sigma
    if y_th <= 0.0:
        I = _int_erfcx(-y_th, -y_r)
        return 1.0 / (TAU_REF + TAU_M * SQRT_PI * I)
    # y_th > 0: work with I * exp(-y_th^2), using
    # Int_a^b exp(u^2) du = exp(b^2) D(b) - exp(a^2) D(a)  (D = Dawson)
    e = np.exp(-y_th * y_th)
    if y_r >= 0.0:
        Is = 2.0 * special.dawsn(y_th) - 2.0 * np.exp(y_r * y_r - y_th * y_th) * special.dawsn(y_r)
        Is -= e * _int_erfcx(y_r, y_th)
    else:
        Is = 2.0 * special.dawsn(y_th) + e * (_int_erfcx(0.0, -y_r) - _int_erfcx(0.0, y_th))
    return e / (e * TAU_REF + TAU_M * SQRT_PI * Is)


def validate_phi_fast():
    path = os.path.join(REPO, "tests", "data", "siegert_mpmath.json")
    with open(path) as fh:
        pts = json.load(fh)["points"]
    worst = 0.0
    where = None
    n = 0
    for p in pts:
        if not p["rate_above_1e-12"]:
            continue
        v = phi_fast(p["mu"], p["sigma"])
        rel = float(abs(mp.mpf(v) / mp.mpf(p["rate_hz_str"]) - 1))
        n += 1
        if rel > worst:
            worst, where = rel, (p["mu"], p["sigma"])
    return {"n_points": n, "max_rel_err": worst, "at_mu_sigma": where}


# ------------------------------------------------------- input statistics ----
def mu_of(nu):
    return TAU_M * np.sqrt(K) * (JM @ (C * nu) + C0 * J0 * NU0)


def sigma_of(nu):
    return np.sqrt(TAU_M * (JM ** 2 @ (C * nu) + C0 * J0 ** 2 * NU0))


def beta_of(nu, q, rule):
    if rule == "bernoulli":
        v = q
    elif rule == "fixed_indegree":
        v = q - nu ** 2
    else:
        raise ValueError(rule)
    return TAU_M ** 2 * (JM ** 2 @ (C * (1.0 - P_CONN) * v))


def mean_v(x, nu):
    return (1.0 - nu * TAU_REF) * x - TAU_M * nu * (THETA - VR) + nu * TAU_REF * VR


# mpmath versions
def mp_vec(v):
    return [mp.mpf(float(x)) for x in v]


MP_JM = [[mp.mpf(float(x)) for x in row] for row in JM]
MP_J0 = mp_vec(J0)
MP_C = mp_vec(C)
MP_K = mp.mpf(float(K))
MP_NU0 = mp.mpf(float(NU0))


def mp_mu_sigma(nu):
    mu, sg = [], []
    for a in range(2):
        s1 = sum(MP_C[b] * MP_JM[a][b] * nu[b] for b in range(2)) + MP_J0[a] * MP_NU0
        s2 = sum(MP_C[b] * MP_JM[a][b] ** 2 * nu[b] for b in range(2)) + MP_J0[a] ** 2 * MP_NU0
        mu.append(S.TAU_M * mp.sqrt(MP_K) * s1)
        sg.append(mp.sqrt(S.TAU_M * s2))
    return mu, sg


def mp_mean_v(x, nu):
    return (1 - nu * S.TAU_REF) * x - S.TAU_M * nu * (S.THETA - S.VR) + nu * S.TAU_REF * S.VR


# ----------------------------------------------------- homogeneous (beta=0) ----
def mp_homogeneous(start):
    def f(nuE, nuI):
        mu, sg = mp_mu_sigma([nuE, nuI])
        return [S.phi(mu[0], sg[0]) - nuE, S.phi(mu[1], sg[1]) - nuI]
    sol = mp.findroot(f, [mp.mpf(start[0]), mp.mpf(start[1])],
                      tol=mp.mpf(10) ** (-2 * S.DPS + 8), maxsteps=200)
    nu = [sol[0], sol[1]]
    mu, sg = mp_mu_sigma(nu)
    res = f(*nu)
    return nu, mu, sg, max(abs(r) for r in res)


def homogeneous_record(nu, mu, sg, res, label):
    mv = [mp_mean_v(mu[a], nu[a]) for a in range(2)]
    gains = [S.dphi_dmu(mu[a], sg[a]) for a in range(2)]
    rec = {
        "label": label,
        "nu_hz": [float(x) for x in nu],
        "nu_hz_str": [S.s20(x) for x in nu],
        "nu_hz_10sig": [mp.nstr(x, 10) for x in nu],
        "mu_mv": [float(x) for x in mu],
        "mu_mv_10sig": [mp.nstr(x, 10) for x in mu],
        "sigma_mv": [float(x) for x in sg],
        "sigma_mv_10sig": [mp.nstr(x, 10) for x in sg],
        "beta_mv2": [0.0, 0.0],
        "q_hz2": [float(x ** 2) for x in nu],
        "mean_v_mv": [float(x) for x in mv],
        "mean_v_mv_10sig": [mp.nstr(x, 10) for x in mv],
        "gain_hz_per_mv": [float(x) for x in gains],
        "residual_hz": float(res),
    }
    return rec


def beta_stability(nu, mu, sg):
    """Linearisation of beta -> tau_m^2 sum_B c_B J_AB^2 (1-p_B) Var_B(beta)
    at beta = 0 for fixed_indegree: Var_B ~ gain_B^2 beta_B, so the Jacobian
    is M_AB = tau_m^2 c_B J_AB^2 (1-p_B) gain_B^2. Spectral radius < 1 means
    the homogeneous (beta = 0) solution is locally the only one (no
    heterogeneity-generating bifurcation)."""
    g = np.array([float(S.dphi_dmu(mu[a], sg[a])) for a in range(2)])
    M = TAU_M ** 2 * JM ** 2 * (C * (1 - P_CONN) * g ** 2)[None, :]
    ev = np.linalg.eigvals(M)
    return {"matrix": M.tolist(), "eigenvalues": [complex(e).real for e in ev],
            "spectral_radius": float(max(abs(ev)))}


# ------------------------------------------------------ silent branch scan ----
NU_I_GRID = np.concatenate([[0.0], np.logspace(-12, np.log10(1.0 / TAU_REF), 150)])


def solve_nu_i_given_nu_e(nuE, all_roots=False):
    """For fixed nu_E, all solutions of the I self-consistency
    nu_I = Phi_I(mu_I(nu_E, nu_I), sigma_I(nu_E, nu_I)): sign changes on a
    log grid of nu_I, then brentq. Returns the list of roots (or the single
    root if there is exactly one and all_roots is False)."""
    def h(nuI):
        nu = np.array([nuE, nuI])
        return phi_fast(mu_of(nu)[1], sigma_of(nu)[1]) - nuI
    hv = [h(x) for x in NU_I_GRID]
    roots = []
    for a, b, ha, hb in zip(NU_I_GRID[:-1], NU_I_GRID[1:], hv[:-1], hv[1:]):
        if ha == 0.0:
            roots.append(a)
        elif ha * hb < 0:
            roots.append(optimize.brentq(h, a, b, xtol=1e-300, rtol=1e-14, maxiter=500))
    if all_roots:
        return roots
    if len(roots) != 1:
        raise RuntimeError(f"nu_E={nuE}: {len(roots)} roots of the I equation")
    return roots[0]


def scan_fixed_points():
    """All homogeneous fixed points: scan nu_E on a log grid, solve the I
    equation for nu_I, look for sign changes of the E residual."""
    grid = np.concatenate([[0.0], np.logspace(-12, np.log10(499.0), 300)])
    vals = []
    n_multi = 0
    for nuE in grid:
        rts = solve_nu_i_given_nu_e(nuE, all_roots=True)
        if len(rts) != 1:
            n_multi += 1
        nuI = rts[0]
        nu = np.array([nuE, nuI])
        r = phi_fast(mu_of(nu)[0], sigma_of(nu)[0]) - nuE
        vals.append((nuE, nuI, r))
    roots = []
    for (a, ia, ra), (b, ib, rb) in zip(vals[:-1], vals[1:]):
        if ra == 0.0:
            roots.append((a, ia))
        elif ra * rb < 0:
            def e(nuE):
                nuI = solve_nu_i_given_nu_e(nuE)
                nu = np.array([nuE, nuI])
                return phi_fast(mu_of(nu)[0], sigma_of(nu)[0]) - nuE
            x = optimize.brentq(e, a, b, xtol=1e-300, rtol=1e-14, maxiter=500)
            roots.append((x, solve_nu_i_given_nu_e(x)))
    return roots, {"nu_e_grid": "0 and 300 log-spaced points 1e-12..499 Hz; for "
                                "each, all roots nu_I of the I equation on 0 and "
                                "150 log-spaced points 1e-12..500 Hz",
                   "n_nu_e_with_not_exactly_one_nu_i_root": n_multi,
                   "sign_of_E_residual_at_0": float(np.sign(vals[0][2])),
                   "E_residual_at_nuE_0": vals[0][2],
                   "nu_i_at_nuE_0": vals[0][1]}


# ------------------------------------------------------- Gaussian averages ----
def gh(n):
    x, w = np.polynomial.hermite.hermgauss(n)
    return np.sqrt(2.0) * x, w / np.sqrt(np.pi)


def averages(mu, sigma, beta, z, w):
    """E_z[Phi], E_z[Phi^2], E_z[dPhi/dmu-free mean V], E_z[Phi'] over
    x = mu + sqrt(beta) z."""
    sb = np.sqrt(max(beta, 0.0))
    vals = np.array([phi_fast(mu + sb * zi, sigma) for zi in z])
    nu = float(np.dot(w, vals))
    q = float(np.dot(w, vals ** 2))
    mv = float(np.dot(w, mean_v(mu + sb * z, vals)))
    return nu, q, mv, vals


def bernoulli_residual(x, z, w):
    nu = x[:2]
    q = x[2:]
    mu = mu_of(nu)
    sg = sigma_of(nu)
    beta = beta_of(nu, q, "bernoulli")
    out = np.empty(4)
    for a in range(2):
        n_a, q_a, _, _ = averages(mu[a], sg[a], beta[a], z, w)
        out[a] = n_a - nu[a]
        out[2 + a] = q_a - q[a]
    return out


def solve_bernoulli(start, z, w):
    sol = optimize.root(bernoulli_residual, start, args=(z, w), method="hybr",
                        options={"xtol": 1e-14, "maxfev": 2000})
    x = sol.x
    res = bernoulli_residual(x, z, w)
    return x, sol, res


def bernoulli_record(x, z, w):
    nu = x[:2]
    q = x[2:]
    mu = mu_of(nu)
    sg = sigma_of(nu)
    beta = beta_of(nu, q, "bernoulli")
    rec = {"nu_hz": nu.tolist(), "q_hz2": q.tolist(), "mu_mv": mu.tolist(),
           "sigma_mv": sg.tolist(), "beta_mv2": beta.tolist(),
           "sqrt_beta_mv": np.sqrt(beta).tolist()}
    mvs, sds, sil = [], [], []
    for a in range(2):
        n_a, q_a, mv, vals = averages(mu[a], sg[a], beta[a], z, w)
        mvs.append(mv)
        sds.append(float(np.sqrt(max(q_a - n_a ** 2, 0.0))))
    rec["mean_v_mv"] = mvs
    rec["rate_sd_hz"] = sds
    for k in ["nu_hz", "q_hz2", "mu_mv", "sigma_mv", "beta_mv2", "mean_v_mv"]:
        rec[k + "_10sig"] = [f"{v:.10g}" for v in rec[k]]
    return rec


def mp_gh_check(x, n):
    """Residual of the bernoulli fixed point re-evaluated with the mpmath
    Siegert and mpmath Gauss-Hermite nodes (n points)."""
    z, w = gh(n)  # double nodes are fine to ~1e-16 relative on the average
    nu = x[:2]
    q = x[2:]
    mu = mu_of(nu)
    sg = sigma_of(nu)
    beta = beta_of(nu, q, "bernoulli")
    worst = 0.0
    for a in range(2):
        sb = mp.sqrt(mp.mpf(beta[a]))
        n_a = mp.mpf(0)
        q_a = mp.mpf(0)
        for zi, wi in zip(z, w):
            r = S.phi(mp.mpf(mu[a]) + sb * mp.mpf(zi), mp.mpf(sg[a]))
            n_a += mp.mpf(wi) * r
            q_a += mp.mpf(wi) * r * r
        worst = max(worst, float(abs(n_a / nu[a] - 1)), float(abs(q_a / q[a] - 1)))
    return worst


# --------------------------------------------------------- balanced limit ----
def balanced_limit():
    W = JM * C[None, :]
    # solved in mpmath (the float result is the correctly rounded value)
    Wm = mp.matrix([[MP_JM[a][b] * MP_C[b] for b in range(2)] for a in range(2)])
    rm = mp.matrix([-MP_J0[a] * MP_NU0 for a in range(2)])
    num = mp.lu_solve(Wm, rm)
    nu = np.array([float(num[0]), float(num[1])])
    cond = float(np.linalg.cond(W))
    sg = sigma_of(nu)
    out = {"nu_hz": nu.tolist(), "nu_hz_mpmath_str": [S.s20(num[0]), S.s20(num[1])],
           "balance_matrix_W": W.tolist(), "cond_W_2norm": cond,
           "sigma_mv": sg.tolist()}
    # mu_A with beta = 0 (fixed_indegree, D = 0): Phi(mu_A, sigma_A) = nu_A
    mus = []
    for a in range(2):
        def make(a):
            sa, na = mp.mpf(float(sg[a])), mp.mpf(float(nu[a]))
            return lambda m: S.phi(m, sa) - na  # one argument: 1-D for findroot
        f = make(a)
        m = mp.findroot(f, (mp.mpf(-20), mp.mpf(30)), solver="illinois",
                        tol=mp.mpf(10) ** -40, maxsteps=500)
        mus.append(m)
    out["fixed_indegree_mu_mv"] = [float(m) for m in mus]
    out["fixed_indegree_mean_v_mv"] = [float(mp_mean_v(mus[a], mp.mpf(nu[a]))) for a in range(2)]
    # bernoulli: unknowns mu_A, q_A with nu_A fixed, beta from q
    z, w = gh(GH_N)

    def resid(y):
        mu = y[:2]
        q = y[2:]
        beta = beta_of(nu, q, "bernoulli")
        r = np.empty(4)
        for a in range(2):
            n_a, q_a, _, _ = averages(mu[a], sg[a], beta[a], z, w)
            r[a] = n_a - nu[a]
            r[2 + a] = q_a - q[a]
        return r
    y0 = np.array([float(mus[0]), float(mus[1]), nu[0] ** 2, nu[1] ** 2])
    sol = optimize.root(resid, y0, method="hybr", options={"xtol": 1e-14})
    mu = sol.x[:2]
    q = sol.x[2:]
    beta = beta_of(nu, q, "bernoulli")
    mv = [averages(mu[a], sg[a], beta[a], z, w)[2] for a in range(2)]
    out["bernoulli"] = {"mu_mv": mu.tolist(), "q_hz2": q.tolist(),
                        "beta_mv2": beta.tolist(), "mean_v_mv": mv,
                        "residual": float(np.max(np.abs(resid(sol.x)))),
                        "converged": bool(sol.success)}
    return out


# -------------------------------------------------------------------- main ----
def main():
    t0 = time.time()
    val = validate_phi_fast()
    print("phi_fast vs mpmath table:", val, flush=True)

    # fixed_indegree, homogeneous, mpmath throughout
    nu, mu, sg, res = mp_homogeneous([11.6, 14.4])
    main_rec = homogeneous_record(nu, mu, sg, res, "operating point")
    main_rec["beta_linear_stability"] = beta_stability(nu, mu, sg)
    print("homogeneous:", main_rec["nu_hz_10sig"], main_rec["mu_mv_10sig"],
          main_rec["sigma_mv_10sig"], main_rec["mean_v_mv_10sig"], res, flush=True)
    # scipy cross-check
    def f2(x):
        m, s = mu_of(x), sigma_of(x)
        return [phi_fast(m[0], s[0]) - x[0], phi_fast(m[1], s[1]) - x[1]]
    sp = optimize.fsolve(f2, [11.6, 14.4], xtol=1e-14, full_output=True)
    main_rec["scipy_fsolve_nu_hz"] = sp[0].tolist()
    main_rec["scipy_fsolve_rel_diff_vs_mpmath"] = float(max(
        abs(sp[0][a] / float(nu[a]) - 1) for a in range(2)))

    # all homogeneous fixed points
    roots, scan_info = scan_fixed_points()
    print("scan roots:", roots, scan_info, flush=True)
    others = []
    for r in roots:
        if abs(r[0] - float(nu[0])) < 1e-6 * float(nu[0]):
            continue
        try:
            n2, m2, s2, res2 = mp_homogeneous([r[0], r[1]])
            rec2 = homogeneous_record(n2, m2, s2, res2, "other fixed point")
        except Exception as e:  # findroot may struggle at tiny rates
            nn = np.array(r)
            rec2 = {"label": "other fixed point (double precision only)",
                    "nu_hz": nn.tolist(), "mu_mv": mu_of(nn).tolist(),
                    "sigma_mv": sigma_of(nn).tolist(), "mpmath_error": str(e)}
        others.append(rec2)
    # also try low-rate starts directly
    low_starts = []
    for st in ([1e-3, 1e-3], [1e-2, 1e-1], [0.1, 0.1], [0.5, 2.0], [1e-6, 1e-6]):
        try:
            with np.errstate(all="ignore"):
                s_ = optimize.fsolve(f2, st, xtol=1e-14, full_output=True)
                resid = float(np.max(np.abs(f2(s_[0]))))
            low_starts.append({"start": st, "nu_hz": s_[0].tolist(),
                               "ier": int(s_[2]), "msg": s_[3],
                               "residual_hz": resid})
        except Exception as e:
            low_starts.append({"start": st, "error": str(e)})
    print("low starts:", low_starts, flush=True)

    # bernoulli
    z, w = gh(GH_N)
    start = np.array([float(nu[0]), float(nu[1]), float(nu[0]) ** 2 * 1.5,
                      float(nu[1]) ** 2 * 1.5])
    xb, solb, resb = solve_bernoulli(start, z, w)
    brec = bernoulli_record(xb, z, w)
    brec["converged"] = bool(np.max(np.abs(resb)) < 1e-10)
    brec["root_message"] = solb.message
    brec["residual_max_abs"] = float(np.max(np.abs(resb)))
    z3, w3 = gh(300)
    brec["rel_change_gh200_vs_gh300"] = float(np.max(np.abs(
        bernoulli_residual(xb, z3, w3)[:2] / xb[:2])))
    print("bernoulli:", brec, flush=True)
    brec["mpmath_gh200_rel_residual"] = mp_gh_check(xb, GH_N)
    print("bernoulli mpmath check:", brec["mpmath_gh200_rel_residual"], flush=True)
    # other bernoulli fixed points from low starts
    b_low = []
    for st in ([0.01, 0.01, 1e-3, 1e-3], [0.2, 0.5, 0.1, 0.5], [1.0, 3.0, 5.0, 20.0],
               [30.0, 50.0, 2000.0, 4000.0]):
        with np.errstate(all="ignore"):
            x2, s2, r2 = solve_bernoulli(np.array(st), z, w)
        b_low.append({"start": st, "x_nu_nu_q_q": x2.tolist(),
                      "converged": bool(np.max(np.abs(r2)) < 1e-10),
                      "residual_max_abs": float(np.max(np.abs(r2)))})
    print("bernoulli other starts:", b_low, flush=True)

    bal = balanced_limit()
    print("balanced:", bal, flush=True)

    # comparison with docs/theory.md section 5
    cmp = {}
    for key, ours in [("nu", main_rec["nu_hz"]), ("mu", main_rec["mu_mv"]),
                      ("sigma", main_rec["sigma_mv"]), ("mean_v", main_rec["mean_v_mv"]),
                      ("balanced_nu", bal["nu_hz"])]:
        md = MODEL_MD[key]
        ok = all(abs(round(o, 3) - m) < 1e-9 or abs(o - m) <= 0.0005 + 1e-12
                 for o, m in zip(ours, md))
        cmp[key] = {"model_md": md, "ours": ours, "agree_to_3_decimals": ok}

    meta = {
        "script": SCRIPT,
        "tool": f"mpmath {mp.__version__} mp.dps={S.DPS} (Siegert, homogeneous "
                f"solutions via mpmath.findroot); scipy {scipy.__version__} "
                f"(erfcx/dawsn + quad Siegert, optimize.root hybr xtol 1e-14), "
                f"numpy {np.__version__} ({GH_N}-point Gauss-Hermite); python "
                f"{sys.version.split()[0]}",
        "model": "docs/theory.md section 5 default parameters, D = 0, finite K = 1000, "
                 "Siegert transfer, Poisson closure (docs/theory.md 2.1-2.4)",
        "params": {"N": N.tolist(), "K": K, "c": C.tolist(), "c_0": C0,
                   "nu_0_hz": NU0, "J_mv": JM.tolist(), "J_0_mv": J0.tolist(),
                   "tau_m_s": TAU_M, "theta_mv": THETA, "vr_mv": VR,
                   "tau_ref_s": TAU_REF, "p_B": P_CONN.tolist(),
                   "jump": "J/sqrt(K)"},
        "units": "seconds, mV, Hz (q in Hz^2, beta in mV^2)",
        "phi_fast_validation": val,
        "fields": {
            "fixed_indegree": "homogeneous solution (beta = 0, q = nu^2), "
                              "fixed_indegree without replacement; arrays are [E, I]",
            "fixed_indegree.nu_hz / _str / _10sig": "population rates (Hz), float / "
                                                    "20 and 10 significant digits",
            "fixed_indegree.mu_mv": "mu_A (mV)",
            "fixed_indegree.sigma_mv": "sigma_A (mV)",
            "fixed_indegree.mean_v_mv": "(1 - nu tau_ref) mu - tau_m nu (theta - Vr) "
                                        "+ nu tau_ref Vr (mV)",
            "fixed_indegree.gain_hz_per_mv": "dPhi/dmu at (mu_A, sigma_A)",
            "fixed_indegree.residual_hz": "max |Phi - nu| at the mpmath solution",
            "fixed_indegree.beta_linear_stability": "Jacobian of the beta map at "
                                                    "beta = 0 (spectral radius < 1: no "
                                                    "heterogeneous branch bifurcates)",
            "fixed_indegree.scipy_fsolve_nu_hz": "same solution from scipy.fsolve "
                                                 "with the double Siegert",
            "fixed_indegree_other_fixed_points": "all other homogeneous fixed points "
                                                 "found by the scan (e.g. a nearly "
                                                 "silent one); empty if none",
            "fixed_indegree_scan": "how the scan was done and the E residual at nu_E = 0",
            "fixed_indegree_low_rate_starts": "scipy.fsolve from low-rate starts: "
                                              "where it ends up",
            "bernoulli": "bernoulli connectivity, D = 0: nu, q (= E[nu^2]), mu, "
                         "sigma, beta, population-mean V, rate sd = sqrt(q - nu^2), "
                         "all [E, I]",
            "bernoulli.rel_change_gh200_vs_gh300": "relative change of nu when the "
                                                   "average uses 300 nodes",
            "bernoulli.mpmath_gh200_rel_residual": "fixed-point relative residual "
                                                   "re-evaluated with the mpmath Siegert",
            "bernoulli_other_starts": "root finder from other starts",
            "balanced_limit": "solution of sum_B c_B J_AB nu_B + c_0 J_A0 nu_0 = 0; "
                              "sigma_A from those rates; mu_A (and for bernoulli "
                              "q_A, beta_A) solving nu_A = E_z[Phi] with nu_A given",
            "model_md_comparison": "ours vs the rounded docs/theory.md section-5 numbers",
        },
        "wall_time_s": None,
    }
    doc = {
        "meta": meta,
        "fixed_indegree": main_rec,
        "fixed_indegree_other_fixed_points": others,
        "fixed_indegree_scan": scan_info,
        "fixed_indegree_low_rate_starts": low_starts,
        "bernoulli": brec,
        "bernoulli_other_starts": b_low,
        "balanced_limit": bal,
        "model_md_comparison": cmp,
    }
    meta["wall_time_s"] = round(time.time() - t0, 1)
    with open(OUT, "w") as fh:
        json.dump(S.clean(doc), fh, indent=1, allow_nan=False)
        fh.write("\n")
    print("wrote", OUT)
    print(json.dumps(cmp, indent=1))


if __name__ == "__main__":
    main()
