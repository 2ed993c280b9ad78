"""NNMT's LIF transfer function at Brunel's model A working point: values and timing,
for comparison with balnet's closed form (src/transfer/response/diffusion.rs,
docs/theory.md 6.1; the Rust timing is `cargo bench --bench response`).

NNMT 1.3.0, `nnmt.lif.exp._transfer_function_shift` (Schuecker et al. 2015) with a
synaptic time constant of 1e-16 s (the threshold shift sigma alpha/2 sqrt(tau_s/tau_m)
is then 5e-8 sigma) and no synaptic filter: the white-noise limit. It evaluates the
parabolic cylinder function with mpmath element-wise. Units: NNMT takes V and returns
Hz/V; balnet's chi_mu is Hz/mV (factor 1e-3). NNMT's dynamic part omits the refractory
term e^{-i omega tau_ref} of the denominator (the rate nu keeps tau_ref), so it equals
balnet's chi_mu of a neuron with tau_ref = 0, scaled by nu(tau_ref)/nu(0).

Usage: python nnmt_transfer_timing.py MU_mV SIGMA_mV [out.json]
Writes rows [f (Hz), Re chi, Im chi] (Hz/mV) at 12 frequencies, and prints the time
of 1000 frequencies (1 to 1000 Hz).
"""
import json
import sys
import time

import numpy as np
from nnmt.lif.exp import _transfer_function_shift

TAU_M, TAU_REF, THETA, V_R = 0.02, 0.002, 0.020, 0.010  # s, s, V, V
TAU_S = 1e-16


def chi(mu_mv, sigma_mv, freqs):
    w = 2 * np.pi * np.asarray(freqs, dtype=float)
    tf = _transfer_function_shift(
        mu_mv * 1e-3, sigma_mv * 1e-3, TAU_M, TAU_S, TAU_REF, THETA, V_R, w,
        synaptic_filter=False,
    )
    return np.asarray(tf)[:, 0] * 1e-3


def main():
    mu, sigma = float(sys.argv[1]), float(sys.argv[2])
    out = sys.argv[3] if len(sys.argv) > 3 else None
    freqs = [0.5, 1, 2, 5, 10, 20, 50, 100, 200, 300, 500, 1000]
    vals = chi(mu, sigma, freqs)
    for f, v in zip(freqs, vals):
        print(f"f = {f:7.1f} Hz  chi_mu = {v.real:.12g} {v.imag:+.12g}i Hz/mV")
    grid = np.linspace(1.0, 1000.0, 1000)
    t0, c0 = time.perf_counter(), time.process_time()
    chi(mu, sigma, grid)
    t, tc = time.perf_counter() - t0, time.process_time() - c0
    print(f"NNMT: 1000 frequencies in {t:.3f} s wall ({1e3 * t:.1f} ms), {tc:.3f} s CPU")
    if out:
        json.dump(
            {
                "source": "tools/reference/nnmt_transfer_timing.py (NNMT 1.3.0, "
                "_transfer_function_shift, tau_s = 1e-16 s, no synaptic filter)",
                "mu": mu, "sigma": sigma, "tau_m": TAU_M, "tau_ref": TAU_REF,
                "theta": THETA * 1e3, "v_reset": V_R * 1e3,
                "rows": [[f, v.real, v.imag] for f, v in zip(freqs, vals)],
                "seconds_1000_freqs": t,
            },
            open(out, "w"), indent=0,
        )


if __name__ == "__main__":
    main()
