#!/usr/bin/env python3
"""Reference stationary states of the low-rank rate network of Mastrogiuseppe &
Ostojic (2018, Neuron 99:609), docs/theory.md section 10, computed with mpmath.

Not part of the crate and not needed at test time: the Rust tests
(tests/ratenet.rs) only read the JSON file this script writes:

    tests/data/ratenet_mo2018.json

Run (from the repository root, in a venv with mpmath):

    python tools/reference/ratenet_mo2018.py

Network: dx_i/dt = -x_i + sum_j J_ij tanh(x_j) + I_i, J = g chi + (1/N) sum_r m^(r) n^(r)T,
chi_ij ~ N(0, 1/N). Every case below is written out in the form of the paper's
stationary mean-field equations (its Methods and supplementary code), one case at a
time, NOT through the general Gaussian-moment formulation of the crate:

  [x] = integral Dz f(mu + sqrt(Delta0) z) over the standard normal z (mpmath.quad on
      (-inf, inf), 30 digits).

Case A (paper Fig. 1C, supplementary code "1_Spontaneous"): structure overlap along
  the unitary direction, m_i ~ N(M_m, S_m^2), n_i ~ N(M_n, S_n^2) independent,
  M_m = 1.1, M_n = 2, S_m = S_n = 1, no input:
      mu = M_m kappa,  kappa = M_n [phi],  Delta0 = g^2 [phi^2] + S_m^2 kappa^2.
  Stability of a stationary solution: radius of the random bulk g sqrt([phi'^2]) and the
  outlier, the largest eigenvalue of the paper's 3x3 stability matrix in (mu, Delta0,
  kappa) (paper Methods; supplementary code EigStationary):
      a = M_m M_n [phi'],  b = M_n [phi'']/2,
      row1 = (2 g^2 [phi phi'],  g^2 ([phi'^2] + [phi phi'']),  2 S_m^2 M_n [phi])
      M = [[0, 0, M_m], row1, b row1 + (0, 0, a)]
  g_C: the random strength at which the bulk radius of the non-trivial branch reaches 1
  (the stationary state becomes chaotic); the paper's code quotes g_C = 1.796.

Case B (paper Fig. 2D, supplementary code "2_InputDriven"): M_m = 3.5, M_n = 1,
  S_m = S_n = 1, g = 0.8, input I_i with zero mean, Cov(n, I) = S_nI and a part orthogonal
  to m and n of standard deviation S_p = 1 (Var I = (S_nI/S_n)^2 + S_p^2):
      mu = M_m kappa,  kappa = M_n [phi] + S_nI [phi'],
      Delta0 = g^2 [phi^2] + S_m^2 kappa^2 + Var I.
  Bistable at S_nI = 0.2 (three solutions), one solution at S_nI = 1.5.

Case C (rank one, overlap through correlated random parts; the rank-one counterpart of
  the paper's Fig. S5 C-D vectors with S = 2, rho = 1.6): zero means, Var m = Var n = 4,
  Cov(m, n) = 1.6, g = 0.5:
      mu = 0,  kappa = 1.6 kappa [phi'],  Delta0 = g^2 [phi^2] + 4 kappa^2.

Case D (rank two, coupled through Delta0 and mu): means M_m1 = 1, M_n1 = 1.5, Var m1 =
  Var n1 = 1, Var m2 = Var n2 = 4, Cov(m2, n2) = 2.2, all other covariances 0, g = 0.6:
      mu = kappa_1,  kappa_1 = 1.5 [phi],  kappa_2 = 2.2 kappa_2 [phi'],
      Delta0 = g^2 [phi^2] + kappa_1^2 + 4 kappa_2^2.
  All solutions found by findroot from a grid of starts.
"""

import json
import os
import time

import mpmath as mp

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(REPO, "tests", "data", "ratenet_mo2018.json")
SCRIPT = "tools/reference/ratenet_mo2018.py"

mp.mp.dps = 30


def phi(x):
    return mp.tanh(x)


def dphi(x):
    return 1 / mp.cosh(x) ** 2


def ddphi(x):
    return -2 * mp.tanh(x) / mp.cosh(x) ** 2


