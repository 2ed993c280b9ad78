#!/usr/bin/env python3
"""Closed form of the fraction of connections whose fast plus structured weight violates
Dale's law (docs/theory.md section 1), for tests/sim.rs `dale_violations_and_clipping`.

A connection j -> i from an excitatory neuron has the weight J/sqrt(K) + m_i n_j / K
(mV, docs/theory.md section 1); with zero-mean loadings of standard deviations sigma_m
(mV) and sigma_n, independent for i != j, it changes sign when Z1 Z2 < -a,
a = J sqrt(K) / (sigma_m sigma_n), Z1, Z2 independent standard normals. The product has
the density K_0(|x|)/pi, so

    p = P(Z1 Z2 < -a) = (1/pi) Int_a^inf K_0(t) dt.

Connections sharing a target share m_i (and sharing a source share n_j), so the count
is overdispersed: Var = sum p(1 - p) + sum over pairs sharing a neuron of
(E[q^2] - p^2), q(z) = P(Z2 < -a/|z|) = Phi(-a/|z|) the violation probability given one
loading. Inhibitory sources (|J| >= 25 mV: a >= 26) contribute below 1e-11.

Run with mpmath (e.g. in a throwaway venv): python tools/reference/dale_violations.py
"""
import mpmath as mp

mp.mp.dps = 30
J, K, SIGMA_M, SIGMA_N = 5, 1000, 20, 1.5  # default model (presets::rank_one_latent)
a = J * mp.sqrt(K) / (SIGMA_M * SIGMA_N)
p = mp.quad(lambda t: mp.besselk(0, t), [a, mp.inf]) / mp.pi
eq = 2 * mp.quad(lambda z: mp.npdf(z) * mp.ncdf(-a / z), [0, 1, 3, 6, mp.inf])
eq2 = 2 * mp.quad(lambda z: mp.npdf(z) * mp.ncdf(-a / z) ** 2, [0, 1, 3, 6, mp.inf])
a_i = 25 * mp.sqrt(K) / (SIGMA_M * SIGMA_N)
p_i = mp.quad(lambda t: mp.besselk(0, t), [a_i, mp.inf]) / mp.pi
print(f"a = {mp.nstr(a, 15)}")
print(f"p = {mp.nstr(p, 15)}  (E[q] = {mp.nstr(eq, 15)}, the same integral)")
print(f"E[q^2] = {mp.nstr(eq2, 15)}")
print(f"inhibitory sources: p = {mp.nstr(p_i, 5)}")
