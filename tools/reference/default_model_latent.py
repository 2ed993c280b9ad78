#!/usr/bin/env python3
"""Independent reference for the latent-variable numbers of the docs/theory.md
section-5 default model (rank one, D = 1, D_in = 1): the finite-K rank-one
bifurcation, the balanced-limit bifurcation, the bistable fixed point and the
fixed point and mean-potential shift after the input step, for fixed_indegree
(without replacement) and bernoulli connectivity. Siegert transfer function,
Poisson closure.

Not part of the crate and not needed at test time: writes
tests/data/default_model_latent.json, which tests/latent.rs reads. Nothing here
calls balnet; the equations are those of docs/theory.md 1, 2.1-2.4, 2.6.1.

Run from the repository root in a throwaway venv with mpmath (numpy is only
needed by siegert_mpmath.py, imported for a cross-check):

    python tools/reference/default_model_latent.py

Units: seconds, mV, Hz. Populations A, B in (E, I); jumps J/sqrt(K).

Model (docs/theory.md section 5): N = (10000, 2500), K = 1000, c = (1, 0.25),
c_0 = 1, nu_0 = 12 Hz, J = [[5, -27.5], [5, -25]] mV, J_0 = (5, 4.5) mV,
tau_m = 0.02 s, theta = 20 mV, Vr = 10 mV, tau_ref = 0.002 s; loadings on both
populations with zero means, Sigma^mm = sigma_m^2 = 400 mV^2,
Sigma^nm = Cov(n, m) (11.65 mV default, 23.30 mV bistable), w = 0.09 m, so
Sigma^mw = 0.09 * 400, Sigma^nw = 0.09 Sigma^nm, Sigma^ww = 0.09^2 * 400.
The loading constants are formed in binary64 first (as the crate does) and then
carried exactly into mpmath.

Equations (docs/theory.md 2.1, 2.3, 2.4, 2.6.1):
    mu_A      = tau_m sqrt(K) (sum_B c_B J_AB nu_B + c_0 J_A0 nu_0)
    sigma_A^2 = tau_m (sum_B c_B J_AB^2 nu_B + c_0 J_A0^2 nu_0)
    beta_A    = tau_m^2 sum_B c_B J_AB^2 (1 - p_B) (q_B - nu_B^2)   fixed_indegree
              = tau_m^2 sum_B c_B J_AB^2 (1 - p_B) q_B              bernoulli
                (clamped at 0), p_B = c_B K / N_B
    M_A       = mu_A + tau_m mbar kappa + wbar s = mu_A   (zero means)
    Delta_A   = beta_A + tau_m^2 Smm kappa^2 + Sww s^2 + 2 tau_m Smw kappa s
    nu_A = E_z[Phi(M_A + sqrt(Delta_A) z; sigma_A)], q_A = E_z[Phi^2],
    gain_A = E_z[dPhi/dx],  <V>_A = E_z[<V>(M_A + sqrt(Delta_A) z)]
    <V>(x) = (1 - nu tau_ref) x - tau_m nu (theta - Vr) + nu tau_ref Vr,  nu = Phi(x)
    G(kappa) = F(kappa, s) = sum_B c_B (tau_m Snm kappa + Snw s) gain_B   (nbar = 0)
    latent fixed point: G(kappa*) = kappa*, fast variables solved at kappa*
    rank-one bifurcation (kappa = 0, s = 0): Sigma^nm* = 1 / (tau_m sum_B c_B gain_B(0))
    balanced limit: sum_B c_B J_AB nu_B = -c_0 J_A0 nu_0 fixes nu; mu_A from
        nu_A = Phi(mu_A; sigma_A) (fixed_indegree, beta = 0 at kappa = 0)
    stability of a fixed point: eigenvalue (dG/dkappa - 1) / tau_s with the
        reduced map's derivative (fast state re-solved), by central differences

Numerics (all mpmath, mp.dps = 30 unless stated):
  * Siegert in closed form, independent of the quadrature in siegert_mpmath.py:
        Int_0^y e^{u^2} (1 + erf u) du = sqrt(pi)/2 erfi(y)
                                         + y^2/sqrt(pi) 2F2(1, 1; 3/2, 2; y^2)
    (term-by-term integration of the series of e^{u^2} erf u), evaluated with
    max(y_th^2, y_r^2)/ln(10) + 15 extra digits against cancellation;
        dPhi/dx = Phi^2 tau_m sqrt(pi) (erfcx(-y_th) - erfcx(-y_r)) / sigma.
    Cross-checked against siegert_mpmath.phi (quadrature of erfcx) at sample
    inputs of every final state.
  * Gaussian averages: Gauss-Hermite rule of mpmath (mp.gauss_quadrature, GH_N
    nodes), nodes of weight < 1e-45 dropped; the final states are re-checked
    with GH_CHECK nodes (one chord-Newton step, whose size is recorded).
  * Fast state at given (kappa, s): Newton in (nu_E, nu_I, q_E, q_I) with a
    forward-difference Jacobian; fixed_indegree at kappa = s = 0 is homogeneous
    (q = nu^2, beta = 0, Delta = 0: two unknowns, no averages).
  * Latent fixed points: the sign of G(kappa) - kappa is scanned over the
    bracket the tests use (dps 15, SCAN_GH nodes), then Newton on the joint
    system (nu_E, nu_I, q_E, q_I, kappa) polishes the root at dps 30.
"""