def gauss(f, mu, delta):
    """[f] = E f(mu + sqrt(delta) z), z ~ N(0, 1)."""
    if delta == 0:
        return f(mu)
    sd = mp.sqrt(delta)
    w = lambda z: mp.npdf(z) * f(mu + sd * z)
    return mp.quad(w, [-mp.inf, -8, -3, 0, 3, 8, mp.inf])


# ---------------------------------------------------------------------------------
# Case A
MM_A, MN_A, SM_A = mp.mpf("1.1"), mp.mpf(2), mp.mpf(1)


def case_a_solve(g, kappa0, delta0):
    g = mp.mpf(g)

    def eqs(k, d):
        mu = MM_A * k
        return [k - MN_A * gauss(phi, mu, d),
                d - g ** 2 * gauss(lambda x: phi(x) ** 2, mu, d) - SM_A ** 2 * k ** 2]

    k, d = mp.findroot(eqs, (mp.mpf(kappa0), mp.mpf(delta0)))
    return k, d


def case_a_stability(g, k, d):
    g = mp.mpf(g)
    mu = MM_A * k
    P = gauss(phi, mu, d)
    Pp = gauss(dphi, mu, d)
    Ppp = gauss(ddphi, mu, d)
    PP = gauss(lambda x: phi(x) * dphi(x), mu, d)
    PpSq = gauss(lambda x: dphi(x) ** 2, mu, d)
    PPpp = gauss(lambda x: phi(x) * ddphi(x), mu, d)
    a = MM_A * MN_A * Pp
    b = MN_A * Ppp / 2
    row1 = [2 * g ** 2 * PP, g ** 2 * (PpSq + PPpp), 2 * SM_A ** 2 * MN_A * P]
    M = mp.matrix([[0, 0, MM_A], row1, [b * row1[0], b * row1[1], b * row1[2] + a]])
    ev = mp.eig(M)[0]
    outlier = max(mp.re(e) for e in ev)
    radius = g * mp.sqrt(PpSq)
    return radius, outlier, [[float(mp.re(e)), float(mp.im(e))] for e in ev]


def case_a():
    out = []
    for g in ["0.3", "0.8", "1.2", "1.5"]:
        k, d = case_a_solve(g, "1.5", "1.5")
        radius, outlier, ev = case_a_stability(g, k, d)
        out.append({
            "g": float(g), "branch": "positive", "kappa": float(k), "mu": float(MM_A * k),
            "delta0": float(d), "radius": float(radius), "outlier": float(outlier),
            "stability_eigenvalues": ev,
        })
        # The negative branch is the mirror image (tanh is odd).
    # trivial branch (mu = kappa = 0): Delta0 = g^2 [phi^2](0, Delta0); 0 for g <= 1
    for g in ["0.8", "1.5"]:
        gg = mp.mpf(g)
        if gg <= 1:
            d = mp.mpf(0)
        else:
            d = mp.findroot(lambda d: d - gg ** 2 * gauss(lambda x: phi(x) ** 2, 0, d),
                            mp.mpf(1))
        out.append({"g": float(g), "branch": "trivial", "kappa": 0.0, "mu": 0.0,
                    "delta0": float(d),
                    "outlier_trivial": float(MM_A * MN_A * gauss(dphi, 0, d)),
                    "radius": float(gg * mp.sqrt(gauss(lambda x: dphi(x) ** 2, 0, d)))})
    # g_C: radius of the positive branch = 1
    state = {"k": mp.mpf("0.5"), "d": mp.mpf("2")}

    def radius_minus_one(g):
        k, d = case_a_solve(g, state["k"], state["d"])
        state["k"], state["d"] = k, d
        return mp.mpf(g) * mp.sqrt(gauss(lambda x: dphi(x) ** 2, MM_A * k, d)) - 1

    # continuation from g = 1.7 upwards, then secant
    for g in ["1.7", "1.75", "1.78"]:
        radius_minus_one(g)
    g_c = mp.findroot(radius_minus_one, (mp.mpf("1.79"), mp.mpf("1.80")), solver="secant")
    return out, float(g_c)


