#!/usr/bin/env python3
"""Reference values for the second-order LIF response (docs/theory.md 6.6), with mpmath.

Not needed at test time: the Rust test tests/second_order.rs reads the JSON this
script writes, tests/data/chi2_mpmath.json.

    /path/to/python tools/reference/chi2_mpmath.py   (mpmath)

For each (mu, sigma) (mV) of an LIF with tau_m = 20 ms, theta = 20 mV, Vr = 10 mV,
tau_ref = 2 ms it records, from the Siegert rate
    nu(mu, sigma) = 1 / (tau_ref + tau_m sqrt(pi) Int_{y_r}^{y_th} erfcx(-u) du),
    y = (. - mu)/sigma,
evaluated at 40 digits:
  half_d2nu_dmu2 = (1/2) d^2 nu / d mu^2 = chi_2(0, 0)       (Hz/mV^2)
  white_sum      = (1/tau_m) d nu / d sigma^2                 (Hz/(mV^2 s))
                 = Int d omega/(2 pi) chi_2(omega, -omega)    (sum rule 6.6.5)
Derivatives by mpmath.diff (high-order finite differences at 40 digits).
"""

import json
import os

import mpmath as mp

mp.mp.dps = 40
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "..", "tests", "data", "chi2_mpmath.json")

TAU_M = mp.mpf("0.02")
TAU_REF = mp.mpf("0.002")
THETA = mp.mpf(20)
VR = mp.mpf(10)


def erfcx_neg(u):
    # erfcx(-u) = exp(u^2) erfc(-u)
    return mp.exp(u * u) * mp.erfc(-u)


def rate(mu, sigma):
    y_th = (THETA - mu) / sigma
    y_r = (VR - mu) / sigma
    integral = mp.quad(erfcx_neg, [y_r, (y_r + y_th) / 2, y_th])
    return 1 / (TAU_REF + TAU_M * mp.sqrt(mp.pi) * integral)


POINTS = [(15.0, 5.0), (10.0, 4.0), (22.0, 3.0), (18.0, 2.0), (5.0, 6.0), (25.0, 5.0), (12.0, 8.0)]

rows = []
for mu, sigma in POINTS:
    m, s = mp.mpf(mu), mp.mpf(sigma)
    nu = rate(m, s)
    d2 = mp.diff(lambda x: rate(x, s), m, 2)
    ds2 = mp.diff(lambda v: rate(m, mp.sqrt(v)), s * s, 1)
    rows.append({
        "mu_mv": mu,
        "sigma_mv": sigma,
        "rate_hz": float(nu),
        "half_d2nu_dmu2": float(d2 / 2),
        "white_sum": float(ds2 / TAU_M),
    })
    print(rows[-1])

with open(OUT, "w") as f:
    json.dump({
        "script": "tools/reference/chi2_mpmath.py",
        "lif": {"tau_m_s": 0.02, "theta_mv": 20.0, "v_reset_mv": 10.0, "tau_ref_s": 0.002},
        "dps": 40,
        "points": rows,
    }, f, indent=1)