import json
import os
import sys
import time

import mpmath as mp

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import siegert_mpmath as S  # noqa: E402  (cross-check of Phi; sets mp.dps = 30)

REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(REPO, "tests", "data", "default_model_latent.json")
SCRIPT = "tools/reference/default_model_latent.py"

DPS = 30
mp.mp.dps = DPS
GH_N = 160
GH_CHECK = 240
SCAN_GH = 60
W_MIN = mp.mpf("1e-45")


def b64(x):
    """mpf of the binary64 value of x (the crate's inputs are doubles)."""
    return mp.mpf(float(x))


# ---------------------------------------------------------------- model ----
N = [10000.0, 2500.0]
K = 1000.0
C = [1.0, 0.25]
C0 = 1.0
NU0 = 12.0
JM = [[5.0, -27.5], [5.0, -25.0]]
J0 = [5.0, 4.5]
TAU_M_F, THETA_F, VR_F, TAU_REF_F = 0.02, 20.0, 10.0, 0.002
P_CONN_F = [C[b] * K / N[b] for b in range(2)]
SIGMA_M, SIGMA_N, W_SCALE, TAU_S = 20.0, 1.5, 0.09, 0.1
SNM_DEFAULT, SNM_BISTABLE = 11.65, 23.30

TAU_M, THETA, VR, TAU_REF = b64(TAU_M_F), b64(THETA_F), b64(VR_F), b64(TAU_REF_F)
MK = b64(K)
MC = [b64(c) for c in C]
MJ = [[b64(x) for x in row] for row in JM]
MJ0 = [b64(x) for x in J0]
MNU0 = b64(NU0)
MC0 = b64(C0)
MP_CONN = [b64(p) for p in P_CONN_F]


def loadings(snm):
    """Loading moments of presets::rank_one_latent(snm), formed in binary64."""
    smm = SIGMA_M * SIGMA_M
    return {"smm": b64(smm), "snm": b64(snm), "smw": b64(W_SCALE * smm),
            "snw": b64(W_SCALE * snm), "sww": b64(W_SCALE * W_SCALE * smm)}


# ------------------------------------------------------------- Siegert ----
SQPI = mp.sqrt(mp.pi)


def _erf_part(y2):
    """y^2 2F2(1, 1; 3/2, 2; y^2) = sum_n 2^n y^(2n+2) / ((2n+1)!! (n+1)), summed
    directly (all terms positive; mpmath's hyp2f2 is much slower here)."""
    term = y2
    total = term
    n = 0
    while True:
        term = term * 2 * y2 * (n + 1) / ((2 * n + 3) * (n + 2))
        total += term
        n += 1
        if term <= mp.eps * total and n > 2 * y2:
            return total


