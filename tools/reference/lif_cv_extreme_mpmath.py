#!/usr/bin/env python3
"""ISI CV of the diffusion LIF (Brunel 2000 appendix; Lindner et al. 2002) at
inputs outside the grid of tests/data/lif_cv_mpmath.json: strong noise (CV > 1),
tiny noise above threshold (CV -> 0, boundary layers of width sigma), rare firing
(CV -> 1). Writes tests/data/lif_cv_extreme_mpmath.json.

    CV^2 = 2 pi (nu tau_m)^2 Int_{y_r}^{y_th} e^{x^2} dx Int_{-inf}^x e^{y^2}(1 + erf y)^2 dy

is evaluated with the order swapped and the x integral in closed form,

    Int_{-inf}^{y_th} h(y) (sqrt(pi)/2) (erfi(y_th) - erfi(max(y, y_r))) dy,
    h(y) = e^{y^2}(1 + erf y)^2 = e^{y^2} erfc(-y)^2,

by mpmath.quad at 40 digits, with breakpoints at the layers (width ~1/(2|y|) next to
y_th and below y_r) placed explicitly, and each value recomputed at 60 digits with a
different set of breakpoints (the relative difference is recorded). The rate is the
Siegert rate, with the integral of exp(u^2)(1 + erf u) done as in
siegert_mpmath.py (erfcx on u <= 0, erfi on u > 0).

Run from the repository root in a throwaway venv with mpmath:

    python tools/reference/lif_cv_extreme_mpmath.py
"""
import json
import os
import time

import mpmath as mp

mp.mp.dps = 30  # for the cross-check ratio; the quadratures raise it

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "tests", "data", "lif_cv_extreme_mpmath.json")

TAU_M, TAU_REF, THETA, VR = 0.02, 0.002, 20.0, 10.0
POINTS = [
    (0.0, 64.78695511454005), (-100.0, 100.0), (200.0, 100.0), (25.0, 100.0),
    (40.0, 0.01), (40.0, 0.1), (21.0, 0.05), (20.5, 0.3), (200.0, 0.01),
    (19.0, 1.0), (12.0, 0.5), (-50.0, 10.0), (15.0, 1.5),
]


def rate(mu, s):
    yt, yr = (THETA - mu) / s, (VR - mu) / s
    ex = lambda t: mp.exp(t * t) * mp.erfc(t)

    def int_erfcx(a, b):
        if b <= a:
            return mp.mpf(0)
        pts = [a] + [p for p in (mp.mpf(2) ** k for k in range(-3, 40)) if a < p < b] + [b]
        return mp.quad(ex, pts)

    sp = mp.sqrt(mp.pi)
    if yt <= 0:
        i = int_erfcx(-yt, -yr)
    elif yr >= 0:
        i = sp * (mp.erfi(yt) - mp.erfi(yr)) - int_erfcx(yr, yt)
    else:
        i = int_erfcx(0, -yr) + sp * mp.erfi(yt) - int_erfcx(0, yt)
    return 1 / (TAU_REF + TAU_M * sp * i)


def cv2(mu, s, variant):
    mu, s = mp.mpf(mu), mp.mpf(s)
    yt, yr = (THETA - mu) / s, (VR - mu) / s
    nu = rate(mu, s)
    c = mp.sqrt(mp.pi) / 2
    e_th, e_r = mp.erfi(yt), mp.erfi(yr)
    h = lambda y: mp.exp(y * y) * mp.erfc(-y) ** 2
    # layer widths next to y_th and below y_r
    wt = 1 / (2 * max(abs(yt), 1))
    wr = 1 / (2 * max(abs(yr), 1))
    fr = [1, 4, 16, 64] if variant == 0 else [2, 8, 32]
    lower = [yr - k * wr for k in reversed(fr)]
    lower = [mp.ninf] + [p for p in lower if p < yr] + [yr]
    inner = [yr] + sorted(set(p for p in [yt - k * wt for k in reversed(fr)] + [mp.mpf(0)] if yr < p < yt)) + [yt]
    f1 = lambda y: h(y) * c * (e_th - e_r)
    f2 = lambda y: h(y) * c * (e_th - mp.erfi(y))
    i = mp.quad(f1, lower) + mp.quad(f2, inner)
    return nu, 2 * mp.pi * (nu * TAU_M) ** 2 * i


def main():
    t0 = time.time()
    rows, worst = [], mp.mpf(0)
    for mu, s in POINTS:
        with mp.workdps(40):
            nu, c2 = cv2(mu, s, 0)
        with mp.workdps(60):
            _, c2b = cv2(mu, s, 1)
        with mp.workdps(60):
            rel = abs(c2 / c2b - 1)
        worst = max(worst, rel)
        cv = mp.sqrt(c2)
        rows.append({"mu": mu, "sigma": s, "rate_hz_str": mp.nstr(nu, 20), "cv_str": mp.nstr(cv, 20),
                     "cv": float(cv), "rel_diff_dps40_vs_dps60": float(rel)})
        print(mu, s, mp.nstr(nu, 10), mp.nstr(cv, 15), mp.nstr(rel, 3), flush=True)
    meta = {
        "script": "tools/reference/lif_cv_extreme_mpmath.py",
        "tool": f"mpmath {mp.__version__}, swapped-order single quadrature with erfi, dps 40 (check: dps 60, other breakpoints)",
        "model": "ISI CV of the diffusion LIF with white noise (Brunel 2000 appendix), nu = Siegert rate incl. tau_ref",
        "params": {"tau_m_s": TAU_M, "tau_ref_s": TAU_REF, "theta_mv": THETA, "vr_mv": VR},
        "units": "seconds, mV, Hz",
        "fields": {"mu": "mean input (mV)", "sigma": "noise (mV)", "rate_hz_str": "Siegert rate, 20 digits",
                   "cv_str": "ISI CV, 20 digits", "cv": "float", "rel_diff_dps40_vs_dps60": "CV^2 cross-check"},
        "checks": {"max_rel_diff_dps40_vs_dps60": float(worst)},
        "wall_time_s": round(time.time() - t0, 1),
    }
    with open(OUT, "w") as f:
        json.dump({"meta": meta, "points": rows}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
