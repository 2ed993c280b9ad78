"""Reference values for the exact white-noise LIF spike-train statistics used by the
spectral noise closure (balnet src/theory/spectral.rs, docs/theory.md 2.1).

Independent of balnet: mpmath at 30 digits, parabolic cylinder functions `pcfd`.

LIF: tau_m dV/dt = mu - V + sigma sqrt(tau_m) xi(t), threshold theta, reset V_r,
dead time tau_ref (the Siegert convention of docs/theory.md 2.1: free-membrane std sigma/sqrt 2).
Laplace transform of the first-passage time from V_r to theta (Lindner, Schimansky-Geier
& Longtin 2002; Dummer, Wieland & Lindner 2014):
    L_T(s) = phi_s(V_r)/phi_s(theta),
    phi_s(x) = exp((x - mu)^2/(2 sigma^2)) D_{-s tau_m}(sqrt(2)(mu - x)/sigma)... with the
    sign chosen so that phi_s increases with x:  D_{-s tau}(-sqrt 2 (x - mu)/sigma).
ISI Laplace transform L(s) = exp(-s tau_ref) L_T(s).
Spike-train power spectrum (renewal): S(w) = nu Re[(1 + L(iw))/(1 - L(iw))].
Membrane Fano factor F_eff = Int S |H|^2 dw / (nu Int |H|^2 dw), H = 1/(1 + i w tau_m),
in its time-domain form 1 + 2 [L(1/tau_m)/(1 - L(1/tau_m)) - nu tau_m] (nu: Siegert).

Writes tests/data/lif_spectrum_mpmath.json:
  laplace: rows (mu, sigma, s_tau, L) with tau_ref, tau_m, theta, V_r of the default model;
  fano: rows (mu, sigma, nu, F_eff), L from pcfd, nu from the Siegert integral.
"""
import json
import sys

import mpmath as mp

mp.mp.dps = 30
TAU_M = mp.mpf("0.02")
TAU_REF = mp.mpf("0.002")
THETA = mp.mpf(20)
V_R = mp.mpf(10)


def phi(s_tau, x, mu, sigma):
    z = -mp.sqrt(2) * (x - mu) / sigma
    return mp.exp((x - mu) ** 2 / (2 * sigma**2)) * mp.pcfd(-s_tau, z)


def laplace(s, mu, sigma):
    """ISI Laplace transform at complex s (1/s)."""
    st = s * TAU_M
    return mp.exp(-s * TAU_REF) * phi(st, V_R, mu, sigma) / phi(st, THETA, mu, sigma)


def siegert(mu, sigma):
    lo = (V_R - mu) / sigma
    hi = (THETA - mu) / sigma
    f = lambda u: mp.exp(u * u) * mp.erfc(-u)  # = e^{u^2}(1 + erf u), no cancellation
    return 1 / (TAU_REF + TAU_M * mp.sqrt(mp.pi) * mp.quad(f, [lo, hi]))


def fano_eff(mu, sigma):
    """F_eff = 1 + 2 [L(1/tau_m)/(1 - L(1/tau_m)) - nu tau_m] (renewal density form of
    Int S|H|^2 / (nu Int |H|^2); the frequency integral with complex-order pcfd is too slow
    in mpmath, and the identity itself is checked in balnet on gamma renewal processes
    against the frequency integral)."""
    nu = siegert(mu, sigma)
    L = laplace(1 / TAU_M, mu, sigma)
    return nu, 1 + 2 * (L / (1 - L) - nu * TAU_M)


def main(out):
    cases = [(15, 5), (18, 4), (22, 3), (10, 6), (25, 2), (19, 1.5), (5, 8), (0, 3), (40, 1), (20, 0.3)]
    lap = []
    for mu, sigma in cases:
        for st in ["0.5", "1", "2"]:
            s = mp.mpf(st) / TAU_M
            lap.append([mu, sigma, float(st), float(laplace(s, mp.mpf(mu), mp.mpf(sigma)))])
    fan = []
    for mu, sigma in cases:
        nu, f = fano_eff(mp.mpf(mu), mp.mpf(sigma))
        print(mu, sigma, float(nu), float(f), file=sys.stderr)
        fan.append([mu, sigma, float(nu), float(f)])
    json.dump(
        {
            "source": "tools/reference/lif_spectrum_mpmath.py (mpmath 30 digits, pcfd)",
            "tau_m": float(TAU_M),
            "tau_ref": float(TAU_REF),
            "theta": float(THETA),
            "v_reset": float(V_R),
            "laplace": lap,
            "fano": fan,
        },
        open(out, "w"),
        indent=1,
    )


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/lif_spectrum_mpmath.json")