def _i0(y):
    """Int_0^y e^{u^2} (1 + erf u) du in closed form:
    sqrt(pi)/2 erfi(y) + y^2/sqrt(pi) 2F2(1, 1; 3/2, 2; y^2)."""
    return mp.sqrt(mp.pi) / 2 * mp.erfi(y) + _erf_part(y * y) / mp.sqrt(mp.pi)


def phi_dphi(x, sigma):
    """Siegert rate Phi(x; sigma) (Hz) and dPhi/dx (Hz/mV)."""
    y_th = (THETA - x) / sigma
    y_r = (VR - x) / sigma
    extra = int(max(y_th * y_th, y_r * y_r) / mp.log(10)) + 15
    with mp.extradps(extra):
        integral = _i0(y_th) - _i0(y_r)
        rate = 1 / (TAU_REF + TAU_M * mp.sqrt(mp.pi) * integral)
        ex = lambda y: mp.exp(y * y) * mp.erfc(-y)  # erfcx(-y)
        d = rate * rate * TAU_M * mp.sqrt(mp.pi) * (ex(y_th) - ex(y_r)) / sigma
    return +rate, +d


def vbar(x, rate):
    return (1 - rate * TAU_REF) * x - TAU_M * rate * (THETA - VR) + rate * TAU_REF * VR


# ------------------------------------------------------ Gauss-Hermite ----
_GH = {}


def gh(n):
    key = (n, mp.mp.dps)
    if key not in _GH:
        xs, ws = mp.gauss_quadrature(n, "hermite")
        nodes = []
        for i in range(n):
            w = ws[i] / mp.sqrt(mp.pi)
            if w >= W_MIN:
                nodes.append((mp.sqrt(2) * xs[i], w))  # probabilists' z, weight
        _GH[key] = nodes
    return _GH[key]


def averages(m, delta, sigma, n):
    """E_z of Phi, Phi^2, Phi', <V> over x = m + sqrt(delta) z."""
    if delta == 0:
        r, d = phi_dphi(m, sigma)
        return r, r * r, d, vbar(m, r)
    sd = mp.sqrt(delta)
    nu = q = g = v = mp.mpf(0)
    for z, w in gh(n):
        x = m + sd * z
        r, d = phi_dphi(x, sigma)
        nu += w * r
        q += w * r * r
        g += w * d
        v += w * vbar(x, r)
    return nu, q, g, v


# ---------------------------------------------------- input statistics ----
def mu_sigma(nu):
    mu, sg = [], []
    for a in range(2):
        s1 = sum(MC[b] * MJ[a][b] * nu[b] for b in range(2)) + MC0 * MJ0[a] * MNU0
        s2 = sum(MC[b] * MJ[a][b] ** 2 * nu[b] for b in range(2)) + MC0 * MJ0[a] ** 2 * MNU0
        mu.append(TAU_M * mp.sqrt(MK) * s1)
        sg.append(mp.sqrt(TAU_M * s2))
    return mu, sg


def beta_of(nu, q, rule):
    out = []
    for a in range(2):
        t = mp.mpf(0)
        for b in range(2):
            v = q[b] - nu[b] ** 2 if rule == "fixed_indegree" else q[b]
            t += MC[b] * MJ[a][b] ** 2 * (1 - MP_CONN[b]) * v
        out.append(max(TAU_M ** 2 * t, mp.mpf(0)))
    return out


def latent_var(kappa, s, ld):
    return (TAU_M ** 2 * ld["smm"] * kappa * kappa + ld["sww"] * s * s
            + 2 * TAU_M * ld["smw"] * kappa * s)


