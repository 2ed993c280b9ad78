"""Reference values for the closed-form linear response of the white-noise LIF
(balnet src/transfer/response/diffusion.rs, docs/theory.md 6.1).

Independent of balnet: mpmath at 30 digits (`pcfd`), from the published formulas
(Lindner & Schimansky-Geier 2001, PRL 86:2934; Lindner, Schimansky-Geier & Longtin 2002,
PRE 66:031916), written at a complex Laplace variable lambda. The papers use time in
units of tau_m, noise intensity D = sigma^2/2 (dv/dt = -v + mu + sqrt(2D) xi), and
phases e^{-i omega t}: their `i omega` is `-lambda tau_m` here. With
x_T = sqrt2 (mu - theta)/sigma, x_R = sqrt2 (mu - V_r)/sigma, Delta = (x_R^2 - x_T^2)/4,
l = lambda tau_m, r0 = nu tau_m:

  den      = D_{-l}(x_T) - e^Delta e^{-lambda tau_ref} D_{-l}(x_R)
  chi_mu   = (1/tau_m) r0 l / (sqrt(D) (1 + l)) [D_{-l-1}(x_T) - e^Delta D_{-l-1}(x_R)] / den
  chi_D    = (1/tau_m) r0 l (1 + l) / (D (2 + l)) [D_{-l-2}(x_T) - e^Delta D_{-l-2}(x_R)] / den
  chi_sigma2 = chi_D / 2        (D = sigma^2 / 2)
  L(lambda) = e^{-lambda tau_ref} e^Delta D_{-l}(x_R) / D_{-l}(x_T)
  S(omega) = nu Re[(1 + L(i omega))/(1 - L(i omega))]   (two-sided; -> nu at high omega)

The normalisation of chi_D (response to an additive change of D) is fixed by its
lambda -> 0 limit, dnu/dD of the Siegert formula; the script checks that limit with
mpmath's numerical derivative of the Siegert integral, and checks chi_mu and chi_D at
every table point against an independent numerical solution of the linearised
Fokker-Planck equation (threshold integration, Richardson 2007; scipy DOP853 at
rtol 1e-13), printing the relative differences to stderr.

Writes tests/data/lif_response_mpmath.json.
"""
import json
import sys

import mpmath as mp
import numpy as np
from scipy.integrate import solve_ivp

mp.mp.dps = 30
TAU_M = mp.mpf("0.02")
TAU_REF = mp.mpf("0.002")
THETA = mp.mpf(20)
V_R = mp.mpf(10)


def siegert(mu, sigma):
    lo = (V_R - mu) / sigma
    hi = (THETA - mu) / sigma
    f = lambda u: mp.exp(u * u) * mp.erfc(-u)
    return 1 / (TAU_REF + TAU_M * mp.sqrt(mp.pi) * mp.quad(f, [lo, hi]))


def parts(mu, sigma, lam):
    l = lam * TAU_M
    D = sigma**2 / 2
    xt = mp.sqrt(2) * (mu - THETA) / sigma
    xr = mp.sqrt(2) * (mu - V_R) / sigma
    ed = mp.exp((xr**2 - xt**2) / 4)
    nu = siegert(mu, sigma)
    r0 = nu * TAU_M
    den = mp.pcfd(-l, xt) - ed * mp.exp(-lam * TAU_REF) * mp.pcfd(-l, xr)
    num1 = mp.pcfd(-l - 1, xt) - ed * mp.pcfd(-l - 1, xr)
    num2 = mp.pcfd(-l - 2, xt) - ed * mp.pcfd(-l - 2, xr)
    chi_mu = r0 * l / (mp.sqrt(D) * (1 + l)) * num1 / den / TAU_M
    chi_d = r0 * l * (1 + l) / (D * (2 + l)) * num2 / den / TAU_M
    lap = mp.exp(-lam * TAU_REF) * ed * mp.pcfd(-l, xr) / mp.pcfd(-l, xt)
    return nu, chi_mu, chi_d / 2, lap


def threshold_integration(mu, sigma, lam):
    """chi_mu (Hz/mV) and chi_sigma2 (Hz/mV^2) from the linearised Fokker-Planck
    equation integrated from threshold downwards (Richardson 2007), time in tau_m."""
    mu, sigma = float(mu), float(sigma)
    th, vr, tr = float(THETA), float(V_R), float(TAU_REF / TAU_M)
    l = complex(lam) * float(TAU_M)
    D = sigma**2 / 2
    nu = float(siegert(mu, sigma)) * float(TAU_M)

    def p0(x):  # stationary density and its derivative, by integration from theta
        pass

    x_lb = min(mu, vr) - 12 * sigma / np.sqrt(2)

    def rhs(x, y):
        P0, Pa, Ja, Pb, Jb, Pc, Jc = y
        J0 = nu if x > vr else 0.0
        dP0 = ((mu - x) * P0 - J0) / D
        # (a): r1 = 1, no drive; (b): mean drive, source P0; (c): D drive, source -P0'.
        dPa = ((mu - x) * Pa - Ja) / D
        dPb = ((mu - x) * Pb + P0 - Jb) / D
        dPc = ((mu - x) * Pc - dP0 - Jc) / D
        return [dP0, dPa, -l * Pa, dPb, -l * Pb, dPc, -l * Pc]

    y0 = np.array([0, 0, 1, 0, 0, 0, 0], dtype=complex)
    s1 = solve_ivp(rhs, (th, vr), y0, method="DOP853", rtol=1e-13, atol=1e-300)
    y = s1.y[:, -1].copy()
    y[2] -= np.exp(-l * tr)  # reinjection: J jumps by r1 e^{-lambda tau_ref} at V_r
    s2 = solve_ivp(rhs, (vr, x_lb), y, method="DOP853", rtol=1e-13, atol=1e-300)
    yl = s2.y[:, -1]
    # The drive's own flux at threshold: (c) has J = -D P' - P0' ... + r1 there; the
    # rate is the flux J1(theta) = r1 (P1(theta) = 0 and P0(theta) = 0; for the D
    # channel the extra flux -P0'(theta) is part of J1, so J1(theta) = r1 includes it).
    chi_mu = -yl[4] / yl[2] / float(TAU_M)
    chi_d = -yl[6] / yl[2] / float(TAU_M)
    return chi_mu, chi_d / 2


