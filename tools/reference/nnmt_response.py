#!/usr/bin/env python3
"""NNMT 1.3.0 network linear response: effective connectivity, power spectra and the
sensitivity measure (Bos et al. 2016) on Brunel (2000) model A and on NNMT's
microcircuit example (Potjans & Diesmann 2014 as parameterised by Bos et al. 2016),
for comparison with balnet's network response (src/theory/response.rs,
docs/theory.md 6.3; the comparison is described in docs/linear_response.md). Not needed at test time: writes
tests/data/nnmt_response.json, which tests/nnmt.rs reads.

Usage (from the repository root, in a venv with nnmt 1.3.0, numpy, scipy):

    python tools/reference/nnmt_response.py MICROCIRCUIT_YAML

MICROCIRCUIT_YAML is NNMT's parameter file of the Bos et al. (2016) microcircuit
(`tests/fixtures/integration/config/Bos2016_network_params.yaml` in the NNMT
repository, with `w_ext: {val: 87.8, unit: pA}` added, which NNMT 1.3.0's
Microcircuit model requires); it is not shipped with the crate.

Brunel A (g = 5, eta = 2; docs/theory.md 4): NNMT's parameter-level functions in the
white-noise limit (tau_s = 1e-16 s, no synaptic filter), fixed delay 1.5 ms:
- rates: nnmt.lif.delta._firing_rates (Siegert fixed point), mu and sigma from
  nnmt.lif._general._mean_input / _std_input;
- transfer function: nnmt.lif.exp._transfer_function_shift (Hz/V);
- W = tau_m J K chi D: nnmt.lif.exp._effective_connectivity (Bos 2016 Eq. 12);
- power spectra |diag (1-W)^-1 diag(nu/N) (1-W)^-H|: nnmt.lif.exp._power_spectra;
- sensitivity at one frequency: nnmt.lif.exp._sensitivity_measure (Bos 2016 Eq. 7).
Computed twice: with the model's tau_ref = 2 ms and with tau_ref = 0 (where NNMT's
transfer function, whose dynamics omit the refractory period, is exact).

Microcircuit: the network-level NNMT pipeline as in NNMT's Bos 2016 example
(working_point, transfer_function with tau_s = 0.5 ms and the synaptic filter,
truncated-Gaussian delays, effective_connectivity, power_spectra,
sensitivity_measure at 64 Hz), plus the white-noise transfer function (tau_s =
1e-16 s, no filter) at its eight working points.

Units in the JSON: s, mV, Hz (transfer functions Hz/mV); complex numbers as [re, im].
"""

import json
import os
import sys

import numpy as np
import scipy
import nnmt
from nnmt.lif import _general as G
from nnmt.lif import delta as LD
from nnmt.lif import exp as LE
from nnmt import network_properties as NP

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(REPO, "tests", "data", "nnmt_response.json")

C_E, C_I = 1000, 250
N_E, N_I = 10000, 2500
J = 0.1e-3       # V
TAU_M = 0.02     # s
THETA = 20e-3    # V
VR = 10e-3       # V
DELAY = 1.5e-3   # s
TAU_S_WHITE = 1e-16
FREQS = [1.0, 5.0, 10.0, 20.0, 50.0, 100.0, 150.0, 200.0, 300.0, 500.0]


def cplx(a):
    a = np.asarray(a)
    return np.stack([a.real, a.imag], axis=-1).tolist()


def brunel(g, eta, tau_r, sens_freq):
    nu_ext = eta * THETA / (J * C_E * TAU_M)
    K = np.array([[C_E, C_I], [C_E, C_I]], dtype=float)
    Jm = np.array([[J, -g * J], [J, -g * J]])
    K_ext = np.array([[C_E], [C_E]], dtype=float)
    J_ext = np.array([[J], [J]])
    nu_ext_v = np.array([nu_ext])
    N = np.array([N_E, N_I], dtype=float)
    nu = LD._firing_rates(J=Jm, K=K, V_0_rel=VR, V_th_rel=THETA, tau_m=TAU_M,
                          tau_r=tau_r, J_ext=J_ext, K_ext=K_ext, nu_ext=nu_ext_v,
                          fixpoint_method="ODE", eps_tol=1e-14, t_max_ODE=1000,
                          maxiter_ODE=1000)
    mu = G._mean_input(nu, Jm, K, TAU_M, J_ext, K_ext, nu_ext_v)
    sigma = G._std_input(nu, Jm, K, TAU_M, J_ext, K_ext, nu_ext_v)
    omegas = 2 * np.pi * np.array(FREQS)
    tf = LE._transfer_function_shift(mu, sigma, TAU_M, TAU_S_WHITE, tau_r, THETA,
                                     VR, omegas, synaptic_filter=False)
    D = NP._delay_dist_matrix(np.full((2, 2), DELAY), np.zeros((2, 2)), "none",
                              omegas)
    W = LE._effective_connectivity(tf, D, Jm, K, TAU_M)
    power = LE._power_spectra(nu, W, Jm, K, N, TAU_M)
    sm = LE._sensitivity_measure(W, sens_freq, np.array(FREQS), "None", "None")
    return {
        "g": g, "eta": eta, "tau_ref": tau_r, "delay": DELAY,
        "nu_ext_hz": nu_ext,
        "rates_hz": nu.tolist(),
        "mu_mv": (mu * 1e3).tolist(), "sigma_mv": (sigma * 1e3).tolist(),
        "freqs_hz": FREQS,
        "transfer_hz_per_mv": cplx(np.asarray(tf) * 1e-3),
        "effective_connectivity": cplx(W),
        "power_spectra_hz": np.asarray(power).tolist(),
        "sensitivity": sens_dict(sm),
    }