def state_at(nu, q, kappa, s, rule, ld, n, homogeneous=False):
    """Everything of 2.1-2.3 at trial (nu, q), (kappa, s)."""
    mu, sg = mu_sigma(nu)
    beta = [mp.mpf(0), mp.mpf(0)] if homogeneous else beta_of(nu, q, rule)
    lv = latent_var(kappa, s, ld)
    st = {"nu_in": nu, "q_in": q, "mu": mu, "sigma": sg, "beta": beta,
          "delta": [], "nu": [], "q": [], "gain": [], "mean_v": []}
    for a in range(2):
        delta = beta[a] + lv
        r, qq, g, v = averages(mu[a], delta, sg[a], n)
        st["delta"].append(delta)
        st["nu"].append(r)
        st["q"].append(qq)
        st["gain"].append(g)
        st["mean_v"].append(v)
    st["G"] = sum(MC[b] * (TAU_M * ld["snm"] * kappa + ld["snw"] * s) * st["gain"][b]
                  for b in range(2))
    return st


# ------------------------------------------------------------- Newton ----
def newton(resid, x0, tol, maxit=40, h_rel=None):
    """Damped Newton with a forward-difference Jacobian (mpmath matrices)."""
    x = mp.matrix(x0)
    n = len(x0)
    if h_rel is None:
        h_rel = mp.mpf(10) ** (-(mp.mp.dps // 2 + 2))
    r = mp.matrix(resid(x))
    nr = mp.norm(r, mp.inf)
    for it in range(maxit):
        if nr < tol:
            return x, nr, it
        jac = mp.matrix(n, n)
        for j in range(n):
            h = h_rel * (1 + abs(x[j]))
            xp = x.copy()
            xp[j] += h
            rp = mp.matrix(resid(xp))
            for i in range(n):
                jac[i, j] = (rp[i] - r[i]) / h
        dx = mp.lu_solve(jac, -r)
        lam = mp.mpf(1)
        for _ in range(30):
            xt = x + lam * dx
            try:
                rt = mp.matrix(resid(xt))
                nt = mp.norm(rt, mp.inf)
            except (ValueError, ZeroDivisionError):
                nt = mp.inf
            if nt < nr:
                break
            lam /= 2
        else:
            raise RuntimeError("line search failed")
        x, r, nr = xt, rt, nt
    if nr < tol:
        return x, nr, maxit
    raise RuntimeError(f"Newton did not converge: |r| = {mp.nstr(nr, 5)}")


def solve_fast(kappa, s, rule, ld, n, start, tol):
    """Fast state (nu, q) at fixed (kappa, s). start = [nuE, nuI, qE, qI]."""
    kappa, s = mp.mpf(kappa), mp.mpf(s)
    homog = rule == "fixed_indegree" and kappa == 0 and s == 0
    if homog:
        def res(x):
            nu = [x[0], x[1]]
            st = state_at(nu, [v * v for v in nu], kappa, s, rule, ld, n, True)
            return [st["nu"][a] - nu[a] for a in range(2)]
        x, nr, _ = newton(res, [start[0], start[1]], tol)
        nu = [x[0], x[1]]
        st = state_at(nu, [v * v for v in nu], kappa, s, rule, ld, n, True)
    else:
        def res(x):
            nu, q = [x[0], x[1]], [x[2], x[3]]
            st = state_at(nu, q, kappa, s, rule, ld, n)
            return [st["nu"][a] - nu[a] for a in range(2)] + \
                   [st["q"][a] - q[a] for a in range(2)]
        x, nr, _ = newton(res, list(start), tol)
        st = state_at([x[0], x[1]], [x[2], x[3]], kappa, s, rule, ld, n)
    st["kappa"], st["s"], st["residual"] = kappa, s, nr
    return st


def start_of(st):
    return [st["nu"][0], st["nu"][1], st["q"][0], st["q"][1]]


def joint_residual(rule, ld, s, n):
    def res(x):
        nu, q, kappa = [x[0], x[1]], [x[2], x[3]], x[4]
        st = state_at(nu, q, kappa, s, rule, ld, n)
        return [st["nu"][a] - nu[a] for a in range(2)] + \
               [st["q"][a] - q[a] for a in range(2)] + [st["G"] - kappa]
    return res


def latent_root(rule, ld, s, bracket, start_state, scan_points):
    """Scan G(kappa) - kappa over the bracket (dps 15), then polish the root
    of the joint system at dps 30. Returns the state and the scan."""
    lo, hi = bracket
    scan = []
    with mp.workdps(15):
        st = start_state
        guess = [mp.mpf(v) for v in start_of(st)]
        for i in range(scan_points):
            k = mp.mpf(lo) + (mp.mpf(hi) - mp.mpf(lo)) * i / (scan_points - 1)
            st = solve_fast(k, s, rule, ld, SCAN_GH, guess, mp.mpf("1e-11"))
            guess = start_of(st)
            scan.append({"kappa_hz": float(k), "G_minus_kappa_hz": float(st["G"] - k),
                         "state": [float(v) for v in guess]})
    changes = [i for i in range(scan_points - 1)
               if (scan[i]["G_minus_kappa_hz"] > 0) != (scan[i + 1]["G_minus_kappa_hz"] > 0)]
    if len(changes) != 1:
        raise RuntimeError(f"expected one sign change in {bracket}, found {changes}")
    i = changes[0]
    a, b = scan[i], scan[i + 1]
    t = a["G_minus_kappa_hz"] / (a["G_minus_kappa_hz"] - b["G_minus_kappa_hz"])
    x0 = [mp.mpf(u + t * (v - u)) for u, v in zip(a["state"], b["state"])]
    x0.append(mp.mpf(a["kappa_hz"] + t * (b["kappa_hz"] - a["kappa_hz"])))
    res = joint_residual(rule, ld, mp.mpf(s), GH_N)
    x, nr, its = newton(res, x0, mp.mpf("1e-24"))
    st = state_at([x[0], x[1]], [x[2], x[3]], x[4], mp.mpf(s), rule, ld, GH_N)
    st["kappa"], st["s"], st["residual"] = x[4], mp.mpf(s), nr
    # quadrature check: one chord step with GH_CHECK nodes
    res_c = joint_residual(rule, ld, mp.mpf(s), GH_CHECK)
    rc = mp.matrix(res_c(x))
    h = mp.mpf(10) ** -17
    n = len(x0)
    jac = mp.matrix(n, n)
    r0 = mp.matrix(res(x))
    for j in range(n):
        xp = x.copy()
        xp[j] += h * (1 + abs(x[j]))
        rp = mp.matrix(res(xp))
        for k in range(n):
            jac[k, j] = (rp[k] - r0[k]) / (h * (1 + abs(x[j])))
    dx = mp.lu_solve(jac, -rc)
    st["gh_check"] = {
        "nodes": GH_CHECK,
        "max_abs_residual": float(mp.norm(rc, mp.inf)),
        "rel_change_of_unknowns": float(max(abs(dx[j] / x[j]) for j in range(n))),
        "rel_change_of_kappa": float(abs(dx[4] / x[4])),
    }
    st["newton_iterations"] = its
    return st, scan, changes


def reduced_slope(rule, ld, st, n, h=mp.mpf("1e-8")):
    """dG/dkappa of the reduced map at st (fast state re-solved), central."""
    vals = []
    for sign in (1, -1):
        k = st["kappa"] + sign * h
        s2 = solve_fast(k, st["s"], rule, ld, n, start_of(st), mp.mpf("1e-24"))
        vals.append(s2["G"])
    return (vals[0] - vals[1]) / (2 * h)


def phi_crosscheck(states):
    """Closed-form Phi against the quadrature Siegert of siegert_mpmath.py at
    x = M + sqrt(Delta) z, z in {-4, -2, 0, 2, 4}, for every state (with the
    binary64 constants used here; siegert_mpmath.py has decimal 0.02, 0.002)."""
    S.TAU_M, S.TAU_REF, S.THETA, S.VR = TAU_M, TAU_REF, THETA, VR
    worst = mp.mpf(0)
    for st in states:
        for a in range(2):
            for z in (-4, -2, 0, 2, 4):
                x = st["mu"][a] + mp.sqrt(st["delta"][a]) * z
                r, _ = phi_dphi(x, st["sigma"][a])
                ref = S.phi(x, st["sigma"][a])
                worst = max(worst, abs(r / ref - 1))
    return float(worst)


# -------------------------------------------------------------- output ----
def f(x):
    return float(x)


def s20(x):
    return mp.nstr(x, 20)


def state_record(st):
    rec = {"kappa_hz": f(st["kappa"]), "kappa_hz_str": s20(st["kappa"]),
           "s": f(st["s"])}
    for key, name in [("nu", "nu_hz"), ("q", "q_hz2"), ("mu", "mu_mv"),
                      ("sigma", "sigma_mv"), ("beta", "beta_mv2"),
                      ("delta", "delta_mv2"), ("gain", "gain_hz_per_mv"),
                      ("mean_v", "mean_v_mv")]:
        rec[name] = [f(v) for v in st[key]]
        rec[name + "_str"] = [s20(v) for v in st[key]]
    rec["G_hz"] = f(st["G"])
    rec["max_abs_residual"] = f(st["residual"])
    for extra in ("gh_check", "newton_iterations"):
        if extra in st:
            rec[extra] = st[extra]
    return rec


def shift_record(before, after):
    out = {}
    for key, name in [("mean_v", "delta_mean_v_mv"), ("nu", "delta_rate_hz"),
                      ("mu", "delta_mu_mv")]:
        d = [after[key][a] - before[key][a] for a in range(2)]
        out[name] = [f(v) for v in d]
        out[name + "_str"] = [s20(v) for v in d]
    return out


def bifurcation_record(st, ld):
    denom = TAU_M * sum(MC[b] * st["gain"][b] for b in range(2))
    star = 1 / denom
    corr = star / (b64(SIGMA_M) * b64(SIGMA_N))
    return {"sigma_nm_star_mv": f(star), "sigma_nm_star_mv_str": s20(star),
            "scale": f(star / ld["snm"]),
            "jacobian_at_default_sigma_nm": f(denom * ld["snm"]),
            "nm_correlation_star": f(corr), "realizable": bool(corr <= 1),
            "gains_hz_per_mv": [f(g) for g in st["gain"]]}


def root_record(rule, ld, s, bracket, start, sigma_nm, finals, label):
    """The latent root at input `s` in `bracket` (Hz), solved from the state `start`
    (appended to `finals`), and its record: the state, the Model's `Sigma^nm`, the
    bracket and its scan, the reduced slope dG/dkappa, its eigenvalue and stability."""
    st, scan, _ = latent_root(rule, ld, s, bracket, start, 8)
    finals.append(st)
    slope = reduced_slope(rule, ld, st, GH_N)
    print(f"  {label} kappa* =", s20(st["kappa"]), "dG/dkappa", mp.nstr(slope, 12),
          flush=True)
    rec = state_record(st)
    rec.update({"sigma_nm_mv": sigma_nm, "bracket_hz": list(bracket),
                "scan": scan, "dG_dkappa": f(slope),
                "eigenvalue_per_s": f((slope - 1) / b64(TAU_S)),
                "stable": bool(slope < 1)})
    return st, rec


def main():
    t0 = time.time()
    out = {}
    finals = []
    ld_def = loadings(SNM_DEFAULT)
    ld_bis = loadings(SNM_BISTABLE)

    # ------------------------------------------------ fixed in-degree ----
    rule = "fixed_indegree"
    fi0 = solve_fast(0, 0, rule, ld_def, GH_N, [11.6, 14.4, 0, 0], mp.mpf("1e-27"))
    finals.append(fi0)
    print("fixed_indegree kappa = 0:", [mp.nstr(v, 15) for v in fi0["nu"]], flush=True)
    bif = bifurcation_record(fi0, ld_def)
    print("  bifurcation Sigma^nm* =", bif["sigma_nm_star_mv_str"], flush=True)

    # balanced limit: W nu = -c_0 J_0 nu_0, mu_A from Phi(mu_A; sigma_A) = nu_A
    W = mp.matrix([[MC[b] * MJ[a][b] for b in range(2)] for a in range(2)])
    nub = mp.lu_solve(W, mp.matrix([-MC0 * MJ0[a] * MNU0 for a in range(2)]))
    nub = [nub[0], nub[1]]
    _, sgb = mu_sigma(nub)
    mub, gb = [], []
    for a in range(2):
        m = mp.findroot(lambda x, a=a: phi_dphi(x, sgb[a])[0] - nub[a],
                        (mp.mpf(-20), mp.mpf(30)), solver="illinois",
                        tol=mp.mpf(10) ** -50, maxsteps=500)
        mub.append(m)
        gb.append(phi_dphi(m, sgb[a])[1])
    bal = bifurcation_record({"gain": gb}, ld_def)
    bal.update({"nu_hz": [f(v) for v in nub], "sigma_mv": [f(v) for v in sgb],
                "mu_mv": [f(v) for v in mub],
                "rate_residual_hz": [f(phi_dphi(mub[a], sgb[a])[0] - nub[a])
                                     for a in range(2)]})
    print("  balanced Sigma^nm* =", bal["sigma_nm_star_mv_str"], flush=True)

    # bistable variant, s = 0, bracket [12, 19] Hz (tests/latent.rs)
    _, bis_rec = root_record(rule, ld_bis, 0, (12, 19), fi0, SNM_BISTABLE, finals,
                             "bistable")

    # input step s: 0 -> 1 at Sigma^nm = 11.65 mV, bracket [0.5, 15] Hz
    step, step_rec = root_record(rule, ld_def, 1, (0.5, 15), fi0, SNM_DEFAULT, finals,
                                 "step")
    step_rec.update(shift_record(fi0, step))
    print("  step delta <V> =", step_rec["delta_mean_v_mv_str"], flush=True)
    out["fixed_indegree"] = {"kappa0": state_record(fi0), "bifurcation": bif,
                             "balanced_limit_bifurcation": bal,
                             "bistable": bis_rec, "step": step_rec}

    # ------------------------------------------------------ Bernoulli ----
    rule = "bernoulli"
    # start from the fixed-in-degree rates with a rate spread
    be0 = solve_fast(0, 0, rule, ld_def, GH_N,
                     [12.5, 15.4, 278.0, 375.0], mp.mpf("1e-24"))
    finals.append(be0)
    print("bernoulli kappa = 0:", [mp.nstr(v, 15) for v in be0["nu"]], flush=True)
    bbif = bifurcation_record(be0, ld_def)
    print("  bifurcation Sigma^nm* =", bbif["sigma_nm_star_mv_str"], flush=True)
    bstep, bstep_rec = root_record(rule, ld_def, 1, (0.5, 15), be0, SNM_DEFAULT, finals,
                                   "step")
    bstep_rec.update(shift_record(be0, bstep))
    print("  step delta <V> =", bstep_rec["delta_mean_v_mv_str"], flush=True)
    out["bernoulli"] = {"kappa0": state_record(be0), "bifurcation": bbif,
                        "step": bstep_rec}

    # kappa = 0 Bernoulli state against the other GH order
    be0c = state_at(be0["nu"], be0["q"], mp.mpf(0), mp.mpf(0), rule, ld_def, GH_CHECK)
    out["bernoulli"]["kappa0"]["gh_check"] = {
        "nodes": GH_CHECK,
        "max_rel_change_nu_q_gain": f(max(
            max(abs(be0c[k][a] / be0[k][a] - 1) for a in range(2))
            for k in ("nu", "q", "gain")))}

    cross = phi_crosscheck(finals)
    print("closed-form Phi vs siegert_mpmath.phi:", cross, flush=True)

    out["meta"] = {
        "script": SCRIPT,
        "tool": f"mpmath {mp.__version__}, mp.dps = {DPS} (scans at 15); python "
                f"{sys.version.split()[0]}",
        "model": "docs/theory.md section 5 default model (presets::default_model): "
                 "rank one, zero loading means, sigma_m = 20 mV, sigma_n = 1.5, "
                 "w = 0.09 m, tau_s = 0.1 s; finite K = 1000, Siegert transfer, "
                 "Poisson closure; fixed_indegree (without replacement) and bernoulli",
        "equations": [
            "mu_A = tau_m sqrt(K) (sum_B c_B J_AB nu_B + c_0 J_A0 nu_0)  (2.1)",
            "sigma_A^2 = tau_m (sum_B c_B J_AB^2 nu_B + c_0 J_A0^2 nu_0)  (2.1, Poisson)",
            "beta_A = tau_m^2 sum_B c_B J_AB^2 (1 - p_B) (q_B - nu_B^2) [fixed_indegree], "
            "... q_B [bernoulli]  (2.1)",
            "M_A = mu_A, Delta_A = beta_A + tau_m^2 Smm kappa^2 + Sww s^2 + "
            "2 tau_m Smw kappa s  (2.1, zero means)",
            "nu_A, q_A, gain_A, <V>_A = E_z[Phi, Phi^2, Phi', <V>(x)] at "
            "x = M_A + sqrt(Delta_A) z  (2.3, 2.6.1)",
            "Phi = 1/(tau_ref + tau_m sqrt(pi) Int_{y_r}^{y_th} erfcx(-u) du)  (2.2)",
            "<V>(x) = (1 - nu tau_ref) x - tau_m nu (theta - Vr) + nu tau_ref Vr  (2.2)",
            "G(kappa) = sum_B c_B (tau_m Snm kappa + Snw s) gain_B  (2.3, nbar = 0)",
            "fixed point G(kappa*) = kappa* with the fast state solved there  (2.4)",
            "Sigma^nm* = 1 / (tau_m sum_B c_B gain_B) at kappa = s = 0  (2.4)",
            "balanced limit: sum_B c_B J_AB nu_B = -c_0 J_A0 nu_0, Phi(mu_A) = nu_A  (2.4)",
        ],
        "numerics": {
            "siegert": "closed form sqrt(pi)/2 erfi(y) + y^2/sqrt(pi) 2F2(1,1;3/2,2;y^2) "
                       "with extra digits against cancellation",
            "phi_closed_form_vs_siegert_mpmath_max_rel": cross,
            "gauss_hermite_nodes": GH_N,
            "gauss_hermite_check_nodes": GH_CHECK,
            "gauss_hermite_min_weight": "1e-45 (smaller weights dropped)",
            "scan": f"dps 15, {SCAN_GH} Gauss-Hermite nodes, 8 points per bracket",
            "root": "Newton on (nu_E, nu_I, q_E, q_I, kappa), forward-difference "
                    "Jacobian, max |residual| < 1e-24",
            "reduced_slope": "central difference of G with the fast state re-solved, "
                             "h = 1e-8 Hz",
        },
        "units": "seconds, mV, Hz (q in Hz^2, beta and Delta in mV^2)",
        "fields": {
            "<rule>.kappa0": "fast state at kappa = 0, s = 0 ([E, I] arrays)",
            "<rule>.bifurcation.sigma_nm_star_mv": "finite-K rank-one bifurcation "
                                                   "Sigma^nm* (mV)",
            "<rule>.bifurcation.scale": "lambda* = Sigma^nm* / 11.65",
            "fixed_indegree.balanced_limit_bifurcation": "the same in the balanced limit",
            "fixed_indegree.bistable": "fixed point at Sigma^nm = 23.30 mV, s = 0, the "
                                       "only root in [12, 19] Hz",
            "<rule>.step": "fixed point at Sigma^nm = 11.65 mV, s = 1, the only root in "
                           "[0.5, 15] Hz, and its shifts from kappa0 (delta_*)",
            "scan": "G(kappa) - kappa on the bracket",
            "gh_check": "one chord-Newton step with the other Gauss-Hermite order: "
                        "relative size of the step",
            "*_str": "20 significant digits",
        },
        "wall_time_s": round(time.time() - t0, 1),
    }
    with open(OUT, "w") as fh:
        json.dump(S.clean(out), fh, indent=1, allow_nan=False)
        fh.write("\n")
    print("wrote", OUT, "in", out["meta"]["wall_time_s"], "s")


if __name__ == "__main__":
    main()