def main(out):
    cases = [
        (15, 5, 10j), (15, 5, 100j), (15, 5, 1000j), (15, 5, 6000j),
        (18, 4, 30j), (22, 3, 300j), (22, 3, 3000j), (10, 6, 60j),
        (25, 2, 200j), (19, 1.5, 20j), (5, 8, 500j), (0, 3, 50j),
        (40, 1, 400j), (20, 0.5, 150j), (12, 3, 5j),
        (15, 5, 20 + 80j), (18, 4, -20 + 100j), (22, 3, 100), (15, 5, 2j), (8, 2, 1000j),
    ]
    rows = []
    for mu, sigma, lam in cases:
        mu, sigma, lam = mp.mpf(mu), mp.mpf(sigma), mp.mpc(lam)
        nu, cm, cs, lap = parts(mu, sigma, lam)
        tm, ts = threshold_integration(mu, sigma, lam)
        print(
            f"mu={float(mu)} sigma={float(sigma)} lambda={complex(lam)}: nu={float(nu):.6g} "
            f"chi_mu={complex(cm):.10g} (FP {abs(tm / complex(cm) - 1):.1e}) "
            f"chi_s2={complex(cs):.10g} (FP {abs(ts / complex(cs) - 1):.1e})",
            file=sys.stderr,
        )
        rows.append([float(mu), float(sigma), float(lam.real), float(lam.imag), float(nu),
                     float(cm.real), float(cm.imag), float(cs.real), float(cs.imag),
                     float(lap.real), float(lap.imag)])
    # lambda -> 0: the normalisation against the Siegert derivatives.
    for mu, sigma in [(15, 5), (22, 3)]:
        mu, sigma = mp.mpf(mu), mp.mpf(sigma)
        _, cm, cs, _ = parts(mu, sigma, mp.mpc(0, "1e-12"))
        dmu = mp.diff(lambda m: siegert(m, sigma), mu)
        ds2 = mp.diff(lambda s2: siegert(mu, mp.sqrt(s2)), sigma**2)
        print(f"lambda->0 mu={mu} sigma={sigma}: chi_mu/dnu_dmu-1 = {mp.nstr(cm.real/dmu-1, 3)}, "
              f"chi_s2/dnu_dsigma2-1 = {mp.nstr(cs.real/ds2-1, 3)}", file=sys.stderr)
    # The static derivatives (mpmath numerical derivative of the 30-digit Siegert
    # integral), the reference for the closed-form dnu/dmu and dnu/dsigma^2.
    static = []
    for mu, sigma in [(15, 5), (22, 3), (10, 6), (25, 2), (19, 1.5), (5, 4), (40, 1), (12, 0.8)]:
        mu, sigma = mp.mpf(mu), mp.mpf(sigma)
        dmu = mp.diff(lambda m: siegert(m, sigma), mu)
        ds2 = mp.diff(lambda s2: siegert(mu, mp.sqrt(s2)), sigma**2)
        static.append([float(mu), float(sigma), float(siegert(mu, sigma)), float(dmu), float(ds2)])
    spec = []
    for mu, sigma, f in [(15, 5, 1), (15, 5, 30), (22, 3, 50), (22, 3, 300), (10, 6, 5), (25, 2, 1000)]:
        mu, sigma = mp.mpf(mu), mp.mpf(sigma)
        w = 2 * mp.pi * f
        nu, _, _, lap = parts(mu, sigma, mp.mpc(0, w))
        s = nu * ((1 + lap) / (1 - lap)).real
        spec.append([float(mu), float(sigma), float(w), float(s)])
    json.dump(
        {
            "source": "tools/reference/lif_response_mpmath.py (mpmath 30 digits, pcfd; "
            "Lindner & Schimansky-Geier 2001, Lindner, Schimansky-Geier & Longtin 2002)",
            "tau_m": float(TAU_M), "tau_ref": float(TAU_REF),
            "theta": float(THETA), "v_reset": float(V_R),
            "columns": ["mu", "sigma", "re_lambda", "im_lambda", "nu", "re_chi_mu",
                        "im_chi_mu", "re_chi_sigma2", "im_chi_sigma2", "re_L", "im_L"],
            "rows": rows,
            "spectrum_columns": ["mu", "sigma", "omega", "S"],
            "spectrum": spec,
            "static_columns": ["mu", "sigma", "nu", "dnu_dmu", "dnu_dsigma2"],
            "static": static,
        },
        open(out, "w"), indent=0,
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/lif_response_mpmath.json")
