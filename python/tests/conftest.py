"""Independent references for the tests: the Siegert formula (docs/theory.md 2.2; Siegert
1951, Brunel 2000 eq. 21) by 30-digit mpmath quadrature, and the small networks the
simulator tests run."""

import mpmath as mp
import pytest

import balnet

mp.mp.dps = 30


def siegert_mp(mu, sigma, tau_m=0.02, tau_ref=0.002, theta=20.0, v_reset=10.0):
    """Siegert rate (Hz): 1 / (tau_ref + tau_m sqrt(pi) Int_{y_r}^{y_th} e^{u^2} (1 + erf u) du)."""
    mu, sigma = mp.mpf(mu), mp.mpf(sigma)
    y_th = (theta - mu) / sigma
    y_r = (v_reset - mu) / sigma
    integral = mp.quad(lambda u: mp.exp(u * u) * mp.erfc(-u), [y_r, y_th])
    return 1 / (tau_ref + tau_m * mp.sqrt(mp.pi) * integral)


@pytest.fixture(scope="session")
def small_brunel():
    """Brunel (2000) model A with 1000 neurons (C_E = 100), simulated for 0.3 s after 0.1 s
    of warm-up on the grid: well under a second per run."""
    d = balnet.brunel_a(5.0, 2.0, j=0.2, c_e=100, n_e=800, n_i=200).to_dict()
    d["name"] = "small brunel-a"
    d["sim"].update(duration=0.3, warmup=0.1, mode="grid", seed=3)
    return balnet.Model(d)