def sens_dict(sm):
    return {
        "frequency_hz": float(sm["critical_frequency"]),
        "frequency_index": int(sm["critical_frequency_index"]),
        "critical_eigenvalue": cplx(sm["critical_eigenvalue"]),
        "sensitivity": cplx(sm["sensitivity"]),
        "sensitivity_amp": np.asarray(sm["sensitivity_amp"]).tolist(),
        "sensitivity_freq": np.asarray(sm["sensitivity_freq"]).tolist(),
    }


def microcircuit(yaml_path):
    tmp = os.path.join(os.path.dirname(os.path.abspath(OUT)), ".nnmt_analysis.yaml")
    freqs = [10.0, 30.0, 64.0, 100.0, 200.0]
    with open(tmp, "w") as fh:
        fh.write("f_min: {val: 1.0, unit: Hz}\nf_max: {val: 300.0, unit: Hz}\n"
                 "df: {val: 1.0, unit: Hz}\n")
    try:
        net = nnmt.models.Microcircuit(yaml_path, tmp)
    finally:
        os.remove(tmp)
    all_f = net.analysis_params["omegas"] / (2 * np.pi)
    idx = [int(np.argmin(abs(all_f - f))) for f in freqs]
    wp = LE.working_point(net)
    LE.transfer_function(net)
    NP.delay_dist_matrix(net)
    W = LE.effective_connectivity(net)
    power = LE.power_spectra(net)
    sm = LE.sensitivity_measure(net, frequency=64.0)
    p = net.network_params
    mu, sigma = wp["mean_input"], wp["std_input"]
    omegas = 2 * np.pi * np.array(freqs)
    tf_white = LE._transfer_function_shift(mu, sigma, p["tau_m"], TAU_S_WHITE,
                                           p["tau_r"], p["V_th_rel"], p["V_0_rel"],
                                           omegas, synaptic_filter=False)
    return {
        "populations": list(p["populations"]),
        "N": np.asarray(p["N"]).tolist(),
        "tau_m": float(p["tau_m"]), "tau_ref": float(p["tau_r"]),
        "tau_s": float(p["tau_s"]),
        "theta_mv": float(p["V_th_rel"]) * 1e3, "v_reset_mv": float(p["V_0_rel"]) * 1e3,
        "rates_hz": np.asarray(wp["firing_rates"]).tolist(),
        "mu_mv": (np.asarray(mu) * 1e3).tolist(),
        "sigma_mv": (np.asarray(sigma) * 1e3).tolist(),
        "freqs_hz": [float(all_f[i]) for i in idx],
        "effective_connectivity": cplx(np.asarray(W)[idx]),
        "power_spectra_hz": np.asarray(power)[idx].tolist(),
        "sensitivity": sens_dict(sm),
        "sensitivity_effective_connectivity": cplx(
            np.asarray(W)[int(sm["critical_frequency_index"])]),
        "white_noise_transfer_freqs_hz": freqs,
        "white_noise_transfer_hz_per_mv": cplx(np.asarray(tf_white) * 1e-3),
    }


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    doc = {
        "meta": {
            "script": "tools/reference/nnmt_response.py",
            "tool": f"nnmt {nnmt.__version__}, numpy {np.__version__}, "
                    f"scipy {scipy.__version__}",
            "units": "s, mV, Hz; transfer functions Hz/mV; complex as [re, im]; "
                     "matrices [target][source]",
            "brunel_a": "Brunel (2000) model A, N_E=10000, N_I=2500, C_E=1000, "
                        "C_I=250, J=0.1 mV, tau_m=20 ms, theta=20 mV, Vr=10 mV, "
                        "delay 1.5 ms fixed, white-noise limit (tau_s=1e-16 s, "
                        "no synaptic filter)",
            "microcircuit": "NNMT Microcircuit model with the Bos et al. (2016) "
                            "parameters (tau_s=0.5 ms, truncated Gaussian delays), "
                            "analysis grid 1..300 Hz in 1 Hz steps",
        },
        "brunel_a": [brunel(5.0, 2.0, 0.002, 150.0), brunel(5.0, 2.0, 0.0, 150.0)],
        "microcircuit": microcircuit(sys.argv[1]),
    }
    with open(OUT, "w") as fh:
        json.dump(doc, fh, indent=1)
        fh.write("\n")
    print("wrote", OUT)


if __name__ == "__main__":
    main()
