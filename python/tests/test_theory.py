"""Theory bindings against closed forms: the balanced-limit rates (van Vreeswijk &
Sompolinsky 1996; docs/theory.md 2.4), the finite-K self-consistency of Brunel (2000)
model A (docs/theory.md 2.1-2.2) evaluated with mpmath, and the push-forward CDF of the
rate distribution (docs/theory.md 2.6.2)."""

import math
import threading
import time

import numpy as np
import pytest

import balnet
from conftest import siegert_mp


def test_balanced_rates_solve_the_linear_balance():
    # sum_B c_B J_AB nu_B + c_0 J_A0 nu_0 = 0 (docs/theory.md 2.4)
    d = balnet.Model("default").to_dict()
    c = np.array([p["c"] for p in d["populations"]])
    w = np.array(d["j"]) * c[None, :]
    w0 = d["external"]["c0"] * np.array([p["j_ext"] for p in d["populations"]])
    expected = np.linalg.solve(w, -w0 * d["external"]["nu0"])
    r = balnet.solve("default", limit="balanced")
    assert r["rates_hz"].dtype == np.float64 and r["rates_hz"].shape == (2,)
    np.testing.assert_allclose(r["rates_hz"], expected, rtol=1e-10)
    assert r["balance_condition_number"] > 1


def test_brunel_a_is_self_consistent():
    # Brunel (2000) eqs. 4-5 and 21 with nu_E = nu_I = nu: mu = C_E J tau (nu_ext + nu (1 - g/4)),
    # sigma^2 = J^2 C_E tau (nu_ext + nu (1 + g^2/4)), nu = Phi(mu, sigma)
    g, eta, j, c_e, tau = 5.0, 2.0, 0.1, 1000, 0.020
    nu_ext = eta * 20.0 / (j * c_e * tau)
    r = balnet.solve(balnet.brunel_a(g, eta))
    nu = r["rates_hz"][0]
    assert r["rates_hz"][1] == pytest.approx(nu, rel=1e-12)
    mu = c_e * j * tau * (nu_ext + nu * (1 - g / 4))
    sigma = math.sqrt(j * j * c_e * tau * (nu_ext + nu * (1 + g * g / 4)))
    e = r["populations"][0]
    assert e["mu_mv"] == pytest.approx(mu, rel=1e-12)
    assert e["sigma_mv"] == pytest.approx(sigma, rel=1e-12)
    assert nu == pytest.approx(float(siegert_mp(mu, sigma)), rel=1e-9)


def test_rate_distribution_cdf_is_the_gaussian_pushed_through_siegert():
    # P(rate <= Phi(x)) = Phi_N((x - M)/sqrt(Delta)) for the Siegert transfer function with
    # Poisson noise (docs/theory.md 2.6.2)
    st = balnet.solve("default")["populations"][0]
    m, delta, sigma = st["mean_input_mv"], st["delta_mv2"], st["sigma_mv"]
    xs = m + math.sqrt(delta) * np.array([-1.5, -0.5, 0.0, 0.7, 1.5])
    nus = np.array([float(siegert_mp(x, sigma)) for x in xs])
    r = balnet.rate_distribution("default", "E", rates_hz=nus)
    expected = [0.5 * math.erfc(-(x - m) / math.sqrt(2 * delta)) for x in xs]
    np.testing.assert_allclose(r["cdf"], expected, rtol=1e-8)
    np.testing.assert_allclose(r["nu_hz"], nus, rtol=0)
    auto = balnet.rate_distribution("default", 0, points=200)
    for key in ["nu_hz", "density_per_hz", "cdf"]:
        assert auto[key].dtype == np.float64 and auto[key].shape == (200,)
    assert np.all(np.diff(auto["cdf"]) >= 0)
    assert auto["population"] == "E" and auto["rate_hz"] == pytest.approx(st["rate_hz"])


def test_fixed_points_and_dynamics_of_the_default_model():
    # zero-mean loadings and s = 0: kappa = 0 is a fixed point by symmetry, stable below the
    # rank-one bifurcation (docs/theory.md section 5)
    fp = balnet.fixed_points("default")
    assert fp["kappa"].shape == (len(fp["fixed_points"]), 1)
    assert fp["stable"].dtype == np.bool_
    at_zero = np.abs(fp["kappa"][:, 0]) < 1e-9
    assert at_zero.sum() == 1 and fp["stable"][at_zero][0]
    # after the input step at 1.5 s the trajectory settles on the stable fixed point at s = 1
    after = balnet.fixed_points("default", s=1.0)
    target = after["kappa"][after["stable"]][0, 0]
    tr = balnet.dynamics("default", t_end=3.0, dt_out=0.05)
    assert tr["t"].shape == (61,) and tr["kappa"].shape == (61, 1) and tr["s"].shape == (61, 1)
    assert tr["kappa"][0, 0] == 0.0 and tr["s"][-1, 0] == 1.0
    # it relaxes onto the new fixed point: 10x closer between 1.6 s and 3 s, and within
    # 0.1% of the jump at 3 s
    gap = np.abs(tr["kappa"][:, 0] - target)
    assert gap[-1] < gap[32] / 10 and gap[-1] < 1e-3 * abs(target)
    assert [p["name"] for p in tr["populations"]] == ["E", "I"]
    assert tr["populations"][0]["rate_hz"].shape == (61,)


def test_stability_and_spectrum_of_brunel_a():
    st = balnet.stability("brunel-a", search_box=(-50.0, 300.0, 400.0))
    assert st["stable"] == bool(np.all(st["growth_rate_hz"] < 0))
    assert st["growth_rate_hz"].shape == st["frequency_hz"].shape == (len(st["eigenvalues"]),)
    sp = balnet.spectrum("brunel-a", [10.0, 100.0, 300.0])
    p = sp["population_spectra_hz"]
    assert p.dtype == np.complex128 and p.shape == (2, 2, 3)
    assert sp["chi_mu_hz_per_mv"].shape == (2, 3)
    # cross-spectra of real signals: Hermitian, with real positive auto-spectra
    np.testing.assert_allclose(p, np.conj(np.transpose(p, (1, 0, 2))), rtol=1e-12, atol=0)
    assert np.all(p[0, 0].real > 0) and np.all(p[1, 1].real > 0)
    with pytest.raises(balnet.BalnetError, match="finite K only"):
        balnet.stability("brunel-a", limit="balanced")


def test_the_interpreter_is_released_while_the_crate_computes():
    # with the GIL held the main thread could not run while the worker is in the crate
    done = []
    worker = threading.Thread(target=lambda: done.append(balnet.fixed_points("default", grid=321)))
    ticks = 0
    t0 = time.perf_counter()
    worker.start()
    while worker.is_alive():
        ticks += 1
        time.sleep(0.001)
    elapsed = time.perf_counter() - t0
    assert done and elapsed > 0.5  # long enough for the check to mean something
    # held, the main thread would tick about once; released, every few ms
    assert ticks >= 50


def test_progress_reports_phases():
    lines = []
    balnet.solve("default", progress=lines.append)
    assert lines and all(line.startswith("balnet.solve [") for line in lines)
    assert lines[-1].endswith("done")