# ---------------------------------------------------------------------------------
# Case B
def case_b():
    MM, MN, SM, SN, SP, g = mp.mpf("3.5"), mp.mpf(1), mp.mpf(1), mp.mpf(1), mp.mpf(1), mp.mpf("0.8")
    out = []
    for sni in ["0.2", "1.5"]:
        sni = mp.mpf(sni)
        var_i = (sni / SN) ** 2 + SP ** 2

        def eqs(k, d):
            mu = MM * k
            return [k - MN * gauss(phi, mu, d) - sni * gauss(dphi, mu, d),
                    d - g ** 2 * gauss(lambda x: phi(x) ** 2, mu, d) - SM ** 2 * k ** 2 - var_i]

        sols = []
        for k0 in ["-1.2", "-0.6", "-0.2", "0", "0.2", "0.6", "1.2"]:
            try:
                k, d = mp.findroot(eqs, (mp.mpf(k0), mp.mpf(2)))
            except (ValueError, ZeroDivisionError):
                continue
            if d > 0 and all(abs(k - s[0]) > 1e-12 for s in sols):
                sols.append((k, d))
        sols.sort(key=lambda s: s[0])
        for k, d in sols:
            out.append({"s_ni": float(sni), "kappa": float(k), "mu": float(MM * k),
                        "delta0": float(d)})
    return out


# ---------------------------------------------------------------------------------
# Case C
def case_c():
    rho, var_m, g = mp.mpf("1.6"), mp.mpf(4), mp.mpf("0.5")

    def eqs(k, d):
        return [1 - rho * gauss(dphi, 0, d),
                d - g ** 2 * gauss(lambda x: phi(x) ** 2, 0, d) - var_m * k ** 2]

    k, d = mp.findroot(eqs, (mp.mpf("0.5"), mp.mpf(1)))
    return [{"kappa": float(abs(k)), "mu": 0.0, "delta0": float(d)}]


# ---------------------------------------------------------------------------------
# Case D
def case_d():
    g = mp.mpf("0.6")

    def eqs(k1, k2, d):
        mu = k1
        return [k1 - mp.mpf("1.5") * gauss(phi, mu, d),
                k2 - mp.mpf("2.2") * k2 * gauss(dphi, mu, d),
                d - g ** 2 * gauss(lambda x: phi(x) ** 2, mu, d) - k1 ** 2 - 4 * k2 ** 2]

    sols = []
    for k1 in ["-1.2", "-0.5", "0", "0.5", "1.2"]:
        for k2 in ["-1", "-0.4", "0", "0.4", "1"]:
            try:
                s = mp.findroot(eqs, (mp.mpf(k1), mp.mpf(k2), mp.mpf(1)))
            except (ValueError, ZeroDivisionError):
                continue
            k1s, k2s, ds = s[0], s[1], s[2]
            if ds <= 0 or abs(k1s) > 10 or abs(k2s) > 10:
                continue
            if all(abs(k1s - a) + abs(k2s - b) > 1e-10 for a, b, _ in sols):
                sols.append((k1s, k2s, ds))
    sols.sort(key=lambda s: (float(s[0]), float(s[1])))
    return [{"kappa": [float(a), float(b)], "mu": float(a), "delta0": float(d)}
            for a, b, d in sols]


def main():
    t0 = time.time()
    a, g_c = case_a()
    doc = {
        "meta": {
            "script": SCRIPT,
            "mpmath": mp.__version__,
            "dps": mp.mp.dps,
            "source": "Mastrogiuseppe & Ostojic 2018, Neuron 99:609; cases A (Fig. 1C), "
                      "B (Fig. 2D), C and D as described in the script's docstring",
            "published_g_c": 1.796,
        },
        "case_a": {"m_mean": 1.1, "n_mean": 2.0, "m_sd": 1.0, "n_sd": 1.0,
                   "points": a, "g_c": g_c},
        "case_b": {"m_mean": 3.5, "n_mean": 1.0, "m_sd": 1.0, "n_sd": 1.0, "s_p": 1.0,
                   "g": 0.8, "points": case_b()},
        "case_c": {"var": 4.0, "cov_mn": 1.6, "g": 0.5, "points": case_c()},
        "case_d": {"g": 0.6, "points": case_d()},
    }
    doc["meta"]["seconds"] = round(time.time() - t0, 1)
    with open(OUT, "w") as f:
        json.dump(doc, f, indent=1)
    print(json.dumps(doc, indent=1))


if __name__ == "__main__":
    main()
