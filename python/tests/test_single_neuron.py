"""Single-neuron functions against 30-digit mpmath quadrature of the Siegert formula
(docs/theory.md 2.2) and its derivatives (the lambda -> 0 limits of the susceptibilities,
docs/theory.md 6.1)."""

import mpmath as mp
import numpy as np
import pytest

import balnet
from conftest import siegert_mp

# mean-driven, threshold, fluctuation-driven and deep subthreshold inputs (mV)
POINTS = [(10.0, 5.0), (15.0, 5.0), (20.0, 2.0), (25.0, 3.0), (5.0, 2.0), (30.0, 10.0)]
# a neuron with other parameters, to check that each one reaches the crate in its place
OTHER = dict(tau_m=0.01, tau_ref=0.0005, theta=15.0, v_reset=-5.0)


@pytest.mark.parametrize("mu,sigma", POINTS)
def test_siegert_matches_quadrature(mu, sigma):
    # docs/theory.md 2.2: relative error below 1e-9 against mpmath
    ref = float(siegert_mp(mu, sigma))
    assert balnet.siegert(mu, sigma) == pytest.approx(ref, rel=1e-9)
    ref = float(siegert_mp(mu, sigma, **OTHER))
    assert balnet.siegert(mu, sigma, **OTHER) == pytest.approx(ref, rel=1e-9)


@pytest.mark.parametrize("mu,sigma", POINTS[:4])
def test_siegert_derivative_matches_quadrature(mu, sigma):
    ref = float(mp.diff(lambda m: siegert_mp(m, sigma, **OTHER), mu))
    got = balnet.siegert_derivative(mu, sigma, **OTHER)
    assert got == pytest.approx(ref, rel=1e-9)


def test_siegert_broadcasts_like_numpy():
    mu = np.array([[10.0], [15.0], [20.0]])
    sigma = [3.0, 5.0]
    r = balnet.siegert(mu, sigma)
    assert isinstance(r, np.ndarray) and r.dtype == np.float64 and r.shape == (3, 2)
    for i in range(3):
        for j in range(2):
            assert r[i, j] == balnet.siegert(float(mu[i, 0]), sigma[j])
    assert isinstance(balnet.siegert(15.0, 5.0), float)
    assert balnet.siegert([], 5.0).shape == (0,)


def test_bad_parameters_name_field_value_and_unit():
    with pytest.raises(balnet.BalnetError, match=r"invalid sigma\[1\] = -1: must be > 0 \(mV\)"):
        balnet.siegert(15.0, [5.0, -1.0])
    with pytest.raises(ValueError, match=r"invalid theta = 5: must exceed v_reset = 10 \(mV\)"):
        balnet.siegert(15.0, 5.0, theta=5.0)
    with pytest.raises(balnet.BalnetError, match=r"tau_m = -0.02: must be finite and > 0 \(s\)"):
        balnet.siegert(15.0, 5.0, tau_m=-0.02)


@pytest.mark.parametrize("mu,sigma", [(15.0, 5.0), (22.0, 3.0)])
def test_susceptibility_at_zero_frequency_is_the_static_derivative(mu, sigma):
    # chi_mu(0) = dPhi/dmu and chi_sigma2(0) = dPhi/d(sigma^2) = (dPhi/dsigma) / (2 sigma)
    d_mu = float(mp.diff(lambda m: siegert_mp(m, sigma), mu))
    d_s2 = float(mp.diff(lambda s: siegert_mp(mu, s), sigma) / (2 * sigma))
    for response in ["closed-form", "threshold"]:
        r = balnet.susceptibility(mu, sigma, [0.0, 10.0, 100.0], response=response)
        assert r["chi_mu_hz_per_mv"].dtype == np.complex128
        assert r["chi_mu_hz_per_mv"].shape == (3,)
        tol = 1e-9 if response == "closed-form" else 1e-6
        assert r["chi_mu_hz_per_mv"][0] == pytest.approx(d_mu, rel=tol)
        assert r["chi_sigma2_hz_per_mv2"][0] == pytest.approx(d_s2, rel=tol)
        assert r["rate_hz"] == pytest.approx(float(siegert_mp(mu, sigma)), rel=1e-9)


def test_susceptibility_methods_agree_at_finite_frequency():
    # two independent numerical methods (docs/theory.md 6.1 and 6.2) of one quantity
    f = np.array([5.0, 50.0, 200.0])
    a = balnet.susceptibility(15.0, 5.0, f, response="closed-form")
    b = balnet.susceptibility(15.0, 5.0, f, response="threshold")
    for key in ["chi_mu_hz_per_mv", "chi_sigma2_hz_per_mv2"]:
        np.testing.assert_allclose(a[key], b[key], rtol=1e-6)
    # the response lags and decays with frequency (low-pass membrane)
    assert np.all(np.diff(np.abs(a["chi_mu_hz_per_mv"])) < 0)
